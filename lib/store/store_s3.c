/* store_s3.c — the store in an S3 bucket (Amazon S3, Ceph RGW, MinIO ...),
 * over HTTP(S) with libcurl and its built-in AWS Signature V4.
 *
 * URL: s3:http[s]://HOST[:PORT]/BUCKET[/PREFIX] (path-style addressing).
 * An object's key is PREFIX/ + its relative path (store_names.c), so the
 * bucket holds the same layout as a local directory. Credentials and region
 * come from the AWS variables or files (s3_cred.c); listings are parsed with
 * libexpat (s3_xml.c).
 *
 * put is create-only through a conditional PUT (If-None-Match: *), which the
 * server checks atomically (412 if the key exists). In a bucket with
 * versioning (which Object Lock turns on) Ceph RGW 16 ignores that header
 * and adds a version: there a HEAD comes first, and two writers racing for
 * one name may both write it (harmless where the name is the content's
 * hash: both wrote the same bytes). A PUT is durable when it is answered.
 * S3 has no rename: a streamed write is spooled (in memory, then in an
 * unlinked temporary file) and PUT under its final name at commit. A commit
 * that need not be durable before sync (HF_PUT_NOSYNC: packs) hands the PUT
 * to a pool of transfers sized for the link (transfer_pool.h) and returns;
 * sync waits for them and gives the first failure. mtime is the object's
 * Last-Modified and now() the
 * Date of a HEAD of the bucket: the server's clock. remove is a HEAD (S3's
 * DELETE of a missing key succeeds) then a DELETE.
 *
 * Connections are reused: a pool of easy handles sharing one connection and
 * TLS-session cache. Transport failures, 5xx, 429 and S3's SlowDown /
 * RequestTimeout are retried (0.2 s, 1 s, 5 s) before they become
 * -HF_E_UNAVAILABLE; a put whose first answer was lost and whose retry finds
 * the key taken has succeeded (the name is the content's hash). */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "crypto/crypto.h"
#include "store/s3_internal.h"
#include "store/s3_xml.h"
#include "store/curl_pool.h"
#include "store/store.h"
#include "store/store_names.h"
#include "store/store_s3.h"
#include "store/transfer_pool.h"
#include "util/buf.h"
#include "util/fdio.h"
#include "util/hex.h"
#include "util/mem.h"

#define PAGE_MAX (8u << 20)       /* bytes of one listing page */
#define SPOOL_MEM (8u << 20)      /* a streamed write past this goes to a temporary file */
#define DIGEST_CHUNK (256u << 10) /* what is read of a spool file at once to hash it */
#define TRANSFERS_START 2         /* PUTs in the background at once, to begin with */
#define TRANSFERS_MAX 8           /* and at most (HOLDFAST_S3_CONNECTIONS: 1-64) */

struct s3_writer {
	struct hf_store *store; /* first: the generic calls find the ops here */
	int kind;
	struct hf_buf mem;
	int fd; /* the spool file once the bytes outgrew memory; -1 before */
	uint64_t size;
	int failed;
};

struct s3_reader {
	struct hf_store *store; /* first */
	int kind;
	char name[HF_STORE_NAME_MAX + 1];
};

/* ---- listing ------------------------------------------------------------------- */

/* one ListObjectsV2 page of the keys under prefix (after token, if any) */
static int list_page(struct s3_store *ss, const char *prefix, const char *token, unsigned max_keys, struct hf_buf *page,
		     struct exchange *x)
{
	char eprefix[HF_S3_URL_MAX], etoken[3 * HF_S3_TOKEN_MAX + 1];
	int r, n;

	memset(x, 0, sizeof(*x));
	x->method = "GET";
	x->fd = -1;
	x->buf = page;
	r = hf_s3_query_escape(prefix, eprefix, sizeof(eprefix));
	if (r == 0 && token && *token)
		r = hf_s3_query_escape(token, etoken, sizeof(etoken));
	if (r < 0)
		return r;
	/* the parameters in SigV4's canonical order (curl 7.88 signs the query as written) */
	if (token && *token)
		n = snprintf(x->url, sizeof(x->url), "%s?continuation-token=%s&list-type=2&max-keys=%u&prefix=%s",
			     ss->url_base, etoken, max_keys, eprefix);
	else
		n = snprintf(x->url, sizeof(x->url), "%s?list-type=2&max-keys=%u&prefix=%s", ss->url_base, max_keys,
			     eprefix);
	if (n < 0 || (size_t)n >= sizeof(x->url))
		return -HF_E_LIMIT;
	return hf_s3_perform(ss, x);
}

struct list_ctx {
	int kind;
	size_t skip; /* bytes of the key before the object's relative path's kind part */
	hf_store_list_fn fn;
	void *arg;
	int found; /* for open: a key was seen */
};

