/* test_chunker.c — keyed FastCDC: a known-answer vector (the golden chunk
 * lengths below are part of the repository format), agreement with a plain
 * byte-at-a-time reference of the algorithm in chunker.c, size bounds,
 * resynchronisation after an insertion, streaming in pieces, keying, params. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "chunker/chunker.h"
#include "crypto/crypto.h"
#include "util/err.h"
#include "t.h"

#define KIB 1024u
#define MIB (1024u * 1024u)
#define DATA_LEN (8 * MIB)
#define MAX_CUTS 4096

/* Golden vector: key 00 01 .. 1f, DATA_LEN bytes of xorshift64 seeded 42
 * (each state written as 8 little-endian bytes), min 16 KiB / avg 64 KiB /
 * max 256 KiB. A change of this list is a repository format break. */
static const uint32_t golden[] = {
	61817,  83820,  80601, 91866, 100743, 47377,  71985,  69997, 71299,  70130, 115062, 25605,  93364,
	69642,  36882,  72280, 33069, 82522,  75990,  93685,  78839, 93170,  79686, 83552,  85205,  76139,
	67441,  65843,  68333, 33081, 72091,  33044,  55520,  17295, 68280,  75047, 40757,  66982,  85919,
	52114,  45514,  75720, 68665, 24014,  68083,  83253,  33942, 66607,  97669, 139102, 20381,  81024,
	30372,  31017,  88481, 63531, 88779,  116423, 89543,  86797, 53135,  47313, 91746,  97957,  73631,
	97235,  89351,  81965, 40216, 78514,  75173,  104244, 65959, 137206, 67531, 111485, 91331,  68896,
	100971, 130094, 87182, 69645, 31924,  76169,  94334,  69634, 76504,  68977, 90952,  70860,  84698,
	70676,  69952,  72551, 80687, 75937,  32865,  67747,  69960, 55485,  65947, 70286,  132362, 81280,
	106879, 67167,  21576, 73438, 70087,  97271,  107221, 80066, 54133,  68081, 27131,
};

static uint8_t *data;

static uint64_t xorshift64(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*s = x;
	return x;
}

static void fill(uint8_t *p, size_t n, uint64_t seed)
{
	uint64_t s = seed;
	size_t i;

	for (i = 0; i < n; i += 8) {
		uint64_t x = xorshift64(&s);
		size_t k;

		for (k = 0; k < 8 && i + k < n; k++)
			p[i + k] = (uint8_t)(x >> (8 * k));
	}
}

static void test_key(uint8_t key[32])
{
	for (int i = 0; i < 32; i++)
		key[i] = (uint8_t)i;
}

/* Chunk p[0..n) whole; fills cut offsets (end of each chunk), returns count. */
static size_t cuts_of(const struct hf_chunker *c, const uint8_t *p, size_t n, size_t *cuts)
{
	size_t off = 0, k = 0;

	while (off < n && k < MAX_CUTS) {
		size_t len = hf_chunker_next(c, p + off, n - off, 1);

		if (len == 0 || len > n - off)
			return 0;
		off += len;
		cuts[k++] = off;
	}
	return k;
}

/* The algorithm exactly as the comment in chunker.c states it. */
static size_t ref_next(const struct hf_chunker *c, const uint8_t *p, size_t n, int eof)
{
	size_t lim = n < c->max ? n : c->max, i;
	uint64_t h = 0;

	if (lim <= c->min)
		return eof ? n : 0;
	for (i = c->min; i < lim; i++) {
		h = (h << 1) + c->gear[p[i]];
		if ((h & (i < c->avg ? c->mask_s : c->mask_l)) == 0)
			return i + 1;
	}
	if (n >= c->max)
		return c->max;
	return eof ? n : 0;
}

static void test_golden(void)
{
	struct hf_chunker c;
	uint8_t key[32];
	size_t *cuts = calloc(MAX_CUTS, sizeof(*cuts));
	size_t k, i, prev = 0;

	test_key(key);
	T_EQ(hf_chunker_init(&c, key, 16 * KIB, 64 * KIB, 256 * KIB), 0);
	k = cuts_of(&c, data, DATA_LEN, cuts);
	T_EQ(k, sizeof(golden) / sizeof(golden[0]));
	for (i = 0; i < k && i < sizeof(golden) / sizeof(golden[0]); i++) {
		T_EQ(cuts[i] - prev, golden[i]);
		prev = cuts[i];
	}
	free(cuts);
}

