/* blocks.c — per-block randomness: how many 4 KiB blocks of a file look like ciphertext.
 *
 * A block is random if its byte entropy is >= 7.9 bits and its chi-square statistic (255 degrees
 * of freedom) lies within the band a uniform source gives 99.98% of the time. Streaming: only a
 * byte histogram of the current block is kept, so the pipeline can feed chunks of any size. */
#include <math.h>
#include <pthread.h>
#include <string.h>

#include "detect/detect_int.h"

#define CHI_LO 179.0 /* chi-square quantiles for p = 1e-4 and 1 - 1e-4, 255 dof */
#define CHI_HI 348.0
#define ENTROPY_MIN 7.9

void hf_detect_blocks_init(struct hf_detect_blocks *b)
{
	memset(b, 0, sizeof(*b));
	b->stride = 1;
}

void hf_detect_blocks_init_sampled(struct hf_detect_blocks *b, unsigned stride)
{
	hf_detect_blocks_init(b);
	b->stride = stride ? stride : 1;
}

void hf_detect_blocks_init_keyed(struct hf_detect_blocks *b, unsigned one_in, uint64_t key)
{
	hf_detect_blocks_init(b);
	b->one_in = one_in > 1 ? one_in : 0;
	b->key = key;
}

/* keyed sampling: is the next block looked at? (splitmix64 of key and block number) */
static int next_block_wanted(struct hf_detect_blocks *b)
{
	uint64_t x = b->key + 0x9e3779b97f4a7c15ULL * ++b->index;

	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x % b->one_in == 0;
}

/* c * log2(c) for every count a block can hold: entropy without a log2 per byte value.
 * Written once, before first use, then only read. */
static double c_log2_c[HF_DETECT_BLOCK + 1];
static pthread_once_t c_log2_c_once = PTHREAD_ONCE_INIT;

static void c_log2_c_init(void)
{
	for (uint32_t c = 1; c <= HF_DETECT_BLOCK; c++)
		c_log2_c[c] = (double)c * log2((double)c);
}

static int block_is_random(const uint16_t *hist, uint32_t n)
{
	double e = (double)n / 256.0, chi, h, sum = 0.0, ent_min = ENTROPY_MIN;
	uint64_t sq = 0;
	int i;

	for (i = 0; i < 256; i++)
		sq += (uint64_t)hist[i] * hist[i];
	chi = (double)sq / e - (double)n;
	if (chi < CHI_LO || chi > CHI_HI)
		return 0;
	/* -sum (c/n) log2(c/n) = log2(n) - sum(c log2 c) / n */
	pthread_once(&c_log2_c_once, c_log2_c_init);
	for (i = 0; i < 256; i++)
		sum += c_log2_c[hist[i]];
	h = log2((double)n) - sum / (double)n;
	/* the plug-in entropy estimate is biased low by about 255 / (2 n ln 2) bits; a short
	 * tail block gets that much more slack than a full one */
	if (n < HF_DETECT_BLOCK)
		ent_min -= 255.0 / (2.0 * n * M_LN2) - 255.0 / (2.0 * HF_DETECT_BLOCK * M_LN2);
	return h >= ent_min;
}

static void block_done(struct hf_detect_blocks *b)
{
	uint16_t hist[256];

	for (int i = 0; i < 256; i++)
		hist[i] = (uint16_t)(b->hist[0][i] + b->hist[1][i] + b->hist[2][i] + b->hist[3][i]);
	if (b->blocks < UINT32_MAX) { /* 16 TiB: counts saturate */
		b->blocks++;
		if (block_is_random(hist, b->fill))
			b->random_blocks++;
	}
	b->fill = 0;
	memset(b->hist, 0, sizeof(b->hist));
}

/* Four histograms, so consecutive equal bytes do not wait on each other; eight bytes per load,
 * and restrict, so the compiler need not reload the data after every count. */
static void count_bytes(uint16_t (*restrict h)[256], const uint8_t *restrict p, size_t n)
{
	size_t i;

	for (i = 0; i + 8 <= n; i += 8) {
		uint64_t w;
		memcpy(&w, p + i, 8);
		h[0][w & 0xff]++;
		h[1][(w >> 8) & 0xff]++;
		h[2][(w >> 16) & 0xff]++;
		h[3][(w >> 24) & 0xff]++;
		h[0][(w >> 32) & 0xff]++;
		h[1][(w >> 40) & 0xff]++;
		h[2][(w >> 48) & 0xff]++;
		h[3][w >> 56]++;
	}
	for (; i < n; i++)
		h[0][p[i]]++;
}

void hf_detect_blocks_update(struct hf_detect_blocks *b, const uint8_t *data, size_t n)
{
	while (n > 0) {
		size_t take = HF_DETECT_BLOCK - b->fill;

		if (b->skip) { /* a block the sample leaves out */
			take = b->skip < n ? b->skip : n;
			b->skip -= (uint32_t)take;
			data += take;
			n -= take;
			continue;
		}
		if (b->fill == 0 && b->one_in && !next_block_wanted(b)) {
			b->skip = HF_DETECT_BLOCK;
			continue;
		}
		if (take > n)
			take = n;
		count_bytes(b->hist, data, take);
		b->fill += (uint32_t)take;
		data += take;
		n -= take;
		if (b->fill == HF_DETECT_BLOCK) {
			block_done(b);
			b->skip = (b->stride - 1) * HF_DETECT_BLOCK;
		}
	}
}

int hf_detect_head_random(const uint8_t *p, size_t n)
{
	uint16_t hist[256];

	if (n > HF_DETECT_BLOCK)
		n = HF_DETECT_BLOCK;
	if (n < HF_DETECT_BLOCK_MIN)
		return 0;
	memset(hist, 0, sizeof(hist));
	for (size_t i = 0; i < n; i++)
		hist[p[i]]++;
	return block_is_random(hist, (uint32_t)n);
}

void hf_detect_blocks_final(struct hf_detect_blocks *b, struct hf_profile *p)
{
	if (b->fill >= HF_DETECT_BLOCK_MIN)
		block_done(b);
	b->fill = 0;
	memset(b->hist, 0, sizeof(b->hist));
	p->blocks = b->blocks;
	p->random_blocks = b->random_blocks;
}