static int on_listed(void *arg, const char *key, uint64_t size)
{
	struct list_ctx *lc = arg;
	const char *rest, *name;

	if (strlen(key) < lc->skip)
		return -HF_E_CORRUPT; /* not under the prefix asked for */
	rest = key + lc->skip;
	if (lc->kind == HF_OBJ_PACK) { /* "ab/<name>" */
		if (strlen(rest) < 3 || rest[2] != '/' || strncmp(rest, rest + 3, 2) != 0)
			return 0; /* not one of ours: ignored, as a stray file in a directory */
		name = rest + 3;
	} else {
		name = rest;
	}
	if (strchr(name, '/') || !hf_store_valid_name(lc->kind, name))
		return 0;
	return lc->fn(lc->arg, name, size);
}

static int on_listed_version(void *arg, const struct hf_s3_version *v)
{
	return on_listed(arg, v->key, v->size);
}

static int s3_list(struct hf_store *s, int kind, hf_store_list_fn fn, void *arg)
{
	struct s3_store *ss = (struct s3_store *)s;
	char prefix[HF_S3_URL_MAX], token[HF_S3_TOKEN_MAX + 1] = "";
	struct list_ctx lc = {.kind = kind, .fn = fn, .arg = arg};
	struct hf_buf page;
	struct exchange *x;
	int r = 0, truncated = 1, n;

	if (kind <= HF_OBJ_CONFIG || kind >= HF_OBJ_KINDS)
		return -HF_E_USAGE;
	n = snprintf(prefix, sizeof(prefix), "%s%s/", ss->prefix, hf_store_kind_dir[kind]);
	if (n < 0 || (size_t)n >= sizeof(prefix))
		return -HF_E_LIMIT;
	lc.skip = (size_t)n;
	if (ss->as_of) /* the keys that existed then, from their versions */
		return hf_s3_as_of_list(ss, prefix, on_listed_version, &lc);
	x = hf_xmalloc(sizeof(*x));
	hf_buf_init(&page, PAGE_MAX);
	while (r == 0 && truncated) {
		char next[HF_S3_TOKEN_MAX + 1];
		r = list_page(ss, prefix, token, 1000, &page, x);
		if (r == 0)
			r = hf_s3_parse_list((const char *)page.data, page.len, on_listed, &lc, &truncated, next);
		if (r == 0 && truncated && strcmp(next, token) == 0)
			r = -HF_E_CORRUPT; /* the same page again: it would never end */
		if (r == 0)
			memcpy(token, next, sizeof(token));
	}
	hf_buf_release(&page);
	free(x);
	return r;
}

/* ---- the operations ------------------------------------------------------------ */

/* the URL to read kind/name at: in a view of the past, of the version then */
static int read_url(struct s3_store *ss, int kind, const char *name, char *url, size_t cap)
{
	if (ss->as_of)
		return hf_s3_as_of_url(ss, kind, name, url, cap, NULL, NULL);
	return hf_s3_object_url(ss, kind, name, url, cap);
}

static int head(struct s3_store *ss, int kind, const char *name, struct exchange *x);

/* the SHA-256 and/or the MD5 (each NULL: not wanted) of n bytes held in
 * memory (fd < 0) or in the spool file fd */
static int body_digest(const uint8_t *mem, int fd, uint64_t n, uint8_t sha[HF_HASH_LEN], uint8_t md5[HF_MD5_LEN])
{
	struct hf_sha256_ctx *sc = sha ? hf_sha256_new() : NULL;
	struct hf_md5_ctx *mc = md5 ? hf_md5_new() : NULL;
	uint8_t *chunk = fd >= 0 ? hf_xmalloc(DIGEST_CHUNK) : NULL;
	int r = 0;

	for (uint64_t off = 0; off < n;) {
		size_t k = n - off < DIGEST_CHUNK ? (size_t)(n - off) : DIGEST_CHUNK;
		const uint8_t *p = chunk;
		if (fd < 0) {
			p = mem + off;
		} else {
			ssize_t got = pread(fd, chunk, k, (off_t)off);
			if (got < 0 && errno == EINTR)
				continue;
			if (got <= 0) {
				r = got < 0 ? -errno : -EIO;
				break;
			}
			k = (size_t)got;
		}
		if (sc)
			hf_sha256_update(sc, p, k);
		if (mc)
			hf_md5_update(mc, p, k);
		off += k;
	}
	if (sc)
		hf_sha256_final(sc, sha);
	if (mc)
		hf_md5_final(mc, md5);
	free(chunk);
	return r;
}

/* the create-only PUT x of kind/name, whose body's SHA-256 is sha:
 * conditional, and where the server does not honour the condition
 * (versioned buckets) after a HEAD, unless the name is that hash (named):
 * then the same name can only bring the same bytes, a second version of
 * them at worst, and the HEAD would double the requests of a backup (S3
 * refuses a body whose hash is not the signed one). With a lock, S3 wants
 * the body's Content-MD5 or a checksum: the SHA-256 one is sent, which
 * costs no hashing; a server that refuses it (400) gets the MD5 instead,
 * from then on. */
