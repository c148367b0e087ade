/*
 * test_api.c - the contract of include/frc.h as a program built against it
 * sees it: structs passed with their size (older and newer programs),
 * version numbers, feature kinds, the layout iterator, and errors (every
 * failure carries a message; caller mistakes are FRC_E_MISUSE naming the
 * call; messages are per thread).
 *
 * Uses only frc.h: no codec internals.
 */
#include <fcntl.h>
#include <pthread.h>

#include "testutil.h"

static const struct tu_region two[] = { { "ram", 8, 4096 },
					{ "vga", 4, 4096 } };

static void test_version(void **state)
{
	char buf[32];

	(void)state;
	assert_int_equal(frc_version_number(), FRC_LIB_VERSION_NUMBER);
	snprintf(buf, sizeof(buf), "%lu.%lu.%lu",
		 frc_version_number() / 1000000,
		 frc_version_number() / 1000 % 1000,
		 frc_version_number() % 1000);
	assert_string_equal(buf, frc_version_string());
}

/* A program built against a newer header passes a bigger struct. */
static void test_struct_sizes(void **state)
{
	const char *path = tu_path("abi.frc");
	struct {
		frc_info_t in;
		uint8_t newer[64];
	} big;
	frc_info_t in;
	frc_region_info_t g;
	frc_reader_t *r;

	(void)state;
	assert_int_equal(tu_build(path, two, 2, 1), FRC_OK);
	r = frc_reader_new();
	assert_int_equal(frc_reader_open(r, path, 0), FRC_OK);
	assert_int_equal(frc_reader_get_info(r, &in, sizeof(in)), FRC_OK);
	memset(&big, 0xaa, sizeof(big));
	assert_int_equal(frc_reader_get_info(r, &big.in, sizeof(big)), FRC_OK);
	/* the fields this library knows, then zeros for the newer ones */
	assert_int_equal(big.in.region_count, 2);
	assert_int_equal(big.in.file_length, in.file_length);
	for (size_t i = 0; i < sizeof(big.newer); i++)
		assert_int_equal(big.newer[i], 0);
	/* smaller than any version of the struct: refused, with a message */
	assert_int_equal(frc_reader_get_info(r, &in, 16), FRC_E_MISUSE);
	assert_non_null(strstr(frc_reader_errmsg(r), "frc_reader_get_info"));
	assert_non_null(strstr(frc_reader_errmsg(r), "sizeof"));
	assert_int_equal(frc_reader_region(r, 0, &g, 8), FRC_E_MISUSE);
	assert_int_equal(frc_reader_region(r, 0, NULL, sizeof(g)),
			 FRC_E_MISUSE);
	assert_int_equal(frc_reader_region(r, 1, &g, sizeof(g)), FRC_OK);
	assert_string_equal(g.id, "vga");
	frc_reader_free(r);
}

/* Writer options: a newer program's struct, zero tail or not. */
static void test_options_sizes(void **state)
{
	const char *path = tu_path("opts.frc");
	struct {
		frc_writer_options_t o;
		uint8_t newer[32];
	} big;
	frc_writer_t *w;

	(void)state;
	memset(&big, 0, sizeof(big));
	big.o = tu_opts();
	w = frc_writer_new();
	assert_int_equal(frc_writer_open(w, path, &big.o, sizeof(big)), FRC_OK);
	frc_writer_free(w);
	/* an option this library does not know is set: not ignored */
	big.newer[5] = 1;
	w = frc_writer_new();
	assert_int_equal(frc_writer_open(w, path, &big.o, sizeof(big)),
			 FRC_E_MISUSE);
	assert_non_null(strstr(frc_writer_errmsg(w), "does not know"));
	frc_writer_free(w);
	/* defaults */
	w = frc_writer_new();
	unlink(path);
	assert_int_equal(frc_writer_open(w, path, NULL, 0), FRC_OK);
	frc_writer_free(w);
	w = frc_writer_new();
	assert_int_equal(frc_writer_open(w, path, NULL, 8), FRC_E_MISUSE);
	assert_int_equal(frc_writer_open(w, path, &big.o, 4), FRC_E_MISUSE);
	assert_non_null(strstr(frc_writer_errmsg(w), "frc_writer_open"));
	frc_writer_free(w);
}

