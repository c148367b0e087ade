/*
 * common.c - helpers shared by the frc subcommands: messages, sizes,
 * progress, opening files, section type names, runs of pages.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tool.h"
#include "outfile.h"

const char *tool_esc(const char *s)
{
	static char bufs[4][1200];
	static int k;
	char *out = bufs[k = (k + 1) % 4];
	size_t n = 0;

	for (const unsigned char *p = (const unsigned char *)s;
	     *p && n + 5 < sizeof(bufs[0]); p++) {
		if (*p < 0x20 || *p == 0x7f)
			n += (size_t)snprintf(out + n, 5, "\\x%02x", *p);
		else
			out[n++] = (char)*p;
	}
	out[n] = '\0';
	return out;
}

void tool_err(const char *fmt, ...)
{
	char msg[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "frc: %s\n", tool_esc(msg));
}

int tool_parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	unsigned shift = 0;

	/* digits first: no sign, no blank (strtoull would skip them) */
	if (!s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	/* Decimal, or hexadecimal with 0x: a leading 0 is not octal. */
	v = strtoull(s, &end, (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) ? 16
									   : 10);
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
	p->drawn = 0;
}

/* "label [#######.......]  45.2%  1.2 GiB / 2.6 GiB  450.0 MiB/s  ETA 3s" */
int tool_progress_cb(void *ctx, uint64_t done, uint64_t total)
{
	struct tool_progress *p = ctx;
	double t = now_s(), rate, frac;
	char a[32], b[32], c[32], bar[31];
	int fill;

	if (!p->enabled || (t - p->last < 0.2 && done < total))
		return 0;
	p->last = t;
	p->drawn = 1;
	frac = total ? (double)done / (double)total : 1.0;
	if (frac > 1)
		frac = 1;
	fill = (int)(frac * 30);
	for (int i = 0; i < 30; i++)
		bar[i] = i < fill ? '#' : '.';
	bar[30] = '\0';
	rate = t > p->start ? (double)done / (t - p->start) : 0;
	fprintf(stderr, "\r%s [%s] %5.1f%%  %s / %s  %s/s  ETA %.0fs  ",
		p->label, bar, 100.0 * frac,
		tool_human_size(done, a, sizeof(a)),
		tool_human_size(total, b, sizeof(b)),
		tool_human_size((uint64_t)rate, c, sizeof(c)),
		rate > 0 && done < total ? (double)(total - done) / rate : 0.0);
	return 0;
}

void tool_progress_done(struct tool_progress *p)
{
	if (p->enabled && p->drawn)
		fputc('\n', stderr);
}

void tool_opts_init(struct tool_opts *t)
{
	t->quiet = 0;
	t->progress = -1;
	t->format = OUT_HUMAN;
	t->salvage = 0;
}

int tool_common_opt(int c, const char *arg, struct tool_opts *t,
		    const char *usage)
{
	switch (c) {
	case 'O':
		if (out_parse_format(arg, &t->format)) {
			tool_err("--output must be human, json or yaml, not '%s'",
				 arg);
			return -1;
		}
		return 1;
	case 'p':
		t->progress = 1;
		return 1;
	case 'q':
		t->quiet = 1;
		t->progress = 0;
		return 1;
	case 'S':
		t->salvage = 1;
		return 1;
	case 'h':
		fputs(usage, stdout);
		exit(0);
	default:
		return 0;
	}
}

int tool_base_dirs(frc_reader_t *r)
{
	const char *p = getenv("FRC_BASE_PATH");

	while (p && *p) {
		const char *colon = strchr(p, ':');
		size_t n = colon ? (size_t)(colon - p) : strlen(p);
		char dir[4096];

		if (n && n < sizeof(dir)) {
			memcpy(dir, p, n);
			dir[n] = 0;
			if (frc_reader_add_base_dir(r, dir))
				return FRC_E_NOMEM;
		}
		p += n + (colon != NULL);
	}
	return FRC_OK;
}

int tool_open(frc_reader_t **r, const char *path, unsigned flags, int quiet)
{
	int rc;

	*r = frc_reader_new();
	if (!*r) {
		tool_err("out of memory");
		return FRC_E_NOMEM;
	}
	rc = tool_base_dirs(*r);
	if (rc == FRC_OK)
		rc = frc_reader_open(*r, path, flags);
	if (rc && !quiet)
		tool_err("%s", frc_reader_errmsg(*r));
	return rc;
}

