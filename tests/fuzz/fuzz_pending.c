/* fuzz_pending.c — fuzz target for pending-deletion objects (repo/pending.c),
 * which every backup reads and prune acts on.
 *
 * The input is an object without its signature and tag; the target appends
 * both under fixed test keys, so the fuzzer explores the parser behind them,
 * as a holder of the full key could.
 *
 * Invariants: what decodes has at most HF_PENDING_MAX_PACKS packs, at most
 * HF_PENDING_MAX_GONE objects named as gone, each an index or a snapshot, and
 * a grace that is not negative, and encodes back to the same bytes. */
#include <stdlib.h>
#include <string.h>

#include "fuzz_assert.h"
#include "repo/object.h"
#include "repo/pending.h"
#include "repo/repo_internal.h"
#include "store/store.h"
#include "util/buf.h"

#define FUZZ_NAME "pending"

static const uint8_t test_key[32] = {7, 7, 7, 7, 7, 7, 7, 7, 1, 2, 3, 4, 5, 6, 7, 8,
				     9, 9, 9, 9, 9, 9, 9, 9, 0, 0, 0, 0, 0, 0, 0, 1};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hf_repo r;
	struct hf_buf obj, again;
	struct hf_pending p;

	static uint8_t sign_sk[HF_SIGN_SK_LEN];

	memset(&r, 0, sizeof(r));
	r.auth_key = test_key;
	r.sign_sk = sign_sk;
	hf_sign_keypair(test_key, r.cfg.delete_key, sign_sk);
	hf_buf_init(&obj, size + 128);
	hf_buf_init(&again, size + 128);
	if (hf_buf_append(&obj, data, size) < 0 || hf_pending_seal(&r, &obj) < 0)
		goto out;
	if (hf_pending_decode(&r, obj.data, obj.len, &p) == 0) {
		FUZZ_ASSERT(p.npacks <= HF_PENDING_MAX_PACKS && p.ngone <= HF_PENDING_MAX_GONE && p.grace_ns >= 0);
		for (size_t i = 0; i < p.ngone; i++)
			FUZZ_ASSERT(p.gone[i].kind == HF_OBJ_INDEX || p.gone[i].kind == HF_OBJ_SNAPSHOT);
		FUZZ_ASSERT(hf_pending_encode_gone(&r, p.time_ns, p.grace_ns, (const uint8_t(*)[HF_ID_LEN])p.packs,
						   p.npacks, p.gone, p.ngone, &again) == 0);
		FUZZ_ASSERT(again.len == obj.len && memcmp(again.data, obj.data, obj.len) == 0);
		free(p.packs);
		free(p.gone);
	}
out:
	hf_buf_release(&obj);
	hf_buf_release(&again);
	return 0;
}

#include "fuzz_main.h"
