/*
 * frc.h - libfrc, the reference codec of the Fixed-RAM Container format.
 *
 * An FRC file holds the memory of a virtual machine: a set of *regions*
 * (RAM blocks), each cut into pages of one power-of-two size, every page
 * stored at a fixed offset so that it can be written by many threads in any
 * order and read back in O(1); plus typed *sections* for everything that is
 * not RAM (device state, metadata). Every structure and every page carries an
 * XXH3-64 checksum. SPEC.adoc is the normative description of the bytes;
 * this header describes the C interface.
 *
 * Conventions used by every call below:
 *
 * Errors. Functions returning `int` return FRC_OK (0) on success and one of
 *   the frc_error codes otherwise, and every code other than FRC_OK comes
 *   with a message: frc_reader_errmsg() / frc_writer_errmsg() on the same
 *   handle, called from the same thread. A file's defect names the file, the
 *   byte offset and the SPEC rule ("f.frc: offset 0x3000: ... (SPEC
 *   R-BM-PAD)"); a caller's mistake (a NULL pointer, an index out of range,
 *   a call out of order, an argument the SPEC forbids, such as page size 3)
 *   is FRC_E_MISUSE and names the call and the argument. Messages are kept
 *   per thread: each thread sees the message of its own last failed call, so
 *   threads sharing a handle never see each other's. A message stays valid
 *   until the same thread's next failing libfrc call.
 *
 * Ownership. Handles own everything they allocate; frc_*_free() releases it
 *   and accepts NULL. Strings and pointers returned by a handle (ids, names,
 *   metadata, the generator) stay valid until the handle is freed; the
 *   caller never frees them.
 *
 * Threads. A handle may be used by one thread at a time, except for the
 *   calls marked "Thread-safe", which may run at once on one handle from any
 *   number of threads (and at the same time as each other). Different
 *   handles are independent.
 *
 * ABI. libfrc.so.1 keeps working for programs built against any earlier
 *   1.x header. Symbols carry versions (FRC_1.0, then FRC_1.1 ... for calls
 *   added later); codes, constants and enum values are never renumbered.
 *   The structs the library fills or reads (frc_info_t, frc_region_info_t,
 *   frc_section_info_t, frc_extent_t, frc_writer_options_t) grow only at
 *   their end, and each call that takes one also takes its size: pass
 *   sizeof(the struct) as your header declares it.
 *     - Structs the library fills: it writes the fields that fit in `size`
 *       (an older program gets the fields it knows) and zeroes the rest of
 *       a newer program's struct.
 *     - Structs the library reads (frc_writer_options_t): fields beyond
 *       `size` take their zero value (an older program gets the defaults);
 *       fields this library does not know must be zero, or the call fails
 *       with FRC_E_MISUSE instead of ignoring what the program asked for.
 *     - `size` below the struct's size in libfrc 1.0 is FRC_E_MISUSE.
 *   Structs the library passes to callbacks (frc_problem_t) begin with
 *   their own size: fields at or beyond it are absent.
 */
#ifndef FRC_H
#define FRC_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(FRC_BUILDING_LIBRARY) && defined(__GNUC__)
#define FRC_API __attribute__((visibility("default")))
#else
#define FRC_API
#endif

/* Version of this library (single source; frc.pc and the soname follow). */
#define FRC_LIB_VERSION_MAJOR 1
#define FRC_LIB_VERSION_MINOR 3
#define FRC_LIB_VERSION_PATCH 0
#define FRC_LIB_VERSION_STRING "1.3.0"
/* MAJOR * 1000000 + MINOR * 1000 + PATCH: 1.2.3 is 1002003. */
#define FRC_LIB_VERSION_NUMBER                                              \
	(FRC_LIB_VERSION_MAJOR * 1000000 + FRC_LIB_VERSION_MINOR * 1000 +   \
	 FRC_LIB_VERSION_PATCH)

/* Version of the on-disk format this library writes and fully understands. */
#define FRC_FORMAT_VERSION_MAJOR 1
#define FRC_FORMAT_VERSION_MINOR 3

/*
 * FRC_LIB_VERSION_STRING of the library actually linked (which may be newer
 * than the header a program was built with). Static; thread-safe.
 */
FRC_API const char *frc_version_string(void);

/*
 * FRC_LIB_VERSION_NUMBER of the library actually linked, for comparisons:
 * `if (frc_version_number() >= 1001000)` (1.1.0 or later). Thread-safe.
 */
FRC_API unsigned long frc_version_number(void);

/*
 * Error codes. Codes 1 to 63 are the error classes of SPEC.adoc (the
 * reason a file is rejected); their numbers and names are stable forever.
 * Codes 64 and above describe the environment or the caller, not the file;
 * they are stable too. New codes may be appended; none is ever renumbered.
 */
enum frc_error {
	FRC_OK = 0,
	/* File error classes (SPEC, "Error classes"). */
	FRC_E_BAD_SIGNATURE = 1,       /* "bad-signature" */
	FRC_E_UNSUPPORTED_VERSION = 2, /* "unsupported-version" */
	FRC_E_UNSUPPORTED_FEATURE = 3, /* "unsupported-feature" */
	FRC_E_INCOMPLETE = 4,          /* "incomplete" */
	FRC_E_CHECKSUM = 5,            /* "checksum-mismatch" */
	FRC_E_TRUNCATED = 6,           /* "truncated" */
	FRC_E_OUT_OF_BOUNDS = 7,       /* "out-of-bounds" */
	FRC_E_OVERLAP = 8,             /* "overlap" */
	FRC_E_BAD_FIELD = 9,           /* "bad-field" */
	FRC_E_LIMIT = 10,              /* "limit-exceeded" */
	FRC_E_DIGEST = 11,             /* "digest-mismatch" (format 1.3) */
	FRC_E_SIGNATURE = 12,          /* "signature-mismatch" (1.3) */
	FRC_E_BASE_MISSING = 13,       /* "base-missing" (1.3) */
	FRC_E_BASE_MISMATCH = 14,      /* "base-mismatch" (1.3) */
	FRC_E_CHAIN_CYCLE = 15,        /* "chain-cycle" (1.3) */
	FRC_E_CHAIN_DEPTH = 16,        /* "chain-too-deep" (1.3) */
	/* Environment and caller errors. */
	FRC_E_IO = 64,        /* a system call failed (errno in the message) */
	FRC_E_NOMEM = 65,     /* memory allocation failed */
	FRC_E_MISUSE = 66,    /* invalid argument or call out of order */
	FRC_E_NOT_FOUND = 67, /* no region or section by that name */
	FRC_E_EXISTS = 68,    /* output file exists and overwriting was not asked */
	FRC_E_CANCELED = 69,  /* a progress callback asked to stop */
	FRC_E_READ_ONLY = 70, /* the file may not be modified (ro-compat feature) */
	FRC_E_UNSUPPORTED = 71 /* not possible for this file (e.g. mapping a
				  compressed region) */
};

