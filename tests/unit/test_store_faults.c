/* test_store_faults.c — the repository and engine on a faulty store.
 *
 * A repository on the memory store (mem:, store_mem.h) holds one clean
 * backup of a small real directory tree; a second backup, of the tree with a
 * new file, then runs with a fault injected at its Nth store operation, for
 * every N the backup uses: an I/O error, a short write, a full disk, a crash.
 * After each, the store is rebooted and the repository reopened by URL:
 * check (reading all data) must find no damage, every snapshot that exists
 * must restore byte for byte, and the first backup must always be there
 * (no fault loses committed data); a backup that reported success must be
 * there too. Last, restores from a store whose reads fail must fail cleanly,
 * and a restore from a remote store fetches each pack once. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto/crypto.h"
#include "engine/engine.h"
#include "repo/repo.h"
#include "store/store.h"
#include "store/store_mem.h"
#include "t.h"
#include "t_fs.h"
#include "util/err.h"

#define INST "faults"
#define URL "mem:" INST
#define PASS "fault pass"

static char g_base[256], g_src[300];
static int g_restores;

struct file {
	const char *rel;
	size_t len;
	int second; /* only in the second backup's tree */
	uint8_t *data;
};

static struct file g_files[] = {
	{"a.txt", 100, 0, NULL}, {"sub/b.bin", 300000, 0, NULL},   {"sub/deeper/c", 5000, 0, NULL},
	{"empty", 0, 0, NULL},   {"sub/new.bin", 200000, 1, NULL}, {"sub/new-small", 700, 1, NULL},
};
#define NFILES (sizeof(g_files) / sizeof(g_files[0]))

static int write_file(const char *path, const void *p, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	int ok;

	if (fd < 0)
		return -errno;
	ok = write(fd, p, n) == (ssize_t)n;
	close(fd);
	return ok ? 0 : -EIO;
}

static int make_tree(int second)
{
	char path[600];

	snprintf(path, sizeof(path), "%s/sub", g_src);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/sub/deeper", g_src);
	mkdir(path, 0755);
	for (size_t i = 0; i < NFILES; i++) {
		if (g_files[i].second && !second)
			continue;
		snprintf(path, sizeof(path), "%s/%s", g_src, g_files[i].rel);
		if (write_file(path, g_files[i].data, g_files[i].len) < 0)
			return -1;
	}
	return 0;
}

static int backup(struct hf_repo *repo);

static int open_repo(struct hf_repo **out)
{
	struct hf_store *st = NULL;
	int r = hf_store_open(URL, 0, &st);

	*out = NULL;
	if (r < 0)
		return r;
	return hf_repo_open(st, PASS, strlen(PASS), out);
}

/* a new repository at URL holding one backup of the first tree */
static int fresh_repo(struct hf_repo **out)
{
	static const struct hf_repo_params params = {.kdf_ops = 1, .kdf_mem = 8u << 20};
	struct hf_store *st = NULL;
	uint8_t id[HF_ID_LEN];
	char path[600];
	int r;

	*out = NULL;
	hf_store_mem_destroy(INST);
	r = hf_store_open(URL, 1, &st);
	if (r < 0)
		return r;
	r = hf_repo_create(st, PASS, strlen(PASS), &params, id);
	hf_store_close(st);
	if (r < 0)
		return r;
	r = open_repo(out);
	if (r < 0)
		return r;
	/* the first tree: without the second backup's files */
	for (size_t i = 0; i < NFILES; i++)
		if (g_files[i].second) {
			snprintf(path, sizeof(path), "%s/%s", g_src, g_files[i].rel);
			unlink(path);
		}
	r = backup(*out);
	/* reopened: a handle's index does not learn its own backup's packs */
	hf_repo_close(*out);
	*out = NULL;
	if (r == 0)
		r = open_repo(out);
	return r;
}

/* the paths the faulty backup reported: a snapshot may lack only those */
static char g_reported[16][600];
static int g_nreported;

static int g_left_reported; /* reports with no path: the new snapshot could not be withdrawn */

