/* walk.h — reading a snapshot's trees in path order: every entry (ls), and
 * what differs between two snapshots (diff). */
#ifndef HF_REPO_WALK_H
#define HF_REPO_WALK_H

#include "repo/repo.h"

/* Calls fn for every entry of the snapshot at or under prefix (NULL: all),
 * depth-first, sorted, with its absolute path. A non-zero return stops. */
typedef int (*hf_walk_fn)(void *arg, const char *path, const struct hf_node *node);
int hf_walk(struct hf_repo *r, const struct hf_snapshot *s, const char *prefix, hf_walk_fn fn, void *arg);

enum hf_diff_kind { HF_DIFF_ADDED = '+', HF_DIFF_REMOVED = '-', HF_DIFF_CHANGED = 'M' };
typedef int (*hf_diff_fn)(void *arg, int kind, const char *path);
int hf_diff(struct hf_repo *r, const struct hf_snapshot *a, const struct hf_snapshot *b, hf_diff_fn fn, void *arg);

#endif
