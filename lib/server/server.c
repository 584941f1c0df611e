/* server.c — request handling of the repository server (server.h). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "crypto/crypto.h"
#include "repo/repo_internal.h" /* hf_config_decode: the server reads the config's lock */
#include "repo/shape.h"
#include "server/policy.h"
#include "server/quota.h"
#include "server/receipt.h"
#include "server/registry.h"
#include "server/server.h"
#include "util/hex.h"
#include "util/mem.h"

#define UPLOADS_PER_CLIENT 32               /* a client with 16 threads has about as many packs in flight */
#define UPLOAD_IDLE_NS (600 * 1000000000LL) /* an upload untouched this long is dropped */
#define DEFAULT_PACK_SIZE (16u << 20)       /* for caps before a repository has its config */
#define HOUR_NS (3600 * 1000000000LL)
#define CHALLENGE_NS (600 * 1000000000LL) /* how long a deletion challenge is good for */
#define CHALLENGES_MAX 256
#define TAG_LEN 32 /* an authenticated object's tag (repo/object.h) */

struct repo_entry {
	char name[HF_CLIENT_NAME_MAX + 1];
	struct hf_store *store;
	struct hf_store *receipts;          /* ROOT/receipts/<name>: one per object (receipt.h) */
	uint32_t pack_size;                 /* from its config, once there */
	uint8_t delete_key[HF_SIGN_PK_LEN]; /* from its config: verifies deletions */
	int has_tag_key;                    /* the tag key is known (ROOT/tagkeys/<name>): */
	uint8_t tag_key[HF_KEY_LEN];        /* untagged objects are refused */
	/* the config asks for Object Lock (lock_mode) and the store could not
	 * lock (lock_failed): then nothing more is written, unlocked */
	int lock_mode, lock_failed;
};

/* a nonce issued to a client to sign its deletions against */
struct challenge {
	uint8_t nonce[HF_DELETE_NONCE_LEN];
	char client[HF_CLIENT_NAME_MAX + 1];
	char repo[HF_CLIENT_NAME_MAX + 1];
	int64_t expires_ns;
	uint64_t last_counter; /* each counter is good once, in order */
};

/* an object being received: a single put, or a streamed upload */
struct receiving {
	int kind;
	struct hf_store *store, *receipts;
	uint32_t pack_size;
	struct hf_store_writer *w;
	struct hf_sha256_ctx *sha;
	uint64_t got, limit;
	uint8_t head[HF_SHAPE_HEAD];
	uint8_t tail[HF_SHAPE_TAIL]; /* a ring: the last bytes */
	/* tagged kinds, when the tag key is known: the MAC of every byte but
	 * the last TAG_LEN, which wait in held */
	struct hf_mac_ctx *mac;
	uint8_t held[TAG_LEN];
	size_t nheld;
};

struct upload {
	char id[33]; /* 128 random bits in hex */
	char client[HF_CLIENT_NAME_MAX + 1];
	char repo[HF_CLIENT_NAME_MAX + 1];
	int64_t touched_ns;
	int busy; /* a request is appending to it */
	struct receiving rx;
};

/* the snapshot puts of one client in the last hour (a flood cannot push
 * good snapshots out of retention buckets if it cannot happen) */
struct snapshot_rate {
	char client[HF_CLIENT_NAME_MAX + 1];
	int64_t *times;
	size_t n;
};

struct hf_server {
	char *root;
	char *store_base;   /* the backing store's URL, no trailing '/'; NULL: ROOT's directories */
	char *store_cacert; /* for it; NULL: the system's CAs */
	int can_lock;       /* it can lock objects (a bucket with Object Lock) */
	FILE *log;
	pthread_mutex_t lock; /* repos, uploads, rates, the log */
	struct repo_entry *repos;
	size_t nrepos;
	struct upload **uploads;
	size_t nuploads;
	struct snapshot_rate *rates;
	size_t nrates;
	struct challenge challenges[CHALLENGES_MAX];
	int64_t lock_ns;
	struct hf_quota *quota;
};

enum call_mode { CALL_PUT = 1, CALL_APPEND };

struct hf_call {
	struct hf_server *s;
	enum call_mode mode;
	int64_t expect; /* Content-Length */
	char name[HF_STORE_NAME_MAX + 1];
	char client[HF_CLIENT_NAME_MAX + 1];
	int role;                            /* the client's */
	uint64_t quota_bytes, quota_objects; /* the client's */
	struct receiving rx;                 /* CALL_PUT */
	struct upload *up;                   /* CALL_APPEND */
	uint64_t got;                        /* body bytes of this request */
	const char *method, *path, *peer;
};

/* ---- answers and the log ----------------------------------------------------- */

void hf_response_init(struct hf_response *r)
{
	memset(r, 0, sizeof(*r));
	hf_buf_init(&r->body, 1u << 30); /* a listing of millions of packs */
	r->content_type = "application/json";
}

