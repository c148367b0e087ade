/*
 * frames.c - reading compressed regions (SPEC "Compressed frames", format
 * 1.2): the frame table (its trailer once per region, each entry checked
 * when used), and one frame decoded: stored bytes read, their checksum
 * verified, then decompressed, bounded by the frame's length. pages.c reads
 * pages through these; page checksums are verified there as for every
 * region.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#define ZSTD_STATIC_LINKING_ONLY /* ZSTD_getFrameHeader: the header read on its own */
#include <zstd.h>

#include "reader_internal.h"

/* One Zstandard decompression context per thread, freed with the thread;
 * no window beyond a frame's 16 MiB. */
static void *make_dctx(void)
{
	ZSTD_DCtx *d = ZSTD_createDCtx();

	if (d && ZSTD_isError(ZSTD_DCtx_setParameter(d, ZSTD_d_windowLogMax,
						     24))) {
		ZSTD_freeDCtx(d);
		d = NULL;
	}
	return d;
}

static void free_dctx(void *p)
{
	ZSTD_freeDCtx(p);
}

/* Bytes of a frame table read at once: whole entries. */
#define TABLE_PIECE (1u << 20)

static struct frc_thread_slot dctx_slot = { make_dctx, free_dctx, 0, 0 };

static int frame_fail(frc_reader_t *r, int code, uint64_t off,
		      const char *rule, const struct rregion *rg, uint64_t f,
		      const char *what)
{
	return frc_fail(FRC_ERR(r), code, r->path, off, rule,
			"frame %llu of region '%s': %s", (unsigned long long)f,
			rg->r.id, what);
}

static int check_entry(frc_reader_t *r, const struct rregion *rg, uint64_t f,
		       const uint8_t *e, uint64_t at, struct frc_frame *fr);

/*
 * A region's frame table, once (SPEC "Order of checks"): its trailer
 * (R-CF-FIRST), then every entry in index order (R-CF-ENTRY,
 * R-CF-PRESENCE), before any frame's stored bytes are read. One pass over
 * the table: the first bad entry is kept and reported only when the
 * trailer matches.
 */
static int check_table(frc_reader_t *r, uint32_t idx)
{
	struct rregion *rg = &r->regions[idx];
	uint64_t frames = frc_frame_count(&rg->r);
	uint64_t len = frames * FRC_FRAME_ENTRY_SIZE;
	struct frc_stream_hash *h = frc_stream_new(
		frc_key(r->sb.uuid, FRC_KEY_FRAME_TABLE, idx, 0));
	uint8_t *buf = malloc(TABLE_PIECE), trailer[FRC_TRAILER];
	struct frc_err bad; /* the first bad entry's message */
	int rc = FRC_OK, bad_rc = FRC_OK;

	if (!h || !buf)
		rc = frc_fail_plain(FRC_ERR(r), FRC_E_NOMEM, "out of memory");
	for (uint64_t at = 0; at < len && rc == FRC_OK; at += TABLE_PIECE) {
		size_t n = len - at < TABLE_PIECE ? (size_t)(len - at)
						  : TABLE_PIECE;

		rc = frc_r_read(r, buf, n, rg->r.frame_table_offset + at,
				"frame table");
		if (rc)
			break;
		frc_stream_update(h, buf, n);
		for (size_t k = 0; k < n && bad_rc == FRC_OK;
		     k += FRC_FRAME_ENTRY_SIZE) {
			struct frc_frame fr;
			uint64_t f = (at + k) / FRC_FRAME_ENTRY_SIZE;

			bad_rc = check_entry(r, rg, f, buf + k,
					     rg->r.frame_table_offset + at + k,
					     &fr);
			if (bad_rc)
				bad = *FRC_ERR(r);
		}
	}
	if (rc == FRC_OK)
		rc = frc_r_read(r, trailer, FRC_TRAILER,
				rg->r.frame_table_offset + len, "frame table");
	if (rc == FRC_OK &&
	    !FRC_CSUM_OK(frc_get64(trailer), frc_stream_digest(h)))
		rc = frc_fail(FRC_ERR(r), FRC_E_CHECKSUM, r->path,
			      rg->r.frame_table_offset + len, "R-CF-FIRST",
			      "frame table checksum mismatch in region '%s'",
			      rg->r.id);
	if (rc == FRC_OK && bad_rc) {
		frc_err_adopt(r, &bad);
		rc = bad_rc;
	}
	frc_stream_free(h);
	free(buf);
	return rc;
}

