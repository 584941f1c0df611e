/* repo.h — the holdfast repository format (see docs/FORMAT.md).
 *
 * Owns: the config object, key files, sessions (a fresh key per writer sealed
 * to the repository's public key), pack files, index files, tree blobs and
 * snapshot objects, and reading blobs back with full verification. Knows
 * nothing of file trees on disk or of pipelines: that is engine's job. */
#ifndef HF_REPO_H
#define HF_REPO_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#include "chunker/chunker.h"
#include "crypto/crypto.h"
#include "detect/detect.h"
#include "fs/fs.h"
#include "util/buf.h"
#include "util/idmap.h"

struct hf_store;
struct hf_store_writer;
struct hf_store_reader;
struct hf_sha256_ctx;
struct hf_aead;
struct hf_zctx;

#define HF_REPO_VERSION 3
#define HF_ID_HEX_LEN (2 * HF_ID_LEN)
#define HF_PACK_SIZE_DEFAULT (16u << 20)
#define HF_BLOB_MAX (64u << 20)      /* largest blob (plaintext) a reader accepts */
#define HF_META_OBJ_MAX (256u << 20) /* largest index or snapshot object */

enum hf_blob_type { HF_BLOB_DATA = 0, HF_BLOB_TREE = 1 };
#define HF_BLOB_F_ZSTD 1u

/* ---- config and keys ---------------------------------------------------- */

struct hf_repo_config {
	uint32_t version;
	uint8_t id[HF_ID_LEN];
	uint32_t chunk_min, chunk_avg, chunk_max;
	uint32_t pack_size;
	int zlevel;
	/* Ed25519 public key of the deletion key pair, which only full keys
	 * derive: what a store that enforces retention verifies deletions and
	 * unpins with (FORMAT.md, config) */
	uint8_t delete_key[HF_SIGN_PK_LEN];
	/* Object Lock (store.h, HF_LOCK_*): every object is written locked for
	 * lock_period_s by the store's clock; HF_LOCK_OFF (0): not asked for */
	int lock_mode;
	int64_t lock_period_s;
};

struct hf_repo_params { /* for hf_repo_create; zero fields take defaults */
	uint32_t chunk_min, chunk_avg, chunk_max;
	uint32_t pack_size;
	int zlevel;
	uint64_t kdf_ops, kdf_mem;
	/* Object Lock for every object (HF_LOCK_*, store.h); the store must
	 * offer it (-HF_E_REFUSED otherwise), and the config records it */
	int lock_mode;
	int64_t lock_period_s;
};

struct hf_index;

/* An open repository: its store, configuration and keys (the layout is
 * private to lib/repo). */
struct hf_repo;

/* Signs msg with the repository's deletion key (only a full key has it:
 * -HF_E_WRITEONLY otherwise); verify checks a signature against the
 * config's delete_key (0 or -HF_E_AUTH). Callers put a domain label of
 * their own first in msg. */
HF_MUST_USE int hf_repo_sign(const struct hf_repo *r, const void *msg, size_t n, uint8_t sig[HF_SIGN_LEN]);
HF_MUST_USE int hf_repo_verify(const struct hf_repo *r, const void *msg, size_t n, const uint8_t sig[HF_SIGN_LEN]);
struct hf_store *hf_repo_store(const struct hf_repo *r);
const struct hf_repo_config *hf_repo_config(const struct hf_repo *r);
/* 1 if the config asks for Object Lock and the store cannot lock objects (a
 * copy of the bucket in a directory): reading works, writing would store
 * objects unlocked, so commands that write refuse */
int hf_repo_lock_missing(const struct hf_repo *r);
const struct hf_chunker *hf_repo_chunker(const struct hf_repo *r);
/* NULL until hf_repo_load_index */
struct hf_index *hf_repo_index(const struct hf_repo *r);

HF_MUST_USE int hf_repo_create(struct hf_store *st, const char *pass, size_t passlen, const struct hf_repo_params *p,
			       uint8_t repo_id[HF_ID_LEN]);
