/*
 * tool.h - what every command of the frc tool shares (tools/common:
 * messages, options, opening files, progress, the output policy, JSON and
 * YAML reports, the relay thread), under both tools/frc (the container
 * commands) and tools/qemu (the QEMU and libvirt commands), which depend
 * on it and never on each other's files but for the dispatch in
 * tools/frc/frc.c. The tools use only the public API of include/frc.h.
 */
#ifndef FRC_TOOL_COMMON_H
#define FRC_TOOL_COMMON_H

#include <stdint.h>
#include <stdio.h>

#include "frc.h"
#include "output.h"

/* Exit codes of `frc check` (as qemu-img check). */
enum {
	EXIT_CHECK_OK = 0,
	EXIT_CHECK_FAILED = 1,
	EXIT_CHECK_CORRUPT = 2,
	EXIT_CHECK_INCOMPLETE = 3,
	EXIT_CHECK_UNSUPPORTED = 63
};

struct tool_opts {
	int quiet;
	int progress; /* -1 auto (stderr is a terminal), 0 off, 1 on */
	enum out_format format;
	int salvage;
};

/* Long options every reporting command shares; see tool_common_opt(). */
#define TOOL_COMMON_LONGOPTS                                    \
	{ "output", required_argument, NULL, 'O' },             \
	{ "progress", no_argument, NULL, 'p' },                  \
	{ "quiet", no_argument, NULL, 'q' },                     \
	{ "salvage", no_argument, NULL, 'S' },                   \
	{ "help", no_argument, NULL, 'h' }
#define TOOL_COMMON_SHORTOPTS "pqh"

/*
 * Handles one of the common options: returns 1 if it was one (and applied
 * it), 0 if not, -1 on a bad value (message printed). 'h' prints `usage`
 * and exits 0.
 */
int tool_common_opt(int c, const char *arg, struct tool_opts *t,
		    const char *usage);
void tool_opts_init(struct tool_opts *t);

/*
 * --compress[=LEVEL] and --frame=SIZE of the commands that write FRC
 * (create, import-qemu, convert): compression asked for, Zstandard level
 * (default 3), frame size in bytes (0: libfrc's default, 64 KiB).
 */
/* --digest[=sha256|none]: the content identity of format 1.3. */
#define TOOL_DIGEST_LONGOPT { "digest", optional_argument, NULL, 'G' }
#define TOOL_DIGEST_HELP                                                 \
	"      --digest[=sha256]      record the content identity (format\n" \
	"                             1.3: SHA-256 of every page, sections\n" \
	"                             and layout, one root; frc sign signs it)\n"
/* Handles 'G' into *digest (FRC_DIGEST_*): 0, or -1 after a message. */
int tool_digest_opt(const char *arg, uint32_t *digest);

/* How a writing command stores its output: compression, and whether it
 * records the content identity (format 1.3). */
struct tool_compress {
	int on;
	int level;
	uint64_t frame_bytes;
	int digest; /* 1 --digest, 0 --digest=none or not given, -1 not
		       given where the default is "as the input" */
	const char *base; /* --base=FILE: a snapshot on that file (1.3) */
};
#define TOOL_COMPRESS_LONGOPTS                                  \
	{ "compress", optional_argument, NULL, 'Z' },            \
	{ "frame", required_argument, NULL, 'F' },               \
	{ "base", required_argument, NULL, 'B' },                \
	TOOL_DIGEST_LONGOPT
#define TOOL_BASE_HELP                                                   \
	"      --base=FILE            write only the pages that differ from\n" \
	"                             FILE's (format 1.3; implies --digest)\n"
/* Handles 'Z', 'F', 'G' and 'B' (0), else -1 after a message naming the
 * option. */
