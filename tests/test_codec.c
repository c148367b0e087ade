/*
 * test_codec.c - writer/reader round trips, bounded size, holes, incomplete
 * files and concurrent writers, through the public API only.
 */
#include <fcntl.h>
#include <pthread.h>
#include <sys/mman.h>

#include "testutil.h"

static int is_nonzero(const uint8_t *p)
{
	for (int i = 0; i < 4096; i++)
		if (p[i])
			return 1;
	return 0;
}

static const struct tu_region three[] = {
	{ "pc.ram", 96, 4096 },
	{ "vga.vram", 12, 65536 },
	{ "hugepages", 3, 2u << 20 },
};

/* Every page of every region reads back as written, three ways. */
static void test_round_trip(void **state)
{
	const char *path = tu_path("rt.frc");
	frc_reader_t *r = frc_reader_new();
	uint8_t *want = malloc(FRC_PAGE_SIZE_MAX), *got = malloc(8u << 20);

	(void)state;
	assert_int_equal(tu_build(path, three, 3, 1), FRC_OK);
	assert_int_equal(frc_reader_open(r, path, 0), FRC_OK);
	assert_int_equal(frc_reader_region_count(r), 3);
	for (unsigned i = 0; i < 3; i++) {
		frc_region_info_t g;
		const void *map;
		uint64_t present = 0;

		assert_int_equal(frc_reader_region(r, i, &g, sizeof(g)), FRC_OK);
		assert_string_equal(g.id, three[i].id);
		assert_int_equal(g.page_size, three[i].page_size);
		assert_int_equal(g.page_count, three[i].pages);
		/* one page at a time */
		for (uint64_t k = 0; k < g.page_count; k++) {
			tu_page(want, g.page_size, i, k);
			present += (k + i) % 3 != 0;
			assert_int_equal(frc_reader_page_present(r, i, k),
					 (k + i) % 3 != 0);
			assert_int_equal(frc_reader_read_page(r, i, k, got),
					 FRC_OK);
			assert_memory_equal(got, want, g.page_size);
		}
		assert_int_equal(g.present_pages, present);
		/* the whole region */
		memset(got, 0xaa, g.used_length);
		assert_int_equal(frc_reader_read_region(r, i, got,
							g.used_length, NULL,
							NULL), FRC_OK);
		for (uint64_t k = 0; k < g.page_count; k++) {
			tu_page(want, g.page_size, i, k);
			assert_memory_equal(got + k * g.page_size, want,
					    g.page_size);
		}
		/* the lazy mapping, verified page by page */
		assert_int_equal(frc_reader_map_region(r, i, &map), FRC_OK);
		assert_memory_equal(map, got, g.used_length);
		for (uint64_t k = 0; k < g.page_count; k++)
			assert_int_equal(frc_reader_verify_page(
						 r, i, k,
						 (const uint8_t *)map +
							 k * g.page_size),
					 FRC_OK);
		frc_reader_unmap_region(r, i, map);
	}
	assert_int_equal(frc_reader_verify(r, NULL, NULL), FRC_OK);
	frc_reader_free(r);
	free(want);
	free(got);
}

static void test_sections_and_metadata(void **state)
{
	const char *path = tu_path("sec.frc");
	frc_reader_t *r = frc_reader_new();
	frc_section_info_t s;
	char buf[16];

	(void)state;
	assert_int_equal(tu_build(path, three, 1, 1), FRC_OK);
	assert_int_equal(frc_reader_open(r, path, 0), FRC_OK);
	assert_int_equal(frc_reader_section_count(r), 2);
	assert_int_equal(frc_reader_section(r, 0, &s, sizeof(s)), FRC_OK);
	assert_int_equal(s.type, FRC_SECTION_DEVICE_STATE);
	assert_string_equal(s.name, "vmstate");
	assert_int_equal(s.length, 12);
	assert_int_equal(frc_reader_read_section(r, 0, buf, sizeof(buf)),
			 FRC_OK);
	assert_memory_equal(buf, "device-bytes", 12);
	assert_int_equal(frc_reader_section(r, 1, &s, sizeof(s)), FRC_OK);
	assert_int_equal(s.type, FRC_SECTION_METADATA);
	assert_string_equal(frc_reader_metadata_get(r, "hypervisor"), "test");
	assert_null(frc_reader_metadata_get(r, "absent"));
	assert_int_equal(frc_reader_metadata_count(r), 1);
	frc_reader_free(r);
}

/* An empty region and a file without regions are valid. */
static void test_empty_regions(void **state)
{
	static const struct tu_region empty[] = { { "empty", 0, 4096 } };
	frc_reader_t *r = frc_reader_new();
	frc_region_info_t g;

	(void)state;
	assert_int_equal(tu_build(tu_path("e.frc"), empty, 1, 1), FRC_OK);
	assert_int_equal(frc_reader_open(r, tu_path("e.frc"), 0), FRC_OK);
	assert_int_equal(frc_reader_region(r, 0, &g, sizeof(g)), FRC_OK);
	assert_int_equal(g.page_count, 0);
	assert_int_equal(frc_reader_verify(r, NULL, NULL), FRC_OK);
	frc_reader_free(r);
	assert_int_equal(tu_build(tu_path("none.frc"), NULL, 0, 1), FRC_OK);
	assert_int_equal(tu_verify_code(tu_path("none.frc")), FRC_OK);
}

/*
 * Rewriting every page many times leaves the file exactly as large as
 * writing each once (SPEC "File size"), and the last write wins.
 */
static void test_rewrite_bounded(void **state)
{
	const char *once = tu_path("once.frc"), *many = tu_path("many.frc");
	frc_writer_options_t o = tu_opts();
	uint8_t page[4096], got[4096];
	frc_reader_t *r;

	(void)state;
	for (int pass_count = 1; pass_count <= 20; pass_count += 19) {
		const char *path = pass_count == 1 ? once : many;
		frc_writer_t *w = frc_writer_new();

		assert_int_equal(frc_writer_open(w, path, &o, sizeof(o)), FRC_OK);
		assert_int_equal(frc_writer_add_region(w, "ram", 256 * 4096,
						       4096, NULL), FRC_OK);
		for (int pass = 0; pass < pass_count; pass++)
			for (uint64_t k = 0; k < 256; k++) {
				tu_fill(page, sizeof(page),
					k * 1000 + (uint64_t)pass);
				assert_int_equal(frc_writer_write_page(w, 0, k,
								       page),
						 FRC_OK);
			}
		assert_int_equal(frc_writer_commit(w, NULL, NULL), FRC_OK);
		frc_writer_free(w);
	}
	assert_int_equal(tu_file_size(once), tu_file_size(many));
	/* bound: data starts at 1 MiB, 1 MiB of pages, then sections */
	assert_true(tu_file_size(many) <= (2u << 20) + 4096 * 2);
	r = frc_reader_new();
	assert_int_equal(frc_reader_open(r, many, 0), FRC_OK);
	assert_int_equal(frc_reader_read_page(r, 0, 7, got), FRC_OK);
	tu_fill(page, sizeof(page), 7 * 1000 + 19);
	assert_memory_equal(got, page, sizeof(page));
	assert_int_equal(frc_reader_verify(r, NULL, NULL), FRC_OK);
	frc_reader_free(r);
}

