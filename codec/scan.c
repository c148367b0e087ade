/*
 * scan.c - whole regions and the whole file: a region read and verified
 * chunk by chunk (or on every CPU), pages from a region's source, and the
 * verification pass that reports every problem (SPEC "Reader
 * conformance", "Order of checks").
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "reader_internal.h"

/* A buffer for a whole region, checked. */
static int region_buf_arg(frc_reader_t *r, const struct rregion *rg,
			  const void *buf, uint64_t buf_size, const char *func)
{
	if (!buf && rg->r.used_length)
		return frc_misuse(r, func, "the buffer is NULL");
	if (buf_size < rg->r.used_length)
		return frc_misuse(r, func,
				  "a buffer of %llu bytes cannot hold region "
				  "'%s' (%llu bytes)",
				  (unsigned long long)buf_size, rg->r.id,
				  (unsigned long long)rg->r.used_length);
	return FRC_OK;
}

int frc_r_scan_progress(frc_reader_t *r, struct frc_progress *sc, uint64_t n)
{
	if (frc_progress_step(sc, n))
		return frc_r_fail(r, FRC_E_CANCELED, 0, NULL, "canceled");
	return FRC_OK;
}

/*
 * Reports the problem whose message frc_r_fail() just recorded. Returns 0 to go
 * on, or the code that ends the scan (no report, or the callback stopped).
 */
int frc_r_report(frc_reader_t *r, struct report *rep, int code,
		  int64_t region, int64_t page, int64_t section, uint64_t off)
{
	frc_problem_t p = { sizeof(p), code, region, page, section, off, NULL };
	char msg[sizeof(frc_err_current()->msg)];
	int stop;

	/* Damage and unreadable bytes are reported; anything else (out of
	 * memory, canceled) ends the scan. */
	if (!rep || (code >= FRC_ERROR_CLASS_LIMIT && code != FRC_E_IO))
		return code;
	/* frc_r_fail() recorded the message in this thread's record; the copy
	 * survives anything the callback does with the library. */
	snprintf(msg, sizeof(msg), "%s", frc_err_message(r));
	p.message = msg;
	rep->count++;
	if (rep->first == FRC_OK)
		rep->first = code;
	stop = rep->fn && rep->fn(rep->ctx, &p);
	return stop ? code : FRC_OK;
}

/* Verifies the present pages of [first, first+n) held in dst. */
static int verify_chunk_pages(frc_reader_t *r, uint32_t idx, uint64_t first,
			      uint64_t n, const uint8_t *dst, uint8_t *entries,
			      struct report *rep)
{
	struct rregion *rg = &r->regions[idx];
	unsigned sh = rg->r.page_shift;
	bool any = frc_bm_find(rg, first, first + n, true) < first + n;
	struct frc_dg_cursor c;
	int rc;

	/* a base read for the file above (1.3): only its own pages to
	 * check, and their leaves are that file's to check */
	if (r->chain_child && !any)
		return FRC_OK;
	rc = any ? frc_r_read(r, entries, n * 8, rg->r.csum_offset + first * 8,
			      "checksum table")
		 : FRC_OK;
	if (rc == FRC_E_IO && rep)
		return frc_r_report(r, rep, rc, idx, -1, -1,
			      rg->r.csum_offset + first * 8);

	c.group = 0;
	/* SPEC "Order of checks": each page's checksum, then (1.3) its leaf */
	for (uint64_t k = 0; k < n && !rc; k++) {
		bool set = frc_bm_get(rg, first + k);

		if (set)
			rc = frc_r_check_page(r, idx, first + k, dst + (k << sh),
					frc_get64(entries + 8 * k));
		if (!rc)
			rc = set || frc_r_from_base(rg, first + k)
				     ? frc_r_dg_page(r, &c, idx, first + k,
						     dst + (k << sh))
				     : frc_r_dg_absent(r, &c, idx, first + k);
		if (rc)
			rc = frc_r_report(r, rep, rc, idx, (int64_t)(first + k), -1,
				    frc_r_page_offset(rg, first + k));
	}
	return rc;
}

/*
 * After a read error inside a chunk: each present page on its own, so that
 * every unreadable page is reported and every readable one still verified.
 */
