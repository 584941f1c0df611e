/* test_scan_source.c — the scan's rules behind its content source
 * (scan/source.h): a file judged through a second source, bytes held in
 * memory, gets the same verdict and reasons as through the repository's
 * stored blobs; the verdict follows what the source returns; and the
 * files source reads only what the files still hold. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "crypto/crypto.h"
#include "scan_fixture.h"
#include "util/err.h"
#include "util/hex.h"

#define PASS "source-test"
#define SIZE (96u << 10)

static struct hf_snapshot g_snap[2];
static uint8_t *g_text, *g_random, *g_new; /* what the files held */

/* the in-memory source: a version's handle is its bytes */
struct mem_file {
	const uint8_t *data;
	size_t len;
};

struct mem_source {
	unsigned reads;
};

static int mem_read(void *ctx, const struct hf_scan_ref *file, uint64_t off, size_t n, void *out)
{
	struct mem_source *ms = ctx;
	const struct mem_file *m = file->handle;
	size_t have = off < m->len ? m->len - (size_t)off : 0;

	if (have > n)
		have = n;
	memcpy(out, m->data + off, have);
	memset((uint8_t *)out + have, 0, n - have);
	ms->reads++;
	return 0;
}

static uint8_t *random_bytes(size_t n, uint64_t seed)
{
	uint8_t *p = malloc(n);

	for (size_t i = 0; i < n; i++) {
		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		p[i] = (uint8_t)(seed >> 56);
	}
	return p;
}

static uint8_t *text(size_t n)
{
	uint8_t *p = malloc(n);
	size_t i = 0;

	for (unsigned line = 0; i < n; line++) {
		char l[80];
		int k = snprintf(l, sizeof(l), "line %u of the quarterly report, nothing unusual here\n", line);
		for (int j = 0; j < k && i < n; j++)
			p[i++] = (uint8_t)l[j];
	}
	return p;
}

static int backup(int k)
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
	return r < 0 ? r : hf_snapshot_load(g_repo, hex, &g_snap[k]);
}

/* a file's tree entry: its parts (copied) and profile */
struct entry {
	const char *path;
	int found;
	struct scan_version v;
};

static int keep_entry(void *arg, const char *path, const struct hf_node *nd)
{
	struct entry *e = arg;

	if (strcmp(path, e->path) != 0)
		return 0;
	e->found = 1;
	e->v.size = nd->meta.size;
	e->v.nparts = nd->nparts;
	e->v.parts = malloc((nd->nparts ? nd->nparts : 1) * sizeof(*nd->parts));
	memcpy(e->v.parts, nd->parts, nd->nparts * sizeof(*nd->parts));
	e->v.has_profile = nd->has_profile;
	e->v.profile = nd->profile;
	return 1;
}

static struct scan_version entry(int k, const char *rel)
{
	char path[512];
	struct entry e = {path, 0, {0}};

	data_path(path, sizeof(path), rel);
	hf_walk(g_repo, &g_snap[k], NULL, keep_entry, &e);
	T_CHECK(e.found);
	return e.v;
}

struct verdicts {
	int r_change, r_content;
	uint32_t change, content; /* doc.txt old -> new; new.bin alone */
};

/* judges doc.txt's change and new.bin's content with sc's source; handles
 * name the bytes each version is (for the memory source); stored: keep the
 * stored profiles (else every profile comes from the content) */
static struct verdicts judge(struct scan *sc, int stored, const struct mem_file *old_bytes,
			     const struct mem_file *cur_bytes, const struct mem_file *new_bytes)
{
	struct scan_version old = entry(0, "doc.txt"), cur = entry(1, "doc.txt"), nw = entry(1, "new.bin");
	struct verdicts v;

	old.handle = old_bytes;
	cur.handle = cur_bytes;
	nw.handle = new_bytes;
	if (!stored)
		old.has_profile = cur.has_profile = nw.has_profile = 0;
	v.r_change = hf_scan_judge_change(sc, &old, &cur, 0, &v.change);
	v.r_content = hf_scan_judge_content(sc, &nw, &v.content);
	free(old.parts);
	free(cur.parts);
	free(nw.parts);
	return v;
}

