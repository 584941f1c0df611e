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

#include "util/err.h"

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
	char **paths; /* absolute, normalised */
	size_t npaths;
	char **excludes; /* fnmatch patterns on base name and full path */
	size_t nexcludes;
	int one_file_system;
	int no_profiles;     /* skip content profiles (detection): files get none */
	int collect_changes; /* with a parent: collect what changed for the scan after the
			      * backup (hf_backup_stats.changes, scan/scan.h) */
	const char *host, *user;
	int64_t time_ns; /* the snapshot's time; 0: now */
	int threads;     /* 0: one per CPU */
	hf_report_fn report;
	void *report_arg;
	struct hf_progress *progress; /* may be NULL */
	/* with a write-only key: the directory of the local cache of the last
	 * snapshot's trees (backup_cache.c), its parent for the next backup;
	 * NULL: none (every file is read) */
	const char *cache_dir;
};

struct hf_backup_stats {
	uint8_t snapshot[HF_ID_LEN];
	int has_parent;
	uint8_t parent[HF_ID_LEN];
	uint64_t files_new, files_changed, files_unchanged, dirs, others;
	uint64_t bytes_total;          /* size of all files in the snapshot */
	uint64_t bytes_read;           /* bytes read from disk */
	uint64_t bytes_added;          /* plaintext bytes of new blobs */
	uint64_t bytes_stored;         /* bytes of pack files written */
	uint64_t errors;               /* entries that could not be read */
	uint64_t damaged_parent_trees; /* trees of the parent snapshot that could not be read
					* (damaged repository): their directories were read in full */
	struct hf_changes *changes;    /* collect_changes: the caller's, for hf_scan_changes (which
				     * frees it) or hf_changes_free; NULL if none */
};

HF_MUST_USE int hf_backup(struct hf_repo *r, const struct hf_backup_opts *o, struct hf_backup_stats *st);

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
	/* files in tree order even from a remote store, as for a repository
	 * whose packs mix trees and data (restore_packs.c) */
	int tree_order;
	hf_report_fn report;
	void *report_arg;
	struct hf_progress *progress;
};

struct hf_restore_stats {
	uint64_t files, dirs, others, bytes, errors;
};