int frc_frames_ensure(frc_reader_t *r, uint32_t idx)
{
	struct rregion *rg = &r->regions[idx];

	return frc_reader_check_once(r, idx, &rg->frame_state, check_table,
				     rg->r.frame_table_offset, "R-CF-FIRST",
				     "frame table");
}

/*
 * Decodes frame f's entry `e` (read at offset `at`) into *fr and applies
 * R-CF-ENTRY, then R-CF-PRESENCE (when the bitmap is known).
 */
static int check_entry(frc_reader_t *r, const struct rregion *rg, uint64_t f,
		       const uint8_t *e, uint64_t at, struct frc_frame *fr)
{
	bool any;

	fr->index = f;
	fr->first = f << rg->r.frame_shift;
	fr->len = frc_frame_len(&rg->r, f);
	fr->pages = fr->len >> rg->r.page_shift;
	fr->slot = rg->r.pages_offset + (fr->first << rg->r.page_shift);
	fr->stored = frc_get32(e + FRC_FE_STORED_AT);
	fr->encoding = e[FRC_FE_ENCODING_AT];
	fr->checksum = frc_get64(e + FRC_FE_CHECKSUM_AT);
	/* R-CF-ENTRY */
	if (!frc_all_zero(e + FRC_FE_RESERVED3_AT, 3))
		return frame_fail(r, FRC_E_BAD_FIELD, at + FRC_FE_RESERVED3_AT,
				  "R-CF-ENTRY", rg, f,
				  "reserved bytes of its entry are not zero");
	if (fr->encoding > FRC_FRAME_COMPRESSED)
		return frame_fail(r, FRC_E_BAD_FIELD, at + FRC_FE_ENCODING_AT,
				  "R-CF-ENTRY", rg, f, "unknown encoding");
	switch (fr->encoding) {
	case FRC_FRAME_ABSENT:
		if (fr->stored || fr->checksum)
			return frame_fail(r, FRC_E_BAD_FIELD, at, "R-CF-ENTRY",
					  rg, f, "an absent frame with a stored "
					  "length or checksum");
		break;
	case FRC_FRAME_RAW:
		if (fr->stored != fr->len || fr->checksum)
			return frame_fail(r, FRC_E_BAD_FIELD, at, "R-CF-ENTRY",
					  rg, f, "a raw frame whose stored_length "
					  "is not its length, or with a "
					  "checksum");
		break;
	case FRC_FRAME_COMPRESSED:
		if (fr->stored == 0 || fr->stored >= fr->len)
			return frame_fail(r, FRC_E_BAD_FIELD, at, "R-CF-ENTRY",
					  rg, f, "a compressed frame whose "
					  "stored_length is 0 or not less "
					  "than its length");
		break;
	}
	if (!rg->bitmap_valid) /* salvage: presence cannot be told */
		return FRC_OK;
	/* R-CF-PRESENCE: stored when, and only when, a page is present */
	any = frc_bm_find(rg, fr->first, fr->first + fr->pages, true) <
	      fr->first + fr->pages;
	if (any != (fr->encoding != FRC_FRAME_ABSENT))
		return frame_fail(r, FRC_E_BAD_FIELD, at, "R-CF-PRESENCE",
				  rg, f, any ? "marked absent, but it has "
					       "present pages"
					     : "stored, but none of its pages "
					       "is present");
	return FRC_OK;
}

int frc_frame_get(frc_reader_t *r, uint32_t idx, uint64_t f,
		  struct frc_frame *fr)
{
	struct rregion *rg = &r->regions[idx];
	uint64_t at = rg->r.frame_table_offset + f * FRC_FRAME_ENTRY_SIZE;
	uint8_t e[FRC_FRAME_ENTRY_SIZE];
	int rc = frc_frames_ensure(r, idx);

