/*
 * pages.c - reading and verifying page data and sections (SPEC "Checksums",
 * "Present-page bitmap",
 * "Reader"): one page in O(1), a whole region, a lazy mapping, and the full
 * verification pass.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "reader_internal.h"

#define SCAN_BYTES (4u << 20) /* page bytes read per step of a scan */
#define TABLE_CHUNK (1u << 20)

/* Records an error from any thread. */
__attribute__((format(printf, 5, 6))) static int
fail(frc_reader_t *r, int code, uint64_t off, const char *spec,
     const char *fmt, ...)
{
	char what[320];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return frc_fail(FRC_ERR(r), code, r->path, off, spec, "%s", what);
}

#define region_arg(r, region, out) frc_reader_region_arg(r, region, out, __func__)

/* The caller's reader and section, checked. */
static int section_arg(const frc_reader_t *r, uint32_t section,
		       const char *func)
{
	int rc = frc_reader_usable(r, func);

	if (rc)
		return rc;
	if (section >= r->nsections)
		return frc_misuse(r, func, "%s: no section %u (the file has %u)",
				  r->path, section, r->nsections);
	return FRC_OK;
}

/* A page index within the region, checked. */
static int page_arg(frc_reader_t *r, const struct rregion *rg, uint64_t page,
		    const void *buf, const char *func)
{
	if (!buf)
		return frc_misuse(r, func, "the page buffer is NULL");
	if (page >= rg->r.page_count)
		return frc_misuse(r, func,
				  "%s: page %llu is beyond region '%s' "
				  "(%llu pages)", r->path,
				  (unsigned long long)page, rg->r.id,
				  (unsigned long long)rg->r.page_count);
	return FRC_OK;
}

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

/* Salvage mode, damaged bitmap: nothing about the region's pages is known. */
static int bitmap_unknown(frc_reader_t *r, const struct rregion *rg)
{
	return fail(r, FRC_E_INCOMPLETE, rg->r.bitmap_offset, "R-SALVAGE",
		    "region '%s': the bitmap is damaged, so which pages are "
		    "present is unknown (salvage mode)", rg->r.id);
}

static uint64_t page_offset(const struct rregion *rg, uint64_t page)
{
	return rg->r.pages_offset + (page << rg->r.page_shift);
}

static bool present(const struct rregion *rg, uint64_t page)
{
	return !rg->bitmap_valid || frc_bm_get(rg, page);
}

/* Reads page data, with O_DIRECT where the policy allows (io.c). */
static int read_pages(frc_reader_t *r, uint8_t *dst, size_t len, uint64_t off)
{
	return frc_r_read_via(r, r->dfd, dst, len, off, "page area");
}

/*
 * Feeds [off, off+len) of the file to h: data extents are read in chunks
 * into buf (TABLE_CHUNK bytes) and passed to `chunk` (when not NULL) with
 * their offset; holes are fed as zeros without being read. Time and memory
 * follow what the file holds, not the length it claims.
 */
static int hash_extent(frc_reader_t *r, uint64_t off, uint64_t len,
		       struct frc_stream_hash *h, uint8_t *buf,
		       void (*chunk)(void *, const uint8_t *, uint64_t, uint64_t),
		       void *ctx, const char *what)
{
	static const uint8_t zeros[TABLE_CHUNK];
	uint64_t pos = off, end = off + len, data = off;
	int rc = FRC_OK;

	while (pos < end && rc == FRC_OK) {
		uint64_t n = end - pos < TABLE_CHUNK ? end - pos : TABLE_CHUNK;

		if (data < pos) {
			uint64_t d, hole;

			data = frc_data_extent(r->fd, pos, end, &d, &hole) ? d
									  : end;
		}
		if (data > pos) { /* a hole up to `data` */
			if (data - pos < n)
				n = data - pos;
			frc_stream_update(h, zeros, n);
		} else {
			rc = frc_r_read(r, buf, n, pos, what);
			if (rc == FRC_OK) {
				frc_stream_update(h, buf, n);
				if (chunk)
					chunk(ctx, buf, n, pos - off);
			}
		}
		pos += n;
	}
	return rc;
}

/* The first non-zero checksum entry of an absent page, if any. */
struct absent_entry {
	const struct rregion *rg;
	uint64_t first_bad; /* page index, or UINT64_MAX */
};

