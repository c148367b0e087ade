/*
 * frc_qemu.c - `frc import-qemu` and `frc export-qemu`: QEMU migration
 * files (the sequential stream of every QEMU, and mapped-ram files) into
 * FRC containers and back, with nothing lost (SPEC appendix C).
 *
 * What FRC keeps of a QEMU file:
 *   - every RAM block as a region (block id, used length, 4 KiB pages);
 *   - section "qemu-stream-head" (type 16): the bytes from the start of the
 *     file to the end of the ram section's MEM_SIZE record (stream header,
 *     configuration, the ram section header);
 *   - section "qemu-stream-commands": QEMU_VM_COMMAND records met between
 *     RAM sections (e.g. SWITCHOVER_START), verbatim, in order;
 *   - section "qemu-stream-tail": everything after the RAM (device state,
 *     EOF, the JSON device description), verbatim;
 *   - metadata: source format, machine type, stream version, capabilities,
 *     the ram section id.
 * Export rebuilds the RAM part from the regions (every page verified) and
 * splices the kept bytes back around it.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "frc_tool.h"
#include "outfile.h"
#include "guestmem.h"
#include "relay.h"

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

/* With --list-records, the offset and kind of every record, on stdout. */
static int list_records;

static void note_record(uint64_t pos, const char *kind)
{
	if (list_records)
		printf("0x%" PRIx64 " %s\n", pos, kind);
}

/* ---- reading a stream, from a file or a pipe ---- */

struct in {
	int fd;
	const char *name;
	uint64_t pos;
	/* read-ahead: bytes [at, end) of buf are the next of the stream */
	uint8_t *buf;
	size_t at, end;
	int err; /* errno of a failed read, or 0 */
	/* head capture: bytes read while `capture` is set are appended */
	uint8_t *cap;
	size_t caplen, capcap;
	int capture;
};

static int fail_at(struct in *s, const char *what)
{
	tool_err("%s: offset 0x%" PRIx64 ": %s", s->name, s->pos, what);
	return -1;
}

/* Up to n bytes of the stream into dst; fewer only at its end or an error. */
static size_t in_read(struct in *s, void *dst, size_t n)
{
	size_t done = 0;

	while (done < n) {
		size_t k;

		if (s->at == s->end) {
			/* fd -1: the input is the bytes of buf alone */
			ssize_t got = s->fd < 0 ? 0 : read(s->fd, s->buf, IN_BUF);

			if (got < 0 && errno == EINTR)
				continue;
			if (got <= 0) {
				s->err = got < 0 ? errno : 0;
				break;
			}
			s->at = 0;
			s->end = (size_t)got;
		}
		k = s->end - s->at < n - done ? s->end - s->at : n - done;
		memcpy((uint8_t *)dst + done, s->buf + s->at, k);
		s->at += k;
		done += k;
	}
	return done;
}

/* Continues at byte `off` of a seekable input. */
static int in_seek(struct in *s, uint64_t off)
{
	if (lseek(s->fd, (off_t)off, SEEK_SET) < 0)
		return -1;
	s->at = s->end = 0;
	s->pos = off;
	return 0;
}

static int get(struct in *s, void *buf, size_t n)
{
	if (n && in_read(s, buf, n) != n)
		return fail_at(s, s->err ? strerror(s->err)
					 : "the stream ends here (truncated)");
	if (s->capture) {
		if (s->caplen + n > s->capcap) {
			size_t cap = (s->caplen + n) * 2 + 256;
			uint8_t *g = realloc(s->cap, cap);

			if (!g)
				return fail_at(s, "out of memory");
			s->cap = g;
			s->capcap = cap;
		}
		memcpy(s->cap + s->caplen, buf, n);
		s->caplen += n;
	}
	s->pos += n;
	return 0;
}

static int get8(struct in *s, uint8_t *v)
{
	return get(s, v, 1);
}

static int get32(struct in *s, uint32_t *v)
{
	uint8_t b[4];

	if (get(s, b, 4))
		return -1;
	*v = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 |
	     b[3];
	return 0;
}

static int get64(struct in *s, uint64_t *v)
{
	uint32_t hi, lo;

	if (get32(s, &hi) || get32(s, &lo))
		return -1;
	*v = (uint64_t)hi << 32 | lo;
	return 0;
}

/* u8 length + bytes, as QEMU writes ids; into a NUL-terminated buf. */
static int get_str(struct in *s, char buf[256])
{
	uint8_t n;

	if (get8(s, &n) || get(s, buf, n))
		return -1;
	buf[n] = '\0';
	return 0;
}

/* ---- what an import learns ---- */

struct block {
	char id[256];
	uint64_t used;
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
	/* where the head holds the capabilities subsection [caps_at, caps_end)
	 * (both 0 without one) and where the configuration ends */
	uint64_t caps_at, caps_end, config_end;
};

/* Configuration section and its subsections (only the known ones). */
static int read_configuration(struct in *s, struct qemu_file *q)
{
	uint32_t len, ver, count;
	uint8_t tag;
	char name[256];

	if (get32(s, &len))
		return -1;
	if (len > 255)
		return fail_at(s, "machine type longer than 255 bytes");
	if (get(s, q->machine, len))
		return -1;
	q->machine[len] = '\0';
	for (;;) {
		uint64_t at = s->pos;

		if (get8(s, &tag))
			return -1;
		if (tag != QEMU_VM_SUBSECTION) {
			q->config_end = at;
			break;
		}
		if (get_str(s, name) || get32(s, &ver))
			return -1;
		if (!strcmp(name, "configuration/capabilities")) {
			q->caps_at = at;
			if (get32(s, &count) || count > 64)
				return -1;
			for (uint32_t i = 0; i < count; i++) {
				if (get_str(s, name))
					return -1;
				if (!strcmp(name, "mapped-ram"))
					q->mapped_ram = 1;
				snprintf(q->caps + strlen(q->caps),
					 sizeof(q->caps) - strlen(q->caps),
					 "%s%s", *q->caps ? "," : "", name);
				if (!strcmp(name, "x-ignore-shared") ||
				    !strcmp(name, "postcopy-ram"))
					return fail_at(s, "the stream uses a "
						       "capability FRC cannot "
						       "represent");
			}
			q->caps_end = s->pos;
		} else if (!strcmp(name, "configuration/target-page-bits")) {
			uint32_t bits;

			if (get32(s, &bits) || bits < 9 || bits > 24)
				return fail_at(s, "bad target-page-bits");
			q->page_size = 1u << bits;
		} else {
			char msg[400];

			snprintf(msg, sizeof(msg), "unknown configuration "
				 "subsection '%s'", name);
			return fail_at(s, msg);
		}
	}
	/* The byte read last is the next section type: it must be ram's START. */
	if (tag != QEMU_VM_SECTION_START)
		return fail_at(s, "expected the ram section to start here");
	return 0;
}

/* START header of the ram section and MEM_SIZE: where the head ends. */
static int read_ram_header(struct in *s, struct qemu_file *q)
{
	uint32_t inst, ver;
	uint64_t v;
	char id[256];

	if (get32(s, &q->ram_id) || get_str(s, id) || get32(s, &inst) ||
	    get32(s, &ver))
		return -1;
	if (strcmp(id, "ram"))
		return fail_at(s, "the first iterable section is not 'ram' "
			       "(other iterable sections are not supported)");
	if (get64(s, &v))
		return -1;
	if ((v & RAM_FLAG_MASK) != RAM_MEM_SIZE)
		return fail_at(s, "expected the RAM size record");
	q->mem_size = v & ~(uint64_t)RAM_FLAG_MASK;
	return 0;
}

/* The head: stream header, configuration, ram START and MEM_SIZE. */
static int read_head(struct in *s, struct qemu_file *q)
{
	uint8_t magic[8], tag;

	if (get(s, magic, 8))
		return -1;
	/* be32 QEVM magic, be32 version 3 */
	if (memcmp(magic, "QEVM\0\0\0\x03", 8) != 0)
		return fail_at(s, "not a QEMU migration stream version 3");
	if (get8(s, &tag) || tag != QEMU_VM_CONFIGURATION)
		return fail_at(s, "expected the configuration section");
	return read_configuration(s, q) || read_ram_header(s, q) ? -1 : 0;
}

/* The block list after MEM_SIZE (and, for mapped-ram, their headers). */
static int read_ram_blocks(struct in *s, struct qemu_file *q)
{
	uint64_t sum = 0;

	while (sum < q->mem_size) {
		struct block *b = &q->blocks[q->nblocks];

		if (q->nblocks == MAX_BLOCKS)
			return fail_at(s, "too many RAM blocks");
		if (get_str(s, b->id) || get64(s, &b->used))
			return -1;
		if (!b->used || b->used % q->page_size || b->used > q->mem_size)
			return fail_at(s, "RAM block length is not a multiple "
				       "of the page size");
		if (q->mapped_ram) {
			uint32_t hver;
			uint64_t psize;

			if (get32(s, &hver) || get64(s, &psize) ||
			    get64(s, &b->bitmap_offset) ||
			    get64(s, &b->pages_offset))
				return -1;
			if (hver != 1 || psize != q->page_size)
				return fail_at(s, "unsupported mapped-ram header");
			if (in_seek(s, b->pages_offset + b->used))
				return fail_at(s, "mapped-ram input must be a "
					       "seekable file");
		}
		sum += b->used;
		q->nblocks++;
	}
	if (sum != q->mem_size)
		return fail_at(s, "RAM block lengths do not add up to the "
			       "RAM size");
	return 0;
}

