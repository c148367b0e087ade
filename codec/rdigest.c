/*
 * rdigest.c - the reader's side of the content identity (SPEC "Content
 * identity and signatures", format 1.3): the digest and signature sections
 * checked when the file is opened (the root recomputed from the region
 * table, the region roots and the section digests), pages checked against
 * their leaves through groups checked up to the region root (kept once
 * checked: one group per level per 128 pages read at most), sections
 * against their digests, signatures against a key, and a signature added in
 * place as a commit.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "reader_internal.h"

uint64_t frc_r_section_at(const frc_reader_t *r, uint32_t idx)
{
	uint64_t at = r->sb.st_offset;

	for (uint32_t i = 0; i < idx; i++)
		at += frc_section_entry_size(r->sections[i].name_length);
	return at;
}

/* Step 8 of "Order of checks": R-DG-FEATURE, R-SG-SHAPE (a signature
 * without digests). */
int frc_r_dg_sections(frc_reader_t *r)
{
	bool bit = r->sb.ro_compat & FRC_RO_COMPAT_CONTENT_DIGESTS;
	int sig = -1;

	r->dg_section = -1;
	for (uint32_t i = 0; i < r->nsections; i++) {
		uint32_t t = r->sections[i].type;

		if (t == FRC_SECTION_SIGNATURE && sig < 0)
			sig = (int)i;
		if (t != FRC_SECTION_DIGESTS)
			continue;
		if (r->dg_section >= 0)
			return frc_r_fail(r, FRC_E_BAD_FIELD,
					  frc_r_section_at(r, i), "R-DG-FEATURE",
					  "sections %d and %u are both digest "
					  "sections", r->dg_section, i);
		r->dg_section = (int)i;
	}
	if (bit && r->dg_section < 0)
		return frc_r_fail(r, FRC_E_BAD_FIELD,
				  (r->slot_used ? FRC_SLOT_B_OFFSET
						: FRC_SLOT_A_OFFSET) + 32,
				  "R-DG-FEATURE", "the ro-compat feature "
				  "content-digests is set but the file has no "
				  "digest section (type 4)");
	if (!bit && r->dg_section >= 0)
		return frc_r_fail(r, FRC_E_BAD_FIELD,
				  frc_r_section_at(r, (uint32_t)r->dg_section),
				  "R-DG-FEATURE", "section %d is a digest "
				  "section but the ro-compat feature "
				  "content-digests is not set", r->dg_section);
	if (sig >= 0 && r->dg_section < 0)
		return frc_r_fail(r, FRC_E_BAD_FIELD,
				  frc_r_section_at(r, (uint32_t)sig),
				  "R-SG-SHAPE", "section %d is a signature but "
				  "the file has no content digests", sig);
	return FRC_OK;
}

/* The header of the digest section (its first 64 bytes, in table order). */
static int check_header(frc_reader_t *r, const struct frc_section *s,
			const uint8_t *h, uint32_t covered)
{
	static const uint8_t zero[12];

	if (s->length < FRC_DG_HEADER ||
	    memcmp(h + FRC_DG_MAGIC_AT, FRC_DG_MAGIC, 8) != 0)
		return frc_r_fail(r, FRC_E_BAD_FIELD, s->offset, "R-DG-HEADER",
				  "the digest section does not start with "
				  "\"FRC-DGST\" (or is shorter than 64 bytes)");
	if (h[FRC_DG_ALGO_AT] != FRC_DG_ALGO_SHA256)
		return frc_r_fail(r, FRC_E_UNSUPPORTED_FEATURE,
				  s->offset + FRC_DG_ALGO_AT, "R-DG-ALGO",
				  "the digest section uses digest algorithm "
				  "%u, which this reader does not implement "
				  "(1: SHA-256)", h[FRC_DG_ALGO_AT]);
	if (h[FRC_DG_FANOUT_AT] != FRC_DG_FANOUT_SHIFT)
		return frc_r_fail(r, FRC_E_BAD_FIELD,
				  s->offset + FRC_DG_FANOUT_AT, "R-DG-HEADER",
				  "fanout_shift is %u, not 7",
				  h[FRC_DG_FANOUT_AT]);
	if (memcmp(h + FRC_DG_RESERVED1_AT, zero, 2) != 0)
		return frc_r_fail(r, FRC_E_BAD_FIELD,
				  s->offset + FRC_DG_RESERVED1_AT,
				  "R-DG-HEADER", "reserved bytes 10-11 of "
				  "the digest section are not zero");
	if (frc_get32(h + FRC_DG_REGIONS_AT) != r->nregions)
		return frc_r_fail(r, FRC_E_BAD_FIELD,
				  s->offset + FRC_DG_REGIONS_AT, "R-DG-HEADER",
				  "the digest section counts %u regions, the "
				  "file has %u", frc_get32(h + FRC_DG_REGIONS_AT),
				  r->nregions);
	if (frc_get32(h + FRC_DG_SECTIONS_AT) != covered)
		return frc_r_fail(r, FRC_E_BAD_FIELD,
				  s->offset + FRC_DG_SECTIONS_AT,
				  "R-DG-HEADER", "the digest section covers "
				  "%u sections, the file has %u outside types 4, "
				  "5 and 6", frc_get32(h + FRC_DG_SECTIONS_AT),
				  covered);
	if (memcmp(h + FRC_DG_RESERVED2_AT, zero, 12) != 0)
		return frc_r_fail(r, FRC_E_BAD_FIELD,
				  s->offset + FRC_DG_RESERVED2_AT,
				  "R-DG-HEADER", "reserved bytes 20-31 of "
				  "the digest section are not zero");
	return FRC_OK;
}

