/* fuzz_key_file.c — fuzz target for the key-file parser (hf_key_file_params,
 * hf_key_file_decode): every file under keys/ is read, and tried, by every
 * command that opens the repository, before anything is authenticated.
 *
 * The layout check (hf_key_file_params) runs on every input. Its invariants:
 * what it accepts has the exact length of its kind and Argon2id parameters
 * within HF_KEY_OPS_MIN..MAX and HF_KEY_MEM_MIN..MAX, and the cost that
 * orders key files is their product; what it refuses, hf_key_file_decode
 * refuses too, with -HF_E_CORRUPT and before any KDF, and its cost is 0.
 *
 * The KDF costs 8 MiB and about 10 ms at the cheapest parameters the format
 * allows, and up to 16 passes over 1 GiB at the most expensive, so the full
 * decode runs only on inputs at the cheapest (1 pass, 8 MiB), with the fixed
 * passphrase FUZZ_PASS (gen_corpus.c makes the seeds with it). Invariants:
 * the only failure is -HF_E_PASSWORD (the layout was fine, so a header or
 * ciphertext that does not authenticate reads as a wrong passphrase); a
 * success gives the kind of the header and fails with another passphrase,
 * and the secrets it gives, written to a new key file with the same
 * parameters, decode from it unchanged. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "fuzz_assert.h"
#include "repo/repo_internal.h"
#include "util/buf.h"
#include "util/err.h"

#define FUZZ_NAME "key_file"
#define FUZZ_PASS "fuzz passphrase" /* the seeds' passphrase: see gen_corpus.c */

static int crypto_ready;

struct secrets {
	uint8_t repo_id[32], config_hash[32], pk[32], mac[32], sk[32];
	int has_sk;
};

static int decode(const char *pass, const uint8_t *p, size_t n, struct secrets *s)
{
	memset(s, 0, sizeof(*s));
	return hf_key_file_decode(pass, strlen(pass), p, n, s->repo_id, s->config_hash, s->pk, s->mac, s->sk,
				  &s->has_sk);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t empty[1];
	struct secrets s, s2;
	uint64_t ops = 0, mem = 0;
	int has_sk = -1, r;
	struct hf_buf b;

	if (!crypto_ready) {
		FUZZ_ASSERT(hf_crypto_init() == 0);
		crypto_ready = 1;
	}
	if (!data)
		data = empty; /* the runner passes NULL for an empty file */
	if (hf_key_file_params(data, size, &has_sk, &ops, &mem) < 0) {
		/* refused before the KDF: this costs nothing */
		FUZZ_ASSERT(decode(FUZZ_PASS, data, size, &s) == -HF_E_CORRUPT);
		FUZZ_ASSERT(hf_key_file_cost(data, size) == 0);
		return 0;
	}
	FUZZ_ASSERT(has_sk == 0 || has_sk == 1);
	FUZZ_ASSERT(size == 37 + (has_sk ? 160u : 128u) + HF_AEAD_OVERHEAD);
	FUZZ_ASSERT(ops >= HF_KEY_OPS_MIN && ops <= HF_KEY_OPS_MAX);
	FUZZ_ASSERT(mem >= HF_KEY_MEM_MIN && mem <= HF_KEY_MEM_MAX);
	FUZZ_ASSERT(hf_key_file_cost(data, size) == ops * (mem >> 20));
	if (ops != HF_KEY_OPS_MIN || mem != HF_KEY_MEM_MIN)
		return 0; /* valid, but too slow to unlock for every input */

	r = decode(FUZZ_PASS, data, size, &s);
	if (r < 0) {
		FUZZ_ASSERT(r == -HF_E_PASSWORD);
		return 0;
	}
	FUZZ_ASSERT(s.has_sk == has_sk);
	FUZZ_ASSERT(decode(FUZZ_PASS "!", data, size, &s2) == -HF_E_PASSWORD);
	hf_buf_init(&b, 4096);
	FUZZ_ASSERT(hf_key_file_encode(FUZZ_PASS, strlen(FUZZ_PASS), ops, mem, s.repo_id, s.config_hash, s.pk, s.mac,
				       s.has_sk ? s.sk : NULL, &b) == 0);
	FUZZ_ASSERT(b.len == size && memcmp(b.data, data, 37 - 16) == 0); /* a new salt, the same header */
	FUZZ_ASSERT(decode(FUZZ_PASS, b.data, b.len, &s2) == 0);
	FUZZ_ASSERT(memcmp(&s, &s2, sizeof(s)) == 0);
	hf_buf_release(&b);
	return 0;
}

#include "fuzz_main.h"
