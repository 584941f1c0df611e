/* meta_apply.c — putting metadata back on restore: creating special nodes
 * (symlinks with raw target bytes, fifos, devices, sockets) and applying
 * owner, mode, xattrs/ACLs and times in the one order that keeps them all:
 * chown clears setuid/setgid and file capabilities, so it goes first; chmod
 * rewrites the ACL mask, so ACLs come after it; times go last. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "fs/fs_int.h"
#include "util/err.h"

#define HF_FS_CREATE_TRIES 3
/* New nodes stay private until hf_meta_apply sets the real mode. */
#define HF_FS_NODE_INIT_MODE 0600

static int make_node(int dirfd, const char *name, const struct hf_meta *m)
{
	dev_t dev;
	int r;

	switch (m->type) {
	case HF_FT_SYMLINK:
		/* the target must be exactly link_len bytes; a NUL inside can't be stored */
		if (!m->link || strnlen(m->link, m->link_len + 1) != m->link_len)
			return -HF_E_CORRUPT;
		r = symlinkat(m->link, dirfd, name);
		break;
	case HF_FT_FIFO:
		r = mkfifoat(dirfd, name, HF_FS_NODE_INIT_MODE);
		break;
	case HF_FT_CHR:
	case HF_FT_BLK:
		dev = makedev(major((dev_t)m->rdev), minor((dev_t)m->rdev));
		r = mknodat(dirfd, name, (m->type == HF_FT_CHR ? S_IFCHR : S_IFBLK) | HF_FS_NODE_INIT_MODE, dev);
		break;
	case HF_FT_SOCK:
		r = mknodat(dirfd, name, S_IFSOCK | HF_FS_NODE_INIT_MODE, 0);
		break;
	default:
		return -HF_E_USAGE;
	}
	return r < 0 ? -errno : 0;
}

/* Removes whatever is at dirfd/name; a directory only when it is empty. */
static int remove_entry(int dirfd, const char *name)
{
	struct stat st;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	if (unlinkat(dirfd, name, S_ISDIR(st.st_mode) ? AT_REMOVEDIR : 0) < 0)
		return -errno;
	return 0;
}

int hf_meta_create_node(int dirfd, const char *name, const struct hf_meta *m)
{
	int tries, r = -EEXIST;

	if (!name || !m)
		return -HF_E_USAGE;
	for (tries = 0; tries < HF_FS_CREATE_TRIES; tries++) {
		r = make_node(dirfd, name, m);
		if (r != -EEXIST)
			return r;
		r = remove_entry(dirfd, name);
		if (r < 0 && r != -ENOENT)
			return r; /* e.g. -ENOTEMPTY: a non-empty directory stays */
		r = -EEXIST;
	}
	return r;
}

static void keep_first(int *first, int r)
{
	if (r < 0 && *first == 0)
		*first = r;
}

int hf_fs_is_root(void)
{
	/* a process's euid does not change under holdfast; restore threads call
	 * this at once, so the cached value is read and written atomically */
	static int euid = -1;
	int e = __atomic_load_n(&euid, __ATOMIC_RELAXED);

	if (e < 0) {
		e = (int)geteuid();
		__atomic_store_n(&euid, e, __ATOMIC_RELAXED);
	}
	return e == 0;
}

/* owner, stale xattrs, mode, xattrs — everything but the times, on a pinned
 * node; calls that would change nothing are skipped */
static int apply_pinned(struct hf_fs_names *names, struct hf_fs_node *nd, const struct hf_meta *m)
{
	struct stat st;
	uint32_t uid, gid, id;
	int first = 0, is_link;

	if (fstat(nd->fd, &st) < 0)
		return -errno;
	/* The entry must be what the restore created; never chmod a swapped-in node. */
	if (hf_fs_ftype(st.st_mode) != m->type)
		return -HF_E_CHANGED;
	is_link = S_ISLNK(st.st_mode);
	if (hf_fs_is_root()) {
		uid = m->uid;
		gid = m->gid;
		if (names && m->user && hf_fs_user_id(names, m->user, &id) == 1)
			uid = id;
		if (names && m->group && hf_fs_group_id(names, m->group, &id) == 1)
			gid = id;
		/* a file root just created is root's: often what it should be */
		if ((st.st_uid != uid || st.st_gid != gid) &&
		    fchownat(nd->fd, "", (uid_t)uid, (gid_t)gid, AT_EMPTY_PATH) < 0)
			keep_first(&first, -errno);
		else if (st.st_uid != uid || st.st_gid != gid)
			st.st_mode &= ~(mode_t)(S_ISUID | S_ISGID); /* chown cleared them */
	}
	/* Stale ACLs (e.g. inherited from a default ACL) go before chmod, so
	 * the mode set next is the one that stays. */
	keep_first(&first, hf_fs_xattrs_prune(nd, m->xattrs, m->nxattrs));
	if (!is_link && (st.st_mode & 07777) != (m->mode & 07777))
		keep_first(&first, hf_fs_node_chmod(nd, (mode_t)(m->mode & 07777)));
	keep_first(&first, hf_fs_xattrs_set(nd, m->xattrs, m->nxattrs));
	return first;
}

int hf_meta_apply(struct hf_fs_names *names, int dirfd, const char *name, const struct hf_meta *m)
{
	struct hf_fs_node nd = {.fd = -1};
	struct timespec ts[2];
	int r, first;

	if (!name || !m)
		return -HF_E_USAGE;
	r = hf_fs_node_open(&nd, dirfd, name, -1);
	if (r < 0)
		return r;
	first = apply_pinned(names, &nd, m);
	if (first != -HF_E_CHANGED) {
		ts[0] = hf_fs_ns_to_ts(m->atime_ns);
		ts[1] = hf_fs_ns_to_ts(m->mtime_ns);
		if (utimensat(dirfd, name, ts, AT_SYMLINK_NOFOLLOW) < 0)
			keep_first(&first, -errno);
	}
	hf_fs_node_close(&nd);
	return first;
}

int hf_meta_apply_fd(struct hf_fs_names *names, int fd, const struct hf_meta *m)
{
	struct hf_fs_node nd = {.fd = -1};
	struct timespec ts[2];
	int r, first;

	if (fd < 0 || !m)
		return -HF_E_USAGE;
	r = hf_fs_node_open(&nd, -1, NULL, fd);
	if (r < 0)
		return r;
	first = apply_pinned(names, &nd, m);
	if (first != -HF_E_CHANGED) {
		ts[0] = hf_fs_ns_to_ts(m->atime_ns);
		ts[1] = hf_fs_ns_to_ts(m->mtime_ns);
		if (futimens(fd, ts) < 0)
			keep_first(&first, -errno);
	}
	hf_fs_node_close(&nd);
	return first;
}
