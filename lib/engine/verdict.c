/* verdict.c — what happens after a backup (the CLI, the server and the
 * watcher call the same): the new snapshot is scanned against its
 * predecessor, the verdict is recorded as a mark (with the count of changed
 * files, the next scan's measure of usual churn), and on an attack the newest
 * earlier snapshot that holds no flagged version is pinned. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/backup_cache.h"
#include "engine/engine.h"
#include "engine/verdict.h"
#include "repo/mark.h"
#include "util/err.h"
#include "util/hex.h"
#include "util/mem.h"

static int write_mark(struct hf_repo *repo, int kind, int verdict, uint64_t changes, const uint8_t snap[HF_ID_LEN],
		      const char *why)
{
	struct hf_session *s;
	struct hf_mark m = {0};
	struct timespec now;
	int r = hf_session_new(repo, &s);

	if (r < 0)
		return r;
	clock_gettime(CLOCK_REALTIME, &now);
	m.time_ns = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
	memcpy(m.snapshot, snap, HF_ID_LEN);
	m.kind = (uint8_t)kind;
	m.verdict = (uint8_t)verdict;
	m.changes = changes;
	m.reason = (char *)why;
	r = hf_mark_write(repo, s, &m);
	hf_session_free(s);
	return r;
}

/* A snapshot's verdict: its latest verdict mark, else a scan. */
static int verdict_of(struct hf_history *h, const struct hf_mark *marks, size_t nmarks, const struct hf_snapshot *chain,
		      size_t j, int *verdict)
{
	const struct hf_scan_result *res;
	int r;

	if (hf_marks_verdict(marks, nmarks, chain[j].id, verdict))
		return 0;
	r = hf_history_scan(h, j, &res);
	if (r == 0)
		*verdict = res->verdict;
	return r;
}

/* The newest snapshot before chain[k] that holds no version flagged
 * encrypted (nor a ransom note). While every scan since the first snapshot
 * was clean, the snapshot just before k is such a one: a clean scan flags
 * nothing, and a first snapshot's files, judged alone, are at most
 * suspicious. Past the first scan that was not clean, a snapshot qualifies
 * only if a walk of it finds no flagged version (one taken after an attack
 * can be clean only because nothing more changed). */
static int last_clean_before(struct hf_repo *repo, struct hf_history *h, const struct hf_mark *marks, size_t nmarks,
			     const struct hf_snapshot *chain, size_t k, size_t *out)
{
	size_t first_bad = k;
	int v, r;

	for (size_t i = 1; i < k && first_bad == k; i++) {
		if ((r = verdict_of(h, marks, nmarks, chain, i, &v)) < 0)
			return r;
		if (v != HF_SNAP_CLEAN)
			first_bad = i;
	}
	for (size_t j = k; j-- > first_bad;) {
		if ((r = verdict_of(h, marks, nmarks, chain, j, &v)) < 0)
			return r;
		if (v == HF_SNAP_ATTACK)
			continue;
		r = hf_history_unflagged(repo, h, &chain[j], j);
		if (r < 0)
			return r;
		if (r) {
			*out = j;
			return 0;
		}
	}
	*out = first_bad - 1;
	return 0;
}

static int pin_last_clean(struct hf_repo *repo, struct hf_history *h, const struct hf_snapshot *chain, size_t k,
			  struct hf_backup_verdict *out)
{
	struct hf_mark *marks = NULL;
	size_t nmarks = 0, j = 0;
	char why[128], id[HF_ID_HEX_LEN + 1];
	int r = hf_mark_list(repo, &marks, &nmarks, NULL);

	if (r == 0)
		r = last_clean_before(repo, h, marks, nmarks, chain, k, &j);
	if (r == 0) {
		memcpy(out->pinned_id, chain[j].id, HF_ID_LEN);
		out->pinned = 1;
		if (!hf_marks_pinned(marks, nmarks, chain[j].id)) {
			hf_hex_encode(chain[k].id, HF_ID_LEN, id);
			snprintf(why, sizeof(why), "automatic: last clean snapshot before the attack in %.8s", id);
			r = write_mark(repo, HF_MARK_PIN, 0, 0, chain[j].id, why);
		}
	}
	hf_mark_list_free(marks, nmarks);
	return r;
}

/* a scan's verdict into out, and as a mark on snapshot id (who: whose scan) */
static int record_verdict(struct hf_repo *repo, const uint8_t id[HF_ID_LEN], const struct hf_scan_result *res,
			  const char *who, struct hf_backup_verdict *out)
{
	char why[160];

	out->scanned = 1;
	out->verdict = res->verdict;
	out->encrypted = res->sum.encrypted;
	out->suspicious = res->sum.suspicious;
	out->notes = res->sum.notes;
	snprintf(why, sizeof(why), "%s: %llu encrypted, %llu suspicious, %llu ransom notes", who,
		 (unsigned long long)res->sum.encrypted, (unsigned long long)res->sum.suspicious,
		 (unsigned long long)res->sum.notes);
	return write_mark(repo, HF_MARK_VERDICT, res->verdict,
			  res->sum.added + res->sum.modified + res->sum.deleted + res->sum.renamed, id, why);
}

/* hf_backup_judge and hf_verify_judge (verifier): a verifier judges a first
 * snapshot (nothing before it) on its own content too, and reads the index
 * objects other writers added */
static int judge(struct hf_repo *repo, const uint8_t id[HF_ID_LEN], struct hf_changes *changes, int verifier,
		 void (*on_alert)(void *arg, const struct hf_scan_result *res), void *arg,
		 struct hf_backup_verdict *out)
{
	struct hf_snapshot *all = NULL, *chain;
	struct hf_scan_result alone = {0};
	const struct hf_scan_result *res;
	struct hf_history *h = NULL;
	size_t n = 0, m, newest = 0;
	int r, found = 0;