/* Zero pages take no disk space; a page rewritten as zero becomes a hole. */
static void test_zero_pages_are_holes(void **state)
{
	const char *path = tu_path("holes.frc");
	frc_writer_options_t o = tu_opts();
	frc_writer_t *w = frc_writer_new();
	static uint8_t page[65536];
	uint64_t before, after;
	frc_reader_t *r;

	(void)state;
	assert_int_equal(frc_writer_open(w, path, &o, sizeof(o)), FRC_OK);
	/* 256 MiB region, all zero except 64 pages */
	assert_int_equal(frc_writer_add_region(w, "ram", 4096ull * 65536,
					       65536, NULL), FRC_OK);
	assert_int_equal(frc_writer_start(w), FRC_OK);
	for (uint64_t k = 0; k < 64; k++) {
		tu_fill(page, sizeof(page), k + 1);
		assert_int_equal(frc_writer_write_page(w, 0, k * 64, page),
				 FRC_OK);
	}
	before = tu_file_blocks(path);
	memset(page, 0, sizeof(page));
	for (uint64_t k = 0; k < 32; k++) /* zero half of them again */
		assert_int_equal(frc_writer_write_page(w, 0, k * 64, page),
				 FRC_OK);
	after = tu_file_blocks(path);
	assert_int_equal(frc_writer_commit(w, NULL, NULL), FRC_OK);
	frc_writer_free(w);
	assert_true(tu_file_size(path) >= 4096ull * 65536);
	assert_true(before >= 64 * 65536);
	assert_true(before < 64 * 65536 + (4u << 20));
	assert_true(after <= before - 32 * 65536);
	r = frc_reader_new();
	assert_int_equal(frc_reader_open(r, path, 0), FRC_OK);
	{
		frc_region_info_t g;

		frc_reader_region(r, 0, &g, sizeof(g));
		assert_int_equal(g.present_pages, 32);
		assert_int_equal(frc_reader_page_present(r, 0, 0), 0);
		assert_int_equal(frc_reader_page_present(r, 0, 32 * 64), 1);
	}
	assert_int_equal(frc_reader_verify(r, NULL, NULL), FRC_OK);
	frc_reader_free(r);
}

/* A save that never committed is refused, and salvage reads what it can. */
static void test_incomplete(void **state)
{
	const char *path = tu_path("inc.frc");
	frc_reader_t *r = frc_reader_new();
	uint8_t want[4096], got[4096];
	frc_info_t in;

	(void)state;
	assert_int_equal(tu_build(path, three, 1, 0), FRC_OK);
	assert_int_equal(tu_open_code(path, 0), FRC_E_INCOMPLETE);
	assert_int_equal(frc_reader_open(r, path, FRC_OPEN_SALVAGE), FRC_OK);
	frc_reader_get_info(r, &in, sizeof(in));
	assert_int_equal(in.complete, 0);
	assert_int_equal(in.read_only, 1);
	tu_page(want, 4096, 0, 1);
	assert_int_equal(frc_reader_read_page(r, 0, 1, got), FRC_E_INCOMPLETE);
	assert_memory_equal(got, want, sizeof(want));
	assert_int_equal(frc_reader_verify(r, NULL, NULL), FRC_E_INCOMPLETE);
	frc_reader_free(r);
	r = frc_reader_new();
	assert_int_equal(frc_reader_open(r, path, 0), FRC_E_INCOMPLETE);
	assert_non_null(strstr(frc_reader_errmsg(r), "incomplete"));
	assert_non_null(strstr(frc_reader_errmsg(r), "R-INCOMPLETE"));
	frc_reader_free(r);
}

struct worker {
	frc_writer_t *w;
	unsigned id, nthreads;
	uint64_t pages;
	int rc;
};

static void *write_share(void *arg)
{
	struct worker *wk = arg;
	uint8_t page[4096];

	for (uint64_t k = wk->id; k < wk->pages && !wk->rc; k += wk->nthreads) {
		tu_page(page, sizeof(page), 0, k);
		wk->rc = frc_writer_write_page(wk->w, 0, k, page);
	}
	return NULL;
}

/* Several threads writing interleaved pages produce a valid file. */
static void test_concurrent_writers(void **state)
{
	enum { THREADS = 8, PAGES = 4096 };
	const char *path = tu_path("mt.frc");
	frc_writer_options_t o = tu_opts();
	frc_writer_t *w = frc_writer_new();
	struct worker wk[THREADS];
	pthread_t th[THREADS];
	frc_reader_t *r;
	uint8_t want[4096], got[4096];

	(void)state;
	assert_int_equal(frc_writer_open(w, path, &o, sizeof(o)), FRC_OK);
	assert_int_equal(frc_writer_add_region(w, "ram", PAGES * 4096ull, 4096,
					       NULL), FRC_OK);
	assert_int_equal(frc_writer_start(w), FRC_OK);
	for (unsigned i = 0; i < THREADS; i++) {
		wk[i] = (struct worker){ w, i, THREADS, PAGES, 0 };
		assert_int_equal(pthread_create(&th[i], NULL, write_share,
						&wk[i]), 0);
	}
	for (unsigned i = 0; i < THREADS; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(wk[i].rc, FRC_OK);
	}
	assert_int_equal(frc_writer_commit(w, NULL, NULL), FRC_OK);
	frc_writer_free(w);
	r = frc_reader_new();
	assert_int_equal(frc_reader_open(r, path, 0), FRC_OK);
	assert_int_equal(frc_reader_verify(r, NULL, NULL), FRC_OK);
	for (uint64_t k = 0; k < PAGES; k += 97) {
		tu_page(want, 4096, 0, k);
		assert_int_equal(frc_reader_read_page(r, 0, k, got), FRC_OK);
		assert_memory_equal(got, want, 4096);
	}
	frc_reader_free(r);
}

