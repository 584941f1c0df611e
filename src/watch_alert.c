/* watch_alert.c — what holdfast watch does at an alert (watch_alert.h):
 * the signal first (a process stopped writes no more), the freezer, the
 * gate told to refuse or release the actor's held opens, then the immediate
 * backup, the alert mark, and the JSON document. */
#include <errno.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backup_alert.h"
#include "cli.h"
#include "repo/mark.h"
#include "scan/scan.h"
#include "util/err.h"
#include "util/mem.h"
#include "watch_alert.h"
#include "watch_stop.h"

const char *const watch_action_names[3] = {"freeze", "kill", "alert"};

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

static void write_doc(FILE *f, const struct watch_alert_conf *a, const struct hf_watch_hit *h,
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
	fprintf(f, "],\"action\":\"%s\",\"dry_run\":%s,\"signalled\":%s", watch_action_names[a->action],
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

/* the immediate backup of the watched paths, its scan, and a pin of the
 * snapshot it follows (the state before the alert) */
static void backup_now(struct hf_repo *repo, const struct watch_alert_conf *a, pid_t who, struct outcome *o)
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
	hf_repo_tree_cache_reset(repo); /* the scan's tree packs: not kept while the watcher waits */
	if (r < 0)
		cli_err("warning: watch: the immediate backup was saved but could not be scanned: %s", hf_strerror(r));
	if (o->verdict.pinned) {
		o->pinned = 1;
		memcpy(o->pinned_id, o->verdict.pinned_id, HF_ID_LEN);
	} else if (st.has_parent) {
		snprintf(reason, sizeof(reason), "holdfast watch: alert on process %d", (int)who);
		r = hf_pin_set(repo, st.parent, HF_MARK_PIN, reason, cli_now_ns(), &pr);
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
static void record_alert(struct hf_repo *repo, const struct watch_alert_conf *a, const struct hf_watch_hit *h,
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
	al.action = a->action == WATCH_ACT_KILL    ? HF_MARK_ALERT_KILL
		    : a->action == WATCH_ACT_ALERT ? HF_MARK_ALERT_ONLY
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
	m.time_ns = cli_now_ns();
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
static const char *stopped_what(const struct outcome *o, const struct watch_alert_conf *a)
{
	int kill = a->action == WATCH_ACT_KILL;

	if (o->target.pgid)
		return kill ? "process group killed" : "process group stopped";
	if (o->target.parent)
		return kill ? "the sessions' starter and its processes killed"
			    : "the sessions' starter and its processes stopped";
	return kill ? "process killed" : "process stopped";
}

/* the alert as the status file shows it */
static void status_alert(struct watch_status *s, const struct watch_alert_conf *a, const struct hf_watch_hit *h,
			 const struct hf_watch_procinfo *pi, const struct outcome *o)
{
	struct watch_status_alert sa;
	char hex[65];

	memset(&sa, 0, sizeof(sa));
	sa.time_ns = h->last_ns;
	snprintf(sa.actor, sizeof(sa.actor), "%s %d", hf_watch_by_name(h->by), (int)h->id);
	sa.pid = h->last.pid;
	snprintf(sa.exe, sizeof(sa.exe), "%s", pi->exe);
	snprintf(sa.action, sizeof(sa.action), "%s", a->dry_run ? "dry-run" : watch_action_names[a->action]);
	snprintf(sa.done, sizeof(sa.done), "%s%s",
		 o->signalled                                 ? stopped_what(o, a)
		 : a->dry_run || a->action == WATCH_ACT_ALERT ? "left running"
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

void watch_alert_act(struct hf_repo *repo, const struct watch_alert_conf *a, const struct hf_watch_hit *h,
		     struct hf_watch *w, struct watch_status *status)
{
	struct hf_watch_procinfo pi;
	struct outcome o;
	struct alert_doc d = {NULL, 0};
	int sig = a->action == WATCH_ACT_KILL ? SIGKILL : SIGSTOP;
	FILE *m;

	memset(&o, 0, sizeof(o));
	/* first the signal (a process stopped writes no more), then the rest:
	 * the process alone when it crossed by itself (an smbd child serving
	 * one client, not all of smbd), a parent with the processes it started,
	 * else the group (one process per file) */
	if (!a->dry_run && a->action != WATCH_ACT_ALERT) {
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
		h->originals_gone, h->notes, a->dry_run ? "dry run: nothing done" : watch_action_names[a->action],
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
void watch_alert_unwatched(struct hf_repo *repo, const struct watch_alert_conf *a, const struct hf_watch_stats *st)
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