static int find_block(struct qemu_file *q, const char *id)
{
	for (unsigned i = 0; i < q->nblocks; i++)
		if (!strcmp(q->blocks[i].id, id))
			return (int)i;
	return -1;
}

/*
 * Pages on their way to the writer: the parser fills one batch while the
 * relay's worker checksums and writes the one before (tools/relay.h). A
 * batch holds pages of one region with rising indices, so that it never
 * names a page twice and its runs go out as single writes.
 */
#define BATCH_PAGES 1024u
#define NBATCH 2

struct batch {
	struct relay_job job;
	frc_writer_t *w;
	uint32_t region;
	uint64_t n, slots; /* pages, staging slots used */
	uint64_t idx[BATCH_PAGES];
	const void *pg[BATCH_PAGES];
	uint8_t *staging; /* BATCH_PAGES pages, aligned for O_DIRECT */
};

struct importer {
	struct relay rl;
	struct batch b[NBATCH];
	unsigned cur;     /* the batch being filled */
	int submitted[NBATCH];
	uint32_t page_size;
	uint8_t *zero;    /* one zero page */
};

static int batch_run(void *ctx, struct relay_job *job)
{
	struct batch *b = (struct batch *)job;

	(void)ctx;
	if (frc_writer_write_batch(b->w, b->region, b->n, b->idx, b->pg)) {
		tool_err("%s", frc_writer_errmsg(b->w));
		return -1;
	}
	return 0;
}

static int importer_init(struct importer *im, frc_writer_t *w,
			 uint32_t page_size)
{
	memset(im, 0, sizeof(*im));
	im->page_size = page_size;
	im->zero = calloc(1, page_size);
	for (unsigned i = 0; i < NBATCH; i++) {
		im->b[i].w = w;
		if (posix_memalign((void **)&im->b[i].staging, 4096,
				   (size_t)BATCH_PAGES * page_size))
			im->b[i].staging = NULL;
		if (!im->b[i].staging)
			return -1;
	}
	if (!im->zero || relay_start(&im->rl, batch_run, NULL))
		return -1;
	return 0;
}

/* Hands the batch being filled to the worker and takes the other one. */
static int importer_flush(struct importer *im)
{
	struct batch *b = &im->b[im->cur];

	if (b->n) {
		relay_submit(&im->rl, &b->job);
		im->submitted[im->cur] = 1;
		im->cur = (im->cur + 1) % NBATCH;
		b = &im->b[im->cur];
	}
	if (im->submitted[im->cur]) {
		im->submitted[im->cur] = 0;
		if (relay_wait(&im->rl, &b->job))
			return -1;
	}
	b->n = b->slots = 0;
	return 0;
}

/*
 * Places for pages [first, first+k) of `region` (k <= BATCH_PAGES) in the
 * batch being filled: *dst = NULL for pages known to be zero (nothing to
 * copy), else k consecutive staging slots to fill.
 */
static int importer_reserve(struct importer *im, uint32_t region,
			    uint64_t first, uint64_t k, int zero,
			    uint8_t **dst)
{
	struct batch *b = &im->b[im->cur];

	if (b->n && (b->region != region || first <= b->idx[b->n - 1] ||
		     b->n + k > BATCH_PAGES ||
		     (!zero && b->slots + k > BATCH_PAGES))) {
		if (importer_flush(im))
			return -1;
		b = &im->b[im->cur];
	}
	b->region = region;
	*dst = zero ? NULL : b->staging + b->slots * (size_t)im->page_size;
	for (uint64_t i = 0; i < k; i++) {
		b->idx[b->n] = first + i;
		b->pg[b->n++] = zero ? im->zero : *dst + i * im->page_size;
	}
	if (!zero)
		b->slots += k;
	return 0;
}

static int importer_add(struct importer *im, uint32_t region, uint64_t page,
			int zero, uint8_t **slot)
{
	return importer_reserve(im, region, page, 1, zero, slot);
}

/* Waits for every batch; returns -1 if any failed. */
static int importer_finish(struct importer *im)
{
	int rc = importer_flush(im);

	for (unsigned i = 0; i < NBATCH; i++)
		if (im->submitted[i]) {
			im->submitted[i] = 0;
			if (relay_wait(&im->rl, &im->b[i].job))
				rc = -1;
		}
	return rc;
}

static void importer_free(struct importer *im)
{
	for (unsigned i = 0; i < NBATCH; i++)
		if (im->submitted[i])
			relay_wait(&im->rl, &im->b[i].job);
	relay_stop(&im->rl);
	for (unsigned i = 0; i < NBATCH; i++)
		free(im->b[i].staging);
	free(im->zero);
}

/* Page records up to EOS; pages go straight to their FRC slots. */
static int read_ram_records(struct in *s, struct qemu_file *q,
			    struct importer *im, int *current)
{
	for (;;) {
		uint64_t v, addr;
		unsigned flags;
		uint8_t fill, *slot;
		char id[256];

		note_record(s->pos, "ram-record");
		if (get64(s, &v))
			return -1;
		flags = v & RAM_FLAG_MASK;
		addr = v & ~(uint64_t)RAM_FLAG_MASK;
		if (flags & RAM_EOS) {
			if (v != RAM_EOS)
				return fail_at(s, "bad end-of-section record");
			return 0;
		}
		if (flags & RAM_MULTIFD_FLUSH)
			continue;
		if (flags & (RAM_XBZRLE | RAM_COMPRESS | RAM_HOOK | RAM_MEM_SIZE))
			return fail_at(s, "compressed, XBZRLE or hooked RAM "
				       "records cannot be represented");
		if (!(flags & RAM_CONTINUE)) {
			if (get_str(s, id))
				return -1;
			*current = find_block(q, id);
			if (*current < 0)
				return fail_at(s, "page of an unknown RAM block");
		}
		if (*current < 0 || addr % q->page_size ||
		    addr >= q->blocks[*current].used)
			return fail_at(s, "page record outside its RAM block");
		if (!im)
			return fail_at(s, "a page record where none may be");
		if (flags & RAM_ZERO) {
			if (get8(s, &fill) ||
			    importer_add(im, (uint32_t)*current,
					 addr / q->page_size, !fill, &slot))
				return -1;
			if (slot)
				memset(slot, fill, q->page_size);
		} else if (flags & RAM_PAGE) {
			if (importer_add(im, (uint32_t)*current,
					 addr / q->page_size, 0, &slot) ||
			    get(s, slot, q->page_size))
				return -1;
		} else {
			return fail_at(s, "unknown RAM record");
		}
	}
}

static int expect_footer(struct in *s, uint32_t id)
{
	uint8_t tag;
	uint32_t got;

	if (get8(s, &tag) || get32(s, &got))
		return -1;
	if (tag != QEMU_VM_SECTION_FOOTER || got != id)
		return fail_at(s, "bad section footer");
	return 0;
}

/* Appends a QEMU_VM_COMMAND record (tag already read) to q->commands. */
static int read_command(struct in *s, struct qemu_file *q)
{
	uint8_t hdr[5] = { QEMU_VM_COMMAND };
	uint8_t *g;
	uint16_t len;

	if (get(s, hdr + 1, 4))
		return -1;
	len = (uint16_t)(hdr[3] << 8 | hdr[4]);
	/* return path (1), ping (2) and switchover start (11) are kept; the
	 * postcopy, package and COLO commands (3-10) change how RAM arrives */
	{
		unsigned cmd = (unsigned)(hdr[1] << 8 | hdr[2]);

		if (cmd != 1 && cmd != 2 && cmd != 11)
			return fail_at(s, "postcopy or packaged stream "
				       "(QEMU_VM_COMMAND other than ping and "
				       "switchover) cannot be represented");
	}
	g = realloc(q->commands, q->ncommands + 5 + len);
	if (!g)
		return fail_at(s, "out of memory");
	q->commands = g;
	memcpy(g + q->ncommands, hdr, 5);
	if (get(s, g + q->ncommands + 5, len))
		return -1;
	q->ncommands += 5 + len;
	return 0;
}

#define BITMAP_PIECE 65536u

/*
 * One block's pages of a mapped-ram file, by its bitmap read piecewise:
 * every run of present pages read with one pread per batch.
 */
static int read_mapped_block(struct in *s, struct qemu_file *q, unsigned i,
			     struct importer *im, uint8_t *bm)
{
	struct block *b = &q->blocks[i];
	uint64_t pages = b->used / q->page_size, bytes = (pages + 63) / 64 * 8;

