/*
 * pages.c - reading pages (SPEC "Present-page bitmap", "Page checksum
 * table", "Compressed frames"): one page in O(1), a range of pages, a
 * region's source in another file, runs of present pages. Whole regions
 * and the verification pass are in scan.c, the tables pages are checked
 * with in rtables.c, sections in rsections.c, mappings in rmap.c.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "reader_internal.h"

int frc_r_fail(frc_reader_t *r, int code, uint64_t off, const char *spec,
	       const char *fmt, ...)
{
	char what[320];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return frc_fail(FRC_ERR(r), code, r->path, off, spec, "%s", what);
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

/* Salvage mode, damaged bitmap: nothing about the region's pages is known. */
static int bitmap_unknown(frc_reader_t *r, const struct rregion *rg)
{
	return frc_r_fail(r, FRC_E_INCOMPLETE, rg->r.bitmap_offset, "R-SALVAGE",
		    "region '%s': the bitmap is damaged, so which pages are "
		    "present is unknown (salvage mode)", rg->r.id);
}

static bool present(const struct rregion *rg, uint64_t page)
{
	return !rg->bitmap_valid || frc_bm_get(rg, page);
}


/* SPEC "Page checksum table": compares a page with its stored checksum. */
int frc_r_check_page(frc_reader_t *r, uint32_t idx, uint64_t page,
		      const uint8_t *data, uint64_t stored)
{
	struct rregion *rg = &r->regions[idx];
	uint64_t got = frc_hash(data, rg->r.page_size,
				frc_key(r->sb.uuid, FRC_KEY_PAGE, idx, page));

	if (!FRC_CSUM_OK(stored, got))
		return frc_r_fail(r, FRC_E_CHECKSUM, frc_r_page_offset(rg, page), "R-CSUM",
			    "checksum mismatch in region '%s' page %llu",
			    rg->r.id, (unsigned long long)page);
	return FRC_OK;
}

static int load_entry(frc_reader_t *r, uint32_t idx, uint64_t page,
		      uint64_t *entry)
{
	struct rregion *rg = &r->regions[idx];
	uint8_t b[8];
	int rc = frc_r_ensure_tables(r, idx);

	*entry = 0;
	if (!rc)
		rc = frc_r_read(r, b, 8, rg->r.csum_offset + page * 8,
			     "checksum table");
	if (!rc)
		*entry = frc_get64(b);
	return rc;
}

/* R-DG-LEAF: one page against the content identity, when the file has one. */
static int page_digest(frc_reader_t *r, uint32_t idx, uint64_t page,
		       const void *data)
{
	struct frc_dg_cursor c;

	if (r->dg_section < 0)
		return FRC_OK;
	c.group = 0;
	return frc_r_dg_page(r, &c, idx, page, data);
}

/* A page unchanged from the base (1.3): read through the base, then
 * checked against this file's leaf (R-BS-PAGE). */
static int base_page(frc_reader_t *r, uint32_t idx, uint64_t page, void *buf)
{
	int rc = frc_r_base_fill(r, idx, page, 1, buf);

	return rc ? rc : page_digest(r, idx, page, buf);
}

/* In salvage mode, what cannot be verified is reported as incomplete. */
static int salvage_code(frc_reader_t *r, int rc)
{
	if ((r->flags & FRC_OPEN_SALVAGE) && rc == FRC_E_CHECKSUM)
		return FRC_E_INCOMPLETE;
	return rc;
}

FRC_API int frc_reader_page_present(const frc_reader_t *r, uint32_t region,
				    uint64_t page)
{
	const struct rregion *rg;

	if (!r || !r->open_ok || region >= r->nregions)
		return 0;
	rg = &r->regions[region];
	return page < rg->r.page_count &&
	       (present(rg, page) || frc_r_from_base(rg, page));
}

