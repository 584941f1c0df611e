/* watch_alert.h — what holdfast watch does when an actor crosses the
 * threshold: its processes stopped (and frozen) or killed, or only
 * reported; an immediate backup of the watched paths with its scan verdict,
 * the snapshot before the alert pinned, the alert recorded in the repository
 * (an alert mark: docs/FORMAT.md, "Alert records"; the write-only key will
 * do), and one JSON document to stdout, --json-log and --on-alert. */
#ifndef HF_CLI_WATCH_ALERT_H
#define HF_CLI_WATCH_ALERT_H

#include <stddef.h>

#include "repo/repo.h"
#include "watch/watch.h"
#include "watch_status.h"

enum { WATCH_ACT_FREEZE, WATCH_ACT_KILL, WATCH_ACT_ALERT };
extern const char *const watch_action_names[3]; /* "freeze", "kill", "alert" */

struct watch_alert_conf {
	char **paths; /* the watched paths (backed up at an alert) */
	size_t np;
	int action; /* WATCH_ACT_* */
	int dry_run;
	const char *on_alert, *json_log; /* NULL: none */
};

/* acts on the hit h: the stop, the backup, the record, the document, the
 * status (one alert more in status) */
void watch_alert_act(struct hf_repo *repo, const struct watch_alert_conf *a, const struct hf_watch_hit *h,
		     struct hf_watch *w, struct watch_status *status);
/* files changed while no watcher ran (st: the start's stats): says how
 * many, and if some look like ciphertext or notes backs up now (its scan
 * judges them against the last snapshot and pins the last clean one) */
void watch_alert_unwatched(struct hf_repo *repo, const struct watch_alert_conf *a, const struct hf_watch_stats *st);

#endif
