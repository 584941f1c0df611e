/* test_scan.c — unit tests of ransomware detection between snapshots
 * (lib/scan/scan*.c, history.c) on real backups of small trees made in a
 * fresh mkdtemp directory.
 *
 * Snapshot 1 is a first backup (every file new, judged on content alone:
 * clean). Snapshot 2 mixes benign changes (an append, a plain rename,
 * gzip-and-delete, a container beside its kept original) with two
 * encryptions (a text overwritten with random bytes; a file deleted and
 * replaced by random bytes under name.locked) and one unexplained random
 * file: two encrypted files make it suspicious. Snapshot 3 is an attack:
 * twelve files encrypted in place, one turned into base64 of random bytes,
 * and the same ransom note in three directories. Then history: the verdict
 * of a version comes from the scan where it appeared and is inherited while
 * it is unchanged. Snapshot 4 holds only notes (an attack: ransomware ran)
 * and a manual that talks like one (not a note). Snapshot 5 changes the
 * tree's shape: a directory deleted with its files, nested new ones, a
 * directory that became a file and a file that became a directory.
 *
 * Every backup collects its changes (hf_backup_opts.collect_changes), and
 * every scan from them is checked against a scan that walks both trees. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "crypto/crypto.h"
#include "scan_fixture.h"
#include "util/err.h"
#include "util/hex.h"

#define PASS "scan test passphrase"

static struct hf_snapshot g_snap[6];
static int g_nsnap;

static uint64_t g_rng = 0x0123456789abcdefULL;
static uint64_t rnd(void)
{
	uint64_t z = (g_rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* ---- files --------------------------------------------------------------------- */

/* words and lines, like prose */
static char *text_bytes(size_t n)
{
	static const char *const words[] = {"backup",   "invoice", "meeting",  "quarter", "the", "of",     "report",
					    "customer", "and",     "delivery", "budget",  "to",  "review", "plan"};
	char *p = malloc(n + 16);
	size_t at = 0, col = 0;

	while (at < n) {
		const char *w = words[rnd() % (sizeof(words) / sizeof(words[0]))];
		size_t l = strlen(w);
		memcpy(p + at, w, l);
		at += l;
		col += l + 1;
		p[at++] = col > 70 ? '\n' : ' ';
		if (col > 70)
			col = 0;
	}
	return p;
}

static int put_text(const char *rel, size_t n)
{
	char *p = text_bytes(n);
	int r = put_file(rel, p, n);

	free(p);
	return r;
}

static int put_random(const char *rel, size_t n)
{
	uint8_t *p = malloc(n + 8);
	int r;

	for (size_t i = 0; i < n; i += 8) {
		uint64_t v = rnd();
		memcpy(p + i, &v, 8);
	}
	r = put_file(rel, p, n);
	free(p);
	return r;
}

/* what age writes: its header line, then (here) random bytes */
static int put_age(const char *rel, size_t n)
{
	static const char head[] = "age-encryption.org/v1\n";
	uint8_t *p = malloc(n + 8);
	int r;

	for (size_t i = 0; i < n; i += 8) {
		uint64_t v = rnd();
		memcpy(p + i, &v, 8);
	}
	memcpy(p, head, sizeof(head) - 1);
	r = put_file(rel, p, n);
	free(p);
	return r;
}

/* base64 (76 columns) of n random bytes, written over rel */
static int put_base64_random(const char *rel, size_t n)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t cap = n * 2 + 16, at = 0, col = 0;
	char *out = malloc(cap);
	int r;

	for (size_t i = 0; i < n; i += 3) {
		uint64_t v = rnd() & 0xffffff;
		for (int k = 3; k >= 0; k--) {
			out[at++] = b64[(v >> (6 * k)) & 63];
			if (++col == 76) {
				out[at++] = '\n';
				col = 0;
			}
		}
	}
	out[at++] = '\n';
	r = put_file(rel, out, at);
	free(out);
	return r;
}

