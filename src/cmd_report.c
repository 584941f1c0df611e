/* cmd_report.c — holdfast report: the incident report of one backup
 * history (lib/report, docs/REPORT.md) as one self-contained HTML page
 * and/or a JSON document. Needs the full key: it reads file contents (ransom
 * notes, the last clean versions for personal data). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "commands.h"
#include "report/report.h"
#include "util/err.h"

static const char usage[] =
	"usage: holdfast report --repo DIR [SNAPSHOT] [--since TIME] [--all] --html FILE [--json FILE]\n"
	"the incident report of SNAPSHOT's backup history (default: latest): summary, timeline, scope,\n"
	"ransom notes, personal data at risk, GDPR Art. 33 facts, recovery plan. TIME is\n"
	"YYYY-MM-DD[ HH:MM[:SS]] (local time) or @UNIXSECONDS: earlier backups serve only as the\n"
	"baseline. --all counts personal data in every file of the directories hit, not only in the\n"
	"encrypted ones. Needs the full key.\n";

enum { OPT_HTML = 1, OPT_JSON_FILE, OPT_SINCE, OPT_ALL };

struct report_args {
	const char *ref, *html, *json;
	int64_t since_ns;
	int all;
};

static int report_parse(struct cli_common *c, void *args, int argc, char **argv)
{
	/* --json takes a FILE here: this entry comes before the common flag */
	static const struct option opts[] = {{"json", required_argument, NULL, OPT_JSON_FILE},
					     {"html", required_argument, NULL, OPT_HTML},
					     {"since", required_argument, NULL, OPT_SINCE},
					     {"all", no_argument, NULL, OPT_ALL},
					     CLI_COMMON_OPTIONS,
					     {NULL, 0, NULL, 0}};
	struct report_args *a = args;
	int opt, r;

	while ((opt = cli_next_opt(c, argc, argv, "r:", opts, usage, &r)) > 0) {
		if (opt == OPT_HTML)
			a->html = optarg;
		else if (opt == OPT_JSON_FILE)
			a->json = optarg;
		else if (opt == OPT_ALL)
			a->all = 1;
		else if (opt == OPT_SINCE && (!cli_parse_time(optarg, &a->since_ns) || a->since_ns < 0))
			return cli_usage_error(usage, "--since: not a TIME");
	}
	if (opt < 0)
		return r;
	if (!a->html && !a->json)
		return cli_usage_error(usage, "name an output: --html FILE and/or --json FILE");
	if (argc - optind > 1)
		return cli_usage_error(usage, "name at most one SNAPSHOT");
	a->ref = optind < argc ? argv[optind] : "latest";
	return CLI_RUN;
}

static int write_out(const char *path, const struct hf_report *rep, int html)
{
	FILE *f = fopen(path, "w");
	int r;

	if (!f) {
		cli_err("cannot write %s: %m", path);
		return -1;
	}
	r = html ? hf_report_write_html(rep, f) : hf_report_write_json(rep, f);
	if (fclose(f) != 0 && r == 0)
		r = -1;
	if (r < 0) {
		cli_err("cannot write %s", path);
		return -1;
	}
	return 0;
}

static int report_run(const struct cli_common *c, void *args, struct hf_repo *repo)
{
	struct report_args *a = args;
	struct hf_snapshot snap = {0};
	struct hf_report rep;
	struct hf_report_opts o = {0};
	int r, rc = HF_EXIT_ERROR, built = 0;

	if (cli_resolve_snapshot(repo, a->ref, &snap) < 0)
		goto out;
	o.snapshot = &snap;
	o.since_ns = a->since_ns;
	o.repo = c->repo;
	o.all = a->all;
	r = hf_report_build(repo, &o, &rep);
	if (r < 0) {
		cli_err("cannot build the report: %s", hf_strerror(r));
		goto out;
	}
	built = 1;
	if (a->html && write_out(a->html, &rep, 1) < 0)
		goto out;
	if (a->json && write_out(a->json, &rep, 0) < 0)
		goto out;
	printf("%s: %zu file(s) encrypted, %zu ransom note(s)%s%s%s%s\n", rep.attack ? "attack" : "no attack",
	       rep.nfiles, rep.nnotes, a->html ? "; " : "", a->html ? a->html : "", a->json ? "; " : "",
	       a->json ? a->json : "");
	rc = HF_EXIT_OK;
out:
	if (built)
		hf_report_release(&rep);
	hf_snapshot_release(&snap);
	return rc;
}

const struct cli_command cli_cmd_report = {
	.name = "report",
	.help = "write the incident report (HTML, JSON) of a backup history",
	.flags = CMD_OPEN_REPO,
	.args_size = sizeof(struct report_args),
	.parse = report_parse,
	.run = report_run,
};
