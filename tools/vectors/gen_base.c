/*
 * gen_base.c - the recipes of the format 1.3 vectors of snapshots on a
 * base (SPEC "Snapshots on a base"): chains of vector files that name each
 * other by content root and by a hint (their file names), the deepest
 * chain allowed and one base more, and the defects a reader must refuse
 * with their classes. Models of the bases are kept for the whole run:
 * the tops' pages are read through them. Never changed once released.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frc.h"
#include "gen_base.h"

/* The root of a model that has digests (vb_add_digests). */
static const uint8_t *root_of(const struct vb_file *f)
{
	for (unsigned i = f->nsections; i-- > 0;)
		if (f->sections[i].type == FRC_SECTION_DIGESTS)
			return f->sections[i].data + 32;
	abort();
}

static struct vb_section *section_of(struct vb_file *f, uint32_t type)
{
	for (unsigned i = 0; i < f->nsections; i++)
		if (f->sections[i].type == type)
			return &f->sections[i];
	abort();
}

/* B0: two regions, every page present, a device state, metadata. */
static void base_model(struct vb_file *f)
{
	vb_add_region(f, "pc.ram", 4096, 16, VB_ALL);
	vb_add_region(f, "vga", 65536, 2, VB_ALL);
	vb_add_section(f, FRC_SECTION_DEVICE_STATE, 0, "vmstate", "base-state",
		       10);
	vb_add_meta(f, "hypervisor", "frc-gen-vectors");
	vb_add_digests(f);
}

static const struct vb_file *base0(void)
{
	static struct vb_file f;
	static int made;

	if (!made) {
		vb_init(&f, 9000);
		base_model(&f);
		made = 1;
	}
	return &f;
}

/* T1 on B0: pages 4 and 10 of pc.ram and page 1 of vga changed, page 7
 * zeroed, the rest unchanged from the base. */
static void top1_model(struct vb_file *f, const char *hint)
{
	struct vb_region *r = vb_add_region(f, "pc.ram", 4096, 16, VB_ALL);
	struct vb_region *v = vb_add_region(f, "vga", 65536, 2, VB_ALL);

	vb_add_section(f, FRC_SECTION_DEVICE_STATE, 0, "vmstate", "top1-state",
		       10);
	vb_add_meta(f, "hypervisor", "frc-gen-vectors");
	vb_set_base(f, base0(), root_of(base0()), hint);
	for (uint64_t i = 0; i < 16; i++)
		r->present[i] = VB_PAGE_BASE;
	r->present[4] = r->present[10] = VB_PAGE_OTHER;
	r->present[7] = VB_PAGE_ABSENT;
	v->present[0] = VB_PAGE_BASE;
	v->present[1] = VB_PAGE_OTHER;
	vb_add_digests(f);
}

static const struct vb_file *top1(void)
{
	static struct vb_file f;
	static int made;

	if (!made) {
		vb_init(&f, 9001);
		top1_model(&f, "057-chain-base.frc");
		made = 1;
	}
	return &f;
}

void v_bs_base(struct vb_file *f)
{
	base_model(f);
	vb_render(f);
}

void v_bs_top(struct vb_file *f)
{
	top1_model(f, "057-chain-base.frc");
	vb_render(f);
}

/* T2 on T1: page 12 of pc.ram changed (another seed), everything else
 * unchanged from T1 (so from B0 where T1 takes it from there). */
void v_bs_second(struct vb_file *f)
{
	struct vb_region *r = vb_add_region(f, "pc.ram", 4096, 16, VB_ALL);
	struct vb_region *v = vb_add_region(f, "vga", 65536, 2, VB_ALL);

	vb_add_section(f, FRC_SECTION_DEVICE_STATE, 0, "vmstate", "top2-state",
		       10);
	vb_set_base(f, top1(), root_of(top1()), "058-chain-top.frc");
	r->seed += 77;
	for (uint64_t i = 0; i < 16; i++)
		r->present[i] = VB_PAGE_BASE;
	r->present[12] = VB_PAGE_OTHER;
	v->present[0] = v->present[1] = VB_PAGE_BASE;
	vb_add_digests(f);
	vb_render(f);
}

/* ---- the deepest chain: d0 (no base) to d16 (16 bases), d17 one more */

static const struct vb_file *deep(unsigned k);

static void deep_model(struct vb_file *f, unsigned k)
{
	struct vb_region *r = vb_add_region(f, "r", 512, 2, VB_ALL);
	char hint[64];

	r->seed += k;
	if (k) {
		snprintf(hint, sizeof(hint), "%03u-chain-depth-%u.frc",
			 k - 1 <= 16 ? 60 + k - 1 : 0, k - 1);
		vb_set_base(f, deep(k - 1), root_of(deep(k - 1)), hint);
		r->present[0] = VB_PAGE_BASE;
		r->present[1] = VB_PAGE_OTHER;
	}
	vb_add_digests(f);
}

