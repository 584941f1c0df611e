/* pending.c — pending-deletion objects (format in docs/FORMAT.md):
 *
 *   "HFPND002" | payload | signature[64] | tag
 *   payload = varint version (2 or 3) | time svarint | grace varint | varint n | pack id[32] * n
 *             [version 3: | varint m | (kind u8 | object id[32]) * m]
 *
 * An authenticated object (object.h) that is not encrypted: the tag is an
 * HMAC under the auth key, which full and write-only keys both hold; the
 * signature, by the deletion key only full keys derive, covers the
 * repository id, the magic and the payload. A plan without a valid
 * signature is ignored by prune and backups alike. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "repo/object.h"
#include "repo/pending.h"
#include "repo/repo_internal.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/mem.h"

#define PENDING_MAGIC HF_MAGIC_PENDING
#define PENDING_VERSION 2      /* a plan of packs only */
#define PENDING_VERSION_GONE 3 /* one that also names objects as gone */
#define PENDING_OBJ_MAX ((size_t)HF_PENDING_MAX_PACKS * HF_ID_LEN + (size_t)HF_PENDING_MAX_GONE * (HF_ID_LEN + 1) + 256)
#define PLAN_LABEL "holdfast plan v1" /* with its NUL: the domain of a plan's signature */

/* what a plan's signature covers: label | repository id | magic and payload */
static int plan_message(const struct hf_repo *r, const uint8_t *obj, size_t n, struct hf_buf *msg)
{
	int ret;

	hf_buf_init(msg, PENDING_OBJ_MAX + 64);
	ret = hf_buf_append(msg, PLAN_LABEL, sizeof(PLAN_LABEL));
	if (ret == 0)
		ret = hf_buf_append(msg, r->cfg.id, HF_ID_LEN);
	if (ret == 0)
		ret = hf_buf_append(msg, obj, n);
	return ret;
}

static int gone_kind_ok(int kind)
{
	return kind == HF_OBJ_INDEX || kind == HF_OBJ_SNAPSHOT;
}

int hf_pending_encode(struct hf_repo *r, int64_t time_ns, int64_t grace_ns, const uint8_t (*packs)[HF_ID_LEN], size_t n,
		      struct hf_buf *out)
{
	return hf_pending_encode_gone(r, time_ns, grace_ns, packs, n, NULL, 0, out);
}

int hf_pending_encode_gone(struct hf_repo *r, int64_t time_ns, int64_t grace_ns, const uint8_t (*packs)[HF_ID_LEN],
			   size_t n, const struct hf_pending_gone *gone, size_t ngone, struct hf_buf *out)
{
	int ret;

	if (n > HF_PENDING_MAX_PACKS || ngone > HF_PENDING_MAX_GONE || grace_ns < 0)
		return -HF_E_LIMIT;
	for (size_t i = 0; i < ngone; i++)
		if (!gone_kind_ok(gone[i].kind))
			return -HF_E_USAGE;
	hf_buf_reset(out);
	ret = hf_buf_append(out, PENDING_MAGIC, HF_MAGIC_LEN);
	if (ret == 0)
		ret = hf_buf_put_varint(out, ngone ? PENDING_VERSION_GONE : PENDING_VERSION);
	if (ret == 0)
		ret = hf_buf_put_svarint(out, time_ns);
	if (ret == 0)
		ret = hf_buf_put_varint(out, (uint64_t)grace_ns);
	if (ret == 0)
		ret = hf_buf_put_varint(out, n);
	for (size_t i = 0; i < n && ret == 0; i++)
		ret = hf_buf_append(out, packs[i], HF_ID_LEN);
	if (ret == 0 && ngone)
		ret = hf_buf_put_varint(out, ngone);
	for (size_t i = 0; i < ngone && ret == 0; i++) {
		ret = hf_buf_append(out, &gone[i].kind, 1);
		if (ret == 0)
			ret = hf_buf_append(out, gone[i].id, HF_ID_LEN);
	}
	return ret < 0 ? ret : hf_pending_seal(r, out);
}

int hf_pending_seal(struct hf_repo *r, struct hf_buf *obj)
{
	struct hf_buf msg;
	int ret = hf_buf_reserve(obj, HF_SIGN_LEN);

	if (ret < 0)
		return ret;
	ret = plan_message(r, obj->data, obj->len, &msg);
	if (ret == 0)
		ret = hf_repo_sign(r, msg.data, msg.len, obj->data + obj->len);
	hf_buf_release(&msg);
	if (ret < 0)
		return ret;
	obj->len += HF_SIGN_LEN;
	return hf_object_tag_append(r, obj);
}

