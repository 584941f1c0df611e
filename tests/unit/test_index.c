/* test_index.c — the in-memory index table (lib/repo/index_table.c): sorted
 * claims, the directory, several claims per blob, repeats, and sealing again
 * after more claims arrive (a refresh). Checked against a plain reference. */
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "repo/repo_internal.h"
#include "t.h"

static uint64_t splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15u);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

static void make_id(uint8_t id[HF_ID_LEN], uint64_t n)
{
	uint64_t s = n * 7919 + 1;

	for (int k = 0; k < 4; k++) {
		uint64_t x = splitmix(&s);
		memcpy(id + 8 * k, &x, 8);
	}
}

static struct hf_blob_loc loc_for(uint64_t n, uint32_t pack)
{
	return (struct hf_blob_loc){.pack = pack,
				    .offset = (uint32_t)(n * 64),
				    .stored_len = 17 + (uint32_t)(n % 1000),
				    .raw_len = 1 + (uint32_t)(n % 1000),
				    .type = (uint8_t)(n % 2),
				    .flags = 0};
}

static int same(const struct hf_blob_loc *a, const struct hf_blob_loc *b)
{
	return a->pack == b->pack && a->offset == b->offset && a->stored_len == b->stored_len &&
	       a->raw_len == b->raw_len && a->type == b->type && a->flags == b->flags;
}

static void add(struct hf_index *ix, uint64_t n, uint32_t pack)
{
	uint8_t id[HF_ID_LEN];
	struct hf_blob_loc l = loc_for(n, pack);

	make_id(id, n);
	T_EQ(hf_index_reserve(ix, 1), 0);
	hf_index_append(ix, id, &l);
}

/* every entry in order, and no two identical claims */
static int sorted(const struct hf_index *ix)
{
	for (size_t i = 1; i < ix->nentries; i++) {
		int c = memcmp(ix->entries[i - 1].id, ix->entries[i].id, HF_ID_LEN);
		if (c > 0 || (c == 0 && ix->entries[i - 1].loc.pack >= ix->entries[i].loc.pack))
			return 0;
	}
	return 1;
}

#define N 200000

static void test_lookup(void)
{
	struct hf_index *ix = hf_index_new();
	uint8_t id[HF_ID_LEN];
	size_t bad = 0, pos = 0, seen = 0;
	const uint8_t *kid;
	const struct hf_blob_loc *l;

	T_CHECK(ix != NULL);
	if (!ix)
		return;
	/* nothing sealed yet: nothing found */
	make_id(id, 1);
	T_CHECK(hf_index_find(ix, id) == NULL);
	for (uint64_t n = 0; n < N; n++)
		add(ix, n, (uint32_t)(n % 7));
	hf_index_seal(ix);
	T_EQ(hf_index_count(ix), N);
	T_CHECK(sorted(ix));
	for (uint64_t n = 0; n < N; n++) {
		struct hf_blob_loc want = loc_for(n, (uint32_t)(n % 7));
		make_id(id, n);
		l = hf_index_find(ix, id);
		if (!l || !same(l, &want) || hf_index_find_next(ix, id, l) != NULL || hf_index_claims(ix, id) != 1 ||
		    memcmp(ix->entries[hf_index_pos(ix, l)].id, id, HF_ID_LEN) != 0)
			bad++;
	}
	T_EQ(bad, 0);
	for (uint64_t n = N; n < N + 50000; n++) { /* absent */
		make_id(id, n);
		if (hf_index_find(ix, id))
			bad++;
	}
	T_EQ(bad, 0);
	/* near misses: an id that differs in its last byte only */
	make_id(id, 5);
	id[HF_ID_LEN - 1] ^= 1;
	T_CHECK(hf_index_find(ix, id) == NULL);
	while (hf_index_next(ix, &pos, &kid, &l))
		seen++;
	T_EQ(seen, N);
	hf_index_free(ix);
}

/* claims arriving later (a refresh): other places for blobs already there,
 * new blobs, and repeats of claims already there, which are dropped */
static void test_more_claims(void)
{
	struct hf_index *ix = hf_index_new();
	uint8_t id[HF_ID_LEN];
	size_t bad = 0;

	T_CHECK(ix != NULL);
	if (!ix)
		return;
	for (uint64_t n = 0; n < 1000; n++)
		add(ix, n, 0);
	hf_index_seal(ix);
	for (uint64_t n = 0; n < 1000; n += 10) /* a second claim, in pack 3 */
		add(ix, n, 3);
	for (uint64_t n = 0; n < 1000; n += 5) /* the same claim again */
		add(ix, n, 0);
	for (uint64_t n = 1000; n < 1500; n++) /* new blobs */
		add(ix, n, 1);
	hf_index_seal(ix);
	T_EQ(hf_index_count(ix), 1000 + 100 + 500);
	T_CHECK(sorted(ix));
	for (uint64_t n = 0; n < 1500; n++) {
		const struct hf_blob_loc *l, *l2;
		struct hf_blob_loc first = loc_for(n, n < 1000 ? 0 : 1), second = loc_for(n, 3);
		make_id(id, n);
		l = hf_index_find(ix, id);
		l2 = l ? hf_index_find_next(ix, id, l) : NULL;
		if (!l || !same(l, &first)) /* claims in pack order: the earlier pack first */
			bad++;
		else if (n < 1000 && n % 10 == 0 ? !l2 || !same(l2, &second) || hf_index_find_next(ix, id, l2)
						 : l2 != NULL)
			bad++;
		if (hf_index_claims(ix, id) != (n < 1000 && n % 10 == 0 ? 2u : 1u))
			bad++;
	}
	T_EQ(bad, 0);
	hf_index_free(ix);
}

/* the pack table: a pack under the same key is one entry, under another key
 * another, chained to the first */
static void test_packs(void)
{
	struct hf_index *ix = hf_index_new();
	uint8_t pack[HF_ID_LEN], key1[HF_KEY_LEN], key2[HF_KEY_LEN];
	uint32_t a = 9, b = 9, c = 9;

	T_CHECK(ix != NULL);
	if (!ix)
		return;
	make_id(pack, 77);
	memset(key1, 1, sizeof(key1));
	memset(key2, 2, sizeof(key2));
	T_EQ(hf_index_add_pack(ix, pack, key1, 0, &a), 0);
	T_EQ(hf_index_add_pack(ix, pack, key1, 1, &b), 0);
	T_EQ(hf_index_add_pack(ix, pack, key2, 1, &c), 0);
	T_EQ(a, 0);
	T_EQ(b, 0);
	T_EQ(c, 1);
	T_EQ(ix->npacks, 2);
	T_EQ(ix->packs[0].next_same, 1);
	T_EQ(ix->packs[1].file, 1);
	hf_index_free(ix);
}

/* the empty index, and one claim */
static void test_small(void)
{
	struct hf_index *ix = hf_index_new();
	uint8_t id[HF_ID_LEN];

	T_CHECK(ix != NULL);
	if (!ix)
		return;
	hf_index_seal(ix);
	make_id(id, 3);
	T_CHECK(hf_index_find(ix, id) == NULL);
	add(ix, 3, 0);
	hf_index_seal(ix);
	T_CHECK(hf_index_find(ix, id) != NULL);
	T_EQ(hf_index_count(ix), 1);
	hf_index_free(ix);
}

int main(void)
{
	T_EQ(hf_crypto_init(), 0);
	T_RUN(test_lookup);
	T_RUN(test_more_claims);
	T_RUN(test_packs);
	T_RUN(test_small);
	return T_DONE("test_index");
}
