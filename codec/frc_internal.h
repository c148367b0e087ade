/*
 * frc_internal.h - declarations shared by the files of codec/; not installed.
 *
 * The on-disk structures are described by SPEC.adoc. Here every structure has
 * an in-memory form (plain C types) and encode/decode functions that move
 * fields through explicit little-endian helpers; no struct is ever cast onto
 * file bytes.
 */
#ifndef FRC_INTERNAL_H
#define FRC_INTERNAL_H

#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "frc.h"

#define FRC_INTERNAL __attribute__((visibility("hidden")))

#include "format.h"

extern const uint8_t frc_signature[FRC_SIGNATURE_SIZE] FRC_INTERNAL;

/* ---- Little-endian field helpers ---- */
static inline uint16_t frc_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (uint16_t)p[1] << 8);
}

static inline uint32_t frc_get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static inline uint64_t frc_get64(const uint8_t *p)
{
	return (uint64_t)frc_get32(p) | (uint64_t)frc_get32(p + 4) << 32;
}

static inline void frc_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static inline void frc_put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline void frc_put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline uint64_t frc_align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

static inline bool frc_is_pow2(uint64_t v)
{
	return v != 0 && (v & (v - 1)) == 0;
}

/* a + b without wrapping: false when the sum does not fit in 64 bits. */
static inline bool frc_add_ok(uint64_t a, uint64_t b, uint64_t *sum)
{
	return !__builtin_add_overflow(a, b, sum);
}

/*
 * True when n bytes at p are zero. The first bytes decide for most data
 * pages; the rest is one memcmp of the buffer against itself shifted by 16
 * bytes, which glibc runs with vector instructions.
 */
static inline bool frc_all_zero(const uint8_t *p, size_t n)
{
	size_t head = n < 16 ? n : 16;

	for (size_t i = 0; i < head; i++)
		if (p[i])
			return false;
	return n <= 16 || memcmp(p, p + 16, n - 16) == 0;
}

/* Chunk `chunk` of `per` items out of `count`: its first item and size. */
static inline uint64_t frc_chunk(uint64_t chunk, uint64_t per, uint64_t count,
				 uint64_t *first)
{
	*first = chunk * per;
	return count - *first < per ? count - *first : per;
}

/* ---- Error reporting ---- */
/*
 * An error record: code and message. frc_fail() formats
 * "FILE: offset 0xN: what (SPEC <rule anchor>)" and returns the code so that
 * callers can write `return frc_fail(...)`.
 *
 * Messages are per thread (frc.h, "Errors"): a failing call records its
 * message in the calling thread's record, stamped with the handle it was
 * made on, and frc_*_errmsg(h) returns it when the stamp is h. So threads
 * reading one handle at once never share a buffer. FRC_ERR(h) is the record
 * to fail into for handle h; work done for a call on other threads is
 * brought back by frc_err_adopt() (parallel.c).
 */
struct frc_err {
	const void *owner; /* the handle the failed call was made on */
	const void *pending; /* the handle of the call now under way */
	int code;
	char msg[512];
};

struct frc_err *frc_err_for(const void *handle) FRC_INTERNAL;
#define FRC_ERR(h) frc_err_for(h)
/* A handle being freed (or just allocated at a freed one's address) leaves
 * no message behind for a later handle at the same address. */
void frc_err_forget(const void *handle) FRC_INTERNAL;
/* The calling thread's record when it belongs to `handle`, else NULL. */
const struct frc_err *frc_err_of(const void *handle) FRC_INTERNAL;
/* Makes a copy of `e` (another thread's record, or a local one) the
 * calling thread's record for `handle`. */
void frc_err_adopt(const void *handle, const struct frc_err *e) FRC_INTERNAL;
/* The calling thread's record, whoever it belongs to. */
struct frc_err *frc_err_current(void) FRC_INTERNAL;
/*
 * A caller's mistake: records "FUNC: what" as FRC_E_MISUSE for `handle`
 * (which may be NULL) and returns FRC_E_MISUSE. FRC_MISUSE names the
 * calling function.
 */
