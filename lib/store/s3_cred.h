/* s3_cred.h — private to lib/store: where the S3 store finds its
 * credentials and region, as the AWS tools do. */
#ifndef HF_S3_CRED_H
#define HF_S3_CRED_H

#include <stddef.h>

struct hf_s3_cred {
	char *access;  /* the access key id */
	char *secret;  /* the secret key (wiped on release) */
	char *token;   /* a session token, or NULL (wiped on release) */
	char *region;  /* never NULL after hf_s3_cred_load */
	char from[64]; /* where they came from, for messages */
};

/* Credentials from AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+
 * AWS_SESSION_TOKEN), else from the shared credentials file
 * (AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials), profile AWS_PROFILE
 * or "default". The region from AWS_REGION, AWS_DEFAULT_REGION, the config
 * file (AWS_CONFIG_FILE or ~/.aws/config, [profile NAME] or [default]), else
 * us-east-1. -HF_E_NOTFOUND if there are no credentials (why says where
 * they were looked for), -HF_E_USAGE if a value has a character that cannot
 * go into a header. */
int hf_s3_cred_load(struct hf_s3_cred *c, char *why, size_t why_cap);
void hf_s3_cred_release(struct hf_s3_cred *c);

#endif
