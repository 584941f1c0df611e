/* pack_cache.c — whole packs held in memory for blob readers on a remote
 * store (repo.h, hf_pack_cache).
 *
 * A restore in tree order needs blobs spread over the packs (backup
 * workers interleave, deduplicated chunks stay where they were first
 * stored): on S3 it made thousands of small range requests (about 25,000
 * per GB stored) where restic, reading whole packs, made a few hundred. With the cache, the first read of a pack
 * fetches all of it in one GET, and every later read of it, by any thread,
 * is served from memory. At most `slots` packs are held (the least recently
 * used goes), a pack being fetched is waited for rather than fetched twice,
 * and when packs come back after eviction too often (the restore's order
 * does not fit the cache), the cache turns itself off and readers go back
 * to range reads, so the bytes downloaded stay bounded.
 *
 * A reader that is told which packs come next (hf_pack_cache_ahead) has them
 * fetched in the background, as many at once as the link needs (a transfer
 * pool, store/transfer_pool.h). A pack fetched ahead stays until its first
 * read (or until it has waited so long that it will not be read), and no
 * more are ahead at once than the slots added for them, so the readers
 * keep as many slots for the packs they read as before. A restore pack by
 * pack (engine/restore_packs.c) asks for each pack once per window, in
 * the order its workers read them. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "repo/repo_internal.h"
#include "store/store.h"
#include "store/transfer_pool.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/idmap.h"
#include "util/mem.h"

/* off once packs were fetched this many times over the distinct ones */
#define REFETCH_LIMIT 2
/* a pack fetched ahead and not read while this many others were read for
 * the first time may go (reads are not counted: a restore reads one pack
 * thousands of times, once for each small file in it) */
#define AHEAD_STALE 32
/* how long a pack to fetch ahead waits for a slot: the walk that asks may be
 * far ahead of the readers, but never stuck behind a pack nobody reads */
#define AHEAD_WAIT_S 2

struct cache_slot {
	uint32_t pack;  /* number in the index's pack table */
	int state;      /* SLOT_* */
	int ahead;      /* fetched ahead (hf_pack_cache_ahead), not read yet */
	uint64_t used;  /* tick of the last use */
	uint64_t asked; /* a pack ahead: c->firsts when it was asked for */
	unsigned held;  /* readers decoding from data now: not a victim */
	struct hf_buf data;
};

enum { SLOT_EMPTY = 0, SLOT_LOADING, SLOT_READY };

struct hf_pack_cache {
	struct hf_repo *repo;
	pthread_mutex_t lock;
	pthread_cond_t loaded;
	pthread_cond_t room; /* a slot ahead was read or given up */
	struct cache_slot *slots;
	size_t nslots;
	uint64_t tick;
	uint64_t firsts; /* first reads of a pack after it was fetched */
	uint64_t fetches;
	struct hf_idmap *seen; /* pack ids fetched at least once */
	int off;
	/* fetching ahead: the pool, and how many slots are ahead (loading or
	 * not read yet) out of the `nahead_max` past the readers' own */
	struct hf_transfer_pool *pool;
	size_t nahead, nahead_max;
};

struct ahead_job {
	struct hf_pack_cache *c;
	struct cache_slot *s;
	uint32_t pack;
};

/* tree packs held at once: a snapshot's trees are written together, so a
 * walk reads them pack after pack */
#define TREE_CACHE_PACKS 4

void hf_repo_tree_cache_reset(struct hf_repo *r)
{
	hf_pack_cache_free(r->tree_cache);
	r->tree_cache = NULL;
	if ((hf_store_caps(r->store) & HF_STORE_REMOTE) && r->index && !r->index->dedup_only &&
	    hf_index_trees_apart(r->index))
		r->tree_cache = hf_pack_cache_new(r, TREE_CACHE_PACKS, 0);
}

struct hf_pack_cache *hf_repo_tree_cache(struct hf_repo *r)
{
	return r->tree_cache;
}

struct hf_pack_cache *hf_pack_cache_new(struct hf_repo *r, size_t slots, size_t ahead)
{
	struct hf_pack_cache *c = hf_xcalloc(1, sizeof(*c));

	c->repo = r;
	c->nslots = (slots ? slots : 1) + ahead;
	c->nahead_max = ahead;
	if (ahead)
		c->pool = hf_transfer_pool_new(ahead < 2 ? ahead : 2, (unsigned)ahead);
	c->slots = hf_xcalloc(c->nslots, sizeof(*c->slots));
	for (size_t i = 0; i < c->nslots; i++) {
		hf_buf_init(&c->slots[i].data, (size_t)r->cfg.pack_size * 4 + HF_BLOB_MAX + 4096);
		hf_buf_huge_pages(&c->slots[i].data);
	}
	c->seen = hf_idmap_new(0);
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->loaded, NULL);
	pthread_cond_init(&c->room, NULL);
	if (!c->seen)
		c->off = 1;
	return c;
}

