/* s3_lock.c — Object Lock and object versions for the S3 store
 * (s3_internal.h).
 *
 * A repository made with --object-lock has every object written with
 * x-amz-object-lock-mode and a retain-until date: the period recorded in
 * its config past the write, by the server's clock (this machine's time
 * plus the offset measured against the server's Date when the store
 * opened). Until that date S3 refuses to delete the version or to shorten
 * its lock (COMPLIANCE: anybody; GOVERNANCE: anybody without the bypass
 * permission). `lock extend` moves the date on with PutObjectRetention.
 *
 * In a bucket with versions, DELETE without a versionId only adds a delete
 * marker and frees nothing: remove deletes each version of the key by its
 * id, and a version still locked (403) makes it -HF_E_LOCKED, which the
 * engine counts as kept. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "crypto/crypto.h"
#include "store/s3_internal.h"
#include "store/s3_xml.h"
#include "util/buf.h"
#include "util/hex.h"
#include "util/mem.h"

#define LOCK_DOC_MAX (64u << 10)
#define VERSIONS_PAGE_MAX (8u << 20)

static const char *mode_header(int mode)
{
	return mode == HF_LOCK_GOVERNANCE ? "GOVERNANCE" : "COMPLIANCE";
}

static void iso_time(int64_t s, char out[32])
{
	time_t t = (time_t)s;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* now by the server's clock, from this machine's and the offset at open */
static int64_t server_now(const struct s3_store *ss)
{
	return (int64_t)time(NULL) + ss->clock_offset_s;
}

int hf_s3_lock_headers(struct s3_store *ss, const uint8_t sha256[HF_HASH_LEN], const uint8_t *md5, char mode[64],
		       char until[80], char checksum[80])
{
	char when[32], b64[48]; /* base64 of a SHA-256: 44 */

	if (ss->lock.mode == HF_LOCK_OFF)
		return 0;
	/* two seconds more: the server's clock is known to the second from its
	 * Date (which may leave this estimate up to two behind), and a date not
	 * in the future is refused (InvalidArgument; seen with a lock of one
	 * second) */
	iso_time(server_now(ss) + ss->lock.period_s + 2, when);
	if (hf_base64(md5 ? md5 : sha256, md5 ? HF_MD5_LEN : HF_HASH_LEN, b64, sizeof(b64)) < 0)
		return -HF_E_LIMIT;
	snprintf(mode, 64, "x-amz-object-lock-mode: %s", mode_header(ss->lock.mode));
	snprintf(until, 80, "x-amz-object-lock-retain-until-date: %s", when);
	snprintf(checksum, 80, "%s: %s", md5 ? "Content-MD5" : "x-amz-checksum-sha256", b64);
	return 1;
}

int hf_s3_lock_available(struct hf_store *s)
{
	struct s3_store *ss = (struct s3_store *)s;
	struct exchange *x = hf_xcalloc(1, sizeof(*x));
	struct hf_buf b;
	int r;

	hf_buf_init(&b, LOCK_DOC_MAX);
	x->method = "GET";
	x->fd = -1;
	x->buf = &b;
	snprintf(x->url, sizeof(x->url), "%s?object-lock=", ss->url_base);
	r = hf_s3_perform(ss, x);
	if (r == 0 && !hf_s3_parse_object_lock((const char *)b.data, b.len))
		r = -HF_E_REFUSED;
	else if (r == -HF_E_NOTFOUND && strcmp(x->code, "NoSuchBucket") != 0)
		r = -HF_E_REFUSED; /* ObjectLockConfigurationNotFoundError: made without it */
	hf_buf_release(&b);
	free(x);
	return r;
}

int hf_s3_lock_set(struct hf_store *s, const struct hf_store_lock *l)
{
	struct s3_store *ss = (struct s3_store *)s;
	int r = hf_s3_lock_available(s);

	if (r == 0)
		ss->lock = *l;
	return r;
}

/* HEAD of kind/name: its current version's id and retain-until date */
static int head_version(struct s3_store *ss, int kind, const char *name, struct exchange *x)
{
	int r;

	memset(x, 0, sizeof(*x));
	x->method = "HEAD";
	x->fd = -1;
	r = hf_s3_object_url(ss, kind, name, x->url, sizeof(x->url));
	return r < 0 ? r : hf_s3_perform(ss, x);
}

