/* object.c — authenticated objects (object.h): the tag that proves an index,
 * snapshot or mark object was written by a key holder, around the sealed
 * envelope of envelope.c. */
#include <string.h>

#include "crypto/crypto.h"
#include "repo/object.h"
#include "repo/repo_internal.h"
#include "store/store.h"
#include "util/err.h"

int hf_object_tag_append(const struct hf_repo *r, struct hf_buf *out)
{
	uint8_t tag[HF_OBJ_TAG_LEN];
	int ret;

	if (!r->auth_key || out->len < HF_OBJ_MAGIC_LEN)
		return -HF_E_USAGE;
	hf_mac(r->auth_key, out->data, out->len, tag);
	ret = hf_buf_append(out, tag, sizeof(tag));
	hf_wipe(tag, sizeof(tag));
	return ret;
}

int hf_object_tag_check(const struct hf_repo *r, const uint8_t *p, size_t n, size_t *body_len)
{
	uint8_t tag[HF_OBJ_TAG_LEN];
	int ok;

	if (!r->auth_key)
		return -HF_E_USAGE;
	if (n < HF_OBJ_MAGIC_LEN + HF_OBJ_TAG_LEN)
		return -HF_E_CORRUPT;
	hf_mac(r->auth_key, p, n - HF_OBJ_TAG_LEN, tag);
	ok = hf_ct_equal(tag, p + n - HF_OBJ_TAG_LEN, HF_OBJ_TAG_LEN);
	hf_wipe(tag, sizeof(tag));
	if (!ok)
		return -HF_E_AUTH;
	*body_len = n - HF_OBJ_TAG_LEN;
	return 0;
}

int hf_object_seal(struct hf_repo *r, const struct hf_session *s, const char magic[HF_OBJ_MAGIC_LEN], const void *pt,
		   size_t n, struct hf_buf *out)
{
	int ret = hf_envelope_seal(r, s, magic, pt, n, out);

	if (ret == 0)
		ret = hf_object_tag_append(r, out);
	return ret;
}

/* the same kind in another version: the first 5 bytes ("HFIDX") agree */
static int magic_error(const uint8_t *p, size_t n, const char *magic)
{
	return n >= HF_OBJ_MAGIC_LEN && memcmp(p, magic, 5) == 0 ? -HF_E_VERSION : -HF_E_CORRUPT;
}

int hf_object_open(struct hf_repo *r, const char magic[HF_OBJ_MAGIC_LEN], const uint8_t *p, size_t n, struct hf_buf *pt,
		   uint8_t session_key[HF_KEY_LEN])
{
	size_t body = 0;
	int ret;

	if (n < HF_OBJ_MAGIC_LEN || memcmp(p, magic, HF_OBJ_MAGIC_LEN) != 0)
		return magic_error(p, n, magic);
	ret = hf_object_tag_check(r, p, n, &body);
	if (ret < 0)
		return ret;
	return hf_envelope_open(r, magic, p, body, pt, session_key);
}

int hf_object_write(struct hf_repo *r, const struct hf_session *s, int kind, const char magic[HF_OBJ_MAGIC_LEN],
		    const void *pt, size_t n, uint8_t id[HF_ID_LEN])
{
	struct hf_buf obj;
	int ret;

	hf_buf_init(&obj, HF_META_OBJ_MAX);
	ret = hf_object_seal(r, s, magic, pt, n, &obj);
	if (ret == 0)
		ret = hf_repo_put_hashed(r, kind, obj.data, obj.len, id);
	hf_buf_release(&obj);
	return ret;
}

int hf_object_read(struct hf_repo *r, int kind, const char *name, const char magic[HF_OBJ_MAGIC_LEN], size_t max,
		   struct hf_buf *pt, uint8_t id[HF_ID_LEN], uint8_t session_key[HF_KEY_LEN])
{
	struct hf_buf obj;
	uint8_t h[HF_ID_LEN];
	int ret;

	hf_buf_init(&obj, max);
	ret = hf_repo_get_hashed(r, kind, name, &obj, h);
	if (ret == -HF_E_LIMIT)
		ret = -HF_E_CORRUPT; /* larger than any object of this kind */
	if (ret == 0)
		ret = hf_object_open(r, magic, obj.data, obj.len, pt, session_key);
	if (ret == 0 && id)
		memcpy(id, h, HF_ID_LEN);
	hf_buf_release(&obj);
	return ret;
}
