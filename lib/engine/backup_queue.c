/* backup_queue.c — the backup pipeline's two bounded job queues (file jobs
 * from the scanner, chunk jobs from workers reading a large file): the
 * scanner blocks while the file queue is full, until it is half empty; a
 * chunk is queued only when a worker idles, and workers take chunk jobs
 * first. */
#include <stdlib.h>
#include <string.h>

#include "engine/backup_internal.h"
#include "util/err.h"
#include "util/mem.h"

void hf_work_init(struct work *w, size_t files, size_t chunks)
{
	memset(w, 0, sizeof(*w));
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->more, NULL);
	pthread_cond_init(&w->room, NULL);
	w->fcap = files;
	w->ccap = chunks;
	w->files = hf_xcalloc(files, sizeof(*w->files));
	w->chunks = hf_xcalloc(chunks, sizeof(*w->chunks));
}

void hf_work_release(struct work *w)
{
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->more);
	pthread_cond_destroy(&w->room);
	free(w->files);
	free(w->chunks);
}

int hf_work_push_file(struct work *w, struct job *j)
{
	pthread_mutex_lock(&w->lock);
	while (w->fcount == w->fcap && !w->closed)
		pthread_cond_wait(&w->room, &w->lock);
	if (w->closed) {
		pthread_mutex_unlock(&w->lock);
		return -HF_E_CANCELED;
	}
	w->files[(w->fhead + w->fcount++) % w->fcap] = j;
	pthread_cond_signal(&w->more);
	pthread_mutex_unlock(&w->lock);
	return 0;
}

int hf_work_offer_chunk(struct work *w, struct job *j)
{
	int taken = 0;

	pthread_mutex_lock(&w->lock);
	if (__atomic_load_n(&w->idle, __ATOMIC_RELAXED) > (int)w->ccount && w->ccount < w->ccap && !w->closed) {
		w->chunks[(w->chead + w->ccount++) % w->ccap] = j;
		pthread_cond_signal(&w->more);
		taken = 1;
	}
	pthread_mutex_unlock(&w->lock);
	return taken;
}

void hf_work_close(struct work *w)
{
	pthread_mutex_lock(&w->lock);
	w->closed = 1;
	pthread_cond_broadcast(&w->more);
	pthread_cond_broadcast(&w->room);
	pthread_mutex_unlock(&w->lock);
}

/* chunk jobs first (a file is half done); NULL once closed and drained */
struct job *hf_work_pop(struct work *w)
{
	struct job *j = NULL;

	pthread_mutex_lock(&w->lock);
	for (;;) {
		if (w->ccount) {
			j = w->chunks[w->chead];
			w->chead = (w->chead + 1) % w->ccap;
			w->ccount--;
			break;
		}
		if (w->fcount) {
			j = w->files[w->fhead];
			w->fhead = (w->fhead + 1) % w->fcap;
			w->fcount--;
			/* the scanner waits for a full queue to drain to half
			 * (hf_work_push_file): one wake-up per fcap / 2 files,
			 * not one per file */
			if (w->fcount == w->fcap / 2)
				pthread_cond_signal(&w->room);
			break;
		}
		if (w->closed)
			break;
		__atomic_add_fetch(&w->idle, 1, __ATOMIC_RELAXED); /* read unlocked as a hint */
		pthread_cond_wait(&w->more, &w->lock);
		__atomic_sub_fetch(&w->idle, 1, __ATOMIC_RELAXED);
	}
	pthread_mutex_unlock(&w->lock);
	return j;
}
