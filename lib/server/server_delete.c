/* server_delete.c — deletion (server_int.h): a challenge nonce, the full
 * key's signature over the object, the server's lock by arrival; and
 * taking a repository's tag key, once, if it tags what is there. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server/server_int.h"
#include "util/hex.h"
#include "util/mem.h"

/* ---- deletion: a challenge, the full key's signature, the lock --------------- */

#define CHALLENGES_PER_CLIENT 8

/* a new nonce for the client to sign deletions in the repository against;
 * a client holding its most challenges gets its oldest one replaced */
int server_issue_challenge(struct hf_server *s, const struct hf_client *c, const char *repo, struct hf_response *resp)
{
	struct challenge *slot = NULL, *oldest = NULL;
	char hex[2 * HF_DELETE_NONCE_LEN + 1];
	int64_t now = server_now_ns();
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
		return server_fail(resp, 503, "busy", "too many deletion challenges open: try again later");
	resp->status = 201;
	return server_put_text(resp, "{\"nonce\": \"%s\", \"valid_ns\": %lld}\n", hex, CHALLENGE_NS);
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
	if (server_digits(&p, counter) < 0 || *p++ != '.' || strlen(p) != 2 * HF_SIGN_LEN)
		return -1;
	return hf_hex_decode(p, sig, HF_SIGN_LEN) < 0 ? -1 : 0;
}

/* takes counter for the client's challenge nonce: 0, 1 if there is no such
 * challenge (or it expired), 2 if the counter was used */
static int take_counter(struct hf_server *s, const char *client, const char *repo,
			const uint8_t nonce[HF_DELETE_NONCE_LEN], uint64_t counter)
{
	int64_t now = server_now_ns();
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
int server_delete_object(struct hf_server *s, const struct hf_client *c, const struct repo_entry *e,
			 const struct route *rt, const struct hf_request *rq, struct hf_response *resp)
{
	uint8_t nonce[HF_DELETE_NONCE_LEN], sig[HF_SIGN_LEN], msg[HF_DELETE_MSG_MAX];
	char detail[300];
	struct hf_receipt rc;
	uint64_t counter, size;
	size_t n;
	int r;

	if (!rq->signature || parse_signature(rq->signature, nonce, &counter, sig) < 0)
		return server_fail(resp, 403, "signature", "a deletion needs the full key's signature (Holdfast-Auth)");
	if (!e->pack_size)
		return server_fail(resp, 404, "not_found", "the repository has no config yet");
	n = hf_store_delete_message(rt->repo, rt->kind, rt->name, nonce, counter, msg);
	if (hf_sign_verify(e->delete_key, msg, n, sig) < 0)
		return server_fail(resp, 403, "signature",
				   "not signed by the repository's deletion key (a full key file's)");
	r = take_counter(s, c->name, rt->repo, nonce, counter);
	if (r == 1)
		return server_fail(resp, 403, "challenge", "no such challenge, or it expired: ask for a new one");
	if (r == 2)
		return server_fail(resp, 403, "replay", "this signature was used already");
	r = hf_store_size(e->store, rt->kind, rt->name, &size);
	if (r < 0)
		return server_fail_err(resp, r);
	server_object_origin(e, rt->kind, rt->name, &rc);
	if (s->lock_ns && rc.arrival_ns > server_now_ns() - s->lock_ns) {
		resp->unlock_ns = rc.arrival_ns + s->lock_ns;
		return server_fail(resp, 423, "locked", "younger than the server's lock (serve --lock-days): kept");
	}
	r = hf_store_remove(e->store, rt->kind, rt->name);
	if (r < 0)
		return server_fail_err(resp, r);
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
int server_take_tag_key(struct hf_server *s, struct repo_entry *e, const char *hex, struct hf_response *resp)
{
	uint8_t key[HF_KEY_LEN];
	char path[4096], tmp[4200], line[2 * HF_KEY_LEN + 2];
	struct tag_probe tp = {e, key, HF_OBJ_SNAPSHOT, 0, 0};
	size_t tried = 0;
	int fd, r = 0;

	if (!hex || strlen(hex) != 2 * HF_KEY_LEN || hf_hex_decode(hex, key, HF_KEY_LEN) < 0)
		return server_fail(resp, 400, "malformed", "Holdfast-Tag-Key: 64 hex digits");
	if (e->has_tag_key)
		return server_fail_err(resp, -HF_E_EXISTS);
	for (int kind = HF_OBJ_SNAPSHOT; kind <= HF_OBJ_MARK && tp.fit == 0; kind++) {
		tp.kind = kind;
		tp.tried = 0;
		if (kind != HF_OBJ_PACK && hf_store_list(e->store, kind, probe_one, &tp) < 0)
			r = -EIO;
		tried += tp.tried;
	}
	if (r < 0 || (tried && !tp.fit)) {
		hf_wipe(key, sizeof(key));
		return server_fail(resp, 422, "mismatch", "this key tags none of the repository's objects");
	}
	server_tag_key_path(s, e->name, path, sizeof(path));
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
		return server_fail_err(resp, r);
	resp->status = 201;
	return 0;
}
