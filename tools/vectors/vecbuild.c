/*
 * vecbuild.c - the test-vector file builder (see vecbuild.h). Written from
 * SPEC.adoc; deliberately independent of codec/.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>
#include <zstd.h>

#include "frc.h"
#include "vecbuild.h"

#define FIXED_END 12288u

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p) {
		fprintf(stderr, "frc-gen-vectors: out of memory\n");
		exit(1);
	}
	return p;
}

void vb_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

void vb_put32(uint8_t *p, uint32_t v)
{
	vb_put16(p, (uint16_t)v);
	vb_put16(p + 2, (uint16_t)(v >> 16));
}

void vb_put64(uint8_t *p, uint64_t v)
{
	vb_put32(p, (uint32_t)v);
	vb_put32(p + 4, (uint32_t)(v >> 32));
}

uint64_t vb_get64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static uint64_t up(uint64_t v, uint64_t a)
{
	return (v + a - 1) / a * a;
}

uint64_t vb_hash(const void *p, size_t n, uint64_t seed)
{
	return XXH3_64bits_withSeed(p, n, seed);
}

/* SPEC §7.2: H(tag || uuid || le64(a) || le64(b), 0). */
uint64_t vb_key(const uint8_t uuid[16], const char tag[8], uint64_t a,
		uint64_t b)
{
	uint8_t in[40];

	memcpy(in, tag, 8);
	memcpy(in + 8, uuid, 16);
	vb_put64(in + 24, a);
	vb_put64(in + 32, b);
	return vb_hash(in, sizeof(in), 0);
}

void vb_init(struct vb_file *f, unsigned n)
{
	memset(f, 0, sizeof(*f));
	f->major = 1;
	f->minor = 0;
	f->header_length = 256;
	f->seq_a = 3;
	f->seq_b = 2;
	for (int i = 0; i < 16; i++)
		f->uuid[i] = (uint8_t)(0x40 + i);
	f->uuid[14] = (uint8_t)(n >> 8);
	f->uuid[15] = (uint8_t)n;
	f->uuid[6] = 0x4f; /* version 4 */
	f->uuid[8] = 0x8f;
	f->create_time = UINT64_C(1795000000000000000);
	f->commit_time = UINT64_C(1795000060000000000);
	f->alignment = 4096;
	f->algorithm = 1;
	strcpy(f->generator, "frc-gen-vectors 1");
	vb_add_feature_name(f, 0, 0, "incomplete");
}

void vb_free(struct vb_file *f)
{
	for (unsigned i = 0; i < f->nregions; i++) {
		free(f->regions[i].present);
		free(f->regions[i].frame_raw);
	}
	for (unsigned i = 0; i < f->nsections; i++)
		free(f->sections[i].data);
	free(f->buf);
	memset(f, 0, sizeof(*f));
}

void vb_add_feature_name(struct vb_file *f, uint8_t kind, uint8_t bit,
			 const char *name)
{
	struct vb_feature *e = &f->features[f->nfeatures++];

	e->kind = kind;
	e->bit = bit;
	snprintf(e->name, sizeof(e->name), "%s", name);
}

struct vb_region *vb_add_region_raw(struct vb_file *f, const void *id,
				    size_t id_length, uint32_t page_size,
				    uint64_t pages, enum vb_pattern pattern)
{
	struct vb_region *r = &f->regions[f->nregions];

	memset(r, 0, sizeof(*r));
	memcpy(r->id, id, id_length);
	r->id_length = id_length;
	r->page_size = page_size;
	r->used_length = pages * page_size;
	r->seed = 0x1000 + f->nregions;
	r->present = xcalloc(pages, 1);
	for (uint64_t i = 0; i < pages; i++)
		r->present[i] = pattern == VB_ALL ||
				(pattern == VB_EVERY_THIRD && i % 3 != 0) ||
				(pattern == VB_FIRST && i == 0);
	f->nregions++;
	return r;
}

