/* scan_pair.c — renames: a new file and a file deleted in the same snapshot
 * that are one file moved or replaced.
 *
 * Plain renames have identical content (the same part list) anywhere in the
 * tree: listed as renamed and clean. A new file may also replace a deleted
 * one of a matching name in the same directory — the deleted name plus extra
 * extensions (doc.txt -> doc.txt.locked, doc.txt.id-42.enc) or the same stem
 * with another extension (doc.txt -> doc.locked) — or, when the new name says
 * nothing, one of about its size; scan_judge.c decides whether such a pair
 * is an encryption. A deleted file is paired at most once. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "scan/scan_internal.h"
#include "util/idmap.h"
#include "util/mem.h"

#define SIZE_SLACK 4096u   /* ransomware appends a key blob or a footer: a few hundred bytes */
#define SIZE_SHARE 16      /* and pads or frames: 1/16 of the size */
#define SIZE_SCAN_MAX 4096 /* entries of one directory looked at for a size match */

static int deleted_free(const struct scan *sc, size_t k)
{
	return sc->items[k].change == HF_CHANGE_DELETED && !sc->items[k].absorbed;
}

void hf_scan_make_rename(struct scan *sc, size_t i, size_t d)
{
	sc->items[i].change = HF_CHANGE_RENAMED;
	sc->items[i].pair = d;
	sc->items[d].absorbed = 1;
}

int hf_scan_pair_same(struct scan *sc)
{
	struct hf_idmap *heads = hf_idmap_new(sizeof(size_t));
	size_t *next = NULL;
	uint8_t key[HF_ID_LEN];

	if (!heads)
		return -ENOMEM;
	next = hf_xcalloc(sc->n ? sc->n : 1, sizeof(*next));
	/* deleted files by content: a chain per content key */
	for (size_t k = 0; k < sc->n; k++) {
		void *slot;
		next[k] = SCAN_NONE;
		if (sc->items[k].change != HF_CHANGE_DELETED || sc->items[k].old.size == 0)
			continue;
		hf_scan_content_key(&sc->items[k].old, key);
		if (hf_idmap_put(heads, key, &k, &slot) == 0) {
			memcpy(&next[k], slot, sizeof(size_t));
			memcpy(slot, &k, sizeof(size_t));
		}
	}
	for (size_t i = 0; i < sc->n; i++) {
		size_t *head;
		if (sc->items[i].change != HF_CHANGE_NEW || sc->items[i].cur.size == 0)
			continue;
		hf_scan_content_key(&sc->items[i].cur, key);
		head = hf_idmap_get(heads, key);
		for (size_t d = head ? *head : SCAN_NONE; d != SCAN_NONE; d = next[d]) {
			if (deleted_free(sc, d)) {
				hf_scan_make_rename(sc, i, d);
				break;
			}
		}
	}
	free(next);
	hf_idmap_free(heads);
	return 0;
}

size_t hf_scan_match_name(const struct scan *sc, size_t i, int *suffix)
{
	const struct scan_item *it = &sc->items[i];
	char *buf = hf_xstrdup(it->path), *name = buf + it->name_off, *dot;
	size_t found = SCAN_NONE, plen, k;

	/* the deleted name plus one or more extensions */
	while (found == SCAN_NONE && (dot = strrchr(name, '.')) && dot > name) {
		*dot = '\0';
		k = hf_scan_find(sc, buf);
		if (k != SCAN_NONE && deleted_free(sc, k))
			found = k;
	}
	free(buf);
	*suffix = found != SCAN_NONE;
	if (found != SCAN_NONE)
		return found;
	/* the same stem with another extension: dir/stem.* with no further dot */
	dot = strrchr(it->path + it->name_off, '.');
	if (!dot || dot == it->path + it->name_off)
		return SCAN_NONE;
	plen = (size_t)(dot - it->path) + 1;
	buf = hf_xmemdup(it->path, plen);
	for (k = hf_scan_lower_bound(sc, buf); k < sc->n && strncmp(sc->items[k].path, buf, plen) == 0; k++) {
		const char *rest = sc->items[k].path + plen;
		if (k != i && deleted_free(sc, k) && !strchr(rest, '/') && !strchr(rest, '.')) {
			found = k;
			break;
		}
	}
	free(buf);
	return found;
}

size_t hf_scan_match_size(const struct scan *sc, size_t i)
{
	const struct scan_item *it = &sc->items[i];
	char *dir = hf_xmemdup(it->path, it->name_off);
	size_t best = SCAN_NONE, k, seen = 0;
	uint64_t best_diff = UINT64_MAX, cur = it->cur.size;

	for (k = hf_scan_lower_bound(sc, dir);
	     k < sc->n && seen < SIZE_SCAN_MAX && strncmp(sc->items[k].path, dir, it->name_off) == 0; k++, seen++) {
		const struct scan_item *d = &sc->items[k];
		uint64_t old = d->old.size, diff = cur > old ? cur - old : old - cur;
		if (!deleted_free(sc, k) || strchr(d->path + it->name_off, '/') || old == 0)
			continue;
		if (diff <= old / SIZE_SHARE + SIZE_SLACK && diff < best_diff) {
			best = k;
			best_diff = diff;
		}
	}
	free(dir);
	return best;
}