/* Codes below this value are file error classes. */
#define FRC_ERROR_CLASS_LIMIT 64

/*
 * A short English description of a code ("checksum mismatch"), or "unknown
 * error". Never NULL; static storage; thread-safe.
 */
FRC_API const char *frc_strerror(int code);

/*
 * The SPEC error-class name of a code ("checksum-mismatch"), for codes 1-63;
 * "io", "nomem", "misuse", ... for the others; "unknown" otherwise. These
 * names are stable (conformance reports use them). Static; thread-safe.
 */
FRC_API const char *frc_error_name(int code);

/* Feature bits of the superblock (SPEC "Features", registry "Feature bits"). */
#define FRC_INCOMPAT_INCOMPLETE (UINT64_C(1) << 0)
/* Some regions are stored in compressed frames (SPEC "Compressed frames",
 * format 1.2). */
#define FRC_INCOMPAT_COMPRESSED_FRAMES (UINT64_C(1) << 2)
/* Some pages are those of a base file (SPEC "Snapshots on a base", 1.3). */
#define FRC_INCOMPAT_BASE_SNAPSHOT (UINT64_C(1) << 3)
#define FRC_INCOMPAT_KNOWN                                                 \
	(FRC_INCOMPAT_INCOMPLETE | FRC_INCOMPAT_COMPRESSED_FRAMES |       \
	 FRC_INCOMPAT_BASE_SNAPSHOT)
/* The file has a content identity: a SHA-256 hash tree of its pages,
 * layout and sections (SPEC "Content identity and signatures", 1.3). */
#define FRC_RO_COMPAT_CONTENT_DIGESTS (UINT64_C(1) << 1)
#define FRC_RO_COMPAT_KNOWN FRC_RO_COMPAT_CONTENT_DIGESTS
#define FRC_COMPAT_KNOWN UINT64_C(0)

/* The three feature words of the superblock (SPEC "Features"). */
enum frc_feature_kind {
	FRC_FEATURE_INCOMPAT = 0,  /* a reader must understand it to read */
	FRC_FEATURE_RO_COMPAT = 1, /* ... to modify; may read without */
	FRC_FEATURE_COMPAT = 2     /* may be ignored */
};

/* Compression methods of a region (SPEC registry "Compression methods"). */
#define FRC_COMPRESSION_NONE 0
#define FRC_COMPRESSION_ZSTD 1

/* Checksum algorithms (SPEC "Checksums"). */
#define FRC_CSUM_XXH3_64 1

/* Section types (SPEC "Sections", registry "Section types"). */
#define FRC_SECTION_DEVICE_STATE 1
#define FRC_SECTION_METADATA 2
#define FRC_SECTION_DIGESTS 4   /* the content identity's digests (1.3) */
#define FRC_SECTION_SIGNATURE 5 /* an Ed25519 signature of the root (1.3) */
#define FRC_SECTION_BASE 6      /* the base a file's pages build on (1.3) */
/* At most this many bases below a file (SPEC R-BS-DEPTH). */
#define FRC_CHAIN_MAX 16
#define FRC_SECTION_QEMU 16 /* QEMU migration stream bytes (SPEC, type 16) */
/* Strong digests a writer records (frc_writer_options_t.digest). */
#define FRC_DIGEST_NONE 0
#define FRC_DIGEST_SHA256 1
/* Bytes of a content root, an Ed25519 key and signature. */
#define FRC_ROOT_SIZE 32
#define FRC_KEY_SIZE 32
/* Section flags. */
#define FRC_SECTION_MUST_UNDERSTAND (UINT32_C(1) << 0)

/* Limits (SPEC "Limits"). */
#define FRC_PAGE_SIZE_MIN 512u
#define FRC_PAGE_SIZE_MAX (16u * 1024 * 1024)
#define FRC_ID_MAX 255u
#define FRC_REGIONS_MAX 4096u
#define FRC_SECTIONS_MAX 4096u
#define FRC_PAGES_PER_REGION_MAX (UINT64_C(1) << 33)
#define FRC_METADATA_MAX (1u << 20)
#define FRC_SECTION_LENGTH_MAX (UINT64_C(1) << 40)
#define FRC_META_KEY_MAX 255u
#define FRC_ALIGNMENT_DEFAULT (1u << 20)
/* The fixed area: signature and both superblock copies, the first bytes of
 * every file (SPEC "The fixed area"). */
#define FRC_FIXED_AREA_SIZE 12288u

/*
 * Progress callback: `done` of `total` bytes processed. Return 0 to go on,
 * anything else to stop the operation with FRC_E_CANCELED. Called from the
 * thread that made the call, at most a few hundred times per second.
 */
typedef int (*frc_progress_fn)(void *ctx, uint64_t done, uint64_t total);

/* ------------------------------------------------------------------ */
/* Writer                                                              */
/* ------------------------------------------------------------------ */

typedef struct frc_writer frc_writer_t;
typedef struct frc_reader frc_reader_t; /* the reader, below */

/*
 * Options of frc_writer_open() and its variants, passed with their size (see
 * "ABI" above). Zero-initialise, then set what you need: every zero field
 * means the default.
 */
typedef struct frc_writer_options {
	uint32_t alignment;      /* page-area alignment, a power of two from
				    512 to 2^30; 0 = 1 MiB (SPEC R-PAGE-ALIGN) */
	int direct;              /* non-zero: write pages with O_DIRECT */
	int overwrite;           /* non-zero: replace an existing file */
	int have_uuid;           /* non-zero: use `uuid` instead of a random one */
	uint8_t uuid[16];        /* file UUID when have_uuid */
	int have_create_time;    /* non-zero: use create_time_ns */
	uint64_t create_time_ns; /* nanoseconds since 1970-01-01 UTC */
	int have_commit_time;    /* non-zero: use commit_time_ns at commit */
	uint64_t commit_time_ns;
	const char *generator;   /* up to 63 bytes; NULL = "libfrc VERSION" */
	/* since libfrc 1.3.0: FRC_DIGEST_SHA256 records the content
	 * identity (SPEC "Content identity and signatures"): every page is
	 * also hashed with SHA-256 as it is written (32 bytes of memory per
	 * page until the commit), and the commit writes the digest section
	 * after the other sections. 0: none. */
	uint32_t digest;
} frc_writer_options_t;

