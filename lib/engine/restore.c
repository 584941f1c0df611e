/* restore.c — the restore pipeline.
 *
 * The main thread walks the snapshot's trees: it makes directories, creates
 * links, FIFOs and devices itself, and queues regular files for worker
 * threads, which read, verify and write their contents (holes stay holes)
 * and then set their metadata. A directory's own metadata (mtime, mode,
 * ACLs) is set when the last entry inside it is done, counted like the
 * backup's directories. Directories are reached through open descriptors,
 * so paths longer than PATH_MAX restore too.
 *
 * Nothing already in the target is written through or followed: a file is
 * created with O_EXCL, and only if that name is taken is the old entry
 * removed first (a hard link there to a file elsewhere stays as it is);
 * special nodes are made the same way (hf_meta_create_node), and a
 * directory replaces a non-directory in its place. An empty target, the
 * common case, costs no extra system call. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/engine_internal.h"
#include "store/store.h"
#include "util/err.h"
#include "util/idmap.h"
#include "util/mem.h"
#include "util/queue.h"

struct rdir {
	struct rdir *parent;
	char *name;
	int fd;
	struct hf_meta meta;
	int pending; /* atomic */
	int held;    /* kept open to the end: holds the first name of a hard-link group */
};

struct ritem {
	struct rdir *dir;
	struct hf_node node;
	char *path;
	int made; /* the first name of a hard-link group, created already as (dev, ino) */
	dev_t dev;
	ino_t ino;
};

/* packs a restore from a remote store holds in memory at most (16 MiB each
 * by default), fewer with fewer threads, and more that are fetched ahead of
 * the workers, as many at once as the link needs */
#define RESTORE_CACHE_PACKS 8
#define RESTORE_AHEAD_PACKS 8

/* small files travel in batches: fewer hand-offs between threads */
#define RJOB_ITEMS 32
#define RJOB_BYTES (1u << 20)

struct rjob {
	size_t n;
	uint64_t bytes;
	struct ritem items[RJOB_ITEMS];
};

struct restore {
	struct hf_repo *repo;
	const struct hf_restore_opts *o;
	struct hf_restore_stats *st;
	struct hf_queue *q;
	struct hf_pack_cache *cache; /* a remote store's whole packs, or NULL */
	uint32_t *packs;             /* the packs of the batch just sent (send_batch) */
	size_t packs_cap;
	struct rjob *batch; /* being filled by the main thread */
	int target_fd;
	struct hf_idmap *links;   /* (dev, ino) key → index into firsts */
	struct link_first {       /* the first restored name of each hard-link group */
		struct rdir *dir; /* held open; NULL past the cap: then by path */
		char *name, *path;
	} * firsts;
	size_t nlinks;
	struct rdir **held; /* directories held open for hard links */
	size_t nheld;
	int err;
};

struct rworker {
	struct restore *rs;
	struct hf_blob_reader br;
	struct hf_fs_names *names;
	struct hf_buf buf;
	/* the data parts of the job at hand, in the order they are written:
	 * read ahead a window at a time (hf_blob_prefetch), so that a remote
	 * store answers one range for many neighbouring blobs */
	const uint8_t **ids;
	size_t nids, ids_cap;
	size_t next;  /* the part about to be read */
	size_t ahead; /* parts [.., ahead) are read ahead */
};

static void report(struct restore *rs, const char *path, const char *what, int err)
{
	__atomic_add_fetch(&rs->st->errors, 1, __ATOMIC_RELAXED);
	if (rs->o->report)
		rs->o->report(rs->o->report_arg, path, what, err);
}

static void release_dir(struct restore *rs, struct hf_fs_names *names, struct rdir *d)
{
	while (d && __atomic_sub_fetch(&d->pending, 1, __ATOMIC_ACQ_REL) == 0) {
		struct rdir *parent = d->parent;
		if (d->fd >= 0 && d->fd != rs->target_fd)
			close(d->fd);
		if (parent) {
			int r = hf_meta_apply(names, parent->fd, d->name, &d->meta);
			if (r < 0)
				report(rs, d->name, "cannot set directory metadata", r);
		}
		hf_meta_release(&d->meta);
		free(d->name);
		free(d);
		d = parent;
	}
}

