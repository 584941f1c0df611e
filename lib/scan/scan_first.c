/* scan_first.c — the scan of a snapshot against no earlier one (the first
 * of a history), one directory at a time.
 *
 * Every regular file is new, and with nothing deleted the rules that pair
 * files (renames, successors of a deleted original, extension waves) have
 * nothing to pair: a file's verdict depends on its content and on whether
 * its plaintext sibling (doc.txt beside doc.txt.gpg) is in its directory
 * and not encrypted. So each directory's files are judged while its tree is
 * loaded, and only the compact list of results (scan_list.c) is kept, not
 * one struct scan_item with both versions and the parts per file, which cost
 * some 400 bytes a file for a million-file first snapshot.
 *
 * Directories are visited in path order (a subdirectory sorts as its name
 * plus '/': "b.txt" before "b/"), so the list is built sorted. Ransom notes
 * need the whole snapshot: small new text files of one content in three or
 * more directories. Each candidate keeps 16 bytes of its content key, its
 * index and its directory (24 bytes); each directory one bit, whether a
 * non-clean file is among the first SCAN_NOTE_DIR_LOOK files under it (what
 * scan_notes.c's dir_has_alert sees). After the walk the candidates are
 * grouped by key, and a group in three or more directories is read once
 * (its first file found again by path). The verdicts are those of the
 * general scan (scan_judge.c, scan_notes.c), which the tests compare. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "scan/scan_internal.h"
#include "util/err.h"
#include "util/mem.h"
#include "util/path.h"

#define KEY_BYTES 16 /* of the SHA-256 content key: equal contents, equal keys */

struct cand {
	uint8_t key[KEY_BYTES];
	uint32_t index, dir;
};

struct first {
	struct scan *sc;
	struct scan_list *list;
	struct cand *cands;
	size_t ncands, ccap;
	uint8_t *alert; /* per directory, in visiting order */
	size_t ndirs, acap;
};

/* what judging found of one file of the directory being visited */
struct judged {
	uint32_t reasons;
	uint8_t verdict, type, cand;
	uint8_t key[KEY_BYTES];
};

static int is_file(const struct hf_node *nd)
{
	return nd->meta.type == HF_FT_FILE;
}

static void version_of(struct scan_version *v, const struct hf_node *nd)
{
	memset(v, 0, sizeof(*v));
	v->size = nd->meta.size;
	v->parts = nd->parts; /* borrowed: the tree is loaded while it is judged */
	v->nparts = nd->nparts;
	v->has_profile = nd->has_profile;
	v->profile = nd->profile;
}

/* the regular file of t named as nd minus its last extension (doc.txt for
 * doc.txt.gpg), as scan_walk.c's note_sibling finds it; NULL if none */
static const struct hf_node *sibling_of(const struct hf_tree *t, const struct hf_node *nd)
{
	const char *dot = strrchr(nd->name, '.');
	const struct hf_node *s;
	char *base;

	if (!dot || dot == nd->name)
		return NULL;
	base = hf_xmemdup(nd->name, (size_t)(dot - nd->name));
	s = hf_tree_find(t, base);
	free(base);
	return s && is_file(s) ? s : NULL;
}

/* judge_new (scan_judge.c) with no deleted file to pair with: on content,
 * and a candidate whose sibling is there and not encrypted is clean */
static int judge_file(struct first *f, const struct hf_tree *t, size_t i, struct judged *js)
{
	struct scan_version v;
	const struct hf_node *nd = &t->nodes[i], *sib;
	struct judged *j = &js[i];
	uint8_t key[HF_ID_LEN];
	uint32_t rs;
	int r;

	version_of(&v, nd);
	r = hf_scan_judge_content(f->sc, &v, &rs);
	if (r < 0)
		return r;
	if (rs & SCAN_ENCRYPTING) {
		/* the sibling's name sorts before: judged already */
		sib = sibling_of(t, nd);
		if (sib && js[sib - t->nodes].verdict != HF_FILE_ENCRYPTED) {
			j->verdict = HF_FILE_CLEAN;
			j->reasons = rs | HF_REASON_ORIGINAL_KEPT;
		} else {
			j->verdict = HF_FILE_SUSPICIOUS;
			j->reasons = rs;
		}
	}
	j->type = v.has_profile ? v.profile.type : HF_CT_UNKNOWN;
	j->cand = (uint8_t)hf_scan_note_candidate(&v, j->verdict);
	if (j->cand) {
		hf_scan_content_key(&v, key);
		memcpy(j->key, key, KEY_BYTES);
	}
	return 0;
}

/* children in path order: a directory sorts as its name plus '/' (names
 * hold no '/' and differ, so one of them decides at their first difference) */
static int by_path_name(const void *pa, const void *pb)
{
	const struct hf_node *a = *(const struct hf_node *const *)pa, *b = *(const struct hf_node *const *)pb;
	const unsigned char *x = (const unsigned char *)a->name, *y = (const unsigned char *)b->name;
	unsigned cx, cy;

	while (*x && *x == *y)
		x++, y++;
	cx = *x ? *x : a->meta.type == HF_FT_DIR ? '/' : 0;
	cy = *y ? *y : b->meta.type == HF_FT_DIR ? '/' : 0;
	return (cx > cy) - (cx < cy);
}

