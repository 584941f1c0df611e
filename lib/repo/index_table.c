/* index_table.c — the in-memory index: claims in one array sorted by blob id,
 * a directory over the ids' first bits, and the pack and key tables.
 *
 * Loading appends claims unsorted (hf_index_append), then hf_index_seal sorts
 * them in place: a radix pass on the first dir_bits bits of the id moves each
 * claim into its bucket (ids are MACs, so buckets hold a few claims each),
 * then each bucket is sorted by the full order. The bucket starts are the
 * directory. Nothing but the array itself and the directory is held, so the
 * index costs about 53 bytes per claim with no copy at any time. */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "repo/repo_internal.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/mem.h"

#define DIR_BITS_MAX 24
#define BUCKET_TARGET 8  /* claims per bucket aimed at */
#define INSERTION_MAX 24 /* buckets larger than this are sorted by qsort */

struct hf_index *hf_index_new(void)
{
	struct hf_index *ix = hf_xcalloc(1, sizeof(*ix));

	ix->pack_ids = hf_idmap_new(sizeof(uint32_t));
	if (!ix->pack_ids) {
		free(ix);
		return NULL;
	}
	return ix;
}

void hf_index_free(struct hf_index *ix)
{
	if (!ix)
		return;
	free(ix->entries);
	free(ix->dir);
	hf_idmap_free(ix->pack_ids);
	free(ix->packs);
	hf_secure_free(ix->keys);
	for (size_t i = 0; i < ix->nfiles; i++)
		free(ix->files[i]);
	free(ix->files);
	free(ix);
}

/* ---- packs and keys --------------------------------------------------------- */

static uint32_t add_key(struct hf_index *ix, const uint8_t *key)
{
	if (ix->nkeys > 0 && hf_ct_equal(ix->keys + (ix->nkeys - 1) * HF_KEY_LEN, key, HF_KEY_LEN))
		return (uint32_t)(ix->nkeys - 1);
	if (ix->nkeys == ix->keys_cap) {
		size_t cap = ix->keys_cap ? 2 * ix->keys_cap : 64;
		uint8_t *k = hf_secure_alloc(cap * HF_KEY_LEN);
		if (ix->keys)
			memcpy(k, ix->keys, ix->nkeys * HF_KEY_LEN);
		hf_secure_free(ix->keys);
		ix->keys = k;
		ix->keys_cap = cap;
	}
	memcpy(ix->keys + ix->nkeys * HF_KEY_LEN, key, HF_KEY_LEN);
	return (uint32_t)ix->nkeys++;
}

int hf_index_add_pack(struct hf_index *ix, const uint8_t *id, const uint8_t *key, uint32_t file, uint32_t *out)
{
	uint32_t no = (uint32_t)ix->npacks, *slot, first = UINT32_MAX;
	int r;

	if (ix->npacks >= UINT32_MAX)
		return -HF_E_LIMIT;
	r = hf_idmap_put(ix->pack_ids, id, &no, (void **)&slot);
	if (r < 0)
		return r;
	if (r == 0) {
		first = *slot;
		for (uint32_t p = first; p != UINT32_MAX; p = ix->packs[p].next_same)
			if (hf_ct_equal(ix->keys + (size_t)ix->packs[p].key * HF_KEY_LEN, key, HF_KEY_LEN)) {
				*out = p;
				return 0;
			}
	}
	if (ix->npacks == ix->packs_cap) {
		ix->packs_cap = ix->packs_cap ? 2 * ix->packs_cap : 256;
		ix->packs = hf_xreallocarray(ix->packs, ix->packs_cap, sizeof(*ix->packs));
	}
	memcpy(ix->packs[no].id, id, HF_ID_LEN);
	ix->packs[no].key = add_key(ix, key);
	ix->packs[no].file = file;
	ix->packs[no].next_same = UINT32_MAX;
	if (first != UINT32_MAX) {
		ix->packs[no].next_same = ix->packs[first].next_same;
		ix->packs[first].next_same = no;
	}
	ix->npacks++;
	*out = no;
	return 0;
}

/* ---- claims ------------------------------------------------------------------ */

int hf_index_reserve(struct hf_index *ix, size_t more)
{
	struct hf_index_entry *e;
	size_t want, cap;

	if (more > UINT32_MAX - ix->nentries)
		return -HF_E_LIMIT; /* the directory numbers claims in 32 bits */
	want = ix->nentries + more;
	if (want <= ix->entries_cap)
		return 0;
	/* grow by half: a large array is moved by the kernel (mremap), not
	 * copied, so the spare room costs address space, not memory */
	cap = ix->entries_cap + ix->entries_cap / 2;
	if (cap < want)
		cap = want;
	e = hf_try_reallocarray(ix->entries, cap, sizeof(*e));
	if (!e)
		return -ENOMEM;
	ix->entries = e;
	ix->entries_cap = cap;
	return 0;
}

