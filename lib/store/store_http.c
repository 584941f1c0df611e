/* store_http.c — the store on a holdfast repository server (lib/server),
 * over HTTPS with libcurl; the only user of libcurl.
 *
 * URL: https://HOST[:PORT]/REPO[?pin=sha256//BASE64] (plain http: only to a
 * loopback address). Every request carries the client's token. The server
 * only adds: removal is refused (-HF_E_REFUSED, a state for the engine), and
 * its clock is its own (mtime is when an object arrived there). Streamed
 * writes go up as an upload in 1 MiB pieces and are named at commit; a
 * piece goes up on a thread of its own while the writer fills the next.
 * Connections are reused: a pool of easy handles sharing one connection and
 * TLS-session cache. Transport failures and 5xx answers are retried (0.2 s,
 * 1 s, 5 s) before they become -HF_E_UNAVAILABLE; a put whose first answer
 * was lost and whose retry finds the name taken has succeeded (the name is
 * the content's hash). */
#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/curl_pool.h"
#include "store/store.h"
#include "store/store_http.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/hex.h"
#include "util/mem.h"

#define PIECE (1u << 20) /* bytes of a streamed write sent per request */
#define LIST_MAX (1u << 30)
#define TRIES 4

struct http_store {
	struct hf_store base;
	char *url;  /* "https://host:port/v1/REPO" */
	char *auth; /* "Authorization: Bearer TOKEN" (wiped on close) */
	char *cacert, *pin;
	struct hf_curl_pool pool;
	char repo[64]; /* the repository's name on the server */
	int admin;     /* the token's role is admin: deletions can be signed */
	int tag_key;   /* the server checks tags already */
	int can_lock;  /* the server's own store locks objects (S3 Object Lock behind it) */
	/* deletions: the signer (a full key's), and the server's challenge
	 * they are signed against; one deletion at a time, so the counters
	 * reach the server in order */
	hf_store_sign_fn sign;
	void *sign_arg;
	pthread_mutex_t delete_lock;
	uint8_t nonce[HF_DELETE_NONCE_LEN];
	uint64_t counter;
	int64_t nonce_until; /* CLOCK_MONOTONIC ns; 0: no challenge */
};

struct http_writer {
	struct hf_store *store; /* first: the generic calls find the ops here */
	char upload[40];
	int kind;
	struct hf_buf piece; /* being filled */
	int failed;
	/* the piece before, going up on a thread of its own while the caller
	 * fills the next: one request of an upload at a time, in order */
	struct hf_buf sending;
	pthread_t sender;
	int in_flight;
	int send_err;
};

struct http_reader {
	struct hf_store *store; /* first */
	int kind;
	char name[HF_STORE_NAME_MAX + 1];
};

/* one exchange */
struct exchange {
	const char *method;
	char url[1024];
	const void *body;
	size_t nbody;
	const char *range;
	const char *extra; /* one more header line, or NULL */
	int head;
	/* the answer's body: into buf (growing, bounded) or into dest[0..cap) */
	struct hf_buf *buf;
	uint8_t *dest;
	size_t cap, got;
	int overflow;
	long status;
	int64_t arrival_ns;
	int quota; /* the server's Holdfast-Error says: a quota */
	int busy;  /* ... or: too many of this client's uploads at once (passes) */
	uint64_t length;
	int has_length;
};

static size_t on_body(char *p, size_t size, size_t nmemb, void *arg)
{
	struct exchange *x = arg;
	size_t n = size * nmemb;

	if (x->buf) {
		if (hf_buf_append(x->buf, p, n) < 0) {
			x->overflow = 1;
			return 0;
		}
	} else if (x->dest) {
		if (n > x->cap - x->got) {
			x->overflow = 1;
			return 0;
		}
		memcpy(x->dest + x->got, p, n);
	}
	x->got += n;
	return n;
}