static void test_same_verdict(void)
{
	struct mem_file text_f = {g_text, SIZE}, random_f = {g_random, SIZE}, new_f = {g_new, SIZE};
	struct mem_source ms = {0};
	struct scan sc;

	memset(&sc, 0, sizeof(sc));
	sc.r = g_repo;
	hf_scan_tools_init(&sc);
	for (int stored = 0; stored < 2; stored++) {
		struct hf_scan_source repo = sc.src, mem = {mem_read, NULL, &ms};
		struct verdicts a, b;
		a = judge(&sc, stored, &text_f, &random_f, &new_f); /* the repository's blobs */
		sc.src = mem;
		ms.reads = 0;
		b = judge(&sc, stored, &text_f, &random_f, &new_f);
		sc.src = repo;
		T_EQ(a.r_change, 0);
		T_EQ(a.r_content, 0);
		T_EQ(b.r_change, 0);
		T_EQ(b.r_content, 0);
		/* both judge the text file encrypted, and the new file random */
		T_CHECK((a.change & SCAN_ENCRYPTING) != 0);
		T_CHECK((a.content & SCAN_ENCRYPTING) != 0);
		T_EQ(b.change, a.change);
		T_EQ(b.content, a.content);
		if (!stored)
			T_CHECK(ms.reads > 0); /* the profiles came through the memory source */
	}
	hf_scan_tools_release(&sc);
	hf_detect_free(sc.det);
}

/* the judge reads what the source says: the same versions, served as the
 * text they were before, are a clean change */
static void test_verdict_follows_source(void)
{
	struct mem_file text_f = {g_text, SIZE};
	struct mem_source ms = {0};
	struct scan sc;
	struct verdicts v;

	memset(&sc, 0, sizeof(sc));
	sc.r = g_repo;
	sc.src = (struct hf_scan_source){mem_read, NULL, &ms};
	hf_buf_init(&sc.content, HF_DETECT_VALIDATE_MAX);
	hf_buf_init(&sc.blob, HF_BLOB_MAX);
	v = judge(&sc, 0, &text_f, &text_f, &text_f);
	T_EQ(v.r_change, 0);
	T_EQ(v.r_content, 0);
	T_EQ(v.change & SCAN_ENCRYPTING, 0);
	T_EQ(v.content & SCAN_ENCRYPTING, 0);
	T_CHECK(ms.reads > 0);
	hf_scan_tools_release(&sc);
	hf_detect_free(sc.det);
}

/* the files on this machine (a write-only client's scan): a version is read
 * from the file at its path while the file still holds it, part by part
 * checked against its id; an earlier version, a file changed since or gone
 * reads as -HF_E_CHANGED, and the judge goes on without those bytes */