static int put_new(struct s3_store *ss, int kind, const char *name, struct exchange *x, const uint8_t sha[HF_HASH_LEN],
		   int named)
{
	char mode[64], until[80], checksum[80];
	uint8_t md5[HF_MD5_LEN];
	int r, locked = ss->lock.mode != HF_LOCK_OFF, with_md5 = __atomic_load_n(&ss->lock_md5, __ATOMIC_RELAXED);

	if (ss->versioned && !named) {
		struct exchange *hx = hf_xmalloc(sizeof(*hx));
		r = head(ss, kind, name, hx);
		free(hx);
		if (r == 0)
			return -HF_E_EXISTS;
		if (r != -HF_E_NOTFOUND)
			return r;
	}
	x->method = "PUT";
	x->extra[0] = "If-None-Match: *";
	for (;;) {
		if (locked && with_md5 && (r = body_digest(x->body, x->fd, x->nbody, NULL, md5)) < 0)
			return r;
		r = hf_s3_lock_headers(ss, sha, with_md5 ? md5 : NULL, mode, until, checksum);
		if (r < 0)
			return r;
		if (r) {
			x->extra[1] = mode;
			x->extra[2] = until;
			x->extra[3] = checksum;
		}
		r = hf_s3_perform(ss, x);
		if (r >= 0 || !locked || with_md5 || x->status != 400)
			break;
		with_md5 = 1; /* asked again, once, with Content-MD5 */
	}
	if (r >= 0 && locked && with_md5)
		__atomic_store_n(&ss->lock_md5, 1, __ATOMIC_RELAXED);
	return r;
}

static int s3_put(struct hf_store *s, int kind, const char *name, const void *p, size_t n, int flags)
{
	struct s3_store *ss = (struct s3_store *)s;
	char hex[2 * HF_HASH_LEN + 1];
	uint8_t sha[HF_HASH_LEN];
	struct exchange *x = hf_xcalloc(1, sizeof(*x));
	int r = ss->as_of ? -HF_E_REFUSED /* a view of the past is read-only */
			  : hf_s3_object_url(ss, kind, name, x->url, sizeof(x->url));

	/* (an answered PUT is durable: HF_PUT_NOSYNC changes nothing) */
	if (r == 0) {
		int named = (flags & HF_PUT_NAMED_BY_SHA256) && hf_hex_decode(name, sha, HF_HASH_LEN) == 0;
		if (!named)
			hf_sha256(p, n, sha);
		hf_hex_encode(sha, HF_HASH_LEN, hex);
		x->fd = -1;
		x->body = p;
		x->nbody = n;
		x->body_sha256 = hex;
		r = put_new(ss, kind, name, x, sha, named);
	}
	free(x);
	return r;
}

static int s3_get(struct hf_store *s, int kind, const char *name, struct hf_buf *out)
{
	struct s3_store *ss = (struct s3_store *)s;
	struct exchange *x = hf_xcalloc(1, sizeof(*x));
	int r = read_url(ss, kind, name, x->url, sizeof(x->url));

	if (r == 0) {
		x->method = "GET";
		x->fd = -1;
		x->buf = out;
		r = hf_s3_perform(ss, x);
	}
	free(x);
	return r;
}

static int s3_get_range(struct hf_store *s, int kind, const char *name, uint64_t off, size_t n, void *out)
{
	struct s3_store *ss = (struct s3_store *)s;
	char range[80];
	struct exchange *x;
	int r;

	x = hf_xcalloc(1, sizeof(*x));
	r = read_url(ss, kind, name, x->url, sizeof(x->url));
	if (r == 0 && n > 0 && off > UINT64_MAX - n)
		r = -HF_E_CORRUPT; /* past any object's end */
	if (r == 0 && n > 0) {
		snprintf(range, sizeof(range), "Range: bytes=%" PRIu64 "-%" PRIu64, off, off + n - 1);
		x->method = "GET";
		x->fd = -1;
		x->range = range;
		x->dest = out;
		x->cap = n;
		r = hf_s3_perform(ss, x);
		if (r == 0 && (x->status != 206 || x->got != n))
			r = -HF_E_CORRUPT; /* shorter than asked: past the object's end */
	}
	free(x);
	return r;
}

static int head(struct s3_store *ss, int kind, const char *name, struct exchange *x)
{
	int r;

	memset(x, 0, sizeof(*x));
	x->method = "HEAD";
	x->fd = -1;
	r = read_url(ss, kind, name, x->url, sizeof(x->url));
	return r < 0 ? r : hf_s3_perform(ss, x);
}

static int s3_size(struct hf_store *s, int kind, const char *name, uint64_t *size)
{
	struct exchange *x = hf_xmalloc(sizeof(*x));
	int r = head((struct s3_store *)s, kind, name, x);

	if (r == 0 && !x->has_length)
		r = -HF_E_CORRUPT;
	*size = r == 0 ? x->length : 0;
	free(x);
	return r;
}

static int s3_mtime(struct hf_store *s, int kind, const char *name, int64_t *ns)
{
	struct exchange *x = hf_xmalloc(sizeof(*x));
	int r = head((struct s3_store *)s, kind, name, x);

	if (r == 0 && x->last_modified_s <= 0)
		r = -HF_E_CORRUPT;
	*ns = r == 0 ? x->last_modified_s * 1000000000LL : 0;
	free(x);
	return r;
}

