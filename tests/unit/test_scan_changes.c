/* test_scan_changes.c — unit tests of the paths where the changes a backup
 * collects for the scan after it (lib/scan/scan_changes.c) are not the
 * whole story: a tree of the parent snapshot that cannot be read, and a
 * collection that grows past its cap (CHANGES_MAX, 16 MiB). Whatever the
 * backup collected, hf_scan_changes must give exactly what hf_scan's walk of
 * both snapshots gives, or fail with the same error.
 *
 * Each test has its own repository and data directory under one mkdtemp
 * directory. Damage is done as bit rot would do it: one byte flipped inside
 * the stored bytes of a tree blob, in the pack file that holds it. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crypto/crypto.h"
#include "scan_fixture.h"
#include "util/err.h"
#include "util/hex.h"

#define PASS "scan changes test passphrase"
#define MAX_SNAPS 8

static char g_repo_dir[300];
static struct hf_snapshot g_snap[MAX_SNAPS];
static int g_nsnap;
static int g_reports; /* per-file problems the last backup reported */

/* ---- files --------------------------------------------------------------------- */

/* a few lines of text that differ with seed */
static int put_text(const char *rel, unsigned seed)
{
	char buf[2048];
	size_t n = 0;

	for (unsigned i = 0; i < 24; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "line %u of the report, seed %u, budget review\n", i,
				      seed);
	return put_file(rel, buf, n);
}

/* 16 KiB of pseudo-random bytes: what encryption leaves */
static int put_random(const char *rel, uint64_t seed)
{
	uint8_t buf[16384];

	for (size_t i = 0; i < sizeof(buf); i += 8) {
		uint64_t z = (seed += 0x9e3779b97f4a7c15ULL);
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
		z ^= z >> 31;
		memcpy(buf + i, &z, 8);
	}
	return put_file(rel, buf, sizeof(buf));
}

/* ---- repository ------------------------------------------------------------------ */

/* a fresh repository and data directory named after the test */
static int setup(const char *name)
{
	g_nsnap = 0;
	snprintf(g_repo_dir, sizeof(g_repo_dir), "%s/repo-%s", g_base, name);
	snprintf(g_data, sizeof(g_data), "%s/data-%s", g_base, name);
	if (mkdir(g_data, 0755) < 0)
		return -errno;
	return create_repo(g_repo_dir, PASS);
}

static void teardown(void)
{
	for (int i = 0; i < g_nsnap; i++)
		hf_snapshot_release(&g_snap[i]);
	g_nsnap = 0;
	hf_repo_close(g_repo);
	g_repo = NULL;
}

static void count_report(void *arg, const char *path, const char *what, int err)
{
	(void)arg;
	fprintf(stderr, "  backup reported %s: %s (%d)\n", path ? path : "-", what ? what : "-", err);
	g_reports++;
}

/* Backs up g_data into g_snap[g_nsnap++], collecting changes; the caller
 * gets st->changes. 0, or the backup's error (nothing to free then). */
static int backup(struct hf_backup_stats *st)
{
	char *paths[1] = {g_data}, hex[HF_ID_HEX_LEN + 1];
	struct hf_backup_opts o = {.paths = paths,
				   .npaths = 1,
				   .host = "testhost",
				   .user = "tester",
				   .threads = 2,
				   .collect_changes = 1,
				   .report = count_report};
	int r;

	memset(st, 0, sizeof(*st));
	g_reports = 0;
	if (g_nsnap == MAX_SNAPS)
		return -HF_E_LIMIT;
	r = hf_backup(g_repo, &o, st);
	if (r < 0)
		return r;
	/* the in-memory index does not learn the backup's packs */
	r = hf_repo_load_index(g_repo, NULL, NULL, NULL);
	hf_hex_encode(st->snapshot, HF_ID_LEN, hex);
	if (r == 0)
		r = hf_snapshot_load(g_repo, hex, &g_snap[g_nsnap]);
	if (r < 0) {
		hf_changes_free(st->changes);
		st->changes = NULL;
		return r;
	}
	g_nsnap++;
	return 0;
}

