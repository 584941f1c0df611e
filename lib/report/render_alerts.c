/* render_alerts.c — the watcher's alerts in the report's two renderings:
 * the JSON's "watch_alerts" (docs/REPORT.md) and the HTML's "Watcher
 * alerts" section, a table and, for each alert, an inline SVG of the events
 * on the watched paths per minute before it (no script: the page's CSP
 * forbids it). The executable's name comes from the mark, which anyone with
 * the write-only key can write: it is escaped like every repository string. */
#include <string.h>

#include "report/render_util.h"
#include "util/hex.h"

static const char *record_error(int err)
{
	return err == -HF_E_VERSION ? "alert record of a version this holdfast does not read"
				    : "malformed alert record";
}

void hf_report_alerts_json(const struct hf_report *rep, FILE *f)
{
	char id[HF_ID_HEX_LEN + 1];

	fputs(",\n  \"watch_alerts\": [", f);
	for (size_t i = 0; i < rep->nalerts; i++) {
		const struct hf_report_alert *a = &rep->alerts[i];
		const struct hf_mark_alert *x = &a->rec;
		hf_hex_encode(rep->snaps[a->snap].id, HF_ID_LEN, id);
		fprintf(f, "%s\n    {\"snapshot\": \"%s\", \"authenticated\": %s, \"in_range\": %s, \"marked\": ",
			i ? "," : "", id, a->authorized ? "true" : "false", a->in_range ? "true" : "false");
		report_json_time(f, a->marked_ns);
		if (a->err) {
			fputs(", \"error\": ", f);
			report_json_str(f, record_error(a->err));
			fputs("}", f);
			continue;
		}
		fputs(", \"time\": ", f);
		report_json_time(f, x->time_ns);
		fprintf(f, ", \"pid\": %d, \"exe\": ", (int)x->pid);
		report_json_str(f, x->exe);
		fprintf(f,
			", \"action\": \"%s\", \"signalled\": %s, \"backup\": \"%s\", \"files\": %u, \"encrypted\": "
			"%u, "
			"\"new_ciphertext\": %u, \"originals_deleted\": %u, \"notes\": %u, \"per_minute\": [",
			hf_mark_alert_action_name(x->action), x->signalled ? "true" : "false",
			x->backup_ok ? "immediate" : "failed", x->files, x->encrypted, x->new_ciphertext,
			x->originals_deleted, x->notes);
		for (uint32_t k = 0; k < x->nminutes; k++) {
			const struct hf_mark_alert_minute *m = &x->minutes[k];
			fputs(k ? ",\n      {\"minute\": " : "\n      {\"minute\": ", f);
			report_json_time(f, (x->first_minute + (int64_t)k) * 60000000000LL);
			fprintf(f, ", \"writes\": %u, \"renames\": %u, \"deletes\": %u, \"encrypted\": %u}", m->writes,
				m->renames, m->deletes, m->encrypted);
		}
		fputs("]}", f);
	}
	fputs(rep->nalerts ? "\n  ]" : "]", f);
}

/* the events of the minutes before one alert: writes, renames and deletes
 * stacked, the ciphertext beside them, the alert's minute marked */