static int scan_chunk_by_page(frc_reader_t *r, uint32_t idx, uint64_t first,
			      uint64_t n, uint8_t *dst, struct report *rep)
{
	struct rregion *rg = &r->regions[idx];
	unsigned sh = rg->r.page_shift;
	struct frc_dg_cursor c = { .group = 0 };
	int rc = FRC_OK;

	for (uint64_t k = frc_bm_find(rg, first, first + n, true) - first;
	     k < n && rc == FRC_OK;
	     k = frc_bm_find(rg, first + k + 1, first + n, true) - first) {
		uint64_t p = first + k, entry = 0;
		uint8_t b[8];

		rc = frc_r_read_pages(r, dst + (k << sh), rg->r.page_size,
				frc_r_page_offset(rg, p));
		if (rc == FRC_OK)
			rc = frc_r_read(r, b, 8, rg->r.csum_offset + p * 8,
				     "checksum table");
		if (rc == FRC_OK) {
			entry = frc_get64(b);
			rc = frc_r_check_page(r, idx, p, dst + (k << sh), entry);
		}
		if (rc == FRC_OK)
			rc = frc_r_dg_page(r, &c, idx, p, dst + (k << sh));
		if (rc)
			rc = frc_r_report(r, rep, rc, idx, (int64_t)p, -1,
				    frc_r_page_offset(rg, p));
	}
	return rc;
}

#define SOURCE_PIECE (256u << 10) /* bytes per read from a source */

/*
 * Pages [first, first+n) of a region with a source (frc_reader_set_source()):
 * read from there, a piece at a time, into dst or a scratch buffer, and
 * verified; absent pages must read as zeros (SPEC "Present-page bitmap").
 */
static int scan_source(frc_reader_t *r, uint32_t idx, uint64_t first,
		       uint64_t n, uint8_t *dst, uint8_t *entries,
		       struct report *rep)
{
	struct rregion *rg = &r->regions[idx];
	unsigned sh = rg->r.page_shift;
	uint64_t per = SOURCE_PIECE >> sh ? SOURCE_PIECE >> sh : 1;
	uint8_t *scratch = dst ? NULL : malloc(per << sh);
	struct frc_dg_cursor c = { .group = 0 };
	int rc = frc_r_read(r, entries, n * 8, rg->r.csum_offset + first * 8,
			 "checksum table");

	if (!dst && !scratch)
		rc = frc_r_fail(r, FRC_E_NOMEM, 0, NULL, "out of memory");
	for (uint64_t k = 0; k < n && !rc; k += per) {
		uint64_t m = n - k < per ? n - k : per, p = first + k;
		uint64_t off = rg->src_offset + (p << sh);
		uint8_t *b = dst ? dst + (k << sh) : scratch;
		int err = frc_pread_full(rg->src_fd - 1, b, m << sh, off);

		if (err) {
			rc = frc_r_fail(r, FRC_E_IO, off, NULL, "cannot read pages "
				  "%llu-%llu of region '%s' from their source "
				  "at offset 0x%llx: %s", (unsigned long long)p,
				  (unsigned long long)(p + m - 1), rg->r.id,
				  (unsigned long long)off,
				  err < 0 ? "it ends before them" : strerror(err));
			break;
		}
		for (uint64_t q = p; q < p + m && !rc; q++) {
			const uint8_t *pg = b + ((q - p) << sh);
			bool set = frc_bm_get(rg, q);

			if (set &&
			    frc_r_check_page(r, idx, q, pg,
				       frc_get64(entries + 8 * (q - first))))
				rc = frc_r_fail(r, FRC_E_CHECKSUM, frc_r_page_offset(rg, q),
					  "R-CSUM", "page %llu of region '%s' in "
					  "its source (offset 0x%llx there) does "
					  "not match its checksum",
					  (unsigned long long)q, rg->r.id,
					  (unsigned long long)(rg->src_offset +
							       (q << sh)));
			else if (!set && !frc_r_from_base(rg, q) &&
				 !frc_all_zero(pg, rg->r.page_size))
				rc = frc_r_fail(r, FRC_E_CHECKSUM, frc_r_page_offset(rg, q),
					  "R-BM-ZEROS", "absent page %llu of region "
					  "'%s' is not zero in its source",
					  (unsigned long long)q, rg->r.id);
			else
				rc = frc_r_dg_page(r, &c, idx, q, pg);
			if (rc)
				rc = frc_r_report(r, rep, rc, idx, (int64_t)q, -1,
					    frc_r_page_offset(rg, q));
		}
	}
	free(scratch);
	return rc;
}

/*
 * A compressed region's pages [first, first+n) for verify_all: frame by
 * frame, so that a bad frame is reported and the others still verified.
 */
