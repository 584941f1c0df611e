/* test_mark.c — unit tests of mark objects (lib/repo/mark.c) and of what
 * forget does with them (hf_forget_protect, hf_forget_orphan_marks), on real
 * repositories in a fresh mkdtemp directory.
 *
 * Covers: a write/list/load round trip of every field (times at both ends of
 * int64, an empty and a maximal reason), the writer's refusals, the
 * decoder's refusals (hand-made payloads in a valid envelope), every byte of
 * a real object flipped or cut (in place and under its own hash), a mark
 * copied into a repository with other keys, write-only keys, a repository
 * without marks/, the derived state (latest pin/unpin wins, ties, verdicts),
 * and forget's pin protection and orphan-mark deletion; the watcher's alert
 * marks (kind 5, payload version 4, signed like a verdict) and their alert
 * record (format, parse, bounds, a hostile writer's malformed records). */
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
#include "repo/mark.h"
#include "repo/object.h"
#include "repo/repo.h"
#include "repo/repo_internal.h"
#include "store/store.h"
#include "t.h"
#include "t_fs.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/hex.h"

#define PASS "correct horse battery staple"
#define PASS_WO "write only"

static char g_base[256];
static const struct hf_repo_params g_params = {.kdf_ops = 1, .kdf_mem = 8u << 20};

/* ---- files and repositories ------------------------------------------------ */

static void path_in(char *out, size_t cap, const char *rel)
{
	snprintf(out, cap, "%s/%s", g_base, rel);
}

static void mark_file(char *out, size_t cap, const char *rel, const char *name)
{
	snprintf(out, cap, "%s/%s/marks/%s", g_base, rel, name);
}

static int read_file(const char *path, struct hf_buf *b)
{
	uint8_t tmp[65536];
	ssize_t n;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return -errno;
	b->len = 0;
	while ((n = read(fd, tmp, sizeof(tmp))) > 0)
		if (hf_buf_append(b, tmp, (size_t)n) < 0)
			break;
	close(fd);
	return n == 0 ? 0 : -EIO;
}

/* replaces a (read-only) object file with new content, read-only again */
static int write_file(const char *path, const void *p, size_t n)
{
	int fd, r = 0;

	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0444);
	if (fd < 0)
		return -errno;
	if (n && write(fd, p, n) != (ssize_t)n)
		r = -EIO;
	close(fd);
	return r;
}

static struct hf_repo *new_repo(const char *rel)
{
	char dir[512];
	struct hf_store *st = NULL;
	struct hf_repo *r = NULL;

	path_in(dir, sizeof(dir), rel);
	T_EQ(hf_store_local_open(dir, 1, &st), 0);
	if (!st)
		return NULL;
	T_EQ(hf_repo_create(st, PASS, strlen(PASS), &g_params, NULL), 0);
	hf_store_close(st);
	st = NULL;
	T_EQ(hf_store_local_open(dir, 0, &st), 0);
	if (!st)
		return NULL;
	T_EQ(hf_repo_open(st, PASS, strlen(PASS), &r), 0);
	return r;
}

static int open_repo(const char *rel, const char *pass, struct hf_repo **out)
{
	char dir[512];
	struct hf_store *st = NULL;
	int r;

	*out = NULL;
	path_in(dir, sizeof(dir), rel);
	r = hf_store_local_open(dir, 0, &st);
	if (r < 0)
		return r;
	return hf_repo_open(st, pass, strlen(pass), out);
}

struct names {
	char v[16][HF_ID_HEX_LEN + 1];
	int n;
};

static int collect_name(void *arg, const char *name, uint64_t size)
{
	struct names *nm = arg;

	(void)size;
	if (nm->n < 16)
		snprintf(nm->v[nm->n], sizeof(nm->v[0]), "%s", name);
	nm->n++;
	return 0;
}

static int mark_names(struct hf_repo *r, struct names *nm)
{
	memset(nm, 0, sizeof(*nm));
	return hf_store_list(r->store, HF_OBJ_MARK, collect_name, nm);
}

static void fill_id(uint8_t id[HF_ID_LEN], int k)
{
	memset(id, k, HF_ID_LEN);
	id[0] = 0xa0; /* never all-zero */
}

/* writes one mark with a session of its own */
static int put_mark(struct hf_repo *r, int64_t t, int snap, int kind, int verdict, const char *reason)
{
	struct hf_session *ses = NULL;
	struct hf_mark m = {0};
	int ret;

	m.time_ns = t;
	fill_id(m.snapshot, snap);
	m.kind = (uint8_t)kind;
	m.verdict = (uint8_t)verdict;
	m.reason = (char *)reason;
	ret = hf_session_new(r, &ses);
	if (ret == 0)
		ret = hf_mark_write(r, ses, &m);
	hf_session_free(ses);
	return ret;
}

/* ---- round trip ------------------------------------------------------------- */

static void test_roundtrip(void)
{
	struct hf_repo *r = new_repo("rt");
	struct hf_session *ses = NULL;
	struct hf_mark in[5], *all = NULL, m;
	static char longest[HF_MARK_REASON_MAX + 1];
	static const int order[5] = {3, 4, 2, 0, 1}; /* by time: in[order[k]] is k-th */
	struct names nm;
	struct hf_buf b;
	size_t n = 0, bad = 99;
	uint8_t h[HF_ID_LEN];
	char path[700], hex[HF_ID_HEX_LEN + 1];

	if (!r)
		return;
	memset(longest, 'x', HF_MARK_REASON_MAX);
	memset(in, 0, sizeof(in));
	in[0] = (struct hf_mark){.time_ns = 300,
				 .kind = HF_MARK_PIN,
				 .reason = "automatic: last clean before attack 1a2b3c4d"};
	fill_id(in[0].snapshot, 1);
	in[1] = (struct hf_mark){.time_ns = INT64_MAX,
				 .kind = HF_MARK_VERDICT,
				 .verdict = HF_MARK_VERDICT_CLEAN,
				 .reason = longest};
	fill_id(in[1].snapshot, 3);
	in[2] = (struct hf_mark){.time_ns = 100, .kind = HF_MARK_UNPIN, .reason = NULL};
	fill_id(in[2].snapshot, 1);
	in[3] = (struct hf_mark){.time_ns = INT64_MIN,
				 .kind = HF_MARK_VERDICT,
				 .verdict = HF_MARK_VERDICT_SUSPICIOUS,
				 .reason = "d\xc3\xa9j\xc3\xa0 \xff"};
	fill_id(in[3].snapshot, 3);
	in[4] = (struct hf_mark){.time_ns = -7,
				 .kind = HF_MARK_VERDICT,
				 .verdict = HF_MARK_VERDICT_ATTACK,
				 .changes = UINT64_MAX,
				 .reason = "scan: 57 files encrypted"};
	fill_id(in[4].snapshot, 2);
	T_EQ(hf_session_new(r, &ses), 0);
	for (int i = 0; i < 5 && ses; i++)
		T_EQ(hf_mark_write(r, ses, &in[i]), 0);
	hf_session_free(ses);

	T_EQ(hf_mark_list(r, &all, &n, &bad), 0);
	T_EQ(n, 5);
	T_EQ(bad, 0);
	for (size_t k = 0; k < n && k < 5; k++) {
		const struct hf_mark *want = &in[order[k]];
		T_EQ(all[k].time_ns, want->time_ns);
		T_MEMEQ(all[k].snapshot, want->snapshot, HF_ID_LEN);
		T_EQ(all[k].kind, want->kind);
		T_EQ(all[k].verdict, want->verdict);
		T_EQ(all[k].changes, want->changes);
		T_CHECK(all[k].reason && strcmp(all[k].reason, want->reason ? want->reason : "") == 0);
	}
	/* each object is named by its SHA-256, and loads by that name */
	hf_buf_init(&b, 1 << 20);
	T_EQ(mark_names(r, &nm), 0);
	T_EQ(nm.n, 5);
	for (int i = 0; i < nm.n && i < 16; i++) {
		mark_file(path, sizeof(path), "rt", nm.v[i]);
		T_EQ(read_file(path, &b), 0);
		T_CHECK(b.len > 8 && memcmp(b.data, HF_MAGIC_MARK, 8) == 0);
		hf_sha256(b.data, b.len, h);
		hf_hex_encode(h, HF_ID_LEN, hex);
		T_CHECK(strcmp(hex, nm.v[i]) == 0);
		T_EQ(hf_mark_load(r, nm.v[i], &m), 0);
		T_MEMEQ(m.id, h, HF_ID_LEN);
		hf_mark_release(&m);
		T_CHECK(m.reason == NULL); /* release clears */
	}
	hf_buf_release(&b);
	/* list ids are the names */
	for (size_t k = 0; k < n; k++) {
		int found = 0;
		hf_hex_encode(all[k].id, HF_ID_LEN, hex);
		for (int i = 0; i < nm.n && i < 16; i++)
			found += strcmp(hex, nm.v[i]) == 0;
		T_EQ(found, 1);
	}
	hf_mark_list_free(all, n);
	hf_mark_list_free(NULL, 0);
	/* names that are not marks */
	T_EQ(hf_mark_load(r, "xyz", &m), -HF_E_NOTFOUND);
	T_EQ(hf_mark_load(r, "", &m), -HF_E_NOTFOUND);
	memset(hex, '0', HF_ID_HEX_LEN);
	hex[HF_ID_HEX_LEN] = '\0';
	T_EQ(hf_mark_load(r, hex, &m), -HF_E_NOTFOUND);
	T_CHECK(m.reason == NULL);
	hf_repo_close(r);
}

