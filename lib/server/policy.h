/* policy.h — what each role of a repository server's client may do: the one
 * table the server consults before any request touches the store.
 *
 *   backup   creates new objects and reads what a write-only client needs
 *            (config, its key files by name, prune plans, index id lists,
 *            listings of packs and indexes); never reads stored data or
 *            snapshots, never deletes
 *   restore  reads everything, writes nothing
 *   admin    everything, and deletion when a full-key signature comes with
 *            it and the object is past its lock (checked elsewhere)
 * Part of the server module. */
#ifndef HF_SERVER_POLICY_H
#define HF_SERVER_POLICY_H

#include "util/err.h"

enum hf_role { HF_ROLE_BACKUP = 1, HF_ROLE_RESTORE = 2, HF_ROLE_ADMIN = 3 };

enum hf_op {
	HF_OP_LIST = 1,   /* names, sizes, arrival times of one kind */
	HF_OP_GET,        /* an object's bytes (whole or a range) */
	HF_OP_HEAD,       /* an object's size, arrival time and sender */
	HF_OP_GET_IDLIST, /* the dedup id list of an index object */
	HF_OP_PUT,        /* create a new object */
	HF_OP_DELETE,     /* remove an object */
	HF_OP_CREATE,     /* create a repository */
};

/* 0 if the role may do op on objects of kind (enum hf_obj_kind; ignored for
 * HF_OP_CREATE), else -HF_E_REFUSED. A key file a backup client may read is
 * one it names (a GET); that it cannot list keys is the point. */
HF_MUST_USE int hf_policy_check(int role, int op, int kind);

const char *hf_role_name(int role);  /* "backup", "restore", "admin"; NULL otherwise */
int hf_role_parse(const char *name); /* the role, or -HF_E_USAGE */

#endif
