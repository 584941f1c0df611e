/* watch_freeze.h — holdfast watch's freeze through the cgroup v2 freezer:
 * a process group stopped with SIGSTOP is resumed by anyone allowed to
 * send it SIGCONT; moved into a frozen cgroup of its own it stays frozen
 * until someone with root writes that cgroup's cgroup.freeze. */
#ifndef HF_WATCH_FREEZE_H
#define HF_WATCH_FREEZE_H

#include <stddef.h>
#include <sys/types.h>

#define WATCH_FREEZE_DIR "holdfast-frozen" /* under the cgroup2 mount */

/* Moves every process of process group pgid (and pid, if it left the
 * group) into a new frozen cgroup, WATCH_FREEZE_DIR/alert-PGID-TIME under
 * the cgroup2 mount, and puts that cgroup's path into where. Returns the
 * number of processes moved, or -errno (-ENOENT: no cgroup2 mounted). */
int watch_freeze_group(pid_t pgid, pid_t pid, char *where, size_t cap);

#endif