static void test_write_refusals(void)
{
	struct hf_repo *r = new_repo("wr");
	static char too_long[HF_MARK_REASON_MAX + 2];
	struct names nm;

	if (!r)
		return;
	memset(too_long, 'y', HF_MARK_REASON_MAX + 1);
	T_EQ(put_mark(r, 1, 1, 0, 0, "x"), -HF_E_USAGE);
	T_EQ(put_mark(r, 1, 1, 6, 0, "x"), -HF_E_USAGE);
	T_EQ(put_mark(r, 1, 1, HF_MARK_ALERT, 1, "x"), -HF_E_USAGE);
	T_EQ(put_mark(r, 1, 1, HF_MARK_FORGOTTEN, 1, "x"), -HF_E_USAGE);
	T_EQ(put_mark(r, 1, 1, 255, 0, "x"), -HF_E_USAGE);
	T_EQ(put_mark(r, 1, 1, HF_MARK_PIN, 1, "x"), -HF_E_USAGE);
	T_EQ(put_mark(r, 1, 1, HF_MARK_UNPIN, 2, "x"), -HF_E_USAGE);
	T_EQ(put_mark(r, 1, 1, HF_MARK_VERDICT, 3, "x"), -HF_E_USAGE);
	T_EQ(put_mark(r, 1, 1, HF_MARK_VERDICT, 255, "x"), -HF_E_USAGE);
	T_EQ(put_mark(r, 1, 1, HF_MARK_PIN, 0, too_long), -HF_E_LIMIT);
	T_EQ(mark_names(r, &nm), 0);
	T_EQ(nm.n, 0); /* nothing was written */
	T_EQ(put_mark(r, 1, 1, HF_MARK_VERDICT, HF_MARK_VERDICT_ATTACK, ""), 0);
	T_EQ(mark_names(r, &nm), 0);
	T_EQ(nm.n, 1);
	hf_repo_close(r);
}

/* ---- the decoder ----------------------------------------------------------- */

struct payload {
	uint64_t version;
	int64_t time;
	int kind, verdict;
	const char *reason;
	size_t reason_len;
	int trailing; /* extra bytes after the reason */
	uint64_t changes;
};

static void encode_payload(const struct payload *p, struct hf_buf *b)
{
	uint8_t snap[HF_ID_LEN];

	fill_id(snap, 7);
	b->len = 0;
	T_CHECK(hf_buf_put_varint(b, p->version) == 0);
	T_CHECK(hf_buf_put_svarint(b, p->time) == 0);
	T_CHECK(hf_buf_append(b, snap, HF_ID_LEN) == 0);
	T_CHECK(hf_buf_put_u8(b, (uint8_t)p->kind) == 0);
	T_CHECK(hf_buf_put_u8(b, (uint8_t)p->verdict) == 0);
	T_CHECK(hf_buf_put_varint(b, p->changes) == 0);
	T_CHECK(hf_buf_put_bytes(b, p->reason, p->reason_len) == 0);
	if ((p->kind == HF_MARK_VERDICT || p->kind == HF_MARK_ALERT) &&
	    p->trailing >= 0) /* a signature's room (trailing -1: none) */
		for (int i = 0; i < HF_SIGN_LEN; i++)
			T_CHECK(hf_buf_put_u8(b, 0) == 0);
	for (int i = 0; i < p->trailing; i++)
		T_CHECK(hf_buf_put_u8(b, 0) == 0);
}

/* seals pt (first n bytes) under magic as an authenticated object, stores
 * it, loads it: the result */
static int load_crafted(struct hf_repo *r, struct hf_session *ses, const char *magic, const uint8_t *pt, size_t n,
			struct hf_mark *m)
{
	struct hf_buf obj;
	uint8_t id[HF_ID_LEN];
	char name[HF_ID_HEX_LEN + 1];
	int ret;

	memset(m, 0, sizeof(*m));
	hf_buf_init(&obj, 1 << 20);
	ret = hf_object_seal(r, ses, magic, pt, n, &obj);
	if (ret == 0)
		ret = hf_repo_put_hashed(r, HF_OBJ_MARK, obj.data, obj.len, id);
	hf_buf_release(&obj);
	if (ret < 0)
		return 12345; /* not a load result */
	hf_hex_encode(id, HF_ID_LEN, name);
	ret = hf_mark_load(r, name, m);
	hf_store_remove(r->store, HF_OBJ_MARK, name);
	return ret;
}

static void test_decode_refusals(void)
{
	struct hf_repo *r = new_repo("dec");
	struct hf_session *ses = NULL;
	struct hf_buf b;
	struct hf_mark m;
	static char longest[HF_MARK_REASON_MAX + 1];
	const struct payload good = {3, 42, HF_MARK_VERDICT, HF_MARK_VERDICT_ATTACK, "reason", 6, 0, 1234567};
	const struct payload bad[] = {
		{4, 42, HF_MARK_PIN, 0, "r", 1, 0, 0},                              /* unknown version */
		{1, 42, HF_MARK_PIN, 0, "r", 1, 0, 0},                              /* version 1 */
		{2, 42, HF_MARK_PIN, 0, "r", 1, 0, 0},                              /* version 2 */
		{0, 42, HF_MARK_PIN, 0, "r", 1, 0, 0},                              /* version 0 */
		{3, 42, 0, 0, "r", 1, 0, 0},                                        /* kind 0 */
		{3, 42, 5, 0, "r", 1, 0, 0},                                        /* kind 5 in version 3 */
		{4, 42, 6, 0, "r", 1, 0, 0},                                        /* kind 6 */
		{4, 42, HF_MARK_VERDICT, 2, "r", 1, 0, 0},                          /* a verdict in version 4 */
		{4, 42, HF_MARK_ALERT, 1, "r", 1, 0, 0},                            /* an alert with a verdict */
		{4, 42, HF_MARK_ALERT, 0, "r", 1, 0, 3},                            /* an alert with changes */
		{4, 42, HF_MARK_ALERT, 0, "r", 1, -1, 0},                           /* an alert without its signature */
		{3, 42, HF_MARK_FORGOTTEN, 1, "r", 1, 0, 0},                        /* forgotten with a verdict */
		{3, 42, HF_MARK_PIN, 1, "r", 1, 0, 0},                              /* pin with a verdict */
		{3, 42, HF_MARK_UNPIN, 2, "r", 1, 0, 0},                            /* unpin with a verdict */
		{3, 42, HF_MARK_VERDICT, 3, "r", 1, 0, 0},                          /* verdict 3 */
		{3, 42, HF_MARK_VERDICT, 2, "a\0b", 3, 0, 0},                       /* NUL in the reason */
		{3, 42, HF_MARK_VERDICT, 2, "r", 1, 1, 0},                          /* a trailing byte */
		{3, 42, HF_MARK_VERDICT, 2, longest, HF_MARK_REASON_MAX + 1, 0, 0}, /* reason too long */
		{3, 42, HF_MARK_PIN, 0, "r", 1, 0, 5},                              /* pin with a change count */
		{3, 42, HF_MARK_UNPIN, 0, "r", 1, 0, 0},                            /* an unpin without its signature */
		{3, 42, HF_MARK_VERDICT, 1, "r", 1, -1, 0}, /* a verdict without its signature */
	};
	int ret;

	if (!r)
		return;
	memset(longest, 'z', sizeof(longest));
	hf_buf_init(&b, 1 << 20);
	T_EQ(hf_session_new(r, &ses), 0);
	if (!ses)
		goto out;
	/* the control: the same crafting with valid fields loads */
	encode_payload(&good, &b);
	T_EQ(load_crafted(r, ses, HF_MAGIC_MARK, b.data, b.len, &m), 0);
	T_EQ(m.time_ns, 42);
	T_EQ(m.kind, HF_MARK_VERDICT);
	T_EQ(m.verdict, HF_MARK_VERDICT_ATTACK);
	T_EQ(m.changes, 1234567);
	T_CHECK(m.reason && strcmp(m.reason, "reason") == 0);
	T_EQ(m.authorized, 0); /* its signature is no signature */
	hf_mark_release(&m);
	/* a reason of exactly the maximum loads too */
	{
		struct payload p = good;
		p.reason = longest;
		p.reason_len = HF_MARK_REASON_MAX;
		encode_payload(&p, &b);
		T_EQ(load_crafted(r, ses, HF_MAGIC_MARK, b.data, b.len, &m), 0);
		T_CHECK(m.reason && strlen(m.reason) == HF_MARK_REASON_MAX);
		hf_mark_release(&m);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		encode_payload(&bad[i], &b);
		ret = load_crafted(r, ses, HF_MAGIC_MARK, b.data, b.len, &m);
		if (ret >= 0)
			fprintf(stderr, "crafted payload %zu accepted\n", i);
		T_CHECK(ret < 0 && ret != 12345);
		T_CHECK(m.reason == NULL);
	}
	T_EQ(load_crafted(r, ses, HF_MAGIC_MARK, (const uint8_t *)"\x05", 1, &m), -HF_E_VERSION);
	/* an alert (version 4) loads; its zero signature is no signature */
	{
		const struct payload al = {4, 43, HF_MARK_ALERT, 0, "alert", 5, 0, 0};
		encode_payload(&al, &b);
		T_EQ(load_crafted(r, ses, HF_MAGIC_MARK, b.data, b.len, &m), 0);
		T_EQ(m.kind, HF_MARK_ALERT);
		T_EQ(m.authorized, 0);
		hf_mark_release(&m);
	}
	/* every truncation of a good payload */
	encode_payload(&good, &b);
	for (size_t cut = 0; cut < b.len; cut++) {
		ret = load_crafted(r, ses, HF_MAGIC_MARK, b.data, cut, &m);
		if (ret >= 0)
			fprintf(stderr, "payload cut at %zu accepted\n", cut);
		T_CHECK(ret < 0 && ret != 12345);
	}
	/* a snapshot's envelope is not a mark */
	T_CHECK(load_crafted(r, ses, HF_MAGIC_SNAPSHOT, b.data, b.len, &m) < 0);
	T_CHECK(load_crafted(r, ses, "HFMRK001", b.data, b.len, &m) == -HF_E_VERSION);
	T_CHECK(load_crafted(r, ses, "HFMRK003", b.data, b.len, &m) == -HF_E_VERSION);
out:
	hf_session_free(ses);
	hf_buf_release(&b);
	hf_repo_close(r);
}

