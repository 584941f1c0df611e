/* commands.h — the command table: each src/cmd_<name>.c exports one
 * struct cli_command (its functions stay static); main.c looks the command
 * up, parses, opens the repository when the command says so, runs, closes.
 * So no command repeats the open-the-repository preamble, and a command
 * cannot ask for a passphrase before its options and arguments are known
 * to be good. */
#ifndef HF_COMMANDS_H
#define HF_COMMANDS_H

#include <stddef.h>
#include <stdint.h>

#define HF_VERSION "0.1.0"

struct cli_common;
struct hf_repo;

/* flags: main.c opens the repository at --repo (cli_open_repo) between parse
 * and run, exits 1 if it cannot, and closes it after run */
#define CMD_OPEN_REPO 1u
/* the command works with a write-only key (--key-file of kind 2); any other
 * command opened with one exits 2 with "this key is write-only" before run */
#define CMD_WRITE_ONLY_OK 2u

/* what parse returns to go on to run; any other value is the exit status */
#define CLI_RUN (-1)

struct cli_command {
	const char *name;
	const char *help; /* one line for holdfast --help */
	unsigned flags;   /* CMD_* */
	size_t args_size; /* the command's own options, zeroed before parse */
	/* fills the common options and args from argc/argv (argv[0] is the
	 * command's name), and does every check that needs no repository: a
	 * usage error comes before any passphrase. CLI_RUN, or the exit status
	 * (0 after --help). */
	int (*parse)(struct cli_common *c, void *args, int argc, char **argv);
	/* repo is open with CMD_OPEN_REPO, NULL without; returns the exit status */
	int (*run)(const struct cli_common *c, void *args, struct hf_repo *repo);
	/* frees what parse left in args, whatever parse returned (NULL: nothing to free) */
	void (*release)(void *args);
};

extern const struct cli_command cli_cmd_init, cli_cmd_backup, cli_cmd_snapshots, cli_cmd_ls, cli_cmd_diff,
	cli_cmd_restore, cli_cmd_check, cli_cmd_forget, cli_cmd_prune, cli_cmd_scan, cli_cmd_history, cli_cmd_pin,
	cli_cmd_unpin, cli_cmd_key, cli_cmd_lock, cli_cmd_serve, cli_cmd_serve_client, cli_cmd_watch, cli_cmd_report;

/* "90", "90s", "15m", "1h", "2d" (at most a year) → ns; -1 if malformed */
int cli_parse_duration(const char *s, int64_t *ns);
/* runs prune (and deletes the marks of removed snapshots), printing what it
 * did; the error, already reported, or 0 */
int cli_prune(struct hf_repo *repo, const uint8_t (*forgotten)[32], size_t nforgotten, int64_t grace_ns);

#endif
