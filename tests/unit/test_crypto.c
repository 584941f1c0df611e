/* test_crypto.c — known-answer vectors for SHA-256 (FIPS 180) and
 * HMAC-SHA256 (RFC 4231), a cross-check of hf_mac against OpenSSL's HMAC(),
 * AEAD round trips with bit-flip, truncation and wrong-key loops, key sealing,
 * Argon2id and subkey derivation, constant-time compare and secure memory,
 * struct hf_secbuf, and that a key in use by an AEAD context is nowhere in
 * the memory a core dump would hold. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <sys/mman.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "crypto/crypto.h"
#include "util/err.h"
#include "t.h"

static int unhex(const char *s, uint8_t *out, size_t n)
{
	size_t i;

	if (strlen(s) != 2 * n)
		return -1;
	for (i = 0; i < n; i++) {
		unsigned v;

		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (uint8_t)v;
	}
	return 0;
}

static int hash_is(const uint8_t h[HF_HASH_LEN], const char *hex)
{
	uint8_t want[HF_HASH_LEN];

	return unhex(hex, want, sizeof(want)) == 0 && memcmp(h, want, sizeof(want)) == 0;
}

static void test_sha256_kat(void)
{
	static const char two_blocks[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	uint8_t h[HF_HASH_LEN];
	struct hf_sha256_ctx *c;

	hf_sha256("abc", 3, h);
	T_CHECK(hash_is(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
	hf_sha256("", 0, h);
	T_CHECK(hash_is(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
	hf_sha256(two_blocks, strlen(two_blocks), h);
	T_CHECK(hash_is(h, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"));

	c = hf_sha256_new();
	hf_sha256_update(c, "a", 1);
	hf_sha256_update(c, "", 0);
	hf_sha256_update(c, "bc", 2);
	hf_sha256_final(c, h);
	T_CHECK(hash_is(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
}

/* Incremental in odd pieces equals one-shot, over block-boundary lengths. */
static void test_sha256_incremental(void)
{
	size_t n = (1u << 20) + 77, off, step;
	uint8_t *p = malloc(n), a[HF_HASH_LEN], b[HF_HASH_LEN];

	hf_random(p, n);
	hf_sha256(p, n, a);
	for (step = 1; step < 200000; step = step * 3 + 1) {
		struct hf_sha256_ctx *c = hf_sha256_new();

		for (off = 0; off < n; off += step)
			hf_sha256_update(c, p + off, n - off < step ? n - off : step);
		hf_sha256_final(c, b);
		T_MEMEQ(a, b, HF_HASH_LEN);
	}
	free(p);
}

/* RFC 4231 uses 20- and 4-byte keys; HMAC zero-pads keys shorter than the
 * block, so the same keys zero-padded to 32 bytes give the same MACs. */
