/* server.c — request handling of the repository server (server.h):
 * opening it, its clients and repositories, answers and the log, and the
 * dispatch of each request to server_receive.c, server_read.c and
 * server_delete.c (server_int.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "repo/repo_internal.h" /* hf_config_decode: the server reads the config's lock */
#include "server/policy.h"
#include "server/registry.h"
#include "server/server_int.h"
#include "util/hex.h"
#include "util/mem.h"

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

int64_t server_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* appends to the answer's body; -HF_E_LIMIT (and nothing appended) when it is full */
int server_put_text(struct hf_response *r, const char *fmt, ...)
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
int server_fail(struct hf_response *r, int status, const char *code, const char *message)
{
	hf_store_reader_close(r->reader);
	r->reader = NULL;
	r->status = status;
	r->error = code;
	r->content_type = "application/json";
	r->body.len = 0;
	server_put_text(r, "{\"error\": \"%s\", \"message\": \"%s\"}\n", code, message);
	return 0;
}

/* the answer for a store or library error */
int server_fail_err(struct hf_response *r, int err)
{
	switch (err) {
	case -HF_E_EXISTS:
		return server_fail(r, 409, "exists", "an object of that name exists: objects are never replaced");
	case -HF_E_NOTFOUND:
		return server_fail(r, 404, "not_found", "no such object");
	case -HF_E_LIMIT:
		return server_fail(r, 413, "too_large", "larger than any object of this kind");
	case -HF_E_CORRUPT:
	case -HF_E_VERSION:
		return server_fail(r, 422, "malformed", "not the shape of an object of this kind");
	case -ENOSPC:
		return server_fail(r, 507, "full", "the server's disk is full");
	case -EDQUOT:
		return server_fail(r, 507, "quota", "this client's quota is used up");
	case -HF_E_LOCKED:
		return server_fail(r, 423, "locked", "under the store's retention lock (S3 Object Lock): kept");
	case -HF_E_UNAVAILABLE:
		return server_fail(r, 503, "unavailable", "the server's backing store is unavailable: try again later");
	}
	return server_fail(r, 500, "internal", hf_strerror(err));
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
		  server_now_ns(), client ? client : "", peer ? peer : "", method, (int)strcspn(path, "\"\\\n"), path,
		  status);
}

