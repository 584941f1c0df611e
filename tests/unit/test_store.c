/* test_store.c — unit tests of the local-directory store (lib/store) in a
 * fresh mkdtemp directory: create and open rules, put/get/get_range/size/
 * list/remove for every object kind, create-only puts, hostile names (which
 * must be refused before anything touches the file system), reads past the
 * end, read-only objects, no temp files left behind, puts without fsync plus
 * sync, and concurrent puts: what is particular to the directory layout.
 * The contract every store passes is test_store_contract.c. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto/crypto.h"
#include "store/store.h"
#include "t.h"
#include "t_fs.h"
#include "util/buf.h"
#include "util/err.h"

static char g_base[256];

static void path_in(char *out, size_t cap, const char *rel)
{
	snprintf(out, cap, "%s/%s", g_base, rel);
}

/* number of entries in a directory, "." and ".." not counted; -1 if absent */
static int count_entries(const char *dir)
{
	char cmd[512];
	FILE *f;
	int n = 0, c;

	snprintf(cmd, sizeof(cmd), "ls -A '%s' 2>/dev/null | wc -l", dir);
	f = popen(cmd, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%d", &n) != 1)
		n = -1;
	while ((c = fgetc(f)) != EOF)
		;
	pclose(f);
	return n;
}

static int g_nfiles;
static int count_file(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)path;
	(void)st;
	(void)ftw;
	if (flag != FTW_D && flag != FTW_DP)
		g_nfiles++;
	return 0;
}

/* every non-directory below path */
static int count_files(const char *path)
{
	g_nfiles = 0;
	nftw(path, count_file, 16, FTW_PHYS);
	return g_nfiles;
}

static struct hf_store *open_new(const char *rel)
{
	char dir[512];
	struct hf_store *st = NULL;

	path_in(dir, sizeof(dir), rel);
	T_EQ(hf_store_local_open(dir, 1, &st), 0);
	return st;
}

static const char *const kind_names[HF_OBJ_KINDS] = {"config", "keys",  "snapshots", "index",
						     "data",   "marks", "pending"};

/* a valid name for kind, varied by i */
static void name_for(int kind, int i, char *out, size_t cap)
{
	if (kind == HF_OBJ_CONFIG)
		snprintf(out, cap, "config");
	else
		snprintf(out, cap, "%02x%062x", (unsigned)(0x10 * kind + i) & 0xff, (unsigned)i);
}

static void test_create_open(void)
{
	char dir[512], sub[600];
	struct hf_store *st = NULL;
	int fd;

	/* a directory that does not exist yet is created with the whole layout */
	st = open_new("c1");
	T_CHECK(st != NULL);
	path_in(dir, sizeof(dir), "c1");
	T_CHECK(st && st->location && strcmp(st->location, dir) == 0);
	for (int i = 0; i < 6; i++) {
		static const char *const subs[] = {"keys", "snapshots", "index", "marks", "pending", "tmp"};
		struct stat s;
		snprintf(sub, sizeof(sub), "%s/%s", dir, subs[i]);
		T_CHECK(stat(sub, &s) == 0 && S_ISDIR(s.st_mode));
	}
	T_EQ(count_entries(dir), 7); /* keys snapshots index data marks pending tmp */
	snprintf(sub, sizeof(sub), "%s/data", dir);
	T_EQ(count_entries(sub), 256);
	hf_store_close(st);

	/* created but no config yet: not a repository */
	T_EQ(hf_store_local_open(dir, 0, &st), -HF_E_NOTFOUND);
	T_CHECK(st == NULL);
	/* a non-empty directory is refused for create */
	T_EQ(hf_store_local_open(dir, 1, &st), -HF_E_EXISTS);
	T_CHECK(st == NULL);

	/* an existing empty directory is fine for create */
	path_in(dir, sizeof(dir), "c2");
	T_EQ(mkdir(dir, 0700), 0);
	T_EQ(hf_store_local_open(dir, 1, &st), 0);
	hf_store_close(st);

	/* a directory holding one unrelated file is not empty */
	path_in(dir, sizeof(dir), "c3");
	T_EQ(mkdir(dir, 0700), 0);
	snprintf(sub, sizeof(sub), "%s/.hidden", dir);
	fd = open(sub, O_WRONLY | O_CREAT | O_EXCL, 0600);
	T_CHECK(fd >= 0);
	if (fd >= 0)
		close(fd);
	st = NULL;
	T_EQ(hf_store_local_open(dir, 1, &st), -HF_E_EXISTS);
	T_CHECK(st == NULL);
	T_EQ(count_entries(dir), 1); /* left alone */

	/* a regular file is no directory */
	T_CHECK(hf_store_local_open(sub, 1, &st) < 0);
	T_CHECK(hf_store_local_open(sub, 0, &st) < 0);

	/* missing directory, missing parent */
	path_in(dir, sizeof(dir), "nonexistent");
	T_EQ(hf_store_local_open(dir, 0, &st), -HF_E_NOTFOUND);
	path_in(dir, sizeof(dir), "nonexistent/deeper");
	T_CHECK(hf_store_local_open(dir, 1, &st) < 0);
	T_CHECK(st == NULL);

	/* with a config it opens; a missing tmp/ is recreated */
	st = open_new("c4");
	if (!st)
		return;
	T_EQ(hf_store_put(st, HF_OBJ_CONFIG, "config", "cfg\n", 4), 0);
	hf_store_close(st);
	path_in(dir, sizeof(dir), "c4/tmp");
	T_EQ(rmdir(dir), 0);
	path_in(dir, sizeof(dir), "c4");
	T_EQ(hf_store_local_open(dir, 0, &st), 0);
	if (st) {
		T_EQ(hf_store_put(st, HF_OBJ_KEY, "abcd", "k", 1), 0);
		hf_store_close(st);
	}
	hf_store_close(NULL); /* NULL-safe */
}

