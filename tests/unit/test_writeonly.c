/* test_writeonly.c — write-only keys (FORMAT.md, key files kind 2): opening a
 * repository with a key file given from outside (hf_repo_open_key), making
 * one (hf_repo_write_only_key), and the dedup-only index a write-only key
 * loads from the index objects' id lists (hf_repo_load_dedup), reading only
 * the tail of each index object. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "repo/mark.h"
#include "repo/repo.h"
#include "repo/repo_internal.h"
#include "store/store.h"
#include "store/store_mem.h"
#include "t.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/hex.h"

static const struct hf_repo_params g_params = {.kdf_ops = 1, .kdf_mem = 8u << 20};

/* ---- a store that forwards to another and watches index reads ------------- */

#define MAX_RANGES 256

struct watch {
	struct hf_store base;
	struct hf_store *inner;
	int index_gets;    /* whole-object reads of index objects: must stay 0 */
	int index_readers; /* reader_open on index objects: must stay 0 */
	int nranges;
	struct {
		char name[HF_ID_HEX_LEN + 1];
		uint64_t off, n;
	} ranges[MAX_RANGES];
};

static struct watch *W(struct hf_store *s)
{
	return (struct watch *)(void *)s;
}

static int w_put(struct hf_store *s, int kind, const char *name, const void *p, size_t n, int flags)
{
	return W(s)->inner->ops->put(W(s)->inner, kind, name, p, n, flags);
}
static int w_get(struct hf_store *s, int kind, const char *name, struct hf_buf *out)
{
	if (kind == HF_OBJ_INDEX)
		W(s)->index_gets++;
	return W(s)->inner->ops->get(W(s)->inner, kind, name, out);
}
static int w_get_range(struct hf_store *s, int kind, const char *name, uint64_t off, size_t n, void *out)
{
	struct watch *w = W(s);

	if (kind == HF_OBJ_INDEX && w->nranges < MAX_RANGES) {
		snprintf(w->ranges[w->nranges].name, sizeof(w->ranges[0].name), "%s", name);
		w->ranges[w->nranges].off = off;
		w->ranges[w->nranges++].n = n;
	}
	return w->inner->ops->get_range(w->inner, kind, name, off, n, out);
}
static int w_size(struct hf_store *s, int kind, const char *name, uint64_t *size)
{
	return W(s)->inner->ops->size(W(s)->inner, kind, name, size);
}
static int w_mtime(struct hf_store *s, int kind, const char *name, int64_t *ns)
{
	return W(s)->inner->ops->mtime(W(s)->inner, kind, name, ns);
}
static int w_list(struct hf_store *s, int kind, hf_store_list_fn fn, void *arg)
{
	return W(s)->inner->ops->list(W(s)->inner, kind, fn, arg);
}
static int w_remove(struct hf_store *s, int kind, const char *name)
{
	return W(s)->inner->ops->remove(W(s)->inner, kind, name);
}
static int w_sync(struct hf_store *s)
{
	return W(s)->inner->ops->sync(W(s)->inner);
}
static int w_reader_open(struct hf_store *s, int kind, const char *name, struct hf_store_reader **r)
{
	if (kind == HF_OBJ_INDEX)
		W(s)->index_readers++;
	return W(s)->inner->ops->reader_open(W(s)->inner, kind, name, r);
}
static int w_writer_open(struct hf_store *s, int kind, struct hf_store_writer **wr)
{
	return W(s)->inner->ops->writer_open(W(s)->inner, kind, wr);
}
static void w_close(struct hf_store *s)
{
	hf_store_close(W(s)->inner);
	free(s);
}
static int w_now(struct hf_store *s, int64_t *ns)
{
	return W(s)->inner->ops->now(W(s)->inner, ns);
}

static const struct hf_store_ops watch_ops = {
	.put = w_put,
	.get = w_get,
	.get_range = w_get_range,
	.size = w_size,
	.mtime = w_mtime,
	.list = w_list,
	.remove = w_remove,
	.sync = w_sync,
	.reader_open = w_reader_open,
	.writer_open = w_writer_open,
	.close = w_close,
	.now = w_now,
};

static struct watch *watch_open(const char *mem)
{
	struct watch *w = calloc(1, sizeof(*w));

	if (!w || hf_store_mem_open(mem, 0, &w->inner) < 0) {
		free(w);
		return NULL;
	}
	w->base.ops = &watch_ops;
	w->base.location = "watch";
	w->base.caps = w->inner->caps;
	return w;
}