static size_t on_header(char *p, size_t size, size_t nmemb, void *arg)
{
	struct exchange *x = arg;
	size_t n = size * nmemb;
	char line[128];
	long long v;

	if (n < sizeof(line)) {
		memcpy(line, p, n);
		line[n] = '\0';
		if (sscanf(line, "Holdfast-Arrival: %lld", &v) == 1)
			x->arrival_ns = v;
		else if (strncmp(line, "Holdfast-Error: quota", 21) == 0)
			x->quota = 1;
		else if (strncmp(line, "Holdfast-Error: busy", 20) == 0)
			x->busy = 1;
		else if ((sscanf(line, "Content-Length: %lld", &v) == 1 ||
			  sscanf(line, "content-length: %lld", &v) == 1) &&
			 v >= 0) {
			x->length = (uint64_t)v;
			x->has_length = 1;
			if (x->buf) /* the body in one allocation, not grown by doubling */
				hf_buf_expect(x->buf, (size_t)v);
		}
	}
	return n;
}

/* the answer's status as an error */
static int status_err(long status)
{
	if (status >= 200 && status < 300)
		return 0;
	switch (status) {
	case 400:
		return -HF_E_USAGE;
	case 401:
	case 403:
	case 405:
		return -HF_E_REFUSED;
	case 404:
		return -HF_E_NOTFOUND;
	case 409:
		return -HF_E_EXISTS;
	case 411:
	case 413:
	case 414:
	case 431:
		return -HF_E_LIMIT;
	case 429:
		return -HF_E_RATE;
	case 416:
	case 422:
		return -HF_E_CORRUPT;
	case 423:
		return -HF_E_LOCKED;
	case 507:
		return -ENOSPC;
	}
	return -HF_E_UNAVAILABLE;
}

static void pause_before(int attempt)
{
	static const long ms[] = {200, 1000, 5000};
	struct timespec ts = {ms[attempt - 1] / 1000, (ms[attempt - 1] % 1000) * 1000000};

	nanosleep(&ts, NULL);
}

/* performs x, retrying what may pass on its own; the error of its answer */
static int perform(struct http_store *hs, struct exchange *x)
{
	struct curl_slist *headers = NULL;
	CURL *h = hf_curl_pool_take(&hs->pool);
	int ret = -HF_E_UNAVAILABLE, lost = 0;

	if (!h)
		return -ENOMEM;
	headers = curl_slist_append(headers, hs->auth);
	if (x->range)
		headers = curl_slist_append(headers, x->range);
	if (x->extra)
		headers = curl_slist_append(headers, x->extra);
	if (x->body)
		headers = curl_slist_append(headers, "Content-Type: application/octet-stream");
	for (int attempt = 0; attempt < TRIES; attempt++) {
		CURLcode cc;
		if (attempt)
			pause_before(attempt);
		hf_curl_pool_prepare(&hs->pool, h);
		curl_easy_setopt(h, CURLOPT_URL, x->url);
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
		curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 20L);
		if (hs->cacert)
			curl_easy_setopt(h, CURLOPT_CAINFO, hs->cacert);
		if (hs->pin)
			curl_easy_setopt(h, CURLOPT_PINNEDPUBLICKEY, hs->pin);
		curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
		curl_easy_setopt(h, CURLOPT_WRITEDATA, x);
		curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
		curl_easy_setopt(h, CURLOPT_HEADERDATA, x);
		if (x->head)
			curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
		else if (strcmp(x->method, "GET") != 0)
			curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, x->method);
		if (x->body || strcmp(x->method, "POST") == 0 || strcmp(x->method, "PUT") == 0) {
			curl_easy_setopt(h, CURLOPT_POSTFIELDS, x->body ? x->body : "");
			curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)x->nbody);
		}
		x->got = 0;
		x->quota = 0;
		x->busy = 0;
		x->overflow = 0;
		x->has_length = 0;
		if (x->buf)
			x->buf->len = 0;
		cc = curl_easy_perform(h);
		if (cc != CURLE_OK) {
			if (x->overflow) {
				ret = -HF_E_LIMIT;
				break;
			}
			if (cc == CURLE_PEER_FAILED_VERIFICATION || cc == CURLE_SSL_CACERT_BADFILE ||
			    cc == CURLE_SSL_PINNEDPUBKEYNOTMATCH || cc == CURLE_UNSUPPORTED_PROTOCOL) {
				ret = -HF_E_REFUSED; /* not the server it should be: no retry */
				break;
			}
			lost = 1; /* the answer is lost: a put may have landed */
			ret = -HF_E_UNAVAILABLE;
			continue;
		}
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &x->status);
		ret = x->quota ? -EDQUOT : x->busy ? -HF_E_UNAVAILABLE : status_err(x->status); /* busy: try again */
		if (ret == -HF_E_EXISTS && lost && strcmp(x->method, "PUT") == 0)
			ret = 0; /* the first attempt landed */
		if (ret != -HF_E_UNAVAILABLE)
			break;
	}
	curl_slist_free_all(headers);
	hf_curl_pool_give_back(&hs->pool, h);
	return ret;
}

