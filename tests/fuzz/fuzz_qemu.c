/*
 * fuzz_qemu.c - libFuzzer target for the parser of QEMU's migration
 * stream and mapped-ram files (tools/qemu/parse.c), linked alone: the
 * input is a QEMU file, read from a seekable file as `frc import-qemu`
 * reads one, its pages handed to a sink of this file that writes them
 * into an FRC file with libfrc (a page sent again overwrites its slot),
 * the bytes after the RAM into a section. When the parse succeeds, the
 * FRC file committed must open and verify: a stream the parser accepts
 * must never make a file that libfrc refuses. A failed parse must leave
 * its message (or a sink that said why).
 *
 * Inputs whose RAM blocks claim more than MAX_PAGES pages in all are only
 * parsed up to the block list (their import would be bounded by the disk,
 * not by the parser).
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "parse.h"

#define MAX_PAGES (1u << 17) /* 512 MiB of 4 KiB pages */
#define RUN 64               /* pages per reserve */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The head and block list alone, from memory: how much RAM is claimed. */
static uint64_t claimed_pages(const uint8_t *data, size_t size)
{
	struct qemu_file q;
	struct in s;
	uint8_t *copy = malloc(size ? size : 1);
	uint64_t pages = UINT64_MAX;

	if (!copy)
		return pages;
	memcpy(copy, data, size);
	memset(&q, 0, sizeof(q));
	q.page_size = 4096;
	in_memory(&s, "fuzz.qemu", copy, size);
	if (read_head(&s, &q) == 0 && read_ram_blocks(&s, &q) == 0) {
		pages = 0;
		for (unsigned i = 0; i < q.nblocks; i++)
			pages += q.blocks[i].used / (q.page_size ? q.page_size : 1);
	} else if (!s.msg[0]) {
		abort(); /* a failure without its reason */
	}
	free(s.cap);
	free(q.commands);
	free(copy);
	return pages;
}

/* Pages reserved by the parser are written when the next reserve comes
 * (the parser has filled them by then), and at the end. */
struct sink {
	frc_writer_t *w;
	uint8_t *buf, *zero;
	uint32_t page_size;
	unsigned block;
	uint64_t first, k;
	int pending, zeros;
};

static int flush(struct sink *f)
{
	int rc = 0;

	for (uint64_t i = 0; f->pending && i < f->k && !rc; i++)
		rc = frc_writer_write_page(f->w, f->block, f->first + i,
					   f->zeros ? f->zero
						    : f->buf + i * f->page_size);
	f->pending = 0;
	return rc;
}

static int reserve(void *ctx, unsigned block, uint64_t first, uint64_t k,
		   int zero, uint8_t **dst)
{
	struct sink *f = ctx;

	if (k > RUN || flush(f))
		return -1;
	f->block = block;
	f->first = first;
	f->k = k;
	f->zeros = zero;
	f->pending = 1;
	*dst = zero ? NULL : f->buf;
	return 0;
}

static int put_tail(void *ctx, const uint8_t *p, size_t n)
{
	return frc_writer_section_append(ctx, p, n) ? -1 : 0;
}

/* What the parse committed must be a valid FRC file. */
static void check_output(int fd)
{
	char path[64];
	frc_reader_t *r = frc_reader_new();

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (frc_reader_open(r, path, 0) != FRC_OK ||
	    frc_reader_verify(r, NULL, NULL) != FRC_OK) {
		fprintf(stderr, "the parse committed a file libfrc refuses: "
			"%s\n", frc_reader_errmsg(r));
		abort();
	}
	frc_reader_free(r);
}

static int import(struct in *s, struct qemu_file *q, frc_writer_t *w)
{
	struct sink f = { w, NULL, NULL, 0, 0, 0, 0, 0, 0 };
	struct ram_sink sink = { reserve, &f, RUN };
	int rc = -1;

	if (read_head(s, q) || read_ram_blocks(s, q))
		return -1;
	for (unsigned i = 0; i < q->nblocks; i++)
		if (frc_writer_add_region(w, q->blocks[i].id, q->blocks[i].used,
					  q->page_size, NULL))
			return 0; /* a block FRC refuses: not the parser's */
	f.page_size = q->page_size;
	f.buf = malloc((size_t)RUN * q->page_size);
	f.zero = calloc(1, q->page_size);
	if (f.buf && f.zero && read_ram_sections(s, q, &sink) == 0 &&
	    flush(&f) == 0 &&
	    frc_writer_section_begin(w, FRC_SECTION_QEMU, 0, "qemu-stream-tail") == FRC_OK &&
	    read_tail(s, 0, put_tail, w) == 0 &&
	    frc_writer_section_end(w) == FRC_OK)
		rc = 0;
	free(f.buf);
	free(f.zero);
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct qemu_file q;
	struct in s;
	char name[64];
	frc_writer_t *w;
	int in, out;

	if (claimed_pages(data, size) > MAX_PAGES)
		return 0;
	if (!fuzz_file(data, size, name, sizeof(name), &in))
		return 0;
	lseek(in, 0, SEEK_SET);
	out = memfd_create("frc-fuzz-out", 0);
	memset(&s, 0, sizeof(s));
	memset(&q, 0, sizeof(q));
	q.page_size = 4096;
	s.fd = in;
	s.name = "fuzz.qemu";
	s.buf = malloc(IN_BUF);
	w = frc_writer_new();
	if (out >= 0 && s.buf && w &&
	    frc_writer_open_fd(w, out, "fuzz.frc", NULL, 0) == FRC_OK &&
	    import(&s, &q, w) == 0 &&
	    frc_writer_commit(w, NULL, NULL) == FRC_OK)
		check_output(out);
	frc_writer_free(w);
	free(s.buf);
	free(s.cap);
	free(q.commands);
	if (out >= 0)
		close(out);
	close(in);
	return 0;
}
