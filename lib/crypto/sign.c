/* sign.c — Ed25519 signatures (libsodium crypto_sign): what only a full key
 * may authorise. The repository's deletion key pair is derived from the
 * X25519 secret that only full key files hold, so a write-only key or a
 * server token alone cannot produce a signature the deletion key verifies. */
#include <sodium.h>

#include "crypto/crypto.h"
#include "util/err.h"

_Static_assert(HF_SIGN_PK_LEN == crypto_sign_PUBLICKEYBYTES && HF_SIGN_SK_LEN == crypto_sign_SECRETKEYBYTES &&
		       HF_SIGN_LEN == crypto_sign_BYTES && HF_KEY_LEN == crypto_sign_SEEDBYTES,
	       "Ed25519 sizes");

void hf_sign_keypair(const uint8_t seed[HF_KEY_LEN], uint8_t pk[HF_SIGN_PK_LEN], uint8_t sk[HF_SIGN_SK_LEN])
{
	crypto_sign_seed_keypair(pk, sk, seed);
}

void hf_sign(const uint8_t sk[HF_SIGN_SK_LEN], const void *msg, size_t n, uint8_t sig[HF_SIGN_LEN])
{
	crypto_sign_detached(sig, NULL, msg, n, sk);
}

int hf_sign_verify(const uint8_t pk[HF_SIGN_PK_LEN], const void *msg, size_t n, const uint8_t sig[HF_SIGN_LEN])
{
	return crypto_sign_verify_detached(sig, msg, n, pk) == 0 ? 0 : -HF_E_AUTH;
}