static int object_url(struct http_store *hs, int kind, const char *name, char *out, size_t cap)
{
	int n;

	if (!hf_store_name_ok(kind, name))
		return -HF_E_USAGE;
	n = snprintf(out, cap, "%s/%s/%s", hs->url, hf_store_kind_name(kind), name);
	return n < 0 || (size_t)n >= cap ? -HF_E_LIMIT : 0;
}

/* ---- the operations ------------------------------------------------------------ */

static int h_put(struct hf_store *s, int kind, const char *name, const void *p, size_t n, int flags)
{
	struct http_store *hs = (struct http_store *)s;
	struct exchange x = {.method = "PUT", .body = p, .nbody = n};
	int r = object_url(hs, kind, name, x.url, sizeof(x.url));

	(void)flags; /* the server makes every object durable before it answers */
	return r < 0 ? r : perform(hs, &x);
}

static int h_get(struct hf_store *s, int kind, const char *name, struct hf_buf *out)
{
	struct http_store *hs = (struct http_store *)s;
	struct exchange x = {.method = "GET", .buf = out};
	int r = object_url(hs, kind, name, x.url, sizeof(x.url));

	return r < 0 ? r : perform(hs, &x);
}

static int h_get_range(struct hf_store *s, int kind, const char *name, uint64_t off, size_t n, void *out)
{
	struct http_store *hs = (struct http_store *)s;
	char range[80];
	struct exchange x = {.method = "GET", .dest = out, .cap = n, .range = range};
	int r = object_url(hs, kind, name, x.url, sizeof(x.url));

	if (r < 0)
		return r;
	if (n == 0)
		return 0;
	snprintf(range, sizeof(range), "Range: bytes=%" PRIu64 "-%" PRIu64, off, off + n - 1);
	r = perform(hs, &x);
	if (r == 0 && (x.status != 206 || x.got != n))
		r = -HF_E_CORRUPT; /* shorter than asked: past the object's end */
	return r;
}

static int h_head(struct http_store *hs, int kind, const char *name, struct exchange *x)
{
	int r;

	memset(x, 0, sizeof(*x));
	x->method = "HEAD";
	x->head = 1;
	r = object_url(hs, kind, name, x->url, sizeof(x->url));
	return r < 0 ? r : perform(hs, x);
}

static int h_size(struct hf_store *s, int kind, const char *name, uint64_t *size)
{
	struct exchange x;
	int r = h_head((struct http_store *)s, kind, name, &x);

	if (r == 0 && !x.has_length)
		r = -HF_E_CORRUPT;
	*size = x.length;
	return r;
}

static int h_mtime(struct hf_store *s, int kind, const char *name, int64_t *ns)
{
	struct exchange x;
	int r = h_head((struct http_store *)s, kind, name, &x);

	*ns = x.arrival_ns;
	return r;
}

