/* index.c — index objects and the in-memory index built from them.
 *
 * Object layout: "HFIDX001" | sealed session key | AEAD(session key, main) |
 * AEAD(dedup key, id list) | u32 length of the id-list part.
 * main = varint npacks, then per pack: id[32], pack session key[32], varint
 * nblobs, per blob: id[32], type u8, flags u8, varint offset, stored, raw.
 * The id list (sorted blob ids) is encrypted under a key derived from the MAC
 * key, so a write-only client can deduplicate without being able to read. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "repo/repo_internal.h"
#include "store/store.h"
#include "util/err.h"
#include "util/mem.h"

#define INDEX_MAX_PACKS (1u << 22)
#define DEDUP_AD "HFIDXDED"

void hf_index_builder_init(struct hf_index_builder *b, struct hf_repo *r, const struct hf_session *s)
{
	memset(b, 0, sizeof(*b));
	pthread_mutex_init(&b->lock, NULL);
	b->repo = r;
	b->session = s;
}

static void free_packs(struct hf_index_pack_entries *packs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(packs[i].entries);
		hf_wipe(packs[i].key, HF_KEY_LEN);
	}
	free(packs);
}

void hf_index_builder_add(struct hf_index_builder *b, const uint8_t pack_id[HF_ID_LEN],
			  const uint8_t key[HF_KEY_LEN], struct hf_pack_entry *entries, size_t n)
{
	pthread_mutex_lock(&b->lock);
	if (b->npacks == b->cap) {
		b->cap = b->cap ? 2 * b->cap : 16;
		b->packs = hf_xreallocarray(b->packs, b->cap, sizeof(*b->packs));
	}
	memcpy(b->packs[b->npacks].pack_id, pack_id, HF_ID_LEN);
	memcpy(b->packs[b->npacks].key, key, HF_KEY_LEN);
	b->packs[b->npacks].entries = entries;
	b->packs[b->npacks].n = n;
	b->npacks++;
	pthread_mutex_unlock(&b->lock);
}

void hf_index_builder_release(struct hf_index_builder *b)
{
	free_packs(b->packs, b->npacks);
	pthread_mutex_destroy(&b->lock);
}

static int cmp_id(const void *a, const void *b)
{
	return memcmp(a, b, HF_ID_LEN);
}

int hf_index_builder_write(struct hf_index_builder *b)
{
	struct hf_buf main_pt, ids, obj;
	struct hf_index_pack_entries *packs;
	size_t npacks;
	struct hf_aead *a = NULL;
	size_t nblobs = 0, k = 0;
	uint8_t *list = NULL;
	int r = 0;

	/* take the packs out, so other threads go on adding while this writes */
	pthread_mutex_lock(&b->lock);
	packs = b->packs;
	npacks = b->npacks;
	b->packs = NULL;
	b->npacks = b->cap = 0;
	pthread_mutex_unlock(&b->lock);
	hf_buf_init(&main_pt, HF_META_OBJ_MAX);
	hf_buf_init(&ids, HF_META_OBJ_MAX);
	hf_buf_init(&obj, HF_META_OBJ_MAX);
	if (npacks == 0)
		goto out;
	r = hf_buf_put_varint(&main_pt, npacks);
	for (size_t i = 0; i < npacks && r == 0; i++) {
		const struct hf_index_pack_entries *p = &packs[i];
		r = hf_buf_append(&main_pt, p->pack_id, HF_ID_LEN);
		if (r == 0)
			r = hf_buf_append(&main_pt, p->key, HF_KEY_LEN);
		if (r == 0)
			r = hf_buf_put_varint(&main_pt, p->n);
		for (size_t j = 0; j < p->n && r == 0; j++) {
			const struct hf_pack_entry *e = &p->entries[j];
			if ((r = hf_buf_append(&main_pt, e->id, HF_ID_LEN)) < 0 || (r = hf_buf_put_u8(&main_pt, e->type)) < 0 ||
			    (r = hf_buf_put_u8(&main_pt, e->flags)) < 0 || (r = hf_buf_put_varint(&main_pt, e->offset)) < 0 ||
			    (r = hf_buf_put_varint(&main_pt, e->stored_len)) < 0)
				break;
			r = hf_buf_put_varint(&main_pt, e->raw_len);
		}
		nblobs += p->n;
	}
	if (r < 0)
		goto out;
	list = hf_xreallocarray(NULL, nblobs ? nblobs : 1, HF_ID_LEN);
	for (size_t i = 0; i < npacks; i++)
		for (size_t j = 0; j < packs[i].n; j++)
			memcpy(list + HF_ID_LEN * k++, packs[i].entries[j].id, HF_ID_LEN);
	qsort(list, nblobs, HF_ID_LEN, cmp_id);
	r = hf_buf_put_varint(&ids, nblobs);
	if (r == 0)
		r = hf_buf_append(&ids, list, nblobs * HF_ID_LEN);
	if (r == 0)
		r = hf_envelope_seal(b->repo, b->session, HF_MAGIC_INDEX, main_pt.data, main_pt.len, &obj);
	if (r == 0)
		r = hf_buf_reserve(&obj, ids.len + HF_AEAD_OVERHEAD + 4);
	if (r < 0)
		goto out;
	/* the packs this index names must be durable before it exists */
	r = hf_store_sync(b->repo->store);
	if (r < 0)
		goto out;
	a = hf_aead_new();
	r = hf_aead_seal(a, b->repo->dedup_key, DEDUP_AD, HF_MAGIC_LEN, ids.data, ids.len, obj.data + obj.len);
	if (r < 0)
		goto out;
	obj.len += ids.len + HF_AEAD_OVERHEAD;
	r = hf_buf_put_u32(&obj, (uint32_t)(ids.len + HF_AEAD_OVERHEAD));
	if (r < 0)
		goto out;
	r = hf_repo_put_hashed(b->repo, HF_OBJ_INDEX, obj.data, obj.len, NULL);