int frc_misuse(const void *handle, const char *func, const char *fmt, ...)
	FRC_INTERNAL __attribute__((format(printf, 3, 4)));
#define FRC_MISUSE(h, ...) frc_misuse((h), __func__, __VA_ARGS__)
/*
 * Structs passed with their size (frc.h, "ABI"). frc_abi_out() gives the
 * caller's struct of `size` bytes the library's `have` bytes at src: what
 * fits, the rest zeroed. frc_abi_in() reads the caller's struct (src, size;
 * NULL with size 0 for defaults) into the library's struct of `want`
 * bytes: missing fields zero, fields the library does not know must be
 * zero. Both refuse a size below `min` (the struct's size in libfrc 1.0)
 * with FRC_E_MISUSE under `func`.
 */
int frc_abi_out(const void *handle, const char *func, void *dst, size_t size,
		const void *src, size_t have, size_t min) FRC_INTERNAL;
int frc_abi_in(const void *handle, const char *func, void *dst, size_t want,
	       const void *src, size_t size, size_t min) FRC_INTERNAL;
/* End of a struct's last field of libfrc 1.0: its smallest valid size. */
#define FRC_ABI_END(type, field)                                           \
	(offsetof(type, field) + sizeof(((type *)0)->field))
#define FRC_INFO_MIN FRC_ABI_END(frc_info_t, section_table_length)
#define FRC_REGION_INFO_MIN FRC_ABI_END(frc_region_info_t, bitmap_valid)
#define FRC_SECTION_INFO_MIN FRC_ABI_END(frc_section_info_t, known)
#define FRC_EXTENT_MIN FRC_ABI_END(frc_extent_t, length)
#define FRC_WRITER_OPTIONS_MIN FRC_ABI_END(frc_writer_options_t, generator)

/* Message of errmsg(): the thread's message for `handle`, or "". */
const char *frc_err_message(const void *handle) FRC_INTERNAL;

int frc_fail(struct frc_err *e, int code, const char *path, uint64_t offset,
	     const char *section, const char *fmt, ...) FRC_INTERNAL
	__attribute__((format(printf, 6, 7)));
int frc_fail_errno(struct frc_err *e, const char *path, const char *what,
		   int err) FRC_INTERNAL;
int frc_fail_plain(struct frc_err *e, int code, const char *fmt, ...)
	FRC_INTERNAL __attribute__((format(printf, 3, 4)));

/* ---- Progress reporting ---- */
struct frc_progress {
	frc_progress_fn fn;
	void *ctx;
	uint64_t done, total;
};

/* Adds n bytes of work; true when the callback asks to stop. */
static inline bool frc_progress_step(struct frc_progress *p, uint64_t n)
{
	p->done += n;
	return p->fn && p->fn(p->ctx, p->done, p->total) != 0;
}

/* ---- Parallel loops (parallel.c) ---- */
/* `threads`, or the number of online CPUs when 0. */
unsigned frc_default_threads(unsigned threads) FRC_INTERNAL;
/*
 * Two stages per chunk: first() on n1 threads, then second() on n2 threads
 * once that chunk's first stage is done (0 threads: one per CPU); second
 * NULL: one stage, first() does the whole of each chunk.
 * A failure's message (recorded by the failing thread, or by this one for
 * cancel and thread start) becomes the calling thread's record for `owner`;
 * `path` names the file in messages made here.
 */
int frc_pipeline_run(const void *owner, const char *path,
		     unsigned n1, unsigned n2, uint64_t nchunks,
		     int (*first)(void *arg, uint64_t chunk, uint64_t *bytes),
		     int (*second)(void *arg, uint64_t chunk, uint64_t *bytes),
		     void *arg, struct frc_progress *pr) FRC_INTERNAL;