/* Opens with the first key file the passphrase unlocks (-HF_E_PASSWORD if
 * none). Takes ownership of st, also on failure. */
HF_MUST_USE int hf_repo_open(struct hf_store *st, const char *pass, size_t passlen, struct hf_repo **out);
/* hf_repo_open, and on failure a message for the user in why[0..cap) when
 * there is more to say than hf_strerror(return value) (why[0] = 0 if not):
 * the repository version found, or which key files are damaged (-HF_E_CORRUPT
 * when no key file could even be parsed; -HF_E_PASSWORD when some could and
 * none opened with the passphrase). */
HF_MUST_USE int hf_repo_open_why(struct hf_store *st, const char *pass, size_t passlen, struct hf_repo **out, char *why,
				 size_t cap);
/* hf_repo_open_why with the one key file key[0..n) (kind 1 or 2, read from
 * outside the repository: --key-file) instead of those in keys/. Its repo id
 * and config hash must match the repository's config (-HF_E_CORRUPT, with
 * why[] saying so). Takes ownership of st, also on failure. */
HF_MUST_USE int hf_repo_open_key(struct hf_store *st, const uint8_t *key, size_t n, const char *pass, size_t passlen,
				 struct hf_repo **out, char *why, size_t cap);
/* 1 if the repository was opened with a write-only key (kind 2): it can add
 * packs, index, snapshot and mark objects, and read nothing back */
int hf_repo_write_only(const struct hf_repo *r);
/* On a remote store (S3, a server): keeps copies of the snapshot, index and
 * mark objects in dir/<repository id>/{snapshots,index,marks} and reads
 * those instead of fetching every one at every listing (objcache.c; with a
 * write-only key, the end of each index object that holds its id list,
 * index.c). Nothing on a local store.
 * 0, or an error if the directory cannot be made (the repository then
 * fetches, as without). */
int hf_repo_cache_objects(struct hf_repo *r, const char *dir);
/* A new write-only key file (kind 2) for the open repository, wrapped under
 * pass with the default Argon2id cost: public key and MAC key, no secret key.
 * out gets the file's bytes; the caller decides where they go. */
HF_MUST_USE int hf_repo_write_only_key(const struct hf_repo *r, const char *pass, size_t passlen, struct hf_buf *out);
/* the key of a write-only client's local cache (lib/engine/backup_cache.c):
 * HMAC-SHA256(MAC key, "holdfast local cache") */
void hf_repo_cache_key(const struct hf_repo *r, uint8_t out[HF_KEY_LEN]);
void hf_repo_close(struct hf_repo *r);

/* ---- sessions ----------------------------------------------------------- */

/* A writer's session: a fresh random key, and that key sealed to the
 * repository's public key. Every pack, index and snapshot the session writes
 * is encrypted with it. */
struct hf_session {
	uint8_t *key; /* secure memory */
	uint8_t sealed[HF_SEALED_KEY_LEN];
};
HF_MUST_USE int hf_session_new(struct hf_repo *r, struct hf_session **out);
void hf_session_free(struct hf_session *s);

/* ---- index (in memory) ---------------------------------------------------- */

struct hf_blob_loc {
	uint32_t pack; /* number in the index's pack table */
	uint32_t offset;
	uint32_t stored_len;
	uint32_t raw_len;
	uint8_t type;
	uint8_t flags;
};

/* one claim: an index object says blob `id` is at `loc` */
struct hf_index_entry {
	uint8_t id[HF_ID_LEN];
	struct hf_blob_loc loc;
};

/* The in-memory index (struct hf_index, index_table.c): every distinct claim
 * of every loaded index object, and the packs they name with their keys. Its
 * layout is private to the repo module; the functions below read it. */

/* Writers put at most this many blobs in one index object, so that every
 * object is a few MiB however large the backup (readers accept up to
 * HF_META_OBJ_MAX, for objects written before the bound). */
