/* cmd_init.c — holdfast init: create a repository. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "commands.h"
#include "store/store.h"
#include "util/err.h"

static const char usage[] = "usage: holdfast init --repo DIR [--password-file FILE] [--compression LEVEL]\n"
			    "LEVEL is a zstd level, -5..19 (default 3)\n";

enum { OPT_COMPRESSION = 1 };

struct init_args {
	struct hf_repo_params params;
};

/* init creates the repository it names: main.c opens none (no CMD_OPEN_REPO) */
static int init_parse(struct cli_common *c, void *args, int argc, char **argv)
{
	static const struct option opts[] = {CLI_COMMON_OPTIONS,
					     {"compression", required_argument, NULL, OPT_COMPRESSION},
					     {NULL, 0, NULL, 0}};
	struct init_args *a = args;
	int opt, r;

	while ((opt = cli_next_opt(c, argc, argv, "r:", opts, usage, &r)) > 0) {
		if (opt == OPT_COMPRESSION) {
			char *end;
			long v = strtol(optarg, &end, 10);
			if (!*optarg || *end || v < -5 || v > 19 || v == 0)
				return cli_usage_error(usage, "bad compression level '%s'", optarg);
			a->params.zlevel = (int)v;
		}
	}
	if (opt < 0)
		return r;
	if (optind != argc)
		return cli_usage_error(usage, "unexpected argument '%s'", argv[optind]);
	if (!c->repo)
		return cli_usage_error(usage, "no repository: use --repo DIR or set HOLDFAST_REPO");
	return CLI_RUN;
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
	r = hf_repo_create(st, pass, plen, &a->params, id);
	if (r < 0) {
		cli_err("cannot create repository at %s: %s", c->repo, hf_strerror(r));
		goto out;
	}
	cli_id_hex(id, hex);
	printf("created holdfast repository %.8s at %s\n", hex, c->repo);
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