static void report(void *arg, const char *path, const char *what, int err)
{
	(void)arg;
	g_left_reported += path == NULL;
	if (path && g_nreported < 16)
		snprintf(g_reported[g_nreported++], sizeof(g_reported[0]), "%s", path);
	if (getenv("HF_TEST_VERBOSE"))
		fprintf(stderr, "  report: %s %s: %s\n", path ? path : "", what ? what : "", hf_strerror(err));
}

static int backup(struct hf_repo *repo)
{
	char *paths[1] = {g_src};
	struct hf_backup_opts o = {.paths = paths,
				   .npaths = 1,
				   .host = "h",
				   .user = "u",
				   .threads = 2,
				   .no_profiles = 1,
				   .report = report};
	struct hf_backup_stats st;
	int r = hf_backup(repo, &o, &st);

	if (r == 0 && st.errors)
		r = -EIO;
	return r;
}

static int compare_file(const char *path, const uint8_t *want, size_t len)
{
	uint8_t *got = malloc(len + 1);
	int fd = open(path, O_RDONLY), ok = 0;
	ssize_t n;

	if (fd >= 0 && got) {
		n = read(fd, got, len + 1);
		ok = n == (ssize_t)len && memcmp(got, want, len) == 0;
	}
	if (fd >= 0)
		close(fd);
	free(got);
	return ok;
}

static int was_reported(const char *rel)
{
	char path[700];

	snprintf(path, sizeof(path), "%s/%s", g_src, rel);
	for (int i = 0; i < g_nreported; i++)
		if (strcmp(g_reported[i], path) == 0)
			return 1;
	return 0;
}

/* restores snapshot s and compares it with the tree it was made of */
static int restore_matches(struct hf_repo *repo, const struct hf_snapshot *s, int second)
{
	char target[400], path[1000];
	struct hf_restore_opts o = {.threads = 2, .report = report};
	struct hf_restore_stats st;
	int ok = 1, r;

	snprintf(target, sizeof(target), "%s/restore%d", g_base, ++g_restores);
	o.target = target;
	memset(&st, 0, sizeof(st));
	r = hf_restore(repo, s, &o, &st);
	if (r != 0 || st.errors) {
		fprintf(stderr, "  restore: %s, %llu errors\n", hf_strerror(r), (unsigned long long)st.errors);
		ok = 0;
	}
	for (size_t i = 0; ok && i < NFILES; i++) {
		snprintf(path, sizeof(path), "%s%s/%s", target, g_src, g_files[i].rel);
		if (g_files[i].second && !second)
			ok = access(path, F_OK) < 0;
		else if (second && access(path, F_OK) < 0 && was_reported(g_files[i].rel))
			ok = 1; /* the faulty backup said it could not save it */
		else
			ok = compare_file(path, g_files[i].data, g_files[i].len);
		if (!ok) {
			struct stat sb;
			fprintf(stderr, "  restore: %s differs (size %lld, want %zu, second %d)\n", g_files[i].rel,
				stat(path, &sb) == 0 ? (long long)sb.st_size : -1LL, g_files[i].len, second);
		}
	}
	t_rm_rf(target);
	return ok;
}

/* after a fault: reboot, reopen, check, restore every snapshot. Returns 1 if
 * everything holds. backed_up: the faulty backup reported success. */
