/* mark.c — mark objects (marks/): pins, unpins, scan verdicts, forget records and
 * watcher alerts about snapshots, and the state derived from them.
 *
 * Object: "HFMRK002" | sealed session key | AEAD(session key, ad = magic,
 * payload) | tag, as snapshots (object.h). Payload: version varint (3; 4 for
 * an alert, so that older readers refuse only those), time ns
 * (zigzag), snapshot id[32], kind u8, verdict u8, changes varint, reason
 * bytes, and for an unpin, a verdict or an alert the deletion key's signature[64]
 * (zeros in a verdict or alert a write-only client wrote: it has no deletion key).
 * The name is the SHA-256 of the object. Every field is checked on load:
 * kind 1..4 (version 3) or 5 (version 4), verdict 0..2 and changes 0 unless kind is verdict, reason
 * ≤ 1024 bytes without NUL, nothing after it. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "repo/mark.h"
#include "repo/object.h"
#include "repo/repo_internal.h"
#include "store/store.h"
#include "util/err.h"
#include "util/hex.h"
#include "util/mem.h"

#define MARK_MAGIC HF_MAGIC_MARK
#define MARK_VERSION 3       /* 2: unpins carry the deletion key's signature; 3: verdicts too */
#define MARK_VERSION_ALERT 4 /* kind 5 (alert), signed like a verdict; the only kind of version 4 */
/* magic, sealed key, AEAD, a payload of at most ~1.1 KiB, tag */
#define MARK_OBJ_MAX \
	(HF_MAGIC_LEN + HF_SEALED_KEY_LEN + HF_AEAD_OVERHEAD + 64 + HF_MARK_REASON_MAX + HF_SIGN_LEN + HF_OBJ_TAG_LEN)
/* with their NUL: the domains of the signatures */
#define UNPIN_LABEL "holdfast unpin v1"
#define VERDICT_LABEL "holdfast verdict v1"
#define ALERT_LABEL "holdfast alert v1"

static int signed_kind(int kind)
{
	return kind == HF_MARK_UNPIN || kind == HF_MARK_VERDICT || kind == HF_MARK_ALERT;
}

static int version_of(int kind)
{
	return kind == HF_MARK_ALERT ? MARK_VERSION_ALERT : MARK_VERSION;
}

static int valid_fields(int kind, int verdict, uint64_t changes)
{
	if (kind == HF_MARK_VERDICT)
		return verdict >= HF_MARK_VERDICT_CLEAN && verdict <= HF_MARK_VERDICT_ATTACK;
	return (kind == HF_MARK_PIN || kind == HF_MARK_UNPIN || kind == HF_MARK_FORGOTTEN || kind == HF_MARK_ALERT) &&
	       verdict == 0 && changes == 0;
}

int hf_mark_encode(const struct hf_mark *m, struct hf_buf *b)
{
	const char *reason = m->reason ? m->reason : "";
	size_t len = strlen(reason);
	int r;

	if (!valid_fields(m->kind, m->verdict, m->changes))
		return -HF_E_USAGE;
	if (len > HF_MARK_REASON_MAX)
		return -HF_E_LIMIT;
	if ((r = hf_buf_put_varint(b, (uint64_t)version_of(m->kind))) < 0 ||
	    (r = hf_buf_put_svarint(b, m->time_ns)) < 0 || (r = hf_buf_append(b, m->snapshot, HF_ID_LEN)) < 0 ||
	    (r = hf_buf_put_u8(b, m->kind)) < 0 || (r = hf_buf_put_u8(b, m->verdict)) < 0 ||
	    (r = hf_buf_put_varint(b, m->changes)) < 0 || (r = hf_buf_put_bytes(b, reason, len)) < 0)
		return r;
	return signed_kind(m->kind) ? hf_buf_append(b, m->sig, HF_SIGN_LEN) : 0;
}

/* What a signature covers: an unpin's, label | repository id | snapshot id
 * | time (8 bytes, big-endian); a verdict's, the same under its own label
 * and then the verdict; an alert's, under its label and then the SHA-256
 * of the reason. Its length. */
