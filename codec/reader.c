/*
 * reader.c - opening and validating an FRC file (SPEC "Reader"), and the
 * accessors for what it holds. Page data is handled in pages.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "reader_internal.h"

FRC_API frc_reader_t *frc_reader_new(void)
{
	frc_reader_t *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	frc_err_forget(r);
	r->fd = -1;
	r->dfd = -1;
	pthread_mutex_init(&r->lock, NULL);
	pthread_mutex_init(&r->dg_lock, NULL);
	r->dg_section = -1;
	r->base_section = -1;
	return r;
}

FRC_API const char *frc_reader_errmsg(const frc_reader_t *r)
{
	return frc_err_message(r);
}

int frc_reader_check_once(frc_reader_t *r, uint32_t idx, int *state,
			  int (*check)(frc_reader_t *, uint32_t), uint64_t at,
			  const char *rule, const char *what)
{
	int s, rc = FRC_OK;

	pthread_mutex_lock(&r->lock);
	s = *state;
	pthread_mutex_unlock(&r->lock);
	if (s == CSUM_UNCHECKED) {
		rc = check(r, idx);
		pthread_mutex_lock(&r->lock);
		*state = rc ? CSUM_BAD : CSUM_GOOD;
		pthread_mutex_unlock(&r->lock);
		return rc;
	}
	if (s == CSUM_BAD)
		rc = frc_fail(FRC_ERR(r), FRC_E_CHECKSUM, r->path, at, rule,
			      "%s of region '%s' failed verification", what,
			      r->regions[idx].r.id);
	return rc;
}

int frc_reader_region_arg(const frc_reader_t *r, uint32_t region,
			  struct rregion **out, const char *func)
{
	int rc = frc_reader_usable(r, func);

	*out = NULL;
	if (rc)
		return rc;
	if (region >= r->nregions)
		return frc_misuse(r, func, "%s: no region %u (the file has %u)",
				  r->path, region, r->nregions);
	*out = &r->regions[region];
	return FRC_OK;
}

int frc_reader_usable(const frc_reader_t *r, const char *func)
{
	if (!r)
		return frc_misuse(r, func, "the reader is NULL");
	if (!r->open_ok)
		return frc_misuse(r, func,
				  r->path ? "%s: the file did not open"
					  : "no file is open%s",
				  r->path ? r->path : "");
	return FRC_OK;
}

static void release(frc_reader_t *r)
{
	frc_r_dg_free(r);
	frc_r_base_free(r);
	for (uint32_t i = 0; i < r->nregions; i++)
		frc_bm_free(&r->regions[i]);
	if (r->regions) {
		for (uint32_t i = 0; i < r->nregions; i++)
			free(r->regions[i].r.id);
		free(r->regions);
	}
	frc_sections_free(r->sections, r->nsections);
	frc_meta_free(r->meta, r->nmeta);
	free(r->fnames);
	free(r->layout);
	if (r->fd >= 0)
		close(r->fd);
	if (r->dfd >= 0)
		close(r->dfd);
	free(r->path);
}

FRC_API void frc_reader_free(frc_reader_t *r)
{
	if (!r)
		return;
	frc_err_forget(r);
	frc_vmap_release_all(r);
	release(r);
	pthread_mutex_destroy(&r->lock);
	pthread_mutex_destroy(&r->dg_lock);
	free(r);
}

/*
 * The one way the reader reads its file: [off, off+len), known to lie
 * inside file_length, through dfd where the direct-I/O policy allows (io.c;
 * -1: never). A file that ends early (it shrank after it was opened) is
 * `truncated`, an error of the disk `io`, both naming the offset.
 */
int frc_r_read_via(frc_reader_t *r, int dfd, void *buf, size_t len,
		   uint64_t off, const char *what)
{
	int err = frc_pread_pages(dfd, r->fd, buf, len, off);

	if (err < 0)
		return frc_fail(FRC_ERR(r), FRC_E_TRUNCATED, r->path, off,
				"R-FILE-LENGTH", "file ends inside the %s", what);
	if (err)
		return frc_fail(FRC_ERR(r), FRC_E_IO, r->path, off, NULL,
				"cannot read the %s: %s", what, strerror(err));
	return FRC_OK;
}

/* Allocates and reads a structure of `len` bytes that lies in the file. */
static int read_struct(frc_reader_t *r, uint64_t off, uint64_t len,
		       const char *what, uint8_t **out)
{
	uint8_t *buf = malloc(len ? len : 1);
	int rc;

	if (!buf)
		return frc_fail_plain(FRC_ERR(r), FRC_E_NOMEM,
				      "%s: out of memory for the %s", r->path,
				      what);
	rc = frc_r_read(r, buf, len, off, what);
	if (rc) {
		free(buf);
		return rc;
	}
	*out = buf;
	return FRC_OK;
}

