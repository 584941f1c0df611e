/* index.c — index objects and the in-memory index built from them.
 *
 * Object layout: "HFIDX002" | sealed session key | AEAD(session key, main) |
 * AEAD(dedup key, id list) | u32 length of the id-list part | tag, the tag
 * (object.h) covering all the bytes before it, so no part can be forged or
 * moved from another index object without a key file.
 * main = varint npacks, then per pack: id[32], pack session key[32], varint
 * nblobs, per blob: id[32], type u8, flags u8, varint offset, stored, raw.
 * The id list (sorted blob ids) is encrypted under a key derived from the MAC
 * key, so a write-only client can deduplicate without being able to read.
 *
 * In memory, a blob may be claimed by several index objects (at different
 * places, or the same pack under another key): the first claim is kept in
 * the id map, every other distinct one in a side table (empty in the normal
 * case), and readers try them all (blob.c). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "repo/object.h"
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

void hf_index_builder_add(struct hf_index_builder *b, const uint8_t pack_id[HF_ID_LEN], const uint8_t key[HF_KEY_LEN],
			  struct hf_pack_entry *entries, size_t n)
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
			if ((r = hf_buf_append(&main_pt, e->id, HF_ID_LEN)) < 0 ||
			    (r = hf_buf_put_u8(&main_pt, e->type)) < 0 || (r = hf_buf_put_u8(&main_pt, e->flags)) < 0 ||
			    (r = hf_buf_put_varint(&main_pt, e->offset)) < 0 ||
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
		r = hf_buf_reserve(&obj, ids.len + HF_AEAD_OVERHEAD + 4 + HF_OBJ_TAG_LEN);
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
	if (r == 0)
		r = hf_object_tag_append(b->repo, &obj);
	if (r == 0)
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
	hf_idmap_free(ix->other_heads);
	free(ix->others);
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

static const struct hf_index_other *other_of(const struct hf_blob_loc *loc)
{
	return (const struct hf_index_other *)(const void *)((const char *)loc - offsetof(struct hf_index_other, loc));
}

/* the first other claim for id, or NULL */
static const struct hf_index_other *first_other(const struct hf_index *ix, const uint8_t id[HF_ID_LEN])
{
	const uint32_t *head = ix->other_heads ? hf_idmap_get(ix->other_heads, id) : NULL;

	return head ? &ix->others[*head] : NULL;
}

const struct hf_blob_loc *hf_index_find_next(const struct hf_index *ix, const uint8_t id[HF_ID_LEN],
					     const struct hf_blob_loc *prev)
{
	const struct hf_index_other *o;

	if (!ix || !prev || prev->claims == HF_LOC_FIRST)
		return NULL;
	if (prev->claims == HF_LOC_FIRST_MORE) {
		o = first_other(ix, id);
	} else {
		o = other_of(prev);
		o = o->next == UINT32_MAX ? NULL : &ix->others[o->next];
	}
	return o ? &o->loc : NULL;
}

size_t hf_index_claims(const struct hf_index *ix, const uint8_t id[HF_ID_LEN])
{
	size_t n = 0;

	for (const struct hf_blob_loc *l = hf_index_find(ix, id); l; l = hf_index_find_next(ix, id, l))
		n++;
	return n;
}

#define OTHER_PHASE ((size_t)1 << (sizeof(size_t) * 8 - 1))

int hf_index_next(const struct hf_index *ix, size_t *pos, const uint8_t **id, const struct hf_blob_loc **loc)
{
	void *val;

	if (!(*pos & OTHER_PHASE)) {
		if (hf_idmap_next(ix->blobs, pos, id, &val)) {
			*loc = val;
			return 1;
		}
		*pos = OTHER_PHASE;
	}
	if ((*pos & ~OTHER_PHASE) >= ix->nothers)
		return 0;
	*id = ix->others[*pos & ~OTHER_PHASE].id;
	*loc = &ix->others[*pos & ~OTHER_PHASE].loc;
	(*pos)++;
	return 1;
}

