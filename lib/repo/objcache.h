/* objcache.h — copies of a remote repository's snapshot objects on the
 * local disk, read instead of the store's (objcache.c). The repository
 * checks each copy's hash against its name (hf_repo_get_hashed). */
#ifndef HF_REPO_OBJCACHE_H
#define HF_REPO_OBJCACHE_H

#include <stddef.h>

#include "util/buf.h"

struct hf_objcache;
/* the cache in dir (made if missing, mode 0700); NULL if it cannot be */
struct hf_objcache *hf_objcache_open(const char *dir);
void hf_objcache_free(struct hf_objcache *c);
/* the copy of snapshot object name into out: 0, or -ENOENT etc. */
int hf_objcache_get(struct hf_objcache *c, const char *name, struct hf_buf *out);
/* keeps a copy (best effort) */
void hf_objcache_put(struct hf_objcache *c, const char *name, const void *p, size_t n);
/* removes the copy of name (it did not match its name) */
void hf_objcache_drop(struct hf_objcache *c, const char *name);
/* removes the copies whose name listed(arg, name) says the store no
 * longer holds */
void hf_objcache_sweep(struct hf_objcache *c, int (*listed)(void *arg, const char *name), void *arg);

#endif
