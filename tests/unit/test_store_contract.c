/* test_store_contract.c — the contract every store must pass, run against
 * each store hf_store_open knows (the local directory store and the memory
 * store): put/get/size/mtime/now/list, range reads in and out of bounds,
 * create-only puts, invalid names refused, many threads at once, streaming
 * writers (commit, abort, commit of an existing name), remove, reopen by
 * URL. Then what only the memory store can show: its faults, and that a
 * crash keeps every committed object intact and shows nothing half-written.
 * A new store adds a line to `stores` below. The S3 store joins them when
 * the environment names a server: S3_ENDPOINT (http://HOST:PORT), the
 * bucket S3_BUCKET (default holdfast-test, which must exist) and the AWS_*
 * credentials; each run uses a fresh prefix. S3_VERSIONED_BUCKET names a
 * bucket with versioning on, for the contract there too (tests/run.sh s3 sets it all
 * up against a real Ceph RGW). */
#include <errno.h>
#include <ftw.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "crypto/crypto.h"
#include "store/store.h"
#include "store/store_mem.h"
#include "t.h"
#include "t_fs.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/hex.h"
#include "util/mem.h"

static char g_base[256];
static int g_seq;

/* the store under test: its URL is prefix + a fresh name */
struct store_kind {
	const char *label;
	int local; /* 1: a directory; 2: an S3 bucket; 0: memory */
	/* racing puts of one name may all succeed (a versioned S3 bucket, where
	 * create-only is a HEAD before the PUT): one whole body still wins */
	int racy_create;
};
static const struct store_kind stores[] = {{"local", 1, 0}, {"mem", 0, 0}};
static const struct store_kind s3_kind = {"s3", 2, 0};
static const struct store_kind s3_versioned_kind = {"s3 (versioned bucket)", 2, 1};
static const struct store_kind *g_kind;
static char g_s3_base[300]; /* "s3:http://HOST:PORT/BUCKET/run-PID-TIME" */

static void fresh_url(char *out, size_t cap)
{
	if (g_kind->local == 1)
		snprintf(out, cap, "%s/s%d", g_base, ++g_seq);
	else if (g_kind->local == 2)
		snprintf(out, cap, "%s/s%d", g_s3_base, ++g_seq);
	else
		snprintf(out, cap, "mem:contract%d", ++g_seq);
}

/* the S3 store's base URL from the environment, in bucket (NULL: S3_BUCKET
 * or holdfast-test); 0 if no server is named */
static int s3_configured(const char *bucket)
{
	const char *ep = getenv("S3_ENDPOINT");

	if (!bucket)
		bucket = getenv("S3_BUCKET");
	if (!ep || !*ep || !getenv("AWS_ACCESS_KEY_ID") || !getenv("AWS_SECRET_ACCESS_KEY"))
		return 0;
	snprintf(g_s3_base, sizeof(g_s3_base), "s3:%s/%s/run-%d-%lld", ep, bucket && *bucket ? bucket : "holdfast-test",
		 (int)getpid(), (long long)time(NULL));
	return 1;
}

static struct hf_store *open_fresh(char *url, size_t cap)
{
	struct hf_store *st = NULL;

	fresh_url(url, cap);
	T_EQ(hf_store_open(url, 1, &st), 0);
	return st;
}

static void name_for(int kind, int i, char *out, size_t cap)
{
	if (kind == HF_OBJ_CONFIG)
		snprintf(out, cap, "config");
	else
		snprintf(out, cap, "%02x%062x", (unsigned)(0x10 * kind + i) & 0xff, (unsigned)i);
}

struct list_rec {
	char names[64][HF_STORE_NAME_MAX + 1];
	uint64_t sizes[64];
	int n;
};

static int list_cb(void *arg, const char *name, uint64_t size)
{
	struct list_rec *lr = arg;

	if (lr->n < 64) {
		snprintf(lr->names[lr->n], sizeof(lr->names[0]), "%s", name);
		lr->sizes[lr->n] = size;
	}
	lr->n++;
	return 0;
}

static int rec_find(const struct list_rec *lr, const char *name)
{
	for (int i = 0; i < lr->n && i < 64; i++)
		if (strcmp(lr->names[i], name) == 0)
			return i;
	return -1;
}

