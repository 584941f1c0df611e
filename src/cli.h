/* cli.h — what every command shares: option parsing helpers, opening the
 * repository with a passphrase, error and progress output, JSON strings.
 * Only src/ prints or exits. */
#ifndef HF_CLI_H
#define HF_CLI_H

#include <stdint.h>
#include <stdio.h>

#include "engine/engine.h"

enum {
	HF_EXIT_OK = 0,
	HF_EXIT_ERROR = 1,
	HF_EXIT_USAGE = 2,
	HF_EXIT_PARTIAL = 3, /* backup saved, some files unreadable */
	HF_EXIT_ALERT = 4,   /* scan: the snapshot is suspicious or under attack */
};

struct cli_common {
	const char *repo;
	const char *password_file;
	const char *token_file; /* a repository server's token (else HOLDFAST_TOKEN) */
	const char *cacert;     /* the server's certificate authority (else HOLDFAST_CACERT) */
	const char *key_file;   /* open with this key file, not those in keys/ (else HOLDFAST_KEY_FILE) */
	const char *as_of;      /* --as-of TIME: the store as it was then (S3 versions), read-only */
	int json;
};

/* long options every command accepts; ids ≥ 1000 */
enum { OPT_REPO = 1000, OPT_PASSWORD_FILE, OPT_JSON, OPT_HELP, OPT_TOKEN_FILE, OPT_CACERT, OPT_KEY_FILE, OPT_AS_OF };
#define CLI_COMMON_OPTIONS                                                                                            \
	{"repo", required_argument, NULL, OPT_REPO}, {"password-file", required_argument, NULL, OPT_PASSWORD_FILE},   \
		{"json", no_argument, NULL, OPT_JSON}, {"token-file", required_argument, NULL, OPT_TOKEN_FILE},       \
		{"cacert", required_argument, NULL, OPT_CACERT}, {"key-file", required_argument, NULL, OPT_KEY_FILE}, \
		{"as-of", required_argument, NULL, OPT_AS_OF},                                                        \
	{                                                                                                             \
		"help", no_argument, NULL, OPT_HELP                                                                   \
	}

struct option;
/* getopt_long that handles the common options itself (-r/--repo,
 * --password-file, --json, --help). Returns the next option that is the
 * command's own (> 0), 0 when the options end, or -1 when the command must
 * return *status now (0 after --help, 2 after an unknown option). */
int cli_next_opt(struct cli_common *c, int argc, char **argv, const char *shortopts, const struct option *opts,
		 const char *usage, int *status);
/* handles a common option; returns 1 if handled, -1 for --help (usage
 * printed, exit 0 wanted), 0 if it is not one */
int cli_common_opt(struct cli_common *c, int opt, const char *arg, const char *usage);
void cli_common_init(struct cli_common *c);

/* cli_parse_uint(usage, "--threads", arg, max, &n): arg must be a whole decimal
 * number from 0 to max, nothing else (no sign, spaces, suffix or hex). Returns 0
 * with *out set, or -1 after printing "holdfast: --threads: ..." and the usage. */
int cli_parse_uint(const char *usage, const char *opt, const char *arg, int max, int *out);
/* a TIME argument ("YYYY-MM-DD[ HH:MM[:SS]]" or with T, local time; "@SECONDS"):
 * 1 and *ns set, 0 if s is not a time */
int cli_parse_time(const char *s, int64_t *ns);
/* the n PATH arguments made absolute, into a new array *paths (*np counts
 * those made, for the caller's release, also after a failure); -1 after
 * reporting a path that cannot be */
int cli_absolute_paths(int n, char **argv, char ***paths, size_t *np);
/* a write-only key's local cache (cmd_backup.c): HOLDFAST_CACHE_DIR, else
 * $XDG_CACHE_HOME/holdfast, else ~/.cache/holdfast; NULL if none is known */
char *cli_cache_dir(void);
/* the most --threads accepts (0 means one per CPU; the engine caps it lower) */
#define CLI_THREADS_MAX 1024

void cli_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "WHAT: error", and the store's last failed request in words when it keeps
 * one (an S3 server's answer: a read-only bucket, a full quota) */
void cli_err_store(struct hf_repo *repo, const char *what, int r);
int cli_usage_error(const char *usage, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

int cli_passphrase(const struct cli_common *c, int confirm, char **pass, size_t *len);
/* a new key file's passphrase: from file (if not NULL), else
 * HOLDFAST_NEW_PASSWORD (then wiped), else asked twice on the terminal */
int cli_new_passphrase(const char *file, char **pass, size_t *len);
void cli_passphrase_free(char *pass, size_t len);
struct hf_store;
/* opens (create: makes) the store at c->repo, with the token and certificate
 * authority a server needs; prints the error and returns -1 on failure */
int cli_store_open(const struct cli_common *c, int create, struct hf_store **st);
/* opens the repository at c->repo, with the key file c->key_file if set
 * (else with those in keys/); prints the error and returns NULL on failure */
struct hf_repo *cli_open_repo(const struct cli_common *c);

/* hf_snapshot_resolve that prints why a reference names no snapshot */
int cli_resolve_snapshot(struct hf_repo *repo, const char *ref, struct hf_snapshot *out);

/* hf_report_fn that prints "holdfast: PATH: WHAT: ERR" to stderr */
void cli_report(void *arg, const char *path, const char *what, int err);

/* progress line on stderr while a command runs, only on a terminal */
struct cli_progress;
struct cli_progress *cli_progress_start(struct hf_progress *p, const char *verb);
void cli_progress_stop(struct cli_progress *cp);

void cli_json_str(FILE *f, const char *s);
/* a snapshot's flags (repo.h HF_SNAP_*) as a JSON array: ["time-skew", "unknown-sender"] */
void cli_json_snap_flags(FILE *f, unsigned flags);
void cli_id_hex(const uint8_t *id, char *out); /* 65 bytes */
void cli_time_str(int64_t ns, char *out, size_t cap, int rfc3339);
/* the time now (CLOCK_REALTIME), ns since the epoch */
int64_t cli_now_ns(void);

#endif