static int write_all_at(int fd, const uint8_t *p, size_t n, uint64_t off)
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
static int create_fresh(int dirfd, const char *name, mode_t mode)
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

/* opens the first name of a hard-link group, made by hardlink(): it must
 * still be the inode made then */
static int open_made(int dirfd, const struct ritem *job)
{
	struct stat st;
	int fd = openat(dirfd, job->node.name, O_WRONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || st.st_dev != job->dev || st.st_ino != job->ino) {
		close(fd);
		return -HF_E_CHANGED;
	}
	return fd;
}

static int restore_file(struct rworker *w, struct ritem *job, size_t first)
{
	struct restore *rs = w->rs;
	const struct hf_node *nd = &job->node;
	uint64_t off = 0, end = 0; /* end: where the written data stops */
	int fd, r = 0;

	/* created with its permission bits (the umask is 0 meanwhile), so most
	 * files need no chmod; setuid/setgid come after the chown */
	mode_t mode = (mode_t)(nd->meta.mode & 0777);

	fd = job->made ? open_made(job->dir->fd, job) : create_fresh(job->dir->fd, nd->name, mode);
	if (fd < 0) {
		report(rs, job->path, "cannot create file", fd);
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
				r = write_all_at(fd, w->buf.data, w->buf.len, off);
			if (r < 0) {
				report(rs, job->path, "cannot restore data", r);
				break;
			}
			end = off + p->len;
			__atomic_add_fetch(&rs->st->bytes, p->len, __ATOMIC_RELAXED);
			if (rs->o->progress)
				__atomic_add_fetch(&rs->o->progress->bytes, p->len, __ATOMIC_RELAXED);
		}
		off += p->len;
	}
	if (r == 0 && end != nd->meta.size && ftruncate(fd, (off_t)nd->meta.size) < 0) { /* trailing hole */
		r = -errno;
		report(rs, job->path, "cannot set size", r);
	}
	if (r == 0) {
		r = hf_meta_apply_fd(w->names, fd, &nd->meta);
		if (r < 0)
			report(rs, job->path, "cannot set metadata", r);
	}
	close(fd);
	__atomic_add_fetch(&rs->st->files, 1, __ATOMIC_RELAXED);
	if (rs->o->progress)
		__atomic_add_fetch(&rs->o->progress->files, 1, __ATOMIC_RELAXED);
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

static void *worker(void *arg)
{
	struct rworker *w = arg;
	struct rjob *job;

	pthread_setname_np(pthread_self(), "hf-restore");
	while ((job = hf_queue_pop(w->rs->q)) != NULL) {
		size_t first[RJOB_ITEMS];
		plan_job(w, job, first);
		for (size_t i = 0; i < job->n; i++) {
			struct ritem *it = &job->items[i];
			restore_file(w, it, first[i]);
			release_dir(w->rs, w->names, it->dir);
			hf_node_release(&it->node);
			free(it->path);
		}
		free(job);
	}
	return NULL;
}

/* 0: skip, 1: restore whole, 2: only on the way to an included path */
static int included(const struct restore *rs, const char *path)
{
	int best = rs->o->nincludes ? 0 : 1;

	for (size_t i = 0; i < rs->o->nincludes && best != 1; i++) {
		int rel = hf_path_relation(path, rs->o->includes[i]);
		if (rel)
			best = rel;
	}
	return best;
}

/* at most this many directories stay open for hard links; past it, links
 * are made by path from the target */
#define HELD_DIRS_MAX 4096

