/* cmd_watch.c — holdfast watch: its options, the real-time watcher
 * (lib/watch) run until SIGINT or SIGTERM, its status rewritten every few
 * seconds (watch_status.c), each alert handed to watch_alert.c; and
 * watch --status. */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "detect/detect.h"
#include "util/err.h"
#include "util/mem.h"
#include "watch/watch.h"
#include "watch_alert.h"
#include "watch_status.h"

static const char usage[] =
	"usage: holdfast watch --repo DIR PATH... [--action freeze|kill|alert] [--on-alert CMD]\n"
	"                      [--json-log FILE] [--threshold N] [--max-unjudged N] [--no-block] [--gate-lazy]\n"
	"                      [--dry-run] [--state-dir DIR]\n"
	"       holdfast watch --status [--state-dir DIR] [--json]\n"
	"  Watches PATH... (fanotify, needs root) and judges every file a process writes,\n"
	"  renames or deletes there; a process (group, session) that turns about three\n"
	"  files into ciphertext is frozen (SIGSTOP of its process group, which is moved\n"
	"  into a frozen cgroup; --action kill: SIGKILL; alert: left running), an\n"
	"  immediate backup of PATH... is taken, the snapshot before it pinned, the\n"
	"  alert recorded on the backup (for holdfast report), and CMD gets one JSON\n"
	"  document on stdin. A write-only key will do.\n"
	"  Opens in the watched directories wait while the opener's process group has\n"
	"  more than N (2) writes, deletions or renames that can cost a file (not of\n"
	"  files it created itself) not judged yet, none once it wrote ciphertext\n"
	"  (--no-block: never wait; --gate-lazy: opens are not even reported while\n"
	"  no group has such a change waiting). --dry-run\n"
	"  only reports (no signal, no backup). Stops on SIGINT or SIGTERM. The running\n"
	"  watcher keeps its status in DIR (/run/holdfast): --status prints it (what is\n"
	"  watched, counts, the last alerts) and exits 1 if no watcher runs.\n";

enum {
	OPT_ACTION = 1,
	OPT_ON_ALERT,
	OPT_JSON_LOG,
	OPT_DRY_RUN,
	OPT_THRESHOLD,
	OPT_MAX_UNJUDGED,
	OPT_NO_BLOCK,
	OPT_GATE_ALWAYS,
	OPT_GATE_LAZY,
	OPT_STATUS,
	OPT_STATE_DIR
};

static volatile sig_atomic_t stop_requested;

static void on_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
}

struct watch_args {
	struct watch_alert_conf alert; /* the paths, and what an alert does */
	int no_block;
	int gate_lazy;                  /* opens answered only while a group is ahead (else every one: the default) */
	unsigned threshold;             /* files, 0: the default */
	int max_unjudged;               /* N + 1; 0: not given (the library's default) */
	const char *state_dir;          /* the status files (watch_status.h) */
	struct hf_detect *sandbox_hold; /* detection's sandbox, started before the repository opens */
};

