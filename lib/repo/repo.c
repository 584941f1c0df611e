/* repo.c — creating and opening a repository: config, first key file, and
 * the derivation of working keys (chunker gear key, dedup key). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "repo/objcache.h"
#include "repo/object.h"
#include "repo/repo_internal.h"
#include "store/store.h"
#include "util/err.h"
#include "util/hex.h"
#include "util/mem.h"
#include "util/path.h"

/* The deletion key pair: Ed25519 from a seed only the X25519 secret gives,
 * so every full key file yields the same pair and a write-only key none.
 * sign_sk (secure memory, or NULL) receives the secret half. */
static void derive_delete_key(const uint8_t sk[HF_SK_LEN], uint8_t pk[HF_SIGN_PK_LEN], uint8_t *sign_sk)
{
	uint8_t *seed = hf_secure_alloc(HF_KEY_LEN + HF_SIGN_SK_LEN);

	hf_kdf_derive(sk, "holdfast deletion key", seed);
	hf_sign_keypair(seed, pk, sign_sk ? sign_sk : seed + HF_KEY_LEN);
	hf_secure_free(seed);
}

int hf_repo_create(struct hf_store *st, const char *pass, size_t passlen, const struct hf_repo_params *p,
		   uint8_t repo_id[HF_ID_LEN])
{
	struct hf_repo_config c;
	struct hf_buf cfg, key;
	uint8_t pk[HF_PK_LEN], cfg_hash[HF_HASH_LEN], *secrets = NULL;
	struct hf_chunker probe;
	int r;

	hf_buf_init(&cfg, 4096);
	hf_buf_init(&key, 4096);
	memset(&c, 0, sizeof(c));
	c.version = HF_REPO_VERSION;
	hf_random(c.id, sizeof(c.id));
	c.chunk_min = p && p->chunk_min ? p->chunk_min : HF_CHUNK_MIN_DEFAULT;
	c.chunk_avg = p && p->chunk_avg ? p->chunk_avg : HF_CHUNK_AVG_DEFAULT;
	c.chunk_max = p && p->chunk_max ? p->chunk_max : HF_CHUNK_MAX_DEFAULT;
	c.pack_size = p && p->pack_size ? p->pack_size : HF_PACK_SIZE_DEFAULT;
	c.zlevel = p && p->zlevel ? p->zlevel : 3;
	if (p && p->lock_mode != HF_LOCK_OFF) {
		struct hf_store_lock lock = {.mode = p->lock_mode, .period_s = p->lock_period_s};
		c.lock_mode = p->lock_mode;
		c.lock_period_s = p->lock_period_s;
		r = p->lock_period_s < 1 || p->lock_period_s > HF_LOCK_PERIOD_MAX_S ? -HF_E_USAGE
										    : hf_store_lock_set(st, &lock);
		if (r < 0)
			goto out; /* before any object: nothing is written unlocked */
	}
	secrets = hf_secure_alloc(2 * HF_KEY_LEN); /* mac | sk */
	hf_random(secrets, HF_KEY_LEN);
	r = hf_chunker_init(&probe, secrets, c.chunk_min, c.chunk_avg, c.chunk_max);
	if (r < 0)
		goto out;
	hf_keypair(pk, secrets + HF_KEY_LEN);
	derive_delete_key(secrets + HF_KEY_LEN, c.delete_key, NULL);
	r = hf_config_encode(&c, pk, &cfg);
	if (r < 0)
		goto out;
	hf_sha256(cfg.data, cfg.len, cfg_hash);
	r = hf_key_file_encode(pass, passlen, p && p->kdf_ops ? p->kdf_ops : HF_KDF_OPS_DEFAULT,
			       p && p->kdf_mem ? p->kdf_mem : HF_KDF_MEM_DEFAULT, c.id, cfg_hash, pk, secrets,
			       secrets + HF_KEY_LEN, &key);
	if (r < 0)
		goto out;
	{
		struct hf_repo tmp = {.store = st};
		r = hf_repo_put_hashed(&tmp, HF_OBJ_KEY, key.data, key.len, NULL);
	}
	if (r < 0)
		goto out;
	/* the config goes last: a directory without one is not a repository */
	r = hf_store_put(st, HF_OBJ_CONFIG, "config", cfg.data, cfg.len);
	if (r == 0) { /* a server refuses untagged objects from now on */
		uint8_t *auth = hf_secure_alloc(HF_KEY_LEN);
		hf_kdf_derive(secrets, HF_OBJ_AUTH_LABEL, auth);
		r = hf_store_offer_tag_key(st, auth);
		hf_secure_free(auth);
	}
	if (r == 0 && repo_id)
		memcpy(repo_id, c.id, HF_ID_LEN);
out:
	hf_secure_free(secrets);
	hf_buf_release(&cfg);
	hf_buf_release(&key);
	return r;
}

