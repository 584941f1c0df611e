/* watch_freeze.c — the cgroup v2 freezer for holdfast watch (see
 * watch_freeze.h). The cgroup is frozen before the first process is moved
 * into it, so each one freezes as it arrives; the group was stopped with
 * SIGSTOP first, so none forks meanwhile. Processes moved out of a systemd
 * unit's cgroup leave that unit: an encryptor has no business in it. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "watch/watch.h"
#include "watch_freeze.h"

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

int watch_freeze_group(pid_t pgid, pid_t pid, char *where, size_t cap)
{
	char mnt[1024], dir[1200], file[1300], num[32];
	DIR *proc;
	struct dirent *e;
	int r, moved = 0;

	if ((r = cgroup2_mount(mnt, sizeof(mnt))) < 0)
		return r;
	snprintf(dir, sizeof(dir), "%s/%s", mnt, WATCH_FREEZE_DIR);
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return -errno;
	snprintf(dir, sizeof(dir), "%s/%s/alert-%d-%lld", mnt, WATCH_FREEZE_DIR, (int)pgid, (long long)time(NULL));
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return -errno;
	snprintf(file, sizeof(file), "%s/cgroup.freeze", dir);
	if ((r = write_str(file, "1")) < 0)
		return r; /* a kernel before 5.2 */
	snprintf(file, sizeof(file), "%s/cgroup.procs", dir);
	proc = opendir("/proc");
	if (!proc)
		return -errno;
	while ((e = readdir(proc))) {
		struct hf_watch_who who;
		char *end;
		long p = strtol(e->d_name, &end, 10);
		if (*end || p <= 1 || p == getpid())
			continue;
		if (p != pid && (hf_watch_who_of((pid_t)p, &who) < 0 || who.pgid != pgid))
			continue;
		snprintf(num, sizeof(num), "%ld\n", p);
		if (write_str(file, num) == 0)
			moved++; /* else it exited meanwhile */
	}
	closedir(proc);
	if (moved == 0) {
		rmdir(dir);
		return -ESRCH;
	}
	if (snprintf(where, cap, "%s", dir) >= (int)cap)
		where[0] = 0;
	return moved;
}