int tool_find_region(const frc_reader_t *r, const char *name,
		     uint32_t *region)
{
	char *end;

	if (name[0] == '#' && name[1] >= '0' && name[1] <= '9') {
		unsigned long long v;

		errno = 0;
		v = strtoull(name + 1, &end, 10);
		if (*end || errno || v >= frc_reader_region_count(r))
			return -1;
		*region = (uint32_t)v;
		return 0;
	}
	return frc_reader_find_region(r, name, region) ? -1 : 0;
}

const char *tool_section_type_name(uint32_t type)
{
	switch (type) {
	case FRC_SECTION_DEVICE_STATE: return "device-state";
	case FRC_SECTION_METADATA: return "metadata";
	case FRC_SECTION_DIGESTS: return "digests";
	case FRC_SECTION_SIGNATURE: return "signature";
	case FRC_SECTION_BASE: return "base";
	case FRC_SECTION_QEMU: return "qemu-migration";
	default: return "unknown";
	}
}

void tool_hex(const uint8_t *p, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hex[p[i] >> 4];
		out[2 * i + 1] = hex[p[i] & 15];
	}
	out[2 * n] = 0;
}

void tool_format_uuid(const uint8_t u[16], char out[37])
{
	static const char hex[] = "0123456789abcdef";
	int k = 0;

	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[k++] = '-';
		out[k++] = hex[u[i] >> 4];
		out[k++] = hex[u[i] & 15];
	}
	out[k] = '\0';
}

const char *tool_format_time(uint64_t ns, char *buf, size_t size)
{
	time_t s = (time_t)(ns / 1000000000u);
	struct tm tm;
	char base[32];

	if (ns == 0 || !gmtime_r(&s, &tm))
		return NULL;
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, size, "%s.%09uZ", base, (unsigned)(ns % 1000000000u));
	return buf;
}

int tool_warnings(frc_reader_t *r, const char *path, char w[][400], int max)
{
	char first[300];
	frc_info_t in;
	int n = 0, k;

	frc_reader_get_info(r, &in, sizeof(in));
	/* SPEC "Choosing the current copy": a committed file has both copies; a
	 * missing one is
	 * damage too, survived through the other copy. */
	if (in.header_length && n < max &&
	    (in.other_slot < 0 || (in.other_slot == 0 && in.complete)))
		snprintf(w[n++], 400, "%s: offset 0x%x: superblock copy %c is "
			 "%s (%s); copy %c was used", path,
			 in.slot_used ? 0x1000 : 0x2000,
			 in.slot_used ? 'A' : 'B',
			 in.other_slot < 0 ? "damaged" : "missing (all zero)",
			 in.other_slot < 0 ? frc_error_name(in.other_slot_error)
					   : "bad-field",
			 in.slot_used ? 'B' : 'A');
	k = outfile_stale_temps(path, first, sizeof(first));
	if (k && n < max)
		snprintf(w[n++], 400, "%s: '%s'%s is the temporary file of an "
			 "interrupted save (remove it when no save is running)",
			 path, first, k > 1 ? " (and more)" : "");
	return n;
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

int runs_add(struct runs *r, uint64_t i)
{
	r->pages++;
	if (r->n && r->v[r->n - 1][0] + r->v[r->n - 1][1] == i) {
		r->v[r->n - 1][1]++;
		return 0;
	}
	if (r->n == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 64;
		uint64_t (*grown)[2] = realloc(r->v, cap * sizeof(*grown));

		if (!grown)
			return -1;
		r->v = grown;
		r->cap = cap;
	}
	r->v[r->n][0] = i;
	r->v[r->n][1] = 1;
	r->n++;
	return 0;
}

int runs_add_run(struct runs *r, uint64_t first, uint64_t count)
{
	if (!count)
		return 0;
	if (runs_add(r, first))
		return -1;
	r->v[r->n - 1][1] += count - 1;
	r->pages += count - 1;
	return 0;
}

void runs_free(struct runs *r)
{
	free(r->v);
	memset(r, 0, sizeof(*r));
}

const char *runs_format(const struct runs *r, size_t max, char *buf,
			size_t size)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < r->n && used < size; i++) {
		int n;

		if (i == max) {
			snprintf(buf + used, size - used, ", ... (%zu more runs)",
				 r->n - i);
			break;
		}
		if (r->v[i][1] == 1)
			n = snprintf(buf + used, size - used, "%s%llu",
				     i ? ", " : "",
				     (unsigned long long)r->v[i][0]);
		else
			n = snprintf(buf + used, size - used, "%s%llu-%llu",
				     i ? ", " : "",
				     (unsigned long long)r->v[i][0],
				     (unsigned long long)(r->v[i][0] +
							  r->v[i][1] - 1));
		if (n < 0)
			break;
		used += (size_t)n;
	}
	return buf;
}

