/*
 * gen_recipes.c - how every test vector of testvectors/v1 is made.
 *
 * Each recipe builds a model with vecbuild, renders it and, for invalid
 * vectors, applies exactly one defect. Recipes are never changed once the
 * vectors are released: a new vector gets a new number (testvectors/README).
 */
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "frc.h"
#include "gen_base.h"
#include "gen_identity.h"
#include "gen_vectors.h"

/* Recipe tables leave the trailing fields (error class, expectation) out
 * where they do not apply. */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

/* ------------------------------------------------------------------ */
/* Building blocks                                                     */
/* ------------------------------------------------------------------ */

/* Two regions, a device-state section and metadata: the usual victim. */
void recipe_base_model(struct vb_file *f)
{
	vb_add_region(f, "pc.ram", 4096, 12, VB_EVERY_THIRD);
	vb_add_region(f, "vga", 65536, 2, VB_ALL);
	vb_add_section(f, FRC_SECTION_DEVICE_STATE, 0, "vmstate",
		       "device-bytes", 12);
	vb_add_meta(f, "hypervisor", "frc-gen-vectors");
}

static void base(struct vb_file *f)
{
	recipe_base_model(f);
	vb_render(f);
}

/* Sets a superblock field in both copies (empty slots stay empty) and
 * re-seals them. */
static void sb_set(struct vb_file *f, unsigned off, unsigned size, uint64_t v)
{
	for (int b = 0; b < 2; b++) {
		uint8_t *p = vb_slot(f, b) + off;

		if (!(b ? f->seq_b : f->seq_a))
			continue;

		for (unsigned i = 0; i < size; i++)
			p[i] = (uint8_t)(v >> (8 * i));
	}
	vb_reseal_superblocks(f);
}

static uint8_t *region_entry(struct vb_file *f, unsigned r)
{
	return f->buf + f->regions[r].entry_offset;
}

static uint8_t *section_entry(struct vb_file *f, unsigned s)
{
	return f->buf + f->sections[s].entry_offset;
}

static uint8_t *page_slot(struct vb_file *f, unsigned r, uint64_t i)
{
	return f->buf + f->regions[r].pages_offset +
	       i * f->regions[r].page_size;
}

static uint8_t *csum_entry(struct vb_file *f, unsigned r, uint64_t i)
{
	return f->buf + f->regions[r].csum_offset + 8 * i;
}

/*
 * Compressed frames (1.2): a region of 16 pages of 4 KiB in frames of 4
 * pages, every third page absent (every frame keeps a present page), its
 * frames compressed; beside it an uncompressed region and a device-state
 * section.
 */
static void cf_model(struct vb_file *f)
{
	struct vb_region *r = vb_add_region(f, "pc.ram", 4096, 16,
					    VB_EVERY_THIRD);

	vb_compress(f, r, 2);
	vb_add_region(f, "vga", 65536, 2, VB_ALL);
	vb_add_section(f, FRC_SECTION_DEVICE_STATE, 0, "vmstate",
		       "device-bytes", 12);
}

static void cf_base(struct vb_file *f)
{
	cf_model(f);
	vb_render(f);
}

/* ------------------------------------------------------------------ */
/* valid                                                               */
/* (recipes shared with the invalid set are defined there) */
static void v_cf_zstd_dict0(struct vb_file *f);
static void v_cf_slot_leftovers(struct vb_file *f);

/* A compressed region without pages, frames of 8 pages. */
static void v_cf_empty_shift(struct vb_file *f)
{
	vb_compress(f, vb_add_region(f, "nothing", 4096, 0, VB_NONE), 3);
	vb_add_region(f, "pc.ram", 4096, 4, VB_ALL);
	vb_render(f);
}
/* ------------------------------------------------------------------ */

static void v_empty_file(struct vb_file *f)
{
	vb_render(f);
}

static void v_empty_region(struct vb_file *f)
{
	vb_add_region(f, "empty", 4096, 0, VB_NONE);
	vb_render(f);
}

static void v_single_page(struct vb_file *f)
{
	vb_add_region(f, "pc.ram", 4096, 1, VB_ALL);
	vb_render(f);
}

static void v_all_zero(struct vb_file *f)
{
	vb_add_region(f, "pc.ram", 4096, 16, VB_NONE);
	vb_render(f);
}

static void v_full(struct vb_file *f)
{
	vb_add_region(f, "pc.ram", 4096, 16, VB_ALL);
	vb_render(f);
}

static void v_several(struct vb_file *f)
{
	vb_add_region(f, "pc.ram", 4096, 12, VB_EVERY_THIRD);
	vb_add_region(f, "vga.vram", 65536, 2, VB_ALL);
	vb_add_region(f, "pc.rom", 512, 5, VB_FIRST);
	vb_render(f);
}

static void v_page_512(struct vb_file *f)
{
	f->alignment = 512;
	vb_add_region(f, "small", 512, 9, VB_EVERY_THIRD);
	vb_render(f);
}

static void v_page_64k(struct vb_file *f)
{
	vb_add_region(f, "vram", 65536, 3, VB_ALL);
	vb_render(f);
}

static void v_page_2m(struct vb_file *f)
{
	vb_add_region(f, "huge", 2u << 20, 2, VB_FIRST);
	vb_render(f);
}

/* ---- 1.2: compressed frames ---- */

static void v_cf_basic(struct vb_file *f)
{
	cf_base(f);
}

/* Frames of 1 page, 4 pages (the last one partial) and the whole region. */
static void v_cf_frame_sizes(struct vb_file *f)
{
	vb_compress(f, vb_add_region(f, "one", 4096, 5, VB_ALL), 0);
	vb_compress(f, vb_add_region(f, "four", 4096, 10, VB_ALL), 2);
	vb_compress(f, vb_add_region(f, "whole", 4096, 32, VB_EVERY_THIRD), 5);
	vb_render(f);
}

/* Raw, compressed and absent frames side by side. */
static void v_cf_mixed_frames(struct vb_file *f)
{
	struct vb_region *r = vb_add_region(f, "pc.ram", 4096, 24, VB_ALL);

	for (uint64_t i = 8; i < 12; i++)
		r->present[i] = 0; /* frame 2 absent */
	vb_compress(f, r, 2);
	vb_frame_raw(r, 1);
	vb_frame_raw(r, 4);
	vb_render(f);
}

/* Compressed regions with no page present, every page present, and none. */
static void v_cf_empty_full(struct vb_file *f)
{
	vb_compress(f, vb_add_region(f, "empty", 4096, 8, VB_NONE), 1);
	vb_compress(f, vb_add_region(f, "full", 4096, 8, VB_ALL), 1);
	vb_compress(f, vb_add_region(f, "nothing", 4096, 0, VB_NONE), 3);
	vb_render(f);
}

/* 64 KiB pages in 256 KiB frames, a present zero page, metadata. */
static void v_cf_large_pages(struct vb_file *f)
{
	struct vb_region *r = vb_add_region(f, "vram", 65536, 9, VB_ALL);

	r->present[3] = 2; /* present, all zero */
	vb_compress(f, r, 2);
	vb_add_meta(f, "hypervisor", "frc-gen-vectors");
	vb_render(f);
}

static void v_page_16m(struct vb_file *f)
{
	vb_add_region(f, "largest", 16u << 20, 1, VB_ALL);
	vb_render(f);
}

static void v_align_512(struct vb_file *f)
{
	f->alignment = 512;
	vb_add_region(f, "pc.ram", 512, 4, VB_ALL);
	vb_add_region(f, "pc.rom", 1024, 2, VB_ALL);
	vb_render(f);
}

static void v_align_1m(struct vb_file *f)
{
	f->alignment = 1u << 20;
	vb_add_region(f, "pc.ram", 4096, 4, VB_EVERY_THIRD);
	vb_render(f);
}

static void v_align_page_only(struct vb_file *f)
{
	/* data_alignment says 1 MiB, the page area is only 4 KiB-aligned */
	f->alignment = 1u << 20;
	vb_add_region(f, "pc.ram", 4096, 4, VB_ALL)->pages_offset = 0x5000;
	vb_render(f);
}

static void v_rewritten(struct vb_file *f)
{
	/* page 2 was rewritten (the file holds its last contents); page 3
	 * was written, then zeroed: absent, and its slot still holds the old
	 * bytes, which a reader must not return */
	struct vb_region *r = vb_add_region(f, "pc.ram", 4096, 6, VB_ALL);

	r->present[3] = 0;
	r->seed = 0x2222;
	vb_render(f);
	vb_page_fill(page_slot(f, 0, 3), 4096, 0x1111, 3);
}

static void v_device_state(struct vb_file *f)
{
	vb_add_region(f, "pc.ram", 4096, 2, VB_ALL);
	vb_add_section(f, FRC_SECTION_DEVICE_STATE, 0, "qemu-vmstate",
		       "\x51\x45\x56\x4d\0\0\0\x03 device state", 22);
	vb_add_section(f, FRC_SECTION_DEVICE_STATE, 0, "second", "abc", 3);
	vb_add_section(f, FRC_SECTION_DEVICE_STATE, 0, "", "", 0);
	vb_render(f);
}

static void v_metadata(struct vb_file *f)
{
	vb_add_region(f, "pc.ram", 4096, 2, VB_FIRST);
	vb_add_meta(f, "hypervisor", "qemu 10.2.2");
	vb_add_meta(f, "machine-type", "pc-q35-7.2");
	vb_add_meta(f, "description", "caf\xc3\xa9 \xe2\x98\x95 snapshot");
	vb_add_meta(f, "x-vendor.unknown_key-1", "readers accept unknown keys");
	vb_add_meta(f, "empty", "");
	vb_render(f);
}

static void v_metadata_empty(struct vb_file *f)
{
	vb_add_section(f, FRC_SECTION_METADATA, 0, NULL, "", 0);
	vb_render(f);
}

static void v_long_id(struct vb_file *f)
{
	char id[256];

	for (int i = 0; i < 255; i++)
		id[i] = (char)('a' + i % 26);
	id[255] = '\0';
	vb_add_region(f, id, 4096, 2, VB_ALL);
	vb_render(f);
}

static void v_non_ascii(struct vb_file *f)
{
	vb_add_region(f, "m\xc3\xa9moire-vid\xc3\xa9o", 4096, 2, VB_ALL);
	vb_add_region(f, "\xe5\x86\x85\xe5\xad\x98", 4096, 2, VB_FIRST);
	vb_add_region(f, "\xf0\x9f\x90\xa7-ram", 4096, 1, VB_ALL);
	vb_add_section(f, FRC_SECTION_DEVICE_STATE, 0, "\xc3\xa9tat", "x", 1);
	vb_render(f);
}

static void v_hostile_ids(struct vb_file *f)
{
	vb_add_region(f, "../../etc/passwd", 4096, 1, VB_ALL);
	vb_add_region(f, "/x", 4096, 1, VB_ALL);
	vb_add_region(f, "a\x01" "b\x1b[31m", 4096, 1, VB_ALL);
	vb_add_region(f, "..", 4096, 1, VB_ALL);
	vb_add_region(f, "dir/sub\\name", 4096, 1, VB_ALL);
	vb_add_section(f, FRC_SECTION_DEVICE_STATE, 0, "../../../tmp/evil",
		       "x", 1);
	vb_render(f);
}

static void v_max_header(struct vb_file *f)
{
	f->header_length = 4096;
	base(f);
}

static void v_copy_a_torn(struct vb_file *f)
{
	base(f);
	memset(vb_slot(f, 0) + 100, 0xee, 60);
}

static void v_copy_b_torn(struct vb_file *f)
{
	base(f);
	memset(vb_slot(f, 1) + 40, 0x00, 8);
}

static void v_copy_a_stale(struct vb_file *f)
{
	/* a crash between commit steps 3 and 4: copy B (sequence 2) is the
	 * committed superblock, copy A still the incomplete one (sequence 1) */
	base(f);
	f->seq_a = 1;
	vb_put64(vb_slot(f, 0) + 16, 1);
	vb_put64(vb_slot(f, 0) + 24, FRC_INCOMPAT_INCOMPLETE);
	vb_put64(vb_slot(f, 0) + 72, 0);
	vb_put64(vb_slot(f, 0) + 112, 0);
	vb_put32(vb_slot(f, 0) + 120, 0);
	vb_put32(vb_slot(f, 0) + 124, 0);
	vb_reseal_superblocks(f);
}

static void v_copy_b_empty(struct vb_file *f)
{
	f->seq_a = 1;
	f->seq_b = 0;
	base(f);
}

static void v_same_sequence(struct vb_file *f)
{
	f->seq_a = 7;
	f->seq_b = 7;
	base(f);
}

static void v_unusual_order(struct vb_file *f)
{
	/* pages first, then checksum tables, bitmaps, sections, the section
	 * table, the region table and the feature-name table last */
	struct vb_region *a, *b;

	f->alignment = 4096;
	a = vb_add_region(f, "pc.ram", 4096, 3, VB_EVERY_THIRD);
	b = vb_add_region(f, "rom", 512, 2, VB_ALL);
	vb_add_section(f, FRC_SECTION_DEVICE_STATE, 0, "vmstate", "state", 5);
	a->pages_offset = 0x4000;
	b->pages_offset = 0x3000;
	a->csum_offset = 0x7000;
	b->csum_offset = 0x7020;
	a->bitmap_offset = 0x7038;
	b->bitmap_offset = 0x7048;
	f->sections[0].offset = 0x7058;
	f->st_offset = 0x7060;
	f->rt_offset = 0x7098;
	f->ft_offset = 0x7140;
	vb_render(f);
}

static void v_gaps_garbage(struct vb_file *f)
{
	f->alignment = 65536;
	base(f);
	memset(f->buf + 8, 0xa5, 4088);           /* rest of the signature area */
	memset(vb_slot(f, 0) + 256, 0x5a, 4096 - 256); /* slot slack */
	memset(vb_slot(f, 1) + 256, 0x5b, 4096 - 256);
	/* the gap before the first page area */
	memset(f->buf + f->regions[1].csum_offset + 3 * 8, 0xc3,
	       f->regions[0].pages_offset - f->regions[1].csum_offset - 24);
}

static void v_trailing(struct vb_file *f)
{
	base(f);
	f->buf = realloc(f->buf, f->size + 4096);
	memset(f->buf + f->size, 0x77, 4096);
	f->size += 4096;
}

static void v_present_zero(struct vb_file *f)
{
	struct vb_region *r = vb_add_region(f, "pc.ram", 4096, 3, VB_ALL);

	r->present[1] = 2;
	vb_render(f);
}

static void v_generator_full(struct vb_file *f)
{
	memset(f->generator, 'g', 64);
	f->generator[64] = '\0';
	base(f);
}

static void v_no_feature_table(struct vb_file *f)
{
	f->nfeatures = 0;
	base(f);
}

static void v_qemu_sections(struct vb_file *f)
{
	/* format 1.1: the three QEMU migration sections of SPEC §9.4 */
	f->minor = 1;
	vb_add_region(f, "pc.ram", 4096, 4, VB_EVERY_THIRD);
	vb_add_section(f, FRC_SECTION_QEMU, 0, "qemu-stream-head",
		       "QEVM\0\0\0\3", 8);
	vb_add_section(f, FRC_SECTION_QEMU, 0, "qemu-stream-commands", "", 0);
	vb_add_section(f, FRC_SECTION_QEMU, 0, "qemu-stream-tail", "\0", 1);
	vb_add_meta(f, "hypervisor", "qemu");
	vb_add_meta(f, "source-format", "qemu-stream");
	vb_render(f);
}

static void v_qemu_in_place(struct vb_file *f)
{
	/*
	 * SPEC appendix "QEMU mapped-ram inside an FRC file": QEMU's save from
	 * 0x4000 on, its page areas adopted as regions, its non-RAM bytes as
	 * sections in place, its own block headers and bitmaps left in the
	 * gaps, FRC's tables after QEMU's last byte.
	 */
	static const uint8_t head[] = "QEVM\0\0\0\3\7\0\0\0\2pc\1\0\0\0\2"
				      "\3ram\0\0\0\0\0\0\0\4\0\0\0\0\0\0\xd0\4";
	static const uint8_t framing[] = "\0\0\0\0\0\0\0\x10\x7e\0\0\0\2";
	struct vb_region *a, *b;
	uint64_t off = 0x10000, hl = sizeof(head) - 1;

	f->minor = 1;
	f->alignment = 4096;
	a = vb_add_region(f, "pc.ram", 4096, 4, VB_EVERY_THIRD);
	b = vb_add_region(f, "pc.bios", 4096, 2, VB_ALL);
	vb_add_section(f, FRC_SECTION_QEMU, 0, "qemu-stream-head", head, hl);
	vb_add_section(f, FRC_SECTION_QEMU, 0, "qemu-stream-commands", framing,
		       sizeof(framing) - 1);
	vb_add_section(f, FRC_SECTION_QEMU, 0, "qemu-stream-tail", "\0", 1);
	a->pages_offset = 0x8000;
	b->pages_offset = 0xd000;
	f->sections[0].offset = 0x4000;
	f->sections[1].offset = 0xf000;
	f->sections[2].offset = 0xf000 + sizeof(framing) - 1;
	if (f->nfeatures) {
		f->ft_offset = off;
		off += 48u * f->nfeatures + 8;
	}
	f->rt_offset = off;
	off += 2 * (64 + 8) + 8;
	a->bitmap_offset = off;
	a->csum_offset = off + 16;
	off += 16 + 4 * 8 + 8;
	b->bitmap_offset = off;
	b->csum_offset = off + 16;
	vb_render(f);
	/* QEMU's own bytes in the gaps: block headers and bitmaps */
	memset(f->buf + 0x3000, 0x53, 0x1000);
	memset(f->buf + 0x4000 + hl, 0x51, 0x4000 - hl);
	memset(f->buf + 0xc000, 0x52, 0x1000);
}

