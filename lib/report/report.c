/* report.c — gathers the facts of the incident report from one backup
 * history: the scan of each snapshot against the one before it (through
 * scan/history.h, which computes each once), the verdict marks (when and
 * how an attack was detected), each version judged encrypted with its node
 * (times) and the version it replaced (size, personal data), each ransom
 * note's text and what it asks for, and restore --last-clean's plan. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "report/report_internal.h"
#include "repo/mark.h"
#include "scan/history.h"
#include "scan/lastclean.h"
#include "util/err.h"
#include "util/hex.h"

/* ---- the facts ---- */

int report_grow(void **arr, size_t n, size_t *cap, size_t size)
{
	void *p;
	size_t nc;

	if (n < *cap)
		return 0;
	nc = *cap ? *cap * 2 : 16;
	p = reallocarray(*arr, nc, size);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = nc;
	return 0;
}

static const char *ext_of(const char *path)
{
	const char *b = strrchr(path, '/'), *d;

	b = b ? b + 1 : path;
	d = strrchr(b, '.');
	return d && d != b ? d : "";
}

struct note_collect {
	struct hf_report_note *n;
	size_t cap;
	int err;
};

static int note_item(void *arg, int kind, const char *value)
{
	struct note_collect *c = arg;
	char *v;

	if (report_grow((void **)&c->n->items, c->n->nitems, &c->cap, sizeof(*c->n->items)) < 0 ||
	    !(v = strdup(value))) {
		c->err = -ENOMEM;
		return 1;
	}
	c->n->items[c->n->nitems].kind = kind;
	c->n->items[c->n->nitems++].value = v;
	return 0;
}

static int cmp_file(const void *a, const void *b)
{
	return strcmp(((const struct hf_report_file *)a)->path, ((const struct hf_report_file *)b)->path);
}

static int add_note(struct hf_report *rep, size_t *cap, struct report_lookup *lk, const struct hf_snapshot *s, size_t k,
		    const char *path)
{
	struct hf_report_note *n;
	const struct hf_node *nd = NULL;
	struct hf_buf b;
	struct note_collect c = {0};
	int r;

	r = report_grow((void **)&rep->notes, rep->nnotes, cap, sizeof(*rep->notes));
	if (r < 0)
		return r;
	n = &rep->notes[rep->nnotes];
	memset(n, 0, sizeof(*n));
	n->snap = k;
	n->path = strdup(path);
	if (!n->path)
		return -ENOMEM;
	rep->nnotes++;
	hf_buf_init(&b, HF_REPORT_PII_READ_MAX + HF_REPORT_NOTE_MAX);
	r = report_lookup_file(lk, s, path, &nd);
	if (r == 0)
		r = report_read_content(lk, nd, HF_REPORT_NOTE_MAX, &b, &n->truncated);
	if (r == 0) {
		n->text = malloc(b.len + 1);
		if (!n->text) {
			r = -ENOMEM;
		} else {
			memcpy(n->text, b.data, b.len);
			n->text[b.len] = 0;
			n->len = b.len;
			c.n = n;
			r = hf_note_extract(n->text, n->len, note_item, &c);
			if (c.err)
				r = c.err;
		}
	}
	hf_buf_release(&b);
	return r;
}

static int add_file(struct hf_report *rep, size_t *cap, struct report_lookup *lk, const struct hf_snapshot *chain,
		    size_t k, const struct hf_scan_file *sf)
{
	struct hf_report_file *f;
	const struct hf_node *nd = NULL;
	int r;

	r = report_grow((void **)&rep->files, rep->nfiles, cap, sizeof(*rep->files));
	if (r < 0)
		return r;
	f = &rep->files[rep->nfiles];
	memset(f, 0, sizeof(*f));
	f->path = strdup(sf->path);
	f->orig = strdup(sf->from ? sf->from : sf->path);
	if (!f->path || !f->orig) {
		free(f->path);
		free(f->orig);
		return -ENOMEM;
	}
	rep->nfiles++;
	f->size = sf->size;
	f->snap = k;
	rep->bytes_encrypted += sf->size;
	rep->snaps[k].bytes_encrypted += sf->size;
	if (report_lookup_file(lk, &chain[k], sf->path, &nd) == 0) {
		f->mtime_ns = nd->meta.mtime_ns;
		f->ctime_ns = nd->meta.ctime_ns;
	}
	return 0;
}

static int cmp_note(const void *a, const void *b)
{
	const struct hf_report_note *x = *(const struct hf_report_note *const *)a;
	const struct hf_report_note *y = *(const struct hf_report_note *const *)b;
	int c = (x->len > y->len) - (x->len < y->len);

	if (c == 0 && x->len)
		c = memcmp(x->text, y->text, x->len);
	return c ? c : (x > y) - (x < y); /* then in the report's order */
}