static int verify(const char *what, uint64_t n, int backed_up)
{
	struct hf_repo *repo = NULL;
	struct hf_check_opts co = {.read_data = 1, .threads = 2, .report = report};
	struct hf_check_stats cs;
	struct hf_snapshot *snaps = NULL;
	size_t nsnaps = 0, bad = 0;
	int r, ok = 1;

	hf_store_mem_restart(INST);
	r = open_repo(&repo);
	if (r < 0) {
		fprintf(stderr, "%s at op %llu: reopen: %s\n", what, (unsigned long long)n, hf_strerror(r));
		return 0;
	}
	memset(&cs, 0, sizeof(cs));
	r = hf_check(repo, &co, &cs);
	if (r != 0 || cs.errors) {
		fprintf(stderr, "%s at op %llu: check: %d (%s), %llu errors\n", what, (unsigned long long)n, r,
			hf_strerror(r), (unsigned long long)cs.errors);
		ok = 0;
	}
	r = hf_snapshot_list(repo, &snaps, &nsnaps, &bad);
	if (r < 0 || bad || nsnaps < 1 || nsnaps > 2 || (backed_up && nsnaps != 2)) {
		fprintf(stderr, "%s at op %llu: %zu snapshots (%zu bad), backup said %d\n", what, (unsigned long long)n,
			nsnaps, bad, backed_up);
		ok = 0;
	}
	/* oldest first: the first is the clean backup, a second the faulty one */
	for (size_t i = 0; r == 0 && i < nsnaps; i++) {
		int second = nsnaps == 2 && snaps[i].time_ns >= snaps[1 - i].time_ns;
		if (!restore_matches(repo, &snaps[i], second)) {
			fprintf(stderr, "%s at op %llu: snapshot %zu does not restore\n", what, (unsigned long long)n,
				i);
			ok = 0;
		}
	}
	hf_snapshot_list_free(snaps, nsnaps);
	hf_repo_close(repo);
	return ok;
}

enum fault { F_EIO, F_UNAVAILABLE, F_SHORT, F_FULL, F_CRASH };
static const char *const fault_names[] = {"I/O error", "unavailable", "short write", "full disk", "crash"};

/* the faulty backup with fault f at the n-th operation (F_FULL: n-th
 * sixteenth of what the backup stores); returns 1 if all held */
static int one_case(enum fault f, uint64_t n, uint64_t bytes)
{
	struct hf_repo *repo = NULL;
	uint64_t n0 = 0, used = 0;
	int r;

	r = fresh_repo(&repo);
	if (r == 0)
		r = make_tree(1);
	if (r < 0) {
		fprintf(stderr, "setup: %s\n", hf_strerror(r));
		hf_repo_close(repo);
		return 0;
	}
	hf_store_mem_ops(INST, &n0);
	hf_store_mem_used(INST, &used);
	switch (f) {
	case F_EIO:
		hf_store_mem_fail_at(INST, n0 + n, -EIO);
		break;
	case F_UNAVAILABLE:
		hf_store_mem_fail_at(INST, n0 + n, -HF_E_UNAVAILABLE);
		break;
	case F_SHORT:
		hf_store_mem_short_write_at(INST, n0 + n);
		break;
	case F_FULL:
		hf_store_mem_full_after(INST, used + bytes * n / 16);
		break;
	case F_CRASH:
		hf_store_mem_crash_at(INST, n0 + n);
		break;
	}
	g_nreported = 0;
	r = backup(repo);
	hf_repo_close(repo);
	if (r == -HF_E_CANCELED) { /* the fault is the error, not what it cancelled */
		fprintf(stderr, "%s at %llu: the backup said only 'canceled'\n", fault_names[f], (unsigned long long)n);
		return 0;
	}
	return verify(fault_names[f], n, r == 0);
}

/* a clean second backup: how many operations and bytes it takes */
static void measure(uint64_t *ops, uint64_t *bytes)
{
	struct hf_repo *repo = NULL;
	uint64_t n0 = 0, n1 = 0, u0 = 0, u1 = 0;

	*ops = *bytes = 0;
	T_EQ(fresh_repo(&repo), 0);
	T_EQ(make_tree(1), 0);
	hf_store_mem_ops(INST, &n0);
	hf_store_mem_used(INST, &u0);
	T_EQ(backup(repo), 0);
	hf_store_mem_ops(INST, &n1);
	hf_store_mem_used(INST, &u1);
	hf_repo_close(repo);
	*ops = n1 - n0;
	*bytes = u1 - u0;
	T_CHECK(verify("no fault", 0, 1));
}

static uint64_t g_ops, g_bytes;

