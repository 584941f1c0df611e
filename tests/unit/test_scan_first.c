/* test_scan_first.c — the scan of a first snapshot (lib/scan/scan_first.c)
 * and its compact list of files (lib/scan/scan_list.c).
 *
 * The list: paths front-coded in order, found again by binary search over
 * whole paths every few entries; each packed record unpacks to what was
 * packed. The scan: a first snapshot judged one directory at a time gives
 * the same result, field for field, as the general scan that holds every
 * file as an item (hf_scan_items) — on a tree with the rules that look
 * beyond one file: names ordered around '/' (b-c, b.txt, b/, b0), a
 * container beside its plaintext and one alone, ransom notes spread over
 * three directories by wording and by company, and a note in one directory
 * only. A history answers for every file of that snapshot from the list. */
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "crypto/crypto.h"
#include "scan_fixture.h"
#include "util/err.h"
#include "util/hex.h"

#define PASS "first-test"
#define BULK 3000 /* small files in bulk/ */

static struct hf_snapshot g_snap[1];
static uint64_t g_seed = 7;

static uint64_t rnd(void)
{
	g_seed = g_seed * 6364136223846793005ULL + 1442695040888963407ULL;
	return g_seed >> 11;
}

/* ---- the list ---------------------------------------------------------------------- */

/* path number i, sorted by i: shared prefixes of every length, long names */
static void list_path(size_t i, char *out, size_t cap)
{
	if (i % 7 == 3)
		snprintf(out, cap, "/srv/d%03zu/f%05zu-%0200zu", i / 10, i, i);
	else
		snprintf(out, cap, "/srv/d%03zu/f%05zu.txt", i / 10, i);
}

/* sizes of every varint length, up to the largest */
static uint64_t list_size(size_t i)
{
	return i % 100 == 99 ? UINT64_MAX - i : (uint64_t)i * i * i * i;
}

static void test_list_find(void)
{
	struct scan_list l;
	struct scan_list_iter it;
	char p[512], q[520];
	const char *got;
	uint64_t size;
	size_t n = 1000, i, total = 0;

	memset(&l, 0, sizeof(l));
	T_EQ(hf_scan_list_find(&l, "/a", NULL), SCAN_NONE); /* empty */
	for (i = 0; i < n; i++) {
		list_path(i, p, sizeof(p));
		T_EQ(hf_scan_list_add(&l, p, list_size(i)), 0);
		total += strlen(p) + 1;
		if (l.n != i + 1)
			break;
		l.recs[i] = (uint32_t)i;
	}
	T_EQ(l.n, n);
	T_EQ(hf_scan_list_add(&l, "/srv/a", 0), -HF_E_USAGE); /* before the last */
	list_path(n - 1, p, sizeof(p));
	T_EQ(hf_scan_list_add(&l, p, 0), -HF_E_USAGE); /* the last again */
	T_EQ(l.n, n);
	for (i = 0; i < n; i++) {
		list_path(i, p, sizeof(p));
		size = 0;
		T_EQ(hf_scan_list_find(&l, p, &size), i);
		T_EQ(size, list_size(i));
		got = hf_scan_list_path(&l, i);
		T_CHECK(got && strcmp(got, p) == 0);
		/* absent: a prefix, a longer name, one just past it */
		snprintf(q, sizeof(q), "%s", p);
		q[strlen(q) - 1] = '\0';
		T_EQ(hf_scan_list_find(&l, q, NULL), SCAN_NONE);
		snprintf(q, sizeof(q), "%s0", p);
		T_EQ(hf_scan_list_find(&l, q, NULL), SCAN_NONE);
	}
	T_EQ(hf_scan_list_find(&l, "/", NULL), SCAN_NONE);
	T_EQ(hf_scan_list_find(&l, "/srv/d", NULL), SCAN_NONE);
	T_EQ(hf_scan_list_find(&l, "/zzz", NULL), SCAN_NONE);
	T_CHECK(hf_scan_list_path(&l, n) == NULL);
	hf_scan_list_iter_init(&it, &l);
	for (i = 0; (got = hf_scan_list_next(&it)) != NULL; i++) {
		list_path(i, p, sizeof(p));
		T_CHECK(strcmp(got, p) == 0);
		T_EQ(it.size, list_size(i));
		T_EQ(l.recs[i], i);
	}
	T_EQ(i, n);
	hf_scan_list_iter_release(&it);
	T_CHECK(l.len < total);
	hf_scan_list_release(&l);
	/* a tree's paths, as a file server's: well under a copy of each */
	total = 0;
	for (i = 0; i < n; i++) {
		snprintf(p, sizeof(p), "/srv/data/projects/d%03zu/report-%05zu.txt", i / 50, i);
		T_EQ(hf_scan_list_add(&l, p, i), 0);
		total += strlen(p) + 1;
	}
	T_CHECK(l.len < total / 3);
	T_EQ(hf_scan_list_find(&l, p, NULL), n - 1);
	hf_scan_list_release(&l);
}

