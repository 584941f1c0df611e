/* fuzz_index.c — fuzz target for hf_index_parse, the main part of an index
 * object (packs, their keys, and where each blob is) behind its tag and AEAD:
 * every restore, check and prune trusts the in-memory index built from it.
 *
 * Invariants: a refused part adds nothing (no claim, no pack); an accepted
 * one adds at most one claim per listed blob, each with lengths and flags
 * the format allows and a pack number in the pack table, each found again by
 * its id once sealed; parsing the same part again adds no claim (repeats are
 * dropped) and no pack (same pack id, same key). */
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "fuzz_assert.h"
#include "repo/repo_internal.h"

#define FUZZ_NAME "index"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct hf_index *ix;
	size_t count, packs;

	if (!ready) /* the key table is in secure memory */
		ready = hf_crypto_init() == 0;
	FUZZ_ASSERT(ready);
	ix = hf_index_new();
	FUZZ_ASSERT(ix != NULL);
	if (hf_index_parse(ix, data, size, 0) < 0) {
		FUZZ_ASSERT(ix->nentries == 0 && ix->npacks == 0);
		hf_index_free(ix);
		return 0;
	}
	hf_index_seal(ix);
	FUZZ_ASSERT(ix->nentries <= size / (HF_ID_LEN + 5));
	for (size_t i = 0; i < ix->nentries; i++) {
		const struct hf_index_entry *e = &ix->entries[i];
		const struct hf_blob_loc *l = hf_index_find(ix, e->id);
		size_t n = 0;
		FUZZ_ASSERT(e->loc.pack < ix->npacks);
		FUZZ_ASSERT(e->loc.stored_len >= HF_AEAD_OVERHEAD && e->loc.stored_len <= HF_BLOB_MAX + HF_AEAD_OVERHEAD);
		FUZZ_ASSERT(e->loc.raw_len <= HF_BLOB_MAX && e->loc.type <= HF_BLOB_TREE);
		FUZZ_ASSERT((e->loc.flags & ~HF_BLOB_F_ZSTD) == 0);
		FUZZ_ASSERT(l != NULL);
		for (; l && hf_index_pos(ix, l) != i; l = hf_index_find_next(ix, e->id, l))
			n++;
		FUZZ_ASSERT(l != NULL && n < ix->nentries); /* its own claim is among the id's claims */
		if (i > 0)
			FUZZ_ASSERT(memcmp(ix->entries[i - 1].id, e->id, HF_ID_LEN) <= 0);
	}
	count = ix->nentries;
	packs = ix->npacks;
	FUZZ_ASSERT(hf_index_parse(ix, data, size, 1) == 0);
	hf_index_seal(ix);
	FUZZ_ASSERT(ix->nentries == count && ix->npacks == packs);
	hf_index_free(ix);
	return 0;
}

#include "fuzz_main.h"
