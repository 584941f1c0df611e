/* shape.c — the keyless checks of each object kind (shape.h); the layouts
 * are in docs/FORMAT.md. */
#include <string.h>

#include "repo/object.h"
#include "repo/repo_internal.h"
#include "repo/shape.h"
#include "store/store.h"
#include "util/buf.h"

#define SMALL_MAX (4u << 10)     /* config and key files */
#define MARK_MAX (8u << 10)      /* a mark is about 1.3 KiB at most */
#define SNAPSHOT_MAX (16u << 20) /* paths and exclude patterns of one backup */
#define INDEX_MAX (32u << 20)    /* writers list at most 65,536 blobs (about 6 MiB) */
#define PENDING_MAX (2u << 20)   /* 32,768 pack ids and framing */
/* magic | sealed session key | the AEAD of at least an empty payload | tag */
#define ENVELOPE_MIN (HF_MAGIC_LEN + HF_SEALED_KEY_LEN + HF_AEAD_OVERHEAD + HF_OBJ_TAG_LEN)

uint64_t hf_shape_max_size(int kind, uint32_t pack_size)
{
	switch (kind) {
	case HF_OBJ_CONFIG:
	case HF_OBJ_KEY:
		return SMALL_MAX;
	case HF_OBJ_SNAPSHOT:
		return SNAPSHOT_MAX;
	case HF_OBJ_INDEX:
		return INDEX_MAX;
	case HF_OBJ_MARK:
		return MARK_MAX;
	case HF_OBJ_PENDING:
		return PENDING_MAX;
	case HF_OBJ_PACK:
		/* a pack closes once it reaches pack_size: one more blob, and a
		 * header of at most one entry (under 64 bytes) per 28 bytes of
		 * blob overhead */
		return (uint64_t)pack_size * 4 + HF_BLOB_MAX + HF_AEAD_OVERHEAD + HF_PACK_TRAILER_LEN;
	}
	return 0;
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int magic_is(const uint8_t *head, size_t nhead, const char *magic)
{
	return nhead >= HF_MAGIC_LEN && memcmp(head, magic, HF_MAGIC_LEN) == 0;
}

/* an index object: envelope, then the id-list part, its u32 length, the tag */
static int index_shape(uint64_t size, const uint8_t *tail, size_t ntail)
{
	uint32_t idlist;

	if (size < ENVELOPE_MIN + HF_AEAD_OVERHEAD + 4 || ntail < HF_OBJ_TAG_LEN + 4)
		return -HF_E_CORRUPT;
	idlist = le32(tail + ntail - HF_OBJ_TAG_LEN - 4);
	return idlist >= HF_AEAD_OVERHEAD && idlist <= size - ENVELOPE_MIN - 4 ? 0 : -HF_E_CORRUPT;
}

/* a pack: blobs, the sealed header, then sealed key | header length u32 | magic */
static int pack_shape(uint64_t size, const uint8_t *tail, size_t ntail)
{
	uint32_t hlen;

	if (size < HF_PACK_TRAILER_LEN + HF_AEAD_OVERHEAD || ntail < HF_PACK_TRAILER_LEN)
		return -HF_E_CORRUPT;
	if (memcmp(tail + ntail - HF_MAGIC_LEN, HF_MAGIC_PACK, HF_MAGIC_LEN) != 0)
		return -HF_E_CORRUPT;
	hlen = le32(tail + ntail - HF_MAGIC_LEN - 4);
	return hlen >= HF_AEAD_OVERHEAD && hlen <= size - HF_PACK_TRAILER_LEN ? 0 : -HF_E_CORRUPT;
}

int hf_shape_check(int kind, uint64_t size, const uint8_t *head, size_t nhead, const uint8_t *tail, size_t ntail,
		   uint32_t pack_size)
{
	if (kind < 0 || kind >= HF_OBJ_KINDS)
		return -HF_E_CORRUPT;
	if (size > hf_shape_max_size(kind, pack_size))
		return -HF_E_LIMIT;
	if (nhead != (size < HF_SHAPE_HEAD ? size : HF_SHAPE_HEAD) ||
	    ntail != (size < HF_SHAPE_TAIL ? size : HF_SHAPE_TAIL))
		return -HF_E_CORRUPT;
	switch (kind) {
	case HF_OBJ_CONFIG: {
		struct hf_repo_config c;
		return hf_config_decode(head, nhead, &c);
	}
	case HF_OBJ_KEY: {
		int has_sk;
		uint64_t ops, mem;
		return hf_key_file_params(head, nhead, &has_sk, &ops, &mem) < 0 ? -HF_E_CORRUPT : 0;
	}
	case HF_OBJ_SNAPSHOT:
		return magic_is(head, nhead, HF_MAGIC_SNAPSHOT) && size >= ENVELOPE_MIN ? 0 : -HF_E_CORRUPT;
	case HF_OBJ_MARK:
		return magic_is(head, nhead, HF_MAGIC_MARK) && size >= ENVELOPE_MIN ? 0 : -HF_E_CORRUPT;
	case HF_OBJ_INDEX:
		return magic_is(head, nhead, HF_MAGIC_INDEX) ? index_shape(size, tail, ntail) : -HF_E_CORRUPT;
	case HF_OBJ_PENDING:
		return magic_is(head, nhead, HF_MAGIC_PENDING) &&
				       size >= HF_MAGIC_LEN + 4 + HF_SIGN_LEN + HF_OBJ_TAG_LEN
			       ? 0
			       : -HF_E_CORRUPT;
	case HF_OBJ_PACK:
		return pack_shape(size, tail, ntail);
	}
	return -HF_E_CORRUPT;
}

int hf_shape_config_read(const uint8_t *p, size_t n, uint32_t *pack_size, uint8_t delete_key[HF_SIGN_PK_LEN])
{
	struct hf_repo_config c;
	int r = hf_config_decode(p, n, &c);

	*pack_size = r == 0 ? c.pack_size : 0;
	if (r == 0)
		memcpy(delete_key, c.delete_key, HF_SIGN_PK_LEN);
	return r;
}

int hf_shape_idlist_start(uint64_t size, const uint8_t len[4], uint64_t *start)
{
	uint32_t dlen = hf_get_le32(len);

	_Static_assert(HF_SHAPE_IDLIST_LEN_FROM_END == 4 + HF_OBJ_TAG_LEN, "the index layout (index.c)");
	if (size < HF_MAGIC_LEN + HF_SHAPE_IDLIST_LEN_FROM_END ||
	    dlen > size - HF_MAGIC_LEN - HF_SHAPE_IDLIST_LEN_FROM_END)
		return -HF_E_CORRUPT;
	*start = size - HF_SHAPE_IDLIST_LEN_FROM_END - dlen;
	return 0;
}
