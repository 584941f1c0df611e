/* path.c — path strings: making a user's path absolute, and joining a
 * directory's path with an entry name. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/path.h"
#include "util/err.h"
#include "util/mem.h"

char *hf_path_join(const char *dir, const char *name)
{
	size_t a = strlen(dir), b = strlen(name);
	char *p = hf_xmalloc(a + b + 2);

	memcpy(p, dir, a);
	p[a] = '/';
	memcpy(p + a + 1, name, b + 1);
	return p;
}

int hf_path_relation(const char *path, const char *prefix)
{
	size_t lp = strlen(path), lx;

	if (!prefix || strcmp(prefix, "/") == 0)
		return 1;
	lx = strlen(prefix);
	if (lp >= lx && strncmp(path, prefix, lx) == 0 && (path[lx] == '/' || !path[lx]))
		return 1;
	if (lx > lp && strncmp(prefix, path, lp) == 0 && prefix[lp] == '/')
		return 2;
	return 0;
}

int hf_path_absolute(const char *path, char **out)
{
	char *cwd = NULL, *buf, *w;
	const char *p;
	size_t n;

	*out = NULL;
	if (!path || !*path)
		return -HF_E_USAGE;
	if (path[0] != '/') {
		cwd = getcwd(NULL, 0);
		if (!cwd)
			return -errno;
	}
	n = (cwd ? strlen(cwd) : 0) + strlen(path) + 3;
	buf = hf_xmalloc(n);
	snprintf(buf, n, "%s/%s", cwd ? cwd : "", path);
	free(cwd);
	/* collapse in place: w writes, p reads */
	w = buf;
	p = buf;
	while (*p) {
		const char *e;
		size_t len;
		while (*p == '/')
			p++;
		if (!*p)
			break;
		e = strchr(p, '/');
		len = e ? (size_t)(e - p) : strlen(p);
		if (len == 1 && p[0] == '.') {
			/* skip */
		} else if (len == 2 && p[0] == '.' && p[1] == '.') {
			while (w > buf && *--w != '/')
				;
		} else {
			*w++ = '/';
			memmove(w, p, len);
			w += len;
		}
		p += len;
	}
	if (w == buf)
		*w++ = '/';
	*w = '\0';
	*out = buf;
	return 0;
}
