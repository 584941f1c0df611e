/* prune.c — deleting data that no snapshot references.
 *
 * 0. Packs of a session without a snapshot (a backup that is still running,
 *    or was killed) are kept until older than the grace period, unless forget
 *    just removed that session's snapshot. If a snapshot appears while prune
 *    runs, nothing is deleted.
 * 1. Mark every tree and data blob reachable from any snapshot; if any tree
 *    cannot be read, stop: deleting with an incomplete view could lose data.
 * 2. Packs whose indexed blobs are all unused are deleted; packs with at
 *    least 10% unused are rewritten (their used blobs copied, verified, into
 *    new packs); the rest are kept as they are.
 * 3. A new index listing every kept and new pack is written before any old
 *    index or pack is deleted, so a crash at any point leaves every reachable
 *    blob indexed. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "compress/compress.h"
#include "crypto/crypto.h"
#include "engine/engine.h"
#include "store/store.h"
#include "util/err.h"
#include "util/hex.h"
#include "util/mem.h"

static int mark_tree(struct hf_blob_reader *br, struct hf_idmap *used, const uint8_t id[HF_ID_LEN])
{
	struct hf_tree t;
	int r;

	r = hf_idmap_put(used, id, NULL, NULL);
	if (r <= 0)
		return r; /* seen: its subtree is marked already (or no memory) */
	r = hf_tree_load(br, id, &t);
	if (r < 0)
		return r;
	for (size_t i = 0; i < t.n && r == 0; i++) {
		const struct hf_node *nd = &t.nodes[i];
		if (nd->meta.type == HF_FT_DIR)
			r = mark_tree(br, used, nd->subtree);
		for (size_t k = 0; k < nd->nparts && r == 0; k++)
			if (nd->parts[k].kind == HF_PART_DATA && (r = hf_idmap_put(used, nd->parts[k].id, NULL, NULL)) > 0)
				r = 0; /* newly marked */
	}
	hf_tree_release(&t);
	return r;
}

/* what happens to each indexed pack */
enum pack_fate { FATE_DROP = 0, FATE_KEEP, FATE_REWRITE };

struct pack_use {
	uint64_t used, unused;             /* stored bytes of blobs in and out of use */
	size_t nblobs;
	int fate;
	int unfinished;                    /* its session has no snapshot, and it is young */
};

/* a pack partly unused is rewritten only when that frees at least this share */
#define REWRITE_MIN_UNUSED 10 /* percent */

struct disk_packs {
	char **names;
	size_t n;
	uint64_t *sizes;
};

static int note_pack(void *arg, const char *name, uint64_t size)
{
	struct disk_packs *d = arg;

	d->names = hf_xreallocarray(d->names, d->n + 1, sizeof(char *));
	d->sizes = hf_xreallocarray(d->sizes, d->n + 1, sizeof(uint64_t));
	d->names[d->n] = hf_xstrdup(name);
	d->sizes[d->n++] = size;
	return 0;
}

/* copies one used blob into the new packs, re-verifying it on the way */
static int copy_blob(struct hf_blob_reader *br, struct hf_pack_writer *w, struct hf_index_builder *b,
		     struct hf_zctx *z, struct hf_buf *plain, struct hf_buf *zbuf, const uint8_t *id,
		     const struct hf_blob_loc *loc)
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

static int64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* young and written by a session that has no snapshot: a backup may still be
 * running and about to name it */
static int unfinished(struct hf_repo *r, const struct hf_prune_opts *o, const struct hf_idmap *done,
		      const uint8_t *pack_id, const uint8_t *key, int64_t now)
{
	char name[HF_ID_HEX_LEN + 1];
	uint8_t fp[HF_HASH_LEN];
	int64_t mtime;

	if (key) {
		hf_sha256(key, HF_KEY_LEN, fp);
		if (hf_idmap_get(done, fp))
			return 0;
	}
	hf_hex_encode(pack_id, HF_ID_LEN, name);
	if (hf_store_mtime(r->store, HF_OBJ_PACK, name, &mtime) < 0)
		return 1; /* cannot tell: keep it */
	return now - mtime < o->grace_ns;
}

static void report(const struct hf_prune_opts *o, const char *what, int err)
{
	if (o->report)
		o->report(o->report_arg, NULL, what, err);
}

