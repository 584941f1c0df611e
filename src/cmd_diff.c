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

int cmd_diff(int argc, char **argv)
{
	static const struct option opts[] = {CLI_COMMON_OPTIONS, {NULL, 0, NULL, 0}};
	struct cli_common c;
	struct hf_repo *repo = NULL;
	struct hf_snapshot a = {0}, b = {0};
	int opt, r, rc = HF_EXIT_ERROR;

	cli_common_init(&c);
	while ((opt = cli_next_opt(&c, argc, argv, "r:", opts, usage, &r)) > 0)
		; /* no options of its own */
	if (opt < 0)
		return r;
	if (argc - optind != 2)
		return cli_usage_error(usage, "name two snapshots");
	repo = cli_open_repo(&c);
	if (!repo)
		goto out;
	if (cli_resolve_snapshot(repo, argv[optind], &a) < 0)
		goto out;
	if (cli_resolve_snapshot(repo, argv[optind + 1], &b) < 0)
		goto out;
	r = hf_diff(repo, &a, &b, print_change, NULL);
	if (r < 0) {
		cli_err("cannot compare: %s", hf_strerror(r));
		goto out;
	}
	rc = HF_EXIT_OK;
out:
	hf_snapshot_release(&a);
	hf_snapshot_release(&b);
	hf_repo_close(repo);
	return rc;
}
