/* backup_walk.c — the scanner: lists directories in sorted order, reads
 * metadata (regular files: lstat only, until it is known they changed), keeps
 * unchanged files' chunks from the parent snapshot, and queues the changed
 * ones for the workers (backup_file.c). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/backup_internal.h"
#include "engine/engine_internal.h"
#include "util/err.h"
#include "util/mem.h"

#define MAX_DIR_ENTRIES (16u << 20)

/* The tree of paths the user named: intermediate components are stored with
 * their metadata but only the named children; named paths are scanned whole. */
struct vnode {
	char *name;
	int target;
	struct vnode **kids;
	size_t nkids;
};

static struct vnode *vnode_child(struct vnode *v, const char *name, size_t len)
{
	struct vnode *k;

	for (size_t i = 0; i < v->nkids; i++)
		if (strlen(v->kids[i]->name) == len && memcmp(v->kids[i]->name, name, len) == 0)
			return v->kids[i];
	k = hf_xcalloc(1, sizeof(*k));
	k->name = hf_xmemdup(name, len);
	v->kids = hf_xreallocarray(v->kids, v->nkids + 1, sizeof(*v->kids));
	v->kids[v->nkids++] = k;
	return k;
}

static void vnode_free(struct vnode *v)
{
	if (!v)
		return;
	for (size_t i = 0; i < v->nkids; i++)
		vnode_free(v->kids[i]);
	free(v->kids);
	free(v->name);
	free(v);
}

static struct vnode *vtree_build(char **paths, size_t n)
{
	struct vnode *root = hf_xcalloc(1, sizeof(*root));

	root->name = hf_xstrdup("");
	for (size_t i = 0; i < n; i++) {
		struct vnode *v = root;
		const char *p = paths[i];
		while (*p == '/')
			p++;
		while (*p) {
			const char *e = strchr(p, '/');
			size_t len = e ? (size_t)(e - p) : strlen(p);
			v = vnode_child(v, p, len);
			p += len;
			while (*p == '/')
				p++;
		}
		v->target = 1;
	}
	return root;
}

static struct vnode *vnode_find(struct vnode *v, const char *name)
{
	for (size_t i = 0; v && i < v->nkids; i++)
		if (strcmp(v->kids[i]->name, name) == 0)
			return v->kids[i];
	return NULL;
}

/* readdir's d_type travels in front of each name: "<type byte><name>" */
static char *typed_name(unsigned char type, const char *name)
{
	size_t n = strlen(name);
	char *p = hf_xmalloc(n + 2);

	p[0] = (char)(type ? type : 0xff); /* never a NUL */
	memcpy(p + 1, name, n + 1);
	return p;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a + 1, *(char *const *)b + 1);
}

static int excluded(const struct backup *b, const char *name, const char *path)
{
	for (size_t i = 0; i < b->o->nexcludes; i++)
		if (fnmatch(b->o->excludes[i], name, 0) == 0 || fnmatch(b->o->excludes[i], path, 0) == 0)
			return 1;
	return 0;
}

/* names of a directory to store, sorted; from the disk or from the vtree */
static int list_names(struct backup *b, int dirfd, const char *path, struct vnode *v, char ***out, size_t *n)
{
	char **names = NULL;
	size_t count = 0, cap = 0;
	DIR *d;
	struct dirent *de;
	int fd;

	*out = NULL;
	*n = 0;
	if (v && !v->target) {
		names = hf_xcalloc(v->nkids ? v->nkids : 1, sizeof(char *));
		for (size_t i = 0; i < v->nkids; i++)
			names[count++] = typed_name(DT_UNKNOWN, v->kids[i]->name);
		goto sort;
	}
	fd = dup(dirfd);
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		int r = -errno;
		close(fd);
		return r;
	}
	rewinddir(d);
	while ((errno = 0, de = readdir(d)) != NULL) {
		char *full;
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		full = hf_path_join(path, de->d_name);
		if (b->o->nexcludes && excluded(b, de->d_name, full)) {
			free(full);
			continue;
		}
		free(full);
		if (count == MAX_DIR_ENTRIES)
			break;
		if (count == cap) {
			cap = cap ? 2 * cap : 64;
			names = hf_xreallocarray(names, cap, sizeof(char *));
		}
		names[count++] = typed_name(de->d_type, de->d_name);
	}
	closedir(d);
