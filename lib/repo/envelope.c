/* envelope.c — the sealed envelope around index, snapshot and mark objects,
 * and content-addressed puts and gets. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "repo/objcache.h"
#include "repo/repo_internal.h"
#include "store/store.h"
#include "util/err.h"
#include "util/hex.h"
#include "util/mem.h"

void hf_id_hex(const uint8_t id[HF_ID_LEN], char out[HF_ID_HEX_LEN + 1])
{
	hf_hex_encode(id, HF_ID_LEN, out);
}

int hf_repo_put_hashed(struct hf_repo *r, int kind, const void *p, size_t n, uint8_t id[HF_ID_LEN])
{
	return hf_repo_put_hashed_flags(r, kind, p, n, id, 0);
}

int hf_repo_put_hashed_flags(struct hf_repo *r, int kind, const void *p, size_t n, uint8_t id[HF_ID_LEN], int flags)
{
	uint8_t h[HF_ID_LEN];
	char name[HF_ID_HEX_LEN + 1];
	int ret;

	hf_sha256(p, n, h);
	hf_id_hex(h, name);
	ret = hf_store_put_flags(r->store, kind, name, p, n, flags | HF_PUT_NAMED_BY_SHA256);
	if (ret == -HF_E_EXISTS)
		ret = 0;
	if (ret == 0 && r->objcache) /* a backup lists its own snapshot and index objects at once */
		hf_objcache_put(r->objcache, kind, name, p, n);
	if (ret == 0 && id)
		memcpy(id, h, HF_ID_LEN);
	return ret;
}

int hf_repo_get_hashed(struct hf_repo *r, int kind, const char *name, struct hf_buf *obj, uint8_t id[HF_ID_LEN])
{
	struct hf_objcache *cache = r->objcache; /* snapshots, index objects, marks; no other kind */
	uint8_t h[HF_ID_LEN];
	int ret;

	if (strlen(name) != HF_ID_HEX_LEN || hf_hex_decode(name, id, HF_ID_LEN) < 0)
		return -HF_E_NOTFOUND;
	/* a local copy counts only if it is what its name says (objcache.c) */
	if (cache && hf_objcache_get(cache, kind, name, obj) == 0) {
		hf_sha256(obj->data, obj->len, h);
		if (memcmp(h, id, HF_ID_LEN) == 0)
			return 0;
		hf_objcache_drop(cache, kind, name);
	}
	obj->len = 0;
	ret = hf_store_get(r->store, kind, name, obj);
	if (ret < 0)
		return ret;
	hf_sha256(obj->data, obj->len, h);
	if (memcmp(h, id, HF_ID_LEN) != 0)
		return -HF_E_CORRUPT; /* content does not match its name */
	if (cache)
		hf_objcache_put(cache, kind, name, obj->data, obj->len);
	return 0;
}

struct load_all {
	struct hf_repo *repo;
	size_t elem;
	int (*load)(struct hf_repo *r, const char *name, void *obj);
	void (*origin)(void *obj, const struct hf_store_entry *e);
	struct hf_object_array *a;
	struct hf_idmap *listed; /* every name listed, where the repository keeps copies */
};

static int load_all_one(void *arg, const struct hf_store_entry *e)
{
	struct load_all *la = arg;
	struct hf_object_array *a = la->a;
	uint8_t id[HF_ID_LEN];
	void *slot;
	int r;

	if (la->listed && hf_hex_decode(e->name, id, HF_ID_LEN) == 0 && hf_idmap_put(la->listed, id, NULL, NULL) < 0)
		return -ENOMEM;
	if (a->n == a->cap) {
		a->cap = a->cap ? 2 * a->cap : 16;
		a->v = hf_xreallocarray(a->v, a->cap, la->elem);
	}
	slot = (char *)a->v + a->n * la->elem;
	r = la->load(la->repo, e->name, slot);
	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		a->bad++;
		return 0;
	}
	if (la->origin)
		la->origin(slot, e);
	a->n++;
	return 0;
}

int hf_repo_load_all(struct hf_repo *r, int kind, size_t elem,
		     int (*load)(struct hf_repo *r, const char *name, void *obj),
		     void (*origin)(void *obj, const struct hf_store_entry *e), int (*cmp)(const void *, const void *),
		     struct hf_object_array *a)
{
	struct load_all la = {r, elem, load, origin, a, r->objcache ? hf_idmap_new(0) : NULL};
	int ret;