static void find_absent_entry(void *ctx, const uint8_t *buf, uint64_t n,
			      uint64_t at)
{
	struct absent_entry *a = ctx;

	for (uint64_t j = 0; j + 8 <= n && a->first_bad == UINT64_MAX; j += 8)
		if (frc_get64(buf + j) && !frc_bm_get(a->rg, (at + j) / 8))
			a->first_bad = (at + j) / 8;
}

/*
 * SPEC "Page checksum table": verifies a region's checksum table once: its
 * trailer first,
 * then that every absent page's entry is zero. Result cached in csum_state.
 */
static int scan_csum_table(frc_reader_t *r, uint32_t idx)
{
	struct rregion *rg = &r->regions[idx];
	struct frc_stream_hash *h = frc_stream_new(
		frc_key(r->sb.uuid, FRC_KEY_CSUM_TABLE, idx, 0));
	uint8_t *buf = malloc(TABLE_CHUNK);
	uint64_t off = rg->r.csum_offset, n = rg->r.page_count;
	struct absent_entry a = { rg, UINT64_MAX };
	int rc;

	if (!h || !buf) {
		rc = fail(r, FRC_E_NOMEM, off, NULL, "out of memory");
		goto out;
	}
	rc = hash_extent(r, off, n * 8, h, buf,
			 rg->bitmap_valid ? find_absent_entry : NULL, &a,
			 "checksum table");
	if (!rc)
		rc = frc_r_read(r, buf, 8, off + n * 8, "checksum table");
	if (!rc && !FRC_CSUM_OK(frc_get64(buf), frc_stream_digest(h)))
		rc = fail(r, FRC_E_CHECKSUM, off + n * 8, "R-CSUM-TABLE-FIRST",
			  "checksum table checksum mismatch in region '%s'",
			  rg->r.id);
	if (!rc && a.first_bad != UINT64_MAX)
		rc = fail(r, FRC_E_BAD_FIELD, off + a.first_bad * 8, "R-CSUM-ABSENT",
			  "checksum entry of absent page %llu of region '%s' "
			  "is not zero", (unsigned long long)a.first_bad,
			  rg->r.id);
out:
	frc_stream_free(h);
	free(buf);
	return rc;
}

/*
 * The tables a region's pages are verified with, checked once, in the SPEC's
 * order ("Order of checks"): the checksum table, then (1.2) the frame table
 * and all its entries. Every path that verifies a page comes here first, so
 * all give one verdict.
 */
static int ensure_csums(frc_reader_t *r, uint32_t idx)
{
	struct rregion *rg = &r->regions[idx];
	int rc = frc_reader_check_once(r, idx, &rg->csum_state,
				       scan_csum_table, rg->r.csum_offset,
				       "R-CSUM", "checksum table");

	if (rc == FRC_OK && rg->r.compression && !rg->src_fd)
		rc = frc_frames_ensure(r, idx);
	return rc;
}

/* SPEC "Page checksum table": compares a page with its stored checksum. */
static int check_page(frc_reader_t *r, uint32_t idx, uint64_t page,
		      const uint8_t *data, uint64_t stored)
{
	struct rregion *rg = &r->regions[idx];
	uint64_t got = frc_hash(data, rg->r.page_size,
				frc_key(r->sb.uuid, FRC_KEY_PAGE, idx, page));

	if (!FRC_CSUM_OK(stored, got))
		return fail(r, FRC_E_CHECKSUM, page_offset(rg, page), "R-CSUM",
			    "checksum mismatch in region '%s' page %llu",
			    rg->r.id, (unsigned long long)page);
	return FRC_OK;
}

static int load_entry(frc_reader_t *r, uint32_t idx, uint64_t page,
		      uint64_t *entry)
{
	struct rregion *rg = &r->regions[idx];
	uint8_t b[8];
	int rc = ensure_csums(r, idx);

	*entry = 0;
	if (!rc)
		rc = frc_r_read(r, b, 8, rg->r.csum_offset + page * 8,
			     "checksum table");
	if (!rc)
		*entry = frc_get64(b);
	return rc;
}

/* In salvage mode, what cannot be verified is reported as incomplete. */
static int salvage_code(frc_reader_t *r, int rc)
{
	if ((r->flags & FRC_OPEN_SALVAGE) && rc == FRC_E_CHECKSUM)
		return FRC_E_INCOMPLETE;
	return rc;
}