#define HF_INDEX_OBJ_BLOBS 65536

/* Loads every index object. Damaged index objects are skipped and counted in
 * *bad (may be NULL); their names go to bad_fn if given. Needs the full key
 * (-HF_E_WRITEONLY). */
HF_MUST_USE int hf_repo_load_index(struct hf_repo *r, size_t *bad, void (*bad_fn)(void *arg, const char *name, int err),
				   void *arg);
/* Loads the dedup-only index, what a write-only key can know: from each index
 * object only its id list, read from the object's tail (size, the last 36
 * bytes, then the id list; never the rest), decrypted under the dedup key.
 * Claims give the blob id and the pack (hf_index_pack_id); offsets, lengths
 * and pack keys are zero, so nothing can be read through it. The object's tag
 * and name cannot be checked without all of its bytes: the id list's AEAD is
 * what authenticates it. hf_repo_refresh_index then adds id lists too. */
HF_MUST_USE int hf_repo_load_dedup(struct hf_repo *r, size_t *bad, void (*bad_fn)(void *arg, const char *name, int err),
				   void *arg);
/* 1 if ix was loaded by hf_repo_load_dedup */
int hf_index_dedup_only(const struct hf_index *ix);
/* Adds the index objects written since the index was loaded (by this
 * process's backup, or another writer); damaged ones are skipped. */
HF_MUST_USE int hf_repo_refresh_index(struct hf_repo *r);
/* The same, only if this handle wrote an index object since index/ was last
 * listed (else 0 at once): for a reader that needs its own writes and no
 * other writer's, without another listing of the store. */
HF_MUST_USE int hf_repo_refresh_own_index(struct hf_repo *r);
/* The first location claimed for a blob; NULL if no index object lists it. */
const struct hf_blob_loc *hf_index_find(const struct hf_index *ix, const uint8_t id[HF_ID_LEN]);
/* The claim for blob id after prev (a result of hf_index_find or of this
 * function for the same id), NULL after the last: a reader that finds a
 * claim wrong tries the next. */
const struct hf_blob_loc *hf_index_find_next(const struct hf_index *ix, const uint8_t id[HF_ID_LEN],
					     const struct hf_blob_loc *prev);
/* how many distinct claims there are for the blob (0 if none) */
size_t hf_index_claims(const struct hf_index *ix, const uint8_t id[HF_ID_LEN]);
/* Every claim of every blob, in id order: *pos starts at 0; returns 0 at the end. */
HF_MUST_USE int hf_index_next(const struct hf_index *ix, size_t *pos, const uint8_t **id,
			      const struct hf_blob_loc **loc);
/* 1 if no pack holds both trees and file data (every repository written
 * since trees got packs of their own) */
HF_MUST_USE int hf_index_trees_apart(const struct hf_index *ix);
/* the number of claims, and the position (0 .. count-1) of the claim loc:
 * callers keep per-claim state in an array or bitmap of that many */
size_t hf_index_count(const struct hf_index *ix);
size_t hf_index_pos(const struct hf_index *ix, const struct hf_blob_loc *loc);
/* the name of the index object that made the claim loc (for messages) */
const char *hf_index_claim_file(const struct hf_index *ix, const struct hf_blob_loc *loc);
/* the claim at a position (0 .. hf_index_count − 1) */
const struct hf_index_entry *hf_index_at(const struct hf_index *ix, size_t pos);
/* The pack table: an entry per (pack id, key) named by some index object,
 * numbered 0 .. hf_index_npacks − 1 in the order they were loaded. */
size_t hf_index_npacks(const struct hf_index *ix);
const uint8_t *hf_index_pack_id(const struct hf_index *ix, size_t k);
const uint8_t *hf_index_pack_key(const struct hf_index *ix, size_t k); /* secure memory */
/* the first entry for a pack id, and the next one for the same id (the same
 * pack under another key); UINT32_MAX when there is none (more) */
