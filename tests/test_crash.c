/*
 * test_crash.c - crash consistency: a writer process is killed with
 * SIGKILL at random points of a save (a third of the trials aimed at its
 * commit). Afterwards the file must read as incomplete (or not yet be an
 * FRC file at all), or as the complete committed state with every checksum
 * valid and exactly the data that was saved: never complete with wrong
 * contents. The same for a re-save over an existing file, which must then
 * be the old file or the new one, whole.
 *
 * SIGKILL ends the process, not the machine: what the kernel had accepted
 * still reaches the file. Power loss is the job of the flushes of SPEC
 * "Commit", which this test cannot cut.
 */
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

#include "testutil.h"

#define REGIONS 2
#define PAGES 1024 /* 4 MiB per region */
#define TRIALS 220
#define RESAVE_TRIALS 120

/* Page k of region r in version v of the guest: a third of pages zero. */
static void page_of(uint8_t *p, unsigned v, unsigned r, uint64_t k)
{
	if ((k + r + v) % 3 == 0)
		memset(p, 0, 4096);
	else
		tu_fill(p, 4096, (uint64_t)v << 48 | (uint64_t)r << 32 | k);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * The writer: every page written twice (first with the other version's
 * data), pages in a scattered order, a section, metadata, commit. Writes
 * 'C' to `mark` when commit starts and 'D' when it returns.
 */
static void writer(const char *path, unsigned v, int mark, int overwrite)
{
	frc_writer_options_t o = tu_opts();
	frc_writer_t *w = frc_writer_new();
	static uint8_t page[4096];

	o.overwrite = overwrite;
	if (frc_writer_open(w, path, &o, sizeof(o)))
		_exit(2);
	for (unsigned r = 0; r < REGIONS; r++) {
		char id[16];

		snprintf(id, sizeof(id), "ram%u", r);
		if (frc_writer_add_region(w, id, PAGES * 4096ull, 4096, NULL))
			_exit(2);
	}
	for (unsigned pass = 0; pass < 2; pass++)
		for (unsigned r = 0; r < REGIONS; r++)
			for (uint64_t i = 0; i < PAGES; i++) {
				uint64_t k = (i * 977) % PAGES;

				page_of(page, pass ? v : v + 1, r, k);
				if (frc_writer_write_page(w, r, k, page))
					_exit(2);
			}
	if (frc_writer_add_section(w, FRC_SECTION_DEVICE_STATE, 0, "state",
				   &v, sizeof(v)) ||
	    frc_writer_set_metadata(w, "version", v ? "new" : "old"))
		_exit(2);
	if (write(mark, "C", 1) != 1 || frc_writer_commit(w, NULL, NULL) ||
	    write(mark, "D", 1) != 1)
		_exit(2);
	frc_writer_free(w);
	_exit(0);
}

enum state { NOT_FRC, INCOMPLETE, COMPLETE_OLD, COMPLETE_NEW, BROKEN };

/* What the file at path is now, checked down to every byte. */
static enum state judge(const char *path)
{
	frc_reader_t *r = frc_reader_new();
	static uint8_t got[4096], want[4096];
	enum state st = BROKEN;
	int rc = access(path, F_OK) == 0 ? frc_reader_open(r, path, 0)
					 : FRC_E_NOT_FOUND;
	unsigned v = 0;

	if (rc == FRC_E_NOT_FOUND) {
		st = NOT_FRC; /* killed before it created the file */
	} else if (rc == FRC_E_INCOMPLETE) {
		st = INCOMPLETE;
	} else if (rc == FRC_E_TRUNCATED || rc == FRC_E_BAD_SIGNATURE ||
		   (rc == FRC_E_BAD_FIELD &&
		    strstr(frc_reader_errmsg(r), "both superblock copies are empty"))) {
		/* killed before the first superblock was written */
		st = NOT_FRC;
	} else if (rc == FRC_OK && frc_reader_verify(r, NULL, NULL) == FRC_OK &&
		   frc_reader_read_section(r, 0, &v, sizeof(v)) == FRC_OK &&
		   v <= 1) {
		st = v ? COMPLETE_NEW : COMPLETE_OLD;
		for (unsigned reg = 0; reg < REGIONS && st != BROKEN; reg++)
			for (uint64_t k = 0; k < PAGES; k++) {
				page_of(want, v, reg, k);
				if (frc_reader_read_page(r, reg, k, got) != FRC_OK ||
				    memcmp(got, want, 4096)) {
					st = BROKEN;
					break;
				}
			}
	}
	if (st == BROKEN)
		print_error("%s: %s\n", path, frc_reader_errmsg(r));
	frc_reader_free(r);
	return st;
}

/* Runs the writer once without a kill: how long, when commit starts. */
static void calibrate(const char *path, unsigned v, int overwrite,
		      double *total, double *commit)
{
	int fds[2];
	double t0 = now();
	char c;
	pid_t pid;

	assert_int_equal(pipe(fds), 0);
	pid = fork();
	if (pid == 0)
		writer(path, v, fds[1], overwrite);
	close(fds[1]);
	assert_int_equal(read(fds[0], &c, 1), 1);
	*commit = now() - t0;
	while (read(fds[0], &c, 1) == 1)
		;
	waitpid(pid, NULL, 0);
	*total = now() - t0;
	close(fds[0]);
}

struct tally {
	unsigned n[5];
	unsigned during_commit, after_commit;
};

/*
 * Forks a writer and kills it: `delay` seconds after it starts (mode 0),
 * `delay` seconds after it starts to commit (mode 1), or as soon as its
 * commit has returned (mode 2). Modes 1 and 2 wait for the writer's own
 * markers, so every phase is hit however fast or slow the machine is.
 */
static enum state trial(const char *path, unsigned v, int overwrite,
			int mode, double delay, struct tally *t)
{
	struct timespec ts = { (time_t)delay,
			       (long)((delay - (double)(time_t)delay) * 1e9) };
	char marks[4] = { 0 };
	int fds[2], status;
	ssize_t got = 0;
	pid_t pid;
	enum state st;

	assert_int_equal(pipe(fds), 0);
	pid = fork();
	if (pid == 0)
		writer(path, v, fds[1], overwrite);
	close(fds[1]);
	if (mode >= 1)
		got = read(fds[0], marks, 1); /* 'C': commit begins */
	if (mode == 2 && got == 1)
		got += read(fds[0], marks + 1, 1); /* 'D': commit done */
	if (mode < 2)
		nanosleep(&ts, NULL);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	if (got < 2) {
		ssize_t more = read(fds[0], marks + got, sizeof(marks) - 1 -
						       (size_t)got);

		got += more > 0 ? more : 0;
	}
	close(fds[0]);
	if (got >= 1 && marks[0] == 'C')
		got >= 2 ? t->after_commit++ : t->during_commit++;
	st = judge(path);
	t->n[st]++;
	return st;
}

static uint64_t seed = 12345;

/* Half the trials anywhere in the save, a third in the commit, the rest
 * right after it. */
static void pick(double total, double commit, int *mode, double *delay)
{
	uint64_t x = tu_rand(&seed);
	double u = (double)(x >> 11 & 0xffff) / 65536.0;

	switch (x % 6) {
	case 0: case 1: case 2:
		*mode = 0;
		*delay = total * 1.05 * u;
		break;
	case 3: case 4:
		*mode = 1;
		*delay = (total - commit) * 1.2 * u;
		break;
	default:
		*mode = 2;
		*delay = 0;
	}
}

static void test_kill_during_save(void **state)
{
	const char *path = tu_path("crash.frc");
	double total, commit;
	struct tally t;

	(void)state;
	memset(&t, 0, sizeof(t));
	calibrate(path, 1, 0, &total, &commit);
	assert_true(judge(path) == COMPLETE_NEW);
	for (int i = 0; i < TRIALS; i++) {
		int mode;
		double delay;

		unlink(path);
		pick(total, commit, &mode, &delay);
		assert_int_not_equal(trial(path, 1, 0, mode, delay, &t),
				     BROKEN);
	}
	print_message("kill during save: %d trials (%u during commit, %u "
		      "after): %u not yet FRC, %u incomplete, %u complete and "
		      "exact, %u broken\n",
		      TRIALS, t.during_commit, t.after_commit, t.n[NOT_FRC],
		      t.n[INCOMPLETE], t.n[COMPLETE_NEW], t.n[BROKEN]);
	assert_int_equal(t.n[BROKEN], 0);
	assert_int_equal(t.n[COMPLETE_OLD], 0);
	assert_true(t.n[INCOMPLETE] > 0 && t.n[COMPLETE_NEW] > 0);
	assert_true(t.during_commit > 0);
}

static void test_kill_during_resave(void **state)
{
	const char *path = tu_path("resave.frc");
	double total, commit;
	struct tally t;
	int fds[2];

	(void)state;
	memset(&t, 0, sizeof(t));
	assert_int_equal(pipe(fds), 0);
	unlink(path);
	calibrate(path, 0, 0, &total, &commit); /* the old file */
	assert_true(judge(path) == COMPLETE_OLD);
	calibrate(path, 1, 1, &total, &commit);
	assert_true(judge(path) == COMPLETE_NEW);
	for (int i = 0; i < RESAVE_TRIALS; i++) {
		enum state st;
		double delay;
		int mode;

		/* start every trial from the old file */
		if (judge(path) != COMPLETE_OLD) {
			double a, b;

			calibrate(path, 0, 1, &a, &b);
		}
		pick(total, commit, &mode, &delay);
		st = trial(path, 1, 1, mode, delay, &t);
		assert_true(st == COMPLETE_OLD || st == COMPLETE_NEW);
	}
	close(fds[0]);
	close(fds[1]);
	print_message("kill during re-save: %d trials (%u during commit, %u "
		      "after): %u old file whole, %u new file whole, %u other\n",
		      RESAVE_TRIALS, t.during_commit, t.after_commit,
		      t.n[COMPLETE_OLD], t.n[COMPLETE_NEW],
		      t.n[NOT_FRC] + t.n[INCOMPLETE] + t.n[BROKEN]);
	assert_true(t.n[COMPLETE_OLD] > 0 && t.n[COMPLETE_NEW] > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kill_during_save),
		cmocka_unit_test(test_kill_during_resave),
	};

	return cmocka_run_group_tests(tests, tu_setup_dir, tu_teardown_dir);
}
