/*
 * testutil.h - small helpers shared by the cmocka tests: a scratch
 * directory, deterministic pseudo-random data, and file builders.
 */
#ifndef FRC_TESTUTIL_H
#define FRC_TESTUTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "frc.h"

static char tu_dir[256];

static inline int tu_setup_dir(void **state)
{
	const char *base = getenv("TMPDIR");

	(void)state;
	snprintf(tu_dir, sizeof(tu_dir), "%s/frc-test-XXXXXX",
		 base ? base : "/tmp");
	return mkdtemp(tu_dir) ? 0 : -1;
}

static inline int tu_teardown_dir(void **state)
{
	char cmd[300];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tu_dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* A path inside the scratch directory (static buffer, rotated). */
static inline const char *tu_path(const char *name)
{
	static char bufs[4][320];
	static int k;

	k = (k + 1) % 4;
	snprintf(bufs[k], sizeof(bufs[k]), "%s/%s", tu_dir, name);
	return bufs[k];
}

static inline uint64_t tu_rand(uint64_t *s)
{
	/* xorshift64*: deterministic, good enough for test data */
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * UINT64_C(2685821657736338717);
}

static inline void tu_fill(uint8_t *p, size_t n, uint64_t seed)
{
	uint64_t s = seed * 0x9e3779b97f4a7c15u + 1;

	for (size_t i = 0; i < n; i += 8) {
		uint64_t v = tu_rand(&s);

		memcpy(p + i, &v, n - i < 8 ? n - i : 8);
	}
}

/* Page k of region r: zero when (k + r) % 3 == 0, else seeded data. */
static inline void tu_page(uint8_t *p, size_t ps, unsigned r, uint64_t k)
{
	if ((k + r) % 3 == 0)
		memset(p, 0, ps);
	else
		tu_fill(p, ps, (uint64_t)r << 40 | k);
}

static inline uint64_t tu_file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
}

static inline uint64_t tu_file_blocks(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (uint64_t)st.st_blocks * 512 : 0;
}

/* Deterministic writer options: fixed UUID and times. */
static inline frc_writer_options_t tu_opts(void)
{
	frc_writer_options_t o;

	memset(&o, 0, sizeof(o));
	o.overwrite = 1;
	o.have_uuid = 1;
	for (int i = 0; i < 16; i++)
		o.uuid[i] = (uint8_t)(0x10 + i);
	o.have_create_time = 1;
	o.create_time_ns = UINT64_C(1700000000000000000);
	o.have_commit_time = 1;
	o.commit_time_ns = UINT64_C(1700000001000000000);
	o.generator = "frc-tests";
	return o;
}

struct tu_region {
	const char *id;
	uint64_t pages;
	uint32_t page_size;
};

/*
 * Writes a complete file with the given regions (tu_page contents), a
 * device-state section and a metadata item. Returns 0 on success.
 */
static inline int tu_build(const char *path, const struct tu_region *rg,
			   unsigned n, int commit)
{
	frc_writer_options_t o = tu_opts();
	frc_writer_t *w = frc_writer_new();
	uint8_t *page = malloc(FRC_PAGE_SIZE_MAX);
	int rc = frc_writer_open(w, path, &o, sizeof(o));

	for (unsigned i = 0; i < n && !rc; i++)
		rc = frc_writer_add_region(w, rg[i].id,
					   rg[i].pages * rg[i].page_size,
					   rg[i].page_size, NULL);
	for (unsigned i = 0; i < n && !rc; i++)
		for (uint64_t k = 0; k < rg[i].pages && !rc; k++) {
			tu_page(page, rg[i].page_size, i, k);
			rc = frc_writer_write_page(w, i, k, page);
		}
	if (!rc)
		rc = frc_writer_add_section(w, FRC_SECTION_DEVICE_STATE, 0,
					    "vmstate", "device-bytes", 12);
	if (!rc)
		rc = frc_writer_set_metadata(w, "hypervisor", "test");
	if (!rc && commit)
		rc = frc_writer_commit(w, NULL, NULL);
	if (rc)
		fprintf(stderr, "tu_build: %s\n", frc_writer_errmsg(w));
	frc_writer_free(w);
	free(page);
	return rc;
}

/* Opens path and returns the code; the message goes to stderr on error. */
static inline int tu_open_code(const char *path, unsigned flags)
{
	frc_reader_t *r = frc_reader_new();
	int rc = frc_reader_open(r, path, flags);

	frc_reader_free(r);
	return rc;
}

/* Flips bit `bit` of the byte at `off` of an open file. */
static inline void tu_flip(int fd, uint64_t off, unsigned bit)
{
	uint8_t b;

	assert_int_equal(pread(fd, &b, 1, (off_t)off), 1);
	b ^= (uint8_t)(1u << bit);
	assert_int_equal(pwrite(fd, &b, 1, (off_t)off), 1);
}

/* Opens and verifies; returns the first failing code. */
static inline int tu_verify_code(const char *path)
{
	frc_reader_t *r = frc_reader_new();
	int rc = frc_reader_open(r, path, 0);

	if (rc == FRC_OK)
		rc = frc_reader_verify(r, NULL, NULL);
	frc_reader_free(r);
	return rc;
}

#endif /* FRC_TESTUTIL_H */
