/*
 * test_compress.c - compressed regions (SPEC "Compressed frames", format
 * 1.2) through the public API: written page by page in any order, with
 * rewrites and zero pages, or whole from memory on several threads;
 * every read path gives back exactly what was written; rewrites stay in
 * their slots; the lazy map refuses; misuse is refused; and every flipped
 * bit of the frame table, of compressed frames and of the other
 * structures is detected, every cut reported as truncated.
 */
#include <fcntl.h>

#include "testutil.h"

#define PAGES 256u
#define PS 4096u
#define FRAME 16u

/* Page k of version v: text that compresses, random bytes, or zeros. */
static void page_of(uint8_t *p, uint64_t k, unsigned v)
{
	if (k % 7 == 3) {
		memset(p, 0, PS);
	} else if (k % 5 == 1) {
		tu_fill(p, PS, k * 31 + v);
	} else {
		size_t n = 0;

		while (n < PS) {
			char line[64];
			int len = snprintf(line, sizeof(line),
					   "version %u page %llu offset %zu\n",
					   v, (unsigned long long)k, n);

			for (int j = 0; j < len && n < PS; j++)
				p[n++] = (uint8_t)line[j];
		}
	}
}

static uint8_t *image(unsigned v)
{
	uint8_t *img = NULL;

	assert_int_equal(posix_memalign((void **)&img, 4096, PAGES * PS), 0);
	for (uint64_t k = 0; k < PAGES; k++)
		page_of(img + k * PS, k, v);
	return img;
}

static frc_writer_t *open_writer(const char *path)
{
	frc_writer_options_t o = tu_opts();
	frc_writer_t *w = frc_writer_new();

	assert_int_equal(frc_writer_open(w, path, &o, sizeof(o)), FRC_OK);
	assert_int_equal(frc_writer_add_region(w, "ram", PAGES * PS, PS, NULL),
			 FRC_OK);
	assert_int_equal(frc_writer_add_region(w, "vga", 8 * PS, PS, NULL),
			 FRC_OK);
	assert_int_equal(frc_writer_set_compression(w, 0, FRC_COMPRESSION_ZSTD,
						    3, FRAME),
			 FRC_OK);
	return w;
}

/* Writes version 1 page by page in a scattered order, then rewrites a few
 * pages with version 2 (some of them to zero), and commits. */
static void build_scattered(const char *path, uint8_t *expect)
{
	frc_writer_t *w = open_writer(path);
	uint8_t page[PS];

	for (uint64_t i = 0; i < PAGES; i++) {
		uint64_t k = (i * 97) % PAGES;

		page_of(page, k, 1);
		assert_int_equal(frc_writer_write_page(w, 0, k, page), FRC_OK);
	}
	for (uint64_t k = 5; k < PAGES; k += 37) { /* rewrites */
		page_of(page, k, 2);
		assert_int_equal(frc_writer_write_page(w, 0, k, page), FRC_OK);
	}
	memset(page, 0, PS);
	assert_int_equal(frc_writer_write_page(w, 0, 2, page), FRC_OK);
	for (uint64_t k = 0; k < 8; k++) {
		tu_fill(page, PS, 900 + k);
		assert_int_equal(frc_writer_write_page(w, 1, k, page), FRC_OK);
	}
	assert_int_equal(frc_writer_commit(w, NULL, NULL), FRC_OK);
	frc_writer_free(w);
	for (uint64_t k = 0; k < PAGES; k++)
		page_of(expect + k * PS, k, (k >= 5 && (k - 5) % 37 == 0) ? 2 : 1);
	memset(expect + 2 * PS, 0, PS);
}

/* The encodings of the frames of region 0 (frc_reader_region_storage). */
static void frame_counts(const char *path, unsigned *raw, unsigned *comp,
			 unsigned *absent)
{
	frc_reader_t *r = frc_reader_new();
	frc_region_info_t g;
	frc_region_storage_t st;

	assert_int_equal(frc_reader_open(r, path, 0), FRC_OK);
	assert_int_equal(frc_reader_region(r, 0, &g, sizeof(g)), FRC_OK);
	assert_int_equal(g.compression, FRC_COMPRESSION_ZSTD);
	assert_int_equal(g.frame_pages, FRAME);
	assert_int_equal(frc_reader_region_storage(r, 0, &st, sizeof(st)),
			 FRC_OK);
	assert_int_equal(st.frames, PAGES / FRAME);
	assert_true(st.allocated_bytes > 0 &&
		    st.allocated_bytes <= g.used_length);
	*raw = (unsigned)st.raw_frames;
	*comp = (unsigned)st.compressed_frames;
	*absent = (unsigned)st.absent_frames;
	frc_reader_free(r);
}