struct list_rec {
	char names[16][HF_STORE_NAME_MAX + 1];
	uint64_t sizes[16];
	int n;
	int stop_after;
};

static int list_cb(void *arg, const char *name, uint64_t size)
{
	struct list_rec *lr = arg;

	if (lr->n < 16) {
		snprintf(lr->names[lr->n], sizeof(lr->names[0]), "%s", name);
		lr->sizes[lr->n] = size;
	}
	lr->n++;
	if (lr->stop_after && lr->n >= lr->stop_after)
		return 42;
	return 0;
}

static int rec_find(const struct list_rec *lr, const char *name)
{
	for (int i = 0; i < lr->n && i < 16; i++)
		if (strcmp(lr->names[i], name) == 0)
			return i;
	return -1;
}

static void test_kinds(void)
{
	struct hf_store *st = open_new("k");
	uint8_t data[3][5000], part[100];
	char names[3][80];
	struct hf_buf b;

	if (!st)
		return;
	hf_buf_init(&b, 1 << 20);
	for (int i = 0; i < 3; i++)
		hf_random(data[i], sizeof(data[i]));
	for (int kind = 0; kind < HF_OBJ_KINDS; kind++) {
		int nobj = kind == HF_OBJ_CONFIG ? 1 : 3;
		struct list_rec lr = {0};
		uint64_t sz = 0;

		for (int i = 0; i < nobj; i++) {
			size_t len = (size_t)(1000 * (i + 1) + kind);
			name_for(kind, i, names[i], sizeof(names[i]));
			T_EQ(hf_store_put(st, kind, names[i], data[i], len), 0);
			T_EQ(hf_store_get(st, kind, names[i], &b), 0);
			T_EQ(b.len, len);
			T_CHECK(b.len == len && memcmp(b.data, data[i], len) == 0);
			T_EQ(hf_store_size(st, kind, names[i], &sz), 0);
			T_EQ(sz, len);
			memset(part, 0, sizeof(part));
			T_EQ(hf_store_get_range(st, kind, names[i], 17, sizeof(part), part), 0);
			T_MEMEQ(part, data[i] + 17, sizeof(part));
			/* the last byte exactly */
			T_EQ(hf_store_get_range(st, kind, names[i], len - 1, 1, part), 0);
			T_EQ(part[0], data[i][len - 1]);
		}
		if (kind == HF_OBJ_CONFIG) {
			T_EQ(hf_store_list(st, kind, list_cb, &lr), -HF_E_USAGE);
		} else {
			T_EQ(hf_store_list(st, kind, list_cb, &lr), 0);
			T_EQ(lr.n, nobj);
			for (int i = 0; i < nobj; i++) {
				int at = rec_find(&lr, names[i]);
				T_CHECK(at >= 0);
				if (at >= 0)
					T_EQ(lr.sizes[at], 1000 * (i + 1) + kind);
			}
			/* a non-zero return stops the listing and is passed back */
			memset(&lr, 0, sizeof(lr));
			lr.stop_after = 2;
			T_EQ(hf_store_list(st, kind, list_cb, &lr), 42);
			T_EQ(lr.n, 2);
		}
		/* remove: gone for get, size, get_range and list; second remove fails */
		T_EQ(hf_store_remove(st, kind, names[0]), 0);
		T_EQ(hf_store_get(st, kind, names[0], &b), -HF_E_NOTFOUND);
		T_EQ(hf_store_size(st, kind, names[0], &sz), -HF_E_NOTFOUND);
		T_EQ(hf_store_get_range(st, kind, names[0], 0, 1, part), -HF_E_NOTFOUND);
		T_EQ(hf_store_remove(st, kind, names[0]), -HF_E_NOTFOUND);
		if (kind != HF_OBJ_CONFIG) {
			memset(&lr, 0, sizeof(lr));
			T_EQ(hf_store_list(st, kind, list_cb, &lr), 0);
			T_EQ(lr.n, nobj - 1);
			T_EQ(rec_find(&lr, names[0]), -1);
		}
		/* a removed name can be put again */
		T_EQ(hf_store_put(st, kind, names[0], "again", 5), 0);
		T_EQ(hf_store_get(st, kind, names[0], &b), 0);
		T_CHECK(b.len == 5 && memcmp(b.data, "again", 5) == 0);
	}

	/* an empty object */
	T_EQ(hf_store_put(st, HF_OBJ_INDEX, "ee", "", 0), 0);
	T_EQ(hf_store_get(st, HF_OBJ_INDEX, "ee", &b), 0);
	T_EQ(b.len, 0);
	/* shortest and longest names */
	{
		char longest[65];
		memset(longest, 'f', 64);
		longest[64] = '\0';
		T_EQ(hf_store_put(st, HF_OBJ_PACK, longest, "x", 1), 0);
		T_EQ(hf_store_put(st, HF_OBJ_PACK, "0a", "y", 1), 0);
		T_EQ(hf_store_get(st, HF_OBJ_PACK, "0a", &b), 0);
		T_CHECK(b.len == 1 && b.data[0] == 'y');
	}
	/* a buffer whose max is too small: an error, not an overflow */
	{
		struct hf_buf small;
		hf_buf_init(&small, 100);
		name_for(HF_OBJ_SNAPSHOT, 1, names[1], sizeof(names[1]));
		T_EQ(hf_store_get(st, HF_OBJ_SNAPSHOT, names[1], &small), -HF_E_LIMIT);
		hf_buf_release(&small);
	}
	hf_buf_release(&b);
	hf_store_close(st);
}

