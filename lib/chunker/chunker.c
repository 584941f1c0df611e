/* chunker.c — keyed FastCDC with normalized chunking (level 2). Part of the
 * repository format: changing anything below changes every chunk boundary.
 *
 * Gear table: for i = 0..255, gear[i] = the first 8 bytes, read little-endian,
 *   of HMAC-SHA256(key, "holdfast gear" || byte(i)) — a 14-byte message: the 13
 *   ASCII bytes without NUL, then the single byte i.
 * Masks: b = log2(avg). mask_s has b + 2 one-bits, mask_l has b - 2 one-bits.
 *   A mask with k one-bits sets bit 63 - floor(j * 48 / k) for j = 0..k-1,
 *   i.e. the bits are spread evenly over bits 16..63 starting at bit 63 (the
 *   high bits of the gear hash depend on the most bytes of the window).
 * Scan of p[0..n) for the next chunk, with lim = min(n, max):
 *   if lim <= min: the chunk is the remaining n bytes at eof, else "need more";
 *   h = 0; for i = min, min+1, ..., lim-1:
 *     h = (h << 1) + gear[p[i]]  (mod 2^64)
 *     if i < avg and (h & mask_s) == 0, or i >= avg and (h & mask_l) == 0:
 *       cut after byte i (chunk length i + 1)
 *   no cut: length max if n >= max; else n at eof; else "need more" (0).
 * So min < length <= max for every chunk but the last; bytes before offset min
 * are never looked at, and the hash restarts at every chunk.
 * Parameters: 64 <= min < avg < max <= 64 MiB, avg a power of two. */
#include <string.h>

#include "chunker/chunker.h"
#include "crypto/crypto.h"
#include "util/err.h"

#define CHUNKER_MIN_MIN 64u
#define CHUNKER_MAX_MAX (64u << 20)
#define MASK_SPAN 48 /* mask bits are spread over bits 16..63 */

static uint64_t spread_mask(unsigned bits)
{
	uint64_t m = 0;
	unsigned j;

	for (j = 0; j < bits; j++)
		m |= (uint64_t)1 << (63 - j * MASK_SPAN / bits);
	return m;
}

int hf_chunker_init(struct hf_chunker *c, const uint8_t key[32], uint32_t min, uint32_t avg, uint32_t max)
{
	static const char label[] = "holdfast gear";
	uint8_t msg[sizeof(label)]; /* 13 label bytes + the index byte */
	uint8_t mac[HF_HASH_LEN];
	unsigned bits = 0, i, k;

	if (c == NULL || key == NULL)
		return -HF_E_USAGE;
	if (min < CHUNKER_MIN_MIN || min >= avg || avg >= max || max > CHUNKER_MAX_MAX)
		return -HF_E_USAGE;
	if ((avg & (avg - 1)) != 0)
		return -HF_E_USAGE;
	while ((1u << bits) < avg)
		bits++;
	/* 64 <= min < avg gives bits >= 7; avg < 64 MiB gives bits + 2 <= 27 <= MASK_SPAN */

	memcpy(msg, label, sizeof(label) - 1);
	for (i = 0; i < 256; i++) {
		uint64_t g = 0;

		msg[sizeof(label) - 1] = (uint8_t)i;
		hf_mac(key, msg, sizeof(msg), mac);
		for (k = 0; k < 8; k++)
			g |= (uint64_t)mac[k] << (8 * k);
		c->gear[i] = g;
	}
	hf_wipe(mac, sizeof(mac));
	c->mask_s = spread_mask(bits + 2);
	c->mask_l = spread_mask(bits - 2);
	c->min = min;
	c->avg = avg;
	c->max = max;
	return 0;
}

/* Gear-hash p[i..end) with mask; returns the cut (i + 1 of the first byte whose
 * hash has no mask bit set) or 0, leaving the running hash in *hp.
 * Four bytes per step: h4 = 16h + (8g0 + 4g1 + 2g2 + g3) keeps the serial
 * dependency to one shift and one add per four bytes, and the four mask tests
 * share one branch. Same result as the byte loop in the file comment. */
static size_t scan(const uint64_t *gear, const uint8_t *p, size_t i, size_t end, uint64_t mask, uint64_t *hp)
{
	uint64_t h = *hp;

	for (; i + 4 <= end; i += 4) {
		uint64_t g0 = gear[p[i]], g1 = gear[p[i + 1]];
		uint64_t g2 = gear[p[i + 2]], g3 = gear[p[i + 3]];
		uint64_t h1 = (h << 1) + g0;
		uint64_t h2 = (h << 2) + (g0 << 1) + g1;
		uint64_t h3 = (h << 3) + (g0 << 2) + (g1 << 1) + g2;
		uint64_t h4 = (h << 4) + (g0 << 3) + (g1 << 2) + (g2 << 1) + g3;

		if (((h1 & mask) == 0) | ((h2 & mask) == 0) | ((h3 & mask) == 0) | ((h4 & mask) == 0)) {
			if ((h1 & mask) == 0)
				return i + 1;
			if ((h2 & mask) == 0)
				return i + 2;
			if ((h3 & mask) == 0)
				return i + 3;
			return i + 4;
		}
		h = h4;
	}
	for (; i < end; i++) {
		h = (h << 1) + gear[p[i]];
		if ((h & mask) == 0)
			return i + 1;
	}
	*hp = h;
	return 0;
}

size_t hf_chunker_next(const struct hf_chunker *c, const uint8_t *p, size_t n, int eof)
{
	size_t lim = n < c->max ? n : c->max;
	size_t normal, cut;
	uint64_t h = 0;

	if (lim <= c->min)
		return eof ? n : 0; /* here n <= min < max */
	normal = c->avg < lim ? c->avg : lim;
	cut = scan(c->gear, p, c->min, normal, c->mask_s, &h);
	if (cut == 0 && normal < lim)
		cut = scan(c->gear, p, normal, lim, c->mask_l, &h);
	if (cut > 0)
		return cut;
	if (lim == c->max)
		return lim;
	return eof ? n : 0;
}
