/* forget.c — retention policy: which snapshots to keep. Buckets (hour, day,
 * ISO week, month, year) use local time; in each rule the newest snapshot of
 * each of the N newest buckets is kept, as restic and borg do. Whatever the
 * policy says, pinned snapshots are kept (hf_forget_protect); marks of
 * snapshots that are gone are deleted after a prune. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/engine.h"
#include "scan/lastclean.h"
#include "repo/mark.h"
#include "store/store.h"
#include "util/err.h"
#include "util/hex.h"
#include "util/mem.h"

static void bucket(int64_t ns, const char *fmt, char *out, size_t cap)
{
	time_t t = (time_t)(ns / 1000000000);
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(out, cap, fmt, &tm);
}

static void keep_buckets(const struct hf_snapshot *s, size_t n, unsigned count, const char *fmt, int *keep)
{
	char last[32] = "", cur[32];
	unsigned used = 0;

	for (size_t i = n; i-- > 0 && used < count;) {
		bucket(s[i].time_ns, fmt, cur, sizeof(cur));
		if (strcmp(cur, last) != 0) {
			keep[i] |= HF_KEEP_POLICY;
			used++;
			memcpy(last, cur, sizeof(last));
		}
	}
}

void hf_forget_select(const struct hf_snapshot *snaps, size_t n, const struct hf_forget_policy *p, int *keep)
{
	memset(keep, 0, n * sizeof(*keep));
	for (size_t i = 0; i < n && i < p->last; i++)
		keep[n - 1 - i] |= HF_KEEP_POLICY;
	keep_buckets(snaps, n, p->hourly, "%Y-%m-%d %H", keep);
	keep_buckets(snaps, n, p->daily, "%Y-%m-%d", keep);
	keep_buckets(snaps, n, p->weekly, "%G-%V", keep);
	keep_buckets(snaps, n, p->monthly, "%Y-%m", keep);
	keep_buckets(snaps, n, p->yearly, "%Y", keep);
}

/* Per history (chain), the snapshots restore --last-clean of its newest
 * snapshot would take a file from: they hold the newest clean version of
 * some file. */
static int protect_clean_versions(struct hf_repo *r, const struct hf_snapshot *snaps, size_t n, int *keep)
{
	struct hf_snapshot *chain = hf_xcalloc(n ? n : 1, sizeof(*chain));
	size_t *idx = hf_xcalloc(n ? n : 1, sizeof(*idx));
	uint8_t *done = hf_xcalloc(n ? n : 1, 1), *needed = hf_xcalloc(n ? n : 1, 1);
	int ret = 0;

	for (size_t i = n; i-- > 0 && ret == 0;) {
		size_t m = 0;
		if (done[i])
			continue; /* i is the newest of a chain not seen yet */
		for (size_t j = 0; j <= i; j++)
			if (!done[j] && hf_snapshot_same_chain(&snaps[j], &snaps[i])) {
				done[j] = 1;
				idx[m] = j;
				chain[m++] = snaps[j];
			}
		memset(needed, 0, m);
		ret = hf_last_clean_sources(r, chain, m, needed);
		for (size_t k = 0; k < m && ret == 0; k++)
			if (needed[k] && !keep[idx[k]])
				keep[idx[k]] |= HF_KEEP_CLEAN;
	}
	free(chain);
	free(idx);
	free(done);
	free(needed);
	return ret;
}

int hf_forget_protect(struct hf_repo *r, const struct hf_snapshot *snaps, size_t n, int *keep)
{
	struct hf_mark *marks = NULL;
	size_t nmarks = 0, bad = 0;
	int ret = hf_mark_list(r, &marks, &nmarks, &bad);

	if (ret < 0)
		return ret;
	if (bad) {
		hf_mark_list_free(marks, nmarks);
		return -HF_E_CORRUPT;
	}
	for (size_t i = 0; i < n; i++)
		if (hf_marks_pinned(marks, nmarks, snaps[i].id))
			keep[i] |= HF_KEEP_PINNED;
	hf_mark_list_free(marks, nmarks);
	return protect_clean_versions(r, snaps, n, keep);
}