/* SPEC 1.1 errata (2026-11-27): one verdict for every file */

static void v_other_seq0(struct vb_file *f)
{
	/* the copy that is not current is intact with sequence 0: only the
	 * current copy's fields are validated */
	base(f);
	memset(vb_slot(f, 1) + 16, 0, 8);
	vb_reseal_superblocks(f);
}

static void v_ft_empty(struct vb_file *f)
{
	/* a feature-name table of no entries: its trailer alone */
	base(f);
	sb_set(f, 136, 4, 8);
	vb_put64(f->buf + f->ft_offset,
		 vb_hash("", 0, vb_key(f->uuid, "FRC-FTAB", 0, 0)));
	memset(f->buf + f->ft_offset + 8, 0, f->ft_length - 8);
}

static void v_ft_duplicate(struct vb_file *f)
{
	vb_add_feature_name(f, 0, 0, "incomplete-too");
	vb_add_feature_name(f, 1, 5, "not-set-here");
	base(f);
}

static void v_qemu_minor0(struct vb_file *f)
{
	/* a type-16 section in a file that says 1.0: minor versions are
	 * informative */
	vb_add_region(f, "pc.ram", 4096, 4, VB_EVERY_THIRD);
	vb_add_section(f, FRC_SECTION_QEMU, 0, "qemu-stream-head",
		       "QEVM\0\0\0\3", 8);
	vb_render(f);
}

static void v_file_length_gap(struct vb_file *f)
{
	/* file_length 4096 bytes beyond the last structure: a gap */
	base(f);
	f->buf = realloc(f->buf, f->size + 4096);
	memset(f->buf + f->size, 0x66, 4096);
	f->size += 4096;
	sb_set(f, 80, 8, f->size);
}

static void v_metadata_1mib(struct vb_file *f)
{
	/* a metadata section of exactly 1048576 bytes: the limit allows it */
	size_t vl = 1048576 - 6 - strlen("description");
	char *v = malloc(vl + 1);

	memset(v, 'm', vl);
	v[vl] = '\0';
	vb_add_region(f, "pc.ram", 4096, 1, VB_ALL);
	vb_add_meta(f, "description", v);
	vb_render(f);
	free(v);
}

const struct recipe valid_recipes[] = {
	{ 1, "empty-file", "a file with no regions and no sections", "§2, §4",
	  "R-SB-FIELDS R-SIG", v_empty_file },
	{ 2, "empty-region", "one region of length 0 (no bitmap, no pages)",
	  "§6.1", "R-RT-EMPTY R-RT-ENTRY", v_empty_region },
	{ 3, "single-page", "one region of one present 4 KiB page", "§6, §7",
	  "R-CSUM R-RT-ENTRY", v_single_page },
	{ 4, "all-zero-region", "16 pages, all absent (holes)", "§8",
	  "R-BM-ZEROS", v_all_zero },
	{ 5, "full-region", "16 pages, all present", "§7.4, §8", "R-CSUM",
	  v_full },
	{ 6, "several-regions",
	  "three regions with page sizes 4 KiB, 64 KiB and 512", "§6.1",
	  "R-RT-ENTRY R-RT-FILL", v_several },
	{ 7, "page-size-512", "the smallest page size, 512 bytes", "§6.1, §11",
	  "R-RT-ENTRY R-LIMITS", v_page_512 },
	{ 8, "page-size-64k", "64 KiB pages", "§6.1", "R-RT-ENTRY",
	  v_page_64k },
	{ 9, "page-size-2m", "2 MiB pages, one present, one absent", "§6.1",
	  "R-RT-ENTRY", v_page_2m },
	{ 10, "page-size-16m", "the largest page size, 16 MiB", "§6.1, §11",
	  "R-RT-ENTRY R-LIMITS", v_page_16m },
	{ 11, "alignment-512", "data_alignment 512 with 512 and 1024-byte pages",
	  "§6.2", "R-PAGE-ALIGN", v_align_512 },
	{ 12, "alignment-1m", "the default data_alignment, 1 MiB", "§6.2",
	  "R-PAGE-ALIGN", v_align_1m },
	{ 13, "page-area-page-aligned-only",
	  "data_alignment 1 MiB but the page area only 4 KiB-aligned: readers "
	  "require page-size alignment only", "§6.2", "R-PAGE-ALIGN",
	  v_align_page_only },
	{ 14, "rewritten-pages",
	  "pages rewritten; a page rewritten as zero is absent although its "
	  "slot still holds old bytes: it reads as zeros", "§8, §10.1",
	  "R-BM-ZEROS R-W-ABSENT-ZEROS", v_rewritten },
	{ 15, "device-state-sections",
	  "three device-state sections, one of them empty", "§9.1, §9.3",
	  "R-ST-FILL", v_device_state },
	{ 16, "metadata",
	  "metadata with registered, unknown and empty-valued keys", "§9.2",
	  "R-META R-META-KEYS", v_metadata },
	{ 17, "metadata-empty", "an empty metadata section", "§9.2", "R-META",
	  v_metadata_empty },
	{ 18, "long-id", "a 255-byte region id", "§6.1, §11",
	  "R-RT-ENTRY R-LIMITS", v_long_id },
	{ 19, "non-ascii-ids", "region ids and a section name in UTF-8 "
	  "beyond ASCII, 2, 3 and 4-byte sequences", "§6.1",
	  "R-RT-ENTRY", v_non_ascii },
	{ 20, "hostile-ids",
	  "valid ids that are dangerous as paths: ../../etc/passwd, /x, "
	  "control characters, .., backslashes", "§6.1, §16",
	  "R-TOOL-NAMES R-HOSTILE", v_hostile_ids },
	{ 21, "max-header-length", "header_length 4096, the maximum", "§4.2",
	  "R-SB-FIELDS", v_max_header },
	{ 22, "copy-a-torn", "superblock copy A torn, copy B intact", "§4.5",
	  "R-SEL-DAMAGED-OK", v_copy_a_torn },
	{ 23, "copy-b-torn", "superblock copy B torn, copy A intact", "§4.5",
	  "R-SEL-DAMAGED-OK", v_copy_b_torn },
	{ 24, "copy-a-stale",
	  "crash between commit steps 3 and 4: copy A is the old incomplete "
	  "superblock (sequence 1), copy B the committed one (sequence 2)",
	  "§4.5, §10.5", "R-SEL-HIGHEST", v_copy_a_stale },
	{ 25, "copy-b-empty", "only superblock copy A was ever written",
	  "§4.5", "R-SEL-HIGHEST", v_copy_b_empty },
	{ 26, "same-sequence-identical",
	  "both copies intact with the same sequence and the same bytes",
	  "§4.5", "R-SEL-SAMESEQ", v_same_sequence },
	{ 27, "unusual-order",
	  "page areas first and the tables last: readers assume no order",
	  "§2.1", "R-ORDER", v_unusual_order },
	{ 28, "gaps-with-garbage",
	  "non-zero bytes in the signature area, slot slack and alignment "
	  "gaps", "§2.2", "R-GAPS", v_gaps_garbage },
	{ 29, "trailing-bytes", "4096 bytes after file_length", "§2.2",
	  "R-FILE-LONGER", v_trailing },
	{ 30, "present-zero-page", "an all-zero page stored as present",
	  "§8", "R-CSUM", v_present_zero },
	{ 31, "generator-64-bytes", "a generator of 64 bytes without NUL",
	  "§4.2", "R-SB-FIELDS", v_generator_full },
	{ 32, "no-feature-table", "no feature-name table", "§5", "R-FT",
	  v_no_feature_table },
	{ 33, "qemu-sections", "format 1.1 with the three QEMU migration "
	  "sections (type 16)", "§9.4", "R-ST-FILL R-MINOR", v_qemu_sections },
	{ 34, "qemu-mapped-ram-in-place", "a QEMU mapped-ram save inside the "
	  "file: page areas and QEMU sections in place among QEMU's own bytes, "
	  "FRC's tables after them", "§2.2, appendix C", "R-GAPS R-ORDER",
	  v_qemu_in_place },
	{ 35, "other-copy-sequence-0", "the copy that is not current is intact "
	  "with sequence 0", "§4.5", "R-SEL-HIGHEST", v_other_seq0 },
	{ 36, "feature-table-empty", "a feature-name table of no entries (8 "
	  "bytes: the trailer)", "§5", "R-FT", v_ft_empty },
	{ 37, "feature-table-duplicate", "a feature-name table naming "
	  "incompat bit 0 twice and a ro-compat bit that is not set", "§5",
	  "R-FT R-FT-NAMES", v_ft_duplicate },
	{ 38, "qemu-section-minor-0", "a type-16 section in a file whose "
	  "superblock says 1.0", "§4.3, §9.4", "R-MINOR", v_qemu_minor0 },
	{ 39, "file-length-gap", "file_length 4096 bytes beyond the end of the "
	  "last structure", "§2.2, §4.2", "R-GAPS R-FILE-LENGTH",
	  v_file_length_gap },
	{ 40, "metadata-1mib", "a metadata section of exactly 1048576 bytes",
	  "§9.2, §11", "R-META R-LIMITS", v_metadata_1mib },
	{ 41, "compressed-frames", "1.2: a region in compressed frames of 4 "
	  "pages beside an uncompressed one", "§6.3",
	  "R-CF-ENTRY R-CF-CSUM R-CF-DECODE R-CF-FIRST R-CF-PRESENCE "
	  "R-W-CF-ZEROS", v_cf_basic },
	{ 42, "compressed-frame-sizes", "1.2: frames of 1 page, of 4 pages "
	  "with a partial last frame, and of the whole region",
	  "§6.3", "R-CF-SHIFT R-CF-DECODE", v_cf_frame_sizes },
	{ 43, "compressed-raw-absent", "1.2: raw, compressed and absent "
	  "frames in one region", "§6.3",
	  "R-CF-ENTRY R-CF-PRESENCE", v_cf_mixed_frames },
	{ 44, "compressed-empty-full", "1.2: compressed regions with no page "
	  "present, with every page present, and without pages",
	  "§6.3", "R-CF-TABLE R-CF-PRESENCE", v_cf_empty_full },
	{ 45, "compressed-large-pages", "1.2: 64 KiB pages in 256 KiB frames, "
	  "a present zero page", "§6.3", "R-CF-SHIFT R-CF-DECODE",
	  v_cf_large_pages },
	{ 46, "zstd-dictionary-id-0", "1.2: a Zstandard frame whose header "
	  "holds a dictionary id field of 0 (names no dictionary)", "§6.3",
	  "R-CF-DECODE", v_cf_zstd_dict0 },
	{ 47, "compressed-slot-leftovers", "1.2: stale bytes after a compressed "
	  "frame's stored bytes and in an absent frame's slot (never read)",
	  "§6.3", "R-CF-ENTRY R-BM-ZEROS", v_cf_slot_leftovers },
	{ 48, "compressed-no-pages-shift", "1.2: a compressed region without "
	  "pages whose frame_shift is 3", "§6.3", "R-CF-SHIFT R-CF-TABLE",
	  v_cf_empty_shift },
	{ 49, "content-digests", "1.3: content digests of two regions, a "
	  "device-state section and metadata", "§9.5",
	  "R-DG-FEATURE R-DG-LENGTH R-DG-ROOT R-DG-NODE R-DG-LEAF R-DG-SECT",
	  v_dg_basic },
	{ 50, "content-digests-signed", "1.3: content digests signed by two "
	  "Ed25519 keys (secrets 32 bytes of 0x01 and of 0x02)", "§9.5",
	  "R-SG-SHAPE R-SG-VERIFY", v_dg_signed },
	{ 51, "content-digests-compressed", "1.3: content digests of a region "
	  "in compressed frames: leaves of the uncompressed pages", "§6.3, §9.5",
	  "R-DG-LEAF", v_dg_compressed },
	{ 52, "content-digests-tall-tree", "1.3: a region of 16513 pages of "
	  "512 bytes: levels of 16513, 130 and 2 entries (h = 3), 3 pages "
	  "present", "§9.5", "R-DG-NODE R-DG-LENGTH", v_dg_tall },
	{ 53, "content-digests-four-groups", "1.3: a region of 400 pages: four "
	  "leaf groups, the last one partial", "§9.5", "R-DG-NODE",
	  v_dg_wide },
	{ 54, "content-digests-empty-regions", "1.3: a region without pages "
	  "(root SHA256(0x01)), one with no page present, one of one page; no "
	  "section covered", "§9.5", "R-DG-ROOT R-DG-LEAF", v_dg_empty },
	{ 55, "signature-unknown-algorithm", "1.3: a signature section of "
	  "algorithm 2, which readers keep and ignore", "§9.5",
	  "R-SG-SHAPE", v_dg_sig_unknown_algo },
	{ 56, "content-digests-section-kinds", "1.3: covered sections with "
	  "reserved flag bits, a QEMU section and an empty one", "§9.5",
	  "R-DG-SECT", v_dg_covered_flags },
	{ 57, "chain-base", "1.3: the base of the chain vectors 058 and 059: two "
	  "regions, every page present, with content digests", "§9.6",
	  "R-BS-RESOLVE", v_bs_base },
	{ 58, "chain-top", "1.3: a snapshot on 057-chain-base.frc (its hint): "
	  "three pages changed, one zeroed, the rest unchanged from the base",
	  "§9.6", "R-BS-FEATURE R-BS-MAP R-BS-MAP-OFFSET R-BS-SECTION "
	  "R-BS-RESOLVE R-BS-LAYOUT R-BS-PAGE", v_bs_top },
	{ 59, "chain-second", "1.3: a snapshot on 058-chain-top.frc: one page "
	  "changed; the others come from 058, or through it from 057",
	  "§9.6", "R-BS-RESOLVE R-BS-PAGE R-BS-CYCLE", v_bs_second },
	{ 60, "chain-depth-0", "1.3: a chain of 0 bases below this file (the bottom of the chain)",
	  "§9.6", "R-BS-DEPTH R-BS-RESOLVE", v_bs_deep0 },
	{ 61, "chain-depth-1", "1.3: a chain of 1 base below this file (vector 060 is its base)",
	  "§9.6", "R-BS-DEPTH R-BS-RESOLVE", v_bs_deep1 },
	{ 62, "chain-depth-2", "1.3: a chain of 2 bases below this file (vector 061 is its base)",
	  "§9.6", "R-BS-DEPTH R-BS-RESOLVE", v_bs_deep2 },
	{ 63, "chain-depth-3", "1.3: a chain of 3 bases below this file (vector 062 is its base)",
	  "§9.6", "R-BS-DEPTH R-BS-RESOLVE", v_bs_deep3 },
	{ 64, "chain-depth-4", "1.3: a chain of 4 bases below this file (vector 063 is its base)",
	  "§9.6", "R-BS-DEPTH R-BS-RESOLVE", v_bs_deep4 },
	{ 65, "chain-depth-5", "1.3: a chain of 5 bases below this file (vector 064 is its base)",
	  "§9.6", "R-BS-DEPTH R-BS-RESOLVE", v_bs_deep5 },
	{ 66, "chain-depth-6", "1.3: a chain of 6 bases below this file (vector 065 is its base)",
	  "§9.6", "R-BS-DEPTH R-BS-RESOLVE", v_bs_deep6 },
	{ 67, "chain-depth-7", "1.3: a chain of 7 bases below this file (vector 066 is its base)",
	  "§9.6", "R-BS-DEPTH R-BS-RESOLVE", v_bs_deep7 },
	{ 68, "chain-depth-8", "1.3: a chain of 8 bases below this file (vector 067 is its base)",
	  "§9.6", "R-BS-DEPTH R-BS-RESOLVE", v_bs_deep8 },
	{ 69, "chain-depth-9", "1.3: a chain of 9 bases below this file (vector 068 is its base)",
	  "§9.6", "R-BS-DEPTH R-BS-RESOLVE", v_bs_deep9 },
	{ 70, "chain-depth-10", "1.3: a chain of 10 bases below this file (vector 069 is its base)",
	  "§9.6", "R-BS-DEPTH R-BS-RESOLVE", v_bs_deep10 },
	{ 71, "chain-depth-11", "1.3: a chain of 11 bases below this file (vector 070 is its base)",
	  "§9.6", "R-BS-DEPTH R-BS-RESOLVE", v_bs_deep11 },
	{ 72, "chain-depth-12", "1.3: a chain of 12 bases below this file (vector 071 is its base)",
	  "§9.6", "R-BS-DEPTH R-BS-RESOLVE", v_bs_deep12 },
	{ 73, "chain-depth-13", "1.3: a chain of 13 bases below this file (vector 072 is its base)",
	  "§9.6", "R-BS-DEPTH R-BS-RESOLVE", v_bs_deep13 },
	{ 74, "chain-depth-14", "1.3: a chain of 14 bases below this file (vector 073 is its base)",
	  "§9.6", "R-BS-DEPTH R-BS-RESOLVE", v_bs_deep14 },
	{ 75, "chain-depth-15", "1.3: a chain of 15 bases below this file (vector 074 is its base)",
	  "§9.6", "R-BS-DEPTH R-BS-RESOLVE", v_bs_deep15 },
	{ 76, "chain-depth-16", "1.3: a chain of 16 bases below this file (the limit)",
	  "§9.6", "R-BS-DEPTH R-BS-RESOLVE", v_bs_deep16 },
	{ 0, NULL, NULL, NULL, NULL, NULL },
};

