/* restore_lastclean.h — restore --last-clean: the plan of scan/lastclean.h
 * carried out by the restore pipeline. */
#ifndef HF_ENGINE_RESTORE_LASTCLEAN_H
#define HF_ENGINE_RESTORE_LASTCLEAN_H

#include "engine/engine.h"
#include "scan/lastclean.h"

/* For every regular file of the newest snapshot, and every file a snapshot
 * the scan did not call clean deleted, restores the newest version not
 * flagged encrypted (with strict: nor suspicious); skips ransom notes and
 * files that never had such a version. Other entries come from the newest
 * snapshot. o->select must be NULL (the plan uses it). */
int hf_restore_last_clean(struct hf_repo *r, const struct hf_lastclean_opts *lo, const struct hf_restore_opts *o,
			  struct hf_restore_stats *st, struct hf_lastclean_stats *ls);

#endif
