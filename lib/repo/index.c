/* index.c — index objects: writing them, and loading them into the
 * in-memory index (index_table.c).
 *
 * Object layout: "HFIDX003" | sealed session key | AEAD(session key, main) |
 * AEAD(dedup key, id list) | u32 length of the id-list part | tag, the tag
 * (object.h) covering all the bytes before it, so no part can be forged or
 * moved from another index object without a key file.
 * main = varint npacks, then per pack: id[32], pack session key[32], varint
 * nblobs, per blob: id[32], type u8, flags u8, varint offset, stored, raw.
 * id list = varint npacks, the pack ids[32], varint nblobs, then per blob
 * (sorted by id): id[32], varint pack ordinal (in the list's pack ids). It is
 * encrypted under a key derived from the MAC key, so a write-only client can
 * deduplicate without being able to read, and still know which pack holds
 * each blob (a pending deletion names packs: a backup must not deduplicate
 * against a condemned one). A write-only client reads only the tail of an
 * index object (hf_repo_load_dedup): u32 length and tag, then the id list.
 * A writer puts at most HF_INDEX_OBJ_BLOBS blobs in one object (a pack with
 * more is listed in several, under the same key). */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "repo/objcache.h"
#include "repo/object.h"
#include "repo/pending.h"
#include "repo/repo_internal.h"
#include "store/store.h"
#include "util/err.h"
#include "util/hex.h"
#include "util/mem.h"

#define INDEX_MAX_PACKS (1u << 22)
#define DEDUP_AD "HFIDL003"              /* ad of the id list: its version (HFIDX002 had "HFIDXDED") */
#define IDLIST_TAIL (4 + HF_OBJ_TAG_LEN) /* u32 id-list length | tag */
/* the smallest index object: magic, sealed key, an empty main part and an
 * empty id list before the tail */
#define IDLIST_MIN_OBJECT (HF_MAGIC_LEN + HF_SEALED_KEY_LEN + 2 * HF_AEAD_OVERHEAD + IDLIST_TAIL)

struct hf_index_builder {
	pthread_mutex_t lock;
	struct hf_repo *repo;
	const struct hf_session *session;
	struct pending_pack {
		uint8_t pack_id[HF_ID_LEN];
		size_t key_off; /* of its session key in keys */
		struct hf_pack_entry *entries;
		size_t n;
	} * packs;
	size_t npacks, cap;
	struct hf_secbuf keys; /* the packs' keys, in locked memory */
	size_t nblobs;         /* in packs */
	uint64_t bytes_stored;
};

struct hf_index_builder *hf_index_builder_new(struct hf_repo *r, const struct hf_session *s)
{
	struct hf_index_builder *b = hf_xcalloc(1, sizeof(*b));

	pthread_mutex_init(&b->lock, NULL);
	b->repo = r;
	b->session = s;
	hf_secbuf_init(&b->keys, (size_t)INDEX_MAX_PACKS * HF_KEY_LEN);
	return b;
}

static void free_packs(struct pending_pack *packs, size_t n, struct hf_secbuf *keys)
{
	for (size_t i = 0; i < n; i++)
		free(packs[i].entries);
	free(packs);
	hf_secbuf_release(keys);
}

void hf_index_builder_add(struct hf_index_builder *b, const uint8_t pack_id[HF_ID_LEN], const uint8_t key[HF_KEY_LEN],
			  struct hf_pack_entry *entries, size_t n, uint64_t bytes_stored)
{
	struct pending_pack *p;

	pthread_mutex_lock(&b->lock);
	if (b->npacks == b->cap) {
		b->cap = b->cap ? 2 * b->cap : 16;
		b->packs = hf_xreallocarray(b->packs, b->cap, sizeof(*b->packs));
	}
	p = &b->packs[b->npacks];
	memcpy(p->pack_id, pack_id, HF_ID_LEN);
	p->key_off = b->keys.len;
	if (hf_secbuf_append(&b->keys, key, HF_KEY_LEN) < 0)
		abort(); /* past INDEX_MAX_PACKS: the writers flush long before */
	p->entries = entries;
	p->n = n;
	b->npacks++;
	b->bytes_stored += bytes_stored;
	__atomic_add_fetch(&b->nblobs, n, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&b->lock);
}

