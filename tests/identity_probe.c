/*
 * identity_probe.c - measurements for `make bench-identity`
 * (tools/helpers/identity_bench.sh), printed as KEY=VALUE lines:
 *
 *   identity_probe sig FILE KEYHEX N    open FILE and check its signature
 *       by KEYHEX (64 hex digits) N times: sig_us_median, sig_us_max
 *   identity_probe page WITH WITHOUT    bytes read to check one page of
 *       region 0 (first, middle, last) in WITH (content digests) beyond
 *       what the same read costs in WITHOUT (the same content, none):
 *       digest_bytes_first, _middle, _last (from /proc/self/io rchar)
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "frc.h"

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t rchar(void)
{
	FILE *f = fopen("/proc/self/io", "r");
	char line[128];
	uint64_t v = 0;

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "rchar: %" SCNu64, &v) == 1)
			break;
	if (f)
		fclose(f);
	return v;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int sig(const char *path, const char *hex, int n)
{
	uint8_t key[FRC_KEY_SIZE];
	uint64_t *t = calloc((size_t)n, sizeof(*t));

	if (!t || strlen(hex) != 64)
		return 2;
	for (int i = 0; i < 32; i++) {
		unsigned v;

		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			return 2;
		key[i] = (uint8_t)v;
	}
	for (int i = 0; i < n; i++) {
		frc_reader_t *r = frc_reader_new();
		uint64_t t0 = now_ns();
		int rc = frc_reader_open(r, path, 0);

		if (!rc)
			rc = frc_reader_check_signature(r, key);
		t[i] = now_ns() - t0;
		if (rc) {
			fprintf(stderr, "%s\n", frc_reader_errmsg(r));
			return 1;
		}
		frc_reader_free(r);
	}
	qsort(t, (size_t)n, sizeof(*t), cmp_u64);
	printf("sig_us_median=%.1f\nsig_us_max=%.1f\n", t[n / 2] / 1000.0,
	       t[n - 1] / 1000.0);
	free(t);
	return 0;
}

/* Bytes read by opening path and reading page p of region 0. */
static int64_t cost(const char *path, uint64_t *p, void *buf)
{
	frc_reader_t *r = frc_reader_new();
	frc_region_info_t g;
	uint64_t before;
	int64_t used;

	if (frc_reader_open(r, path, 0) ||
	    frc_reader_region(r, 0, &g, sizeof(g)))
		return -1;
	if (*p == UINT64_MAX)
		*p = g.page_count - 1;
	else if (*p == UINT64_MAX - 1)
		*p = g.page_count / 2;
	before = rchar();
	if (frc_reader_read_page(r, 0, *p, buf)) {
		fprintf(stderr, "%s\n", frc_reader_errmsg(r));
		return -1;
	}
	used = (int64_t)(rchar() - before);
	frc_reader_free(r);
	return used;
}

static int page(const char *with, const char *without)
{
	static const char *const names[] = { "first", "middle", "last" };
	uint64_t pages[] = { 0, UINT64_MAX - 1, UINT64_MAX };
	void *buf = malloc(FRC_PAGE_SIZE_MAX);

	for (int i = 0; i < 3 && buf; i++) {
		uint64_t p = pages[i], q;
		int64_t a = cost(with, &p, buf), b;

		q = p;
		b = cost(without, &q, buf);
		if (a < 0 || b < 0)
			return 1;
		printf("digest_bytes_%s=%" PRId64 "\n", names[i], a - b);
	}
	free(buf);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 5 && !strcmp(argv[1], "sig"))
		return sig(argv[2], argv[3], atoi(argv[4]) > 0 ? atoi(argv[4]) : 1);
	if (argc == 4 && !strcmp(argv[1], "page"))
		return page(argv[2], argv[3]);
	fputs("usage: identity_probe sig FILE KEYHEX N | page WITH WITHOUT\n",
	      stderr);
	return 2;
}