/* ---- damage ------------------------------------------------------------------ */

/* the mark `name` is refused by load, and list skips it and counts it */
static int refused(struct hf_repo *r, const char *name, size_t want_good, size_t want_bad)
{
	struct hf_mark m, *all = NULL;
	size_t n = 0, bad = 0;
	int ok = hf_mark_load(r, name, &m) < 0 && m.reason == NULL;

	if (hf_mark_list(r, &all, &n, &bad) != 0)
		return 0;
	hf_mark_list_free(all, n);
	return ok && n == want_good && bad == want_bad;
}

static void test_tamper(void)
{
	struct hf_repo *r = new_repo("tam");
	struct names nm;
	struct hf_buf orig, copy;
	struct hf_mark m;
	char name[HF_ID_HEX_LEN + 1], hex[HF_ID_HEX_LEN + 1], path[700], path2[700];
	uint8_t h[HF_ID_LEN];
	int accepted = 0, first = -1, tries = 0;

	if (!r)
		return;
	T_EQ(put_mark(r, 1234567, 5, HF_MARK_PIN, 0, "automatic: last clean before attack 1a2b3c4d"), 0);
	T_EQ(mark_names(r, &nm), 0);
	T_EQ(nm.n, 1);
	if (nm.n != 1) {
		hf_repo_close(r);
		return;
	}
	snprintf(name, sizeof(name), "%s", nm.v[0]);
	mark_file(path, sizeof(path), "tam", name);
	hf_buf_init(&orig, 1 << 20);
	hf_buf_init(&copy, 1 << 20);
	T_EQ(read_file(path, &orig), 0);
	T_CHECK(orig.len > 8 + 80 + 28 + 32);
	for (size_t i = 0; i < orig.len; i++) {
		for (int x = 0; x < 2; x++) {
			copy.len = 0;
			T_CHECK(hf_buf_append(&copy, orig.data, orig.len) == 0);
			copy.data[i] ^= x ? 0xff : 0x01;
			/* in place: the content no longer matches its name */
			write_file(path, copy.data, copy.len);
			int ok = refused(r, name, 0, 1);
			write_file(path, orig.data, orig.len);
			/* under its own hash: the envelope must catch it */
			hf_sha256(copy.data, copy.len, h);
			hf_hex_encode(h, HF_ID_LEN, hex);
			mark_file(path2, sizeof(path2), "tam", hex);
			write_file(path2, copy.data, copy.len);
			ok = ok && refused(r, hex, 1, 1);
			unlink(path2);
			tries++;
			if (!ok) {
				if (first < 0)
					first = (int)i;
				accepted++;
			}
		}
	}
	for (size_t cut = 0; cut < orig.len; cut++) {
		write_file(path, orig.data, cut);
		int ok = refused(r, name, 0, 1);
		write_file(path, orig.data, orig.len);
		hf_sha256(orig.data, cut, h);
		hf_hex_encode(h, HF_ID_LEN, hex);
		mark_file(path2, sizeof(path2), "tam", hex);
		write_file(path2, orig.data, cut);
		ok = ok && refused(r, hex, 1, 1);
		unlink(path2);
		tries++;
		if (!ok) {
			if (first < 0)
				first = (int)cut;
			accepted++;
		}
	}
	if (accepted)
		fprintf(stderr, "mark: %d of %d damaged copies were accepted (first at %d)\n", accepted, tries, first);
	T_EQ(accepted, 0);
	T_CHECK(tries > 3 * (int)orig.len - 1);
	/* intact bytes under another name: not what the name promises */
	memset(hex, 'f', HF_ID_HEX_LEN);
	hex[HF_ID_HEX_LEN] = '\0';
	mark_file(path2, sizeof(path2), "tam", hex);
	write_file(path2, orig.data, orig.len);
	T_EQ(hf_mark_load(r, hex, &m), -HF_E_CORRUPT);
	T_CHECK(refused(r, hex, 1, 1));
	unlink(path2);
	/* the original is intact and still reads */
	T_EQ(hf_mark_load(r, name, &m), 0);
	T_EQ(m.time_ns, 1234567);
	T_EQ(m.kind, HF_MARK_PIN);
	hf_mark_release(&m);
	hf_buf_release(&orig);
	hf_buf_release(&copy);
	hf_repo_close(r);
}

/* a mark from a repository with other keys is refused */
static void test_wrong_key(void)
{
	struct hf_repo *a = new_repo("ka"), *b = new_repo("kb");
	struct hf_mark m, *all = NULL;
	struct names nm;
	struct hf_buf obj;
	char src[700], dst[700];
	size_t n = 0, bad = 0;

	if (!a || !b)
		goto out;
	T_EQ(put_mark(a, 5, 1, HF_MARK_PIN, 0, "from a"), 0);
	T_EQ(mark_names(a, &nm), 0);
	T_EQ(nm.n, 1);
	if (nm.n != 1)
		goto out;
	hf_buf_init(&obj, 1 << 20);
	mark_file(src, sizeof(src), "ka", nm.v[0]);
	mark_file(dst, sizeof(dst), "kb", nm.v[0]);
	T_EQ(read_file(src, &obj), 0);
	T_EQ(write_file(dst, obj.data, obj.len), 0);
	hf_buf_release(&obj);
	T_CHECK(hf_mark_load(b, nm.v[0], &m) < 0);
	T_CHECK(m.reason == NULL);
	T_EQ(hf_mark_list(b, &all, &n, &bad), 0);
	T_EQ(n, 0);
	T_EQ(bad, 1);
	hf_mark_list_free(all, n);
	/* and in its own repository it reads */
	T_EQ(hf_mark_load(a, nm.v[0], &m), 0);
	T_CHECK(m.reason && strcmp(m.reason, "from a") == 0);
	hf_mark_release(&m);
out:
	hf_repo_close(a);
	hf_repo_close(b);
}

