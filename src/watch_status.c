/* watch_status.c — the running watcher's status files and `watch --status`
 * (see watch_status.h). The files hold nothing secret: paths, counts, and
 * the processes alerts named (mode 0644 in a root-owned directory). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "watch_status.h"

#define STALE_S (6 * WATCH_STATUS_EVERY_S) /* older than this: the watcher is not working */

void watch_status_add_alert(struct watch_status *s, const struct watch_status_alert *a)
{
	s->alerts[s->next] = *a;
	s->next = (s->next + 1) % WATCH_STATUS_ALERTS;
	if (s->nalerts < WATCH_STATUS_ALERTS)
		s->nalerts++;
	s->total++;
}

/* the i-th alert kept, oldest first */
static const struct watch_status_alert *alert_at(const struct watch_status *s, size_t i)
{
	return &s->alerts[(s->next + WATCH_STATUS_ALERTS - s->nalerts + i) % WATCH_STATUS_ALERTS];
}

static void json_time(FILE *f, int64_t ns)
{
	char t[64];

	cli_time_str(ns, t, sizeof(t), 1);
	cli_json_str(f, t);
}

static void write_json(FILE *f, const struct watch_status *s, const struct hf_watch_stats *st, int64_t now)
{
	fprintf(f, "{\"pid\":%d,\"started\":", (int)getpid());
	json_time(f, s->started_ns);
	fputs(",\"updated\":", f);
	json_time(f, now);
	fputs(",\"paths\":[", f);
	for (size_t i = 0; i < s->npaths; i++) {
		fputs(i ? "," : "", f);
		cli_json_str(f, s->paths[i]);
	}
	fprintf(f, "],\"action\":\"%s\",\"dry_run\":%s,\"opens_held\":%s", s->action, s->dry_run ? "true" : "false",
		st->gate_on ? "true" : "false");
	fprintf(f,
		",\"counts\":{\"files_known\":%llu,\"events\":%llu,\"judged\":%llu,\"judged_while_written\":%llu,"
		"\"set_aside\":%llu,\"judged_once_maker_paused\":%llu,\"new_files_never_read\":%llu,"
		"\"overflows\":%llu,\"rescans\":%llu,"
		"\"unattributed\":%llu,\"opens\":%llu,\"opens_held\":%llu,\"opens_refused\":%llu,\"opens_timed_out\":%"
		"llu,\"gate_arms\":%llu,\"gate_armed_s\":%.3f}",
		(unsigned long long)st->files_known, (unsigned long long)st->events, (unsigned long long)st->judged,
		(unsigned long long)st->unsettled, (unsigned long long)st->unsettled_set_aside,
		(unsigned long long)st->made_waited, (unsigned long long)st->made_dropped,
		(unsigned long long)st->overflows, (unsigned long long)st->rescans,
		(unsigned long long)st->unattributed, (unsigned long long)st->gate.opens,
		(unsigned long long)st->gate.held, (unsigned long long)st->gate.denied,
		(unsigned long long)st->gate.timeouts, (unsigned long long)st->gate.arms,
		(double)st->gate.armed_ns / 1e9);
	fprintf(f, ",\"alerts_total\":%lu,\"alerts\":[", s->total);
	for (size_t i = 0; i < s->nalerts; i++) {
		const struct watch_status_alert *a = alert_at(s, i);
		fputs(i ? ",{\"time\":" : "{\"time\":", f);
		json_time(f, a->time_ns);
		fputs(",\"actor\":", f);
		cli_json_str(f, a->actor);
		fprintf(f, ",\"pid\":%d,\"exe\":", (int)a->pid);
		cli_json_str(f, a->exe);
		fprintf(f, ",\"action\":\"%s\",\"done\":", a->action);
		cli_json_str(f, a->done);
		fprintf(f,
			",\"encrypted\":%u,\"new_ciphertext\":%u,\"originals_deleted\":%u,\"notes\":%u,\"snapshot\":",
			a->encrypted, a->candidates, a->originals_gone, a->notes);
		cli_json_str(f, a->snapshot);
		fputs(",\"verdict\":", f);
		cli_json_str(f, a->verdict);
		fputs("}", f);
	}
	fputs("]}\n", f);
}

