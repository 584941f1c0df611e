/* render_json.c — the report as one JSON document (schema in
 * docs/REPORT.md). */
#include <errno.h>
#include <string.h>

#include "report/alerts.h"
#include "report/gdpr.h"
#include "report/render_util.h"

/* "gdpr_art33": the facts of a notification (gdpr.h) */
static void gdpr_json(const struct hf_report *rep, FILE *f)
{
	struct hf_report_gdpr g;
	int first = 1;

	hf_report_gdpr(rep, &g);
	fprintf(f, "  \"gdpr_art33\": {\n    \"applies\": %s,\n    \"aware\": ", g.applies ? "true" : "false");
	report_json_time(f, g.aware_ns);
	fputs(",\n    \"notify_by\": ", f);
	report_json_time(f, g.notify_by_ns);
	fputs(",\n    \"data_categories\": [", f);
	for (int c = 0; c < HF_PII_COUNT; c++)
		if (hf_pii_distinct(&rep->pii, c)) {
			fputs(first ? "" : ", ", f);
			report_json_str(f, hf_gdpr_category_text(c));
			first = 0;
		}
	fprintf(f,
		"],\n    \"records_at_least\": %llu,\n    \"data_subjects_at_least\": %llu,\n"
		"    \"special_categories\": %s,\n    \"likely_consequences\": [",
		(unsigned long long)g.records, (unsigned long long)g.subjects, g.special ? "true" : "false");
	first = 1;
	for (int c = 0; c < HF_GDPR_CONSEQUENCE_COUNT; c++)
		if (g.consequences & 1u << c) {
			fputs(first ? "" : ", ", f);
			report_json_str(f, hf_gdpr_consequence_text(c));
			first = 0;
		}
	fputs("],\n    \"measures\": [", f);
	first = 1;
	for (int m = 0; m < HF_GDPR_MEASURE_COUNT; m++)
		if (g.measures & 1u << m) {
			fputs(first ? "" : ", ", f);
			report_json_str(f, hf_gdpr_measure_text(m));
			first = 0;
		}
	fputs("],\n    \"to_fill_in\": [", f);
	for (int i = 0; i < HF_GDPR_UNKNOWN_COUNT; i++) {
		fputs(i ? ", " : "", f);
		report_json_str(f, hf_gdpr_unknown_text(i));
	}
	fputs("]\n  }", f);
}