/*
 * Allocates a writer handle, to be opened with one of frc_writer_open(),
 * frc_writer_open_fd() or frc_writer_open_embedded() and released with
 * frc_writer_free(). Returns NULL when out of memory.
 */
FRC_API frc_writer_t *frc_writer_new(void);

/*
 * Creates `path` (refusing an existing file with FRC_E_EXISTS unless
 * opts->overwrite) and remembers the options; opts_size is sizeof(*opts).
 * `opts` may be NULL (opts_size 0) for defaults. Once per handle; then
 * declare regions, write pages and sections, commit. Nothing but an empty
 * file exists on disk until frc_writer_start().
 * Replacing an existing file is atomic (SPEC "Replacing an existing file"): the new file is
 * written under a temporary name beside it and renamed over the old one by
 * frc_writer_commit(); until then, and after any failure, the old file is
 * untouched.
 */
FRC_API int frc_writer_open(frc_writer_t *w, const char *path,
			    const frc_writer_options_t *opts,
			    size_t opts_size);

/*
 * Like frc_writer_open(), but writes into `fd`, an empty regular file the
 * caller opened read-write; `name` is used in messages. The writer never
 * closes, renames or removes this file: where it ends up, and what happens
 * to it after a failure, is the caller's choice. With opts->direct, pages
 * go through a second, O_DIRECT descriptor opened via /proc/self/fd.
 * opts->overwrite is ignored.
 */
FRC_API int frc_writer_open_fd(frc_writer_t *w, int fd, const char *name,
			       const frc_writer_options_t *opts,
			       size_t opts_size);

/*
 * Embedding: FRC around bytes of another format already in a file, with
 * nothing copied (e.g. a QEMU mapped-ram save written into the file from
 * an offset on; SPEC, "QEMU mapped-ram inside an FRC file"). `fd` is a
 * regular file the caller opened read-write; bytes [12288, foreign_end)
 * are left as they are, except that page slots of absent pages may become
 * holes. Every FRC structure is placed after foreign_end, and the fixed
 * area is rewritten, with a superblock that says the file is incomplete,
 * only once the file is as long as that superblock says and the tables it
 * names are durable: at every point until the commit the file reads as
 * incomplete. Bytes after foreign_end (what an earlier writer on the same
 * file appended before it was interrupted) are replaced: the file is cut
 * or grown to the new layout when the writer starts. Regions are added
 * with frc_writer_add_region_at() only; their pages are taken in place with
 * frc_writer_adopt_pages() and frc_writer_clear_pages(), sections with
 * frc_writer_adopt_section() (or written after foreign_end as usual). The
 * writer never closes or removes the file and never shortens it below
 * foreign_end. (Before libfrc 1.1.1 a file longer than foreign_end was
 * FRC_E_MISUSE.)
 */
FRC_API int frc_writer_open_embedded(frc_writer_t *w, int fd, const char *name,
				     uint64_t foreign_end,
				     const frc_writer_options_t *opts,
				     size_t opts_size);

/*
 * A region whose page area already lies at `pages_offset` (a multiple of
 * page_size, inside the foreign bytes, overlapping no other page area).
 * Before the first page or section, like frc_writer_add_region(); only on
 * a writer opened with frc_writer_open_embedded() (FRC_E_MISUSE otherwise).
 */
FRC_API int frc_writer_add_region_at(frc_writer_t *w, const char *id,
				     uint64_t used_length, uint32_t page_size,
				     uint64_t pages_offset, uint32_t *index);

/*
 * Pages [first, first+count) of a region added at an offset are present
 * as they are in the file: read (O_DIRECT where possible) and checksummed;
 * all-zero ones are made absent. Thread-safe for distinct pages.
 */
FRC_API int frc_writer_adopt_pages(frc_writer_t *w, uint32_t region,
				   uint64_t first, uint64_t count);

/*
 * Like frc_writer_adopt_pages(), but the pages' bytes are read from another
 * file, `fd` with page i at byte offset + i * page_size (the guest RAM file
 * QEMU saved them from), instead of from where they lie in this file. The
 * caller vouches that both hold the same bytes; a page that differs fails
 * verification when read. Thread-safe likewise.
 */
FRC_API int frc_writer_adopt_pages_from(frc_writer_t *w, uint32_t region,
					uint64_t first, uint64_t count, int fd,
					uint64_t offset);

/*
 * Pages [first, first+count) of a region added at an offset are absent:
 * their slots become holes so that they read as zeros. Thread-safe for
 * distinct pages, like frc_writer_adopt_pages().
 */
FRC_API int frc_writer_clear_pages(frc_writer_t *w, uint32_t region,
				   uint64_t first, uint64_t count);

/*
 * A section whose `length` bytes already lie at `offset` inside the
 * foreign bytes (overlapping no page area and no other such section): its
 * checksum is computed by reading them. Not thread-safe with other calls.
 */
FRC_API int frc_writer_adopt_section(frc_writer_t *w, uint32_t type,
				     uint32_t flags, const char *name,
				     uint64_t offset, uint64_t length);

/*
 * Declares a region: `id` (1-255 bytes of UTF-8, unique), `used_length`
 * (a multiple of page_size) and `page_size` (a power of two between
 * FRC_PAGE_SIZE_MIN and FRC_PAGE_SIZE_MAX). Regions are numbered from 0 in
 * the order declared; the number is stored in *index when index is not NULL.
 * Only before frc_writer_start() (FRC_E_MISUSE after). An id, length or
 * page size the SPEC does not allow is FRC_E_MISUSE naming the argument;
 * more than FRC_REGIONS_MAX regions is FRC_E_LIMIT.
 */
FRC_API int frc_writer_add_region(frc_writer_t *w, const char *id,
				  uint64_t used_length, uint32_t page_size,
				  uint32_t *index);

