/*
 * reader_internal.h - the reader handle, shared by reader.c (structure) and
 * pages.c (page data, verification). Not installed.
 */
#ifndef FRC_READER_INTERNAL_H
#define FRC_READER_INTERNAL_H

#include <pthread.h>

#include "frc_internal.h"

/* State of a region's checksum table (verified once, on first use). */
enum csum_state { CSUM_UNCHECKED = 0, CSUM_GOOD = 1, CSUM_BAD = -1 };

struct rregion {
	struct frc_region r;
	uint8_t *bitmap;  /* bitmap bytes (trailer included) */
	int bitmap_valid; /* trailer matched (always 1 outside salvage) */
	uint64_t present; /* set bits */
	int csum_state;   /* enum csum_state, guarded by frc_reader.lock */
};

struct frc_reader {
	struct frc_err err;
	pthread_mutex_t lock; /* guards err and csum_state */
	char *path;
	int fd;
	int dfd;       /* O_DIRECT descriptor (FRC_OPEN_DIRECT), or -1 */
	uint64_t size; /* st_size at open */
	unsigned flags;
	int open_ok;
	struct frc_sb sb;
	int slot_used, other_slot, other_err;
	int complete, read_only;
	struct frc_feature_name *fnames;
	uint32_t nfnames;
	struct rregion *regions;
	uint32_t nregions;
	struct frc_section *sections;
	uint32_t nsections;
	int meta_section;
	struct frc_meta *meta;
	uint32_t nmeta;
};

int frc_r_read(frc_reader_t *r, void *buf, size_t len, uint64_t off,
	       const char *what) FRC_INTERNAL;
int frc_r_check_extent(frc_reader_t *r, uint64_t off, uint64_t len,
		       uint64_t field_at, const char *what) FRC_INTERNAL;

static inline bool frc_bit(const uint8_t *bitmap, uint64_t i)
{
	return (bitmap[i / 8] >> (i % 8)) & 1;
}

#endif /* FRC_READER_INTERNAL_H */
