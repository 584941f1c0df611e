/* receipt.c — encoding and storing the server's receipts (receipt.h).
 *
 *   holdfast receipt 1
 *   arrival_ns 1796371234567890123
 *   client fs1
 *   role backup
 *   size 16777411
 *   peer 10.0.0.5
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "server/policy.h"
#include "server/receipt.h"

#define MAGIC "holdfast receipt 1\n"

int hf_receipt_encode(const struct hf_receipt *rc, struct hf_buf *out)
{
	char text[HF_RECEIPT_MAX];
	int n;

	if (!hf_server_name_ok(rc->client) || !hf_role_name(rc->role) || strpbrk(rc->peer, " \n") || rc->arrival_ns < 0)
		return -HF_E_USAGE;
	n = snprintf(text, sizeof(text),
		     MAGIC "arrival_ns %" PRId64 "\nclient %s\nrole %s\nsize %" PRIu64 "\npeer %s\n", rc->arrival_ns,
		     rc->client, hf_role_name(rc->role), rc->size, rc->peer[0] ? rc->peer : "-");
	if (n < 0 || (size_t)n >= sizeof(text))
		return -HF_E_LIMIT;
	out->len = 0;
	return hf_buf_append(out, text, (size_t)n);
}

/* the value after "key " on the line at *p, up to the newline, into out;
 * advances *p past the line */
static int field(const char **p, const char *end, const char *key, char *out, size_t cap)
{
	size_t klen = strlen(key);
	const char *nl = memchr(*p, '\n', (size_t)(end - *p));
	size_t len;

	if (!nl || (size_t)(nl - *p) <= klen + 1 || memcmp(*p, key, klen) != 0 || (*p)[klen] != ' ')
		return -HF_E_CORRUPT;
	len = (size_t)(nl - *p) - klen - 1;
	if (len >= cap)
		return -HF_E_CORRUPT;
	memcpy(out, *p + klen + 1, len);
	out[len] = '\0';
	*p = nl + 1;
	return memchr(out, '\0', len) ? -HF_E_CORRUPT : 0;
}

static int number(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (!*s || (s[0] == '0' && s[1]))
		return -HF_E_CORRUPT;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > (max - (uint64_t)(*s - '0')) / 10)
			return -HF_E_CORRUPT;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*out = v;
	return 0;
}

int hf_receipt_decode(const uint8_t *data, size_t n, struct hf_receipt *rc)
{
	const char *p = (const char *)data, *end = p + n;
	char v[HF_RECEIPT_MAX];
	uint64_t t;

	memset(rc, 0, sizeof(*rc));
	if (n > HF_RECEIPT_MAX || n < sizeof(MAGIC) - 1 || memcmp(p, MAGIC, sizeof(MAGIC) - 1) != 0)
		return -HF_E_CORRUPT;
	p += sizeof(MAGIC) - 1;
	if (field(&p, end, "arrival_ns", v, sizeof(v)) < 0 || number(v, INT64_MAX, &t) < 0)
		return -HF_E_CORRUPT;
	rc->arrival_ns = (int64_t)t;
	if (field(&p, end, "client", rc->client, sizeof(rc->client)) < 0 || !hf_server_name_ok(rc->client))
		return -HF_E_CORRUPT;
	if (field(&p, end, "role", v, sizeof(v)) < 0 || (rc->role = hf_role_parse(v)) < 0)
		return -HF_E_CORRUPT;
	if (field(&p, end, "size", v, sizeof(v)) < 0 || number(v, UINT64_MAX, &rc->size) < 0)
		return -HF_E_CORRUPT;
	if (field(&p, end, "peer", rc->peer, sizeof(rc->peer)) < 0 || strchr(rc->peer, ' '))
		return -HF_E_CORRUPT;
	if (strcmp(rc->peer, "-") == 0)
		rc->peer[0] = '\0';
	return p == end ? 0 : -HF_E_CORRUPT;
}

int hf_receipt_get(struct hf_store *st, int kind, const char *name, struct hf_receipt *rc)
{
	struct hf_buf b;
	int r;

	hf_buf_init(&b, HF_RECEIPT_MAX);
	r = hf_store_get(st, kind, name, &b);
	if (r == -HF_E_LIMIT)
		r = -HF_E_CORRUPT;
	if (r == 0)
		r = hf_receipt_decode(b.data, b.len, rc);
	hf_buf_release(&b);
	return r;
}

int hf_receipt_put(struct hf_store *st, int kind, const char *name, const struct hf_receipt *rc)
{
	struct hf_buf b;
	int r;

	hf_buf_init(&b, HF_RECEIPT_MAX);
	r = hf_receipt_encode(rc, &b);
	if (r == 0)
		r = hf_store_put(st, kind, name, b.data, b.len);
	hf_buf_release(&b);
	return r;
}