void hf_response_release(struct hf_response *r)
{
	hf_store_reader_close(r->reader);
	hf_buf_release(&r->body);
	memset(r, 0, sizeof(*r));
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* appends to the answer's body; -HF_E_LIMIT (and nothing appended) when it is full */
static int put_text(struct hf_response *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int put_text(struct hf_response *r, const char *fmt, ...)
{
	char text[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(text))
		return -HF_E_LIMIT;
	return hf_buf_append(&r->body, text, (size_t)n);
}

/* an error answer; message has no quote or backslash (we write them all) */
static int fail(struct hf_response *r, int status, const char *code, const char *message)
{
	hf_store_reader_close(r->reader);
	r->reader = NULL;
	r->status = status;
	r->error = code;
	r->content_type = "application/json";
	r->body.len = 0;
	put_text(r, "{\"error\": \"%s\", \"message\": \"%s\"}\n", code, message);
	return 0;
}

/* the answer for a store or library error */
static int fail_err(struct hf_response *r, int err)
{
	switch (err) {
	case -HF_E_EXISTS:
		return fail(r, 409, "exists", "an object of that name exists: objects are never replaced");
	case -HF_E_NOTFOUND:
		return fail(r, 404, "not_found", "no such object");
	case -HF_E_LIMIT:
		return fail(r, 413, "too_large", "larger than any object of this kind");
	case -HF_E_CORRUPT:
	case -HF_E_VERSION:
		return fail(r, 422, "malformed", "not the shape of an object of this kind");
	case -ENOSPC:
		return fail(r, 507, "full", "the server's disk is full");
	case -EDQUOT:
		return fail(r, 507, "quota", "this client's quota is used up");
	case -HF_E_LOCKED:
		return fail(r, 423, "locked", "under the store's retention lock (S3 Object Lock): kept");
	case -HF_E_UNAVAILABLE:
		return fail(r, 503, "unavailable", "the server's backing store is unavailable: try again later");
	}
	return fail(r, 500, "internal", hf_strerror(err));
}

/* one line of the JSON log, under the lock */
static void log_write(struct hf_server *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void log_write(struct hf_server *s, const char *fmt, ...)
{
	va_list ap;

	if (!s->log)
		return;
	pthread_mutex_lock(&s->lock);
	va_start(ap, fmt);
	vfprintf(s->log, fmt, ap);
	va_end(ap);
	fflush(s->log);
	pthread_mutex_unlock(&s->lock);
}

/* Names are checked before they get here and the peer is an address: only
 * what a client sent as a path could need escaping, and it is cut at the
 * first character that would. */
static void log_request(struct hf_server *s, const char *client, const char *peer, const char *method, const char *path,
			int status)
{
	log_write(s,
		  "{\"time_ns\": %" PRId64 ", \"client\": \"%s\", \"peer\": \"%s\", \"method\": \"%s\", "
		  "\"path\": \"%.*s\", \"status\": %d}\n",
		  now_ns(), client ? client : "", peer ? peer : "", method, (int)strcspn(path, "\"\\\n"), path, status);
}

void hf_server_log(struct hf_server *s, const char *event, const char *detail)
{
	log_write(s, "{\"time_ns\": %" PRId64 ", \"event\": \"%s\", \"detail\": \"%.*s\"}\n", now_ns(), event,
		  (int)strcspn(detail, "\"\\\n"), detail);
}

/* ---- the server ---------------------------------------------------------------- */

/* what the server's quota counts: the receipts of repository repo */
static int quota_receipts(void *arg, const char *repo, struct hf_store **out);

/* the backing store answers, with a bucket that is there and keys that
 * may list it (o->why says otherwise) */
static int probe_store(const struct hf_server_opts *o, const char *base, int *can_lock)
{
	struct hf_store_opts so = {.cacert = o->store_cacert, .why = o->why, .why_cap = o->why_cap};
	struct hf_store *st = NULL;
	int r = hf_store_open_opts(base, HF_STORE_OPEN_LAYOUT, &so, &st);

	*can_lock = r == 0 && hf_store_lock_available(st) == 0;
	hf_store_close(st);
	return r;
}

int hf_server_open(const struct hf_server_opts *o, struct hf_server **out)
{
	struct hf_server *s;
	char dir[4096], *base = NULL;
	struct stat st;
	int r, can_lock = 0;

	*out = NULL;
	if (o->why && o->why_cap)
		o->why[0] = '\0';
	if (!o->root || stat(o->root, &st) < 0)
		return -HF_E_NOTFOUND;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	if (o->store) {
		size_t n = strlen(o->store);
		while (n > 0 && o->store[n - 1] == '/')
			n--;
		if (n == 0 || n > 2048)
			return -HF_E_USAGE;
		base = hf_xmemdup(o->store, n + 1);
		base[n] = '\0';
		r = probe_store(o, base, &can_lock);
		if (r < 0) {
			free(base);
			return r;
		}
	}
	static const char *const dirs[] = {"clients", "repos", "receipts", "tagkeys"};

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(dir, sizeof(dir), "%s/%s", o->root, dirs[i]);
		if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
			free(base);
			return -errno;
		}
	}
	s = hf_xcalloc(1, sizeof(*s));
	s->root = hf_xstrdup(o->root);
	s->store_base = base;
	s->can_lock = can_lock;
	s->store_cacert = o->store_cacert ? hf_xstrdup(o->store_cacert) : NULL;
	s->log = o->log;
	s->lock_ns = o->lock_ns;
	s->quota = hf_quota_new(o->root, quota_receipts, s);
	pthread_mutex_init(&s->lock, NULL);
	*out = s;
	return 0;
}

static void rx_abort(struct receiving *rx)
{
	uint8_t ignored[HF_HASH_LEN];

	if (rx->w)
		hf_store_writer_abort(rx->w);
	if (rx->sha)
		hf_sha256_final(rx->sha, ignored);
	if (rx->mac)
		hf_mac_final(rx->mac, ignored);
	rx->w = NULL;
	rx->sha = NULL;
	rx->mac = NULL;
}

void hf_server_close(struct hf_server *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nuploads; i++) {
		rx_abort(&s->uploads[i]->rx);
		free(s->uploads[i]);
	}
	free(s->uploads);
	for (size_t i = 0; i < s->nrepos; i++) {
		hf_store_close(s->repos[i].store);
		hf_store_close(s->repos[i].receipts);
	}
	free(s->repos);
	for (size_t i = 0; i < s->nrates; i++)
		free(s->rates[i].times);
	free(s->rates);
	pthread_mutex_destroy(&s->lock);
	hf_quota_free(s->quota);
	free(s->root);
	free(s->store_base);
	free(s->store_cacert);
	free(s);
}

/* The client a request's token belongs to. Unknown clients cost a hash
 * too, so timing does not tell which names exist. */
static int authenticate(struct hf_server *s, const char *authorization, struct hf_client *c)
{
	char name[HF_CLIENT_NAME_MAX + 1];
	uint8_t ignored[HF_HASH_LEN];
	const char *token;

	if (!authorization || strncmp(authorization, "Bearer ", 7) != 0)
		return -HF_E_REFUSED;
	token = authorization + 7;
	if (hf_token_client(token, name) == 0 && hf_registry_get(s->root, name, c) == 0 && hf_client_token_ok(c, token))
		return 0;
	hf_token_hash(token, ignored);
	return -HF_E_REFUSED;
}

/* Object Lock as the config asks: every later put of the repository's
 * store and of its receipts is locked (the engine does the same when it
 * opens a repository: repo.c); 0, or -ENOTSUP if the store cannot lock */
static int set_lock(struct hf_store *st, struct hf_store *receipts, int mode, int64_t period_s)
{
	struct hf_store_lock l = {.mode = mode, .period_s = period_s};

	if (mode == HF_LOCK_OFF)
		return 0;
	return hf_store_lock_set(st, &l) < 0 || hf_store_lock_set(receipts, &l) < 0 ? -ENOTSUP : 0;
}

/* what the server needs of the repository's config, once it is there */
static void read_config(struct repo_entry *e)
{
	struct hf_repo_config c;
	struct hf_buf cfg;

	hf_buf_init(&cfg, HF_SHAPE_HEAD);
	e->pack_size = 0;
	if (hf_store_get(e->store, HF_OBJ_CONFIG, "config", &cfg) == 0 &&
	    hf_config_decode(cfg.data, cfg.len, &c) == 0) {
		e->pack_size = c.pack_size;
		memcpy(e->delete_key, c.delete_key, HF_SIGN_PK_LEN);
		e->lock_mode = c.lock_mode;
		e->lock_failed = set_lock(e->store, e->receipts, c.lock_mode, c.lock_period_s) < 0;
	}
	hf_buf_release(&cfg);
}

static void tag_key_path(const struct hf_server *s, const char *repo, char *out, size_t cap)
{
	snprintf(out, cap, "%s/tagkeys/%s", s->root, repo);
}

/* the repository's tag key, if an admin gave it (64 hex and a newline) */
static void read_tag_key(const struct hf_server *s, struct repo_entry *e)
{
	char path[4096], hex[2 * HF_KEY_LEN + 2] = "";
	FILE *f;

	tag_key_path(s, e->name, path, sizeof(path));
	f = fopen(path, "re");
	if (!f)
		return;
	e->has_tag_key = fgets(hex, sizeof(hex), f) && strlen(hex) == 2 * HF_KEY_LEN + 1 &&
			 hex[2 * HF_KEY_LEN] == '\n' && (hex[2 * HF_KEY_LEN] = '\0', 1) &&
			 hf_hex_decode(hex, e->tag_key, HF_KEY_LEN) == 0;
	hf_wipe(hex, sizeof(hex));
	fclose(f);
}

/* where repository name's objects (what "repos") or receipts (what
 * "receipts") are: ROOT/what/name, or BASE/what/name in the backing store */
static int store_url(const struct hf_server *s, const char *what, const char *name, char *out, size_t cap)
{
	int n = snprintf(out, cap, "%s/%s/%s", s->store_base ? s->store_base : s->root, what, name);

	return n < 0 || (size_t)n >= cap ? -HF_E_LIMIT : 0;
}

static int open_backing(const struct hf_server *s, const char *url, int create, struct hf_store **out)
{
	struct hf_store_opts o = {.cacert = s->store_cacert};

	return hf_store_open_opts(url, create, &o, out);
}