static void test_put_exists(void)
{
	struct hf_store *st = open_new("e");
	char dir[512], name[80];
	struct hf_buf b;

	if (!st)
		return;
	hf_buf_init(&b, 1 << 20);
	for (int kind = 0; kind < HF_OBJ_KINDS; kind++) {
		name_for(kind, 7, name, sizeof(name));
		T_EQ(hf_store_put(st, kind, name, "first", 5), 0);
		T_EQ(hf_store_put(st, kind, name, "second!", 7), -HF_E_EXISTS);
		T_EQ(hf_store_put(st, kind, name, "first", 5), -HF_E_EXISTS); /* even the same bytes */
		T_EQ(hf_store_get(st, kind, name, &b), 0);
		T_CHECK(b.len == 5 && memcmp(b.data, "first", 5) == 0);
	}
	path_in(dir, sizeof(dir), "e/tmp");
	T_EQ(count_entries(dir), 0);
	hf_buf_release(&b);
	hf_store_close(st);
}

static void test_bad_names(void)
{
	struct hf_store *st;
	char dir[512], longname[300], name65[66];
	struct hf_buf b;
	struct list_rec lr = {0};
	uint64_t sz;
	uint8_t byte;
	struct {
		int kind;
		const char *name;
	} bad[] = {
		{HF_OBJ_KEY, ""},
		{HF_OBJ_KEY, "a"},
		{HF_OBJ_KEY, "ab/cd"},
		{HF_OBJ_KEY, "/etc/passwd"},
		{HF_OBJ_KEY, ".."},
		{HF_OBJ_KEY, "."},
		{HF_OBJ_KEY, "../ab"},
		{HF_OBJ_KEY, "../../escape"},
		{HF_OBJ_SNAPSHOT, "..%2f"},
		{HF_OBJ_INDEX, "AB"},
		{HF_OBJ_INDEX, "aB12"},
		{HF_OBJ_INDEX, "abcdeg"},
		{HF_OBJ_INDEX, "ab cd"},
		{HF_OBJ_INDEX, "abcd\n"},
		{HF_OBJ_INDEX, "-abc"},
		{HF_OBJ_PACK, "ab.tmp"},
		{HF_OBJ_PACK, "config"},
		{HF_OBJ_PACK, longname},
		{HF_OBJ_PACK, name65},
		{HF_OBJ_KEY, "config"},
		{HF_OBJ_CONFIG, "ab"},
		{HF_OBJ_CONFIG, "../config"},
		{HF_OBJ_CONFIG, "config/"},
		{HF_OBJ_CONFIG, ""},
		{-1, "abcd"},
		{HF_OBJ_KINDS, "abcd"},
		{1000, "abcd"},
	};

	path_in(dir, sizeof(dir), "n");
	T_EQ(mkdir(dir, 0700), 0);
	st = open_new("n/repo");
	if (!st)
		return;
	hf_buf_init(&b, 1 << 20);
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	memset(name65, 'b', 65);
	name65[65] = '\0';
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int kind = bad[i].kind;
		const char *name = bad[i].name;
		int r = hf_store_put(st, kind, name, "evil", 4);
		if (r != -HF_E_USAGE)
			fprintf(stderr, "put kind %d name \"%.70s\": %d\n", kind, name, r);
		T_EQ(r, -HF_E_USAGE);
		T_EQ(hf_store_get(st, kind, name, &b), -HF_E_USAGE);
		T_EQ(hf_store_get_range(st, kind, name, 0, 1, &byte), -HF_E_USAGE);
		T_EQ(hf_store_size(st, kind, name, &sz), -HF_E_USAGE);
		T_EQ(hf_store_remove(st, kind, name), -HF_E_USAGE);
	}
	T_EQ(hf_store_list(st, -1, list_cb, &lr), -HF_E_USAGE);
	T_EQ(hf_store_list(st, HF_OBJ_KINDS, list_cb, &lr), -HF_E_USAGE);
	T_EQ(lr.n, 0);
	/* nothing was created: not in the store, not next to it */
	path_in(dir, sizeof(dir), "n");
	T_EQ(count_entries(dir), 1);
	T_EQ(count_files(dir), 0);
	T_CHECK(access("/etc/passwd.tmp", F_OK) < 0);
	hf_buf_release(&b);
	hf_store_close(st);
}

