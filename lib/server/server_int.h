/* server_int.h — what the files of the repository server share: its
 * state, a repository's entry, an object being received, the parsed
 * request path; and the helpers each file gives the others.
 *   server.c          opening, clients, repositories, answers and the log,
 *                     and the dispatch of a request (hf_server_begin/body/end)
 *   server_receive.c  receiving an object: name and shape checked, tag, commit,
 *                     receipt; streamed uploads; the snapshot rate
 *   server_read.c     the request path, listings, ranges, reading an object
 *   server_delete.c   deletion: challenge, the full key's signature, the lock;
 *                     taking a repository's tag key */
#ifndef HF_SERVER_INT_H
#define HF_SERVER_INT_H

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>

#include "crypto/crypto.h"
#include "repo/shape.h"
#include "server/client.h"
#include "server/quota.h"
#include "server/receipt.h"
#include "server/server.h"
#include "store/store.h"

#define UPLOADS_PER_CLIENT 32               /* a client with 16 threads has about as many packs in flight */
#define UPLOAD_IDLE_NS (600 * 1000000000LL) /* an upload untouched this long is dropped */
#define DEFAULT_PACK_SIZE (16u << 20)       /* for caps before a repository has its config */
#define HOUR_NS (3600 * 1000000000LL)
#define CHALLENGE_NS (600 * 1000000000LL) /* how long a deletion challenge is good for */
#define CHALLENGES_MAX 256
#define TAG_LEN 32 /* an authenticated object's tag (repo/object.h) */

struct repo_entry {
	char name[HF_CLIENT_NAME_MAX + 1];
	struct hf_store *store;
	struct hf_store *receipts;          /* ROOT/receipts/<name>: one per object (receipt.h) */
	uint32_t pack_size;                 /* from its config, once there */
	uint8_t delete_key[HF_SIGN_PK_LEN]; /* from its config: verifies deletions */
	int has_tag_key;                    /* the tag key is known (ROOT/tagkeys/<name>): */
	uint8_t tag_key[HF_KEY_LEN];        /* untagged objects are refused */
	/* the config asks for Object Lock (lock_mode) and the store could not
	 * lock (lock_failed): then nothing more is written, unlocked */
	int lock_mode, lock_failed;
};

/* a nonce issued to a client to sign its deletions against */
struct challenge {
	uint8_t nonce[HF_DELETE_NONCE_LEN];
	char client[HF_CLIENT_NAME_MAX + 1];
	char repo[HF_CLIENT_NAME_MAX + 1];
	int64_t expires_ns;
	uint64_t last_counter; /* each counter is good once, in order */
};

/* an object being received: a single put, or a streamed upload */
struct receiving {
	int kind;
	struct hf_store *store, *receipts;
	uint32_t pack_size;
	struct hf_store_writer *w;
	struct hf_sha256_ctx *sha;
	uint64_t got, limit;
	uint8_t head[HF_SHAPE_HEAD];
	uint8_t tail[HF_SHAPE_TAIL]; /* a ring: the last bytes */
	/* tagged kinds, when the tag key is known: the MAC of every byte but
	 * the last TAG_LEN, which wait in held */
	struct hf_mac_ctx *mac;
	uint8_t held[TAG_LEN];
	size_t nheld;
};

struct upload {
	char id[33]; /* 128 random bits in hex */
	char client[HF_CLIENT_NAME_MAX + 1];
	char repo[HF_CLIENT_NAME_MAX + 1];
	int64_t touched_ns;
	int busy; /* a request is appending to it */
	struct receiving rx;
};

/* the snapshot puts of one client in the last hour (a flood cannot push
 * good snapshots out of retention buckets if it cannot happen) */
struct snapshot_rate {
	char client[HF_CLIENT_NAME_MAX + 1];
	int64_t *times;
	size_t n;
};

struct hf_server {
	char *root;
	char *store_base;   /* the backing store's URL, no trailing '/'; NULL: ROOT's directories */
	char *store_cacert; /* for it; NULL: the system's CAs */
	int can_lock;       /* it can lock objects (a bucket with Object Lock) */
	FILE *log;
	pthread_mutex_t lock; /* repos, uploads, rates, the log */
	struct repo_entry *repos;
	size_t nrepos;
	struct upload **uploads;
	size_t nuploads;
	struct snapshot_rate *rates;
	size_t nrates;
	struct challenge challenges[CHALLENGES_MAX];
	int64_t lock_ns;
	struct hf_quota *quota;
};

struct route {
	char repo[HF_CLIENT_NAME_MAX + 1];
	int kind;   /* -1: none */
	char *name; /* NULL: none; points into the split path */
	int uploads, list, challenge, tag_key;
	char buf[512];
};

/* a listing being written (server_list_one) */
struct listing {
	struct hf_response *resp;
	const struct repo_entry *e;
	int kind;
	const struct hf_client *asker;
};

/* server.c */
int64_t server_now_ns(void);
/* appends to the answer's body; -HF_E_LIMIT (and nothing appended) when it is full */
int server_put_text(struct hf_response *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* an error answer; message has no quote or backslash (we write them all) */
int server_fail(struct hf_response *r, int status, const char *code, const char *message);
int server_fail_err(struct hf_response *r, int err); /* the answer for a store or library error */
int server_set_lock(struct hf_store *st, struct hf_store *receipts, int mode, int64_t period_s);
void server_tag_key_path(const struct hf_server *s, const char *repo, char *out, size_t cap);
void server_object_origin(const struct repo_entry *e, int kind, const char *name, struct hf_receipt *rc);

/* server_receive.c */
int server_rx_start(struct receiving *rx, const struct repo_entry *e, int kind);
int server_rx_write(struct receiving *rx, const uint8_t *p, size_t n);
void server_rx_abort(struct receiving *rx);
int server_fail_start(struct hf_response *resp, int r);
void server_commit_and_answer(struct hf_server *s, struct receiving *rx, const char *name, const char *client, int role,
			      const char *peer, struct hf_response *resp);
int server_take_snapshot_slot(struct hf_server *s, const struct hf_client *c);
int server_refuse_flood(struct hf_response *resp);
struct upload *server_find_upload(struct hf_server *s, const char *id, const char *client, const char *repo);
int server_start_upload(struct hf_server *s, const struct hf_client *c, const struct repo_entry *e, int kind,
			struct hf_response *resp);
int server_finish_upload(struct hf_server *s, const struct hf_client *c, const struct route *rt,
			 const struct hf_request *rq, struct hf_response *resp);

/* server_read.c */
int server_parse_path(const char *path, struct route *rt);
const char *server_query_get(const char *query, const char *key, char *out, size_t cap);
int server_list_one(void *arg, const char *name, uint64_t size); /* arg: struct listing */
int server_digits(const char **p, uint64_t *out);
int server_reads_idlist_only(const struct repo_entry *e, const struct route *rt, const struct hf_request *rq);
int server_get_object(const struct repo_entry *e, const struct route *rt, const struct hf_request *rq,
		      struct hf_response *resp, int head);

/* server_delete.c */
int server_issue_challenge(struct hf_server *s, const struct hf_client *c, const char *repo, struct hf_response *resp);
int server_delete_object(struct hf_server *s, const struct hf_client *c, const struct repo_entry *e,
			 const struct route *rt, const struct hf_request *rq, struct hf_response *resp);
int server_take_tag_key(struct hf_server *s, struct repo_entry *e, const char *hex, struct hf_response *resp);

#endif
