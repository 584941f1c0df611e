/* meta_read.c — everything a directory entry carries, read without following
 * symlinks: type, mode, owner (ids and names), nanosecond times, identity,
 * device numbers, the raw symlink target and all xattrs; plus the release and
 * deep-copy of struct hf_meta. All reads go through one pinned descriptor so
 * they describe one inode even if the name is swapped meanwhile. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs/fs_int.h"
#include "util/err.h"
#include "util/mem.h"

#define HF_FS_LINK_MIN_BUF 256

uint32_t hf_fs_ftype(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG:
		return HF_FT_FILE;
	case S_IFDIR:
		return HF_FT_DIR;
	case S_IFLNK:
		return HF_FT_SYMLINK;
	case S_IFIFO:
		return HF_FT_FIFO;
	case S_IFCHR:
		return HF_FT_CHR;
	case S_IFBLK:
		return HF_FT_BLK;
	case S_IFSOCK:
		return HF_FT_SOCK;
	}
	return 0;
}

/* Target of the symlink pinned by fd (O_PATH). hint is lstat's st_size, which
 * some file systems report as 0 or wrongly, so the buffer grows until the
 * target fits or passes HF_FS_LINK_READ_MAX. */
static int read_link(int fd, uint64_t hint, char **out, size_t *outlen)
{
	char *buf = NULL;
	size_t cap;
	ssize_t n;
	int r;

	cap = hint < HF_FS_LINK_MIN_BUF ? HF_FS_LINK_MIN_BUF : hint + 1;
	if (cap > HF_FS_LINK_READ_MAX + 1)
		cap = HF_FS_LINK_READ_MAX + 1;
	for (;;) {
		buf = hf_xrealloc(buf, cap);
		n = readlinkat(fd, "", buf, cap);
		if (n < 0) {
			r = -errno;
			goto out;
		}
		if ((size_t)n < cap)
			break;
		if (cap > HF_FS_LINK_READ_MAX) {
			r = -HF_E_LIMIT;
			goto out;
		}
		cap = cap * 2 > HF_FS_LINK_READ_MAX + 1 ? HF_FS_LINK_READ_MAX + 1 : cap * 2;
	}
	buf[n] = '\0';
	*out = buf;
	*outlen = (size_t)n;
	buf = NULL;
	r = 0;
out:
	free(buf);
	return r;
}

int hf_meta_read(struct hf_fs_names *names, int dirfd, const char *name, int fd, struct hf_meta *m)
{
	return hf_meta_read_stat(names, dirfd, name, fd, m, NULL);
}

int hf_meta_read_stat(struct hf_fs_names *names, int dirfd, const char *name, int fd, struct hf_meta *m,
		      struct stat *st_out)
{
	struct hf_fs_node nd = {.fd = -1};
	struct stat st;
	const char *s;
	int r;

	memset(m, 0, sizeof(*m));
	r = hf_fs_node_open(&nd, dirfd, name, fd);
	if (r < 0)
		return r;
	if (fstat(nd.fd, &st) < 0) {
		r = -errno;
		goto out;
	}
	if (st_out)
		*st_out = st;
	m->type = hf_fs_ftype(st.st_mode);
	if (m->type == 0) {
		r = -ENOTSUP;
		goto out;
	}
	m->mode = (uint32_t)(st.st_mode & 07777);
	m->uid = (uint32_t)st.st_uid;
	m->gid = (uint32_t)st.st_gid;
	m->size = st.st_size < 0 ? 0 : (uint64_t)st.st_size;
	m->ino = (uint64_t)st.st_ino;
	m->dev = (uint64_t)st.st_dev;
	m->nlink = (uint64_t)st.st_nlink;
	if (m->type == HF_FT_CHR || m->type == HF_FT_BLK)
		m->rdev = (uint64_t)st.st_rdev;
	m->mtime_ns = hf_fs_ts_to_ns(&st.st_mtim);
	m->atime_ns = hf_fs_ts_to_ns(&st.st_atim);
	m->ctime_ns = hf_fs_ts_to_ns(&st.st_ctim);
	if (m->type == HF_FT_SYMLINK) {
		r = read_link(nd.fd, m->size, &m->link, &m->link_len);
		if (r < 0)
			goto out;
	}
	r = hf_fs_xattrs_read(&nd, &m->xattrs, &m->nxattrs);
	if (r < 0)
		goto out;
	if (names) {
		s = hf_fs_user_name(names, m->uid);
		if (s)
			m->user = hf_xstrdup(s);
		s = hf_fs_group_name(names, m->gid);
		if (s)
			m->group = hf_xstrdup(s);
	}
	r = 0;
out:
	hf_fs_node_close(&nd);
	if (r < 0)
		hf_meta_release(m);
	return r;
}

void hf_meta_release(struct hf_meta *m)
{
	size_t i;

	if (!m)
		return;
	free(m->user);
	free(m->group);
	free(m->link);
	for (i = 0; m->xattrs && i < m->nxattrs; i++) {
		free(m->xattrs[i].name);
		free(m->xattrs[i].value);
	}
	free(m->xattrs);
	memset(m, 0, sizeof(*m));
}

void hf_meta_copy(struct hf_meta *dst, const struct hf_meta *src)
{
	size_t i;

	*dst = *src;
	dst->user = src->user ? hf_xstrdup(src->user) : NULL;
	dst->group = src->group ? hf_xstrdup(src->group) : NULL;
	dst->link = src->link ? hf_xmemdup(src->link, src->link_len) : NULL;
	dst->xattrs = NULL;
	dst->nxattrs = 0;
	if (!src->xattrs || src->nxattrs == 0)
		return;
	dst->xattrs = hf_xreallocarray(NULL, src->nxattrs, sizeof(*dst->xattrs));
	for (i = 0; i < src->nxattrs; i++) {
		const struct hf_xattr *x = &src->xattrs[i];

		dst->xattrs[i].name = x->name ? hf_xstrdup(x->name) : NULL;
		dst->xattrs[i].value = x->value ? hf_xmemdup(x->value, x->len) : NULL;
		dst->xattrs[i].len = x->value ? x->len : 0;
	}
	dst->nxattrs = src->nxattrs;
}