static int add_cand(struct first *f, const uint8_t key[KEY_BYTES], size_t index, size_t dir)
{
	if (index > UINT32_MAX || dir > UINT32_MAX)
		return -HF_E_LIMIT;
	if (f->ncands == f->ccap) {
		f->ccap = f->ccap ? 2 * f->ccap : 256;
		f->cands = hf_xreallocarray(f->cands, f->ccap, sizeof(*f->cands));
	}
	memcpy(f->cands[f->ncands].key, key, KEY_BYTES);
	f->cands[f->ncands].index = (uint32_t)index;
	f->cands[f->ncands].dir = (uint32_t)dir;
	f->ncands++;
	return 0;
}

static int visit(struct first *f, const uint8_t id[HF_ID_LEN], const char *path, int depth);

static int visit_tree(struct first *f, const struct hf_tree *t, const char *path, int depth)
{
	struct judged *js = hf_xcalloc(t->n ? t->n : 1, sizeof(*js));
	const struct hf_node **ord = hf_xcalloc(t->n ? t->n : 1, sizeof(*ord));
	size_t m = 0, dir, start = f->list->n;
	int r = 0;

	if (f->ndirs == f->acap) {
		f->acap = f->acap ? 2 * f->acap : 64;
		f->alert = hf_xrealloc(f->alert, f->acap);
	}
	dir = f->ndirs++;
	f->alert[dir] = 0;
	/* the files first, in name order: a sibling is judged before the files named after it */
	for (size_t i = 0; r == 0 && i < t->n; i++)
		if (is_file(&t->nodes[i]))
			r = judge_file(f, t, i, js);
	for (size_t i = 0; i < t->n; i++)
		if (is_file(&t->nodes[i]) || t->nodes[i].meta.type == HF_FT_DIR)
			ord[m++] = &t->nodes[i];
	if (m > 1)
		qsort(ord, m, sizeof(*ord), by_path_name);
	for (size_t k = 0; r == 0 && k < m; k++) {
		const struct hf_node *nd = ord[k];
		const struct judged *j = &js[nd - t->nodes];
		char *p = hf_path_join(path, nd->name);
		size_t index = f->list->n;
		if (nd->meta.type == HF_FT_DIR) {
			r = visit(f, nd->subtree, p, depth + 1);
		} else {
			r = hf_scan_list_add(f->list, p, nd->meta.size);
			if (r == 0) {
				f->list->recs[index] = hf_scan_list_pack(j->verdict, 0, j->reasons, j->type);
				if (j->verdict != HF_FILE_CLEAN && index - start < SCAN_NOTE_DIR_LOOK)
					f->alert[dir] = 1;
				if (j->cand)
					r = add_cand(f, j->key, index, dir);
			}
		}
		free(p);
	}
	free(ord);
	free(js);
	return r;
}

static int visit(struct first *f, const uint8_t id[HF_ID_LEN], const char *path, int depth)
{
	struct hf_tree t;
	int r;

	if (depth > 4096)
		return -HF_E_CORRUPT; /* a cycle of trees, or nothing a file system holds */
	r = hf_tree_load(&f->sc->br, id, &t);
	if (r < 0)
		return r;
	r = visit_tree(f, &t, path, depth);
	hf_tree_release(&t);
	return r;
}

static int cand_less(const struct cand *x, const struct cand *y)
{
	int c = memcmp(x->key, y->key, KEY_BYTES);

	return c ? c < 0 : x->index < y->index;
}

static void sift_down(struct cand *v, size_t at, size_t n)
{
	struct cand t;

	for (size_t c; (c = 2 * at + 1) < n; at = c) {
		if (c + 1 < n && cand_less(&v[c], &v[c + 1]))
			c++;
		if (!cand_less(&v[at], &v[c]))
			break;
		t = v[at];
		v[at] = v[c];
		v[c] = t;
	}
}

/* by key, then index; in place (glibc's qsort may take a copy of the
 * array, as much again as the candidates) */
static void sort_cands(struct cand *v, size_t n)
{
	struct cand t;

	for (size_t i = n / 2; i-- > 0;)
		sift_down(v, i, n);
	for (size_t end = n; end > 1; end--) {
		t = v[0];
		v[0] = v[end - 1];
		v[end - 1] = t;
		sift_down(v, 0, end - 1);
	}
}

/* the regular file at path in s's tree, its parts copied into v */
static int find_version(struct scan *sc, const struct hf_snapshot *s, const char *path, struct scan_version *v)
{
	char *copy = hf_xstrdup(path), *save = NULL, *name, *next;
	uint8_t id[HF_ID_LEN];
	int r = -HF_E_NOTFOUND;

	memcpy(id, s->tree, HF_ID_LEN);
	for (name = strtok_r(copy, "/", &save); name; name = next) {
		struct hf_tree t;
		const struct hf_node *nd;
		next = strtok_r(NULL, "/", &save);
		if ((r = hf_tree_load(&sc->br, id, &t)) < 0)
			break;
		nd = hf_tree_find(&t, name);
		r = -HF_E_NOTFOUND;
		if (nd && !next && is_file(nd)) {
			version_of(v, nd);
			v->parts = hf_xmemdup(nd->parts, nd->nparts * sizeof(*nd->parts));
			r = 0;
		} else if (nd && next && nd->meta.type == HF_FT_DIR) {
			memcpy(id, nd->subtree, HF_ID_LEN);
			r = 0;
		}
		hf_tree_release(&t);
		if (r < 0 || !next)
			break;
	}
	free(copy);
	return r;
}