/* given up: marked broken, everything collected freed, never used by a scan */
static int collection_given_up(const struct hf_changes *ch, const struct hf_snapshot *s,
			       const struct hf_snapshot *against)
{
	return ch && ch->done && ch->broken && ch->sc.n == 0 && ch->sc.items == NULL && ch->ngone == 0 &&
	       ch->gone == NULL && !hf_scan_changes_describe(ch, s, against);
}

/* the id of the tree of directory rel (under g_data) in snapshot k */
struct find_dir {
	const char *path;
	uint8_t id[HF_ID_LEN];
	int found;
};

static int keep_dir_id(void *arg, const char *path, const struct hf_node *nd)
{
	struct find_dir *fd = arg;

	if (strcmp(path, fd->path) != 0 || nd->meta.type != HF_FT_DIR)
		return 0;
	memcpy(fd->id, nd->subtree, HF_ID_LEN);
	fd->found = 1;
	return 1; /* stop: the directory's own tree is not read */
}

static int dir_tree_id(int k, const char *rel, uint8_t id[HF_ID_LEN])
{
	char path[512];
	struct find_dir fd = {path, {0}, 0};

	data_path(path, sizeof(path), rel);
	hf_walk(g_repo, &g_snap[k], path, keep_dir_id, &fd);
	if (!fd.found)
		return -HF_E_NOTFOUND;
	memcpy(id, fd.id, HF_ID_LEN);
	return 0;
}

/* Flips one byte in the middle of the stored bytes of blob id, in its pack
 * file: the blob no longer authenticates, every other blob still reads. */
static int damage_blob(const uint8_t id[HF_ID_LEN])
{
	const struct hf_blob_loc *loc = hf_index_find(hf_repo_index(g_repo), id);
	char hex[HF_ID_HEX_LEN + 1], path[600];
	off_t off;
	uint8_t c;
	int fd, r = 0;

	if (!loc)
		return -HF_E_NOTFOUND;
	hf_hex_encode(hf_index_pack_id(hf_repo_index(g_repo), loc->pack), HF_ID_LEN, hex);
	snprintf(path, sizeof(path), "%s/data/%.2s/%s", g_repo_dir, hex, hex);
	off = (off_t)loc->offset + loc->stored_len / 2;
	chmod(path, 0644); /* packs are stored read-only */
	fd = open(path, O_RDWR);
	if (fd < 0)
		return -errno;
	if (pread(fd, &c, 1, off) != 1)
		r = -EIO;
	c ^= 0xff;
	if (r == 0 && pwrite(fd, &c, 1, off) != 1)
		r = -EIO;
	close(fd);
	chmod(path, 0444);
	return r;
}

/* the tree blob reads (0) or the error reading it */
static int tree_readable(const uint8_t id[HF_ID_LEN])
{
	struct hf_blob_reader br;
	struct hf_tree t;
	int r;

	hf_blob_reader_init(&br, g_repo);
	r = hf_tree_load(&br, id, &t);
	if (r == 0)
		hf_tree_release(&t);
	hf_blob_reader_release(&br);
	return r;
}

static int count_file(void *arg, const char *path, const struct hf_node *nd)
{
	(void)path;
	if (nd->meta.type == HF_FT_FILE)
		(*(long *)arg)++;
	return 0;
}

/* regular files of snapshot k under rel; -1 if the walk fails */
static long files_under(int k, const char *rel)
{
	char path[512];
	long n = 0;

	data_path(path, sizeof(path), rel);
	return hf_walk(g_repo, &g_snap[k], path, count_file, &n) == 0 ? n : -1;
}

/* ---- a damaged parent --------------------------------------------------------------- */

/* Snapshot 1 is healthy; then the tree of its directory sub is damaged and
 * sub changes before backup 2.
 *
 * What the code does (backup_walk.c process_subdir, scan_changes.c): the
 * backup cannot load the parent's tree of sub, reports it (one report,
 * damaged_parent_trees 1, no per-file error), gives up the collection
 * (hf_scan_changes_break) and reads sub from disk as if it were new: hf_backup
 * returns 0. Snapshot 2 is complete and, sub having changed, does not
 * depend on the damaged blob. The scan from the given
 * up collection walks both snapshots, and that walk must read the parent's
 * tree of sub: both scans fail with the same error (-HF_E_AUTH: the blob no
 * longer authenticates). They must not succeed from the collection, which
 * lacks sub's earlier files and would call sub's unchanged files new.
 *
 * Then snapshot 2 against its healthy ancestor 0 scans fine, and backup 3
 * (whose parent, snapshot 2, is healthy) collects again. Last, a directory
 * whose parent tree is damaged and that is deleted before the backup: the
 * backup never reads that tree, notes it as gone, and the collection is
 * used; the scan from it must read the gone tree and fails like the walk. */