struct vb_region *vb_add_region(struct vb_file *f, const char *id,
				uint32_t page_size, uint64_t pages,
				enum vb_pattern pattern)
{
	return vb_add_region_raw(f, id, strlen(id), page_size, pages, pattern);
}

struct vb_section *vb_add_section(struct vb_file *f, uint32_t type,
				  uint32_t flags, const char *name,
				  const void *data, uint64_t length)
{
	struct vb_section *s = &f->sections[f->nsections++];

	memset(s, 0, sizeof(*s));
	s->type = type;
	s->flags = flags;
	s->name_length = name ? strlen(name) : 0;
	memcpy(s->name, name ? name : "", s->name_length);
	s->data = xcalloc(length, 1);
	memcpy(s->data, data, length);
	s->length = length;
	return s;
}

void vb_add_meta(struct vb_file *f, const char *key, const char *value)
{
	struct vb_section *s = NULL;
	size_t kl = strlen(key), vl = strlen(value);
	uint8_t *grown;

	for (unsigned i = 0; i < f->nsections; i++)
		if (f->sections[i].type == FRC_SECTION_METADATA)
			s = &f->sections[i];
	if (!s)
		s = vb_add_section(f, FRC_SECTION_METADATA, 0, NULL, "", 0);
	grown = xcalloc(s->length + 6 + kl + vl, 1);
	memcpy(grown, s->data, s->length);
	vb_put16(grown + s->length, (uint16_t)kl);
	vb_put32(grown + s->length + 2, (uint32_t)vl);
	memcpy(grown + s->length + 6, key, kl);
	memcpy(grown + s->length + 6 + kl, value, vl);
	free(s->data);
	s->data = grown;
	s->length += 6 + kl + vl;
}

/* Page contents: pseudo-random in the first 4 KiB; larger pages repeat
 * that block with the block number in its first 8 bytes (unique, yet
 * compressible in the repository). */
void vb_page_fill(uint8_t *buf, uint32_t page_size, uint64_t seed,
		  uint64_t i)
{
	uint64_t s = (seed * 0x9e3779b97f4a7c15u) ^ (i * 0xc2b2ae3d27d4eb4fu) ^ 1;
	uint32_t block = page_size < 4096 ? page_size : 4096;

	if (seed & VB_TEXT) { /* compressible: numbered lines of text */
		char line[64];
		uint32_t k = 0;

		for (unsigned n = 0; k < page_size; n++) {
			int len = snprintf(line, sizeof(line),
					   "seed %llx page %llu line %u\n",
					   (unsigned long long)(seed & ~VB_TEXT),
					   (unsigned long long)i, n);

			for (int j = 0; j < len && k < page_size; j++)
				buf[k++] = (uint8_t)line[j];
		}
		return;
	}

	for (uint32_t k = 0; k < block; k += 8) {
		s ^= s >> 12;
		s ^= s << 25;
		s ^= s >> 27;
		uint64_t v = s * UINT64_C(2685821657736338717);

		for (uint32_t j = 0; j < 8 && k + j < block; j++)
			buf[k + j] = (uint8_t)(v >> (8 * j));
	}
	for (uint32_t k = block; k < page_size; k += block) {
		memcpy(buf + k, buf, block);
		vb_put64(buf + k, k / block);
	}
}

static uint64_t page_count(const struct vb_region *r)
{
	return r->used_length / r->page_size;
}

static uint64_t bitmap_bytes(uint64_t pages)
{
	return up((pages + 7) / 8, 8);
}

static uint64_t max_u64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

static uint64_t frame_count(const struct vb_region *r)
{
	uint64_t per = UINT64_C(1) << r->frame_shift;

	return (page_count(r) + per - 1) / per;
}

static uint64_t frame_table_bytes(const struct vb_region *r)
{
	return r->compression && page_count(r) ? 16 * frame_count(r) + 8 : 0;
}

