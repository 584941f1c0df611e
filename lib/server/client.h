/* client.h — the clients of a repository server: their tokens and records.
 *
 * A token is "hft1_<client>_<43 characters of base64url>" (32 random bytes);
 * the client's name in it lets the server find the record without a search.
 * The server keeps only SHA-256("holdfast token v1" | token): a token is a
 * 256-bit random key, not a password, so a fast hash is enough and costs an
 * attacker nothing to spend on the server. Records are short text files
 * (ROOT/clients/<name>, docs/FORMAT.md "Server"). Part of the server module. */
#ifndef HF_SERVER_CLIENT_H
#define HF_SERVER_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/crypto.h"
#include "util/buf.h"
#include "util/err.h"

#define HF_CLIENT_NAME_MAX 63 /* [a-z0-9][a-z0-9_-]{0,62}: also repository names */
#define HF_TOKEN_LEN (5 + HF_CLIENT_NAME_MAX + 1 + 43)
#define HF_CLIENT_REPOS_MAX 1024 /* bytes of the comma-separated repository list */

struct hf_client {
	char name[HF_CLIENT_NAME_MAX + 1];
	int role;                            /* enum hf_role */
	char repos[HF_CLIENT_REPOS_MAX + 1]; /* "r1,r2" or "*" */
	uint64_t quota_bytes, quota_objects; /* 0: none */
	uint32_t snapshots_per_hour;         /* 0: none */
	int64_t created_ns;
	uint8_t token_hash[HF_HASH_LEN];
};

/* 1 if s is a valid client or repository name */
int hf_server_name_ok(const char *s);

/* A new token for the client (out: at least HF_TOKEN_LEN + 1 bytes) and its
 * hash. -HF_E_USAGE for a bad name. */
HF_MUST_USE int hf_token_new(const char *client, char *out, size_t cap, uint8_t hash[HF_HASH_LEN]);
/* the client name a token claims (0), or -HF_E_USAGE if it is not one */
HF_MUST_USE int hf_token_client(const char *token, char name[HF_CLIENT_NAME_MAX + 1]);
void hf_token_hash(const char *token, uint8_t hash[HF_HASH_LEN]);
/* 1 if the token is this client's (constant time in the token's bytes) */
int hf_client_token_ok(const struct hf_client *c, const char *token);
/* 1 if the client may use the repository */
int hf_client_has_repo(const struct hf_client *c, const char *repo);

HF_MUST_USE int hf_client_encode(const struct hf_client *c, struct hf_buf *out);
/* parses a record; -HF_E_CORRUPT for anything but a complete, valid one */
HF_MUST_USE int hf_client_decode(const uint8_t *p, size_t n, struct hf_client *c);

#endif
