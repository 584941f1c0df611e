/* scan_walk.c — collecting what a scan judges: every regular file that is
 * new, modified (its parts differ) or deleted between two snapshots. Both
 * trees are walked together as diff does, and a subtree whose id is the same
 * on both sides is skipped, so the cost follows what changed, not the size
 * of the snapshot. Metadata-only changes are not collected: content is what
 * ransomware changes. Owns the items' paths and the parts taken over from
 * the tree entries.
 *
 * The same comparison of one directory's two trees serves a backup
 * (hf_scan_walk_dir, for scan_changes.c): there it reads nothing, leaves
 * subdirectories to the backup's own calls and notes deleted ones, whose
 * files hf_scan_collect reads when the scan starts. */
#include <stdlib.h>
#include <string.h>

#include "scan/scan_internal.h"
#include "util/err.h"
#include "util/mem.h"
#include "util/path.h"

struct walker {
	struct scan *sc; /* NULL: only count */
	struct hf_blob_reader *br;
	const struct hf_tree_source *trees; /* not NULL: trees from here, not br */
	uint64_t count;
	struct hf_changes *shallow; /* one directory for a backup: no subdirectory is read */
};

static int is_file(const struct hf_node *nd)
{
	return nd->meta.type == HF_FT_FILE;
}

static int same_content(const struct hf_node *a, const struct hf_node *b)
{
	return a->meta.size == b->meta.size && hf_parts_equal(a->parts, a->nparts, b->parts, b->nparts);
}

/* moves what judging needs out of a tree entry (the tree is released after) */
static void take_version(struct scan_version *v, struct hf_node *nd)
{
	v->size = nd->meta.size;
	v->parts = nd->parts;
	v->nparts = nd->nparts;
	nd->parts = NULL;
	nd->nparts = 0;
	v->has_profile = nd->has_profile;
	v->profile = nd->profile;
}

static struct scan_item *add_item(struct walker *w, const char *dir, const char *name, int change)
{
	struct scan *sc = w->sc;
	struct scan_item *it;

	w->count++;
	if (!sc)
		return NULL;
	if (sc->n == sc->cap) {
		sc->cap = sc->cap ? 2 * sc->cap : 64;
		sc->items = hf_xreallocarray(sc->items, sc->cap, sizeof(*sc->items));
	}
	it = &sc->items[sc->n++];
	memset(it, 0, sizeof(*it));
	it->path = hf_path_join(dir, name);
	it->name_off = strlen(dir) + 1;
	it->change = (uint8_t)change;
	it->pair = SCAN_NONE;
	return it;
}

/* new file: is the same name minus its last extension a regular file beside
 * it (doc.txt beside doc.txt.gpg)? The directory's tree is at hand now. */
static void note_sibling(struct scan_item *it, const struct hf_tree *t)
{
	const char *name = it->path + it->name_off, *dot = strrchr(name, '.');
	const struct hf_node *s;
	char *base;

	if (!dot || dot == name)
		return;
	base = hf_xmemdup(name, (size_t)(dot - name));
	s = hf_tree_find(t, base);
	it->sibling = s && is_file(s);
	free(base);
}

static void add_file(struct walker *w, const char *dir, struct hf_node *nd, int change, const struct hf_tree *t)
{
	struct scan_item *it = add_item(w, dir, nd->name, change);

	if (!it)
		return;
	if (change == HF_CHANGE_NEW) {
		take_version(&it->cur, nd);
		it->has_cur = 1;
		note_sibling(it, t);
	} else {
		take_version(&it->old, nd);
		it->has_old = 1;
	}
}

static int load(struct walker *w, const uint8_t id[HF_ID_LEN], struct hf_tree *t)
{
	return w->trees ? w->trees->load(w->trees->ctx, id, t) : hf_tree_load(w->br, id, t);
}