/* listing skips what is not an object: junk names, directories, symlinks */
static void test_list_junk(void)
{
	struct hf_store *st = open_new("j");
	char path[512], target[512];
	struct list_rec lr = {0};
	struct hf_buf b;
	int fd;

	if (!st)
		return;
	hf_buf_init(&b, 1 << 20);
	T_EQ(hf_store_put(st, HF_OBJ_KEY, "aaaa", "key", 3), 0);
	path_in(path, sizeof(path), "j/keys/README");
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
	T_CHECK(fd >= 0);
	if (fd >= 0)
		close(fd);
	path_in(path, sizeof(path), "j/keys/bbbb");
	T_EQ(mkdir(path, 0700), 0);
	/* a symlink with a valid object name, pointing out of the store */
	path_in(target, sizeof(target), "outside");
	fd = open(target, O_WRONLY | O_CREAT | O_EXCL, 0644);
	T_CHECK(fd >= 0);
	if (fd >= 0) {
		T_EQ(write(fd, "secret", 6), 6);
		close(fd);
	}
	path_in(path, sizeof(path), "j/keys/cccc");
	T_EQ(symlink(target, path), 0);
	T_EQ(hf_store_list(st, HF_OBJ_KEY, list_cb, &lr), 0);
	T_EQ(lr.n, 1);
	T_EQ(rec_find(&lr, "aaaa"), 0);
	/* reading through the symlink is refused */
	T_CHECK(hf_store_get(st, HF_OBJ_KEY, "cccc", &b) < 0);
	T_CHECK(b.len == 0 || memcmp(b.data, "secret", 6) != 0);
	/* a pack in the wrong fan-out directory is not found under its name */
	T_EQ(hf_store_put(st, HF_OBJ_PACK, "abcdef", "p", 1), 0);
	path_in(path, sizeof(path), "j/data/ab/abcdef");
	{
		struct stat s;
		T_EQ(stat(path, &s), 0);
	}
	hf_buf_release(&b);
	hf_store_close(st);
}

