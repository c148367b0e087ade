/*
 * reader_internal.h - the reader handle, shared by reader.c (structure) and
 * pages.c (page data, verification). Not installed.
 */
#ifndef FRC_READER_INTERNAL_H
#define FRC_READER_INTERNAL_H

#include <pthread.h>

#include "identity.h"
#include "frc_internal.h"

/* State of a region's checksum table (verified once, on first use). */
enum csum_state { CSUM_UNCHECKED = 0, CSUM_GOOD = 1, CSUM_BAD = -1 };

/* Bitmap bytes per chunk held in memory (32768 pages). */
#define FRC_BM_CHUNK 4096u

/* A bitmap chunk with at least one set bit. */
struct frc_bm_chunk {
	uint64_t index; /* chunk number: bytes [index * 4096, +4096) */
	uint8_t *bits;  /* FRC_BM_CHUNK bytes */
};

struct rregion {
	struct frc_region r;
	/* the chunks of the bitmap that hold a set bit, by index (rbitmap.c) */
	struct frc_bm_chunk *chunks;
	uint64_t nchunks;
	int bitmap_valid; /* trailer matched (always 1 outside salvage) */
	uint64_t present; /* set bits */
	int csum_state;   /* enum csum_state, guarded by frc_reader.lock */
	int frame_state;  /* the frame table's trailer, likewise (1.2) */
	/* frc_reader_set_source(): the pages are verified at src_offset of
	 * src_fd - 1 instead of in the page area (0: not set) */
	int src_fd;
	uint64_t src_offset;
	/* content identity (rdigest.c, 1.3): the tree's shape, where its
	 * level 0 starts in the file, and the groups of levels 1 to h - 1
	 * checked so far (entries, and a bit per group), under dg_lock */
	struct frc_dg_shape dg;
	uint64_t dg_offset;
	/* the base map (rbase.c, 1.3) in a record of its own of which only
	 * the bitmap fields are used; NULL without a base */
	struct rregion *bmap;
	uint8_t *dg_cache[FRC_DG_LEVELS_MAX];
	uint8_t *dg_ok[FRC_DG_LEVELS_MAX];
};

/* A signature section, as read when the file was opened (1.3). */
struct rsig {
	uint32_t section;
	uint8_t bytes[FRC_SG_LENGTH];
};

struct frc_reader {
	pthread_mutex_t lock; /* guards csum_state */
	char *path;
	int fd;
	int dfd;       /* O_DIRECT descriptor (FRC_OPEN_DIRECT), or -1 */
	uint64_t size; /* st_size at open */
	unsigned flags;
	int open_ok;
	struct frc_sb sb;
	int slot_used, other_slot, other_err;
	int complete, read_only;
	struct frc_feature_name *fnames;
	uint32_t nfnames;
	struct rregion *regions;
	uint32_t nregions;
	struct frc_section *sections;
	uint32_t nsections;
	int meta_section;
	struct frc_meta *meta;
	uint32_t nmeta;
	frc_extent_t *layout; /* every structure, sorted (layout.c) */
	uint32_t nlayout;
	uint64_t generation; /* unique per open: keys cached frames */
	/* content identity (rdigest.c, 1.3): the digest section or -1, the
	 * root, the region roots and covered sections' digests (checked
	 * against the root at open), each section's place among the covered
	 * ones (-1: not covered), the signatures */
	int dg_section;
	uint8_t root[FRC_DG_SIZE];
	uint8_t *dg_roots;
	uint8_t *dg_sections;
	int32_t *dg_covered;
	struct rsig *sigs;
	uint32_t nsigs;
	pthread_mutex_t dg_lock;
	/* snapshots on a base (rbase.c, 1.3): the base's reader, where it
	 * was found, the base section, where else to look, and the chain
	 * above this file (its files' UUIDs and their number: the depth);
	 * `chain_child`: a base opened for a file above, whose pages that
	 * file checks against its own leaves */
	frc_reader_t *base;
	char *base_path;
	int base_section;
	char **base_dirs;
	uint32_t nbase_dirs;
	uint8_t *above;
	uint32_t depth;
	int chain_child;
	int defer_chain;
};

int frc_r_read_via(frc_reader_t *r, int dfd, void *buf, size_t len,
		   uint64_t off, const char *what) FRC_INTERNAL;
/* frc_r_read_via() through the page cache (tables, entries). */
static inline int frc_r_read(frc_reader_t *r, void *buf, size_t len,
			     uint64_t off, const char *what)
{
	return frc_r_read_via(r, -1, buf, len, off, what);
}
int frc_r_check_extent(frc_reader_t *r, uint64_t off, uint64_t len,
		       uint64_t field_at, const char *what) FRC_INTERNAL;