/* "<name> <size> <arrival ns> <sender>\n" per object (sender "-": unknown) */
static int h_list_entries(struct hf_store *s, int kind, hf_store_entry_fn fn, void *arg)
{
	struct http_store *hs = (struct http_store *)s;
	struct hf_buf b;
	struct exchange x = {.method = "GET", .buf = &b};
	int r;

	if (kind <= HF_OBJ_CONFIG || kind >= HF_OBJ_KINDS)
		return -HF_E_USAGE;
	snprintf(x.url, sizeof(x.url), "%s/%s/", hs->url, hf_store_kind_name(kind));
	hf_buf_init(&b, LIST_MAX);
	r = perform(hs, &x);
	for (size_t at = 0; r == 0 && at < b.len;) {
		uint8_t *nl = memchr(b.data + at, '\n', b.len - at);
		char line[256], name[HF_STORE_NAME_MAX + 1], sender[64 + 1];
		struct hf_store_entry e = {name, 0, 0, NULL};
		unsigned long long size;
		long long t;
		size_t len;
		if (!nl) {
			r = -HF_E_CORRUPT;
			break;
		}
		len = (size_t)(nl - (b.data + at));
		if (len >= sizeof(line) ||
		    (memcpy(line, b.data + at, len), line[len] = '\0',
		     sscanf(line, "%128s %llu %lld %64s", name, &size, &t, sender) != 4) ||
		    !hf_store_name_ok(kind, name) || t < 0) {
			r = -HF_E_CORRUPT;
			break;
		}
		at += len + 1;
		e.size = size;
		e.stored_ns = t;
		e.sender = strcmp(sender, "-") == 0 ? NULL : sender;
		r = fn(arg, &e);
	}
	hf_buf_release(&b);
	return r;
}

struct names_only {
	hf_store_list_fn fn;
	void *arg;
};

static int name_of_entry(void *arg, const struct hf_store_entry *e)
{
	struct names_only *no = arg;

	return no->fn(no->arg, e->name, e->size);
}

static int h_list(struct hf_store *s, int kind, hf_store_list_fn fn, void *arg)
{
	struct names_only no = {fn, arg};

	return h_list_entries(s, kind, name_of_entry, &no);
}

/* a new challenge from the server: {"nonce": "<32 hex>", "valid_ns": N} */
static int get_challenge(struct http_store *hs)
{
	struct hf_buf b;
	struct exchange x = {.method = "POST", .buf = &b};
	const char *p;
	long long valid = 0;
	char hex[2 * HF_DELETE_NONCE_LEN + 1];
	int r;

	snprintf(x.url, sizeof(x.url), "%s/challenge", hs->url);
	hf_buf_init(&b, 4096);
	r = perform(hs, &x);
	if (r == 0 && hf_buf_append(&b, "", 1) < 0)
		r = -HF_E_CORRUPT;
	if (r == 0) {
		p = strstr((char *)b.data, "\"nonce\": \"");
		if (!p || sscanf(p, "\"nonce\": \"%32[0-9a-f]\"", hex) != 1 || strlen(hex) != 32 ||
		    hf_hex_decode(hex, hs->nonce, HF_DELETE_NONCE_LEN) < 0 ||
		    !(p = strstr((char *)b.data, "\"valid_ns\": ")) || sscanf(p, "\"valid_ns\": %lld", &valid) != 1 ||
		    valid <= 0)
			r = -HF_E_CORRUPT;
	}
	hf_buf_release(&b);
	if (r < 0)
		return r;
	hs->counter = 0;
	/* renewed well before the server lets it expire */
	hs->nonce_until = hf_mono_ns() + valid / 2;
	return 0;
}

/* DELETE with the full key's signature over (repository, kind, name,
 * nonce, counter); without a signer the server refuses it (-HF_E_REFUSED) */
