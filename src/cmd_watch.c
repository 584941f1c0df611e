/* cmd_watch.c — holdfast watch: the real-time watcher (lib/watch) and what
 * is done when a process's score crosses the threshold: its process group
 * frozen (SIGSTOP) or killed, or only reported; then an immediate backup of
 * the watched paths (its scan verdict recorded, the snapshot before the
 * alert pinned), the alert recorded in the repository (an alert mark on
 * the immediate backup: docs/FORMAT.md, "Alert records"; it needs only the
 * write-only key), one JSON document to --on-alert and --json-log. */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "backup_alert.h"
#include "cli.h"
#include "commands.h"
#include "repo/mark.h"
#include "scan/scan.h"
#include "util/err.h"
#include "util/mem.h"
#include "watch/watch.h"
#include "watch_status.h"
#include "watch_stop.h"

static const char usage[] = "usage: holdfast watch --repo DIR PATH... [--action freeze|kill|alert] [--on-alert CMD]\n"
			    "                      [--json-log FILE] [--threshold N] [--max-unjudged N] [--no-block]\n"
			    "                      [--dry-run] [--state-dir DIR]\n"
			    "       holdfast watch --status [--state-dir DIR] [--json]\n"
			    "  Watches PATH... (fanotify, needs root) and judges every file a process writes,\n"
			    "  renames or deletes there; a process (group, session) that turns about three\n"
			    "  files into ciphertext is frozen (SIGSTOP of its process group, which is moved\n"
			    "  into a frozen cgroup; --action kill: SIGKILL; alert: left running), an\n"
			    "  immediate backup of PATH... is taken, the snapshot before it pinned, the\n"
			    "  alert recorded on the backup (for holdfast report), and CMD gets one JSON\n"
			    "  document on stdin. A write-only key will do.\n"
			    "  Opens in the watched directories wait while the opener's process group has\n"
			    "  more than N (2) files written that are not judged yet, none once it wrote\n"
			    "  ciphertext (--no-block: never wait). --dry-run only reports (no signal, no\n"
			    "  backup). Stops on SIGINT or SIGTERM. The running watcher keeps its status in\n"
			    "  DIR (/run/holdfast): --status prints it (what is watched, counts, the last\n"
			    "  alerts) and exits 1 if no watcher runs.\n";

enum {
	OPT_ACTION = 1,
	OPT_ON_ALERT,
	OPT_JSON_LOG,
	OPT_DRY_RUN,
	OPT_THRESHOLD,
	OPT_MAX_UNJUDGED,
	OPT_NO_BLOCK,
	OPT_STATUS,
	OPT_STATE_DIR
};
enum { ACT_FREEZE, ACT_KILL, ACT_ALERT };
static const char *const action_names[] = {"freeze", "kill", "alert"};

static volatile sig_atomic_t stop_requested;

static void on_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
}

struct watch_args {
	char **paths;
	size_t np;
	int action, dry_run, no_block;
	unsigned threshold; /* files, 0: the default */
	int max_unjudged;   /* N + 1; 0: not given (the library's default) */
	const char *on_alert, *json_log;
	const char *state_dir;          /* the status files (watch_status.h) */
	struct hf_detect *sandbox_hold; /* detection's sandbox, started before the repository opens */
};