/* the receipt store beside a repository's store: made when missing (a
 * repository is made with its receipt store; a root from before receipts
 * gets one). In a backing store (S3) it is a prefix: nothing to make. */
static int open_receipts(struct hf_server *s, const char *name, struct hf_store **out)
{
	char dir[4096];
	int r = store_url(s, "receipts", name, dir, sizeof(dir));

	if (r < 0)
		return r;
	if (s->store_base)
		return open_backing(s, dir, HF_STORE_OPEN_LAYOUT, out);
	r = hf_store_local_open(dir, HF_STORE_OPEN_LAYOUT, out);
	if (r == -HF_E_NOTFOUND)
		r = hf_store_local_open(dir, 1, out);
	return r;
}

static int quota_receipts(void *arg, const char *repo, struct hf_store **out)
{
	struct hf_server *s = arg;
	char dir[4096];
	int r = store_url(s, "receipts", repo, dir, sizeof(dir));

	if (r < 0)
		return r;
	return s->store_base ? open_backing(s, dir, HF_STORE_OPEN_LAYOUT, out)
			     : hf_store_local_open(dir, HF_STORE_OPEN_LAYOUT, out);
}

/* The store of repository name; create makes it (-HF_E_EXISTS if it is
 * there), else -HF_E_NOTFOUND if there is none. A local directory is its
 * own proof of existence. In a backing store an empty prefix looks like
 * none, so ROOT/repos/<name>, an empty directory, says it was made here;
 * a prefix with a config is a repository too (made through another server
 * machine, or by init straight into the bucket) and gets the directory. */
static int open_repo(struct hf_server *s, const char *name, int create, struct hf_store **out)
{
	char url[4096], mark[4096];
	struct stat st;
	uint64_t size;
	int r, marked;

	*out = NULL;
	if (!s->store_base) {
		snprintf(url, sizeof(url), "%s/repos/%s", s->root, name);
		return hf_store_local_open(url, create ? 1 : HF_STORE_OPEN_LAYOUT, out);
	}
	snprintf(mark, sizeof(mark), "%s/repos/%s", s->root, name);
	marked = lstat(mark, &st) == 0;
	if (create && marked)
		return -HF_E_EXISTS;
	r = store_url(s, "repos", name, url, sizeof(url));
	if (r == 0)
		r = open_backing(s, url, create ? 1 : HF_STORE_OPEN_LAYOUT, out);
	if (r == 0 && !create && !marked)
		r = hf_store_size(*out, HF_OBJ_CONFIG, "config", &size);
	if (r == 0 && !marked && mkdir(mark, 0700) < 0 && errno != EEXIST)
		r = -errno;
	if (r < 0) {
		hf_store_close(*out);
		*out = NULL;
	}
	return r;
}

/* The repository's store (opened once), or -HF_E_NOTFOUND. create makes it. */
static int repo_store(struct hf_server *s, const char *name, int create, struct repo_entry *out)
{
	char dir[4096];
	struct hf_store *st = NULL, *rs = NULL;
	uint64_t swept = 0, swept_bytes = 0;
	int r = 0;

	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; i < s->nrepos; i++)
		if (strcmp(s->repos[i].name, name) == 0) {
			if (create) {
				r = -HF_E_EXISTS;
			} else {
				if (!s->repos[i].pack_size)
					read_config(&s->repos[i]);
				*out = s->repos[i];
			}
			goto out;
		}
	r = open_repo(s, name, create, &st);
	if (r < 0)
		goto out;
	r = open_receipts(s, name, &rs);
	if (r < 0) {
		hf_store_close(st);
		goto out;
	}
	/* what uploads of an earlier server process (killed) left: this one
	 * has none in this repository before it is opened (an S3 store
	 * leaves nothing: it spools to unlinked files and PUTs at commit) */
	if (hf_store_sweep(st, 0, &swept, &swept_bytes) < 0)
		swept = 0;
	s->repos = hf_xreallocarray(s->repos, s->nrepos + 1, sizeof(*s->repos));
	memset(&s->repos[s->nrepos], 0, sizeof(*s->repos));
	snprintf(s->repos[s->nrepos].name, sizeof(s->repos[0].name), "%s", name);
	s->repos[s->nrepos].store = st;
	s->repos[s->nrepos].receipts = rs;
	read_config(&s->repos[s->nrepos]);
	read_tag_key(s, &s->repos[s->nrepos]);
	*out = s->repos[s->nrepos++];
out:
	pthread_mutex_unlock(&s->lock);
	if (swept) {
		snprintf(dir, sizeof(dir), "%s: %llu unfinished uploads (%llu bytes) removed", name,
			 (unsigned long long)swept, (unsigned long long)swept_bytes);
		hf_server_log(s, "swept", dir);
	}
	return r;
}

/* An object's arrival and sender: from its receipt; without one (the server
 * was killed between the object and its receipt, or it was put there by
 * hand) the object's mtime and no sender, which readers do not trust. */
static void object_origin(const struct repo_entry *e, int kind, const char *name, struct hf_receipt *rc)
{
	if (hf_receipt_get(e->receipts, kind, name, rc) == 0)
		return;
	memset(rc, 0, sizeof(*rc));
	if (hf_store_mtime(e->store, kind, name, &rc->arrival_ns) < 0)
		rc->arrival_ns = 0;
}

/* ---- receiving an object --------------------------------------------------------- */

/* the kinds that end in a tag a key file made (repo/object.h) */
static int tagged_kind(int kind)
{
	return kind == HF_OBJ_SNAPSHOT || kind == HF_OBJ_INDEX || kind == HF_OBJ_MARK || kind == HF_OBJ_PENDING;
}

/* into the MAC go all bytes but the last TAG_LEN seen so far */
static void mac_feed(struct receiving *rx, const uint8_t *p, size_t n)
{
	size_t spill;

	if (n >= TAG_LEN) {
		hf_mac_update(rx->mac, rx->held, rx->nheld);
		hf_mac_update(rx->mac, p, n - TAG_LEN);
		memcpy(rx->held, p + n - TAG_LEN, TAG_LEN);
		rx->nheld = TAG_LEN;
		return;
	}
	spill = rx->nheld + n > TAG_LEN ? rx->nheld + n - TAG_LEN : 0;
	hf_mac_update(rx->mac, rx->held, spill);
	memmove(rx->held, rx->held + spill, rx->nheld - spill);
	rx->nheld -= spill;
	memcpy(rx->held + rx->nheld, p, n);
	rx->nheld += n;
}

static int rx_start(struct receiving *rx, const struct repo_entry *e, int kind)
{
	memset(rx, 0, sizeof(*rx));
	rx->kind = kind;
	rx->store = e->store;
	rx->receipts = e->receipts;
	rx->pack_size = e->pack_size ? e->pack_size : DEFAULT_PACK_SIZE;
	rx->limit = hf_shape_max_size(kind, rx->pack_size);
	rx->sha = hf_sha256_new();
	if (e->has_tag_key && tagged_kind(kind))
		rx->mac = hf_mac_new(e->tag_key);
	if (e->lock_failed)
		return -ENOTSUP; /* nothing is written unlocked that the config wants locked */
	return hf_store_writer_open(e->store, kind, &rx->w);
}

/* the answer when an object cannot start to be received */
static int fail_start(struct hf_response *resp, int r)
{
	if (r == -ENOTSUP)
		return fail(resp, 503, "lock",
			    "the config asks for Object Lock and the server's store cannot lock objects now: nothing "
			    "is written");
	return fail(resp, 500, "internal", "cannot start writing");
}