/* every regular file of a subtree, as new or as deleted */
static int collect_all(struct walker *w, const uint8_t id[HF_ID_LEN], const char *path, int change)
{
	struct hf_tree t;
	int r = load(w, id, &t);

	for (size_t i = 0; r == 0 && i < t.n; i++) {
		struct hf_node *nd = &t.nodes[i];
		if (is_file(nd)) {
			if (change == HF_CHANGE_DELETED && w->sc)
				hf_scan_exts_add(w->sc->exts, nd->name);
			add_file(w, path, nd, change, &t);
		} else if (nd->meta.type == HF_FT_DIR) {
			char *p = hf_path_join(path, nd->name);
			r = collect_all(w, nd->subtree, p, change);
			free(p);
		}
	}
	hf_tree_release(&t);
	return r;
}

/* one name present on one side or both */
static int compare_entry(struct walker *w, const char *path, struct hf_node *x, struct hf_node *y,
			 const struct hf_tree *b);

static int compare_trees(struct walker *w, struct hf_tree *a, struct hf_tree *b, const char *path)
{
	size_t i = 0, j = 0;
	int r = 0;

	if (w->sc)
		for (size_t k = 0; k < a->n; k++)
			if (is_file(&a->nodes[k]))
				hf_scan_exts_add(w->sc->exts, a->nodes[k].name);
	while (r == 0 && (i < a->n || j < b->n)) {
		int c = i >= a->n ? 1 : j >= b->n ? -1 : strcmp(a->nodes[i].name, b->nodes[j].name);
		r = compare_entry(w, path, c <= 0 ? &a->nodes[i] : NULL, c >= 0 ? &b->nodes[j] : NULL, b);
		if (c <= 0)
			i++;
		if (c >= 0)
			j++;
	}
	return r;
}

static int compare(struct walker *w, const uint8_t a_id[HF_ID_LEN], const uint8_t b_id[HF_ID_LEN], const char *path)
{
	struct hf_tree a, b;
	int r;

	if (memcmp(a_id, b_id, HF_ID_LEN) == 0)
		return 0;
	r = load(w, a_id, &a);
	if (r < 0)
		return r;
	r = load(w, b_id, &b);
	if (r == 0) {
		r = compare_trees(w, &a, &b, path);
		hf_tree_release(&b);
	}
	hf_tree_release(&a);
	return r;
}

/* a subdirectory a backup saw deleted: its files are collected at the scan */
static void note_gone(struct hf_changes *ch, const char *path, const uint8_t id[HF_ID_LEN])
{
	if (ch->ngone == ch->gone_cap) {
		ch->gone_cap = ch->gone_cap ? 2 * ch->gone_cap : 16;
		ch->gone = hf_xreallocarray(ch->gone, ch->gone_cap, sizeof(*ch->gone));
	}
	ch->gone[ch->ngone].path = hf_xstrdup(path);
	memcpy(ch->gone[ch->ngone].id, id, HF_ID_LEN);
	ch->ngone++;
}

static int compare_entry(struct walker *w, const char *path, struct hf_node *x, struct hf_node *y,
			 const struct hf_tree *b)
{
	int xdir = x && x->meta.type == HF_FT_DIR, ydir = y && y->meta.type == HF_FT_DIR;
	char *p = hf_path_join(path, (x ? x : y)->name);
	int r = 0;

	if (x && y && is_file(x) && is_file(y)) {
		if (!same_content(x, y)) {
			struct scan_item *it = add_item(w, path, x->name, HF_CHANGE_MODIFIED);
			if (it) {
				take_version(&it->old, x);
				take_version(&it->cur, y);
				it->has_old = it->has_cur = 1;
			}
		}
	} else if (xdir && ydir) {
		if (!w->shallow) /* else the backup's own call for that directory */
			r = compare(w, x->subtree, y->subtree, p);
	} else {
		/* gone, new, or a different kind of entry under the same name */
		if (x && is_file(x))
			add_file(w, path, x, HF_CHANGE_DELETED, NULL);
		else if (xdir && w->shallow)
			note_gone(w->shallow, p, x->subtree);
		else if (xdir)
			r = collect_all(w, x->subtree, p, HF_CHANGE_DELETED);
		if (r == 0 && y && is_file(y))
			add_file(w, path, y, HF_CHANGE_NEW, b);
		else if (r == 0 && ydir && !w->shallow)
			r = collect_all(w, y->subtree, p, HF_CHANGE_NEW);
	}
	free(p);
	return r;
}

