/*
 * sections.c - the section table and the metadata section (SPEC "Sections").
 *
 * Section table: section_count entries, then an 8-byte checksum trailer.
 * Each entry is 40 fixed bytes and the name, zero-padded to a multiple of 8:
 *
 *   off  size  field
 *     0     4  type (SPEC registry "Section types"; 0 is invalid)
 *     4     4  flags: bit 0 must-understand; other bits written 0, ignored
 *     8     8  offset of the section's bytes (0 when length is 0)
 *    16     8  length in bytes
 *    24     8  checksum: XXH3-64 of the bytes, seed key("FRC-SECT", i, type)
 *    32     2  name_length (0..255)
 *    34     6  reserved, zero (reader rejects non-zero)
 *    40     n  name: UTF-8, no NUL, then zero padding to a multiple of 8
 *
 * Metadata section body (type 2, SPEC "Metadata section (type 2)"): a sequence
 * of items, each
 *   key_length u16 (1..255) | value_length u32 | key | value
 * with keys of [a-z0-9._-] starting with a letter or digit, unique, and
 * values UTF-8 without NUL; the items fill the section exactly.
 */
#include <stdlib.h>
#include <string.h>

#include "frc_internal.h"

uint64_t frc_section_entry_size(uint32_t name_length)
{
	return FRC_SECTION_ENTRY_FIXED + frc_align_up(name_length, 8);
}

bool frc_section_type_known(uint32_t type)
{
	return type == FRC_SECTION_DEVICE_STATE || type == FRC_SECTION_METADATA ||
	       type == FRC_SECTION_DIGESTS || type == FRC_SECTION_SIGNATURE ||
	       type == FRC_SECTION_QEMU;
}

void frc_section_encode(const struct frc_section *s, uint8_t *p)
{
	memset(p, 0, frc_section_entry_size(s->name_length));
	frc_put32(p + FRC_SE_TYPE_AT, s->type);
	frc_put32(p + FRC_SE_FLAGS_AT, s->flags);
	frc_put64(p + FRC_SE_OFFSET_AT, s->offset);
	frc_put64(p + FRC_SE_LENGTH_AT, s->length);
	frc_put64(p + FRC_SE_CHECKSUM_AT, s->checksum);
	frc_put16(p + FRC_SE_NAME_LENGTH_AT, (uint16_t)s->name_length);
	if (s->name_length)
		memcpy(p + FRC_SECTION_ENTRY_FIXED, s->name, s->name_length);
}

static int decode_entry(const uint8_t *table, uint32_t end, uint32_t pos,
			uint64_t at, struct frc_section *s, struct frc_err *e,
			const char *path)
{
	const uint8_t *p = table + pos;
	uint64_t size;

	/* SPEC "Section table": the entries fill the table exactly. */
	if (end - pos < FRC_SECTION_ENTRY_FIXED)
		return frc_fail(e, FRC_E_BAD_FIELD, path, at, "R-ST-FILL",
				"section table ends inside an entry");
	s->type = frc_get32(p);
	s->flags = frc_get32(p + FRC_SE_FLAGS_AT);
	s->offset = frc_get64(p + FRC_SE_OFFSET_AT);
	s->length = frc_get64(p + FRC_SE_LENGTH_AT);
	s->checksum = frc_get64(p + FRC_SE_CHECKSUM_AT);
	s->name_length = frc_get16(p + FRC_SE_NAME_LENGTH_AT);
	size = frc_section_entry_size(s->name_length);
	if (end - pos < size)
		return frc_fail(e, FRC_E_BAD_FIELD, path, at, "R-ST-FILL",
				"section table ends inside an entry");
	/* SPEC "Section table": type 0 is never valid. */
	if (s->type == 0)
		return frc_fail(e, FRC_E_BAD_FIELD, path, at, "R-ST-FILL",
				"section type is 0");
	/* SPEC "Section table": reserved bytes and name padding are zero. */
	if (!frc_all_zero(p + FRC_SE_RESERVED_AT, 6) ||
	    !frc_all_zero(p + FRC_SECTION_ENTRY_FIXED + s->name_length,
			  size - FRC_SECTION_ENTRY_FIXED - s->name_length))
		return frc_fail(e, FRC_E_BAD_FIELD, path, at + FRC_SE_RESERVED_AT, "R-ST-FILL",
				"reserved bytes or name padding of a section "
				"entry are not zero");
	if (s->name_length > FRC_ID_MAX ||
	    !frc_utf8_valid(p + FRC_SECTION_ENTRY_FIXED, s->name_length))
		return frc_fail(e, FRC_E_BAD_FIELD, path,
				at + FRC_SECTION_ENTRY_FIXED, "R-ST-FILL",
				"section name is not valid UTF-8 (or has NUL)");
	/* SPEC "Limits": a section is at most 2^40 bytes. */
	if (s->length > FRC_SECTION_LENGTH_MAX)
		return frc_fail(e, FRC_E_LIMIT, path, at + FRC_SE_LENGTH_AT, "R-LIMITS",
				"section length %llu exceeds 2^40",
				(unsigned long long)s->length);
	/* SPEC "Section table": an empty section has offset 0. */
	if (s->length == 0 && s->offset != 0)
		return frc_fail(e, FRC_E_BAD_FIELD, path, at + FRC_SE_OFFSET_AT, "R-ST-FILL",
				"empty section has a non-zero offset");
	s->name = strndup((const char *)p + FRC_SECTION_ENTRY_FIXED,
			  s->name_length);
	if (!s->name)
		return frc_fail_plain(e, FRC_E_NOMEM, "out of memory");
	return FRC_OK;
}

