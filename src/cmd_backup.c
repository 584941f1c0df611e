/* cmd_backup.c — holdfast backup: save paths into a new snapshot, then scan
 * it against its predecessor (backup_alert.c). */
#include <errno.h>
#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "backup_alert.h"
#include "cli.h"
#include "commands.h"
#include "detect/detect.h"
#include "quote.h"
#include "util/err.h"
#include "util/mem.h"

static const char usage[] =
	"usage: holdfast backup --repo DIR [--exclude PATTERN]... [--one-file-system] [--host NAME]\n"
	"                       [--time 'YYYY-MM-DD HH:MM:SS'] [--on-alert COMMAND] [--no-detect]\n"
	"                       [--no-cache] [--json] PATH...\n"
	"exit status: 0 saved, 3 saved without some unreadable files, 4 saved but the scan\n"
	"found suspicious activity or an attack, 1 error\n";

enum { OPT_EXCLUDE = 1, OPT_ONE_FS, OPT_HOST, OPT_THREADS, OPT_ON_ALERT, OPT_NO_DETECT, OPT_NO_CACHE, OPT_TIME };

/* "--time 'YYYY-MM-DD HH:MM:SS'" in local time (importing old data with
 * its dates); a server records the real arrival beside it anyway */
static int parse_time(const char *arg, int64_t *ns)
{
	struct tm tm;
	const char *end;
	time_t t;

	memset(&tm, 0, sizeof(tm));
	end = strptime(arg, "%Y-%m-%d %H:%M:%S", &tm);
	if (!end || *end)
		return cli_usage_error(usage, "--time is 'YYYY-MM-DD HH:MM:SS' (local time)");
	tm.tm_isdst = -1;
	t = mktime(&tm);
	if (t == (time_t)-1 || t < 0)
		return cli_usage_error(usage, "--time is 'YYYY-MM-DD HH:MM:SS' (local time), after 1970");
	*ns = (int64_t)t * 1000000000;
	return 0;
}

static double seconds_since(const struct timespec *a)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - a->tv_sec) + (double)(now.tv_nsec - a->tv_nsec) / 1e9;
}

static void print_json(const struct hf_backup_stats *st, const struct hf_backup_verdict *al, double secs)
{
	char id[HF_ID_HEX_LEN + 1], parent[HF_ID_HEX_LEN + 1];

	cli_id_hex(st->snapshot, id);
	printf("{\"snapshot\": \"%s\", \"parent\": ", id);
	if (st->has_parent) {
		cli_id_hex(st->parent, parent);
		printf("\"%s\"", parent);
	} else {
		printf("null");
	}
	printf(", \"files_new\": %llu, \"files_changed\": %llu, \"files_unchanged\": %llu, \"dirs\": %llu, "
	       "\"bytes_total\": %llu, \"bytes_read\": %llu, \"bytes_added\": %llu, \"bytes_stored\": %llu, "
	       "\"errors\": %llu, \"damaged_parent_trees\": %llu, \"seconds\": %.3f, \"scan\": ",
	       (unsigned long long)st->files_new, (unsigned long long)st->files_changed,
	       (unsigned long long)st->files_unchanged, (unsigned long long)st->dirs,
	       (unsigned long long)st->bytes_total, (unsigned long long)st->bytes_read,
	       (unsigned long long)st->bytes_added, (unsigned long long)st->bytes_stored,
	       (unsigned long long)st->errors, (unsigned long long)st->damaged_parent_trees, secs);
	if (!al->scanned) {
		printf("null}\n");
		return;
	}
	printf("{\"verdict\": \"%s\", \"encrypted\": %llu, \"suspicious\": %llu, \"notes\": %llu, \"pinned\": ",
	       hf_snap_verdict_name(al->verdict), (unsigned long long)al->encrypted, (unsigned long long)al->suspicious,
	       (unsigned long long)al->notes);
	if (al->pinned) {
		cli_id_hex(al->pinned_id, id);
		printf("\"%s\"}}\n", id);
	} else {
		printf("null}}\n");
	}
}

static void print_text(const struct hf_backup_stats *st, double secs)
{
	char id[HF_ID_HEX_LEN + 1];

	cli_id_hex(st->snapshot, id);
	printf("files: %llu new, %llu changed, %llu unchanged; %llu directories\n", (unsigned long long)st->files_new,
	       (unsigned long long)st->files_changed, (unsigned long long)st->files_unchanged,
	       (unsigned long long)st->dirs);
	printf("data: %.1f MiB read, %.1f MiB new, %.1f MiB stored, in %.2f s\n", (double)st->bytes_read / 1048576.0,
	       (double)st->bytes_added / 1048576.0, (double)st->bytes_stored / 1048576.0, secs);
	printf("snapshot %s saved\n", id);
}