static int by_path(const void *a, const void *b)
{
	return strcmp(((const struct scan_item *)a)->path, ((const struct scan_item *)b)->path);
}

static int run(struct walker *w, struct hf_repo *r, const struct hf_snapshot *old, const struct hf_snapshot *cur)
{
	int ret;

	if (!w->trees && !hf_repo_index(r) && (ret = hf_repo_load_index(r, NULL, NULL, NULL)) < 0)
		return ret;
	if (old)
		return compare(w, old->tree, cur->tree, "");
	return collect_all(w, cur->tree, "", HF_CHANGE_NEW);
}

void hf_scan_walk_dir(struct hf_changes *ch, const char *path, struct hf_tree *prev, struct hf_tree *tree)
{
	struct walker w = {.sc = &ch->sc, .shallow = ch};
	struct hf_tree none = {0};

	compare_trees(&w, prev ? prev : &none, tree, path); /* nothing is read: no error */
}

/* the items a backup collected, and the files of the subdirectories it saw deleted */
static int from_changes(struct walker *w, struct hf_changes *ch)
{
	struct scan *sc = w->sc;
	int ret = 0;

	hf_scan_exts_free(sc->exts);
	sc->exts = ch->sc.exts;
	sc->items = ch->sc.items;
	sc->n = ch->sc.n;
	sc->cap = ch->sc.cap;
	memset(&ch->sc, 0, sizeof(ch->sc));
	for (size_t i = 0; ret == 0 && i < ch->ngone; i++)
		ret = collect_all(w, ch->gone[i].id, ch->gone[i].path, HF_CHANGE_DELETED);
	return ret;
}

int hf_scan_collect(struct scan *sc, const struct hf_snapshot *old, const struct hf_snapshot *cur,
		    struct hf_changes *ch)
{
	struct walker w = {.sc = sc, .br = &sc->br, .trees = sc->local};
	int ret = ch ? from_changes(&w, ch) : run(&w, sc->r, old, cur);

	if (ret == 0 && sc->n > 1)
		qsort(sc->items, sc->n, sizeof(*sc->items), by_path);
	return ret;
}

/* every regular file's extension in the subtree id */
static int walk_exts(struct walker *w, const uint8_t id[HF_ID_LEN])
{
	struct hf_tree t;
	int r = load(w, id, &t);

	for (size_t i = 0; r == 0 && i < t.n; i++) {
		if (is_file(&t.nodes[i]))
			hf_scan_exts_add(w->sc->exts, t.nodes[i].name);
		else if (t.nodes[i].meta.type == HF_FT_DIR)
			r = walk_exts(w, t.nodes[i].subtree);
	}
	hf_tree_release(&t);
	return r;
}

int hf_scan_walk_exts(struct scan *sc)
{
	struct walker w = {.sc = sc, .br = &sc->br, .trees = sc->local};

	return walk_exts(&w, sc->against->tree);
}

int hf_scan_count_changes(struct hf_repo *r, const struct hf_snapshot *old, const struct hf_snapshot *cur,
			  uint64_t *count)
{
	struct hf_blob_reader br;
	struct walker w = {.br = &br};
	int ret;

	*count = 0;
	if (!hf_repo_index(r) && (ret = hf_repo_load_index(r, NULL, NULL, NULL)) < 0)
		return ret;
	hf_blob_reader_init(&br, r);
	ret = run(&w, r, old, cur);
	hf_blob_reader_release(&br);
	if (ret == 0)
		*count = w.count;
	return ret;
}
