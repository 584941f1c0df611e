/* cmd_init.c — holdfast init: create a repository. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "store/store.h"
#include "util/err.h"

static const char usage[] =
	"usage: holdfast init --repo DIR [--password-file FILE] [--compression LEVEL]\n"
	"                     [--object-lock compliance|governance|off] [--lock-days N | --lock-period DURATION]\n"
	"LEVEL is a zstd level, -5..19 (default 3)\n"
	"In an S3 bucket with Object Lock every object is written locked for the lock period (default\n"
	"30 days, by the S3 server's clock; compliance unless told otherwise); a bucket without Object\n"
	"Lock is refused unless --object-lock off says to store without it.\n";

enum { OPT_COMPRESSION = 1, OPT_OBJECT_LOCK, OPT_LOCK_DAYS, OPT_LOCK_PERIOD };

#define DEFAULT_LOCK_DAYS 30
#define MAX_LOCK_DAYS 36500

struct init_args {
	struct hf_repo_params params;
	int lock_asked; /* --object-lock given */
};

/* init creates the repository it names: main.c opens none (no CMD_OPEN_REPO) */
static int init_parse(struct cli_common *c, void *args, int argc, char **argv)
{
	static const struct option opts[] = {CLI_COMMON_OPTIONS,
					     {"compression", required_argument, NULL, OPT_COMPRESSION},
					     {"object-lock", required_argument, NULL, OPT_OBJECT_LOCK},
					     {"lock-days", required_argument, NULL, OPT_LOCK_DAYS},
					     {"lock-period", required_argument, NULL, OPT_LOCK_PERIOD},
					     {NULL, 0, NULL, 0}};
	struct init_args *a = args;
	int opt, r, days;
	int64_t ns;

	while ((opt = cli_next_opt(c, argc, argv, "r:", opts, usage, &r)) > 0) {
		if (opt == OPT_COMPRESSION) {
			char *end;
			long v = strtol(optarg, &end, 10);
			if (!*optarg || *end || v < -5 || v > 19 || v == 0)
				return cli_usage_error(usage, "bad compression level '%s'", optarg);
			a->params.zlevel = (int)v;
		} else if (opt == OPT_OBJECT_LOCK) {
			a->params.lock_mode = hf_lock_mode_parse(optarg);
			if (a->params.lock_mode < 0)
				return cli_usage_error(usage, "bad --object-lock '%s' (compliance, governance or off)",
						       optarg);
			a->lock_asked = 1;
		} else if (opt == OPT_LOCK_DAYS) {
			if (cli_parse_uint(usage, "--lock-days", optarg, MAX_LOCK_DAYS, &days) < 0)
				return HF_EXIT_USAGE;
			if (days == 0)
				return cli_usage_error(usage, "--lock-days must be at least 1");
			a->params.lock_period_s = (int64_t)days * 86400;
		} else if (opt == OPT_LOCK_PERIOD) {
			if (cli_parse_duration(optarg, &ns) < 0 || ns < 1000000000)
				return cli_usage_error(
					usage, "bad --lock-period '%s' (seconds, or a number with s, m, h or d)",
					optarg);
			a->params.lock_period_s = ns / 1000000000;
		}
	}
	if (opt < 0)
		return r;
	if (optind != argc)
		return cli_usage_error(usage, "unexpected argument '%s'", argv[optind]);
	if (!c->repo)
		return cli_usage_error(usage, "no repository: use --repo DIR or set HOLDFAST_REPO");
	if (a->params.lock_period_s && a->lock_asked && a->params.lock_mode == HF_LOCK_OFF)
		return cli_usage_error(usage, "a lock period with --object-lock off");
	if (!a->params.lock_period_s)
		a->params.lock_period_s = DEFAULT_LOCK_DAYS * 86400LL;
	return CLI_RUN;
}

/* Chooses the lock: an S3 bucket with Object Lock locks (compliance unless
 * told otherwise), one without is refused unless --object-lock off; other
 * stores cannot lock, and refuse --object-lock compliance|governance. */
static int choose_lock(const struct cli_common *c, struct init_args *a, struct hf_store *st)
{
	int s3 = strncmp(c->repo, "s3:", 3) == 0, r;

	if (a->lock_asked && a->params.lock_mode == HF_LOCK_OFF)
		return 0;
	/* a server whose store is a bucket with Object Lock locks as the
	 * config says, when asked to */
	if (!s3 && a->lock_asked && strncmp(c->repo, "https://", 8) == 0 && hf_store_lock_available(st) == 0)
		return 0;
	if (!s3) {
		if (a->lock_asked)
			cli_err("cannot create repository at %s: --object-lock needs an S3 bucket with Object Lock "
				"(an s3: repository, or a server that keeps its objects in one: serve --store)",
				c->repo);
		return a->lock_asked ? -HF_E_USAGE : 0;
	}
	r = hf_store_lock_available(st);
	if (r == -HF_E_REFUSED) {
		cli_err("cannot create repository at %s: the bucket has no Object Lock, so anyone with its S3 keys "
			"(ransomware on a backed-up machine too) could delete the backups. Create the bucket with "
			"Object Lock on, or pass --object-lock off to store without it",
			c->repo);
		return r;
	}
	if (r < 0) {
		cli_err("cannot create repository at %s: cannot read the bucket's Object Lock configuration: %s",
			c->repo, hf_strerror(r));
		return r;
	}
	if (!a->lock_asked)
		a->params.lock_mode = HF_LOCK_COMPLIANCE;
	return 0;
}

static int init_run(const struct cli_common *c, void *args, struct hf_repo *repo)
{
	struct init_args *a = args;
	struct hf_store *st = NULL;
	uint8_t id[HF_ID_LEN];
	char hex[HF_ID_HEX_LEN + 1], *pass = NULL;
	size_t plen = 0;
	int r;

	if (cli_passphrase(c, 1, &pass, &plen) < 0)
		return HF_EXIT_ERROR;
	r = cli_store_open(c, 1, &st);
	if (r < 0)
		goto out;
	r = choose_lock(c, a, st);
	if (r < 0)
		goto out;
	if (a->params.lock_mode == HF_LOCK_OFF)
		a->params.lock_period_s = 0;
	r = hf_repo_create(st, pass, plen, &a->params, id);
	if (r < 0) {
		cli_err("cannot create repository at %s: %s", c->repo, hf_strerror(r));
		goto out;
	}
	cli_id_hex(id, hex);
	printf("created holdfast repository %.8s at %s\n", hex, c->repo);
	if (a->params.lock_mode != HF_LOCK_OFF)
		printf("every object is locked (Object Lock, %s mode) for %lld s (%.1f days) after it is written; "
		       "run holdfast lock extend to keep what snapshots use locked\n",
		       hf_lock_mode_name(a->params.lock_mode), (long long)a->params.lock_period_s,
		       (double)a->params.lock_period_s / 86400);
out:
	hf_store_close(st);
	cli_passphrase_free(pass, plen);
	return r < 0 ? HF_EXIT_ERROR : HF_EXIT_OK;
}

const struct cli_command cli_cmd_init = {
	.name = "init",
	.help = "create a repository",
	.args_size = sizeof(struct init_args),
	.parse = init_parse,
	.run = init_run,
};