void hf_index_builder_pending(const struct hf_index_builder *b, size_t *packs, size_t *blobs)
{
	*packs = __atomic_load_n(&b->npacks, __ATOMIC_RELAXED);
	*blobs = __atomic_load_n(&b->nblobs, __ATOMIC_RELAXED);
}

const uint8_t *hf_index_builder_pack_id(const struct hf_index_builder *b, size_t i)
{
	return b->packs[i].pack_id;
}

uint64_t hf_index_builder_bytes_stored(const struct hf_index_builder *b)
{
	return b->bytes_stored;
}

void hf_index_builder_free(struct hf_index_builder *b)
{
	if (!b)
		return;
	free_packs(b->packs, b->npacks, &b->keys);
	pthread_mutex_destroy(&b->lock);
	free(b);
}

/* the longest main part listing nblobs blobs of npacks packs (varints of
 * at most 10 bytes) */
#define MAIN_MAX(npacks, nblobs) (10 + (npacks) * (HF_ID_LEN + HF_KEY_LEN + 10) + (nblobs) * (HF_ID_LEN + 2 + 30))

/* the blobs [first, first + n) of one pack, listed in one index object */
struct slice {
	const struct hf_index_pack_entries *pack;
	size_t first, n;
};

static int encode_main(const struct slice *sl, size_t nsl, struct hf_buf *out)
{
	int r = hf_buf_put_varint(out, nsl);

	for (size_t i = 0; i < nsl && r == 0; i++) {
		r = hf_buf_append(out, sl[i].pack->pack_id, HF_ID_LEN);
		if (r == 0)
			r = hf_buf_append(out, sl[i].pack->key, HF_KEY_LEN);
		if (r == 0)
			r = hf_buf_put_varint(out, sl[i].n);
		for (size_t j = sl[i].first; j < sl[i].first + sl[i].n && r == 0; j++) {
			const struct hf_pack_entry *e = &sl[i].pack->entries[j];
			if ((r = hf_buf_append(out, e->id, HF_ID_LEN)) < 0 || (r = hf_buf_put_u8(out, e->type)) < 0 ||
			    (r = hf_buf_put_u8(out, e->flags)) < 0 || (r = hf_buf_put_varint(out, e->offset)) < 0 ||
			    (r = hf_buf_put_varint(out, e->stored_len)) < 0)
				break;
			r = hf_buf_put_varint(out, e->raw_len);
		}
	}
	return r;
}

int hf_index_main_encode(const struct hf_index_pack_entries *packs, size_t npacks, struct hf_buf *out)
{
	struct slice *sl = hf_xreallocarray(NULL, npacks ? npacks : 1, sizeof(*sl));
	int r;

	for (size_t i = 0; i < npacks; i++)
		sl[i] = (struct slice){.pack = &packs[i], .first = 0, .n = packs[i].n};
	r = encode_main(sl, npacks, out);
	free(sl);
	return r;
}

struct idlist_item {
	uint8_t id[HF_ID_LEN];
	uint32_t pack; /* ordinal of the slice, hence of the pack, in the object */
};

static int cmp_item(const void *a, const void *b)
{
	return memcmp(((const struct idlist_item *)a)->id, ((const struct idlist_item *)b)->id, HF_ID_LEN);
}

