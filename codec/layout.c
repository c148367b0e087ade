/*
 * layout.c - where every structure of an open file lies (SPEC "File
 * layout"): the reader's bounds and overlap checks (R-BOUNDS, R-OVERLAP)
 * and frc_reader_layout() work from the one list built here.
 */
#include <stdio.h>
#include <stdlib.h>

#include "reader_internal.h"

static const char *const kind_names[] = {
	[FRC_EXTENT_SIGNATURE] = "signature",
	[FRC_EXTENT_SUPERBLOCK] = "superblock",
	[FRC_EXTENT_FEATURE_TABLE] = "feature-name table",
	[FRC_EXTENT_REGION_TABLE] = "region table",
	[FRC_EXTENT_SECTION_TABLE] = "section table",
	[FRC_EXTENT_BITMAP] = "bitmap",
	[FRC_EXTENT_CHECKSUM_TABLE] = "checksum table",
	[FRC_EXTENT_PAGE_AREA] = "page area",
	[FRC_EXTENT_SECTION] = "section",
	[FRC_EXTENT_FRAME_TABLE] = "frame table",
	[FRC_EXTENT_BASE_MAP] = "base map",
};

/* The fixed area as one piece, for the overlap check only. */
#define FIXED_AREA_KIND 0

static void add(frc_extent_t *v, uint32_t *n, enum frc_extent_kind kind,
		uint32_t index, uint64_t off, uint64_t len)
{
	if (len == 0)
		return;
	v[*n].kind = kind;
	v[*n].kind_name = kind_names[kind];
	v[*n].index = index;
	v[*n].offset = off;
	v[*n].length = len;
	(*n)++;
}

/* "bitmap of region 3", "section 2", "region table" */
static const char *describe(const frc_extent_t *e, char *buf, size_t size)
{
	bool of_region = e->kind == FRC_EXTENT_BITMAP ||
			 e->kind == FRC_EXTENT_CHECKSUM_TABLE ||
			 e->kind == FRC_EXTENT_PAGE_AREA ||
			 e->kind == FRC_EXTENT_FRAME_TABLE ||
			 e->kind == FRC_EXTENT_BASE_MAP;

	if (e->kind == FIXED_AREA_KIND)
		snprintf(buf, size, "the fixed area (signature and "
			 "superblocks)");
	else if (of_region)
		snprintf(buf, size, "%s of region %u", e->kind_name, e->index);
	else if (e->kind == FRC_EXTENT_SECTION)
		snprintf(buf, size, "section %u", e->index);
	else
		snprintf(buf, size, "%s", e->kind_name);
	return buf;
}