/* SPEC "Placement rules": every structure lies inside [0, file_length). */
int frc_r_check_extent(frc_reader_t *r, uint64_t off, uint64_t len,
		       uint64_t field_at, const char *what)
{
	uint64_t end;

	if (!frc_add_ok(off, len, &end) || end > r->sb.file_length)
		return frc_fail(FRC_ERR(r), FRC_E_OUT_OF_BOUNDS, r->path, field_at,
				"R-BOUNDS",
				"%s [0x%llx, +%llu) extends past file_length "
				"0x%llx", what, (unsigned long long)off,
				(unsigned long long)len,
				(unsigned long long)r->sb.file_length);
	return FRC_OK;
}

/*
 * SPEC "Signature": the signature, then enough bytes for both superblock slots.
 */
static int check_signature(frc_reader_t *r)
{
	uint8_t sig[FRC_SIGNATURE_SIZE];
	size_t n = r->size < sizeof(sig) ? (size_t)r->size : sizeof(sig);
	int err = frc_pread_full(r->fd, sig, n, 0);

	if (err > 0)
		return frc_fail_errno(FRC_ERR(r), r->path, "cannot read", err);
	if (memcmp(sig, frc_signature, n) != 0) {
		size_t at = 0;

		while (sig[at] == frc_signature[at])
			at++;
		return frc_fail(FRC_ERR(r), FRC_E_BAD_SIGNATURE, r->path, at,
				"R-SIG", "not an FRC file: signature byte %zu is "
				"0x%02x, expected 0x%02x", at, sig[at],
				frc_signature[at]);
	}
	/* R-SIG-SHORT: shorter than the signature and matching it so far;
	 * R-FIXED-SHORT: shorter than the fixed area */
	if (r->size < FRC_FIXED_AREA_END)
		return frc_fail(FRC_ERR(r), FRC_E_TRUNCATED, r->path, r->size,
				r->size < sizeof(sig) ? "R-SIG-SHORT"
						      : "R-FIXED-SHORT",
				"file is %llu bytes, shorter than the 12288 "
				"bytes of signature and superblocks",
				(unsigned long long)r->size);
	return FRC_OK;
}

/*
 * SPEC "Choosing the current copy": of the intact copies, the one with the
 * highest sequence is
 * current. Two intact copies with the same sequence must be identical.
 */
static int choose_superblock(frc_reader_t *r)
{
	uint8_t buf[2][FRC_SLOT_SIZE];
	struct frc_sb sb[2];
	struct frc_err e[2];
	int rc[2], pick;
	bool empty[2];
	uint64_t at[2] = { FRC_SLOT_A_OFFSET, FRC_SLOT_B_OFFSET };

	for (int i = 0; i < 2; i++) {
		int c = frc_r_read(r, buf[i], FRC_SLOT_SIZE, at[i],
				   "superblock");

		if (c == FRC_E_IO) {
			/* An unreadable copy is a damaged copy: the other
			 * one may still be whole (SPEC "Choosing the current
			 * copy"). */
			memset(&sb[i], 0, sizeof(sb[i]));
			memset(buf[i], 0, FRC_SLOT_SIZE);
			empty[i] = false;
			const char *why = FRC_ERR(r)->msg;

			e[i] = *FRC_ERR(r);
			snprintf(e[i].msg, sizeof(e[i].msg),
				 "%s: offset 0x%llx: superblock copy %c cannot "
				 "be read: %s", r->path,
				 (unsigned long long)at[i], "AB"[i],
				 strchr(why, ':') ? strrchr(why, ':') + 2 : "");
			rc[i] = c;
			continue;
		}
		if (c)
			return c;
		rc[i] = frc_sb_decode(buf[i], at[i], &sb[i], &empty[i], &e[i],
				      r->path);
	}
	if (!sb[0].intact && !sb[1].intact) {
		/* Report copy A's problem unless only B says something. */
		int i = empty[0] && !empty[1] ? 1 : 0;

		frc_err_adopt(r, &e[i]);
		if (empty[0] && empty[1])
			return frc_fail(FRC_ERR(r), FRC_E_BAD_FIELD, r->path,
					FRC_SLOT_A_OFFSET, "R-SEL-NONE",
					"both superblock copies are empty");
		return e[i].code;
	}
	if (sb[0].intact && sb[1].intact && sb[0].sequence == sb[1].sequence &&
	    memcmp(buf[0], buf[1], sb[0].header_length) != 0)
		return frc_fail(FRC_ERR(r), FRC_E_BAD_FIELD, r->path,
				FRC_SLOT_B_OFFSET + FRC_SB_SEQUENCE_AT, "R-SEL-SAMESEQ",
				"the superblock copies share sequence %llu "
				"but differ",
				(unsigned long long)sb[0].sequence);
	pick = !sb[0].intact ||
	       (sb[1].intact && sb[1].sequence > sb[0].sequence);
	r->slot_used = pick;
	r->other_slot = sb[!pick].intact ? 1 : empty[!pick] ? 0 : -1;
	r->other_err = sb[!pick].intact ? FRC_OK : rc[!pick];
	if (rc[pick]) {
		frc_err_adopt(r, &e[pick]);
		return rc[pick];
	}
	r->sb = sb[pick];
	return FRC_OK;
}

