/* curl_pool.c — reused curl handles and their share (curl_pool.h). */
#include <errno.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

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

/* Ceph RGW's beast frontend writes a response's headers, then its body,
 * with Nagle's algorithm on: the body waits until the headers are
 * acknowledged, and Linux delays that acknowledgement (up to 40 ms) on a
 * connection used for request and response. Every GET or listing with a
 * body on a reused connection took 41-44 ms on loopback, against 0.3 ms
 * (measured with curl's own command line, 2026-12-07); a backup made 23 of
 * them one after another. The socket option sends the pending
 * acknowledgement now; the kernel goes back to delaying on its own, so it
 * is set for each response. curl tells the local port of a transfer's
 * connection while it runs, not its socket (CURLINFO_ACTIVESOCKET only
 * once it is done): the pool keeps the sockets its handles open, and the
 * port of each once asked. */
static int on_socket_open(void *arg, curl_socket_t fd, curlsocktype purpose)
{
	struct hf_curl_pool *p = arg;

	if (purpose == CURLSOCKTYPE_IPCXN) {
		pthread_mutex_lock(&p->lock);
		p->sockets = hf_xreallocarray(p->sockets, p->nsockets + 1, sizeof(*p->sockets));
		p->sockets[p->nsockets++] = (struct hf_curl_socket){fd, 0};
		pthread_mutex_unlock(&p->lock);
	}
	return CURL_SOCKOPT_OK;
}

static int on_socket_close(void *arg, curl_socket_t fd)
{
	struct hf_curl_pool *p = arg;

	pthread_mutex_lock(&p->lock);
	for (size_t i = 0; i < p->nsockets; i++) {
		if (p->sockets[i].fd == fd) {
			p->sockets[i] = p->sockets[--p->nsockets];
			break;
		}
	}
	close(fd); /* under the lock: no other thread sets an option on a reused number */
	pthread_mutex_unlock(&p->lock);
	return 0;
}

static long local_port(curl_socket_t fd)
{
	struct sockaddr_storage a;
	socklen_t n = sizeof(a);

	if (getsockname(fd, (struct sockaddr *)&a, &n) < 0)
		return -1;
	if (a.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&a)->sin_port);
	if (a.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&a)->sin6_port);
	return -1;
}

void hf_curl_ack_now(CURL *h)
{
	struct hf_curl_pool *p = NULL;
	long port = 0;
	int one = 1;

	if (!h || curl_easy_getinfo(h, CURLINFO_PRIVATE, (char **)&p) != CURLE_OK || !p ||
	    curl_easy_getinfo(h, CURLINFO_LOCAL_PORT, &port) != CURLE_OK || port <= 0)
		return;
	pthread_mutex_lock(&p->lock);
	for (size_t i = 0; i < p->nsockets; i++) {
		struct hf_curl_socket *s = &p->sockets[i];
		if (s->port <= 0)
			s->port = local_port(s->fd);
		if (s->port == port) {
			if (setsockopt(s->fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof(one)) < 0) {
				/* a kernel without it: the body comes late, that is all */
			}
			break;
		}
	}
	pthread_mutex_unlock(&p->lock);
}

int hf_curl_pool_init(struct hf_curl_pool *p)
{
	pthread_mutex_init(&p->lock, NULL);
	for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_init(&p->share_lock[i], NULL);
	p->idle = NULL;
	p->nidle = 0;
	p->sockets = NULL;
	p->nsockets = 0;
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
	free(p->sockets);
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
	curl_easy_setopt(h, CURLOPT_PRIVATE, p);
	curl_easy_setopt(h, CURLOPT_SOCKOPTFUNCTION, on_socket_open);
	curl_easy_setopt(h, CURLOPT_SOCKOPTDATA, p);
	curl_easy_setopt(h, CURLOPT_CLOSESOCKETFUNCTION, on_socket_close);
	curl_easy_setopt(h, CURLOPT_CLOSESOCKETDATA, p);
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