	for (uint64_t at = 0; at < bytes; at += BITMAP_PIECE) {
		size_t n = bytes - at < BITMAP_PIECE ? (size_t)(bytes - at)
						     : BITMAP_PIECE;
		uint64_t end = (at + n) * 8 < pages ? (at + n) * 8 : pages;

		if (pread(s->fd, bm, n, (off_t)(b->bitmap_offset + at)) !=
		    (ssize_t)n) {
			s->pos = b->bitmap_offset + at;
			return fail_at(s, "cannot read the mapped-ram bitmap "
				       "(the file ends or cannot be read)");
		}
		for (uint64_t p = at * 8; p < end;) {
			uint64_t k = 0;
			uint8_t *dst;
			size_t len;

			while (p + k < end && k < BATCH_PAGES &&
			       (bm[(p + k) / 8 - at] >> ((p + k) % 8) & 1))
				k++;
			if (!k) {
				p++;
				continue;
			}
			len = (size_t)k * q->page_size;
			if (importer_reserve(im, i, p, k, 0, &dst))
				return -1;
			if (pread(s->fd, dst, len,
				  (off_t)(b->pages_offset + p * q->page_size)) !=
			    (ssize_t)len) {
				s->pos = b->pages_offset + p * q->page_size;
				return fail_at(s, "mapped-ram page beyond the "
					       "end of the file");
			}
			p += k;
		}
	}
	return 0;
}

/* mapped-ram: every block's pages, by its bitmap (LE u64 words). */
static int read_mapped_pages(struct in *s, struct qemu_file *q,
			     struct importer *im)
{
	uint8_t *bm = malloc(BITMAP_PIECE);
	int rc = 0;

	if (!bm)
		return fail_at(s, "out of memory");
	for (unsigned i = 0; i < q->nblocks && !rc; i++)
		rc = read_mapped_block(s, q, i, im, bm);
	free(bm);
	return rc;
}

/*
 * After the RAM of the START section (and its EOS): its footer, then the
 * PART sections, commands and the END section; stops after END. With no
 * importer (im NULL) no page record may come.
 */
static int read_ram_rest(struct in *s, struct qemu_file *q,
			 struct importer *im, int *current)
{
	if (expect_footer(s, q->ram_id))
		return -1;
	for (;;) {
		uint8_t tag;
		uint32_t id;

		note_record(s->pos, "section");
		if (get8(s, &tag))
			return -1;
		if (tag == QEMU_VM_COMMAND) {
			if (read_command(s, q))
				return -1;
			continue;
		}
		if (tag != QEMU_VM_SECTION_PART && tag != QEMU_VM_SECTION_END)
			return fail_at(s, "a non-RAM section before the RAM "
				       "ended (postcopy or other iterable "
				       "sections are not supported)");
		if (get32(s, &id))
			return -1;
		if (id != q->ram_id)
			return fail_at(s, "an iterable section other than "
				       "'ram' (not supported)");
		if (read_ram_records(s, q, im, current) ||
		    expect_footer(s, q->ram_id))
			return -1;
		if (tag == QEMU_VM_SECTION_END)
			return 0;
	}
}

static int expect_eos(struct in *s)
{
	uint64_t v;

	if (get64(s, &v))
		return -1;
	return v == RAM_EOS ? 0 : fail_at(s, "expected EOS after the "
					  "mapped-ram blocks");
}

/* The RAM sections after START: PART, COMMAND, END; stops after END. */
static int read_ram_sections(struct in *s, struct qemu_file *q,
			     struct importer *im)
{
	int current = -1;

	if (q->mapped_ram ? read_mapped_pages(s, q, im) || expect_eos(s)
			  : read_ram_records(s, q, im, &current))
		return -1;
	return read_ram_rest(s, q, im, &current);
}

/*
 * The stream's end must be a QEMU_VM_EOF followed by the VMDESCRIPTION
 * (be32 length + JSON running to the end), so that a truncated stream is
 * never taken for a complete one. Checked as the tail streams by: every
 * place where a description could start is remembered with the length at
 * which it would end the stream.
 */
struct tail_scan {
	uint64_t n;
	uint8_t first, last, win[7];
	uint64_t *ends; /* stream lengths at which a description would end */
	size_t nends, cap;
	int overflow;
};

static void tail_note_end(struct tail_scan *t, uint64_t end)
{
	size_t k = 0;

	for (size_t i = 0; i < t->nends; i++) /* forget the passed ones */
		if (t->ends[i] >= t->n)
			t->ends[k++] = t->ends[i];
	t->nends = k;
	if (t->nends == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		uint64_t *g = cap <= (1u << 20) ? realloc(t->ends, cap * 8) : NULL;

		if (!g) {
			t->overflow = 1;
			return;
		}
		t->ends = g;
		t->cap = cap;
	}
	t->ends[t->nends++] = end;
}

static void tail_feed(struct tail_scan *t, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (t->n == 0)
			t->first = p[i];
		memmove(t->win, t->win + 1, 6);
		t->win[6] = p[i];
		t->last = p[i];
		t->n++;
		/* EOF, VMDESCRIPTION (0x06), be32 length, '{' */
		if (t->n >= 7 && t->win[0] == QEMU_VM_EOF && t->win[1] == 0x06 &&
		    t->win[6] == '{') {
			uint32_t l = (uint32_t)t->win[2] << 24 |
				     (uint32_t)t->win[3] << 16 |
				     (uint32_t)t->win[4] << 8 | t->win[5];

			if (l > 1)
				tail_note_end(t, t->n - 1 + l);
		}
	}
}

static int tail_complete(const struct tail_scan *t)
{
	/* device state starts with a full section, a command, or the end */
	if (!t->n || (t->first != QEMU_VM_SECTION_FULL &&
		      t->first != QEMU_VM_COMMAND && t->first != QEMU_VM_EOF))
		return 0;
	for (size_t i = 0; i < t->nends; i++)
		if (t->ends[i] == t->n && t->last == '}')
			return 1;
	return t->last == QEMU_VM_EOF; /* no description */
}

/* Everything after the RAM, verbatim, streamed into a section. */
static int read_tail(struct in *s, frc_writer_t *w)
{
	struct tail_scan t;
	uint8_t *buf = malloc(1 << 20);
	int rc = -1;

	memset(&t, 0, sizeof(t));
	if (!buf)
		return fail_at(s, "out of memory");
	/* w NULL: the tail is only checked (a save sealed in place) */
	if (w && frc_writer_section_begin(w, FRC_SECTION_QEMU, 0,
					  "qemu-stream-tail")) {
		tool_err("%s", frc_writer_errmsg(w));
		goto out;
	}
	for (;;) {
		size_t got = in_read(s, buf, 1 << 20);

		if (got == 0)
			break;
		tail_feed(&t, buf, got);
		if (w && frc_writer_section_append(w, buf, got)) {
			tool_err("%s", frc_writer_errmsg(w));
			goto out;
		}
		s->pos += got;
	}
	if (s->err) {
		fail_at(s, "cannot read the device state");
	} else if (t.overflow || !tail_complete(&t)) {
		fail_at(s, "the stream ends without QEMU_VM_EOF and its device "
			"description (truncated)");
	} else if (w && frc_writer_section_end(w)) {
		tool_err("%s", frc_writer_errmsg(w));
	} else {
		rc = 0;
	}
out:
	free(t.ends);
	free(buf);
	return rc;
}

/* The metadata of a file made from QEMU (SPEC §9.4). */
static int set_qemu_metadata(frc_writer_t *w, const struct qemu_file *q)
{
	char val[32];

	snprintf(val, sizeof(val), "%u", q->ram_id);
	if (frc_writer_set_metadata(w, "hypervisor", "qemu") ||
	    frc_writer_set_metadata(w, "source-format",
				    q->mapped_ram ? "qemu-mapped-ram"
						  : "qemu-stream") ||
	    frc_writer_set_metadata(w, "machine-type", q->machine) ||
	    frc_writer_set_metadata(w, "qemu.stream-version", "3") ||
	    frc_writer_set_metadata(w, "qemu.ram-section-id", val) ||
	    frc_writer_set_metadata(w, "qemu.capabilities", q->caps)) {
		tool_err("%s", frc_writer_errmsg(w));
		return -1;
	}
	return 0;
}

static int import_to_frc(struct in *s, struct qemu_file *q, frc_writer_t *w)
{
	uint8_t *head = NULL;
	struct importer im;
	size_t nhead = 0;
	int rc = -1;

	s->capture = 1;
	if (read_head(s, q))
		return -1;
	s->capture = 0; /* the head ends after MEM_SIZE */
	if (read_ram_blocks(s, q))
		return -1;
	for (unsigned i = 0; i < q->nblocks; i++)
		if (frc_writer_add_region(w, q->blocks[i].id, q->blocks[i].used,
					  q->page_size, NULL)) {
			tool_err("%s", frc_writer_errmsg(w));
			return -1;
		}
	/* the head is complete; a mapped-ram file's RAM framing after the
	 * pages is kept verbatim as its "commands" */
	head = s->cap;
	nhead = s->caplen;
	s->cap = NULL;
	s->caplen = s->capcap = 0;
	s->capture = q->mapped_ram;
	if (importer_init(&im, w, q->page_size)) {
		fail_at(s, "out of memory or threads");
		goto out;
	}
	rc = read_ram_sections(s, q, &im);
	if (importer_finish(&im))
		rc = -1;
	if (rc)
		goto out;
	rc = -1;
	if (q->mapped_ram) {
		free(q->commands);
		q->commands = s->cap;
		q->ncommands = s->caplen;
		s->cap = NULL;
		s->capture = 0;
	}
	if (frc_writer_add_section(w, FRC_SECTION_QEMU, 0, "qemu-stream-head",
				   head, nhead) ||
	    frc_writer_add_section(w, FRC_SECTION_QEMU, 0,
				   "qemu-stream-commands", q->commands,
				   q->ncommands)) {
		tool_err("%s", frc_writer_errmsg(w));
		goto out;
	}
	if (set_qemu_metadata(w, q))
		goto out;
	note_record(s->pos, "device-state");
	if (read_tail(s, w))
		goto out;
	rc = 0;
out:
	importer_free(&im);
	free(head);
	return rc;
}

