/*
 * test_sweeps.c - bit rot and truncation, exhaustively: every bit of every
 * metadata byte of a committed sample file is flipped in turn (and bits in
 * a sample of page bytes), and the file is cut at every structure boundary
 * and at sample points inside page data. Every flip must be detected by
 * open or by verification (a flip in one superblock copy is survived by
 * the other and reported); every cut must give "truncated".
 */
#include <fcntl.h>

#include "testutil.h"

struct span {
	uint64_t off, len;
	const char *what;
};

static const struct tu_region sample[] = {
	{ "pc.ram", 40, 4096 },
	{ "vga", 3, 65536 },
	{ "rom", 0, 512 },
};

/* The metadata structures of the sample, from the public API. */
static int metadata_spans(const char *path, struct span *v)
{
	frc_reader_t *r = frc_reader_new();
	frc_info_t in;
	int n = 0;

	assert_int_equal(frc_reader_open(r, path, 0), FRC_OK);
	frc_reader_get_info(r, &in, sizeof(in));
	v[n++] = (struct span){ 0, 8, "signature" };
	v[n++] = (struct span){ 4096, in.header_length, "superblock A" };
	v[n++] = (struct span){ 8192, in.header_length, "superblock B" };
	v[n++] = (struct span){ in.feature_table_offset,
				in.feature_table_length, "feature-name table" };
	v[n++] = (struct span){ in.region_table_offset,
				in.region_table_length, "region table" };
	v[n++] = (struct span){ in.section_table_offset,
				in.section_table_length, "section table" };
	for (uint32_t i = 0; i < in.region_count; i++) {
		frc_region_info_t g;

		frc_reader_region(r, i, &g, sizeof(g));
		if (!g.page_count)
			continue;
		v[n++] = (struct span){ g.bitmap_offset,
					((g.page_count + 7) / 8 + 7) / 8 * 8 + 8,
					"bitmap" };
		v[n++] = (struct span){ g.checksum_table_offset,
					g.page_count * 8 + 8, "checksum table" };
	}
	for (uint32_t i = 0; i < in.section_count; i++) {
		frc_section_info_t s;

		frc_reader_section(r, i, &s, sizeof(s));
		v[n++] = (struct span){ s.offset, s.length, "section" };
	}
	frc_reader_free(r);
	return n;
}

enum outcome { REJECTED, RECOVERED, ACCEPTED };

/* Open + full verification of the file as it is now. */
static enum outcome judge(const char *path)
{
	frc_reader_t *r = frc_reader_new();
	frc_info_t in;
	int rc = frc_reader_open(r, path, 0);
	enum outcome o = REJECTED;

	if (rc == FRC_OK)
		rc = frc_reader_verify(r, NULL, NULL);
	if (rc == FRC_OK) {
		frc_reader_get_info(r, &in, sizeof(in));
		o = in.other_slot < 0 ? RECOVERED : ACCEPTED;
	}
	frc_reader_free(r);
	return o;
}

static void test_bit_flips(void **state)
{
	const char *path = tu_path("sweep.frc");
	struct span v[32];
	uint64_t tried = 0, detected = 0, recovered = 0;
	int n, fd;

	(void)state;
	assert_int_equal(tu_build(path, sample, 3, 1), FRC_OK);
	n = metadata_spans(path, v);
	fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	for (int s = 0; s < n; s++) {
		for (uint64_t b = 0; b < v[s].len * 8; b++) {
			enum outcome o;

			tu_flip(fd, v[s].off + b / 8, (unsigned)(b % 8));
			o = judge(path);
			tu_flip(fd, v[s].off + b / 8, (unsigned)(b % 8));
			tried++;
			if (o == REJECTED)
				detected++;
			else if (o == RECOVERED && v[s].off >= 4096 &&
				 v[s].off < 12288)
				recovered++; /* the other copy took over */
			else
				print_error("undetected flip: %s byte %llu bit "
					    "%llu\n", v[s].what,
					    (unsigned long long)(b / 8),
					    (unsigned long long)(b % 8));
		}
	}
	close(fd);
	print_message("metadata bit flips: %llu tried, %llu rejected, %llu "
		      "survived through the other superblock copy and "
		      "reported, %llu missed\n",
		      (unsigned long long)tried, (unsigned long long)detected,
		      (unsigned long long)recovered,
		      (unsigned long long)(tried - detected - recovered));
	assert_true(tried > 10000);
	assert_int_equal(detected + recovered, tried);
	assert_true(judge(path) == ACCEPTED);
}