out:
	free_packs(packs, npacks);
	hf_aead_free(a);
	free(list);
	hf_buf_release(&main_pt);
	hf_buf_release(&ids);
	hf_buf_release(&obj);
	return r;
}

/* ---- loading ---------------------------------------------------------------- */

static struct hf_index *index_new(void)
{
	struct hf_index *ix = hf_xcalloc(1, sizeof(*ix));

	ix->blobs = hf_idmap_new(sizeof(struct hf_blob_loc));
	ix->pack_ids = hf_idmap_new(sizeof(uint32_t));
	return ix;
}

void hf_index_free(struct hf_index *ix)
{
	if (!ix)
		return;
	hf_idmap_free(ix->blobs);
	hf_idmap_free(ix->pack_ids);
	free(ix->packs);
	hf_secure_free(ix->keys);
	for (size_t i = 0; i < ix->nfiles; i++)
		free(ix->files[i]);
	free(ix->files);
	free(ix);
}

const struct hf_blob_loc *hf_index_find(const struct hf_index *ix, const uint8_t id[HF_ID_LEN])
{
	return ix ? hf_idmap_get(ix->blobs, id) : NULL;
}

static uint32_t add_key(struct hf_index *ix, const uint8_t *key)
{
	if (ix->nkeys > 0 && hf_ct_equal(ix->keys + (ix->nkeys - 1) * HF_KEY_LEN, key, HF_KEY_LEN))
		return (uint32_t)(ix->nkeys - 1);
	if (ix->nkeys == ix->keys_cap) {
		size_t cap = ix->keys_cap ? 2 * ix->keys_cap : 64;
		uint8_t *k = hf_secure_alloc(cap * HF_KEY_LEN);
		if (ix->keys)
			memcpy(k, ix->keys, ix->nkeys * HF_KEY_LEN);
		hf_secure_free(ix->keys);
		ix->keys = k;
		ix->keys_cap = cap;
	}
	memcpy(ix->keys + ix->nkeys * HF_KEY_LEN, key, HF_KEY_LEN);
	return (uint32_t)ix->nkeys++;
}

static uint32_t add_pack(struct hf_index *ix, const uint8_t *id, const uint8_t *key)
{
	uint32_t no = (uint32_t)ix->npacks, *slot;

	if (hf_idmap_put(ix->pack_ids, id, &no, (void **)&slot) == 0)
		return *slot; /* listed by an earlier index too */
	if (ix->npacks == ix->packs_cap) {
		ix->packs_cap = ix->packs_cap ? 2 * ix->packs_cap : 256;
		ix->packs = hf_xreallocarray(ix->packs, ix->packs_cap, sizeof(*ix->packs));
	}
	memcpy(ix->packs[no].id, id, HF_ID_LEN);
	ix->packs[no].key = add_key(ix, key);
	ix->npacks++;
	return no;
}

/* Parses one decrypted index payload into ix. All of it is validated before
 * any of it is added, so a damaged object adds nothing. */
static int index_parse(struct hf_index *ix, const uint8_t *p, size_t n)
{
	struct hf_reader rd;
	uint64_t npacks;
	int pass, r;

	for (pass = 0; pass < 2; pass++) {
		hf_reader_init(&rd, p, n);
		r = hf_rd_varint(&rd, &npacks);
		if (r < 0)
			return r;
		if (npacks > INDEX_MAX_PACKS)
			return -HF_E_CORRUPT;
		for (uint64_t i = 0; i < npacks; i++) {
			const uint8_t *pid, *key;
			uint64_t nb;
			uint32_t no = 0;
			if ((r = hf_rd_raw(&rd, &pid, HF_ID_LEN)) < 0 || (r = hf_rd_raw(&rd, &key, HF_KEY_LEN)) < 0 ||
			    (r = hf_rd_varint(&rd, &nb)) < 0)
				return r;
			if (nb > hf_reader_left(&rd) / (HF_ID_LEN + 5))
				return -HF_E_CORRUPT;
			if (pass == 1)
				no = add_pack(ix, pid, key);
			for (uint64_t j = 0; j < nb; j++) {
				const uint8_t *bid;
				struct hf_blob_loc loc = {.pack = no};
				uint64_t off, sl, rl;
				if ((r = hf_rd_raw(&rd, &bid, HF_ID_LEN)) < 0 || (r = hf_rd_u8(&rd, &loc.type)) < 0 ||
				    (r = hf_rd_u8(&rd, &loc.flags)) < 0 || (r = hf_rd_varint(&rd, &off)) < 0 ||
				    (r = hf_rd_varint(&rd, &sl)) < 0 || (r = hf_rd_varint(&rd, &rl)) < 0)
					return r;
				if (off > UINT32_MAX || sl < HF_AEAD_OVERHEAD || sl > HF_BLOB_MAX + HF_AEAD_OVERHEAD ||
				    rl > HF_BLOB_MAX || loc.type > HF_BLOB_TREE || (loc.flags & ~HF_BLOB_F_ZSTD))
					return -HF_E_CORRUPT;
				loc.offset = (uint32_t)off;
				loc.stored_len = (uint32_t)sl;
				loc.raw_len = (uint32_t)rl;
				if (pass == 1 && (r = hf_idmap_put(ix->blobs, bid, &loc, NULL)) < 0)
					return r;
			}
		}
		if (hf_reader_left(&rd) != 0)
			return -HF_E_CORRUPT;
	}
	return 0;
}

