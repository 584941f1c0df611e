/* cmd_restore.c — holdfast restore: write a snapshot's files back, or with
 * --last-clean the newest clean version of every file (docs/DETECTION.md). */
#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "commands.h"
#include "engine/restore_lastclean.h"
#include "quote.h"
#include "util/err.h"
#include "util/mem.h"

static const char usage[] = "usage: holdfast restore --repo DIR SNAPSHOT --target DIR [--include PATH]...\n"
			    "       holdfast restore --repo DIR --last-clean [--before SNAPSHOT|TIME] [--strict]\n"
			    "                        --target DIR [--include PATH]...\n"
			    "SNAPSHOT is an id prefix or 'latest'; files go to TARGET/<absolute path>.\n"
			    "TIME is YYYY-MM-DD[ HH:MM[:SS]] (local time) or @UNIXSECONDS.\n";

enum { OPT_TARGET = 1, OPT_INCLUDE, OPT_THREADS, OPT_LAST_CLEAN, OPT_BEFORE, OPT_STRICT };

struct restore_args {
	struct hf_restore_opts o;
	int last_clean, strict;
	const char *before;
	const char *ref; /* SNAPSHOT; NULL with --last-clean */
	char **inc;      /* --include paths, absolute */
	size_t ninc;
};

/* a time, or what could name a snapshot: checked before the passphrase */
static int before_ok(const char *s)
{
	int64_t ns;
	size_t n = strlen(s);

	if (cli_parse_time(s, &ns) || strcmp(s, "latest") == 0)
		return 1;
	if (n < 4 || n > 64)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

/* 1 if the snapshot backed up every path of the includes (all of them, or
 * a directory above) */
static int covers(const struct hf_snapshot *s, char **includes, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int in = 0;
		for (size_t j = 0; j < s->npaths && !in; j++) {
			size_t l = strlen(s->paths[j]);
			in = strcmp(s->paths[j], "/") == 0 || (strncmp(includes[i], s->paths[j], l) == 0 &&
							       (includes[i][l] == '\0' || includes[i][l] == '/'));
		}
		if (!in)
			return 0;
	}
	return 1;
}

/* Index of the newest snapshot taken before `before` (NULL: the newest of
 * all) whose paths hold the includes: in a repository several hosts or
 * path sets share, --include picks the history. Times are the snapshots'
 * as the list orders them (their arrival, on a server). */
static int pick_newest(struct hf_repo *repo, const struct hf_snapshot *all, size_t n, const char *before,
		       const struct hf_restore_opts *o, size_t *out)
{
	int64_t cutoff = INT64_MAX, now = hf_snapshot_clock_now();
	struct hf_snapshot ref = {0};
	int found = 0, trusted = 0;

	if (before && !cli_parse_time(before, &cutoff)) {
		if (cli_resolve_snapshot(repo, before, &ref) < 0)
			return -1;
		cutoff = hf_snapshot_when(&ref);
	}
	for (size_t i = 0; i < n; i++) {
		if (hf_snapshot_when(&all[i]) >= cutoff && before)
			continue;
		if (!covers(&all[i], o->includes, o->nincludes))
			continue;
		if (before && memcmp(all[i].id, ref.id, HF_ID_LEN) == 0)
			continue;
		/* as "latest": one whose time is in doubt only if there is no other */
		if (hf_snapshot_time_doubtful(&all[i], now) && trusted)
			continue;
		trusted = !hf_snapshot_time_doubtful(&all[i], now);
		*out = i;
		found = 1;
	}
	hf_snapshot_release(&ref);
	if (!found && before) {
		char *q = cli_quote(before);
		cli_err("no snapshot before %s", q);
		free(q);
	} else if (!found) {
		cli_err("the repository has no snapshots");
	}
	return found ? 0 : -1;
}

/* files --last-clean left out, or restored from a version flagged
 * suspicious: printed at once, or kept for the JSON */
struct noted {
	int json;
	const char *label; /* how a line starts: "skipped" */
	size_t shown;      /* files reported (under the includes) */
	char **paths;
	const char **whys; /* static strings */
	size_t n;
};

