/* store_http.h — the store on a holdfast repository server (store_http.c).
 * Private to lib/store: callers open it through hf_store_open_opts with an
 * https: URL. */
#ifndef HF_STORE_HTTP_H
#define HF_STORE_HTTP_H

#include "store/store.h"

HF_MUST_USE int hf_store_http_open(const char *url, int create, const struct hf_store_opts *o, struct hf_store **out);

#endif