void hf_index_append(struct hf_index *ix, const uint8_t id[HF_ID_LEN], const struct hf_blob_loc *loc)
{
	struct hf_index_entry *e = &ix->entries[ix->nentries++]; /* room made by hf_index_reserve */

	memcpy(e->id, id, HF_ID_LEN);
	e->loc = *loc;
}

static inline uint32_t bucket_of(const uint8_t *id, unsigned bits)
{
	return bits ? hf_get_be32(id) >> (32 - bits) : 0;
}

static int same_loc(const struct hf_blob_loc *a, const struct hf_blob_loc *b)
{
	return a->pack == b->pack && a->offset == b->offset && a->stored_len == b->stored_len &&
	       a->raw_len == b->raw_len && a->type == b->type && a->flags == b->flags;
}

#define CMP_FIELD(a, b, f)                                       \
	do {                                                     \
		if ((a)->loc.f != (b)->loc.f)                    \
			return (a)->loc.f < (b)->loc.f ? -1 : 1; \
	} while (0)

/* by id, then by where the claim points: the claims of a blob in pack order
 * (packs are numbered as the index objects naming them are loaded), and
 * identical claims side by side */
static int entry_cmp(const void *pa, const void *pb)
{
	const struct hf_index_entry *a = pa, *b = pb;
	int c = memcmp(a->id, b->id, HF_ID_LEN);

	if (c)
		return c;
	CMP_FIELD(a, b, pack);
	CMP_FIELD(a, b, offset);
	CMP_FIELD(a, b, stored_len);
	CMP_FIELD(a, b, raw_len);
	CMP_FIELD(a, b, type);
	CMP_FIELD(a, b, flags);
	return 0;
}

static void swap_entries(struct hf_index_entry *a, struct hf_index_entry *b)
{
	struct hf_index_entry t = *a;

	*a = *b;
	*b = t;
}

static void sort_bucket(struct hf_index_entry *e, size_t n)
{
	if (n > INSERTION_MAX) {
		qsort(e, n, sizeof(*e), entry_cmp);
		return;
	}
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && entry_cmp(&e[j - 1], &e[j]) > 0; j--)
			swap_entries(&e[j - 1], &e[j]);
}

/* dir[b] = the first claim of bucket b, from a count of each bucket */
static void count_buckets(struct hf_index *ix)
{
	size_t nb = (size_t)1 << ix->dir_bits;

	memset(ix->dir, 0, (nb + 1) * sizeof(*ix->dir));
	for (size_t i = 0; i < ix->nentries; i++)
		ix->dir[bucket_of(ix->entries[i].id, ix->dir_bits) + 1]++;
	for (size_t b = 0; b < nb; b++)
		ix->dir[b + 1] += ix->dir[b];
}

/* moves every claim into its bucket, in place (each claim is moved once) */
static void radix_pass(struct hf_index *ix)
{
	size_t nb = (size_t)1 << ix->dir_bits;
	uint32_t *fill = hf_xreallocarray(NULL, nb, sizeof(*fill));

	memcpy(fill, ix->dir, nb * sizeof(*fill));
	for (size_t b = 0; b < nb; b++)
		while (fill[b] < ix->dir[b + 1]) {
			struct hf_index_entry *e = &ix->entries[fill[b]];
			uint32_t t = bucket_of(e->id, ix->dir_bits);
			if (t == b)
				fill[b]++;
			else
				swap_entries(e, &ix->entries[fill[t]++]);
		}
	free(fill);
}

/* drops a claim identical to the one before it (an index object a prune
 * rewrote and its old one, or the same object listed twice) */
static size_t drop_repeats(struct hf_index *ix)
{
	size_t w = 0, n;

	for (size_t i = 0; i < ix->nentries; i++) {
		const struct hf_index_entry *e = &ix->entries[i];
		if (w > 0 && memcmp(ix->entries[w - 1].id, e->id, HF_ID_LEN) == 0 &&
		    same_loc(&ix->entries[w - 1].loc, &e->loc))
			continue;
		if (w != i)
			ix->entries[w] = *e;
		w++;
	}
	n = ix->nentries - w;
	ix->nentries = w;
	return n;
}

void hf_index_seal(struct hf_index *ix)
{
	unsigned bits = 0;
	size_t nb;

	while (bits < DIR_BITS_MAX && (ix->nentries >> bits) > BUCKET_TARGET)
		bits++;
	nb = (size_t)1 << bits;
	if (!ix->dir || bits != ix->dir_bits) {
		free(ix->dir);
		ix->dir = hf_xreallocarray(NULL, nb + 1, sizeof(*ix->dir));
		ix->dir_bits = bits;
	}
	count_buckets(ix);
	radix_pass(ix);
	for (size_t b = 0; b < nb && ix->nentries > 0; b++)
		sort_bucket(ix->entries + ix->dir[b], ix->dir[b + 1] - ix->dir[b]);
	if (drop_repeats(ix) > 0)
		count_buckets(ix);
}

