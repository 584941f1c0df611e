/* compress.h — zstd compression of blobs; the only user of libzstd.
 *
 * hf_compress decides whether compression is worth it: incompressible data
 * (already compressed media, encrypted files) is detected from a sample and
 * stored raw, so it costs almost nothing. Contexts are per thread. */
#ifndef HF_COMPRESS_H
#define HF_COMPRESS_H

#include <stddef.h>

#include "util/err.h"

#define HF_COMPRESS_LEVEL_DEFAULT 3

struct hf_zctx;
HF_MUST_USE struct hf_zctx *hf_zctx_new(int level);
void hf_zctx_free(struct hf_zctx *z);

size_t hf_compress_bound(size_t n);
/* Returns 1 and sets *outlen if the compressed form was written to dst and is
 * smaller than n by a useful margin; 0 if the caller should store raw bytes;
 * < 0 on error. dst must hold hf_compress_bound(n) bytes. */
HF_MUST_USE int hf_compress(struct hf_zctx *z, const void *src, size_t n, void *dst, size_t cap, size_t *outlen);
/* Decompresses exactly raw_len bytes; any other outcome is -HF_E_CORRUPT. */
HF_MUST_USE int hf_decompress(struct hf_zctx *z, const void *src, size_t n, void *dst, size_t raw_len);

#endif
