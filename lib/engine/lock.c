/* lock.c — lock maintenance on a store with Object Lock (docs/DESIGN.md,
 * Object Lock): `holdfast lock extend` and `lock status`.
 *
 * Every object is written locked for the repository's lock period. What
 * the repository still needs must stay locked past that: the config and key
 * files, the snapshots forget kept and the marks about them, the index
 * objects readers load, the pending plans, and every pack that holds a blob
 * of a kept snapshot (found by walking their trees, as prune does). Each of
 * those whose lock ends within the refresh window (half the period unless
 * told otherwise) is extended to a full period from now, by the store's
 * clock; nothing else is touched. So the locks of objects in use never run
 * out between two runs that are less than the window apart, the objects no
 * kept snapshot uses (forgotten snapshots, replaced index objects, the packs
 * prune condemns) are never extended and become deletable one period after
 * their last extension, and no run has to set locks years ahead.
 *
 * Objects are handled in batches of LOCK_BATCH, each spread over
 * LOCK_THREADS threads: every one is a HEAD and maybe a PUT, so a large
 * repository is bound by the store's latency, not by this machine. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "repo/mark.h"
#include "repo/pending.h"
#include "store/store.h"
#include "util/err.h"
#include "util/hex.h"
#include "util/idmap.h"
#include "util/mem.h"

#define LOCK_BATCH 4096
#define LOCK_THREADS 8

struct lock_item {
	int kind;
	char name[HF_STORE_NAME_MAX + 1];
};

struct lock_run {
	struct hf_repo *r;
	struct hf_store *st;
	const struct hf_lock_opts *o;
	struct hf_lock_stats *stats;
	int64_t now_s, if_before_s, until_s;
	struct hf_idmap *trees; /* trees walked */
	struct hf_idmap *packs; /* packs a kept snapshot uses */
	struct lock_item *batch;
	size_t nbatch;
	size_t next; /* the next item of the batch a thread takes */
	pthread_mutex_t lock;
};

static void report(const struct lock_run *lr, const char *what, int err)
{
	if (lr->o->report)
		lr->o->report(lr->o->report_arg, what, err);
}

/* one object in use: extended, or (status) its lock read; from any thread */
static void handle(struct lock_run *lr, const struct lock_item *it)
{
	struct hf_lock_stats *st = lr->stats;
	int64_t until = 0;
	int r;

	if (lr->o->status) {
		r = hf_store_lock_until(lr->st, it->kind, it->name, &until);
		pthread_mutex_lock(&lr->lock);
		if (r == 0 && until <= lr->now_s)
			st->unlocked++;
		else if (r == 0 && until < lr->if_before_s)
			st->due++;
		if (r == 0 && until > lr->now_s && (!st->earliest_s || until < st->earliest_s))
			st->earliest_s = until;
		pthread_mutex_unlock(&lr->lock);
	} else {
		r = hf_store_lock_extend(lr->st, it->kind, it->name, lr->if_before_s, lr->until_s);
		if (r > 0)
			__atomic_add_fetch(&st->extended, 1, __ATOMIC_RELAXED);
	}
	if (r < 0 && r != -HF_E_NOTFOUND) { /* gone meanwhile (a prune): nothing to keep */
		char what[96];
		snprintf(what, sizeof(what), "%s/%.16s: its lock cannot be %s", hf_store_kind_name(it->kind), it->name,
			 lr->o->status ? "read" : "extended");
		pthread_mutex_lock(&lr->lock);
		st->failed++;
		report(lr, what, r);
		pthread_mutex_unlock(&lr->lock);
	}
}

static void *batch_worker(void *arg)
{
	struct lock_run *lr = arg;

	for (;;) {
		size_t i = __atomic_fetch_add(&lr->next, 1, __ATOMIC_RELAXED);
		if (i >= lr->nbatch)
			return NULL;
		handle(lr, &lr->batch[i]);
	}
}

/* handles the batch on LOCK_THREADS threads (fewer if they cannot start) */
static void flush(struct lock_run *lr)
{
	pthread_t tids[LOCK_THREADS];
	int started = 0;

	lr->next = 0;
	for (; started < LOCK_THREADS && (size_t)started < lr->nbatch; started++)
		if (pthread_create(&tids[started], NULL, batch_worker, lr) != 0)
			break;
	if (started == 0)
		batch_worker(lr);
	for (int i = 0; i < started; i++)
		pthread_join(tids[i], NULL);
	lr->nbatch = 0;
}

static void visit(struct lock_run *lr, int kind, const char *name)
{
	struct lock_item *it;

	lr->stats->objects++;
	if (lr->nbatch == LOCK_BATCH)
		flush(lr);
	it = &lr->batch[lr->nbatch++];
	it->kind = kind;
	snprintf(it->name, sizeof(it->name), "%s", name);
}

static void visit_id(struct lock_run *lr, int kind, const uint8_t id[HF_ID_LEN])
{
	char name[HF_ID_HEX_LEN + 1];

	hf_hex_encode(id, HF_ID_LEN, name);
	visit(lr, kind, name);
}

/* the packs of every claim of blob id */
static int use_blob(struct lock_run *lr, const uint8_t id[HF_ID_LEN])
{
	const struct hf_index *ix = hf_repo_index(lr->r);

	for (const struct hf_blob_loc *l = hf_index_find(ix, id); l; l = hf_index_find_next(ix, id, l))
		if (hf_idmap_put(lr->packs, hf_index_pack_id(ix, l->pack), NULL, NULL) < 0)
			return -ENOMEM;
	return 0;
}

