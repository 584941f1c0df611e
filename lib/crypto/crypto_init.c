/* crypto_init.c — process-wide start-up of the two crypto libraries.
 *
 * libsodium needs sodium_init() before its RNG and sealing are used; OpenSSL
 * is initialised explicitly so that the first use from a worker thread does
 * not race, and we check up front that the algorithms we rely on exist. */
#include <errno.h>
#include <limits.h>

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

/* OpenSSL's DRBG (seeded from the kernel, per thread in OpenSSL 3): a nonce
 * per blob costs no system call, unlike getrandom() for every call */
void hf_random(void *p, size_t n)
{
	if (n > INT_MAX || RAND_bytes(p, (int)n) != 1)
		randombytes_buf(p, n); /* the kernel's, if the DRBG ever fails */
}