static const struct frc_region **region_list(frc_reader_t *r)
{
	const struct frc_region **v = calloc(r->nregions + 1, sizeof(*v));

	for (uint32_t i = 0; v && i < r->nregions; i++)
		v[i] = &r->regions[i].r;
	return v;
}

/* R-DG-LENGTH, then R-DG-ROOT: the record the root is computed from. */
static int check_root(frc_reader_t *r, const struct frc_section *s,
		      const uint8_t *h, uint32_t covered)
{
	const struct frc_region **v = region_list(r);
	uint64_t want = v ? frc_dg_section_length(v, r->nregions, covered) : 0;
	uint64_t rec = ((uint64_t)r->nregions + covered) * FRC_DG_SIZE;
	uint8_t empty[FRC_DG_SIZE], root[FRC_DG_SIZE], *buf = NULL;
	int rc = FRC_OK;

	if (!v) {
		rc = frc_r_fail(r, FRC_E_NOMEM, 0, NULL, "out of memory");
		goto out;
	}
	if (s->length != want) {
		rc = frc_r_fail(r, FRC_E_BAD_FIELD, s->offset, "R-DG-LENGTH",
				"the digest section is %llu bytes; its regions "
				"and sections need %llu",
				(unsigned long long)s->length,
				(unsigned long long)want);
		goto out;
	}
	/* at most (4096 + 4096) * 32 bytes */
	buf = malloc(rec ? rec : 1);
	r->dg_roots = malloc(r->nregions * FRC_DG_SIZE + 1);
	r->dg_sections = malloc(covered * FRC_DG_SIZE + 1);
	if (!buf || !r->dg_roots || !r->dg_sections) {
		rc = frc_r_fail(r, FRC_E_NOMEM, 0, NULL, "out of memory");
		goto out;
	}
	rc = frc_r_read(r, buf, rec, s->offset + FRC_DG_HEADER,
			"digest section");
	if (rc)
		goto out;
	memcpy(r->dg_roots, buf, r->nregions * FRC_DG_SIZE);
	memcpy(r->dg_sections, buf + r->nregions * FRC_DG_SIZE,
	       covered * FRC_DG_SIZE);
	frc_dg_empty_root(empty);
	for (uint32_t i = 0; i < r->nregions; i++)
		if (!r->regions[i].r.page_count &&
		    !FRC_DG_EQ(r->dg_roots + i * FRC_DG_SIZE, empty)) {
			rc = frc_r_fail(r, FRC_E_DIGEST,
					s->offset + FRC_DG_HEADER +
						i * FRC_DG_SIZE,
					"R-DG-ROOT", "the root of region '%s', "
					"which has no pages, is not "
					"SHA256(0x01)", r->regions[i].r.id);
			goto out;
		}
	if (frc_dg_root(v, r->nregions, r->dg_roots, r->dg_sections, covered,
			root)) {
		rc = frc_r_fail(r, FRC_E_NOMEM, 0, NULL, "out of memory");
		goto out;
	}
	if (!FRC_DG_EQ(root, h + FRC_DG_ROOT_AT)) {
		rc = frc_r_fail(r, FRC_E_DIGEST, s->offset + FRC_DG_ROOT_AT,
				"R-DG-ROOT", "the content root does not match "
				"the region table, region roots and section "
				"digests it is computed from");
		goto out;
	}
	memcpy(r->root, root, FRC_DG_SIZE);
out:
	free(buf);
	free(v);
	return rc;
}

