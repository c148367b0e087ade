/*
 * rbase.c - the reader's side of snapshots on a base (SPEC "Snapshots on a
 * base", format 1.3): the base section checked, the chain kept free of
 * cycles and within 16 bases, the base found by its content root (the
 * hint, then the directories the caller named), opened like any file with
 * its own base in turn, its regions compared, and the pages unchanged from
 * it read through it.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "reader_internal.h"

#define FRC_BASE_INFO_MIN FRC_ABI_END(frc_base_info_t, depth)

int frc_r_base_sections(frc_reader_t *r)
{
	bool bit = r->sb.incompat & FRC_INCOMPAT_BASE_SNAPSHOT;

	for (uint32_t i = 0; i < r->nsections; i++) {
		if (r->sections[i].type != FRC_SECTION_BASE)
			continue;
		if (r->base_section >= 0)
			return frc_r_fail(r, FRC_E_BAD_FIELD, frc_r_section_at(r, i),
					  "R-BS-FEATURE", "sections %d and %u "
					  "are both base sections",
					  r->base_section, i);
		r->base_section = (int)i;
	}
	/* R-BS-FEATURE: content digests and one base section, or neither */
	if (bit && r->dg_section < 0)
		return frc_r_fail(r, FRC_E_BAD_FIELD,
				  (r->slot_used ? FRC_SLOT_B_OFFSET
						: FRC_SLOT_A_OFFSET) + 24,
				  "R-BS-FEATURE", "base-snapshot is set but the "
				  "file has no content digests");
	if (bit && r->base_section < 0)
		return frc_r_fail(r, FRC_E_BAD_FIELD,
				  (r->slot_used ? FRC_SLOT_B_OFFSET
						: FRC_SLOT_A_OFFSET) + 24,
				  "R-BS-FEATURE", "base-snapshot is set but the "
				  "file has no base section (type 6)");
	if (!bit && r->base_section >= 0)
		return frc_r_fail(r, FRC_E_BAD_FIELD,
				  frc_r_section_at(r, (uint32_t)r->base_section),
				  "R-BS-FEATURE", "section %d is a base section "
				  "but base-snapshot is not set",
				  r->base_section);
	return FRC_OK;
}

void frc_r_base_free(frc_reader_t *r)
{
	for (uint32_t i = 0; r->regions && i < r->nregions; i++)
		if (r->regions[i].bmap) {
			frc_bm_free(r->regions[i].bmap);
			free(r->regions[i].bmap);
		}
	frc_reader_free(r->base);
	for (uint32_t i = 0; i < r->nbase_dirs; i++)
		free(r->base_dirs[i]);
	free(r->base_dirs);
	free(r->base_path);
	free(r->above);
}

FRC_API int frc_reader_add_base_dir(frc_reader_t *r, const char *dir)
{
	char **grown;

	if (!r || !dir)
		return FRC_MISUSE(r, "the reader or dir is NULL");
	if (r->path)
		return FRC_MISUSE(r, "%s: base directories are given before "
				  "the file is opened", r->path);
	grown = realloc(r->base_dirs, (r->nbase_dirs + 1) * sizeof(*grown));
	if (!grown)
		return frc_fail_plain(FRC_ERR(r), FRC_E_NOMEM, "out of memory");
	r->base_dirs = grown;
	r->base_dirs[r->nbase_dirs] = strdup(dir);
	if (!r->base_dirs[r->nbase_dirs])
		return frc_fail_plain(FRC_ERR(r), FRC_E_NOMEM, "out of memory");
	r->nbase_dirs++;
	return FRC_OK;
}