void vb_compress(struct vb_file *f, struct vb_region *r, uint8_t frame_shift)
{
	r->compression = 1;
	r->frame_shift = frame_shift;
	r->seed |= VB_TEXT; /* pages that compress */
	r->frame_raw = xcalloc(frame_count(r) + 1, 1);
	if (!(f->incompat & 4)) {
		f->incompat |= 4;
		f->minor = 2;
		vb_add_feature_name(f, 0, 2, "compressed-frames");
	}
}

void vb_frame_raw(struct vb_region *r, uint64_t frame)
{
	r->frame_raw[frame] = 1;
}

uint8_t *vb_frame_entry(struct vb_file *f, unsigned r, uint64_t frame)
{
	return f->buf + f->regions[r].frame_table_offset + 16 * frame;
}

uint8_t *vb_frame_slot(struct vb_file *f, unsigned r, uint64_t frame)
{
	const struct vb_region *g = &f->regions[r];

	return f->buf + g->pages_offset +
	       (frame << g->frame_shift) * g->page_size;
}

bool vb_page_stored(uint8_t state)
{
	return state == VB_PAGE_PRESENT || state == VB_PAGE_ZERO ||
	       state == VB_PAGE_OTHER;
}

void vb_page_bytes(const struct vb_region *r, uint64_t i, uint8_t *buf)
{
	switch (r->present[i]) {
	case VB_PAGE_PRESENT:
		vb_page_fill(buf, r->page_size, r->seed, i);
		break;
	case VB_PAGE_OTHER:
		vb_page_fill(buf, r->page_size, r->seed ^ VB_OTHER, i);
		break;
	case VB_PAGE_BASE: /* zeros when the model has no base */
		if (r->base)
			vb_page_bytes(r->base, i, buf);
		else
			memset(buf, 0, r->page_size);
		break;
	default:
		memset(buf, 0, r->page_size);
	}
}

void vb_set_base(struct vb_file *f, const struct vb_file *base,
		 const uint8_t root[32], const char *hint)
{
	size_t hl = strlen(hint);
	uint8_t *b = xcalloc(48 + hl, 1);

	f->incompat |= 8;
	if (f->minor < 3)
		f->minor = 3;
	for (unsigned i = 0; i < f->nregions && i < base->nregions; i++)
		f->regions[i].base = &base->regions[i];
	memcpy(b, "FRC-BASE", 8);
	memcpy(b + 8, root, 32);
	b[40] = (uint8_t)hl;
	b[41] = (uint8_t)(hl >> 8);
	memcpy(b + 48, hint, hl);
	vb_add_section(f, 6, 0, "base", b, 48 + hl);
	free(b);
}

