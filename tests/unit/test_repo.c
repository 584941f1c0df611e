/* test_repo.c — unit tests of the repository format (lib/repo) on real
 * repositories in a fresh mkdtemp directory.
 *
 * Covers: create/open (passphrases, a tampered config), write-only keys,
 * tree blobs (a round trip of every field, the decoder's refusals, truncation,
 * bit-flip and random-mutation loops: whatever decodes must re-encode to the
 * same bytes), the write path end to end (session → pack → index → blob read,
 * pack headers), snapshots (write/load/list/resolve, an ambiguous prefix), and
 * corruption loops over the real index, snapshot, pack and key objects: every
 * damaged object must be refused cleanly, never read as wrong data.
 *
 * Repositories use cheap KDF parameters (ops 1, 8 MiB, the smallest a key file
 * may ask for) to keep the run short. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "compress/compress.h"
#include "crypto/crypto.h"
#include "repo/repo.h"
#include "repo/repo_internal.h"
#include "store/store.h"
#include "t.h"
#include "t_fs.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/hex.h"
#include "util/idmap.h"

/* not in a header: the key-file codec of keys.c (used here to make a
 * write-only key, which the library has no public call for yet) */
int hf_key_file_encode(const char *pass, size_t passlen, uint64_t ops, uint64_t mem, const uint8_t repo_id[32],
		       const uint8_t config_hash[32], const uint8_t pk[32], const uint8_t mac[32], const uint8_t *sk,
		       struct hf_buf *out);

#define PASS "correct horse battery staple"
#define KEY_TIMEOUT 2 /* seconds a damaged key file may take to be refused */

static char g_base[256];
static const struct hf_repo_params g_params = {.kdf_ops = 1, .kdf_mem = 8u << 20};

