/* backup_alert.c — the --on-alert command: run with the scan's JSON on its
 * standard input when the scan after a backup (hf_backup_judge) is not clean. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "backup_alert.h"
#include "cli.h"
#include "scan_print.h"
#include "util/err.h"

void alert_command_run(const char *cmd, void (*put)(FILE *f, const void *arg), const void *arg)
{
	struct sigaction ign, old;
	FILE *p;
	int status;

	fflush(stdout);
	unsetenv("HOLDFAST_PASSWORD"); /* cli_passphrase dropped it; never pass it on */
	p = popen(cmd, "w");
	if (!p) {
		cli_err("cannot run the --on-alert command");
		return;
	}
	/* a command that exits without reading its stdin must not kill us with
	 * SIGPIPE; ignored only now, so the command itself (already forked)
	 * keeps the default */
	memset(&ign, 0, sizeof(ign));
	ign.sa_handler = SIG_IGN;
	sigemptyset(&ign.sa_mask);
	sigaction(SIGPIPE, &ign, &old);
	put(p, arg);
	status = pclose(p);
	sigaction(SIGPIPE, &old, NULL);
	if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		cli_err("warning: the --on-alert command failed (status %d)", status);
}

static void put_scan_json(FILE *f, const void *res)
{
	scan_print_json(f, res);
}

static void run_alert_command(void *arg, const struct hf_scan_result *res)
{
	alert_command_run(arg, put_scan_json, res);
}

int backup_alert_run(struct hf_repo *repo, const uint8_t id[HF_ID_LEN], struct hf_changes *changes,
		     const char *on_alert, struct hf_backup_verdict *out)
{
	return hf_backup_judge(repo, id, changes, on_alert ? run_alert_command : NULL, (void *)on_alert, out);
}

int backup_alert_run_local(struct hf_repo *repo, const char *cache_dir, struct hf_backup_stats *st,
			   const char *on_alert, struct hf_backup_verdict *out)
{
	return hf_backup_judge_local(repo, cache_dir, st, on_alert ? run_alert_command : NULL, (void *)on_alert, out);
}

int verify_alert_run(struct hf_repo *repo, const uint8_t id[HF_ID_LEN], const char *on_alert,
		     struct hf_backup_verdict *out)
{
	return hf_verify_judge(repo, id, on_alert ? run_alert_command : NULL, (void *)on_alert, out);
}