/* ---- helpers ---------------------------------------------------------------- */

/* a new repository in the memory store mem, opened with the full key */
static struct hf_repo *new_repo(const char *mem)
{
	struct hf_store *st = NULL;
	struct hf_repo *r = NULL;

	if (hf_store_mem_open(mem, 1, &st) < 0)
		return NULL;
	if (hf_repo_create(st, "full", 4, &g_params, NULL) < 0) {
		hf_store_close(st);
		return NULL;
	}
	if (hf_repo_open(st, "full", 4, &r) < 0)
		return NULL;
	return r;
}

/* one session: a pack of n blobs ("blob <first + i>"), and its index object */
static int write_blobs(struct hf_repo *r, int first, int n, uint8_t ids[][HF_ID_LEN])
{
	struct hf_session *ses = NULL;
	struct hf_pack_writer *pw;
	struct hf_index_builder *ib;
	int ret = hf_session_new(r, &ses);

	if (ret < 0)
		return ret;
	pw = hf_pack_writer_new(r, ses);
	ib = hf_index_builder_new(r, ses);
	for (int i = 0; i < n && ret == 0; i++) {
		char text[32];
		int len = snprintf(text, sizeof(text), "blob %d", first + i);
		hf_repo_blob_id(r, text, (size_t)len, ids[i]);
		ret = hf_pack_add(pw, ids[i], HF_BLOB_DATA, 0, text, (size_t)len, (uint32_t)len);
	}
	if (ret == 0)
		ret = hf_pack_flush(pw, ib);
	if (ret == 0)
		ret = hf_index_builder_write(ib);
	hf_index_builder_free(ib);
	hf_pack_writer_free(pw);
	hf_session_free(ses);
	return ret;
}

/* a write-only key file for r under pass, with the cheapest Argon2id cost */
static void wo_key(struct hf_repo *r, const char *pass, struct hf_buf *out)
{
	hf_buf_init(out, 4096);
	T_EQ(hf_key_file_encode(pass, strlen(pass), 1, 8u << 20, r->cfg.id, r->config_hash, r->pk, r->mac_key, NULL,
				out),
	     0);
}

/* ---- tests -------------------------------------------------------------------- */

/* hf_repo_write_only_key makes a kind-2 file; hf_repo_open_key opens with it
 * (and only with its passphrase), the file is not in keys/, and a key of
 * another repository or a damaged one is refused with a reason */
static void test_open_key_file(void)
{
	struct hf_repo *r = new_repo("wo-open"), *o = new_repo("wo-other"), *wo = NULL;
	struct hf_store *st = NULL;
	struct hf_buf key, other;
	char why[256];
	int has_sk = 1;
	uint64_t ops, mem;

	T_CHECK(r && o);
	if (!r || !o)
		goto out;
	T_EQ(hf_repo_write_only(r), 0);
	hf_buf_init(&key, 4096);
	T_EQ(hf_repo_write_only_key(r, "client", 6, &key), 0);
	T_EQ(hf_key_file_params(key.data, key.len, &has_sk, &ops, &mem), 0);
	T_EQ(has_sk, 0);

	T_EQ(hf_store_mem_open("wo-open", 0, &st), 0);
	T_EQ(hf_repo_open_key(st, key.data, key.len, "client", 6, &wo, why, sizeof(why)), 0);
	T_CHECK(wo != NULL);
	if (wo) {
		T_EQ(hf_repo_write_only(wo), 1);
		T_CHECK(wo->sk == NULL && wo->sign_sk == NULL);
		T_MEMEQ(wo->mac_key, r->mac_key, HF_KEY_LEN);
		T_MEMEQ(wo->dedup_key, r->dedup_key, HF_KEY_LEN);
		T_EQ(hf_repo_load_index(wo, NULL, NULL, NULL), -HF_E_WRITEONLY);
		hf_repo_close(wo);
		wo = NULL;
	}
	/* the wrong passphrase */
	T_EQ(hf_store_mem_open("wo-open", 0, &st), 0);
	T_EQ(hf_repo_open_key(st, key.data, key.len, "full", 4, &wo, why, sizeof(why)), -HF_E_PASSWORD);
	T_CHECK(wo == NULL && strstr(why, "passphrase") != NULL);
	/* the key file is nowhere in keys/: its passphrase opens nothing there */
	T_EQ(hf_store_mem_open("wo-open", 0, &st), 0);
	T_EQ(hf_repo_open(st, "client", 6, &wo), -HF_E_PASSWORD);
	/* a key of another repository */
	wo_key(o, "client", &other);
	T_EQ(hf_store_mem_open("wo-open", 0, &st), 0);
	T_EQ(hf_repo_open_key(st, other.data, other.len, "client", 6, &wo, why, sizeof(why)), -HF_E_CORRUPT);
	T_CHECK(wo == NULL && strstr(why, "another repository") != NULL);
	/* every truncation, and a flipped bit in every byte: refused, never opened */
	for (size_t n = 0; n < other.len; n++) {
		T_EQ(hf_store_mem_open("wo-other", 0, &st), 0);
		T_CHECK(hf_repo_open_key(st, other.data, n, "client", 6, &wo, why, sizeof(why)) == -HF_E_CORRUPT);
		T_CHECK(wo == NULL);
	}
	for (size_t i = 0; i < other.len; i += 7) {
		int ret;
		other.data[i] ^= 0x10;
		T_EQ(hf_store_mem_open("wo-other", 0, &st), 0);
		ret = hf_repo_open_key(st, other.data, other.len, "client", 6, &wo, why, sizeof(why));
		T_CHECK(ret == -HF_E_CORRUPT || ret == -HF_E_PASSWORD);
		T_CHECK(wo == NULL);
		other.data[i] ^= 0x10;
	}
	/* and the file itself opens that repository */
	T_EQ(hf_store_mem_open("wo-other", 0, &st), 0);
	T_EQ(hf_repo_open_key(st, other.data, other.len, "client", 6, &wo, why, sizeof(why)), 0);
	hf_repo_close(wo);
	hf_buf_release(&key);
	hf_buf_release(&other);
out:
	hf_repo_close(r);
	hf_repo_close(o);
	hf_store_mem_destroy("wo-open");
	hf_store_mem_destroy("wo-other");
}

