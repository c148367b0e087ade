/*
 * writer_internal.h - what the parts of the writer share: the handle, its
 * regions, and the helpers every part uses. The parts: writer.c (the
 * handle, options, opening and replacing a file, regions, the layout and
 * the start), wpages.c (page writes), wsections.c (sections and metadata),
 * wcommit.c (bitmaps, checksum tables, section table, superblocks: the
 * commit) and wembed.c (FRC around another format's bytes).
 */
#ifndef FRC_WRITER_INTERNAL_H
#define FRC_WRITER_INTERNAL_H

#include <pthread.h>
#include <sys/stat.h>

#include "identity.h"
#include "frc_internal.h"

#define CHUNK (1u << 20)
/* Shorter runs of pages are written through the page cache. */

enum wstate { W_NEW, W_OPEN, W_STARTED, W_COMMITTED, W_FAILED };

struct wregion {
	struct frc_region r;
	int adopted; /* its page area is already in the file (embedding) */
	uint64_t *present; /* bitmap as 64-bit words, updated atomically */
	uint64_t *csums;   /* one checksum per page, 0 for absent pages */
	/* content digests (wdigest.c, 1.3): the region's whole tree, level 0
	 * (the leaves, one per page as written) first; NULL without them */
	uint8_t *tree;
	struct frc_dg_shape dg;
	/* a base (wbase.c, 1.3): pages unchanged from it, as 64-bit words
	 * like `present`, and the base's leaves of this region */
	uint64_t *from_base;
	uint8_t *base_leaves;
	/* compressed frames (wframes.c): per frame its state (enum
	 * wframe_state), stored length and checksum; locks by frame */
	int level;
	uint8_t *fstate;
	uint32_t *fstored;
	uint64_t *fcsum;
	pthread_mutex_t *frame_locks;
};

enum wframe_state {
	WF_UNTOUCHED = 0,  /* no page written: a hole */
	WF_PENDING = 1,    /* raw pages in the slot, compressed at commit */
	WF_RAW = 2,        /* stored raw (compression did not pay) */
	WF_COMPRESSED = 3  /* stored compressed at the start of the slot */
};

/* libfrc's default frame: 64 KiB (SPEC "Compressed frames" rationale) */
#define FRC_FRAME_DEFAULT_BYTES 65536u

/*
 * Frames of compressed regions filled in order (wframes.c): a page goes
 * into the buffer of its frame, and a frame is compressed once, when a page
 * of another frame arrives (or at commit), by one of the pool's threads
 * (one per CPU) while the next frame fills: never written raw and read
 * back. At most FILL_SLOTS frames are in memory (each at most 16 MiB).
 */
#define FILL_SLOTS 16

struct fill_slot {
	uint32_t region;
	uint64_t frame;
	uint8_t *buf; /* FRC_DIRECT_ALIGN-aligned, frame_bytes long */
	int state;    /* 0 free, 1 filling, 2 queued, 3 being stored */
};

struct frame_fill {
	pthread_mutex_t lock; /* the filling (callers) */
	pthread_mutex_t qlock; /* slots, queue, error (callers and pool) */
	pthread_cond_t qcond;
	struct fill_slot slot[FILL_SLOTS];
	int filling; /* index of the slot being filled, or -1 */
	unsigned nslots; /* slots in use: bounded by memory (frame size) */
	uint64_t frame_bytes; /* of every slot: the largest frame */
	pthread_t thread[FILL_SLOTS];
	unsigned nthreads;
	int stop;
	int rc;              /* the first failure of a pool thread */
	struct frc_err err;  /* ...and its message */
};

struct frc_writer {
	/*
	 * `start_lock` serialises the implicit start. A failed start is kept
	 * in `start_err` so that every later call, on any thread, returns it
	 * with its message (messages are per thread: frc.h, "Errors").
	 */
	pthread_mutex_t start_lock;
	struct frc_err start_err;
	char *path;
	char *tmp_path; /* replacing a file: where the new one is written */
	struct stat replaced; /* the file being replaced (mode, owner) */
	int own_fd; /* the writer opened fd (and may remove what it created) */
	int fd;  /* buffered descriptor: metadata, fallback for pages */
	int dfd; /* O_DIRECT descriptor for pages, or -1 */
	int direct; /* O_DIRECT was asked for */
	enum wstate state;
	struct frc_sb sb;
	struct wregion *regions;
	uint32_t nregions;
	struct frc_section *sections;
	uint32_t nsections;
	struct frc_meta *meta;
	uint32_t nmeta;
	uint64_t data_end; /* end of the last page area */
	uint64_t cursor;   /* where the next section goes */
	int have_commit_time;
	uint64_t commit_time;
	/* embedding (frc_writer_open_embedded): bytes [FIXED_AREA_END,
	 * foreign_end) belong to another format; nothing is placed there */
	int embedded;
	uint64_t foreign_end;
	/* the section being streamed (frc_writer_section_begin) */
	struct frc_stream_hash *sec_hash;
	int sec_open;
	struct frame_fill fill;
	int digest;    /* FRC_DIGEST_SHA256: record the content identity */
	frc_reader_t *base; /* frc_writer_set_base(), or NULL */
	char *base_hint;
	uint8_t base_root[FRC_DG_SIZE];
	int dg_commit; /* the commit is writing the digest section */
};

/* A caller's mistake, named by the API call it was made in (frc.h). */
int frc_w_misuse(const frc_writer_t *w, const char *func, const char *fmt,
		 ...) FRC_INTERNAL __attribute__((format(printf, 3, 4)));
