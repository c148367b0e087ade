/*
 * gen_identity.c - the recipes of the format 1.3 vectors: content digests
 * and signatures (SPEC "Content identity and signatures"). Each builds a
 * model, adds its digests (vb_add_digests) and, for an invalid vector,
 * changes the model or the digest section afterwards, so that everything
 * else (every XXH3 checksum) stays right and only the rule it names breaks.
 * Never changed once released.
 */
#include <stdlib.h>
#include <string.h>

#include "frc.h"
#include "gen_identity.h"
#include "gen_vectors.h"

#define D 32u

/* The usual victim of gen_recipes.c, with digests: two regions (pc.ram:
 * 12 pages, 1 2 4 5 7 8 10 11 present), a device-state section, metadata. */
static void dg_model(struct vb_file *f)
{
	recipe_base_model(f);
	vb_add_digests(f);
}

/* A region of 512-byte pages whose tree has h = 2: 400 pages, four leaf
 * groups; pages 0, 200 and 399 present. */
static void dg_wide_model(struct vb_file *f)
{
	struct vb_region *r = vb_add_region(f, "wide", 512, 400, VB_NONE);

	r->present[0] = r->present[200] = r->present[399] = 1;
	vb_add_section(f, FRC_SECTION_DEVICE_STATE, 0, "vmstate", "dev", 3);
	vb_add_digests(f);
}