static void test_feature_kinds(void **state)
{
	const char *path = tu_path("kinds.frc");
	frc_reader_t *r = frc_reader_new();
	char buf[128];

	(void)state;
	assert_int_equal(tu_build(path, two, 1, 1), FRC_OK);
	assert_int_equal(frc_reader_open(r, path, 0), FRC_OK);
	assert_string_equal(frc_reader_feature_name(r, FRC_FEATURE_INCOMPAT, 0),
			    "incomplete");
	assert_null(frc_reader_feature_name(r, FRC_FEATURE_COMPAT, 0));
	assert_null(frc_reader_feature_name(r, (enum frc_feature_kind)7, 0));
	assert_null(frc_reader_feature_name(r, FRC_FEATURE_INCOMPAT, 64));
	assert_string_equal(frc_reader_feature_names(r, FRC_FEATURE_INCOMPAT,
						     3, buf, sizeof(buf)),
			    "incomplete (bit 0), bit 1");
	assert_string_equal(frc_reader_feature_names(
				    r, (enum frc_feature_kind)-1, 3, buf,
				    sizeof(buf)),
			    "");
	frc_reader_free(r);
}

/* The layout lists every structure once, sorted, inside the file. */
static void test_layout(void **state)
{
	const char *path = tu_path("layout.frc");
	frc_reader_t *r = frc_reader_new();
	unsigned seen[FRC_EXTENT_SECTION + 1] = { 0 };
	frc_info_t in;
	frc_extent_t e, prev = { 0 };
	uint32_t n;

	(void)state;
	assert_int_equal(tu_build(path, two, 2, 1), FRC_OK);
	assert_int_equal(frc_reader_open(r, path, 0), FRC_OK);
	assert_int_equal(frc_reader_get_info(r, &in, sizeof(in)), FRC_OK);
	n = frc_reader_layout_count(r);
	assert_true(n > 0);
	for (uint32_t i = 0; i < n; i++) {
		assert_int_equal(frc_reader_layout(r, i, &e, sizeof(e)), FRC_OK);
		assert_true(e.kind >= FRC_EXTENT_SIGNATURE &&
			    e.kind <= FRC_EXTENT_SECTION);
		assert_non_null(e.kind_name);
		assert_true(e.length > 0);
		assert_true(e.offset + e.length <= in.file_length);
		if (i)
			assert_true(e.offset >= prev.offset + prev.length);
		seen[e.kind]++;
		if (e.kind == FRC_EXTENT_PAGE_AREA) {
			frc_region_info_t g;

			assert_int_equal(frc_reader_region(r, e.index, &g,
							   sizeof(g)),
					 FRC_OK);
			assert_int_equal(e.offset, g.pages_offset);
			assert_int_equal(e.length, g.used_length);
		}
		prev = e;
	}
	assert_int_equal(seen[FRC_EXTENT_SIGNATURE], 1);
	assert_int_equal(seen[FRC_EXTENT_SUPERBLOCK], 2);
	assert_int_equal(seen[FRC_EXTENT_REGION_TABLE], 1);
	assert_int_equal(seen[FRC_EXTENT_SECTION_TABLE], 1);
	assert_int_equal(seen[FRC_EXTENT_BITMAP], 2);
	assert_int_equal(seen[FRC_EXTENT_CHECKSUM_TABLE], 2);
	assert_int_equal(seen[FRC_EXTENT_PAGE_AREA], 2);
	assert_int_equal(seen[FRC_EXTENT_SECTION], in.section_count);
	assert_int_equal(frc_reader_layout(r, n, &e, sizeof(e)), FRC_E_MISUSE);
	frc_reader_free(r);
}

/* A failed call must leave a message that names where it failed. */
static void check_msg(int rc, int want, const char *msg, const char *needle,
		      int line)
{
	if (rc != want)
		fail_msg("line %d: code %d, want %d (%s)", line, rc, want, msg);
	if (!msg[0] || (needle && !strstr(msg, needle)))
		fail_msg("line %d: message '%s' does not name '%s'", line, msg,
			 needle);
}

/* The call first, then the message (argument order is unspecified). */
#define expect_msg(call, want, errmsg, needle)                             \
	do {                                                               \
		int rc_ = (call);                                          \
		check_msg(rc_, want, errmsg, needle, __LINE__);            \
	} while (0)

#define expect_ok(call, errmsg)                                            \
	do {                                                               \
		int rc_ = (call);                                          \
		if (rc_)                                                   \
			fail_msg("line %d: code %d: %s", __LINE__, rc_,    \
				 errmsg);                                  \
	} while (0)