#define misuse(w, ...) frc_w_misuse(w, __func__, __VA_ARGS__)

/* Records an I/O failure (from any thread: the record is the thread's). */
static inline int io_fail(frc_writer_t *w, const char *what, int err)
{
	return frc_fail_errno(FRC_ERR(w), w->path, what, err);
}

/* writer.c: the checks and set-up of writing into a caller's descriptor. */
int frc_w_fd_prologue(frc_writer_t *w, int fd, const char *name,
                      struct stat *st, const char *func,
                      frc_writer_options_t *o, const frc_writer_options_t *opts,
                      size_t opts_size) FRC_INTERNAL;
/* writer.c: ...and the writer takes the descriptor (never closing it). */
int frc_w_fd_take(frc_writer_t *w, int fd,
                  const frc_writer_options_t *opts) FRC_INTERNAL;
/* wsections.c: the metadata items into their section. */
int frc_w_flush_metadata(frc_writer_t *w) FRC_INTERNAL;
/* wpages.c: how frc_w_hash_pages() records pages: */
enum {
	W_NOTE_FRAMES = 1,   /* touch their frames (frc_w_frames_touch()) */
	W_NOTE_LEAVES_SET = 2 /* their leaves are in the tree already */
};
/* wpages.c: records pages [first, first+count) from data. */
int frc_w_hash_pages(frc_writer_t *w, uint32_t region, uint64_t first,
		     uint64_t count, const uint8_t *p,
		     unsigned how) FRC_INTERNAL;
/* writer.c: renames a committed replacement over the file it replaces. */
int frc_w_install_replacement(frc_writer_t *w) FRC_INTERNAL;
/* writer.c: the time now, in ns since 1970 UTC. */
uint64_t frc_w_now_ns(void) FRC_INTERNAL;
/* wpages.c: checks a page range of API call `func`; starts the file. */
int frc_w_page_range(frc_writer_t *w, uint32_t region, uint64_t first,
                     uint64_t count, const void *data, struct wregion **rg,
                     const char *func) FRC_INTERNAL;
/* wsections.c: forgets the section being streamed. */
void frc_w_section_drop(frc_writer_t *w) FRC_INTERNAL;
/* writer.c: frc_writer_start() on behalf of the API call `func`. */
int frc_w_start(frc_writer_t *w, const char *func) FRC_INTERNAL;
/*
 * wframes.c: page `page` of a compressed region is about to be written,
 * present (data) or not (a zero page): a compressed frame is first turned
 * back into raw pages, and a frame that changes becomes pending (to be
 * compressed at commit). A zero page in an untouched or pending frame
 * changes nothing. Thread-safe.
 */
int frc_w_frames_touch(frc_writer_t *w, uint32_t region, uint64_t page,
		       bool present) FRC_INTERNAL;
/* wframes.c: whole frames from memory (first frame-aligned), compressed and
 * stored; frames without a present page become holes. */
int frc_w_frames_store(frc_writer_t *w, uint32_t region, uint64_t first,
		       uint64_t count, const uint8_t *data) FRC_INTERNAL;
/* wframes.c: at commit, pending frames compressed, the frame table
 * written. */
int frc_w_frames_commit(frc_writer_t *w, uint32_t region,
			struct frc_progress *pr) FRC_INTERNAL;
void frc_w_frames_free(struct wregion *rg) FRC_INTERNAL;
/*
 * wframes.c, with w->fill.lock held: page `page` of compressed region
 * `region` goes into the frame being filled (*taken true: the caller
 * records it, nothing is written), starting a frame when its frame was
 * never written; a page of another frame first stores the frame being
 * filled. *taken false: the page takes the raw path (its frame touched,
 * compressed at commit).
 */
int frc_w_frames_take(frc_writer_t *w, uint32_t region, uint64_t page,
		      const uint8_t *pg, bool *taken) FRC_INTERNAL;
/* wframes.c: stores the frame being filled and waits until every frame
 * handed to the pool is stored (lock held); the first failure. */
int frc_w_frames_flush(frc_writer_t *w) FRC_INTERNAL;
/* wframes.c: set-up and end of the pool (writer new and free). */
void frc_w_fill_init(frc_writer_t *w) FRC_INTERNAL;
void frc_w_fill_free(frc_writer_t *w) FRC_INTERNAL;
/* wdigest.c: a region's tree (with digests), a present page's leaf, and at
 * commit the digest section after the other sections. */
int frc_w_dg_region(frc_writer_t *w, struct wregion *rg) FRC_INTERNAL;
int frc_w_dg_leaf(frc_writer_t *w, struct wregion *rg, uint64_t i,
		  const uint8_t *pg) FRC_INTERNAL;
int frc_w_dg_commit(frc_writer_t *w) FRC_INTERNAL;
/* wbase.c: a present page equal to the base's becomes one from the base
 * (*from true; its slot freed when it held data), and at commit the base
 * maps and the base section. */
int frc_w_base_page(frc_writer_t *w, struct wregion *rg, uint64_t i,
		    bool *from) FRC_INTERNAL;
int frc_w_base_commit(frc_writer_t *w) FRC_INTERNAL;
/* wcommit.c: 64-bit words of a region as a bitmap with its trailer. */
int frc_w_write_bits(frc_writer_t *w, uint32_t idx, const uint64_t *words,
		     uint64_t offset, int tag) FRC_INTERNAL;
#define page_range(w, region, first, count, data, rg)                      \
	frc_w_page_range(w, region, first, count, data, rg, __func__)

#endif /* FRC_WRITER_INTERNAL_H */