static int read_chunk_pages(frc_reader_t *r, uint32_t idx, uint64_t first,
			    uint64_t n, uint8_t *dst);

FRC_API int frc_reader_page_present(const frc_reader_t *r, uint32_t region,
				    uint64_t page)
{
	const struct rregion *rg;

	if (!r || !r->open_ok || region >= r->nregions)
		return 0;
	rg = &r->regions[region];
	return page < rg->r.page_count && present(rg, page);
}

FRC_API int frc_reader_read_page(frc_reader_t *r, uint32_t region,
				 uint64_t page, void *buf)
{
	struct rregion *rg;
	uint64_t entry;
	int rc = region_arg(r, region, &rg);

	if (rc || (rc = page_arg(r, rg, page, buf, __func__)))
		return rc;
	if (!present(rg, page)) {
		memset(buf, 0, rg->r.page_size);
		return FRC_OK;
	}
	if (!rg->bitmap_valid) {
		/* salvage: the bytes found in the slot, reported unverified
		 * (a compressed region's frames cannot be told without it) */
		if (!rg->r.compression &&
		    (rc = frc_r_read(r, buf, rg->r.page_size,
				  page_offset(rg, page), "page")))
			return rc;
		return bitmap_unknown(r, rg);
	}
	/* the tables first, then the page (of a compressed region: its
	 * frame, decoded, O(1)) */
	rc = load_entry(r, region, page, &entry);
	if (rc)
		return salvage_code(r, rc);
	rc = read_chunk_pages(r, region, page, 1, buf);
	if (rc)
		return rc;
	return check_page(r, region, page, buf, entry);
}

FRC_API int frc_reader_verify_page(frc_reader_t *r, uint32_t region,
				   uint64_t page, const void *data)
{
	struct rregion *rg;
	uint64_t entry;
	int rc = region_arg(r, region, &rg);

	if (rc || (rc = page_arg(r, rg, page, data, __func__)))
		return rc;
	if (!rg->bitmap_valid)
		return bitmap_unknown(r, rg);
	if (!frc_bm_get(rg, page)) {
		if (frc_all_zero(data, rg->r.page_size))
			return FRC_OK;
		return fail(r, FRC_E_CHECKSUM, page_offset(rg, page), "R-BM-ZEROS",
			    "absent page %llu of region '%s' is not zero",
			    (unsigned long long)page, rg->r.id);
	}
	rc = load_entry(r, region, page, &entry);
	return rc ? rc : check_page(r, region, page, data, entry);
}

static int scan_progress(frc_reader_t *r, struct frc_progress *sc, uint64_t n)
{
	if (frc_progress_step(sc, n))
		return fail(r, FRC_E_CANCELED, 0, NULL, "canceled");
	return FRC_OK;
}

/*
 * Where verification problems go. Without one (NULL), the first problem
 * ends the scan; with one, each problem is reported and the scan goes on.
 */
struct report {
	frc_problem_fn fn;
	void *ctx;
	uint64_t count;
	int first;
};

/*
 * Reports the problem whose message fail() just recorded. Returns 0 to go
 * on, or the code that ends the scan (no report, or the callback stopped).
 */
static int report(frc_reader_t *r, struct report *rep, int code,
		  int64_t region, int64_t page, int64_t section, uint64_t off)
{
	frc_problem_t p = { sizeof(p), code, region, page, section, off, NULL };
	char msg[sizeof(frc_err_current()->msg)];
	int stop;

	/* Damage and unreadable bytes are reported; anything else (out of
	 * memory, canceled) ends the scan. */
	if (!rep || (code >= FRC_ERROR_CLASS_LIMIT && code != FRC_E_IO))
		return code;
	/* fail() recorded the message in this thread's record; the copy
	 * survives anything the callback does with the library. */
	snprintf(msg, sizeof(msg), "%s", frc_err_message(r));
	p.message = msg;
	rep->count++;
	if (rep->first == FRC_OK)
		rep->first = code;
	stop = rep->fn && rep->fn(rep->ctx, &p);
	return stop ? code : FRC_OK;
}

/*
 * Reads pages [first, first+n) into dst (n * page_size bytes): runs of
 * present pages with one read each, absent pages zero-filled.
 */
