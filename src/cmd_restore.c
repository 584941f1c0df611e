/* cmd_restore.c — holdfast restore: write a snapshot's files back. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "commands.h"
#include "util/err.h"
#include "util/mem.h"

static const char usage[] =
	"usage: holdfast restore --repo DIR SNAPSHOT --target DIR [--include PATH]...\n"
	"SNAPSHOT is an id prefix or 'latest'; files go to TARGET/<absolute path>.\n";

enum { OPT_TARGET = 1, OPT_INCLUDE, OPT_THREADS };

int cmd_restore(int argc, char **argv)
{
	static const struct option opts[] = {CLI_COMMON_OPTIONS,
					     {"target", required_argument, NULL, OPT_TARGET},
					     {"include", required_argument, NULL, OPT_INCLUDE},
					     {"threads", required_argument, NULL, OPT_THREADS},
					     {NULL, 0, NULL, 0}};
	struct cli_common c;
	struct hf_restore_opts o = {0};
	struct hf_restore_stats st;
	struct hf_progress prog = {0};
	struct hf_snapshot snap = {0};
	struct cli_progress *cp;
	struct hf_repo *repo = NULL;
	char **inc = NULL;
	size_t ninc = 0;
	int opt, r, rc = HF_EXIT_ERROR;

	cli_common_init(&c);
	inc = hf_xcalloc((size_t)argc, sizeof(char *));
	while ((opt = cli_next_opt(&c, argc, argv, "r:t:i:", opts, usage, &rc)) > 0) {
		switch (opt) {
		case 't':
		case OPT_TARGET:
			o.target = optarg;
			break;
		case 'i':
		case OPT_INCLUDE:
			if (hf_path_absolute(optarg, &inc[ninc]) < 0) {
				rc = cli_usage_error(usage, "bad --include '%s'", optarg);
				goto out;
			}
			ninc++;
			break;
		case OPT_THREADS:
			o.threads = atoi(optarg);
			break;
		}
	}
	if (opt < 0)
		goto out;
	if (optind + 1 != argc) {
		rc = cli_usage_error(usage, "name exactly one SNAPSHOT");
		goto out;
	}
	if (!o.target) {
		rc = cli_usage_error(usage, "--target DIR is required");
		goto out;
	}
	repo = cli_open_repo(&c);
	if (!repo)
		goto out;
	if (cli_resolve_snapshot(repo, argv[optind], &snap) < 0)
		goto out;
	o.includes = inc;
	o.nincludes = ninc;
	o.report = cli_report;
	o.progress = &prog;
	cp = cli_progress_start(&prog, "restore");
	r = hf_restore(repo, &snap, &o, &st);
	cli_progress_stop(cp);
	if (r < 0) {
		cli_err("restore failed: %s", hf_strerror(r));
		goto out;
	}
	if (!c.json)
		printf("restored %llu files, %llu directories, %llu other entries, %.1f MiB\n",
		       (unsigned long long)st.files, (unsigned long long)st.dirs, (unsigned long long)st.others,
		       (double)st.bytes / 1048576.0);
	else
		printf("{\"files\": %llu, \"dirs\": %llu, \"others\": %llu, \"bytes\": %llu, \"errors\": %llu}\n",
		       (unsigned long long)st.files, (unsigned long long)st.dirs, (unsigned long long)st.others,
		       (unsigned long long)st.bytes, (unsigned long long)st.errors);
	if (st.errors) {
		cli_err("%llu entries could not be restored", (unsigned long long)st.errors);
		goto out;
	}
	rc = HF_EXIT_OK;
out:
	hf_snapshot_release(&snap);
	hf_repo_close(repo);
	for (size_t i = 0; i < ninc; i++)
		free(inc[i]);
	free(inc);
	return rc;
}
