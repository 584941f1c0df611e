/* scan_fixture.h — what the scan unit tests (test_scan.c,
 * test_scan_changes.c) share: files written under a data directory, a
 * repository made with cheap KDF parameters, and the check that a scan
 * from a backup's collected changes equals a scan that walks both trees.
 * Static helpers, like t.h: include it once, in the test's one file. */
#ifndef HF_TESTS_SCAN_FIXTURE_H
#define HF_TESTS_SCAN_FIXTURE_H

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/engine.h"
#include "scan/history.h"
#include "scan/scan_internal.h" /* struct hf_changes: was the collection used? */
#include "store/store.h"
#include "t.h"

static char g_base[256], g_data[300]; /* the mkdtemp directory; the tree backed up */
static struct hf_repo *g_repo;

static void data_path(char *out, size_t cap, const char *rel)
{
	snprintf(out, cap, "%s/%s", g_data, rel);
}

/* writes rel under g_data, creating the directories on the way */
static int put_file(const char *rel, const void *p, size_t n)
{
	char path[4096], *slash;
	FILE *f;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", g_data, rel) >= sizeof(path))
		return -ENAMETOOLONG;
	for (slash = strchr(path + strlen(g_data) + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		mkdir(path, 0755);
		*slash = '/';
	}
	f = fopen(path, "wb");
	if (!f)
		return -errno;
	if (n && fwrite(p, 1, n, f) != n) {
		fclose(f);
		return -EIO;
	}
	return fclose(f) == 0 ? 0 : -EIO;
}

static __attribute__((unused)) int remove_file(const char *rel)
{
	char path[512];

	data_path(path, sizeof(path), rel);
	return unlink(path) == 0 ? 0 : -errno;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static __attribute__((unused)) int remove_tree(const char *rel)
{
	char path[512];

	data_path(path, sizeof(path), rel);
	return nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* a new repository in dir, opened into g_repo */
static int create_repo(const char *dir, const char *pass)
{
	static const struct hf_repo_params params = {.kdf_ops = 1, .kdf_mem = 8u << 20};
	struct hf_store *st = NULL;
	uint8_t id[HF_ID_LEN];
	int r;

	r = hf_store_local_open(dir, 1, &st);
	if (r < 0)
		return r;
	r = hf_repo_create(st, pass, strlen(pass), &params, id);
	hf_store_close(st);
	if (r < 0)
		return r;
	r = hf_store_local_open(dir, 0, &st);
	if (r < 0)
		return r;
	return hf_repo_open(st, pass, strlen(pass), &g_repo);
}

static int same_string(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

/* two scans of the same snapshots agree in every field */
static void check_same_result(const struct hf_scan_result *a, const struct hf_scan_result *b)
{
	T_MEMEQ(a->snapshot, b->snapshot, HF_ID_LEN);
	T_EQ(a->has_against, b->has_against);
	T_MEMEQ(a->against, b->against, HF_ID_LEN);
	T_EQ(a->verdict, b->verdict);
	T_MEMEQ(&a->sum, &b->sum, sizeof(a->sum));
	T_EQ(a->nfiles, b->nfiles);
	for (size_t i = 0; i < a->nfiles && i < b->nfiles; i++) {
		const struct hf_scan_file *x = &a->files[i], *y = &b->files[i];
		if (!same_string(x->path, y->path) || !same_string(x->from, y->from) || x->change != y->change ||
		    x->verdict != y->verdict || x->note != y->note || x->reasons != y->reasons || x->size != y->size ||
		    x->type != y->type) {
			fprintf(stderr, "  scans differ at %zu: %s / %s\n", i, x->path, y->path);
			T_CHECK(0);
			return;
		}
	}
}

/* hf_scan_changes from ch (which it frees) and hf_scan's walk agree: the same
 * return value, and if 0 the same result. Returns that value; the result of
 * the scan from ch goes to *out if out is not NULL (else it is released). */
static __attribute__((unused)) int scan_both(struct hf_changes *ch, const struct hf_snapshot *s,
					     const struct hf_snapshot *against, struct hf_scan_result *out)
{
	struct hf_scan_result from_changes, walked;
	int a = hf_scan_changes(g_repo, s, against, ch, &from_changes);
	int b = hf_scan(g_repo, s, against, &walked);

	T_EQ(a, b);
	if (a == 0 && b == 0)
		check_same_result(&from_changes, &walked);
	hf_scan_result_release(&walked);
	if (out && a == 0)
		*out = from_changes;
	else
		hf_scan_result_release(&from_changes);
	return a;
}

/* complete and for these two snapshots: the scan takes it, not a walk */
static __attribute__((unused)) int collection_used(const struct hf_changes *ch, const struct hf_snapshot *s,
						   const struct hf_snapshot *against)
{
	return ch && ch->done && !ch->broken && hf_scan_changes_describe(ch, s, against);
}

#endif
