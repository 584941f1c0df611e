/* personal.c — the personal data at risk (report_internal.h): the last
 * clean version of each encrypted file, as restore --last-clean would have
 * taken it before the attack reached the file, read once each, and with
 * --all every other file of the directories hit; the time their reading
 * takes is the repository's read speed for the recovery's estimate. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "report/extract.h"
#include "report/report_internal.h"
#include "scan/lastclean.h"
#include "util/clock.h"
#include "util/err.h"

static int text_like(const struct hf_buf *b)
{
	/* plain text, csv, eml: no NUL byte */
	return b->len > 0 && memchr(b->data, 0, b->len) == NULL;
}

/* Counts the personal data in one version (text this version of holdfast
 * reads; else it is counted as not read). Its reading is timed: the
 * repository's read speed, for the recovery's estimate. */
int report_tally_version(struct hf_report *rep, struct report_lookup *lk, const struct hf_node *nd)
{
	struct hf_buf b, t;
	int64_t t0 = hf_mono_ns();
	int r, trunc;

	hf_buf_init(&b, HF_REPORT_PII_READ_MAX + HF_REPORT_NOTE_MAX);
	r = report_read_content(lk, nd, HF_REPORT_PII_READ_MAX, &b, &trunc);
	rep->read_ns += hf_mono_ns() - t0;
	rep->read_bytes += b.len;
	if (r == 0 && text_like(&b) && !hf_extract_wanted(b.data, b.len)) {
		r = hf_pii_tally_text(&rep->pii, (const char *)b.data, b.len, NULL);
	} else if (r == 0) {
		hf_buf_init(&t, HF_REPORT_PII_READ_MAX);
		r = trunc ? 0 : hf_extract_text(b.data, b.len, &t);
		if (r == 1)
			r = hf_pii_tally_text(&rep->pii, (const char *)t.data, t.len, NULL);
		else if (r == 0 || r == -HF_E_LIMIT)
			rep->pii_files_skipped++, r = 0;
		hf_buf_release(&t);
	}
	hf_buf_release(&b);
	return r;
}

/* The last clean version of each encrypted file: the one restore
 * --last-clean would have taken just before the backup that holds the
 * encrypted version (a plan over the chain up to the backup before it), so a
 * replaced version that was itself flagged is passed over for an older one.
 * A file with none was never clean (lost). */
int report_find_clean_versions(struct hf_repo *r, struct hf_report *rep, struct report_lookup *lk,
			       const struct hf_snapshot *chain, struct hf_history *h)
{
	int ret = 0;

	for (size_t k = 0; k < rep->nsnaps && ret == 0; k++) {
		struct hf_lastclean_opts lo = {.snaps = chain, .n = k, .history = h};
		struct hf_lastclean_plan *p = NULL;
		size_t i;

		for (i = 0; i < rep->nfiles && rep->files[i].snap != k; i++)
			;
		if (i == rep->nfiles)
			continue;
		if (k > 0 && (ret = hf_lastclean_plan_new(r, &lo, NULL, 0, &p)) < 0)
			break;
		for (; i < rep->nfiles && ret == 0; i++) {
			struct hf_report_file *f = &rep->files[i];
			const struct hf_node *nd = NULL;
			if (f->snap != k)
				continue;
			if (!p || !hf_lastclean_plan_source(p, f->orig, &f->clean_snap)) {
				rep->never_clean++;
				continue;
			}
			ret = report_lookup_file(lk, &chain[f->clean_snap], f->orig, &nd);
			if (ret == 0) {
				f->has_clean = 1;
				f->clean_size = nd->meta.size;
			}
		}
		hf_lastclean_plan_free(p);
	}
	return ret;
}

static int cmp_clean(const void *a, const void *b)
{
	const struct hf_report_file *x = *(const struct hf_report_file *const *)a;
	const struct hf_report_file *y = *(const struct hf_report_file *const *)b;
	int c = strcmp(x->orig, y->orig);

	return c ? c : (x->clean_snap > y->clean_snap) - (x->clean_snap < y->clean_snap);
}

/* Each clean version once (a file encrypted twice, in place and then renamed,
 * has one): its size goes to the recovery, its text to the personal-data
 * counts. */
int report_tally_clean_versions(struct hf_report *rep, struct report_lookup *lk, const struct hf_snapshot *chain)
{
	const struct hf_report_file **v = calloc(rep->nfiles + 1, sizeof(*v));
	size_t n = 0;
	int ret = 0;

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < rep->nfiles; i++)
		if (rep->files[i].has_clean)
			v[n++] = &rep->files[i];
	if (n)
		qsort(v, n, sizeof(*v), cmp_clean);
	for (size_t i = 0; i < n && ret == 0; i++) {
		const struct hf_node *nd = NULL;
		if (i > 0 && cmp_clean(&v[i - 1], &v[i]) == 0)
			continue;
		ret = report_lookup_file(lk, &chain[v[i]->clean_snap], v[i]->orig, &nd);
		if (ret == 0) {
			rep->recovery.bytes += nd->meta.size;
			ret = report_tally_version(rep, lk, nd);
		}
	}
	free(v);
	return ret;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* --all: every other regular file of each directory hit, as the backup
 * before the first encrypted file of that directory holds it */
int report_tally_directories(struct hf_report *rep, struct report_lookup *lk, const struct hf_snapshot *chain)
{
	const char **origs = calloc(rep->nfiles + 1, sizeof(*origs));
	int ret = 0;

	if (!origs)
		return -ENOMEM;
	for (size_t i = 0; i < rep->nfiles; i++)
		origs[i] = rep->files[i].orig; /* counted already, from their clean versions */
	if (rep->nfiles)
		qsort(origs, rep->nfiles, sizeof(*origs), cmp_str);
	for (size_t d = 0; d < rep->ndirs && ret == 0; d++) {
		const struct hf_report_dir *dir = &rep->dirs[d];
		size_t k = rep->nsnaps;
		for (size_t i = dir->first_file; i < dir->first_file + dir->files; i++)
			if (rep->files[i].snap < k)
				k = rep->files[i].snap;
		if (k == 0 || k == rep->nsnaps)
			continue; /* no backup before it */
		ret = report_lookup_dir(lk, &chain[k - 1], dir->path, strlen(dir->path));
		if (ret == -HF_E_NOTFOUND) {
			ret = 0;
			continue;
		}
		for (size_t i = 0; i < lk->tree.n && ret == 0; i++) {
			const struct hf_node *nd = &lk->tree.nodes[i];
			const char *dp = strcmp(dir->path, "/") ? dir->path : "";
			char *path;
			int counted;
			if (nd->meta.type != HF_FT_FILE)
				continue;
			size_t len = strlen(dp) + strlen(nd->name) + 2;
			path = malloc(len);
			if (!path) {
				ret = -ENOMEM;
				break;
			}
			snprintf(path, len, "%s/%s", dp, nd->name);
			counted = rep->nfiles && bsearch(&path, origs, rep->nfiles, sizeof(*origs), cmp_str);
			free(path);
			if (!counted)
				ret = report_tally_version(rep, lk, nd);
		}
	}
	free(origs);
	rep->pii_all = 1;
	return ret;
}
