/* node.c — reaching one pinned directory entry for xattr and chmod calls.
 *
 * Linux has no *xattrat() in our libc and no fchmod on O_PATH descriptors, so
 * we pin the entry with O_PATH|O_NOFOLLOW and go through "/proc/self/fd/N",
 * which follows only the magic link (works for symlinks, fifos and devices
 * without opening them). Without /proc we fall back to the name itself, or
 * reopen regular files and directories for reading. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "fs/fs_int.h"
#include "util/err.h"

int hf_fs_node_open(struct hf_fs_node *nd, int dirfd, const char *name, int fd)
{
	nd->dirfd = dirfd;
	nd->name = name;
	nd->own = 0;
	nd->xfd = -1;
	nd->xown = 0;
	nd->reopened = 0;
	if (fd >= 0) {
		nd->fd = fd;
		nd->xfd = fd;
		nd->via = HF_FS_VIA_FD;
	} else {
		if (!name)
			return -HF_E_USAGE;
		nd->fd = openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (nd->fd < 0)
			return -errno;
		nd->own = 1;
		nd->via = HF_FS_VIA_PROC;
	}
	snprintf(nd->proc, sizeof(nd->proc), "/proc/self/fd/%d", nd->fd);
	return 0;
}

void hf_fs_node_close(struct hf_fs_node *nd)
{
	if (nd->xown && nd->xfd >= 0)
		close(nd->xfd);
	if (nd->own && nd->fd >= 0)
		close(nd->fd);
	nd->fd = nd->xfd = -1;
	nd->own = nd->xown = 0;
}

/* Without /proc, a regular file or directory can still be reached by opening
 * it for reading, provided the name still leads to the pinned inode. Special
 * files are never opened (a fifo blocks, a tape device rewinds). */
static int node_reopen(struct hf_fs_node *nd)
{
	struct stat a, b;
	int fd;

	nd->reopened = 1;
	if (!nd->name || fstat(nd->fd, &a) < 0 || !(S_ISREG(a.st_mode) || S_ISDIR(a.st_mode)))
		return -1;
	fd = openat(nd->dirfd, nd->name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fstat(fd, &b) < 0 || a.st_dev != b.st_dev || a.st_ino != b.st_ino) {
		close(fd);
		return -1;
	}
	if (nd->xown && nd->xfd >= 0)
		close(nd->xfd);
	nd->xfd = fd;
	nd->xown = 1;
	return 0;
}

/* After a call failed with e, switch to the next way of reaching the file.
 * Returns 1 when the call should be retried. EBADF on a caller's descriptor
 * means it is an O_PATH one; ENOENT through a held descriptor means no /proc.
 * Each way is tried at most once, so this always ends. */
static int node_fallback(struct hf_fs_node *nd, int e)
{
	if (nd->via == HF_FS_VIA_FD && e == EBADF) {
		nd->via = HF_FS_VIA_PROC;
		return 1;
	}
	if (nd->via == HF_FS_VIA_PROC && e == ENOENT) {
		if (nd->name && (nd->dirfd == AT_FDCWD || nd->name[0] == '/'))
			nd->via = HF_FS_VIA_PATH;
		else if (!nd->reopened && node_reopen(nd) == 0)
			nd->via = HF_FS_VIA_FD;
		else
			nd->via = HF_FS_VIA_NONE;
		return 1;
	}
	return 0;
}

ssize_t hf_fs_node_listxattr(struct hf_fs_node *nd, char *buf, size_t len)
{
	for (;;) {
		ssize_t r;

		switch (nd->via) {
		case HF_FS_VIA_FD:
			r = flistxattr(nd->xfd, buf, len);
			break;
		case HF_FS_VIA_PROC:
			r = listxattr(nd->proc, buf, len);
			break;
		case HF_FS_VIA_PATH:
			r = llistxattr(nd->name, buf, len);
			break;
		default:
			return -ENOTSUP;
		}
		if (r >= 0)
			return r;
		if (!node_fallback(nd, errno))
			return -errno;
	}
}

ssize_t hf_fs_node_getxattr(struct hf_fs_node *nd, const char *xname, void *buf, size_t len)
{
	for (;;) {
		ssize_t r;

		switch (nd->via) {
		case HF_FS_VIA_FD:
			r = fgetxattr(nd->xfd, xname, buf, len);
			break;
		case HF_FS_VIA_PROC:
			r = getxattr(nd->proc, xname, buf, len);
			break;
		case HF_FS_VIA_PATH:
			r = lgetxattr(nd->name, xname, buf, len);
			break;
		default:
			return -ENOTSUP;
		}
		if (r >= 0)
			return r;
		if (!node_fallback(nd, errno))
			return -errno;
	}
}

int hf_fs_node_setxattr(struct hf_fs_node *nd, const char *xname, const void *val, size_t len)
{
	for (;;) {
		int r;

		switch (nd->via) {
		case HF_FS_VIA_FD:
			r = fsetxattr(nd->xfd, xname, val, len, 0);
			break;
		case HF_FS_VIA_PROC:
			r = setxattr(nd->proc, xname, val, len, 0);
			break;
		case HF_FS_VIA_PATH:
			r = lsetxattr(nd->name, xname, val, len, 0);
			break;
		default:
			return -ENOTSUP;
		}
		if (r == 0)
			return 0;
		if (!node_fallback(nd, errno))
			return -errno;
	}
}

int hf_fs_node_removexattr(struct hf_fs_node *nd, const char *xname)
{
	for (;;) {
		int r;

		switch (nd->via) {
		case HF_FS_VIA_FD:
			r = fremovexattr(nd->xfd, xname);
			break;
		case HF_FS_VIA_PROC:
			r = removexattr(nd->proc, xname);
			break;
		case HF_FS_VIA_PATH:
			r = lremovexattr(nd->name, xname);
			break;
		default:
			return -ENOTSUP;
		}
		if (r == 0)
			return 0;
		if (!node_fallback(nd, errno))
			return -errno;
	}
}

/* Without /proc: chmod by name, but only after checking that the name still
 * is the pinned inode and not a symlink (a small race remains; glibc's own
 * fchmodat(AT_SYMLINK_NOFOLLOW) needs /proc too). */
static int chmod_by_name(struct hf_fs_node *nd, mode_t mode)
{
	struct stat a, b;

	if (!nd->name)
		return -ENOTSUP;
	if (fstat(nd->fd, &a) < 0 || fstatat(nd->dirfd, nd->name, &b, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	if (a.st_dev != b.st_dev || a.st_ino != b.st_ino)
		return -HF_E_CHANGED;
	if (S_ISLNK(b.st_mode))
		return -ELOOP;
	if (fchmodat(nd->dirfd, nd->name, mode, 0) < 0)
		return -errno;
	return 0;
}

int hf_fs_node_chmod(struct hf_fs_node *nd, mode_t mode)
{
	for (;;) {
		int r;

		switch (nd->via) {
		case HF_FS_VIA_FD:
			r = fchmod(nd->xfd, mode);
			break;
		case HF_FS_VIA_PROC:
			r = chmod(nd->proc, mode);
			break;
		default:
			return chmod_by_name(nd, mode);
		}
		if (r == 0)
			return 0;
		if (!node_fallback(nd, errno))
			return -errno;
	}
}
