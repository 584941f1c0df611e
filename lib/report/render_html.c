/* render_html.c — the report as one self-contained HTML page: inline CSS
 * (printable), an inline SVG chart, tables, no script, and a
 * Content-Security-Policy that forbids every load. */
#include <errno.h>
#include <string.h>

#include "report/alerts.h"
#include "report/gdpr.h"
#include "report/render_util.h"

static const char css[] =
	"body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222;max-width:1100px}"
	"h1{font-size:1.6em}h2{border-bottom:2px solid #ccc;margin-top:1.6em}"
	"table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #bbb;padding:.2em .5em;text-align:left;"
	"vertical-align:top}th{background:#eee}td.n{text-align:right}"
	".attack{background:#fdd;border:2px solid #c00;padding:.6em}.clean{background:#dfd;border:2px solid #0a0;"
	"padding:.6em}pre{white-space:pre-wrap;background:#f6f6f6;border:1px solid #ccc;padding:.5em;"
	"word-break:break-all}code{word-break:break-all}"
	"@media print{body{margin:0}h2{page-break-after:avoid}table,pre{page-break-inside:avoid}}";

static void chart(const struct hf_report *rep, FILE *f)
{
	const int W = 960, H = 260, L = 50, B = 40, T = 20;
	uint64_t max = 1;
	size_t n = rep->nsnaps;
	double bw;

	for (size_t k = 0; k < n; k++) {
		const struct hf_scan_summary *s = &rep->snaps[k].sum;
		uint64_t tot = s->added + s->modified + s->deleted + s->renamed;
		if (tot > max)
			max = tot;
	}
	bw = n ? (double)(W - L - 10) / (double)n : 1;
	fprintf(f,
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
		"role=\"img\" aria-label=\"changes per backup\">\n",
		W, H, W, H);
	fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#444\"/>\n", L, H - B, W - 10, H - B);
	fprintf(f,
		"<text x=\"4\" y=\"%d\" font-size=\"11\">%llu</text><text x=\"4\" y=\"%d\" font-size=\"11\">0</text>\n",
		T + 10, (unsigned long long)max, H - B);
	for (size_t k = 0; k < n; k++) {
		const struct hf_report_snap *s = &rep->snaps[k];
		static const char *const col[4] = {"#4a90d9", "#f5a623", "#999", "#9b59b6"};
		uint64_t v[4] = {s->sum.added, s->sum.modified, s->sum.deleted, s->sum.renamed};
		double x = L + bw * (double)k + bw * 0.15, w = bw * 0.35, y = H - B;
		char t[64], id[HF_ID_HEX_LEN + 1];
		for (int c = 0; c < 4; c++) {
			double h = (double)(H - B - T) * (double)v[c] / (double)max;
			if (v[c]) {
				y -= h;
				fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"/>\n",
					x, y, w, h, col[c]);
			}
		}
		if (s->sum.encrypted) {
			double h = (double)(H - B - T) * (double)s->sum.encrypted / (double)max;
			fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#d0021b\"/>\n",
				x + w, H - B - h, w, h);
		}
		if (s->verdict != HF_SNAP_CLEAN)
			fprintf(f, "<circle cx=\"%.1f\" cy=\"%d\" r=\"6\" fill=\"%s\"/>\n", x + w, T - 8 + 6,
				s->verdict == HF_SNAP_ATTACK ? "#d0021b" : "#f5a623");
		report_id_hex(s->id, id);
		report_time_str(s->time_ns, t, sizeof(t));
		fprintf(f, "<text x=\"%.1f\" y=\"%d\" font-size=\"10\">%.8s</text>\n", x, H - B + 14, id);
		fprintf(f, "<text x=\"%.1f\" y=\"%d\" font-size=\"9\">%.16s</text>\n", x, H - B + 26, t);
	}
	fputs("</svg>\n<p>Bars per backup: <span style=\"color:#4a90d9\">new</span>, "
	      "<span style=\"color:#f5a623\">modified</span>, <span style=\"color:#999\">deleted</span>, "
	      "<span style=\"color:#9b59b6\">renamed</span> (stacked); <span style=\"color:#d0021b\">judged "
	      "encrypted</span> beside them; a dot above a backup the scan called an attack (red) or suspicious "
	      "(orange).</p>\n",
	      f);
}

