/* store_open.c — hf_store_open(): the one place a store URL is parsed and
 * the store it names is chosen (https: and http: go to store_http.c, s3: to store_s3.c). A plain path (absolute or relative) stays a
 * path, so existing --repo values keep working; a scheme is recognised only
 * as "file:", "mem:", or "NAME://" (so a directory named "a:b" is a path). */
#include <stdio.h>
#include <string.h>

#include "store/store.h"
#include "store/store_http.h"
#include "store/store_mem.h"
#include "store/store_s3.h"
#include "util/err.h"

/* "xyz://" with xyz a URL scheme (letters, digits, + - .) */
static int has_scheme(const char *url)
{
	size_t i = 0;

	if (!((url[0] >= 'a' && url[0] <= 'z') || (url[0] >= 'A' && url[0] <= 'Z')))
		return 0;
	while (url[i] && url[i] != ':' && url[i] != '/')
		i++;
	return url[i] == ':' && url[i + 1] == '/' && url[i + 2] == '/';
}

int hf_store_open(const char *url, int create, struct hf_store **out)
{
	return hf_store_open_opts(url, create, NULL, out);
}

int hf_store_open_opts(const char *url, int create, const struct hf_store_opts *o, struct hf_store **out)
{
	*out = NULL;
	if (!url || !*url)
		return -HF_E_USAGE;
	if (o && o->as_of_s && strncmp(url, "s3:", 3) != 0) {
		if (o->why && o->why_cap)
			snprintf(o->why, o->why_cap,
				 "--as-of reads the versions of an S3 bucket: it needs an s3: repository");
		return -HF_E_USAGE;
	}
	if (strncmp(url, "file:", 5) == 0) {
		const char *p = url + 5;
		if (strncmp(p, "//", 2) == 0) {
			p += 2; /* file://HOST/path: only an empty host (this machine) */
			if (*p != '/')
				return -HF_E_USAGE;
		}
		if (*p != '/')
			return -HF_E_USAGE; /* file: takes an absolute path */
		return hf_store_local_open(p, create, out);
	}
	if (strncmp(url, "mem:", 4) == 0)
		return hf_store_mem_open(url + 4, create, out);
	if (strncmp(url, "https://", 8) == 0 || strncmp(url, "http://", 7) == 0)
		return hf_store_http_open(url, create, o, out);
	if (strncmp(url, "s3:", 3) == 0)
		return hf_store_s3_open(url, create, o, out);
	if (has_scheme(url))
		return -HF_E_SCHEME;
	return hf_store_local_open(url, create, out);
}