static uint64_t g_rng = 0x1234567887654321ULL;
static uint64_t rnd(void)
{
	uint64_t z = (g_rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* ---- files and repositories ------------------------------------------------ */

static void path_in(char *out, size_t cap, const char *rel)
{
	snprintf(out, cap, "%s/%s", g_base, rel);
}

/* the local store's file for an object (layout of store_local.c) */
static void obj_file(char *out, size_t cap, const char *rel, int kind, const char *name)
{
	static const char *const dirs[HF_OBJ_KINDS] = {".", "keys", "snapshots", "index", "data"};

	if (kind == HF_OBJ_CONFIG)
		snprintf(out, cap, "%s/%s/config", g_base, rel);
	else if (kind == HF_OBJ_PACK)
		snprintf(out, cap, "%s/%s/data/%.2s/%s", g_base, rel, name, name);
	else
		snprintf(out, cap, "%s/%s/%s/%s", g_base, rel, dirs[kind], name);
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

/* replaces a (read-only) object file's content, keeping it read-only. A new
 * file rather than O_TRUNC: ext4 flushes a truncated-and-rewritten file on
 * close, which would make the corruption loops crawl. */
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

static int create_repo(const char *rel, const char *pass, const struct hf_repo_params *p, uint8_t id[HF_ID_LEN])
{
	char dir[512];
	struct hf_store *st = NULL;
	int r;

	path_in(dir, sizeof(dir), rel);
	r = hf_store_local_open(dir, 1, &st);
	if (r < 0)
		return r;
	r = hf_repo_create(st, pass, strlen(pass), p, id);
	hf_store_close(st);
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
	char v[64][HF_ID_HEX_LEN + 1];
	int n;
};

static int collect_name(void *arg, const char *name, uint64_t size)
{
	struct names *nm = arg;

	(void)size;
	if (nm->n < 64)
		snprintf(nm->v[nm->n], sizeof(nm->v[0]), "%s", name);
	nm->n++;
	return 0;
}

static int list_names(struct hf_store *st, int kind, struct names *nm)
{
	memset(nm, 0, sizeof(*nm));
	return hf_store_list(st, kind, collect_name, nm);
}

/* ---- create and open ----------------------------------------------------------- */

static void test_create_open(void)
{
	uint8_t id[HF_ID_LEN], zero[HF_ID_LEN] = {0};
	struct hf_repo *r = NULL;
	struct names nm;
	char dir[512];
	struct hf_store *st = NULL;

	T_EQ(create_repo("co", PASS, &g_params, id), 0);
	T_CHECK(memcmp(id, zero, HF_ID_LEN) != 0);
	T_EQ(open_repo("co", PASS, &r), 0);
	if (r) {
		T_MEMEQ(r->cfg.id, id, HF_ID_LEN);
		T_EQ(r->cfg.version, HF_REPO_VERSION);
		T_EQ(r->cfg.chunk_min, HF_CHUNK_MIN_DEFAULT);
		T_EQ(r->cfg.chunk_avg, HF_CHUNK_AVG_DEFAULT);
		T_EQ(r->cfg.chunk_max, HF_CHUNK_MAX_DEFAULT);
		T_EQ(r->cfg.pack_size, HF_PACK_SIZE_DEFAULT);
		T_EQ(r->cfg.zlevel, 3);
		T_CHECK(r->sk != NULL && r->mac_key != NULL && r->dedup_key != NULL);
		T_CHECK(r->index == NULL);
		{ /* the full key signs under the config's deletion key */
			uint8_t sig[HF_SIGN_LEN];
			T_EQ(hf_repo_sign(r, "delete x", 8, sig), 0);
			T_EQ(hf_repo_verify(r, "delete x", 8, sig), 0);
			T_EQ(hf_repo_verify(r, "delete y", 8, sig), -HF_E_AUTH);
			T_EQ(hf_sign_verify(r->cfg.delete_key, "delete x", 8, sig), 0);
		}
		T_EQ(list_names(r->store, HF_OBJ_KEY, &nm), 0);
		T_EQ(nm.n, 1);
		hf_repo_close(r);
	}
	hf_repo_close(NULL);
	/* wrong passphrases, including a prefix and the empty one */
	T_EQ(open_repo("co", "wrong", &r), -HF_E_PASSWORD);
	T_CHECK(r == NULL);
	T_EQ(open_repo("co", "correct horse battery stapl", &r), -HF_E_PASSWORD);
	T_EQ(open_repo("co", "", &r), -HF_E_PASSWORD);
	/* not a repository / creating over one */
	path_in(dir, sizeof(dir), "co-missing");
	T_EQ(hf_store_local_open(dir, 0, &st), -HF_E_NOTFOUND);
	T_EQ(create_repo("co", PASS, &g_params, NULL), -HF_E_EXISTS);

	/* explicit parameters are kept */
	{
		struct hf_repo_params p = g_params;
		p.chunk_min = 64 << 10;
		p.chunk_avg = 256 << 10;
		p.chunk_max = 1 << 20;
		p.pack_size = 4 << 20;
		p.zlevel = 7;
		T_EQ(create_repo("co2", "pw", &p, NULL), 0);
		T_EQ(open_repo("co2", "pw", &r), 0);
		if (r) {
			T_EQ(r->cfg.chunk_min, 64 << 10);
			T_EQ(r->cfg.chunk_avg, 256 << 10);
			T_EQ(r->cfg.chunk_max, 1 << 20);
			T_EQ(r->cfg.pack_size, 4 << 20);
			T_EQ(r->cfg.zlevel, 7);
			hf_repo_close(r);
		}
	}
}

/* Whatever KDF parameters hf_repo_create accepts, hf_repo_open must accept
 * too: otherwise create succeeds and leaves a repository nobody can open. */
static void test_kdf_params(void)
{
	static const struct hf_repo_params p[] = {
		{.kdf_ops = 1, .kdf_mem = 64u << 10},
		{.kdf_ops = 1, .kdf_mem = (8u << 20) - 1024},
		{.kdf_ops = 1, .kdf_mem = 8u << 20},
		{.kdf_ops = 2, .kdf_mem = 8u << 20},
	};
	struct hf_repo *r = NULL;
	char rel[32];

	for (size_t i = 0; i < sizeof(p) / sizeof(p[0]); i++) {
		int cr, op = 0;
		snprintf(rel, sizeof(rel), "kdf%zu", i);
		cr = create_repo(rel, PASS, &p[i], NULL);
		if (cr == 0) {
			op = open_repo(rel, PASS, &r);
			hf_repo_close(r);
			if (op != 0)
				fprintf(stderr, "created with kdf ops %llu mem %llu, but open gives %d\n",
					(unsigned long long)p[i].kdf_ops, (unsigned long long)p[i].kdf_mem, op);
		}
		T_CHECK(cr < 0 || op == 0);
	}
}

/* A config changed by one byte must not open: key files bind the config by
 * hash. Each try runs the KDF, so positions are sampled (every line, every
 * field: the digits, the hex, the separators). */
static void test_config_tamper(void)
{
	char path[600];
	struct hf_buf orig, copy;
	struct hf_repo *r = NULL;
	int accepted = 0, first = -1;
	static const uint8_t xors[] = {0x01, 0x20, 0xff};

	T_EQ(create_repo("cfg", PASS, &g_params, NULL), 0);
	obj_file(path, sizeof(path), "cfg", HF_OBJ_CONFIG, "config");
	hf_buf_init(&orig, 1 << 20);
	hf_buf_init(&copy, 1 << 20);
	T_EQ(read_file(path, &orig), 0);
	T_CHECK(orig.len > 100 && memcmp(orig.data, "holdfast repository\n", 20) == 0);
	for (size_t i = 0; i < orig.len; i += 1 + i % 13) {
		for (size_t x = 0; x < sizeof(xors); x++) {
			copy.len = 0;
			T_CHECK(hf_buf_append(&copy, orig.data, orig.len) == 0);
			copy.data[i] ^= xors[x];
			write_file(path, copy.data, copy.len);
			if (open_repo("cfg", PASS, &r) == 0) {
				if (first < 0)
					first = (int)i;
				accepted++;
				hf_repo_close(r);
			}
		}
	}
	/* appended and truncated configs */
	for (size_t cut = 0; cut < orig.len; cut += 1 + cut / 2) {
		write_file(path, orig.data, cut);
		if (open_repo("cfg", PASS, &r) == 0) {
			accepted++;
			hf_repo_close(r);
		}
	}
	copy.len = 0;
	T_CHECK(hf_buf_append(&copy, orig.data, orig.len) == 0);
	T_CHECK(hf_buf_append(&copy, "x\n", 2) == 0);
	write_file(path, copy.data, copy.len);
	if (open_repo("cfg", PASS, &r) == 0) {
		accepted++;
		hf_repo_close(r);
	}
	if (accepted)
		fprintf(stderr, "config: %d changed configs were accepted (first at byte %d)\n", accepted, first);
	T_EQ(accepted, 0);
	/* the original opens again */
	write_file(path, orig.data, orig.len);
	T_EQ(open_repo("cfg", PASS, &r), 0);
	hf_repo_close(r);
	/* a config that is not a config at all, and configs of other versions */
	write_file(path, "holdfast repository\nversion 3\n", 30);
	T_EQ(open_repo("cfg", PASS, &r), -HF_E_CORRUPT);
	write_file(path, "holdfast repository\nversion 4\n", 30);
	T_EQ(open_repo("cfg", PASS, &r), -HF_E_VERSION);
	{ /* version 2 had no deletion key: refused as older */
		char *at = memmem(orig.data, orig.len, "version 3", 9);
		T_CHECK(at != NULL);
		if (at) {
			at[8] = '2';
			write_file(path, orig.data, orig.len);
			T_EQ(open_repo("cfg", PASS, &r), -HF_E_VERSION);
			at[8] = '3';
		}
	}
	write_file(path, orig.data, orig.len);
	hf_buf_release(&orig);
	hf_buf_release(&copy);
}

/* ---- trees ---------------------------------------------------------------------- */

struct tree_fixture {
	struct hf_node nodes[10];
	struct hf_xattr xa[4];
	struct hf_part parts[3];
	struct hf_tree t;
};

static void fill_times(struct hf_meta *m, int64_t base)
{
	m->mtime_ns = base;
	m->atime_ns = base + 1;
	m->ctime_ns = base + 999999999;
}

/* one node of each type, every field set, sorted by name (memcmp order) */
static void tree_sample(struct tree_fixture *f)
{
	static const uint8_t capval[] = {0x01, 0x00, 0x00, 0x02, 0xff, 0x00, 0x20, 0x00};
	struct hf_node *n = f->nodes;
	int64_t t0 = 1700000000123456789LL;

	memset(f, 0, sizeof(*f));
	n[0].name = "blk";
	n[0].meta.type = HF_FT_BLK;
	n[0].meta.mode = 0660;
	n[0].meta.gid = 6;
	n[0].meta.user = "root";
	n[0].meta.group = "disk";
	n[0].meta.rdev = 0x0801;
	fill_times(&n[0].meta, t0);

	n[1].name = "chr";
	n[1].meta.type = HF_FT_CHR;
	n[1].meta.mode = 0666;
	n[1].meta.rdev = 0x0103;
	n[1].meta.nlink = 1;
	fill_times(&n[1].meta, t0);

	n[2].name = "dir";
	n[2].meta.type = HF_FT_DIR;
	n[2].meta.mode = 01777;
	n[2].meta.size = 4096;
	n[2].meta.nlink = 2;
	f->xa[3].name = "user.dir";
	f->xa[3].value = (uint8_t *)"v";
	f->xa[3].len = 1;
	n[2].meta.xattrs = &f->xa[3];
	n[2].meta.nxattrs = 1;
	memset(n[2].subtree, 0xab, HF_ID_LEN);
	n[2].subtree[0] = 0;
	fill_times(&n[2].meta, -1); /* before the epoch */

	n[3].name = "fifo";
	n[3].meta.type = HF_FT_FIFO;
	n[3].meta.mode = 0600;
	fill_times(&n[3].meta, t0);

	n[4].name = "file";
	n[4].meta.type = HF_FT_FILE;
	n[4].meta.mode = 04755;
	n[4].meta.uid = 4294967295u;
	n[4].meta.gid = 4294967294u;
	n[4].meta.user = "nobody";
	n[4].meta.group = "nogroup";
	n[4].meta.size = 10000000;
	n[4].meta.ino = UINT64_MAX;
	n[4].meta.dev = 0xfd00;
	n[4].meta.nlink = 3;
	n[4].meta.mtime_ns = -1;
	n[4].meta.atime_ns = INT64_MIN;
	n[4].meta.ctime_ns = INT64_MAX;
	n[4].has_profile = 1;
	n[4].profile = (struct hf_profile){.type = HF_CT_PDF,
					   .valid = HF_VALID_NO,
					   .encrypted_container = 1,
					   .text_utf8 = 1,
					   .light = 1,
					   .blocks = 2442,
					   .random_blocks = 2000};
	f->xa[0].name = "security.capability";
	f->xa[0].value = (uint8_t *)capval;
	f->xa[0].len = sizeof(capval);
	f->xa[1].name = "user.empty";
	f->xa[1].value = (uint8_t *)"";
	f->xa[1].len = 0;
	f->xa[2].name = "user.z";
	f->xa[2].value = (uint8_t *)"\xff\xfe\x00";
	f->xa[2].len = 3;
	n[4].meta.xattrs = f->xa;
	n[4].meta.nxattrs = 3;
	for (int i = 0; i < HF_ID_LEN; i++) {
		f->parts[0].id[i] = (uint8_t)i;
		f->parts[2].id[i] = (uint8_t)(255 - i);
	}
	f->parts[0].kind = HF_PART_DATA;
	f->parts[0].len = 65536;
	f->parts[1].kind = HF_PART_HOLE;
	f->parts[1].len = 1 << 20;
	f->parts[2].kind = HF_PART_DATA;
	f->parts[2].len = 4096;
	n[4].parts = f->parts;
	n[4].nparts = 3;

	n[5].name = "link";
	n[5].meta.type = HF_FT_SYMLINK;
	n[5].meta.mode = 0777;
	n[5].meta.link = "../x\x01\xff y";
	n[5].meta.link_len = 8;
	n[5].meta.size = 8;
	fill_times(&n[5].meta, t0);

	n[6].name = "sock";
	n[6].meta.type = HF_FT_SOCK;
	n[6].meta.mode = 0755;
	fill_times(&n[6].meta, t0);

	n[7].name = "z\xc3\xa9"; /* UTF-8 */
	n[7].meta.type = HF_FT_FILE;
	n[7].meta.mode = 0644;
	n[7].meta.uid = 1000;
	n[7].meta.gid = 1000;
	fill_times(&n[7].meta, t0);

	n[8].name = "\xff\xfe not utf-8"; /* sorts last: names compare as unsigned bytes */
	n[8].meta.type = HF_FT_FILE;
	n[8].meta.mode = 0;
	n[8].meta.size = 123;
	fill_times(&n[8].meta, t0);
	f->t.nodes = n;
	f->t.n = 9;
}

static int str_eq_opt(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "") == 0;
}

static int node_eq(const struct hf_node *a, const struct hf_node *b)
{
	const struct hf_meta *x = &a->meta, *y = &b->meta;

	if (strcmp(a->name, b->name) != 0 || x->type != y->type || x->mode != y->mode || x->uid != y->uid ||
	    x->gid != y->gid || !str_eq_opt(x->user, y->user) || !str_eq_opt(x->group, y->group) ||
	    x->size != y->size || x->ino != y->ino || x->dev != y->dev || x->nlink != y->nlink || x->rdev != y->rdev ||
	    x->mtime_ns != y->mtime_ns || x->atime_ns != y->atime_ns || x->ctime_ns != y->ctime_ns ||
	    x->nxattrs != y->nxattrs)
		return 0;
	if (x->type == HF_FT_SYMLINK &&
	    (x->link_len != y->link_len || !x->link || !y->link || memcmp(x->link, y->link, x->link_len) != 0))
		return 0;
	if (x->type != HF_FT_SYMLINK && y->link)
		return 0;
	for (size_t i = 0; i < x->nxattrs; i++)
		if (strcmp(x->xattrs[i].name, y->xattrs[i].name) != 0 || x->xattrs[i].len != y->xattrs[i].len ||
		    (x->xattrs[i].len && memcmp(x->xattrs[i].value, y->xattrs[i].value, x->xattrs[i].len) != 0))
			return 0;
	if (x->type == HF_FT_DIR && memcmp(a->subtree, b->subtree, HF_ID_LEN) != 0)
		return 0;
	return x->type != HF_FT_FILE ||
	       (a->has_profile == b->has_profile &&
		(!a->has_profile || memcmp(&a->profile, &b->profile, sizeof(a->profile)) == 0) &&
		hf_parts_equal(a->parts, a->nparts, b->parts, b->nparts));
}

/* decode p; on success the tree must re-encode to exactly p (the encoding is
 * canonical). Returns the decoder's result, or 1 if the re-encoding differs. */
static int decode_check(const uint8_t *p, size_t n)
{
	struct hf_tree t;
	struct hf_buf b;
	int r = hf_tree_decode(p, n, &t);

	if (r < 0) {
		if (t.n != 0 || t.nodes != NULL)
			return 2; /* failure must leave an empty tree */
		return r;
	}
	hf_buf_init(&b, 1u << 30);
	if (hf_tree_encode(&t, &b) < 0 || b.len != n || memcmp(b.data, p, n) != 0)
		r = 1;
	for (size_t i = 0; i < t.n && r == 0; i++)
		if (i > 0 && strcmp(t.nodes[i - 1].name, t.nodes[i].name) >= 0)
			r = 1;
	hf_buf_release(&b);
	hf_tree_release(&t);
	return r;
}

/* part lists compare by kind, length and data id; a hole's id means nothing */
static void test_parts_equal(void)
{
	struct hf_part a[3], b[3];

	memset(a, 0, sizeof(a));
	for (int i = 0; i < 3; i++) {
		a[i].kind = i == 1 ? HF_PART_HOLE : HF_PART_DATA;
		a[i].len = 1000 + (uint64_t)i;
		memset(a[i].id, i + 1, HF_ID_LEN);
	}
	memcpy(b, a, sizeof(a));
	T_EQ(hf_parts_equal(a, 3, b, 3), 1);
	T_EQ(hf_parts_equal(a, 0, b, 0), 1);
	T_EQ(hf_parts_equal(a, 3, b, 2), 0);
	b[1].id[0] ^= 1; /* a hole's id */
	T_EQ(hf_parts_equal(a, 3, b, 3), 1);
	b[2].id[HF_ID_LEN - 1] ^= 1;
	T_EQ(hf_parts_equal(a, 3, b, 3), 0);
	memcpy(b, a, sizeof(a));
	b[0].len++;
	T_EQ(hf_parts_equal(a, 3, b, 3), 0);
	memcpy(b, a, sizeof(a));
	b[1].kind = HF_PART_DATA;
	T_EQ(hf_parts_equal(a, 3, b, 3), 0);
}

static void test_tree_roundtrip(void)
{
	struct tree_fixture f;
	struct hf_tree t;
	struct hf_buf b, b2;

	tree_sample(&f);
	hf_buf_init(&b, 1 << 20);
	hf_buf_init(&b2, 1 << 20);
	T_EQ(hf_tree_encode(&f.t, &b), 0);
	T_EQ(b.data[0], 2); /* version */
	T_EQ(hf_tree_decode(b.data, b.len, &t), 0);
	T_EQ(t.n, f.t.n);
	for (size_t i = 0; i < t.n && i < f.t.n; i++) {
		if (!node_eq(&t.nodes[i], &f.t.nodes[i]))
			fprintf(stderr, "node %zu (%s) differs after the round trip\n", i, f.t.nodes[i].name);
		T_CHECK(node_eq(&t.nodes[i], &f.t.nodes[i]));
		T_CHECK(hf_tree_find(&t, f.t.nodes[i].name) == &t.nodes[i]);
	}
	/* decoded strings are NUL-terminated copies */
	T_CHECK(t.n > 5 && t.nodes[5].meta.link[8] == '\0');
	T_CHECK(hf_tree_find(&t, "absent") == NULL);
	T_CHECK(hf_tree_find(&t, "") == NULL);
	T_CHECK(hf_tree_find(&t, "fil") == NULL);
	T_EQ(hf_tree_encode(&t, &b2), 0);
	T_EQ(b2.len, b.len);
	T_CHECK(b2.len == b.len && memcmp(b.data, b2.data, b.len) == 0);
	T_EQ(decode_check(b.data, b.len), 0);
	hf_tree_release(&t);
	T_CHECK(t.nodes == NULL && t.n == 0);
	hf_tree_release(&t); /* twice is harmless */

	/* the empty tree */
	{
		struct hf_tree empty = {0};
		b.len = 0;
		T_EQ(hf_tree_encode(&empty, &b), 0);
		T_EQ(b.len, 2);
		T_EQ(hf_tree_decode(b.data, b.len, &t), 0);
		T_EQ(t.n, 0);
		T_CHECK(hf_tree_find(&t, "a") == NULL);
		hf_tree_release(&t);
	}
	hf_buf_release(&b);
	hf_buf_release(&b2);
}

/* Nodes with little metadata (zero ids, times and sizes, one-letter names)
 * encode to fewer than 20 bytes each. Such trees are what hf_tree_encode
 * writes for, e.g., empty files or fifos with mtime 0; they must decode. */
static void test_tree_small_nodes(void)
{
	struct hf_node nodes[20];
	char names[20][2];
	struct hf_tree t = {nodes, 1}, out;
	struct hf_buf b;
	static const int types[] = {HF_FT_FILE, HF_FT_FIFO, HF_FT_SOCK, HF_FT_SYMLINK, HF_FT_CHR};

	hf_buf_init(&b, 1 << 20);
	for (size_t k = 0; k < sizeof(types) / sizeof(types[0]); k++) {
		for (int count = 1; count <= 20; count += 19) {
			memset(nodes, 0, sizeof(nodes));
			for (int i = 0; i < count; i++) {
				names[i][0] = (char)('a' + i);
				names[i][1] = '\0';
				nodes[i].name = names[i];
				nodes[i].meta.type = (uint32_t)types[k];
				if (types[k] == HF_FT_SYMLINK) {
					nodes[i].meta.link = "t";
					nodes[i].meta.link_len = 1;
				}
			}
			t.n = (size_t)count;
			b.len = 0;
			T_EQ(hf_tree_encode(&t, &b), 0);
			int r = hf_tree_decode(b.data, b.len, &out);
			if (r < 0)
				fprintf(stderr, "tree of %d small node(s) of type %d (%zu bytes) does not decode: %d\n",
					count, types[k], b.len, r);
			T_EQ(r, 0);
			if (r == 0) {
				T_EQ(out.n, (size_t)count);
				hf_tree_release(&out);
			}
		}
	}
	hf_buf_release(&b);
}

/* a one-node tree around a regular file "a" with realistic metadata */
static void one_file(struct hf_node *nd, struct hf_part *parts)
{
	memset(nd, 0, sizeof(*nd));
	nd->name = "a";
	nd->meta.type = HF_FT_FILE;
	nd->meta.mode = 0644;
	nd->meta.uid = 1000;
	nd->meta.gid = 1000;
	nd->meta.user = "user";
	nd->meta.group = "group";
	nd->meta.size = 100;
	nd->meta.ino = 123456;
	nd->meta.nlink = 1;
	fill_times(&nd->meta, 1700000000123456789LL);
	memset(parts, 0, 2 * sizeof(*parts));
	parts[0].kind = HF_PART_DATA;
	parts[0].len = 60;
	parts[1].kind = HF_PART_HOLE;
	parts[1].len = 40;
	nd->parts = parts;
	nd->nparts = 2;
}

static int enc_dec(const struct hf_node *nodes, size_t n)
{
	struct hf_tree t = {(struct hf_node *)nodes, n};
	struct hf_buf b;
	int r;

	hf_buf_init(&b, 1 << 20);
	r = hf_tree_encode(&t, &b);
	if (r == 0)
		r = decode_check(b.data, b.len);
	hf_buf_release(&b);
	return r;
}

/* encodes nodes, replaces the first occurrence of `find` by `repl` (same
 * length) and decodes */
static int enc_patch_dec(const struct hf_node *nodes, size_t n, const void *find, const void *repl, size_t len)
{
	struct hf_tree t = {(struct hf_node *)nodes, n};
	struct hf_buf b;
	uint8_t *at;
	int r;

	hf_buf_init(&b, 1 << 20);
	r = hf_tree_encode(&t, &b);
	if (r == 0) {
		at = memmem(b.data, b.len, find, len);
		if (!at || memmem(at + 1, b.len - (size_t)(at - b.data) - 1, find, len))
			r = 99; /* the test's pattern must be unique */
		else {
			memcpy(at, repl, len);
			r = decode_check(b.data, b.len);
		}
	}
	hf_buf_release(&b);
	return r;
}

static void test_tree_rejects(void)
{
	struct hf_node nd[2], ctl;
	struct hf_part parts[2], parts2[2];
	struct hf_xattr xa;
	static const char *const bad_names[] = {"", ".", "..", "a/b", "/", "a/", "/a", "../a", "..."};

	one_file(&ctl, parts);
	T_EQ(enc_dec(&ctl, 1), 0); /* the control decodes */

	for (size_t i = 0; i < sizeof(bad_names) / sizeof(bad_names[0]); i++) {
		int want = strcmp(bad_names[i], "...") == 0 ? 0 : -HF_E_CORRUPT;
		one_file(&nd[0], parts);
		nd[0].name = (char *)bad_names[i];
		T_EQ(enc_dec(nd, 1), want);
	}
	/* embedded NULs: in the name, the owner names, an xattr name, a link target */
	one_file(&nd[0], parts);
	nd[0].name = "a#c";
	T_EQ(enc_patch_dec(nd, 1, "a#c", "a\0c", 3), -HF_E_CORRUPT);
	T_EQ(enc_patch_dec(nd, 1, "a#c", "abc", 3), 0);
	T_EQ(enc_patch_dec(nd, 1, "a#c", "a/c", 3), -HF_E_CORRUPT);
	T_EQ(enc_patch_dec(nd, 1,
			   "\x03"
			   "a#c",
			   "\x03"
			   "\0bc",
			   4),
	     -HF_E_CORRUPT);
	one_file(&nd[0], parts);
	nd[0].meta.user = "us#r";
	T_EQ(enc_patch_dec(nd, 1, "us#r", "us\0r", 4), -HF_E_CORRUPT);
	nd[0].meta.user = NULL;
	nd[0].meta.group = "gr#p";
	T_EQ(enc_patch_dec(nd, 1, "gr#p", "gr\0p", 4), -HF_E_CORRUPT);
	one_file(&nd[0], parts);
	xa.name = "user.x#";
	xa.value = (uint8_t *)"val";
	xa.len = 3;
	nd[0].meta.xattrs = &xa;
	nd[0].meta.nxattrs = 1;
	T_EQ(enc_patch_dec(nd, 1, "user.x#", "user.xy", 7), 0);
	T_EQ(enc_patch_dec(nd, 1, "user.x#", "user.x\0", 7), -HF_E_CORRUPT);
	T_EQ(enc_patch_dec(nd, 1, "val", "v\0l", 3), 0); /* values are binary */
	xa.name = "";
	T_EQ(enc_dec(nd, 1), -HF_E_CORRUPT); /* empty xattr name */
	memset(&nd[0], 0, sizeof(nd[0]));
	nd[0].name = "lnk";
	nd[0].meta.type = HF_FT_SYMLINK;
	nd[0].meta.user = "user";
	fill_times(&nd[0].meta, 1700000000123456789LL);
	nd[0].meta.link = "ta#get";
	nd[0].meta.link_len = 6;
	T_EQ(enc_patch_dec(nd, 1, "ta#get", "target", 6), 0);
	T_EQ(enc_patch_dec(nd, 1, "ta#get", "ta\0get", 6), -HF_E_CORRUPT);
	nd[0].meta.link_len = 0;
	nd[0].meta.link = "";
	T_EQ(enc_dec(nd, 1), -HF_E_CORRUPT); /* empty link target */

	/* order: unsorted and duplicate names */
	one_file(&nd[0], parts);
	one_file(&nd[1], parts2);
	nd[1].name = "b";
	T_EQ(enc_dec(nd, 2), 0);
	nd[0].name = "b";
	nd[1].name = "a";
	T_EQ(enc_dec(nd, 2), -HF_E_CORRUPT);
	nd[0].name = "a";
	nd[1].name = "a";
	T_EQ(enc_dec(nd, 2), -HF_E_CORRUPT);
	nd[0].name = "ab";
	nd[1].name = "a"; /* a prefix sorts first */
	T_EQ(enc_dec(nd, 2), -HF_E_CORRUPT);
	nd[0].name = "\x7f";
	nd[1].name = "\x80"; /* bytes compare unsigned */
	T_EQ(enc_dec(nd, 2), 0);

	/* parts */
	one_file(&nd[0], parts);
	nd[0].meta.size = 99; /* 60 + 40 > 99 */
	T_EQ(enc_dec(nd, 1), -HF_E_CORRUPT);
	nd[0].meta.size = 101; /* parts may cover less than the size */
	T_EQ(enc_dec(nd, 1), 0);
	parts[1].kind = 2; /* unknown part kind */
	T_EQ(enc_dec(nd, 1), -HF_E_CORRUPT);
	one_file(&nd[0], parts);
	parts[0].len = (uint64_t)HF_BLOB_MAX + 1; /* data part bigger than any blob */
	nd[0].meta.size = UINT64_MAX;
	T_EQ(enc_dec(nd, 1), -HF_E_CORRUPT);
	parts[0].len = HF_BLOB_MAX;
	parts[1].len = (uint64_t)1 << 50; /* holes may be huge */
	T_EQ(enc_dec(nd, 1), 0);
	parts[0].kind = HF_PART_HOLE;
	parts[0].len = UINT64_MAX / 2 + 1;
	parts[1].len = UINT64_MAX / 2 + 1; /* the sum overflows */
	T_EQ(enc_dec(nd, 1), -HF_E_CORRUPT);

	/* types and numbers out of range */
	static const uint32_t bad_types[] = {0, 8, 9, 127, 255};
	for (size_t i = 0; i < sizeof(bad_types) / sizeof(bad_types[0]); i++) {
		memset(&nd[0], 0, sizeof(nd[0]));
		nd[0].name = "n";
		nd[0].meta.type = bad_types[i];
		nd[0].meta.user = "user";
		fill_times(&nd[0].meta, 1700000000123456789LL);
		T_EQ(enc_dec(nd, 1), -HF_E_CORRUPT);
		nd[0].meta.type = HF_FT_FIFO; /* the same bytes, a known type */
		T_EQ(enc_dec(nd, 1), 0);
	}
	one_file(&nd[0], parts);
	nd[0].meta.mode = 07777;
	T_EQ(enc_dec(nd, 1), 0);
	nd[0].meta.mode = 010000; /* file-type bits do not belong in mode */
	T_EQ(enc_dec(nd, 1), -HF_E_CORRUPT);
	/* uid/gid beyond 32 bits: varint ff ff ff ff 0f → ff ff ff ff 1f */
	one_file(&nd[0], parts);
	nd[0].meta.uid = UINT32_MAX;
	T_EQ(enc_patch_dec(nd, 1, "\xff\xff\xff\xff\x0f", "\xff\xff\xff\xff\x1f", 5), -HF_E_CORRUPT);
	nd[0].meta.uid = 0;
	nd[0].meta.gid = UINT32_MAX;
	T_EQ(enc_patch_dec(nd, 1, "\xff\xff\xff\xff\x0f", "\xff\xff\xff\xff\x1f", 5), -HF_E_CORRUPT);

	/* framing: version, count, trailing bytes */
	{
		struct hf_tree t1 = {&ctl, 1};
		struct hf_tree out;
		struct hf_buf b;

		hf_buf_init(&b, 1 << 20);
		T_EQ(hf_tree_encode(&t1, &b), 0);
		b.data[0] = 3;
		T_EQ(decode_check(b.data, b.len), -HF_E_CORRUPT);
		b.data[0] = 0;
		T_EQ(decode_check(b.data, b.len), -HF_E_CORRUPT);
		/* version 1 has no profile byte after a file's parts */
		b.data[0] = 1;
		T_EQ(decode_check(b.data, b.len), -HF_E_CORRUPT);
		{ /* decodes, and is written back as version 2 */
			struct hf_tree v1;
			T_EQ(hf_tree_decode(b.data, b.len - 1, &v1), 0);
			T_EQ(v1.n, 1);
			T_EQ(v1.nodes[0].has_profile, 0);
			hf_tree_release(&v1);
		}
		b.data[0] = 2;
		/* a profile byte with unknown bits, or bits but no profile */
		b.data[b.len - 1] = 0x20;
		T_EQ(decode_check(b.data, b.len), -HF_E_CORRUPT);
		b.data[b.len - 1] = 0x02;
		T_EQ(decode_check(b.data, b.len), -HF_E_CORRUPT);
		b.data[b.len - 1] = 0;
		b.data[1] = 2; /* says two entries, holds one */
		T_EQ(decode_check(b.data, b.len), -HF_E_CORRUPT);
		b.data[1] = 0; /* says none, holds one */
		T_EQ(decode_check(b.data, b.len), -HF_E_CORRUPT);
		b.data[1] = 1;
		T_EQ(decode_check(b.data, b.len), 0);
		T_CHECK(hf_buf_put_u8(&b, 0) == 0);
		T_EQ(decode_check(b.data, b.len), -HF_E_CORRUPT);
		/* huge counts are refused before anything is allocated for them */
		static const uint8_t huge[][12] = {
			{1, 0xff, 0xff, 0xff, 0xff, 0x0f},
			{1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01},
			{1, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01},
		};
		for (size_t i = 0; i < 3; i++)
			T_EQ(hf_tree_decode(huge[i], sizeof(huge[i]), &out), -HF_E_CORRUPT);
		T_EQ(hf_tree_decode("", 0, &out), -HF_E_CORRUPT);
		T_EQ(hf_tree_decode(NULL, 0, &out), -HF_E_CORRUPT);
		T_EQ(hf_tree_decode("\x01", 1, &out), -HF_E_CORRUPT);
		T_CHECK(out.n == 0 && out.nodes == NULL);
		hf_buf_release(&b);
	}
}

static void test_tree_truncation(void)
{
	struct tree_fixture f;
	struct hf_buf b;
	int bad = 0;

	tree_sample(&f);
	hf_buf_init(&b, 1 << 20);
	T_EQ(hf_tree_encode(&f.t, &b), 0);
	for (size_t n = 0; n < b.len; n++) {
		/* a copy of exactly n bytes, so ASan sees any read past the end */
		uint8_t *p = malloc(n ? n : 1);
		memcpy(p, b.data, n);
		int r = decode_check(p, n);
		if (r != -HF_E_CORRUPT) {
			if (!bad)
				fprintf(stderr, "tree prefix of %zu bytes: %d\n", n, r);
			bad++;
		}
		free(p);
	}
	T_EQ(bad, 0);
	T_EQ(decode_check(b.data, b.len), 0);
	hf_buf_release(&b);
}

static void test_tree_bitflips(void)
{
	struct tree_fixture f;
	struct hf_buf b;
	int accepted = 0, wrong = 0;

	tree_sample(&f);
	hf_buf_init(&b, 1 << 20);
	T_EQ(hf_tree_encode(&f.t, &b), 0);
	for (size_t i = 0; i < b.len * 8; i++) {
		uint8_t *p = malloc(b.len);
		memcpy(p, b.data, b.len);
		p[i / 8] ^= (uint8_t)(1u << (i % 8));
		int r = decode_check(p, b.len);
		if (r == 0)
			accepted++;
		else if (r > 0) {
			if (!wrong)
				fprintf(stderr, "tree bit %zu flipped: decoded to a different encoding (%d)\n", i, r);
			wrong++;
		}
		free(p);
	}
	T_EQ(wrong, 0);
	T_CHECK(accepted > 0); /* flips in times, ids etc. still decode */
	hf_buf_release(&b);
}

/* random mutations: replace, insert, delete bytes */
static void test_tree_mutations(void)
{
	struct tree_fixture f;
	struct hf_buf b;
	int wrong = 0;

	tree_sample(&f);
	hf_buf_init(&b, 1 << 20);
	T_EQ(hf_tree_encode(&f.t, &b), 0);
	for (int it = 0; it < 20000; it++) {
		size_t n = b.len, cap = b.len + 16;
		uint8_t *p = malloc(cap);
		int muts = 1 + (int)(rnd() % 4);

		memcpy(p, b.data, n);
		for (int m = 0; m < muts && n > 0; m++) {
			size_t at = (size_t)(rnd() % n);
			switch (rnd() % 4) {
			case 0:
				p[at] = (uint8_t)rnd();
				break;
			case 1: /* an interesting value */
				p[at] = (uint8_t[]){0, 1, 0x7f, 0x80, 0xff, '/', '.'}[rnd() % 7];
				break;
			case 2:
				if (n < cap) {
					memmove(p + at + 1, p + at, n - at);
					p[at] = (uint8_t)rnd();
					n++;
				}
				break;
			default:
				memmove(p + at, p + at + 1, n - at - 1);
				n--;
				break;
			}
		}
		uint8_t *q = malloc(n ? n : 1);
		memcpy(q, p, n);
		if (decode_check(q, n) > 0)
			wrong++;
		free(q);
		free(p);
	}
	T_EQ(wrong, 0);
	hf_buf_release(&b);
}

/* ---- the write path, end to end ---------------------------------------------------- */

struct tblob {
	uint8_t id[HF_ID_LEN];
	uint8_t *data;
	size_t len;
	int type, flags;
};

#define NBLOBS 4
static struct tblob g_blobs[NBLOBS];
static struct hf_repo *g_main; /* "main": one pack, one index, the snapshots */
static char g_pack[HF_ID_HEX_LEN + 1], g_index[HF_ID_HEX_LEN + 1];

static void make_blobs(struct hf_repo *r)
{
	struct tree_fixture f;
	struct hf_buf b;

	/* 0: random data, stored raw */
	g_blobs[0].len = 3000;
	g_blobs[0].data = malloc(g_blobs[0].len);
	hf_random(g_blobs[0].data, g_blobs[0].len);
	/* 1: text, compressed */
	g_blobs[1].len = 40000;
	g_blobs[1].data = malloc(g_blobs[1].len);
	for (size_t i = 0; i < g_blobs[1].len; i++)
		g_blobs[1].data[i] = (uint8_t) "holdfast keeps backups safe. "[i % 29] ^ (uint8_t)(i / 997 % 2);
	g_blobs[1].flags = HF_BLOB_F_ZSTD;
	/* 2: a tree */
	tree_sample(&f);
	hf_buf_init(&b, 1 << 20);
	hf_tree_encode(&f.t, &b);
	g_blobs[2].data = b.data;
	g_blobs[2].len = b.len;
	g_blobs[2].type = HF_BLOB_TREE;
	/* 3: empty */
	g_blobs[3].data = malloc(1);
	g_blobs[3].len = 0;
	for (int i = 0; i < NBLOBS; i++)
		hf_repo_blob_id(r, g_blobs[i].data, g_blobs[i].len, g_blobs[i].id);
}

static int add_blob(struct hf_pack_writer *w, struct hf_zctx *z, const struct tblob *tb)
{
	if (tb->flags & HF_BLOB_F_ZSTD) {
		size_t cap = hf_compress_bound(tb->len), outlen = 0;
		uint8_t *dst = malloc(cap);
		int r = hf_compress(z, tb->data, tb->len, dst, cap, &outlen);
		T_EQ(r, 1);
		if (r == 1)
			r = hf_pack_add(w, tb->id, tb->type, tb->flags, dst, outlen, (uint32_t)tb->len);
		free(dst);
		return r;
	}
	return hf_pack_add(w, tb->id, tb->type, tb->flags, tb->data, tb->len, (uint32_t)tb->len);
}

/* reads every test blob back and compares; returns the number that differ */
static int read_all_blobs(struct hf_repo *r)
{
	struct hf_blob_reader br;
	struct hf_buf out;
	int bad = 0;

	hf_blob_reader_init(&br, r);
	hf_buf_init(&out, HF_BLOB_MAX);
	for (int i = 0; i < NBLOBS; i++) {
		int ret = hf_blob_read(&br, g_blobs[i].id, &out);
		if (ret != 0 || out.len != g_blobs[i].len ||
		    (out.len && memcmp(out.data, g_blobs[i].data, out.len) != 0)) {
			fprintf(stderr, "blob %d: read %d, %zu bytes\n", i, ret, out.len);
			bad++;
		}
	}
	hf_buf_release(&out);
	hf_blob_reader_release(&br);
	return bad;
}

/* passes range reads to another store and counts them (each is a request
 * on a remote store); nothing else is called on it */
struct range_count_store {
	struct hf_store base;
	struct hf_store *inner;
	int reads;
};
static int rc_get_range(struct hf_store *s, int kind, const char *name, uint64_t off, size_t n, void *out)
{
	struct range_count_store *rc = (struct range_count_store *)s;

	rc->reads++;
	return hf_store_get_range(rc->inner, kind, name, off, n, out);
}
static const struct hf_store_ops rc_ops = {.get_range = rc_get_range};

/* the header read with `expect` entries said: the entries, and the reads it took */
static int header_reads(struct hf_repo *r, struct hf_aead *a, uint64_t size, size_t expect, size_t *n)
{
	struct range_count_store rc = {.base = {.ops = &rc_ops, .location = "counted"}, .inner = r->store};
	struct hf_pack_entry *e = NULL;
	int ret;

	r->store = &rc.base;
	ret = hf_pack_read_header(r, a, g_pack, size, expect, &e, n);
	r->store = rc.inner;
	free(e);
	return ret < 0 ? ret : rc.reads;
}

static void test_end_to_end(void)
{
	struct hf_repo *r = NULL;
	struct hf_session *ses = NULL;
	struct hf_pack_writer *w;
	struct hf_index_builder *ib;
	struct hf_zctx *z = hf_zctx_new(3);
	struct names nm;
	struct hf_buf obj;
	uint8_t h[HF_ID_LEN];
	char hex[HF_ID_HEX_LEN + 1];
	size_t bad = 99, npacks, nblobs;

	T_EQ(create_repo("main", PASS, &g_params, NULL), 0);
	T_EQ(open_repo("main", PASS, &r), 0);
	if (!r)
		return;
	make_blobs(r);
	T_EQ(hf_session_new(r, &ses), 0);
	if (!ses) {
		hf_repo_close(r);
		return;
	}
	w = hf_pack_writer_new(r, ses);
	ib = hf_index_builder_new(r, ses);
	/* nothing to write yet: no pack, no index object */
	T_EQ(hf_pack_flush(w, ib), 0);
	T_EQ(hf_index_builder_write(ib), 0);
	T_EQ(list_names(r->store, HF_OBJ_PACK, &nm), 0);
	T_EQ(nm.n, 0);
	T_EQ(list_names(r->store, HF_OBJ_INDEX, &nm), 0);
	T_EQ(nm.n, 0);

	for (int i = 0; i < NBLOBS; i++)
		T_EQ(add_blob(w, z, &g_blobs[i]), 0);
	T_EQ(hf_pack_writer_blobs(w), NBLOBS);
	T_EQ(hf_pack_full(w), 0);
	T_EQ(hf_pack_flush(w, ib), 0);
	T_EQ(hf_pack_writer_blobs(w), 0);
	hf_index_builder_pending(ib, &npacks, &nblobs);
	T_EQ(npacks, 1);
	T_EQ(nblobs, NBLOBS);
	T_CHECK(hf_index_builder_bytes_stored(ib) > 0);
	T_EQ(hf_index_builder_write(ib), 0);
	hf_index_builder_pending(ib, &npacks, &nblobs);
	T_EQ(npacks, 0);
	T_EQ(nblobs, 0);
	hf_index_builder_free(ib);
	hf_pack_writer_free(w);

	/* objects are named by the SHA-256 of their bytes */
	hf_buf_init(&obj, HF_META_OBJ_MAX);
	T_EQ(list_names(r->store, HF_OBJ_PACK, &nm), 0);
	T_EQ(nm.n, 1);
	snprintf(g_pack, sizeof(g_pack), "%s", nm.v[0]);
	T_EQ(hf_store_get(r->store, HF_OBJ_PACK, g_pack, &obj), 0);
	hf_sha256(obj.data, obj.len, h);
	hf_id_hex(h, hex);
	T_CHECK(strcmp(hex, g_pack) == 0);
	T_EQ(list_names(r->store, HF_OBJ_INDEX, &nm), 0);
	T_EQ(nm.n, 1);
	snprintf(g_index, sizeof(g_index), "%s", nm.v[0]);
	T_EQ(hf_store_get(r->store, HF_OBJ_INDEX, g_index, &obj), 0);
	T_CHECK(obj.len > 8 && memcmp(obj.data, HF_MAGIC_INDEX, 8) == 0);
	hf_sha256(obj.data, obj.len, h);
	hf_id_hex(h, hex);
	T_CHECK(strcmp(hex, g_index) == 0);

	/* nothing is readable before the index is loaded */
	{
		struct hf_blob_reader br;
		struct hf_buf out;
		hf_blob_reader_init(&br, r);
		hf_buf_init(&out, HF_BLOB_MAX);
		T_EQ(hf_blob_read(&br, g_blobs[0].id, &out), -HF_E_NOTFOUND);
		hf_buf_release(&out);
		hf_blob_reader_release(&br);
	}
	T_EQ(hf_repo_load_index(r, &bad, NULL, NULL), 0);
	T_EQ(bad, 0);
	T_CHECK(r->index != NULL);
	if (!r->index)
		goto out;
	T_EQ(hf_index_count(r->index), NBLOBS);
	T_EQ(r->index->npacks, 1);
	T_EQ(r->index->nfiles, 1);
	T_CHECK(r->index->nfiles == 1 && strcmp(r->index->files[0], g_index) == 0);
	hf_id_hex(r->index->packs[0].id, hex);
	T_CHECK(strcmp(hex, g_pack) == 0);
	for (int i = 0; i < NBLOBS; i++) {
		const struct hf_blob_loc *loc = hf_index_find(r->index, g_blobs[i].id);
		T_CHECK(loc != NULL);
		if (!loc)
			continue;
		T_EQ(loc->type, g_blobs[i].type);
		T_EQ(loc->flags, g_blobs[i].flags);
		T_EQ(loc->raw_len, g_blobs[i].len);
		T_EQ(loc->pack, 0);
	}
	T_EQ(read_all_blobs(r), 0);

	/* a blob nobody wrote; a tree; a data blob read as a tree */
	{
		struct hf_blob_reader br;
		struct hf_buf out;
		struct hf_tree t;
		uint8_t other[HF_ID_LEN];

		hf_blob_reader_init(&br, r);
		hf_buf_init(&out, HF_BLOB_MAX);
		hf_repo_blob_id(r, "never stored", 12, other);
		T_EQ(hf_blob_read(&br, other, &out), -HF_E_NOTFOUND);
		T_EQ(hf_tree_load(&br, g_blobs[2].id, &t), 0);
		T_EQ(t.n, 9);
		hf_tree_release(&t);
		T_EQ(hf_tree_load(&br, g_blobs[0].id, &t), -HF_E_CORRUPT);
		T_EQ(hf_tree_load(&br, other, &t), -HF_E_NOTFOUND);
		/* the same id from another key would differ */
		hf_mac((const uint8_t *)"0123456789abcdef0123456789abcdef", g_blobs[0].data, g_blobs[0].len, other);
		T_CHECK(memcmp(other, g_blobs[0].id, HF_ID_LEN) != 0);
		/* hf_blob_decode on stored bytes fetched by hand */
		const struct hf_blob_loc *loc = hf_index_find(r->index, g_blobs[1].id);
		if (loc) {
			uint8_t *stored = malloc(loc->stored_len);
			T_EQ(hf_store_get_range(r->store, HF_OBJ_PACK, g_pack, loc->offset, loc->stored_len, stored),
			     0);
			T_EQ(hf_blob_decode(&br, g_blobs[1].id, loc, stored, &out), 0);
			T_CHECK(out.len == g_blobs[1].len && memcmp(out.data, g_blobs[1].data, out.len) == 0);
			/* the right bytes under the wrong id */
			T_CHECK(hf_blob_decode(&br, g_blobs[0].id, loc, stored, &out) < 0);
			T_EQ(out.len, 0);
			free(stored);
		}
		hf_buf_release(&out);
		hf_blob_reader_release(&br);
	}

	/* the pack's own header lists the same blobs */
	{
		struct hf_aead *a = hf_aead_new();
		struct hf_pack_entry *e = NULL;
		size_t n = 0;
		uint64_t size = 0;

		T_EQ(hf_store_size(r->store, HF_OBJ_PACK, g_pack, &size), 0);
		T_EQ(hf_pack_read_header(r, a, g_pack, size, 0, &e, &n), 0);
		T_EQ(n, NBLOBS);
		for (size_t i = 0; i < n && i < NBLOBS; i++) {
			const struct hf_blob_loc *loc = hf_index_find(r->index, e[i].id);
			T_MEMEQ(e[i].id, g_blobs[i].id, HF_ID_LEN);
			T_EQ(e[i].type, g_blobs[i].type);
			T_EQ(e[i].flags, g_blobs[i].flags);
			T_EQ(e[i].raw_len, g_blobs[i].len);
			T_CHECK(loc && loc->offset == e[i].offset && loc->stored_len == e[i].stored_len);
		}
		free(e);
		/* told how many entries to expect, trailer and header come in one
		 * read; with too few expected, in two; with more than the pack
		 * holds, in one read of the whole pack */
		T_EQ(header_reads(r, a, size, 0, &n), 2);
		T_EQ(n, NBLOBS);
		T_EQ(header_reads(r, a, size, NBLOBS, &n), 1);
		T_EQ(n, NBLOBS);
		T_EQ(header_reads(r, a, size, 1, &n), 2);
		T_EQ(n, NBLOBS);
		T_EQ(header_reads(r, a, size, 1000000, &n), 1);
		T_EQ(n, NBLOBS);
		/* a wrong size is not a crash */
		for (size_t expect = 0; expect <= NBLOBS; expect += NBLOBS) {
			T_CHECK(hf_pack_read_header(r, a, g_pack, size - 1, expect, &e, &n) < 0);
			T_CHECK(hf_pack_read_header(r, a, g_pack, size + 1, expect, &e, &n) < 0);
			T_CHECK(hf_pack_read_header(r, a, g_pack, 10, expect, &e, &n) < 0);
			T_CHECK(hf_pack_read_header(r, a, g_pack, 0, expect, &e, &n) < 0);
			T_CHECK(e == NULL && n == 0);
			T_CHECK(hf_pack_read_header(r, a, "abcd", 1000, expect, &e, &n) < 0);
		}
		hf_aead_free(a);
	}

	/* a second handle sees the same */
	{
		struct hf_repo *r2 = NULL;
		T_EQ(open_repo("main", PASS, &r2), 0);
		if (r2) {
			T_EQ(hf_repo_load_index(r2, NULL, NULL, NULL), 0);
			T_EQ(read_all_blobs(r2), 0);
			hf_repo_close(r2);
		}
	}
out:
	hf_buf_release(&obj);
	hf_session_free(ses);
	hf_session_free(NULL);
	hf_zctx_free(z);
	g_main = r;
}

/* ---- whole packs in memory (pack_cache.c) ------------------------------------------------ */

/* a new pack holding one data blob of n bytes made from seed, its id in id;
 * the index is loaded again */
static void one_blob_pack(struct hf_repo *r, size_t n, unsigned seed, uint8_t id[HF_ID_LEN])
{
	struct hf_session *ses = NULL;
	struct hf_pack_writer *w;
	struct hf_index_builder *ib;
	uint8_t *p = malloc(n);

	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)((i * 2654435761u + seed) >> 11);
	hf_repo_blob_id(r, p, n, id);
	T_EQ(hf_session_new(r, &ses), 0);
	if (!ses) {
		free(p);
		return;
	}
	w = hf_pack_writer_new(r, ses);
	ib = hf_index_builder_new(r, ses);
	T_EQ(hf_pack_add(w, id, HF_BLOB_DATA, 0, p, n, (uint32_t)n), 0);
	T_EQ(hf_pack_flush(w, ib), 0);
	T_EQ(hf_index_builder_write(ib), 0);
	hf_index_builder_free(ib);
	hf_pack_writer_free(w);
	hf_session_free(ses);
	free(p);
	T_EQ(hf_repo_load_index(r, NULL, NULL, NULL), 0);
}

/* A reader decodes a blob where the cache holds its pack (hf_pack_cache_hold):
 * that pack must stay put until it lets go, even when another pack wants
 * the only slot. */
static void test_pack_cache_hold(void)
{
	struct hf_repo *r = NULL;
	struct hf_pack_cache *c;
	struct hf_pack_hold h;
	const struct hf_blob_loc *la, *lb;
	const uint8_t *at = NULL;
	uint8_t ida[HF_ID_LEN], idb[HF_ID_LEN], *want_a, *want_b, *got;
	uint32_t pa, pb;
	char name[HF_ID_HEX_LEN + 1];

	T_EQ(create_repo("cache", PASS, &g_params, NULL), 0);
	T_EQ(open_repo("cache", PASS, &r), 0);
	if (!r)
		return;
	one_blob_pack(r, 70000, 1, ida);
	one_blob_pack(r, 50000, 2, idb);
	la = r->index ? hf_index_find(r->index, ida) : NULL;
	lb = r->index ? hf_index_find(r->index, idb) : NULL;
	T_CHECK(la && lb && la->pack != lb->pack);
	if (!la || !lb || la->pack == lb->pack) {
		hf_repo_close(r);
		return;
	}
	pa = la->pack;
	pb = lb->pack;
	want_a = malloc(la->stored_len);
	want_b = malloc(lb->stored_len);
	got = malloc(lb->stored_len);
	hf_id_hex(r->index->packs[pa].id, name);
	T_EQ(hf_store_get_range(r->store, HF_OBJ_PACK, name, la->offset, la->stored_len, want_a), 0);
	hf_id_hex(r->index->packs[pb].id, name);
	T_EQ(hf_store_get_range(r->store, HF_OBJ_PACK, name, lb->offset, lb->stored_len, want_b), 0);

	c = hf_pack_cache_new(r, 1, 0);
	T_EQ(hf_pack_cache_hold(c, pa, la->offset, la->stored_len, &at, &h), 0);
	T_CHECK(at && memcmp(at, want_a, la->stored_len) == 0);
	/* the only slot is held: the other pack goes round the cache */
	T_EQ(hf_pack_cache_read(c, pb, lb->offset, lb->stored_len, got), -EAGAIN);
	T_CHECK(at && memcmp(at, want_a, la->stored_len) == 0);
	/* the same pack is shared while held */
	T_EQ(hf_pack_cache_read(c, pa, la->offset, 16, got), 0);
	T_MEMEQ(got, want_a, 16);
	hf_pack_cache_let_go(c, &h);
	/* let go: the slot is free for the other pack */
	T_EQ(hf_pack_cache_read(c, pb, lb->offset, lb->stored_len, got), 0);
	T_MEMEQ(got, want_b, lb->stored_len);
	/* past a pack's end: an error, nothing held */
	T_EQ(hf_pack_cache_hold(c, pb, lb->offset, 1u << 24, &at, &h), -HF_E_CORRUPT);
	T_EQ(hf_pack_cache_read(c, pa, la->offset, 16, got), 0);
	hf_pack_cache_free(c);

	/* a reader with the cache reads both blobs back */
	{
		struct hf_blob_reader br;
		struct hf_buf out;
		hf_blob_reader_init(&br, r);
		br.cache = hf_pack_cache_new(r, 1, 0);
		hf_buf_init(&out, HF_BLOB_MAX);
		T_EQ(hf_blob_read(&br, ida, &out), 0);
		T_EQ(out.len, 70000);
		T_EQ(hf_blob_read(&br, idb, &out), 0);
		T_EQ(out.len, 50000);
		hf_pack_cache_free(br.cache);
		br.cache = NULL;
		hf_buf_release(&out);
		hf_blob_reader_release(&br);
	}
	free(want_a);
	free(want_b);
	free(got);
	hf_repo_close(r);
}

/* ---- snapshots ------------------------------------------------------------------------ */

static struct hf_snapshot g_snaps[3];

static int snap_eq(const struct hf_snapshot *a, const struct hf_snapshot *b)
{
	if (memcmp(a->id, b->id, HF_ID_LEN) != 0 || a->time_ns != b->time_ns || !str_eq_opt(a->host, b->host) ||
	    !str_eq_opt(a->user, b->user) || a->npaths != b->npaths || a->nexcludes != b->nexcludes ||
	    memcmp(a->tree, b->tree, HF_ID_LEN) != 0 || a->has_parent != b->has_parent ||
	    (a->has_parent && memcmp(a->parent, b->parent, HF_ID_LEN) != 0) || a->files != b->files ||
	    a->dirs != b->dirs || a->bytes != b->bytes || a->errors != b->errors)
		return 0;
	for (size_t i = 0; i < a->npaths; i++)
		if (strcmp(a->paths[i], b->paths[i]) != 0)
			return 0;
	for (size_t i = 0; i < a->nexcludes; i++)
		if (strcmp(a->excludes[i], b->excludes[i]) != 0)
			return 0;
	return 1;
}

/* A store that keeps the last object put in memory: lets the test write
 * hundreds of snapshot objects without touching the disk. */
struct cap_store {
	struct hf_store base;
	uint8_t obj[4096];
	size_t len;
};

static int cap_put(struct hf_store *s, int kind, const char *name, const void *p, size_t n, int flags)
{
	struct cap_store *cs = (struct cap_store *)s;

	(void)kind;
	(void)name;
	if (n > sizeof(cs->obj))
		return -HF_E_LIMIT;
	memcpy(cs->obj, p, n);
	cs->len = n;
	return 0;
}
static int cap_get(struct hf_store *s, int kind, const char *name, struct hf_buf *out)
{
	return -HF_E_USAGE;
}
static int cap_get_range(struct hf_store *s, int kind, const char *name, uint64_t off, size_t n, void *out)
{
	return -HF_E_USAGE;
}
static int cap_size(struct hf_store *s, int kind, const char *name, uint64_t *size)
{
	return -HF_E_USAGE;
}
static int cap_list(struct hf_store *s, int kind, hf_store_list_fn fn, void *arg)
{
	return -HF_E_USAGE;
}
static int cap_remove(struct hf_store *s, int kind, const char *name)
{
	return -HF_E_USAGE;
}
static int cap_sync(struct hf_store *s)
{
	return 0;
}
static void cap_close(struct hf_store *s)
{
}
static const struct hf_store_ops cap_ops = {
	.put = cap_put,
	.get = cap_get,
	.get_range = cap_get_range,
	.size = cap_size,
	.list = cap_list,
	.remove = cap_remove,
	.sync = cap_sync,
	.close = cap_close,
};

/* writes snapshots into memory until two ids share their first 4 hex digits,
 * then stores that pair; fills prefix */
static int make_ambiguous_pair(struct hf_repo *r, const struct hf_session *ses, char prefix[5])
{
	struct cap_store cs = {.base = {.ops = &cap_ops, .location = "memory"}};
	struct hf_store *real = r->store;
	static int32_t seen[65536];
	uint8_t(*objs)[600] = malloc(20000 * sizeof(*objs));
	size_t *lens = malloc(20000 * sizeof(*lens));
	struct hf_snapshot s;
	int found = -1, ret = -1;
	char hex[HF_ID_HEX_LEN + 1];

	memset(seen, 0xff, sizeof(seen));
	memset(&s, 0, sizeof(s));
	s.host = "ambiguous";
	s.user = "test";
	memcpy(s.tree, g_blobs[2].id, HF_ID_LEN);
	r->store = &cs.base;
	for (int i = 0; i < 20000; i++) {
		s.time_ns = 1000 + i;
		if (hf_snapshot_write(r, ses, &s) < 0 || cs.len > sizeof(objs[0]))
			break;
		unsigned p = (unsigned)s.id[0] << 8 | s.id[1];
		memcpy(objs[i], cs.obj, cs.len);
		lens[i] = cs.len;
		if (seen[p] >= 0) {
			found = i;
			break;
		}
		seen[p] = i;
	}
	r->store = real;
	if (found >= 0) {
		unsigned p;
		uint8_t h[HF_ID_LEN];
		hf_sha256(objs[found], lens[found], h);
		p = (unsigned)h[0] << 8 | h[1];
		int other = seen[p];
		ret = 0;
		for (int k = 0; k < 2 && ret == 0; k++) {
			int i = k ? other : found;
			hf_sha256(objs[i], lens[i], h);
			hf_id_hex(h, hex);
			ret = hf_store_put(r->store, HF_OBJ_SNAPSHOT, hex, objs[i], lens[i]);
		}
		snprintf(prefix, 5, "%.4s", hex);
	}
	free(objs);
	free(lens);
	return ret;
}

static void test_snapshots(void)
{
	struct hf_repo *r = g_main;
	struct hf_session *ses = NULL;
	struct hf_snapshot s, *all = NULL;
	char hex[3][HF_ID_HEX_LEN + 1], ref[HF_ID_HEX_LEN + 2];
	static char *paths[] = {"/etc", "/home/u", "/srv/d\xc3\xa9j\xc3\xa0"};
	static char *excl[] = {"*.tmp", "/home/*/.cache"};
	size_t n = 0, bad = 99;

	T_CHECK(r != NULL);
	if (!r)
		return;
	T_EQ(hf_session_new(r, &ses), 0);
	if (!ses)
		return;
	/* written out of time order on purpose */
	memset(g_snaps, 0, sizeof(g_snaps));
	g_snaps[1].time_ns = -5; /* before the epoch */
	g_snaps[1].host = "host-a";
	g_snaps[1].user = "root";
	g_snaps[1].paths = paths;
	g_snaps[1].npaths = 3;
	memcpy(g_snaps[1].tree, g_blobs[2].id, HF_ID_LEN);
	g_snaps[1].excludes = excl;
	g_snaps[1].nexcludes = 2;
	g_snaps[1].files = 10;
	g_snaps[1].dirs = 2;
	g_snaps[1].bytes = UINT64_MAX;
	g_snaps[1].errors = 1;
	T_EQ(hf_snapshot_write(r, ses, &g_snaps[1]), 0);

	g_snaps[2].time_ns = 1700000000123456790LL;
	g_snaps[2].host = "h";
	g_snaps[2].user = "u";
	memcpy(g_snaps[2].tree, g_blobs[2].id, HF_ID_LEN);
	T_EQ(hf_snapshot_write(r, ses, &g_snaps[2]), 0);

	g_snaps[0].time_ns = -1700000000000000000LL;
	g_snaps[0].host = "";
	g_snaps[0].user = NULL; /* stored as empty */
	memcpy(g_snaps[0].tree, g_blobs[2].id, HF_ID_LEN);
	g_snaps[0].has_parent = 1;
	memcpy(g_snaps[0].parent, g_snaps[1].id, HF_ID_LEN);
	g_snaps[0].errors = UINT32_MAX;
	T_EQ(hf_snapshot_write(r, ses, &g_snaps[0]), 0);
	for (int i = 0; i < 3; i++)
		hf_id_hex(g_snaps[i].id, hex[i]);

	/* load by name */
	for (int i = 0; i < 3; i++) {
		T_EQ(hf_snapshot_load(r, hex[i], &s), 0);
		T_CHECK(snap_eq(&s, &g_snaps[i]));
		T_CHECK(s.host != NULL && s.user != NULL);
		hf_snapshot_release(&s);
	}
	T_EQ(hf_snapshot_load(r, "xyz", &s), -HF_E_NOTFOUND);
	T_EQ(hf_snapshot_load(r, "", &s), -HF_E_NOTFOUND);
	memset(ref, '0', HF_ID_HEX_LEN);
	ref[HF_ID_HEX_LEN] = '\0';
	T_EQ(hf_snapshot_load(r, ref, &s), -HF_E_NOTFOUND);
	ref[0] = 'g';
	T_EQ(hf_snapshot_load(r, ref, &s), -HF_E_NOTFOUND);
	T_CHECK(s.host == NULL && s.paths == NULL);

	/* list: oldest first */
	T_EQ(hf_snapshot_list(r, &all, &n, &bad), 0);
	T_EQ(n, 3);
	T_EQ(bad, 0);
	for (size_t i = 0; i < n && i < 3; i++)
		T_CHECK(snap_eq(&all[i], &g_snaps[i]));
	hf_snapshot_list_free(all, n);
	hf_snapshot_list_free(NULL, 0);

	/* resolve */
	T_EQ(hf_snapshot_resolve(r, "latest", &s), 0);
	T_CHECK(snap_eq(&s, &g_snaps[2]));
	hf_snapshot_release(&s);
	T_EQ(hf_snapshot_resolve(r, hex[1], &s), 0);
	T_CHECK(snap_eq(&s, &g_snaps[1]));
	hf_snapshot_release(&s);
	for (int i = 0; i < 3; i++) {
		int same = 0;
		for (int j = 0; j < 3; j++)
			same += strncmp(hex[i], hex[j], 4) == 0;
		snprintf(ref, sizeof(ref), "%.4s", hex[i]);
		T_EQ(hf_snapshot_resolve(r, ref, &s), same == 1 ? 0 : -HF_E_AMBIGUOUS);
		if (same == 1)
			T_CHECK(snap_eq(&s, &g_snaps[i]));
		hf_snapshot_release(&s);
	}
	for (unsigned p = 0; p < 65536; p++) { /* a prefix nobody has */
		snprintf(ref, sizeof(ref), "%04x", p);
		if (strncmp(ref, hex[0], 4) && strncmp(ref, hex[1], 4) && strncmp(ref, hex[2], 4))
			break;
	}
	T_EQ(hf_snapshot_resolve(r, ref, &s), -HF_E_NOTFOUND);
	T_CHECK(s.host == NULL);
	T_EQ(hf_snapshot_resolve(r, "zzzz", &s), -HF_E_NOTFOUND);
	T_EQ(hf_snapshot_resolve(r, "abc", &s), -HF_E_USAGE);
	T_EQ(hf_snapshot_resolve(r, "", &s), -HF_E_USAGE);
	snprintf(ref, sizeof(ref), "%s0", hex[0]);
	T_EQ(hf_snapshot_resolve(r, ref, &s), -HF_E_USAGE);

	/* an ambiguous 4-digit prefix: found by writing snapshots into memory */
	{
		char prefix[5] = "";
		T_EQ(make_ambiguous_pair(r, ses, prefix), 0);
		T_EQ(hf_snapshot_resolve(r, prefix, &s), -HF_E_AMBIGUOUS);
		T_CHECK(s.host == NULL);
		T_EQ(hf_snapshot_list(r, &all, &n, &bad), 0);
		T_EQ(n, 5);
		T_EQ(bad, 0);
		/* a longer prefix that tells them apart */
		for (size_t i = 0; i < n; i++) {
			char h1[HF_ID_HEX_LEN + 1], h2[HF_ID_HEX_LEN + 1];
			hf_id_hex(all[i].id, h1);
			if (strncmp(h1, prefix, 4) != 0)
				continue;
			for (size_t j = 0; j < n; j++) {
				size_t k = 0;
				hf_id_hex(all[j].id, h2);
				if (i == j || strncmp(h2, prefix, 4) != 0)
					continue;
				while (h1[k] == h2[k])
					k++;
				snprintf(ref, sizeof(ref), "%.*s", (int)k + 1, h1);
				T_EQ(hf_snapshot_resolve(r, ref, &s), 0);
				T_MEMEQ(s.id, all[i].id, HF_ID_LEN);
				hf_snapshot_release(&s);
			}
		}
		hf_snapshot_list_free(all, n);
	}
	hf_session_free(ses);
}

/* ---- write-only keys --------------------------------------------------------------------- */

static void test_write_only_key(void)
{
	struct hf_repo *r = NULL, *wo = NULL;
	struct hf_session *ses = NULL;
	struct hf_pack_writer *w;
	struct hf_index_builder *ib;
	struct hf_snapshot s, *all = NULL;
	struct hf_buf key;
	uint8_t id[HF_ID_LEN], id2[HF_ID_LEN];
	char hex[HF_ID_HEX_LEN + 1];
	size_t n = 0, bad = 0;

	T_EQ(create_repo("wo", PASS, &g_params, NULL), 0);
	T_EQ(open_repo("wo", PASS, &r), 0);
	if (!r)
		return;
	/* an empty repository: no index, no snapshots */
	T_EQ(hf_repo_load_index(r, &bad, NULL, NULL), 0);
	T_EQ(bad, 0);
	T_CHECK(r->index && hf_index_count(r->index) == 0 && r->index->nfiles == 0);
	T_EQ(hf_snapshot_resolve(r, "latest", &s), -HF_E_NOTFOUND);
	T_EQ(hf_snapshot_list(r, &all, &n, &bad), 0);
	T_EQ(n, 0);
	hf_snapshot_list_free(all, n);
	hf_buf_init(&key, 4096);
	T_EQ(hf_key_file_encode("write only", 10, 1, 8u << 20, r->cfg.id, r->config_hash, r->pk, r->mac_key, NULL,
				&key),
	     0);
	T_EQ(hf_repo_put_hashed(r, HF_OBJ_KEY, key.data, key.len, NULL), 0);
	hf_buf_release(&key);

	T_EQ(open_repo("wo", "neither", &wo), -HF_E_PASSWORD);
	T_CHECK(wo == NULL);
	T_EQ(open_repo("wo", "write only", &wo), 0);
	if (!wo) {
		hf_repo_close(r);
		return;
	}
	T_CHECK(wo->sk == NULL);
	T_MEMEQ(wo->pk, r->pk, HF_PK_LEN);
	{ /* it cannot sign; what the full key signs, it can verify */
		uint8_t sig[HF_SIGN_LEN];
		T_EQ(hf_repo_sign(wo, "unpin", 5, sig), -HF_E_WRITEONLY);
		T_EQ(hf_repo_sign(r, "unpin", 5, sig), 0);
		T_EQ(hf_repo_verify(wo, "unpin", 5, sig), 0);
	}
	/* the same ids: dedup works across keys */
	hf_repo_blob_id(r, "abc", 3, id);
	hf_repo_blob_id(wo, "abc", 3, id2);
	T_MEMEQ(id, id2, HF_ID_LEN);
	/* it can write ... */
	T_EQ(hf_session_new(wo, &ses), 0);
	if (ses) {
		w = hf_pack_writer_new(wo, ses);
		ib = hf_index_builder_new(wo, ses);
		T_EQ(hf_pack_add(w, id2, HF_BLOB_DATA, 0, "abc", 3, 3), 0);
		T_EQ(hf_pack_flush(w, ib), 0);
		T_EQ(hf_index_builder_write(ib), 0);
		hf_index_builder_free(ib);
		hf_pack_writer_free(w);
		memset(&s, 0, sizeof(s));
		s.host = "wo";
		s.user = "wo";
		T_EQ(hf_snapshot_write(wo, ses, &s), 0);
		hf_id_hex(s.id, hex);
		hf_session_free(ses);
	}
	/* ... but never read */
	T_EQ(hf_repo_load_index(wo, NULL, NULL, NULL), -HF_E_WRITEONLY);
	T_CHECK(hf_snapshot_load(wo, hex, &s) < 0);
	T_EQ(hf_snapshot_list(wo, &all, &n, &bad), 0);
	T_EQ(n, 0);
	T_EQ(bad, 1);
	hf_snapshot_list_free(all, n);
	{
		struct names nm;
		struct hf_aead *a = hf_aead_new();
		struct hf_pack_entry *e = NULL;
		uint64_t size = 0;
		T_EQ(list_names(wo->store, HF_OBJ_PACK, &nm), 0);
		T_EQ(nm.n, 1);
		T_EQ(hf_store_size(wo->store, HF_OBJ_PACK, nm.v[0], &size), 0);
		T_EQ(hf_pack_read_header(wo, a, nm.v[0], size, 0, &e, &n), -HF_E_USAGE);
		T_CHECK(e == NULL);
		hf_aead_free(a);
	}
	/* the full key reads what the write-only key wrote */
	T_EQ(hf_repo_load_index(r, &bad, NULL, NULL), 0);
	T_EQ(bad, 0);
	{
		struct hf_blob_reader br;
		struct hf_buf out;
		hf_blob_reader_init(&br, r);
		hf_buf_init(&out, HF_BLOB_MAX);
		T_EQ(hf_blob_read(&br, id, &out), 0);
		T_CHECK(out.len == 3 && memcmp(out.data, "abc", 3) == 0);
		hf_buf_release(&out);
		hf_blob_reader_release(&br);
	}
	T_EQ(hf_snapshot_load(r, hex, &s), 0);
	T_CHECK(s.host && strcmp(s.host, "wo") == 0);
	hf_snapshot_release(&s);
	hf_repo_close(wo);
	hf_repo_close(r);
}

/* ---- corruption loops over real objects ------------------------------------------------------ */

struct bad_rec {
	int calls;
	char name[HF_ID_HEX_LEN + 1];
};

static void bad_cb(void *arg, const char *name, int err)
{
	struct bad_rec *br = arg;

	(void)err;
	br->calls++;
	snprintf(br->name, sizeof(br->name), "%s", name);
}

/* loads the index with the damaged object in place: 1 if refused cleanly */
static int index_refused(struct hf_repo *r)
{
	struct bad_rec rec = {0};
	size_t bad = 99;

	if (hf_repo_load_index(r, &bad, bad_cb, &rec) != 0 || !r->index)
		return 0;
	return bad == 1 && rec.calls == 1 && strcmp(rec.name, g_index) == 0 && hf_index_count(r->index) == 0 &&
	       r->index->npacks == 0 && r->index->nfiles == 0;
}

static void test_index_corruption(void)
{
	struct hf_repo *r = g_main;
	struct hf_buf orig, copy;
	char path[600];
	int accepted = 0, first = -1, last = -1;
	size_t bad = 99;

	T_CHECK(r != NULL);
	if (!r)
		return;
	obj_file(path, sizeof(path), "main", HF_OBJ_INDEX, g_index);
	hf_buf_init(&orig, HF_META_OBJ_MAX);
	hf_buf_init(&copy, HF_META_OBJ_MAX);
	T_EQ(read_file(path, &orig), 0);
	for (size_t i = 0; i < orig.len; i++) {
		for (int x = 0; x < 2; x++) {
			copy.len = 0;
			T_CHECK(hf_buf_append(&copy, orig.data, orig.len) == 0);
			copy.data[i] ^= x ? 0xff : 0x01;
			write_file(path, copy.data, copy.len);
			if (!index_refused(r)) {
				if (first < 0)
					first = (int)i;
				last = (int)i;
				accepted++;
			}
		}
	}
	if (accepted)
		fprintf(stderr, "index (%zu bytes): %d of %zu damaged copies were loaded as good (bytes %d..%d)\n",
			orig.len, accepted, 2 * orig.len, first, last);
	T_EQ(accepted, 0);
	/* truncated, and one byte longer */
	accepted = 0;
	for (size_t cut = 0; cut < orig.len; cut += 1 + cut / 4) {
		write_file(path, orig.data, cut);
		if (!index_refused(r)) {
			fprintf(stderr, "index cut to %zu bytes: loaded as good\n", cut);
			accepted++;
		}
	}
	copy.len = 0;
	T_CHECK(hf_buf_append(&copy, orig.data, orig.len) == 0);
	T_CHECK(hf_buf_put_u8(&copy, 0) == 0);
	write_file(path, copy.data, copy.len);
	if (!index_refused(r)) {
		fprintf(stderr, "index with a byte appended: loaded as good\n");
		accepted++;
	}
	T_EQ(accepted, 0);
	/* restored */
	write_file(path, orig.data, orig.len);
	T_EQ(hf_repo_load_index(r, &bad, NULL, NULL), 0);
	T_EQ(bad, 0);
	T_EQ(read_all_blobs(r), 0);
	hf_buf_release(&orig);
	hf_buf_release(&copy);
}

/* 1 if the damaged snapshot object is refused everywhere */
static int snapshot_refused(struct hf_repo *r, const char *name, size_t nsnaps)
{
	struct hf_snapshot s, *all = NULL;
	size_t n = 0, bad = 0;
	int ok;

	ok = hf_snapshot_load(r, name, &s) < 0 && s.host == NULL && s.paths == NULL;
	if (hf_snapshot_list(r, &all, &n, &bad) != 0)
		return 0;
	hf_snapshot_list_free(all, n);
	return ok && n == nsnaps - 1 && bad == 1;
}

static void test_snapshot_corruption(void)
{
	struct hf_repo *r = g_main;
	struct hf_buf orig, copy;
	struct hf_snapshot s, *all = NULL;
	char name[HF_ID_HEX_LEN + 1], path[600], path2[600], hex[HF_ID_HEX_LEN + 1];
	uint8_t h[HF_ID_LEN];
	size_t nsnaps = 0, bad = 0;
	int accepted = 0, first = -1;

	T_CHECK(r != NULL);
	if (!r)
		return;
	T_EQ(hf_snapshot_list(r, &all, &nsnaps, &bad), 0);
	hf_snapshot_list_free(all, nsnaps);
	hf_id_hex(g_snaps[1].id, name);
	obj_file(path, sizeof(path), "main", HF_OBJ_SNAPSHOT, name);
	hf_buf_init(&orig, HF_META_OBJ_MAX);
	hf_buf_init(&copy, HF_META_OBJ_MAX);
	T_EQ(read_file(path, &orig), 0);
	for (size_t i = 0; i < orig.len; i++) {
		for (int x = 0; x < 2; x++) {
			copy.len = 0;
			T_CHECK(hf_buf_append(&copy, orig.data, orig.len) == 0);
			copy.data[i] ^= x ? 0xff : 0x01;
			/* in place: the content no longer matches its name */
			write_file(path, copy.data, copy.len);
			int ok = snapshot_refused(r, name, nsnaps);
			write_file(path, orig.data, orig.len);
			/* under its own hash: the envelope must catch it */
			hf_sha256(copy.data, copy.len, h);
			hf_id_hex(h, hex);
			obj_file(path2, sizeof(path2), "main", HF_OBJ_SNAPSHOT, hex);
			write_file(path2, copy.data, copy.len);
			ok = ok && snapshot_refused(r, hex, nsnaps + 1);
			unlink(path2);
			if (!ok) {
				if (first < 0)
					first = (int)i;
				accepted++;
			}
		}
	}
	for (size_t cut = 0; cut < orig.len; cut += 1 + cut / 4) {
		write_file(path, orig.data, cut);
		int ok = snapshot_refused(r, name, nsnaps);
		write_file(path, orig.data, orig.len);
		hf_sha256(orig.data, cut, h);
		hf_id_hex(h, hex);
		obj_file(path2, sizeof(path2), "main", HF_OBJ_SNAPSHOT, hex);
		write_file(path2, orig.data, cut);
		ok = ok && snapshot_refused(r, hex, nsnaps + 1);
		unlink(path2);
		if (!ok) {
			if (first < 0)
				first = (int)cut;
			accepted++;
		}
	}
	if (accepted)
		fprintf(stderr, "snapshot: %d damaged copies were accepted (first at %d)\n", accepted, first);
	T_EQ(accepted, 0);
	write_file(path, orig.data, orig.len);
	T_EQ(hf_snapshot_load(r, name, &s), 0);
	T_CHECK(snap_eq(&s, &g_snaps[1]));
	hf_snapshot_release(&s);
	hf_buf_release(&orig);
	hf_buf_release(&copy);
}

/* ---- forged objects (findings S1, S2) ------------------------------------------------- */

/* What anyone who can add a file can make, with only the public key of the
 * config: magic | session key sealed to pk | AEAD(session key, ad = magic, pt)
 * | mid | tail. The forger copies magic, mid (an index's id-list part) and
 * tail (a real object's last 32 bytes: its tag, in a format that has one)
 * from real objects. Returns the put result and the name in hex. */
static int forge(struct hf_repo *r, int kind, const uint8_t magic[8], const struct hf_buf *pt, const uint8_t *mid,
		 size_t midlen, const uint8_t *tail, size_t taillen, char hex[HF_ID_HEX_LEN + 1])
{
	struct hf_buf obj;
	struct hf_aead *a = hf_aead_new();
	uint8_t key[HF_KEY_LEN], sealed[HF_SEALED_KEY_LEN], h[HF_ID_LEN];
	int ret;

	hf_buf_init(&obj, HF_META_OBJ_MAX);
	hf_random(key, sizeof(key));
	ret = hf_seal_key(r->pk, key, sealed);
	if (ret == 0)
		ret = hf_buf_reserve(&obj, 8 + sizeof(sealed) + pt->len + HF_AEAD_OVERHEAD + midlen + taillen);
	if (ret == 0) {
		hf_buf_append(&obj, magic, 8);
		hf_buf_append(&obj, sealed, sizeof(sealed));
		ret = hf_aead_seal(a, key, magic, 8, pt->data, pt->len, obj.data + obj.len);
	}
	if (ret == 0) {
		obj.len += pt->len + HF_AEAD_OVERHEAD;
		hf_buf_append(&obj, mid, midlen);
		hf_buf_append(&obj, tail, taillen);
		ret = hf_repo_put_hashed(r, kind, obj.data, obj.len, h);
	}
	if (ret == 0)
		hf_id_hex(h, hex);
	hf_aead_free(a);
	hf_buf_release(&obj);
	return ret;
}

/* 1 if the object's magic says it carries a tag (every format after 1) */
static int has_tag(const uint8_t *magic)
{
	return magic[7] != '1';
}

/* Lists index objects with `last` after all the others, so a forged or
 * lying index object is loaded before the honest one (directory order would
 * make that a matter of luck). */
static const struct hf_store_ops *g_order_real;
static const char *g_order_last;

static int order_list_skip(void *arg, const char *name, uint64_t size)
{
	void **a = arg;

	return strcmp(name, g_order_last) == 0 ? 0 : ((hf_store_list_fn)a[0])(a[1], name, size);
}

static int order_list(struct hf_store *s, int kind, hf_store_list_fn fn, void *arg)
{
	void *a[2] = {(void *)fn, arg};
	uint64_t size = 0;
	int r;

	if (kind != HF_OBJ_INDEX || !g_order_last)
		return g_order_real->list(s, kind, fn, arg);
	r = g_order_real->list(s, kind, order_list_skip, a);
	if (r == 0 && g_order_real->size(s, kind, g_order_last, &size) == 0)
		r = fn(arg, g_order_last, size);
	return r;
}

static struct hf_store_ops g_order_ops;

static void order_index_last(struct hf_repo *r, const char *last)
{
	if (last) {
		g_order_real = r->store->ops;
		g_order_ops = *r->store->ops;
		g_order_ops.list = order_list;
		r->store->ops = &g_order_ops;
	} else if (g_order_real) {
		r->store->ops = g_order_real;
	}
	g_order_last = last;
}

/* S1: an index object forged with only the public key, its id-list part
 * copied from the real index, naming the real pack under a key of its own and
 * claiming every blob at a wrong place, must be refused — and every blob must
 * still read back. */
static void test_forged_index(void)
{
	struct hf_repo *r = g_main;
	struct hf_buf orig, main_pt;
	struct bad_rec rec = {0};
	char path[600], forged[HF_ID_HEX_LEN + 1] = "";
	uint8_t pack_id[HF_ID_LEN], key[HF_KEY_LEN];
	size_t bad = 99, bad0 = 99, idlen, tail;
	uint32_t dlen;

	T_CHECK(r != NULL);
	if (!r)
		return;
	T_EQ(hf_repo_load_index(r, &bad0, NULL, NULL), 0);
	obj_file(path, sizeof(path), "main", HF_OBJ_INDEX, g_index);
	hf_buf_init(&orig, HF_META_OBJ_MAX);
	hf_buf_init(&main_pt, 1 << 20);
	T_EQ(read_file(path, &orig), 0);
	tail = has_tag(orig.data) ? 32 : 0;
	T_CHECK(orig.len > 8 + 4 + tail);
	if (orig.len <= 8 + 4 + tail)
		goto out;
	/* the id-list part and its length, as they are */
	dlen = hf_get_le32(orig.data + orig.len - tail - 4);
	T_CHECK(dlen + 4 + tail < orig.len);
	if (dlen + 4 + tail >= orig.len)
		goto out;
	idlen = dlen + 4;
	/* a main part of the forger's own */
	T_EQ(hf_hex_decode(g_pack, pack_id, HF_ID_LEN), 0);
	hf_random(key, sizeof(key));
	hf_buf_put_varint(&main_pt, 1);
	hf_buf_append(&main_pt, pack_id, HF_ID_LEN);
	hf_buf_append(&main_pt, key, HF_KEY_LEN);
	hf_buf_put_varint(&main_pt, NBLOBS);
	for (int i = 0; i < NBLOBS; i++) {
		hf_buf_append(&main_pt, g_blobs[i].id, HF_ID_LEN);
		hf_buf_put_u8(&main_pt, (uint8_t)g_blobs[i].type);
		hf_buf_put_u8(&main_pt, (uint8_t)g_blobs[i].flags);
		hf_buf_put_varint(&main_pt, 7 + (uint64_t)i);
		hf_buf_put_varint(&main_pt, g_blobs[i].len + HF_AEAD_OVERHEAD);
		hf_buf_put_varint(&main_pt, g_blobs[i].len);
	}
	T_EQ(forge(r, HF_OBJ_INDEX, orig.data, &main_pt, orig.data + orig.len - tail - idlen, idlen,
		   orig.data + orig.len - tail, tail, forged),
	     0);
	/* the forged object is loaded first */
	order_index_last(r, g_index);
	T_EQ(hf_repo_load_index(r, &bad, bad_cb, &rec), 0);
	T_EQ(bad, bad0 + 1);
	T_CHECK(strcmp(rec.name, forged) == 0 || bad0 > 0);
	T_CHECK(r->index && r->index->npacks == 1);
	T_EQ(read_all_blobs(r), 0);
	order_index_last(r, NULL);
	/* the id-list part cannot be moved either: the real object with the
	 * forger's main part and the real tag is the forgery above; the real
	 * object with its tag replaced by one under a wrong key is refused too */
	{
		struct hf_buf copy;
		char hex[HF_ID_HEX_LEN + 1];
		uint8_t h[HF_ID_LEN];
		hf_buf_init(&copy, HF_META_OBJ_MAX);
		hf_buf_append(&copy, orig.data, orig.len);
		if (tail) {
			hf_mac(key, copy.data, copy.len - tail, copy.data + copy.len - tail);
			T_EQ(hf_repo_put_hashed(r, HF_OBJ_INDEX, copy.data, copy.len, h), 0);
			hf_id_hex(h, hex);
			order_index_last(r, g_index);
			T_EQ(hf_repo_load_index(r, &bad, NULL, NULL), 0);
			T_EQ(bad, bad0 + 2); /* this one and the forgery above */
			T_EQ(read_all_blobs(r), 0);
			order_index_last(r, NULL);
			T_EQ(hf_store_remove(r->store, HF_OBJ_INDEX, hex), 0);
		}
		hf_buf_release(&copy);
	}
out:
	if (forged[0])
		T_EQ(hf_store_remove(r->store, HF_OBJ_INDEX, forged), 0);
	T_EQ(hf_repo_load_index(r, &bad, NULL, NULL), 0);
	T_EQ(bad, bad0);
	hf_buf_release(&orig);
	hf_buf_release(&main_pt);
}

/* Two index objects claim the same blobs; the first loaded (written with the
 * key, as a lying or buggy writer would) points to wrong places: a missing
 * pack, the real pack under a wrong key, wrong offsets. Every blob still
 * reads back from the honest claim. */
static void test_index_claims(void)
{
	struct hf_repo *r = g_main;
	struct hf_session *ses = NULL;
	struct hf_index_builder *ib;
	struct hf_pack_entry *e[3];
	char lying[HF_ID_HEX_LEN + 1] = "";
	uint8_t pack_id[HF_ID_LEN], other[HF_ID_LEN], wrong_key[HF_KEY_LEN], key[HF_KEY_LEN];
	struct names before, after;
	size_t bad = 99;

	T_CHECK(r != NULL);
	if (!r)
		return;
	T_EQ(hf_repo_load_index(r, &bad, NULL, NULL), 0);
	T_CHECK(r->index && r->index->npacks == 1);
	if (!r->index || r->index->npacks != 1)
		return;
	memcpy(pack_id, r->index->packs[0].id, HF_ID_LEN);
	memcpy(key, r->index->keys + (size_t)r->index->packs[0].key * HF_KEY_LEN, HF_KEY_LEN);
	hf_random(other, sizeof(other));
	hf_random(wrong_key, sizeof(wrong_key));
	for (int k = 0; k < 3; k++) {
		e[k] = calloc(NBLOBS, sizeof(struct hf_pack_entry));
		for (int i = 0; i < NBLOBS; i++) {
			const struct hf_blob_loc *loc = hf_index_find(r->index, g_blobs[i].id);
			memcpy(e[k][i].id, g_blobs[i].id, HF_ID_LEN);
			e[k][i].type = (uint8_t)g_blobs[i].type;
			e[k][i].flags = (uint8_t)g_blobs[i].flags;
			e[k][i].offset = loc ? loc->offset : 0;
			e[k][i].stored_len = loc ? loc->stored_len : HF_AEAD_OVERHEAD;
			e[k][i].raw_len = (uint32_t)g_blobs[i].len;
			if (k == 2) /* the right pack and key, the wrong place */
				e[k][i].offset += 1;
		}
	}
	T_EQ(list_names(r->store, HF_OBJ_INDEX, &before), 0);
	T_EQ(hf_session_new(r, &ses), 0);
	if (!ses)
		return;
	ib = hf_index_builder_new(r, ses);
	hf_index_builder_add(ib, other, key, e[0], NBLOBS, 0);         /* a pack that does not exist */
	hf_index_builder_add(ib, pack_id, wrong_key, e[1], NBLOBS, 0); /* the real pack, a wrong key */
	hf_index_builder_add(ib, pack_id, key, e[2], NBLOBS, 0);       /* wrong offsets */
	T_EQ(hf_index_builder_write(ib), 0);
	hf_index_builder_free(ib);
	T_EQ(list_names(r->store, HF_OBJ_INDEX, &after), 0);
	T_EQ(after.n, before.n + 1);
	for (int i = 0; i < after.n && i < 64; i++) {
		int seen = 0;
		for (int j = 0; j < before.n && j < 64; j++)
			seen |= strcmp(after.v[i], before.v[j]) == 0;
		if (!seen)
			snprintf(lying, sizeof(lying), "%s", after.v[i]);
	}
	T_CHECK(lying[0] != 0);
	order_index_last(r, g_index);
	T_EQ(hf_repo_load_index(r, &bad, NULL, NULL), 0);
	T_EQ(bad, 0);
	T_EQ(read_all_blobs(r), 0);
	/* all four claims are kept; the pack has an entry per key */
	T_EQ(hf_index_claims(r->index, g_blobs[0].id), 4);
	T_EQ(r->index->npacks, 3);
	T_EQ(hf_index_count(r->index), 4 * NBLOBS);
	/* the same claims again (an index listed twice) add nothing */
	order_index_last(r, NULL);
	{
		struct hf_tree t;
		struct hf_blob_reader br;
		hf_blob_reader_init(&br, r);
		T_EQ(hf_tree_load(&br, g_blobs[2].id, &t), 0);
		hf_tree_release(&t);
		hf_blob_reader_release(&br);
	}
	if (lying[0])
		T_EQ(hf_store_remove(r->store, HF_OBJ_INDEX, lying), 0);
	T_EQ(hf_repo_load_index(r, &bad, NULL, NULL), 0);
	T_EQ(hf_index_claims(r->index, g_blobs[0].id), 1);
	T_EQ(hf_index_count(r->index), NBLOBS);
	hf_session_free(ses);
}

/* However many blobs a writer lists, each index object holds at most
 * HF_INDEX_OBJ_BLOBS of them (a pack with more is split over objects), so
 * every object stays a few MiB; and the load gets every claim back. */
static void test_index_bounded(void)
{
	struct hf_repo *r = g_main;
	struct hf_session *ses = NULL;
	struct hf_index_builder *ib;
	struct names before, after;
	uint8_t packs[2][HF_ID_LEN], key[HF_KEY_LEN];
	const size_t sizes[2] = {100000, 40000};
	struct hf_pack_entry *e[2];
	size_t bad = 99, count0, found = 0, npacks, nblobs;
	int fresh = 0;

	T_CHECK(r != NULL);
	if (!r)
		return;
	T_EQ(hf_repo_load_index(r, &bad, NULL, NULL), 0);
	count0 = hf_index_count(r->index);
	hf_random(key, sizeof(key));
	for (int k = 0; k < 2; k++) {
		hf_random(packs[k], HF_ID_LEN);
		e[k] = calloc(sizes[k], sizeof(struct hf_pack_entry));
		for (size_t i = 0; i < sizes[k]; i++) {
			hf_random(e[k][i].id, HF_ID_LEN);
			e[k][i].offset = (uint32_t)(i * 100);
			e[k][i].stored_len = HF_AEAD_OVERHEAD + 50;
			e[k][i].raw_len = 50;
		}
	}
	T_EQ(list_names(r->store, HF_OBJ_INDEX, &before), 0);
	T_EQ(hf_session_new(r, &ses), 0);
	if (!ses)
		return;
	ib = hf_index_builder_new(r, ses);
	for (int k = 0; k < 2; k++)
		hf_index_builder_add(ib, packs[k], key, e[k], sizes[k], 0);
	hf_index_builder_pending(ib, &npacks, &nblobs);
	T_EQ(npacks, 2);
	T_EQ(nblobs, sizes[0] + sizes[1]);
	T_CHECK(memcmp(hf_index_builder_pack_id(ib, 1), packs[1], HF_ID_LEN) == 0);
	/* the builder owns the entries now: keep ids to look up */
	uint8_t(*ids)[HF_ID_LEN] = malloc(2 * 1000 * HF_ID_LEN);
	for (int k = 0; k < 2; k++)
		for (size_t i = 0; i < 1000; i++)
			memcpy(ids[k * 1000 + i], e[k][i * (sizes[k] / 1000)].id, HF_ID_LEN);
	T_EQ(hf_index_builder_write(ib), 0);
	hf_index_builder_free(ib);
	T_EQ(list_names(r->store, HF_OBJ_INDEX, &after), 0);
	T_EQ(after.n, before.n + 3); /* 65536 + 65536 + 8928 */
	for (int i = 0; i < after.n && i < 64; i++) {
		int old = 0;
		uint64_t size = 0;
		for (int j = 0; j < before.n && j < 64; j++)
			old |= strcmp(after.v[i], before.v[j]) == 0;
		if (old)
			continue;
		fresh++;
		T_EQ(hf_store_size(r->store, HF_OBJ_INDEX, after.v[i], &size), 0);
		T_CHECK(size > 0 && size < ((uint64_t)6 << 20));
	}
	T_EQ(fresh, 3);
	T_EQ(hf_repo_load_index(r, &bad, NULL, NULL), 0);
	T_EQ(bad, 0);
	T_EQ(hf_index_count(r->index), count0 + sizes[0] + sizes[1]);
	T_EQ(r->index->npacks, 1 + 2); /* the split pack is one entry */
	for (size_t i = 0; i < 2000; i++)
		found += hf_index_find(r->index, ids[i]) != NULL;
	T_EQ(found, 2000);
	free(ids);
	for (int i = 0; i < after.n && i < 64; i++) {
		int old = 0;
		for (int j = 0; j < before.n && j < 64; j++)
			old |= strcmp(after.v[i], before.v[j]) == 0;
		if (!old)
			T_EQ(hf_store_remove(r->store, HF_OBJ_INDEX, after.v[i]), 0);
	}
	T_EQ(hf_repo_load_index(r, &bad, NULL, NULL), 0);
	T_EQ(hf_index_count(r->index), count0);
	hf_session_free(ses);
}

/* S2: a snapshot forged with only the public key, claiming the year 2100,
 * is refused: it is not listed and does not become "latest". */
static void test_forged_snapshot(void)
{
	struct hf_repo *r = g_main;
	struct hf_buf orig, pt;
	struct hf_snapshot *all = NULL, s;
	char name[HF_ID_HEX_LEN + 1], path[600], forged[HF_ID_HEX_LEN + 1] = "";
	uint8_t tree[HF_ID_LEN];
	size_t n = 0, n0 = 0, bad = 99, bad0 = 99, tail;

	T_CHECK(r != NULL);
	if (!r)
		return;
	T_EQ(hf_snapshot_list(r, &all, &n0, &bad0), 0);
	hf_snapshot_list_free(all, n0);
	all = NULL;
	hf_id_hex(g_snaps[1].id, name);
	obj_file(path, sizeof(path), "main", HF_OBJ_SNAPSHOT, name);
	hf_buf_init(&orig, HF_META_OBJ_MAX);
	hf_buf_init(&pt, 1 << 20);
	T_EQ(read_file(path, &orig), 0);
	tail = has_tag(orig.data) ? 32 : 0;
	hf_random(tree, sizeof(tree));
	hf_buf_put_varint(&pt, 1);                          /* version */
	hf_buf_put_svarint(&pt, 4102444800LL * 1000000000); /* 2100-01-01 */
	hf_buf_put_str(&pt, "h");
	hf_buf_put_str(&pt, "root");
	hf_buf_put_varint(&pt, 1);
	hf_buf_put_str(&pt, "/x");
	hf_buf_append(&pt, tree, HF_ID_LEN);
	hf_buf_put_u8(&pt, 0);
	hf_buf_put_varint(&pt, 0);
	for (int i = 0; i < 4; i++)
		hf_buf_put_varint(&pt, 1);
	T_EQ(forge(r, HF_OBJ_SNAPSHOT, orig.data, &pt, NULL, 0, orig.data + orig.len - tail, tail, forged), 0);
	T_EQ(hf_snapshot_list(r, &all, &n, &bad), 0);
	T_EQ(n, n0);
	T_EQ(bad, bad0 + 1);
	hf_snapshot_list_free(all, n);
	T_CHECK(hf_snapshot_load(r, forged, &s) == -HF_E_AUTH);
	T_EQ(hf_snapshot_resolve(r, "latest", &s), 0);
	T_MEMEQ(s.id, g_snaps[2].id, HF_ID_LEN);
	hf_snapshot_release(&s);
	/* restore still works beside it */
	T_EQ(read_all_blobs(r), 0);
	if (forged[0])
		T_EQ(hf_store_remove(r->store, HF_OBJ_SNAPSHOT, forged), 0);
	hf_buf_release(&orig);
	hf_buf_release(&pt);
}

/* S2 with a key (a compromised client, or a broken clock): a snapshot dated
 * far ahead is listed, but is not "latest". */
static void test_future_snapshot(void)
{
	struct hf_repo *r = g_main;
	struct hf_session *ses = NULL;
	struct hf_snapshot s, fut = g_snaps[2];
	char hex[HF_ID_HEX_LEN + 1], far[HF_ID_HEX_LEN + 1];
	struct timespec now;

	T_CHECK(r != NULL);
	if (!r)
		return;
	T_EQ(hf_session_new(r, &ses), 0);
	if (!ses)
		return;
	clock_gettime(CLOCK_REALTIME, &now);
	fut.time_ns = ((int64_t)now.tv_sec + 3 * 86400) * 1000000000; /* three days ahead */
	T_EQ(hf_snapshot_write(r, ses, &fut), 0);
	hf_id_hex(fut.id, far);
	T_EQ(hf_snapshot_resolve(r, "latest", &s), 0);
	T_MEMEQ(s.id, g_snaps[2].id, HF_ID_LEN);
	hf_snapshot_release(&s);
	/* within the tolerance it is the latest */
	fut.time_ns = ((int64_t)now.tv_sec + 3600) * 1000000000;
	T_EQ(hf_snapshot_write(r, ses, &fut), 0);
	T_EQ(hf_snapshot_resolve(r, "latest", &s), 0);
	T_MEMEQ(s.id, fut.id, HF_ID_LEN);
	hf_snapshot_release(&s);
	hf_id_hex(fut.id, hex);
	T_EQ(hf_store_remove(r->store, HF_OBJ_SNAPSHOT, hex), 0);
	T_EQ(hf_store_remove(r->store, HF_OBJ_SNAPSHOT, far), 0);
	hf_session_free(ses);
}

/* Damages the pack one byte at a time (or cuts it short): a blob whose stored
 * bytes were touched must fail to read, every other blob must read back
 * exactly; the header must fail when its bytes or the trailer were touched. */
static void test_pack_corruption(void)
{
	struct hf_repo *r = g_main;
	struct hf_blob_reader br;
	struct hf_buf out, orig;
	struct hf_aead *a = hf_aead_new();
	const struct hf_blob_loc *loc[NBLOBS];
	char path[600];
	uint64_t size = 0, hdr_start;
	int wrong = 0, fd;
	size_t step;

	T_CHECK(r != NULL && r->index != NULL);
	if (!r || !r->index) {
		hf_aead_free(a);
		return;
	}
	obj_file(path, sizeof(path), "main", HF_OBJ_PACK, g_pack);
	hf_buf_init(&orig, HF_META_OBJ_MAX);
	T_EQ(read_file(path, &orig), 0);
	size = orig.len;
	hdr_start = 0;
	for (int i = 0; i < NBLOBS; i++) {
		loc[i] = hf_index_find(r->index, g_blobs[i].id);
		T_CHECK(loc[i] != NULL);
		if (!loc[i])
			goto out;
		if (loc[i]->offset + loc[i]->stored_len > hdr_start)
			hdr_start = loc[i]->offset + loc[i]->stored_len;
	}
	hf_blob_reader_init(&br, r);
	hf_buf_init(&out, HF_BLOB_MAX);
	chmod(path, 0644);
	fd = open(path, O_WRONLY);
	T_CHECK(fd >= 0);
	step = size > 20000 ? size / 20000 : 1;
	for (size_t off = 0; fd >= 0 && off < size; off += step) {
		uint8_t c = orig.data[off] ^ (off % 2 ? 0xff : 0x01);
		struct hf_pack_entry *e = NULL;
		size_t n = 0;
		int hr;

		if (pwrite(fd, &c, 1, (off_t)off) != 1)
			break;
		for (int i = 0; i < NBLOBS; i++) {
			int inside = off >= loc[i]->offset && off < (uint64_t)loc[i]->offset + loc[i]->stored_len;
			int ret = hf_blob_read(&br, g_blobs[i].id, &out);
			int good = ret == 0 && out.len == g_blobs[i].len &&
				   (out.len == 0 || memcmp(out.data, g_blobs[i].data, out.len) == 0);
			if (inside ? (ret == 0 || out.len != 0) : !good) {
				if (wrong < 5)
					fprintf(stderr, "pack byte %zu damaged: blob %d read %d (%zu bytes)\n", off, i,
						ret, out.len);
				wrong++;
			}
		}
		for (size_t expect = 0; expect <= NBLOBS; expect += NBLOBS) {
			hr = hf_pack_read_header(r, a, g_pack, size, expect, &e, &n);
			if ((off >= hdr_start) != (hr < 0)) {
				if (wrong < 5)
					fprintf(stderr, "pack byte %zu damaged: header read %d (expecting %zu)\n", off,
						hr, expect);
				wrong++;
			}
			free(e);
			e = NULL;
		}
		if (pwrite(fd, &orig.data[off], 1, (off_t)off) != 1)
			break;
	}
	if (fd >= 0)
		close(fd);
	chmod(path, 0444);

	/* cut short */
	uint64_t cuts[] = {0,
			   1,
			   12,
			   loc[1]->offset,
			   loc[1]->offset + 1,
			   loc[1]->offset + loc[1]->stored_len,
			   hdr_start,
			   hdr_start + 1,
			   size - HF_PACK_TRAILER_LEN,
			   size - 8,
			   size - 1};
	for (size_t k = 0; k < sizeof(cuts) / sizeof(cuts[0]); k++) {
		struct hf_pack_entry *e = NULL;
		size_t n = 0;
		write_file(path, orig.data, cuts[k]);
		/* a blob reader keeps packs open; the cut copy is a new file */
		hf_blob_reader_release(&br);
		hf_blob_reader_init(&br, r);
		for (int i = 0; i < NBLOBS; i++) {
			int fits = (uint64_t)loc[i]->offset + loc[i]->stored_len <= cuts[k];
			int ret = hf_blob_read(&br, g_blobs[i].id, &out);
			if (fits ? ret != 0 : ret == 0) {
				fprintf(stderr, "pack cut to %llu bytes: blob %d read %d\n",
					(unsigned long long)cuts[k], i, ret);
				wrong++;
			}
		}
		for (size_t expect = 0; expect <= NBLOBS; expect += NBLOBS) {
			if (hf_pack_read_header(r, a, g_pack, cuts[k], expect, &e, &n) == 0) {
				fprintf(stderr, "pack cut to %llu bytes: header read\n", (unsigned long long)cuts[k]);
				wrong++;
			}
			free(e);
			e = NULL;
		}
	}
	T_EQ(wrong, 0);
	write_file(path, orig.data, orig.len);
	hf_blob_reader_release(&br);
	hf_blob_reader_init(&br, r);
	T_EQ(read_all_blobs(r), 0);
	hf_buf_release(&out);
	hf_blob_reader_release(&br);
out:
	hf_buf_release(&orig);
	hf_aead_free(a);
}

/* A store that hands out a replacement for the one key file, so that many
 * child processes can each try a different damaged copy at once. */
struct key_store {
	struct hf_store base;
	struct hf_store *inner;
	const uint8_t *key;
	size_t len;
	hf_store_list_fn fn;
	void *arg;
};

static int ks_put(struct hf_store *s, int kind, const char *name, const void *p, size_t n, int flags)
{
	struct key_store *ks = (struct key_store *)s;
	return hf_store_put_flags(ks->inner, kind, name, p, n, flags);
}
static int ks_get(struct hf_store *s, int kind, const char *name, struct hf_buf *out)
{
	struct key_store *ks = (struct key_store *)s;

	if (kind != HF_OBJ_KEY)
		return hf_store_get(ks->inner, kind, name, out);
	out->len = 0;
	return hf_buf_append(out, ks->key, ks->len);
}
static int ks_get_range(struct hf_store *s, int kind, const char *name, uint64_t off, size_t n, void *out)
{
	struct key_store *ks = (struct key_store *)s;
	return hf_store_get_range(ks->inner, kind, name, off, n, out);
}
static int ks_size(struct hf_store *s, int kind, const char *name, uint64_t *size)
{
	struct key_store *ks = (struct key_store *)s;

	if (kind != HF_OBJ_KEY)
		return hf_store_size(ks->inner, kind, name, size);
	*size = ks->len;
	return 0;
}
static int ks_list_one(void *arg, const char *name, uint64_t size)
{
	struct key_store *ks = arg;

	(void)size;
	return ks->fn(ks->arg, name, ks->len);
}
static int ks_list(struct hf_store *s, int kind, hf_store_list_fn fn, void *arg)
{
	struct key_store *ks = (struct key_store *)s;

	if (kind != HF_OBJ_KEY)
		return hf_store_list(ks->inner, kind, fn, arg);
	ks->fn = fn;
	ks->arg = arg;
	return hf_store_list(ks->inner, kind, ks_list_one, ks);
}
static int ks_remove(struct hf_store *s, int kind, const char *name)
{
	struct key_store *ks = (struct key_store *)s;
	return hf_store_remove(ks->inner, kind, name);
}
static int ks_sync(struct hf_store *s)
{
	struct key_store *ks = (struct key_store *)s;
	return hf_store_sync(ks->inner);
}
static void ks_close(struct hf_store *s)
{
	struct key_store *ks = (struct key_store *)s;
	hf_store_close(ks->inner);
}
static const struct hf_store_ops ks_ops = {
	.put = ks_put,
	.get = ks_get,
	.get_range = ks_get_range,
	.size = ks_size,
	.list = ks_list,
	.remove = ks_remove,
	.sync = ks_sync,
	.close = ks_close,
};

/* opens "keys" with this key file in place of the real one: 0 if opened */
static int open_with_key(const uint8_t *key, size_t len)
{
	char dir[512];
	struct hf_store *inner = NULL;
	struct key_store *ks;
	struct hf_repo *r = NULL;
	int ret;

	path_in(dir, sizeof(dir), "keys");
	ret = hf_store_local_open(dir, 0, &inner);
	if (ret < 0)
		return ret;
	ks = calloc(1, sizeof(*ks));
	ks->base.ops = &ks_ops;
	ks->base.location = "keys";
	ks->inner = inner;
	ks->key = key;
	ks->len = len;
	ret = hf_repo_open(&ks->base, PASS, strlen(PASS), &r); /* owns ks now */
	hf_repo_close(r);
	free(ks);
	return ret;
}

#define KEY_VARIANTS_MAX 512
#define KEY_HDR_END 37 /* magic, kind, ops, mem, salt */

struct key_variant {
	uint8_t key[512];
	size_t len;
	char what[40];
	int in_child; /* may hang: run in a child with an alarm */
	int result;   /* 0 refused, 1 opened, 2 timed out, 3 crashed */
	pid_t pid;
};

static struct key_variant g_kv[KEY_VARIANTS_MAX];
static int g_nkv;

static void *key_worker(void *arg)
{
	int part = *(int *)arg;

	for (int v = part; v < g_nkv; v += 2)
		if (!g_kv[v].in_child)
			g_kv[v].result = open_with_key(g_kv[v].key, g_kv[v].len) == 0;
	return NULL;
}

/* A key file with a byte flipped (every header byte, the nonce and tag,
 * every 8th ciphertext byte), cut short or extended: open must refuse each
 * promptly, never crash. Changed KDF parameters run in children with an
 * alarm, since a large parameter can make the KDF take minutes. */
static void test_key_corruption(void)
{
	struct hf_buf orig;
	struct names nm;
	struct hf_repo *r = NULL;
	char path[600];
	pthread_t th[2];
	int parts[2] = {0, 1}, counts[4] = {0};

	T_EQ(create_repo("keys", PASS, &g_params, NULL), 0);
	T_EQ(open_repo("keys", PASS, &r), 0);
	if (!r)
		return;
	T_EQ(list_names(r->store, HF_OBJ_KEY, &nm), 0);
	hf_repo_close(r);
	T_EQ(nm.n, 1);
	obj_file(path, sizeof(path), "keys", HF_OBJ_KEY, nm.v[0]);
	hf_buf_init(&orig, 4096);
	T_EQ(read_file(path, &orig), 0);
	T_CHECK(orig.len > KEY_HDR_END + HF_AEAD_OVERHEAD && orig.len < 500);
	if (orig.len <= KEY_HDR_END + HF_AEAD_OVERHEAD || orig.len >= 500)
		return;
	g_nkv = 0;
	for (size_t i = 0; i < orig.len; i++) {
		struct key_variant *kv = &g_kv[g_nkv];
		int nonce_or_tag = i < KEY_HDR_END + HF_AEAD_NONCE_LEN || i >= orig.len - HF_AEAD_TAG_LEN;
		if (!nonce_or_tag && i % 8 != 0)
			continue;
		memcpy(kv->key, orig.data, orig.len);
		kv->key[i] ^= 0xff;
		kv->len = orig.len;
		kv->in_child = i >= 9 && i < 21; /* ops u32, mem u64 */
		snprintf(kv->what, sizeof(kv->what), "byte %zu flipped", i);
		g_nkv++;
	}
	for (size_t cut = 0; cut < orig.len; cut += 1 + cut / 3) {
		struct key_variant *kv = &g_kv[g_nkv++];
		memcpy(kv->key, orig.data, cut);
		kv->len = cut;
		snprintf(kv->what, sizeof(kv->what), "cut to %zu bytes", cut);
	}
	memcpy(g_kv[g_nkv].key, orig.data, orig.len);
	g_kv[g_nkv].key[orig.len] = 0;
	g_kv[g_nkv].len = orig.len + 1;
	snprintf(g_kv[g_nkv++].what, sizeof(g_kv[0].what), "one byte appended");

	/* the KDF-parameter variants: children first, while single-threaded */
	fflush(stdout);
	fflush(stderr);
	for (int v = 0; v < g_nkv; v++) {
		if (!g_kv[v].in_child)
			continue;
		g_kv[v].pid = fork();
		if (g_kv[v].pid == 0) {
			alarm(KEY_TIMEOUT);
			_exit(open_with_key(g_kv[v].key, g_kv[v].len) == 0 ? 3 : 0);
		}
	}
	for (int i = 0; i < 2; i++)
		T_EQ(pthread_create(&th[i], NULL, key_worker, &parts[i]), 0);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	for (int v = 0; v < g_nkv; v++) {
		int st = 0;
		if (!g_kv[v].in_child)
			continue;
		if (g_kv[v].pid < 0 || waitpid(g_kv[v].pid, &st, 0) < 0)
			g_kv[v].result = 3;
		else if (WIFEXITED(st) && (WEXITSTATUS(st) == 0 || WEXITSTATUS(st) == 3))
			g_kv[v].result = WEXITSTATUS(st) == 3;
		else if (WIFSIGNALED(st) && WTERMSIG(st) == SIGALRM)
			g_kv[v].result = 2;
		else
			g_kv[v].result = 3;
	}
	for (int v = 0; v < g_nkv; v++) {
		counts[g_kv[v].result]++;
		if (g_kv[v].result == 1)
			fprintf(stderr, "key %s: opened\n", g_kv[v].what);
		else if (g_kv[v].result == 2)
			fprintf(stderr, "key %s: open still running after %d s\n", g_kv[v].what, KEY_TIMEOUT);
		else if (g_kv[v].result == 3)
			fprintf(stderr, "key %s: open crashed\n", g_kv[v].what);
	}
	T_EQ(counts[1], 0);
	T_EQ(counts[2], 0);
	T_EQ(counts[3], 0);
	/* and the undamaged key still opens through the same path */
	T_EQ(open_with_key(orig.data, orig.len), 0);
	hf_buf_release(&orig);
}

int main(void)
{
	if (hf_crypto_init() < 0) {
		printf("test_repo: 0 passed, 1 failed\n");
		return 1;
	}
	umask(022);
	snprintf(g_base, sizeof(g_base), "/tmp/hf-test-repo.XXXXXX");
	if (!mkdtemp(g_base)) {
		printf("test_repo: 0 passed, 1 failed\n");
		return 1;
	}
	T_RUN(test_create_open);
	T_RUN(test_kdf_params);
	T_RUN(test_config_tamper);
	T_RUN(test_parts_equal);
	T_RUN(test_tree_roundtrip);
	T_RUN(test_tree_small_nodes);
	T_RUN(test_tree_rejects);
	T_RUN(test_tree_truncation);
	T_RUN(test_tree_bitflips);
	T_RUN(test_tree_mutations);
	T_RUN(test_end_to_end);
	T_RUN(test_pack_cache_hold);
	T_RUN(test_snapshots);
	T_RUN(test_write_only_key);
	T_RUN(test_index_corruption);
	T_RUN(test_snapshot_corruption);
	T_RUN(test_forged_index);
	T_RUN(test_index_claims);
	T_RUN(test_index_bounded);
	T_RUN(test_forged_snapshot);
	T_RUN(test_future_snapshot);
	T_RUN(test_pack_corruption);
	T_RUN(test_key_corruption);
	hf_repo_close(g_main);
	for (int i = 0; i < NBLOBS; i++)
		free(g_blobs[i].data);
	t_rm_rf(g_base);
	return T_DONE("test_repo");
}