static void duration(FILE *f, uint64_t s)
{
	if (s < 120)
		fprintf(f, "about %llu s", (unsigned long long)s);
	else if (s < 7200)
		fprintf(f, "about %llu min", (unsigned long long)((s + 30) / 60));
	else
		fprintf(f, "about %llu h %llu min", (unsigned long long)(s / 3600),
			(unsigned long long)(s % 3600 / 60));
}

static void list_items(FILE *f, unsigned bits, int count, const char *(*text)(int))
{
	fputs("<ul>", f);
	for (int i = 0; i < count; i++)
		if (bits & 1u << i) {
			fputs("<li>", f);
			report_html_str(f, text(i));
			fputs("</li>", f);
		}
	fputs("</ul>", f);
}

/* the facts of a GDPR Art. 33 notification (gdpr.h) */
static void gdpr_html(const struct hf_report *rep, FILE *f)
{
	struct hf_report_gdpr g;
	unsigned cats = 0;
	char t[64];

	hf_report_gdpr(rep, &g);
	for (int c = 0; c < HF_PII_COUNT; c++)
		if (hf_pii_distinct(&rep->pii, c))
			cats |= 1u << c;
	fputs("<h2 id=\"gdpr\">GDPR Art. 33: the facts of a notification</h2>\n", f);
	if (!g.applies) {
		fputs("<p>No attack reached personal data that this report counted: nothing to notify on this "
		      "evidence.</p>\n",
		      f);
		return;
	}
	fputs("<p>Filled in from the backups; a person fills in the rest.</p>\n<table>\n<tr><th>Aware since (the "
	      "detection)</th>",
	      f);
	report_td_time(f, g.aware_ns);
	fputs("</tr>\n<tr><th>Notify the supervisory authority by (72 hours)</th>", f);
	if (g.notify_by_ns) {
		report_time_str(g.notify_by_ns, t, sizeof(t));
		fprintf(f, "<td><strong>%s</strong></td>", t);
	} else {
		fputs("<td>-</td>", f);
	}
	fprintf(f, "</tr>\n<tr><th>Nature</th><td>ransomware: %zu file(s) encrypted on ", rep->nfiles);
	report_html_str(f, rep->host);
	fprintf(f, " in %zu director%s (the scope above)</td></tr>\n<tr><th>Categories of personal data</th><td>",
		rep->ndirs, rep->ndirs == 1 ? "y" : "ies");
	list_items(f, cats, HF_PII_COUNT, hf_gdpr_category_text);
	fprintf(f,
		"</td></tr>\n<tr><th>Records (distinct values), at least</th><td class=\"n\">%llu</td></tr>\n"
		"<tr><th>Data subjects, at least (the most distinct values of one identifier)</th>"
		"<td class=\"n\">%llu</td></tr>\n<tr><th>Special categories (Art. 9)</th><td>%s</td></tr>\n"
		"<tr><th>Likely consequences</th><td>",
		(unsigned long long)g.records, (unsigned long long)g.subjects,
		g.special ? "<strong>yes: health data</strong>" : "none found");
	list_items(f, g.consequences, HF_GDPR_CONSEQUENCE_COUNT, hf_gdpr_consequence_text);
	fputs("</td></tr>\n<tr><th>Measures taken</th><td>", f);
	list_items(f, g.measures, HF_GDPR_MEASURE_COUNT, hf_gdpr_measure_text);
	fputs("</td></tr>\n<tr><th>To fill in</th><td>", f);
	list_items(f, (1u << HF_GDPR_UNKNOWN_COUNT) - 1, HF_GDPR_UNKNOWN_COUNT, hf_gdpr_unknown_text);
	fputs("</td></tr>\n</table>\n", f);
}