static int encode_idlist(const struct slice *sl, size_t nsl, size_t nblobs, struct hf_buf *out)
{
	struct idlist_item *list = hf_xreallocarray(NULL, nblobs ? nblobs : 1, sizeof(*list));
	size_t k = 0;
	int r;

	for (size_t i = 0; i < nsl; i++)
		for (size_t j = sl[i].first; j < sl[i].first + sl[i].n; j++) {
			memcpy(list[k].id, sl[i].pack->entries[j].id, HF_ID_LEN);
			list[k++].pack = (uint32_t)i;
		}
	qsort(list, nblobs, sizeof(*list), cmp_item);
	r = hf_buf_put_varint(out, nsl);
	for (size_t i = 0; i < nsl && r == 0; i++)
		r = hf_buf_append(out, sl[i].pack->pack_id, HF_ID_LEN);
	if (r == 0)
		r = hf_buf_put_varint(out, nblobs);
	for (size_t i = 0; i < nblobs && r == 0; i++) {
		r = hf_buf_append(out, list[i].id, HF_ID_LEN);
		if (r == 0)
			r = hf_buf_put_varint(out, list[i].pack);
	}
	free(list);
	return r;
}

/* one index object listing the slices */
static int write_object(struct hf_index_builder *b, const struct slice *sl, size_t nsl, size_t nblobs)
{
	struct hf_secbuf secret;
	struct hf_buf main_pt, ids, obj;
	struct hf_aead *a = NULL;
	int r;

	/* the main part holds pack keys: it is encoded into locked memory,
	 * sized for the longest encoding, through a buffer that cannot grow */
	hf_secbuf_init(&secret, HF_META_OBJ_MAX);
	r = hf_secbuf_reserve(&secret, MAIN_MAX(nsl, nblobs));
	main_pt = (struct hf_buf){.data = secret.data, .cap = secret.cap, .max = secret.cap};
	hf_buf_init(&ids, HF_META_OBJ_MAX);
	hf_buf_init(&obj, HF_META_OBJ_MAX);
	if (r == 0)
		r = encode_main(sl, nsl, &main_pt);
	if (r == 0)
		r = encode_idlist(sl, nsl, nblobs, &ids);
	if (r == 0)
		r = hf_envelope_seal(b->repo, b->session, HF_MAGIC_INDEX, main_pt.data, main_pt.len, &obj);
	if (r == 0)
		r = hf_buf_reserve(&obj, ids.len + HF_AEAD_OVERHEAD + 4 + HF_OBJ_TAG_LEN);
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
	if (r == 0)
		__atomic_store_n(&b->repo->own_index_unlisted, 1, __ATOMIC_RELEASE);
out:
	hf_aead_free(a);
	hf_secbuf_release(&secret);
	hf_buf_release(&ids);
	hf_buf_release(&obj);
	return r;
}

int hf_index_builder_write(struct hf_index_builder *b)
{
	struct pending_pack *pending;
	struct hf_index_pack_entries *packs = NULL;
	struct hf_secbuf keys;
	struct slice *sl = NULL;
	size_t npacks, i = 0, j = 0;
	int r = 0;

	/* take the packs out, so other threads go on adding while this writes */
	pthread_mutex_lock(&b->lock);
	pending = b->packs;
	npacks = b->npacks;
	keys = b->keys;
	hf_secbuf_init(&b->keys, keys.max);
	b->packs = NULL;
	b->npacks = b->cap = 0;
	b->nblobs = 0;
	pthread_mutex_unlock(&b->lock);
	if (npacks == 0)
		goto out;
	packs = hf_xreallocarray(NULL, npacks, sizeof(*packs));
	for (size_t k = 0; k < npacks; k++)
		packs[k] = (struct hf_index_pack_entries){.key = keys.data + pending[k].key_off,
							  .entries = pending[k].entries,
							  .n = pending[k].n};
	for (size_t k = 0; k < npacks; k++)
		memcpy(packs[k].pack_id, pending[k].pack_id, HF_ID_LEN);
	/* the packs these objects name must be durable before they exist */
	r = hf_store_sync(b->repo->store);
	sl = hf_xreallocarray(NULL, npacks, sizeof(*sl));
	while (r == 0 && i < npacks) { /* the next object: whole packs, or parts of one */
		size_t nsl = 0, nblobs = 0;
		while (i < npacks && nblobs < HF_INDEX_OBJ_BLOBS) {
			size_t take = packs[i].n - j;
			if (take > HF_INDEX_OBJ_BLOBS - nblobs)
				take = HF_INDEX_OBJ_BLOBS - nblobs;
			sl[nsl++] = (struct slice){.pack = &packs[i], .first = j, .n = take};
			nblobs += take;
			j += take;
			if (j == packs[i].n) {
				i++;
				j = 0;
			}
		}
		r = write_object(b, sl, nsl, nblobs);
	}
out:
	free(sl);
	free(packs);
	free_packs(pending, npacks, &keys);
	return r;
}

