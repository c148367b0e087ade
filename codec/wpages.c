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
 * a clear bit and a freed slot. Sets *present to say which.
 */
static int note_page(frc_writer_t *w, uint32_t region, uint64_t i,
		     const uint8_t *pg, bool *present, bool frames)
{
	struct wregion *rg = &w->regions[region];
	int rc;

	*present = !frc_all_zero(pg, rg->r.page_size);
	/* a page about to change in a compressed region: its frame first */
	if (frames && rg->r.compression &&
	    (rc = frc_w_frames_touch(w, region, i, *present)) != FRC_OK)
		return rc;
	if (!*present)
		return clear_page(w, rg, i);
	/* SPEC "Page checksum table": the checksum is bound to region and page index. */
	if (rg->tree && (rc = frc_w_dg_leaf(w, rg, i, pg)) != FRC_OK)
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
		      uint64_t count, const uint8_t *p, bool frames)
{
	unsigned sh = w->regions[region].r.page_shift;

	for (uint64_t k = 0; k < count; k++) {
		bool present;
		int rc = note_page(w, region, first + k, p + (k << sh), &present,
				   frames);

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
		rc = note_page(w, region, i, pg, &present, false);
	pthread_mutex_unlock(&w->fill.lock);
	*raw = false;
	if (rc == FRC_OK && !taken) {
		rc = note_page(w, region, i, pg, &present, true);
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
};

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
					rg->r.page_shift };
		struct frc_progress pr = { NULL, NULL, 0, 0 };

		/* 1 MiB chunks: each hashed, then written, on every CPU */
		j.pages_per_chunk = CHUNK >> j.shift ? CHUNK >> j.shift : 1;
		return frc_pipeline_run(w, w->path, 0, 0,
					(count + j.pages_per_chunk - 1) /
						j.pages_per_chunk,
					hash_chunk, write_chunk, &j, &pr);
	}
	if (rc == FRC_OK)
		rc = frc_w_hash_pages(w, region, first, count, data, true);
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
		rc = note_page(w, region, i, pg, &present, true);
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
				j->src + (first << j->shift), false);
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

FRC_API int frc_writer_write_region(frc_writer_t *w, uint32_t region,
				    const void *src, unsigned threads,
				    frc_progress_fn progress, void *ctx)
{
	struct frc_progress pr = { progress, ctx, 0, 0 };
	struct region_job j;
	int rc;

	if (!w || !src)
		return misuse(w, "src is NULL");
	rc = frc_w_start(w, __func__);
	if (rc)
		return rc;
	if (region >= w->nregions)
		return misuse(w, "no such region");
	pthread_mutex_lock(&w->fill.lock); /* whole frames replace it */
	rc = frc_w_frames_flush(w);
	pthread_mutex_unlock(&w->fill.lock);
	if (rc)
		return rc;
	j.w = w;
	j.region = region;
	j.src = src;
	j.base = 0;
	j.shift = w->regions[region].r.page_shift;
	j.page_count = w->regions[region].r.page_count;
	j.pages_per_chunk = (CHUNK * 4) >> j.shift ? (CHUNK * 4) >> j.shift : 1;
	if (w->regions[region].r.compression) { /* whole frames per chunk */
		uint64_t per = UINT64_C(1) << w->regions[region].r.frame_shift;

		j.pages_per_chunk = (j.pages_per_chunk + per - 1) / per * per;
	}
	pr.total = w->regions[region].r.used_length;
	/* Hashing on one thread per CPU, writing on `threads` threads. */
	return frc_pipeline_run(w, w->path, 0, threads,
				(j.page_count + j.pages_per_chunk - 1) /
					j.pages_per_chunk,
				hash_chunk, write_chunk, &j, &pr);
}