static void c_put_get_list(void)
{
	char url[512], names[3][80];
	struct hf_store *st = open_fresh(url, sizeof(url));
	uint8_t data[3][3000];
	struct hf_buf b;
	int64_t before = 0, after = 0, mt = 0;

	if (!st)
		return;
	hf_buf_init(&b, 1 << 20);
	for (int i = 0; i < 3; i++)
		hf_random(data[i], sizeof(data[i]));
	T_EQ(hf_store_now(st, &before), 0);
	for (int kind = 0; kind < HF_OBJ_KINDS; kind++) {
		int nobj = kind == HF_OBJ_CONFIG ? 1 : 3;
		struct list_rec lr = {0};
		for (int i = 0; i < nobj; i++) {
			uint64_t sz = 0;
			size_t len = (size_t)(500 * (i + 1) + kind);
			name_for(kind, i, names[i], sizeof(names[i]));
			T_EQ(hf_store_put(st, kind, names[i], data[i], len), 0);
			T_EQ(hf_store_get(st, kind, names[i], &b), 0);
			T_CHECK(b.len == len && memcmp(b.data, data[i], len) == 0);
			T_EQ(hf_store_size(st, kind, names[i], &sz), 0);
			T_EQ(sz, len);
			T_EQ(hf_store_mtime(st, kind, names[i], &mt), 0);
			/* file times tick coarser than the clock: a second of slack */
			T_CHECK(mt >= before - 1000000000LL);
		}
		if (kind == HF_OBJ_CONFIG) {
			T_EQ(hf_store_list(st, kind, list_cb, &lr), -HF_E_USAGE);
			continue;
		}
		T_EQ(hf_store_list(st, kind, list_cb, &lr), 0);
		T_EQ(lr.n, nobj);
		for (int i = 0; i < nobj; i++) {
			int at = rec_find(&lr, names[i]);
			T_CHECK(at >= 0);
			if (at >= 0)
				T_EQ(lr.sizes[at], 500 * (i + 1) + kind);
		}
	}
	T_EQ(hf_store_now(st, &after), 0);
	T_CHECK(after >= before);
	T_CHECK(mt <= after + 1000000000LL);
	/* missing objects */
	T_EQ(hf_store_get(st, HF_OBJ_KEY, "abcdef", &b), -HF_E_NOTFOUND);
	T_EQ(hf_store_mtime(st, HF_OBJ_KEY, "abcdef", &mt), -HF_E_NOTFOUND);
	/* an empty object */
	T_EQ(hf_store_put(st, HF_OBJ_INDEX, "ee", "", 0), 0);
	T_EQ(hf_store_get(st, HF_OBJ_INDEX, "ee", &b), 0);
	T_EQ(b.len, 0);
	/* a buffer too small: an error, not an overflow */
	{
		struct hf_buf small;
		hf_buf_init(&small, 100);
		name_for(HF_OBJ_SNAPSHOT, 2, names[2], sizeof(names[2]));
		T_EQ(hf_store_get(st, HF_OBJ_SNAPSHOT, names[2], &small), -HF_E_LIMIT);
		hf_buf_release(&small);
	}
	hf_buf_release(&b);
	hf_store_close(st);

	/* reopened by its URL, everything is there */
	T_EQ(hf_store_open(url, 0, &st), 0);
	if (st) {
		uint64_t sz = 0;
		name_for(HF_OBJ_PACK, 2, names[2], sizeof(names[2]));
		T_EQ(hf_store_size(st, HF_OBJ_PACK, names[2], &sz), 0);
		T_EQ(sz, 1500 + HF_OBJ_PACK);
		hf_store_close(st);
	}
	/* a second create of a store with objects is refused */
	st = NULL;
	T_EQ(hf_store_open(url, 1, &st), -HF_E_EXISTS);
	T_CHECK(st == NULL);
}

static void c_range(void)
{
	char url[512];
	struct hf_store *st = open_fresh(url, sizeof(url));
	struct hf_store_reader *rd = NULL;
	uint8_t data[32], buf[64];

	if (!st)
		return;
	for (int i = 0; i < 32; i++)
		data[i] = (uint8_t)i;
	T_EQ(hf_store_put(st, HF_OBJ_PACK, "abab", data, sizeof(data)), 0);
	T_EQ(hf_store_get_range(st, HF_OBJ_PACK, "abab", 0, 32, buf), 0);
	T_MEMEQ(buf, data, 32);
	T_EQ(hf_store_get_range(st, HF_OBJ_PACK, "abab", 31, 1, buf), 0);
	T_EQ(buf[0], 31);
	T_EQ(hf_store_get_range(st, HF_OBJ_PACK, "abab", 7, 9, buf), 0);
	T_MEMEQ(buf, data + 7, 9);
	T_CHECK(hf_store_get_range(st, HF_OBJ_PACK, "abab", 0, 33, buf) < 0);
	T_CHECK(hf_store_get_range(st, HF_OBJ_PACK, "abab", 31, 2, buf) < 0);
	T_CHECK(hf_store_get_range(st, HF_OBJ_PACK, "abab", 32, 1, buf) < 0);
	T_CHECK(hf_store_get_range(st, HF_OBJ_PACK, "abab", (uint64_t)1 << 40, 8, buf) < 0);
	T_CHECK(hf_store_get_range(st, HF_OBJ_PACK, "abab", UINT64_MAX, 1, buf) < 0);
	T_CHECK(hf_store_get_range(st, HF_OBJ_PACK, "abab", UINT64_MAX - 3, 8, buf) < 0);
	T_CHECK(hf_store_get_range(st, HF_OBJ_PACK, "abab", 5, 0, buf) <= 0);
	T_EQ(hf_store_get_range(st, HF_OBJ_PACK, "abcd", 0, 1, buf), -HF_E_NOTFOUND);
	/* the same through a reader */
	T_EQ(hf_store_reader_open(st, HF_OBJ_PACK, "abab", &rd), 0);
	if (rd) {
		T_EQ(hf_store_reader_read(rd, 3, 4, buf), 0);
		T_MEMEQ(buf, data + 3, 4);
		T_EQ(hf_store_reader_read(rd, 0, 32, buf), 0);
		T_CHECK(hf_store_reader_read(rd, 30, 3, buf) < 0);
		T_CHECK(hf_store_reader_read(rd, UINT64_MAX, 1, buf) < 0);
		hf_store_reader_close(rd);
	}
	rd = NULL;
	T_EQ(hf_store_reader_open(st, HF_OBJ_PACK, "abcd", &rd), -HF_E_NOTFOUND);
	T_CHECK(rd == NULL);
	hf_store_reader_close(NULL);
	hf_store_close(st);
}

static void c_create_only(void)
{
	char url[512], name[80];
	struct hf_store *st = open_fresh(url, sizeof(url));
	struct hf_buf b;

	if (!st)
		return;
	hf_buf_init(&b, 1 << 20);
	for (int kind = 0; kind < HF_OBJ_KINDS; kind++) {
		name_for(kind, 7, name, sizeof(name));
		T_EQ(hf_store_put(st, kind, name, "first", 5), 0);
		T_EQ(hf_store_put(st, kind, name, "second!", 7), -HF_E_EXISTS);
		T_EQ(hf_store_put(st, kind, name, "first", 5), -HF_E_EXISTS);
		T_EQ(hf_store_put_flags(st, kind, name, "third", 5, HF_PUT_NOSYNC), -HF_E_EXISTS);
		T_EQ(hf_store_get(st, kind, name, &b), 0);
		T_CHECK(b.len == 5 && memcmp(b.data, "first", 5) == 0);
	}
	hf_buf_release(&b);
	hf_store_close(st);
}

