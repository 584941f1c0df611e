/* keys.c — key files: the repository secrets wrapped under a passphrase.
 *
 * Layout: magic "HFKEY001" | kind u8 | Argon2id ops u32 | mem u64 | salt[16] |
 * AEAD(KEK, ad = those 37 bytes, payload). Payload: repo id | config hash |
 * public key | MAC key | secret key (full keys only). A write-only key file
 * (kind 2) has no secret key: it can add data but never read any back. */
#include <string.h>

#include "crypto/crypto.h"
#include "repo/repo_internal.h"
#include "store/store.h"
#include "util/err.h"

#define KEY_HDR_LEN (HF_MAGIC_LEN + 1 + 4 + 8 + HF_SALT_LEN)
#define KEY_PAYLOAD_FULL (5 * 32)
#define KEY_PAYLOAD_WRITE (4 * 32)
enum { KEY_KIND_FULL = 1, KEY_KIND_WRITE_ONLY = 2 };

int hf_key_file_encode(const char *pass, size_t passlen, uint64_t ops, uint64_t mem, const uint8_t repo_id[32],
		       const uint8_t config_hash[32], const uint8_t pk[32], const uint8_t mac[32], const uint8_t *sk,
		       struct hf_buf *out)
{
	uint8_t hdr[KEY_HDR_LEN], *kek = NULL, *payload = NULL;
	size_t plen = sk ? KEY_PAYLOAD_FULL : KEY_PAYLOAD_WRITE;
	struct hf_aead *a = NULL;
	int r;

	if (ops < HF_KEY_OPS_MIN || ops > HF_KEY_OPS_MAX || mem < HF_KEY_MEM_MIN || mem > HF_KEY_MEM_MAX)
		return -HF_E_LIMIT;
	memcpy(hdr, HF_MAGIC_KEY, HF_MAGIC_LEN);
	hdr[8] = sk ? KEY_KIND_FULL : KEY_KIND_WRITE_ONLY;
	hf_put_le32(hdr + 9, (uint32_t)ops);
	hf_put_le64(hdr + 13, mem);
	hf_random(hdr + 21, HF_SALT_LEN);
	kek = hf_secure_alloc(HF_KEY_LEN);
	payload = hf_secure_alloc(KEY_PAYLOAD_FULL);
	r = hf_kdf_passphrase(pass, passlen, hdr + 21, ops, mem, kek);
	if (r < 0)
		goto out;
	memcpy(payload, repo_id, 32);
	memcpy(payload + 32, config_hash, 32);
	memcpy(payload + 64, pk, 32);
	memcpy(payload + 96, mac, 32);
	if (sk)
		memcpy(payload + 128, sk, 32);
	r = hf_buf_reserve(out, KEY_HDR_LEN + plen + HF_AEAD_OVERHEAD);
	if (r < 0)
		goto out;
	r = hf_buf_append(out, hdr, KEY_HDR_LEN);
	if (r < 0)
		goto out;
	a = hf_aead_new();
	r = hf_aead_seal(a, kek, hdr, KEY_HDR_LEN, payload, plen, out->data + out->len);
	if (r == 0)
		out->len += plen + HF_AEAD_OVERHEAD;
out:
	hf_aead_free(a);
	hf_secure_free(kek);
	hf_secure_free(payload);
	return r;
}

int hf_key_file_params(const uint8_t *p, size_t n, int *has_sk, uint64_t *ops, uint64_t *mem)
{
	size_t plen;

	if (n < KEY_HDR_LEN + HF_AEAD_OVERHEAD || memcmp(p, HF_MAGIC_KEY, HF_MAGIC_LEN) != 0)
		return -HF_E_CORRUPT;
	if (p[8] == KEY_KIND_FULL)
		plen = KEY_PAYLOAD_FULL;
	else if (p[8] == KEY_KIND_WRITE_ONLY)
		plen = KEY_PAYLOAD_WRITE;
	else
		return -HF_E_CORRUPT;
	if (n != KEY_HDR_LEN + plen + HF_AEAD_OVERHEAD)
		return -HF_E_CORRUPT;
	*ops = hf_get_le32(p + 9);
	*mem = hf_get_le64(p + 13);
	if (*ops < HF_KEY_OPS_MIN || *ops > HF_KEY_OPS_MAX || *mem < HF_KEY_MEM_MIN || *mem > HF_KEY_MEM_MAX)
		return -HF_E_CORRUPT;
	*has_sk = plen == KEY_PAYLOAD_FULL;
	return 0;
}

int hf_key_file_decode(const char *pass, size_t passlen, const uint8_t *p, size_t n, uint8_t repo_id[32],
		       uint8_t config_hash[32], uint8_t pk[32], uint8_t mac[32], uint8_t sk[32], int *has_sk)
{
	uint8_t *kek = NULL, *payload = NULL;
	struct hf_aead *a = NULL;
	uint64_t ops, mem;
	int r, full;

	r = hf_key_file_params(p, n, &full, &ops, &mem);
	if (r < 0)
		return r;
	kek = hf_secure_alloc(HF_KEY_LEN);
	payload = hf_secure_alloc(KEY_PAYLOAD_FULL);
	r = hf_kdf_passphrase(pass, passlen, p + 21, ops, mem, kek);
	if (r < 0)
		goto out;
	a = hf_aead_new();
	r = hf_aead_open(a, kek, p, KEY_HDR_LEN, p + KEY_HDR_LEN, n - KEY_HDR_LEN, payload);
	if (r == -HF_E_AUTH)
		r = -HF_E_PASSWORD;
	if (r < 0)
		goto out;
	memcpy(repo_id, payload, 32);
	memcpy(config_hash, payload + 32, 32);
	memcpy(pk, payload + 64, 32);
	memcpy(mac, payload + 96, 32);
	*has_sk = full;
	if (full)
		memcpy(sk, payload + 128, 32);
out:
	hf_aead_free(a);
	hf_secure_free(kek);
	hf_secure_free(payload);
	return r;
}

uint64_t hf_key_file_cost(const uint8_t *p, size_t n)
{
	uint64_t ops, mem;
	int has_sk;

	/* only what the decoder accepts: bogus fields would give any order */
	if (hf_key_file_params(p, n, &has_sk, &ops, &mem) < 0)
		return 0;
	return ops * (mem >> 20);
}
