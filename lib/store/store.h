/* store.h — the storage vtable: named immutable objects.
 *
 * A repository is a handful of object kinds (config, keys, snapshots, index,
 * packs, marks), each a flat namespace of names. Objects are created once and
 * never changed: put is create-only and atomic (a reader sees all of an object or
 * none); an existing name gives -HF_E_EXISTS. remove exists for the retention
 * path (forget --prune) alone. Stores are chosen by URL (hf_store_open): a
 * local directory (store_local.c), an in-memory store for tests that can
 * inject faults (store_mem.c, store_mem.h), a holdfast server (https:,
 * store_http.c) and an S3 bucket (s3:, store_s3.c) implement the same
 * operations. Every store passes the contract
 * suite in tests/unit/test_store_contract.c. Object names and their relative
 * paths (keys) are shared by every store (store_names.c). All operations are
 * safe to call from several threads at once. */
#ifndef HF_STORE_H
#define HF_STORE_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/crypto.h"
#include "util/err.h"

struct hf_buf;

enum hf_obj_kind {
	HF_OBJ_CONFIG = 0,
	HF_OBJ_KEY,
	HF_OBJ_SNAPSHOT,
	HF_OBJ_INDEX,
	HF_OBJ_PACK,
	HF_OBJ_MARK,    /* marks/: pins and verdicts about snapshots (repo/mark.h) */
	HF_OBJ_PENDING, /* pending/: packs and index objects a prune will delete later */
	HF_OBJ_KINDS
};

#define HF_STORE_NAME_MAX 128

/* called for every object while listing; a non-zero return stops the listing
 * and is passed back */
typedef int (*hf_store_list_fn)(void *arg, const char *name, uint64_t size);

/* An object as a listing with origins gives it: when it arrived and who
 * sent it, as the store itself recorded them (a server's receipts), not as
 * any client claims. Stores that record neither give 0 and NULL. */
struct hf_store_entry {
	const char *name;
	uint64_t size;
	int64_t stored_ns;  /* by the store's clock; 0: not recorded */
	const char *sender; /* the store's client that sent it; NULL: not recorded */
};
typedef int (*hf_store_entry_fn)(void *arg, const struct hf_store_entry *e);

/* Signs msg with the repository's deletion key (only full keys have it);
 * 0, or < 0 (-HF_E_WRITEONLY without one). */
typedef int (*hf_store_sign_fn)(void *arg, const void *msg, size_t n, uint8_t sig[HF_SIGN_LEN]);

struct hf_store;
struct hf_store_writer; /* an object written piece by piece, named at commit */
struct hf_store_reader; /* an object kept open for many range reads */

/* Object Lock: a store that can lock objects (S3 with Object Lock) writes
 * each object with a retain-until date, period_s past the write by the
 * store's own clock; until then nobody can delete or overwrite it — in
 * COMPLIANCE mode not even the bucket's owner, in GOVERNANCE mode only a
 * user with the right to bypass it. */
enum hf_lock_mode { HF_LOCK_OFF = 0, HF_LOCK_GOVERNANCE, HF_LOCK_COMPLIANCE };
struct hf_store_lock {
	int mode; /* HF_LOCK_* */
	int64_t period_s;
};
#define HF_LOCK_PERIOD_MAX_S (100LL * 365 * 86400) /* S3 allows 100 years */

#define HF_PUT_NOSYNC \
	1 /* durable only after hf_store_sync: for packs, which no
			  * index names until the sync that precedes the index */
/* put and writer_commit: the name is the hex SHA-256 of the bytes (the
 * caller hashed them). A store that sends the hash along (S3's payload
 * hash and checksum) takes it from the name instead of hashing again, and
 * on a versioned bucket skips the HEAD that makes a PUT create-only (the
 * same name can only bring the same bytes); a wrong name fails the put
 * there (S3 checks the payload hash), never stores anything. Stores that
 * check nothing ignore it. */
#define HF_PUT_NAMED_BY_SHA256 2