/*
 * R-PLACE-FIRST: a table inside the file is placed before it is read: it
 * overlaps neither the fixed area nor the tables validated before it (the
 * first `prior` of: fixed area, feature-name table, region table).
 */
static int place_table(frc_reader_t *r, uint64_t off, uint64_t len,
		       uint64_t field_at, const char *what, int prior)
{
	const struct {
		uint64_t off, len;
		const char *what;
	} before[3] = {
		{ 0, FRC_FIXED_AREA_END, "the fixed area" },
		{ r->sb.ft_offset, r->sb.ft_length, "the feature-name table" },
		{ r->sb.rt_offset, r->sb.rt_count ? r->sb.rt_length : 0,
		  "the region table" },
	};

	for (int i = 0; i < prior; i++)
		if (before[i].len && len && off < before[i].off + before[i].len &&
		    before[i].off < off + len)
			return frc_fail(FRC_ERR(r), FRC_E_OVERLAP, r->path, field_at,
					"R-OVERLAP, R-PLACE-FIRST", "%s at 0x%llx overlaps "
					"%s", what, (unsigned long long)off,
					before[i].what);
	return FRC_OK;
}

static int load_feature_names(frc_reader_t *r)
{
	uint64_t at = r->slot_used ? FRC_SLOT_B_OFFSET : FRC_SLOT_A_OFFSET;
	uint8_t *buf;
	int rc;

	if (r->sb.ft_offset == 0 && r->sb.ft_length == 0)
		return FRC_OK;
	/* SPEC "Feature-name table": 8 + 48 n bytes, n <= 192, 8-aligned. */
	if (r->sb.ft_length < FRC_TRAILER ||
	    (r->sb.ft_length - FRC_TRAILER) % FRC_FEATURE_ENTRY_SIZE ||
	    r->sb.ft_offset % 8)
		return frc_fail(FRC_ERR(r), FRC_E_BAD_FIELD, r->path, at + FRC_SB_FT_OFFSET_AT,
				"R-FT", "feature-name table offset 0x%llx or "
				"length %u is malformed",
				(unsigned long long)r->sb.ft_offset,
				r->sb.ft_length);
	if ((r->sb.ft_length - FRC_TRAILER) / FRC_FEATURE_ENTRY_SIZE >
	    FRC_FEATURES_MAX)
		return frc_fail(FRC_ERR(r), FRC_E_LIMIT, r->path, at + FRC_SB_FT_LENGTH_AT, "R-LIMITS",
				"feature-name table has more than 192 entries");
	rc = frc_r_check_extent(r, r->sb.ft_offset, r->sb.ft_length, at + FRC_SB_FT_OFFSET_AT,
				"feature-name table");
	if (rc == FRC_OK)
		rc = place_table(r, r->sb.ft_offset, r->sb.ft_length, at + FRC_SB_FT_OFFSET_AT,
				 "feature-name table", 1);
	if (rc == FRC_OK)
		rc = read_struct(r, r->sb.ft_offset, r->sb.ft_length,
				 "feature-name table", &buf);
	if (rc)
		return rc;
	/* SPEC "Table trailers": the table's trailer. */
	if (!frc_table_check(buf, r->sb.ft_length,
			     frc_key(r->sb.uuid, FRC_KEY_FEATURE_TABLE, 0, 0)))
		rc = frc_fail(FRC_ERR(r), FRC_E_CHECKSUM, r->path,
			      r->sb.ft_offset + r->sb.ft_length - 8, "R-CSUM",
			      "feature-name table checksum mismatch");
	else
		rc = frc_features_decode(buf, r->sb.ft_length, r->sb.ft_offset,
					 &r->fnames, &r->nfnames, FRC_ERR(r),
					 r->path);
	free(buf);
	return rc;
}