static struct vb_section *dg_section(struct vb_file *f)
{
	for (unsigned i = 0; i < f->nsections; i++)
		if (f->sections[i].type == FRC_SECTION_DIGESTS)
			return &f->sections[i];
	abort();
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* Where region r's stored level 0 starts in the digest section. */
static uint64_t tree_at(struct vb_file *f, unsigned r)
{
	uint32_t ns = 0;
	uint64_t at;

	for (unsigned i = 0; i < f->nsections; i++)
		ns += f->sections[i].type != FRC_SECTION_DIGESTS &&
		      f->sections[i].type != FRC_SECTION_SIGNATURE;
	at = 64 + D * ((uint64_t)f->nregions + ns);
	for (unsigned i = 0; i < r; i++)
		at += D * vb_tree_entries(f->regions[i].used_length /
					  f->regions[i].page_size);
	return at;
}

/* ---- valid ---- */

void v_dg_basic(struct vb_file *f)
{
	dg_model(f);
	vb_render(f);
}

void v_dg_signed(struct vb_file *f)
{
	dg_model(f);
	vb_add_signature(f, 1);
	vb_add_signature(f, 2);
	vb_render(f);
}

void v_dg_compressed(struct vb_file *f)
{
	struct vb_region *r = vb_add_region(f, "pc.ram", 4096, 16,
					    VB_EVERY_THIRD);

	vb_compress(f, r, 2);
	vb_add_region(f, "vga", 65536, 2, VB_ALL);
	vb_add_section(f, FRC_SECTION_DEVICE_STATE, 0, "vmstate",
		       "device-bytes", 12);
	vb_add_digests(f);
	vb_render(f);
}

void v_dg_tall(struct vb_file *f)
{
	/* 16513 pages: levels of 16513, 130 and 2 entries, h = 3 */
	struct vb_region *r = vb_add_region(f, "tall", 512, 16513, VB_NONE);

	r->present[0] = r->present[8256] = r->present[16512] = 1;
	vb_add_digests(f);
	vb_render(f);
}

void v_dg_wide(struct vb_file *f)
{
	dg_wide_model(f);
	vb_render(f);
}

void v_dg_empty(struct vb_file *f)
{
	vb_add_region(f, "nothing", 4096, 0, VB_NONE);
	vb_add_region(f, "zeros", 4096, 3, VB_NONE);
	vb_add_region(f, "one", 4096, 1, VB_ALL);
	vb_add_digests(f);
	vb_render(f);
}

void v_dg_sig_unknown_algo(struct vb_file *f)
{
	struct vb_section *s;

	dg_model(f);
	s = vb_add_signature(f, 1);
	s->data[8] = 2; /* an algorithm this version does not define */
	vb_render(f);
}

void v_dg_covered_flags(struct vb_file *f)
{
	/* a section with reserved flag bits: hashed whole; QEMU sections */
	vb_add_region(f, "pc.ram", 4096, 4, VB_ALL);
	vb_add_section(f, FRC_SECTION_DEVICE_STATE, 0x80000000u, "flagged",
		       "x", 1);
	vb_add_section(f, FRC_SECTION_QEMU, 0, "qemu-stream-tail", "\0", 1);
	vb_add_section(f, FRC_SECTION_DEVICE_STATE, 0, "", "", 0);
	vb_add_digests(f);
	vb_render(f);
}

/* ---- invalid: R-DG-FEATURE, R-SG-SHAPE ---- */

void i_dg_bit_without_section(struct vb_file *f)
{
	vb_add_region(f, "pc.ram", 4096, 12, VB_EVERY_THIRD);
	f->ro_compat |= FRC_RO_COMPAT_CONTENT_DIGESTS;
	f->minor = 3;
	vb_render(f);
}

void i_dg_section_without_bit(struct vb_file *f)
{
	dg_model(f);
	f->ro_compat &= ~FRC_RO_COMPAT_CONTENT_DIGESTS;
	vb_render(f);
}

void i_dg_two_sections(struct vb_file *f)
{
	dg_model(f);
	vb_add_digests(f);
	vb_render(f);
}

void i_sg_without_digests(struct vb_file *f)
{
	uint8_t b[144];

	memset(b, 0, sizeof(b));
	memcpy(b, "FRC-SIGN", 8);
	b[8] = 1;
	vb_add_region(f, "pc.ram", 4096, 12, VB_EVERY_THIRD);
	vb_add_section(f, FRC_SECTION_SIGNATURE, 0, "signature", b, 144);
	f->minor = 3;
	vb_render(f);
}

void i_sg_length(struct vb_file *f)
{
	dg_model(f);
	vb_add_signature(f, 1)->length = 143;
	vb_render(f);
}

void i_sg_magic(struct vb_file *f)
{
	dg_model(f);
	vb_add_signature(f, 1)->data[7] = 'X';
	vb_render(f);
}

void i_sg_reserved(struct vb_file *f)
{
	dg_model(f);
	vb_add_signature(f, 1)->data[15] = 1;
	vb_render(f);
}

/* ---- invalid: the digest section's header and length ---- */

static void dg_patch(struct vb_file *f, unsigned at, uint8_t v)
{
	dg_model(f);
	dg_section(f)->data[at] = v;
	vb_render(f);
}

void i_dg_magic(struct vb_file *f) { dg_patch(f, 3, 'x'); }
void i_dg_algorithm(struct vb_file *f) { dg_patch(f, 8, 2); }
void i_dg_fanout(struct vb_file *f) { dg_patch(f, 9, 6); }
void i_dg_reserved10(struct vb_file *f) { dg_patch(f, 10, 1); }
void i_dg_reserved31(struct vb_file *f) { dg_patch(f, 31, 1); }

void i_dg_region_count(struct vb_file *f)
{
	dg_model(f);
	put32(dg_section(f)->data + 12, 3);
	vb_render(f);
}

void i_dg_section_count(struct vb_file *f)
{
	dg_model(f);
	put32(dg_section(f)->data + 16, 1);
	vb_render(f);
}

void i_dg_length_long(struct vb_file *f)
{
	struct vb_section *s;
	uint8_t *grown;

	dg_model(f);
	s = dg_section(f);
	grown = realloc(s->data, s->length + D);
	if (!grown)
		abort();
	memset(grown + s->length, 0, D);
	s->data = grown;
	s->length += D;
	vb_render(f);
}

void i_dg_length_short(struct vb_file *f)
{
	dg_model(f);
	dg_section(f)->length -= D;
	vb_render(f);
}

void i_dg_tiny(struct vb_file *f)
{
	dg_model(f);
	dg_section(f)->length = 40;
	vb_render(f);
}

/* ---- invalid: R-DG-ROOT ---- */

void i_dg_root(struct vb_file *f) { dg_patch(f, 32 + 31, 0x5a); }

void i_dg_region_root(struct vb_file *f)
{
	dg_model(f);
	dg_section(f)->data[64 + D + 7] ^= 1; /* vga's root */
	vb_render(f);
}

void i_dg_empty_region_root(struct vb_file *f)
{
	struct vb_section *s;

	vb_add_region(f, "pc.ram", 4096, 4, VB_ALL);
	vb_add_region(f, "nothing", 4096, 0, VB_NONE);
	vb_add_digests(f);
	s = dg_section(f);
	/* the empty region's root flipped, the file's root computed from
	 * it: only the rule for regions without pages can tell */
	s->data[64 + D] ^= 0x80;
	vb_digests_reroot(f, s);
	vb_render(f);
}

void i_dg_order_region_count_root(struct vb_file *f)
{
	/* two defects: region_count wrong and the root wrong: the header
	 * fields come first */
	dg_model(f);
	put32(dg_section(f)->data + 12, 1);
	dg_section(f)->data[40] ^= 1;
	vb_render(f);
}

/* ---- invalid: R-DG-LEAF (the model changed after its digests) ---- */

static void leaf_change(struct vb_file *f, uint64_t page, uint8_t to)
{
	dg_model(f);
	f->regions[0].present[page] = to;
	vb_render(f);
}

void i_dg_leaf_first(struct vb_file *f) { leaf_change(f, 1, 2); }
void i_dg_leaf_middle(struct vb_file *f) { leaf_change(f, 5, 2); }
void i_dg_leaf_last(struct vb_file *f) { leaf_change(f, 11, 2); }
void i_dg_leaf_absent(struct vb_file *f) { leaf_change(f, 7, 0); }

void i_dg_leaf_seed(struct vb_file *f)
{
	/* every page of vga other than digested: the first one fails */
	dg_model(f);
	f->regions[1].seed ^= 0x55;
	vb_render(f);
}

void i_dg_leaf_compressed(struct vb_file *f)
{
	struct vb_region *r = vb_add_region(f, "pc.ram", 4096, 16,
					    VB_EVERY_THIRD);

	vb_compress(f, r, 2);
	vb_add_digests(f);
	r->present[13] = 2; /* frame 3: compressed again from zeros */
	vb_render(f);
}

/* ---- invalid: R-DG-NODE (a stored entry changed) ---- */

static void node_flip(struct vb_file *f, uint64_t entry)
{
	dg_wide_model(f);
	dg_section(f)->data[tree_at(f, 0) + entry * D + 3] ^= 0x10;
	vb_render(f);
}

/* 400 leaves in groups 0-3, then the 4 entries of level 1 */
void i_dg_node_first(struct vb_file *f) { node_flip(f, 0); }
void i_dg_node_middle(struct vb_file *f) { node_flip(f, 200); }
void i_dg_node_last(struct vb_file *f) { node_flip(f, 399); }
void i_dg_node_top(struct vb_file *f) { node_flip(f, 400 + 2); }

void i_dg_node_level1(struct vb_file *f)
{
	struct vb_region *r = vb_add_region(f, "tall", 512, 16513, VB_NONE);

	r->present[0] = r->present[8256] = r->present[16512] = 1;
	vb_add_digests(f);
	/* level 1 starts after the 16513 leaves: entry 64 of 130 */
	dg_section(f)->data[tree_at(f, 0) + (16513 + 64) * D] ^= 1;
	vb_render(f);
}

/* ---- invalid: R-DG-SECT ---- */

void i_dg_sect_first(struct vb_file *f)
{
	dg_model(f);
	f->sections[0].data[0] ^= 1; /* vmstate */
	vb_render(f);
}

void i_dg_sect_last(struct vb_file *f)
{
	dg_model(f);
	f->sections[1].data[f->sections[1].length - 1] ^= 1; /* metadata */
	vb_render(f);
}

void i_dg_sect_flags(struct vb_file *f)
{
	dg_model(f);
	f->sections[0].flags |= 0x100; /* a reserved flag bit: covered too */
	vb_render(f);
}

void i_dg_sect_name(struct vb_file *f)
{
	dg_model(f);
	f->sections[0].name[0] = 'V';
	vb_render(f);
}

/* ---- order of checks ---- */

void i_dg_order_leaf_before_csum(struct vb_file *f)
{
	/* page 1's leaf fails, page 4's checksum entry fails: page 1 first */
	dg_model(f);
	f->regions[0].present[1] = 2;
	vb_render(f);
	f->buf[f->regions[0].csum_offset + 8 * 4] ^= 1;
	vb_put64(f->buf + f->regions[0].csum_offset + 8 * 12,
		 vb_hash(f->buf + f->regions[0].csum_offset, 8 * 12,
			 vb_key(f->uuid, "FRC-CSUM", 0, 0)));
}

void i_dg_order_csum_before_leaf(struct vb_file *f)
{
	/* page 2's bytes changed (its checksum fails first), page 4's leaf */
	dg_model(f);
	f->regions[0].present[4] = 2;
	vb_render(f);
	f->buf[f->regions[0].pages_offset + 2 * 4096 + 9] ^= 1;
}

void i_dg_order_page_before_section(struct vb_file *f)
{
	/* the last page's leaf and the first section's checksum: every
	 * page comes before any section */
	dg_model(f);
	f->regions[1].present[1] = 2;
	vb_render(f);
	f->buf[f->sections[0].offset + 3] ^= 1;
}

/* ---- future: what a 1.2 reader sees ---- */

void f_dg_seen_by_12(struct vb_file *f)
{
	v_dg_signed(f);
}
