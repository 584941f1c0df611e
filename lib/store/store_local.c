/* store_local.c — the local-directory store, holdfast's embedded default.
 *
 * Layout: DIR/config, DIR/keys/, DIR/snapshots/, DIR/index/, DIR/data/<2 hex>/,
 * DIR/marks/, and DIR/tmp/ for objects being written. A put writes
 * DIR/tmp/<name>.<rand> with O_EXCL, fsyncs it, then link()s it to its final
 * name — link, unlike rename, fails if the name exists, which makes put
 * create-only — and fsyncs the directory. A crash leaves at most a stray temp
 * file, never a partial object. Packs skip the fsyncs (HF_PUT_NOSYNC) and are
 * made durable together by hf_store_sync before the index object that names
 * them is written. Objects are made read-only (0444): they never change. */
#include <dirent.h>
#include <pthread.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "crypto/crypto.h"
#include "store/store.h"
#include "store/store_names.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/fdio.h"
#include "util/hex.h"
#include "util/mem.h"

struct local_store {
	struct hf_store base;
	char *dir;
	int dirfd;
	pthread_mutex_t lock;
	char **unsynced; /* objects put with HF_PUT_NOSYNC since the last sync */
	size_t nunsynced;
};

static int fsync_dir_of(int dirfd, const char *rel)
{
	char parent[HF_STORE_NAME_MAX + 16];
	const char *slash = strrchr(rel, '/');
	int fd, r = 0;

	if (!slash) {
		snprintf(parent, sizeof(parent), ".");
	} else {
		snprintf(parent, sizeof(parent), "%.*s", (int)(slash - rel), rel);
	}
	fd = openat(dirfd, parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0)
		r = -errno;
	close(fd);
	return r;
}

static void note_unsynced(struct local_store *ls, const char *rel)
{
	pthread_mutex_lock(&ls->lock);
	ls->unsynced = hf_xreallocarray(ls->unsynced, ls->nunsynced + 1, sizeof(char *));
	ls->unsynced[ls->nunsynced++] = hf_xstrdup(rel);
	pthread_mutex_unlock(&ls->lock);
}

/* A writer gathers small pieces (a server receives an upload a TLS record,
 * 16 KiB, at a time) into WRITER_BUF before writing them: one write
 * instead of four. Pieces this big or more go straight to the file. (256
 * KiB wrote no faster through the server, and its peak grew by a buffer
 * for each upload in flight: 1.21x with four clients at once, 1.09x now.) */
#define WRITER_BUF (64u << 10)

struct local_writer {
	struct hf_store *store; /* first, as struct hf_store_writer requires */
	int kind;
	int fd;
	char tmp[64];
	uint8_t *buf; /* WRITER_BUF bytes, from the first small piece on */
	size_t nbuf;
};

static int writer_flush(struct local_writer *w)
{
	int r = w->nbuf ? hf_write_all(w->fd, w->buf, w->nbuf) : 0;

	w->nbuf = 0;
	return r;
}

