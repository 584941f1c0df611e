/* objcache.c — copies of a remote repository's snapshot, index and mark
 * objects on the local disk (objcache.h).
 *
 * Every walk of the history lists the snapshots and reads each one: a
 * backup does twice (its parent, then the scan after it), so on S3 or
 * through a server each backup fetched every snapshot ever kept, twice
 * (2N requests; 11 of a backup's 44 with five snapshots), every mark (a
 * verdict or a pin each), and every index object ever written, once, then
 * its own index objects back. These
 * objects never change and are named by the SHA-256 of their bytes, so a
 * copy kept here is as good as the store's: hf_repo_get_hashed checks the
 * hash of what it reads here as it does of what the store sends, and
 * fetches again what does not match. The copies are the stored bytes
 * (encrypted); only names the store lists are looked up, so a file put here
 * names nothing new. Copies of objects the store no longer lists are
 * removed after each complete listing.
 *
 * Layout: DIR/snapshots/NAME, DIR/index/NAME, DIR/marks/NAME (DIR: the local cache's
 * directory of this repository, beside a write-only client's), written as
 * .NAME.tmp then renamed. Any failure to read or write here only costs a fetch. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "repo/objcache.h"
#include "store/store_names.h"
#include "util/hex.h"
#include "util/fdio.h"
#include "util/idmap.h"
#include "util/mem.h"
#include "util/mkdirs.h"

static const int kept[] = {HF_OBJ_SNAPSHOT, HF_OBJ_INDEX, HF_OBJ_MARK};
#define NKEPT (sizeof(kept) / sizeof(kept[0]))

struct hf_objcache {
	int dirfd[NKEPT]; /* DIR/snapshots, DIR/index, DIR/marks */
};

/* the directory of kind's copies; -1 for a kind not kept */
static int dir_of(const struct hf_objcache *c, int kind)
{
	for (size_t i = 0; c && i < NKEPT; i++)
		if (kept[i] == kind)
			return c->dirfd[i];
	return -1;
}

struct hf_objcache *hf_objcache_open(const char *dir)
{
	struct hf_objcache *c = hf_xcalloc(1, sizeof(*c));

	for (size_t i = 0; i < NKEPT; i++)
		c->dirfd[i] = -1;
	for (size_t i = 0; i < NKEPT; i++) {
		char *path = NULL;
		if (asprintf(&path, "%s/%s", dir, hf_store_kind_dir[kept[i]]) < 0)
			path = NULL;
		if (path && hf_mkdirs(path, 0700) == 0)
			c->dirfd[i] = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		free(path);
		if (c->dirfd[i] < 0) {
			hf_objcache_free(c);
			return NULL;
		}
	}
	return c;
}

void hf_objcache_free(struct hf_objcache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < NKEPT; i++)
		if (c->dirfd[i] >= 0)
			close(c->dirfd[i]);
	free(c);
}

/* a name the cache may hold: the store's object names are hex */
static int plain_name(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > 128)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((name[i] >= '0' && name[i] <= '9') || (name[i] >= 'a' && name[i] <= 'f')))
			return 0;
	return 1;
}

int hf_objcache_get(struct hf_objcache *c, int kind, const char *name, struct hf_buf *out)
{
	int dirfd = dir_of(c, kind), fd, r;

	if (dirfd < 0 || !plain_name(name))
		return -ENOENT;
	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = hf_read_whole(fd, out, UINT64_MAX); /* out's own bound holds */
	close(fd);
	return r;
}

void hf_objcache_put(struct hf_objcache *c, int kind, const char *name, const void *p, size_t n)
{
	char tmp[160];
	int dirfd = dir_of(c, kind), fd, r;

	if (dirfd < 0 || !plain_name(name))
		return;
	snprintf(tmp, sizeof(tmp), ".%s.tmp", name);
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	r = hf_write_all(fd, p, n);
	if (close(fd) < 0 || r < 0 || renameat(dirfd, tmp, dirfd, name) < 0)
		unlinkat(dirfd, tmp, 0);
}

void hf_objcache_drop(struct hf_objcache *c, int kind, const char *name)
{
	int dirfd = dir_of(c, kind);

	if (dirfd >= 0 && plain_name(name))
		unlinkat(dirfd, name, 0);
}

void hf_objcache_sweep(struct hf_objcache *c, int kind, int (*listed)(void *arg, const char *name), void *arg)
{
	int dirfd = dir_of(c, kind), fd;
	DIR *d;
	struct dirent *e;

	if (dirfd < 0 || (fd = dup(dirfd)) < 0)
		return;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return;
	}
	rewinddir(d);
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.' && (e->d_name[1] == 0 || (e->d_name[1] == '.' && e->d_name[2] == 0)))
			continue;
		if (!plain_name(e->d_name) || !listed(arg, e->d_name))
			unlinkat(dirfd, e->d_name, 0);
	}
	closedir(d);
}

int hf_objcache_listed(void *listed, const char *name)
{
	uint8_t id[HF_ID_LEN];

	return hf_hex_decode(name, id, HF_ID_LEN) == 0 && hf_idmap_get(listed, id) != NULL;
}
