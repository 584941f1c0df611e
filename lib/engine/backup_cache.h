/* backup_cache.h — a write-only client's local cache (backup_cache.c): the
 * trees of the last snapshot it saved, its next backup's parent, and those
 * of the snapshot before, for the scan after a backup (verdict.c). */
#ifndef HF_ENGINE_BACKUP_CACHE_H
#define HF_ENGINE_BACKUP_CACHE_H

#include "repo/repo.h"

struct bcache;

/* opens (makes) the cache of r under dir, and a fresh generation to fill */
HF_MUST_USE int hf_bcache_open(struct hf_repo *r, const char *dir, struct bcache **out);
/* opens the cache of r under dir to read (nothing is made) */
HF_MUST_USE int hf_bcache_open_read(struct hf_repo *r, const char *dir, struct bcache **out);
void hf_bcache_free(struct bcache *c); /* a generation not committed is removed */
/* 1 and the cached snapshot and root tree if the cache holds one of these
 * host and paths; 0 if not (none, damaged, other paths) */
int hf_bcache_parent(struct bcache *c, const char *host, char **paths, size_t npaths, uint8_t snap[HF_ID_LEN],
		     uint8_t root[HF_ID_LEN]);
/* a tree of the cached snapshot (checked against its id) */
HF_MUST_USE int hf_bcache_load_tree(struct bcache *c, const uint8_t id[HF_ID_LEN], struct hf_tree *t);
/* adds a tree of the new snapshot (any thread); a failure drops the new cache */
void hf_bcache_put_tree(struct bcache *c, const uint8_t id[HF_ID_LEN], const void *p, size_t n);
/* the new snapshot is saved: its trees become the cache, and the trees
 * that were the cache are kept beside them as the previous generation */
HF_MUST_USE int hf_bcache_commit(struct bcache *c, const uint8_t snap[HF_ID_LEN], const uint8_t root[HF_ID_LEN],
				 const char *host, char **paths, size_t npaths);

/* After a backup: 1 and the snapshot saved last (snap, root) and the one
 * the cache held before it (prev, prev_root), when the cache holds both
 * generations; 0 if not */
int hf_bcache_last_two(struct bcache *c, uint8_t snap[HF_ID_LEN], uint8_t root[HF_ID_LEN], uint8_t prev[HF_ID_LEN],
		       uint8_t prev_root[HF_ID_LEN]);
/* a tree of either generation (checked against its id) */
HF_MUST_USE int hf_bcache_load_either(struct bcache *c, const uint8_t id[HF_ID_LEN], struct hf_tree *t);

#endif