static void c_bad_names(void)
{
	char url[512], longname[300];
	struct hf_store *st = open_fresh(url, sizeof(url));
	struct hf_store_writer *w = NULL;
	struct hf_store_reader *rd = NULL;
	struct list_rec lr = {0};
	struct hf_buf b;
	uint64_t sz;
	int64_t ns;
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
		{HF_OBJ_KEY, "../ab"},
		{HF_OBJ_INDEX, "AB"},
		{HF_OBJ_INDEX, "abcdeg"},
		{HF_OBJ_INDEX, "abcd\n"},
		{HF_OBJ_PACK, "config"},
		{HF_OBJ_PACK, longname},
		{HF_OBJ_KEY, "config"},
		{HF_OBJ_CONFIG, "ab"},
		{HF_OBJ_CONFIG, "config/"},
		{-1, "abcd"},
		{HF_OBJ_KINDS, "abcd"},
		{1000, "abcd"},
	};

	if (!st)
		return;
	hf_buf_init(&b, 1 << 20);
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int kind = bad[i].kind;
		const char *name = bad[i].name;
		T_EQ(hf_store_put(st, kind, name, "evil", 4), -HF_E_USAGE);
		T_EQ(hf_store_get(st, kind, name, &b), -HF_E_USAGE);
		T_EQ(hf_store_get_range(st, kind, name, 0, 1, &byte), -HF_E_USAGE);
		T_EQ(hf_store_size(st, kind, name, &sz), -HF_E_USAGE);
		T_EQ(hf_store_mtime(st, kind, name, &ns), -HF_E_USAGE);
		T_EQ(hf_store_remove(st, kind, name), -HF_E_USAGE);
		T_EQ(hf_store_reader_open(st, kind, name, &rd), -HF_E_USAGE);
		if (kind >= 0 && kind < HF_OBJ_KINDS) {
			T_EQ(hf_store_writer_open(st, kind, &w), 0);
			if (w) {
				T_EQ(hf_store_writer_write(w, "evil", 4), 0);
				T_EQ(hf_store_writer_commit(w, name, 0), -HF_E_USAGE);
			}
		} else {
			T_EQ(hf_store_writer_open(st, kind, &w), -HF_E_USAGE);
		}
		w = NULL;
	}
	T_EQ(hf_store_list(st, -1, list_cb, &lr), -HF_E_USAGE);
	T_EQ(hf_store_list(st, HF_OBJ_KINDS, list_cb, &lr), -HF_E_USAGE);
	for (int kind = 1; kind < HF_OBJ_KINDS; kind++)
		T_EQ(hf_store_list(st, kind, list_cb, &lr), 0);
	T_EQ(lr.n, 0); /* nothing was stored */
	hf_buf_release(&b);
	hf_store_close(st);
}

#define THREADS 4
#define PER_THREAD 25

struct worker {
	struct hf_store *st;
	int id;
	int ok, exists, other, badread;
};

/* each thread puts its own names, then races the others for shared ones,
 * then reads back everything it wrote */
static void *worker_thread(void *arg)
{
	struct worker *wk = arg;
	char name[80], body[64];
	struct hf_buf b;

	hf_buf_init(&b, 1 << 16);
	for (int i = 0; i < PER_THREAD; i++) {
		int len = snprintf(body, sizeof(body), "own %d/%d", wk->id, i);
		name_for(HF_OBJ_PACK, 100 * (wk->id + 1) + i, name, sizeof(name));
		if (hf_store_put_flags(wk->st, HF_OBJ_PACK, name, body, (size_t)len, i & 1 ? HF_PUT_NOSYNC : 0) != 0)
			wk->other++;
	}
	for (int i = 0; i < PER_THREAD; i++) {
		int r, len = snprintf(body, sizeof(body), "shared by %d", wk->id);
		name_for(HF_OBJ_INDEX, i, name, sizeof(name));
		if (i & 1) {
			struct hf_store_writer *w = NULL;
			r = hf_store_writer_open(wk->st, HF_OBJ_INDEX, &w);
			if (r == 0)
				r = hf_store_writer_write(w, body, (size_t)len);
			if (r == 0)
				r = hf_store_writer_commit(w, name, 0);
			else
				hf_store_writer_abort(w);
		} else {
			r = hf_store_put(wk->st, HF_OBJ_INDEX, name, body, (size_t)len);
		}
		if (r == 0)
			wk->ok++;
		else if (r == -HF_E_EXISTS)
			wk->exists++;
		else
			wk->other++;
	}
	for (int i = 0; i < PER_THREAD; i++) {
		int len = snprintf(body, sizeof(body), "own %d/%d", wk->id, i);
		name_for(HF_OBJ_PACK, 100 * (wk->id + 1) + i, name, sizeof(name));
		if (hf_store_get(wk->st, HF_OBJ_PACK, name, &b) != 0 || b.len != (size_t)len ||
		    memcmp(b.data, body, (size_t)len) != 0)
			wk->badread++;
	}
	if (hf_store_sync(wk->st) != 0)
		wk->other++;
	hf_buf_release(&b);
	return NULL;
}