int frc_sections_decode(const uint8_t *table, uint32_t length, uint32_t count,
			uint64_t table_offset, struct frc_section **out,
			struct frc_err *e, const char *path)
{
	struct frc_section *s = calloc(count ? count : 1, sizeof(*s));
	uint32_t end = length - FRC_TRAILER, pos = 0;
	int rc = FRC_OK;

	if (!s)
		return frc_fail_plain(e, FRC_E_NOMEM, "out of memory");
	for (uint32_t i = 0; i < count && rc == FRC_OK; i++) {
		rc = decode_entry(table, end, pos, table_offset + pos, &s[i], e,
				  path);
		pos += (uint32_t)frc_section_entry_size(s[i].name_length);
	}
	if (rc == FRC_OK && pos != end)
		rc = frc_fail(e, FRC_E_BAD_FIELD, path, table_offset + pos,
			      "R-ST-FILL",
			      "section table has %u bytes after its %u entries",
			      end - pos, count);
	if (rc) {
		frc_sections_free(s, count);
		return rc;
	}
	*out = s;
	return FRC_OK;
}

void frc_sections_free(struct frc_section *s, uint32_t count)
{
	if (!s)
		return;
	for (uint32_t i = 0; i < count; i++)
		free(s[i].name);
	free(s);
}

/*
 * SPEC "Metadata section (type 2)": keys are 1..255 bytes of [a-z0-9._-], first
 * a letter/digit.
 */
int frc_meta_key_check(const char *key, size_t len)
{
	if (len < 1 || len > FRC_META_KEY_MAX)
		return FRC_E_BAD_FIELD;
	for (size_t i = 0; i < len; i++) {
		char c = key[i];
		bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');

		if (!alnum && (i == 0 || (c != '.' && c != '_' && c != '-')))
			return FRC_E_BAD_FIELD;
	}
	return FRC_OK;
}

int frc_meta_encode(const struct frc_meta *items, uint32_t count,
		    uint8_t **out, uint64_t *len)
{
	uint64_t total = 0, pos = 0;
	uint8_t *buf;

	for (uint32_t i = 0; i < count; i++)
		total += FRC_MI_KEY_AT + strlen(items[i].key) +
			 strlen(items[i].value);
	buf = malloc(total ? total : 1);
	if (!buf)
		return FRC_E_NOMEM;
	for (uint32_t i = 0; i < count; i++) {
		size_t kl = strlen(items[i].key), vl = strlen(items[i].value);

		frc_put16(buf + pos + FRC_MI_KEY_LENGTH_AT, (uint16_t)kl);
		frc_put32(buf + pos + FRC_MI_VALUE_LENGTH_AT, (uint32_t)vl);
		memcpy(buf + pos + FRC_MI_KEY_AT, items[i].key, kl);
		memcpy(buf + pos + FRC_MI_KEY_AT + kl, items[i].value, vl);
		pos += FRC_MI_KEY_AT + kl + vl;
	}
	*out = buf;
	*len = total;
	return FRC_OK;
}

