/* prune.c — deleting data that no snapshot references, in two phases, so
 * that backups running beside it need no locks (docs/DESIGN.md, Retention).
 *
 * Every run:
 * 1. Marks every tree and data blob reachable from any snapshot; if any tree
 *    or index cannot be read, stops: deleting with an incomplete view could
 *    lose data.
 * 2. Carries out the pending deletions (repo/pending.h) that have come due
 *    by the store's clock: their packs are deleted unless a snapshot written
 *    since uses a blob in them (a backup that started before the plan and
 *    deduplicated against it), in which case the pack is rescued.
 * 3. Plans the next deletion: packs whose blobs are all unused, packs with at
 *    least 10% unused (their used blobs are first copied, verified, into new
 *    packs), and packs no index lists; packs of a session without a snapshot
 *    (a backup still running) stay while younger than an hour. The
 *    plan is written as pending-deletion objects; nothing of it is deleted
 *    before the grace period has passed.
 * 4. Writes one new index listing every pack that stays (planned ones too,
 *    so they stay readable until they go), then deletes the index objects it
 *    replaces, the packs that came due, and the plans carried out — in that
 *    order, so a crash at any point leaves every reachable blob indexed.
 *    Index objects the store keeps (a retention lock) are named as gone in
 *    a plan before any pack goes, so no reader loads their claims to the
 *    packs deleted next; each run tries those deletions again. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "compress/compress.h"
#include "crypto/crypto.h"
#include "engine/engine.h"
#include "repo/pending.h"
#include "store/store.h"
#include "util/err.h"
#include "util/hex.h"
#include "util/mem.h"

/* The blobs reachable from a snapshot, as a bit per index claim (the index
 * sorts a blob's claims side by side): every claim of a used blob is set. */
struct used_set {
	const struct hf_index *ix;
	uint64_t *bits;
};

static int used_at(const struct used_set *u, size_t pos)
{
	return (int)(u->bits[pos / 64] >> (pos % 64)) & 1;
}

/* 1 if the blob was newly marked, 0 if it was already (or is in no index:
 * then nothing of it can be deleted anyway) */
static int mark_used(struct used_set *u, const uint8_t id[HF_ID_LEN])
{
	const struct hf_blob_loc *l = hf_index_find(u->ix, id);

	if (!l || used_at(u, hf_index_pos(u->ix, l)))
		return 0;
	for (; l; l = hf_index_find_next(u->ix, id, l)) {
		size_t pos = hf_index_pos(u->ix, l);
		u->bits[pos / 64] |= (uint64_t)1 << (pos % 64);
	}
	return 1;
}

static int mark_tree(struct hf_blob_reader *br, struct used_set *used, const uint8_t id[HF_ID_LEN])
{
	struct hf_tree t;
	int r;

	if (hf_index_find(used->ix, id) && !mark_used(used, id))
		return 0;             /* seen: its subtree is marked already */
	r = hf_tree_load(br, id, &t); /* a tree in no index fails here */
	if (r < 0)
		return r;
	for (size_t i = 0; i < t.n && r == 0; i++) {
		const struct hf_node *nd = &t.nodes[i];
		if (nd->meta.type == HF_FT_DIR)
			r = mark_tree(br, used, nd->subtree);
		for (size_t k = 0; k < nd->nparts && r == 0; k++)
			if (nd->parts[k].kind == HF_PART_DATA)
				mark_used(used, nd->parts[k].id);
	}
	hf_tree_release(&t);
	return r;
}

/* what happens to each indexed pack */
enum pack_fate {
	FATE_KEEP = 0, /* stays as it is */
	FATE_REWRITE,  /* its used blobs are copied into new packs now; the pack is planned */
	FATE_DROP,     /* nothing in it is used: planned */
	FATE_WAIT,     /* planned by an earlier run, not yet due: stays as it is */
	FATE_DELETE,   /* planned earlier, due, still unused: deleted now */
};

struct pack_use {
	uint64_t used, unused; /* stored bytes of blobs in and out of use */
	size_t nblobs;
	int fate;
	int unfinished; /* its session has no snapshot, and it is young */
};

/* a pack partly unused is rewritten only when that frees at least this share */
#define REWRITE_MIN_UNUSED 10 /* percent */

/* the packs in the store */
struct disk_packs {
	char **names;
	size_t n;
	uint64_t *sizes;
	struct hf_idmap *by_id; /* pack id → size */
};