uint32_t hf_index_pack_first(const struct hf_index *ix, const uint8_t id[HF_ID_LEN]);
uint32_t hf_index_pack_next(const struct hf_index *ix, uint32_t k);
/* the index objects loaded, by name */
size_t hf_index_nfiles(const struct hf_index *ix);
const char *hf_index_file(const struct hf_index *ix, size_t i);

/* ---- pack writing -------------------------------------------------------- */

struct hf_pack_entry {
	uint8_t id[HF_ID_LEN];
	uint8_t type, flags;
	uint32_t offset, stored_len, raw_len;
};

/* Blobs for one pack, streamed to the store as they are added (only about
 * 1 MiB is held in memory) while their entries are collected for the pack
 * header. One per thread; finished packs' entries go to an hf_index_builder. */
struct hf_pack_writer;
/* Everything written in a session that an index object must list. Shared by
 * threads. The pack keys it holds live in locked, wiped memory. */
struct hf_index_builder;

struct hf_pack_writer *hf_pack_writer_new(struct hf_repo *r, const struct hf_session *s);
void hf_pack_writer_free(struct hf_pack_writer *w); /* a pack not flushed is discarded */
/* Encrypts payload (already compressed if flags say so) into the pack. */
HF_MUST_USE int hf_pack_add(struct hf_pack_writer *w, const uint8_t id[HF_ID_LEN], int type, int flags,
			    const void *payload, size_t n, uint32_t raw_len);
HF_MUST_USE int hf_pack_full(const struct hf_pack_writer *w);
size_t hf_pack_writer_blobs(const struct hf_pack_writer *w); /* in the pack being written */
/* Writes the pack (if not empty) to the store and hands its entries to b. */
HF_MUST_USE int hf_pack_flush(struct hf_pack_writer *w, struct hf_index_builder *b);

struct hf_index_builder *hf_index_builder_new(struct hf_repo *r, const struct hf_session *s);
void hf_index_builder_free(struct hf_index_builder *b);
/* Adds a pack: its session key (copied), its entries (b takes ownership)
 * and the bytes this session stored for it (0 for an existing pack prune
 * keeps without rewriting it). */
void hf_index_builder_add(struct hf_index_builder *b, const uint8_t pack_id[HF_ID_LEN], const uint8_t key[HF_KEY_LEN],
			  struct hf_pack_entry *entries, size_t n, uint64_t bytes_stored);
/* packs and blobs added and not yet written (safe beside adding threads) */
void hf_index_builder_pending(const struct hf_index_builder *b, size_t *packs, size_t *blobs);
/* the id of pending pack i (i < the pending packs; not beside adding threads) */
const uint8_t *hf_index_builder_pack_id(const struct hf_index_builder *b, size_t i);
uint64_t hf_index_builder_bytes_stored(const struct hf_index_builder *b); /* every pack added so far */
/* Writes index objects (of at most HF_INDEX_OBJ_BLOBS blobs each) listing
 * every pack handed to b so far, then forgets them (so it can be called
 * periodically). */
HF_MUST_USE int hf_index_builder_write(struct hf_index_builder *b);

/* ---- reading blobs ---------------------------------------------------------- */

#define HF_BLOB_READER_PACKS 8

/* stored bytes read ahead by hf_blob_prefetch: spans of packs, each one
 * range read, kept until the next prefetch */
struct hf_blob_ahead {
	struct hf_buf buf;
	struct hf_blob_span {
		uint32_t pack;
		uint32_t offset, len;
		size_t at; /* where its bytes start in buf */
	} * spans;
	size_t nspans;
};

/* Whole packs in memory, shared by the blob readers of several threads
 * (pack_cache.c): for a store where every read is a request (a server,
 * S3), a pack's first read fetches all of it and later reads are served
 * from memory. At most slots packs are held (least recently used out); if
 * packs come back after eviction too often, the cache turns off. Up to
 * `ahead` more slots hold packs fetched ahead (hf_pack_cache_ahead). */