int hf_report_write_json(const struct hf_report *rep, FILE *f)
{
	char id[HF_ID_HEX_LEN + 1], cmd[4608];

	fputs("{\n  \"holdfast_report\": 1,\n  \"made\": ", f);
	report_json_time(f, rep->made_ns);
	fputs(",\n  \"host\": ", f);
	report_json_str(f, rep->host);
	fputs(",\n  \"paths\": [", f);
	for (size_t i = 0; i < rep->npaths; i++) {
		fputs(i ? ", " : "", f);
		report_json_str(f, rep->paths[i]);
	}
	fputs("],\n  \"since\": ", f);
	report_json_time(f, rep->since_ns);
	fprintf(f, ",\n  \"summary\": {\n    \"attack\": %s,\n    \"suspicious\": %s,\n    \"first_encrypted_mtime\": ",
		rep->attack ? "true" : "false", rep->suspicious ? "true" : "false");
	report_json_time(f, rep->first_mtime_ns);
	fputs(",\n    \"first_encrypted_ctime\": ", f);
	report_json_time(f, rep->first_ctime_ns);
	fputs(",\n    \"first_encrypted_backup\": ", f);
	if (rep->nfiles) {
		report_id_hex(rep->snaps[rep->first_snap].id, id);
		fprintf(f, "{\"snapshot\": \"%s\", \"time\": ", id);
		report_json_time(f, rep->snaps[rep->first_snap].time_ns);
		fputs("}", f);
	} else {
		fputs("null", f);
	}
	fputs(",\n    \"detected\": ", f);
	if (rep->detected) {
		fputs("{\"time\": ", f);
		report_json_time(f, rep->detected_ns);
		fputs(", \"how\": ", f);
		report_json_str(f, rep->detected_how);
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
		report_json_str(f, rep->host);
	fputs("],\n    \"directories_hit\": [", f);
	for (size_t i = 0; i < rep->ndirs; i++) {
		fputs(i ? ", " : "", f);
		report_json_str(f, rep->dirs[i].path);
	}
	fputs("]\n  },\n  \"timeline\": [", f);
	for (size_t k = 0; k < rep->nsnaps; k++) {
		const struct hf_report_snap *s = &rep->snaps[k];
		report_id_hex(s->id, id);
		fprintf(f, "%s\n    {\"snapshot\": \"%s\", \"time\": ", k ? "," : "", id);
		report_json_time(f, s->time_ns);
		fprintf(f,
			", \"verdict\": \"%s\", \"in_range\": %s, \"files\": %llu, \"new\": %llu, \"modified\": %llu, "
			"\"deleted\": %llu, \"renamed\": %llu, \"encrypted\": %llu, \"suspicious\": %llu, \"notes\": "
			"%llu, "
			"\"bytes_encrypted\": %llu, \"restore_source\": %s, \"pinned\": %s}",
			hf_snap_verdict_name(s->verdict), s->in_range ? "true" : "false",
			(unsigned long long)s->sum.files, (unsigned long long)s->sum.added,
			(unsigned long long)s->sum.modified, (unsigned long long)s->sum.deleted,
			(unsigned long long)s->sum.renamed, (unsigned long long)s->sum.encrypted,
			(unsigned long long)s->sum.suspicious, (unsigned long long)s->sum.notes,
			(unsigned long long)s->bytes_encrypted, s->restore_source ? "true" : "false",
			s->pinned ? "true" : "false");
	}
	fputs("\n  ],\n  \"scope\": {\n    \"directories\": [", f);
	for (size_t i = 0; i < rep->ndirs; i++) {
		fputs(i ? ",\n      " : "\n      ", f);
		fputs("{\"path\": ", f);
		report_json_str(f, rep->dirs[i].path);
		fprintf(f, ", \"files\": %llu, \"bytes\": %llu, \"types\": ", (unsigned long long)rep->dirs[i].files,
			(unsigned long long)rep->dirs[i].bytes);
		report_json_str(f, rep->dirs[i].types);
		fputs("}", f);
	}
	fputs("],\n    \"extensions\": [", f);
	for (size_t i = 0; i < rep->nexts; i++) {
		fputs(i ? ", " : "", f);
		fputs("{\"ext\": ", f);
		report_json_str(f, rep->exts[i].ext);
		fprintf(f, ", \"files\": %llu}", (unsigned long long)rep->exts[i].files);
	}
	fputs("],\n    \"files\": [", f);
	for (size_t i = 0; i < rep->nfiles; i++) {
		const struct hf_report_file *fl = &rep->files[i];
		report_id_hex(rep->snaps[fl->snap].id, id);
		fputs(i ? ",\n      " : "\n      ", f);
		fputs("{\"path\": ", f);
		report_json_str(f, fl->path);
		fputs(", \"was\": ", f);
		report_json_str(f, fl->orig);
		fprintf(f, ", \"size\": %llu, \"snapshot\": \"%s\", \"mtime\": ", (unsigned long long)fl->size, id);
		report_json_time(f, fl->mtime_ns);
		fprintf(f, ", \"never_clean\": %s, \"clean_snapshot\": ", fl->has_clean ? "false" : "true");
		if (fl->has_clean) {
			report_id_hex(rep->snaps[fl->clean_snap].id, id);
			fprintf(f, "\"%s\"}", id);
		} else {
			fputs("null}", f);
		}
	}
	fputs("]\n  },\n  \"ransom_notes\": [", f);
	for (size_t i = 0, shown = 0; i < rep->nnotes; i++) {
		const struct hf_report_note *n = &rep->notes[i];
		if (!n->copies)
			continue; /* its text is shown with the first note that holds it */
		report_id_hex(rep->snaps[n->snap].id, id);
		fputs(shown++ ? ",\n    " : "\n    ", f);
		fputs("{\"path\": ", f);
		report_json_str(f, n->path);
		fprintf(f, ", \"copies\": %zu, \"paths\": [", n->copies);
		for (size_t j = i; j != HF_REPORT_END; j = rep->notes[j].next_copy) {
			fputs(j == i ? "" : ", ", f);
			report_json_str(f, rep->notes[j].path);
		}
		fprintf(f, "], \"snapshot\": \"%s\", \"truncated\": %s, \"text\": ", id,
			n->truncated ? "true" : "false");
		report_json_strn(f, n->text ? n->text : "", n->len);
		for (int kind = 0; kind < HF_NOTE_KIND_COUNT; kind++) {
			int first = 1;
			fprintf(f, ", \"%s\": [", hf_note_kind_name(kind));
			for (size_t j = 0; j < n->nitems; j++)
				if (n->items[j].kind == kind) {
					fputs(first ? "" : ", ", f);
					report_json_str(f, n->items[j].value);
					first = 0;
				}
			fputs("]", f);
		}
		fputs("}", f);
	}
	fprintf(f,
		"\n  ],\n  \"personal_data\": {\n    \"scope\": \"%s\",\n    \"files_read\": %llu,\n"
		"    \"files_not_read\": %llu,\n    \"categories\": {",
		rep->pii_all ? "all" : "encrypted", (unsigned long long)rep->pii.files_read,
		(unsigned long long)rep->pii_files_skipped);
	for (int c = 0; c < HF_PII_COUNT; c++)
		fprintf(f, "%s\n      \"%s\": {\"files\": %llu, \"distinct\": %llu}", c ? "," : "", hf_pii_cat_name(c),
			(unsigned long long)rep->pii.files[c], (unsigned long long)hf_pii_distinct(&rep->pii, c));
	report_recovery_command(rep, cmd, sizeof(cmd));
	fprintf(f,
		"\n    }\n  },\n  \"recovery\": {\n    \"from_newest\": %llu,\n    \"from_older\": %llu,\n"
		"    \"left_out\": %llu,\n    \"bytes_of_encrypted_files\": %llu,\n    \"sources\": [",
		(unsigned long long)rep->recovery.from_newest, (unsigned long long)rep->recovery.from_older,
		(unsigned long long)rep->recovery.skipped, (unsigned long long)rep->recovery.bytes);
	for (size_t k = 0, first = 1; k < rep->nsnaps; k++)
		if (rep->snaps[k].restore_source) {
			report_id_hex(rep->snaps[k].id, id);
			fprintf(f, "%s\"%s\"", first ? "" : ", ", id);
			first = 0;
		}
	fputs("],\n    \"command\": ", f);
	report_json_str(f, cmd);
	fprintf(f, ",\n    \"bytes_to_restore\": %llu,\n    \"read_speed\": ",
		(unsigned long long)rep->recovery.restore_bytes);
	if (rep->recovery.speed)
		fprintf(f, "%llu,\n    \"estimated_seconds\": %llu", (unsigned long long)rep->recovery.speed,
			(unsigned long long)rep->recovery.seconds);
	else
		fputs("null,\n    \"estimated_seconds\": null", f);
	fputs("\n  },\n", f);
	gdpr_json(rep, f);
	hf_report_alerts_json(rep, f);
	fputs("\n}\n", f);
	return ferror(f) ? -EIO : 0;
}
