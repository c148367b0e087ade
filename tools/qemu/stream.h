/*
 * stream.h - the QEMU commands' shared pieces on the parser (parse.h):
 * import into FRC (stream.c, import.c), export (export.c), sealing
 * (seal.c), libvirt images (libvirt.c); the records FRC keeps (SPEC,
 * "QEMU's migration layouts in FRC").
 */
#ifndef FRC_QEMU_STREAM_H
#define FRC_QEMU_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include "frc.h"
#include "parse.h"

/*
 * stream.c. Every int function returns 0, or -1 after printing what is
 * wrong and where (file and byte offset) on stderr.
 */
/* Prints the parser's message of s (if any: a callback said why itself)
 * and forgets it; returns -1. */
int parse_said(struct in *s);

/* The metadata an import records (source format, machine, capabilities). */
int set_qemu_metadata(frc_writer_t *w, const struct qemu_file *q);
/* A whole QEMU file into `w`: regions (compressed as z says, which may be
 * NULL), pages, kept sections, metadata. */
struct tool_compress;
int import_to_frc(struct in *s, struct qemu_file *q, frc_writer_t *w,
		  const struct tool_compress *z);
/*
 * import.c: a QEMU migration file read from fd (named `name` in messages)
 * into the FRC file being written to `of` (opened by outfile_open, named
 * `out`) and committed as FRC (the caller commits or aborts `of`); q says
 * what was read (the caller frees q->commands). h (may be NULL): with
 * h->fill, a stream saved with x-ignore-shared is accepted and fill()
 * writes the blocks QEMU left out (q->blocks[i].ignored); h->wrap then
 * adds what a wrapper around the stream holds (a libvirt image); both
 * run after the stream and before the commit. 0, or -1 after a message.
 */
struct outfile;
struct import_hooks {
	int (*fill)(void *ctx, frc_writer_t *w, struct qemu_file *q);
	int (*wrap)(void *ctx, frc_writer_t *w, struct qemu_file *q);
	void *ctx;
};
int import_into(int fd, const char *name, struct outfile *of,
		const char *out, const char *generator,
		const struct tool_compress *z, struct qemu_file *q,
		const struct import_hooks *h);
/*
 * export.c: the file as a QEMU migration stream written to fd (a pipe or
 * socket, named `name` in messages), every page verified. With blocks in
 * gm (a save made with x-ignore-shared, restored into a VM whose blocks
 * are shared memory files), those blocks are written into their files and
 * the stream keeps x-ignore-shared; otherwise every page goes into the
 * stream; the blocks in om (may be NULL) are left out. pr (may be NULL)
 * shows the bytes of guest RAM done. 0 or -1.
 */
struct guestmems;
struct tool_progress;
/* RAM blocks whose pages a stream leaves out (export-qemu --omit, a lazy
 * restore): QEMU keeps what their memory backends hold */
#define OMIT_MAX 64
struct omits {
	const char *id[OMIT_MAX];
	unsigned n;
};
int export_stream_fd(frc_reader_t *r, int fd, const char *name,
		     struct guestmems *gm, const struct omits *om,
		     struct tool_progress *pr);
/* Whether the file is a save made with x-ignore-shared: 1 with *ignored
 * (to be freed) flagging, per region, the blocks QEMU left out; 0 when
 * not; -1 (message printed) when its record is malformed. */
int export_ignored_blocks(frc_reader_t *r, uint8_t **ignored);

/*
 * seal.c: an FRC file in the making on fd (named `name`) made ready for
 * QEMU's mapped-ram save from byte 1 MiB on (incomplete until sealed); and
 * the seal of such a file at `path` whose save starts at `off`, pages
 * checksummed from the memory in g where given. 0, or -1 (said).
 */
#define INPLACE_OFFSET (1u << 20) /* where QEMU's file starts by default */
int prepare_fd(int fd, const char *name, const char *generator);
int seal_file(const char *path, uint64_t off, struct guestmems *g, int quiet,
	      const char *generator, int digest);

/*
 * libvirt.c: libvirt's save images (`virsh save`): a header, the domain
 * XML, then QEMU's stream, compressed by a program when the header says.
 * Every int function returns 0 (lv_probe: 1 for an image, 0 for none) or
 * -1 after a message naming the file, the offset and what is wrong.
 */
#define LV_HEADER 92
struct lv_image {
	uint8_t head[LV_HEADER];
	int big; /* written by a big-endian host */
	uint32_t data_len, format, cookie;
	uint8_t *data;      /* data_len bytes: XML, cookie, padding */
	uint64_t stream_at; /* where QEMU's stream starts */
	int child, pipe;    /* the decompressor and its output, or -1 */
	char *stream_name;  /* how messages name the stream */
};
/* The header and XML of a regular file of `size` bytes on fd, when it is
 * a libvirt image; an unfinished or malformed one is refused. */
int lv_probe(int fd, const char *name, uint64_t size, struct lv_image *li);
/* An fd reading the image's QEMU stream (fd itself, or a pipe from the
 * decompressor libvirt would run); -1 after a message. */
int lv_stream_open(struct lv_image *li, int fd, const char *name);
/* Ends the stream: the decompressor must have succeeded (`ok`: the
 * import did; otherwise its death by SIGPIPE is no news). */
int lv_stream_end(struct lv_image *li, int ok);
/* An import's last step before the commit (import_into's `wrap`): the
 * stream ended well, header and XML kept as sections, metadata set. */
int lv_add_sections(void *ctx, frc_writer_t *w, struct qemu_file *q);
void lv_free(struct lv_image *li);
/* The image described by the sections an import kept (data is the
 * caller's): the same checks as lv_probe. */
int lv_from_sections(struct lv_image *li, const uint8_t *head, size_t hn,
		     uint8_t *data, size_t dn, const char *name);
/* The header of an image written back, raw: unfinished or finished. */
void lv_header_for(struct lv_image *li, int finished);

#endif /* FRC_QEMU_STREAM_H */