	memset(out, 0, sizeof(*out));
	r = hf_snapshot_list(repo, &all, &n, NULL);
	if (r < 0) {
		hf_changes_free(changes);
		return r;
	}
	for (size_t i = 0; i < n; i++)
		if (memcmp(all[i].id, id, HF_ID_LEN) == 0) {
			newest = i;
			found = 1;
		}
	if (!found) {
		hf_changes_free(changes);
		hf_snapshot_list_free(all, n);
		return -HF_E_NOTFOUND;
	}
	chain = hf_xcalloc(n, sizeof(*chain));
	m = hf_chain_of(all, n, newest, chain);
	if (m < 2 && !verifier) /* a first snapshot: nothing to compare with */
		goto out;
	/* with what the backup just wrote (its final check listed index/ since,
	 * as a rule: then nothing is listed again) */
	r = verifier ? hf_repo_refresh_index(repo) : hf_repo_refresh_own_index(repo);
	if (r < 0)
		goto out;
	if (m < 2) {
		r = hf_scan(repo, &chain[0], NULL, &alone);
		res = &alone;
	} else {
		h = hf_history_new(repo, chain, m);
		hf_history_give_changes(h, changes);
		changes = NULL;
		r = hf_history_scan(h, m - 1, &res);
	}
	if (r < 0)
		goto out;
	r = record_verdict(repo, id, res, verifier ? "verifier's scan" : "automatic scan after backup", out);
	if (r == 0 && res->verdict == HF_SNAP_ATTACK && m >= 2)
		r = pin_last_clean(repo, h, chain, m - 1, out);
	if (res->verdict != HF_SNAP_CLEAN && on_alert)
		on_alert(arg, res);
out:
	hf_scan_result_release(&alone);
	hf_changes_free(changes);
	hf_history_free(h);
	free(chain);
	hf_snapshot_list_free(all, n);
	return r;
}

int hf_backup_judge(struct hf_repo *repo, const uint8_t id[HF_ID_LEN], struct hf_changes *changes,
		    void (*on_alert)(void *arg, const struct hf_scan_result *res), void *arg,
		    struct hf_backup_verdict *out)
{
	return judge(repo, id, changes, 0, on_alert, arg, out);
}

int hf_verify_judge(struct hf_repo *repo, const uint8_t id[HF_ID_LEN],
		    void (*on_alert)(void *arg, const struct hf_scan_result *res), void *arg,
		    struct hf_backup_verdict *out)
{
	return judge(repo, id, NULL, 1, on_alert, arg, out);
}

/* the local cache's trees, noting when one could not be read */
struct cache_trees {
	struct bcache *cache;
	int failed;
};

static int load_cached(void *arg, const uint8_t id[HF_ID_LEN], struct hf_tree *t)
{
	struct cache_trees *ct = arg;
	int r = hf_bcache_load_either(ct->cache, id, t);

	if (r < 0)
		ct->failed = 1;
	return r;
}

int hf_backup_judge_local(struct hf_repo *repo, const char *cache_dir, struct hf_backup_stats *st,
			  void (*on_alert)(void *arg, const struct hf_scan_result *res), void *arg,
			  struct hf_backup_verdict *out)
{
	struct hf_changes *changes = st->changes;
	struct hf_snapshot s = {0}, against = {0};
	struct hf_scan_result res = {0};
	struct cache_trees ct = {0};
	struct hf_tree_source trees = {load_cached, &ct};
	char why[128], hex[HF_ID_HEX_LEN + 1];
	int r;

	memset(out, 0, sizeof(*out));
	st->changes = NULL;
	if (!st->has_parent || !cache_dir) { /* a first snapshot: nothing to compare with */
		hf_changes_free(changes);
		return 0;
	}
	r = hf_bcache_open_read(repo, cache_dir, &ct.cache);
	/* the cache must hold this snapshot and the parent it was backed up against */
	if (r == 0 && (!hf_bcache_last_two(ct.cache, s.id, s.tree, against.id, against.tree) ||
		       memcmp(s.id, st->snapshot, HF_ID_LEN) != 0 || memcmp(against.id, st->parent, HF_ID_LEN) != 0))
		r = -HF_E_NOTFOUND;
	if (r < 0) {
		hf_changes_free(changes);
		hf_bcache_free(ct.cache);
		return r;
	}
	s.files = st->files_new + st->files_changed + st->files_unchanged;
	s.has_parent = 1;
	memcpy(s.parent, against.id, HF_ID_LEN);
	r = hf_scan_local(repo, &s, &against, changes, &trees, &res);
	if (r < 0 && ct.failed)
		r = -HF_E_NOTFOUND; /* the cache, not the repository, lacks what the scan needed */
	if (r == 0)
		r = record_verdict(repo, s.id, &res, "write-only client's scan after backup", out);
	/* it reads no other snapshot: the one its backup started from is the
	 * one it knows was before the attack (the verifier pins by history) */
	if (r == 0 && res.verdict == HF_SNAP_ATTACK) {
		hf_hex_encode(s.id, HF_ID_LEN, hex);
		snprintf(why, sizeof(why), "automatic: the snapshot before the attack in %.8s (write-only client)",
			 hex);
		r = write_mark(repo, HF_MARK_PIN, 0, 0, against.id, why);
		if (r == 0) {
			out->pinned = 1;
			memcpy(out->pinned_id, against.id, HF_ID_LEN);
		}
	}
	if (r == 0 && res.verdict != HF_SNAP_CLEAN && on_alert)
		on_alert(arg, &res);
	hf_scan_result_release(&res);
	hf_bcache_free(ct.cache);
	return r;
}