/* SPEC "Features": refuse unknown incompatible features, naming them. */
static int check_features(frc_reader_t *r)
{
	uint64_t at = r->slot_used ? FRC_SLOT_B_OFFSET : FRC_SLOT_A_OFFSET;
	uint64_t unknown = r->sb.incompat & ~FRC_INCOMPAT_KNOWN;
	char names[256];

	if (unknown) {
		frc_features_describe(r->fnames, r->nfnames, 0, unknown, names,
				      sizeof(names));
		return frc_fail(FRC_ERR(r), FRC_E_UNSUPPORTED_FEATURE, r->path,
				at + FRC_SB_INCOMPAT_AT, "R-INCOMPAT",
				"unsupported incompatible feature(s): %s",
				names);
	}
	/* SPEC "Algorithm": only algorithms the reader knows. */
	if (r->sb.csum_algo != FRC_CSUM_XXH3_64)
		return frc_fail(FRC_ERR(r), FRC_E_UNSUPPORTED_FEATURE, r->path,
				at + FRC_SB_CSUM_ALGO_AT, "R-ALGO",
				"unsupported checksum algorithm %u",
				r->sb.csum_algo);
	r->read_only = (r->sb.ro_compat & ~FRC_RO_COMPAT_KNOWN) != 0;
	r->complete = !(r->sb.incompat & FRC_INCOMPAT_INCOMPLETE);
	/*
	 * SPEC "Reading an incomplete file": an incomplete file is refused
	 * unless salvaging.
	 */
	if (!r->complete && !(r->flags & FRC_OPEN_SALVAGE))
		return frc_fail(FRC_ERR(r), FRC_E_INCOMPLETE, r->path, at + FRC_SB_INCOMPAT_AT,
				"R-INCOMPLETE",
				"the file is incomplete: its save was "
				"interrupted before commit");
	return FRC_OK;
}

/*
 * Common shape of the region and section tables (SPEC "Region table", "Section
 * table").
 */
static int load_table(frc_reader_t *r, uint64_t off, uint32_t len,
		      uint32_t count, uint32_t max_count, uint32_t max_entry,
		      uint64_t field_at, const char *what, const char *spec,
		      enum frc_key_tag tag, int prior, uint8_t **out)
{
	int rc;

	*out = NULL;
	if (count == 0) {
		if (off || len)
			return frc_fail(FRC_ERR(r), FRC_E_BAD_FIELD, r->path,
					field_at, "R-SB-FIELDS",
					"%s has no entries but an offset or "
					"length", what);
		return FRC_OK;
	}
	/* SPEC "Limits": count limits. */
	if (count > max_count)
		return frc_fail(FRC_ERR(r), FRC_E_LIMIT, r->path, field_at + (FRC_SB_RT_COUNT_AT - FRC_SB_RT_OFFSET_AT),
				"R-LIMITS", "%s has %u entries, more than %u", what,
				count, max_count);
	if (off % 8 || len % 8 || len < FRC_TRAILER ||
	    (uint64_t)len > (uint64_t)count * max_entry + FRC_TRAILER)
		return frc_fail(FRC_ERR(r), FRC_E_BAD_FIELD, r->path, field_at,
				spec, "%s offset 0x%llx or length %u is "
				"malformed", what, (unsigned long long)off,
				len);
	rc = frc_r_check_extent(r, off, len, field_at, what);
	if (rc == FRC_OK)
		rc = place_table(r, off, len, field_at, what, prior);
	if (rc == FRC_OK)
		rc = read_struct(r, off, len, what, out);
	if (rc)
		return rc;
	/* SPEC "Table trailers": every table ends with its checksum. */
	if (!frc_table_check(*out, len, frc_key(r->sb.uuid, tag, 0, 0))) {
		free(*out);
		*out = NULL;
		return frc_fail(FRC_ERR(r), FRC_E_CHECKSUM, r->path,
				off + len - 8, "R-CSUM", "%s checksum mismatch",
				what);
	}
	return FRC_OK;
}

static int load_regions(frc_reader_t *r)
{
	uint64_t at = (r->slot_used ? FRC_SLOT_B_OFFSET : FRC_SLOT_A_OFFSET) +
		      96;
	struct frc_region *rg = NULL;
	uint8_t *table;
	int rc;

	rc = load_table(r, r->sb.rt_offset, r->sb.rt_length, r->sb.rt_count,
			FRC_REGIONS_MAX,
			FRC_REGION_ENTRY_FIXED + 256, at, "region table",
			"R-RT-FILL", FRC_KEY_REGION_TABLE, 2, &table);
	if (rc || !table)
		return rc;
	rc = frc_regions_decode(table, r->sb.rt_length, r->sb.rt_count,
				r->sb.incompat, r->sb.rt_offset, &rg,
				FRC_ERR(r), r->path);
	free(table);
	if (rc)
		return rc;
	r->regions = calloc(r->sb.rt_count, sizeof(*r->regions));
	if (!r->regions) {
		frc_regions_free(rg, r->sb.rt_count);
		return frc_fail_plain(FRC_ERR(r), FRC_E_NOMEM, "out of memory");
	}
	for (uint32_t i = 0; i < r->sb.rt_count; i++)
		r->regions[i].r = rg[i]; /* ownership of ids moves */
	free(rg);
	r->nregions = r->sb.rt_count;
	return FRC_OK;
}