FRC_API int frc_reader_read_page(frc_reader_t *r, uint32_t region,
				 uint64_t page, void *buf)
{
	struct rregion *rg;
	uint64_t entry;
	int rc = region_arg(r, region, &rg);

	if (rc || (rc = page_arg(r, rg, page, buf, __func__)))
		return rc;
	if (!present(rg, page) && frc_r_from_base(rg, page))
		return base_page(r, region, page, buf);
	if (!present(rg, page)) {
		memset(buf, 0, rg->r.page_size);
		return page_digest(r, region, page, buf);
	}
	if (!rg->bitmap_valid) {
		/* salvage: the bytes found in the slot, reported unverified
		 * (a compressed region's frames cannot be told without it) */
		if (!rg->r.compression &&
		    (rc = frc_r_read(r, buf, rg->r.page_size,
				  frc_r_page_offset(rg, page), "page")))
			return rc;
		return bitmap_unknown(r, rg);
	}
	/* the tables first, then the page (of a compressed region: its
	 * frame, decoded, O(1)) */
	rc = load_entry(r, region, page, &entry);
	if (rc)
		return salvage_code(r, rc);
	rc = frc_r_read_chunk_pages(r, region, page, 1, buf);
	if (!rc)
		rc = frc_r_check_page(r, region, page, buf, entry);
	return rc ? rc : page_digest(r, region, page, buf);
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
		if (frc_r_from_base(rg, page) ||
		    frc_all_zero(data, rg->r.page_size))
			return page_digest(r, region, page, data);
		return frc_r_fail(r, FRC_E_CHECKSUM, frc_r_page_offset(rg, page), "R-BM-ZEROS",
			    "absent page %llu of region '%s' is not zero",
			    (unsigned long long)page, rg->r.id);
	}
	rc = load_entry(r, region, page, &entry);
	if (!rc)
		rc = frc_r_check_page(r, region, page, data, entry);
	return rc ? rc : page_digest(r, region, page, data);
}

/*
 * Reads pages [first, first+n) into dst (n * page_size bytes): runs of
 * present pages with one read each, absent pages zero-filled.
 */
/*
 * Absent pages [first, first+n) as zeros, except those from the base
 * (1.3), which frc_r_base_fill() writes: no page of a chain is cleared
 * once per level.
 */
static void zero_absent(const struct rregion *rg, uint64_t first, uint64_t n,
			uint8_t *dst)
{
	unsigned sh = rg->r.page_shift;

	if (!rg->bmap) {
		memset(dst, 0, n << sh);
		return;
	}
	for (uint64_t k = 0; k < n;) {
		uint64_t a = frc_bm_find(rg->bmap, first + k, first + n, true);

		memset(dst + (k << sh), 0, (a - first - k) << sh);
		k = frc_bm_find(rg->bmap, a, first + n, false) - first;
	}
}

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
			zero_absent(rg, first + k, run, dst + (k << sh));
			k += run;
			continue;
		}
		run = frc_bm_find(rg, first + k, first + n, false) - first - k;
		rc = frc_r_read_pages(r, dst + (k << sh), run << sh,
				frc_r_page_offset(rg, first + k));
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
int frc_r_read_chunk_pages(frc_reader_t *r, uint32_t idx, uint64_t first,
			    uint64_t n, uint8_t *dst)
{
	int rc = r->regions[idx].r.compression
			 ? read_frames(r, idx, first, n, dst)
			 : read_raw_pages(r, idx, first, n, dst);

	/* 1.3: the pages unchanged from the base, through it */
	return rc ? rc : frc_r_base_fill(r, idx, first, n, dst);
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
	if (rg->bmap) { /* 1.3: pages from the base hold data too */
		uint64_t e = rg->r.page_count, a2;

		a2 = frc_bm_find(rg->bmap, from, e, true);
		a = a2 < a ? a2 : a;
		for (b = a; b < e;) {
			uint64_t n = frc_bm_get(rg, b)
					     ? frc_bm_find(rg, b, e, false)
				     : frc_bm_get(rg->bmap, b)
					     ? frc_bm_find(rg->bmap, b, e, false)
					     : b;

			if (n == b)
				break;
			b = n;
		}
		*first = a;
		*count = b - a;
		return FRC_OK;
	}
	b = frc_bm_find(rg, a, rg->r.page_count, false);
	*first = a;
	*count = b - a;
	return FRC_OK;
}