struct key_file {
	char name[HF_ID_HEX_LEN + 1];
	struct hf_buf bytes;
	uint64_t cost;
	int err; /* why it could not be read (then bytes is empty) */
};

struct key_list {
	struct hf_repo *repo;
	struct key_file *v;
	size_t n;
};

static int note_key(void *arg, const char *name, uint64_t size)
{
	struct key_list *kl = arg;
	struct key_file *k;

	kl->v = hf_xreallocarray(kl->v, kl->n + 1, sizeof(*kl->v));
	k = &kl->v[kl->n++];
	memset(k, 0, sizeof(*k));
	snprintf(k->name, sizeof(k->name), "%s", name);
	hf_buf_init(&k->bytes, 4096);
	if (size > 4096)
		k->err = -HF_E_CORRUPT; /* far larger than any key file */
	else
		k->err = hf_store_get(kl->repo->store, HF_OBJ_KEY, name, &k->bytes);
	if (k->err == -HF_E_LIMIT)
		k->err = -HF_E_CORRUPT;
	if (k->err < 0)
		hf_buf_release(&k->bytes);
	else
		k->cost = hf_key_file_cost(k->bytes.data, k->bytes.len);
	return 0;
}

static int by_cost(const void *a, const void *b)
{
	const struct key_file *x = a, *y = b;

	return x->cost < y->cost ? -1 : x->cost > y->cost;
}

/* why[] for the key files that could not be read or parsed */
static void say_damaged(const struct key_list *kl, int none_parsed, char *why, size_t cap)
{
	size_t bad = 0, len;
	const struct key_file *first = NULL;

	if (!why || cap == 0)
		return;
	for (size_t i = 0; i < kl->n; i++)
		if (kl->v[i].err < 0 && kl->v[i].err != -HF_E_PASSWORD) {
			bad++;
			if (!first)
				first = &kl->v[i];
		}
	if (kl->n == 0) {
		snprintf(why, cap, "no key file in keys/");
		return;
	}
	if (!first)
		return;
	len = (size_t)snprintf(why, cap, "%s%skey file %.16s is damaged or unreadable%s%s%s",
			       none_parsed ? (bad == kl->n ? "no usable key file: " : "no key file opens: ")
					   : hf_strerror(-HF_E_PASSWORD),
			       none_parsed ? "" : "; ", first->name, first->err == -HF_E_CORRUPT ? "" : " (",
			       first->err == -HF_E_CORRUPT ? "" : hf_strerror(first->err),
			       first->err == -HF_E_CORRUPT ? "" : ")");
	if (bad > 1 && len < cap)
		snprintf(why + len, cap - len, ", and %zu more", bad - 1);
}

/* Tries key files cheapest first, so a damaged or planted expensive one
 * cannot slow down opening with a good one. Returns 0 or the most telling
 * error: -HF_E_PASSWORD when key files parse but none opens with the
 * passphrase, -HF_E_CORRUPT when none even parses (all damaged). */
