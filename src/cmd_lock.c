/* cmd_lock.c — holdfast lock extend|status: the Object Lock of what the
 * repository still needs (lib/engine/lock.c). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "commands.h"
#include "engine/engine.h"
#include "repo/repo.h"
#include "store/store.h"
#include "util/err.h"

static const char usage[] =
	"usage: holdfast lock extend|status --repo URL [--refresh DURATION]\n"
	"extend: every object still in use (config, keys, kept snapshots and their marks, the index,\n"
	"        pending deletions, the packs kept snapshots use) whose lock ends within DURATION\n"
	"        (default: half the repository's lock period) is locked for a full period from now,\n"
	"        by the store's clock. Run it more often than that (a daily timer).\n"
	"status: how many objects in use are locked, and until when; changes nothing.\n";

enum { OPT_REFRESH = 1 };

struct lock_args {
	struct hf_lock_opts o;
};

static void print_date(const char *what, int64_t s)
{
	time_t t = (time_t)s;
	struct tm tm;
	char buf[64];

	localtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S %Z", &tm);
	printf("%s%s\n", what, buf);
}

static void report(void *arg, const char *what, int err)
{
	(void)arg;
	cli_err("%s: %s", what, hf_strerror(err));
}

static int lock_parse(struct cli_common *c, void *args, int argc, char **argv)
{
	static const struct option opts[] = {CLI_COMMON_OPTIONS,
					     {"refresh", required_argument, NULL, OPT_REFRESH},
					     {NULL, 0, NULL, 0}};
	struct lock_args *a = args;
	int64_t ns;
	int opt, r;

	while ((opt = cli_next_opt(c, argc, argv, "r:", opts, usage, &r)) > 0)
		if (opt == OPT_REFRESH) {
			if (cli_parse_duration(optarg, &ns) < 0 || ns < 1000000000)
				return cli_usage_error(
					usage, "bad --refresh '%s' (seconds, or a number with s, m, h or d)", optarg);
			a->o.refresh_s = ns / 1000000000;
		}
	if (opt < 0)
		return r;
	if (optind != argc - 1)
		return cli_usage_error(usage,
				       optind < argc ? "one action: extend or status" : "no action: extend or status");
	if (strcmp(argv[optind], "extend") != 0 && strcmp(argv[optind], "status") != 0)
		return cli_usage_error(usage, "unknown action '%s' (extend or status)", argv[optind]);
	a->o.status = strcmp(argv[optind], "status") == 0;
	a->o.report = report;
	return CLI_RUN;
}

static int lock_run(const struct cli_common *c, void *args, struct hf_repo *repo)
{
	struct lock_args *a = args;
	const struct hf_repo_config *cfg = hf_repo_config(repo);
	struct hf_lock_stats st;
	int r;

	if (cfg->lock_mode == HF_LOCK_OFF) {
		cli_err("%s has no Object Lock: nothing is locked (init --object-lock makes a repository that has)",
			c->repo);
		return HF_EXIT_ERROR;
	}
	r = hf_lock_extend(repo, &a->o, &st);
	if (r < 0 && st.objects == 0) {
		cli_err("cannot %s the locks of %s: %s", a->o.status ? "read" : "extend", c->repo, hf_strerror(r));
		return HF_EXIT_ERROR;
	}
	printf("Object Lock: %s mode, %lld s (%.1f days) per period\n", hf_lock_mode_name(cfg->lock_mode),
	       (long long)cfg->lock_period_s, (double)cfg->lock_period_s / 86400);
	printf("%llu object(s) in use, %llu of them packs\n", (unsigned long long)st.objects,
	       (unsigned long long)st.packs);
	if (a->o.status) {
		printf("%llu locked for less than the refresh window (lock extend moves them on)\n",
		       (unsigned long long)st.due);
		if (st.earliest_s)
			print_date("the earliest lock of an object in use ends ", st.earliest_s);
		if (st.unlocked)
			printf("%llu object(s) in use are not locked any more: run holdfast lock extend\n",
			       (unsigned long long)st.unlocked);
	} else {
		printf("%llu lock(s) extended", (unsigned long long)st.extended);
		print_date(" to ", st.until_s);
	}
	if (r < 0) {
		cli_err("%llu object(s) could not be %s: %s", (unsigned long long)st.failed,
			a->o.status ? "read" : "extended", hf_strerror(r));
		return HF_EXIT_ERROR;
	}
	return a->o.status && st.unlocked ? HF_EXIT_ERROR : HF_EXIT_OK;
}

const struct cli_command cli_cmd_lock = {
	.name = "lock",
	.help = "keep what snapshots use locked (S3 Object Lock): extend, status",
	.flags = CMD_OPEN_REPO,
	.args_size = sizeof(struct lock_args),
	.parse = lock_parse,
	.run = lock_run,
};