static void test_list_pack(void)
{
	struct hf_scan_file f;

	for (int v = HF_FILE_CLEAN; v <= HF_FILE_ENCRYPTED; v++)
		for (int note = 0; note < 2; note++)
			for (int type = 0; type < HF_CT_MAX; type++)
				for (int bit = 0; bit < HF_REASON_COUNT; bit++) {
					uint32_t rs = (1u << bit) | (bit ? 1u : 0u) | (1u << (HF_REASON_COUNT - 1));
					memset(&f, 0xff, sizeof(f));
					hf_scan_list_unpack(hf_scan_list_pack(v, note, rs, type), &f);
					if (f.verdict != v || f.note != note || f.reasons != rs || f.type != type ||
					    f.change != HF_CHANGE_NEW || f.from != NULL) {
						T_CHECK(0);
						return;
					}
				}
}

/* ---- the scan ------------------------------------------------------------------- */

static int put_text(const char *rel, size_t n)
{
	static const char *const words[] = {"budget", "minutes", "the", "report", "of", "meeting", "quarter"};
	char *p = malloc(n + 1);
	size_t at = 0;
	int r;

	while (at < n) {
		const char *w = words[rnd() % 7];
		size_t l = strlen(w);
		if (at + l + 1 > n)
			l = n - at - 1 < l ? n - at - 1 : l;
		memcpy(p + at, w, l);
		at += l;
		if (at < n)
			p[at++] = rnd() % 9 ? ' ' : '\n';
	}
	r = put_file(rel, p, n);
	free(p);
	return r;
}

static int put_random(const char *rel, size_t n, const char *head)
{
	uint8_t *p = malloc(n + 8);
	int r;

	for (size_t i = 0; i < n; i += 8) {
		uint64_t v = rnd() ^ (rnd() << 32);
		memcpy(p + i, &v, 8);
	}
	if (head)
		memcpy(p, head, strlen(head));
	r = put_file(rel, p, n);
	free(p);
	return r;
}

static int put_string(const char *rel, const char *s)
{
	return put_file(rel, s, strlen(s));
}

static int make_tree(void)
{
	static const char note[] = "All your files are encrypted.\nTo decrypt them send 1 bitcoin to the address "
				   "below and write to us.\n";
	static const char lone[] = "Your files are encrypted. Open tor browser at "
				   "abcdefghijklmnopabcdefghijklmnopabcdefghijklmnopabcdefgh.onion to decrypt.\n";
	static const char license[] = "Permission is granted to use, copy and modify this software.\n";
	int r = 0;

	/* '-' < '.' < '/' < '0': the file b.txt comes before the directory b */
	r |= put_text("b-c.txt", 3000);
	r |= put_text("b.txt", 5000);
	r |= put_text("b/inner.txt", 7000);
	r |= put_text("b/x/y/deep.txt", 900);
	r |= put_text("b0", 400);
	r |= put_string("b/empty", "");
	r |= put_string("b/tiny", "hi\n");
	/* containers: beside the plaintext (clean), alone (suspicious) */
	r |= put_text("k/keep.txt", 8000);
	r |= put_random("k/keep.txt.age", 8200, "age-encryption.org/v1\n");
	r |= put_random("k/lone.age", 8200, "age-encryption.org/v1\n");
	r |= put_random("k/blob.bin", 65536, NULL);
	/* a note by its wording, in three directories */
	r |= put_string("n1/README.txt", note);
	r |= put_string("n2/README.txt", note);
	r |= put_string("n2/sub/README.txt", note);
	/* a plain text in three directories, one beside a random file: by company */
	r |= put_string("l1/LICENSE", license);
	r |= put_string("l2/LICENSE", license);
	r |= put_string("l2/zz.bin", ""); /* sorts after: still company */
	r |= put_random("l2/noise.bin", 32768, NULL);
	r |= put_string("l3/LICENSE", license);
	r |= put_string("l3/sub/LICENSE", license);
	/* a note in one directory: a first scan does not read lone texts */
	r |= put_string("o/HOW_TO_DECRYPT.txt", lone);
	/* distinct small texts: what a history keeps of them is measured */
	for (int i = 0; i < BULK; i++) {
		char rel[64], body[64];
		snprintf(rel, sizeof(rel), "bulk/d%02d/f%04d.txt", i / 100, i);
		snprintf(body, sizeof(body), "line %d of the bulk\n", i);
		r |= put_string(rel, body);
	}
	for (int i = 0; i < 40; i++) {
		char rel[64];
		snprintf(rel, sizeof(rel), "many/f%02d.txt", i);
		r |= put_text(rel, 200 + 97 * (size_t)i);
	}
	return r;
}

