/*
 * superblock.c - the signature and the two superblock copies (SPEC §3, §4).
 *
 * Superblock, version 1.0 (SPEC §4.2); all integers little-endian:
 *
 *   off  size  field
 *     0     8  magic "FRCSUPER"
 *     8     2  version_major (1)
 *    10     2  version_minor (0 for files written by this library)
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
#include <string.h>

#include "frc_internal.h"

/* SPEC §3: 0x89 'F' 'R' 'C' '\r' '\n' 0x1a '\n'. */
const uint8_t frc_signature[FRC_SIGNATURE_SIZE] = { 0x89, 'F',  'R',  'C',
						    '\r', '\n', 0x1a, '\n' };

void frc_sb_encode(const struct frc_sb *sb, uint8_t *buf)
{
	uint32_t hl = sb->header_length;

	memset(buf, 0, hl);
	memcpy(buf, FRC_SB_MAGIC, 8);
	frc_put16(buf + 8, sb->major);
	frc_put16(buf + 10, sb->minor);
	frc_put32(buf + 12, hl);
	frc_put64(buf + 16, sb->sequence);
	frc_put64(buf + 24, sb->incompat);
	frc_put64(buf + 32, sb->ro_compat);
	frc_put64(buf + 40, sb->compat);
	memcpy(buf + 48, sb->uuid, 16);
	frc_put64(buf + 64, sb->create_time);
	frc_put64(buf + 72, sb->commit_time);
	frc_put64(buf + 80, sb->file_length);
	frc_put32(buf + 88, sb->alignment);
	buf[92] = sb->csum_algo;
	frc_put64(buf + 96, sb->rt_offset);
	frc_put32(buf + 104, sb->rt_length);
	frc_put32(buf + 108, sb->rt_count);
	frc_put64(buf + 112, sb->st_offset);
	frc_put32(buf + 120, sb->st_length);
	frc_put32(buf + 124, sb->st_count);
	frc_put64(buf + 128, sb->ft_offset);
	frc_put32(buf + 136, sb->ft_length);
	memcpy(buf + 144, sb->generator,
	       strnlen(sb->generator, FRC_GENERATOR_SIZE));
	frc_table_seal(buf, hl, 0);
}

/* The generator field: UTF-8 up to the first NUL, then only NULs. */
static bool generator_ok(const uint8_t *g)
{
	size_t n = strnlen((const char *)g, FRC_GENERATOR_SIZE);

	return frc_utf8_valid(g, n) &&
	       frc_all_zero(g + n, FRC_GENERATOR_SIZE - n);
}

/* Fields of a v1 superblock beyond the frozen prefix (SPEC §4.2, §4.6). */
static int decode_v1(const uint8_t *buf, uint64_t at, struct frc_sb *sb,
		     struct frc_err *e, const char *path)
{
	sb->incompat = frc_get64(buf + 24);
	sb->ro_compat = frc_get64(buf + 32);
	sb->compat = frc_get64(buf + 40);
	memcpy(sb->uuid, buf + 48, 16);
	sb->create_time = frc_get64(buf + 64);
	sb->commit_time = frc_get64(buf + 72);
	sb->file_length = frc_get64(buf + 80);
	sb->alignment = frc_get32(buf + 88);
	sb->csum_algo = buf[92];
	sb->rt_offset = frc_get64(buf + 96);
	sb->rt_length = frc_get32(buf + 104);
	sb->rt_count = frc_get32(buf + 108);
	sb->st_offset = frc_get64(buf + 112);
	sb->st_length = frc_get32(buf + 120);
	sb->st_count = frc_get32(buf + 124);
	sb->ft_offset = frc_get64(buf + 128);
	sb->ft_length = frc_get32(buf + 136);
	memcpy(sb->generator, buf + 144, FRC_GENERATOR_SIZE);
	sb->generator[FRC_GENERATOR_SIZE] = '\0';

