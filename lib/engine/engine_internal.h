/* engine_internal.h — helpers shared by the engine's files. */
#ifndef HF_ENGINE_INTERNAL_H
#define HF_ENGINE_INTERNAL_H

#include "engine/engine.h"

/* "dir/name" in a new string; dir "" gives "/name" (the snapshot root) */
char *hf_path_join(const char *dir, const char *name);
/* where path stands to prefix (NULL or "/": everything is under it): 1 at
 * or under it, 2 above it (a directory on the way), 0 elsewhere */
int hf_path_relation(const char *path, const char *prefix);

/* scan_changes.c: what a backup collects for the scan after it (struct
 * hf_changes, scan.h). The backup calls scan_changes_dir for every directory
 * it finished whose tree differs from the parent snapshot's (prev NULL: the
 * directory is new), from any thread; scan_changes_break when a tree of the
 * parent could not be read (the scan then walks the snapshots); and
 * scan_changes_done with both root trees once the snapshot is written. */
struct hf_changes *hf_changes_new(void);
void scan_changes_dir(struct hf_changes *ch, const char *path, struct hf_tree *prev, struct hf_tree *tree);
void scan_changes_break(struct hf_changes *ch);
void scan_changes_done(struct hf_changes *ch, const uint8_t old_root[HF_ID_LEN], const uint8_t new_root[HF_ID_LEN]);

#endif
