/* cmd_scan.c — holdfast scan: look for ransomware activity in a snapshot,
 * file by file, against an earlier snapshot (by default its parent). */
#include <getopt.h>
#include <stdio.h>

#include "cli.h"
#include "commands.h"
#include "detect/detect.h"
#include "scan/scan.h"
#include "scan_follow.h"
#include "scan_print.h"
#include "util/err.h"

static const char usage[] =
	"usage: holdfast scan --repo DIR [SNAPSHOT] [--against SNAPSHOT] [--verbose] [--json]\n"
	"judges every file that changed in SNAPSHOT (default: latest) since the earlier snapshot\n"
	"(default: its parent); lists the files that are not clean (--verbose: every changed file)\n"
	"exit status: 0 clean, 4 suspicious or attack, 1 error\n"
	"       holdfast scan --repo URL --follow [--interval SECONDS] [--once] [--on-alert COMMAND]\n"
	"the trusted verifier (full key; an admin token on a server): judges every snapshot no full-key\n"
	"verdict covers yet, as it arrives, writes its verdict, pins the last clean snapshot on an attack,\n"
	"and alerts (COMMAND gets JSON on stdin) on attacks and on doubtful times or senders; one JSON\n"
	"line per snapshot. --once: one round (exit 4 if anything alerted), else until SIGTERM.\n";

enum { OPT_AGAINST = 1, OPT_VERBOSE, OPT_FOLLOW, OPT_INTERVAL, OPT_ONCE, OPT_ON_ALERT };

struct scan_args {
	const char *ref, *against_ref; /* against_ref NULL: the snapshot's parent */
	int verbose, follow, interval;
	struct follow_opts fo;
};

static int scan_parse(struct cli_common *c, void *args, int argc, char **argv)
{
	static const struct option opts[] = {CLI_COMMON_OPTIONS,
					     {"against", required_argument, NULL, OPT_AGAINST},
					     {"verbose", no_argument, NULL, OPT_VERBOSE},
					     {"follow", no_argument, NULL, OPT_FOLLOW},
					     {"interval", required_argument, NULL, OPT_INTERVAL},
					     {"once", no_argument, NULL, OPT_ONCE},
					     {"on-alert", required_argument, NULL, OPT_ON_ALERT},
					     {NULL, 0, NULL, 0}};
	struct scan_args *a = args;
	int opt, r;

	a->interval = 30;
	while ((opt = cli_next_opt(c, argc, argv, "r:v", opts, usage, &r)) > 0) {
		if (opt == OPT_AGAINST)
			a->against_ref = optarg;
		else if (opt == 'v' || opt == OPT_VERBOSE)
			a->verbose = 1;
		else if (opt == OPT_FOLLOW)
			a->follow = 1;
		else if (opt == OPT_ONCE)
			a->fo.once = 1;
		else if (opt == OPT_ON_ALERT)
			a->fo.on_alert = optarg;
		else if (opt == OPT_INTERVAL && cli_parse_uint(usage, "--interval", optarg, 86400, &a->interval) < 0)
			return HF_EXIT_USAGE;
	}
	if (opt < 0)
		return r;
	if (!a->follow && (a->fo.once || a->fo.on_alert))
		return cli_usage_error(usage, "--once and --on-alert go with --follow");
	if (a->follow) {
		if (optind != argc || a->against_ref)
			return cli_usage_error(usage, "--follow judges every new snapshot: name none");
		if (a->interval < 1)
			return cli_usage_error(usage, "--interval is at least 1 second");
		a->fo.interval_s = (unsigned)a->interval;
		return CLI_RUN;
	}
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

	if (a->follow)
		return scan_follow(repo, &a->fo);
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
	if (r == -HF_E_NODETECT) {
		cli_err("cannot scan: %s: %s", hf_strerror(r), hf_detect_unavailable());
		goto out;
	}
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