static void c_threads(void)
{
	char url[512], name[80];
	struct hf_store *st = open_fresh(url, sizeof(url));
	struct worker wk[THREADS];
	pthread_t th[THREADS];
	int ok = 0, exists = 0;
	struct list_rec lr = {0};
	struct hf_buf b;

	if (!st)
		return;
	hf_buf_init(&b, 1 << 16);
	for (int i = 0; i < THREADS; i++) {
		wk[i] = (struct worker){.st = st, .id = i};
		T_EQ(pthread_create(&th[i], NULL, worker_thread, &wk[i]), 0);
	}
	for (int i = 0; i < THREADS; i++) {
		pthread_join(th[i], NULL);
		T_EQ(wk[i].other, 0);
		T_EQ(wk[i].badread, 0);
		ok += wk[i].ok;
		exists += wk[i].exists;
	}
	/* each shared name won exactly once, and holds one winner's whole body */
	if (g_kind->racy_create) {
		T_CHECK(ok >= PER_THREAD);
		T_EQ(ok + exists, THREADS * PER_THREAD);
	} else {
		T_EQ(ok, PER_THREAD);
		T_EQ(exists, (THREADS - 1) * PER_THREAD);
	}
	for (int i = 0; i < PER_THREAD; i++) {
		name_for(HF_OBJ_INDEX, i, name, sizeof(name));
		T_EQ(hf_store_get(st, HF_OBJ_INDEX, name, &b), 0);
		T_CHECK(b.len == 11 && memcmp(b.data, "shared by ", 10) == 0 && b.data[10] >= '0' &&
			b.data[10] < '0' + THREADS);
	}
	T_EQ(hf_store_list(st, HF_OBJ_INDEX, list_cb, &lr), 0);
	T_EQ(lr.n, PER_THREAD);
	hf_buf_release(&b);
	hf_store_close(st);
}

static void c_writers(void)
{
	char url[512];
	struct hf_store *st = open_fresh(url, sizeof(url));
	struct hf_store_writer *w = NULL;
	struct list_rec lr = {0};
	struct hf_buf b;
	enum { BIG = 900000 };
	uint8_t *big = hf_xmalloc(BIG);

	if (!st) {
		free(big);
		return;
	}
	hf_buf_init(&b, 1 << 20);
	hf_random(big, BIG);
	/* commit: the object appears whole under its name. Small pieces, then
	 * one larger than a writer may gather (local: 64 KiB), then small
	 * ones again past a full buffer */
	T_EQ(hf_store_writer_open(st, HF_OBJ_PACK, &w), 0);
	if (w) {
		size_t off = 0;
		while (off < BIG) {
			size_t n = off == 210000 ? 300000 : 7000;
			if (n > BIG - off)
				n = BIG - off;
			T_EQ(hf_store_writer_write(w, big + off, n), 0);
			off += n;
		}
		T_EQ(hf_store_list(st, HF_OBJ_PACK, list_cb, &lr), 0);
		T_EQ(lr.n, 0); /* nothing visible before commit */
		T_EQ(hf_store_writer_commit(w, "aa11", HF_PUT_NOSYNC), 0);
	}
	T_EQ(hf_store_sync(st), 0);
	T_EQ(hf_store_get(st, HF_OBJ_PACK, "aa11", &b), 0);
	T_CHECK(b.len == BIG && memcmp(b.data, big, BIG) == 0);
	/* abort: nothing stored */
	w = NULL;
	T_EQ(hf_store_writer_open(st, HF_OBJ_PACK, &w), 0);
	if (w) {
		T_EQ(hf_store_writer_write(w, "gone", 4), 0);
		hf_store_writer_abort(w);
	}
	hf_store_writer_abort(NULL);
	memset(&lr, 0, sizeof(lr));
	T_EQ(hf_store_list(st, HF_OBJ_PACK, list_cb, &lr), 0);
	T_EQ(lr.n, 1);
	/* commit of an existing name: refused, the old content stays */
	w = NULL;
	T_EQ(hf_store_writer_open(st, HF_OBJ_PACK, &w), 0);
	if (w) {
		T_EQ(hf_store_writer_write(w, "intruder", 8), 0);
		T_EQ(hf_store_writer_commit(w, "aa11", 0), -HF_E_EXISTS);
	}
	T_EQ(hf_store_get(st, HF_OBJ_PACK, "aa11", &b), 0);
	T_CHECK(b.len == BIG && memcmp(b.data, big, BIG) == 0);
	/* with HF_PUT_NOSYNC the refusal may come at commit or not at all (a
	 * store that PUTs in the background takes the name as the content's
	 * hash): either way the old content stays */
	w = NULL;
	T_EQ(hf_store_writer_open(st, HF_OBJ_PACK, &w), 0);
	if (w) {
		int r;
		T_EQ(hf_store_writer_write(w, "intruder", 8), 0);
		r = hf_store_writer_commit(w, "aa11", HF_PUT_NOSYNC);
		T_CHECK(r == 0 || r == -HF_E_EXISTS);
	}
	T_EQ(hf_store_sync(st), 0);
	T_EQ(hf_store_get(st, HF_OBJ_PACK, "aa11", &b), 0);
	T_CHECK(b.len == BIG && memcmp(b.data, big, BIG) == 0);
	/* more unsynced commits than any store sends at once: each one whole
	 * after the sync */
	for (int i = 0; i < 20; i++) {
		char name[16];
		snprintf(name, sizeof(name), "bb%02d", i);
		w = NULL;
		T_EQ(hf_store_writer_open(st, HF_OBJ_PACK, &w), 0);
		if (w) {
			T_EQ(hf_store_writer_write(w, big + i, 100000 - (size_t)i), 0);
			T_EQ(hf_store_writer_commit(w, name, HF_PUT_NOSYNC), 0);
		}
	}
	T_EQ(hf_store_sync(st), 0);
	for (int i = 0; i < 20; i++) {
		char name[16];
		snprintf(name, sizeof(name), "bb%02d", i);
		T_EQ(hf_store_get(st, HF_OBJ_PACK, name, &b), 0);
		T_CHECK(b.len == 100000 - (size_t)i && memcmp(b.data, big + i, b.len) == 0);
	}
	/* past what a writer keeps in memory (S3: 8 MiB, then a spool file
	 * hashed at commit, the name not being the hash): stored whole */
	w = NULL;
	T_EQ(hf_store_writer_open(st, HF_OBJ_PACK, &w), 0);
	if (w) {
		for (int i = 0; i < 11; i++)
			T_EQ(hf_store_writer_write(w, big, BIG), 0);
		T_EQ(hf_store_writer_commit(w, "cc00", 0), 0);
	}
	{
		struct hf_buf whole;
		hf_buf_init(&whole, 16u << 20);
		T_EQ(hf_store_get(st, HF_OBJ_PACK, "cc00", &whole), 0);
		T_EQ(whole.len, 11 * (size_t)BIG);
		for (int i = 0; i < 11 && whole.len == 11 * (size_t)BIG; i++)
			T_CHECK(memcmp(whole.data + (size_t)i * BIG, big, BIG) == 0);
		hf_buf_release(&whole);
	}
	/* named by the SHA-256 of its bytes: stored whole; an S3 store sends
	 * the name as the payload's hash, and a name that is not the hash is
	 * refused by the server, nothing stored */
	{
		uint8_t h[HF_HASH_LEN];
		char hex[2 * HF_HASH_LEN + 1], wrong[2 * HF_HASH_LEN + 1];
		hf_sha256(big, 500000, h);
		hf_hex_encode(h, HF_HASH_LEN, hex);
		w = NULL;
		T_EQ(hf_store_writer_open(st, HF_OBJ_PACK, &w), 0);
		if (w) {
			T_EQ(hf_store_writer_write(w, big, 500000), 0);
			T_EQ(hf_store_writer_commit(w, hex, HF_PUT_NAMED_BY_SHA256), 0);
		}
		T_EQ(hf_store_get(st, HF_OBJ_PACK, hex, &b), 0);
		T_CHECK(b.len == 500000 && memcmp(b.data, big, b.len) == 0);
		if (g_kind->local == 2) {
			memset(wrong, 'f', sizeof(wrong) - 1);
			wrong[sizeof(wrong) - 1] = '\0';
			w = NULL;
			T_EQ(hf_store_writer_open(st, HF_OBJ_PACK, &w), 0);
			if (w) {
				T_EQ(hf_store_writer_write(w, big, 500000), 0);
				T_CHECK(hf_store_writer_commit(w, wrong, HF_PUT_NAMED_BY_SHA256) < 0);
			}
			T_EQ(hf_store_get(st, HF_OBJ_PACK, wrong, &b), -HF_E_NOTFOUND);
		}
	}
	/* an empty object through a writer */
	w = NULL;
	T_EQ(hf_store_writer_open(st, HF_OBJ_INDEX, &w), 0);
	if (w)
		T_EQ(hf_store_writer_commit(w, "00", 0), 0);
	T_EQ(hf_store_get(st, HF_OBJ_INDEX, "00", &b), 0);
	T_EQ(b.len, 0);
	hf_buf_release(&b);
	hf_store_close(st);
	free(big);
}