/* ------------------------------------------------------------------ */
/* invalid: one defect each                                            */
/* ------------------------------------------------------------------ */

static void set_sig_byte(struct vb_file *f, unsigned i, uint8_t v)
{
	base(f);
	f->buf[i] = v;
}

#define SIG(n, v)                                   \
	static void i_sig##n(struct vb_file *f)     \
	{                                           \
		set_sig_byte(f, n, v);              \
	}
SIG(0, 0x09)
SIG(1, 'f')
SIG(2, 'r')
SIG(3, 'c')
SIG(4, '\n')
SIG(5, '\r')
SIG(6, 0x00)
SIG(7, '\r')

static void i_text_mode(struct vb_file *f)
{
	/* CR LF turned into LF by a text-mode transfer: every byte moves */
	base(f);
	memmove(f->buf + 4, f->buf + 5, f->size - 5);
	f->size--;
}

static void i_empty(struct vb_file *f)
{
	base(f);
	f->size = 0;
}

static void cut(struct vb_file *f, uint64_t at)
{
	base(f);
	f->size = at;
}

static void i_sig_only(struct vb_file *f) { cut(f, 4); }
static void i_short(struct vb_file *f) { cut(f, 12287); }
static void i_cut_slot_a(struct vb_file *f) { cut(f, 8192); }
static void i_cut_ft(struct vb_file *f)
{
	base(f);
	f->size = f->ft_offset + 20;
}
static void i_cut_rt(struct vb_file *f)
{
	base(f);
	f->size = f->rt_offset + f->rt_length - 1;
}
static void i_cut_bitmap(struct vb_file *f)
{
	base(f);
	f->size = f->regions[0].bitmap_offset + 8;
}
static void i_cut_csum(struct vb_file *f)
{
	base(f);
	f->size = f->regions[0].csum_offset + 40;
}
static void i_cut_pages(struct vb_file *f)
{
	base(f);
	f->size = f->regions[0].pages_offset + 5 * 4096 + 123;
}
static void i_cut_pages_end(struct vb_file *f)
{
	base(f);
	f->size = f->regions[1].pages_offset + f->regions[1].used_length;
}
static void i_cut_section(struct vb_file *f)
{
	base(f);
	f->size = f->sections[0].offset + 6;
}
static void i_cut_last(struct vb_file *f)
{
	base(f);
	f->size = f->file_length - 1;
}

static void i_sb_both_csum(struct vb_file *f)
{
	base(f);
	vb_slot(f, 0)[150] ^= 0x01;
	vb_slot(f, 1)[150] ^= 0x01;
}

static void i_rt_csum(struct vb_file *f)
{
	base(f);
	region_entry(f, 0)[66] ^= 0x01;
}

static void i_bitmap_csum(struct vb_file *f)
{
	base(f);
	f->buf[f->regions[0].bitmap_offset] ^= 0x02; /* page 1 now absent */
}

static void i_csum_table(struct vb_file *f)
{
	base(f);
	csum_entry(f, 0, 4)[3] ^= 0x10;
}

static void i_page_flip(struct vb_file *f)
{
	base(f);
	page_slot(f, 0, 4)[1000] ^= 0x08;
}

static void i_last_byte_flip(struct vb_file *f)
{
	base(f);
	page_slot(f, 1, 1)[65535] ^= 0x80;
}

static void i_section_csum(struct vb_file *f)
{
	base(f);
	f->buf[f->sections[0].offset + 3] ^= 0x01;
}

static void i_st_csum(struct vb_file *f)
{
	base(f);
	section_entry(f, 0)[41] ^= 0x01;
}

static void i_ft_csum(struct vb_file *f)
{
	base(f);
	f->buf[f->ft_offset + 10] ^= 0x01;
}

static void i_misdirected(struct vb_file *f)
{
	/* page 1 written into the slot of page 2 (both present) */
	base(f);
	memcpy(page_slot(f, 0, 2), page_slot(f, 0, 1), 4096);
}

static void i_other_region(struct vb_file *f)
{
	/* region b's page 1 and its checksum entry copied from region a */
	vb_add_region(f, "a", 4096, 4, VB_ALL);
	vb_add_region(f, "b", 4096, 4, VB_ALL);
	vb_render(f);
	memcpy(page_slot(f, 1, 1), page_slot(f, 0, 1), 4096);
	memcpy(csum_entry(f, 1, 1), csum_entry(f, 0, 1), 8);
	vb_reseal(f);
}

static void i_entry_trailer_stale(struct vb_file *f)
{
	/* page 4 replaced and its entry recomputed, the table trailer not:
	 * only a reader that checks the trailer first notices */
	base(f);
	vb_page_fill(page_slot(f, 0, 4), 4096, 0x9999, 4);
	vb_put64(csum_entry(f, 0, 4),
		 vb_hash(page_slot(f, 0, 4), 4096,
			 vb_key(f->uuid, "FRC-PAGE", 0, 4)));
}

static void i_other_file(struct vb_file *f)
{
	/* a region table taken from a file with another UUID */
	uint8_t other[16];

	base(f);
	memcpy(other, f->uuid, 16);
	other[0] ^= 0xff;
	vb_put64(f->buf + f->rt_offset + f->rt_length - 8,
		 vb_hash(f->buf + f->rt_offset, f->rt_length - 8,
			 vb_key(other, "FRC-RTAB", 0, 0)));
}

static void i_torn_page(struct vb_file *f)
{
	/* two writers on page 1 at once: first half of one write, second
	 * half of the other; the checksum is the second write's */
	uint8_t other[4096];

	base(f);
	vb_page_fill(other, 4096, 0x7777, 1);
	memcpy(page_slot(f, 0, 1) + 2048, other + 2048, 2048);
}

static void i_commit_early(struct vb_file *f)
{
	/* superblock committed before bitmaps and checksums were written */
	base(f);
	memset(f->buf + f->regions[0].bitmap_offset, 0,
	       f->regions[0].pages_offset - f->regions[0].bitmap_offset);
}

static void i_rt_oob(struct vb_file *f)
{
	base(f);
	sb_set(f, 96, 8, f->file_length - 8);
}

static void set_region_u64(struct vb_file *f, unsigned r, unsigned off,
			   uint64_t v)
{
	vb_put64(region_entry(f, r) + off, v);
	vb_reseal(f);
}

static void i_bitmap_oob(struct vb_file *f)
{
	base(f);
	set_region_u64(f, 0, 16, f->file_length - 8);
}

static void i_csum_oob(struct vb_file *f)
{
	base(f);
	set_region_u64(f, 0, 24, f->file_length);
}

static void i_pages_oob(struct vb_file *f)
{
	base(f);
	set_region_u64(f, 1, 32, f->regions[1].pages_offset + 0x10000);
}

static void i_pages_overflow(struct vb_file *f)
{
	base(f);
	set_region_u64(f, 0, 32, UINT64_MAX - 4095);
}

static void i_section_oob(struct vb_file *f)
{
	base(f);
	vb_put64(section_entry(f, 0) + 8, f->file_length - 4);
	vb_reseal(f);
}

static void i_section_overflow(struct vb_file *f)
{
	base(f);
	vb_put64(section_entry(f, 0) + 8, UINT64_MAX - 7);
	vb_reseal(f);
}

static void i_ft_oob(struct vb_file *f)
{
	base(f);
	sb_set(f, 128, 8, f->file_length);
}

static void i_overlap_tables(struct vb_file *f)
{
	base(f);
	set_region_u64(f, 0, 16, f->regions[0].csum_offset);
}

static void i_overlap_pages(struct vb_file *f)
{
	base(f);
	set_region_u64(f, 0, 32, f->regions[1].pages_offset);
}

static void i_overlap_fixed(struct vb_file *f)
{
	/* a copy of the region table inside superblock slot B's slack */
	base(f);
	memcpy(vb_slot(f, 1) + 1024, f->buf + f->rt_offset, f->rt_length);
	sb_set(f, 96, 8, 8192 + 1024);
}

static void i_overlap_section(struct vb_file *f)
{
	base(f);
	vb_put64(section_entry(f, 0) + 8, f->regions[0].pages_offset + 4096);
	vb_reseal(f);
}

static void i_misaligned_pages(struct vb_file *f)
{
	base(f);
	set_region_u64(f, 0, 32, f->regions[0].pages_offset + 512);
}

static void i_misaligned_bitmap(struct vb_file *f)
{
	base(f);
	set_region_u64(f, 0, 16, f->regions[0].bitmap_offset + 4);
}

static void set_page_size(struct vb_file *f, uint32_t ps, uint64_t used)
{
	base(f);
	vb_put32(region_entry(f, 0) + 8, ps);
	vb_put64(region_entry(f, 0), used);
	vb_reseal(f);
}

static void i_ps_3072(struct vb_file *f) { set_page_size(f, 3072, 3072 * 12); }
static void i_ps_256(struct vb_file *f) { set_page_size(f, 256, 12 * 4096); }
static void i_ps_32m(struct vb_file *f) { set_page_size(f, 32u << 20, 32u << 20); }
static void i_ps_0(struct vb_file *f) { set_page_size(f, 0, 12 * 4096); }
static void i_used_len(struct vb_file *f) { set_page_size(f, 4096, 12 * 4096 - 100); }

static void i_dup_ids(struct vb_file *f)
{
	vb_add_region(f, "pc.ram", 4096, 2, VB_ALL);
	vb_add_region(f, "pc.ram", 4096, 2, VB_ALL);
	vb_render(f);
}

static void i_bitmap_pad_bit(struct vb_file *f)
{
	base(f);
	f->buf[f->regions[0].bitmap_offset + 1] |= 0x20; /* page 13 of 12 */
	vb_reseal(f);
}

static void i_bitmap_pad_byte(struct vb_file *f)
{
	base(f);
	f->buf[f->regions[0].bitmap_offset + 7] = 0x01;
	vb_reseal(f);
}

static void i_sb_res93(struct vb_file *f)
{
	base(f);
	sb_set(f, 94, 1, 1);
}

static void i_sb_res140(struct vb_file *f)
{
	base(f);
	sb_set(f, 141, 1, 0x80);
}

static void set_region_byte(struct vb_file *f, unsigned off, uint8_t v)
{
	base(f);
	region_entry(f, 0)[off] = v;
	vb_reseal(f);
}

static void i_rg_res14(struct vb_file *f) { set_region_byte(f, 15, 1); }
static void i_rg_res40(struct vb_file *f) { set_region_byte(f, 63, 0x40); }
static void i_rg_idpad(struct vb_file *f) { set_region_byte(f, 64 + 7, 'x'); }

static void i_sec_res(struct vb_file *f)
{
	base(f);
	section_entry(f, 0)[36] = 1;
	vb_reseal(f);
}

static void i_ft_res(struct vb_file *f)
{
	base(f);
	f->buf[f->ft_offset + 4] = 1;
	vb_reseal(f);
}

static void make_incomplete(struct vb_file *f)
{
	/* what a writer leaves when it dies before commit (SPEC §10.1):
	 * copy A incomplete with sequence 1, copy B empty, no bitmaps,
	 * checksums or sections yet */
	f->seq_a = 1;
	f->seq_b = 0;
	f->incompat = FRC_INCOMPAT_INCOMPLETE;
	f->commit_time = 0;
	vb_add_region(f, "pc.ram", 4096, 12, VB_EVERY_THIRD);
	vb_render(f);
	memset(f->buf + f->regions[0].bitmap_offset, 0,
	       f->regions[0].pages_offset - f->regions[0].bitmap_offset);
}

static void i_incomplete(struct vb_file *f)
{
	make_incomplete(f);
}

static void i_incomplete_commit_torn(struct vb_file *f)
{
	/* crash during commit step 3: everything written, copy B torn */
	base(f);
	vb_put64(vb_slot(f, 0) + 16, 1);
	vb_put64(vb_slot(f, 0) + 24, FRC_INCOMPAT_INCOMPLETE);
	vb_put64(vb_slot(f, 0) + 72, 0);
	vb_put64(vb_slot(f, 0) + 112, 0);
	vb_put32(vb_slot(f, 0) + 120, 0);
	vb_put32(vb_slot(f, 0) + 124, 0);
	vb_reseal_superblocks(f);
	memset(vb_slot(f, 1) + 64, 0, 100);
}

static void i_incomplete_unknown(struct vb_file *f)
{
	make_incomplete(f);
	sb_set(f, 24, 8, FRC_INCOMPAT_INCOMPLETE | (UINT64_C(1) << 12));
}

static void i_incomplete_major0(struct vb_file *f)
{
	make_incomplete(f);
	sb_set(f, 8, 2, 0);
}

static void i_algo0(struct vb_file *f)
{
	base(f);
	sb_set(f, 92, 1, 0);
}

static void i_section_must(struct vb_file *f)
{
	base(f);
	vb_put32(section_entry(f, 0), 3);
	vb_put32(section_entry(f, 0) + 4, FRC_SECTION_MUST_UNDERSTAND);
	vb_reseal(f);
}

static void i_major0(struct vb_file *f)
{
	base(f);
	sb_set(f, 8, 2, 0);
}

static void i_major_max(struct vb_file *f)
{
	base(f);
	sb_set(f, 8, 2, 0xffff);
}

static void set_hl(struct vb_file *f, uint32_t hl)
{
	base(f);
	sb_set(f, 12, 4, hl);
}

static void i_hl_260(struct vb_file *f) { set_hl(f, 260); }
static void i_hl_248(struct vb_file *f) { set_hl(f, 248); }
static void i_hl_4104(struct vb_file *f) { set_hl(f, 4104); }

static void i_uuid0(struct vb_file *f)
{
	base(f);
	sb_set(f, 48, 8, 0);
	sb_set(f, 56, 8, 0);
}

static void i_seq0(struct vb_file *f)
{
	f->seq_b = 0;
	base(f);
	sb_set(f, 16, 8, 0);
	memset(vb_slot(f, 1), 0, 4096);
}

static void i_align_3000(struct vb_file *f)
{
	base(f);
	sb_set(f, 88, 4, 3000);
}

static void i_align_256(struct vb_file *f)
{
	base(f);
	sb_set(f, 88, 4, 256);
}

static void i_same_seq_differ(struct vb_file *f)
{
	f->seq_a = 5;
	f->seq_b = 5;
	base(f);
	vb_slot(f, 1)[150] ^= 0x20; /* generator differs */
	vb_reseal_superblocks(f);
}

static void i_both_empty(struct vb_file *f)
{
	base(f);
	memset(vb_slot(f, 0), 0, 8192);
}

static void i_magic(struct vb_file *f)
{
	base(f);
	vb_slot(f, 0)[3] = 's';
	vb_slot(f, 1)[3] = 's';
}

static void i_no_fallback(struct vb_file *f)
{
	/* the current copy (sequence 3) is intact but breaks a rule; the
	 * older copy B is fine: readers must not fall back to it */
	base(f);
	vb_slot(f, 0)[95] = 1;
	vb_reseal_superblocks(f);
}

static void i_empty_region_offsets(struct vb_file *f)
{
	vb_add_region(f, "empty", 4096, 0, VB_NONE);
	vb_render(f);
	vb_put64(region_entry(f, 0) + 16, 0x3100);
	vb_reseal(f);
}

static void i_id_empty(struct vb_file *f)
{
	vb_add_region_raw(f, "", 0, 4096, 2, VB_ALL);
	vb_render(f);
}

static void i_id_overlong(struct vb_file *f)
{
	vb_add_region_raw(f, "ab\xc0\xaf", 4, 4096, 2, VB_ALL);
	vb_render(f);
}

static void i_id_nul(struct vb_file *f)
{
	vb_add_region_raw(f, "ab\0cd", 5, 4096, 2, VB_ALL);
	vb_render(f);
}

static void i_id_surrogate(struct vb_file *f)
{
	vb_add_region_raw(f, "\xed\xa0\x80", 3, 4096, 2, VB_ALL);
	vb_render(f);
}

static void i_id_truncated_seq(struct vb_file *f)
{
	vb_add_region_raw(f, "ram\xe2\x82", 5, 4096, 2, VB_ALL);
	vb_render(f);
}

static void i_rt_len(struct vb_file *f)
{
	base(f);
	/* 8 more bytes than the entries fill, the trailer moved to match */
	memmove(f->buf + f->rt_offset + f->rt_length,
		f->buf + f->rt_offset + f->rt_length - 8, 8);
	memset(f->buf + f->rt_offset + f->rt_length - 8, 0, 8);
	f->rt_length += 8;
	sb_set(f, 104, 4, f->rt_length);
	vb_reseal(f);
}

static void i_st_len(struct vb_file *f)
{
	base(f);
	f->buf = realloc(f->buf, f->size + 8);
	memset(f->buf + f->size, 0, 8);
	f->size += 8;
	f->file_length += 8;
	f->st_length += 8;
	sb_set(f, 120, 4, f->st_length);
	sb_set(f, 80, 8, f->file_length);
	vb_reseal(f);
}