static void print_alert_text(const struct hf_backup_verdict *al, int write_only)
{
	char id[HF_ID_HEX_LEN + 1];

	if (!al->scanned) {
		printf(write_only ? "scan: no earlier snapshot of these paths in the local cache, nothing to compare "
				    "with\n"
				  : "scan: first snapshot of these paths, nothing to compare with\n");
		return;
	}
	printf("scan: %s (%llu encrypted, %llu suspicious, %llu ransom notes)\n", hf_snap_verdict_name(al->verdict),
	       (unsigned long long)al->encrypted, (unsigned long long)al->suspicious, (unsigned long long)al->notes);
	if (al->pinned && write_only) {
		cli_id_hex(al->pinned_id, id);
		printf("pinned %s, the snapshot this backup started from; a host with the full key can judge the "
		       "history: holdfast scan --repo URL latest\n",
		       id);
	} else if (al->pinned) {
		cli_id_hex(al->pinned_id, id);
		printf("pinned %s, the last clean snapshot; see: holdfast scan --repo DIR latest\n", id);
	}
}

/* a write-only key's local cache: HOLDFAST_CACHE_DIR, else
 * $XDG_CACHE_HOME/holdfast, else ~/.cache/holdfast (NULL: none known) */
char *cli_cache_dir(void)
{
	const char *env = getenv("HOLDFAST_CACHE_DIR"), *base;
	char *out = NULL;

	if (env && env[0])
		return hf_xstrdup(env);
	if ((base = getenv("XDG_CACHE_HOME")) && base[0] == '/') {
		if (asprintf(&out, "%s/holdfast", base) < 0)
			out = NULL;
	} else if ((base = getenv("HOME")) && base[0] == '/') {
		if (asprintf(&out, "%s/.cache/holdfast", base) < 0)
			out = NULL;
	}
	return out;
}

struct backup_args {
	struct hf_backup_opts o;
	struct timespec t0; /* the time printed counts from here, as the user sees it */
	char host[256];
	char **paths, **excludes;
	size_t np, nex;
	const char *on_alert;
	int no_cache;
	char *cache_dir;                /* a write-only key's local cache */
	struct hf_detect *sandbox_hold; /* keeps detection's sandbox from parse to release */
};

/* the PATHs are made absolute here: a bad one fails before the passphrase */
static int backup_parse(struct cli_common *c, void *args, int argc, char **argv)
{
	static const struct option opts[] = {CLI_COMMON_OPTIONS,
					     {"exclude", required_argument, NULL, OPT_EXCLUDE},
					     {"one-file-system", no_argument, NULL, OPT_ONE_FS},
					     {"host", required_argument, NULL, OPT_HOST},
					     {"time", required_argument, NULL, OPT_TIME},
					     {"threads", required_argument, NULL, OPT_THREADS},
					     {"on-alert", required_argument, NULL, OPT_ON_ALERT},
					     {"no-detect", no_argument, NULL, OPT_NO_DETECT},
					     {"no-cache", no_argument, NULL, OPT_NO_CACHE},
					     {NULL, 0, NULL, 0}};
	struct backup_args *a = args;
	int opt, rc = HF_EXIT_ERROR;

	clock_gettime(CLOCK_MONOTONIC, &a->t0);
	gethostname(a->host, sizeof(a->host) - 1);
	a->o.host = a->host;
	a->excludes = hf_xcalloc((size_t)argc, sizeof(char *));
	while ((opt = cli_next_opt(c, argc, argv, "r:e:x", opts, usage, &rc)) > 0) {
		switch (opt) {
		case 'e':
		case OPT_EXCLUDE:
			a->excludes[a->nex++] = optarg;
			break;
		case 'x':
		case OPT_ONE_FS:
			a->o.one_file_system = 1;
			break;
		case OPT_HOST:
			a->o.host = optarg;
			break;
		case OPT_TIME:
			if (parse_time(optarg, &a->o.time_ns) != 0)
				return HF_EXIT_USAGE;
			break;
		case OPT_THREADS:
			if (cli_parse_uint(usage, "--threads", optarg, CLI_THREADS_MAX, &a->o.threads) < 0)
				return HF_EXIT_USAGE;
			break;
		case OPT_ON_ALERT:
			a->on_alert = optarg;
			break;
		case OPT_NO_DETECT:
			a->o.no_profiles = 1;
			break;
		case OPT_NO_CACHE:
			a->no_cache = 1;
			break;
		}
	}
	if (opt < 0)
		return rc;
	if (optind == argc)
		return cli_usage_error(usage, "nothing to back up: name at least one PATH");
	if (cli_absolute_paths(argc - optind, argv + optind, &a->paths, &a->np) < 0)
		return HF_EXIT_ERROR;
	/* detection's sandbox forks: its zygote starts here, before main.c opens
	 * the repository (so its processes hold no copy of the keys; its start
	 * overlaps the key's derivation) and before any thread (detect.h) */
	if (!a->o.no_profiles)
		hf_detect_prestart();
	return CLI_RUN;
}

