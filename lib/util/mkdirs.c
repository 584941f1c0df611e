/* mkdirs.c — mkdir -p (mkdirs.h). */
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "util/mem.h"
#include "util/mkdirs.h"

static int make_dir(const char *path, mode_t mode)
{
	return mkdir(path, mode) < 0 && errno != EEXIST ? -errno : 0;
}

int hf_mkdirs(const char *path, mode_t mode)
{
	char *p = hf_xstrdup(path);
	int r = 0;

	for (char *s = p + 1; *s && r == 0; s++)
		if (*s == '/') {
			*s = '\0';
			r = make_dir(p, mode);
			*s = '/';
		}
	if (r == 0)
		r = make_dir(p, mode);
	free(p);
	return r;
}