static int unlock(struct hf_repo *r, const char *pass, size_t passlen, char *why, size_t cap)
{
	struct key_list kl = {.repo = r};
	uint8_t repo_id[32], cfg_hash[32], *keys = r->keys;
	int err = 0, found = 0, parsed = 0, ret;

	ret = hf_store_list(r->store, HF_OBJ_KEY, note_key, &kl);
	if (ret < 0)
		goto out;
	if (kl.n > 1)
		qsort(kl.v, kl.n, sizeof(*kl.v), by_cost);
	for (size_t i = 0; i < kl.n && !found; i++) {
		struct key_file *k = &kl.v[i];
		int has_sk = 0;
		if (k->err < 0)
			continue;
		k->err = hf_key_file_decode(pass, passlen, k->bytes.data, k->bytes.len, repo_id, cfg_hash, r->pk, keys,
					    keys + 2 * HF_KEY_LEN, &has_sk);
		if (k->err == -HF_E_PASSWORD) {
			parsed = 1;
			continue;
		}
		if (k->err < 0) {
			if (k->err != -HF_E_CORRUPT && !err)
				err = k->err; /* out of memory, a KDF failure: worth more than "damaged" */
			continue;
		}
		parsed = 1;
		if (memcmp(repo_id, r->cfg.id, 32) != 0 || !hf_ct_equal(cfg_hash, r->config_hash, 32)) {
			if (why && cap)
				snprintf(why, cap,
					 "key file %.16s opens but was made for another config: the config "
					 "was changed after the key was made",
					 k->name);
			err = -HF_E_CORRUPT;
			continue;
		}
		r->sk = has_sk ? keys + 2 * HF_KEY_LEN : NULL;
		found = 1;
	}
	if (found) {
		ret = 0;
	} else if (err) {
		ret = err;
	} else {
		ret = parsed ? -HF_E_PASSWORD : -HF_E_CORRUPT;
		say_damaged(&kl, !parsed, why, cap);
	}
out:
	for (size_t i = 0; i < kl.n; i++)
		hf_buf_release(&kl.v[i].bytes);
	free(kl.v);
	return ret;
}

/* Unlocks the one key file given from outside the repository (--key-file). */
static int unlock_given(struct hf_repo *r, const uint8_t *key, size_t n, const char *pass, size_t passlen, char *why,
			size_t cap)
{
	uint8_t repo_id[32], cfg_hash[32], *keys = r->keys;
	int has_sk = 0, ret;

	ret = hf_key_file_decode(pass, passlen, key, n, repo_id, cfg_hash, r->pk, keys, keys + 2 * HF_KEY_LEN, &has_sk);
	if (ret == -HF_E_CORRUPT && why && cap)
		snprintf(why, cap, "the key file is damaged or is no holdfast key file");
	else if (ret == -HF_E_PASSWORD && why && cap)
		snprintf(why, cap, "the passphrase does not open the key file");
	if (ret < 0)
		return ret;
	if (memcmp(repo_id, r->cfg.id, 32) != 0) {
		if (why && cap)
			snprintf(why, cap, "the key file was made for another repository");
		return -HF_E_CORRUPT;
	}
	if (!hf_ct_equal(cfg_hash, r->config_hash, 32)) {
		if (why && cap)
			snprintf(why, cap,
				 "the key file opens but was made for another config: the config was "
				 "changed after the key was made");
		return -HF_E_CORRUPT;
	}
	r->sk = has_sk ? keys + 2 * HF_KEY_LEN : NULL;
	return 0;
}

static int open_repo(struct hf_store *st, const uint8_t *key, size_t keylen, const char *pass, size_t passlen,
		     struct hf_repo **out, char *why, size_t cap);

int hf_repo_open(struct hf_store *st, const char *pass, size_t passlen, struct hf_repo **out)
{
	return open_repo(st, NULL, 0, pass, passlen, out, NULL, 0);
}

