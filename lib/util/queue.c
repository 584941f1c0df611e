/* queue.c — bounded blocking MPMC pointer queue (see queue.h).
 *
 * A ring buffer under one mutex with two condition variables: producers wait
 * on not_full, consumers on not_empty. Closing wakes everyone; items still
 * queued are drained by pop and are owned by whoever pops them. */
#include <pthread.h>
#include <stdlib.h>

#include "util/err.h"
#include "util/queue.h"

struct hf_queue {
	pthread_mutex_t lock;
	pthread_cond_t not_full;
	pthread_cond_t not_empty;
	void **items;
	size_t cap;
	size_t head; /* next slot to pop */
	size_t count;
	int closed;
};

struct hf_queue *hf_queue_new(size_t capacity)
{
	struct hf_queue *q = NULL, *ret = NULL;
	int have_lock = 0, have_nf = 0;

	if (capacity == 0 || capacity > ((size_t)1 << 24))
		return NULL;
	q = calloc(1, sizeof(*q));
	if (!q)
		goto out;
	q->items = calloc(capacity, sizeof(*q->items));
	if (!q->items)
		goto out;
	if (pthread_mutex_init(&q->lock, NULL) != 0)
		goto out;
	have_lock = 1;
	if (pthread_cond_init(&q->not_full, NULL) != 0)
		goto out;
	have_nf = 1;
	if (pthread_cond_init(&q->not_empty, NULL) != 0)
		goto out;
	q->cap = capacity;
	ret = q;
	q = NULL;
out:
	if (q) {
		if (have_nf)
			pthread_cond_destroy(&q->not_full);
		if (have_lock)
			pthread_mutex_destroy(&q->lock);
		free(q->items);
		free(q);
	}
	return ret;
}

void hf_queue_free(struct hf_queue *q)
{
	if (!q)
		return;
	pthread_cond_destroy(&q->not_empty);
	pthread_cond_destroy(&q->not_full);
	pthread_mutex_destroy(&q->lock);
	free(q->items);
	free(q);
}

int hf_queue_push(struct hf_queue *q, void *item)
{
	int r = 0;

	if (!item)
		return -HF_E_USAGE; /* NULL is pop's "closed and empty" */
	pthread_mutex_lock(&q->lock);
	while (q->count == q->cap && !q->closed)
		pthread_cond_wait(&q->not_full, &q->lock);
	if (q->closed) {
		r = -HF_E_CANCELED;
		goto out;
	}
	q->items[(q->head + q->count) % q->cap] = item;
	q->count++;
	pthread_cond_signal(&q->not_empty);
out:
	pthread_mutex_unlock(&q->lock);
	return r;
}

void *hf_queue_pop(struct hf_queue *q)
{
	void *item = NULL;

	pthread_mutex_lock(&q->lock);
	while (q->count == 0 && !q->closed)
		pthread_cond_wait(&q->not_empty, &q->lock);
	if (q->count == 0)
		goto out;
	item = q->items[q->head];
	q->items[q->head] = NULL;
	q->head = (q->head + 1) % q->cap;
	q->count--;
	pthread_cond_signal(&q->not_full);
out:
	pthread_mutex_unlock(&q->lock);
	return item;
}

void hf_queue_close(struct hf_queue *q)
{
	pthread_mutex_lock(&q->lock);
	q->closed = 1;
	pthread_cond_broadcast(&q->not_full);
	pthread_cond_broadcast(&q->not_empty);
	pthread_mutex_unlock(&q->lock);
}
