/* compress.c — zstd compression of blobs; the only file that talks to libzstd.
 *
 * A context owns one ZSTD_CCtx, one ZSTD_DCtx and a small sample buffer, and
 * belongs to one thread. hf_compress stores incompressible data raw, judged
 * first from a level-1 sample of large inputs, then from the real result. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>
#include <zstd_errors.h>

#include "compress/compress.h"
#include "util/err.h"

#define HF_Z_MIN_INPUT 64             /* below this, framing eats any gain */
#define HF_Z_SAMPLE_FROM (128 * 1024) /* inputs this large are sampled first */
#define HF_Z_SLICE (16 * 1024)        /* three slices: start, middle, end */
#define HF_Z_SAMPLE (3 * HF_Z_SLICE)
#define HF_Z_SAMPLE_MIN_SAVING_PCT 3

struct hf_zctx {
	ZSTD_CCtx *c;
	ZSTD_DCtx *d;
	int level;
	uint8_t sample[HF_Z_SAMPLE];
	uint8_t sample_out[ZSTD_COMPRESSBOUND(HF_Z_SAMPLE)];
};

struct hf_zctx *hf_zctx_new(int level)
{
	struct hf_zctx *z = NULL, *ret = NULL;

	if (level == 0)
		level = HF_COMPRESS_LEVEL_DEFAULT;
	if (level < ZSTD_minCLevel() || level > ZSTD_maxCLevel())
		return NULL;
	z = calloc(1, sizeof(*z));
	if (!z)
		goto out;
	z->level = level;
	z->c = ZSTD_createCCtx();
	z->d = ZSTD_createDCtx();
	if (!z->c || !z->d)
		goto out;
	ret = z;
	z = NULL;
out:
	hf_zctx_free(z);
	return ret;
}

void hf_zctx_free(struct hf_zctx *z)
{
	if (!z)
		return;
	ZSTD_freeCCtx(z->c);
	ZSTD_freeDCtx(z->d);
	free(z);
}

size_t hf_compress_bound(size_t n)
{
	size_t b = ZSTD_compressBound(n);

	return ZSTD_isError(b) ? 0 : b;
}

static int zstd_err(size_t r)
{
	return ZSTD_getErrorCode(r) == ZSTD_error_memory_allocation ? -ENOMEM : -HF_E_USAGE;
}

/* 1 if a level-1 pass over three slices saves at least 3% */
static int sample_worth_it(struct hf_zctx *z, const uint8_t *src, size_t n)
{
	size_t r;

	memcpy(z->sample, src, HF_Z_SLICE);
	memcpy(z->sample + HF_Z_SLICE, src + n / 2 - HF_Z_SLICE / 2, HF_Z_SLICE);
	memcpy(z->sample + 2 * HF_Z_SLICE, src + n - HF_Z_SLICE, HF_Z_SLICE);
	r = ZSTD_compressCCtx(z->c, z->sample_out, sizeof(z->sample_out), z->sample, HF_Z_SAMPLE, 1);
	if (ZSTD_isError(r))
		return zstd_err(r);
	return r < HF_Z_SAMPLE && (HF_Z_SAMPLE - r) * 100 >= (size_t)HF_Z_SAMPLE * HF_Z_SAMPLE_MIN_SAVING_PCT;
}

int hf_compress(struct hf_zctx *z, const void *src, size_t n, void *dst, size_t cap, size_t *outlen)
{
	size_t limit, r;
	int ok;

	if (n < HF_Z_MIN_INPUT)
		return 0;
	if (n >= HF_Z_SAMPLE_FROM) {
		ok = sample_worth_it(z, src, n);
		if (ok <= 0)
			return ok;
	}
	/* Anything longer than n - n/32 is not worth keeping: let zstd give up
	 * as soon as its output would not fit. */
	limit = n - n / 32;
	if (cap < limit)
		limit = cap;
	r = ZSTD_compressCCtx(z->c, dst, limit, src, n, z->level);
	if (ZSTD_isError(r))
		return ZSTD_getErrorCode(r) == ZSTD_error_dstSize_tooSmall ? 0 : zstd_err(r);
	if (r > n - n / 32)
		return 0;
	*outlen = r;
	return 1;
}

int hf_decompress(struct hf_zctx *z, const void *src, size_t n, void *dst, size_t raw_len)
{
	unsigned long long fcs;
	size_t r;

	fcs = ZSTD_getFrameContentSize(src, n);
	if (fcs == ZSTD_CONTENTSIZE_ERROR)
		return -HF_E_CORRUPT;
	if (fcs != ZSTD_CONTENTSIZE_UNKNOWN && fcs != raw_len)
		return -HF_E_CORRUPT;
	r = ZSTD_decompressDCtx(z->d, dst, raw_len, src, n);
	if (ZSTD_isError(r)) {
		if (ZSTD_getErrorCode(r) == ZSTD_error_memory_allocation)
			return -ENOMEM;
		return -HF_E_CORRUPT;
	}
	if (r != raw_len)
		return -HF_E_CORRUPT;
	return 0;
}