static int load_sections(frc_reader_t *r)
{
	uint64_t at = (r->slot_used ? FRC_SLOT_B_OFFSET : FRC_SLOT_A_OFFSET) +
		      112;
	uint8_t *table;
	int rc;

	rc = load_table(r, r->sb.st_offset, r->sb.st_length, r->sb.st_count,
			FRC_SECTIONS_MAX,
			FRC_SECTION_ENTRY_FIXED + 256, at, "section table",
			"R-ST-FILL", FRC_KEY_SECTION_TABLE, 3, &table);
	if (rc || !table)
		return rc;
	rc = frc_sections_decode(table, r->sb.st_length, r->sb.st_count,
				 r->sb.st_offset, &r->sections, FRC_ERR(r),
				 r->path);
	free(table);
	if (rc)
		return rc;
	r->nsections = r->sb.st_count;
	return FRC_OK;
}

/*
 * SPEC "Section table": unknown must-understand sections; one metadata section.
 */
static int check_sections(frc_reader_t *r)
{
	uint64_t at = r->sb.st_offset;
	int metadata = -1, rc;

	for (uint32_t i = 0; i < r->nsections; i++) {
		struct frc_section *s = &r->sections[i];

		rc = frc_r_check_extent(r, s->offset, s->length,
					at + FRC_SE_OFFSET_AT, "section");

		if (rc)
			return rc;
		if (!frc_section_type_known(s->type) &&
		    (s->flags & FRC_SECTION_MUST_UNDERSTAND))
			return frc_fail(FRC_ERR(r), FRC_E_UNSUPPORTED_FEATURE,
					r->path, at, "R-SEC-MUST",
					"section %u has type %u (0x%x), which "
					"this reader does not know and must "
					"understand", i, s->type, s->type);
		if (s->type == FRC_SECTION_METADATA) {
			if (metadata >= 0)
				return frc_fail(FRC_ERR(r), FRC_E_BAD_FIELD,
						r->path, at, "R-SEC-ONE-META",
						"sections %d and %u are both "
						"metadata", metadata, i);
			metadata = (int)i;
		}
		at += frc_section_entry_size(s->name_length);
	}
	r->meta_section = metadata;
	rc = frc_r_dg_sections(r);
	return rc ? rc : frc_r_base_sections(r);
}

/*
 * SPEC "Present-page bitmap": reads, verifies and counts one region's bitmap
 * (or, 1.3, its base map: `into` its own record, key tag `tag`) at `off`.
 * Memory goes only to the chunks that hold a set bit (rbitmap.c).
 */
static int load_bits(frc_reader_t *r, uint32_t idx, struct rregion *into,
		     uint64_t off, int tag, const char *what, const char *rule,
		     int *valid)
{
	struct rregion *rg = &r->regions[idx];
	uint64_t bytes = frc_bitmap_bytes(rg->r.page_count);
	uint64_t used = frc_bitmap_used_bytes(rg->r.page_count);
	struct frc_stream_hash *h =
		frc_stream_new(frc_key(r->sb.uuid, tag, idx, 0));
	uint8_t trailer[FRC_TRAILER];
	int err, rc;

	*valid = 0;
	if (!h)
		return frc_fail_plain(FRC_ERR(r), FRC_E_NOMEM, "out of memory");
	err = frc_bm_load(into, r->fd, off, bytes, h);
	if (err == -2)
		rc = frc_fail_plain(FRC_ERR(r), FRC_E_NOMEM, "%s: out of memory "
				    "for the %s of region '%s'", r->path, what,
				    rg->r.id);
	else if (err < 0)
		rc = frc_fail(FRC_ERR(r), FRC_E_TRUNCATED, r->path, off,
			      "R-FILE-LENGTH", "file ends inside the %s", what);
	else if (err)
		rc = frc_fail(FRC_ERR(r), FRC_E_IO, r->path, off, NULL,
			      "cannot read the %s of region '%s': %s", what,
			      rg->r.id, strerror(err));
	else
		rc = frc_r_read(r, trailer, FRC_TRAILER, off + bytes, what);
	if (rc == FRC_OK &&
	    !FRC_CSUM_OK(frc_get64(trailer), frc_stream_digest(h))) {
		frc_stream_free(h);
		if ((r->flags & FRC_OPEN_SALVAGE) && into == rg)
			return FRC_OK; /* presence unknown: bitmap_valid 0 */
		return frc_fail(FRC_ERR(r), FRC_E_CHECKSUM, r->path,
				off + bytes, "R-CSUM",
				"%s checksum mismatch in region '%s'", what,
				rg->r.id);
	}
	frc_stream_free(h);
	if (rc)
		return rc;
	/* padding bits after the last page are zero */
	if (frc_bm_find(into, rg->r.page_count, bytes * 8, true) != bytes * 8)
		return frc_fail(FRC_ERR(r), FRC_E_BAD_FIELD, r->path,
				off + used - 1, rule,
				"padding bits of the %s of region '%s' are "
				"not zero", what, rg->r.id);
	*valid = 1;
	return FRC_OK;
}