/* everything one run of prune knows */
struct prune_run {
	struct hf_repo *r;
	const struct hf_prune_opts *o;
	struct hf_prune_stats *st;
	int64_t now; /* the store's clock */
	struct hf_snapshot *snaps;
	size_t nsnaps;
	struct hf_pending *plans;
	size_t nplans;
	struct used_set used;          /* blobs reachable from a snapshot */
	struct hf_idmap *done;         /* session fingerprints of finished backups */
	struct hf_idmap *due;          /* pack ids of plans that came due */
	struct hf_idmap *waiting;      /* pack ids of plans not yet due */
	struct hf_idmap *listed;       /* pack ids the new index lists */
	struct pack_use *use;          /* per indexed pack */
	uint8_t (*planned)[HF_ID_LEN]; /* this run's plan */
	size_t nplanned;
	struct disk_packs disk;
};

static int note_pack(void *arg, const char *name, uint64_t size)
{
	struct disk_packs *d = arg;
	uint8_t id[HF_ID_LEN];

	d->names = hf_xreallocarray(d->names, d->n + 1, sizeof(char *));
	d->sizes = hf_xreallocarray(d->sizes, d->n + 1, sizeof(uint64_t));
	d->names[d->n] = hf_xstrdup(name);
	d->sizes[d->n++] = size;
	if (hf_hex_decode(name, id, HF_ID_LEN) == 0)
		return hf_idmap_put(d->by_id, id, &size, NULL) < 0 ? -ENOMEM : 0;
	return 0;
}

static uint64_t disk_size(const struct prune_run *p, const uint8_t id[HF_ID_LEN])
{
	const uint64_t *size = hf_idmap_get(p->disk.by_id, id);

	return size ? *size : 0;
}

static void plan_pack(struct prune_run *p, const uint8_t id[HF_ID_LEN], uint64_t size)
{
	p->planned = hf_xreallocarray(p->planned, p->nplanned + 1, HF_ID_LEN);
	memcpy(p->planned[p->nplanned++], id, HF_ID_LEN);
	p->st->packs_planned++;
	p->st->bytes_planned += size;
}

/* copies one used blob into the new packs, re-verifying it on the way */
static int copy_blob(struct hf_blob_reader *br, struct hf_pack_writer *w, struct hf_index_builder *b, struct hf_zctx *z,
		     struct hf_buf *plain, struct hf_buf *zbuf, const uint8_t *id, const struct hf_blob_loc *loc)
{
	size_t zlen = 0;
	int c, r;

	r = hf_blob_read(br, id, plain);
	if (r < 0)
		return r;
	zbuf->len = 0;
	r = hf_buf_reserve(zbuf, hf_compress_bound(plain->len));
	if (r < 0)
		return r;
	c = hf_compress(z, plain->data, plain->len, zbuf->data, zbuf->cap, &zlen);
	if (c < 0)
		return c;
	r = hf_pack_add(w, id, loc->type, c ? HF_BLOB_F_ZSTD : 0, c ? zbuf->data : plain->data, c ? zlen : plain->len,
			(uint32_t)plain->len);
	if (r == 0 && hf_pack_full(w))
		r = hf_pack_flush(w, b);
	return r;
}

/* young and written by a session that has no snapshot: a backup may still be
 * running and about to name it */
static int unfinished(const struct prune_run *p, const uint8_t *pack_id, const uint8_t *key)
{
	char name[HF_ID_HEX_LEN + 1];
	uint8_t fp[HF_HASH_LEN];
	int64_t mtime;

	if (key) {
		hf_sha256(key, HF_KEY_LEN, fp);
		if (hf_idmap_get(p->done, fp))
			return 0;
	}
	hf_hex_encode(pack_id, HF_ID_LEN, name);
	if (hf_store_mtime(hf_repo_store(p->r), HF_OBJ_PACK, name, &mtime) < 0)
		return 1; /* cannot tell: keep it */
	return p->now - mtime < p->o->unfinished_ns;
}

static void report(const struct hf_prune_opts *o, const char *what, int err)
{
	if (o->report)
		o->report(o->report_arg, NULL, what, err);
}

