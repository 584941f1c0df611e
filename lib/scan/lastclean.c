/* lastclean.c — the plan of a restore of the newest clean version of every
 * file (its passes through the restore pipeline: engine/restore_lastclean.c).
 *
 * The plan starts from the newest snapshot of a history (one chain, see
 * history.h). Each regular file there comes from that snapshot if its version
 * is acceptable (not `encrypted`; with strict, also not `suspicious`), else
 * from the snapshot just before that version first appeared — and so on back
 * through the chain. Files that a snapshot the scan did not call clean
 * deleted (or replaced by an encrypted copy under another name) come back
 * the same way. Ransom notes and files that never had an acceptable version
 * are skipped and reported. The restore runs once per source snapshot,
 * oldest first and the newest last (so directories end with its metadata),
 * each pass selecting only the entries planned from it. */
#include <stdlib.h>
#include <string.h>

#include "repo/walk.h"
#include "scan/lastclean.h"
#include "util/err.h"
#include "util/mem.h"
#include "util/path.h"

struct planned {
	char *path;
	size_t src; /* index in the chain */
};

struct hf_lastclean_plan {
	struct hf_history *h;
	int own_history; /* h is the plan's to free */
	size_t n;        /* snapshots in the chain */
	uint8_t *used;   /* per snapshot: a source */
	size_t newest;
	int strict;
	hf_skip_fn skipped;
	void *skipped_arg;
	hf_skip_fn kept_suspicious;
	void *kept_arg;
	char *const *includes; /* the restore's: only skips under them are reported */
	size_t nincludes;
	struct planned *files; /* sorted by path once built */
	size_t nfiles, cap;
	struct planned *dirs; /* (path, src): directories on the way to files from src */
	size_t ndirs, dcap;
	uint64_t nskipped;
	/* only which snapshots are sources is wanted (forget): files from the
	 * newest are not listed, only counted (most files, most of the memory) */
	int sources_only;
	uint64_t from_newest;
};

static void add(struct planned **v, size_t *n, size_t *cap, const char *path, size_t src)
{
	if (*n == *cap) {
		*cap = *cap ? 2 * *cap : 256;
		*v = hf_xreallocarray(*v, *cap, sizeof(**v));
	}
	(*v)[*n].path = hf_xstrdup(path);
	(*v)[*n].src = src;
	(*n)++;
}

static int by_path_src(const void *a, const void *b)
{
	const struct planned *x = a, *y = b;
	int c = strcmp(x->path, y->path);

	return c ? c : (x->src > y->src) - (x->src < y->src);
}