static int h_remove(struct hf_store *s, int kind, const char *name)
{
	struct http_store *hs = (struct http_store *)s;
	uint8_t msg[HF_DELETE_MSG_MAX], sig[HF_SIGN_LEN];
	char header[400], nonce_hex[2 * HF_DELETE_NONCE_LEN + 1], sig_hex[2 * HF_SIGN_LEN + 1];
	struct hf_buf b;
	struct exchange x = {.method = "DELETE", .extra = header, .buf = &b};
	int r = object_url(hs, kind, name, x.url, sizeof(x.url));

	if (r < 0)
		return r;
	if (!hs->sign) {
		x.extra = NULL;
		x.buf = NULL;
		return perform(hs, &x);
	}
	hf_buf_init(&b, 4096);
	pthread_mutex_lock(&hs->delete_lock);
	for (int attempt = 0; attempt < 2; attempt++) {
		size_t n;
		if (!hs->nonce_until || hf_mono_ns() > hs->nonce_until) {
			r = get_challenge(hs);
			if (r < 0)
				break;
		}
		n = hf_store_delete_message(hs->repo, kind, name, hs->nonce, ++hs->counter, msg);
		r = hs->sign(hs->sign_arg, msg, n, sig);
		if (r < 0)
			break;
		hf_hex_encode(hs->nonce, HF_DELETE_NONCE_LEN, nonce_hex);
		hf_hex_encode(sig, HF_SIGN_LEN, sig_hex);
		snprintf(header, sizeof(header), "Holdfast-Auth: %s.%llu.%s", nonce_hex,
			 (unsigned long long)hs->counter, sig_hex);
		r = perform(hs, &x);
		/* a server restarted since forgets its challenges: one more, once */
		if (r != -HF_E_REFUSED || hf_buf_append(&b, "", 1) < 0 || !strstr((char *)b.data, "\"challenge\""))
			break;
		hs->nonce_until = 0;
	}
	pthread_mutex_unlock(&hs->delete_lock);
	hf_buf_release(&b);
	return r;
}

static int h_offer_tag_key(struct hf_store *s, const uint8_t key[HF_KEY_LEN])
{
	struct http_store *hs = (struct http_store *)s;
	char header[100], hex[2 * HF_KEY_LEN + 1];
	struct exchange x = {.method = "POST", .extra = header};
	int r;

	if (hs->tag_key || !hs->admin)
		return 0; /* there already, or not this client's to give */
	hf_hex_encode(key, HF_KEY_LEN, hex);
	snprintf(header, sizeof(header), "Holdfast-Tag-Key: %s", hex);
	snprintf(x.url, sizeof(x.url), "%s/tag-key", hs->url);
	r = perform(hs, &x);
	memset(header, 0, sizeof(header));
	memset(hex, 0, sizeof(hex));
	if (r == -HF_E_EXISTS)
		r = 0;
	if (r == 0)
		hs->tag_key = 1;
	return r;
}

static void h_set_signer(struct hf_store *s, hf_store_sign_fn fn, void *arg)
{
	struct http_store *hs = (struct http_store *)s;

	pthread_mutex_lock(&hs->delete_lock);
	hs->sign = fn;
	hs->sign_arg = arg;
	hs->nonce_until = 0;
	pthread_mutex_unlock(&hs->delete_lock);
	if (fn && hs->admin)
		s->caps = HF_STORE_OWN_CLOCK | HF_STORE_CAN_DELETE | HF_STORE_RETENTION | HF_STORE_REMOTE;
	else
		s->caps = HF_STORE_OWN_CLOCK | HF_STORE_APPEND_ONLY | HF_STORE_REMOTE;
}

static int h_sync(struct hf_store *s)
{
	(void)s; /* every object the server acknowledged is durable already */
	return 0;
}

static int h_now(struct hf_store *s, int64_t *ns)
{
	struct http_store *hs = (struct http_store *)s;
	struct hf_buf b;
	struct exchange x = {.method = "GET", .buf = &b};
	long long v;
	int r;

	snprintf(x.url, sizeof(x.url), "%s", hs->url);
	hf_buf_init(&b, 4096);
	r = perform(hs, &x);
	if (r == 0 && (hf_buf_append(&b, "", 1) < 0 || sscanf((char *)b.data, "{\"now_ns\": %lld", &v) != 1))
		r = -HF_E_CORRUPT;
	if (r == 0)
		*ns = v;
	hf_buf_release(&b);
	return r;
}

