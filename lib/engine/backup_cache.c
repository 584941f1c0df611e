/* backup_cache.c — a write-only client's local cache: the tree blobs of its
 * last snapshot, kept on the client so that its next backup has a parent to
 * compare with (a write-only key cannot read the repository's trees), and so
 * skips the files that did not change; and those of the snapshot before, so
 * that the scan after a backup can compare the two (verdict.c).
 *
 * Layout under hf_backup_opts.cache_dir:
 *   <repo id hex>/current/last         AEAD(cache key, ad "HFCACHE1", snapshot id | root tree id |
 *                                       host NUL | npaths u32 | paths, each NUL-ended)
 *   <repo id hex>/current/<tree id>    AEAD(cache key, ad = tree id, the tree blob's plaintext)
 *   <repo id hex>/previous/...         the same, of the generation before
 * cache key = HMAC-SHA256(MAC key, "holdfast local cache") (hf_repo_cache_key):
 * a copy of the cache without the key file tells nothing, and a planted
 * file does not open. A tree read back must also hash (blob id, MAC key) to
 * its name.
 *
 * A backup writes the trees of its new snapshot into <repo id>/new.<random>/
 * as directories are finalised, and once the snapshot is saved and safe
 * renames current/ to previous/ (the previous/ before it is removed) and
 * that directory to current/. A kill between the renames leaves no
 * current/: the next backup reads everything. A missing, damaged or other-paths
 * cache is ignored: the backup then reads everything, as without one.
 * Nothing here is trusted for the repository's sake: an unchanged file's
 * chunks are still each looked up in the dedup index (and kept away from
 * condemned packs) before they are reused (backup_walk.c, unchanged()), and
 * every tree is stored anew through deduplication, so a stale cache (its
 * snapshot forgotten, its chunks pruned) cannot make a snapshot name data
 * that is not there. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto/crypto.h"
#include "engine/backup_cache.h"
#include "util/err.h"
#include "util/fdio.h"
#include "util/hex.h"
#include "util/mem.h"
#include "util/mkdirs.h"
#include "util/path.h"

#define CACHE_AD "HFCACHE1"
#define CACHE_FILE_MAX (HF_BLOB_MAX + HF_AEAD_OVERHEAD)

struct bcache {
	struct hf_repo *repo;
	uint8_t *key;   /* secure memory */
	char *base;     /* <cache_dir>/<repo id hex> */
	char *current;  /* base/current */
	char *previous; /* base/previous */
	char *fresh;    /* base/new.<random>: this backup's trees; NULL when read only */
	int broken;     /* a write failed: the new cache is not kept */
};

/* removes a directory of plain files (the cache's own) */
static void remove_dir(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			unlinkat(dirfd(d), de->d_name, 0);
	closedir(d);
	rmdir(path);
}

static int read_file(const char *path, struct hf_buf *out)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), r;

	if (fd < 0)
		return -errno;
	r = hf_read_whole(fd, out, CACHE_FILE_MAX);
	close(fd);
	return r;
}

/* writes a new file (create-only: a tree already there is the same tree) */
static int write_file(const char *path, const uint8_t *p, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600), r;

	if (fd < 0)
		return errno == EEXIST ? 0 : -errno;
	r = hf_write_all(fd, p, n);
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r < 0)
		unlink(path);
	return r;
}

/* seals pt under the cache key with ad into a new file */
static int seal_to(struct bcache *c, const char *path, const void *ad, size_t adlen, const void *pt, size_t n)
{
	uint8_t *buf = hf_xmalloc(n + HF_AEAD_OVERHEAD);
	struct hf_aead *a = hf_aead_new();
	int r = hf_aead_seal(a, c->key, ad, adlen, pt, n, buf);

	if (r == 0)
		r = write_file(path, buf, n + HF_AEAD_OVERHEAD);
	hf_aead_free(a);
	free(buf);
	return r;
}

/* opens a cache file into pt */
static int open_from(struct bcache *c, const char *path, const void *ad, size_t adlen, struct hf_buf *pt)
{
	struct hf_buf enc;
	struct hf_aead *a = NULL;
	int r;

	hf_buf_init(&enc, CACHE_FILE_MAX);
	r = read_file(path, &enc);
	if (r == 0 && enc.len < HF_AEAD_OVERHEAD)
		r = -HF_E_CORRUPT;
	pt->len = 0;
	if (r == 0)
		r = hf_buf_reserve(pt, enc.len - HF_AEAD_OVERHEAD + 1);
	if (r == 0) {
		a = hf_aead_new();
		r = hf_aead_open(a, c->key, ad, adlen, enc.data, enc.len, pt->data);
	}
	if (r == 0)
		pt->len = enc.len - HF_AEAD_OVERHEAD;
	hf_aead_free(a);
	hf_buf_release(&enc);
	return r;
}

