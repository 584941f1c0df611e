/* prune.c — deleting data that no snapshot references.
 *
 * 1. Mark every tree and data blob reachable from any snapshot; if any tree
 *    cannot be read, stop: deleting with an incomplete view could lose data.
 * 2. Packs whose indexed blobs are all unused are deleted; packs partly in use
 *    are rewritten (their used blobs copied, verified, into new packs); the
 *    rest are kept as they are.
 * 3. A new index listing every kept and new pack is written before any old
 *    index or pack is deleted, so a crash at any point leaves every reachable
 *    blob indexed. */
#include <stdlib.h>
#include <string.h>

#include "compress/compress.h"
#include "engine/engine.h"
#include "store/store.h"
#include "util/err.h"
#include "util/hex.h"
#include "util/mem.h"

static int mark_tree(struct hf_blob_reader *br, struct hf_idmap *used, const uint8_t id[HF_ID_LEN])
{
	struct hf_tree t;
	int r;

	if (hf_idmap_put(used, id, NULL, NULL) == 0)
		return 0; /* seen: its subtree is marked already */
	r = hf_tree_load(br, id, &t);
	if (r < 0)
		return r;
	for (size_t i = 0; i < t.n && r == 0; i++) {
		const struct hf_node *nd = &t.nodes[i];
		if (nd->meta.type == HF_FT_DIR)
			r = mark_tree(br, used, nd->subtree);
		for (size_t k = 0; k < nd->nparts; k++)
			if (nd->parts[k].kind == HF_PART_DATA)
				hf_idmap_put(used, nd->parts[k].id, NULL, NULL);
	}
	hf_tree_release(&t);
	return r;
}

struct pack_use {
	size_t used, unused;
};

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

int hf_prune(struct hf_repo *r, hf_report_fn report, void *arg, struct hf_prune_stats *st)
{
	struct hf_snapshot *snaps = NULL;
	size_t nsnaps = 0, bad = 0, pos = 0;
	struct hf_idmap *used = hf_idmap_new(0), *listed = hf_idmap_new(0);
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
		if (report)
			report(arg, NULL, "prune refused: the repository has damage (run check)", ret);
		goto out;
	}
	ix = r->index;
	hf_blob_reader_init(&br, r);
	for (size_t i = 0; i < nsnaps && ret == 0; i++)
		ret = mark_tree(&br, used, snaps[i].tree);
	if (ret < 0) {
		if (report)
			report(arg, NULL, "prune refused: a snapshot's tree cannot be read (run check)", ret);
		goto out_reader;
	}
	use = hf_xcalloc(ix->npacks + 1, sizeof(*use));
	keep = hf_xcalloc(ix->npacks + 1, sizeof(*keep));
	nkeep = hf_xcalloc(ix->npacks + 1, sizeof(*nkeep));
	while (hf_idmap_next(ix->blobs, &pos, &id, &val)) {
		const struct hf_blob_loc *loc = val;
		if (hf_idmap_get(used, id))
			use[loc->pack].used++;
		else
			use[loc->pack].unused++;
	}
	ret = hf_session_new(r, &ses);
	if (ret < 0)
		goto out_reader;
	hf_index_builder_init(&b, r, ses);
	hf_pack_writer_init(&w, r, ses);
	z = hf_zctx_new(r->cfg.zlevel);
	/* kept packs: their entries, for the new index */
	for (size_t p = 0; p < ix->npacks; p++)
		if (use[p].used && !use[p].unused)
			keep[p] = hf_xcalloc(use[p].used, sizeof(struct hf_pack_entry));
	pos = 0;
	while (hf_idmap_next(ix->blobs, &pos, &id, &val) && ret == 0) {
		const struct hf_blob_loc *loc = val;
		if (!hf_idmap_get(used, id)) {
			st->blobs_removed++;
			continue;
		}
		if (keep[loc->pack]) {
			struct hf_pack_entry *e = &keep[loc->pack][nkeep[loc->pack]++];
			memcpy(e->id, id, HF_ID_LEN);
			e->type = loc->type;
			e->flags = loc->flags;
			e->offset = loc->offset;
			e->stored_len = loc->stored_len;
			e->raw_len = loc->raw_len;
		} else {
			ret = copy_blob(&br, &w, &b, z, &plain, &zbuf, id, loc);
			if (ret < 0 && report)
				report(arg, NULL, "prune stopped: a blob in use cannot be copied", ret);
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
	/* every pack the new index lists stays; all others go */
	for (size_t i = 0; i < b.npacks; i++)
		hf_idmap_put(listed, b.packs[i].pack_id, NULL, NULL);
	for (size_t p = 0; p < ix->npacks; p++)
		if (use[p].used && use[p].unused)
			st->packs_rewritten++;
	if (ret == 0)
		ret = hf_index_builder_write(&b);
	if (ret < 0)
		goto out_writer;
	/* the new index is durable: now the old objects may go */
	for (size_t i = 0; i < ix->nfiles; i++)
		hf_store_remove(r->store, HF_OBJ_INDEX, ix->files[i]);
	ret = hf_store_list(r->store, HF_OBJ_PACK, note_pack, &disk);
	for (size_t i = 0; i < disk.n && ret == 0; i++) {
		uint8_t pid[HF_ID_LEN];
		if (hf_hex_decode(disk.names[i], pid, HF_ID_LEN) == 0 && hf_idmap_get(listed, pid))
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
	hf_snapshot_list_free(snaps, nsnaps);
	hf_buf_release(&plain);
	hf_buf_release(&zbuf);
	/* the loaded index describes deleted objects now */
	return ret;
}
