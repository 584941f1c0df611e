/* backup_store.c — the storing half of the backup pipeline: per-thread
 * tools, storing one blob, finalising directories into tree blobs; and what
 * the backup reports (problems, progress, a damaged parent). The job queues
 * are in backup_queue.c, the worker loop in backup_worker.c. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/backup_internal.h"
#include "util/err.h"
#include "util/mem.h"

#define INDEX_EVERY_PACKS 32

void hf_backup_fail(struct backup *b, int err)
{
	int zero = 0;

	__atomic_compare_exchange_n(&b->err, &zero, err, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
}

void hf_backup_report(struct backup *b, const char *path, const char *what, int err, int counts)
{
	if (counts)
		__atomic_add_fetch(&b->st->errors, 1, __ATOMIC_RELAXED);
	if (b->o->report)
		b->o->report(b->o->report_arg, path, what, err);
}

void hf_backup_parent_damaged(struct backup *b, const char *path, int err)
{
	__atomic_add_fetch(&b->st->damaged_parent_trees, 1, __ATOMIC_RELAXED);
	if (b->changes)
		hf_scan_changes_break(b->changes); /* no old entries to compare with there */
	hf_backup_report(b, path,
			 "the parent snapshot's tree of this directory is damaged (holdfast check "
			 "names what it affects); read again in full",
			 err, 0);
}

void hf_backup_progress(struct backup *b, uint64_t files, uint64_t bytes)
{
	struct hf_progress *p = b->o->progress;

	if (!p)
		return;
	if (files)
		__atomic_add_fetch(&p->files, files, __ATOMIC_RELAXED);
	if (bytes)
		__atomic_add_fetch(&p->bytes, bytes, __ATOMIC_RELAXED);
}

int hf_backup_load_prev(struct backup *b, const uint8_t id[HF_ID_LEN], struct hf_tree *t)
{
	if (b->cache)
		return hf_bcache_load_tree(b->cache, id, t);
	return hf_tree_load(&b->prev_reader, id, t);
}

void hf_bctx_init(struct bctx *c, struct backup *b, int reader)
{
	memset(c, 0, sizeof(*c));
	c->b = b;
	c->z = hf_zctx_new(hf_repo_config(b->repo)->zlevel);
	c->pack = hf_pack_writer_new(b->repo, b->session);
	hf_buf_init(&c->zbuf, hf_compress_bound(HF_BLOB_MAX));
	hf_buf_init(&c->tbuf, HF_BLOB_MAX);
	c->names = hf_fs_names_new();
	if (reader) {
		c->rcap = 2 * (size_t)hf_repo_config(b->repo)->chunk_max;
		c->rbuf = hf_xmalloc(c->rcap);
		c->detect = b->detect;
	}
}

void hf_bctx_release(struct bctx *c)
{
	hf_zctx_free(c->z);
	hf_pack_writer_free(c->pack);
	hf_buf_release(&c->zbuf);
	hf_buf_release(&c->tbuf);
	hf_fs_names_free(c->names);
	free(c->rbuf);
}

int hf_backup_reuse(struct backup *b, const uint8_t id[HF_ID_LEN])
{
	const struct hf_index *ix = hf_repo_index(b->repo);

	for (const struct hf_blob_loc *loc = hf_index_find(ix, id); loc; loc = hf_index_find_next(ix, id, loc)) {
		if (loc->pack >= b->npacks)
			return 1; /* no index pack numbers past the start are ever looked up */
		if (b->condemned[loc->pack])
			continue;
		if (!__atomic_load_n(&b->relied[loc->pack], __ATOMIC_RELAXED))
			__atomic_store_n(&b->relied[loc->pack], 1, __ATOMIC_RELAXED);
		return 1;
	}
	return 0;
}

/* adds a compressed (z) or raw blob to pw, and flushes pw when full */
static int pack_blob(struct backup *b, struct hf_pack_writer *pw, const uint8_t id[HF_ID_LEN], int type, int z,
		     const void *p, size_t n, size_t raw)
{
	int r = hf_pack_add(pw, id, type, z ? HF_BLOB_F_ZSTD : 0, p, n, (uint32_t)raw);

	if (r < 0)
		return r;
	__atomic_add_fetch(&b->st->bytes_added, raw, __ATOMIC_RELAXED);
	if (hf_pack_full(pw)) {
		size_t packs, blobs;
		r = hf_pack_flush(pw, b->ib);
		if (r < 0)
			return r;
		hf_index_builder_pending(b->ib, &packs, &blobs);
		if (packs >= INDEX_EVERY_PACKS || blobs >= HF_INDEX_OBJ_BLOBS)
			r = hf_index_builder_write(b->ib);
	}
	return r;
}

