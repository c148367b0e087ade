/*
 * utf8.c - strict UTF-8 validation for region ids, section names and
 * metadata (SPEC "Region table": well-formed UTF-8 as defined by RFC 3629, no
 * NUL).
 */
#include "frc_internal.h"

/* Length of the sequence started by lead byte c, 0 if c cannot start one. */
static unsigned seq_length(uint8_t c)
{
	if (c >= 0x01 && c <= 0x7f)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		return 2;
	if (c >= 0xe0 && c <= 0xef)
		return 3;
	if (c >= 0xf0 && c <= 0xf4)
		return 4;
	return 0; /* NUL, continuation bytes, overlong leads, > U+10FFFF */
}

/* Range of the second byte, which excludes overlongs and surrogates. */
static bool second_ok(uint8_t lead, uint8_t c)
{
	if (lead == 0xe0)
		return c >= 0xa0 && c <= 0xbf;
	if (lead == 0xed)
		return c >= 0x80 && c <= 0x9f;
	if (lead == 0xf0)
		return c >= 0x90 && c <= 0xbf;
	if (lead == 0xf4)
		return c >= 0x80 && c <= 0x8f;
	return c >= 0x80 && c <= 0xbf;
}

bool frc_utf8_valid(const uint8_t *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned len = seq_length(s[i]);

		if (len == 0 || len > n - i)
			return false;
		if (len > 1 && !second_ok(s[i], s[i + 1]))
			return false;
		for (unsigned k = 2; k < len; k++)
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
		i += len;
	}
	return true;
}
