/* gen_corpus.c — writes the seed corpora of the fuzz targets:
 * valid encodings made by the library's own encoders (trees of every node
 * type and field, configs across the parameter ranges) and reader programs
 * that exercise every getter, snapshot and mark payloads, pack headers, key
 * files. Usage: gen_corpus DIR (writes DIR/<target>/ for each target;
 * existing files of the same name are replaced). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "crypto/crypto.h"
#include "repo/mark.h"
#include "repo/object.h"
#include "repo/pending.h"
#include "repo/repo_internal.h"
#include "store/store.h"
#include "util/buf.h"

static const char *g_dir;
static int g_err;

static void put(const char *target, const char *name, const void *p, size_t n)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", g_dir, target);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%s/%s", g_dir, target, name);
	f = fopen(path, "wb");
	if (!f || (n && fwrite(p, 1, n, f) != n)) {
		fprintf(stderr, "gen_corpus: %s: %s\n", path, strerror(errno));
		g_err = 1;
	}
	if (f)
		fclose(f);
}

static void put_tree(const char *name, struct hf_node *nodes, size_t n)
{
	struct hf_tree t = {nodes, n};
	struct hf_buf b;

	hf_buf_init(&b, 1 << 20);
	if (hf_tree_encode(&t, &b) < 0)
		g_err = 1;
	put("tree", name, b.data, b.len);
	hf_buf_release(&b);
}

static void times(struct hf_meta *m, int64_t t)
{
	m->mtime_ns = t;
	m->atime_ns = t + 7;
	m->ctime_ns = t + 1000000000;
}

static void gen_trees(void)
{
	static const uint8_t cap[] = {1, 0, 0, 2, 0xff, 0, 0x20, 0};
	struct hf_xattr xa[3] = {
		{"security.capability", (uint8_t *)cap, sizeof(cap)},
		{"user.empty", (uint8_t *)"", 0},
		{"user.mime_type", (uint8_t *)"text/plain", 10},
	};
	struct hf_part parts[12];
	struct hf_node nd[9];
	int64_t t0 = 1700000000123456789LL;

	memset(nd, 0, sizeof(nd));
	memset(parts, 0, sizeof(parts));
	nd[0].name = "blk";
	nd[0].meta.type = HF_FT_BLK;
	nd[0].meta.mode = 0660;
	nd[0].meta.gid = 6;
	nd[0].meta.user = "root";
	nd[0].meta.group = "disk";
	nd[0].meta.rdev = 0x0801;
	times(&nd[0].meta, t0);
	nd[1].name = "chr";
	nd[1].meta.type = HF_FT_CHR;
	nd[1].meta.mode = 0666;
	nd[1].meta.rdev = 0x0103;
	times(&nd[1].meta, t0);
	nd[2].name = "dir";
	nd[2].meta.type = HF_FT_DIR;
	nd[2].meta.mode = 01777;
	nd[2].meta.nlink = 2;
	nd[2].meta.xattrs = &xa[2];
	nd[2].meta.nxattrs = 1;
	memset(nd[2].subtree, 0x5a, HF_ID_LEN);
	times(&nd[2].meta, -1);
	nd[3].name = "fifo";
	nd[3].meta.type = HF_FT_FIFO;
	nd[3].meta.mode = 0600;
	times(&nd[3].meta, t0);
	nd[4].name = "file";
	nd[4].meta.type = HF_FT_FILE;
	nd[4].meta.mode = 04755;
	nd[4].meta.uid = 4294967295u;
	nd[4].meta.gid = 1000;
	nd[4].meta.user = "nobody";
	nd[4].meta.group = "users";
	nd[4].meta.size = 10000000;
	nd[4].meta.ino = 0xffffffffffffffffULL;
	nd[4].meta.dev = 0xfd00;
	nd[4].meta.nlink = 3;
	nd[4].meta.mtime_ns = -1;
	nd[4].meta.atime_ns = INT64_MIN;
	nd[4].meta.ctime_ns = INT64_MAX;
	nd[4].meta.xattrs = xa;
	nd[4].meta.nxattrs = 2;
	for (int i = 0; i < 3; i++) {
		parts[i].kind = i == 1 ? HF_PART_HOLE : HF_PART_DATA;
		parts[i].len = i == 1 ? 1u << 20 : 65536;
		memset(parts[i].id, 0x11 * (i + 1), HF_ID_LEN);
	}
	nd[4].parts = parts;
	nd[4].nparts = 3;
	nd[5].name = "link";
	nd[5].meta.type = HF_FT_SYMLINK;
	nd[5].meta.mode = 0777;
	nd[5].meta.link = "../target\x01\xff";
	nd[5].meta.link_len = 11;
	times(&nd[5].meta, t0);
	nd[6].name = "sock";
	nd[6].meta.type = HF_FT_SOCK;
	nd[6].meta.mode = 0755;
	times(&nd[6].meta, t0);
	nd[7].name = "z\xc3\xa9";
	nd[7].meta.type = HF_FT_FILE;
	nd[7].meta.mode = 0644;
	nd[7].meta.uid = 1000;
	times(&nd[7].meta, t0);
	nd[8].name = "\xff\xfe";
	nd[8].meta.type = HF_FT_FILE;
	nd[8].meta.size = 5;
	times(&nd[8].meta, t0);
	nd[7].has_profile = 1; /* a content profile (tree version 2) */
	nd[7].profile.type = HF_CT_PDF;
	nd[7].profile.valid = HF_VALID_YES;
	nd[7].profile.text_utf8 = 1;
	nd[7].profile.blocks = 300;
	nd[7].profile.random_blocks = 299;
	put_tree("all-types", nd, 9);
	put_tree("empty", nd, 0);
	put_tree("one-file", &nd[4], 1);
	put_tree("one-dir", &nd[2], 1);
	put_tree("one-link", &nd[5], 1);

	/* a file of many small parts */
	for (int i = 0; i < 12; i++) {
		parts[i].kind = i % 3 == 2 ? HF_PART_HOLE : HF_PART_DATA;
		parts[i].len = 4096u + (uint64_t)i;
		memset(parts[i].id, i, HF_ID_LEN);
	}
	nd[4].nparts = 12;
	nd[4].meta.size = 1 << 20;
	put_tree("many-parts", &nd[4], 1);
}