struct hf_pack_cache;
HF_MUST_USE struct hf_pack_cache *hf_pack_cache_new(struct hf_repo *r, size_t slots, size_t ahead);
void hf_pack_cache_free(struct hf_pack_cache *c);
/* n bytes at off of pack number `pack` (in the index's pack table): 0, or
 * an error (-EAGAIN: the cache is off or full; any error: read it another way) */
HF_MUST_USE int hf_pack_cache_read(struct hf_pack_cache *c, uint32_t pack, uint64_t off, size_t n, void *out);
/* the same bytes without a copy: *at points into the cache until
 * hf_pack_cache_let_go(h), and the pack stays until then */
struct hf_pack_hold {
	struct cache_slot *slot;
};
HF_MUST_USE int hf_pack_cache_hold(struct hf_pack_cache *c, uint32_t pack, uint64_t off, size_t n, const uint8_t **at,
				   struct hf_pack_hold *h);
void hf_pack_cache_let_go(struct hf_pack_cache *c, struct hf_pack_hold *h);
/* The repository's cache of tree packs (NULL: none): on a remote store
 * whose trees have packs of their own, a blob reader without a cache of its
 * own reads trees through it, so that walking a snapshot (check, scan,
 * prune, lock extend, ls) fetches each tree pack once instead of making a
 * request per directory. Made when the index is loaded, gone with it. */
struct hf_pack_cache *hf_repo_tree_cache(struct hf_repo *r);
/* Empties it (a new one for the index loaded now): whenever the index is
 * replaced, and by a process that keeps the repository open between
 * operations (the watcher), so that it does not hold tree packs meanwhile. */
void hf_repo_tree_cache_reset(struct hf_repo *r);
/* pack will be read soon: fetched in the background if a slot for packs
 * ahead is free (waiting up to 2 s for one, and while as many fetches as the
 * link takes are on their way); otherwise nothing */
void hf_pack_cache_ahead(struct hf_pack_cache *c, uint32_t pack);

struct hf_blob_reader { /* one per thread */
	struct hf_repo *repo;
	struct hf_aead *aead;
	struct hf_zctx *z;
	struct hf_buf enc;    /* decrypted, still compressed */
	struct hf_buf stored; /* as read from the pack */
	struct {              /* packs kept open: restores read many blobs of each */
		uint32_t pack;
		struct hf_store_reader *r;
	} open[HF_BLOB_READER_PACKS];
	unsigned next_slot;
	struct hf_blob_ahead ahead;  /* what hf_blob_prefetch read */
	struct hf_pack_cache *cache; /* shared whole packs, or NULL (hf_blob_reader_init sets none) */
};
void hf_blob_reader_init(struct hf_blob_reader *br, struct hf_repo *r);
void hf_blob_reader_release(struct hf_blob_reader *br);
/* Reads, decrypts, decompresses and verifies (MAC of the plaintext equals the
 * id) one blob, trying each location the index claims for it until one
 * verifies. -HF_E_NOTFOUND if no index lists it; else the first claim's
 * error if none verifies. */
HF_MUST_USE int hf_blob_read(struct hf_blob_reader *br, const uint8_t id[HF_ID_LEN], struct hf_buf *out);
/* Reads ahead the stored bytes of blobs that are about to be read, in as
 * few range reads as it can: the first claims of ids[0..n) are sorted by
 * pack and offset, and claims that are adjacent or close (a gap of at most
 * HF_BLOB_PREFETCH_GAP) are read as one span. It takes a prefix of ids whose
 * spans fit HF_BLOB_PREFETCH_MAX bytes, of at most HF_BLOB_PREFETCH_IDS ids
 * (always at least one id; n can be large, the work is the prefix's) and returns
 * its length; hf_blob_read then decodes those blobs from memory. What it
 * read before is dropped. A failed read ahead is no error: the blobs it
 * would have held are read one by one, and their errors reported then. */
