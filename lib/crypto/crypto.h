/* crypto.h — every cryptographic primitive holdfast uses; the only module that
 * touches OpenSSL or libsodium.
 *
 *   ids and file names   SHA-256 (OpenSSL, uses SHA-NI where present)
 *   chunk ids            HMAC-SHA256 under the repository's MAC key
 *   blob encryption      AES-256-GCM, random 96-bit nonce, 16-byte tag
 *   session-key sealing  libsodium crypto_box_seal (X25519 + XSalsa20-Poly1305)
 *   passphrase KDF       Argon2id (libsodium crypto_pwhash)
 *   subkeys              HMAC-SHA256(master, label)
 *   signatures           Ed25519 (libsodium crypto_sign): what needs the full key
 * Secrets live in sodium_malloc'd (locked, guarded) memory and are wiped. */
#ifndef HF_CRYPTO_H
#define HF_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define HF_KEY_LEN 32
#define HF_HASH_LEN 32
#define HF_PK_LEN 32
#define HF_SK_LEN 32
#define HF_SEALED_KEY_LEN 80 /* crypto_box_SEALBYTES (48) + HF_KEY_LEN */
#define HF_AEAD_NONCE_LEN 12
#define HF_AEAD_TAG_LEN 16
#define HF_AEAD_OVERHEAD (HF_AEAD_NONCE_LEN + HF_AEAD_TAG_LEN)
#define HF_SALT_LEN 16

/* hf_crypto_init(): once per process, before any other call. */
HF_MUST_USE int hf_crypto_init(void);

void hf_random(void *p, size_t n);
/* a fresh random AEAD nonce (cheaper than hf_random per call; never
 * repeated in a forked child) */
void hf_random_nonce(uint8_t out[HF_AEAD_NONCE_LEN]);
void hf_sha256(const void *p, size_t n, uint8_t out[HF_HASH_LEN]);

/* Incremental SHA-256 for data that arrives in pieces. */
struct hf_sha256_ctx;
struct hf_sha256_ctx *hf_sha256_new(void);
void hf_sha256_update(struct hf_sha256_ctx *c, const void *p, size_t n);
void hf_sha256_final(struct hf_sha256_ctx *c, uint8_t out[HF_HASH_LEN]); /* and frees */

/* Incremental MD5, for S3's Content-MD5 (an integrity check the server
 * asks for with Object Lock; never for security). */
#define HF_MD5_LEN 16
struct hf_md5_ctx;
struct hf_md5_ctx *hf_md5_new(void);
void hf_md5_update(struct hf_md5_ctx *c, const void *p, size_t n);
void hf_md5_final(struct hf_md5_ctx *c, uint8_t out[HF_MD5_LEN]); /* and frees */

/* HMAC-SHA256(key, p): chunk ids and subkey derivation. Thread-safe. */
void hf_mac(const uint8_t key[HF_KEY_LEN], const void *p, size_t n, uint8_t out[HF_HASH_LEN]);
/* the same, over bytes that come in pieces */
struct hf_mac_ctx;
struct hf_mac_ctx *hf_mac_new(const uint8_t key[HF_KEY_LEN]);
void hf_mac_update(struct hf_mac_ctx *m, const void *p, size_t n);
void hf_mac_final(struct hf_mac_ctx *m, uint8_t out[HF_HASH_LEN]); /* and frees */
void hf_kdf_derive(const uint8_t master[HF_KEY_LEN], const char *label, uint8_t out[HF_KEY_LEN]);

/* AEAD (AES-256-GCM). out/in layout: nonce(12) | ciphertext | tag(16).
 * seal writes n + HF_AEAD_OVERHEAD bytes. open writes inlen - HF_AEAD_OVERHEAD
 * bytes and returns -HF_E_AUTH on any mismatch (nothing usable is left in out).
 * A per-thread context avoids re-allocating the cipher state. */
struct hf_aead;
struct hf_aead *hf_aead_new(void);
void hf_aead_free(struct hf_aead *a);
HF_MUST_USE int hf_aead_seal(struct hf_aead *a, const uint8_t key[HF_KEY_LEN], const void *ad, size_t adlen,
			     const void *pt, size_t n, uint8_t *out);