static struct bcache *cache_new(struct hf_repo *r, const char *dir)
{
	struct bcache *c = hf_xcalloc(1, sizeof(*c));
	char hex[HF_ID_HEX_LEN + 1];

	c->repo = r;
	c->key = hf_secure_alloc(HF_KEY_LEN);
	hf_repo_cache_key(r, c->key);
	hf_hex_encode(hf_repo_config(r)->id, HF_ID_LEN, hex);
	c->base = hf_path_join(dir, hex);
	c->current = hf_path_join(c->base, "current");
	c->previous = hf_path_join(c->base, "previous");
	return c;
}

int hf_bcache_open_read(struct hf_repo *r, const char *dir, struct bcache **out)
{
	*out = cache_new(r, dir);
	return 0;
}

int hf_bcache_open(struct hf_repo *r, const char *dir, struct bcache **out)
{
	struct bcache *c;
	char hex[HF_ID_HEX_LEN + 1], name[32];
	uint8_t rnd[8];
	int ret;

	*out = NULL;
	ret = hf_mkdirs(dir, 0700);
	if (ret < 0)
		return ret;
	c = cache_new(r, dir);
	hf_random(rnd, sizeof(rnd));
	hf_hex_encode(rnd, sizeof(rnd), hex);
	snprintf(name, sizeof(name), "new.%.16s", hex);
	c->fresh = hf_path_join(c->base, name);
	ret = hf_mkdirs(c->base, 0700);
	if (ret == 0 && mkdir(c->fresh, 0700) < 0)
		ret = -errno;
	if (ret < 0) {
		c->fresh[0] = '\0'; /* nothing of ours to remove */
		hf_bcache_free(c);
		return ret;
	}
	*out = c;
	return 0;
}

void hf_bcache_free(struct bcache *c)
{
	if (!c)
		return;
	if (c->fresh && c->fresh[0])
		remove_dir(c->fresh); /* not committed: the old cache stays */
	hf_secure_free(c->key);
	free(c->base);
	free(c->current);
	free(c->previous);
	free(c->fresh);
	free(c);
}

static int encode_last(const uint8_t snap[HF_ID_LEN], const uint8_t root[HF_ID_LEN], const char *host, char **paths,
		       size_t npaths, struct hf_buf *b)
{
	int r = hf_buf_append(b, snap, HF_ID_LEN);

	if (r == 0)
		r = hf_buf_append(b, root, HF_ID_LEN);
	if (r == 0)
		r = hf_buf_append(b, host, strlen(host) + 1);
	if (r == 0)
		r = hf_buf_put_u32(b, (uint32_t)npaths);
	for (size_t i = 0; i < npaths && r == 0; i++)
		r = hf_buf_append(b, paths[i], strlen(paths[i]) + 1);
	return r;
}

/* a generation's `last` record into pt (at least its two ids); 0 or an error */
static int read_last(struct bcache *c, const char *gen, struct hf_buf *pt)
{
	char *path = hf_path_join(gen, "last");
	int r = open_from(c, path, CACHE_AD, sizeof(CACHE_AD) - 1, pt);

	free(path);
	return r == 0 && pt->len < 2 * HF_ID_LEN ? -HF_E_CORRUPT : r;
}

int hf_bcache_parent(struct bcache *c, const char *host, char **paths, size_t npaths, uint8_t snap[HF_ID_LEN],
		     uint8_t root[HF_ID_LEN])
{
	struct hf_buf pt, want;
	int found = 0;

	hf_buf_init(&pt, 1u << 20);
	hf_buf_init(&want, 1u << 20);
	/* the same host and paths (what find_parent asks of a parent), read
	 * by encoding them the same way */
	if (read_last(c, c->current, &pt) == 0 &&
	    encode_last(pt.data, pt.data + HF_ID_LEN, host, paths, npaths, &want) == 0 && want.len == pt.len &&
	    memcmp(want.data, pt.data, pt.len) == 0) {
		memcpy(snap, pt.data, HF_ID_LEN);
		memcpy(root, pt.data + HF_ID_LEN, HF_ID_LEN);
		found = 1;
	}
	hf_buf_release(&pt);
	hf_buf_release(&want);
	return found;
}