static int cancel_cb(void *ctx, uint64_t done, uint64_t total)
{
	(void)ctx, (void)done, (void)total;
	return 1;
}

static void test_every_error_has_message(void **state)
{
	const char *path = tu_path("msg.frc");
	frc_reader_t *r = frc_reader_new(), *open_r = frc_reader_new();
	frc_writer_t *w = frc_writer_new();
	uint8_t page[4096], *big = malloc(1 << 20);
	frc_region_info_t g;
	frc_section_info_t s;
	uint64_t a, b;
	const void *map;
	uint32_t idx;

	(void)state;
	assert_non_null(big);
	assert_int_equal(tu_build(path, two, 2, 1), FRC_OK);
	/* reader calls before a successful open */
	expect_msg(frc_reader_region(r, 0, &g, sizeof(g)), FRC_E_MISUSE,
		   frc_reader_errmsg(r), "frc_reader_region");
	expect_msg(frc_reader_read_page(r, 0, 0, page), FRC_E_MISUSE,
		   frc_reader_errmsg(r), "frc_reader_read_page");
	expect_msg(frc_reader_verify(r, NULL, NULL), FRC_E_MISUSE,
		   frc_reader_errmsg(r), "no file is open");
	expect_msg(frc_reader_open(r, NULL, 0), FRC_E_MISUSE,
		   frc_reader_errmsg(r), "path is NULL");
	expect_msg(frc_reader_open(r, tu_path("nonexistent.frc"), 0), FRC_E_IO,
		   frc_reader_errmsg(r), "nonexistent.frc");
	expect_msg(frc_reader_get_info(r, NULL, 0), FRC_E_MISUSE,
		   frc_reader_errmsg(r), "did not open");
	/* an open reader, bad arguments */
	assert_int_equal(frc_reader_open(open_r, path, 0), FRC_OK);
	frc_reader_free(r);
	r = open_r;
	expect_msg(frc_reader_region(r, 9, &g, sizeof(g)), FRC_E_MISUSE,
		   frc_reader_errmsg(r), "no region 9");
	expect_msg(frc_reader_section(r, 9, &s, sizeof(s)), FRC_E_MISUSE,
		   frc_reader_errmsg(r), "no section 9");
	expect_msg(frc_reader_read_page(r, 0, 8, page), FRC_E_MISUSE,
		   frc_reader_errmsg(r), "page 8 is beyond");
	expect_msg(frc_reader_read_page(r, 0, 0, NULL), FRC_E_MISUSE,
		   frc_reader_errmsg(r), "NULL");
	expect_msg(frc_reader_verify_page(r, 2, 0, page), FRC_E_MISUSE,
		   frc_reader_errmsg(r), "frc_reader_verify_page");
	expect_msg(frc_reader_read_pages(r, 0, 6, 3, big), FRC_E_MISUSE,
		   frc_reader_errmsg(r), "beyond region");
	expect_msg(frc_reader_read_region(r, 0, big, 4096, NULL, NULL),
		   FRC_E_MISUSE, frc_reader_errmsg(r), "cannot hold");
	expect_msg(frc_reader_read_region_parallel(r, 0, NULL, 0, 2, NULL,
						   NULL),
		   FRC_E_MISUSE, frc_reader_errmsg(r), "NULL");
	expect_msg(frc_reader_map_region(r, 0, NULL), FRC_E_MISUSE,
		   frc_reader_errmsg(r), "frc_reader_map_region");
	(void)map;
	expect_msg(frc_reader_next_run(r, 5, 0, &a, &b), FRC_E_MISUSE,
		   frc_reader_errmsg(r), "frc_reader_next_run");
	expect_msg(frc_reader_next_run(r, 0, 0, NULL, &b), FRC_E_MISUSE,
		   frc_reader_errmsg(r), "NULL");
	expect_msg(frc_reader_read_section(r, 0, big, 1), FRC_E_MISUSE,
		   frc_reader_errmsg(r), "cannot hold");
	expect_msg(frc_reader_read_section_stream(r, 0, NULL, NULL),
		   FRC_E_MISUSE, frc_reader_errmsg(r), "fn is NULL");
	expect_msg(frc_reader_metadata_item(r, 99, NULL, NULL), FRC_E_MISUSE,
		   frc_reader_errmsg(r), "no metadata item 99");
	expect_msg(frc_reader_set_source(r, 0, -7, 0), FRC_E_MISUSE,
		   frc_reader_errmsg(r), "not a file descriptor");
	expect_msg(frc_reader_absent_data(r, 0, NULL, NULL), FRC_E_MISUSE,
		   frc_reader_errmsg(r), "NULL");
	expect_msg(frc_reader_find_region(r, "nope", &idx), FRC_E_NOT_FOUND,
		   frc_reader_errmsg(r), "no region 'nope'");
	expect_msg(frc_reader_verify(r, cancel_cb, NULL), FRC_E_CANCELED,
		   frc_reader_errmsg(r), "canceled");
	expect_msg(frc_reader_read_region_parallel(r, 0, big, 1 << 20, 2,
						   cancel_cb, NULL),
		   FRC_E_CANCELED, frc_reader_errmsg(r), "canceled");
	/* a successful call after a failure: the failure's message stays
	 * (until this thread's next failure) */
	assert_int_equal(frc_reader_read_page(r, 0, 0, page), FRC_OK);
	assert_non_null(strstr(frc_reader_errmsg(r), "canceled"));
	/* writer mistakes */
	expect_msg(frc_writer_add_region(w, "a", 4096, 4096, NULL),
		   FRC_E_MISUSE, frc_writer_errmsg(w), "frc_writer_add_region");
	expect_msg(frc_writer_section_end(w), FRC_E_MISUSE,
		   frc_writer_errmsg(w), "frc_writer_section_end");
	expect_msg(frc_writer_commit(w, NULL, NULL), FRC_E_MISUSE,
		   frc_writer_errmsg(w), "frc_writer_commit");
	expect_msg(frc_writer_open(w, NULL, NULL, 0), FRC_E_MISUSE,
		   frc_writer_errmsg(w), "path is NULL");
	unlink(tu_path("w.frc"));
	expect_ok(frc_writer_open(w, tu_path("w.frc"), NULL, 0), frc_writer_errmsg(w));
	expect_msg(frc_writer_add_region_at(w, "a", 4096, 4096, 1 << 20, NULL),
		   FRC_E_MISUSE, frc_writer_errmsg(w), "frc_writer_add_region_at");
	assert_int_equal(frc_writer_add_region(w, "a", 4096 * 4, 4096, NULL),
			 FRC_OK);
	expect_msg(frc_writer_write_page(w, 3, 0, page), FRC_E_MISUSE,
		   frc_writer_errmsg(w), "no such region");
	expect_msg(frc_writer_write_pages(w, 0, 2, 9, page), FRC_E_MISUSE,
		   frc_writer_errmsg(w), "beyond the end");
	expect_msg(frc_writer_set_metadata(w, "Bad Key", "v"), FRC_E_MISUSE,
		   frc_writer_errmsg(w), "frc_writer_set_metadata");
	expect_msg(frc_writer_section_append(w, "x", 1), FRC_E_MISUSE,
		   frc_writer_errmsg(w), "no section is open");
	expect_msg(frc_writer_add_section(w, 0, 0, NULL, "x", 1), FRC_E_MISUSE,
		   frc_writer_errmsg(w), "type 0");
	expect_msg(frc_writer_write_region(w, 0, NULL, 1, NULL, NULL),
		   FRC_E_MISUSE, frc_writer_errmsg(w), "src is NULL");
	memset(big, 1, 4096 * 4);
	expect_msg(frc_writer_write_region(w, 0, big, 2, cancel_cb, NULL),
		   FRC_E_CANCELED, frc_writer_errmsg(w), "canceled");
	/* another handle's failure: this one's message is not shown for it */
	assert_string_equal(frc_reader_errmsg(r), "");
	frc_writer_free(w);
	frc_reader_free(open_r);
	free(big);
}

