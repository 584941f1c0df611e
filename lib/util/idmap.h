/* idmap.h — hash map from 32-byte ids (already uniformly random: MACs and
 * SHA-256) to a fixed-size value record.
 *
 * Values are copied in; `value_size` is fixed per map. Not thread-safe: callers
 * that share a map wrap it in their own lock. Memory per entry is
 * 32 + value_size (rounded up to 8) bytes, plus 11 to 22 bytes of hash table. */
#ifndef HF_UTIL_IDMAP_H
#define HF_UTIL_IDMAP_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define HF_ID_LEN 32

struct hf_idmap;

HF_MUST_USE struct hf_idmap *hf_idmap_new(size_t value_size);
void hf_idmap_free(struct hf_idmap *m);
size_t hf_idmap_count(const struct hf_idmap *m);
/* pointer to the stored value, or NULL; valid until the map is freed */
void *hf_idmap_get(const struct hf_idmap *m, const uint8_t id[HF_ID_LEN]);
/* Inserts id if absent, copying *value (may be NULL: zero-filled).
 * Returns 1 if inserted, 0 if it was already there (value untouched), or
 * -ENOMEM / -HF_E_LIMIT when the map cannot grow (nothing inserted, *slot
 * not set): a caller that ignored it would lose the id silently.
 * *slot (if non-NULL) receives the stored value's address. */
HF_MUST_USE int hf_idmap_put(struct hf_idmap *m, const uint8_t id[HF_ID_LEN], const void *value, void **slot);
/* Iteration, in the order of insertion: *pos starts at 0; returns 0 at the end. */
int hf_idmap_next(const struct hf_idmap *m, size_t *pos, const uint8_t **id, void **value);

#endif