static int s3_remove(struct hf_store *s, int kind, const char *name)
{
	struct s3_store *ss = (struct s3_store *)s;
	struct exchange *x;
	int r;

	if (ss->as_of)
		return -HF_E_REFUSED; /* a view of the past is read-only */
	if (ss->versioned)            /* a DELETE would only add a delete marker */
		return hf_s3_remove_versions(ss, kind, name);
	x = hf_xmalloc(sizeof(*x));
	r = head(ss, kind, name, x); /* S3 deletes a missing key without complaint */

	if (r == 0) {
		memset(x, 0, sizeof(*x));
		x->method = "DELETE";
		x->fd = -1;
		r = hf_s3_object_url(ss, kind, name, x->url, sizeof(x->url));
		if (r == 0)
			r = hf_s3_perform(ss, x);
	}
	free(x);
	return r;
}

static int s3_sync(struct hf_store *s)
{
	/* every object the server acknowledged is durable already: what is left
	 * is what is still on its way */
	return hf_transfer_pool_wait(((struct s3_store *)s)->transfers);
}

static int s3_now(struct hf_store *s, int64_t *ns)
{
	struct s3_store *ss = (struct s3_store *)s;
	struct exchange *x = hf_xcalloc(1, sizeof(*x));
	int r;

	x->method = "HEAD";
	x->fd = -1;
	snprintf(x->url, sizeof(x->url), "%s", ss->url_base);
	r = hf_s3_perform(ss, x);
	if (r == 0 && x->date_s <= 0)
		r = -HF_E_CORRUPT;
	*ns = r == 0 ? x->date_s * 1000000000LL : 0;
	free(x);
	return r;
}

static int s3_reader_open(struct hf_store *s, int kind, const char *name, struct hf_store_reader **out)
{
	struct s3_reader *rd;
	uint64_t size;
	int r;

	*out = NULL;
	r = s3_size(s, kind, name, &size); /* a missing object fails here, not at the first read */
	if (r < 0)
		return r;
	rd = hf_xcalloc(1, sizeof(*rd));
	rd->store = s;
	rd->kind = kind;
	snprintf(rd->name, sizeof(rd->name), "%s", name);
	*out = (struct hf_store_reader *)rd;
	return 0;
}

static int s3_reader_read(struct hf_store_reader *r, uint64_t off, size_t n, void *out)
{
	struct s3_reader *rd = (struct s3_reader *)r;

	return s3_get_range(rd->store, rd->kind, rd->name, off, n, out);
}

static void s3_reader_close(struct hf_store_reader *r)
{
	free(r);
}

/* ---- streamed writes: spooled here, one PUT at commit --------------------------- */

static int s3_writer_open(struct hf_store *s, int kind, struct hf_store_writer **out)
{
	struct s3_writer *w;

	*out = NULL;
	if (kind < 0 || kind >= HF_OBJ_KINDS)
		return -HF_E_USAGE;
	w = hf_xcalloc(1, sizeof(*w));
	w->store = s;
	w->kind = kind;
	w->fd = -1;
	hf_buf_init(&w->mem, SPOOL_MEM);
	*out = (struct hf_store_writer *)w;
	return 0;
}

/* an unlinked temporary file in $TMPDIR (or /var/tmp) */
static int spool_file(void)
{
	const char *dir = getenv("TMPDIR");
	char path[512];
	int fd;

	if (!dir || !*dir)
		dir = "/var/tmp";
	fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0)
		return fd;
	snprintf(path, sizeof(path), "%s/holdfast-s3.XXXXXX", dir);
	fd = mkostemp(path, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	unlink(path);
	return fd;
}

static int s3_writer_write(struct hf_store_writer *wr, const void *p, size_t n)
{
	struct s3_writer *w = (struct s3_writer *)wr;
	int r = 0;

	if (w->failed)
		return -EIO;
	if (w->fd < 0 && n > SPOOL_MEM - w->mem.len) {
		r = spool_file();
		if (r >= 0) {
			w->fd = r;
			r = hf_write_all(w->fd, w->mem.data, w->mem.len);
			hf_buf_release(&w->mem);
			hf_buf_init(&w->mem, SPOOL_MEM);
		}
	}
	if (r == 0)
		r = w->fd >= 0 ? hf_write_all(w->fd, p, n) : hf_buf_append(&w->mem, p, n);
	if (r < 0) {
		w->failed = 1;
		return r;
	}
	w->size += n;
	return 0;
}

static void writer_free(struct s3_writer *w)
{
	if (w->fd >= 0)
		close(w->fd);
	hf_buf_release(&w->mem);
	free(w);
}

/* a spooled object on its way, PUT by a thread of the transfer pool */
struct upload {
	struct s3_store *ss;
	struct s3_writer *w;
	char name[HF_STORE_NAME_MAX + 1];
	uint8_t sha[HF_HASH_LEN]; /* of the bytes */
	char hex[2 * HF_HASH_LEN + 1];
	int named; /* the name is that hash */
};

