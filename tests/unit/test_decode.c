/* test_decode.c — the plaintext decoders behind the encryption of snapshot
 * objects and pack headers, and the key-file layout check (repo_internal.h),
 * fed what no honest writer makes: each case is one a fuzz target
 * (tests/fuzz/) found or could find, and is refused as corrupt rather than
 * accepted, silently changed, or made to cost a long KDF. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "repo/repo_internal.h"
#include "t.h"
#include "util/buf.h"
#include "util/err.h"

/* ---- pack headers ------------------------------------------------------------ */

static void entry(struct hf_pack_entry *e, int i, uint8_t type, uint8_t flags, uint32_t stored)
{
	memset(e, 0, sizeof(*e));
	memset(e->id, i, HF_ID_LEN);
	e->type = type;
	e->flags = flags;
	e->stored_len = stored;
	e->raw_len = stored - HF_AEAD_OVERHEAD;
}

/* decodes the header of e[0..n) with the data length they need */
static int decode_header(const struct hf_pack_entry *e, size_t n, const uint8_t *extra, size_t nextra)
{
	struct hf_pack_entry *out = NULL;
	uint64_t data_len = 0;
	struct hf_buf b;
	size_t count = 0;
	int r;

	for (size_t i = 0; i < n; i++)
		data_len += e[i].stored_len;
	hf_buf_init(&b, 1 << 20);
	T_EQ(hf_pack_header_encode(e, n, &b), 0);
	if (nextra)
		T_EQ(hf_buf_append(&b, extra, nextra), 0);
	r = hf_pack_header_decode(b.data, b.len, data_len, &out, &count);
	if (r < 0)
		T_CHECK(out == NULL && count == 0);
	else
		T_EQ(count, n);
	free(out);
	hf_buf_release(&b);
	return r;
}

static void test_pack_header_valid(void)
{
	struct hf_pack_entry e[3];

	entry(&e[0], 1, HF_BLOB_DATA, 0, 100);
	entry(&e[1], 2, HF_BLOB_TREE, HF_BLOB_F_ZSTD, HF_AEAD_OVERHEAD);
	entry(&e[2], 3, HF_BLOB_DATA, HF_BLOB_F_ZSTD, HF_BLOB_MAX + HF_AEAD_OVERHEAD);
	T_EQ(decode_header(e, 3, NULL, 0), 0);
	T_EQ(decode_header(e, 0, NULL, 0), 0);
}

/* bytes after the last entry: the header is not what the writer wrote */
static void test_pack_header_trailing_bytes(void)
{
	static const uint8_t one = 0, more[40] = {1};
	struct hf_pack_entry e[2];

	entry(&e[0], 1, HF_BLOB_DATA, 0, 100);
	entry(&e[1], 2, HF_BLOB_DATA, 0, 200);
	T_EQ(decode_header(e, 2, &one, 1), -HF_E_CORRUPT);
	T_EQ(decode_header(e, 2, more, sizeof(more)), -HF_E_CORRUPT);
	T_EQ(decode_header(e, 0, &one, 1), -HF_E_CORRUPT);
}

/* a blob type or flag the readers do not know (the index refuses them too) */
static void test_pack_header_unknown_type_or_flags(void)
{
	struct hf_pack_entry e[2];

	entry(&e[0], 1, HF_BLOB_DATA, 0, 100);
	entry(&e[1], 2, HF_BLOB_TREE + 1, 0, 200);
	T_EQ(decode_header(e, 2, NULL, 0), -HF_E_CORRUPT);
	entry(&e[1], 2, 0xff, 0, 200);
	T_EQ(decode_header(e, 2, NULL, 0), -HF_E_CORRUPT);
	entry(&e[1], 2, HF_BLOB_DATA, HF_BLOB_F_ZSTD << 1, 200);
	T_EQ(decode_header(e, 2, NULL, 0), -HF_E_CORRUPT);
	entry(&e[1], 2, HF_BLOB_DATA, 0x80 | HF_BLOB_F_ZSTD, 200);
	T_EQ(decode_header(e, 2, NULL, 0), -HF_E_CORRUPT);
}

