/* memo.c — what validation said of contents seen before (detect_int.h,
 * struct detect_memo).
 *
 * The watcher judges every file written under its paths, and a file server
 * copies a lot: cp -a, rsync, tar x and git clone write the same bytes
 * again and again, and each copy of a .gz or a PNG was decoded again in the
 * sandbox (measured: inflate was three quarters of the watcher's CPU in
 * bench/watch.sh). Validation is a function of the bytes alone, so its
 * answer for bytes already validated can be remembered.
 *
 * Each entry is keyed by a MAC of the whole input (its length, the type its
 * signature gave, every byte) under a key drawn when the memo is made: a
 * file differing by one byte anywhere gets its own entry, and without the
 * key nobody can aim two contents at one slot. Only final answers are kept
 * (valid or not: a failed request to the sandbox is not an answer). The
 * table is direct-mapped and fixed in size: a new entry takes its slot. */
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "detect/detect_int.h"
#include "util/buf.h"
#include "util/mem.h"

struct memo_entry {
	uint8_t key[HF_DETECT_MEMO_KEY];
	uint8_t used;
	uint8_t type; /* what the validator made of the type (a worker may correct it) */
	uint8_t valid;
	uint8_t container;
};

struct detect_memo {
	pthread_mutex_t lock;
	uint8_t mac_key[HF_KEY_LEN];
	size_t n;
	struct memo_entry *e;
	uint64_t hits, misses;
};

struct detect_memo *hf_detect_memo_new(size_t entries)
{
	struct detect_memo *m = hf_xcalloc(1, sizeof(*m));

	m->n = entries ? entries : 1;
	m->e = hf_xcalloc(m->n, sizeof(*m->e));
	hf_random(m->mac_key, sizeof(m->mac_key));
	pthread_mutex_init(&m->lock, NULL);
	return m;
}

void hf_detect_memo_free(struct detect_memo *m)
{
	if (!m)
		return;
	pthread_mutex_destroy(&m->lock);
	free(m->e);
	free(m);
}

static void memo_key(const struct detect_memo *m, const uint8_t *p, size_t n, unsigned type,
		     uint8_t out[HF_DETECT_MEMO_KEY])
{
	struct hf_mac_ctx *mac = hf_mac_new(m->mac_key);
	uint8_t head[9], full[HF_HASH_LEN];

	hf_put_le64(head, (uint64_t)n);
	head[8] = (uint8_t)type;
	hf_mac_update(mac, head, sizeof(head));
	hf_mac_update(mac, p, n);
	hf_mac_final(mac, full);
	memcpy(out, full, HF_DETECT_MEMO_KEY);
}

static struct memo_entry *slot_of(const struct detect_memo *m, const uint8_t key[HF_DETECT_MEMO_KEY])
{
	return &m->e[hf_get_le64(key) % m->n];
}

int hf_detect_memo_get(struct detect_memo *m, const uint8_t *p, size_t n, struct hf_profile *prof,
		       uint8_t key[HF_DETECT_MEMO_KEY])
{
	struct memo_entry *e;
	int r = -1;

	memo_key(m, p, n, prof->type, key);
	pthread_mutex_lock(&m->lock);
	e = slot_of(m, key);
	if (e->used && memcmp(e->key, key, HF_DETECT_MEMO_KEY) == 0) {
		prof->type = e->type;
		prof->encrypted_container = e->container;
		r = e->valid;
		m->hits++;
	} else {
		m->misses++;
	}
	pthread_mutex_unlock(&m->lock);
	return r;
}

void hf_detect_memo_put(struct detect_memo *m, const uint8_t key[HF_DETECT_MEMO_KEY], const struct hf_profile *prof,
			int valid)
{
	struct memo_entry *e;

	if (valid != HF_VALID_YES && valid != HF_VALID_NO)
		return;
	pthread_mutex_lock(&m->lock);
	e = slot_of(m, key);
	memcpy(e->key, key, HF_DETECT_MEMO_KEY);
	e->used = 1;
	e->type = prof->type;
	e->valid = (uint8_t)valid;
	e->container = prof->encrypted_container;
	pthread_mutex_unlock(&m->lock);
}

void hf_detect_memo_counts(struct detect_memo *m, uint64_t *hits, uint64_t *misses)
{
	pthread_mutex_lock(&m->lock);
	*hits = m->hits;
	*misses = m->misses;
	pthread_mutex_unlock(&m->lock);
}