#define MARK_MSG_MAX (sizeof(VERDICT_LABEL) + 2 * HF_ID_LEN + 8 + HF_HASH_LEN)
static size_t mark_message(const struct hf_repo *r, const struct hf_mark *m, uint8_t out[MARK_MSG_MAX])
{
	const char *label = m->kind == HF_MARK_UNPIN   ? UNPIN_LABEL
			    : m->kind == HF_MARK_ALERT ? ALERT_LABEL
						       : VERDICT_LABEL;
	size_t n = strlen(label) + 1;
	uint64_t t = (uint64_t)m->time_ns;

	memcpy(out, label, n);
	memcpy(out + n, r->cfg.id, HF_ID_LEN);
	memcpy(out + n + HF_ID_LEN, m->snapshot, HF_ID_LEN);
	n += 2 * HF_ID_LEN;
	for (int i = 0; i < 8; i++)
		out[n++] = (uint8_t)(t >> (56 - 8 * i));
	if (m->kind == HF_MARK_VERDICT)
		out[n++] = m->verdict;
	if (m->kind == HF_MARK_ALERT) {
		const char *reason = m->reason ? m->reason : "";
		hf_sha256(reason, strlen(reason), out + n);
		n += HF_HASH_LEN;
	}
	return n;
}

static int decode(const uint8_t *p, size_t n, struct hf_mark *m)
{
	struct hf_reader rd;
	const uint8_t *id;
	uint64_t ver;
	size_t len;
	int r;

	hf_reader_init(&rd, p, n);
	if ((r = hf_rd_varint(&rd, &ver)) < 0)
		return r;
	if (ver != MARK_VERSION && ver != MARK_VERSION_ALERT)
		return -HF_E_VERSION;
	if ((r = hf_rd_svarint(&rd, &m->time_ns)) < 0 || (r = hf_rd_raw(&rd, &id, HF_ID_LEN)) < 0)
		return r;
	memcpy(m->snapshot, id, HF_ID_LEN);
	if ((r = hf_rd_u8(&rd, &m->kind)) < 0 || (r = hf_rd_u8(&rd, &m->verdict)) < 0 ||
	    (r = hf_rd_varint(&rd, &m->changes)) < 0)
		return r;
	if (!valid_fields(m->kind, m->verdict, m->changes) || ver != (uint64_t)version_of(m->kind))
		return -HF_E_CORRUPT;
	if ((r = hf_rd_strdup(&rd, &m->reason, &len, HF_MARK_REASON_MAX)) < 0)
		return r;
	if (memchr(m->reason, '\0', len))
		return -HF_E_CORRUPT;
	if (signed_kind(m->kind)) {
		const uint8_t *sig;
		if ((r = hf_rd_raw(&rd, &sig, HF_SIGN_LEN)) < 0)
			return r;
		memcpy(m->sig, sig, HF_SIGN_LEN);
	}
	m->authorized = !signed_kind(m->kind); /* the others: once their signature verifies */
	return hf_reader_left(&rd) == 0 ? 0 : -HF_E_CORRUPT;
}

int hf_mark_decode(const uint8_t *p, size_t n, struct hf_mark *m)
{
	int r;

	memset(m, 0, sizeof(*m));
	r = decode(p, n, m);
	if (r < 0)
		hf_mark_release(m);
	return r;
}

int hf_mark_write(struct hf_repo *r, const struct hf_session *s, const struct hf_mark *m)
{
	struct hf_mark signed_m = *m;
	uint8_t msg[MARK_MSG_MAX];
	struct hf_buf pt;
	int ret = 0;

	if (signed_kind(m->kind)) {
		ret = hf_repo_sign(r, msg, mark_message(r, m, msg), signed_m.sig);
		if (ret == -HF_E_WRITEONLY && m->kind != HF_MARK_UNPIN) {
			/* a write-only client's verdict or alert: it counts for less */
			memset(signed_m.sig, 0, HF_SIGN_LEN);
			ret = 0;
		}
		if (ret < 0)
			return ret;
	}
	hf_buf_init(&pt, MARK_OBJ_MAX);
	ret = hf_mark_encode(&signed_m, &pt);
	if (ret == 0)
		ret = hf_object_write(r, s, HF_OBJ_MARK, MARK_MAGIC, pt.data, pt.len, NULL);
	hf_buf_release(&pt);
	return ret;
}

void hf_mark_release(struct hf_mark *m)
{
	free(m->reason);
	memset(m, 0, sizeof(*m));
}

int hf_mark_load(struct hf_repo *r, const char *name, struct hf_mark *m)
{
	struct hf_buf pt;
	uint8_t h[HF_ID_LEN];
	int ret;

	memset(m, 0, sizeof(*m));
	hf_buf_init(&pt, MARK_OBJ_MAX);
	/* the tag is checked before anything is decrypted or parsed */
	ret = hf_object_read(r, HF_OBJ_MARK, name, MARK_MAGIC, MARK_OBJ_MAX, &pt, h, NULL);
	if (ret == 0)
		ret = hf_mark_decode(pt.data, pt.len, m);
	if (ret == 0 && signed_kind(m->kind)) {
		uint8_t msg[MARK_MSG_MAX];
		m->authorized = hf_repo_verify(r, msg, mark_message(r, m, msg), m->sig) == 0;
	}
	if (ret == 0)
		memcpy(m->id, h, HF_ID_LEN);
	else
		hf_mark_release(m);
	hf_buf_release(&pt);
	return ret;
}