/* Offsets are 32-bit (in the entries and in the index): a header whose
 * blobs run past 4 GiB must be refused, not have its offsets wrap around
 * to point at other blobs. */
static void test_pack_header_offset_past_4gib(void)
{
	enum { N = 65 }; /* 64 blobs of 64 MiB + 16 end past 4 GiB */
	struct hf_pack_entry *e = calloc(N, sizeof(*e));

	for (int i = 0; i < N; i++)
		entry(&e[i], i, HF_BLOB_DATA, 0, HF_BLOB_MAX + HF_AEAD_OVERHEAD);
	T_EQ(decode_header(e, N - 1, NULL, 0), 0); /* the last offset is below 4 GiB */
	T_EQ(decode_header(e, N, NULL, 0), -HF_E_CORRUPT);
	free(e);
}

/* ---- snapshots --------------------------------------------------------------- */

/* a snapshot payload with the given host and user bytes (which may hold
 * NULs, as no encoder writes them) */
static int decode_snapshot(const char *host, size_t nhost, const char *user, size_t nuser)
{
	static const uint8_t tree[HF_ID_LEN] = {1, 2, 3};
	struct hf_snapshot s;
	struct hf_buf b;
	int r;

	hf_buf_init(&b, 4096);
	T_EQ(hf_buf_put_varint(&b, 1), 0); /* version */
	T_EQ(hf_buf_put_svarint(&b, 1764806400000000000ll), 0);
	T_EQ(hf_buf_put_bytes(&b, host, nhost), 0);
	T_EQ(hf_buf_put_bytes(&b, user, nuser), 0);
	T_EQ(hf_buf_put_varint(&b, 1), 0);
	T_EQ(hf_buf_put_str(&b, "/srv"), 0);
	T_EQ(hf_buf_append(&b, tree, HF_ID_LEN), 0);
	T_EQ(hf_buf_put_u8(&b, 0), 0); /* no parent */
	for (int i = 0; i < 5; i++)    /* no excludes, files, dirs, bytes, errors */
		T_EQ(hf_buf_put_varint(&b, 0), 0);
	r = hf_snapshot_decode(b.data, b.len, &s);
	if (r == 0) {
		T_CHECK(strcmp(s.paths[0], "/srv") == 0);
		hf_snapshot_release(&s);
	}
	hf_buf_release(&b);
	return r;
}

/* A NUL inside the host or user name: every reader would see only the part
 * before it ("srv" for "srv\0other"), and the snapshot would encode to
 * other bytes. Paths and excludes were refused already. */
static void test_snapshot_nul_in_host_or_user(void)
{
	T_EQ(decode_snapshot("srv", 3, "root", 4), 0);
	T_EQ(decode_snapshot("", 0, "", 0), 0);
	T_EQ(decode_snapshot("srv\0other", 9, "root", 4), -HF_E_CORRUPT);
	T_EQ(decode_snapshot("\0", 1, "root", 4), -HF_E_CORRUPT);
	T_EQ(decode_snapshot("srv", 3, "root\0", 5), -HF_E_CORRUPT);
}

/* ---- key files ---------------------------------------------------------------- */

#define KEY_PASS "test passphrase"

/* hf_key_file_params, and the decoder, on a valid key file patched at off */
static int key_params_patched(const struct hf_buf *kf, size_t off, const void *v, size_t n, size_t len)
{
	uint8_t copy[512], k[5][32];
	uint64_t ops = 0, mem = 0;
	int has_sk = -1, r, d;

	memcpy(copy, kf->data, kf->len);
	memcpy(copy + off, v, n);
	r = hf_key_file_params(copy, len, &has_sk, &ops, &mem);
	if (r < 0) { /* refused before the KDF: the decoder says the same, at no cost */
		d = hf_key_file_decode(KEY_PASS, strlen(KEY_PASS), copy, len, k[0], k[1], k[2], k[3], k[4], &has_sk);
		T_EQ(d, r);
		T_EQ(hf_key_file_cost(copy, len), 0);
	} else {
		T_CHECK(ops >= HF_KEY_OPS_MIN && ops <= HF_KEY_OPS_MAX);
		T_CHECK(mem >= HF_KEY_MEM_MIN && mem <= HF_KEY_MEM_MAX);
		T_EQ(hf_key_file_cost(copy, len), ops * (mem >> 20));
	}
	return r;
}

