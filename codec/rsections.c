/*
 * rsections.c - reading sections, verified (SPEC "Sections"): whole, or
 * streamed a piece at a time.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "reader_internal.h"

/* The caller's reader and section, checked. */
static int section_arg(const frc_reader_t *r, uint32_t section,
		       const char *func)
{
	int rc = frc_reader_usable(r, func);

	if (rc)
		return rc;
	if (section >= r->nsections)
		return frc_misuse(r, func, "%s: no section %u (the file has %u)",
				  r->path, section, r->nsections);
	return FRC_OK;
}

/*
 * Streams a section through XXH3 and compares with its entry ("Section table").
 */
int frc_r_scan_section(frc_reader_t *r, uint32_t idx, uint8_t *dst,
			struct frc_progress *sc, struct report *rep)
{
	struct frc_section *s = &r->sections[idx];
	struct frc_stream_hash *h = frc_stream_new(
		frc_key(r->sb.uuid, FRC_KEY_SECTION, idx, s->type));
	uint8_t *scratch = dst ? NULL : malloc(TABLE_CHUNK);
	int rc = FRC_OK;
	struct frc_sha *d = frc_r_dg_section_begin(r, idx, &rc);

	if (rc)
		goto out;
	if (!h || (!dst && !scratch)) {
		rc = frc_r_fail(r, FRC_E_NOMEM, 0, NULL, "out of memory");
		goto out;
	}
	for (uint64_t i = 0; i < s->length && !rc;) {
		uint64_t n = s->length - i < TABLE_CHUNK ? s->length - i
							 : TABLE_CHUNK;
		uint8_t *p = dst ? dst + i : scratch;

		rc = frc_r_read(r, p, n, s->offset + i, "section");
		if (rc == FRC_E_IO) {
			rc = frc_r_report(r, rep, rc, -1, -1, idx, s->offset + i);
			goto out; /* this section cannot be verified */
		}
		if (!rc) {
			frc_stream_update(h, p, n);
			if (d)
				frc_sha_update(d, p, n);
			rc = frc_r_scan_progress(r, sc, n);
		}
		i += n;
	}
	if (!rc && !FRC_CSUM_OK(s->checksum, frc_stream_digest(h))) {
		rc = frc_r_fail(r, FRC_E_CHECKSUM, s->offset, "R-CSUM",
			  "checksum mismatch in section %u (type %u)", idx,
			  s->type);
		rc = frc_r_report(r, rep, rc, -1, -1, idx, s->offset);
	} else if (!rc && (rc = frc_r_dg_section_end(r, idx, d))) {
		rc = frc_r_report(r, rep, rc, -1, -1, idx, s->offset);
	}
out:
	frc_sha_free(d);
	frc_stream_free(h);
	free(scratch);
	return rc;
}

FRC_API int frc_reader_read_section(frc_reader_t *r, uint32_t section,
				    void *buf, uint64_t buf_size)
{
	struct frc_progress sc = { NULL, NULL, 0, 0 };

	int rc = section_arg(r, section, __func__);

	if (rc)
		return rc;
	if (!buf && r->sections[section].length)
		return FRC_MISUSE(r, "the buffer is NULL");
	if (buf_size < r->sections[section].length)
		return FRC_MISUSE(r, "a buffer of %llu bytes cannot hold "
				  "section %u (%llu bytes)",
				  (unsigned long long)buf_size, section,
				  (unsigned long long)
					  r->sections[section].length);
	return frc_r_scan_section(r, section, buf, &sc, NULL);
}

FRC_API int frc_reader_read_section_stream(frc_reader_t *r, uint32_t section,
					   frc_data_fn fn, void *ctx)
{
	struct frc_section *s;
	struct frc_stream_hash *h;
	struct frc_sha *d;
	uint8_t *buf;
	int rc = FRC_OK;

	if ((rc = section_arg(r, section, __func__)))
		return rc;
	if (!fn)
		return FRC_MISUSE(r, "fn is NULL");
	s = &r->sections[section];
	d = frc_r_dg_section_begin(r, section, &rc);
	if (rc)
		return rc;
	h = frc_stream_new(frc_key(r->sb.uuid, FRC_KEY_SECTION, section,
				   s->type));
	buf = malloc(TABLE_CHUNK);
	if (!h || !buf) {
		rc = frc_r_fail(r, FRC_E_NOMEM, 0, NULL, "out of memory");
		goto out;
	}
	for (uint64_t i = 0; i < s->length && !rc;) {
		uint64_t n = s->length - i < TABLE_CHUNK ? s->length - i
							 : TABLE_CHUNK;

		rc = frc_r_read(r, buf, n, s->offset + i, "section");
		if (!rc) {
			frc_stream_update(h, buf, n);
			if (d)
				frc_sha_update(d, buf, n);
			if (fn(ctx, buf, (size_t)n, i))
				rc = frc_r_fail(r, FRC_E_CANCELED, s->offset + i,
					  NULL, "reading section %u stopped by "
					  "its consumer", section);
		}
		i += n;
	}
	if (!rc && !FRC_CSUM_OK(s->checksum, frc_stream_digest(h)))
		rc = frc_r_fail(r, FRC_E_CHECKSUM, s->offset, "R-CSUM",
			  "checksum mismatch in section %u (type %u): the "
			  "bytes passed on are not the section's",
			  section, s->type);
	else if (!rc)
		rc = frc_r_dg_section_end(r, section, d);
out:
	frc_sha_free(d);
	frc_stream_free(h);
	free(buf);
	return rc;
}