/*
 * An object each thread makes on first use (make) and that is freed when
 * the thread exits (destroy), such as a compression context. Define one
 * `static struct frc_thread_slot` per kind of object; frc_thread_object()
 * returns the calling thread's, or NULL when it cannot be made.
 */
struct frc_thread_slot {
	void *(*make)(void);
	void (*destroy)(void *);
	pthread_key_t key;
	int ready;
};
void *frc_thread_object(struct frc_thread_slot *s) FRC_INTERNAL;

/* ---- I/O (io.c) ---- */
int frc_pread_full(int fd, void *buf, size_t len, uint64_t off) FRC_INTERNAL;
int frc_pwrite_full(int fd, const void *buf, size_t len,
		    uint64_t off) FRC_INTERNAL;
int frc_punch_hole(int fd, uint64_t off, uint64_t len) FRC_INTERNAL;

/*
 * The next data extent of fd in [pos, end): [*data, *hole), with
 * pos <= data < hole <= end. False when the range holds no data (only
 * holes). A filesystem that cannot tell counts the whole range as data.
 */
bool frc_data_extent(int fd, uint64_t pos, uint64_t end, uint64_t *data,
		     uint64_t *hole) FRC_INTERNAL;

/* ---- Direct I/O (io.c: the policy is described there) ---- */
#define FRC_DIRECT_ALIGN 4096u
/* buf (may be NULL: not checked), len and off allow O_DIRECT */
static inline bool frc_direct_aligned(const void *buf, uint64_t len,
				      uint64_t off)
{
	return (uintptr_t)buf % FRC_DIRECT_ALIGN == 0 &&
	       len % FRC_DIRECT_ALIGN == 0 && off % FRC_DIRECT_ALIGN == 0;
}
/* An O_DIRECT descriptor of path (or of the file open as fd), or -1. */
int frc_direct_open(const char *path, bool rw) FRC_INTERNAL;
int frc_direct_reopen(int fd, bool rw) FRC_INTERNAL;
/* Page data through dfd (-1: none) where the policy allows, else fd; the
 * return values of frc_pread_full() / frc_pwrite_full(). */
int frc_pread_pages(int dfd, int fd, void *buf, size_t len,
		    uint64_t off) FRC_INTERNAL;
/*
 * Starts writing bytes [off, off + len) of fd to the disk without waiting
 * for them: a file written once, front to back, is then mostly on disk by
 * the time it is flushed, and writing overlaps the work that makes it.
 */
void frc_start_writeback(int fd, uint64_t off, uint64_t len) FRC_INTERNAL;
int frc_pwrite_pages(int dfd, int fd, const void *buf, size_t len,
		     uint64_t off) FRC_INTERNAL;
/*
 * iov[0..n) written at off: through dfd when every piece allows O_DIRECT
 * and the whole is at least FRC_DIRECT_MIN_RUN bytes (a stream of small
 * synchronous direct writes is far slower than the data it carries), else
 * through fd; O_DIRECT refused here (EINVAL) falls back to fd. iov is
 * consumed. 0 or an errno value.
 */
#define FRC_DIRECT_MIN_RUN (256u << 10)
struct iovec;
int frc_pwritev_pages(int dfd, int fd, struct iovec *iov, int n,
		      uint64_t off) FRC_INTERNAL;

/* ---- Checksums (checksum.c, SPEC "Checksums") ---- */
/*
 * Every comparison of a stored checksum with a computed one goes through
 * this macro. Fuzzing builds (-DFRC_FUZZ_NO_CHECKSUMS) accept any value so
 * that mutated inputs reach the parsers behind the checksums.
 */
#ifdef FRC_FUZZ_NO_CHECKSUMS
#define FRC_CSUM_OK(stored, computed) ((void)(stored), (void)(computed), 1)
#else
#define FRC_CSUM_OK(stored, computed) ((stored) == (computed))
#endif