static void c_remove(void)
{
	char url[512];
	struct hf_store *st = open_fresh(url, sizeof(url));
	struct list_rec lr = {0};
	struct hf_buf b;
	uint64_t sz;

	if (!st)
		return;
	hf_buf_init(&b, 1 << 20);
	T_CHECK(hf_store_caps(st) & HF_STORE_CAN_DELETE);
	T_EQ(hf_store_put(st, HF_OBJ_PENDING, "abcd", "p", 1), 0);
	T_EQ(hf_store_put(st, HF_OBJ_PENDING, "abce", "q", 1), 0);
	T_EQ(hf_store_remove(st, HF_OBJ_PENDING, "abcd"), 0);
	T_EQ(hf_store_get(st, HF_OBJ_PENDING, "abcd", &b), -HF_E_NOTFOUND);
	T_EQ(hf_store_size(st, HF_OBJ_PENDING, "abcd", &sz), -HF_E_NOTFOUND);
	T_EQ(hf_store_remove(st, HF_OBJ_PENDING, "abcd"), -HF_E_NOTFOUND);
	T_EQ(hf_store_list(st, HF_OBJ_PENDING, list_cb, &lr), 0);
	T_EQ(lr.n, 1);
	T_EQ(rec_find(&lr, "abce"), 0);
	/* a removed name can be put again */
	T_EQ(hf_store_put(st, HF_OBJ_PENDING, "abcd", "again", 5), 0);
	T_EQ(hf_store_get(st, HF_OBJ_PENDING, "abcd", &b), 0);
	T_CHECK(b.len == 5 && memcmp(b.data, "again", 5) == 0);
	hf_buf_release(&b);
	hf_store_close(st);
}

static void run_contract(const struct store_kind *k)
{
	g_kind = k;
	fprintf(stderr, "-- store: %s\n", k->label);
	T_RUN(c_put_get_list);
	T_RUN(c_range);
	T_RUN(c_create_only);
	T_RUN(c_bad_names);
	T_RUN(c_threads);
	T_RUN(c_writers);
	T_RUN(c_remove);
}

/* ---- URLs ---------------------------------------------------------------- */