/* a write-only key can write marks but not read them */
static void test_write_only_key(void)
{
	struct hf_repo *r = new_repo("wo"), *wo = NULL;
	struct hf_mark *all = NULL;
	struct hf_buf key;
	size_t n = 0, bad = 0;

	if (!r)
		return;
	hf_buf_init(&key, 1 << 16);
	T_EQ(hf_key_file_encode(PASS_WO, strlen(PASS_WO), 1, 8u << 20, r->cfg.id, r->config_hash, r->pk, r->mac_key,
				NULL, &key),
	     0);
	T_EQ(hf_repo_put_hashed(r, HF_OBJ_KEY, key.data, key.len, NULL), 0);
	hf_buf_release(&key);
	T_EQ(open_repo("wo", PASS_WO, &wo), 0);
	if (wo) {
		T_CHECK(wo->sk == NULL);
		T_EQ(put_mark(wo, 77, 9, HF_MARK_VERDICT, HF_MARK_VERDICT_ATTACK, "scan: 3 files encrypted"), 0);
		T_EQ(put_mark(wo, 78, 9, HF_MARK_PIN, 0, "pin"), 0);
		/* an unpin needs the full key's signature */
		T_EQ(put_mark(wo, 79, 9, HF_MARK_UNPIN, 0, "unpin"), -HF_E_WRITEONLY);
		T_EQ(hf_mark_list(wo, &all, &n, &bad), -HF_E_USAGE);
		T_CHECK(all == NULL && n == 0);
	}
	T_EQ(hf_mark_list(r, &all, &n, &bad), 0);
	T_EQ(n, 2);
	T_EQ(bad, 0);
	if (n == 2) {
		T_EQ(all[0].time_ns, 77);
		T_EQ(all[0].verdict, HF_MARK_VERDICT_ATTACK);
	}
	hf_mark_list_free(all, n);
	hf_repo_close(wo);
	hf_repo_close(r);
}

static void count_unsigned(void *arg, const char *path, const char *what, int err)
{
	(void)path;
	(void)err;
	if (what && strstr(what, "an unpin not signed by the full key"))
		(*(int *)arg)++;
}

/* An unpin counts only with the deletion key's signature over its
 * repository, snapshot and time: a compromised client that holds a
 * write-only key (and so can tag objects) cannot unpin, nor replay a real
 * unpin's signature for another snapshot or time. */
static void test_unpin_signature(void)
{
	struct hf_repo *r = new_repo("sig");
	struct hf_session *ses = NULL;
	struct hf_mark *all = NULL, real = {0}, forged, m;
	struct hf_buf pt, obj;
	uint8_t snap[HF_ID_LEN], other[HF_ID_LEN], id[HF_ID_LEN];
	char name[HF_ID_HEX_LEN + 1];
	size_t n = 0, bad = 0;

	if (!r)
		return;
	fill_id(snap, 3);
	fill_id(other, 4);
	hf_buf_init(&pt, 1 << 16);
	hf_buf_init(&obj, 1 << 16);
	T_EQ(hf_session_new(r, &ses), 0);
	if (!ses)
		goto out;
	T_EQ(put_mark(r, 10, 3, HF_MARK_PIN, 0, "pin"), 0);
	T_EQ(put_mark(r, 10, 4, HF_MARK_PIN, 0, "pin"), 0);
	/* the full key's unpin of snapshot 3 counts */
	T_EQ(put_mark(r, 20, 3, HF_MARK_UNPIN, 0, "unpin"), 0);
	T_EQ(put_mark(r, 20, 3, HF_MARK_VERDICT, HF_MARK_VERDICT_ATTACK, "verdict"), 0);
	T_EQ(hf_mark_list(r, &all, &n, &bad), 0);
	for (size_t i = 0; i < n; i++) {
		if (all[i].kind == HF_MARK_UNPIN) {
			T_EQ(all[i].authorized, 1);
			real = all[i];
		}
		if (all[i].kind == HF_MARK_VERDICT)
			T_EQ(all[i].authorized, 1); /* the full key signs its verdicts too */
	}
	T_EQ(hf_marks_pinned(all, n, snap), 0);
	/* forged: no signature, then the real one replayed for snapshot 4,
	 * then for snapshot 3 at a later time (all tagged with the real key) */
	for (int k = 0; k < 3; k++) {
		forged = real;
		forged.reason = "forged";
		if (k == 0)
			memset(forged.sig, 0, sizeof(forged.sig));
		if (k == 1)
			memcpy(forged.snapshot, other, HF_ID_LEN);
		forged.time_ns = k == 2 ? 40 : 30;
		if (k == 2) /* a pin after the real unpin, for the replay to undo */
			T_EQ(put_mark(r, 30, 3, HF_MARK_PIN, 0, "pin again"), 0);
		pt.len = 0;
		obj.len = 0;
		T_EQ(hf_mark_encode(&forged, &pt), 0);
		T_EQ(hf_object_seal(r, ses, HF_MAGIC_MARK, pt.data, pt.len, &obj), 0);
		T_EQ(hf_repo_put_hashed(r, HF_OBJ_MARK, obj.data, obj.len, id), 0);
		hf_hex_encode(id, HF_ID_LEN, name);
		T_EQ(hf_mark_load(r, name, &m), 0); /* it loads (check reports it) ... */
		T_EQ(m.authorized, 0);              /* ... but does not count */
		hf_mark_release(&m);
	}
	hf_mark_list_free(all, n);
	T_EQ(hf_mark_list(r, &all, &n, &bad), 0);
	T_EQ(bad, 0);
	T_EQ(hf_marks_pinned(all, n, other), 1);
	T_EQ(hf_marks_pinned(all, n, snap), 1);
	{ /* check reports each forged unpin */
		struct hf_check_opts o = {.report = count_unsigned};
		struct hf_check_stats st;
		int unsigned_unpins = 0;
		o.report_arg = &unsigned_unpins;
		T_EQ(hf_check(r, &o, &st), 0);
		T_EQ(unsigned_unpins, 3);
	}
out:
	hf_mark_list_free(all, n);
	hf_session_free(ses);
	hf_buf_release(&pt);
	hf_buf_release(&obj);
	hf_repo_close(r);
}

/* a repository made before marks existed has no marks/: reading finds none,
 * and opening it makes the directory so marks can be written */
static void test_no_marks_dir(void)
{
	struct hf_repo *r = new_repo("old");
	struct hf_mark *all = NULL;
	size_t n = 9, bad = 9;
	char dir[600];
	struct stat st;

	if (!r)
		return;
	path_in(dir, sizeof(dir), "old/marks");
	T_EQ(rmdir(dir), 0);
	T_EQ(hf_mark_list(r, &all, &n, &bad), 0);
	T_EQ(n, 0);
	T_EQ(bad, 0);
	hf_mark_list_free(all, n);
	hf_repo_close(r);
	T_EQ(open_repo("old", PASS, &r), 0);
	if (!r)
		return;
	T_CHECK(stat(dir, &st) == 0 && S_ISDIR(st.st_mode));
	T_EQ(put_mark(r, 1, 1, HF_MARK_PIN, 0, "after upgrade"), 0);
	T_EQ(hf_mark_list(r, &all, &n, &bad), 0);
	T_EQ(n, 1);
	hf_mark_list_free(all, n);
	hf_repo_close(r);
}

/* ---- derived state ------------------------------------------------------------ */

static struct hf_mark mk(int64_t t, int snap, int kind, int verdict)
{
	struct hf_mark m = {.time_ns = t, .kind = (uint8_t)kind, .verdict = (uint8_t)verdict, .authorized = 1};

	fill_id(m.snapshot, snap);
	return m;
}

/* pinned state of snapshot 1 for the marks v, in the given order and reversed */
static int pinned_both_ways(const struct hf_mark *v, size_t n)
{
	struct hf_mark rev[16];
	uint8_t a[HF_ID_LEN];
	int p1, p2;

	fill_id(a, 1);
	for (size_t i = 0; i < n; i++)
		rev[i] = v[n - 1 - i];
	p1 = hf_marks_pinned(v, n, a);
	p2 = hf_marks_pinned(rev, n, a);
	return p1 == p2 ? p1 : -1;
}