static void fault_loop(enum fault f)
{
	int failed = 0;
	uint64_t last = f == F_FULL ? 16 : g_ops + 2;

	for (uint64_t n = 1; n <= last; n++)
		if (!one_case(f, n, g_bytes))
			failed++;
	T_EQ(failed, 0);
}

static void test_measure(void)
{
	measure(&g_ops, &g_bytes);
	fprintf(stderr, "  the faulty backup: %llu store operations, %llu bytes\n", (unsigned long long)g_ops,
		(unsigned long long)g_bytes);
	T_CHECK(g_ops > 5 && g_bytes > 100000);
}

static void test_io_error(void)
{
	fault_loop(F_EIO);
}
static void test_unavailable(void)
{
	fault_loop(F_UNAVAILABLE);
}
/* the store out of reach once, at each operation in turn, while it refuses
 * every delete (Object Lock): where the fault hits the check for a prune
 * that ends the backup, the snapshot stays; the error is still the store's
 * being unavailable (not "a prune running at the same time", which was not
 * seen), and a line says the snapshot is left */
static void test_unavailable_while_deletes_locked(void)
{
	int wrong = 0, left = 0;

	for (uint64_t n = 1; n <= g_ops + 2; n++) {
		struct hf_repo *repo = NULL;
		uint64_t n0 = 0;
		int r = fresh_repo(&repo);
		if (r == 0)
			r = make_tree(1);
		T_EQ(r, 0);
		if (r < 0) {
			hf_repo_close(repo);
			return;
		}
		hf_store_mem_ops(INST, &n0);
		hf_store_mem_fail_every(INST, HF_MEM_OP(HF_MEM_REMOVE), -HF_E_LOCKED);
		hf_store_mem_fail_at(INST, n0 + n, -HF_E_UNAVAILABLE);
		g_left_reported = 0;
		r = backup(repo);
		hf_store_mem_fail_every(INST, 0, 0);
		hf_repo_close(repo);
		wrong += r == -HF_E_UNSAFE;
		left += g_left_reported > 0 && r == -HF_E_UNAVAILABLE;
	}
	T_EQ(wrong, 0);
	T_CHECK(left > 0);
}

static void test_short_write(void)
{
	fault_loop(F_SHORT);
}
static void test_full_disk(void)
{
	fault_loop(F_FULL);
}
static void test_crash(void)
{
	fault_loop(F_CRASH);
}

/* restore from a store whose reads fail: an error, never a success */
static void test_restore_read_fails(void)
{
	static const int errs[] = {-EIO, -HF_E_UNAVAILABLE};
	struct hf_repo *repo = NULL;
	struct hf_snapshot *snaps = NULL;
	size_t nsnaps = 0, bad = 0;
	char target[400];

	T_EQ(fresh_repo(&repo), 0);
	if (!repo)
		return;
	T_EQ(hf_snapshot_list(repo, &snaps, &nsnaps, &bad), 0);
	T_EQ(nsnaps, 1);
	for (size_t e = 0; nsnaps == 1 && e < sizeof(errs) / sizeof(errs[0]); e++) {
		struct hf_restore_opts o = {.threads = 2};
		struct hf_restore_stats st;
		int r;

		snprintf(target, sizeof(target), "%s/rfail%zu", g_base, e);
		o.target = target;
		T_EQ(hf_store_mem_fail_every(INST, HF_MEM_READS, errs[e]), 0);
		memset(&st, 0, sizeof(st));
		r = hf_restore(repo, &snaps[0], &o, &st);
		T_CHECK(r < 0 || st.errors > 0);
		T_EQ(hf_store_mem_fail_every(INST, 0, 0), 0);
		t_rm_rf(target);
		/* the Nth read alone: the files it hits are reported, the rest restore */
	}
	/* once reads work again, the same handle restores the snapshot: a
	 * store's read error during the failed restore's index load failed the
	 * load instead of passing for a damaged index object (which left an
	 * empty index cached on the handle); and a reopened repository too */
	T_CHECK(restore_matches(repo, &snaps[0], 0));
	hf_repo_close(repo);
	repo = NULL;
	T_EQ(open_repo(&repo), 0);
	if (repo && nsnaps == 1)
		T_CHECK(restore_matches(repo, &snaps[0], 0));
	hf_snapshot_list_free(snaps, nsnaps);
	hf_repo_close(repo);
}

