/*
 * regions.c - the region table (SPEC "Region table").
 *
 * The table is region_count entries followed by an 8-byte checksum trailer.
 * Each entry is 64 fixed bytes and the id, zero-padded to a multiple of 8:
 *
 *   off  size  field
 *     0     8  used_length (multiple of page_size)
 *     8     4  page_size (power of two, 512..16 MiB)
 *    12     2  id_length (1..255)
 *    14     2  reserved, zero (reader rejects non-zero)
 *    16     8  bitmap_offset (0 when the region has no pages)
 *    24     8  checksum_table_offset (0 when the region has no pages)
 *    32     8  pages_offset (0 when the region has no pages)
 *    40    24  reserved, zero (reader rejects non-zero)
 *    64     n  id: UTF-8, no NUL, then zero padding to a multiple of 8
 */
#include <stdlib.h>
#include <string.h>

#include "frc_internal.h"

uint64_t frc_region_entry_size(uint32_t id_length)
{
	return FRC_REGION_ENTRY_FIXED + frc_align_up(id_length, 8);
}

void frc_region_encode(const struct frc_region *rg, uint8_t *p)
{
	memset(p, 0, frc_region_entry_size(rg->id_length));
	frc_put64(p + FRC_RE_USED_LENGTH_AT, rg->used_length);
	frc_put32(p + FRC_RE_PAGE_SIZE_AT, rg->page_size);
	frc_put16(p + FRC_RE_ID_LENGTH_AT, (uint16_t)rg->id_length);
	frc_put64(p + FRC_RE_BITMAP_OFFSET_AT, rg->bitmap_offset);
	frc_put64(p + FRC_RE_CSUM_OFFSET_AT, rg->csum_offset);
	frc_put64(p + FRC_RE_PAGES_OFFSET_AT, rg->pages_offset);
	p[FRC_RE_COMPRESSION_AT] = rg->compression;
	p[FRC_RE_FRAME_SHIFT_AT] = rg->frame_shift;
	frc_put64(p + FRC_RE_FRAME_TABLE_AT, rg->frame_table_offset);
	frc_put64(p + FRC_RE_BASE_MAP_AT, rg->base_map_offset); /* 1.3 */
	memcpy(p + FRC_REGION_ENTRY_FIXED, rg->id, rg->id_length);
}

/*
 * The rules on a region's own fields, shared by the writer (arguments) and
 * the reader (entries); `off` is where the entry starts.
 */
int frc_region_check_params(struct frc_err *e, const char *path, uint64_t off,
			    const char *id, size_t id_length,
			    uint64_t used_length, uint32_t page_size)
{
	/* SPEC "Region table": page_size is a power of two in 512..16 MiB. */
	if (!frc_is_pow2(page_size) || page_size < FRC_PAGE_SIZE_MIN ||
	    page_size > FRC_PAGE_SIZE_MAX)
		return frc_fail(e, FRC_E_BAD_FIELD, path, off + FRC_RE_PAGE_SIZE_AT, "R-RT-ENTRY",
				"page_size %u is not a power of two between "
				"512 and 16777216", page_size);
	/* SPEC "Region table": used_length is a multiple of page_size. */
	if (used_length % page_size)
		return frc_fail(e, FRC_E_BAD_FIELD, path, off, "R-RT-ENTRY",
				"used_length %llu is not a multiple of "
				"page_size %u",
				(unsigned long long)used_length, page_size);
	/* SPEC "Limits": at most 2^33 pages per region. */
	if (used_length / page_size > FRC_PAGES_PER_REGION_MAX)
		return frc_fail(e, FRC_E_LIMIT, path, off, "R-LIMITS",
				"region has %llu pages, more than 2^33",
				(unsigned long long)(used_length / page_size));
	/* SPEC "Region table": ids are 1..255 bytes of UTF-8 without NUL. */
	if (id_length < 1 || id_length > FRC_ID_MAX)
		return frc_fail(e, FRC_E_BAD_FIELD, path, off + FRC_RE_ID_LENGTH_AT, "R-RT-ENTRY",
				"region id length %zu is not in 1..255",
				id_length);
	if (!frc_utf8_valid((const uint8_t *)id, id_length))
		return frc_fail(e, FRC_E_BAD_FIELD, path,
				off + FRC_REGION_ENTRY_FIXED, "R-RT-ENTRY",
				"region id is not valid UTF-8 (or has NUL)");
	return FRC_OK;
}

