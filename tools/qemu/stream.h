/*
 * stream.h - the QEMU migration stream and mapped-ram parser shared by
 * `frc import-qemu`, `frc export-qemu` and `frc seal-qemu` (stream.c):
 * reading a stream from a file, a pipe or memory; what an import learns of
 * a QEMU file; the records FRC keeps (SPEC, "QEMU's migration layouts in
 * FRC").
 */
#ifndef FRC_QEMU_STREAM_H
#define FRC_QEMU_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include "frc.h"

#define QEMU_VM_EOF 0x00
#define QEMU_VM_SECTION_START 0x01
#define QEMU_VM_SECTION_PART 0x02
#define QEMU_VM_SECTION_END 0x03
#define QEMU_VM_SECTION_FULL 0x04
#define QEMU_VM_SUBSECTION 0x05
#define QEMU_VM_CONFIGURATION 0x07
#define QEMU_VM_COMMAND 0x08
#define QEMU_VM_SECTION_FOOTER 0x7e

#define RAM_ZERO 0x02
#define RAM_MEM_SIZE 0x04
#define RAM_PAGE 0x08
#define RAM_EOS 0x10
#define RAM_CONTINUE 0x20
#define RAM_XBZRLE 0x40
#define RAM_HOOK 0x80
#define RAM_COMPRESS 0x100
#define RAM_MULTIFD_FLUSH 0x200
#define RAM_FLAG_MASK 0xfffu

#define MAX_BLOCKS 64
#define IN_BUF (1u << 20) /* stdio buffer and pipe size of the input */
#define MAPPED_RAM_ALIGN (1u << 20)
/* a mapped-ram bitmap is read and written in pieces of this many bytes */
#define BITMAP_PIECE 65536u

/* With --list-records, the offset and kind of every record, on stdout. */
extern int qemu_list_records;

/* ---- reading a stream, from a file, a pipe or memory ---- */

struct in {
	int fd;
	const char *name;
	uint64_t pos;
	/* read-ahead: bytes [at, end) of buf are the next of the stream */
	uint8_t *buf;
	size_t at, end;
	int err; /* errno of a failed read, or 0 */
	uint64_t fpos;  /* file offset of the next read() */
	uint64_t limit; /* the input ends here (0: at the end of the file) */
	/* head capture: bytes read while `capture` is set are appended */
	uint8_t *cap;
	size_t caplen, capcap;
	int capture;
};

/* ---- what an import learns ---- */

struct block {
	char id[256];
	uint64_t used;
	uint64_t records; /* page records read (stream) */
	/* x-ignore-shared: the address QEMU sent, and whether the block's
	 * pages were left out of the stream (frc reads them itself) */
	uint64_t mr_addr;
	int ignored;
	/* mapped-ram */
	uint64_t bitmap_offset, pages_offset;
};

struct qemu_file {
	char machine[256];
	int mapped_ram;
	uint32_t page_size;
	uint32_t ram_id;
	struct block blocks[MAX_BLOCKS];
	unsigned nblocks;
	uint64_t mem_size;
	uint8_t *commands;
	size_t ncommands;
	char caps[512];
	/* the x-ignore-shared capability: accepted only when the caller
	 * fills the blocks QEMU leaves out (frc save-qemu) */
	int allow_ignore_shared, ignore_shared;
	/* where the head holds the capabilities subsection [caps_at, caps_end)
	 * (both 0 without one) and where the configuration ends */
	uint64_t caps_at, caps_end, config_end;
};


/*
 * stream.c. Every int function returns 0, or -1 after printing what is
 * wrong and where (file and byte offset) on stderr.
 */
struct importer; /* pages on their way to an FRC writer (stream.c) */

/* "NAME: offset 0xN: what" on stderr; returns -1. */
int fail_at(struct in *s, const char *what);
/* Moves a file input to byte `off` (mapped-ram reads its page areas). */
int in_seek(struct in *s, uint64_t off);
/* The stream header, configuration and RAM section header, up to MEM_SIZE. */
int read_head(struct in *s, struct qemu_file *q);
/* The RAM block list of the MEM_SIZE record into q->blocks. */
int read_ram_blocks(struct in *s, struct qemu_file *q);
/* The RAM records after the block list (pages go to `im`, which may be
 * NULL to check them only), to the end of the RAM section. */
int read_ram_rest(struct in *s, struct qemu_file *q, struct importer *im,
		  int *current);
/*
 * Block i's mapped-ram bitmap, read in pieces into bm (BITMAP_PIECE
 * bytes): fn is called for every run of set (present) or clear pages, at
 * most max_run long, in order; a non-zero return stops with -1.
 */
int mapped_runs(struct in *s, const struct qemu_file *q, unsigned i,
		uint8_t *bm, uint64_t max_run,
		int (*fn)(void *ctx, uint64_t first, uint64_t count, int set),
		void *ctx);
/* An EOS flag record. */
int expect_eos(struct in *s);
/*
 * Everything after the RAM, kept verbatim as section "qemu-stream-tail";
 * with w NULL (a save sealed in place) only checked, and zero bytes after
 * QEMU's device description are allowed: s->pos is then where QEMU's
 * bytes end.
 */
int read_tail(struct in *s, frc_writer_t *w);
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
	      const char *generator);

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
	int child, pipe;    /* the decompressor and its output, or -1 / 0 */
	char *stream_name;  /* how messages name the stream */
};
/* Whether p starts with libvirt's magic (finished or not). */
int lv_is_image(const uint8_t *p, size_t n);
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

/* An input reading n bytes at p (no file), named `name` in messages. */
void in_memory(struct in *s, const char *name, uint8_t *p, size_t n);

#endif /* FRC_QEMU_STREAM_H */