static int meta_item(const uint8_t *p, uint64_t len, uint64_t *pos,
		     uint64_t base, struct frc_meta *m, struct frc_err *e,
		     const char *path)
{
	uint64_t at = base + *pos, kl, vl;

	/* SPEC "Metadata section (type 2)": items fill the section exactly. */
	if (len - *pos < FRC_MI_KEY_AT)
		return frc_fail(e, FRC_E_BAD_FIELD, path, at, "R-META",
				"metadata item header runs past the section");
	kl = frc_get16(p + *pos + FRC_MI_KEY_LENGTH_AT);
	vl = frc_get32(p + *pos + FRC_MI_VALUE_LENGTH_AT);
	if (len - *pos - FRC_MI_KEY_AT < kl + vl)
		return frc_fail(e, FRC_E_BAD_FIELD, path, at, "R-META",
				"metadata item runs past the section");
	if (frc_meta_key_check((const char *)p + *pos + FRC_MI_KEY_AT, kl))
		return frc_fail(e, FRC_E_BAD_FIELD, path, at + FRC_MI_KEY_AT, "R-META",
				"metadata key is not 1-255 bytes of "
				"[a-z0-9._-]");
	if (!frc_utf8_valid(p + *pos + FRC_MI_KEY_AT + kl, vl))
		return frc_fail(e, FRC_E_BAD_FIELD, path,
				at + FRC_MI_KEY_AT + kl, "R-META",
				"metadata value is not valid UTF-8 (or has "
				"NUL)");
	m->key = strndup((const char *)p + *pos + FRC_MI_KEY_AT, kl);
	m->value = strndup((const char *)p + *pos + FRC_MI_KEY_AT + kl, vl);
	*pos += FRC_MI_KEY_AT + kl + vl;
	if (!m->key || !m->value)
		return frc_fail_plain(e, FRC_E_NOMEM, "out of memory");
	return FRC_OK;
}

static int cmp_key(const void *a, const void *b)
{
	const struct frc_meta *const *x = a, *const *y = b;

	return strcmp((*x)->key, (*y)->key);
}

/*
 * SPEC "Metadata section (type 2)": keys are unique. Sorting keeps this O(n log
 * n).
 */
static int check_unique_keys(struct frc_meta *m, uint32_t n, uint64_t base,
			     struct frc_err *e, const char *path)
{
	struct frc_meta **v = malloc((n ? n : 1) * sizeof(*v));
	int rc = FRC_OK;

	if (!v)
		return frc_fail_plain(e, FRC_E_NOMEM, "out of memory");
	for (uint32_t i = 0; i < n; i++)
		v[i] = &m[i];
	qsort(v, n, sizeof(*v), cmp_key);
	for (uint32_t i = 1; i < n && rc == FRC_OK; i++)
		if (strcmp(v[i - 1]->key, v[i]->key) == 0)
			rc = frc_fail(e, FRC_E_BAD_FIELD, path, base, "R-META",
				      "metadata key '%s' appears twice",
				      v[i]->key);
	free(v);
	return rc;
}

int frc_meta_decode(const uint8_t *p, uint64_t len, uint64_t base,
		    struct frc_meta **out, uint32_t *count, struct frc_err *e,
		    const char *path)
{
	/* Each item takes at least 7 bytes, which bounds the allocation. */
	uint64_t cap = len / 7 + 1, pos = 0;
	struct frc_meta *m = calloc(cap, sizeof(*m));
	uint32_t n = 0;
	int rc = FRC_OK;

	if (!m)
		return frc_fail_plain(e, FRC_E_NOMEM, "out of memory");
	while (rc == FRC_OK && pos < len)
		rc = meta_item(p, len, &pos, base, &m[n++], e, path);
	if (rc == FRC_OK)
		rc = check_unique_keys(m, n, base, e, path);
	if (rc) {
		frc_meta_free(m, n);
		return rc;
	}
	*out = m;
	*count = n;
	return FRC_OK;
}

void frc_meta_free(struct frc_meta *m, uint32_t count)
{
	if (!m)
		return;
	for (uint32_t i = 0; i < count; i++) {
		free(m[i].key);
		free(m[i].value);
	}
	free(m);
}
