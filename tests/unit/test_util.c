/* test_util.c — unit tests for lib/util: errors, buffers and the reader
 * (round trips, varint edge cases, truncation and bit-flip loops), hex,
 * the bounded queue under 2 producers + 2 consumers, and the id map with
 * a million ids. */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "t.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/hex.h"
#include "util/idmap.h"
#include "util/mem.h"
#include "util/queue.h"

static uint64_t splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void test_strerror(void)
{
	char unk[64];

	T_CHECK(strcmp(hf_strerror(-HF_E_PASSWORD), "wrong passphrase: no key file opens with it") == 0);
	T_CHECK(strcmp(hf_strerror(-HF_E_CORRUPT), "repository data is corrupt") == 0);
	T_CHECK(strstr(hf_strerror(-HF_E_AUTH), "authentication failed") != NULL);
	T_CHECK(strcmp(hf_strerror(HF_E_CORRUPT), hf_strerror(-HF_E_CORRUPT)) == 0);
	for (int e = HF_E_BASE + 1; e < HF_E_MAX; e++)
		T_CHECK(strncmp(hf_strerror(-e), "unknown", 7) != 0);
	T_CHECK(strcmp(hf_strerror(-ENOENT), "No such file or directory") == 0);
	T_CHECK(strcmp(hf_strerror(0), "success") == 0);
	snprintf(unk, sizeof(unk), "unknown error %d", HF_E_MAX);
	T_CHECK(strcmp(hf_strerror(-HF_E_MAX), unk) == 0);
	T_CHECK(strncmp(hf_strerror(-HF_E_BASE), "unknown", 7) == 0);
	T_CHECK(strncmp(hf_strerror(-5000), "unknown", 7) == 0);
	T_CHECK(hf_strerror(-2147483647 - 1) != NULL);
}

static void test_mem(void)
{
	size_t r = 0;
	char *s;
	int *a;

	T_EQ(hf_mul_ok(SIZE_MAX / 2 + 1, 2, &r), -HF_E_LIMIT);
	T_EQ(hf_mul_ok(1000, 1000, &r), 0);
	T_EQ(r, 1000000);
	s = hf_xmemdup("ab\0cd", 5);
	T_MEMEQ(s, "ab\0cd\0", 6);
	free(s);
	s = hf_xstrdup("hello");
	T_CHECK(strcmp(s, "hello") == 0);
	free(s);
	a = hf_xreallocarray(NULL, 10, sizeof(int));
	a[9] = 7;
	a = hf_xreallocarray(a, 20, sizeof(int));
	T_EQ(a[9], 7);
	free(a);
	a = hf_xcalloc(4, sizeof(int));
	T_EQ(a[0] | a[1] | a[2] | a[3], 0);
	free(a);
	free(hf_xmalloc(0));
	free(hf_try_malloc(0));
}