/* The id map's key for an inode: it hashes on an id's first bytes and
 * expects them uniformly random (ids are MACs), so they are a mix of dev and
 * ino, followed by ino and dev themselves (the key stays exact). With dev
 * first, every link of one file system fell in one bucket: a restore of a
 * million hard-linked files took quadratic time. */
static void link_key(uint64_t dev, uint64_t ino, uint8_t key[HF_ID_LEN])
{
	uint64_t h = ino * 0x9e3779b97f4a7c15u ^ dev;

	h ^= h >> 31;
	h *= 0xbf58476d1ce4e5b9u;
	h ^= h >> 29;
	memcpy(key, &h, sizeof(h));
	memcpy(key + 8, &ino, sizeof(ino));
	memcpy(key + 16, &dev, sizeof(dev));
}

/* Hard links: the first name of a group is created at once, and its
 * directory is held open to the end, so later names link to it through
 * descriptors (never by a path a racing symlink could redirect). */
static int hardlink(struct restore *rs, struct rdir *d, const struct hf_node *nd, const char *path, int *linked,
		    struct ritem *made)
{
	uint8_t key[HF_ID_LEN] = {0};
	size_t idx = rs->nlinks, *slot;
	struct link_first *f;
	int r;

	*linked = 0;
	if (nd->meta.nlink < 2)
		return 0;
	link_key(nd->meta.dev, nd->meta.ino, key);
	if (hf_idmap_put(rs->links, key, &idx, (void **)&slot) == 0) {
		f = &rs->firsts[*slot];
		unlinkat(d->fd, nd->name, 0);
		r = f->dir ? linkat(f->dir->fd, f->name, d->fd, nd->name, 0)
			   : linkat(rs->target_fd, f->path + 1, d->fd, nd->name, 0);
		if (r == 0) {
			*linked = 1;
			__atomic_add_fetch(&rs->st->files, 1, __ATOMIC_RELAXED);
		}
		return 0; /* if the link failed, a copy is restored instead */
	}
	rs->firsts = hf_xreallocarray(rs->firsts, rs->nlinks + 1, sizeof(*rs->firsts));
	f = &rs->firsts[rs->nlinks++];
	f->name = hf_xstrdup(nd->name);
	f->path = hf_xstrdup(path);
	f->dir = NULL;
	if (!d->held && rs->nheld < HELD_DIRS_MAX && d->fd != rs->target_fd) {
		d->held = 1;
		__atomic_add_fetch(&d->pending, 1, __ATOMIC_ACQ_REL);
		rs->held = hf_xreallocarray(rs->held, rs->nheld + 1, sizeof(*rs->held));
		rs->held[rs->nheld++] = d;
	}
	if (d->held || d->fd == rs->target_fd) /* the target stays open to the end anyway */
		f->dir = d;
	/* create it now so that later names can link to it before it is written */
	{
		struct stat st;
		int fd = create_fresh(d->fd, nd->name, 0600);
		if (fd >= 0 && fstat(fd, &st) == 0) {
			made->made = 1;
			made->dev = st.st_dev;
			made->ino = st.st_ino;
		}
		if (fd >= 0)
			close(fd);
	}
	return 0;
}

static int restore_dir(struct restore *rs, struct hf_blob_reader *br, struct hf_fs_names *names, struct rdir *d,
		       const uint8_t tree_id[HF_ID_LEN], const char *path, struct hf_blob_ahead *from);

/* the packs job's data parts are in, in order of first use (repeats next to
 * each other left out), into rs->packs; their number */
static size_t job_packs(struct restore *rs, const struct rjob *job)
{
	const struct hf_index *ix = hf_repo_index(rs->repo);
	size_t n = 0;

	for (size_t i = 0; i < job->n; i++) {
		const struct hf_node *nd = &job->items[i].node;
		for (size_t k = 0; k < nd->nparts; k++) {
			const struct hf_blob_loc *loc;
			if (nd->parts[k].kind != HF_PART_DATA || !(loc = hf_index_find(ix, nd->parts[k].id)) ||
			    (n > 0 && rs->packs[n - 1] == loc->pack))
				continue;
			if (n == rs->packs_cap) {
				rs->packs_cap = rs->packs_cap ? 2 * rs->packs_cap : 64;
				rs->packs = hf_xreallocarray(rs->packs, rs->packs_cap, sizeof(*rs->packs));
			}
			rs->packs[n++] = loc->pack;
		}
	}
	return n;
}