static void print_golden(void)
{
	struct hf_chunker c;
	uint8_t key[32];
	size_t *cuts = calloc(MAX_CUTS, sizeof(*cuts));
	size_t k, i, prev = 0;

	test_key(key);
	T_EQ(hf_chunker_init(&c, key, 16 * KIB, 64 * KIB, 256 * KIB), 0);
	k = cuts_of(&c, data, DATA_LEN, cuts);
	for (i = 0; i < k; i++) {
		printf("%zu,%s", cuts[i] - prev, i % 8 == 7 ? "\n" : " ");
		prev = cuts[i];
	}
	printf("\n");
	free(cuts);
}

/* Sizes within bounds, sum = length, and the 4-byte-step scan agrees with
 * the reference for several parameter sets and input lengths. */
static void test_bounds_and_reference(void)
{
	static const uint32_t params[][3] = {
		{16 * KIB, 64 * KIB, 256 * KIB}, {64, 128, 129},
		{100, 4 * KIB, 5 * KIB},         {1000, 1024, 64 * KIB},
		{256 * KIB, 1 * MIB, 4 * MIB},   {2 * MIB, 4 * MIB, 64 * MIB},
	};
	static const size_t lens[] = {DATA_LEN, DATA_LEN - 1, DATA_LEN - 2, DATA_LEN - 3, 777777, 100, 0};
	uint8_t key[32];
	size_t p, l;

	test_key(key);
	for (p = 0; p < sizeof(params) / sizeof(params[0]); p++) {
		struct hf_chunker c;

		T_EQ(hf_chunker_init(&c, key, params[p][0], params[p][1], params[p][2]), 0);
		for (l = 0; l < sizeof(lens) / sizeof(lens[0]); l++) {
			size_t n = lens[l], off = 0, sum = 0, bad = 0, mism = 0;

			while (off < n) {
				size_t len = hf_chunker_next(&c, data + off, n - off, 1);

				if (len != ref_next(&c, data + off, n - off, 1))
					mism++;
				if (len == 0 || len > c.max || (len <= c.min && off + len != n))
					bad++;
				if (len == 0)
					break;
				off += len;
				sum += len;
			}
			T_EQ(sum, n);
			T_EQ(bad, 0);
			T_EQ(mism, 0);
		}
	}
}

/* Constant input: the hash never changes after 64 bytes; cuts still bounded. */
static void test_constant_input(void)
{
	struct hf_chunker c;
	uint8_t key[32];
	size_t n = 3 * MIB + 5, off = 0, bad = 0;
	uint8_t *z = calloc(1, n);

	test_key(key);
	T_EQ(hf_chunker_init(&c, key, 16 * KIB, 64 * KIB, 256 * KIB), 0);
	while (off < n) {
		size_t len = hf_chunker_next(&c, z + off, n - off, 1);

		if (len == 0 || len > c.max || len != ref_next(&c, z + off, n - off, 1))
			bad++;
		if (len == 0)
			break;
		off += len;
	}
	T_EQ(off, n);
	T_EQ(bad, 0);
	free(z);
}

static void test_insertion_resync(void)
{
	const size_t ins = 3 * MIB, extra = 100, n2 = DATA_LEN + extra;
	struct hf_chunker c;
	uint8_t key[32];
	uint8_t *d2 = malloc(n2);
	size_t *a = calloc(MAX_CUTS, sizeof(*a)), *b = calloc(MAX_CUTS, sizeof(*b));
	size_t ka, kb, i, j, first_after, sync = 0;
	int found = 0;

	memcpy(d2, data, ins);
	fill(d2 + ins, extra, 7);
	memcpy(d2 + ins + extra, data + ins, DATA_LEN - ins);
	test_key(key);
	T_EQ(hf_chunker_init(&c, key, 16 * KIB, 64 * KIB, 256 * KIB), 0);
	ka = cuts_of(&c, data, DATA_LEN, a);
	kb = cuts_of(&c, d2, n2, b);
	T_CHECK(ka > 10 && kb > 10);

	/* every cut at or before the insertion point is unchanged */
	for (i = 0; i < ka && a[i] <= ins; i++)
		T_EQ(b[i], a[i]);
	first_after = i;
	T_CHECK(first_after > 0);
	/* find where b re-joins a (shifted by extra): within two chunks */
	for (i = first_after; i < ka && i <= first_after + 2 && !found; i++) {
		for (j = first_after; j < kb; j++) {
			if (b[j] == a[i] + extra) {
				sync = i;
				found = 1;
				break;
			}
		}
	}
	T_CHECK(found);
	if (found) {
		/* from there on the two lists agree exactly */
		for (j = 0; j < kb && b[j] != a[sync] + extra; j++)
			;
		T_EQ(kb - j, ka - sync);
		for (i = sync; i < ka && j < kb; i++, j++)
			T_EQ(b[j], a[i] + extra);
	}
	free(d2);
	free(a);
	free(b);
}