static void test_damaged_parent(void)
{
	struct hf_backup_stats st;
	struct hf_scan_result res;
	uint8_t sub_id[HF_ID_LEN], gone_id[HF_ID_LEN];
	int r = 0;

	T_EQ(setup("damaged"), 0);
	if (!g_repo)
		return;
	r |= put_text("a/one.txt", 1);
	r |= put_text("a/two.txt", 2);
	for (unsigned i = 0; i < 6; i++) {
		char rel[64];
		snprintf(rel, sizeof(rel), "sub/s%u.txt", i);
		r |= put_text(rel, 10 + i);
	}
	r |= put_text("sub/deeper/d.txt", 20);
	r |= put_text("gone/g0.txt", 30);
	r |= put_text("gone/inner/g1.txt", 31);
	T_EQ(r, 0);
	T_EQ(backup(&st), 0); /* no parent: nothing collected */
	T_CHECK(st.changes == NULL);
	hf_changes_free(st.changes);

	/* snapshot 1: a healthy collection, used */
	T_EQ(put_text("a/two.txt", 3) | put_text("sub/s6.txt", 16), 0);
	T_EQ(backup(&st), 0);
	if (g_nsnap != 2) {
		teardown();
		return;
	}
	T_CHECK(collection_used(st.changes, &g_snap[1], &g_snap[0]));
	T_EQ(scan_both(st.changes, &g_snap[1], &g_snap[0], NULL), 0);

	/* damage snapshot 1's tree of sub, then change sub */
	T_EQ(dir_tree_id(1, "sub", sub_id), 0);
	T_EQ(tree_readable(sub_id), 0);
	T_EQ(damage_blob(sub_id), 0);
	T_EQ(tree_readable(sub_id), -HF_E_AUTH);
	r = 0;
	r |= put_random("sub/s1.txt", 77); /* encrypted in place */
	r |= remove_file("sub/s2.txt");
	r |= put_text("sub/s7.txt", 17);
	r |= put_text("a/one.txt", 4);
	T_EQ(r, 0);

	T_EQ(backup(&st), 0); /* the damage is reported, but no file is lost */
	T_EQ(st.errors, 0);
	T_EQ(st.damaged_parent_trees, 1);
	T_EQ(g_reports, 1);
	if (g_nsnap != 3) {
		teardown();
		return;
	}
	T_CHECK(collection_given_up(st.changes, &g_snap[2], &g_snap[1]));
	T_EQ(scan_both(st.changes, &g_snap[2], &g_snap[1], NULL), -HF_E_AUTH);
	/* snapshot 2 read sub from disk: whole, and readable without the damaged blob */
	T_EQ(files_under(2, "sub"), 8);
	T_EQ(scan_both(NULL, &g_snap[2], &g_snap[0], &res), 0);
	if (g_nsnap == 3) {
		T_EQ(res.sum.modified, 3); /* a/one.txt, a/two.txt, sub/s1.txt */
		T_EQ(res.sum.encrypted, 1);
		hf_scan_result_release(&res);
	}

	/* snapshot 3: the parent is healthy again, the collection is used */
	T_EQ(put_text("a/three.txt", 5), 0);
	T_EQ(backup(&st), 0);
	if (g_nsnap != 4) {
		teardown();
		return;
	}
	T_CHECK(collection_used(st.changes, &g_snap[3], &g_snap[2]));
	T_EQ(scan_both(st.changes, &g_snap[3], &g_snap[2], &res), 0);
	if (g_nsnap == 4) {
		T_EQ(res.nfiles, 1);
		T_EQ(res.sum.added, 1);
		hf_scan_result_release(&res);
	}

	/* snapshot 4: a directory with a damaged parent tree, deleted */
	T_EQ(dir_tree_id(3, "gone", gone_id), 0);
	T_EQ(damage_blob(gone_id), 0);
	T_EQ(tree_readable(gone_id), -HF_E_AUTH);
	T_EQ(remove_tree("gone"), 0);
	T_EQ(backup(&st), 0);
	T_EQ(st.errors, 0);
	T_EQ(st.damaged_parent_trees, 0); /* never read: nothing to report */
	if (g_nsnap != 5) {
		teardown();
		return;
	}
	T_CHECK(collection_used(st.changes, &g_snap[4], &g_snap[3]));
	T_EQ(st.changes ? st.changes->ngone : 0, 1);
	T_EQ(scan_both(st.changes, &g_snap[4], &g_snap[3], NULL), -HF_E_AUTH);

	/* snapshot 5: an unchanged directory whose parent tree is damaged. It is
	 * reported; the tree built again from disk has the same id, which the
	 * index already lists, so the new snapshot shares the damaged blob (a
	 * known limit, docs/DESIGN.md: storing it again needs an index that
	 * can hold two copies of one blob) */
	{
		uint8_t a_id[HF_ID_LEN], a_new[HF_ID_LEN];
		T_EQ(dir_tree_id(4, "a", a_id), 0);
		T_EQ(damage_blob(a_id), 0);
		T_EQ(put_text("sub/s8.txt", 18), 0);
		T_EQ(backup(&st), 0);
		T_EQ(st.errors, 0);
		T_EQ(st.damaged_parent_trees, 1);
		T_EQ(g_reports, 1);
		hf_changes_free(st.changes);
		if (g_nsnap == 6) {
			T_EQ(dir_tree_id(5, "a", a_new), 0);
			T_CHECK(memcmp(a_id, a_new, HF_ID_LEN) == 0);
			T_EQ(tree_readable(a_new), -HF_E_AUTH);
		}
	}
	teardown();
}