/* R-BS-SECTION: the base section's fields, in table order. */
static int read_section(frc_reader_t *r, uint8_t *root, char **hint)
{
	const struct frc_section *s = &r->sections[r->base_section];
	uint8_t head[FRC_BS_HEADER];
	uint16_t hl;
	int rc;

	*hint = NULL;
	if (s->length < FRC_BS_HEADER ||
	    (rc = frc_r_read(r, head, FRC_BS_HEADER, s->offset, "base section"))
		    != FRC_OK ||
	    memcmp(head, FRC_BS_MAGIC, 8) != 0)
		return s->length < FRC_BS_HEADER || !rc
			       ? frc_r_fail(r, FRC_E_BAD_FIELD, s->offset,
					    "R-BS-SECTION", "the base section "
					    "does not start with \"FRC-BASE\" "
					    "(or is shorter than 48 bytes)")
			       : rc;
	hl = frc_get16(head + FRC_BS_HINT_LENGTH_AT);
	if (hl > FRC_HINT_MAX)
		return frc_r_fail(r, FRC_E_BAD_FIELD,
				  s->offset + FRC_BS_HINT_LENGTH_AT,
				  "R-BS-SECTION", "hint_length %u is over 4095",
				  hl);
	if (!frc_all_zero(head + FRC_BS_RESERVED_AT, 6))
		return frc_r_fail(r, FRC_E_BAD_FIELD,
				  s->offset + FRC_BS_RESERVED_AT, "R-BS-SECTION",
				  "reserved bytes 42-47 of the base section are "
				  "not zero");
	*hint = calloc(1, (size_t)hl + 1);
	if (!*hint)
		return frc_r_fail(r, FRC_E_NOMEM, 0, NULL, "out of memory");
	if ((rc = frc_r_read(r, *hint, hl, s->offset + FRC_BS_HEADER,
			     "base section")) != FRC_OK && s->length >= 48u + hl)
		return rc;
	if (s->length != (uint64_t)FRC_BS_HEADER + hl)
		return frc_r_fail(r, FRC_E_BAD_FIELD, s->offset, "R-BS-SECTION",
				  "the base section is %llu bytes, not 48 + "
				  "hint_length %u", (unsigned long long)s->length,
				  hl);
	if (!frc_utf8_valid((const uint8_t *)*hint, hl) ||
	    memchr(*hint, 0, hl))
		return frc_r_fail(r, FRC_E_BAD_FIELD,
				  s->offset + FRC_BS_HEADER, "R-BS-SECTION",
				  "the hint is not UTF-8 without NUL");
	memcpy(root, head + FRC_BS_ROOT_AT, FRC_DG_SIZE);
	return FRC_OK;
}

/* The search: where the base may be, in order. */
struct search {
	char **paths;
	size_t n, cap;
};

static int push(struct search *s, char *p)
{
	if (!p)
		return -1;
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 8;
		char **g = realloc(s->paths, cap * sizeof(*g));

		if (!g) {
			free(p);
			return -1;
		}
		s->paths = g;
		s->cap = cap;
	}
	s->paths[s->n++] = p;
	return 0;
}