static int rx_write(struct receiving *rx, const uint8_t *p, size_t n)
{
	if (rx->got + n > rx->limit)
		return -HF_E_LIMIT;
	if (rx->got < HF_SHAPE_HEAD) {
		size_t k = n < HF_SHAPE_HEAD - rx->got ? n : HF_SHAPE_HEAD - rx->got;
		memcpy(rx->head + rx->got, p, k);
	}
	for (size_t i = n > HF_SHAPE_TAIL ? n - HF_SHAPE_TAIL : 0; i < n; i++)
		rx->tail[(rx->got + i) % HF_SHAPE_TAIL] = p[i];
	hf_sha256_update(rx->sha, p, n);
	if (rx->mac)
		mac_feed(rx, p, n);
	rx->got += n;
	return hf_store_writer_write(rx->w, p, n);
}

/* checks the name and the shape, then makes the object visible */
static int rx_commit(struct receiving *rx, const char *name)
{
	uint8_t hash[HF_HASH_LEN], tail[HF_SHAPE_TAIL];
	char hex[2 * HF_HASH_LEN + 1];
	size_t nhead = rx->got < HF_SHAPE_HEAD ? rx->got : HF_SHAPE_HEAD;
	size_t ntail = rx->got < HF_SHAPE_TAIL ? rx->got : HF_SHAPE_TAIL;
	struct hf_store_writer *w = rx->w;
	int r;

	hf_sha256_final(rx->sha, hash);
	rx->sha = NULL;
	for (size_t i = 0; i < ntail; i++)
		tail[i] = rx->tail[(rx->got - ntail + i) % HF_SHAPE_TAIL];
	hf_hex_encode(hash, HF_HASH_LEN, hex);
	if (rx->kind != HF_OBJ_CONFIG && strcmp(hex, name) != 0)
		r = -HF_E_AUTH; /* the bytes are not the object the name names */
	else
		r = hf_shape_check(rx->kind, rx->got, rx->head, nhead, tail, ntail, rx->pack_size);
	if (r == 0 && rx->mac) {
		uint8_t tag[TAG_LEN];
		hf_mac_final(rx->mac, tag);
		rx->mac = NULL;
		if (rx->nheld != TAG_LEN || !hf_ct_equal(tag, rx->held, TAG_LEN))
			r = -HF_E_REFUSED; /* not made with a key file of this repository */
	}
	if (r < 0)
		return r;
	rx->w = NULL;
	if (rx->kind == HF_OBJ_CONFIG && rx->got <= HF_SHAPE_HEAD) {
		/* the config says whether objects are locked: the lock is set
		 * before the config is written, so that it is locked too */
		struct hf_repo_config c;
		uint64_t size;
		hf_store_writer_abort(w);
		if (hf_store_size(rx->store, HF_OBJ_CONFIG, "config", &size) == 0)
			return -HF_E_EXISTS;
		if (hf_config_decode(rx->head, (size_t)rx->got, &c) == 0 &&
		    set_lock(rx->store, rx->receipts, c.lock_mode, c.lock_period_s) < 0)
			return -ENOTSUP;
		return hf_store_put(rx->store, HF_OBJ_CONFIG, "config", rx->head, (size_t)rx->got);
	}
	return hf_store_writer_commit(w, name, 0); /* create-only; frees the writer */
}

/* Commits the received object under name, records its receipt and answers.
 * The object comes first: a server killed between the two leaves an object
 * without a receipt (its sender unknown, so not trusted), never a receipt
 * claiming an object that is not there. */
static void commit_and_answer(struct hf_server *s, struct receiving *rx, const char *name, const char *client, int role,
			      const char *peer, struct hf_response *resp)
{
	struct hf_receipt rc = {.size = rx->got, .role = role};
	int kind = rx->kind, r = rx_commit(rx, name);

	if (r == -HF_E_AUTH) {
		fail(resp, 422, "mismatch", "the bytes do not hash to the object's name");
		return;
	}
	if (r == -HF_E_REFUSED) {
		fail(resp, 422, "untagged", "not tagged by a key file of this repository");
		return;
	}
	if (r == -ENOTSUP) {
		fail(resp, 422, "lock", "the config asks for Object Lock and the server's store cannot lock objects");
		return;
	}
	if (r < 0) {
		fail_err(resp, r);
		return;
	}
	rc.arrival_ns = now_ns();
	snprintf(rc.client, sizeof(rc.client), "%s", client);
	snprintf(rc.peer, sizeof(rc.peer), "%.*s", (int)strcspn(peer ? peer : "", " \n"), peer ? peer : "");
	r = hf_receipt_put(rx->receipts, kind, name, &rc);
	if (r < 0)
		hf_server_log(s, "receipt_failed", hf_strerror(r));
	else
		hf_quota_count(s->quota, client, 1, rc.size);
	resp->status = 201;
	put_text(resp, "{\"arrival_ns\": %" PRId64 "}\n", rc.arrival_ns);
}

/* Counts a snapshot put of the client, and 0; or -HF_E_LIMIT when it has
 * made its snapshots_per_hour already (0: no limit). Counted when asked,
 * so that concurrent puts cannot slip past the limit together. */
static int take_snapshot_slot(struct hf_server *s, const struct hf_client *c)
{
	struct snapshot_rate *rt = NULL;
	int64_t now = now_ns();
	size_t kept = 0;
	int r = 0;

	if (c->snapshots_per_hour == 0)
		return 0;
	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; i < s->nrates && !rt; i++)
		if (strcmp(s->rates[i].client, c->name) == 0)
			rt = &s->rates[i];
	if (!rt) {
		s->rates = hf_xreallocarray(s->rates, s->nrates + 1, sizeof(*s->rates));
		rt = &s->rates[s->nrates++];
		memset(rt, 0, sizeof(*rt));
		snprintf(rt->client, sizeof(rt->client), "%s", c->name);
	}
	for (size_t i = 0; i < rt->n; i++)
		if (now - rt->times[i] < HOUR_NS)
			rt->times[kept++] = rt->times[i];
	rt->n = kept;
	if (rt->n >= c->snapshots_per_hour) {
		r = -HF_E_LIMIT;
	} else {
		rt->times = hf_xreallocarray(rt->times, rt->n + 1, sizeof(*rt->times));
		rt->times[rt->n++] = now;
	}
	pthread_mutex_unlock(&s->lock);
	return r;
}

static int refuse_flood(struct hf_response *resp)
{
	return fail(resp, 429, "rate", "more snapshots this hour than this client may write");
}

/* ---- requests ------------------------------------------------------------------------ */

struct route {
	char repo[HF_CLIENT_NAME_MAX + 1];
	int kind;   /* -1: none */
	char *name; /* NULL: none; points into the split path */
	int uploads, list, challenge, tag_key;
	char buf[512];
};

/* /v1/R, /v1/R/K/, /v1/R/K/N, /v1/R/uploads, /v1/R/uploads/U, /v1/R/challenge,
 * /v1/R/tag-key; 0 or -HF_E_NOTFOUND */
