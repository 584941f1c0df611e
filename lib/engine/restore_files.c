/* restore_files.c — writing restored files, and the tree-order workers.
 *
 * A file is created anew and never written through: it is opened with
 * O_EXCL, and only if that name is taken is the old entry removed first (a
 * hard link there to a file elsewhere stays as it is). Its data parts are
 * written with pwrite at their offsets, holes stay holes, and its metadata
 * is set through the descriptor. From a local store, files go to the
 * workers in batches in tree order (up to RJOB_ITEMS files or RJOB_BYTES),
 * and a worker reads the chunks of its batch ahead, a window at a time
 * (hf_blob_prefetch). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/restore_internal.h"
#include "util/mem.h"

/* small files travel in batches: fewer hand-offs between threads */
#define RJOB_ITEMS 32
#define RJOB_BYTES (1u << 20)

struct rjob {
	size_t n;
	uint64_t bytes;
	struct ritem items[RJOB_ITEMS];
};

void hf_restore_report(struct restore *rs, const char *path, const char *what, int err)
{
	__atomic_add_fetch(&rs->st->errors, 1, __ATOMIC_RELAXED);
	if (rs->o->report)
		rs->o->report(rs->o->report_arg, path, what, err);
}

void hf_restore_count_file(struct restore *rs)
{
	__atomic_add_fetch(&rs->st->files, 1, __ATOMIC_RELAXED);
	if (rs->o->progress)
		__atomic_add_fetch(&rs->o->progress->files, 1, __ATOMIC_RELAXED);
}

void hf_restore_count_bytes(struct restore *rs, uint64_t n)
{
	__atomic_add_fetch(&rs->st->bytes, n, __ATOMIC_RELAXED);
	if (rs->o->progress)
		__atomic_add_fetch(&rs->o->progress->bytes, n, __ATOMIC_RELAXED);
}

void hf_restore_release_dir(struct restore *rs, struct hf_fs_names *names, struct rdir *d)
{
	while (d && __atomic_sub_fetch(&d->pending, 1, __ATOMIC_ACQ_REL) == 0) {
		struct rdir *parent = d->parent;
		if (d->fd >= 0 && d->fd != rs->target_fd)
			close(d->fd);
		if (parent) {
			int r = hf_meta_apply(names, parent->fd, d->name, &d->meta);
			if (r < 0)
				hf_restore_report(rs, d->name, "cannot set directory metadata", r);
		}
		hf_meta_release(&d->meta);
		free(d->name);
		free(d);
		d = parent;
	}
}