	memset(a, 0, sizeof(*a));
	ret = hf_store_list_entries(r->store, kind, load_all_one, &la);
	/* the copies of objects the store no longer lists go */
	if (ret == 0 && la.listed)
		hf_objcache_sweep(r->objcache, kind, hf_objcache_listed, la.listed);
	hf_idmap_free(la.listed);
	if (ret == 0 && a->n)
		qsort(a->v, a->n, elem, cmp);
	return ret;
}

int hf_envelope_seal(struct hf_repo *r, const struct hf_session *s, const char *magic, const void *pt, size_t n,
		     struct hf_buf *out)
{
	struct hf_aead *a = NULL;
	int ret;

	(void)r;
	ret = hf_buf_reserve(out, HF_MAGIC_LEN + HF_SEALED_KEY_LEN + n + HF_AEAD_OVERHEAD);
	if (ret < 0)
		return ret;
	if ((ret = hf_buf_append(out, magic, HF_MAGIC_LEN)) < 0 ||
	    (ret = hf_buf_append(out, s->sealed, HF_SEALED_KEY_LEN)) < 0)
		return ret;
	a = hf_aead_new();
	ret = hf_aead_seal(a, s->key, magic, HF_MAGIC_LEN, pt, n, out->data + out->len);
	if (ret == 0)
		out->len += n + HF_AEAD_OVERHEAD;
	hf_aead_free(a);
	return ret;
}

/* the plaintext length of an envelope of n bytes, or -HF_E_CORRUPT */
static int envelope_check(const char *magic, const uint8_t *p, size_t n, size_t *ptlen)
{
	if (n < HF_MAGIC_LEN + HF_SEALED_KEY_LEN + HF_AEAD_OVERHEAD || memcmp(p, magic, HF_MAGIC_LEN) != 0)
		return -HF_E_CORRUPT;
	*ptlen = n - HF_MAGIC_LEN - HF_SEALED_KEY_LEN - HF_AEAD_OVERHEAD;
	return 0;
}

/* opens the envelope into out (room for its plaintext made by the caller) */
static int envelope_open_into(struct hf_repo *r, const char *magic, const uint8_t *p, size_t n, uint8_t *out,
			      uint8_t key_out[HF_KEY_LEN])
{
	uint8_t *key = hf_secure_alloc(HF_KEY_LEN);
	struct hf_aead *a = NULL;
	int ret = hf_unseal_key(r->pk, r->sk, p + HF_MAGIC_LEN, key);

	if (ret == 0) {
		a = hf_aead_new();
		ret = hf_aead_open(a, key, magic, HF_MAGIC_LEN, p + HF_MAGIC_LEN + HF_SEALED_KEY_LEN,
				   n - HF_MAGIC_LEN - HF_SEALED_KEY_LEN, out);
	}
	if (ret == 0 && key_out)
		memcpy(key_out, key, HF_KEY_LEN);
	hf_aead_free(a);
	hf_secure_free(key);
	return ret;
}

int hf_envelope_open(struct hf_repo *r, const char *magic, const uint8_t *p, size_t n, struct hf_buf *pt,
		     uint8_t key_out[HF_KEY_LEN])
{
	size_t len = 0;
	int ret;

	if (!r->sk)
		return -HF_E_USAGE;
	pt->len = 0;
	if ((ret = envelope_check(magic, p, n, &len)) < 0 || (ret = hf_buf_reserve(pt, len)) < 0)
		return ret;
	ret = envelope_open_into(r, magic, p, n, pt->data, key_out);
	if (ret == 0)
		pt->len = len;
	return ret;
}

int hf_envelope_open_secure(struct hf_repo *r, const char *magic, const uint8_t *p, size_t n, struct hf_secbuf *pt)
{
	size_t len = 0;
	int ret;

	if (!r->sk)
		return -HF_E_USAGE;
	hf_secbuf_reset(pt);
	if ((ret = envelope_check(magic, p, n, &len)) < 0 || (ret = hf_secbuf_reserve(pt, len)) < 0)
		return ret;
	ret = envelope_open_into(r, magic, p, n, pt->data, NULL);
	if (ret == 0)
		pt->len = len;
	return ret;
}
