/*
 * parse.h - the parser of QEMU's migration files (parse.c): the stream
 * and mapped-ram layouts, read from a file, a pipe or memory, into what a
 * caller needs; it neither writes FRC nor prints. Every int function
 * returns 0, or -1 with the reason and the offset in s->msg (empty when a
 * callback stopped it: the callback said why).
 */
#ifndef FRC_QEMU_PARSE_H
#define FRC_QEMU_PARSE_H

#include <stddef.h>
#include <stdint.h>

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
	/* the message of the parser's last failure ("" when a callback
	 * failed: it said why itself) */
	char msg[512];
	/* called with the offset and kind of every record (may be NULL) */
	void (*on_record)(void *ctx, uint64_t pos, const char *kind);
	void *record_ctx;
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


/* "NAME: offset 0xN: what" into s->msg; returns -1. */
int fail_at(struct in *s, const char *what);
/* Moves a file input to byte `off` (mapped-ram reads its page areas). */
int in_seek(struct in *s, uint64_t off);
/* The stream header, configuration and RAM section header, up to MEM_SIZE. */
int read_head(struct in *s, struct qemu_file *q);
/* The RAM block list of the MEM_SIZE record into q->blocks. */
int read_ram_blocks(struct in *s, struct qemu_file *q);
/*
 * Where the pages go: reserve() gives room for pages [first, first + k)
 * of block `block` (k <= max_run, rising indices within a block): *dst
 * NULL when they are zero pages (`zero`: nothing to copy), else k page
 * slots the parser fills. Non-zero stops the parse (the sink says why).
 */
struct ram_sink {
	int (*reserve)(void *ctx, unsigned block, uint64_t first, uint64_t k,
		       int zero, uint8_t **dst);
	void *ctx;
	uint64_t max_run;
};
/* The RAM sections after the block list: a stream's page records, or a
 * mapped-ram file's pages by its bitmaps; to the end of the RAM. */
int read_ram_sections(struct in *s, struct qemu_file *q,
		      const struct ram_sink *sink);
/* The RAM records after the block list and its first EOS (pages to the
 * sink, which may be NULL to allow none), to the end of the RAM section. */
int read_ram_rest(struct in *s, struct qemu_file *q,
		  const struct ram_sink *sink, int *current);
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
 * Everything after the RAM, handed to put() (may be NULL) as it comes,
 * checked to end with QEMU_VM_EOF and the device description; with
 * zeros_ok (a save sealed in place) zero bytes may follow it: s->pos is
 * then where QEMU's bytes end.
 */
int read_tail(struct in *s, int zeros_ok,
	      int (*put)(void *ctx, const uint8_t *p, size_t n), void *ctx);

/* An input reading n bytes at p (no file), named `name` in messages. */
void in_memory(struct in *s, const char *name, uint8_t *p, size_t n);

#endif /* FRC_QEMU_PARSE_H */
