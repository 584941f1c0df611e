/* changes.h — what a backup collects for the scan after it (struct
 * hf_changes): the changed files of every directory whose tree differs from
 * the parent snapshot's, so that scan need not walk both snapshots. */
#ifndef HF_SCAN_CHANGES_H
#define HF_SCAN_CHANGES_H

#include "repo/repo.h"

struct hf_changes; /* private: scan_internal.h */

/* scan_changes.c. The backup calls hf_scan_changes_dir for every directory
 * it finished whose tree differs from the parent snapshot's (prev NULL: the
 * directory is new), from any thread; hf_scan_changes_break when a tree of the
 * parent could not be read (the scan then walks the snapshots); and
 * hf_scan_changes_done with both root trees once the snapshot is written. */
struct hf_changes *hf_changes_new(void);
void hf_scan_changes_dir(struct hf_changes *ch, const char *path, struct hf_tree *prev, struct hf_tree *tree);
void hf_scan_changes_break(struct hf_changes *ch);
void hf_scan_changes_done(struct hf_changes *ch, const uint8_t old_root[HF_ID_LEN], const uint8_t new_root[HF_ID_LEN]);
void hf_changes_free(struct hf_changes *ch);

#endif