/* rbitmap.c: the reader's sparse bitmap (SPEC "Present-page bitmap"). */
bool frc_bm_get(const struct rregion *rg, uint64_t i) FRC_INTERNAL;
uint64_t frc_bm_find(const struct rregion *rg, uint64_t from, uint64_t end,
		     bool want) FRC_INTERNAL;
int frc_bm_load(struct rregion *rg, int fd, uint64_t off, uint64_t bytes,
		struct frc_stream_hash *h) FRC_INTERNAL;
void frc_bm_free(struct rregion *rg) FRC_INTERNAL;

/*
 * FRC_OK when `r` is a reader with an open file; otherwise records the
 * misuse under `func` (the API call's name) and returns FRC_E_MISUSE.
 */
/* frames.c: one frame of a compressed region (SPEC "Frame table"). */
struct frc_frame {
	uint64_t index;      /* frame number */
	uint64_t first;      /* its first page */
	uint64_t pages, len; /* its pages, and their bytes */
	uint64_t slot;       /* file offset of its slot */
	uint32_t stored;     /* stored_length */
	uint8_t encoding;    /* enum frc_frame_encoding */
	uint64_t checksum;
};
/* R-CF-FIRST: the frame table's trailer, verified once per region. */
int frc_frames_ensure(frc_reader_t *r, uint32_t idx) FRC_INTERNAL;
/* Frame f's entry, read and checked (R-CF-ENTRY, R-CF-PRESENCE). */
int frc_frame_get(frc_reader_t *r, uint32_t idx, uint64_t f,
		  struct frc_frame *fr) FRC_INTERNAL;
/*
 * A compressed frame into dst (fr->len bytes): its checksum, then its
 * decompression (R-CF-CSUM, R-CF-DECODE); absent pages zeroed. Thread-safe.
 */
/*
 * Frame f of region idx decoded (frame checksum verified, decompressed,
 * absent pages zeroed), from the calling thread's cache of the frame it
 * decoded last: a run of single-page reads decodes a frame once. Returns
 * the frame's bytes (valid until the thread's next call) or NULL with the
 * error in *rc. The pages are not verified here: callers check them.
 */
const uint8_t *frc_frame_cached(frc_reader_t *r, uint32_t idx,
				const struct frc_frame *fr, int *rc) FRC_INTERNAL;

int frc_frame_decode(frc_reader_t *r, uint32_t idx,
		     const struct frc_frame *fr, uint8_t *dst) FRC_INTERNAL;

/* layout.c: R-BOUNDS and R-OVERLAP; keeps the layout on success. */
int frc_layout_check(frc_reader_t *r) FRC_INTERNAL;

int frc_reader_usable(const frc_reader_t *r, const char *func) FRC_INTERNAL;
/*
 * A region's table verified once (the checksum table, the frame table):
 * `check` runs on first use, its result kept in *state (enum
 * csum_state, under r->lock); later calls after a failure fail again with
 * checksum-mismatch at `at`, citing `rule` and naming `what`.
 */
int frc_reader_check_once(frc_reader_t *r, uint32_t idx, int *state,
			  int (*check)(frc_reader_t *, uint32_t), uint64_t at,
			  const char *rule, const char *what) FRC_INTERNAL;
/* ... and `region` one of its regions, into *out (NULL on failure). */
int frc_reader_region_arg(const frc_reader_t *r, uint32_t region,
			  struct rregion **out, const char *func) FRC_INTERNAL;


/* ---- reading pages: pages.c, rtables.c, scan.c, rsections.c, rmap.c ---- */
#define SCAN_BYTES (4u << 20) /* page bytes read per step of a scan */
#define TABLE_CHUNK (1u << 20) /* table bytes read at once */

#define region_arg(r, region, out) frc_reader_region_arg(r, region, out, __func__)

/* Records an error of r's file at offset off (from any thread). */
/* rvmap.c: verified mappings; release one (1 if addr was one) or all. */
int frc_vmap_release(frc_reader_t *r, const void *addr) FRC_INTERNAL;
void frc_vmap_release_all(frc_reader_t *r) FRC_INTERNAL;

int frc_r_fail(frc_reader_t *r, int code, uint64_t off, const char *spec,
	       const char *fmt, ...) FRC_INTERNAL
	__attribute__((format(printf, 5, 6)));

static inline uint64_t frc_r_page_offset(const struct rregion *rg,
					 uint64_t page)
{
	return rg->r.pages_offset + (page << rg->r.page_shift);
}

/* Page data, with O_DIRECT where the policy allows (io.c). */
static inline int frc_r_read_pages(frc_reader_t *r, uint8_t *dst, size_t len,
				   uint64_t off)
{
	return frc_r_read_via(r, r->dfd, dst, len, off, "page area");
}

/* rtables.c: the checksum table and (1.2) the frame table of region idx,
 * checked once, before any of its pages is used. */
