/* test_server.c — lib/server/server.c without HTTP: a real repository is
 * copied object by object through the server's requests, with a token of
 * each role, then opened and checked on the server's disk. What the server
 * must refuse (every refusal of the append-only contract) is tried too. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto/crypto.h"
#include "engine/engine.h"
#include "repo/mark.h"
#include "repo/repo.h"
#include "repo/shape.h"
#include "server/client.h"
#include "server/policy.h"
#include "server/receipt.h"
#include "server/registry.h"
#include "server/server.h"
#include "store/store.h"
#include "t.h"
#include "t_fs.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/hex.h"

#define PASS "correct horse battery staple"

static char g_base[256];
static const struct hf_repo_params g_params = {.kdf_ops = 1, .kdf_mem = 8u << 20};
static char g_auth[4][HF_TOKEN_LEN + 16]; /* "Bearer ..." by role; [0]: a client without the repository */

/* a client record (hf_registry_add, as serve-client writes it); auth gets "Bearer TOKEN" */
static void add_client(const char *root, const char *name, int role, const char *repos, uint32_t per_hour, char *auth,
		       size_t cap)
{
	struct hf_client c = {.role = role, .created_ns = 1, .snapshots_per_hour = per_hour};
	char token[HF_TOKEN_LEN + 1];

	snprintf(c.name, sizeof(c.name), "%s", name);
	snprintf(c.repos, sizeof(c.repos), "%s", repos);
	T_EQ(hf_token_new(name, token, sizeof(token), c.token_hash), 0);
	snprintf(auth, cap, "Bearer %s", token);
	T_EQ(hf_registry_add(root, &c), 0);
}

/* one request with its whole body; the status, and the answer in resp */
static int req(struct hf_server *s, const char *method, const char *path, const char *query, const char *auth,
	       const void *body, size_t n, int64_t length, struct hf_response *resp)
{
	struct hf_request rq = {.method = method,
				.path = path,
				.query = query,
				.authorization = auth,
				.content_length = length,
				.peer = "test"};
	struct hf_call *call = NULL;

	hf_response_release(resp);
	hf_response_init(resp);
	if (hf_server_begin(s, &rq, &call, resp) == 1) {
		size_t half = n / 2;
		if (hf_server_body(call, body, half, resp) == 0 &&
		    hf_server_body(call, (const uint8_t *)body + half, n - half, resp) == 0)
			hf_server_end(call, resp);
		hf_server_call_free(call);
	}
	return resp->status;
}

static int put(struct hf_server *s, const char *auth, int kind, const char *name, const struct hf_buf *b,
	       struct hf_response *resp)
{
	char path[300];

	snprintf(path, sizeof(path), "/v1/r/%s/%s", hf_store_kind_name(kind), name);
	return req(s, "PUT", path, NULL, auth, b->data, b->len, (int64_t)b->len, resp);
}

struct copy {
	struct hf_server *s;
	struct hf_store *from;
	const char *auth;
	int kind, want; /* the status every put should get */
	int copied, other;
	char last[HF_STORE_NAME_MAX + 1];
	struct hf_response *resp;
};

static int copy_one(void *arg, const char *name, uint64_t size)
{
	struct copy *c = arg;
	struct hf_buf b;

	(void)size;
	hf_buf_init(&b, 1u << 30);
	if (hf_store_get(c->from, c->kind, name, &b) == 0 && put(c->s, c->auth, c->kind, name, &b, c->resp) == c->want)
		c->copied++;
	else
		c->other++;
	snprintf(c->last, sizeof(c->last), "%s", name);
	hf_buf_release(&b);
	return 0;
}

/* puts every object of kind from `from` with auth; how many got `want` */
static int copy_kind(struct hf_server *s, struct hf_store *from, int kind, const char *auth, int want,
		     struct hf_response *resp, char *last)
{
	struct copy c = {.s = s, .from = from, .auth = auth, .kind = kind, .want = want, .resp = resp};

	T_EQ(hf_store_list(from, kind, copy_one, &c), 0);
	if (last)
		snprintf(last, HF_STORE_NAME_MAX + 1, "%s", c.last);
	return c.other ? -c.other : c.copied;
}

/* a small real repository (two backups of a directory) to copy from */
static struct hf_store *source_repo(void)
{
	char dir[600], src[600], file[700];
	struct hf_store *st = NULL;
	struct hf_repo *r = NULL;
	struct hf_backup_opts o = {0};
	struct hf_backup_stats bs;
	char *paths[1] = {src};
	FILE *f;

