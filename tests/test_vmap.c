/*
 * test_vmap.c - frc_reader_map_region_verified(): a region mapped through
 * userfaultfd, every page read and verified on first touch. Each case runs
 * in a child process (a fault that must kill kills only the child): the
 * mapping equals the region (uncompressed and compressed, page sizes 512,
 * 4096 and 65536), the fill thread installs everything, a flipped bit in a
 * page or a frame makes exactly that page raise SIGBUS (or SIGSEGV on a
 * kernel without UFFDIO_POISON) with the error readable, a child made by
 * fork() never sees the mapping's bytes as zeros, and unmapping ends the
 * threads. With content digests (format 1.3) a page whose checksum holds
 * but whose SHA-256 leaf does not is blocked just the same. Skipped, saying why, where userfaultfd is not available.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "frc.h"
#include "testutil.h"

#define PAGES 300u

/* Page k of an image: zero every fifth page, else a compressible pattern
 * (a random 64-byte run repeated) or random bytes. */
static void page_of(uint8_t *p, uint32_t ps, uint64_t k)
{
	if (k % 5 == 0) {
		memset(p, 0, ps);
	} else if (k % 2) {
		tu_fill(p, 64, k + 1);
		for (uint32_t o = 64; o < ps; o += 64)
			memcpy(p + o, p, 64);
	} else {
		tu_fill(p, ps, k + 1000);
	}
}

static uint8_t *image(uint32_t ps)
{
	uint8_t *img = malloc((size_t)PAGES * ps);

	assert_non_null(img);
	for (uint64_t k = 0; k < PAGES; k++)
		page_of(img + k * ps, ps, k);
	return img;
}

/* With digest: content digests; with `other`, page 42 changed. */
static void build_as(const char *path, uint32_t ps, int compress, int digest,
		     int other)
{
	frc_writer_options_t o = tu_opts();
	frc_writer_t *w = frc_writer_new();
	uint8_t *img = image(ps);

	o.digest = digest ? FRC_DIGEST_SHA256 : FRC_DIGEST_NONE;
	if (other)
		img[(size_t)42 * ps + 5] ^= 0x21;
	assert_int_equal(frc_writer_open(w, path, &o, sizeof(o)), FRC_OK);
	assert_int_equal(frc_writer_add_region(w, "ram", (uint64_t)PAGES * ps,
					       ps, NULL), FRC_OK);
	if (compress)
		assert_int_equal(frc_writer_set_compression(
					 w, 0, FRC_COMPRESSION_ZSTD, 3,
					 ps >= 65536 ? 2 : 65536 / ps),
				 FRC_OK);
	assert_int_equal(frc_writer_write_region(w, 0, img, 0, NULL, NULL),
			 FRC_OK);
	assert_int_equal(frc_writer_commit(w, NULL, NULL), FRC_OK);
	frc_writer_free(w);
	free(img);
}

static void build(const char *path, uint32_t ps, int compress)
{
	build_as(path, ps, compress, 0, 0);
}

/* userfaultfd as this process may use it (root, or user mode only). */
static int have_uffd(void)
{
	long fd = syscall(SYS_userfaultfd, O_CLOEXEC);

	if (fd < 0 && errno == EPERM)
		fd = syscall(SYS_userfaultfd, O_CLOEXEC | 1 /* user mode */);
	if (fd < 0)
		return 0;
	close((int)fd);
	return 1;
}

#define NEED_UFFD()                                                         \
	do {                                                                \
		if (!have_uffd()) {                                         \
			fprintf(stderr, "not run: userfaultfd is not "      \
				"available here (%s)\n", strerror(errno));  \
			skip();                                             \
		}                                                           \
	} while (0)

