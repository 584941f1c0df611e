/* notes.c — pulls the payment addresses, contacts and victim ids out of a
 * ransom note's text. A Bitcoin address counts only if its checksum holds,
 * so a random base58 word is not reported as one. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "report/notes.h"
#include "report/pii.h"

static const char *const kind_names[HF_NOTE_KIND_COUNT] = {"bitcoin", "monero", "onion", "email", "victim_id"};

const char *hf_note_kind_name(int kind)
{
	return kind >= 0 && kind < HF_NOTE_KIND_COUNT ? kind_names[kind] : "?";
}

static const char b58[] = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

static int b58_val(int c)
{
	const char *p = c ? strchr(b58, c) : NULL;

	return p ? (int)(p - b58) : -1;
}

/* base58 of s into out (big-endian, outlen bytes exactly); 0 or -1 */
static int b58_decode(const char *s, size_t n, uint8_t *out, size_t outlen)
{
	memset(out, 0, outlen);
	for (size_t i = 0; i < n; i++) {
		int v = b58_val((unsigned char)s[i]);
		unsigned carry;
		if (v < 0)
			return -1;
		carry = (unsigned)v;
		for (size_t k = outlen; k-- > 0;) {
			carry += 58u * out[k];
			out[k] = (uint8_t)carry;
			carry >>= 8;
		}
		if (carry)
			return -1; /* does not fit */
	}
	return 0;
}

int hf_note_btc_base58_ok(const char *s, size_t n)
{
	uint8_t raw[25], h[32], h2[32];
	size_t lead = 0, zeros = 0;

	if (n < 26 || n > 35 || (s[0] != '1' && s[0] != '3'))
		return 0;
	if (b58_decode(s, n, raw, sizeof(raw)) < 0)
		return 0;
	/* each leading '1' is one leading zero byte, and only those are */
	while (lead < n && s[lead] == '1')
		lead++;
	while (zeros < sizeof(raw) && raw[zeros] == 0)
		zeros++;
	if (lead != zeros)
		return 0;
	if (raw[0] != 0x00 && raw[0] != 0x05)
		return 0;
	hf_sha256(raw, 21, h);
	hf_sha256(h, 32, h2);
	return memcmp(h2, raw + 21, 4) == 0;
}

static uint32_t bech32_polymod(const uint8_t *v, size_t n)
{
	static const uint32_t gen[5] = {0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3};
	uint32_t chk = 1;

	for (size_t i = 0; i < n; i++) {
		uint32_t top = chk >> 25;
		chk = ((chk & 0x1ffffff) << 5) ^ v[i];
		for (int k = 0; k < 5; k++)
			if ((top >> k) & 1)
				chk ^= gen[k];
	}
	return chk;
}

int hf_note_btc_bech32_ok(const char *s, size_t n)
{
	static const char cs[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
	uint8_t v[96];
	size_t k = 0;
	int lo = 0, up = 0;
	uint32_t pm;

	if (n < 14 || n > 74)
		return 0;
	for (size_t i = 0; i < n; i++) {
		lo |= s[i] >= 'a' && s[i] <= 'z';
		up |= s[i] >= 'A' && s[i] <= 'Z';
	}
	if (lo && up)
		return 0;
	if ((s[0] | 32) != 'b' || (s[1] | 32) != 'c' || s[2] != '1')
		return 0;
	/* hrp expanded: high bits, 0, low bits */
	v[k++] = 'b' >> 5;
	v[k++] = 'c' >> 5;
	v[k++] = 0;
	v[k++] = 'b' & 31;
	v[k++] = 'c' & 31;
	for (size_t i = 3; i < n; i++) {
		const char *p;
		int c = s[i] | 32;
		if (!(s[i] >= '0' && s[i] <= '9'))
			c = s[i] | 32;
		else
			c = s[i];
		p = strchr(cs, c);
		if (!c || !p)
			return 0;
		v[k++] = (uint8_t)(p - cs);
	}
	pm = bech32_polymod(v, k);
	/* witness version 0: bech32; 1..16: bech32m */
	if (v[5] == 0)
		return pm == 1;
	return v[5] <= 16 && pm == 0x2bc830a3;
}

struct found {
	char **v;
	int *kind;
	size_t n;
	hf_note_fn fn;
	void *arg;
	int stop;
};

#define NOTE_MAX_VALUES 1024

static int emit(struct found *f, int kind, const char *s, size_t n)
{
	char *c;

	if (f->stop)
		return f->stop;
	for (size_t i = 0; i < f->n; i++)
		if (f->kind[i] == kind && strlen(f->v[i]) == n && memcmp(f->v[i], s, n) == 0)
			return 0;
	if (f->n == NOTE_MAX_VALUES)
		return 0;
	c = strndup(s, n);
	if (!c)
		return -ENOMEM;
	f->v[f->n] = c;
	f->kind[f->n++] = kind;
	f->stop = f->fn(f->arg, kind, c);
	return f->stop;
}

static int is_alnum(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int lower_eq(const char *x, const char *word, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((x[i] | 32) != word[i])
			return 0;
	return 1;
}

static int has_digit(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] >= '0' && s[i] <= '9')
			return 1;
	return 0;
}

