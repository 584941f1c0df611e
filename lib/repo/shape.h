/* shape.h — what anyone may check about an object without a key: that it has
 * its kind's magic, a size a writer makes, and framing that points inside
 * it. The repository server checks this before an object becomes visible
 * (it holds no key: the tags, AEAD and signatures are for the readers), so
 * a client cannot store a file of one kind under another, or an object no
 * reader would accept the framing of. Part of the repo module. */
#ifndef HF_REPO_SHAPE_H
#define HF_REPO_SHAPE_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/crypto.h"
#include "util/err.h"

#define HF_SHAPE_HEAD (64u << 10) /* bytes of an object's start hf_shape_check looks at */
#define HF_SHAPE_TAIL 128u        /* bytes of its end */

/* The largest object of a kind a writer makes, in a repository whose packs
 * are pack_size bytes (config's pack_size): a server's cap per object. */
uint64_t hf_shape_max_size(int kind, uint32_t pack_size);

/* An object of `size` bytes: head holds its first min(size, HF_SHAPE_HEAD)
 * bytes, tail its last min(size, HF_SHAPE_TAIL). 0 if its shape is one a
 * writer makes, -HF_E_LIMIT if it is larger than hf_shape_max_size allows,
 * else -HF_E_CORRUPT. A config must also be of this version
 * (-HF_E_VERSION). */
HF_MUST_USE int hf_shape_check(int kind, uint64_t size, const uint8_t *head, size_t nhead, const uint8_t *tail,
			       size_t ntail, uint32_t pack_size);

/* The tail of an index object a write-only client reads to deduplicate:
 * its id list (sealed under the dedup key), the list's u32 length and the
 * tag; never the main part. The length is the 4 bytes that end
 * HF_SHAPE_IDLIST_LEN_FROM_END bytes before the object's end. The offset
 * where the tail begins, or -HF_E_CORRUPT if the length does not fit. */
#define HF_SHAPE_IDLIST_LEN_FROM_END (4 + 32)
HF_MUST_USE int hf_shape_idlist_start(uint64_t size, const uint8_t len[4], uint64_t *start);

/* What a server needs of a config object: the pack size it names (for
 * hf_shape_check's caps) and the deletion key's public half (to verify
 * deletions with); -HF_E_CORRUPT / -HF_E_VERSION if it is no config of this
 * version. */
HF_MUST_USE int hf_shape_config_read(const uint8_t *p, size_t n, uint32_t *pack_size,
				     uint8_t delete_key[HF_SIGN_PK_LEN]);

#endif
