/* blob.c — reading one blob back: locate it through the index, read its
 * stored bytes from the pack, decrypt, decompress, and check that the MAC of
 * the plaintext is the blob's id. Nothing unverified leaves this file. A
 * blob claimed by several index objects is read from the first claim that
 * verifies. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "compress/compress.h"
#include "crypto/crypto.h"
#include "repo/repo_internal.h"
#include "store/store.h"
#include "util/err.h"
#include "util/mem.h"

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
	br->cache = NULL;
	hf_blob_ahead_init(&br->ahead);
}

void hf_blob_reader_release(struct hf_blob_reader *br)
{
	hf_aead_free(br->aead);
	hf_zctx_free(br->z);
	hf_buf_release(&br->enc);
	hf_buf_release(&br->stored);
	for (unsigned i = 0; i < HF_BLOB_READER_PACKS; i++)
		hf_store_reader_close(br->open[i].r);
	hf_blob_ahead_release(&br->ahead);
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

/* n stored bytes at off of pack number `pack`, read from the store */
static int range_read(struct hf_blob_reader *br, uint32_t pack, uint64_t off, size_t n, void *out)
{
	struct hf_store_reader *pr;
	int r = pack_reader(br, pack, &pr);

	return r < 0 ? r : hf_store_reader_read(pr, off, n, out);
}

/* n stored bytes at off of pack number `pack`: from the shared whole packs
 * if the reader has them, else a range read */
static int pack_read(struct hf_blob_reader *br, uint32_t pack, uint64_t off, size_t n, void *out)
{
	if (br->cache && hf_pack_cache_read(br->cache, pack, off, n, out) == 0)
		return 0;
	return range_read(br, pack, off, n, out);
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

/* ---- reading ahead --------------------------------------------------------- */

void hf_blob_ahead_init(struct hf_blob_ahead *a)
{
	hf_buf_init(&a->buf, HF_BLOB_PREFETCH_MAX);
	a->spans = NULL;
	a->nspans = 0;
}

void hf_blob_ahead_release(struct hf_blob_ahead *a)
{
	hf_buf_release(&a->buf);
	free(a->spans);
	a->spans = NULL;
	a->nspans = 0;
}

void hf_blob_ahead_swap(struct hf_blob_reader *br, struct hf_blob_ahead *a)
{
	struct hf_blob_ahead t = br->ahead;

	br->ahead = *a;
	*a = t;
}

/* The stored bytes of the blob at loc if a prefetch holds them, else NULL. */
static const uint8_t *ahead_find(const struct hf_blob_reader *br, const struct hf_blob_loc *loc)
{
	uint64_t end = (uint64_t)loc->offset + loc->stored_len;

	for (size_t i = 0; i < br->ahead.nspans; i++) {
		const struct hf_blob_span *sp = &br->ahead.spans[i];
		if (sp->pack == loc->pack && sp->offset <= loc->offset && end <= (uint64_t)sp->offset + sp->len)
			return br->ahead.buf.data + sp->at + (loc->offset - sp->offset);
	}
	return NULL;
}

static int span_cmp(const void *a, const void *b)
{
	const struct hf_blob_span *x = a, *y = b;

	if (x->pack != y->pack)
		return x->pack < y->pack ? -1 : 1;
	if (x->offset != y->offset)
		return x->offset < y->offset ? -1 : 1;
	return 0;
}

size_t hf_blob_prefetch(struct hf_blob_reader *br, const uint8_t *const *ids, size_t n)
{
	const struct hf_index *ix = br->repo->index;
	struct hf_blob_span *want;
	size_t take = 0, nwant = 0, nspans = 0;
	uint64_t sum = 0, total = 0;

	br->ahead.nspans = 0;
	br->ahead.buf.len = 0;
	if (n == 0)
		return 0;
	if (n > HF_BLOB_PREFETCH_IDS)
		n = HF_BLOB_PREFETCH_IDS;
	/* the prefix of ids whose stored bytes fit; a blob too large for the
	 * buffer alone is left to a read of its own */
	want = hf_xcalloc(n, sizeof(*want));
	for (; take < n; take++) {
		const struct hf_blob_loc *loc = hf_index_find(ix, ids[take]);
		if (!loc)
			continue;
		if (sum + loc->stored_len > HF_BLOB_PREFETCH_MAX)
			break;
		if (loc->pack >= ix->npacks || loc->stored_len == 0)
			continue;
		sum += loc->stored_len;
		want[nwant++] = (struct hf_blob_span){loc->pack, loc->offset, loc->stored_len, 0};
	}
	if (take == 0)
		take = 1;
	qsort(want, nwant, sizeof(*want), span_cmp);
	/* merged in place: want[0..nspans) are the spans to read. A gap is
	 * read along only while the whole still fits the buffer. */
	for (size_t i = 0; i < nwant; i++) {
		struct hf_blob_span *last = nspans ? &want[nspans - 1] : NULL;
		uint64_t end = (uint64_t)want[i].offset + want[i].len;
		uint64_t last_end = last ? (uint64_t)last->offset + last->len : 0;
		if (last && last->pack == want[i].pack && want[i].offset <= last_end + HF_BLOB_PREFETCH_GAP &&
		    (end <= last_end || total + (end - last_end) <= HF_BLOB_PREFETCH_MAX)) {
			if (end > last_end) {
				total += end - last_end;
				last->len = (uint32_t)(end - last->offset);
			}
			continue;
		}
		if (total + want[i].len > HF_BLOB_PREFETCH_MAX)
			continue; /* gaps read along took the room: this one is read alone */
		want[i].at = 0;
		want[nspans++] = want[i];
		total += want[i].len;
	}
	if (nspans == 0 || hf_buf_reserve(&br->ahead.buf, (size_t)total) < 0) {
		free(want);
		return take;
	}
	for (size_t i = 0; i < nspans; i++) {
		want[i].at = br->ahead.buf.len;
		if (pack_read(br, want[i].pack, want[i].offset, want[i].len, br->ahead.buf.data + br->ahead.buf.len) <
		    0) {
			want[i].len = 0; /* its blobs are read one by one, and their errors told then */
			continue;
		}
		br->ahead.buf.len += want[i].len;
	}
	free(br->ahead.spans);
	br->ahead.spans = want;
	br->ahead.nspans = nspans;
	return take;
}

/* reads and decodes the blob at one claimed location */
static int read_at(struct hf_blob_reader *br, const uint8_t id[HF_ID_LEN], const struct hf_blob_loc *loc,
		   struct hf_buf *out)
{
	struct hf_buf *stored = &br->stored;
	struct hf_pack_cache *cache;
	const uint8_t *ahead;
	int r;

	if (loc->pack >= br->repo->index->npacks)
		return -HF_E_CORRUPT;
	ahead = ahead_find(br, loc);
	if (ahead)
		return hf_blob_decode(br, id, loc, ahead, out);
	cache = br->cache || loc->type != HF_BLOB_TREE ? br->cache : br->repo->tree_cache;
	if (cache) { /* decoded where the cache holds it, not copied out first */
		struct hf_pack_hold h;
		if (hf_pack_cache_hold(cache, loc->pack, loc->offset, loc->stored_len, &ahead, &h) == 0) {
			r = hf_blob_decode(br, id, loc, ahead, out);
			hf_pack_cache_let_go(cache, &h);
			return r;
		}
	}
	stored->len = 0;
	r = hf_buf_reserve(stored, loc->stored_len);
	if (r == 0)
		r = range_read(br, loc->pack, loc->offset, loc->stored_len, stored->data);
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
