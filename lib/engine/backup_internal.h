/* backup_internal.h — the backup pipeline's shared state.
 *
 * One scanner thread lists directories, reads metadata, and decides which
 * files are unchanged since the parent snapshot; every changed file becomes
 * a file job. Worker threads (one per core) take file jobs: they read and
 * chunk the file and, for each chunk, MAC, deduplicate, compress, encrypt and
 * pack it. A worker reading a large file hands chunks to idle workers as
 * chunk jobs, so one big file still uses every core; chunk jobs go first.
 * A directory's tree blob can be written only when every file and
 * subdirectory in it is done: each struct bdir counts what is pending, and
 * whichever thread brings the count to zero finalises it (and so on
 * upwards). Threads wait for each other only through the job queues. */
#ifndef HF_BACKUP_INTERNAL_H
#define HF_BACKUP_INTERNAL_H

#include <pthread.h>

#include "compress/compress.h"
#include "engine/engine.h"
#include "engine/backup_cache.h"
#include "engine/engine_internal.h"
#include "scan/scan.h"

#define HF_LIGHT_BLOCK_STRIDE 4 /* light profiles look at one block in four */
#define HF_LARGE_BLOCK_SAMPLE \
	4 /* full profiles of files past the read buffer: one block
				 * in four, picked by a key (docs/DETECTION.md) */

struct bdir {
	struct bdir *parent;
	size_t slot;                /* our node in parent->tree */
	struct hf_tree tree;        /* nodes fixed once scanned */
	uint8_t *torn;              /* per node: changed while read, resolve at finalize */
	struct hf_tree prev;        /* the parent snapshot's version of this dir */
	int has_prev;               /* prev was loaded (else the dir is new, or its old tree unreadable) */
	uint8_t prev_id[HF_ID_LEN]; /* prev's id, when has_prev */
	int pending;                /* atomic: jobs + subdirs + 1 while scanning */
	int fd;                     /* open while jobs may need it; -1 after */
	uint64_t dev;               /* device --one-file-system stays on */
	char *path;
};

enum job_kind { JOB_FILE, JOB_CHUNK };

struct job {
	int kind;
	struct bdir *dir;
	size_t slot;   /* JOB_FILE: the file's node */
	uint8_t *data; /* JOB_CHUNK: the chunk, owned by the job */
	size_t len;
	struct hf_part *part; /* JOB_CHUNK: where its id goes */
};

/* the two job queues; bounded, so memory stays flat */
struct work {
	pthread_mutex_t lock;
	pthread_cond_t more, room;
	struct job **files, **chunks;
	size_t fcap, fhead, fcount;
	size_t ccap, chead, ccount;
	int idle; /* workers waiting for a job */
	int closed;
};

/* per-thread tools */
struct bctx {
	struct backup *b;
	struct hf_zctx *z;
	struct hf_pack_writer *pack;
	struct hf_buf zbuf;
	struct hf_buf tbuf;
	struct hf_fs_names *names;
	struct hf_detect *detect; /* the backup's, shared (workers; NULL: no profiles) */
	uint8_t *rbuf;            /* read buffer (workers) */
	size_t rcap;
};

struct backup {
	struct hf_repo *repo;
	const struct hf_backup_opts *o;
	struct hf_backup_stats *st;
	struct hf_session *session;
	struct hf_index_builder *ib;
	struct work work;
	pthread_mutex_t seen_lock;
	struct hf_idmap *seen; /* blob ids stored in this session */
	int err;               /* first fatal error (atomic) */
	/* profiles with libmagic and validation, and every block looked at: in
	 * backups with a parent, where only new and changed files are read; a
	 * first backup reads everything and gets light profiles (docs/DETECTION.md) */
	int full_profiles;
	uint64_t block_key;       /* this backup's secret for sampling the blocks of large files */
	struct hf_detect *detect; /* shared by the workers; NULL with no_profiles or no libmagic */
	int have_root;
	uint8_t root[HF_ID_LEN];
	uint64_t files_total, dirs_total, bytes_total;
	struct bctx scanner; /* the scanner's own tools (tree blobs) */
	/* tree blobs go into packs of their own, shared by every thread: a
	 * restore from a remote store fetches them before any data (restore_packs.c) */
	pthread_mutex_t trees_lock;
	struct hf_pack_writer *trees;
	struct hf_blob_reader prev_reader; /* the scanner's: the parent snapshot's trees */
	struct hf_changes *changes;        /* collect_changes: what changed, for the scan after */
	/* beside a prune (docs/DESIGN.md, Retention): the packs condemned by the
	 * pending deletions seen at the start are never deduplicated against,
	 * and the packs the snapshot relies on are checked at the end */
	int64_t start_ns;            /* the store's clock when the pending deletions were read */
	struct hf_idmap *plans_seen; /* their object ids */
	size_t npacks;               /* index packs at the start: the size of the two arrays */
	uint8_t *condemned;          /* per index pack number */
	uint8_t *relied;             /* per index pack number (set by any thread) */
	struct bcache *cache;        /* write-only key with a cache_dir: the parent's trees, and the new ones */
};

/* a tree of the parent: from the cache if there is one, else the repository */
HF_MUST_USE int hf_backup_load_prev(struct backup *b, const uint8_t id[HF_ID_LEN], struct hf_tree *t);

/* per-thread tools, storing, finalising directories, reporting (backup_store.c) */
void hf_bctx_init(struct bctx *c, struct backup *b, int reader);
void hf_bctx_release(struct bctx *c);
/* 1 if the index has the blob in a pack not condemned by a pending deletion
 * (and notes that pack as relied on); 0 if it must be stored again */
int hf_backup_reuse(struct backup *b, const uint8_t id[HF_ID_LEN]);
/* stores one blob (dedup, compress, encrypt, pack) */
int hf_backup_store_blob(struct bctx *c, int type, const void *p, size_t n, uint8_t id[HF_ID_LEN]);
/* drops one pending reference of d; finalises d (and ancestors) at zero */
void hf_backup_release_dir(struct bctx *c, struct bdir *d);
void hf_backup_fail(struct backup *b, int err);
void hf_backup_report(struct backup *b, const char *path, const char *what, int err, int counts);
void hf_backup_progress(struct backup *b, uint64_t files, uint64_t bytes);
/* a tree of the parent snapshot could not be read: counted, reported, and
 * the change collection given up */
void hf_backup_parent_damaged(struct backup *b, const char *path, int err);

/* job queues (backup_queue.c) */
void hf_work_init(struct work *w, size_t files, size_t chunks);
void hf_work_release(struct work *w);
int hf_work_push_file(struct work *w, struct job *j);   /* blocks while full, until half empty */
int hf_work_offer_chunk(struct work *w, struct job *j); /* 1 if taken: a worker idles and there is room */
void hf_work_close(struct work *w);
/* chunk jobs first (a file is half done); NULL once closed and drained */
struct job *hf_work_pop(struct work *w);

/* a worker thread's loop (backup_worker.c): arg is its struct bctx */
void *hf_backup_worker(void *arg);

/* a worker reads one changed file (backup_file.c) */
void hf_backup_file(struct bctx *c, struct job *j);

/* the scanner (backup_walk.c) */
/* moves parent_root (NULL: no parent), the tree parent_id names */
int hf_backup_walk(struct backup *b, struct hf_tree *parent_root, const uint8_t *parent_id);

#endif
