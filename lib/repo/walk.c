/* walk.c — walking a snapshot's trees (ls) and comparing two snapshots
 * (diff). Both go depth-first in name order, so output is sorted by path
 * with each directory before its contents. */
#include <stdlib.h>
#include <string.h>

#include "repo/repo_internal.h"
#include "repo/walk.h"
#include "util/path.h"
#include "util/err.h"
#include "util/mem.h"

static int walk_tree(struct hf_blob_reader *br, const uint8_t id[HF_ID_LEN], const char *path, const char *prefix,
		     hf_walk_fn fn, void *arg)
{
	struct hf_tree t;
	int r = hf_tree_load(br, id, &t);

	if (r < 0)
		return r;
	for (size_t i = 0; i < t.n && r == 0; i++) {
		char *p = hf_path_join(path, t.nodes[i].name);
		int rel = hf_path_relation(p, prefix);
		if (rel == 1)
			r = fn(arg, p, &t.nodes[i]);
		if (r == 0 && rel && t.nodes[i].meta.type == HF_FT_DIR)
			r = walk_tree(br, t.nodes[i].subtree, p, prefix, fn, arg);
		free(p);
	}
	hf_tree_release(&t);
	return r;
}

int hf_walk(struct hf_repo *r, const struct hf_snapshot *s, const char *prefix, hf_walk_fn fn, void *arg)
{
	struct hf_blob_reader br;
	int ret;

	if (!r->index && (ret = hf_repo_load_index(r, NULL, NULL, NULL)) < 0)
		return ret;
	hf_blob_reader_init(&br, r);
	ret = walk_tree(&br, s->tree, "", prefix, fn, arg);
	hf_blob_reader_release(&br);
	return ret;
}

/* ---- diff ---------------------------------------------------------------------- */

static int same_xattrs(const struct hf_meta *a, const struct hf_meta *b)
{
	if (a->nxattrs != b->nxattrs)
		return 0;
	for (size_t i = 0; i < a->nxattrs; i++)
		if (strcmp(a->xattrs[i].name, b->xattrs[i].name) != 0 || a->xattrs[i].len != b->xattrs[i].len ||
		    memcmp(a->xattrs[i].value, b->xattrs[i].value, a->xattrs[i].len) != 0)
			return 0;
	return 1;
}

static int same_str(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* equal content and metadata (a directory's contents are compared apart) */
static int same_node(const struct hf_node *a, const struct hf_node *b)
{
	const struct hf_meta *x = &a->meta, *y = &b->meta;

	if (x->type != y->type || x->mode != y->mode || x->uid != y->uid || x->gid != y->gid ||
	    !same_str(x->user, y->user) || !same_str(x->group, y->group) || x->mtime_ns != y->mtime_ns ||
	    x->rdev != y->rdev || !same_xattrs(x, y))
		return 0;
	if (x->type == HF_FT_SYMLINK && (x->link_len != y->link_len || memcmp(x->link, y->link, x->link_len) != 0))
		return 0;
	return x->type != HF_FT_FILE ||
	       (x->size == y->size && hf_parts_equal(a->parts, a->nparts, b->parts, b->nparts));
}

struct differ {
	struct hf_blob_reader br;
	hf_diff_fn fn;
	void *arg;
};

/* reports every entry of a subtree as added or removed */
static int diff_all(struct differ *d, const uint8_t id[HF_ID_LEN], const char *path, int kind)
{
	struct hf_tree t;
	int r = hf_tree_load(&d->br, id, &t);

	for (size_t i = 0; r == 0 && i < t.n; i++) {
		char *p = hf_path_join(path, t.nodes[i].name);
		r = d->fn(d->arg, kind, p);
		if (r == 0 && t.nodes[i].meta.type == HF_FT_DIR)
			r = diff_all(d, t.nodes[i].subtree, p, kind);
		free(p);
	}
	hf_tree_release(&t);
	return r;
}

static int diff_trees(struct differ *d, const uint8_t a_id[HF_ID_LEN], const uint8_t b_id[HF_ID_LEN], const char *path)
{
	struct hf_tree a, b;
	size_t i = 0, j = 0;
	int r;

	if (memcmp(a_id, b_id, HF_ID_LEN) == 0)
		return 0;
	r = hf_tree_load(&d->br, a_id, &a);
	if (r < 0)
		return r;
	r = hf_tree_load(&d->br, b_id, &b);
	if (r < 0) {
		hf_tree_release(&a);
		return r;
	}
	while (r == 0 && (i < a.n || j < b.n)) {
		int c = i >= a.n ? 1 : j >= b.n ? -1 : strcmp(a.nodes[i].name, b.nodes[j].name);
		const struct hf_node *x = c <= 0 ? &a.nodes[i] : NULL, *y = c >= 0 ? &b.nodes[j] : NULL;
		char *p = hf_path_join(path, (x ? x : y)->name);
		if (!y) {
			r = d->fn(d->arg, HF_DIFF_REMOVED, p);
			if (r == 0 && x->meta.type == HF_FT_DIR)
				r = diff_all(d, x->subtree, p, HF_DIFF_REMOVED);
		} else if (!x) {
			r = d->fn(d->arg, HF_DIFF_ADDED, p);
			if (r == 0 && y->meta.type == HF_FT_DIR)
				r = diff_all(d, y->subtree, p, HF_DIFF_ADDED);
		} else if (x->meta.type != y->meta.type) {
			/* a different kind of entry under the same name: changed, and
			 * whatever a directory held is gone or new */
			r = d->fn(d->arg, HF_DIFF_CHANGED, p);
			if (r == 0 && x->meta.type == HF_FT_DIR)
				r = diff_all(d, x->subtree, p, HF_DIFF_REMOVED);
			if (r == 0 && y->meta.type == HF_FT_DIR)
				r = diff_all(d, y->subtree, p, HF_DIFF_ADDED);
		} else {
			if (!same_node(x, y))
				r = d->fn(d->arg, HF_DIFF_CHANGED, p);
			if (r == 0 && x->meta.type == HF_FT_DIR)
				r = diff_trees(d, x->subtree, y->subtree, p);
		}
		free(p);
		if (c <= 0)
			i++;
		if (c >= 0)
			j++;
	}
	hf_tree_release(&a);
	hf_tree_release(&b);
	return r;
}

int hf_diff(struct hf_repo *r, const struct hf_snapshot *a, const struct hf_snapshot *b, hf_diff_fn fn, void *arg)
{
	struct differ d = {.fn = fn, .arg = arg};
	int ret;

	if (!r->index && (ret = hf_repo_load_index(r, NULL, NULL, NULL)) < 0)
		return ret;
	hf_blob_reader_init(&d.br, r);
	ret = diff_trees(&d, a->tree, b->tree, "");
	hf_blob_reader_release(&d.br);
	return ret;
}
