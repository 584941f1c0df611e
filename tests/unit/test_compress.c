/* test_compress.c — unit tests for lib/compress: round trips of text, zeros
 * and sizes around the thresholds, raw storage of random data, and hostile
 * frames (truncated, bit-flipped, wrong length) that must fail, never crash. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "compress/compress.h"
#include "t.h"
#include "util/err.h"
#include "util/mem.h"

static uint64_t splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void fill_random(uint8_t *p, size_t n, uint64_t seed)
{
	size_t i;

	for (i = 0; i + 8 <= n; i += 8) {
		uint64_t x = splitmix(&seed);

		memcpy(p + i, &x, 8);
	}
	for (; i < n; i++)
		p[i] = (uint8_t)splitmix(&seed);
}

/* English-looking text: random words from a small vocabulary */
static void fill_text(uint8_t *p, size_t n, uint64_t seed)
{
	static const char *const words[] = {"the",          "backup", "of",        "repository", "chunk", "and",
					    "snapshot",     "is",     "encrypted", "with",       "a",     "key",
					    "deduplicated", "data",   "files",     "restore",    "index"};
	size_t i = 0;

	while (i < n) {
		uint64_t r = splitmix(&seed);
		const char *w = words[r % (sizeof(words) / sizeof(words[0]))];
		size_t l = strlen(w);

		for (size_t k = 0; k < l && i < n; k++)
			p[i++] = (uint8_t)w[k];
		if (i < n)
			p[i++] = (r >> 32) % 11 == 0 ? '\n' : ' ';
	}
}

/* compresses src; if it compressed, decompresses and compares. Returns hf_compress's result. */
static int round_trip(struct hf_zctx *z, const uint8_t *src, size_t n, size_t *clen)
{
	size_t cap = hf_compress_bound(n), outlen = 0;
	uint8_t *dst = hf_xmalloc(cap), *back = hf_xmalloc(n);
	int r;

	r = hf_compress(z, src, n, dst, cap, &outlen);
	if (r == 1) {
		T_CHECK(outlen <= n - n / 32);
		T_EQ(hf_decompress(z, dst, outlen, back, n), 0);
		T_CHECK(n == 0 || memcmp(back, src, n) == 0);
		*clen = outlen;
	}
	free(dst);
	free(back);
	return r;
}

static void test_round_trips(void)
{
	static const size_t sizes[] = {0, 1, 63, 64, 1000, 65536, 128 * 1024 - 1, 128 * 1024, 1 << 20, 4 << 20};
	struct hf_zctx *z = hf_zctx_new(HF_COMPRESS_LEVEL_DEFAULT);
	uint8_t *buf = hf_xmalloc(4 << 20);
	size_t i, clen;

	T_CHECK(z != NULL);
	if (!z)
		goto out;
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t n = sizes[i];
		int expect = n >= 64 ? 1 : 0;

		memset(buf, 0, n);
		T_EQ(round_trip(z, buf, n, &clen), expect);
		fill_text(buf, n, n);
		/* 64 bytes of text are too little to win against the frame overhead */
		T_EQ(round_trip(z, buf, n, &clen), n >= 1000 ? 1 : 0);
		if (n >= 1000)
			T_CHECK(clen < n / 2);
		/* random data is stored raw, whether sampled (≥ 128 KiB) or not */
		fill_random(buf, n, n + 1);
		T_EQ(round_trip(z, buf, n, &clen), 0);
	}
	/* large input whose sample is random: raw, even though the rest compresses */
	fill_text(buf, 4 << 20, 9);
	fill_random(buf, 16384, 1);
	fill_random(buf + (2 << 20) - 8192, 16384, 2);
	fill_random(buf + (4 << 20) - 16384, 16384, 3);
	T_EQ(round_trip(z, buf, 4 << 20, &clen), 0);
	/* half random, half text at 100 KiB: saves ~40%, compressed */
	fill_random(buf, 50000, 5);
	fill_text(buf + 50000, 50000, 6);
	T_EQ(round_trip(z, buf, 100000, &clen), 1);
out:
	hf_zctx_free(z);
	free(buf);
}

