/*
 * frc.c - the frc command: dispatch to subcommands, and shared helpers.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "frc_tool.h"

static const struct {
	const char *name;
	int (*fn)(int, char **);
	const char *summary;
} commands[] = {
	{ "create", cmd_create, "build a container from raw memory images" },
	{ "info", cmd_info, "show what a container holds" },
	{ "check", cmd_check, "verify every checksum and structural rule" },
	{ "conform", cmd_conform, "run an implementation against the test "
				  "vectors" },
	{ "digest", cmd_digest, "print the SHA-256 of every region and "
				"section" },
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

void tool_err(const char *fmt, ...)
{
	va_list ap;

	fputs("frc: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int tool_parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	unsigned shift = 0;

	if (!s || !*s || *s == '-')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s)
		return -1;
	switch (*end) {
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	case 't': case 'T': shift = 40; end++; break;
	default: break;
	}
	if (*end == 'i' && shift)
		end++;
	if (*end == 'B' || *end == 'b')
		end++;
	if (*end || (shift && v > (UINT64_MAX >> shift)))
		return -1;
	*out = (uint64_t)v << shift;
	return 0;
}

const char *tool_human_size(uint64_t n, char *buf, size_t size)
{
	static const char *units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
	double v = (double)n;
	int u = 0;

	while (v >= 1024 && u < 5) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, size, "%llu B", (unsigned long long)n);
	else
		snprintf(buf, size, "%.1f %s", v, units[u]);
	return buf;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void tool_progress_init(struct tool_progress *p, int mode, const char *label)
{
	p->enabled = mode > 0 || (mode < 0 && isatty(STDERR_FILENO));
	p->label = label;
	p->start = now_s();
	p->last = 0;
}

int tool_progress_cb(void *ctx, uint64_t done, uint64_t total)
{
	struct tool_progress *p = ctx;
	double t = now_s(), rate;
	char a[32], b[32], c[32];

	if (!p->enabled || (t - p->last < 0.25 && done < total))
		return 0;
	p->last = t;
	rate = t > p->start ? (double)done / (t - p->start) : 0;
	fprintf(stderr, "\r%s: %5.1f%% %s / %s  %s/s  ETA %.0fs   ", p->label,
		total ? 100.0 * (double)done / (double)total : 100.0,
		tool_human_size(done, a, sizeof(a)),
		tool_human_size(total, b, sizeof(b)),
		tool_human_size((uint64_t)rate, c, sizeof(c)),
		rate > 0 ? (double)(total - done) / rate : 0.0);
	return 0;
}

void tool_progress_done(struct tool_progress *p)
{
	if (p->enabled)
		fputc('\n', stderr);
}

int tool_check_exit_code(int rc)
{
	switch (rc) {
	case FRC_OK:
		return EXIT_CHECK_OK;
	case FRC_E_INCOMPLETE:
		return EXIT_CHECK_INCOMPLETE;
	case FRC_E_UNSUPPORTED_VERSION:
	case FRC_E_UNSUPPORTED_FEATURE:
		return EXIT_CHECK_UNSUPPORTED;
	default:
		return rc < FRC_ERROR_CLASS_LIMIT ? EXIT_CHECK_CORRUPT
						  : EXIT_CHECK_FAILED;
	}
}

static void usage(FILE *f)
{
	fprintf(f, "usage: frc COMMAND [OPTIONS] ...\n\n"
		   "Fixed-RAM Container (FRC) tool, libfrc %s, format %d.%d\n\n"
		   "commands:\n",
		frc_version_string(), FRC_FORMAT_VERSION_MAJOR,
		FRC_FORMAT_VERSION_MINOR);
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-8s %s\n", commands[i].name,
			commands[i].summary);
	fprintf(f, "\n'frc COMMAND --help' describes a command.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 1;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("frc (libfrc) %s, format %d.%d\n", frc_version_string(),
		       FRC_FORMAT_VERSION_MAJOR, FRC_FORMAT_VERSION_MINOR);
		return 0;
	}
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	tool_err("unknown command '%s' (see 'frc --help')", argv[1]);
	return 1;
}
