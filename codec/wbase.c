/*
 * wbase.c - the writer's side of snapshots on a base (SPEC "Snapshots on a
 * base", format 1.3): the base opened and checked (content digests, its
 * chain's depth, the same regions), its leaves loaded (each group checked
 * up to its root), a present page whose SHA-256 leaf equals the base's
 * recorded as unchanged from the base instead of stored, and at commit
 * the base maps and the base section.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reader_internal.h"
#include "writer_internal.h"

/* The hint: the base's path relative to the directory of the file being
 * written (absolute when they share no directory but /). */
static char *relative_hint(const char *out, const char *base)
{
	char *rb = realpath(base, NULL), *copy = strdup(out), *od = NULL;
	char *slash, *hint = NULL;
	size_t i = 0, last = 0, ups = 0;

	if (!rb || !copy)
		goto out;
	slash = strrchr(copy, '/');
	if (slash)
		*slash = 0;
	od = realpath(slash ? (*copy ? copy : "/") : ".", NULL);
	if (!od)
		goto out;
	/* the last '/' of the directories both paths start with */
	for (; od[i] && od[i] == rb[i]; i++)
		if (od[i] == '/')
			last = i;
	if (!od[i] && rb[i] == '/')
		last = i; /* the directory itself holds the base */
	if (last == 0) { /* nothing in common but / */
		hint = rb;
		rb = NULL;
		goto out;
	}
	for (size_t k = last; od[k]; k++)
		ups += od[k] == '/';
	hint = malloc(3 * ups + strlen(rb + last + 1) + 1);
	if (hint) {
		hint[0] = 0;
		for (size_t k = 0; k < ups; k++)
			strcat(hint, "../");
		strcat(hint, rb + last + 1);
	}
out:
	free(rb);
	free(od);
	free(copy);
	return hint;
}

/* The base's regions are this file's: count, ids, page sizes, lengths. */
static int same_layout(frc_writer_t *w, frc_reader_t *b, const char *path)
{
	if (frc_reader_region_count(b) != w->nregions)
		return frc_w_misuse(w, "frc_writer_set_base",
				    "%s has %u regions, this file %u: not a base "
				 "for it", path, frc_reader_region_count(b),
			      w->nregions);
	for (uint32_t i = 0; i < w->nregions; i++) {
		const struct frc_region *r = &w->regions[i].r;
		frc_region_info_t g;

		frc_reader_region(b, i, &g, sizeof(g));
		if (strcmp(g.id, r->id) || g.page_size != r->page_size ||
		    g.used_length != r->used_length)
			return frc_w_misuse(w, "frc_writer_set_base",
					    "region %u of %s is '%s' of %llu bytes "
					 "in pages of %u, here '%s' of %llu in "
					 "pages of %u: not a base for it", i,
				      path, g.id,
				      (unsigned long long)g.used_length,
				      g.page_size, r->id,
				      (unsigned long long)r->used_length,
				      r->page_size);
	}
	return FRC_OK;
}

static int load_region(frc_writer_t *w, struct wregion *rg, uint32_t idx)
{
	int rc;

	if (!rg->tree && (rc = frc_w_dg_region(w, rg)) != FRC_OK)
		return frc_fail_plain(FRC_ERR(w), FRC_E_NOMEM, "out of memory");
	rg->from_base = calloc((rg->r.page_count + 63) / 64 + 1, 8);
	rg->base_leaves = malloc(rg->r.page_count * FRC_DG_SIZE + 1);
	if (!rg->from_base || !rg->base_leaves)
		return frc_fail_plain(FRC_ERR(w), FRC_E_NOMEM, "out of memory");
	rc = frc_r_dg_leaves(w->base, idx, 0, rg->r.page_count,
			     rg->base_leaves);
	if (rc)
		return frc_fail_plain(FRC_ERR(w), rc, "%s",
				      frc_reader_errmsg(w->base));
	return FRC_OK;
}

