/*
 * format.h - the on-disk layout of format 1.x in one place: every offset
 * and size of the fixed area, the superblock, the table entries, the
 * bitmap and the checksum table, named after the SPEC's tables. The
 * encoders and decoders (superblock.c, regions.c, sections.c, features.c),
 * the reader's checks and its messages use these names and nothing else.
 * (The vector generator, tools/vectors/vecbuild.c, spells the layout out
 * on its own on purpose: it is a second, independent reading of the SPEC.)
 * All integers are little-endian.
 */
#ifndef FRC_FORMAT_H
#define FRC_FORMAT_H

#include <stdint.h>

#include "frc.h"

/* ---- File layout, "The fixed area" ---- */
#define FRC_SIGNATURE_SIZE 8
#define FRC_SLOT_SIZE 4096u
#define FRC_SLOT_A_OFFSET 4096u
#define FRC_SLOT_B_OFFSET 8192u
#define FRC_FIXED_AREA_END FRC_FIXED_AREA_SIZE /* frc.h */

/*
 * ---- Superblock, "Layout" (version 1) ----
 *
 *   off  size  field
 *     0     8  magic "FRCSUPER"
 *     8     2  version_major (1)
 *    10     2  version_minor
 *    12     4  header_length: 256..4096, a multiple of 8
 *    16     8  sequence: the copy with the highest valid sequence is current
 *    24     8  incompat_features
 *    32     8  ro_compat_features
 *    40     8  compat_features
 *    48    16  file_uuid (never all zero)
 *    64     8  create_time (ns since 1970 UTC, 0 = unknown)
 *    72     8  commit_time (ns since 1970 UTC, 0 = unknown or incomplete)
 *    80     8  file_length: bytes the file holds at least
 *    88     4  data_alignment (power of two, 512..2^30)
 *    92     1  checksum_algorithm (1 = XXH3-64)
 *    93     3  reserved, zero (reader rejects non-zero)
 *    96     8  region_table_offset
 *   104     4  region_table_length (bytes, trailer included)
 *   108     4  region_count
 *   112     8  section_table_offset
 *   120     4  section_table_length
 *   124     4  section_count
 *   128     8  feature_table_offset
 *   136     4  feature_table_length
 *   140     4  reserved, zero (reader rejects non-zero)
 *   144    64  generator: UTF-8, NUL-padded
 *   208    40  reserved, zero (reader ignores)
 *   hl-8    8  checksum: XXH3-64, seed 0, of bytes [0, header_length - 8)
 */
#define FRC_SB_MAGIC "FRCSUPER"
#define FRC_SB_V1_LENGTH 256u
#define FRC_SB_MAX_LENGTH FRC_SLOT_SIZE
#define FRC_GENERATOR_SIZE 64u

#define FRC_SB_MAGIC_AT 0
#define FRC_SB_MAJOR_AT 8
#define FRC_SB_MINOR_AT 10
#define FRC_SB_HEADER_LENGTH_AT 12
#define FRC_SB_SEQUENCE_AT 16
#define FRC_SB_INCOMPAT_AT 24
#define FRC_SB_RO_COMPAT_AT 32
#define FRC_SB_COMPAT_AT 40
#define FRC_SB_UUID_AT 48
#define FRC_SB_CREATE_TIME_AT 64
#define FRC_SB_COMMIT_TIME_AT 72
#define FRC_SB_FILE_LENGTH_AT 80
#define FRC_SB_ALIGNMENT_AT 88
#define FRC_SB_CSUM_ALGO_AT 92
#define FRC_SB_RESERVED1_AT 93 /* 3 bytes */
#define FRC_SB_RT_OFFSET_AT 96
#define FRC_SB_RT_LENGTH_AT 104
#define FRC_SB_RT_COUNT_AT 108
#define FRC_SB_ST_OFFSET_AT 112
#define FRC_SB_ST_LENGTH_AT 120
#define FRC_SB_ST_COUNT_AT 124
#define FRC_SB_FT_OFFSET_AT 128
#define FRC_SB_FT_LENGTH_AT 136
#define FRC_SB_RESERVED2_AT 140 /* 4 bytes */
#define FRC_SB_GENERATOR_AT 144