void runs_emit(struct out *o, const char *key, const struct runs *r)
{
	out_list(o, key);
	for (size_t i = 0; i < r->n; i++) {
		out_map(o, NULL);
		out_uint(o, "first", r->v[i][0]);
		out_uint(o, "count", r->v[i][1]);
		out_end(o);
	}
	out_end(o);
}

int tool_safe_name(const char *name, char *out, size_t size)
{
	size_t k = 0, max = size - 1 < 200 ? size - 1 : 200;

	for (const unsigned char *p = (const unsigned char *)name;
	     *p && k < max; p++) {
		int ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			 (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' ||
			 *p == '+' || *p == '-';

		char c = ok && !(k == 0 && *p == '.') ? (char)*p : '_';

		out[k++] = c;
	}
	if (k == 0)
		out[k++] = '_';
	out[k] = '\0';
	return strcmp(out, name) != 0;
}

int tool_compress_opt(int c, const char *arg, struct tool_compress *z)
{
	char *end;
	long v;

	if (c == 'Z') {
		z->on = 1;
		z->level = 3;
		if (arg) {
			v = strtol(arg, &end, 10);
			if (*end || end == arg || v < -99 || v > 22 || v == 0) {
				tool_err("--compress=%s: a Zstandard level from "
					 "1 to 22 (or negative for the fast "
					 "levels)", arg);
				return -1;
			}
			z->level = (int)v;
		}
		return 0;
	}
	if (c == 'F') {
		if (tool_parse_size(arg, &z->frame_bytes) ||
		    !z->frame_bytes || (z->frame_bytes & (z->frame_bytes - 1)) ||
		    z->frame_bytes > (16u << 20)) {
			tool_err("--frame=%s: a power of two up to 16M", arg);
			return -1;
		}
		return 0;
	}
	if (c == 'B') {
		z->base = arg;
		return 0;
	}
	if (c == 'G') {
		uint32_t d;

		if (tool_digest_opt(arg, &d))
			return -1;
		z->digest = d != FRC_DIGEST_NONE;
		return 0;
	}
	return -1;
}

int tool_digest_opt(const char *arg, uint32_t *digest)
{
	if (arg && strcmp(arg, "sha256") != 0 && strcmp(arg, "none") != 0) {
		tool_err("--digest=%s: sha256 or none", arg);
		return -1;
	}
	*digest = arg && !strcmp(arg, "none") ? FRC_DIGEST_NONE
					      : FRC_DIGEST_SHA256;
	return 0;
}

int tool_set_base(frc_writer_t *w, const struct tool_compress *z)
{
	if (!z->base || frc_writer_set_base(w, z->base, NULL) == FRC_OK)
		return 0;
	tool_err("--base=%s: %s", z->base, frc_writer_errmsg(w));
	return -1;
}

int tool_set_compression(frc_writer_t *w, uint32_t region,
			 const struct tool_compress *z)
{
	uint32_t ps = frc_writer_page_size(w, region), pages = 0;

	if (!z->on)
		return 0;
	if (z->frame_bytes)
		pages = z->frame_bytes < ps ? 1 : (uint32_t)(z->frame_bytes / ps);
	if (frc_writer_set_compression(w, region, FRC_COMPRESSION_ZSTD,
				       z->level, pages)) {
		tool_err("%s", frc_writer_errmsg(w));
		return -1;
	}
	return 0;
}

/*
 * A region id or section name as one file name, reversibly: '/', '%',
 * control bytes and a leading '.' or '#' become %XX; everything else,
 * UTF-8 included, stays. 0, or -1 when that is over 255 bytes.
 */
int tool_mount_name(const char *s, size_t len, char out[256])
{
	size_t k = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		int esc = c == '/' || c == '%' || c < 0x20 || c == 0x7f ||
			  (i == 0 && (c == '.' || c == '#'));

		if (k + (esc ? 3 : 1) > 255)
			return -1;
		if (esc)
			k += (size_t)snprintf(out + k, 4, "%%%02X", c);
		else
			out[k++] = (char)c;
	}
	out[k] = '\0';
	return 0;
}