void hf_server_log(struct hf_server *s, const char *event, const char *detail)
{
	log_write(s, "{\"time_ns\": %" PRId64 ", \"event\": \"%s\", \"detail\": \"%.*s\"}\n", server_now_ns(), event,
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

void hf_server_close(struct hf_server *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nuploads; i++) {
		server_rx_abort(&s->uploads[i]->rx);
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
int server_set_lock(struct hf_store *st, struct hf_store *receipts, int mode, int64_t period_s)
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
		e->lock_failed = server_set_lock(e->store, e->receipts, c.lock_mode, c.lock_period_s) < 0;
	}
	hf_buf_release(&cfg);
}

void server_tag_key_path(const struct hf_server *s, const char *repo, char *out, size_t cap)
{
	snprintf(out, cap, "%s/tagkeys/%s", s->root, repo);
}

/* the repository's tag key, if an admin gave it (64 hex and a newline) */
static void read_tag_key(const struct hf_server *s, struct repo_entry *e)
{
	char path[4096], hex[2 * HF_KEY_LEN + 2] = "";
	FILE *f;

	server_tag_key_path(s, e->name, path, sizeof(path));
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
void server_object_origin(const struct repo_entry *e, int kind, const char *name, struct hf_receipt *rc)
{
	if (hf_receipt_get(e->receipts, kind, name, rc) == 0)
		return;
	memset(rc, 0, sizeof(*rc));
	if (hf_store_mtime(e->store, kind, name, &rc->arrival_ns) < 0)
		rc->arrival_ns = 0;
}

/* ---- requests ------------------------------------------------------------------------ */

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
		server_fail(resp, 401, "auth", "the server does not know this token");
		goto done;
	}
	snprintf(resp->client, sizeof(resp->client), "%s", c.name);
	if (strcmp(rq->path, "/v1/hello") == 0 && method_is(rq, "GET")) {
		resp->status = 200;
		server_put_text(resp, "{\"api\": 1, \"client\": \"%s\", \"role\": \"%s\", \"now_ns\": %" PRId64 "}\n",
				c.name, hf_role_name(c.role), server_now_ns());
		goto done;
	}
	if (server_parse_path(rq->path, &rt) < 0) {
		server_fail(resp, 404, "not_found", "no such path");
		goto done;
	}
	if (!hf_client_has_repo(&c, rt.repo)) {
		server_fail(resp, 403, "role", "this client may not use this repository");
		goto done;
	}
	if (rt.kind < 0 && !rt.uploads && !rt.challenge && !rt.tag_key) { /* the repository itself */
		if (method_is(rq, "POST")) {
			if (hf_policy_check(c.role, HF_OP_CREATE, HF_OBJ_CONFIG) < 0) {
				server_fail(resp, 403, "role", "only an admin creates repositories");
				goto done;
			}
			r = repo_store(s, rt.repo, 1, &e);
			if (r < 0) {
				server_fail_err(resp, r);
			} else {
				resp->status = 201;
				server_put_text(resp, "{\"object_lock\": %s}\n", s->can_lock ? "true" : "false");
			}
		} else if (method_is(rq, "GET")) {
			r = repo_store(s, rt.repo, 0, &e);
			if (r < 0) {
				server_fail(resp, 404, "not_found", "no such repository");
			} else {
				resp->status = 200;
				server_put_text(resp,
						"{\"now_ns\": %" PRId64 ", \"has_config\": %s, \"role\": \"%s\", "
						"\"lock_ns\": %" PRId64 ", \"tag_key\": %s, \"object_lock\": %s}\n",
						server_now_ns(), e.pack_size ? "true" : "false", hf_role_name(c.role),
						s->lock_ns, e.has_tag_key ? "true" : "false",
						s->can_lock ? "true" : "false");
			}
		} else {
			server_fail(resp, 405, "method", "GET or POST");
		}
		goto done;
	}
	r = repo_store(s, rt.repo, 0, &e);
	if (r < 0) {
		server_fail(resp, 404, "not_found", "no such repository");
		goto done;
	}
	if (rt.tag_key) {
		if (!method_is(rq, "POST"))
			server_fail(resp, 405, "method", "POST");
		else if (hf_policy_check(c.role, HF_OP_CREATE, HF_OBJ_CONFIG) < 0)
			server_fail(resp, 403, "role", "only an admin gives the tag key");
		else
			server_take_tag_key(s, &e, rq->tag_key, resp);
		goto done;
	}
	if (rt.challenge) {
		if (!method_is(rq, "POST"))
			server_fail(resp, 405, "method", "POST");
		else if (hf_policy_check(c.role, HF_OP_DELETE, HF_OBJ_PACK) < 0)
			server_fail(resp, 403, "role", "only an admin deletes");
		else
			server_issue_challenge(s, &c, rt.repo, resp);
		goto done;
	}
	if (rt.uploads) {
		if (!rt.name && method_is(rq, "POST")) {
			int kind = server_query_get(rq->query, "kind", kindbuf, sizeof(kindbuf))
					   ? hf_store_kind_parse(kindbuf)
					   : -1;
			if (kind < 0)
				server_fail(resp, 400, "malformed", "kind=K is needed, a kind name");
			else if (hf_policy_check(c.role, HF_OP_PUT, kind) < 0)
				server_fail(resp, 403, "role", "this client may not add objects of this kind");
			else if (kind == HF_OBJ_SNAPSHOT && server_take_snapshot_slot(s, &c) < 0)
				server_refuse_flood(resp);
			else
				server_start_upload(s, &c, &e, kind, resp);
		} else if (rt.name && method_is(rq, "PUT")) {
			struct hf_call *k = hf_xcalloc(1, sizeof(*k));
			pthread_mutex_lock(&s->lock);
			k->up = server_find_upload(s, rt.name, c.name, rt.repo);
			if (k->up && !k->up->busy)
				k->up->busy = 1;
			else
				k->up = NULL;
			pthread_mutex_unlock(&s->lock);
			if (!k->up) {
				free(k);
				server_fail(resp, 404, "not_found", "no such upload, or one already being written");
				goto done;
			}
			k->s = s;
			k->mode = CALL_APPEND;
			k->expect = rq->content_length;
			*call = k;
		} else if (rt.name && (method_is(rq, "POST") || method_is(rq, "DELETE"))) {
			server_finish_upload(s, &c, &rt, rq, resp);
		} else {
			server_fail(resp, 405, "method", "POST, PUT or DELETE");
		}
		goto done;
	}
	op = op_of(rq, &rt);
	if (op == 0) {
		server_fail(resp, 405, "method", "GET, HEAD or PUT");
		goto done;
	}
	if (hf_policy_check(c.role, op, rt.kind) < 0 &&
	    !(op == HF_OP_GET && hf_policy_check(c.role, HF_OP_GET_IDLIST, rt.kind) == 0 &&
	      server_reads_idlist_only(&e, &rt, rq))) {
		server_fail(resp, 403, "role", "this client's role may not do that");
		goto done;
	}
	switch (op) {
	case HF_OP_LIST: {
		struct listing l = {resp, &e, rt.kind, &c};
		resp->content_type = "text/plain";
		r = hf_store_list(e.store, rt.kind, server_list_one, &l);
		if (r < 0)
			server_fail_err(resp, r);
		else
			resp->status = 200;
		break;
	}
	case HF_OP_GET:
	case HF_OP_HEAD:
		server_get_object(&e, &rt, rq, resp, op == HF_OP_HEAD);
		break;
	case HF_OP_DELETE:
		server_delete_object(s, &c, &e, &rt, rq, resp);
		break;
	case HF_OP_PUT: {
		uint64_t size;
		struct hf_call *k;
		if (rq->content_length < 0) {
			server_fail(resp, 411, "length", "Content-Length is needed");
			break;
		}
		if ((uint64_t)rq->content_length >
		    hf_shape_max_size(rt.kind, e.pack_size ? e.pack_size : DEFAULT_PACK_SIZE)) {
			server_fail(resp, 413, "too_large", "larger than any object of this kind");
			break;
		}
		if (hf_store_size(e.store, rt.kind, rt.name, &size) == 0) {
			server_fail_err(resp, -HF_E_EXISTS); /* before a byte of the body is read */
			break;
		}
		r = hf_quota_check(s->quota, &c, (uint64_t)rq->content_length, 1);
		if (r < 0) {
			server_fail_err(resp, r); /* before the body too */
			break;
		}
		if (rt.kind == HF_OBJ_SNAPSHOT && server_take_snapshot_slot(s, &c) < 0) {
			server_refuse_flood(resp);
			break;
		}
		k = hf_xcalloc(1, sizeof(*k));
		k->s = s;
		k->mode = CALL_PUT;
		k->expect = rq->content_length;
		snprintf(k->name, sizeof(k->name), "%s", rt.name);
		r = server_rx_start(&k->rx, &e, rt.kind);
		if (r < 0) {
			hf_server_call_free(k);
			server_fail_start(resp, r);
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
		server_fail(resp, 400, "malformed", "more bytes than Content-Length");
		return -1;
	}
	if (c->quota_bytes || c->quota_objects) { /* an upload's bytes count as they arrive */
		struct hf_client who = {.quota_bytes = c->quota_bytes, .quota_objects = c->quota_objects};
		snprintf(who.name, sizeof(who.name), "%s", c->client);
		r = hf_quota_check(c->s->quota, &who, rx->got + n, 1);
		if (r < 0) {
			server_fail_err(resp, r);
			return -1;
		}
	}
	r = server_rx_write(rx, p, n);
	c->got += n;
	if (r < 0) {
		server_fail_err(resp, r);
		return -1;
	}
	return 0;
}

void hf_server_end(struct hf_call *c, struct hf_response *resp)
{
	if (c->expect >= 0 && c->got != (uint64_t)c->expect) {
		server_fail(resp, 400, "malformed", "fewer bytes than Content-Length");
	} else if (c->mode == CALL_APPEND) {
		resp->status = 204;
	} else {
		server_commit_and_answer(c->s, &c->rx, c->name, c->client, c->role, c->peer, resp);
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
		c->up->touched_ns = server_now_ns();
		pthread_mutex_unlock(&c->s->lock);
	} else {
		server_rx_abort(&c->rx);
	}
	free(c);
}
