/* cmd_diff.c — holdfast diff: what changed between two snapshots. */
#include <getopt.h>
#include <stdio.h>

#include "cli.h"
#include "commands.h"
#include "quote.h"
#include "util/err.h"

static const char usage[] = "usage: holdfast diff --repo DIR SNAPSHOT SNAPSHOT\n"
			    "prints '+ PATH' (added), '- PATH' (removed), 'M PATH' (changed)\n";

static int print_change(void *arg, int kind, const char *path)
{
	(void)arg;
	printf("%c ", kind);
	cli_quote_put(stdout, path);
	putchar('\n');
	return 0;
}

struct diff_args {
	const char *ref[2];
};

static int diff_parse(struct cli_common *c, void *args, int argc, char **argv)
{
	static const struct option opts[] = {CLI_COMMON_OPTIONS, {NULL, 0, NULL, 0}};
	struct diff_args *a = args;
	int opt, r;

	while ((opt = cli_next_opt(c, argc, argv, "r:", opts, usage, &r)) > 0)
		; /* no options of its own */
	if (opt < 0)
		return r;
	if (argc - optind != 2)
		return cli_usage_error(usage, "name two snapshots");
	a->ref[0] = argv[optind];
	a->ref[1] = argv[optind + 1];
	return CLI_RUN;
}

static int diff_run(const struct cli_common *c, void *args, struct hf_repo *repo)
{
	struct diff_args *a = args;
	struct hf_snapshot sa = {0}, sb = {0};
	int r, rc = HF_EXIT_ERROR;

	if (cli_resolve_snapshot(repo, a->ref[0], &sa) < 0)
		goto out;
	if (cli_resolve_snapshot(repo, a->ref[1], &sb) < 0)
		goto out;
	r = hf_diff(repo, &sa, &sb, print_change, NULL);
	if (r < 0) {
		cli_err("cannot compare: %s", hf_strerror(r));
		goto out;
	}
	rc = HF_EXIT_OK;
out:
	hf_snapshot_release(&sa);
	hf_snapshot_release(&sb);
	return rc;
}

const struct cli_command cli_cmd_diff = {
	.name = "diff",
	.help = "show what changed between two snapshots",
	.flags = CMD_OPEN_REPO,
	.args_size = sizeof(struct diff_args),
	.parse = diff_parse,
	.run = diff_run,
};