/*
 * Stores region `region` in compressed frames (SPEC "Compressed frames",
 * format 1.2; the file gets the compressed-frames feature): `method`
 * FRC_COMPRESSION_ZSTD at Zstandard `level` (1 to 22, or negative for the
 * fast levels; 1 or 3 are the usual choices), frames of `frame_pages` pages
 * (a power of two, a frame at most 16 MiB; 0: 64 KiB frames). Pages are
 * written as usual, from any number of threads; frc_writer_write_region()
 * compresses as it writes, other writes are compressed at commit, on every
 * CPU. A frame that does not shrink by at least 4 KiB is stored raw. After
 * frc_writer_add_region(), before the first page or section; not for
 * regions added at an offset. Since libfrc 1.1.0.
 */
FRC_API int frc_writer_set_compression(frc_writer_t *w, uint32_t region,
				       uint32_t method, int level,
				       uint32_t frame_pages);

/*
 * Fixes the layout and writes the file in the incomplete state (SPEC
 * "Creating a file and writing pages"): signature, region table and an
 * incomplete superblock, flushed to disk. Called implicitly by the first page or section write; calling it
 * again does nothing. If it fails, every later call on the handle returns
 * the same code and message. Thread-safe.
 */
FRC_API int frc_writer_start(frc_writer_t *w);

/*
 * Writes `count` consecutive pages of a region, starting at page `first`,
 * from `data` (count * page_size bytes). An all-zero page is not written: its
 * bit is cleared and, if the slot held data, the slot becomes a hole. Pages
 * may be written any number of times; the last write wins. Safe to call from
 * several threads at once as long as no two calls touch the same page.
 */
FRC_API int frc_writer_write_pages(frc_writer_t *w, uint32_t region,
				   uint64_t first, uint64_t count,
				   const void *data);

/* One page; same rules as frc_writer_write_pages(). */
FRC_API int frc_writer_write_page(frc_writer_t *w, uint32_t region,
				  uint64_t page, const void *data);

/*
 * Writes scattered pages in one call, as a hypervisor sends dirty pages:
 * pages[i] (page_size bytes) goes to page indices[i]. Runs of consecutive
 * indices are written with one pwritev each. Same rules as
 * frc_writer_write_pages(); indices must be distinct within a call.
 */
FRC_API int frc_writer_write_batch(frc_writer_t *w, uint32_t region,
				   uint64_t count, const uint64_t *indices,
				   const void *const *pages);

/*
 * Saves a whole region from memory (`src`, used_length bytes) with
 * `threads` threads (0: one per CPU), each checksumming and writing its own
 * 4 MiB chunks, zero pages left as holes. With O_DIRECT and a 4 KiB-aligned
 * src, pages go from src to the disk without a copy. `progress` (may be
 * NULL) is called from the calling thread.
 */
FRC_API int frc_writer_write_region(frc_writer_t *w, uint32_t region,
				    const void *src, unsigned threads,
				    frc_progress_fn progress, void *ctx);

/*
 * Copies region `from` of an open reader into region `region` (the same
 * page size and page count) with `threads` threads (0: one per CPU), each
 * reading and writing its own 4 MiB chunks: every page the reader holds
 * (its own, or, for a snapshot on a base, its base's) read and verified as
 * frc_reader_read_pages() does, then written as frc_writer_write_pages()
 * does; pages absent from the reader are not written. When both files
 * have content digests, the leaves the reader verified the pages against
 * are this file's: each page is hashed once (frc convert, frc flatten).
 * A page that fails verification fails the copy with the reader's error
 * class and message. `progress` (may be NULL) is called from the calling
 * thread with bytes of the region. Since libfrc 1.3.0.
 */
FRC_API int frc_writer_copy_region(frc_writer_t *w, uint32_t region,
				   frc_reader_t *r, uint32_t from,
				   unsigned threads, frc_progress_fn progress,
				   void *ctx);

/*
 * Adds a section of `type` (SPEC "Sections") with optional `name` (NULL or up to 255
 * bytes of UTF-8) and `flags`. The bytes are copied into a temporary
 * location in the file right away; the caller's buffer may be reused.
 * Not thread-safe with other calls on the handle.
 */
FRC_API int frc_writer_add_section(frc_writer_t *w, uint32_t type,
				   uint32_t flags, const char *name,
				   const void *data, uint64_t length);

/*
 * A section streamed in pieces, for sections of any size: begin (type,
 * flags, name as for frc_writer_add_section()), append its bytes in order
 * with any number of calls, end. Each append writes to the file at once.
 * One section at a time; frc_writer_commit() refuses while one is open.
 * A failed append leaves the section open: end it or free the writer.
 */
FRC_API int frc_writer_section_begin(frc_writer_t *w, uint32_t type,
				     uint32_t flags, const char *name);
FRC_API int frc_writer_section_append(frc_writer_t *w, const void *data,
				      size_t length);
FRC_API int frc_writer_section_end(frc_writer_t *w);

/*
 * Adds a key/value pair to the file's metadata section (SPEC R-META,
 * R-META-KEYS): key
 * 1-255 bytes of [a-z0-9._-] starting with a letter or digit, value UTF-8;
 * setting a key again replaces its value. Anything else is FRC_E_MISUSE;
 * more than FRC_METADATA_MAX bytes in all is FRC_E_LIMIT (at commit).
 * Before frc_writer_commit().
 */
FRC_API int frc_writer_set_metadata(frc_writer_t *w, const char *key,
				    const char *value);

/*
 * Commits: writes bitmaps, checksum tables, sections and the section table,
 * flushes, flips the superblock to complete (both copies), flushes again.
 * After it returns FRC_OK the file is complete and the handle accepts no
 * more writes (only frc_writer_free()). After a failure the file stays
 * marked incomplete; free the handle. `progress` may be NULL.
 */
FRC_API int frc_writer_commit(frc_writer_t *w, frc_progress_fn progress,
			      void *ctx);

/*
 * Non-zero when pages are really written with O_DIRECT (opts->direct was
 * set and the file system accepted it; after opening). Thread-safe.
 */
FRC_API int frc_writer_is_direct(const frc_writer_t *w);

/* The page size of a declared region, or 0 if there is no such region. */
FRC_API uint32_t frc_writer_page_size(const frc_writer_t *w, uint32_t region);

/*
 * Frees the handle. A new file that was started but not committed stays on
 * disk marked incomplete, exactly as after a crash; an uncommitted
 * replacement of an existing file is removed (the old file stays).
 */
FRC_API void frc_writer_free(frc_writer_t *w);

/*
 * The message of the calling thread's last failed call on `w` (see
 * "Errors" above), or "" if that thread's last failure was on another
 * handle or there was none. Never NULL.
 */
FRC_API const char *frc_writer_errmsg(const frc_writer_t *w);