/* Runs fn in a child; returns its wait status. */
static int in_child(int (*fn)(const char *, uint32_t, int), const char *path,
		    uint32_t ps, int arg)
{
	pid_t pid = fork();
	int st = 0;

	assert_true(pid >= 0);
	if (pid == 0) {
		/* cmocka's handlers would run the tests on in the child */
		signal(SIGBUS, SIG_DFL);
		signal(SIGSEGV, SIG_DFL);
		_exit(fn(path, ps, arg));
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	return st;
}

static frc_reader_t *open_reader(const char *path)
{
	frc_reader_t *r = frc_reader_new();

	if (!r || frc_reader_open(r, path, 0) != FRC_OK)
		_exit(90);
	return r;
}

static int threads_now(void)
{
	char line[256];
	int n = -1;
	FILE *f = fopen("/proc/self/status", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "Threads: %d", &n) == 1)
			break;
	if (f)
		fclose(f);
	return n;
}

/* The whole mapping equals the image; with FRC_MAP_FILL every unit is
 * installed before it is read. Exit 0 when right. */
static int child_equal(const char *path, uint32_t ps, int flags)
{
	frc_reader_t *r = open_reader(path);
	uint8_t *img = image(ps);
	const void *addr;
	const uint8_t *m;
	frc_map_status_t st;
	int t0 = threads_now();

	if (frc_reader_map_region_verified(r, 0, (unsigned)flags, &addr))
		return 91;
	m = addr;
	if (flags & FRC_MAP_FILL) {
		for (int i = 0; i < 1000; i++) {
			frc_reader_map_status(r, addr, &st, sizeof(st));
			if (st.fill_done)
				break;
			usleep(10000);
		}
		if (!st.fill_done || st.loaded != st.units)
			return 92;
	}
	/* touched out of order: last page, first, then all */
	if (memcmp(m + (PAGES - 1) * (size_t)ps, img + (PAGES - 1) * (size_t)ps, ps) ||
	    memcmp(m, img, ps) || memcmp(m, img, (size_t)PAGES * ps))
		return 93;
	if (frc_reader_map_status(r, addr, &st, sizeof(st)) || st.failed ||
	    st.error || st.loaded == 0 || st.loaded > st.units)
		return 94;
	frc_reader_unmap_region(r, 0, addr);
	/* a joined thread may still be counted for a moment while the kernel
	 * releases it (seen under AddressSanitizer): up to a second */
	for (int i = 0; i < 100 && threads_now() != t0; i++)
		usleep(10000);
	if (threads_now() != t0)
		return 95;
	frc_reader_free(r);
	free(img);
	return 0;
}

static sigjmp_buf jump;
static uint64_t ok_lo, ok_hi; /* pages beside the damage (child_damaged) */
static volatile sig_atomic_t got_sig;

static void on_fault(int sig)
{
	got_sig = sig;
	siglongjmp(jump, 1);
}

/*
 * Page `bad` is damaged: its neighbours read right, touching it raises
 * SIGBUS (poison) or SIGSEGV, whichever the status says, twice (it stays
 * blocked), and the status names the page and the class. Exit 0.
 */
static int expect_class = FRC_E_CHECKSUM; /* of child_damaged's page */

static int child_damaged(const char *path, uint32_t ps, int bad)
{
	frc_reader_t *r = open_reader(path);
	uint8_t *img = image(ps);
	const void *addr;
	const volatile uint8_t *m;
	frc_map_status_t st;
	struct sigaction sa;

	if (frc_reader_map_region_verified(r, 0, 0, &addr))
		return 91;
	m = addr;
	/* the pages just outside the damage read right */
	if (memcmp((const uint8_t *)addr + (size_t)ok_lo * ps,
		   img + (size_t)ok_lo * ps, ps))
		return 92;
	if (memcmp((const uint8_t *)addr + (size_t)ok_hi * ps,
		   img + (size_t)ok_hi * ps, ps))
		return 93;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_fault;
	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGSEGV, &sa, NULL);
	for (int round = 0; round < 2; round++) {
		got_sig = 0;
		if (sigsetjmp(jump, 1) == 0) {
			volatile uint8_t b = m[(size_t)bad * ps + 7];

			(void)b;
			return 94; /* read a damaged page */
		}
		frc_reader_map_status(r, addr, &st, sizeof(st));
		if (got_sig != (st.poison ? SIGBUS : SIGSEGV))
			return 95;
	}
	if (st.error != expect_class || st.failed < 1 ||
	    st.error_page <= ok_lo || st.error_page >= ok_hi ||
	    !strstr(st.message, "offset 0x") || !strstr(st.message, "SPEC R-"))
		return 96;
	signal(SIGBUS, SIG_DFL);
	signal(SIGSEGV, SIG_DFL);
	frc_reader_unmap_region(r, 0, addr);
	frc_reader_free(r);
	free(img);
	return 0;
}

