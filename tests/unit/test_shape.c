/* test_shape.c — repo/shape.c: the keyless checks a server makes before an
 * object becomes visible. Every kind of object a real repository holds
 * passes under its own kind and fails under every other; cut, grown or
 * re-framed objects fail; sizes past the caps give -HF_E_LIMIT. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "repo/mark.h"
#include "repo/pending.h"
#include "repo/repo.h"
#include "repo/repo_internal.h"
#include "repo/shape.h"
#include "store/store.h"
#include "t.h"
#include "t_fs.h"
#include "util/buf.h"
#include "util/err.h"

#define PASS "correct horse battery staple"

static char g_base[256];
static const struct hf_repo_params g_params = {.kdf_ops = 1, .kdf_mem = 8u << 20};

struct object {
	int kind;
	char name[HF_STORE_NAME_MAX + 1];
	struct hf_buf bytes;
};

struct collect {
	struct hf_store *st;
	int kind;
	struct object *v;
	size_t n;
};

static int note(void *arg, const char *name, uint64_t size)
{
	struct collect *c = arg;
	struct object *o;

	(void)size;
	c->v = realloc(c->v, (c->n + 1) * sizeof(*c->v));
	o = &c->v[c->n++];
	o->kind = c->kind;
	snprintf(o->name, sizeof(o->name), "%s", name);
	hf_buf_init(&o->bytes, 1u << 30);
	return hf_store_get(c->st, c->kind, name, &o->bytes);
}

static int check(int kind, const struct hf_buf *b, uint32_t pack_size)
{
	size_t nhead = b->len < HF_SHAPE_HEAD ? b->len : HF_SHAPE_HEAD;
	size_t ntail = b->len < HF_SHAPE_TAIL ? b->len : HF_SHAPE_TAIL;

	return hf_shape_check(kind, b->len, b->data, nhead, b->data + b->len - ntail, ntail, pack_size);
}

/* a repository holding one object of every kind, all as holdfast writes them */
static struct hf_repo *make_repo(void)
{
	char dir[512];
	struct hf_store *st = NULL;
	struct hf_repo *r = NULL;
	struct hf_session *ses = NULL;
	struct hf_pack_writer *w;
	struct hf_index_builder *ib;
	struct hf_snapshot s = {.host = "h", .user = "u"};
	struct hf_mark m = {.kind = HF_MARK_PIN, .reason = "pin"};
	uint8_t id[HF_ID_LEN], packs[1][HF_ID_LEN] = {{7}};

	snprintf(dir, sizeof(dir), "%s/repo", g_base);
	T_EQ(hf_store_local_open(dir, 1, &st), 0);
	T_EQ(hf_repo_create(st, PASS, strlen(PASS), &g_params, NULL), 0);
	hf_store_close(st);
	T_EQ(hf_store_local_open(dir, 0, &st), 0);
	T_EQ(hf_repo_open(st, PASS, strlen(PASS), &r), 0);
	if (!r)
		return NULL;
	T_EQ(hf_session_new(r, &ses), 0);
	w = hf_pack_writer_new(r, ses);
	ib = hf_index_builder_new(r, ses);
	hf_repo_blob_id(r, "abc", 3, id);
	T_EQ(hf_pack_add(w, id, HF_BLOB_DATA, 0, "abc", 3, 3), 0);
	T_EQ(hf_pack_flush(w, ib), 0);
	T_EQ(hf_index_builder_write(ib), 0);
	hf_index_builder_free(ib);
	hf_pack_writer_free(w);
	T_EQ(hf_snapshot_write(r, ses, &s), 0);
	memcpy(m.snapshot, s.id, HF_ID_LEN);
	T_EQ(hf_mark_write(r, ses, &m), 0);
	T_EQ(hf_pending_write(r, 1, 2, (const uint8_t(*)[HF_ID_LEN])packs, 1), 0);
	hf_session_free(ses);
	return r;
}

