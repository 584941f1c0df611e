/* watch_stop.h — how holdfast watch stops what its alert names: which
 * processes (the actor that crossed the threshold), a signal to each, and
 * the cgroup v2 freezer. A process stopped with SIGSTOP is resumed by
 * anyone allowed to send it SIGCONT; moved into a frozen cgroup of its own
 * it stays frozen until someone with root writes that cgroup.freeze. */
#ifndef HF_WATCH_STOP_H
#define HF_WATCH_STOP_H

#include <stddef.h>
#include <sys/types.h>

#include "watch/watch.h"

#define WATCH_FREEZE_DIR "holdfast-frozen" /* under the cgroup2 mount */

/* the processes to stop: one process, a process group, or a process and
 * every process it started or of a session it started (one of the three) */
struct watch_target {
	pid_t pid, pgid, parent;
};

/* what to stop for a hit: the process alone when it crossed by itself, the
 * starter of sessions and what it started for a parent, else the last
 * writer's group
 * (never the caller's own group or session: then the process alone).
 * 0, or -ESRCH if there is nothing that may be stopped. */
int watch_stop_target(const struct hf_watch_hit *h, struct watch_target *t);
/* sig to every process of t; the number signalled, or -errno if none */
int watch_stop_signal(const struct watch_target *t, int sig);
/* Moves every process of t into a new frozen cgroup,
 * WATCH_FREEZE_DIR/alert-ID-TIME under the cgroup2 mount, and puts that
 * cgroup's path into where. Returns the number of processes moved, or
 * -errno (-ENOENT: no cgroup2 mounted, -ESRCH: none left). */
int watch_stop_freeze(const struct watch_target *t, char *where, size_t cap);

#endif