struct noted {
	uint32_t index, dir;
};

static int by_index(const void *a, const void *b)
{
	const struct noted *x = a, *y = b;

	return (x->index > y->index) - (x->index < y->index);
}

/* scan_notes.c's hf_scan_find_notes over the candidates; *note_dirs: the
 * directories with notes, counted as it counts them */
static int find_notes(struct first *f, const struct hf_snapshot *s, size_t *note_dirs)
{
	struct noted *noted = NULL;
	size_t nnoted = 0, ncap = 0;
	int r = 0;

	*note_dirs = 0;
	sort_cands(f->cands, f->ncands);
	for (size_t a = 0, b; r == 0 && a < f->ncands; a = b) {
		size_t dirs = 1;
		int alert = f->alert[f->cands[a].dir];
		struct scan_version v;
		for (b = a + 1; b < f->ncands && memcmp(f->cands[b].key, f->cands[a].key, KEY_BYTES) == 0; b++) {
			/* members in path order: changes of directory, as scan_notes.c counts */
			dirs += f->cands[b].dir != f->cands[b - 1].dir;
			alert |= f->alert[f->cands[b].dir];
		}
		/* a first snapshot's lone text files: notes come in many directories */
		if (dirs < SCAN_NOTE_SPREAD)
			continue;
		r = find_version(f->sc, s, hf_scan_list_path(f->list, f->cands[a].index), &v);
		if (r < 0)
			break;
		r = hf_scan_read(f->sc, &v, SCAN_NOTE_MAX);
		free(v.parts);
		if (r < 0 || !hf_scan_note_verdict(f->sc->content.data, f->sc->content.len, dirs, alert))
			continue;
		for (size_t k = a; k < b; k++) {
			uint32_t *rec = &f->list->recs[f->cands[k].index];
			struct hf_scan_file x;
			hf_scan_list_unpack(*rec, &x);
			*rec = hf_scan_list_pack(x.verdict < HF_FILE_SUSPICIOUS ? HF_FILE_SUSPICIOUS : x.verdict, 1,
						 x.reasons | HF_REASON_RANSOM_NOTE, x.type);
			if (nnoted == ncap) {
				ncap = ncap ? 2 * ncap : 64;
				noted = hf_xreallocarray(noted, ncap, sizeof(*noted));
			}
			noted[nnoted].index = f->cands[k].index;
			noted[nnoted++].dir = f->cands[k].dir;
		}
	}
	/* directories with notes, in path order */
	if (r == 0 && nnoted > 1)
		qsort(noted, nnoted, sizeof(*noted), by_index);
	for (size_t k = 0; r == 0 && k < nnoted; k++)
		*note_dirs += k == 0 || noted[k].dir != noted[k - 1].dir;
	free(noted);
	return r;
}

static void summarize(const struct scan_list *l, struct hf_scan_summary *sum)
{
	for (size_t i = 0; i < l->n; i++) {
		struct hf_scan_file x;
		hf_scan_list_unpack(l->recs[i], &x);
		sum->added++;
		sum->encrypted += x.verdict == HF_FILE_ENCRYPTED;
		sum->suspicious += x.verdict == HF_FILE_SUSPICIOUS;
		sum->notes += x.note;
	}
}

int hf_scan_first(struct hf_repo *r, const struct hf_snapshot *s, struct scan_list *list, struct hf_scan_result *head)
{
	struct scan sc;
	struct first f;
	size_t note_dirs = 0;
	int ret;

	memset(head, 0, sizeof(*head));
	memset(list, 0, sizeof(*list));
	if (!hf_repo_index(r) && (ret = hf_repo_load_index(r, NULL, NULL, NULL)) < 0)
		return ret;
	memset(&sc, 0, sizeof(sc));
	memset(&f, 0, sizeof(f));
	sc.r = r;
	hf_blob_reader_init(&sc.br, r);
	hf_scan_tools_init(&sc);
	f.sc = &sc;
	f.list = list;
	ret = visit(&f, s->tree, "", 0);
	if (ret == 0)
		ret = find_notes(&f, s, &note_dirs);
	free(f.cands);
	free(f.alert);
	if (ret == 0) {
		memcpy(head->snapshot, s->id, HF_ID_LEN);
		summarize(list, &head->sum);
		head->sum.files = s->files;
		head->verdict = hf_scan_snapshot_verdict(&head->sum, 0, note_dirs);
	} else {
		hf_scan_list_release(list);
	}
	hf_detect_free(sc.det);
	hf_scan_tools_release(&sc);
	hf_blob_reader_release(&sc.br);
	return ret;
}