static int upload_put(struct upload *u)
{
	struct exchange *x = hf_xcalloc(1, sizeof(*x));
	int r = hf_s3_object_url(u->ss, u->w->kind, u->name, x->url, sizeof(x->url));

	if (r == 0) {
		x->fd = u->w->fd;
		x->body = u->w->mem.data;
		x->nbody = u->w->size;
		x->body_sha256 = u->hex;
		r = put_new(u->ss, u->w->kind, u->name, x, u->sha, u->named);
	}
	free(x);
	return r;
}

static int upload_run(void *arg)
{
	int r = upload_put(arg);

	return r == -HF_E_EXISTS ? 0 : r; /* a pack's name is its hash: the same bytes are there */
}

static void upload_free(void *arg)
{
	struct upload *u = arg;

	writer_free(u->w);
	free(u);
}

static int s3_writer_commit(struct hf_store_writer *wr, const char *name, int flags)
{
	struct s3_writer *w = (struct s3_writer *)wr;
	struct s3_store *ss = (struct s3_store *)w->store;
	struct upload *u;
	int r = w->failed ? -EIO : ss->as_of ? -HF_E_REFUSED : strlen(name) > HF_STORE_NAME_MAX ? -HF_E_USAGE : 0;

	if (r < 0) {
		writer_free(w);
		return r;
	}
	u = hf_xcalloc(1, sizeof(*u));
	u->ss = ss;
	u->w = w;
	memcpy(u->name, name, strlen(name) + 1);
	/* the bytes are hashed here only when the name is not their hash (a
	 * wrong one: S3 checks the payload hash and refuses the PUT) */
	u->named = (flags & HF_PUT_NAMED_BY_SHA256) && hf_hex_decode(name, u->sha, HF_HASH_LEN) == 0;
	if (!u->named)
		r = body_digest(w->mem.data, w->fd, w->size, u->sha, NULL);
	if (r < 0) {
		upload_free(u);
		return r;
	}
	hf_hex_encode(u->sha, HF_HASH_LEN, u->hex);
	if (flags & HF_PUT_NOSYNC)
		return hf_transfer_pool_submit(ss->transfers, upload_run, upload_free, u, w->size);
	r = upload_put(u);
	upload_free(u);
	return r;
}

static void s3_writer_abort(struct hf_store_writer *wr)
{
	writer_free((struct s3_writer *)wr);
}

static void s3_close(struct hf_store *s)
{
	struct s3_store *ss = (struct s3_store *)s;

	hf_transfer_pool_free(ss->transfers); /* before the handles its PUTs use */
	hf_curl_pool_release(&ss->pool);
	hf_s3_as_of_free(ss->as_of);
	if (ss->token_header) {
		memset(ss->token_header, 0, strlen(ss->token_header));
		__asm__ __volatile__("" : : "r"(ss->token_header) : "memory");
	}
	free(ss->token_header);
	free(ss->cacert);
	hf_s3_cred_release(&ss->cred);
	free(ss->location);
	free(ss->endpoint);
	free(ss->bucket);
	free(ss->url_base);
	free(ss->prefix);
	free(ss->sigv4);
	pthread_mutex_destroy(&ss->err_lock);
	free(ss);
}

static size_t s3_explain(struct hf_store *s, char *out, size_t cap)
{
	struct s3_store *ss = (struct s3_store *)s;
	size_t n;

	pthread_mutex_lock(&ss->err_lock);
	n = (size_t)snprintf(out, cap, "%s", ss->last_err);
	pthread_mutex_unlock(&ss->err_lock);
	return n;
}

static const struct hf_store_ops s3_ops = {
	.put = s3_put,
	.get = s3_get,
	.get_range = s3_get_range,
	.size = s3_size,
	.mtime = s3_mtime,
	.list = s3_list,
	.list_entries = NULL, /* S3 records no sender: hf_store_list_entries falls back on list */
	.remove = s3_remove,
	.sync = s3_sync,
	.reader_open = s3_reader_open,
	.reader_read = s3_reader_read,
	.reader_close = s3_reader_close,
	.writer_open = s3_writer_open,
	.writer_write = s3_writer_write,
	.writer_commit = s3_writer_commit,
	.writer_abort = s3_writer_abort,
	.close = s3_close,
	.now = s3_now,
	.lock_available = hf_s3_lock_available,
	.lock_set = hf_s3_lock_set,
	.lock_until = hf_s3_lock_until,
	.lock_extend = hf_s3_lock_extend,
	.explain = s3_explain,
};

/* ---- opening ------------------------------------------------------------------- */

static int bucket_ok(const char *b, size_t n)
{
	if (n < 3 || n > 63)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((b[i] >= 'a' && b[i] <= 'z') || (b[i] >= '0' && b[i] <= '9') || b[i] == '.' || b[i] == '-' ||
		      b[i] == '_'))
			return 0;
	return 1;
}

