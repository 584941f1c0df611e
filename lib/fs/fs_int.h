/* fs_int.h — private to lib/fs: a handle that pins one directory entry by an
 * O_PATH descriptor and reaches it for xattr and chmod calls without following
 * symlinks, the xattr read/apply helpers, the owner-name cache lookups, and
 * nanosecond time conversions. Nothing outside lib/fs includes this. */
#ifndef HF_FS_INT_H
#define HF_FS_INT_H

#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "fs/fs.h"

/* Longest symlink target hf_meta_read accepts (PATH_MAX is only what Linux
 * creates; other file systems may report longer ones). */
#define HF_FS_LINK_READ_MAX (64u << 10)
/* Longest xattr name list accepted from listxattr (Linux caps it at 64 KiB). */
#define HF_FS_XLIST_MAX (1u << 20)

/* How xattr and chmod calls reach the pinned file. */
enum hf_fs_via {
	HF_FS_VIA_FD = 1, /* f*xattr on a real open descriptor (xfd) */
	HF_FS_VIA_PROC,   /* *xattr on "/proc/self/fd/N": follows only the magic link */
	HF_FS_VIA_PATH,   /* l*xattr on the name itself (no /proc, name usable as a path) */
	HF_FS_VIA_NONE,   /* no way to reach it: xattr calls fail with -ENOTSUP */
};

struct hf_fs_node {
	int fd;       /* the caller's descriptor, or our O_PATH one */
	int own;      /* 1 when fd is ours to close */
	int xfd;      /* descriptor for HF_FS_VIA_FD calls */
	int xown;     /* 1 when xfd is ours (a reopen made without /proc) */
	int reopened; /* the reopen has been tried: never loop */
	int via;      /* enum hf_fs_via */
	int dirfd;
	const char *name;
	char proc[32]; /* "/proc/self/fd/<fd>" */
};

/* enum hf_ftype of an st_mode, or 0 for a type we do not know. */
uint32_t hf_fs_ftype(mode_t mode);

/* Pins dirfd/name (O_PATH|O_NOFOLLOW), or adopts fd when fd >= 0. */
int hf_fs_node_open(struct hf_fs_node *nd, int dirfd, const char *name, int fd);
void hf_fs_node_close(struct hf_fs_node *nd);
/* Same contracts as the libc calls, but return -errno instead of -1. */
ssize_t hf_fs_node_listxattr(struct hf_fs_node *nd, char *buf, size_t len);
ssize_t hf_fs_node_getxattr(struct hf_fs_node *nd, const char *xname, void *buf, size_t len);
int hf_fs_node_setxattr(struct hf_fs_node *nd, const char *xname, const void *val, size_t len);
int hf_fs_node_removexattr(struct hf_fs_node *nd, const char *xname);
/* chmod of the pinned inode; never follows a symlink. */
int hf_fs_node_chmod(struct hf_fs_node *nd, mode_t mode);

/* All xattrs of the node, sorted by name; unsupported/denied → none. */
int hf_fs_xattrs_read(struct hf_fs_node *nd, struct hf_xattr **out, size_t *nout);
/* Removes the node's user.*, trusted.* and system.posix_acl_* xattrs that are
 * not in xs (never security.*). Returns 0 or the first error. */
int hf_fs_xattrs_prune(struct hf_fs_node *nd, const struct hf_xattr *xs, size_t n);
/* Sets every xattr in xs. Returns 0 or the first error (the rest is still set). */
int hf_fs_xattrs_set(struct hf_fs_node *nd, const struct hf_xattr *xs, size_t n);

/* Owner-name cache (names.c). The id→name lookups return NULL when the id has
 * no name; the string stays valid until the next call on n. The name→id
 * lookups return 1 and set *id when the name exists here, else 0. */
const char *hf_fs_user_name(struct hf_fs_names *n, uint32_t uid);
const char *hf_fs_group_name(struct hf_fs_names *n, uint32_t gid);
int hf_fs_user_id(struct hf_fs_names *n, const char *user, uint32_t *id);
int hf_fs_group_id(struct hf_fs_names *n, const char *group, uint32_t *id);

/* Nanoseconds since the epoch; times beyond ±292 years saturate. */
static inline int64_t hf_fs_ts_to_ns(const struct timespec *ts)
{
	int64_t ns;

	if (__builtin_mul_overflow((int64_t)ts->tv_sec, (int64_t)1000000000, &ns) ||
	    __builtin_add_overflow(ns, (int64_t)ts->tv_nsec, &ns))
		return ts->tv_sec < 0 ? INT64_MIN : INT64_MAX;
	return ns;
}

static inline struct timespec hf_fs_ns_to_ts(int64_t ns)
{
	struct timespec ts;

	ts.tv_sec = (time_t)(ns / 1000000000);
	ts.tv_nsec = (long)(ns % 1000000000);
	if (ts.tv_nsec < 0) {
		ts.tv_nsec += 1000000000;
		ts.tv_sec -= 1;
	}
	return ts;
}

/* running as root (cached) */
int hf_fs_is_root(void);

#endif