static void gen_configs(void)
{
	struct hf_repo_config c;
	uint8_t pk[HF_PK_LEN];
	struct hf_buf b;
	struct {
		const char *name;
		uint32_t mn, avg, mx, pack;
		int z;
	} v[] = {
		{"default", 256 << 10, 1 << 20, 4 << 20, 16 << 20, 3},
		{"small-chunks", 16 << 10, 64 << 10, 256 << 10, 1 << 20, -5},
		{"large", 1 << 20, 4 << 20, 16 << 20, 256 << 20, 19},
		{"zero-level", 512 << 10, 2 << 20, 8 << 20, 32 << 20, 0},
	};

	memset(&c, 0, sizeof(c));
	c.version = HF_REPO_VERSION;
	for (int i = 0; i < HF_ID_LEN; i++) {
		c.id[i] = (uint8_t)(i * 7 + 3);
		pk[i] = (uint8_t)(255 - i);
	}
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		c.chunk_min = v[i].mn;
		c.chunk_avg = v[i].avg;
		c.chunk_max = v[i].mx;
		c.pack_size = v[i].pack;
		c.zlevel = v[i].z;
		hf_buf_init(&b, 4096);
		if (hf_config_encode(&c, pk, &b) < 0)
			g_err = 1;
		put("config", v[i].name, b.data, b.len);
		if (i == 0) { /* a future version: must be refused */
			char *at = memmem(b.data, b.len, "version 3", 9);
			if (at) {
				memcpy(at, "version 4", 9);
				put("config", "version-4", b.data, b.len);
			} else {
				g_err = 1;
			}
		}
		hf_buf_release(&b);
	}
}