/* segments of [A-Za-z0-9._-], none "." or "..", joined by single slashes */
static int prefix_ok(const char *p, size_t n)
{
	size_t seg = 0;

	if (n > 512)
		return 0;
	for (size_t i = 0; i <= n; i++) {
		char c = i < n ? p[i] : '/';
		if (c == '/') {
			if (seg == 0 || (seg == 1 && p[i - 1] == '.') ||
			    (seg == 2 && p[i - 1] == '.' && p[i - 2] == '.'))
				return 0;
			seg = 0;
		} else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
			   c == '-' || c == '_') {
			seg++;
		} else {
			return 0;
		}
	}
	return 1;
}

/* 1 if the host (without its port) ends with suffix */
static int host_ends_with(const char *host, size_t hostlen, const char *suffix)
{
	const char *colon = memchr(host, ':', hostlen);
	size_t n = colon ? (size_t)(colon - host) : hostlen, sl = strlen(suffix);

	return n >= sl && strncasecmp(host + n - sl, suffix, sl) == 0;
}

/* The base of every request's URL: path style (http://HOST/BUCKET, what
 * self-hosted servers answer by default) or virtual-host style
 * (http://BUCKET.HOST, what AWS wants), by HOLDFAST_S3_ADDRESSING = path,
 * virtual or auto (the default: virtual for *.amazonaws.com, else path). */
static int set_url_base(struct s3_store *ss, const char *host, size_t hostlen, char *why, size_t why_cap)
{
	const char *mode = getenv("HOLDFAST_S3_ADDRESSING");
	size_t scheme = strstr(ss->endpoint, "://") - ss->endpoint + 3, n;
	int virtual_host;

	if (!mode || !*mode || strcmp(mode, "auto") == 0) {
		virtual_host = host_ends_with(host, hostlen, ".amazonaws.com") && !strchr(ss->bucket, '.');
	} else if (strcmp(mode, "virtual") == 0 || strcmp(mode, "path") == 0) {
		virtual_host = mode[0] == 'v';
	} else {
		snprintf(why, why_cap, "HOLDFAST_S3_ADDRESSING is path, virtual or auto, not '%s'", mode);
		return -HF_E_USAGE;
	}
	if (virtual_host && (host[0] == '[' || strspn(host, "0123456789.:") == hostlen)) {
		snprintf(why, why_cap,
			 "virtual-host addressing puts the bucket in the host name: give a host "
			 "name, not an IP address");
		return -HF_E_USAGE;
	}
	if (virtual_host && scheme == 8 && strchr(ss->bucket, '.')) {
		snprintf(why, why_cap,
			 "bucket %s has dots: over https its virtual host name is not covered by the "
			 "server's certificate (use HOLDFAST_S3_ADDRESSING=path)",
			 ss->bucket);
		return -HF_E_USAGE;
	}
	n = strlen(ss->endpoint) + strlen(ss->bucket) + 2;
	ss->url_base = hf_xmalloc(n);
	if (virtual_host)
		snprintf(ss->url_base, n, "%.*s%s.%.*s", (int)scheme, ss->endpoint, ss->bucket, (int)hostlen, host);
	else
		snprintf(ss->url_base, n, "%s/%s", ss->endpoint, ss->bucket);
	return 0;
}

/* "s3:http[s]://HOST[:PORT]/BUCKET[/PREFIX][/]" */
static int parse_url(struct s3_store *ss, const char *url, char *why, size_t why_cap)
{
	const char *u = url + 3, *host, *slash, *bucket, *bend, *prefix;
	size_t hostlen, plen;
	int r;

	if (strncmp(u, "https://", 8) == 0)
		host = u + 8;
	else if (strncmp(u, "http://", 7) == 0)
		host = u + 7;
	else
		goto bad;
	slash = strchr(host, '/');
	if (!slash)
		goto bad;
	hostlen = (size_t)(slash - host);
	if (hostlen == 0 || hostlen > 255)
		goto bad;
	for (size_t i = 0; i < hostlen; i++)
		if (!((host[i] >= 'a' && host[i] <= 'z') || (host[i] >= 'A' && host[i] <= 'Z') ||
		      (host[i] >= '0' && host[i] <= '9') || strchr(".-:[]_", host[i])))
			goto bad; /* no user info, query or fragment */
	bucket = slash + 1;
	bend = strchr(bucket, '/');
	if (!bend)
		bend = bucket + strlen(bucket);
	if (!bucket_ok(bucket, (size_t)(bend - bucket))) {
		snprintf(why, why_cap, "the bucket name is 3 to 63 of a-z 0-9 . - _");
		return -HF_E_USAGE;
	}
	prefix = *bend ? bend + 1 : bend;
	plen = strlen(prefix);
	if (plen && prefix[plen - 1] == '/')
		plen--;
	if (plen && !prefix_ok(prefix, plen)) {
		snprintf(why, why_cap,
			 "the prefix after the bucket is made of segments of A-Z a-z 0-9 . - _ joined by /");
		return -HF_E_USAGE;
	}
	ss->endpoint = hf_xmalloc((size_t)(slash - u) + 1);
	memcpy(ss->endpoint, u, (size_t)(slash - u));
	ss->endpoint[slash - u] = '\0';
	ss->bucket = hf_xmemdup(bucket, (size_t)(bend - bucket));
	r = set_url_base(ss, host, hostlen, why, why_cap);
	if (r < 0)
		return r;
	ss->prefix = hf_xmalloc(plen + 2);
	memcpy(ss->prefix, prefix, plen);
	ss->prefix[plen] = plen ? '/' : '\0';
	ss->prefix[plen + 1] = '\0';
	return 0;
bad:
	snprintf(why, why_cap, "an S3 URL is s3:http[s]://HOST[:PORT]/BUCKET[/PREFIX]");
	return -HF_E_USAGE;
}

