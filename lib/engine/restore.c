/* restore.c — the restore pipeline.
 *
 * The main thread walks the snapshot's trees: it makes directories, creates
 * links, FIFOs and devices itself, and queues regular files for worker
 * threads, which read, verify and write their contents (holes stay holes)
 * and then set their metadata: in tree order from a local store
 * (restore_files.c), pack by pack from a remote one (restore_packs.c). A
 * directory's own metadata (mtime, mode, ACLs) is set when the last entry
 * inside it is done, counted like the backup's directories. Directories are
 * reached through open descriptors, so paths longer than PATH_MAX restore
 * too.
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

#include "engine/restore_internal.h"
#include "store/store.h"
#include "util/err.h"
#include "util/idmap.h"
#include "util/mem.h"
#include "util/mkdirs.h"

/* packs a restore from a remote store holds in memory at most (16 MiB each
 * by default), fewer with fewer threads, and more that are fetched ahead of
 * the workers, as many at once as the link needs */
#define RESTORE_CACHE_PACKS 8
#define RESTORE_AHEAD_PACKS 8

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
		int fd = hf_restore_create(d->fd, nd->name, 0600);
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

static int restore_entry(struct restore *rs, struct hf_blob_reader *br, struct hf_fs_names *names, struct rdir *d,
			 struct hf_node *nd, const char *path, int mode, struct hf_blob_ahead *trees)
{
	int r = 0;

	if (nd->meta.type == HF_FT_DIR) {
		struct rdir *c;
		if (mkdirat(d->fd, nd->name, 0700) < 0 && errno != EEXIST) {
			hf_restore_report(rs, path, "cannot create directory", -errno);
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
			hf_restore_report(rs, path, "cannot open directory", -errno);
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
		hf_restore_release_dir(rs, names, c);
		return r;
	}
	if (mode != 1)
		return 0;
	if (nd->meta.type == HF_FT_FILE) {
		struct ritem made = {0};
		int linked;
		hardlink(rs, d, nd, path, &linked, &made);
		if (linked)
			return 0;
		made.dir = d;
		made.node = *nd;
		memset(nd, 0, sizeof(*nd)); /* moved into the batch */
		made.path = hf_xstrdup(path);
		__atomic_add_fetch(&d->pending, 1, __ATOMIC_ACQ_REL);
		return rs->by_pack ? hf_restore_window_add(rs, names, &made) : hf_restore_batch_add(rs, names, &made);
		return 0;
	}
	r = hf_meta_create_node(d->fd, nd->name, &nd->meta);
	if (r == 0)
		r = hf_meta_apply(names, d->fd, nd->name, &nd->meta);
	if (r < 0)
		hf_restore_report(rs, path, "cannot create", r);
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
		hf_restore_report(rs, path[0] ? path : "/", "cannot read directory from the repository", r);
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
	struct hf_pack_cache *cache = NULL, *trees = NULL;
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
	if ((ret = hf_mkdirs(o->target, 0700)) < 0) /* and its parents, as mkdir -p */
		return ret;
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
	/* a remote store: whole packs, each fetched once, shared by the threads;
	 * where trees have packs of their own, the walk reads them through the
	 * repository's tree cache, and the files go pack by pack */
	if (hf_repo_store(r)->caps & HF_STORE_REMOTE) {
		size_t slots;
		trees = hf_repo_tree_cache(r);
		rs.by_pack = !o->tree_order && trees;
		/* pack by pack a worker reads one pack at a time; in tree order a
		 * batch's blobs come from a few packs at once */
		slots = (size_t)nthreads + (rs.by_pack ? 0 : 2);
		cache = hf_pack_cache_new(r, slots < RESTORE_CACHE_PACKS ? slots : RESTORE_CACHE_PACKS,
					  RESTORE_AHEAD_PACKS);
	}
	rs.cache = cache;
	hf_restore_windows_init(&rs);
	ws = hf_xcalloc((size_t)nthreads, sizeof(*ws));
	tids = hf_xcalloc((size_t)nthreads, sizeof(*tids));
	for (; started < nthreads; started++) {
		ws[started].rs = &rs;
		hf_blob_reader_init(&ws[started].br, r);
		ws[started].br.cache = cache;
		ws[started].names = hf_fs_names_new();
		hf_buf_init(&ws[started].buf, HF_BLOB_MAX);
		if (pthread_create(&tids[started], NULL, rs.by_pack ? hf_restore_pack_worker : hf_restore_batch_worker,
				   &ws[started]) != 0) {
			hf_blob_reader_release(&ws[started].br);
			hf_fs_names_free(ws[started].names);
			hf_buf_release(&ws[started].buf);
			break;
		}
	}
	hf_blob_reader_init(&br, r);
	br.cache = rs.by_pack ? trees : cache;
	names = hf_fs_names_new();
	root = hf_xcalloc(1, sizeof(*root));
	root->fd = rs.target_fd;
	root->pending = 1;
	old_umask = umask(0);
	ret = started ? restore_dir(&rs, &br, names, root, s->tree, "", NULL) : -EAGAIN;
	{
		/* also on failure: it holds directory references */
		int r2 = rs.by_pack ? hf_restore_window_send(&rs, names) : hf_restore_batch_send(&rs, names);
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
		hf_restore_release_dir(&rs, names, rs.held[i]);
	hf_restore_release_dir(&rs, names, root);
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
	hf_restore_windows_release(&rs);
	hf_idmap_free(rs.links);
	hf_queue_free(rs.q);
	free(ws);
	free(tids);
	close(rs.target_fd);
	return ret < 0 ? ret : 0;
}
