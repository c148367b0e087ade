/*
 * parallel.c - the work-sharing loop of the whole-region calls: threads
 * take numbered chunks from shared counters; the calling thread reports
 * progress and honours cancellation.
 */
#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "frc_internal.h"

#define MAX_THREADS 256

unsigned frc_default_threads(unsigned threads)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	if (threads)
		return threads > MAX_THREADS ? MAX_THREADS : threads;
	return n < 1 ? 1 : n > MAX_THREADS ? MAX_THREADS : (unsigned)n;
}

/*
 * A two-stage pipeline: `first` runs on n1 threads over every chunk, then
 * `second` runs on n2 threads over each chunk whose first stage is done.
 * The writer hashes (CPU) in the first stage and writes (I/O) in the
 * second; the reader does the reverse. So the disk always has n I/O
 * threads' requests queued while hashing happens beside them.
 */
struct pipe {
	int (*fn[2])(void *arg, uint64_t chunk, uint64_t *bytes);
	void *arg;
	uint64_t nchunks;
	uint64_t next[2];
	uint8_t *ready;   /* per chunk: first stage done */
	uint64_t done;    /* bytes through the second stage (atomic) */
	int stop, rc;
	uint64_t fail_at; /* the lowest chunk that failed (UINT64_MAX: none) */
	struct frc_err err; /* the message of that failure */
	unsigned running;
	pthread_mutex_t lock;
	pthread_cond_t cond;
};

struct pipe_worker {
	struct pipe *p;
	int stage;
};

/*
 * Records a failure with the failing thread's message. The failure of the
 * lowest chunk wins, whichever thread saw its failure first: so a pass on
 * many threads gives the verdict of a pass chunk by chunk (SPEC "Order of
 * checks"). Chunks below a failed one are still done; chunks above it are
 * not started. chunk UINT64_MAX ends everything (no thread, canceled).
 */
static void pipe_fail(struct pipe *p, int rc, uint64_t chunk)
{
	pthread_mutex_lock(&p->lock);
	if (!p->rc || chunk < p->fail_at) {
		p->rc = rc;
		p->fail_at = chunk;
		p->err = *frc_err_current();
	}
	if (chunk == UINT64_MAX)
		p->stop = 1;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
}

static void *pipe_thread(void *a)
{
	struct pipe_worker *w = a;
	struct pipe *p = w->p;
	int s = w->stage;

	for (;;) {
		uint64_t i = __atomic_fetch_add(&p->next[s], 1, __ATOMIC_RELAXED);
		uint64_t bytes = 0;
		int rc, stop;

		if (i >= p->nchunks)
			break;
		pthread_mutex_lock(&p->lock);
		while (s == 1 && !p->ready[i] && !p->stop && i < p->fail_at)
			pthread_cond_wait(&p->cond, &p->lock);
		stop = p->stop || i >= p->fail_at;
		pthread_mutex_unlock(&p->lock);
		if (stop)
			break;
		rc = p->fn[s](p->arg, i, &bytes);
		if (rc) {
			pipe_fail(p, rc, i);
			break;
		}
		if (s == 1 || !p->fn[1]) { /* the last stage: progress */
			__atomic_fetch_add(&p->done, bytes, __ATOMIC_RELAXED);
			continue;
		}
		pthread_mutex_lock(&p->lock);
		p->ready[i] = 1;
		pthread_cond_broadcast(&p->cond);
		pthread_mutex_unlock(&p->lock);
	}
	pthread_mutex_lock(&p->lock);
	p->running--;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

/* Waits up to 100 ms for the workers to finish; true when they have. */
static bool wait_workers(struct pipe *p)
{
	struct timespec ts;
	bool finished;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += 100 * 1000 * 1000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&p->lock);
	if (p->running > 0)
		pthread_cond_timedwait(&p->cond, &p->lock, &ts);
	finished = p->running == 0;
	pthread_mutex_unlock(&p->lock);
	return finished;
}

/* The pipeline of at most one chunk, on the calling thread. */
static int run_inline(const void *owner, uint64_t nchunks,
		      int (*first)(void *arg, uint64_t chunk, uint64_t *bytes),
		      int (*second)(void *arg, uint64_t chunk, uint64_t *bytes),
		      void *arg, struct frc_progress *pr)
{
	uint64_t bytes = 0;
	int rc = FRC_OK;

	if (nchunks == 1) {
		rc = first(arg, 0, &bytes);
		if (rc == FRC_OK && second)
			rc = second(arg, 0, &bytes);
	}
	if (rc)
		frc_err_adopt(owner, frc_err_current());
	else if (bytes && frc_progress_step(pr, bytes))
		rc = frc_fail_plain(FRC_ERR(owner), FRC_E_CANCELED,
				    "canceled by the progress callback");
	return rc;
}