int hf_s3_lock_until(struct hf_store *s, int kind, const char *name, int64_t *until_s)
{
	struct exchange *x = hf_xmalloc(sizeof(*x));
	int r = head_version((struct s3_store *)s, kind, name, x);

	*until_s = r == 0 ? x->retain_until_s : 0;
	free(x);
	return r;
}

int hf_s3_lock_extend(struct hf_store *s, int kind, const char *name, int64_t if_before_s, int64_t until_s)
{
	struct s3_store *ss = (struct s3_store *)s;
	struct exchange *x = hf_xmalloc(sizeof(*x));
	char doc[256], when[32], vid[3 * HF_S3_VERSION_ID_MAX + 1], sha[2 * HF_HASH_LEN + 1], b64[32], md5_header[64];
	uint8_t h[HF_HASH_LEN], md5[HF_MD5_LEN];
	struct hf_md5_ctx *mc;
	int r = ss->lock.mode == HF_LOCK_OFF || ss->as_of ? -HF_E_REFUSED : head_version(ss, kind, name, x), n;

	if (r < 0 || x->retain_until_s >= if_before_s || x->retain_until_s >= until_s)
		goto out; /* never shortened: S3 would refuse, and nothing is gained */
	if (!x->version_id[0] || hf_s3_query_escape(x->version_id, vid, sizeof(vid)) < 0) {
		r = -HF_E_CORRUPT; /* a locked object has a version */
		goto out;
	}
	iso_time(until_s, when);
	n = snprintf(doc, sizeof(doc), "<Retention><Mode>%s</Mode><RetainUntilDate>%s</RetainUntilDate></Retention>",
		     mode_header(ss->lock.mode), when);
	hf_sha256(doc, (size_t)n, h);
	hf_hex_encode(h, HF_HASH_LEN, sha);
	mc = hf_md5_new();
	hf_md5_update(mc, doc, (size_t)n);
	hf_md5_final(mc, md5);
	r = hf_base64(md5, sizeof(md5), b64, sizeof(b64));
	if (r < 0)
		goto out;
	snprintf(md5_header, sizeof(md5_header), "Content-MD5: %s", b64);
	memset(x, 0, sizeof(*x));
	{
		char url[HF_S3_URL_MAX];
		int k;
		r = hf_s3_object_url(ss, kind, name, url, sizeof(url));
		/* the query in SigV4's order: curl signs it as written */
		k = r < 0 ? -1 : snprintf(x->url, sizeof(x->url), "%s?retention=&versionId=%s", url, vid);
		if (k < 0 || (size_t)k >= sizeof(x->url)) {
			r = r < 0 ? r : -HF_E_LIMIT;
			goto out;
		}
	}
	x->method = "PUT";
	x->fd = -1;
	x->body = (const uint8_t *)doc;
	x->nbody = (uint64_t)n;
	x->body_sha256 = sha;
	x->extra[0] = md5_header;
	r = hf_s3_perform(ss, x);
	if (r == 0)
		r = 1;
out:
	free(x);
	return r;
}

/* ---- every version of one key ----------------------------------------------------- */

struct key_versions {
	const char *key;
	char (*ids)[HF_S3_VERSION_ID_MAX + 1];
	size_t n;
};

static int on_version(void *arg, const struct hf_s3_version *v)
{
	struct key_versions *kv = arg;

	if (strcmp(v->key, kv->key) != 0 || strlen(v->version_id) > HF_S3_VERSION_ID_MAX)
		return 0; /* another key with this one as its prefix */
	if (kv->n >= 10000)
		return -HF_E_LIMIT; /* not a key of ours any more */
	kv->ids = hf_xreallocarray(kv->ids, kv->n + 1, sizeof(*kv->ids));
	snprintf(kv->ids[kv->n++], HF_S3_VERSION_ID_MAX + 1, "%s", v->version_id);
	return 0;
}

/* the ids of every version and delete marker of key */
static int list_key_versions(struct s3_store *ss, const char *key, struct key_versions *kv)
{
	return hf_s3_list_versions(ss, key, on_version, kv);
}