int cmd_import_qemu(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "force", no_argument, NULL, 'f' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "list-records", no_argument, NULL, 'L' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const char usage[] =
		"usage: frc import-qemu [-f] [-q] [--list-records] IN OUT.frc\n"
		"\n"
		"Reads a QEMU migration file (the sequential stream, or a\n"
		"mapped-ram file), from a file or from standard input ('-'), and\n"
		"writes it as an FRC container: every RAM block a region, all\n"
		"other state kept verbatim. For a live save into FRC:\n"
		"  (qemu) migrate \"exec:frc import-qemu - vm.frc\"\n"
		"  -f, --force   replace OUT.frc if it exists\n"
		"  -q, --quiet   print nothing but errors\n"
		"  --list-records  also print the offset of every record\n";
	frc_writer_options_t o;
	struct outfile of;
	struct qemu_file q;
	struct in s;
	frc_writer_t *w;
	const char *in, *out, *inputs[2] = { NULL, NULL };
	uint64_t size;
	int c, quiet = 0, force = 0, rc;

	memset(&o, 0, sizeof(o));
	while ((c = getopt_long(argc, argv, "fqh", longopts, NULL)) != -1) {
		switch (c) {
		case 'f': force = 1; break;
		case 'q': quiet = 1; break;
		case 'L': list_records = 1; break;
		case 'h': fputs(usage, stdout); return 0;
		default: fputs(usage, stderr); return 1;
		}
	}
	if (optind != argc - 2) {
		fputs(usage, stderr);
		return 1;
	}
	in = argv[optind];
	out = argv[optind + 1];
	memset(&s, 0, sizeof(s));
	memset(&q, 0, sizeof(q));
	q.page_size = 4096; /* TARGET_PAGE_SIZE unless the stream says */
	s.name = strcmp(in, "-") ? in : "(standard input)";
	inputs[0] = in;
	/* The output first: a refused OUT costs the stream nothing. */
	if (outfile_open(&of, out, force, OUT_SEEKABLE, inputs))
		return 1;
	s.fd = infile_open(in, &size);
	s.buf = s.fd < 0 ? NULL : malloc(IN_BUF);
	if (!s.buf) {
		if (s.fd >= 0)
			tool_err("out of memory");
		outfile_abort(&of);
		if (s.fd > STDIN_FILENO)
			close(s.fd);
		return 1;
	}
	/* a larger pipe lets QEMU run ahead of the parser */
	(void)fcntl(s.fd, F_SETPIPE_SZ, (int)IN_BUF);
	o.generator = "frc import-qemu " FRC_LIB_VERSION_STRING;
	o.direct = 1; /* pages bypass the page cache where the file allows */
	w = frc_writer_new();
	rc = w ? frc_writer_open_fd(w, of.fd, out, &o, sizeof(o)) : FRC_E_NOMEM;
	if (rc)
		tool_err("%s", w ? frc_writer_errmsg(w) : "out of memory");
	else if ((rc = import_to_frc(&s, &q, w)) == 0 &&
		 (rc = frc_writer_commit(w, NULL, NULL)) != 0)
		tool_err("%s", frc_writer_errmsg(w));
	frc_writer_free(w);
	if (rc == 0)
		rc = outfile_commit(&of);
	outfile_abort(&of); /* a failed import leaves nothing behind */
	if (!rc && !quiet)
		fprintf(stderr, "frc: imported %u RAM blocks (%s, %s) into %s\n",
			q.nblocks, q.mapped_ram ? "mapped-ram" : "stream",
			q.machine, out);
	if (s.fd > STDIN_FILENO)
		close(s.fd);
	free(s.buf);
	free(s.cap);
	free(q.commands);
	return rc ? 1 : 0;
}

/* ---- export ---- */

/*
 * The export's output: every byte goes through a 1 MiB buffer to the
 * output policy's writer (outfile.c), which names the output and the
 * offset of any failure.
 */
#define OUT_BUF (1u << 20)

struct out_stream {
	struct outfile *f;
	uint64_t pos; /* logical position: where the next byte goes */
	uint8_t *buf;
	size_t fill;  /* buffered bytes, which start at pos - fill */
};

static int flush_out(struct out_stream *o)
{
	int rc = o->fill ? outfile_write(o->f, o->buf, o->fill, o->pos - o->fill)
			 : 0;

	o->fill = 0;
	return rc;
}

static int put(struct out_stream *o, const void *p, size_t n)
{
	if (!n)
		return 0; /* p may be NULL then */
	if (o->fill + n > OUT_BUF && flush_out(o))
		return -1;
	if (n >= OUT_BUF) {
		o->pos += n;
		return outfile_write(o->f, p, n, o->pos - n);
	}
	memcpy(o->buf + o->fill, p, n);
	o->fill += n;
	o->pos += n;
	return 0;
}

static int put8(struct out_stream *o, uint8_t v)
{
	return put(o, &v, 1);
}

static int put32(struct out_stream *o, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16),
			 (uint8_t)(v >> 8), (uint8_t)v };

	return put(o, b, 4);
}

static int put64(struct out_stream *o, uint64_t v)
{
	return put32(o, (uint32_t)(v >> 32)) || put32(o, (uint32_t)v);
}

static int put_str(struct out_stream *o, const char *s)
{
	size_t n = strlen(s);

	return put8(o, (uint8_t)n) || put(o, s, n);
}

/* The index of the QEMU section `name`, or -1 (message printed). */
static int64_t section_named(frc_reader_t *r, const char *name)
{
	for (uint32_t i = 0; i < frc_reader_section_count(r); i++) {
		frc_section_info_t s;

		frc_reader_section(r, i, &s, sizeof(s));
		if (s.type == FRC_SECTION_QEMU && !strcmp(s.name, name))
			return i;
	}
	tool_err("no '%s' section: not imported from QEMU", name);
	return -1;
}

static int put_piece(void *ctx, const void *data, size_t len, uint64_t off)
{
	(void)off;
	return put(ctx, data, len);
}

/* A kept section, streamed to the output (verified as it goes). */
static int put_section(frc_reader_t *r, struct out_stream *o, int64_t idx)
{
	int rc = frc_reader_read_section_stream(r, (uint32_t)idx, put_piece, o);

	if (rc && rc != FRC_E_CANCELED) /* canceled: put() said why */
		tool_err("%s", frc_reader_errmsg(r));
	return rc ? -1 : 0;
}

/*
 * Pages on their way out: the relay's worker reads and verifies the next
 * chunks of a region (tools/relay.h) while the caller writes out the one
 * before. Each chunk knows which of its pages are present.
 */
#define CHUNK_PAGES 1024u
#define NCHUNK 4
#define CHUNK_WORKERS 2 /* reading and verifying chunks side by side */

struct chunk {
	struct relay_job job;
	frc_reader_t *r;
	uint32_t region;
	uint64_t first, n;
	uint64_t present[CHUNK_PAGES / 64];
	int any;       /* some page of the chunk is present */
	uint8_t *data; /* CHUNK_PAGES pages, aligned for O_DIRECT */
};

static int chunk_present(const struct chunk *c, uint64_t k)
{
	return c->present[k / 64] >> (k % 64) & 1;
}

static int chunk_run(void *ctx, struct relay_job *job)
{
	struct chunk *c = (struct chunk *)job;
	uint64_t from = c->first, end = c->first + c->n, f, cnt;

	(void)ctx;
	memset(c->present, 0, sizeof(c->present));
	c->any = 0;
	while (from < end) {
		if (frc_reader_next_run(c->r, c->region, from, &f, &cnt))
			goto fail;
		if (!cnt || f >= end)
			break;
		for (uint64_t p = f; p < f + cnt && p < end; p++)
			c->present[(p - c->first) / 64] |=
				UINT64_C(1) << ((p - c->first) % 64);
		c->any = 1;
		from = f + cnt;
	}
	if (c->any && frc_reader_read_pages(c->r, c->region, c->first, c->n,
					    c->data))
		goto fail;
	return 0;
fail:
	tool_err("%s", frc_reader_errmsg(c->r));
	return -1;
}

/*
 * Calls emit() on every chunk of region i in order, CHUNK_PAGES pages at a
 * time, read ahead by the worker. With `sparse`, chunks without a present
 * page are skipped (emit never sees them).
 */