static int parse_path(const char *path, struct route *rt)
{
	char *seg[5], *p;
	size_t n = 0, len = strlen(path);

	memset(rt, 0, sizeof(*rt));
	rt->kind = -1;
	if (len >= sizeof(rt->buf) || strncmp(path, "/v1/", 4) != 0)
		return -HF_E_NOTFOUND;
	memcpy(rt->buf, path + 4, len - 3);
	for (p = rt->buf; n < 5;) {
		seg[n++] = p;
		p = strchr(p, '/');
		if (!p)
			break;
		*p++ = '\0';
	}
	if (p || !hf_server_name_ok(seg[0]))
		return -HF_E_NOTFOUND;
	snprintf(rt->repo, sizeof(rt->repo), "%s", seg[0]);
	if (n == 1)
		return 0;
	if (strcmp(seg[1], "challenge") == 0 || strcmp(seg[1], "tag-key") == 0) {
		rt->challenge = seg[1][0] == 'c';
		rt->tag_key = !rt->challenge;
		return n == 2 ? 0 : -HF_E_NOTFOUND;
	}
	if (strcmp(seg[1], "uploads") == 0) {
		rt->uploads = 1;
		if (n == 3 && strlen(seg[2]) == 32 && hf_store_name_ok(HF_OBJ_KEY, seg[2]))
			rt->name = seg[2];
		return n <= 3 && (n == 2 || rt->name) ? 0 : -HF_E_NOTFOUND;
	}
	rt->kind = hf_store_kind_parse(seg[1]);
	if (rt->kind < 0 || n != 3)
		return -HF_E_NOTFOUND;
	if (seg[2][0] == '\0') {
		rt->list = 1;
		return 0;
	}
	rt->name = seg[2];
	return hf_store_name_ok(rt->kind, rt->name) ? 0 : -HF_E_NOTFOUND;
}

/* the value of key in a query "a=1&b=2", copied into out; NULL if absent */
static const char *query_get(const char *query, const char *key, char *out, size_t cap)
{
	size_t klen = strlen(key);

	for (const char *p = query; p && *p;) {
		const char *end = strchr(p, '&');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (len > klen && strncmp(p, key, klen) == 0 && p[klen] == '=' && len - klen - 1 < cap) {
			memcpy(out, p + klen + 1, len - klen - 1);
			out[len - klen - 1] = '\0';
			return out;
		}
		p = end ? end + 1 : NULL;
	}
	return NULL;
}

struct listing {
	struct hf_response *resp;
	const struct repo_entry *e;
	int kind;
	const struct hf_client *asker;
};

/* Whether a backup client is shown an index object: only its own and an
 * admin's (prune's). A client deduplicates against the index objects it
 * lists; one that trusted another backup client's could be told blobs
 * exist that do not (cross-client dedup poisoning) and leave them out of
 * its snapshots. */
static int index_trusted(const struct hf_client *asker, const struct hf_receipt *rc)
{
	return asker->role != HF_ROLE_BACKUP || rc->role == HF_ROLE_ADMIN || strcmp(rc->client, asker->name) == 0;
}

/* "<name> <size> <arrival ns> <sender>\n", the sender "-" when unknown. A
 * pack's line has arrival 0 and no sender: there are millions, and readers
 * ask for one pack's arrival when they need it (HEAD). */
static int list_one(void *arg, const char *name, uint64_t size)
{
	struct listing *l = arg;
	struct hf_receipt rc = {0};

	if (l->kind != HF_OBJ_PACK)
		object_origin(l->e, l->kind, name, &rc);
	if (l->kind == HF_OBJ_INDEX && !index_trusted(l->asker, &rc))
		return 0;
	/* a listing that cannot be complete fails: a short one would tell a
	 * client that objects are missing */
	return put_text(l->resp, "%s %" PRIu64 " %" PRId64 " %s\n", name, size, rc.arrival_ns,
			rc.client[0] ? rc.client : "-");
}

/* decimal digits at *p (at least one, no sign), advancing *p; -1 if none or too big */
static int digits(const char **p, uint64_t *out)
{
	uint64_t v = 0;
	const char *q = *p;

	if (*q < '0' || *q > '9')
		return -1;
	for (; *q >= '0' && *q <= '9'; q++) {
		if (v > (UINT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*q - '0');
	}
	*p = q;
	*out = v;
	return 0;
}

/* "bytes=a-b" or "bytes=a-" within total: 0, or -1 if not one range of it */
static int parse_range(const char *h, uint64_t total, uint64_t *off, uint64_t *len)
{
	const char *p = h + 6;
	uint64_t a, b = total ? total - 1 : 0;

	if (strncmp(h, "bytes=", 6) != 0 || digits(&p, &a) < 0 || *p++ != '-')
		return -1;
	if (*p && digits(&p, &b) < 0)
		return -1;
	if (*p || a >= total || b < a)
		return -1;
	if (b >= total)
		b = total - 1;
	*off = a;
	*len = b - a + 1;
	return 0;
}

/* 1 if the request reads only the id-list tail of an index object (what a
 * backup client may read to deduplicate: hf_shape_idlist_start) */
static int reads_idlist_only(const struct repo_entry *e, const struct route *rt, const struct hf_request *rq)
{
	uint8_t len[4];
	uint64_t size, off, n, start;

	return rt->kind == HF_OBJ_INDEX && rq->range && hf_store_size(e->store, rt->kind, rt->name, &size) == 0 &&
	       size >= HF_SHAPE_IDLIST_LEN_FROM_END && parse_range(rq->range, size, &off, &n) == 0 &&
	       hf_store_get_range(e->store, rt->kind, rt->name, size - HF_SHAPE_IDLIST_LEN_FROM_END, 4, len) == 0 &&
	       hf_shape_idlist_start(size, len, &start) == 0 && off >= start;
}

static int get_object(const struct repo_entry *e, const struct route *rt, const struct hf_request *rq,
		      struct hf_response *resp, int head)
{
	uint64_t size, off = 0, len;
	struct hf_receipt rc;
	int r = hf_store_size(e->store, rt->kind, rt->name, &size);

	if (r < 0)
		return fail_err(resp, r);
	object_origin(e, rt->kind, rt->name, &rc);
	resp->arrival_ns = rc.arrival_ns;
	snprintf(resp->sender, sizeof(resp->sender), "%s", rc.client);
	len = size;
	if (rq->range && parse_range(rq->range, size, &off, &len) < 0)
		return fail(resp, 416, "range", "one range inside the object, bytes=a-b");
	resp->status = rq->range ? 206 : 200;
	resp->content_type = "application/octet-stream";
	resp->offset = off;
	resp->length = len;
	resp->total = size;
	if (!head) {
		r = hf_store_reader_open(e->store, rt->kind, rt->name, &resp->reader);
		if (r < 0)
			return fail_err(resp, r);
	}
	return 0;
}

static struct upload *find_upload(struct hf_server *s, const char *id, const char *client, const char *repo)
{
	for (size_t i = 0; i < s->nuploads; i++)
		if (strcmp(s->uploads[i]->id, id) == 0 && strcmp(s->uploads[i]->client, client) == 0 &&
		    strcmp(s->uploads[i]->repo, repo) == 0)
			return s->uploads[i];
	return NULL;
}

static void drop_upload(struct hf_server *s, struct upload *u) /* under s->lock */
{
	for (size_t i = 0; i < s->nuploads; i++)
		if (s->uploads[i] == u) {
			s->uploads[i] = s->uploads[--s->nuploads];
			break;
		}
	rx_abort(&u->rx);
	free(u);
}

static int start_upload(struct hf_server *s, const struct hf_client *c, const struct repo_entry *e, int kind,
			struct hf_response *resp)
{
	struct upload *u;
	uint8_t rnd[16];
	size_t mine = 0;
	int64_t now = now_ns();
	int r;

	pthread_mutex_lock(&s->lock);
	for (size_t i = s->nuploads; i-- > 0;)
		if (!s->uploads[i]->busy && now - s->uploads[i]->touched_ns > UPLOAD_IDLE_NS)
			drop_upload(s, s->uploads[i]);
	for (size_t i = 0; i < s->nuploads; i++)
		mine += strcmp(s->uploads[i]->client, c->name) == 0;
	pthread_mutex_unlock(&s->lock);
	if (mine >= UPLOADS_PER_CLIENT)
		return fail(resp, 429, "busy", "too many uploads open: commit or abort one first");
	u = hf_xcalloc(1, sizeof(*u));
	hf_random(rnd, sizeof(rnd));
	hf_hex_encode(rnd, sizeof(rnd), u->id);
	snprintf(u->client, sizeof(u->client), "%s", c->name);
	snprintf(u->repo, sizeof(u->repo), "%s", e->name);
	u->touched_ns = now;
	r = rx_start(&u->rx, e, kind);
	if (r < 0) {
		rx_abort(&u->rx);
		free(u);
		return fail_start(resp, r);
	}
	pthread_mutex_lock(&s->lock);
	s->uploads = hf_xreallocarray(s->uploads, s->nuploads + 1, sizeof(*s->uploads));
	s->uploads[s->nuploads++] = u;
	pthread_mutex_unlock(&s->lock);
	resp->status = 201;
	put_text(resp, "{\"upload\": \"%s\", \"max_bytes\": %" PRIu64 "}\n", u->id, u->rx.limit);
	return 0;
}

/* POST /v1/R/uploads/U?name=N, DELETE /v1/R/uploads/U */
static int finish_upload(struct hf_server *s, const struct hf_client *c, const struct route *rt,
			 const struct hf_request *rq, struct hf_response *resp)
{
	char name[HF_STORE_NAME_MAX + 1];
	struct upload *u;

	pthread_mutex_lock(&s->lock);
	u = find_upload(s, rt->name, c->name, rt->repo);
	if (u && u->busy)
		u = NULL;
	if (u)
		u->busy = 1;
	pthread_mutex_unlock(&s->lock);
	if (!u)
		return fail(resp, 404, "not_found", "no such upload (it may have been idle too long)");
	if (strcmp(rq->method, "DELETE") == 0) {
		resp->status = 204;
	} else if (!query_get(rq->query, "name", name, sizeof(name)) || !hf_store_name_ok(u->rx.kind, name)) {
		pthread_mutex_lock(&s->lock);
		u->busy = 0;
		pthread_mutex_unlock(&s->lock);
		return fail(resp, 400, "malformed", "name=N is needed, a valid object name");
	} else {
		commit_and_answer(s, &u->rx, name, c->name, c->role, rq->peer, resp);
	}
	pthread_mutex_lock(&s->lock);
	drop_upload(s, u);
	pthread_mutex_unlock(&s->lock);
	return 0;
}

/* ---- deletion: a challenge, the full key's signature, the lock --------------- */

#define CHALLENGES_PER_CLIENT 8

/* a new nonce for the client to sign deletions in the repository against;
 * a client holding its most challenges gets its oldest one replaced */
static int issue_challenge(struct hf_server *s, const struct hf_client *c, const char *repo, struct hf_response *resp)
{
	struct challenge *slot = NULL, *oldest = NULL;
	char hex[2 * HF_DELETE_NONCE_LEN + 1];
	int64_t now = now_ns();
	size_t mine = 0;

	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; i < CHALLENGES_MAX; i++) {
		struct challenge *ch = &s->challenges[i];
		if (ch->expires_ns <= now) {
			if (!slot)
				slot = ch;
		} else if (strcmp(ch->client, c->name) == 0) {
			mine++;
			if (!oldest || ch->expires_ns < oldest->expires_ns)
				oldest = ch;
		}
	}
	if (mine >= CHALLENGES_PER_CLIENT)
		slot = oldest;
	if (slot) {
		memset(slot, 0, sizeof(*slot));
		hf_random(slot->nonce, HF_DELETE_NONCE_LEN);
		snprintf(slot->client, sizeof(slot->client), "%s", c->name);
		snprintf(slot->repo, sizeof(slot->repo), "%s", repo);
		slot->expires_ns = now + CHALLENGE_NS;
		hf_hex_encode(slot->nonce, HF_DELETE_NONCE_LEN, hex);
	}
	pthread_mutex_unlock(&s->lock);
	if (!slot)
		return fail(resp, 503, "busy", "too many deletion challenges open: try again later");
	resp->status = 201;
	return put_text(resp, "{\"nonce\": \"%s\", \"valid_ns\": %lld}\n", hex, CHALLENGE_NS);
}

