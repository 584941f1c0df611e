/* forget.c — retention policy: which snapshots to keep. Buckets (hour, day,
 * ISO week, month, year) use local time; in each rule the newest snapshot of
 * each of the N newest buckets is kept, as restic and borg do, with three
 * differences that make the policy hard to steer: times are the store's
 * (a server's arrival times, hf_snapshot_when) where it records them, the
 * rules apply to each sender's snapshots apart, and a bucket keeps a
 * doubtful snapshot (flagged, or judged an attack) only if it has no other.
 * Whatever the policy says, pinned snapshots are kept (hf_forget_protect);
 * marks of snapshots that are gone are deleted after a prune. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/engine.h"
#include "repo/pending.h"
#include "scan/lastclean.h"
#include "repo/mark.h"
#include "store/store.h"
#include "util/err.h"
#include "util/hex.h"
#include "util/idmap.h"
#include "util/mem.h"

static void bucket(int64_t ns, const char *fmt, char *out, size_t cap)
{
	time_t t = (time_t)(ns / 1000000000);
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(out, cap, fmt, &tm);
}

/* The rule "the newest of each of the count newest buckets" over one
 * sender's snapshots idx[0..m) (oldest first). In each bucket the newest
 * snapshot that is not doubtful is kept; a doubtful one only when the
 * bucket has nothing else, so an attack or a forged time late in a day
 * cannot take the day's place from the clean snapshot before it. */
static void keep_buckets(const struct hf_snapshot *s, const size_t *idx, size_t m, const unsigned char *doubtful,
			 unsigned count, const char *fmt, int *keep)
{
	char cur[32], other[32];
	unsigned used = 0;

	for (size_t k = m; k-- > 0 && used < count;) {
		size_t pick = idx[k], j = k;
		int found = !doubtful[idx[k]];
		bucket(hf_snapshot_when(&s[idx[k]]), fmt, cur, sizeof(cur));
		while (j > 0) {
			bucket(hf_snapshot_when(&s[idx[j - 1]]), fmt, other, sizeof(other));
			if (strcmp(other, cur) != 0)
				break;
			j--;
			if (!found && !doubtful[idx[j]]) {
				pick = idx[j];
				found = 1;
			}
		}
		keep[pick] |= HF_KEEP_POLICY;
		used++;
		k = j;
	}
}

/* the last newest of one sender's snapshots, those not doubtful first */
static void keep_last(const size_t *idx, size_t m, const unsigned char *doubtful, unsigned last, int *keep)
{
	unsigned kept = 0;

	for (int pass = 0; pass < 2; pass++)
		for (size_t k = m; k-- > 0 && kept < last;)
			if (doubtful[idx[k]] == pass) {
				keep[idx[k]] |= HF_KEEP_POLICY;
				kept++;
			}
}

void hf_forget_select(const struct hf_snapshot *snaps, size_t n, const struct hf_forget_policy *p,
		      const unsigned char *doubtful, int *keep)
{
	unsigned char *none = NULL, *grouped = hf_xcalloc(n + 1, 1);
	size_t *idx = hf_xcalloc(n + 1, sizeof(*idx));

	if (!doubtful)
		doubtful = none = hf_xcalloc(n + 1, 1);
	memset(keep, 0, n * sizeof(*keep));
	/* each sender's snapshots on their own: one client's many snapshots
	 * never take another's places */
	for (size_t i = 0; i < n; i++) {
		size_t m = 0;
		if (grouped[i])
			continue;
		for (size_t j = i; j < n; j++)
			if (!grouped[j] && strcmp(snaps[j].sender, snaps[i].sender) == 0) {
				grouped[j] = 1;
				idx[m++] = j;
			}
		keep_last(idx, m, doubtful, p->last, keep);
		keep_buckets(snaps, idx, m, doubtful, p->hourly, "%Y-%m-%d %H", keep);
		keep_buckets(snaps, idx, m, doubtful, p->daily, "%Y-%m-%d", keep);
		keep_buckets(snaps, idx, m, doubtful, p->weekly, "%G-%V", keep);
		keep_buckets(snaps, idx, m, doubtful, p->monthly, "%Y-%m", keep);
		keep_buckets(snaps, idx, m, doubtful, p->yearly, "%Y", keep);
	}
	free(none);
	free(grouped);
	free(idx);
}

/* doubtful[i]: the store flagged snapshot i, or its verdict is attack or
 * suspicious */
static void find_doubtful(const struct hf_snapshot *snaps, size_t n, const struct hf_mark *marks, size_t nmarks,
			  unsigned char *doubtful)
{
	int verdict;

	for (size_t i = 0; i < n; i++)
		doubtful[i] = snaps[i].flags != 0 || (hf_marks_verdict(marks, nmarks, snaps[i].id, &verdict) &&
						      verdict != HF_MARK_VERDICT_CLEAN);
}