static void i_region_count(struct vb_file *f)
{
	base(f);
	sb_set(f, 108, 4, 4097);
}

static void i_section_count(struct vb_file *f)
{
	base(f);
	sb_set(f, 124, 4, 4097);
}

static void i_too_many_pages(struct vb_file *f)
{
	set_page_size(f, 512, (UINT64_C(1) << 33) * 512 + 512);
}

static void i_section_type0(struct vb_file *f)
{
	base(f);
	vb_put32(section_entry(f, 0), 0);
	vb_reseal(f);
}

static void i_section_name(struct vb_file *f)
{
	base(f);
	section_entry(f, 0)[40] = 0xff;
	vb_reseal(f);
}

static void i_section_empty_offset(struct vb_file *f)
{
	base(f);
	vb_put64(section_entry(f, 0) + 16, 0);
	vb_reseal(f);
}

static void i_section_huge(struct vb_file *f)
{
	base(f);
	vb_put64(section_entry(f, 0) + 16, (UINT64_C(1) << 40) + 1);
	vb_reseal(f);
}

static void i_two_metadata(struct vb_file *f)
{
	recipe_base_model(f);
	vb_add_section(f, FRC_SECTION_METADATA, 0, NULL,
		       "\x01\0\x01\0\0\0ab", 8);
	vb_render(f);
}

static void meta_patch(struct vb_file *f, unsigned off, uint8_t v)
{
	base(f);
	f->buf[f->sections[1].offset + off] = v;
	vb_reseal(f);
}

static void i_meta_key(struct vb_file *f) { meta_patch(f, 6, 'H'); }
static void i_meta_value(struct vb_file *f) { meta_patch(f, 17, 0xfe); }
static void i_meta_overrun(struct vb_file *f) { meta_patch(f, 2, 200); }

static void i_meta_dup(struct vb_file *f)
{
	vb_add_meta(f, "hypervisor", "a");
	vb_add_meta(f, "machine-type", "b");
	vb_add_meta(f, "hypervisor", "c");
	vb_render(f);
}

static void i_meta_big(struct vb_file *f)
{
	char *v = malloc((1u << 20) + 1);

	memset(v, 'v', 1u << 20);
	v[1u << 20] = '\0';
	vb_add_meta(f, "big", v);
	free(v);
	vb_render(f);
}

static void i_absent_entry(struct vb_file *f)
{
	base(f);
	vb_put64(csum_entry(f, 0, 3), 0x1234567890abcdefu); /* page 3 absent */
	vb_reseal(f);
}

static void i_generator(struct vb_file *f)
{
	base(f);
	sb_set(f, 144 + 20, 1, 'X'); /* after the generator's NUL */
}

static void i_ft_len(struct vb_file *f)
{
	base(f);
	sb_set(f, 136, 4, 50);
}

static void i_ft_kind(struct vb_file *f)
{
	base(f);
	f->buf[f->ft_offset] = 3;
	vb_reseal(f);
}

static void i_ft_count(struct vb_file *f)
{
	int i;

	for (i = 1; i < 193; i++)
		vb_add_feature_name(f, 2, (uint8_t)(i % 64), "many");
	base(f);
}

static void i_file_length(struct vb_file *f)
{
	base(f);
	sb_set(f, 80, 8, f->file_length + 1);
}

/* SPEC 1.1 errata (2026-11-27): one verdict, and two-rule defects */

static void i_rt_at_zero(struct vb_file *f)
{
	/* count > 0, offset 0: the table would lie on the signature */
	base(f);
	sb_set(f, 96, 8, 0);
}

static void i_st_in_slot(struct vb_file *f)
{
	/* the section table in slot A's unused bytes (zeros): placement and
	 * the trailer are both broken; placement is checked first */
	base(f);
	sb_set(f, 112, 8, 4096 + 1024);
}

static void i_st_offset_no_sections(struct vb_file *f)
{
	vb_add_region(f, "pc.ram", 4096, 4, VB_ALL);
	f->nfeatures = 0;
	vb_render(f);
	sb_set(f, 112, 8, f->rt_offset);
}

static void i_file_length_small(struct vb_file *f)
{
	/* below the fixed area: a bad value, whatever else it breaks */
	base(f);
	sb_set(f, 80, 8, 8192);
}

static void i_same_seq_lengths(struct vb_file *f)
{
	/* two intact copies with the same sequence, one 256 and one 264
	 * bytes long */
	uint8_t *b;

	base(f);
	b = vb_slot(f, 1);
	vb_put64(b + 16, f->seq_a);
	vb_put32(b + 12, 264);
	memset(b + 248, 0, 8);
	vb_put64(b + 256, vb_hash(b, 256, 0));
	vb_put64(vb_slot(f, 0) + 248, vb_hash(vb_slot(f, 0), 248, 0));
}

static void i_incomplete_committed(struct vb_file *f)
{
	/* commit_time is informative: the incomplete bit decides */
	f->incompat = 1;
	base(f);
}

/* ---- 1.2: compressed frames ---- */

static uint8_t *cf_entry(struct vb_file *f, uint64_t frame)
{
	return vb_frame_entry(f, 0, frame);
}

static void i_cf_table_csum(struct vb_file *f)
{
	cf_base(f);
	cf_entry(f, 1)[9] ^= 0x01; /* a frame checksum, trailer not resealed */
}

static void i_cf_too_long(struct vb_file *f)
{
	cf_base(f);
	vb_put32(cf_entry(f, 0), 4 * 4096); /* compressed, as long as raw */
	vb_reseal(f);
}

static void i_cf_zero_length(struct vb_file *f)
{
	cf_base(f);
	vb_put32(cf_entry(f, 0), 0);
	vb_reseal(f);
}

static void i_cf_raw_length(struct vb_file *f)
{
	cf_model(f);
	vb_frame_raw(&f->regions[0], 1);
	vb_render(f);
	vb_put32(cf_entry(f, 1), 4 * 4096 - 8);
	vb_reseal(f);
}

static void i_cf_encoding_3(struct vb_file *f)
{
	cf_base(f);
	cf_entry(f, 0)[4] = 3;
	vb_reseal(f);
}

static void i_cf_entry_reserved(struct vb_file *f)
{
	cf_base(f);
	cf_entry(f, 0)[6] = 1;
	vb_reseal(f);
}

/* Frame 2 absent in the table while its pages are present. */
static void i_cf_absent_present(struct vb_file *f)
{
	cf_base(f);
	memset(cf_entry(f, 2), 0, 16);
	vb_reseal(f);
}

/* A frame none of whose pages is present, stored compressed. */
static void i_cf_compressed_no_page(struct vb_file *f)
{
	struct vb_region *r = vb_add_region(f, "pc.ram", 4096, 8, VB_ALL);

	for (uint64_t i = 4; i < 8; i++)
		r->present[i] = 0;
	vb_compress(f, r, 2);
	vb_render(f);
	/* frame 1 gets a copy of frame 0's stored bytes and entry */
	memcpy(vb_frame_slot(f, 0, 1), vb_frame_slot(f, 0, 0),
	       (uint32_t)vb_get64(cf_entry(f, 0)));
	memcpy(cf_entry(f, 1), cf_entry(f, 0), 16);
	vb_reseal_frames(f);
	vb_reseal(f);
}

static void i_cf_frame_csum(struct vb_file *f)
{
	cf_base(f);
	vb_frame_slot(f, 0, 1)[5] ^= 0x40; /* stored bytes, checksum kept */
}

/* Stored bytes that decompress to 3 pages instead of 4. */
static void i_cf_short_frame(struct vb_file *f)
{
	uint8_t *raw = calloc(4 * 4096, 1), *slot;
	size_t n;

	cf_base(f);
	for (int k = 0; k < 3; k++)
		vb_page_fill(raw + k * 4096, 4096, f->regions[0].seed, 4 + k);
	slot = vb_frame_slot(f, 0, 1);
	memset(slot, 0, 4 * 4096);
	n = ZSTD_compress(slot, 4 * 4096, raw, 3 * 4096, 3);
	vb_put32(cf_entry(f, 1), (uint32_t)n);
	vb_reseal_frames(f);
	vb_reseal(f);
	free(raw);
}

/* Stored bytes that are not a Zstandard frame at all. */
static void i_cf_garbage(struct vb_file *f)
{
	uint8_t *slot;

	cf_base(f);
	slot = vb_frame_slot(f, 0, 1);
	memset(slot, 0, 4 * 4096);
	for (int k = 0; k < 64; k++)
		slot[k] = (uint8_t)(k * 37 + 11);
	vb_put32(cf_entry(f, 1), 64);
	vb_reseal_frames(f);
	vb_reseal(f);
}

/* A valid Zstandard frame followed by a stray byte inside stored_length. */
static void i_cf_trailing(struct vb_file *f)
{
	uint8_t *e;
	uint32_t n;

	cf_base(f);
	e = cf_entry(f, 1);
	n = (uint32_t)vb_get64(e);
	vb_frame_slot(f, 0, 1)[n] = 0x5a;
	vb_put32(e, n + 1);
	vb_reseal_frames(f);
	vb_reseal(f);
}

/* The frame is fine; the checksum entry of one of its pages is not. */
static void i_cf_page_csum(struct vb_file *f)
{
	cf_base(f);
	csum_entry(f, 0, 5)[2] ^= 0x04;
	vb_reseal(f);
}

static void i_cf_method_7(struct vb_file *f)
{
	cf_base(f);
	region_entry(f, 0)[40] = 7;
	vb_reseal(f);
}

/* 4 KiB pages in frames of 2^13 pages: 32 MiB frames. */
static void i_cf_shift(struct vb_file *f)
{
	cf_base(f);
	region_entry(f, 0)[41] = 13;
	vb_reseal(f);
}

static void i_cf_table_align(struct vb_file *f)
{
	cf_base(f);
	vb_put64(region_entry(f, 0) + 48, f->regions[0].frame_table_offset + 4);
	vb_reseal(f);
}

static void i_cf_table_oob(struct vb_file *f)
{
	cf_base(f);
	vb_put64(region_entry(f, 0) + 48, f->file_length);
	vb_reseal(f);
}

static void i_cf_table_overlap(struct vb_file *f)
{
	cf_base(f);
	vb_put64(region_entry(f, 0) + 48, f->regions[0].pages_offset);
	vb_reseal(f);
}

/* Compression fields in a file without the compressed-frames bit. */
static void i_cf_no_feature(struct vb_file *f)
{
	cf_base(f);
	sb_set(f, 24, 8, 0); /* incompat_features */
}

/* An uncompressed region (method 0) with a frame_shift. */
static void i_cf_none_shift(struct vb_file *f)
{
	cf_base(f);
	region_entry(f, 1)[41] = 2;
	vb_reseal(f);
}

/* A compressed region without pages but with a frame table offset. */
static void i_cf_empty_table(struct vb_file *f)
{
	struct vb_region *r = vb_add_region(f, "nothing", 4096, 0, VB_NONE);

	vb_compress(f, r, 2);
	vb_add_region(f, "pc.ram", 4096, 4, VB_ALL);
	vb_render(f);
	vb_put64(region_entry(f, 0) + 48, f->regions[1].csum_offset);
	vb_reseal(f);
}

/*
 * Frame rules at more positions (SPEC "Compressed frames"): the model's
 * region has frames 0 (first), 1 and 2 (middle) and 3 (last). Each helper
 * puts one defect into frame k; the wrappers below name the positions that
 * the vectors of 1.2 did not cover.
 */
static void cf_reserved_at(struct vb_file *f, uint64_t k)
{
	cf_base(f);
	cf_entry(f, k)[5 + k % 3] = 1;
	vb_reseal(f);
}

static void cf_encoding3_at(struct vb_file *f, uint64_t k)
{
	cf_base(f);
	cf_entry(f, k)[4] = 3;
	vb_reseal(f);
}

static void cf_stored_at(struct vb_file *f, uint64_t k, uint32_t stored)
{
	cf_base(f);
	vb_put32(cf_entry(f, k), stored);
	vb_reseal(f);
}

static void cf_raw_length_at(struct vb_file *f, uint64_t k)
{
	cf_model(f);
	vb_frame_raw(&f->regions[0], k);
	vb_render(f);
	vb_put32(cf_entry(f, k), 4 * 4096 - 8);
	vb_reseal(f);
}

static void cf_absent_present_at(struct vb_file *f, uint64_t k)
{
	cf_base(f);
	memset(cf_entry(f, k), 0, 16);
	vb_reseal(f);
}

/*
 * A region of 4 frames of 4 pages whose frame k has no present page but is
 * stored compressed: a copy of another frame's stored bytes and entry.
 */
static void cf_stored_no_page_at(struct vb_file *f, uint64_t k)
{
	struct vb_region *r = vb_add_region(f, "pc.ram", 4096, 16, VB_ALL);
	uint64_t from = k ? 0 : 1;

	for (uint64_t i = 4 * k; i < 4 * k + 4; i++)
		r->present[i] = 0;
	vb_compress(f, r, 2);
	vb_render(f);
	memcpy(vb_frame_slot(f, 0, k), vb_frame_slot(f, 0, from),
	       (uint32_t)vb_get64(cf_entry(f, from)));
	memcpy(cf_entry(f, k), cf_entry(f, from), 16);
	vb_reseal_frames(f);
	vb_reseal(f);
}

static void cf_frame_csum_at(struct vb_file *f, uint64_t k)
{
	cf_base(f);
	vb_frame_slot(f, 0, k)[5] ^= 0x40; /* stored bytes, checksum kept */
}

/* Frame k's stored bytes replaced by `n` bytes of src, entry resealed. */
static void cf_store(struct vb_file *f, uint64_t k, const uint8_t *src,
		     size_t n)
{
	uint8_t *slot = vb_frame_slot(f, 0, k);

	memset(slot, 0, 4 * 4096);
	memcpy(slot, src, n);
	vb_put32(cf_entry(f, k), (uint32_t)n);
	vb_reseal_frames(f);
	vb_reseal(f);
}

/* Frame k's pages, as the model stores them, compressed on their own. */
static size_t cf_frame_raw(struct vb_file *f, uint64_t k, uint8_t *raw)
{
	memset(raw, 0, 4 * 4096);
	for (uint64_t i = 0; i < 4; i++)
		if (f->regions[0].present[4 * k + i])
			vb_page_fill(raw + i * 4096, 4096, f->regions[0].seed,
				     4 * k + i);
	return 4 * 4096;
}

static void cf_short_at(struct vb_file *f, uint64_t k)
{
	uint8_t raw[4 * 4096], out[4 * 4096];
	size_t n;

	cf_base(f);
	cf_frame_raw(f, k, raw);
	n = ZSTD_compress(out, sizeof(out), raw, 3 * 4096, 3);
	cf_store(f, k, out, n);
}

static void cf_garbage_at(struct vb_file *f, uint64_t k)
{
	uint8_t g[64];

	cf_base(f);
	for (int i = 0; i < 64; i++)
		g[i] = (uint8_t)(i * 37 + 11 + k);
	cf_store(f, k, g, sizeof(g));
}

static void cf_trailing_at(struct vb_file *f, uint64_t k)
{
	uint8_t *e;
	uint32_t n;

	cf_base(f);
	e = cf_entry(f, k);
	n = (uint32_t)vb_get64(e);
	vb_frame_slot(f, 0, k)[n] = 0x5a;
	vb_put32(e, n + 1);
	vb_reseal_frames(f);
	vb_reseal(f);
}

/*
 * Frame 1 stored as a Zstandard frame whose header is rewritten (RFC 8878,
 * "Frame_Header"): the blocks of a normal frame of the same bytes after a
 * header with descriptor `fhd`, then `extra` (window descriptor, dictionary
 * id, content size, in that order, as the descriptor asks).
 */
static void cf_zstd_header(struct vb_file *f, uint8_t fhd,
			   const uint8_t *extra, size_t nextra)
{
	uint8_t raw[4 * 4096], z[4 * 4096], out[4 * 4096];
	size_t n, hdr;
	uint8_t d;

	cf_base(f);
	cf_frame_raw(f, 1, raw);
	n = ZSTD_compress(z, sizeof(z), raw, sizeof(raw), 3);
	d = z[4]; /* this frame's descriptor: work out its header length */
	hdr = 5 + ((d & 0x20) ? 0 : 1) + (size_t[]){ 0, 1, 2, 4 }[d & 3] +
	      (size_t[]){ (d & 0x20) ? 1 : 0, 2, 4, 8 }[d >> 6];
	memcpy(out, z, 4);
	out[4] = (uint8_t)(fhd | (d & 0x04)); /* keep its checksum flag */
	memcpy(out + 5, extra, nextra);
	memcpy(out + 5 + nextra, z + hdr, n - hdr);
	cf_store(f, 1, out, 5 + nextra + n - hdr);
}

/* No content size: window 16 KiB (exponent 4), no size field. */
static void i_cf_zstd_no_size(struct vb_file *f)
{
	const uint8_t wd[] = { 4 << 3 };

	cf_zstd_header(f, 0x00, wd, sizeof(wd));
}

/* A 32 MiB window (exponent 15), content size 16 KiB in 4 bytes. */
static void i_cf_zstd_window(struct vb_file *f)
{
	const uint8_t x[] = { 15 << 3, 0x00, 0x40, 0x00, 0x00 };

	cf_zstd_header(f, 0x80, x, sizeof(x));
}

