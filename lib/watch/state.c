/* state.c — what the watcher remembers of the files under the watched
 * paths: each file's profile when last seen (and all the bytes of small
 * ones, within a budget), keyed by a hash of its path, up to a cap; and the
 * extensions seen there. The walk at start (and after lost events) fills it. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crypto/crypto.h"
#include "util/mem.h"
#include "util/path.h"
#include "watch/watch_int.h"

static void path_key(const char *path, uint8_t key[HF_ID_LEN])
{
	hf_sha256(path, strlen(path), key);
}

int watch_state_init(struct hf_watch *w)
{
	w->files = hf_idmap_new(sizeof(struct watch_file));
	w->exts = hf_idmap_new(0);
	return w->files && w->exts ? 0 : -ENOMEM;
}

static void free_heads(struct hf_idmap *m)
{
	size_t pos = 0;
	const uint8_t *id;
	void *v;

	while (m && hf_idmap_next(m, &pos, &id, &v)) {
		struct watch_file *f = v;
		free(f->head);
		f->head = NULL;
	}
}

void watch_state_release(struct hf_watch *w)
{
	free_heads(w->files);
	hf_idmap_free(w->files);
	hf_idmap_free(w->exts);
	w->files = w->exts = NULL;
}

struct watch_file *watch_file_get(struct hf_watch *w, const char *path)
{
	uint8_t key[HF_ID_LEN];
	struct watch_file *f;

	path_key(path, key);
	f = hf_idmap_get(w->files, key);
	return f && !f->gone ? f : NULL;
}

void watch_file_drop(struct hf_watch *w, struct watch_file *f)
{
	if (f->gone)
		return;
	if (f->head)
		w->head_bytes -= f->nhead;
	free(f->head);
	f->head = NULL;
	f->nhead = 0;
	f->gone = 1;
	w->nfiles--;
}

/* the map without its gone entries (an id map cannot remove one) */
static int compact(struct hf_watch *w)
{
	struct hf_idmap *m = hf_idmap_new(sizeof(struct watch_file));
	size_t pos = 0;
	const uint8_t *id;
	void *v;

	if (!m)
		return -ENOMEM;
	while (hf_idmap_next(w->files, &pos, &id, &v)) {
		struct watch_file *f = v;
		if (!f->gone && hf_idmap_put(m, id, f, NULL) < 0) {
			hf_idmap_free(m);
			return -ENOMEM;
		}
	}
	hf_idmap_free(w->files); /* the heads moved to m */
	w->files = m;
	return 0;
}

int watch_file_put(struct hf_watch *w, const char *path, const struct hf_profile *p, uint64_t size, int64_t mtime,
		   const uint8_t *head, size_t n, int ciphertext, const struct hf_watch_who *writer, int64_t judged_ns)
{
	uint8_t key[HF_ID_LEN];
	struct watch_file *f;
	int r;

	path_key(path, key);
	f = hf_idmap_get(w->files, key);
	if (!f) {
		if (hf_idmap_count(w->files) >= w->max_files) {
			if (w->nfiles < w->max_files / 2 && (r = compact(w)) < 0)
				return r;
			if (hf_idmap_count(w->files) >= w->max_files) {
				w->st.dropped_files++; /* judged as new when written */
				return 0;
			}
		}
		if ((r = hf_idmap_put(w->files, key, NULL, (void **)&f)) < 0)
			return r;
		f->gone = 1;
	}
	if (f->gone) {
		f->gone = 0;
		w->nfiles++;
	}
	if (f->head)
		w->head_bytes -= f->nhead;
	free(f->head);
	f->head = NULL;
	f->nhead = 0;
	f->profile = *p;
	f->size = size;
	f->mtime = mtime;
	f->ciphertext = ciphertext != 0;
	f->judged_ns = judged_ns;
	if (writer)
		f->writer = *writer;
	else
		memset(&f->writer, 0, sizeof(f->writer));
	if (size <= WATCH_HEAD_MAX && n == size && w->head_bytes + n <= WATCH_HEAD_BUDGET && n > 0) {
		f->head = hf_xmemdup(head, n);
		f->nhead = (uint32_t)n;
		w->head_bytes += n;
	}
	return 0;
}

static void ext_key(const char *ext, uint8_t key[HF_ID_LEN])
{
	char low[64];
	size_t n = 0;

	low[n++] = '.';
	for (; *ext && n < sizeof(low); ext++)
		low[n++] = (char)(*ext >= 'A' && *ext <= 'Z' ? *ext - 'A' + 'a' : *ext);
	hf_sha256(low, n, key);
}

int watch_ext_known(struct hf_watch *w, const char *ext)
{
	uint8_t key[HF_ID_LEN];

	ext_key(ext, key);
	return hf_idmap_get(w->exts, key) != NULL || hf_idmap_count(w->exts) >= WATCH_EXT_MAX;
}

void watch_ext_add(struct hf_watch *w, const char *ext)
{
	uint8_t key[HF_ID_LEN];

	if (hf_idmap_count(w->exts) >= WATCH_EXT_MAX)
		return;
	ext_key(ext, key);
	if (hf_idmap_put(w->exts, key, NULL, NULL) < 0)
		return; /* full: every extension then counts as known */
}

enum { WALK_LEARN, WALK_RESCAN };

static int walk_dir(struct hf_watch *w, const char *dir, dev_t dev, int depth, int how)
{
	DIR *d;
	struct dirent *e;
	int r = 0;

	if (depth > WATCH_DEPTH_MAX)
		return 0;
	d = opendir(dir);
	if (!d)
		return 0; /* gone or unreadable: nothing to learn */
	watch_gate_mark_dir(w, dir);
	while (r == 0 && (e = readdir(d))) {
		struct stat st;
		char *p;
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		p = hf_path_join(strcmp(dir, "/") == 0 ? "" : dir, e->d_name);
		if (lstat(p, &st) == 0 && st.st_dev == dev) {
			if (S_ISDIR(st.st_mode))
				r = walk_dir(w, p, dev, depth + 1, how);
			else if (S_ISREG(st.st_mode))
				r = watch_on_found(w, p, &st, how == WALK_RESCAN);
		}
		free(p);
	}
	closedir(d);
	return r;
}

int watch_walk_dir(struct hf_watch *w, const char *dir)
{
	struct stat st;

	if (lstat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
		return 0;
	return walk_dir(w, dir, st.st_dev, 0, WALK_LEARN);
}

int watch_walk(struct hf_watch *w, int rescan)
{
	int r = 0;

	for (size_t i = 0; r == 0 && i < w->nroots; i++) {
		struct stat st;
		if (lstat(w->roots[i].path, &st) < 0)
			continue; /* unmounted or removed: its events stop too */
		if (S_ISREG(st.st_mode))
			r = watch_on_found(w, w->roots[i].path, &st, rescan);
		else if (S_ISDIR(st.st_mode))
			r = walk_dir(w, w->roots[i].path, st.st_dev, 0, rescan ? WALK_RESCAN : WALK_LEARN);
	}
	return r;
}