enum frc_key_tag {
	FRC_KEY_PAGE,
	FRC_KEY_BITMAP,
	FRC_KEY_CSUM_TABLE,
	FRC_KEY_REGION_TABLE,
	FRC_KEY_SECTION_TABLE,
	FRC_KEY_SECTION,
	FRC_KEY_FEATURE_TABLE,
	FRC_KEY_FRAME_TABLE, /* 1.2 */
	FRC_KEY_FRAME,       /* 1.2 */
	FRC_KEY_BASE_MAP     /* 1.3 */
};

uint64_t frc_key(const uint8_t uuid[16], enum frc_key_tag tag, uint64_t a,
		 uint64_t b) FRC_INTERNAL;
uint64_t frc_hash(const void *data, size_t len, uint64_t seed) FRC_INTERNAL;
/* Checksum of a table whose last 8 bytes are the stored trailer. */
void frc_table_seal(uint8_t *table, size_t len, uint64_t seed) FRC_INTERNAL;
bool frc_table_check(const uint8_t *table, size_t len,
		     uint64_t seed) FRC_INTERNAL;

/* Incremental hashing for data that does not fit in memory at once. */
struct frc_stream_hash;
struct frc_stream_hash *frc_stream_new(uint64_t seed) FRC_INTERNAL;
void frc_stream_update(struct frc_stream_hash *h, const void *p,
		       size_t n) FRC_INTERNAL;
uint64_t frc_stream_digest(struct frc_stream_hash *h) FRC_INTERNAL;
void frc_stream_free(struct frc_stream_hash *h) FRC_INTERNAL;

/* ---- Superblock (superblock.c, SPEC "Superblock") ---- */
struct frc_sb {
	/*
	 * magic, length and checksum are right (SPEC "Choosing the current
	 * copy")
	 */
	bool intact;
	uint16_t major, minor;
	uint32_t header_length;
	uint64_t sequence;
	uint64_t incompat, ro_compat, compat;
	uint8_t uuid[16];
	uint64_t create_time, commit_time;
	uint64_t file_length;
	uint32_t alignment;
	uint8_t csum_algo;
	uint64_t rt_offset;
	uint32_t rt_length, rt_count;
	uint64_t st_offset;
	uint32_t st_length, st_count;
	uint64_t ft_offset;
	uint32_t ft_length;
	char generator[FRC_GENERATOR_SIZE + 1];
};

void frc_sb_encode(const struct frc_sb *sb, uint8_t *buf) FRC_INTERNAL;
/*
 * Decodes and checks one superblock copy read from `slot_offset`. Returns
 * FRC_OK, or the error class with the message in e. An all-zero slot sets
 * *empty; a copy whose checksum holds sets sb->intact and sb->sequence even
 * when a later check fails.
 */
int frc_sb_decode(const uint8_t *buf, uint64_t slot_offset, struct frc_sb *sb,
		  bool *empty, struct frc_err *e, const char *path) FRC_INTERNAL;

/* ---- Strings (utf8.c) ---- */
bool frc_utf8_valid(const uint8_t *s, size_t n) FRC_INTERNAL;

/* ---- Region table (regions.c, SPEC "Regions") ---- */
struct frc_region {
	char *id; /* NUL-terminated copy */
	uint32_t id_length;
	uint32_t page_size;
	unsigned page_shift;
	uint64_t used_length, page_count;
	uint64_t bitmap_offset, csum_offset, pages_offset;
	/* compressed frames (1.2): FRC_COMPRESSION_*, log2 pages per frame */
	uint8_t compression, frame_shift;
	uint64_t frame_table_offset;
	/* snapshots on a base (1.3): the base map, 0 when none */
	uint64_t base_map_offset;
};

/* Frames of a compressed region (SPEC "Frames and slots"). */
static inline uint64_t frc_frame_count(const struct frc_region *rg)
{
	return (rg->page_count + (UINT64_C(1) << rg->frame_shift) - 1) >>
	       rg->frame_shift;
}

