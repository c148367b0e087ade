/*
 * parse.c - the parser of QEMU's migration files: the sequential stream
 * of every QEMU and mapped-ram files, from a file, a pipe or memory. It
 * neither writes FRC nor prints: pages go to a sink's slots, the bytes
 * after the RAM to a callback, records to an optional listener, and a
 * failure leaves its message in the input (struct in, msg) for the
 * caller to show (SPEC appendix C, "QEMU's migration layouts in FRC").
 * import-qemu, export-qemu, seal-qemu, save-qemu and the libvirt images
 * sit on it; the fuzz target links it alone.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "parse.h"

static void note_record(struct in *s, uint64_t pos, const char *kind)
{
	if (s->on_record)
		s->on_record(s->record_ctx, pos, kind);
}

/* ---- reading a stream, from a file or a pipe ---- */


int fail_at(struct in *s, const char *what)
{
	snprintf(s->msg, sizeof(s->msg), "%s: offset 0x%" PRIx64 ": %s",
		 s->name, s->pos, what);
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
			size_t want = IN_BUF;
			ssize_t got;

			if (s->limit && s->fd >= 0)
				want = s->fpos >= s->limit ? 0
				       : s->limit - s->fpos < IN_BUF
					       ? (size_t)(s->limit - s->fpos)
					       : IN_BUF;
			got = s->fd < 0 || !want ? 0 : read(s->fd, s->buf, want);
			if (got > 0)
				s->fpos += (uint64_t)got;

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

/* Continues at byte `off` of a seekable input (a file, or memory). */
int in_seek(struct in *s, uint64_t off)
{
	if (s->fd < 0) { /* memory: buf holds the whole input */
		if (off > s->end)
			return -1;
		s->at = (size_t)off;
		s->pos = off;
		return 0;
	}
	if (lseek(s->fd, (off_t)off, SEEK_SET) < 0)
		return -1;
	s->at = s->end = 0;
	s->pos = off;
	s->fpos = off;
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
			if (get32(s, &count))
				return -1;
			if (count > 64)
				return fail_at(s, "more than 64 capabilities");
			for (uint32_t i = 0; i < count; i++) {
				if (get_str(s, name))
					return -1;
				if (!strcmp(name, "mapped-ram"))
					q->mapped_ram = 1;
				snprintf(q->caps + strlen(q->caps),
					 sizeof(q->caps) - strlen(q->caps),
					 "%s%s", *q->caps ? "," : "", name);
				if (!strcmp(name, "x-ignore-shared")) {
					q->ignore_shared = 1;
					if (!q->allow_ignore_shared)
						return fail_at(s, "the stream "
							"uses x-ignore-shared: "
							"its shared RAM blocks "
							"are not in it (frc "
							"save-qemu takes them "
							"from the VM's memory "
							"files)");
				}
				if (!strcmp(name, "postcopy-ram"))
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
	/*
	 * The byte read last is the next section type: it must be ram's START.
	 */
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
int read_head(struct in *s, struct qemu_file *q)
{
	uint8_t magic[8], tag;

	if (get(s, magic, 8))
		return -1;
	/* be32 QEVM magic, be32 version 3 */
	if (!memcmp(magic, "LibvirtQ", 8)) {
		s->pos -= 8; /* where the magic is */
		return fail_at(s, "a libvirt save image: it is read from its "
			       "file, not from a pipe");
	}
	if (memcmp(magic, "QEVM\0\0\0\x03", 8) != 0)
		return fail_at(s, "not a QEMU migration stream version 3");
	if (get8(s, &tag) || tag != QEMU_VM_CONFIGURATION)
		return fail_at(s, "expected the configuration section");
	return read_configuration(s, q) || read_ram_header(s, q) ? -1 : 0;
}

/* The block list after MEM_SIZE (and, for mapped-ram, their headers). */
int read_ram_blocks(struct in *s, struct qemu_file *q)
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
		/* with x-ignore-shared every block's place in the guest
		 * (its memory region's address) follows */
		if (q->ignore_shared && get64(s, &b->mr_addr))
			return -1;
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

/* Page records up to EOS; pages go straight to the sink's slots. */
static int read_ram_records(struct in *s, struct qemu_file *q,
			    const struct ram_sink *sink, int *current)
{
	for (;;) {
		uint64_t v, addr;
		unsigned flags;
		uint8_t fill, *slot;
		char id[256];

		note_record(s, s->pos, "ram-record");
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
		q->blocks[*current].records++;
		if (!sink)
			return fail_at(s, "a page record where none may be");
		if (flags & RAM_ZERO) {
			if (get8(s, &fill) ||
			    sink->reserve(sink->ctx, (unsigned)*current,
					  addr / q->page_size, 1, !fill, &slot))
				return -1;
			if (slot)
				memset(slot, fill, q->page_size);
		} else if (flags & RAM_PAGE) {
			if (sink->reserve(sink->ctx, (unsigned)*current,
					  addr / q->page_size, 1, 0, &slot) ||
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


int mapped_runs(struct in *s, const struct qemu_file *q, unsigned i,
		uint8_t *bm, uint64_t max_run,
		int (*fn)(void *ctx, uint64_t first, uint64_t count, int set),
		void *ctx)
{
	const struct block *b = &q->blocks[i];
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
			int set = bm[p / 8 - at] >> (p % 8) & 1;
			uint64_t k = 1;

			while (p + k < end && k < max_run &&
			       (bm[(p + k) / 8 - at] >> ((p + k) % 8) & 1) == set)
				k++;
			if (fn(ctx, p, k, set))
				return -1;
			p += k;
		}
	}
	return 0;
}

struct mapped_import {
	struct in *s;
	const struct qemu_file *q;
	const struct ram_sink *sink;
	unsigned block;
};

/* A run of present pages into the sink's slots, with one pread. */
static int import_run(void *ctx, uint64_t p, uint64_t k, int set)
{
	struct mapped_import *mi = ctx;
	const struct block *b = &mi->q->blocks[mi->block];
	size_t len = (size_t)k * mi->q->page_size;
	uint8_t *dst;

	if (!set)
		return 0;
	if (mi->sink->reserve(mi->sink->ctx, mi->block, p, k, 0, &dst))
		return -1;
	if (pread(mi->s->fd, dst, len,
		  (off_t)(b->pages_offset + p * mi->q->page_size)) !=
	    (ssize_t)len) {
		mi->s->pos = b->pages_offset + p * mi->q->page_size;
		return fail_at(mi->s, "mapped-ram page beyond the end of the "
			       "file");
	}
	return 0;
}

/*
 * One block's pages of a mapped-ram file, by its bitmap read piecewise:
 * every run of present pages read with one pread per batch.
 */
static int read_mapped_block(struct in *s, struct qemu_file *q, unsigned i,
			     const struct ram_sink *sink, uint8_t *bm)
{
	struct mapped_import mi = { s, q, sink, i };

	return mapped_runs(s, q, i, bm, sink->max_run, import_run, &mi);
}

/* mapped-ram: every block's pages, by its bitmap (LE u64 words). */
static int read_mapped_pages(struct in *s, struct qemu_file *q,
			     const struct ram_sink *sink)
{
	uint8_t *bm = malloc(BITMAP_PIECE);
	int rc = 0;

	if (!bm)
		return fail_at(s, "out of memory");
	if (!sink) {
		free(bm);
		return fail_at(s, "mapped-ram pages where none may be");
	}
	for (unsigned i = 0; i < q->nblocks && !rc; i++)
		rc = read_mapped_block(s, q, i, sink, bm);
	free(bm);
	return rc;
}

/*
 * After the RAM of the START section (and its EOS): its footer, then the
 * PART sections, commands and the END section; stops after END. With no
 * sink no page record may come.
 */
int read_ram_rest(struct in *s, struct qemu_file *q,
		  const struct ram_sink *sink, int *current)
{
	if (expect_footer(s, q->ram_id))
		return -1;
	for (;;) {
		uint8_t tag;
		uint32_t id;

		note_record(s, s->pos, "section");
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
		if (read_ram_records(s, q, sink, current) ||
		    expect_footer(s, q->ram_id))
			return -1;
		if (tag == QEMU_VM_SECTION_END)
			return 0;
	}
}

int expect_eos(struct in *s)
{
	uint64_t v;

	if (get64(s, &v))
		return -1;
	return v == RAM_EOS ? 0 : fail_at(s, "expected EOS after the "
					  "mapped-ram blocks");
}

/* The RAM sections after START: PART, COMMAND, END; stops after END. */
int read_ram_sections(struct in *s, struct qemu_file *q,
		      const struct ram_sink *sink)
{
	int current = -1;

	if (q->mapped_ram ? read_mapped_pages(s, q, sink) || expect_eos(s)
			  : read_ram_records(s, q, sink, &current))
		return -1;
	return read_ram_rest(s, q, sink, &current);
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
	uint64_t data_n; /* n after the last non-zero byte */
	uint8_t data_last; /* the last non-zero byte */
	uint8_t first, last, win[7];
	uint64_t *ends; /* stream lengths at which a description would end */
	size_t nends, cap;
	int overflow;
};

static void tail_note_end(struct tail_scan *t, uint64_t end)
{
	size_t k = 0;

	/* forget the ones before the last non-zero byte: the description
	 * ends at the end, or (sealing) where only zeros follow */
	for (size_t i = 0; i < t->nends; i++)
		if (t->ends[i] >= t->data_n)
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
		if (p[i]) {
			t->data_last = p[i];
			t->data_n = t->n;
		}
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

/*
 * The length of the device state: the description ends at the end of the
 * input; or, when zeros may follow (zeros_ok: a save sealed in place, where
 * an interrupted seal may have grown the file), where only zeros follow.
 * 0 when the input does not end so.
 */
static uint64_t tail_complete(const struct tail_scan *t, int zeros_ok)
{
	/* device state starts with a full section, a command, or the end */
	if (!t->n || (t->first != QEMU_VM_SECTION_FULL &&
		      t->first != QEMU_VM_COMMAND && t->first != QEMU_VM_EOF))
		return 0;
	for (size_t i = 0; i < t->nends; i++) {
		if (t->ends[i] == t->n && t->last == '}')
			return t->n;
		if (zeros_ok && t->ends[i] == t->data_n && t->data_last == '}')
			return t->data_n;
	}
	return t->last == QEMU_VM_EOF ? t->n : 0; /* no description */
}

/* Everything after the RAM, verbatim, handed to put() as it comes. */
int read_tail(struct in *s, int zeros_ok,
	      int (*put)(void *ctx, const uint8_t *p, size_t n), void *ctx)
{
	struct tail_scan t;
	uint8_t *buf = malloc(1 << 20);
	uint64_t start = s->pos, end = 0;
	int rc = -1;

	memset(&t, 0, sizeof(t));
	if (!buf)
		return fail_at(s, "out of memory");
	for (;;) {
		size_t got = in_read(s, buf, 1 << 20);

		if (got == 0)
			break;
		tail_feed(&t, buf, got);
		if (put && put(ctx, buf, got))
			goto out;
		s->pos += got;
	}
	if (s->err) {
		fail_at(s, "cannot read the device state");
	} else if (t.overflow || !(end = tail_complete(&t, zeros_ok))) {
		fail_at(s, "the stream ends without QEMU_VM_EOF and its device "
			"description (truncated)");
	} else {
		s->pos = start + end; /* zeros after it are not QEMU's */
		rc = 0;
	}
out:
	free(t.ends);
	free(buf);
	return rc;
}

void in_memory(struct in *s, const char *name, uint8_t *p, size_t n)
{
	memset(s, 0, sizeof(*s));
	s->fd = -1;
	s->name = name;
	s->buf = p;
	s->end = n;
}
