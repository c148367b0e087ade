/*
 * wpages.c - writing pages: single pages, runs, scattered batches and
 * whole regions on many threads; zero pages become holes (R-BM-ZEROS,
 * R-W-SAME-PAGE).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libgen.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/random.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "reader_internal.h"
#include "writer_internal.h"

/* Writes `len` bytes of page data at `off`, through O_DIRECT when we can. */
static int put_pages(frc_writer_t *w, const uint8_t *data, size_t len,
		     uint64_t off)
{
	int err = frc_pwrite_pages(w->dfd, w->fd, data, len, off);

	return err ? io_fail(w, "cannot write page", err) : FRC_OK;
}

/* Marks a page absent; a slot that held data becomes a hole (SPEC "Present-page bitmap"). */
static int clear_page(frc_writer_t *w, struct wregion *rg, uint64_t i)
{
	uint64_t bit = UINT64_C(1) << (i % 64);
	uint64_t old = __atomic_fetch_and(&rg->present[i / 64], ~bit,
					  __ATOMIC_RELAXED);
	int err;

	rg->csums[i] = 0;
	if (rg->from_base) /* a zero page is zero, not the base's */
		__atomic_fetch_and(&rg->from_base[i / 64], ~bit,
				   __ATOMIC_RELAXED);
	if (!(old & bit))
		return FRC_OK;
	err = frc_punch_hole(w->fd, rg->r.pages_offset + (i << rg->r.page_shift),
			     rg->r.page_size);
	return err ? io_fail(w, "cannot free page slot", err) : FRC_OK;
}

/*
 * Checks the arguments of a page-range call made by API call `func`;
 * starts the file if needed.
 */
int frc_w_page_range(frc_writer_t *w, uint32_t region, uint64_t first,
			 uint64_t count, const void *data,
			 struct wregion **rg, const char *func)
{
	uint64_t end;
	int rc;

	if (!w || (!data && count))
		return frc_w_misuse(w, func, "data is NULL");
	if (__atomic_load_n(&w->state, __ATOMIC_ACQUIRE) != W_STARTED) {
		rc = frc_w_start(w, func);
		if (rc)
			return rc;
	}
	if (region >= w->nregions)
		return frc_w_misuse(w, func, "no such region: %u (%u declared)",
				     region, w->nregions);
	*rg = &w->regions[region];
	if (!frc_add_ok(first, count, &end) || end > (*rg)->r.page_count)
		return frc_w_misuse(w, func,
				     "pages %llu+%llu are beyond the end of "
				     "region '%s' (%llu pages)",
				     (unsigned long long)first,
				     (unsigned long long)count, (*rg)->r.id,
				     (unsigned long long)(*rg)->r.page_count);
	return FRC_OK;
}

/*
 * Records page i: its checksum and present bit, or, for an all-zero page,
 * a clear bit and a freed slot. Sets *present to say which. `how`: the
 * W_NOTE_ flags.
 */
static int note_page(frc_writer_t *w, uint32_t region, uint64_t i,
		     const uint8_t *pg, bool *present, unsigned how)
{
	struct wregion *rg = &w->regions[region];
	int rc;

	*present = !frc_all_zero(pg, rg->r.page_size);
	/* a page about to change in a compressed region: its frame first */
	if ((how & W_NOTE_FRAMES) && rg->r.compression &&
	    (rc = frc_w_frames_touch(w, region, i, *present)) != FRC_OK)
		return rc;
	if (!*present)
		return clear_page(w, rg, i);
	/* SPEC "Page checksum table": the checksum is bound to region and page index. */
	if (rg->tree && !(how & W_NOTE_LEAVES_SET) &&
	    (rc = frc_w_dg_leaf(w, rg, i, pg)) != FRC_OK)
		return rc;
	if (rg->from_base) {
		bool from;

		/* SPEC "Snapshots on a base": unchanged pages by content */
		rc = frc_w_base_page(w, rg, i, &from);
		if (rc || from) {
			*present = false;
			return rc;
		}
	}
	rg->csums[i] = frc_hash(pg, rg->r.page_size,
				frc_key(w->sb.uuid, FRC_KEY_PAGE, region, i));
	__atomic_fetch_or(&rg->present[i / 64], UINT64_C(1) << (i % 64),
			  __ATOMIC_RELAXED);
	return FRC_OK;
}

/*
 * First half of a page write: every page of the range noted. After it the
 * present bits of the range say exactly which pages write_runs() writes.
 */