int frc_pipeline_run(const void *owner, const char *path,
		     unsigned n1, unsigned n2, uint64_t nchunks,
		     int (*first)(void *arg, uint64_t chunk, uint64_t *bytes),
		     int (*second)(void *arg, uint64_t chunk, uint64_t *bytes),
		     void *arg, struct frc_progress *pr)
{
	struct pipe p = { .fn = { first, second }, .arg = arg,
			  .nchunks = nchunks, .fail_at = UINT64_MAX,
			  .lock = PTHREAD_MUTEX_INITIALIZER,
			  .cond = PTHREAD_COND_INITIALIZER };
	struct pipe_worker w[2] = { { &p, 0 }, { &p, 1 } };
	pthread_t th[2 * MAX_THREADS];
	unsigned started[2] = { 0, 0 }, want[2];
	uint64_t reported = 0;

	if (nchunks <= 1) /* one chunk: no thread is worth its start */
		return run_inline(owner, nchunks, first, second, arg, pr);
	/* never more workers than chunks (a file of many small regions
	 * starts a pipeline per region) */
	want[0] = frc_default_threads(n1);
	want[1] = second ? frc_default_threads(n2) : 0;
	for (int k = 0; k < 2; k++)
		if (want[k] > nchunks)
			want[k] = (unsigned)nchunks;
	p.ready = calloc(nchunks ? nchunks : 1, 1);
	if (!p.ready)
		return frc_fail_plain(FRC_ERR(owner), FRC_E_NOMEM,
				      "%s: out of memory", path);
	p.running = want[0] + want[1];
	for (int s = 0; s < 2; s++)
		for (; started[s] < want[s]; started[s]++)
			if (pthread_create(&th[s * MAX_THREADS + started[s]],
					   NULL, pipe_thread, &w[s]) != 0)
				break;
	pthread_mutex_lock(&p.lock);
	p.running -= want[0] - started[0] + want[1] - started[1];
	pthread_mutex_unlock(&p.lock);
	if (!started[0] || (second && !started[1])) { /* a stage cannot run */
		frc_fail_plain(FRC_ERR(owner), FRC_E_NOMEM,
			       "%s: cannot start a thread", path);
		pipe_fail(&p, FRC_E_NOMEM, UINT64_MAX);
	}
	for (bool finished = false; !finished;) {
		uint64_t done;

		finished = wait_workers(&p);
		done = __atomic_load_n(&p.done, __ATOMIC_RELAXED);
		if (done != reported &&
		    frc_progress_step(pr, done - reported)) {
			frc_fail_plain(FRC_ERR(owner), FRC_E_CANCELED,
				       "%s: canceled by the progress callback",
				       path);
			pipe_fail(&p, FRC_E_CANCELED, UINT64_MAX);
		}
		reported = done;
	}
	for (int s = 0; s < 2; s++)
		for (unsigned i = 0; i < started[s]; i++)
			pthread_join(th[s * MAX_THREADS + i], NULL);
	if (p.done != reported && !p.rc)
		frc_progress_step(pr, p.done - reported);
	free(p.ready);
	if (p.rc)
		frc_err_adopt(owner, &p.err);
	pthread_cond_destroy(&p.cond);
	pthread_mutex_destroy(&p.lock);
	return p.rc;
}

static pthread_mutex_t slot_lock = PTHREAD_MUTEX_INITIALIZER;

void *frc_thread_object(struct frc_thread_slot *s)
{
	void *p;

	if (!__atomic_load_n(&s->ready, __ATOMIC_ACQUIRE)) {
		pthread_mutex_lock(&slot_lock);
		if (!s->ready && pthread_key_create(&s->key, s->destroy) == 0)
			__atomic_store_n(&s->ready, 1, __ATOMIC_RELEASE);
		pthread_mutex_unlock(&slot_lock);
		if (!s->ready)
			return NULL;
	}
	p = pthread_getspecific(s->key);
	if (!p && (p = s->make()) != NULL &&
	    pthread_setspecific(s->key, p) != 0) {
		s->destroy(p);
		p = NULL;
	}
	return p;
}
