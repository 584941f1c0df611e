/* cmd_prune.c — holdfast prune: carry out the pending deletions that came
 * due and plan the next one (docs/DESIGN.md, Retention). forget --prune runs
 * the same after removing snapshots. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "commands.h"
#include "util/err.h"

static const char usage[] = "usage: holdfast prune --repo DIR [--grace DURATION]\n";

enum { OPT_GRACE = 1 };

int cli_parse_duration(const char *s, int64_t *ns)
{
	char *end;
	unsigned long long v;
	int64_t unit = 1;

	if (!*s || *s < '0' || *s > '9')
		return -1;
	v = strtoull(s, &end, 10);
	if (*end == 'm')
		unit = 60;
	else if (*end == 'h')
		unit = 3600;
	else if (*end == 'd')
		unit = 86400;
	else if (*end != 's' && *end != '\0')
		return -1;
	if (*end && end[1])
		return -1;
	if (v > (unsigned long long)(366 * 86400) / (unsigned long long)unit)
		return -1; /* at most a year */
	*ns = (int64_t)v * unit * 1000000000;
	return 0;
}

static void print_time(const char *what, int64_t ns)
{
	time_t t = (time_t)(ns / 1000000000);
	struct tm tm;
	char buf[64];

	localtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S %Z", &tm);
	printf("%s%s\n", what, buf);
}

int cli_prune(struct hf_repo *repo, const uint8_t (*forgotten)[HF_HASH_LEN], size_t nforgotten, int64_t grace_ns)
{
	struct hf_prune_opts po = {.forgotten = forgotten,
				   .nforgotten = nforgotten,
				   .grace_ns = grace_ns,
				   .unfinished_ns = HF_PRUNE_UNFINISHED_NS,
				   .report = cli_report};
	struct hf_prune_stats ps;
	size_t gone = 0;
	int r;

	r = hf_prune(repo, &po, &ps);
	if (r < 0) {
		cli_err("prune failed: %s", hf_strerror(r));
		return r;
	}
	printf("pruned: %llu pack(s) deleted, %llu blob(s) removed, %.1f MiB freed\n",
	       (unsigned long long)ps.packs_deleted, (unsigned long long)ps.blobs_removed,
	       (double)ps.bytes_freed / 1048576.0);
	if (ps.packs_rescued)
		printf("%llu pack(s) kept that were due for deletion: snapshots written since use them\n",
		       (unsigned long long)ps.packs_rescued);
	if (ps.packs_planned)
		printf("planned: %llu pack(s), %.1f MiB, to be deleted (%llu rewritten first)\n",
		       (unsigned long long)ps.packs_planned, (double)ps.bytes_planned / 1048576.0,
		       (unsigned long long)ps.packs_rewritten);
	if (ps.next_due_ns)
		print_time("pending deletions are carried out by a prune run after ", ps.next_due_ns);
	if (ps.packs_protected)
		printf("%llu young pack(s) of backups without a snapshot (running, interrupted, or forgotten "
		       "without --prune) kept for now: a prune an hour later sees them\n",
		       (unsigned long long)ps.packs_protected);
	if (ps.temp_files)
		printf("%llu temporary file(s) of interrupted writes removed, %.1f MiB\n",
		       (unsigned long long)ps.temp_files, (double)ps.temp_bytes / 1048576.0);
	if (ps.plans_damaged)
		cli_err("%llu pending-deletion object(s) could not be read and were ignored; run check",
			(unsigned long long)ps.plans_damaged);
	r = hf_forget_orphan_marks(repo, &gone);
	if (r < 0) {
		cli_err("cannot delete the marks of removed snapshots: %s", hf_strerror(r));
		return r;
	}
	if (gone)
		printf("%zu mark(s) of removed snapshots deleted\n", gone);
	return 0;
}

struct prune_args {
	int64_t grace;
};

static int prune_parse(struct cli_common *c, void *args, int argc, char **argv)
{
	static const struct option opts[] = {CLI_COMMON_OPTIONS,
					     {"grace", required_argument, NULL, OPT_GRACE},
					     {NULL, 0, NULL, 0}};
	struct prune_args *a = args;
	int opt, r;

	a->grace = HF_PRUNE_GRACE_NS;
	while ((opt = cli_next_opt(c, argc, argv, "r:", opts, usage, &r)) > 0)
		if (opt == OPT_GRACE && cli_parse_duration(optarg, &a->grace) < 0)
			return cli_usage_error(usage, "bad --grace '%s' (seconds, or a number with s, m, h or d)",
					       optarg);
	if (opt < 0)
		return r;
	if (optind != argc)
		return cli_usage_error(usage, "unexpected argument '%s'", argv[optind]);
	return CLI_RUN;
}

static int prune_run(const struct cli_common *c, void *args, struct hf_repo *repo)
{
	struct prune_args *a = args;

	return cli_prune(repo, NULL, 0, a->grace) < 0 ? HF_EXIT_ERROR : HF_EXIT_OK;
}

const struct cli_command cli_cmd_prune = {
	.name = "prune",
	.help = "delete data no snapshot uses (in two phases, safe beside backups)",
	.flags = CMD_OPEN_REPO,
	.args_size = sizeof(struct prune_args),
	.parse = prune_parse,
	.run = prune_run,
};