int frc_w_hash_pages(frc_writer_t *w, uint32_t region, uint64_t first,
		      uint64_t count, const uint8_t *p, unsigned how)
{
	unsigned sh = w->regions[region].r.page_shift;

	for (uint64_t k = 0; k < count; k++) {
		bool present;
		int rc = note_page(w, region, first + k, p + (k << sh), &present,
				   how);

		if (rc)
			return rc;
	}
	return FRC_OK;
}

static bool present_bit(const struct wregion *rg, uint64_t i)
{
	return (__atomic_load_n(&rg->present[i / 64], __ATOMIC_RELAXED) >>
		(i % 64)) & 1;
}

/*
 * Second half: writes the runs of present pages of the range to their
 * slots, each with one write; io.c decides between O_DIRECT and the page
 * cache (short runs: the cache, so that a fragmented guest saves in time
 * proportional to its data).
 */
static int write_runs(frc_writer_t *w, uint32_t region, uint64_t first,
		      uint64_t count, const uint8_t *p)
{
	struct wregion *rg = &w->regions[region];
	unsigned sh = rg->r.page_shift;

	for (uint64_t k = 0; k < count;) {
		uint64_t run = 0, off, len;
		int rc;

		while (k + run < count && present_bit(rg, first + k + run))
			run++;
		if (!run) {
			k++;
			continue;
		}
		off = rg->r.pages_offset + ((first + k) << sh);
		len = run << sh;
		rc = put_pages(w, p + (k << sh), len, off); /* io.c decides */
		if (rc)
			return rc;
		k += run;
	}
	return FRC_OK;
}

/*
 * A page of a compressed region: into the frame being filled in order
 * (recorded, nothing written: the frame is compressed once, when it is
 * left), or, when its frame was written before, the raw path (*raw: the
 * caller writes it to its slot; the frame is compressed at commit).
 */
static int compressed_page(frc_writer_t *w, uint32_t region, uint64_t i,
			   const uint8_t *pg, bool *raw)
{
	bool taken, present;
	int rc;

	pthread_mutex_lock(&w->fill.lock);
	rc = frc_w_frames_take(w, region, i, pg, &taken);
	if (rc == FRC_OK && taken)
		rc = note_page(w, region, i, pg, &present, 0);
	pthread_mutex_unlock(&w->fill.lock);
	*raw = false;
	if (rc == FRC_OK && !taken) {
		rc = note_page(w, region, i, pg, &present, W_NOTE_FRAMES);
		*raw = present;
	}
	return rc;
}

static int write_compressed_pages(frc_writer_t *w, uint32_t region,
				  uint64_t first, uint64_t count,
				  const uint8_t *p)
{
	struct wregion *rg = &w->regions[region];
	unsigned sh = rg->r.page_shift;
	int rc = FRC_OK;

	for (uint64_t k = 0; k < count && rc == FRC_OK; k++) {
		bool raw;
		int err;

		rc = compressed_page(w, region, first + k, p + (k << sh), &raw);
		if (rc || !raw)
			continue;
		/* through the page cache: read back at commit */
		err = frc_pwrite_full(w->fd, p + (k << sh), rg->r.page_size,
				      rg->r.pages_offset + ((first + k) << sh));
		rc = err ? io_fail(w, "cannot write page", err) : FRC_OK;
	}
	return rc;
}

/* Pages [base, base + page_count) of a region from src, in chunks. */
struct region_job {
	frc_writer_t *w;
	uint32_t region;
	const uint8_t *src;
	uint64_t base, pages_per_chunk, page_count;
	unsigned shift;
	frc_reader_t *r; /* frc_writer_copy_region(): region `from` of r */
	uint32_t from;
	struct chunk_bufs *bufs;
};

/*
 * Chunk buffers kept for the next chunk: a buffer allocated per chunk
 * costs a page fault per page each time (the allocator gives large blocks
 * back to the kernel when freed).
 */
#define SPARE_BUFS 64

struct chunk_bufs {
	pthread_mutex_t lock;
	size_t size;
	unsigned n;
	uint8_t *spare[SPARE_BUFS];
};

static uint8_t *buf_get(struct chunk_bufs *b)
{
	void *p = NULL;

	pthread_mutex_lock(&b->lock);
	if (b->n)
		p = b->spare[--b->n];
	pthread_mutex_unlock(&b->lock);
	if (!p && posix_memalign(&p, FRC_DIRECT_ALIGN, b->size))
		p = NULL;
	return p;
}