	if (rc == FRC_OK)
		rc = frc_r_read(r, e, sizeof(e), at, "frame table");
	return rc ? rc : check_entry(r, rg, f, e, at, fr);
}

static int zstd_fail(frc_reader_t *r, const struct rregion *rg,
		     const struct frc_frame *fr, const char *why)
{
	return frame_fail(r, FRC_E_BAD_FIELD, fr->slot, "R-CF-DECODE", rg,
			  fr->index, why);
}

/*
 * R-CF-DECODE: the Zstandard frame header, read before anything is decoded:
 * a frame (not skippable) that declares exactly the frame's length, a
 * window of at most 16 MiB and no dictionary.
 */
static int check_zstd_header(frc_reader_t *r, const struct rregion *rg,
			     const struct frc_frame *fr, const uint8_t *src)
{
	ZSTD_frameHeader h;

	if (ZSTD_getFrameHeader(&h, src, fr->stored) != 0 ||
	    h.frameType != ZSTD_frame)
		return zstd_fail(r, rg, fr, "its bytes do not begin with a "
				 "Zstandard frame header");
	if (h.frameContentSize == ZSTD_CONTENTSIZE_UNKNOWN)
		return zstd_fail(r, rg, fr, "its Zstandard header declares no "
				 "content size");
	if (h.frameContentSize != fr->len)
		return zstd_fail(r, rg, fr, "its Zstandard header declares a "
				 "content size other than the frame's length");
	if (h.windowSize > FRC_FRAME_MAX_BYTES)
		return zstd_fail(r, rg, fr, "its Zstandard header declares a "
				 "window larger than 16 MiB");
	if (h.dictID != 0)
		return zstd_fail(r, rg, fr, "its Zstandard header names a "
				 "dictionary");
	return FRC_OK;
}

int frc_frame_decode(frc_reader_t *r, uint32_t idx,
		     const struct frc_frame *fr, uint8_t *dst)
{
	struct rregion *rg = &r->regions[idx];
	uint8_t *src = malloc(fr->stored ? fr->stored : 1);
	ZSTD_DCtx *d = frc_thread_object(&dctx_slot);
	size_t got;
	int rc;

	if (!src || !d) {
		free(src);
		return frc_fail_plain(FRC_ERR(r), FRC_E_NOMEM, "%s: out of "
				      "memory for a frame", r->path);
	}
	rc = frc_r_read(r, src, fr->stored, fr->slot, "compressed frame");
	/* R-CF-CSUM before anything looks at the bytes */
	if (rc == FRC_OK &&
	    !FRC_CSUM_OK(fr->checksum,
			 frc_hash(src, fr->stored,
				  frc_key(r->sb.uuid, FRC_KEY_FRAME, idx,
					  fr->index))))
		rc = frame_fail(r, FRC_E_CHECKSUM, fr->slot, "R-CF-CSUM", rg,
				fr->index, "checksum mismatch");
	/* R-CF-DECODE, header first (SPEC "Method 1: zstd") */
	if (rc == FRC_OK)
		rc = check_zstd_header(r, rg, fr, src);
	if (rc == FRC_OK &&
	    ZSTD_findFrameCompressedSize(src, fr->stored) != fr->stored)
		rc = frame_fail(r, FRC_E_BAD_FIELD, fr->slot, "R-CF-DECODE",
				rg, fr->index, "bytes before or after its "
				"Zstandard frame");
	if (rc == FRC_OK) {
		got = ZSTD_decompressDCtx(d, dst, fr->len, src, fr->stored);
		if (ZSTD_isError(got) || got != fr->len)
			rc = frame_fail(r, FRC_E_BAD_FIELD, fr->slot,
					"R-CF-DECODE", rg, fr->index,
					"it does not decompress to the frame's "
					"length");
	}
	free(src);
	/* R-BM-ZEROS: absent pages read as zeros whatever the frame held */
	for (uint64_t k = 0; rc == FRC_OK && k < fr->pages; k++)
		if (!frc_bm_get(rg, fr->first + k))
			memset(dst + (k << rg->r.page_shift), 0,
			       rg->r.page_size);
	return rc;
}

