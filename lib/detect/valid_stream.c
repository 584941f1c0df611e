/* valid_stream.c — full decodes of gzip, xz, zstd and bzip2 streams into a scratch buffer
 * (a gzip file's validation into one whole buffer where its trailer allows).
 *
 * Each decoder consumes all input (concatenated members/streams/frames allowed, trailing zero
 * padding tolerated), checks the format's own checksums, and stops at HF_DETECT_OUTPUT_MAX
 * decoded bytes (then the answer is HF_VALID_UNCHECKED) so a bomb costs bounded time. What
 * it decodes goes to `put` (if not NULL), one scratch buffer at a time. */
#include <bzlib.h>
#include <errno.h>
#include <libdeflate.h>
#include <lzma.h>
#include <stdlib.h>
#include <zlib.h>
#include <zstd.h>
#include <zstd_errors.h>

#include "detect/detect_int.h"

#define SCRATCH (128u << 10)
#define XZ_MEMLIMIT (256u << 20)
#define ZSTD_WINDOW_LOG_MAX 27 /* 128 MiB windows, as zstd's CLI accepts without --long */

static int all_zero(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

/* what may follow a whole gzip member: nothing, padding, text appended to
 * the file (`echo >> f.gz`: its compressed data are intact, gzip -d
 * ignores the rest); 0: another member, or garbage (ciphertext in place of
 * the members after the first) */
static int gzip_tail_ok(const uint8_t *p, size_t n)
{
	return n == 0 || all_zero(p, n) || hf_detect_utf8_text(p, n);
}

static int gzip_member_next(const uint8_t *p, size_t n)
{
	return n >= 2 && p[0] == 0x1f && p[1] == 0x8b;
}

/* Validation only, for a file whose trailer says it decodes to at most
 * GZIP_WHOLE_MAX bytes: libdeflate decodes each member into one buffer
 * sized from that trailer, about twice as fast as zlib's inflate (bench:
 * the watcher validating /usr/share/doc's changelogs). A member that does
 * not fit (several members, or text appended) is left to zlib (-1), and so
 * is a stream libdeflate calls bad, or a member with a header CRC (which
 * libdeflate does not check), so that zlib's verdict stands wherever the
 * two could differ; what libdeflate accepts passed its CRC-32 and length
 * checks. */
#define GZIP_WHOLE_MAX (8u << 20)

static int validate_gzip_whole(const uint8_t *p, size_t n)
{
	struct libdeflate_decompressor *d;
	uint8_t *out;
	size_t cap, off = 0, in_used, out_used;
	uint64_t total = 0;
	int ret = -1;

	if (n < 18)
		return -1;
	cap = (size_t)p[n - 4] | (size_t)p[n - 3] << 8 | (size_t)p[n - 2] << 16 | (size_t)p[n - 1] << 24;
	if (cap > GZIP_WHOLE_MAX)
		return -1;
	d = libdeflate_alloc_decompressor();
	out = malloc(cap + 1);
	if (!d || !out)
		goto out;
	for (;;) {
		/* a header CRC (FHCRC) libdeflate skips and zlib checks */
		if (n - off < 10 || (p[off + 3] & 0x02) ||
		    libdeflate_gzip_decompress_ex(d, p + off, n - off, out, cap, &in_used, &out_used) !=
			    LIBDEFLATE_SUCCESS)
			goto out;
		off += in_used;
		total += out_used;
		if (total > HF_DETECT_OUTPUT_MAX) {
			ret = HF_VALID_UNCHECKED; /* members of a bomb */
			break;
		}
		if (gzip_tail_ok(p + off, n - off)) {
			ret = HF_VALID_YES;
			break;
		}
		if (!gzip_member_next(p + off, n - off)) {
			ret = HF_VALID_NO;
			break;
		}
	}
out:
	free(out);
	libdeflate_free_decompressor(d);
	return ret;
}

static int decode_gzip(const uint8_t *p, size_t n, hf_detect_sink put, void *arg)
{
	z_stream z = {0};
	uint8_t *out = NULL;
	uint64_t total = 0;
	size_t off = 0;
	int ret = HF_VALID_NO, zr, inited = 0;

	out = malloc(SCRATCH);
	if (!out)
		return -ENOMEM;
	if (inflateInit2(&z, 16 + 15) != Z_OK) {
		ret = -ENOMEM;
		goto out;
	}
	inited = 1;
	for (;;) {
		/* one gzip member */
		z.next_in = (Bytef *)(uintptr_t)(p + off);
		z.avail_in = (uInt)((n - off) > UINT32_MAX ? UINT32_MAX : n - off);
		do {
			z.next_out = out;
			z.avail_out = SCRATCH;
			zr = inflate(&z, Z_NO_FLUSH);
			total += SCRATCH - z.avail_out;
			if (put && z.avail_out < SCRATCH)
				put(arg, out, SCRATCH - z.avail_out);
			if (total > HF_DETECT_OUTPUT_MAX) {
				ret = HF_VALID_UNCHECKED;
				goto out;
			}
		} while (zr == Z_OK && (z.avail_in > 0 || z.avail_out == 0));
		if (zr != Z_STREAM_END)
			goto out; /* corrupt, bad CRC/length, or truncated */
		off = (size_t)((const uint8_t *)z.next_in - p);
		if (gzip_tail_ok(p + off, n - off))
			break;
		if (!gzip_member_next(p + off, n - off))
			goto out;
		if (inflateReset(&z) != Z_OK)
			goto out;
	}
	ret = HF_VALID_YES;
out:
	if (inited)
		inflateEnd(&z);
	free(out);
	return ret;
}

static int decode_xz(const uint8_t *p, size_t n, hf_detect_sink put, void *arg)
{
	lzma_stream z = LZMA_STREAM_INIT;
	uint8_t *out = NULL;
	uint64_t total = 0;
	int ret = HF_VALID_NO;
	lzma_ret lr;

	out = malloc(SCRATCH);
	if (!out)
		return -ENOMEM;
	/* CONCATENATED also accepts stream padding; a memlimit error means "too big to check" */
	if (lzma_stream_decoder(&z, XZ_MEMLIMIT, LZMA_CONCATENATED) != LZMA_OK) {
		ret = -ENOMEM;
		goto out;
	}
	z.next_in = p;
	z.avail_in = n;
	for (;;) {
		z.next_out = out;
		z.avail_out = SCRATCH;
		lr = lzma_code(&z, z.avail_in ? LZMA_RUN : LZMA_FINISH);
		total += SCRATCH - z.avail_out;
		if (put && z.avail_out < SCRATCH)
			put(arg, out, SCRATCH - z.avail_out);
		if (total > HF_DETECT_OUTPUT_MAX || lr == LZMA_MEMLIMIT_ERROR) {
			ret = HF_VALID_UNCHECKED;
			goto out;
		}
		if (lr == LZMA_STREAM_END)
			break;
		if (lr != LZMA_OK)
			goto out;
	}
	ret = z.avail_in == 0 ? HF_VALID_YES : HF_VALID_NO;
out:
	lzma_end(&z);
	free(out);
	return ret;
}

static int decode_zstd(const uint8_t *p, size_t n, hf_detect_sink put, void *arg)
{
	ZSTD_DCtx *z = NULL;
	uint8_t *out = NULL;
	uint64_t total = 0;
	ZSTD_inBuffer in = {p, n, 0};
	size_t r = 1;
	int ret = HF_VALID_NO;

	out = malloc(SCRATCH);
	z = ZSTD_createDCtx();
	if (!out || !z) {
		ret = -ENOMEM;
		goto out;
	}
	if (ZSTD_isError(ZSTD_DCtx_setParameter(z, ZSTD_d_windowLogMax, ZSTD_WINDOW_LOG_MAX)))
		goto out;
	while (in.pos < in.size) {
		ZSTD_outBuffer o = {out, SCRATCH, 0};

		r = ZSTD_decompressStream(z, &o, &in);
		if (ZSTD_isError(r)) {
			if (ZSTD_getErrorCode(r) == ZSTD_error_frameParameter_windowTooLarge)
				ret = HF_VALID_UNCHECKED;
			goto out;
		}
		total += o.pos;
		if (put && o.pos)
			put(arg, out, o.pos);
		if (total > HF_DETECT_OUTPUT_MAX) {
			ret = HF_VALID_UNCHECKED;
			goto out;
		}
		if (o.pos == 0 && in.pos == in.size)
			break;
	}
	/* flush what the decoder still holds; r == 0 means the last frame ended cleanly */
	while (r != 0) {
		ZSTD_outBuffer o = {out, SCRATCH, 0};

		r = ZSTD_decompressStream(z, &o, &in);
		if (ZSTD_isError(r) || o.pos == 0)
			break;
		total += o.pos;
		if (put)
			put(arg, out, o.pos);
		if (total > HF_DETECT_OUTPUT_MAX) {
			ret = HF_VALID_UNCHECKED;
			goto out;
		}
	}
	ret = (!ZSTD_isError(r) && r == 0) ? HF_VALID_YES : HF_VALID_NO;
out:
	ZSTD_freeDCtx(z);
	free(out);
	return ret;
}

static int decode_bzip2(const uint8_t *p, size_t n, hf_detect_sink put, void *arg)
{
	bz_stream z = {0};
	uint8_t *out = NULL;
	uint64_t total = 0;
	size_t off = 0;
	int ret = HF_VALID_NO, br, inited = 0;

	out = malloc(SCRATCH);
	if (!out)
		return -ENOMEM;
	for (;;) {
		size_t left = n - off;

		/* one bzip2 stream; pbzip2 and `cat a.bz2 b.bz2` make several */
		if (BZ2_bzDecompressInit(&z, 0, 0) != BZ_OK) {
			ret = -ENOMEM;
			goto out;
		}
		inited = 1;
		z.next_in = (char *)(uintptr_t)(p + off);
		z.avail_in = left > UINT32_MAX ? UINT32_MAX : (unsigned)left;
		do {
			z.next_out = (char *)out;
			z.avail_out = SCRATCH;
			br = BZ2_bzDecompress(&z);
			total += SCRATCH - z.avail_out;
			if (put && z.avail_out < SCRATCH)
				put(arg, out, SCRATCH - z.avail_out);
			if (total > HF_DETECT_OUTPUT_MAX) {
				ret = HF_VALID_UNCHECKED;
				goto out;
			}
		} while (br == BZ_OK && (z.avail_in > 0 || z.avail_out == 0));
		if (br != BZ_STREAM_END)
			goto out;
		off = (size_t)((const uint8_t *)z.next_in - p);
		BZ2_bzDecompressEnd(&z);
		inited = 0;
		if (off == n || all_zero(p + off, n - off))
			break;
		if (n - off < 3 || p[off] != 'B' || p[off + 1] != 'Z' || p[off + 2] != 'h')
			goto out;
	}
	ret = HF_VALID_YES;
out:
	if (inited)
		BZ2_bzDecompressEnd(&z);
	free(out);
	return ret;
}

int hf_detect_stream_type(unsigned type)
{
	return type == HF_CT_GZIP || type == HF_CT_XZ || type == HF_CT_ZSTD || type == HF_CT_BZIP2;
}

/* validation (put NULL) and hf_detect_decode_stream alike */
int hf_detect_decode_stream(const uint8_t *data, size_t n, unsigned type, hf_detect_sink put, void *arg)
{
	switch (type) {
	case HF_CT_GZIP:
		if (!put) {
			int r = validate_gzip_whole(data, n);
			if (r >= 0)
				return r;
		}
		return decode_gzip(data, n, put, arg);
	case HF_CT_XZ:
		return decode_xz(data, n, put, arg);
	case HF_CT_ZSTD:
		return decode_zstd(data, n, put, arg);
	case HF_CT_BZIP2:
		return decode_bzip2(data, n, put, arg);
	}
	return HF_VALID_UNCHECKED;
}
