/*
 * frc_tool.h - shared helpers of the frc command's subcommands. The tools
 * use only the public API of include/frc.h.
 */
#ifndef FRC_TOOL_H
#define FRC_TOOL_H

#include <stdint.h>
#include <stdio.h>

#include "frc.h"

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
};

int cmd_create(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_conform(int argc, char **argv);
int cmd_digest(int argc, char **argv);

/* "frc: " + message on stderr. */
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
};
void tool_progress_init(struct tool_progress *p, int mode, const char *label);
int tool_progress_cb(void *ctx, uint64_t done, uint64_t total);
void tool_progress_done(struct tool_progress *p);
/* Prints the class, e.g. "checksum-mismatch", of a library error code. */
int tool_check_exit_code(int rc);

#endif /* FRC_TOOL_H */
