/* live.h — the scan's per-file rules (scan_judge.c) on bytes in memory.
 *
 * The snapshot scan reads file content through a content source; this entry
 * point gives it a source over buffers, so a caller that has a live file's
 * bytes (the watcher, lib/watch) judges them by the very same rules. A
 * version's bytes may be a prefix of it, or missing (the watcher keeps only
 * a profile of most files' earlier versions): a rule that wants bytes past
 * what is given goes without them, as the scan does for a file that changed
 * since its backup. One hf_scan_live per thread. */
#ifndef HF_SCAN_LIVE_H
#define HF_SCAN_LIVE_H

#include <stddef.h>
#include <stdint.h>

#include "detect/detect.h"

/* one version of a file */
struct hf_scan_live_version {
	uint64_t size;       /* the file's full size */
	const uint8_t *data; /* its first n bytes (may be NULL, n 0) */
	size_t n;
	int has_profile; /* profile is known (else computed from data) */
	struct hf_profile profile;
};

struct hf_scan_live;
/* det: the caller's libmagic context (kept; freed by the caller after) */
struct hf_scan_live *hf_scan_live_new(struct hf_detect *det);
void hf_scan_live_free(struct hf_scan_live *l);
/* the profile of a version from its bytes: whole when data holds all of it
 * (n == size), else typed from the prefix with validity unchecked */
int hf_scan_live_profile(struct hf_scan_live *l, const uint8_t *data, size_t n, uint64_t size, struct hf_profile *out);
/* HF_REASON_* that old -> cur encrypted the file (old NULL: a new file,
 * judged on its content alone); conversion as hf_scan_judge_change.
 * Returns 0 or an error. */
int hf_scan_live_judge(struct hf_scan_live *l, struct hf_scan_live_version *old, struct hf_scan_live_version *cur,
		       int conversion, uint32_t *reasons);
/* HF_REASON_* bits that say a file was encrypted (not context) */
uint32_t hf_scan_live_encrypting(void);
/* 1 if content (a small new text file's start) reads as a ransom note by
 * itself (the scan's wording rule, for one directory) */
int hf_scan_live_note(const uint8_t *content, size_t n);

#endif
