/* cmd_pin.c — holdfast pin / unpin: options and output of hf_pin_set (keep a
 * snapshot from forget, or let forget remove it again, with one new mark
 * object; a snapshot already in the wanted state gets none). */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "commands.h"
#include "repo/mark.h"
#include "util/err.h"

static const char pin_usage[] = "usage: holdfast pin --repo DIR SNAPSHOT [--reason TEXT]\n";
static const char unpin_usage[] = "usage: holdfast unpin --repo DIR SNAPSHOT [--reason TEXT]\n";

enum { OPT_REASON = 1 };

static int64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* pin (kind HF_MARK_PIN) or unpin (HF_MARK_UNPIN) */
static int pin_or_unpin(int argc, char **argv, int kind, const char *usage)
{
	static const struct option opts[] = {CLI_COMMON_OPTIONS,
					     {"reason", required_argument, NULL, OPT_REASON},
					     {NULL, 0, NULL, 0}};
	const char *verb = kind == HF_MARK_PIN ? "pin" : "unpin";
	struct cli_common c;
	struct hf_repo *repo = NULL;
	struct hf_snapshot snap = {0};
	struct hf_pin_result res;
	char id[HF_ID_HEX_LEN + 1], reason_buf[64];
	const char *reason = NULL;
	int opt, r, rc = HF_EXIT_ERROR;

	cli_common_init(&c);
	while ((opt = cli_next_opt(&c, argc, argv, "r:", opts, usage, &r)) > 0)
		if (opt == OPT_REASON)
			reason = optarg;
	if (opt < 0)
		return r;
	if (optind == argc)
		return cli_usage_error(usage, "give a SNAPSHOT");
	if (optind + 1 != argc)
		return cli_usage_error(usage, "unexpected argument '%s'", argv[optind + 1]);
	if (reason && strlen(reason) > HF_MARK_REASON_MAX)
		return cli_usage_error(usage, "--reason is longer than %d bytes", HF_MARK_REASON_MAX);
	repo = cli_open_repo(&c);
	if (!repo)
		goto out;
	if (cli_resolve_snapshot(repo, argv[optind], &snap) < 0)
		goto out;
	cli_id_hex(snap.id, id);
	if (!reason) {
		snprintf(reason_buf, sizeof(reason_buf), "manual: holdfast %s", verb);
		reason = reason_buf;
	}
	r = hf_pin_set(repo, snap.id, kind, reason, now_ns(), &res);
	if (res.bad_marks)
		cli_err("%zu mark object(s) could not be read; run check", res.bad_marks);
	if (r == -HF_E_LIMIT) {
		cli_err("cannot unpin %.8s: its last pin is dated at the end of time", id);
		goto out;
	}
	if (r < 0) {
		cli_err("cannot %s %.8s: %s", verb, id, hf_strerror(r));
		goto out;
	}
	if (res.written)
		printf("%s %.8s (%s)\n", kind == HF_MARK_PIN ? "pinned" : "unpinned", id, reason);
	else
		printf("snapshot %.8s is %s; nothing to do\n", id,
		       kind == HF_MARK_PIN ? "already pinned" : "not pinned");
	rc = HF_EXIT_OK;
out:
	hf_snapshot_release(&snap);
	hf_repo_close(repo);
	return rc;
}

int cmd_pin(int argc, char **argv)
{
	return pin_or_unpin(argc, argv, HF_MARK_PIN, pin_usage);
}

int cmd_unpin(int argc, char **argv)
{
	return pin_or_unpin(argc, argv, HF_MARK_UNPIN, unpin_usage);
}