/* O_DIRECT writes (aligned and unaligned buffers) give the same file. */
static void test_direct_io(void **state)
{
	const char *path = tu_path("direct.frc");
	frc_writer_options_t o = tu_opts();
	frc_writer_t *w = frc_writer_new();
	uint8_t *buf = NULL;

	(void)state;
	o.direct = 1;
	assert_int_equal(posix_memalign((void **)&buf, 4096, 8 * 4096 + 1), 0);
	assert_int_equal(frc_writer_open(w, path, &o, sizeof(o)), FRC_OK);
	assert_int_equal(frc_writer_add_region(w, "ram", 64 * 4096ull, 4096,
					       NULL), FRC_OK);
	for (uint64_t k = 0; k < 8; k++)
		tu_page(buf + k * 4096, 4096, 0, k);
	assert_int_equal(frc_writer_write_pages(w, 0, 0, 8, buf), FRC_OK);
	memmove(buf + 1, buf, 8 * 4096); /* misaligned source */
	assert_int_equal(frc_writer_write_pages(w, 0, 8, 8, buf + 1), FRC_OK);
	assert_int_equal(frc_writer_commit(w, NULL, NULL), FRC_OK);
	frc_writer_free(w);
	assert_int_equal(tu_verify_code(path), FRC_OK);
	free(buf);
}

static int count_progress(void *ctx, uint64_t done, uint64_t total)
{
	int *calls = ctx;

	(*calls)++;
	assert_true(done <= total);
	return 0;
}

static int cancel_progress(void *ctx, uint64_t done, uint64_t total)
{
	(void)ctx;
	(void)done;
	(void)total;
	return 1;
}

static void test_progress_and_cancel(void **state)
{
	const char *path = tu_path("prog.frc");
	frc_reader_t *r = frc_reader_new();
	int calls = 0;

	(void)state;
	assert_int_equal(tu_build(path, three, 3, 1), FRC_OK);
	assert_int_equal(frc_reader_open(r, path, 0), FRC_OK);
	assert_int_equal(frc_reader_verify(r, count_progress, &calls), FRC_OK);
	assert_true(calls > 0);
	assert_int_equal(frc_reader_verify(r, cancel_progress, NULL),
			 FRC_E_CANCELED);
	frc_reader_free(r);
}

/* API misuse is answered with FRC_E_MISUSE / FRC_E_EXISTS, never a crash. */
static void test_misuse(void **state)
{
	const char *path = tu_path("misuse.frc");
	frc_writer_options_t o = tu_opts();
	frc_writer_t *w = frc_writer_new();
	uint8_t page[4096] = { 1 };

	(void)state;
	assert_int_equal(frc_writer_open(w, path, &o, sizeof(o)), FRC_OK);
	assert_int_equal(frc_writer_add_region(w, "a", 4096 * 3, 4096, NULL),
			 FRC_OK);
	assert_int_equal(frc_writer_add_region(w, "a", 4096, 4096, NULL),
			 FRC_E_MISUSE);
	/* Arguments the SPEC forbids are the caller's mistake, not a file's
	 * defect: FRC_E_MISUSE, with a message naming the call and the rule. */
	assert_int_equal(frc_writer_add_region(w, "b", 4097, 4096, NULL),
			 FRC_E_MISUSE);
	assert_non_null(strstr(frc_writer_errmsg(w), "frc_writer_add_region"));
	assert_non_null(strstr(frc_writer_errmsg(w), "used_length 4097"));
	assert_int_equal(frc_writer_add_region(w, "c", 4096, 3, NULL),
			 FRC_E_MISUSE);
	assert_non_null(strstr(frc_writer_errmsg(w), "page_size 3 is not a "
				"power of two"));
	assert_null(strstr(frc_writer_errmsg(w), "offset 0x"));
	assert_int_equal(frc_writer_add_region(w, "", 4096, 4096, NULL),
			 FRC_E_MISUSE);
	assert_int_equal(frc_writer_add_region(w, "bad\xff", 4096, 4096, NULL),
			 FRC_E_MISUSE);
	assert_int_equal(frc_writer_write_page(w, 0, 3, page), FRC_E_MISUSE);
	assert_int_equal(frc_writer_write_page(w, 1, 0, page), FRC_E_MISUSE);
	assert_int_equal(frc_writer_add_region(w, "late", 4096, 4096, NULL),
			 FRC_E_MISUSE);
	assert_int_equal(frc_writer_set_metadata(w, "Bad Key", "v"),
			 FRC_E_MISUSE);
	assert_int_equal(frc_writer_commit(w, NULL, NULL), FRC_OK);
	assert_int_equal(frc_writer_write_page(w, 0, 0, page), FRC_E_MISUSE);
	frc_writer_free(w);
	o.overwrite = 0;
	w = frc_writer_new();
	assert_int_equal(frc_writer_open(w, path, &o, sizeof(o)), FRC_E_EXISTS);
	frc_writer_free(w);
	assert_int_equal(tu_verify_code(path), FRC_OK);
	frc_writer_free(NULL);
	frc_reader_free(NULL);
	assert_string_equal(frc_error_name(FRC_E_CHECKSUM), "checksum-mismatch");
	assert_string_equal(frc_strerror(FRC_E_INCOMPLETE),
			    "incomplete file (interrupted save)");
}

/* Fills a region image: page k as tu_page(region 0), in one buffer. */
static uint8_t *region_image(uint64_t pages, uint32_t ps, size_t extra)
{
	uint8_t *img = NULL;

	if (posix_memalign((void **)&img, 4096, pages * ps + extra))
		return NULL;
	for (uint64_t k = 0; k < pages; k++)
		tu_page(img + extra + k * ps, ps, 0, k);
	return img;
}

/*
 * Whole-region save with several threads, O_DIRECT or not, from an aligned
 * or a misaligned buffer; whole-region restore with several threads, with
 * and without O_DIRECT: every combination gives back the same bytes.
 */