static void test_get_range_bounds(void)
{
	struct hf_store *st = open_new("g");
	uint8_t buf[64], data[32];
	int r;

	if (!st)
		return;
	for (int i = 0; i < 32; i++)
		data[i] = (uint8_t)i;
	T_EQ(hf_store_put(st, HF_OBJ_PACK, "abab", data, sizeof(data)), 0);
	T_EQ(hf_store_get_range(st, HF_OBJ_PACK, "abab", 0, 32, buf), 0);
	T_MEMEQ(buf, data, 32);
	T_EQ(hf_store_get_range(st, HF_OBJ_PACK, "abab", 31, 1, buf), 0);
	T_EQ(buf[0], 31);
	/* every read that does not fit is an error */
	T_CHECK(hf_store_get_range(st, HF_OBJ_PACK, "abab", 0, 33, buf) < 0);
	T_CHECK(hf_store_get_range(st, HF_OBJ_PACK, "abab", 31, 2, buf) < 0);
	T_CHECK(hf_store_get_range(st, HF_OBJ_PACK, "abab", 32, 1, buf) < 0);
	T_CHECK(hf_store_get_range(st, HF_OBJ_PACK, "abab", 1000, 1, buf) < 0);
	T_CHECK(hf_store_get_range(st, HF_OBJ_PACK, "abab", (uint64_t)1 << 40, 8, buf) < 0);
	T_CHECK(hf_store_get_range(st, HF_OBJ_PACK, "abab", (uint64_t)INT64_MAX, 8, buf) < 0);
	T_CHECK(hf_store_get_range(st, HF_OBJ_PACK, "abab", UINT64_MAX, 1, buf) < 0);
	T_CHECK(hf_store_get_range(st, HF_OBJ_PACK, "abab", UINT64_MAX - 3, 8, buf) < 0);
	r = hf_store_get_range(st, HF_OBJ_PACK, "abab", 0, 64, buf);
	T_CHECK(r < 0);
	/* a zero-length read inside the object is harmless */
	T_CHECK(hf_store_get_range(st, HF_OBJ_PACK, "abab", 5, 0, buf) <= 0);
	hf_store_close(st);
}

