/* transfer_pool.h — transfers run in the background on a pool of threads,
 * as many at once as the link needs.
 *
 * A remote store hands a finished object (a pack: its name is known only at
 * the end) to the pool and goes on; wait() returns once every transfer
 * handed over has finished, with the first failure. A failure sticks: the
 * jobs still queued are dropped, later submits refuse theirs, and every
 * later wait returns it, so nothing written after a lost transfer can be
 * taken for durable.
 *
 * How many run at once is sized for the link, not set up front. It starts at
 * `start`. A submit that finds that many still running means the transfers,
 * not the producers, are what everyone waits for; then twice as many may
 * run, as long as the last step up raised the bytes finished per second by a
 * tenth or more (a link with a long round trip gains with each connection,
 * a link that is full gains nothing, and its last step is taken back).
 * Never more than `max`. */
#ifndef HF_STORE_TRANSFER_POOL_H
#define HF_STORE_TRANSFER_POOL_H

#include <stdint.h>

struct hf_transfer_pool;

/* performs job (on a pool thread): 0 or < 0 */
typedef int (*hf_transfer_fn)(void *job);
/* frees job, whether it ran or not */
typedef void (*hf_transfer_free_fn)(void *job);

struct hf_transfer_pool *hf_transfer_pool_new(unsigned start, unsigned max);
/* Waits for every transfer, stops the threads, frees p (NULL: nothing). */
void hf_transfer_pool_free(struct hf_transfer_pool *p);
/* Hands job (bytes long) to the pool, waiting while as many as it allows are
 * running: 0, and the pool frees the job when done; or the pool's failure,
 * and the job is freed at once. */
int hf_transfer_pool_submit(struct hf_transfer_pool *p, hf_transfer_fn fn, hf_transfer_free_fn release, void *job,
			    uint64_t bytes);
/* Waits until no transfer is queued or running: 0, or the first failure. */
int hf_transfer_pool_wait(struct hf_transfer_pool *p);

struct hf_transfer_stats {
	unsigned limit; /* transfers allowed at once now */
	unsigned peak;  /* the most that ran at once */
	uint64_t done;  /* transfers finished */
	uint64_t bytes; /* their bytes */
	uint64_t waits; /* submits that had to wait for a slot */
};
void hf_transfer_pool_stats(struct hf_transfer_pool *p, struct hf_transfer_stats *out);

#endif
