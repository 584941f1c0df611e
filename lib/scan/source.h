/* source.h — where the scan's rules read file content from.
 *
 * Judging a file (scan_judge.c, scan_notes.c, scan_content.c) reads its
 * bytes only through a struct hf_scan_source: a repository's stored blobs
 * (hf_scan_source_repo), the files on this machine for a write-only
 * client's scan after its backup (hf_scan_source_files), bytes in memory
 * in the tests. A source is used by one thread at
 * a time; each judging thread gets its own. */
#ifndef HF_SCAN_SOURCE_H
#define HF_SCAN_SOURCE_H

#include <stddef.h>
#include <stdint.h>

#include "repo/repo.h"

/* one version of a file, as the scan knows it: a source uses what it needs */
struct hf_scan_ref {
	uint64_t size;
	const struct hf_part *parts; /* the stored content (the repository source reads these) */
	size_t nparts;
	const void *handle; /* the source's own name for the version (a live file, a buffer);
			     * NULL for stored content */
};

struct hf_scan_source {
	/* n bytes of file from offset off into out; holes and bytes past
	 * the end read as zeros. 0, or -errno / -HF_E_* */
	int (*read)(void *ctx, const struct hf_scan_ref *file, uint64_t off, size_t n, void *out);
	void (*release)(void *ctx); /* frees ctx (may be NULL) */
	void *ctx;
};

/* a source over r's stored blobs (its own blob reader: one per thread) */
void hf_scan_source_repo(struct hf_scan_source *s, struct hf_repo *r);
/* a source over the files on this machine, for a client that cannot read
 * the repository (a write-only key): a version's handle is its path (as
 * stored: absolute), and each data part read is hashed with r's MAC key and
 * must match its id. A version the file no longer holds (it changed since,
 * or is gone, or the version is an earlier one) reads as -HF_E_CHANGED:
 * the scan's rules then go without its content (scan_internal.h,
 * hf_scan_gone). */
void hf_scan_source_files(struct hf_scan_source *s, struct hf_repo *r);
/* releases s's context (a zeroed source is a no-op); s is zeroed */
void hf_scan_source_release(struct hf_scan_source *s);

#endif
