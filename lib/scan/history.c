/* history.c — backup histories ("chains": the snapshots of one host and
 * path list, oldest first) and the verdicts of file versions along them.
 *
 * A version's verdict comes from the scan of the snapshot where it first
 * appeared, against the previous snapshot of its chain; later snapshots
 * where it is unchanged inherit it. struct hf_history computes each scan of
 * a chain once, when first asked, so `history PATH` (one path: only the
 * snapshots where its content changed are scanned) and restore --last-clean
 * (every file of a snapshot) share the work. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "scan/history.h"
#include "scan/scan_internal.h"
#include "util/err.h"
#include "util/mem.h"

int hf_snapshot_same_chain(const struct hf_snapshot *a, const struct hf_snapshot *b)
{
	if (strcmp(a->host ? a->host : "", b->host ? b->host : "") != 0 || a->npaths != b->npaths)
		return 0;
	for (size_t i = 0; i < a->npaths; i++)
		if (strcmp(a->paths[i], b->paths[i]) != 0)
			return 0;
	return 1;
}

/* b was taken before a (the list's order: time, then id) */
static int earlier(const struct hf_snapshot *b, const struct hf_snapshot *a)
{
	return b->time_ns < a->time_ns || (b->time_ns == a->time_ns && memcmp(b->id, a->id, HF_ID_LEN) < 0);
}

int hf_scan_find_against(struct hf_repo *r, const struct hf_snapshot *s, struct hf_snapshot *out)
{
	struct hf_snapshot *all = NULL;
	size_t n = 0, pick = SCAN_NONE;
	int ret;

	memset(out, 0, sizeof(*out));
	ret = hf_snapshot_list(r, &all, &n, NULL);
	if (ret < 0)
		return ret;
	for (size_t i = 0; s->has_parent && i < n && pick == SCAN_NONE; i++)
		if (memcmp(all[i].id, s->parent, HF_ID_LEN) == 0)
			pick = i;
	for (size_t i = n; pick == SCAN_NONE && i-- > 0;)
		if (earlier(&all[i], s) && hf_snapshot_same_chain(&all[i], s))
			pick = i;
	if (pick != SCAN_NONE) {
		*out = all[pick];
		memset(&all[pick], 0, sizeof(all[pick]));
	}
	hf_snapshot_list_free(all, n);
	return pick == SCAN_NONE ? -HF_E_NOTFOUND : 0;
}

/* ---- per-chain scans, computed once -------------------------------------- */

struct hf_history {
	struct hf_repo *r;
	const struct hf_snapshot *snaps;
	size_t n;
	struct hf_scan_result *scans;
	uint8_t *done;
	const char ***from; /* per scan: the `from` paths of its renamed files, sorted */
	size_t *nfrom;
	struct hf_changes *changes; /* a backup's, for the scan it describes */
	/* scan 0 (against nothing: every file new) as a compact list, since
	 * it lists the whole snapshot; scans[0] holds its verdict and summary,
	 * and its files (then instead of the list) once hf_history_scan is
	 * asked for them */
	struct scan_list first;
	int first_listed;
};

struct hf_history *hf_history_new(struct hf_repo *r, const struct hf_snapshot *snaps, size_t n)
{
	struct hf_history *h = hf_xcalloc(1, sizeof(*h));
	size_t m = n ? n : 1;

	h->r = r;
	h->snaps = snaps;
	h->n = n;
	h->scans = hf_xcalloc(m, sizeof(*h->scans));
	h->done = hf_xcalloc(m, 1);
	h->from = hf_xcalloc(m, sizeof(*h->from));
	h->nfrom = hf_xcalloc(m, sizeof(*h->nfrom));
	return h;
}

void hf_history_free(struct hf_history *h)
{
	if (!h)
		return;
	for (size_t k = 0; k < h->n; k++) {
		hf_scan_result_release(&h->scans[k]);
		free(h->from[k]);
	}
	hf_scan_list_release(&h->first);
	free(h->scans);
	free(h->done);
	free(h->from);
	free(h->nfrom);
	hf_changes_free(h->changes);
	free(h);
}

