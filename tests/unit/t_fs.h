/* t_fs.h — file helpers the unit tests share. */
#ifndef HF_TESTS_T_FS_H
#define HF_TESTS_T_FS_H

#include <ftw.h>
#include <stdio.h>

static inline int t_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* removes path and everything under it, symlinks not followed */
static inline void t_rm_rf(const char *path)
{
	nftw(path, t_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

#endif