int tool_compress_opt(int c, const char *arg, struct tool_compress *z);
/* Once the regions are declared: the base of --base, if any; 0 or -1. */
int tool_set_base(frc_writer_t *w, const struct tool_compress *z);
/* Applies it to region `region` of w (a no-op when off); 0 or -1. */
int tool_set_compression(frc_writer_t *w, uint32_t region,
			 const struct tool_compress *z);


/* The directories of FRC_BASE_PATH (colon-separated) as places where
 * the bases of a file are looked for (format 1.3). */
int tool_base_dirs(frc_reader_t *r);
/* Opens a reader, printing "frc: MESSAGE" on failure (unless quiet);
 * bases are also looked for in FRC_BASE_PATH. */
int tool_open(frc_reader_t **r, const char *path, unsigned flags, int quiet);
/* A region named by its id, or as #N for region number N; 0 or -1. */
int tool_find_region(const frc_reader_t *r, const char *name,
		     uint32_t *region);
/* "device-state", "metadata", ... for a section type. */
const char *tool_section_type_name(uint32_t type);
void tool_format_uuid(const uint8_t u[16], char out[37]);
/* n bytes as 2n lowercase hex digits and a NUL into out. */
void tool_hex(const uint8_t *p, size_t n, char *out);
/* ISO 8601 UTC with nanoseconds, or NULL for 0 ("not recorded"). */
const char *tool_format_time(uint64_t ns, char *buf, size_t size);

/* Runs of page indices: [first, first + count). */
struct runs {
	uint64_t (*v)[2];
	size_t n, cap;
	uint64_t pages; /* total pages in all runs */
};
/* Adds page i (in increasing order); returns -1 when out of memory. */
int runs_add(struct runs *r, uint64_t i);
/* Adds the run [first, first + count) (after every run so far). */
int runs_add_run(struct runs *r, uint64_t first, uint64_t count);
void runs_free(struct runs *r);
/* "0-3, 7, 9-12" into buf, at most `max` runs then "... (N more)". */
const char *runs_format(const struct runs *r, size_t max, char *buf,
			size_t size);
void runs_emit(struct out *o, const char *key, const struct runs *r);

/*
 * A file name for a region id or section name that cannot escape a
 * directory: bytes outside [A-Za-z0-9._+-] become '_', a leading '.'
 * becomes '_', at most 200 bytes, never empty. Returns 1 when the name had
 * to change.
 */
int tool_safe_name(const char *name, char *out, size_t size);
/* The file name `frc mount` gives an id of `len` bytes (frc-mount(1)):
 * '/', '%', control bytes and a leading '.' or '#' as %XX. 0, or -1 when
 * over 255 bytes. */
int tool_mount_name(const char *s, size_t len, char out[256]);


/*
 * s with control characters shown as \xNN, for human output of ids and
 * names taken from files (4 rotating static buffers).
 */
const char *tool_esc(const char *s);
/* "frc: " + message on stderr (control characters escaped). */
void tool_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Parses "4096", "64K", "2M", "1G"; returns 0 on success. */
int tool_parse_size(const char *s, uint64_t *out);
/* Human-readable byte count ("1.5 GiB") into buf. */
const char *tool_human_size(uint64_t n, char *buf, size_t size);
/* Progress meter on stderr: bytes, rate, ETA. */
struct tool_progress {
	int enabled;
	const char *label;
	double start, last;
	int drawn;
};
void tool_progress_init(struct tool_progress *p, int mode, const char *label);
int tool_progress_cb(void *ctx, uint64_t done, uint64_t total);
void tool_progress_done(struct tool_progress *p);
/*
 * Warnings about a file that opened: a damaged or missing superblock copy
 * (with its offset), temporary files of an interrupted save beside it. At
 * most `max` into w; returns how many.
 */
int tool_warnings(frc_reader_t *r, const char *path, char w[][400], int max);


/* The exit status of `frc check` for a library code (EXIT_CHECK_*). */
int tool_check_exit_code(int rc);

#endif /* FRC_TOOL_COMMON_H */