/* 1 if the repository has a snapshot that is not in snaps */
static int new_snapshots(struct hf_repo *r, const struct hf_snapshot *snaps, size_t n)
{
	struct hf_snapshot *now = NULL;
	size_t count = 0, bad = 0;
	int found = 0;

	if (hf_snapshot_list(r, &now, &count, &bad) < 0)
		return 1;
	for (size_t i = 0; i < count && !found; i++) {
		size_t k;
		for (k = 0; k < n; k++)
			if (memcmp(now[i].id, snaps[k].id, HF_ID_LEN) == 0)
				break;
		found = k == n;
	}
	hf_snapshot_list_free(now, count);
	return found || bad;
}

int hf_prune(struct hf_repo *r, const struct hf_prune_opts *o, struct hf_prune_stats *st)
{
	struct hf_snapshot *snaps = NULL;
	size_t nsnaps = 0, bad = 0, pos = 0;
	struct hf_idmap *used = hf_idmap_new(0), *listed = hf_idmap_new(0), *done = hf_idmap_new(0);
	struct hf_blob_reader br;
	struct hf_session *ses = NULL;
	struct hf_index_builder b;
	struct hf_pack_writer w;
	struct hf_zctx *z = NULL;
	struct hf_buf plain, zbuf;
	struct pack_use *use = NULL;
	struct disk_packs disk = {0};
	struct hf_pack_entry **keep = NULL;
	size_t *nkeep = NULL;
	const struct hf_index *ix;
	const uint8_t *id;
	int64_t now = now_ns();
	void *val;
	int ret;

	memset(st, 0, sizeof(*st));
	hf_buf_init(&plain, HF_BLOB_MAX);
	hf_buf_init(&zbuf, hf_compress_bound(HF_BLOB_MAX));
	ret = hf_repo_load_index(r, &bad, NULL, NULL);
	if (ret == 0 && bad)
		ret = -HF_E_CORRUPT; /* an unreadable index might list blobs still in use */
	if (ret == 0)
		ret = hf_snapshot_list(r, &snaps, &nsnaps, &bad);
	if (ret == 0 && bad)
		ret = -HF_E_CORRUPT;
	if (ret < 0) {
		report(o, "prune refused: the repository has damage (run check)", ret);
		goto out;
	}
	ix = r->index;
	hf_blob_reader_init(&br, r);
	for (size_t i = 0; i < nsnaps && ret == 0; i++) {
		ret = hf_idmap_put(done, snaps[i].session_fp, NULL, NULL);
		if (ret >= 0)
			ret = mark_tree(&br, used, snaps[i].tree);
	}
	for (size_t i = 0; i < o->nforgotten && ret >= 0; i++)
		ret = hf_idmap_put(done, o->forgotten[i], NULL, NULL);
	if (ret > 0)
		ret = 0;
	if (ret < 0) {
		report(o, "prune refused: a snapshot's tree cannot be read (run check)", ret);
		goto out_reader;
	}
	use = hf_xcalloc(ix->npacks + 1, sizeof(*use));
	keep = hf_xcalloc(ix->npacks + 1, sizeof(*keep));
	nkeep = hf_xcalloc(ix->npacks + 1, sizeof(*nkeep));
	while (hf_idmap_next(ix->blobs, &pos, &id, &val)) {
		const struct hf_blob_loc *loc = val;
		use[loc->pack].nblobs++;
		if (hf_idmap_get(used, id))
			use[loc->pack].used += loc->stored_len;
		else
			use[loc->pack].unused += loc->stored_len;
	}
	for (size_t p = 0; p < ix->npacks; p++) {
		struct pack_use *u = &use[p];
		u->unfinished = unfinished(r, o, done, ix->packs[p].id, ix->keys + (size_t)ix->packs[p].key * HF_KEY_LEN,
					   now);
		if (u->unfinished || (u->used && u->unused * 100 < (u->used + u->unused) * REWRITE_MIN_UNUSED))
			u->fate = FATE_KEEP; /* as it is, unused blobs included */
		else if (u->used)
			u->fate = FATE_REWRITE;
		else
			u->fate = FATE_DROP;
		if (u->fate == FATE_KEEP)
			keep[p] = hf_xcalloc(u->nblobs + 1, sizeof(struct hf_pack_entry));
		st->packs_protected += (uint64_t)u->unfinished;
		st->packs_rewritten += u->fate == FATE_REWRITE;
	}
	ret = hf_session_new(r, &ses);
	if (ret < 0)
		goto out_reader;
	hf_index_builder_init(&b, r, ses);
	hf_pack_writer_init(&w, r, ses);
	z = hf_zctx_new(r->cfg.zlevel);
	pos = 0;
	while (hf_idmap_next(ix->blobs, &pos, &id, &val) && ret == 0) {
		const struct hf_blob_loc *loc = val;
		int fate = use[loc->pack].fate;
		if (fate == FATE_KEEP) {
			struct hf_pack_entry *e = &keep[loc->pack][nkeep[loc->pack]++];
			memcpy(e->id, id, HF_ID_LEN);
			e->type = loc->type;
			e->flags = loc->flags;
			e->offset = loc->offset;
			e->stored_len = loc->stored_len;
			e->raw_len = loc->raw_len;
		} else if (fate == FATE_REWRITE && hf_idmap_get(used, id)) {
			ret = copy_blob(&br, &w, &b, z, &plain, &zbuf, id, loc);
			if (ret < 0)
				report(o, "prune stopped: a blob in use cannot be copied", ret);
		} else {
			st->blobs_removed++;
		}
	}
	if (ret == 0)
		ret = hf_pack_flush(&w, &b);
	for (size_t p = 0; p < ix->npacks && ret == 0; p++) {
		if (keep[p]) {
			hf_index_builder_add(&b, ix->packs[p].id, ix->keys + (size_t)ix->packs[p].key * HF_KEY_LEN, keep[p],
					     nkeep[p]);
			keep[p] = NULL;
		}
	}
	/* every pack the new index lists stays */
	for (size_t i = 0; i < b.npacks; i++)
		if (ret == 0 && hf_idmap_put(listed, b.packs[i].pack_id, NULL, NULL) < 0)
			ret = -ENOMEM; /* a pack missing here would be deleted below */
	if (ret == 0)
		ret = hf_index_builder_write(&b);
	if (ret < 0)
		goto out_writer;
	/* A backup that finished meanwhile may name blobs marked unused above:
	 * then delete nothing (the new index only adds); the next prune will. */
	if (new_snapshots(r, snaps, nsnaps)) {
		st->raced = 1;
		st->blobs_removed = 0;
		goto out_writer;
	}
	/* the new index is durable: now the old objects may go */
	for (size_t i = 0; i < ix->nfiles; i++)
		hf_store_remove(r->store, HF_OBJ_INDEX, ix->files[i]);
	ret = hf_store_list(r->store, HF_OBJ_PACK, note_pack, &disk);
	for (size_t i = 0; i < disk.n && ret == 0; i++) {
		uint8_t pid[HF_ID_LEN];
		if (hf_hex_decode(disk.names[i], pid, HF_ID_LEN) < 0 || hf_idmap_get(listed, pid))
			continue;
		/* not indexed at all: a running backup's, or a killed one's */
		if (!hf_idmap_get(ix->pack_ids, pid) && unfinished(r, o, done, pid, NULL, now))
			continue;
		if (hf_store_remove(r->store, HF_OBJ_PACK, disk.names[i]) == 0) {
			st->packs_deleted++;
			st->bytes_freed += disk.sizes[i];
		}
	}
out_writer:
	hf_pack_writer_release(&w);
	hf_index_builder_release(&b);
out_reader:
	hf_blob_reader_release(&br);
out:
	if (keep)
		for (size_t p = 0; p < r->index->npacks; p++)
			free(keep[p]);
	free(keep);
	free(nkeep);
	free(use);
	for (size_t i = 0; i < disk.n; i++)
		free(disk.names[i]);
	free(disk.names);
	free(disk.sizes);
	hf_zctx_free(z);
	hf_session_free(ses);
	hf_idmap_free(used);
	hf_idmap_free(listed);
	hf_idmap_free(done);
	hf_snapshot_list_free(snaps, nsnaps);
	hf_buf_release(&plain);
	hf_buf_release(&zbuf);
	return ret;
}
