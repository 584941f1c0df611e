/* s3_internal.h — private to the S3 store's files: the store's state and
 * one signed exchange with the server (s3_request.c), shared by the
 * operations (store_s3.c) and Object Lock (s3_lock.c). */
#ifndef HF_S3_INTERNAL_H
#define HF_S3_INTERNAL_H

#include <curl/curl.h>
#include <stddef.h>
#include <stdint.h>

#include "store/curl_pool.h"
#include "crypto/crypto.h"
#include "store/s3_cred.h"
#include "store/s3_xml.h"
#include <pthread.h>

#include "store/store.h"
#include "store/transfer_pool.h"

#define HF_S3_URL_MAX 2048
#define HF_S3_ERR_BODY_MAX 8192 /* bytes of an error document kept */
#define HF_S3_VERSION_ID_MAX 128

struct s3_store {
	struct hf_store base;
	char *location; /* the URL as given, for messages */
	char *endpoint; /* "http://host:port" */
	char *bucket;
	char *url_base; /* "http://host:port/bucket" */
	char *prefix;   /* "" or "some/prefix/" */
	char *sigv4;    /* "aws:amz:REGION:s3" */
	char *token_header;
	char *cacert; /* PEM file of the certificate authorities to trust; NULL: the system's */
	struct hf_s3_cred cred;
	int versioned;             /* the bucket has (or had) versioning: If-None-Match is not enough */
	struct hf_store_lock lock; /* how puts lock objects (lock_set); mode HF_LOCK_OFF: not at all */
	int64_t clock_offset_s;    /* the server's Date minus this machine's time, at open */
	int lock_md5;              /* a locked put with only a SHA-256 checksum was refused: Content-MD5 (atomic) */
	struct hf_s3_as_of *as_of; /* a read-only view of the past (s3_asof.c); NULL: the present */
	struct hf_curl_pool pool;
	struct hf_transfer_pool *transfers; /* the PUTs of packs on their way (transfer_pool.h) */
	pthread_mutex_t err_lock;           /* guards last_err: requests run on many threads */
	char last_err[640];                 /* the last failed request, in words ("" none) */
};

/* one exchange with the server */
struct exchange {
	const char *method; /* GET, HEAD, PUT, DELETE */
	CURL *curl;         /* the handle performing it (hf_s3_perform sets it) */
	char url[HF_S3_URL_MAX];
	/* a PUT's body: from memory, or from file fd (fd >= 0) */
	const uint8_t *body;
	int fd;
	uint64_t nbody, sent;
	const char *body_sha256; /* hex; NULL: that of the empty body */
	const char *range;       /* a header line, or NULL */
	const char *extra[4];    /* more header lines, up to the first NULL */
	/* the answer's body: into buf (growing, bounded) or into dest[0..cap) */
	struct hf_buf *buf;
	uint8_t *dest;
	size_t cap, got;
	int overflow;
	long status; /* of the last status line seen */
	uint64_t length;
	int has_length;
	int64_t last_modified_s, date_s;
	/* Object Lock and versions, from the answer's headers */
	char version_id[HF_S3_VERSION_ID_MAX + 1];
	int64_t retain_until_s;
	char errbody[HF_S3_ERR_BODY_MAX];
	size_t nerr;
	char code[64]; /* the S3 error code of a failed answer */
	char msg[160]; /* and its message */
	char curl_err[CURL_ERROR_SIZE];
};

/* performs x, retrying what may pass on its own (0.2 s, 1 s, 5 s); the
 * error its answer means */
int hf_s3_perform(struct s3_store *ss, struct exchange *x);
/* the key (PREFIX/ + relative path) and the URL of kind/name */
int hf_s3_object_key(struct s3_store *ss, int kind, const char *name, char *out, size_t cap);
int hf_s3_object_url(struct s3_store *ss, int kind, const char *name, char *out, size_t cap);
/* s percent-encoded as SigV4's canonical query wants it (all but A-Z a-z 0-9 - _ . ~) */
int hf_s3_query_escape(const char *s, char *out, size_t cap);

/* The bucket as it was at time_s (s3_asof.c): the view's state in
 * ss->as_of; the URL of the version of kind/name to read (-HF_E_NOTFOUND if
 * it did not exist then) with its size and time; a listing of the keys
 * under prefix that existed then (fn gets each one's chosen version). */
struct hf_s3_as_of;
int hf_s3_as_of_init(struct s3_store *ss, int64_t time_s);
void hf_s3_as_of_free(struct hf_s3_as_of *a);
int hf_s3_as_of_url(struct s3_store *ss, int kind, const char *name, char *url, size_t cap, uint64_t *size,
		    int64_t *last_modified_s);
int hf_s3_as_of_list(struct s3_store *ss, const char *prefix, hf_s3_version_fn fn, void *arg);

/* Object Lock (s3_lock.c). The store's lock operations (store.h): */
int hf_s3_lock_available(struct hf_store *s);
int hf_s3_lock_set(struct hf_store *s, const struct hf_store_lock *l);
int hf_s3_lock_until(struct hf_store *s, int kind, const char *name, int64_t *until_s);
int hf_s3_lock_extend(struct hf_store *s, int kind, const char *name, int64_t if_before_s, int64_t until_s);
/* The header lines a put adds when the store locks objects: the lock's
 * mode and retain-until date, and the body's checksum that S3 asks for
 * with a lock: its SHA-256 (x-amz-checksum-sha256, which costs nothing:
 * the payload hash is the same), or its MD5 (Content-MD5) when md5 is
 * given, for servers that know no other (lock_md5). 1 and the three lines;
 * 0 (nothing to add) when the store does not lock; < 0 on error. */
int hf_s3_lock_headers(struct s3_store *ss, const uint8_t sha256[HF_HASH_LEN], const uint8_t *md5, char mode[64],
		       char until[80], char checksum[80]);
/* every version and delete marker under prefix, in ListObjectVersions'
 * order (by key, then newest first within a key), page after page */
int hf_s3_list_versions(struct s3_store *ss, const char *prefix, hf_s3_version_fn fn, void *arg);
/* Deletes every version and delete marker of kind/name (a bucket with
 * versions): -HF_E_LOCKED if a version is locked (the others go),
 * -HF_E_NOTFOUND if the key has none. */
int hf_s3_remove_versions(struct s3_store *ss, int kind, const char *name);

#endif