/* the dedup-only index has every blob, each in the pack the full index says,
 * and was read from the objects' tails only: no whole get, no reader, per
 * object two range reads (the last 36 bytes, then the id list just before) */
static void test_dedup_index(void)
{
	struct hf_repo *r = new_repo("wo-dedup"), *wo = NULL;
	struct watch *w = NULL;
	struct hf_buf key;
	uint8_t ids[40][HF_ID_LEN], absent[HF_ID_LEN];
	size_t bad = 9;
	char why[256];

	T_CHECK(r != NULL);
	if (!r)
		return;
	T_EQ(write_blobs(r, 0, 25, ids), 0);
	T_EQ(write_blobs(r, 25, 10, ids + 25), 0);
	T_EQ(hf_repo_load_index(r, NULL, NULL, NULL), 0);
	wo_key(r, "client", &key);
	w = watch_open("wo-dedup");
	T_CHECK(w != NULL);
	if (!w)
		goto out;
	T_EQ(hf_repo_open_key(&w->base, key.data, key.len, "client", 6, &wo, why, sizeof(why)), 0);
	if (!wo)
		goto out;
	T_EQ(hf_repo_load_dedup(wo, &bad, NULL, NULL), 0);
	T_EQ(bad, 0);
	T_EQ(hf_index_dedup_only(hf_repo_index(wo)), 1);
	T_EQ(hf_index_dedup_only(hf_repo_index(r)), 0);
	T_EQ(hf_index_nfiles(hf_repo_index(wo)), 2);
	T_EQ(hf_index_npacks(hf_repo_index(wo)), 2);
	for (int i = 0; i < 35; i++) {
		const struct hf_blob_loc *full = hf_index_find(hf_repo_index(r), ids[i]);
		const struct hf_blob_loc *d = hf_index_find(hf_repo_index(wo), ids[i]);
		T_CHECK(full && d);
		if (full && d) {
			T_MEMEQ(hf_index_pack_id(hf_repo_index(wo), d->pack),
				hf_index_pack_id(hf_repo_index(r), full->pack), HF_ID_LEN);
			T_EQ(d->offset, 0);
			T_EQ(d->stored_len, 0);
		}
		T_EQ(hf_index_claims(hf_repo_index(wo), ids[i]), 1);
	}
	hf_repo_blob_id(r, "never stored", 12, absent);
	T_CHECK(hf_index_find(hf_repo_index(wo), absent) == NULL);
	/* what was read of the index objects */
	T_EQ(w->index_gets, 0);
	T_EQ(w->index_readers, 0);
	T_EQ(w->nranges, 4);
	for (int i = 0; i + 1 < w->nranges; i += 2) {
		uint64_t size = 0;
		T_EQ(strcmp(w->ranges[i].name, w->ranges[i + 1].name), 0);
		T_EQ(hf_store_size(w->inner, HF_OBJ_INDEX, w->ranges[i].name, &size), 0);
		T_EQ(w->ranges[i].n, 36);
		T_EQ(w->ranges[i].off, size - 36);
		T_EQ(w->ranges[i + 1].off + w->ranges[i + 1].n, size - 36);
		/* the id list is the smaller part: the main part (with offsets,
		 * lengths and pack keys) was never read */
		T_CHECK(w->ranges[i + 1].off > 8 + HF_SEALED_KEY_LEN + HF_AEAD_OVERHEAD);
	}
	/* a refresh adds what was written since, from id lists too */
	T_EQ(write_blobs(r, 35, 5, ids + 35), 0);
	T_EQ(hf_repo_refresh_index(wo), 0);
	T_EQ(hf_index_nfiles(hf_repo_index(wo)), 3);
	T_EQ(hf_index_dedup_only(hf_repo_index(wo)), 1);
	T_CHECK(hf_index_find(hf_repo_index(wo), ids[37]) != NULL);
	T_EQ(w->index_gets, 0);
	T_EQ(w->index_readers, 0);
	/* nothing in it reads: the pack keys are zero */
	{
		static const uint8_t zero[HF_KEY_LEN];
		T_MEMEQ(hf_index_pack_key(hf_repo_index(wo), 0), zero, HF_KEY_LEN);
	}
out:
	hf_buf_release(&key);
	hf_repo_close(wo);
	hf_repo_close(r);
	hf_store_mem_destroy("wo-dedup");
}