/* Restores read neighbouring blobs of a pack in one range read
 * (hf_blob_prefetch): many small files restore with far fewer store reads
 * than files. And a read ahead that fails costs only its time: whichever
 * one store operation of the restore fails, the blobs are read one by one
 * and every file still restores byte for byte (before reading ahead, a
 * failed read lost its file). */
/* remote: the store says every read is a request (HF_STORE_REMOTE), so
 * the restore reads whole packs through a pack cache instead of ranges,
 * pack by pack, or in tree order (as for a repository whose packs mix trees
 * and data) */
enum { LOCAL, REMOTE_TREE_ORDER, REMOTE_PACK_ORDER };
static void restore_reads(int remote)
{
	enum { NSMALL = 120, SMALL = 1500 };
	struct hf_repo *repo = NULL;
	struct hf_snapshot *snaps = NULL;
	size_t nsnaps = 0, bad = 0;
	uint8_t *data = malloc((size_t)NSMALL * SMALL);
	char path[1400], target[400];
	uint64_t n0 = 0, n1 = 0, ops = 0;
	int whole = 0, cases = 0;

	snprintf(path, sizeof(path), "%s/many", g_src);
	T_EQ(mkdir(path, 0755), 0);
	hf_random(data, (size_t)NSMALL * SMALL);
	for (int i = 0; i < NSMALL; i++) {
		snprintf(path, sizeof(path), "%s/many/f%03d", g_src, i);
		T_EQ(write_file(path, data + (size_t)i * SMALL, SMALL), 0);
	}
	T_EQ(fresh_repo(&repo), 0);
	if (remote) { /* for the handles opened from now on */
		T_EQ(hf_store_mem_set_caps(INST, HF_STORE_CAN_DELETE | HF_STORE_OWN_CLOCK | HF_STORE_REMOTE), 0);
		hf_repo_close(repo);
		T_EQ(open_repo(&repo), 0);
	}
	if (repo)
		T_EQ(hf_snapshot_list(repo, &snaps, &nsnaps, &bad), 0);
	T_EQ(nsnaps, 1);
	for (uint64_t k = 0; nsnaps == 1 && (k == 0 || k <= ops); k++) {
		struct hf_restore_opts o = {.threads = 2, .tree_order = remote == REMOTE_TREE_ORDER};
		struct hf_restore_stats st;
		int r, ok;

		snprintf(target, sizeof(target), "%s/ahead", g_base);
		o.target = target;
		memset(&st, 0, sizeof(st));
		hf_store_mem_ops(INST, &n0);
		if (k)
			T_EQ(hf_store_mem_fail_at(INST, n0 + k, -EIO), 0);
		r = hf_restore(repo, &snaps[0], &o, &st);
		hf_store_mem_ops(INST, &n1);
		ok = r == 0 && st.errors == 0;
		for (int i = 0; ok && i < NSMALL; i++) {
			snprintf(path, sizeof(path), "%s%s/many/f%03d", target, g_src, i);
			ok = compare_file(path, data + (size_t)i * SMALL, SMALL);
		}
		if (k == 0) {
			/* the data of 120 files, their trees, the opening of packs;
			 * through the pack cache, one read of each whole pack */
			ops = n1 - n0;
			T_CHECK(ok);
			T_CHECK(ops < (remote ? 12u : NSMALL / 4));
			if (getenv("HF_TEST_VERBOSE"))
				fprintf(stderr, "  restore of %d files: %llu store operations\n", NSMALL,
					(unsigned long long)ops);
		} else {
			cases++;
			whole += ok;
		}
		t_rm_rf(target);
	}
	/* every failure of a read ahead is made good; what may still fail is
	 * the one read of the snapshot's root tree, which nothing reads ahead */
	T_CHECK(cases > 0 && whole >= cases - 2);
	hf_snapshot_list_free(snaps, nsnaps);
	hf_repo_close(repo);
	for (int i = 0; i < NSMALL; i++) {
		snprintf(path, sizeof(path), "%s/many/f%03d", g_src, i);
		unlink(path);
	}
	snprintf(path, sizeof(path), "%s/many", g_src);
	rmdir(path);
	free(data);
}