static void gen_reader(void)
{
	/* k = 8 opcodes: u8 u32 u64 varint svarint raw(3) bytes(max 16) strdup(n, max any) */
	static const uint8_t all_getters[] = {
		8, 0, 1, 2, 3, 4, 5 | 3 << 3, 6 | 2 << 3, 7 | 1 << 3 | 3 << 4,
		0xaa,                                     /* u8 */
		1, 2, 3, 4,                               /* u32 */
		1, 2, 3, 4, 5, 6, 7, 8,                   /* u64 */
		0xe5, 0x8e, 0x26,                         /* varint 624485 */
		0x03,                                     /* svarint -2 */
		'a', 'b', 'c',                            /* raw 3 */
		4, 'd', 'a', 't', 'a',                    /* bytes */
		5, 's', 0, 't', 'r', 0xff,                /* strdup with a NUL inside */
	};
	/* the varint edge cases: 10-byte maximum, non-canonical, overlong */
	static const uint8_t varints[] = {
		6, 3, 3, 3, 3, 4, 4,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, /* UINT64_MAX */
		0x80, 0x00,                                                 /* non-canonical 0 */
		0x00,
		0x7f,
		0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, /* INT64_MIN's zigzag - 1 */
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, /* too big */
	};
	/* lengths that claim more than is there */
	static const uint8_t short_bytes[] = {4, 6, 7 | 1 << 3, 1 | 0, 2, 0x10, 'x', 0x80, 0x01, 'y', 1, 2};
	static const uint8_t empty_ops[] = {0, 1, 2, 3};

	put("reader", "all-getters", all_getters, sizeof(all_getters));
	put("reader", "varints", varints, sizeof(varints));
	put("reader", "short-bytes", short_bytes, sizeof(short_bytes));
	put("reader", "no-ops", empty_ops, sizeof(empty_ops));
	put("reader", "empty", "", 0);
}

/* pending-deletion objects without their signature and tag (fuzz_pending
 * appends them) */
static void gen_pending(void)
{
	static const uint8_t key[32] = {1};
	struct hf_repo r;
	struct hf_buf b;
	uint8_t packs[3][HF_ID_LEN];
	struct hf_pending_gone gone[2] = {{.kind = HF_OBJ_INDEX}, {.kind = HF_OBJ_SNAPSHOT}};
	static const struct {
		const char *name;
		int64_t time, grace;
		size_t n, ngone; /* version 3 when it names objects as gone */
	} cases[] = {{"none", 0, 0, 0, 0},   {"one", 1764806400000000000ll, 3600000000000ll, 1, 0},
		     {"three", -5, 0, 3, 0}, {"far", INT64_MAX, INT64_MAX, 2, 0},
		     {"gone", 1764806400000000000ll, 0, 0, 2}, {"packs-and-gone", 7, 60, 2, 1}};

	static uint8_t sign_sk[HF_SIGN_SK_LEN];

	memset(&r, 0, sizeof(r));
	r.auth_key = key;
	r.sign_sk = sign_sk;
	hf_sign_keypair(key, r.cfg.delete_key, sign_sk);
	for (int i = 0; i < 3; i++)
		memset(packs[i], 0x30 + i, HF_ID_LEN);
	memset(gone[0].id, 0x41, HF_ID_LEN);
	memset(gone[1].id, 0x42, HF_ID_LEN);
	hf_buf_init(&b, 4096);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (hf_pending_encode_gone(&r, cases[i].time, cases[i].grace, (const uint8_t(*)[HF_ID_LEN])packs,
					   cases[i].n, gone, cases[i].ngone, &b) < 0) {
			g_err = 1;
			continue;
		}
		put("pending", cases[i].name, b.data, b.len - HF_SIGN_LEN - HF_OBJ_TAG_LEN);
	}
	hf_buf_release(&b);
}

/* snapshot payloads (fuzz_snapshot): as written, and the edge cases */
static void put_snapshot(const char *name, const struct hf_snapshot *sn)
{
	struct hf_buf b;

	hf_buf_init(&b, 1 << 20);
	if (hf_snapshot_encode(sn, &b) < 0)
		g_err = 1;
	put("snapshot", name, b.data, b.len);
	hf_buf_release(&b);
}