struct hf_store_ops {
	int (*put)(struct hf_store *s, int kind, const char *name, const void *p, size_t n, int flags);
	int (*get)(struct hf_store *s, int kind, const char *name, struct hf_buf *out);
	int (*get_range)(struct hf_store *s, int kind, const char *name, uint64_t off, size_t n, void *out);
	int (*size)(struct hf_store *s, int kind, const char *name, uint64_t *size);
	/* when the object was stored, by the store's own clock (ns since 1970) */
	int (*mtime)(struct hf_store *s, int kind, const char *name, int64_t *ns);
	int (*list)(struct hf_store *s, int kind, hf_store_list_fn fn, void *arg);
	/* list with each object's origin; NULL for stores that record none */
	int (*list_entries)(struct hf_store *s, int kind, hf_store_entry_fn fn, void *arg);
	int (*remove)(struct hf_store *s, int kind, const char *name);
	int (*sync)(struct hf_store *s); /* makes every earlier NOSYNC put durable */
	/* Range reads of one object without finding it again each time. */
	int (*reader_open)(struct hf_store *s, int kind, const char *name, struct hf_store_reader **r);
	int (*reader_read)(struct hf_store_reader *r, uint64_t off, size_t n, void *out);
	void (*reader_close)(struct hf_store_reader *r);
	/* Streaming puts, for objects too large to hold in memory (packs).
	 * The contract asks for no rename, so a store without one (S3) can
	 * implement it:
	 *  - writer_open: the object has no name yet; nothing need be visible
	 *    in the store (S3 starts nothing, or a multipart upload).
	 *  - writer_write: appends bytes; where they wait is the store's
	 *    business (a temp file, memory, uploaded parts). An error leaves
	 *    the writer good only for abort.
	 *  - writer_commit(name): the first moment the name is known. The object
	 *    appears under its final name in one step, create-only as put
	 *    (-HF_E_EXISTS, old content kept), or not at all; the writer is freed
	 *    either way. S3 uploads the bytes (or completes the multipart upload)
	 *    under the final key with If-None-Match; the local store link()s its
	 *    temp file (link, not rename: rename would replace an existing name).
	 *  - writer_abort: discards everything, leaves no object.
	 * No caller renames or moves an object after commit. */
	int (*writer_open)(struct hf_store *s, int kind, struct hf_store_writer **w);
	int (*writer_write)(struct hf_store_writer *w, const void *p, size_t n);
	int (*writer_commit)(struct hf_store_writer *w, const char *name, int flags);
	void (*writer_abort)(struct hf_store_writer *w);
	void (*close)(struct hf_store *s);
	/* the time now by the store's own clock (ns since 1970): the clock of
	 * mtime, on which grace periods before deletion are measured */
	int (*now)(struct hf_store *s, int64_t *ns);
	/* removes what writes that never committed left behind (temporary
	 * objects) older than older_than_ns; NULL for stores that leave nothing */
	int (*sweep)(struct hf_store *s, int64_t older_than_ns, uint64_t *files, uint64_t *bytes);
	/* stores whose deletions need the full key's signature keep the
	 * signer; NULL for the others */
	void (*set_signer)(struct hf_store *s, hf_store_sign_fn fn, void *arg);
	/* stores that can check objects' tags take the tag key; NULL for the others */
	int (*offer_tag_key)(struct hf_store *s, const uint8_t key[HF_KEY_LEN]);
	/* Object Lock (S3), NULL for stores without: see hf_store_lock_* */
	int (*lock_available)(struct hf_store *s);
	int (*lock_set)(struct hf_store *s, const struct hf_store_lock *l);
	int (*lock_until)(struct hf_store *s, int kind, const char *name, int64_t *until_s);
	int (*lock_extend)(struct hf_store *s, int kind, const char *name, int64_t if_before_s, int64_t until_s);
	/* the store's last failed request in words (method, object, the
	 * server's answer, a hint), for the message of the command it made
	 * fail; NULL for stores whose errors say enough */
	size_t (*explain)(struct hf_store *s, char *out, size_t cap);
};

/* Capabilities: what a store can do, for the engine to plan around.
 *  CAN_DELETE   remove works (given permission). Without it, the store
 *               refuses deletion (-HF_E_REFUSED, an append-only server) and
 *               prune must not plan to free space; it leaves the pending/
 *               records for an operator with delete rights.
 *  OWN_CLOCK    now() and mtime() come from a clock of the store's own (a
 *               server's, S3's), not this machine's: grace periods measured
 *               on it hold even if this machine's clock is wrong. Either way
 *               the engine measures every age with now() against mtime(),
 *               never with this machine's time().
 *  APPEND_ONLY  the client may only add objects: remove is refused
 *               (-HF_E_REFUSED) as a matter of policy; deletion happens on the
 *               store's side. Implies no CAN_DELETE.
 *  REMOTE       every read is a request over a network (a server, S3): a
 *               restore reads whole packs once rather than many ranges
 *               (hf_pack_cache).
 *  RETENTION    objects can be under a retention lock (S3 Object Lock):
 *               remove of a locked object gives -HF_E_LOCKED until its date;
 *               the engine keeps such an object as pending and tries later.
 * A refused or locked remove is a state the engine records, not a failure. */
#define HF_STORE_CAN_DELETE 0x1u
#define HF_STORE_OWN_CLOCK 0x2u
#define HF_STORE_APPEND_ONLY 0x4u
#define HF_STORE_RETENTION 0x8u
#define HF_STORE_REMOTE 0x10u