static int sign_for_store(void *arg, const void *msg, size_t n, uint8_t sig[HF_SIGN_LEN])
{
	return hf_repo_sign(arg, msg, n, sig);
}

int hf_repo_open_why(struct hf_store *st, const char *pass, size_t passlen, struct hf_repo **out, char *why, size_t cap)
{
	return open_repo(st, NULL, 0, pass, passlen, out, why, cap);
}

int hf_repo_open_key(struct hf_store *st, const uint8_t *key, size_t n, const char *pass, size_t passlen,
		     struct hf_repo **out, char *why, size_t cap)
{
	if (!key) {
		*out = NULL;
		hf_store_close(st);
		return -HF_E_USAGE;
	}
	return open_repo(st, key, n, pass, passlen, out, why, cap);
}

/* key: one key file given from outside, or NULL for those in keys/ */
static int open_repo(struct hf_store *st, const uint8_t *key, size_t keylen, const char *pass, size_t passlen,
		     struct hf_repo **out, char *why, size_t cap)
{
	struct hf_repo *r = hf_xcalloc(1, sizeof(*r));
	struct hf_buf cfg;
	uint8_t gear_key[HF_KEY_LEN];
	int ret;

	*out = NULL;
	if (why && cap)
		why[0] = '\0';
	r->store = st;
	hf_buf_init(&cfg, 4096);
	ret = hf_store_get(st, HF_OBJ_CONFIG, "config", &cfg);
	if (ret < 0)
		goto out;
	ret = hf_config_decode(cfg.data, cfg.len, &r->cfg);
	if (ret == -HF_E_VERSION && why && cap) {
		if (r->cfg.version < HF_REPO_VERSION)
			snprintf(why, cap,
				 "unsupported repository format version %u: made by an older holdfast; create a new "
				 "repository",
				 r->cfg.version);
		else
			snprintf(why, cap,
				 "unsupported repository format version %u: made by a newer holdfast (this one "
				 "reads version %u)",
				 r->cfg.version, HF_REPO_VERSION);
	}
	if (ret < 0)
		goto out;
	if (r->cfg.lock_mode != HF_LOCK_OFF) {
		struct hf_store_lock lock = {.mode = r->cfg.lock_mode, .period_s = r->cfg.lock_period_s};
		r->lock_missing = hf_store_lock_set(st, &lock) < 0;
	}
	hf_sha256(cfg.data, cfg.len, r->config_hash);
	r->keys = hf_secure_alloc(4 * HF_KEY_LEN + HF_SIGN_SK_LEN);
	ret = key ? unlock_given(r, key, keylen, pass, passlen, why, cap) : unlock(r, pass, passlen, why, cap);
	if (ret < 0)
		goto out;
	if (r->sk) {
		uint8_t pk[HF_SIGN_PK_LEN];
		r->sign_sk = r->keys + 4 * HF_KEY_LEN;
		derive_delete_key(r->sk, pk, r->keys + 4 * HF_KEY_LEN);
		if (memcmp(pk, r->cfg.delete_key, HF_SIGN_PK_LEN) != 0) { /* the key file binds the config: a bug */
			if (why && cap)
				snprintf(why, cap, "the config's deletion key is not the one this key derives");
			ret = -HF_E_CORRUPT;
			goto out;
		}
	}
	r->mac_key = r->keys;
	r->dedup_key = r->keys + HF_KEY_LEN;
	r->auth_key = r->keys + 3 * HF_KEY_LEN;
	hf_kdf_derive(r->mac_key, "holdfast dedup list", r->keys + HF_KEY_LEN);
	hf_kdf_derive(r->mac_key, HF_OBJ_AUTH_LABEL, r->keys + 3 * HF_KEY_LEN);
	hf_kdf_derive(r->mac_key, "holdfast chunker", gear_key);
	ret = hf_chunker_init(&r->chunker, gear_key, r->cfg.chunk_min, r->cfg.chunk_avg, r->cfg.chunk_max);
	hf_wipe(gear_key, sizeof(gear_key));
	if (ret < 0) {
		ret = -HF_E_CORRUPT;
		goto out;
	}
	if (r->sign_sk) /* a server deletes only what the full key signs */
		hf_store_set_signer(r->store, sign_for_store, r);
	/* a server that does not check tags yet gets the key (from an admin);
	 * the repository works without it, so a failure here is not one */
	hf_store_offer_tag_key(r->store, r->auth_key);
	*out = r;
	r = NULL;
	ret = 0;
out:
	hf_buf_release(&cfg);
	if (r)
		hf_repo_close(r);
	return ret;
}

