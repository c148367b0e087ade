/*
 * vecbuild.h - an FRC file builder for test vectors, written from SPEC.adoc
 * alone (it shares no code with codec/, so that the vectors cross-check the
 * reference codec instead of mirroring it).
 *
 * A vector is described as a model (superblock fields, regions with their
 * page contents and presence, sections), laid out, rendered into memory,
 * then optionally damaged by patching bytes at known offsets; vb_reseal()
 * recomputes the checksums that cover a patch so that a vector carries only
 * the defect it is meant to carry.
 */
#ifndef FRC_VECBUILD_H
#define FRC_VECBUILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VB_MAX_REGIONS 8
#define VB_MAX_SECTIONS 8
#define VB_MAX_FEATURES 200
#define VB_MAX_ID 300

struct vb_region {
	uint8_t id[VB_MAX_ID];
	size_t id_length;
	uint32_t page_size;
	uint64_t used_length;
	uint64_t seed;     /* page i holds vb_page_fill(seed, i) */
	uint8_t *present;  /* per page: enum vb_page_state */
	/* layout, filled by vb_layout() unless set before */
	uint64_t bitmap_offset, csum_offset, pages_offset;
	uint64_t entry_offset; /* where its region-table entry was rendered */
	/* compressed frames (SPEC "Compressed frames", 1.2): vb_compress() */
	uint8_t compression, frame_shift;
	uint64_t frame_table_offset;
	uint8_t *frame_raw; /* per frame: 1 = store it raw */
	/* snapshots on a base (1.3): the base's region (for the pages
	 * unchanged from it) and where the base map goes */
	const struct vb_region *base;
	uint64_t base_map_offset;
};

/* What a page of the model holds. */
enum vb_page_state {
	VB_PAGE_ABSENT = 0,
	VB_PAGE_PRESENT = 1,  /* vb_page_fill(seed, i) */
	VB_PAGE_ZERO = 2,     /* present, all zero */
	VB_PAGE_BASE = 3,     /* unchanged from the base (1.3) */
	VB_PAGE_OTHER = 4     /* present, vb_page_fill(seed ^ VB_OTHER, i) */
};
#define VB_OTHER (UINT64_C(0x5a5a) << 40)

struct vb_section {
	uint32_t type, flags;
	uint8_t name[VB_MAX_ID];
	size_t name_length;
	uint8_t *data;
	uint64_t length;
	uint64_t offset; /* filled by vb_layout() unless set before */
	uint64_t entry_offset;
};

struct vb_feature {
	uint8_t kind, bit;
	char name[41];
};

struct vb_file {
	/* superblock */
	uint16_t major, minor;
	uint32_t header_length;
	uint64_t seq_a, seq_b; /* 0: leave the slot empty */
	uint64_t incompat, ro_compat, compat;
	uint8_t uuid[16];
	uint64_t create_time, commit_time;
	uint32_t alignment;
	uint8_t algorithm;
	char generator[65];
	/* content */
	struct vb_feature features[VB_MAX_FEATURES];
	unsigned nfeatures;
	struct vb_region regions[VB_MAX_REGIONS];
	unsigned nregions;
	struct vb_section sections[VB_MAX_SECTIONS];
	unsigned nsections;
	/* layout (vb_layout) */
	uint64_t ft_offset, ft_length;
	uint64_t rt_offset, rt_length;
	uint64_t st_offset, st_length;
	uint64_t file_length;
	/* rendering (vb_render) */
	uint8_t *buf;
	size_t size; /* bytes written out: file_length unless changed */
};

/* A file with the defaults of a 1.0 writer; `n` makes the UUID unique. */
void vb_init(struct vb_file *f, unsigned n);
void vb_free(struct vb_file *f);

/* Presence patterns for vb_add_region(). */
enum vb_pattern { VB_NONE, VB_ALL, VB_EVERY_THIRD, VB_FIRST };

struct vb_region *vb_add_region(struct vb_file *f, const char *id,
				uint32_t page_size, uint64_t pages,
				enum vb_pattern pattern);
struct vb_region *vb_add_region_raw(struct vb_file *f, const void *id,
				    size_t id_length, uint32_t page_size,
				    uint64_t pages, enum vb_pattern pattern);
struct vb_section *vb_add_section(struct vb_file *f, uint32_t type,
				  uint32_t flags, const char *name,
				  const void *data, uint64_t length);
/* Appends an item to the file's metadata section (created on first use). */
void vb_add_meta(struct vb_file *f, const char *key, const char *value);
void vb_add_feature_name(struct vb_file *f, uint8_t kind, uint8_t bit,
			 const char *name);