/* groups the notes by text (copies, next_copy) */
static int group_notes(struct hf_report *rep)
{
	struct hf_report_note **v = calloc(rep->nnotes + 1, sizeof(*v));

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < rep->nnotes; i++) {
		v[i] = &rep->notes[i];
		v[i]->copies = 0;
		v[i]->next_copy = HF_REPORT_END;
	}
	if (rep->nnotes)
		qsort(v, rep->nnotes, sizeof(*v), cmp_note);
	for (size_t i = 0, first = 0; i < rep->nnotes; i++) {
		if (i > 0 && v[i]->len == v[first]->len &&
		    (v[i]->len == 0 || memcmp(v[i]->text, v[first]->text, v[i]->len) == 0)) {
			v[i - 1]->next_copy = (size_t)(v[i] - rep->notes);
			v[first]->copies++;
		} else {
			first = i;
			v[i]->copies = 1;
		}
	}
	free(v);
	return 0;
}

static int build_dirs(struct hf_report *rep)
{
	size_t cap = 0, ecap = 0;

	if (rep->nfiles) /* NULL when empty: qsort's pointer must not be */
		qsort(rep->files, rep->nfiles, sizeof(*rep->files), cmp_file);
	for (size_t i = 0; i < rep->nfiles;) {
		const char *p = rep->files[i].path, *sl = strrchr(p, '/');
		size_t dl = sl && sl != p ? (size_t)(sl - p) : 1, j;
		struct hf_report_dir *d;
		char types[512] = "";
		size_t tl = 0;
		int r = report_grow((void **)&rep->dirs, rep->ndirs, &cap, sizeof(*rep->dirs));
		if (r < 0)
			return r;
		d = &rep->dirs[rep->ndirs];
		memset(d, 0, sizeof(*d));
		d->first_file = i;
		d->path = strndup(p, dl);
		if (!d->path)
			return -ENOMEM;
		rep->ndirs++;
		for (j = i; j < rep->nfiles; j++) {
			const char *q = rep->files[j].path, *qs = strrchr(q, '/');
			size_t ql = qs && qs != q ? (size_t)(qs - q) : 1;
			if (ql != dl || memcmp(q, p, dl) != 0)
				break;
			d->files++;
			d->bytes += rep->files[j].size;
		}
		/* the extensions of the originals, with counts, in order of first appearance */
		for (size_t a = i; a < j; a++) {
			const char *e = ext_of(rep->files[a].orig);
			size_t cnt = 0;
			int seen = 0;
			for (size_t c = i; c < a && !seen; c++)
				seen = strcmp(ext_of(rep->files[c].orig), e) == 0;
			if (seen)
				continue;
			for (size_t c = a; c < j; c++)
				cnt += strcmp(ext_of(rep->files[c].orig), e) == 0;
			if (tl < sizeof(types)) {
				int w = snprintf(types + tl, sizeof(types) - tl, "%s%s %zu", tl ? ", " : "",
						 *e ? e + 1 : "(none)", cnt);
				if (w > 0)
					tl += (size_t)w;
			}
		}
		d->types = strdup(types);
		if (!d->types)
			return -ENOMEM;
		i = j;
	}
	/* the extensions the attack gave files */
	for (size_t i = 0; i < rep->nfiles; i++) {
		const char *e = ext_of(rep->files[i].path);
		size_t x;
		int r;
		if (!*e || strcmp(e, ext_of(rep->files[i].orig)) == 0)
			continue;
		for (x = 0; x < rep->nexts && strcmp(rep->exts[x].ext, e) != 0; x++)
			;
		if (x == rep->nexts) {
			r = report_grow((void **)&rep->exts, rep->nexts, &ecap, sizeof(*rep->exts));
			if (r < 0)
				return r;
			rep->exts[x].ext = strdup(e);
			if (!rep->exts[x].ext)
				return -ENOMEM;
			rep->exts[x].files = 0;
			rep->nexts++;
		}
		rep->exts[x].files++;
	}
	return 0;
}