static void test_urls(void)
{
	char url[600], cwd[512];
	struct hf_store *st = NULL;

	/* file:/abs and file:///abs reach the same local store as the path */
	snprintf(url, sizeof(url), "file:%s/u1", g_base);
	T_EQ(hf_store_open(url, 1, &st), 0);
	if (st) {
		T_EQ(hf_store_put(st, HF_OBJ_CONFIG, "config", "c", 1), 0);
		T_EQ(hf_store_caps(st), HF_STORE_CAN_DELETE);
		hf_store_close(st);
	}
	snprintf(url, sizeof(url), "file://%s/u1", g_base);
	T_EQ(hf_store_open(url, 0, &st), 0);
	hf_store_close(st);
	snprintf(url, sizeof(url), "%s/u1", g_base);
	T_EQ(hf_store_open(url, 0, &st), 0);
	hf_store_close(st);
	/* a relative path */
	T_CHECK(getcwd(cwd, sizeof(cwd)) != NULL);
	T_EQ(chdir(g_base), 0);
	T_EQ(hf_store_open("u1", 0, &st), 0);
	hf_store_close(st);
	T_EQ(hf_store_open("u:2", 1, &st), 0); /* a colon alone makes no scheme */
	hf_store_close(st);
	T_EQ(chdir(cwd), 0);
	/* schemes that do not exist yet, or never: a clear error naming what does */
	st = NULL;
	T_EQ(hf_store_open("https://backup.example/repo", 0, &st), -HF_E_USAGE); /* a server needs a token */
	{
		struct hf_store_opts o = {.token = "hft1_x_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"};
		T_EQ(hf_store_open_opts("http://backup.example/repo", 0, &o, &st), -HF_E_USAGE); /* in the clear */
		T_EQ(hf_store_open_opts("https://backup.example/", 0, &o, &st), -HF_E_USAGE);    /* no repository */
		T_EQ(hf_store_open_opts("https://backup.example/a/b", 0, &o, &st), -HF_E_USAGE);
	}
	/* s3: URLs that are not s3:http[s]://HOST[:PORT]/BUCKET[/PREFIX], each with its reason */
	{
		static const char *const bad_s3[] = {
			"s3://bucket/repo",
			"s3:bucket",
			"s3:http://host",
			"s3:http://host/",
			"s3:ftp://host/bucket",
			"s3:http://user@host/bucket",
			"s3:http://host/BUCKET",
			"s3:http://host/ab",
			"s3:http://host/bucket/../x",
			"s3:http://host/bucket/a//b",
			"s3:http://host/bucket/a b",
			"s3:http://host/bucket/./x",
			"s3:http://host/bucket?x=1",
		};
		char why[256];
		struct hf_store_opts o = {.why = why, .why_cap = sizeof(why)};
		for (size_t i = 0; i < sizeof(bad_s3) / sizeof(bad_s3[0]); i++) {
			why[0] = '\0';
			T_EQ(hf_store_open_opts(bad_s3[i], 1, &o, &st), -HF_E_USAGE);
			T_CHECK(why[0] != '\0');
		}
		T_EQ(hf_store_open("s3:http://host/", 1, &st), -HF_E_USAGE); /* no options: no sentence, no crash */
	}
	T_EQ(hf_store_open("ftp://host/x", 0, &st), -HF_E_SCHEME);
	T_CHECK(st == NULL);
	T_CHECK(strstr(hf_strerror(-HF_E_SCHEME), "file:") != NULL);
	T_CHECK(strstr(hf_strerror(-HF_E_SCHEME), "s3:") != NULL);
	T_EQ(hf_store_open("file://otherhost/x", 0, &st), -HF_E_USAGE);
	T_EQ(hf_store_open("file:relative", 0, &st), -HF_E_USAGE);
	T_EQ(hf_store_open("", 0, &st), -HF_E_USAGE);
	/* mem: one instance per name, reachable again after close */
	T_EQ(hf_store_open("mem:url", 0, &st), -HF_E_NOTFOUND);
	T_EQ(hf_store_open("mem:url", 1, &st), 0);
	if (st) {
		T_EQ(hf_store_put(st, HF_OBJ_CONFIG, "config", "c", 1), 0);
		T_CHECK(strcmp(st->location, "mem:url") == 0);
		hf_store_close(st);
	}
	T_EQ(hf_store_open("mem:url", 0, &st), 0);
	hf_store_close(st);
	T_EQ(hf_store_open("mem:", 1, &st), -HF_E_USAGE);
	T_EQ(hf_store_mem_destroy("url"), 0);
	T_EQ(hf_store_mem_destroy("url"), -HF_E_NOTFOUND);
}

/* ---- what only the S3 store has: its open errors, with a reason ------------ */

static void test_s3_open(void)
{
	char url[700], why[300], saved[128];
	struct hf_store_opts o = {.why = why, .why_cap = sizeof(why)};
	struct hf_store *st = NULL;
	const char *secret = getenv("AWS_SECRET_ACCESS_KEY");

	/* a prefix without a config object is no repository */
	snprintf(url, sizeof(url), "%s/none", g_s3_base);
	T_EQ(hf_store_open_opts(url, 0, &o, &st), -HF_E_NOTFOUND);
	T_CHECK(strstr(why, "no holdfast repository") != NULL);
	/* a bucket that does not exist, created or opened */
	snprintf(url, sizeof(url), "s3:%s/no-such-bucket-%d/x", getenv("S3_ENDPOINT"), (int)getpid());
	T_EQ(hf_store_open_opts(url, 1, &o, &st), -HF_E_NOTFOUND);
	T_CHECK(strstr(why, "does not exist") != NULL);
	T_EQ(hf_store_open_opts(url, 0, &o, &st), -HF_E_NOTFOUND);
	/* a wrong secret key, an unknown access key: refused, and said so */
	snprintf(saved, sizeof(saved), "%s", secret);
	setenv("AWS_SECRET_ACCESS_KEY", "wrong-secret-key-0000000000000000000000", 1);
	snprintf(url, sizeof(url), "%s/wrong", g_s3_base);
	T_EQ(hf_store_open_opts(url, 1, &o, &st), -HF_E_REFUSED);
	T_CHECK(strstr(why, "secret key") != NULL);
	setenv("AWS_SECRET_ACCESS_KEY", saved, 1);
	snprintf(saved, sizeof(saved), "%s", getenv("AWS_ACCESS_KEY_ID"));
	setenv("AWS_ACCESS_KEY_ID", "NOSUCHACCESSKEY00000", 1);
	T_EQ(hf_store_open_opts(url, 1, &o, &st), -HF_E_REFUSED);
	T_CHECK(strstr(why, "access key id") != NULL);
	setenv("AWS_ACCESS_KEY_ID", saved, 1);
	/* no server listening: unavailable (after the retries) */
	T_EQ(hf_store_open_opts("s3:http://127.0.0.1:9/bucket/x", 0, &o, &st), -HF_E_UNAVAILABLE);
	T_CHECK(strstr(why, "cannot reach") != NULL);
	T_CHECK(st == NULL);
}

/* more objects than one ListObjectsV2 page holds (1000): the continuation
 * tokens carry the listing to the end, each object once */
static int count_cb(void *arg, const char *name, uint64_t size)
{
	int *n = arg;

	(void)name;
	if (size == 4)
		(*n)++;
	return 0;
}