static void test_page_flips(void **state)
{
	const char *path = tu_path("sweep.frc");
	frc_reader_t *r = frc_reader_new();
	uint64_t tried = 0, detected = 0;
	frc_region_info_t g[2];
	int fd;

	(void)state;
	assert_int_equal(frc_reader_open(r, path, 0), FRC_OK);
	frc_reader_region(r, 0, &g[0], sizeof(g[0]));
	frc_reader_region(r, 1, &g[1], sizeof(g[1]));
	frc_reader_free(r);
	fd = open(path, O_RDWR);
	for (int i = 0; i < 2; i++) {
		for (uint64_t p = 0; p < g[i].page_count; p++) {
			/* present pages: (p + region) % 3 != 0 (tu_page) */
			if ((p + (uint64_t)i) % 3 == 0)
				continue;
			for (uint64_t k = 0; k < 64; k++) {
				uint64_t off = g[i].pages_offset +
					       p * g[i].page_size +
					       (k * 2654435761u) % g[i].page_size;

				tu_flip(fd, off, (unsigned)(k % 8));
				detected += judge(path) == REJECTED;
				tu_flip(fd, off, (unsigned)(k % 8));
				tried++;
			}
		}
	}
	close(fd);
	print_message("page bit flips: %llu tried, %llu detected\n",
		      (unsigned long long)tried, (unsigned long long)detected);
	assert_true(tried > 1000);
	assert_int_equal(detected, tried);
}

static int cut_code(const char *path, const char *cut, uint64_t len)
{
	int in = open(path, O_RDONLY), out = open(cut, O_WRONLY | O_CREAT |
						   O_TRUNC, 0644);
	static uint8_t buf[1 << 16];
	uint64_t done = 0;

	while (done < len) {
		size_t n = len - done < sizeof(buf) ? (size_t)(len - done)
						    : sizeof(buf);

		assert_int_equal(pread(in, buf, n, (off_t)done), (ssize_t)n);
		assert_int_equal(write(out, buf, n), (ssize_t)n);
		done += n;
	}
	close(in);
	close(out);
	return tu_open_code(cut, 0);
}

static void test_truncations(void **state)
{
	const char *path = tu_path("sweep.frc"), *cut = tu_path("cut.frc");
	struct span v[32];
	uint64_t points[256], size = tu_file_size(path);
	int n = metadata_spans(path, v), np = 0, ok = 0;
	frc_reader_t *r = frc_reader_new();

	(void)state;
	points[np++] = 0;
	points[np++] = 4;
	points[np++] = 12287;
	for (int s = 0; s < n; s++) {
		points[np++] = v[s].off;
		points[np++] = v[s].off + v[s].len / 2;
		if (v[s].off + v[s].len < size)
			points[np++] = v[s].off + v[s].len;
	}
	assert_int_equal(frc_reader_open(r, path, 0), FRC_OK);
	for (uint32_t i = 0; i < 2; i++) {
		frc_region_info_t g;

		frc_reader_region(r, i, &g, sizeof(g));
		for (int k = 0; k <= 8; k++) /* the page areas, sampled */
			points[np++] = g.pages_offset + g.used_length * (uint64_t)k / 8;
	}
	frc_reader_free(r);
	points[np++] = size - 1;
	for (int i = 0; i < np; i++) {
		int rc = cut_code(path, cut, points[i] < size ? points[i] : size - 1);

		if (rc == FRC_E_TRUNCATED)
			ok++;
		else
			print_error("cut at %llu: %s\n",
				    (unsigned long long)points[i],
				    frc_error_name(rc));
	}
	print_message("truncations: %d tried, %d reported as truncated\n", np,
		      ok);
	assert_int_equal(ok, np);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bit_flips),
		cmocka_unit_test(test_page_flips),
		cmocka_unit_test(test_truncations),
	};

	return cmocka_run_group_tests(tests, tu_setup_dir, tu_teardown_dir);
}
