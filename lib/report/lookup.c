/* lookup.c — reading paths of a snapshot for the report: the tree of the
 * last directory asked for is kept, so files taken in path order cost one
 * tree load per directory (report_internal.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "report/report_internal.h"
#include "util/err.h"

void report_lookup_release(struct report_lookup *lk)
{
	if (lk->dir)
		hf_tree_release(&lk->tree);
	free(lk->dir);
	lk->dir = NULL;
	hf_blob_reader_release(&lk->br);
}

/* loads into lk the tree of the directory path[0..dl) of s ("/" or "" the
 * root), unless it holds it already; -HF_E_NOTFOUND if there is none */
int report_lookup_dir(struct report_lookup *lk, const struct hf_snapshot *s, const char *path, size_t dl)
{
	const char *p = path + 1, *end = path + dl;
	uint8_t id[HF_ID_LEN];
	int r, loaded;

	if (lk->dir && memcmp(lk->root, s->tree, HF_ID_LEN) == 0 && strlen(lk->dir) == dl &&
	    memcmp(lk->dir, path, dl) == 0)
		return 0;
	if (lk->dir) {
		hf_tree_release(&lk->tree);
		free(lk->dir);
		lk->dir = NULL;
	}
	memcpy(id, s->tree, HF_ID_LEN);
	r = hf_tree_load(&lk->br, id, &lk->tree);
	loaded = r == 0;
	while (r == 0 && p < end) {
		const char *e = memchr(p, '/', (size_t)(end - p));
		char *comp = strndup(p, e ? (size_t)(e - p) : (size_t)(end - p));
		const struct hf_node *nd;

		if (!comp) {
			r = -ENOMEM;
			break;
		}
		nd = hf_tree_find(&lk->tree, comp);
		free(comp);
		if (!nd || nd->meta.type != HF_FT_DIR) {
			r = -HF_E_NOTFOUND;
			break;
		}
		memcpy(id, nd->subtree, HF_ID_LEN);
		hf_tree_release(&lk->tree);
		r = hf_tree_load(&lk->br, id, &lk->tree);
		loaded = r == 0;
		p = e ? e + 1 : end;
	}
	if (r == 0 && !(lk->dir = strndup(path, dl)))
		r = -ENOMEM;
	if (r < 0) {
		if (loaded)
			hf_tree_release(&lk->tree);
		return r;
	}
	memcpy(lk->root, s->tree, HF_ID_LEN);
	return 0;
}

/* the regular file at path in s: *out points into lk's tree (valid until the
 * next call); -HF_E_NOTFOUND if there is none */
int report_lookup_file(struct report_lookup *lk, const struct hf_snapshot *s, const char *path,
		       const struct hf_node **out)
{
	const char *slash = strrchr(path, '/');
	const struct hf_node *nd;
	int r;

	if (!slash || path[0] != '/' || !slash[1])
		return -HF_E_NOTFOUND;
	r = report_lookup_dir(lk, s, path, (size_t)(slash - path));
	if (r < 0)
		return r;
	nd = hf_tree_find(&lk->tree, slash + 1);
	if (!nd || nd->meta.type != HF_FT_FILE)
		return -HF_E_NOTFOUND;
	*out = nd;
	return 0;
}

/* the first max bytes of a file's content into out (holes as zeros) */
int report_read_content(struct report_lookup *lk, const struct hf_node *nd, size_t max, struct hf_buf *out,
			int *truncated)
{
	struct hf_buf part;
	int r = 0;

	hf_buf_init(&part, HF_BLOB_MAX);
	*truncated = 0;
	out->len = 0;
	for (size_t i = 0; i < nd->nparts && r == 0; i++) {
		const struct hf_part *p = &nd->parts[i];
		size_t want;
		if (out->len >= max) {
			*truncated = 1;
			break;
		}
		want = max - out->len;
		if (p->kind == HF_PART_HOLE) {
			size_t z = p->len < want ? (size_t)p->len : want;
			r = hf_buf_reserve(out, z);
			if (r == 0) {
				memset(out->data + out->len, 0, z);
				out->len += z;
			}
			continue;
		}
		r = hf_blob_read(&lk->br, p->id, &part);
		if (r == 0)
			r = hf_buf_append(out, part.data, part.len < want ? part.len : want);
		if (r == 0 && part.len > want)
			*truncated = 1;
	}
	hf_buf_release(&part);
	return r;
}
