/* scan.h — ransomware detection between snapshots (docs/DETECTION.md).
 *
 * hf_scan compares a snapshot with an earlier one (normally its parent)
 * file by file, using the content profiles stored in tree entries (and the
 * repository's content where a profile is missing or must be confirmed),
 * and gives each new, modified, deleted or renamed file a verdict and
 * reasons, finds ransom notes, and aggregates a snapshot verdict. */
#ifndef HF_SCAN_H
#define HF_SCAN_H

#include "engine/engine.h"
#include "scan/changes.h"

/* per file; ordered by severity */
enum hf_file_verdict { HF_FILE_CLEAN = 0, HF_FILE_SUSPICIOUS = 1, HF_FILE_ENCRYPTED = 2 };
/* per snapshot; ordered by severity */
enum hf_snap_verdict { HF_SNAP_CLEAN = 0, HF_SNAP_SUSPICIOUS = 1, HF_SNAP_ATTACK = 2 };
enum hf_change { HF_CHANGE_NEW = 0, HF_CHANGE_MODIFIED = 1, HF_CHANGE_DELETED = 2, HF_CHANGE_RENAMED = 3 };

/* reasons: bits, named by hf_scan_reason_name ("type-changed", ...) */
#define HF_REASON_TYPE_CHANGED (1u << 0)   /* was a known type, now unrecognisable */
#define HF_REASON_INVALID (1u << 1)        /* was valid as its type, no longer decodes */
#define HF_REASON_RANDOM_BLOCKS (1u << 2)  /* share of random-looking blocks jumped */
#define HF_REASON_ENCODED_RANDOM (1u << 3) /* base64/hex text of random bytes */
#define HF_REASON_CONTAINER (1u << 4)      /* an encryption container (OpenPGP, age, 7z, ...) */
#define HF_REASON_ORIGINAL_DELETED (1u << 5) /* the file it replaces was deleted in the same snapshot */
#define HF_REASON_NEW_EXTENSION (1u << 6)  /* an extension the earlier snapshot never had */
#define HF_REASON_RANSOM_NOTE (1u << 7)    /* same new text in many directories, or ransom wording */
#define HF_REASON_RANDOM_CONTENT (1u << 8) /* new file of no known type that looks random throughout */
#define HF_REASON_LOW_OVERLAP (1u << 9)    /* shares almost no chunks with its previous version */
#define HF_REASON_ORIGINAL_KEPT (1u << 10) /* container whose plaintext original is still there */
#define HF_REASON_RANDOM_BYTES (1u << 11)  /* a file too small for block statistics took on
					    * the byte mix of ciphertext */
#define HF_REASON_WAVE_EXTENSION (1u << 12) /* took on the new extension of a wave of
					      * encrypted files, replacing its original */
#define HF_REASON_COMPRESSED_RANDOM (1u << 13) /* a compressed file that replaced its
						 * original decodes to random bytes */
#define HF_REASON_COUNT 14

struct hf_scan_file {
	char *path;       /* absolute, as stored */
	char *from;       /* HF_CHANGE_RENAMED: the path it replaced; else NULL */
	uint8_t change;   /* enum hf_change */
	uint8_t verdict;  /* enum hf_file_verdict */
	uint8_t note;     /* judged a ransom note */
	uint32_t reasons; /* HF_REASON_* */
	uint64_t size;    /* of the new version (deleted: of the old one) */
	uint8_t type;     /* enum hf_ctype of that version, HF_CT_UNKNOWN if not profiled */
};

struct hf_scan_summary {
	uint64_t files;      /* regular files in the snapshot */
	uint64_t added, modified, deleted, renamed;
	uint64_t encrypted, suspicious, notes;
	uint64_t usual_changes; /* changed files per backup in this history so far (0: unknown) */
};

struct hf_scan_result {
	uint8_t snapshot[HF_ID_LEN];
	int has_against;
	uint8_t against[HF_ID_LEN];
	int verdict; /* enum hf_snap_verdict */
	struct hf_scan_summary sum;
	struct hf_scan_file *files; /* every changed entry, sorted by path */
	size_t nfiles;
};

/* Scans s against `against` (NULL: s has no earlier snapshot; every file is
 * new and is judged on its content alone). Returns 0 or -errno / -HF_E_*. */
int hf_scan(struct hf_repo *r, const struct hf_snapshot *s, const struct hf_snapshot *against,
	    struct hf_scan_result *out);
/* hf_scan from what a backup collected (hf_backup_opts.collect_changes)
 * instead of a walk of both snapshots' trees: the same result, for the cost
 * of what changed. ch is used only if it describes the change from
 * against's tree to s's (else the snapshots are walked), and is freed either
 * way. NULL: hf_scan. */
int hf_scan_changes(struct hf_repo *r, const struct hf_snapshot *s, const struct hf_snapshot *against,
		    struct hf_changes *ch, struct hf_scan_result *out);
void hf_scan_result_release(struct hf_scan_result *res);

/* The snapshot a scan of s is compared with by default: s's parent if it
 * still exists, else the newest earlier snapshot of the same host and paths.
 * Returns 0 (out filled), -HF_E_NOTFOUND if there is none, or an error. */
