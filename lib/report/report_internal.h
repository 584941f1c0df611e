/* report_internal.h — what the files that gather the report share:
 * reading paths of a snapshot (lookup.c: the last directory's tree is kept,
 * so files in path order cost one tree load per directory), growing arrays,
 * and the personal data and clean versions (personal.c). Not for outside
 * lib/report. */
#ifndef HF_REPORT_INTERNAL_H
#define HF_REPORT_INTERNAL_H

#include "report/report.h"
#include "scan/history.h"

struct report_lookup {
	struct hf_blob_reader br;
	uint8_t root[HF_ID_LEN];
	char *dir; /* the cached directory's path, or NULL */
	struct hf_tree tree;
};

/* zeroed, then hf_blob_reader_init(&lk->br, repo) */
void report_lookup_release(struct report_lookup *lk);
/* loads into lk->tree the tree of the directory path[0..dl) of s ("/" or ""
 * the root), unless it holds it already; -HF_E_NOTFOUND if there is none */
int report_lookup_dir(struct report_lookup *lk, const struct hf_snapshot *s, const char *path, size_t dl);
/* the regular file at path in s: *out points into lk's tree (valid until the
 * next call); -HF_E_NOTFOUND if there is none */
int report_lookup_file(struct report_lookup *lk, const struct hf_snapshot *s, const char *path,
		       const struct hf_node **out);
/* the first max bytes of a file's content into out (holes as zeros) */
int report_read_content(struct report_lookup *lk, const struct hf_node *nd, size_t max, struct hf_buf *out,
			int *truncated);

/* room for one more of size bytes in *arr of n (capacity *cap): 0 or -ENOMEM */
int report_grow(void **arr, size_t n, size_t *cap, size_t size);

/* personal.c: the personal data in one version (timed: rep->read_*) */
int report_tally_version(struct hf_report *rep, struct report_lookup *lk, const struct hf_node *nd);
/* each encrypted file's last clean version (has_clean, clean_snap, clean_size) */
int report_find_clean_versions(struct hf_repo *r, struct hf_report *rep, struct report_lookup *lk,
			       const struct hf_snapshot *chain, struct hf_history *h);
/* each clean version once: its size to the recovery, its text to the counts */
int report_tally_clean_versions(struct hf_report *rep, struct report_lookup *lk, const struct hf_snapshot *chain);
/* --all: the other files of each directory hit */
int report_tally_directories(struct hf_report *rep, struct report_lookup *lk, const struct hf_snapshot *chain);

#endif