/* a sentence for a failed first exchange */
static void explain(struct s3_store *ss, const struct exchange *x, int r, char *why, size_t why_cap)
{
	const char *c = x->code;

	if (!why_cap)
		return;
	if (r == -HF_E_UNAVAILABLE && x->curl_err[0])
		snprintf(why, why_cap, "cannot reach the S3 server %s: %s", ss->endpoint, x->curl_err);
	else if (r == -HF_E_UNAVAILABLE)
		snprintf(why, why_cap, "the S3 server %s is unavailable (HTTP %ld%s%s): try again later", ss->endpoint,
			 x->status, c[0] ? " " : "", c);
	else if (strcmp(c, "NoSuchBucket") == 0)
		snprintf(why, why_cap, "bucket %s does not exist on %s: create it first", ss->bucket, ss->endpoint);
	else if (strcmp(c, "InvalidAccessKeyId") == 0)
		snprintf(why, why_cap, "the S3 server does not know the access key id (from %s)", ss->cred.from);
	else if (strcmp(c, "SignatureDoesNotMatch") == 0)
		snprintf(why, why_cap, "the S3 secret key (from %s) does not match the access key id", ss->cred.from);
	else if (strcmp(c, "AuthorizationHeaderMalformed") == 0 || strcmp(c, "PermanentRedirect") == 0 ||
		 x->status == 301 || x->status == 307)
		snprintf(why, why_cap, "bucket %s is not in region %s at %s (AWS_REGION, AWS_DEFAULT_REGION)",
			 ss->bucket, ss->cred.region, ss->endpoint);
	else if (strcmp(c, "RequestTimeTooSkewed") == 0)
		snprintf(why, why_cap, "this machine's clock is too far from the S3 server's (%s)", ss->endpoint);
	else if (strcmp(c, "AccessDenied") == 0)
		snprintf(why, why_cap, "the S3 credentials (from %s) may not list bucket %s", ss->cred.from,
			 ss->bucket);
	else if (r == -HF_E_REFUSED && x->curl_err[0])
		snprintf(why, why_cap, "the S3 server %s is not the one it should be (--cacert): %s", ss->endpoint,
			 x->curl_err);
	else if (c[0])
		snprintf(why, why_cap, "the S3 server answered HTTP %ld %s%s%s", x->status, c, x->msg[0] ? ": " : "",
			 x->msg);
}

struct first_key {
	const char *want; /* this key exactly; NULL: any */
	int found;
};

static int on_first_key(void *arg, const char *key, uint64_t size)
{
	struct first_key *fk = arg;

	(void)size;
	if (!fk->want || strcmp(key, fk->want) == 0)
		fk->found = 1;
	return 0;
}

/* create: the prefix must hold nothing; else it must hold a config
 * (HF_STORE_OPEN_LAYOUT: the listing only shows the bucket is there) */
static int check_prefix(struct s3_store *ss, int create, char *why, size_t why_cap)
{
	int layout = create == HF_STORE_OPEN_LAYOUT;

	char prefix[HF_S3_URL_MAX], token[HF_S3_TOKEN_MAX + 1];
	struct first_key fk = {0};
	struct hf_buf page;
	struct exchange *x = hf_xmalloc(sizeof(*x));
	int r, truncated;

	if (layout)
		create = 0;
	snprintf(prefix, sizeof(prefix), "%s%s", ss->prefix, create ? "" : "config");
	fk.want = create ? NULL : prefix;
	hf_buf_init(&page, PAGE_MAX);
	r = list_page(ss, prefix, NULL, 1, &page, x);
	if (r < 0)
		explain(ss, x, r, why, why_cap);
	if (r == 0) {
		r = hf_s3_parse_list((const char *)page.data, page.len, on_first_key, &fk, &truncated, token);
		if (r < 0)
			snprintf(why, why_cap, "the S3 server's listing of bucket %s is not S3's XML", ss->bucket);
	}
	if (r == 0 && create && fk.found) {
		snprintf(why, why_cap, "bucket %s already holds objects under %s", ss->bucket,
			 ss->prefix[0] ? ss->prefix : "its root");
		r = -HF_E_EXISTS;
	}
	if (r == 0 && !create && !layout && !fk.found) {
		snprintf(why, why_cap, "no holdfast repository in bucket %s%s%s (no config object)", ss->bucket,
			 ss->prefix[0] ? " under " : "", ss->prefix);
		r = -HF_E_NOTFOUND;
	}
	hf_buf_release(&page);
	free(x);
	return r;
}