static const struct vb_file *deep(unsigned k)
{
	static struct vb_file f[18];
	static int made[18];

	if (!made[k]) {
		vb_init(&f[k], 9100 + k);
		deep_model(&f[k], k);
		made[k] = 1;
	}
	return &f[k];
}

#define DEEP(k)                                                  \
	void v_bs_deep##k(struct vb_file *f)                     \
	{                                                        \
		deep_model(f, k);                                \
		vb_render(f);                                    \
	}
DEEP(0) DEEP(1) DEEP(2) DEEP(3) DEEP(4) DEEP(5) DEEP(6) DEEP(7) DEEP(8)
DEEP(9) DEEP(10) DEEP(11) DEEP(12) DEEP(13) DEEP(14) DEEP(15) DEEP(16)

void i_bs_deep17(struct vb_file *f)
{
	struct vb_region *r = vb_add_region(f, "r", 512, 2, VB_ALL);

	r->seed += 17;
	vb_set_base(f, deep(16), root_of(deep(16)),
		    "../valid/076-chain-depth-16.frc");
	r->present[0] = VB_PAGE_BASE;
	r->present[1] = VB_PAGE_OTHER;
	vb_add_digests(f);
	vb_render(f);
}

/* ---- wrong bases ---- */

#define BASE_HINT "../valid/057-chain-base.frc"

void i_bs_missing(struct vb_file *f)
{
	top1_model(f, "no-such-base.frc");
	vb_render(f);
}

void i_bs_other_root(struct vb_file *f)
{
	/* the hint names a valid 1.3 file with another content root */
	top1_model(f, "../valid/049-content-digests.frc");
	vb_render(f);
}

void i_bs_replaced(struct vb_file *f)
{
	/* the base named is B0 but its root changed by one bit: B0 at the
	 * hint is then another file */
	top1_model(f, BASE_HINT);
	section_of(f, FRC_SECTION_BASE)->data[8] ^= 1;
	vb_render(f);
}

void i_bs_layout(struct vb_file *f)
{
	/* B0's root and file, but this file's vga has 4 KiB pages */
	static struct vb_file fake;
	struct vb_region *r, *v;

	vb_init(&fake, 9200);
	vb_add_region(&fake, "pc.ram", 4096, 16, VB_ALL);
	vb_add_region(&fake, "vga", 4096, 32, VB_ALL);
	r = vb_add_region(f, "pc.ram", 4096, 16, VB_ALL);
	v = vb_add_region(f, "vga", 4096, 32, VB_ALL);
	vb_set_base(f, &fake, root_of(base0()), BASE_HINT);
	r->present[3] = VB_PAGE_BASE;
	v->present[3] = VB_PAGE_BASE;
	vb_add_digests(f);
	vb_render(f);
}

void i_bs_self(struct vb_file *f)
{
	struct vb_section *s;

	vb_add_region(f, "pc.ram", 4096, 4, VB_ALL);
	vb_set_base(f, base0(), root_of(base0()), "241-base-itself.frc");
	vb_add_digests(f);
	/* the base section is not covered: it may name this root */
	s = section_of(f, FRC_SECTION_BASE);
	memcpy(s->data + 8, root_of(f), 32);
	vb_render(f);
}

/* X and Y, each the other's base */
static const struct vb_file *cycle_model(unsigned which);

static void cycle_build(struct vb_file *f, unsigned which)
{
	struct vb_region *r = vb_add_region(f, "pc.ram", 4096, 4, VB_ALL);

	r->seed += 500 + which;
	vb_set_base(f, base0(), root_of(base0()),
		    which ? "242-cycle-x.frc" : "243-cycle-y.frc");
	vb_add_digests(f);
}

static const struct vb_file *cycle_model(unsigned which)
{
	static struct vb_file f[2];
	static int made[2];

	if (!made[which]) {
		vb_init(&f[which], 9300 + which);
		cycle_build(&f[which], which);
		made[which] = 1;
	}
	return &f[which];
}

static void cycle(struct vb_file *f, unsigned which)
{
	cycle_build(f, which);
	memcpy(section_of(f, FRC_SECTION_BASE)->data + 8,
	       root_of(cycle_model(!which)), 32);
	vb_render(f);
}

void i_bs_cycle_x(struct vb_file *f) { cycle(f, 0); }
void i_bs_cycle_y(struct vb_file *f) { cycle(f, 1); }

/* ---- the feature, the base map, the base section ---- */