/* A caller that reads in odd-sized pieces and calls with eof == 0 until the
 * input ends must see the cuts of the whole buffer. The window is an exact-
 * size heap copy so the sanitizer catches any read past n. */
static void test_streaming(void)
{
	struct hf_chunker c;
	uint8_t key[32];
	size_t *a = calloc(MAX_CUTS, sizeof(*a));
	size_t ka, kb = 0, pos = 0, fed = 0, zeros = 0, mism = 0;
	uint64_t s = 99;

	test_key(key);
	T_EQ(hf_chunker_init(&c, key, 16 * KIB, 64 * KIB, 256 * KIB), 0);
	ka = cuts_of(&c, data, DATA_LEN, a);
	for (;;) {
		size_t have = fed - pos, len;
		int eof = fed == DATA_LEN;
		uint8_t *win = malloc(have ? have : 1);

		memcpy(win, data + pos, have);
		len = hf_chunker_next(&c, win, have, eof);
		free(win);
		if (len == 0) {
			if (eof)
				break;
			fed += 1 + xorshift64(&s) % (100 * KIB);
			if (fed > DATA_LEN)
				fed = DATA_LEN;
			zeros++;
			continue;
		}
		T_CHECK(len <= have);
		pos += len;
		if (kb >= ka || a[kb] != pos)
			mism++;
		kb++;
	}
	T_EQ(pos, DATA_LEN);
	T_EQ(kb, ka);
	T_EQ(mism, 0);
	T_CHECK(zeros > ka); /* the "need more" path was really taken */
	free(a);
}

static void test_need_more(void)
{
	struct hf_chunker c;
	uint8_t key[32];
	size_t cut;

	test_key(key);
	T_EQ(hf_chunker_init(&c, key, 16 * KIB, 64 * KIB, 256 * KIB), 0);
	T_EQ(hf_chunker_next(&c, data, 0, 1), 0);
	T_EQ(hf_chunker_next(&c, data, 0, 0), 0);
	T_EQ(hf_chunker_next(&c, data, 16 * KIB, 0), 0);
	T_EQ(hf_chunker_next(&c, data, 16 * KIB, 1), 16 * KIB);
	T_EQ(hf_chunker_next(&c, data, 5, 1), 5);
	cut = hf_chunker_next(&c, data, DATA_LEN, 1);
	T_CHECK(cut > 16 * KIB && cut <= 256 * KIB);
	/* one byte short of the cut: no cut yet */
	T_EQ(hf_chunker_next(&c, data, cut - 1, 0), 0);
	T_EQ(hf_chunker_next(&c, data, cut - 1, 1), cut - 1);
	T_EQ(hf_chunker_next(&c, data, cut, 0), cut);
}

static void test_keyed(void)
{
	struct hf_chunker c1, c2;
	uint8_t key[32];
	size_t *a = calloc(MAX_CUTS, sizeof(*a)), *b = calloc(MAX_CUTS, sizeof(*b));
	size_t ka, kb, i, same = 0;

	test_key(key);
	T_EQ(hf_chunker_init(&c1, key, 16 * KIB, 64 * KIB, 256 * KIB), 0);
	key[31] ^= 1;
	T_EQ(hf_chunker_init(&c2, key, 16 * KIB, 64 * KIB, 256 * KIB), 0);
	T_CHECK(memcmp(c1.gear, c2.gear, sizeof(c1.gear)) != 0);
	T_EQ(c1.mask_s, c2.mask_s);
	ka = cuts_of(&c1, data, DATA_LEN, a);
	kb = cuts_of(&c2, data, DATA_LEN, b);
	for (i = 0; i < ka && i < kb; i++)
		same += a[i] == b[i];
	T_CHECK(same < 3);
	free(a);
	free(b);
}