static int gzip_file(const char *rel)
{
	char in[512], out[520], buf[4096];
	FILE *f;
	gzFile gz;
	size_t n;

	data_path(in, sizeof(in), rel);
	snprintf(out, sizeof(out), "%s.gz", in);
	f = fopen(in, "rb");
	gz = gzopen(out, "wb9");
	if (!f || !gz)
		return -EIO;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		gzwrite(gz, buf, (unsigned)n);
	fclose(f);
	gzclose(gz);
	return unlink(in) == 0 ? 0 : -errno;
}

static int rename_file(const char *from, const char *to)
{
	char a[512], b[512];

	data_path(a, sizeof(a), from);
	data_path(b, sizeof(b), to);
	return rename(a, b) == 0 ? 0 : -errno;
}

static int append_line(const char *rel)
{
	char path[512];
	FILE *f;

	data_path(path, sizeof(path), rel);
	f = fopen(path, "ab");
	if (!f)
		return -errno;
	fputs("one more line of budget review\n", f);
	return fclose(f) == 0 ? 0 : -EIO;
}

/* ---- repository ------------------------------------------------------------------ */

/* the scan from a backup's collected changes is the scan of a walk */
static void check_changes(struct hf_changes *ch, const struct hf_snapshot *s, const struct hf_snapshot *against)
{
	T_CHECK(collection_used(ch, s, against));
	T_EQ(scan_both(ch, s, against, NULL), 0);
}