static void buf_put(struct chunk_bufs *b, uint8_t *p)
{
	pthread_mutex_lock(&b->lock);
	if (b->n < SPARE_BUFS) {
		b->spare[b->n++] = p;
		p = NULL;
	}
	pthread_mutex_unlock(&b->lock);
	free(p);
}

static int hash_chunk(void *arg, uint64_t chunk, uint64_t *bytes);
static int write_chunk(void *arg, uint64_t chunk, uint64_t *bytes);

/* A run of pages at least this long is hashed on every CPU while it is
 * written (SHA-256 of content digests costs about as much as the write). */
#define PARALLEL_BYTES (2u << 20)

FRC_API int frc_writer_write_pages(frc_writer_t *w, uint32_t region,
				   uint64_t first, uint64_t count,
				   const void *data)
{
	struct wregion *rg;
	int rc = page_range(w, region, first, count, data, &rg);

	if (rc == FRC_OK && rg->r.compression)
		return write_compressed_pages(w, region, first, count, data);
	if (rc == FRC_OK && (count << rg->r.page_shift) >= PARALLEL_BYTES) {
		struct region_job j = { w, region, data, first, 0, count,
					rg->r.page_shift, NULL, 0, NULL };
		struct frc_progress pr = { NULL, NULL, 0, 0 };

		/* 1 MiB chunks: each hashed, then written, on every CPU */
		j.pages_per_chunk = CHUNK >> j.shift ? CHUNK >> j.shift : 1;
		return frc_pipeline_run(w, w->path, 0, 0,
					(count + j.pages_per_chunk - 1) /
						j.pages_per_chunk,
					hash_chunk, write_chunk, &j, &pr);
	}
	if (rc == FRC_OK)
		rc = frc_w_hash_pages(w, region, first, count, data,
				      W_NOTE_FRAMES);
	if (rc == FRC_OK)
		rc = write_runs(w, region, first, count, data);
	return rc;
}

FRC_API int frc_writer_write_page(frc_writer_t *w, uint32_t region,
				  uint64_t page, const void *data)
{
	return frc_writer_write_pages(w, region, page, 1, data);
}

/* Writes iov[0..n) at off (io.c decides how); direct false: buffered. */
static int put_vector(frc_writer_t *w, struct iovec *iov, int n, uint64_t off,
		      bool direct)
{
	int err = frc_pwritev_pages(direct ? w->dfd : -1, w->fd, iov, n, off);

	return err ? io_fail(w, "cannot write pages", err) : FRC_OK;
}

FRC_API int frc_writer_write_batch(frc_writer_t *w, uint32_t region,
				   uint64_t count, const uint64_t *indices,
				   const void *const *pages)
{
	struct iovec iov[IOV_MAX < 1024 ? IOV_MAX : 1024];
	struct wregion *rg;
	uint64_t run_first = 0;
	int n = 0, rc = FRC_OK;

	if (!w || (count && (!indices || !pages)))
		return misuse(w, "indices or pages is NULL");
	if (__atomic_load_n(&w->state, __ATOMIC_ACQUIRE) != W_STARTED &&
	    (rc = frc_w_start(w, __func__)) != FRC_OK)
		return rc;
	if (region >= w->nregions)
		return misuse(w, "no such region");
	rg = &w->regions[region];
	for (uint64_t k = 0; k < count; k++)
		if (indices[k] >= rg->r.page_count || !pages[k])
			return misuse(w, "page index beyond the end of the "
					 "region");
	if (rg->r.compression) {
		for (uint64_t k = 0; k < count && rc == FRC_OK; k++)
			rc = write_compressed_pages(w, region, indices[k], 1,
						    pages[k]);
		return rc;
	}

	for (uint64_t k = 0; k < count && rc == FRC_OK; k++) {
		uint64_t i = indices[k];
		const uint8_t *pg = pages[k];
		bool present;

		if (n && (i != run_first + (uint64_t)n ||
			  n == (int)(sizeof(iov) / sizeof(iov[0])))) {
			rc = put_vector(w, iov, n, rg->r.pages_offset +
						   (run_first << rg->r.page_shift),
					!rg->r.compression);
			n = 0;
		}
		if (rc)
			break;
		rc = note_page(w, region, i, pg, &present, W_NOTE_FRAMES);
		if (rc || !present)
			continue;
		if (!n)
			run_first = i;
		iov[n].iov_base = (void *)(uintptr_t)pg;
		iov[n].iov_len = rg->r.page_size;
		n++;
	}
	if (rc == FRC_OK && n)
		rc = put_vector(w, iov, n,
				rg->r.pages_offset + (run_first << rg->r.page_shift),
				!rg->r.compression);
	return rc;
}