static void test_restore_reads_ahead(void)
{
	restore_reads(LOCAL);
}

/* a remote store: whole packs through the cache, and every failed fetch is
 * made good by range reads */
static void test_restore_pack_cache(void)
{
	restore_reads(REMOTE_TREE_ORDER);
}

static void test_restore_pack_cache_by_pack(void)
{
	restore_reads(REMOTE_PACK_ORDER);
}

static int backup_one(struct hf_repo *repo, char *path)
{
	char *paths[1] = {path};
	struct hf_backup_opts o =
		{.paths = paths, .npaths = 1, .host = "h", .user = "u", .threads = 1, .no_profiles = 1};
	struct hf_backup_stats st;
	int r = hf_backup(repo, &o, &st);

	return r == 0 && st.errors ? -EIO : r;
}

/* A remote store, and a tree whose order comes back to each pack after a
 * dozen others: a/ holds 24 files stored in order (two to a 1 MiB pack),
 * b/ the same contents in the order 0, 2, 4, ... 22, 1, 3, ... 23. A restore
 * in tree order fetched every pack about three times; pack by pack, each
 * pack is fetched once. Every file comes back whole, with the kinds a
 * restore that writes out of order must get right: a file in many packs,
 * read-only, a hole at the end, empty, and a hard link. */