static char *join(const char *dir, size_t dl, const char *name)
{
	char *p;

	return asprintf(&p, "%.*s%s%s", (int)dl, dir, dl ? "/" : "", name) < 0
		       ? NULL
		       : p;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The hint (relative to this file's directory), then in every directory
 * the caller named: the hint's file name, then every *.frc, by name. */
static int candidates(const frc_reader_t *r, const char *hint,
		      struct search *s)
{
	const char *slash = strrchr(r->path, '/');
	const char *name = strrchr(hint, '/') ? strrchr(hint, '/') + 1 : hint;
	int rc = 0;

	if (*hint)
		rc = push(s, hint[0] == '/' ? strdup(hint)
			     : join(r->path, slash ? (size_t)(slash - r->path)
						   : 0, hint));
	for (uint32_t d = 0; d < r->nbase_dirs && !rc; d++) {
		const char *dir = r->base_dirs[d];
		size_t first = s->n;
		DIR *dp;
		struct dirent *e;

		if (*name)
			rc = push(s, join(dir, strlen(dir), name));
		dp = opendir(dir);
		while (!rc && dp && (e = readdir(dp)) != NULL) {
			size_t l = strlen(e->d_name);

			if (l > 4 && !strcmp(e->d_name + l - 4, ".frc") &&
			    strcmp(e->d_name, name))
				rc = push(s, join(dir, strlen(dir), e->d_name));
		}
		if (dp)
			closedir(dp);
		if (!rc && s->n > first + 1)
			qsort(s->paths + first + (*name ? 1 : 0),
			      s->n - first - (*name ? 1 : 0), sizeof(char *),
			      cmp_str);
	}
	return rc;
}

/* A reader of a base of r: the chain above it, where else to look. */
static frc_reader_t *child_of(const frc_reader_t *r)
{
	frc_reader_t *c = frc_reader_new();
	int ok = c != NULL;

	if (ok) {
		c->chain_child = 1;
		c->defer_chain = 1;
		c->depth = r->depth + 1;
		c->above = malloc((size_t)c->depth * 16);
		ok = c->above != NULL;
	}
	if (ok) {
		/* the UUIDs of the files above the base: R-BS-CYCLE */
		if (r->depth)
			memcpy(c->above, r->above, (size_t)r->depth * 16);
		memcpy(c->above + (size_t)r->depth * 16, r->sb.uuid, 16);
		for (uint32_t i = 0; ok && i < r->nbase_dirs; i++)
			ok = frc_reader_add_base_dir(c, r->base_dirs[i]) ==
			     FRC_OK;
	}
	if (!ok) {
		frc_reader_free(c);
		return NULL;
	}
	return c;
}

/*
 * A base's failure as this file's: the base's message, which names the
 * file of the chain that has the defect, its offset and rule, as it is;
 * the file opened (the top) adds its own name once.
 */
static int base_error(frc_reader_t *r, int rc, frc_reader_t *c)
{
	if (r->depth == 0) /* the file opened: named once, in front */
		return frc_fail_plain(FRC_ERR(r), rc, "%s: in its chain: %s",
				      r->path, frc_reader_errmsg(c));
	return frc_fail_plain(FRC_ERR(r), rc, "%s", frc_reader_errmsg(c));
}

/* R-BS-LAYOUT: the same regions. */
static int same_regions(frc_reader_t *r, frc_reader_t *b)
{
	if (b->nregions != r->nregions)
		return frc_r_fail(r, FRC_E_BASE_MISMATCH, 0, "R-BS-LAYOUT",
				  "its base %s has %u regions, it has %u",
				  b->path, b->nregions, r->nregions);
	for (uint32_t i = 0; i < r->nregions; i++) {
		const struct frc_region *x = &r->regions[i].r,
					*y = &b->regions[i].r;

		if (x->id_length != y->id_length ||
		    memcmp(x->id, y->id, x->id_length) ||
		    x->page_size != y->page_size ||
		    x->used_length != y->used_length)
			return frc_r_fail(r, FRC_E_BASE_MISMATCH, 0,
					  "R-BS-LAYOUT", "region %u is '%s' "
					  "of %llu bytes in pages of %u, in "
					  "its base %s '%s' of %llu in pages "
					  "of %u", i, x->id,
					  (unsigned long long)x->used_length,
					  x->page_size, b->path, y->id,
					  (unsigned long long)y->used_length,
					  y->page_size);
	}
	return FRC_OK;
}

/* The candidate is the hint's file, or one of the hint's file name. */
static bool named(const char *path, const char *hint)
{
	const char *a = strrchr(path, '/'), *b = strrchr(hint, '/');

	return *hint && !strcmp(a ? a + 1 : path, b ? b + 1 : hint);
}

/*
 * R-BS-RESOLVE: the first candidate whose root is `root`. The hint's file,
 * when there is one, is opened and checked like any file (its errors are
 * this file's); other candidates that do not open are passed over.
 */
static int find_base(frc_reader_t *r, const uint8_t *root, const char *hint,
		     struct search *s)
{
	bool other = false;
	int rc = FRC_OK;

	for (size_t k = 0; k < s->n; k++) {
		struct stat st;
		frc_reader_t *c;
		uint8_t got[FRC_DG_SIZE];

		if (stat(s->paths[k], &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		c = child_of(r);
		if (!c)
			return frc_r_fail(r, FRC_E_NOMEM, 0, NULL,
					  "out of memory");
		rc = frc_reader_open(c, s->paths[k], r->flags &
						     ~FRC_OPEN_SALVAGE);
		if (rc && k == 0 && *hint) {
			rc = base_error(r, rc, c);
			frc_reader_free(c);
			return rc;
		}
		if (rc || frc_reader_content_root(c, got) != FRC_OK ||
		    memcmp(got, root, FRC_DG_SIZE) != 0) {
			/* a file where the hint says, or of its name: the
			 * base was replaced; any other file is just another */
			other = other || (!rc && named(s->paths[k], hint));
			frc_reader_free(c);
			continue;
		}
		/* R-BS-CYCLE: a file of the chain met again, by its UUID */
		for (uint32_t i = 0; i < c->depth; i++)
			if (!memcmp(c->sb.uuid, c->above + i * 16, 16)) {
				rc = frc_r_fail(r, FRC_E_CHAIN_CYCLE,
						r->sections[r->base_section].offset,
						"R-BS-CYCLE", "its base %s is %s "
						"(the same file UUID): the chain "
						"has a cycle", s->paths[k],
						i + 1 == c->depth ? "this file"
								  : "a file above "
								    "it");
				frc_reader_free(c);
				return rc;
			}
		/* the base: now its own chain, then its regions */
		c->defer_chain = 0;
		rc = frc_r_base_open(c);
		if (rc) {
			rc = base_error(r, rc, c);
			frc_reader_free(c);
			return rc;
		}
		r->base = c;
		r->base_path = strdup(s->paths[k]);
		return same_regions(r, c);
	}
	return frc_r_fail(r, other ? FRC_E_BASE_MISMATCH : FRC_E_BASE_MISSING,
			  r->sections[r->base_section].offset, "R-BS-RESOLVE",
			  "%s (hint '%s'%s)",
			  other ? "no file offered as its base has the content "
				  "root it names"
				: "its base is not found",
			  hint, r->nbase_dirs ? ", and the base directories"
					      : "; name more places with "
						"FRC_BASE_PATH or --base-dir");
}

int frc_r_base_open(frc_reader_t *r)
{
	uint8_t root[FRC_DG_SIZE];
	struct search s = { NULL, 0, 0 };
	char *hint = NULL;
	int rc;

	if (r->base_section < 0 || r->defer_chain)
		return FRC_OK;
	rc = read_section(r, root, &hint);
	if (rc)
		goto out;
	/* R-BS-DEPTH */
	if (r->depth + 1 > FRC_CHAIN_MAX) {
		rc = frc_r_fail(r, FRC_E_CHAIN_DEPTH,
				r->sections[r->base_section].offset,
				"R-BS-DEPTH", "its base would be the %uth below "
				"the top of the chain; at most %u are read",
				r->depth + 1, FRC_CHAIN_MAX);
		goto out;
	}
	rc = candidates(r, hint, &s) ? frc_r_fail(r, FRC_E_NOMEM, 0, NULL,
						  "out of memory")
				     : find_base(r, root, hint, &s);
out:
	for (size_t k = 0; k < s.n; k++)
		free(s.paths[k]);
	free(s.paths);
	free(hint);
	return rc;
}

int frc_r_base_fill(frc_reader_t *r, uint32_t idx, uint64_t first,
		    uint64_t n, uint8_t *dst)
{
	struct rregion *rg = &r->regions[idx];
	unsigned sh = rg->r.page_shift;

	if (!rg->bmap || !r->base)
		return FRC_OK;
	for (uint64_t a = frc_bm_find(rg->bmap, first, first + n, true);
	     a < first + n;) {
		uint64_t b = frc_bm_find(rg->bmap, a, first + n, false);
		int rc = frc_reader_read_pages(r->base, idx, a, b - a,
					       dst + ((a - first) << sh));

		if (rc)
			return frc_fail_plain(FRC_ERR(r), rc, "%s: page %llu of "
					      "region '%s' is its base's: %s",
					      r->path, (unsigned long long)a,
					      rg->r.id,
					      frc_reader_errmsg(r->base));
		a = frc_bm_find(rg->bmap, b, first + n, true);
	}
	return FRC_OK;
}

FRC_API int frc_reader_base(const frc_reader_t *r, frc_base_info_t *out,
			    size_t size)
{
	frc_base_info_t in;
	const frc_reader_t *b;
	int rc = frc_reader_usable(r, __func__);

	if (rc)
		return rc;
	if (!r->base)
		return frc_fail_plain(FRC_ERR(r), FRC_E_NOT_FOUND,
				      "%s: the file has no base", r->path);
	memset(&in, 0, sizeof(in));
	memcpy(in.root, r->base->root, FRC_ROOT_SIZE);
	in.path = r->base_path;
	for (b = r; b->base; b = b->base)
		in.depth++;
	return frc_abi_out(r, __func__, out, size, &in, sizeof(in),
			   FRC_BASE_INFO_MIN);
}