static int watch_parse(struct cli_common *c, void *args, int argc, char **argv)
{
	static const struct option opts[] = {CLI_COMMON_OPTIONS,
					     {"action", required_argument, NULL, OPT_ACTION},
					     {"on-alert", required_argument, NULL, OPT_ON_ALERT},
					     {"json-log", required_argument, NULL, OPT_JSON_LOG},
					     {"threshold", required_argument, NULL, OPT_THRESHOLD},
					     {"dry-run", no_argument, NULL, OPT_DRY_RUN},
					     {"max-unjudged", required_argument, NULL, OPT_MAX_UNJUDGED},
					     {"no-block", no_argument, NULL, OPT_NO_BLOCK},
					     {"status", no_argument, NULL, OPT_STATUS},
					     {"state-dir", required_argument, NULL, OPT_STATE_DIR},
					     {NULL, 0, NULL, 0}};
	struct watch_args *a = args;
	int opt, rc = HF_EXIT_ERROR, n, status = 0;

	while ((opt = cli_next_opt(c, argc, argv, "r:", opts, usage, &rc)) > 0) {
		switch (opt) {
		case OPT_ACTION:
			for (a->action = 0; a->action < 3 && strcmp(optarg, action_names[a->action]) != 0; a->action++)
				;
			if (a->action == 3)
				return cli_usage_error(usage, "--action: '%s' is not freeze, kill or alert", optarg);
			break;
		case OPT_ON_ALERT:
			a->on_alert = optarg;
			break;
		case OPT_JSON_LOG:
			a->json_log = optarg;
			break;
		case OPT_THRESHOLD:
			if (cli_parse_uint(usage, "--threshold", optarg, 1000, &n) < 0)
				return HF_EXIT_USAGE;
			if (n == 0)
				return cli_usage_error(usage, "--threshold: at least 1 file");
			a->threshold = (unsigned)n;
			break;
		case OPT_DRY_RUN:
			a->dry_run = 1;
			break;
		case OPT_MAX_UNJUDGED:
			if (cli_parse_uint(usage, "--max-unjudged", optarg, 1000, &n) < 0)
				return HF_EXIT_USAGE;
			a->max_unjudged = n + 1; /* 0 is "not given" until watch_run */
			break;
		case OPT_NO_BLOCK:
			a->no_block = 1;
			break;
		case OPT_STATUS:
			status = 1;
			break;
		case OPT_STATE_DIR:
			a->state_dir = optarg;
			break;
		}
	}
	if (opt < 0)
		return rc;
	if (!a->state_dir)
		a->state_dir = WATCH_STATE_DIR;
	if (status) /* the running watcher's status: no repository, no root */
		return optind < argc ? cli_usage_error(usage, "--status takes no PATH")
				     : watch_status_show(a->state_dir, c->json);
	if (optind == argc)
		return cli_usage_error(usage, "nothing to watch: name at least one PATH");
	if (cli_absolute_paths(argc - optind, argv + optind, &a->paths, &a->np) < 0)
		return HF_EXIT_ERROR;
	if (geteuid() != 0) {
		cli_err("watch: fanotify needs root (CAP_SYS_ADMIN): run it as root, or from its unit "
			"(dist/holdfast-watch.service)");
		return HF_EXIT_ERROR;
	}
	a->sandbox_hold = hf_detect_new();
	return CLI_RUN;
}

static void json_time(FILE *f, int64_t ns)
{
	char t[64];

	cli_time_str(ns, t, sizeof(t), 1);
	cli_json_str(f, t);
}

struct alert_doc {
	char *text;
	size_t len;
};

static void put_doc(FILE *f, const void *arg)
{
	const struct alert_doc *d = arg;

	fwrite(d->text, 1, d->len, f);
}

/* what an alert did, for the document */
struct outcome {
	int signalled, sig_err;
	struct watch_target target; /* what was signalled */
	int frozen, freeze_err;     /* moved into a frozen cgroup: how many processes, or why not */
	char cgroup[1200];
	int backed_up, backup_err;
	uint8_t snapshot[HF_ID_LEN];
	struct hf_backup_verdict verdict;
	int pinned;
	uint8_t pinned_id[HF_ID_LEN];
	int has_parent; /* the snapshot the backup followed (known even if it failed later) */
	uint8_t parent[HF_ID_LEN];
	int marked, mark_err; /* the alert mark: written on marked_id, or why not */
	uint8_t marked_id[HF_ID_LEN];
};

