/* engine.h — what holdfast does with a repository: backup and restore
 * pipelines, check, diff, ls, forget and prune.
 *
 * The engine never prints. Per-file problems go to the caller's report
 * callback (path + error) and are counted; the caller decides what to show.
 * Progress counters are plain atomics the caller may read from another
 * thread at any time. */
#ifndef HF_ENGINE_H
#define HF_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "repo/repo.h"
#include "repo/walk.h"
#include "util/path.h"

/* path: absolute path of the entry (may be NULL for repository objects);
 * what: a short description when err alone says too little (may be NULL). */
typedef void (*hf_report_fn)(void *arg, const char *path, const char *what, int err);

struct hf_progress {
	uint64_t files;       /* files done (atomic) */
	uint64_t bytes;       /* bytes done (atomic) */
	uint64_t total_bytes; /* expected total, 0 if unknown */
	uint64_t total_files;
};

/* ---- backup ---------------------------------------------------------------- */

struct hf_changes; /* scan/changes.h */

struct hf_backup_opts {
	char **paths;   /* absolute, normalised */
	size_t npaths;
	char **excludes; /* fnmatch patterns on base name and full path */
	size_t nexcludes;
	int one_file_system;
	int no_profiles; /* skip content profiles (detection): files get none */
	int collect_changes; /* with a parent: collect what changed for the scan after the
			      * backup (hf_backup_stats.changes, scan/scan.h) */
	const char *host, *user;
	int threads;     /* 0: one per CPU */
	hf_report_fn report;
	void *report_arg;
	struct hf_progress *progress; /* may be NULL */
};

struct hf_backup_stats {
	uint8_t snapshot[HF_ID_LEN];
	int has_parent;
	uint8_t parent[HF_ID_LEN];
	uint64_t files_new, files_changed, files_unchanged, dirs, others;
	uint64_t bytes_total;  /* size of all files in the snapshot */
	uint64_t bytes_read;   /* bytes read from disk */
	uint64_t bytes_added;  /* plaintext bytes of new blobs */
	uint64_t bytes_stored; /* bytes of pack files written */
	uint64_t errors;       /* entries that could not be read */
	uint64_t damaged_parent_trees; /* trees of the parent snapshot that could not be read
					* (damaged repository): their directories were read in full */
	struct hf_changes *changes; /* collect_changes: the caller's, for hf_scan_changes (which
				     * frees it) or hf_changes_free; NULL if none */
};

int hf_backup(struct hf_repo *r, const struct hf_backup_opts *o, struct hf_backup_stats *st);

/* ---- restore ---------------------------------------------------------------- */

/* A restore's own choice of entries, asked for every entry the includes let
 * through: 0 skips it (a directory with all it holds); non-zero restores it
 * (a directory is created with its metadata, and each entry in it is asked
 * in turn). */
typedef int (*hf_select_fn)(void *arg, const char *path, const struct hf_node *node);

struct hf_restore_opts {
	const char *target;
	char **includes; /* absolute paths as stored; NULL/0: everything */
	size_t nincludes;
	hf_select_fn select; /* may be NULL */
	void *select_arg;
	int threads;
	hf_report_fn report;
	void *report_arg;
	struct hf_progress *progress;
};

struct hf_restore_stats {
	uint64_t files, dirs, others, bytes, errors;
};

int hf_restore(struct hf_repo *r, const struct hf_snapshot *s, const struct hf_restore_opts *o,
	       struct hf_restore_stats *st);

/* ---- check ------------------------------------------------------------------------- */

struct hf_check_opts {
	int read_data;
	int threads;
	hf_report_fn report; /* every problem found; path = affected file when known */
	void *report_arg;
	struct hf_progress *progress;
};

struct hf_check_stats {
	uint64_t packs, blobs, snapshots, trees, errors;
	uint64_t unreferenced_packs; /* left by interrupted backups: not errors */
};

int hf_check(struct hf_repo *r, const struct hf_check_opts *o, struct hf_check_stats *st);

/* ---- forget and prune ---------------------------------------------------------------- */

struct hf_forget_policy {
	unsigned last, hourly, daily, weekly, monthly, yearly;
};

/* why a snapshot is kept: bits of keep[i] */
#define HF_KEEP_POLICY 1 /* a --keep-* rule */
#define HF_KEEP_PINNED 2 /* pinned (repo/mark.h) */
#define HF_KEEP_CLEAN 4  /* holds the newest clean version of some file (docs/DETECTION.md) */

/* Sets keep[i] to HF_KEEP_POLICY or 0 for each of the n snapshots (oldest
 * first), as the policy decides. Buckets use local time. */
void hf_forget_select(const struct hf_snapshot *snaps, size_t n, const struct hf_forget_policy *p, int *keep);
/* Adds to keep[] what must be kept whatever the policy says: pinned
 * snapshots (HF_KEEP_PINNED), and those restore --last-clean needs
 * (HF_KEEP_CLEAN). Reads every mark; -HF_E_CORRUPT if any mark
 * object cannot be read (one of them could be a pin: forget must not go on). */
int hf_forget_protect(struct hf_repo *r, const struct hf_snapshot *snaps, size_t n, int *keep);
/* After a successful prune: deletes the marks whose snapshot no longer
 * exists (listed before the snapshots, so a mark written after its snapshot
 * is never taken for an orphan). Damaged marks are left alone; nothing is
 * deleted if any snapshot cannot be read. *removed: marks deleted. */
int hf_forget_orphan_marks(struct hf_repo *r, size_t *removed);

struct hf_prune_stats {
	uint64_t packs_deleted, packs_rewritten, packs_protected, blobs_removed, bytes_freed;
	int raced; /* a snapshot appeared meanwhile: nothing deleted */
};

#define HF_PRUNE_GRACE_NS (3600ll * 1000000000) /* one hour */

struct hf_prune_opts {
	/* session fingerprints of the snapshots forget just removed: their
	 * packs belong to finished backups, not to backups still running */
	const uint8_t (*forgotten)[HF_HASH_LEN];
	size_t nforgotten;
	int64_t grace_ns; /* packs of unfinished sessions younger than this stay */
	hf_report_fn report;
	void *report_arg;
};

/* Deletes every blob no snapshot references: packs with nothing in use are
 * removed, packs partly in use are rewritten. Packs of sessions that have no
 * snapshot (a backup still running, or killed) are kept until they are older
 * than the grace period; if a snapshot appears while prune runs, nothing is
 * deleted (docs/DESIGN.md). */
int hf_prune(struct hf_repo *r, const struct hf_prune_opts *o, struct hf_prune_stats *st);

#endif
