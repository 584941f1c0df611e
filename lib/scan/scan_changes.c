/* scan_changes.c — what a backup collects for the scan that follows it.
 *
 * The scan after a backup compares the new snapshot with the backup's
 * parent. Walking both snapshots means reading, decrypting and decoding the
 * two trees of every directory that changed, which the backup held in
 * memory a moment before: the parent's, to find unchanged files, and the new
 * one, which it built. So as the backup finishes each such directory it
 * hands both trees to hf_scan_walk_dir, which keeps only the changed files
 * (paths, parts and profiles) and the old names' extensions: what the walk
 * would have found. Subdirectories the backup saw deleted are noted and
 * read when the scan starts.
 *
 * The collection is given up (the scan walks instead) when a tree of the
 * parent could not be read, or when it grows past CHANGES_MAX bytes: a
 * backup where everything changed should not hold every changed file twice
 * while its pipeline's buffers are still in use. The size is checked after
 * each directory, so one directory's changes (whose trees the backup holds
 * at that moment anyway) may pass the cap before it is given up; the set of
 * old extensions is not counted (a few bytes per distinct extension). */
#include <stdlib.h>
#include <string.h>

#include "scan/changes.h"
#include "scan/scan_internal.h"
#include "util/mem.h"

#define CHANGES_MAX ((size_t)16 << 20)

/* everything collected: freed when the collection is given up, and at the end */
static void drop_all(struct hf_changes *ch)
{
	for (size_t i = 0; i < ch->sc.n; i++) {
		free(ch->sc.items[i].path);
		free(ch->sc.items[i].old.parts);
		free(ch->sc.items[i].cur.parts);
	}
	free(ch->sc.items);
	ch->sc.items = NULL;
	ch->sc.n = ch->sc.cap = 0;
	hf_scan_exts_free(ch->sc.exts);
	ch->sc.exts = NULL;
	for (size_t i = 0; i < ch->ngone; i++)
		free(ch->gone[i].path);
	free(ch->gone);
	ch->gone = NULL;
	ch->ngone = ch->gone_cap = 0;
}

/* the collection is incomplete or too big: the scan will walk */
static void give_up(struct hf_changes *ch)
{
	ch->broken = 1;
	drop_all(ch);
}

struct hf_changes *hf_changes_new(void)
{
	struct hf_changes *ch = hf_xcalloc(1, sizeof(*ch));

	ch->sc.exts = hf_scan_exts_new();
	if (!ch->sc.exts) {
		free(ch);
		return NULL;
	}
	pthread_mutex_init(&ch->lock, NULL);
	return ch;
}

void hf_changes_free(struct hf_changes *ch)
{
	if (!ch)
		return;
	drop_all(ch);
	pthread_mutex_destroy(&ch->lock);
	free(ch);
}

static size_t item_bytes(const struct scan_item *it)
{
	return sizeof(*it) + strlen(it->path) + 1 + (it->old.nparts + it->cur.nparts) * sizeof(struct hf_part);
}

void hf_scan_changes_dir(struct hf_changes *ch, const char *path, struct hf_tree *prev, struct hf_tree *tree)
{
	size_t items, gone;

	pthread_mutex_lock(&ch->lock);
	if (!ch->broken) {
		items = ch->sc.n;
		gone = ch->ngone;
		hf_scan_walk_dir(ch, path, prev, tree);
		for (size_t i = items; i < ch->sc.n; i++)
			ch->bytes += item_bytes(&ch->sc.items[i]);
		for (size_t i = gone; i < ch->ngone; i++)
			ch->bytes += sizeof(*ch->gone) + strlen(ch->gone[i].path) + 1;
		if (ch->bytes > CHANGES_MAX)
			give_up(ch);
	}
	pthread_mutex_unlock(&ch->lock);
}

void hf_scan_changes_break(struct hf_changes *ch)
{
	pthread_mutex_lock(&ch->lock);
	give_up(ch);
	pthread_mutex_unlock(&ch->lock);
}

void hf_scan_changes_done(struct hf_changes *ch, const uint8_t old_root[HF_ID_LEN], const uint8_t new_root[HF_ID_LEN])
{
	memcpy(ch->old_root, old_root, HF_ID_LEN);
	memcpy(ch->new_root, new_root, HF_ID_LEN);
	ch->done = 1;
}

int hf_scan_changes_describe(const struct hf_changes *ch, const struct hf_snapshot *s,
			     const struct hf_snapshot *against)
{
	return ch->done && !ch->broken && against && memcmp(ch->old_root, against->tree, HF_ID_LEN) == 0 &&
	       memcmp(ch->new_root, s->tree, HF_ID_LEN) == 0;
}