static void write_doc(FILE *f, const struct watch_args *a, const struct hf_watch_hit *h,
		      const struct hf_watch_procinfo *pi, const struct outcome *o)
{
	char hex[65];
	int first = 1;

	fputs("{\"event\":\"watch-alert\",\"time\":", f);
	json_time(f, h->last_ns);
	fprintf(f, ",\"actor\":{\"by\":\"%s\",\"id\":%d},\"score\":%.2f", hf_watch_by_name(h->by), (int)h->id,
		h->score / 1000.0);
	fprintf(f, ",\"counts\":{\"encrypted\":%u,\"new_ciphertext\":%u,\"originals_deleted\":%u,\"notes\":%u}",
		h->encrypted, h->candidates, h->originals_gone, h->notes);
	fprintf(f, ",\"process\":{\"pid\":%d,\"ppid\":%d,\"pgid\":%d,\"sid\":%d,\"uid\":%u,\"exe\":", (int)h->last.pid,
		(int)h->last.ppid, (int)h->last.pgid, (int)h->last.sid, (unsigned)h->last.uid);
	cli_json_str(f, pi->exe);
	fputs(",\"cmdline\":", f);
	cli_json_str(f, pi->cmdline);
	fputs(",\"cgroup\":", f);
	cli_json_str(f, pi->cgroup);
	fputs(",\"parents\":[", f);
	for (size_t i = 0; i < sizeof(pi->chain) / sizeof(pi->chain[0]) && pi->chain[i]; i++)
		fprintf(f, "%s%d", i ? "," : "", (int)pi->chain[i]);
	fputs("]},\"files\":[", f);
	for (size_t i = 0; i < h->nfiles; i++) {
		const struct hf_watch_file *x = &h->files[i];
		fputs(i ? ",{\"path\":" : "{\"path\":", f);
		cli_json_str(f, x->path);
		fputs(",\"time\":", f);
		json_time(f, x->t_ns);
		fprintf(f, ",\"pid\":%d,\"verdict\":\"%s\",\"reasons\":[", (int)x->pid, hf_watch_fact_name(x->kind));
		first = 1;
		for (uint32_t b = 1; b; b <<= 1)
			if (x->reasons & b) {
				fprintf(f, "%s\"%s\"", first ? "" : ",", hf_scan_reason_name(b));
				first = 0;
			}
		fputs("]}", f);
	}
	fprintf(f, "],\"action\":\"%s\",\"dry_run\":%s,\"signalled\":%s", action_names[a->action],
		a->dry_run ? "true" : "false", o->signalled ? "true" : "false");
	if (o->signalled)
		fprintf(f, ",\"%s\":%d",
			o->target.pgid     ? "process_group"
			: o->target.parent ? "parent_and_children"
					   : "pid",
			(int)(o->target.pgid     ? o->target.pgid
			      : o->target.parent ? o->target.parent
						 : o->target.pid));
	if (o->sig_err)
		fprintf(f, ",\"signal_error\":\"%s\"", hf_strerror(o->sig_err));
	if (o->frozen) {
		fprintf(f, ",\"cgroup_frozen\":{\"processes\":%d,\"path\":", o->frozen);
		cli_json_str(f, o->cgroup);
		fputs("}", f);
	} else if (o->freeze_err) {
		fprintf(f, ",\"cgroup_freeze_error\":\"%s\"", hf_strerror(o->freeze_err));
	}
	if (o->backed_up) {
		cli_id_hex(o->snapshot, hex);
		fprintf(f, ",\"backup\":{\"snapshot\":\"%s\",\"scanned\":%s,\"verdict\":\"%s\"", hex,
			o->verdict.scanned ? "true" : "false", hf_snap_verdict_name(o->verdict.verdict));
		if (o->pinned) {
			cli_id_hex(o->pinned_id, hex);
			fprintf(f, ",\"pinned\":\"%s\"", hex);
		}
		fputs("}", f);
	} else if (o->backup_err) {
		fprintf(f, ",\"backup_error\":\"%s\"", hf_strerror(o->backup_err));
	}
	if (o->marked) {
		cli_id_hex(o->marked_id, hex);
		fprintf(f, ",\"alert_mark\":{\"snapshot\":\"%s\"}", hex);
	} else if (o->mark_err) {
		fprintf(f, ",\"alert_mark_error\":\"%s\"", hf_strerror(o->mark_err));
	}
	fputs("}\n", f);
}

static int64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* the immediate backup of the watched paths, its scan, and a pin of the
 * snapshot it follows (the state before the alert) */