static int load_bitmap(frc_reader_t *r, uint32_t idx)
{
	struct rregion *rg = &r->regions[idx];

	return load_bits(r, idx, rg, rg->r.bitmap_offset, FRC_KEY_BITMAP,
			 "bitmap", "R-BM-PAD", &rg->bitmap_valid);
}

/* SPEC "Region fields and the base map" (1.3): R-BS-MAP. */
static int load_base_map(frc_reader_t *r, uint32_t idx)
{
	struct rregion *rg = &r->regions[idx];
	uint64_t i;
	int rc, valid;

	rg->bmap = calloc(1, sizeof(*rg->bmap));
	if (!rg->bmap)
		return frc_fail_plain(FRC_ERR(r), FRC_E_NOMEM, "out of memory");
	rc = load_bits(r, idx, rg->bmap, rg->r.base_map_offset,
		       FRC_KEY_BASE_MAP, "base map", "R-BS-MAP", &valid);
	if (rc)
		return rc;
	/* no page both present and from the base */
	for (i = frc_bm_find(rg->bmap, 0, rg->r.page_count, true);
	     i < rg->r.page_count;
	     i = frc_bm_find(rg->bmap, i + 1, rg->r.page_count, true))
		if (rg->bitmap_valid && frc_bm_get(rg, i))
			return frc_fail(FRC_ERR(r), FRC_E_BAD_FIELD, r->path,
					rg->r.base_map_offset + i / 8,
					"R-BS-MAP", "page %llu of region '%s' "
					"is both present and from the base",
					(unsigned long long)i, rg->r.id);
	return FRC_OK;
}

static int load_metadata(frc_reader_t *r)
{
	struct frc_section *s;
	uint8_t *buf;
	int rc;

	if (r->meta_section < 0)
		return FRC_OK;
	s = &r->sections[r->meta_section];
	/* SPEC "Limits": a metadata section is at most 1 MiB. */
	if (s->length > FRC_METADATA_MAX)
		return frc_fail(FRC_ERR(r), FRC_E_LIMIT, r->path, s->offset,
				"R-LIMITS", "metadata section is %llu bytes, more "
				"than 1 MiB", (unsigned long long)s->length);
	rc = read_struct(r, s->offset, s->length, "metadata section", &buf);
	if (rc)
		return rc;
	if (!FRC_CSUM_OK(s->checksum,
			 frc_hash(buf, s->length,
				  frc_key(r->sb.uuid, FRC_KEY_SECTION,
					  (uint64_t)r->meta_section, s->type))))
		rc = frc_fail(FRC_ERR(r), FRC_E_CHECKSUM, r->path, s->offset,
			      "R-CSUM", "metadata section checksum mismatch");
	else
		rc = frc_meta_decode(buf, s->length, s->offset, &r->meta,
				     &r->nmeta, FRC_ERR(r), r->path);
	free(buf);
	return rc;
}

static int validate(frc_reader_t *r)
{
	int rc = check_signature(r);

	if (!rc)
		rc = choose_superblock(r);
	/* SPEC "Layout": the file is at least file_length bytes long. */
	if (!rc && r->size < r->sb.file_length)
		rc = frc_fail(FRC_ERR(r), FRC_E_TRUNCATED, r->path, r->size,
			      "R-FILE-LENGTH", "file is %llu bytes but its superblock "
			      "says %llu", (unsigned long long)r->size,
			      (unsigned long long)r->sb.file_length);
	if (!rc)
		rc = load_feature_names(r);
	if (!rc)
		rc = check_features(r);
	if (!rc)
		rc = load_regions(r);
	if (!rc)
		rc = load_sections(r);
	if (!rc)
		rc = check_sections(r);
	if (!rc)
		rc = frc_layout_check(r);
	for (uint32_t i = 0; !rc && i < r->nregions; i++)
		if (r->regions[i].r.page_count) {
			rc = load_bitmap(r, i);
			if (!rc && (r->sb.incompat & FRC_INCOMPAT_BASE_SNAPSHOT))
				rc = load_base_map(r, i);
		}
	if (!rc)
		rc = load_metadata(r);
	if (!rc)
		rc = frc_r_dg_open(r);
	if (!rc)
		rc = frc_r_base_open(r);
	return rc;
}