static int watch_parse(struct cli_common *c, void *args, int argc, char **argv)
{
	static const struct option opts[] = {CLI_COMMON_OPTIONS,
					     {"action", required_argument, NULL, OPT_ACTION},
					     {"on-alert", required_argument, NULL, OPT_ON_ALERT},
					     {"json-log", required_argument, NULL, OPT_JSON_LOG},
					     {"threshold", required_argument, NULL, OPT_THRESHOLD},
					     {"dry-run", no_argument, NULL, OPT_DRY_RUN},
					     {"max-unjudged", required_argument, NULL, OPT_MAX_UNJUDGED},
					     {"no-block", no_argument, NULL, OPT_NO_BLOCK},
					     {"gate-always", no_argument, NULL, OPT_GATE_ALWAYS},
					     {"gate-lazy", no_argument, NULL, OPT_GATE_LAZY},
					     {"status", no_argument, NULL, OPT_STATUS},
					     {"state-dir", required_argument, NULL, OPT_STATE_DIR},
					     {NULL, 0, NULL, 0}};
	struct watch_args *a = args;
	int opt, rc = HF_EXIT_ERROR, n, status = 0;

	while ((opt = cli_next_opt(c, argc, argv, "r:", opts, usage, &rc)) > 0) {
		switch (opt) {
		case OPT_ACTION:
			for (a->alert.action = 0;
			     a->alert.action < 3 && strcmp(optarg, watch_action_names[a->alert.action]) != 0;
			     a->alert.action++)
				;
			if (a->alert.action == 3)
				return cli_usage_error(usage, "--action: '%s' is not freeze, kill or alert", optarg);
			break;
		case OPT_ON_ALERT:
			a->alert.on_alert = optarg;
			break;
		case OPT_JSON_LOG:
			a->alert.json_log = optarg;
			break;
		case OPT_THRESHOLD:
			if (cli_parse_uint(usage, "--threshold", optarg, 1000, &n) < 0)
				return HF_EXIT_USAGE;
			if (n == 0)
				return cli_usage_error(usage, "--threshold: at least 1 file");
			a->threshold = (unsigned)n;
			break;
		case OPT_DRY_RUN:
			a->alert.dry_run = 1;
			break;
		case OPT_MAX_UNJUDGED:
			if (cli_parse_uint(usage, "--max-unjudged", optarg, 1000, &n) < 0)
				return HF_EXIT_USAGE;
			a->max_unjudged = n + 1; /* 0 is "not given" until watch_run */
			break;
		case OPT_NO_BLOCK:
			a->no_block = 1;
			break;
		case OPT_GATE_ALWAYS:
			a->gate_lazy = 0;
			break;
		case OPT_GATE_LAZY:
			a->gate_lazy = 1;
			break;
		case OPT_STATUS:
			status = 1;
			break;
		case OPT_STATE_DIR:
			a->state_dir = optarg;
			break;
		}
	}
	if (opt < 0)
		return rc;
	if (!a->state_dir)
		a->state_dir = WATCH_STATE_DIR;
	if (status) /* the running watcher's status: no repository, no root */
		return optind < argc ? cli_usage_error(usage, "--status takes no PATH")
				     : watch_status_show(a->state_dir, c->json);
	if (optind == argc)
		return cli_usage_error(usage, "nothing to watch: name at least one PATH");
	if (cli_absolute_paths(argc - optind, argv + optind, &a->alert.paths, &a->alert.np) < 0)
		return HF_EXIT_ERROR;
	if (geteuid() != 0) {
		cli_err("watch: fanotify needs root (CAP_SYS_ADMIN): run it as root, or from its unit "
			"(dist/holdfast-watch.service)");
		return HF_EXIT_ERROR;
	}
	a->sandbox_hold = hf_detect_new();
	return CLI_RUN;
}

