/* pending.h — pending deletions: the packs a prune has condemned but not yet
 * deleted, and the objects whose deletion the store refused.
 *
 * Prune deletes in two phases so that it is safe beside backups that run
 * without locks (docs/DESIGN.md, Retention). The first phase writes a
 * pending-deletion object naming the packs no snapshot uses, with the time by
 * the store's own clock and the grace period; a prune run after that time plus
 * the grace deletes those packs that are still unused. Backups read the
 * pending objects: they never deduplicate against a condemned pack, and before
 * they report success they check that no pending object made after their start
 * has come due for a pack they rely on.
 *
 * A store with a retention lock (S3 Object Lock, a server's --lock-days)
 * refuses to delete an object until its date. The index objects a prune
 * replaced and the snapshots forget removed must then still count as gone,
 * or readers would load stale index claims (to packs deleted since) and
 * snapshots the policy dropped: a plan also names such objects, and readers
 * skip what any plan names (hf_pending_gone); each prune tries the deletions
 * again and drops the plan once its objects are all gone.
 *
 * The objects are not encrypted (pack names are visible in the store anyway),
 * so that write-only clients can read them, and carry the tag of
 * authenticated objects (object.h), so that nobody without a key can add one. */
#ifndef HF_REPO_PENDING_H
#define HF_REPO_PENDING_H

#include <stddef.h>
#include <stdint.h>

#include "repo/repo.h"

#define HF_PENDING_MAX_PACKS 32768 /* per object; a prune writes as many as it needs */

#define HF_PENDING_MAX_GONE 32768 /* objects named as gone per plan */

/* an object that counts as deleted though the store still holds it */
struct hf_pending_gone {
	uint8_t kind; /* HF_OBJ_INDEX or HF_OBJ_SNAPSHOT */
	uint8_t id[HF_ID_LEN];
};

struct hf_pending {
	uint8_t id[HF_ID_LEN]; /* the object's name (its SHA-256) */
	int64_t time_ns;       /* when the plan was made, by the store's clock */
	int64_t grace_ns;      /* its packs may be deleted from time_ns + grace_ns on */
	uint8_t (*packs)[HF_ID_LEN];
	size_t npacks;
	struct hf_pending_gone *gone; /* deleted now, whenever the store lets them go */
	size_t ngone;
};

/* Writes one or more objects condemning packs[0..n) at time_ns (store clock). */
HF_MUST_USE int hf_pending_write(struct hf_repo *r, int64_t time_ns, int64_t grace_ns,
				 const uint8_t (*packs)[HF_ID_LEN], size_t n);
/* Writes one or more plans naming gone[0..n) as deleted (no packs, no
 * grace): written once the store has refused to delete them. Needs the full key. */
HF_MUST_USE int hf_pending_write_gone(struct hf_repo *r, int64_t time_ns, const struct hf_pending_gone *gone, size_t n);
/* The ids of the objects of kind that some valid plan names as gone, into
 * a new set (*out; free with hf_idmap_free); damaged plans are ignored. As
 * of the last hf_pending_list of this handle if that was within
 * HF_PENDING_GONE_FRESH_NS and no plan was written or deleted through it
 * since (hf_pending_changed); else pending/ is listed now. */
#define HF_PENDING_GONE_FRESH_NS 60000000000LL
HF_MUST_USE int hf_pending_gone_set(struct hf_repo *r, int kind, struct hf_idmap **out);
/* a plan was written or deleted through r (hf_pending_write*, hf_delete):
 * the next gone set lists again */
void hf_pending_changed(struct hf_repo *r);
/* Loads every pending object, oldest first; damaged or forged ones are counted
 * in *bad (may be NULL) and ignored: they can only ever delay a deletion. */
HF_MUST_USE int hf_pending_list(struct hf_repo *r, struct hf_pending **out, size_t *n, size_t *bad);
void hf_pending_list_free(struct hf_pending *v, size_t n);
/* 1 if the plan may be carried out at store time now_ns */
HF_MUST_USE int hf_pending_due(const struct hf_pending *p, int64_t now_ns);

/* Encoding, for tests and fuzzing: out gets the complete object. */
HF_MUST_USE int hf_pending_encode(struct hf_repo *r, int64_t time_ns, int64_t grace_ns,
				  const uint8_t (*packs)[HF_ID_LEN], size_t n, struct hf_buf *out);
/* the same with objects named as gone (a version 3 plan when ngone > 0) */
HF_MUST_USE int hf_pending_encode_gone(struct hf_repo *r, int64_t time_ns, int64_t grace_ns,
				       const uint8_t (*packs)[HF_ID_LEN], size_t n, const struct hf_pending_gone *gone,
				       size_t ngone, struct hf_buf *out);
HF_MUST_USE int hf_pending_decode(struct hf_repo *r, const uint8_t *p, size_t n, struct hf_pending *out);
/* Appends the signature (the full key's: -HF_E_WRITEONLY otherwise) and the
 * tag to obj, magic and payload: what encode ends with, for fuzzing. */
HF_MUST_USE int hf_pending_seal(struct hf_repo *r, struct hf_buf *obj);

#endif