static int read_raw_pages(frc_reader_t *r, uint32_t idx, uint64_t first,
			  uint64_t n, uint8_t *dst)
{
	struct rregion *rg = &r->regions[idx];
	unsigned sh = rg->r.page_shift;
	int rc = FRC_OK;

	for (uint64_t k = 0; k < n && !rc;) {
		uint64_t run = 0;

		run = frc_bm_find(rg, first + k, first + n, true) - first - k;
		if (run) { /* absent pages up to the next present one */
			memset(dst + (k << sh), 0, run << sh);
			k += run;
			continue;
		}
		run = frc_bm_find(rg, first + k, first + n, false) - first - k;
		rc = read_pages(r, dst + (k << sh), run << sh,
				page_offset(rg, first + k));
		k += run;
	}
	return rc;
}

/*
 * Pages [first, first+n) of a compressed region, frame by frame (SPEC
 * "Compressed frames"): absent frames are zeros, raw frames are read like
 * an uncompressed region's pages, compressed frames are decoded straight
 * into dst when the range holds all of them, else into a frame buffer.
 */
static int read_frames(frc_reader_t *r, uint32_t idx, uint64_t first,
		       uint64_t n, uint8_t *dst)
{
	struct rregion *rg = &r->regions[idx];
	unsigned sh = rg->r.page_shift;
	int rc = FRC_OK;

	for (uint64_t p = first; p < first + n && rc == FRC_OK;) {
		struct frc_frame fr;
		uint64_t end, k;

		rc = frc_frame_get(r, idx, p >> rg->r.frame_shift, &fr);
		if (rc)
			break;
		end = fr.first + fr.pages < first + n ? fr.first + fr.pages
						      : first + n;
		k = end - p; /* pages of this frame in the range */
		if (fr.encoding == FRC_FRAME_ABSENT) {
			memset(dst + ((p - first) << sh), 0, k << sh);
		} else if (fr.encoding == FRC_FRAME_RAW) {
			rc = read_raw_pages(r, idx, p, k,
					    dst + ((p - first) << sh));
		} else if (p == fr.first && k == fr.pages) {
			rc = frc_frame_decode(r, idx, &fr,
					      dst + ((p - first) << sh));
		} else { /* part of a frame: the thread's cached copy */
			const uint8_t *b = frc_frame_cached(r, idx, &fr, &rc);

			if (b)
				memcpy(dst + ((p - first) << sh),
				       b + ((p - fr.first) << sh), k << sh);
		}
		p = end;
	}
	return rc;
}

/* Pages [first, first+n) into dst, present ones as stored, absent zeros. */
static int read_chunk_pages(frc_reader_t *r, uint32_t idx, uint64_t first,
			    uint64_t n, uint8_t *dst)
{
	if (r->regions[idx].r.compression)
		return read_frames(r, idx, first, n, dst);
	return read_raw_pages(r, idx, first, n, dst);
}

/* Verifies the present pages of [first, first+n) held in dst. */
static int verify_chunk_pages(frc_reader_t *r, uint32_t idx, uint64_t first,
			      uint64_t n, const uint8_t *dst, uint8_t *entries,
			      struct report *rep)
{
	struct rregion *rg = &r->regions[idx];
	unsigned sh = rg->r.page_shift;
	int rc = frc_r_read(r, entries, n * 8, rg->r.csum_offset + first * 8,
			 "checksum table");

	if (rc == FRC_E_IO && rep)
		return report(r, rep, rc, idx, -1, -1,
			      rg->r.csum_offset + first * 8);

