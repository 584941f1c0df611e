/* cmd_snapshots.c — holdfast snapshots: list snapshots, oldest first, with
 * what their marks say (pinned, scan verdict) and, on a server, when each
 * arrived, who sent it and what the server's records make doubtful. */
#include <getopt.h>
#include <stdio.h>

#include "cli.h"
#include "commands.h"
#include "quote.h"
#include "repo/mark.h"
#include "util/err.h"

static const char usage[] = "usage: holdfast snapshots --repo DIR [--json]\n";

/* the marks, for the pinned and verdict columns */
struct marks {
	struct hf_mark *v;
	size_t n;
};

/* verdict name, or NULL if the snapshot has no verdict mark */
static const char *verdict_of(const struct marks *mk, const uint8_t *id)
{
	int v;

	return hf_marks_verdict(mk->v, mk->n, id, &v) ? hf_mark_verdict_name(v) : NULL;
}

/* "time-skew,unknown-sender", or "-" */
static const char *flags_str(unsigned flags, char *out, size_t cap)
{
	snprintf(out, cap, "%s%s%s", flags & HF_SNAP_TIME_SKEW ? "time-skew" : "",
		 (flags & HF_SNAP_TIME_SKEW) && (flags & HF_SNAP_UNKNOWN_SENDER) ? "," : "",
		 flags & HF_SNAP_UNKNOWN_SENDER ? "unknown-sender" : "");
	return out[0] ? out : "-";
}

static int any_stored(const struct hf_snapshot *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i].stored_ns)
			return 1;
	return 0;
}

static void print_json(const struct hf_snapshot *s, size_t n, const struct marks *mk)
{
	char id[HF_ID_HEX_LEN + 1], t[64];
	const char *verdict;

	printf("[");
	for (size_t i = 0; i < n; i++) {
		cli_id_hex(s[i].id, id);
		cli_time_str(s[i].time_ns, t, sizeof(t), 1);
		printf("%s\n  {\"id\": \"%s\", \"short_id\": \"%.8s\", \"time\": \"%s\", \"host\": ", i ? "," : "", id,
		       id, t);
		cli_json_str(stdout, s[i].host);
		printf(", \"user\": ");
		cli_json_str(stdout, s[i].user);
		printf(", \"paths\": [");
		for (size_t j = 0; j < s[i].npaths; j++) {
			printf("%s", j ? ", " : "");
			cli_json_str(stdout, s[i].paths[j]);
		}
		printf("], \"parent\": ");
		if (s[i].has_parent) {
			cli_id_hex(s[i].parent, id);
			printf("\"%s\"", id);
		} else {
			printf("null");
		}
		cli_id_hex(s[i].tree, id);
		printf(", \"tree\": \"%s\", \"files\": %llu, \"dirs\": %llu, \"bytes\": %llu, \"errors\": %u", id,
		       (unsigned long long)s[i].files, (unsigned long long)s[i].dirs, (unsigned long long)s[i].bytes,
		       s[i].errors);
		if (s[i].stored_ns) {
			cli_time_str(s[i].stored_ns, t, sizeof(t), 1);
			printf(", \"arrived\": \"%s\", \"sender\": ", t);
			cli_json_str(stdout, s[i].sender);
			printf(", \"flags\": ");
			cli_json_snap_flags(stdout, s[i].flags);
		}
		verdict = verdict_of(mk, s[i].id);
		printf(", \"pinned\": %s, \"verdict\": %s%s%s}",
		       hf_marks_pinned(mk->v, mk->n, s[i].id) ? "true" : "false", verdict ? "\"" : "",
		       verdict ? verdict : "null", verdict ? "\"" : "");
	}
	printf("%s]\n", n ? "\n" : "");
}

static void print_text(const struct hf_snapshot *s, size_t n, const struct marks *mk)
{
	char id[HF_ID_HEX_LEN + 1], t[64], at[64], fl[64];
	const char *verdict;
	int server = any_stored(s, n);

	printf("%-8s  %-19s  %-16s  %10s  %-6s  %-10s  ", "ID", "TIME", "HOST", "SIZE", "PINNED", "VERDICT");
	if (server)
		printf("%-19s  %-16s  %-14s  ", "ARRIVED", "FROM", "FLAGS");
	printf("PATHS\n");
	for (size_t i = 0; i < n; i++) {
		cli_id_hex(s[i].id, id);
		cli_time_str(s[i].time_ns, t, sizeof(t), 0);
		verdict = verdict_of(mk, s[i].id);
		printf("%.8s  %-19s  %-16s  %8.1f M  %-6s  %-10s  ", id, t, s[i].host, (double)s[i].bytes / 1048576.0,
		       hf_marks_pinned(mk->v, mk->n, s[i].id) ? "pinned" : "-", verdict ? verdict : "-");
		if (server) {
			cli_time_str(s[i].stored_ns, at, sizeof(at), 0);
			printf("%-19s  %-16s  %-14s  ", s[i].stored_ns ? at : "-", s[i].sender[0] ? s[i].sender : "?",
			       flags_str(s[i].flags, fl, sizeof(fl)));
		}
		for (size_t j = 0; j < s[i].npaths; j++) {
			fputs(j ? " " : "", stdout);
			cli_quote_put(stdout, s[i].paths[j]);
		}
		printf("\n");
	}
	printf("%zu snapshot%s\n", n, n == 1 ? "" : "s");
}

static int snapshots_parse(struct cli_common *c, void *args, int argc, char **argv)
{
	static const struct option opts[] = {CLI_COMMON_OPTIONS, {NULL, 0, NULL, 0}};
	int opt, r;

	while ((opt = cli_next_opt(c, argc, argv, "r:", opts, usage, &r)) > 0)
		; /* no options of its own */
	if (opt < 0)
		return r;
	if (optind != argc)
		return cli_usage_error(usage, "unexpected argument '%s'", argv[optind]);
	return CLI_RUN;
}

static int snapshots_run(const struct cli_common *c, void *args, struct hf_repo *repo)
{
	struct hf_snapshot *s = NULL;
	struct marks mk = {0};
	size_t n = 0, bad = 0, bad_marks = 0;
	int r, rc = HF_EXIT_ERROR;

	r = hf_snapshot_list(repo, &s, &n, &bad);
	if (r < 0) {
		cli_err("cannot list snapshots: %s", hf_strerror(r));
		return HF_EXIT_ERROR;
	}
	r = hf_mark_list(repo, &mk.v, &mk.n, &bad_marks);
	if (r < 0) {
		cli_err("cannot list marks: %s", hf_strerror(r));
		goto out;
	}
	if (c->json)
		print_json(s, n, &mk);
	else
		print_text(s, n, &mk);
	if (bad)
		cli_err("%zu snapshot object(s) could not be read; run check", bad);
	if (bad_marks)
		cli_err("%zu mark object(s) (pins, verdicts) could not be read; run check", bad_marks);
	hf_mark_list_free(mk.v, mk.n);
	rc = bad || bad_marks ? HF_EXIT_ERROR : HF_EXIT_OK;
out:
	hf_snapshot_list_free(s, n);
	return rc;
}

const struct cli_command cli_cmd_snapshots = {
	.name = "snapshots",
	.help = "list snapshots",
	.flags = CMD_OPEN_REPO,
	.parse = snapshots_parse,
	.run = snapshots_run,
};