/*
 * Checks an entry's offsets among themselves; bounds come later ("Placement
 * rules").
 */
static int check_offsets(const struct frc_region *rg, uint64_t at,
			 struct frc_err *e, const char *path)
{
	if (rg->page_count == 0) {
		/*
		 * SPEC "Region table": a region without pages has all offsets
		 * 0.
		 */
		if (rg->bitmap_offset || rg->csum_offset || rg->pages_offset)
			return frc_fail(e, FRC_E_BAD_FIELD, path, at + FRC_RE_BITMAP_OFFSET_AT,
					"R-RT-EMPTY",
					"empty region '%s' has non-zero offsets",
					rg->id);
		return FRC_OK;
	}
	/*
	 * SPEC "Present-page bitmap", "Page checksum table": bitmaps and
	 * checksum tables are 8-aligned.
	 */
	if (rg->bitmap_offset % 8)
		return frc_fail(e, FRC_E_BAD_FIELD, path, at + FRC_RE_BITMAP_OFFSET_AT, "R-ALIGN8",
				"bitmap of region '%s' is not 8-byte aligned",
				rg->id);
	if (rg->csum_offset % 8)
		return frc_fail(e, FRC_E_BAD_FIELD, path, at + FRC_RE_CSUM_OFFSET_AT, "R-ALIGN8",
				"checksum table of region '%s' is not 8-byte "
				"aligned", rg->id);
	/* SPEC "Page area": a page area is aligned to its page size. */
	if (rg->pages_offset % rg->page_size)
		return frc_fail(e, FRC_E_BAD_FIELD, path, at + FRC_RE_PAGES_OFFSET_AT, "R-PAGE-ALIGN",
				"page area of region '%s' at 0x%llx is not "
				"aligned to its page size %u", rg->id,
				(unsigned long long)rg->pages_offset,
				rg->page_size);
	return FRC_OK;
}

/* SPEC "Region fields" (1.2): an entry's compression fields, in order. */
static int check_compression(const uint8_t *p, uint64_t at, bool base,
			     struct frc_region *rg, struct frc_err *e,
			     const char *path)
{
	rg->compression = p[FRC_RE_COMPRESSION_AT];
	rg->frame_shift = p[FRC_RE_FRAME_SHIFT_AT];
	rg->frame_table_offset = frc_get64(p + FRC_RE_FRAME_TABLE_AT);
	if (rg->compression > FRC_COMPRESSION_ZSTD)
		return frc_fail(e, FRC_E_UNSUPPORTED_FEATURE, path,
				at + FRC_RE_COMPRESSION_AT, "R-CF-METHOD",
				"region '%s' is compressed with method %u, "
				"which this reader does not implement", rg->id,
				rg->compression);
	if (rg->compression == FRC_COMPRESSION_NONE) {
		/* bytes 56-63 are base_map_offset with base-snapshot */
		if (!frc_all_zero(p + FRC_RE_FRAME_SHIFT_AT, base ? 15 : 23))
			return frc_fail(e, FRC_E_BAD_FIELD, path,
					at + FRC_RE_FRAME_SHIFT_AT, "R-CF-NONE",
					"uncompressed region '%s' has non-zero "
					"compression fields", rg->id);
		return FRC_OK;
	}
	if (rg->frame_shift > 24 - 9 ||
	    ((uint64_t)rg->page_size << rg->frame_shift) > FRC_FRAME_MAX_BYTES)
		return frc_fail(e, FRC_E_BAD_FIELD, path,
				at + FRC_RE_FRAME_SHIFT_AT, "R-CF-SHIFT",
				"frames of 2^%u pages of %u bytes in region '%s' "
				"are larger than 16 MiB", rg->frame_shift,
				rg->page_size, rg->id);
	if (!frc_all_zero(p + FRC_RE_RESERVED3_AT, 6) ||
	    (!base && !frc_all_zero(p + FRC_RE_RESERVED4_AT, 8)))
		return frc_fail(e, FRC_E_BAD_FIELD, path,
				at + FRC_RE_RESERVED3_AT, "R-RT-ENTRY",
				"reserved compression bytes of region '%s' are "
				"not zero", rg->id);
	if (rg->page_count == 0 ? rg->frame_table_offset != 0
				: rg->frame_table_offset % 8 != 0)
		return frc_fail(e, FRC_E_BAD_FIELD, path,
				at + FRC_RE_FRAME_TABLE_AT, "R-CF-TABLE",
				"frame_table_offset 0x%llx of region '%s' is "
				"not %s", (unsigned long long)rg->frame_table_offset,
				rg->id, rg->page_count ? "a multiple of 8"
						       : "0 (it has no pages)");
	return FRC_OK;
}