static int local_writer_open(struct hf_store *s, int kind, struct hf_store_writer **out)
{
	struct local_store *ls = (struct local_store *)s;
	struct local_writer *w;
	uint8_t rnd[16];
	char rnd_hex[33];

	*out = NULL;
	if (kind < 0 || kind >= HF_OBJ_KINDS)
		return -HF_E_USAGE;
	w = hf_xcalloc(1, sizeof(*w));
	w->store = s;
	w->kind = kind;
	hf_random(rnd, sizeof(rnd));
	hf_hex_encode(rnd, sizeof(rnd), rnd_hex);
	snprintf(w->tmp, sizeof(w->tmp), "tmp/%s", rnd_hex);
	w->fd = openat(ls->dirfd, w->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
	if (w->fd < 0) {
		int r = -errno;
		free(w);
		return r;
	}
	*out = (struct hf_store_writer *)w;
	return 0;
}

static int local_writer_write(struct hf_store_writer *hw, const void *p, size_t n)
{
	struct local_writer *w = (struct local_writer *)hw;
	int r;

	if (!w)
		return -HF_E_USAGE;
	if (w->nbuf + n > WRITER_BUF && (r = writer_flush(w)) < 0)
		return r;
	if (n >= WRITER_BUF)
		return hf_write_all(w->fd, p, n);
	if (!w->buf)
		w->buf = hf_xmalloc(WRITER_BUF);
	memcpy(w->buf + w->nbuf, p, n);
	w->nbuf += n;
	return 0;
}

static void local_writer_abort(struct hf_store_writer *hw)
{
	struct local_writer *w = (struct local_writer *)hw;
	struct local_store *ls;

	if (!w)
		return;
	ls = (struct local_store *)w->store;
	if (w->fd >= 0)
		close(w->fd);
	unlinkat(ls->dirfd, w->tmp, 0);
	free(w->buf);
	free(w);
}

static int local_writer_commit(struct hf_store_writer *hw, const char *name, int flags)
{
	struct local_writer *w = (struct local_writer *)hw;
	struct local_store *ls = (struct local_store *)w->store;
	char rel[HF_STORE_NAME_MAX + 16];
	int r = hf_store_obj_path(w->kind, name, rel, sizeof(rel));

	if (r == 0)
		r = writer_flush(w);
	if (r == 0 && !(flags & HF_PUT_NOSYNC) && fsync(w->fd) < 0)
		r = -errno;
	/* start writing it back now, so the sync before the index finds little left */
	if (r == 0 && (flags & HF_PUT_NOSYNC))
		sync_file_range(w->fd, 0, 0, SYNC_FILE_RANGE_WRITE);
	if (close(w->fd) < 0 && r == 0)
		r = -errno;
	w->fd = -1;
	if (r == 0 && linkat(ls->dirfd, w->tmp, ls->dirfd, rel, 0) < 0)
		r = errno == EEXIST ? -HF_E_EXISTS : -errno;
	if (r == 0 && !(flags & HF_PUT_NOSYNC))
		r = fsync_dir_of(ls->dirfd, rel);
	else if (r == 0)
		note_unsynced(ls, rel);
	local_writer_abort(hw); /* removes the temporary name */
	return r;
}

static int local_put(struct hf_store *s, int kind, const char *name, const void *p, size_t n, int flags)
{
	struct hf_store_writer *w = NULL;
	char rel[HF_STORE_NAME_MAX + 16];
	int r = hf_store_obj_path(kind, name, rel, sizeof(rel));

	if (r == 0)
		r = local_writer_open(s, kind, &w);
	if (r < 0)
		return r;
	r = local_writer_write(w, p, n);
	if (r < 0) {
		local_writer_abort(w);
		return r;
	}
	return local_writer_commit(w, name, flags);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* fsyncs every object put with HF_PUT_NOSYNC, then each directory that got
 * one (the kernel has written most of it back by now: this mostly waits
 * for what is left). Only this repository's files, whatever else is dirty. */
static int local_sync(struct hf_store *s)
{
	struct local_store *ls = (struct local_store *)s;
	char **v;
	size_t n;
	int r = 0;

	pthread_mutex_lock(&ls->lock);
	v = ls->unsynced;
	n = ls->nunsynced;
	ls->unsynced = NULL;
	ls->nunsynced = 0;
	pthread_mutex_unlock(&ls->lock);
	if (n > 1)
		qsort(v, n, sizeof(char *), cmp_str);
	for (size_t i = 0; i < n; i++) {
		int fd = openat(ls->dirfd, v[i], O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0 || fsync(fd) < 0) {
			if (r == 0)
				r = -errno;
		}
		if (fd >= 0)
			close(fd);
	}
	for (size_t i = 0; i < n; i++) {
		const char *slash = strrchr(v[i], '/');
		const char *prev = i > 0 ? strrchr(v[i - 1], '/') : NULL;
		int same = prev && slash && prev - v[i - 1] == slash - v[i] &&
			   strncmp(v[i - 1], v[i], (size_t)(slash - v[i])) == 0;
		int e = same ? 0 : fsync_dir_of(ls->dirfd, v[i]);
		if (e < 0 && r == 0)
			r = e;
	}
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
	return r;
}

static int open_obj(struct local_store *ls, int kind, const char *name)
{
	char rel[HF_STORE_NAME_MAX + 16];
	int r = hf_store_obj_path(kind, name, rel, sizeof(rel));
	int fd;

	if (r < 0)
		return r;
	fd = openat(ls->dirfd, rel, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return errno == ENOENT ? -HF_E_NOTFOUND : -errno;
	return fd;
}

static int pread_all(int fd, void *p, size_t n, uint64_t off)
{
	uint8_t *q = p;

	while (n > 0) {
		ssize_t got = pread(fd, q, n, (off_t)off);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (got == 0)
			return -HF_E_CORRUPT; /* shorter than expected: truncated */
		q += got;
		n -= (size_t)got;
		off += (uint64_t)got;
	}
	return 0;
}

static int local_get(struct hf_store *s, int kind, const char *name, struct hf_buf *out)
{
	struct local_store *ls = (struct local_store *)s;
	struct stat st;
	int fd, r;

	fd = open_obj(ls, kind, name);
	if (fd < 0)
		return fd;
	if (fstat(fd, &st) < 0) {
		r = -errno;
		goto out;
	}
	out->len = 0;
	r = hf_buf_reserve(out, (size_t)st.st_size);
	if (r < 0)
		goto out;
	r = pread_all(fd, out->data, (size_t)st.st_size, 0);
	if (r == 0)
		out->len = (size_t)st.st_size;
out:
	close(fd);
	return r;
}

static int local_get_range(struct hf_store *s, int kind, const char *name, uint64_t off, size_t n, void *p)
{
	struct local_store *ls = (struct local_store *)s;
	int fd = open_obj(ls, kind, name);
	int r;

	if (fd < 0)
		return fd;
	r = pread_all(fd, p, n, off);
	close(fd);
	return r;
}

struct local_reader {
	struct hf_store *store; /* first, as struct hf_store_reader requires */
	int fd;
};

static int local_reader_open(struct hf_store *s, int kind, const char *name, struct hf_store_reader **out)
{
	struct local_reader *r;
	int fd = open_obj((struct local_store *)s, kind, name);

	*out = NULL;
	if (fd < 0)
		return fd;
	r = hf_xcalloc(1, sizeof(*r));
	r->store = s;
	r->fd = fd;
	*out = (struct hf_store_reader *)r;
	return 0;
}

static int local_reader_read(struct hf_store_reader *hr, uint64_t off, size_t n, void *out)
{
	return pread_all(((struct local_reader *)hr)->fd, out, n, off);
}

static void local_reader_close(struct hf_store_reader *hr)
{
	close(((struct local_reader *)hr)->fd);
	free(hr);
}

static int stat_obj(struct hf_store *s, int kind, const char *name, struct stat *st)
{
	struct local_store *ls = (struct local_store *)s;
	char rel[HF_STORE_NAME_MAX + 16];
	int r = hf_store_obj_path(kind, name, rel, sizeof(rel));

	if (r < 0)
		return r;
	if (fstatat(ls->dirfd, rel, st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? -HF_E_NOTFOUND : -errno;
	return 0;
}

static int local_size(struct hf_store *s, int kind, const char *name, uint64_t *size)
{
	struct stat st;
	int r = stat_obj(s, kind, name, &st);

	if (r == 0)
		*size = (uint64_t)st.st_size;
	return r;
}

static int local_mtime(struct hf_store *s, int kind, const char *name, int64_t *ns)
{
	struct stat st;
	int r = stat_obj(s, kind, name, &st);

	if (r == 0)
		*ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
	return r;
}

/* *d: the directory rel of the store, open for readdir; NULL (and 0) if it
 * does not exist */
static int open_dir(struct local_store *ls, const char *rel, DIR **d)
{
	int fd = openat(ls->dirfd, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC), r;

	*d = NULL;
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	*d = fdopendir(fd);
	if (!*d) {
		r = -errno;
		close(fd);
		return r;
	}
	return 0;
}

static int list_dir(struct local_store *ls, int kind, const char *rel, hf_store_list_fn fn, void *arg)
{
	struct dirent *de;
	DIR *d;
	int fd, r = open_dir(ls, rel, &d);

	if (r < 0 || !d)
		return r;
	fd = dirfd(d);
	while ((de = readdir(d)) != NULL) {
		struct stat st;
		if (!hf_store_valid_name(kind, de->d_name))
			continue;
		if (fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
			continue;
		r = fn(arg, de->d_name, (uint64_t)st.st_size);
		if (r != 0)
			break;
	}
	closedir(d);
	return r;
}

static int local_list(struct hf_store *s, int kind, hf_store_list_fn fn, void *arg)
{
	struct local_store *ls = (struct local_store *)s;
	char rel[16];
	int r;

	if (kind == HF_OBJ_CONFIG || kind < 0 || kind >= HF_OBJ_KINDS)
		return -HF_E_USAGE;
	if (kind != HF_OBJ_PACK)
		return list_dir(ls, kind, hf_store_kind_dir[kind], fn, arg);
	for (int i = 0; i < 256; i++) {
		snprintf(rel, sizeof(rel), "data/%02x", i);
		r = list_dir(ls, kind, rel, fn, arg);
		if (r != 0)
			return r;
	}
	return 0;
}

static int local_remove(struct hf_store *s, int kind, const char *name)
{
	struct local_store *ls = (struct local_store *)s;
	char rel[HF_STORE_NAME_MAX + 16];
	int r = hf_store_obj_path(kind, name, rel, sizeof(rel));

	if (r < 0)
		return r;
	if (unlinkat(ls->dirfd, rel, 0) < 0)
		return errno == ENOENT ? -HF_E_NOTFOUND : -errno;
	return 0;
}

static void local_close(struct hf_store *s)
{
	struct local_store *ls = (struct local_store *)s;

	if (ls->dirfd >= 0)
		close(ls->dirfd);
	for (size_t i = 0; i < ls->nunsynced; i++)
		free(ls->unsynced[i]);
	free(ls->unsynced);
	pthread_mutex_destroy(&ls->lock);
	free(ls->dir);
	free(ls);
}

static int local_now(struct hf_store *s, int64_t *ns);

/* Temporary files of writes that never committed (a writer killed, or a
 * disk that filled): those older than older_than_ns (by their mtime, the
 * store's clock) are removed; a younger one may belong to a writer still
 * at work. */
static int local_sweep(struct hf_store *s, int64_t older_than_ns, uint64_t *files, uint64_t *bytes)
{
	struct local_store *ls = (struct local_store *)s;
	int64_t now = 0;
	struct dirent *de;
	DIR *d;
	int fd, r;

	*files = *bytes = 0;
	r = open_dir(ls, "tmp", &d);
	if (r < 0 || !d)
		return r;
	fd = dirfd(d);
	local_now(s, &now);
	while ((de = readdir(d)) != NULL) {
		struct stat st;
		int64_t mtime;
		if (de->d_name[0] == '.' || fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		mtime = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
		if (now - mtime < older_than_ns || unlinkat(fd, de->d_name, 0) < 0)
			continue;
		(*files)++;
		*bytes += (uint64_t)st.st_size;
	}
	closedir(d);
	return 0;
}

/* the local store's clock is this machine's: the one file times are set by */
static int local_now(struct hf_store *s, int64_t *ns)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) < 0)
		return -errno;
	*ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
	return 0;
}

static const struct hf_store_ops local_ops = {
	.put = local_put,
	.get = local_get,
	.get_range = local_get_range,
	.size = local_size,
	.mtime = local_mtime,
	.list = local_list,
	.remove = local_remove,
	.sync = local_sync,
	.reader_open = local_reader_open,
	.reader_read = local_reader_read,
	.reader_close = local_reader_close,
	.writer_open = local_writer_open,
	.writer_write = local_writer_write,
	.writer_commit = local_writer_commit,
	.writer_abort = local_writer_abort,
	.close = local_close,
	.now = local_now,
	.sweep = local_sweep,
};

static int dir_is_empty(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int empty = 1;

	if (!d)
		return errno == ENOENT ? 1 : -errno;
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			empty = 0;
	closedir(d);
	return empty;
}

static int make_layout(int dirfd)
{
	static const char *const subdirs[] = {"keys", "snapshots", "index", "data", "marks", "pending", "tmp"};
	char rel[16];

	for (size_t i = 0; i < sizeof(subdirs) / sizeof(subdirs[0]); i++)
		if (mkdirat(dirfd, subdirs[i], 0700) < 0 && errno != EEXIST)
			return -errno;
	for (int i = 0; i < 256; i++) {
		snprintf(rel, sizeof(rel), "data/%02x", i);
		if (mkdirat(dirfd, rel, 0700) < 0 && errno != EEXIST)
			return -errno;
	}
	return 0;
}

int hf_store_local_open(const char *dir, int create, struct hf_store **out)
{
	struct local_store *ls = NULL;
	int r;

	*out = NULL;
	if (create == 1) {
		r = dir_is_empty(dir);
		if (r < 0)
			return r;
		if (r == 0)
			return -HF_E_EXISTS;
		if (mkdir(dir, 0700) < 0 && errno != EEXIST)
			return -errno;
	}
	ls = hf_xcalloc(1, sizeof(*ls));
	pthread_mutex_init(&ls->lock, NULL);
	ls->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (ls->dirfd < 0) {
		r = errno == ENOENT ? -HF_E_NOTFOUND : -errno;
		goto out;
	}
	if (create == 1) {
		r = make_layout(ls->dirfd);
		if (r < 0)
			goto out;
	} else if (faccessat(ls->dirfd, "config", F_OK, 0) < 0 &&
		   !(create == HF_STORE_OPEN_LAYOUT && faccessat(ls->dirfd, "keys", F_OK, 0) == 0)) {
		r = -HF_E_NOTFOUND;
		goto out;
	} else {
		/* tmp/ may be missing in a copied repository, marks/ in one made
		 * before marks existed; writers need them (listing a missing
		 * directory gives nothing) */
		mkdirat(ls->dirfd, "tmp", 0700);
		mkdirat(ls->dirfd, "marks", 0700);
		mkdirat(ls->dirfd, "pending", 0700);
	}
	ls->dir = hf_xstrdup(dir);
	ls->base.ops = &local_ops;
	ls->base.location = ls->dir;
	ls->base.caps = HF_STORE_CAN_DELETE; /* its clock is this machine's: no HF_STORE_OWN_CLOCK */
	*out = &ls->base;
	return 0;
out:
	local_close(&ls->base);
	return r;
}