/* index, snapshots, plans and the store's clock; every reachable blob marked */
static int load_state(struct prune_run *p)
{
	struct hf_repo *r = p->r;
	struct hf_blob_reader br;
	size_t bad = 0;
	int ret;

	ret = hf_repo_load_index(r, &bad, NULL, NULL);
	if (ret == 0 && bad)
		ret = -HF_E_CORRUPT; /* an unreadable index might list blobs still in use */
	if (ret == 0)
		ret = hf_snapshot_list(r, &p->snaps, &p->nsnaps, &bad);
	if (ret == 0 && bad)
		ret = -HF_E_CORRUPT;
	if (ret < 0) {
		report(p->o, "prune refused: the repository has damage (run check)", ret);
		return ret;
	}
	ret = hf_store_now(hf_repo_store(r), &p->now);
	if (ret == 0)
		ret = hf_pending_list(r, &p->plans, &p->nplans, &bad);
	if (ret < 0) {
		report(p->o, "prune refused: the store's clock or its pending deletions cannot be read", ret);
		return ret;
	}
	p->st->plans_damaged = bad; /* ignored: a plan can only ever delay a deletion */
	for (size_t i = 0; i < p->nplans && ret >= 0; i++) {
		struct hf_idmap *m = hf_pending_due(&p->plans[i], p->now) ? p->due : p->waiting;
		for (size_t k = 0; k < p->plans[i].npacks && ret >= 0; k++)
			ret = hf_idmap_put(m, p->plans[i].packs[k], NULL, NULL);
	}
	p->used.ix = hf_repo_index(r);
	p->used.bits = hf_xcalloc(hf_index_count(p->used.ix) / 64 + 1, sizeof(uint64_t));
	hf_blob_reader_init(&br, r);
	for (size_t i = 0; i < p->nsnaps && ret >= 0; i++) {
		ret = hf_idmap_put(p->done, p->snaps[i].session_fp, NULL, NULL);
		if (ret >= 0)
			ret = mark_tree(&br, &p->used, p->snaps[i].tree);
	}
	hf_blob_reader_release(&br);
	for (size_t i = 0; i < p->o->nforgotten && ret >= 0; i++)
		ret = hf_idmap_put(p->done, p->o->forgotten[i], NULL, NULL);
	ret = ret > 0 ? 0 : ret;
	if (ret < 0)
		report(p->o, "prune refused: a snapshot's tree cannot be read (run check)", ret);
	return ret;
}

/* decides the fate of every indexed pack */
/* 1 if the pack numbered k is in a plan that came due */
static int is_due(const struct prune_run *p, uint32_t k)
{
	return hf_idmap_get(p->due, hf_index_pack_id(hf_repo_index(p->r), k)) != NULL;
}

/* A used blob whose every claim is in a pack that came due keeps the pack
 * of its first claim: a snapshot written since the plan uses it. */
static void rescue(struct prune_run *p)
{
	const struct hf_index *ix = hf_repo_index(p->r);
	const struct hf_blob_loc *first, *l;
	const uint8_t *id, *prev = NULL;
	size_t pos = 0;

	while (hf_index_next(ix, &pos, &id, &first)) {
		int is_first = !prev || memcmp(prev, id, HF_ID_LEN) != 0;
		prev = id;
		if (!is_first || !used_at(&p->used, pos - 1))
			continue; /* each used blob once, from its first claim */
		for (l = first; l && is_due(p, l->pack); l = hf_index_find_next(ix, id, l))
			;
		if (!l && p->use[first->pack].fate != FATE_KEEP) {
			p->use[first->pack].fate = FATE_KEEP;
			p->st->packs_rescued++;
		}
	}
}

/* decides the fate of every indexed pack */
static void classify(struct prune_run *p)
{
	const struct hf_index *ix = hf_repo_index(p->r);
	const struct hf_blob_loc *loc;
	const uint8_t *id;
	size_t pos = 0;

	p->use = hf_xcalloc(hf_index_npacks(ix) + 1, sizeof(*p->use));
	while (hf_index_next(ix, &pos, &id, &loc)) {
		p->use[loc->pack].nblobs++;
		if (used_at(&p->used, pos - 1))
			p->use[loc->pack].used += loc->stored_len;
		else
			p->use[loc->pack].unused += loc->stored_len;
	}
	for (size_t k = 0; k < hf_index_npacks(ix); k++) {
		struct pack_use *u = &p->use[k];
		const uint8_t *pid = hf_index_pack_id(ix, k);
		if (is_due(p, (uint32_t)k)) {
			u->fate = FATE_DELETE; /* unless rescue() keeps it */
			continue;
		}
		if (hf_idmap_get(p->waiting, pid)) {
			u->fate = FATE_WAIT;
			continue;
		}
		if (u->used && u->unused * 100 < (u->used + u->unused) * REWRITE_MIN_UNUSED)
			u->fate = FATE_KEEP; /* as it is, unused blobs included */
		else if ((u->unfinished = unfinished(p, pid, hf_index_pack_key(ix, k))))
			u->fate = FATE_KEEP; /* counted: kept only because a backup may still name it */
		else if (u->used)
			u->fate = FATE_REWRITE;
		else
			u->fate = FATE_DROP;
		p->st->packs_protected += (uint64_t)u->unfinished;
		p->st->packs_rewritten += u->fate == FATE_REWRITE;
	}
	rescue(p);
}

