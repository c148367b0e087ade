/*
 * craft.h - helpers for tests that build hostile files: load a valid file
 * into memory, change fields, recompute the checksums that cover them so
 * that the intended rule (and not a checksum) is what fails, save it.
 * Uses codec internals (frc_internal.h) on purpose.
 */
#ifndef FRC_TEST_CRAFT_H
#define FRC_TEST_CRAFT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frc_internal.h"

struct image {
	uint8_t *d;
	size_t n;
};

/* Superblock field offsets (SPEC "Layout"). */
enum {
	SB_MAJOR = 8, SB_MINOR = 10, SB_HLEN = 12, SB_SEQ = 16,
	SB_INCOMPAT = 24, SB_ROCOMPAT = 32, SB_COMPAT = 40, SB_UUID = 48,
	SB_FILELEN = 80, SB_ALIGN = 88, SB_ALGO = 92, SB_RT_OFF = 96,
	SB_RT_LEN = 104, SB_RT_COUNT = 108, SB_ST_OFF = 112, SB_ST_LEN = 120,
	SB_ST_COUNT = 124, SB_FT_OFF = 128, SB_FT_LEN = 136
};

static inline void img_load(struct image *im, const char *path)
{
	FILE *f = fopen(path, "rb");

	if (!f)
		abort();
	fseek(f, 0, SEEK_END);
	im->n = (size_t)ftell(f);
	fseek(f, 0, SEEK_SET);
	im->d = malloc(im->n + 1);
	if (!im->d || fread(im->d, 1, im->n, f) != im->n)
		abort();
	fclose(f);
}

static inline void img_save(const struct image *im, const char *path)
{
	FILE *f = fopen(path, "wb");

	if (!f || fwrite(im->d, 1, im->n, f) != im->n)
		abort();
	fclose(f);
}

static inline void img_free(struct image *im)
{
	free(im->d);
	im->d = NULL;
}

/* The current superblock copy (A at 4096; the writer leaves A newest). */
static inline uint8_t *img_sb(struct image *im)
{
	return im->d + FRC_SLOT_A_OFFSET;
}

static inline uint64_t sb64(struct image *im, unsigned off)
{
	return frc_get64(img_sb(im) + off);
}

static inline uint32_t sb32(struct image *im, unsigned off)
{
	return frc_get32(img_sb(im) + off);
}

static inline const uint8_t *img_uuid(struct image *im)
{
	return img_sb(im) + SB_UUID;
}

/* Offset of region i's entry in the region table. */
static inline uint8_t *img_region(struct image *im, unsigned i)
{
	uint8_t *p = im->d + sb64(im, SB_RT_OFF);

	while (i--)
		p += frc_region_entry_size(frc_get16(p + 12));
	return p;
}

static inline uint8_t *img_section(struct image *im, unsigned i)
{
	uint8_t *p = im->d + sb64(im, SB_ST_OFF);

	while (i--)
		p += frc_section_entry_size(frc_get16(p + 32));
	return p;
}

/* Re-seals both superblock copies (each keeps its own sequence). */
static inline void reseal_sb(struct image *im)
{
	for (unsigned at = FRC_SLOT_A_OFFSET; at <= FRC_SLOT_B_OFFSET;
	     at += FRC_SLOT_SIZE) {
		uint32_t hl = frc_get32(im->d + at + SB_HLEN);

		if (hl % 8 == 0 && hl >= 16 && hl <= FRC_SLOT_SIZE)
			frc_table_seal(im->d + at, hl, 0);
	}
}

/* Copies slot A over slot B (with sequence - 1), then re-seals. */
static inline void sync_slots(struct image *im)
{
	memcpy(im->d + FRC_SLOT_B_OFFSET, im->d + FRC_SLOT_A_OFFSET,
	       FRC_SLOT_SIZE);
	frc_put64(im->d + FRC_SLOT_B_OFFSET + SB_SEQ, sb64(im, SB_SEQ) - 1);
	reseal_sb(im);
}

static inline void reseal_tables(struct image *im)
{
	const uint8_t *u = img_uuid(im);
	uint64_t off;

	if ((off = sb64(im, SB_RT_OFF)))
		frc_table_seal(im->d + off, sb32(im, SB_RT_LEN),
			       frc_key(u, FRC_KEY_REGION_TABLE, 0, 0));
	if ((off = sb64(im, SB_FT_OFF)))
		frc_table_seal(im->d + off, sb32(im, SB_FT_LEN),
			       frc_key(u, FRC_KEY_FEATURE_TABLE, 0, 0));
	for (uint32_t i = 0; i < sb32(im, SB_ST_COUNT); i++) {
		uint8_t *e = img_section(im, i);
		uint64_t so = frc_get64(e + 8), sl = frc_get64(e + 16);

		if (so + sl <= im->n)
			frc_put64(e + 24, frc_hash(im->d + so, sl,
						   frc_key(u, FRC_KEY_SECTION, i,
							   frc_get32(e))));
	}
	if ((off = sb64(im, SB_ST_OFF)))
		frc_table_seal(im->d + off, sb32(im, SB_ST_LEN),
			       frc_key(u, FRC_KEY_SECTION_TABLE, 0, 0));
	sync_slots(im);
}

/* Re-seals region i's bitmap and checksum table (entries as they are). */
static inline void reseal_region(struct image *im, unsigned i)
{
	uint8_t *e = img_region(im, i);
	uint64_t pages = frc_get64(e) / frc_get32(e + 8);
	const uint8_t *u = img_uuid(im);

	frc_table_seal(im->d + frc_get64(e + 16),
		       frc_bitmap_bytes(pages) + 8,
		       frc_key(u, FRC_KEY_BITMAP, i, 0));
	frc_table_seal(im->d + frc_get64(e + 24), pages * 8 + 8,
		       frc_key(u, FRC_KEY_CSUM_TABLE, i, 0));
}

#endif /* FRC_TEST_CRAFT_H */