static int scan_frames(frc_reader_t *r, uint32_t idx, uint64_t first,
		       uint64_t n, uint8_t *dst, uint8_t *entries,
		       struct report *rep)
{
	struct rregion *rg = &r->regions[idx];
	uint64_t per = UINT64_C(1) << rg->r.frame_shift;
	int rc = FRC_OK;

	for (uint64_t p = first; p < first + n && rc == FRC_OK;) {
		uint64_t end = (p / per + 1) * per < first + n
				       ? (p / per + 1) * per
				       : first + n;
		uint8_t *d = dst + ((p - first) << rg->r.page_shift);

		rc = frc_r_read_chunk_pages(r, idx, p, end - p, d);
		if (rc)
			rc = frc_r_report(r, rep, rc, idx, (int64_t)p, -1,
				    frc_r_page_offset(rg, p));
		else
			rc = verify_chunk_pages(r, idx, p, end - p, d,
						entries + 8 * (p - first), rep);
		p = end;
	}
	return rc;
}

/* Reads and verifies pages [first, first+n) into dst. */
static int scan_chunk(frc_reader_t *r, uint32_t idx, uint64_t first,
		      uint64_t n, uint8_t *dst, uint8_t *entries,
		      struct report *rep)
{
	int rc;

	if (r->regions[idx].src_fd)
		return scan_source(r, idx, first, n, dst, entries, rep);
	if (r->regions[idx].r.compression) /* a frame, then its pages */
		return scan_frames(r, idx, first, n, dst, entries, rep);
	rc = frc_r_read_chunk_pages(r, idx, first, n, dst);

	if (rc == FRC_E_IO && rep)
		return scan_chunk_by_page(r, idx, first, n, dst, rep);
	return rc ? rc : verify_chunk_pages(r, idx, first, n, dst, entries, rep);
}

/*
 * Pages [first, first+count) of a region, verified, into dst: a piece of a
 * region as frc_reader_read_region() reads the whole, one read per run of
 * present pages and one read of their checksum entries per SCAN_BYTES.
 */
FRC_API int frc_reader_read_pages(frc_reader_t *r, uint32_t region,
				  uint64_t first, uint64_t count, void *buf)
{
	struct rregion *rg;
	uint64_t step;
	uint8_t *entries, *dst = buf;
	int rc = region_arg(r, region, &rg);

	if (rc)
		return rc;
	if (!buf && count)
		return FRC_MISUSE(r, "the buffer is NULL");
	if (first > rg->r.page_count || count > rg->r.page_count - first)
		return FRC_MISUSE(r, "%s: pages %llu+%llu are beyond region "
				  "'%s' (%llu pages)", r->path,
				  (unsigned long long)first,
				  (unsigned long long)count, rg->r.id,
				  (unsigned long long)rg->r.page_count);
	if (!count)
		return FRC_OK;
	if (!rg->bitmap_valid)
		return frc_r_fail(r, FRC_E_INCOMPLETE, rg->r.bitmap_offset, "R-SALVAGE",
			    "region '%s' has no valid bitmap: its pages cannot "
			    "be verified", rg->r.id);
	rc = frc_r_ensure_tables(r, region);
	if (rc)
		return rc;
	step = SCAN_BYTES >> rg->r.page_shift ? SCAN_BYTES >> rg->r.page_shift
					      : 1;
	entries = malloc((count < step ? count : step) * 8);
	if (!entries)
		return frc_r_fail(r, FRC_E_NOMEM, 0, NULL, "out of memory");
	for (uint64_t i = 0; i < count && !rc; i += step) {
		uint64_t n = count - i < step ? count - i : step;

		rc = scan_chunk(r, region, first + i, n,
				dst + (i << rg->r.page_shift), entries, NULL);
	}
	free(entries);
	return rc;
}

/* Reads a whole region, verified, into dst (or a scratch buffer). */
static int parallel_region(frc_reader_t *r, uint32_t idx, uint8_t *dst,
			   unsigned threads, struct frc_progress *pr);

/*
 * Pages per chunk of a region's scan: SCAN_BYTES worth, and for a
 * compressed region a whole number of frames.
 */
static uint64_t scan_step(const struct rregion *rg)
{
	uint64_t step = SCAN_BYTES >> rg->r.page_shift;
	uint64_t per = UINT64_C(1) << rg->r.frame_shift;

	if (step == 0)
		step = 1;
	if (rg->r.compression)
		step = (step + per - 1) / per * per;
	return step;
}