/* an object's bytes must hash to its name */
static int open_idlist(struct hf_repo *r, const uint8_t *p, size_t n)
{
	struct hf_aead *a;
	uint8_t *pt;
	int ret;

	if (n < HF_AEAD_OVERHEAD)
		return -HF_E_CORRUPT;
	pt = hf_xmalloc(n - HF_AEAD_OVERHEAD + 1);
	a = hf_aead_new();
	ret = hf_aead_open(a, r->dedup_key, DEDUP_AD, HF_MAGIC_LEN, p, n, pt);
	hf_aead_free(a);
	free(pt);
	return ret;
}

struct load_ctx {
	struct hf_repo *repo;
	struct hf_index *ix;
	size_t bad;
	void (*bad_fn)(void *arg, const char *name, int err);
	void *arg;
	int err;
};

static int load_one(void *arg, const char *name, uint64_t size)
{
	struct load_ctx *lc = arg;
	struct hf_buf obj, pt;
	uint8_t id[HF_ID_LEN];
	uint32_t dlen;
	int r;

	hf_buf_init(&obj, HF_META_OBJ_MAX);
	hf_buf_init(&pt, HF_META_OBJ_MAX);
	r = size > HF_META_OBJ_MAX ? -HF_E_LIMIT : hf_repo_get_hashed(lc->repo, HF_OBJ_INDEX, name, &obj, id);
	if (r == 0) {
		if (obj.len < 4) {
			r = -HF_E_CORRUPT;
		} else {
			dlen = hf_get_le32(obj.data + obj.len - 4);
			r = dlen > obj.len - 4 ? -HF_E_CORRUPT
					       : hf_envelope_open(lc->repo, HF_MAGIC_INDEX, obj.data, obj.len - 4 - dlen, &pt,
								  NULL);
			/* the id list is authenticated too (readers have the dedup key) */
			if (r == 0)
				r = open_idlist(lc->repo, obj.data + obj.len - 4 - dlen, dlen);
		}
	}
	if (r == 0)
		r = index_parse(lc->ix, pt.data, pt.len);
	if (r == 0) {
		lc->ix->files = hf_xreallocarray(lc->ix->files, lc->ix->nfiles + 1, sizeof(char *));
		lc->ix->files[lc->ix->nfiles++] = hf_xstrdup(name);
	} else if (r != -ENOMEM) {
		lc->bad++;
		if (lc->bad_fn)
			lc->bad_fn(lc->arg, name, r);
		r = 0;
	}
	hf_buf_release(&obj);
	hf_buf_release(&pt);
	return r;
}

/* load_one for the index objects not loaded yet */
static int load_new(void *arg, const char *name, uint64_t size)
{
	struct load_ctx *lc = arg;

	for (size_t i = 0; i < lc->ix->nfiles; i++)
		if (strcmp(lc->ix->files[i], name) == 0)
			return 0;
	return load_one(arg, name, size);
}

int hf_repo_refresh_index(struct hf_repo *r)
{
	struct load_ctx lc = {.repo = r, .ix = r->index};

	if (!r->index)
		return hf_repo_load_index(r, NULL, NULL, NULL);
	return hf_store_list(r->store, HF_OBJ_INDEX, load_new, &lc);
}

int hf_repo_load_index(struct hf_repo *r, size_t *bad, void (*bad_fn)(void *arg, const char *name, int err),
		       void *arg)
{
	struct load_ctx lc = {.repo = r, .bad_fn = bad_fn, .arg = arg};
	int ret;

	if (!r->sk)
		return -HF_E_USAGE;
	lc.ix = index_new();
	ret = hf_store_list(r->store, HF_OBJ_INDEX, load_one, &lc);
	if (ret < 0) {
		hf_index_free(lc.ix);
		return ret;
	}
	hf_index_free(r->index);
	r->index = lc.ix;
	if (bad)
		*bad = lc.bad;
	return 0;
}