/* Where each region's tree lies in the file. */
static void place_trees(frc_reader_t *r, const struct frc_section *s,
			uint32_t covered)
{
	uint64_t at = s->offset + FRC_DG_HEADER +
		      ((uint64_t)r->nregions + covered) * FRC_DG_SIZE;

	for (uint32_t i = 0; i < r->nregions; i++) {
		struct rregion *rg = &r->regions[i];

		frc_dg_shape(rg->r.page_count, &rg->dg);
		rg->dg_offset = at;
		at += rg->dg.total * FRC_DG_SIZE;
	}
}

/* R-SG-SHAPE: each signature section's length, magic, reserved bytes. */
static int load_signatures(frc_reader_t *r)
{
	static const uint8_t zero[7];
	uint32_t n = 0;

	for (uint32_t i = 0; i < r->nsections; i++)
		n += r->sections[i].type == FRC_SECTION_SIGNATURE;
	if (!n)
		return FRC_OK;
	r->sigs = calloc(n, sizeof(*r->sigs));
	if (!r->sigs)
		return frc_r_fail(r, FRC_E_NOMEM, 0, NULL, "out of memory");
	for (uint32_t i = 0; i < r->nsections; i++) {
		const struct frc_section *s = &r->sections[i];
		struct rsig *g = &r->sigs[r->nsigs];
		int rc;

		if (s->type != FRC_SECTION_SIGNATURE)
			continue;
		if (s->length != FRC_SG_LENGTH)
			return frc_r_fail(r, FRC_E_BAD_FIELD,
					  frc_r_section_at(r, i) +
						  FRC_SE_LENGTH_AT,
					  "R-SG-SHAPE", "signature section %u "
					  "is %llu bytes, not 144", i,
					  (unsigned long long)s->length);
		rc = frc_r_read(r, g->bytes, FRC_SG_LENGTH, s->offset,
				"signature section");
		if (rc)
			return rc;
		if (memcmp(g->bytes, FRC_SG_MAGIC, 8) != 0)
			return frc_r_fail(r, FRC_E_BAD_FIELD, s->offset,
					  "R-SG-SHAPE", "signature section %u "
					  "does not start with \"FRC-SIGN\"", i);
		if (memcmp(g->bytes + FRC_SG_RESERVED_AT, zero, 7) != 0)
			return frc_r_fail(r, FRC_E_BAD_FIELD,
					  s->offset + FRC_SG_RESERVED_AT,
					  "R-SG-SHAPE", "reserved bytes 9-15 of "
					  "signature section %u are not zero",
					  i);
		g->section = i;
		r->nsigs++;
	}
	return FRC_OK;
}

int frc_r_dg_open(frc_reader_t *r)
{
	const struct frc_section *s;
	uint8_t h[FRC_DG_HEADER];
	uint32_t covered = 0;
	int rc;

	if (r->dg_section < 0)
		return FRC_OK;
	s = &r->sections[r->dg_section];
	r->dg_covered = malloc((r->nsections + 1) * sizeof(*r->dg_covered));
	if (!r->dg_covered)
		return frc_r_fail(r, FRC_E_NOMEM, 0, NULL, "out of memory");
	for (uint32_t i = 0; i < r->nsections; i++)
		r->dg_covered[i] = frc_dg_section_covered(r->sections[i].type)
					   ? (int32_t)covered++
					   : -1;
	memset(h, 0, sizeof(h));
	if (s->length >= FRC_DG_HEADER &&
	    (rc = frc_r_read(r, h, FRC_DG_HEADER, s->offset, "digest section")))
		return rc;
	rc = check_header(r, s, h, covered);
	if (!rc)
		rc = check_root(r, s, h, covered);
	if (rc)
		return rc;
	place_trees(r, s, covered);
	return load_signatures(r);
}

void frc_r_dg_free(frc_reader_t *r)
{
	for (uint32_t i = 0; r->regions && i < r->nregions; i++)
		for (unsigned l = 0; l < FRC_DG_LEVELS_MAX; l++) {
			free(r->regions[i].dg_cache[l]);
			free(r->regions[i].dg_ok[l]);
		}
	free(r->dg_roots);
	free(r->dg_sections);
	free(r->dg_covered);
	free(r->sigs);
}

/* ---- the tree ---- */

static uint64_t group_count(const struct rregion *rg, unsigned l, uint64_t j)
{
	uint64_t first = j << FRC_DG_FANOUT_SHIFT, k = rg->dg.n[l] - first;

	return k > FRC_DG_FANOUT ? FRC_DG_FANOUT : k;
}

static uint64_t group_offset(const struct rregion *rg, unsigned l, uint64_t j)
{
	return rg->dg_offset +
	       (rg->dg.at[l] + (j << FRC_DG_FANOUT_SHIFT)) * FRC_DG_SIZE;
}

