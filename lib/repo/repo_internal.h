/* repo_internal.h — helpers shared by the repo module's files. */
#ifndef HF_REPO_INTERNAL_H
#define HF_REPO_INTERNAL_H

#include "crypto/crypto.h"
#include "repo/repo.h"

struct hf_store_entry;

#define HF_MAGIC_LEN 8
#define HF_MAGIC_KEY "HFKEY001"
#define HF_MAGIC_INDEX "HFIDX003"    /* version 3: id list with pack ordinals (index.c) */
#define HF_MAGIC_SNAPSHOT "HFSNP002" /* version 2: authenticated (object.h) */
#define HF_MAGIC_MARK "HFMRK002"     /* version 2: authenticated (object.h) */
#define HF_MAGIC_PACK "HFPCK001"
#define HF_MAGIC_PENDING "HFPND002" /* version 2: signed by the deletion key (pending.c) */
#define HF_PACK_TRAILER_LEN (HF_SEALED_KEY_LEN + 4 + HF_MAGIC_LEN)

/* Stores p under the hex SHA-256 of its bytes; an existing identical object
 * is success. id (may be NULL) receives the hash. */
int hf_repo_put_hashed(struct hf_repo *r, int kind, const void *p, size_t n, uint8_t id[HF_ID_LEN]);
/* Every object of `kind` that load (filling one elem-sized slot) accepts,
 * sorted by cmp; refused ones are counted in bad. origin (may be NULL) then
 * gets each loaded object's slot and its listing entry (arrival, sender). On an error (a listing
 * failure, -ENOMEM) a->v still holds the a->n objects loaded so far. */
struct hf_object_array {
	void *v;
	size_t n, cap, bad;
};
int hf_repo_load_all(struct hf_repo *r, int kind, size_t elem,
		     int (*load)(struct hf_repo *r, const char *name, void *obj),
		     void (*origin)(void *obj, const struct hf_store_entry *e), int (*cmp)(const void *, const void *),
		     struct hf_object_array *a);
/* Gets the object `name` of `kind` into obj and checks that its name is the
 * SHA-256 of its bytes (-HF_E_CORRUPT if not; -HF_E_NOTFOUND for a name
 * that is not 64 hex digits); id gets the decoded name. */
int hf_repo_get_hashed(struct hf_repo *r, int kind, const char *name, struct hf_buf *obj, uint8_t id[HF_ID_LEN]);
int hf_repo_put_hashed_flags(struct hf_repo *r, int kind, const void *p, size_t n, uint8_t id[HF_ID_LEN], int flags);

/* Envelope of index, snapshot and mark objects: magic | sealed session key |
 * AEAD(session key, ad = magic, payload). Not authenticated by itself (anyone
 * with the public key can make one): use object.h, which adds the tag. */
int hf_envelope_seal(struct hf_repo *r, const struct hf_session *s, const char *magic, const void *pt, size_t n,
		     struct hf_buf *out);
/* Opens an envelope (or the first part of one: *used gets the bytes consumed
 * when the AEAD part is prefixed by a u32 length, see index.c). */
int hf_envelope_open(struct hf_repo *r, const char *magic, const uint8_t *p, size_t n, struct hf_buf *pt,
		     uint8_t key[HF_KEY_LEN]);
/* hf_envelope_open into locked, wiped memory (index payloads: pack keys) */
int hf_envelope_open_secure(struct hf_repo *r, const char *magic, const uint8_t *p, size_t n, struct hf_secbuf *pt);

int hf_config_encode(const struct hf_repo_config *c, const uint8_t pk[HF_PK_LEN], struct hf_buf *out);
int hf_config_decode(const uint8_t *p, size_t n, struct hf_repo_config *c);

/* key files (keys.c); sk NULL makes a write-only key. Bounds on a key
 * file's Argon2id cost, checked when writing and reading: a damaged or
 * planted key file must not make unlocking take minutes or all memory. */
#define HF_KEY_OPS_MIN 1
#define HF_KEY_OPS_MAX 16
#define HF_KEY_MEM_MIN (8ull << 20)
#define HF_KEY_MEM_MAX (1ull << 30)
int hf_key_file_encode(const char *pass, size_t passlen, uint64_t ops, uint64_t mem, const uint8_t repo_id[32],
		       const uint8_t config_hash[32], const uint8_t pk[32], const uint8_t mac[32], const uint8_t *sk,
		       struct hf_buf *out);
int hf_key_file_decode(const char *pass, size_t passlen, const uint8_t *p, size_t n, uint8_t repo_id[32],
		       uint8_t config_hash[32], uint8_t pk[32], uint8_t mac[32], uint8_t sk[32], int *has_sk);
/* Checks a key file's layout and cost without running the KDF: 0 and its
 * kind (*has_sk) and Argon2id parameters, or -HF_E_CORRUPT. */
int hf_key_file_params(const uint8_t *p, size_t n, int *has_sk, uint64_t *ops, uint64_t *mem);
/* the work (ops × MiB) unlocking a key file takes; 0 if hf_key_file_params
 * refuses it */