static void test_parallel_region(void **state)
{
	enum { PAGES = 3000 }; /* 11.7 MiB: three 4 MiB chunks */
	uint8_t *img = region_image(PAGES, 4096, 1), *back = NULL;
	const char *path = tu_path("par.frc");

	(void)state;
	assert_non_null(img);
	assert_int_equal(posix_memalign((void **)&back, 4096, PAGES * 4096ull), 0);
	for (int direct = 0; direct <= 1; direct++) {
		for (int misalign = 0; misalign <= 1; misalign++) {
			frc_writer_options_t o = tu_opts();
			frc_writer_t *w = frc_writer_new();
			frc_reader_t *r;
			frc_region_info_t g;

			o.direct = direct;
			/* the image starts 1 byte in: misaligned when asked */
			if (!misalign)
				memmove(img, img + 1, PAGES * 4096ull);
			assert_int_equal(frc_writer_open(w, path, &o, sizeof(o)), FRC_OK);
			assert_int_equal(frc_writer_add_region(w, "ram",
							       PAGES * 4096ull,
							       4096, NULL),
					 FRC_OK);
			assert_int_equal(frc_writer_write_region(
						 w, 0, img + misalign, 3, NULL,
						 NULL), FRC_OK);
			assert_int_equal(frc_writer_commit(w, NULL, NULL), FRC_OK);
			frc_writer_free(w);
			for (unsigned flags = 0; flags <= FRC_OPEN_DIRECT;
			     flags += FRC_OPEN_DIRECT) {
				r = frc_reader_new();
				assert_int_equal(frc_reader_open(r, path, flags),
						 FRC_OK);
				frc_reader_region(r, 0, &g, sizeof(g));
				assert_int_equal(g.present_pages, 2000);
				memset(back, 0x55, PAGES * 4096ull);
				assert_int_equal(frc_reader_read_region_parallel(
							 r, 0, back, PAGES * 4096ull,
							 4, NULL, NULL), FRC_OK);
				assert_memory_equal(back, img + misalign,
						    PAGES * 4096ull);
				assert_int_equal(frc_reader_verify(r, NULL, NULL),
						 FRC_OK);
				frc_reader_free(r);
			}
			if (!misalign) /* put it back 1 byte in */
				memmove(img + 1, img, PAGES * 4096ull);
		}
	}
	free(img);
	free(back);
}

/* A parallel restore finds a damaged page like the serial one. */
static void test_parallel_detects_damage(void **state)
{
	const char *path = tu_path("pardmg.frc");
	uint8_t *img = region_image(2048, 4096, 0), *back = malloc(2048 * 4096);
	frc_writer_options_t o = tu_opts();
	frc_writer_t *w = frc_writer_new();
	frc_reader_t *r = frc_reader_new();
	frc_region_info_t g;
	FILE *f;

	(void)state;
	assert_int_equal(frc_writer_open(w, path, &o, sizeof(o)), FRC_OK);
	assert_int_equal(frc_writer_add_region(w, "ram", 2048 * 4096ull, 4096,
					       NULL), FRC_OK);
	assert_int_equal(frc_writer_write_region(w, 0, img, 0, NULL, NULL),
			 FRC_OK);
	assert_int_equal(frc_writer_commit(w, NULL, NULL), FRC_OK);
	frc_writer_free(w);
	assert_int_equal(frc_reader_open(r, path, 0), FRC_OK);
	frc_reader_region(r, 0, &g, sizeof(g));
	frc_reader_free(r);
	f = fopen(path, "r+b");
	fseek(f, (long)(g.pages_offset + 1900 * 4096 + 9), SEEK_SET);
	fputc(0x42 ^ img[1900 * 4096 + 9], f);
	fclose(f);
	r = frc_reader_new();
	assert_int_equal(frc_reader_open(r, path, 0), FRC_OK);
	assert_int_equal(frc_reader_read_region_parallel(r, 0, back,
							 2048 * 4096ull, 2,
							 NULL, NULL),
			 FRC_E_CHECKSUM);
	assert_non_null(strstr(frc_reader_errmsg(r), "page 1900"));
	frc_reader_free(r);
	free(img);
	free(back);
}

/*
 * frc_reader_read_pages: any window of a region (across 4 MiB steps, with
 * holes) equals the pages one by one; ranges beyond the region are misuse;
 * a damaged page in the window is named.
 */
static void test_read_pages(void **state)
{
	enum { PAGES = 2100 };
	uint8_t *img = region_image(PAGES, 4096, 0), *back = NULL, *one = NULL;
	const char *path = tu_path("rpages.frc");
	frc_writer_options_t o = tu_opts();
	frc_writer_t *w = frc_writer_new();
	frc_reader_t *r;
	frc_region_info_t g;
	static const uint64_t win[][2] = {
		{ 0, PAGES }, { 0, 1 }, { 5, 1030 }, { 1023, 2 }, { PAGES - 1, 1 },
		{ 7, 0 },
	};
	FILE *f;

	(void)state;
	for (uint64_t k = 100; k < 300; k++) /* a hole of 200 zero pages */
		memset(img + k * 4096, 0, 4096);
	assert_int_equal(posix_memalign((void **)&back, 4096, PAGES * 4096ull), 0);
	assert_int_equal(posix_memalign((void **)&one, 4096, 4096), 0);
	assert_int_equal(frc_writer_open(w, path, &o, sizeof(o)), FRC_OK);
	assert_int_equal(frc_writer_add_region(w, "ram", PAGES * 4096ull, 4096,
					       NULL), FRC_OK);
	assert_int_equal(frc_writer_write_region(w, 0, img, 0, NULL, NULL),
			 FRC_OK);
	assert_int_equal(frc_writer_commit(w, NULL, NULL), FRC_OK);
	frc_writer_free(w);
	for (int direct = 0; direct < 2; direct++) {
		r = frc_reader_new();
		assert_int_equal(frc_reader_open(r, path,
						 direct ? FRC_OPEN_DIRECT : 0),
				 FRC_OK);
		for (size_t i = 0; i < sizeof(win) / sizeof(win[0]); i++) {
			memset(back, 0xa5, PAGES * 4096ull);
			assert_int_equal(frc_reader_read_pages(r, 0, win[i][0],
							       win[i][1], back),
					 FRC_OK);
			for (uint64_t k = 0; k < win[i][1]; k++) {
				assert_int_equal(frc_reader_read_page(
						 r, 0, win[i][0] + k, one), FRC_OK);
				assert_memory_equal(back + k * 4096, one, 4096);
			}
		}
		assert_memory_equal(img, back, 0); /* keeps img used */
		assert_int_equal(frc_reader_read_pages(r, 0, PAGES - 1, 2, back),
				 FRC_E_MISUSE);
		assert_int_equal(frc_reader_read_pages(r, 0, PAGES + 1, 0, back),
				 FRC_E_MISUSE);
		assert_int_equal(frc_reader_read_pages(r, 1, 0, 1, back),
				 FRC_E_MISUSE);
		assert_int_equal(frc_reader_read_pages(r, 0, 0, 1, NULL),
				 FRC_E_MISUSE);
		frc_reader_region(r, 0, &g, sizeof(g));
		frc_reader_free(r);
	}
	f = fopen(path, "r+b");
	/* page 1501 holds data (every third page of tu_page is zero) */
	fseek(f, (long)(g.pages_offset + 1501 * 4096 + 77), SEEK_SET);
	fputc(0x5a ^ img[1501 * 4096 + 77], f);
	fclose(f);
	r = frc_reader_new();
	assert_int_equal(frc_reader_open(r, path, 0), FRC_OK);
	assert_int_equal(frc_reader_read_pages(r, 0, 1400, 200, back),
			 FRC_E_CHECKSUM);
	assert_non_null(strstr(frc_reader_errmsg(r), "page 1501"));
	assert_int_equal(frc_reader_read_pages(r, 0, 1502, 200, back), FRC_OK);
	assert_memory_equal(back, img + 1502 * 4096ull, 200 * 4096);
	frc_reader_free(r);
	free(img);
	free(back);
	free(one);
}

