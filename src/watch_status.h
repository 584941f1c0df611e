/* watch_status.h — what a running holdfast watch tells about itself, and
 * `holdfast watch --status`. The watcher rewrites two files in its state
 * directory (default /run/holdfast) every few seconds and after each alert,
 * each atomically (a temporary file renamed over it): watch.json (for
 * programs) and watch.txt (for people). --status checks that the process
 * that wrote them is alive and wrote them recently, then prints one. */
#ifndef HF_WATCH_STATUS_H
#define HF_WATCH_STATUS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "watch/watch.h"

#define WATCH_STATE_DIR "/run/holdfast"
#define WATCH_STATUS_EVERY_S 5 /* how often the files are rewritten */
#define WATCH_STATUS_ALERTS 20 /* the most recent alerts kept */

/* one alert, as the status shows it */
struct watch_status_alert {
	int64_t time_ns;
	char actor[32]; /* "pgid 1234" */
	pid_t pid;      /* its last process */
	char exe[256];
	char action[16]; /* "freeze", "kill", "alert", "dry-run" */
	char done[80];   /* "process group stopped, frozen", "left running" */
	unsigned encrypted, candidates, originals_gone, notes;
	char snapshot[17]; /* the immediate backup's id prefix, "" if none */
	char verdict[16];
};

struct watch_status {
	const char *dir;
	char **paths;
	size_t npaths;
	const char *action;
	int dry_run;
	int64_t started_ns;
	struct watch_status_alert alerts[WATCH_STATUS_ALERTS]; /* a ring */
	size_t nalerts, next;
	unsigned long total; /* alerts since the start */
};

void watch_status_add_alert(struct watch_status *s, const struct watch_status_alert *a);
/* rewrites watch.json and watch.txt; 0 or -errno (the caller warns once) */
int watch_status_write(const struct watch_status *s, const struct hf_watch_stats *st);
/* when the watcher that last wrote the status in dir was last alive (the
 * status file's mtime), 0 if none ever did */
int64_t watch_status_last_seen(const char *dir);
/* `watch --status`: prints the running watcher's status (json: watch.json);
 * HF_EXIT_OK if one runs, HF_EXIT_ERROR (and says why) if none does */
int watch_status_show(const char *dir, int json);

#endif
