/* cmd_check.c — holdfast check: verify the repository. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "commands.h"
#include "quote.h"
#include "util/err.h"

static const char usage[] = "usage: holdfast check --repo DIR [--read-data]\n";

enum { OPT_READ_DATA = 1, OPT_THREADS };

static void print_problem(void *arg, const char *path, const char *what, int err)
{
	(void)arg;
	fprintf(stderr, "error: %s%s", what ? what : "", path ? ": " : "");
	if (path)
		cli_quote_put(stderr, path);
	fprintf(stderr, ": %s\n", hf_strerror(err));
}

static int check_parse(struct cli_common *c, void *args, int argc, char **argv)
{
	static const struct option opts[] = {CLI_COMMON_OPTIONS,
					     {"read-data", no_argument, NULL, OPT_READ_DATA},
					     {"threads", required_argument, NULL, OPT_THREADS},
					     {NULL, 0, NULL, 0}};
	struct hf_check_opts *o = args;
	int opt, r;

	while ((opt = cli_next_opt(c, argc, argv, "r:", opts, usage, &r)) > 0) {
		if (opt == OPT_READ_DATA)
			o->read_data = 1;
		else if (opt == OPT_THREADS &&
			 cli_parse_uint(usage, "--threads", optarg, CLI_THREADS_MAX, &o->threads) < 0)
			return HF_EXIT_USAGE;
	}
	if (opt < 0)
		return r;
	if (optind != argc)
		return cli_usage_error(usage, "unexpected argument '%s'", argv[optind]);
	return CLI_RUN;
}

static int check_run(const struct cli_common *c, void *args, struct hf_repo *repo)
{
	struct hf_check_opts *o = args;
	struct hf_check_stats st;
	struct hf_progress prog = {0};
	struct cli_progress *cp;
	int r;

	o->report = print_problem;
	o->progress = &prog;
	cp = cli_progress_start(&prog, "check");
	r = hf_check(repo, o, &st);
	cli_progress_stop(cp);
	o->progress = NULL; /* prog is gone when run returns */
	if (r < 0) {
		cli_err("check failed: %s", hf_strerror(r));
		return HF_EXIT_ERROR;
	}
	printf("%llu snapshots, %llu trees, %llu packs, %llu blobs%s checked\n", (unsigned long long)st.snapshots,
	       (unsigned long long)st.trees, (unsigned long long)st.packs, (unsigned long long)st.blobs,
	       o->read_data ? " (data read and verified)" : "");
	if (st.unreferenced_packs)
		printf("%llu pack(s) not in any index (left by an interrupted backup, or locked by the store after a "
		       "prune; prune removes them)\n",
		       (unsigned long long)st.unreferenced_packs);
	if (st.errors) {
		printf("%llu error(s) found\n", (unsigned long long)st.errors);
		return HF_EXIT_ERROR;
	}
	printf("no errors found\n");
	return HF_EXIT_OK;
}

const struct cli_command cli_cmd_check = {
	.name = "check",
	.help = "verify the repository",
	.flags = CMD_OPEN_REPO,
	.args_size = sizeof(struct hf_check_opts),
	.parse = check_parse,
	.run = check_run,
};