static int for_each_chunk(frc_reader_t *r, uint32_t i, int sparse,
			  int (*emit)(void *, const struct chunk *), void *ctx)
{
	struct chunk c[NCHUNK];
	struct relay rl[CHUNK_WORKERS];
	frc_region_info_t g;
	uint64_t next = 0;
	unsigned issued = 0, done = 0, started = 0;
	int rc = 0;

	frc_reader_region(r, i, &g, sizeof(g));
	memset(c, 0, sizeof(c));
	for (unsigned k = 0; k < NCHUNK; k++)
		if (posix_memalign((void **)&c[k].data, 4096,
				   (size_t)CHUNK_PAGES * g.page_size))
			rc = -1;
	while (!rc && started < CHUNK_WORKERS)
		if (relay_start(&rl[started], chunk_run, NULL))
			rc = -1;
		else
			started++;
	if (rc) {
		tool_err("out of memory or threads");
		for (unsigned k = 0; k < started; k++)
			relay_stop(&rl[k]);
		for (unsigned k = 0; k < NCHUNK; k++)
			free(c[k].data);
		return -1;
	}
	for (;;) {
		/* keep NCHUNK chunks read ahead */
		while (!rc && issued - done < NCHUNK && next < g.page_count) {
			struct chunk *ck = &c[issued % NCHUNK];

			if (sparse) {
				uint64_t f, cnt;

				if (frc_reader_next_run(r, i, next, &f, &cnt)) {
					tool_err("%s", frc_reader_errmsg(r));
					rc = -1;
					break;
				}
				if (!cnt)
					break;
				next = f > next ? f / CHUNK_PAGES * CHUNK_PAGES
						: next;
			}
			ck->r = r;
			ck->region = i;
			ck->first = next;
			ck->n = g.page_count - next < CHUNK_PAGES
					? g.page_count - next : CHUNK_PAGES;
			next += ck->n;
			/* chunks alternate between the workers; each runs
			 * its own in order, so they finish in order */
			relay_submit(&rl[issued % CHUNK_WORKERS], &ck->job);
			issued++;
		}
		if (done == issued)
			break;
		if (relay_wait(&rl[done % CHUNK_WORKERS], &c[done % NCHUNK].job) ||
		    (!rc && emit(ctx, &c[done % NCHUNK])))
			rc = -1;
		done++;
	}
	for (unsigned k = 0; k < CHUNK_WORKERS; k++)
		relay_stop(&rl[k]);
	for (unsigned k = 0; k < NCHUNK; k++)
		free(c[k].data);
	return rc;
}

struct records {
	struct out_stream *o;
	const char *id;
	uint32_t page_size;
};

/* Stream records of a chunk: PAGE or ZERO for every page. */
static int put_chunk_records(void *ctx, const struct chunk *c)
{
	struct records *rec = ctx;

	for (uint64_t k = 0; k < c->n; k++) {
		uint64_t p = c->first + k;
		int present = c->any && chunk_present(c, k);
		uint64_t v = p * rec->page_size |
			     (present ? RAM_PAGE : RAM_ZERO) |
			     (p ? RAM_CONTINUE : 0);

		if (put64(rec->o, v) || (!p && put_str(rec->o, rec->id)) ||
		    (present ? put(rec->o, c->data + k * rec->page_size,
				   rec->page_size)
			     : put8(rec->o, 0)))
			return -1;
	}
	return 0;
}

/* Stream records of one region: PAGE or ZERO for every page. */
static int put_region_records(frc_reader_t *r, uint32_t i,
			      struct out_stream *o)
{
	frc_region_info_t g;
	struct records rec;

	frc_reader_region(r, i, &g, sizeof(g));
	rec.o = o;
	rec.id = g.id;
	rec.page_size = g.page_size;
	return for_each_chunk(r, i, 0, put_chunk_records, &rec);
}

static int put_stream_ram(frc_reader_t *r, struct out_stream *o,
			  uint32_t ram_id)
{
	for (uint32_t i = 0; i < frc_reader_region_count(r); i++) {
		frc_region_info_t g;

		frc_reader_region(r, i, &g, sizeof(g));
		if (put_str(o, g.id) || put64(o, g.used_length))
			return -1;
	}
	if (put64(o, RAM_EOS) || put8(o, QEMU_VM_SECTION_FOOTER) ||
	    put32(o, ram_id))
		return -1;
	/* every page in one PART section */
	if (put8(o, QEMU_VM_SECTION_PART) || put32(o, ram_id))
		return -1;
	for (uint32_t i = 0; i < frc_reader_region_count(r); i++)
		if (put_region_records(r, i, o))
			return -1;
	return put64(o, RAM_EOS) || put8(o, QEMU_VM_SECTION_FOOTER) ||
	       put32(o, ram_id);
}

/*
 * One region's mapped-ram bitmap (LE u64 words, bit p = page p), built and
 * written a piece at a time from the runs of present pages; all-zero
 * pieces are left as holes of the new file.
 */
static int put_mapped_bitmap(frc_reader_t *r, uint32_t i, struct out_stream *o,
			     uint64_t bitmap_off, uint64_t bytes, uint8_t *bm)
{
	frc_region_info_t g;
	uint64_t first = 0, count = 0, from = 0;

	frc_reader_region(r, i, &g, sizeof(g));
	for (uint64_t at = 0; at < bytes; at += OUT_BUF) {
		size_t n = bytes - at < OUT_BUF ? (size_t)(bytes - at) : OUT_BUF;
		uint64_t lo = at * 8, hi = lo + (uint64_t)n * 8;
		int any = 0;

		memset(bm, 0, n);
		while (from < hi && from < g.page_count) {
			if (frc_reader_next_run(r, i, from, &first, &count))
				return -1;
			if (!count || first >= hi)
				break;
			for (uint64_t p = first; p < first + count && p < hi; p++)
				bm[(p - lo) / 8] |= (uint8_t)(1u << ((p - lo) % 8));
			any = 1;
			from = first + count < hi ? first + count : hi;
		}
		if (any && outfile_write(o->f, bm, n, bitmap_off + at))
			return -1;
	}
	return 0;
}

struct slots {
	struct outfile *f;
	uint64_t pages_off;
	uint32_t page_size;
};

/* mapped-ram: the present pages of a chunk, each run with one write. */
static int put_chunk_slots(void *ctx, const struct chunk *c)
{
	struct slots *sl = ctx;

	for (uint64_t k = 0; k < c->n;) {
		uint64_t run = 0;

		while (k + run < c->n && chunk_present(c, k + run))
			run++;
		if (!run) {
			k++;
			continue;
		}
		if (outfile_write(sl->f, c->data + k * sl->page_size,
				  run * sl->page_size,
				  sl->pages_off + (c->first + k) * sl->page_size))
			return -1;
		k += run;
	}
	return 0;
}

struct into_memory {
	const struct guestmem *m;
	uint32_t page_size;
};

/*
 * mapped-ram with --memory: the present pages of a chunk, verified, go
 * straight into the destination's guest RAM, each run with one write.
 */
static int put_chunk_memory(void *ctx, const struct chunk *c)
{
	struct into_memory *im = ctx;

	for (uint64_t k = 0; k < c->n;) {
		uint64_t run = 0, off;
		const uint8_t *p;
		size_t left;

		while (k + run < c->n && chunk_present(c, k + run))
			run++;
		if (!run) {
			k++;
			continue;
		}
		p = c->data + k * im->page_size;
		left = run * im->page_size;
		off = im->m->offset + (c->first + k) * im->page_size;
		while (left) {
			ssize_t w = pwrite(im->m->fd, p, left, (off_t)off);

			if (w <= 0 && !(w < 0 && errno == EINTR)) {
				tool_err("cannot write pages into '%s' at 0x%" PRIx64
					 ": %s", im->m->path, off,
					 w < 0 ? strerror(errno) : "nothing written");
				return -1;
			}
			if (w > 0) {
				p += w;
				left -= (size_t)w;
				off += (uint64_t)w;
			}
		}
		k += run;
	}
	return 0;
}

/*
 * mapped-ram: header, bitmap (LE u64 words) and pages at fixed places. A
 * block given with --memory gets its pages written into that memory and an
 * empty bitmap, so that QEMU loads everything else and keeps them.
 */
static int put_mapped_ram(frc_reader_t *r, struct out_stream *o,
			  struct guestmems *gm)
{
	for (uint32_t i = 0; i < frc_reader_region_count(r); i++) {
		frc_region_info_t g;
		struct slots sl;
		struct into_memory im;
		uint64_t bytes, bitmap_off, pages_off;
		int err;

		frc_reader_region(r, i, &g, sizeof(g));
		im.m = guestmem_open(gm, g.id, g.used_length, &err);
		im.page_size = g.page_size;
		if (err)
			return -1;
		bytes = (g.page_count + 63) / 64 * 8;
		if (put_str(o, g.id) || put64(o, g.used_length))
			return -1;
		bitmap_off = o->pos + 28;
		pages_off = (bitmap_off + bytes + MAPPED_RAM_ALIGN - 1) /
			    MAPPED_RAM_ALIGN * MAPPED_RAM_ALIGN;
		if (put32(o, 1) || put64(o, g.page_size) ||
		    put64(o, bitmap_off) || put64(o, pages_off) || flush_out(o))
			return -1;
		if (im.m) {
			if (for_each_chunk(r, i, 1, put_chunk_memory, &im))
				return -1;
		} else {
			/* o->buf is free while nothing is buffered */
			if (put_mapped_bitmap(r, i, o, bitmap_off, bytes, o->buf))
				return -1;
			sl.f = o->f;
			sl.pages_off = pages_off;
			sl.page_size = g.page_size;
			if (for_each_chunk(r, i, 1, put_chunk_slots, &sl))
				return -1;
		}
		o->pos = pages_off + g.used_length;
		if (ftruncate(o->f->fd, (off_t)o->pos) != 0) {
			tool_err("cannot write '%s': %s", o->f->name,
				 strerror(errno));
			return -1;
		}
	}
	return 0;
}

/* ---- conversion between the stream and mapped-ram ---- */