/* Copies the used blobs of packs being rewritten and writes one index of
 * every pack that stays: kept, waiting and planned packs whole (planned ones
 * stay readable until they go), rewritten packs with only their unused blobs
 * (their used ones are listed in the new packs). */
static int write_index(struct prune_run *p)
{
	struct hf_repo *r = p->r;
	const struct hf_index *ix = hf_repo_index(r);
	struct hf_pack_entry **entries = hf_xcalloc(hf_index_npacks(ix) + 1, sizeof(*entries));
	size_t *n = hf_xcalloc(hf_index_npacks(ix) + 1, sizeof(*n));
	struct hf_session *ses = NULL;
	struct hf_index_builder *b = NULL;
	struct hf_pack_writer *w = NULL, *trees = NULL; /* trees keep packs of their own (restore_packs.c) */
	struct hf_blob_reader br;
	struct hf_zctx *z = NULL;
	struct hf_buf plain, zbuf;
	struct hf_idmap *copied = hf_idmap_new(0);
	const struct hf_blob_loc *loc;
	const uint8_t *id;
	size_t pos = 0, npending, nblobs;
	int ret;

	ret = hf_session_new(r, &ses);
	if (ret < 0)
		goto out;
	hf_buf_init(&plain, HF_BLOB_MAX);
	hf_buf_init(&zbuf, hf_compress_bound(HF_BLOB_MAX));
	hf_blob_reader_init(&br, r);
	b = hf_index_builder_new(r, ses);
	w = hf_pack_writer_new(r, ses);
	trees = hf_pack_writer_new(r, ses);
	z = hf_zctx_new(hf_repo_config(r)->zlevel);
	for (size_t k = 0; k < hf_index_npacks(ix); k++)
		if (p->use[k].fate != FATE_DELETE)
			entries[k] = hf_xcalloc(p->use[k].nblobs + 1, sizeof(struct hf_pack_entry));
	while (ret == 0 && hf_index_next(ix, &pos, &id, &loc)) {
		int fate = p->use[loc->pack].fate, in_use = used_at(&p->used, pos - 1);
		struct hf_pack_entry *e;
		if (fate == FATE_DELETE) {
			p->st->blobs_removed += !in_use;
			continue;
		}
		if (fate == FATE_REWRITE && in_use) {
			ret = hf_idmap_put(copied, id, NULL, NULL); /* 0: copied already, from another claim */
			if (ret > 0)
				ret = copy_blob(&br, loc->type == HF_BLOB_TREE ? trees : w, b, z, &plain, &zbuf, id,
						loc);
			if (ret < 0)
				report(p->o, "prune stopped: a blob in use cannot be copied", ret);
			continue;
		}
		e = &entries[loc->pack][n[loc->pack]++];
		memcpy(e->id, id, HF_ID_LEN);
		e->type = loc->type;
		e->flags = loc->flags;
		e->offset = loc->offset;
		e->stored_len = loc->stored_len;
		e->raw_len = loc->raw_len;
	}
	if (ret == 0)
		ret = hf_pack_flush(w, b);
	if (ret == 0)
		ret = hf_pack_flush(trees, b);
	for (size_t k = 0; k < hf_index_npacks(ix) && ret == 0; k++) {
		if (!entries[k])
			continue;
		hf_index_builder_add(b, hf_index_pack_id(ix, k), hf_index_pack_key(ix, k), entries[k], n[k], 0);
		entries[k] = NULL;
	}
	hf_index_builder_pending(b, &npending, &nblobs);
	for (size_t i = 0; i < npending && ret == 0; i++)
		if (hf_idmap_put(p->listed, hf_index_builder_pack_id(b, i), NULL, NULL) < 0)
			ret = -ENOMEM; /* an unlisted pack could be planned for deletion */
	if (ret == 0)
		ret = hf_index_builder_write(b);
	hf_pack_writer_free(w);
	hf_pack_writer_free(trees);
	hf_index_builder_free(b);
	hf_blob_reader_release(&br);
	hf_buf_release(&plain);
	hf_buf_release(&zbuf);
out:
	for (size_t k = 0; k < hf_index_npacks(ix); k++)
		free(entries[k]);
	free(entries);
	free(n);
	hf_idmap_free(copied);
	hf_zctx_free(z);
	hf_session_free(ses);
	return ret;
}

