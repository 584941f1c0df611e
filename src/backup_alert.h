/* backup_alert.h — what backup does after saving a snapshot: the engine's
 * judgement (hf_backup_judge: scan, verdict mark, pin of the last clean
 * snapshot), and the user's alert command when the verdict is not clean. */
#ifndef HF_BACKUP_ALERT_H
#define HF_BACKUP_ALERT_H

#include <stdio.h>

#include "engine/verdict.h"

/* runs the shell command cmd with what put writes on its standard input;
 * warns if it fails (never passes the passphrase on) */
void alert_command_run(const char *cmd, void (*put)(FILE *f, const void *arg), const void *arg);

/* hf_backup_judge with on_alert (may be NULL) as a shell command run with the
 * scan's JSON on stdin when the verdict is not clean. Returns 0 or an error
 * (the snapshot stays saved either way). */
int backup_alert_run(struct hf_repo *repo, const uint8_t id[HF_ID_LEN], struct hf_changes *changes,
		     const char *on_alert, struct hf_backup_verdict *out);

/* the same for a write-only client (hf_backup_judge_local: takes st->changes) */
int backup_alert_run_local(struct hf_repo *repo, const char *cache_dir, struct hf_backup_stats *st,
			   const char *on_alert, struct hf_backup_verdict *out);

/* the same for the trusted verifier (hf_verify_judge: first snapshots too) */
int verify_alert_run(struct hf_repo *repo, const uint8_t id[HF_ID_LEN], const char *on_alert,
		     struct hf_backup_verdict *out);

#endif
