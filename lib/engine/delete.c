/* delete.c — the one way the engine deletes a stored object (prune, forget,
 * a backup withdrawing an unsafe snapshot). A store that refuses deletions
 * (append-only) or holds the object under a retention lock answers with a
 * state, not a failure: the object stays, and the caller counts it as kept. */
#include "engine/engine.h"
#include "repo/pending.h"
#include "store/store.h"
#include "util/err.h"

int hf_delete(struct hf_repo *r, int kind, const char *name)
{
	int ret = hf_store_remove(hf_repo_store(r), kind, name);

	if (kind == HF_OBJ_PENDING)
		hf_pending_changed(r); /* whatever the store said */

	if (ret == -HF_E_REFUSED || ret == -HF_E_LOCKED)
		return HF_DELETE_KEPT;
	if (ret == -HF_E_NOTFOUND || ret == -ENOENT)
		return HF_DELETE_ABSENT;
	return ret;
}
