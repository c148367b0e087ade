/*
 * parallel.c - a small work-sharing loop for the whole-region calls: N
 * threads take numbered chunks from a shared counter; the calling thread
 * reports progress and honours cancellation.
 */
#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "frc_internal.h"

#define MAX_THREADS 256

struct pool {
	int (*fn)(void *arg, uint64_t chunk, uint64_t *bytes);
	void *arg;
	uint64_t nchunks;
	uint64_t next;    /* next chunk to take (atomic) */
	uint64_t done;    /* bytes processed (atomic) */
	int stop;         /* set on error or cancellation (atomic) */
	int rc;           /* first error (guarded by lock) */
	unsigned running; /* workers still running (atomic) */
	pthread_mutex_t lock;
};

static void *worker(void *p)
{
	struct pool *pl = p;

	while (!__atomic_load_n(&pl->stop, __ATOMIC_RELAXED)) {
		uint64_t i = __atomic_fetch_add(&pl->next, 1, __ATOMIC_RELAXED);
		uint64_t bytes = 0;
		int rc;

		if (i >= pl->nchunks)
			break;
		rc = pl->fn(pl->arg, i, &bytes);
		__atomic_fetch_add(&pl->done, bytes, __ATOMIC_RELAXED);
		if (rc) {
			pthread_mutex_lock(&pl->lock);
			if (!pl->rc)
				pl->rc = rc;
			pthread_mutex_unlock(&pl->lock);
			__atomic_store_n(&pl->stop, 1, __ATOMIC_RELAXED);
		}
	}
	__atomic_fetch_sub(&pl->running, 1, __ATOMIC_RELEASE);
	return NULL;
}

unsigned frc_default_threads(unsigned threads)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	if (threads)
		return threads > MAX_THREADS ? MAX_THREADS : threads;
	return n < 1 ? 1 : n > MAX_THREADS ? MAX_THREADS : (unsigned)n;
}

static void nap(void)
{
	struct timespec ts = { 0, 20 * 1000 * 1000 };

	nanosleep(&ts, NULL);
}

int frc_parallel_run(unsigned threads, uint64_t nchunks,
		     int (*fn)(void *arg, uint64_t chunk, uint64_t *bytes),
		     void *arg, struct frc_progress *pr)
{
	struct pool pl = { fn, arg, nchunks, 0, 0, 0, 0, 0,
			   PTHREAD_MUTEX_INITIALIZER };
	pthread_t th[MAX_THREADS];
	unsigned n = frc_default_threads(threads), started = 0;
	uint64_t reported = 0;

	if (n > nchunks)
		n = nchunks ? (unsigned)nchunks : 1;
	pl.running = n;
	for (; started < n; started++)
		if (pthread_create(&th[started], NULL, worker, &pl) != 0)
			break;
	__atomic_fetch_sub(&pl.running, n - started, __ATOMIC_RELEASE);
	if (started == 0)
		worker(&pl); /* no thread could start: do the work here */
	while (__atomic_load_n(&pl.running, __ATOMIC_ACQUIRE) > 0) {
		uint64_t done = __atomic_load_n(&pl.done, __ATOMIC_RELAXED);

		if (done != reported && frc_progress_step(pr, done - reported)) {
			__atomic_store_n(&pl.stop, 1, __ATOMIC_RELAXED);
			if (!pl.rc)
				pl.rc = FRC_E_CANCELED;
		}
		reported = done;
		nap();
	}
	for (unsigned i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	if (pl.done != reported && !pl.rc)
		frc_progress_step(pr, pl.done - reported);
	pthread_mutex_destroy(&pl.lock);
	return pl.rc;
}