static int scan_region(frc_reader_t *r, uint32_t idx, uint8_t *dst,
		       struct frc_progress *sc, struct report *rep)
{
	struct rregion *rg = &r->regions[idx];
	uint64_t step = scan_step(rg);
	uint8_t *scratch = NULL, *entries;
	int rc;

	if (!rg->r.page_count)
		return FRC_OK;
	if (!rg->bitmap_valid) {
		rc = frc_r_fail(r, FRC_E_INCOMPLETE, rg->r.bitmap_offset, "R-SALVAGE",
			  "region '%s' has no valid bitmap: its pages cannot "
			  "be verified", rg->r.id);
		return frc_r_report(r, rep, rc, idx, -1, -1, rg->r.bitmap_offset);
	}
	rc = frc_r_ensure_tables(r, idx);
	if (rc)
		return frc_r_report(r, rep, rc, idx, -1, -1, rg->r.csum_offset);
	if (rg->r.compression && !rg->src_fd &&
	    (rc = frc_frames_ensure(r, idx)) != FRC_OK)
		return frc_r_report(r, rep, rc, idx, -1, -1,
			      rg->r.frame_table_offset);
	if (rg->src_fd && !dst) {
		/* from a source, on every CPU; after a problem, once more
		 * chunk by chunk so that every problem is reported */
		uint64_t done = sc->done;

		rc = parallel_region(r, idx, NULL, 0, sc);
		if (!rc || !rep)
			return rc;
		sc->done = done;
		rc = FRC_OK;
	}
	if (step == 0)
		step = 1;
	entries = malloc(step * 8);
	if (!dst && posix_memalign((void **)&scratch, FRC_DIRECT_ALIGN,
				   step << rg->r.page_shift))
		scratch = NULL;
	if (!entries || (!dst && !scratch)) {
		rc = frc_r_fail(r, FRC_E_NOMEM, 0, NULL, "out of memory");
		goto out;
	}
	for (uint64_t i = 0; i < rg->r.page_count && !rc; i += step) {
		uint64_t n, next;

		if (!dst && !rg->src_fd && r->dg_section < 0) {
			/* Verifying the file only: absent pages need no work,
			 * so a sparse region costs what it holds (with content
			 * digests (1.3) every page has a leaf to check). */
			next = frc_bm_find(rg, i, rg->r.page_count, true);
			if (rg->r.compression) /* from its frame's start */
				next &= ~((UINT64_C(1) << rg->r.frame_shift) -
					  1);
			rc = frc_r_scan_progress(r, sc, (next - i) << rg->r.page_shift);
			i = next;
			if (rc || i >= rg->r.page_count)
				break;
		}
		n = rg->r.page_count - i < step ? rg->r.page_count - i : step;
		rc = scan_chunk(r, idx, i, n,
				dst ? dst + (i << rg->r.page_shift) : scratch,
				entries, rep);
		if (!rc)
			rc = frc_r_scan_progress(r, sc, n << rg->r.page_shift);
	}
out:
	free(entries);
	free(scratch);
	return rc;
}

FRC_API int frc_reader_read_region(frc_reader_t *r, uint32_t region,
				   void *buf, uint64_t buf_size,
				   frc_progress_fn progress, void *ctx)
{
	struct rregion *rg;
	struct frc_progress sc = { progress, ctx, 0, 0 };
	int rc = region_arg(r, region, &rg);

	if (rc || (rc = region_buf_arg(r, rg, buf, buf_size, __func__)))
		return rc;
	sc.total = rg->r.used_length;
	return scan_region(r, region, buf, &sc, NULL);
}

struct read_job {
	frc_reader_t *r;
	uint32_t idx;
	uint8_t *dst;
	uint64_t step, page_count;
	unsigned shift;
};

static int read_stage(void *arg, uint64_t chunk, uint64_t *bytes)
{
	struct read_job *j = arg;
	uint64_t first, n = frc_chunk(chunk, j->step, j->page_count, &first);

	*bytes = n << j->shift;
	if (j->r->regions[j->idx].src_fd) /* verify_stage reads them */
		return FRC_OK;
	if (j->r->regions[j->idx].r.compression) {
		/* a frame, then its pages, as every other path does */
		uint8_t *entries = malloc(n * 8);
		int rc = entries ? scan_chunk(j->r, j->idx, first, n,
					      j->dst + (first << j->shift),
					      entries, NULL)
				 : frc_r_fail(j->r, FRC_E_NOMEM, 0, NULL,
					"out of memory");

		free(entries);
		return rc;
	}
	return frc_r_read_chunk_pages(j->r, j->idx, first, n,
				j->dst + (first << j->shift));
}