	for (uint64_t k = 0; k < n && !rc; k++) {
		if (!frc_bm_get(rg, first + k))
			continue;
		rc = check_page(r, idx, first + k, dst + (k << sh),
				frc_get64(entries + 8 * k));
		if (rc)
			rc = report(r, rep, rc, idx, (int64_t)(first + k), -1,
				    page_offset(rg, first + k));
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
	int rc = FRC_OK;

	for (uint64_t k = frc_bm_find(rg, first, first + n, true) - first;
	     k < n && rc == FRC_OK;
	     k = frc_bm_find(rg, first + k + 1, first + n, true) - first) {
		uint64_t p = first + k, entry = 0;
		uint8_t b[8];

		rc = read_pages(r, dst + (k << sh), rg->r.page_size,
				page_offset(rg, p));
		if (rc == FRC_OK)
			rc = frc_r_read(r, b, 8, rg->r.csum_offset + p * 8,
				     "checksum table");
		if (rc == FRC_OK) {
			entry = frc_get64(b);
			rc = check_page(r, idx, p, dst + (k << sh), entry);
		}
		if (rc)
			rc = report(r, rep, rc, idx, (int64_t)p, -1,
				    page_offset(rg, p));
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
	int rc = frc_r_read(r, entries, n * 8, rg->r.csum_offset + first * 8,
			 "checksum table");

	if (!dst && !scratch)
		rc = fail(r, FRC_E_NOMEM, 0, NULL, "out of memory");
	for (uint64_t k = 0; k < n && !rc; k += per) {
		uint64_t m = n - k < per ? n - k : per, p = first + k;
		uint64_t off = rg->src_offset + (p << sh);
		uint8_t *b = dst ? dst + (k << sh) : scratch;
		int err = frc_pread_full(rg->src_fd - 1, b, m << sh, off);

		if (err) {
			rc = fail(r, FRC_E_IO, off, NULL, "cannot read pages "
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
			    check_page(r, idx, q, pg,
				       frc_get64(entries + 8 * (q - first))))
				rc = fail(r, FRC_E_CHECKSUM, page_offset(rg, q),
					  "R-CSUM", "page %llu of region '%s' in "
					  "its source (offset 0x%llx there) does "
					  "not match its checksum",
					  (unsigned long long)q, rg->r.id,
					  (unsigned long long)(rg->src_offset +
							       (q << sh)));
			else if (!set && !frc_all_zero(pg, rg->r.page_size))
				rc = fail(r, FRC_E_CHECKSUM, page_offset(rg, q),
					  "R-BM-ZEROS", "absent page %llu of region "
					  "'%s' is not zero in its source",
					  (unsigned long long)q, rg->r.id);
			if (rc)
				rc = report(r, rep, rc, idx, (int64_t)q, -1,
					    page_offset(rg, q));
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

		rc = read_chunk_pages(r, idx, p, end - p, d);
		if (rc)
			rc = report(r, rep, rc, idx, (int64_t)p, -1,
				    page_offset(rg, p));
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
	rc = read_chunk_pages(r, idx, first, n, dst);

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
		return fail(r, FRC_E_INCOMPLETE, rg->r.bitmap_offset, "R-SALVAGE",
			    "region '%s' has no valid bitmap: its pages cannot "
			    "be verified", rg->r.id);
	rc = ensure_csums(r, region);
	if (rc)
		return rc;
	step = SCAN_BYTES >> rg->r.page_shift ? SCAN_BYTES >> rg->r.page_shift
					      : 1;
	entries = malloc((count < step ? count : step) * 8);
	if (!entries)
		return fail(r, FRC_E_NOMEM, 0, NULL, "out of memory");
	for (uint64_t i = 0; i < count && !rc; i += step) {
		uint64_t n = count - i < step ? count - i : step;

		rc = scan_chunk(r, region, first + i, n,
				dst + (i << rg->r.page_shift), entries, NULL);
	}
	free(entries);
	return rc;
}

FRC_API int frc_reader_set_source(frc_reader_t *r, uint32_t region, int fd,
				  uint64_t offset)
{
	struct rregion *rg;
	uint64_t end;
	int rc = region_arg(r, region, &rg);

	if (rc)
		return rc;
	if (fd < -1 || fd == INT32_MAX)
		return FRC_MISUSE(r, "%d is not a file descriptor", fd);
	if (!frc_add_ok(offset, rg->r.used_length, &end) || end > INT64_MAX)
		return FRC_MISUSE(r, "offset %llu + region length %llu is "
				  "beyond any file", (unsigned long long)offset,
				  (unsigned long long)rg->r.used_length);
	rg->src_fd = fd + 1;
	rg->src_offset = offset;
	return FRC_OK;
}

static int parallel_region(frc_reader_t *r, uint32_t idx, uint8_t *dst,
			   unsigned threads, struct frc_progress *pr);

/* Reads a whole region, verified, into dst (or a scratch buffer). */
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
		rc = fail(r, FRC_E_INCOMPLETE, rg->r.bitmap_offset, "R-SALVAGE",
			  "region '%s' has no valid bitmap: its pages cannot "
			  "be verified", rg->r.id);
		return report(r, rep, rc, idx, -1, -1, rg->r.bitmap_offset);
	}
	rc = ensure_csums(r, idx);
	if (rc)
		return report(r, rep, rc, idx, -1, -1, rg->r.csum_offset);
	if (rg->r.compression && !rg->src_fd &&
	    (rc = frc_frames_ensure(r, idx)) != FRC_OK)
		return report(r, rep, rc, idx, -1, -1,
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
		rc = fail(r, FRC_E_NOMEM, 0, NULL, "out of memory");
		goto out;
	}
	for (uint64_t i = 0; i < rg->r.page_count && !rc; i += step) {
		uint64_t n, next;

		if (!dst && !rg->src_fd) {
			/* Verifying the file only: absent pages need no work,
			 * so a sparse region costs what it holds. */
			next = frc_bm_find(rg, i, rg->r.page_count, true);
			if (rg->r.compression) /* from its frame's start */
				next &= ~((UINT64_C(1) << rg->r.frame_shift) -
					  1);
			rc = scan_progress(r, sc, (next - i) << rg->r.page_shift);
			i = next;
			if (rc || i >= rg->r.page_count)
				break;
		}
		n = rg->r.page_count - i < step ? rg->r.page_count - i : step;
		rc = scan_chunk(r, idx, i, n,
				dst ? dst + (i << rg->r.page_shift) : scratch,
				entries, rep);
		if (!rc)
			rc = scan_progress(r, sc, n << rg->r.page_shift);
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
				 : fail(j->r, FRC_E_NOMEM, 0, NULL,
					"out of memory");

		free(entries);
		return rc;
	}
	return read_chunk_pages(j->r, j->idx, first, n,
				j->dst + (first << j->shift));
}

static int verify_stage(void *arg, uint64_t chunk, uint64_t *bytes)
{
	struct read_job *j = arg;
	uint64_t first, n = frc_chunk(chunk, j->step, j->page_count, &first);
	uint8_t *entries = malloc(n * 8);
	int rc;

	if (!entries)
		return fail(j->r, FRC_E_NOMEM, 0, NULL, "out of memory");
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
		return fail(r, FRC_E_INCOMPLETE, rg->r.bitmap_offset, "R-SALVAGE",
			    "region '%s' has no valid bitmap", rg->r.id);
	rc = ensure_csums(r, region);
	if (rc)
		return rc;
	pr.total = rg->r.used_length;
	return parallel_region(r, region, buf, threads, &pr);
}

/* The page-aligned span of the file that backs a region's mapping. */
static void map_span(const struct rregion *rg, uint64_t *start,
		     uint64_t *delta)
{
	uint64_t ps = (uint64_t)sysconf(_SC_PAGESIZE);

	*start = rg->r.pages_offset & ~(ps - 1);
	*delta = rg->r.pages_offset - *start;
}

/*
 * SPEC "Present-page bitmap" says an absent page's slot reads as zeros, but a
 * reader does not
 * rely on it: absent pages that hold data are zeroed in the private copy.
 */
static void zero_absent_data(frc_reader_t *r, struct rregion *rg,
			     uint8_t *base)
{
	uint64_t end = rg->r.pages_offset + rg->r.used_length, data, hole;

	for (uint64_t pos = rg->r.pages_offset;
	     frc_data_extent(r->fd, pos, end, &data, &hole); pos = hole)
		for (uint64_t p = (data - rg->r.pages_offset) >>
				  rg->r.page_shift;
		     p < rg->r.page_count && page_offset(rg, p) < hole; p++)
			if (!frc_bm_get(rg, p))
				memset(base + (p << rg->r.page_shift), 0,
				       rg->r.page_size);
}

FRC_API int frc_reader_map_region(frc_reader_t *r, uint32_t region,
				  const void **addr)
{
	struct rregion *rg;
	uint64_t start, delta;
	uint8_t *m;
	int rc = region_arg(r, region, &rg);

	if (rc)
		return rc;
	if (!addr)
		return FRC_MISUSE(r, "addr is NULL");
	*addr = NULL;
	if (!rg->r.used_length)
		return FRC_OK;
	if (rg->r.compression)
		return fail(r, FRC_E_UNSUPPORTED, rg->r.pages_offset, NULL,
			    "region '%s' is stored in compressed frames and "
			    "cannot be mapped: read it instead (its pages are "
			    "decompressed and verified)", rg->r.id);
	map_span(rg, &start, &delta);
	m = mmap(NULL, rg->r.used_length + delta, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE, r->fd, (off_t)start);
	if (m == MAP_FAILED)
		return fail(r, FRC_E_IO, start, NULL, "cannot map region: %s",
			    strerror(errno));
	if (rg->bitmap_valid)
		zero_absent_data(r, rg, m + delta);
	mprotect(m, rg->r.used_length + delta, PROT_READ);
	*addr = m + delta;
	return FRC_OK;
}

FRC_API void frc_reader_unmap_region(frc_reader_t *r, uint32_t region,
				     const void *addr)
{
	struct rregion *rg;
	uint64_t start, delta;

	if (!addr || region_arg(r, region, &rg))
		return;
	map_span(rg, &start, &delta);
	munmap((uint8_t *)(uintptr_t)addr - delta, rg->r.used_length + delta);
}

/*
 * Streams a section through XXH3 and compares with its entry ("Section table").
 */
static int scan_section(frc_reader_t *r, uint32_t idx, uint8_t *dst,
			struct frc_progress *sc, struct report *rep)
{
	struct frc_section *s = &r->sections[idx];
	struct frc_stream_hash *h = frc_stream_new(
		frc_key(r->sb.uuid, FRC_KEY_SECTION, idx, s->type));
	uint8_t *scratch = dst ? NULL : malloc(TABLE_CHUNK);
	int rc = FRC_OK;

	if (!h || (!dst && !scratch)) {
		rc = fail(r, FRC_E_NOMEM, 0, NULL, "out of memory");
		goto out;
	}
	for (uint64_t i = 0; i < s->length && !rc;) {
		uint64_t n = s->length - i < TABLE_CHUNK ? s->length - i
							 : TABLE_CHUNK;
		uint8_t *p = dst ? dst + i : scratch;

		rc = frc_r_read(r, p, n, s->offset + i, "section");
		if (rc == FRC_E_IO) {
			rc = report(r, rep, rc, -1, -1, idx, s->offset + i);
			goto out; /* this section cannot be verified */
		}
		if (!rc) {
			frc_stream_update(h, p, n);
			rc = scan_progress(r, sc, n);
		}
		i += n;
	}
	if (!rc && !FRC_CSUM_OK(s->checksum, frc_stream_digest(h))) {
		rc = fail(r, FRC_E_CHECKSUM, s->offset, "R-CSUM",
			  "checksum mismatch in section %u (type %u)", idx,
			  s->type);
		rc = report(r, rep, rc, -1, -1, idx, s->offset);
	}
out:
	frc_stream_free(h);
	free(scratch);
	return rc;
}

FRC_API int frc_reader_read_section(frc_reader_t *r, uint32_t section,
				    void *buf, uint64_t buf_size)
{
	struct frc_progress sc = { NULL, NULL, 0, 0 };

	int rc = section_arg(r, section, __func__);

	if (rc)
		return rc;
	if (!buf && r->sections[section].length)
		return FRC_MISUSE(r, "the buffer is NULL");
	if (buf_size < r->sections[section].length)
		return FRC_MISUSE(r, "a buffer of %llu bytes cannot hold "
				  "section %u (%llu bytes)",
				  (unsigned long long)buf_size, section,
				  (unsigned long long)
					  r->sections[section].length);
	return scan_section(r, section, buf, &sc, NULL);
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
		rc = scan_section(r, i, NULL, &sc, rep);
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

FRC_API int frc_reader_next_run(const frc_reader_t *r, uint32_t region,
				uint64_t from, uint64_t *first, uint64_t *count)
{
	struct rregion *rg;
	uint64_t a, b;

	int rc = region_arg(r, region, &rg);

	if (rc)
		return rc;
	if (!first || !count)
		return FRC_MISUSE(r, "first or count is NULL");
	if (from >= rg->r.page_count || !rg->bitmap_valid) {
		/* no bitmap (salvage): every page may be present */
		*first = from < rg->r.page_count ? from : rg->r.page_count;
		*count = rg->r.page_count - *first;
		return FRC_OK;
	}
	a = frc_bm_find(rg, from, rg->r.page_count, true);
	b = frc_bm_find(rg, a, rg->r.page_count, false);
	*first = a;
	*count = b - a;
	return FRC_OK;
}

/*
 * SPEC "Present-page bitmap" (R-W-ABSENT-ZEROS): counts absent pages whose slot
 * does not read
 * as zeros. Only allocated extents of the page area are read (SEEK_DATA),
 * so a sparse file is checked in time proportional to the data it holds.
 */
/* How many leading bytes of page p's slot are its frame's stored bytes. */
static int frame_data_end(frc_reader_t *r, uint32_t idx, uint64_t p,
			  uint64_t *from)
{
	struct rregion *rg = &r->regions[idx];
	struct frc_frame fr;
	uint64_t off = page_offset(rg, p), end;
	int rc = frc_frame_get(r, idx, p >> rg->r.frame_shift, &fr);

	if (rc)
		return rc;
	end = fr.encoding == FRC_FRAME_COMPRESSED ? fr.slot + fr.stored : 0;
	*from = end > off ? end - off : 0;
	return FRC_OK;
}

FRC_API int frc_reader_absent_data(frc_reader_t *r, uint32_t region,
				   uint64_t *pages, uint64_t *first_page)
{
	struct rregion *rg;
	uint64_t end, pos, data, hole, found = 0, firstp = UINT64_MAX;
	uint8_t *buf;
	int rc = region_arg(r, region, &rg);

	if (rc)
		return rc;
	if (!pages)
		return FRC_MISUSE(r, "pages is NULL");
	*pages = 0;
	if (!rg->r.page_count || !rg->bitmap_valid)
		return FRC_OK;
	buf = malloc(rg->r.page_size);
	if (!buf)
		return fail(r, FRC_E_NOMEM, 0, NULL, "out of memory");
	end = rg->r.pages_offset + rg->r.used_length;
	for (pos = rg->r.pages_offset;
	     rc == FRC_OK && frc_data_extent(r->fd, pos, end, &data, &hole);) {
		uint64_t p = (data - rg->r.pages_offset) >> rg->r.page_shift;

		for (p = frc_bm_find(rg, p, rg->r.page_count, false);
		     p < rg->r.page_count && page_offset(rg, p) < hole &&
		     rc == FRC_OK;
		     p = frc_bm_find(rg, p + 1, rg->r.page_count, false)) {
			/* in a compressed frame, the stored bytes are not
			 * the page's: what follows them must be zero
			 * (R-W-CF-ZEROS) */
			uint64_t from = 0;

			if (rg->r.compression &&
			    (rc = frame_data_end(r, region, p, &from)) != FRC_OK)
				break;
			rc = frc_r_read(r, buf, rg->r.page_size, page_offset(rg, p),
				     "page area");
			if (rc == FRC_OK && from < rg->r.page_size &&
			    !frc_all_zero(buf + from, rg->r.page_size - from)) {
				found++;
				if (firstp == UINT64_MAX)
					firstp = p;
			}
		}
		pos = hole;
	}
	free(buf);
	*pages = found;
	if (first_page)
		*first_page = firstp;
	return rc;
}

FRC_API int frc_reader_read_section_stream(frc_reader_t *r, uint32_t section,
					   frc_data_fn fn, void *ctx)
{
	struct frc_section *s;
	struct frc_stream_hash *h;
	uint8_t *buf;
	int rc = FRC_OK;

	if ((rc = section_arg(r, section, __func__)))
		return rc;
	if (!fn)
		return FRC_MISUSE(r, "fn is NULL");
	s = &r->sections[section];
	h = frc_stream_new(frc_key(r->sb.uuid, FRC_KEY_SECTION, section,
				   s->type));
	buf = malloc(TABLE_CHUNK);
	if (!h || !buf) {
		rc = fail(r, FRC_E_NOMEM, 0, NULL, "out of memory");
		goto out;
	}
	for (uint64_t i = 0; i < s->length && !rc;) {
		uint64_t n = s->length - i < TABLE_CHUNK ? s->length - i
							 : TABLE_CHUNK;

		rc = frc_r_read(r, buf, n, s->offset + i, "section");
		if (!rc) {
			frc_stream_update(h, buf, n);
			if (fn(ctx, buf, (size_t)n, i))
				rc = fail(r, FRC_E_CANCELED, s->offset + i,
					  NULL, "reading section %u stopped by "
					  "its consumer", section);
		}
		i += n;
	}
	if (!rc && !FRC_CSUM_OK(s->checksum, frc_stream_digest(h)))
		rc = fail(r, FRC_E_CHECKSUM, s->offset, "R-CSUM",
			  "checksum mismatch in section %u (type %u): the "
			  "bytes passed on are not the section's",
			  section, s->type);
out:
	frc_stream_free(h);
	free(buf);
	return rc;
}