#define KEPT_MAX (16u << 20) /* a kept head or framing read into memory */

/* Input from bytes in memory (fd -1: nothing beyond them). */
static void in_memory(struct in *s, const char *name, uint8_t *p, size_t n)
{
	memset(s, 0, sizeof(*s));
	s->fd = -1;
	s->name = name;
	s->buf = p;
	s->end = n;
}

/* A kept section, verified, into memory (*p to be freed). */
static int load_section(frc_reader_t *r, int64_t idx, uint8_t **p, size_t *n)
{
	frc_section_info_t si;

	frc_reader_section(r, (uint32_t)idx, &si, sizeof(si));
	if (si.length > KEPT_MAX) {
		tool_err("section '%s' (%" PRIu64 " bytes) is too large to "
			 "convert", si.name, si.length);
		return -1;
	}
	*n = (size_t)si.length;
	*p = malloc(*n ? *n : 1);
	if (!*p) {
		tool_err("out of memory");
		return -1;
	}
	if (frc_reader_read_section(r, (uint32_t)idx, *p, *n)) {
		tool_err("%s", frc_reader_errmsg(r));
		free(*p);
		*p = NULL;
		return -1;
	}
	return 0;
}

/*
 * The kept head with its capabilities subsection rewritten for the other
 * format: "mapped-ram" listed when `mapped`, left out otherwise (QEMU
 * checks the list against its own capabilities); without any capability
 * the subsection is left out, as QEMU does.
 */
static int convert_head(frc_reader_t *r, int64_t idx, int mapped,
			struct out_stream *o)
{
	struct qemu_file q;
	struct in s;
	uint8_t *head, sub[600];
	size_t n, k = 0;
	uint32_t count = 0;
	uint64_t at, end;
	char caps[512], *save = NULL;
	int rc = -1;

	if (load_section(r, idx, &head, &n))
		return -1;
	memset(&q, 0, sizeof(q));
	q.page_size = 4096;
	in_memory(&s, "section 'qemu-stream-head'", head, n);
	if (read_head(&s, &q))
		goto out;
	if (s.pos != n) {
		fail_at(&s, "bytes after the RAM size record");
		goto out;
	}
	/* subsection: tag, name, version 1, count, the names */
	k = 1 + 1 + 26 + 4 + 4;
	snprintf(caps, sizeof(caps), "%s", q.caps);
	for (char *c = strtok_r(caps, ",", &save); c;
	     c = strtok_r(NULL, ",", &save)) {
		size_t l = strlen(c);

		if (!strcmp(c, "mapped-ram") || k + 1 + l + 12 > sizeof(sub))
			continue;
		sub[k++] = (uint8_t)l;
		memcpy(sub + k, c, l);
		k += l;
		count++;
	}
	if (mapped) {
		sub[k++] = 10;
		memcpy(sub + k, "mapped-ram", 10);
		k += 10;
		count++;
	}
	memcpy(sub, "\x05\x1a" "configuration/capabilities" "\0\0\0\x01", 32);
	sub[32] = (uint8_t)(count >> 24);
	sub[33] = (uint8_t)(count >> 16);
	sub[34] = (uint8_t)(count >> 8);
	sub[35] = (uint8_t)count;
	at = q.caps_end ? q.caps_at : q.config_end;
	end = q.caps_end ? q.caps_end : q.config_end;
	rc = put(o, head, (size_t)at) || (count && put(o, sub, k)) ||
	     put(o, head + end, n - (size_t)end) ? -1 : 0;
out:
	free(head);
	return rc;
}

/*
 * The QEMU_VM_COMMAND records of a mapped-ram file's kept framing (the
 * sections around its pages), for a stream.
 */
static int framing_commands(frc_reader_t *r, int64_t idx, uint32_t ram_id,
			    struct out_stream *o)
{
	struct qemu_file q;
	struct in s;
	uint8_t *framing;
	size_t n;
	int current = -1, rc = -1;

	if (load_section(r, idx, &framing, &n))
		return -1;
	memset(&q, 0, sizeof(q));
	q.ram_id = ram_id;
	in_memory(&s, "section 'qemu-stream-commands'", framing, n);
	if (expect_eos(&s) || read_ram_rest(&s, &q, NULL, &current))
		goto out;
	if (s.pos != n) {
		fail_at(&s, "bytes after the end of the RAM");
		goto out;
	}
	rc = put(o, q.commands, q.ncommands);
out:
	free(q.commands);
	free(framing);
	return rc;
}

/* ram's END section: its EOS and footer. */
static int put_ram_end(struct out_stream *o, uint32_t ram_id)
{
	return put8(o, QEMU_VM_SECTION_END) || put32(o, ram_id) ||
	       put64(o, RAM_EOS) || put8(o, QEMU_VM_SECTION_FOOTER) ||
	       put32(o, ram_id);
}

static int export_stream(frc_reader_t *r, struct out_stream *o, int mapped,
			 struct guestmems *gm)
{
	int64_t head = section_named(r, "qemu-stream-head");
	int64_t cmd = head < 0 ? -1 : section_named(r, "qemu-stream-commands");
	int64_t tail = cmd < 0 ? -1 : section_named(r, "qemu-stream-tail");
	const char *id = frc_reader_metadata_get(r, "qemu.ram-section-id");
	const char *src = frc_reader_metadata_get(r, "source-format");
	uint32_t ram_id = id ? (uint32_t)strtoul(id, NULL, 10) : 0;
	int same, rc;

	if (tail < 0)
		return -1;
	if (!id || !src) {
		tool_err("the file's metadata has no qemu.ram-section-id or "
			 "source-format: not imported from QEMU");
		return -1;
	}
	same = mapped == !strcmp(src, "qemu-mapped-ram");
	rc = same ? put_section(r, o, head) : convert_head(r, head, mapped, o);
	if (rc)
		return -1;
	if (mapped) {
		/* blocks, then the framing: kept verbatim at import, or
		 * built around a stream's commands */
		rc = put_mapped_ram(r, o, gm) ||
		     (same ? put_section(r, o, cmd)
			   : put64(o, RAM_EOS) ||
				     put8(o, QEMU_VM_SECTION_FOOTER) ||
				     put32(o, ram_id) || put_section(r, o, cmd) ||
				     put_ram_end(o, ram_id));
	} else {
		rc = put_stream_ram(r, o, ram_id) ||
		     (same ? put_section(r, o, cmd)
			   : framing_commands(r, cmd, ram_id, o)) ||
		     put_ram_end(o, ram_id);
	}
	return rc || put_section(r, o, tail) || flush_out(o) ? -1 : 0;
}

int cmd_export_qemu(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "format", required_argument, NULL, 'F' },
		{ "force", no_argument, NULL, 'f' },
		{ "memory", required_argument, NULL, 'M' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const char usage[] =
		"usage: frc export-qemu [--format=stream|mapped-ram] [-f]\n"
		"                       [--memory=ID=PATH[@OFF]]... IN.frc OUT\n"
		"\n"
		"Writes a container imported from QEMU back as a QEMU migration\n"
		"file (every page checksum-verified on the way): a sequential\n"
		"stream, to a file or standard output ('-'), or a mapped-ram\n"
		"file. The format defaults to the one it was imported from.\n"
		"To restore a VM:  qemu-system-... -incoming \"exec:frc "
		"export-qemu vm.frc -\"\n"
		"  --memory=ID=PATH[@OFF]  (mapped-ram) RAM block ID's pages,\n"
		"          verified, are written into PATH from byte OFF on: the\n"
		"          fresh destination QEMU's RAM (/proc/PID/mem at the\n"
		"          block's HVA from `info ramblock`); OUT then gives that\n"
		"          block an empty bitmap, so QEMU loads only the rest\n";
	struct out_stream o = { NULL, 0, NULL, 0 };
	struct outfile of = { .fd = -1 };
	const char *format = NULL, *inputs[2] = { NULL, NULL };
	struct guestmems gm;
	frc_reader_t *r;
	int c, force = 0, rc = -1, mapped;

	memset(&gm, 0, sizeof(gm));
	gm.writable = 1;
	while ((c = getopt_long(argc, argv, "fh", longopts, NULL)) != -1) {
		switch (c) {
		case 'F': format = optarg; break;
		case 'f': force = 1; break;
		case 'M': if (guestmem_add(&gm, optarg)) goto usage; break;
		case 'h': fputs(usage, stdout); guestmem_free(&gm); return 0;
		default: goto usage;
		}
	}
	if (optind != argc - 2 || (format && strcmp(format, "stream") &&
				   strcmp(format, "mapped-ram")) ||
	    (gm.n && (!format || strcmp(format, "mapped-ram"))))
		goto usage;
	/* O_DIRECT reads: a restore streams the file once, cold */
	if (tool_open(&r, argv[optind], FRC_OPEN_DIRECT, 0)) {
		frc_reader_free(r);
		guestmem_free(&gm);
		return 1;
	}
	/* every --memory names a region, and its memory opens, before OUT
	 * is made */
	for (uint32_t i = 0; gm.n && i < frc_reader_region_count(r); i++) {
		frc_region_info_t g;
		int err;

		frc_reader_region(r, i, &g, sizeof(g));
		guestmem_open(&gm, g.id, g.used_length, &err);
		if (err)
			goto fail;
	}
	if (guestmem_all_used(&gm, argv[optind]))
		goto fail;
	if (!format) {
		const char *src = frc_reader_metadata_get(r, "source-format");

		format = src && !strcmp(src, "qemu-mapped-ram") ? "mapped-ram"
								: "stream";
	}
	mapped = !strcmp(format, "mapped-ram");
	inputs[0] = argv[optind];
	o.f = &of;
	o.buf = malloc(OUT_BUF);
	if (!o.buf)
		tool_err("out of memory");
	else if (outfile_open(&of, argv[optind + 1], force,
			      mapped ? OUT_SEEKABLE : OUT_ANY, inputs) == 0 &&
		 ((void)fcntl(of.fd, F_SETPIPE_SZ, (int)IN_BUF),
		  export_stream(r, &o, mapped, &gm) == 0))
		rc = outfile_commit(&of);
	outfile_abort(&of);
	free(o.buf);
fail:
	frc_reader_free(r);
	guestmem_free(&gm);
	return rc ? 1 : 0;
usage:
	fputs(usage, stderr);
	guestmem_free(&gm);
	return 1;
}