static void test_levels(void)
{
	uint8_t *buf = hf_xmalloc(300000);
	size_t clen1 = 0, clen19 = 0;
	struct hf_zctx *z;

	hf_zctx_free(NULL);
	T_CHECK(hf_zctx_new(1000) == NULL);
	z = hf_zctx_new(0); /* 0 = default */
	T_CHECK(z != NULL);
	hf_zctx_free(z);
	fill_text(buf, 300000, 42);
	z = hf_zctx_new(1);
	T_EQ(round_trip(z, buf, 300000, &clen1), 1);
	hf_zctx_free(z);
	z = hf_zctx_new(19);
	T_EQ(round_trip(z, buf, 300000, &clen19), 1);
	hf_zctx_free(z);
	T_CHECK(clen19 < clen1);
	z = hf_zctx_new(-5);
	T_CHECK(z != NULL);
	T_EQ(round_trip(z, buf, 300000, &clen1), 1);
	hf_zctx_free(z);
	free(buf);
	T_CHECK(hf_compress_bound(0) > 0);
	T_CHECK(hf_compress_bound(1000) >= 1000);
}

static void test_hostile_frames(void)
{
	struct hf_zctx *z = hf_zctx_new(3);
	size_t n = 4096, cap = hf_compress_bound(n), clen = 0, i, bit;
	uint8_t *src = hf_xmalloc(n), *dst = hf_xmalloc(cap), *back = hf_xmalloc(n + 1);
	int bad = 0, failed = 0;

	fill_text(src, n, 77);
	T_EQ(hf_compress(z, src, n, dst, cap, &clen), 1);
	T_EQ(hf_decompress(z, dst, clen, back, n), 0);
	T_MEMEQ(back, src, n);

	/* wrong raw_len, both ways */
	T_EQ(hf_decompress(z, dst, clen, back, n - 1), -HF_E_CORRUPT);
	T_EQ(hf_decompress(z, dst, clen, back, n + 1), -HF_E_CORRUPT);
	T_EQ(hf_decompress(z, dst, clen, back, 0), -HF_E_CORRUPT);

	/* every truncation fails (exact-size heap copies so ASan sees overreads) */
	for (i = 0; i < clen; i++) {
		uint8_t *t = hf_xmemdup(dst, i);

		if (hf_decompress(z, t, i, back, n) != -HF_E_CORRUPT)
			bad++;
		free(t);
	}
	T_EQ(bad, 0);
	/* trailing garbage fails */
	{
		uint8_t *t = hf_xmalloc(clen + 3);

		memcpy(t, dst, clen);
		memcpy(t + clen, "xyz", 3);
		T_EQ(hf_decompress(z, t, clen + 3, back, n), -HF_E_CORRUPT);
		free(t);
	}
	/* garbage and empty input */
	T_EQ(hf_decompress(z, "", 0, back, n), -HF_E_CORRUPT);
	T_EQ(hf_decompress(z, src, n, back, n), -HF_E_CORRUPT);

	/* every bit flip: never crash, never write past raw_len, error is -HF_E_CORRUPT.
	 * Without a zstd checksum a flip inside literals may still decode to the
	 * right length (the AEAD above us catches that): only the magic number
	 * is sure to be refused. */
	for (bit = 0; bit < clen * 8; bit++) {
		uint8_t *t = hf_xmemdup(dst, clen);
		int r;

		t[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		r = hf_decompress(z, t, clen, back, n);
		if (r < 0 && r != -HF_E_CORRUPT)
			bad++;
		if (r < 0 && bit < 32)
			failed++;
		free(t);
	}
	T_EQ(bad, 0);
	T_EQ(failed, 32); /* every flip of the magic number is refused */
	/* the context still works after all that */
	T_EQ(hf_decompress(z, dst, clen, back, n), 0);
	T_MEMEQ(back, src, n);

	/* random bytes after a valid magic number */
	for (i = 0; i < 2000; i++) {
		uint8_t t[64];

		fill_random(t, sizeof(t), i);
		memcpy(t, "\x28\xb5\x2f\xfd", 4);
		if (hf_decompress(z, t, 4 + i % 60, back, n) == 0)
			bad++;
	}
	T_EQ(bad, 0);
	hf_zctx_free(z);
	free(src);
	free(dst);
	free(back);
}

int main(void)
{
	T_RUN(test_round_trips);
	T_RUN(test_levels);
	T_RUN(test_hostile_frames);
	return T_DONE("test_compress");
}