FRC_API int frc_writer_set_base(frc_writer_t *w, const char *path,
				const char *hint)
{
	frc_base_info_t bi;
	int rc;

	if (!w)
		return misuse(w, "-");
	if (!path)
		return misuse(w, "path is NULL");
	if (w->state != W_OPEN || w->base)
		return misuse(w, "the base is set once, after the regions are "
				 "added and before the first page or section");
	if (w->embedded)
		return misuse(w, "a file around another format's bytes has no "
				 "base");
	if (hint && (strlen(hint) > FRC_HINT_MAX ||
		     !frc_utf8_valid((const uint8_t *)hint, strlen(hint))))
		return misuse(w, "the hint must be up to %u bytes of UTF-8",
			      FRC_HINT_MAX);
	w->base = frc_reader_new();
	if (!w->base)
		return frc_fail_plain(FRC_ERR(w), FRC_E_NOMEM, "out of memory");
	rc = frc_reader_open(w->base, path, 0);
	if (rc) {
		rc = frc_fail_plain(FRC_ERR(w), rc, "the base: %s",
				    frc_reader_errmsg(w->base));
		goto fail;
	}
	if (frc_reader_content_root(w->base, w->base_root) != FRC_OK) {
		rc = misuse(w, "%s has no content digests: a base is named by "
			       "its content root (write it with --digest)",
			    path);
		goto fail;
	}
	if (frc_reader_base(w->base, &bi, sizeof(bi)) == FRC_OK &&
	    bi.depth + 1 > FRC_CHAIN_MAX) {
		rc = frc_fail_plain(FRC_ERR(w), FRC_E_CHAIN_DEPTH,
				    "%s is already at the end of a chain of %u "
				    "bases: flatten it first (SPEC R-BS-DEPTH)",
				    path, bi.depth);
		goto fail;
	}
	if ((rc = same_layout(w, w->base, path)) != FRC_OK)
		goto fail;
	w->digest = FRC_DIGEST_SHA256; /* a base is named by its root */
	for (uint32_t i = 0; i < w->nregions && !rc; i++)
		rc = load_region(w, &w->regions[i], i);
	if (rc)
		goto fail;
	w->base_hint = hint ? strdup(hint) : relative_hint(w->path, path);
	if (!w->base_hint) {
		rc = frc_fail_plain(FRC_ERR(w), FRC_E_NOMEM, "%s: %s", path,
				    errno ? strerror(errno) : "out of memory");
		goto fail;
	}
	if (strlen(w->base_hint) > FRC_HINT_MAX)
		w->base_hint[0] = 0; /* too long to say: found by search */
	w->sb.incompat |= FRC_INCOMPAT_BASE_SNAPSHOT;
	w->sb.minor = FRC_FORMAT_VERSION_MINOR;
	return FRC_OK;
fail:
	for (uint32_t i = 0; i < w->nregions; i++) {
		free(w->regions[i].from_base);
		free(w->regions[i].base_leaves);
		w->regions[i].from_base = NULL;
		w->regions[i].base_leaves = NULL;
	}
	frc_reader_free(w->base);
	w->base = NULL;
	return rc;
}

int frc_w_base_page(frc_writer_t *w, struct wregion *rg, uint64_t i,
		    bool *from)
{
	uint64_t bit = UINT64_C(1) << (i % 64), old;
	int err;

	*from = memcmp(rg->tree + i * FRC_DG_SIZE,
		       rg->base_leaves + i * FRC_DG_SIZE, FRC_DG_SIZE) == 0;
	if (!*from) {
		__atomic_fetch_and(&rg->from_base[i / 64], ~bit,
				   __ATOMIC_RELAXED);
		return FRC_OK;
	}
	__atomic_fetch_or(&rg->from_base[i / 64], bit, __ATOMIC_RELAXED);
	old = __atomic_fetch_and(&rg->present[i / 64], ~bit, __ATOMIC_RELAXED);
	rg->csums[i] = 0;
	if (!(old & bit))
		return FRC_OK;
	/* it held this file's bytes before: the slot reads as zeros again */
	err = frc_punch_hole(w->fd, rg->r.pages_offset + (i << rg->r.page_shift),
			     rg->r.page_size);
	return err ? io_fail(w, "cannot free page slot", err) : FRC_OK;
}

int frc_w_base_commit(frc_writer_t *w)
{
	size_t hl = strlen(w->base_hint);
	uint8_t head[FRC_BS_HEADER];
	int rc = FRC_OK;

	for (uint32_t i = 0; i < w->nregions && !rc; i++)
		if (w->regions[i].r.page_count)
			rc = frc_w_write_bits(w, i, w->regions[i].from_base,
					      w->regions[i].r.base_map_offset,
					      FRC_KEY_BASE_MAP);
	if (rc)
		return rc;
	/* SPEC "Base section": magic, base_root, hint_length, hint */
	memset(head, 0, sizeof(head));
	memcpy(head, FRC_BS_MAGIC, 8);
	memcpy(head + FRC_BS_ROOT_AT, w->base_root, FRC_DG_SIZE);
	frc_put16(head + FRC_BS_HINT_LENGTH_AT, (uint16_t)hl);
	w->dg_commit = 1;
	rc = frc_writer_section_begin(w, FRC_SECTION_BASE, 0, "base");
	w->dg_commit = 0;
	if (!rc)
		rc = frc_writer_section_append(w, head, sizeof(head));
	if (!rc)
		rc = frc_writer_section_append(w, w->base_hint, hl);
	if (!rc)
		rc = frc_writer_section_end(w);
	else
		frc_w_section_drop(w);
	return rc;
}
