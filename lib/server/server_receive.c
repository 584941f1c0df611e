/* server_receive.c — receiving an object (server_int.h): the bytes hashed
 * against the name, the shape checked, a tagged kind's tag checked against
 * the repository's tag key, then committed create-only and its receipt
 * written; streamed uploads (a pack in pieces); the snapshot rate. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "repo/repo_internal.h" /* hf_config_decode: a config put decides the lock */
#include "server/server_int.h"
#include "util/hex.h"
#include "util/mem.h"

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

int server_rx_start(struct receiving *rx, const struct repo_entry *e, int kind)
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
int server_fail_start(struct hf_response *resp, int r)
{
	if (r == -ENOTSUP)
		return server_fail(
			resp, 503, "lock",
			"the config asks for Object Lock and the server's store cannot lock objects now: nothing "
			"is written");
	return server_fail(resp, 500, "internal", "cannot start writing");
}

int server_rx_write(struct receiving *rx, const uint8_t *p, size_t n)
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
		    server_set_lock(rx->store, rx->receipts, c.lock_mode, c.lock_period_s) < 0)
			return -ENOTSUP;
		return hf_store_put(rx->store, HF_OBJ_CONFIG, "config", rx->head, (size_t)rx->got);
	}
	/* create-only; frees the writer (the name was checked to be the hash) */
	return hf_store_writer_commit(w, name, HF_PUT_NAMED_BY_SHA256);
}

/* Commits the received object under name, records its receipt and answers.
 * The object comes first: a server killed between the two leaves an object
 * without a receipt (its sender unknown, so not trusted), never a receipt
 * claiming an object that is not there. */
void server_commit_and_answer(struct hf_server *s, struct receiving *rx, const char *name, const char *client, int role,
			      const char *peer, struct hf_response *resp)
{
	struct hf_receipt rc = {.size = rx->got, .role = role};
	int kind = rx->kind, r = rx_commit(rx, name);

	if (r == -HF_E_AUTH) {
		server_fail(resp, 422, "mismatch", "the bytes do not hash to the object's name");
		return;
	}
	if (r == -HF_E_REFUSED) {
		server_fail(resp, 422, "untagged", "not tagged by a key file of this repository");
		return;
	}
	if (r == -ENOTSUP) {
		server_fail(resp, 422, "lock",
			    "the config asks for Object Lock and the server's store cannot lock objects");
		return;
	}
	if (r < 0) {
		server_fail_err(resp, r);
		return;
	}
	rc.arrival_ns = server_now_ns();
	snprintf(rc.client, sizeof(rc.client), "%s", client);
	snprintf(rc.peer, sizeof(rc.peer), "%.*s", (int)strcspn(peer ? peer : "", " \n"), peer ? peer : "");
	r = hf_receipt_put(rx->receipts, kind, name, &rc);
	if (r < 0)
		hf_server_log(s, "receipt_failed", hf_strerror(r));
	else
		hf_quota_count(s->quota, client, 1, rc.size);
	resp->status = 201;
	server_put_text(resp, "{\"arrival_ns\": %" PRId64 "}\n", rc.arrival_ns);
}

/* Counts a snapshot put of the client, and 0; or -HF_E_LIMIT when it has
 * made its snapshots_per_hour already (0: no limit). Counted when asked,
 * so that concurrent puts cannot slip past the limit together. */
int server_take_snapshot_slot(struct hf_server *s, const struct hf_client *c)
{
	struct snapshot_rate *rt = NULL;
	int64_t now = server_now_ns();
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

int server_refuse_flood(struct hf_response *resp)
{
	return server_fail(resp, 429, "rate", "more snapshots this hour than this client may write");
}

void server_rx_abort(struct receiving *rx)
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

struct upload *server_find_upload(struct hf_server *s, const char *id, const char *client, const char *repo)
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
	server_rx_abort(&u->rx);
	free(u);
}

int server_start_upload(struct hf_server *s, const struct hf_client *c, const struct repo_entry *e, int kind,
			struct hf_response *resp)
{
	struct upload *u;
	uint8_t rnd[16];
	size_t mine = 0;
	int64_t now = server_now_ns();
	int r;

	pthread_mutex_lock(&s->lock);
	for (size_t i = s->nuploads; i-- > 0;)
		if (!s->uploads[i]->busy && now - s->uploads[i]->touched_ns > UPLOAD_IDLE_NS)
			drop_upload(s, s->uploads[i]);
	for (size_t i = 0; i < s->nuploads; i++)
		mine += strcmp(s->uploads[i]->client, c->name) == 0;
	pthread_mutex_unlock(&s->lock);
	if (mine >= UPLOADS_PER_CLIENT)
		return server_fail(resp, 429, "busy", "too many uploads open: commit or abort one first");
	u = hf_xcalloc(1, sizeof(*u));
	hf_random(rnd, sizeof(rnd));
	hf_hex_encode(rnd, sizeof(rnd), u->id);
	snprintf(u->client, sizeof(u->client), "%s", c->name);
	snprintf(u->repo, sizeof(u->repo), "%s", e->name);
	u->touched_ns = now;
	r = server_rx_start(&u->rx, e, kind);
	if (r < 0) {
		server_rx_abort(&u->rx);
		free(u);
		return server_fail_start(resp, r);
	}
	pthread_mutex_lock(&s->lock);
	s->uploads = hf_xreallocarray(s->uploads, s->nuploads + 1, sizeof(*s->uploads));
	s->uploads[s->nuploads++] = u;
	pthread_mutex_unlock(&s->lock);
	resp->status = 201;
	server_put_text(resp, "{\"upload\": \"%s\", \"max_bytes\": %" PRIu64 "}\n", u->id, u->rx.limit);
	return 0;
}

/* POST /v1/R/uploads/U?name=N, DELETE /v1/R/uploads/U */
int server_finish_upload(struct hf_server *s, const struct hf_client *c, const struct route *rt,
			 const struct hf_request *rq, struct hf_response *resp)
{
	char name[HF_STORE_NAME_MAX + 1];
	struct upload *u;

	pthread_mutex_lock(&s->lock);
	u = server_find_upload(s, rt->name, c->name, rt->repo);
	if (u && u->busy)
		u = NULL;
	if (u)
		u->busy = 1;
	pthread_mutex_unlock(&s->lock);
	if (!u)
		return server_fail(resp, 404, "not_found", "no such upload (it may have been idle too long)");
	if (strcmp(rq->method, "DELETE") == 0) {
		resp->status = 204;
	} else if (!server_query_get(rq->query, "name", name, sizeof(name)) || !hf_store_name_ok(u->rx.kind, name)) {
		pthread_mutex_lock(&s->lock);
		u->busy = 0;
		pthread_mutex_unlock(&s->lock);
		return server_fail(resp, 400, "malformed", "name=N is needed, a valid object name");
	} else {
		server_commit_and_answer(s, &u->rx, name, c->name, c->role, rq->peer, resp);
	}
	pthread_mutex_lock(&s->lock);
	drop_upload(s, u);
	pthread_mutex_unlock(&s->lock);
	return 0;
}
