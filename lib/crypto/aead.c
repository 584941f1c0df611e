/* aead.c — AES-256-GCM sealing of blobs (OpenSSL EVP).
 *
 * Layout of a sealed blob: nonce(12) | ciphertext | tag(16). The nonce is
 * random per seal (96 bits). A struct hf_aead keeps one cipher context, so a
 * worker thread seals blob after blob without allocating; one per thread. It
 * remembers the last key and skips the AES/GHASH key setup when it repeats.
 *
 * Both copies of the key (key[] here, the key schedule inside OpenSSL's
 * context) live in locked, MADV_DONTDUMP memory wiped on free: the struct
 * comes from ossl_mem.c's pool, the context is created in its secure lane. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "crypto/crypto.h"
#include "crypto/crypto_internal.h"
#include "util/mem.h"
#include "util/err.h"

/* EVP takes int lengths: feed it in pieces no larger than this. */
#define AEAD_PIECE (1u << 30)

struct hf_aead {
	EVP_CIPHER_CTX *ctx;
	EVP_CIPHER *cipher;
	int keyed; /* ctx holds the schedule of key[] */
	uint8_t key[HF_KEY_LEN];
};

struct hf_aead *hf_aead_new(void)
{
	struct hf_aead *a = NULL;

	a = hf_secpool_alloc(sizeof(*a));
	if (a == NULL)
		abort(); /* out of memory, as in hf_xmalloc */
	memset(a, 0, sizeof(*a));
	a->cipher = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
	/* the context and the provider's state it creates (the key schedule
	 * lives there) are allocated in locked, undumpable memory */
	hf_ossl_secure_begin();
	a->ctx = EVP_CIPHER_CTX_new();
	if (a->ctx == NULL || a->cipher == NULL || EVP_CipherInit_ex2(a->ctx, a->cipher, NULL, NULL, 1, NULL) != 1) {
		/* hf_crypto_init checked that AES-256-GCM exists: only memory can be
		 * short here, which hf_xmalloc also treats as fatal */
		abort();
	}
	hf_ossl_secure_end();
	return a;
}

void hf_aead_free(struct hf_aead *a)
{
	if (a == NULL)
		return;
	EVP_CIPHER_CTX_free(a->ctx); /* cleanses the key schedule */
	EVP_CIPHER_free(a->cipher);
	hf_secpool_free(a); /* wipes key[] */
}

/* Start a message: new nonce, direction enc, and the key unless it is the
 * one the context already holds (GCM runs AES forwards both ways, so the
 * schedule serves seal and open alike). */
static int start(struct hf_aead *a, const uint8_t key[HF_KEY_LEN], const uint8_t *nonce, int enc)
{
	int rekey = !a->keyed || !hf_ct_equal(a->key, key, HF_KEY_LEN);

	if (EVP_CipherInit_ex2(a->ctx, NULL, rekey ? key : NULL, nonce, enc, NULL) != 1) {
		a->keyed = 0;
		return -EIO;
	}
	if (rekey) {
		memcpy(a->key, key, HF_KEY_LEN);
		a->keyed = 1;
	}
	return 0;
}

/* AAD and data pass through EVP in int-sized pieces. out == NULL: AAD. */
static int feed(EVP_CIPHER_CTX *ctx, const uint8_t *in, size_t n, uint8_t *out)
{
	int got;

	while (n > 0) {
		size_t k = n < AEAD_PIECE ? n : AEAD_PIECE;

		if (EVP_CipherUpdate(ctx, out, &got, in, (int)k) != 1)
			return -EIO;
		if (out != NULL) {
			if ((size_t)got != k)
				return -EIO;
			out += k;
		}
		in += k;
		n -= k;
	}
	return 0;
}

int hf_aead_seal(struct hf_aead *a, const uint8_t key[HF_KEY_LEN], const void *ad, size_t adlen, const void *pt,
		 size_t n, uint8_t *out)
{
	uint8_t *ct = out + HF_AEAD_NONCE_LEN;
	uint8_t none[16]; /* GCM's final writes nothing; keeps EVP off out + n */
	int r, got;

	if (n > SIZE_MAX - HF_AEAD_OVERHEAD)
		return -HF_E_LIMIT;
	hf_random_nonce(out);
	r = start(a, key, out, 1);
	if (r < 0)
		return r;
	r = feed(a->ctx, ad, adlen, NULL);
	if (r < 0)
		return r;
	r = feed(a->ctx, pt, n, ct);
	if (r < 0)
		return r;
	if (EVP_CipherFinal_ex(a->ctx, none, &got) != 1 || got != 0)
		return -EIO;
	if (EVP_CIPHER_CTX_ctrl(a->ctx, EVP_CTRL_GCM_GET_TAG, HF_AEAD_TAG_LEN, ct + n) != 1)
		return -EIO;
	return 0;
}

int hf_aead_open(struct hf_aead *a, const uint8_t key[HF_KEY_LEN], const void *ad, size_t adlen, const uint8_t *in,
		 size_t inlen, uint8_t *out)
{
	uint8_t tag[HF_AEAD_TAG_LEN];
	uint8_t none[16];
	size_t n;
	int r, got;

	if (inlen < HF_AEAD_OVERHEAD)
		return -HF_E_CORRUPT;
	n = inlen - HF_AEAD_OVERHEAD;
	memcpy(tag, in + HF_AEAD_NONCE_LEN + n, HF_AEAD_TAG_LEN);
	r = start(a, key, in, 0);
	if (r < 0)
		goto out;
	r = feed(a->ctx, ad, adlen, NULL);
	if (r < 0)
		goto out;
	r = feed(a->ctx, in + HF_AEAD_NONCE_LEN, n, out);
	if (r < 0)
		goto out;
	if (EVP_CIPHER_CTX_ctrl(a->ctx, EVP_CTRL_GCM_SET_TAG, HF_AEAD_TAG_LEN, tag) != 1) {
		r = -EIO;
		goto out;
	}
	if (EVP_CipherFinal_ex(a->ctx, none, &got) != 1 || got != 0) {
		r = -HF_E_AUTH;
		goto out;
	}
	r = 0;
out:
	if (r < 0 && n > 0)
		hf_wipe(out, n);
	return r;
}