/* a damaged tail: every flipped bit in the length or the id list makes the
 * object count as damaged (nothing of it loaded); the tag cannot be checked
 * from the tail, so a flip there changes nothing (FORMAT.md says so) */
static void test_dedup_damaged(void)
{
	struct hf_repo *r = new_repo("wo-bad"), *wo = NULL;
	struct hf_store *st = NULL;
	struct hf_buf key, obj;
	uint8_t ids[4][HF_ID_LEN];
	char name[HF_ID_HEX_LEN + 1] = "";
	char why[256];
	uint32_t dlen;

	T_CHECK(r != NULL);
	if (!r)
		return;
	T_EQ(write_blobs(r, 0, 4, ids), 0);
	wo_key(r, "client", &key);
	T_EQ(hf_store_mem_open("wo-bad", 0, &st), 0);
	T_EQ(hf_repo_open_key(st, key.data, key.len, "client", 6, &wo, why, sizeof(why)), 0);
	if (!wo)
		goto out;
	{ /* the one index object */
		struct hf_index *ix = NULL;
		T_EQ(hf_repo_load_dedup(wo, NULL, NULL, NULL), 0);
		ix = hf_repo_index(wo);
		T_EQ(hf_index_nfiles(ix), 1);
		if (hf_index_nfiles(ix) == 1)
			snprintf(name, sizeof(name), "%s", hf_index_file(ix, 0));
	}
	hf_buf_init(&obj, HF_META_OBJ_MAX);
	T_EQ(hf_store_get(wo->store, HF_OBJ_INDEX, name, &obj), 0);
	dlen = hf_get_le32(obj.data + obj.len - 36);
	T_CHECK(dlen > HF_AEAD_OVERHEAD && dlen < obj.len);
	for (size_t i = obj.len - 36 - dlen; i < obj.len; i++) {
		size_t bad = 0;
		struct hf_store *s2 = NULL;
		struct hf_repo *w2 = NULL;
		char copy[32];
		snprintf(copy, sizeof(copy), "wo-bad-%zu", i);
		T_EQ(hf_store_mem_open(copy, 1, &s2), 0);
		if (!s2)
			break;
		obj.data[i] ^= 0x01;
		/* a repository with the config and this one index object */
		{
			struct hf_buf cfg;
			hf_buf_init(&cfg, 4096);
			T_EQ(hf_store_get(wo->store, HF_OBJ_CONFIG, "config", &cfg), 0);
			T_EQ(hf_store_put(s2, HF_OBJ_CONFIG, "config", cfg.data, cfg.len), 0);
			hf_buf_release(&cfg);
		}
		T_EQ(hf_store_put(s2, HF_OBJ_INDEX, name, obj.data, obj.len), 0);
		obj.data[i] ^= 0x01;
		T_EQ(hf_repo_open_key(s2, key.data, key.len, "client", 6, &w2, why, sizeof(why)), 0);
		if (w2) {
			T_EQ(hf_repo_load_dedup(w2, &bad, NULL, NULL), 0);
			if (i >= obj.len - 32) { /* the tag */
				T_EQ(bad, 0);
				T_CHECK(hf_index_find(hf_repo_index(w2), ids[0]) != NULL);
			} else {
				T_EQ(bad, 1);
				T_EQ(hf_index_count(hf_repo_index(w2)), 0);
			}
		}
		hf_repo_close(w2);
		hf_store_mem_destroy(copy);
	}
	hf_buf_release(&obj);
out:
	hf_buf_release(&key);
	hf_repo_close(wo);
	hf_repo_close(r);
	hf_store_mem_destroy("wo-bad");
}