HF_MUST_USE int hf_restore(struct hf_repo *r, const struct hf_snapshot *s, const struct hf_restore_opts *o,
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

HF_MUST_USE int hf_check(struct hf_repo *r, const struct hf_check_opts *o, struct hf_check_stats *st);

/* ---- pins ------------------------------------------------------------------------------ */

struct hf_pin_result {
	int written;      /* 0: the snapshot was in that state already */
	size_t bad_marks; /* marks that could not be read (the state may be wrong) */
};
/* Pins (kind HF_MARK_PIN) or unpins (HF_MARK_UNPIN) a snapshot with a new
 * mark, unless it is in that state already; the mark is dated now_ns or just
 * after the snapshot's latest pin or unpin. -HF_E_LIMIT: an unpin cannot
 * come after a pin dated at the end of time. */
HF_MUST_USE int hf_pin_set(struct hf_repo *r, const uint8_t snapshot[HF_ID_LEN], int kind, const char *reason,
			   int64_t now_ns, struct hf_pin_result *res);

/* ---- Object Lock (lock.c) ------------------------------------------------------------ */

struct hf_lock_opts {
	int status; /* only read the locks (lock status): nothing is extended */
	/* extend what is locked for less than this many seconds more; 0: half
	 * the repository's lock period */
	int64_t refresh_s;
	void (*report)(void *arg, const char *what, int err);
	void *report_arg;
};
struct hf_lock_stats {
	uint64_t objects;   /* objects in use (config, keys, kept snapshots, their marks, index, plans, packs) */
	uint64_t packs;     /* of which packs */
	uint64_t extended;  /* locks moved on */
	uint64_t failed;    /* objects whose lock could not be read or extended */
	int64_t until_s;    /* the date they were moved to (store clock, s since 1970) */
	uint64_t unlocked;  /* status: objects in use no longer locked */
	uint64_t due;       /* status: locked for less than the refresh window */
	int64_t earliest_s; /* status: the earliest lock end among those still locked */
};
/* Keeps what the repository still needs locked (lock.c): every object in
 * use whose lock ends within the refresh window is extended to the lock
 * period from now, by the store's clock; with o->status only counts. Needs
 * the full key. -HF_E_USAGE if the repository has no Object Lock, and
 * -HF_E_UNAVAILABLE after a full pass if some locks could not be extended
 * (each reported). */
HF_MUST_USE int hf_lock_extend(struct hf_repo *r, const struct hf_lock_opts *o, struct hf_lock_stats *st);

/* ---- deleting, forget and prune ------------------------------------------------------- */

/* Deletes one stored object: 0 if deleted, HF_DELETE_KEPT if the store
 * refused or holds it locked (it stays: a state, not an error),
 * HF_DELETE_ABSENT if it was not there, < 0 on an error. */
#define HF_DELETE_KEPT 1
#define HF_DELETE_ABSENT 2
HF_MUST_USE int hf_delete(struct hf_repo *r, int kind, const char *name);

struct hf_forget_policy {
	unsigned last, hourly, daily, weekly, monthly, yearly;
};

/* why a snapshot is kept: bits of keep[i] */
#define HF_KEEP_POLICY 1 /* a --keep-* rule */
#define HF_KEEP_PINNED 2 /* pinned (repo/mark.h) */
#define HF_KEEP_CLEAN 4  /* holds the newest clean version of some file (docs/DETECTION.md) */

/* Sets keep[i] to HF_KEEP_POLICY or 0 for each of the n snapshots (oldest
 * first, as hf_snapshot_list gives them), as the policy decides: buckets of
 * local time on hf_snapshot_when, the rules applied to each sender apart,
 * and in a bucket the newest snapshot with doubtful[i] 0 if there is one
 * (doubtful may be NULL: none is). */
void hf_forget_select(const struct hf_snapshot *snaps, size_t n, const struct hf_forget_policy *p,
		      const unsigned char *doubtful, int *keep);
/* Adds to keep[] what must be kept whatever the policy says: pinned
 * snapshots (HF_KEEP_PINNED), and those restore --last-clean needs
 * (HF_KEEP_CLEAN). Reads every mark; -HF_E_CORRUPT if any mark
 * object cannot be read (one of them could be a pin: forget must not go on). */
HF_MUST_USE int hf_forget_protect(struct hf_repo *r, const struct hf_snapshot *snaps, size_t n, int *keep);
/* What forget decided and did; hf_forget_result_release frees it. */
struct hf_forget_result {
	struct hf_snapshot *snaps; /* every snapshot, oldest first */
	size_t n;
	int *keep;          /* per snapshot: HF_KEEP_* bits, or 0 for removed */
	int *kept_by_store; /* per snapshot: locked in the store; removed all the same (named gone in a plan) */
	uint8_t (*forgotten)[HF_HASH_LEN]; /* session fingerprints of the removed ones */
	size_t nremoved;
};
/* Applies the policy and the protections (hf_forget_select,
 * hf_forget_protect) and, unless dry, deletes the snapshots nothing keeps.
 * Nothing is deleted if any snapshot or mark cannot be read
 * (-HF_E_CORRUPT). On a failed deletion the result holds what was done. */
HF_MUST_USE int hf_forget(struct hf_repo *r, const struct hf_forget_policy *p, int dry, struct hf_forget_result *out);
void hf_forget_result_release(struct hf_forget_result *res);
/* After a successful prune: deletes the marks of snapshots that forget
 * removed (marks are listed before the snapshots, so a mark written after
 * its snapshot is never taken for an orphan), and the forget records that
 * nothing needs any more: their snapshot is gone, no snapshot names it as
 * its parent, no other mark names it, and they are older than
 * HF_FORGET_RECORD_KEEP_NS. A mark whose snapshot is gone without a forget
 * record stays, for check to report. Damaged marks are left alone; nothing
 * is deleted if any snapshot cannot be read. *removed: marks deleted. */
#define HF_FORGET_RECORD_KEEP_NS (7 * 86400 * 1000000000LL)
HF_MUST_USE int hf_forget_orphan_marks(struct hf_repo *r, size_t *removed);

struct hf_prune_stats {
	uint64_t packs_deleted, bytes_freed, blobs_removed; /* now, from plans that came due */
	uint64_t packs_rescued;                             /* due, but a snapshot written since uses them: kept */
	uint64_t packs_planned, bytes_planned;              /* to be deleted by a prune from next_due_ns on */
	uint64_t packs_rewritten;                           /* their used blobs copied into new packs */
	uint64_t packs_protected;                           /* of backups without a snapshot yet (running or killed) */
	uint64_t plans_damaged;                             /* pending-deletion objects that failed to load: ignored */
	uint64_t objects_kept;                              /* deletions the store refused or a lock held off */
	uint64_t temp_files, temp_bytes;                    /* left by writes killed more than an hour ago: removed */
	int64_t next_due_ns; /* store time the earliest pending plan comes due; 0: none */
};

#define HF_PRUNE_GRACE_NS (3600ll * 1000000000)      /* one hour */
#define HF_PRUNE_UNFINISHED_NS (3600ll * 1000000000) /* one hour */

struct hf_prune_opts {
	/* session fingerprints of the snapshots forget just removed: their
	 * packs belong to finished backups, not to backups still running */
	const uint8_t (*forgotten)[HF_HASH_LEN];
	size_t nforgotten;
	/* between planning a deletion and carrying it out, by the store's clock.
	 * 0: the plan is carried out at once, by a second pass over the
	 * snapshots (still safe beside backups: they check, docs/DESIGN.md) */
	int64_t grace_ns;
	/* packs of sessions without a snapshot (a backup still running) younger
	 * than this are not even planned (HF_PRUNE_UNFINISHED_NS) */
	int64_t unfinished_ns;
	hf_report_fn report;
	void *report_arg;
};

/* Deletes, in two phases, every blob no snapshot references
 * (lib/engine/prune.c has the steps): carries out the pending deletions that
 * came due, rescuing what a snapshot written since uses, and plans the next
 * one (packs with nothing in use, and packs partly in use after their used
 * blobs are copied into new packs). */
HF_MUST_USE int hf_prune(struct hf_repo *r, const struct hf_prune_opts *o, struct hf_prune_stats *st);

#endif
