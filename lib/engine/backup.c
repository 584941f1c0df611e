/* backup.c — one backup: choose the parent snapshot, run the scanner and the
 * workers, then write the last packs, the index and the snapshot, in that
 * order, so that a snapshot never names data that is not yet stored. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "engine/backup_internal.h"
#include "repo/pending.h"
#include "store/store.h"
#include "util/err.h"
#include "util/hex.h"
#include "util/mem.h"

static int same_paths(const struct hf_snapshot *s, char **paths, size_t n)
{
	if (s->npaths != n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (strcmp(s->paths[i], paths[i]) != 0)
			return 0;
	return 1;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* sorted copy of the paths, without those inside another named path */
static char **clean_paths(char **in, size_t n, size_t *out_n)
{
	char **v = hf_xcalloc(n ? n : 1, sizeof(char *));
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		v[i] = in[i];
	qsort(v, n, sizeof(char *), cmp_str);
	for (size_t i = 0; i < n; i++) {
		int inside = 0;
		for (size_t j = 0; j < k && !inside; j++) {
			size_t l = strlen(v[j]);
			inside = strcmp(v[j], v[i]) == 0 || strcmp(v[j], "/") == 0 ||
				 (strncmp(v[j], v[i], l) == 0 && v[i][l] == '/');
		}
		if (!inside)
			v[k++] = v[i];
	}
	*out_n = k;
	return v;
}

static int find_parent(struct hf_repo *r, const struct hf_backup_opts *o, char **paths, size_t n,
		       struct hf_snapshot *parent)
{
	struct hf_snapshot *all = NULL;
	size_t count = 0;
	int64_t now = hf_snapshot_clock_now();
	int found = 0, ret;

	ret = hf_snapshot_list(r, &all, &count, NULL);
	if (ret < 0)
		return ret;
	/* the newest of this host and paths, but never one whose time is in
	 * doubt (far in the future, or far from its arrival at a server): it
	 * would stay the parent of every later backup */
	for (size_t i = count; i-- > 0;) {
		if (strcmp(all[i].host, o->host ? o->host : "") == 0 && same_paths(&all[i], paths, n) &&
		    !hf_snapshot_time_doubtful(&all[i], now)) {
			*parent = all[i];
			memset(&all[i], 0, sizeof(all[i]));
			found = 1;
			break;
		}
	}
	hf_snapshot_list_free(all, count);
	return found;
}

/* A snapshot that cannot be relied on (*err: why) is removed again; a store
 * that refuses leaves it, and says so: after a prune was found at work,
 * in the error; after the check itself failed (the store out of reach, say),
 * the error stays that and a line beside it says the snapshot is left. */
static void withdraw(struct backup *b, const uint8_t id[HF_ID_LEN], int *err)
{
	char name[HF_ID_HEX_LEN + 1];

	hf_hex_encode(id, HF_ID_LEN, name);
	if (hf_delete(b->repo, HF_OBJ_SNAPSHOT, name) == 0)
		return;
	if (*err == -HF_E_RACE)
		*err = -HF_E_UNSAFE;
	else
		hf_backup_report(b, NULL,
				 "the check for a prune running at the same time failed, and the store would not let "
				 "the new snapshot be withdrawn: do not rely on it; run the backup again",
				 *err, 1);
}

/* The pending deletions at the start: their packs are never deduplicated
 * against (this backup stores such blobs again). */
static int read_plans(struct backup *b)
{
	struct hf_repo *r = b->repo;
	struct hf_pending *plans = NULL;
	size_t n = 0;
	int ret;

	b->npacks = hf_index_npacks(hf_repo_index(r));
	b->condemned = hf_xcalloc(b->npacks + 1, 1);
	b->relied = hf_xcalloc(b->npacks + 1, 1);
	b->plans_seen = hf_idmap_new(0);
	ret = hf_store_now(hf_repo_store(r), &b->start_ns);
	if (ret == 0)
		ret = hf_pending_list(r, &plans, &n, NULL);
	for (size_t i = 0; i < n && ret == 0; i++) {
		if (hf_idmap_put(b->plans_seen, plans[i].id, NULL, NULL) < 0)
			ret = -ENOMEM;
		for (size_t k = 0; k < plans[i].npacks; k++) {
			/* every entry of the pack (one per key an index names it with) */
			for (uint32_t e = hf_index_pack_first(hf_repo_index(r), plans[i].packs[k]); e < b->npacks;
			     e = hf_index_pack_next(hf_repo_index(r), e))
				b->condemned[e] = 1;
		}
	}
	hf_pending_list_free(plans, n);
	return ret;
}