/*
 * Embedding: FRC around foreign bytes. Pages adopted where they lie,
 * absent slots emptied, a section in place, the foreign bytes untouched;
 * every misuse refused.
 */
static void test_embedded(void **state)
{
	enum { PAGES = 64, AT = 1 << 20 };
	const char *path = tu_path("embed.frc");
	uint64_t end = AT + PAGES * 4096ull + 100;
	uint8_t *img = region_image(PAGES, 4096, 0), *back = malloc(PAGES * 4096);
	uint8_t head[300], tail[100], got[300];
	frc_writer_options_t o = tu_opts();
	frc_writer_t *w = frc_writer_new();
	frc_reader_t *r = frc_reader_new();
	frc_section_info_t si;
	int fd;

	(void)state;
	for (size_t i = 0; i < sizeof(head); i++)
		head[i] = (uint8_t)(i * 7 + 1);
	memset(tail, 0xee, sizeof(tail));
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	/* foreign: a header at 64 KiB, pages at 1 MiB, bytes after them */
	assert_int_equal(pwrite(fd, head, sizeof(head), 65536), sizeof(head));
	assert_int_equal(pwrite(fd, img, PAGES * 4096, AT), PAGES * 4096);
	memset(img + 10 * 4096, 0, 4096); /* page 10: stale bytes, absent */
	assert_int_equal(pwrite(fd, tail, sizeof(tail), AT + PAGES * 4096),
			 sizeof(tail));
	assert_int_equal(frc_writer_add_region_at(w, "x", 4096, 4096, AT, NULL),
			 FRC_E_MISUSE); /* not open embedded */
	assert_int_equal(frc_writer_open_embedded(w, fd, path, end + 1, &o, sizeof(o)),
			 FRC_E_MISUSE); /* the file is shorter */
	/* what an interrupted earlier writer appended: replaced */
	{
		uint8_t junk[70000];

		memset(junk, 0xab, sizeof(junk));
		assert_int_equal(pwrite(fd, junk, sizeof(junk), end + 5),
				 sizeof(junk));
	}
	frc_writer_free(w);
	w = frc_writer_new();
	assert_int_equal(frc_writer_open_embedded(w, fd, path, end, &o, sizeof(o)), FRC_OK);
	assert_int_equal(frc_writer_add_region_at(w, "ram", PAGES * 4096ull,
						  4096, AT, NULL), FRC_OK);
	assert_int_equal(frc_writer_add_region_at(w, "over", 8192, 4096,
						  AT + 4096, NULL), FRC_E_MISUSE);
	assert_int_equal(frc_writer_add_region_at(w, "beyond", 8192, 4096,
						  end - 100, NULL), FRC_E_MISUSE);
	assert_int_equal(frc_writer_add_region_at(w, "odd", 4096, 4096,
						  AT / 2 + 8, NULL), FRC_E_MISUSE);
	assert_int_equal(frc_writer_adopt_pages(w, 0, 0, 10), FRC_OK);
	assert_int_equal(frc_writer_clear_pages(w, 0, 10, 1), FRC_OK);
	assert_int_equal(frc_writer_adopt_pages(w, 0, 11, PAGES - 11), FRC_OK);
	assert_int_equal(frc_writer_adopt_section(w, FRC_SECTION_QEMU, 0, "h",
						  AT + 4096, 10), FRC_E_MISUSE);
	assert_int_equal(frc_writer_adopt_section(w, FRC_SECTION_QEMU, 0, "h",
						  65536, sizeof(head)), FRC_OK);
	assert_int_equal(frc_writer_adopt_section(w, FRC_SECTION_QEMU, 0, "h2",
						  65536 + 10, 5), FRC_E_MISUSE);
	assert_int_equal(frc_writer_commit(w, NULL, NULL), FRC_OK);
	frc_writer_free(w);
	close(fd);
	assert_int_equal(frc_reader_open(r, path, 0), FRC_OK);
	assert_int_equal(frc_reader_verify(r, NULL, NULL), FRC_OK);
	assert_int_equal(frc_reader_read_pages(r, 0, 0, PAGES, back), FRC_OK);
	assert_memory_equal(back, img, PAGES * 4096);
	assert_false(frc_reader_page_present(r, 0, 10));
	assert_int_equal(frc_reader_section(r, 0, &si, sizeof(si)), FRC_OK);
	assert_int_equal(si.offset, 65536);
	assert_int_equal(frc_reader_read_section(r, 0, got, sizeof(got)), FRC_OK);
	assert_memory_equal(got, head, sizeof(head));
	frc_reader_free(r);
	/* the foreign bytes after the pages are where they were */
	fd = open(path, O_RDONLY);
	assert_int_equal(pread(fd, got, sizeof(tail), AT + PAGES * 4096),
			 sizeof(tail));
	assert_memory_equal(got, tail, sizeof(tail));
	close(fd);
	free(img);
	free(back);
}

static int count_problem(void *ctx, const frc_problem_t *p)
{
	(*(uint64_t *)ctx)++;
	return p->code == FRC_E_CHECKSUM ? 0 : 1;
}

/*
 * Pages in another file: a writer checksums in-place pages from a copy of
 * them (the guest RAM QEMU saved from), a reader verifies a region in a
 * copy of it (the guest RAM QEMU restored into) instead of its page area;
 * damage, stray bytes in absent pages and a short copy are all found.
 */