/* ---- loading ---------------------------------------------------------------- */

/* Parses one decrypted index payload into ix (unsealed). All of it is
 * validated before any of it is added, so a damaged object adds nothing. */
int hf_index_parse(struct hf_index *ix, const uint8_t *p, size_t n, uint32_t file)
{
	struct hf_reader rd;
	uint64_t npacks, total = 0;
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
			total += nb;
			if (pass == 1 && (r = hf_index_add_pack(ix, pid, key, file, &no)) < 0)
				return r;
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
					hf_index_append(ix, bid, &loc);
			}
		}
		if (hf_reader_left(&rd) != 0)
			return -HF_E_CORRUPT;
		if (pass == 0 && (r = hf_index_reserve(ix, total > SIZE_MAX ? SIZE_MAX : (size_t)total)) < 0)
			return r;
	}
	return 0;
}

int hf_index_parse_idlist(struct hf_index *ix, const uint8_t *p, size_t n, uint32_t file)
{
	static const uint8_t nokey[HF_KEY_LEN]; /* a write-only client knows no pack key */
	struct hf_reader rd;
	const uint8_t *pids = NULL;
	uint32_t *nos = NULL;
	uint64_t npacks, nblobs;
	int pass, r;

	for (pass = 0; pass < 2; pass++) {
		hf_reader_init(&rd, p, n);
		if ((r = hf_rd_varint(&rd, &npacks)) < 0)
			goto out;
		if (npacks > INDEX_MAX_PACKS || npacks > hf_reader_left(&rd) / HF_ID_LEN) {
			r = -HF_E_CORRUPT;
			goto out;
		}
		if ((r = hf_rd_raw(&rd, &pids, (size_t)npacks * HF_ID_LEN)) < 0 || (r = hf_rd_varint(&rd, &nblobs)) < 0)
			goto out;
		if (nblobs > hf_reader_left(&rd) / (HF_ID_LEN + 1)) {
			r = -HF_E_CORRUPT;
			goto out;
		}
		if (pass == 1) {
			nos = hf_xreallocarray(NULL, npacks ? (size_t)npacks : 1, sizeof(*nos));
			for (uint64_t i = 0; i < npacks; i++)
				if ((r = hf_index_add_pack(ix, pids + i * HF_ID_LEN, nokey, file, &nos[i])) < 0)
					goto out;
		}
		for (uint64_t j = 0; j < nblobs; j++) {
			const uint8_t *bid;
			uint64_t ord;
			if ((r = hf_rd_raw(&rd, &bid, HF_ID_LEN)) < 0 || (r = hf_rd_varint(&rd, &ord)) < 0)
				goto out;
			if (ord >= npacks) {
				r = -HF_E_CORRUPT;
				goto out;
			}
			if (pass == 1) {
				struct hf_blob_loc loc = {.pack = nos[ord]};
				hf_index_append(ix, bid, &loc);
			}
		}
		if (hf_reader_left(&rd) != 0) {
			r = -HF_E_CORRUPT;
			goto out;
		}
		if (pass == 0 && (r = hf_index_reserve(ix, (size_t)nblobs)) < 0)
			goto out;
	}
	r = 0;
out:
	free(nos);
	return r;
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
static int open_index(struct hf_repo *r, const uint8_t *p, size_t n, struct hf_secbuf *pt)
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
	ret = hf_envelope_open_secure(r, HF_MAGIC_INDEX, p, body - 4 - dlen, pt);
	if (ret == 0)
		ret = open_idlist(r, p + body - 4 - dlen, dlen);
	return ret;
}

