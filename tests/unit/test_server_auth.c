/* test_server_auth.c — lib/server: the role table, tokens and client
 * records. What a stolen token of each role can do is exactly the table in
 * policy.h: a backup token never reads stored data or deletes; a restore
 * token never writes; deletion is an admin's alone. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto/crypto.h"
#include "server/client.h"
#include "server/policy.h"
#include "server/registry.h"
#include "store/store.h"
#include "t.h"
#include "t_fs.h"
#include "util/buf.h"
#include "util/err.h"

static int allowed(int role, int op, int kind)
{
	return hf_policy_check(role, op, kind) == 0;
}

static void test_policy(void)
{
	for (int k = 0; k < HF_OBJ_KINDS; k++) {
		/* backup: adds the data side, never deletes, never reads it back */
		T_EQ(allowed(HF_ROLE_BACKUP, HF_OP_PUT, k),
		     k == HF_OBJ_PACK || k == HF_OBJ_INDEX || k == HF_OBJ_SNAPSHOT || k == HF_OBJ_MARK);
		T_EQ(allowed(HF_ROLE_BACKUP, HF_OP_DELETE, k), 0);
		T_EQ(allowed(HF_ROLE_BACKUP, HF_OP_GET, k),
		     k == HF_OBJ_CONFIG || k == HF_OBJ_KEY || k == HF_OBJ_PENDING);
		T_EQ(allowed(HF_ROLE_BACKUP, HF_OP_LIST, k),
		     k == HF_OBJ_PACK || k == HF_OBJ_INDEX || k == HF_OBJ_PENDING);
		T_EQ(allowed(HF_ROLE_BACKUP, HF_OP_GET_IDLIST, k), k == HF_OBJ_INDEX);
		T_EQ(allowed(HF_ROLE_BACKUP, HF_OP_CREATE, k), 0);
		/* restore: reads everything, writes and deletes nothing */
		T_EQ(allowed(HF_ROLE_RESTORE, HF_OP_GET, k), 1);
		T_EQ(allowed(HF_ROLE_RESTORE, HF_OP_HEAD, k), 1);
		T_EQ(allowed(HF_ROLE_RESTORE, HF_OP_PUT, k), 0);
		T_EQ(allowed(HF_ROLE_RESTORE, HF_OP_DELETE, k), 0);
		T_EQ(allowed(HF_ROLE_RESTORE, HF_OP_CREATE, k), 0);
		/* admin: everything but deleting the config */
		T_EQ(allowed(HF_ROLE_ADMIN, HF_OP_PUT, k), 1);
		T_EQ(allowed(HF_ROLE_ADMIN, HF_OP_DELETE, k), k != HF_OBJ_CONFIG);
		T_EQ(allowed(HF_ROLE_ADMIN, HF_OP_CREATE, k), 1);
	}
	/* the config is no listing, and nothing is allowed outside the table */
	T_EQ(allowed(HF_ROLE_ADMIN, HF_OP_LIST, HF_OBJ_CONFIG), 0);
	T_EQ(hf_policy_check(0, HF_OP_GET, HF_OBJ_CONFIG), -HF_E_REFUSED);
	T_EQ(hf_policy_check(4, HF_OP_GET, HF_OBJ_CONFIG), -HF_E_REFUSED);
	T_EQ(hf_policy_check(HF_ROLE_ADMIN, 99, HF_OBJ_CONFIG), -HF_E_REFUSED);
	T_EQ(hf_policy_check(HF_ROLE_ADMIN, HF_OP_GET, HF_OBJ_KINDS), -HF_E_REFUSED);
	T_EQ(hf_policy_check(HF_ROLE_ADMIN, HF_OP_GET, -1), -HF_E_REFUSED);
	T_EQ(hf_role_parse("backup"), HF_ROLE_BACKUP);
	T_EQ(hf_role_parse("admin"), HF_ROLE_ADMIN);
	T_EQ(hf_role_parse("Admin"), -HF_E_USAGE);
	T_CHECK(hf_role_name(0) == NULL);
	T_CHECK(strcmp(hf_role_name(HF_ROLE_RESTORE), "restore") == 0);
}

