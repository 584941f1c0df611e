/* pack.c — pack files: many encrypted blobs, then an encrypted header that
 * lists them, then a fixed trailer.
 *
 *   blob*    nonce | AES-256-GCM(session key, ad = id | type, payload) | tag
 *   header   nonce | AEAD(session key, ad = "HFPCK001", entries) | tag
 *   trailer  sealed session key (80) | header length u32 | "HFPCK001"
 * Each pack is readable on its own with the repository's secret key, which
 * lets check and a disaster recovery rebuild the index from packs alone.
 * Packs are streamed to the store, so a writer holds about 1 MiB, not 16. */
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "repo/repo_internal.h"
#include "store/store.h"
#include "util/err.h"
#include "util/mem.h"

#define PACK_MAX_ENTRIES (1u << 20)

#define PACK_STAGE (1u << 20) /* bytes gathered before each write to the store */

struct hf_pack_writer {
	struct hf_repo *repo;
	const struct hf_session *session;
	struct hf_aead *aead;
	struct hf_buf data;          /* sealed bytes not yet handed to the store */
	struct hf_store_writer *out; /* open while the pack has blobs */
	struct hf_sha256_ctx *sha;   /* of the pack so far: its name */
	uint64_t size;               /* bytes of the pack so far */
	struct hf_pack_entry *entries;
	size_t n, cap;
};

struct hf_pack_writer *hf_pack_writer_new(struct hf_repo *r, const struct hf_session *s)
{
	struct hf_pack_writer *w = hf_xcalloc(1, sizeof(*w));

	w->repo = r;
	w->session = s;
	w->aead = hf_aead_new();
	hf_buf_init(&w->data, PACK_STAGE + HF_BLOB_MAX + HF_META_OBJ_MAX);
	return w;
}

static void discard(struct hf_pack_writer *w)
{
	uint8_t ignored[HF_HASH_LEN];

	hf_store_writer_abort(w->out);
	w->out = NULL;
	if (w->sha)
		hf_sha256_final(w->sha, ignored);
	w->sha = NULL;
	w->size = 0;
	w->n = 0;
	hf_buf_reset(&w->data);
}

void hf_pack_writer_free(struct hf_pack_writer *w)
{
	if (!w)
		return;
	discard(w);
	hf_aead_free(w->aead);
	hf_buf_release(&w->data);
	free(w->entries);
	free(w);
}

size_t hf_pack_writer_blobs(const struct hf_pack_writer *w)
{
	return w->n;
}

static int drain(struct hf_pack_writer *w)
{
	int r;

	if (w->data.len == 0)
		return 0;
	hf_sha256_update(w->sha, w->data.data, w->data.len);
	r = hf_store_writer_write(w->out, w->data.data, w->data.len);
	hf_buf_reset(&w->data);
	return r;
}

static void blob_ad(uint8_t ad[HF_ID_LEN + 1], const uint8_t id[HF_ID_LEN], int type)
{
	memcpy(ad, id, HF_ID_LEN);
	ad[HF_ID_LEN] = (uint8_t)type;
}

int hf_pack_add(struct hf_pack_writer *w, const uint8_t id[HF_ID_LEN], int type, int flags, const void *payload,
		size_t n, uint32_t raw_len)
{
	uint8_t ad[HF_ID_LEN + 1];
	struct hf_pack_entry *e;
	int r;

	if (n > HF_BLOB_MAX || w->n >= PACK_MAX_ENTRIES)
		return -HF_E_LIMIT;
	if (!w->out) {
		r = hf_store_writer_open(w->repo->store, HF_OBJ_PACK, &w->out);
		if (r < 0)
			return r;
		w->sha = hf_sha256_new();
	}
	r = hf_buf_reserve(&w->data, n + HF_AEAD_OVERHEAD);
	if (r < 0)
		return r;
	blob_ad(ad, id, type);
	r = hf_aead_seal(w->aead, w->session->key, ad, sizeof(ad), payload, n, w->data.data + w->data.len);
	if (r < 0)
		return r;
	if (w->n == w->cap) {
		w->cap = w->cap ? 2 * w->cap : 64;
		w->entries = hf_xreallocarray(w->entries, w->cap, sizeof(*w->entries));
	}
	e = &w->entries[w->n++];
	memcpy(e->id, id, HF_ID_LEN);
	e->type = (uint8_t)type;
	e->flags = (uint8_t)flags;
	e->offset = (uint32_t)w->size;
	e->stored_len = (uint32_t)(n + HF_AEAD_OVERHEAD);
	e->raw_len = raw_len;
	w->data.len += n + HF_AEAD_OVERHEAD;
	w->size += n + HF_AEAD_OVERHEAD;
	return w->data.len >= PACK_STAGE ? drain(w) : 0;
}