/* every version and delete marker under prefix, in ListObjectVersions'
 * order (by key, then newest first) */
int hf_s3_list_versions(struct s3_store *ss, const char *prefix, hf_s3_version_fn fn, void *arg)
{
	char epre[3 * HF_S3_URL_MAX], kmark[HF_S3_KEY_MAX + 1] = "", vmark[HF_S3_TOKEN_MAX + 1] = "";
	struct exchange *x = hf_xmalloc(sizeof(*x));
	struct hf_buf page;
	int r = hf_s3_query_escape(prefix, epre, sizeof(epre)), truncated = 1;

	hf_buf_init(&page, VERSIONS_PAGE_MAX);
	while (r == 0 && truncated) {
		char ekm[3 * HF_S3_KEY_MAX + 1], evm[3 * HF_S3_TOKEN_MAX + 1], nk[HF_S3_KEY_MAX + 1],
			nv[HF_S3_TOKEN_MAX + 1];
		int n;
		memset(x, 0, sizeof(*x));
		x->method = "GET";
		x->fd = -1;
		x->buf = &page;
		r = hf_s3_query_escape(kmark, ekm, sizeof(ekm));
		if (r == 0)
			r = hf_s3_query_escape(vmark, evm, sizeof(evm));
		if (r < 0)
			break;
		/* the parameters in SigV4's canonical order (curl signs the query as written) */
		if (kmark[0])
			n = snprintf(x->url, sizeof(x->url),
				     "%s?key-marker=%s&prefix=%s&version-id-marker=%s&versions=", ss->url_base, ekm,
				     epre, evm);
		else
			n = snprintf(x->url, sizeof(x->url), "%s?prefix=%s&versions=", ss->url_base, epre);
		if (n < 0 || (size_t)n >= sizeof(x->url)) {
			r = -HF_E_LIMIT;
			break;
		}
		r = hf_s3_perform(ss, x);
		if (r == 0)
			r = hf_s3_parse_versions((const char *)page.data, page.len, fn, arg, &truncated, nk, nv);
		if (r == 0 && truncated && strcmp(nk, kmark) == 0 && strcmp(nv, vmark) == 0)
			r = -HF_E_CORRUPT; /* the same page again: it would never end */
		memcpy(kmark, nk, sizeof(kmark));
		memcpy(vmark, nv, sizeof(vmark));
	}
	hf_buf_release(&page);
	free(x);
	return r;
}

static int delete_version(struct s3_store *ss, const char *key, const char *id)
{
	struct exchange *x = hf_xcalloc(1, sizeof(*x));
	char eid[3 * HF_S3_VERSION_ID_MAX + 1];
	int r = hf_s3_query_escape(id, eid, sizeof(eid)), n;

	if (r == 0) {
		n = snprintf(x->url, sizeof(x->url), "%s/%s?versionId=%s", ss->url_base, key, eid);
		r = n < 0 || (size_t)n >= sizeof(x->url) ? -HF_E_LIMIT : 0;
	}
	if (r == 0) {
		x->method = "DELETE";
		x->fd = -1;
		r = hf_s3_perform(ss, x);
		if (r == -HF_E_REFUSED && x->status == 403 && strcasestr(x->msg, "lock"))
			r = -HF_E_LOCKED; /* RGW: "forbidden by object lock"; AWS: "protected by object lock" */
	}
	free(x);
	return r;
}

int hf_s3_remove_versions(struct s3_store *ss, int kind, const char *name)
{
	char key[HF_S3_URL_MAX];
	struct key_versions kv = {.key = key};
	int r = hf_s3_object_key(ss, kind, name, key, sizeof(key)), locked = 0;

	if (r == 0)
		r = list_key_versions(ss, key, &kv);
	if (r == 0 && kv.n == 0)
		r = -HF_E_NOTFOUND;
	for (size_t i = 0; r == 0 && i < kv.n; i++) {
		int d = delete_version(ss, key, kv.ids[i]);
		if (d == -HF_E_LOCKED)
			locked = 1; /* the others may still go: an unlocked later version */
		else if (d < 0 && d != -HF_E_NOTFOUND)
			r = d;
	}
	free(kv.ids);
	return r == 0 && locked ? -HF_E_LOCKED : r;
}