void hf_history_give_changes(struct hf_history *h, struct hf_changes *ch)
{
	hf_changes_free(h->changes);
	h->changes = ch;
}

static int by_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* scan k computed (once); scan 0 as h->first */
static int compute(struct hf_history *h, size_t k)
{
	struct hf_scan_result *res = &h->scans[k];
	size_t m = 0;
	int ret;

	if (h->done[k])
		return 0;
	if (k == 0) {
		ret = hf_scan_first(h->r, &h->snaps[0], &h->first, res);
	} else {
		struct hf_changes *ch = NULL;
		if (h->changes && hf_scan_changes_describe(h->changes, &h->snaps[k], &h->snaps[k - 1])) {
			ch = h->changes;
			h->changes = NULL;
		}
		ret = hf_scan_changes(h->r, &h->snaps[k], &h->snaps[k - 1], ch, res);
	}
	if (ret < 0)
		return ret;
	for (size_t i = 0; i < res->nfiles; i++)
		m += res->files[i].from != NULL;
	h->from[k] = hf_xcalloc(m ? m : 1, sizeof(char *));
	m = 0;
	for (size_t i = 0; i < res->nfiles; i++)
		if (res->files[i].from)
			h->from[k][m++] = res->files[i].from;
	qsort(h->from[k], m, sizeof(char *), by_str);
	h->nfrom[k] = m;
	h->done[k] = 1;
	return 0;
}

int hf_history_scan(struct hf_history *h, size_t k, const struct hf_scan_result **out)
{
	int ret;

	*out = NULL;
	if (k >= h->n)
		return -HF_E_USAGE;
	ret = compute(h, k);
	if (ret < 0)
		return ret;
	if (k == 0 && !h->first_listed) {
		hf_scan_list_expand(&h->first, &h->scans[0]);
		hf_scan_list_release(&h->first); /* look-ups use the result from now on */
		h->first_listed = 1;
	}
	*out = &h->scans[k];
	return 0;
}