int hf_scan_find_against(struct hf_repo *r, const struct hf_snapshot *s, struct hf_snapshot *out);
/* same host and same path list: one backup history ("chain") */
int hf_snapshot_same_chain(const struct hf_snapshot *a, const struct hf_snapshot *b);

/* ---- verdicts of file versions across a history (history.c) ----------------
 *
 * A version's verdict is the one the scan of the snapshot where it first
 * appeared gave it (that snapshot against its predecessor in the chain);
 * snapshots where it is unchanged inherit it. */

/* per-snapshot scans of one chain, each computed once, on first use; one
 * thread at a time */
struct hf_history;

/* snaps: one chain, oldest first (borrowed: must outlive h). Scan k compares
 * snaps[k] with snaps[k - 1] (k = 0: with nothing). */
struct hf_history *hf_history_new(struct hf_repo *r, const struct hf_snapshot *snaps, size_t n);
void hf_history_free(struct hf_history *h);
/* h takes ch (a backup's hf_backup_stats.changes) for the scan it describes */
void hf_history_give_changes(struct hf_history *h, struct hf_changes *ch);
int hf_history_scan(struct hf_history *h, size_t k, const struct hf_scan_result **out);

struct hf_version_verdict {
	size_t first;                    /* index of the snapshot where this version appeared */
	const struct hf_scan_file *file; /* its entry in that snapshot's scan */
	int snap_verdict;                /* that snapshot's verdict */
};
/* The verdict of the regular file at path in snaps[k]: file->verdict. Looks
 * at scans k, k - 1, ... until the one that lists the path as new, modified
 * or renamed. -HF_E_NOTFOUND if path is not a regular file in snaps[k]
 * (asking about paths taken from a walk of snaps[k] is cheapest: a path that
 * is absent may need every scan down to the first). */
int hf_history_verdict(struct hf_history *h, size_t k, const char *path, struct hf_version_verdict *out);

/* One row of hf_history: the file at the path in one snapshot. The row and
 * everything it points to are valid only during the callback. */
struct hf_history_row {
	const struct hf_snapshot *snapshot;
	const struct hf_snapshot *first; /* where this version first appeared */
	int unchanged;                   /* same content as in the chain's previous snapshot */
	uint64_t size;
	uint8_t type;                    /* enum hf_ctype */
	int change;                      /* enum hf_change, in `first` */
	int verdict;                     /* enum hf_file_verdict of this version */
	uint32_t reasons;
	int snap_verdict;                /* verdict of `first` */
	const char *from;                /* renamed in `first`: the earlier path */
};
typedef int (*hf_history_fn)(void *arg, const struct hf_history_row *row);
/* Every snapshot that holds a regular file at path (absolute, as stored),
 * oldest first, across every chain whose paths cover it. Only the snapshots
 * where the file's content changed are scanned. Returns 0, fn's non-zero
 * value, or an error. */
int hf_history(struct hf_repo *r, const char *path, hf_history_fn fn, void *arg);

/* ---- restore of the newest clean version of every file (lastclean.c) ---- */

typedef void (*hf_skip_fn)(void *arg, const char *path, const char *why);

struct hf_lastclean_opts {
	const struct hf_snapshot *snaps; /* one chain, oldest first; the last is the newest to use */
	size_t n;
	int strict;          /* also pass over versions flagged suspicious */
	hf_skip_fn skipped;  /* each file left out that the restore's includes cover, and why
			      * (may be NULL) */
	void *skipped_arg;
};

struct hf_lastclean_stats {
	uint64_t from_newest, from_older, skipped;
	uint64_t sources; /* snapshots restored from */
};

/* For every regular file of the newest snapshot, and every file a snapshot
 * the scan did not call clean deleted, restores the newest version not
 * flagged encrypted (with strict: nor suspicious); skips ransom notes and
 * files that never had such a version. Other entries come from the newest
 * snapshot. o->select must be NULL (the plan uses it). */
int hf_restore_last_clean(struct hf_repo *r, const struct hf_lastclean_opts *lo, const struct hf_restore_opts *o,
			  struct hf_restore_stats *st, struct hf_lastclean_stats *ls);
/* Shallow copies (pointers still owned by all) of the snapshots of
 * all[newest]'s chain up to and including it, oldest first (all is sorted
 * oldest first, as hf_snapshot_list gives it); chain needs room for n. */
size_t hf_chain_of(const struct hf_snapshot *all, size_t n, size_t newest, struct hf_snapshot *chain);
/* 1 if no file in s (= snaps[k] of h's chain) is a version flagged
 * encrypted or a ransom note, 0 if one is, or an error. */
int hf_history_unflagged(struct hf_repo *r, struct hf_history *h, const struct hf_snapshot *s, size_t k);
/* Sets needed[k] = 1 for each snapshot of the chain that restore
 * --last-clean (with or without --strict) would take a file from. */
int hf_last_clean_sources(struct hf_repo *r, const struct hf_snapshot *snaps, size_t n, uint8_t *needed);

const char *hf_scan_reason_name(uint32_t bit); /* one bit; "?" otherwise */
const char *hf_file_verdict_name(int v);       /* "clean", "suspicious", "encrypted" */
const char *hf_snap_verdict_name(int v);       /* "clean", "suspicious", "attack" */
const char *hf_change_name(int c);             /* "new", "modified", "deleted", "renamed" */

#endif
