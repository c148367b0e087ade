/*
 * rtables.c - the tables a region's pages are verified with, each checked
 * once (SPEC "Page checksum table", "Compressed frames", "Order of
 * checks"): the checksum table (trailer, entries of absent pages), then a
 * compressed region's frame table (frames.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "reader_internal.h"

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
		rc = frc_r_fail(r, FRC_E_NOMEM, off, NULL, "out of memory");
		goto out;
	}
	rc = hash_extent(r, off, n * 8, h, buf,
			 rg->bitmap_valid ? find_absent_entry : NULL, &a,
			 "checksum table");
	if (!rc)
		rc = frc_r_read(r, buf, 8, off + n * 8, "checksum table");
	if (!rc && !FRC_CSUM_OK(frc_get64(buf), frc_stream_digest(h)))
		rc = frc_r_fail(r, FRC_E_CHECKSUM, off + n * 8, "R-CSUM-TABLE-FIRST",
			  "checksum table checksum mismatch in region '%s'",
			  rg->r.id);
	if (!rc && a.first_bad != UINT64_MAX)
		rc = frc_r_fail(r, FRC_E_BAD_FIELD, off + a.first_bad * 8, "R-CSUM-ABSENT",
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
int frc_r_ensure_tables(frc_reader_t *r, uint32_t idx)
{
	struct rregion *rg = &r->regions[idx];
	int rc = frc_reader_check_once(r, idx, &rg->csum_state,
				       scan_csum_table, rg->r.csum_offset,
				       "R-CSUM", "checksum table");

	if (rc == FRC_OK && rg->r.compression && !rg->src_fd)
		rc = frc_frames_ensure(r, idx);
	return rc;
}
