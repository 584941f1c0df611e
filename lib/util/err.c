/* err.c — hf_strerror(): one place that turns error codes into messages.
 *
 * Accepts -errno and -HF_E_* (or their positive forms). Thread-safe: our own
 * codes come from a static table, errno texts from glibc's strerrordesc_np(),
 * and the rare unknown code is formatted into a thread-local buffer. */
#include <stdio.h>
#include <string.h>

#include "util/err.h"

static const char *const hf_err_msgs[HF_E_MAX - HF_E_BASE] = {
	[HF_E_CORRUPT - HF_E_BASE] = "repository data is corrupt",
	[HF_E_AUTH - HF_E_BASE] = "authentication failed (data was modified or the key is wrong)",
	[HF_E_PASSWORD - HF_E_BASE] = "wrong passphrase: no key file opens with it",
	[HF_E_VERSION - HF_E_BASE] = "unsupported repository format version",
	[HF_E_NOTFOUND - HF_E_BASE] = "not found",
	[HF_E_EXISTS - HF_E_BASE] = "already exists",
	[HF_E_LIMIT - HF_E_BASE] = "a size limit was exceeded",
	[HF_E_AMBIGUOUS - HF_E_BASE] = "ambiguous snapshot id prefix: it matches more than one snapshot",
	[HF_E_CHANGED - HF_E_BASE] = "file changed while it was being read",
	[HF_E_USAGE - HF_E_BASE] = "invalid argument",
	[HF_E_CANCELED - HF_E_BASE] = "canceled because another part of the operation failed",
	[HF_E_RACE - HF_E_BASE] = "a prune running at the same time deletes data this backup relies on; nothing was "
				  "saved, run it again",
	[HF_E_REFUSED - HF_E_BASE] = "the store refused the operation",
	[HF_E_LOCKED - HF_E_BASE] = "the object is locked against deletion until its retention date",
	[HF_E_UNAVAILABLE - HF_E_BASE] = "the store is unavailable; try again later",
	[HF_E_UNSAFE - HF_E_BASE] = "a prune running at the same time may delete data the new snapshot uses, and the "
				    "store would not let it be withdrawn: do not rely on it; run the backup again",
	[HF_E_MISSING - HF_E_BASE] = "missing from the repository",
	[HF_E_SCHEME - HF_E_BASE] = "store URL scheme not supported: use a directory path, file:/path, "
				    "https://server/repository or s3:http[s]://HOST[:PORT]/BUCKET[/PREFIX]",
	[HF_E_WRITEONLY - HF_E_BASE] = "this needs the full key; the key that opened the repository is write-only",
	[HF_E_RATE - HF_E_BASE] = "the server's limit for this client is reached (snapshots per hour, or uploads at "
				  "once): try again later",
	[HF_E_NODETECT - HF_E_BASE] = "content detection cannot start",
};

const char *hf_strerror(int err)
{
	static __thread char unknown[48];
	const char *s;
	long e = err < 0 ? -(long)err : (long)err; /* long: -INT_MIN does not fit an int */

	if (e == 0)
		return "success";
	if (e > HF_E_BASE && e < HF_E_MAX) {
		s = hf_err_msgs[e - HF_E_BASE];
		if (s)
			return s;
	} else if (e < HF_E_BASE) {
		s = strerrordesc_np((int)e);
		if (s)
			return s;
	}
	snprintf(unknown, sizeof(unknown), "unknown error %ld", e);
	return unknown;
}
