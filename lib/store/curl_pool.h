/* curl_pool.h — the curl handles of a store on HTTP (store_http.c,
 * store_s3.c): easy handles kept for reuse, and one share of connections,
 * TLS sessions and DNS answers between them, safe from several threads. */
#ifndef HF_STORE_CURL_POOL_H
#define HF_STORE_CURL_POOL_H

#include <curl/curl.h>
#include <pthread.h>
#include <stddef.h>

struct hf_curl_pool {
	CURLSH *share; /* hf_curl_pool_prepare sets it on each handle */
	pthread_mutex_t share_lock[CURL_LOCK_DATA_LAST];
	pthread_mutex_t lock;
	CURL **idle;
	size_t nidle;
	/* the sockets of its connections, for hf_curl_ack_now (under lock) */
	struct hf_curl_socket {
		curl_socket_t fd;
		long port; /* its local port; 0: not looked up yet */
	} * sockets;
	size_t nsockets;
};

/* initialises curl (once per process) and p; 0 or -ENOMEM. p must not move
 * afterwards (the share's locks point at it); release it either way. */
int hf_curl_pool_init(struct hf_curl_pool *p);
void hf_curl_pool_release(struct hf_curl_pool *p);
/* an idle handle, else a new one (NULL if curl cannot make one) */
CURL *hf_curl_pool_take(struct hf_curl_pool *p);
/* resets h for a request: the share, no signals, a stalled transfer fails
 * (under 1 KiB/s for 60 s), HTTP(S) only, TLS 1.3 suites cheapest first */
void hf_curl_pool_prepare(struct hf_curl_pool *p, CURL *h);
void hf_curl_pool_give_back(struct hf_curl_pool *p, CURL *h);
/* acknowledges at once what the connection of h (prepared by
 * hf_curl_pool_prepare) has received (TCP_QUICKACK): called on a
 * response's status line, so that a server which sends the headers and the
 * body in two writes under Nagle's algorithm gets on with the body
 * (curl_pool.c) */
void hf_curl_ack_now(CURL *h);

#endif