/* the indexed packs dropped or rewritten this run, and the packs no index
 * lists that are old enough: what the next due prune deletes */
static void make_plan(struct prune_run *p)
{
	const struct hf_index *ix = hf_repo_index(p->r);

	for (size_t k = 0; k < hf_index_npacks(ix); k++)
		if (p->use[k].fate == FATE_DROP || p->use[k].fate == FATE_REWRITE)
			plan_pack(p, hf_index_pack_id(ix, k), disk_size(p, hf_index_pack_id(ix, k)));
	for (size_t i = 0; i < p->disk.n; i++) {
		uint8_t pid[HF_ID_LEN];
		if (hf_hex_decode(p->disk.names[i], pid, HF_ID_LEN) < 0 || hf_index_pack_first(ix, pid) != UINT32_MAX ||
		    hf_idmap_get(p->listed, pid) || hf_idmap_get(p->due, pid) || hf_idmap_get(p->waiting, pid))
			continue;
		/* not indexed at all: a killed backup's, or a running one's */
		if (!unfinished(p, pid, NULL))
			plan_pack(p, pid, p->disk.sizes[i]);
	}
}

/* Deletes the objects a plan names as gone (pending.h); 1 if all are gone
 * now, 0 if the store still keeps some (the plan stays, so they stay gone) */
static int delete_gone(struct prune_run *p, const struct hf_pending *plan)
{
	int all = 1;

	for (size_t k = 0; k < plan->ngone; k++) {
		char name[HF_ID_HEX_LEN + 1];
		hf_hex_encode(plan->gone[k].id, HF_ID_LEN, name);
		int d = hf_delete(p->r, plan->gone[k].kind, name);
		if (d != 0 && d != HF_DELETE_ABSENT)
			all = 0;
	}
	return all;
}

/* The index objects the new index replaces go; those the store keeps (a
 * retention lock) are named as gone in a plan, so that nobody loads their
 * claims to packs deleted from now on. 0, or < 0 if that plan cannot be
 * written (then no pack may be deleted). */
static int replace_index(struct prune_run *p)
{
	const struct hf_index *ix = hf_repo_index(p->r);
	struct hf_pending_gone *kept = NULL;
	size_t nkept = 0;
	int ret = 0;

	for (size_t i = 0; i < hf_index_nfiles(ix); i++) {
		if (hf_delete(p->r, HF_OBJ_INDEX, hf_index_file(ix, i)) != HF_DELETE_KEPT)
			continue;
		p->st->objects_kept++;
		kept = hf_xreallocarray(kept, nkept + 1, sizeof(*kept));
		kept[nkept].kind = HF_OBJ_INDEX;
		if (hf_hex_decode(hf_index_file(ix, i), kept[nkept].id, HF_ID_LEN) == 0)
			nkept++;
	}
	if (nkept)
		ret = hf_pending_write_gone(p->r, p->now, kept, nkept);
	free(kept);
	return ret;
}

/* The new index is durable: the index objects it replaces, the packs that
 * came due (indexed or not, if still unused) and the plans carried out go. */
static int delete_due(struct prune_run *p)
{
	struct hf_repo *r = p->r;
	const struct hf_index *ix = hf_repo_index(r);
	int ret = replace_index(p);

	if (ret < 0)
		return ret;
	for (size_t i = 0; i < p->disk.n; i++) {
		uint8_t pid[HF_ID_LEN];
		uint32_t k;
		if (hf_hex_decode(p->disk.names[i], pid, HF_ID_LEN) < 0 || !hf_idmap_get(p->due, pid) ||
		    hf_idmap_get(p->listed, pid))
			continue;
		k = hf_index_pack_first(ix, pid);
		if (k != UINT32_MAX && p->use[k].fate != FATE_DELETE)
			continue;
		switch (hf_delete(r, HF_OBJ_PACK, p->disk.names[i])) {
		case 0:
			p->st->packs_deleted++;
			p->st->bytes_freed += p->disk.sizes[i];
			break;
		case HF_DELETE_KEPT:
			p->st->objects_kept++;
			break;
		}
	}
	for (size_t i = 0; i < p->nplans; i++) {
		char name[HF_ID_HEX_LEN + 1];
		if (!hf_pending_due(&p->plans[i], p->now) || !delete_gone(p, &p->plans[i]))
			continue;
		hf_hex_encode(p->plans[i].id, HF_ID_LEN, name);
		p->st->objects_kept += hf_delete(r, HF_OBJ_PENDING, name) == HF_DELETE_KEPT;
	}
	return 0;
}

