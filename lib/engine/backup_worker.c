/* backup_worker.c — a worker thread of the backup pipeline: takes jobs
 * until the queues close, reading changed files (backup_file.c) and storing
 * the chunks other workers handed over (backup_store.c). */
#include <stdlib.h>

#include "engine/backup_internal.h"

static void do_chunk(struct bctx *c, struct job *j)
{
	struct backup *b = c->b;

	if (!__atomic_load_n(&b->err, __ATOMIC_RELAXED)) {
		int r = hf_backup_store_blob(c, HF_BLOB_DATA, j->data, j->len, j->part->id);
		if (r < 0)
			hf_backup_fail(b, r);
		j->part->len = j->len;
		j->part->kind = HF_PART_DATA;
	}
	free(j->data);
}

void *hf_backup_worker(void *arg)
{
	struct bctx *c = arg;
	struct job *j;

	pthread_setname_np(pthread_self(), "hf-worker");
	while ((j = hf_work_pop(&c->b->work)) != NULL) {
		if (j->kind == JOB_CHUNK)
			do_chunk(c, j);
		else if (!__atomic_load_n(&c->b->err, __ATOMIC_RELAXED))
			hf_backup_file(c, j);
		hf_backup_release_dir(c, j->dir);
		free(j);
	}
	return NULL;
}