int hf_pack_full(const struct hf_pack_writer *w)
{
	return w->size >= w->repo->cfg.pack_size;
}

int hf_pack_header_encode(const struct hf_pack_entry *e, size_t n, struct hf_buf *out)
{
	int r = hf_buf_put_varint(out, n);

	for (size_t i = 0; i < n && r == 0; i++) {
		r = hf_buf_put_u8(out, e[i].type);
		if (r == 0)
			r = hf_buf_put_u8(out, e[i].flags);
		if (r == 0)
			r = hf_buf_append(out, e[i].id, HF_ID_LEN);
		if (r == 0)
			r = hf_buf_put_varint(out, e[i].stored_len);
		if (r == 0)
			r = hf_buf_put_varint(out, e[i].raw_len);
	}
	return r;
}

int hf_pack_flush(struct hf_pack_writer *w, struct hf_index_builder *b)
{
	struct hf_buf hdr;
	uint8_t pack_id[HF_ID_LEN];
	char name[HF_ID_HEX_LEN + 1];
	uint64_t total;
	size_t hlen;
	int r;

	if (w->n == 0)
		return 0;
	hf_buf_init(&hdr, HF_META_OBJ_MAX);
	r = hf_pack_header_encode(w->entries, w->n, &hdr);
	if (r < 0)
		goto out;
	hlen = hdr.len + HF_AEAD_OVERHEAD;
	r = hf_buf_reserve(&w->data, hlen + HF_PACK_TRAILER_LEN);
	if (r < 0)
		goto out;
	r = hf_aead_seal(w->aead, w->session->key, HF_MAGIC_PACK, HF_MAGIC_LEN, hdr.data, hdr.len,
			 w->data.data + w->data.len);
	if (r < 0)
		goto out;
	w->data.len += hlen;
	if ((r = hf_buf_append(&w->data, w->session->sealed, HF_SEALED_KEY_LEN)) < 0 ||
	    (r = hf_buf_put_u32(&w->data, (uint32_t)hlen)) < 0 ||
	    (r = hf_buf_append(&w->data, HF_MAGIC_PACK, HF_MAGIC_LEN)) < 0)
		goto out;
	total = w->size + hlen + HF_PACK_TRAILER_LEN;
	r = drain(w);
	if (r < 0)
		goto out;
	hf_sha256_final(w->sha, pack_id);
	w->sha = NULL;
	hf_id_hex(pack_id, name);
	r = hf_store_writer_commit(w->out, name, HF_PUT_NOSYNC | HF_PUT_NAMED_BY_SHA256);
	w->out = NULL;
	if (r == -HF_E_EXISTS)
		r = 0; /* the same bytes are there already */
	if (r < 0)
		goto out;
	hf_index_builder_add(b, pack_id, w->session->key, w->entries, w->n, total);
	w->entries = NULL;
	w->n = w->cap = 0;
	w->size = 0;
out:
	if (r < 0)
		discard(w);
	hf_buf_release(&hdr);
	return r;
}

int hf_pack_header_decode(const uint8_t *p, size_t n, uint64_t data_len, struct hf_pack_entry **entries, size_t *count)
{
	struct hf_reader rd;
	struct hf_pack_entry *e = NULL;
	uint64_t c, off = 0;
	int ret;

	*entries = NULL;
	*count = 0;
	hf_reader_init(&rd, p, n);
	ret = hf_rd_varint(&rd, &c);
	if (ret < 0)
		return ret;
	if (c > PACK_MAX_ENTRIES || c > hf_reader_left(&rd) / 36)
		return -HF_E_CORRUPT;
	e = hf_xcalloc(c ? c : 1, sizeof(*e));
	for (uint64_t i = 0; i < c; i++) {
		const uint8_t *id;
		uint64_t sl, rl;
		if ((ret = hf_rd_u8(&rd, &e[i].type)) < 0 || (ret = hf_rd_u8(&rd, &e[i].flags)) < 0 ||
		    (ret = hf_rd_raw(&rd, &id, HF_ID_LEN)) < 0 || (ret = hf_rd_varint(&rd, &sl)) < 0 ||
		    (ret = hf_rd_varint(&rd, &rl)) < 0)
			goto out;
		/* the rules of the index (index.c), and offsets that fit in 32 bits
		 * instead of wrapping around to other blobs */
		if (e[i].type > HF_BLOB_TREE || (e[i].flags & ~HF_BLOB_F_ZSTD) || sl < HF_AEAD_OVERHEAD ||
		    sl > HF_BLOB_MAX + HF_AEAD_OVERHEAD || rl > HF_BLOB_MAX || off > UINT32_MAX ||
		    off + sl > data_len) {
			ret = -HF_E_CORRUPT;
			goto out;
		}
		memcpy(e[i].id, id, HF_ID_LEN);
		e[i].offset = (uint32_t)off;
		e[i].stored_len = (uint32_t)sl;
		e[i].raw_len = (uint32_t)rl;
		off += sl;
	}
	if (hf_reader_left(&rd) != 0) { /* the writer writes nothing after the entries */
		ret = -HF_E_CORRUPT;
		goto out;
	}
	*entries = e;
	*count = c;
	e = NULL;
	ret = 0;
out:
	free(e);
	return ret;
}