void vb_layout(struct vb_file *f)
{
	uint64_t off = FIXED_END, end = FIXED_END;

	f->ft_length = f->nfeatures ? 48u * f->nfeatures + 8 : 0;
	if (f->nfeatures && !f->ft_offset) {
		f->ft_offset = off;
		off += f->ft_length;
	}
	f->rt_length = 0;
	for (unsigned i = 0; i < f->nregions; i++)
		f->rt_length += 64 + up(f->regions[i].id_length, 8);
	if (f->nregions) {
		f->rt_length += 8;
		if (!f->rt_offset) {
			f->rt_offset = off;
			off += f->rt_length;
		}
	}
	for (unsigned i = 0; i < f->nregions; i++) {
		struct vb_region *r = &f->regions[i];
		uint64_t n = page_count(r);

		if (!n)
			continue;
		if (!r->bitmap_offset) {
			r->bitmap_offset = off;
			off += bitmap_bytes(n) + 8;
		}
		if (!r->csum_offset) {
			r->csum_offset = off;
			off += n * 8 + 8;
		}
		if (frame_table_bytes(r) && !r->frame_table_offset) {
			r->frame_table_offset = off;
			off += frame_table_bytes(r);
		}
		if ((f->incompat & 8) && !r->base_map_offset) {
			r->base_map_offset = off;
			off += bitmap_bytes(n) + 8;
		}
	}
	for (unsigned i = 0; i < f->nregions; i++) {
		struct vb_region *r = &f->regions[i];

		if (!page_count(r))
			continue;
		if (!r->pages_offset) {
			r->pages_offset =
				up(off, max_u64(f->alignment, r->page_size));
			off = r->pages_offset + r->used_length;
		}
		end = max_u64(end, r->pages_offset + r->used_length);
		end = max_u64(end, r->bitmap_offset + bitmap_bytes(page_count(r)) + 8);
		end = max_u64(end, r->csum_offset + page_count(r) * 8 + 8);
		if (frame_table_bytes(r))
			end = max_u64(end, r->frame_table_offset +
						   frame_table_bytes(r));
		if (r->base_map_offset)
			end = max_u64(end, r->base_map_offset +
						   bitmap_bytes(page_count(r)) + 8);
	}
	off = up(max_u64(off, end), 8);
	for (unsigned i = 0; i < f->nsections; i++) {
		struct vb_section *s = &f->sections[i];

		if (s->length && !s->offset) {
			s->offset = off;
			off = up(off + s->length, 8);
		}
		end = max_u64(end, s->offset + s->length);
	}
	f->st_length = 0;
	for (unsigned i = 0; i < f->nsections; i++)
		f->st_length += 40 + up(f->sections[i].name_length, 8);
	if (f->nsections) {
		f->st_length += 8;
		if (!f->st_offset) {
			f->st_offset = up(max_u64(off, end), 8);
		}
		end = max_u64(end, f->st_offset + f->st_length);
	}
	end = max_u64(end, off);
	end = max_u64(end, f->ft_offset + f->ft_length);
	end = max_u64(end, f->rt_offset + f->rt_length);
	f->file_length = end;
}

static void render_superblock(struct vb_file *f, uint8_t *p, uint64_t seq)
{
	memcpy(p, "FRCSUPER", 8);
	vb_put16(p + 8, f->major);
	vb_put16(p + 10, f->minor);
	vb_put32(p + 12, f->header_length);
	vb_put64(p + 16, seq);
	vb_put64(p + 24, f->incompat);
	vb_put64(p + 32, f->ro_compat);
	vb_put64(p + 40, f->compat);
	memcpy(p + 48, f->uuid, 16);
	vb_put64(p + 64, f->create_time);
	vb_put64(p + 72, f->commit_time);
	vb_put64(p + 80, f->file_length);
	vb_put32(p + 88, f->alignment);
	p[92] = f->algorithm;
	vb_put64(p + 96, f->rt_offset);
	vb_put32(p + 104, (uint32_t)f->rt_length);
	vb_put32(p + 108, f->nregions);
	vb_put64(p + 112, f->st_offset);
	vb_put32(p + 120, (uint32_t)f->st_length);
	vb_put32(p + 124, f->nsections);
	vb_put64(p + 128, f->ft_offset);
	vb_put32(p + 136, (uint32_t)f->ft_length);
	memcpy(p + 144, f->generator, strnlen(f->generator, 64));
}

static void render_region(struct vb_file *f, unsigned idx)
{
	struct vb_region *r = &f->regions[idx];
	uint64_t n = page_count(r);
	uint8_t *bm = f->buf + r->bitmap_offset;
	uint8_t *cs = f->buf + r->csum_offset;

	for (uint64_t i = 0; i < n; i++) {
		uint8_t *slot = f->buf + r->pages_offset + i * r->page_size;

		if (r->present[i] == VB_PAGE_BASE && r->base_map_offset)
			f->buf[r->base_map_offset + i / 8] |=
				(uint8_t)(1u << (i % 8));
		if (!vb_page_stored(r->present[i]))
			continue;
		bm[i / 8] |= (uint8_t)(1u << (i % 8));
		vb_page_bytes(r, i, slot);
		vb_put64(cs + 8 * i,
			 vb_hash(slot, r->page_size,
				 vb_key(f->uuid, "FRC-PAGE", idx, i)));
	}
}

