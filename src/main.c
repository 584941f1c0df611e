/* main.c — holdfast's entry point: global set-up and the command table. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include "cli.h"
#include "commands.h"
#include "crypto/crypto.h"

static const struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *help;
} commands[] = {
	{"init", cmd_init, "create a repository"},
	{"backup", cmd_backup, "back up files and directories"},
	{"snapshots", cmd_snapshots, "list snapshots"},
	{"ls", cmd_ls, "list the files of a snapshot"},
	{"diff", cmd_diff, "show what changed between two snapshots"},
	{"restore", cmd_restore, "restore a snapshot"},
	{"check", cmd_check, "verify the repository"},
	{"forget", cmd_forget, "remove snapshots by a retention policy, and prune data"},
	{"prune", cmd_prune, "delete data no snapshot uses (in two phases, safe beside backups)"},
	{"scan", cmd_scan, "look for ransomware activity in a snapshot"},
	{"history", cmd_history, "list every version of a file"},
	{"pin", cmd_pin, "keep a snapshot from forget"},
	{"unpin", cmd_unpin, "let forget remove a snapshot again"},
};

static void usage(FILE *f)
{
	fputs("usage: holdfast COMMAND [OPTIONS] [ARGS]\n\ncommands:\n", f);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].help);
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
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].run(argc - 1, argv + 1);
	cli_err("unknown command '%s'", argv[1]);
	usage(stderr);
	return HF_EXIT_USAGE;
}