int hf_restore_write_at(int fd, const uint8_t *p, size_t n, uint64_t off)
{
	while (n > 0) {
		ssize_t w = pwrite(fd, p, n, (off_t)off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += w;
		n -= (size_t)w;
		off += (uint64_t)w;
	}
	return 0;
}

/* tries to make an entry at a taken name before giving up */
#define CREATE_TRIES 3

/* Creates dirfd/name as a new empty regular file and returns its descriptor
 * (or -errno). What is there already is removed, never opened: opening it
 * would write through a hard link (or a symlink) into a file elsewhere. A
 * directory is removed only when empty. */
int hf_restore_create(int dirfd, const char *name, mode_t mode)
{
	int fd = -EEXIST;

	for (int tries = 0; tries < CREATE_TRIES; tries++) {
		fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
		if (fd >= 0 || errno != EEXIST)
			return fd >= 0 ? fd : -errno;
		fd = -EEXIST;
		if (unlinkat(dirfd, name, 0) < 0 && errno != ENOENT) {
			if (errno != EISDIR)
				return -errno;
			if (unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
				return -errno; /* e.g. -ENOTEMPTY: a directory with content stays */
		}
	}
	return fd;
}

/* opens the first name of a hard-link group, made by the walk: it must
 * still be the inode made then */
static int open_made(int dirfd, const struct ritem *it)
{
	struct stat st;
	int fd = openat(dirfd, it->node.name, O_WRONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || st.st_dev != it->dev || st.st_ino != it->ino) {
		close(fd);
		return -HF_E_CHANGED;
	}
	return fd;
}

int hf_restore_open_file(const struct ritem *it, mode_t also)
{
	/* created with its permission bits (the umask is 0 meanwhile), so most
	 * files need no chmod; setuid/setgid come after the chown */
	return it->made ? open_made(it->dir->fd, it)
			: hf_restore_create(it->dir->fd, it->node.name, (it->node.meta.mode & 0777) | also);
}

int hf_restore_finish_fd(struct rworker *w, const struct ritem *it, int fd, uint64_t end)
{
	int r;

	if (end != it->node.meta.size && ftruncate(fd, (off_t)it->node.meta.size) < 0) { /* trailing hole */
		r = -errno;
		hf_restore_report(w->rs, it->path, "cannot set size", r);
		return r;
	}
	r = hf_meta_apply_fd(w->names, fd, &it->node.meta);
	if (r < 0)
		hf_restore_report(w->rs, it->path, "cannot set metadata", r);
	return r;
}

/* ---- tree order ---------------------------------------------------------------- */

static int restore_file(struct rworker *w, struct ritem *it, size_t first)
{
	struct restore *rs = w->rs;
	const struct hf_node *nd = &it->node;
	uint64_t off = 0, end = 0; /* end: where the written data stops */
	int fd, r = 0;

	fd = hf_restore_open_file(it, 0);
	if (fd < 0) {
		hf_restore_report(rs, it->path, "cannot create file", fd);
		return fd;
	}
	w->next = first;
	for (size_t i = 0; i < nd->nparts; i++) {
		const struct hf_part *p = &nd->parts[i];
		if (p->kind == HF_PART_DATA) {
			if (w->next >= w->ahead && w->next < w->nids)
				w->ahead = w->next + hf_blob_prefetch(&w->br, w->ids + w->next, w->nids - w->next);
			w->next++;
			r = hf_blob_read(&w->br, p->id, &w->buf);
			if (r == 0 && w->buf.len != p->len)
				r = -HF_E_CORRUPT;
			if (r == 0)
				r = hf_restore_write_at(fd, w->buf.data, w->buf.len, off);
			if (r < 0) {
				hf_restore_report(rs, it->path, "cannot restore data", r);
				break;
			}
			end = off + p->len;
			hf_restore_count_bytes(rs, p->len);
		}
		off += p->len;
	}
	if (r == 0)
		r = hf_restore_finish_fd(w, it, fd, end);
	close(fd);
	hf_restore_count_file(rs);
	return r;
}

/* lists the job's data parts in order; first[i]: where item i's begin */
static void plan_job(struct rworker *w, const struct rjob *job, size_t first[RJOB_ITEMS])
{
	w->nids = w->next = w->ahead = 0;
	for (size_t i = 0; i < job->n; i++) {
		const struct hf_node *nd = &job->items[i].node;
		first[i] = w->nids;
		for (size_t k = 0; k < nd->nparts; k++) {
			if (nd->parts[k].kind != HF_PART_DATA)
				continue;
			if (w->nids == w->ids_cap) {
				w->ids_cap = w->ids_cap ? 2 * w->ids_cap : 256;
				w->ids = hf_xreallocarray(w->ids, w->ids_cap, sizeof(*w->ids));
			}
			w->ids[w->nids++] = nd->parts[k].id;
		}
	}
}

static void release_item(struct restore *rs, struct hf_fs_names *names, struct ritem *it)
{
	hf_restore_release_dir(rs, names, it->dir);
	hf_node_release(&it->node);
	free(it->path);
}

void *hf_restore_batch_worker(void *arg)
{
	struct rworker *w = arg;
	struct rjob *job;

	pthread_setname_np(pthread_self(), "hf-restore");
	while ((job = hf_queue_pop(w->rs->q)) != NULL) {
		size_t first[RJOB_ITEMS];
		plan_job(w, job, first);
		for (size_t i = 0; i < job->n; i++) {
			restore_file(w, &job->items[i], first[i]);
			release_item(w->rs, w->names, &job->items[i]);
		}
		free(job);
	}
	return NULL;
}

int hf_restore_batch_send(struct restore *rs, struct hf_fs_names *names)
{
	struct rjob *job = rs->batch;
	int r;

	if (!job)
		return 0;
	rs->batch = NULL;
	r = hf_queue_push(rs->q, job);
	if (r < 0) {
		for (size_t i = 0; i < job->n; i++)
			release_item(rs, names, &job->items[i]);
		free(job);
	}
	return r;
}

int hf_restore_batch_add(struct restore *rs, struct hf_fs_names *names, struct ritem *it)
{
	if (!rs->batch)
		rs->batch = hf_xcalloc(1, sizeof(*rs->batch));
	rs->batch->items[rs->batch->n++] = *it;
	rs->batch->bytes += it->node.meta.size;
	if (rs->batch->n == RJOB_ITEMS || rs->batch->bytes >= RJOB_BYTES)
		return hf_restore_batch_send(rs, names);
	return 0;
}