/* The Argon2id cost comes from the file: a damaged or planted key file is
 * refused before any KDF unless it is within 1-16 passes and 8 MiB-1 GiB;
 * hf_key_file_cost (which orders the key files to try) says 0 for what is
 * refused, as it promises, not a product of the bogus fields. */
static void test_key_file_bounds(void)
{
	static const uint8_t id[32] = {1}, cfg[32] = {2}, pk[32] = {3}, mac[32] = {4}, sk[32] = {5};
	uint8_t le32[4], le64[8], kind;
	struct hf_buf kf;
	size_t n;

	hf_buf_init(&kf, 512);
	T_EQ(hf_key_file_encode(KEY_PASS, strlen(KEY_PASS), HF_KEY_OPS_MIN, HF_KEY_MEM_MIN, id, cfg, pk, mac, sk, &kf),
	     0);
	n = kf.len;
	T_CHECK(n > 21 && n <= 512);
	if (n <= 21 || n > 512)
		return;
	T_EQ(key_params_patched(&kf, 0, "", 0, n), 0);
	hf_put_le32(le32, HF_KEY_OPS_MAX);
	T_EQ(key_params_patched(&kf, 9, le32, 4, n), 0);
	hf_put_le32(le32, 0);
	T_EQ(key_params_patched(&kf, 9, le32, 4, n), -HF_E_CORRUPT);
	hf_put_le32(le32, HF_KEY_OPS_MAX + 1);
	T_EQ(key_params_patched(&kf, 9, le32, 4, n), -HF_E_CORRUPT);
	hf_put_le32(le32, UINT32_MAX);
	T_EQ(key_params_patched(&kf, 9, le32, 4, n), -HF_E_CORRUPT);
	hf_put_le64(le64, HF_KEY_MEM_MAX);
	T_EQ(key_params_patched(&kf, 13, le64, 8, n), 0);
	hf_put_le64(le64, HF_KEY_MEM_MIN - 1);
	T_EQ(key_params_patched(&kf, 13, le64, 8, n), -HF_E_CORRUPT);
	hf_put_le64(le64, HF_KEY_MEM_MAX + 1);
	T_EQ(key_params_patched(&kf, 13, le64, 8, n), -HF_E_CORRUPT);
	hf_put_le64(le64, UINT64_MAX);
	T_EQ(key_params_patched(&kf, 13, le64, 8, n), -HF_E_CORRUPT);
	kind = 3;
	T_EQ(key_params_patched(&kf, 8, &kind, 1, n), -HF_E_CORRUPT);
	kind = 2; /* a write-only kind is shorter */
	T_EQ(key_params_patched(&kf, 8, &kind, 1, n), -HF_E_CORRUPT);
	T_EQ(key_params_patched(&kf, 0, "", 0, n - 1), -HF_E_CORRUPT);
	T_EQ(key_params_patched(&kf, 0, "HFKEY002", 8, n), -HF_E_CORRUPT);
	hf_buf_release(&kf);
}

int main(void)
{
	if (hf_crypto_init() < 0)
		return 1;
	T_RUN(test_pack_header_valid);
	T_RUN(test_pack_header_trailing_bytes);
	T_RUN(test_pack_header_unknown_type_or_flags);
	T_RUN(test_pack_header_offset_past_4gib);
	T_RUN(test_snapshot_nul_in_host_or_user);
	T_RUN(test_key_file_bounds);
	return T_DONE("test_decode");
}