/* ------------------------------------------------------------------ */
/* Reader                                                              */
/* ------------------------------------------------------------------ */

/* frc_reader_open() flags. */
#define FRC_OPEN_SALVAGE 1u /* accept incomplete or damaged files, read-only */
#define FRC_OPEN_DIRECT 2u  /* read page data with O_DIRECT where aligned */

/* What the superblock says (frc_reader_get_info(); see "ABI" above). */
typedef struct frc_info {
	uint16_t version_major, version_minor;
	uint32_t header_length;
	uint64_t sequence;
	uint64_t incompat, ro_compat, compat;
	uint64_t unknown_incompat, unknown_ro_compat, unknown_compat;
	uint8_t uuid[16];
	uint64_t create_time_ns, commit_time_ns; /* 0 = not recorded */
	uint64_t file_length;
	uint32_t alignment;
	uint32_t checksum_algorithm;
	const char *generator;
	uint32_t region_count, section_count;
	int complete;   /* 0: interrupted save (salvage mode only) */
	int read_only;  /* unknown ro-compat features: never modify */
	int slot_used;  /* superblock copy used: 0 = A, 1 = B */
	int other_slot; /* the other copy: 1 valid, 0 empty, -1 damaged */
	int other_slot_error; /* why the other copy is damaged (FRC_E_*) */
	/* Where the tables are (0, 0 when absent); frc_reader_layout() lists
	 * every structure. */
	uint64_t feature_table_offset, region_table_offset, section_table_offset;
	uint32_t feature_table_length, region_table_length, section_table_length;
} frc_info_t;

/* One region (frc_reader_region(); see "ABI" above). */
typedef struct frc_region_info {
	const char *id; /* NUL-terminated; ids never contain NUL */
	uint32_t id_length;
	uint32_t page_size;
	uint64_t used_length, page_count, present_pages;
	uint64_t bitmap_offset, checksum_table_offset, pages_offset;
	int bitmap_valid; /* 0 only in salvage mode: presence unknown */
	/* since 1.1.0 (format 1.2): FRC_COMPRESSION_*, pages per frame (0
	 * when uncompressed), where the frame table is (0: none) */
	uint32_t compression;
	uint32_t frame_pages;
	uint64_t frame_table_offset;
	/* since 1.3.0 (format 1.3): pages unchanged from the base (not
	 * counted in present_pages), where the base map is (0: none) */
	uint64_t base_pages;
	uint64_t base_map_offset;
} frc_region_info_t;

/* One section (frc_reader_section(); see "ABI" above). */
typedef struct frc_section_info {
	uint32_t type, flags;
	const char *name; /* "" when unnamed */
	uint64_t offset, length, checksum;
	int known; /* the type is one this library understands */
} frc_section_info_t;

/*
 * Allocates a reader handle, to be opened with frc_reader_open() and
 * released with frc_reader_free(). Returns NULL when out of memory.
 */
FRC_API frc_reader_t *frc_reader_new(void);

/*
 * Opens `path` and validates its structure (SPEC "Order of checks"): signature,
 * superblocks, features, region and section tables, bitmaps, bounds and
 * overlaps. Reads no page data. Refuses an incomplete file with
 * FRC_E_INCOMPLETE unless `flags` has FRC_OPEN_SALVAGE; in salvage mode it
 * also tolerates damaged bitmaps (the region then reports bitmap_valid 0).
 * The code returned for a damaged file is the error class the SPEC gives
 * it. Once per handle. Every other reader call needs a successful open
 * (FRC_E_MISUSE otherwise); after a failed open only frc_reader_errmsg()
 * and frc_reader_free() are useful.
 */
FRC_API int frc_reader_open(frc_reader_t *r, const char *path, unsigned flags);

/* Fills *info (info_size = sizeof(*info)) from the open file's superblock. */
FRC_API int frc_reader_get_info(const frc_reader_t *r, frc_info_t *info,
				size_t info_size);

/*
 * Names of the feature bits set in `mask` of `kind`, as given by this
 * library or the file's feature-name table, "bit N" when nobody knows,
 * comma-separated, into buf (truncated to size - 1 bytes, always
 * NUL-terminated when size > 0). Returns buf; "" for a kind that is not an
 * enum frc_feature_kind. Thread-safe.
 */
FRC_API const char *frc_reader_feature_names(const frc_reader_t *r,
					     enum frc_feature_kind kind,
					     uint64_t mask, char *buf,
					     size_t size);

/*
 * The name of one feature bit (bit 0-63): this library's name, else the
 * file's feature-name table's, else NULL (also for a bad kind or bit).
 * Owned by the library or the handle. Thread-safe.
 */
FRC_API const char *frc_reader_feature_name(const frc_reader_t *r,
					    enum frc_feature_kind kind,
					    unsigned bit);

/* Number of regions of the open file (0 when none is open). Thread-safe. */
FRC_API uint32_t frc_reader_region_count(const frc_reader_t *r);
/* Fills *info (info_size = sizeof(*info)) for region `region`. Thread-safe. */
FRC_API int frc_reader_region(const frc_reader_t *r, uint32_t region,
			      frc_region_info_t *info, size_t info_size);
/* How a region is stored (frc_reader_region_storage(); see "ABI"). */
typedef struct frc_region_storage {
	uint64_t frames;            /* 0 for an uncompressed region */
	uint64_t compressed_frames, raw_frames, absent_frames;
	uint64_t stored_bytes;      /* page bytes held: present pages, or the
				       stored bytes of raw and compressed
				       frames */
	uint64_t allocated_bytes;   /* disk space of the page area (its data
				       extents), holes excluded */
} frc_region_storage_t;

/*
 * Fills *st (st_size = sizeof(*st)) for region `region`: for a compressed
 * region its frames by encoding, every entry checked and the frame table's
 * trailer verified (FRC_E_CHECKSUM / FRC_E_BAD_FIELD as for a read), and
 * the bytes they store; for every region the space its page area takes on
 * disk. Reads the frame table and seeks over the page area: O(frames)
 * time, O(1) memory. Since libfrc 1.1.0. Thread-safe.
 */
FRC_API int frc_reader_region_storage(frc_reader_t *r, uint32_t region,
				      frc_region_storage_t *st,
				      size_t st_size);

/* Finds a region by id; FRC_E_NOT_FOUND if there is none. Thread-safe. */
FRC_API int frc_reader_find_region(const frc_reader_t *r, const char *id,
				   uint32_t *region);

