/* proc.c — what /proc says about a writer: its process group, session,
 * parent and user at the time of its event (read as its event comes, while
 * the short-lived processes of a one-file-per-process attack still exist,
 * and kept 20 ms per pid: watch_who_cached), and what an alert tells
 * about it. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/clock.h"
#include "watch/watch_int.h"

static ssize_t read_small(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, cap - 1);
	if (n < 0)
		n = -errno;
	close(fd);
	if (n >= 0)
		buf[n] = 0;
	return n;
}

int hf_watch_who_of(pid_t pid, struct hf_watch_who *out)
{
	char path[64], buf[1024], *p;
	long ppid, pgid, sid;
	ssize_t n;

	memset(out, 0, sizeof(*out));
	out->pid = pid;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	n = read_small(path, buf, sizeof(buf));
	if (n < 0)
		return n == -ENOENT ? -ESRCH : (int)n;
	/* the command name may hold spaces and ')': the fields follow the last ')' */
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 1, " %*c %ld %ld %ld", &ppid, &pgid, &sid) != 3)
		return -ESRCH;
	out->ppid = (pid_t)ppid;
	out->pgid = (pid_t)pgid;
	out->sid = (pid_t)sid;
	/* who started its session: its parent if it leads the session, else
	 * the session leader's parent (gone with its leader: 0) */
	out->session_parent = out->ppid;
	if (out->sid > 0 && out->sid != pid) {
		snprintf(path, sizeof(path), "/proc/%d/stat", (int)out->sid);
		out->session_parent = 0;
		if (read_small(path, buf, sizeof(buf)) > 0 && (p = strrchr(buf, ')')) &&
		    sscanf(p + 1, " %*c %ld", &ppid) == 1)
			out->session_parent = (pid_t)ppid;
	}
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if (read_small(path, buf, sizeof(buf)) > 0 && (p = strstr(buf, "\nUid:")))
		out->uid = (uid_t)strtoul(p + 5, NULL, 10);
	return 0;
}

void hf_watch_procinfo(pid_t pid, struct hf_watch_procinfo *out)
{
	char path[64];
	ssize_t n;
	pid_t at = pid;

	memset(out, 0, sizeof(*out));
	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	n = readlink(path, out->exe, sizeof(out->exe) - 1);
	out->exe[n > 0 ? n : 0] = 0;
	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	n = read_small(path, out->cmdline, sizeof(out->cmdline));
	for (ssize_t i = 0; i < n; i++)
		if (out->cmdline[i] == 0)
			out->cmdline[i] = ' ';
	while (n > 0 && out->cmdline[n - 1] == ' ')
		out->cmdline[--n] = 0;
	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	n = read_small(path, out->cgroup, sizeof(out->cgroup));
	while (n > 0 && out->cgroup[n - 1] == '\n')
		out->cgroup[--n] = 0;
	for (size_t i = 0; i < sizeof(out->chain) / sizeof(out->chain[0]); i++) {
		struct hf_watch_who w;
		if (hf_watch_who_of(at, &w) < 0 || w.ppid <= 0)
			break;
		out->chain[i] = at = w.ppid;
	}
}

int watch_who_cached(struct watch_who_cache *c, pid_t pid, struct hf_watch_who *out)
{
	struct watch_who_slot *e = &c->slot[(size_t)pid % WATCH_WHO_SLOTS];
	int64_t now_ns = hf_mono_ns();
	if (e->pid == pid && now_ns - e->seen_ns < WATCH_WHO_TTL_NS) {
		*out = e->who;
		return 0;
	}
	if (hf_watch_who_of(pid, out) < 0)
		return e->pid == pid ? (*out = e->who, 0) : -ESRCH;
	e->pid = pid;
	e->seen_ns = now_ns;
	e->who = *out;
	return 0;
}

int watch_who_remembered(const struct watch_who_cache *c, pid_t pid, struct hf_watch_who *out)
{
	const struct watch_who_slot *e = &c->slot[(size_t)pid % WATCH_WHO_SLOTS];

	if (e->pid != pid)
		return -ESRCH;
	*out = e->who;
	return 0;
}