static void gen_snapshots(void)
{
	char *paths[] = {"/srv/data", "/home", "/etc/h\xc3\xa9", ""};
	char *excludes[] = {"*.tmp", "/srv/data/cache/**"};
	struct hf_snapshot s;

	memset(&s, 0, sizeof(s));
	s.time_ns = 1764806400123456789ll;
	s.host = "fileserver";
	s.user = "root";
	s.paths = paths;
	s.npaths = 2;
	memset(s.tree, 0xab, HF_ID_LEN);
	s.files = 120345;
	s.dirs = 2044;
	s.bytes = 98765432101ull;
	put_snapshot("first", &s);
	s.has_parent = 1;
	memset(s.parent, 0x3c, HF_ID_LEN);
	s.excludes = excludes;
	s.nexcludes = 2;
	s.errors = 3;
	put_snapshot("with-parent", &s);
	s.npaths = 4;
	s.errors = UINT32_MAX;
	s.time_ns = INT64_MIN;
	s.files = s.dirs = s.bytes = UINT64_MAX;
	put_snapshot("extremes", &s);
	memset(&s, 0, sizeof(s));
	s.host = "";
	s.user = "";
	put_snapshot("empty", &s);
}

/* mark payloads (fuzz_mark): every kind and verdict */
static void gen_marks(void)
{
	static const struct {
		const char *name;
		uint8_t kind, verdict;
		uint64_t changes;
		int64_t time;
		const char *reason;
	} cases[] = {
		{"pin", HF_MARK_PIN, 0, 0, 1764806400000000000ll, "keep: before the migration"},
		{"unpin", HF_MARK_UNPIN, 0, 0, -1, NULL},
		{"verdict-clean", HF_MARK_VERDICT, HF_MARK_VERDICT_CLEAN, 0, 1, ""},
		{"verdict-suspicious", HF_MARK_VERDICT, HF_MARK_VERDICT_SUSPICIOUS, 17, INT64_MAX, "17 files changed"},
		{"verdict-attack", HF_MARK_VERDICT, HF_MARK_VERDICT_ATTACK, UINT64_MAX, INT64_MIN,
		 "mass encryption: 9000 files now random \xe2\x80\x94 see log"},
		{"forgotten", HF_MARK_FORGOTTEN, 0, 0, 1796371200000000000, "forget"},
	};
	char long_reason[HF_MARK_REASON_MAX + 1];
	struct hf_mark m;
	struct hf_buf b;

	memset(long_reason, 'r', HF_MARK_REASON_MAX);
	long_reason[HF_MARK_REASON_MAX] = 0;
	hf_buf_init(&b, 4096);
	for (size_t i = 0; i <= sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&m, 0, sizeof(m));
		if (i < sizeof(cases) / sizeof(cases[0])) {
			m.kind = cases[i].kind;
			m.verdict = cases[i].verdict;
			m.changes = cases[i].changes;
			m.time_ns = cases[i].time;
			m.reason = (char *)cases[i].reason;
		} else { /* the longest reason */
			m.kind = HF_MARK_PIN;
			m.reason = long_reason;
		}
		memset(m.snapshot, 0x40 + (int)i, HF_ID_LEN);
		memset(m.sig, 0x5a, HF_SIGN_LEN); /* an unpin's (not a valid signature: decoding does not check) */
		hf_buf_reset(&b);
		if (hf_mark_encode(&m, &b) < 0)
			g_err = 1;
		put("mark", i < sizeof(cases) / sizeof(cases[0]) ? cases[i].name : "long-reason", b.data, b.len);
	}
	hf_buf_release(&b);
}

/* pack headers (fuzz_pack_header): u64 data length, then the header */
static void put_pack_header(const char *name, const struct hf_pack_entry *e, size_t n, int64_t slack)
{
	uint64_t len = 0;
	struct hf_buf b;

	for (size_t i = 0; i < n; i++)
		len += e[i].stored_len;
	hf_buf_init(&b, 1 << 20);
	if (hf_buf_put_u64(&b, len + (uint64_t)slack) < 0 || hf_pack_header_encode(e, n, &b) < 0)
		g_err = 1;
	put("pack_header", name, b.data, b.len);
	hf_buf_release(&b);
}