static int hash_chunk(void *arg, uint64_t chunk, uint64_t *bytes)
{
	struct region_job *j = arg;
	uint64_t first, n = frc_chunk(chunk, j->pages_per_chunk, j->page_count,
				     &first);

	*bytes = n << j->shift;
	/* whole frames are stored by write_chunk: no frame to touch */
	return frc_w_hash_pages(j->w, j->region, j->base + first, n,
				j->src + (first << j->shift), 0);
}

static int write_chunk(void *arg, uint64_t chunk, uint64_t *bytes)
{
	struct region_job *j = arg;
	uint64_t first, n = frc_chunk(chunk, j->pages_per_chunk, j->page_count,
				     &first);

	*bytes = n << j->shift;
	if (j->w->regions[j->region].r.compression)
		return frc_w_frames_store(j->w, j->region, j->base + first, n,
					  j->src + (first << j->shift));
	return write_runs(j->w, j->region, j->base + first, n,
			  j->src + (first << j->shift));
}

/*
 * A whole-region call of API function `func` on region `region`: the file
 * started, the frame being filled flushed (whole frames replace it), and
 * *j set for 4 MiB chunks, each a whole number of the region's frames,
 * and at least `per` pages (a multiple of them; a power of two).
 */
static int region_job_init(frc_writer_t *w, uint32_t region,
			   struct region_job *j, uint64_t per,
			   struct frc_progress *pr, const char *func)
{
	const struct wregion *rg;
	int rc = frc_w_start(w, func);

	if (rc)
		return rc;
	if (region >= w->nregions)
		return frc_w_misuse(w, func, "no such region: %u (%u declared)",
				    region, w->nregions);
	pthread_mutex_lock(&w->fill.lock);
	rc = frc_w_frames_flush(w);
	pthread_mutex_unlock(&w->fill.lock);
	if (rc)
		return rc;
	rg = &w->regions[region];
	j->w = w;
	j->region = region;
	j->shift = rg->r.page_shift;
	j->page_count = rg->r.page_count;
	j->pages_per_chunk = (CHUNK * 4) >> j->shift ? (CHUNK * 4) >> j->shift
						     : 1;
	if (rg->r.compression && (UINT64_C(1) << rg->r.frame_shift) > per)
		per = UINT64_C(1) << rg->r.frame_shift;
	j->pages_per_chunk = (j->pages_per_chunk + per - 1) / per * per;
	pr->total = rg->r.used_length;
	return FRC_OK;
}

static uint64_t region_chunks(const struct region_job *j)
{
	return (j->page_count + j->pages_per_chunk - 1) / j->pages_per_chunk;
}

FRC_API int frc_writer_write_region(frc_writer_t *w, uint32_t region,
				    const void *src, unsigned threads,
				    frc_progress_fn progress, void *ctx)
{
	struct frc_progress pr = { progress, ctx, 0, 0 };
	struct region_job j = { .src = src };
	int rc;

	if (!w || !src)
		return misuse(w, "src is NULL");
	rc = region_job_init(w, region, &j, 1, &pr, __func__);
	if (rc)
		return rc;
	/* Hashing on one thread per CPU, writing on `threads` threads. */
	return frc_pipeline_run(w, w->path, 0, threads, region_chunks(&j),
				hash_chunk, write_chunk, &j, &pr);
}

/*
 * frc_writer_copy_region(): pages [first, first + n) read from the reader,
 * verified, and recorded here. When both files have content digests the
 * leaves the reader checked the pages against become this file's: each
 * page is hashed once (the reader's leaves are checked up to its root, and
 * every page read matched its own).
 */