static void test_buf_roundtrip(void)
{
	static const uint64_t u64s[] = {
		0, 1, 127, 128, 255, 16383, 16384, 0xffffffffULL, 0x100000000ULL, 0x7fffffffffffffffULL, UINT64_MAX};
	static const int64_t s64s[] = {0, 1, -1, 63, -64, 64, -65, INT64_MAX, INT64_MIN, INT64_MIN + 1};
	struct hf_buf b;
	struct hf_reader r;
	const uint8_t *p;
	size_t n, i;
	uint8_t u8;
	uint32_t u32;
	uint64_t u64;
	int64_t s64;
	char *s;

	hf_buf_init(&b, 1 << 20);
	T_EQ(hf_buf_put_u8(&b, 0), 0);
	T_EQ(hf_buf_put_u8(&b, 0xff), 0);
	T_EQ(hf_buf_put_u32(&b, 0), 0);
	T_EQ(hf_buf_put_u32(&b, 0xdeadbeef), 0);
	for (i = 0; i < sizeof(u64s) / sizeof(u64s[0]); i++) {
		T_EQ(hf_buf_put_u64(&b, u64s[i]), 0);
		T_EQ(hf_buf_put_varint(&b, u64s[i]), 0);
	}
	for (i = 0; i < sizeof(s64s) / sizeof(s64s[0]); i++)
		T_EQ(hf_buf_put_svarint(&b, s64s[i]), 0);
	T_EQ(hf_buf_put_bytes(&b, "x\0y", 3), 0);
	T_EQ(hf_buf_put_bytes(&b, NULL, 0), 0);
	T_EQ(hf_buf_put_str(&b, "hello"), 0);
	T_EQ(hf_buf_put_str(&b, NULL), 0);
	T_EQ(hf_buf_append(&b, "RAW", 3), 0);
	T_CHECK(b.len <= b.cap && b.cap <= b.max);

	hf_reader_init(&r, b.data, b.len);
	T_EQ(hf_rd_u8(&r, &u8), 0);
	T_EQ(u8, 0);
	T_EQ(hf_rd_u8(&r, &u8), 0);
	T_EQ(u8, 0xff);
	T_EQ(hf_rd_u32(&r, &u32), 0);
	T_EQ(u32, 0);
	T_EQ(hf_rd_u32(&r, &u32), 0);
	T_EQ(u32, 0xdeadbeef);
	for (i = 0; i < sizeof(u64s) / sizeof(u64s[0]); i++) {
		T_EQ(hf_rd_u64(&r, &u64), 0);
		T_CHECK(u64 == u64s[i]);
		T_EQ(hf_rd_varint(&r, &u64), 0);
		T_CHECK(u64 == u64s[i]);
	}
	for (i = 0; i < sizeof(s64s) / sizeof(s64s[0]); i++) {
		T_EQ(hf_rd_svarint(&r, &s64), 0);
		T_CHECK(s64 == s64s[i]);
	}
	T_EQ(hf_rd_bytes(&r, &p, &n, 3), 0);
	T_EQ(n, 3);
	T_MEMEQ(p, "x\0y", 3);
	T_EQ(hf_rd_bytes(&r, &p, &n, 0), 0);
	T_EQ(n, 0);
	T_EQ(hf_rd_strdup(&r, &s, &n, 100), 0);
	T_EQ(n, 5);
	T_CHECK(strcmp(s, "hello") == 0);
	free(s);
	T_EQ(hf_rd_strdup(&r, &s, NULL, 100), 0);
	T_CHECK(strcmp(s, "") == 0);
	free(s);
	T_EQ(hf_rd_raw(&r, &p, 3), 0);
	T_MEMEQ(p, "RAW", 3);
	T_EQ(hf_reader_left(&r), 0);
	T_EQ(hf_rd_u8(&r, &u8), -HF_E_CORRUPT);
	T_EQ(hf_rd_raw(&r, &p, 0), 0);

	/* little-endian layout is part of the on-disk format */
	hf_buf_reset(&b);
	T_EQ(b.len, 0);
	T_EQ(hf_buf_put_u32(&b, 0x04030201), 0);
	T_EQ(hf_buf_put_u64(&b, 0x0c0b0a0908070605ULL), 0);
	T_MEMEQ(b.data, "\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c", 12);

	/* a long string crosses several doublings */
	hf_buf_reset(&b);
	for (i = 0; i < 10000; i++)
		T_EQ(hf_buf_put_u8(&b, (uint8_t)i), 0);
	for (i = 0; i < 10000; i++)
		if (b.data[i] != (uint8_t)i)
			break;
	T_EQ(i, 10000);
	hf_buf_release(&b);
	T_CHECK(b.data == NULL);
	hf_buf_release(&b); /* twice is harmless */

	/* an empty reader over NULL */
	hf_reader_init(&r, NULL, 5);
	T_EQ(hf_reader_left(&r), 0);
	T_EQ(hf_rd_varint(&r, &u64), -HF_E_CORRUPT);
	T_EQ(hf_rd_raw(&r, &p, 0), 0);
}

static int rd_varint_of(const void *p, size_t n, uint64_t *v, size_t *used)
{
	struct hf_reader r;
	uint8_t *copy = hf_xmemdup(p, n); /* exact-size heap copy: ASan sees overreads */
	int e;

	hf_reader_init(&r, copy, n);
	e = hf_rd_varint(&r, v);
	*used = r.off;
	free(copy);
	return e;
}

