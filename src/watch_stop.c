/* watch_stop.c — stopping what a watch alert names (see watch_stop.h). A
 * group is signalled with killpg (one atomic call); a starter of sessions
 * is stopped first, so that it starts no more, then each process it
 * started and each process of the sessions it started.
 * The freezer's cgroup is frozen before the first process is moved in, so
 * each one freezes as it arrives; they were stopped first, so none forks
 * meanwhile. Processes moved out of a systemd unit's cgroup leave that
 * unit: an encryptor has no business in it. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "watch_stop.h"

int watch_stop_target(const struct hf_watch_hit *h, struct watch_target *t)
{
	pid_t pg = h->last.pgid, self_pg = getpgrp(), self_sid = getsid(0);

	memset(t, 0, sizeof(*t));
	if (h->by == HF_WATCH_BY_PARENT && h->id > 1 && h->id != getpid())
		t->parent = h->id;
	else if (h->by != HF_WATCH_BY_PID && pg > 1 && pg != self_pg && pg != self_sid)
		t->pgid = pg;
	else if (h->last.pid > 1 && h->last.pid != getpid())
		t->pid = h->last.pid;
	else
		return -ESRCH;
	return 0;
}

static int is_target(const struct watch_target *t, pid_t pid)
{
	struct hf_watch_who who;

	if (pid <= 1 || pid == getpid())
		return 0;
	if (pid == t->pid || pid == t->parent)
		return 1;
	if (!t->pgid && !t->parent)
		return 0;
	if (hf_watch_who_of(pid, &who) < 0)
		return 0;
	return (t->pgid && who.pgid == t->pgid) ||
	       (t->parent && (who.ppid == t->parent || who.session_parent == t->parent));
}

/* calls fn for every process of t (the parent first) */
static int each_process(const struct watch_target *t, int (*fn)(pid_t pid, void *arg), void *arg)
{
	DIR *proc;
	struct dirent *e;
	int n = 0;

	if (!t->pgid && !t->parent) /* one process: nothing to look for */
		return t->pid > 1 && t->pid != getpid() && fn(t->pid, arg) == 0;
	if (t->parent && fn(t->parent, arg) == 0)
		n++;
	proc = opendir("/proc");
	if (!proc)
		return n;
	while ((e = readdir(proc))) {
		char *end;
		long p = strtol(e->d_name, &end, 10);
		if (*end || p == t->parent || !is_target(t, (pid_t)p))
			continue;
		if (fn((pid_t)p, arg) == 0)
			n++;
	}
	closedir(proc);
	return n;
}

static int send_sig(pid_t pid, void *arg)
{
	return kill(pid, *(const int *)arg);
}

int watch_stop_signal(const struct watch_target *t, int sig)
{
	int n;

	if (t->pgid)
		return killpg(t->pgid, sig) == 0 ? 1 : -errno;
	if (!t->parent)
		return t->pid <= 1 ? -ESRCH : kill(t->pid, sig) == 0 ? 1 : -errno;
	n = each_process(t, send_sig, &sig);
	return n > 0 ? n : -ESRCH;
}

/* the mount point of the cgroup2 hierarchy (the unified one on a hybrid
 * system), from /proc/self/mountinfo */
static int cgroup2_mount(char *out, size_t cap)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[4096];
	int r = -ENOENT;

	if (!f)
		return -errno;
	while (r < 0 && fgets(line, sizeof(line), f)) {
		char mnt[1024];
		const char *sep = strstr(line, " - ");
		if (!sep || strncmp(sep + 3, "cgroup2 ", 8) != 0)
			continue;
		/* ID PARENT MAJ:MIN ROOT MOUNTPOINT ... (octal escapes are left:
		 * the usual mount points have no spaces) */
		if (sscanf(line, "%*s %*s %*s %*s %1023s", mnt) == 1 && strlen(mnt) < cap) {
			memcpy(out, mnt, strlen(mnt) + 1);
			r = 0;
		}
	}
	fclose(f);
	return r;
}

static int write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), r = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, s, strlen(s)) < 0)
		r = -errno;
	close(fd);
	return r;
}

static int move_to(pid_t pid, void *arg)
{
	char num[32];

	snprintf(num, sizeof(num), "%d\n", (int)pid);
	return write_str(arg, num); /* fails if it exited meanwhile */
}

int watch_stop_freeze(const struct watch_target *t, char *where, size_t cap)
{
	char mnt[1024], dir[1200], procs[1300];
	int r, moved;
	pid_t id = t->pgid ? t->pgid : t->parent ? t->parent : t->pid;

	if ((r = cgroup2_mount(mnt, sizeof(mnt))) < 0)
		return r;
	snprintf(dir, sizeof(dir), "%s/%s", mnt, WATCH_FREEZE_DIR);
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return -errno;
	snprintf(dir, sizeof(dir), "%s/%s/alert-%d-%lld", mnt, WATCH_FREEZE_DIR, (int)id, (long long)time(NULL));
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return -errno;
	snprintf(procs, sizeof(procs), "%s/cgroup.freeze", dir);
	if ((r = write_str(procs, "1")) < 0) {
		rmdir(dir);
		return r; /* a kernel before 5.2 */
	}
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", dir);
	moved = each_process(t, move_to, procs);
	if (moved == 0) {
		rmdir(dir);
		return -ESRCH;
	}
	if (snprintf(where, cap, "%s", dir) >= (int)cap)
		where[0] = 0;
	return moved;
}
