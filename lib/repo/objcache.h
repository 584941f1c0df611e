/* objcache.h — copies of a remote repository's snapshot, index and mark objects
 * on the local disk, read instead of the store's (objcache.c). The
 * repository checks each copy's hash against its name (hf_repo_get_hashed). */
#ifndef HF_REPO_OBJCACHE_H
#define HF_REPO_OBJCACHE_H

#include <stddef.h>

#include "util/buf.h"

struct hf_objcache;
/* the cache in dir (made if missing, mode 0700); NULL if it cannot be */
struct hf_objcache *hf_objcache_open(const char *dir);
void hf_objcache_free(struct hf_objcache *c);
/* kind: HF_OBJ_SNAPSHOT, HF_OBJ_INDEX or HF_OBJ_MARK (others are not kept) */
/* the copy of object name into out: 0, or -ENOENT etc. */
int hf_objcache_get(struct hf_objcache *c, int kind, const char *name, struct hf_buf *out);
/* keeps a copy (best effort) */
void hf_objcache_put(struct hf_objcache *c, int kind, const char *name, const void *p, size_t n);
/* removes the copy of name (it did not match its name) */
void hf_objcache_drop(struct hf_objcache *c, int kind, const char *name);
/* removes the copies whose name listed(arg, name) says the store no
 * longer holds */
void hf_objcache_sweep(struct hf_objcache *c, int kind, int (*listed)(void *arg, const char *name), void *arg);
/* a listed() for hf_objcache_sweep: whether name is an id in the
 * struct hf_idmap listed */
int hf_objcache_listed(void *listed, const char *name);

#endif