static int backup_run(const struct cli_common *c, void *args, struct hf_repo *repo)
{
	struct backup_args *a = args;
	struct hf_backup_opts *o = &a->o;
	struct hf_backup_stats st;
	struct hf_backup_verdict al;
	struct hf_progress prog = {0};
	struct cli_progress *cp;
	struct passwd *pw;
	int r, rc, wo;

	if (hf_repo_lock_missing(repo)) {
		cli_err("cannot back up to %s: its config asks for Object Lock and this store cannot lock objects "
			"(back up to the S3 bucket itself)",
			c->repo);
		return HF_EXIT_ERROR;
	}
	/* this context keeps the sandbox for hf_backup's and the scan's */
	if (!o->no_profiles && !(a->sandbox_hold = hf_detect_new()))
		cli_err("warning: %s (%s): this backup records no content profiles, and no scan can judge "
			"its files",
			hf_strerror(-HF_E_NODETECT), hf_detect_unavailable());
	pw = getpwuid(geteuid());
	o->user = pw ? pw->pw_name : "";
	o->paths = a->paths;
	o->npaths = a->np;
	o->excludes = a->excludes;
	o->nexcludes = a->nex;
	o->report = cli_report;
	o->progress = &prog;
	/* a write-only key reads no snapshot: its parent, and the scan after
	 * the backup, come from its local cache */
	wo = hf_repo_write_only(repo);
	if (!a->no_cache)
		a->cache_dir = cli_cache_dir();
	/* a remote repository's snapshot, index and mark objects come from
	 * local copies where those are whole (with the full key: the parent's
	 * search, the index, the scan's history; with a write-only key: the
	 * index objects' id lists); where none can be kept, every listing
	 * fetches them all */
	if (wo)
		o->cache_dir = a->cache_dir;
	if (a->cache_dir)
		(void)hf_repo_cache_objects(repo, a->cache_dir);
	o->collect_changes = !o->no_profiles; /* for the scan after the backup */
	cp = cli_progress_start(&prog, "backup");
	r = hf_backup(repo, o, &st);
	cli_progress_stop(cp);
	o->progress = NULL; /* prog is gone when run returns */
	if (r < 0) {
		if (r == -ENOSPC || r == -EDQUOT) { /* only repository writes can fill a disk here */
			char *q = cli_quote(c->repo);
			cli_err("backup failed: cannot write to the repository %s: %s", q, hf_strerror(r));
			free(q);
		} else {
			cli_err_store(repo, "backup failed", r);
		}
		return HF_EXIT_ERROR;
	}
	if (!c->json)
		print_text(&st, seconds_since(&a->t0));
	memset(&al, 0, sizeof(al));
	if (o->no_profiles)
		r = 0;
	else if (wo)
		r = backup_alert_run_local(repo, a->cache_dir, &st, a->on_alert, &al);
	else
		r = backup_alert_run(repo, st.snapshot, st.changes, a->on_alert, &al);
	if (r == -HF_E_NOTFOUND && wo) { /* the client's own cache: the backup is fine */
		cli_err("warning: the snapshot was saved but not scanned: the local cache does not hold it and its "
			"parent whole (a host with the full key can: holdfast scan)");
		r = 0;
	} else if (r < 0)
		cli_err("warning: the snapshot was saved but could not be scanned: %s", hf_strerror(r));
	if (c->json)
		print_json(&st, &al, seconds_since(&a->t0));
	else if (!o->no_profiles)
		print_alert_text(&al, wo);
	rc = HF_EXIT_OK;
	if (st.errors) {
		cli_err("%llu file(s) could not be read; the snapshot was saved without them",
			(unsigned long long)st.errors);
		rc = HF_EXIT_PARTIAL;
	}
	if (st.damaged_parent_trees) {
		/* an unchanged directory gets the same tree id, which deduplication
		 * finds in the repository: the new snapshot shares the damage */
		cli_err("the parent snapshot is damaged (%llu directory tree(s)); the snapshot was saved, "
			"but may share the damage, and it cannot be scanned against the damaged parent: "
			"run holdfast check --read-data",
			(unsigned long long)st.damaged_parent_trees);
		rc = HF_EXIT_PARTIAL;
	}
	/* a scan that failed on the damage just reported is that damage, not another error */
	if (r < 0 && !st.damaged_parent_trees)
		rc = HF_EXIT_ERROR;
	if (al.scanned && al.verdict != HF_SNAP_CLEAN)
		rc = HF_EXIT_ALERT;
	return rc;
}

static void backup_release(void *args)
{
	struct backup_args *a = args;

	free(a->cache_dir);
	for (size_t i = 0; i < a->np; i++)
		free(a->paths[i]);
	free(a->paths);
	free(a->excludes);
	hf_detect_free(a->sandbox_hold);
}

const struct cli_command cli_cmd_backup = {
	.name = "backup",
	.help = "back up files and directories",
	.flags = CMD_OPEN_REPO | CMD_WRITE_ONLY_OK,
	.args_size = sizeof(struct backup_args),
	.parse = backup_parse,
	.run = backup_run,
	.release = backup_release,
};