/* A child of the mapping process is not given the mapping: touching it
 * there faults instead of reading zeros. Exit 0. */
static int child_fork(const char *path, uint32_t ps, int unused)
{
	frc_reader_t *r = open_reader(path);
	const void *addr;
	const volatile uint8_t *m;
	pid_t pid;
	int st;

	(void)unused;
	if (frc_reader_map_region_verified(r, 0, 0, &addr))
		return 91;
	m = addr;
	pid = fork();
	if (pid == 0) {
		volatile uint8_t b = m[(size_t)ps + 1]; /* never installed */

		(void)b;
		_exit(0); /* saw something */
	}
	if (waitpid(pid, &st, 0) != pid || !WIFSIGNALED(st))
		return 92;
	frc_reader_unmap_region(r, 0, addr);
	frc_reader_free(r);
	return 0;
}

static void expect_exit0(int st)
{
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fail_msg("child: %s %d", WIFEXITED(st) ? "exit" : "signal",
			 WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
}

static void test_equal(void **state)
{
	static const uint32_t sizes[] = { 512, 4096, 65536 };

	(void)state;
	NEED_UFFD();
	for (int c = 0; c < 2; c++)
		for (unsigned i = 0; i < 3; i++) {
			build(tu_path("v.frc"), sizes[i], c);
			expect_exit0(in_child(child_equal, tu_path("v.frc"),
					      sizes[i], 0));
			expect_exit0(in_child(child_equal, tu_path("v.frc"),
					      sizes[i], FRC_MAP_FILL));
		}
}

static void test_damaged_page(void **state)
{
	frc_reader_t *r;
	frc_region_info_t g;
	int fd;

	(void)state;
	NEED_UFFD();
	build(tu_path("d.frc"), 4096, 0);
	r = frc_reader_new();
	assert_int_equal(frc_reader_open(r, tu_path("d.frc"), 0), FRC_OK);
	frc_reader_region(r, 0, &g, sizeof(g));
	frc_reader_free(r);
	fd = open(tu_path("d.frc"), O_RDWR);
	assert_true(fd >= 0);
	tu_flip(fd, g.pages_offset + 42 * 4096 + 100, 3); /* page 42: data */
	close(fd);
	ok_lo = 41;
	ok_hi = 43;
	expect_exit0(in_child(child_damaged, tu_path("d.frc"), 4096, 42));
}

static void test_damaged_frame(void **state)
{
	frc_reader_t *r;
	frc_region_info_t g;
	int fd;

	(void)state;
	NEED_UFFD();
	build(tu_path("z.frc"), 4096, 1);
	r = frc_reader_new();
	assert_int_equal(frc_reader_open(r, tu_path("z.frc"), 0), FRC_OK);
	frc_reader_region(r, 0, &g, sizeof(g));
	assert_int_equal(g.frame_pages, 16);
	frc_reader_free(r);
	fd = open(tu_path("z.frc"), O_RDWR);
	assert_true(fd >= 0);
	/* frame 3 (pages 48-63) starts at its slot */
	tu_flip(fd, g.pages_offset + 48 * 4096 + 30, 5);
	close(fd);
	ok_lo = 47;
	ok_hi = 64;
	expect_exit0(in_child(child_damaged, tu_path("z.frc"), 4096, 51));
}

static void test_fork(void **state)
{
	(void)state;
	NEED_UFFD();
	build(tu_path("f.frc"), 4096, 0);
	expect_exit0(in_child(child_fork, tu_path("f.frc"), 4096, 0));
}

static void test_misuse(void **state)
{
	frc_reader_t *r;
	const void *addr = (const void *)1;
	frc_map_status_t st;

	(void)state;
	build(tu_path("m.frc"), 4096, 0);
	r = frc_reader_new();
	assert_int_equal(frc_reader_open(r, tu_path("m.frc"), 0), FRC_OK);
	assert_int_equal(frc_reader_map_region_verified(r, 0, 0x80, &addr),
			 FRC_E_MISUSE);
	assert_null(addr);
	assert_int_equal(frc_reader_map_region_verified(r, 5, 0, &addr),
			 FRC_E_MISUSE);
	assert_int_equal(frc_reader_map_status(r, &st, &st, sizeof(st)),
			 FRC_E_MISUSE);
	frc_reader_free(r);
}

/* A region whose bitmap is damaged (salvage mode) cannot be verified. */
static void test_salvage(void **state)
{
	frc_reader_t *r;
	frc_region_info_t g;
	const void *addr = (const void *)1;
	int fd;

	(void)state;
	build(tu_path("s.frc"), 4096, 0);
	r = frc_reader_new();
	assert_int_equal(frc_reader_open(r, tu_path("s.frc"), 0), FRC_OK);
	frc_reader_region(r, 0, &g, sizeof(g));
	frc_reader_free(r);
	fd = open(tu_path("s.frc"), O_RDWR);
	assert_true(fd >= 0);
	tu_flip(fd, g.bitmap_offset, 0);
	close(fd);
	r = frc_reader_new();
	assert_int_equal(frc_reader_open(r, tu_path("s.frc"), FRC_OPEN_SALVAGE),
			 FRC_OK);
	frc_reader_region(r, 0, &g, sizeof(g));
	assert_int_equal(g.bitmap_valid, 0);
	assert_int_equal(frc_reader_map_region_verified(r, 0, 0, &addr),
			 FRC_E_INCOMPLETE);
	assert_null(addr);
	assert_non_null(strstr(frc_reader_errmsg(r), "bitmap"));
	frc_reader_free(r);
}

/*
 * A file whose page 42 and its checksum are those of one image while its
 * digest section is that of another (where page 42 differs): every XXH3
 * checksum a page read uses holds, the leaf of page 42 does not.
 */
static void test_digest_page(void **state)
{
	frc_section_info_t sa, sb;
	frc_reader_t *a, *b;
	uint8_t *bytes;
	int fd;

	(void)state;
	NEED_UFFD();
	build_as(tu_path("a.frc"), 4096, 0, 1, 0);
	build_as(tu_path("b.frc"), 4096, 0, 1, 1);
	a = frc_reader_new();
	b = frc_reader_new();
	assert_int_equal(frc_reader_open(a, tu_path("a.frc"), 0), FRC_OK);
	assert_int_equal(frc_reader_open(b, tu_path("b.frc"), 0), FRC_OK);
	assert_int_equal(frc_reader_section(a, 0, &sa, sizeof(sa)), FRC_OK);
	assert_int_equal(frc_reader_section(b, 0, &sb, sizeof(sb)), FRC_OK);
	assert_int_equal(sa.type, FRC_SECTION_DIGESTS);
	assert_int_equal(sa.length, sb.length);
	bytes = malloc(sb.length);
	assert_non_null(bytes);
	fd = open(tu_path("b.frc"), O_RDONLY);
	assert_int_equal(pread(fd, bytes, sb.length, (off_t)sb.offset),
			 (ssize_t)sb.length);
	close(fd);
	fd = open(tu_path("a.frc"), O_WRONLY);
	assert_int_equal(pwrite(fd, bytes, sb.length, (off_t)sa.offset),
			 (ssize_t)sb.length);
	close(fd);
	free(bytes);
	frc_reader_free(a);
	frc_reader_free(b);
	ok_lo = 41;
	ok_hi = 43;
	expect_class = FRC_E_DIGEST;
	expect_exit0(in_child(child_damaged, tu_path("a.frc"), 4096, 42));
	expect_class = FRC_E_CHECKSUM;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_equal),
		cmocka_unit_test(test_damaged_page),
		cmocka_unit_test(test_damaged_frame),
		cmocka_unit_test(test_digest_page),
		cmocka_unit_test(test_fork),
		cmocka_unit_test(test_misuse),
		cmocka_unit_test(test_salvage),
	};

	return cmocka_run_group_tests(tests, tu_setup_dir, tu_teardown_dir);
}