#define HF_BLOB_PREFETCH_MAX (4u << 20)
#define HF_BLOB_PREFETCH_GAP (64u << 10)
#define HF_BLOB_PREFETCH_IDS 4096 /* ids one prefetch looks at, at most */
size_t hf_blob_prefetch(struct hf_blob_reader *br, const uint8_t *const *ids, size_t n);
/* Exchanges the reader's read-ahead with *a: a caller that reads ahead for
 * later (the trees of a directory's subdirectories) keeps it aside while
 * the reader reads ahead for other things, and swaps it back to read from
 * it. a starts empty (hf_blob_ahead_init) and is released with
 * hf_blob_ahead_release. */
void hf_blob_ahead_init(struct hf_blob_ahead *a);
void hf_blob_ahead_release(struct hf_blob_ahead *a);
void hf_blob_ahead_swap(struct hf_blob_reader *br, struct hf_blob_ahead *a);
/* hf_blob_read from claims of the given type only (enum hf_blob_type; -1 any) */
HF_MUST_USE int hf_blob_read_type(struct hf_blob_reader *br, const uint8_t id[HF_ID_LEN], int type, struct hf_buf *out);
/* Decodes a blob whose stored bytes are already in memory. */
HF_MUST_USE int hf_blob_decode(struct hf_blob_reader *br, const uint8_t id[HF_ID_LEN], const struct hf_blob_loc *loc,
			       const uint8_t *stored, struct hf_buf *out);
/* Chunk id of plaintext: HMAC-SHA256 under the MAC key */
void hf_repo_blob_id(const struct hf_repo *r, const void *p, size_t n, uint8_t id[HF_ID_LEN]);

/* Reads and parses the pack's trailer and header (for check). `expect`:
 * about how many entries it has (the index's claims), so that both come in
 * one read when it is right; 0 if not known (two reads). */
HF_MUST_USE int hf_pack_read_header(struct hf_repo *r, struct hf_aead *aead, const char *name, uint64_t size,
				    size_t expect, struct hf_pack_entry **entries, size_t *n);

/* ---- trees ----------------------------------------------------------------- */

enum hf_part_kind { HF_PART_DATA = 0, HF_PART_HOLE = 1 };

struct hf_part {
	uint8_t id[HF_ID_LEN]; /* data parts */
	uint64_t len;
	uint8_t kind;
};

/* 1 if two part lists describe the same content (same kinds, lengths and
 * data ids, in order) */
HF_MUST_USE int hf_parts_equal(const struct hf_part *a, size_t na, const struct hf_part *b, size_t nb);

struct hf_node {
	char *name; /* NUL-terminated byte string, never contains '/' */
	struct hf_meta meta;
	uint8_t subtree[HF_ID_LEN]; /* directories */
	struct hf_part *parts;      /* regular files */
	size_t nparts;
	/* regular files: the content profile of this version (detect.h), when
	 * has_profile; tree version 1 blobs have none */
	uint8_t has_profile;
	struct hf_profile profile;
};

struct hf_tree {
	struct hf_node *nodes; /* sorted by name (memcmp order) */
	size_t n;
};

HF_MUST_USE int hf_tree_encode(const struct hf_tree *t, struct hf_buf *out);
/* Rejects (-HF_E_CORRUPT) names that are empty, ".", "..", contain '/' or NUL,
 * unsorted or duplicate names, and any malformed field. */
HF_MUST_USE int hf_tree_decode(const void *p, size_t n, struct hf_tree *out);
void hf_tree_release(struct hf_tree *t);
void hf_node_release(struct hf_node *node);
HF_MUST_USE int hf_tree_load(struct hf_blob_reader *br, const uint8_t id[HF_ID_LEN], struct hf_tree *out);
/* binary search by name; NULL if absent */
const struct hf_node *hf_tree_find(const struct hf_tree *t, const char *name);

/* ---- snapshots -------------------------------------------------------------- */

