/* object.h — authenticated objects: the one way to write and read an object
 * that only a key holder may create (docs/FORMAT.md, "Authenticated objects").
 *
 * Index, snapshot and mark objects are sealed to the repository's public key,
 * which is in the (public) config: sealing alone proves nothing about the
 * writer. So every such object ends in a tag,
 *
 *   object = magic[8] | body | tag[32]
 *   tag    = HMAC-SHA256(auth key, magic | body)
 *   auth key = HMAC-SHA256(MAC key, "holdfast object auth")
 *
 * and the MAC key is held only by key files (full keys, kind 1, and
 * write-only keys, kind 2). A reader checks the tag before it looks at
 * anything else and refuses the object (-HF_E_AUTH) without it. The object's
 * name is the SHA-256 of all its bytes, tag included.
 *
 * For a new object kind: pick an 8-byte magic of its own (the magic is
 * covered by the tag, so it also keeps one kind from being passed off as
 * another), then
 *   writing:  hf_object_write(r, session, HF_OBJ_<KIND>, magic, payload, n, id)
 *   reading:  hf_object_read(r, HF_OBJ_<KIND>, name, magic, max, &payload, id, NULL)
 * which store the usual envelope (magic | session key sealed to pk |
 * AEAD(session key, ad = magic, payload)) plus the tag. Objects with parts of
 * their own after the envelope (index objects) use the lower-level
 * hf_object_tag_append / hf_object_tag_check around their own layout. */
#ifndef HF_REPO_OBJECT_H
#define HF_REPO_OBJECT_H

#include <stddef.h>
#include <stdint.h>

#include "repo/repo.h"

#define HF_OBJ_MAGIC_LEN 8
#define HF_OBJ_TAG_LEN 32
#define HF_OBJ_AUTH_LABEL "holdfast object auth" /* HMAC-SHA256(MAC key, label) = auth key */

/* Appends the tag over all of out's bytes (which must start with the
 * object's magic). */
HF_MUST_USE int hf_object_tag_append(const struct hf_repo *r, struct hf_buf *out);
/* Checks the tag at the end of p[0..n) in constant time. 0 and *body_len =
 * n - HF_OBJ_TAG_LEN if it is valid; -HF_E_CORRUPT if n is too short for
 * magic and tag; -HF_E_AUTH if the tag is wrong (forged, or damaged). */
HF_MUST_USE int hf_object_tag_check(const struct hf_repo *r, const uint8_t *p, size_t n, size_t *body_len);

/* In memory: out gets magic | sealed session key | AEAD(session key, ad =
 * magic, pt) | tag. Works with a write-only key. */
HF_MUST_USE int hf_object_seal(struct hf_repo *r, const struct hf_session *s, const char magic[HF_OBJ_MAGIC_LEN],
			       const void *pt, size_t n, struct hf_buf *out);
/* Checks magic (-HF_E_VERSION for the same kind in another version, else
 * -HF_E_CORRUPT) and tag (-HF_E_AUTH), then decrypts into pt. session_key
 * (may be NULL) receives the writer's session key. Needs the secret key
 * (-HF_E_USAGE with a write-only key). */
HF_MUST_USE int hf_object_open(struct hf_repo *r, const char magic[HF_OBJ_MAGIC_LEN], const uint8_t *p, size_t n,
			       struct hf_buf *pt, uint8_t session_key[HF_KEY_LEN]);

/* Seals pt and stores it under kind, named by the SHA-256 of the object;
 * id (may be NULL) receives that hash. An identical existing object is
 * success. */
HF_MUST_USE int hf_object_write(struct hf_repo *r, const struct hf_session *s, int kind,
				const char magic[HF_OBJ_MAGIC_LEN], const void *pt, size_t n, uint8_t id[HF_ID_LEN]);
/* Gets object `name` of kind (at most max bytes: -HF_E_CORRUPT if larger),
 * checks that it hashes to its name, then hf_object_open. id (may be NULL)
 * receives the decoded name. */
HF_MUST_USE int hf_object_read(struct hf_repo *r, int kind, const char *name, const char magic[HF_OBJ_MAGIC_LEN],
			       size_t max, struct hf_buf *pt, uint8_t id[HF_ID_LEN], uint8_t session_key[HF_KEY_LEN]);

#endif