HF_MUST_USE int hf_aead_open(struct hf_aead *a, const uint8_t key[HF_KEY_LEN], const void *ad, size_t adlen,
			     const uint8_t *in, size_t inlen, uint8_t *out);

/* Ed25519. The key pair comes from a 32-byte seed (keep sk in secure
 * memory); verify returns 0, or -HF_E_AUTH for any mismatch. */
#define HF_SIGN_PK_LEN 32
#define HF_SIGN_SK_LEN 64
#define HF_SIGN_LEN 64
void hf_sign_keypair(const uint8_t seed[HF_KEY_LEN], uint8_t pk[HF_SIGN_PK_LEN], uint8_t sk[HF_SIGN_SK_LEN]);
void hf_sign(const uint8_t sk[HF_SIGN_SK_LEN], const void *msg, size_t n, uint8_t sig[HF_SIGN_LEN]);
HF_MUST_USE int hf_sign_verify(const uint8_t pk[HF_SIGN_PK_LEN], const void *msg, size_t n,
			       const uint8_t sig[HF_SIGN_LEN]);

/* base64url of p[0..n), no padding, NUL-terminated; -HF_E_LIMIT if cap
 * is too small (4 * n / 3 + 2 bytes are enough) */
HF_MUST_USE int hf_base64url(const uint8_t *p, size_t n, char *out, size_t cap);
/* standard base64 with padding (RFC 4648 §4), NUL-terminated; -HF_E_LIMIT if cap is too small */
HF_MUST_USE int hf_base64(const uint8_t *p, size_t n, char *out, size_t cap);

/* Public-key sealing of a 32-byte session key. */
void hf_keypair(uint8_t pk[HF_PK_LEN], uint8_t sk[HF_SK_LEN]);
HF_MUST_USE int hf_seal_key(const uint8_t pk[HF_PK_LEN], const uint8_t key[HF_KEY_LEN], uint8_t out[HF_SEALED_KEY_LEN]);
HF_MUST_USE int hf_unseal_key(const uint8_t pk[HF_PK_LEN], const uint8_t sk[HF_SK_LEN],
			      const uint8_t in[HF_SEALED_KEY_LEN], uint8_t key[HF_KEY_LEN]); /* -HF_E_AUTH */

/* Argon2id. ops/mem as in crypto_pwhash; returns -HF_E_LIMIT if out of range. */
#define HF_KDF_OPS_DEFAULT 3
#define HF_KDF_MEM_DEFAULT (64u << 20)
HF_MUST_USE int hf_kdf_passphrase(const char *pass, size_t passlen, const uint8_t salt[HF_SALT_LEN], uint64_t ops,
				  uint64_t mem, uint8_t out[HF_KEY_LEN]);

/* Locked, guarded memory for keys; hf_secure_free wipes. NULL-safe free. */
void *hf_secure_alloc(size_t n); /* aborts on failure */
void hf_secure_free(void *p);
void hf_wipe(void *p, size_t n);
HF_MUST_USE int hf_ct_equal(const void *a, const void *b, size_t n); /* 1 if equal */

/* A growable buffer for secrets (decrypted key lists, index payloads) in
 * locked, MADV_DONTDUMP memory: every block it ever had is wiped when it
 * grows or is released. Like struct hf_buf: never beyond `max` (-HF_E_LIMIT).
 * A zeroed struct is not valid: hf_secbuf_init first. */
struct hf_secbuf {
	uint8_t *data;
	size_t len;
	size_t cap;
	size_t max;
};

void hf_secbuf_init(struct hf_secbuf *b, size_t max); /* allocates nothing */
void hf_secbuf_release(struct hf_secbuf *b);          /* wipes, frees; reusable after init */
void hf_secbuf_reset(struct hf_secbuf *b);            /* wipes data[0..len), len = 0 */
/* room for `extra` more bytes after len (or -HF_E_LIMIT); data may move */
HF_MUST_USE int hf_secbuf_reserve(struct hf_secbuf *b, size_t extra);
HF_MUST_USE int hf_secbuf_append(struct hf_secbuf *b, const void *p, size_t n);

#endif
