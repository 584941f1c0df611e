/* render.c — the report's two renderings: a JSON document (schema in
 * docs/REPORT.md) and one self-contained HTML page (inline CSS, an inline
 * SVG chart, no script, a Content-Security-Policy that forbids every load).
 * Every string that comes from the repository — file names, note text —
 * is escaped for its context; bytes that are not UTF-8 become U+FFFD. */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "report/report.h"
#include "util/hex.h"

/* the length of the valid UTF-8 sequence at s (1-4), or 0 */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t l;
	uint32_t c;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		l = 2, c = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		l = 3, c = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		l = 4, c = s[0] & 0x07;
	else
		return 0;
	if (l > n)
		return 0;
	for (size_t i = 1; i < l; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if ((l == 3 && c < 0x800) || (l == 4 && (c < 0x10000 || c > 0x10ffff)) || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	return l;
}

static void json_strn(FILE *f, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;

	fputc('"', f);
	for (size_t i = 0; i < n;) {
		size_t l = utf8_len(p + i, n - i);
		if (l == 0) {
			fputs("\\ufffd", f);
			i++;
		} else if (l > 1) {
			fwrite(p + i, 1, l, f);
			i += l;
		} else {
			unsigned char c = p[i++];
			if (c == '"' || c == '\\')
				fprintf(f, "\\%c", c);
			else if (c == '\n')
				fputs("\\n", f);
			else if (c < 0x20 || c == 0x7f)
				fprintf(f, "\\u%04x", c);
			else
				fputc(c, f);
		}
	}
	fputc('"', f);
}

static void json_str(FILE *f, const char *s)
{
	json_strn(f, s, strlen(s));
}

static void html_strn(FILE *f, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;

	for (size_t i = 0; i < n;) {
		size_t l = utf8_len(p + i, n - i);
		if (l == 0) {
			fputs("&#xfffd;", f);
			i++;
		} else if (l > 1) {
			fwrite(p + i, 1, l, f);
			i += l;
		} else {
			unsigned char c = p[i++];
			switch (c) {
			case '&':
				fputs("&amp;", f);
				break;
			case '<':
				fputs("&lt;", f);
				break;
			case '>':
				fputs("&gt;", f);
				break;
			case '"':
				fputs("&quot;", f);
				break;
			case '\'':
				fputs("&#39;", f);
				break;
			case '\n':
			case '\t':
				fputc(c, f);
				break;
			default:
				if (c < 0x20 || c == 0x7f)
					fputs("&#xfffd;", f);
				else
					fputc(c, f);
			}
		}
	}
}

static void html_str(FILE *f, const char *s)
{
	html_strn(f, s, strlen(s));
}

static void time_str(int64_t ns, char *out, size_t cap)
{
	time_t t = (time_t)(ns / 1000000000);
	struct tm tm;

	if (!gmtime_r(&t, &tm) || !strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(out, cap, "?");
}

static void json_time(FILE *f, int64_t ns)
{
	char t[64];

	if (!ns) {
		fputs("null", f);
		return;
	}
	time_str(ns, t, sizeof(t));
	fprintf(f, "\"%s\"", t);
}

static void id_hex(const uint8_t *id, char *out)
{
	hf_hex_encode(id, HF_ID_LEN, out);
}

static void recovery_command(const struct hf_report *rep, char *out, size_t cap)
{
	/* the repository path is quoted for a POSIX shell */
	size_t k = 0;
	const char *pre = "holdfast restore --repo '";

	k = (size_t)snprintf(out, cap, "%s", pre);
	for (const char *p = rep->repo; *p && k + 8 < cap; p++) {
		if (*p == '\'') {
			memcpy(out + k, "'\\''", 4);
			k += 4;
		} else {
			out[k++] = *p;
		}
	}
	snprintf(out + k, cap - k, "' --last-clean --before %.8s --target /srv/restore", rep->recovery.newest_id);
}

static uint64_t note_items(const struct hf_report_note *n, int kind)
{
	uint64_t c = 0;

	for (size_t i = 0; i < n->nitems; i++)
		c += n->items[i].kind == kind;
	return c;
}

int hf_report_write_json(const struct hf_report *rep, FILE *f)
{
	char id[HF_ID_HEX_LEN + 1], cmd[4608];

	fputs("{\n  \"holdfast_report\": 1,\n  \"made\": ", f);
	json_time(f, rep->made_ns);
	fputs(",\n  \"host\": ", f);
	json_str(f, rep->host);
	fputs(",\n  \"paths\": [", f);
	for (size_t i = 0; i < rep->npaths; i++) {
		fputs(i ? ", " : "", f);
		json_str(f, rep->paths[i]);
	}
	fputs("],\n  \"since\": ", f);
	json_time(f, rep->since_ns);
	fprintf(f, ",\n  \"summary\": {\n    \"attack\": %s,\n    \"suspicious\": %s,\n    \"first_encrypted_mtime\": ",
		rep->attack ? "true" : "false", rep->suspicious ? "true" : "false");
	json_time(f, rep->first_mtime_ns);
	fputs(",\n    \"first_encrypted_ctime\": ", f);
	json_time(f, rep->first_ctime_ns);
	fputs(",\n    \"first_encrypted_backup\": ", f);
	if (rep->nfiles) {
		id_hex(rep->snaps[rep->first_snap].id, id);
		fprintf(f, "{\"snapshot\": \"%s\", \"time\": ", id);
		json_time(f, rep->snaps[rep->first_snap].time_ns);
		fputs("}", f);
	} else {
		fputs("null", f);
	}
	fputs(",\n    \"detected\": ", f);
	if (rep->detected) {
		fputs("{\"time\": ", f);
		json_time(f, rep->detected_ns);
		fputs(", \"how\": ", f);
		json_str(f, rep->detected_how);
		fputs("}", f);
	} else {
		fputs("null", f);
	}
	fprintf(f,
		",\n    \"files_encrypted\": %zu,\n    \"bytes_encrypted\": %llu,\n    \"files_never_clean\": %llu,\n"
		"    \"ransom_notes\": %zu,\n    \"hosts\": [",
		rep->nfiles, (unsigned long long)rep->bytes_encrypted, (unsigned long long)rep->never_clean,
		rep->nnotes);
	if (rep->nfiles)
		json_str(f, rep->host);
	fputs("],\n    \"directories_hit\": [", f);
	for (size_t i = 0; i < rep->ndirs; i++) {
		fputs(i ? ", " : "", f);
		json_str(f, rep->dirs[i].path);
	}
	fputs("]\n  },\n  \"timeline\": [", f);
	for (size_t k = 0; k < rep->nsnaps; k++) {
		const struct hf_report_snap *s = &rep->snaps[k];
		id_hex(s->id, id);
		fprintf(f, "%s\n    {\"snapshot\": \"%s\", \"time\": ", k ? "," : "", id);
		json_time(f, s->time_ns);
		fprintf(f,
			", \"verdict\": \"%s\", \"in_range\": %s, \"files\": %llu, \"new\": %llu, \"modified\": %llu, "
			"\"deleted\": %llu, \"renamed\": %llu, \"encrypted\": %llu, \"suspicious\": %llu, \"notes\": "
			"%llu, "
			"\"bytes_encrypted\": %llu, \"restore_source\": %s}",
			hf_snap_verdict_name(s->verdict), s->in_range ? "true" : "false",
			(unsigned long long)s->sum.files, (unsigned long long)s->sum.added,
			(unsigned long long)s->sum.modified, (unsigned long long)s->sum.deleted,
			(unsigned long long)s->sum.renamed, (unsigned long long)s->sum.encrypted,
			(unsigned long long)s->sum.suspicious, (unsigned long long)s->sum.notes,
			(unsigned long long)s->bytes_encrypted, s->restore_source ? "true" : "false");
	}
	fputs("\n  ],\n  \"scope\": {\n    \"directories\": [", f);
	for (size_t i = 0; i < rep->ndirs; i++) {
		fputs(i ? ",\n      " : "\n      ", f);
		fputs("{\"path\": ", f);
		json_str(f, rep->dirs[i].path);
		fprintf(f, ", \"files\": %llu, \"bytes\": %llu, \"types\": ", (unsigned long long)rep->dirs[i].files,
			(unsigned long long)rep->dirs[i].bytes);
		json_str(f, rep->dirs[i].types);
		fputs("}", f);
	}
	fputs("],\n    \"extensions\": [", f);
	for (size_t i = 0; i < rep->nexts; i++) {
		fputs(i ? ", " : "", f);
		fputs("{\"ext\": ", f);
		json_str(f, rep->exts[i].ext);
		fprintf(f, ", \"files\": %llu}", (unsigned long long)rep->exts[i].files);
	}
	fputs("],\n    \"files\": [", f);
	for (size_t i = 0; i < rep->nfiles; i++) {
		const struct hf_report_file *fl = &rep->files[i];
		id_hex(rep->snaps[fl->snap].id, id);
		fputs(i ? ",\n      " : "\n      ", f);
		fputs("{\"path\": ", f);
		json_str(f, fl->path);
		fputs(", \"was\": ", f);
		json_str(f, fl->orig);
		fprintf(f, ", \"size\": %llu, \"snapshot\": \"%s\", \"mtime\": ", (unsigned long long)fl->size, id);
		json_time(f, fl->mtime_ns);
		fprintf(f, ", \"never_clean\": %s}", fl->has_clean ? "false" : "true");
	}
	fputs("]\n  },\n  \"ransom_notes\": [", f);
	for (size_t i = 0; i < rep->nnotes; i++) {
		const struct hf_report_note *n = &rep->notes[i];
		id_hex(rep->snaps[n->snap].id, id);
		fputs(i ? ",\n    " : "\n    ", f);
		fputs("{\"path\": ", f);
		json_str(f, n->path);
		fprintf(f, ", \"snapshot\": \"%s\", \"truncated\": %s, \"text\": ", id,
			n->truncated ? "true" : "false");
		json_strn(f, n->text ? n->text : "", n->len);
		for (int kind = 0; kind < HF_NOTE_KIND_COUNT; kind++) {
			int first = 1;
			fprintf(f, ", \"%s\": [", hf_note_kind_name(kind));
			for (size_t j = 0; j < n->nitems; j++)
				if (n->items[j].kind == kind) {
					fputs(first ? "" : ", ", f);
					json_str(f, n->items[j].value);
					first = 0;
				}
			fputs("]", f);
		}
		fputs("}", f);
	}
	fprintf(f,
		"\n  ],\n  \"personal_data\": {\n    \"files_read\": %llu,\n    \"files_not_read\": %llu,\n"
		"    \"categories\": {",
		(unsigned long long)rep->pii.files_read, (unsigned long long)rep->pii_files_skipped);
	for (int c = 0; c < HF_PII_COUNT; c++)
		fprintf(f, "%s\n      \"%s\": {\"files\": %llu, \"distinct\": %llu}", c ? "," : "", hf_pii_cat_name(c),
			(unsigned long long)rep->pii.files[c], (unsigned long long)hf_pii_distinct(&rep->pii, c));
	recovery_command(rep, cmd, sizeof(cmd));
	fprintf(f,
		"\n    }\n  },\n  \"recovery\": {\n    \"from_newest\": %llu,\n    \"from_older\": %llu,\n"
		"    \"left_out\": %llu,\n    \"bytes_of_encrypted_files\": %llu,\n    \"sources\": [",
		(unsigned long long)rep->recovery.from_newest, (unsigned long long)rep->recovery.from_older,
		(unsigned long long)rep->recovery.skipped, (unsigned long long)rep->recovery.bytes);
	for (size_t k = 0, first = 1; k < rep->nsnaps; k++)
		if (rep->snaps[k].restore_source) {
			id_hex(rep->snaps[k].id, id);
			fprintf(f, "%s\"%s\"", first ? "" : ", ", id);
			first = 0;
		}
	fputs("],\n    \"command\": ", f);
	json_str(f, cmd);
	fputs("\n  }", f);
	hf_report_alerts_json(rep, f);
	fputs("\n}\n", f);
	return ferror(f) ? -EIO : 0;
}

/* ---- HTML ---- */

static const char css[] =
	"body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222;max-width:1100px}"
	"h1{font-size:1.6em}h2{border-bottom:2px solid #ccc;margin-top:1.6em}"
	"table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #bbb;padding:.2em .5em;text-align:left;"
	"vertical-align:top}th{background:#eee}td.n{text-align:right}"
	".attack{background:#fdd;border:2px solid #c00;padding:.6em}.clean{background:#dfd;border:2px solid #0a0;"
	"padding:.6em}pre{white-space:pre-wrap;background:#f6f6f6;border:1px solid #ccc;padding:.5em;"
	"word-break:break-all}code{word-break:break-all}"
	"@media print{body{margin:0}h2{page-break-after:avoid}table,pre{page-break-inside:avoid}}";

static void td_num(FILE *f, uint64_t v)
{
	fprintf(f, "<td class=\"n\">%llu</td>", (unsigned long long)v);
}

static void td_time(FILE *f, int64_t ns)
{
	char t[64] = "-";

	if (ns)
		time_str(ns, t, sizeof(t));
	fprintf(f, "<td>%s</td>", t);
}

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
		id_hex(s->id, id);
		time_str(s->time_ns, t, sizeof(t));
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

int hf_report_write_html(const struct hf_report *rep, FILE *f)
{
	char t[64], id[HF_ID_HEX_LEN + 1], cmd[4608];

	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
	      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
	      "img-src data:\">\n<title>holdfast incident report</title>\n<style>",
	      f);
	fputs(css, f);
	fputs("</style></head><body>\n<h1>Incident report: ", f);
	html_str(f, rep->host);
	time_str(rep->made_ns, t, sizeof(t));
	fprintf(f, "</h1>\n<p>Made %s by holdfast report from the backups of ", t);
	for (size_t i = 0; i < rep->npaths; i++) {
		fputs(i ? ", <code>" : "<code>", f);
		html_str(f, rep->paths[i]);
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
	td_time(f, rep->first_mtime_ns);
	fputs("</tr>\n<tr><th>Earliest encrypted version, by its ctime</th>", f);
	td_time(f, rep->first_ctime_ns);
	fputs("</tr>\n<tr><th>First backup holding an encrypted version</th>", f);
	if (rep->nfiles) {
		id_hex(rep->snaps[rep->first_snap].id, id);
		time_str(rep->snaps[rep->first_snap].time_ns, t, sizeof(t));
		fprintf(f, "<td>%.8s at %s</td>", id, t);
	} else {
		fputs("<td>-</td>", f);
	}
	fputs("</tr>\n<tr><th>Detected</th><td>", f);
	if (rep->detected) {
		time_str(rep->detected_ns, t, sizeof(t));
		fprintf(f, "%s: ", t);
		html_str(f, rep->detected_how);
	} else {
		fputs("-", f);
	}
	fputs("</td></tr>\n<tr><th>Hosts hit</th><td>", f);
	if (rep->nfiles)
		html_str(f, rep->host);
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
		id_hex(s->id, id);
		fprintf(f, "<tr><td><code>%.8s</code></td>", id);
		td_time(f, s->time_ns);
		fprintf(f, "<td>%s</td>", hf_snap_verdict_name(s->verdict));
		td_num(f, s->sum.files);
		td_num(f, s->sum.added);
		td_num(f, s->sum.modified);
		td_num(f, s->sum.deleted);
		td_num(f, s->sum.renamed);
		td_num(f, s->sum.encrypted);
		td_num(f, s->sum.notes);
		fputs("</tr>\n", f);
	}
	fputs("</table>\n", f);
	hf_report_alerts_html(rep, f);
	fputs("<h2 id=\"scope\">Scope</h2>\n<table>\n<tr><th>Directory</th><th>Encrypted files</th>"
	      "<th>Bytes</th><th>Types (of the originals)</th></tr>\n",
	      f);
	for (size_t i = 0; i < rep->ndirs; i++) {
		fputs("<tr><td><code>", f);
		html_str(f, rep->dirs[i].path);
		fputs("</code></td>", f);
		td_num(f, rep->dirs[i].files);
		td_num(f, rep->dirs[i].bytes);
		fputs("<td>", f);
		html_str(f, rep->dirs[i].types);
		fputs("</td></tr>\n", f);
	}
	fputs("</table>\n<p>Extensions the attack gave files: ", f);
	if (!rep->nexts)
		fputs("none", f);
	for (size_t i = 0; i < rep->nexts; i++) {
		fputs(i ? ", <code>" : "<code>", f);
		html_str(f, rep->exts[i].ext);
		fprintf(f, "</code> (%llu)", (unsigned long long)rep->exts[i].files);
	}
	fputs(".</p>\n<h3>Encrypted files</h3>\n<table>\n<tr><th>File</th><th>Was</th><th>Bytes</th><th>Backup</th>"
	      "<th>mtime</th><th>Clean version</th></tr>\n",
	      f);
	for (size_t i = 0; i < rep->nfiles && i < HF_REPORT_HTML_FILES; i++) {
		const struct hf_report_file *fl = &rep->files[i];
		fputs("<tr><td><code>", f);
		html_str(f, fl->path);
		fputs("</code></td><td><code>", f);
		if (strcmp(fl->orig, fl->path) != 0)
			html_str(f, fl->orig);
		fputs("</code></td>", f);
		td_num(f, fl->size);
		id_hex(rep->snaps[fl->snap].id, id);
		fprintf(f, "<td><code>%.8s</code></td>", id);
		td_time(f, fl->mtime_ns);
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
		id_hex(rep->snaps[n->snap].id, id);
		fputs("<h3><code>", f);
		html_str(f, n->path);
		fprintf(f, "</code> (snapshot %.8s)</h3>\n<table>\n", id);
		for (int kind = 0; kind < HF_NOTE_KIND_COUNT; kind++) {
			if (!note_items(n, kind))
				continue;
			fprintf(f, "<tr><th>%s</th><td>", hf_note_kind_name(kind));
			for (size_t j = 0, first = 1; j < n->nitems; j++)
				if (n->items[j].kind == kind) {
					fputs(first ? "<code>" : "<br><code>", f);
					html_str(f, n->items[j].value);
					fputs("</code>", f);
					first = 0;
				}
			fputs("</td></tr>\n", f);
		}
		fputs("</table>\n<pre>", f);
		html_strn(f, n->text ? n->text : "", n->len);
		fprintf(f, "%s</pre>\n", n->truncated ? "\n[truncated]" : "");
	}
	fprintf(f,
		"<h2 id=\"personal\">Personal data at risk</h2>\n<p>Counted in the last clean version of each "
		"encrypted "
		"file: %llu file(s) read as text, %llu not read (not plain text). Values are counted, never "
		"shown.</p>\n"
		"<table>\n<tr><th>Category</th><th>Files</th><th>Distinct values</th></tr>\n",
		(unsigned long long)rep->pii.files_read, (unsigned long long)rep->pii_files_skipped);
	for (int c = 0; c < HF_PII_COUNT; c++) {
		fprintf(f, "<tr><td>%s</td>", hf_pii_cat_name(c));
		td_num(f, rep->pii.files[c]);
		td_num(f, hf_pii_distinct(&rep->pii, c));
		fputs("</tr>\n", f);
	}
	recovery_command(rep, cmd, sizeof(cmd));
	fprintf(f,
		"</table>\n<h2 id=\"recovery\">Recovery plan</h2>\n<table>\n"
		"<tr><th>Files from the newest snapshot</th><td class=\"n\">%llu</td></tr>\n"
		"<tr><th>Files from older snapshots (their last clean version)</th><td class=\"n\">%llu</td></tr>\n"
		"<tr><th>Files left out (ransom notes, never clean)</th><td class=\"n\">%llu</td></tr>\n"
		"<tr><th>Bytes of the clean versions of the encrypted files</th><td class=\"n\">%llu</td></tr>\n"
		"<tr><th>Source snapshots</th><td>",
		(unsigned long long)rep->recovery.from_newest, (unsigned long long)rep->recovery.from_older,
		(unsigned long long)rep->recovery.skipped, (unsigned long long)rep->recovery.bytes);
	for (size_t k = 0, first = 1; k < rep->nsnaps; k++)
		if (rep->snaps[k].restore_source) {
			id_hex(rep->snaps[k].id, id);
			fprintf(f, "%s<code>%.8s</code>", first ? "" : ", ", id);
			first = 0;
		}
	fputs("</td></tr>\n</table>\n<p>The command (on a clean host, into an empty directory):</p>\n<pre>", f);
	html_str(f, cmd);
	fputs("</pre>\n</body></html>\n", f);
	return ferror(f) ? -EIO : 0;
}

/* for render_alerts.c */
void hf_report_json_str(FILE *f, const char *s)
{
	json_str(f, s);
}

void hf_report_html_str(FILE *f, const char *s)
{
	html_str(f, s);
}

void hf_report_time_str(int64_t ns, char *out, size_t cap)
{
	time_str(ns, out, cap);
}