static void test_state(void)
{
	struct hf_mark v[16];
	uint8_t a[HF_ID_LEN], b[HF_ID_LEN];
	int verdict = 99;

	fill_id(a, 1);
	fill_id(b, 2);
	/* nothing */
	T_EQ(hf_marks_pinned(NULL, 0, a), 0);
	T_CHECK(hf_marks_pin_state(NULL, 0, a) == NULL);
	T_EQ(hf_marks_verdict(NULL, 0, a, &verdict), 0);
	T_EQ(verdict, -1);
	/* the latest pin or unpin wins, whatever the array order */
	v[0] = mk(10, 1, HF_MARK_PIN, 0);
	T_EQ(pinned_both_ways(v, 1), 1);
	v[1] = mk(20, 1, HF_MARK_UNPIN, 0);
	T_EQ(pinned_both_ways(v, 2), 0);
	v[2] = mk(30, 1, HF_MARK_PIN, 0);
	T_EQ(pinned_both_ways(v, 3), 1);
	v[3] = mk(25, 1, HF_MARK_UNPIN, 0); /* older than the last pin */
	T_EQ(pinned_both_ways(v, 4), 1);
	T_CHECK(hf_marks_pin_state(v, 4, a) == &v[2]);
	/* other snapshots' marks and verdict marks do not count */
	v[4] = mk(99, 2, HF_MARK_UNPIN, 0);
	v[5] = mk(98, 1, HF_MARK_VERDICT, HF_MARK_VERDICT_CLEAN);
	T_EQ(pinned_both_ways(v, 6), 1);
	T_EQ(hf_marks_pinned(v, 6, b), 0);
	T_CHECK(hf_marks_pin_state(v, 6, b) == &v[4]);
	/* a tie: the pin wins, in either order */
	v[6] = mk(40, 1, HF_MARK_UNPIN, 0);
	v[7] = mk(40, 1, HF_MARK_PIN, 0);
	T_EQ(pinned_both_ways(v, 8), 1);
	v[8] = mk(41, 1, HF_MARK_UNPIN, 0);
	T_EQ(pinned_both_ways(v, 9), 0);
	/* negative times order as numbers */
	v[0] = mk(-5, 1, HF_MARK_UNPIN, 0);
	v[1] = mk(-6, 1, HF_MARK_PIN, 0);
	T_EQ(pinned_both_ways(v, 2), 0);

	/* verdicts: the latest, and at a tie the more severe */
	v[0] = mk(5, 1, HF_MARK_VERDICT, HF_MARK_VERDICT_ATTACK);
	T_EQ(hf_marks_verdict(v, 1, a, &verdict), 1);
	T_EQ(verdict, HF_MARK_VERDICT_ATTACK);
	v[1] = mk(6, 1, HF_MARK_VERDICT, HF_MARK_VERDICT_CLEAN);
	T_EQ(hf_marks_verdict(v, 2, a, &verdict), 1);
	T_EQ(verdict, HF_MARK_VERDICT_CLEAN);
	v[2] = mk(6, 1, HF_MARK_VERDICT, HF_MARK_VERDICT_SUSPICIOUS);
	T_EQ(hf_marks_verdict(v, 3, a, &verdict), 1);
	T_EQ(verdict, HF_MARK_VERDICT_SUSPICIOUS);
	T_CHECK(hf_marks_verdict_mark(v, 3, a) == &v[2]);
	v[3] = mk(100, 1, HF_MARK_PIN, 0); /* not a verdict */
	v[4] = mk(100, 2, HF_MARK_VERDICT, HF_MARK_VERDICT_ATTACK);
	T_EQ(hf_marks_verdict(v, 5, a, &verdict), 1);
	T_EQ(verdict, HF_MARK_VERDICT_SUSPICIOUS);
	T_EQ(hf_marks_verdict(v, 5, b, &verdict), 1);
	T_EQ(verdict, HF_MARK_VERDICT_ATTACK);
	T_EQ(hf_marks_verdict(v, 3, b, &verdict), 0);
	T_EQ(verdict, -1);
	/* pins have no verdict */
	v[0] = mk(1, 1, HF_MARK_PIN, 0);
	T_EQ(hf_marks_verdict(v, 1, a, &verdict), 0);

	T_CHECK(strcmp(hf_mark_verdict_name(HF_MARK_VERDICT_CLEAN), "clean") == 0);
	T_CHECK(strcmp(hf_mark_verdict_name(HF_MARK_VERDICT_SUSPICIOUS), "suspicious") == 0);
	T_CHECK(strcmp(hf_mark_verdict_name(HF_MARK_VERDICT_ATTACK), "attack") == 0);
	T_CHECK(strcmp(hf_mark_verdict_name(3), "?") == 0);
	T_CHECK(strcmp(hf_mark_verdict_name(-1), "?") == 0);
	T_CHECK(strcmp(hf_mark_kind_name(HF_MARK_PIN), "pin") == 0);
	T_CHECK(strcmp(hf_mark_kind_name(HF_MARK_UNPIN), "unpin") == 0);
	T_CHECK(strcmp(hf_mark_kind_name(HF_MARK_VERDICT), "verdict") == 0);
	T_CHECK(strcmp(hf_mark_kind_name(HF_MARK_FORGOTTEN), "forgotten") == 0);
	T_CHECK(strcmp(hf_mark_kind_name(0), "?") == 0);
	/* a forget record is neither a pin nor a verdict */
	v[0] = mk(1, 1, HF_MARK_FORGOTTEN, 0);
	T_EQ(hf_marks_forgotten(v, 1, a), 1);
	T_EQ(hf_marks_forgotten(v, 1, b), 0);
	T_EQ(hf_marks_pinned(v, 1, a), 0);
	T_EQ(hf_marks_verdict(v, 1, a, &verdict), 0);
}

/* ---- forget ---------------------------------------------------------------------- */

/* a forget record for snapshot id, dated age ns before the store's now */
static int put_forgotten(struct hf_repo *r, const struct hf_session *ses, const uint8_t *id, int64_t age)
{
	struct hf_mark m = {.kind = HF_MARK_FORGOTTEN, .reason = "forget"};
	int ret = hf_store_now(r->store, &m.time_ns);

	m.time_ns -= age;
	memcpy(m.snapshot, id, HF_ID_LEN);
	return ret < 0 ? ret : hf_mark_write(r, ses, &m);
}

/* an empty directory as a tree blob, so that forget can walk the snapshots */
static void store_empty_tree(struct hf_repo *r, struct hf_session *ses, uint8_t id[HF_ID_LEN])
{
	struct hf_tree t = {0};
	struct hf_buf b;
	struct hf_pack_writer *w;
	struct hf_index_builder *ib;

	hf_buf_init(&b, 1 << 20);
	T_EQ(hf_tree_encode(&t, &b), 0);
	hf_repo_blob_id(r, b.data, b.len, id);
	w = hf_pack_writer_new(r, ses);
	ib = hf_index_builder_new(r, ses);
	T_EQ(hf_pack_add(w, id, HF_BLOB_TREE, 0, b.data, b.len, (uint32_t)b.len), 0);
	T_EQ(hf_pack_flush(w, ib), 0);
	T_EQ(hf_index_builder_write(ib), 0);
	hf_pack_writer_free(w);
	hf_index_builder_free(ib);
	hf_buf_release(&b);
	T_EQ(hf_repo_load_index(r, NULL, NULL, NULL), 0);
}

