/*
 * test_robust.c - hostile sizes and concurrency: files that claim huge
 * counts and lengths are refused within a small address space and without
 * hanging; many readers share one file; readers of a file that is being
 * written see it incomplete or whole, never half-committed.
 */
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "craft.h"
#include "testutil.h"

#ifndef VECTOR_DIR
#define VECTOR_DIR "testvectors/v1"
#endif

/* Opens and verifies every file of dir; returns how many were opened. */
static int open_all(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[1024];
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)) != NULL) {
		frc_reader_t *r;

		if (!strstr(e->d_name, ".frc"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		r = frc_reader_new();
		if (frc_reader_open(r, path, 0) == FRC_OK)
			frc_reader_verify(r, NULL, NULL);
		frc_reader_free(r);
		r = frc_reader_new();
		frc_reader_open(r, path, FRC_OPEN_SALVAGE);
		frc_reader_free(r);
		n++;
	}
	closedir(d);
	return n;
}

/*
 * Every vector (those claiming 4097 regions, 2^33 pages, 2^40-byte
 * sections, more than 1 MiB of metadata among them) opened in a child
 * with 256 MiB of address space and a 60 s alarm: no crash, no hang, no
 * allocation beyond the bound (an allocation failure would be "nomem",
 * which no vector expects: each must get its own class or be accepted).
 */
static void test_small_address_space(void **state)
{
	pid_t pid;
	int status;

	(void)state;
	pid = fork();
	if (pid == 0) {
		struct rlimit rl = { 256u << 20, 256u << 20 };
		const char *sets[] = { "valid", "invalid", "future" };
		int total = 0;

		alarm(60);
		/* AddressSanitizer's shadow needs terabytes of address space,
		 * and valgrind's own memory counts against the limit: the
		 * bound is proven by the normal build */
		if (!getenv("ASAN_OPTIONS") && !getenv("FRC_UNDER_VALGRIND") &&
		    setrlimit(RLIMIT_AS, &rl) != 0)
			_exit(3);
		for (int i = 0; i < 3; i++) {
			char dir[256];
			int n;

			snprintf(dir, sizeof(dir), "%s/%s", VECTOR_DIR, sets[i]);
			n = open_all(dir);
			if (n <= 0)
				_exit(4);
			total += n;
		}
		_exit(total >= 150 ? 0 : 5);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* A region claiming 2^33 pages whose tables lie past the end of a tiny
 * file: out-of-bounds, found without allocating the 1 GiB bitmap. */
static void test_giant_claims(void **state)
{
	static const struct tu_region one[] = { { "r", 4, 4096 } };
	const char *path = tu_path("claim.frc");
	struct image im;
	uint8_t *e;
	pid_t pid;
	int status;

	(void)state;
	assert_int_equal(tu_build(path, one, 1, 1), FRC_OK);
	img_load(&im, path);
	e = img_region(&im, 0);
	frc_put32(e + 8, 512);
	frc_put64(e, (UINT64_C(1) << 33) * 512); /* 2^33 pages: at the limit */
	reseal_tables(&im);
	img_save(&im, path);
	img_free(&im);
	pid = fork();
	if (pid == 0) {
		struct rlimit rl = { 128u << 20, 128u << 20 };

		alarm(30);
		if (!getenv("ASAN_OPTIONS"))
			setrlimit(RLIMIT_AS, &rl);
		_exit(tu_open_code(path, 0) == FRC_E_OUT_OF_BOUNDS ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* Ids and names longer than 255 bytes are refused (SPEC "Limits"). */
static void test_name_limits(void **state)
{
	static const struct tu_region one[] = { { "r", 2, 4096 } };
	const char *path = tu_path("names.frc");
	struct image im;
	frc_writer_t *w = frc_writer_new();
	frc_writer_options_t o = tu_opts();
	char longname[300];

	(void)state;
	memset(longname, 'n', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(frc_writer_open(w, path, &o, sizeof(o)), FRC_OK);
	assert_int_equal(frc_writer_add_region(w, longname, 4096, 4096, NULL),
			 FRC_E_MISUSE);
	assert_int_equal(frc_writer_add_section(w, 1, 0, longname, "x", 1),
			 FRC_E_MISUSE);
	longname[256] = '\0'; /* a 256-byte metadata key: one too many */
	assert_int_equal(frc_writer_set_metadata(w, longname, "v"),
			 FRC_E_MISUSE);
	longname[255] = '\0';
	assert_int_equal(frc_writer_set_metadata(w, longname, "v"), FRC_OK);
	frc_writer_free(w);
	assert_int_equal(tu_build(path, one, 1, 1), FRC_OK);
	img_load(&im, path);
	frc_put16(img_section(&im, 1) + 32, 300); /* last section's name */
	reseal_tables(&im);
	img_save(&im, path);
	img_free(&im);
	assert_int_equal(tu_open_code(path, 0), FRC_E_BAD_FIELD);
}

struct shared {
	const char *path;
	frc_reader_t *r; /* shared reader, or NULL: one reader per thread */
	int errors;
};

static void *reader_thread(void *arg)
{
	struct shared *s = arg;
	frc_reader_t *r = s->r;
	uint8_t got[4096], want[4096];
	uint64_t x = (uint64_t)(uintptr_t)&got;

	if (!r) {
		r = frc_reader_new();
		if (frc_reader_open(r, s->path, 0) != FRC_OK)
			__atomic_fetch_add(&s->errors, 1, __ATOMIC_RELAXED);
	}
	for (int i = 0; i < 3000; i++) {
		uint64_t k = tu_rand(&x) % 96;

		tu_page(want, 4096, 0, k);
		if (frc_reader_read_page(r, 0, k, got) != FRC_OK ||
		    memcmp(got, want, 4096))
			__atomic_fetch_add(&s->errors, 1, __ATOMIC_RELAXED);
	}
	if (!s->r)
		frc_reader_free(r);
	return NULL;
}

/* 8 threads on one reader, then 8 readers of their own, at once. */
static void test_many_readers(void **state)
{
	static const struct tu_region one[] = { { "pc.ram", 96, 4096 } };
	struct shared s = { tu_path("many.frc"), NULL, 0 };
	pthread_t th[8];

	(void)state;
	assert_int_equal(tu_build(s.path, one, 1, 1), FRC_OK);
	for (int shared = 1; shared >= 0; shared--) {
		s.r = NULL;
		if (shared) {
			s.r = frc_reader_new();
			assert_int_equal(frc_reader_open(s.r, s.path, 0), FRC_OK);
		}
		for (int i = 0; i < 8; i++)
			pthread_create(&th[i], NULL, reader_thread, &s);
		for (int i = 0; i < 8; i++)
			pthread_join(th[i], NULL);
		frc_reader_free(s.r);
	}
	assert_int_equal(s.errors, 0);
}

struct race {
	const char *path;
	int done;
	int incomplete, complete, not_yet, wrong;
};

static void *racing_reader(void *arg)
{
	struct race *rc = arg;
	uint8_t got[4096], want[4096];

	while (!__atomic_load_n(&rc->done, __ATOMIC_ACQUIRE)) {
		frc_reader_t *r = frc_reader_new();
		int code = access(rc->path, F_OK) ? FRC_E_NOT_FOUND
						  : frc_reader_open(r, rc->path, 0);

		if (code == FRC_E_INCOMPLETE) {
			__atomic_fetch_add(&rc->incomplete, 1, __ATOMIC_RELAXED);
		} else if (code == FRC_OK) {
			int bad = frc_reader_verify(r, NULL, NULL) != FRC_OK;

			for (uint64_t k = 0; !bad && k < 256; k++) {
				tu_page(want, 4096, 0, k);
				bad = frc_reader_read_page(r, 0, k, got) != FRC_OK ||
				      memcmp(got, want, 4096);
			}
			__atomic_fetch_add(bad ? &rc->wrong : &rc->complete, 1,
					   __ATOMIC_RELAXED);
		} else if (code == FRC_E_NOT_FOUND || code == FRC_E_TRUNCATED ||
			   code == FRC_E_BAD_FIELD) {
			/* created but no superblock yet */
			__atomic_fetch_add(&rc->not_yet, 1, __ATOMIC_RELAXED);
		} else {
			print_error("reader saw %s\n", frc_reader_errmsg(r));
			__atomic_fetch_add(&rc->wrong, 1, __ATOMIC_RELAXED);
		}
		frc_reader_free(r);
	}
	return NULL;
}

/* Readers opening a file again and again while it is written. */
static void test_read_while_writing(void **state)
{
	struct race rc = { tu_path("race.frc"), 0, 0, 0, 0, 0 };
	frc_writer_options_t o = tu_opts();
	uint8_t page[4096];
	pthread_t th[3];

	(void)state;
	for (int round = 0; round < 5; round++) {
		frc_writer_t *w = frc_writer_new();

		unlink(rc.path);
		rc.done = 0;
		for (int i = 0; i < 3; i++)
			pthread_create(&th[i], NULL, racing_reader, &rc);
		assert_int_equal(frc_writer_open(w, rc.path, &o, sizeof(o)), FRC_OK);
		assert_int_equal(frc_writer_add_region(w, "ram", 256 * 4096, 4096,
						       NULL), FRC_OK);
		for (int pass = 0; pass < 3; pass++)
			for (uint64_t k = 0; k < 256; k++) {
				tu_page(page, 4096, 0, k);
				page[0] ^= (uint8_t)(pass != 2); /* last wins */
				assert_int_equal(frc_writer_write_page(w, 0, k,
								       page),
						 FRC_OK);
			}
		assert_int_equal(frc_writer_commit(w, NULL, NULL), FRC_OK);
		frc_writer_free(w);
		usleep(2000);
		__atomic_store_n(&rc.done, 1, __ATOMIC_RELEASE);
		for (int i = 0; i < 3; i++)
			pthread_join(th[i], NULL);
	}
	print_message("reads while writing: %d incomplete, %d complete and "
		      "exact, %d before any superblock, %d wrong\n",
		      rc.incomplete, rc.complete, rc.not_yet, rc.wrong);
	assert_int_equal(rc.wrong, 0);
	assert_true(rc.incomplete > 0);
	assert_true(rc.complete > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_small_address_space),
		cmocka_unit_test(test_giant_claims),
		cmocka_unit_test(test_name_limits),
		cmocka_unit_test(test_many_readers),
		cmocka_unit_test(test_read_while_writing),
	};

	return cmocka_run_group_tests(tests, tu_setup_dir, tu_teardown_dir);
}
