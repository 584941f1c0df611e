/* fuzz_pack_header.c — fuzz target for hf_pack_header_decode, the decrypted
 * header of a pack (the list of its blobs), which check reads for every pack
 * and a recovery would rebuild the index from.
 *
 * Input: the data length (the bytes of blobs before the header: u64 little
 * endian, the first 8 bytes, zero-padded if shorter), then the plaintext
 * header. Invariants: a failed decode returns no entries; a decoded header
 * has entries of a known type with known flags, stored lengths between the
 * AEAD overhead and the largest blob plus it, raw lengths within the
 * largest blob, at offsets that are exactly the running sum of the stored
 * lengths from 0 (no 32-bit wrap) and that fit in the data length; it
 * encodes back to exactly the input bytes; it decodes again with the data
 * length cut to what the entries use, and not with one byte less. */
#include <stdlib.h>
#include <string.h>

#include "fuzz_assert.h"
#include "repo/repo_internal.h"
#include "util/buf.h"

#define FUZZ_NAME "pack_header"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hf_pack_entry *e = NULL, *e2 = NULL;
	uint8_t lenbuf[8] = {0};
	const uint8_t *p = data + (size < 8 ? size : 8);
	size_t n = size - (size_t)(p - data), count = 0, count2 = 0;
	uint64_t data_len, off = 0;
	struct hf_buf b;

	if (size)
		memcpy(lenbuf, data, p - data);
	data_len = hf_get_le64(lenbuf);
	if (hf_pack_header_decode(p, n, data_len, &e, &count) < 0) {
		FUZZ_ASSERT(e == NULL && count == 0);
		return 0;
	}
	FUZZ_ASSERT(e != NULL);
	FUZZ_ASSERT(count <= n / 36); /* each entry takes at least 36 bytes */
	for (size_t i = 0; i < count; i++) {
		FUZZ_ASSERT(e[i].type == HF_BLOB_DATA || e[i].type == HF_BLOB_TREE);
		FUZZ_ASSERT((e[i].flags & ~HF_BLOB_F_ZSTD) == 0);
		FUZZ_ASSERT(e[i].stored_len >= HF_AEAD_OVERHEAD && e[i].stored_len <= HF_BLOB_MAX + HF_AEAD_OVERHEAD);
		FUZZ_ASSERT(e[i].raw_len <= HF_BLOB_MAX);
		FUZZ_ASSERT(e[i].offset == off);
		off += e[i].stored_len;
		FUZZ_ASSERT(off <= data_len);
	}

	hf_buf_init(&b, n + 64);
	FUZZ_ASSERT(hf_pack_header_encode(e, count, &b) == 0);
	FUZZ_ASSERT(b.len == n && memcmp(b.data, p, n) == 0);
	FUZZ_ASSERT(hf_pack_header_decode(b.data, b.len, off, &e2, &count2) == 0);
	FUZZ_ASSERT(count2 == count && memcmp(e2, e, count * sizeof(*e)) == 0);
	free(e2);
	if (off > 0) {
		e2 = NULL;
		FUZZ_ASSERT(hf_pack_header_decode(b.data, b.len, off - 1, &e2, &count2) < 0);
		FUZZ_ASSERT(e2 == NULL && count2 == 0);
	}
	free(e);
	hf_buf_release(&b);
	return 0;
}

#include "fuzz_main.h"