/* Single segment, dictionary id 7 in one byte, content size in 2 bytes. */
static void i_cf_zstd_dict(struct vb_file *f)
{
	const uint8_t x[] = { 7, 0x00, 0x3f }; /* 16384 - 256 */

	cf_zstd_header(f, 0x60 | 0x01, x, sizeof(x));
}

/* The same with dictionary id 0: names no dictionary, a valid frame. */
static void v_cf_zstd_dict0(struct vb_file *f)
{
	const uint8_t x[] = { 0, 0x00, 0x3f };

	cf_zstd_header(f, 0x60 | 0x01, x, sizeof(x));
}

/* The checksum entry of page p of the compressed region is wrong. */
static void cf_page_csum_at(struct vb_file *f, uint64_t p)
{
	cf_base(f);
	csum_entry(f, 0, p)[2] ^= 0x04;
	vb_reseal(f);
}

/* Two defects, one verdict: a page of frame 0 that does not match its
 * checksum, and a reserved byte of frame 1's entry: the whole frame table
 * is checked before any page (SPEC "Order of checks"). */
static void i_cf_order_entry_first(struct vb_file *f)
{
	cf_base(f);
	csum_entry(f, 0, 1)[2] ^= 0x04;
	cf_entry(f, 1)[6] = 1;
	vb_reseal(f);
}

/* Two defects: a page of frame 0 that does not match its checksum, then
 * frame 1's stored bytes changed: frame 0's page comes first. */
static void i_cf_order_page_first(struct vb_file *f)
{
	cf_base(f);
	csum_entry(f, 0, 1)[2] ^= 0x04;
	vb_reseal(f);
	vb_frame_slot(f, 0, 1)[5] ^= 0x40;
}

/* A stale byte after a compressed frame's stored bytes and in an absent
 * frame's slot: never read, the file is valid. */
static void v_cf_slot_leftovers(struct vb_file *f)
{
	struct vb_region *r = vb_add_region(f, "pc.ram", 4096, 12, VB_ALL);

	for (uint64_t i = 4; i < 8; i++)
		r->present[i] = 0;
	vb_compress(f, r, 2);
	vb_render(f);
	vb_frame_slot(f, 0, 0)[(uint32_t)vb_get64(cf_entry(f, 0)) + 3] = 0xa5;
	vb_frame_slot(f, 0, 1)[100] = 0x5a;
}

/* ---- 1.2 errata: what the mutation score of libfrc's checks found ---- */

static void ft_name_byte(struct vb_file *f, unsigned at, uint8_t v)
{
	base(f);
	f->buf[f->ft_offset + 8 + at] = v;
	vb_reseal(f);
}

static void i_ft_name_utf8(struct vb_file *f) { ft_name_byte(f, 0, 0xff); }
static void i_ft_name_pad(struct vb_file *f) { ft_name_byte(f, 39, 'x'); }

static void i_ft_name_empty(struct vb_file *f)
{
	base(f);
	memset(f->buf + f->ft_offset + 8, 0, 40);
	vb_reseal(f);
}

static void i_rt_unaligned(struct vb_file *f)
{
	base(f);
	sb_set(f, 96, 8, f->rt_offset + 4);
}

static void i_st_len_unaligned(struct vb_file *f)
{
	base(f);
	sb_set(f, 120, 4, f->st_length + 4);
}

static void i_rt_too_long(struct vb_file *f)
{
	base(f);
	sb_set(f, 104, 4, 2 * 320 + 16); /* 2 entries of at most 320 + 8 */
}

static void i_csum_unaligned(struct vb_file *f)
{
	base(f);
	vb_put64(region_entry(f, 0) + 24, f->regions[0].csum_offset + 4);
	vb_reseal(f);
}

static void i_cf_region_reserved(struct vb_file *f)
{
	cf_base(f);
	region_entry(f, 0)[44] = 1;
	vb_reseal(f);
}

static void i_rt_count_more(struct vb_file *f)
{
	base(f);
	sb_set(f, 108, 4, 3); /* the table holds 2 entries */
}

static void i_rt_id_past(struct vb_file *f)
{
	base(f);
	vb_put16(region_entry(f, 1) + 12, 100); /* "vga" claims 100 bytes */
	vb_reseal(f);
}

static void i_st_count_more(struct vb_file *f)
{
	base(f);
	sb_set(f, 124, 4, f->nsections + 1);
}

static void i_st_name_past(struct vb_file *f)
{
	base(f);
	vb_put16(section_entry(f, f->nsections - 1) + 32, 200);
	vb_reseal(f);
}

/* An item with key_length 0 whose value takes the old key and value:
 * everything else about the section is right. */
static void i_meta_key0(struct vb_file *f)
{
	uint8_t *p;

	base(f);
	p = f->buf + f->sections[1].offset;
	vb_put16(p, 0);
	vb_put32(p + 2, 10 + 15); /* "hypervisor" "frc-gen-vectors" */
	vb_reseal(f);
}

static void i_meta_key256(struct vb_file *f)
{
	char key[257];

	memset(key, 'k', 256);
	key[256] = '\0';
	vb_add_region(f, "pc.ram", 4096, 4, VB_ALL);
	vb_add_meta(f, key, "value");
	vb_render(f);
}

/* One good item, then 3 bytes: an item header does not fit. */
static void i_meta_header_past(struct vb_file *f)
{
	vb_add_region(f, "pc.ram", 4096, 4, VB_ALL);
	vb_add_section(f, FRC_SECTION_METADATA, 0, NULL,
		       "\x01\0\x01\0\0\0ab\0\0\0", 11);
	vb_render(f);
}

/* Two defects: a metadata key with a capital letter, and the section's
 * checksum no longer matching its bytes: the checksum comes first. */
static void i_meta_csum_first(struct vb_file *f)
{
	uint8_t *p;

	base(f);
	p = f->buf + f->sections[1].offset;
	p[6] = 'H';
	vb_reseal(f);
	p[17] = 'x'; /* a value byte: still UTF-8, checksum now wrong */
}

/* A region whose frame 1 is absent; `stored` and `csum` go into its entry. */
static void cf_absent_entry(struct vb_file *f, uint32_t stored, uint64_t csum)
{
	struct vb_region *r = vb_add_region(f, "pc.ram", 4096, 12, VB_ALL);

	for (uint64_t i = 4; i < 8; i++)
		r->present[i] = 0;
	vb_compress(f, r, 2);
	vb_render(f);
	vb_put32(cf_entry(f, 1), stored);
	vb_put64(cf_entry(f, 1) + 8, csum);
	vb_reseal(f);
}

static void i_cf_absent_stored(struct vb_file *f) { cf_absent_entry(f, 5, 0); }
static void i_cf_absent_csum(struct vb_file *f)
{
	cf_absent_entry(f, 0, 0x1234);
}

/* A skippable frame after the Zstandard frame (ZSTD_decompress skips it). */
static void i_cf_skippable_after(struct vb_file *f)
{
	static const uint8_t skip[8] = { 0x50, 0x2a, 0x4d, 0x18, 0, 0, 0, 0 };
	uint8_t *e;
	uint32_t n;

	cf_base(f);
	e = cf_entry(f, 1);
	n = (uint32_t)vb_get64(e);
	memcpy(vb_frame_slot(f, 0, 1) + n, skip, sizeof(skip));
	vb_put32(e, n + (uint32_t)sizeof(skip));
	vb_reseal_frames(f);
	vb_reseal(f);
}

/* A frame with a Zstandard content checksum, its last byte changed. */
static void i_cf_content_checksum(struct vb_file *f)
{
	uint8_t raw[4 * 4096], z[4 * 4096];
	ZSTD_CCtx *c = ZSTD_createCCtx();
	size_t n;

	cf_base(f);
	cf_frame_raw(f, 1, raw);
	ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 1);
	n = ZSTD_compress2(c, z, sizeof(z), raw, sizeof(raw));
	ZSTD_freeCCtx(c);
	z[n - 1] ^= 0x01;
	cf_store(f, 1, z, n);
}

/*
 * The last section entry (the metadata's, without a name) claims a
 * 32-byte name: it would run over the table's trailer and 24 bytes past
 * the table. The device-state bytes are chosen so that the trailer is
 * printable ASCII: a reader that read the name anyway would read on past
 * the table's end (AddressSanitizer sees it), not stop at a NUL.
 */
static void i_st_name_past_trailer(struct vb_file *f)
{
	base(f);
	vb_put16(section_entry(f, f->nsections - 1) + 32, 32);
	for (unsigned k = 0;; k++) {
		uint8_t *dev = f->buf + f->sections[0].offset;
		const uint8_t *t = f->buf + f->st_offset + f->st_length - 8;
		int ok = 1;

		dev[0] = (uint8_t)('a' + k % 26);
		dev[1] = (uint8_t)('a' + k / 26 % 26);
		dev[2] = (uint8_t)('a' + k / 676 % 26);
		vb_reseal(f);
		for (int i = 0; i < 8; i++)
			ok &= t[i] >= 0x20 && t[i] < 0x7f;
		if (ok)
			break;
	}
}

/* ---- per-entry rules at the first, a middle and the last entry ---- */

/* Three regions of 12 pages (every third absent), a device-state section,
 * three metadata items and three feature names. */
static void three_model(struct vb_file *f)
{
	vb_add_feature_name(f, 2, 3, "future-compat-three");
	vb_add_feature_name(f, 2, 4, "future-compat-four");
	vb_add_region(f, "ram-a", 4096, 12, VB_EVERY_THIRD);
	vb_add_region(f, "ram-b", 4096, 12, VB_EVERY_THIRD);
	vb_add_region(f, "ram-c", 4096, 12, VB_EVERY_THIRD);
	vb_add_section(f, FRC_SECTION_DEVICE_STATE, 0, "vmstate",
		       "device-bytes", 12);
	vb_add_meta(f, "alpha", "one");
	vb_add_meta(f, "beta", "two");
	vb_add_meta(f, "gamma", "three");
	vb_render(f);
}

static void i_page_flip_first(struct vb_file *f)
{
	base(f);
	page_slot(f, 0, 1)[17] ^= 0x02; /* the first present page */
}

static void absent_entry_at(struct vb_file *f, uint64_t page)
{
	base(f);
	vb_put64(csum_entry(f, 0, page), 0x0123456789abcdefu);
	vb_reseal(f);
}

static void i_absent_entry_first(struct vb_file *f) { absent_entry_at(f, 0); }
static void i_absent_entry_last(struct vb_file *f) { absent_entry_at(f, 9); }

static void region_byte_at(struct vb_file *f, unsigned r, unsigned off,
			   uint8_t v)
{
	three_model(f);
	region_entry(f, r)[off] = v;
	vb_reseal(f);
}

static void i_rg_res14_middle(struct vb_file *f) { region_byte_at(f, 1, 15, 1); }
static void i_rg_res14_last(struct vb_file *f) { region_byte_at(f, 2, 15, 1); }

static void bitmap_pad_at(struct vb_file *f, unsigned r)
{
	three_model(f);
	f->buf[f->regions[r].bitmap_offset + 1] |= 0x20; /* page 13 of 12 */
	vb_reseal(f);
}

static void i_bm_pad_middle(struct vb_file *f) { bitmap_pad_at(f, 1); }
static void i_bm_pad_last(struct vb_file *f) { bitmap_pad_at(f, 2); }

static void i_section_type0_last(struct vb_file *f)
{
	three_model(f);
	vb_put32(section_entry(f, f->nsections - 1), 0);
	vb_reseal(f);
}

/* A capital letter in the key of metadata item `item` (of three). */
static void meta_key_at(struct vb_file *f, unsigned item)
{
	static const unsigned at[3] = { 6, 6 + 5 + 3 + 6, 6 + 5 + 3 + 6 + 4 + 3 + 6 };
	unsigned meta = 0;

	three_model(f);
	for (unsigned i = 0; i < f->nsections; i++)
		if (f->sections[i].type == FRC_SECTION_METADATA)
			meta = i;
	f->buf[f->sections[meta].offset + at[item]] ^= 0x20; /* a -> A */
	vb_reseal(f);
}

static void i_meta_key_middle(struct vb_file *f) { meta_key_at(f, 1); }
static void i_meta_key_last(struct vb_file *f) { meta_key_at(f, 2); }

static void ft_kind_at(struct vb_file *f, unsigned entry)
{
	three_model(f);
	f->buf[f->ft_offset + 48 * entry] = 3;
	vb_reseal(f);
}

static void i_ft_kind_middle(struct vb_file *f) { ft_kind_at(f, 1); }
static void i_ft_kind_last(struct vb_file *f) { ft_kind_at(f, 2); }

#define AT(fn, k) static void fn##_##k(struct vb_file *f) { fn(f, k); }
AT(cf_reserved_at, 2) AT(cf_reserved_at, 3)
AT(cf_encoding3_at, 2) AT(cf_encoding3_at, 3)
AT(cf_raw_length_at, 0) AT(cf_raw_length_at, 3)
AT(cf_absent_present_at, 0) AT(cf_absent_present_at, 3)
AT(cf_stored_no_page_at, 0) AT(cf_stored_no_page_at, 2)
AT(cf_frame_csum_at, 0) AT(cf_frame_csum_at, 3)
AT(cf_short_at, 0) AT(cf_short_at, 3)
AT(cf_garbage_at, 0) AT(cf_garbage_at, 3)
AT(cf_trailing_at, 0) AT(cf_trailing_at, 3)
AT(cf_page_csum_at, 1) AT(cf_page_csum_at, 14)
/* A region without pages with frames of 32 MiB: the limit still holds. */
static void i_cf_empty_shift(struct vb_file *f)
{
	vb_compress(f, vb_add_region(f, "nothing", 4096, 0, VB_NONE), 3);
	vb_add_region(f, "pc.ram", 4096, 4, VB_ALL);
	vb_render(f);
	region_entry(f, 0)[41] = 13;
	vb_reseal(f);
}

static void cf_zero_length_2(struct vb_file *f) { cf_stored_at(f, 2, 0); }
static void cf_zero_length_3(struct vb_file *f) { cf_stored_at(f, 3, 0); }
static void cf_too_long_2(struct vb_file *f) { cf_stored_at(f, 2, 4 * 4096); }
static void cf_too_long_3(struct vb_file *f) { cf_stored_at(f, 3, 4 * 4096); }

