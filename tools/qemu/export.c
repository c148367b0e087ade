/*
 * export.c - `frc export-qemu`: an FRC container back into the QEMU
 * stream or mapped-ram file it came from, every page verified, or straight
 * into the RAM of a fresh QEMU (--memory).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "tool.h"
#include "qemu_cmd.h"
#include "outfile.h"
#include "guestmem.h"
#include "relay.h"

#include "stream.h"

#define OUT_BUF (1u << 20)
#define HUGETLBFS_MAGIC 0x958458f6 /* statfs f_type of hugetlbfs */

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
/* The QEMU section named `name`, or -1 (said unless `optional`). */
static int64_t find_section(frc_reader_t *r, const char *name, int optional)
{
	for (uint32_t i = 0; i < frc_reader_section_count(r); i++) {
		frc_section_info_t s;

		frc_reader_section(r, i, &s, sizeof(s));
		if (s.type == FRC_SECTION_QEMU && !strcmp(s.name, name))
			return i;
	}
	if (!optional)
		tool_err("no '%s' section: not imported from QEMU", name);
	return -1;
}

static int64_t section_named(frc_reader_t *r, const char *name)
{
	return find_section(r, name, 0);
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
 * chunks of a region (tools/common/relay.h) while the caller writes out the one
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
static int for_each_chunk_at(frc_reader_t *r, uint32_t i, int sparse,
			     uint8_t *into,
			     int (*emit)(void *, const struct chunk *),
			     void *ctx);

/* the progress of export_stream_fd: bytes of guest RAM done, of all */
static struct tool_progress *export_progress;
static uint64_t export_done, export_total;

static int for_each_chunk(frc_reader_t *r, uint32_t i, int sparse,
			  int (*emit)(void *, const struct chunk *), void *ctx)
{
	return for_each_chunk_at(r, i, sparse, NULL, emit, ctx);
}

/*
 * for_each_chunk, the pages read straight into `into` (the region's bytes,
 * page p at into + p * page_size) instead of the chunks' own buffers when
 * it is not NULL.
 */
static int for_each_chunk_at(frc_reader_t *r, uint32_t i, int sparse,
			     uint8_t *into,
			     int (*emit)(void *, const struct chunk *),
			     void *ctx)
{
	struct chunk c[NCHUNK];
	struct relay rl[CHUNK_WORKERS];
	frc_region_info_t g;
	uint64_t next = 0;
	unsigned issued = 0, done = 0, started = 0;
	int rc = 0;

	frc_reader_region(r, i, &g, sizeof(g));
	memset(c, 0, sizeof(c));
	for (unsigned k = 0; k < NCHUNK && !into; k++)
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
		for (unsigned k = 0; k < NCHUNK && !into; k++)
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
			if (into)
				ck->data = into + next * g.page_size;
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
		if (!rc && export_progress) {
			export_done += c[done % NCHUNK].n * g.page_size;
			tool_progress_cb(export_progress, export_done, export_total);
		}
		done++;
	}
	for (unsigned k = 0; k < CHUNK_WORKERS; k++)
		relay_stop(&rl[k]);
	for (unsigned k = 0; k < NCHUNK && !into; k++)
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

/* RAM blocks left out with --omit: QEMU finds their pages in its memory
 * backend (e.g. a file of `frc mount`) and loads none from OUT. */
static int omitted(const struct omits *om, const char *id)
{
	for (unsigned k = 0; k < om->n; k++)
		if (!strcmp(om->id[k], id))
			return 1;
	return 0;
}

static int put_region_memory(frc_reader_t *r, uint32_t i,
			     const struct guestmem *m);

/*
 * The RAM of a stream: the block list (with x-ignore-shared kept, `addrs`
 * gives each block's address), then every page of every block but those
 * omitted and those written into the destination's memory files (gm).
 */
static int put_stream_ram(frc_reader_t *r, struct out_stream *o,
			  uint32_t ram_id, const struct omits *om,
			  struct guestmems *gm, const uint64_t *addrs)
{
	for (uint32_t i = 0; i < frc_reader_region_count(r); i++) {
		frc_region_info_t g;

		frc_reader_region(r, i, &g, sizeof(g));
		if (put_str(o, g.id) || put64(o, g.used_length) ||
		    (addrs && put64(o, addrs[i])))
			return -1;
	}
	if (put64(o, RAM_EOS) || put8(o, QEMU_VM_SECTION_FOOTER) ||
	    put32(o, ram_id))
		return -1;
	/* every page in one PART section */
	if (put8(o, QEMU_VM_SECTION_PART) || put32(o, ram_id))
		return -1;
	for (uint32_t i = 0; i < frc_reader_region_count(r); i++) {
		frc_region_info_t g;
		const struct guestmem *m;
		int err;

		frc_reader_region(r, i, &g, sizeof(g));
		m = guestmem_open(gm, g.id, g.used_length, &err);
		if (err)
			return -1;
		if (m) {
			if (flush_out(o) || put_region_memory(r, i, m))
				return -1;
		} else if (!omitted(om, g.id) && put_region_records(r, i, o)) {
			return -1;
		}
	}
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
	int zero_absent; /* absent pages are made zero there too */
};

/* Bytes [off, off + len) of memory file m become zeros: a hole where
 * the file system makes one, else written. */
static int zero_memory(const struct guestmem *m, uint64_t off, uint64_t len)
{
	static const uint8_t zeros[65536];

	if (fallocate(m->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		      (off_t)off, (off_t)len) == 0)
		return 0;
	while (len) {
		size_t n = len < sizeof(zeros) ? (size_t)len : sizeof(zeros);
		ssize_t w = pwrite(m->fd, zeros, n, (off_t)off);

		if (w <= 0 && !(w < 0 && errno == EINTR)) {
			tool_err("cannot write zeros into '%s' at 0x%" PRIx64
				 ": %s", m->path, off,
				 w < 0 ? strerror(errno) : "nothing written");
			return -1;
		}
		if (w > 0) {
			off += (uint64_t)w;
			len -= (uint64_t)w;
		}
	}
	return 0;
}

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

		while (k + run < c->n && c->any && chunk_present(c, k + run))
			run++;
		if (!run) {
			uint64_t gap = 0;

			while (k + gap < c->n && !(c->any && chunk_present(c, k + gap)))
				gap++;
			if (im->zero_absent &&
			    zero_memory(im->m, im->m->offset + (c->first + k) *
							    im->page_size,
					gap * im->page_size))
				return -1;
			k += gap;
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

/* Every page of region i, verified, into memory file m (absent pages
 * as zeros). */
/* A chunk read straight into the memory file: its absent pages made
 * zero where it was not read (a chunk without a present page). */
static int zero_unread(void *ctx, const struct chunk *c)
{
	struct into_memory *im = ctx;

	return c->any ? 0
		      : zero_memory(im->m, im->m->offset + c->first * im->page_size,
				    c->n * im->page_size);
}

static int put_region_memory(frc_reader_t *r, uint32_t i,
			     const struct guestmem *m)
{
	frc_region_info_t g;
	struct into_memory im;
	struct statfs sf;
	struct stat st;
	void *map = MAP_FAILED;
	int rc;

	frc_reader_region(r, i, &g, sizeof(g));
	im.m = m;
	im.page_size = g.page_size;
	im.zero_absent = 1;
	/*
	 * Written with pwrite from the verified chunks: a page of tmpfs (or
	 * of a file) filled by write() is allocated without being cleared
	 * first, where a page of a mapping is cleared when first touched and
	 * then filled: 1.23 s against 1.59 s for 1 GiB here (median of 5).
	 * hugetlbfs takes no write(): mapped, the pages are read (O_DIRECT
	 * where the file allows) and verified where the guest will find them.
	 */
	if (m->offset % 4096 == 0 && fstatfs(m->fd, &sf) == 0 &&
	    (unsigned long)sf.f_type == HUGETLBFS_MAGIC &&
	    fstat(m->fd, &st) == 0 &&
	    (uint64_t)st.st_size >= m->offset + g.used_length && g.used_length)
		map = mmap(NULL, g.used_length, PROT_READ | PROT_WRITE,
			   MAP_SHARED, m->fd, (off_t)m->offset);
	if (map == MAP_FAILED)
		return for_each_chunk(r, i, 0, put_chunk_memory, &im);
	rc = for_each_chunk_at(r, i, 0, map, zero_unread, &im);
	munmap(map, g.used_length);
	return rc;
}

/*
 * mapped-ram: header, bitmap (LE u64 words) and pages at fixed places. A
 * block given with --memory gets its pages written into that memory and an
 * empty bitmap, so that QEMU loads everything else and keeps them.
 */
static int put_mapped_ram(frc_reader_t *r, struct out_stream *o,
			  struct guestmems *gm, const struct omits *om)
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
		im.zero_absent = 0; /* a fresh QEMU's own RAM is zeros */
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
		if (omitted(om, g.id)) {
			/* an empty bitmap: QEMU loads none of its pages */
		} else if (im.m) {
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
			int keep_ignore, struct out_stream *o)
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
	q.allow_ignore_shared = 1;
	in_memory(&s, "section 'qemu-stream-head'", head, n);
	if (read_head(&s, &q) ||
	    (s.pos != n && fail_at(&s, "bytes after the RAM size record"))) {
		parse_said(&s);
		goto out;
	}
	/* subsection: tag, name, version 1, count, the names */
	k = 1 + 1 + 26 + 4 + 4;
	snprintf(caps, sizeof(caps), "%s", q.caps);
	for (char *c = strtok_r(caps, ",", &save); c;
	     c = strtok_r(NULL, ",", &save)) {
		size_t l = strlen(c);

		if (!strcmp(c, "mapped-ram") || k + 1 + l + 12 > sizeof(sub) ||
		    (!keep_ignore && !strcmp(c, "x-ignore-shared")))
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
	if (expect_eos(&s) || read_ram_rest(&s, &q, NULL, &current) ||
	    (s.pos != n && fail_at(&s, "bytes after the end of the RAM"))) {
		parse_said(&s);
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

/*
 * Section "qemu-ignore-shared" (a save whose shared RAM frc read itself):
 * each block's address into *addrs (to be freed) and whether QEMU left it
 * out; 0 without the section (*addrs NULL), -1 when it is malformed.
 */
static int load_ignore_shared(frc_reader_t *r, uint64_t **addrs,
			      uint8_t **ignored)
{
	int64_t idx = find_section(r, "qemu-ignore-shared", 1);
	uint32_t n = frc_reader_region_count(r);
	uint8_t *rec;
	size_t len;

	*addrs = NULL;
	*ignored = NULL;
	if (idx < 0)
		return 0;
	if (load_section(r, idx, &rec, &len))
		return -1;
	if (len != (size_t)n * 9) {
		tool_err("section 'qemu-ignore-shared' holds %zu bytes, not 9 "
			 "per RAM block (%u blocks)", len, n);
		free(rec);
		return -1;
	}
	*addrs = calloc(n ? n : 1, sizeof(**addrs));
	*ignored = calloc(n ? n : 1, 1);
	if (!*addrs || !*ignored) {
		tool_err("out of memory");
		free(rec);
		free(*addrs);
		free(*ignored);
		*addrs = NULL;
		*ignored = NULL;
		return -1;
	}
	for (uint32_t i = 0; i < n; i++) {
		for (int k = 0; k < 8; k++)
			(*addrs)[i] = (*addrs)[i] << 8 | rec[i * 9 + (unsigned)k];
		(*ignored)[i] = rec[i * 9 + 8];
	}
	free(rec);
	return 0;
}

int export_ignored_blocks(frc_reader_t *r, uint8_t **ignored)
{
	uint64_t *addrs;
	int rc = load_ignore_shared(r, &addrs, ignored);

	free(addrs);
	return rc ? -1 : *ignored != NULL;
}

/*
 * The stream (or, `mapped`, a mapped-ram file). A save made with
 * x-ignore-shared keeps it only with `keep_ignore` (restoring into the
 * same kind of VM, its shared blocks written into gm); otherwise it
 * becomes an ordinary save with every page in it.
 */
static int export_stream(frc_reader_t *r, struct out_stream *o, int mapped,
			 struct guestmems *gm, const struct omits *om,
			 int keep_ignore)
{
	uint64_t *addrs = NULL;
	uint8_t *ignored = NULL;
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
	if (load_ignore_shared(r, &addrs, &ignored))
		return -1;
	free(ignored);
	if (!addrs || mapped)
		keep_ignore = 0;
	same = mapped == !strcmp(src, "qemu-mapped-ram");
	/* the head changes with the layout, and loses x-ignore-shared
	 * unless it is kept */
	rc = same && (!addrs || keep_ignore)
		     ? put_section(r, o, head)
		     : convert_head(r, head, mapped, keep_ignore, o);
	if (rc) {
		free(addrs);
		return -1;
	}
	if (mapped) {
		/* blocks, then the framing: kept verbatim at import, or
		 * built around a stream's commands */
		rc = put_mapped_ram(r, o, gm, om) ||
		     (same ? put_section(r, o, cmd)
			   : put64(o, RAM_EOS) ||
				     put8(o, QEMU_VM_SECTION_FOOTER) ||
				     put32(o, ram_id) || put_section(r, o, cmd) ||
				     put_ram_end(o, ram_id));
	} else {
		rc = put_stream_ram(r, o, ram_id, om, gm,
				    keep_ignore ? addrs : NULL) ||
		     (same ? put_section(r, o, cmd)
			   : framing_commands(r, cmd, ram_id, o)) ||
		     put_ram_end(o, ram_id);
	}
	free(addrs);
	return rc || put_section(r, o, tail) || flush_out(o) ? -1 : 0;
}

/*
 * A libvirt save image (SPEC, appendix "libvirt save images"): the header
 * and domain XML the import kept, the header saying raw and, until the
 * stream is whole, unfinished, as libvirt itself writes it; then the
 * stream.
 */
static int export_libvirt(frc_reader_t *r, const char *in,
			  struct out_stream *o, struct guestmems *gm,
			  const struct omits *om)
{
	int64_t hi = find_section(r, "libvirt-save-header", 1);
	int64_t di = find_section(r, "libvirt-save-data", 1);
	uint8_t *head = NULL, *data = NULL;
	size_t hn, dn;
	struct lv_image li;
	int rc = -1;

	if (hi < 0 || di < 0) {
		tool_err("no 'libvirt-save-header' and 'libvirt-save-data' "
			 "sections: not imported from a libvirt save image");
		return -1;
	}
	if (load_section(r, hi, &head, &hn) || load_section(r, di, &data, &dn))
		goto out;
	if (lv_from_sections(&li, head, hn, data, dn, in))
		goto out;
	lv_header_for(&li, 0);
	if (put(o, li.head, LV_HEADER) || put(o, data, dn) ||
	    export_stream(r, o, 0, gm, om, 0))
		goto out;
	lv_header_for(&li, 1);
	rc = outfile_write(o->f, li.head, LV_HEADER, 0);
out:
	free(head);
	free(data);
	return rc;
}

int export_stream_fd(frc_reader_t *r, int fd, const char *name,
		     struct guestmems *gm, const struct omits *om,
		     struct tool_progress *pr)
{
	struct outfile of = { .name = name, .fd = fd };
	struct out_stream o = { &of, 0, malloc(OUT_BUF), 0 };
	struct omits none = { { NULL }, 0 };
	int rc;

	if (!o.buf) {
		tool_err("out of memory");
		return -1;
	}
	export_progress = pr;
	export_done = export_total = 0;
	for (uint32_t i = 0; pr && i < frc_reader_region_count(r); i++) {
		frc_region_info_t g;

		frc_reader_region(r, i, &g, sizeof(g));
		export_total += g.used_length;
	}
	rc = export_stream(r, &o, 0, gm, om ? om : &none, gm->n > 0);
	export_progress = NULL;
	free(o.buf);
	return rc;
}

int cmd_export_qemu(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "format", required_argument, NULL, 'F' },
		{ "force", no_argument, NULL, 'f' },
		{ "memory", required_argument, NULL, 'M' },
		{ "omit", required_argument, NULL, 'O' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const char usage[] =
		"usage: frc export-qemu [--format=stream|mapped-ram|libvirt] [-f]\n"
		"                       [--memory=ID=PATH[@OFF]]... [--omit=ID]...\n"
		"                       IN.frc OUT\n"
		"\n"
		"Writes a container imported from QEMU back as a QEMU migration\n"
		"file (every page checksum-verified on the way): a sequential\n"
		"stream, to a file or standard output ('-'), or a mapped-ram\n"
		"file, or a libvirt save image (virsh restore loads it; raw).\n"
		"The format defaults to the one it was imported from.\n"
		"To restore a VM:  qemu-system-... -incoming \"exec:frc "
		"export-qemu vm.frc -\"\n"
		"  --memory=ID=PATH[@OFF]  (mapped-ram) RAM block ID's pages,\n"
		"          verified, are written into PATH from byte OFF on: the\n"
		"          fresh destination QEMU's RAM file (a memory-backend-file\n"
		"          with share=on; never another process's memory); OUT\n"
		"          then gives that block an empty bitmap, so QEMU loads\n"
		"          only the rest (frc restore-qemu does it all)\n"
		"  --omit=ID  leave RAM block ID's pages out: QEMU keeps what\n"
		"          its memory backend holds (a lazy restore from a file\n"
		"          of 'frc mount', see frc-export-qemu(1))\n";
	struct out_stream o = { NULL, 0, NULL, 0 };
	struct outfile of = { .fd = -1 };
	const char *format = NULL, *inputs[2] = { NULL, NULL };
	struct guestmems gm;
	struct omits om = { { NULL }, 0 };
	frc_reader_t *r;
	int c, force = 0, rc = -1, mapped, libvirt;

	memset(&gm, 0, sizeof(gm));
	gm.writable = 1;
	while ((c = getopt_long(argc, argv, "fh", longopts, NULL)) != -1) {
		switch (c) {
		case 'F': format = optarg; break;
		case 'f': force = 1; break;
		case 'M': if (guestmem_add(&gm, optarg)) goto usage; break;
		case 'O':
			if (om.n == OMIT_MAX) {
				tool_err("--omit: at most %d blocks", OMIT_MAX);
				goto usage;
			}
			om.id[om.n++] = optarg;
			break;
		case 'h': fputs(usage, stdout); guestmem_free(&gm); return 0;
		default: goto usage;
		}
	}
	if (format && strcmp(format, "stream") && strcmp(format, "mapped-ram") &&
	    strcmp(format, "libvirt")) {
		tool_err("--format=%s: stream, mapped-ram or libvirt",
			 tool_esc(format));
		goto usage;
	}
	if (gm.n && (!format || strcmp(format, "mapped-ram"))) {
		tool_err("--memory needs --format=mapped-ram (QEMU loads the "
			 "other blocks from a mapped-ram file)");
		goto usage;
	}
	if (optind != argc - 2)
		goto usage;
	/* O_DIRECT reads: a restore streams the file once, cold */
	if (tool_open(&r, argv[optind], FRC_OPEN_DIRECT, 0)) {
		frc_reader_free(r);
		guestmem_free(&gm);
		return 1;
	}
	/* every --memory names a region, and its memory opens, before OUT
	 * is made; the input is never one of them */
	gm.input = argv[optind];
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
	for (unsigned k = 0; k < om.n; k++) {
		uint32_t i;

		if (frc_reader_find_region(r, om.id[k], &i)) {
			tool_err("--omit=%s: '%s' has no RAM block of that id",
				 tool_esc(om.id[k]), argv[optind]);
			goto fail;
		}
		for (unsigned j = 0; j < gm.n; j++)
			if (!strcmp(gm.m[j].id, om.id[k])) {
				tool_err("--omit=%s and --memory for the "
					 "same block", tool_esc(om.id[k]));
				goto fail;
			}
	}
	if (!format) {
		const char *src = frc_reader_metadata_get(r, "source-format");

		format = find_section(r, "libvirt-save-header", 1) >= 0
				 ? "libvirt"
			 : src && !strcmp(src, "qemu-mapped-ram") ? "mapped-ram"
								  : "stream";
	}
	mapped = !strcmp(format, "mapped-ram");
	libvirt = !strcmp(format, "libvirt");
	inputs[0] = argv[optind];
	o.f = &of;
	o.buf = malloc(OUT_BUF);
	if (!o.buf)
		tool_err("out of memory");
	else if (outfile_open(&of, argv[optind + 1], force,
			      mapped || libvirt ? OUT_SEEKABLE : OUT_ANY,
			      inputs) == 0 &&
		 ((void)fcntl(of.fd, F_SETPIPE_SZ, (int)IN_BUF),
		  (libvirt ? export_libvirt(r, argv[optind], &o, &gm, &om)
			   : export_stream(r, &o, mapped, &gm, &om, 0)) == 0))
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