static void backup_now(struct hf_repo *repo, const struct watch_args *a, pid_t who, struct outcome *o)
{
	struct hf_backup_opts bo;
	struct hf_backup_stats st;
	struct hf_pin_result pr;
	struct passwd *pw = getpwuid(geteuid());
	char host[256] = "", reason[128], *cache = NULL;
	int r;

	memset(&bo, 0, sizeof(bo));
	gethostname(host, sizeof(host) - 1);
	bo.paths = a->paths;
	bo.npaths = a->np;
	bo.host = host;
	bo.user = pw ? pw->pw_name : "";
	bo.collect_changes = 1;
	bo.report = cli_report;
	/* a write-only key (the watched host's usual one): the parent, and the
	 * scan after the backup, come from backup's local cache */
	if (hf_repo_write_only(repo))
		bo.cache_dir = cache = cli_cache_dir();
	r = hf_backup(repo, &bo, &st);
	o->has_parent = st.has_parent;
	memcpy(o->parent, st.parent, HF_ID_LEN);
	if (r < 0) {
		o->backup_err = r;
		cli_err("watch: the immediate backup failed: %s", hf_strerror(r));
		free(cache);
		return;
	}
	o->backed_up = 1;
	memcpy(o->snapshot, st.snapshot, HF_ID_LEN);
	if (hf_repo_write_only(repo))
		r = backup_alert_run_local(repo, cache, &st, NULL, &o->verdict);
	else
		r = backup_alert_run(repo, st.snapshot, st.changes, NULL, &o->verdict);
	free(cache);
	if (r < 0)
		cli_err("warning: watch: the immediate backup was saved but could not be scanned: %s", hf_strerror(r));
	if (o->verdict.pinned) {
		o->pinned = 1;
		memcpy(o->pinned_id, o->verdict.pinned_id, HF_ID_LEN);
	} else if (st.has_parent) {
		snprintf(reason, sizeof(reason), "holdfast watch: alert on process %d", (int)who);
		r = hf_pin_set(repo, st.parent, HF_MARK_PIN, reason, now_ns(), &pr);
		if (r < 0) {
			cli_err("warning: watch: cannot pin the snapshot before the alert: %s", hf_strerror(r));
		} else {
			o->pinned = 1;
			memcpy(o->pinned_id, st.parent, HF_ID_LEN);
		}
	}
}

/* the alert as a mark on the immediate backup (or, if it failed, on the
 * snapshot it followed; with neither there is nothing to mark: the alert is
 * only in the document), so that holdfast report finds it later */
static void record_alert(struct hf_repo *repo, const struct watch_args *a, const struct hf_watch_hit *h,
			 const struct hf_watch_procinfo *pi, const struct hf_watch *w, struct outcome *o)
{
	struct hf_mark_alert al;
	struct hf_watch_minute mins[HF_WATCH_MINUTES];
	struct hf_session *ses = NULL;
	struct hf_mark m;
	char text[HF_MARK_REASON_MAX + 1];
	int r;

	if (!o->backed_up && !o->has_parent)
		return;
	memset(&al, 0, sizeof(al));
	al.time_ns = h->last_ns;
	al.pid = h->last.pid;
	al.action = a->action == ACT_KILL    ? HF_MARK_ALERT_KILL
		    : a->action == ACT_ALERT ? HF_MARK_ALERT_ONLY
					     : HF_MARK_ALERT_FREEZE;
	al.signalled = o->signalled;
	al.backup_ok = o->backed_up;
	al.files = h->touched;
	al.encrypted = h->encrypted;
	al.new_ciphertext = h->candidates;
	al.originals_deleted = h->originals_gone;
	al.notes = h->notes;
	hf_watch_get_minutes(w, h->last_ns, &al.first_minute, mins);
	al.nminutes = HF_WATCH_MINUTES;
	for (int i = 0; i < HF_WATCH_MINUTES; i++) {
		al.minutes[i].writes = mins[i].writes;
		al.minutes[i].renames = mins[i].renames;
		al.minutes[i].deletes = mins[i].deletes;
		al.minutes[i].encrypted = mins[i].encrypted;
	}
	snprintf(al.exe, sizeof(al.exe), "%s", pi->exe);
	memset(&m, 0, sizeof(m));
	m.time_ns = now_ns();
	m.kind = HF_MARK_ALERT;
	memcpy(m.snapshot, o->backed_up ? o->snapshot : o->parent, HF_ID_LEN);
	m.reason = text;
	r = hf_mark_alert_format(&al, text, sizeof(text));
	if (r == 0)
		r = hf_session_new(repo, &ses);
	if (r == 0)
		r = hf_mark_write(repo, ses, &m);
	hf_session_free(ses);
	if (r < 0) {
		o->mark_err = r;
		cli_err("warning: watch: cannot record the alert in the repository: %s", hf_strerror(r));
		return;
	}
	o->marked = 1;
	memcpy(o->marked_id, m.snapshot, HF_ID_LEN);
}