static int note_pack(void *arg, const char *name, uint64_t size)
{
	uint8_t id[HF_ID_LEN];

	(void)size;
	if (hf_hex_decode(name, id, HF_ID_LEN) == 0 && hf_idmap_put(arg, id, NULL, NULL) < 0)
		return -ENOMEM;
	return 0;
}

/* the packs this backup wrote: listed by index objects of its session. A
 * dedup-only index (write-only key) has no pack keys to tell them by: every
 * pack that appeared since the start counts as this backup's, which can only
 * make the check below stricter (a plan due for another writer's new pack
 * withdraws this snapshot too). */
static void note_own_packs(struct backup *b)
{
	const struct hf_index *ix = hf_repo_index(b->repo);
	int dedup = hf_index_dedup_only(ix);

	b->relied = hf_xreallocarray(b->relied, hf_index_npacks(ix) + 1, 1);
	for (size_t k = b->npacks; k < hf_index_npacks(ix); k++)
		b->relied[k] = dedup || memcmp(hf_index_pack_key(ix, k), b->session->key, HF_KEY_LEN) == 0;
}

/* A prune may have condemned, after this backup started, a pack it relies on
 * (deduplicated against, or written itself); the snapshot is safe if that
 * plan is still far from due, since the prune carrying it out will see the
 * snapshot and rescue the pack. A plan is taken as due for this check at half
 * its grace period, which leaves room for the time between reading the
 * store's clock and the plan becoming visible. A plan already carried out and
 * gone has deleted its packs first: those are checked to exist. -HF_E_RACE if
 * the snapshot cannot be relied on. */
static int check_prune_safe(struct backup *b)
{
	struct hf_repo *r = b->repo;
	struct hf_pending *plans = NULL;
	struct hf_idmap *present = hf_idmap_new(0);
	size_t n = 0;
	int64_t now;
	int ret, unsafe = 0;

	ret = hf_repo_refresh_index(r);
	if (ret == 0) {
		note_own_packs(b);
		ret = hf_store_now(hf_repo_store(r), &now);
	}
	if (ret == 0)
		ret = hf_pending_list(r, &plans, &n, NULL);
	for (size_t i = 0; ret == 0 && i < n && !unsafe; i++) {
		if (hf_idmap_get(b->plans_seen, plans[i].id) || now - plans[i].time_ns < plans[i].grace_ns / 2)
			continue;
		for (size_t k = 0; k < plans[i].npacks && !unsafe; k++) {
			for (uint32_t e = hf_index_pack_first(hf_repo_index(r), plans[i].packs[k]);
			     e < hf_index_npacks(hf_repo_index(r)) && !unsafe;
			     e = hf_index_pack_next(hf_repo_index(r), e))
				unsafe = b->relied[e];
		}
	}
	if (ret == 0 && !unsafe)
		ret = hf_store_list(hf_repo_store(r), HF_OBJ_PACK, note_pack, present);
	for (size_t k = 0; ret == 0 && k < hf_index_npacks(hf_repo_index(r)) && !unsafe; k++)
		unsafe = b->relied[k] && !hf_idmap_get(present, hf_index_pack_id(hf_repo_index(r), k));
	hf_pending_list_free(plans, n);
	hf_idmap_free(present);
	return ret < 0 ? ret : unsafe ? -HF_E_RACE : 0;
}