void i_bs_no_digests(struct vb_file *f)
{
	top1_model(f, BASE_HINT);
	f->ro_compat &= ~(uint64_t)FRC_RO_COMPAT_CONTENT_DIGESTS;
	for (unsigned i = 0; i < f->nsections; i++)
		if (f->sections[i].type == FRC_SECTION_DIGESTS)
			f->sections[i].type = 0x80000004u; /* private type */
	vb_render(f);
}

void i_bs_no_section(struct vb_file *f)
{
	top1_model(f, BASE_HINT);
	section_of(f, FRC_SECTION_BASE)->type = 0x80000006u;
	vb_render(f);
}

void i_bs_section_without_bit(struct vb_file *f)
{
	vb_add_region(f, "pc.ram", 4096, 4, VB_ALL);
	vb_set_base(f, base0(), root_of(base0()), BASE_HINT);
	f->incompat &= ~(uint64_t)8;
	vb_add_digests(f);
	vb_render(f);
}

static void map_bit(struct vb_file *f, unsigned r, uint64_t byte, uint8_t bits)
{
	f->buf[f->regions[r].base_map_offset + byte] |= bits;
	vb_reseal(f);
}

void i_bs_map_both(struct vb_file *f)
{
	top1_model(f, BASE_HINT);
	vb_render(f);
	map_bit(f, 0, 0, 1u << 4); /* page 4 is present */
}

void i_bs_map_both_last(struct vb_file *f)
{
	top1_model(f, BASE_HINT);
	vb_render(f);
	map_bit(f, 1, 0, 1u << 1); /* vga page 1 is present */
}

void i_bs_map_padding(struct vb_file *f)
{
	top1_model(f, BASE_HINT);
	vb_render(f);
	map_bit(f, 1, 0, 1u << 2); /* vga has 2 pages */
}

void i_bs_map_trailer(struct vb_file *f)
{
	top1_model(f, BASE_HINT);
	vb_render(f);
	f->buf[f->regions[0].base_map_offset + 8 + 3] ^= 0x20;
}

void i_bs_map_offset(struct vb_file *f)
{
	top1_model(f, BASE_HINT);
	vb_render(f);
	vb_put64(f->buf + f->regions[0].entry_offset + 56,
		 f->regions[0].base_map_offset + 4);
	vb_reseal(f);
}

static void base_patch(struct vb_file *f, unsigned at, uint8_t v)
{
	top1_model(f, BASE_HINT);
	section_of(f, FRC_SECTION_BASE)->data[at] = v;
	vb_render(f);
}

void i_bs_magic(struct vb_file *f) { base_patch(f, 2, 'x'); }
void i_bs_reserved(struct vb_file *f) { base_patch(f, 47, 1); }
void i_bs_hint_long(struct vb_file *f)
{
	/* a hint of 4096 bytes, the section as long as it says */
	static char hint[4097];

	memset(hint, 'a', 4096);
	top1_model(f, hint);
	vb_render(f);
}

void i_bs_length(struct vb_file *f)
{
	/* one byte more than 48 + hint_length (a readable hint before it) */
	struct vb_section *s;
	uint8_t *grown;

	top1_model(f, BASE_HINT);
	s = section_of(f, FRC_SECTION_BASE);
	grown = realloc(s->data, s->length + 1);
	if (!grown)
		abort();
	grown[s->length] = 'x';
	s->data = grown;
	s->length += 1;
	vb_render(f);
}

void i_bs_two_sections(struct vb_file *f)
{
	top1_model(f, BASE_HINT);
	vb_set_base(f, base0(), root_of(base0()), BASE_HINT);
	vb_render(f);
}

void i_bs_hint_utf8(struct vb_file *f)
{
	top1_model(f, "../valid/057-chain-base\xff.frc");
	vb_render(f);
}

void i_bs_region_count(struct vb_file *f)
{
	/* B0's root and file, but this file has only B0's first region */
	static struct vb_file fake;
	struct vb_region *r;

	vb_init(&fake, 9201);
	vb_add_region(&fake, "pc.ram", 4096, 16, VB_ALL);
	r = vb_add_region(f, "pc.ram", 4096, 16, VB_ALL);
	vb_set_base(f, &fake, root_of(base0()), BASE_HINT);
	r->present[3] = VB_PAGE_BASE;
	vb_add_digests(f);
	vb_render(f);
}

void i_bs_page_leaf(struct vb_file *f)
{
	/* the leaf of page 10 is of other bytes than the base's page 10 */
	struct vb_region *r;

	top1_model(f, BASE_HINT);
	r = &f->regions[0];
	r->present[10] = VB_PAGE_BASE;
	vb_render(f);
}

void f_bs_seen_by_12(struct vb_file *f)
{
	top1_model(f, "../valid/057-chain-base.frc");
	vb_render(f);
}