/* the id-list parser: every truncation of a good list is refused and adds
 * nothing; an ordinal past the pack ids is refused */
static void test_parse_idlist(void)
{
	struct hf_buf b;
	uint8_t pid[2][HF_ID_LEN], id[3][HF_ID_LEN];

	memset(pid, 0xaa, sizeof(pid));
	pid[1][0] = 0xbb;
	for (int i = 0; i < 3; i++)
		memset(id[i], 0x10 * (i + 1), HF_ID_LEN);
	hf_buf_init(&b, 4096);
	T_EQ(hf_buf_put_varint(&b, 2), 0);
	T_EQ(hf_buf_append(&b, pid, sizeof(pid)), 0);
	T_EQ(hf_buf_put_varint(&b, 3), 0);
	for (int i = 0; i < 3; i++) {
		T_EQ(hf_buf_append(&b, id[i], HF_ID_LEN), 0);
		T_EQ(hf_buf_put_varint(&b, (uint64_t)(i % 2)), 0);
	}
	for (size_t n = 0; n < b.len; n++) {
		struct hf_index *ix = hf_index_new();
		T_CHECK(hf_index_parse_idlist(ix, b.data, n, 0) < 0);
		T_EQ(ix->nentries, 0);
		hf_index_free(ix);
	}
	{
		struct hf_index *ix = hf_index_new();
		T_EQ(hf_index_parse_idlist(ix, b.data, b.len, 0), 0);
		hf_index_seal(ix);
		T_EQ(hf_index_count(ix), 3);
		T_EQ(hf_index_npacks(ix), 2);
		T_MEMEQ(hf_index_pack_id(ix, hf_index_find(ix, id[1])->pack), pid[1], HF_ID_LEN);
		hf_index_free(ix);
	}
	b.data[b.len - 1] = 2; /* the last blob's ordinal: past the two packs */
	{
		struct hf_index *ix = hf_index_new();
		T_EQ(hf_index_parse_idlist(ix, b.data, b.len, 0), -HF_E_CORRUPT);
		T_EQ(ix->nentries, 0);
		hf_index_free(ix);
	}
	hf_buf_release(&b);
}

struct objs {
	int kind;
	char v[32][HF_ID_HEX_LEN + 1];
	size_t n;
};

static int note_obj(void *arg, const char *name, uint64_t size)
{
	struct objs *o = arg;

	(void)size;
	if (o->n < 32)
		snprintf(o->v[o->n++], sizeof(o->v[0]), "%s", name);
	return 0;
}

/* Nothing the full key wrote opens with the write-only key: snapshots,
 * marks, index objects (main part), pack headers and blobs, trees; and the
 * envelope of every stored object of every kind is refused. */