static void test_sources(void **state)
{
	enum { PAGES = 2000, AT = 1 << 20 };
	const char *path = tu_path("src.frc"), *mem = tu_path("src.mem");
	uint8_t *img = region_image(PAGES, 4096, 0), *back = malloc(PAGES * 4096);
	frc_writer_options_t o = tu_opts();
	frc_writer_t *w = frc_writer_new();
	frc_reader_t *r = frc_reader_new();
	uint64_t problems = 0;
	int fd, mfd;

	(void)state;
	memset(img + 7 * 4096, 0, 4096); /* page 7 is zero in memory */
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	mfd = open(mem, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0 && mfd >= 0);
	/* memory at 4096 in its file, the same pages at 1 MiB in the FRC */
	assert_int_equal(pwrite(mfd, img, PAGES * 4096, 4096), PAGES * 4096);
	assert_int_equal(pwrite(fd, img, PAGES * 4096, AT), PAGES * 4096);
	assert_int_equal(frc_writer_open_embedded(w, fd, path,
						  AT + PAGES * 4096ull, &o, sizeof(o)),
			 FRC_OK);
	assert_int_equal(frc_writer_add_region_at(w, "ram", PAGES * 4096ull,
						  4096, AT, NULL), FRC_OK);
	assert_int_equal(frc_writer_adopt_pages_from(w, 0, 0, 10, -1, 4096),
			 FRC_E_MISUSE);
	assert_int_equal(frc_writer_adopt_pages_from(w, 0, 0, PAGES + 1, mfd,
						     4096), FRC_E_MISUSE);
	assert_int_equal(frc_writer_adopt_pages_from(w, 0, 0, 1000, mfd, 4096),
			 FRC_OK);
	assert_int_equal(frc_writer_adopt_pages_from(w, 0, 1000, PAGES - 1000,
						     mfd, 4096), FRC_OK);
	assert_int_equal(frc_writer_commit(w, NULL, NULL), FRC_OK);
	frc_writer_free(w);
	close(fd);

	assert_int_equal(frc_reader_open(r, path, 0), FRC_OK);
	assert_false(frc_reader_page_present(r, 0, 7));
	assert_int_equal(frc_reader_verify(r, NULL, NULL), FRC_OK);
	assert_int_equal(frc_reader_set_source(r, 1, mfd, 4096), FRC_E_MISUSE);
	assert_int_equal(frc_reader_set_source(r, 0, -2, 4096), FRC_E_MISUSE);
	assert_int_equal(frc_reader_set_source(r, 0, mfd, 4096), FRC_OK);
	assert_int_equal(frc_reader_verify(r, NULL, NULL), FRC_OK);
	memset(back, 0xa5, PAGES * 4096);
	assert_int_equal(frc_reader_read_region_parallel(r, 0, back,
							 PAGES * 4096ull, 2,
							 NULL, NULL), FRC_OK);
	assert_memory_equal(back, img, PAGES * 4096);
	assert_int_equal(frc_reader_read_pages(r, 0, 5, 10, back), FRC_OK);
	assert_memory_equal(back, img + 5 * 4096, 10 * 4096);
	/* the source at the wrong offset: every page differs */
	assert_int_equal(frc_reader_set_source(r, 0, mfd, 0), FRC_OK);
	assert_int_equal(frc_reader_verify(r, NULL, NULL), FRC_E_CHECKSUM);
	/* damage in a present page alone: found against its checksum */
	{
		uint64_t p = 1200;
		char want[64];

		while (frc_reader_page_present(r, 0, p) != 1)
			p++;
		assert_int_equal(pwrite(mfd, "x", 1, 4096 + p * 4096 + 9), 1);
		assert_int_equal(frc_reader_set_source(r, 0, mfd, 4096), FRC_OK);
		assert_int_equal(frc_reader_verify(r, NULL, NULL),
				 FRC_E_CHECKSUM);
		snprintf(want, sizeof(want), "page %llu of region 'ram' in its "
			 "source", (unsigned long long)p);
		assert_non_null(strstr(frc_reader_errmsg(r), want));
		assert_int_equal(pwrite(mfd, img + p * 4096 + 9, 1,
					4096 + p * 4096 + 9), 1);
	}
	/* damage in page 1500 (absent: it must read as zeros) */
	assert_int_equal(pwrite(mfd, "x", 1, 4096 + 1500 * 4096ull + 9), 1);
	assert_int_equal(frc_reader_verify(r, NULL, NULL), FRC_E_CHECKSUM);
	assert_non_null(strstr(frc_reader_errmsg(r), "page 1500"));
	/* and stray bytes in absent page 7 too */
	assert_int_equal(pwrite(mfd, "y", 1, 4096 + 7 * 4096 + 100), 1);
	assert_int_equal(frc_reader_verify(r, NULL, NULL), FRC_E_CHECKSUM);
	assert_int_equal(frc_reader_verify_all(r, count_problem, &problems,
					       NULL, NULL, NULL),
			 FRC_E_CHECKSUM);
	assert_int_equal(problems, 2);
	assert_int_equal(frc_reader_read_pages(r, 0, 1400, 200, back),
			 FRC_E_CHECKSUM);
	assert_non_null(strstr(frc_reader_errmsg(r), "page 1500"));
	assert_non_null(strstr(frc_reader_errmsg(r), "source"));
	/* the page area itself is intact: back to it */
	assert_int_equal(frc_reader_set_source(r, 0, -1, 0), FRC_OK);
	assert_int_equal(frc_reader_verify(r, NULL, NULL), FRC_OK);
	/* a source that ends early */
	assert_int_equal(pwrite(mfd, "", 1, 4096 + 7 * 4096 + 100), 1);
	assert_int_equal(ftruncate(mfd, 4096 + 100 * 4096), 0);
	assert_int_equal(frc_reader_set_source(r, 0, mfd, 4096), FRC_OK);
	assert_int_equal(frc_reader_read_pages(r, 0, 0, 100, back), FRC_OK);
	assert_int_equal(frc_reader_verify(r, NULL, NULL), FRC_E_IO);
	assert_non_null(strstr(frc_reader_errmsg(r), "ends before"));
	frc_reader_free(r);
	close(mfd);
	free(img);
	free(back);
}

/* Scattered batches: runs coalesced, zero pages cleared, rewrites win. */
static void test_write_batch(void **state)
{
	const char *path = tu_path("batch.frc");
	frc_writer_options_t o = tu_opts();
	frc_writer_t *w = frc_writer_new();
	static uint8_t pages[8][4096];
	const void *ptrs[8];
	uint64_t idx[8] = { 7, 8, 9, 3, 20, 21, 0, 30 };
	uint8_t got[4096], want[4096];
	frc_reader_t *r;

	(void)state;
	for (int i = 0; i < 8; i++) {
		tu_fill(pages[i], 4096, 100 + (uint64_t)i);
		ptrs[i] = pages[i];
	}
	memset(pages[5], 0, 4096); /* page 21 is zero */
	assert_int_equal(frc_writer_open(w, path, &o, sizeof(o)), FRC_OK);
	assert_int_equal(frc_writer_add_region(w, "ram", 32 * 4096, 4096, NULL),
			 FRC_OK);
	assert_int_equal(frc_writer_write_batch(w, 0, 8, idx, ptrs), FRC_OK);
	/* rewrite page 8 as zero and page 3 with new data */
	{
		static uint8_t zero[4096], fresh[4096];
		const void *p2[2] = { zero, fresh };
		uint64_t i2[2] = { 8, 3 };

		tu_fill(fresh, 4096, 999);
		assert_int_equal(frc_writer_write_batch(w, 0, 2, i2, p2), FRC_OK);
		memcpy(pages[3], fresh, 4096);
		memset(pages[1], 0, 4096);
	}
	uint64_t bad = 32;
	assert_int_equal(frc_writer_write_batch(w, 0, 1, &bad, ptrs),
			 FRC_E_MISUSE);
	assert_int_equal(frc_writer_commit(w, NULL, NULL), FRC_OK);
	frc_writer_free(w);
	r = frc_reader_new();
	assert_int_equal(frc_reader_open(r, path, 0), FRC_OK);
	assert_int_equal(frc_reader_verify(r, NULL, NULL), FRC_OK);
	for (int i = 0; i < 8; i++) {
		assert_int_equal(frc_reader_read_page(r, 0, idx[i], got), FRC_OK);
		memcpy(want, pages[i], 4096);
		assert_memory_equal(got, want, 4096);
		assert_int_equal(frc_reader_page_present(r, 0, idx[i]),
				 is_nonzero(want));
	}
	assert_int_equal(frc_reader_page_present(r, 0, 1), 0);
	frc_reader_free(r);
}

