/* scan_follow.h — holdfast scan --follow: the trusted verifier. On a host
 * that holds the full key (and an admin token for a server repository), it
 * judges every snapshot that has no verdict signed by the full key yet, in
 * the order they arrived, against the one before it in the same history (a
 * first one on its own content): writes a signed verdict (which no write-only client can override), pins
 * the last clean snapshot on an attack, and alerts on what the server's
 * records make doubtful (a claimed time far from the arrival, an unknown
 * sender). So a compromised client that lies in its own scan is still
 * caught. */
#ifndef HF_SCAN_FOLLOW_H
#define HF_SCAN_FOLLOW_H

#include "repo/repo.h"

struct follow_opts {
	unsigned interval_s;  /* between rounds */
	int once;             /* one round, then return */
	const char *on_alert; /* shell command, or NULL */
};

/* Runs rounds until SIGINT or SIGTERM (or one, with once). One JSON object
 * per judged snapshot on stdout. HF_EXIT_OK, HF_EXIT_ALERT (once: a
 * snapshot was not clean or was flagged) or HF_EXIT_ERROR. */
int scan_follow(struct hf_repo *repo, const struct follow_opts *o);

#endif