/* ---- past the cap ------------------------------------------------------------------- */

/* The cap counts, per collected file, its path, its parts and a struct
 * scan_item (~136 bytes). Paths near PATH_MAX make a file cost ~4 KiB, so
 * ~4,200 changed files cross 16 MiB. The leaf directories sit 13 levels of
 * 250-byte names deep. */
#define CAP_DEPTH 13
#define CAP_NAME 250
#define CAP_DIRS 8
#define CAP_FILES 640 /* per leaf directory */

static char g_deep[3584]; /* rel path of the directory that holds the leaves (3,270 bytes) */

static void long_name(char *out, const char *tag, unsigned i)
{
	int n = snprintf(out, CAP_NAME + 1, "%s%04u-", tag, i);

	memset(out + n, 'n', (size_t)(CAP_NAME - n));
	out[CAP_NAME] = '\0';
}

static void leaf_file(char *rel, size_t cap, unsigned dir, unsigned file)
{
	char d[CAP_NAME + 1], f[CAP_NAME + 1];

	long_name(d, "leaf", dir);
	long_name(f, "file", file);
	snprintf(rel, cap, "%s/%s/%s", g_deep, d, f);
}

/* leaf directories [from, to): a line appended to every file, which makes
 * it if it is new (a file that was there grows: the backup sees it changed).
 * Files are opened from their leaf, not by their 15-component paths. */