FRC_API int frc_reader_open(frc_reader_t *r, const char *path, unsigned flags)
{
	struct stat st;
	int rc;

	if (!r)
		return FRC_MISUSE(r, "the reader is NULL");
	if (!path)
		return FRC_MISUSE(r, "path is NULL");
	if (r->path)
		return FRC_MISUSE(r, "%s: the reader is already open", r->path);
	r->meta_section = -1;
	r->flags = flags;
	r->path = strdup(path);
	if (!r->path)
		return frc_fail_plain(FRC_ERR(r), FRC_E_NOMEM, "out of memory");
	/* O_NONBLOCK: opening a FIFO with no writer must not wait. */
	r->fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (r->fd < 0)
		return frc_fail_errno(FRC_ERR(r), path, "cannot open", errno);
	if (fstat(r->fd, &st) != 0)
		return frc_fail_errno(FRC_ERR(r), path, "cannot stat", errno);
	if (!S_ISREG(st.st_mode))
		return frc_fail_plain(FRC_ERR(r), FRC_E_MISUSE,
				      "%s: not a regular file (%s): an FRC "
				      "file is read with random access", path,
				      S_ISDIR(st.st_mode) ? "a directory" :
				      S_ISFIFO(st.st_mode) ? "a pipe or FIFO" :
				      S_ISCHR(st.st_mode) ? "a character device" :
				      S_ISBLK(st.st_mode) ? "a block device" :
				      "not a file");
	(void)fcntl(r->fd, F_SETFL, 0);
	r->size = (uint64_t)st.st_size;
	/* Page data may bypass the page cache; where the filesystem refuses,
	 * everything is read through it. */
	if (flags & FRC_OPEN_DIRECT)
		r->dfd = frc_direct_open(path, false);
	rc = validate(r);
	r->open_ok = rc == FRC_OK;
	{
		static uint64_t opens;

		r->generation = __atomic_add_fetch(&opens, 1, __ATOMIC_RELAXED);
	}
	return rc;
}

FRC_API int frc_reader_get_info(const frc_reader_t *r, frc_info_t *info_out,
				size_t info_size)
{
	frc_info_t in, *info = &in;
	int rc = frc_reader_usable(r, __func__);

	if (rc)
		return rc;
	memset(info, 0, sizeof(*info));
	info->version_major = r->sb.major;
	info->version_minor = r->sb.minor;
	info->header_length = r->sb.header_length;
	info->sequence = r->sb.sequence;
	info->incompat = r->sb.incompat;
	info->ro_compat = r->sb.ro_compat;
	info->compat = r->sb.compat;
	info->unknown_incompat = r->sb.incompat & ~FRC_INCOMPAT_KNOWN;
	info->unknown_ro_compat = r->sb.ro_compat & ~FRC_RO_COMPAT_KNOWN;
	info->unknown_compat = r->sb.compat & ~FRC_COMPAT_KNOWN;
	memcpy(info->uuid, r->sb.uuid, 16);
	info->create_time_ns = r->sb.create_time;
	info->commit_time_ns = r->sb.commit_time;
	info->file_length = r->sb.file_length;
	info->alignment = r->sb.alignment;
	info->checksum_algorithm = r->sb.csum_algo;
	info->generator = r->sb.generator;
	info->region_count = r->nregions;
	info->section_count = r->nsections;
	info->complete = r->complete;
	info->read_only = r->read_only || !r->complete;
	info->slot_used = r->slot_used;
	info->other_slot = r->other_slot;
	info->other_slot_error = r->other_err;
	info->feature_table_offset = r->sb.ft_offset;
	info->feature_table_length = r->sb.ft_length;
	info->region_table_offset = r->sb.rt_offset;
	info->region_table_length = r->sb.rt_length;
	info->section_table_offset = r->sb.st_offset;
	info->section_table_length = r->sb.st_length;
	return frc_abi_out(r, __func__, info_out, info_size, info,
			   sizeof(*info), FRC_INFO_MIN);
}

static bool kind_ok(enum frc_feature_kind kind)
{
	return kind == FRC_FEATURE_INCOMPAT || kind == FRC_FEATURE_RO_COMPAT ||
	       kind == FRC_FEATURE_COMPAT;
}

FRC_API const char *frc_reader_feature_name(const frc_reader_t *r,
					    enum frc_feature_kind kind,
					    unsigned bit)
{
	if (!kind_ok(kind) || bit > 63)
		return NULL;
	return frc_feature_lookup(r ? r->fnames : NULL, r ? r->nfnames : 0,
				  kind, bit);
}