static int by_id(const void *a, const void *b)
{
	return memcmp(a, b, HF_ID_LEN);
}

int hf_forget_orphan_marks(struct hf_repo *r, size_t *removed)
{
	struct hf_mark *marks = NULL;
	struct hf_snapshot *snaps = NULL;
	uint8_t(*ids)[HF_ID_LEN] = NULL;
	size_t nmarks = 0, nsnaps = 0, bad = 0;
	char name[HF_ID_HEX_LEN + 1];
	int ret;

	*removed = 0;
	/* marks first: a mark is written after its snapshot, so every mark
	 * listed here names a snapshot the listing below will see */
	ret = hf_mark_list(r, &marks, &nmarks, NULL);
	if (ret < 0 || nmarks == 0)
		goto out;
	ret = hf_snapshot_list(r, &snaps, &nsnaps, &bad);
	if (ret < 0)
		goto out;
	if (bad) {
		ret = -HF_E_CORRUPT;
		goto out;
	}
	ids = hf_xcalloc(nsnaps ? nsnaps : 1, sizeof(*ids));
	for (size_t i = 0; i < nsnaps; i++)
		memcpy(ids[i], snaps[i].id, HF_ID_LEN);
	qsort(ids, nsnaps, sizeof(*ids), by_id);
	for (size_t i = 0; i < nmarks; i++) {
		if (nsnaps && bsearch(marks[i].snapshot, ids, nsnaps, sizeof(*ids), by_id))
			continue;
		hf_hex_encode(marks[i].id, HF_ID_LEN, name);
		ret = hf_delete(r, HF_OBJ_MARK, name);
		if (ret < 0)
			goto out;
		*removed += ret == 0; /* else kept by the store, or a concurrent forget took it */
		ret = 0;
	}
out:
	free(ids);
	hf_snapshot_list_free(snaps, nsnaps);
	hf_mark_list_free(marks, nmarks);
	return ret;
}

int hf_forget(struct hf_repo *r, const struct hf_forget_policy *p, int dry, struct hf_forget_result *out)
{
	size_t bad = 0;
	int ret;

	memset(out, 0, sizeof(*out));
	ret = hf_snapshot_list(r, &out->snaps, &out->n, &bad);
	if (ret == 0 && bad)
		ret = -HF_E_CORRUPT;
	if (ret < 0)
		return ret;
	out->keep = hf_xcalloc(out->n + 1, sizeof(int));
	out->kept_by_store = hf_xcalloc(out->n + 1, sizeof(int));
	out->forgotten = hf_xcalloc(out->n + 1, sizeof(*out->forgotten));
	hf_forget_select(out->snaps, out->n, p, out->keep);
	ret = hf_forget_protect(r, out->snaps, out->n, out->keep);
	for (size_t i = 0; i < out->n && ret == 0 && !dry; i++) {
		char name[HF_ID_HEX_LEN + 1];
		if (out->keep[i])
			continue;
		hf_hex_encode(out->snaps[i].id, HF_ID_LEN, name);
		ret = hf_delete(r, HF_OBJ_SNAPSHOT, name);
		if (ret == HF_DELETE_KEPT)
			out->kept_by_store[i] = 1;
		else if (ret >= 0)
			memcpy(out->forgotten[out->nremoved++], out->snaps[i].session_fp, HF_HASH_LEN);
		ret = ret < 0 ? ret : 0;
	}
	return ret;
}

void hf_forget_result_release(struct hf_forget_result *res)
{
	hf_snapshot_list_free(res->snaps, res->n);
	free(res->keep);
	free(res->kept_by_store);
	free(res->forgotten);
	memset(res, 0, sizeof(*res));
}