/* Every read path gives back `expect`. */
static void check_contents(const char *path, const uint8_t *expect)
{
	frc_reader_t *r = frc_reader_new();
	uint8_t *buf = NULL, page[PS];
	uint64_t problems = 9;

	assert_int_equal(posix_memalign((void **)&buf, 4096, PAGES * PS), 0);
	assert_int_equal(frc_reader_open(r, path, FRC_OPEN_DIRECT), FRC_OK);
	assert_int_equal(frc_reader_verify(r, NULL, NULL), FRC_OK);
	assert_int_equal(frc_reader_verify_all(r, NULL, NULL, NULL, NULL,
					       &problems),
			 FRC_OK);
	assert_int_equal(problems, 0);
	memset(buf, 0xee, PAGES * PS);
	assert_int_equal(frc_reader_read_region(r, 0, buf, PAGES * PS, NULL,
						NULL),
			 FRC_OK);
	assert_memory_equal(buf, expect, PAGES * PS);
	memset(buf, 0xee, PAGES * PS);
	assert_int_equal(frc_reader_read_region_parallel(r, 0, buf, PAGES * PS,
							 2, NULL, NULL),
			 FRC_OK);
	assert_memory_equal(buf, expect, PAGES * PS);
	for (uint64_t k = 0; k < PAGES; k++) {
		assert_int_equal(frc_reader_read_page(r, 0, k, page), FRC_OK);
		assert_memory_equal(page, expect + k * PS, PS);
	}
	/* ranges that start and end inside frames */
	assert_int_equal(frc_reader_read_pages(r, 0, 7, 45, buf), FRC_OK);
	assert_memory_equal(buf, expect + 7 * PS, 45 * PS);
	frc_reader_free(r);
	free(buf);
}

static void test_scattered(void **state)
{
	const char *path = tu_path("c1.frc");
	uint8_t *expect = image(1);
	unsigned raw, comp, absent;
	frc_reader_t *r;
	const void *map;

	(void)state;
	build_scattered(path, expect);
	check_contents(path, expect);
	frame_counts(path, &raw, &comp, &absent);
	print_message("frames: %u compressed, %u raw, %u absent\n", comp, raw,
		      absent);
	assert_true(comp >= 10); /* the text compresses */
	assert_int_equal(comp + raw + absent, PAGES / FRAME);
	/* far less disk than the data: compressed frames and holes */
	assert_true(tu_file_blocks(path) < PAGES * PS / 2);
	/* the lazy map says it cannot, with a message */
	r = frc_reader_new();
	assert_int_equal(frc_reader_open(r, path, 0), FRC_OK);
	assert_int_equal(frc_reader_map_region(r, 0, &map), FRC_E_UNSUPPORTED);
	assert_non_null(strstr(frc_reader_errmsg(r), "compressed"));
	assert_int_equal(frc_reader_map_region(r, 1, &map), FRC_OK);
	frc_reader_unmap_region(r, 1, map);
	frc_reader_free(r);
	free(expect);
}

/*
 * A whole region from memory on two threads (compressed as it is written),
 * then pages rewritten in frames already compressed: they turn raw and are
 * compressed again at commit. Saving the region four times over uses the
 * same disk space as once.
 */
static void test_write_region(void **state)
{
	const char *path = tu_path("c2.frc"), *once = tu_path("c3.frc");
	uint8_t *img, page[PS];
	frc_writer_t *w;

	(void)state;
	w = open_writer(once);
	img = image(1);
	assert_int_equal(frc_writer_write_region(w, 0, img, 2, NULL, NULL),
			 FRC_OK);
	assert_int_equal(frc_writer_commit(w, NULL, NULL), FRC_OK);
	frc_writer_free(w);
	free(img);

	w = open_writer(path);
	for (unsigned v = 4; v >= 1; v--) {
		img = image(v);
		assert_int_equal(frc_writer_write_region(w, 0, img, 2, NULL,
							 NULL),
				 FRC_OK);
		free(img);
	}
	img = image(1);
	for (uint64_t k = 1; k < PAGES; k += 40) {
		page_of(page, k, 7);
		memcpy(img + k * PS, page, PS);
		assert_int_equal(frc_writer_write_page(w, 0, k, page), FRC_OK);
	}
	memset(page, 0, PS);
	memset(img + 50 * PS, 0, PS);
	assert_int_equal(frc_writer_write_page(w, 0, 50, page), FRC_OK);
	assert_int_equal(frc_writer_commit(w, NULL, NULL), FRC_OK);
	frc_writer_free(w);
	check_contents(path, img);
	print_message("disk: %llu bytes after one save, %llu after four "
		      "saves and rewrites\n",
		      (unsigned long long)tu_file_blocks(once),
		      (unsigned long long)tu_file_blocks(path));
	assert_true(tu_file_blocks(path) <= tu_file_blocks(once) + 16 * PS);
	assert_int_equal(tu_file_size(path), tu_file_size(once));
	free(img);
}

