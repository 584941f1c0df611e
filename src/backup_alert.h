/* backup_alert.h — what backup does after saving a snapshot: the engine's
 * judgement (hf_backup_judge: scan, verdict mark, pin of the last clean
 * snapshot), and the user's alert command when the verdict is not clean. */
#ifndef HF_BACKUP_ALERT_H
#define HF_BACKUP_ALERT_H

#include "engine/verdict.h"

/* hf_backup_judge with on_alert (may be NULL) as a shell command run with the
 * scan's JSON on stdin when the verdict is not clean. Returns 0 or an error
 * (the snapshot stays saved either way). */
int backup_alert_run(struct hf_repo *repo, const uint8_t id[HF_ID_LEN], struct hf_changes *changes,
		     const char *on_alert, struct hf_backup_verdict *out);

#endif
