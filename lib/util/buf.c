/* buf.c — bounded growable buffers (writer) and a bounds-checked reader.
 *
 * Writers never grow past b->max and either append a whole field or nothing.
 * Readers treat their input as hostile: a getter that fails returns
 * -HF_E_CORRUPT and leaves the read offset where it was. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "util/buf.h"
#include "util/err.h"

#define HF_BUF_MIN_CAP 64
#define HF_HUGE_PAGE ((uintptr_t)2 << 20)
#define HF_VARINT_MAX 10

void hf_buf_init(struct hf_buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
	b->huge = 0;
}

void hf_buf_huge_pages(struct hf_buf *b)
{
	b->huge = 1;
}

void hf_buf_release(struct hf_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

void hf_buf_reset(struct hf_buf *b)
{
	b->len = 0;
}

/* Asks for transparent huge pages over the 2 MiB pages inside p..p+n
 * (restoring from a server, whole packs in memory: 5-10% less time). Not
 * for every large buffer: one filled only in part (a backup's pack being
 * built) would hold whole 2 MiB pages for it, and its peak RSS grew by up
 * to 9%. Only a hint: where the kernel has them off, nothing changes. */
static void advise_huge(void *p, size_t n)
{
	uintptr_t from = ((uintptr_t)p + HF_HUGE_PAGE - 1) & ~(HF_HUGE_PAGE - 1);
	uintptr_t to = ((uintptr_t)p + n) & ~(HF_HUGE_PAGE - 1);

	if (to > from)
		(void)madvise((void *)from, to - from, MADV_HUGEPAGE); /* refused: the buffer works as it is */
}

int hf_buf_reserve(struct hf_buf *b, size_t extra)
{
	size_t need, ncap;
	uint8_t *p;

	if (__builtin_add_overflow(b->len, extra, &need) || need > b->max)
		return -HF_E_LIMIT;
	if (need <= b->cap)
		return 0;
	ncap = b->cap ? b->cap : HF_BUF_MIN_CAP;
	while (ncap < need) {
		if (ncap > SIZE_MAX / 2) {
			ncap = need;
			break;
		}
		ncap *= 2;
	}
	if (ncap > b->max)
		ncap = b->max;
	p = realloc(b->data, ncap);
	if (!p)
		return -ENOMEM;
	b->data = p;
	b->cap = ncap;
	if (b->huge)
		advise_huge(p, ncap);
	return 0;
}

void hf_buf_expect(struct hf_buf *b, size_t extra)
{
	if (hf_buf_reserve(b, extra) < 0)
		return; /* too large or no memory: the append that needs it fails */
}

int hf_buf_append(struct hf_buf *b, const void *p, size_t n)
{
	int r;

	if (n == 0)
		return 0;
	r = hf_buf_reserve(b, n);
	if (r < 0)
		return r;
	memcpy(b->data + b->len, p, n);
	b->len += n;
	return 0;
}

int hf_buf_put_u8(struct hf_buf *b, uint8_t v)
{
	return hf_buf_append(b, &v, 1);
}

int hf_buf_put_u32(struct hf_buf *b, uint32_t v)
{
	uint8_t t[4];

	hf_put_le32(t, v);
	return hf_buf_append(b, t, sizeof(t));
}

int hf_buf_put_u64(struct hf_buf *b, uint64_t v)
{
	uint8_t t[8];

	hf_put_le64(t, v);
	return hf_buf_append(b, t, sizeof(t));
}