static int watch_run(const struct cli_common *c, void *args, struct hf_repo *repo)
{
	struct watch_args *a = args;
	struct hf_watch_opts wo;
	struct hf_watch *w = NULL;
	struct hf_watch_hit *hit = hf_xcalloc(1, sizeof(*hit));
	struct hf_watch_stats st;
	struct sigaction sa;
	uint64_t overflows = 0, unattributed = 0;
	struct watch_status status;
	time_t status_at = 0;
	int r, rc = HF_EXIT_OK, status_warned = 0;

	(void)c;
	memset(&wo, 0, sizeof(wo));
	wo.paths = a->alert.paths;
	wo.npaths = a->alert.np;
	wo.score.threshold = a->threshold * 1000;
	wo.block_opens = !a->no_block;
	wo.gate_lazy = a->gate_lazy;
	wo.unwatched_since_ns = watch_status_last_seen(a->state_dir);
	wo.max_unjudged = a->max_unjudged - 1;
	r = hf_watch_open(&wo, &w);
	if (r < 0) {
		if (r == -EPERM)
			cli_err("watch: fanotify refused: it needs root (CAP_SYS_ADMIN)");
		else if (r == -EINVAL || r == -ENOSYS || r == -EXDEV || r == -ENODEV || r == -EOPNOTSUPP)
			cli_err("watch: the kernel or a watched filesystem lacks fanotify with file handles "
				"(Linux >= 5.17, a filesystem with file handles): %s",
				hf_strerror(r));
		else if (r == -HF_E_NODETECT)
			cli_err("watch: cannot start: %s: %s", hf_strerror(r), hf_detect_unavailable());
		else
			cli_err("watch: cannot start: %s", hf_strerror(r));
		free(hit);
		return HF_EXIT_ERROR;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	hf_watch_get_stats(w, &st);
	if (!a->no_block && !st.gate_on)
		cli_err("warning: watch: opens cannot be held (fanotify permission events: %s); a fast encryptor "
			"may finish more files before it is stopped",
			hf_strerror(st.gate_err));
	if (st.unwatched_changed)
		watch_alert_unwatched(repo, &a->alert, &st);
	cli_err("watch: watching %zu path(s), %llu files known; action %s%s%s%s", a->alert.np,
		(unsigned long long)st.files_known, watch_action_names[a->alert.action],
		a->alert.dry_run ? " (dry run)" : "",
		st.gate_on ? "; opens held while a process is ahead of the judge" : "",
		st.gate_on && !st.gate.realtime
			? " (the gate's thread is not real-time: it may wake late on a busy machine)"
			: "");
	memset(&status, 0, sizeof(status));
	status.dir = a->state_dir;
	status.paths = a->alert.paths;
	status.npaths = a->alert.np;
	status.action = watch_action_names[a->alert.action];
	status.dry_run = a->alert.dry_run;
	status.started_ns = cli_now_ns();
	while (!stop_requested) {
		struct pollfd p = {hf_watch_fd(w), POLLIN, 0};
		int wait_ms = hf_watch_next_ms(w);
		if (poll(&p, 1, wait_ms >= 0 && wait_ms < 1000 ? wait_ms : 1000) < 0 && errno != EINTR) {
			cli_err("watch: poll: %s", strerror(errno));
			rc = HF_EXIT_ERROR;
			break;
		}
		while (!stop_requested && (r = hf_watch_step(w, hit)) > 0) {
			watch_alert_act(repo, &a->alert, hit, w, &status);
			status_at = 0; /* rewritten at once */
		}
		if (r < 0) {
			cli_err("watch: %s", hf_strerror(r));
			rc = HF_EXIT_ERROR;
			break;
		}
		hf_watch_get_stats(w, &st);
		if (time(NULL) - status_at >= WATCH_STATUS_EVERY_S) {
			int sr = watch_status_write(&status, &st);
			if (sr < 0 && !status_warned++)
				cli_err("warning: watch: cannot write the status in %s: %s", status.dir,
					hf_strerror(sr));
			status_at = time(NULL);
		}
		if (st.overflows != overflows) {
			cli_err("watch: the event queue overflowed (%llu time(s)): events were lost; every watched "
				"file was looked at again",
				(unsigned long long)st.overflows);
			overflows = st.overflows;
		}
		if (st.unattributed != unattributed) {
			cli_err("watch: %llu file(s) turned to ciphertext by a process that had exited before it could "
				"be identified (or found by a rescan)",
				(unsigned long long)st.unattributed);
			unattributed = st.unattributed;
		}
	}
	hf_watch_get_stats(w, &st);
	cli_err("watch: stopped: %llu events, %llu files judged (%llu while written, %llu of those set aside), %llu "
		"overflows, %llu judged a moment later (written again soon after), %llu new files judged once their "
		"maker paused, %llu never read (deleted or written over first); opens: %llu answered (and %llu of "
		"its own reads), %llu held, "
		"%llu refused, %llu let through after the longest hold; "
		"armed %llu times, %.1f s; %llu directories made on the watched filesystems while watched, "
		"%llu of them under a watched path gated since (another group worked there, or their maker was "
		"quiet); %llu validations answered from memory (the same content decoded before)",
		(unsigned long long)st.events, (unsigned long long)st.judged, (unsigned long long)st.unsettled,
		(unsigned long long)st.unsettled_set_aside, (unsigned long long)st.overflows,
		(unsigned long long)st.put_off, (unsigned long long)st.made_waited, (unsigned long long)st.made_dropped,
		(unsigned long long)st.gate.opens, (unsigned long long)st.gate.own_opens,
		(unsigned long long)st.gate.held, (unsigned long long)st.gate.denied,
		(unsigned long long)st.gate.timeouts, (unsigned long long)st.gate.arms, (double)st.gate.armed_ns / 1e9,
		(unsigned long long)st.gate.new_dirs, (unsigned long long)st.gate.new_dirs_gated,
		(unsigned long long)st.remembered);
	hf_watch_close(w);
	free(hit);
	return rc;
}

static void watch_release(void *args)
{
	struct watch_args *a = args;

	for (size_t i = 0; i < a->alert.np; i++)
		free(a->alert.paths[i]);
	free(a->alert.paths);
	hf_detect_free(a->sandbox_hold);
}

const struct cli_command cli_cmd_watch = {
	.name = "watch",
	.help = "watch paths in real time; freeze a process that encrypts files",
	.flags = CMD_OPEN_REPO | CMD_WRITE_ONLY_OK,
	.args_size = sizeof(struct watch_args),
	.parse = watch_parse,
	.run = watch_run,
	.release = watch_release,
};
