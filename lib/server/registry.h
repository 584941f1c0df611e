/* registry.h — the server's client records on disk: ROOT/clients/<name>,
 * one small file each (client.h has the format), mode 0600. Written to a
 * temporary file, synced, then linked (a new client: never over an
 * existing one) or renamed into place (a new token for an existing one),
 * so a crash leaves the old record or the new one, never half of one.
 * Part of the server module. */
#ifndef HF_SERVER_REGISTRY_H
#define HF_SERVER_REGISTRY_H

#include "server/client.h"
#include "util/err.h"

/* -HF_E_EXISTS if the client is there already */
HF_MUST_USE int hf_registry_add(const char *root, const struct hf_client *c);
/* replaces an existing record (-HF_E_NOTFOUND if none) */
HF_MUST_USE int hf_registry_replace(const char *root, const struct hf_client *c);
HF_MUST_USE int hf_registry_remove(const char *root, const char *name);
/* -HF_E_NOTFOUND, or -HF_E_CORRUPT for a record that does not parse */
HF_MUST_USE int hf_registry_get(const char *root, const char *name, struct hf_client *c);
/* every record that parses, in no particular order; fn's non-zero return stops */
HF_MUST_USE int hf_registry_list(const char *root, int (*fn)(void *arg, const struct hf_client *c), void *arg);

#endif