/* what the signal reached, for people (stderr, the status) */
static const char *stopped_what(const struct outcome *o, const struct watch_args *a)
{
	int kill = a->action == ACT_KILL;

	if (o->target.pgid)
		return kill ? "process group killed" : "process group stopped";
	if (o->target.parent)
		return kill ? "the sessions' starter and its processes killed"
			    : "the sessions' starter and its processes stopped";
	return kill ? "process killed" : "process stopped";
}

/* the alert as the status file shows it */
static void status_alert(struct watch_status *s, const struct watch_args *a, const struct hf_watch_hit *h,
			 const struct hf_watch_procinfo *pi, const struct outcome *o)
{
	struct watch_status_alert sa;
	char hex[65];

	memset(&sa, 0, sizeof(sa));
	sa.time_ns = h->last_ns;
	snprintf(sa.actor, sizeof(sa.actor), "%s %d", hf_watch_by_name(h->by), (int)h->id);
	sa.pid = h->last.pid;
	snprintf(sa.exe, sizeof(sa.exe), "%s", pi->exe);
	snprintf(sa.action, sizeof(sa.action), "%s", a->dry_run ? "dry-run" : action_names[a->action]);
	snprintf(sa.done, sizeof(sa.done), "%s%s",
		 o->signalled                           ? stopped_what(o, a)
		 : a->dry_run || a->action == ACT_ALERT ? "left running"
							: "could not be stopped",
		 o->frozen ? ", frozen" : "");
	sa.encrypted = h->encrypted;
	sa.candidates = h->candidates;
	sa.originals_gone = h->originals_gone;
	sa.notes = h->notes;
	if (o->backed_up) {
		cli_id_hex(o->snapshot, hex);
		snprintf(sa.snapshot, sizeof(sa.snapshot), "%.16s", hex);
		snprintf(sa.verdict, sizeof(sa.verdict), "%s", hf_snap_verdict_name(o->verdict.verdict));
	}
	watch_status_add_alert(s, &sa);
}

static void act(struct hf_repo *repo, const struct watch_args *a, const struct hf_watch_hit *h, struct hf_watch *w,
		struct watch_status *status)
{
	struct hf_watch_procinfo pi;
	struct outcome o;
	struct alert_doc d = {NULL, 0};
	int sig = a->action == ACT_KILL ? SIGKILL : SIGSTOP;
	FILE *m;