static int load_one(struct hf_repo *r, const char *name, void *obj)
{
	return hf_mark_load(r, name, obj);
}

static int by_time(const void *a, const void *b)
{
	const struct hf_mark *x = a, *y = b;

	if (x->time_ns != y->time_ns)
		return x->time_ns < y->time_ns ? -1 : 1;
	return memcmp(x->id, y->id, HF_ID_LEN);
}

int hf_mark_list(struct hf_repo *r, struct hf_mark **out, size_t *n, size_t *bad)
{
	struct hf_object_array a;
	int ret;

	*out = NULL;
	*n = 0;
	if (!r->sk)
		return -HF_E_USAGE; /* a write-only key cannot read marks */
	ret = hf_repo_load_all(r, HF_OBJ_MARK, sizeof(**out), load_one, NULL, by_time, &a);
	if (ret < 0) {
		hf_mark_list_free(a.v, a.n);
		return ret;
	}
	*out = a.v;
	*n = a.n;
	if (bad)
		*bad = a.bad;
	return 0;
}

void hf_mark_list_free(struct hf_mark *m, size_t n)
{
	for (size_t i = 0; i < n; i++)
		hf_mark_release(&m[i]);
	free(m);
}

/* ---- derived state --------------------------------------------------------- */

const struct hf_mark *hf_marks_pin_state(const struct hf_mark *m, size_t n, const uint8_t snapshot[HF_ID_LEN])
{
	const struct hf_mark *best = NULL;

	for (size_t i = 0; i < n; i++) {
		const struct hf_mark *c = &m[i];
		if ((c->kind != HF_MARK_PIN && (c->kind != HF_MARK_UNPIN || !c->authorized)) ||
		    memcmp(c->snapshot, snapshot, HF_ID_LEN) != 0)
			continue;
		if (!best || c->time_ns > best->time_ns || (c->time_ns == best->time_ns && c->kind == HF_MARK_PIN))
			best = c;
	}
	return best;
}

int hf_marks_pinned(const struct hf_mark *m, size_t n, const uint8_t snapshot[HF_ID_LEN])
{
	const struct hf_mark *p = hf_marks_pin_state(m, n, snapshot);

	return p && p->kind == HF_MARK_PIN;
}

const struct hf_mark *hf_marks_verdict_mark(const struct hf_mark *m, size_t n, const uint8_t snapshot[HF_ID_LEN])
{
	const struct hf_mark *best = NULL;

	for (size_t i = 0; i < n; i++) {
		const struct hf_mark *c = &m[i];
		if (c->kind != HF_MARK_VERDICT || memcmp(c->snapshot, snapshot, HF_ID_LEN) != 0)
			continue;
		/* one the full key signed beats any other: a compromised client
		 * cannot clear a verdict of the trusted verifier */
		if (!best || c->authorized > best->authorized ||
		    (c->authorized == best->authorized &&
		     (c->time_ns > best->time_ns || (c->time_ns == best->time_ns && c->verdict > best->verdict))))
			best = c;
	}
	return best;
}

int hf_marks_verdict(const struct hf_mark *m, size_t n, const uint8_t snapshot[HF_ID_LEN], int *verdict)
{
	const struct hf_mark *v = hf_marks_verdict_mark(m, n, snapshot);

	*verdict = v ? v->verdict : -1;
	return v ? 1 : 0;
}

int hf_marks_forgotten(const struct hf_mark *m, size_t n, const uint8_t snapshot[HF_ID_LEN])
{
	for (size_t i = 0; i < n; i++)
		if (m[i].kind == HF_MARK_FORGOTTEN && memcmp(m[i].snapshot, snapshot, HF_ID_LEN) == 0)
			return 1;
	return 0;
}

const char *hf_mark_kind_name(int kind)
{
	switch (kind) {
	case HF_MARK_PIN:
		return "pin";
	case HF_MARK_UNPIN:
		return "unpin";
	case HF_MARK_VERDICT:
		return "verdict";
	case HF_MARK_FORGOTTEN:
		return "forgotten";
	case HF_MARK_ALERT:
		return "alert";
	}
	return "?";
}

const char *hf_mark_verdict_name(int verdict)
{
	switch (verdict) {
	case HF_MARK_VERDICT_CLEAN:
		return "clean";
	case HF_MARK_VERDICT_SUSPICIOUS:
		return "suspicious";
	case HF_MARK_VERDICT_ATTACK:
		return "attack";
	}
	return "?";
}