/*
 * Two threads read damaged pages of one reader at once, a third reads good
 * pages: each sees the message of its own failure, never the other's, and
 * the third sees none.
 */
struct reader_job {
	frc_reader_t *r;
	uint32_t region;
	uint64_t page;
	const char *want;
	int wrong;
};

/*
 * A message belongs to the handle whose call failed: another handle's
 * success, or looking a message up, never moves it; a freed handle leaves
 * nothing for the next one; a writer opened again after a failed open
 * neither leaks nor keeps the old failure.
 */
static void test_message_owner(void **state)
{
	const char *good = tu_path("owner.frc");
	const char *junk = tu_path("owner.junk");
	frc_reader_t *a = frc_reader_new(), *b = frc_reader_new();
	frc_writer_t *w = frc_writer_new();
	FILE *f;

	(void)state;
	assert_int_equal(tu_build(good, two, 2, 1), FRC_OK);
	f = fopen(junk, "w");
	assert_non_null(f);
	fputs("this is not an FRC file, not at all, just some bytes\n", f);
	fclose(f);
	assert_int_not_equal(frc_reader_open(a, junk, 0), FRC_OK);
	assert_non_null(strstr(frc_reader_errmsg(a), "owner.junk"));
	assert_int_equal(frc_reader_open(b, good, 0), FRC_OK);
	assert_int_equal(frc_reader_verify_all(b, NULL, NULL, NULL, NULL, NULL),
			 FRC_OK);
	assert_string_equal(frc_reader_errmsg(b), "");
	assert_non_null(strstr(frc_reader_errmsg(a), "owner.junk"));
	/* asking twice, in either order, changes nothing */
	assert_string_equal(frc_reader_errmsg(b), "");
	assert_non_null(strstr(frc_reader_errmsg(a), "owner.junk"));
	frc_reader_free(a);
	a = frc_reader_new();
	assert_string_equal(frc_reader_errmsg(a), "");
	frc_reader_free(a);
	frc_reader_free(b);

	assert_int_equal(frc_writer_open(w, tu_path("no/such/dir.frc"), NULL, 0),
			 FRC_E_IO);
	assert_non_null(strstr(frc_writer_errmsg(w), "no/such/dir.frc"));
	assert_int_equal(frc_writer_open(w, tu_path("owner2.frc"), NULL, 0),
			 FRC_OK);
	frc_writer_free(w);
}