#define R(n, name, d, spec, rules, cls, fn) { n, name, d, spec, rules, fn, cls }
const struct recipe invalid_recipes[] = {
	R(1, "signature-byte-0", "signature byte 0 with its high bit cleared "
	  "(7-bit transfer)", "§3", "R-SIG", "bad-signature", i_sig0),
	R(2, "signature-byte-1", "signature byte 1 'f'", "§3", "R-SIG",
	  "bad-signature", i_sig1),
	R(3, "signature-byte-2", "signature byte 2 'r'", "§3", "R-SIG",
	  "bad-signature", i_sig2),
	R(4, "signature-byte-3", "signature byte 3 'c'", "§3", "R-SIG",
	  "bad-signature", i_sig3),
	R(5, "signature-byte-4", "signature byte 4 LF instead of CR", "§3",
	  "R-SIG", "bad-signature", i_sig4),
	R(6, "signature-byte-5", "signature byte 5 CR instead of LF", "§3",
	  "R-SIG", "bad-signature", i_sig5),
	R(7, "signature-byte-6", "signature byte 6 NUL instead of 0x1a", "§3",
	  "R-SIG", "bad-signature", i_sig6),
	R(8, "signature-byte-7", "signature byte 7 CR instead of LF", "§3",
	  "R-SIG", "bad-signature", i_sig7),
	R(9, "text-mode-transfer", "CR LF of the signature turned into LF: "
	  "every later byte moved", "§3", "R-SIG", "bad-signature",
	  i_text_mode),
	R(10, "empty-file", "a file of 0 bytes", "§3", "R-SIG-SHORT",
	  "truncated", i_empty),
	R(11, "signature-prefix", "the first 4 bytes of the signature only",
	  "§3", "R-SIG-SHORT", "truncated", i_sig_only),
	R(12, "shorter-than-fixed-area", "12287 bytes", "§2.1",
	  "R-FIXED-SHORT", "truncated", i_short),
	R(13, "truncated-after-slot-a", "cut at 8192, inside the fixed area",
	  "§2.1", "R-FIXED-SHORT", "truncated", i_cut_slot_a),
	R(14, "truncated-feature-table", "cut inside the feature-name table",
	  "§4.2", "R-FILE-LENGTH", "truncated", i_cut_ft),
	R(15, "truncated-region-table", "cut 1 byte before the end of the "
	  "region table", "§4.2", "R-FILE-LENGTH", "truncated", i_cut_rt),
	R(16, "truncated-bitmap", "cut inside the first bitmap", "§4.2",
	  "R-FILE-LENGTH", "truncated", i_cut_bitmap),
	R(17, "truncated-checksum-table", "cut inside the first checksum table",
	  "§4.2", "R-FILE-LENGTH", "truncated", i_cut_csum),
	R(18, "truncated-page-area", "cut inside page 5 of the first region",
	  "§4.2", "R-FILE-LENGTH", "truncated", i_cut_pages),
	R(19, "truncated-after-pages", "cut at the end of the last page area",
	  "§4.2", "R-FILE-LENGTH", "truncated", i_cut_pages_end),
	R(20, "truncated-section", "cut inside the first section", "§4.2",
	  "R-FILE-LENGTH", "truncated", i_cut_section),
	R(21, "truncated-last-byte", "the last byte missing", "§4.2",
	  "R-FILE-LENGTH", "truncated", i_cut_last),
	R(22, "file-length-past-end", "file_length one byte more than the "
	  "file", "§4.2", "R-FILE-LENGTH", "truncated", i_file_length),
	R(23, "superblock-checksums", "both superblock copies fail their "
	  "checksum", "§4.5", "R-SEL-NONE R-CSUM", "checksum-mismatch",
	  i_sb_both_csum),
	R(24, "region-table-checksum", "a region id byte flipped", "§7.3",
	  "R-CSUM", "checksum-mismatch", i_rt_csum),
	R(25, "bitmap-checksum", "a bitmap bit flipped", "§7.3, §8", "R-CSUM",
	  "checksum-mismatch", i_bitmap_csum),
	R(26, "checksum-table-checksum", "a checksum table entry flipped",
	  "§7.3, §7.4", "R-CSUM R-CSUM-TABLE-FIRST", "checksum-mismatch",
	  i_csum_table),
	R(27, "page-checksum", "a bit of a present page flipped", "§7.4",
	  "R-CSUM", "checksum-mismatch", i_page_flip),
	R(28, "page-checksum-last-byte", "the last byte of the last page "
	  "flipped", "§7.4", "R-CSUM", "checksum-mismatch", i_last_byte_flip),
	R(29, "section-checksum", "a byte of a device-state section flipped",
	  "§9.1", "R-CSUM", "checksum-mismatch", i_section_csum),
	R(30, "section-table-checksum", "a section name byte flipped", "§7.3",
	  "R-CSUM", "checksum-mismatch", i_st_csum),
	R(31, "feature-table-checksum", "a feature name byte flipped", "§7.3",
	  "R-CSUM R-FT", "checksum-mismatch", i_ft_csum),
	R(32, "misdirected-page", "page 1 written to the slot of page 2",
	  "§7.2", "R-CSUM", "checksum-mismatch", i_misdirected),
	R(33, "page-from-other-region", "a page and its checksum entry copied "
	  "from another region", "§7.2", "R-CSUM", "checksum-mismatch",
	  i_other_region),
	R(34, "entry-consistent-trailer-stale", "a page replaced and its "
	  "entry recomputed, the checksum table trailer not", "§7.4",
	  "R-CSUM-TABLE-FIRST", "checksum-mismatch", i_entry_trailer_stale),
	R(35, "structure-from-other-file", "a region table sealed with another "
	  "file's UUID", "§7.2, §16", "R-UUID-UNIQUE R-CSUM",
	  "checksum-mismatch", i_other_file),
	R(36, "torn-page", "a page half from one write and half from another",
	  "§10.1", "R-W-SAME-PAGE R-CSUM", "checksum-mismatch", i_torn_page),
	R(37, "committed-before-metadata", "a complete superblock whose bitmaps "
	  "and checksum tables were never written", "§10.2",
	  "R-W-COMMIT-ORDER R-CSUM", "checksum-mismatch", i_commit_early),
	R(38, "region-table-out-of-bounds", "region table past file_length",
	  "§2.2", "R-BOUNDS", "out-of-bounds", i_rt_oob),
	R(39, "bitmap-out-of-bounds", "bitmap past file_length", "§2.2",
	  "R-BOUNDS", "out-of-bounds", i_bitmap_oob),
	R(40, "checksum-table-out-of-bounds", "checksum table at file_length",
	  "§2.2", "R-BOUNDS", "out-of-bounds", i_csum_oob),
	R(41, "page-area-out-of-bounds", "a page area ending past file_length",
	  "§2.2", "R-BOUNDS", "out-of-bounds", i_pages_oob),
	R(42, "page-area-overflow", "pages_offset + used_length overflows 64 "
	  "bits", "§2.2", "R-BOUNDS", "out-of-bounds", i_pages_overflow),
	R(43, "section-out-of-bounds", "a section ending past file_length",
	  "§2.2", "R-BOUNDS", "out-of-bounds", i_section_oob),
	R(44, "section-overflow", "section offset + length overflows 64 bits",
	  "§2.2", "R-BOUNDS", "out-of-bounds", i_section_overflow),
	R(45, "feature-table-out-of-bounds", "feature-name table at "
	  "file_length", "§2.2", "R-BOUNDS R-FT", "out-of-bounds", i_ft_oob),
	R(46, "overlap-bitmap-checksums", "a bitmap on top of a checksum table",
	  "§2.2", "R-OVERLAP", "overlap", i_overlap_tables),
	R(47, "overlap-page-areas", "two page areas at the same offset", "§2.2",
	  "R-OVERLAP", "overlap", i_overlap_pages),
	R(48, "overlap-fixed-area", "the region table inside superblock slot B",
	  "§2.2", "R-OVERLAP", "overlap", i_overlap_fixed),
	R(49, "overlap-section-pages", "a section inside a page area", "§2.2",
	  "R-OVERLAP", "overlap", i_overlap_section),
	R(50, "misaligned-page-area", "pages_offset not a multiple of the page "
	  "size", "§6.2", "R-PAGE-ALIGN", "bad-field", i_misaligned_pages),
	R(51, "misaligned-bitmap", "bitmap_offset not a multiple of 8", "§2.2",
	  "R-ALIGN8", "bad-field", i_misaligned_bitmap),
	R(52, "page-size-3072", "page size not a power of two", "§6.1",
	  "R-RT-ENTRY", "bad-field", i_ps_3072),
	R(53, "page-size-256", "page size below 512", "§6.1",
	  "R-RT-ENTRY R-LIMITS", "bad-field", i_ps_256),
	R(54, "page-size-32m", "page size above 16 MiB", "§6.1",
	  "R-RT-ENTRY R-LIMITS", "bad-field", i_ps_32m),
	R(55, "page-size-0", "page size 0", "§6.1", "R-RT-ENTRY", "bad-field",
	  i_ps_0),
	R(56, "used-length-not-multiple", "used_length not a multiple of the "
	  "page size", "§6.1", "R-RT-ENTRY", "bad-field", i_used_len),
	R(57, "duplicate-region-ids", "two regions called pc.ram", "§6.1",
	  "R-RT-ENTRY", "bad-field", i_dup_ids),
	R(58, "bitmap-padding-bit", "a bitmap bit beyond the last page set",
	  "§8", "R-BM-PAD", "bad-field", i_bitmap_pad_bit),
	R(59, "bitmap-padding-byte", "a bitmap padding byte non-zero", "§8",
	  "R-BM-PAD", "bad-field", i_bitmap_pad_byte),
	R(60, "superblock-reserved-93", "superblock reserved byte 94 non-zero",
	  "§4.2", "R-SB-FIELDS", "bad-field", i_sb_res93),
	R(61, "superblock-reserved-140", "superblock reserved byte 141 "
	  "non-zero", "§4.2", "R-SB-FIELDS", "bad-field", i_sb_res140),
	R(62, "region-reserved-14", "region entry reserved byte 15 non-zero",
	  "§6.1", "R-RT-ENTRY", "bad-field", i_rg_res14),
	R(63, "region-reserved-40", "region entry reserved byte 63 non-zero",
	  "§6.1", "R-RT-ENTRY", "bad-field", i_rg_res40),
	R(64, "region-id-padding", "region id padding non-zero", "§6.1",
	  "R-RT-ENTRY", "bad-field", i_rg_idpad),
	R(65, "section-reserved", "section entry reserved byte non-zero",
	  "§9.1", "R-ST-FILL", "bad-field", i_sec_res),
	R(66, "feature-entry-reserved", "feature-name entry reserved byte "
	  "non-zero", "§5", "R-FT", "bad-field", i_ft_res),
	R(67, "incomplete", "a save interrupted before commit: incomplete "
	  "superblock, no bitmaps or checksums", "§10.3",
	  "R-INCOMPLETE R-SALVAGE", "incomplete", i_incomplete),
	R(68, "incomplete-commit-torn", "crash during commit step 3: copy B "
	  "torn, copy A incomplete", "§10.3, §10.5",
	  "R-INCOMPLETE R-SEL-HIGHEST", "incomplete",
	  i_incomplete_commit_torn),
	R(69, "incomplete-and-unknown-incompat", "incomplete and an unknown "
	  "incompatible feature: unsupported wins", "§4.6, §12",
	  "R-ERR-ORDER R-INCOMPAT", "unsupported-feature",
	  i_incomplete_unknown),
	R(70, "incomplete-and-major-0", "incomplete and major version 0: "
	  "unsupported wins", "§4.6, §12", "R-ERR-ORDER R-MAJOR",
	  "unsupported-version", i_incomplete_major0),
	R(71, "checksum-algorithm-0", "checksum_algorithm 0", "§7.1",
	  "R-ALGO", "unsupported-feature", i_algo0),
	R(72, "must-understand-section", "an unknown section type flagged must "
	  "understand", "§9.1", "R-SEC-MUST", "unsupported-feature",
	  i_section_must),
	R(73, "major-version-0", "format version 0.0", "§4.3", "R-MAJOR",
	  "unsupported-version", i_major0),
	R(74, "major-version-65535", "format version 65535.0", "§4.3",
	  "R-MAJOR", "unsupported-version", i_major_max),
	R(75, "header-length-260", "header_length not a multiple of 8", "§4.2",
	  "R-SB-FIELDS R-SEL-NONE", "bad-field", i_hl_260),
	R(76, "header-length-248", "header_length below 256", "§4.2",
	  "R-SB-FIELDS R-SEL-NONE", "bad-field", i_hl_248),
	R(77, "header-length-4104", "header_length above 4096", "§4.2",
	  "R-SB-FIELDS R-SEL-NONE", "bad-field", i_hl_4104),
	R(78, "uuid-zero", "an all-zero file UUID", "§4.2", "R-SB-FIELDS",
	  "bad-field", i_uuid0),
	R(79, "sequence-0", "the only superblock copy has sequence 0", "§4.2",
	  "R-SB-FIELDS", "bad-field", i_seq0),
	R(80, "alignment-3000", "data_alignment not a power of two", "§4.2",
	  "R-SB-FIELDS", "bad-field", i_align_3000),
	R(81, "alignment-256", "data_alignment below 512", "§4.2",
	  "R-SB-FIELDS", "bad-field", i_align_256),
	R(82, "same-sequence-different", "two intact copies with the same "
	  "sequence and different bytes", "§4.5", "R-SEL-SAMESEQ",
	  "bad-field", i_same_seq_differ),
	R(83, "superblocks-empty", "both superblock slots all zero", "§4.5",
	  "R-SEL-NONE", "bad-field", i_both_empty),
	R(84, "superblock-magic", "both superblock magics wrong", "§4.2",
	  "R-SEL-NONE R-SB-FIELDS", "bad-field", i_magic),
	R(85, "no-fallback", "the current copy breaks a rule, the older one "
	  "is fine: no fallback", "§4.5", "R-SEL-HIGHEST R-SB-FIELDS",
	  "bad-field", i_no_fallback),
	R(86, "empty-region-with-offsets", "a region of length 0 with a bitmap "
	  "offset", "§6.1", "R-RT-EMPTY", "bad-field", i_empty_region_offsets),
	R(87, "region-id-empty", "a region id of length 0", "§6.1",
	  "R-RT-ENTRY", "bad-field", i_id_empty),
	R(88, "region-id-overlong-utf8", "an overlong UTF-8 sequence in an id",
	  "§1.2, §6.1", "R-RT-ENTRY", "bad-field", i_id_overlong),
	R(89, "region-id-nul", "a NUL byte in an id", "§6.1", "R-RT-ENTRY",
	  "bad-field", i_id_nul),
	R(90, "region-id-surrogate", "an encoded surrogate in an id",
	  "§1.2, §6.1", "R-RT-ENTRY", "bad-field", i_id_surrogate),
	R(91, "region-id-cut-sequence", "an id ending inside a UTF-8 sequence",
	  "§6.1", "R-RT-ENTRY", "bad-field", i_id_truncated_seq),
	R(92, "region-table-length", "region_table_length 8 more than the "
	  "entries fill", "§6.1", "R-RT-FILL", "bad-field", i_rt_len),
	R(93, "section-table-length", "section_table_length 8 more than the "
	  "entries fill", "§9.1", "R-ST-FILL", "bad-field", i_st_len),
	R(94, "region-count-4097", "region_count above the limit", "§11",
	  "R-LIMITS", "limit-exceeded", i_region_count),
	R(95, "section-count-4097", "section_count above the limit", "§11",
	  "R-LIMITS", "limit-exceeded", i_section_count),
	R(96, "pages-per-region-limit", "a region of 2^33 + 1 pages", "§11",
	  "R-LIMITS R-RT-ENTRY", "limit-exceeded", i_too_many_pages),
	R(97, "section-type-0", "a section of type 0", "§9.1", "R-ST-FILL",
	  "bad-field", i_section_type0),
	R(98, "section-name-utf8", "a section name that is not UTF-8", "§9.1",
	  "R-ST-FILL", "bad-field", i_section_name),
	R(99, "empty-section-with-offset", "a section of length 0 with an "
	  "offset", "§9.1", "R-ST-FILL", "bad-field", i_section_empty_offset),
	R(100, "section-length-limit", "a section longer than 2^40", "§11",
	  "R-LIMITS", "limit-exceeded", i_section_huge),
	R(101, "two-metadata-sections", "two metadata sections", "§9.1",
	  "R-SEC-ONE-META", "bad-field", i_two_metadata),
	R(102, "metadata-bad-key", "a metadata key with a capital letter",
	  "§9.2", "R-META", "bad-field", i_meta_key),
	R(103, "metadata-bad-value", "a metadata value that is not UTF-8",
	  "§9.2", "R-META", "bad-field", i_meta_value),
	R(104, "metadata-overrun", "a metadata item running past the section",
	  "§9.2", "R-META", "bad-field", i_meta_overrun),
	R(105, "metadata-duplicate-key", "a metadata key given twice", "§9.2",
	  "R-META", "bad-field", i_meta_dup),
	R(106, "metadata-too-large", "a metadata section of more than 1 MiB",
	  "§9.2, §11", "R-META R-LIMITS", "limit-exceeded", i_meta_big),
	R(107, "absent-page-checksum", "a non-zero checksum entry for an absent "
	  "page", "§7.4", "R-CSUM-ABSENT", "bad-field", i_absent_entry),
	R(108, "generator-not-padded", "a non-NUL byte after the generator's "
	  "NUL", "§4.2", "R-SB-FIELDS", "bad-field", i_generator),
	R(109, "feature-table-length", "feature_table_length 50", "§5", "R-FT",
	  "bad-field", i_ft_len),
	R(110, "feature-entry-kind", "a feature-name entry of kind 3", "§5",
	  "R-FT", "bad-field", i_ft_kind),
	R(111, "feature-table-limit", "193 feature-name entries", "§5, §11",
	  "R-FT R-LIMITS", "limit-exceeded", i_ft_count),
	R(112, "region-table-offset-0", "region_count 2 with region_table_offset "
	  "0", "§2.2, §4.2", "R-PLACE-FIRST R-OVERLAP", "overlap", i_rt_at_zero),
	R(113, "section-table-in-slot", "the section table in superblock slot "
	  "A's unused bytes: placed wrong and its trailer wrong; placement is "
	  "checked first", "§2.2, §7.3", "R-PLACE-FIRST R-OVERLAP R-CHECK-ORDER",
	  "overlap", i_st_in_slot),
	R(114, "section-table-offset-no-sections", "section_count 0 with a "
	  "section_table_offset", "§4.2", "R-SB-FIELDS", "bad-field",
	  i_st_offset_no_sections),
	R(115, "file-length-below-fixed-area", "file_length 8192", "§4.2",
	  "R-SB-FIELDS R-CHECK-ORDER", "bad-field", i_file_length_small),
	R(116, "same-sequence-header-lengths", "two intact copies with the same "
	  "sequence and header lengths 256 and 264", "§4.5", "R-SEL-SAMESEQ",
	  "bad-field", i_same_seq_lengths),
	R(117, "incomplete-with-commit-time", "the incomplete bit set and a "
	  "commit_time recorded", "§10.3", "R-INCOMPLETE R-COMMIT-TIME",
	  "incomplete", i_incomplete_committed),
	R(118, "frame-table-checksum", "1.2: a frame table entry changed, its "
	  "trailer not", "§6.3", "R-CF-FIRST R-CSUM",
	  "checksum-mismatch", i_cf_table_csum),
	R(119, "compressed-frame-too-long", "1.2: a compressed frame's "
	  "stored_length equal to the frame length", "§6.3",
	  "R-CF-ENTRY", "bad-field", i_cf_too_long),
	R(120, "compressed-frame-empty", "1.2: a compressed frame with "
	  "stored_length 0", "§6.3", "R-CF-ENTRY", "bad-field",
	  i_cf_zero_length),
	R(121, "raw-frame-length", "1.2: a raw frame whose stored_length is not "
	  "the frame length", "§6.3", "R-CF-ENTRY", "bad-field",
	  i_cf_raw_length),
	R(122, "frame-encoding-3", "1.2: frame encoding 3", "§6.3",
	  "R-CF-ENTRY", "bad-field", i_cf_encoding_3),
	R(123, "frame-entry-reserved", "1.2: a reserved byte of a frame entry "
	  "set", "§6.3", "R-CF-ENTRY", "bad-field",
	  i_cf_entry_reserved),
	R(124, "absent-frame-present-pages", "1.2: a frame marked absent whose "
	  "pages are present", "§6.3", "R-CF-PRESENCE",
	  "bad-field", i_cf_absent_present),
	R(125, "frame-without-pages-stored", "1.2: a compressed frame none of "
	  "whose pages is present", "§6.3", "R-CF-PRESENCE",
	  "bad-field", i_cf_compressed_no_page),
	R(126, "frame-checksum", "1.2: a byte of a compressed frame changed",
	  "§6.3", "R-CF-CSUM", "checksum-mismatch",
	  i_cf_frame_csum),
	R(127, "frame-decompresses-short", "1.2: a compressed frame that "
	  "decompresses to 3 pages of 4", "§6.3", "R-CF-DECODE",
	  "bad-field", i_cf_short_frame),
	R(128, "frame-not-zstd", "1.2: a compressed frame whose bytes are not "
	  "Zstandard", "§6.3", "R-CF-DECODE", "bad-field",
	  i_cf_garbage),
	R(129, "frame-trailing-bytes", "1.2: a byte after the Zstandard frame, "
	  "inside stored_length", "§6.3", "R-CF-DECODE",
	  "bad-field", i_cf_trailing),
	R(130, "page-checksum-in-frame", "1.2: a good frame, a page checksum "
	  "entry that does not match", "§6.3", "R-CSUM",
	  "checksum-mismatch", i_cf_page_csum),
	R(131, "compression-method-7", "1.2: compression method 7",
	  "§6.3", "R-CF-METHOD", "unsupported-feature",
	  i_cf_method_7),
	R(132, "frame-shift-too-large", "1.2: frames of 32 MiB",
	  "§6.3", "R-CF-SHIFT", "bad-field", i_cf_shift),
	R(133, "frame-table-unaligned", "1.2: frame_table_offset not a multiple "
	  "of 8", "§6.3", "R-CF-TABLE", "bad-field",
	  i_cf_table_align),
	R(134, "frame-table-out-of-bounds", "1.2: a frame table at file_length",
	  "§6.3", "R-BOUNDS", "out-of-bounds", i_cf_table_oob),
	R(135, "frame-table-overlap", "1.2: a frame table inside the page area",
	  "§6.3", "R-OVERLAP", "overlap", i_cf_table_overlap),
	R(136, "compression-without-feature", "1.2: compressed regions in a "
	  "file without the compressed-frames bit", "§6.3",
	  "R-CF-RESERVED", "bad-field", i_cf_no_feature),
	R(137, "uncompressed-region-shift", "1.2: an uncompressed region with a "
	  "frame_shift", "§6.3", "R-CF-NONE", "bad-field",
	  i_cf_none_shift),
	R(138, "empty-region-frame-table", "1.2: a compressed region without "
	  "pages and a frame_table_offset", "§6.3", "R-CF-TABLE",
	  "bad-field", i_cf_empty_table),
	R(139, "frame-entry-reserved-middle", "1.2: a reserved byte of frame "
	  "2's entry (of 4) set", "§6.3", "R-CF-ENTRY", "bad-field",
	  cf_reserved_at_2),
	R(140, "frame-entry-reserved-last", "1.2: a reserved byte of the last "
	  "frame's entry set", "§6.3", "R-CF-ENTRY", "bad-field",
	  cf_reserved_at_3),
	R(141, "frame-encoding-3-middle", "1.2: encoding 3 in frame 2 of 4",
	  "§6.3", "R-CF-ENTRY", "bad-field", cf_encoding3_at_2),
	R(142, "frame-encoding-3-last", "1.2: encoding 3 in the last frame",
	  "§6.3", "R-CF-ENTRY", "bad-field", cf_encoding3_at_3),
	R(143, "compressed-frame-empty-middle", "1.2: frame 2 of 4 compressed "
	  "with stored_length 0", "§6.3", "R-CF-ENTRY", "bad-field",
	  cf_zero_length_2),
	R(144, "compressed-frame-empty-last", "1.2: the last frame compressed "
	  "with stored_length 0", "§6.3", "R-CF-ENTRY", "bad-field",
	  cf_zero_length_3),
	R(145, "compressed-frame-too-long-middle", "1.2: frame 2 of 4 "
	  "compressed with stored_length equal to its length", "§6.3",
	  "R-CF-ENTRY", "bad-field", cf_too_long_2),
	R(146, "compressed-frame-too-long-last", "1.2: the last frame "
	  "compressed with stored_length equal to its length", "§6.3",
	  "R-CF-ENTRY", "bad-field", cf_too_long_3),
	R(147, "raw-frame-length-first", "1.2: frame 0 raw with a "
	  "stored_length that is not its length", "§6.3", "R-CF-ENTRY",
	  "bad-field", cf_raw_length_at_0),
	R(148, "raw-frame-length-last", "1.2: the last frame raw with a "
	  "stored_length that is not its length", "§6.3", "R-CF-ENTRY",
	  "bad-field", cf_raw_length_at_3),
	R(149, "absent-frame-present-pages-first", "1.2: frame 0 marked absent "
	  "while its pages are present", "§6.3", "R-CF-PRESENCE", "bad-field",
	  cf_absent_present_at_0),
	R(150, "absent-frame-present-pages-last", "1.2: the last frame marked "
	  "absent while its pages are present", "§6.3", "R-CF-PRESENCE",
	  "bad-field", cf_absent_present_at_3),
	R(151, "frame-without-pages-stored-first", "1.2: frame 0 stored "
	  "compressed while none of its pages is present", "§6.3",
	  "R-CF-PRESENCE", "bad-field", cf_stored_no_page_at_0),
	R(152, "frame-without-pages-stored-middle", "1.2: frame 2 of 4 stored "
	  "compressed while none of its pages is present", "§6.3",
	  "R-CF-PRESENCE", "bad-field", cf_stored_no_page_at_2),
	R(153, "frame-checksum-first", "1.2: a byte of frame 0's stored bytes "
	  "changed", "§6.3", "R-CF-CSUM", "checksum-mismatch",
	  cf_frame_csum_at_0),
	R(154, "frame-checksum-last", "1.2: a byte of the last frame's stored "
	  "bytes changed", "§6.3", "R-CF-CSUM", "checksum-mismatch",
	  cf_frame_csum_at_3),
	R(155, "frame-decompresses-short-first", "1.2: frame 0 decompresses to "
	  "3 pages of 4", "§6.3", "R-CF-DECODE", "bad-field", cf_short_at_0),
	R(156, "frame-decompresses-short-last", "1.2: the last frame "
	  "decompresses to 3 pages of 4", "§6.3", "R-CF-DECODE", "bad-field",
	  cf_short_at_3),
	R(157, "frame-not-zstd-first", "1.2: frame 0's stored bytes are not "
	  "Zstandard", "§6.3", "R-CF-DECODE", "bad-field", cf_garbage_at_0),
	R(158, "frame-not-zstd-last", "1.2: the last frame's stored bytes are "
	  "not Zstandard", "§6.3", "R-CF-DECODE", "bad-field", cf_garbage_at_3),
	R(159, "frame-trailing-bytes-first", "1.2: a byte after frame 0's "
	  "Zstandard frame, inside stored_length", "§6.3", "R-CF-DECODE",
	  "bad-field", cf_trailing_at_0),
	R(160, "frame-trailing-bytes-last", "1.2: a byte after the last frame's "
	  "Zstandard frame, inside stored_length", "§6.3", "R-CF-DECODE",
	  "bad-field", cf_trailing_at_3),
	R(161, "page-checksum-in-frame-first", "1.2: the checksum entry of the "
	  "first present page of a compressed region does not match", "§6.3",
	  "R-CSUM", "checksum-mismatch", cf_page_csum_at_1),
	R(162, "page-checksum-in-frame-last", "1.2: the checksum entry of the "
	  "last present page of a compressed region does not match", "§6.3",
	  "R-CSUM", "checksum-mismatch", cf_page_csum_at_14),
	R(163, "zstd-no-content-size", "1.2: a Zstandard frame that decodes to "
	  "the frame's length but declares no content size", "§6.3",
	  "R-CF-DECODE", "bad-field", i_cf_zstd_no_size),
	R(164, "zstd-window-32mib", "1.2: a Zstandard frame declaring the right "
	  "content size and a 32 MiB window", "§6.3", "R-CF-DECODE",
	  "bad-field", i_cf_zstd_window),
	R(165, "zstd-dictionary-id", "1.2: a Zstandard frame naming dictionary "
	  "7", "§6.3", "R-CF-DECODE", "bad-field", i_cf_zstd_dict),
	R(166, "order-frame-entry-before-page", "1.2: two defects, a page of "
	  "frame 0 against its checksum and a reserved byte of frame 1's "
	  "entry: the whole frame table is checked first", "§6.3, §12.1",
	  "R-CHECK-ORDER R-CF-ENTRY", "bad-field", i_cf_order_entry_first),
	R(167, "order-page-before-next-frame", "1.2: two defects, a page of "
	  "frame 0 against its checksum and a byte of frame 1's stored bytes: "
	  "frame 0's pages come first", "§6.3, §12.1", "R-CHECK-ORDER R-CSUM",
	  "checksum-mismatch", i_cf_order_page_first),
	R(168, "empty-region-frame-shift", "1.2: a compressed region without "
	  "pages whose frames would be 32 MiB", "§6.3", "R-CF-SHIFT",
	  "bad-field", i_cf_empty_shift),
	R(169, "feature-name-not-utf8", "1.2 errata: a feature name whose first "
	  "byte is 0xff", "§5", "R-FT", "bad-field", i_ft_name_utf8),
	R(170, "feature-name-empty", "1.2 errata: a feature-name entry with an "
	  "empty name", "§5", "R-FT", "bad-field", i_ft_name_empty),
	R(171, "feature-name-padding", "1.2 errata: a byte after a feature "
	  "name's NUL padding", "§5", "R-FT", "bad-field", i_ft_name_pad),
	R(172, "region-table-unaligned", "1.2 errata: region_table_offset not a "
	  "multiple of 8", "§6.1", "R-RT-FILL", "bad-field", i_rt_unaligned),
	R(173, "section-table-length-unaligned", "1.2 errata: "
	  "section_table_length not a multiple of 8", "§9", "R-ST-FILL",
	  "bad-field", i_st_len_unaligned),
	R(174, "region-table-too-long", "1.2 errata: a region table longer than "
	  "its entries could be", "§6.1", "R-RT-FILL", "bad-field",
	  i_rt_too_long),
	R(175, "checksum-table-unaligned", "1.2 errata: a checksum table offset "
	  "not a multiple of 8", "§7.4", "R-ALIGN8", "bad-field",
	  i_csum_unaligned),
	R(176, "compressed-region-reserved", "1.2 errata: byte 44 of a "
	  "compressed region's entry (reserved) set", "§6.3", "R-RT-ENTRY",
	  "bad-field", i_cf_region_reserved),
	R(177, "region-count-beyond-table", "1.2 errata: region_count 3 for a "
	  "table of 2 entries", "§6.1", "R-RT-FILL", "bad-field",
	  i_rt_count_more),
	R(178, "region-id-beyond-table", "1.2 errata: the last region's "
	  "id_length runs past the table", "§6.1", "R-RT-FILL", "bad-field",
	  i_rt_id_past),
	R(179, "section-count-beyond-table", "1.2 errata: section_count one "
	  "more than the table holds", "§9", "R-ST-FILL", "bad-field",
	  i_st_count_more),
	R(180, "section-name-beyond-table", "1.2 errata: the last section's "
	  "name_length runs past the table", "§9", "R-ST-FILL", "bad-field",
	  i_st_name_past),
	R(181, "metadata-key-empty", "1.2 errata: a metadata item with "
	  "key_length 0", "§9.2", "R-META", "bad-field", i_meta_key0),
	R(182, "metadata-key-256", "1.2 errata: a metadata key of 256 bytes",
	  "§9.2", "R-META", "bad-field", i_meta_key256),
	R(183, "metadata-header-past-end", "1.2 errata: 3 bytes after the last "
	  "metadata item", "§9.2", "R-META", "bad-field", i_meta_header_past),
	R(184, "order-metadata-checksum-first", "1.2 errata: two defects, a "
	  "metadata key with a capital letter and the section's checksum: the "
	  "checksum is checked first", "§9.2, §12.1", "R-CHECK-ORDER R-CSUM",
	  "checksum-mismatch", i_meta_csum_first),
	R(185, "absent-frame-stored-length", "1.2 errata: an absent frame "
	  "whose entry has a stored_length", "§6.3", "R-CF-ENTRY", "bad-field",
	  i_cf_absent_stored),
	R(186, "absent-frame-checksum", "1.2 errata: an absent frame whose "
	  "entry has a checksum", "§6.3", "R-CF-ENTRY", "bad-field",
	  i_cf_absent_csum),
	R(187, "zstd-skippable-after", "1.2 errata: a skippable frame after the "
	  "Zstandard frame, inside stored_length", "§6.3", "R-CF-DECODE",
	  "bad-field", i_cf_skippable_after),
	R(188, "zstd-content-checksum", "1.2 errata: the Zstandard frame's own "
	  "content checksum does not match", "§6.3", "R-CF-DECODE",
	  "bad-field", i_cf_content_checksum),
	R(189, "section-name-past-trailer", "1.2 errata: the last section "
	  "entry claims a 32-byte name, running over the table's trailer "
	  "(printable) and past the table", "§9", "R-ST-FILL", "bad-field",
	  i_st_name_past_trailer),
	R(190, "page-checksum-first", "1.2 errata: a bit of the first present "
	  "page flipped", "§7.4", "R-CSUM", "checksum-mismatch",
	  i_page_flip_first),
	R(191, "absent-entry-first", "1.2 errata: the checksum entry of the "
	  "first absent page is not zero", "§7.4", "R-CSUM-ABSENT",
	  "bad-field", i_absent_entry_first),
	R(192, "absent-entry-last", "1.2 errata: the checksum entry of the "
	  "last absent page is not zero", "§7.4", "R-CSUM-ABSENT",
	  "bad-field", i_absent_entry_last),
	R(193, "region-reserved-middle", "1.2 errata: a reserved byte of the "
	  "middle region's entry (of 3) set", "§6.1", "R-RT-ENTRY",
	  "bad-field", i_rg_res14_middle),
	R(194, "region-reserved-last", "1.2 errata: a reserved byte of the "
	  "last region's entry (of 3) set", "§6.1", "R-RT-ENTRY", "bad-field",
	  i_rg_res14_last),
	R(195, "bitmap-padding-middle", "1.2 errata: a padding bit of the "
	  "middle region's bitmap (of 3) set", "§8", "R-BM-PAD", "bad-field",
	  i_bm_pad_middle),
	R(196, "bitmap-padding-last", "1.2 errata: a padding bit of the last "
	  "region's bitmap (of 3) set", "§8", "R-BM-PAD", "bad-field",
	  i_bm_pad_last),
	R(197, "section-type0-last", "1.2 errata: type 0 in the last section "
	  "entry", "§9.1", "R-ST-FILL", "bad-field", i_section_type0_last),
	R(198, "metadata-key-middle", "1.2 errata: a capital letter in the key "
	  "of the middle metadata item (of 3)", "§9.2", "R-META", "bad-field",
	  i_meta_key_middle),
	R(199, "metadata-key-last", "1.2 errata: a capital letter in the key "
	  "of the last metadata item (of 3)", "§9.2", "R-META", "bad-field",
	  i_meta_key_last),
	R(200, "feature-kind-middle", "1.2 errata: kind 3 in the middle "
	  "feature-name entry (of 3)", "§5", "R-FT", "bad-field",
	  i_ft_kind_middle),
	R(201, "feature-kind-last", "1.2 errata: kind 3 in the last "
	  "feature-name entry (of 3)", "§5", "R-FT", "bad-field",
	  i_ft_kind_last),
	R(202, "digests-bit-without-section", "1.3: content-digests set, no "
	  "digest section", "§9.5", "R-DG-FEATURE", "bad-field",
	  i_dg_bit_without_section),
	R(203, "digests-section-without-bit", "1.3: a digest section without "
	  "the content-digests bit", "§9.5", "R-DG-FEATURE", "bad-field",
	  i_dg_section_without_bit),
	R(204, "digests-two-sections", "1.3: two digest sections", "§9.5",
	  "R-DG-FEATURE", "bad-field", i_dg_two_sections),
	R(205, "signature-without-digests", "1.3: a signature section in a "
	  "file without content digests", "§9.5", "R-SG-SHAPE", "bad-field",
	  i_sg_without_digests),
	R(206, "signature-length", "1.3: a signature section of 143 bytes",
	  "§9.5", "R-SG-SHAPE", "bad-field", i_sg_length),
	R(207, "signature-magic", "1.3: a signature section whose magic ends "
	  "in X", "§9.5", "R-SG-SHAPE", "bad-field", i_sg_magic),
	R(208, "signature-reserved", "1.3: reserved byte 15 of a signature "
	  "section not zero", "§9.5", "R-SG-SHAPE", "bad-field",
	  i_sg_reserved),
	R(209, "digests-magic", "1.3: the digest section's magic wrong",
	  "§9.5", "R-DG-HEADER", "bad-field", i_dg_magic),
	R(210, "digests-algorithm-2", "1.3: digest algorithm 2", "§9.5",
	  "R-DG-ALGO", "unsupported-feature", i_dg_algorithm),
	R(211, "digests-fanout-6", "1.3: fanout_shift 6", "§9.5",
	  "R-DG-HEADER", "bad-field", i_dg_fanout),
	R(212, "digests-reserved-10", "1.3: reserved byte 10 of the digest "
	  "section not zero", "§9.5", "R-DG-HEADER", "bad-field",
	  i_dg_reserved10),
	R(213, "digests-reserved-31", "1.3: reserved byte 31 of the digest "
	  "section not zero", "§9.5", "R-DG-HEADER", "bad-field",
	  i_dg_reserved31),
	R(214, "digests-region-count", "1.3: the digest section counts 3 "
	  "regions in a file of 2", "§9.5", "R-DG-HEADER", "bad-field",
	  i_dg_region_count),
	R(215, "digests-section-count", "1.3: the digest section covers 1 "
	  "section in a file of 2 covered ones", "§9.5", "R-DG-HEADER",
	  "bad-field", i_dg_section_count),
	R(216, "digests-length-long", "1.3: a digest section 32 bytes longer "
	  "than its regions and sections need", "§9.5", "R-DG-LENGTH",
	  "bad-field", i_dg_length_long),
	R(217, "digests-length-short", "1.3: a digest section 32 bytes "
	  "shorter than its regions and sections need", "§9.5", "R-DG-LENGTH",
	  "bad-field", i_dg_length_short),
	R(218, "digests-40-bytes", "1.3: a digest section of 40 bytes, shorter "
	  "than its header", "§9.5", "R-DG-HEADER", "bad-field", i_dg_tiny),
	R(219, "digests-root", "1.3: the last byte of the root changed",
	  "§9.5", "R-DG-ROOT", "digest-mismatch", i_dg_root),
	R(220, "digests-region-root", "1.3: the stored root of the second "
	  "region changed (the root no longer follows)", "§9.5", "R-DG-ROOT",
	  "digest-mismatch", i_dg_region_root),
	R(221, "digests-empty-region-root", "1.3: the root of a region without "
	  "pages is not SHA256(0x01), the file's root computed from it",
	  "§9.5", "R-DG-ROOT", "digest-mismatch",
	  i_dg_empty_region_root),
	R(222, "order-digests-count-before-root", "1.3: two defects, the "
	  "region count and the root: the header first", "§9.5, §12.1",
	  "R-CHECK-ORDER R-DG-HEADER", "bad-field",
	  i_dg_order_region_count_root),
	R(223, "digests-leaf-first", "1.3: the first present page zeroed "
	  "after its digest was taken, its checksum right", "§9.5",
	  "R-DG-LEAF", "digest-mismatch", i_dg_leaf_first),
	R(224, "digests-leaf-middle", "1.3: a middle present page zeroed after "
	  "its digest was taken, its checksum right", "§9.5", "R-DG-LEAF",
	  "digest-mismatch", i_dg_leaf_middle),
	R(225, "digests-leaf-last", "1.3: the last page zeroed after its "
	  "digest was taken, its checksum right", "§9.5", "R-DG-LEAF",
	  "digest-mismatch", i_dg_leaf_last),
	R(226, "digests-leaf-absent", "1.3: a page made absent after its "
	  "digest was taken: it reads as zeros, its leaf is of its bytes",
	  "§9.5", "R-DG-LEAF", "digest-mismatch", i_dg_leaf_absent),
	R(227, "digests-leaf-region", "1.3: every page of the second region "
	  "other than digested, every checksum right", "§9.5", "R-DG-LEAF",
	  "digest-mismatch", i_dg_leaf_seed),
	R(228, "digests-leaf-compressed", "1.3: a page of a compressed frame "
	  "zeroed after its digest was taken, frame and checksums right",
	  "§6.3, §9.5", "R-DG-LEAF", "digest-mismatch", i_dg_leaf_compressed),
	R(229, "digests-node-first", "1.3: a stored leaf of the first leaf "
	  "group changed", "§9.5", "R-DG-NODE", "digest-mismatch",
	  i_dg_node_first),
	R(230, "digests-node-middle", "1.3: a stored leaf of a middle leaf "
	  "group changed", "§9.5", "R-DG-NODE", "digest-mismatch",
	  i_dg_node_middle),
	R(231, "digests-node-last", "1.3: a stored leaf of the last (partial) "
	  "leaf group changed", "§9.5", "R-DG-NODE", "digest-mismatch",
	  i_dg_node_last),
	R(232, "digests-node-top-level", "1.3: an entry of the top stored level "
	  "changed: its group no longer hashes to the region root", "§9.5",
	  "R-DG-NODE", "digest-mismatch", i_dg_node_top),
	R(233, "digests-node-level-1", "1.3: a middle entry of level 1 of a "
	  "tree of height 3 changed", "§9.5", "R-DG-NODE", "digest-mismatch",
	  i_dg_node_level1),
	R(234, "digests-section-first", "1.3: a byte of the first covered "
	  "section changed after its digest was taken, its checksum right",
	  "§9.5", "R-DG-SECT", "digest-mismatch", i_dg_sect_first),
	R(235, "digests-section-last", "1.3: a byte of the last covered section "
	  "(metadata) changed after its digest was taken", "§9.5",
	  "R-DG-SECT", "digest-mismatch", i_dg_sect_last),
	R(236, "digests-section-flags", "1.3: a reserved flag bit of a covered "
	  "section set after its digest was taken", "§9.5", "R-DG-SECT",
	  "digest-mismatch", i_dg_sect_flags),
	R(237, "digests-section-name", "1.3: a covered section's name changed "
	  "after its digest was taken", "§9.5", "R-DG-SECT", "digest-mismatch",
	  i_dg_sect_name),
	R(238, "order-leaf-before-checksum", "1.3: two defects, page 1's leaf "
	  "and page 4's checksum entry: page 1 first", "§9.5, §12.1",
	  "R-CHECK-ORDER R-DG-LEAF", "digest-mismatch",
	  i_dg_order_leaf_before_csum),
	R(239, "order-checksum-before-leaf", "1.3: two defects, page 2's bytes "
	  "(its checksum fails first) and page 4's leaf", "§9.5, §12.1",
	  "R-CHECK-ORDER R-CSUM", "checksum-mismatch",
	  i_dg_order_csum_before_leaf),
	R(240, "order-pages-before-sections", "1.3: two defects, the last page's "
	  "leaf and the first section's checksum: pages first", "§9.5, §12.1",
	  "R-CHECK-ORDER R-DG-LEAF", "digest-mismatch",
	  i_dg_order_page_before_section),
	R(241, "base-itself", "1.3: a file naming its own content root as its "
	  "base", "§9.6", "R-BS-CYCLE", "chain-cycle", i_bs_self),
	R(242, "cycle-x", "1.3: the base of 243-cycle-y.frc, whose base it is "
	  "(read from here)", "§9.6", "R-BS-CYCLE", "chain-cycle", i_bs_cycle_x),
	R(243, "cycle-y", "1.3: the base of 242-cycle-x.frc, whose base it is "
	  "(read from here)", "§9.6", "R-BS-CYCLE", "chain-cycle", i_bs_cycle_y),
	R(244, "chain-depth-17", "1.3: a snapshot on v1-valid-076, which has 16 "
	  "bases: one base too many", "§9.6", "R-BS-DEPTH", "chain-too-deep",
	  i_bs_deep17),
	R(245, "base-missing", "1.3: the hint names no file, and no other place "
	  "is given", "§9.6", "R-BS-RESOLVE", "base-missing", i_bs_missing),
	R(246, "base-other-root", "1.3: the hint names a valid file with "
	  "another content root", "§9.6", "R-BS-RESOLVE", "base-mismatch",
	  i_bs_other_root),
	R(247, "base-replaced", "1.3: the base section names a root one bit "
	  "off the root of the file its hint names", "§9.6", "R-BS-RESOLVE",
	  "base-mismatch", i_bs_replaced),
	R(248, "base-layout", "1.3: the base has the root named but its second "
	  "region has 64 KiB pages where this file's has 4 KiB", "§9.6",
	  "R-BS-LAYOUT", "base-mismatch", i_bs_layout),
	R(249, "base-without-digests", "1.3: base-snapshot in a file without "
	  "content digests", "§9.6", "R-BS-FEATURE", "bad-field",
	  i_bs_no_digests),
	R(250, "base-without-section", "1.3: base-snapshot without a base "
	  "section", "§9.6", "R-BS-FEATURE", "bad-field", i_bs_no_section),
	R(251, "base-section-without-bit", "1.3: a base section without "
	  "base-snapshot", "§9.6", "R-BS-FEATURE", "bad-field",
	  i_bs_section_without_bit),
	R(252, "base-map-present", "1.3: page 4 of the first region both "
	  "present and from the base", "§9.6", "R-BS-MAP", "bad-field",
	  i_bs_map_both),
	R(253, "base-map-present-last", "1.3: the last page of the last region "
	  "both present and from the base", "§9.6", "R-BS-MAP", "bad-field",
	  i_bs_map_both_last),
	R(254, "base-map-padding", "1.3: a padding bit of a base map set",
	  "§9.6", "R-BS-MAP", "bad-field", i_bs_map_padding),
	R(255, "base-map-trailer", "1.3: a base map whose trailer does not "
	  "match", "§9.6", "R-BS-MAP R-CSUM", "checksum-mismatch",
	  i_bs_map_trailer),
	R(256, "base-map-offset", "1.3: base_map_offset not a multiple of 8",
	  "§9.6", "R-BS-MAP-OFFSET", "bad-field", i_bs_map_offset),
	R(257, "base-section-magic", "1.3: the base section's magic wrong",
	  "§9.6", "R-BS-SECTION", "bad-field", i_bs_magic),
	R(258, "base-section-reserved", "1.3: reserved byte 47 of the base "
	  "section not zero", "§9.6", "R-BS-SECTION", "bad-field",
	  i_bs_reserved),
	R(259, "base-hint-length", "1.3: a hint of 4096 bytes (hint_length "
	  "over 4095), the section 48 + 4096 bytes long", "§9.6",
	  "R-BS-SECTION", "bad-field", i_bs_hint_long),
	R(260, "base-section-length", "1.3: the base section one byte longer "
	  "than 48 + hint_length", "§9.6", "R-BS-SECTION", "bad-field",
	  i_bs_length),
	R(261, "base-page-leaf", "1.3: a page from the base whose leaf in this "
	  "file is of other bytes", "§9.6", "R-BS-PAGE R-DG-LEAF",
	  "digest-mismatch", i_bs_page_leaf),
	R(262, "base-two-sections", "1.3: two base sections", "§9.6",
	  "R-BS-FEATURE", "bad-field", i_bs_two_sections),
	R(263, "base-hint-not-utf8", "1.3: a hint with the byte 0xff (not "
	  "UTF-8)", "§9.6", "R-BS-SECTION", "bad-field", i_bs_hint_utf8),
	R(264, "base-region-count", "1.3: the base has the root named and two "
	  "regions, this file one", "§9.6", "R-BS-LAYOUT", "base-mismatch",
	  i_bs_region_count),
	{ 0, NULL, NULL, NULL, NULL, NULL, NULL },
};

