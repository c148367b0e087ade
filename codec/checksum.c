/*
 * checksum.c - XXH3-64 checksums and the keys that bind each checksum to
 * its place in the file (SPEC "Checksums").
 */
#include <string.h>
#include <xxhash.h>

#include "frc_internal.h"

/*
 * 8-byte ASCII domain tags of SPEC "Keys: binding checksums to their place",
 * indexed by enum frc_key_tag.
 */
static const char key_tags[][9] = {
	[FRC_KEY_PAGE] = "FRC-PAGE",
	[FRC_KEY_BITMAP] = "FRC-BMAP",
	[FRC_KEY_CSUM_TABLE] = "FRC-CSUM",
	[FRC_KEY_REGION_TABLE] = "FRC-RTAB",
	[FRC_KEY_SECTION_TABLE] = "FRC-STAB",
	[FRC_KEY_SECTION] = "FRC-SECT",
	[FRC_KEY_FEATURE_TABLE] = "FRC-FTAB",
	[FRC_KEY_FRAME_TABLE] = "FRC-FTBL",
	[FRC_KEY_FRAME] = "FRC-FRAM",
	[FRC_KEY_BASE_MAP] = "FRC-BASM",
};

/*
 * SPEC "Keys: binding checksums to their place": key = XXH3-64 (seed 0) of
 * tag[8] || uuid[16] || le64(a) ||
 * le64(b). The key is the seed of the checksum of the structure it names.
 */
uint64_t frc_key(const uint8_t uuid[16], enum frc_key_tag tag, uint64_t a,
		 uint64_t b)
{
	uint8_t buf[40];

	memcpy(buf, key_tags[tag], 8);
	memcpy(buf + 8, uuid, 16);
	frc_put64(buf + 24, a);
	frc_put64(buf + 32, b);
	return XXH3_64bits(buf, sizeof(buf));
}

uint64_t frc_hash(const void *data, size_t len, uint64_t seed)
{
	return XXH3_64bits_withSeed(data, len, seed);
}

/* SPEC "Table trailers": the trailer is the checksum of all bytes before it. */
void frc_table_seal(uint8_t *table, size_t len, uint64_t seed)
{
	frc_put64(table + len - FRC_TRAILER,
		  frc_hash(table, len - FRC_TRAILER, seed));
}

bool frc_table_check(const uint8_t *table, size_t len, uint64_t seed)
{
	return FRC_CSUM_OK(frc_get64(table + len - FRC_TRAILER),
			   frc_hash(table, len - FRC_TRAILER, seed));
}

struct frc_stream_hash *frc_stream_new(uint64_t seed)
{
	XXH3_state_t *st = XXH3_createState();

	if (st && XXH3_64bits_reset_withSeed(st, seed) != XXH_OK) {
		XXH3_freeState(st);
		st = NULL;
	}
	return (struct frc_stream_hash *)st;
}

void frc_stream_update(struct frc_stream_hash *h, const void *p, size_t n)
{
	XXH3_64bits_update((XXH3_state_t *)h, p, n);
}

uint64_t frc_stream_digest(struct frc_stream_hash *h)
{
	return XXH3_64bits_digest((XXH3_state_t *)h);
}

void frc_stream_free(struct frc_stream_hash *h)
{
	if (h)
		XXH3_freeState((XXH3_state_t *)h);
}