static void test_names(void)
{
	static const char *good[] = {"a", "fs1", "0", "file-server_2",
				     "abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0"};
	static const char *bad[] = {
		"",    "-a", "_a",  "A", "a/b",
		"a.b", "..", "a b", "é", "abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz01"};

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		T_EQ(hf_server_name_ok(good[i]), 1);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		T_EQ(hf_server_name_ok(bad[i]), 0);
}

static void test_tokens(void)
{
	char t1[HF_TOKEN_LEN + 1], t2[HF_TOKEN_LEN + 1], name[HF_CLIENT_NAME_MAX + 1], small[20];
	struct hf_client c = {.name = "fs1", .role = HF_ROLE_BACKUP, .repos = "fs1"};
	uint8_t h2[HF_HASH_LEN];

	T_EQ(hf_token_new("fs1", t1, sizeof(t1), c.token_hash), 0);
	T_EQ(hf_token_new("fs1", t2, sizeof(t2), h2), 0);
	T_CHECK(strncmp(t1, "hft1_fs1_", 9) == 0 && strlen(t1) == 9 + 43);
	T_CHECK(strcmp(t1, t2) != 0); /* random */
	T_EQ(hf_token_client(t1, name), 0);
	T_CHECK(strcmp(name, "fs1") == 0);
	T_EQ(hf_client_token_ok(&c, t1), 1);
	T_EQ(hf_client_token_ok(&c, t2), 0);
	/* one character changed anywhere, cut, or grown: refused */
	for (size_t i = 0; i < strlen(t1); i++) {
		char t[HF_TOKEN_LEN + 1];
		memcpy(t, t1, sizeof(t));
		t[i] = t[i] == 'A' ? 'B' : 'A';
		T_EQ(hf_client_token_ok(&c, t), 0);
		memcpy(t, t1, sizeof(t));
		t[i] = '\0';
		T_EQ(hf_client_token_ok(&c, t), 0);
	}
	/* what is not a token */
	T_EQ(hf_token_client("", name), -HF_E_USAGE);
	T_EQ(hf_token_client("hft1__AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", name), -HF_E_USAGE);
	T_EQ(hf_token_client("hft2_fs1_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", name), -HF_E_USAGE);
	T_EQ(hf_token_client("hft1_fs1_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", name), -HF_E_USAGE); /* 42 */
	T_EQ(hf_token_client("hft1_../x_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", name), -HF_E_USAGE);
	T_EQ(hf_token_client("hft1_fs1_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", name), -HF_E_USAGE);
	T_EQ(hf_token_new("Bad/Name", t1, sizeof(t1), h2), -HF_E_USAGE);
	T_EQ(hf_token_new("fs1", small, sizeof(small), h2), -HF_E_LIMIT);
}

static void test_records(void)
{
	struct hf_client c = {.name = "fs1",
			      .role = HF_ROLE_BACKUP,
			      .repos = "fs1,shared",
			      .quota_bytes = 536870912000ull,
			      .quota_objects = 2000000,
			      .snapshots_per_hour = 60,
			      .created_ns = 1796371200000000000ll},
			 d;
	struct hf_buf b, again;

	hf_random(c.token_hash, sizeof(c.token_hash));
	hf_buf_init(&b, 1 << 16);
	hf_buf_init(&again, 1 << 16);
	T_EQ(hf_client_encode(&c, &b), 0);
	T_EQ(hf_client_decode(b.data, b.len, &d), 0);
	T_CHECK(memcmp(&c, &d, sizeof(c)) == 0);
	T_EQ(hf_client_has_repo(&d, "fs1"), 1);
	T_EQ(hf_client_has_repo(&d, "shared"), 1);
	T_EQ(hf_client_has_repo(&d, "fs"), 0);
	T_EQ(hf_client_has_repo(&d, "fs1,shared"), 0);
	T_EQ(hf_client_has_repo(&d, ""), 0);
	/* every change of one byte is refused or decodes to a record that
	 * encodes to exactly those bytes (no silent reinterpretation) */
	for (size_t i = 0; i < b.len; i++) {
		for (int x = 1; x < 256; x <<= 1) {
			b.data[i] ^= (uint8_t)x;
			if (hf_client_decode(b.data, b.len, &d) == 0) {
				again.len = 0;
				T_EQ(hf_client_encode(&d, &again), 0);
				T_CHECK(again.len == b.len && memcmp(again.data, b.data, b.len) == 0);
			}
			b.data[i] ^= (uint8_t)x;
		}
	}
	for (size_t cut = 0; cut < b.len; cut++)
		T_EQ(hf_client_decode(b.data, cut, &d), -HF_E_CORRUPT);
	/* a wildcard reaches every valid repository name, not a path */
	memcpy(c.repos, "*", 2);
	T_EQ(hf_client_has_repo(&c, "anything"), 1);
	T_EQ(hf_client_has_repo(&c, "../etc"), 0);
	/* records that cannot be written */
	c.role = 7;
	b.len = 0;
	T_EQ(hf_client_encode(&c, &b), -HF_E_USAGE);
	c.role = HF_ROLE_ADMIN;
	memcpy(c.repos, "a,,b", 5);
	T_EQ(hf_client_encode(&c, &b), -HF_E_USAGE);
	memcpy(c.repos, "a,", 3);
	T_EQ(hf_client_encode(&c, &b), -HF_E_USAGE);
	hf_buf_release(&b);
	hf_buf_release(&again);
}

