/* scan_follow.c — the trusted verifier, scan --follow (scan_follow.h). */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "backup_alert.h"
#include "cli.h"
#include "repo/mark.h"
#include "scan_follow.h"
#include "util/err.h"
#include "util/idmap.h"

/* what one judged snapshot comes to: the line printed and sent to --on-alert */
struct judged {
	const struct hf_snapshot *snap;
	const struct hf_backup_verdict *v;
};

static void put_judged(FILE *f, const void *arg)
{
	const struct judged *j = arg;
	const struct hf_snapshot *s = j->snap;
	char id[HF_ID_HEX_LEN + 1], t[64];

	cli_id_hex(s->id, id);
	fprintf(f, "{\"snapshot\": \"%s\", \"host\": ", id);
	cli_json_str(f, s->host);
	cli_time_str(s->time_ns, t, sizeof(t), 1);
	fprintf(f, ", \"time\": \"%s\"", t);
	if (s->stored_ns) {
		cli_time_str(s->stored_ns, t, sizeof(t), 1);
		fprintf(f, ", \"arrived\": \"%s\", \"sender\": ", t);
		cli_json_str(f, s->sender);
	}
	fprintf(f, ", \"flags\": ");
	cli_json_snap_flags(f, s->flags);
	fprintf(f, ", \"verdict\": \"%s\"", hf_mark_verdict_name(j->v->verdict)); /* the same numbers */
	fprintf(f, ", \"encrypted\": %llu, \"suspicious\": %llu, \"notes\": %llu", (unsigned long long)j->v->encrypted,
		(unsigned long long)j->v->suspicious, (unsigned long long)j->v->notes);
	if (j->v->pinned) {
		cli_id_hex(j->v->pinned_id, id);
		fprintf(f, ", \"pinned\": \"%s\"}\n", id);
	} else {
		fprintf(f, ", \"pinned\": null}\n");
	}
}

/* One pass over the snapshots: judges those without a full-key verdict,
 * oldest arrival first. *alerts counts the ones not clean or flagged. */
static int follow_round(struct hf_repo *repo, struct hf_idmap *seen, const struct follow_opts *o, size_t *alerts)
{
	struct hf_snapshot *all = NULL;
	struct hf_mark *marks = NULL;
	size_t n = 0, nmarks = 0;
	int r = hf_snapshot_list(repo, &all, &n, NULL);

	if (r == 0)
		r = hf_mark_list(repo, &marks, &nmarks, NULL);
	for (size_t i = 0; i < n && r == 0; i++) {
		const struct hf_mark *v = hf_marks_verdict_mark(marks, nmarks, all[i].id);
		struct hf_backup_verdict verdict;
		struct judged j = {&all[i], &verdict};
		if (hf_idmap_get(seen, all[i].id) || (v && v->authorized))
			continue;
		/* the scan's own alert (not clean) goes to --on-alert as after a
		 * backup; a clean but flagged snapshot gets this line there */
		r = verify_alert_run(repo, all[i].id, o->on_alert, &verdict);
		if (r < 0)
			break;
		put_judged(stdout, &j);
		fflush(stdout);
		if (verdict.verdict != HF_SNAP_CLEAN || all[i].flags) {
			++*alerts;
			if (o->on_alert && all[i].flags && verdict.verdict == HF_SNAP_CLEAN)
				alert_command_run(o->on_alert, put_judged, &j);
		}
		if (hf_idmap_put(seen, all[i].id, NULL, NULL) < 0)
			r = -ENOMEM;
	}
	hf_mark_list_free(marks, nmarks);
	hf_snapshot_list_free(all, n);
	return r;
}

int scan_follow(struct hf_repo *repo, const struct follow_opts *o)
{
	struct hf_idmap *seen = hf_idmap_new(0);
	struct timespec wait = {(time_t)o->interval_s, 0};
	sigset_t stop;
	size_t alerts = 0;
	int r;

	if (!seen) {
		cli_err("out of memory");
		return HF_EXIT_ERROR;
	}
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	if (!o->once)
		pthread_sigmask(SIG_BLOCK, &stop, NULL);
	for (;;) {
		r = follow_round(repo, seen, o, &alerts);
		if (r < 0) {
			cli_err("cannot judge the new snapshots: %s", hf_strerror(r));
			if (o->once)
				break;
		}
		if (o->once || sigtimedwait(&stop, NULL, &wait) >= 0)
			break;
	}
	hf_idmap_free(seen);
	if (r < 0 && o->once)
		return HF_EXIT_ERROR;
	return o->once && alerts ? HF_EXIT_ALERT : HF_EXIT_OK;
}
