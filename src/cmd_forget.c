/* cmd_forget.c — holdfast forget: options and output of hf_forget (remove
 * the snapshots that no --keep-* rule keeps and that are not pinned), then,
 * with --prune, of prune (cmd_prune.c). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "store/store.h"
#include "util/err.h"
#include "util/mem.h"

static const char usage[] =
	"usage: holdfast forget --repo DIR [--keep-last N] [--keep-hourly N] [--keep-daily N]\n"
	"                       [--keep-weekly N] [--keep-monthly N] [--keep-yearly N] [--prune] [--dry-run]\n";

enum { OPT_LAST = 1, OPT_HOURLY, OPT_DAILY, OPT_WEEKLY, OPT_MONTHLY, OPT_YEARLY, OPT_PRUNE, OPT_DRY, OPT_GRACE };

static int parse_count(const char *s, unsigned *out)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (!*s || *end || v > 1000000)
		return -1;
	*out = (unsigned)v;
	return 0;
}

struct forget_args {
	struct hf_forget_policy pol;
	int64_t grace;
	int prune, dry;
};

/* a policy with no --keep-* rule is refused here, before the passphrase */
static int forget_parse(struct cli_common *c, void *args, int argc, char **argv)
{
	static const struct option opts[] = {CLI_COMMON_OPTIONS,
					     {"keep-last", required_argument, NULL, OPT_LAST},
					     {"keep-hourly", required_argument, NULL, OPT_HOURLY},
					     {"keep-daily", required_argument, NULL, OPT_DAILY},
					     {"keep-weekly", required_argument, NULL, OPT_WEEKLY},
					     {"keep-monthly", required_argument, NULL, OPT_MONTHLY},
					     {"keep-yearly", required_argument, NULL, OPT_YEARLY},
					     {"prune", no_argument, NULL, OPT_PRUNE},
					     {"dry-run", no_argument, NULL, OPT_DRY},
					     {"grace", required_argument, NULL, OPT_GRACE},
					     {NULL, 0, NULL, 0}};
	struct forget_args *a = args;
	int opt, r, any = 0;

	a->grace = HF_PRUNE_GRACE_NS;
	while ((opt = cli_next_opt(c, argc, argv, "r:", opts, usage, &r)) > 0) {
		unsigned *slot = NULL;
		switch (opt) {
		case OPT_LAST:
			slot = &a->pol.last;
			break;
		case OPT_HOURLY:
			slot = &a->pol.hourly;
			break;
		case OPT_DAILY:
			slot = &a->pol.daily;
			break;
		case OPT_WEEKLY:
			slot = &a->pol.weekly;
			break;
		case OPT_MONTHLY:
			slot = &a->pol.monthly;
			break;
		case OPT_YEARLY:
			slot = &a->pol.yearly;
			break;
		case OPT_PRUNE:
			a->prune = 1;
			break;
		case OPT_DRY:
			a->dry = 1;
			break;
		case OPT_GRACE:
			if (cli_parse_duration(optarg, &a->grace) < 0)
				return cli_usage_error(
					usage, "bad --grace '%s' (seconds, or a number with s, m, h or d)", optarg);
			break;
		}
		if (slot) {
			if (parse_count(optarg, slot) < 0)
				return cli_usage_error(usage, "bad count '%s'", optarg);
			any = 1;
		}
	}
	if (opt < 0)
		return r;
	if (optind != argc)
		return cli_usage_error(usage, "unexpected argument '%s'", argv[optind]);
	if (!any)
		return cli_usage_error(usage,
				       "give at least one --keep-* rule (forget never removes everything by default)");
	return CLI_RUN;
}

static int forget_run(const struct cli_common *c, void *args, struct hf_repo *repo)
{
	struct forget_args *a = args;
	struct hf_forget_result res = {0};
	int r, rc = HF_EXIT_ERROR;

	r = hf_forget(repo, &a->pol, a->dry, &res);
	if (r < 0 && !res.keep) {
		cli_err("cannot read all snapshots%s%s; nothing removed (run check)", r != -HF_E_CORRUPT ? ": " : "",
			r != -HF_E_CORRUPT ? hf_strerror(r) : "");
		goto out;
	}
	if (r < 0 && res.nremoved == 0) {
		cli_err("cannot work out what must be kept (pins, clean versions): %s; nothing removed (run check)",
			hf_strerror(r));
		goto out;
	}
	for (size_t i = 0; i < res.n; i++) {
		char id[HF_ID_HEX_LEN + 1];
		int k = res.keep[i];
		cli_id_hex(res.snaps[i].id, id);
		printf("%s %s%s\n", k ? "keep" : "remove", id,
		       k & HF_KEEP_PINNED     ? " (kept: pinned)"
		       : k & HF_KEEP_CLEAN    ? " (kept: holds the newest clean version of some files)"
		       : res.kept_by_store[i] ? " (locked in the store until its date: hidden now, deleted then)"
					      : "");
	}
	if (r < 0) {
		cli_err("cannot remove a snapshot: %s; %zu removed", hf_strerror(r), res.nremoved);
		goto out;
	}
	if (a->dry)
		printf("dry run: nothing removed\n");
	else
		printf("%zu snapshot(s) removed, %zu kept\n", res.nremoved, res.n - res.nremoved);
	if (a->prune && !a->dry &&
	    cli_prune(repo, (const uint8_t(*)[HF_HASH_LEN])res.forgotten, res.nremoved, a->grace) < 0)
		goto out;
	rc = HF_EXIT_OK;
out:
	hf_forget_result_release(&res);
	return rc;
}

const struct cli_command cli_cmd_forget = {
	.name = "forget",
	.help = "remove snapshots by a retention policy, and prune data",
	.flags = CMD_OPEN_REPO,
	.args_size = sizeof(struct forget_args),
	.parse = forget_parse,
	.run = forget_run,
};
