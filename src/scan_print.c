/* scan_print.c — a scan's result as text or JSON (see scan_print.h). */
#include <stdio.h>

#include "cli.h"
#include "quote.h"
#include "scan_print.h"

static void print_reasons_json(FILE *f, uint32_t reasons)
{
	int first = 1;

	fprintf(f, "[");
	for (int b = 0; b < HF_REASON_COUNT; b++)
		if (reasons & (1u << b)) {
			fprintf(f, "%s\"%s\"", first ? "" : ", ", hf_scan_reason_name(1u << b));
			first = 0;
		}
	fprintf(f, "]");
}

void scan_print_json(FILE *f, const struct hf_scan_result *res)
{
	const struct hf_scan_summary *s = &res->sum;
	char id[HF_ID_HEX_LEN + 1];
	int first = 1;

	cli_id_hex(res->snapshot, id);
	fprintf(f, "{\"snapshot\": \"%s\", \"against\": ", id);
	if (res->has_against) {
		cli_id_hex(res->against, id);
		fprintf(f, "\"%s\"", id);
	} else {
		fprintf(f, "null");
	}
	fprintf(f,
		", \"verdict\": \"%s\",\n \"summary\": {\"files\": %llu, \"added\": %llu, \"modified\": %llu, "
		"\"deleted\": %llu, \"renamed\": %llu, \"encrypted\": %llu, \"suspicious\": %llu, \"notes\": %llu, "
		"\"usual_changes\": %llu},\n \"files\": [",
		hf_snap_verdict_name(res->verdict), (unsigned long long)s->files, (unsigned long long)s->added,
		(unsigned long long)s->modified, (unsigned long long)s->deleted, (unsigned long long)s->renamed,
		(unsigned long long)s->encrypted, (unsigned long long)s->suspicious, (unsigned long long)s->notes,
		(unsigned long long)s->usual_changes);
	for (size_t i = 0; i < res->nfiles; i++) {
		const struct hf_scan_file *fl = &res->files[i];
		fprintf(f, "%s\n  {\"path\": ", i ? "," : "");
		cli_json_str(f, fl->path);
		fprintf(f, ", \"change\": \"%s\", \"verdict\": \"%s\", \"reasons\": ", hf_change_name(fl->change),
			hf_file_verdict_name(fl->verdict));
		print_reasons_json(f, fl->reasons);
		if (fl->from) {
			fprintf(f, ", \"from\": ");
			cli_json_str(f, fl->from);
		}
		fprintf(f, ", \"size\": %llu, \"type\": \"%s\"}", (unsigned long long)fl->size,
			hf_detect_type_name(fl->type));
	}
	fprintf(f, "%s],\n \"notes\": [", res->nfiles ? "\n " : "");
	for (size_t i = 0; i < res->nfiles; i++) {
		if (!res->files[i].note)
			continue;
		fprintf(f, "%s", first ? "" : ", ");
		cli_json_str(f, res->files[i].path);
		first = 0;
	}
	fprintf(f, "]}\n");
}

static void print_reasons_text(FILE *f, uint32_t reasons)
{
	int first = 1;

	if (!reasons)
		return;
	fprintf(f, "  [");
	for (int b = 0; b < HF_REASON_COUNT; b++)
		if (reasons & (1u << b)) {
			fprintf(f, "%s%s", first ? "" : ", ", hf_scan_reason_name(1u << b));
			first = 0;
		}
	fprintf(f, "]");
}

void scan_print_text(FILE *f, const struct hf_scan_result *res, int verbose)
{
	const struct hf_scan_summary *s = &res->sum;
	char id[HF_ID_HEX_LEN + 1], against[HF_ID_HEX_LEN + 1];
	uint64_t changed = s->added + s->modified + s->deleted + s->renamed;

	cli_id_hex(res->snapshot, id);
	if (res->has_against)
		cli_id_hex(res->against, against);
	fprintf(f, "verdict: %s (snapshot %.8s against %.8s)\n", hf_snap_verdict_name(res->verdict), id,
		res->has_against ? against : "nothing");
	fprintf(f,
		"summary: %llu files, %llu changed (%llu new, %llu modified, %llu deleted, %llu renamed): "
		"%llu encrypted, %llu suspicious, %llu ransom notes; usual changes per backup: ",
		(unsigned long long)s->files, (unsigned long long)changed, (unsigned long long)s->added,
		(unsigned long long)s->modified, (unsigned long long)s->deleted, (unsigned long long)s->renamed,
		(unsigned long long)s->encrypted, (unsigned long long)s->suspicious, (unsigned long long)s->notes);
	if (s->usual_changes)
		fprintf(f, "%llu\n", (unsigned long long)s->usual_changes);
	else
		fprintf(f, "unknown\n");
	for (size_t i = 0; i < res->nfiles; i++) {
		const struct hf_scan_file *fl = &res->files[i];
		if (!verbose && fl->verdict == HF_FILE_CLEAN)
			continue;
		fprintf(f, "%-10s  %-8s  ", hf_file_verdict_name(fl->verdict), hf_change_name(fl->change));
		cli_quote_put(f, fl->path);
		if (fl->from) {
			fputs("  (from ", f);
			cli_quote_put(f, fl->from);
			fputs(")", f);
		}
		print_reasons_text(f, fl->reasons);
		fprintf(f, "\n");
	}
}