sort:
	if (count > 1)
		qsort(names, count, sizeof(char *), cmp_str);
	*out = names;
	*n = count;
	return 0;
}

static int unchanged(struct backup *b, const struct hf_meta *m, const struct hf_node *old)
{
	if (!old || old->meta.type != HF_FT_FILE || old->meta.size != m->size || old->meta.mtime_ns != m->mtime_ns ||
	    old->meta.ctime_ns != m->ctime_ns || old->meta.ino != m->ino)
		return 0;
	for (size_t i = 0; i < old->nparts; i++)
		if (old->parts[i].kind == HF_PART_DATA && !hf_backup_reuse(b, old->parts[i].id))
			return 0;
	return 1;
}

/* The lstat part of a regular file's metadata; its xattrs and owner names
 * are read in process_file (or copied from the parent snapshot). */
static int stat_meta(int dirfd, const char *name, struct hf_meta *m)
{
	struct stat st;

	memset(m, 0, sizeof(*m));
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode)) /* replaced since readdir: read it in full */
		return -EAGAIN;
	m->type = HF_FT_FILE;
	m->mode = (uint32_t)(st.st_mode & 07777);
	m->uid = (uint32_t)st.st_uid;
	m->gid = (uint32_t)st.st_gid;
	m->size = (uint64_t)st.st_size;
	m->ino = (uint64_t)st.st_ino;
	m->dev = (uint64_t)st.st_dev;
	m->nlink = (uint64_t)st.st_nlink;
	m->mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
	m->atime_ns = (int64_t)st.st_atim.tv_sec * 1000000000 + st.st_atim.tv_nsec;
	m->ctime_ns = (int64_t)st.st_ctim.tv_sec * 1000000000 + st.st_ctim.tv_nsec;
	return 0;
}

/* An unchanged file takes the parent snapshot's chunks (and, as its ctime
 * is the same, its xattrs, mode and owner); a changed one becomes a job. */
static int process_file(struct backup *b, struct bdir *d, size_t i, const struct hf_node *old)
{
	struct hf_node *nd = &d->tree.nodes[i];
	struct hf_meta *m = &nd->meta;
	struct job *j;
	int r;

	b->files_total++;
	b->bytes_total += m->size;
	if (unchanged(b, m, old)) {
		int64_t atime = m->atime_ns;
		hf_meta_release(m);
		hf_meta_copy(m, &old->meta);
		m->atime_ns = atime;
		nd->nparts = old->nparts;
		nd->parts = hf_xmemdup(old->parts, old->nparts * sizeof(*old->parts));
		nd->has_profile = old->has_profile;
		nd->profile = old->profile;
		b->st->files_unchanged++;
		hf_backup_progress(b, 1, m->size);
		return 0;
	}
	if (old && old->meta.type == HF_FT_FILE)
		b->st->files_changed++;
	else
		b->st->files_new++;
	j = hf_xcalloc(1, sizeof(*j));
	j->kind = JOB_FILE;
	j->dir = d;
	j->slot = i;
	__atomic_add_fetch(&d->pending, 1, __ATOMIC_ACQ_REL);
	r = hf_work_push_file(&b->work, j);
	if (r < 0) {
		free(j);
		hf_backup_release_dir(&b->scanner, d);
	}
	return r;
}

static int fill_dir(struct backup *b, struct bdir *d, struct vnode *v);