static void note_file(void *arg, const char *path, const char *why)
{
	struct noted *sk = arg;

	sk->shown++;
	if (!sk->json) {
		printf("%s ", sk->label);
		cli_quote_put(stdout, path);
		printf(": %s\n", why);
		return;
	}
	sk->paths = hf_xreallocarray(sk->paths, sk->n + 1, sizeof(*sk->paths));
	sk->whys = hf_xreallocarray(sk->whys, sk->n + 1, sizeof(*sk->whys));
	sk->paths[sk->n] = hf_xstrdup(path);
	sk->whys[sk->n++] = why;
}

static void noted_release(struct noted *sk)
{
	for (size_t i = 0; i < sk->n; i++)
		free(sk->paths[i]);
	free(sk->paths);
	free(sk->whys);
}

static void print_noted(const char *key, const struct noted *sk)
{
	printf(", \"%s\": [", key);
	for (size_t i = 0; i < sk->n; i++) {
		printf("%s{\"path\": ", i ? ", " : "");
		cli_json_str(stdout, sk->paths[i]);
		printf(", \"why\": ");
		cli_json_str(stdout, sk->whys[i]);
		printf("}");
	}
	printf("]");
}

/* sk: --last-clean's files skipped and kept suspicious (two) */
static void print_stats(const struct hf_restore_stats *st, const struct noted *sk, int json)
{
	if (!json) {
		printf("restored %llu files, %llu directories, %llu other entries, %.1f MiB\n",
		       (unsigned long long)st->files, (unsigned long long)st->dirs, (unsigned long long)st->others,
		       (double)st->bytes / 1048576.0);
		return;
	}
	printf("{\"files\": %llu, \"dirs\": %llu, \"others\": %llu, \"bytes\": %llu, \"errors\": %llu",
	       (unsigned long long)st->files, (unsigned long long)st->dirs, (unsigned long long)st->others,
	       (unsigned long long)st->bytes, (unsigned long long)st->errors);
	if (sk) { /* --last-clean */
		print_noted("skipped", &sk[0]);
		print_noted("kept_suspicious", &sk[1]);
	}
	printf("}\n");
}

static int restore_last_clean(struct hf_repo *repo, const struct restore_args *a, struct hf_restore_stats *st,
			      struct noted *sk)
{
	struct hf_snapshot *all = NULL, *chain = NULL;
	struct hf_lastclean_opts lo = {0};
	struct hf_lastclean_stats ls;
	size_t n = 0, bad = 0, newest;
	int r;

	r = hf_snapshot_list(repo, &all, &n, &bad);
	if (r < 0) {
		cli_err("cannot list snapshots: %s", hf_strerror(r));
		return -1;
	}
	if (bad)
		cli_err("warning: %zu damaged snapshots left out", bad);
	if (pick_newest(repo, all, n, a->before, &a->o, &newest) < 0) {
		hf_snapshot_list_free(all, n);
		return -1;
	}
	chain = hf_xcalloc(n, sizeof(*chain));
	lo.snaps = chain;
	lo.n = hf_chain_of(all, n, newest, chain);
	lo.strict = a->strict;
	lo.skipped = note_file;
	lo.skipped_arg = &sk[0];
	lo.kept_suspicious = note_file;
	lo.kept_arg = &sk[1];
	r = hf_restore_last_clean(repo, &lo, &a->o, st, &ls);
	free(chain);
	hf_snapshot_list_free(all, n);
	if (r < 0) {
		cli_err("restore failed: %s", hf_strerror(r));
		return -1;
	}
	if (!sk->json)
		printf("last clean versions%s: %llu files from the newest snapshot, %llu from earlier ones "
		       "(%llu snapshots used); %zu skipped\n",
		       a->o.nincludes ? " (whole snapshot)" : "", (unsigned long long)ls.from_newest,
		       (unsigned long long)ls.from_older, (unsigned long long)ls.sources, sk[0].shown);
	return 0;
}