static int h_reader_open(struct hf_store *s, int kind, const char *name, struct hf_store_reader **out)
{
	struct http_reader *rd;

	*out = NULL;
	if (!hf_store_name_ok(kind, name))
		return -HF_E_USAGE;
	rd = hf_xcalloc(1, sizeof(*rd));
	rd->store = s;
	rd->kind = kind;
	snprintf(rd->name, sizeof(rd->name), "%s", name);
	*out = (struct hf_store_reader *)rd;
	return 0;
}

static int h_reader_read(struct hf_store_reader *r, uint64_t off, size_t n, void *out)
{
	struct http_reader *rd = (struct http_reader *)r;

	return h_get_range(rd->store, rd->kind, rd->name, off, n, out);
}

static void h_reader_close(struct hf_store_reader *r)
{
	free(r);
}

static int h_writer_open(struct hf_store *s, int kind, struct hf_store_writer **out)
{
	struct http_store *hs = (struct http_store *)s;
	struct http_writer *w;
	struct hf_buf b;
	struct exchange x = {.method = "POST", .buf = &b};
	char *at;
	int r;

	*out = NULL;
	snprintf(x.url, sizeof(x.url), "%s/uploads?kind=%s", hs->url, hf_store_kind_name(kind));
	hf_buf_init(&b, 4096);
	r = perform(hs, &x);
	if (r == 0 &&
	    (hf_buf_append(&b, "", 1) < 0 || !(at = strstr((char *)b.data, "\"upload\": \"")) || strlen(at) < 11 + 32))
		r = -HF_E_CORRUPT;
	if (r == 0) {
		w = hf_xcalloc(1, sizeof(*w));
		w->store = s;
		w->kind = kind;
		memcpy(w->upload, at + 11, 32);
		hf_buf_init(&w->piece, PIECE);
		hf_buf_init(&w->sending, PIECE);
		*out = (struct hf_store_writer *)w;
	}
	hf_buf_release(&b);
	return r;
}

/* an upload the server no longer has (it restarted, or dropped it idle) is
 * not a missing object: the server cannot be relied on now */
static int upload_lost(int r)
{
	return r == -HF_E_NOTFOUND ? -HF_E_UNAVAILABLE : r;
}

static int put_piece(struct http_writer *w, struct hf_buf *b)
{
	struct http_store *hs = (struct http_store *)w->store;
	struct exchange x = {.method = "PUT", .body = b->data, .nbody = b->len};
	int r;

	if (b->len == 0)
		return 0;
	snprintf(x.url, sizeof(x.url), "%s/uploads/%s", hs->url, w->upload);
	r = perform(hs, &x);
	b->len = 0;
	return upload_lost(r);
}

static void *sender_main(void *arg)
{
	struct http_writer *w = arg;

	w->send_err = put_piece(w, &w->sending);
	return NULL;
}

/* waits for the piece in flight; its error */
static int wait_sent(struct http_writer *w)
{
	if (!w->in_flight)
		return 0;
	pthread_join(w->sender, NULL);
	w->in_flight = 0;
	return w->send_err;
}

/* Sends the filled piece: on a thread while the caller goes on (the pack's
 * next megabyte is compressed and encrypted meanwhile), after the one before
 * has arrived; in this thread if no thread can be made. */
static int send_piece_async(struct http_writer *w)
{
	struct hf_buf t;
	int r = wait_sent(w);

	if (r < 0 || w->piece.len == 0)
		return r;
	t = w->sending;
	w->sending = w->piece;
	w->piece = t;
	w->piece.len = 0;
	w->send_err = 0;
	if (pthread_create(&w->sender, NULL, sender_main, w) != 0)
		return put_piece(w, &w->sending);
	w->in_flight = 1;
	return 0;
}

/* the last piece, after the one in flight */
static int send_piece(struct http_writer *w)
{
	int r = wait_sent(w);

	return r < 0 ? r : put_piece(w, &w->piece);
}