static void gen_pack_headers(void)
{
	struct hf_pack_entry e[40];
	uint32_t off = 0;

	memset(e, 0, sizeof(e));
	for (int i = 0; i < 40; i++) {
		e[i].type = i % 5 == 0 ? HF_BLOB_TREE : HF_BLOB_DATA;
		e[i].flags = i % 3 ? HF_BLOB_F_ZSTD : 0;
		memset(e[i].id, i, HF_ID_LEN);
		e[i].raw_len = 1000u * (uint32_t)(i + 1);
		e[i].stored_len = (e[i].flags ? e[i].raw_len / 2 : e[i].raw_len) + HF_AEAD_OVERHEAD;
		e[i].offset = off;
		off += e[i].stored_len;
	}
	put_pack_header("forty", e, 40, 0);
	put_pack_header("one", e, 1, 0);
	put_pack_header("empty", e, 0, 0);
	put_pack_header("slack", e, 3, 4096);
	/* the extremes: an empty blob, the largest blob */
	e[0].raw_len = 0;
	e[0].stored_len = HF_AEAD_OVERHEAD;
	e[1].raw_len = HF_BLOB_MAX;
	e[1].stored_len = HF_BLOB_MAX + HF_AEAD_OVERHEAD;
	e[1].offset = HF_AEAD_OVERHEAD;
	put_pack_header("extremes", e, 2, 0);
}

/* key files (fuzz_key_file), all under the passphrase of fuzz_key_file.c, at
 * the cheapest Argon2id parameters (the target unlocks only those) */
#define FUZZ_PASS "fuzz passphrase"

static void gen_key_files(void)
{
	uint8_t id[32], cfg[32], pk[32], mac[32], sk[32];
	struct hf_buf b;

	for (int i = 0; i < 32; i++) {
		id[i] = (uint8_t)i;
		cfg[i] = (uint8_t)(0x80 + i);
		pk[i] = (uint8_t)(0x20 + i);
		mac[i] = (uint8_t)(0xe0 - i);
		sk[i] = (uint8_t)(0x55 ^ i);
	}
	hf_buf_init(&b, 4096);
	if (hf_key_file_encode(FUZZ_PASS, strlen(FUZZ_PASS), HF_KEY_OPS_MIN, HF_KEY_MEM_MIN, id, cfg, pk, mac, sk,
			       &b) < 0)
		g_err = 1;
	put("key_file", "full", b.data, b.len);
	hf_buf_reset(&b);
	if (hf_key_file_encode(FUZZ_PASS, strlen(FUZZ_PASS), HF_KEY_OPS_MIN, HF_KEY_MEM_MIN, id, cfg, pk, mac, NULL,
			       &b) < 0)
		g_err = 1;
	put("key_file", "write-only", b.data, b.len);
	hf_buf_reset(&b);
	if (hf_key_file_encode("another passphrase", 18, HF_KEY_OPS_MIN, HF_KEY_MEM_MIN, id, cfg, pk, mac, sk, &b) < 0)
		g_err = 1;
	put("key_file", "other-passphrase", b.data, b.len);
	/* the most expensive parameters a reader accepts (the target checks
	 * the layout only), and one pass too many (refused); from a full key */
	if (b.len >= 21) {
		hf_put_le32(b.data + 9, HF_KEY_OPS_MAX);
		hf_put_le64(b.data + 13, HF_KEY_MEM_MAX);
		put("key_file", "dearest", b.data, b.len);
		hf_put_le32(b.data + 9, HF_KEY_OPS_MAX + 1);
		put("key_file", "too-many-passes", b.data, b.len);
	}
	hf_buf_release(&b);
}

/* index main parts: one pack, two packs (one under a second key), a blob
 * listed twice at different places, and the empty list */