int hf_backup_store_blob(struct bctx *c, int type, const void *p, size_t n, uint8_t id[HF_ID_LEN])
{
	struct backup *b = c->b;
	size_t zlen = 0;
	int inserted, z, r;

	if (n > HF_BLOB_MAX)
		return -HF_E_LIMIT;
	hf_repo_blob_id(b->repo, p, n, id);
	if (hf_backup_reuse(b, id))
		return 0;
	pthread_mutex_lock(&b->seen_lock);
	inserted = hf_idmap_put(b->seen, id, NULL, NULL);
	pthread_mutex_unlock(&b->seen_lock);
	if (!inserted)
		return 0;
	c->zbuf.len = 0;
	r = hf_buf_reserve(&c->zbuf, hf_compress_bound(n));
	if (r < 0)
		return r;
	z = hf_compress(c->z, p, n, c->zbuf.data, c->zbuf.cap, &zlen);
	if (z < 0)
		return z;
	if (type != HF_BLOB_TREE)
		return pack_blob(b, c->pack, id, type, z, z ? c->zbuf.data : p, z ? zlen : n, n);
	pthread_mutex_lock(&b->trees_lock);
	r = pack_blob(b, b->trees, id, type, z, z ? c->zbuf.data : p, z ? zlen : n, n);
	pthread_mutex_unlock(&b->trees_lock);
	return r;
}

/* A file that changed while it was read is not stored torn: it keeps the
 * version of the parent snapshot if there is one, else it is left out. */
static void resolve_torn(struct bdir *d)
{
	size_t w = 0;

	for (size_t i = 0; i < d->tree.n; i++) {
		struct hf_node *nd = &d->tree.nodes[i];
		if (d->torn && d->torn[i]) {
			const struct hf_node *old = hf_tree_find(&d->prev, nd->name);
			if (old && old->meta.type == HF_FT_FILE) {
				hf_meta_release(&nd->meta);
				hf_meta_copy(&nd->meta, &old->meta);
				free(nd->parts);
				nd->nparts = old->nparts;
				nd->parts = hf_xmemdup(old->parts, old->nparts * sizeof(*old->parts));
				nd->has_profile = old->has_profile; /* of the content kept, not of the torn read */
				nd->profile = old->profile;
			} else {
				hf_node_release(nd);
				continue;
			}
		}
		if (w != i)
			d->tree.nodes[w] = *nd;
		w++;
	}
	d->tree.n = w;
}

static void free_bdir(struct bdir *d)
{
	if (d->fd >= 0)
		close(d->fd);
	hf_tree_release(&d->tree);
	hf_tree_release(&d->prev);
	free(d->torn);
	free(d->path);
	free(d);
}

void hf_backup_release_dir(struct bctx *c, struct bdir *d)
{
	struct backup *b = c->b;

	while (d && __atomic_sub_fetch(&d->pending, 1, __ATOMIC_ACQ_REL) == 0) {
		struct bdir *parent = d->parent;
		uint8_t id[HF_ID_LEN] = {0};
		int r = 0;

		if (!__atomic_load_n(&b->err, __ATOMIC_RELAXED)) {
			resolve_torn(d);
			c->tbuf.len = 0;
			r = hf_tree_encode(&d->tree, &c->tbuf);
			if (r == 0)
				r = hf_backup_store_blob(c, HF_BLOB_TREE, c->tbuf.data, c->tbuf.len, id);
			if (r == 0 && b->cache)
				hf_bcache_put_tree(b->cache, id, c->tbuf.data, c->tbuf.len);
			if (r < 0)
				hf_backup_fail(b, r);
			else if (b->changes && !(d->has_prev && memcmp(d->prev_id, id, HF_ID_LEN) == 0))
				hf_scan_changes_dir(b->changes, d->path, d->has_prev ? &d->prev : NULL, &d->tree);
		}
		if (parent) {
			memcpy(parent->tree.nodes[d->slot].subtree, id, HF_ID_LEN);
		} else if (r == 0) {
			memcpy(b->root, id, HF_ID_LEN);
			b->have_root = 1;
		}
		free_bdir(d);
		d = parent;
	}
}
