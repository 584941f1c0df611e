/* server.h — the repository server's request handling, apart from HTTP (the
 * HTTP front binds it to a listener; the unit tests call it directly).
 *
 * ROOT/clients/<name> holds each client's record (client.h); ROOT/repos/<R>/
 * is a local store per repository, or, with a backing store URL (an S3
 * bucket: hf_server_opts.store), BASE/repos/<R>/ is, through the same
 * store interface. With Object Lock in the repository's config and a store
 * that can lock, the server writes every object locked as the config says. The server only ever adds: a put
 * is create-only, the bytes must hash to the name (all but the config) and
 * have their kind's shape (repo/shape.h) before the object becomes visible,
 * and nothing is overwritten, truncated, renamed or deleted. Every request
 * carries a client's token; what it may do is the role table (policy.h).
 *
 * API (paths; R a repository, K a kind name, N an object name, U an upload):
 *   GET    /v1/hello                    who am I: client, role, server time
 *   POST   /v1/R                        create the repository (admin); {"object_lock": B}
 *   GET    /v1/R                        its server time and limits; "object_lock": the
 *                                       server's store can lock objects (S3 Object Lock)
 *   GET    /v1/R/K/                     list: "<name> <size> <arrival ns> <sender>\n" per object
 *                                       (index/ to a backup client: its own and admins' only)
 *   GET    /v1/R/K/N, HEAD /v1/R/K/N    an object (Range: bytes=a-b: one range)
 *   PUT    /v1/R/K/N                    create an object (Content-Length required)
 *   POST   /v1/R/uploads?kind=K         start a streamed upload (name known at the end)
 *   PUT    /v1/R/uploads/U              append to it
 *   POST   /v1/R/uploads/U?name=N       commit it under N
 *   DELETE /v1/R/uploads/U              abort it
 *   POST   /v1/R/challenge              a nonce to sign deletions against (admin)
 *   POST   /v1/R/tag-key                the key of the objects' tags, once (admin,
 *                                       Holdfast-Tag-Key: 64 hex); then untagged
 *                                       index, snapshot, mark, pending objects: 422
 *   DELETE /v1/R/K/N                    delete (admin, Holdfast-Auth: NONCE.COUNTER.SIG,
 *                                       the full key's signature; not before the lock)
 * Answers: 200/201/204/206, or an error status with a JSON body
 * {"error": CODE, "message": TEXT}. Part of the server module. */
#ifndef HF_SERVER_SERVER_H
#define HF_SERVER_SERVER_H

#include <stdint.h>
#include <stdio.h>

#include "server/client.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/err.h"

struct hf_server_opts {
	const char *root; /* must exist; clients/, repos/ and receipts/ are made in it */
	/* where the repositories' objects and receipts live: NULL for ROOT/repos/<R>
	 * and ROOT/receipts/<R> (local directory stores), or a store URL BASE
	 * (s3:http[s]://HOST[:PORT]/BUCKET[/PREFIX]) for BASE/repos/<R> and
	 * BASE/receipts/<R>, opened through hf_store_open_opts; ROOT/repos/<R>
	 * is then an empty directory that says the repository was made here */
	const char *store;
	const char *store_cacert; /* the CA a store over TLS is checked against; NULL: the system's */
	char *why;                /* a sentence when the store does not open; may be NULL */
	size_t why_cap;
	FILE *log; /* one JSON object per line for refusals and writes; NULL: none */
	/* no object younger than this (by its receipt, on the server's clock)
	 * is deleted, whoever asks and whatever they sign; 0: none */
	int64_t lock_ns;
};

struct hf_server;
/* one log line about the server itself (e.g. a TLS handshake that failed) */
void hf_server_log(struct hf_server *s, const char *event, const char *detail);
HF_MUST_USE int hf_server_open(const struct hf_server_opts *o, struct hf_server **out);
void hf_server_close(struct hf_server *s); /* aborts unfinished uploads */

struct hf_request {
	const char *method;        /* "GET", "HEAD", "PUT", "POST", "DELETE" */
	const char *path;          /* from "/": no query */
	const char *query;         /* after '?', or NULL */
	const char *authorization; /* the Authorization header ("Bearer TOKEN"), or NULL */
	const char *range;         /* the Range header, or NULL */
	const char *signature;     /* the Holdfast-Auth header of a deletion, or NULL */
	const char *tag_key;       /* the Holdfast-Tag-Key header (64 hex), or NULL */
	int64_t content_length;    /* -1 without one */
	const char *peer;          /* the client's address, for the log */
};

struct hf_response {
	int status;
	const char *content_type; /* of body: "application/json" or "text/plain" */
	struct hf_buf body;       /* the whole answer, unless reader is set */
	/* or stored bytes [offset, offset + length) of an object of total bytes */
	struct hf_store_reader *reader;
	uint64_t offset, length, total;
	int64_t arrival_ns;                  /* an object's: when the server stored it (its clock) */
	char sender[HF_CLIENT_NAME_MAX + 1]; /* an object's: the client that sent it; "" unknown */
	int64_t unlock_ns;                   /* a 423's: when the object's lock ends */
	const char *error;                   /* an error's code (as in the body), for a header */
	char client[HF_CLIENT_NAME_MAX + 1]; /* who asked, once authenticated */
};
void hf_response_init(struct hf_response *r);
void hf_response_release(struct hf_response *r); /* closes the reader */

/* A request with a body still to come. */
struct hf_call;
/* Headers in: authenticates, authorizes and routes. 1 and *call set when the
 * body is wanted (hf_server_body for each piece, then hf_server_end); 0 when
 * resp is the whole answer (before any body is read: a refused or
 * existing put costs no upload). */
int hf_server_begin(struct hf_server *s, const struct hf_request *rq, struct hf_call **call, struct hf_response *resp);
/* 0, or -1 with resp the final answer (then only free the call) */
int hf_server_body(struct hf_call *c, const void *p, size_t n, struct hf_response *resp);
void hf_server_end(struct hf_call *c, struct hf_response *resp);
void hf_server_call_free(struct hf_call *c); /* NULL-safe; discards what did not commit */

#endif
