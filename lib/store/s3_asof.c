/* s3_asof.c — the bucket as it was at a time (--as-of), through object
 * versions (s3_internal.h).
 *
 * In a bucket with versions nothing written is lost until its versions are
 * deleted: an overwrite adds a version, a DELETE adds a delete marker. The
 * view at time T gives, for each key, the newest version whose LastModified
 * (the server's clock) is at or before T — or nothing if that is a delete
 * marker or there is none. So a restore can go round what an attacker with
 * the bucket's keys did after T on a bucket without a lock, or in
 * GOVERNANCE mode, or to objects whose lock had ended.
 *
 * The view is read-only (puts and removes are refused). Each key's version
 * id is found once — by listing the versions of a kind when holdfast lists
 * it, else by listing the versions of that one key — and kept in a map for
 * the store's life (about 160 bytes a key). */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "store/s3_internal.h"
#include "store/s3_xml.h"
#include "util/idmap.h"
#include "util/mem.h"

/* what the view holds for a key: the version to read, or none */
struct as_of_entry {
	int present;
	uint64_t size;
	int64_t last_modified_s;
	char version_id[HF_S3_VERSION_ID_MAX + 1];
};

struct hf_s3_as_of {
	int64_t time_s;
	pthread_mutex_t lock;
	struct hf_idmap *keys; /* SHA-256 of the key → struct as_of_entry */
};

int hf_s3_as_of_init(struct s3_store *ss, int64_t time_s)
{
	struct hf_s3_as_of *a = hf_xcalloc(1, sizeof(*a));

	a->time_s = time_s;
	pthread_mutex_init(&a->lock, NULL);
	a->keys = hf_idmap_new(sizeof(struct as_of_entry));
	if (!a->keys) {
		pthread_mutex_destroy(&a->lock);
		free(a);
		return -ENOMEM;
	}
	ss->as_of = a;
	return 0;
}

void hf_s3_as_of_free(struct hf_s3_as_of *a)
{
	if (!a)
		return;
	hf_idmap_free(a->keys);
	pthread_mutex_destroy(&a->lock);
	free(a);
}

/* A listing of versions, newest first within a key: the first version of
 * each key at or before the time decides it (later ones are older). */
struct pick {
	struct hf_s3_as_of *a;
	const char *only;             /* this key alone (an exact match), or NULL: every key listed */
	char last[HF_S3_KEY_MAX + 1]; /* the key decided last */
	int decided;
	hf_s3_version_fn then; /* called for each key decided present */
	void *arg;
};

static int remember(struct hf_s3_as_of *a, const char *key, const struct as_of_entry *e)
{
	uint8_t h[HF_HASH_LEN];
	void *slot;
	int r;

	hf_sha256(key, strlen(key), h);
	pthread_mutex_lock(&a->lock);
	r = hf_idmap_put(a->keys, h, e, &slot);
	if (r == 0)
		memcpy(slot, e, sizeof(*e)); /* known already: the newer listing wins */
	pthread_mutex_unlock(&a->lock);
	return r < 0 ? r : 0;
}

static int on_pick(void *arg, const struct hf_s3_version *v)
{
	struct pick *pk = arg;
	struct as_of_entry e = {0};
	int r;

	if (pk->only && strcmp(v->key, pk->only) != 0)
		return 0;
	if (strcmp(v->key, pk->last) != 0) { /* a new key: undecided */
		snprintf(pk->last, sizeof(pk->last), "%s", v->key);
		pk->decided = 0;
	}
	if (pk->decided || v->last_modified_s > pk->a->time_s || strlen(v->version_id) > HF_S3_VERSION_ID_MAX)
		return 0;
	pk->decided = 1;
	e.present = !v->delete_marker;
	e.size = v->size;
	e.last_modified_s = v->last_modified_s;
	snprintf(e.version_id, sizeof(e.version_id), "%s", v->version_id);
	r = remember(pk->a, v->key, &e);
	if (r == 0 && e.present && pk->then)
		r = pk->then(pk->arg, v);
	return r;
}

int hf_s3_as_of_list(struct s3_store *ss, const char *prefix, hf_s3_version_fn fn, void *arg)
{
	struct pick pk = {.a = ss->as_of, .then = fn, .arg = arg};

	return hf_s3_list_versions(ss, prefix, on_pick, &pk);
}

/* the view's entry for key, listing its versions if it is not known yet */
static int lookup(struct s3_store *ss, const char *key, struct as_of_entry *out)
{
	struct hf_s3_as_of *a = ss->as_of;
	struct pick pk = {.a = a, .only = key};
	uint8_t h[HF_HASH_LEN];
	const struct as_of_entry *e;
	int r;

	hf_sha256(key, strlen(key), h);
	for (int pass = 0; pass < 2; pass++) {
		pthread_mutex_lock(&a->lock);
		e = hf_idmap_get(a->keys, h);
		if (e)
			*out = *e;
		pthread_mutex_unlock(&a->lock);
		if (e)
			return out->present ? 0 : -HF_E_NOTFOUND;
		if (pass)
			break;
		r = hf_s3_list_versions(ss, key, on_pick, &pk);
		if (r < 0)
			return r;
	}
	/* no version at or before the time: the key did not exist then */
	memset(out, 0, sizeof(*out));
	r = remember(a, key, out);
	return r < 0 ? r : -HF_E_NOTFOUND;
}

int hf_s3_as_of_url(struct s3_store *ss, int kind, const char *name, char *url, size_t cap, uint64_t *size,
		    int64_t *last_modified_s)
{
	char key[HF_S3_URL_MAX], evid[3 * HF_S3_VERSION_ID_MAX + 1];
	struct as_of_entry e;
	int r = hf_s3_object_key(ss, kind, name, key, sizeof(key)), n;

	if (r == 0)
		r = lookup(ss, key, &e);
	if (r == 0)
		r = hf_s3_query_escape(e.version_id, evid, sizeof(evid));
	if (r < 0)
		return r;
	n = snprintf(url, cap, "%s/%s?versionId=%s", ss->url_base, key, evid);
	if (n < 0 || (size_t)n >= cap)
		return -HF_E_LIMIT;
	if (size)
		*size = e.size;
	if (last_modified_s)
		*last_modified_s = e.last_modified_s;
	return 0;
}