/* the most bytes a header of n entries and the trailer take: an entry is
 * its type, flags, id and two varints of at most 10 bytes */
static uint64_t pack_tail_max(size_t n)
{
	return 10 + (uint64_t)n * (2 + HF_ID_LEN + 20) + HF_AEAD_OVERHEAD + HF_PACK_TRAILER_LEN;
}

int hf_pack_read_header(struct hf_repo *r, struct hf_aead *aead, const char *name, uint64_t size, size_t expect,
			struct hf_pack_entry **entries, size_t *n)
{
	const uint8_t *trailer, *sealed_hdr;
	uint8_t *key = NULL;
	struct hf_buf tail, pt;
	uint64_t hlen, want;
	int ret;

	*entries = NULL;
	*n = 0;
	hf_buf_init(&tail, HF_META_OBJ_MAX + HF_PACK_TRAILER_LEN);
	hf_buf_init(&pt, HF_META_OBJ_MAX);
	if (!r->sk)
		return -HF_E_USAGE;
	if (size < HF_PACK_TRAILER_LEN + HF_AEAD_OVERHEAD)
		return -HF_E_CORRUPT;
	/* one read for the trailer and, when the caller knows about how many
	 * entries there are, the header with it: on a remote store each read
	 * is a request */
	want = expect ? pack_tail_max(expect) : HF_PACK_TRAILER_LEN;
	if (want > size)
		want = size;
	if (want > tail.max)
		want = tail.max;
	ret = hf_buf_reserve(&tail, want);
	if (ret == 0)
		ret = hf_store_get_range(r->store, HF_OBJ_PACK, name, size - want, want, tail.data);
	if (ret < 0)
		goto out;
	trailer = tail.data + want - HF_PACK_TRAILER_LEN;
	hlen = hf_get_le32(trailer + HF_SEALED_KEY_LEN);
	if (memcmp(trailer + HF_SEALED_KEY_LEN + 4, HF_MAGIC_PACK, HF_MAGIC_LEN) != 0 || hlen < HF_AEAD_OVERHEAD ||
	    hlen > size - HF_PACK_TRAILER_LEN || hlen > HF_META_OBJ_MAX) {
		ret = -HF_E_CORRUPT;
		goto out;
	}
	key = hf_secure_alloc(HF_KEY_LEN);
	ret = hf_unseal_key(r->pk, r->sk, trailer, key);
	if (ret == 0)
		ret = hf_buf_reserve(&pt, hlen);
	if (ret == 0 && hlen + HF_PACK_TRAILER_LEN > want) { /* more entries than expected: read the header */
		ret = hf_buf_reserve(&tail, hlen + HF_PACK_TRAILER_LEN);
		if (ret == 0)
			ret = hf_store_get_range(r->store, HF_OBJ_PACK, name, size - HF_PACK_TRAILER_LEN - hlen, hlen,
						 tail.data);
		want = hlen + HF_PACK_TRAILER_LEN;
	}
	if (ret < 0)
		goto out;
	sealed_hdr = tail.data + want - HF_PACK_TRAILER_LEN - hlen;
	ret = hf_aead_open(aead, key, HF_MAGIC_PACK, HF_MAGIC_LEN, sealed_hdr, hlen, pt.data);
	if (ret < 0)
		goto out;
	ret = hf_pack_header_decode(pt.data, hlen - HF_AEAD_OVERHEAD, size - HF_PACK_TRAILER_LEN - hlen, entries, n);
out:
	hf_secure_free(key);
	hf_buf_release(&tail);
	hf_buf_release(&pt);
	return ret;
}