/* Bytes of frame f: its pages times the page size (the last may be short). */
static inline uint64_t frc_frame_len(const struct frc_region *rg, uint64_t f)
{
	uint64_t first = f << rg->frame_shift;
	uint64_t per = UINT64_C(1) << rg->frame_shift;
	uint64_t n = rg->page_count - first < per ? rg->page_count - first : per;

	return n << rg->page_shift;
}


uint64_t frc_region_entry_size(uint32_t id_length) FRC_INTERNAL;
void frc_region_encode(const struct frc_region *rg, uint8_t *p) FRC_INTERNAL;
int frc_region_check_params(struct frc_err *e, const char *path,
			    uint64_t off, const char *id, size_t id_length,
			    uint64_t used_length,
			    uint32_t page_size) FRC_INTERNAL;
/* compressed_frames: the file has the compressed-frames feature (1.2). */
int frc_regions_decode(const uint8_t *table, uint32_t length, uint32_t count,
		       uint64_t incompat,
		       uint64_t table_offset, struct frc_region **out,
		       struct frc_err *e, const char *path) FRC_INTERNAL;
void frc_regions_free(struct frc_region *rg, uint32_t count) FRC_INTERNAL;

/* ---- Sections (sections.c, SPEC "Sections") ---- */
struct frc_section {
	uint32_t type, flags;
	uint64_t offset, length, checksum;
	char *name;
	uint32_t name_length;
};

uint64_t frc_section_entry_size(uint32_t name_length) FRC_INTERNAL;
void frc_section_encode(const struct frc_section *s, uint8_t *p) FRC_INTERNAL;
int frc_sections_decode(const uint8_t *table, uint32_t length, uint32_t count,
			uint64_t table_offset, struct frc_section **out,
			struct frc_err *e, const char *path) FRC_INTERNAL;
void frc_sections_free(struct frc_section *s, uint32_t count) FRC_INTERNAL;
bool frc_section_type_known(uint32_t type) FRC_INTERNAL;

struct frc_meta {
	char *key, *value;
};
/* Metadata section body (SPEC "Metadata section (type 2)"). */
int frc_meta_encode(const struct frc_meta *items, uint32_t count,
		    uint8_t **out, uint64_t *len) FRC_INTERNAL;
int frc_meta_decode(const uint8_t *p, uint64_t len, uint64_t base,
		    struct frc_meta **out, uint32_t *count, struct frc_err *e,
		    const char *path) FRC_INTERNAL;
void frc_meta_free(struct frc_meta *m, uint32_t count) FRC_INTERNAL;
int frc_meta_key_check(const char *key, size_t len) FRC_INTERNAL;

/* ---- Feature-name table (features.c, SPEC "Feature-name table") ---- */
struct frc_feature_name {
	uint8_t kind, bit;
	char name[FRC_FEATURE_NAME_SIZE + 1];
};

int frc_features_decode(const uint8_t *table, uint32_t length,
			uint64_t offset, struct frc_feature_name **out,
			uint32_t *count, struct frc_err *e,
			const char *path) FRC_INTERNAL;
/* The name this library gives a feature bit, or NULL. */
const char *frc_feature_builtin_name(int kind, unsigned bit) FRC_INTERNAL;
/* Number of entries (and so table size) this library writes. */
uint32_t frc_features_builtin_count(void) FRC_INTERNAL;
void frc_features_encode_builtin(uint8_t *table) FRC_INTERNAL;
/* Builtin name, else the file's table's name, else NULL. */
const char *frc_feature_lookup(const struct frc_feature_name *names,
			       uint32_t count, int kind,
			       unsigned bit) FRC_INTERNAL;
void frc_features_describe(const struct frc_feature_name *names,
			   uint32_t count, int kind, uint64_t mask, char *buf,
			   size_t size) FRC_INTERNAL;

#endif /* FRC_INTERNAL_H */