static void test_forget(void)
{
	struct hf_repo *r = new_repo("fg");
	struct hf_session *ses = NULL;
	struct hf_snapshot snaps[3], *all = NULL;
	struct hf_forget_policy pol = {.last = 1};
	struct hf_mark *marks = NULL;
	size_t n = 0, bad = 0, nmarks = 0, removed = 99;
	int keep[3];
	char hex[HF_ID_HEX_LEN + 1], path[700];
	struct stat st;

	if (!r)
		return;
	T_EQ(hf_session_new(r, &ses), 0);
	if (!ses)
		goto out;
	memset(snaps, 0, sizeof(snaps));
	store_empty_tree(r, ses, snaps[0].tree);
	for (int i = 0; i < 3; i++) {
		memcpy(snaps[i].tree, snaps[0].tree, HF_ID_LEN);
		snaps[i].time_ns = 1000 + i;
		snaps[i].host = "h";
		snaps[i].user = "u";
		snaps[i].has_parent = i == 2; /* a snapshot forget removed, gone long ago */
		fill_id(snaps[i].parent, 0x66);
		T_EQ(hf_snapshot_write(r, ses, &snaps[i]), 0);
	}
	T_EQ(hf_snapshot_list(r, &all, &n, &bad), 0);
	T_EQ(n, 3);
	if (n != 3)
		goto out;
	/* 0: pinned; 1: pinned then unpinned; 2: a verdict only; and a pin of a
	 * snapshot that does not exist */
	for (int k = 0; k < 2; k++) {
		struct hf_mark m = {.time_ns = 10, .kind = HF_MARK_PIN, .reason = "p"};
		memcpy(m.snapshot, all[k].id, HF_ID_LEN);
		T_EQ(hf_mark_write(r, ses, &m), 0);
	}
	{
		struct hf_mark m = {.time_ns = 11, .kind = HF_MARK_UNPIN, .reason = "u"};
		memcpy(m.snapshot, all[1].id, HF_ID_LEN);
		T_EQ(hf_mark_write(r, ses, &m), 0);
		m = (struct hf_mark){.time_ns = 12, .kind = HF_MARK_VERDICT, .verdict = HF_MARK_VERDICT_ATTACK};
		memcpy(m.snapshot, all[2].id, HF_ID_LEN);
		T_EQ(hf_mark_write(r, ses, &m), 0);
		m = (struct hf_mark){.time_ns = 13, .kind = HF_MARK_PIN};
		fill_id(m.snapshot, 0x55);
		T_EQ(hf_mark_write(r, ses, &m), 0);
	}
	hf_forget_select(all, n, &pol, NULL, keep);
	T_EQ(keep[0], 0);
	T_EQ(keep[1], 0);
	T_EQ(keep[2], HF_KEEP_POLICY);
	T_EQ(hf_forget_protect(r, all, n, keep), 0);
	T_EQ(keep[0], HF_KEEP_PINNED);
	T_EQ(keep[1], 0);
	T_EQ(keep[2], HF_KEEP_POLICY);

	/* a pin of a snapshot that is gone with no forget record: left for check */
	T_EQ(hf_forget_orphan_marks(r, &removed), 0);
	T_EQ(removed, 0);
	/* snapshot 1 removed by forget, its record first: its pin and unpin
	 * go; the record is young, and stays */
	T_EQ(put_forgotten(r, ses, all[1].id, 0), 0);
	hf_hex_encode(all[1].id, HF_ID_LEN, hex);
	T_EQ(hf_store_remove(r->store, HF_OBJ_SNAPSHOT, hex), 0);
	T_EQ(hf_forget_orphan_marks(r, &removed), 0);
	T_EQ(removed, 2);
	T_EQ(hf_mark_list(r, &marks, &nmarks, &bad), 0);
	T_EQ(nmarks, 4);
	for (size_t i = 0; i < nmarks; i++)
		T_CHECK(marks[i].kind == HF_MARK_FORGOTTEN || memcmp(marks[i].snapshot, all[1].id, HF_ID_LEN) != 0);
	hf_mark_list_free(marks, nmarks);
	T_EQ(hf_forget_orphan_marks(r, &removed), 0);
	T_EQ(removed, 0);
	/* an old record goes with the marks it explained, once nothing names
	 * its snapshot; an old one that a snapshot names as its parent stays */
	{
		uint8_t gone[HF_ID_LEN];
		fill_id(gone, 0x55);
		T_EQ(put_forgotten(r, ses, gone, HF_FORGET_RECORD_KEEP_NS + 1), 0);
		T_EQ(put_forgotten(r, ses, all[2].parent, HF_FORGET_RECORD_KEEP_NS + 1), 0);
	}
	T_EQ(hf_forget_orphan_marks(r, &removed), 0);
	T_EQ(removed, 2); /* the pin of 0x55, and its record */
	T_EQ(hf_mark_list(r, &marks, &nmarks, &bad), 0);
	T_EQ(nmarks, 4); /* pin of 0, verdict of 2, the records of 1 and of 2's parent */
	hf_mark_list_free(marks, nmarks);

	/* a damaged mark (it could be a pin): protect refuses, orphan removal
	 * leaves it alone */
	memset(hex, 'e', HF_ID_HEX_LEN);
	hex[HF_ID_HEX_LEN] = '\0';
	mark_file(path, sizeof(path), "fg", hex);
	T_EQ(write_file(path, "HFMRK001 not a mark", 19), 0);
	memset(keep, 0, sizeof(keep));
	T_EQ(hf_forget_protect(r, all, n, keep), -HF_E_CORRUPT);
	T_EQ(hf_forget_orphan_marks(r, &removed), 0);
	T_EQ(removed, 0);
	T_EQ(stat(path, &st), 0);
	/* a damaged snapshot: no mark is deleted */
	unlink(path);
	snprintf(path, sizeof(path), "%s/fg/snapshots/%s", g_base, hex); /* hex: 64 'e' */
	T_EQ(write_file(path, "junk", 4), 0);
	T_EQ(put_forgotten(r, ses, all[0].id, 0), 0);
	hf_hex_encode(all[0].id, HF_ID_LEN, hex);
	T_EQ(hf_store_remove(r->store, HF_OBJ_SNAPSHOT, hex), 0); /* snapshot 0's pin is now an orphan */
	T_EQ(hf_forget_orphan_marks(r, &removed), -HF_E_CORRUPT);
	T_EQ(removed, 0);
	T_EQ(hf_mark_list(r, &marks, &nmarks, &bad), 0);
	T_EQ(nmarks, 5);
	hf_mark_list_free(marks, nmarks);
	unlink(path);
	T_EQ(hf_forget_orphan_marks(r, &removed), 0);
	T_EQ(removed, 1);
out:
	hf_snapshot_list_free(all, n);
	hf_session_free(ses);
	hf_repo_close(r);
}

/* A mark forged with only the public key (an unpin dated after the user's
 * pin, the real mark's magic and last 32 bytes copied) is refused: the
 * snapshot stays pinned. */
static void test_forged_mark(void)
{
	struct hf_repo *r = new_repo("forged");
	struct hf_session *ses = NULL;
	struct hf_mark pin = {0}, *all = NULL, m;
	struct hf_buf obj, pt, out;
	struct hf_aead *a = hf_aead_new();
	struct names nm;
	char path[600], hex[HF_ID_HEX_LEN + 1];
	uint8_t key[HF_KEY_LEN], sealed[HF_SEALED_KEY_LEN], h[HF_ID_LEN];
	size_t n = 0, bad = 99, tail;

	hf_buf_init(&obj, 1 << 20);
	hf_buf_init(&pt, 1 << 20);
	hf_buf_init(&out, 1 << 20);
	if (!r)
		goto out;
	T_EQ(hf_session_new(r, &ses), 0);
	if (!ses)
		goto out;
	hf_random(pin.snapshot, HF_ID_LEN);
	pin.kind = HF_MARK_PIN;
	pin.time_ns = 1000;
	pin.reason = "manual: holdfast pin";
	T_EQ(hf_mark_write(r, ses, &pin), 0);
	T_EQ(mark_names(r, &nm), 0);
	T_EQ(nm.n, 1);
	mark_file(path, sizeof(path), "forged", nm.v[0]);
	T_EQ(read_file(path, &obj), 0);
	T_CHECK(obj.len > 40);
	if (obj.len <= 40)
		goto out;
	tail = obj.data[7] != '1' ? 32 : 0; /* formats after 1 end in a tag */
	/* payload: version 1, a later time, the same snapshot, unpin */
	hf_buf_put_varint(&pt, 1);
	hf_buf_put_svarint(&pt, 2000);
	hf_buf_append(&pt, pin.snapshot, HF_ID_LEN);
	hf_buf_put_u8(&pt, HF_MARK_UNPIN);
	hf_buf_put_u8(&pt, 0);
	hf_buf_put_varint(&pt, 0);
	hf_buf_put_bytes(&pt, "forged", 6);
	hf_random(key, sizeof(key));
	T_EQ(hf_seal_key(r->pk, key, sealed), 0);
	T_EQ(hf_buf_reserve(&out, 8 + sizeof(sealed) + pt.len + HF_AEAD_OVERHEAD + tail), 0);
	hf_buf_append(&out, obj.data, 8);
	hf_buf_append(&out, sealed, sizeof(sealed));
	T_EQ(hf_aead_seal(a, key, obj.data, 8, pt.data, pt.len, out.data + out.len), 0);
	out.len += pt.len + HF_AEAD_OVERHEAD;
	hf_buf_append(&out, obj.data + obj.len - tail, tail);
	T_EQ(hf_repo_put_hashed(r, HF_OBJ_MARK, out.data, out.len, h), 0);
	hf_hex_encode(h, HF_ID_LEN, hex);
	T_CHECK(hf_mark_load(r, hex, &m) == -HF_E_AUTH);
	T_EQ(hf_mark_list(r, &all, &n, &bad), 0);
	T_EQ(n, 1);
	T_EQ(bad, 1);
	T_EQ(hf_marks_pinned(all, n, pin.snapshot), 1);
	hf_mark_list_free(all, n);
out:
	hf_aead_free(a);
	hf_buf_release(&obj);
	hf_buf_release(&pt);
	hf_buf_release(&out);
	hf_session_free(ses);
	hf_repo_close(r);
}

