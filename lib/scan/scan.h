/* scan.h — ransomware detection between snapshots (docs/DETECTION.md).
 *
 * hf_scan compares a snapshot with an earlier one (normally its parent)
 * file by file, using the content profiles stored in tree entries (and the
 * repository's content where a profile is missing or must be confirmed),
 * and gives each new, modified, deleted or renamed file a verdict and
 * reasons, finds ransom notes, and aggregates a snapshot verdict.
 * Verdicts across a history of snapshots: history.h; what restore
 * --last-clean takes from where: lastclean.h. */
#ifndef HF_SCAN_H
#define HF_SCAN_H

#include "repo/repo.h"
#include "scan/changes.h"

/* per file; ordered by severity */
enum hf_file_verdict { HF_FILE_CLEAN = 0, HF_FILE_SUSPICIOUS = 1, HF_FILE_ENCRYPTED = 2 };
/* per snapshot; ordered by severity */
enum hf_snap_verdict { HF_SNAP_CLEAN = 0, HF_SNAP_SUSPICIOUS = 1, HF_SNAP_ATTACK = 2 };
enum hf_change { HF_CHANGE_NEW = 0, HF_CHANGE_MODIFIED = 1, HF_CHANGE_DELETED = 2, HF_CHANGE_RENAMED = 3 };

/* reasons: bits, named by hf_scan_reason_name ("type-changed", ...) */
#define HF_REASON_TYPE_CHANGED (1u << 0)     /* was a known type, now unrecognisable */
#define HF_REASON_INVALID (1u << 1)          /* was valid as its type, no longer decodes */
#define HF_REASON_RANDOM_BLOCKS (1u << 2)    /* share of random-looking blocks jumped */
#define HF_REASON_ENCODED_RANDOM (1u << 3)   /* base64/hex text of random bytes */
#define HF_REASON_CONTAINER (1u << 4)        /* an encryption container (OpenPGP, age, 7z, ...) */
#define HF_REASON_ORIGINAL_DELETED (1u << 5) /* the file it replaces was deleted in the same snapshot */
#define HF_REASON_NEW_EXTENSION (1u << 6)    /* an extension the earlier snapshot never had */
#define HF_REASON_RANSOM_NOTE (1u << 7)      /* same new text in many directories, or ransom wording */
#define HF_REASON_RANDOM_CONTENT (1u << 8)   /* new file of no known type that looks random throughout */
#define HF_REASON_LOW_OVERLAP (1u << 9)      /* shares almost no chunks with its previous version */
#define HF_REASON_ORIGINAL_KEPT (1u << 10)   /* container whose plaintext original is still there */
#define HF_REASON_RANDOM_BYTES \
	(1u << 11) /* a file too small for block statistics took on
					    * the byte mix of ciphertext */
#define HF_REASON_WAVE_EXTENSION \
	(1u << 12) /* took on the new extension of a wave of
					      * encrypted files, replacing its original */
#define HF_REASON_COMPRESSED_RANDOM \
	(1u << 13) /* a compressed file that replaced its
						 * original decodes to random bytes */
#define HF_REASON_GARBLED_TEXT \
	(1u << 14) /* a text file that has stretches of random bytes
					    * now, and had none before */
#define HF_REASON_COUNT 15

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
	uint64_t files; /* regular files in the snapshot */
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
	char *paths; /* not NULL: every path and from is in this one allocation */
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

/* Where hf_scan_local reads trees (a write-only client's local cache). */
struct hf_tree_source {
	int (*load)(void *ctx, const uint8_t id[HF_ID_LEN], struct hf_tree *out);
	void *ctx;
};
/* hf_scan_changes for a client that cannot read the repository (a
 * write-only key), after its backup: s against `against` (both needed;
 * their ids, trees, files count and parent are what is used), from ch,
 * trees through `trees` where ch does not hold everything, file content
 * from the files on this machine (hf_scan_source_files: each part checked
 * against its id; the rules that would read an earlier version, or a file
 * that changed since, go without it). The history's usual churn is
 * unknown here (usual_changes 0). */
int hf_scan_local(struct hf_repo *r, const struct hf_snapshot *s, const struct hf_snapshot *against,
		  struct hf_changes *ch, const struct hf_tree_source *trees, struct hf_scan_result *out);

/* The snapshot a scan of s is compared with by default: s's parent if it
 * still exists, else the newest earlier snapshot of the same host and paths.
 * Returns 0 (out filled), -HF_E_NOTFOUND if there is none, or an error. */
int hf_scan_find_against(struct hf_repo *r, const struct hf_snapshot *s, struct hf_snapshot *out);
/* same host and same path list: one backup history ("chain") */
int hf_snapshot_same_chain(const struct hf_snapshot *a, const struct hf_snapshot *b);

const char *hf_scan_reason_name(uint32_t bit); /* one bit; "?" otherwise */
const char *hf_file_verdict_name(int v);       /* "clean", "suspicious", "encrypted" */
const char *hf_snap_verdict_name(int v);       /* "clean", "suspicious", "attack" */
const char *hf_change_name(int c);             /* "new", "modified", "deleted", "renamed" */

#endif
