/* fuzz_reader.c — fuzz target for the bounds-checked reader (util/buf.h),
 * which every parser of hostile bytes is built on.
 *
 * Input: byte 0 gives the number of opcodes k (mod 64), bytes 1..k are the
 * opcodes, the rest is what the reader reads. Each opcode calls one getter;
 * after every call: the offset never passes the end, a failed getter returns
 * -HF_E_CORRUPT and leaves the offset alone, and a successful one consumed
 * exactly the bytes it claims — integers decode little-endian, varints and
 * length-prefixed byte strings re-encode to exactly the bytes they came from
 * (the encoding is canonical), strdup copies are NUL-terminated. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_assert.h"
#include "util/buf.h"
#include "util/err.h"

#define FUZZ_NAME "reader"

/* the bytes consumed by the last call must equal enc */
static void same_bytes(const struct hf_reader *rd, size_t before, const struct hf_buf *enc)
{
	FUZZ_ASSERT(rd->off - before == enc->len);
	FUZZ_ASSERT(enc->len == 0 || memcmp(rd->p + before, enc->data, enc->len) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t maxes[4] = {0, 1, 16, (size_t)-1};
	struct hf_reader rd;
	struct hf_buf enc;
	size_t k;

	if (size == 0) {
		hf_reader_init(&rd, NULL, 0);
		FUZZ_ASSERT(hf_reader_left(&rd) == 0);
		return 0;
	}
	k = data[0] % 64;
	if (k > size - 1)
		k = size - 1;
	hf_reader_init(&rd, data + 1 + k, size - 1 - k);
	hf_buf_init(&enc, 1u << 20);
	for (size_t i = 0; i < k; i++) {
		uint8_t op = data[1 + i];
		size_t before = rd.off;
		const uint8_t *p = NULL;
		char *s = NULL;
		uint8_t v8;
		uint32_t v32;
		uint64_t v64;
		int64_t sv;
		size_t n = 0;
		int r;

		enc.len = 0;
		switch (op % 8) {
		case 0:
			r = hf_rd_u8(&rd, &v8);
			if (r == 0)
				FUZZ_ASSERT(rd.off == before + 1 && v8 == rd.p[before]);
			break;
		case 1:
			r = hf_rd_u32(&rd, &v32);
			if (r == 0)
				FUZZ_ASSERT(rd.off == before + 4 && v32 == hf_get_le32(rd.p + before));
			break;
		case 2:
			r = hf_rd_u64(&rd, &v64);
			if (r == 0)
				FUZZ_ASSERT(rd.off == before + 8 && v64 == hf_get_le64(rd.p + before));
			break;
		case 3:
			r = hf_rd_varint(&rd, &v64);
			if (r == 0) {
				FUZZ_ASSERT(hf_buf_put_varint(&enc, v64) == 0);
				same_bytes(&rd, before, &enc);
			}
			break;
		case 4:
			r = hf_rd_svarint(&rd, &sv);
			if (r == 0) {
				FUZZ_ASSERT(hf_buf_put_svarint(&enc, sv) == 0);
				same_bytes(&rd, before, &enc);
			}
			break;
		case 5:
			n = op >> 3; /* 0..31 */
			r = hf_rd_raw(&rd, &p, n);
			if (r == 0)
				FUZZ_ASSERT(rd.off == before + n && p == rd.p + before);
			break;
		case 6:
			r = hf_rd_bytes(&rd, &p, &n, maxes[(op >> 3) % 4]);
			if (r == 0) {
				FUZZ_ASSERT(n <= maxes[(op >> 3) % 4]);
				FUZZ_ASSERT(hf_buf_put_bytes(&enc, p, n) == 0);
				same_bytes(&rd, before, &enc);
				FUZZ_ASSERT(p + n == rd.p + rd.off);
			}
			break;
		default:
			r = hf_rd_strdup(&rd, &s, (op >> 3) % 2 ? &n : NULL, maxes[(op >> 4) % 4]);
			if (r == 0) {
				FUZZ_ASSERT(s != NULL);
				if ((op >> 3) % 2) {
					FUZZ_ASSERT(s[n] == '\0');
					FUZZ_ASSERT(hf_buf_put_bytes(&enc, s, n) == 0);
					same_bytes(&rd, before, &enc);
				}
				free(s);
			}
			break;
		}
		FUZZ_ASSERT(rd.off <= rd.len);
		FUZZ_ASSERT(hf_reader_left(&rd) == rd.len - rd.off);
		if (r < 0) {
			FUZZ_ASSERT(r == -HF_E_CORRUPT || r == -ENOMEM);
			FUZZ_ASSERT(rd.off == before);
		}
	}
	hf_buf_release(&enc);
	return 0;
}

#include "fuzz_main.h"