/*
 * 1 if the page is present in the file, 0 if it reads as zeros (also for a
 * region or page that does not exist). Thread-safe.
 */
FRC_API int frc_reader_page_present(const frc_reader_t *r, uint32_t region,
				    uint64_t page);

/*
 * Reads one page into buf (page_size bytes) in O(1) and verifies its
 * checksum. Absent pages read as zeros. Thread-safe: any number of threads
 * may read pages of one reader at once.
 * In salvage mode a page whose presence or checksum is unknown is returned
 * with FRC_E_INCOMPLETE, and a damaged page with FRC_E_CHECKSUM; buf holds
 * the bytes found in both cases.
 */
FRC_API int frc_reader_read_page(frc_reader_t *r, uint32_t region,
				 uint64_t page, void *buf);

/*
 * Reads `count` consecutive pages from page `first` into buf (count *
 * page_size bytes), every present page verified, absent pages zero-filled;
 * runs of present pages are read with one read each (O_DIRECT with
 * FRC_OPEN_DIRECT and a 4 KiB-aligned buf). Thread-safe like
 * frc_reader_read_page(). Returns FRC_E_MISUSE for a range beyond the
 * region, FRC_E_INCOMPLETE when the region has no valid bitmap.
 */
FRC_API int frc_reader_read_pages(frc_reader_t *r, uint32_t region,
				  uint64_t first, uint64_t count, void *buf);

/*
 * Restores a whole region into buf (buf_size >= used_length), every present
 * page verified, absent pages zero-filled. `progress` may be NULL.
 */
FRC_API int frc_reader_read_region(frc_reader_t *r, uint32_t region,
				   void *buf, uint64_t buf_size,
				   frc_progress_fn progress, void *ctx);

/*
 * frc_reader_read_region() with `threads` threads (0: one per CPU), each
 * reading and verifying its own 4 MiB chunks. With FRC_OPEN_DIRECT and a
 * 4 KiB-aligned buf, pages are read with O_DIRECT straight into buf.
 */
FRC_API int frc_reader_read_region_parallel(frc_reader_t *r, uint32_t region,
					    void *buf, uint64_t buf_size,
					    unsigned threads,
					    frc_progress_fn progress,
					    void *ctx);

/*
 * Maps a region read-only for lazy, on-demand access. *addr receives
 * used_length bytes in which absent pages read as zeros. Pages are NOT
 * verified when touched: call frc_reader_verify_page() on those you use,
 * or map with frc_reader_map_region_verified(). This one costs nothing
 * per page beyond the kernel's own page cache.
 * A compressed region cannot be mapped: FRC_E_UNSUPPORTED (read it with
 * frc_reader_read_region_parallel() instead).
 * Release with frc_reader_unmap_region() before frc_reader_free(). A region
 * of length 0 maps to NULL.
 */
FRC_API int frc_reader_map_region(frc_reader_t *r, uint32_t region,
				  const void **addr);
/* frc_reader_map_region_verified() flags. */
#define FRC_MAP_FILL 1u /* a thread installs every page ahead of touches */

/*
 * Maps a region read-only for lazy access with every page verified when
 * it is first touched (since libfrc 1.2.0; Linux userfaultfd). *addr
 * receives used_length bytes (the mapping rounds up to a host page; bytes
 * past used_length read as zeros). The first touch of a page stops the
 * touching thread while a handler thread reads that page and what follows
 * it (up to 64 KiB, or one page when larger) with frc_reader_read_pages():
 * checksum verified, for a compressed region frame checksum and decoding
 * first; absent pages get the kernel's zero page. Then the thread goes on.
 * A page that fails is never made visible: every access to it raises
 * SIGBUS (UFFDIO_POISON, Linux >= 6.6) or, where the kernel lacks that,
 * SIGSEGV (the page is made PROT_NONE); frc_reader_map_status() tells which
 * and gives the error. A program that must survive a damaged page catches
 * that signal; none hangs, none reads wrong bytes. With FRC_MAP_FILL a
 * second thread installs every page in order ahead of the touches.
 *
 * Costs: one handler thread per mapping (two with FRC_MAP_FILL), a
 * userfaultfd, and a round trip through it per first touch of a window
 * (tens of microseconds with the read); memory grows with the pages
 * touched, up to used_length. Works for compressed and uncompressed
 * regions alike. Without the right to handle kernel faults (not root and
 * vm.unprivileged_userfaultfd = 0) only user-mode touches are handled: a
 * system call given an address in the mapping that was never touched
 * fails with EFAULT. FRC_E_UNSUPPORTED when userfaultfd is not available
 * (use frc_reader_map_region() with frc_reader_verify_page(), or read the
 * region), FRC_E_INCOMPLETE for a region without a valid bitmap (salvage).
 * Release with frc_reader_unmap_region() (no thread may touch the mapping
 * then) before frc_reader_free(), which also releases any left.
 * A region of length 0 maps to NULL.
 */
FRC_API int frc_reader_map_region_verified(frc_reader_t *r, uint32_t region,
					   unsigned flags, const void **addr);

/* What a verified mapping did so far (frc_reader_map_status(); "ABI"). */
typedef struct frc_map_status {
	uint64_t units;      /* installable pieces of the mapping */
	uint64_t unit_bytes; /* bytes of one: max(page size, host page) */
	uint64_t loaded;     /* units installed (verified data or zeros) */
	uint64_t failed;     /* units blocked: a page in them failed */
	int fill_done;       /* FRC_MAP_FILL: the fill thread has finished */
	int poison;          /* 1: failed pages raise SIGBUS; 0: SIGSEGV */
	int error;           /* class of the first failure (FRC_E_*), or 0 */
	uint64_t error_page; /* its page index in the region */
	char message[512];   /* its message, naming file, offset and rule */
} frc_map_status_t;

/* Fills *st (st_size = sizeof(*st)) for the verified mapping at addr. */
FRC_API int frc_reader_map_status(frc_reader_t *r, const void *addr,
				  frc_map_status_t *st, size_t st_size);

/* Unmaps what frc_reader_map_region() or
 * frc_reader_map_region_verified() returned for `region`. */
FRC_API void frc_reader_unmap_region(frc_reader_t *r, uint32_t region,
				     const void *addr);

/*
 * Verifies `data` (page_size bytes) as the contents of page `page`: a
 * present page against its checksum, an absent page must be zero.
 * Thread-safe.
 */
FRC_API int frc_reader_verify_page(frc_reader_t *r, uint32_t region,
				   uint64_t page, const void *data);