/* ---- QEMU mapped-ram written straight into an FRC file ---- */

#define INPLACE_OFFSET (1u << 20) /* where QEMU's file starts by default */
#define FIXED_AREA 12288u /* SPEC: the fixed layout of every FRC file's first bytes */

static int parse_offset(const char *arg, uint64_t *off)
{
	char *end;

	errno = 0;
	*off = strtoull(arg, &end, 0);
	if (errno || *end || !*arg || *off < 12288 || *off % 4096) {
		tool_err("offset '%s': a multiple of 4096, at least 12288", arg);
		return -1;
	}
	return 0;
}

int cmd_prepare_qemu(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "offset", required_argument, NULL, 'o' },
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const char usage[] =
		"usage: frc prepare-qemu [--offset=N] [-f] OUT.frc\n"
		"\n"
		"Makes OUT.frc ready for QEMU (>= 9, mapped-ram) to save into it\n"
		"from byte N on (default 1048576): an FRC file marked incomplete\n"
		"until `frc seal-qemu` has checksummed it. Prints the migration\n"
		"URI to give QEMU: file:OUT.frc,offset=N\n";
	frc_writer_options_t o;
	struct outfile of;
	frc_writer_t *w;
	uint64_t off = INPLACE_OFFSET;
	int c, force = 0, rc;

	while ((c = getopt_long(argc, argv, "fh", longopts, NULL)) != -1) {
		switch (c) {
		case 'o': if (parse_offset(optarg, &off)) return 1; break;
		case 'f': force = 1; break;
		case 'h': fputs(usage, stdout); return 0;
		default: fputs(usage, stderr); return 1;
		}
	}
	if (optind != argc - 1) {
		fputs(usage, stderr);
		return 1;
	}
	memset(&o, 0, sizeof(o));
	o.generator = "frc prepare-qemu " FRC_LIB_VERSION_STRING;
	if (outfile_open(&of, argv[optind], force, OUT_SEEKABLE, NULL))
		return 1;
	w = frc_writer_new();
	rc = w ? frc_writer_open_fd(w, of.fd, argv[optind], &o, sizeof(o)) : FRC_E_NOMEM;
	if (rc == FRC_OK)
		rc = frc_writer_start(w); /* the fixed area, incomplete */
	if (rc)
		tool_err("%s", w ? frc_writer_errmsg(w) : "out of memory");
	frc_writer_free(w);
	if (rc == FRC_OK)
		rc = outfile_commit(&of);
	outfile_abort(&of);
	if (rc)
		return 1;
	printf("file:%s,offset=%" PRIu64 "\n", argv[optind], off);
	return 0;
}

/* Where the kept parts of QEMU's file lie, found by parsing it in place. */
struct inplace {
	uint64_t base, head_end, framing_start, framing_end, end;
};

static int parse_in_place(struct in *s, struct qemu_file *q, struct inplace *p)
{
	int current = -1;

	if (in_seek(s, p->base) || read_head(s, q))
		return -1;
	p->head_end = s->pos;
	if (!q->mapped_ram)
		return fail_at(s, "not a mapped-ram save: QEMU must save with "
			       "the mapped-ram capability on");
	if (read_ram_blocks(s, q) || expect_eos(s))
		return -1;
	p->framing_start = s->pos - 8; /* the EOS belongs to the framing */
	if (read_ram_rest(s, q, NULL, &current))
		return -1;
	p->framing_end = s->pos;
	if (read_tail(s, NULL))
		return -1;
	p->end = s->pos;
	return 0;
}

/*
 * Adopting pages means reading them where QEMU wrote them: runs go to two
 * worker threads, a job of at most SEAL_JOB pages each, so that two reads
 * are in flight while the bitmap is scanned.
 */
#define SEAL_JOB 1024u
#define SEAL_WORKERS 2
#define SEAL_JOBS (SEAL_WORKERS * RELAY_DEPTH)

struct adopt_job {
	struct relay_job job;
	frc_writer_t *w;
	uint32_t region;
	uint64_t first, count;
	const struct seal_src *src;
	int busy;
};

/* Where a block's pages are: in the file, or also in guest memory. */
struct seal_src {
	struct in *s;
	const struct block *b;
	uint32_t page_size;
	int mem_fd; /* --memory, or -1 */
	uint64_t mem_off; /* of the block's first byte in mem_fd */
	const char *mem_path;
	int *differs; /* set by the first job that finds memory differing */
};

struct sealer {
	struct relay rl[SEAL_WORKERS];
	struct adopt_job jobs[SEAL_JOBS];
	unsigned next;
	int failed;
};

/*
 * Pages taken from guest memory: the first page of every job is compared
 * with the file, so that memory that is not what QEMU saved (another
 * guest's, or a guest resumed since) is refused before anything is sealed.
 */
static int adopt_from_memory(struct adopt_job *j)
{
	const struct seal_src *c = j->src;
	uint64_t off = c->b->pages_offset + j->first * c->page_size;
	uint8_t *pg = malloc(2 * (size_t)c->page_size);
	int rc = -1;

	if (!pg)
		tool_err("out of memory");
	else if (pread(c->s->fd, pg, c->page_size, (off_t)off) !=
		 (ssize_t)c->page_size ||
		 pread(c->mem_fd, pg + c->page_size, c->page_size,
		       (off_t)(c->mem_off + j->first * c->page_size)) !=
			 (ssize_t)c->page_size)
		tool_err("%s: offset 0x%" PRIx64 ": cannot read page %" PRIu64
			 " of block '%s' here and in '%s'", c->s->name, off,
			 j->first, tool_esc(c->b->id), c->mem_path);
	else if (memcmp(pg, pg + c->page_size, c->page_size)) {
		if (!__atomic_exchange_n(c->differs, 1, __ATOMIC_RELAXED))
				tool_err("%s: offset 0x%" PRIx64 ": page %" PRIu64
				 " of block '%s' differs from its memory in "
				 "'%s': not the memory QEMU saved (another "
				 "guest's, or the guest ran since "
				 "the save); nothing sealed", c->s->name, off,
				 j->first, tool_esc(c->b->id), c->mem_path);
	} else if (frc_writer_adopt_pages_from(j->w, j->region, j->first,
					     j->count, c->mem_fd, c->mem_off))
		tool_err("%s", frc_writer_errmsg(j->w));
	else
		rc = 0;
	free(pg);
	return rc;
}

static int adopt_run(void *ctx, struct relay_job *job)
{
	struct adopt_job *j = (struct adopt_job *)job;

	(void)ctx;
	if (j->src->mem_fd >= 0)
		return adopt_from_memory(j);
	if (frc_writer_adopt_pages(j->w, j->region, j->first, j->count)) {
		tool_err("%s", frc_writer_errmsg(j->w));
		return -1;
	}
	return 0;
}

static int sealer_submit(struct sealer *sl, frc_writer_t *w, uint32_t region,
			 const struct seal_src *src, uint64_t first,
			 uint64_t count)
{
	while (count && !sl->failed) {
		unsigned k = sl->next;
		struct adopt_job *j = &sl->jobs[k];
		uint64_t n = count < SEAL_JOB ? count : SEAL_JOB;

		if (j->busy && relay_wait(&sl->rl[k % SEAL_WORKERS], &j->job))
			sl->failed = 1;
		j->busy = 0;
		if (sl->failed)
			break;
		j->w = w;
		j->region = region;
		j->first = first;
		j->count = n;
		j->src = src;
		j->busy = 1;
		relay_submit(&sl->rl[k % SEAL_WORKERS], &j->job);
		sl->next = (k + 1) % SEAL_JOBS;
		first += n;
		count -= n;
	}
	return sl->failed ? -1 : 0;
}

/* Waits for every job and ends the workers; -1 if any job failed. */
static int sealer_finish(struct sealer *sl)
{
	for (unsigned k = 0; k < SEAL_JOBS; k++)
		if (sl->jobs[k].busy) {
			if (relay_wait(&sl->rl[k % SEAL_WORKERS], &sl->jobs[k].job))
				sl->failed = 1;
			sl->jobs[k].busy = 0;
		}
	for (unsigned i = 0; i < SEAL_WORKERS; i++)
		relay_stop(&sl->rl[i]);
	return sl->failed ? -1 : 0;
}