/* ---- Region table entry, "Region table": 64 bytes, then the id ---- */
#define FRC_REGION_ENTRY_FIXED 64u
#define FRC_RE_USED_LENGTH_AT 0
#define FRC_RE_PAGE_SIZE_AT 8
#define FRC_RE_ID_LENGTH_AT 12
#define FRC_RE_RESERVED1_AT 14 /* 2 bytes */
#define FRC_RE_BITMAP_OFFSET_AT 16
#define FRC_RE_CSUM_OFFSET_AT 24
#define FRC_RE_PAGES_OFFSET_AT 32
#define FRC_RE_RESERVED2_AT 40 /* 24 bytes; in 1.1 files, or: */
/* with compressed-frames (1.2), "Region fields": */
#define FRC_RE_COMPRESSION_AT 40
#define FRC_RE_FRAME_SHIFT_AT 41
#define FRC_RE_RESERVED3_AT 42 /* 6 bytes */
#define FRC_RE_FRAME_TABLE_AT 48
#define FRC_RE_RESERVED4_AT 56 /* 8 bytes; with base-snapshot (1.3): */
#define FRC_RE_BASE_MAP_AT 56

/* ---- Section table entry, "Section table": 40 bytes, then the name ---- */
#define FRC_SECTION_ENTRY_FIXED 40u
#define FRC_SE_TYPE_AT 0
#define FRC_SE_FLAGS_AT 4
#define FRC_SE_OFFSET_AT 8
#define FRC_SE_LENGTH_AT 16
#define FRC_SE_CHECKSUM_AT 24
#define FRC_SE_NAME_LENGTH_AT 32
#define FRC_SE_RESERVED_AT 34 /* 6 bytes */

/* ---- Feature-name table entry, "Feature-name table": 48 bytes ---- */
#define FRC_FEATURE_ENTRY_SIZE 48u
#define FRC_FE_KIND_AT 0
#define FRC_FE_BIT_AT 1
#define FRC_FE_RESERVED_AT 2 /* 6 bytes */
#define FRC_FE_NAME_AT 8
#define FRC_FEATURE_NAME_SIZE 40u
#define FRC_FEATURES_MAX 192u

/* ---- Metadata item, "Metadata section": key_length u16, value_length
 * u32, the key, the value ---- */
#define FRC_MI_KEY_LENGTH_AT 0
#define FRC_MI_VALUE_LENGTH_AT 2
#define FRC_MI_KEY_AT 6

/* ---- Frame table entry, "Frame table" (1.2): 16 bytes ---- */
#define FRC_FRAME_ENTRY_SIZE 16u
#define FRC_FE_STORED_AT 0
#define FRC_FE_ENCODING_AT 4
#define FRC_FE_RESERVED3_AT 5 /* 3 bytes */
#define FRC_FE_CHECKSUM_AT 8
enum frc_frame_encoding { FRC_FRAME_ABSENT = 0, FRC_FRAME_RAW = 1,
			  FRC_FRAME_COMPRESSED = 2 };
/* "Limits": a frame is at most 16 MiB */
#define FRC_FRAME_MAX_BYTES (16u << 20)

/* ---- "Table trailers": every table ends with an 8-byte checksum ---- */
#define FRC_TRAILER 8u

/*
 * "Present-page bitmap": bit i (page i) is bit (i % 8) of byte (i / 8), so
 * the bitmap read as 64-bit little-endian words has page i at bit (i % 64)
 * of word (i / 64), the form the writer keeps it in. It takes
 * frc_bitmap_used_bytes() bytes, zero-padded (bits and bytes) to
 * frc_bitmap_bytes(), a multiple of 8; the trailer follows.
 */
static inline uint64_t frc_bitmap_used_bytes(uint64_t page_count)
{
	return (page_count + 7) / 8;
}

static inline uint64_t frc_bitmap_bytes(uint64_t page_count)
{
	return (frc_bitmap_used_bytes(page_count) + 7) / 8 * 8;
}

static inline int frc_bitmap_test(const uint8_t *bits, uint64_t i)
{
	return (bits[i / 8] >> (i % 8)) & 1;
}

/* "Frame table" (1.2): one entry per frame, then the trailer. */
static inline uint64_t frc_frame_table_bytes(uint64_t frames)
{
	return frames * FRC_FRAME_ENTRY_SIZE + FRC_TRAILER;
}

/* "Page checksum table": one 8-byte entry per page, then the trailer. */
static inline uint64_t frc_csum_table_bytes(uint64_t page_count)
{
	return page_count * 8 + FRC_TRAILER;
}

#endif /* FRC_FORMAT_H */