static int sink(void *ctx, const void *data, size_t len, uint64_t off)
{
	(void)ctx;
	(void)data;
	(void)len;
	(void)off;
	return 0;
}

/* A damaged section fails every way to read it, without a verify first. */
static void test_section_damage(void **state)
{
	const char *path = tu_path("secdmg.frc");
	frc_reader_t *r = frc_reader_new();
	frc_section_info_t si;
	uint8_t buf[64];
	int fd;

	(void)state;
	assert_int_equal(tu_build(path, two, 2, 1), FRC_OK);
	assert_int_equal(frc_reader_open(r, path, 0), FRC_OK);
	assert_int_equal(frc_reader_section(r, 0, &si, sizeof(si)), FRC_OK);
	frc_reader_free(r);
	fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	tu_flip(fd, si.offset + 3, 1);
	close(fd);
	r = frc_reader_new();
	assert_int_equal(frc_reader_open(r, path, 0), FRC_OK);
	assert_int_equal(frc_reader_read_section_stream(r, 0, sink, NULL),
			 FRC_E_CHECKSUM);
	assert_int_equal(frc_reader_read_section(r, 0, buf, sizeof(buf)),
			 FRC_E_CHECKSUM);
	frc_reader_free(r);
}

/* A table that failed its check fails every later call that needs it. */
static void test_failure_stands(void **state)
{
	const char *path = tu_path("stands.frc");
	frc_reader_t *r = frc_reader_new();
	frc_region_info_t g;
	uint8_t page[4096];
	int fd;

	(void)state;
	assert_int_equal(tu_build(path, two, 2, 1), FRC_OK);
	assert_int_equal(frc_reader_open(r, path, 0), FRC_OK);
	assert_int_equal(frc_reader_region(r, 0, &g, sizeof(g)), FRC_OK);
	fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	tu_flip(fd, g.checksum_table_offset + 8 * g.page_count, 3); /* trailer */
	close(fd);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(frc_reader_read_page(r, 0, 1, page),
				 FRC_E_CHECKSUM);
		assert_non_null(strstr(frc_reader_errmsg(r), "checksum table"));
	}
	frc_reader_free(r);
}

/*
 * A file cut short after it was opened: every read of what is gone is
 * `truncated` naming the offset, never bytes that are not there, for an
 * uncompressed and a compressed region.
 */