static void test_readonly_and_tmp(void)
{
	struct hf_store *st = open_new("ro");
	char name[80], path[600], dir[512];
	struct stat s;

	if (!st)
		return;
	for (int kind = 0; kind < HF_OBJ_KINDS; kind++) {
		name_for(kind, 3, name, sizeof(name));
		T_EQ(hf_store_put(st, kind, name, "ro", 2), 0);
		if (kind == HF_OBJ_CONFIG)
			snprintf(path, sizeof(path), "%s/ro/config", g_base);
		else if (kind == HF_OBJ_PACK)
			snprintf(path, sizeof(path), "%s/ro/data/%.2s/%s", g_base, name, name);
		else
			snprintf(path, sizeof(path), "%s/ro/%s/%s", g_base, kind_names[kind], name);
		T_EQ(stat(path, &s), 0);
		T_CHECK(S_ISREG(s.st_mode));
		T_EQ(s.st_mode & 07777, 0444);
		T_EQ(s.st_size, 2);
	}
	for (int i = 0; i < 20; i++) {
		name_for(HF_OBJ_PACK, i + 10, name, sizeof(name));
		T_EQ(hf_store_put(st, HF_OBJ_PACK, name, name, strlen(name)), 0);
		T_EQ(hf_store_put(st, HF_OBJ_PACK, name, "x", 1), -HF_E_EXISTS);
	}
	/* puts without fsync (packs) behave the same, and a sync makes them durable */
	for (int i = 0; i < 5; i++) {
		name_for(HF_OBJ_PACK, i + 100, name, sizeof(name));
		T_EQ(hf_store_put_flags(st, HF_OBJ_PACK, name, "nosync", 6, HF_PUT_NOSYNC), 0);
		T_EQ(hf_store_put_flags(st, HF_OBJ_PACK, name, "other", 5, HF_PUT_NOSYNC), -HF_E_EXISTS);
		snprintf(path, sizeof(path), "%s/ro/data/%.2s/%s", g_base, name, name);
		T_EQ(stat(path, &s), 0);
		T_EQ(s.st_mode & 07777, 0444);
		T_EQ(s.st_size, 6);
	}
	T_EQ(hf_store_sync(st), 0);
	T_EQ(hf_store_put_flags(st, HF_OBJ_PACK, "../x", "evil", 4, HF_PUT_NOSYNC), -HF_E_USAGE);
	path_in(dir, sizeof(dir), "ro/tmp");
	T_EQ(count_entries(dir), 0);
	hf_store_close(st);
}

#define RACE_NAMES 40

struct race {
	struct hf_store *st;
	int id;
	int ok, exists, other;
};

static void *race_thread(void *arg)
{
	struct race *rc = arg;
	char name[80], body[16];

	snprintf(body, sizeof(body), "thread %d", rc->id);
	for (int i = 0; i < RACE_NAMES; i++) {
		int r;
		name_for(HF_OBJ_INDEX, i, name, sizeof(name));
		r = hf_store_put(rc->st, HF_OBJ_INDEX, name, body, strlen(body));
		if (r == 0)
			rc->ok++;
		else if (r == -HF_E_EXISTS)
			rc->exists++;
		else
			rc->other++;
	}
	return NULL;
}

/* two threads put the same 40 names: each name is won exactly once, and
 * each object holds one thread's whole content */
static void test_concurrent_puts(void)
{
	struct hf_store *st = open_new("race");
	struct race rc[2] = {{.st = st, .id = 0}, {.st = st, .id = 1}};
	pthread_t th[2];
	char name[80], dir[512];
	struct hf_buf b;

	if (!st)
		return;
	hf_buf_init(&b, 1 << 20);
	for (int i = 0; i < 2; i++)
		T_EQ(pthread_create(&th[i], NULL, race_thread, &rc[i]), 0);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	T_EQ(rc[0].ok + rc[1].ok, RACE_NAMES);
	T_EQ(rc[0].exists + rc[1].exists, RACE_NAMES);
	T_EQ(rc[0].other + rc[1].other, 0);
	for (int i = 0; i < RACE_NAMES; i++) {
		name_for(HF_OBJ_INDEX, i, name, sizeof(name));
		T_EQ(hf_store_get(st, HF_OBJ_INDEX, name, &b), 0);
		T_CHECK(b.len == 8 && (memcmp(b.data, "thread 0", 8) == 0 || memcmp(b.data, "thread 1", 8) == 0));
	}
	path_in(dir, sizeof(dir), "race/tmp");
	T_EQ(count_entries(dir), 0);
	hf_buf_release(&b);
	hf_store_close(st);
}

int main(void)
{
	if (hf_crypto_init() < 0) {
		printf("test_store: 0 passed, 1 failed\n");
		return 1;
	}
	umask(022);
	snprintf(g_base, sizeof(g_base), "/tmp/hf-test-store.XXXXXX");
	if (!mkdtemp(g_base)) {
		printf("test_store: 0 passed, 1 failed\n");
		return 1;
	}
	T_RUN(test_create_open);
	T_RUN(test_kinds);
	T_RUN(test_put_exists);
	T_RUN(test_bad_names);
	T_RUN(test_list_junk);
	T_RUN(test_get_range_bounds);
	T_RUN(test_readonly_and_tmp);
	T_RUN(test_concurrent_puts);
	t_rm_rf(g_base);
	return T_DONE("test_store");
}
