/* restore_packs.c — a restore from a remote store, pack by pack.
 *
 * Over a link each pack costs a request and a transfer. Restored in tree
 * order, the files of one batch need parts from many packs (the backup's
 * workers interleave, deduplicated chunks stay where they were first
 * stored), and a cache of a few whole packs fetched some of them four or
 * five times while the walk could not run far enough ahead to keep the link
 * busy: over a long link a restore took twice restic's time.
 *
 * Here the walk gathers files into windows (up to WINDOW_FILES files,
 * WINDOW_PARTS data parts, or as many directories as the open-file limit
 * allows). A window's parts are sorted by the pack and the offset they are
 * stored at, and each pack becomes one job, queued in the order the window
 * first needs it; the main thread hands each job's pack to the cache to
 * fetch ahead (hf_pack_cache_ahead), so the link carries as many packs at
 * once as it takes, and each is fetched once per window. A worker writes
 * every part of its job into its file at the part's offset. The first part
 * of a file to arrive creates it (with the owner's write bit, so that it
 * can be opened again); a later one opens it again only if it is still that
 * inode (the first name of a hard link is checked the same way), and the
 * last one sets its size and metadata and counts it done in its directory.
 * A worker keeps a file open only while it writes a run of its parts, so
 * open files stay few; at most WINDOWS_QUEUED windows wait for the workers
 * at once, which bounds the directories held open. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/restore_internal.h"
#include "util/mem.h"

#define WINDOW_FILES 16384
#define WINDOW_PARTS 262144
#define WINDOWS_QUEUED 2
#define WINDOW_LOCKS 64
#define NO_PACK UINT32_MAX
#define NO_PART UINT32_MAX

struct rfile {
	struct ritem it; /* it.made (with its dev and ino) once created, under the window's lock for it */
	int failed;      /* atomic: its error is reported */
	size_t left;     /* atomic: pieces not yet written */
	uint64_t end;
};

/* one data part of a file, or a file with none (part NO_PART) */
struct rpiece {
	struct rfile *f;
	uint32_t part;
	uint32_t pack; /* NO_PACK: the index does not have it (the read says so) */
	uint32_t pack_off;
	uint32_t seq; /* order of planning: a pack's jobs go in order of its first piece */
	uint64_t off; /* in the file */
};

struct rwindow {
	struct restore *rs;
	struct rfile *files;
	size_t nfiles;
	size_t nparts;
	size_t ndirs; /* changes of directory from one file to the next: at least the directories */
	struct rpiece *pieces;
	size_t jobs; /* atomic: jobs not done; the last one frees the window */
	pthread_mutex_t locks[WINDOW_LOCKS];
};

struct rpack_job {
	struct rwindow *w;
	size_t first, n; /* pieces */
};

void hf_restore_windows_init(struct restore *rs)
{
	struct rlimit rl;
	rlim_t dirs = WINDOW_FILES;

	/* a directory stays open while files in it wait: those of the windows
	 * queued and of the one being filled may take half the open files */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		dirs = rl.rlim_cur / 2 / (WINDOWS_QUEUED + 1);
	if (dirs < 16)
		dirs = 16;
	rs->window_dirs = dirs < WINDOW_FILES ? (size_t)dirs : WINDOW_FILES;
	pthread_mutex_init(&rs->windows_lock, NULL);
	pthread_cond_init(&rs->window_done, NULL);
}

void hf_restore_windows_release(struct restore *rs)
{
	pthread_mutex_destroy(&rs->windows_lock);
	pthread_cond_destroy(&rs->window_done);
}

static void window_free(struct rwindow *w)
{
	struct restore *rs = w->rs;

	for (size_t i = 0; i < WINDOW_LOCKS; i++)
		pthread_mutex_destroy(&w->locks[i]);
	free(w->files);
	free(w->pieces);
	free(w);
	pthread_mutex_lock(&rs->windows_lock);
	rs->nwindows--;
	pthread_cond_signal(&rs->window_done);
	pthread_mutex_unlock(&rs->windows_lock);
}

static void fail_file(struct restore *rs, struct rfile *f, const char *what, int err)
{
	if (__atomic_exchange_n(&f->failed, 1, __ATOMIC_ACQ_REL) == 0)
		hf_restore_report(rs, f->it.path, what, err);
}

/* a descriptor for f: the first call creates it, later ones open it again
 * if it is still the inode created (as the first name of a hard link, made
 * by the walk, always is); < 0 if it cannot be had (reported) */