	snprintf(dir, sizeof(dir), "%s/source", g_base);
	snprintf(src, sizeof(src), "%s/files", g_base);
	mkdir(src, 0700);
	for (int i = 0; i < 20; i++) {
		snprintf(file, sizeof(file), "%s/f%d", src, i);
		f = fopen(file, "w");
		if (!f)
			continue;
		for (int j = 0; j < 2000 * (i + 1); j++)
			fprintf(f, "line %d of file %d\n", j, i);
		fclose(f);
	}
	T_EQ(hf_store_local_open(dir, 1, &st), 0);
	T_EQ(hf_repo_create(st, PASS, strlen(PASS), &g_params, NULL), 0);
	hf_store_close(st);
	T_EQ(hf_store_local_open(dir, 0, &st), 0);
	T_EQ(hf_repo_open(st, PASS, strlen(PASS), &r), 0);
	if (!r)
		return NULL;
	o.paths = paths;
	o.npaths = 1;
	for (int k = 0; k < 2; k++) {
		T_EQ(hf_backup(r, &o, &bs), 0);
		snprintf(file, sizeof(file), "%s/new%d", src, k);
		f = fopen(file, "w");
		if (f) {
			fputs("a new file\n", f);
			fclose(f);
		}
	}
	{ /* a pin: one mark */
		struct hf_snapshot *all = NULL;
		struct hf_pin_result pr;
		size_t n = 0, bad = 0;
		T_EQ(hf_snapshot_list(r, &all, &n, &bad), 0);
		if (n)
			T_EQ(hf_pin_set(r, all[0].id, HF_MARK_PIN, "test", 1, &pr), 0);
		hf_snapshot_list_free(all, n);
	}
	hf_repo_close(r);
	T_EQ(hf_store_local_open(dir, 0, &st), 0);
	return st;
}