static void test_restore_pack_order(void)
{
	enum { NPART = 24, PART = 600 * 1024, BIG = 3 << 20, HOLE = 3 << 20 };
	struct hf_repo *repo = NULL;
	struct hf_snapshot *snaps = NULL;
	size_t nsnaps = 0, bad = 0, npacks = 0;
	uint8_t *data = malloc((size_t)NPART * PART + BIG);
	char dir[300], path[1400], target[400], other[1400];
	uint64_t n0 = 0, n1 = 0;
	struct stat st;
	int ok = 1;

	snprintf(dir, sizeof(dir), "%s/order", g_base);
	snprintf(target, sizeof(target), "%s/order-restored", g_base);
	T_EQ(mkdir(dir, 0755), 0);
	snprintf(path, sizeof(path), "%s/a", dir);
	T_EQ(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/b", dir);
	T_EQ(mkdir(path, 0755), 0);
	hf_random(data, (size_t)NPART * PART + BIG);
	snprintf(path, sizeof(path), "%s/a/0-big", dir);
	T_EQ(write_file(path, data + (size_t)NPART * PART, BIG), 0);
	T_EQ(chmod(path, 0444), 0);
	for (int i = 0; i < NPART; i++) {
		int k = i < NPART / 2 ? 2 * i : 2 * (i - NPART / 2) + 1;
		snprintf(path, sizeof(path), "%s/a/p%02d", dir, i);
		T_EQ(write_file(path, data + (size_t)i * PART, PART), 0);
		snprintf(path, sizeof(path), "%s/b/s%02d", dir, i);
		T_EQ(write_file(path, data + (size_t)k * PART, PART), 0);
	}
	snprintf(path, sizeof(path), "%s/b/empty", dir);
	T_EQ(write_file(path, "", 0), 0);
	snprintf(path, sizeof(path), "%s/b/hole", dir);
	T_EQ(write_file(path, data, 4096), 0);
	T_EQ(truncate(path, HOLE), 0);
	snprintf(other, sizeof(other), "%s/b/link", dir);
	T_EQ(link(path, other), 0);

	{ /* packs of 1 MiB */
		static const struct hf_repo_params params = {.kdf_ops = 1, .kdf_mem = 8u << 20, .pack_size = 1u << 20};
		struct hf_store *store = NULL;
		uint8_t id[HF_ID_LEN];
		hf_store_mem_destroy(INST);
		T_EQ(hf_store_open(URL, 1, &store), 0);
		T_EQ(hf_repo_create(store, PASS, strlen(PASS), &params, id), 0);
		hf_store_close(store);
	}
	T_EQ(open_repo(&repo), 0);
	T_EQ(backup_one(repo, dir), 0);
	hf_repo_close(repo);
	T_EQ(hf_store_mem_set_caps(INST, HF_STORE_CAN_DELETE | HF_STORE_OWN_CLOCK | HF_STORE_REMOTE), 0);
	T_EQ(open_repo(&repo), 0);
	if (repo) {
		T_EQ(hf_snapshot_list(repo, &snaps, &nsnaps, &bad), 0);
		T_EQ(hf_repo_load_index(repo, NULL, NULL, NULL), 0);
		npacks = hf_index_npacks(hf_repo_index(repo));
	}
	T_EQ(nsnaps, 1);
	T_CHECK(npacks >= NPART / 2);
	if (nsnaps == 1) {
		struct hf_restore_opts o = {.threads = 2, .target = target, .report = report};
		struct hf_restore_stats rst;
		const struct hf_snapshot *s = &snaps[0];
		hf_store_mem_ops(INST, &n0);
		T_EQ(hf_restore(repo, s, &o, &rst), 0);
		hf_store_mem_ops(INST, &n1);
		T_EQ(rst.errors, 0);
		/* every pack at most once */
		if (getenv("HF_TEST_VERBOSE"))
			fprintf(stderr, "  restore: %llu store reads, %zu packs\n", (unsigned long long)(n1 - n0),
				npacks);
		T_CHECK(n1 - n0 <= npacks);
		for (int i = 0; i < NPART; i++) {
			int k = i < NPART / 2 ? 2 * i : 2 * (i - NPART / 2) + 1;
			snprintf(path, sizeof(path), "%s%s/a/p%02d", target, dir, i);
			ok &= compare_file(path, data + (size_t)i * PART, PART);
			snprintf(path, sizeof(path), "%s%s/b/s%02d", target, dir, i);
			ok &= compare_file(path, data + (size_t)k * PART, PART);
		}
		T_CHECK(ok);
		snprintf(path, sizeof(path), "%s%s/a/0-big", target, dir);
		T_CHECK(compare_file(path, data + (size_t)NPART * PART, BIG));
		T_CHECK(stat(path, &st) == 0 && (st.st_mode & 07777) == 0444);
		snprintf(path, sizeof(path), "%s%s/b/empty", target, dir);
		T_CHECK(stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 0);
		snprintf(path, sizeof(path), "%s%s/b/hole", target, dir);
		T_CHECK(stat(path, &st) == 0 && st.st_size == HOLE && st.st_nlink == 2);
		T_CHECK(st.st_blocks * 512 < HOLE / 2); /* the hole stayed one */
		{
			uint8_t *want = calloc(1, HOLE);
			memcpy(want, data, 4096);
			T_CHECK(compare_file(path, want, HOLE));
			free(want);
		}
	}
	hf_snapshot_list_free(snaps, nsnaps);
	hf_repo_close(repo);
	T_EQ(hf_store_mem_set_caps(INST, HF_STORE_CAN_DELETE | HF_STORE_OWN_CLOCK), 0);
	t_rm_rf(dir);
	t_rm_rf(target);
	free(data);
}

/* A remote store, and a snapshot of a hundred directories: walking it
 * (check, the parent of an incremental backup) reads the trees' packs
 * whole through the repository's tree cache, a few requests in all, where
 * it made one range read per directory (a check of the bench corpus over S3:
 * 15 s, now 0.7 s) */
static void test_walk_reads_tree_packs(void)
{
	enum { NDIRS = 100 };
	struct hf_repo *repo = NULL;
	char path[700];
	uint64_t n0 = 0, n1 = 0;

	snprintf(path, sizeof(path), "%s/dirs", g_src);
	T_EQ(mkdir(path, 0755), 0);
	for (int i = 0; i < NDIRS; i++) {
		snprintf(path, sizeof(path), "%s/dirs/d%03d", g_src, i);
		T_EQ(mkdir(path, 0755), 0);
		snprintf(path, sizeof(path), "%s/dirs/d%03d/f", g_src, i);
		T_EQ(write_file(path, path, strlen(path)), 0);
	}
	T_EQ(fresh_repo(&repo), 0);
	hf_repo_close(repo);
	T_EQ(hf_store_mem_set_caps(INST, HF_STORE_CAN_DELETE | HF_STORE_OWN_CLOCK | HF_STORE_REMOTE), 0);
	T_EQ(open_repo(&repo), 0);
	if (repo) {
		struct hf_check_opts co = {0};
		struct hf_check_stats cs;
		memset(&cs, 0, sizeof(cs));
		T_EQ(hf_repo_load_index(repo, NULL, NULL, NULL), 0);
		T_CHECK(hf_repo_tree_cache(repo) != NULL);
		hf_store_mem_ops(INST, &n0);
		T_EQ(hf_check(repo, &co, &cs), 0);
		hf_store_mem_ops(INST, &n1);
		if (getenv("HF_TEST_VERBOSE"))
			fprintf(stderr, "  check of %llu trees: %llu store operations\n", (unsigned long long)cs.trees,
				(unsigned long long)(n1 - n0));
		T_CHECK(cs.trees > NDIRS && cs.errors == 0);
		T_CHECK(n1 - n0 < NDIRS / 4);
		/* an incremental backup reads its parent's trees the same way */
		hf_store_mem_ops(INST, &n0);
		T_EQ(backup_one(repo, g_src), 0);
		hf_store_mem_ops(INST, &n1);
		if (getenv("HF_TEST_VERBOSE"))
			fprintf(stderr, "  incremental backup: %llu store operations\n", (unsigned long long)(n1 - n0));
		T_CHECK(n1 - n0 < NDIRS / 4);
	}
	hf_repo_close(repo);
	T_EQ(hf_store_mem_set_caps(INST, HF_STORE_CAN_DELETE | HF_STORE_OWN_CLOCK), 0);
	snprintf(path, sizeof(path), "%s/dirs", g_src);
	t_rm_rf(path);
}

int main(void)
{
	int r = 0;

	if (hf_crypto_init() < 0) {
		printf("test_store_faults: 0 passed, 1 failed\n");
		return 1;
	}
	snprintf(g_base, sizeof(g_base), "/tmp/hf-test-faults.XXXXXX");
	if (!mkdtemp(g_base)) {
		printf("test_store_faults: 0 passed, 1 failed\n");
		return 1;
	}
	snprintf(g_src, sizeof(g_src), "%s/src", g_base);
	mkdir(g_src, 0755);
	for (size_t i = 0; i < NFILES; i++) {
		g_files[i].data = malloc(g_files[i].len + 1);
		hf_random(g_files[i].data, g_files[i].len);
	}
	/* a compressible file too */
	memset(g_files[2].data, 'x', g_files[2].len);
	if (make_tree(0) < 0)
		r = 1;
	if (r == 0) {
		T_RUN(test_measure);
		T_RUN(test_io_error);
		T_RUN(test_unavailable);
		T_RUN(test_unavailable_while_deletes_locked);
		T_RUN(test_short_write);
		T_RUN(test_full_disk);
		T_RUN(test_crash);
		T_RUN(test_restore_read_fails);
		T_RUN(test_restore_reads_ahead);
		T_RUN(test_restore_pack_cache);
		T_RUN(test_restore_pack_cache_by_pack);
		T_RUN(test_restore_pack_order);
		T_RUN(test_walk_reads_tree_packs);
	}
	hf_store_mem_destroy(INST);
	for (size_t i = 0; i < NFILES; i++)
		free(g_files[i].data);
	t_rm_rf(g_base);
	return T_DONE("test_store_faults");
}
