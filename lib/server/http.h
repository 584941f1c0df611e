/* http.h — the repository server's HTTP front: libmicrohttpd (with GnuTLS
 * for TLS) in front of hf_server (server.h). The only user of
 * libmicrohttpd. Requests run on a pool of threads; limits on connections
 * (in all and per address), header memory, idle time, the time for a
 * request's headers, a minimum body rate and the body size keep a slow or
 * hostile peer from holding the server. Part of the server module. */
#ifndef HF_SERVER_HTTP_H
#define HF_SERVER_HTTP_H

#include <stdint.h>

#include "server/server.h"
#include "util/err.h"

struct hf_http_opts {
	const char *listen;             /* "ADDR:PORT" or "[ADDR6]:PORT"; PORT 0 picks a free one */
	const char *cert_pem, *key_pem; /* the PEM text; both NULL: plain HTTP, loopback only */
	unsigned threads;               /* 0: 2 per CPU, at most 16 */
	unsigned idle_seconds;          /* a connection idle this long is closed; 0: 30 */
	unsigned header_seconds;        /* one that waits this long for a request's headers is cut,
					 * however slowly they trickle in; 0: 10 */
	unsigned body_min_rate;         /* a request body must bring at least this many bytes a second,
					 * averaged over each body_window_seconds, or it is cut and its
					 * partial upload dropped; 0: 1024 */
	unsigned body_window_seconds;   /* 0: 20 */
};

struct hf_http;
/* Starts listening. -HF_E_USAGE for a bad address, or plain HTTP anywhere
 * but loopback; -errno when the address cannot be bound. */
HF_MUST_USE int hf_http_start(struct hf_server *s, const struct hf_http_opts *o, struct hf_http **out);
uint16_t hf_http_port(const struct hf_http *h); /* the port it listens on */
void hf_http_stop(struct hf_http *h);           /* NULL-safe; finishes the requests in flight */

#endif