/* a verdict the full key signed (the trusted verifier's) beats any a
 * write-only client wrote, however late that one claims to be */
static void test_signed_verdict_wins(void)
{
	struct hf_mark m[3] = {0};
	int v = -1;

	for (int i = 0; i < 3; i++) {
		fill_id(m[i].snapshot, 9);
		m[i].kind = HF_MARK_VERDICT;
	}
	m[0].time_ns = 100, m[0].verdict = HF_MARK_VERDICT_ATTACK, m[0].authorized = 1;
	m[1].time_ns = 900, m[1].verdict = HF_MARK_VERDICT_CLEAN, m[1].authorized = 0;
	m[2].time_ns = 50, m[2].verdict = HF_MARK_VERDICT_CLEAN, m[2].authorized = 0;
	T_EQ(hf_marks_verdict(m, 3, m[0].snapshot, &v), 1);
	T_EQ(v, HF_MARK_VERDICT_ATTACK);
	T_EQ(hf_marks_verdict(m + 1, 2, m[0].snapshot, &v), 1); /* unsigned only: the latest */
	T_EQ(v, HF_MARK_VERDICT_CLEAN);
	m[2].authorized = 1; /* two signed: the later one (the verifier changed its mind) */
	m[2].time_ns = 200;
	T_EQ(hf_marks_verdict(m, 3, m[0].snapshot, &v), 1);
	T_EQ(v, HF_MARK_VERDICT_CLEAN);
}

/* ---- the watcher's alert marks and records ------------------------------------- */

static void sample_alert(struct hf_mark_alert *a)
{
	memset(a, 0, sizeof(*a));
	a->time_ns = 1796414400123456789LL;
	a->pid = 4242;
	a->action = HF_MARK_ALERT_FREEZE;
	a->signalled = 1;
	a->backup_ok = 1;
	a->files = 7;
	a->encrypted = 3;
	a->new_ciphertext = 2;
	a->originals_deleted = 1;
	a->notes = 1;
	a->first_minute = 1796414400LL / 60 - 14;
	a->nminutes = HF_MARK_ALERT_MINUTES;
	for (uint32_t i = 0; i < a->nminutes; i++) {
		a->minutes[i].writes = i;
		a->minutes[i].renames = 2 * i;
		a->minutes[i].deletes = i % 3;
		a->minutes[i].encrypted = i / 2;
	}
	snprintf(a->exe, sizeof(a->exe), "/usr/bin/open ssl%%\n");
}

static void test_alert_record(void)
{
	struct hf_mark_alert a, b;
	char text[HF_MARK_REASON_MAX + 1], t2[HF_MARK_REASON_MAX + 1], small[16];
	size_t exe_at, len;

	sample_alert(&a);
	T_EQ(hf_mark_alert_format(&a, text, sizeof(text)), 0);
	T_CHECK(strchr(text, '\n') == NULL);
	T_CHECK(strstr(text, " exe=/usr/bin/open%20ssl%25%0A") != NULL);
	T_EQ(hf_mark_alert_parse(text, &b), 0);
	T_MEMEQ(&a, &b, sizeof(a)); /* every field, the exe unescaped */
	/* the writer's refusals */
	T_EQ(hf_mark_alert_format(&a, small, sizeof(small)), -HF_E_USAGE);
	b = a, b.action = 3;
	T_EQ(hf_mark_alert_format(&b, text, sizeof(text)), -HF_E_USAGE);
	b = a, b.pid = 0;
	T_EQ(hf_mark_alert_format(&b, text, sizeof(text)), -HF_E_USAGE);
	b = a, b.nminutes = HF_MARK_ALERT_MINUTES + 1;
	T_EQ(hf_mark_alert_format(&b, text, sizeof(text)), -HF_E_USAGE);
	/* no minute, action kill, failed backup */
	b = a, b.nminutes = 0, b.action = HF_MARK_ALERT_KILL, b.backup_ok = 0, b.signalled = 0;
	memset(b.minutes, 0, sizeof(b.minutes));
	T_EQ(hf_mark_alert_format(&b, text, sizeof(text)), 0);
	T_EQ(hf_mark_alert_parse(text, &a), 0);
	T_MEMEQ(&a, &b, sizeof(a));
	/* bounds: the largest counts saturate, a 255-byte name of bytes that
	 * are all escaped is cut at a whole escape, the text fits a reason */
	sample_alert(&a);
	a.files = a.encrypted = a.notes = UINT32_MAX;
	for (uint32_t i = 0; i < a.nminutes; i++)
		a.minutes[i].writes = a.minutes[i].renames = a.minutes[i].deletes = a.minutes[i].encrypted = UINT32_MAX;
	memset(a.exe, ' ', sizeof(a.exe) - 1);
	a.exe[sizeof(a.exe) - 1] = 0;
	T_EQ(hf_mark_alert_format(&a, text, sizeof(text)), 0);
	T_CHECK(strlen(text) <= HF_MARK_REASON_MAX);
	T_EQ(hf_mark_alert_parse(text, &b), 0);
	T_EQ(b.files, HF_MARK_ALERT_COUNT_MAX);
	T_EQ(b.minutes[HF_MARK_ALERT_MINUTES - 1].encrypted, HF_MARK_ALERT_COUNT_MAX);
	T_CHECK(strlen(b.exe) > 50 && strspn(b.exe, " ") == strlen(b.exe));
	/* every cut before the name is refused; a cut inside it is a shorter name */
	sample_alert(&a);
	T_EQ(hf_mark_alert_format(&a, text, sizeof(text)), 0);
	exe_at = (size_t)(strstr(text, " exe=") - text) + 5;
	len = strlen(text);
	for (size_t cut = 0; cut < len; cut++) {
		int r;
		memcpy(t2, text, cut);
		t2[cut] = 0;
		r = hf_mark_alert_parse(t2, &b);
		if (cut < exe_at) {
			if (r != -HF_E_CORRUPT)
				fprintf(stderr, "alert record cut at %zu: %d\n", cut, r);
			T_CHECK(r == -HF_E_CORRUPT);
			T_CHECK(b.pid == 0 && b.exe[0] == 0); /* zeroed */
		} else {
			T_CHECK(r == 0 || r == -HF_E_CORRUPT); /* a cut escape is refused */
		}
	}
	/* a hostile writer's records: a clear error, never a crash */
	{
		static const char *const bad[] = {
			"",
			"holdfast-alert/1",
			"holdfast-alert/2 time=1 pid=1",
			"holdfast-alert/1  time=1",
			"holdfast-alert/1 time=01 pid=1 action=freeze signalled=1 backup=ok files=1 encrypted=1 new=1 "
			"deleted=1 notes=1 minute=1 per-minute=1/1/1/1 exe=x",
			"holdfast-alert/1 time=1 pid=0 action=freeze signalled=1 backup=ok files=1 encrypted=1 new=1 "
			"deleted=1 notes=1 minute=1 per-minute=1/1/1/1 exe=x",
			"holdfast-alert/1 time=1 pid=1 action=melt signalled=1 backup=ok files=1 encrypted=1 new=1 "
			"deleted=1 notes=1 minute=1 per-minute=1/1/1/1 exe=x",
			"holdfast-alert/1 time=1 pid=1 action=freeze signalled=2 backup=ok files=1 encrypted=1 new=1 "
			"deleted=1 notes=1 minute=1 per-minute=1/1/1/1 exe=x",
			"holdfast-alert/1 time=1 pid=1 action=freeze signalled=1 backup=maybe files=1 encrypted=1 "
			"new=1 "
			"deleted=1 notes=1 minute=1 per-minute=1/1/1/1 exe=x",
			"holdfast-alert/1 time=1 pid=1 action=freeze signalled=1 backup=ok files=1000000000 "
			"encrypted=1 "
			"new=1 deleted=1 notes=1 minute=1 per-minute=1/1/1/1 exe=x",
			"holdfast-alert/1 time=99999999999999999999 pid=1 action=freeze signalled=1 backup=ok files=1 "
			"encrypted=1 new=1 deleted=1 notes=1 minute=1 per-minute=1/1/1/1 exe=x",
			"holdfast-alert/1 time=-0 pid=1 action=freeze signalled=1 backup=ok files=1 encrypted=1 new=1 "
			"deleted=1 notes=1 minute=1 per-minute=1/1/1/1 exe=x",
			"holdfast-alert/1 time=1 pid=1 action=freeze signalled=1 backup=ok files=1 encrypted=-1 new=1 "
			"deleted=1 notes=1 minute=1 per-minute=1/1/1/1 exe=x",
			"holdfast-alert/1 time=1 pid=1 action=freeze signalled=1 backup=ok files=1 encrypted=1 new=1 "
			"deleted=1 notes=1 minute=1 per-minute=1/1/1 exe=x",
			"holdfast-alert/1 time=1 pid=1 action=freeze signalled=1 backup=ok files=1 encrypted=1 new=1 "
			"deleted=1 notes=1 minute=1 per-minute=1/1/1/1/1 exe=x",
			"holdfast-alert/1 time=1 pid=1 action=freeze signalled=1 backup=ok files=1 encrypted=1 new=1 "
			"deleted=1 notes=1 minute=1 per-minute=1/1/1/1, exe=x",
			"holdfast-alert/1 time=1 pid=1 action=freeze signalled=1 backup=ok files=1 encrypted=1 new=1 "
			"deleted=1 notes=1 minute=1 per-minute=1/1/1/1,,1/1/1/1 exe=x",
			"holdfast-alert/1 time=1 pid=1 action=freeze signalled=1 backup=ok files=1 encrypted=1 new=1 "
			"deleted=1 notes=1 minute=1 per-minute=1/1/1/1 exe=a b",
			"holdfast-alert/1 time=1 pid=1 action=freeze signalled=1 backup=ok files=1 encrypted=1 new=1 "
			"deleted=1 notes=1 minute=1 per-minute=1/1/1/1 exe=%00",
			"holdfast-alert/1 time=1 pid=1 action=freeze signalled=1 backup=ok files=1 encrypted=1 new=1 "
			"deleted=1 notes=1 minute=1 per-minute=1/1/1/1 exe=%4",
			"holdfast-alert/1 time=1 pid=1 action=freeze signalled=1 backup=ok files=1 encrypted=1 new=1 "
			"deleted=1 notes=1 minute=1 per-minute=1/1/1/1 exe=%41", /* 'A' needs no escape */
			"holdfast-alert/1 time=1 pid=1 action=freeze signalled=1 backup=ok files=1 encrypted=1 new=1 "
			"deleted=1 notes=1 minute=1 per-minute=1/1/1/1 exe=%zz",
			"holdfast-alert/1 time=1 pid=1 action=freeze signalled=1 backup=ok files=1 encrypted=1 new=1 "
			"deleted=1 notes=1 minute=1 per-minute=1/1/1/1 exe=x\n",
			"holdfast-alert/1 time=1 pid=1 action=freeze signalled=1 backup=ok files=1 encrypted=1 new=1 "
			"deleted=1 notes=1 minute=999999999999999999 per-minute=1/1/1/1 exe=x",
			"holdfast-alert/1 pid=1 time=1 action=freeze signalled=1 backup=ok files=1 encrypted=1 new=1 "
			"deleted=1 notes=1 minute=1 per-minute=1/1/1/1 exe=x",
		};
		const char *good =
			"holdfast-alert/1 time=1 pid=1 action=alert signalled=0 backup=ok files=1 encrypted=1 "
			"new=1 deleted=1 notes=1 minute=1 per-minute=1/1/1/1 exe=%20%25";
		char many[HF_MARK_REASON_MAX + 1];
		size_t k;
		T_EQ(hf_mark_alert_parse(good, &b), 0); /* the control */
		T_CHECK(strcmp(b.exe, " %") == 0);
		T_EQ(b.action, HF_MARK_ALERT_ONLY);
		T_EQ(hf_mark_alert_parse(bad[2], &b), -HF_E_VERSION);
		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			int r = hf_mark_alert_parse(bad[i], &b);
			if (r >= 0)
				fprintf(stderr, "bad alert record %zu accepted\n", i);
			T_CHECK(r == (i == 2 ? -HF_E_VERSION : -HF_E_CORRUPT));
		}
		T_EQ(hf_mark_alert_parse(NULL, &b), -HF_E_CORRUPT);
		/* more minutes than a record holds */
		k = (size_t)snprintf(many, sizeof(many),
				     "holdfast-alert/1 time=1 pid=1 action=alert signalled=0 backup=ok files=1 "
				     "encrypted=1 new=1 deleted=1 notes=1 minute=1 per-minute=");
		for (int i = 0; i <= HF_MARK_ALERT_MINUTES; i++)
			k += (size_t)snprintf(many + k, sizeof(many) - k, "%s0/0/0/0", i ? "," : "");
		snprintf(many + k, sizeof(many) - k, " exe=x");
		T_EQ(hf_mark_alert_parse(many, &b), -HF_E_CORRUPT);
	}
	/* every byte of a good record replaced by each of a few hostile bytes */
	{
		static const char subs[] = {' ', ',', '/', '=', '%', '-', '9', 'x', '\x80'};
		sample_alert(&a);
		T_EQ(hf_mark_alert_format(&a, text, sizeof(text)), 0);
		len = strlen(text);
		for (size_t i = 0; i < len; i++)
			for (size_t s = 0; s < sizeof(subs); s++) {
				memcpy(t2, text, len + 1);
				t2[i] = subs[s];
				(void)hf_mark_alert_parse(t2, &b); /* any result but a crash */
			}
	}
}