/*
 * Says that the region's contents are also in another file: `fd` (kept
 * open by the caller), page i at byte offset + i * page_size, such as the
 * guest RAM file QEMU restored the region into, or a raw image of it. From
 * then on frc_reader_verify(), frc_reader_verify_all(),
 * frc_reader_read_pages(), frc_reader_read_region() and
 * frc_reader_read_region_parallel() read the region from there instead of
 * from its page area and verify it: present pages against their checksums,
 * and absent pages must read as zeros [checksum-mismatch]. fd -1 reverts to
 * the page area.
 */
FRC_API int frc_reader_set_source(frc_reader_t *r, uint32_t region, int fd,
				  uint64_t offset);

/*
 * Verifies the whole file (SPEC "Order of checks"): every checksum table, every present
 * page, every absent page's checksum entry, every section. Stops at the first
 * problem. `progress` counts bytes read and may be NULL.
 */
FRC_API int frc_reader_verify(frc_reader_t *r, frc_progress_fn progress,
			      void *ctx);

/* One problem found by frc_reader_verify_all(). */
typedef struct frc_problem {
	size_t size;         /* bytes of this struct the library filled */
	int code;            /* FRC_E_* error class */
	int64_t region;      /* region index, or -1 */
	int64_t page;        /* page index, or -1 (whole region or section) */
	int64_t section;     /* section index, or -1 */
	uint64_t offset;     /* byte offset in the file */
	const char *message; /* as frc_reader_errmsg(); valid during the call */
} frc_problem_t;

/*
 * Called once per problem, from the thread that called
 * frc_reader_verify_all(); `problem` is valid during the call only. Return
 * 0 to go on verifying, anything else to stop.
 */
typedef int (*frc_problem_fn)(void *ctx, const frc_problem_t *problem);

/*
 * Like frc_reader_verify(), but goes on after a problem: every damaged page,
 * checksum table, unverifiable region and section is passed to on_problem
 * (which may be NULL), and their number stored in *problems (may be NULL).
 * Returns FRC_OK when nothing was found, else the class of the first problem,
 * or the code of an error that ended the pass (I/O, canceled).
 */
FRC_API int frc_reader_verify_all(frc_reader_t *r, frc_problem_fn on_problem,
				  void *problem_ctx, frc_progress_fn progress,
				  void *ctx, uint64_t *problems);

/* Number of sections of the open file (0 when none is open). Thread-safe. */
FRC_API uint32_t frc_reader_section_count(const frc_reader_t *r);
/* Fills *info (info_size = sizeof(*info)) for section `section`. Thread-safe. */
FRC_API int frc_reader_section(const frc_reader_t *r, uint32_t section,
			       frc_section_info_t *info, size_t info_size);
/* Reads a whole section into buf (buf_size >= length), checksum verified. */
FRC_API int frc_reader_read_section(frc_reader_t *r, uint32_t section,
				    void *buf, uint64_t buf_size);

/*
 * Data callback of frc_reader_read_section_stream(): `len` bytes of the
 * section starting at `offset` within it. Return 0 to go on, anything else
 * to stop with FRC_E_CANCELED.
 */
typedef int (*frc_data_fn)(void *ctx, const void *data, size_t len,
			   uint64_t offset);

/*
 * Passes a section to `fn` in order, in pieces of at most 1 MiB, so a
 * section of any length needs 1 MiB of memory. The checksum is verified at
 * the end: FRC_E_CHECKSUM means the bytes already passed on are not the
 * section's, and the consumer must discard what it made of them.
 */
FRC_API int frc_reader_read_section_stream(frc_reader_t *r, uint32_t section,
					   frc_data_fn fn, void *ctx);

/*
 * The first run of present pages at or after page `from`: *first and
 * *count (0 when no page from `from` on is present; *first is then
 * page_count). Visiting every run costs time in proportion to the present
 * pages and the bitmap chunks that hold them, not to the region's claimed
 * size. Thread-safe.
 */
FRC_API int frc_reader_next_run(const frc_reader_t *r, uint32_t region,
				uint64_t from, uint64_t *first, uint64_t *count);

/*
 * SPEC R-W-ABSENT-ZEROS: counts the absent pages of a region whose slots
 * do not read as zeros (a writer MUST leave them zero; a reader never depends on it, so
 * this is a writer defect, not damage to the data). Reads only allocated
 * extents of the page area. *first_page (may be NULL) receives the first
 * such page, or UINT64_MAX.
 */
FRC_API int frc_reader_absent_data(frc_reader_t *r, uint32_t region,
				   uint64_t *pages, uint64_t *first_page);

/*
 * Key/value pairs of the metadata section, in file order: how many, and
 * item `item` (key and value may each be NULL). The strings belong to the
 * handle. Thread-safe.
 */
FRC_API uint32_t frc_reader_metadata_count(const frc_reader_t *r);
FRC_API int frc_reader_metadata_item(const frc_reader_t *r, uint32_t item,
				     const char **key, const char **value);
/* The value of `key` (first occurrence), or NULL. Thread-safe. */
FRC_API const char *frc_reader_metadata_get(const frc_reader_t *r,
					    const char *key);

/*
 * Where every structure of the open file lies, as the reader found them
 * (SPEC "File layout"): one extent per structure, sorted by offset (ties:
 * in the order of enum frc_extent_kind). Structures of length 0 are not
 * listed. A layout dump is these extents; nothing needs to re-derive them.
 */
enum frc_extent_kind {
	FRC_EXTENT_SIGNATURE = 1,
	FRC_EXTENT_SUPERBLOCK = 2,     /* index 0: copy A, 1: copy B */
	FRC_EXTENT_FEATURE_TABLE = 3,
	FRC_EXTENT_REGION_TABLE = 4,
	FRC_EXTENT_SECTION_TABLE = 5,
	FRC_EXTENT_BITMAP = 6,         /* index: region */
	FRC_EXTENT_CHECKSUM_TABLE = 7, /* index: region */
	FRC_EXTENT_PAGE_AREA = 8,      /* index: region */
	FRC_EXTENT_SECTION = 9,        /* index: section */
	FRC_EXTENT_FRAME_TABLE = 10,   /* index: region (format 1.2) */
	FRC_EXTENT_BASE_MAP = 11       /* index: region (format 1.3) */
};

typedef struct frc_extent {
	enum frc_extent_kind kind;
	const char *kind_name; /* "signature", "superblock", "bitmap", ... */
	uint32_t index;        /* as the kind says; 0 otherwise */
	uint64_t offset, length;
} frc_extent_t;