static int put_leaves(unsigned from, unsigned to, unsigned seed)
{
	char path[4096], name[CAP_NAME + 1], text[96];
	int r = 0;

	for (unsigned d = from; d < to && r == 0; d++) {
		char *slash;
		int dfd;
		long_name(name, "leaf", d);
		if ((size_t)snprintf(path, sizeof(path), "%s/%s/%s", g_data, g_deep, name) >= sizeof(path))
			return -ENAMETOOLONG;
		for (slash = strchr(path + strlen(g_data) + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
			*slash = '\0';
			mkdir(path, 0755);
			*slash = '/';
		}
		mkdir(path, 0755);
		dfd = open(path, O_RDONLY | O_DIRECTORY);
		if (dfd < 0)
			return -errno;
		for (unsigned f = 0; f < CAP_FILES && r == 0; f++) {
			int n = snprintf(text, sizeof(text), "leaf %u file %u, version %u\n", d, f, seed), fd;
			long_name(name, "file", f);
			fd = openat(dfd, name, O_WRONLY | O_CREAT | O_APPEND, 0644);
			if (fd < 0 || write(fd, text, (size_t)n) != n)
				r = -EIO;
			if (fd >= 0 && close(fd) < 0)
				r = -EIO;
		}
		close(dfd);
	}
	return r;
}

/* Snapshot 0: a small tree. Snapshot 1: four leaf directories of new files,
 * about 10 MiB by the cap's count: collected and used. Snapshot 2: a line
 * appended to those files and four more leaf directories, about 20 MiB: given up
 * part way (later directories find it broken), and the scan walks. Snapshot
 * 3: a small change, collected again. */
static void test_cap(void)
{
	struct hf_backup_stats st;
	struct hf_scan_result res;
	size_t at = 0;

	T_EQ(setup("cap"), 0);
	if (!g_repo)
		return;
	at += (size_t)snprintf(g_deep + at, sizeof(g_deep) - at, "deep");
	for (unsigned i = 0; i < CAP_DEPTH; i++) {
		char name[CAP_NAME + 1];
		long_name(name, "level", i);
		at += (size_t)snprintf(g_deep + at, sizeof(g_deep) - at, "/%s", name);
	}
	{ /* the longest path must stay under PATH_MAX for the test's own file calls */
		char rel[4096];
		leaf_file(rel, sizeof(rel), 0, 0);
		T_CHECK(strlen(g_data) + 1 + strlen(rel) < 4000 && strlen(rel) > 3700);
	}
	T_EQ(put_text("top.txt", 1), 0);
	T_EQ(backup(&st), 0);
	hf_changes_free(st.changes);

	T_EQ(put_leaves(0, CAP_DIRS / 2, 0), 0);
	T_EQ(backup(&st), 0);
	if (g_nsnap != 2) {
		teardown();
		return;
	}
	T_CHECK(collection_used(st.changes, &g_snap[1], &g_snap[0]));
	T_CHECK(st.changes && st.changes->bytes > ((size_t)8 << 20) && st.changes->bytes < ((size_t)16 << 20));
	T_EQ(scan_both(st.changes, &g_snap[1], &g_snap[0], &res), 0);
	if (g_nsnap == 2) {
		T_EQ(res.sum.added, CAP_DIRS / 2 * CAP_FILES);
		hf_scan_result_release(&res);
	}

	T_EQ(put_leaves(0, CAP_DIRS, 1), 0);
	T_EQ(backup(&st), 0);
	if (g_nsnap != 3) {
		teardown();
		return;
	}
	T_CHECK(collection_given_up(st.changes, &g_snap[2], &g_snap[1]));
	T_EQ(scan_both(st.changes, &g_snap[2], &g_snap[1], &res), 0);
	if (g_nsnap == 3) {
		T_EQ(res.sum.modified, CAP_DIRS / 2 * CAP_FILES);
		T_EQ(res.sum.added, CAP_DIRS / 2 * CAP_FILES);
		T_EQ(res.nfiles, CAP_DIRS * CAP_FILES);
		hf_scan_result_release(&res);
	}

	T_EQ(put_text("top.txt", 2), 0);
	T_EQ(backup(&st), 0);
	if (g_nsnap != 4) {
		teardown();
		return;
	}
	T_CHECK(collection_used(st.changes, &g_snap[3], &g_snap[2]));
	T_EQ(scan_both(st.changes, &g_snap[3], &g_snap[2], NULL), 0);
	teardown();
}

int main(void)
{
	if (hf_crypto_init() < 0) {
		printf("test_scan_changes: 0 passed, 1 failed\n");
		return 1;
	}
	umask(022);
	snprintf(g_base, sizeof(g_base), "/tmp/hf-test-scan-changes.XXXXXX");
	if (!mkdtemp(g_base)) {
		printf("test_scan_changes: 0 passed, 1 failed\n");
		return 1;
	}
	T_RUN(test_damaged_parent);
	T_RUN(test_cap);
	nftw(g_base, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return T_DONE("test_scan_changes");
}
