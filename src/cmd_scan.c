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

int cmd_scan(int argc, char **argv)
{
	static const struct option opts[] = {CLI_COMMON_OPTIONS,
					     {"against", required_argument, NULL, OPT_AGAINST},
					     {"verbose", no_argument, NULL, OPT_VERBOSE},
					     {NULL, 0, NULL, 0}};
	struct cli_common c;
	struct hf_repo *repo = NULL;
	struct hf_snapshot snap = {0}, against = {0};
	struct hf_scan_result res = {0};
	const char *against_ref = NULL;
	int opt, r, verbose = 0, has_against = 0, rc = HF_EXIT_ERROR;

	cli_common_init(&c);
	while ((opt = cli_next_opt(&c, argc, argv, "r:v", opts, usage, &r)) > 0) {
		if (opt == OPT_AGAINST)
			against_ref = optarg;
		else if (opt == 'v' || opt == OPT_VERBOSE)
			verbose = 1;
	}
	if (opt < 0)
		return r;
	if (argc - optind > 1)
		return cli_usage_error(usage, "name at most one SNAPSHOT");
	repo = cli_open_repo(&c);
	if (!repo)
		goto out;
	if (cli_resolve_snapshot(repo, optind < argc ? argv[optind] : "latest", &snap) < 0)
		goto out;
	if (against_ref) {
		if (cli_resolve_snapshot(repo, against_ref, &against) < 0)
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
	if (c.json)
		scan_print_json(stdout, &res);
	else
		scan_print_text(stdout, &res, verbose);
	rc = res.verdict == HF_SNAP_CLEAN ? HF_EXIT_OK : HF_EXIT_ALERT;
out:
	hf_scan_result_release(&res);
	hf_snapshot_release(&snap);
	hf_snapshot_release(&against);
	hf_repo_close(repo);
	return rc;
}