static void test_cannot_decrypt(void)
{
	static const struct {
		int kind;
		const char *magic;
	} kinds[] = {{HF_OBJ_SNAPSHOT, HF_MAGIC_SNAPSHOT},
		     {HF_OBJ_MARK, HF_MAGIC_MARK},
		     {HF_OBJ_INDEX, HF_MAGIC_INDEX}};
	struct hf_repo *r = new_repo("wo-read"), *wo = NULL;
	struct hf_store *st = NULL;
	struct hf_session *ses = NULL;
	struct hf_snapshot s, *all = NULL;
	struct hf_mark m, *marks = NULL;
	struct hf_buf key;
	uint8_t ids[3][HF_ID_LEN];
	char why[256], snap[HF_ID_HEX_LEN + 1];
	size_t n = 9, bad = 0;

	T_CHECK(r != NULL);
	if (!r)
		return;
	T_EQ(write_blobs(r, 0, 3, ids), 0);
	T_EQ(hf_session_new(r, &ses), 0);
	memset(&s, 0, sizeof(s));
	s.host = "full";
	s.user = "full";
	memcpy(s.tree, ids[0], HF_ID_LEN);
	T_EQ(hf_snapshot_write(r, ses, &s), 0);
	hf_id_hex(s.id, snap);
	memset(&m, 0, sizeof(m));
	m.kind = HF_MARK_PIN;
	memcpy(m.snapshot, s.id, HF_ID_LEN);
	T_EQ(hf_mark_write(r, ses, &m), 0);
	hf_session_free(ses);
	wo_key(r, "client", &key);
	T_EQ(hf_store_mem_open("wo-read", 0, &st), 0);
	T_EQ(hf_repo_open_key(st, key.data, key.len, "client", 6, &wo, why, sizeof(why)), 0);
	if (!wo)
		goto out;
	/* snapshots and marks: none opens, each counted as unreadable */
	T_CHECK(hf_snapshot_load(wo, snap, &s) < 0);
	T_EQ(hf_snapshot_list(wo, &all, &n, &bad), 0);
	T_EQ(n, 0);
	T_EQ(bad, 1);
	hf_snapshot_list_free(all, n);
	n = 9;
	bad = 0;
	{ /* refused as a whole, or each mark counted as unreadable */
		int ret = hf_mark_list(wo, &marks, &n, &bad);
		T_CHECK(ret < 0 || (n == 0 && bad == 1));
		if (ret == 0)
			hf_mark_list_free(marks, n);
	}
	/* the envelope of every object of these kinds */
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		struct objs o = {.kind = kinds[k].kind};
		T_EQ(hf_store_list(wo->store, o.kind, note_obj, &o), 0);
		T_CHECK(o.n >= 1);
		for (size_t i = 0; i < o.n; i++) {
			struct hf_buf obj, pt;
			hf_buf_init(&obj, HF_META_OBJ_MAX);
			hf_buf_init(&pt, HF_META_OBJ_MAX);
			T_EQ(hf_store_get(wo->store, o.kind, o.v[i], &obj), 0);
			T_CHECK(hf_envelope_open(wo, kinds[k].magic, obj.data, obj.len, &pt, NULL) < 0);
			T_EQ(pt.len, 0);
			hf_buf_release(&obj);
			hf_buf_release(&pt);
		}
	}
	/* the index: only the dedup view, and no blob or tree reads through it */
	T_EQ(hf_repo_load_index(wo, NULL, NULL, NULL), -HF_E_WRITEONLY);
	T_EQ(hf_repo_load_dedup(wo, NULL, NULL, NULL), 0);
	{
		struct hf_blob_reader br;
		struct hf_buf out;
		struct hf_tree t;
		hf_blob_reader_init(&br, wo);
		hf_buf_init(&out, HF_BLOB_MAX);
		for (int i = 0; i < 3; i++) {
			T_CHECK(hf_index_find(hf_repo_index(wo), ids[i]) != NULL);
			T_CHECK(hf_blob_read(&br, ids[i], &out) < 0);
		}
		memset(&t, 0, sizeof(t));
		T_CHECK(hf_tree_load(&br, ids[0], &t) < 0);
		hf_buf_release(&out);
		hf_blob_reader_release(&br);
	}
	{ /* pack headers */
		struct objs o = {.kind = HF_OBJ_PACK};
		struct hf_aead *a = hf_aead_new();
		T_EQ(hf_store_list(wo->store, HF_OBJ_PACK, note_obj, &o), 0);
		T_EQ(o.n, 1);
		for (size_t i = 0; i < o.n; i++) {
			struct hf_pack_entry *e = NULL;
			uint64_t size = 0;
			size_t ne = 0;
			T_EQ(hf_store_size(wo->store, HF_OBJ_PACK, o.v[i], &size), 0);
			T_CHECK(hf_pack_read_header(wo, a, o.v[i], size, 0, &e, &ne) < 0);
			T_CHECK(e == NULL);
		}
		hf_aead_free(a);
	}
out:
	hf_buf_release(&key);
	hf_repo_close(wo);
	hf_repo_close(r);
	hf_store_mem_destroy("wo-read");
}

int main(void)
{
	if (hf_crypto_init() < 0)
		return 1;
	T_RUN(test_open_key_file);
	T_RUN(test_dedup_index);
	T_RUN(test_dedup_damaged);
	T_RUN(test_parse_idlist);
	T_RUN(test_cannot_decrypt);
	return T_DONE("test_writeonly");
}