static int count_one(void *arg, const struct hf_client *c)
{
	(void)c;
	(*(int *)arg)++;
	return 0;
}

static void test_registry(void)
{
	char root[] = "/tmp/hf-test-registry.XXXXXX", path[200];
	struct hf_client c = {.name = "fs1", .role = HF_ROLE_BACKUP, .repos = "fs1", .created_ns = 5}, d;
	int n = 0;

	T_CHECK(mkdtemp(root) != NULL);
	hf_random(c.token_hash, sizeof(c.token_hash));
	T_EQ(hf_registry_get(root, "fs1", &d), -HF_E_NOTFOUND);
	T_EQ(hf_registry_add(root, &c), 0);
	T_EQ(hf_registry_add(root, &c), -HF_E_EXISTS);
	T_EQ(hf_registry_get(root, "fs1", &d), 0);
	T_CHECK(memcmp(&c, &d, sizeof(c)) == 0);
	hf_random(c.token_hash, sizeof(c.token_hash)); /* a new token */
	T_EQ(hf_registry_replace(root, &c), 0);
	T_EQ(hf_registry_get(root, "fs1", &d), 0);
	T_CHECK(memcmp(c.token_hash, d.token_hash, HF_HASH_LEN) == 0);
	snprintf(path, sizeof(path), "%s/clients/fs1", root);
	{
		struct stat st;
		T_EQ(stat(path, &st), 0);
		T_EQ(st.st_mode & 0777, 0600);
	}
	/* a record that is a symbolic link, or damaged, or named otherwise inside: refused */
	snprintf(path, sizeof(path), "%s/clients/evil", root);
	T_EQ(symlink("fs1", path), 0);
	T_EQ(hf_registry_get(root, "evil", &d), -ELOOP);
	T_EQ(hf_registry_get(root, "../clients/fs1", &d), -HF_E_USAGE);
	snprintf(path, sizeof(path), "%s/clients/other", root);
	{
		char from[200];
		snprintf(from, sizeof(from), "%s/clients/fs1", root);
		T_EQ(link(from, path), 0);
	}
	T_EQ(hf_registry_get(root, "other", &d), -HF_E_CORRUPT);
	T_EQ(hf_registry_list(root, count_one, &n), 0);
	T_EQ(n, 1); /* fs1 only */
	T_EQ(hf_registry_remove(root, "fs1"), 0);
	T_EQ(hf_registry_remove(root, "fs1"), -HF_E_NOTFOUND);
	c.role = 9;
	memcpy(c.name, "bad", 4);
	T_EQ(hf_registry_add(root, &c), -HF_E_USAGE);
	t_rm_rf(root);
}

int main(void)
{
	if (hf_crypto_init() < 0) {
		printf("test_server_auth: 0 passed, 1 failed\n");
		return 1;
	}
	T_RUN(test_policy);
	T_RUN(test_names);
	T_RUN(test_tokens);
	T_RUN(test_records);
	T_RUN(test_registry);
	return T_DONE("test_server_auth");
}
