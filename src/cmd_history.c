/* cmd_history.c — holdfast history: every version of one file across the
 * snapshots, oldest first, each with the verdict of the scan of the snapshot
 * where that version first appeared. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "commands.h"
#include "quote.h"
#include "scan/history.h"
#include "util/err.h"

static const char usage[] = "usage: holdfast history --repo DIR [--json] PATH\n"
			    "one line per snapshot that holds the file at PATH (absolute, as stored), oldest first\n";

struct printer {
	int json;
	size_t rows, versions;
};

static void reasons_json(uint32_t reasons)
{
	int first = 1;

	printf("[");
	for (int b = 0; b < HF_REASON_COUNT; b++)
		if (reasons & (1u << b)) {
			printf("%s\"%s\"", first ? "" : ", ", hf_scan_reason_name(1u << b));
			first = 0;
		}
	printf("]");
}

static void row_json(const struct hf_history_row *row, size_t n)
{
	char id[HF_ID_HEX_LEN + 1], t[64];

	cli_id_hex(row->snapshot->id, id);
	cli_time_str(row->snapshot->time_ns, t, sizeof(t), 1);
	printf("%s\n  {\"snapshot\": \"%s\", \"short_id\": \"%.8s\", \"time\": \"%s\", ", n ? "," : "", id, id, t);
	cli_id_hex(row->first->id, id);
	printf("\"first\": \"%s\", \"unchanged\": %s, \"change\": \"%s\", \"from\": ", id,
	       row->unchanged ? "true" : "false", hf_change_name(row->change));
	if (row->from)
		cli_json_str(stdout, row->from);
	else
		printf("null");
	printf(", \"size\": %llu, \"type\": \"%s\", \"verdict\": \"%s\", \"reasons\": ", (unsigned long long)row->size,
	       hf_detect_type_name(row->type), hf_file_verdict_name(row->verdict));
	reasons_json(row->reasons);
	printf(", \"snapshot_verdict\": \"%s\"}", hf_snap_verdict_name(row->snap_verdict));
}

static void row_text(const struct hf_history_row *row)
{
	char id[HF_ID_HEX_LEN + 1], t[64];
	int first = 1;

	cli_id_hex(row->snapshot->id, id);
	cli_time_str(row->snapshot->time_ns, t, sizeof(t), 0);
	printf("%.8s  %-19s  %12llu  %-8s  %-10s  ", id, t, (unsigned long long)row->size,
	       hf_detect_type_name(row->type), hf_file_verdict_name(row->verdict));
	if (row->unchanged) {
		cli_id_hex(row->first->id, id);
		printf("same as %.8s", id);
	} else {
		printf("%s", hf_change_name(row->change));
		if (row->from) {
			fputs(" from ", stdout);
			cli_quote_put(stdout, row->from);
		}
	}
	for (int b = 0; b < HF_REASON_COUNT; b++)
		if (row->reasons & (1u << b)) {
			printf("%s%s", first ? "  [" : ", ", hf_scan_reason_name(1u << b));
			first = 0;
		}
	printf("%s\n", first ? "" : "]");
}

static int print_row(void *arg, const struct hf_history_row *row)
{
	struct printer *p = arg;

	if (p->json) {
		row_json(row, p->rows);
	} else {
		if (p->rows == 0)
			printf("%-8s  %-19s  %12s  %-8s  %-10s  %s\n", "SNAPSHOT", "TIME", "SIZE", "TYPE", "VERDICT",
			       "CHANGE");
		row_text(row);
	}
	p->rows++;
	p->versions += !row->unchanged;
	return 0;
}

struct history_args {
	char *path; /* absolute */
};

static int history_parse(struct cli_common *c, void *args, int argc, char **argv)
{
	static const struct option opts[] = {CLI_COMMON_OPTIONS, {NULL, 0, NULL, 0}};
	struct history_args *a = args;
	int opt, r;

	while ((opt = cli_next_opt(c, argc, argv, "r:", opts, usage, &r)) > 0)
		; /* no options of its own */
	if (opt < 0)
		return r;
	if (argc - optind != 1)
		return cli_usage_error(usage, "name one PATH");
	if (hf_path_absolute(argv[optind], &a->path) < 0)
		return cli_usage_error(usage, "bad PATH");
	return CLI_RUN;
}

static int history_run(const struct cli_common *c, void *args, struct hf_repo *repo)
{
	struct history_args *a = args;
	struct printer p = {0};
	char *quoted = NULL;
	int r, rc = HF_EXIT_ERROR;

	p.json = c->json;
	if (p.json)
		printf("[");
	r = hf_history(repo, a->path, print_row, &p);
	if (p.json)
		printf("%s]\n", p.rows ? "\n" : "");
	if (r < 0 && r != -HF_E_NOTFOUND) {
		quoted = cli_quote(a->path);
		cli_err("cannot read the history of %s: %s", quoted, hf_strerror(r));
		goto out;
	}
	if (p.rows == 0) {
		quoted = cli_quote(a->path);
		cli_err("%s: no snapshot holds a regular file there", quoted);
		goto out;
	}
	if (!p.json)
		printf("%zu version%s in %zu snapshot%s\n", p.versions, p.versions == 1 ? "" : "s", p.rows,
		       p.rows == 1 ? "" : "s");
	rc = HF_EXIT_OK;
out:
	free(quoted);
	return rc;
}

static void history_release(void *args)
{
	struct history_args *a = args;

	free(a->path);
}

const struct cli_command cli_cmd_history = {
	.name = "history",
	.help = "list every version of a file",
	.flags = CMD_OPEN_REPO,
	.args_size = sizeof(struct history_args),
	.parse = history_parse,
	.run = history_run,
	.release = history_release,
};