static int send_batch(struct restore *rs, struct hf_fs_names *names)
{
	struct rjob *job = rs->batch;
	size_t npacks;
	int r;

	if (!job)
		return 0;
	rs->batch = NULL;
	npacks = rs->cache ? job_packs(rs, job) : 0;
	r = hf_queue_push(rs->q, job);
	/* its packs are fetched ahead once it is queued: the walk may then wait
	 * for room ahead, which the workers make by reading them */
	for (size_t i = 0; r == 0 && i < npacks; i++)
		hf_pack_cache_ahead(rs->cache, rs->packs[i]);
	if (r < 0) {
		for (size_t i = 0; i < job->n; i++) {
			release_dir(rs, names, job->items[i].dir);
			hf_node_release(&job->items[i].node);
			free(job->items[i].path);
		}
		free(job);
	}
	return r;
}

static int restore_entry(struct restore *rs, struct hf_blob_reader *br, struct hf_fs_names *names, struct rdir *d,
			 struct hf_node *nd, const char *path, int mode, struct hf_blob_ahead *trees)
{
	int r = 0;

	if (nd->meta.type == HF_FT_DIR) {
		struct rdir *c;
		if (mkdirat(d->fd, nd->name, 0700) < 0 && errno != EEXIST) {
			report(rs, path, "cannot create directory", -errno);
			return 0;
		}
		c = hf_xcalloc(1, sizeof(*c));
		c->fd = openat(d->fd, nd->name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (c->fd < 0 && (errno == ENOTDIR || errno == ELOOP) && unlinkat(d->fd, nd->name, 0) == 0) {
			/* a file or symlink was in its place: replaced, never followed */
			if (mkdirat(d->fd, nd->name, 0700) == 0 || errno == EEXIST)
				c->fd = openat(d->fd, nd->name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		}
		if (c->fd < 0) {
			report(rs, path, "cannot open directory", -errno);
			free(c);
			return 0;
		}
		c->parent = d;
		c->name = hf_xstrdup(nd->name);
		hf_meta_copy(&c->meta, &nd->meta);
		c->pending = 1;
		__atomic_add_fetch(&d->pending, 1, __ATOMIC_ACQ_REL);
		__atomic_add_fetch(&rs->st->dirs, 1, __ATOMIC_RELAXED);
		r = restore_dir(rs, br, names, c, nd->subtree, path, trees);
		release_dir(rs, names, c);
		return r;
	}
	if (mode != 1)
		return 0;
	if (nd->meta.type == HF_FT_FILE) {
		struct ritem *it, made = {0};
		int linked;
		hardlink(rs, d, nd, path, &linked, &made);
		if (linked)
			return 0;
		if (!rs->batch)
			rs->batch = hf_xcalloc(1, sizeof(*rs->batch));
		it = &rs->batch->items[rs->batch->n++];
		*it = made;
		it->dir = d;
		it->node = *nd;
		memset(nd, 0, sizeof(*nd)); /* moved into the batch */
		it->path = hf_xstrdup(path);
		rs->batch->bytes += it->node.meta.size;
		__atomic_add_fetch(&d->pending, 1, __ATOMIC_ACQ_REL);
		if (rs->batch->n == RJOB_ITEMS || rs->batch->bytes >= RJOB_BYTES)
			return send_batch(rs, names);
		return 0;
	}
	r = hf_meta_create_node(d->fd, nd->name, &nd->meta);
	if (r == 0)
		r = hf_meta_apply(names, d->fd, nd->name, &nd->meta);
	if (r < 0)
		report(rs, path, "cannot create", r);
	__atomic_add_fetch(&rs->st->others, 1, __ATOMIC_RELAXED);
	return 0;
}

/* Reads ahead the trees of the subdirectories from entry i on that will be
 * walked, as many as one read-ahead holds, into *trees; the entry after the
 * last one read ahead. Over a server, the trees of a directory's
 * subdirectories then come in one or a few range reads instead of one each,
 * on the thread that everything else waits for. */
static size_t read_trees_ahead(struct hf_blob_reader *br, const struct hf_tree *t, const unsigned char *modes, size_t i,
			       struct hf_blob_ahead *trees)
{
	size_t cap = t->n - i < HF_BLOB_PREFETCH_IDS ? t->n - i : HF_BLOB_PREFETCH_IDS;
	const uint8_t **ids = hf_xcalloc(cap, sizeof(*ids));
	size_t *at = hf_xcalloc(cap, sizeof(*at));
	size_t n = 0, took, upto;

	for (size_t k = i; k < t->n && n < cap; k++)
		if (modes[k] && t->nodes[k].meta.type == HF_FT_DIR) {
			at[n] = k;
			ids[n++] = t->nodes[k].subtree;
		}
	took = hf_blob_prefetch(br, ids, n);
	upto = took < n ? at[took] : n == cap ? at[n - 1] + 1 : t->n;
	hf_blob_ahead_swap(br, trees);
	free(ids);
	free(at);
	return upto;
}

/* from: where the parent read this tree ahead (NULL: nowhere) */
static int restore_dir(struct restore *rs, struct hf_blob_reader *br, struct hf_fs_names *names, struct rdir *d,
		       const uint8_t tree_id[HF_ID_LEN], const char *path, struct hf_blob_ahead *from)
{
	struct hf_tree t;
	struct hf_blob_ahead trees;
	unsigned char *modes;
	char **paths;
	size_t ahead = 0;
	int r;

	if (from)
		hf_blob_ahead_swap(br, from);
	r = hf_tree_load(br, tree_id, &t);
	if (from)
		hf_blob_ahead_swap(br, from);
	if (r < 0) {
		report(rs, path[0] ? path : "/", "cannot read directory from the repository", r);
		return 0;
	}
	modes = hf_xcalloc(t.n + 1, 1);
	paths = hf_xcalloc(t.n + 1, sizeof(*paths));
	for (size_t i = 0; i < t.n; i++) {
		int mode;
		paths[i] = hf_path_join(path, t.nodes[i].name);
		mode = included(rs, paths[i]);
		if (mode == 1 && rs->o->select && !rs->o->select(rs->o->select_arg, paths[i], &t.nodes[i]))
			mode = 0;
		modes[i] = (unsigned char)mode;
	}
	hf_blob_ahead_init(&trees);
	for (size_t i = 0; i < t.n && r == 0; i++) {
		if (modes[i] && t.nodes[i].meta.type == HF_FT_DIR && i >= ahead)
			ahead = read_trees_ahead(br, &t, modes, i, &trees);
		if (modes[i])
			r = restore_entry(rs, br, names, d, &t.nodes[i], paths[i], modes[i], &trees);
		if (__atomic_load_n(&rs->err, __ATOMIC_RELAXED))
			r = -HF_E_CANCELED;
	}
	hf_blob_ahead_release(&trees);
	for (size_t i = 0; i < t.n; i++)
		free(paths[i]);
	free(paths);
	free(modes);
	hf_tree_release(&t);
	return r;
}

int hf_restore(struct hf_repo *r, const struct hf_snapshot *s, const struct hf_restore_opts *o,
	       struct hf_restore_stats *st)
{
	struct restore rs;
	struct rworker *ws = NULL;
	pthread_t *tids = NULL;
	struct hf_blob_reader br;
	struct hf_pack_cache *cache = NULL;
	struct hf_fs_names *names = NULL;
	struct rdir *root;
	int nthreads = o->threads > 0 ? o->threads : (int)sysconf(_SC_NPROCESSORS_ONLN);
	int started = 0, ret;
	mode_t old_umask;

	memset(st, 0, sizeof(*st));
	memset(&rs, 0, sizeof(rs));
	if (nthreads < 1)
		nthreads = 1;
	if (nthreads > 64)
		nthreads = 64;
	if (!hf_repo_index(r) && (ret = hf_repo_load_index(r, NULL, NULL, NULL)) < 0)
		return ret;
	if (mkdir(o->target, 0700) < 0 && errno != EEXIST)
		return -errno;
	rs.target_fd = open(o->target, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rs.target_fd < 0)
		return -errno;
	rs.repo = r;
	rs.o = o;
	rs.st = st;
	rs.links = hf_idmap_new(sizeof(size_t));
	rs.q = hf_queue_new((size_t)nthreads * 4 + 4); /* batches: at most a few MiB each */
	if (o->progress && o->nincludes == 0) {
		o->progress->total_bytes = s->bytes;
		o->progress->total_files = s->files;
	}
	/* a remote store: whole packs, each fetched once, shared by the threads */
	if (hf_repo_store(r)->caps & HF_STORE_REMOTE)
		cache = hf_pack_cache_new(
			r, nthreads + 2 < RESTORE_CACHE_PACKS ? (size_t)nthreads + 2 : RESTORE_CACHE_PACKS,
			RESTORE_AHEAD_PACKS);
	rs.cache = cache;
	ws = hf_xcalloc((size_t)nthreads, sizeof(*ws));
	tids = hf_xcalloc((size_t)nthreads, sizeof(*tids));
	for (; started < nthreads; started++) {
		ws[started].rs = &rs;
		hf_blob_reader_init(&ws[started].br, r);
		ws[started].br.cache = cache;
		ws[started].names = hf_fs_names_new();
		hf_buf_init(&ws[started].buf, HF_BLOB_MAX);
		if (pthread_create(&tids[started], NULL, worker, &ws[started]) != 0) {
			hf_blob_reader_release(&ws[started].br);
			hf_fs_names_free(ws[started].names);
			hf_buf_release(&ws[started].buf);
			break;
		}
	}
	hf_blob_reader_init(&br, r);
	br.cache = cache;
	names = hf_fs_names_new();
	root = hf_xcalloc(1, sizeof(*root));
	root->fd = rs.target_fd;
	root->pending = 1;
	old_umask = umask(0);
	ret = started ? restore_dir(&rs, &br, names, root, s->tree, "", NULL) : -EAGAIN;
	{
		int r2 = send_batch(&rs, names); /* also on failure: it holds directory references */
		if (ret == 0)
			ret = r2;
	}
	if (ret < 0)
		__atomic_store_n(&rs.err, ret, __ATOMIC_SEQ_CST);
	hf_queue_close(rs.q);
	for (int i = 0; i < started; i++)
		pthread_join(tids[i], NULL);
	umask(old_umask);
	for (size_t i = 0; i < rs.nheld; i++)
		release_dir(&rs, names, rs.held[i]);
	release_dir(&rs, names, root);
	for (int i = 0; i < started; i++) {
		hf_blob_reader_release(&ws[i].br);
		hf_fs_names_free(ws[i].names);
		hf_buf_release(&ws[i].buf);
		free(ws[i].ids);
	}
	hf_blob_reader_release(&br);
	hf_pack_cache_free(cache);
	hf_fs_names_free(names);
	for (size_t i = 0; i < rs.nlinks; i++) {
		free(rs.firsts[i].name);
		free(rs.firsts[i].path);
	}
	free(rs.firsts);
	free(rs.held);
	free(rs.packs);
	hf_idmap_free(rs.links);
	hf_queue_free(rs.q);
	free(ws);
	free(tids);
	close(rs.target_fd);
	return ret < 0 ? ret : 0;
}