static int walk_tree(struct lock_run *lr, struct hf_blob_reader *br, const uint8_t id[HF_ID_LEN])
{
	struct hf_tree t;
	int r = hf_idmap_put(lr->trees, id, NULL, NULL);

	if (r <= 0)
		return r < 0 ? -ENOMEM : 0; /* walked already (a subtree shared with another snapshot) */
	r = use_blob(lr, id);
	if (r == 0)
		r = hf_tree_load(br, id, &t);
	if (r < 0)
		return r;
	for (size_t i = 0; i < t.n && r == 0; i++) {
		const struct hf_node *nd = &t.nodes[i];
		if (nd->meta.type == HF_FT_DIR)
			r = walk_tree(lr, br, nd->subtree);
		for (size_t k = 0; k < nd->nparts && r == 0; k++)
			if (nd->parts[k].kind == HF_PART_DATA)
				r = use_blob(lr, nd->parts[k].id);
	}
	hf_tree_release(&t);
	return r;
}

static int name_of(void *arg, const char *name, uint64_t size)
{
	(void)size;
	visit(arg, HF_OBJ_KEY, name);
	return 0;
}

/* snapshots, the marks about them, and their packs */
static int visit_snapshots(struct lock_run *lr)
{
	struct hf_snapshot *snaps = NULL;
	struct hf_mark *marks = NULL;
	struct hf_idmap *kept = hf_idmap_new(0);
	struct hf_blob_reader br;
	size_t nsnaps = 0, nmarks = 0, bad = 0;
	int r = kept ? hf_snapshot_list(lr->r, &snaps, &nsnaps, &bad) : -ENOMEM;

	if (r == 0 && bad)
		r = -HF_E_CORRUPT; /* a snapshot not read would lose its packs' locks */
	hf_blob_reader_init(&br, lr->r);
	for (size_t i = 0; i < nsnaps && r == 0; i++) {
		visit_id(lr, HF_OBJ_SNAPSHOT, snaps[i].id);
		r = hf_idmap_put(kept, snaps[i].id, NULL, NULL) < 0 ? -ENOMEM : walk_tree(lr, &br, snaps[i].tree);
	}
	hf_blob_reader_release(&br);
	if (r == 0)
		r = hf_mark_list(lr->r, &marks, &nmarks, NULL);
	for (size_t i = 0; i < nmarks && r == 0; i++)
		if (hf_idmap_get(kept, marks[i].snapshot) && marks[i].kind != HF_MARK_FORGOTTEN)
			visit_id(lr, HF_OBJ_MARK, marks[i].id);
	hf_mark_list_free(marks, nmarks);
	hf_snapshot_list_free(snaps, nsnaps);
	hf_idmap_free(kept);
	return r;
}

int hf_lock_extend(struct hf_repo *r, const struct hf_lock_opts *o, struct hf_lock_stats *st)
{
	const struct hf_repo_config *c = hf_repo_config(r);
	struct lock_run lr = {.r = r, .st = hf_repo_store(r), .o = o, .stats = st};
	struct hf_pending *plans = NULL;
	size_t nplans = 0, bad = 0, pos = 0;
	const uint8_t *id;
	int64_t now_ns;
	int ret;

	memset(st, 0, sizeof(*st));
	if (c->lock_mode == HF_LOCK_OFF)
		return -HF_E_USAGE; /* nothing is locked here */
	if (hf_repo_lock_missing(r))
		return -HF_E_REFUSED;
	ret = hf_store_now(lr.st, &now_ns);
	if (ret < 0)
		return ret;
	lr.now_s = now_ns / 1000000000;
	lr.until_s = lr.now_s + c->lock_period_s;
	lr.if_before_s =
		lr.now_s + (o->refresh_s > 0 && o->refresh_s <= c->lock_period_s ? o->refresh_s : c->lock_period_s / 2);
	st->until_s = lr.until_s;
	ret = hf_repo_load_index(r, &bad, NULL, NULL);
	if (ret == 0 && bad)
		ret = -HF_E_CORRUPT;
	if (ret < 0) {
		report(&lr, "the index cannot be read in full (run check)", ret);
		return ret;
	}
	lr.trees = hf_idmap_new(0);
	lr.packs = hf_idmap_new(0);
	lr.batch = hf_xcalloc(LOCK_BATCH, sizeof(*lr.batch));
	pthread_mutex_init(&lr.lock, NULL);
	if (!lr.trees || !lr.packs) {
		ret = -ENOMEM;
		goto out;
	}
	visit(&lr, HF_OBJ_CONFIG, "config");
	ret = hf_store_list(lr.st, HF_OBJ_KEY, name_of, &lr);
	if (ret == 0)
		ret = visit_snapshots(&lr);
	if (ret < 0) {
		report(&lr, "the snapshots cannot be read in full (run check)", ret);
		goto out;
	}
	for (size_t i = 0; i < hf_index_nfiles(hf_repo_index(r)); i++)
		visit(&lr, HF_OBJ_INDEX, hf_index_file(hf_repo_index(r), i));
	ret = hf_pending_list(r, &plans, &nplans, NULL);
	for (size_t i = 0; i < nplans; i++)
		visit_id(&lr, HF_OBJ_PENDING, plans[i].id);
	hf_pending_list_free(plans, nplans);
	while (ret == 0 && hf_idmap_next(lr.packs, &pos, &id, NULL))
		visit_id(&lr, HF_OBJ_PACK, id);
	st->packs = hf_idmap_count(lr.packs);
out:
	flush(&lr); /* also after a failure: what was found in use is kept locked */
	hf_idmap_free(lr.trees);
	hf_idmap_free(lr.packs);
	free(lr.batch);
	pthread_mutex_destroy(&lr.lock);
	return ret < 0 ? ret : st->failed ? -HF_E_UNAVAILABLE : 0;
}