static int h_writer_write(struct hf_store_writer *wr, const void *p, size_t n)
{
	struct http_writer *w = (struct http_writer *)wr;
	const uint8_t *q = p;
	int r = 0;

	while (n && r == 0 && !w->failed) {
		size_t k = PIECE - w->piece.len < n ? PIECE - w->piece.len : n;
		r = hf_buf_append(&w->piece, q, k);
		q += k;
		n -= k;
		if (r == 0 && w->piece.len == PIECE)
			r = send_piece_async(w);
	}
	if (r < 0)
		w->failed = 1;
	return w->failed ? (r < 0 ? r : -EIO) : 0;
}

static void writer_free(struct http_writer *w, int abort_upload)
{
	struct http_store *hs = (struct http_store *)w->store;

	if (wait_sent(w) < 0) {
		/* the upload is dropped (or committed already) either way */
	}
	if (abort_upload) {
		struct exchange x = {.method = "DELETE"};
		snprintf(x.url, sizeof(x.url), "%s/uploads/%s", hs->url, w->upload);
		if (perform(hs, &x) < 0) {
			/* the server drops idle uploads itself */
		}
	}
	hf_buf_release(&w->piece);
	hf_buf_release(&w->sending);
	free(w);
}

static int h_writer_commit(struct hf_store_writer *wr, const char *name, int flags)
{
	struct http_writer *w = (struct http_writer *)wr;
	struct http_store *hs = (struct http_store *)w->store;
	struct exchange x = {.method = "POST"};
	int r = w->failed ? -EIO : 0;

	(void)flags;
	if (r == 0 && !hf_store_name_ok(w->kind, name))
		r = -HF_E_USAGE;
	if (r == 0)
		r = send_piece(w);
	if (r == 0) {
		snprintf(x.url, sizeof(x.url), "%s/uploads/%s?name=%s", hs->url, w->upload, name);
		r = upload_lost(perform(hs, &x));
		writer_free(w, 0); /* committed or refused: the server has dropped it */
		return r;
	}
	writer_free(w, 1);
	return r;
}

static void h_writer_abort(struct hf_store_writer *wr)
{
	writer_free((struct http_writer *)wr, 1);
}

static void h_close(struct hf_store *s)
{
	struct http_store *hs = (struct http_store *)s;

	hf_curl_pool_release(&hs->pool);
	pthread_mutex_destroy(&hs->delete_lock);
	if (hs->auth) {
		memset(hs->auth, 0, strlen(hs->auth)); /* the token */
		__asm__ __volatile__("" : : "r"(hs->auth) : "memory");
	}
	free(hs->auth);
	free(hs->url);
	free(hs->cacert);
	free(hs->pin);
	free(hs);
}

/* Object Lock happens behind the server: it locks what it writes as the
 * repository's config says, in a bucket with Object Lock; a client only
 * learns whether it can */
static int h_lock_available(struct hf_store *s)
{
	return ((struct http_store *)s)->can_lock ? 0 : -HF_E_REFUSED;
}

static int h_lock_set(struct hf_store *s, const struct hf_store_lock *l)
{
	(void)l;
	return h_lock_available(s);
}

static const struct hf_store_ops http_ops = {
	.put = h_put,
	.get = h_get,
	.get_range = h_get_range,
	.size = h_size,
	.mtime = h_mtime,
	.list = h_list,
	.list_entries = h_list_entries,
	.remove = h_remove,
	.sync = h_sync,
	.reader_open = h_reader_open,
	.reader_read = h_reader_read,
	.reader_close = h_reader_close,
	.writer_open = h_writer_open,
	.writer_write = h_writer_write,
	.writer_commit = h_writer_commit,
	.writer_abort = h_writer_abort,
	.close = h_close,
	.now = h_now,
	.set_signer = h_set_signer,
	.offer_tag_key = h_offer_tag_key,
	.lock_available = h_lock_available,
	.lock_set = h_lock_set,
};

