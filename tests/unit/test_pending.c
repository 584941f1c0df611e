/* test_pending.c — unit tests of pending-deletion objects (lib/repo/pending.c),
 * on real repositories in a fresh mkdtemp directory.
 *
 * Covers: a write/list round trip (oldest first, a plan larger than one object
 * split in two), when a plan is due, every byte of a real object flipped or
 * cut (refused, and ignored by the listing as damaged), a plan made with
 * another repository's keys refused, and a write-only key reading plans (the
 * backups of write-only clients must honour them). */
#include <errno.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto/crypto.h"
#include "repo/object.h"
#include "repo/pending.h"
#include "repo/repo.h"
#include "repo/repo_internal.h"
#include "store/store.h"
#include "t.h"
#include "t_fs.h"
#include "util/buf.h"
#include "util/err.h"

#define PASS "correct horse battery staple"
#define PASS_WO "write only"

static char g_base[256];
static const struct hf_repo_params g_params = {.kdf_ops = 1, .kdf_mem = 8u << 20};

static int open_repo(const char *rel, const char *pass, int create, struct hf_repo **out)
{
	char dir[512];
	struct hf_store *st = NULL;
	int r;

	*out = NULL;
	snprintf(dir, sizeof(dir), "%s/%s", g_base, rel);
	if (create) {
		r = hf_store_local_open(dir, 1, &st);
		if (r == 0)
			r = hf_repo_create(st, PASS, strlen(PASS), &g_params, NULL);
		hf_store_close(st);
		st = NULL;
		if (r < 0)
			return r;
	}
	r = hf_store_local_open(dir, 0, &st);
	if (r < 0)
		return r;
	return hf_repo_open(st, pass, strlen(pass), out);
}

static void fill_ids(uint8_t (*ids)[HF_ID_LEN], size_t n, uint8_t seed)
{
	for (size_t i = 0; i < n; i++) {
		memset(ids[i], seed, HF_ID_LEN);
		ids[i][0] = (uint8_t)i;
		ids[i][1] = (uint8_t)(i >> 8);
		ids[i][2] = (uint8_t)(i >> 16);
	}
}

static void test_roundtrip(void)
{
	struct hf_repo *r = NULL;
	struct hf_pending *v = NULL;
	size_t n = 0, bad = 9;
	size_t big = HF_PENDING_MAX_PACKS + 5;
	uint8_t(*ids)[HF_ID_LEN] = calloc(big, HF_ID_LEN);

	T_EQ(open_repo("rt", PASS, 1, &r), 0);
	if (!r || !ids)
		goto out;
	fill_ids(ids, 3, 0xaa);
	T_EQ(hf_pending_write(r, 2000, 500, (const uint8_t(*)[HF_ID_LEN])ids, 3), 0);
	fill_ids(ids, big, 0xbb);
	T_EQ(hf_pending_write(r, 1000, 0, (const uint8_t(*)[HF_ID_LEN])ids, big), 0);
	T_EQ(hf_pending_write(r, 3000, 1, NULL, 0), 0); /* nothing to plan: nothing written */
	T_EQ(hf_pending_list(r, &v, &n, &bad), 0);
	T_EQ(n, 3); /* the big plan took two objects */
	T_EQ(bad, 0);
	if (n == 3) {
		T_EQ(v[0].time_ns, 1000);
		T_EQ(v[1].time_ns, 1000);
		T_EQ(v[0].npacks + v[1].npacks, big);
		T_EQ(v[2].time_ns, 2000);
		T_EQ(v[2].grace_ns, 500);
		T_EQ(v[2].npacks, 3);
		T_EQ(v[2].packs[2][0], 2);
		T_EQ(v[2].packs[2][5], 0xaa);
		T_EQ(hf_pending_due(&v[2], 2499), 0);
		T_EQ(hf_pending_due(&v[2], 2500), 1);
		T_EQ(hf_pending_due(&v[0], 1000), 1); /* grace 0: due at once */
	}
out:
	hf_pending_list_free(v, n);
	free(ids);
	hf_repo_close(r);
}

/* every byte flipped, and every length cut short: refused, never a crash */
static void test_damage(void)
{
	struct hf_repo *r = NULL;
	struct hf_buf obj;
	struct hf_pending p;
	uint8_t ids[4][HF_ID_LEN];
	int refused = 1;

	T_EQ(open_repo("dmg", PASS, 1, &r), 0);
	if (!r)
		return;
	hf_buf_init(&obj, 1 << 20);
	fill_ids(ids, 4, 0x11);
	T_EQ(hf_pending_encode(r, 123456789, 3600, (const uint8_t(*)[HF_ID_LEN])ids, 4, &obj), 0);
	T_EQ(hf_pending_decode(r, obj.data, obj.len, &p), 0);
	T_EQ(p.npacks, 4);
	T_EQ(p.time_ns, 123456789);
	free(p.packs);
	for (size_t i = 0; i < obj.len; i++) {
		for (int bit = 0; bit < 8; bit += 3) {
			obj.data[i] ^= (uint8_t)(1u << bit);
			if (hf_pending_decode(r, obj.data, obj.len, &p) == 0) {
				refused = 0;
				free(p.packs);
			}
			obj.data[i] ^= (uint8_t)(1u << bit);
		}
	}
	T_CHECK(refused);
	refused = 1;
	for (size_t len = 0; len < obj.len; len++) {
		if (hf_pending_decode(r, obj.data, len, &p) == 0) {
			refused = 0;
			free(p.packs);
		}
	}
	T_CHECK(refused);
	/* a damaged object in the store is counted and ignored by the listing */
	obj.data[obj.len / 2] ^= 1;
	T_EQ(hf_repo_put_hashed(r, HF_OBJ_PENDING, obj.data, obj.len, NULL), 0);
	{
		struct hf_pending *v = NULL;
		size_t n = 0, bad = 0;
		T_EQ(hf_pending_list(r, &v, &n, &bad), 0);
		T_EQ(n, 0);
		T_EQ(bad, 1);
		hf_pending_list_free(v, n);
	}
	hf_buf_release(&obj);
	hf_repo_close(r);
}