/* ------------------------------------------------------------------ */
/* future: what later writers may produce                              */
/* ------------------------------------------------------------------ */

static void f_minor1(struct vb_file *f)
{
	f->minor = 1;
	f->header_length = 320;
	base(f);
	for (int b = 0; b < 2; b++)
		memset(vb_slot(f, b) + 248, 0x3c, 64); /* fields of 1.1 */
	vb_reseal_superblocks(f);
}

static void f_minor_max(struct vb_file *f)
{
	f->minor = 65535;
	base(f);
}

static void f_compat(struct vb_file *f)
{
	f->compat = UINT64_C(1) << 3;
	vb_add_feature_name(f, 2, 3, "future-compat-index");
	base(f);
}

static void f_compat_misnamed(struct vb_file *f)
{
	/* an unknown compat bit whose name looks alarming: names never
	 * change what a reader does */
	f->compat = UINT64_C(1);
	vb_add_feature_name(f, 2, 0, "incomplete");
	base(f);
}

static void f_ro_compat(struct vb_file *f)
{
	f->ro_compat = UINT64_C(1) << 0;
	vb_add_feature_name(f, 1, 0, "future-dedup-index");
	base(f);
}

static void f_section_type(struct vb_file *f, uint32_t type, uint32_t flags)
{
	recipe_base_model(f);
	vb_add_section(f, type, flags, "future", "future section bytes", 20);
	vb_render(f);
}