const char *hf_index_claim_file(const struct hf_index *ix, const struct hf_blob_loc *loc)
{
	uint32_t f;

	if (loc->pack >= ix->npacks)
		return "?";
	f = ix->packs[loc->pack].file;
	return f < ix->nfiles ? ix->files[f] : "?";
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

/* The pack table entry for (pack id, key): a pack listed again under the same
 * key is the same entry; under another key it is another entry, so that a
 * lying index object cannot change the key the honest ones gave. */
static uint32_t add_pack(struct hf_index *ix, const uint8_t *id, const uint8_t *key, uint32_t file)
{
	uint32_t no = (uint32_t)ix->npacks, *slot, first = UINT32_MAX;

	if (hf_idmap_put(ix->pack_ids, id, &no, (void **)&slot) == 0) {
		first = *slot;
		for (uint32_t p = first; p != UINT32_MAX; p = ix->packs[p].next_same)
			if (hf_ct_equal(ix->keys + (size_t)ix->packs[p].key * HF_KEY_LEN, key, HF_KEY_LEN))
				return p;
	}
	if (ix->npacks == ix->packs_cap) {
		ix->packs_cap = ix->packs_cap ? 2 * ix->packs_cap : 256;
		ix->packs = hf_xreallocarray(ix->packs, ix->packs_cap, sizeof(*ix->packs));
	}
	memcpy(ix->packs[no].id, id, HF_ID_LEN);
	ix->packs[no].key = add_key(ix, key);
	ix->packs[no].file = file;
	ix->packs[no].next_same = UINT32_MAX;
	if (first != UINT32_MAX) {
		ix->packs[no].next_same = ix->packs[first].next_same;
		ix->packs[first].next_same = no;
	}
	ix->npacks++;
	return no;
}

static int same_claim(const struct hf_blob_loc *a, const struct hf_blob_loc *b)
{
	return a->pack == b->pack && a->offset == b->offset && a->stored_len == b->stored_len &&
	       a->raw_len == b->raw_len && a->type == b->type && a->flags == b->flags;
}

/* Records a claim: the first for a blob goes to the id map, any other
 * distinct one to the side table. */
static void add_claim(struct hf_index *ix, const uint8_t *id, const struct hf_blob_loc *loc)
{
	struct hf_blob_loc *first;
	const struct hf_index_other *o;
	uint32_t no, *head;

	if (hf_idmap_put(ix->blobs, id, loc, (void **)&first) == 1)
		return;
	if (same_claim(first, loc))
		return; /* the same claim again (e.g. an index a prune rewrote, and its old one) */
	for (o = first_other(ix, id); o; o = o->next == UINT32_MAX ? NULL : &ix->others[o->next])
		if (same_claim(&o->loc, loc))
			return;
	if (!ix->other_heads)
		ix->other_heads = hf_idmap_new(sizeof(uint32_t));
	if (ix->nothers == ix->others_cap) {
		ix->others_cap = ix->others_cap ? 2 * ix->others_cap : 16;
		ix->others = hf_xreallocarray(ix->others, ix->others_cap, sizeof(*ix->others));
	}
	no = (uint32_t)ix->nothers++;
	memcpy(ix->others[no].id, id, HF_ID_LEN);
	ix->others[no].loc = *loc;
	ix->others[no].loc.claims = HF_LOC_OTHER;
	ix->others[no].next = UINT32_MAX;
	if (hf_idmap_put(ix->other_heads, id, &no, (void **)&head) == 0) {
		/* append, so claims are tried in the order they were loaded */
		uint32_t k = *head;
		while (ix->others[k].next != UINT32_MAX)
			k = ix->others[k].next;
		ix->others[k].next = no;
	}
	first->claims = HF_LOC_FIRST_MORE;
}

/* Parses one decrypted index payload into ix. All of it is validated before
 * any of it is added, so a damaged object adds nothing. */
static int index_parse(struct hf_index *ix, const uint8_t *p, size_t n, uint32_t file)
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
				no = add_pack(ix, pid, key, file);
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
				if (pass == 1)
					add_claim(ix, bid, &loc);
			}
		}
		if (hf_reader_left(&rd) != 0)
			return -HF_E_CORRUPT;
	}
	return 0;
}

/* the id-list part: readers have the dedup key, so they authenticate it too */
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

/* Checks the object's magic and tag, then opens its two parts: nothing of an
 * object without a valid tag is decrypted or parsed. */
static int open_index(struct hf_repo *r, const uint8_t *p, size_t n, struct hf_buf *pt)
{
	size_t body = 0;
	uint32_t dlen;
	int ret;

	if (n < HF_MAGIC_LEN || memcmp(p, HF_MAGIC_INDEX, HF_MAGIC_LEN) != 0)
		return n >= HF_MAGIC_LEN && memcmp(p, HF_MAGIC_INDEX, 5) == 0 ? -HF_E_VERSION : -HF_E_CORRUPT;
	ret = hf_object_tag_check(r, p, n, &body);
	if (ret < 0)
		return ret;
	if (body < 4)
		return -HF_E_CORRUPT;
	dlen = hf_get_le32(p + body - 4);
	if (dlen > body - 4)
		return -HF_E_CORRUPT;
	ret = hf_envelope_open(r, HF_MAGIC_INDEX, p, body - 4 - dlen, pt, NULL);
	if (ret == 0)
		ret = open_idlist(r, p + body - 4 - dlen, dlen);
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

/* 1 for what is wrong with an index object itself (it is skipped and
 * counted), 0 for a failure to get it (the load stops) */
static int object_damage(int r)
{
	return r == -HF_E_CORRUPT || r == -HF_E_AUTH || r == -HF_E_VERSION || r == -HF_E_LIMIT || r == -HF_E_NOTFOUND;
}

static int load_one(void *arg, const char *name, uint64_t size)
{
	struct load_ctx *lc = arg;
	struct hf_buf obj, pt;
	uint8_t id[HF_ID_LEN];
	int r;

	hf_buf_init(&obj, HF_META_OBJ_MAX);
	hf_buf_init(&pt, HF_META_OBJ_MAX);
	r = size > HF_META_OBJ_MAX ? -HF_E_LIMIT : hf_repo_get_hashed(lc->repo, HF_OBJ_INDEX, name, &obj, id);
	if (r == 0)
		r = open_index(lc->repo, obj.data, obj.len, &pt);
	if (r == 0)
		r = lc->ix->nfiles >= UINT32_MAX ? -HF_E_LIMIT
						 : index_parse(lc->ix, pt.data, pt.len, (uint32_t)lc->ix->nfiles);
	if (r == 0) {
		lc->ix->files = hf_xreallocarray(lc->ix->files, lc->ix->nfiles + 1, sizeof(char *));
		lc->ix->files[lc->ix->nfiles++] = hf_xstrdup(name);
	} else if (object_damage(r)) {
		lc->bad++;
		if (lc->bad_fn)
			lc->bad_fn(lc->arg, name, r);
		r = 0;
	} /* else the store failed (I/O, unavailable, no memory): the load fails
	   * as a whole rather than leave a partial index that passes for whole */
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

int hf_repo_load_index(struct hf_repo *r, size_t *bad, void (*bad_fn)(void *arg, const char *name, int err), void *arg)
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
