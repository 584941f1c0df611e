/* backup_alert.h — what backup does after saving a snapshot: scan it
 * against its predecessor, record the verdict, and on an attack pin the
 * last clean snapshot and run the user's alert command. */
#ifndef HF_BACKUP_ALERT_H
#define HF_BACKUP_ALERT_H

#include "scan/lastclean.h"

struct backup_alert {
	int scanned;         /* 0: a first snapshot, nothing to compare with */
	int verdict;         /* enum hf_snap_verdict */
	uint64_t encrypted, suspicious, notes;
	int pinned;          /* a snapshot was pinned because of this verdict */
	uint8_t pinned_id[HF_ID_LEN];
};

/* Scans the snapshot `id` just written, from the changes the backup
 * collected (taken; may be NULL). on_alert (may be NULL) is a shell command
 * run with the scan's JSON on stdin when the verdict is not clean. Returns 0
 * or an error (the snapshot stays saved either way). */
int backup_alert_run(struct hf_repo *repo, const uint8_t id[HF_ID_LEN], struct hf_changes *changes,
		     const char *on_alert, struct backup_alert *out);

#endif