/* Number of extents of the open file (0 when none is open). Thread-safe. */
FRC_API uint32_t frc_reader_layout_count(const frc_reader_t *r);
/*
 * Fills *extent (extent_size = sizeof(*extent)) with extent `index`
 * (0 .. frc_reader_layout_count() - 1). Thread-safe.
 */
FRC_API int frc_reader_layout(const frc_reader_t *r, uint32_t index,
			      frc_extent_t *extent, size_t extent_size);

/* ---- Content identity and signatures (format 1.3) ---------------- */

/*
 * The content root of the open file (SPEC "Content identity and
 * signatures"): 32 bytes that commit to every page, the region layout and
 * every section but digests and signatures, checked against the region
 * table and the digest section when the file was opened. FRC_E_NOT_FOUND
 * when the file has no content digests. In a file that has them, every
 * page a call of this reader verifies (reads, mappings, verification) is
 * also checked against its SHA-256 leaf, through the tree's groups up to
 * the root, and every section against its digest: a mismatch is
 * FRC_E_DIGEST, even where every XXH3 checksum matches. Since libfrc
 * 1.3.0. Thread-safe.
 */
FRC_API int frc_reader_content_root(const frc_reader_t *r,
				    uint8_t root[FRC_ROOT_SIZE]);

/* A signature section (frc_reader_signature(); see "ABI" above). */
typedef struct frc_signature_info {
	uint32_t section;   /* its section index */
	uint32_t algorithm; /* 1: Ed25519; others are kept, never verified */
	uint8_t public_key[FRC_KEY_SIZE];
	uint8_t root[FRC_ROOT_SIZE]; /* the root it signs */
} frc_signature_info_t;

/* Number of signature sections of the open file. Thread-safe. */
FRC_API uint32_t frc_reader_signature_count(const frc_reader_t *r);
/* Fills *info (info_size = sizeof(*info)) for signature `index`. */
FRC_API int frc_reader_signature(const frc_reader_t *r, uint32_t index,
				 frc_signature_info_t *info,
				 size_t info_size);

/*
 * SPEC R-SG-VERIFY, first half: FRC_OK when a signature section by the
 * Ed25519 public key `key` signs the file's content root and its signature
 * verifies; FRC_E_SIGNATURE when none does (no signature by the key, one
 * over another root, or a forged one: the message says which). The second
 * half is the caller's: frc_reader_verify() then checks every page and
 * section against that root. Costs no page read: microseconds.
 */
FRC_API int frc_reader_check_signature(frc_reader_t *r,
				       const uint8_t key[FRC_KEY_SIZE]);

/*
 * Signs the open file in place with the Ed25519 private key `secret` (its
 * 32-byte seed, RFC 8032): a signature section over the content root is
 * added as a commit (SPEC "Signature section"): the section and a new
 * section table after the file's end, flushed, then the superblock copies
 * one after the other, each flushed, so that a crash at any point leaves
 * the file as it was or signed. The file must be complete, have content
 * digests and be unchanged since it was opened (FRC_E_MISUSE otherwise);
 * sign only what you verified (frc_reader_verify()). The public key is
 * stored in public_key (may be NULL). The handle keeps describing the file
 * as opened: open it again to see the signature. Since libfrc 1.3.0.
 */
FRC_API int frc_reader_sign(frc_reader_t *r,
			    const uint8_t secret[FRC_KEY_SIZE],
			    uint8_t public_key[FRC_KEY_SIZE]);

/* ---- Snapshots on a base (format 1.3) ---------------------------- */

/*
 * Before frc_reader_open(): one more directory where the base of the file
 * (and of its bases) is looked for (SPEC R-BS-RESOLVE): after the file its
 * base section's hint names, the file of the hint's name in each such
 * directory, then every *.frc in it, by name. The base is the first whose
 * content root is the one the file names. Any number of calls. Since
 * libfrc 1.3.0.
 *
 * A file with a base is opened with its whole chain (at most FRC_CHAIN_MAX
 * bases): frc_reader_open() then fails with FRC_E_BASE_MISSING,
 * FRC_E_BASE_MISMATCH, FRC_E_CHAIN_CYCLE or FRC_E_CHAIN_DEPTH, or a base's
 * own error naming it. Every read returns the chain's pages, a page from
 * the base checked against this file's SHA-256 leaf; frc_reader_next_run()
 * and frc_reader_page_present() count such pages as holding data;
 * frc_reader_map_region() refuses a region with them (FRC_E_UNSUPPORTED).
 */
FRC_API int frc_reader_add_base_dir(frc_reader_t *r, const char *dir);

/* The base of an open file (frc_reader_base(); see "ABI" above). */
typedef struct frc_base_info {
	uint8_t root[FRC_ROOT_SIZE]; /* its content root */
	const char *path;            /* the file used as the base */
	uint32_t depth;              /* bases below this file, 1 to 16 */
} frc_base_info_t;

/* Fills *info for the file's base; FRC_E_NOT_FOUND when it has none. */
FRC_API int frc_reader_base(const frc_reader_t *r, frc_base_info_t *info,
			    size_t info_size);

/*
 * Makes the file being written a snapshot on the base at `path` (SPEC
 * "Snapshots on a base"), which must have content digests and the same
 * regions (ids, page sizes, lengths, order) and a chain of at most
 * FRC_CHAIN_MAX - 1 bases. A present page whose SHA-256 leaf equals the
 * base's is then stored as unchanged from the base (nothing written, its
 * slot a hole); content digests are recorded (as if opts->digest). `hint`
 * (NULL: the base's path relative to this file's directory) goes into the
 * base section for readers to find it. After the regions are added,
 * before the first page or section. The base's leaves are held in memory
 * (32 bytes a page) until the writer is freed. Since libfrc 1.3.0.
 */
FRC_API int frc_writer_set_base(frc_writer_t *w, const char *path,
				const char *hint);

/*
 * Frees the handle and everything it owns (unmap mapped regions first).
 * Accepts NULL.
 */
FRC_API void frc_reader_free(frc_reader_t *r);

/*
 * The message of the calling thread's last failed call on `r` (see
 * "Errors" above), or "" if that thread's last failure was on another
 * handle or there was none. Never NULL.
 */
FRC_API const char *frc_reader_errmsg(const frc_reader_t *r);

#ifdef __cplusplus
}
#endif

#endif /* FRC_H */
