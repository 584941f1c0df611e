/* buf.h — bounded growable byte buffers and a bounds-checked reader.
 *
 * struct hf_buf grows on demand but never beyond its `max` (-HF_E_LIMIT).
 * struct hf_reader parses untrusted bytes: every getter checks the remaining
 * length and returns -HF_E_CORRUPT instead of reading past the end.
 * Integers are little-endian; varints are unsigned LEB128 (at most 10 bytes). */
#ifndef HF_UTIL_BUF_H
#define HF_UTIL_BUF_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

struct hf_buf {
	uint8_t *data;
	size_t len;
	size_t cap;
	size_t max;
	int huge; /* hf_buf_huge_pages */
};

void hf_buf_init(struct hf_buf *b, size_t max);
/* b will hold megabytes that are written once and read many times (a
 * whole pack in memory): back it by transparent huge pages where the
 * kernel lets a program ask (a page fault per 2 MiB, not per 4 KiB) */
void hf_buf_huge_pages(struct hf_buf *b);
void hf_buf_release(struct hf_buf *b);
void hf_buf_reset(struct hf_buf *b); /* len = 0, keeps memory */
HF_MUST_USE int hf_buf_reserve(struct hf_buf *b, size_t extra);
/* room for `extra` more bytes if b may grow that far: a hint (a body's
 * announced length), so a failure is left for the appends to report */
void hf_buf_expect(struct hf_buf *b, size_t extra);
HF_MUST_USE int hf_buf_append(struct hf_buf *b, const void *p, size_t n);
HF_MUST_USE int hf_buf_put_u8(struct hf_buf *b, uint8_t v);
HF_MUST_USE int hf_buf_put_u32(struct hf_buf *b, uint32_t v);
HF_MUST_USE int hf_buf_put_u64(struct hf_buf *b, uint64_t v);
HF_MUST_USE int hf_buf_put_varint(struct hf_buf *b, uint64_t v);
HF_MUST_USE int hf_buf_put_svarint(struct hf_buf *b, int64_t v); /* zigzag */
/* varint length, then the bytes */
HF_MUST_USE int hf_buf_put_bytes(struct hf_buf *b, const void *p, size_t n);
HF_MUST_USE int hf_buf_put_str(struct hf_buf *b, const char *s); /* NULL → empty */

struct hf_reader {
	const uint8_t *p;
	size_t len;
	size_t off;
};

void hf_reader_init(struct hf_reader *r, const void *p, size_t len);
size_t hf_reader_left(const struct hf_reader *r);
HF_MUST_USE int hf_rd_u8(struct hf_reader *r, uint8_t *v);
HF_MUST_USE int hf_rd_u32(struct hf_reader *r, uint32_t *v);
HF_MUST_USE int hf_rd_u64(struct hf_reader *r, uint64_t *v);
HF_MUST_USE int hf_rd_varint(struct hf_reader *r, uint64_t *v);
HF_MUST_USE int hf_rd_svarint(struct hf_reader *r, int64_t *v);
/* n raw bytes; *p points into the reader's memory */
HF_MUST_USE int hf_rd_raw(struct hf_reader *r, const uint8_t **p, size_t n);
/* varint length (≤ max), then bytes; *p borrowed */
HF_MUST_USE int hf_rd_bytes(struct hf_reader *r, const uint8_t **p, size_t *n, size_t max);
/* like hf_rd_bytes but returns a malloc'd NUL-terminated copy (may hold NULs) */
HF_MUST_USE int hf_rd_strdup(struct hf_reader *r, char **s, size_t *n, size_t max);

static inline void hf_put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}
static inline uint32_t hf_get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint32_t hf_get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}
static inline void hf_put_le64(uint8_t *p, uint64_t v)
{
	hf_put_le32(p, (uint32_t)v);
	hf_put_le32(p + 4, (uint32_t)(v >> 32));
}
static inline uint64_t hf_get_le64(const uint8_t *p)
{
	return (uint64_t)hf_get_le32(p) | (uint64_t)hf_get_le32(p + 4) << 32;
}

#endif