struct index_file {
	char *name;
	uint64_t size;
};

struct load_ctx {
	struct hf_repo *repo;
	struct hf_index *ix;
	int dedup;               /* id lists only (hf_repo_load_dedup) */
	struct index_file *todo; /* listed, not loaded yet */
	size_t ntodo, todo_cap;
	size_t bad;
	void (*bad_fn)(void *arg, const char *name, int err);
	void *arg;
	struct hf_idmap *gone;   /* index objects a plan names as deleted (pending.h) */
	struct hf_idmap *listed; /* every name listed, where the repository keeps copies (objcache.h) */
};

/* 1 for what is wrong with an index object itself (it is skipped and
 * counted), 0 for a failure to get it (the load stops) */
static int object_damage(int r)
{
	return r == -HF_E_CORRUPT || r == -HF_E_AUTH || r == -HF_E_VERSION || r == -HF_E_LIMIT || r == -HF_E_NOTFOUND;
}

/* Opens the id list in the last IDLIST_TAIL bytes of p[0..n) and the dlen
 * before them (the object's tail: u32 length | tag) into pt; size is the
 * object's whole size, for the bound on dlen. */
static int idlist_from_tail(struct hf_repo *r, const uint8_t *p, size_t n, uint64_t size, struct hf_buf *pt)
{
	struct hf_aead *a;
	uint32_t dlen;
	int ret;

	if (n < IDLIST_TAIL || size < IDLIST_MIN_OBJECT)
		return -HF_E_CORRUPT;
	dlen = hf_get_le32(p + n - IDLIST_TAIL);
	if (dlen < HF_AEAD_OVERHEAD || dlen > n - IDLIST_TAIL || dlen > size - IDLIST_MIN_OBJECT + HF_AEAD_OVERHEAD)
		return -HF_E_CORRUPT;
	ret = hf_buf_reserve(pt, dlen - HF_AEAD_OVERHEAD + 1);
	if (ret < 0)
		return ret;
	a = hf_aead_new();
	ret = hf_aead_open(a, r->dedup_key, DEDUP_AD, HF_MAGIC_LEN, p + n - IDLIST_TAIL - dlen, dlen, pt->data);
	hf_aead_free(a);
	if (ret == 0)
		pt->len = dlen - HF_AEAD_OVERHEAD;
	return ret;
}

/* The id list of one index object, read from its tail only: the u32 length
 * and the tag, then the id-list part. The tag covers the whole object, so it
 * cannot be checked from here; the id list's AEAD under the dedup key is what
 * authenticates it (only key holders can make one), and nothing else of the
 * object is read. Where the repository keeps copies (a remote store), the
 * copy of that tail (id list | length | tag) is read instead of the store's
 * three answers (size, tail, id list), and kept after a fetch; a copy of the
 * whole object (kept by a backup with the full key) ends with the same
 * bytes. A copy that does not open is fetched again. */