void hf_repo_close(struct hf_repo *r)
{
	if (!r)
		return;
	hf_store_set_signer(r->store, NULL, NULL);
	hf_pack_cache_free(r->tree_cache);
	hf_objcache_free(r->objcache);
	free(r->gone);
	hf_index_free(r->index);
	hf_secure_free(r->keys);
	hf_store_close(r->store);
	free(r);
}

int hf_repo_cache_objects(struct hf_repo *r, const char *dir)
{
	char hex[HF_ID_HEX_LEN + 1], *base;

	if (!dir || r->objcache || !(hf_store_caps(r->store) & HF_STORE_REMOTE))
		return 0;
	hf_hex_encode(r->cfg.id, HF_ID_LEN, hex);
	base = hf_path_join(dir, hex);
	r->objcache = hf_objcache_open(base);
	free(base);
	return r->objcache ? 0 : -EIO;
}

int hf_repo_write_only(const struct hf_repo *r)
{
	return r->sk == NULL;
}

int hf_repo_write_only_key(const struct hf_repo *r, const char *pass, size_t passlen, struct hf_buf *out)
{
	return hf_key_file_encode(pass, passlen, HF_KDF_OPS_DEFAULT, HF_KDF_MEM_DEFAULT, r->cfg.id, r->config_hash,
				  r->pk, r->mac_key, NULL, out);
}

void hf_repo_cache_key(const struct hf_repo *r, uint8_t out[HF_KEY_LEN])
{
	hf_kdf_derive(r->mac_key, "holdfast local cache", out);
}

int hf_repo_sign(const struct hf_repo *r, const void *msg, size_t n, uint8_t sig[HF_SIGN_LEN])
{
	if (!r->sign_sk)
		return -HF_E_WRITEONLY;
	hf_sign(r->sign_sk, msg, n, sig);
	return 0;
}

int hf_repo_verify(const struct hf_repo *r, const void *msg, size_t n, const uint8_t sig[HF_SIGN_LEN])
{
	return hf_sign_verify(r->cfg.delete_key, msg, n, sig);
}

struct hf_store *hf_repo_store(const struct hf_repo *r)
{
	return r->store;
}

int hf_repo_lock_missing(const struct hf_repo *r)
{
	return r->lock_missing;
}

const struct hf_repo_config *hf_repo_config(const struct hf_repo *r)
{
	return &r->cfg;
}

const struct hf_chunker *hf_repo_chunker(const struct hf_repo *r)
{
	return &r->chunker;
}

struct hf_index *hf_repo_index(const struct hf_repo *r)
{
	return r->index;
}

int hf_session_new(struct hf_repo *r, struct hf_session **out)
{
	struct hf_session *s = hf_xcalloc(1, sizeof(*s));
	int ret;

	s->key = hf_secure_alloc(HF_KEY_LEN);
	hf_random(s->key, HF_KEY_LEN);
	ret = hf_seal_key(r->pk, s->key, s->sealed);
	if (ret < 0) {
		hf_session_free(s);
		s = NULL;
	}
	*out = s;
	return ret;
}

void hf_session_free(struct hf_session *s)
{
	if (!s)
		return;
	hf_secure_free(s->key);
	free(s);
}