static int cmp_extent(const void *a, const void *b)
{
	const frc_extent_t *x = a, *y = b;

	if (x->offset != y->offset)
		return x->offset < y->offset ? -1 : 1;
	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

/* Every structure the superblock and the tables point at, in table order. */
static uint32_t collect(const frc_reader_t *r, frc_extent_t *v)
{
	uint32_t n = 0;

	add(v, &n, FRC_EXTENT_SIGNATURE, 0, 0, FRC_SIGNATURE_SIZE);
	add(v, &n, FRC_EXTENT_SUPERBLOCK, (uint32_t)r->slot_used,
	    r->slot_used ? FRC_SLOT_B_OFFSET : FRC_SLOT_A_OFFSET,
	    r->sb.header_length);
	if (r->other_slot != 0)
		add(v, &n, FRC_EXTENT_SUPERBLOCK, (uint32_t)!r->slot_used,
		    r->slot_used ? FRC_SLOT_A_OFFSET : FRC_SLOT_B_OFFSET,
		    FRC_SLOT_SIZE);
	add(v, &n, FRC_EXTENT_FEATURE_TABLE, 0, r->sb.ft_offset,
	    r->sb.ft_length);
	add(v, &n, FRC_EXTENT_REGION_TABLE, 0, r->sb.rt_offset,
	    r->sb.rt_length);
	add(v, &n, FRC_EXTENT_SECTION_TABLE, 0, r->sb.st_offset,
	    r->sb.st_length);
	for (uint32_t i = 0; i < r->nregions; i++) {
		const struct frc_region *g = &r->regions[i].r;

		if (!g->page_count)
			continue;
		add(v, &n, FRC_EXTENT_BITMAP, i, g->bitmap_offset,
		    frc_bitmap_bytes(g->page_count) + FRC_TRAILER);
		add(v, &n, FRC_EXTENT_CHECKSUM_TABLE, i, g->csum_offset,
		    frc_csum_table_bytes(g->page_count));
		if (g->compression)
			add(v, &n, FRC_EXTENT_FRAME_TABLE, i,
			    g->frame_table_offset,
			    frc_frame_table_bytes(frc_frame_count(g)));
		if (r->sb.incompat & FRC_INCOMPAT_BASE_SNAPSHOT)
			add(v, &n, FRC_EXTENT_BASE_MAP, i, g->base_map_offset,
			    frc_bitmap_bytes(g->page_count) + FRC_TRAILER);
		add(v, &n, FRC_EXTENT_PAGE_AREA, i, g->pages_offset,
		    g->used_length);
	}
	for (uint32_t i = 0; i < r->nsections; i++)
		add(v, &n, FRC_EXTENT_SECTION, i, r->sections[i].offset,
		    r->sections[i].length);
	return n;
}

/*
 * R-BOUNDS for each structure in table order, then R-OVERLAP over the
 * structures sorted by offset, the fixed area counting as one. On success
 * the sorted list becomes the reader's layout.
 */
int frc_layout_check(frc_reader_t *r)
{
	size_t cap = 6 + 5 * (size_t)r->nregions + r->nsections;
	frc_extent_t *v = calloc(cap, sizeof(*v));
	frc_extent_t *o = calloc(cap, sizeof(*o));
	char what[2][80];
	uint32_t n, no = 0;
	int rc = FRC_OK;

	if (!v || !o) {
		free(v);
		free(o);
		return frc_fail_plain(FRC_ERR(r), FRC_E_NOMEM, "out of memory");
	}
	n = collect(r, v);
	o[no++] = (frc_extent_t){ .kind = FIXED_AREA_KIND, .offset = 0,
				  .length = FRC_FIXED_AREA_END };
	for (uint32_t i = 0; i < n && !rc; i++) {
		if (v[i].kind <= FRC_EXTENT_SUPERBLOCK)
			continue; /* inside the fixed area by definition */
		o[no++] = v[i];
		rc = frc_r_check_extent(r, v[i].offset, v[i].length,
					v[i].offset,
					describe(&v[i], what[0], sizeof(what[0])));
	}
	qsort(o, no, sizeof(*o), cmp_extent);
	for (uint32_t i = 1; i < no && !rc; i++)
		if (o[i].offset < o[i - 1].offset + o[i - 1].length)
			rc = frc_fail(FRC_ERR(r), FRC_E_OVERLAP, r->path,
				      o[i].offset, "R-OVERLAP",
				      "%s at 0x%llx overlaps %s [0x%llx, +%llu)",
				      describe(&o[i], what[0], sizeof(what[0])),
				      (unsigned long long)o[i].offset,
				      describe(&o[i - 1], what[1],
					       sizeof(what[1])),
				      (unsigned long long)o[i - 1].offset,
				      (unsigned long long)o[i - 1].length);
	free(o);
	if (rc) {
		free(v);
		return rc;
	}
	qsort(v, n, sizeof(*v), cmp_extent);
	free(r->layout);
	r->layout = v;
	r->nlayout = n;
	return FRC_OK;
}

FRC_API uint32_t frc_reader_layout_count(const frc_reader_t *r)
{
	return r && r->open_ok ? r->nlayout : 0;
}

FRC_API int frc_reader_layout(const frc_reader_t *r, uint32_t index,
			      frc_extent_t *extent, size_t extent_size)
{
	int rc = frc_reader_usable(r, __func__);

	if (rc)
		return rc;
	if (index >= r->nlayout)
		return FRC_MISUSE(r, "%s: no extent %u (the file has %u)",
				  r->path, index, r->nlayout);
	return frc_abi_out(r, __func__, extent, extent_size, &r->layout[index],
			   sizeof(r->layout[index]), FRC_EXTENT_MIN);
}