struct hf_store {
	const struct hf_store_ops *ops;
	const char *location; /* for messages */
	unsigned caps;        /* HF_STORE_* */
};

/* The kind's name in URLs and listings ("config", "keys", "snapshots",
 * "index", "data", "marks", "pending"), and back (-HF_E_USAGE if none). */
const char *hf_store_kind_name(int kind);
int hf_store_kind_parse(const char *name);
/* 1 if name is one the stores accept for kind (hex of 2 to 64 characters,
 * or "config"); nothing else reaches a file system or a URL */
int hf_store_name_ok(int kind, const char *name);

/* Installs the signer a store needs for deletions (a server refuses any
 * deletion the full key did not sign); fn NULL removes it. Does nothing on
 * stores that need none. With a signer, a server client of the admin role
 * can delete (HF_STORE_CAN_DELETE), what is locked excepted. */
void hf_store_set_signer(struct hf_store *s, hf_store_sign_fn fn, void *arg);

/* Gives a store that can check them the key that tags the repository's
 * index, snapshot, mark and pending objects (object.h), so that it refuses
 * untagged ones at the door: a stolen server token without a key file then
 * adds nothing a reader would have to skip. A server takes it once, from an
 * admin, and only if it verifies the objects already there; 0 also when
 * the store needs none, has one, or this client may not give it. */
int hf_store_offer_tag_key(struct hf_store *s, const uint8_t key[HF_KEY_LEN]);

/* The message a deletion's signature covers, built the same by the server
 * and its clients: "holdfast delete v1", the repository's name on the
 * server, the kind, the object's name, a nonce the server issued and a
 * counter, so a captured signature deletes nothing else and nothing twice.
 * Its length; out has room for HF_DELETE_MSG_MAX bytes. */
#define HF_DELETE_NONCE_LEN 16
#define HF_DELETE_MSG_MAX 320
size_t hf_store_delete_message(const char *repo, int kind, const char *name, const uint8_t nonce[HF_DELETE_NONCE_LEN],
			       uint64_t counter, uint8_t out[HF_DELETE_MSG_MAX]);

/* What a store on a server needs besides its URL. */
struct hf_store_opts {
	const char *token;  /* the client's token (a repository server) */
	const char *cacert; /* PEM file of the certificate authority to trust; NULL: the system's */
	/* where a store that can say more than its error code (S3: wrong keys,
	 * no such bucket, unreachable) puts a sentence when it does not open;
	 * NULL: nowhere */
	char *why;
	size_t why_cap;
	/* a read-only view of the store as it was at this time (s since 1970,
	 * the store's clock), through object versions: S3 only; 0: now */
	int64_t as_of_s;
};

/* Opens the store a URL names:
 *   /abs/path, rel/path, file:/abs/path, file:///abs/path  the local directory store
 *   mem:NAME   the in-memory store NAME (tests; store_mem.h)
 *   https://HOST[:PORT]/REPO[?pin=sha256//BASE64]  a holdfast repository server
 *              (store_http.c; needs o->token; http: only to a loopback address)
 *   s3:http[s]://HOST[:PORT]/BUCKET[/PREFIX]  a prefix of an S3 bucket (store_s3.c;
 *              credentials from the AWS variables or ~/.aws; o->why explains a failure;
 *              o->as_of_s: the bucket as it was then, read-only, s3_asof.c)
 *   any other scheme://: -HF_E_SCHEME
 * create: make a new, empty store (-HF_E_EXISTS if one with objects is
 * there). Without create, a store without a config object gives
 * -HF_E_NOTFOUND. create HF_STORE_OPEN_LAYOUT (local and s3: only): a store
 * whose config may not be there yet (a server's repositories); an S3 prefix
 * then opens whatever it holds. o may be NULL (no server options). */
HF_MUST_USE int hf_store_open_opts(const char *url, int create, const struct hf_store_opts *o, struct hf_store **out);
HF_MUST_USE int hf_store_open(const char *url, int create, struct hf_store **out); /* no options */

/* Opens the directory store at dir. create 1: make the layout (dir must not
 * exist or be empty, else -HF_E_EXISTS). create 0: a directory without a
 * config object gives -HF_E_NOTFOUND. create HF_STORE_OPEN_LAYOUT: a made
 * layout whose config may not be there yet (the server's repositories,
 * which get their config from the client after creation). */
#define HF_STORE_OPEN_LAYOUT 2
HF_MUST_USE int hf_store_local_open(const char *dir, int create, struct hf_store **out);

static inline unsigned hf_store_caps(const struct hf_store *s)
{
	return s->caps;
}