/* every mark, or -HF_E_CORRUPT if one cannot be read (it could be a pin:
 * forget must not go on) */
static int list_marks(struct hf_repo *r, struct hf_mark **marks, size_t *n)
{
	size_t bad = 0;
	int ret = hf_mark_list(r, marks, n, &bad);

	if (ret == 0 && bad)
		ret = -HF_E_CORRUPT;
	if (ret < 0) {
		hf_mark_list_free(*marks, *n);
		*marks = NULL;
		*n = 0;
	}
	return ret;
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

static int protect(struct hf_repo *r, const struct hf_snapshot *snaps, size_t n, const struct hf_mark *marks,
		   size_t nmarks, int *keep)
{
	for (size_t i = 0; i < n; i++)
		if (hf_marks_pinned(marks, nmarks, snaps[i].id))
			keep[i] |= HF_KEEP_PINNED;
	return protect_clean_versions(r, snaps, n, keep);
}

int hf_forget_protect(struct hf_repo *r, const struct hf_snapshot *snaps, size_t n, int *keep)
{
	struct hf_mark *marks = NULL;
	size_t nmarks = 0;
	int ret = list_marks(r, &marks, &nmarks);

	if (ret == 0)
		ret = protect(r, snaps, n, marks, nmarks, keep);
	hf_mark_list_free(marks, nmarks);
	return ret;
}

/* Puts each id into a new map; NULL if memory runs out. */
static struct hf_idmap *id_set(size_t n, const uint8_t *first, size_t stride)
{
	struct hf_idmap *m = hf_idmap_new(0);

	for (size_t i = 0; m && i < n; i++)
		if (hf_idmap_put(m, first + i * stride, NULL, NULL) < 0) {
			hf_idmap_free(m);
			return NULL;
		}
	return m;
}

static int delete_mark(struct hf_repo *r, const struct hf_mark *m, size_t *removed)
{
	char name[HF_ID_HEX_LEN + 1];
	int ret;

	hf_hex_encode(m->id, HF_ID_LEN, name);
	ret = hf_delete(r, HF_OBJ_MARK, name);
	*removed += ret == 0; /* else kept by the store, or a concurrent forget took it */
	return ret < 0 ? ret : 0;
}

/* Whether a forget record may go: its snapshot is gone, no snapshot names
 * it as a parent and no other mark names it (nothing left for it to
 * explain), and it is old enough that no backup still running took the
 * forgotten snapshot as its parent. */
static int record_done(const struct hf_mark *m, const struct hf_idmap *snaps, const struct hf_idmap *parents,
		       const struct hf_idmap *named, int64_t now)
{
	return !hf_idmap_get(snaps, m->snapshot) && !hf_idmap_get(parents, m->snapshot) &&
	       !hf_idmap_get(named, m->snapshot) && m->time_ns <= now - HF_FORGET_RECORD_KEEP_NS;
}

int hf_forget_orphan_marks(struct hf_repo *r, size_t *removed)
{
	struct hf_mark *marks = NULL;
	struct hf_snapshot *snaps = NULL;
	struct hf_idmap *ids = NULL, *parents = hf_idmap_new(0), *forgotten = hf_idmap_new(0), *named = NULL;
	size_t nmarks = 0, nsnaps = 0, bad = 0;
	int64_t now = 0;
	int ret;

	*removed = 0;
	/* marks first: a mark is written after its snapshot, so every mark
	 * listed here names a snapshot the listing below will see */
	ret = hf_mark_list(r, &marks, &nmarks, NULL);
	if (ret < 0 || nmarks == 0)
		goto out;
	ret = hf_snapshot_list(r, &snaps, &nsnaps, &bad);
	if (ret == 0 && bad)
		ret = -HF_E_CORRUPT;
	if (ret == 0)
		ret = hf_store_now(hf_repo_store(r), &now);
	if (ret < 0)
		goto out;
	ids = id_set(nsnaps, snaps ? snaps[0].id : NULL, sizeof(*snaps));
	named = hf_idmap_new(0);
	ret = ids && parents && forgotten && named ? 0 : -ENOMEM;
	for (size_t i = 0; i < nsnaps && ret == 0; i++)
		if (snaps[i].has_parent)
			ret = hf_idmap_put(parents, snaps[i].parent, NULL, NULL) < 0 ? -ENOMEM : 0;
	for (size_t i = 0; i < nmarks && ret == 0; i++)
		if (marks[i].kind == HF_MARK_FORGOTTEN)
			ret = hf_idmap_put(forgotten, marks[i].snapshot, NULL, NULL) < 0 ? -ENOMEM : 0;
	/* the marks of snapshots forget removed; a mark whose snapshot is
	 * gone without a forget record stays, for check to report */
	for (size_t i = 0; i < nmarks && ret == 0; i++) {
		const struct hf_mark *m = &marks[i];
		if (m->kind == HF_MARK_FORGOTTEN || hf_idmap_get(ids, m->snapshot))
			continue;
		if (hf_idmap_get(forgotten, m->snapshot))
			ret = delete_mark(r, m, removed);
		else
			ret = hf_idmap_put(named, m->snapshot, NULL, NULL) < 0 ? -ENOMEM : 0;
	}
	/* then the forget records nothing needs any more */
	for (size_t i = 0; i < nmarks && ret == 0; i++)
		if (marks[i].kind == HF_MARK_FORGOTTEN && record_done(&marks[i], ids, parents, named, now))
			ret = delete_mark(r, &marks[i], removed);
out:
	hf_idmap_free(ids);
	hf_idmap_free(parents);
	hf_idmap_free(forgotten);
	hf_idmap_free(named);
	hf_snapshot_list_free(snaps, nsnaps);
	hf_mark_list_free(marks, nmarks);
	return ret;
}

/* The snapshots the store kept (a retention lock) are named as gone in a
 * plan (pending.h): nobody lists them from now on, prune frees what only
 * they used once the store lets it go, and deletes them when it can. */
static int record_kept(struct hf_repo *r, const struct hf_forget_result *out)
{
	struct hf_pending_gone *kept = NULL;
	size_t nkept = 0;
	int64_t now;
	int ret = 0;

	for (size_t i = 0; i < out->n; i++)
		if (out->kept_by_store[i]) {
			kept = hf_xreallocarray(kept, nkept + 1, sizeof(*kept));
			kept[nkept].kind = HF_OBJ_SNAPSHOT;
			memcpy(kept[nkept++].id, out->snaps[i].id, HF_ID_LEN);
		}
	if (nkept)
		ret = hf_store_now(hf_repo_store(r), &now);
	if (nkept && ret == 0)
		ret = hf_pending_write_gone(r, now, kept, nkept);
	free(kept);
	return ret;
}

/* A forget record for the snapshot, written before it is deleted: check
 * takes a snapshot that is gone without one for a deletion outside
 * holdfast. Dated by the store's clock, which ages it (record_done). */
static int record_forgotten(struct hf_repo *r, struct hf_session **ses, const uint8_t id[HF_ID_LEN])
{
	struct hf_mark m = {.kind = HF_MARK_FORGOTTEN, .reason = "forget"};
	int ret = *ses ? 0 : hf_session_new(r, ses);

	if (ret == 0)
		ret = hf_store_now(hf_repo_store(r), &m.time_ns);
	memcpy(m.snapshot, id, HF_ID_LEN);
	return ret < 0 ? ret : hf_mark_write(r, *ses, &m);
}

int hf_forget(struct hf_repo *r, const struct hf_forget_policy *p, int dry, struct hf_forget_result *out)
{
	struct hf_session *ses = NULL;
	struct hf_mark *marks = NULL;
	size_t bad = 0, nmarks = 0;
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
	ret = list_marks(r, &marks, &nmarks); /* once: for the verdicts, then the pins */
	if (ret == 0) {
		unsigned char *doubtful = hf_xcalloc(out->n + 1, 1);
		find_doubtful(out->snaps, out->n, marks, nmarks, doubtful);
		hf_forget_select(out->snaps, out->n, p, doubtful, out->keep);
		free(doubtful);
		ret = protect(r, out->snaps, out->n, marks, nmarks, out->keep);
	}
	hf_mark_list_free(marks, nmarks);
	for (size_t i = 0; i < out->n && ret == 0 && !dry; i++) {
		char name[HF_ID_HEX_LEN + 1];
		if (out->keep[i])
			continue;
		ret = record_forgotten(r, &ses, out->snaps[i].id);
		if (ret < 0)
			break;
		hf_hex_encode(out->snaps[i].id, HF_ID_LEN, name);
		ret = hf_delete(r, HF_OBJ_SNAPSHOT, name);
		if (ret == HF_DELETE_KEPT)
			out->kept_by_store[i] = 1;
		if (ret >= 0)
			memcpy(out->forgotten[out->nremoved++], out->snaps[i].session_fp, HF_HASH_LEN);
		ret = ret < 0 ? ret : 0;
	}
	if (ret == 0 && !dry)
		ret = record_kept(r, out);
	hf_session_free(ses);
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