static void test_server(void)
{
	char root[600], path[700], uploads_path[300], id[64];
	struct hf_server_opts so = {.root = root};
	struct hf_server *s = NULL;
	struct hf_response resp;
	struct hf_store *from = source_repo(), *on_disk = NULL;
	struct hf_buf cfg, obj;
	const char *backup = g_auth[HF_ROLE_BACKUP], *restore = g_auth[HF_ROLE_RESTORE], *admin = g_auth[HF_ROLE_ADMIN];
	char name[HF_STORE_NAME_MAX + 1] = "", iname[HF_STORE_NAME_MAX + 1] = "";

	hf_response_init(&resp);
	hf_buf_init(&cfg, 1 << 20);
	hf_buf_init(&obj, 1u << 30);
	snprintf(root, sizeof(root), "%s/server", g_base);
	mkdir(root, 0700);
	T_EQ(hf_server_open(&so, &s), 0);
	if (!s || !from)
		goto out;
	add_client(root, "other", HF_ROLE_ADMIN, "elsewhere", 0, g_auth[0], sizeof(g_auth[0]));
	add_client(root, "fs1", HF_ROLE_BACKUP, "r", 0, g_auth[1], sizeof(g_auth[1]));
	add_client(root, "reader", HF_ROLE_RESTORE, "r", 0, g_auth[2], sizeof(g_auth[2]));
	add_client(root, "boss", HF_ROLE_ADMIN, "*", 0, g_auth[3], sizeof(g_auth[3]));

	/* who may ask at all */
	T_EQ(req(s, "GET", "/v1/hello", NULL, NULL, NULL, 0, -1, &resp), 401);
	T_EQ(req(s, "GET", "/v1/hello", NULL, "Bearer hft1_fs1_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", NULL, 0,
		 -1, &resp),
	     401);
	T_EQ(req(s, "GET", "/v1/hello", NULL, backup, NULL, 0, -1, &resp), 200);
	T_CHECK(resp.body.len && memmem(resp.body.data, resp.body.len, "\"role\": \"backup\"", 16));
	/* creating the repository: admin only, once */
	T_EQ(req(s, "POST", "/v1/r", NULL, backup, NULL, 0, -1, &resp), 403);
	T_EQ(req(s, "POST", "/v1/r", NULL, g_auth[0], NULL, 0, -1, &resp), 403); /* not its repository */
	T_EQ(req(s, "POST", "/v1/r", NULL, admin, NULL, 0, -1, &resp), 201);
	T_EQ(req(s, "POST", "/v1/r", NULL, admin, NULL, 0, -1, &resp), 409);
	T_EQ(req(s, "POST", "/v1/..", NULL, admin, NULL, 0, -1, &resp), 404);
	/* the config and key files: the admin's to add */
	T_EQ(hf_store_get(from, HF_OBJ_CONFIG, "config", &cfg), 0);
	T_EQ(put(s, backup, HF_OBJ_CONFIG, "config", &cfg, &resp), 403);
	T_EQ(put(s, admin, HF_OBJ_CONFIG, "config", &cfg, &resp), 201);
	T_EQ(put(s, admin, HF_OBJ_CONFIG, "config", &cfg, &resp), 409);
	T_EQ(copy_kind(s, from, HF_OBJ_KEY, backup, 403, &resp, NULL), 1);
	T_EQ(copy_kind(s, from, HF_OBJ_KEY, admin, 201, &resp, NULL), 1);
	/* the data side: the backup token's, every object checked on the way */
	T_CHECK(copy_kind(s, from, HF_OBJ_PACK, restore, 403, &resp, NULL) > 0);
	T_CHECK(copy_kind(s, from, HF_OBJ_PACK, backup, 201, &resp, name) > 0);
	T_CHECK(copy_kind(s, from, HF_OBJ_INDEX, backup, 201, &resp, iname) > 0);
	T_CHECK(copy_kind(s, from, HF_OBJ_SNAPSHOT, backup, 201, &resp, NULL) == 2);
	T_CHECK(copy_kind(s, from, HF_OBJ_MARK, backup, 201, &resp, NULL) > 0);
	/* create-only: the same again is refused before the body is read */
	T_EQ(copy_kind(s, from, HF_OBJ_SNAPSHOT, backup, 409, &resp, NULL), 2);
	/* the tag key: an admin's, well-formed, and one that tags the objects there */
	T_EQ(req(s, "POST", "/v1/r/tag-key", NULL, backup, NULL, 0, -1, &resp), 403);
	T_EQ(req(s, "GET", "/v1/r/tag-key", NULL, admin, NULL, 0, -1, &resp), 405);
	T_EQ(req(s, "POST", "/v1/r/tag-key", NULL, admin, NULL, 0, -1, &resp), 400);
	{
		struct hf_request rq = {.method = "POST",
					.path = "/v1/r/tag-key",
					.authorization = admin,
					.tag_key = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
					.content_length = -1};
		struct hf_call *call = NULL;
		hf_response_release(&resp);
		hf_response_init(&resp);
		T_EQ(hf_server_begin(s, &rq, &call, &resp), 0);
		T_EQ(resp.status, 422); /* it tags none of the snapshots */
	}
	/* every object has its receipt: listings and HEAD give its arrival and
	 * sender; one without (a server killed between the two) has none */
	T_EQ(req(s, "GET", "/v1/r/snapshots/", NULL, restore, NULL, 0, -1, &resp), 200);
	T_CHECK(resp.body.len > 66 && memcmp(resp.body.data + resp.body.len - 5, " fs1\n", 5) == 0);
	{
		char first[65], cmd[1200];
		long long t = 0;
		T_EQ(sscanf((char *)resp.body.data, "%64s %*u %lld", first, &t), 2);
		T_CHECK(t > 1700000000LL * 1000000000);
		snprintf(path, sizeof(path), "/v1/r/snapshots/%s", first);
		T_EQ(req(s, "HEAD", path, NULL, restore, NULL, 0, -1, &resp), 200);
		T_CHECK(strcmp(resp.sender, "fs1") == 0 && resp.arrival_ns == t);
		snprintf(cmd, sizeof(cmd), "rm %s/receipts/r/snapshots/%s", root, first);
		T_EQ(system(cmd), 0);
		T_EQ(req(s, "HEAD", path, NULL, restore, NULL, 0, -1, &resp), 200);
		T_CHECK(resp.sender[0] == '\0' && resp.arrival_ns > 0);
		T_EQ(req(s, "GET", "/v1/r/snapshots/", NULL, restore, NULL, 0, -1, &resp), 200);
		T_CHECK(memmem(resp.body.data, resp.body.len, " -\n", 3) != NULL);
	}
	{
		struct hf_request rq = {.method = "PUT", .path = "", .authorization = backup, .content_length = 10};
		struct hf_call *call = NULL;
		snprintf(path, sizeof(path), "/v1/r/data/%s", name);
		rq.path = path;
		hf_response_release(&resp);
		hf_response_init(&resp);
		T_EQ(hf_server_begin(s, &rq, &call, &resp), 0);
		T_CHECK(call == NULL && resp.status == 409);
	}
	/* a pack's bytes under another name, under another kind, cut, or with a
	 * length that lies: nothing becomes visible */
	T_EQ(hf_store_get(from, HF_OBJ_PACK, name, &obj), 0);
	T_EQ(put(s, backup, HF_OBJ_PACK, "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff", &obj,
		 &resp),
	     422);
	{
		uint8_t h[HF_HASH_LEN];
		char hex[2 * HF_HASH_LEN + 1];
		hf_sha256(obj.data, obj.len, h);
		hf_hex_encode(h, HF_HASH_LEN, hex);
		T_EQ(put(s, backup, HF_OBJ_SNAPSHOT, hex, &obj, &resp), 422); /* not a snapshot's shape */
		T_EQ(put(s, backup, HF_OBJ_MARK, hex, &obj, &resp), obj.len > 8192 ? 413 : 422);
		obj.len -= 1;
		hf_sha256(obj.data, obj.len, h);
		hf_hex_encode(h, HF_HASH_LEN, hex);
		T_EQ(put(s, backup, HF_OBJ_PACK, hex, &obj, &resp), 422); /* hashes to its name, but no pack */
		snprintf(path, sizeof(path), "/v1/r/data/%s", hex);
		T_EQ(req(s, "PUT", path, NULL, backup, obj.data, obj.len, -1, &resp), 411);
		T_EQ(req(s, "PUT", path, NULL, backup, obj.data, obj.len, (int64_t)obj.len + 5, &resp), 400);
		T_EQ(req(s, "HEAD", path, NULL, restore, NULL, 0, -1, &resp), 404);
		obj.len += 1;
	}
	/* reading: restore reads what it is given; backup reads no data */
	snprintf(path, sizeof(path), "/v1/r/data/%s", name);
	T_EQ(req(s, "GET", path, NULL, backup, NULL, 0, -1, &resp), 403);
	T_EQ(req(s, "GET", path, NULL, restore, NULL, 0, -1, &resp), 200);
	T_CHECK(resp.reader != NULL && resp.length == obj.len && resp.total == obj.len && resp.arrival_ns > 0);
	if (resp.reader) {
		uint8_t tail[16];
		T_EQ(hf_store_reader_read(resp.reader, obj.len - 16, 16, tail), 0);
		T_CHECK(memcmp(tail, obj.data + obj.len - 16, 16) == 0);
	}
	{
		struct hf_request rq = {.method = "GET",
					.path = path,
					.authorization = restore,
					.range = "bytes=10-19",
					.content_length = -1};
		struct hf_call *call = NULL;
		hf_response_release(&resp);
		hf_response_init(&resp);
		T_EQ(hf_server_begin(s, &rq, &call, &resp), 0);
		T_CHECK(resp.status == 206 && resp.offset == 10 && resp.length == 10);
		rq.range = "bytes=5-2";
		hf_response_release(&resp);
		hf_response_init(&resp);
		T_EQ(hf_server_begin(s, &rq, &call, &resp), 0);
		T_EQ(resp.status, 416);
	}
	T_EQ(req(s, "GET", "/v1/r/snapshots/", NULL, backup, NULL, 0, -1, &resp), 403);
	T_EQ(req(s, "GET", "/v1/r/snapshots/", NULL, restore, NULL, 0, -1, &resp), 200);
	{ /* of an index object, a backup client reads the id-list tail and nothing before it */
		struct hf_buf ix;
		char range[80];
		uint64_t start;
		struct hf_request rq = {.method = "GET", .path = path, .authorization = backup, .content_length = -1};
		struct hf_call *call = NULL;
		hf_buf_init(&ix, 1u << 26);
		T_EQ(hf_store_get(from, HF_OBJ_INDEX, iname, &ix), 0);
		T_EQ(hf_shape_idlist_start(ix.len, ix.data + ix.len - HF_SHAPE_IDLIST_LEN_FROM_END, &start), 0);
		snprintf(path, sizeof(path), "/v1/r/index/%s", iname);
		T_EQ(req(s, "GET", path, NULL, backup, NULL, 0, -1, &resp), 403);
		for (int i = 0; i < 3; i++) {
			uint64_t from_off = i == 0 ? start : i == 1 ? ix.len - HF_SHAPE_IDLIST_LEN_FROM_END : start - 1;
			snprintf(range, sizeof(range), "bytes=%llu-", (unsigned long long)from_off);
			rq.range = range;
			hf_response_release(&resp);
			hf_response_init(&resp);
			T_EQ(hf_server_begin(s, &rq, &call, &resp), 0);
			T_EQ(resp.status, i < 2 ? 206 : 403);
		}
		hf_buf_release(&ix);
	}
	T_EQ(req(s, "GET", "/v1/r/data/", NULL, backup, NULL, 0, -1, &resp), 200);
	T_CHECK(resp.body.len > 64 && memmem(resp.body.data, resp.body.len, name, 64) != NULL);
	/* a backup client lists its own index objects and an admin's, never another
	 * backup client's: it deduplicates against what it lists */
	{
		char other_auth[HF_TOKEN_LEN + 16];
		size_t own;
		add_client(root, "fs2", HF_ROLE_BACKUP, "r", 0, other_auth, sizeof(other_auth));
		T_EQ(req(s, "GET", "/v1/r/index/", NULL, backup, NULL, 0, -1, &resp), 200);
		own = resp.body.len;
		T_CHECK(own > 0 && memmem(resp.body.data, resp.body.len, iname, 64) != NULL);
		T_EQ(req(s, "GET", "/v1/r/index/", NULL, other_auth, NULL, 0, -1, &resp), 200);
		T_EQ(resp.body.len, 0); /* fs1's are not fs2's to trust */
		T_EQ(req(s, "GET", "/v1/r/index/", NULL, restore, NULL, 0, -1, &resp), 200);
		T_EQ(resp.body.len, own); /* readers see them all */
	}
	/* nothing is deleted without the full key's signature, not even by an admin (test_delete) */
	T_EQ(req(s, "DELETE", path, NULL, backup, NULL, 0, -1, &resp), 403);
	T_EQ(req(s, "DELETE", path, NULL, admin, NULL, 0, -1, &resp), 403);
	T_EQ(req(s, "POST", path, NULL, admin, NULL, 0, -1, &resp), 405);
	T_EQ(req(s, "GET", "/v1/r/data/../../etc", NULL, admin, NULL, 0, -1, &resp), 404);
	T_EQ(req(s, "GET", "/v1/r/nothing/", NULL, admin, NULL, 0, -1, &resp), 404);

	/* a streamed upload: the name comes at the end */
	snprintf(uploads_path, sizeof(uploads_path), "/v1/r/uploads");
	T_EQ(req(s, "POST", uploads_path, "kind=data", restore, NULL, 0, -1, &resp), 403);
	T_EQ(req(s, "POST", uploads_path, "kind=nothing", backup, NULL, 0, -1, &resp), 400);
	for (int round = 0; round < 3; round++) {
		char *at;
		T_EQ(req(s, "POST", uploads_path, "kind=data", backup, NULL, 0, -1, &resp), 201);
		at = resp.body.len ? memmem(resp.body.data, resp.body.len, "\"upload\": \"", 11) : NULL;
		T_CHECK(at != NULL);
		if (!at)
			break;
		snprintf(id, sizeof(id), "%.32s", at + 11);
		snprintf(path, sizeof(path), "/v1/r/uploads/%s", id);
		/* another client cannot touch it */
		T_EQ(req(s, "PUT", path, NULL, admin, obj.data, 10, 10, &resp), 404);
		T_EQ(req(s, "PUT", path, NULL, backup, obj.data, obj.len / 2, (int64_t)(obj.len / 2), &resp), 204);
		T_EQ(req(s, "PUT", path, NULL, backup, obj.data + obj.len / 2, obj.len - obj.len / 2,
			 (int64_t)(obj.len - obj.len / 2), &resp),
		     204);
		if (round == 0) { /* the wrong name: refused, and the upload is gone */
			T_EQ(req(s, "POST", path,
				 "name=00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff", backup, NULL,
				 0, -1, &resp),
			     422);
			T_EQ(req(s, "POST", path, "name=00", backup, NULL, 0, -1, &resp), 404);
		} else if (round == 1) { /* aborted */
			T_EQ(req(s, "DELETE", path, NULL, backup, NULL, 0, -1, &resp), 204);
			T_EQ(req(s, "PUT", path, NULL, backup, obj.data, 10, 10, &resp), 404);
		} else { /* the right name, which exists: create-only still */
			snprintf(uploads_path, sizeof(uploads_path), "name=%s", name);
			T_EQ(req(s, "POST", path, uploads_path, backup, NULL, 0, -1, &resp), 409);
		}
	}

	/* what the server stored is the repository: it opens and checks clean */
	snprintf(path, sizeof(path), "%s/repos/r", root);
	T_EQ(hf_store_local_open(path, 0, &on_disk), 0);
	if (on_disk) {
		struct hf_repo *r = NULL;
		struct hf_check_opts co = {.read_data = 1};
		struct hf_check_stats cs;
		T_EQ(hf_repo_open(on_disk, PASS, strlen(PASS), &r), 0);
		on_disk = NULL; /* the repository owns it */
		if (r) {
			T_EQ(hf_check(r, &co, &cs), 0);
			T_EQ(cs.errors, 0);
			T_EQ(cs.snapshots, 2);
			hf_repo_close(r);
		}
	}
out:
	hf_response_release(&resp);
	hf_buf_release(&cfg);
	hf_buf_release(&obj);
	hf_store_close(on_disk);
	hf_store_close(from);
	hf_server_close(s);
}