uint64_t hf_key_file_cost(const uint8_t *p, size_t n);
struct hf_repo {
	struct hf_store *store;
	struct hf_repo_config cfg;
	uint8_t config_hash[HF_HASH_LEN];
	uint8_t *keys;            /* secure memory: mac | dedup | sk | auth (4 × 32) | sign_sk (64) */
	const uint8_t *mac_key;   /* chunk ids; also keys the gear table */
	const uint8_t *dedup_key; /* the index files' id list (write-only clients) */
	const uint8_t *sk;        /* NULL for a write-only key */
	const uint8_t *auth_key;  /* tags of index, snapshot and mark objects (object.h) */
	const uint8_t *sign_sk;   /* the deletion key's secret half; NULL for a write-only key */
	uint8_t pk[HF_PK_LEN];
	struct hf_chunker chunker;
	struct hf_index *index; /* NULL until hf_repo_load_index */
	/* on a remote store whose trees have packs of their own: those packs,
	 * whole, for every blob reader without a cache of its own
	 * (hf_repo_tree_cache); NULL otherwise */
	struct hf_pack_cache *tree_cache;
	/* the config asks for Object Lock and this store cannot give it (a copy
	 * of the bucket in a directory): readable, but hf_repo_lock_missing
	 * tells writers */
	int lock_missing;
	/* copies of the snapshot and index objects on the local disk (remote
	 * stores, hf_repo_cache_objects); NULL: none */
	struct hf_objcache *objcache;
	/* what the plans last listed name as gone (pending.c): the gone sets
	 * of one command's several listings come from one listing of pending/ */
	struct hf_pending_gone *gone;
	size_t ngone;
	int64_t gone_listed_ns; /* CLOCK_MONOTONIC; 0: not listed (or a plan written or deleted since) */
	/* an index object written through this handle since index/ was last
	 * listed (hf_repo_refresh_own_index); set and read with __atomic */
	int own_index_unlisted;
};

struct hf_index_pack {
	uint8_t id[HF_ID_LEN];
	uint32_t key;       /* number in the key table */
	uint32_t file;      /* the index object (number in files) that first listed it with this key */
	uint32_t next_same; /* another entry for the same pack id under another key, or UINT32_MAX */
};

/* The in-memory index: every distinct claim of every loaded index object, in
 * one array sorted by blob id (then pack, offset), so a blob's claims are
 * neighbours — several only when index objects disagree (a concurrent writer
 * stored the blob twice, or an object lies). A directory over the ids' first
 * bits narrows each lookup to a few entries. About 53 bytes per blob. */
struct hf_index {
	struct hf_index_entry *entries;
	size_t nentries, entries_cap;
	uint32_t *dir; /* dir[b]: the first entry whose id starts with the dir_bits bits b; 2^dir_bits + 1 */
	unsigned dir_bits;
	struct hf_idmap *pack_ids; /* pack id → uint32_t pack number (its first entry) */
	struct hf_index_pack *packs;
	size_t npacks, packs_cap;
	uint8_t *keys; /* secure memory, 32 bytes each */
	size_t nkeys, keys_cap;
	char **files; /* names of the index objects loaded */
	size_t nfiles;
	/* loaded from the id lists only (hf_repo_load_dedup): claims name the
	 * pack and nothing else of the location, and pack keys are zero */
	int dedup_only;
};

/* the in-memory index (index_table.c): a new one is empty (NULL if out of
 * memory); claims are appended (after hf_index_reserve made room), then
 * hf_index_seal sorts them and drops repeats — lookups need a sealed index */
HF_MUST_USE struct hf_index *hf_index_new(void);
void hf_index_free(struct hf_index *ix);
/* the pack table entry for (pack id, key): a pack listed again under the
 * same key is the same entry; under another key it is another, so that a
 * lying index object cannot change the key the honest ones gave */
HF_MUST_USE int hf_index_add_pack(struct hf_index *ix, const uint8_t *id, const uint8_t *key, uint32_t file,
				  uint32_t *out);
HF_MUST_USE int hf_index_reserve(struct hf_index *ix, size_t more);
void hf_index_append(struct hf_index *ix, const uint8_t id[HF_ID_LEN], const struct hf_blob_loc *loc);
void hf_index_seal(struct hf_index *ix);
/* one pack as an index object lists it */
struct hf_index_pack_entries {
	uint8_t pack_id[HF_ID_LEN];
	const uint8_t *key; /* the pack's session key */
	struct hf_pack_entry *entries;
	size_t n;
};

/* the main part of an index object listing the packs whole (index.c; for
 * tests and fuzz seeds: writers go through hf_index_builder_write) */
HF_MUST_USE int hf_index_main_encode(const struct hf_index_pack_entries *packs, size_t npacks, struct hf_buf *out);
/* adds the claims of one decrypted index object's main part (index.c) */
HF_MUST_USE int hf_index_parse(struct hf_index *ix, const uint8_t *p, size_t n, uint32_t file);
/* adds the dedup-only claims of one decrypted id list (index.c): blob id and
 * pack, no offset or length, pack key zero; all validated before any is added */
HF_MUST_USE int hf_index_parse_idlist(struct hf_index *ix, const uint8_t *p, size_t n, uint32_t file);

/* The plaintext payloads of snapshot and mark objects and of pack headers,
 * without their encryption (snapshot.c, mark.c, pack.c): what the loaders
 * use, exposed for the unit tests and fuzz targets. A decode checks every
 * field; on an error it leaves nothing to free (*s, *m zeroed; *entries
 * NULL). */
int hf_snapshot_encode(const struct hf_snapshot *s, struct hf_buf *b);
int hf_snapshot_decode(const uint8_t *p, size_t n, struct hf_snapshot *s);
struct hf_mark;
int hf_mark_encode(const struct hf_mark *m, struct hf_buf *b);
int hf_mark_decode(const uint8_t *p, size_t n, struct hf_mark *m);
int hf_pack_header_encode(const struct hf_pack_entry *e, size_t n, struct hf_buf *out);
/* data_len: the bytes of blobs before the header, which the entries (at
 * offsets from 0, each after the one before) must fit in */
int hf_pack_header_decode(const uint8_t *p, size_t n, uint64_t data_len, struct hf_pack_entry **entries, size_t *count);

void hf_id_hex(const uint8_t id[HF_ID_LEN], char out[HF_ID_HEX_LEN + 1]);

#endif
