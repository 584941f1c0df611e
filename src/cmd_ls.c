/* cmd_ls.c — holdfast ls: list a snapshot's entries. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "quote.h"
#include "util/err.h"

static const char usage[] = "usage: holdfast ls --repo DIR [--long] SNAPSHOT [PATH]\n";

enum { OPT_LONG = 1 };

static void mode_str(const struct hf_meta *m, char out[11])
{
	static const char types[] = "?-dlpcbs";
	const char *rwx = "rwxrwxrwx";

	out[0] = types[m->type < 8 ? m->type : 0];
	for (int i = 0; i < 9; i++)
		out[1 + i] = (m->mode & (0400u >> i)) ? rwx[i] : '-';
	if (m->mode & 04000)
		out[3] = (m->mode & 0100) ? 's' : 'S';
	if (m->mode & 02000)
		out[6] = (m->mode & 010) ? 's' : 'S';
	if (m->mode & 01000)
		out[9] = (m->mode & 01) ? 't' : 'T';
	out[10] = '\0';
}

struct lister {
	int long_fmt;
	size_t n; /* entries printed */
};

/* names are escaped (quote.h): one entry is always one line */
static int print_entry(void *arg, const char *path, const struct hf_node *nd)
{
	struct lister *l = arg;

	if (l->long_fmt) {
		char mode[11], t[64];
		char *user = cli_quote(nd->meta.user ? nd->meta.user : "-");
		char *group = cli_quote(nd->meta.group ? nd->meta.group : "-");
		mode_str(&nd->meta, mode);
		cli_time_str(nd->meta.mtime_ns, t, sizeof(t), 0);
		printf("%s %8s %8s %12llu %s ", mode, user, group, (unsigned long long)nd->meta.size, t);
		free(user);
		free(group);
	}
	cli_quote_put(stdout, path);
	if (l->long_fmt && nd->meta.type == HF_FT_SYMLINK) {
		fputs(" -> ", stdout);
		cli_quote_put(stdout, nd->meta.link);
	}
	putchar('\n');
	l->n++;
	return 0;
}

struct ls_args {
	int long_fmt;
	const char *ref;
	char *prefix; /* absolute, or NULL: the whole snapshot */
};

static int ls_parse(struct cli_common *c, void *args, int argc, char **argv)
{
	static const struct option opts[] = {CLI_COMMON_OPTIONS,
					     {"long", no_argument, NULL, OPT_LONG},
					     {NULL, 0, NULL, 0}};
	struct ls_args *a = args;
	int opt, r;

	while ((opt = cli_next_opt(c, argc, argv, "r:l", opts, usage, &r)) > 0)
		if (opt == 'l' || opt == OPT_LONG)
			a->long_fmt = 1;
	if (opt < 0)
		return r;
	if (optind == argc || argc - optind > 2)
		return cli_usage_error(usage, "name a SNAPSHOT and at most one PATH");
	if (argc - optind == 2 && hf_path_absolute(argv[optind + 1], &a->prefix) < 0)
		return cli_usage_error(usage, "bad PATH");
	a->ref = argv[optind];
	return CLI_RUN;
}

static int ls_run(const struct cli_common *c, void *args, struct hf_repo *repo)
{
	struct ls_args *a = args;
	struct hf_snapshot snap = {0};
	struct lister l = {.long_fmt = a->long_fmt};
	int r, rc = HF_EXIT_ERROR;

	if (cli_resolve_snapshot(repo, a->ref, &snap) < 0)
		goto out;
	r = hf_walk(repo, &snap, a->prefix, print_entry, &l);
	if (r < 0) {
		cli_err("cannot list snapshot: %s", hf_strerror(r));
		goto out;
	}
	if (l.n == 0 && a->prefix && strcmp(a->prefix, "/") != 0) { /* PATH itself is listed when it exists */
		char id[HF_ID_HEX_LEN + 1], *q = cli_quote(a->prefix);
		cli_id_hex(snap.id, id);
		cli_err("%s: not in snapshot %.8s", q, id);
		free(q);
		goto out;
	}
	rc = HF_EXIT_OK;
out:
	hf_snapshot_release(&snap);
	return rc;
}

static void ls_release(void *args)
{
	struct ls_args *a = args;

	free(a->prefix);
}

const struct cli_command cli_cmd_ls = {
	.name = "ls",
	.help = "list the files of a snapshot",
	.flags = CMD_OPEN_REPO,
	.args_size = sizeof(struct ls_args),
	.parse = ls_parse,
	.run = ls_run,
	.release = ls_release,
};