/* backs up g_data into g_snap[g_nsnap++] */
static int backup(void)
{
	char *paths[1] = {g_data}, hex[HF_ID_HEX_LEN + 1];
	struct hf_backup_opts o =
		{.paths = paths, .npaths = 1, .host = "testhost", .user = "tester", .threads = 2, .collect_changes = 1};
	struct hf_backup_stats st;
	int r = hf_backup(g_repo, &o, &st);

	if (r < 0)
		return r;
	if (st.errors) {
		hf_changes_free(st.changes);
		return -EIO;
	}
	/* the in-memory index does not learn the backup's packs */
	r = hf_repo_load_index(g_repo, NULL, NULL, NULL);
	hf_hex_encode(st.snapshot, HF_ID_LEN, hex);
	if (r == 0)
		r = hf_snapshot_load(g_repo, hex, &g_snap[g_nsnap]);
	if (r < 0) {
		hf_changes_free(st.changes);
		return r;
	}
	T_EQ(st.changes != NULL, g_nsnap > 0); /* collected by every backup with a parent */
	if (g_nsnap > 0)
		check_changes(st.changes, &g_snap[g_nsnap], &g_snap[g_nsnap - 1]);
	else
		hf_changes_free(st.changes);
	g_nsnap++;
	return 0;
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

/* the file is listed with this change and verdict, and has every reason in `want` */
static int is(const struct hf_scan_result *res, const char *rel, int change, int verdict, uint32_t want)
{
	const struct hf_scan_file *f = find(res, rel);

	if (!f) {
		fprintf(stderr, "  %s: not listed\n", rel);
		return 0;
	}
	if (f->change != change || f->verdict != verdict || (f->reasons & want) != want) {
		fprintf(stderr, "  %s: %s %s reasons 0x%x (want %s %s 0x%x)\n", rel, hf_change_name(f->change),
			hf_file_verdict_name(f->verdict), f->reasons, hf_change_name(change),
			hf_file_verdict_name(verdict), want);
		return 0;
	}
	return 1;
}

/* ---- the snapshots ------------------------------------------------------------------- */

static const char *const g_attack[12] = {"e/f01.txt", "e/f02.txt", "e/f03.txt", "e/f04.txt", "e/f05.txt", "e/f06.txt",
					 "e/f07.txt", "e/f08.txt", "e/f09.txt", "e/f10.txt", "e/f11.txt", "e/f12.txt"};

static void test_first_backup(void)
{
	struct hf_scan_result res;
	int r = 0;

	r |= put_text("a/report.txt", 20000);
	r |= put_text("a/notes.txt", 12000);
	r |= put_text("a/data.csv", 9000);
	r |= put_text("a/log.txt", 30000);
	r |= put_text("b/letter.txt", 15000);
	r |= put_text("b/keep.txt", 8000);
	r |= put_text("c/old.txt", 5000);
	r |= put_text("d/base.txt", 10000);
	for (int i = 0; i < 12; i++)
		r |= put_text(g_attack[i], 6000 + 500 * (size_t)i);
	T_EQ(r, 0);
	T_EQ(backup(), 0);
	if (g_nsnap != 1)
		return;
	T_EQ(hf_scan(g_repo, &g_snap[0], NULL, &res), 0);
	T_EQ(res.verdict, HF_SNAP_CLEAN);
	T_EQ(res.has_against, 0);
	T_EQ(res.nfiles, 20);
	T_EQ(res.sum.added, 20);
	T_EQ(res.sum.files, 20);
	T_EQ(res.sum.encrypted + res.sum.suspicious + res.sum.notes, 0);
	T_CHECK(is(&res, "a/report.txt", HF_CHANGE_NEW, HF_FILE_CLEAN, 0));
	T_EQ(find(&res, "a/report.txt") ? find(&res, "a/report.txt")->type : -1, HF_CT_TEXT);
	T_EQ(find(&res, "a/report.txt") ? find(&res, "a/report.txt")->size : 0, 20000);
	/* sorted by path */
	for (size_t i = 1; i < res.nfiles; i++)
		T_CHECK(strcmp(res.files[i - 1].path, res.files[i].path) < 0);
	hf_scan_result_release(&res);
}

/* the profile stored for rel in snapshot k (has_profile = 0 if absent) */
struct profile_of {
	const char *path;
	struct hf_node node;
};

static int keep_profile(void *arg, const char *path, const struct hf_node *nd)
{
	struct profile_of *po = arg;

	if (strcmp(path, po->path) == 0 && nd->meta.type == HF_FT_FILE) {
		po->node.has_profile = nd->has_profile;
		po->node.profile = nd->profile;
	}
	return 0;
}

static struct hf_profile profile_in(int k, const char *rel, int *has)
{
	char path[512];
	struct profile_of po = {path, {0}};

	data_path(path, sizeof(path), rel);
	T_EQ(hf_walk(g_repo, &g_snap[k], path, keep_profile, &po), 0);
	*has = po.node.has_profile;
	return po.node.profile;
}

static void test_mixed_changes(void)
{
	struct hf_scan_result res;
	char path[512];
	int r = 0;

	if (g_nsnap != 1)
		return;
	r |= put_random("a/report.txt", 20000); /* encrypted in place */
	r |= remove_file("a/notes.txt");        /* encrypted under a new name */
	r |= put_random("a/notes.txt.locked", 12000 + 32);
	r |= append_line("a/data.csv");                       /* benign edit */
	r |= gzip_file("a/log.txt");                          /* benign: gzip and delete */
	r |= rename_file("b/letter.txt", "b/letter-old.txt"); /* plain rename */
	r |= put_age("b/keep.txt.age", 8000 + 200);           /* container, original kept */
	r |= put_random("c/blob.bin", 65536);                 /* random, nothing explains it */
	r |= remove_file("c/old.txt");                        /* just deleted */
	data_path(path, sizeof(path), "d/base.txt");
	r |= chmod(path, 0600); /* read again, same content */
	T_EQ(r, 0);
	T_EQ(backup(), 0);
	if (g_nsnap != 2)
		return;
	{ /* a first backup's light profile; a changed file's full one; the same
	   * content read again keeps its previous profile */
		int has = 0;
		struct hf_profile p = profile_in(0, "d/base.txt", &has);
		T_CHECK(has && p.light && p.type == HF_CT_TEXT);
		p = profile_in(1, "a/data.csv", &has);
		T_CHECK(has && !p.light && p.type == HF_CT_TEXT && p.valid == HF_VALID_YES && p.text_utf8);
		p = profile_in(1, "d/base.txt", &has);
		T_CHECK(has && p.light && p.type == HF_CT_TEXT);
	}
	T_EQ(hf_scan(g_repo, &g_snap[1], &g_snap[0], &res), 0);
	T_EQ(res.has_against, 1);
	T_MEMEQ(res.against, g_snap[0].id, HF_ID_LEN);
	T_MEMEQ(res.snapshot, g_snap[1].id, HF_ID_LEN);
	T_CHECK(is(&res, "a/report.txt", HF_CHANGE_MODIFIED, HF_FILE_ENCRYPTED,
		   HF_REASON_TYPE_CHANGED | HF_REASON_RANDOM_BLOCKS));
	T_CHECK(is(&res, "a/notes.txt.locked", HF_CHANGE_RENAMED, HF_FILE_ENCRYPTED,
		   HF_REASON_ORIGINAL_DELETED | HF_REASON_NEW_EXTENSION));
	data_path(path, sizeof(path), "a/notes.txt");
	T_CHECK(find(&res, "a/notes.txt.locked") && find(&res, "a/notes.txt.locked")->from &&
		strcmp(find(&res, "a/notes.txt.locked")->from, path) == 0);
	T_CHECK(find(&res, "a/notes.txt") == NULL); /* listed as the rename's from */
	T_CHECK(is(&res, "a/data.csv", HF_CHANGE_MODIFIED, HF_FILE_CLEAN, 0));
	T_EQ(find(&res, "a/data.csv") ? find(&res, "a/data.csv")->reasons : 1, 0);
	T_CHECK(is(&res, "a/log.txt.gz", HF_CHANGE_NEW, HF_FILE_CLEAN, 0));
	T_EQ(find(&res, "a/log.txt.gz") ? find(&res, "a/log.txt.gz")->type : -1, HF_CT_GZIP);
	T_CHECK(is(&res, "a/log.txt", HF_CHANGE_DELETED, HF_FILE_CLEAN, 0));
	T_CHECK(is(&res, "b/letter-old.txt", HF_CHANGE_RENAMED, HF_FILE_CLEAN, 0));
	T_EQ(find(&res, "b/letter-old.txt") ? find(&res, "b/letter-old.txt")->reasons : 1, 0);
	T_CHECK(is(&res, "b/keep.txt.age", HF_CHANGE_NEW, HF_FILE_CLEAN,
		   HF_REASON_CONTAINER | HF_REASON_ORIGINAL_KEPT));
	T_CHECK(is(&res, "c/blob.bin", HF_CHANGE_NEW, HF_FILE_SUSPICIOUS, HF_REASON_RANDOM_CONTENT));
	T_CHECK(is(&res, "c/old.txt", HF_CHANGE_DELETED, HF_FILE_CLEAN, 0));
	T_EQ(res.nfiles, 9);
	T_EQ(res.sum.added, 3);
	T_EQ(res.sum.modified, 2);
	T_EQ(res.sum.deleted, 2);
	T_EQ(res.sum.renamed, 2);
	T_EQ(res.sum.encrypted, 2);
	T_EQ(res.sum.suspicious, 1);
	T_EQ(res.sum.notes, 0);
	T_EQ(res.sum.usual_changes, 0); /* snapshot 1 has no parent */
	T_EQ(res.verdict, HF_SNAP_SUSPICIOUS);
	hf_scan_result_release(&res);
}

static const char g_note[] = "YOUR FILES ARE ENCRYPTED!\n"
			     "Send 0.05 Bitcoin to 1BoatSLRHtKNngkdXEeobR76b53LETtpyT and write to us\n"
			     "with your ID to get the tool that will decrypt them.\n";

static void test_attack(void)
{
	struct hf_scan_result res;
	int r = 0;

	if (g_nsnap != 2)
		return;
	for (int i = 0; i < 12; i++) {
		struct stat st;
		char path[512];
		data_path(path, sizeof(path), g_attack[i]);
		r |= stat(path, &st);
		r |= put_random(g_attack[i], (size_t)st.st_size);
	}
	r |= put_base64_random("d/base.txt", 10000);
	r |= put_file("a/README_DECRYPT.txt", g_note, sizeof(g_note) - 1);
	r |= put_file("b/README_DECRYPT.txt", g_note, sizeof(g_note) - 1);
	r |= put_file("e/README_DECRYPT.txt", g_note, sizeof(g_note) - 1);
	T_EQ(r, 0);
	T_EQ(backup(), 0);
	if (g_nsnap != 3)
		return;
	T_EQ(hf_scan(g_repo, &g_snap[2], &g_snap[1], &res), 0);
	for (int i = 0; i < 12; i++)
		T_CHECK(is(&res, g_attack[i], HF_CHANGE_MODIFIED, HF_FILE_ENCRYPTED, HF_REASON_TYPE_CHANGED));
	T_CHECK(is(&res, "d/base.txt", HF_CHANGE_MODIFIED, HF_FILE_ENCRYPTED, HF_REASON_ENCODED_RANDOM));
	T_CHECK(is(&res, "a/README_DECRYPT.txt", HF_CHANGE_NEW, HF_FILE_SUSPICIOUS, HF_REASON_RANSOM_NOTE));
	T_CHECK(is(&res, "e/README_DECRYPT.txt", HF_CHANGE_NEW, HF_FILE_SUSPICIOUS, HF_REASON_RANSOM_NOTE));
	T_CHECK(find(&res, "e/README_DECRYPT.txt") && find(&res, "e/README_DECRYPT.txt")->note);
	T_EQ(res.sum.encrypted, 13);
	T_EQ(res.sum.notes, 3);
	T_EQ(res.sum.modified, 13);
	T_EQ(res.sum.added, 3);
	/* snapshot 1 -> 2 changed 11 regular files (a rename is a deletion and a new file) */
	T_EQ(res.sum.usual_changes, 11);
	T_EQ(res.verdict, HF_SNAP_ATTACK);
	hf_scan_result_release(&res);
}

/* ---- against, history ------------------------------------------------------------------ */

static void test_find_against(void)
{
	struct hf_snapshot s;

	if (g_nsnap != 3)
		return;
	T_EQ(hf_scan_find_against(g_repo, &g_snap[2], &s), 0);
	T_MEMEQ(s.id, g_snap[1].id, HF_ID_LEN);
	hf_snapshot_release(&s);
	T_EQ(hf_scan_find_against(g_repo, &g_snap[0], &s), -HF_E_NOTFOUND);
	T_CHECK(hf_snapshot_same_chain(&g_snap[0], &g_snap[2]));
}

struct rows {
	struct hf_history_row v[8]; /* pointers cleared: valid only during the callback */
	uint8_t first[8][HF_ID_LEN], snapshot[8][HF_ID_LEN];
	int n;
};

static int keep_row(void *arg, const struct hf_history_row *row)
{
	struct rows *rs = arg;

	if (rs->n < 8) {
		rs->v[rs->n] = *row;
		rs->v[rs->n].first = rs->v[rs->n].snapshot = NULL;
		rs->v[rs->n].from = NULL;
		memcpy(rs->first[rs->n], row->first->id, HF_ID_LEN);
		memcpy(rs->snapshot[rs->n], row->snapshot->id, HF_ID_LEN);
	}
	rs->n++;
	return 0;
}

static void test_history(void)
{
	struct hf_version_verdict vv;
	struct hf_history *h;
	struct rows rs = {0};
	char path[512];

	if (g_nsnap != 3)
		return;
	data_path(path, sizeof(path), "a/report.txt");
	T_EQ(hf_history(g_repo, path, keep_row, &rs), 0);
	T_EQ(rs.n, 3);
	if (rs.n == 3) {
		T_EQ(rs.v[0].verdict, HF_FILE_CLEAN);
		T_EQ(rs.v[0].change, HF_CHANGE_NEW);
		T_EQ(rs.v[0].unchanged, 0);
		T_EQ(rs.v[0].type, HF_CT_TEXT);
		T_EQ(rs.v[1].verdict, HF_FILE_ENCRYPTED);
		T_EQ(rs.v[1].change, HF_CHANGE_MODIFIED);
		T_EQ(rs.v[1].snap_verdict, HF_SNAP_SUSPICIOUS);
		T_EQ(rs.v[2].verdict, HF_FILE_ENCRYPTED); /* inherited */
		T_EQ(rs.v[2].unchanged, 1);
		T_MEMEQ(rs.first[2], g_snap[1].id, HF_ID_LEN);
		T_MEMEQ(rs.snapshot[2], g_snap[2].id, HF_ID_LEN);
		T_MEMEQ(rs.first[0], g_snap[0].id, HF_ID_LEN);
	}
	/* a path that only ever was a directory, and one never stored */
	rs.n = 0;
	data_path(path, sizeof(path), "a");
	T_EQ(hf_history(g_repo, path, keep_row, &rs), 0);
	T_EQ(rs.n, 0);
	data_path(path, sizeof(path), "nowhere.txt");
	T_EQ(hf_history(g_repo, path, keep_row, &rs), 0);
	T_EQ(rs.n, 0);

	h = hf_history_new(g_repo, g_snap, 3);
	data_path(path, sizeof(path), "a/data.csv");
	T_EQ(hf_history_verdict(h, 2, path, &vv), 0);
	T_EQ(vv.first, 1);
	T_CHECK(vv.file && vv.file->verdict == HF_FILE_CLEAN && vv.file->change == HF_CHANGE_MODIFIED);
	data_path(path, sizeof(path), "e/f03.txt");
	T_EQ(hf_history_verdict(h, 1, path, &vv), 0);
	T_EQ(vv.first, 0);
	T_EQ(hf_history_verdict(h, 2, path, &vv), 0);
	T_EQ(vv.first, 2);
	T_CHECK(vv.file && vv.file->verdict == HF_FILE_ENCRYPTED);
	T_EQ(vv.snap_verdict, HF_SNAP_ATTACK);
	/* renamed away in snapshot 2, deleted in 2, never there */
	data_path(path, sizeof(path), "a/notes.txt");
	T_EQ(hf_history_verdict(h, 0, path, &vv), 0);
	T_EQ(hf_history_verdict(h, 2, path, &vv), -HF_E_NOTFOUND);
	data_path(path, sizeof(path), "c/old.txt");
	T_EQ(hf_history_verdict(h, 2, path, &vv), -HF_E_NOTFOUND);
	data_path(path, sizeof(path), "c/never.txt");
	T_EQ(hf_history_verdict(h, 2, path, &vv), -HF_E_NOTFOUND);
	hf_history_free(h);
}

static const char g_manual[] = "Backups are encrypted with AES-256. To decrypt your data, the restore\n"
			       "command asks for the passphrase. Protect your files against ransomware.\n";

static void test_notes_alone(void)
{
	struct hf_scan_result res;
	int r = 0;

	if (g_nsnap != 3)
		return;
	r |= put_file("f/HOW_TO_RESTORE.txt", g_note, sizeof(g_note) - 1);
	r |= put_file("g/HOW_TO_RESTORE.txt", g_note, sizeof(g_note) - 1);
	r |= put_file("g/h/HOW_TO_RESTORE.txt", g_note, sizeof(g_note) - 1);
	r |= put_file("b/MANUAL.txt", g_manual, sizeof(g_manual) - 1);
	T_EQ(r, 0);
	T_EQ(backup(), 0);
	if (g_nsnap != 4)
		return;
	T_EQ(hf_scan(g_repo, &g_snap[3], &g_snap[2], &res), 0);
	T_CHECK(is(&res, "g/h/HOW_TO_RESTORE.txt", HF_CHANGE_NEW, HF_FILE_SUSPICIOUS, HF_REASON_RANSOM_NOTE));
	T_CHECK(is(&res, "b/MANUAL.txt", HF_CHANGE_NEW, HF_FILE_CLEAN, 0));
	T_EQ(res.sum.notes, 3);
	T_EQ(res.sum.encrypted, 0);
	T_EQ(res.verdict, HF_SNAP_ATTACK);
	hf_scan_result_release(&res);
}

static int put_dir_tree(const char *top)
{
	char rel[256];
	int r = 0;

	for (int i = 0; i < 3; i++) {
		snprintf(rel, sizeof(rel), "%s/inner%d.txt", top, i);
		r |= put_text(rel, 3000 + 100 * (size_t)i);
		snprintf(rel, sizeof(rel), "%s/deep/er/file%d.txt", top, i);
		r |= put_text(rel, 2000);
	}
	return r;
}

/* 8 KiB of text after a 1 MiB hole */
static int put_sparse(const char *rel)
{
	char path[512], *text = text_bytes(8192);
	int fd, r = 0;

	data_path(path, sizeof(path), rel);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || pwrite(fd, text, 8192, 1 << 20) != 8192)
		r = -1;
	if (fd >= 0)
		close(fd);
	free(text);
	return r;
}

