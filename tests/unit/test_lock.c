/* test_lock.c — a repository on a store with Object Lock, over simulated
 * time (the memory store with locks, store_mem.h, and its clock).
 *
 * Two backups of a real directory tree, the second without some files the
 * first had; forget keeps the newer, prune with no grace; lock extend; time
 * goes on past the first locks; prune again. At every step:
 *  - check (reading all data) finds no damage: the index objects the store
 *    keeps locked after prune replaced them are not loaded, so their claims
 *    to packs deleted since do not count (before the fix, check found packs
 *    "missing" after the first prune);
 *  - the forgotten snapshot is not listed, though the store keeps it;
 *  - nothing in use is ever unlocked (lock status), and what no kept
 *    snapshot uses is deleted one period after it was last locked;
 *  - lock extend moves only what ends within the refresh window. */
#include <errno.h>
#include <fcntl.h>
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

#define INST "locks"
#define URL "mem:" INST
#define PASS "lock pass"
#define SEC 1000000000LL
#define T0 (1800000000LL * SEC)
#define PERIOD 100 /* s */

static char g_src[300];

static void clock_at(int64_t s)
{
	T_EQ(hf_store_mem_set_clock(INST, T0 + s * SEC), 0);
}

static void write_file(const char *rel, size_t len, unsigned seed)
{
	char path[600];
	uint8_t *p = malloc(len ? len : 1);
	int fd;

	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)((i * 2654435761u + seed) >> 13);
	snprintf(path, sizeof(path), "%s/%s", g_src, rel);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	T_CHECK(fd >= 0 && write(fd, p, len) == (ssize_t)len);
	if (fd >= 0)
		close(fd);
	free(p);
}

static int open_repo(struct hf_repo **out)
{
	struct hf_store *st = NULL;
	int r = hf_store_open(URL, 0, &st);

	*out = NULL;
	return r < 0 ? r : hf_repo_open(st, PASS, strlen(PASS), out);
}

/* one backup thread: which files share a pack, and so which packs prune copies the used blobs
 * out of, is then the same in every run; the lock counts below depend on it (with two threads
 * the kept file's pack held no forgotten data in about one run in eight, stayed in use, and
 * lock extend moved one object more) */
static void backup(void)
{
	char *paths[1] = {g_src};
	struct hf_backup_opts o =
		{.paths = paths, .npaths = 1, .host = "h", .user = "u", .threads = 1, .no_profiles = 1};
	struct hf_backup_stats st;
	struct hf_repo *r;

	T_EQ(open_repo(&r), 0);
	T_EQ(hf_backup(r, &o, &st), 0);
	T_EQ(st.errors, 0);
	hf_repo_close(r);
}

static uint64_t check_errors(void)
{
	struct hf_check_opts o = {.read_data = 1, .threads = 1};
	struct hf_check_stats st = {0};
	struct hf_repo *r;
	int ret;

	T_EQ(open_repo(&r), 0);
	ret = hf_check(r, &o, &st);
	hf_repo_close(r);
	return ret < 0 ? 1000 : st.errors;
}

static size_t nsnapshots(void)
{
	struct hf_snapshot *s = NULL;
	struct hf_repo *r;
	size_t n = 0;

	T_EQ(open_repo(&r), 0);
	T_EQ(hf_snapshot_list(r, &s, &n, NULL), 0);
	hf_snapshot_list_free(s, n);
	hf_repo_close(r);
	return n;
}

/* objects of kind the store holds */
static int count_one(void *arg, const char *name, uint64_t size)
{
	(void)name, (void)size;
	++*(size_t *)arg;
	return 0;
}
static size_t stored(int kind)
{
	struct hf_store *st = NULL;
	size_t n = 0;

	T_EQ(hf_store_open(URL, 0, &st), 0);
	T_EQ(hf_store_list(st, kind, count_one, &n), 0);
	hf_store_close(st);
	return n;
}

static void forget_and_prune(void)
{
	struct hf_forget_policy pol = {.last = 1};
	struct hf_forget_result res;
	struct hf_prune_opts po = {.grace_ns = 0, .unfinished_ns = HF_PRUNE_UNFINISHED_NS};
	struct hf_prune_stats ps;
	struct hf_repo *r;

	T_EQ(open_repo(&r), 0);
	T_EQ(hf_forget(r, &pol, 0, &res), 0);
	T_EQ(res.nremoved, 1);
	T_EQ(res.kept_by_store[0], 1); /* the older one: locked */
	po.forgotten = (const uint8_t(*)[HF_HASH_LEN])res.forgotten;
	po.nforgotten = res.nremoved;
	T_EQ(hf_prune(r, &po, &ps), 0);
	hf_forget_result_release(&res);
	hf_repo_close(r);
}