static void test_files_source(void)
{
	struct scan_version old = entry(0, "doc.txt"), cur = entry(1, "doc.txt"), nw = entry(1, "new.bin");
	char doc[512], bin[512];
	struct hf_scan_source src;
	struct hf_scan_ref ref;
	struct timespec times[2] = {{1000000000, 0}, {0, UTIME_OMIT}};
	struct stat st;
	struct scan sc;
	uint8_t *buf = malloc(SIZE);
	uint32_t rs = 0;

	data_path(doc, sizeof(doc), "doc.txt");
	data_path(bin, sizeof(bin), "new.bin");
	hf_scan_source_files(&src, g_repo);
	/* what the file holds now is snapshot 1's version */
	ref = (struct hf_scan_ref){cur.size, cur.parts, cur.nparts, doc};
	T_EQ(src.read(src.ctx, &ref, 0, SIZE, buf), 0);
	T_CHECK(memcmp(buf, g_random, SIZE) == 0);
	T_EQ(src.read(src.ctx, &ref, 5000, 100, buf), 0);
	T_CHECK(memcmp(buf, g_random + 5000, 100) == 0);
	/* and not snapshot 0's */
	ref = (struct hf_scan_ref){old.size, old.parts, old.nparts, doc};
	T_EQ(src.read(src.ctx, &ref, 0, 100, buf), -HF_E_CHANGED);
	ref = (struct hf_scan_ref){cur.size, cur.parts, cur.nparts, NULL};
	T_EQ(src.read(src.ctx, &ref, 0, 100, buf), -HF_E_CHANGED);
	/* its access time stays (the next backup records it) */
	T_EQ(utimensat(AT_FDCWD, bin, times, 0), 0);
	ref = (struct hf_scan_ref){nw.size, nw.parts, nw.nparts, bin};
	T_EQ(src.read(src.ctx, &ref, 0, SIZE, buf), 0);
	T_CHECK(memcmp(buf, g_new, SIZE) == 0);
	T_EQ(stat(bin, &st), 0);
	T_EQ((long long)st.st_atim.tv_sec, 1000000000LL);
	/* one byte changed, same size: the part no longer matches */
	g_random[SIZE - 1] ^= 1;
	T_EQ(put_file("doc.txt", g_random, SIZE), 0);
	g_random[SIZE - 1] ^= 1;
	ref = (struct hf_scan_ref){cur.size, cur.parts, cur.nparts, doc};
	T_EQ(src.read(src.ctx, &ref, SIZE - 10, 10, buf), -HF_E_CHANGED);
	/* shorter, or gone */
	T_EQ(put_file("doc.txt", g_random, SIZE / 2), 0);
	T_EQ(src.read(src.ctx, &ref, 0, 10, buf), -HF_E_CHANGED);
	T_EQ(unlink(doc), 0);
	T_EQ(src.read(src.ctx, &ref, 0, 10, buf), -HF_E_CHANGED);
	hf_scan_source_release(&src);
	/* judged through it, the change is still seen from the stored profiles,
	 * and the bytes it cannot read are no error */
	memset(&sc, 0, sizeof(sc));
	sc.r = g_repo;
	sc.local = &(struct hf_tree_source){NULL, NULL};
	hf_scan_tools_init(&sc);
	old.handle = cur.handle = doc;
	T_EQ(hf_scan_judge_change(&sc, &old, &cur, 0, &rs), 0);
	T_CHECK((rs & SCAN_ENCRYPTING) != 0);
	hf_scan_tools_release(&sc);
	hf_detect_free(sc.det);
	T_EQ(put_file("doc.txt", g_random, SIZE), 0);
	free(old.parts);
	free(cur.parts);
	free(nw.parts);
	free(buf);
}

int main(void)
{
	char repo[300] = "";

	if (hf_crypto_init() < 0) {
		printf("test_scan_source: 0 passed, 1 failed\n");
		return 1;
	}
	umask(022);
	snprintf(g_base, sizeof(g_base), "/tmp/hf-test-scan-source.XXXXXX");
	if (mkdtemp(g_base))
		snprintf(repo, sizeof(repo), "%s/repo", g_base);
	if (!repo[0] || create_repo(repo, PASS) < 0) {
		printf("test_scan_source: 0 passed, 1 failed\n");
		return 1;
	}
	snprintf(g_data, sizeof(g_data), "%s/data", g_base);
	mkdir(g_data, 0755);
	g_text = text(SIZE);
	g_random = random_bytes(SIZE, 1);
	g_new = random_bytes(SIZE, 2);
	if (put_file("doc.txt", g_text, SIZE) < 0 || backup(0) < 0 || put_file("doc.txt", g_random, SIZE) < 0 ||
	    put_file("new.bin", g_new, SIZE) < 0 || backup(1) < 0) {
		printf("test_scan_source: 0 passed, 1 failed\n");
		return 1;
	}
	T_RUN(test_same_verdict);
	T_RUN(test_verdict_follows_source);
	T_RUN(test_files_source);
	hf_snapshot_release(&g_snap[0]);
	hf_snapshot_release(&g_snap[1]);
	hf_repo_close(g_repo);
	nftw(g_base, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(g_text);
	free(g_random);
	free(g_new);
	return T_DONE("test_scan_source");
}