/* a plan made with another repository's keys (a forger without this
 * repository's MAC key) is refused; a write-only key reads real plans */
static void test_keys(void)
{
	struct hf_repo *a = NULL, *b = NULL, *wo = NULL;
	struct hf_buf obj, key;
	struct hf_pending p, *v = NULL;
	uint8_t ids[2][HF_ID_LEN];
	size_t n = 0, bad = 0;

	T_EQ(open_repo("ka", PASS, 1, &a), 0);
	T_EQ(open_repo("kb", PASS, 1, &b), 0);
	if (!a || !b)
		goto out;
	hf_buf_init(&obj, 1 << 20);
	fill_ids(ids, 2, 0x22);
	T_EQ(hf_pending_encode(b, 5, 0, (const uint8_t(*)[HF_ID_LEN])ids, 2, &obj), 0);
	T_EQ(hf_pending_decode(a, obj.data, obj.len, &p), -HF_E_AUTH);
	hf_buf_release(&obj);

	hf_buf_init(&key, 1 << 16);
	T_EQ(hf_key_file_encode(PASS_WO, strlen(PASS_WO), 1, 8u << 20, a->cfg.id, a->config_hash, a->pk, a->mac_key,
				NULL, &key),
	     0);
	T_EQ(hf_repo_put_hashed(a, HF_OBJ_KEY, key.data, key.len, NULL), 0);
	hf_buf_release(&key);
	T_EQ(hf_pending_write(a, 77, 10, (const uint8_t(*)[HF_ID_LEN])ids, 2), 0);
	T_EQ(open_repo("ka", PASS_WO, 0, &wo), 0);
	if (wo) {
		T_CHECK(wo->sk == NULL);
		T_EQ(hf_pending_list(wo, &v, &n, &bad), 0);
		T_EQ(n, 1);
		T_EQ(bad, 0);
		if (n == 1)
			T_MEMEQ(v[0].packs[1], ids[1], HF_ID_LEN);
		/* but cannot make one: a plan needs the full key's signature */
		T_EQ(hf_pending_write(wo, 78, 10, (const uint8_t(*)[HF_ID_LEN])ids, 2), -HF_E_WRITEONLY);
		/* nor forge one: the real plan's signature over other packs, tagged
		 * with the key it has (the tag alone no longer makes a plan) */
		{
			struct hf_buf forged;
			uint8_t other[2][HF_ID_LEN];
			size_t sig_at;
			hf_buf_init(&forged, 1 << 20);
			T_EQ(hf_pending_encode(a, 77, 10, (const uint8_t(*)[HF_ID_LEN])ids, 2, &forged), 0);
			sig_at = forged.len - HF_OBJ_TAG_LEN - HF_SIGN_LEN;
			fill_ids(other, 2, 0x33);
			memcpy(forged.data + sig_at - 2 * HF_ID_LEN, other, sizeof(other));
			forged.len = sig_at + HF_SIGN_LEN;
			T_EQ(hf_object_tag_append(wo, &forged), 0);
			T_EQ(hf_pending_decode(wo, forged.data, forged.len, &p), -HF_E_AUTH);
			T_EQ(hf_repo_put_hashed(wo, HF_OBJ_PENDING, forged.data, forged.len, NULL), 0);
			hf_pending_list_free(v, n);
			v = NULL;
			T_EQ(hf_pending_list(a, &v, &n, &bad), 0);
			T_EQ(n, 1); /* the real one */
			T_EQ(bad, 1);
			hf_buf_release(&forged);
		}
	}
out:
	hf_pending_list_free(v, n);
	hf_repo_close(wo);
	hf_repo_close(a);
	hf_repo_close(b);
}

int main(void)
{
	int rc;

	if (hf_crypto_init() < 0) {
		printf("test_pending: 0 passed, 1 failed\n");
		return 1;
	}
	snprintf(g_base, sizeof(g_base), "/tmp/hf-test-pending.XXXXXX");
	if (!mkdtemp(g_base)) {
		printf("test_pending: 0 passed, 1 failed\n");
		return 1;
	}
	T_RUN(test_roundtrip);
	T_RUN(test_damage);
	T_RUN(test_keys);
	rc = T_DONE("test_pending");
	t_rm_rf(g_base);
	return rc;
}