static int copy_run(struct region_job *j, uint64_t first, uint64_t n,
		    uint8_t *buf)
{
	frc_writer_t *w = j->w;
	uint8_t *tree = w->regions[j->region].tree;
	unsigned how = 0;
	int rc = frc_reader_read_pages(j->r, j->from, first, n, buf);

	if (rc == FRC_OK && tree) {
		rc = frc_r_dg_leaves(j->r, j->from, first, n,
				     tree + first * FRC_DG_SIZE);
		if (rc == FRC_OK)
			how = W_NOTE_LEAVES_SET;
		else if (rc == FRC_E_NOT_FOUND) /* no digests there */
			rc = FRC_OK;
	}
	if (rc)
		return frc_fail_plain(FRC_ERR(w), rc, "%s",
				      frc_reader_errmsg(j->r));
	return frc_w_hash_pages(w, j->region, first, n, buf, how);
}

/* The runs of pages [first, first + n) the reader holds, each copied and
 * written to its slots; buf holds the chunk. */
static int copy_runs(struct region_job *j, uint64_t first, uint64_t n,
		     uint8_t *buf)
{
	int rc = FRC_OK;

	for (uint64_t p = first, a, k; p < first + n && !rc; p = a + k) {
		uint8_t *at;

		/* the region was checked: next_run cannot fail */
		if (frc_reader_next_run(j->r, j->from, p, &a, &k) != FRC_OK ||
		    !k || a >= first + n)
			break;
		k = a + k > first + n ? first + n - a : k;
		at = buf + ((a - first) << j->shift);
		rc = copy_run(j, a, k, at);
		if (rc == FRC_OK)
			rc = write_runs(j->w, j->region, a, k, at);
	}
	return rc;
}

/*
 * One chunk of frc_writer_copy_region(), read and written by one thread:
 * the runs of pages the reader holds (its own or its base's); the other
 * pages are not written. A compressed region takes whole frames.
 */
static int copy_chunk(void *arg, uint64_t chunk, uint64_t *bytes)
{
	struct region_job *j = arg;
	frc_writer_t *w = j->w;
	uint64_t first, n = frc_chunk(chunk, j->pages_per_chunk, j->page_count,
				     &first);
	uint8_t *buf = buf_get(j->bufs);
	int rc = FRC_OK;

	*bytes = n << j->shift;
	if (!buf)
		return frc_fail_plain(FRC_ERR(w), FRC_E_NOMEM, "out of memory");
	if (w->regions[j->region].r.compression) {
		rc = copy_run(j, first, n, buf);
		if (rc == FRC_OK)
			rc = frc_w_frames_store(w, j->region, first, n, buf);
	} else {
		rc = copy_runs(j, first, n, buf);
	}
	/* each page is written once: to the disk now, beside the copy,
	 * rather than all at the commit's flush */
	if (rc == FRC_OK)
		frc_start_writeback(w->fd, w->regions[j->region].r.pages_offset +
						   (first << j->shift),
				    n << j->shift);
	buf_put(j->bufs, buf);
	return rc;
}

FRC_API int frc_writer_copy_region(frc_writer_t *w, uint32_t region,
				   frc_reader_t *r, uint32_t from,
				   unsigned threads, frc_progress_fn progress,
				   void *ctx)
{
	struct frc_progress pr = { progress, ctx, 0, 0 };
	struct chunk_bufs bufs = { .lock = PTHREAD_MUTEX_INITIALIZER };
	struct region_job j = { .r = r, .from = from, .bufs = &bufs };
	frc_region_info_t g;
	const struct wregion *rg;
	int rc;

	if (!w || !r)
		return misuse(w, "the writer or reader is NULL");
	if (frc_reader_region(r, from, &g, sizeof(g)) != FRC_OK)
		return misuse(w, "the reader has no region %u", from);
	/* chunks of whole frames there too */
	rc = region_job_init(w, region, &j, g.frame_pages ? g.frame_pages : 1,
			     &pr, __func__);
	if (rc)
		return rc;
	rg = &w->regions[region];
	if (g.page_size != rg->r.page_size || g.page_count != rg->r.page_count)
		return misuse(w, "region '%s' of the reader (%llu pages of %u "
				 "bytes) is not the shape of region '%s' "
				 "(%llu pages of %u)", g.id,
			      (unsigned long long)g.page_count, g.page_size,
			      rg->r.id, (unsigned long long)rg->r.page_count,
			      rg->r.page_size);
	bufs.size = j.pages_per_chunk << j.shift;
	rc = frc_pipeline_run(w, w->path, threads, 0, region_chunks(&j),
			      copy_chunk, NULL, &j, &pr);
	while (bufs.n)
		free(bufs.spare[--bufs.n]);
	pthread_mutex_destroy(&bufs.lock);
	return rc;
}