void hf_pack_cache_free(struct hf_pack_cache *c)
{
	if (!c)
		return;
	hf_transfer_pool_free(c->pool); /* waits for what is on its way */
	for (size_t i = 0; i < c->nslots; i++)
		hf_buf_release(&c->slots[i].data);
	free(c->slots);
	hf_idmap_free(c->seen);
	pthread_cond_destroy(&c->loaded);
	pthread_cond_destroy(&c->room);
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

/* packs that may be ahead now: two more than the link takes at once (the
 * next ones wait in memory, not on the wire), up to the slots for them */
static size_t ahead_allowed(struct hf_pack_cache *c)
{
	struct hf_transfer_stats st;

	if (!c->pool)
		return 0;
	hf_transfer_pool_stats(c->pool, &st);
	return st.limit + 2 < c->nahead_max ? st.limit + 2 : c->nahead_max;
}

/* the least recently used slot not being filled nor fetched ahead and
 * still to be read; NULL if none. Only the readers' slots and those ahead
 * now allowed are used: memory grows with what the link needs. */
static struct cache_slot *victim(struct hf_pack_cache *c)
{
	struct cache_slot *v = NULL;
	size_t n = c->pool ? c->nslots - c->nahead_max + ahead_allowed(c) : c->nslots;

	for (size_t i = 0; i < n; i++) {
		struct cache_slot *s = &c->slots[i];
		if (s->state == SLOT_LOADING || s->held)
			continue;
		if (s->ahead && c->firsts - s->asked <= AHEAD_STALE)
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

/* s is no longer a pack fetched ahead (read, taken, or its fetch failed) */
static void unmark_ahead(struct hf_pack_cache *c, struct cache_slot *s)
{
	if (s->ahead) {
		s->ahead = 0;
		c->nahead--;
		pthread_cond_signal(&c->room);
	}
}

/* counts a fetch of pack, and turns the cache off if packs come back too
 * often; lock held */
static void count_fetch(struct hf_pack_cache *c, uint32_t pack)
{
	c->fetches++;
	if (hf_idmap_put(c->seen, c->repo->index->packs[pack].id, NULL, NULL) < 0 ||
	    c->fetches > REFETCH_LIMIT * hf_idmap_count(c->seen) + c->nslots)
		c->off = 1; /* packs come back too often: range reads from here on */
}

int hf_pack_cache_hold(struct hf_pack_cache *c, uint32_t pack, uint64_t off, size_t n, const uint8_t **at,
		       struct hf_pack_hold *h)
{
	struct cache_slot *s = NULL;
	int r = 0, fetched = 0;

	pthread_mutex_lock(&c->lock);
	while (!c->off && (s = find(c, pack)) != NULL && s->state == SLOT_LOADING)
		pthread_cond_wait(&c->loaded, &c->lock);
	if (c->off) {
		pthread_mutex_unlock(&c->lock);
		return -EAGAIN;
	}
	if (!s) {
		s = victim(c);
		if (!s) { /* every slot busy: this read goes round the cache */
			pthread_mutex_unlock(&c->lock);
			return -EAGAIN;
		}
		unmark_ahead(c, s); /* if it was a stale one */
		count_fetch(c, pack);
		s->pack = pack;
		s->state = SLOT_LOADING;
		pthread_mutex_unlock(&c->lock);
		r = fetch(c, s, pack);
		fetched = 1;
		pthread_mutex_lock(&c->lock);
		s->state = r == 0 ? SLOT_READY : SLOT_EMPTY;
		pthread_cond_broadcast(&c->loaded);
	}
	if (r == 0) {
		if (fetched || s->ahead)
			c->firsts++;
		s->used = ++c->tick;
		unmark_ahead(c, s);
		if (off > s->data.len || n > s->data.len - off) {
			r = -HF_E_CORRUPT; /* past the pack's end: as a range read would say */
		} else {
			s->held++;
			*at = s->data.data + off;
			h->slot = s;
		}
	}
	pthread_mutex_unlock(&c->lock);
	return r;
}

void hf_pack_cache_let_go(struct hf_pack_cache *c, struct hf_pack_hold *h)
{
	pthread_mutex_lock(&c->lock);
	h->slot->held--;
	pthread_mutex_unlock(&c->lock);
	h->slot = NULL;
}

int hf_pack_cache_read(struct hf_pack_cache *c, uint32_t pack, uint64_t off, size_t n, void *out)
{
	struct hf_pack_hold h;
	const uint8_t *at;
	int r = hf_pack_cache_hold(c, pack, off, n, &at, &h);

	if (r == 0) {
		memcpy(out, at, n);
		hf_pack_cache_let_go(c, &h);
	}
	return r;
}

/* ---- fetching ahead ------------------------------------------------------------ */

static int ahead_run(void *arg)
{
	struct ahead_job *j = arg;
	struct hf_pack_cache *c = j->c;
	int r = fetch(c, j->s, j->pack);

	pthread_mutex_lock(&c->lock);
	j->s->state = r == 0 ? SLOT_READY : SLOT_EMPTY;
	if (r < 0)
		unmark_ahead(c, j->s); /* a reader fetches it, or reads around */
	pthread_cond_broadcast(&c->loaded);
	pthread_mutex_unlock(&c->lock);
	return 0; /* a failed fetch ahead costs time, never the next one */
}

void hf_pack_cache_ahead(struct hf_pack_cache *c, uint32_t pack)
{
	struct cache_slot *s;
	struct ahead_job *j;
	struct timespec until;

	if (!c->pool)
		return;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += AHEAD_WAIT_S;
	pthread_mutex_lock(&c->lock);
	while (!c->off && c->nahead >= ahead_allowed(c) && !find(c, pack) &&
	       pthread_cond_timedwait(&c->room, &c->lock, &until) == 0)
		;
	if (c->off || c->nahead >= ahead_allowed(c) || find(c, pack) || !(s = victim(c))) {
		pthread_mutex_unlock(&c->lock);
		return;
	}
	unmark_ahead(c, s);
	count_fetch(c, pack);
	s->pack = pack;
	s->state = SLOT_LOADING;
	s->ahead = 1;
	s->used = c->tick;
	s->asked = c->firsts;
	c->nahead++;
	pthread_mutex_unlock(&c->lock);
	j = hf_xmalloc(sizeof(*j));
	*j = (struct ahead_job){.c = c, .s = s, .pack = pack};
	/* waits while as many fetches as the link takes are on their way; the
	 * index has no pack sizes, so the configured one stands for it */
	(void)hf_transfer_pool_submit(c->pool, ahead_run, free, j, c->repo->cfg.pack_size);
}