/* SPEC "Region fields and the base map" (1.3): R-BS-MAP-OFFSET. */
static int check_base_map(const uint8_t *p, uint64_t at, struct frc_region *rg,
			  struct frc_err *e, const char *path)
{
	rg->base_map_offset = frc_get64(p + FRC_RE_BASE_MAP_AT);
	if (rg->page_count == 0 ? rg->base_map_offset != 0
				: rg->base_map_offset % 8 != 0)
		return frc_fail(e, FRC_E_BAD_FIELD, path,
				at + FRC_RE_BASE_MAP_AT, "R-BS-MAP-OFFSET",
				"base_map_offset 0x%llx of region '%s' is not "
				"%s", (unsigned long long)rg->base_map_offset,
				rg->id, rg->page_count ? "a multiple of 8"
						       : "0 (it has no pages)");
	return FRC_OK;
}

/* Decodes the entry at table[pos]; fills rg (rg->id allocated). */
static int decode_entry(const uint8_t *table, uint32_t end, uint32_t pos,
			uint64_t at, uint64_t incompat,
			struct frc_region *rg, struct frc_err *e,
			const char *path)
{
	bool compressed_frames = incompat & FRC_INCOMPAT_COMPRESSED_FRAMES;
	bool base = incompat & FRC_INCOMPAT_BASE_SNAPSHOT;
	const uint8_t *p = table + pos;
	uint64_t size;
	int rc;

	/* SPEC "Region table": the entries fill the table exactly. */
	if (end - pos < FRC_REGION_ENTRY_FIXED)
		return frc_fail(e, FRC_E_BAD_FIELD, path, at, "R-RT-FILL",
				"region table ends inside an entry");
	rg->used_length = frc_get64(p);
	rg->page_size = frc_get32(p + FRC_RE_PAGE_SIZE_AT);
	rg->id_length = frc_get16(p + FRC_RE_ID_LENGTH_AT);
	rg->bitmap_offset = frc_get64(p + FRC_RE_BITMAP_OFFSET_AT);
	rg->csum_offset = frc_get64(p + FRC_RE_CSUM_OFFSET_AT);
	rg->pages_offset = frc_get64(p + FRC_RE_PAGES_OFFSET_AT);
	size = frc_region_entry_size(rg->id_length);
	if (end - pos < size)
		return frc_fail(e, FRC_E_BAD_FIELD, path, at, "R-RT-FILL",
				"region table ends inside an entry");
	/*
	 * SPEC "Region table": reserved bytes are zero, and so is the id
	 * padding.
	 */
	if (!frc_all_zero(p + FRC_RE_RESERVED1_AT, 2))
		return frc_fail(e, FRC_E_BAD_FIELD, path,
				at + FRC_RE_RESERVED1_AT, "R-RT-ENTRY",
				"reserved bytes of a region entry are not zero");
	/* bytes 40-63: reserved, unless the file has compressed frames
	 * (and 56-63 with a base) */
	if (!compressed_frames &&
	    !frc_all_zero(p + FRC_RE_RESERVED2_AT, base ? 16 : 24))
		return frc_fail(e, FRC_E_BAD_FIELD, path,
				at + FRC_RE_RESERVED2_AT,
				"R-RT-ENTRY, R-CF-RESERVED",
				"reserved bytes 40-63 of a region entry are not "
				"zero (the file does not have compressed-frames)");
	if (!frc_all_zero(p + FRC_REGION_ENTRY_FIXED + rg->id_length,
			  size - FRC_REGION_ENTRY_FIXED - rg->id_length))
		return frc_fail(e, FRC_E_BAD_FIELD, path,
				at + FRC_REGION_ENTRY_FIXED + rg->id_length,
				"R-RT-ENTRY", "region id padding is not zero");
	rc = frc_region_check_params(e, path, at,
				     (const char *)p + FRC_REGION_ENTRY_FIXED,
				     rg->id_length, rg->used_length,
				     rg->page_size);
	if (rc)
		return rc;
	rg->id = strndup((const char *)p + FRC_REGION_ENTRY_FIXED,
			 rg->id_length);
	if (!rg->id)
		return frc_fail_plain(e, FRC_E_NOMEM, "out of memory");
	rg->page_shift = (unsigned)__builtin_ctz(rg->page_size);
	rg->page_count = rg->used_length >> rg->page_shift;
	rc = check_offsets(rg, at, e, path);
	if (rc == FRC_OK && compressed_frames)
		rc = check_compression(p, at, base, rg, e, path);
	if (rc == FRC_OK && base)
		rc = check_base_map(p, at, rg, e, path);
	return rc;
}