static void test_s3_pages(void)
{
	char url[512], name[80];
	struct hf_store *st = open_fresh(url, sizeof(url));
	int n = 0, bad = 0;

	if (!st)
		return;
	for (int i = 0; i < 1234; i++) {
		snprintf(name, sizeof(name), "%08x", (unsigned)i);
		if (hf_store_put(st, HF_OBJ_PENDING, name, "page", 4) != 0)
			bad++;
	}
	T_EQ(bad, 0);
	T_EQ(hf_store_list(st, HF_OBJ_PENDING, count_cb, &n), 0);
	T_EQ(n, 1234);
	hf_store_close(st);
}

/* ---- the memory store's faults --------------------------------------------- */

static void test_mem_faults(void)
{
	struct hf_store *st = NULL;
	struct hf_store_writer *w = NULL;
	struct hf_buf b;
	uint64_t n = 0;
	int64_t ns = 0;

	T_EQ(hf_store_open("mem:faults", 1, &st), 0);
	if (!st)
		return;
	hf_buf_init(&b, 1 << 20);
	/* the Nth operation fails once, with the error asked for, doing nothing */
	T_EQ(hf_store_mem_ops("faults", &n), 0);
	T_EQ(hf_store_mem_fail_at("faults", n + 2, -HF_E_UNAVAILABLE), 0);
	T_EQ(hf_store_put(st, HF_OBJ_KEY, "aaaa", "1", 1), 0);
	T_EQ(hf_store_put(st, HF_OBJ_KEY, "bbbb", "2", 1), -HF_E_UNAVAILABLE);
	T_EQ(hf_store_put(st, HF_OBJ_KEY, "bbbb", "2", 1), 0);
	/* every operation of a kind: reads fail, writes work */
	T_EQ(hf_store_mem_fail_every("faults", HF_MEM_READS, -EIO), 0);
	T_EQ(hf_store_get(st, HF_OBJ_KEY, "aaaa", &b), -EIO);
	T_EQ(hf_store_put(st, HF_OBJ_KEY, "cccc", "3", 1), 0);
	T_EQ(hf_store_mem_fail_every("faults", 0, 0), 0);
	T_EQ(hf_store_get(st, HF_OBJ_KEY, "aaaa", &b), 0);
	/* refused and locked deletes leave the object */
	T_EQ(hf_store_mem_fail_every("faults", HF_MEM_OP(HF_MEM_REMOVE), -HF_E_REFUSED), 0);
	T_EQ(hf_store_remove(st, HF_OBJ_KEY, "aaaa"), -HF_E_REFUSED);
	T_EQ(hf_store_mem_fail_every("faults", HF_MEM_OP(HF_MEM_REMOVE), -HF_E_LOCKED), 0);
	T_EQ(hf_store_remove(st, HF_OBJ_KEY, "aaaa"), -HF_E_LOCKED);
	T_EQ(hf_store_mem_fail_every("faults", 0, 0), 0);
	T_EQ(hf_store_get(st, HF_OBJ_KEY, "aaaa", &b), 0);
	/* a store without delete capability refuses by itself */
	T_EQ(hf_store_mem_set_caps("faults", HF_STORE_APPEND_ONLY | HF_STORE_OWN_CLOCK), 0);
	T_EQ(hf_store_remove(st, HF_OBJ_KEY, "aaaa"), -HF_E_REFUSED);
	T_EQ(hf_store_mem_set_caps("faults", HF_STORE_CAN_DELETE | HF_STORE_OWN_CLOCK), 0);
	/* a short write: half the bytes, an error */
	T_EQ(hf_store_writer_open(st, HF_OBJ_PACK, &w), 0);
	T_EQ(hf_store_mem_ops("faults", &n), 0);
	T_EQ(hf_store_mem_short_write_at("faults", n + 1), 0);
	if (w) {
		T_EQ(hf_store_writer_write(w, "0123456789", 10), -EIO);
		hf_store_writer_abort(w);
	}
	/* a full disk */
	T_EQ(hf_store_mem_full_after("faults", 100), 0);
	{
		uint8_t big[200] = {0};
		T_EQ(hf_store_put(st, HF_OBJ_PACK, "dddd", big, sizeof(big)), -ENOSPC);
		T_EQ(hf_store_get(st, HF_OBJ_PACK, "dddd", &b), -HF_E_NOTFOUND);
		w = NULL;
		T_EQ(hf_store_writer_open(st, HF_OBJ_PACK, &w), 0);
		if (w) {
			T_EQ(hf_store_writer_write(w, big, 50), 0);
			T_EQ(hf_store_writer_write(w, big, 150), -ENOSPC);
			hf_store_writer_abort(w);
		}
		T_EQ(hf_store_put(st, HF_OBJ_PACK, "dddd", big, 50), 0); /* the abort gave the space back */
		T_EQ(hf_store_mem_full_after("faults", UINT64_MAX), 0);
	}
	/* the clock: now() and new objects' mtime follow it */
	T_EQ(hf_store_mem_set_clock("faults", 1000000000LL * 86400 * 365), 0);
	T_EQ(hf_store_now(st, &ns), 0);
	T_EQ(ns, 1000000000LL * 86400 * 365);
	T_EQ(hf_store_put(st, HF_OBJ_PENDING, "eeee", "x", 1), 0);
	T_EQ(hf_store_mtime(st, HF_OBJ_PENDING, "eeee", &ns), 0);
	T_EQ(ns, 1000000000LL * 86400 * 365);
	T_EQ(hf_store_mem_set_clock("faults", 1000000000LL * 86400 * 366), 0);
	T_EQ(hf_store_now(st, &ns), 0);
	T_EQ(ns, 1000000000LL * 86400 * 366);
	hf_buf_release(&b);
	hf_store_close(st);
	T_EQ(hf_store_mem_fail_at("nosuch", 1, -EIO), -HF_E_NOTFOUND);
	T_EQ(hf_store_mem_destroy("faults"), 0);
}