/* the earliest time a plan still pending comes due */
static void note_next_due(struct prune_run *p)
{
	for (size_t i = 0; i < p->nplans; i++) {
		int64_t t = p->plans[i].time_ns + p->plans[i].grace_ns;
		if (!hf_pending_due(&p->plans[i], p->now) && (!p->st->next_due_ns || t < p->st->next_due_ns))
			p->st->next_due_ns = t;
	}
	if (p->nplanned && (!p->st->next_due_ns || p->now + p->o->grace_ns < p->st->next_due_ns))
		p->st->next_due_ns = p->now + p->o->grace_ns;
}

static void run_release(struct prune_run *p)
{
	for (size_t i = 0; i < p->disk.n; i++)
		free(p->disk.names[i]);
	free(p->disk.names);
	free(p->disk.sizes);
	hf_idmap_free(p->disk.by_id);
	free(p->planned);
	free(p->use);
	free(p->used.bits);
	hf_idmap_free(p->done);
	hf_idmap_free(p->due);
	hf_idmap_free(p->waiting);
	hf_idmap_free(p->listed);
	hf_snapshot_list_free(p->snaps, p->nsnaps);
	hf_pending_list_free(p->plans, p->nplans);
}

static int prune_once(struct hf_repo *r, const struct hf_prune_opts *o, struct hf_prune_stats *st)
{
	struct prune_run p = {.r = r, .o = o, .st = st};
	int ret;

	p.done = hf_idmap_new(0);
	p.due = hf_idmap_new(0);
	p.waiting = hf_idmap_new(0);
	p.listed = hf_idmap_new(0);
	p.disk.by_id = hf_idmap_new(sizeof(uint64_t));
	ret = load_state(&p);
	if (ret < 0)
		goto out;
	classify(&p);
	ret = hf_store_list(hf_repo_store(r), HF_OBJ_PACK, note_pack, &p.disk);
	if (ret == 0)
		ret = write_index(&p);
	if (ret < 0)
		goto out;
	make_plan(&p);
	ret = hf_pending_write(r, p.now, o->grace_ns, (const uint8_t(*)[HF_ID_LEN])p.planned, p.nplanned);
	if (ret < 0) {
		report(o, "prune stopped: its plan of deletions cannot be written", ret);
		goto out;
	}
	ret = delete_due(&p);
	if (ret < 0) {
		report(o, "prune stopped: the index objects the store keeps cannot be recorded as replaced", ret);
		goto out;
	}
	note_next_due(&p);
	/* writes killed long ago left temporary objects: those go too (best
	 * effort: what a failed sweep leaves, the next prune tries again) */
	if (hf_store_sweep(hf_repo_store(r), o->unfinished_ns, &st->temp_files, &st->temp_bytes) < 0)
		st->temp_files = st->temp_bytes = 0;
out:
	run_release(&p);
	return ret;
}

int hf_prune(struct hf_repo *r, const struct hf_prune_opts *o, struct hf_prune_stats *st)
{
	struct hf_prune_stats again;
	int ret;

	memset(st, 0, sizeof(*st));
	ret = prune_once(r, o, st);
	/* with no grace period the plan is due at once: a second pass, which
	 * lists the snapshots again, carries it out */
	if (ret == 0 && o->grace_ns == 0 && st->packs_planned) {
		memset(&again, 0, sizeof(again));
		ret = prune_once(r, o, &again);
		st->packs_deleted += again.packs_deleted;
		st->bytes_freed += again.bytes_freed;
		st->blobs_removed += again.blobs_removed;
		st->packs_rescued += again.packs_rescued;
		st->objects_kept += again.objects_kept;
		st->packs_planned = again.packs_planned;
		st->bytes_planned = again.bytes_planned;
		st->next_due_ns = again.next_due_ns;
	}
	return ret;
}
