/* s3_xml.h — private to lib/store: the S3 answers the S3 store reads from
 * XML (a ListObjectsV2 page, an error, a bucket's versioning), parsed with
 * libexpat. */
#ifndef HF_S3_XML_H
#define HF_S3_XML_H

#include <stddef.h>
#include <stdint.h>

#define HF_S3_KEY_MAX 1024   /* S3 keys are at most 1024 bytes */
#define HF_S3_TOKEN_MAX 1024 /* continuation tokens we accept */

/* called for each <Contents> of a listing page: its Key and Size; non-zero
 * stops the parse and is passed back */
typedef int (*hf_s3_object_fn)(void *arg, const char *key, uint64_t size);

/* Parses one ListObjectsV2 page: fn for every object, *truncated and the
 * NextContinuationToken (empty if none) into token[HF_S3_TOKEN_MAX + 1].
 * -HF_E_CORRUPT if the XML is malformed, not a ListBucketResult, or an
 * object lacks a Key or a valid Size. */
int hf_s3_parse_list(const char *xml, size_t n, hf_s3_object_fn fn, void *arg, int *truncated,
		     char token[HF_S3_TOKEN_MAX + 1]);

/* one entry of a ListObjectVersions page: a version or a delete marker */
struct hf_s3_version {
	const char *key;
	const char *version_id;
	int delete_marker;
	int is_latest;
	int64_t last_modified_s; /* by the server's clock */
	uint64_t size;           /* 0 for a delete marker */
};
typedef int (*hf_s3_version_fn)(void *arg, const struct hf_s3_version *v);

/* Parses one ListObjectVersions page: fn for every Version and DeleteMarker
 * in the order given (newest first within a key), *truncated, and the
 * NextKeyMarker and NextVersionIdMarker into key_marker[HF_S3_KEY_MAX + 1]
 * and version_marker[HF_S3_TOKEN_MAX + 1]. -HF_E_CORRUPT as hf_s3_parse_list. */
int hf_s3_parse_versions(const char *xml, size_t n, hf_s3_version_fn fn, void *arg, int *truncated,
			 char key_marker[HF_S3_KEY_MAX + 1], char version_marker[HF_S3_TOKEN_MAX + 1]);

/* an ISO 8601 time as S3 writes it ("2026-12-04T19:00:00.000Z") in s since
 * 1970; 0 if it is not one */
int64_t hf_s3_parse_time(const char *s);

/* 1 if a GetObjectLockConfiguration answer says ObjectLockEnabled is Enabled */
int hf_s3_parse_object_lock(const char *xml, size_t n);

/* The Code and Message of an S3 <Error> document, each truncated to its
 * buffer; both empty if xml is not one. Never fails. */
void hf_s3_parse_error(const char *xml, size_t n, char *code, size_t code_cap, char *msg, size_t msg_cap);

/* 1 if a GetBucketVersioning answer says versioning is (or was) on:
 * Status Enabled or Suspended; 0 if it never was, or xml is not one. */
int hf_s3_parse_versioning(const char *xml, size_t n);

#endif
