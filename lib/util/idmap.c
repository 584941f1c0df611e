/* idmap.c — hash map from 32-byte ids to fixed-size values, compact.
 *
 * Records (id + value) are appended to chunks that never move: chunk k holds
 * FIRST_CHUNK << k records, so a small map costs little and a large one
 * wastes at most the unwritten end of its last chunk (address space, not
 * memory: pages never written are never resident). The hash table holds
 * 8-byte slots: the record's number + 1 in the low half (0: empty) and 32
 * bits of the id in the high half, so a probe past another id almost never
 * reads its record. Ids are uniformly random (MACs), so their first bytes
 * serve as the hash. Linear probing; the table doubles at load 3/4.
 * Per entry: the record, plus 10.7 to 21.3 bytes of table. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"
#include "util/idmap.h"
#include "util/mem.h"

#define IDMAP_MIN_SLOTS 16
#define IDMAP_MAX_VALUE (1u << 20)
#define FIRST_CHUNK_BITS 4 /* chunk 0 holds 16 records */
#define MAX_CHUNKS 29      /* 16 × (2^29 − 1) records > UINT32_MAX */

struct hf_idmap {
	uint8_t *chunks[MAX_CHUNKS];
	size_t value_size;
	size_t stride;
	uint64_t *slots;
	size_t nslots; /* a power of two */
	size_t count;
	size_t grow_at;
};

static inline uint64_t id_hash(const uint8_t *id)
{
	uint64_t h;

	memcpy(&h, id, sizeof(h));
	return h;
}

static inline uint64_t id_tag(const uint8_t *id)
{
	uint32_t t;

	memcpy(&t, id + 8, sizeof(t));
	return (uint64_t)t << 32;
}

/* chunk k holds records 16(2^k − 1) .. 16(2^(k+1) − 1) − 1 */
static inline unsigned chunk_of(size_t rec, size_t *at)
{
	size_t q = (rec >> FIRST_CHUNK_BITS) + 1;
	unsigned k = (unsigned)(63 - __builtin_clzll((unsigned long long)q));

	*at = rec - ((((size_t)1 << k) - 1) << FIRST_CHUNK_BITS);
	return k;
}

static inline uint8_t *record(const struct hf_idmap *m, size_t rec)
{
	size_t at;
	unsigned k = chunk_of(rec, &at);

	return m->chunks[k] + at * m->stride;
}

static void set_size(struct hf_idmap *m, size_t nslots)
{
	m->nslots = nslots;
	m->grow_at = nslots / 4 * 3;
}

struct hf_idmap *hf_idmap_new(size_t value_size)
{
	struct hf_idmap *m;

	if (value_size > IDMAP_MAX_VALUE)
		return NULL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	m->value_size = value_size;
	m->stride = HF_ID_LEN + ((value_size + 7) & ~(size_t)7);
	m->slots = calloc(IDMAP_MIN_SLOTS, sizeof(*m->slots));
	if (!m->slots) {
		free(m);
		return NULL;
	}
	set_size(m, IDMAP_MIN_SLOTS);
	return m;
}

void hf_idmap_free(struct hf_idmap *m)
{
	if (!m)
		return;
	for (unsigned k = 0; k < MAX_CHUNKS; k++)
		free(m->chunks[k]);
	free(m->slots);
	free(m);
}

size_t hf_idmap_count(const struct hf_idmap *m)
{
	return m->count;
}

/* index of id's slot, or of the empty slot where it would go */
static inline size_t find_slot(const struct hf_idmap *m, const uint64_t *slots, size_t nslots, const uint8_t *id,
			       int *found)
{
	size_t mask = nslots - 1, i = (size_t)id_hash(id) & mask;
	uint64_t tag = id_tag(id);

	for (; slots[i] != 0; i = (i + 1) & mask)
		if ((slots[i] & 0xffffffff00000000u) == tag &&
		    memcmp(record(m, (size_t)(slots[i] & 0xffffffffu) - 1), id, HF_ID_LEN) == 0) {
			*found = 1;
			return i;
		}
	*found = 0;
	return i;
}

/* doubles the table, placing the records again in their order (reading
 * them one after the other, not at random) */
static int grow(struct hf_idmap *m)
{
	size_t n = m->nslots * 2, mask;
	uint64_t *slots;

	if (m->nslots > SIZE_MAX / 2 / sizeof(*slots))
		return -HF_E_LIMIT;
	slots = calloc(n, sizeof(*slots));
	if (!slots)
		return -ENOMEM;
	mask = n - 1;
	for (size_t rec = 0; rec < m->count; rec++) {
		const uint8_t *id = record(m, rec);
		size_t i = (size_t)id_hash(id) & mask;
		while (slots[i] != 0)
			i = (i + 1) & mask;
		slots[i] = id_tag(id) | (rec + 1);
	}
	free(m->slots);
	m->slots = slots;
	set_size(m, n);
	return 0;
}

/* the address of a new record, allocating its chunk if it is the first */
static uint8_t *new_record(struct hf_idmap *m, size_t rec)
{
	size_t at;
	unsigned k = chunk_of(rec, &at);

	if (!m->chunks[k]) {
		size_t bytes;
		if (hf_mul_ok((size_t)1 << (k + FIRST_CHUNK_BITS), m->stride, &bytes) < 0)
			return NULL;
		m->chunks[k] = hf_try_malloc(bytes);
		if (!m->chunks[k])
			return NULL;
	}
	return m->chunks[k] + at * m->stride;
}

void *hf_idmap_get(const struct hf_idmap *m, const uint8_t id[HF_ID_LEN])
{
	int found;
	size_t i = find_slot(m, m->slots, m->nslots, id, &found);

	return found ? record(m, (size_t)(m->slots[i] & 0xffffffffu) - 1) + HF_ID_LEN : NULL;
}

int hf_idmap_put(struct hf_idmap *m, const uint8_t id[HF_ID_LEN], const void *value, void **slot)
{
	uint8_t *s;
	size_t i;
	int found, r;

	i = find_slot(m, m->slots, m->nslots, id, &found);
	if (found) {
		if (slot)
			*slot = record(m, (size_t)(m->slots[i] & 0xffffffffu) - 1) + HF_ID_LEN;
		return 0;
	}
	if (m->count >= UINT32_MAX - 1)
		return -HF_E_LIMIT; /* record numbers + 1 fill 32 bits */
	s = new_record(m, m->count);
	if (!s)
		return -ENOMEM;
	if (m->count + 1 > m->grow_at) {
		r = grow(m);
		if (r < 0)
			return r;
		i = find_slot(m, m->slots, m->nslots, id, &found);
	}
	memcpy(s, id, HF_ID_LEN);
	if (value)
		memcpy(s + HF_ID_LEN, value, m->value_size);
	else
		memset(s + HF_ID_LEN, 0, m->value_size);
	/* the padding too, so records never hold stale heap bytes */
	memset(s + HF_ID_LEN + m->value_size, 0, m->stride - HF_ID_LEN - m->value_size);
	m->slots[i] = id_tag(id) | (m->count + 1);
	m->count++;
	if (slot)
		*slot = s + HF_ID_LEN;
	return 1;
}

int hf_idmap_next(const struct hf_idmap *m, size_t *pos, const uint8_t **id, void **value)
{
	uint8_t *s;

	if (*pos >= m->count)
		return 0;
	s = record(m, (*pos)++);
	if (id)
		*id = s;
	if (value)
		*value = s + HF_ID_LEN;
	return 1;
}
