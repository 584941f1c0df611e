/* quota.h — what each client of a repository server has stored, against
 * its quota (bytes and objects; hf_client). Usage is counted from the
 * receipts (receipt.h): the first time a client with a quota writes, the
 * server reads every receipt once to count what that client sent; after
 * that, accepted and deleted objects keep the count. Objects whose sender
 * is unknown count for nobody. Concurrent uploads are checked as their
 * bytes arrive, so a client can pass its quota by at most the uploads it
 * has in flight. Part of the server module. */
#ifndef HF_SERVER_QUOTA_H
#define HF_SERVER_QUOTA_H

#include <stdint.h>

#include "server/client.h"
#include "store/store.h"
#include "util/err.h"

struct hf_quota;
/* The repositories are the directories of ROOT/repos (a backing store's
 * too: ROOT/repos/<R> says it was made); open_receipts opens the receipt
 * store of one, wherever the server keeps it (a directory, an S3 prefix). */
typedef int (*hf_quota_open_fn)(void *arg, const char *repo, struct hf_store **out);
struct hf_quota *hf_quota_new(const char *root, hf_quota_open_fn open_receipts, void *arg);
void hf_quota_free(struct hf_quota *q);

/* 0 if the client may store `bytes` more bytes in `objects` more objects;
 * -EDQUOT if that would pass one of its quotas; an error if its usage
 * cannot be counted. Clients without quotas cost nothing. */
HF_MUST_USE int hf_quota_check(struct hf_quota *q, const struct hf_client *c, uint64_t bytes, uint64_t objects);
/* an object of `bytes` accepted from (sign 1) or deleted for (sign -1) the client */
void hf_quota_count(struct hf_quota *q, const char *client, int sign, uint64_t bytes);
/* the client's usage as counted (0 and 0 if not counted yet) */
void hf_quota_usage(struct hf_quota *q, const char *client, uint64_t *bytes, uint64_t *objects);

#endif
