/*
 * rbitmap.c - a region's present-page bitmap as the reader holds it
 * (SPEC "Present-page bitmap"): loaded in 4 KiB chunks, of which only the
 * chunks with a set
 * bit are kept in memory. A file that claims a huge region but holds few
 * pages costs memory for the pages it holds, not for the pages it claims;
 * holes in the bitmap's extent are not even read.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "reader_internal.h"

#define CHUNK_BITS ((uint64_t)FRC_BM_CHUNK * 8)

static const uint8_t zeros[FRC_BM_CHUNK];

/* The stored chunk holding bit i, or NULL when that chunk is all zero. */
static const struct frc_bm_chunk *chunk_of(const struct rregion *rg,
					   uint64_t ci, uint64_t *pos)
{
	uint64_t lo = 0, hi = rg->nchunks;

	/* Dense bitmaps (every chunk stored) are indexed directly. */
	if (ci < rg->nchunks && rg->chunks[ci].index == ci) {
		*pos = ci;
		return &rg->chunks[ci];
	}
	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;

		if (rg->chunks[mid].index < ci)
			lo = mid + 1;
		else
			hi = mid;
	}
	*pos = lo; /* first stored chunk at or after ci */
	return lo < rg->nchunks && rg->chunks[lo].index == ci ? &rg->chunks[lo]
							       : NULL;
}

bool frc_bm_get(const struct rregion *rg, uint64_t i)
{
	uint64_t pos;
	const struct frc_bm_chunk *c = chunk_of(rg, i / CHUNK_BITS, &pos);
	uint64_t b = i % CHUNK_BITS;

	return c && frc_bitmap_test(c->bits, b);
}

/* First i in [from, end) whose bit equals `want`, or end. */
uint64_t frc_bm_find(const struct rregion *rg, uint64_t from, uint64_t end,
		     bool want)
{
	uint64_t i = from;

	while (i < end) {
		uint64_t pos, ci = i / CHUNK_BITS;
		const struct frc_bm_chunk *c = chunk_of(rg, ci, &pos);
		uint64_t cend = (ci + 1) * CHUNK_BITS;

		if (!c) {
			if (!want)
				return i;
			/* skip to the next stored chunk */
			if (pos >= rg->nchunks)
				return end;
			i = rg->chunks[pos].index * CHUNK_BITS;
			continue;
		}
		if (cend > end)
			cend = end;
		for (; i < cend; i++) {
			uint64_t b = i % CHUNK_BITS;
			uint8_t byte = c->bits[b / 8];

			/* whole bytes that cannot hold the answer */
			if (b % 8 == 0 && i + 8 <= cend &&
			    byte == (want ? 0x00 : 0xff)) {
				i += 7;
				continue;
			}
			if (frc_bitmap_test(c->bits, b) == want)
				return i;
		}
	}
	return end;
}

void frc_bm_free(struct rregion *rg)
{
	for (uint64_t k = 0; k < rg->nchunks; k++)
		free(rg->chunks[k].bits);
	free(rg->chunks);
	rg->chunks = NULL;
	rg->nchunks = 0;
}

static int keep_chunk(struct rregion *rg, uint64_t *cap, uint64_t index,
		      const uint8_t *bits, size_t len)
{
	uint8_t *copy;

	if (rg->nchunks == *cap) {
		uint64_t ncap = *cap ? *cap * 2 : 16;
		struct frc_bm_chunk *g = realloc(rg->chunks,
						 ncap * sizeof(*g));

		if (!g)
			return -1;
		rg->chunks = g;
		*cap = ncap;
	}
	copy = calloc(1, FRC_BM_CHUNK);
	if (!copy)
		return -1;
	memcpy(copy, bits, len);
	rg->chunks[rg->nchunks].index = index;
	rg->chunks[rg->nchunks].bits = copy;
	rg->nchunks++;
	for (size_t k = 0; k < len; k++)
		rg->present += (uint64_t)__builtin_popcount(bits[k]);
	return 0;
}

/*
 * Where the next data may be, from `off` on: lseek(SEEK_DATA), or `off`
 * itself when the filesystem cannot say. Returns `end` for a hole to end.
 */
static uint64_t next_data(int fd, uint64_t off, uint64_t end)
{
	uint64_t data, hole;

	return frc_data_extent(fd, off, end, &data, &hole) ? data : end;
}

/*
 * Reads the `bytes` bitmap bytes at `off` chunk by chunk into rg, feeding
 * every byte (holes as zeros, without reading them) to `h`. Returns 0, an
 * errno value, -1 (the file ends early) or -2 (out of memory).
 */
int frc_bm_load(struct rregion *rg, int fd, uint64_t off, uint64_t bytes,
		struct frc_stream_hash *h)
{
	uint8_t *buf = malloc(FRC_BM_CHUNK);
	uint64_t cap = 0, data = 0;
	int err = 0;

	if (!buf)
		return -2;
	rg->present = 0;
	for (uint64_t c = 0; c * FRC_BM_CHUNK < bytes && !err; c++) {
		uint64_t at = c * FRC_BM_CHUNK;
		size_t len = bytes - at < FRC_BM_CHUNK ? (size_t)(bytes - at)
						       : FRC_BM_CHUNK;

		if (data < off + at)
			data = next_data(fd, off + at, off + bytes);
		if (data >= off + at + len) { /* a hole: zeros, not read */
			frc_stream_update(h, zeros, len);
			continue;
		}
		err = frc_pread_full(fd, buf, len, off + at);
		if (err)
			break;
		frc_stream_update(h, buf, len);
		if (!frc_all_zero(buf, len) &&
		    keep_chunk(rg, &cap, c, buf, len))
			err = -2;
	}
	free(buf);
	return err;
}