int hf_backup(struct hf_repo *r, const struct hf_backup_opts *o, struct hf_backup_stats *st)
{
	struct backup b;
	struct hf_snapshot parent, snap;
	struct hf_tree parent_root;
	struct bctx *ctx = NULL;
	pthread_t *tids = NULL;
	char **paths = NULL;
	size_t npaths = 0;
	int nthreads = o->threads > 0 ? o->threads : (int)sysconf(_SC_NPROCESSORS_ONLN);
	int started = 0, ret, have_parent;
	struct timespec now;

	memset(&b, 0, sizeof(b));
	memset(st, 0, sizeof(*st));
	memset(&parent, 0, sizeof(parent));
	memset(&snap, 0, sizeof(snap));
	memset(&parent_root, 0, sizeof(parent_root));
	b.repo = r;
	b.o = o;
	b.st = st;
	if (nthreads < 1)
		nthreads = 1;
	if (nthreads > 64)
		nthreads = 64;
	/* a write-only key deduplicates against the index objects' id lists
	 * (blob id → pack, enough for the pending deletions below) */
	if (!hf_repo_index(r) && (ret = hf_repo_write_only(r) ? hf_repo_load_dedup(r, NULL, NULL, NULL)
							      : hf_repo_load_index(r, NULL, NULL, NULL)) < 0)
		return ret;
	hf_blob_reader_init(&b.prev_reader, r);
	if ((ret = read_plans(&b)) < 0)
		goto out;
	paths = clean_paths(o->paths, o->npaths, &npaths);
	/* a write-only key reads no snapshot: its parent is the last snapshot
	 * it saved, from its local cache (backup_cache.c); without one, every
	 * file is read and chunked again, and deduplication stores only what
	 * is new */
	if (hf_repo_write_only(r) && o->cache_dir && (ret = hf_bcache_open(r, o->cache_dir, &b.cache)) < 0) {
		hf_backup_report(&b, o->cache_dir, "cannot use the local cache (every file is read)", ret, 0);
		b.cache = NULL;
	}
	if (!hf_repo_write_only(r))
		ret = have_parent = find_parent(r, o, paths, npaths, &parent);
	else
		ret = have_parent = b.cache ? hf_bcache_parent(b.cache, o->host ? o->host : "", paths, npaths,
							       parent.id, parent.tree)
					    : 0;
	if (ret < 0)
		goto out;
	if (have_parent && b.cache && hf_backup_load_prev(&b, parent.tree, &parent_root) < 0) {
		memset(&parent_root, 0, sizeof(parent_root)); /* a cache without its root: as none */
		have_parent = 0;
	}
	if (have_parent) {
		ret = b.cache ? 0 : hf_tree_load(&b.prev_reader, parent.tree, &parent_root);
		if (ret < 0) { /* damaged parent: read everything */
			memset(&parent_root, 0, sizeof(parent_root));
			hf_backup_parent_damaged(&b, "/", ret);
			ret = 0;
		}
		st->has_parent = 1;
		memcpy(st->parent, parent.id, HF_ID_LEN);
		if (o->progress)
			o->progress->total_bytes = parent.bytes;
	}
	/* a first backup profiles lightly (docs/DETECTION.md), and a later scan
	 * reads the stored bytes where a rule needs more; a write-only client's
	 * scan cannot, so its first backup profiles in full */
	b.full_profiles = (have_parent && parent_root.n > 0) || hf_repo_write_only(r);
	hf_random(&b.block_key, sizeof(b.block_key));
	if (o->collect_changes && b.full_profiles)
		b.changes = hf_changes_new();
	b.detect = o->no_profiles ? NULL : hf_detect_new();
	ret = hf_session_new(r, &b.session);
	if (ret < 0)
		goto out;
	b.ib = hf_index_builder_new(r, b.session);
	pthread_mutex_init(&b.seen_lock, NULL);
	b.seen = hf_idmap_new(0);
	/* file jobs carry no data: many can wait; chunk jobs carry a chunk each */
	hf_work_init(&b.work, 1024, (size_t)nthreads);
	hf_bctx_init(&b.scanner, &b, 0);
	pthread_mutex_init(&b.trees_lock, NULL);
	b.trees = hf_pack_writer_new(r, b.session);
	ctx = hf_xcalloc((size_t)nthreads, sizeof(*ctx));
	tids = hf_xcalloc((size_t)nthreads, sizeof(*tids));
	for (; started < nthreads; started++) {
		hf_bctx_init(&ctx[started], &b, 1);
		if (pthread_create(&tids[started], NULL, hf_backup_worker, &ctx[started]) != 0) {
			hf_bctx_release(&ctx[started]);
			break;
		}
	}
	if (started == 0) {
		ret = -EAGAIN;
		goto out_threads;
	}
	{
		struct hf_backup_opts local = *o; /* with the cleaned path list */
		local.paths = paths;
		local.npaths = npaths;
		b.o = &local;
		ret = hf_backup_walk(&b, have_parent ? &parent_root : NULL, parent.tree);
		hf_work_close(&b.work);
		for (int i = 0; i < started; i++)
			pthread_join(tids[i], NULL);
		b.o = o;
	}
	{ /* the first error any thread met wins over the cancellations it caused */
		int first = __atomic_load_n(&b.err, __ATOMIC_SEQ_CST);
		if (first && (ret == 0 || ret == -HF_E_CANCELED))
			ret = first;
	}
	for (int i = 0; i < started && ret == 0; i++)
		ret = hf_pack_flush(ctx[i].pack, b.ib);
	if (ret == 0)
		ret = hf_pack_flush(b.scanner.pack, b.ib);
	if (ret == 0)
		ret = hf_pack_flush(b.trees, b.ib);
	if (ret == 0)
		ret = hf_index_builder_write(b.ib);
	if (ret < 0) {
		/* best effort, for the next backup to reuse the packs that made it;
		 * ret already says what failed */
		int listed = hf_index_builder_write(b.ib);
		(void)listed;
	}
	hf_idmap_free(b.seen); /* every blob is stored: the index takes over (a first backup's largest map) */
	b.seen = NULL;
	if (ret == 0 && !b.have_root)
		ret = -HF_E_CORRUPT;
	if (ret < 0)
		goto out_threads;
	clock_gettime(CLOCK_REALTIME, &now);
	snap.time_ns = o->time_ns ? o->time_ns : (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
	snap.host = hf_xstrdup(o->host ? o->host : "");
	snap.user = hf_xstrdup(o->user ? o->user : "");
	snap.paths = hf_xcalloc(npaths ? npaths : 1, sizeof(char *));
	for (size_t i = 0; i < npaths; i++)
		snap.paths[snap.npaths++] = hf_xstrdup(paths[i]);
	snap.excludes = hf_xcalloc(o->nexcludes ? o->nexcludes : 1, sizeof(char *));
	for (size_t i = 0; i < o->nexcludes; i++)
		snap.excludes[snap.nexcludes++] = hf_xstrdup(o->excludes[i]);
	memcpy(snap.tree, b.root, HF_ID_LEN);
	snap.has_parent = have_parent;
	if (have_parent)
		memcpy(snap.parent, parent.id, HF_ID_LEN);
	snap.files = b.files_total;
	snap.dirs = b.dirs_total;
	snap.bytes = b.bytes_total;
	snap.errors = (uint32_t)st->errors;
	ret = hf_snapshot_write(r, b.session, &snap);
	if (ret == 0 && (ret = check_prune_safe(&b)) < 0)
		withdraw(&b, snap.id, &ret);
	if (ret == 0 && b.cache) {
		int cr = hf_bcache_commit(b.cache, snap.id, snap.tree, snap.host, paths, npaths);
		if (cr < 0) /* the snapshot is saved; the next backup reads everything */
			hf_backup_report(&b, o->cache_dir, "cannot update the local cache", cr, 0);
	}
	if (ret == 0) {
		memcpy(st->snapshot, snap.id, HF_ID_LEN);
		if (b.changes)
			hf_scan_changes_done(b.changes, parent.tree, b.root);
		st->changes = b.changes;
		b.changes = NULL;
	}
	st->dirs = b.dirs_total;
	st->bytes_total = b.bytes_total;
	st->bytes_stored = b.ib ? hf_index_builder_bytes_stored(b.ib) : 0;
out_threads:
	for (int i = 0; i < started; i++)
		hf_bctx_release(&ctx[i]);
	hf_bctx_release(&b.scanner);
	hf_pack_writer_free(b.trees);
	pthread_mutex_destroy(&b.trees_lock);
	free(ctx);
	free(tids);
	hf_work_release(&b.work);
	hf_idmap_free(b.seen);
	pthread_mutex_destroy(&b.seen_lock);
	hf_index_builder_free(b.ib);
	hf_session_free(b.session);
out:
	hf_detect_free(b.detect);
	hf_changes_free(b.changes);
	hf_snapshot_release(&snap);
	hf_snapshot_release(&parent);
	hf_tree_release(&parent_root);
	hf_blob_reader_release(&b.prev_reader);
	hf_bcache_free(b.cache);
	hf_idmap_free(b.plans_seen);
	free(b.condemned);
	free(b.relied);
	free(paths);
	return ret < 0 ? ret : 0;
}