/*
 * The frames the calling thread decoded last (frc_frame_cached): two, so
 * that a program reading two files page by page (frc diff) or two regions
 * in turn keeps both; at most 2 * 16 MiB per thread.
 */
#define CACHED_FRAMES 2

struct cached_frame {
	uint64_t generation; /* of the reader that decoded it; 0: none */
	uint32_t idx;
	uint64_t frame;
	uint64_t used; /* when it was last used (the thread's count) */
	size_t cap;
	uint8_t *buf;
};

struct frame_cache {
	struct cached_frame f[CACHED_FRAMES];
	uint64_t clock;
};

static void *make_cache(void)
{
	return calloc(1, sizeof(struct frame_cache));
}

static void free_cache(void *p)
{
	struct frame_cache *c = p;

	for (int i = 0; c && i < CACHED_FRAMES; i++)
		free(c->f[i].buf);
	free(c);
}

static struct frc_thread_slot cache_slot = { make_cache, free_cache, 0, 0 };

const uint8_t *frc_frame_cached(frc_reader_t *r, uint32_t idx,
				const struct frc_frame *fr, int *rc)
{
	struct frame_cache *c = frc_thread_object(&cache_slot);
	struct cached_frame *e = NULL;

	if (!c) {
		*rc = frc_fail_plain(FRC_ERR(r), FRC_E_NOMEM, "%s: out of "
				     "memory for a frame", r->path);
		return NULL;
	}
	for (int i = 0; i < CACHED_FRAMES; i++) {
		struct cached_frame *f = &c->f[i];

		if (f->generation == r->generation && f->idx == idx &&
		    f->frame == fr->index) {
			f->used = ++c->clock;
			*rc = FRC_OK;
			return f->buf;
		}
		if (!e || f->used < e->used)
			e = f; /* the least recently used */
	}
	e->generation = 0;
	if (e->cap < fr->len) {
		uint8_t *b = realloc(e->buf, fr->len);

		if (!b) {
			*rc = frc_fail_plain(FRC_ERR(r), FRC_E_NOMEM, "%s: out "
					     "of memory for a frame", r->path);
			return NULL;
		}
		e->buf = b;
		e->cap = fr->len;
	}
	*rc = frc_frame_decode(r, idx, fr, e->buf);
	if (*rc)
		return NULL;
	e->generation = r->generation;
	e->idx = idx;
	e->frame = fr->index;
	e->used = ++c->clock;
	return e->buf;
}

/* Bytes of [off, off+len) that are data extents, not holes. */
static uint64_t allocated(int fd, uint64_t off, uint64_t len)
{
	uint64_t pos = off, data, hole, sum = 0;

	for (; frc_data_extent(fd, pos, off + len, &data, &hole); pos = hole)
		sum += hole - data;
	return sum;
}

FRC_API int frc_reader_region_storage(frc_reader_t *r, uint32_t region,
				      frc_region_storage_t *st_out,
				      size_t st_size)
{
	frc_region_storage_t st;
	struct rregion *rg;
	int rc = frc_reader_region_arg(r, region, &rg, __func__);

	if (rc)
		return rc;
	memset(&st, 0, sizeof(st));
	if (rg->r.compression && rg->r.page_count) {
		st.frames = frc_frame_count(&rg->r);
		for (uint64_t f = 0; f < st.frames && rc == FRC_OK; f++) {
			struct frc_frame fr;

			rc = frc_frame_get(r, region, f, &fr);
			st.stored_bytes += fr.stored;
			st.compressed_frames +=
				fr.encoding == FRC_FRAME_COMPRESSED;
			st.raw_frames += fr.encoding == FRC_FRAME_RAW;
			st.absent_frames += fr.encoding == FRC_FRAME_ABSENT;
		}
		if (rc)
			return rc;
	} else {
		st.stored_bytes = rg->present << rg->r.page_shift;
	}
	if (rg->r.page_count)
		st.allocated_bytes = allocated(r->fd, rg->r.pages_offset,
					       rg->r.used_length);
	return frc_abi_out(r, __func__, st_out, st_size, &st, sizeof(st),
			   FRC_ABI_END(frc_region_storage_t, allocated_bytes));
}
