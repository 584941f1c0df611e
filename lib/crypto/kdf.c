/* kdf.c — key derivation: Argon2id for passphrases (libsodium crypto_pwhash,
 * ALG_ARGON2ID13) and HMAC-SHA256(master, label) for subkeys.
 * The ops/mem parameters usually come from a key file, so they are range-checked
 * against libsodium's limits here; callers should impose tighter caps. */
#include <errno.h>
#include <string.h>

#include <sodium.h>

#include "crypto/crypto.h"
#include "util/err.h"

int hf_kdf_passphrase(const char *pass, size_t passlen, const uint8_t salt[HF_SALT_LEN], uint64_t ops, uint64_t mem,
		      uint8_t out[HF_KEY_LEN])
{
	_Static_assert(HF_SALT_LEN == crypto_pwhash_argon2id_SALTBYTES, "argon2id salt size");

	if (ops < crypto_pwhash_argon2id_opslimit_min() || ops > crypto_pwhash_argon2id_opslimit_max())
		return -HF_E_LIMIT;
	if (mem < crypto_pwhash_argon2id_memlimit_min() || mem > crypto_pwhash_argon2id_memlimit_max())
		return -HF_E_LIMIT;
	if (passlen < crypto_pwhash_argon2id_passwd_min() || passlen > crypto_pwhash_argon2id_passwd_max())
		return -HF_E_LIMIT;
	if (pass == NULL)
		pass = "";
	errno = 0;
	if (crypto_pwhash(out, HF_KEY_LEN, pass, passlen, salt, ops, (size_t)mem, crypto_pwhash_ALG_ARGON2ID13) != 0) {
		sodium_memzero(out, HF_KEY_LEN);
		return errno > 0 ? -errno : -ENOMEM;
	}
	return 0;
}

void hf_kdf_derive(const uint8_t master[HF_KEY_LEN], const char *label, uint8_t out[HF_KEY_LEN])
{
	hf_mac(master, label, strlen(label), out);
}