/* an alert mark round trip, written with the full key (signed) and with a
 * write-only key (unsigned: authorized 0, as a write-only verdict) */
static void test_alert_mark(void)
{
	struct hf_repo *r = new_repo("alert"), *wo = NULL;
	struct hf_mark *all = NULL;
	struct hf_mark_alert a, b;
	struct hf_buf key;
	char text[HF_MARK_REASON_MAX + 1];
	size_t n = 0, bad = 0;

	if (!r)
		return;
	sample_alert(&a);
	T_EQ(hf_mark_alert_format(&a, text, sizeof(text)), 0);
	T_EQ(put_mark(r, 100, 3, HF_MARK_ALERT, 0, text), 0);
	hf_buf_init(&key, 1 << 16);
	T_EQ(hf_key_file_encode(PASS_WO, strlen(PASS_WO), 1, 8u << 20, r->cfg.id, r->config_hash, r->pk, r->mac_key,
				NULL, &key),
	     0);
	T_EQ(hf_repo_put_hashed(r, HF_OBJ_KEY, key.data, key.len, NULL), 0);
	hf_buf_release(&key);
	T_EQ(open_repo("alert", PASS_WO, &wo), 0);
	if (wo)
		T_EQ(put_mark(wo, 200, 3, HF_MARK_ALERT, 0, text), 0);
	T_EQ(hf_mark_list(r, &all, &n, &bad), 0);
	T_EQ(n, 2);
	T_EQ(bad, 0);
	if (n == 2) {
		T_EQ(all[0].kind, HF_MARK_ALERT);
		T_EQ(all[0].authorized, 1);
		T_EQ(all[1].authorized, 0);
		T_CHECK(strcmp(hf_mark_kind_name(all[0].kind), "alert") == 0);
		T_EQ(hf_mark_alert_parse(all[1].reason, &b), 0);
		T_MEMEQ(&a, &b, sizeof(a));
		/* an alert is no pin, no verdict */
		T_EQ(hf_marks_pinned(all, n, all[0].snapshot), 0);
		T_CHECK(hf_marks_verdict_mark(all, n, all[0].snapshot) == NULL);
	}
	hf_mark_list_free(all, n);
	hf_repo_close(wo);
	hf_repo_close(r);
}

int main(void)
{
	if (hf_crypto_init() < 0) {
		printf("test_mark: 0 passed, 1 failed\n");
		return 1;
	}
	umask(022);
	snprintf(g_base, sizeof(g_base), "/tmp/hf-test-mark.XXXXXX");
	if (!mkdtemp(g_base)) {
		printf("test_mark: 0 passed, 1 failed\n");
		return 1;
	}
	T_RUN(test_roundtrip);
	T_RUN(test_write_refusals);
	T_RUN(test_decode_refusals);
	T_RUN(test_signed_verdict_wins);
	T_RUN(test_tamper);
	T_RUN(test_wrong_key);
	T_RUN(test_write_only_key);
	T_RUN(test_unpin_signature);
	T_RUN(test_no_marks_dir);
	T_RUN(test_state);
	T_RUN(test_forget);
	T_RUN(test_forged_mark);
	T_RUN(test_alert_record);
	T_RUN(test_alert_mark);
	t_rm_rf(g_base);
	return T_DONE("test_mark");
}
