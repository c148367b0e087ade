/*
 * relay.c - the one worker thread of relay.h.
 */
#include "relay.h"

static void *relay_main(void *arg)
{
	struct relay *rl = arg;

	pthread_mutex_lock(&rl->lock);
	for (;;) {
		struct relay_job *job;

		while (!rl->count && !rl->stop)
			pthread_cond_wait(&rl->cond, &rl->lock);
		if (!rl->count)
			break;
		job = rl->queue[rl->head];
		pthread_mutex_unlock(&rl->lock);
		job->rc = rl->fn(rl->ctx, job);
		pthread_mutex_lock(&rl->lock);
		rl->head = (rl->head + 1) % RELAY_DEPTH;
		rl->count--;
		job->done = 1;
		pthread_cond_broadcast(&rl->cond);
	}
	pthread_mutex_unlock(&rl->lock);
	return NULL;
}

int relay_start(struct relay *rl, int (*fn)(void *, struct relay_job *),
		void *ctx)
{
	rl->fn = fn;
	rl->ctx = ctx;
	rl->head = rl->count = 0;
	rl->stop = rl->started = 0;
	if (pthread_mutex_init(&rl->lock, NULL))
		return -1;
	if (pthread_cond_init(&rl->cond, NULL)) {
		pthread_mutex_destroy(&rl->lock);
		return -1;
	}
	if (pthread_create(&rl->thread, NULL, relay_main, rl)) {
		pthread_cond_destroy(&rl->cond);
		pthread_mutex_destroy(&rl->lock);
		return -1;
	}
	rl->started = 1;
	return 0;
}

void relay_submit(struct relay *rl, struct relay_job *job)
{
	pthread_mutex_lock(&rl->lock);
	while (rl->count == RELAY_DEPTH)
		pthread_cond_wait(&rl->cond, &rl->lock);
	job->done = 0;
	job->rc = 0;
	rl->queue[(rl->head + rl->count) % RELAY_DEPTH] = job;
	rl->count++;
	pthread_cond_broadcast(&rl->cond);
	pthread_mutex_unlock(&rl->lock);
}

int relay_wait(struct relay *rl, struct relay_job *job)
{
	pthread_mutex_lock(&rl->lock);
	while (!job->done)
		pthread_cond_wait(&rl->cond, &rl->lock);
	pthread_mutex_unlock(&rl->lock);
	return job->rc;
}

void relay_stop(struct relay *rl)
{
	if (!rl->started)
		return;
	pthread_mutex_lock(&rl->lock);
	rl->stop = 1;
	pthread_cond_broadcast(&rl->cond);
	pthread_mutex_unlock(&rl->lock);
	pthread_join(rl->thread, NULL);
	pthread_cond_destroy(&rl->cond);
	pthread_mutex_destroy(&rl->lock);
	rl->started = 0;
}