static int read_idlist(struct hf_repo *r, const char *name, uint64_t listed, struct hf_buf *pt)
{
	uint8_t *part = NULL;
	uint64_t size = listed;
	uint32_t dlen;
	int ret;

	if (r->objcache) {
		struct hf_buf copy;
		hf_buf_init(&copy, HF_META_OBJ_MAX);
		ret = hf_objcache_get(r->objcache, HF_OBJ_INDEX, name, &copy);
		if (ret == 0)
			ret = idlist_from_tail(r, copy.data, copy.len, listed, pt);
		hf_buf_release(&copy);
		if (ret == 0)
			return 0;
		if (ret != -ENOENT)
			hf_objcache_drop(r->objcache, HF_OBJ_INDEX, name);
	}
	ret = hf_store_size(r->store, HF_OBJ_INDEX, name, &size);
	if (ret < 0)
		return ret;
	if (size > HF_META_OBJ_MAX)
		return -HF_E_LIMIT;
	if (size < IDLIST_MIN_OBJECT)
		return -HF_E_CORRUPT;
	part = hf_xmalloc(IDLIST_TAIL);
	ret = hf_store_get_range(r->store, HF_OBJ_INDEX, name, size - IDLIST_TAIL, IDLIST_TAIL, part);
	if (ret < 0)
		goto out;
	dlen = hf_get_le32(part);
	if (dlen < HF_AEAD_OVERHEAD || dlen > size - IDLIST_MIN_OBJECT + HF_AEAD_OVERHEAD) {
		ret = -HF_E_CORRUPT;
		goto out;
	}
	/* the id list goes before the tail read first: id list | length | tag */
	part = hf_xrealloc(part, (size_t)dlen + IDLIST_TAIL);
	memmove(part + dlen, part, IDLIST_TAIL);
	ret = hf_store_get_range(r->store, HF_OBJ_INDEX, name, size - IDLIST_TAIL - dlen, dlen, part);
	if (ret == 0)
		ret = idlist_from_tail(r, part, (size_t)dlen + IDLIST_TAIL, size, pt);
	if (ret == 0 && r->objcache)
		hf_objcache_put(r->objcache, HF_OBJ_INDEX, name, part, (size_t)dlen + IDLIST_TAIL);
out:
	free(part);
	return ret;
}

static int load_one_dedup(struct load_ctx *lc, const char *name, uint64_t size)
{
	struct hf_buf pt;
	int r;

	hf_buf_init(&pt, HF_META_OBJ_MAX);
	r = read_idlist(lc->repo, name, size, &pt);
	if (r == 0)
		r = lc->ix->nfiles >= UINT32_MAX
			    ? -HF_E_LIMIT
			    : hf_index_parse_idlist(lc->ix, pt.data, pt.len, (uint32_t)lc->ix->nfiles);
	hf_buf_release(&pt);
	return r;
}

static int load_one(struct load_ctx *lc, const char *name, uint64_t size)
{
	struct hf_buf obj;
	struct hf_secbuf pt; /* the payload holds pack keys: locked, wiped memory */
	uint8_t id[HF_ID_LEN];
	int r;

	hf_buf_init(&obj, HF_META_OBJ_MAX);
	hf_secbuf_init(&pt, HF_META_OBJ_MAX);
	if (lc->dedup) {
		r = load_one_dedup(lc, name, size);
	} else {
		r = size > HF_META_OBJ_MAX ? -HF_E_LIMIT : hf_repo_get_hashed(lc->repo, HF_OBJ_INDEX, name, &obj, id);
		if (r == 0)
			r = open_index(lc->repo, obj.data, obj.len, &pt);
		hf_buf_release(&obj); /* before the claims grow: one copy at a time */
		if (r == 0)
			r = lc->ix->nfiles >= UINT32_MAX
				    ? -HF_E_LIMIT
				    : hf_index_parse(lc->ix, pt.data, pt.len, (uint32_t)lc->ix->nfiles);
	}
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
	hf_secbuf_release(&pt);
	return r;
}