static int popcount64(uint64_t x)
{
	int n = 0;

	for (; x; x &= x - 1)
		n++;
	return n;
}

static void test_masks(void)
{
	struct hf_chunker c;
	uint8_t key[32];

	test_key(key);
	T_EQ(hf_chunker_init(&c, key, 16 * KIB, 64 * KIB, 256 * KIB), 0);
	T_EQ(popcount64(c.mask_s), 18);
	T_EQ(popcount64(c.mask_l), 14);
	T_CHECK((c.mask_s >> 63) == 1 && (c.mask_l >> 63) == 1);
	T_EQ(c.mask_s & 0xffff, 0);
	T_EQ(c.mask_l & 0xffff, 0);
	T_EQ(hf_chunker_init(&c, key, 256 * KIB, 1 * MIB, 4 * MIB), 0);
	T_EQ(popcount64(c.mask_s), 22);
	T_EQ(popcount64(c.mask_l), 18);
}

static void test_bad_params(void)
{
	struct hf_chunker c;
	uint8_t key[32];

	test_key(key);
	T_EQ(hf_chunker_init(&c, key, HF_CHUNK_MIN_DEFAULT, HF_CHUNK_AVG_DEFAULT, HF_CHUNK_MAX_DEFAULT), 0);
	T_EQ(hf_chunker_init(&c, key, 64, 128, 64 * MIB), 0);
	T_EQ(hf_chunker_init(&c, key, 16 * KIB, 48 * KIB, 256 * KIB), -HF_E_USAGE); /* avg not 2^k */
	T_EQ(hf_chunker_init(&c, key, 64 * KIB, 64 * KIB, 256 * KIB), -HF_E_USAGE); /* min == avg */
	T_EQ(hf_chunker_init(&c, key, 128 * KIB, 64 * KIB, 256 * KIB), -HF_E_USAGE);
	T_EQ(hf_chunker_init(&c, key, 16 * KIB, 64 * KIB, 64 * KIB), -HF_E_USAGE); /* avg == max */
	T_EQ(hf_chunker_init(&c, key, 16 * KIB, 64 * KIB, 32 * KIB), -HF_E_USAGE);
	T_EQ(hf_chunker_init(&c, key, 16 * KIB, 64 * KIB, 64 * MIB + 1), -HF_E_USAGE);
	T_EQ(hf_chunker_init(&c, key, 16 * KIB, 64 * MIB, 128 * MIB), -HF_E_USAGE);
	T_EQ(hf_chunker_init(&c, key, 63, 128, 256), -HF_E_USAGE); /* min too small */
	T_EQ(hf_chunker_init(&c, key, 0, 1, 2), -HF_E_USAGE);
	T_EQ(hf_chunker_init(&c, key, 0, 0, 0), -HF_E_USAGE);
	T_EQ(hf_chunker_init(&c, key, UINT32_MAX - 2, UINT32_MAX - 1, UINT32_MAX), -HF_E_USAGE);
	T_EQ(hf_chunker_init(&c, NULL, 16 * KIB, 64 * KIB, 256 * KIB), -HF_E_USAGE);
	T_EQ(hf_chunker_init(NULL, key, 16 * KIB, 64 * KIB, 256 * KIB), -HF_E_USAGE);
}

int main(int argc, char **argv)
{
	if (hf_crypto_init() < 0)
		return 1;
	data = malloc(DATA_LEN);
	fill(data, DATA_LEN, 42);
	if (argc > 1 && strcmp(argv[1], "--print-golden") == 0) {
		print_golden();
		free(data);
		return 0;
	}
	T_RUN(test_golden);
	T_RUN(test_bounds_and_reference);
	T_RUN(test_constant_input);
	T_RUN(test_insertion_resync);
	T_RUN(test_streaming);
	T_RUN(test_need_more);
	T_RUN(test_keyed);
	T_RUN(test_masks);
	T_RUN(test_bad_params);
	free(data);
	return T_DONE("test_chunker");
}
