/* restore_internal.h — the restore pipeline's shared state.
 *
 * restore.c walks the snapshot and makes directories and special nodes;
 * regular files go to worker threads in one of two orders. From a local
 * store, in tree order, a batch of files per job (restore_files.c): every
 * read is a pread. From a remote store, where every read is a request,
 * pack by pack (restore_packs.c): the files of a window are written
 * wherever their parts' packs say, so each pack is fetched once. */
#ifndef HF_RESTORE_INTERNAL_H
#define HF_RESTORE_INTERNAL_H

#include <pthread.h>
#include <sys/types.h>

#include "engine/engine_internal.h"
#include "util/buf.h"
#include "util/queue.h"

struct rdir {
	struct rdir *parent;
	char *name;
	int fd;
	struct hf_meta meta;
	int pending; /* atomic */
	int held;    /* kept open to the end: holds the first name of a hard-link group */
};

/* a regular file to restore */
struct ritem {
	struct rdir *dir;
	struct hf_node node;
	char *path;
	int made; /* the first name of a hard-link group, created already as (dev, ino) */
	dev_t dev;
	ino_t ino;
};

struct rjob;    /* restore_files.c: a batch of files */
struct rwindow; /* restore_packs.c: files restored pack by pack */

struct restore {
	struct hf_repo *repo;
	const struct hf_restore_opts *o;
	struct hf_restore_stats *st;
	struct hf_queue *q;
	struct hf_pack_cache *cache; /* a remote store's whole packs, or NULL */
	int by_pack;                 /* files go pack by pack (restore_packs.c) */
	struct rjob *batch;          /* being filled by the main thread */
	struct rwindow *window;      /* the same, from a remote store */
	size_t window_dirs;          /* directories a window reaches at most */
	/* windows queued and not yet written: at most WINDOWS_QUEUED */
	pthread_mutex_t windows_lock;
	pthread_cond_t window_done;
	size_t nwindows;
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

/* ---- restore_files.c: what both orders share, and the tree order ----------------- */

void hf_restore_report(struct restore *rs, const char *path, const char *what, int err);
/* one entry of d is done; the last one sets d's metadata, and so on up */
void hf_restore_release_dir(struct restore *rs, struct hf_fs_names *names, struct rdir *d);
HF_MUST_USE int hf_restore_write_at(int fd, const uint8_t *p, size_t n, uint64_t off);
/* creates dirfd/name as a new empty file, removing what is there (never
 * opening it): a descriptor or -errno */
HF_MUST_USE int hf_restore_create(int dirfd, const char *name, mode_t mode);
/* creates the file of it with its permission bits and `also`; or, once it is
 * made (it->made), opens it again, if it is still the inode made then (a
 * descriptor, -errno or -HF_E_CHANGED) */
HF_MUST_USE int hf_restore_open_file(const struct ritem *it, mode_t also);
/* sets the size (a trailing hole) and the metadata of a written file; reports what fails */
int hf_restore_finish_fd(struct rworker *w, const struct ritem *it, int fd, uint64_t end);
void hf_restore_count_file(struct restore *rs);
void hf_restore_count_bytes(struct restore *rs, uint64_t n);

/* takes *it (moved) into the batch being filled, which goes to the workers when full */
HF_MUST_USE int hf_restore_batch_add(struct restore *rs, struct hf_fs_names *names, struct ritem *it);
HF_MUST_USE int hf_restore_batch_send(struct restore *rs, struct hf_fs_names *names);
void *hf_restore_batch_worker(void *arg);

/* ---- restore_packs.c: pack by pack ------------------------------------------------- */

void hf_restore_windows_init(struct restore *rs);
void hf_restore_windows_release(struct restore *rs);
HF_MUST_USE int hf_restore_window_add(struct restore *rs, struct hf_fs_names *names, struct ritem *it);
HF_MUST_USE int hf_restore_window_send(struct restore *rs, struct hf_fs_names *names);
void *hf_restore_pack_worker(void *arg);

#endif