int hf_report_write_html(const struct hf_report *rep, FILE *f)
{
	char t[64], id[HF_ID_HEX_LEN + 1], cmd[4608];

	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
	      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
	      "img-src data:\">\n<title>holdfast incident report</title>\n<style>",
	      f);
	fputs(css, f);
	fputs("</style></head><body>\n<h1>Incident report: ", f);
	report_html_str(f, rep->host);
	report_time_str(rep->made_ns, t, sizeof(t));
	fprintf(f, "</h1>\n<p>Made %s by holdfast report from the backups of ", t);
	for (size_t i = 0; i < rep->npaths; i++) {
		fputs(i ? ", <code>" : "<code>", f);
		report_html_str(f, rep->paths[i]);
		fputs("</code>", f);
	}
	fputs(".</p>\n<h2 id=\"summary\">Summary</h2>\n", f);
	if (rep->attack)
		fputs("<p class=\"attack\"><strong>Attack: yes.</strong> The scan judged files encrypted by "
		      "ransomware.</p>\n",
		      f);
	else
		fprintf(f,
			"<p class=\"clean\"><strong>Attack: no.</strong> No backup in range was judged an "
			"attack%s.</p>\n",
			rep->suspicious ? " (some were suspicious: see the timeline)" : "");
	fputs("<table>\n<tr><th>Earliest encrypted version, by its mtime</th>", f);
	report_td_time(f, rep->first_mtime_ns);
	fputs("</tr>\n<tr><th>Earliest encrypted version, by its ctime</th>", f);
	report_td_time(f, rep->first_ctime_ns);
	fputs("</tr>\n<tr><th>First backup holding an encrypted version</th>", f);
	if (rep->nfiles) {
		report_id_hex(rep->snaps[rep->first_snap].id, id);
		report_time_str(rep->snaps[rep->first_snap].time_ns, t, sizeof(t));
		fprintf(f, "<td>%.8s at %s</td>", id, t);
	} else {
		fputs("<td>-</td>", f);
	}
	fputs("</tr>\n<tr><th>Detected</th><td>", f);
	if (rep->detected) {
		report_time_str(rep->detected_ns, t, sizeof(t));
		fprintf(f, "%s: ", t);
		report_html_str(f, rep->detected_how);
	} else {
		fputs("-", f);
	}
	fputs("</td></tr>\n<tr><th>Hosts hit</th><td>", f);
	if (rep->nfiles)
		report_html_str(f, rep->host);
	else
		fputs("-", f);
	fprintf(f, "</td></tr>\n<tr><th>Files encrypted</th><td class=\"n\">%zu</td></tr>\n", rep->nfiles);
	fprintf(f, "<tr><th>Bytes encrypted</th><td class=\"n\">%llu</td></tr>\n",
		(unsigned long long)rep->bytes_encrypted);
	fprintf(f, "<tr><th>Files never clean (lost)</th><td class=\"n\">%llu</td></tr>\n",
		(unsigned long long)rep->never_clean);
	fprintf(f, "<tr><th>Ransom notes</th><td class=\"n\">%zu</td></tr>\n</table>\n", rep->nnotes);

	fputs("<h2 id=\"timeline\">Timeline</h2>\n", f);
	chart(rep, f);
	fputs("<table>\n<tr><th>Snapshot</th><th>Backup time</th><th>Verdict</th><th>Files</th><th>New</th>"
	      "<th>Modified</th><th>Deleted</th><th>Renamed</th><th>Encrypted</th><th>Notes</th></tr>\n",
	      f);
	for (size_t k = 0; k < rep->nsnaps; k++) {
		const struct hf_report_snap *s = &rep->snaps[k];
		report_id_hex(s->id, id);
		fprintf(f, "<tr><td><code>%.8s</code></td>", id);
		report_td_time(f, s->time_ns);
		fprintf(f, "<td>%s</td>", hf_snap_verdict_name(s->verdict));
		report_td_num(f, s->sum.files);
		report_td_num(f, s->sum.added);
		report_td_num(f, s->sum.modified);
		report_td_num(f, s->sum.deleted);
		report_td_num(f, s->sum.renamed);
		report_td_num(f, s->sum.encrypted);
		report_td_num(f, s->sum.notes);
		fputs("</tr>\n", f);
	}
	fputs("</table>\n", f);
	hf_report_alerts_html(rep, f);
	fputs("<h2 id=\"scope\">Scope</h2>\n<table>\n<tr><th>Directory</th><th>Encrypted files</th>"
	      "<th>Bytes</th><th>Types (of the originals)</th></tr>\n",
	      f);
	for (size_t i = 0; i < rep->ndirs; i++) {
		fputs("<tr><td><code>", f);
		report_html_str(f, rep->dirs[i].path);
		fputs("</code></td>", f);
		report_td_num(f, rep->dirs[i].files);
		report_td_num(f, rep->dirs[i].bytes);
		fputs("<td>", f);
		report_html_str(f, rep->dirs[i].types);
		fputs("</td></tr>\n", f);
	}
	fputs("</table>\n<p>Extensions the attack gave files: ", f);
	if (!rep->nexts)
		fputs("none", f);
	for (size_t i = 0; i < rep->nexts; i++) {
		fputs(i ? ", <code>" : "<code>", f);
		report_html_str(f, rep->exts[i].ext);
		fprintf(f, "</code> (%llu)", (unsigned long long)rep->exts[i].files);
	}
	fputs(".</p>\n<h3>Encrypted files</h3>\n<table>\n<tr><th>File</th><th>Was</th><th>Bytes</th><th>Backup</th>"
	      "<th>mtime</th><th>Clean version</th></tr>\n",
	      f);
	for (size_t i = 0; i < rep->nfiles && i < HF_REPORT_HTML_FILES; i++) {
		const struct hf_report_file *fl = &rep->files[i];
		fputs("<tr><td><code>", f);
		report_html_str(f, fl->path);
		fputs("</code></td><td><code>", f);
		if (strcmp(fl->orig, fl->path) != 0)
			report_html_str(f, fl->orig);
		fputs("</code></td>", f);
		report_td_num(f, fl->size);
		report_id_hex(rep->snaps[fl->snap].id, id);
		fprintf(f, "<td><code>%.8s</code></td>", id);
		report_td_time(f, fl->mtime_ns);
		fprintf(f, "<td>%s</td></tr>\n", fl->has_clean ? "yes" : "<strong>none (lost)</strong>");
	}
	fputs("</table>\n", f);
	if (rep->nfiles > HF_REPORT_HTML_FILES)
		fprintf(f, "<p>And %zu more: every file is in the JSON report.</p>\n",
			rep->nfiles - HF_REPORT_HTML_FILES);
	fputs("<h2 id=\"notes\">Ransom notes</h2>\n", f);
	if (!rep->nnotes)
		fputs("<p>None found.</p>\n", f);
	for (size_t i = 0; i < rep->nnotes; i++) {
		const struct hf_report_note *n = &rep->notes[i];
		size_t shown = 0;
		if (!n->copies)
			continue; /* shown with the first note of its text */
		report_id_hex(rep->snaps[n->snap].id, id);
		fputs("<h3><code>", f);
		report_html_str(f, n->path);
		fprintf(f, "</code> (snapshot %.8s)</h3>\n<table>\n", id);
		if (n->copies > 1) {
			fprintf(f, "<tr><th>the same text in</th><td>%zu files:", n->copies);
			for (size_t j = n->next_copy; j != HF_REPORT_END && shown < HF_REPORT_NOTE_PATHS;
			     j = rep->notes[j].next_copy, shown++) {
				fputs(" <code>", f);
				report_html_str(f, rep->notes[j].path);
				fputs("</code>", f);
			}
			fprintf(f, "%s</td></tr>\n",
				n->copies - 1 > shown ? " and more (every path is in the JSON)" : "");
		}
		for (int kind = 0; kind < HF_NOTE_KIND_COUNT; kind++) {
			if (!report_note_items(n, kind))
				continue;
			fprintf(f, "<tr><th>%s</th><td>", hf_note_kind_name(kind));
			for (size_t j = 0, first = 1; j < n->nitems; j++)
				if (n->items[j].kind == kind) {
					fputs(first ? "<code>" : "<br><code>", f);
					report_html_str(f, n->items[j].value);
					fputs("</code>", f);
					first = 0;
				}
			fputs("</td></tr>\n", f);
		}
		fputs("</table>\n<pre>", f);
		report_html_strn(f, n->text ? n->text : "", n->len);
		fprintf(f, "%s</pre>\n", n->truncated ? "\n[truncated]" : "");
	}
	fprintf(f,
		"<h2 id=\"personal\">Personal data at risk</h2>\n<p>Counted in the last clean version of each "
		"encrypted file%s: %llu file(s) read as text, %llu not read (no text this version reads). Values "
		"are counted, never shown.</p>\n"
		"<table>\n<tr><th>Category</th><th>Files</th><th>Distinct values</th></tr>\n",
		rep->pii_all ? " and in every other file of the directories hit (--all)" : "",
		(unsigned long long)rep->pii.files_read, (unsigned long long)rep->pii_files_skipped);
	for (int c = 0; c < HF_PII_COUNT; c++) {
		fprintf(f, "<tr><td>%s</td>", hf_pii_cat_name(c));
		report_td_num(f, rep->pii.files[c]);
		report_td_num(f, hf_pii_distinct(&rep->pii, c));
		fputs("</tr>\n", f);
	}
	fputs("</table>\n", f);
	gdpr_html(rep, f);
	report_recovery_command(rep, cmd, sizeof(cmd));
	fprintf(f,
		"<h2 id=\"recovery\">Recovery plan</h2>\n<table>\n"
		"<tr><th>Files from the newest snapshot</th><td class=\"n\">%llu</td></tr>\n"
		"<tr><th>Files from older snapshots (their last clean version)</th><td class=\"n\">%llu</td></tr>\n"
		"<tr><th>Files left out (ransom notes, never clean)</th><td class=\"n\">%llu</td></tr>\n"
		"<tr><th>Bytes of the clean versions of the encrypted files</th><td class=\"n\">%llu</td></tr>\n"
		"<tr><th>Source snapshots</th><td>",
		(unsigned long long)rep->recovery.from_newest, (unsigned long long)rep->recovery.from_older,
		(unsigned long long)rep->recovery.skipped, (unsigned long long)rep->recovery.bytes);
	for (size_t k = 0, first = 1; k < rep->nsnaps; k++)
		if (rep->snaps[k].restore_source) {
			report_id_hex(rep->snaps[k].id, id);
			fprintf(f, "%s<code>%.8s</code>", first ? "" : ", ", id);
			first = 0;
		}
	fputs("</td></tr>\n<tr><th>To restore (about)</th>", f);
	report_td_num(f, rep->recovery.restore_bytes);
	fputs("</tr>\n<tr><th>Estimated time</th><td>", f);
	if (rep->recovery.speed) {
		duration(f, rep->recovery.seconds);
		fprintf(f,
			" at %.1f MB/s, the speed this report read file contents from the repository (decrypt, "
			"decompress, verify); writing the files adds the target disk's time",
			(double)rep->recovery.speed / 1e6);
	} else {
		fputs("not measured: this report read too little from the repository", f);
	}
	fputs("</td></tr>\n</table>\n<p>The command (on a clean host, into an empty directory):</p>\n<pre>", f);
	report_html_str(f, cmd);
	fputs("</pre>\n</body></html>\n", f);
	return ferror(f) ? -EIO : 0;
}
