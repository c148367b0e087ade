/*
 * relay.h - one worker thread beside the caller, for the QEMU paths: the
 * caller hands it jobs in order (at most RELAY_DEPTH outstanding), the
 * worker runs them in that order, and the caller waits for each before it
 * reuses the job's buffer. Import hands it pages to checksum and write
 * while it parses the next ones; export has it read and verify pages while
 * it writes the previous ones out.
 */
#ifndef FRC_RELAY_H
#define FRC_RELAY_H

#include <pthread.h>

#define RELAY_DEPTH 4

struct relay_job {
	int rc;   /* the worker's result */
	int done; /* set by the worker */
};

struct relay {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int (*fn)(void *ctx, struct relay_job *job);
	void *ctx;
	struct relay_job *queue[RELAY_DEPTH];
	unsigned head, count; /* jobs handed over and not yet taken */
	int stop, started;
};

/* Starts the worker; fn(ctx, job) runs there for every job. 0 or -1. */
int relay_start(struct relay *rl, int (*fn)(void *, struct relay_job *),
		void *ctx);
/* Hands a job over; blocks while RELAY_DEPTH jobs are outstanding. */
void relay_submit(struct relay *rl, struct relay_job *job);
/* Waits until the worker has run `job`; returns its result. */
int relay_wait(struct relay *rl, struct relay_job *job);
/* Runs what is queued, then ends the worker. Safe on a relay not started. */
void relay_stop(struct relay *rl);

#endif
