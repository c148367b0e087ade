/*
 * wdigest.c - the writer's side of the content identity (SPEC "Content
 * identity and signatures", format 1.3): each region's tree held in
 * memory, level 0 filled as pages are written (a present page's leaf from
 * its bytes, on the writing thread), and at commit the absent pages' leaves,
 * the levels above, the covered sections' digests (read back from the
 * file), the root, and the digest section streamed after the other
 * sections.
 */
#include <stdlib.h>
#include <string.h>

#include "writer_internal.h"

int frc_w_dg_region(frc_writer_t *w, struct wregion *rg)
{
	if (!w->digest)
		return FRC_OK;
	frc_dg_shape(rg->r.page_count, &rg->dg);
	/* the region's whole tree: 32 bytes per page and 1/127 more, as
	 * much as the digest section will hold on disk */
	rg->tree = malloc(rg->dg.total * FRC_DG_SIZE + 1);
	return rg->tree ? FRC_OK : -1;
}

int frc_w_dg_leaf(frc_writer_t *w, struct wregion *rg, uint64_t i,
		  const uint8_t *pg)
{
	if (frc_dg_hash(FRC_DG_LEAF, pg, rg->r.page_size,
			rg->tree + i * FRC_DG_SIZE))
		return frc_fail_plain(FRC_ERR(w), FRC_E_NOMEM, "out of memory");
	return FRC_OK;
}

/* Absent pages' leaves, then the levels above: the region root. */
static int finish_tree(frc_writer_t *w, struct wregion *rg, uint8_t *root)
{
	uint8_t zero[FRC_DG_SIZE];

	if (rg->dg.h && frc_dg_zero_leaf(rg->r.page_size, zero))
		return frc_fail_plain(FRC_ERR(w), FRC_E_NOMEM, "out of memory");
	/* a page from the base keeps the leaf it was found equal by */
	for (uint64_t i = 0; i < rg->r.page_count; i++)
		if (!(rg->present[i / 64] >> (i % 64) & 1) &&
		    !(rg->from_base && rg->from_base[i / 64] >> (i % 64) & 1))
			memcpy(rg->tree + i * FRC_DG_SIZE, zero, FRC_DG_SIZE);
	if (frc_dg_build(rg->tree, &rg->dg, root))
		return frc_fail_plain(FRC_ERR(w), FRC_E_NOMEM, "out of memory");
	return FRC_OK;
}

/* A covered section's digest from its bytes as written. */
static int section_digest(frc_writer_t *w, const struct frc_section *s,
			  uint8_t *buf, uint8_t *out)
{
	struct frc_sha *c = frc_dg_section_begin(s);
	int err = 0;

	if (!c)
		return frc_fail_plain(FRC_ERR(w), FRC_E_NOMEM, "out of memory");
	for (uint64_t i = 0; i < s->length && !err;) {
		uint64_t n = s->length - i < CHUNK ? s->length - i : CHUNK;

		err = frc_pread_full(w->fd, buf, n, s->offset + i);
		if (!err)
			frc_sha_update(c, buf, n);
		i += n;
	}
	frc_sha_final(c, out);
	frc_sha_free(c);
	return err ? io_fail(w, "cannot read a section back", err < 0 ? 5 : err)
		   : FRC_OK;
}

/*
 * Signatures copied from another file (frc convert) must sign the root
 * this file gets: the same content has the same root. Anything else would
 * be a file whose signature section does not say what it signs.
 */
static int check_signatures(frc_writer_t *w, const uint8_t *root)
{
	for (uint32_t i = 0; i < w->nsections; i++) {
		const struct frc_section *s = &w->sections[i];
		uint8_t b[FRC_SG_LENGTH];
		int err;

		if (s->type != FRC_SECTION_SIGNATURE)
			continue;
		if (s->length != FRC_SG_LENGTH)
			return misuse(w, "section %u is a signature of %llu "
					 "bytes, not 144", i,
				      (unsigned long long)s->length);
		err = frc_pread_full(w->fd, b, sizeof(b), s->offset);
		if (err)
			return io_fail(w, "cannot read a section back",
				       err < 0 ? 5 : err);
		if (memcmp(b, FRC_SG_MAGIC, 8) != 0 ||
		    memcmp(b + FRC_SG_ROOT_AT, root, FRC_DG_SIZE) != 0)
			return misuse(w, "section %u is a signature of another "
					 "content root than this file's", i);
	}
	return FRC_OK;
}