static size_t varint_encode(uint8_t out[HF_VARINT_MAX], uint64_t v)
{
	size_t n = 0;

	while (v >= 0x80) {
		out[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	out[n++] = (uint8_t)v;
	return n;
}

int hf_buf_put_varint(struct hf_buf *b, uint64_t v)
{
	uint8_t t[HF_VARINT_MAX];

	return hf_buf_append(b, t, varint_encode(t, v));
}

int hf_buf_put_svarint(struct hf_buf *b, int64_t v)
{
	uint64_t u = (uint64_t)v << 1;

	return hf_buf_put_varint(b, v < 0 ? ~u : u);
}

int hf_buf_put_bytes(struct hf_buf *b, const void *p, size_t n)
{
	uint8_t t[HF_VARINT_MAX];
	size_t tl = varint_encode(t, n), total;
	int r;

	/* reserve length and payload together so a failure appends nothing */
	if (__builtin_add_overflow(tl, n, &total))
		return -HF_E_LIMIT;
	r = hf_buf_reserve(b, total);
	if (r < 0)
		return r;
	memcpy(b->data + b->len, t, tl);
	if (n)
		memcpy(b->data + b->len + tl, p, n);
	b->len += total;
	return 0;
}

int hf_buf_put_str(struct hf_buf *b, const char *s)
{
	return hf_buf_put_bytes(b, s, s ? strlen(s) : 0);
}

void hf_reader_init(struct hf_reader *r, const void *p, size_t len)
{
	/* never NULL, so that pointer arithmetic on an empty reader stays defined */
	r->p = p ? p : (const uint8_t *)"";
	r->len = p ? len : 0;
	r->off = 0;
}

size_t hf_reader_left(const struct hf_reader *r)
{
	return r->len - r->off;
}

int hf_rd_raw(struct hf_reader *r, const uint8_t **p, size_t n)
{
	if (n > hf_reader_left(r))
		return -HF_E_CORRUPT;
	*p = r->p + r->off;
	r->off += n;
	return 0;
}

int hf_rd_u8(struct hf_reader *r, uint8_t *v)
{
	const uint8_t *p;
	int e = hf_rd_raw(r, &p, 1);

	if (e < 0)
		return e;
	*v = p[0];
	return 0;
}

int hf_rd_u32(struct hf_reader *r, uint32_t *v)
{
	const uint8_t *p;
	int e = hf_rd_raw(r, &p, 4);

	if (e < 0)
		return e;
	*v = hf_get_le32(p);
	return 0;
}

int hf_rd_u64(struct hf_reader *r, uint64_t *v)
{
	const uint8_t *p;
	int e = hf_rd_raw(r, &p, 8);

	if (e < 0)
		return e;
	*v = hf_get_le64(p);
	return 0;
}

int hf_rd_varint(struct hf_reader *r, uint64_t *v)
{
	size_t left = hf_reader_left(r), i;
	const uint8_t *p = r->p + r->off;
	uint64_t x = 0;

	for (i = 0; i < HF_VARINT_MAX && i < left; i++) {
		uint8_t c = p[i];

		/* the 10th byte carries only bit 63 */
		if (i == HF_VARINT_MAX - 1 && c > 1)
			return -HF_E_CORRUPT;
		x |= (uint64_t)(c & 0x7f) << (7 * i);
		if (!(c & 0x80)) {
			/* a trailing zero byte means a shorter encoding existed */
			if (c == 0 && i > 0)
				return -HF_E_CORRUPT;
			r->off += i + 1;
			*v = x;
			return 0;
		}
	}
	return -HF_E_CORRUPT; /* truncated, or continuation past 10 bytes */
}

int hf_rd_svarint(struct hf_reader *r, int64_t *v)
{
	uint64_t u;
	int e = hf_rd_varint(r, &u);

	if (e < 0)
		return e;
	u = (u >> 1) ^ (0 - (u & 1));
	memcpy(v, &u, sizeof(*v)); /* two's-complement reinterpretation, no UB */
	return 0;
}

int hf_rd_bytes(struct hf_reader *r, const uint8_t **p, size_t *n, size_t max)
{
	size_t save = r->off;
	uint64_t len;
	int e;

	e = hf_rd_varint(r, &len);
	if (e < 0)
		return e;
	if (len > max || len > hf_reader_left(r)) {
		r->off = save;
		return -HF_E_CORRUPT;
	}
	*n = (size_t)len;
	*p = r->p + r->off;
	r->off += (size_t)len;
	return 0;
}

int hf_rd_strdup(struct hf_reader *r, char **s, size_t *n, size_t max)
{
	size_t save = r->off, len;
	const uint8_t *p;
	char *q;
	int e;

	e = hf_rd_bytes(r, &p, &len, max);
	if (e < 0)
		return e;
	/* len ≤ hf_reader_left() ≤ the input size, so len + 1 cannot overflow */
	q = malloc(len + 1);
	if (!q) {
		r->off = save;
		return -ENOMEM;
	}
	if (len)
		memcpy(q, p, len);
	q[len] = '\0';
	*s = q;
	if (n)
		*n = len;
	return 0;
}
