/* curl_pool.c — reused curl handles and their share (curl_pool.h). */
#include <errno.h>
#include <stdlib.h>

#include "store/curl_pool.h"
#include "util/mem.h"

static int global_ready;
static pthread_mutex_t global_lock = PTHREAD_MUTEX_INITIALIZER;

static void share_lock(CURL *h, curl_lock_data d, curl_lock_access a, void *arg)
{
	struct hf_curl_pool *p = arg;

	(void)h;
	(void)a;
	pthread_mutex_lock(&p->share_lock[d]);
}

static void share_unlock(CURL *h, curl_lock_data d, void *arg)
{
	struct hf_curl_pool *p = arg;

	(void)h;
	pthread_mutex_unlock(&p->share_lock[d]);
}

int hf_curl_pool_init(struct hf_curl_pool *p)
{
	pthread_mutex_init(&p->lock, NULL);
	for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_init(&p->share_lock[i], NULL);
	p->idle = NULL;
	p->nidle = 0;
	pthread_mutex_lock(&global_lock);
	if (!global_ready && curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK)
		global_ready = 1;
	pthread_mutex_unlock(&global_lock);
	p->share = global_ready ? curl_share_init() : NULL;
	if (!p->share)
		return -ENOMEM;
	curl_share_setopt(p->share, CURLSHOPT_LOCKFUNC, share_lock);
	curl_share_setopt(p->share, CURLSHOPT_UNLOCKFUNC, share_unlock);
	curl_share_setopt(p->share, CURLSHOPT_USERDATA, p);
	curl_share_setopt(p->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
	curl_share_setopt(p->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
	curl_share_setopt(p->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
	return 0;
}

void hf_curl_pool_release(struct hf_curl_pool *p)
{
	for (size_t i = 0; i < p->nidle; i++)
		curl_easy_cleanup(p->idle[i]);
	free(p->idle);
	if (p->share)
		curl_share_cleanup(p->share);
	for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_destroy(&p->share_lock[i]);
	pthread_mutex_destroy(&p->lock);
}

CURL *hf_curl_pool_take(struct hf_curl_pool *p)
{
	CURL *h = NULL;

	pthread_mutex_lock(&p->lock);
	if (p->nidle)
		h = p->idle[--p->nidle];
	pthread_mutex_unlock(&p->lock);
	return h ? h : curl_easy_init();
}

void hf_curl_pool_prepare(struct hf_curl_pool *p, CURL *h)
{
	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_SHARE, p->share);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1024L); /* a stalled transfer fails */
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, 60L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https,http");
	/* TLS 1.3 with AES-128-GCM (the suite every peer has) first: 1.7 times
	 * AES-256-GCM's speed here (openssl speed, 16 KiB records); the data
	 * objects are AES-256-GCM under the repository's key anyway. Servers
	 * follow the client's order (holdfast serve's GnuTLS, RGW's OpenSSL):
	 * SECURITY.md */
	curl_easy_setopt(h, CURLOPT_TLS13_CIPHERS,
			 "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256");
}

void hf_curl_pool_give_back(struct hf_curl_pool *p, CURL *h)
{
	pthread_mutex_lock(&p->lock);
	p->idle = hf_xreallocarray(p->idle, p->nidle + 1, sizeof(*p->idle));
	p->idle[p->nidle++] = h;
	pthread_mutex_unlock(&p->lock);
}