/* A block's pages: runs of set bits adopted, runs of clear bits emptied. */
static int seal_block(struct in *s, struct qemu_file *q, unsigned i,
		      frc_writer_t *w, uint8_t *bm, struct sealer *sl,
		      const struct seal_src *src)
{
	struct block *b = &q->blocks[i];
	uint64_t pages = b->used / q->page_size, bytes = (pages + 63) / 64 * 8;

	for (uint64_t at = 0; at < bytes; at += BITMAP_PIECE) {
		size_t n = bytes - at < BITMAP_PIECE ? (size_t)(bytes - at)
						     : BITMAP_PIECE;
		uint64_t end = (at + n) * 8 < pages ? (at + n) * 8 : pages;

		if (pread(s->fd, bm, n, (off_t)(b->bitmap_offset + at)) !=
		    (ssize_t)n) {
			s->pos = b->bitmap_offset + at;
			return fail_at(s, "cannot read the mapped-ram bitmap");
		}
		for (uint64_t p = at * 8; p < end;) {
			int set = bm[p / 8 - at] >> (p % 8) & 1;
			uint64_t k = 1;

			while (p + k < end &&
			       (bm[(p + k) / 8 - at] >> ((p + k) % 8) & 1) == set)
				k++;
			if (set) {
				if (sealer_submit(sl, w, i, src, p, k))
					return -1;
			} else if (frc_writer_clear_pages(w, i, p, k)) {
				tool_err("%s", frc_writer_errmsg(w));
				return -1;
			}
			p += k;
		}
	}
	return 0;
}

static int seal(struct in *s, struct qemu_file *q, struct inplace *p,
		frc_writer_t *w, struct guestmems *g)
{
	char val[32];
	uint8_t *bm = malloc(BITMAP_PIECE);
	struct seal_src *src = calloc(q->nblocks ? q->nblocks : 1, sizeof(*src));
	struct sealer sl;
	int rc = -1, err, differs = 0;

	if (!bm || !src) {
		tool_err("out of memory");
		goto out;
	}
	for (unsigned i = 0; i < q->nblocks; i++) {
		const struct guestmem *m = guestmem_open(g, q->blocks[i].id,
							  q->blocks[i].used, &err);

		if (err)
			goto out;
		src[i] = (struct seal_src){ s, &q->blocks[i], q->page_size,
					    m ? m->fd : -1, m ? m->offset : 0,
					    m ? m->path : NULL, &differs };
		if (frc_writer_add_region_at(w, q->blocks[i].id,
					     q->blocks[i].used, q->page_size,
					     q->blocks[i].pages_offset, NULL)) {
			tool_err("%s", frc_writer_errmsg(w));
			goto out;
		}
	}
	if (guestmem_all_used(g, s->name))
		goto out;
	memset(&sl, 0, sizeof(sl));
	for (unsigned i = 0; i < SEAL_WORKERS; i++)
		if (relay_start(&sl.rl[i], adopt_run, NULL)) {
			sl.failed = 1;
			tool_err("cannot start threads");
			break;
		}
	for (unsigned i = 0; i < q->nblocks && !sl.failed; i++)
		if (seal_block(s, q, i, w, bm, &sl, &src[i]))
			sl.failed = 1;
	if (sealer_finish(&sl))
		goto out;
	if (frc_writer_adopt_section(w, FRC_SECTION_QEMU, 0, "qemu-stream-head",
				     p->base, p->head_end - p->base) ||
	    frc_writer_adopt_section(w, FRC_SECTION_QEMU, 0,
				     "qemu-stream-commands", p->framing_start,
				     p->framing_end - p->framing_start) ||
	    frc_writer_adopt_section(w, FRC_SECTION_QEMU, 0, "qemu-stream-tail",
				     p->framing_end, p->end - p->framing_end)) {
		tool_err("%s", frc_writer_errmsg(w));
		goto out;
	}
	if (set_qemu_metadata(w, q))
		goto out;
	snprintf(val, sizeof(val), "%" PRIu64, p->base);
	if (frc_writer_set_metadata(w, "qemu.file-offset", val) ||
	    frc_writer_commit(w, NULL, NULL)) {
		tool_err("%s", frc_writer_errmsg(w));
		goto out;
	}
	rc = 0;
out:
	free(src);
	free(bm);
	return rc;
}

int cmd_seal_qemu(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "offset", required_argument, NULL, 'o' },
		{ "memory", required_argument, NULL, 'M' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const char usage[] =
		"usage: frc seal-qemu [--offset=N] [--memory=ID=PATH[@OFF]]... [-q] FILE.frc\n"
		"\n"
		"Completes a file made by `frc prepare-qemu` into which QEMU saved\n"
		"with mapped-ram (`migrate file:FILE.frc,offset=N`): every page\n"
		"checksummed where QEMU wrote it, bitmaps, checksum tables and the\n"
		"non-RAM state (in place) recorded, then committed. No page is\n"
		"copied. QEMU restores it in place with migrate-incoming\n"
		"file:FILE.frc,offset=N after `frc check`.\n"
		"  --memory=ID=PATH[@OFF]  RAM block ID is in PATH from byte OFF on\n"
		"                    (a memory-backend-file QEMU shares, or\n"
		"                    /proc/QEMU-PID/mem at the block's HVA from\n"
		"                    `info ramblock`) and the guest is paused since\n"
		"                    the save: its pages are checksummed there, not\n"
		"                    read back from the disk\n";
	frc_writer_options_t o;
	frc_reader_t *r;
	frc_writer_t *w;
	struct qemu_file q;
	struct inplace p;
	struct in s;
	struct stat st;
	struct guestmems g;
	uint64_t off = INPLACE_OFFSET;
	uint8_t fixed[FIXED_AREA]; /* frc's own bytes, as prepare-qemu left them */
	int c, quiet = 0, rc, fd, touched = 0;

	memset(&g, 0, sizeof(g));
	while ((c = getopt_long(argc, argv, "qh", longopts, NULL)) != -1) {
		switch (c) {
		case 'o': if (parse_offset(optarg, &off)) goto usage; break;
		case 'M': if (guestmem_add(&g, optarg)) goto usage; break;
		case 'q': quiet = 1; break;
		case 'h': fputs(usage, stdout); guestmem_free(&g); return 0;
		default: goto usage;
		}
	}
	if (optind != argc - 1)
		goto usage;
	/* only a file frc prepared and nobody sealed yet */
	rc = tool_open(&r, argv[optind], 0, 1);
	frc_reader_free(r);
	if (rc != FRC_E_INCOMPLETE) {
		tool_err("%s: %s", argv[optind],
			 rc == FRC_OK ? "already sealed (a complete FRC file)"
				      : "not a file made by `frc prepare-qemu` "
					"(not an incomplete FRC file)");
		guestmem_free(&g);
		return 1;
	}
	fd = open(argv[optind], O_RDWR | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		tool_err("cannot open '%s' for sealing: %s", argv[optind],
			 fd < 0 ? strerror(errno) : "not a regular file");
		if (fd >= 0)
			close(fd);
		guestmem_free(&g);
		return 1;
	}
	memset(&s, 0, sizeof(s));
	memset(&q, 0, sizeof(q));
	memset(&p, 0, sizeof(p));
	q.page_size = 4096;
	s.fd = fd;
	s.name = argv[optind];
	s.buf = malloc(IN_BUF);
	p.base = off;
	memset(&o, 0, sizeof(o));
	o.generator = "frc seal-qemu " FRC_LIB_VERSION_STRING;
	o.direct = 1;
	w = frc_writer_new();
	rc = -1;
	if (!s.buf || !w)
		tool_err("out of memory");
	else if (parse_in_place(&s, &q, &p) == 0) {
		if (p.end != (uint64_t)st.st_size)
			tool_err("%s: offset 0x%" PRIx64 ": bytes after the end "
				 "of QEMU's save", s.name, p.end);
		else if (pread(fd, fixed, sizeof(fixed), 0) != sizeof(fixed))
			tool_err("cannot read '%s': %s", s.name, strerror(errno));
		else if (frc_writer_open_embedded(w, fd, s.name, p.end, &o, sizeof(o)))
			tool_err("%s", frc_writer_errmsg(w));
		else if ((rc = seal(&s, &q, &p, w, &g)) != 0)
			touched = 1;
	}
	frc_writer_free(w);
	/* a seal that failed leaves the file as prepare-qemu and QEMU left
	 * it: the fixed area rewritten, what the writer appended cut off */
	if (touched && (pwrite(fd, fixed, sizeof(fixed), 0) != sizeof(fixed) ||
			ftruncate(fd, st.st_size) != 0 || fdatasync(fd) != 0))
		tool_err("%s: cannot put the unsealed file back as it was: %s",
			 s.name, strerror(errno));
	if (close(fd) != 0 && !rc) {
		tool_err("cannot close '%s': %s", s.name, strerror(errno));
		rc = -1;
	}
	if (!rc && !quiet)
		fprintf(stderr, "frc: sealed %u RAM blocks (%s) of QEMU's save "
			"at offset %" PRIu64 " in %s\n", q.nblocks, q.machine,
			off, s.name);
	free(s.buf);
	free(q.commands);
	guestmem_free(&g);
	return rc ? 1 : 0;
usage:
	fputs(usage, stderr);
	guestmem_free(&g);
	return 1;
}