static void test_tree_shape(void)
{
	struct hf_scan_result res;
	int r = 0;

	if (g_nsnap != 4)
		return;
	r |= remove_tree("g");            /* a directory and its subdirectory, deleted */
	r |= put_dir_tree("n1/n2");       /* new, nested */
	r |= remove_tree("c");            /* a directory ... */
	r |= put_text("c", 5000);         /* ... that is now a file */
	r |= remove_file("d/base.txt");   /* a file ... */
	r |= put_dir_tree("d/base.txt");  /* ... that is now a directory */
	r |= put_sparse("n1/sparse.bin"); /* starts with a hole: its start is never typed */
	T_EQ(r, 0);
	T_EQ(backup(), 0); /* checks the scan from the collected changes too */
	if (g_nsnap != 5)
		return;
	T_EQ(hf_scan(g_repo, &g_snap[4], &g_snap[3], &res), 0);
	T_CHECK(is(&res, "g/h/HOW_TO_RESTORE.txt", HF_CHANGE_DELETED, HF_FILE_CLEAN, 0));
	T_CHECK(is(&res, "n1/n2/deep/er/file2.txt", HF_CHANGE_NEW, HF_FILE_CLEAN, 0));
	T_CHECK(is(&res, "c", HF_CHANGE_NEW, HF_FILE_CLEAN, 0));
	T_CHECK(is(&res, "c/blob.bin", HF_CHANGE_DELETED, HF_FILE_CLEAN, 0));
	T_CHECK(is(&res, "d/base.txt/inner1.txt", HF_CHANGE_NEW, HF_FILE_CLEAN, 0));
	T_EQ(res.sum.added, 14);
	T_EQ(res.verdict, HF_SNAP_CLEAN);
	hf_scan_result_release(&res);
	{ /* a profile nothing typed says so: unknown, validity unchecked (not "invalid") */
		int has = 0;
		struct hf_profile p = profile_in(4, "n1/sparse.bin", &has);
		T_CHECK(has && p.type == HF_CT_UNKNOWN && p.valid == HF_VALID_UNCHECKED && !p.light);
	}
}