/*
 * Stores region r in compressed frames of 2^frame_shift pages (method 1,
 * Zstandard, level 3) and makes the file 1.2 with the compressed-frames
 * feature. A frame is compressed when that makes it shorter at all (the
 * SPEC's "save a block" is only a SHOULD), unless vb_frame_raw() says raw.
 */
void vb_compress(struct vb_file *f, struct vb_region *r, uint8_t frame_shift);
void vb_frame_raw(struct vb_region *r, uint64_t frame);
/* Frame f's entry in the frame table, and its slot (after vb_render). */
uint8_t *vb_frame_entry(struct vb_file *f, unsigned r, uint64_t frame);
uint8_t *vb_frame_slot(struct vb_file *f, unsigned r, uint64_t frame);
/* Recomputes the checksum of every compressed frame from its entry's
 * stored_length and the bytes in its slot as they are now. */
void vb_reseal_frames(struct vb_file *f);

/*
 * Deterministic contents of page i of a region seeded with `seed`: random
 * bytes, or with VB_TEXT in the seed, numbered lines of text that compress.
 */
#define VB_TEXT (UINT64_C(1) << 62)
void vb_page_fill(uint8_t *buf, uint32_t page_size, uint64_t seed,
		  uint64_t i);

/*
 * Places every structure in the writer order of SPEC §2.1; offsets already
 * set (non-zero) are kept, so recipes can force unusual layouts.
 */
void vb_layout(struct vb_file *f);
/* Renders the whole file into f->buf (file_length bytes), sealed. */
void vb_render(struct vb_file *f);

/* ---- patching a rendered file ---- */
void vb_put16(uint8_t *p, uint16_t v);
void vb_put32(uint8_t *p, uint32_t v);
void vb_put64(uint8_t *p, uint64_t v);
uint64_t vb_get64(const uint8_t *p);
/* Superblock copy A (offset 4096) / B (8192). */
uint8_t *vb_slot(struct vb_file *f, int b);
/* Re-seals both superblock copies as they are. */
void vb_reseal_superblocks(struct vb_file *f);
/*
 * Re-seals every table trailer, every section checksum and both superblock
 * copies from the bytes as they are now, using the layout of the model.
 */
void vb_reseal(struct vb_file *f);

/* key(tag, a, b) and H() of SPEC §7 (independent implementation). */
uint64_t vb_key(const uint8_t uuid[16], const char tag[8], uint64_t a,
		uint64_t b);
uint64_t vb_hash(const void *p, size_t n, uint64_t seed);

/* The page as a reader returns it (the base's for VB_PAGE_BASE). */
void vb_page_bytes(const struct vb_region *r, uint64_t i, uint8_t *buf);
/* Pages stored in the file: present, zero or other. */
bool vb_page_stored(uint8_t state);

/* ---- format 1.3: snapshots on a base (vecbuild.c) ---- */
/*
 * Makes f a snapshot on the base whose regions are base->regions (the
 * same layout) and whose content root is `root`: incompat bit 3, each
 * region's base set, a base section with `hint`. Pages to take from the
 * base are then marked VB_PAGE_BASE; vb_add_digests() afterwards.
 */
void vb_set_base(struct vb_file *f, const struct vb_file *base,
		 const uint8_t root[32], const char *hint);

/* ---- format 1.3: content identity (vecdigest.c) ---- */
/*
 * Appends the digest section computed from the model as it is now (pages,
 * region layout, the sections added so far) and makes the file 1.3 with
 * the content-digests feature. A model changed afterwards keeps these
 * digests: that is how vectors get stale ones.
 */
struct vb_section *vb_add_digests(struct vb_file *f);
/* Computes the root field of digest section s again from its region roots
 * and section digests as they are now. */
void vb_digests_reroot(struct vb_file *f, struct vb_section *s);
/* Appends a signature of the digest section's root by the Ed25519 key
 * whose 32-byte secret is `seed` repeated; its public key by
 * vb_public_key(). */
struct vb_section *vb_add_signature(struct vb_file *f, uint8_t seed);
void vb_public_key(uint8_t seed, uint8_t pub[32]);
/* Stored entries of a region's tree for `pages` pages. */
uint64_t vb_tree_entries(uint64_t pages);
/* SHA256(0x01 || p[0, n)): a node. */
void vb_digest_node(const void *p, size_t n, uint8_t out[32]);

#endif /* FRC_VECBUILD_H */