/* ---- frc_writer_copy_region ---- */

enum { CP_PAGES = 3000 }; /* three 4 MiB chunks, a third of them zero */

/* A writer of one region "ram" of CP_PAGES pages: digests or not,
 * compressed (frames of `frame` pages) or not, its UUID's byte `u` flipped
 * (files of a chain, and copies, are other files). */
static frc_writer_t *copy_writer(const char *path, int digest, int frame,
				 int u)
{
	frc_writer_options_t o = tu_opts();
	frc_writer_t *w = frc_writer_new();

	o.digest = digest ? FRC_DIGEST_SHA256 : FRC_DIGEST_NONE;
	o.uuid[u] ^= 0x33;
	assert_int_equal(frc_writer_open(w, path, &o, sizeof(o)), FRC_OK);
	assert_int_equal(frc_writer_add_region(w, "ram", CP_PAGES * 4096ull,
					       4096, NULL), FRC_OK);
	if (frame)
		assert_int_equal(frc_writer_set_compression(
					 w, 0, FRC_COMPRESSION_ZSTD, 1, frame),
				 FRC_OK);
	return w;
}

/* A file of CP_PAGES pages from img: digests, compression, a base. */
static void copy_build(const char *path, const uint8_t *img, int digest,
		       int compress, const char *base)
{
	frc_writer_t *w = copy_writer(path, digest, compress ? 16 : 0,
				      base ? 1 : 0);

	if (base)
		assert_int_equal(frc_writer_set_base(w, base, NULL), FRC_OK);
	assert_int_equal(frc_writer_write_region(w, 0, img, 0, NULL, NULL),
			 FRC_OK);
	assert_int_equal(frc_writer_commit(w, NULL, NULL), FRC_OK);
	frc_writer_free(w);
}

struct copy_seen {
	uint64_t last, calls;
};

static int copy_progress(void *ctx, uint64_t done, uint64_t total)
{
	struct copy_seen *c = ctx;

	assert_true(done >= c->last);
	assert_int_equal(total, CP_PAGES * 4096ull);
	c->last = done;
	c->calls++;
	return 0;
}

/* Copies src's region into out; returns the code (the message to stderr). */
static int copy_to(const char *src, const char *out, int digest,
		   int compress, unsigned threads, struct copy_seen *seen)
{
	frc_reader_t *r = frc_reader_new();
	frc_writer_t *w;
	int rc = frc_reader_open(r, src, 0);

	if (rc)
		fprintf(stderr, "copy_to: %s\n", frc_reader_errmsg(r));
	assert_int_equal(rc, FRC_OK);
	w = copy_writer(out, digest, compress ? 32 : 0, 2);
	rc = frc_writer_copy_region(w, 0, r, 0, threads,
				    seen ? copy_progress : NULL, seen);
	if (rc == FRC_OK)
		rc = frc_writer_commit(w, NULL, NULL);
	if (rc)
		fprintf(stderr, "copy_to: %s\n", frc_writer_errmsg(w));
	frc_writer_free(w);
	frc_reader_free(r);
	return rc;
}

/* The file's pages equal img, and its root (when it has one) is root. */
static void copy_check(const char *path, const uint8_t *img,
		       const uint8_t *root)
{
	frc_reader_t *r = frc_reader_new();
	uint8_t *back = malloc(CP_PAGES * 4096ull), got[FRC_ROOT_SIZE];

	assert_int_equal(frc_reader_open(r, path, 0), FRC_OK);
	assert_int_equal(frc_reader_read_region(r, 0, back, CP_PAGES * 4096ull,
						NULL, NULL), FRC_OK);
	assert_memory_equal(back, img, CP_PAGES * 4096ull);
	assert_int_equal(frc_reader_verify(r, NULL, NULL), FRC_OK);
	if (root) {
		assert_int_equal(frc_reader_content_root(r, got), FRC_OK);
		assert_memory_equal(got, root, FRC_ROOT_SIZE);
	} else {
		assert_int_equal(frc_reader_content_root(r, got),
				 FRC_E_NOT_FOUND);
	}
	frc_reader_free(r);
	free(back);
}

/* src copied to `mid` (digests or not, compressed or not), then back to
 * out with digests: the same pages each time, and root when it can be. */
static void copy_there_and_back(const char *src, const char *mid,
				const char *out, const uint8_t *img,
				const uint8_t *root, int digest, int compress)
{
	char m[320];

	snprintf(m, sizeof(m), "%s", tu_path(mid));
	unlink(m);
	assert_int_equal(copy_to(src, m, digest, compress, 0, NULL), FRC_OK);
	copy_check(m, img, digest ? root : NULL);
	unlink(out);
	assert_int_equal(copy_to(m, out, 1, 0, 2, NULL), FRC_OK);
	copy_check(out, img, root);
}

static void root_of(const char *path, uint8_t *root)
{
	frc_reader_t *r = frc_reader_new();

	assert_int_equal(frc_reader_open(r, path, 0), FRC_OK);
	assert_int_equal(frc_reader_content_root(r, root), FRC_OK);
	frc_reader_free(r);
}

/* The offset of leaf `page` of region 0 (SPEC "Digest section": header,
 * region roots, section digests, then level 0 of region 0). */