/* a crash keeps every committed object, loses unsynced NOSYNC puts and open
 * writers, and shows nothing half-written */
static void test_mem_crash(void)
{
	struct hf_store *st = NULL;
	struct hf_store_writer *w = NULL;
	struct list_rec lr = {0};
	struct hf_buf b;
	uint64_t n = 0;

	T_EQ(hf_store_open("mem:crash", 1, &st), 0);
	if (!st)
		return;
	hf_buf_init(&b, 1 << 20);
	T_EQ(hf_store_put(st, HF_OBJ_CONFIG, "config", "cfg", 3), 0);
	T_EQ(hf_store_put(st, HF_OBJ_INDEX, "1111", "durable", 7), 0);
	T_EQ(hf_store_put_flags(st, HF_OBJ_PACK, "2222", "synced", 6, HF_PUT_NOSYNC), 0);
	T_EQ(hf_store_sync(st), 0);
	T_EQ(hf_store_put_flags(st, HF_OBJ_PACK, "3333", "unsynced", 8, HF_PUT_NOSYNC), 0);
	T_EQ(hf_store_writer_open(st, HF_OBJ_PACK, &w), 0);
	if (w)
		T_EQ(hf_store_writer_write(w, "half", 4), 0);
	T_EQ(hf_store_mem_ops("crash", &n), 0);
	T_EQ(hf_store_mem_crash_at("crash", n + 2), 0);
	T_EQ(hf_store_put(st, HF_OBJ_INDEX, "4444", "before", 6), 0);
	T_EQ(hf_store_mem_crashed("crash"), 0);
	T_EQ(hf_store_put(st, HF_OBJ_INDEX, "5555", "at", 2), -EIO);
	T_EQ(hf_store_mem_crashed("crash"), 1);
	T_EQ(hf_store_get(st, HF_OBJ_INDEX, "1111", &b), -EIO); /* everything fails now */
	if (w)
		T_EQ(hf_store_writer_commit(w, "6666", 0), -EIO);
	hf_store_close(st);
	T_EQ(hf_store_open("mem:crash", 0, &st), -EIO);
	/* the reboot */
	T_EQ(hf_store_mem_restart("crash"), 0);
	st = NULL;
	T_EQ(hf_store_open("mem:crash", 0, &st), 0);
	if (!st)
		return;
	T_EQ(hf_store_get(st, HF_OBJ_INDEX, "1111", &b), 0);
	T_CHECK(b.len == 7 && memcmp(b.data, "durable", 7) == 0);
	T_EQ(hf_store_get(st, HF_OBJ_PACK, "2222", &b), 0);
	T_CHECK(b.len == 6 && memcmp(b.data, "synced", 6) == 0);
	T_EQ(hf_store_get(st, HF_OBJ_INDEX, "4444", &b), 0);
	T_EQ(hf_store_get(st, HF_OBJ_PACK, "3333", &b), -HF_E_NOTFOUND);
	T_EQ(hf_store_get(st, HF_OBJ_INDEX, "5555", &b), -HF_E_NOTFOUND);
	T_EQ(hf_store_get(st, HF_OBJ_PACK, "6666", &b), -HF_E_NOTFOUND);
	T_EQ(hf_store_list(st, HF_OBJ_PACK, list_cb, &lr), 0);
	T_EQ(lr.n, 1);
	/* a writer opened before the crash stays lost after the reboot */
	hf_buf_release(&b);
	hf_store_close(st);
	T_EQ(hf_store_mem_destroy("crash"), 0);
}

/* a writer opened before a crash cannot commit after the reboot */
static void test_mem_crash_writer(void)
{
	struct hf_store *st = NULL;
	struct hf_store_writer *w = NULL;
	struct hf_buf b;
	uint64_t n = 0;

	T_EQ(hf_store_open("mem:crashw", 1, &st), 0);
	if (!st)
		return;
	hf_buf_init(&b, 1024);
	T_EQ(hf_store_writer_open(st, HF_OBJ_PACK, &w), 0);
	T_EQ(hf_store_mem_ops("crashw", &n), 0);
	T_EQ(hf_store_mem_crash_at("crashw", n + 1), 0);
	T_EQ(hf_store_sync(st), -EIO);
	T_EQ(hf_store_mem_restart("crashw"), 0);
	if (w) {
		T_EQ(hf_store_writer_write(w, "late", 4), -EIO);
		T_EQ(hf_store_writer_commit(w, "7777", 0), -EIO);
	}
	T_EQ(hf_store_get(st, HF_OBJ_PACK, "7777", &b), -HF_E_NOTFOUND);
	hf_buf_release(&b);
	hf_store_close(st);
	T_EQ(hf_store_mem_destroy("crashw"), 0);
}

int main(void)
{
	if (hf_crypto_init() < 0) {
		printf("test_store_contract: 0 passed, 1 failed\n");
		return 1;
	}
	snprintf(g_base, sizeof(g_base), "/tmp/hf-test-contract.XXXXXX");
	if (!mkdtemp(g_base)) {
		printf("test_store_contract: 0 passed, 1 failed\n");
		return 1;
	}
	for (size_t i = 0; i < sizeof(stores) / sizeof(stores[0]); i++)
		run_contract(&stores[i]);
	if (s3_configured(NULL)) {
		T_RUN(test_s3_open);
		run_contract(&s3_kind);
		T_RUN(test_s3_pages);
		/* a bucket with versioning (S3_VERSIONED_BUCKET), as Object Lock needs */
		if (getenv("S3_VERSIONED_BUCKET") && s3_configured(getenv("S3_VERSIONED_BUCKET")))
			run_contract(&s3_versioned_kind);
	} else {
		fprintf(stderr, "-- store: s3 not tested (no S3_ENDPOINT and AWS_* credentials)\n");
	}
	T_RUN(test_urls);
	T_RUN(test_mem_faults);
	T_RUN(test_mem_crash);
	T_RUN(test_mem_crash_writer);
	t_rm_rf(g_base);
	return T_DONE("test_store_contract");
}