	memset(&o, 0, sizeof(o));
	/* first the signal (a process stopped writes no more), then the rest:
	 * the process alone when it crossed by itself (an smbd child serving
	 * one client, not all of smbd), a parent with the processes it started,
	 * else the group (one process per file) */
	if (!a->dry_run && a->action != ACT_ALERT) {
		int n = watch_stop_target(h, &o.target);
		if (n == 0)
			n = watch_stop_signal(&o.target, sig);
		o.signalled = n > 0;
		if (n < 0)
			o.sig_err = n;
	}
	hf_watch_procinfo(h->last.pid, &pi); /* its cgroup before it is moved */
	/* stopped: into a frozen cgroup too, where SIGCONT does not wake it */
	if (o.signalled && sig == SIGSTOP) {
		int n = watch_stop_freeze(&o.target, o.cgroup, sizeof(o.cgroup));
		if (n > 0)
			o.frozen = n;
		else
			o.freeze_err = n;
	}
	/* its opens wait since the hit: refused from now on if it was stopped */
	if (o.signalled)
		hf_watch_deny(w, h);
	else
		hf_watch_release(w, h);
	cli_err("watch: ALERT %s %d (pid %d %s): %u encrypted, %u new ciphertext, %u originals deleted, %u notes; "
		"%s%s%s",
		hf_watch_by_name(h->by), (int)h->id, (int)h->last.pid, pi.exe, h->encrypted, h->candidates,
		h->originals_gone, h->notes, a->dry_run ? "dry run: nothing done" : action_names[a->action],
		o.signalled ? ": " : "", o.signalled ? stopped_what(&o, a) : "");
	if (o.frozen)
		cli_err("watch: %d process(es) frozen in %s (resume: echo 0 > %s/cgroup.freeze; end them: echo 1 > "
			"%s/cgroup.kill)",
			o.frozen, o.cgroup, o.cgroup, o.cgroup);
	else if (o.freeze_err)
		cli_err("warning: watch: the cgroup freezer is not available (%s): the processes are only stopped "
			"(SIGSTOP), which SIGCONT undoes",
			hf_strerror(o.freeze_err));
	if (!a->dry_run) {
		backup_now(repo, a, h->last.pid, &o);
		record_alert(repo, a, h, &pi, w, &o);
	}
	m = open_memstream(&d.text, &d.len);
	if (!m) {
		cli_err("watch: out of memory for the alert document");
		return;
	}
	write_doc(m, a, h, &pi, &o);
	fclose(m);
	status_alert(status, a, h, &pi, &o);
	fwrite(d.text, 1, d.len, stdout);
	fflush(stdout);
	if (a->json_log) {
		FILE *lf = fopen(a->json_log, "a");
		if (!lf || fwrite(d.text, 1, d.len, lf) != d.len)
			cli_err("warning: watch: cannot append to %s: %s", a->json_log, strerror(errno));
		if (lf)
			fclose(lf);
	}
	if (a->on_alert)
		alert_command_run(a->on_alert, put_doc, &d);
	free(d.text);
}

/* files changed while no watcher ran (since the last one's last status):
 * judged at start by what they are now; if some look like ciphertext or
 * ransom notes there is no process left to stop, but a backup now has its
 * scan judge them against the last snapshot (and pin the last clean one) */
static void unwatched_report(struct hf_repo *repo, const struct watch_args *a, const struct hf_watch_stats *st)
{
	struct outcome o;
	char hex[65], pinned[65];

	if (!st->unwatched_suspect) {
		cli_err("watch: %llu file(s) changed while no watcher ran; none looks like ciphertext",
			(unsigned long long)st->unwatched_changed);
		return;
	}
	cli_err("warning: watch: %llu of the %llu file(s) changed while no watcher ran look like ciphertext or "
		"ransom notes; no process is left to stop%s",
		(unsigned long long)st->unwatched_suspect, (unsigned long long)st->unwatched_changed,
		a->dry_run ? " (dry run: no backup)" : "; backing up now");
	if (a->dry_run)
		return;
	memset(&o, 0, sizeof(o));
	backup_now(repo, a, 0, &o);
	if (!o.backed_up)
		return;
	cli_id_hex(o.snapshot, hex);
	cli_id_hex(o.pinned_id, pinned);
	cli_err("watch: the backup of what changed while no watcher ran: snapshot %.16s, scan verdict %s%s%.16s", hex,
		hf_snap_verdict_name(o.verdict.verdict), o.pinned ? "; pinned " : "", o.pinned ? pinned : "");
}