static int decode_gone(struct hf_reader *rd, struct hf_pending *out);

int hf_pending_decode(struct hf_repo *r, const uint8_t *p, size_t n, struct hf_pending *out)
{
	struct hf_reader rd;
	uint64_t version, grace, count;
	const uint8_t *ids;
	size_t body;
	int ret;

	memset(out, 0, sizeof(*out));
	if (n < HF_MAGIC_LEN || memcmp(p, PENDING_MAGIC, HF_MAGIC_LEN) != 0)
		return -HF_E_CORRUPT;
	ret = hf_object_tag_check(r, p, n, &body);
	if (ret < 0)
		return ret;
	if (body < HF_MAGIC_LEN + HF_SIGN_LEN)
		return -HF_E_CORRUPT;
	body -= HF_SIGN_LEN;
	{
		struct hf_buf msg;
		ret = plan_message(r, p, body, &msg);
		if (ret == 0)
			ret = hf_repo_verify(r, msg.data, msg.len, p + body);
		hf_buf_release(&msg);
	}
	if (ret < 0)
		return ret;
	hf_reader_init(&rd, p + HF_MAGIC_LEN, body - HF_MAGIC_LEN);
	ret = hf_rd_varint(&rd, &version);
	if (ret == 0 && version != PENDING_VERSION && version != PENDING_VERSION_GONE)
		return -HF_E_VERSION;
	if (ret == 0)
		ret = hf_rd_svarint(&rd, &out->time_ns);
	if (ret == 0)
		ret = hf_rd_varint(&rd, &grace);
	if (ret == 0)
		ret = hf_rd_varint(&rd, &count);
	if (ret < 0)
		return -HF_E_CORRUPT;
	if (grace > INT64_MAX || count > HF_PENDING_MAX_PACKS || hf_reader_left(&rd) < count * HF_ID_LEN)
		return -HF_E_CORRUPT;
	if (hf_rd_raw(&rd, &ids, count * HF_ID_LEN) < 0)
		return -HF_E_CORRUPT;
	if (version == PENDING_VERSION_GONE)
		ret = decode_gone(&rd, out);
	if (ret < 0 || hf_reader_left(&rd) != 0) {
		free(out->gone);
		out->gone = NULL;
		out->ngone = 0;
		return -HF_E_CORRUPT;
	}
	out->grace_ns = (int64_t)grace;
	out->npacks = count;
	out->packs = hf_xmalloc(count ? count * HF_ID_LEN : 1);
	memcpy(out->packs, ids, count * HF_ID_LEN);
	return 0;
}

/* version 3's list of objects named as gone: at least one, each of a kind that can be */
static int decode_gone(struct hf_reader *rd, struct hf_pending *out)
{
	uint64_t m;
	const uint8_t *p;

	if (hf_rd_varint(rd, &m) < 0 || m == 0 || m > HF_PENDING_MAX_GONE ||
	    hf_reader_left(rd) != m * (HF_ID_LEN + 1) || hf_rd_raw(rd, &p, m * (HF_ID_LEN + 1)) < 0)
		return -HF_E_CORRUPT;
	out->gone = hf_xmalloc(m * sizeof(*out->gone));
	for (size_t i = 0; i < m; i++, p += HF_ID_LEN + 1) {
		if (!gone_kind_ok(p[0]))
			return -HF_E_CORRUPT;
		out->gone[i].kind = p[0];
		memcpy(out->gone[i].id, p + 1, HF_ID_LEN);
	}
	out->ngone = m;
	return 0;
}

int hf_pending_write(struct hf_repo *r, int64_t time_ns, int64_t grace_ns, const uint8_t (*packs)[HF_ID_LEN], size_t n)
{
	struct hf_buf obj;
	int ret = 0;

	hf_pending_changed(r);
	hf_buf_init(&obj, PENDING_OBJ_MAX);
	for (size_t at = 0; at < n && ret == 0;) {
		size_t k = n - at < HF_PENDING_MAX_PACKS ? n - at : HF_PENDING_MAX_PACKS;
		ret = hf_pending_encode(r, time_ns, grace_ns, packs + at, k, &obj);
		if (ret == 0)
			ret = hf_repo_put_hashed(r, HF_OBJ_PENDING, obj.data, obj.len, NULL);
		at += k;
	}
	hf_buf_release(&obj);
	return ret;
}

