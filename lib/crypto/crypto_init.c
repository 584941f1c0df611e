/* crypto_init.c — process-wide start-up of the two crypto libraries.
 *
 * libsodium needs sodium_init() before its RNG and sealing are used; OpenSSL
 * is initialised explicitly so that the first use from a worker thread does
 * not race, and we check up front that the algorithms we rely on exist. */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sodium.h>

#include "crypto/crypto.h"
#include "crypto/crypto_internal.h"

/* Idempotent. -EIO if a library cannot start, -ENOSYS if OpenSSL lacks an
 * algorithm (e.g. a FIPS-only provider configuration). */
int hf_crypto_init(void)
{
	EVP_CIPHER *gcm = NULL;
	EVP_MD *sha = NULL;
	int r;

	if (sodium_init() < 0)
		return -EIO;
	/* before OpenSSL's first allocation; on a later call (or if something
	 * used OpenSSL before us) it is refused, and OpenSSL keeps plain heap */
	(void)hf_ossl_mem_hook();
	if (OPENSSL_init_crypto(0, NULL) != 1)
		return -EIO;
	gcm = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
	sha = EVP_MD_fetch(NULL, "SHA2-256", NULL);
	r = gcm != NULL && sha != NULL ? 0 : -ENOSYS;
	EVP_CIPHER_free(gcm);
	EVP_MD_free(sha);
	return r;
}

/* OpenSSL's DRBG (seeded from the kernel, per thread in OpenSSL 3): no
 * getrandom() per call. It still asks getpid() every call (its fork check). */
void hf_random(void *p, size_t n)
{
	if (n > INT_MAX || RAND_bytes(p, (int)n) != 1)
		randombytes_buf(p, n); /* the kernel's, if the DRBG ever fails */
}

/* Nonces come from a per-thread buffer of the DRBG's bytes, refilled
 * NONCE_POOL bytes at a time: one RAND_bytes (and its getpid) per 42
 * blobs, not per blob. A process forked meanwhile must not repeat its
 * parent's bytes, so a fork empties every buffer (pthread_atfork bumps the
 * generation the buffers are checked against). */
#define NONCE_POOL 504
static unsigned fork_gen;
static pthread_once_t fork_once = PTHREAD_ONCE_INIT;
static _Thread_local struct {
	uint8_t b[NONCE_POOL];
	size_t used;
	unsigned gen;
} pool = {.used = NONCE_POOL};

static void forked(void)
{
	__atomic_add_fetch(&fork_gen, 1, __ATOMIC_RELAXED);
}

static void note_forks(void)
{
	(void)pthread_atfork(NULL, NULL, forked);
}

void hf_random_nonce(uint8_t out[HF_AEAD_NONCE_LEN])
{
	unsigned gen;

	pthread_once(&fork_once, note_forks);
	gen = __atomic_load_n(&fork_gen, __ATOMIC_RELAXED);
	if (pool.gen != gen || pool.used + HF_AEAD_NONCE_LEN > NONCE_POOL) {
		hf_random(pool.b, NONCE_POOL);
		pool.used = 0;
		pool.gen = gen;
	}
	memcpy(out, pool.b + pool.used, HF_AEAD_NONCE_LEN);
	memset(pool.b + pool.used, 0, HF_AEAD_NONCE_LEN);
	pool.used += HF_AEAD_NONCE_LEN;
}