static int file_open(struct rwindow *w, struct rfile *f)
{
	pthread_mutex_t *m = &w->locks[(size_t)(f - w->files) % WINDOW_LOCKS];
	struct stat st;
	int fd;

	pthread_mutex_lock(m);
	if (!f->it.made) {
		if (__atomic_load_n(&f->failed, __ATOMIC_ACQUIRE)) { /* its creation failed */
			pthread_mutex_unlock(m);
			return -1;
		}
		fd = hf_restore_open_file(&f->it, S_IWUSR);
		if (fd >= 0 && fstat(fd, &st) < 0) {
			int e = -errno;
			close(fd);
			fd = e;
		}
		if (fd >= 0) {
			f->it.made = 1;
			f->it.dev = st.st_dev;
			f->it.ino = st.st_ino;
		} else {
			fail_file(w->rs, f, "cannot create file", fd);
		}
		pthread_mutex_unlock(m);
		return fd;
	}
	pthread_mutex_unlock(m);
	fd = hf_restore_open_file(&f->it, 0);
	if (fd < 0)
		fail_file(w->rs, f, "cannot create file", fd);
	return fd;
}

/* f is written: its size and metadata, and one entry less in its directory */
static void finish_file(struct restore *rs, struct rworker *wk, struct hf_fs_names *names, struct rfile *f, int fd)
{
	if (fd >= 0 && wk && !__atomic_load_n(&f->failed, __ATOMIC_ACQUIRE))
		hf_restore_finish_fd(wk, &f->it, fd, f->end);
	hf_restore_count_file(rs);
	hf_restore_release_dir(rs, names, f->it.dir);
	hf_node_release(&f->it.node);
	free(f->it.path);
}

/* writes one piece through *fd, f's descriptor if >= 0 (wk NULL: drops it,
 * as after the queue was closed); 1 if that finished the file */
static int write_piece(struct rwindow *w, struct rworker *wk, struct hf_fs_names *names, const struct rpiece *pc,
		       int *fd)
{
	struct restore *rs = w->rs;
	struct rfile *f = pc->f;
	int r;

	if (!wk)
		fail_file(rs, f, "cannot restore data", -HF_E_CANCELED);
	else if (*fd < 0 && !__atomic_load_n(&f->failed, __ATOMIC_ACQUIRE))
		*fd = file_open(w, f);
	if (*fd >= 0 && pc->part != NO_PART && !__atomic_load_n(&f->failed, __ATOMIC_ACQUIRE)) {
		const struct hf_part *p = &f->it.node.parts[pc->part];
		r = hf_blob_read(&wk->br, p->id, &wk->buf);
		if (r == 0 && wk->buf.len != p->len)
			r = -HF_E_CORRUPT;
		if (r == 0)
			r = hf_restore_write_at(*fd, wk->buf.data, wk->buf.len, pc->off);
		if (r < 0)
			fail_file(rs, f, "cannot restore data", r);
		else
			hf_restore_count_bytes(rs, p->len);
	}
	if (__atomic_sub_fetch(&f->left, 1, __ATOMIC_ACQ_REL) != 0)
		return 0;
	finish_file(rs, wk, names, f, *fd);
	return 1;
}

static void run_job(struct rpack_job *job, struct rworker *wk, struct hf_fs_names *names)
{
	struct rwindow *w = job->w;
	struct hf_pack_cache *cache = w->rs->cache;
	uint32_t pack = w->pieces[job->first].pack;
	struct hf_pack_hold pin = {0};
	const uint8_t *at;
	struct rfile *cur = NULL; /* the file fd is for */
	int fd = -1, pinned = 0;

	/* the pack stays in the cache until its last part is written: between
	 * two reads of it, packs read by the other workers would otherwise be
	 * more recent, and fetching ahead could take its slot (it would be
	 * fetched again). If it cannot be held, the reads fetch it themselves. */
	if (wk && cache && pack != NO_PACK)
		pinned = hf_pack_cache_hold(cache, pack, 0, 0, &at, &pin) == 0;
	for (size_t i = 0; i < job->n; i++) {
		const struct rpiece *pc = &w->pieces[job->first + i];
		if (pc->f != cur && fd >= 0) {
			close(fd);
			fd = -1;
		}
		cur = pc->f;
		if (write_piece(w, wk, names, pc, &fd)) {
			if (fd >= 0)
				close(fd);
			fd = -1;
			cur = NULL;
		}
	}
	if (fd >= 0)
		close(fd);
	if (pinned)
		hf_pack_cache_let_go(cache, &pin);
	free(job);
	if (__atomic_sub_fetch(&w->jobs, 1, __ATOMIC_ACQ_REL) == 0)
		window_free(w);
}

void *hf_restore_pack_worker(void *arg)
{
	struct rworker *wk = arg;
	struct rpack_job *job;

	pthread_setname_np(pthread_self(), "hf-restore");
	while ((job = hf_queue_pop(wk->rs->q)) != NULL)
		run_job(job, wk, wk->names);
	return NULL;
}

/* ---- planning a window (main thread) ----------------------------------------------- */

