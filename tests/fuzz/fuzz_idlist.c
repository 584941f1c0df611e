/* fuzz_idlist.c — fuzz target for hf_index_parse_idlist, the decrypted id
 * list of an index object: all a write-only client knows of the index (which
 * blobs exist, in which pack), from which its backups decide what not to
 * store again.
 *
 * Invariants: a refused list adds nothing (no claim, no pack); an accepted
 * one adds one claim per listed blob, each with a pack number in the pack
 * table and no location (offset and lengths zero), and every pack key zero;
 * once sealed each claim is found again by its id; parsing the same list
 * again adds no claim and no pack. */
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "fuzz_assert.h"
#include "repo/repo_internal.h"

#define FUZZ_NAME "idlist"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t zero[HF_KEY_LEN];
	static int ready;
	struct hf_index *ix;
	size_t count, packs;

	if (!ready) /* the key table is in secure memory */
		ready = hf_crypto_init() == 0;
	FUZZ_ASSERT(ready);
	ix = hf_index_new();
	FUZZ_ASSERT(ix != NULL);
	if (hf_index_parse_idlist(ix, data, size, 0) < 0) {
		FUZZ_ASSERT(ix->nentries == 0 && ix->npacks == 0);
		hf_index_free(ix);
		return 0;
	}
	hf_index_seal(ix);
	FUZZ_ASSERT(ix->nentries <= size / (HF_ID_LEN + 1));
	for (size_t k = 0; k < ix->npacks; k++)
		FUZZ_ASSERT(memcmp(hf_index_pack_key(ix, k), zero, HF_KEY_LEN) == 0);
	for (size_t i = 0; i < ix->nentries; i++) {
		const struct hf_index_entry *e = &ix->entries[i];
		FUZZ_ASSERT(e->loc.pack < ix->npacks);
		FUZZ_ASSERT(e->loc.offset == 0 && e->loc.stored_len == 0 && e->loc.raw_len == 0);
		FUZZ_ASSERT(hf_index_find(ix, e->id) != NULL);
		if (i > 0)
			FUZZ_ASSERT(memcmp(ix->entries[i - 1].id, e->id, HF_ID_LEN) <= 0);
	}
	count = ix->nentries;
	packs = ix->npacks;
	FUZZ_ASSERT(hf_index_parse_idlist(ix, data, size, 1) == 0);
	hf_index_seal(ix);
	FUZZ_ASSERT(ix->nentries == count && ix->npacks == packs);
	hf_index_free(ix);
	return 0;
}

#include "fuzz_main.h"