int hf_bcache_last_two(struct bcache *c, uint8_t snap[HF_ID_LEN], uint8_t root[HF_ID_LEN], uint8_t prev[HF_ID_LEN],
		       uint8_t prev_root[HF_ID_LEN])
{
	struct hf_buf cur, old;
	int found = 0;

	hf_buf_init(&cur, 1u << 20);
	hf_buf_init(&old, 1u << 20);
	/* one history: the same host and paths after the two ids */
	if (read_last(c, c->current, &cur) == 0 && read_last(c, c->previous, &old) == 0 && cur.len == old.len &&
	    memcmp(cur.data + 2 * HF_ID_LEN, old.data + 2 * HF_ID_LEN, cur.len - 2 * HF_ID_LEN) == 0) {
		memcpy(snap, cur.data, HF_ID_LEN);
		memcpy(root, cur.data + HF_ID_LEN, HF_ID_LEN);
		memcpy(prev, old.data, HF_ID_LEN);
		memcpy(prev_root, old.data + HF_ID_LEN, HF_ID_LEN);
		found = 1;
	}
	hf_buf_release(&cur);
	hf_buf_release(&old);
	return found;
}

static int load_from(struct bcache *c, const char *gen, const uint8_t id[HF_ID_LEN], struct hf_tree *t)
{
	struct hf_buf pt;
	char hex[HF_ID_HEX_LEN + 1], *path;
	uint8_t check[HF_ID_LEN];
	int r;

	memset(t, 0, sizeof(*t));
	hf_hex_encode(id, HF_ID_LEN, hex);
	path = hf_path_join(gen, hex);
	hf_buf_init(&pt, HF_BLOB_MAX + 1);
	r = open_from(c, path, id, HF_ID_LEN, &pt);
	if (r == 0) {
		hf_repo_blob_id(c->repo, pt.data, pt.len, check);
		if (!hf_ct_equal(check, id, HF_ID_LEN))
			r = -HF_E_AUTH;
	}
	if (r == 0)
		r = hf_tree_decode(pt.data, pt.len, t);
	hf_buf_release(&pt);
	free(path);
	return r == -ENOENT ? -HF_E_NOTFOUND : r;
}

int hf_bcache_load_tree(struct bcache *c, const uint8_t id[HF_ID_LEN], struct hf_tree *t)
{
	return load_from(c, c->current, id, t);
}

int hf_bcache_load_either(struct bcache *c, const uint8_t id[HF_ID_LEN], struct hf_tree *t)
{
	int r = load_from(c, c->current, id, t);

	return r == -HF_E_NOTFOUND ? load_from(c, c->previous, id, t) : r;
}

void hf_bcache_put_tree(struct bcache *c, const uint8_t id[HF_ID_LEN], const void *p, size_t n)
{
	char hex[HF_ID_HEX_LEN + 1], *path;

	if (__atomic_load_n(&c->broken, __ATOMIC_RELAXED))
		return;
	hf_hex_encode(id, HF_ID_LEN, hex);
	path = hf_path_join(c->fresh, hex);
	if (seal_to(c, path, id, HF_ID_LEN, p, n) < 0)
		__atomic_store_n(&c->broken, 1, __ATOMIC_RELAXED);
	free(path);
}

int hf_bcache_commit(struct bcache *c, const uint8_t snap[HF_ID_LEN], const uint8_t root[HF_ID_LEN], const char *host,
		     char **paths, size_t npaths)
{
	struct hf_buf b;
	char *path, *old;
	char name[40];
	int r;

	if (__atomic_load_n(&c->broken, __ATOMIC_RELAXED))
		return -EIO;
	hf_buf_init(&b, 1u << 20);
	r = encode_last(snap, root, host, paths, npaths, &b);
	path = hf_path_join(c->fresh, "last");
	if (r == 0)
		r = seal_to(c, path, CACHE_AD, sizeof(CACHE_AD) - 1, b.data, b.len);
	free(path);
	hf_buf_release(&b);
	if (r < 0)
		return r;
	/* previous → old.* (removed), current → previous, new.* → current */
	snprintf(name, sizeof(name), "old.%s", strrchr(c->fresh, '.') + 1);
	old = hf_path_join(c->base, name);
	if (rename(c->previous, old) < 0 && errno != ENOENT)
		r = -errno;
	if (r == 0 && rename(c->current, c->previous) < 0 && errno != ENOENT)
		r = -errno;
	if (r == 0 && rename(c->fresh, c->current) < 0)
		r = -errno;
	if (r == 0)
		c->fresh[0] = '\0'; /* it is current now */
	remove_dir(old);
	free(old);
	return r;
}
