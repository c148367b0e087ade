/*
 * superblock.c - the signature and the two superblock copies (SPEC
 * "Signature", "Superblock").
 *
 * The layout is in format.h.
 */
#include <string.h>

#include "frc_internal.h"

/* SPEC "Signature": 0x89 'F' 'R' 'C' '\r' '\n' 0x1a '\n'. */
const uint8_t frc_signature[FRC_SIGNATURE_SIZE] = { 0x89, 'F',  'R',  'C',
						    '\r', '\n', 0x1a, '\n' };

void frc_sb_encode(const struct frc_sb *sb, uint8_t *buf)
{
	uint32_t hl = sb->header_length;

	memset(buf, 0, hl);
	memcpy(buf + FRC_SB_MAGIC_AT, FRC_SB_MAGIC, 8);
	frc_put16(buf + FRC_SB_MAJOR_AT, sb->major);
	frc_put16(buf + FRC_SB_MINOR_AT, sb->minor);
	frc_put32(buf + FRC_SB_HEADER_LENGTH_AT, hl);
	frc_put64(buf + FRC_SB_SEQUENCE_AT, sb->sequence);
	frc_put64(buf + FRC_SB_INCOMPAT_AT, sb->incompat);
	frc_put64(buf + FRC_SB_RO_COMPAT_AT, sb->ro_compat);
	frc_put64(buf + FRC_SB_COMPAT_AT, sb->compat);
	memcpy(buf + FRC_SB_UUID_AT, sb->uuid, 16);
	frc_put64(buf + FRC_SB_CREATE_TIME_AT, sb->create_time);
	frc_put64(buf + FRC_SB_COMMIT_TIME_AT, sb->commit_time);
	frc_put64(buf + FRC_SB_FILE_LENGTH_AT, sb->file_length);
	frc_put32(buf + FRC_SB_ALIGNMENT_AT, sb->alignment);
	buf[FRC_SB_CSUM_ALGO_AT] = sb->csum_algo;
	frc_put64(buf + FRC_SB_RT_OFFSET_AT, sb->rt_offset);
	frc_put32(buf + FRC_SB_RT_LENGTH_AT, sb->rt_length);
	frc_put32(buf + FRC_SB_RT_COUNT_AT, sb->rt_count);
	frc_put64(buf + FRC_SB_ST_OFFSET_AT, sb->st_offset);
	frc_put32(buf + FRC_SB_ST_LENGTH_AT, sb->st_length);
	frc_put32(buf + FRC_SB_ST_COUNT_AT, sb->st_count);
	frc_put64(buf + FRC_SB_FT_OFFSET_AT, sb->ft_offset);
	frc_put32(buf + FRC_SB_FT_LENGTH_AT, sb->ft_length);
	memcpy(buf + FRC_SB_GENERATOR_AT, sb->generator,
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

/*
 * Fields of a v1 superblock beyond the frozen prefix (SPEC "Layout",
 * "Validating the current copy").
 */
static int decode_v1(const uint8_t *buf, uint64_t at, struct frc_sb *sb,
		     struct frc_err *e, const char *path)
{
	sb->incompat = frc_get64(buf + FRC_SB_INCOMPAT_AT);
	sb->ro_compat = frc_get64(buf + FRC_SB_RO_COMPAT_AT);
	sb->compat = frc_get64(buf + FRC_SB_COMPAT_AT);
	memcpy(sb->uuid, buf + FRC_SB_UUID_AT, 16);
	sb->create_time = frc_get64(buf + FRC_SB_CREATE_TIME_AT);
	sb->commit_time = frc_get64(buf + FRC_SB_COMMIT_TIME_AT);
	sb->file_length = frc_get64(buf + FRC_SB_FILE_LENGTH_AT);
	sb->alignment = frc_get32(buf + FRC_SB_ALIGNMENT_AT);
	sb->csum_algo = buf[FRC_SB_CSUM_ALGO_AT];
	sb->rt_offset = frc_get64(buf + FRC_SB_RT_OFFSET_AT);
	sb->rt_length = frc_get32(buf + FRC_SB_RT_LENGTH_AT);
	sb->rt_count = frc_get32(buf + FRC_SB_RT_COUNT_AT);
	sb->st_offset = frc_get64(buf + FRC_SB_ST_OFFSET_AT);
	sb->st_length = frc_get32(buf + FRC_SB_ST_LENGTH_AT);
	sb->st_count = frc_get32(buf + FRC_SB_ST_COUNT_AT);
	sb->ft_offset = frc_get64(buf + FRC_SB_FT_OFFSET_AT);
	sb->ft_length = frc_get32(buf + FRC_SB_FT_LENGTH_AT);
	memcpy(sb->generator, buf + FRC_SB_GENERATOR_AT, FRC_GENERATOR_SIZE);
	sb->generator[FRC_GENERATOR_SIZE] = '\0';

	/* R-SB-FIELDS: the fields in the order of the layout table (the
	 * table fields, feature masks and checksum algorithm are checked
	 * later, in the order of R-CHECK-ORDER). */
	if (sb->sequence == 0)
		return frc_fail(e, FRC_E_BAD_FIELD, path, at + FRC_SB_SEQUENCE_AT, "R-SB-FIELDS",
				"superblock sequence is 0");
	if (frc_all_zero(sb->uuid, 16))
		return frc_fail(e, FRC_E_BAD_FIELD, path, at + FRC_SB_UUID_AT, "R-SB-FIELDS",
				"file UUID is all zero");
	if (sb->file_length < FRC_FIXED_AREA_END)
		return frc_fail(e, FRC_E_BAD_FIELD, path, at + FRC_SB_FILE_LENGTH_AT, "R-SB-FIELDS",
				"file_length %llu is less than the fixed area's "
				"%u bytes", (unsigned long long)sb->file_length,
				FRC_FIXED_AREA_END);
	if (!frc_is_pow2(sb->alignment) || sb->alignment < 512 ||
	    sb->alignment > (1u << 30))
		return frc_fail(e, FRC_E_BAD_FIELD, path, at + FRC_SB_ALIGNMENT_AT, "R-SB-FIELDS",
				"data_alignment %u is not a power of two "
				"between 512 and 2^30", sb->alignment);
	if (!frc_all_zero(buf + FRC_SB_RESERVED1_AT, 3))
		return frc_fail(e, FRC_E_BAD_FIELD, path, at + FRC_SB_RESERVED1_AT, "R-SB-FIELDS",
				"reserved superblock bytes 93-95 are not zero");
	if (!frc_all_zero(buf + FRC_SB_RESERVED2_AT, 4))
		return frc_fail(e, FRC_E_BAD_FIELD, path, at + FRC_SB_RESERVED2_AT, "R-SB-FIELDS",
				"reserved superblock bytes 140-143 are not zero");
	if (!generator_ok(buf + FRC_SB_GENERATOR_AT))
		return frc_fail(e, FRC_E_BAD_FIELD, path, at + FRC_SB_GENERATOR_AT, "R-SB-FIELDS",
				"generator is not NUL-padded UTF-8");
	return FRC_OK;
}

int frc_sb_decode(const uint8_t *buf, uint64_t at, struct frc_sb *sb,
		  bool *empty, struct frc_err *e, const char *path)
{
	memset(sb, 0, sizeof(*sb));
	/* An empty slot (all zero) fails the magic check like any copy that
	 * is not intact; the caller tells the two apart by *empty
	 * (R-SEL-NONE: both empty, or the other copy's failure reported). */
	*empty = frc_all_zero(buf, FRC_SLOT_SIZE);
	/* SPEC "Layout": magic. */
	if (memcmp(buf + FRC_SB_MAGIC_AT, FRC_SB_MAGIC, 8) != 0)
		return frc_fail(e, FRC_E_BAD_FIELD, path, at, "R-SB-FIELDS",
				"superblock magic is not \"FRCSUPER\"");
	sb->major = frc_get16(buf + FRC_SB_MAJOR_AT);
	sb->minor = frc_get16(buf + FRC_SB_MINOR_AT);
	sb->header_length = frc_get32(buf + FRC_SB_HEADER_LENGTH_AT);
	/* SPEC "Layout": header_length is a multiple of 8 in 256..4096. */
	if (sb->header_length % 8 || sb->header_length < FRC_SB_V1_LENGTH ||
	    sb->header_length > FRC_SB_MAX_LENGTH)
		return frc_fail(e, FRC_E_BAD_FIELD, path, at + FRC_SB_HEADER_LENGTH_AT, "R-SB-FIELDS",
				"header_length %u is not a multiple of 8 "
				"between 256 and 4096", sb->header_length);
	/*
	 * SPEC "Choosing the current copy": a copy whose checksum fails does
	 * not exist.
	 */
	if (!frc_table_check(buf, sb->header_length, 0))
		return frc_fail(e, FRC_E_CHECKSUM, path,
				at + sb->header_length - 8, "R-SEL-NONE",
				"superblock checksum mismatch");
	/*
	 * SPEC "Choosing the current copy": an intact copy takes part in the
	 * choice by its sequence.
	 */
	sb->intact = true;
	sb->sequence = frc_get64(buf + FRC_SB_SEQUENCE_AT);
	/*
	 * SPEC "Version numbers": a reader refuses a major version it does not
	 * know.
	 */
	if (sb->major != FRC_FORMAT_VERSION_MAJOR)
		return frc_fail(e, FRC_E_UNSUPPORTED_VERSION, path, at + FRC_SB_MAJOR_AT,
				"R-MAJOR",
				"format version %u.%u is not supported (this "
				"reader knows major version %u)",
				sb->major, sb->minor, FRC_FORMAT_VERSION_MAJOR);
	return decode_v1(buf, at, sb, e, path);
}