static int verify_stage(void *arg, uint64_t chunk, uint64_t *bytes)
{
	struct read_job *j = arg;
	uint64_t first, n = frc_chunk(chunk, j->step, j->page_count, &first);
	uint8_t *entries = malloc(n * 8);
	int rc;

	if (!entries)
		return frc_r_fail(j->r, FRC_E_NOMEM, 0, NULL, "out of memory");
	if (j->r->regions[j->idx].r.compression && !j->r->regions[j->idx].src_fd)
		rc = FRC_OK; /* read_stage verified them */
	else if (j->r->regions[j->idx].src_fd)
		rc = scan_source(j->r, j->idx, first, n,
				 j->dst ? j->dst + (first << j->shift) : NULL,
				 entries, NULL);
	else
		rc = verify_chunk_pages(j->r, j->idx, first, n,
					j->dst + (first << j->shift), entries,
					NULL);
	free(entries);
	*bytes = n << j->shift;
	return rc;
}

/*
 * A region's pages read on `threads` threads and verified on one thread per
 * CPU, into dst; from a source (frc_reader_set_source()) read and verified
 * on one thread per CPU, into dst when dst is not NULL.
 */
static int parallel_region(frc_reader_t *r, uint32_t idx, uint8_t *dst,
			   unsigned threads, struct frc_progress *pr)
{
	struct rregion *rg = &r->regions[idx];
	struct read_job j;

	j.r = r;
	j.idx = idx;
	j.dst = dst;
	j.shift = rg->r.page_shift;
	j.page_count = rg->r.page_count;
	j.step = scan_step(rg);
	return frc_pipeline_run(r, r->path, rg->src_fd ? 1 : threads, 0,
				(j.page_count + j.step - 1) / j.step,
				read_stage, verify_stage, &j, pr);
}

FRC_API int frc_reader_read_region_parallel(frc_reader_t *r, uint32_t region,
					    void *buf, uint64_t buf_size,
					    unsigned threads,
					    frc_progress_fn progress,
					    void *ctx)
{
	struct frc_progress pr = { progress, ctx, 0, 0 };
	struct rregion *rg;
	int rc = region_arg(r, region, &rg);

	if (rc || (rc = region_buf_arg(r, rg, buf, buf_size, __func__)))
		return rc;
	if (!rg->r.page_count)
		return FRC_OK;
	if (!rg->bitmap_valid)
		return frc_r_fail(r, FRC_E_INCOMPLETE, rg->r.bitmap_offset, "R-SALVAGE",
			    "region '%s' has no valid bitmap", rg->r.id);
	rc = frc_r_ensure_tables(r, region);
	if (rc)
		return rc;
	pr.total = rg->r.used_length;
	return parallel_region(r, region, buf, threads, &pr);
}

static int verify_file(frc_reader_t *r, frc_progress_fn progress, void *ctx,
		       struct report *rep)
{
	struct frc_progress sc = { progress, ctx, 0, 0 };
	int rc = FRC_OK;

	if ((rc = frc_reader_usable(r, "frc_reader_verify")))
		return rc;
	for (uint32_t i = 0; i < r->nregions; i++)
		sc.total += r->regions[i].r.used_length;
	for (uint32_t i = 0; i < r->nsections; i++)
		sc.total += r->sections[i].length;
	for (uint32_t i = 0; i < r->nregions && !rc; i++)
		rc = scan_region(r, i, NULL, &sc, rep);
	for (uint32_t i = 0; i < r->nsections && !rc; i++)
		rc = frc_r_scan_section(r, i, NULL, &sc, rep);
	return rc;
}

FRC_API int frc_reader_verify(frc_reader_t *r, frc_progress_fn progress,
			      void *ctx)
{
	return verify_file(r, progress, ctx, NULL);
}

FRC_API int frc_reader_verify_all(frc_reader_t *r, frc_problem_fn on_problem,
				  void *problem_ctx, frc_progress_fn progress,
				  void *ctx, uint64_t *problems)
{
	struct report rep = { on_problem, problem_ctx, 0, FRC_OK };
	int rc = verify_file(r, progress, ctx, &rep);

	if (problems)
		*problems = rep.count;
	return rc ? rc : rep.first;
}