static void test_hmac_kat(void)
{
	uint8_t key[HF_KEY_LEN] = {0}, h[HF_HASH_LEN], data[50];

	memset(key, 0x0b, 20);
	hf_mac(key, "Hi There", 8, h);
	T_CHECK(hash_is(h, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"));

	memset(key, 0, sizeof(key));
	memcpy(key, "Jefe", 4);
	hf_mac(key, "what do ya want for nothing?", 28, h);
	T_CHECK(hash_is(h, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"));

	memset(key, 0, sizeof(key));
	memset(key, 0xaa, 20);
	memset(data, 0xdd, sizeof(data));
	hf_mac(key, data, sizeof(data), h);
	T_CHECK(hash_is(h, "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"));
}

static void test_hmac_vs_openssl(void)
{
	size_t n = (1u << 20) + 1, lens[] = {0, 1, 31, 55, 56, 63, 64, 65, 119, 120, 128, 1000, 4096, n};
	uint8_t *p = malloc(n), key[HF_KEY_LEN], a[HF_HASH_LEN], b[HF_HASH_LEN];
	unsigned blen;
	size_t i;

	hf_random(p, n);
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		hf_random(key, sizeof(key));
		hf_mac(key, p, lens[i], a);
		blen = sizeof(b);
		T_CHECK(HMAC(EVP_sha256(), key, sizeof(key), p, lens[i], b, &blen) != NULL);
		T_EQ(blen, HF_HASH_LEN);
		T_MEMEQ(a, b, HF_HASH_LEN);
	}
	free(p);
}

static void test_aead_roundtrip(void)
{
	static const size_t lens[] = {0, 1, 15, 16, 17, 1000, (1u << 20) + 3};
	struct hf_aead *a = hf_aead_new();
	uint8_t key[HF_KEY_LEN], ad[21];
	size_t i;

	T_CHECK(a != NULL);
	if (a == NULL)
		return;
	hf_random(key, sizeof(key));
	hf_random(ad, sizeof(ad));
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		size_t n = lens[i];
		uint8_t *pt = malloc(n + 1), *sealed = malloc(n + HF_AEAD_OVERHEAD);
		uint8_t *sealed2 = malloc(n + HF_AEAD_OVERHEAD), *back = malloc(n + 1);

		hf_random(pt, n);
		/* with AD */
		T_EQ(hf_aead_seal(a, key, ad, sizeof(ad), pt, n, sealed), 0);
		T_EQ(hf_aead_open(a, key, ad, sizeof(ad), sealed, n + HF_AEAD_OVERHEAD, back), 0);
		T_MEMEQ(pt, back, n);
		T_EQ(hf_aead_open(a, key, NULL, 0, sealed, n + HF_AEAD_OVERHEAD, back), -HF_E_AUTH);
		/* without AD (NULL and zero-length are the same) */
		T_EQ(hf_aead_seal(a, key, NULL, 0, pt, n, sealed), 0);
		T_EQ(hf_aead_open(a, key, ad, 0, sealed, n + HF_AEAD_OVERHEAD, back), 0);
		T_MEMEQ(pt, back, n);
		T_EQ(hf_aead_open(a, key, ad, 1, sealed, n + HF_AEAD_OVERHEAD, back), -HF_E_AUTH);
		/* a fresh nonce every time */
		T_EQ(hf_aead_seal(a, key, NULL, 0, pt, n, sealed2), 0);
		T_CHECK(memcmp(sealed, sealed2, HF_AEAD_NONCE_LEN) != 0);
		/* ciphertext differs from plaintext (for 1 byte they match 1 time in 256) */
		if (n >= 16)
			T_CHECK(memcmp(sealed + HF_AEAD_NONCE_LEN, pt, n) != 0);
		free(pt);
		free(sealed);
		free(sealed2);
		free(back);
	}
	/* empty plaintext with NULL buffers */
	{
		uint8_t s[HF_AEAD_OVERHEAD];

		T_EQ(hf_aead_seal(a, key, NULL, 0, NULL, 0, s), 0);
		T_EQ(hf_aead_open(a, key, NULL, 0, s, sizeof(s), NULL), 0);
		s[HF_AEAD_OVERHEAD - 1] ^= 1;
		T_EQ(hf_aead_open(a, key, NULL, 0, s, sizeof(s), NULL), -HF_E_AUTH);
	}
	hf_aead_free(a);
	hf_aead_free(NULL);
}

static int all_zero(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

/* Every single-bit flip of nonce, ciphertext, tag and AD is rejected, and
 * the output is left zeroed. */
static void test_aead_bitflips(void)
{
	enum { N = 40, S = N + HF_AEAD_OVERHEAD };
	struct hf_aead *a = hf_aead_new();
	uint8_t key[HF_KEY_LEN], ad[13], pt[N], sealed[S], back[N];
	size_t bit, bad = 0, dirty = 0;

	hf_random(key, sizeof(key));
	hf_random(ad, sizeof(ad));
	hf_random(pt, sizeof(pt));
	T_EQ(hf_aead_seal(a, key, ad, sizeof(ad), pt, N, sealed), 0);
	for (bit = 0; bit < 8 * S; bit++) {
		sealed[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		memset(back, 0xa5, sizeof(back));
		if (hf_aead_open(a, key, ad, sizeof(ad), sealed, S, back) != -HF_E_AUTH)
			bad++;
		if (!all_zero(back, N))
			dirty++;
		sealed[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	}
	for (bit = 0; bit < 8 * sizeof(ad); bit++) {
		ad[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		memset(back, 0xa5, sizeof(back));
		if (hf_aead_open(a, key, ad, sizeof(ad), sealed, S, back) != -HF_E_AUTH)
			bad++;
		if (!all_zero(back, N))
			dirty++;
		ad[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	}
	T_EQ(bad, 0);
	T_EQ(dirty, 0);
	/* and the untouched blob still opens */
	T_EQ(hf_aead_open(a, key, ad, sizeof(ad), sealed, S, back), 0);
	T_MEMEQ(pt, back, N);
	hf_aead_free(a);
}

/* Every shorter prefix is rejected (too short to hold nonce and tag: CORRUPT),
 * so is a blob with a byte appended, and so is a wrong key. */
static void test_aead_truncation_and_key(void)
{
	enum { N = 100, S = N + HF_AEAD_OVERHEAD };
	struct hf_aead *a = hf_aead_new();
	uint8_t key[HF_KEY_LEN], key2[HF_KEY_LEN], pt[N], sealed[S + 1], back[N + 1];
	size_t len, bad = 0;

	hf_random(key, sizeof(key));
	hf_random(pt, sizeof(pt));
	T_EQ(hf_aead_seal(a, key, "ad", 2, pt, N, sealed), 0);
	for (len = 0; len < S; len++) {
		/* an exact-size copy, so the sanitizer sees any over-read */
		uint8_t *t = malloc(len ? len : 1);
		int r;

		memcpy(t, sealed, len);
		r = hf_aead_open(a, key, "ad", 2, t, len, back);
		if (r != (len < HF_AEAD_OVERHEAD ? -HF_E_CORRUPT : -HF_E_AUTH))
			bad++;
		free(t);
	}
	T_EQ(bad, 0);
	sealed[S] = 0;
	T_EQ(hf_aead_open(a, key, "ad", 2, sealed, S + 1, back), -HF_E_AUTH);

	memcpy(key2, key, sizeof(key));
	key2[0] ^= 0x80;
	T_EQ(hf_aead_open(a, key2, "ad", 2, sealed, S, back), -HF_E_AUTH);
	T_CHECK(all_zero(back, N));
	hf_random(key2, sizeof(key2));
	T_EQ(hf_aead_open(a, key2, "ad", 2, sealed, S, back), -HF_E_AUTH);
	/* the context recovers after failures */
	T_EQ(hf_aead_open(a, key, "ad", 2, sealed, S, back), 0);
	T_MEMEQ(pt, back, N);
	hf_aead_free(a);
}

/* One context alternating keys and directions (it caches the last key) agrees
 * with fresh contexts. */
static void test_aead_key_switching(void)
{
	enum { N = 300, S = N + HF_AEAD_OVERHEAD };
	struct hf_aead *a = hf_aead_new(), *f = NULL;
	uint8_t k1[HF_KEY_LEN], k2[HF_KEY_LEN], pt[N], s1[S], s2[S], s3[S], back[N];
	int round;

	hf_random(k1, sizeof(k1));
	hf_random(k2, sizeof(k2));
	hf_random(pt, sizeof(pt));
	for (round = 0; round < 3; round++) {
		T_EQ(hf_aead_seal(a, k1, NULL, 0, pt, N, s1), 0);
		T_EQ(hf_aead_seal(a, k2, NULL, 0, pt, N, s2), 0);
		T_EQ(hf_aead_seal(a, k2, NULL, 0, pt, N, s3), 0);
		T_EQ(hf_aead_open(a, k1, NULL, 0, s2, S, back), -HF_E_AUTH);
		T_EQ(hf_aead_open(a, k1, NULL, 0, s1, S, back), 0);
		T_MEMEQ(pt, back, N);
		T_EQ(hf_aead_open(a, k1, NULL, 0, s3, S, back), -HF_E_AUTH);
		T_EQ(hf_aead_open(a, k2, NULL, 0, s3, S, back), 0);
		T_MEMEQ(pt, back, N);
		T_EQ(hf_aead_open(a, k2, NULL, 0, s2, S, back), 0);
		T_MEMEQ(pt, back, N);
		f = hf_aead_new();
		T_EQ(hf_aead_open(f, k2, NULL, 0, s2, S, back), 0);
		T_MEMEQ(pt, back, N);
		hf_aead_free(f);
		f = hf_aead_new();
		T_EQ(hf_aead_open(f, k1, NULL, 0, s1, S, back), 0);
		T_MEMEQ(pt, back, N);
		hf_aead_free(f);
	}
	hf_aead_free(a);
}

static void test_seal_key(void)
{
	uint8_t pk[HF_PK_LEN], sk[HF_SK_LEN], pk2[HF_PK_LEN], sk2[HF_SK_LEN];
	uint8_t key[HF_KEY_LEN], back[HF_KEY_LEN], sealed[HF_SEALED_KEY_LEN];
	size_t bit, bad = 0, dirty = 0;

	hf_keypair(pk, sk);
	hf_keypair(pk2, sk2);
	T_CHECK(memcmp(pk, pk2, HF_PK_LEN) != 0);
	hf_random(key, sizeof(key));
	T_EQ(hf_seal_key(pk, key, sealed), 0);
	T_EQ(hf_unseal_key(pk, sk, sealed, back), 0);
	T_MEMEQ(key, back, HF_KEY_LEN);

	for (bit = 0; bit < 8 * HF_SEALED_KEY_LEN; bit++) {
		sealed[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		memset(back, 0xa5, sizeof(back));
		if (hf_unseal_key(pk, sk, sealed, back) != -HF_E_AUTH)
			bad++;
		if (!all_zero(back, sizeof(back)))
			dirty++;
		sealed[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	}
	T_EQ(bad, 0);
	T_EQ(dirty, 0);
	T_EQ(hf_unseal_key(pk2, sk2, sealed, back), -HF_E_AUTH); /* another key pair */
	T_EQ(hf_unseal_key(pk, sk2, sealed, back), -HF_E_AUTH);  /* wrong sk */
	T_EQ(hf_unseal_key(pk2, sk, sealed, back), -HF_E_AUTH);  /* wrong pk */
	T_EQ(hf_unseal_key(pk, sk, sealed, back), 0);
	T_MEMEQ(key, back, HF_KEY_LEN);
}

/* Argon2id: deterministic, salted, parameter-checked. The golden output guards
 * the key-file format (same algorithm id, same parameters mapping). */
static void test_kdf_passphrase(void)
{
	const uint64_t ops = 1, mem = 8u << 20;
	uint8_t salt[HF_SALT_LEN], salt2[HF_SALT_LEN], a[HF_KEY_LEN], b[HF_KEY_LEN];

	memset(salt, 0x11, sizeof(salt));
	memcpy(salt2, salt, sizeof(salt));
	salt2[HF_SALT_LEN - 1] ^= 1;
	T_EQ(hf_kdf_passphrase("correct horse", 13, salt, ops, mem, a), 0);
	T_EQ(hf_kdf_passphrase("correct horse", 13, salt, ops, mem, b), 0);
	T_MEMEQ(a, b, HF_KEY_LEN);
	T_CHECK(hash_is(a, "07c7eed633a6eac31dd6f88cff474959e188c57c2114cbe05dee4e991b7a2965"));
	T_EQ(hf_kdf_passphrase("correct horse", 13, salt2, ops, mem, b), 0);
	T_CHECK(memcmp(a, b, HF_KEY_LEN) != 0);
	T_EQ(hf_kdf_passphrase("correct horsf", 13, salt, ops, mem, b), 0);
	T_CHECK(memcmp(a, b, HF_KEY_LEN) != 0);
	T_EQ(hf_kdf_passphrase("correct horse", 13, salt, ops + 1, mem, b), 0);
	T_CHECK(memcmp(a, b, HF_KEY_LEN) != 0);
	T_EQ(hf_kdf_passphrase(NULL, 0, salt, ops, mem, b), 0);
	T_CHECK(memcmp(a, b, HF_KEY_LEN) != 0);

	T_EQ(hf_kdf_passphrase("x", 1, salt, 0, mem, b), -HF_E_LIMIT);
	T_EQ(hf_kdf_passphrase("x", 1, salt, UINT64_MAX, mem, b), -HF_E_LIMIT);
	T_EQ(hf_kdf_passphrase("x", 1, salt, ops, 1024, b), -HF_E_LIMIT);
	T_EQ(hf_kdf_passphrase("x", 1, salt, ops, UINT64_MAX, b), -HF_E_LIMIT);
}

static void test_kdf_derive(void)
{
	uint8_t master[HF_KEY_LEN], a[HF_KEY_LEN], b[HF_KEY_LEN], m[HF_HASH_LEN];

	hf_random(master, sizeof(master));
	hf_kdf_derive(master, "holdfast data", a);
	hf_kdf_derive(master, "holdfast mac", b);
	T_CHECK(memcmp(a, b, HF_KEY_LEN) != 0);
	hf_kdf_derive(master, "holdfast data", b);
	T_MEMEQ(a, b, HF_KEY_LEN);
	hf_mac(master, "holdfast data", 13, m);
	T_MEMEQ(a, m, HF_KEY_LEN);
	master[5] ^= 1;
	hf_kdf_derive(master, "holdfast data", b);
	T_CHECK(memcmp(a, b, HF_KEY_LEN) != 0);
}

static void test_ct_equal_and_secmem(void)
{
	uint8_t x[64], y[64], r1[32], r2[32];
	uint8_t *s;
	size_t i;

	hf_random(x, sizeof(x));
	memcpy(y, x, sizeof(x));
	T_EQ(hf_ct_equal(x, y, sizeof(x)), 1);
	T_EQ(hf_ct_equal(x, y, 0), 1);
	for (i = 0; i < sizeof(x); i++) {
		y[i] ^= 0x40;
		T_EQ(hf_ct_equal(x, y, sizeof(x)), 0);
		y[i] ^= 0x40;
	}
	hf_wipe(y, sizeof(y));
	T_CHECK(all_zero(y, sizeof(y)));
	hf_wipe(NULL, 0);

	s = hf_secure_alloc(HF_KEY_LEN); /* aborts rather than return NULL */
	memcpy(s, x, HF_KEY_LEN);
	T_EQ(hf_ct_equal(s, x, HF_KEY_LEN), 1);
	hf_secure_free(s);
	hf_secure_free(NULL);

	hf_random(r1, sizeof(r1));
	hf_random(r2, sizeof(r2));
	T_CHECK(memcmp(r1, r2, sizeof(r1)) != 0);
}

/* The VmFlags of the mapping holding p says "dd" (MADV_DONTDUMP): no core
 * holds it. */
static int not_dumped(const void *p)
{
	uintptr_t a = (uintptr_t)p, lo, hi;
	char line[512];
	int in = 0, dd = 0;
	FILE *f = fopen("/proc/self/smaps", "re");

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 && strchr(line, '-') < strchr(line, ' '))
			in = a >= lo && a < hi;
		else if (in && strncmp(line, "VmFlags:", 8) == 0)
			dd = strstr(line, " dd") != NULL;
	}
	fclose(f);
	return dd;
}

static void test_secbuf(void)
{
	struct hf_secbuf b;
	uint8_t chunk[1000], *old;
	size_t i;

	hf_secbuf_init(&b, 100000);
	T_CHECK(b.data == NULL && b.len == 0);
	for (i = 0; i < sizeof(chunk); i++)
		chunk[i] = (uint8_t)(i * 7 + 1);
	for (i = 0; i < 100; i++)
		T_EQ(hf_secbuf_append(&b, chunk, sizeof(chunk)), 0);
	T_EQ(b.len, 100000);
	T_CHECK(b.cap >= b.len && b.cap <= b.max);
	for (i = 0; i < 100; i++)
		T_MEMEQ(b.data + i * sizeof(chunk), chunk, sizeof(chunk));
	T_CHECK(not_dumped(b.data));
	/* the maximum holds, by one byte and by overflow */
	T_EQ(hf_secbuf_append(&b, chunk, 1), -HF_E_LIMIT);
	T_EQ(hf_secbuf_reserve(&b, SIZE_MAX), -HF_E_LIMIT);
	T_EQ(b.len, 100000);
	/* reset wipes what was there and keeps the block */
	old = b.data;
	hf_secbuf_reset(&b);
	T_EQ(b.len, 0);
	T_CHECK(b.data == old && all_zero(b.data, 100000));
	T_EQ(hf_secbuf_append(&b, "abc", 3), 0);
	T_MEMEQ(b.data, "abc", 3);
	hf_secbuf_release(&b);
	T_CHECK(b.data == NULL && b.len == 0 && b.cap == 0);
	hf_secbuf_release(&b); /* twice is harmless */
	T_EQ(hf_secbuf_append(&b, "", 0), 0);
	hf_secbuf_release(&b);
}

/* Occurrences of key[0..n) in this process's writable memory that a core
 * would hold: every rw mapping without VmFlags dd, read through
 * /proc/self/mem into a buffer that is itself MADV_DONTDUMP. Huge mappings
 * (a sanitizer's shadow) are skipped: no heap block of ours lives there. */
static long dumpable_copies(const uint8_t *key, size_t n)
{
	const size_t win = 1 << 20;
	char line[512], perms[8];
	uintptr_t lo = 0, hi = 0;
	long hits = 0;
	int fd, dd = 0, have = 0;
	uint8_t *buf;
	FILE *f;

	buf = mmap(NULL, win + n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	fd = open("/proc/self/mem", O_RDONLY | O_CLOEXEC);
	f = fopen("/proc/self/smaps", "re");
	if (buf == MAP_FAILED || fd < 0 || f == NULL)
		return -1;
	madvise(buf, win + n, MADV_DONTDUMP);
	for (;;) {
		int eof = fgets(line, sizeof(line), f) == NULL;
		uintptr_t l2, h2;
		int head = !eof && sscanf(line, "%lx-%lx %7s ", &l2, &h2, perms) == 3 &&
			   strchr(line, '-') < strchr(line, ' ');

		if ((eof || head) && have && !dd && hi - lo <= (256u << 20)) {
			/* scan [lo, hi) in windows overlapping by n - 1 bytes */
			for (uintptr_t at = lo; at < hi; at += win) {
				size_t len = hi - at < win + n - 1 ? hi - at : win + n - 1;
				ssize_t got = pread(fd, buf, len, (off_t)at);

				for (ssize_t i = 0; got >= (ssize_t)n && i + (ssize_t)n <= got && i < (ssize_t)win; i++)
					if (buf[i] == key[0] && memcmp(buf + i, key, n) == 0)
						hits++;
			}
		}
		if (eof)
			break;
		if (head) {
			lo = l2;
			hi = h2;
			have = perms[0] == 'r' && perms[1] == 'w' && (uintptr_t)buf != lo;
			dd = 0;
		} else if (strncmp(line, "VmFlags:", 8) == 0) {
			dd = strstr(line, " dd") != NULL;
		}
	}
	fclose(f);
	close(fd);
	munmap(buf, win + n);
	return hits;
}

/* S5: after sealing and opening under a key, neither struct hf_aead's copy
 * nor OpenSSL's key schedule (which starts with the key) is in dumpable
 * memory. The key itself is made in secure memory, as the callers keep it. */
static void test_aead_key_not_dumpable(void)
{
	uint8_t *key = hf_secure_alloc(HF_KEY_LEN);
	uint8_t pt[100] = "a blob", ct[sizeof(pt) + HF_AEAD_OVERHEAD], back[sizeof(pt)];
	struct hf_aead *a = hf_aead_new();

	hf_random(key, HF_KEY_LEN);
	T_EQ(hf_aead_seal(a, key, "ad", 2, pt, sizeof(pt), ct), 0);
	T_EQ(hf_aead_open(a, key, "ad", 2, ct, sizeof(ct), back), 0);
	T_MEMEQ(back, pt, sizeof(pt));
	T_EQ(dumpable_copies(key, HF_KEY_LEN), 0);
	hf_aead_free(a);
	hf_secure_free(key);
}

/* Ed25519: RFC 8032 section 7.1, test 2 (a one-byte message), then
 * signatures that must not verify */
static void test_sign_kat(void)
{
	uint8_t seed[32], want_pk[32], want_sig[64], pk[HF_SIGN_PK_LEN], sig[HF_SIGN_LEN];
	uint8_t *sk = hf_secure_alloc(HF_SIGN_SK_LEN);
	const uint8_t msg[1] = {0x72};

	T_EQ(unhex("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb", seed, 32), 0);
	T_EQ(unhex("3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", want_pk, 32), 0);
	T_EQ(unhex("92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
		   "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
		   want_sig, 64),
	     0);
	hf_sign_keypair(seed, pk, sk);
	T_MEMEQ(pk, want_pk, 32);
	hf_sign(sk, msg, 1, sig);
	T_MEMEQ(sig, want_sig, 64);
	T_EQ(hf_sign_verify(pk, msg, 1, sig), 0);
	T_EQ(hf_sign_verify(pk, msg, 0, sig), -HF_E_AUTH); /* another message */
	for (int i = 0; i < 64; i += 7) {
		sig[i] ^= 1;
		T_EQ(hf_sign_verify(pk, msg, 1, sig), -HF_E_AUTH);
		sig[i] ^= 1;
	}
	pk[0] ^= 1;
	T_EQ(hf_sign_verify(pk, msg, 1, sig), -HF_E_AUTH); /* another key */
	hf_secure_free(sk);
}

/* a forked child (detection's sandboxes) sees secure memory zeroed */
static void test_secure_not_inherited(void)
{
	uint8_t *k = hf_secure_alloc(4096 + 100);
	int status = -1;
	pid_t pid;

	memset(k, 0xab, 4096 + 100);
	pid = fork();
	if (pid == 0) {
		for (size_t i = 0; i < 4096 + 100; i++)
			if (k[i] != 0)
				_exit(1);
		_exit(0);
	}
	T_CHECK(pid > 0);
	if (pid > 0)
		T_EQ(waitpid(pid, &status, 0), pid);
	T_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	T_EQ(k[0], 0xab); /* the parent keeps its key */
	T_EQ(k[4096 + 99], 0xab);
	hf_secure_free(k);
}

/* the MAC over pieces is the MAC over the whole, however it is cut */
static void test_mac_pieces(void)
{
	uint8_t key[HF_KEY_LEN], data[1000], whole[HF_HASH_LEN], pieces[HF_HASH_LEN];

	hf_random(key, sizeof(key));
	hf_random(data, sizeof(data));
	hf_mac(key, data, sizeof(data), whole);
	for (size_t cut = 0; cut <= sizeof(data); cut += 97) {
		struct hf_mac_ctx *m = hf_mac_new(key);
		hf_mac_update(m, data, cut);
		hf_mac_update(m, data + cut, sizeof(data) - cut);
		hf_mac_final(m, pieces);
		T_MEMEQ(whole, pieces, HF_HASH_LEN);
	}
	key[0] ^= 1;
	hf_mac(key, data, sizeof(data), pieces);
	T_CHECK(memcmp(whole, pieces, HF_HASH_LEN) != 0);
}

/* nonces from the per-thread pool: all distinct over several refills, and
 * a forked child never draws the bytes its parent draws next */
static void test_nonces_unique_across_fork(void)
{
	enum { N = 200 };
	static uint8_t seen[N][HF_AEAD_NONCE_LEN];
	uint8_t mine[HF_AEAD_NONCE_LEN], theirs[HF_AEAD_NONCE_LEN];
	int fds[2], dup = 0, status = 0;
	pid_t pid;

	for (int i = 0; i < N; i++) {
		hf_random_nonce(seen[i]);
		for (int k = 0; k < i; k++)
			dup |= memcmp(seen[i], seen[k], HF_AEAD_NONCE_LEN) == 0;
	}
	T_EQ(dup, 0);
	T_CHECK(pipe(fds) == 0);
	pid = fork();
	T_CHECK(pid >= 0);
	if (pid == 0) {
		hf_random_nonce(theirs);
		_exit(write(fds[1], theirs, sizeof(theirs)) == (ssize_t)sizeof(theirs) ? 0 : 1);
	}
	hf_random_nonce(mine);
	T_EQ(read(fds[0], theirs, sizeof(theirs)), (ssize_t)sizeof(theirs));
	T_EQ(waitpid(pid, &status, 0), pid);
	T_EQ(status, 0);
	T_CHECK(memcmp(mine, theirs, sizeof(mine)) != 0);
	close(fds[0]);
	close(fds[1]);
}

int main(void)
{
	if (hf_crypto_init() < 0) {
		printf("test_crypto: 0 passed, 1 failed\n");
		return 1;
	}
	T_EQ(hf_crypto_init(), 0); /* idempotent */
	T_RUN(test_mac_pieces);
	T_RUN(test_sha256_kat);
	T_RUN(test_sha256_incremental);
	T_RUN(test_hmac_kat);
	T_RUN(test_hmac_vs_openssl);
	T_RUN(test_aead_roundtrip);
	T_RUN(test_nonces_unique_across_fork);
	T_RUN(test_aead_bitflips);
	T_RUN(test_aead_truncation_and_key);
	T_RUN(test_aead_key_switching);
	T_RUN(test_seal_key);
	T_RUN(test_kdf_passphrase);
	T_RUN(test_kdf_derive);
	T_RUN(test_ct_equal_and_secmem);
	T_RUN(test_secbuf);
	T_RUN(test_aead_key_not_dumpable);
	T_RUN(test_sign_kat);
	T_RUN(test_secure_not_inherited);
	return T_DONE("test_crypto");
}