/* every argument is checked here (--target above all), before the passphrase */
static int restore_parse(struct cli_common *c, void *args, int argc, char **argv)
{
	static const struct option opts[] = {CLI_COMMON_OPTIONS,
					     {"target", required_argument, NULL, OPT_TARGET},
					     {"include", required_argument, NULL, OPT_INCLUDE},
					     {"threads", required_argument, NULL, OPT_THREADS},
					     {"last-clean", no_argument, NULL, OPT_LAST_CLEAN},
					     {"before", required_argument, NULL, OPT_BEFORE},
					     {"strict", no_argument, NULL, OPT_STRICT},
					     {NULL, 0, NULL, 0}};
	struct restore_args *a = args;
	int opt, rc = HF_EXIT_ERROR;

	a->inc = hf_xcalloc((size_t)argc, sizeof(char *));
	while ((opt = cli_next_opt(c, argc, argv, "r:t:i:", opts, usage, &rc)) > 0) {
		switch (opt) {
		case 't':
		case OPT_TARGET:
			a->o.target = optarg;
			break;
		case 'i':
		case OPT_INCLUDE:
			if (hf_path_absolute(optarg, &a->inc[a->ninc]) < 0)
				return cli_usage_error(usage, "bad --include '%s'", optarg);
			a->ninc++;
			break;
		case OPT_THREADS:
			if (cli_parse_uint(usage, "--threads", optarg, CLI_THREADS_MAX, &a->o.threads) < 0)
				return HF_EXIT_USAGE;
			break;
		case OPT_LAST_CLEAN:
			a->last_clean = 1;
			break;
		case OPT_BEFORE:
			a->before = optarg;
			break;
		case OPT_STRICT:
			a->strict = 1;
			break;
		}
	}
	if (opt < 0)
		return rc;
	if (a->last_clean ? optind != argc : optind + 1 != argc)
		return cli_usage_error(usage, a->last_clean ? "--last-clean takes no SNAPSHOT (see --before)"
							    : "name exactly one SNAPSHOT");
	if (!a->last_clean && (a->before || a->strict))
		return cli_usage_error(usage, "--before and --strict go with --last-clean");
	if (a->before && !before_ok(a->before))
		return cli_usage_error(
			usage,
			"--before %s: neither a time (YYYY-MM-DD[ HH:MM[:SS]] or @SECONDS) nor a snapshot "
			"('latest' or an id prefix of 4 to 64 hex digits)",
			a->before);
	if (!a->o.target)
		return cli_usage_error(usage, "--target DIR is required");
	if (!a->last_clean)
		a->ref = argv[optind];
	return CLI_RUN;
}

static int restore_run(const struct cli_common *c, void *args, struct hf_repo *repo)
{
	struct restore_args *a = args;
	struct noted sk[2] = {{.label = "skipped"}, {.label = "kept"}};
	struct hf_restore_stats st;
	struct hf_progress prog = {0};
	struct hf_snapshot snap = {0};
	struct cli_progress *cp;
	int r, rc = HF_EXIT_ERROR;

	a->o.includes = a->inc;
	a->o.nincludes = a->ninc;
	a->o.report = cli_report;
	a->o.progress = &prog;
	if (a->last_clean) {
		a->o.progress = NULL; /* several passes: no single total to show */
		sk[0].json = sk[1].json = c->json;
		if (restore_last_clean(repo, a, &st, sk) < 0)
			goto out;
	} else {
		if (cli_resolve_snapshot(repo, a->ref, &snap) < 0)
			goto out;
		cp = cli_progress_start(&prog, "restore");
		r = hf_restore(repo, &snap, &a->o, &st);
		cli_progress_stop(cp);
		if (r < 0) {
			cli_err("restore failed: %s", hf_strerror(r));
			goto out;
		}
	}
	print_stats(&st, a->last_clean ? sk : NULL, c->json);
	if (st.errors) {
		cli_err("%llu entries could not be restored", (unsigned long long)st.errors);
		goto out;
	}
	rc = HF_EXIT_OK;
out:
	a->o.progress = NULL; /* prog is gone when run returns */
	noted_release(&sk[0]);
	noted_release(&sk[1]);
	hf_snapshot_release(&snap);
	return rc;
}

static void restore_release(void *args)
{
	struct restore_args *a = args;

	for (size_t i = 0; i < a->ninc; i++)
		free(a->inc[i]);
	free(a->inc);
}

const struct cli_command cli_cmd_restore = {
	.name = "restore",
	.help = "restore a snapshot",
	.flags = CMD_OPEN_REPO,
	.args_size = sizeof(struct restore_args),
	.parse = restore_parse,
	.run = restore_run,
	.release = restore_release,
};