static void test_misuse(void **state)
{
	const char *path = tu_path("c4.frc");
	frc_writer_options_t o = tu_opts();
	frc_writer_t *w = frc_writer_new();
	uint8_t page[PS] = { 1 };

	(void)state;
	assert_int_equal(frc_writer_open(w, path, &o, sizeof(o)), FRC_OK);
	assert_int_equal(frc_writer_add_region(w, "r", 64 * PS, PS, NULL),
			 FRC_OK);
	assert_int_equal(frc_writer_set_compression(w, 0, 2, 3, 16),
			 FRC_E_MISUSE);
	assert_int_equal(frc_writer_set_compression(w, 0, 1, 3, 3),
			 FRC_E_MISUSE);
	assert_non_null(strstr(frc_writer_errmsg(w), "power of two"));
	assert_int_equal(frc_writer_set_compression(w, 0, 1, 3, 8192),
			 FRC_E_MISUSE);
	assert_int_equal(frc_writer_set_compression(w, 0, 1, 99, 16),
			 FRC_E_MISUSE);
	assert_int_equal(frc_writer_set_compression(w, 1, 1, 3, 16),
			 FRC_E_MISUSE);
	assert_int_equal(frc_writer_set_compression(w, 0, 1, 1, 0), FRC_OK);
	assert_int_equal(frc_writer_write_page(w, 0, 0, page), FRC_OK);
	assert_int_equal(frc_writer_set_compression(w, 0, 1, 1, 16),
			 FRC_E_MISUSE);
	assert_int_equal(frc_writer_commit(w, NULL, NULL), FRC_OK);
	frc_writer_free(w);
	assert_int_equal(tu_verify_code(path), FRC_OK);
}

/*
 * Every bit of the frame table, and 32 bits of every stored frame (all of
 * the small ones), flipped in turn: verification rejects every one.
 */
static void test_flips(void **state)
{
	const char *path = tu_path("c5.frc");
	uint8_t *expect = image(1);
	frc_reader_t *r = frc_reader_new();
	frc_region_info_t g;
	uint64_t tried = 0, detected = 0, table_len = PAGES / FRAME * 16 + 8;
	int fd;

	(void)state;
	build_scattered(path, expect);
	assert_int_equal(frc_reader_open(r, path, 0), FRC_OK);
	assert_int_equal(frc_reader_region(r, 0, &g, sizeof(g)), FRC_OK);
	frc_reader_free(r);
	fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	for (uint64_t b = 0; b < table_len * 8; b++) {
		tu_flip(fd, g.frame_table_offset + b / 8, (unsigned)(b % 8));
		detected += tu_verify_code(path) != FRC_OK;
		tu_flip(fd, g.frame_table_offset + b / 8, (unsigned)(b % 8));
		tried++;
	}
	for (uint64_t f = 0; f < PAGES / FRAME; f++) {
		uint8_t e[16];
		uint32_t stored;

		assert_int_equal(pread(fd, e, 16, (off_t)(g.frame_table_offset +
							  16 * f)),
				 16);
		stored = (uint32_t)e[0] | (uint32_t)e[1] << 8 |
			 (uint32_t)e[2] << 16 | (uint32_t)e[3] << 24;
		if (e[4] == 0)
			continue;
		for (uint64_t k = 0; k < 32; k++) {
			uint64_t off = g.pages_offset + f * FRAME * PS +
				       (k * 2654435761u) % stored;

			tu_flip(fd, off, (unsigned)(k % 8));
			detected += tu_verify_code(path) != FRC_OK;
			tu_flip(fd, off, (unsigned)(k % 8));
			tried++;
		}
	}
	close(fd);
	print_message("compressed file bit flips: %llu tried, %llu detected\n",
		      (unsigned long long)tried, (unsigned long long)detected);
	assert_true(tried > 2500);
	assert_int_equal(detected, tried);
	assert_int_equal(tu_verify_code(path), FRC_OK);
	free(expect);
}

/* Cut inside the frame table and inside compressed frames: truncated. */
static void test_truncations(void **state)
{
	const char *path = tu_path("c5.frc"), *cut = tu_path("c5cut.frc");
	frc_reader_t *r = frc_reader_new();
	frc_region_info_t g;
	uint64_t points[8];
	uint8_t *buf = malloc(1 << 20);
	int n = 0;

	(void)state;
	assert_int_equal(frc_reader_open(r, path, 0), FRC_OK);
	assert_int_equal(frc_reader_region(r, 0, &g, sizeof(g)), FRC_OK);
	frc_reader_free(r);
	points[n++] = g.frame_table_offset + 5;
	points[n++] = g.frame_table_offset + PAGES / FRAME * 16;
	points[n++] = g.pages_offset + 100;
	points[n++] = g.pages_offset + FRAME * PS * 3 + 7;
	for (int i = 0; i < n; i++) {
		int in = open(path, O_RDONLY);
		int out = open(cut, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		uint64_t done = 0;

		while (done < points[i]) {
			size_t k = points[i] - done < (1u << 20)
					   ? (size_t)(points[i] - done)
					   : 1u << 20;

			assert_int_equal(pread(in, buf, k, (off_t)done),
					 (ssize_t)k);
			assert_int_equal(write(out, buf, k), (ssize_t)k);
			done += k;
		}
		close(in);
		close(out);
		assert_int_equal(tu_open_code(cut, 0), FRC_E_TRUNCATED);
	}
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scattered),
		cmocka_unit_test(test_write_region),
		cmocka_unit_test(test_misuse),
		cmocka_unit_test(test_flips),
		cmocka_unit_test(test_truncations),
	};

	return cmocka_run_group_tests(tests, tu_setup_dir, tu_teardown_dir);
}
