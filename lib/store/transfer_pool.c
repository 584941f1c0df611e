/* transfer_pool.c — background transfers sized for the link (transfer_pool.h). */
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "store/transfer_pool.h"
#include "util/mem.h"

#define GAIN_NEEDED 1.1 /* a step up must raise the rate by this much to be kept */

struct job {
	hf_transfer_fn fn;
	hf_transfer_free_fn release;
	void *arg;
	uint64_t bytes;
	struct job *next;
};

struct hf_transfer_pool {
	pthread_mutex_t lock;
	pthread_cond_t work; /* a job queued, or stopping */
	pthread_cond_t room; /* a transfer finished */
	struct job *head, *tail;
	unsigned queued, running, limit, start, max, peak;
	pthread_t *threads;
	unsigned nthreads;
	int stopping, error;
	uint64_t done, bytes, waits;
	/* the last step of the limit: when, what had finished by then, and the
	 * rate at the limit before it (0: no step yet) */
	double step_at;
	uint64_t step_bytes, step_done;
	double rate_before;
	unsigned limit_before;
	int growing;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *transfer_thread(void *arg)
{
	struct hf_transfer_pool *p = arg;

	pthread_mutex_lock(&p->lock);
	for (;;) {
		struct job *j;
		int r, failed;

		while (!p->head && !p->stopping)
			pthread_cond_wait(&p->work, &p->lock);
		if (!p->head)
			break;
		j = p->head;
		failed = p->error;
		p->head = j->next;
		if (!p->head)
			p->tail = NULL;
		p->queued--;
		p->running++;
		if (p->running > p->peak)
			p->peak = p->running;
		pthread_mutex_unlock(&p->lock);
		/* after a failure the rest is not sent: it could not make the
		 * whole durable, and its own failures would hide the first */
		r = failed ? failed : j->fn(j->arg);
		j->release(j->arg);
		pthread_mutex_lock(&p->lock);
		p->running--;
		if (r < 0 && p->error == 0)
			p->error = r;
		p->done++;
		p->bytes += j->bytes;
		free(j);
		pthread_cond_broadcast(&p->room);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

struct hf_transfer_pool *hf_transfer_pool_new(unsigned start, unsigned max)
{
	struct hf_transfer_pool *p = hf_xcalloc(1, sizeof(*p));

	if (max < 1)
		max = 1;
	if (start < 1)
		start = 1;
	if (start > max)
		start = max;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->work, NULL);
	pthread_cond_init(&p->room, NULL);
	p->start = p->limit = start;
	p->max = max;
	p->threads = hf_xcalloc(max, sizeof(*p->threads));
	p->growing = 1;
	p->step_at = now_s();
	return p;
}

/* Called under the lock by a submit that found every slot taken: twice as
 * many, if the last step paid (see transfer_pool.h). A step is judged once
 * twice as many transfers as it allows have finished since (fewer let the
 * noise of one slow transfer decide); one that did not pay is taken back. */
static void maybe_grow(struct hf_transfer_pool *p)
{
	double t = now_s(), rate;

	if (!p->growing || p->done - p->step_done < 2 * (uint64_t)p->limit || t <= p->step_at)
		return;
	rate = (double)(p->bytes - p->step_bytes) / (t - p->step_at);
	if (p->rate_before > 0 && rate < GAIN_NEEDED * p->rate_before) {
		p->growing = 0; /* the link is full: the limit before was enough */
		p->limit = p->limit_before;
		return;
	}
	if (p->limit >= p->max) {
		p->growing = 0;
		return;
	}
	p->rate_before = rate;
	p->limit_before = p->limit;
	p->limit = p->limit * 2 < p->max ? p->limit * 2 : p->max;
	p->step_at = t;
	p->step_bytes = p->bytes;
	p->step_done = p->done;
}

int hf_transfer_pool_submit(struct hf_transfer_pool *p, hf_transfer_fn fn, hf_transfer_free_fn release, void *job,
			    uint64_t bytes)
{
	struct job *j;
	int r;

	pthread_mutex_lock(&p->lock);
	if (p->done == 0 && p->queued + p->running == 0)
		p->step_at = now_s(); /* the first rate is measured from the first transfer */
	if (p->queued + p->running >= p->limit && !p->error) {
		p->waits++;
		maybe_grow(p);
		while (p->queued + p->running >= p->limit && !p->error)
			pthread_cond_wait(&p->room, &p->lock);
	}
	if ((r = p->error) < 0) {
		pthread_mutex_unlock(&p->lock);
		release(job);
		return r;
	}
	if (p->nthreads < p->queued + p->running + 1 && p->nthreads < p->max &&
	    pthread_create(&p->threads[p->nthreads], NULL, transfer_thread, p) == 0)
		p->nthreads++;
	if (p->nthreads == 0) { /* no thread to be had: the caller does it */
		pthread_mutex_unlock(&p->lock);
		r = fn(job);
		release(job);
		pthread_mutex_lock(&p->lock);
		if (r < 0 && p->error == 0)
			p->error = r;
		p->done++;
		p->bytes += bytes;
		pthread_mutex_unlock(&p->lock);
		return r;
	}
	j = hf_xcalloc(1, sizeof(*j));
	*j = (struct job){.fn = fn, .release = release, .arg = job, .bytes = bytes};
	if (p->tail)
		p->tail->next = j;
	else
		p->head = j;
	p->tail = j;
	p->queued++;
	pthread_cond_signal(&p->work);
	pthread_mutex_unlock(&p->lock);
	return 0;
}

int hf_transfer_pool_wait(struct hf_transfer_pool *p)
{
	int r;

	pthread_mutex_lock(&p->lock);
	while (p->queued + p->running > 0)
		pthread_cond_wait(&p->room, &p->lock);
	r = p->error;
	pthread_mutex_unlock(&p->lock);
	return r;
}

void hf_transfer_pool_stats(struct hf_transfer_pool *p, struct hf_transfer_stats *out)
{
	pthread_mutex_lock(&p->lock);
	*out = (struct hf_transfer_stats){.limit = p->limit,
					  .peak = p->peak,
					  .done = p->done,
					  .bytes = p->bytes,
					  .waits = p->waits};
	pthread_mutex_unlock(&p->lock);
}

void hf_transfer_pool_free(struct hf_transfer_pool *p)
{
	if (!p)
		return;
	(void)hf_transfer_pool_wait(p); /* its failure was the last wait's to report */
	pthread_mutex_lock(&p->lock);
	p->stopping = 1;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->lock);
	for (unsigned i = 0; i < p->nthreads; i++)
		pthread_join(p->threads[i], NULL);
	pthread_cond_destroy(&p->work);
	pthread_cond_destroy(&p->room);
	pthread_mutex_destroy(&p->lock);
	free(p->threads);
	free(p);
}