static int by_pack(const void *a, const void *b)
{
	const struct rpiece *x = a, *y = b;

	if (x->pack != y->pack)
		return x->pack < y->pack ? -1 : 1;
	if (x->pack_off != y->pack_off)
		return x->pack_off < y->pack_off ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

struct group {
	size_t first, n;
	uint32_t seq, pack;
};

static int by_seq(const void *a, const void *b)
{
	const struct group *x = a, *y = b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* the window's pieces, in the order of the files and their parts */
static size_t plan_pieces(struct rwindow *w, const struct hf_index *ix)
{
	size_t n = 0;

	w->pieces = hf_xcalloc(w->nparts + w->nfiles, sizeof(*w->pieces));
	for (size_t i = 0; i < w->nfiles; i++) {
		struct rfile *f = &w->files[i];
		const struct hf_node *nd = &f->it.node;
		uint64_t off = 0;
		size_t first = n;
		for (size_t k = 0; k < nd->nparts; k++) {
			const struct hf_part *p = &nd->parts[k];
			if (p->kind == HF_PART_DATA) {
				const struct hf_blob_loc *loc = hf_index_find(ix, p->id);
				w->pieces[n] = (struct rpiece){.f = f,
							       .part = (uint32_t)k,
							       .pack = loc ? loc->pack : NO_PACK,
							       .pack_off = loc ? loc->offset : 0,
							       .seq = (uint32_t)n,
							       .off = off};
				n++;
				f->end = off + p->len;
			}
			off += p->len;
		}
		if (n == first) /* no data: created and finished all the same */
			w->pieces[n++] = (struct rpiece){.f = f, .part = NO_PART, .pack = NO_PACK, .seq = (uint32_t)n};
		f->left = n - first;
	}
	return n;
}

/* the runs of pieces of one pack, in order of the window's first need of each */
static size_t plan_groups(const struct rpiece *pieces, size_t n, struct group **out)
{
	struct group *g = NULL;
	size_t ng = 0, cap = 0;

	for (size_t i = 0; i < n; i++) {
		if (ng == 0 || pieces[i].pack != g[ng - 1].pack) {
			if (ng == cap) {
				cap = cap ? 2 * cap : 64;
				g = hf_xreallocarray(g, cap, sizeof(*g));
			}
			g[ng++] = (struct group){.first = i, .seq = pieces[i].seq, .pack = pieces[i].pack};
		}
		g[ng - 1].n++;
		if (pieces[i].seq < g[ng - 1].seq)
			g[ng - 1].seq = pieces[i].seq;
	}
	if (ng > 1)
		qsort(g, ng, sizeof(*g), by_seq);
	*out = g;
	return ng;
}

int hf_restore_window_send(struct restore *rs, struct hf_fs_names *names)
{
	struct rwindow *w = rs->window;
	struct group *g;
	size_t n, ng;
	int r = 0;

	if (!w)
		return 0;
	rs->window = NULL;
	n = plan_pieces(w, hf_repo_index(rs->repo));
	qsort(w->pieces, n, sizeof(*w->pieces), by_pack);
	ng = plan_groups(w->pieces, n, &g);
	pthread_mutex_lock(&rs->windows_lock);
	while (rs->nwindows >= WINDOWS_QUEUED)
		pthread_cond_wait(&rs->window_done, &rs->windows_lock);
	rs->nwindows++;
	pthread_mutex_unlock(&rs->windows_lock);
	w->jobs = ng;
	for (size_t i = 0; i < ng; i++) {
		struct rpack_job *job = hf_xmalloc(sizeof(*job));
		*job = (struct rpack_job){.w = w, .first = g[i].first, .n = g[i].n};
		if (r == 0)
			r = hf_queue_push(rs->q, job);
		if (r < 0) {
			run_job(job, NULL, names);
			continue;
		}
		/* queued first: the walk may then wait for room ahead, which
		 * the workers make by reading */
		if (g[i].pack != NO_PACK)
			hf_pack_cache_ahead(rs->cache, g[i].pack);
	}
	free(g);
	return r;
}

int hf_restore_window_add(struct restore *rs, struct hf_fs_names *names, struct ritem *it)
{
	struct rwindow *w = rs->window;

	if (!w) {
		w = rs->window = hf_xcalloc(1, sizeof(*w));
		w->rs = rs;
		w->files = hf_xcalloc(WINDOW_FILES, sizeof(*w->files));
		for (size_t i = 0; i < WINDOW_LOCKS; i++)
			pthread_mutex_init(&w->locks[i], NULL);
	}
	if (w->nfiles == 0 || w->files[w->nfiles - 1].it.dir != it->dir)
		w->ndirs++;
	w->files[w->nfiles++].it = *it;
	w->nparts += it->node.nparts;
	if (w->nfiles == WINDOW_FILES || w->nparts >= WINDOW_PARTS || w->ndirs >= rs->window_dirs)
		return hf_restore_window_send(rs, names);
	return 0;
}