static int process_subdir(struct backup *b, struct bdir *d, size_t i, struct vnode *kid)
{
	struct hf_node *nd = &d->tree.nodes[i];
	struct bdir *c = hf_xcalloc(1, sizeof(*c));
	const struct hf_node *old = hf_tree_find(&d->prev, nd->name);
	b->dirs_total++;
	c->fd = -1;
	c->parent = d;
	c->slot = i;
	c->path = hf_path_join(d->path, nd->name);
	__atomic_add_fetch(&d->pending, 1, __ATOMIC_ACQ_REL);
	if (old && old->meta.type == HF_FT_DIR) {
		int r = hf_backup_load_prev(b, old->subtree, &c->prev);
		if (r == 0) {
			c->has_prev = 1;
			memcpy(c->prev_id, old->subtree, HF_ID_LEN);
		} else if (b->cache) { /* the local cache lacks it: read the directory in full */
			memset(&c->prev, 0, sizeof(c->prev));
			if (b->changes) /* its files would look new: the scan walks (and meets the gap) */
				hf_scan_changes_break(b->changes);
			hf_backup_report(b, c->path, "missing or damaged in the local cache; read in full", r, 0);
		} else {
			hf_backup_parent_damaged(b, c->path, r);
		}
	}
	c->dev = kid ? nd->meta.dev : d->dev; /* a named path sets the device to stay on */
	if (b->o->one_file_system && !kid && nd->meta.dev != d->dev) {
		c->pending = 1; /* a mount point: stored, not entered */
		hf_backup_release_dir(&b->scanner, c);
		return 0;
	}
	c->fd = openat(d->fd, nd->name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (c->fd < 0) {
		hf_backup_report(b, c->path, "cannot open directory", -errno, 1);
		c->pending = 1;
		hf_backup_release_dir(&b->scanner, c);
		return 0;
	}
	return fill_dir(b, c, kid);
}

/* Scans one directory (open as d->fd) into d and processes its entries.
 * Always drops d's scanning reference before returning. */
static int fill_dir(struct backup *b, struct bdir *d, struct vnode *v)
{
	int dirfd = d->fd;
	char **names = NULL;
	size_t n = 0, used = 0;
	int r;

	d->pending = 1;
	r = list_names(b, dirfd, d->path[0] ? d->path : "", v, &names, &n);
	if (r < 0) {
		hf_backup_report(b, d->path[0] ? d->path : "/", "cannot list directory", r, 1);
		goto out;
	}
	d->tree.nodes = hf_xcalloc(n ? n : 1, sizeof(struct hf_node));
	d->torn = hf_xcalloc(n ? n : 1, 1);
	for (size_t i = 0; i < n; i++) {
		struct hf_node *nd = &d->tree.nodes[used];
		const char *name = names[i] + 1;
		/* regular files: lstat now, the rest once it is known whether they changed */
		r = (unsigned char)names[i][0] == DT_REG ? stat_meta(dirfd, name, &nd->meta) : -EAGAIN;
		if (r == -EAGAIN)
			r = hf_meta_read(b->scanner.names, dirfd, name, -1, &nd->meta);
		if (r < 0) {
			char *path = hf_path_join(d->path, name);
			int named = v && !v->target; /* a path the user named must exist */
			hf_backup_report(b, path, r == -ENOENT ? "vanished" : "cannot read metadata", r,
					 named || r != -ENOENT);
			free(path);
			continue;
		}
		nd->name = hf_xstrdup(name);
		used++;
	}
	d->tree.n = used;
	r = 0;
	for (size_t i = 0; i < used && r == 0; i++) {
		struct hf_node *nd = &d->tree.nodes[i];
		struct vnode *kid = (v && !v->target) ? vnode_find(v, nd->name) : NULL;
		if (__atomic_load_n(&b->err, __ATOMIC_RELAXED)) {
			r = -HF_E_CANCELED;
			break;
		}
		if (nd->meta.type == HF_FT_DIR) {
			r = process_subdir(b, d, i, kid);
		} else if (nd->meta.type == HF_FT_FILE) {
			r = process_file(b, d, i, hf_tree_find(&d->prev, nd->name));
		} else {
			b->st->others++;
			hf_backup_progress(b, 1, 0);
		}
	}
out:
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	hf_backup_release_dir(&b->scanner, d);
	return r;
}

int hf_backup_walk(struct backup *b, struct hf_tree *parent_root, const uint8_t *parent_id)
{
	struct vnode *vt = vtree_build(b->o->paths, b->o->npaths);
	struct bdir *root = hf_xcalloc(1, sizeof(*root));
	struct stat st;
	int r;

	root->path = hf_xstrdup("");
	if (parent_root) { /* moved into the root bdir, which frees it */
		root->prev = *parent_root;
		memset(parent_root, 0, sizeof(*parent_root));
		root->has_prev = 1;
		memcpy(root->prev_id, parent_id, HF_ID_LEN);
	}
	root->fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (root->fd < 0 || fstat(root->fd, &st) < 0) {
		r = -errno;
		if (root->fd >= 0)
			close(root->fd);
		free(root->path);
		hf_tree_release(&root->prev);
		free(root);
		vnode_free(vt);
		return r;
	}
	root->dev = (uint64_t)st.st_dev;
	r = fill_dir(b, root, vt->target ? NULL : vt);
	vnode_free(vt);
	return r;
}
