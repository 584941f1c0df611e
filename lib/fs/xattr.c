/* xattr.c — reading all extended attributes of a file (POSIX ACLs included,
 * as system.posix_acl_*) and putting them back.
 *
 * Reading tolerates the races of a live file system: the name list may grow
 * between the size query and the read (retried), an attribute may vanish
 * before we get it (skipped). Counts and sizes are capped (-HF_E_LIMIT). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fs/fs_int.h"
#include "util/err.h"
#include "util/mem.h"

#define HF_FS_XLIST_TRIES 8

/* Errors that mean "this file has no xattrs we may see", not a failure. */
static int xattr_absent(int r)
{
	return r == -ENOTSUP || r == -EOPNOTSUPP || r == -EPERM || r == -EACCES || r == -ENOSYS;
}

/* The NUL-separated name list; *len = 0 when there is none. */
static int list_all(struct hf_fs_node *nd, char **out, size_t *outlen)
{
	char *buf = NULL;
	ssize_t s, g;
	int tries, r = -HF_E_CHANGED;

	*out = NULL;
	*outlen = 0;
	for (tries = 0; tries < HF_FS_XLIST_TRIES; tries++) {
		s = hf_fs_node_listxattr(nd, NULL, 0);
		if (s == 0 || (s < 0 && xattr_absent((int)s))) {
			r = 0;
			goto out;
		}
		if (s < 0) {
			r = s == -E2BIG ? -HF_E_LIMIT : (int)s;
			goto out;
		}
		if ((size_t)s > HF_FS_XLIST_MAX) {
			r = -HF_E_LIMIT;
			goto out;
		}
		buf = hf_xrealloc(buf, (size_t)s);
		g = hf_fs_node_listxattr(nd, buf, (size_t)s);
		if (g >= 0) {
			*out = buf;
			*outlen = (size_t)g;
			buf = NULL;
			r = 0;
			goto out;
		}
		if (g == -ERANGE)
			continue; /* grew since the size query */
		r = xattr_absent((int)g) ? 0 : g == -E2BIG ? -HF_E_LIMIT : (int)g;
		goto out;
	}
out:
	free(buf);
	return r;
}

/* Next name in a list at *pos, or NULL at the end (or at an unterminated tail). */
static const char *list_next(const char *list, size_t len, size_t *pos)
{
	while (*pos < len) {
		const char *name = list + *pos;
		size_t l = strnlen(name, len - *pos);

		if (l == len - *pos)
			return NULL;
		*pos += l + 1;
		if (l > 0)
			return name;
	}
	return NULL;
}

static int xattr_cmp(const void *a, const void *b)
{
	return strcmp(((const struct hf_xattr *)a)->name, ((const struct hf_xattr *)b)->name);
}

int hf_fs_xattrs_read(struct hf_fs_node *nd, struct hf_xattr **out, size_t *nout)
{
	char *list = NULL;
	uint8_t *val = NULL;
	struct hf_xattr *xs = NULL;
	const char *name;
	size_t len = 0, pos, count = 0, n = 0, i;
	ssize_t g;
	int r;

	*out = NULL;
	*nout = 0;
	r = list_all(nd, &list, &len);
	if (r < 0 || len == 0)
		goto out;
	for (pos = 0; list_next(list, len, &pos);)
		count++;
	if (count > HF_XATTR_MAX_COUNT) {
		r = -HF_E_LIMIT;
		goto out;
	}
	if (count == 0)
		goto out;
	xs = hf_xcalloc(count, sizeof(*xs));
	val = hf_xmalloc(HF_XATTR_MAX_VALUE);
	for (pos = 0; (name = list_next(list, len, &pos)) != NULL;) {
		/* Linux caps values at 64 KiB, so one call with a full-size buffer
		 * either gets the value or proves it is over our limit. */
		g = hf_fs_node_getxattr(nd, name, val, HF_XATTR_MAX_VALUE);
		if (g == -ERANGE || g == -E2BIG) {
			r = -HF_E_LIMIT;
			goto out;
		}
		if (g < 0)
			continue; /* gone since the listing, or unreadable: skipped */
		xs[n].name = hf_xstrdup(name);
		xs[n].value = hf_xmemdup(val, (size_t)g);
		xs[n].len = (size_t)g;
		n++;
	}
	qsort(xs, n, sizeof(*xs), xattr_cmp);
	*out = xs;
	*nout = n;
	xs = NULL;
	n = 0;
out:
	for (i = 0; i < n; i++) {
		free(xs[i].name);
		free(xs[i].value);
	}
	free(xs);
	free(val);
	free(list);
	return r;
}

/* Namespaces whose attributes a restore owns; security.* (SELinux labels,
 * capabilities) is left to the system. */
static int xattr_prunable(const char *name)
{
	return strncmp(name, "user.", 5) == 0 || strncmp(name, "trusted.", 8) == 0 ||
	       strncmp(name, "system.posix_acl_", 17) == 0;
}

static int xattr_wanted(const struct hf_xattr *xs, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (xs[i].name && strcmp(xs[i].name, name) == 0)
			return 1;
	return 0;
}

int hf_fs_xattrs_prune(struct hf_fs_node *nd, const struct hf_xattr *xs, size_t n)
{
	char *list = NULL;
	const char *name;
	size_t len = 0, pos;
	int r, first = 0;

	if (n > HF_XATTR_MAX_COUNT)
		return -HF_E_LIMIT;
	r = list_all(nd, &list, &len);
	if (r < 0) {
		first = r;
		goto out;
	}
	for (pos = 0; (name = list_next(list, len, &pos)) != NULL;) {
		if (!xattr_prunable(name) || xattr_wanted(xs, n, name))
			continue;
		r = hf_fs_node_removexattr(nd, name);
		if (r < 0 && r != -ENODATA && !first)
			first = r;
	}
out:
	free(list);
	return first;
}

int hf_fs_xattrs_set(struct hf_fs_node *nd, const struct hf_xattr *xs, size_t n)
{
	size_t i;
	int r, first = 0;

	if (n > HF_XATTR_MAX_COUNT)
		return -HF_E_LIMIT;
	for (i = 0; i < n; i++) {
		if (!xs[i].name || !xs[i].name[0] || (xs[i].len && !xs[i].value)) {
			r = -HF_E_USAGE;
		} else if (xs[i].len > HF_XATTR_MAX_VALUE) {
			r = -HF_E_LIMIT;
		} else {
			r = hf_fs_node_setxattr(nd, xs[i].name, xs[i].len ? (const void *)xs[i].value : "", xs[i].len);
		}
		if (r < 0 && !first)
			first = r;
	}
	return first;
}