static void test_file_shrinks(void **state)
{
	const char *path = tu_path("shrinks.frc");
	frc_writer_options_t o = tu_opts();
	frc_writer_t *w = frc_writer_new();
	frc_reader_t *r = frc_reader_new();
	frc_region_info_t g;
	uint8_t page[4096];

	(void)state;
	assert_int_equal(frc_writer_open(w, path, &o, sizeof(o)), FRC_OK);
	assert_int_equal(frc_writer_add_region(w, "plain", 64 * 4096, 4096, NULL),
			 FRC_OK);
	assert_int_equal(frc_writer_add_region(w, "packed", 64 * 4096, 4096,
					       NULL), FRC_OK);
	assert_int_equal(frc_writer_set_compression(w, 1, 1, 3, 4),
			 FRC_OK);
	for (uint32_t i = 0; i < 2; i++)
		for (uint64_t k = 0; k < 64; k++) {
			memset(page, (int)(k % 7 + 1), sizeof(page));
			assert_int_equal(frc_writer_write_page(w, i, k, page),
					 FRC_OK);
		}
	assert_int_equal(frc_writer_commit(w, NULL, NULL), FRC_OK);
	frc_writer_free(w);
	assert_int_equal(frc_reader_open(r, path, 0), FRC_OK);
	assert_int_equal(frc_reader_region(r, 0, &g, sizeof(g)), FRC_OK);
	assert_int_equal(truncate(path, (off_t)g.pages_offset + 4096), 0);
	assert_int_equal(frc_reader_read_page(r, 0, 40, page), FRC_E_TRUNCATED);
	assert_non_null(strstr(frc_reader_errmsg(r), "offset 0x"));
	assert_int_equal(frc_reader_read_page(r, 1, 40, page), FRC_E_TRUNCATED);
	frc_reader_free(r);
}

static void *read_loop(void *a)
{
	struct reader_job *j = a;
	uint8_t page[4096];

	for (int i = 0; i < 3000; i++) {
		int rc = frc_reader_read_page(j->r, j->region, j->page, page);
		const char *msg = frc_reader_errmsg(j->r);

		if (j->want ? rc != FRC_E_CHECKSUM || !strstr(msg, j->want)
			    : rc != FRC_OK || msg[0] != '\0')
			j->wrong++;
	}
	return NULL;
}

static void flip_page_byte(const char *path, uint32_t region, uint64_t page)
{
	frc_reader_t *r = frc_reader_new();
	frc_region_info_t g;
	uint8_t b;
	int fd;

	assert_int_equal(frc_reader_open(r, path, 0), FRC_OK);
	assert_int_equal(frc_reader_region(r, region, &g, sizeof(g)), FRC_OK);
	frc_reader_free(r);
	fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &b, 1, g.pages_offset + page * 4096 + 100), 1);
	b ^= 0x20;
	assert_int_equal(pwrite(fd, &b, 1, g.pages_offset + page * 4096 + 100), 1);
	close(fd);
}

static void test_messages_per_thread(void **state)
{
	const char *path = tu_path("threads.frc");
	frc_reader_t *r = frc_reader_new();
	struct reader_job j[3];
	pthread_t th[3];

	(void)state;
	assert_int_equal(tu_build(path, two, 2, 1), FRC_OK);
	flip_page_byte(path, 0, 1);
	flip_page_byte(path, 1, 3);
	assert_int_equal(frc_reader_open(r, path, 0), FRC_OK);
	j[0] = (struct reader_job){ r, 0, 1, "region 'ram' page 1", 0 };
	j[1] = (struct reader_job){ r, 1, 3, "region 'vga' page 3", 0 };
	j[2] = (struct reader_job){ r, 0, 2, NULL, 0 };
	for (int i = 0; i < 3; i++)
		assert_int_equal(pthread_create(&th[i], NULL, read_loop, &j[i]),
				 0);
	for (int i = 0; i < 3; i++) {
		pthread_join(th[i], NULL);
		if (j[i].wrong)
			fail_msg("reader %d: %d wrong codes or messages", i,
				 j[i].wrong);
	}
	frc_reader_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_version),
		cmocka_unit_test(test_struct_sizes),
		cmocka_unit_test(test_options_sizes),
		cmocka_unit_test(test_feature_kinds),
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_every_error_has_message),
		cmocka_unit_test(test_messages_per_thread),
		cmocka_unit_test(test_message_owner),
		cmocka_unit_test(test_failure_stands),
		cmocka_unit_test(test_section_damage),
		cmocka_unit_test(test_file_shrinks),
	};

	return cmocka_run_group_tests(tests, tu_setup_dir, tu_teardown_dir);
}