FRC_API const char *frc_reader_feature_names(const frc_reader_t *r,
					     enum frc_feature_kind kind,
					     uint64_t mask, char *buf,
					     size_t size)
{
	if (!buf || !size)
		return "";
	buf[0] = '\0';
	if (!kind_ok(kind))
		return buf;
	frc_features_describe(r ? r->fnames : NULL, r ? r->nfnames : 0, kind,
			      mask, buf, size);
	return buf;
}

FRC_API uint32_t frc_reader_region_count(const frc_reader_t *r)
{
	return r && r->open_ok ? r->nregions : 0;
}

FRC_API int frc_reader_region(const frc_reader_t *r, uint32_t region,
			      frc_region_info_t *info_out, size_t info_size)
{
	frc_region_info_t in, *info = &in;
	struct rregion *rg;
	int rc = frc_reader_region_arg(r, region, &rg, __func__);

	if (rc)
		return rc;
	memset(info, 0, sizeof(*info));
	info->id = rg->r.id;
	info->id_length = rg->r.id_length;
	info->page_size = rg->r.page_size;
	info->used_length = rg->r.used_length;
	info->page_count = rg->r.page_count;
	info->present_pages = rg->present;
	info->bitmap_offset = rg->r.bitmap_offset;
	info->checksum_table_offset = rg->r.csum_offset;
	info->pages_offset = rg->r.pages_offset;
	info->bitmap_valid = rg->r.page_count == 0 || rg->bitmap_valid;
	info->compression = rg->r.compression;
	info->frame_pages = rg->r.compression ? 1u << rg->r.frame_shift : 0;
	info->frame_table_offset = rg->r.frame_table_offset;
	info->base_pages = rg->bmap ? rg->bmap->present : 0;
	info->base_map_offset = rg->r.base_map_offset;
	return frc_abi_out(r, __func__, info_out, info_size, info,
			   sizeof(*info), FRC_REGION_INFO_MIN);
}

FRC_API int frc_reader_find_region(const frc_reader_t *r, const char *id,
				   uint32_t *region)
{
	int rc = frc_reader_usable(r, __func__);

	if (rc)
		return rc;
	if (!id)
		return FRC_MISUSE(r, "id is NULL");
	for (uint32_t i = 0; i < r->nregions; i++) {
		if (strcmp(r->regions[i].r.id, id) == 0) {
			if (region)
				*region = i;
			return FRC_OK;
		}
	}
	return frc_fail_plain(FRC_ERR(r), FRC_E_NOT_FOUND,
			      "%s: no region '%s'", r->path, id);
}

FRC_API uint32_t frc_reader_section_count(const frc_reader_t *r)
{
	return r && r->open_ok ? r->nsections : 0;
}

FRC_API int frc_reader_section(const frc_reader_t *r, uint32_t section,
			       frc_section_info_t *info_out, size_t info_size)
{
	frc_section_info_t in, *info = &in;
	const struct frc_section *s;
	int rc = frc_reader_usable(r, __func__);

	if (rc)
		return rc;
	if (section >= r->nsections)
		return FRC_MISUSE(r, "%s: no section %u (the file has %u)",
				  r->path, section, r->nsections);
	memset(info, 0, sizeof(*info));
	s = &r->sections[section];
	info->type = s->type;
	info->flags = s->flags;
	info->name = s->name;
	info->offset = s->offset;
	info->length = s->length;
	info->checksum = s->checksum;
	info->known = frc_section_type_known(s->type);
	return frc_abi_out(r, __func__, info_out, info_size, info,
			   sizeof(*info), FRC_SECTION_INFO_MIN);
}

FRC_API uint32_t frc_reader_metadata_count(const frc_reader_t *r)
{
	return r && r->open_ok ? r->nmeta : 0;
}

FRC_API int frc_reader_metadata_item(const frc_reader_t *r, uint32_t item,
				     const char **key, const char **value)
{
	int rc = frc_reader_usable(r, __func__);

	if (rc)
		return rc;
	if (item >= r->nmeta)
		return FRC_MISUSE(r, "%s: no metadata item %u (the file has %u)",
				  r->path, item, r->nmeta);
	if (key)
		*key = r->meta[item].key;
	if (value)
		*value = r->meta[item].value;
	return FRC_OK;
}

FRC_API const char *frc_reader_metadata_get(const frc_reader_t *r,
					    const char *key)
{
	if (!r || !key || !r->open_ok)
		return NULL;
	for (uint32_t i = 0; i < r->nmeta; i++)
		if (strcmp(r->meta[i].key, key) == 0)
			return r->meta[i].value;
	return NULL;
}
