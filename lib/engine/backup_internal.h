/* backup_internal.h — the backup pipeline's shared state.
 *
 * One walker thread scans directories, reads and chunks files and pushes
 * chunk jobs into a bounded queue; worker threads MAC, deduplicate, compress,
 * encrypt and pack them. A directory's tree blob can be written only when
 * every chunk of its files and every subdirectory is done: each struct bdir
 * counts what is pending, and whichever thread brings the count to zero
 * finalises it (and so on upwards). No thread ever waits for another except
 * through the queue. */
#ifndef HF_BACKUP_INTERNAL_H
#define HF_BACKUP_INTERNAL_H

#include <pthread.h>

#include "compress/compress.h"
#include "engine/engine.h"
#include "util/queue.h"

struct bdir {
	struct bdir *parent;
	size_t slot;           /* our node in parent->tree */
	struct hf_tree tree;   /* nodes fixed once scanned */
	uint8_t *torn;         /* per node: changed while read, resolve at finalize */
	struct hf_tree prev;   /* the parent snapshot's version of this dir */
	int pending;           /* atomic: jobs + subdirs + 1 while scanning */
	uint64_t dev;          /* device --one-file-system stays on */
	char *path;
};

struct chunk_job {
	uint8_t *data;
	size_t len;
	struct bdir *dir;
	struct hf_part *part;
};

/* per-thread tools for storing blobs */
struct bctx {
	struct backup *b;
	struct hf_zctx *z;
	struct hf_pack_writer pack;
	struct hf_buf zbuf;
	struct hf_buf tbuf;
};

struct backup {
	struct hf_repo *repo;
	const struct hf_backup_opts *o;
	struct hf_backup_stats *st;
	struct hf_session *session;
	struct hf_index_builder ib;
	struct hf_queue *q;
	pthread_mutex_t seen_lock;
	struct hf_idmap *seen; /* blob ids stored in this session */
	struct hf_fs_names *names;
	int err;               /* first fatal error (atomic) */
	int have_root;
	uint8_t root[HF_ID_LEN];
	uint64_t files_total, dirs_total, bytes_total;
	struct bctx walker;    /* the walker's own storing tools */
	uint8_t *rbuf;         /* walker read buffer */
	size_t rcap;
};

void hf_bctx_init(struct bctx *c, struct backup *b);
void hf_bctx_release(struct bctx *c);
/* stores one blob (dedup, compress, encrypt, pack) */
int hf_backup_store_blob(struct bctx *c, int type, const void *p, size_t n, uint8_t id[HF_ID_LEN]);
/* drops one pending reference of d; finalises d (and ancestors) at zero */
void hf_backup_release_dir(struct bctx *c, struct bdir *d);
void *hf_backup_worker(void *arg);
void hf_backup_fail(struct backup *b, int err);

/* walker */
int hf_backup_walk(struct backup *b, struct hf_tree *parent_root); /* moves parent_root */

#endif