/*
 * SPEC "Region table": ids are unique within the file (compared byte for byte).
 */
static int check_unique(const struct frc_region *rg, uint32_t count,
			uint64_t table_offset, struct frc_err *e,
			const char *path)
{
	for (uint32_t i = 1; i < count; i++)
		for (uint32_t j = 0; j < i; j++)
			if (rg[i].id_length == rg[j].id_length &&
			    memcmp(rg[i].id, rg[j].id, rg[i].id_length) == 0)
				return frc_fail(e, FRC_E_BAD_FIELD, path,
						table_offset, "R-RT-ENTRY",
						"regions %u and %u share the "
						"id '%s'", j, i, rg[i].id);
	return FRC_OK;
}

int frc_regions_decode(const uint8_t *table, uint32_t length, uint32_t count,
		       uint64_t incompat, uint64_t table_offset, struct frc_region **out,
		       struct frc_err *e, const char *path)
{
	struct frc_region *rg = calloc(count ? count : 1, sizeof(*rg));
	uint32_t end = length - FRC_TRAILER, pos = 0;
	int rc = FRC_OK;

	if (!rg)
		return frc_fail_plain(e, FRC_E_NOMEM, "out of memory");
	for (uint32_t i = 0; i < count && rc == FRC_OK; i++) {
		rc = decode_entry(table, end, pos, table_offset + pos,
				  incompat, &rg[i], e, path);
		pos += (uint32_t)frc_region_entry_size(rg[i].id_length);
	}
	if (rc == FRC_OK && pos != end)
		rc = frc_fail(e, FRC_E_BAD_FIELD, path, table_offset + pos,
			      "R-RT-FILL",
			      "region table has %u bytes after its %u entries",
			      end - pos, count);
	if (rc == FRC_OK)
		rc = check_unique(rg, count, table_offset, e, path);
	if (rc) {
		frc_regions_free(rg, count);
		return rc;
	}
	*out = rg;
	return FRC_OK;
}

void frc_regions_free(struct frc_region *rg, uint32_t count)
{
	if (!rg)
		return;
	for (uint32_t i = 0; i < count; i++)
		free(rg[i].id);
	free(rg);
}