static void prune(void)
{
	struct hf_prune_opts po = {.grace_ns = 0, .unfinished_ns = HF_PRUNE_UNFINISHED_NS};
	struct hf_prune_stats ps;
	struct hf_repo *r;

	T_EQ(open_repo(&r), 0);
	T_EQ(hf_prune(r, &po, &ps), 0);
	hf_repo_close(r);
}

static struct hf_lock_stats lock_run(int status)
{
	struct hf_lock_opts o = {.status = status};
	struct hf_lock_stats st = {0};
	struct hf_repo *r;

	T_EQ(open_repo(&r), 0);
	T_EQ(hf_lock_extend(r, &o, &st), 0);
	hf_repo_close(r);
	return st;
}

static void test_locks_over_time(void)
{
	static const struct hf_repo_params params = {.kdf_ops = 1,
						     .kdf_mem = 8u << 20,
						     .lock_mode = HF_LOCK_COMPLIANCE,
						     .lock_period_s = PERIOD};
	struct hf_store *st = NULL;
	struct hf_lock_stats ls;
	uint8_t id[HF_ID_LEN];
	char path[600];
	size_t packs_before;

	hf_store_mem_destroy(INST);
	T_EQ(hf_store_open(URL, 1, &st), 0);
	T_EQ(hf_repo_create(st, PASS, strlen(PASS), &params, id), -HF_E_REFUSED); /* no Object Lock there */
	hf_store_close(st);
	hf_store_mem_destroy(INST);
	T_EQ(hf_store_open(URL, 1, &st), 0);
	T_EQ(hf_store_mem_set_lockable(INST, 1), 0);
	clock_at(0);
	T_EQ(hf_repo_create(st, PASS, strlen(PASS), &params, id), 0);
	hf_store_close(st);

	/* the first backup, then a second without two of its files */
	snprintf(path, sizeof(path), "%s/sub", g_src);
	mkdir(path, 0755);
	write_file("a.bin", 400000, 1);
	write_file("sub/b.bin", 300000, 2);
	write_file("sub/c.txt", 5000, 3);
	backup();
	clock_at(10);
	snprintf(path, sizeof(path), "%s/a.bin", g_src);
	unlink(path);
	snprintf(path, sizeof(path), "%s/sub/b.bin", g_src);
	unlink(path);
	write_file("sub/d.bin", 200000, 4);
	backup();
	T_EQ(check_errors(), 0);

	/* forget and prune while everything is locked: the snapshot and the
	 * index objects stay in the store, named gone; packs stay too */
	clock_at(20);
	packs_before = stored(HF_OBJ_PACK);
	forget_and_prune();
	T_EQ(nsnapshots(), 1);
	T_EQ(stored(HF_OBJ_SNAPSHOT), 2);
	T_CHECK(stored(HF_OBJ_PACK) >= packs_before); /* none deleted (one more: used blobs copied out) */
	T_EQ(check_errors(), 0);

	/* lock extend at 55: only what ends before 55 + 50 (the objects of
	 * time 0) moves on; at 75 all in use (ends at 100 to 120) moves to 175 */
	clock_at(55);
	ls = lock_run(0);
	T_EQ(ls.extended, 2); /* config and key */
	clock_at(75);
	ls = lock_run(0);
	T_CHECK(ls.objects >= 6);
	T_EQ(ls.extended, ls.objects - 2);
	T_EQ(ls.until_s, T0 / SEC + 175);
	ls = lock_run(0); /* nothing due any more */
	T_EQ(ls.extended, 0);

	/* at 130 the first locks have ended: prune deletes what only the
	 * forgotten snapshot used, and the objects replaced; nothing in use
	 * lost its lock */
	clock_at(130);
	ls = lock_run(1);
	T_EQ(ls.unlocked, 0);
	prune();
	prune(); /* the plans of the first go now, their packs next */
	T_EQ(stored(HF_OBJ_SNAPSHOT), 1);
	T_CHECK(stored(HF_OBJ_PACK) < packs_before);
	T_EQ(check_errors(), 0);
	ls = lock_run(1);
	T_EQ(ls.unlocked, 0);

	/* without lock extend, what is in use would unlock at 175: with it, never */
	clock_at(140);
	ls = lock_run(0);
	T_CHECK(ls.extended > 0);
	clock_at(200);
	ls = lock_run(1);
	T_EQ(ls.unlocked, 0);
	T_EQ(check_errors(), 0);
}

int main(void)
{
	char base[256];

	T_EQ(hf_crypto_init(), 0);
	snprintf(base, sizeof(base), "%s/hf-test-lock-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	T_CHECK(mkdtemp(base) != NULL);
	snprintf(g_src, sizeof(g_src), "%s/src", base);
	mkdir(g_src, 0755);
	T_RUN(test_locks_over_time);
	t_rm_rf(base);
	hf_store_mem_destroy(INST);
	return T_DONE("test_lock");
}