static uint64_t leaf_offset(const char *path, uint64_t page)
{
	frc_reader_t *r = frc_reader_new();
	frc_section_info_t s;
	uint8_t h[20];
	uint64_t off = 0;
	int fd;

	assert_int_equal(frc_reader_open(r, path, 0), FRC_OK);
	for (uint32_t i = 0; i < frc_reader_section_count(r); i++)
		if (frc_reader_section(r, i, &s, sizeof(s)) == FRC_OK &&
		    s.type == FRC_SECTION_DIGESTS)
			off = s.offset;
	frc_reader_free(r);
	assert_true(off != 0);
	fd = open(path, O_RDONLY);
	assert_int_equal(pread(fd, h, sizeof(h), (off_t)off), sizeof(h));
	close(fd);
	/* region and section counts, little-endian, at 12 and 16 */
	return off + 64 +
	       32 * ((uint64_t)(h[12] | h[13] << 8 | h[14] << 16 |
				(uint32_t)h[15] << 24) +
		     (h[16] | h[17] << 8 | h[18] << 16 |
		      (uint32_t)h[19] << 24)) +
	       32 * page;
}

/*
 * frc_writer_copy_region: the same pages and the same content root
 * whatever the threads, compression on either side, digests on either
 * side or a chain as the source; progress up to the region's length; a
 * page that fails its checksum or its leaf fails the copy by its class;
 * a region of another shape is misuse.
 */
static void test_copy_region(void **state)
{
	uint8_t *img = region_image(CP_PAGES, 4096, 0), *img2;
	char src[320], out[320]; /* tu_path() reuses its buffers */
	uint8_t root[FRC_ROOT_SIZE], root2[FRC_ROOT_SIZE];
	struct copy_seen seen = { 0, 0 };
	frc_region_info_t g;
	frc_reader_t *r;
	int fd;

	(void)state;
	assert_non_null(img);
	snprintf(src, sizeof(src), "%s", tu_path("cp-src.frc"));
	snprintf(out, sizeof(out), "%s", tu_path("cp-out.frc"));
	copy_build(src, img, 1, 0, NULL);
	root_of(src, root);
	for (unsigned threads = 0; threads <= 3; threads += 3) {
		unlink(out);
		assert_int_equal(copy_to(src, out, 1, 0, threads, &seen), FRC_OK);
		copy_check(out, img, root);
		assert_int_equal(seen.last, CP_PAGES * 4096ull);
		assert_true(seen.calls > 0);
		seen.last = 0;
	}
	/* compressed out, then back from the compressed file; without
	 * digests, then hashed from a file without them */
	copy_there_and_back(src, "cp-z.frc", out, img, root, 1, 1);
	copy_there_and_back(src, "cp-nodg.frc", out, img, root, 0, 0);

	/* a chain: a diff of 7 changed pages on src, copied whole */
	img2 = region_image(CP_PAGES, 4096, 0);
	for (uint64_t k = 5; k < CP_PAGES; k += 431)
		img2[k * 4096 + 17] ^= 0x5a;
	copy_build(tu_path("cp-diff.frc"), img2, 1, 0, src);
	root_of(tu_path("cp-diff.frc"), root2);
	unlink(out);
	assert_int_equal(copy_to(tu_path("cp-diff.frc"), out, 1, 0, 0, NULL),
			 FRC_OK);
	copy_check(out, img2, root2);
	r = frc_reader_new();
	assert_int_equal(frc_reader_open(r, out, 0), FRC_OK);
	assert_int_equal(frc_reader_base(r, NULL, 0), FRC_E_NOT_FOUND);
	frc_reader_free(r);

	/* a damaged page: its checksum fails the copy, nothing committed */
	r = frc_reader_new();
	assert_int_equal(frc_reader_open(r, src, 0), FRC_OK);
	frc_reader_region(r, 0, &g, sizeof(g));
	frc_reader_free(r);
	fd = open(src, O_RDWR);
	tu_flip(fd, g.pages_offset + 2500 * 4096ull + 3, 1);
	unlink(out);
	assert_int_equal(copy_to(src, out, 1, 0, 0, NULL), FRC_E_CHECKSUM);
	assert_int_equal(tu_open_code(out, 0), FRC_E_INCOMPLETE);
	tu_flip(fd, g.pages_offset + 2500 * 4096ull + 3, 1);
	/* a leaf of another page: the copy fails by the digest's class (its
	 * checksum is right: the writer must not take the leaf) */
	tu_flip(fd, leaf_offset(src, 1001), 6);
	close(fd);
	assert_int_equal(copy_to(src, out, 1, 0, 0, NULL), FRC_E_DIGEST);
	assert_int_equal(tu_open_code(out, 0), FRC_E_INCOMPLETE);
	/* a copy without digests verifies the source all the same */
	assert_int_equal(copy_to(src, out, 0, 0, 0, NULL), FRC_E_DIGEST);

	/* a region of another shape */
	{
		frc_writer_options_t o = tu_opts();
		frc_writer_t *w = frc_writer_new();

		r = frc_reader_new();
		assert_int_equal(frc_reader_open(r, tu_path("cp-z.frc"), 0),
				 FRC_OK);
		unlink(out);
		assert_int_equal(frc_writer_open(w, out, &o, sizeof(o)), FRC_OK);
		assert_int_equal(frc_writer_add_region(w, "ram",
						       (CP_PAGES - 1) * 4096ull,
						       4096, NULL), FRC_OK);
		assert_int_equal(frc_writer_copy_region(w, 0, r, 0, 0, NULL,
							NULL),
				 FRC_E_MISUSE);
		assert_non_null(strstr(frc_writer_errmsg(w), "shape"));
		assert_int_equal(frc_writer_copy_region(w, 1, r, 0, 0, NULL,
							NULL),
				 FRC_E_MISUSE);
		assert_int_equal(frc_writer_copy_region(w, 0, r, 1, 0, NULL,
							NULL),
				 FRC_E_MISUSE);
		frc_writer_free(w);
		frc_reader_free(r);
	}
	free(img);
	free(img2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_sections_and_metadata),
		cmocka_unit_test(test_empty_regions),
		cmocka_unit_test(test_rewrite_bounded),
		cmocka_unit_test(test_zero_pages_are_holes),
		cmocka_unit_test(test_incomplete),
		cmocka_unit_test(test_concurrent_writers),
		cmocka_unit_test(test_direct_io),
		cmocka_unit_test(test_progress_and_cancel),
		cmocka_unit_test(test_misuse),
		cmocka_unit_test(test_parallel_region),
		cmocka_unit_test(test_parallel_detects_damage),
		cmocka_unit_test(test_write_batch),
		cmocka_unit_test(test_read_pages),
		cmocka_unit_test(test_embedded),
		cmocka_unit_test(test_sources),
		cmocka_unit_test(test_copy_region),
	};

	return cmocka_run_group_tests(tests, tu_setup_dir, tu_teardown_dir);
}