/* whether the bucket keeps versions (GetBucketVersioning); where the
 * server will not say, as if it did (the safer way to put) */
static int probe_versioning(struct s3_store *ss, char *why, size_t why_cap)
{
	struct hf_buf b;
	struct exchange *x = hf_xcalloc(1, sizeof(*x));
	int r;

	x->method = "GET";
	x->fd = -1;
	x->buf = &b;
	hf_buf_init(&b, 64 * 1024);
	snprintf(x->url, sizeof(x->url), "%s?versioning=", ss->url_base);
	r = hf_s3_perform(ss, x);
	if (x->date_s > 0)
		ss->clock_offset_s = x->date_s - (int64_t)time(NULL);
	if (r == 0) {
		ss->versioned = hf_s3_parse_versioning((const char *)b.data, b.len);
	} else if (r != -HF_E_UNAVAILABLE) {
		ss->versioned = 1; /* not ours to know (a user without the permission) */
		r = 0;
	} else {
		explain(ss, x, r, why, why_cap);
	}
	hf_buf_release(&b);
	free(x);
	return r;
}

/* a view of the bucket at time_s: it must keep versions, and have held a
 * repository then */
static int open_as_of(struct s3_store *ss, int64_t time_s, char *why, size_t why_cap)
{
	char url[HF_S3_URL_MAX];
	int r = probe_versioning(ss, why, why_cap);

	if (r == 0 && !ss->versioned) {
		snprintf(why, why_cap, "bucket %s keeps no versions: --as-of cannot see how it was", ss->bucket);
		return -HF_E_USAGE;
	}
	if (r == 0)
		r = hf_s3_as_of_init(ss, time_s);
	if (r == 0)
		r = hf_s3_as_of_url(ss, HF_OBJ_CONFIG, "config", url, sizeof(url), NULL, NULL);
	if (r == -HF_E_NOTFOUND)
		snprintf(why, why_cap, "no holdfast repository in bucket %s%s%s at that time (no config object then)",
			 ss->bucket, ss->prefix[0] ? " under " : "", ss->prefix);
	return r;
}

/* HOLDFAST_S3_CONNECTIONS (1-64), else TRANSFERS_MAX; 0 if it is set to
 * anything else */
static unsigned transfers_max(void)
{
	const char *v = getenv("HOLDFAST_S3_CONNECTIONS");
	char *end;
	unsigned long n;

	if (!v || !*v)
		return TRANSFERS_MAX;
	n = strtoul(v, &end, 10);
	return *end == '\0' && n >= 1 && n <= 64 ? (unsigned)n : 0;
}

int hf_store_s3_open(const char *url, int create, const struct hf_store_opts *o, struct hf_store **out)
{
	struct s3_store *ss;
	char scratch[8], *why = o && o->why && o->why_cap ? o->why : scratch;
	size_t why_cap = o && o->why && o->why_cap ? o->why_cap : sizeof(scratch);
	unsigned max;
	int r;

	*out = NULL;
	why[0] = '\0';
	if (strncmp(url, "s3:", 3) != 0)
		return -HF_E_USAGE;
	ss = hf_xcalloc(1, sizeof(*ss));
	pthread_mutex_init(&ss->err_lock, NULL);
	r = hf_curl_pool_init(&ss->pool);
	if (r < 0)
		goto fail;
	if (!(max = transfers_max())) {
		snprintf(why, why_cap, "HOLDFAST_S3_CONNECTIONS must be a number from 1 to 64");
		r = -HF_E_USAGE;
		goto fail;
	}
	ss->transfers = hf_transfer_pool_new(TRANSFERS_START, max);
	r = parse_url(ss, url, why, why_cap);
	if (r == 0)
		r = hf_s3_cred_load(&ss->cred, why, why_cap);
	if (r < 0)
		goto fail;
	ss->location = hf_xstrdup(url);
	ss->sigv4 = hf_xmalloc(strlen(ss->cred.region) + 16);
	snprintf(ss->sigv4, strlen(ss->cred.region) + 16, "aws:amz:%s:s3", ss->cred.region);
	if (ss->cred.token) {
		size_t n = strlen(ss->cred.token) + 32;
		ss->token_header = hf_xmalloc(n);
		snprintf(ss->token_header, n, "x-amz-security-token: %s", ss->cred.token);
	}
	ss->cacert = o && o->cacert ? hf_xstrdup(o->cacert) : NULL;
	ss->base.ops = &s3_ops;
	ss->base.location = ss->location;
	ss->base.caps = HF_STORE_CAN_DELETE | HF_STORE_OWN_CLOCK | HF_STORE_RETENTION | HF_STORE_REMOTE;
	if (o && o->as_of_s) {
		r = create ? -HF_E_USAGE : open_as_of(ss, o->as_of_s, why, why_cap);
	} else {
		r = check_prefix(ss, create, why, why_cap);
		if (r == 0)
			r = probe_versioning(ss, why, why_cap);
	}
	if (r < 0)
		goto fail;
	*out = &ss->base;
	return 0;
fail:
	s3_close(&ss->base);
	return r;
}
