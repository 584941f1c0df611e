/* blob.c — reading one blob back: locate it through the index, read its
 * stored bytes from the pack, decrypt, decompress, and check that the MAC of
 * the plaintext is the blob's id. Nothing unverified leaves this file. A
 * blob claimed by several index objects is read from the first claim that
 * verifies. */
#include <errno.h>
#include <string.h>

#include "compress/compress.h"
#include "crypto/crypto.h"
#include "repo/repo_internal.h"
#include "store/store.h"
#include "util/err.h"

void hf_repo_blob_id(const struct hf_repo *r, const void *p, size_t n, uint8_t id[HF_ID_LEN])
{
	hf_mac(r->mac_key, p, n, id);
}

void hf_blob_reader_init(struct hf_blob_reader *br, struct hf_repo *r)
{
	br->repo = r;
	br->aead = hf_aead_new();
	br->z = hf_zctx_new(r->cfg.zlevel);
	hf_buf_init(&br->enc, HF_BLOB_MAX + HF_AEAD_OVERHEAD);
	hf_buf_init(&br->stored, HF_BLOB_MAX + HF_AEAD_OVERHEAD);
	memset(br->open, 0, sizeof(br->open));
	br->next_slot = 0;
}

void hf_blob_reader_release(struct hf_blob_reader *br)
{
	hf_aead_free(br->aead);
	hf_zctx_free(br->z);
	hf_buf_release(&br->enc);
	hf_buf_release(&br->stored);
	for (unsigned i = 0; i < HF_BLOB_READER_PACKS; i++)
		hf_store_reader_close(br->open[i].r);
}

/* an open reader for pack number `pack`, from the cache or newly opened */
static int pack_reader(struct hf_blob_reader *br, uint32_t pack, struct hf_store_reader **out)
{
	char name[HF_ID_HEX_LEN + 1];
	unsigned slot;
	int r;

	for (unsigned i = 0; i < HF_BLOB_READER_PACKS; i++)
		if (br->open[i].r && br->open[i].pack == pack) {
			*out = br->open[i].r;
			return 0;
		}
	slot = br->next_slot++ % HF_BLOB_READER_PACKS;
	hf_store_reader_close(br->open[slot].r);
	br->open[slot].r = NULL;
	hf_id_hex(br->repo->index->packs[pack].id, name);
	r = hf_store_reader_open(br->repo->store, HF_OBJ_PACK, name, &br->open[slot].r);
	if (r < 0)
		return r;
	br->open[slot].pack = pack;
	*out = br->open[slot].r;
	return 0;
}

int hf_blob_decode(struct hf_blob_reader *br, const uint8_t id[HF_ID_LEN], const struct hf_blob_loc *loc,
		   const uint8_t *stored, struct hf_buf *out)
{
	const struct hf_index *ix = br->repo->index;
	uint8_t ad[HF_ID_LEN + 1], check[HF_ID_LEN];
	const uint8_t *key;
	size_t ptlen = loc->stored_len - HF_AEAD_OVERHEAD;
	uint8_t *pt;
	int r;

	if (loc->pack >= ix->npacks || loc->stored_len < HF_AEAD_OVERHEAD || loc->raw_len > HF_BLOB_MAX)
		return -HF_E_CORRUPT;
	key = ix->keys + (size_t)ix->packs[loc->pack].key * HF_KEY_LEN;
	memcpy(ad, id, HF_ID_LEN);
	ad[HF_ID_LEN] = loc->type;
	out->len = 0;
	if (loc->flags & HF_BLOB_F_ZSTD) {
		/* decrypt into a scratch buffer, decompress into out */
		struct hf_buf *tmp = &br->enc;
		if (stored == tmp->data)
			return -HF_E_USAGE;
		tmp->len = 0;
		r = hf_buf_reserve(tmp, ptlen);
		if (r < 0)
			return r;
		pt = tmp->data;
		r = hf_aead_open(br->aead, key, ad, sizeof(ad), stored, loc->stored_len, pt);
		if (r < 0)
			return r;
		r = hf_buf_reserve(out, loc->raw_len);
		if (r < 0)
			return r;
		r = hf_decompress(br->z, pt, ptlen, out->data, loc->raw_len);
		if (r < 0)
			return r;
	} else {
		if (ptlen != loc->raw_len)
			return -HF_E_CORRUPT;
		r = hf_buf_reserve(out, ptlen);
		if (r < 0)
			return r;
		r = hf_aead_open(br->aead, key, ad, sizeof(ad), stored, loc->stored_len, out->data);
		if (r < 0)
			return r;
	}
	out->len = loc->raw_len;
	hf_repo_blob_id(br->repo, out->data, out->len, check);
	if (!hf_ct_equal(check, id, HF_ID_LEN)) {
		out->len = 0;
		return -HF_E_AUTH;
	}
	return 0;
}

/* reads and decodes the blob at one claimed location */
static int read_at(struct hf_blob_reader *br, const uint8_t id[HF_ID_LEN], const struct hf_blob_loc *loc,
		   struct hf_buf *out)
{
	struct hf_buf *stored = &br->stored;
	struct hf_store_reader *pr;
	int r;

	if (loc->pack >= br->repo->index->npacks)
		return -HF_E_CORRUPT;
	stored->len = 0;
	r = hf_buf_reserve(stored, loc->stored_len);
	if (r == 0)
		r = pack_reader(br, loc->pack, &pr);
	if (r == 0)
		r = hf_store_reader_read(pr, loc->offset, loc->stored_len, stored->data);
	if (r == -HF_E_NOTFOUND)
		r = -HF_E_MISSING; /* listed in the index but the pack is gone */
	if (r == 0)
		r = hf_blob_decode(br, id, loc, stored->data, out);
	return r;
}

int hf_blob_read_type(struct hf_blob_reader *br, const uint8_t id[HF_ID_LEN], int type, struct hf_buf *out)
{
	const struct hf_index *ix = br->repo->index;
	int r = -HF_E_NOTFOUND, first = 0;

	/* Every claim in turn: one index object that lies about a blob (or a
	 * damaged pack holding one copy) must not hide another good copy. The
	 * error reported is the first claim's. */
	for (const struct hf_blob_loc *loc = hf_index_find(ix, id); loc; loc = hf_index_find_next(ix, id, loc)) {
		r = type >= 0 && loc->type != type ? -HF_E_CORRUPT : read_at(br, id, loc, out);
		if (r == 0 || r == -ENOMEM)
			return r;
		if (!first)
			first = r;
	}
	out->len = 0;
	return first ? first : r;
}

int hf_blob_read(struct hf_blob_reader *br, const uint8_t id[HF_ID_LEN], struct hf_buf *out)
{
	return hf_blob_read_type(br, id, -1, out);
}
