/* idmap.c — open-addressing hash map from 32-byte ids to fixed-size values.
 *
 * One contiguous slot array, each slot = id (32 bytes) + value rounded up to 8,
 * plus a one-bit-per-slot occupancy bitmap. Ids are uniformly random (MACs),
 * so the first 8 bytes serve as the hash; linear probing; doubles at load 0.7. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"
#include "util/idmap.h"
#include "util/mem.h"

#define IDMAP_MIN_SLOTS 16
#define IDMAP_MAX_VALUE (1u << 20)

struct hf_idmap {
	uint8_t *slots;
	uint64_t *used; /* occupancy bitmap, one bit per slot */
	size_t value_size;
	size_t stride;
	size_t nslots; /* a power of two */
	size_t mask;
	size_t count;
	size_t grow_at; /* count that triggers doubling: 0.7 * nslots */
};

static inline uint64_t id_hash(const uint8_t *id)
{
	uint64_t h;

	memcpy(&h, id, sizeof(h));
	return h;
}

static inline int slot_used(const uint64_t *used, size_t i)
{
	return (int)(used[i >> 6] >> (i & 63)) & 1;
}

/* allocates the arrays for nslots slots; frees nothing on failure */
static int idmap_alloc(size_t nslots, size_t stride, uint8_t **slots, uint64_t **used)
{
	size_t bytes;

	if (hf_mul_ok(nslots, stride, &bytes) < 0)
		return -HF_E_LIMIT;
	*slots = hf_try_malloc(bytes);
	if (!*slots)
		return -ENOMEM;
	*used = calloc((nslots + 63) / 64, sizeof(uint64_t));
	if (!*used) {
		free(*slots);
		*slots = NULL;
		return -ENOMEM;
	}
	return 0;
}

static void idmap_set_size(struct hf_idmap *m, size_t nslots)
{
	m->nslots = nslots;
	m->mask = nslots - 1;
	m->grow_at = nslots / 10 * 7 + nslots % 10 * 7 / 10;
}

struct hf_idmap *hf_idmap_new(size_t value_size)
{
	struct hf_idmap *m = NULL;

	if (value_size > IDMAP_MAX_VALUE)
		return NULL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	m->value_size = value_size;
	m->stride = HF_ID_LEN + ((value_size + 7) & ~(size_t)7);
	if (idmap_alloc(IDMAP_MIN_SLOTS, m->stride, &m->slots, &m->used) < 0) {
		free(m);
		return NULL;
	}
	idmap_set_size(m, IDMAP_MIN_SLOTS);
	return m;
}

void hf_idmap_free(struct hf_idmap *m)
{
	if (!m)
		return;
	free(m->slots);
	free(m->used);
	free(m);
}

size_t hf_idmap_count(const struct hf_idmap *m)
{
	return m->count;
}

/* index of id's slot, or of the empty slot where it would go */
static inline size_t idmap_find(const struct hf_idmap *m, const uint8_t *id, int *found)
{
	size_t i = (size_t)id_hash(id) & m->mask;
	uint64_t h = id_hash(id);

	while (slot_used(m->used, i)) {
		const uint8_t *s = m->slots + i * m->stride;

		if (id_hash(s) == h && memcmp(s + 8, id + 8, HF_ID_LEN - 8) == 0) {
			*found = 1;
			return i;
		}
		i = (i + 1) & m->mask;
	}
	*found = 0;
	return i;
}

static int idmap_grow(struct hf_idmap *m)
{
	uint8_t *slots = NULL;
	uint64_t *used = NULL;
	size_t n, i, j, mask;
	int r;

	if (m->nslots > SIZE_MAX / 2)
		return -HF_E_LIMIT;
	n = m->nslots * 2;
	r = idmap_alloc(n, m->stride, &slots, &used);
	if (r < 0)
		return r;
	mask = n - 1;
	for (i = 0; i < m->nslots; i++) {
		const uint8_t *s;

		if (!slot_used(m->used, i))
			continue;
		s = m->slots + i * m->stride;
		j = (size_t)id_hash(s) & mask;
		while (slot_used(used, j))
			j = (j + 1) & mask;
		memcpy(slots + j * m->stride, s, m->stride);
		used[j >> 6] |= (uint64_t)1 << (j & 63);
	}
	free(m->slots);
	free(m->used);
	m->slots = slots;
	m->used = used;
	idmap_set_size(m, n);
	return 0;
}

void *hf_idmap_get(const struct hf_idmap *m, const uint8_t id[HF_ID_LEN])
{
	int found;
	size_t i = idmap_find(m, id, &found);

	return found ? m->slots + i * m->stride + HF_ID_LEN : NULL;
}

int hf_idmap_put(struct hf_idmap *m, const uint8_t id[HF_ID_LEN], const void *value, void **slot)
{
	uint8_t *s;
	size_t i;
	int found, r;

	i = idmap_find(m, id, &found);
	if (!found && m->count + 1 > m->grow_at) {
		r = idmap_grow(m);
		if (r < 0)
			return r;
		i = idmap_find(m, id, &found);
	}
	s = m->slots + i * m->stride;
	if (found) {
		if (slot)
			*slot = s + HF_ID_LEN;
		return 0;
	}
	memcpy(s, id, HF_ID_LEN);
	if (value)
		memcpy(s + HF_ID_LEN, value, m->value_size);
	else
		memset(s + HF_ID_LEN, 0, m->value_size);
	/* the padding too, so slots never hold stale heap bytes */
	memset(s + HF_ID_LEN + m->value_size, 0, m->stride - HF_ID_LEN - m->value_size);
	m->used[i >> 6] |= (uint64_t)1 << (i & 63);
	m->count++;
	if (slot)
		*slot = s + HF_ID_LEN;
	return 1;
}

int hf_idmap_next(const struct hf_idmap *m, size_t *pos, const uint8_t **id, void **value)
{
	size_t i = *pos;

	while (i < m->nslots) {
		uint64_t w = m->used[i >> 6] >> (i & 63);

		if (w) {
			uint8_t *s;

			i += (size_t)__builtin_ctzll(w);
			s = m->slots + i * m->stride;
			*pos = i + 1;
			if (id)
				*id = s;
			if (value)
				*value = s + HF_ID_LEN;
			return 1;
		}
		i = (i | 63) + 1; /* rest of this bitmap word is empty */
	}
	*pos = m->nslots;
	return 0;
}