static void test_varint_edges(void)
{
	struct hf_buf b;
	uint64_t v, seed = 1;
	size_t used, i;
	int64_t sv;

	hf_buf_init(&b, 64);
	T_EQ(hf_buf_put_varint(&b, 0), 0);
	T_EQ(b.len, 1);
	T_MEMEQ(b.data, "\x00", 1);
	hf_buf_reset(&b);
	T_EQ(hf_buf_put_varint(&b, 127), 0);
	T_EQ(b.len, 1);
	T_MEMEQ(b.data, "\x7f", 1);
	hf_buf_reset(&b);
	T_EQ(hf_buf_put_varint(&b, 128), 0);
	T_EQ(b.len, 2);
	T_MEMEQ(b.data, "\x80\x01", 2);
	hf_buf_reset(&b);
	T_EQ(hf_buf_put_varint(&b, UINT64_MAX), 0);
	T_EQ(b.len, 10);
	T_MEMEQ(b.data, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 10);
	hf_buf_reset(&b);
	T_EQ(hf_buf_put_svarint(&b, -1), 0);
	T_EQ(hf_buf_put_svarint(&b, 1), 0);
	T_EQ(hf_buf_put_svarint(&b, INT64_MIN), 0);
	T_MEMEQ(b.data, "\x01\x02\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 12);
	hf_buf_release(&b);

	T_EQ(rd_varint_of("\x00", 1, &v, &used), 0);
	T_CHECK(v == 0 && used == 1);
	T_EQ(rd_varint_of("\x7f\x55", 2, &v, &used), 0);
	T_CHECK(v == 127 && used == 1);
	T_EQ(rd_varint_of("\x80\x01", 2, &v, &used), 0);
	T_CHECK(v == 128 && used == 2);
	T_EQ(rd_varint_of("\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 10, &v, &used), 0);
	T_CHECK(v == UINT64_MAX && used == 10);
	/* overlong: a shorter encoding of the same value exists */
	T_EQ(rd_varint_of("\x80\x00", 2, &v, &used), -HF_E_CORRUPT);
	T_EQ(rd_varint_of("\xff\x00", 2, &v, &used), -HF_E_CORRUPT);
	T_EQ(rd_varint_of("\x80\x80\x80\x80\x80\x80\x80\x80\x80\x00", 10, &v, &used), -HF_E_CORRUPT);
	/* overflow: bits beyond 64 */
	T_EQ(rd_varint_of("\xff\xff\xff\xff\xff\xff\xff\xff\xff\x02", 10, &v, &used), -HF_E_CORRUPT);
	T_EQ(rd_varint_of("\xff\xff\xff\xff\xff\xff\xff\xff\xff\x7f", 10, &v, &used), -HF_E_CORRUPT);
	/* more than 10 bytes */
	T_EQ(rd_varint_of("\x80\x80\x80\x80\x80\x80\x80\x80\x80\x81\x01", 11, &v, &used), -HF_E_CORRUPT);
	/* truncated; a failed read does not move the offset */
	T_EQ(rd_varint_of("", 0, &v, &used), -HF_E_CORRUPT);
	T_EQ(rd_varint_of("\x80", 1, &v, &used), -HF_E_CORRUPT);
	T_EQ(used, 0);
	T_EQ(rd_varint_of("\xff\xff\xff\xff\xff\xff\xff\xff\xff", 9, &v, &used), -HF_E_CORRUPT);

	/* random round trips, including every bit length */
	hf_buf_init(&b, 1 << 20);
	for (i = 0; i < 64; i++) {
		T_EQ(hf_buf_put_varint(&b, (uint64_t)1 << i), 0);
		T_EQ(hf_buf_put_varint(&b, ((uint64_t)1 << i) - 1), 0);
	}
	for (i = 0; i < 20000; i++) {
		uint64_t x = splitmix(&seed) >> (splitmix(&seed) & 63);

		T_EQ(hf_buf_put_varint(&b, x), 0);
		T_EQ(hf_buf_put_svarint(&b, (int64_t)x), 0);
		T_EQ(hf_buf_put_svarint(&b, -(int64_t)(x >> 1)), 0);
	}
	{
		struct hf_reader r;
		int bad = 0;

		hf_reader_init(&r, b.data, b.len);
		for (i = 0; i < 64; i++) {
			bad |= hf_rd_varint(&r, &v) < 0 || v != (uint64_t)1 << i;
			bad |= hf_rd_varint(&r, &v) < 0 || v != ((uint64_t)1 << i) - 1;
		}
		seed = 1;
		for (i = 0; i < 20000; i++) {
			uint64_t x = splitmix(&seed) >> (splitmix(&seed) & 63);

			bad |= hf_rd_varint(&r, &v) < 0 || v != x;
			bad |= hf_rd_svarint(&r, &sv) < 0 || sv != (int64_t)x;
			bad |= hf_rd_svarint(&r, &sv) < 0 || sv != -(int64_t)(x >> 1);
		}
		T_EQ(bad, 0);
		T_EQ(hf_reader_left(&r), 0);
	}
	hf_buf_release(&b);
}

/* A record of mixed fields, as a format parser would read it. */
static int parse_record(const uint8_t *p, size_t n)
{
	struct hf_reader r;
	const uint8_t *q;
	char *s = NULL;
	size_t len;
	uint8_t u8;
	uint32_t u32;
	uint64_t u64;
	int64_t s64;
	int e;

	hf_reader_init(&r, p, n);
	if ((e = hf_rd_u8(&r, &u8)) < 0)
		goto out;
	if ((e = hf_rd_u32(&r, &u32)) < 0)
		goto out;
	if ((e = hf_rd_varint(&r, &u64)) < 0)
		goto out;
	if ((e = hf_rd_svarint(&r, &s64)) < 0)
		goto out;
	if ((e = hf_rd_bytes(&r, &q, &len, 64)) < 0)
		goto out;
	if ((e = hf_rd_strdup(&r, &s, &len, 64)) < 0)
		goto out;
	if ((e = hf_rd_u64(&r, &u64)) < 0)
		goto out;
	if ((e = hf_rd_raw(&r, &q, 4)) < 0)
		goto out;
	if ((e = hf_rd_varint(&r, &u64)) < 0)
		goto out;
	e = hf_reader_left(&r) == 0 ? 0 : -HF_E_CORRUPT;
out:
	free(s);
	return e;
}

static void test_reader_truncation_and_flips(void)
{
	struct hf_buf b;
	size_t n, bit;
	int fails = 0, crashes = 0;

	hf_buf_init(&b, 4096);
	T_EQ(hf_buf_put_u8(&b, 7), 0);
	T_EQ(hf_buf_put_u32(&b, 123456), 0);
	T_EQ(hf_buf_put_varint(&b, 300), 0);
	T_EQ(hf_buf_put_svarint(&b, -5000), 0);
	T_EQ(hf_buf_put_bytes(&b, "0123456789abcdef0123456789abcdef", 32), 0);
	T_EQ(hf_buf_put_str(&b, "snapshot-name"), 0);
	T_EQ(hf_buf_put_u64(&b, 0x1122334455667788ULL), 0);
	T_EQ(hf_buf_append(&b, "TAIL", 4), 0);
	T_EQ(hf_buf_put_varint(&b, UINT64_MAX), 0);

	T_EQ(parse_record(b.data, b.len), 0);
	for (n = 0; n < b.len; n++) {
		uint8_t *copy = hf_xmemdup(b.data, n);

		if (parse_record(copy, n) >= 0)
			fails++;
		free(copy);
	}
	T_EQ(fails, 0);
	/* trailing garbage is refused too */
	{
		uint8_t *copy = hf_xmalloc(b.len + 1);

		memcpy(copy, b.data, b.len);
		copy[b.len] = 0;
		T_EQ(parse_record(copy, b.len + 1), -HF_E_CORRUPT);
		free(copy);
	}
	/* every single-bit flip: must not crash; errors are all -HF_E_CORRUPT */
	for (bit = 0; bit < b.len * 8; bit++) {
		uint8_t *copy = hf_xmemdup(b.data, b.len);
		int e;

		copy[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		e = parse_record(copy, b.len);
		if (e < 0 && e != -HF_E_CORRUPT)
			crashes++;
		free(copy);
	}
	T_EQ(crashes, 0);
	hf_buf_release(&b);
}

static void test_buf_limit(void)
{
	struct hf_buf b;
	uint8_t block[100];

	memset(block, 'z', sizeof(block));
	hf_buf_init(&b, 100);
	T_EQ(hf_buf_append(&b, block, 60), 0);
	T_EQ(hf_buf_append(&b, block, 40), 0);
	T_EQ(b.len, 100);
	T_CHECK(b.cap == 100);
	T_EQ(hf_buf_put_u8(&b, 1), -HF_E_LIMIT);
	T_EQ(hf_buf_append(&b, block, 0), 0);
	T_EQ(b.len, 100);
	hf_buf_reset(&b);
	T_EQ(hf_buf_append(&b, block, 95), 0);
	T_EQ(hf_buf_put_u64(&b, 1), -HF_E_LIMIT);
	T_EQ(hf_buf_put_bytes(&b, block, 5), -HF_E_LIMIT); /* 1 + 5 > 5: nothing appended */
	T_EQ(b.len, 95);
	T_EQ(hf_buf_put_bytes(&b, block, 4), 0);
	T_EQ(b.len, 100);
	T_EQ(hf_buf_reserve(&b, SIZE_MAX), -HF_E_LIMIT);
	T_EQ(hf_buf_put_bytes(&b, block, SIZE_MAX - 3), -HF_E_LIMIT);
	T_CHECK(b.cap <= b.max);
	hf_buf_release(&b);

	hf_buf_init(&b, 0);
	T_EQ(hf_buf_put_u8(&b, 1), -HF_E_LIMIT);
	T_EQ(hf_buf_reserve(&b, 0), 0);
	hf_buf_release(&b);

	hf_buf_init(&b, SIZE_MAX);
	T_EQ(hf_buf_reserve(&b, 1000), 0);
	T_CHECK(b.cap >= 1000);
	hf_buf_release(&b);

	/* bounded reads */
	{
		struct hf_reader r;
		const uint8_t *p;
		size_t n;
		char *s;

		hf_buf_init(&b, 100);
		T_EQ(hf_buf_put_bytes(&b, block, 50), 0);
		hf_reader_init(&r, b.data, b.len);
		T_EQ(hf_rd_bytes(&r, &p, &n, 49), -HF_E_CORRUPT);
		T_EQ(r.off, 0);
		T_EQ(hf_rd_strdup(&r, &s, &n, 49), -HF_E_CORRUPT);
		T_EQ(r.off, 0);
		T_EQ(hf_rd_bytes(&r, &p, &n, 50), 0);
		/* a length that claims more than is there */
		hf_buf_reset(&b);
		T_EQ(hf_buf_put_varint(&b, 1000), 0);
		T_EQ(hf_buf_append(&b, block, 10), 0);
		hf_reader_init(&r, b.data, b.len);
		T_EQ(hf_rd_bytes(&r, &p, &n, SIZE_MAX), -HF_E_CORRUPT);
		T_EQ(r.off, 0);
		hf_buf_reset(&b);
		T_EQ(hf_buf_put_varint(&b, UINT64_MAX), 0);
		hf_reader_init(&r, b.data, b.len);
		T_EQ(hf_rd_strdup(&r, &s, &n, SIZE_MAX), -HF_E_CORRUPT);
		hf_buf_release(&b);
	}
}

static void test_hex(void)
{
	uint8_t in[256], out[256];
	char s[513];
	size_t i;

	for (i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)i;
	hf_hex_encode(in, sizeof(in), s);
	T_EQ(strlen(s), 512);
	T_CHECK(strncmp(s, "000102", 6) == 0);
	T_CHECK(strcmp(s + 506, "fdfeff") == 0);
	T_EQ(hf_hex_decode(s, out, sizeof(out)), 0);
	T_MEMEQ(in, out, sizeof(in));
	hf_hex_encode(in, 0, s);
	T_EQ(s[0], '\0');
	T_EQ(hf_hex_decode("", out, 0), 0);

	T_EQ(hf_hex_decode("DEADbeef", out, 4), 0);
	T_MEMEQ(out, "\xde\xad\xbe\xef", 4);
	memset(out, 0x55, 4);
	T_EQ(hf_hex_decode("deadbeeg", out, 4), -HF_E_USAGE);
	T_EQ(hf_hex_decode("deadbee", out, 4), -HF_E_USAGE);   /* short */
	T_EQ(hf_hex_decode("deadbeef0", out, 4), -HF_E_USAGE); /* long */
	T_EQ(hf_hex_decode("dead beef", out, 4), -HF_E_USAGE);
	T_EQ(hf_hex_decode(" deadbee", out, 4), -HF_E_USAGE);
	T_EQ(hf_hex_decode("+0", out, 1), -HF_E_USAGE);
	T_EQ(hf_hex_decode("x", out, 0), -HF_E_USAGE);
	T_EQ(hf_hex_decode(NULL, out, 1), -HF_E_USAGE);
	T_MEMEQ(out, "\x55\x55\x55\x55", 4); /* failures write nothing */
	{
		char *shorts = hf_xstrdup("ab"); /* exact heap size: no read past its NUL */

		T_EQ(hf_hex_decode(shorts, out, 32), -HF_E_USAGE);
		free(shorts);
	}
}

#define Q_PER_PRODUCER 50000
#define Q_PRODUCERS 2
#define Q_TOTAL (Q_PER_PRODUCER * Q_PRODUCERS)

struct q_arg {
	struct hf_queue *q;
	int base;
	int errors;
	unsigned char *seen; /* consumers: per-item delivery count */
	long popped;
};

static void *q_producer(void *p)
{
	struct q_arg *a = p;

	for (int i = 0; i < Q_PER_PRODUCER; i++)
		if (hf_queue_push(a->q, (void *)(uintptr_t)(a->base + i + 1)) != 0)
			a->errors++;
	return NULL;
}

static void *q_consumer(void *p)
{
	struct q_arg *a = p;
	void *item;

	while ((item = hf_queue_pop(a->q)) != NULL) {
		uintptr_t v = (uintptr_t)item - 1;

		if (v >= Q_TOTAL)
			a->errors++;
		else
			__atomic_fetch_add(&a->seen[v], 1, __ATOMIC_RELAXED);
		a->popped++;
	}
	return NULL;
}

static void *q_pop_once(void *p)
{
	struct q_arg *a = p;

	a->popped = hf_queue_pop(a->q) == NULL ? 0 : 1;
	return NULL;
}

static void *q_push_once(void *p)
{
	struct q_arg *a = p;

	a->errors = hf_queue_push(a->q, (void *)(uintptr_t)99);
	return NULL;
}

static void test_queue_mpmc(void)
{
	struct q_arg prod[Q_PRODUCERS], cons[2];
	pthread_t pt[Q_PRODUCERS], ct[2];
	unsigned char *seen = hf_xcalloc(Q_TOTAL, 1);
	struct hf_queue *q = hf_queue_new(16);
	long total = 0;
	int i, wrong = 0;

	T_CHECK(q != NULL);
	if (!q)
		goto out;
	for (i = 0; i < 2; i++) {
		cons[i] = (struct q_arg){.q = q, .seen = seen};
		T_EQ(pthread_create(&ct[i], NULL, q_consumer, &cons[i]), 0);
	}
	for (i = 0; i < Q_PRODUCERS; i++) {
		prod[i] = (struct q_arg){.q = q, .base = i * Q_PER_PRODUCER};
		T_EQ(pthread_create(&pt[i], NULL, q_producer, &prod[i]), 0);
	}
	for (i = 0; i < Q_PRODUCERS; i++) {
		pthread_join(pt[i], NULL);
		T_EQ(prod[i].errors, 0);
	}
	hf_queue_close(q);
	for (i = 0; i < 2; i++) {
		pthread_join(ct[i], NULL);
		T_EQ(cons[i].errors, 0);
		total += cons[i].popped;
	}
	T_EQ(total, Q_TOTAL);
	for (i = 0; i < Q_TOTAL; i++)
		wrong += seen[i] != 1;
	T_EQ(wrong, 0);
out:
	hf_queue_free(q);
	free(seen);
}

static void test_queue_close(void)
{
	struct hf_queue *q;
	struct q_arg a;
	pthread_t t;

	T_CHECK(hf_queue_new(0) == NULL);
	hf_queue_free(NULL);

	/* close drains what is left, then pop returns NULL; push is refused */
	q = hf_queue_new(4);
	T_EQ(hf_queue_push(q, (void *)(uintptr_t)1), 0);
	T_EQ(hf_queue_push(q, (void *)(uintptr_t)2), 0);
	T_EQ(hf_queue_push(q, NULL), -HF_E_USAGE);
	hf_queue_close(q);
	T_EQ(hf_queue_push(q, (void *)(uintptr_t)3), -HF_E_CANCELED);
	T_EQ((uintptr_t)hf_queue_pop(q), 1);
	T_EQ((uintptr_t)hf_queue_pop(q), 2);
	T_CHECK(hf_queue_pop(q) == NULL);
	T_CHECK(hf_queue_pop(q) == NULL);
	hf_queue_close(q); /* twice is harmless */
	hf_queue_free(q);

	/* a consumer blocked on an empty queue is woken by close */
	q = hf_queue_new(2);
	a = (struct q_arg){.q = q, .popped = -1};
	T_EQ(pthread_create(&t, NULL, q_pop_once, &a), 0);
	usleep(20000);
	hf_queue_close(q);
	pthread_join(t, NULL);
	T_EQ(a.popped, 0);
	hf_queue_free(q);

	/* a producer blocked on a full queue is woken by close and fails */
	q = hf_queue_new(1);
	T_EQ(hf_queue_push(q, (void *)(uintptr_t)1), 0);
	a = (struct q_arg){.q = q, .errors = 1};
	T_EQ(pthread_create(&t, NULL, q_push_once, &a), 0);
	usleep(20000);
	hf_queue_close(q);
	pthread_join(t, NULL);
	T_EQ(a.errors, -HF_E_CANCELED);
	T_EQ((uintptr_t)hf_queue_pop(q), 1);
	T_CHECK(hf_queue_pop(q) == NULL);
	hf_queue_free(q);

	/* FIFO order with wrap-around */
	q = hf_queue_new(3);
	for (uintptr_t i = 1; i < 100; i++) {
		T_EQ(hf_queue_push(q, (void *)i), 0);
		if (i >= 2)
			T_EQ((uintptr_t)hf_queue_pop(q), i - 1);
	}
	hf_queue_free(q);
}

#define MAP_N 1000000

struct val12 {
	uint32_t a, b, c; /* 12 bytes: not a multiple of 8 */
};

static void make_id(uint8_t id[HF_ID_LEN], uint64_t i)
{
	uint64_t s = i * 7919 + 17;

	for (int k = 0; k < 4; k++) {
		uint64_t x = splitmix(&s);

		memcpy(id + 8 * k, &x, 8);
	}
}

static void test_idmap_million(void)
{
	struct hf_idmap *m = hf_idmap_new(sizeof(struct val12));
	uint8_t id[HF_ID_LEN];
	const uint8_t *kid;
	struct val12 v, *got;
	size_t pos = 0, i, iter = 0;
	int bad = 0;
	void *slot;

	T_CHECK(m != NULL);
	if (!m)
		return;
	void *first = NULL;

	for (i = 0; i < MAP_N; i++) {
		make_id(id, i);
		v = (struct val12){(uint32_t)i, (uint32_t)(i * 3), 0xabcdef};
		if (hf_idmap_put(m, id, &v, i == 0 ? &first : NULL) != 1)
			bad++;
	}
	T_EQ(bad, 0);
	/* values never move: the first one's address holds through every growth */
	make_id(id, 0);
	T_CHECK(first != NULL && hf_idmap_get(m, id) == first);
	T_EQ(hf_idmap_count(m), MAP_N);
	for (i = 0; i < MAP_N; i++) {
		make_id(id, i);
		got = hf_idmap_get(m, id);
		if (!got || got->a != (uint32_t)i || got->b != (uint32_t)(i * 3) || got->c != 0xabcdef)
			bad++;
	}
	T_EQ(bad, 0);
	/* duplicates: return 0, value untouched, slot points at the stored value */
	for (i = 0; i < MAP_N; i += 97) {
		make_id(id, i);
		v = (struct val12){1, 2, 3};
		slot = NULL;
		if (hf_idmap_put(m, id, &v, &slot) != 0 || slot != hf_idmap_get(m, id) ||
		    ((struct val12 *)slot)->a != (uint32_t)i)
			bad++;
	}
	T_EQ(bad, 0);
	T_EQ(hf_idmap_count(m), MAP_N);
	/* absent ids */
	for (i = MAP_N; i < MAP_N + 100000; i++) {
		make_id(id, i);
		if (hf_idmap_get(m, id) != NULL)
			bad++;
	}
	T_EQ(bad, 0);
	/* iteration visits each entry once, with its own value */
	while (hf_idmap_next(m, &pos, &kid, &slot)) {
		got = slot;
		if (got->a != iter) /* in the order of insertion */
			bad++;
		make_id(id, got->a);
		if (memcmp(id, kid, HF_ID_LEN) != 0 || got != hf_idmap_get(m, kid))
			bad++;
		iter++;
	}
	T_EQ(bad, 0);
	T_EQ(iter, MAP_N);
	T_EQ(hf_idmap_next(m, &pos, &kid, &slot), 0);
	hf_idmap_free(m);
}

static void test_idmap_edges(void)
{
	struct hf_idmap *m;
	uint8_t id[HF_ID_LEN];
	uint8_t *val;
	size_t pos = 0, n = 0;
	void *slot = NULL;
	int i, bad = 0;

	hf_idmap_free(NULL);
	T_CHECK(hf_idmap_new((size_t)1 << 30) == NULL);

	/* NULL value → zero-filled; odd value size 5 */
	m = hf_idmap_new(5);
	memset(id, 0, sizeof(id)); /* the all-zero id is a valid key */
	T_CHECK(hf_idmap_get(m, id) == NULL);
	T_EQ(hf_idmap_put(m, id, NULL, &slot), 1);
	val = slot;
	T_CHECK(val != NULL && val[0] == 0 && val[4] == 0);
	memcpy(val, "abcde", 5);
	T_CHECK(memcmp(hf_idmap_get(m, id), "abcde", 5) == 0);
	/* ids sharing the first 8 bytes collide on the hash but stay distinct */
	for (i = 1; i <= 200; i++) {
		id[31] = (uint8_t)i;
		id[20] = (uint8_t)(i >> 8);
		if (hf_idmap_put(m, id, "12345", NULL) != 1)
			bad++;
	}
	T_EQ(bad, 0);
	T_EQ(hf_idmap_count(m), 201);
	memset(id, 0, sizeof(id));
	T_CHECK(memcmp(hf_idmap_get(m, id), "abcde", 5) == 0);
	id[31] = 77;
	T_CHECK(memcmp(hf_idmap_get(m, id), "12345", 5) == 0);
	id[31] = 201;
	T_CHECK(hf_idmap_get(m, id) == NULL);
	while (hf_idmap_next(m, &pos, NULL, NULL))
		n++;
	T_EQ(n, 201);
	hf_idmap_free(m);

	/* value size 0: a set */
	m = hf_idmap_new(0);
	pos = n = 0;
	for (i = 0; i < 1000; i++) {
		make_id(id, (uint64_t)i);
		T_EQ(hf_idmap_put(m, id, NULL, NULL), 1);
	}
	make_id(id, 5);
	T_EQ(hf_idmap_put(m, id, NULL, NULL), 0);
	T_CHECK(hf_idmap_get(m, id) != NULL);
	while (hf_idmap_next(m, &pos, NULL, NULL))
		n++;
	T_EQ(n, 1000);
	hf_idmap_free(m);

	/* empty map iteration */
	m = hf_idmap_new(8);
	pos = 0;
	T_EQ(hf_idmap_next(m, &pos, NULL, NULL), 0);
	T_EQ(hf_idmap_count(m), 0);
	hf_idmap_free(m);
}

int main(void)
{
	T_RUN(test_strerror);
	T_RUN(test_mem);
	T_RUN(test_buf_roundtrip);
	T_RUN(test_varint_edges);
	T_RUN(test_reader_truncation_and_flips);
	T_RUN(test_buf_limit);
	T_RUN(test_hex);
	T_RUN(test_queue_mpmc);
	T_RUN(test_queue_close);
	T_RUN(test_idmap_million);
	T_RUN(test_idmap_edges);
	return T_DONE("test_util");
}