static int group_up(frc_reader_t *r, uint32_t idx, unsigned l, uint64_t j,
		    uint8_t *out);

/*
 * R-DG-NODE: group j of level l, whose bytes are in g, hashes to its entry
 * on the level above (checked first, from the top down), or at the top to
 * the region root. With dg_lock held.
 */
static int group_check(frc_reader_t *r, uint32_t idx, unsigned l, uint64_t j,
		       const uint8_t *g)
{
	struct rregion *rg = &r->regions[idx];
	uint8_t node[FRC_DG_SIZE], up[FRC_DG_GROUP_BYTES];
	const uint8_t *want;
	int rc;

	if (l + 1 == rg->dg.h) {
		want = r->dg_roots + (uint64_t)idx * FRC_DG_SIZE;
	} else {
		rc = group_up(r, idx, l + 1, j >> FRC_DG_FANOUT_SHIFT, up);
		if (rc)
			return rc;
		want = up + (j & (FRC_DG_FANOUT - 1)) * FRC_DG_SIZE;
	}
	if (frc_dg_hash(FRC_DG_NODE, g, group_count(rg, l, j) * FRC_DG_SIZE,
			node))
		return frc_r_fail(r, FRC_E_NOMEM, 0, NULL, "out of memory");
	if (!FRC_DG_EQ(node, want))
		return frc_r_fail(r, FRC_E_DIGEST, group_offset(rg, l, j),
				  "R-DG-NODE", "region '%s': digest group %llu "
				  "of level %u does not hash to its entry on "
				  "the level above", rg->r.id,
				  (unsigned long long)j, l);
	return FRC_OK;
}

/* Group j of level l >= 1, checked, into out: from what was kept, or read
 * and checked and kept. With dg_lock held. */
static int group_up(frc_reader_t *r, uint32_t idx, unsigned l, uint64_t j,
		    uint8_t *out)
{
	struct rregion *rg = &r->regions[idx];
	uint64_t k = group_count(rg, l, j), groups;
	uint8_t *cache = rg->dg_cache[l], *ok = rg->dg_ok[l];
	int rc;

	if (!cache) {
		/* levels above 0 hold at most 1/127 of the leaves: memory
		 * bounded by the digest section, itself inside the file */
		groups = (rg->dg.n[l] + FRC_DG_FANOUT - 1) >> FRC_DG_FANOUT_SHIFT;
		cache = malloc(rg->dg.n[l] * FRC_DG_SIZE);
		ok = calloc((groups + 7) / 8, 1);
		if (!cache || !ok) {
			free(cache);
			free(ok);
			return frc_r_fail(r, FRC_E_NOMEM, 0, NULL,
					  "out of memory");
		}
		rg->dg_cache[l] = cache;
		rg->dg_ok[l] = ok;
	}
	cache += (j << FRC_DG_FANOUT_SHIFT) * FRC_DG_SIZE;
	if (!(ok[j / 8] >> (j % 8) & 1)) {
		rc = frc_r_read(r, cache, k * FRC_DG_SIZE,
				group_offset(rg, l, j), "digest section");
		if (!rc)
			rc = group_check(r, idx, l, j, cache);
		if (rc)
			return rc;
		ok[j / 8] |= (uint8_t)(1u << (j % 8));
	}
	memcpy(out, cache, k * FRC_DG_SIZE);
	return FRC_OK;
}

/* Leaf group j of region idx into c->g, checked up to the root. */
static int leaf_group(frc_reader_t *r, struct frc_dg_cursor *c, uint32_t idx,
		      uint64_t j)
{
	struct rregion *rg = &r->regions[idx];
	int rc;

	if (c->group == j + 1 && c->region == idx)
		return c->rc;
	c->region = idx;
	c->group = j + 1;
	rc = frc_r_read(r, c->g, group_count(rg, 0, j) * FRC_DG_SIZE,
			group_offset(rg, 0, j), "digest section");
	if (!rc) {
		pthread_mutex_lock(&r->dg_lock);
		rc = group_check(r, idx, 0, j, c->g);
		pthread_mutex_unlock(&r->dg_lock);
	}
	if (rc == FRC_E_IO || rc == FRC_E_NOMEM || rc == FRC_E_TRUNCATED)
		c->group = 0; /* not a verdict on the group: try again */
	c->rc = rc;
	return rc;
}