/* receipts: what is written reads back; anything else is refused */
static void test_receipt(void)
{
	struct hf_receipt rc = {.arrival_ns = 1796371234567890123LL,
				.size = 16777411,
				.client = "fs1",
				.role = HF_ROLE_BACKUP,
				.peer = "10.0.0.5"},
			  back;
	struct hf_buf b;
	static const char *const bad[] = {
		"",
		"holdfast receipt 2\narrival_ns 1\nclient a\nrole backup\nsize 1\npeer -\n",
		"holdfast receipt 1\narrival_ns 01\nclient a\nrole backup\nsize 1\npeer -\n",
		"holdfast receipt 1\narrival_ns 9223372036854775808\nclient a\nrole backup\nsize 1\npeer -\n",
		"holdfast receipt 1\narrival_ns 1\nclient A\nrole backup\nsize 1\npeer -\n",
		"holdfast receipt 1\narrival_ns 1\nclient a\nrole backup\nsize 18446744073709551616\npeer -\n",
		"holdfast receipt 1\narrival_ns 1\nclient a\nrole backup\nsize 1\npeer -\nmore\n",
		"holdfast receipt 1\narrival_ns 1\nclient a\nrole backup\nsize 1\npeer -",
		"holdfast receipt 1\nclient a\narrival_ns 1\nrole backup\nsize 1\npeer -\n",
		"holdfast receipt 1\narrival_ns 1\nclient a\nrole boss\nsize 1\npeer -\n",
		"holdfast receipt 1\narrival_ns 1\nclient a\nsize 1\npeer -\n",
	};

	hf_buf_init(&b, HF_RECEIPT_MAX);
	T_EQ(hf_receipt_encode(&rc, &b), 0);
	T_EQ(hf_receipt_decode(b.data, b.len, &back), 0);
	T_EQ(back.arrival_ns, rc.arrival_ns);
	T_EQ(back.size, rc.size);
	T_EQ(back.role, HF_ROLE_BACKUP);
	T_CHECK(strcmp(back.client, "fs1") == 0 && strcmp(back.peer, "10.0.0.5") == 0);
	rc.peer[0] = '\0';
	T_EQ(hf_receipt_encode(&rc, &b), 0);
	T_EQ(hf_receipt_decode(b.data, b.len, &back), 0);
	T_CHECK(back.peer[0] == '\0');
	{
		const char *min = "holdfast receipt 1\narrival_ns 0\nclient a\nrole backup\nsize 0\npeer -\n";
		T_EQ(hf_receipt_decode((const uint8_t *)min, strlen(min), &back), 0);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		T_EQ(hf_receipt_decode((const uint8_t *)bad[i], strlen(bad[i]), &back), -HF_E_CORRUPT);
	snprintf(rc.client, sizeof(rc.client), "Bad");
	T_EQ(hf_receipt_encode(&rc, &b), -HF_E_USAGE);
	hf_buf_release(&b);
}

/* DELETE with Holdfast-Auth; the status */
static int del(struct hf_server *s, const char *auth, int kind, const char *name, const char *signature,
	       struct hf_response *resp)
{
	char path[300];
	struct hf_request rq = {.method = "DELETE",
				.path = path,
				.authorization = auth,
				.signature = signature,
				.content_length = -1,
				.peer = "test"};
	struct hf_call *call = NULL;

	snprintf(path, sizeof(path), "/v1/r/%s/%s", hf_store_kind_name(kind), name);
	hf_response_release(resp);
	hf_response_init(resp);
	T_EQ(hf_server_begin(s, &rq, &call, resp), 0);
	return resp->status;
}

/* a challenge from the server: its nonce, or 0 and nonce unset */
static int challenge(struct hf_server *s, const char *auth, uint8_t nonce[HF_DELETE_NONCE_LEN],
		     struct hf_response *resp)
{
	char *at;

	if (req(s, "POST", "/v1/r/challenge", NULL, auth, NULL, 0, -1, resp) != 201)
		return 0;
	at = memmem(resp->body.data, resp->body.len, "\"nonce\": \"", 10);
	if (!at)
		return 0;
	at[10 + 32] = '\0';
	return hf_hex_decode(at + 10, nonce, HF_DELETE_NONCE_LEN) == 0;
}

/* the Holdfast-Auth header of a deletion, signed with r's deletion key */
static void sign_delete(struct hf_repo *r, int kind, const char *name, const uint8_t nonce[HF_DELETE_NONCE_LEN],
			uint64_t counter, char *out, size_t cap)
{
	uint8_t msg[HF_DELETE_MSG_MAX], sig[HF_SIGN_LEN];
	char nhex[33], shex[2 * HF_SIGN_LEN + 1];
	size_t n = hf_store_delete_message("r", kind, name, nonce, counter, msg);

	T_EQ(hf_repo_sign(r, msg, n, sig), 0);
	hf_hex_encode(nonce, HF_DELETE_NONCE_LEN, nhex);
	hf_hex_encode(sig, HF_SIGN_LEN, shex);
	snprintf(out, cap, "%s.%llu.%s", nhex, (unsigned long long)counter, shex);
}

/* Deletion: an admin token alone deletes nothing; with the full key's
 * signature over this object and a live challenge, an object past the
 * server's lock goes (with its receipt); younger ones are locked (423);
 * a signature is good once, for one object, with its own client's
 * challenge. */
static void test_delete(void)
{
	char root[600], dir[700], file[900], auth[4][HF_TOKEN_LEN + 16], hdr[400], name[HF_STORE_NAME_MAX + 1],
		other[HF_STORE_NAME_MAX + 1];
	struct hf_server_opts locked = {.root = root, .lock_ns = 3600 * 1000000000LL}, open = {.root = root};
	struct hf_server *s = NULL, *s0 = NULL;
	struct hf_response resp;
	struct hf_store *from = NULL;
	struct hf_repo *key = NULL;
	struct hf_buf cfg;
	uint8_t nonce[HF_DELETE_NONCE_LEN], nonce2[HF_DELETE_NONCE_LEN];

	hf_response_init(&resp);
	hf_buf_init(&cfg, 1 << 20);
	snprintf(root, sizeof(root), "%s/server-delete", g_base);
	snprintf(dir, sizeof(dir), "%s/source", g_base);
	mkdir(root, 0700);
	T_EQ(hf_server_open(&locked, &s), 0);
	T_EQ(hf_server_open(&open, &s0), 0);
	T_EQ(hf_store_local_open(dir, 0, &from), 0);
	if (!s || !s0 || !from)
		goto out;
	add_client(root, "fs1", HF_ROLE_BACKUP, "r", 0, auth[1], sizeof(auth[1]));
	add_client(root, "boss", HF_ROLE_ADMIN, "*", 0, auth[3], sizeof(auth[3]));
	add_client(root, "boss2", HF_ROLE_ADMIN, "*", 0, auth[2], sizeof(auth[2]));
	T_EQ(req(s, "POST", "/v1/r", NULL, auth[3], NULL, 0, -1, &resp), 201);
	T_EQ(hf_store_get(from, HF_OBJ_CONFIG, "config", &cfg), 0);
	T_EQ(put(s, auth[3], HF_OBJ_CONFIG, "config", &cfg, &resp), 201);
	T_EQ(copy_kind(s, from, HF_OBJ_SNAPSHOT, auth[1], 201, &resp, name), 2);
	T_EQ(copy_kind(s, from, HF_OBJ_MARK, auth[1], 201, &resp, other) > 0, 1);

	/* challenges are the admin's */
	T_EQ(req(s, "POST", "/v1/r/challenge", NULL, auth[1], NULL, 0, -1, &resp), 403);
	T_EQ(req(s, "GET", "/v1/r/challenge", NULL, auth[3], NULL, 0, -1, &resp), 405);
	T_CHECK(challenge(s, auth[3], nonce, &resp));
	/* signed by nobody, or not by the full key */
	T_EQ(del(s, auth[3], HF_OBJ_SNAPSHOT, name, NULL, &resp), 403);
	T_EQ(del(s, auth[3], HF_OBJ_SNAPSHOT, name, "00.1.00", &resp), 403);
	memset(hdr, '0', 32 + 1 + 1 + 1 + 128);
	hdr[32] = '.';
	hdr[33] = '1';
	hdr[34] = '.';
	hdr[35 + 128] = '\0';
	T_EQ(del(s, auth[3], HF_OBJ_SNAPSHOT, name, hdr, &resp), 403);
	{ /* the full key, through a repository opened with it */
		struct hf_store *ks = NULL;
		T_EQ(hf_store_local_open(dir, 0, &ks), 0);
		if (ks)
			T_EQ(hf_repo_open(ks, PASS, strlen(PASS), &key), 0);
	}
	if (!key)
		goto out;
	/* a signature over another object, or with a counter already used */
	sign_delete(key, HF_OBJ_SNAPSHOT, other, nonce, 1, hdr, sizeof(hdr));
	T_EQ(del(s, auth[3], HF_OBJ_SNAPSHOT, name, hdr, &resp), 403);
	/* the right one, but the object is younger than the lock */
	sign_delete(key, HF_OBJ_SNAPSHOT, name, nonce, 2, hdr, sizeof(hdr));
	T_EQ(del(s, auth[1], HF_OBJ_SNAPSHOT, name, hdr, &resp), 403); /* not by a backup token */
	T_EQ(del(s, auth[2], HF_OBJ_SNAPSHOT, name, hdr, &resp), 403); /* another admin's challenge */
	T_EQ(del(s, auth[3], HF_OBJ_SNAPSHOT, name, hdr, &resp), 423);
	T_CHECK(resp.unlock_ns > 0);
	T_EQ(del(s, auth[3], HF_OBJ_SNAPSHOT, name, hdr, &resp), 403); /* counter 2 was used */
	/* past the lock (a server without one): it goes, its receipt too */
	T_EQ(del(s0, auth[3], HF_OBJ_SNAPSHOT, name, hdr, &resp), 403); /* that server issued no such challenge */
	T_CHECK(challenge(s0, auth[3], nonce2, &resp));
	sign_delete(key, HF_OBJ_SNAPSHOT, name, nonce2, 7, hdr, sizeof(hdr));
	T_EQ(del(s0, auth[3], HF_OBJ_SNAPSHOT, name, hdr, &resp), 204);
	snprintf(file, sizeof(file), "/v1/r/snapshots/%s", name);
	T_EQ(req(s0, "HEAD", file, NULL, auth[3], NULL, 0, -1, &resp), 404);
	snprintf(file, sizeof(file), "%s/receipts/r/snapshots/%s", root, name);
	T_EQ(access(file, F_OK), -1);
	T_EQ(del(s0, auth[3], HF_OBJ_SNAPSHOT, name, hdr, &resp), 403); /* replayed */
	sign_delete(key, HF_OBJ_SNAPSHOT, name, nonce2, 8, hdr, sizeof(hdr));
	T_EQ(del(s0, auth[3], HF_OBJ_SNAPSHOT, name, hdr, &resp), 404); /* gone */
	sign_delete(key, HF_OBJ_CONFIG, "config", nonce2, 9, hdr, sizeof(hdr));
	T_EQ(del(s0, auth[3], HF_OBJ_CONFIG, "config", hdr, &resp), 403); /* never the config */
out:
	hf_repo_close(key);
	hf_response_release(&resp);
	hf_buf_release(&cfg);
	hf_store_close(from);
	hf_server_close(s);
	hf_server_close(s0);
}

/* Quotas: a client's objects and bytes, counted from the receipts (so a
 * restarted server still knows), refused past the quota before the body
 * (a put) or as it arrives (an upload); deletions give room back; other
 * clients are not affected. */
static void test_quota(void)
{
	char root[600], dir[700], auth[4][HF_TOKEN_LEN + 16], name[HF_STORE_NAME_MAX + 1], id[40];
	struct hf_server_opts so = {.root = root};
	struct hf_server *s = NULL;
	struct hf_response resp;
	struct hf_store *from = NULL;
	struct hf_client c;
	struct hf_buf cfg, pack;

	hf_response_init(&resp);
	hf_buf_init(&cfg, 1 << 20);
	hf_buf_init(&pack, 1u << 30);
	snprintf(root, sizeof(root), "%s/server-quota", g_base);
	snprintf(dir, sizeof(dir), "%s/source", g_base);
	mkdir(root, 0700);
	T_EQ(hf_server_open(&so, &s), 0);
	T_EQ(hf_store_local_open(dir, 0, &from), 0);
	if (!s || !from)
		goto out;
	add_client(root, "boss", HF_ROLE_ADMIN, "*", 0, auth[3], sizeof(auth[3]));
	add_client(root, "fs1", HF_ROLE_BACKUP, "r", 0, auth[1], sizeof(auth[1]));
	add_client(root, "fs2", HF_ROLE_BACKUP, "r", 0, auth[2], sizeof(auth[2]));
	add_client(root, "free", HF_ROLE_BACKUP, "r", 0, auth[0], sizeof(auth[0]));
	T_EQ(hf_registry_get(root, "fs1", &c), 0);
	c.quota_objects = 3;
	T_EQ(hf_registry_replace(root, &c), 0);
	T_EQ(req(s, "POST", "/v1/r", NULL, auth[3], NULL, 0, -1, &resp), 201);
	T_EQ(hf_store_get(from, HF_OBJ_CONFIG, "config", &cfg), 0);
	T_EQ(put(s, auth[3], HF_OBJ_CONFIG, "config", &cfg, &resp), 201);
	/* objects: 3 allowed */
	T_EQ(copy_kind(s, from, HF_OBJ_SNAPSHOT, auth[1], 201, &resp, NULL), 2);
	T_EQ(copy_kind(s, from, HF_OBJ_MARK, auth[1], 201, &resp, NULL), 1);
	T_EQ(copy_kind(s, from, HF_OBJ_INDEX, auth[1], 507, &resp, NULL) > 0, 1); /* the 4th and on */
	T_CHECK(memmem(resp.body.data, resp.body.len, "quota", 5) != NULL);
	T_EQ(copy_kind(s, from, HF_OBJ_PACK, auth[0], 201, &resp, name) > 0, 1); /* another client: no quota */
	/* a restarted server counts them again from the receipts, and removes
	 * what uploads of the killed one left */
	hf_server_close(s);
	s = NULL;
	snprintf(dir, sizeof(dir), "%s/repos/r/tmp/upload-left-by-a-kill", root);
	{
		FILE *f = fopen(dir, "w");
		T_CHECK(f != NULL);
		if (f) {
			fputs("half a pack", f);
			fclose(f);
		}
	}
	T_EQ(hf_server_open(&so, &s), 0);
	if (!s)
		goto out;
	T_EQ(copy_kind(s, from, HF_OBJ_INDEX, auth[1], 507, &resp, NULL) > 0, 1);
	T_EQ(access(dir, F_OK), -1);
	/* bytes: one pack fits, no second, not even streamed */
	T_EQ(hf_store_get(from, HF_OBJ_PACK, name, &pack), 0);
	T_EQ(hf_registry_get(root, "fs2", &c), 0);
	c.quota_bytes = pack.len + 100;
	T_EQ(hf_registry_replace(root, &c), 0);
	T_EQ(copy_kind(s, from, HF_OBJ_SNAPSHOT, auth[2], 409, &resp, NULL), 2); /* exist: no room taken */
	T_EQ(req(s, "POST", "/v1/r/uploads", "kind=index", auth[2], NULL, 0, -1, &resp), 201);
	{
		char *at = memmem(resp.body.data, resp.body.len, "\"upload\": \"", 11), path[200];
		T_CHECK(at != NULL);
		if (at) {
			snprintf(id, sizeof(id), "%.32s", at + 11);
			snprintf(path, sizeof(path), "/v1/r/uploads/%s", id);
			T_EQ(req(s, "PUT", path, NULL, auth[2], pack.data, pack.len, (int64_t)pack.len, &resp), 204);
			T_EQ(req(s, "PUT", path, NULL, auth[2], pack.data, 200, 200, &resp), 507);
			T_EQ(req(s, "DELETE", path, NULL, auth[2], NULL, 0, -1, &resp), 204);
		}
	}
out:
	hf_response_release(&resp);
	hf_buf_release(&cfg);
	hf_buf_release(&pack);
	hf_store_close(from);
	hf_server_close(s);
}

/* A client allowed 3 snapshots an hour gets the 4th and 5th refused (429,
 * before the body), however it sends them; another client is not held back. */
static void test_flood(void)
{
	char root[600], flood[HF_TOKEN_LEN + 16], calm[HF_TOKEN_LEN + 16], admin[HF_TOKEN_LEN + 16];
	struct hf_server_opts so = {.root = root};
	struct hf_server *s = NULL;
	struct hf_response resp;
	int statuses[6];

	snprintf(root, sizeof(root), "%s/flood", g_base);
	mkdir(root, 0700);
	T_EQ(hf_server_open(&so, &s), 0);
	if (!s)
		return;
	add_client(root, "flooder", HF_ROLE_BACKUP, "r", 3, flood, sizeof(flood));
	add_client(root, "calm", HF_ROLE_BACKUP, "r", 0, calm, sizeof(calm));
	add_client(root, "boss", HF_ROLE_ADMIN, "r", 0, admin, sizeof(admin));
	hf_response_init(&resp);
	T_EQ(req(s, "POST", "/v1/r", NULL, admin, NULL, 0, -1, &resp), 201);
	for (int i = 0; i < 6; i++) {
		uint8_t obj[208], h[HF_HASH_LEN];
		char hex[2 * HF_HASH_LEN + 1], path[200];
		memset(obj, i + 1, sizeof(obj));
		memcpy(obj, "HFSNP002", 8); /* the shape of a snapshot */
		hf_sha256(obj, sizeof(obj), h);
		hf_hex_encode(h, HF_HASH_LEN, hex);
		snprintf(path, sizeof(path), "/v1/r/snapshots/%s", hex);
		if (i < 5) {
			statuses[i] = req(s, "PUT", path, NULL, flood, obj, sizeof(obj), sizeof(obj), &resp);
		} else {
			statuses[i] = req(s, "PUT", path, NULL, calm, obj, sizeof(obj), sizeof(obj), &resp);
		}
	}
	T_EQ(statuses[0], 201);
	T_EQ(statuses[2], 201);
	T_EQ(statuses[3], 429);
	T_EQ(statuses[4], 429);
	T_EQ(statuses[5], 201); /* another client */
	/* an upload of a snapshot counts the same */
	T_EQ(req(s, "POST", "/v1/r/uploads", "kind=snapshots", flood, NULL, 0, -1, &resp), 429);
	T_EQ(req(s, "POST", "/v1/r/uploads", "kind=data", flood, NULL, 0, -1, &resp), 201);
	hf_response_release(&resp);
	hf_server_close(s);
}

int main(void)
{
	int rc;

	if (hf_crypto_init() < 0) {
		printf("test_server: 0 passed, 1 failed\n");
		return 1;
	}
	snprintf(g_base, sizeof(g_base), "/tmp/hf-test-server.XXXXXX");
	if (!mkdtemp(g_base)) {
		printf("test_server: 0 passed, 1 failed\n");
		return 1;
	}
	T_RUN(test_server);
	T_RUN(test_flood);
	T_RUN(test_receipt);
	T_RUN(test_delete);
	T_RUN(test_quota);
	rc = T_DONE("test_server");
	t_rm_rf(g_base);
	return rc;
}
