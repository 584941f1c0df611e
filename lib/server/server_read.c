/* server_read.c — reading (server_int.h): the request path parsed, a
 * kind's listing with each object's arrival and sender, ranges, an object
 * read or its size. */
#include <inttypes.h>
#include <string.h>

#include "server/policy.h"
#include "server/server_int.h"

/* /v1/R, /v1/R/K/, /v1/R/K/N, /v1/R/uploads, /v1/R/uploads/U, /v1/R/challenge,
 * /v1/R/tag-key; 0 or -HF_E_NOTFOUND */
int server_parse_path(const char *path, struct route *rt)
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
const char *server_query_get(const char *query, const char *key, char *out, size_t cap)
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
int server_list_one(void *arg, const char *name, uint64_t size)
{
	struct listing *l = arg;
	struct hf_receipt rc = {0};

	if (l->kind != HF_OBJ_PACK)
		server_object_origin(l->e, l->kind, name, &rc);
	if (l->kind == HF_OBJ_INDEX && !index_trusted(l->asker, &rc))
		return 0;
	/* a listing that cannot be complete fails: a short one would tell a
	 * client that objects are missing */
	return server_put_text(l->resp, "%s %" PRIu64 " %" PRId64 " %s\n", name, size, rc.arrival_ns,
			       rc.client[0] ? rc.client : "-");
}

/* decimal digits at *p (at least one, no sign), advancing *p; -1 if none or too big */
int server_digits(const char **p, uint64_t *out)
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

	if (strncmp(h, "bytes=", 6) != 0 || server_digits(&p, &a) < 0 || *p++ != '-')
		return -1;
	if (*p && server_digits(&p, &b) < 0)
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
int server_reads_idlist_only(const struct repo_entry *e, const struct route *rt, const struct hf_request *rq)
{
	uint8_t len[4];
	uint64_t size, off, n, start;

	return rt->kind == HF_OBJ_INDEX && rq->range && hf_store_size(e->store, rt->kind, rt->name, &size) == 0 &&
	       size >= HF_SHAPE_IDLIST_LEN_FROM_END && parse_range(rq->range, size, &off, &n) == 0 &&
	       hf_store_get_range(e->store, rt->kind, rt->name, size - HF_SHAPE_IDLIST_LEN_FROM_END, 4, len) == 0 &&
	       hf_shape_idlist_start(size, len, &start) == 0 && off >= start;
}

int server_get_object(const struct repo_entry *e, const struct route *rt, const struct hf_request *rq,
		      struct hf_response *resp, int head)
{
	uint64_t size, off = 0, len;
	struct hf_receipt rc;
	int r = hf_store_size(e->store, rt->kind, rt->name, &size);

	if (r < 0)
		return server_fail_err(resp, r);
	server_object_origin(e, rt->kind, rt->name, &rc);
	resp->arrival_ns = rc.arrival_ns;
	snprintf(resp->sender, sizeof(resp->sender), "%s", rc.client);
	len = size;
	if (rq->range && parse_range(rq->range, size, &off, &len) < 0)
		return server_fail(resp, 416, "range", "one range inside the object, bytes=a-b");
	resp->status = rq->range ? 206 : 200;
	resp->content_type = "application/octet-stream";
	resp->offset = off;
	resp->length = len;
	resp->total = size;
	if (!head) {
		r = hf_store_reader_open(e->store, rt->kind, rt->name, &resp->reader);
		if (r < 0)
			return server_fail_err(resp, r);
	}
	return 0;
}