int hf_note_extract(const char *x, size_t n, hf_note_fn fn, void *arg)
{
	struct found f = {.fn = fn, .arg = arg};
	int r = 0;

	f.v = calloc(NOTE_MAX_VALUES, sizeof(*f.v));
	f.kind = calloc(NOTE_MAX_VALUES, sizeof(*f.kind));
	if (!f.v || !f.kind) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n && !r;) {
		size_t j = i, b, e;
		if (!is_alnum((unsigned char)x[i])) {
			if (x[i] == '@' && hf_pii_email_at(x, n, i, &b, &e)) {
				r = emit(&f, HF_NOTE_EMAIL, x + b, e - b);
				i = e;
				continue;
			}
			i++;
			continue;
		}
		while (j < n && is_alnum((unsigned char)x[j]))
			j++;
		/* the word is x[i, j) */
		if (j + 6 <= n && lower_eq(x + j, ".onion", 6) && (j + 6 == n || !is_alnum((unsigned char)x[j + 6]))) {
			size_t len = j - i, ok = len == 56 || len == 16;
			for (size_t k = i; k < j && ok; k++)
				ok = (x[k] >= 'a' && x[k] <= 'z') || (x[k] >= '2' && x[k] <= '7');
			if (ok)
				r = emit(&f, HF_NOTE_ONION, x + i, len + 6);
			i = j + 6;
			continue;
		}
		if (j < n && x[j] == '@') {
			i = j; /* the '@' above takes it */
			continue;
		}
		if (hf_note_btc_base58_ok(x + i, j - i) || hf_note_btc_bech32_ok(x + i, j - i)) {
			r = emit(&f, HF_NOTE_BTC, x + i, j - i);
		} else if ((j - i == 95 || j - i == 106) && (x[i] == '4' || x[i] == '8')) {
			int ok = 1;
			for (size_t k = i; k < j && ok; k++)
				ok = b58_val((unsigned char)x[k]) >= 0;
			if (ok)
				r = emit(&f, HF_NOTE_XMR, x + i, j - i);
		} else if (j - i == 2 && lower_eq(x + i, "id", 2)) {
			/* "ID: value", "ID - value", "id value" */
			size_t k = j, v;
			while (k < n && k < j + 4 &&
			       (x[k] == ':' || x[k] == ' ' || x[k] == '-' || x[k] == '\t' || x[k] == '#'))
				k++;
			v = k;
			while (v < n && (is_alnum((unsigned char)x[v]) || x[v] == '-' || x[v] == '_'))
				v++;
			if (v - k >= 8 && v - k <= 128 && has_digit(x + k, v - k)) {
				r = emit(&f, HF_NOTE_VICTIM_ID, x + k, v - k);
				j = v;
			}
		}
		i = j;
	}
	if (r == 0)
		r = f.stop;
out:
	for (size_t i = 0; i < f.n; i++)
		free(f.v[i]);
	free(f.v);
	free(f.kind);
	return r;
}
