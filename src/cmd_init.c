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

int cmd_init(int argc, char **argv)
{
	static const struct option opts[] = {CLI_COMMON_OPTIONS,
					     {"compression", required_argument, NULL, OPT_COMPRESSION},
					     {NULL, 0, NULL, 0}};
	struct hf_repo_params params = {0};
	struct cli_common c;
	struct hf_store *st = NULL;
	uint8_t id[HF_ID_LEN];
	char hex[HF_ID_HEX_LEN + 1], *pass = NULL;
	size_t plen = 0;
	int opt, r;

	cli_common_init(&c);
	while ((opt = cli_next_opt(&c, argc, argv, "r:", opts, usage, &r)) > 0) {
		if (opt == OPT_COMPRESSION) {
			char *end;
			long v = strtol(optarg, &end, 10);
			if (!*optarg || *end || v < -5 || v > 19 || v == 0)
				return cli_usage_error(usage, "bad compression level '%s'", optarg);
			params.zlevel = (int)v;
		}
	}
	if (opt < 0)
		return r;
	if (optind != argc)
		return cli_usage_error(usage, "unexpected argument '%s'", argv[optind]);
	if (!c.repo)
		return cli_usage_error(usage, "no repository: use --repo DIR or set HOLDFAST_REPO");
	if (cli_passphrase(&c, 1, &pass, &plen) < 0)
		return HF_EXIT_ERROR;
	r = hf_store_open(c.repo, 1, &st);
	if (r == -HF_E_EXISTS) {
		cli_err("cannot create repository: %s exists and is not empty", c.repo);
		goto out;
	}
	if (r < 0) {
		cli_err("cannot create repository at %s: %s", c.repo, hf_strerror(r));
		goto out;
	}
	r = hf_repo_create(st, pass, plen, &params, id);
	if (r < 0) {
		cli_err("cannot create repository at %s: %s", c.repo, hf_strerror(r));
		goto out;
	}
	cli_id_hex(id, hex);
	printf("created holdfast repository %.8s at %s\n", hex, c.repo);
out:
	hf_store_close(st);
	cli_passphrase_free(pass, plen);
	return r < 0 ? HF_EXIT_ERROR : HF_EXIT_OK;
}