/* "https://host[:port]/repo[?pin=...]": the API base "https://host:port/v1/repo", and the pin */
static int parse_url(const char *url, char **base, char **pin)
{
	const char *scheme_end = strstr(url, "://"), *host = scheme_end ? scheme_end + 3 : NULL;
	const char *slash = host ? strchr(host, '/') : NULL, *q;
	char repo[80];
	size_t hostlen, repolen;

	*base = *pin = NULL;
	if (!slash)
		return -HF_E_USAGE;
	hostlen = (size_t)(slash - host);
	q = strchr(slash, '?');
	repolen = q ? (size_t)(q - slash - 1) : strlen(slash + 1);
	if (hostlen == 0 || repolen == 0 || repolen >= sizeof(repo))
		return -HF_E_USAGE;
	memcpy(repo, slash + 1, repolen);
	repo[repolen] = '\0';
	for (size_t i = 0; i < repolen; i++)
		if (!((repo[i] >= 'a' && repo[i] <= 'z') || (repo[i] >= '0' && repo[i] <= '9') || repo[i] == '_' ||
		      repo[i] == '-'))
			return -HF_E_USAGE;
	if (strncmp(url, "http://", 7) == 0 && strncmp(host, "127.0.0.1", 9) != 0 &&
	    strncmp(host, "localhost", 9) != 0 && strncmp(host, "[::1]", 5) != 0)
		return -HF_E_USAGE; /* a token is never sent in the clear across a network */
	if (q) {
		if (strncmp(q, "?pin=", 5) != 0 || strlen(q + 5) > 200)
			return -HF_E_USAGE;
		*pin = hf_xstrdup(q + 5);
	}
	*base = hf_xmalloc((size_t)(slash - url) + repolen + 8);
	snprintf(*base, (size_t)(slash - url) + repolen + 8, "%.*s/v1/%s", (int)(slash - url), url, repo);
	return 0;
}

int hf_store_http_open(const char *url, int create, const struct hf_store_opts *o, struct hf_store **out)
{
	struct http_store *hs;
	int r;

	*out = NULL;
	if (!o || !o->token || !*o->token || strchr(o->token, '\n') || strchr(o->token, '\r'))
		return -HF_E_USAGE; /* a server repository needs a token */
	hs = hf_xcalloc(1, sizeof(*hs));
	pthread_mutex_init(&hs->delete_lock, NULL);
	r = hf_curl_pool_init(&hs->pool);
	if (r < 0)
		goto fail;
	r = parse_url(url, &hs->url, &hs->pin);
	if (r < 0)
		goto fail;
	snprintf(hs->repo, sizeof(hs->repo), "%s", strrchr(hs->url, '/') + 1);
	hs->auth = hf_xmalloc(strlen(o->token) + 32);
	snprintf(hs->auth, strlen(o->token) + 32, "Authorization: Bearer %s", o->token);
	hs->cacert = o->cacert ? hf_xstrdup(o->cacert) : NULL;
	hs->base.ops = &http_ops;
	hs->base.location = hs->url;
	hs->base.caps = HF_STORE_OWN_CLOCK | HF_STORE_APPEND_ONLY | HF_STORE_REMOTE;
	{
		struct hf_buf b;
		struct exchange x = {.method = create ? "POST" : "GET", .buf = &b};
		snprintf(x.url, sizeof(x.url), "%s", hs->url);
		hf_buf_init(&b, 4096);
		r = perform(hs, &x);
		if (r == 0 && !create &&
		    (hf_buf_append(&b, "", 1) < 0 || !strstr((char *)b.data, "\"has_config\": true")))
			r = -HF_E_NOTFOUND; /* made, but no repository yet (as a local directory without a config) */
		hs->admin = r == 0 && (create || strstr((char *)b.data, "\"role\": \"admin\"") != NULL);
		hs->tag_key = r == 0 && !create && strstr((char *)b.data, "\"tag_key\": true") != NULL;
		if (r == 0 && create && hf_buf_append(&b, "", 1) < 0)
			r = -ENOMEM;
		hs->can_lock = r == 0 && strstr((char *)b.data, "\"object_lock\": true") != NULL;
		hf_buf_release(&b);
	}
	if (r < 0)
		goto fail;
	*out = &hs->base;
	return 0;
fail:
	h_close(&hs->base);
	return r;
}