static int append(frc_writer_t *w, const void *p, uint64_t n)
{
	const uint8_t *b = p;
	int rc = FRC_OK;

	/* in pieces: the section's length is bounded by 2^40, size_t too */
	for (uint64_t i = 0; i < n && !rc; i += CHUNK)
		rc = frc_writer_section_append(w, b + i,
					       n - i < CHUNK ? n - i : CHUNK);
	return rc;
}

int frc_w_dg_commit(frc_writer_t *w)
{
	const struct frc_region **v = calloc(w->nregions + 1, sizeof(*v));
	uint8_t *roots = malloc((uint64_t)w->nregions * FRC_DG_SIZE + 1);
	uint8_t *secs = malloc((uint64_t)w->nsections * FRC_DG_SIZE + 1);
	uint8_t *buf = malloc(CHUNK), h[FRC_DG_HEADER];
	uint32_t ns = 0;
	int rc = FRC_OK;

	if (!v || !roots || !secs || !buf) {
		rc = frc_fail_plain(FRC_ERR(w), FRC_E_NOMEM, "out of memory");
		goto out;
	}
	for (uint32_t i = 0; i < w->nregions && !rc; i++) {
		v[i] = &w->regions[i].r;
		rc = finish_tree(w, &w->regions[i], roots + i * FRC_DG_SIZE);
	}
	for (uint32_t i = 0; i < w->nsections && !rc; i++)
		if (frc_dg_section_covered(w->sections[i].type))
			rc = section_digest(w, &w->sections[i], buf,
					    secs + (ns++) * FRC_DG_SIZE);
	memset(h, 0, sizeof(h));
	memcpy(h + FRC_DG_MAGIC_AT, FRC_DG_MAGIC, 8);
	h[FRC_DG_ALGO_AT] = FRC_DG_ALGO_SHA256;
	h[FRC_DG_FANOUT_AT] = FRC_DG_FANOUT_SHIFT;
	frc_put32(h + FRC_DG_REGIONS_AT, w->nregions);
	frc_put32(h + FRC_DG_SECTIONS_AT, ns);
	if (!rc && frc_dg_root(v, w->nregions, roots, secs, ns,
			       h + FRC_DG_ROOT_AT))
		rc = frc_fail_plain(FRC_ERR(w), FRC_E_NOMEM, "out of memory");
	if (!rc)
		rc = check_signatures(w, h + FRC_DG_ROOT_AT);
	/* SPEC "Digest section": header, region roots, section digests,
	 * then each region's levels 0 to h - 1 */
	w->dg_commit = 1;
	if (!rc)
		rc = frc_writer_section_begin(w, FRC_SECTION_DIGESTS, 0,
					      "content-digests");
	w->dg_commit = 0;
	if (!rc)
		rc = append(w, h, sizeof(h));
	if (!rc)
		rc = append(w, roots, (uint64_t)w->nregions * FRC_DG_SIZE);
	if (!rc)
		rc = append(w, secs, (uint64_t)ns * FRC_DG_SIZE);
	for (uint32_t i = 0; i < w->nregions && !rc; i++)
		rc = append(w, w->regions[i].tree,
			    w->regions[i].dg.total * FRC_DG_SIZE);
	if (!rc)
		rc = frc_writer_section_end(w);
	else
		frc_w_section_drop(w);
	if (!rc)
		w->sb.ro_compat |= FRC_RO_COMPAT_CONTENT_DIGESTS;
out:
	free(v);
	free(roots);
	free(secs);
	free(buf);
	return rc;
}