static int backup(void)
{
	char *paths[1] = {g_data}, hex[HF_ID_HEX_LEN + 1];
	struct hf_backup_opts o = {.paths = paths, .npaths = 1, .host = "h", .user = "u", .threads = 1};
	struct hf_backup_stats st;
	int r = hf_backup(g_repo, &o, &st);

	if (r == 0 && st.errors)
		r = -EIO;
	hf_changes_free(st.changes);
	if (r == 0)
		r = hf_repo_load_index(g_repo, NULL, NULL, NULL);
	hf_hex_encode(st.snapshot, HF_ID_LEN, hex);
	return r < 0 ? r : hf_snapshot_load(g_repo, hex, &g_snap[0]);
}

static const struct hf_scan_file *find(const struct hf_scan_result *res, const char *rel)
{
	char path[512];

	data_path(path, sizeof(path), rel);
	for (size_t i = 0; i < res->nfiles; i++)
		if (strcmp(res->files[i].path, path) == 0)
			return &res->files[i];
	return NULL;
}

static int verdict_of(const struct hf_scan_result *res, const char *rel)
{
	const struct hf_scan_file *f = find(res, rel);

	return f ? f->verdict + 4 * f->note : -1;
}

static void test_first_same(void)
{
	struct hf_scan_result a, b;

	T_EQ(hf_scan(g_repo, &g_snap[0], NULL, &a), 0);
	T_EQ(hf_scan_items(g_repo, &g_snap[0], NULL, NULL, &b), 0);
	check_same_result(&a, &b);
	/* the rules were exercised: sorted around '/', kept original, notes */
	for (size_t i = 1; i < a.nfiles; i++)
		T_CHECK(strcmp(a.files[i - 1].path, a.files[i].path) < 0);
	T_EQ(a.nfiles, 61 + BULK);
	T_EQ(verdict_of(&a, "k/keep.txt.age"), HF_FILE_CLEAN);
	T_CHECK(find(&a, "k/keep.txt.age") && (find(&a, "k/keep.txt.age")->reasons & HF_REASON_ORIGINAL_KEPT));
	T_EQ(verdict_of(&a, "k/lone.age"), HF_FILE_SUSPICIOUS);
	T_EQ(verdict_of(&a, "n2/sub/README.txt"), HF_FILE_SUSPICIOUS + 4);
	T_EQ(verdict_of(&a, "l1/LICENSE"), HF_FILE_SUSPICIOUS + 4);
	T_EQ(verdict_of(&a, "o/HOW_TO_DECRYPT.txt"), HF_FILE_CLEAN);
	T_EQ(verdict_of(&a, "b.txt"), HF_FILE_CLEAN);
	T_EQ(a.sum.notes, 7);
	T_EQ(a.verdict, HF_SNAP_ATTACK); /* notes in >= 3 directories */
	hf_scan_result_release(&a);
	hf_scan_result_release(&b);
}

