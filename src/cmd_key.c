/* cmd_key.c — holdfast key add --write-only --out FILE: make a write-only key
 * file (FORMAT.md, key files, kind 2) for a client that must back up and
 * never read.
 *
 * The new file holds the repository's public key and MAC key, not the secret
 * key, wrapped under a passphrase of its own (--new-password-file, else
 * HOLDFAST_NEW_PASSWORD, else asked twice on the terminal). It is written
 * outside the repository (create-only, mode 0600), never into keys/: a client
 * opens the repository with it through --key-file and its passphrase, and the
 * repository's passphrase, which opens the full key, stays off the client. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "quote.h"
#include "repo/repo.h"
#include "util/err.h"

static const char usage[] = "usage: holdfast key add --write-only --out FILE --repo DIR [--new-password-file FILE]\n"
			    "writes a write-only key file: it can back up into the repository (--key-file FILE) and\n"
			    "never read anything back. Protect it with a secret of its own, never the repository's.\n";

enum { OPT_WRITE_ONLY = 1, OPT_OUT, OPT_NEW_PASSWORD_FILE };

struct key_args {
	const char *out;
	const char *new_password_file;
};

static int key_parse(struct cli_common *c, void *args, int argc, char **argv)
{
	static const struct option opts[] = {CLI_COMMON_OPTIONS,
					     {"write-only", no_argument, NULL, OPT_WRITE_ONLY},
					     {"out", required_argument, NULL, OPT_OUT},
					     {"new-password-file", required_argument, NULL, OPT_NEW_PASSWORD_FILE},
					     {NULL, 0, NULL, 0}};
	struct key_args *a = args;
	int opt, r, write_only = 0;
	struct stat sb;

	while ((opt = cli_next_opt(c, argc, argv, "r:", opts, usage, &r)) > 0) {
		switch (opt) {
		case OPT_WRITE_ONLY:
			write_only = 1;
			break;
		case OPT_OUT:
			a->out = optarg;
			break;
		case OPT_NEW_PASSWORD_FILE:
			a->new_password_file = optarg;
			break;
		}
	}
	if (opt < 0)
		return r;
	if (optind == argc)
		return cli_usage_error(usage, "give a subcommand: add");
	if (strcmp(argv[optind], "add") != 0)
		return cli_usage_error(usage, "unknown subcommand '%s'", argv[optind]);
	if (optind + 1 != argc)
		return cli_usage_error(usage, "unexpected argument '%s'", argv[optind + 1]);
	if (!write_only)
		return cli_usage_error(usage, "key add makes write-only keys only: give --write-only");
	if (!a->out)
		return cli_usage_error(usage, "give --out FILE, where the key file goes");
	if (lstat(a->out, &sb) == 0) {
		char *q = cli_quote(a->out);
		cli_err("%s exists: the key file is written to a new file only", q);
		free(q);
		return HF_EXIT_ERROR;
	}
	return CLI_RUN;
}

/* writes p[0..n) to a new file path, mode 0600, synced; nothing left on failure */
static int write_new_file(const char *path, const void *p, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600), err = 0;
	const char *q = p;

	if (fd < 0)
		return -errno;
	while (n > 0 && !err) {
		ssize_t w = write(fd, q, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			err = w < 0 ? -errno : -EIO;
			break;
		}
		q += w;
		n -= (size_t)w;
	}
	if (!err && fsync(fd) < 0)
		err = -errno;
	if (close(fd) < 0 && !err)
		err = -errno;
	if (err)
		unlink(path);
	return err;
}

static int key_run(const struct cli_common *c, void *args, struct hf_repo *repo)
{
	struct key_args *a = args;
	struct hf_buf file;
	char *pass = NULL, *q;
	size_t plen = 0;
	int r;

	(void)c;
	if (cli_new_passphrase(a->new_password_file, &pass, &plen) < 0)
		return HF_EXIT_ERROR;
	hf_buf_init(&file, 4096);
	r = hf_repo_write_only_key(repo, pass, plen, &file);
	cli_passphrase_free(pass, plen);
	q = cli_quote(a->out);
	if (r < 0) {
		cli_err("cannot make the key: %s", hf_strerror(r));
	} else if ((r = write_new_file(a->out, file.data, file.len)) < 0) {
		cli_err("cannot write key file %s: %s", q, hf_strerror(r));
	} else {
		printf("write-only key written to %s: it can back up (--key-file %s) and cannot read the "
		       "repository\n",
		       q, q);
	}
	free(q);
	hf_buf_release(&file);
	return r < 0 ? HF_EXIT_ERROR : HF_EXIT_OK;
}

const struct cli_command cli_cmd_key = {
	.name = "key",
	.help = "make a write-only key file for a backup client",
	.flags = CMD_OPEN_REPO,
	.args_size = sizeof(struct key_args),
	.parse = key_parse,
	.run = key_run,
};
