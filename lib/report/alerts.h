/* alerts.h — the watcher's alerts in the incident report: the alert marks
 * (repo/mark.h, kind 5) of the history's snapshots, gathered by alerts.c
 * and rendered by render_alerts.c (a "Watcher alerts" section with a
 * per-minute chart, and the JSON's "watch_alerts"). */
#ifndef HF_REPORT_ALERTS_H
#define HF_REPORT_ALERTS_H

#include <stdio.h>

#include "repo/mark.h"

struct hf_report;

struct hf_report_alert {
	struct hf_mark_alert rec; /* zeroed when err */
	int err;                  /* 0, or why the record could not be read (-HF_E_VERSION, -HF_E_CORRUPT) */
	int authorized;           /* the full key signed the mark (else a write-only key wrote it, or anyone) */
	int64_t marked_ns;        /* the mark's time */
	size_t snap;              /* the snapshot it is on, an index in the report's snaps */
	int in_range;             /* the alert at or after --since */
};

/* Reads the alert marks of the report's history into rep->alerts (by time)
 * and makes the earliest readable one in range the detection when it is
 * earlier than the one the report has. 0 or an error. */
int hf_report_alerts_gather(struct hf_repo *r, struct hf_report *rep);
void hf_report_alerts_release(struct hf_report *rep);

/* render_alerts.c: ",\n  \"watch_alerts\": [...]" and the HTML section */
void hf_report_alerts_json(const struct hf_report *rep, FILE *f);
void hf_report_alerts_html(const struct hf_report *rep, FILE *f);

#endif
