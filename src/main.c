/* main.c — holdfast's entry point: global set-up and the command table. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include "cli.h"
#include "commands.h"
#include "crypto/crypto.h"
#include "repo/repo.h"
#include "util/mem.h"

/* in the order holdfast --help lists them */
static const struct cli_command *const commands[] = {
	&cli_cmd_init,    &cli_cmd_backup,       &cli_cmd_snapshots, &cli_cmd_ls,     &cli_cmd_diff,
	&cli_cmd_restore, &cli_cmd_check,        &cli_cmd_forget,    &cli_cmd_prune,  &cli_cmd_scan,
	&cli_cmd_history, &cli_cmd_pin,          &cli_cmd_unpin,     &cli_cmd_key,    &cli_cmd_lock,
	&cli_cmd_serve,   &cli_cmd_serve_client, &cli_cmd_watch,     &cli_cmd_report,
};

static void usage(FILE *f)
{
	fputs("usage: holdfast COMMAND [OPTIONS] [ARGS]\n\ncommands:\n", f);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-10s %s\n", commands[i]->name, commands[i]->help);
	fputs("\nholdfast COMMAND --help shows a command's options; man holdfast has them all.\n", f);
}

/* A core of holdfast would hold what the process holds: pack keys inside
 * OpenSSL's cipher contexts while in use, decrypted metadata, file contents.
 * So no core at all: the soft RLIMIT_CORE 0, and not dumpable (no core
 * whatever the limit, and only root may ptrace the process or read
 * /proc/PID/mem). Keys themselves also live in MADV_DONTDUMP memory
 * (lib/crypto), for the dumps root can still take (gcore).
 * HOLDFAST_ALLOW_CORE=1 keeps both, for debugging a crash on a test
 * repository. */
static void no_core_dumps(void)
{
	const char *allow = getenv("HOLDFAST_ALLOW_CORE");
	struct rlimit rl;

	if (allow != NULL && strcmp(allow, "1") == 0)
		return;
	if (getrlimit(RLIMIT_CORE, &rl) == 0) {
		rl.rlim_cur = 0;
		setrlimit(RLIMIT_CORE, &rl);
	}
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

/* parse; open the repository if the command works on one; run; close */
static int run_command(const struct cli_command *cmd, int argc, char **argv)
{
	struct cli_common c;
	struct hf_repo *repo = NULL;
	void *args = hf_xcalloc(1, cmd->args_size);
	int rc;

	cli_common_init(&c);
	rc = cmd->parse(&c, args, argc, argv);
	if (rc != CLI_RUN)
		goto out;
	if (cmd->flags & CMD_OPEN_REPO) {
		repo = cli_open_repo(&c);
		if (!repo) {
			rc = HF_EXIT_ERROR;
			goto out;
		}
		if (hf_repo_write_only(repo) && !(cmd->flags & CMD_WRITE_ONLY_OK)) {
			cli_err("%s: this key is write-only: it cannot read the repository (backup is what it "
				"can do; use the full key or the repository's passphrase)",
				cmd->name);
			rc = HF_EXIT_USAGE;
			goto out;
		}
	}
	rc = cmd->run(&c, args, repo);
out:
	hf_repo_close(repo);
	if (cmd->release)
		cmd->release(args);
	free(args);
	return rc;
}

int main(int argc, char **argv)
{
	struct rlimit rl;

	no_core_dumps();
	if (argc < 2) {
		usage(stderr);
		return HF_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return HF_EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("holdfast %s\n", HF_VERSION);
		return HF_EXIT_OK;
	}
	/* deep trees keep one descriptor open per level */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (hf_crypto_init() < 0) {
		cli_err("cannot initialise the crypto libraries");
		return HF_EXIT_ERROR;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i]->name) == 0)
			return run_command(commands[i], argc - 1, argv + 1);
	cli_err("unknown command '%s'", argv[1]);
	usage(stderr);
	return HF_EXIT_USAGE;
}