int frc_r_dg_page(frc_reader_t *r, struct frc_dg_cursor *c, uint32_t idx,
		  uint64_t page, const uint8_t *data)
{
	struct rregion *rg = &r->regions[idx];
	uint64_t j = page >> FRC_DG_FANOUT_SHIFT;
	const uint8_t *want;
	uint8_t leaf[FRC_DG_SIZE];
	int rc;

	/* a base's pages are checked against the leaves of the file above */
	if (r->dg_section < 0 || r->chain_child)
		return FRC_OK;
	rc = leaf_group(r, c, idx, j);
	if (rc)
		return rc;
	want = c->g + (page & (FRC_DG_FANOUT - 1)) * FRC_DG_SIZE;
	if (frc_dg_hash(FRC_DG_LEAF, data, rg->r.page_size, leaf))
		return frc_r_fail(r, FRC_E_NOMEM, 0, NULL, "out of memory");
	if (!FRC_DG_EQ(leaf, want))
		return frc_r_fail(r, FRC_E_DIGEST, frc_r_page_offset(rg, page),
				  "R-DG-LEAF", "page %llu of region '%s' does "
				  "not match its SHA-256 leaf digest (offset "
				  "0x%llx)", (unsigned long long)page,
				  rg->r.id,
				  (unsigned long long)(group_offset(rg, 0, j) +
					(page & (FRC_DG_FANOUT - 1)) *
						FRC_DG_SIZE));
	return FRC_OK;
}

int frc_r_dg_leaves(frc_reader_t *r, uint32_t idx, uint64_t first,
		    uint64_t n, uint8_t *out)
{
	struct frc_dg_cursor c;

	/* a base's leaves are the file above's to give */
	if (r->dg_section < 0 || r->chain_child)
		return FRC_E_NOT_FOUND;
	c.group = 0;
	for (uint64_t p = first, end; p < first + n; p = end) {
		uint64_t j = p >> FRC_DG_FANOUT_SHIFT;
		int rc = leaf_group(r, &c, idx, j);

		if (rc)
			return rc;
		end = (j + 1) << FRC_DG_FANOUT_SHIFT;
		if (end > first + n)
			end = first + n;
		memcpy(out + (p - first) * FRC_DG_SIZE,
		       c.g + (p & (FRC_DG_FANOUT - 1)) * FRC_DG_SIZE,
		       (end - p) * FRC_DG_SIZE);
	}
	return FRC_OK;
}

/* An absent page's leaf: that of a page of zeros, no hashing needed. */
int frc_r_dg_absent(frc_reader_t *r, struct frc_dg_cursor *c, uint32_t idx,
		    uint64_t page)
{
	struct rregion *rg = &r->regions[idx];
	uint8_t zero[FRC_DG_SIZE];
	int rc;

	if (r->dg_section < 0 || r->chain_child)
		return FRC_OK;
	rc = leaf_group(r, c, idx, page >> FRC_DG_FANOUT_SHIFT);
	if (rc)
		return rc;
	if (frc_dg_zero_leaf(rg->r.page_size, zero))
		return frc_r_fail(r, FRC_E_NOMEM, 0, NULL, "out of memory");
	if (!FRC_DG_EQ(zero, c->g + (page & (FRC_DG_FANOUT - 1)) * FRC_DG_SIZE))
		return frc_r_fail(r, FRC_E_DIGEST, frc_r_page_offset(rg, page),
				  "R-DG-LEAF", "page %llu of region '%s' reads "
				  "as zeros but its SHA-256 leaf is of other "
				  "bytes", (unsigned long long)page, rg->r.id);
	return FRC_OK;
}

/* ---- sections ---- */

struct frc_sha *frc_r_dg_section_begin(frc_reader_t *r, uint32_t idx,
				       int *rc)
{
	struct frc_sha *c;

	*rc = FRC_OK;
	if (r->dg_section < 0 || r->dg_covered[idx] < 0)
		return NULL;
	c = frc_dg_section_begin(&r->sections[idx]);
	if (!c)
		*rc = frc_r_fail(r, FRC_E_NOMEM, 0, NULL, "out of memory");
	return c;
}

int frc_r_dg_section_end(frc_reader_t *r, uint32_t idx, struct frc_sha *c)
{
	uint8_t d[FRC_DG_SIZE];

	if (!c)
		return FRC_OK;
	frc_sha_final(c, d);
	if (!FRC_DG_EQ(d, r->dg_sections + (uint64_t)r->dg_covered[idx] *
					       FRC_DG_SIZE))
		return frc_r_fail(r, FRC_E_DIGEST, r->sections[idx].offset,
				  "R-DG-SECT", "section %u (type %u) does not "
				  "match its SHA-256 digest", idx,
				  r->sections[idx].type);
	return FRC_OK;
}
