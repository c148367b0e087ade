/*
 * wsections.c - sections, written or streamed into the file at once, and
 * the metadata items (SPEC "Sections", R-META).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libgen.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/random.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "writer_internal.h"

/*
 * Sections are streamed: begin, any number of appends, end. Their bytes go
 * to the file at once (in the area after the page areas), so a section of
 * any size needs no memory beyond the caller's chunk.
 */
FRC_API int frc_writer_section_begin(frc_writer_t *w, uint32_t type,
				     uint32_t flags, const char *name)
{
	struct frc_section *grown, *s;
	size_t nl = name ? strlen(name) : 0;
	int rc;

	if (!w)
		return misuse(w, "-");
	if (type == 0)
		return misuse(w, "section type 0 is reserved (SPEC R-ST-FILL)");
	if ((type == FRC_SECTION_DIGESTS || type == FRC_SECTION_BASE) &&
	    !w->dg_commit)
		return misuse(w, "sections of type %u are written by the "
				 "library (frc_writer_options_t.digest, "
				 "frc_writer_set_base())", type);
	if (type == FRC_SECTION_SIGNATURE && !w->digest)
		return misuse(w, "a signature (type 5) needs content digests "
				 "(frc_writer_options_t.digest)");
	if (w->sec_open)
		return misuse(w, "a section is already open");
	if (nl > FRC_ID_MAX || !frc_utf8_valid((const uint8_t *)name, nl))
		return misuse(w, "section name must be up to 255 bytes of "
				 "UTF-8 (SPEC R-ST-FILL)");
	if (w->nsections >= FRC_SECTIONS_MAX)
		return frc_fail_plain(FRC_ERR(w), FRC_E_LIMIT,
				      "%s: more than %u sections (SPEC R-LIMITS)",
				      w->path, FRC_SECTIONS_MAX);
	rc = frc_w_start(w, __func__);
	if (rc)
		return rc;
	grown = realloc(w->sections, (w->nsections + 1) * sizeof(*grown));
	if (!grown)
		return frc_fail_plain(FRC_ERR(w), FRC_E_NOMEM, "out of memory");
	w->sections = grown;
	s = &w->sections[w->nsections];
	memset(s, 0, sizeof(*s));
	s->name = strndup(name ? name : "", nl);
	w->sec_hash = frc_stream_new(frc_key(w->sb.uuid, FRC_KEY_SECTION,
					     w->nsections, type));
	if (!s->name || !w->sec_hash) {
		free(s->name);
		frc_stream_free(w->sec_hash);
		w->sec_hash = NULL;
		return frc_fail_plain(FRC_ERR(w), FRC_E_NOMEM, "out of memory");
	}
	s->type = type;
	s->flags = flags;
	s->name_length = (uint32_t)nl;
	s->offset = w->cursor;
	w->sec_open = 1;
	return FRC_OK;
}

FRC_API int frc_writer_section_append(frc_writer_t *w, const void *data,
				      size_t length)
{
	struct frc_section *s;
	int err;

	if (!w || (!data && length))
		return misuse(w, "data is NULL");
	if (!w->sec_open)
		return misuse(w, "no section is open");
	s = &w->sections[w->nsections];
	if (length > FRC_SECTION_LENGTH_MAX - s->length)
		return frc_fail_plain(FRC_ERR(w), FRC_E_LIMIT,
				      "%s: a section is at most 2^40 bytes "
				      "(SPEC R-LIMITS)", w->path);
	err = frc_pwrite_full(w->fd, data, length, s->offset + s->length);
	if (err)
		return io_fail(w, "cannot write section", err);
	frc_stream_update(w->sec_hash, data, length);
	s->length += length;
	return FRC_OK;
}

FRC_API int frc_writer_section_end(frc_writer_t *w)
{
	struct frc_section *s;

	if (!w)
		return misuse(w, "-");
	if (!w->sec_open)
		return misuse(w, "no section is open");
	s = &w->sections[w->nsections];
	s->checksum = frc_stream_digest(w->sec_hash);
	frc_stream_free(w->sec_hash);
	w->sec_hash = NULL;
	w->sec_open = 0;
	if (!s->length)
		s->offset = 0; /* SPEC "Section table": an empty section has offset 0 */
	w->nsections++;
	w->cursor = frc_align_up(w->cursor + s->length, 8);
	return FRC_OK;
}

