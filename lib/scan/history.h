/* history.h — verdicts of file versions across a history (history.c).
 *
 * A version's verdict is the one the scan of the snapshot where it first
 * appeared gave it (that snapshot against its predecessor in the chain);
 * snapshots where it is unchanged inherit it. */
#ifndef HF_SCAN_HISTORY_H
#define HF_SCAN_HISTORY_H

#include "scan/scan.h"

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
	struct hf_scan_file entry;       /* where file points for a version of the first
					  * snapshot (kept compactly, history.c); its path is NULL */
};
/* The verdict of the regular file at path in snaps[k]: file->verdict. Looks
 * at scans k, k - 1, ... until the one that lists the path as new, modified
 * or renamed. -HF_E_NOTFOUND if path is not a regular file in snaps[k]
 * (asking about paths taken from a walk of snaps[k] is cheapest: a path that
 * is absent may need every scan down to the first). */
int hf_history_verdict(struct hf_history *h, size_t k, const char *path, struct hf_version_verdict *out);
/* path's entry in a scan of the history (its files are sorted by path), or
 * NULL if that scan does not list it */
const struct hf_scan_file *hf_history_find(const struct hf_scan_result *res, const char *path);

/* One row of hf_history: the file at the path in one snapshot. The row and
 * everything it points to are valid only during the callback. */
struct hf_history_row {
	const struct hf_snapshot *snapshot;
	const struct hf_snapshot *first; /* where this version first appeared */
	int unchanged;                   /* same content as in the chain's previous snapshot */
	uint64_t size;
	uint8_t type; /* enum hf_ctype */
	int change;   /* enum hf_change, in `first` */
	int verdict;  /* enum hf_file_verdict of this version */
	uint32_t reasons;
	int snap_verdict; /* verdict of `first` */
	const char *from; /* renamed in `first`: the earlier path */
};
typedef int (*hf_history_fn)(void *arg, const struct hf_history_row *row);
/* Every snapshot that holds a regular file at path (absolute, as stored),
 * oldest first, across every chain whose paths cover it. Only the snapshots
 * where the file's content changed are scanned. Returns 0, fn's non-zero
 * value, or an error. */
int hf_history(struct hf_repo *r, const char *path, hf_history_fn fn, void *arg);

#endif