#define HF_SNAPSHOT_SENDER_MAX 64

struct hf_snapshot {
	uint8_t id[HF_ID_LEN];
	int64_t time_ns;
	char *host, *user;
	char **paths;
	size_t npaths;
	uint8_t tree[HF_ID_LEN];
	int has_parent;
	uint8_t parent[HF_ID_LEN];
	char **excludes;
	size_t nexcludes;
	uint64_t files, dirs, bytes; /* totals of the snapshot's tree */
	uint32_t errors;             /* files that could not be read */
	/* SHA-256 of the writer's session key (not stored: derived on load);
	 * tells prune which packs belong to a finished backup */
	uint8_t session_fp[HF_HASH_LEN];
	/* Not stored in it either: what the store recorded when it arrived (a
	 * server's receipt), which no client can set. 0 and "" from stores
	 * that record nothing (a local directory). */
	int64_t stored_ns;                       /* by the store's clock */
	char sender[HF_SNAPSHOT_SENDER_MAX + 1]; /* the store's client that sent it */
	unsigned flags;                          /* HF_SNAP_* */
};

/* flags: what a reader should doubt about a snapshot */
#define HF_SNAP_TIME_SKEW 1u      /* its claimed time is far from its arrival */
#define HF_SNAP_UNKNOWN_SENDER 2u /* the store has no record of who sent it */
/* How far a snapshot's claimed time may be from its arrival at a store with
 * a clock of its own before it is flagged: 10 minutes ahead (clocks
 * differ), 7 days behind (a first backup of a large server takes days). */
#define HF_SNAPSHOT_SKEW_AHEAD_NS (600LL * 1000000000)
#define HF_SNAPSHOT_SKEW_BEHIND_NS (7LL * 24 * 3600 * 1000000000)
/* The time retention, "latest" and the order of snapshots go by: the
 * arrival when the store recorded one, else the claimed time. */
static inline int64_t hf_snapshot_when(const struct hf_snapshot *s)
{
	return s->stored_ns ? s->stored_ns : s->time_ns;
}

/* Encrypts and stores s; fills s->id. */
HF_MUST_USE int hf_snapshot_write(struct hf_repo *r, const struct hf_session *ses, struct hf_snapshot *s);
HF_MUST_USE int hf_snapshot_load(struct hf_repo *r, const char *name, struct hf_snapshot *s);
void hf_snapshot_release(struct hf_snapshot *s);
/* All snapshots, oldest first (by hf_snapshot_when), with their origin and
 * flags. Damaged ones are skipped and counted in *bad. */
HF_MUST_USE int hf_snapshot_list(struct hf_repo *r, struct hf_snapshot **out, size_t *n, size_t *bad);
void hf_snapshot_list_free(struct hf_snapshot *s, size_t n);
/* "latest", or a unique hex prefix of ≥ 4 characters. "latest" is the
 * newest snapshot whose time is not in doubt (hf_snapshot_time_doubtful);
 * only if every snapshot's is, the newest of all. */
HF_MUST_USE int hf_snapshot_resolve(struct hf_repo *r, const char *ref, struct hf_snapshot *out);

/* How far ahead of the reader's clock a snapshot's claimed time may be and
 * still count as the latest or as a backup's parent (clocks of hosts differ):
 * one day. A snapshot claiming a later time (a forged or broken clock, or a
 * compromised client with a key) cannot steer which snapshot is "latest" or
 * which one the next backup compares against. */
#define HF_SNAPSHOT_FUTURE_TOLERANCE_NS (24LL * 3600 * 1000000000)
/* 1 if s's time is in doubt: the store flagged it (HF_SNAP_TIME_SKEW), or
 * it is more than the tolerance after now_ns */
HF_MUST_USE int hf_snapshot_time_doubtful(const struct hf_snapshot *s, int64_t now_ns);
/* the reader's clock (CLOCK_REALTIME, ns since 1970) */
int64_t hf_snapshot_clock_now(void);

#endif