static int detection(struct hf_repo *r, struct hf_report *rep)
{
	struct hf_mark *m = NULL;
	size_t n = 0;
	int ret = hf_mark_list(r, &m, &n, NULL);

	if (ret < 0)
		return ret;
	for (size_t k = 0; k < rep->nsnaps; k++)
		rep->snaps[k].pinned = hf_marks_pinned(m, n, rep->snaps[k].id);
	for (size_t i = 0; i < n && !rep->detected; i++) {
		if (m[i].kind != HF_MARK_VERDICT || m[i].verdict != HF_MARK_VERDICT_ATTACK)
			continue;
		for (size_t k = 0; k < rep->nsnaps; k++)
			if (rep->snaps[k].in_range && memcmp(rep->snaps[k].id, m[i].snapshot, HF_ID_LEN) == 0) {
				char hex[HF_ID_HEX_LEN + 1], how[HF_MARK_REASON_MAX + 96];
				hf_hex_encode(m[i].snapshot, HF_ID_LEN, hex);
				snprintf(how, sizeof(how), "verdict mark on snapshot %.8s%s: %s", hex,
					 m[i].authorized ? "" : " (written with a write-only key)", m[i].reason);
				rep->detected = 1;
				rep->detected_ns = m[i].time_ns;
				rep->detected_how = strdup(how);
				if (!rep->detected_how)
					ret = -ENOMEM;
				break;
			}
	}
	hf_mark_list_free(m, n);
	if (ret == 0 && !rep->detected && rep->attack) {
		rep->detected = 1;
		rep->detected_ns = rep->made_ns;
		rep->detected_how = strdup("this report's scan (no verdict mark says attack)");
		if (!rep->detected_how)
			ret = -ENOMEM;
	}
	return ret;
}

static int recovery(struct hf_repo *r, struct hf_report *rep, const struct hf_snapshot *chain, size_t nc)
{
	struct hf_lastclean_opts lo = {.snaps = chain, .n = nc};
	struct hf_lastclean_plan *p = NULL;
	struct hf_lastclean_stats ls;
	int ret = hf_lastclean_plan_new(r, &lo, NULL, 0, &p);

	if (ret < 0)
		return ret;
	hf_lastclean_plan_stats(p, &ls);
	rep->recovery.from_newest = ls.from_newest;
	rep->recovery.from_older = ls.from_older;
	rep->recovery.skipped = ls.skipped;
	for (size_t k = 0; k < nc; k++)
		if (hf_lastclean_plan_uses(p, k)) {
			rep->snaps[k].restore_source = 1;
			rep->recovery.sources++;
		}
	hf_hex_encode(chain[nc - 1].id, HF_ID_LEN, rep->recovery.newest_id);
	hf_lastclean_plan_free(p);
	return 0;
}

/* What the restore writes, about (the newest snapshot's bytes, less the
 * encrypted versions it still holds, plus the clean versions), and the time
 * that takes at the speed this report read file contents from the
 * repository (decrypt, decompress, verify: the restore's reading; writing
 * the files adds the target disk's time). */
static int estimate(struct hf_report *rep, struct report_lookup *lk, const struct hf_snapshot *newest)
{
	uint64_t in_newest = 0;

	for (size_t i = 0; i < rep->nfiles; i++) {
		const struct hf_report_file *f = &rep->files[i];
		const struct hf_node *nd = NULL;
		int r = report_lookup_file(lk, newest, f->path, &nd);
		if (r == -HF_E_NOTFOUND)
			continue;
		if (r < 0)
			return r;
		if (nd->meta.size == f->size && nd->meta.mtime_ns == f->mtime_ns)
			in_newest += f->size;
	}
	rep->recovery.restore_bytes = newest->bytes - (in_newest < newest->bytes ? in_newest : newest->bytes);
	rep->recovery.restore_bytes += rep->recovery.bytes;
	if (rep->read_bytes >= HF_REPORT_SPEED_MIN_BYTES && rep->read_ns > 0) {
		rep->recovery.speed = (uint64_t)((double)rep->read_bytes * 1e9 / (double)rep->read_ns);
		if (rep->recovery.speed)
			rep->recovery.seconds =
				(rep->recovery.restore_bytes + rep->recovery.speed - 1) / rep->recovery.speed;
	}
	return 0;
}