HF_MUST_USE static inline int hf_store_put(struct hf_store *s, int kind, const char *name, const void *p, size_t n)
{
	return s->ops->put(s, kind, name, p, n, 0);
}
HF_MUST_USE static inline int hf_store_put_flags(struct hf_store *s, int kind, const char *name, const void *p,
						 size_t n, int flags)
{
	return s->ops->put(s, kind, name, p, n, flags);
}
HF_MUST_USE static inline int hf_store_sync(struct hf_store *s)
{
	return s->ops->sync(s);
}
HF_MUST_USE static inline int hf_store_get(struct hf_store *s, int kind, const char *name, struct hf_buf *out)
{
	return s->ops->get(s, kind, name, out);
}
HF_MUST_USE static inline int hf_store_get_range(struct hf_store *s, int kind, const char *name, uint64_t off, size_t n,
						 void *out)
{
	return s->ops->get_range(s, kind, name, off, n, out);
}
HF_MUST_USE static inline int hf_store_size(struct hf_store *s, int kind, const char *name, uint64_t *size)
{
	return s->ops->size(s, kind, name, size);
}
HF_MUST_USE static inline int hf_store_mtime(struct hf_store *s, int kind, const char *name, int64_t *ns)
{
	return s->ops->mtime ? s->ops->mtime(s, kind, name, ns) : -ENOTSUP;
}
HF_MUST_USE static inline int hf_store_now(struct hf_store *s, int64_t *ns)
{
	return s->ops->now ? s->ops->now(s, ns) : -ENOTSUP;
}
HF_MUST_USE static inline int hf_store_sweep(struct hf_store *s, int64_t older_than_ns, uint64_t *files,
					     uint64_t *bytes)
{
	*files = *bytes = 0;
	return s->ops->sweep ? s->ops->sweep(s, older_than_ns, files, bytes) : 0;
}
/* the last failed request in words into out; 0 (out "") if the store has none */
static inline size_t hf_store_explain(struct hf_store *s, char *out, size_t cap)
{
	if (cap)
		out[0] = '\0';
	return s->ops->explain && cap ? s->ops->explain(s, out, cap) : 0;
}
HF_MUST_USE static inline int hf_store_list(struct hf_store *s, int kind, hf_store_list_fn fn, void *arg)
{
	return s->ops->list(s, kind, fn, arg);
}
/* hf_store_list with origins (stored_ns 0 and sender NULL from stores that
 * record none) */
HF_MUST_USE int hf_store_list_entries(struct hf_store *s, int kind, hf_store_entry_fn fn, void *arg);
HF_MUST_USE static inline int hf_store_remove(struct hf_store *s, int kind, const char *name)
{
	return s->ops->remove(s, kind, name);
}
HF_MUST_USE static inline int hf_store_writer_open(struct hf_store *s, int kind, struct hf_store_writer **w)
{
	return s->ops->writer_open(s, kind, w);
}
HF_MUST_USE static inline int hf_store_reader_open(struct hf_store *s, int kind, const char *name,
						   struct hf_store_reader **r)
{
	return s->ops->reader_open(s, kind, name, r);
}
HF_MUST_USE int hf_store_reader_read(struct hf_store_reader *r, uint64_t off, size_t n, void *out);
void hf_store_reader_close(struct hf_store_reader *r); /* NULL-safe */
HF_MUST_USE int hf_store_writer_write(struct hf_store_writer *w, const void *p, size_t n);
HF_MUST_USE int hf_store_writer_commit(struct hf_store_writer *w, const char *name, int flags);
void hf_store_writer_abort(struct hf_store_writer *w); /* NULL-safe */
void hf_store_close(struct hf_store *s);               /* NULL-safe */

/* Object Lock. -HF_E_REFUSED from a store that cannot lock objects at all
 * (a local directory, a server), with the reason in a sentence for lock_available:
 *  lock_available  0 if objects can be locked here (the bucket has Object
 *                  Lock on); -HF_E_REFUSED if not
 *  lock_set        every put from now on is locked as l says (the repository
 *                  sets it from its config when it opens)
 *  lock_until      the object's retain-until date (store clock, s since
 *                  1970), 0 if it is not locked
 *  lock_extend     if the object's retain-until is before if_before_s, moves
 *                  it to until_s (never earlier: S3 refuses to shorten
 *                  COMPLIANCE); 1 if it moved, 0 if it did not need to */
HF_MUST_USE int hf_store_lock_available(struct hf_store *s);
HF_MUST_USE int hf_store_lock_set(struct hf_store *s, const struct hf_store_lock *l);
HF_MUST_USE int hf_store_lock_until(struct hf_store *s, int kind, const char *name, int64_t *until_s);
HF_MUST_USE int hf_store_lock_extend(struct hf_store *s, int kind, const char *name, int64_t if_before_s,
				     int64_t until_s);
/* "off", "governance", "compliance" and back (-HF_E_USAGE) */
const char *hf_lock_mode_name(int mode);
int hf_lock_mode_parse(const char *name);

#endif
