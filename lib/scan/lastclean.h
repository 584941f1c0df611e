/* lastclean.h — what restore --last-clean takes from where (lastclean.c):
 * for every file, the newest version of its history not flagged encrypted
 * (with strict: nor suspicious). The plan is pure over the snapshots' trees
 * and their verdicts; the engine runs it through the restore pipeline
 * (engine/restore_lastclean.h). */
#ifndef HF_SCAN_LASTCLEAN_H
#define HF_SCAN_LASTCLEAN_H

#include "scan/history.h"

typedef void (*hf_skip_fn)(void *arg, const char *path, const char *why);

struct hf_lastclean_opts {
	const struct hf_snapshot *snaps; /* one chain, oldest first; the last is the newest to use */
	size_t n;
	int strict;         /* also pass over versions flagged suspicious */
	hf_skip_fn skipped; /* each file left out that the restore's includes cover, and why
			      * (may be NULL) */
	void *skipped_arg;
	/* each file (covered by the includes) restored from a version flagged
	 * suspicious, and why it was flagged (may be NULL; never with strict) */
	hf_skip_fn kept_suspicious;
	void *kept_arg;
	/* the scans of snaps, kept by the caller (hf_history_new over snaps, or
	 * over a longer chain that starts with them); NULL: the plan makes its own */
	struct hf_history *history;
};

struct hf_lastclean_stats {
	uint64_t from_newest, from_older, skipped;
	uint64_t sources; /* snapshots restored from */
};

/* The plan: for every regular file of the newest snapshot, and every file a
 * snapshot the scan did not call clean deleted, the snapshot that holds its
 * newest acceptable version; ransom notes and files that never had one are
 * skipped (reported to lo->skipped when includes, absolute paths as stored,
 * cover them; none: all). Other entries come from the newest snapshot. */
struct hf_lastclean_plan;
int hf_lastclean_plan_new(struct hf_repo *r, const struct hf_lastclean_opts *lo, char *const *includes,
			  size_t nincludes, struct hf_lastclean_plan **out);
void hf_lastclean_plan_free(struct hf_lastclean_plan *p);
/* ls's from_newest, from_older and skipped (sources is the restore's) */
void hf_lastclean_plan_stats(const struct hf_lastclean_plan *p, struct hf_lastclean_stats *ls);
/* 1 if snapshot k of the chain is a source: something is taken from it
 * (the newest always is) */
int hf_lastclean_plan_uses(const struct hf_lastclean_plan *p, size_t k);
/* 1 if the restore from snapshot src takes the entry at path (as an
 * hf_select_fn: directories on the way to the files it gives too) */
int hf_lastclean_plan_select(const struct hf_lastclean_plan *p, size_t src, const char *path, const struct hf_node *nd);
/* 1 and *src = the snapshot whose version of the regular file at path the
 * plan takes; 0 if the plan takes no file there (none, or skipped) */
int hf_lastclean_plan_source(const struct hf_lastclean_plan *p, const char *path, size_t *src);

/* Shallow copies (pointers still owned by all) of the snapshots of
 * all[newest]'s chain up to and including it, oldest first (all is sorted
 * oldest first, as hf_snapshot_list gives it); chain needs room for n. */
size_t hf_chain_of(const struct hf_snapshot *all, size_t n, size_t newest, struct hf_snapshot *chain);
/* 1 if no file in s (= snaps[k] of h's chain) is a version flagged
 * encrypted or a ransom note, 0 if one is, or an error. */
int hf_history_unflagged(struct hf_repo *r, struct hf_history *h, const struct hf_snapshot *s, size_t k);
/* Sets needed[k] = 1 for each snapshot of the chain that restore
 * --last-clean (with or without --strict) would take a file from. */
int hf_last_clean_sources(struct hf_repo *r, const struct hf_snapshot *snaps, size_t n, uint8_t *needed);

#endif