static void test_first_history(void)
{
	struct hf_scan_result b;
	const struct hf_scan_result *res;
	struct hf_version_verdict vv;
	struct hf_history *h = hf_history_new(g_repo, g_snap, 1);
	char path[512];

	T_EQ(hf_scan_items(g_repo, &g_snap[0], NULL, NULL, &b), 0);
	/* every file of the snapshot, from the compact list */
	for (size_t i = 0; i < b.nfiles; i++) {
		const struct hf_scan_file *x = &b.files[i];
		int r = hf_history_verdict(h, 0, x->path, &vv);
		T_EQ(r, 0);
		if (r < 0 || vv.first != 0 || vv.file->verdict != x->verdict || vv.file->note != x->note ||
		    vv.file->reasons != x->reasons || vv.file->type != x->type || vv.file->change != HF_CHANGE_NEW ||
		    vv.file->size != x->size || vv.file->from || vv.snap_verdict != b.verdict) {
			fprintf(stderr, "  history differs at %s\n", x->path);
			T_CHECK(0);
			break;
		}
	}
	data_path(path, sizeof(path), "b");
	T_EQ(hf_history_verdict(h, 0, path, &vv), -HF_E_NOTFOUND); /* a directory */
	data_path(path, sizeof(path), "k/gone.txt");
	T_EQ(hf_history_verdict(h, 0, path, &vv), -HF_E_NOTFOUND);
	T_EQ(hf_history_verdict(h, 0, "/", &vv), -HF_E_NOTFOUND);
	T_EQ(hf_history_verdict(h, 0, "~", &vv), -HF_E_NOTFOUND);
	/* asked for, the scan's files are all there */
	T_EQ(hf_history_scan(h, 0, &res), 0);
	if (res)
		check_same_result(res, &b);
	/* and answers from it after that */
	data_path(path, sizeof(path), "k/lone.age");
	T_EQ(hf_history_verdict(h, 0, path, &vv), 0);
	T_CHECK(vv.file && vv.file->verdict == HF_FILE_SUSPICIOUS && vv.file->path && strcmp(vv.file->path, path) == 0);
	data_path(path, sizeof(path), "k/gone.txt");
	T_EQ(hf_history_verdict(h, 0, path, &vv), -HF_E_NOTFOUND);
	hf_history_free(h);
	hf_scan_result_release(&b);
}

/* A history keeps a first snapshot's scan as the compact list: well under
 * the 40-byte struct hf_scan_file and malloc'ed path a file it held before */
static void test_first_history_compact(void)
{
	struct hf_version_verdict vv;
	struct hf_history *h;
	struct mallinfo2 before, after;
	char path[512];
	size_t per;

	data_path(path, sizeof(path), "bulk/d07/f0700.txt");
	h = hf_history_new(g_repo, g_snap, 1);
	before = mallinfo2();
	T_EQ(hf_history_verdict(h, 0, path, &vv), 0);
	after = mallinfo2();
	per = after.uordblks > before.uordblks ? (after.uordblks - before.uordblks) / (61 + BULK) : 0;
	if (per >= 40)
		fprintf(stderr, "  a history keeps %zu bytes a file of a first scan\n", per);
	T_CHECK(per < 40);
	hf_history_free(h);
}

int main(void)
{
	char repo[300] = "";

	if (hf_crypto_init() < 0) {
		printf("test_scan_first: 0 passed, 1 failed\n");
		return 1;
	}
	umask(022);
	T_RUN(test_list_find);
	T_RUN(test_list_pack);
	snprintf(g_base, sizeof(g_base), "/tmp/hf-test-scan-first.XXXXXX");
	if (mkdtemp(g_base))
		snprintf(repo, sizeof(repo), "%s/repo", g_base);
	if (!repo[0] || create_repo(repo, PASS) < 0) {
		printf("test_scan_first: %d passed, %d failed\n", t_passed, t_failed + 1);
		return 1;
	}
	snprintf(g_data, sizeof(g_data), "%s/data", g_base);
	mkdir(g_data, 0755);
	if (make_tree() != 0 || backup() < 0) {
		printf("test_scan_first: %d passed, %d failed\n", t_passed, t_failed + 1);
		return 1;
	}
	T_RUN(test_first_same);
	T_RUN(test_first_history);
	T_RUN(test_first_history_compact);
	hf_snapshot_release(&g_snap[0]);
	hf_repo_close(g_repo);
	nftw(g_base, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return T_DONE("test_scan_first");
}