int hf_report_build(struct hf_repo *r, const struct hf_report_opts *o, struct hf_report *rep)
{
	struct hf_snapshot *all = NULL, *chain = NULL;
	struct hf_history *h = NULL;
	struct report_lookup lk;
	size_t n = 0, bad = 0, idx, nc, fcap = 0, ncap = 0;
	int ret;

	memset(rep, 0, sizeof(*rep));
	hf_pii_tally_init(&rep->pii);
	memset(&lk, 0, sizeof(lk));
	hf_blob_reader_init(&lk.br, r);
	rep->made_ns = hf_snapshot_clock_now();
	rep->since_ns = o->since_ns;
	rep->repo = strdup(o->repo ? o->repo : "REPO");
	if (!rep->repo) {
		ret = -ENOMEM;
		goto out;
	}
	ret = hf_snapshot_list(r, &all, &n, &bad);
	if (ret < 0)
		goto out;
	for (idx = 0; idx < n && memcmp(all[idx].id, o->snapshot->id, HF_ID_LEN) != 0; idx++)
		;
	if (idx == n) {
		ret = -HF_E_NOTFOUND;
		goto out;
	}
	chain = calloc(n, sizeof(*chain));
	if (!chain) {
		ret = -ENOMEM;
		goto out;
	}
	nc = hf_chain_of(all, n, idx, chain);
	rep->snaps = calloc(nc, sizeof(*rep->snaps));
	rep->host = strdup(chain[nc - 1].host ? chain[nc - 1].host : "");
	rep->paths = calloc(chain[nc - 1].npaths + 1, sizeof(char *));
	if (!rep->snaps || !rep->host || !rep->paths) {
		ret = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < chain[nc - 1].npaths; i++) {
		rep->paths[i] = strdup(chain[nc - 1].paths[i]);
		if (!rep->paths[i]) {
			ret = -ENOMEM;
			goto out;
		}
		rep->npaths++;
	}
	rep->nsnaps = nc;
	h = hf_history_new(r, chain, nc);
	if (!h) {
		ret = -ENOMEM;
		goto out;
	}
	for (size_t k = 0; k < nc; k++) {
		const struct hf_scan_result *res;
		struct hf_report_snap *rs = &rep->snaps[k];

		ret = hf_history_scan(h, k, &res);
		if (ret < 0)
			goto out;
		memcpy(rs->id, chain[k].id, HF_ID_LEN);
		rs->time_ns = hf_snapshot_when(&chain[k]);
		rs->verdict = res->verdict;
		rs->sum = res->sum;
		rs->in_range = rs->time_ns >= o->since_ns;
		if (!rs->in_range)
			continue;
		rep->attack |= res->verdict == HF_SNAP_ATTACK;
		rep->suspicious |= res->verdict == HF_SNAP_SUSPICIOUS;
		for (size_t i = 0; i < res->nfiles; i++) {
			const struct hf_scan_file *sf = &res->files[i];
			if (sf->change == HF_CHANGE_DELETED)
				continue;
			if (sf->note)
				ret = add_note(rep, &ncap, &lk, &chain[k], k, sf->path);
			else if (sf->verdict == HF_FILE_ENCRYPTED)
				ret = add_file(rep, &fcap, &lk, chain, k, sf);
			if (ret < 0)
				goto out;
		}
	}
	for (size_t i = 0; i < rep->nfiles; i++) {
		const struct hf_report_file *f = &rep->files[i];
		if (i == 0 || f->snap < rep->first_snap)
			rep->first_snap = f->snap;
		if (f->mtime_ns && (!rep->first_mtime_ns || f->mtime_ns < rep->first_mtime_ns))
			rep->first_mtime_ns = f->mtime_ns;
		if (f->ctime_ns && (!rep->first_ctime_ns || f->ctime_ns < rep->first_ctime_ns))
			rep->first_ctime_ns = f->ctime_ns;
	}
	ret = build_dirs(rep);
	if (ret == 0)
		ret = group_notes(rep);
	if (ret == 0)
		ret = report_find_clean_versions(r, rep, &lk, chain, h);
	if (ret == 0)
		ret = report_tally_clean_versions(rep, &lk, chain);
	if (ret == 0 && o->all)
		ret = report_tally_directories(rep, &lk, chain);
	if (ret == 0)
		ret = detection(r, rep);
	if (ret == 0)
		ret = hf_report_alerts_gather(r, rep);
	if (ret == 0)
		ret = recovery(r, rep, chain, nc);
	if (ret == 0)
		ret = estimate(rep, &lk, &chain[nc - 1]);
out:
	report_lookup_release(&lk);
	hf_history_free(h);
	free(chain); /* shallow copies of all's */
	hf_snapshot_list_free(all, n);
	if (ret < 0)
		hf_report_release(rep);
	return ret;
}

void hf_report_release(struct hf_report *rep)
{
	free(rep->repo);
	free(rep->host);
	for (size_t i = 0; i < rep->npaths; i++)
		free(rep->paths[i]);
	free(rep->paths);
	free(rep->snaps);
	free(rep->detected_how);
	for (size_t i = 0; i < rep->nfiles; i++) {
		free(rep->files[i].path);
		free(rep->files[i].orig);
	}
	free(rep->files);
	for (size_t i = 0; i < rep->ndirs; i++) {
		free(rep->dirs[i].path);
		free(rep->dirs[i].types);
	}
	free(rep->dirs);
	for (size_t i = 0; i < rep->nexts; i++)
		free(rep->exts[i].ext);
	free(rep->exts);
	for (size_t i = 0; i < rep->nnotes; i++) {
		free(rep->notes[i].path);
		free(rep->notes[i].text);
		for (size_t j = 0; j < rep->notes[i].nitems; j++)
			free(rep->notes[i].items[j].value);
		free(rep->notes[i].items);
	}
	free(rep->notes);
	hf_pii_tally_release(&rep->pii);
	hf_report_alerts_release(rep);
	memset(rep, 0, sizeof(*rep));
}