/* Ends an open section without keeping it (after a failed append). */
void frc_w_section_drop(frc_writer_t *w)
{
	if (!w->sec_open)
		return;
	free(w->sections[w->nsections].name);
	frc_stream_free(w->sec_hash);
	w->sec_hash = NULL;
	w->sec_open = 0;
}

FRC_API int frc_writer_add_section(frc_writer_t *w, uint32_t type,
				   uint32_t flags, const char *name,
				   const void *data, uint64_t length)
{
	int rc;

	if (!w || (!data && length))
		return misuse(w, "data is NULL");
	if (length > FRC_SECTION_LENGTH_MAX)
		return frc_fail_plain(FRC_ERR(w), FRC_E_LIMIT,
				      "%s: a section is at most 2^40 bytes "
				      "(SPEC R-LIMITS)", w->path);
	if (length > SIZE_MAX)
		return misuse(w, "section too large for this machine");
	rc = frc_writer_section_begin(w, type, flags, name);
	if (rc == FRC_OK)
		rc = frc_writer_section_append(w, data, (size_t)length);
	if (rc == FRC_OK)
		return frc_writer_section_end(w);
	frc_w_section_drop(w);
	return rc;
}

FRC_API int frc_writer_set_metadata(frc_writer_t *w, const char *key,
				    const char *value)
{
	struct frc_meta *grown;
	char *k, *v;

	if (!w || !key || !value)
		return misuse(w, "key or value is NULL");
	if (w->state != W_OPEN && w->state != W_STARTED)
		return misuse(w, "writer is not open");
	if (frc_meta_key_check(key, strlen(key)))
		return misuse(w, "metadata keys are 1-255 bytes of [a-z0-9._-] "
				 "starting with a letter or digit (SPEC R-META-KEYS)");
	if (strlen(value) > FRC_METADATA_MAX ||
	    !frc_utf8_valid((const uint8_t *)value, strlen(value)))
		return misuse(w, "metadata value must be UTF-8 (SPEC R-META)");
	for (uint32_t i = 0; i < w->nmeta; i++) {
		if (strcmp(w->meta[i].key, key) == 0) {
			v = strdup(value);
			if (!v)
				return frc_fail_plain(FRC_ERR(w), FRC_E_NOMEM,
						      "out of memory");
			free(w->meta[i].value);
			w->meta[i].value = v;
			return FRC_OK;
		}
	}
	grown = realloc(w->meta, (w->nmeta + 1) * sizeof(*grown));
	if (!grown)
		return frc_fail_plain(FRC_ERR(w), FRC_E_NOMEM, "out of memory");
	w->meta = grown;
	k = strdup(key);
	v = strdup(value);
	if (!k || !v) {
		free(k);
		free(v);
		return frc_fail_plain(FRC_ERR(w), FRC_E_NOMEM, "out of memory");
	}
	w->meta[w->nmeta].key = k;
	w->meta[w->nmeta].value = v;
	w->nmeta++;
	return FRC_OK;
}

/* Encodes the collected metadata as the metadata section (SPEC "Metadata section (type 2)"). */
int frc_w_flush_metadata(frc_writer_t *w)
{
	uint8_t *body;
	uint64_t len;
	int rc;

	if (!w->nmeta)
		return FRC_OK;
	if (frc_meta_encode(w->meta, w->nmeta, &body, &len))
		return frc_fail_plain(FRC_ERR(w), FRC_E_NOMEM, "out of memory");
	if (len > FRC_METADATA_MAX)
		rc = frc_fail_plain(FRC_ERR(w), FRC_E_LIMIT,
				    "%s: metadata exceeds 1 MiB (SPEC R-LIMITS)",
				    w->path);
	else
		rc = frc_writer_add_section(w, FRC_SECTION_METADATA, 0, NULL,
					    body, len);
	free(body);
	return rc;
}