/* "<32 hex nonce>.<counter>.<128 hex signature>"; 0 or -1 */
static int parse_signature(const char *h, uint8_t nonce[HF_DELETE_NONCE_LEN], uint64_t *counter,
			   uint8_t sig[HF_SIGN_LEN])
{
	char hex[2 * HF_SIGN_LEN + 1];
	const char *p = h + 2 * HF_DELETE_NONCE_LEN;

	if (strlen(h) < 2 * HF_DELETE_NONCE_LEN + 1 || *p != '.')
		return -1;
	memcpy(hex, h, 2 * HF_DELETE_NONCE_LEN);
	hex[2 * HF_DELETE_NONCE_LEN] = '\0';
	if (hf_hex_decode(hex, nonce, HF_DELETE_NONCE_LEN) < 0)
		return -1;
	p++;
	if (digits(&p, counter) < 0 || *p++ != '.' || strlen(p) != 2 * HF_SIGN_LEN)
		return -1;
	return hf_hex_decode(p, sig, HF_SIGN_LEN) < 0 ? -1 : 0;
}

/* takes counter for the client's challenge nonce: 0, 1 if there is no such
 * challenge (or it expired), 2 if the counter was used */
static int take_counter(struct hf_server *s, const char *client, const char *repo,
			const uint8_t nonce[HF_DELETE_NONCE_LEN], uint64_t counter)
{
	int64_t now = now_ns();
	int r = 1;

	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; i < CHALLENGES_MAX && r == 1; i++) {
		struct challenge *ch = &s->challenges[i];
		if (ch->expires_ns > now && memcmp(ch->nonce, nonce, HF_DELETE_NONCE_LEN) == 0 &&
		    strcmp(ch->client, client) == 0 && strcmp(ch->repo, repo) == 0) {
			r = counter > ch->last_counter ? 0 : 2;
			if (r == 0)
				ch->last_counter = counter;
		}
	}
	pthread_mutex_unlock(&s->lock);
	return r;
}

/* DELETE /v1/R/K/N: only with the full key's signature over this object
 * and a live challenge of this client, and only once the object's lock
 * (its arrival by its receipt plus --lock-days) has passed */
static int delete_object(struct hf_server *s, const struct hf_client *c, const struct repo_entry *e,
			 const struct route *rt, const struct hf_request *rq, struct hf_response *resp)
{
	uint8_t nonce[HF_DELETE_NONCE_LEN], sig[HF_SIGN_LEN], msg[HF_DELETE_MSG_MAX];
	char detail[300];
	struct hf_receipt rc;
	uint64_t counter, size;
	size_t n;
	int r;

	if (!rq->signature || parse_signature(rq->signature, nonce, &counter, sig) < 0)
		return fail(resp, 403, "signature", "a deletion needs the full key's signature (Holdfast-Auth)");
	if (!e->pack_size)
		return fail(resp, 404, "not_found", "the repository has no config yet");
	n = hf_store_delete_message(rt->repo, rt->kind, rt->name, nonce, counter, msg);
	if (hf_sign_verify(e->delete_key, msg, n, sig) < 0)
		return fail(resp, 403, "signature", "not signed by the repository's deletion key (a full key file's)");
	r = take_counter(s, c->name, rt->repo, nonce, counter);
	if (r == 1)
		return fail(resp, 403, "challenge", "no such challenge, or it expired: ask for a new one");
	if (r == 2)
		return fail(resp, 403, "replay", "this signature was used already");
	r = hf_store_size(e->store, rt->kind, rt->name, &size);
	if (r < 0)
		return fail_err(resp, r);
	object_origin(e, rt->kind, rt->name, &rc);
	if (s->lock_ns && rc.arrival_ns > now_ns() - s->lock_ns) {
		resp->unlock_ns = rc.arrival_ns + s->lock_ns;
		return fail(resp, 423, "locked", "younger than the server's lock (serve --lock-days): kept");
	}
	r = hf_store_remove(e->store, rt->kind, rt->name);
	if (r < 0)
		return fail_err(resp, r);
	r = hf_store_remove(e->receipts, rt->kind, rt->name);
	if (rc.client[0])
		hf_quota_count(s->quota, rc.client, -1, rc.size);
	snprintf(detail, sizeof(detail), "%s/%s/%s by %s, sent by %s at %" PRId64, rt->repo,
		 hf_store_kind_name(rt->kind), rt->name, c->name, rc.client[0] ? rc.client : "?", rc.arrival_ns);
	hf_server_log(s, r < 0 && r != -HF_E_NOTFOUND ? "removed_receipt_kept" : "removed", detail);
	resp->status = 204;
	return 0;
}

