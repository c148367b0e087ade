/*
 * features.c - feature bits and the feature-name table (SPEC "Features",
 * "Feature-name table").
 *
 * Feature-name table: n entries of 48 bytes, then the checksum trailer.
 *
 *   off  size  field
 *     0     1  kind: 0 incompatible, 1 read-only compatible, 2 compatible
 *     1     1  bit number (0..63)
 *     2     6  reserved, zero (reader rejects non-zero)
 *     8    40  name: 1..40 bytes of UTF-8, NUL-padded
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frc_internal.h"

struct builtin_feature {
	uint8_t kind, bit;
	const char *name;
};

/* The registry "Feature bits" of the SPEC as far as this library knows it. */
static const struct builtin_feature builtin[] = {
	{ 0, 0, "incomplete" },
	{ 0, 2, "compressed-frames" },
	{ 0, 3, "base-snapshot" },
	{ 1, 1, "content-digests" },
};

#define BUILTIN_COUNT (sizeof(builtin) / sizeof(builtin[0]))

const char *frc_feature_builtin_name(int kind, unsigned bit)
{
	for (size_t i = 0; i < BUILTIN_COUNT; i++)
		if (builtin[i].kind == kind && builtin[i].bit == bit)
			return builtin[i].name;
	return NULL;
}

uint32_t frc_features_builtin_count(void)
{
	return BUILTIN_COUNT;
}

void frc_features_encode_builtin(uint8_t *table)
{
	memset(table, 0, BUILTIN_COUNT * FRC_FEATURE_ENTRY_SIZE);
	for (size_t i = 0; i < BUILTIN_COUNT; i++) {
		uint8_t *p = table + i * FRC_FEATURE_ENTRY_SIZE;

		p[FRC_FE_KIND_AT] = builtin[i].kind;
		p[FRC_FE_BIT_AT] = builtin[i].bit;
		memcpy(p + FRC_FE_NAME_AT, builtin[i].name, strlen(builtin[i].name));
	}
}

static int decode_entry(const uint8_t *p, uint64_t at,
			struct frc_feature_name *f, struct frc_err *e,
			const char *path)
{
	size_t n = strnlen((const char *)p + FRC_FE_NAME_AT, FRC_FEATURE_NAME_SIZE);

	/*
	 * SPEC "Feature-name table": kind 0..2, bit 0..63, reserved zero, name
	 * NUL-padded.
	 */
	if (p[FRC_FE_KIND_AT] > 2 || p[FRC_FE_BIT_AT] > 63)
		return frc_fail(e, FRC_E_BAD_FIELD, path, at, "R-FT",
				"feature-name entry has kind %u bit %u",
				p[FRC_FE_KIND_AT], p[FRC_FE_BIT_AT]);
	if (!frc_all_zero(p + FRC_FE_RESERVED_AT, 6))
		return frc_fail(e, FRC_E_BAD_FIELD, path, at + FRC_FE_RESERVED_AT, "R-FT",
				"reserved bytes of a feature-name entry are "
				"not zero");
	if (n == 0 || !frc_utf8_valid(p + FRC_FE_NAME_AT, n) ||
	    !frc_all_zero(p + FRC_FE_NAME_AT + n, FRC_FEATURE_NAME_SIZE - n))
		return frc_fail(e, FRC_E_BAD_FIELD, path, at + FRC_FE_NAME_AT, "R-FT",
				"feature name is not 1-40 bytes of NUL-padded "
				"UTF-8");
	f->kind = p[FRC_FE_KIND_AT];
	f->bit = p[FRC_FE_BIT_AT];
	memcpy(f->name, p + FRC_FE_NAME_AT, n);
	f->name[n] = '\0';
	return FRC_OK;
}

int frc_features_decode(const uint8_t *table, uint32_t length,
			uint64_t offset, struct frc_feature_name **out,
			uint32_t *count, struct frc_err *e, const char *path)
{
	uint32_t n = (length - FRC_TRAILER) / FRC_FEATURE_ENTRY_SIZE;
	struct frc_feature_name *f = calloc(n ? n : 1, sizeof(*f));

	if (!f)
		return frc_fail_plain(e, FRC_E_NOMEM, "out of memory");
	for (uint32_t i = 0; i < n; i++) {
		uint64_t at = offset + (uint64_t)i * FRC_FEATURE_ENTRY_SIZE;
		int rc = decode_entry(table + i * FRC_FEATURE_ENTRY_SIZE, at,
				      &f[i], e, path);

		if (rc) {
			free(f);
			return rc;
		}
	}
	*out = f;
	*count = n;
	return FRC_OK;
}

const char *frc_feature_lookup(const struct frc_feature_name *names,
			       uint32_t count, int kind, unsigned bit)
{
	const char *name = frc_feature_builtin_name(kind, bit);

	for (uint32_t i = 0; !name && i < count; i++)
		if (names[i].kind == kind && names[i].bit == bit)
			name = names[i].name;
	return name;
}

/* "name, name, bit 17" for the bits of mask, into buf. */
void frc_features_describe(const struct frc_feature_name *names,
			   uint32_t count, int kind, uint64_t mask, char *buf,
			   size_t size)
{
	size_t used = 0;

	buf[0] = '\0';
	for (unsigned bit = 0; bit < 64 && used < size; bit++) {
		const char *name;
		int n;

		if (!(mask & (UINT64_C(1) << bit)))
			continue;
		name = frc_feature_lookup(names, count, kind, bit);
		if (name)
			n = snprintf(buf + used, size - used, "%s%s (bit %u)",
				     used ? ", " : "", name, bit);
		else
			n = snprintf(buf + used, size - used, "%sbit %u",
				     used ? ", " : "", bit);
		if (n < 0)
			break;
		used += (size_t)n;
	}
}