/* ---- lookups ----------------------------------------------------------------- */

static const struct hf_index_entry *entry_of(const struct hf_blob_loc *loc)
{
	return (const struct hf_index_entry *)(const void *)((const char *)loc - offsetof(struct hf_index_entry, loc));
}

const struct hf_blob_loc *hf_index_find(const struct hf_index *ix, const uint8_t id[HF_ID_LEN])
{
	uint32_t b, lo, hi;

	if (!ix || !ix->dir)
		return NULL;
	b = bucket_of(id, ix->dir_bits);
	lo = ix->dir[b];
	hi = ix->dir[b + 1];
	while (lo < hi) { /* the first claim with an id not below id */
		uint32_t mid = lo + (hi - lo) / 2;
		if (memcmp(ix->entries[mid].id, id, HF_ID_LEN) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < ix->dir[b + 1] && memcmp(ix->entries[lo].id, id, HF_ID_LEN) == 0 ? &ix->entries[lo].loc : NULL;
}

const struct hf_blob_loc *hf_index_find_next(const struct hf_index *ix, const uint8_t id[HF_ID_LEN],
					     const struct hf_blob_loc *prev)
{
	const struct hf_index_entry *next;

	if (!ix || !prev)
		return NULL;
	next = entry_of(prev) + 1;
	return next < ix->entries + ix->nentries && memcmp(next->id, id, HF_ID_LEN) == 0 ? &next->loc : NULL;
}

size_t hf_index_claims(const struct hf_index *ix, const uint8_t id[HF_ID_LEN])
{
	size_t n = 0;

	for (const struct hf_blob_loc *l = hf_index_find(ix, id); l; l = hf_index_find_next(ix, id, l))
		n++;
	return n;
}

int hf_index_next(const struct hf_index *ix, size_t *pos, const uint8_t **id, const struct hf_blob_loc **loc)
{
	if (!ix || *pos >= ix->nentries)
		return 0;
	*id = ix->entries[*pos].id;
	*loc = &ix->entries[*pos].loc;
	(*pos)++;
	return 1;
}

int hf_index_trees_apart(const struct hf_index *ix)
{
	size_t npacks = hf_index_npacks(ix), pos = 0;
	uint8_t *kinds = hf_xcalloc(npacks ? npacks : 1, 1); /* per pack: 1 trees, 2 data */
	const struct hf_blob_loc *loc;
	const uint8_t *id;
	int apart = 1;

	while (apart && hf_index_next(ix, &pos, &id, &loc) > 0) {
		if (loc->pack >= npacks)
			continue;
		kinds[loc->pack] |= loc->type == HF_BLOB_TREE ? 1 : 2;
		apart = kinds[loc->pack] != 3;
	}
	free(kinds);
	return apart;
}

size_t hf_index_count(const struct hf_index *ix)
{
	return ix ? ix->nentries : 0;
}

size_t hf_index_pos(const struct hf_index *ix, const struct hf_blob_loc *loc)
{
	return (size_t)(entry_of(loc) - ix->entries);
}

const char *hf_index_claim_file(const struct hf_index *ix, const struct hf_blob_loc *loc)
{
	uint32_t f;

	if (loc->pack >= ix->npacks)
		return "?";
	f = ix->packs[loc->pack].file;
	return f < ix->nfiles ? ix->files[f] : "?";
}

const struct hf_index_entry *hf_index_at(const struct hf_index *ix, size_t pos)
{
	return &ix->entries[pos];
}

size_t hf_index_npacks(const struct hf_index *ix)
{
	return ix ? ix->npacks : 0;
}

const uint8_t *hf_index_pack_id(const struct hf_index *ix, size_t k)
{
	return ix->packs[k].id;
}

const uint8_t *hf_index_pack_key(const struct hf_index *ix, size_t k)
{
	return ix->keys + (size_t)ix->packs[k].key * HF_KEY_LEN;
}

uint32_t hf_index_pack_first(const struct hf_index *ix, const uint8_t id[HF_ID_LEN])
{
	const uint32_t *no = ix ? hf_idmap_get(ix->pack_ids, id) : NULL;

	return no ? *no : UINT32_MAX;
}

uint32_t hf_index_pack_next(const struct hf_index *ix, uint32_t k)
{
	return ix->packs[k].next_same;
}

size_t hf_index_nfiles(const struct hf_index *ix)
{
	return ix ? ix->nfiles : 0;
}

const char *hf_index_file(const struct hf_index *ix, size_t i)
{
	return ix->files[i];
}