static void test_names(void)
{
	T_CHECK(strcmp(hf_scan_reason_name(HF_REASON_TYPE_CHANGED), "type-changed") == 0);
	T_CHECK(strcmp(hf_scan_reason_name(HF_REASON_ORIGINAL_KEPT), "original-kept") == 0);
	T_CHECK(strcmp(hf_scan_reason_name(HF_REASON_TYPE_CHANGED | HF_REASON_INVALID), "?") == 0);
	T_CHECK(strcmp(hf_file_verdict_name(HF_FILE_ENCRYPTED), "encrypted") == 0);
	T_CHECK(strcmp(hf_snap_verdict_name(HF_SNAP_ATTACK), "attack") == 0);
	T_CHECK(strcmp(hf_change_name(HF_CHANGE_RENAMED), "renamed") == 0);
	T_CHECK(strcmp(hf_change_name(7), "?") == 0);
}

int main(void)
{
	char repo[300] = "";

	if (hf_crypto_init() < 0) {
		printf("test_scan: 0 passed, 1 failed\n");
		return 1;
	}
	umask(022);
	snprintf(g_base, sizeof(g_base), "/tmp/hf-test-scan.XXXXXX");
	if (mkdtemp(g_base))
		snprintf(repo, sizeof(repo), "%s/repo", g_base);
	if (!repo[0] || create_repo(repo, PASS) < 0) {
		printf("test_scan: 0 passed, 1 failed\n");
		return 1;
	}
	snprintf(g_data, sizeof(g_data), "%s/data", g_base);
	mkdir(g_data, 0755);
	T_RUN(test_first_backup);
	T_RUN(test_mixed_changes);
	T_RUN(test_attack);
	T_RUN(test_find_against);
	T_RUN(test_history);
	T_RUN(test_notes_alone);
	T_RUN(test_tree_shape);
	T_RUN(test_names);
	for (int i = 0; i < g_nsnap; i++)
		hf_snapshot_release(&g_snap[i]);
	hf_repo_close(g_repo);
	nftw(g_base, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return T_DONE("test_scan");
}
