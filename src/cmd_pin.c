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

struct pin_args {
	int kind; /* HF_MARK_PIN or HF_MARK_UNPIN */
	const char *ref, *reason;
};

/* pin (kind HF_MARK_PIN) or unpin (HF_MARK_UNPIN) */
static int pin_or_unpin_parse(struct cli_common *c, struct pin_args *a, int argc, char **argv, int kind,
			      const char *usage)
{
	static const struct option opts[] = {CLI_COMMON_OPTIONS,
					     {"reason", required_argument, NULL, OPT_REASON},
					     {NULL, 0, NULL, 0}};
	int opt, r;

	a->kind = kind;
	while ((opt = cli_next_opt(c, argc, argv, "r:", opts, usage, &r)) > 0)
		if (opt == OPT_REASON)
			a->reason = optarg;
	if (opt < 0)
		return r;
	if (optind == argc)
		return cli_usage_error(usage, "give a SNAPSHOT");
	if (optind + 1 != argc)
		return cli_usage_error(usage, "unexpected argument '%s'", argv[optind + 1]);
	if (a->reason && strlen(a->reason) > HF_MARK_REASON_MAX)
		return cli_usage_error(usage, "--reason is longer than %d bytes", HF_MARK_REASON_MAX);
	a->ref = argv[optind];
	return CLI_RUN;
}

static int pin_parse(struct cli_common *c, void *args, int argc, char **argv)
{
	return pin_or_unpin_parse(c, args, argc, argv, HF_MARK_PIN, pin_usage);
}

static int unpin_parse(struct cli_common *c, void *args, int argc, char **argv)
{
	return pin_or_unpin_parse(c, args, argc, argv, HF_MARK_UNPIN, unpin_usage);
}

static int pin_run(const struct cli_common *c, void *args, struct hf_repo *repo)
{
	struct pin_args *a = args;
	const char *verb = a->kind == HF_MARK_PIN ? "pin" : "unpin";
	const char *reason = a->reason;
	struct hf_snapshot snap = {0};
	struct hf_pin_result res;
	char id[HF_ID_HEX_LEN + 1], reason_buf[64];
	int r, rc = HF_EXIT_ERROR;

	if (cli_resolve_snapshot(repo, a->ref, &snap) < 0)
		goto out;
	cli_id_hex(snap.id, id);
	if (!reason) {
		snprintf(reason_buf, sizeof(reason_buf), "manual: holdfast %s", verb);
		reason = reason_buf;
	}
	r = hf_pin_set(repo, snap.id, a->kind, reason, cli_now_ns(), &res);
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
		printf("%s %.8s (%s)\n", a->kind == HF_MARK_PIN ? "pinned" : "unpinned", id, reason);
	else
		printf("snapshot %.8s is %s; nothing to do\n", id,
		       a->kind == HF_MARK_PIN ? "already pinned" : "not pinned");
	rc = HF_EXIT_OK;
out:
	hf_snapshot_release(&snap);
	return rc;
}

const struct cli_command cli_cmd_pin = {
	.name = "pin",
	.help = "keep a snapshot from forget",
	.flags = CMD_OPEN_REPO,
	.args_size = sizeof(struct pin_args),
	.parse = pin_parse,
	.run = pin_run,
};

const struct cli_command cli_cmd_unpin = {
	.name = "unpin",
	.help = "let forget remove a snapshot again",
	.flags = CMD_OPEN_REPO,
	.args_size = sizeof(struct pin_args),
	.parse = unpin_parse,
	.run = pin_run,
};