const struct hf_scan_file *hf_history_find(const struct hf_scan_result *res, const char *path)
{
	size_t lo = 0, hi = res->nfiles;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(res->files[mid].path, path);
		if (c == 0)
			return &res->files[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* path was renamed away in scan k (its deletion is listed as a `from`) */
static int moved_away(const struct hf_history *h, size_t k, const char *path)
{
	size_t lo = 0, hi = h->nfrom[k];

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(h->from[k][mid], path);
		if (c == 0)
			return 1;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

int hf_history_verdict(struct hf_history *h, size_t k, const char *path, struct hf_version_verdict *out)
{
	memset(out, 0, sizeof(*out));
	if (k >= h->n)
		return -HF_E_USAGE;
	for (size_t j = k + 1; j-- > 0;) {
		const struct hf_scan_result *res = &h->scans[j];
		const struct hf_scan_file *f;
		int ret = compute(h, j);
		if (ret < 0)
			return ret;
		if (j == 0 && !h->first_listed) {
			uint64_t size = 0;
			size_t i = hf_scan_list_find(&h->first, path, &size);
			if (i == SCAN_NONE)
				return -HF_E_NOTFOUND;
			memset(&out->entry, 0, sizeof(out->entry));
			hf_scan_list_unpack(h->first.recs[i], &out->entry);
			out->entry.size = size;
			out->first = 0;
			out->file = &out->entry;
			out->snap_verdict = res->verdict;
			return 0;
		}
		f = hf_history_find(res, path);
		if (f) {
			if (f->change == HF_CHANGE_DELETED)
				return -HF_E_NOTFOUND;
			out->first = j;
			out->file = f;
			out->snap_verdict = res->verdict;
			return 0;
		}
		if (moved_away(h, j, path))
			return -HF_E_NOTFOUND;
	}
	return -HF_E_NOTFOUND; /* scan 0 lists every file as new */
}

/* ---- one path across every chain ------------------------------------------- */

/* the path's entry in a chain's latest snapshot looked at, with the tree ids
 * along the path: a level whose tree id did not change has the same answer */
struct lookup {
	char **comps;
	size_t ncomps;
	uint8_t (*ids)[HF_ID_LEN];
	size_t levels; /* ids[0..levels) are known */
	int present;   /* a regular file */
	uint64_t size;
	struct hf_part *parts;
	size_t nparts;
};

struct chain {
	struct hf_snapshot *snaps; /* shallow copies, oldest first */
	size_t n, next;
	struct hf_history *h;
	struct lookup lk;
	struct hf_history_row row; /* of the current version */
};

static void lookup_set(struct lookup *lk, const struct hf_node *nd)
{
	free(lk->parts);
	lk->parts = NULL;
	lk->nparts = 0;
	lk->present = nd && nd->meta.type == HF_FT_FILE;
	if (!lk->present)
		return;
	lk->size = nd->meta.size;
	lk->nparts = nd->nparts;
	lk->parts = hf_xmemdup(nd->parts, nd->nparts * sizeof(*nd->parts));
}

static int same_parts(const struct lookup *lk, const struct hf_part *parts, size_t n, uint64_t size)
{
	return lk->size == size && hf_parts_equal(lk->parts, lk->nparts, parts, n);
}

/* updates lk for snapshot root; *changed: the file's content differs from
 * the previous answer (or it appeared) */
static int lookup(struct hf_blob_reader *br, struct lookup *lk, const uint8_t root[HF_ID_LEN], int *changed)
{
	const uint8_t *id = root;
	uint8_t next[HF_ID_LEN];
	int was = lk->present, ret = 0;

	*changed = 0;
	for (size_t l = 0; l < lk->ncomps; l++) {
		struct hf_tree t;
		const struct hf_node *nd;
		if (l < lk->levels && memcmp(lk->ids[l], id, HF_ID_LEN) == 0)
			return 0; /* same tree from here down: same answer */
		memcpy(lk->ids[l], id, HF_ID_LEN);
		lk->levels = l + 1;
		ret = hf_tree_load(br, id, &t);
		if (ret < 0) {
			lk->levels = 0;
			return ret;
		}
		nd = hf_tree_find(&t, lk->comps[l]);
		if (l + 1 == lk->ncomps) {
			*changed = nd && nd->meta.type == HF_FT_FILE &&
				   (!was || !same_parts(lk, nd->parts, nd->nparts, nd->meta.size));
			lookup_set(lk, nd);
		} else if (nd && nd->meta.type == HF_FT_DIR) {
			memcpy(next, nd->subtree, HF_ID_LEN);
			id = next;
		} else {
			lookup_set(lk, NULL);
			l = lk->ncomps; /* not there */
		}
		hf_tree_release(&t);
	}
	return 0;
}

static int covers(const struct hf_snapshot *s, const char *path)
{
	for (size_t i = 0; i < s->npaths; i++) {
		size_t l = strlen(s->paths[i]);
		if (strcmp(s->paths[i], "/") == 0 ||
		    (strncmp(s->paths[i], path, l) == 0 && (path[l] == '/' || path[l] == '\0')))
			return 1;
	}
	return 0;
}

/* "/a/b/c" -> {"a", "b", "c"} */
static char **split_path(const char *path, size_t *n)
{
	char **v = NULL, *copy = hf_xstrdup(path), *save = NULL, *tok;
	size_t cap = 0;

	*n = 0;
	for (tok = strtok_r(copy, "/", &save); tok; tok = strtok_r(NULL, "/", &save)) {
		if (*n == cap) {
			cap = cap ? 2 * cap : 8;
			v = hf_xreallocarray(v, cap, sizeof(*v));
		}
		v[(*n)++] = hf_xstrdup(tok);
	}
	free(copy);
	return v;
}

/* the row of a version that appeared in chain snapshot k */
static int version_row(struct chain *c, size_t k, const char *path)
{
	struct hf_version_verdict vv;
	struct hf_history_row *row = &c->row;
	int ret = hf_history_verdict(c->h, k, path, &vv);

	memset(row, 0, sizeof(*row));
	row->first = &c->snaps[k];
	row->size = c->lk.size;
	row->change = k ? HF_CHANGE_MODIFIED : HF_CHANGE_NEW;
	if (ret == -HF_E_NOTFOUND)
		return 0; /* the scan and the tree disagree: no verdict to give */
	if (ret < 0)
		return ret;
	row->first = &c->snaps[vv.first];
	row->type = vv.file->type;
	row->change = vv.file->change;
	row->verdict = vv.file->verdict;
	row->reasons = vv.file->reasons;
	row->snap_verdict = vv.snap_verdict;
	row->from = vv.file->from;
	return 0;
}

static void chains_free(struct chain *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		hf_history_free(c[i].h);
		free(c[i].snaps);
		free(c[i].lk.ids);
		free(c[i].lk.parts);
	}
	free(c);
}

int hf_history(struct hf_repo *r, const char *path, hf_history_fn fn, void *arg)
{
	struct hf_snapshot *all = NULL;
	struct chain *chains = NULL;
	size_t n = 0, nchains = 0, ncomps = 0, *of = NULL;
	char **comps = NULL;
	struct hf_blob_reader br;
	int ret, br_ready = 0;

	ret = hf_snapshot_list(r, &all, &n, NULL);
	if (ret < 0)
		return ret;
	if (!hf_repo_index(r) && (ret = hf_repo_load_index(r, NULL, NULL, NULL)) < 0)
		goto out;
	hf_blob_reader_init(&br, r);
	br_ready = 1;
	comps = split_path(path, &ncomps);
	if (ncomps == 0) {
		ret = -HF_E_NOTFOUND;
		goto out;
	}
	/* chains that cover the path, each snapshot in its own */
	of = hf_xcalloc(n ? n : 1, sizeof(*of));
	chains = hf_xcalloc(n ? n : 1, sizeof(*chains));
	for (size_t i = 0; i < n; i++) {
		size_t c = 0;
		of[i] = SCAN_NONE;
		if (!covers(&all[i], path))
			continue;
		while (c < nchains && !hf_snapshot_same_chain(&chains[c].snaps[0], &all[i]))
			c++;
		if (c == nchains) {
			chains[c].snaps = hf_xcalloc(n, sizeof(*chains[c].snaps));
			chains[c].lk.comps = comps;
			chains[c].lk.ncomps = ncomps;
			chains[c].lk.ids = hf_xcalloc(ncomps, HF_ID_LEN);
			nchains++;
		}
		chains[c].snaps[chains[c].n++] = all[i]; /* shallow: `all` owns the strings */
		of[i] = c;
	}
	for (size_t c = 0; c < nchains; c++)
		chains[c].h = hf_history_new(r, chains[c].snaps, chains[c].n);
	/* every snapshot in time order; each chain keeps its own state */
	for (size_t i = 0; ret == 0 && i < n; i++) {
		struct chain *c;
		size_t k;
		int changed;
		if (of[i] == SCAN_NONE)
			continue;
		c = &chains[of[i]];
		k = c->next++;
		ret = lookup(&br, &c->lk, all[i].tree, &changed);
		if (ret < 0 || !c->lk.present)
			continue;
		if (changed)
			ret = version_row(c, k, path);
		if (ret < 0)
			break;
		c->row.snapshot = &c->snaps[k];
		c->row.unchanged = !changed;
		ret = fn(arg, &c->row);
	}
out:
	if (br_ready)
		hf_blob_reader_release(&br);
	for (size_t i = 0; i < ncomps; i++)
		free(comps[i]);
	free(comps);
	free(of);
	chains_free(chains, nchains);
	hf_snapshot_list_free(all, n);
	return ret;
}