/*
 * The frames of a compressed region, from the raw pages render_region()
 * placed: absent frames stay holes, the others are compressed in place
 * (the rest of the slot zeroed) or left raw.
 */
static void render_frames(struct vb_file *f, unsigned idx)
{
	struct vb_region *r = &f->regions[idx];
	uint64_t per = UINT64_C(1) << r->frame_shift, n = page_count(r);

	for (uint64_t fr = 0; fr < frame_count(r); fr++) {
		uint64_t first = fr * per, pages = n - first < per ? n - first : per;
		size_t len = (size_t)(pages * r->page_size);
		uint8_t *slot = vb_frame_slot(f, idx, fr);
		uint8_t *e = vb_frame_entry(f, idx, fr);
		size_t cap = ZSTD_compressBound(len), clen;
		uint8_t *c;
		bool any = false;

		for (uint64_t i = first; i < first + pages; i++)
			any |= vb_page_stored(r->present[i]);
		if (!any)
			continue; /* absent: entry all zero */
		c = xcalloc(cap, 1);
		clen = ZSTD_compress(c, cap, slot, len, 3);
		if (ZSTD_isError(clen) || clen >= len || r->frame_raw[fr]) {
			vb_put32(e, (uint32_t)len);
			e[4] = 1;
		} else {
			memset(slot, 0, len);
			memcpy(slot, c, clen);
			vb_put32(e, (uint32_t)clen);
			e[4] = 2;
			vb_put64(e + 8, vb_hash(slot, clen,
						vb_key(f->uuid, "FRC-FRAM", idx,
						       fr)));
		}
		free(c);
	}
}

void vb_reseal_frames(struct vb_file *f)
{
	for (unsigned i = 0; i < f->nregions; i++) {
		struct vb_region *r = &f->regions[i];

		for (uint64_t fr = 0; frame_table_bytes(r) && fr < frame_count(r);
		     fr++) {
			uint8_t *e = vb_frame_entry(f, i, fr);
			uint32_t len = (uint32_t)vb_get64(e) & 0xffffffffu;

			if (e[4] == 2)
				vb_put64(e + 8, vb_hash(vb_frame_slot(f, i, fr),
							len,
							vb_key(f->uuid,
							       "FRC-FRAM", i,
							       fr)));
		}
	}
}

static void render_tables(struct vb_file *f)
{
	uint64_t pos = f->rt_offset;

	for (unsigned i = 0; i < f->nfeatures; i++) {
		uint8_t *p = f->buf + f->ft_offset + 48u * i;

		p[0] = f->features[i].kind;
		p[1] = f->features[i].bit;
		memcpy(p + 8, f->features[i].name, strlen(f->features[i].name));
	}
	for (unsigned i = 0; i < f->nregions; i++) {
		struct vb_region *r = &f->regions[i];
		uint8_t *p = f->buf + pos;

		r->entry_offset = pos;
		vb_put64(p, r->used_length);
		vb_put32(p + 8, r->page_size);
		vb_put16(p + 12, (uint16_t)r->id_length);
		if (page_count(r)) {
			vb_put64(p + 16, r->bitmap_offset);
			vb_put64(p + 24, r->csum_offset);
			vb_put64(p + 32, r->pages_offset);
		}
		p[40] = r->compression;
		p[41] = r->frame_shift;
		vb_put64(p + 48, r->frame_table_offset);
		if (r->base_map_offset)
			vb_put64(p + 56, r->base_map_offset);
		memcpy(p + 64, r->id, r->id_length);
		pos += 64 + up(r->id_length, 8);
	}
	pos = f->st_offset;
	for (unsigned i = 0; i < f->nsections; i++) {
		struct vb_section *s = &f->sections[i];
		uint8_t *p = f->buf + pos;

		s->entry_offset = pos;
		if (s->length)
			memcpy(f->buf + s->offset, s->data, s->length);
		vb_put32(p, s->type);
		vb_put32(p + 4, s->flags);
		vb_put64(p + 8, s->length ? s->offset : 0);
		vb_put64(p + 16, s->length);
		vb_put16(p + 32, (uint16_t)s->name_length);
		memcpy(p + 40, s->name, s->name_length);
		pos += 40 + up(s->name_length, 8);
	}
}

