/* pack_cache.c — whole packs held in memory for blob readers on a remote
 * store (repo.h, hf_pack_cache).
 *
 * A restore goes in tree order, and the blobs one batch of files needs are
 * spread over the packs (backup workers interleave, deduplicated chunks
 * stay where they were first stored): on S3 it made thousands of small
 * range requests (about 25,000 per GB stored) where restic, reading whole
 * packs, made a few hundred. With the cache, the first read of a pack
 * fetches all of it in one GET, and every later read of it, by any thread,
 * is served from memory. At most `slots` packs are held (the least recently
 * used goes), a pack being fetched is waited for rather than fetched twice,
 * and when packs come back after eviction too often (the restore's order
 * does not fit the cache), the cache turns itself off and readers go back
 * to range reads, so the bytes downloaded stay bounded. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "repo/repo_internal.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/idmap.h"
#include "util/mem.h"

/* off once packs were fetched this many times over the distinct ones */
#define REFETCH_LIMIT 2

struct cache_slot {
	uint32_t pack; /* number in the index's pack table */
	int state;     /* SLOT_* */
	uint64_t used; /* tick of the last use */
	struct hf_buf data;
};

enum { SLOT_EMPTY = 0, SLOT_LOADING, SLOT_READY };

struct hf_pack_cache {
	struct hf_repo *repo;
	pthread_mutex_t lock;
	pthread_cond_t loaded;
	struct cache_slot *slots;
	size_t nslots;
	uint64_t tick;
	uint64_t fetches;
	struct hf_idmap *seen; /* pack ids fetched at least once */
	int off;
};

struct hf_pack_cache *hf_pack_cache_new(struct hf_repo *r, size_t slots)
{
	struct hf_pack_cache *c = hf_xcalloc(1, sizeof(*c));

	c->repo = r;
	c->nslots = slots ? slots : 1;
	c->slots = hf_xcalloc(c->nslots, sizeof(*c->slots));
	for (size_t i = 0; i < c->nslots; i++)
		hf_buf_init(&c->slots[i].data, (size_t)r->cfg.pack_size * 4 + HF_BLOB_MAX + 4096);
	c->seen = hf_idmap_new(0);
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->loaded, NULL);
	if (!c->seen)
		c->off = 1;
	return c;
}

void hf_pack_cache_free(struct hf_pack_cache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->nslots; i++)
		hf_buf_release(&c->slots[i].data);
	free(c->slots);
	hf_idmap_free(c->seen);
	pthread_cond_destroy(&c->loaded);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

static struct cache_slot *find(struct hf_pack_cache *c, uint32_t pack)
{
	for (size_t i = 0; i < c->nslots; i++)
		if (c->slots[i].state != SLOT_EMPTY && c->slots[i].pack == pack)
			return &c->slots[i];
	return NULL;
}

/* the least recently used slot not being filled; NULL if none */
static struct cache_slot *victim(struct hf_pack_cache *c)
{
	struct cache_slot *v = NULL;

	for (size_t i = 0; i < c->nslots; i++) {
		struct cache_slot *s = &c->slots[i];
		if (s->state == SLOT_LOADING)
			continue;
		if (s->state == SLOT_EMPTY)
			return s;
		if (!v || s->used < v->used)
			v = s;
	}
	return v;
}

/* fetches the whole pack into s (lock not held); 0 or an error */
static int fetch(struct hf_pack_cache *c, struct cache_slot *s, uint32_t pack)
{
	char name[HF_ID_HEX_LEN + 1];

	hf_id_hex(c->repo->index->packs[pack].id, name);
	s->data.len = 0;
	return hf_store_get(c->repo->store, HF_OBJ_PACK, name, &s->data);
}

int hf_pack_cache_read(struct hf_pack_cache *c, uint32_t pack, uint64_t off, size_t n, void *out)
{
	struct cache_slot *s = NULL;
	int r = 0;

	pthread_mutex_lock(&c->lock);
	while (!c->off && (s = find(c, pack)) != NULL && s->state == SLOT_LOADING)
		pthread_cond_wait(&c->loaded, &c->lock);
	if (c->off) {
		pthread_mutex_unlock(&c->lock);
		return -EAGAIN;
	}
	if (!s) {
		const uint8_t *id = c->repo->index->packs[pack].id;
		s = victim(c);
		if (!s) { /* every slot busy: this read goes round the cache */
			pthread_mutex_unlock(&c->lock);
			return -EAGAIN;
		}
		c->fetches++;
		if (hf_idmap_put(c->seen, id, NULL, NULL) < 0 ||
		    c->fetches > REFETCH_LIMIT * hf_idmap_count(c->seen) + c->nslots)
			c->off = 1; /* packs come back too often: range reads from here on */
		s->pack = pack;
		s->state = SLOT_LOADING;
		pthread_mutex_unlock(&c->lock);
		r = fetch(c, s, pack);
		pthread_mutex_lock(&c->lock);
		s->state = r == 0 ? SLOT_READY : SLOT_EMPTY;
		pthread_cond_broadcast(&c->loaded);
	}
	if (r == 0) {
		s->used = ++c->tick;
		if (off > s->data.len || n > s->data.len - off)
			r = -HF_E_CORRUPT; /* past the pack's end: as a range read would say */
		else
			memcpy(out, s->data.data + off, n);
	}
	pthread_mutex_unlock(&c->lock);
	return r;
}
