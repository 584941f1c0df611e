/* receipt.h — the server's record of each object it accepted: when it
 * arrived by the server's clock, which client sent it, how large it was,
 * from which address. Clients cannot write, change or forge receipts: they
 * live in a store of their own (ROOT/receipts/<R>/, the same kind and name
 * as the object they describe) that no request path reaches. Retention,
 * flags and dedup trust are decided on receipts, never on what a client
 * wrote into its objects. docs/FORMAT.md "Server" has the text format.
 * Part of the server module. */
#ifndef HF_SERVER_RECEIPT_H
#define HF_SERVER_RECEIPT_H

#include <stddef.h>
#include <stdint.h>

#include "server/client.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/err.h"

#define HF_RECEIPT_MAX 512 /* bytes of one encoded receipt */
#define HF_RECEIPT_PEER_MAX 63

struct hf_receipt {
	int64_t arrival_ns;
	uint64_t size;
	char client[HF_CLIENT_NAME_MAX + 1];
	int role;                           /* the client's when it sent the object (enum hf_role) */
	char peer[HF_RECEIPT_PEER_MAX + 1]; /* "" if unknown */
};

HF_MUST_USE int hf_receipt_encode(const struct hf_receipt *rc, struct hf_buf *out);
/* -HF_E_CORRUPT for anything but a complete, valid receipt */
HF_MUST_USE int hf_receipt_decode(const uint8_t *p, size_t n, struct hf_receipt *rc);

/* The receipt of object (kind, name) in the receipt store st: 0, or
 * -HF_E_NOTFOUND (an object the server accepted but was killed before it
 * wrote the receipt, or one put there by hand: its sender is unknown). */
HF_MUST_USE int hf_receipt_get(struct hf_store *st, int kind, const char *name, struct hf_receipt *rc);
/* writes it, durable before it returns; an existing one is kept (-HF_E_EXISTS) */
HF_MUST_USE int hf_receipt_put(struct hf_store *st, int kind, const char *name, const struct hf_receipt *rc);

#endif
