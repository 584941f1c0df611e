/* alerts.c — the watcher's alerts of one backup history: every alert mark
 * (repo/mark.h, kind 5) on a snapshot of the report's chain, its record
 * parsed (a record that cannot be read is kept with the reason, never
 * dropped quietly: a write-only key can write anything), and the detection
 * moved to the earliest readable alert when it is earlier than the scan's. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/report.h"
#include "util/err.h"

static int by_time(const void *a, const void *b)
{
	const struct hf_report_alert *x = a, *y = b;
	int64_t tx = x->err ? x->marked_ns : x->rec.time_ns, ty = y->err ? y->marked_ns : y->rec.time_ns;

	return tx < ty ? -1 : tx > ty;
}

/* the earliest readable alert in range becomes the detection if earlier */
static int detection(struct hf_report *rep)
{
	const struct hf_report_alert *first = NULL;
	char how[512], *s;

	for (size_t i = 0; i < rep->nalerts && !first; i++)
		if (!rep->alerts[i].err && rep->alerts[i].in_range)
			first = &rep->alerts[i];
	if (!first || (rep->detected && rep->detected_ns <= first->rec.time_ns))
		return 0;
	snprintf(how, sizeof(how), "holdfast watch (process %d %s, %s)%s", (int)first->rec.pid,
		 first->rec.exe[0] ? first->rec.exe : "(executable unknown)",
		 hf_mark_alert_action_name(first->rec.action),
		 first->authorized ? "" : " (alert mark written with a write-only key)");
	s = strdup(how);
	if (!s)
		return -ENOMEM;
	free(rep->detected_how);
	rep->detected_how = s;
	rep->detected = 1;
	rep->detected_ns = first->rec.time_ns;
	return 0;
}

int hf_report_alerts_gather(struct hf_repo *r, struct hf_report *rep)
{
	struct hf_mark *m = NULL;
	size_t n = 0, cap = 0;
	int ret = hf_mark_list(r, &m, &n, NULL);

	if (ret < 0)
		return ret;
	for (size_t i = 0; i < n; i++) {
		struct hf_report_alert *a;
		size_t k;
		if (m[i].kind != HF_MARK_ALERT)
			continue;
		for (k = 0; k < rep->nsnaps && memcmp(rep->snaps[k].id, m[i].snapshot, HF_ID_LEN) != 0; k++)
			;
		if (k == rep->nsnaps)
			continue; /* another history's */
		if (rep->nalerts == cap) {
			size_t nc = cap ? cap * 2 : 8;
			void *p = reallocarray(rep->alerts, nc, sizeof(*rep->alerts));
			if (!p) {
				ret = -ENOMEM;
				break;
			}
			rep->alerts = p;
			cap = nc;
		}
		a = &rep->alerts[rep->nalerts++];
		memset(a, 0, sizeof(*a));
		a->err = hf_mark_alert_parse(m[i].reason, &a->rec);
		a->authorized = m[i].authorized;
		a->marked_ns = m[i].time_ns;
		a->snap = k;
		a->in_range = (a->err ? a->marked_ns : a->rec.time_ns) >= rep->since_ns;
	}
	hf_mark_list_free(m, n);
	if (ret == 0 && rep->nalerts) {
		qsort(rep->alerts, rep->nalerts, sizeof(*rep->alerts), by_time);
		ret = detection(rep);
	}
	return ret;
}

void hf_report_alerts_release(struct hf_report *rep)
{
	free(rep->alerts);
	rep->alerts = NULL;
	rep->nalerts = 0;
}