static void minute_chart(const struct hf_mark_alert *x, size_t no, FILE *f)
{
	const int W = 960, H = 200, L = 50, B = 34, T = 16;
	static const char *const col[3] = {"#f5a623", "#9b59b6", "#999"};
	uint32_t max = 1;
	double bw;

	if (!x->nminutes)
		return;
	for (uint32_t k = 0; k < x->nminutes; k++) {
		const struct hf_mark_alert_minute *m = &x->minutes[k];
		uint64_t tot = (uint64_t)m->writes + m->renames + m->deletes;
		if (tot > max)
			max = tot > UINT32_MAX ? UINT32_MAX : (uint32_t)tot;
		if (m->encrypted > max)
			max = m->encrypted;
	}
	bw = (double)(W - L - 10) / (double)x->nminutes;
	fprintf(f,
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
		"role=\"img\" aria-label=\"watched file events per minute before alert %zu\">\n",
		W, H, W, H, no);
	fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#444\"/>\n", L, H - B, W - 10, H - B);
	fprintf(f,
		"<text x=\"4\" y=\"%d\" font-size=\"11\">%u</text><text x=\"4\" y=\"%d\" font-size=\"11\">0</text>\n",
		T + 10, max, H - B);
	for (uint32_t k = 0; k < x->nminutes; k++) {
		const struct hf_mark_alert_minute *m = &x->minutes[k];
		uint32_t v[3] = {m->writes, m->renames, m->deletes};
		double bx = L + bw * (double)k + bw * 0.15, w = bw * 0.35, y = H - B;
		char t[64];
		if (k + 1 == x->nminutes) /* the alert's minute */
			fprintf(f,
				"<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"#fdd\"/>"
				"<text x=\"%.1f\" y=\"%d\" font-size=\"10\" fill=\"#d0021b\">alert</text>\n",
				L + bw * (double)k, T - 6, bw, H - B - T + 6, bx, T + 2);
		for (int c = 0; c < 3; c++) {
			double h = (double)(H - B - T) * (double)v[c] / (double)max;
			if (v[c]) {
				y -= h;
				fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"/>\n",
					bx, y, w, h, col[c]);
			}
		}
		if (m->encrypted) {
			double h = (double)(H - B - T) * (double)m->encrypted / (double)max;
			fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#d0021b\"/>\n",
				bx + w, H - B - h, w, h);
		}
		report_time_str((x->first_minute + (int64_t)k) * 60000000000LL, t, sizeof(t));
		/* HH:MM of "YYYY-MM-DDTHH:MM:SSZ" */
		fprintf(f, "<text x=\"%.1f\" y=\"%d\" font-size=\"10\">%.5s</text>\n", bx, H - B + 14,
			strlen(t) >= 16 ? t + 11 : t);
	}
	fputs("</svg>\n", f);
}

void hf_report_alerts_html(const struct hf_report *rep, FILE *f)
{
	char t[64], id[HF_ID_HEX_LEN + 1];

	fputs("<h2 id=\"watch\">Watcher alerts</h2>\n", f);
	if (!rep->nalerts) {
		fputs("<p>No alert of <code>holdfast watch</code> is recorded on these backups.</p>\n", f);
		return;
	}
	fputs("<table>\n<tr><th>Alert</th><th>Time</th><th>Process</th><th>Action</th><th>File events</th>"
	      "<th>Snapshot</th><th>Record</th></tr>\n",
	      f);
	for (size_t i = 0; i < rep->nalerts; i++) {
		const struct hf_report_alert *a = &rep->alerts[i];
		const struct hf_mark_alert *x = &a->rec;
		hf_hex_encode(rep->snaps[a->snap].id, HF_ID_LEN, id);
		fprintf(f, "<tr><td class=\"n\">%zu</td>", i + 1);
		if (a->err) {
			report_time_str(a->marked_ns, t, sizeof(t));
			fprintf(f, "<td>%s (marked)</td><td colspan=\"3\">%s</td>", t, record_error(a->err));
		} else {
			report_time_str(x->time_ns, t, sizeof(t));
			fprintf(f, "<td>%s</td><td>pid %d <code>", t, (int)x->pid);
			report_html_str(f, x->exe[0] ? x->exe : "(unknown)");
			fprintf(f, "</code></td><td>%s%s</td>", hf_mark_alert_action_name(x->action),
				x->action == HF_MARK_ALERT_ONLY ? " (left running)"
				: x->signalled ? (x->action == HF_MARK_ALERT_KILL ? ": killed" : ": stopped")
					       : ": the signal failed");
			fprintf(f, "<td>%u: %u encrypted, %u new ciphertext, %u originals deleted, %u notes</td>",
				x->files, x->encrypted, x->new_ciphertext, x->originals_deleted, x->notes);
		}
		fprintf(f, "<td><code>%.8s</code>%s</td><td>%s%s</td></tr>\n", id,
			!a->err && !x->backup_ok ? " (the immediate backup failed: the one before)" : "",
			a->authorized ? "signed with the full key"
				      : "written with a write-only key (not authenticated)",
			a->in_range ? "" : "; before --since");
	}
	fputs("</table>\n", f);
	for (size_t i = 0; i < rep->nalerts; i++) {
		const struct hf_report_alert *a = &rep->alerts[i];
		if (a->err || !a->rec.nminutes)
			continue;
		fprintf(f, "<h3>Alert %zu: file events on the watched paths per minute</h3>\n", i + 1);
		minute_chart(&a->rec, i + 1, f);
	}
	fputs("<p>Bars per minute (UTC), every process: <span style=\"color:#f5a623\">files written</span>, "
	      "<span style=\"color:#9b59b6\">renamed</span>, <span style=\"color:#999\">deleted</span> (stacked); "
	      "<span style=\"color:#d0021b\">judged ciphertext</span> beside them; the alert's minute shaded.</p>\n",
	      f);
}