static void gen_index(void)
{
	struct hf_pack_entry e[6];
	struct hf_index_pack_entries packs[3];
	uint8_t keys[3][HF_KEY_LEN];
	struct hf_buf b;

	memset(e, 0, sizeof(e));
	memset(packs, 0, sizeof(packs));
	for (int i = 0; i < 6; i++) {
		memset(e[i].id, 0x11 * (i + 1), HF_ID_LEN);
		e[i].type = (uint8_t)(i == 5 ? HF_BLOB_TREE : HF_BLOB_DATA);
		e[i].flags = (uint8_t)(i % 2 ? HF_BLOB_F_ZSTD : 0);
		e[i].offset = (uint32_t)(i * 1000);
		e[i].stored_len = HF_AEAD_OVERHEAD + 900 + (uint32_t)i;
		e[i].raw_len = 1200 + (uint32_t)i * 300;
	}
	memcpy(e[4].id, e[0].id, HF_ID_LEN); /* a second claim for blob 0 */
	for (int p = 0; p < 3; p++) {
		memset(packs[p].pack_id, 0xa0 + p, HF_ID_LEN);
		memset(keys[p], 0x50 + p, HF_KEY_LEN);
		packs[p].key = keys[p];
	}
	memcpy(packs[2].pack_id, packs[1].pack_id, HF_ID_LEN); /* the same pack under another key */
	packs[0].entries = e;
	packs[0].n = 3;
	packs[1].entries = e + 3;
	packs[1].n = 2;
	packs[2].entries = e + 5;
	packs[2].n = 1;
	for (size_t np = 0; np <= 3; np++) {
		char name[32];
		hf_buf_init(&b, 1 << 20);
		if (hf_index_main_encode(packs, np, &b) < 0)
			g_err = 1;
		snprintf(name, sizeof(name), "packs-%zu", np);
		put("index", name, b.data, b.len);
		hf_buf_release(&b);
	}
}

/* index id lists (what write-only clients read): no pack, one pack with
 * three blobs, two packs with a blob in each, and a blob listed in both */
static void gen_idlist(void)
{
	uint8_t pid[2][HF_ID_LEN], id[4][HF_ID_LEN];
	static const struct {
		const char *name;
		size_t npacks, nblobs;
		uint8_t ord[4];
	} lists[] = {
		{"empty", 0, 0, {0}},
		{"one-pack", 1, 3, {0, 0, 0}},
		{"two-packs", 2, 2, {0, 1}},
		{"blob-twice", 2, 4, {0, 0, 1, 1}},
	};

	memset(pid[0], 0xa0, HF_ID_LEN);
	memset(pid[1], 0xa1, HF_ID_LEN);
	for (int i = 0; i < 4; i++)
		memset(id[i], 0x11 * (i + 1), HF_ID_LEN);
	memcpy(id[2], id[1], HF_ID_LEN); /* for blob-twice: sorted, the same id in two packs */
	for (size_t l = 0; l < sizeof(lists) / sizeof(lists[0]); l++) {
		struct hf_buf b;
		int r;
		hf_buf_init(&b, 1 << 20);
		r = hf_buf_put_varint(&b, lists[l].npacks);
		for (size_t p = 0; p < lists[l].npacks && r == 0; p++)
			r = hf_buf_append(&b, pid[p], HF_ID_LEN);
		if (r == 0)
			r = hf_buf_put_varint(&b, lists[l].nblobs);
		for (size_t i = 0; i < lists[l].nblobs && r == 0; i++) {
			r = hf_buf_append(&b, id[i], HF_ID_LEN);
			if (r == 0)
				r = hf_buf_put_varint(&b, lists[l].ord[i]);
		}
		if (r < 0)
			g_err = 1;
		put("idlist", lists[l].name, b.data, b.len);
		hf_buf_release(&b);
	}
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: gen_corpus DIR\n");
		return 2;
	}
	g_dir = argv[1];
	gen_trees();
	gen_configs();
	gen_reader();
	gen_pending();
	gen_snapshots();
	gen_marks();
	gen_pack_headers();
	gen_index();
	gen_idlist();
	if (hf_crypto_init() < 0)
		return 1;
	gen_key_files();
	return g_err;
}
