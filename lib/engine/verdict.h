/* verdict.h — what happens after a backup (verdict.c): scan the new snapshot
 * against its predecessor, record the verdict, and on an attack pin the last
 * clean snapshot. The CLI, the server and the watcher all call this. */
#ifndef HF_ENGINE_VERDICT_H
#define HF_ENGINE_VERDICT_H

#include "scan/history.h"
#include "scan/lastclean.h"
#include "scan/scan.h"

struct hf_backup_verdict {
	int scanned; /* 0: a first snapshot, nothing to compare with */
	int verdict; /* enum hf_snap_verdict */
	uint64_t encrypted, suspicious, notes;
	int pinned; /* a snapshot was pinned because of this verdict */
	uint8_t pinned_id[HF_ID_LEN];
};

/* Scans the snapshot `id` just written, from the changes the backup
 * collected (taken; may be NULL), writes its verdict mark and, on an attack,
 * pins the last clean snapshot. on_alert (may be NULL) gets the scan's result
 * when the verdict is not clean. Returns 0 or an error (the snapshot stays
 * saved either way). */
int hf_backup_judge(struct hf_repo *repo, const uint8_t id[HF_ID_LEN], struct hf_changes *changes,
		    void (*on_alert)(void *arg, const struct hf_scan_result *res), void *arg,
		    struct hf_backup_verdict *out);

/* The trusted verifier's judgement of any snapshot (scan --follow): as
 * hf_backup_judge, and a first snapshot of its history is judged on its own
 * content too (a compromised client's first backup may already be
 * encrypted), so every snapshot it judges gets a verdict. */
int hf_verify_judge(struct hf_repo *repo, const uint8_t id[HF_ID_LEN],
		    void (*on_alert)(void *arg, const struct hf_scan_result *res), void *arg,
		    struct hf_backup_verdict *out);

struct hf_backup_stats; /* engine.h */

/* The scan after a write-only client's backup (it cannot read the
 * repository): the snapshot st->snapshot against its parent, from the
 * changes the backup collected (st->changes, taken), the trees of both
 * from the local cache in cache_dir (the backup just committed it) and the
 * content from the files on this machine (scan.h, hf_scan_local). Writes
 * the verdict mark (unsigned: a verdict of the full key's holder beats it)
 * and, on an attack, pins the parent. A first snapshot is not scanned
 * (out->scanned 0); -HF_E_NOTFOUND if the cache does not hold the two. */
int hf_backup_judge_local(struct hf_repo *repo, const char *cache_dir, struct hf_backup_stats *st,
			  void (*on_alert)(void *arg, const struct hf_scan_result *res), void *arg,
			  struct hf_backup_verdict *out);

#endif