/* lists the index objects not loaded yet, and not gone */
static int collect(void *arg, const char *name, uint64_t size)
{
	struct load_ctx *lc = arg;
	uint8_t id[HF_ID_LEN];
	int is_id = hf_hex_decode(name, id, HF_ID_LEN) == 0;

	if (is_id && lc->listed && hf_idmap_put(lc->listed, id, NULL, NULL) < 0)
		return -ENOMEM;
	if (is_id && hf_idmap_get(lc->gone, id))
		return 0; /* replaced by a prune; the store keeps it until its lock ends */
	for (size_t i = 0; i < lc->ix->nfiles; i++)
		if (strcmp(lc->ix->files[i], name) == 0)
			return 0;
	if (lc->ntodo == lc->todo_cap) {
		lc->todo_cap = lc->todo_cap ? 2 * lc->todo_cap : 64;
		lc->todo = hf_xreallocarray(lc->todo, lc->todo_cap, sizeof(*lc->todo));
	}
	lc->todo[lc->ntodo].name = hf_xstrdup(name);
	lc->todo[lc->ntodo++].size = size;
	return 0;
}

/* loads the objects not loaded yet into lc->ix, then seals it (also after
 * a failure, so the claims that did load can be looked up) */
static int load_new(struct load_ctx *lc)
{
	int r;

	/* an object written from here on is put after the listing began */
	__atomic_store_n(&lc->repo->own_index_unlisted, 0, __ATOMIC_RELEASE);
	r = hf_pending_gone_set(lc->repo, HF_OBJ_INDEX, &lc->gone);

	lc->listed = lc->repo->objcache ? hf_idmap_new(0) : NULL;
	if (r == 0)
		r = hf_store_list(lc->repo->store, HF_OBJ_INDEX, collect, lc);
	/* the copies of index objects the store no longer lists go */
	if (r == 0 && lc->listed)
		hf_objcache_sweep(lc->repo->objcache, HF_OBJ_INDEX, hf_objcache_listed, lc->listed);
	hf_idmap_free(lc->listed);
	lc->listed = NULL;
	for (size_t i = 0; i < lc->ntodo; i++) {
		if (r == 0)
			r = load_one(lc, lc->todo[i].name, lc->todo[i].size);
		free(lc->todo[i].name);
	}
	free(lc->todo);
	hf_idmap_free(lc->gone);
	hf_index_seal(lc->ix);
	return r;
}

int hf_repo_refresh_index(struct hf_repo *r)
{
	struct load_ctx lc = {.repo = r, .ix = r->index};

	if (!r->index)
		return hf_repo_load_index(r, NULL, NULL, NULL);
	lc.dedup = r->index->dedup_only;
	return load_new(&lc);
}

int hf_repo_refresh_own_index(struct hf_repo *r)
{
	if (r->index && !__atomic_load_n(&r->own_index_unlisted, __ATOMIC_ACQUIRE))
		return 0;
	return hf_repo_refresh_index(r);
}

static int load(struct hf_repo *r, int dedup, size_t *bad, void (*bad_fn)(void *arg, const char *name, int err),
		void *arg)
{
	struct load_ctx lc = {.repo = r, .dedup = dedup, .bad_fn = bad_fn, .arg = arg};
	int ret;

	lc.ix = hf_index_new();
	if (!lc.ix)
		return -ENOMEM;
	lc.ix->dedup_only = dedup;
	ret = load_new(&lc);
	if (ret < 0) {
		hf_index_free(lc.ix);
		return ret;
	}
	hf_index_free(r->index);
	r->index = lc.ix;
	hf_repo_tree_cache_reset(r);
	if (bad)
		*bad = lc.bad;
	return 0;
}

int hf_repo_load_index(struct hf_repo *r, size_t *bad, void (*bad_fn)(void *arg, const char *name, int err), void *arg)
{
	if (!r->sk)
		return -HF_E_WRITEONLY;
	return load(r, 0, bad, bad_fn, arg);
}

int hf_repo_load_dedup(struct hf_repo *r, size_t *bad, void (*bad_fn)(void *arg, const char *name, int err), void *arg)
{
	return load(r, 1, bad, bad_fn, arg);
}

int hf_index_dedup_only(const struct hf_index *ix)
{
	return ix ? ix->dedup_only : 0;
}