void vb_render(struct vb_file *f)
{
	vb_layout(f);
	free(f->buf);
	f->buf = xcalloc(f->file_length, 1);
	f->size = f->file_length;
	memcpy(f->buf, "\x89" "FRC\r\n\x1a\n", 8);
	render_tables(f);
	for (unsigned i = 0; i < f->nregions; i++)
		if (page_count(&f->regions[i])) {
			render_region(f, i);
			if (f->regions[i].compression)
				render_frames(f, i);
		}
	if (f->seq_a)
		render_superblock(f, vb_slot(f, 0), f->seq_a);
	if (f->seq_b)
		render_superblock(f, vb_slot(f, 1), f->seq_b);
	vb_reseal(f);
}

uint8_t *vb_slot(struct vb_file *f, int b)
{
	return f->buf + (b ? 8192 : 4096);
}

/* The checksum of a table's bytes before its trailer, into the trailer. */
static void seal(struct vb_file *f, uint64_t off, uint64_t len,
		 const char tag[8], uint64_t a)
{
	if (!len || off + len > f->file_length)
		return;
	vb_put64(f->buf + off + len - 8,
		 vb_hash(f->buf + off, len - 8, vb_key(f->uuid, tag, a, 0)));
}

void vb_reseal_superblocks(struct vb_file *f)
{
	for (int b = 0; b < 2; b++) {
		uint8_t *p = vb_slot(f, b);
		uint32_t hl = (uint32_t)p[12] | (uint32_t)p[13] << 8 |
			      (uint32_t)p[14] << 16 | (uint32_t)p[15] << 24;

		if (hl >= 16 && hl <= 4096 && hl % 8 == 0)
			vb_put64(p + hl - 8, vb_hash(p, hl - 8, 0));
	}
}

void vb_reseal(struct vb_file *f)
{
	for (unsigned i = 0; i < f->nsections; i++) {
		uint8_t *e = f->buf + f->sections[i].entry_offset;
		uint64_t off = vb_get64(e + 8), len = vb_get64(e + 16);
		uint32_t type = (uint32_t)vb_get64(e);
		bool inside = off <= f->file_length && len <= f->file_length - off;

		vb_put64(e + 24, vb_hash(inside ? f->buf + off : f->buf,
					 inside ? len : 0,
					 vb_key(f->uuid, "FRC-SECT", i, type)));
	}
	seal(f, f->ft_offset, f->ft_length, "FRC-FTAB", 0);
	seal(f, f->rt_offset, f->rt_length, "FRC-RTAB", 0);
	seal(f, f->st_offset, f->st_length, "FRC-STAB", 0);
	for (unsigned i = 0; i < f->nregions; i++) {
		struct vb_region *r = &f->regions[i];
		uint64_t n = page_count(r);

		if (!n)
			continue;
		seal(f, r->bitmap_offset, bitmap_bytes(n) + 8, "FRC-BMAP", i);
		seal(f, r->csum_offset, n * 8 + 8, "FRC-CSUM", i);
		seal(f, r->frame_table_offset, frame_table_bytes(r), "FRC-FTBL",
		     i);
		if (r->base_map_offset)
			seal(f, r->base_map_offset, bitmap_bytes(n) + 8,
			     "FRC-BASM", i);
	}
	vb_reseal_superblocks(f);
}
