/* chunker.h — keyed FastCDC content-defined chunking.
 *
 * The 256-entry gear table is derived from a secret key, so chunk boundaries do
 * not reveal content to someone without the key. Normalized chunking (two
 * masks around the average) keeps sizes close to avg. The scan is stateless:
 * the gear hash restarts at every chunk, so the cut depends only on the bytes
 * of the chunk itself — boundaries resynchronise after an insertion. */
#ifndef HF_CHUNKER_H
#define HF_CHUNKER_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define HF_CHUNK_MIN_DEFAULT (256u << 10)
#define HF_CHUNK_AVG_DEFAULT (1u << 20)
#define HF_CHUNK_MAX_DEFAULT (4u << 20)

struct hf_chunker {
	uint64_t gear[256];
	uint64_t mask_s; /* stricter mask, before avg */
	uint64_t mask_l; /* looser mask, after avg */
	uint32_t min, avg, max;
};

/* 64 ≤ min < avg < max, avg a power of two, max ≤ 64 MiB; else -HF_E_USAGE */
HF_MUST_USE int hf_chunker_init(struct hf_chunker *c, const uint8_t key[32], uint32_t min, uint32_t avg, uint32_t max);
/* Length of the next chunk at the start of p[0..n). If the data continues past
 * n (eof == 0) and no cut was found, returns 0 when n < max: the caller must
 * supply more bytes. With eof, returns at most n (n if no cut earlier). */
size_t hf_chunker_next(const struct hf_chunker *c, const uint8_t *p, size_t n, int eof);

#endif
