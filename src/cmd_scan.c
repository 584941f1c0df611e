/* cmd_scan.c — holdfast scan: look for ransomware activity in a snapshot,
 * file by file, against an earlier snapshot (by default its parent). */
#include <getopt.h>
#include <stdio.h>

#include "cli.h"
#include "commands.h"
#include "scan/scan.h"
#include "scan_print.h"
#include "util/err.h"

static const char usage[] =
	"usage: holdfast scan --repo DIR [SNAPSHOT] [--against SNAPSHOT] [--verbose] [--json]\n"
	"judges every file that changed in SNAPSHOT (default: latest) since the earlier snapshot\n"
	"(default: its parent); lists the files that are not clean (--verbose: every changed file)\n"
	"exit status: 0 clean, 4 suspicious or attack, 1 error\n";

enum { OPT_AGAINST = 1, OPT_VERBOSE };

struct scan_args {
	const char *ref, *against_ref; /* against_ref NULL: the snapshot's parent */
	int verbose;
};

static int scan_parse(struct cli_common *c, void *args, int argc, char **argv)
{
	static const struct option opts[] = {CLI_COMMON_OPTIONS,
					     {"against", required_argument, NULL, OPT_AGAINST},
					     {"verbose", no_argument, NULL, OPT_VERBOSE},
					     {NULL, 0, NULL, 0}};
	struct scan_args *a = args;
	int opt, r;

	while ((opt = cli_next_opt(c, argc, argv, "r:v", opts, usage, &r)) > 0) {
		if (opt == OPT_AGAINST)
			a->against_ref = optarg;
		else if (opt == 'v' || opt == OPT_VERBOSE)
			a->verbose = 1;
	}
	if (opt < 0)
		return r;
	if (argc - optind > 1)
		return cli_usage_error(usage, "name at most one SNAPSHOT");
	a->ref = optind < argc ? argv[optind] : "latest";
	return CLI_RUN;
}

static int scan_run(const struct cli_common *c, void *args, struct hf_repo *repo)
{
	struct scan_args *a = args;
	struct hf_snapshot snap = {0}, against = {0};
	struct hf_scan_result res = {0};
	int r, has_against = 0, rc = HF_EXIT_ERROR;

	if (cli_resolve_snapshot(repo, a->ref, &snap) < 0)
		goto out;
	if (a->against_ref) {
		if (cli_resolve_snapshot(repo, a->against_ref, &against) < 0)
			goto out;
		has_against = 1;
	} else {
		r = hf_scan_find_against(repo, &snap, &against);
		if (r < 0 && r != -HF_E_NOTFOUND) {
			cli_err("cannot find the snapshot to compare with: %s", hf_strerror(r));
			goto out;
		}
		has_against = r == 0;
	}
	r = hf_scan(repo, &snap, has_against ? &against : NULL, &res);
	if (r < 0) {
		cli_err("cannot scan: %s", hf_strerror(r));
		goto out;
	}
	if (c->json)
		scan_print_json(stdout, &res);
	else
		scan_print_text(stdout, &res, a->verbose);
	rc = res.verdict == HF_SNAP_CLEAN ? HF_EXIT_OK : HF_EXIT_ALERT;
out:
	hf_scan_result_release(&res);
	hf_snapshot_release(&snap);
	hf_snapshot_release(&against);
	return rc;
}

const struct cli_command cli_cmd_scan = {
	.name = "scan",
	.help = "look for ransomware activity in a snapshot",
	.flags = CMD_OPEN_REPO,
	.args_size = sizeof(struct scan_args),
	.parse = scan_parse,
	.run = scan_run,
};