static void test_every_kind(void)
{
	struct hf_repo *r = make_repo();
	struct collect c = {0};
	uint32_t ps;

	if (!r)
		return;
	ps = hf_repo_config(r)->pack_size;
	c.st = hf_repo_store(r);
	c.kind = HF_OBJ_CONFIG; /* not listed: one name */
	T_EQ(note(&c, "config", 0), 0);
	for (c.kind = HF_OBJ_CONFIG + 1; c.kind < HF_OBJ_KINDS; c.kind++)
		T_EQ(hf_store_list(c.st, c.kind, note, &c), 0);
	T_EQ(c.n, HF_OBJ_KINDS); /* one of each */
	for (size_t i = 0; i < c.n; i++) {
		struct object *o = &c.v[i];
		T_EQ(check(o->kind, &o->bytes, ps), 0);
		/* under any other kind it is refused */
		for (int k = 0; k < HF_OBJ_KINDS; k++)
			if (k != o->kind && check(k, &o->bytes, ps) == 0) {
				fprintf(stderr, "kind %d object passes as kind %d\n", o->kind, k);
				T_CHECK(0);
			}
		/* its last byte cut, or one byte more: the framing breaks */
		o->bytes.len--;
		T_CHECK(check(o->kind, &o->bytes, ps) < 0 || o->kind == HF_OBJ_SNAPSHOT || o->kind == HF_OBJ_MARK ||
			o->kind == HF_OBJ_PENDING);
		o->bytes.len++;
		/* the head and tail must be what the object has */
		T_EQ(hf_shape_check(o->kind, o->bytes.len + 1, o->bytes.data, o->bytes.len, o->bytes.data, 1, ps),
		     -HF_E_CORRUPT);
	}
	/* framing that points outside: a pack's header length, an index
	 * object's id-list length */
	for (size_t i = 0; i < c.n; i++) {
		struct object *o = &c.v[i];
		uint8_t *len_at = NULL;
		if (o->kind == HF_OBJ_PACK)
			len_at = o->bytes.data + o->bytes.len - HF_MAGIC_LEN - 4;
		if (o->kind == HF_OBJ_INDEX)
			len_at = o->bytes.data + o->bytes.len - 32 - 4;
		if (!len_at)
			continue;
		len_at[3] ^= 0x40;
		T_EQ(check(o->kind, &o->bytes, ps), -HF_E_CORRUPT);
		len_at[3] ^= 0x40;
		T_EQ(check(o->kind, &o->bytes, ps), 0);
	}
	for (size_t i = 0; i < c.n; i++)
		hf_buf_release(&c.v[i].bytes);
	free(c.v);
	hf_repo_close(r);
}

static void test_limits(void)
{
	static const uint8_t zero[HF_SHAPE_TAIL];
	uint32_t ps = 16u << 20;

	for (int k = 0; k < HF_OBJ_KINDS; k++) {
		uint64_t max = hf_shape_max_size(k, ps);
		T_CHECK(max > 0);
		T_EQ(hf_shape_check(k, max + 1, zero, sizeof(zero), zero, sizeof(zero), ps), -HF_E_LIMIT);
	}
	/* a pack as large as a writer makes is allowed by size */
	T_CHECK(hf_shape_max_size(HF_OBJ_PACK, ps) >= (uint64_t)ps + HF_BLOB_MAX);
	T_EQ(hf_shape_check(HF_OBJ_KINDS, 10, zero, 10, zero, 10, ps), -HF_E_CORRUPT);
	T_EQ(hf_shape_check(-1, 10, zero, 10, zero, 10, ps), -HF_E_CORRUPT);
	/* an empty object is no object */
	for (int k = 0; k < HF_OBJ_KINDS; k++)
		T_CHECK(hf_shape_check(k, 0, zero, 0, zero, 0, ps) < 0);
}

int main(void)
{
	int rc;

	if (hf_crypto_init() < 0) {
		printf("test_shape: 0 passed, 1 failed\n");
		return 1;
	}
	snprintf(g_base, sizeof(g_base), "/tmp/hf-test-shape.XXXXXX");
	if (!mkdtemp(g_base)) {
		printf("test_shape: 0 passed, 1 failed\n");
		return 1;
	}
	T_RUN(test_every_kind);
	T_RUN(test_limits);
	rc = T_DONE("test_shape");
	t_rm_rf(g_base);
	return rc;
}
