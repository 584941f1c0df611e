/* store_s3.h — private to lib/store: the S3 store (store_s3.c), opened by
 * hf_store_open_opts for s3: URLs. */
#ifndef HF_STORE_S3_H
#define HF_STORE_S3_H

#include "store/store.h"

/* url is "s3:http[s]://HOST[:PORT]/BUCKET[/PREFIX]". On failure o->why (if
 * given) says what went wrong in a sentence: no credentials, wrong keys, no
 * such bucket, the server unreachable, a prefix that holds objects. */
HF_MUST_USE int hf_store_s3_open(const char *url, int create, const struct hf_store_opts *o, struct hf_store **out);

#endif