int frc_r_ensure_tables(frc_reader_t *r, uint32_t idx) FRC_INTERNAL;
/* pages.c: a page against its stored checksum. */
int frc_r_check_page(frc_reader_t *r, uint32_t idx, uint64_t page,
		     const uint8_t *data, uint64_t stored) FRC_INTERNAL;
/* pages.c: pages [first, first+n) into dst, present ones as stored (a
 * compressed region's frames decoded), absent ones as zeros; not verified. */
int frc_r_read_chunk_pages(frc_reader_t *r, uint32_t idx, uint64_t first,
			   uint64_t n, uint8_t *dst) FRC_INTERNAL;

/*
 * scan.c: where verification problems go. Without one (NULL), the first
 * problem ends the scan; with one, each problem is reported and the scan
 * goes on.
 */
struct report {
	frc_problem_fn fn;
	void *ctx;
	uint64_t count;
	int first;
};
int frc_r_report(frc_reader_t *r, struct report *rep, int code,
		 int64_t region, int64_t page, int64_t section,
		 uint64_t off) FRC_INTERNAL;
int frc_r_scan_progress(frc_reader_t *r, struct frc_progress *sc,
			uint64_t n) FRC_INTERNAL;
/* rsections.c: section idx verified (into dst when not NULL). */
int frc_r_scan_section(frc_reader_t *r, uint32_t idx, uint8_t *dst,
		       struct frc_progress *sc, struct report *rep) FRC_INTERNAL;

/* ---- content identity: rdigest.c (SPEC "Content identity", 1.3) ---- */
/* Where section idx's entry lies in the section table. */
uint64_t frc_r_section_at(const frc_reader_t *r, uint32_t idx) FRC_INTERNAL;
/* Step 8: the digest and signature sections' kinds, counts and bit. */
int frc_r_dg_sections(frc_reader_t *r) FRC_INTERNAL;
/* Step 11: the digest section's header, length and root; signatures. */
int frc_r_dg_open(frc_reader_t *r) FRC_INTERNAL;
void frc_r_dg_free(frc_reader_t *r) FRC_INTERNAL;
/*
 * A page's leaf against the tree (R-DG-NODE, R-DG-LEAF), its bytes in
 * data: FRC_OK at once in a file without digests. The cursor keeps the
 * leaf group last checked (zero it before the first page).
 */
struct frc_dg_cursor {
	uint32_t region;
	uint64_t group; /* + 1; 0: none */
	int rc;         /* the group's check */
	uint8_t g[FRC_DG_GROUP_BYTES];
};
int frc_r_dg_page(frc_reader_t *r, struct frc_dg_cursor *c, uint32_t idx,
		  uint64_t page, const uint8_t *data) FRC_INTERNAL;
/* The same for an absent page (zeros), without hashing them. */
int frc_r_dg_absent(frc_reader_t *r, struct frc_dg_cursor *c, uint32_t idx,
		    uint64_t page) FRC_INTERNAL;
/* A covered section's digest (R-DG-SECT): begin (NULL and *rc 0 when
 * there is nothing to check), then end with the bytes hashed. */
struct frc_sha *frc_r_dg_section_begin(frc_reader_t *r, uint32_t idx,
				       int *rc) FRC_INTERNAL;
int frc_r_dg_section_end(frc_reader_t *r, uint32_t idx,
			 struct frc_sha *c) FRC_INTERNAL;

/* ---- snapshots on a base: rbase.c (SPEC "Snapshots on a base", 1.3) ---- */
/* Step 8: a second base section, R-BS-FEATURE. */
int frc_r_base_sections(frc_reader_t *r) FRC_INTERNAL;
/* Step 11, last: the base section, the chain, the base opened. */
int frc_r_base_open(frc_reader_t *r) FRC_INTERNAL;
void frc_r_base_free(frc_reader_t *r) FRC_INTERNAL;
/* Page i of a region is unchanged from the base. */
static inline bool frc_r_from_base(const struct rregion *rg, uint64_t i)
{
	return rg->bmap && frc_bm_get(rg->bmap, i);
}
/* Pages [first, first+n) of dst that are the base's, read from it. */
int frc_r_base_fill(frc_reader_t *r, uint32_t idx, uint64_t first,
		    uint64_t n, uint8_t *dst) FRC_INTERNAL;
/*
 * rdigest.c: the leaves of pages [first, first + n) of region idx, each
 * group checked up to the root, into out (n * 32 bytes): what a read of
 * those pages is verified against. FRC_E_NOT_FOUND, no message, when the
 * file has no content digests or is a base read for the file above.
 */
int frc_r_dg_leaves(frc_reader_t *r, uint32_t idx, uint64_t first,
		    uint64_t n, uint8_t *out) FRC_INTERNAL;

#endif /* FRC_READER_INTERNAL_H */
