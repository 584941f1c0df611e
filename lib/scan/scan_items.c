/* scan_items.c — look-ups in a scan's list of changed files, which the walk
 * leaves sorted by path: one path, or where the paths under a directory
 * start. Kept apart from the walk so that the files that pair, judge and
 * mark items depend on it, and not on one another in a circle. */
#include <string.h>

#include "scan/scan_internal.h"

size_t hf_scan_lower_bound(const struct scan *sc, const char *prefix)
{
	size_t lo = 0, hi = sc->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(sc->items[mid].path, prefix) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

size_t hf_scan_find(const struct scan *sc, const char *path)
{
	size_t i = hf_scan_lower_bound(sc, path);

	return i < sc->n && strcmp(sc->items[i].path, path) == 0 ? i : SCAN_NONE;
}
