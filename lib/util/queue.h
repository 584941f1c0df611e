/* queue.h — bounded blocking multi-producer multi-consumer queue of pointers.
 *
 * push blocks while the queue is full: that is the back-pressure which keeps
 * the backup pipeline's memory flat. After hf_queue_close(), pushes fail with
 * -HF_E_CANCELED and pops drain what is left, then return NULL. */
#ifndef HF_UTIL_QUEUE_H
#define HF_UTIL_QUEUE_H

#include <stddef.h>

#include "util/err.h"

struct hf_queue;

HF_MUST_USE struct hf_queue *hf_queue_new(size_t capacity);
void hf_queue_free(struct hf_queue *q);
HF_MUST_USE int hf_queue_push(struct hf_queue *q, void *item);
void *hf_queue_pop(struct hf_queue *q); /* NULL when closed and empty */
void hf_queue_close(struct hf_queue *q);

#endif