static void f_section3(struct vb_file *f) { f_section_type(f, 3, 0); }
static void f_private(struct vb_file *f) { f_section_type(f, 0x80000001u, 0); }
static void f_flags(struct vb_file *f)
{
	f_section_type(f, FRC_SECTION_DEVICE_STATE, 0xfffffffeu);
}
static void f_must3(struct vb_file *f)
{
	f_section_type(f, 3, FRC_SECTION_MUST_UNDERSTAND);
}

static void f_section3_damaged(struct vb_file *f)
{
	/* an unknown type is not interpreted, but its checksum is verified */
	f_section3(f);
	for (unsigned i = 0; i < f->nsections; i++)
		if (f->sections[i].type == 3)
			f->buf[f->sections[i].offset + 2] ^= 0x20;
}

static void f_incompat(struct vb_file *f)
{
	f->incompat = UINT64_C(1) << 1;
	vb_add_feature_name(f, 0, 1, "compressed-pages");
	base(f);
}

static void f_major2(struct vb_file *f)
{
	/* version 2 keeps bytes 0-23 and the checksum rule; the rest is
	 * meaningless to a version 1 reader */
	f->major = 2;
	f->header_length = 512;
	base(f);
	for (int b = 0; b < 2; b++) {
		for (int i = 24; i < 504; i++)
			vb_slot(f, b)[i] = (uint8_t)(i * 7);
	}
	vb_reseal_superblocks(f);
}

static void f_algo2(struct vb_file *f)
{
	base(f);
	sb_set(f, 92, 1, 2);
}

const struct recipe future_recipes[] = {
	{ 1, "minor-1-longer-header", "version 1.1 with a 320-byte superblock "
	  "whose extra fields a 1.0 reader skips", "§4.3", "R-MINOR",
	  f_minor1 },
	{ 2, "minor-65535", "version 1.65535", "§4.3", "R-MINOR", f_minor_max },
	{ 3, "unknown-compat", "an unknown compatible feature, named",
	  "§4.4", "R-COMPAT", f_compat },
	{ 4, "unknown-compat-misnamed", "an unknown compatible feature named "
	  "\"incomplete\" in the feature-name table", "§4.4, §5",
	  "R-COMPAT R-FT-NAMES", f_compat_misnamed },
	{ 5, "unknown-ro-compat", "an unknown read-only compatible feature",
	  "§4.4", "R-ROCOMPAT", f_ro_compat, NULL, "accept-read-only" },
	{ 6, "unknown-section-type", "a section of unassigned type 3, not "
	  "must-understand", "§9.1", "R-SEC-SKIP", f_section3 },
	{ 7, "private-section-type", "a section of private type 0x80000001",
	  "§9.1, §13.3", "R-SEC-SKIP", f_private },
	{ 8, "unknown-section-flags", "a device-state section with unknown "
	  "flag bits 1-31 set", "§9.1", "R-SEC-SKIP", f_flags },
	{ 9, "unknown-incompat", "an unknown incompatible feature named "
	  "compressed-pages", "§4.4", "R-INCOMPAT", f_incompat,
	  "unsupported-feature" },
	{ 10, "major-2", "format version 2.0", "§4.3", "R-MAJOR", f_major2,
	  "unsupported-version" },
	{ 11, "checksum-algorithm-2", "checksum algorithm 2", "§7.1", "R-ALGO",
	  f_algo2, "unsupported-feature" },
	{ 12, "must-understand-type-3", "a section of unassigned type 3 flagged "
	  "must understand", "§9.1", "R-SEC-MUST", f_must3,
	  "unsupported-feature" },
	{ 13, "unknown-section-damaged", "a section of unassigned type 3, not "
	  "must-understand, one of its bytes changed", "§9.1, §7.2",
	  "R-SEC-SKIP R-CSUM", f_section3_damaged, "checksum-mismatch" },
	{ 14, "compressed-frames-seen-by-1.1", "a 1.2 file in compressed frames "
	  "(the recipe of v1-valid-041) as a 1.1 reader must see it", "§4.4",
	  "R-INCOMPAT", v_cf_basic, "unsupported-feature", NULL, "1.2" },
	{ 15, "content-digests-seen-by-1.2", "a signed 1.3 file with content "
	  "digests (the recipe of v1-valid-050) as a 1.2 reader must see it: "
	  "an unknown ro-compat feature, sections of types it skips", "§4.4",
	  "R-ROCOMPAT R-SEC-SKIP", f_dg_seen_by_12, NULL, "accept-read-only",
	  "1.3" },
	{ 16, "chain-top-seen-by-1.2", "a 1.3 snapshot on a base (the recipe of "
	  "v1-valid-058) as a 1.2 reader must see it: an unknown incompat "
	  "feature", "§4.4", "R-INCOMPAT", f_bs_seen_by_12,
	  "unsupported-feature", NULL, "1.3" },
	{ 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL },
};