static void write_text(FILE *f, const struct watch_status *s, const struct hf_watch_stats *st, int64_t now)
{
	char t[64], u[64];

	cli_time_str(s->started_ns, t, sizeof(t), 0);
	cli_time_str(now, u, sizeof(u), 0);
	fprintf(f, "holdfast watch: running, pid %d, since %s (status of %s)\n", (int)getpid(), t, u);
	fputs("watching:", f);
	for (size_t i = 0; i < s->npaths; i++)
		fprintf(f, " %s", s->paths[i]);
	fprintf(f, "\naction: %s%s; opens %s\n", s->action, s->dry_run ? " (dry run: nothing is done)" : "",
		st->gate_on ? "held while a process is ahead of the judge" : "never held");
	fprintf(f,
		"files known: %llu; events: %llu, files judged: %llu (%llu while another process wrote them, %llu "
		"of those set aside; %llu new files judged once their maker paused, %llu never read); queue "
		"overflows: %llu (rescans: %llu); unattributed ciphertext: %llu\n",
		(unsigned long long)st->files_known, (unsigned long long)st->events, (unsigned long long)st->judged,
		(unsigned long long)st->unsettled, (unsigned long long)st->unsettled_set_aside,
		(unsigned long long)st->made_waited, (unsigned long long)st->made_dropped,
		(unsigned long long)st->overflows, (unsigned long long)st->rescans,
		(unsigned long long)st->unattributed);
	if (st->gate_on)
		fprintf(f,
			"opens: %llu answered, %llu held, %llu refused, %llu let through after the longest hold; "
			"gate armed %llu times, %.1f s in all\n",
			(unsigned long long)st->gate.opens, (unsigned long long)st->gate.held,
			(unsigned long long)st->gate.denied, (unsigned long long)st->gate.timeouts,
			(unsigned long long)st->gate.arms, (double)st->gate.armed_ns / 1e9);
	if (!s->nalerts) {
		fputs("alerts: none\n", f);
		return;
	}
	fprintf(f, "alerts: %lu since the start; the last %zu, oldest first:\n", s->total, s->nalerts);
	for (size_t i = 0; i < s->nalerts; i++) {
		const struct watch_status_alert *a = alert_at(s, i);
		cli_time_str(a->time_ns, t, sizeof(t), 0);
		fprintf(f,
			"  %s  %s (pid %d %s): %u encrypted, %u new ciphertext, %u originals deleted, %u notes; %s: %s",
			t, a->actor, (int)a->pid, a->exe, a->encrypted, a->candidates, a->originals_gone, a->notes,
			a->action, a->done);
		if (a->snapshot[0])
			fprintf(f, "; backup %s (%s)", a->snapshot, a->verdict);
		fputc('\n', f);
	}
}

/* dir/name, written to a temporary file and renamed over it */
static int write_file(const char *dir, const char *name, const struct watch_status *s, const struct hf_watch_stats *st,
		      int64_t now,
		      void (*fn)(FILE *, const struct watch_status *, const struct hf_watch_stats *, int64_t))
{
	char path[4096], tmp[4200];
	FILE *f;
	int fd, r = 0;

	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	snprintf(tmp, sizeof(tmp), "%s.%d.tmp", path, (int)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return -errno;
	f = fdopen(fd, "w");
	if (!f) {
		r = -errno;
		close(fd);
		unlink(tmp);
		return r;
	}
	fn(f, s, st, now);
	if (fflush(f) != 0 || ferror(f))
		r = -EIO;
	if (fclose(f) != 0 && r == 0)
		r = -errno;
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0)
		unlink(tmp);
	return r;
}

int watch_status_write(const struct watch_status *s, const struct hf_watch_stats *st)
{
	int64_t now = cli_now_ns();
	int r;

	if (mkdir(s->dir, 0755) < 0 && errno != EEXIST)
		return -errno;
	r = write_file(s->dir, "watch.json", s, st, now, write_json);
	if (r == 0)
		r = write_file(s->dir, "watch.txt", s, st, now, write_text);
	return r;
}

int64_t watch_status_last_seen(const char *dir)
{
	char path[4096];
	struct stat sb;

	snprintf(path, sizeof(path), "%s/watch.json", dir);
	if (stat(path, &sb) < 0)
		return 0;
	return (int64_t)sb.st_mtim.tv_sec * 1000000000LL + sb.st_mtim.tv_nsec;
}

/* path's text (up to cap - 1 bytes) into buf; its mtime into *mtime */
static int read_text(const char *path, char *buf, size_t cap, time_t *mtime)
{
	FILE *f = fopen(path, "re");
	struct stat sb;
	size_t n;

	if (!f)
		return -errno;
	n = fread(buf, 1, cap - 1, f);
	buf[n] = 0;
	*mtime = fstat(fileno(f), &sb) == 0 ? sb.st_mtime : 0;
	fclose(f);
	return 0;
}

int watch_status_show(const char *dir, int json)
{
	char path[4096], buf[65536];
	int pid = 0, r;
	time_t mtime;

	snprintf(path, sizeof(path), "%s/watch.json", dir);
	if ((r = read_text(path, buf, sizeof(buf), &mtime)) < 0) {
		cli_err("watch --status: no watcher is running (no %s: %s)", path, hf_strerror(r));
		return HF_EXIT_ERROR;
	}
	if (sscanf(buf, "{\"pid\":%d", &pid) != 1 || pid <= 1) {
		cli_err("watch --status: %s is not a watcher's status", path);
		return HF_EXIT_ERROR;
	}
	if (kill(pid, 0) < 0 && errno == ESRCH) {
		cli_err("watch --status: no watcher is running: the one that wrote %s (pid %d) has exited", path, pid);
		return HF_EXIT_ERROR;
	}
	if (time(NULL) - mtime > STALE_S) {
		cli_err("watch --status: the watcher (pid %d) has not written its status for %lld s: it is stopped or "
			"stuck (opens in its directories may be waiting)",
			pid, (long long)(time(NULL) - mtime));
		return HF_EXIT_ERROR;
	}
	if (!json) {
		snprintf(path, sizeof(path), "%s/watch.txt", dir);
		if ((r = read_text(path, buf, sizeof(buf), &mtime)) < 0) {
			cli_err("watch --status: cannot read %s: %s", path, hf_strerror(r));
			return HF_EXIT_ERROR;
		}
	}
	fputs(buf, stdout);
	return HF_EXIT_OK;
}