/* ---- the tag key: untagged objects refused at the door ------------------------ */

struct tag_probe {
	const struct repo_entry *e;
	const uint8_t *key;
	int kind;
	size_t tried, fit;
};

/* does key tag this object? a few objects of each kind are enough */
static int probe_one(void *arg, const char *name, uint64_t size)
{
	struct tag_probe *tp = arg;
	uint8_t tag[TAG_LEN];
	struct hf_buf b;

	if (size < 8 + TAG_LEN || size > (4u << 20))
		return 0;
	hf_buf_init(&b, 4u << 20);
	if (hf_store_get(tp->e->store, tp->kind, name, &b) == 0) {
		hf_mac(tp->key, b.data, b.len - TAG_LEN, tag);
		tp->fit += hf_ct_equal(tag, b.data + b.len - TAG_LEN, TAG_LEN);
		tp->tried++;
	}
	hf_buf_release(&b);
	return tp->tried >= 3 ? 1 : 0;
}

/* POST /v1/R/tag-key: taken once, if it tags an object already there (or
 * there is none yet): a wrong key would lock the repository's own
 * clients out */
static int take_tag_key(struct hf_server *s, struct repo_entry *e, const char *hex, struct hf_response *resp)
{
	uint8_t key[HF_KEY_LEN];
	char path[4096], tmp[4200], line[2 * HF_KEY_LEN + 2];
	struct tag_probe tp = {e, key, HF_OBJ_SNAPSHOT, 0, 0};
	size_t tried = 0;
	int fd, r = 0;

	if (!hex || strlen(hex) != 2 * HF_KEY_LEN || hf_hex_decode(hex, key, HF_KEY_LEN) < 0)
		return fail(resp, 400, "malformed", "Holdfast-Tag-Key: 64 hex digits");
	if (e->has_tag_key)
		return fail_err(resp, -HF_E_EXISTS);
	for (int kind = HF_OBJ_SNAPSHOT; kind <= HF_OBJ_MARK && tp.fit == 0; kind++) {
		tp.kind = kind;
		tp.tried = 0;
		if (kind != HF_OBJ_PACK && hf_store_list(e->store, kind, probe_one, &tp) < 0)
			r = -EIO;
		tried += tp.tried;
	}
	if (r < 0 || (tried && !tp.fit)) {
		hf_wipe(key, sizeof(key));
		return fail(resp, 422, "mismatch", "this key tags none of the repository's objects");
	}
	tag_key_path(s, e->name, path, sizeof(path));
	snprintf(tmp, sizeof(tmp), "%s.tmp%d", path, (int)getpid());
	hf_hex_encode(key, HF_KEY_LEN, line);
	line[2 * HF_KEY_LEN] = '\n';
	line[2 * HF_KEY_LEN + 1] = '\0';
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, line, strlen(line)) != (ssize_t)strlen(line) || fsync(fd) < 0)
		r = -errno;
	if (fd >= 0)
		close(fd);
	if (r == 0 && link(tmp, path) < 0)
		r = errno == EEXIST ? -HF_E_EXISTS : -errno;
	unlink(tmp);
	hf_wipe(line, sizeof(line));
	if (r == 0) {
		pthread_mutex_lock(&s->lock);
		for (size_t i = 0; i < s->nrepos; i++)
			if (strcmp(s->repos[i].name, e->name) == 0) {
				memcpy(s->repos[i].tag_key, key, HF_KEY_LEN);
				s->repos[i].has_tag_key = 1;
			}
		pthread_mutex_unlock(&s->lock);
		hf_server_log(s, "tag_key", e->name);
	}
	hf_wipe(key, sizeof(key));
	if (r < 0)
		return fail_err(resp, r);
	resp->status = 201;
	return 0;
}

static int method_is(const struct hf_request *rq, const char *m)
{
	return strcmp(rq->method, m) == 0;
}

/* the operation a request is, for the role table; 0 if none */
static int op_of(const struct hf_request *rq, const struct route *rt)
{
	if (!rt->uploads && rt->kind >= 0) {
		if (rt->list)
			return method_is(rq, "GET") ? HF_OP_LIST : 0;
		if (method_is(rq, "GET"))
			return HF_OP_GET;
		if (method_is(rq, "HEAD"))
			return HF_OP_HEAD;
		if (method_is(rq, "PUT"))
			return HF_OP_PUT;
		if (method_is(rq, "DELETE"))
			return HF_OP_DELETE;
	}
	return 0;
}