static const struct planned *find(const struct planned *v, size_t n, const char *path, size_t src, int any_src)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(v[mid].path, path);
		if (c == 0 && !any_src)
			c = (v[mid].src > src) - (v[mid].src < src);
		if (c == 0)
			return &v[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static int acceptable(const struct hf_lastclean_plan *p, int verdict)
{
	return verdict == HF_FILE_CLEAN || (!p->strict && verdict == HF_FILE_SUSPICIOUS);
}

static int covered(const struct hf_lastclean_plan *p, const char *path)
{
	int yes = p->nincludes == 0;

	for (size_t i = 0; i < p->nincludes && !yes; i++)
		yes = hf_path_relation(path, p->includes[i]) == 1;
	return yes;
}

static void skip(struct hf_lastclean_plan *p, const char *path, const char *why)
{
	p->nskipped++;
	if (p->skipped && covered(p, path))
		p->skipped(p->skipped_arg, path, why);
}

/* a version flagged suspicious is restored (without strict): said, with why */
static void keep_suspicious(struct hf_lastclean_plan *p, const char *path, const struct hf_scan_file *f)
{
	if (!p->kept_suspicious || !covered(p, path))
		return;
	p->kept_suspicious(p->kept_arg, path,
			   (f->reasons & HF_REASON_CONTAINER)
				   ? "flagged suspicious: an encryption container, not part of an attack (the "
				     "owner's own encryption?)"
				   : "flagged suspicious (--strict leaves such versions out)");
}

/* Plans the file at path as it is in chain snapshot k: the newest acceptable
 * version at or before k. Returns 0 (planned or skipped) or an error. */
static int plan_file(struct hf_lastclean_plan *p, size_t k, const char *path)
{
	struct hf_version_verdict vv;
	const char *why = NULL;

	for (;;) {
		int r = hf_history_verdict(p->h, k, path, &vv);
		if (r == -HF_E_NOTFOUND)
			break; /* no earlier version */
		if (r < 0)
			return r;
		if (vv.file->note) {
			skip(p, path, "ransom note");
			return 0;
		}
		if (acceptable(p, vv.file->verdict)) {
			if (vv.file->verdict == HF_FILE_SUSPICIOUS)
				keep_suspicious(p, path, vv.file);
			if (p->sources_only && k == p->newest)
				p->from_newest++;
			else
				add(&p->files, &p->nfiles, &p->cap, path, k);
			return 0;
		}
		if (!why)
			why = vv.file->verdict == HF_FILE_ENCRYPTED ? "never clean: encrypted since it appeared"
								    : "never clean: suspicious since it appeared";
		if (vv.first == 0)
			break;
		k = vv.first - 1;
	}
	skip(p, path, why ? why : "never clean");
	return 0;
}

static int plan_newest(void *arg, const char *path, const struct hf_node *nd)
{
	struct hf_lastclean_plan *p = arg;

	return nd->meta.type == HF_FT_FILE ? plan_file(p, p->newest, path) : 0;
}

/* 1 if a scan before snapshot j of a snapshot it did not call clean flagged
 * a version at path (only such scans flag: one encrypted file is enough) */
static int flagged_before(struct hf_lastclean_plan *p, size_t j, const char *path)
{
	for (size_t i = 1; i < j; i++) {
		const struct hf_scan_result *res;
		const struct hf_scan_file *f;
		if (hf_history_scan(p->h, i, &res) < 0 || res->verdict == HF_SNAP_CLEAN)
			continue;
		f = hf_history_find(res, path);
		if (f && f->change != HF_CHANGE_DELETED && (f->note || !acceptable(p, f->verdict)))
			return 1;
	}
	return 0;
}

/* 1 if the version of path that snapshot j deleted was flagged, 0 if not,
 * or an error */
static int deleted_flagged(struct hf_lastclean_plan *p, size_t j, const char *path)
{
	struct hf_version_verdict vv;
	int r;

	if (!flagged_before(p, j, path))
		return 0;
	r = hf_history_verdict(p->h, j - 1, path, &vv);
	if (r == -HF_E_NOTFOUND)
		return 0;
	return r < 0 ? r : !vv.file->note && !acceptable(p, vv.file->verdict);
}

/* Files deleted by a snapshot the scan did not call clean come back. So do
 * files whose deleted version was flagged, whatever the scan called the
 * snapshot that deleted them: a second attack that encrypts again and
 * renames what a first one encrypted in place (doc.txt, flagged, becomes
 * doc.txt.locked) leaves random bytes where random bytes were, which no
 * scan calls an attack; the version before the first attack is what the
 * user wants back. */
static int plan_deleted(struct hf_lastclean_plan *p)
{
	for (size_t j = 1; j <= p->newest; j++) {
		const struct hf_scan_result *res;
		int r = hf_history_scan(p->h, j, &res);
		if (r < 0)
			return r;
		for (size_t i = 0; i < res->nfiles; i++) {
			const struct hf_scan_file *f = &res->files[i];
			const char *gone = f->change == HF_CHANGE_DELETED   ? f->path
					   : f->change == HF_CHANGE_RENAMED ? f->from
									    : NULL;
			struct hf_version_verdict vv;
			/* a file at that path in the newest snapshot is planned already */
			if (!gone || hf_history_verdict(p->h, p->newest, gone, &vv) == 0)
				continue;
			if (res->verdict == HF_SNAP_CLEAN && (r = deleted_flagged(p, j, gone)) <= 0) {
				if (r < 0)
					return r;
				continue;
			}
			r = plan_file(p, j - 1, gone);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

/* a path deleted twice was planned twice: the newer source wins */
static void drop_duplicates(struct hf_lastclean_plan *p)
{
	size_t out = 0;

	if (p->nfiles)
		qsort(p->files, p->nfiles, sizeof(*p->files), by_path_src);
	for (size_t i = 0; i < p->nfiles; i++) {
		if (i + 1 < p->nfiles && strcmp(p->files[i].path, p->files[i + 1].path) == 0) {
			free(p->files[i].path);
			continue;
		}
		p->files[out++] = p->files[i];
	}
	p->nfiles = out;
}

/* every directory above a file planned from an older snapshot */
static void plan_dirs(struct hf_lastclean_plan *p)
{
	for (size_t i = 0; i < p->nfiles; i++) {
		char *d;
		if (p->files[i].src == p->newest)
			continue;
		d = hf_xstrdup(p->files[i].path);
		for (char *s = strrchr(d, '/'); s && s != d; s = strrchr(d, '/')) {
			*s = '\0';
			add(&p->dirs, &p->ndirs, &p->dcap, d, p->files[i].src);
		}
		free(d);
	}
	if (p->ndirs)
		qsort(p->dirs, p->ndirs, sizeof(*p->dirs), by_path_src);
}

static void plan_release(struct hf_lastclean_plan *p)
{
	for (size_t i = 0; i < p->nfiles; i++)
		free(p->files[i].path);
	for (size_t i = 0; i < p->ndirs; i++)
		free(p->dirs[i].path);
	free(p->files);
	free(p->dirs);
}

static int plan_build(struct hf_repo *r, const struct hf_snapshot *snaps, size_t n, struct hf_lastclean_plan *p)
{
	int ret;

	p->newest = n - 1;
	ret = hf_walk(r, &snaps[n - 1], NULL, plan_newest, p);
	if (ret == 0)
		ret = plan_deleted(p);
	if (ret < 0)
		return ret;
	drop_duplicates(p);
	if (!p->sources_only)
		plan_dirs(p);
	return 0;
}

int hf_lastclean_plan_new(struct hf_repo *r, const struct hf_lastclean_opts *lo, char *const *includes,
			  size_t nincludes, struct hf_lastclean_plan **out)
{
	struct hf_lastclean_plan *p = hf_xcalloc(1, sizeof(*p));
	int ret;

	*out = NULL;
	if (lo->n == 0) {
		free(p);
		return -HF_E_NOTFOUND;
	}
	p->strict = lo->strict;
	p->skipped = lo->skipped;
	p->skipped_arg = lo->skipped_arg;
	p->kept_suspicious = lo->kept_suspicious;
	p->kept_arg = lo->kept_arg;
	p->includes = includes;
	p->nincludes = nincludes;
	p->n = lo->n;
	p->h = lo->history;
	if (!p->h) {
		p->h = hf_history_new(r, lo->snaps, lo->n);
		p->own_history = 1;
	}
	ret = plan_build(r, lo->snaps, lo->n, p);
	if (ret < 0) {
		hf_lastclean_plan_free(p);
		return ret;
	}
	p->used = hf_xcalloc(lo->n, 1);
	for (size_t i = 0; i < p->nfiles; i++)
		p->used[p->files[i].src] = 1;
	p->used[p->newest] = 1;
	*out = p;
	return 0;
}

void hf_lastclean_plan_free(struct hf_lastclean_plan *p)
{
	if (!p)
		return;
	if (p->own_history)
		hf_history_free(p->h);
	plan_release(p);
	free(p->used);
	free(p);
}

void hf_lastclean_plan_stats(const struct hf_lastclean_plan *p, struct hf_lastclean_stats *ls)
{
	memset(ls, 0, sizeof(*ls));
	for (size_t i = 0; i < p->nfiles; i++) {
		if (p->files[i].src == p->newest)
			ls->from_newest++;
		else
			ls->from_older++;
	}
	ls->skipped = p->nskipped;
}

int hf_lastclean_plan_uses(const struct hf_lastclean_plan *p, size_t k)
{
	return k < p->n && p->used[k];
}

int hf_lastclean_plan_select(const struct hf_lastclean_plan *p, size_t src, const char *path, const struct hf_node *nd)
{
	const struct planned *f;

	if (nd->meta.type == HF_FT_FILE) {
		f = find(p->files, p->nfiles, path, 0, 1);
		return f && f->src == src;
	}
	if (src == p->newest) /* everything but files comes from the newest */
		return 1;
	return nd->meta.type == HF_FT_DIR && find(p->dirs, p->ndirs, path, src, 0) != NULL;
}

int hf_lastclean_plan_source(const struct hf_lastclean_plan *p, const char *path, size_t *src)
{
	const struct planned *f = find(p->files, p->nfiles, path, 0, 1);

	if (f)
		*src = f->src;
	return f != NULL;
}

int hf_last_clean_sources(struct hf_repo *r, const struct hf_snapshot *snaps, size_t n, uint8_t *needed)
{
	struct hf_history *h;
	int ret = 0;

	if (n == 0)
		return 0;
	h = hf_history_new(r, snaps, n);
	for (int strict = 0; strict < 2 && ret == 0; strict++) {
		struct hf_lastclean_plan p;
		memset(&p, 0, sizeof(p));
		p.strict = strict;
		p.h = h;
		p.sources_only = 1;
		ret = plan_build(r, snaps, n, &p);
		if (ret == 0 && p.from_newest)
			needed[n - 1] = 1;
		for (size_t i = 0; ret == 0 && i < p.nfiles; i++)
			needed[p.files[i].src] = 1;
		plan_release(&p);
	}
	hf_history_free(h);
	return ret;
}

size_t hf_chain_of(const struct hf_snapshot *all, size_t n, size_t newest, struct hf_snapshot *chain)
{
	size_t m = 0;

	for (size_t i = 0; i <= newest && i < n; i++)
		if (hf_snapshot_same_chain(&all[i], &all[newest]))
			chain[m++] = all[i];
	return m;
}

struct clean_walk {
	struct hf_history *h;
	size_t k;
};

static int version_not_flagged(void *arg, const char *path, const struct hf_node *nd)
{
	struct clean_walk *cw = arg;
	struct hf_version_verdict vv;
	int r;

	if (nd->meta.type != HF_FT_FILE)
		return 0;
	r = hf_history_verdict(cw->h, cw->k, path, &vv);
	if (r < 0)
		return r;
	return vv.file->verdict == HF_FILE_ENCRYPTED || vv.file->note; /* 1 stops the walk */
}

int hf_history_unflagged(struct hf_repo *r, struct hf_history *h, const struct hf_snapshot *s, size_t k)
{
	struct clean_walk cw = {h, k};
	int ret = hf_walk(r, s, NULL, version_not_flagged, &cw);

	return ret < 0 ? ret : !ret;
}
