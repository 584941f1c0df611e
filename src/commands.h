/* commands.h — one function per command, each in src/cmd_<name>.c.
 * argv[0] is the command name; the return value is the exit status. */
#ifndef HF_COMMANDS_H
#define HF_COMMANDS_H

#define HF_VERSION "0.1.0"

int cmd_init(int argc, char **argv);
int cmd_backup(int argc, char **argv);
int cmd_snapshots(int argc, char **argv);
int cmd_ls(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_restore(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_forget(int argc, char **argv);
int cmd_scan(int argc, char **argv);
int cmd_history(int argc, char **argv);
int cmd_pin(int argc, char **argv);
int cmd_unpin(int argc, char **argv);
int cmd_prune(int argc, char **argv);

#include <stddef.h>
#include <stdint.h>
struct hf_repo;
/* "90", "90s", "15m", "1h", "2d" (at most a year) → ns; -1 if malformed */
int cli_parse_duration(const char *s, int64_t *ns);
/* runs prune (and deletes the marks of removed snapshots), printing what it
 * did; the error, already reported, or 0 */
int cli_prune(struct hf_repo *repo, const uint8_t (*forgotten)[32], size_t nforgotten, int64_t grace_ns);

#endif
