/* fs.h — file-system metadata: read everything a file carries, and put it
 * back on restore.
 *
 * Covers type, permission bits (with setuid/setgid/sticky), owner and group
 * (ids and names), nanosecond mtime/atime/ctime, inode identity for hard
 * links, device numbers, symlink targets (raw bytes, dangling ok) and all
 * extended attributes — POSIX ACLs are the system.posix_acl_* xattrs and are
 * carried as such. Names are byte strings; nothing assumes UTF-8.
 * The owner-name cache is per struct hf_fs_names (not thread-safe). */
#ifndef HF_FS_H
#define HF_FS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/err.h"

struct stat;

enum hf_ftype {
	HF_FT_FILE = 1,
	HF_FT_DIR = 2,
	HF_FT_SYMLINK = 3,
	HF_FT_FIFO = 4,
	HF_FT_CHR = 5,
	HF_FT_BLK = 6,
	HF_FT_SOCK = 7,
};

struct hf_xattr {
	char *name;     /* NUL-terminated */
	uint8_t *value; /* may contain any bytes */
	size_t len;
};

#define HF_XATTR_MAX_COUNT 4096
#define HF_XATTR_MAX_VALUE (64u << 10)
#define HF_LINK_MAX 4096

struct hf_meta {
	uint32_t type; /* enum hf_ftype */
	uint32_t mode; /* permission bits, mode & 07777 */
	uint32_t uid, gid;
	char *user, *group; /* names, or NULL when the id has none */
	uint64_t size, ino, dev, nlink, rdev;
	int64_t mtime_ns, atime_ns, ctime_ns;
	char *link; /* symlink target (NUL-terminated), else NULL */
	size_t link_len;
	struct hf_xattr *xattrs; /* sorted by name */
	size_t nxattrs;
};

struct hf_fs_names; /* uid/gid ↔ name cache */
HF_MUST_USE struct hf_fs_names *hf_fs_names_new(void);
void hf_fs_names_free(struct hf_fs_names *n);

/* lstat + readlink + xattrs of dirfd/name (no following). fd ≥ 0 may be an
 * already-open descriptor of the same file (used for xattrs of regular files
 * and dirs, avoids a second path walk); pass -1 otherwise.
 * Unreadable xattrs are skipped, not fatal. */
HF_MUST_USE int hf_meta_read(struct hf_fs_names *names, int dirfd, const char *name, int fd, struct hf_meta *m);
/* hf_meta_read that also hands back the fstat it took (st_out may be NULL),
 * so a caller about to read the file does not fstat it again */
HF_MUST_USE int hf_meta_read_stat(struct hf_fs_names *names, int dirfd, const char *name, int fd, struct hf_meta *m,
				  struct stat *st_out);
void hf_meta_release(struct hf_meta *m);
void hf_meta_copy(struct hf_meta *dst, const struct hf_meta *src); /* deep copy */

/* Creates a non-regular, non-directory node (symlink, fifo, device, socket)
 * named dirfd/name. An existing entry of that name is replaced. */
HF_MUST_USE int hf_meta_create_node(int dirfd, const char *name, const struct hf_meta *m);
/* Applies owner (by name when the name exists here, else by id; only when
 * running as root), mode, xattrs (ACLs included), then atime/mtime — in the
 * order that keeps setuid bits and times intact. Symlinks get owner, xattrs
 * where the kernel allows, and times; never mode.
 * Returns 0, or the first error (the rest is still applied). */
HF_MUST_USE int hf_meta_apply(struct hf_fs_names *names, int dirfd, const char *name, const struct hf_meta *m);

/* The same for a regular file or directory the caller has open (restore
 * writes a file, then sets its metadata before closing it): no path walks. */
HF_MUST_USE int hf_meta_apply_fd(struct hf_fs_names *names, int fd, const struct hf_meta *m);

/* Sparse files: the next data extent at or after off in fd. Sets *start and *end.
 * Returns 1 if found, 0 if only a hole remains up to EOF, < 0 on error.
 * Falls back to one extent [off, size) where SEEK_DATA is unsupported. */
HF_MUST_USE int hf_fs_next_data(int fd, uint64_t off, uint64_t size, uint64_t *start, uint64_t *end);

#endif