int hf_server_begin(struct hf_server *s, const struct hf_request *rq, struct hf_call **call, struct hf_response *resp)
{
	struct hf_client c;
	struct repo_entry e;
	struct route rt;
	char kindbuf[16];
	int r, op;

	*call = NULL;
	if (authenticate(s, rq->authorization, &c) < 0) {
		fail(resp, 401, "auth", "the server does not know this token");
		goto done;
	}
	snprintf(resp->client, sizeof(resp->client), "%s", c.name);
	if (strcmp(rq->path, "/v1/hello") == 0 && method_is(rq, "GET")) {
		resp->status = 200;
		put_text(resp, "{\"api\": 1, \"client\": \"%s\", \"role\": \"%s\", \"now_ns\": %" PRId64 "}\n", c.name,
			 hf_role_name(c.role), now_ns());
		goto done;
	}
	if (parse_path(rq->path, &rt) < 0) {
		fail(resp, 404, "not_found", "no such path");
		goto done;
	}
	if (!hf_client_has_repo(&c, rt.repo)) {
		fail(resp, 403, "role", "this client may not use this repository");
		goto done;
	}
	if (rt.kind < 0 && !rt.uploads && !rt.challenge && !rt.tag_key) { /* the repository itself */
		if (method_is(rq, "POST")) {
			if (hf_policy_check(c.role, HF_OP_CREATE, HF_OBJ_CONFIG) < 0) {
				fail(resp, 403, "role", "only an admin creates repositories");
				goto done;
			}
			r = repo_store(s, rt.repo, 1, &e);
			if (r < 0) {
				fail_err(resp, r);
			} else {
				resp->status = 201;
				put_text(resp, "{\"object_lock\": %s}\n", s->can_lock ? "true" : "false");
			}
		} else if (method_is(rq, "GET")) {
			r = repo_store(s, rt.repo, 0, &e);
			if (r < 0) {
				fail(resp, 404, "not_found", "no such repository");
			} else {
				resp->status = 200;
				put_text(resp,
					 "{\"now_ns\": %" PRId64 ", \"has_config\": %s, \"role\": \"%s\", "
					 "\"lock_ns\": %" PRId64 ", \"tag_key\": %s, \"object_lock\": %s}\n",
					 now_ns(), e.pack_size ? "true" : "false", hf_role_name(c.role), s->lock_ns,
					 e.has_tag_key ? "true" : "false", s->can_lock ? "true" : "false");
			}
		} else {
			fail(resp, 405, "method", "GET or POST");
		}
		goto done;
	}
	r = repo_store(s, rt.repo, 0, &e);
	if (r < 0) {
		fail(resp, 404, "not_found", "no such repository");
		goto done;
	}
	if (rt.tag_key) {
		if (!method_is(rq, "POST"))
			fail(resp, 405, "method", "POST");
		else if (hf_policy_check(c.role, HF_OP_CREATE, HF_OBJ_CONFIG) < 0)
			fail(resp, 403, "role", "only an admin gives the tag key");
		else
			take_tag_key(s, &e, rq->tag_key, resp);
		goto done;
	}
	if (rt.challenge) {
		if (!method_is(rq, "POST"))
			fail(resp, 405, "method", "POST");
		else if (hf_policy_check(c.role, HF_OP_DELETE, HF_OBJ_PACK) < 0)
			fail(resp, 403, "role", "only an admin deletes");
		else
			issue_challenge(s, &c, rt.repo, resp);
		goto done;
	}
	if (rt.uploads) {
		if (!rt.name && method_is(rq, "POST")) {
			int kind = query_get(rq->query, "kind", kindbuf, sizeof(kindbuf)) ? hf_store_kind_parse(kindbuf)
											  : -1;
			if (kind < 0)
				fail(resp, 400, "malformed", "kind=K is needed, a kind name");
			else if (hf_policy_check(c.role, HF_OP_PUT, kind) < 0)
				fail(resp, 403, "role", "this client may not add objects of this kind");
			else if (kind == HF_OBJ_SNAPSHOT && take_snapshot_slot(s, &c) < 0)
				refuse_flood(resp);
			else
				start_upload(s, &c, &e, kind, resp);
		} else if (rt.name && method_is(rq, "PUT")) {
			struct hf_call *k = hf_xcalloc(1, sizeof(*k));
			pthread_mutex_lock(&s->lock);
			k->up = find_upload(s, rt.name, c.name, rt.repo);
			if (k->up && !k->up->busy)
				k->up->busy = 1;
			else
				k->up = NULL;
			pthread_mutex_unlock(&s->lock);
			if (!k->up) {
				free(k);
				fail(resp, 404, "not_found", "no such upload, or one already being written");
				goto done;
			}
			k->s = s;
			k->mode = CALL_APPEND;
			k->expect = rq->content_length;
			*call = k;
		} else if (rt.name && (method_is(rq, "POST") || method_is(rq, "DELETE"))) {
			finish_upload(s, &c, &rt, rq, resp);
		} else {
			fail(resp, 405, "method", "POST, PUT or DELETE");
		}
		goto done;
	}
	op = op_of(rq, &rt);
	if (op == 0) {
		fail(resp, 405, "method", "GET, HEAD or PUT");
		goto done;
	}
	if (hf_policy_check(c.role, op, rt.kind) < 0 &&
	    !(op == HF_OP_GET && hf_policy_check(c.role, HF_OP_GET_IDLIST, rt.kind) == 0 &&
	      reads_idlist_only(&e, &rt, rq))) {
		fail(resp, 403, "role", "this client's role may not do that");
		goto done;
	}
	switch (op) {
	case HF_OP_LIST: {
		struct listing l = {resp, &e, rt.kind, &c};
		resp->content_type = "text/plain";
		r = hf_store_list(e.store, rt.kind, list_one, &l);
		if (r < 0)
			fail_err(resp, r);
		else
			resp->status = 200;
		break;
	}
	case HF_OP_GET:
	case HF_OP_HEAD:
		get_object(&e, &rt, rq, resp, op == HF_OP_HEAD);
		break;
	case HF_OP_DELETE:
		delete_object(s, &c, &e, &rt, rq, resp);
		break;
	case HF_OP_PUT: {
		uint64_t size;
		struct hf_call *k;
		if (rq->content_length < 0) {
			fail(resp, 411, "length", "Content-Length is needed");
			break;
		}
		if ((uint64_t)rq->content_length >
		    hf_shape_max_size(rt.kind, e.pack_size ? e.pack_size : DEFAULT_PACK_SIZE)) {
			fail(resp, 413, "too_large", "larger than any object of this kind");
			break;
		}
		if (hf_store_size(e.store, rt.kind, rt.name, &size) == 0) {
			fail_err(resp, -HF_E_EXISTS); /* before a byte of the body is read */
			break;
		}
		r = hf_quota_check(s->quota, &c, (uint64_t)rq->content_length, 1);
		if (r < 0) {
			fail_err(resp, r); /* before the body too */
			break;
		}
		if (rt.kind == HF_OBJ_SNAPSHOT && take_snapshot_slot(s, &c) < 0) {
			refuse_flood(resp);
			break;
		}
		k = hf_xcalloc(1, sizeof(*k));
		k->s = s;
		k->mode = CALL_PUT;
		k->expect = rq->content_length;
		snprintf(k->name, sizeof(k->name), "%s", rt.name);
		r = rx_start(&k->rx, &e, rt.kind);
		if (r < 0) {
			hf_server_call_free(k);
			fail_start(resp, r);
			break;
		}
		*call = k;
		break;
	}
	}
done:
	if (*call) {
		snprintf((*call)->client, sizeof((*call)->client), "%s", c.name);
		(*call)->role = c.role;
		(*call)->quota_bytes = c.quota_bytes;
		(*call)->quota_objects = c.quota_objects;
		(*call)->method = rq->method;
		(*call)->path = rq->path;
		(*call)->peer = rq->peer;
		return 1;
	}
	if (resp->status >= 400 || method_is(rq, "POST"))
		log_request(s, resp->client, rq->peer, rq->method, rq->path, resp->status);
	return 0;
}

int hf_server_body(struct hf_call *c, const void *p, size_t n, struct hf_response *resp)
{
	struct receiving *rx = c->mode == CALL_PUT ? &c->rx : &c->up->rx;
	int r;

	if (c->expect >= 0 && c->got + n > (uint64_t)c->expect) {
		fail(resp, 400, "malformed", "more bytes than Content-Length");
		return -1;
	}
	if (c->quota_bytes || c->quota_objects) { /* an upload's bytes count as they arrive */
		struct hf_client who = {.quota_bytes = c->quota_bytes, .quota_objects = c->quota_objects};
		snprintf(who.name, sizeof(who.name), "%s", c->client);
		r = hf_quota_check(c->s->quota, &who, rx->got + n, 1);
		if (r < 0) {
			fail_err(resp, r);
			return -1;
		}
	}
	r = rx_write(rx, p, n);
	c->got += n;
	if (r < 0) {
		fail_err(resp, r);
		return -1;
	}
	return 0;
}

void hf_server_end(struct hf_call *c, struct hf_response *resp)
{
	if (c->expect >= 0 && c->got != (uint64_t)c->expect) {
		fail(resp, 400, "malformed", "fewer bytes than Content-Length");
	} else if (c->mode == CALL_APPEND) {
		resp->status = 204;
	} else {
		commit_and_answer(c->s, &c->rx, c->name, c->client, c->role, c->peer, resp);
	}
	log_request(c->s, c->client, c->peer, c->method, c->path, resp->status);
}

void hf_server_call_free(struct hf_call *c)
{
	if (!c)
		return;
	if (c->mode == CALL_APPEND) {
		pthread_mutex_lock(&c->s->lock);
		c->up->busy = 0;
		c->up->touched_ns = now_ns();
		pthread_mutex_unlock(&c->s->lock);
	} else {
		rx_abort(&c->rx);
	}
	free(c);
}