static int watch_run(const struct cli_common *c, void *args, struct hf_repo *repo)
{
	struct watch_args *a = args;
	struct hf_watch_opts wo;
	struct hf_watch *w = NULL;
	struct hf_watch_hit *hit = hf_xcalloc(1, sizeof(*hit));
	struct hf_watch_stats st;
	struct sigaction sa;
	uint64_t overflows = 0, unattributed = 0;
	struct watch_status status;
	time_t status_at = 0;
	int r, rc = HF_EXIT_OK, status_warned = 0;

	(void)c;
	memset(&wo, 0, sizeof(wo));
	wo.paths = a->paths;
	wo.npaths = a->np;
	wo.score.threshold = a->threshold * 1000;
	wo.block_opens = !a->no_block;
	wo.unwatched_since_ns = watch_status_last_seen(a->state_dir);
	wo.max_unjudged = a->max_unjudged - 1;
	r = hf_watch_open(&wo, &w);
	if (r < 0) {
		if (r == -EPERM)
			cli_err("watch: fanotify refused: it needs root (CAP_SYS_ADMIN)");
		else if (r == -EINVAL || r == -ENOSYS || r == -EXDEV || r == -ENODEV || r == -EOPNOTSUPP)
			cli_err("watch: the kernel or a watched filesystem lacks fanotify with file handles "
				"(Linux >= 5.17, a filesystem with file handles): %s",
				hf_strerror(r));
		else
			cli_err("watch: cannot start: %s", hf_strerror(r));
		free(hit);
		return HF_EXIT_ERROR;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	hf_watch_get_stats(w, &st);
	if (!a->no_block && !st.gate_on)
		cli_err("warning: watch: opens cannot be held (fanotify permission events: %s); a fast encryptor "
			"may finish more files before it is stopped",
			hf_strerror(st.gate_err));
	if (st.unwatched_changed)
		unwatched_report(repo, a, &st);
	cli_err("watch: watching %zu path(s), %llu files known; action %s%s%s", a->np,
		(unsigned long long)st.files_known, action_names[a->action], a->dry_run ? " (dry run)" : "",
		st.gate_on ? "; opens held while a process is ahead of the judge" : "");
	memset(&status, 0, sizeof(status));
	status.dir = a->state_dir;
	status.paths = a->paths;
	status.npaths = a->np;
	status.action = action_names[a->action];
	status.dry_run = a->dry_run;
	status.started_ns = now_ns();
	while (!stop_requested) {
		struct pollfd p = {hf_watch_fd(w), POLLIN, 0};
		if (poll(&p, 1, 1000) < 0 && errno != EINTR) {
			cli_err("watch: poll: %s", strerror(errno));
			rc = HF_EXIT_ERROR;
			break;
		}
		while (!stop_requested && (r = hf_watch_step(w, hit)) > 0) {
			act(repo, a, hit, w, &status);
			status_at = 0; /* rewritten at once */
		}
		if (r < 0) {
			cli_err("watch: %s", hf_strerror(r));
			rc = HF_EXIT_ERROR;
			break;
		}
		hf_watch_get_stats(w, &st);
		if (time(NULL) - status_at >= WATCH_STATUS_EVERY_S) {
			int sr = watch_status_write(&status, &st);
			if (sr < 0 && !status_warned++)
				cli_err("warning: watch: cannot write the status in %s: %s", status.dir,
					hf_strerror(sr));
			status_at = time(NULL);
		}
		if (st.overflows != overflows) {
			cli_err("watch: the event queue overflowed (%llu time(s)): events were lost; every watched "
				"file was looked at again",
				(unsigned long long)st.overflows);
			overflows = st.overflows;
		}
		if (st.unattributed != unattributed) {
			cli_err("watch: %llu file(s) turned to ciphertext by a process that had exited before it could "
				"be identified (or found by a rescan)",
				(unsigned long long)st.unattributed);
			unattributed = st.unattributed;
		}
	}
	hf_watch_get_stats(w, &st);
	cli_err("watch: stopped: %llu events, %llu files judged, %llu overflows; opens: %llu answered, %llu held, "
		"%llu refused, %llu let through after the longest hold",
		(unsigned long long)st.events, (unsigned long long)st.judged, (unsigned long long)st.overflows,
		(unsigned long long)st.gate.opens, (unsigned long long)st.gate.held, (unsigned long long)st.gate.denied,
		(unsigned long long)st.gate.timeouts);
	hf_watch_close(w);
	free(hit);
	return rc;
}

static void watch_release(void *args)
{
	struct watch_args *a = args;

	for (size_t i = 0; i < a->np; i++)
		free(a->paths[i]);
	free(a->paths);
	hf_detect_free(a->sandbox_hold);
}

const struct cli_command cli_cmd_watch = {
	.name = "watch",
	.help = "watch paths in real time; freeze a process that encrypts files",
	.flags = CMD_OPEN_REPO | CMD_WRITE_ONLY_OK,
	.args_size = sizeof(struct watch_args),
	.parse = watch_parse,
	.run = watch_run,
	.release = watch_release,
};