	/* R-SB-FIELDS: the fields in the order of the layout table (the
	 * table fields, feature masks and checksum algorithm are checked
	 * later, in the order of R-CHECK-ORDER). */
	if (sb->sequence == 0)
		return frc_fail(e, FRC_E_BAD_FIELD, path, at + 16, "R-SB-FIELDS",
				"superblock sequence is 0");
	if (frc_all_zero(sb->uuid, 16))
		return frc_fail(e, FRC_E_BAD_FIELD, path, at + 48, "R-SB-FIELDS",
				"file UUID is all zero");
	if (sb->file_length < FRC_FIXED_AREA_END)
		return frc_fail(e, FRC_E_BAD_FIELD, path, at + 80, "R-SB-FIELDS",
				"file_length %llu is less than the fixed area's "
				"%u bytes", (unsigned long long)sb->file_length,
				FRC_FIXED_AREA_END);
	if (!frc_is_pow2(sb->alignment) || sb->alignment < 512 ||
	    sb->alignment > (1u << 30))
		return frc_fail(e, FRC_E_BAD_FIELD, path, at + 88, "R-SB-FIELDS",
				"data_alignment %u is not a power of two "
				"between 512 and 2^30", sb->alignment);
	if (!frc_all_zero(buf + 93, 3))
		return frc_fail(e, FRC_E_BAD_FIELD, path, at + 93, "R-SB-FIELDS",
				"reserved superblock bytes 93-95 are not zero");
	if (!frc_all_zero(buf + 140, 4))
		return frc_fail(e, FRC_E_BAD_FIELD, path, at + 140, "R-SB-FIELDS",
				"reserved superblock bytes 140-143 are not zero");
	if (!generator_ok(buf + 144))
		return frc_fail(e, FRC_E_BAD_FIELD, path, at + 144, "R-SB-FIELDS",
				"generator is not NUL-padded UTF-8");
	return FRC_OK;
}

int frc_sb_decode(const uint8_t *buf, uint64_t at, struct frc_sb *sb,
		  bool *empty, struct frc_err *e, const char *path)
{
	memset(sb, 0, sizeof(*sb));
	*empty = frc_all_zero(buf, FRC_SLOT_SIZE);
	if (*empty)
		return frc_fail(e, FRC_E_BAD_FIELD, path, at, "R-SEL-NONE",
				"superblock copy is empty (all zero)");
	/* SPEC §4.2: magic. */
	if (memcmp(buf, FRC_SB_MAGIC, 8) != 0)
		return frc_fail(e, FRC_E_BAD_FIELD, path, at, "R-SB-FIELDS",
				"superblock magic is not \"FRCSUPER\"");
	sb->major = frc_get16(buf + 8);
	sb->minor = frc_get16(buf + 10);
	sb->header_length = frc_get32(buf + 12);
	/* SPEC §4.2: header_length is a multiple of 8 in 256..4096. */
	if (sb->header_length % 8 || sb->header_length < FRC_SB_V1_LENGTH ||
	    sb->header_length > FRC_SB_MAX_LENGTH)
		return frc_fail(e, FRC_E_BAD_FIELD, path, at + 12, "R-SB-FIELDS",
				"header_length %u is not a multiple of 8 "
				"between 256 and 4096", sb->header_length);
	/* SPEC §4.5: a copy whose checksum fails does not exist. */
	if (!frc_table_check(buf, sb->header_length, 0))
		return frc_fail(e, FRC_E_CHECKSUM, path,
				at + sb->header_length - 8, "R-SEL-NONE",
				"superblock checksum mismatch");
	/* SPEC §4.5: an intact copy takes part in the choice by its sequence. */
	sb->intact = true;
	sb->sequence = frc_get64(buf + 16);
	/* SPEC §4.3: a reader refuses a major version it does not know. */
	if (sb->major != FRC_FORMAT_VERSION_MAJOR)
		return frc_fail(e, FRC_E_UNSUPPORTED_VERSION, path, at + 8,
				"R-MAJOR",
				"format version %u.%u is not supported (this "
				"reader knows major version %u)",
				sb->major, sb->minor, FRC_FORMAT_VERSION_MAJOR);
	return decode_v1(buf, at, sb, e, path);
}
