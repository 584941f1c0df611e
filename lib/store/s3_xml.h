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

/* The Code and Message of an S3 <Error> document, each truncated to its
 * buffer; both empty if xml is not one. Never fails. */
void hf_s3_parse_error(const char *xml, size_t n, char *code, size_t code_cap, char *msg, size_t msg_cap);

/* 1 if a GetBucketVersioning answer says versioning is (or was) on:
 * Status Enabled or Suspended; 0 if it never was, or xml is not one. */
int hf_s3_parse_versioning(const char *xml, size_t n);

#endif