int hf_pending_write_gone(struct hf_repo *r, int64_t time_ns, const struct hf_pending_gone *gone, size_t n)
{
	struct hf_buf obj;
	int ret = 0;

	hf_pending_changed(r);
	hf_buf_init(&obj, PENDING_OBJ_MAX);
	for (size_t at = 0; at < n && ret == 0;) {
		size_t k = n - at < HF_PENDING_MAX_GONE ? n - at : HF_PENDING_MAX_GONE;
		ret = hf_pending_encode_gone(r, time_ns, 0, NULL, 0, gone + at, k, &obj);
		if (ret == 0)
			ret = hf_repo_put_hashed(r, HF_OBJ_PENDING, obj.data, obj.len, NULL);
		at += k;
	}
	hf_buf_release(&obj);
	return ret;
}

void hf_pending_changed(struct hf_repo *r)
{
	r->gone_listed_ns = 0;
}

/* what the plans just listed name as gone, kept for hf_pending_gone_set */
static void remember_gone(struct hf_repo *r, const struct hf_pending *plans, size_t n)
{
	size_t total = 0;

	for (size_t i = 0; i < n; i++)
		total += plans[i].ngone;
	free(r->gone);
	r->gone = NULL;
	r->ngone = 0;
	r->gone_listed_ns = hf_mono_ns();
	if (total == 0)
		return;
	r->gone = hf_xreallocarray(NULL, total, sizeof(*r->gone));
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < plans[i].ngone && r->ngone < total; k++)
			r->gone[r->ngone++] = plans[i].gone[k];
}

int hf_pending_gone_set(struct hf_repo *r, int kind, struct hf_idmap **out)
{
	int ret = 0;

	*out = hf_idmap_new(0);
	if (!*out)
		return -ENOMEM;
	if (!r->gone_listed_ns || hf_mono_ns() - r->gone_listed_ns >= HF_PENDING_GONE_FRESH_NS) {
		struct hf_pending *plans = NULL;
		size_t n = 0;
		ret = hf_pending_list(r, &plans, &n, NULL); /* remembers their gone objects */
		hf_pending_list_free(plans, n);
	}
	for (size_t i = 0; i < r->ngone && ret == 0; i++)
		if (r->gone[i].kind == kind && hf_idmap_put(*out, r->gone[i].id, NULL, NULL) < 0)
			ret = -ENOMEM;
	if (ret < 0) {
		hf_idmap_free(*out);
		*out = NULL;
	}
	return ret;
}

static int load_one(struct hf_repo *r, const char *name, void *slot)
{
	struct hf_pending *p = slot;
	struct hf_buf obj;
	uint8_t id[HF_ID_LEN];
	int ret;

	hf_buf_init(&obj, PENDING_OBJ_MAX);
	ret = hf_repo_get_hashed(r, HF_OBJ_PENDING, name, &obj, id);
	if (ret == -HF_E_LIMIT)
		ret = -HF_E_CORRUPT;
	if (ret == 0)
		ret = hf_pending_decode(r, obj.data, obj.len, p);
	if (ret == 0)
		memcpy(p->id, id, HF_ID_LEN);
	hf_buf_release(&obj);
	return ret;
}

static int by_time(const void *a, const void *b)
{
	const struct hf_pending *x = a, *y = b;

	if (x->time_ns != y->time_ns)
		return x->time_ns < y->time_ns ? -1 : 1;
	return memcmp(x->id, y->id, HF_ID_LEN);
}

int hf_pending_list(struct hf_repo *r, struct hf_pending **out, size_t *n, size_t *bad)
{
	struct hf_object_array a = {0};
	int ret = hf_repo_load_all(r, HF_OBJ_PENDING, sizeof(struct hf_pending), load_one, NULL, by_time, &a);

	if (ret == 0)
		remember_gone(r, a.v, a.n);
	if (ret < 0) {
		hf_pending_list_free(a.v, a.n);
		*out = NULL;
		*n = 0;
		return ret;
	}
	*out = a.v;
	*n = a.n;
	if (bad)
		*bad = a.bad;
	return 0;
}

void hf_pending_list_free(struct hf_pending *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++) {
		free(v[i].packs);
		free(v[i].gone);
	}
	free(v);
}

int hf_pending_due(const struct hf_pending *p, int64_t now_ns)
{
	return now_ns - p->time_ns >= p->grace_ns;
}
