/* seal.c — public-key sealing of 32-byte session keys (libsodium crypto_box_seal:
 * ephemeral X25519 + XSalsa20-Poly1305). Lets a backup client write data it
 * cannot read back without the secret key, which may live offline. */
#include <sodium.h>

#include "crypto/crypto.h"
#include "util/err.h"

_Static_assert(HF_SEALED_KEY_LEN == crypto_box_SEALBYTES + HF_KEY_LEN, "sealed key size");
_Static_assert(HF_PK_LEN == crypto_box_PUBLICKEYBYTES && HF_SK_LEN == crypto_box_SECRETKEYBYTES, "box key sizes");

void hf_keypair(uint8_t pk[HF_PK_LEN], uint8_t sk[HF_SK_LEN])
{
	crypto_box_keypair(pk, sk);
}

/* Fails only for a public key libsodium rejects (e.g. a low-order point). */
int hf_seal_key(const uint8_t pk[HF_PK_LEN], const uint8_t key[HF_KEY_LEN], uint8_t out[HF_SEALED_KEY_LEN])
{
	if (crypto_box_seal(out, key, HF_KEY_LEN, pk) != 0)
		return -HF_E_CORRUPT;
	return 0;
}

int hf_unseal_key(const uint8_t pk[HF_PK_LEN], const uint8_t sk[HF_SK_LEN], const uint8_t in[HF_SEALED_KEY_LEN],
		  uint8_t key[HF_KEY_LEN])
{
	if (crypto_box_seal_open(key, in, HF_SEALED_KEY_LEN, pk, sk) != 0) {
		sodium_memzero(key, HF_KEY_LEN);
		return -HF_E_AUTH;
	}
	return 0;
}
