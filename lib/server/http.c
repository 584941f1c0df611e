/* http.c — libmicrohttpd in front of hf_server (http.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "server/http.h"
#include "util/clock.h"
#include "util/mem.h"

#define CONNECTIONS_MAX 256
#define CONNECTIONS_PER_ADDRESS 32
#define HEADER_MEMORY (64u << 10) /* request line and headers, with the read buffer */
#define STREAM_BLOCK (256u << 10)

/* A connection, from its start to its close: whether it is waiting for a
 * request's headers, and since when; while a request body comes in, how
 * much of it the current window brought. libmicrohttpd's idle timeout
 * restarts on every byte, so a peer that trickles a header line, or a body
 * byte, every few seconds would hold its connection (and an upload) for
 * ever: the reaper cuts it instead.
 *
 * The body floor is a rate over fixed windows (default 1 KiB/s over 20 s:
 * 20 KiB in every 20 s), not an average over the whole request, so an
 * upload cannot bank a fast start and then trickle. It is far below any
 * real link (a 56k modem brings 7 KiB/s) and the window outlasts TCP's
 * retransmission stalls on a lossy one. Time the server itself spends on a
 * body chunk (hashing, writing) does not count against the peer. */
struct conn_watch {
	int fd;
	int in_request; /* headers complete, the request not answered yet */
	int in_body;    /* its body is being read */
	int busy;       /* the server is handling a body chunk */
	int cut;
	int64_t waiting_since;
	int64_t window_start; /* the body's current window */
	uint64_t window_bytes;
	struct conn_watch *prev, *next;
};

struct hf_http {
	struct MHD_Daemon *d;
	struct hf_server *s;
	uint16_t port;
	unsigned header_seconds;
	unsigned body_min_rate, body_window_seconds;
	pthread_mutex_t lock; /* the watch list */
	struct conn_watch *watched;
	pthread_t reaper;
	int reaper_running, stopping;
	pthread_cond_t wake;
};

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
			  enum MHD_ConnectionNotificationCode code)
{
	struct hf_http *h = cls;
	struct conn_watch *w = *socket_context;

	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
		w = hf_xcalloc(1, sizeof(*w));
		w->fd = ci ? ci->connect_fd : -1;
		w->waiting_since = hf_mono_ns();
		pthread_mutex_lock(&h->lock);
		w->next = h->watched;
		if (h->watched)
			h->watched->prev = w;
		h->watched = w;
		pthread_mutex_unlock(&h->lock);
		*socket_context = w;
	} else if (w) { /* closed: before its socket is, so the fd is still this one's */
		pthread_mutex_lock(&h->lock);
		if (w->prev)
			w->prev->next = w->next;
		else
			h->watched = w->next;
		if (w->next)
			w->next->prev = w->prev;
		pthread_mutex_unlock(&h->lock);
		free(w);
		*socket_context = NULL;
	}
}

/* the connection's request has its headers (1), or was answered (0) */
static struct conn_watch *watch_of(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci ? ci->socket_context : NULL;
}

static void watch_request(struct hf_http *h, struct MHD_Connection *conn, int in_request)
{
	struct conn_watch *w = watch_of(conn);

	if (!w)
		return;
	pthread_mutex_lock(&h->lock);
	w->in_request = in_request;
	w->in_body = 0;
	w->waiting_since = hf_mono_ns();
	pthread_mutex_unlock(&h->lock);
}

/* the request's body starts (its window with it), or is read to its end */
static void watch_body(struct hf_http *h, struct conn_watch *w, int in_body)
{
	if (!w)
		return;
	pthread_mutex_lock(&h->lock);
	w->in_body = in_body;
	w->window_start = hf_mono_ns();
	w->window_bytes = 0;
	pthread_mutex_unlock(&h->lock);
}

/* the server's own time on a chunk moves the window on by as much */
static void watch_chunk(struct hf_http *h, struct conn_watch *w, size_t n, int busy, int64_t since)
{
	if (!w)
		return;
	pthread_mutex_lock(&h->lock);
	w->busy = busy;
	if (busy)
		w->window_bytes += n;
	else
		w->window_start += hf_mono_ns() - since;
	pthread_mutex_unlock(&h->lock);
}

/* once a second: shuts down connections that have waited for a request's
 * headers longer than header_seconds, and those whose body brought less
 * than body_min_rate a second over its last window (libmicrohttpd then sees
 * the end and cleans up in its own thread: on_completed drops the partial
 * upload) */
static void *reaper(void *arg)
{
	struct hf_http *h = arg;
	int64_t limit = (int64_t)h->header_seconds * 1000000000;
	int64_t window = (int64_t)h->body_window_seconds * 1000000000;
	uint64_t floor_bytes = (uint64_t)h->body_min_rate * h->body_window_seconds;

	pthread_mutex_lock(&h->lock);
	while (!h->stopping) {
		struct timespec until;
		size_t cut = 0, slow = 0;
		int64_t now = hf_mono_ns();
		for (struct conn_watch *w = h->watched; w; w = w->next) {
			if (w->cut || w->fd < 0)
				continue;
			if (!w->in_request && now - w->waiting_since > limit) {
				shutdown(w->fd, SHUT_RDWR);
				w->cut = 1;
				cut++;
			} else if (w->in_body && !w->busy && now - w->window_start >= window) {
				if (w->window_bytes < floor_bytes) {
					shutdown(w->fd, SHUT_RDWR);
					w->cut = 1;
					slow++;
				} else {
					w->window_start = now;
					w->window_bytes = 0;
				}
			}
		}
		if (cut || slow) {
			char detail[2][96];
			snprintf(detail[0], sizeof(detail[0]), "%zu connection(s) cut: no request headers for %u s",
				 cut, h->header_seconds);
			snprintf(detail[1], sizeof(detail[1]),
				 "%zu upload(s) cut: under %u bytes/s over %u s, the partial upload dropped", slow,
				 h->body_min_rate, h->body_window_seconds);
			pthread_mutex_unlock(&h->lock);
			if (cut)
				hf_server_log(h->s, "slow_headers", detail[0]);
			if (slow)
				hf_server_log(h->s, "slow_body", detail[1]);
			pthread_mutex_lock(&h->lock);
		}
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += 1;
		pthread_cond_timedwait(&h->wake, &h->lock, &until);
	}
	pthread_mutex_unlock(&h->lock);
	return NULL;
}

/* one request in flight */
struct exchange {
	struct hf_call *call;
	struct conn_watch *w; /* the connection's, which outlives the exchange */
	struct hf_response resp;
	int started, failed;
	int answered; /* resp is the whole answer, queued on the next call */
	char peer[INET6_ADDRSTRLEN];
	char query[600];
};

/* the stored bytes of a GET, owned by the MHD response */
struct stream {
	struct hf_store_reader *reader;
	uint64_t offset;
};

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct stream *st = cls;

	if (!st->reader || hf_store_reader_read(st->reader, st->offset + pos, max, buf) < 0)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	return (ssize_t)max;
}

static void stream_free(void *cls)
{
	struct stream *st = cls;

	hf_store_reader_close(st->reader);
	free(st);
}

static enum MHD_Result send_answer(struct MHD_Connection *conn, struct exchange *x)
{
	struct hf_response *r = &x->resp;
	struct MHD_Response *mr;
	enum MHD_Result ret;
	char v[96];

	if (r->reader || ((r->status == 200 || r->status == 206) && r->content_type &&
			  strcmp(r->content_type, "application/octet-stream") == 0)) {
		struct stream *st = hf_xcalloc(1, sizeof(*st));
		size_t block = r->length < STREAM_BLOCK ? (size_t)r->length + 1 : STREAM_BLOCK;
		st->reader = r->reader; /* NULL for HEAD: MHD sends no body */
		st->offset = r->offset;
		r->reader = NULL;
		mr = MHD_create_response_from_callback(r->length, block, stream_read, st, stream_free);
	} else {
		mr = MHD_create_response_from_buffer(r->body.len, r->body.data, MHD_RESPMEM_MUST_COPY);
	}
	if (!mr)
		return MHD_NO;
	MHD_add_response_header(mr, MHD_HTTP_HEADER_CONTENT_TYPE, r->content_type ? r->content_type : "text/plain");
	if (r->status == 206) {
		snprintf(v, sizeof(v), "bytes %llu-%llu/%llu", (unsigned long long)r->offset,
			 (unsigned long long)(r->offset + r->length - 1), (unsigned long long)r->total);
		MHD_add_response_header(mr, MHD_HTTP_HEADER_CONTENT_RANGE, v);
	}
	if (r->arrival_ns) {
		snprintf(v, sizeof(v), "%lld", (long long)r->arrival_ns);
		MHD_add_response_header(mr, "Holdfast-Arrival", v);
	}
	if (r->sender[0])
		MHD_add_response_header(mr, "Holdfast-Sender", r->sender);
	if (r->error)
		MHD_add_response_header(mr, "Holdfast-Error", r->error);
	if (r->unlock_ns) {
		snprintf(v, sizeof(v), "%lld", (long long)r->unlock_ns);
		MHD_add_response_header(mr, "Holdfast-Unlock-At", v);
	}
	ret = MHD_queue_response(conn, (unsigned)r->status, mr);
	MHD_destroy_response(mr);
	return ret;
}

static void peer_of(struct MHD_Connection *conn, char *out, size_t cap)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;

	out[0] = '\0';
	if (sa && sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out, (socklen_t)cap);
	else if (sa && sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, out, (socklen_t)cap);
}

/* the query arguments the server reads, rebuilt (MHD has parsed them) */
static void query_of(struct MHD_Connection *conn, char *out, size_t cap)
{
	static const char *const keys[] = {"kind", "name"};
	size_t len = 0;

	out[0] = '\0';
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const char *v = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, keys[i]);
		int n;
		if (!v || strlen(v) > 128)
			continue;
		n = snprintf(out + len, cap - len, "%s%s=%s", len ? "&" : "", keys[i], v);
		if (n < 0 || (size_t)n >= cap - len)
			break;
		len += (size_t)n;
	}
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
				  const char *version, const char *upload_data, size_t *upload_data_size,
				  void **con_cls)
{
	struct hf_http *h = cls;
	struct exchange *x = *con_cls;

	(void)version;
	if (!x) {
		const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
		watch_request(h, conn, 1);
		struct hf_request rq = {.method = method, .path = url, .content_length = -1};
		x = hf_xcalloc(1, sizeof(*x));
		*con_cls = x;
		hf_response_init(&x->resp);
		peer_of(conn, x->peer, sizeof(x->peer));
		query_of(conn, x->query, sizeof(x->query));
		rq.peer = x->peer;
		rq.query = x->query;
		rq.authorization = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
		rq.range = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_RANGE);
		rq.signature = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Holdfast-Auth");
		rq.tag_key = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Holdfast-Tag-Key");
		if (cl) {
			unsigned long long v = 0;
			int used = 0;
			if (sscanf(cl, "%llu%n", &v, &used) == 1 && cl[used] == '\0' && cl[0] >= '0' && cl[0] <= '9' &&
			    v <= INT64_MAX)
				rq.content_length = (int64_t)v;
		}
		x->w = watch_of(conn);
		if (hf_server_begin(h->s, &rq, &x->call, &x->resp) == 1) {
			watch_body(h, x->w, 1);
			return MHD_YES;
		}
		/* The whole answer, no body read. Queued now only if a body was
		 * announced (a refused put: the connection then closes, so its
		 * body is not read as a next request); else on the next call, as
		 * MHD wants for the connection to stay open for the next request. */
		if (cl || MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING))
			return send_answer(conn, x);
		x->answered = 1;
		return MHD_YES;
	}
	if (x->answered) {
		*upload_data_size = 0;
		return send_answer(conn, x);
	}
	if (*upload_data_size) {
		/* after a failure the rest of the body is read and dropped, so the
		 * client gets the answer rather than a cut connection (it is held
		 * to the body rate all the same) */
		int64_t t0 = hf_mono_ns();
		watch_chunk(h, x->w, *upload_data_size, 1, t0);
		if (!x->failed && hf_server_body(x->call, upload_data, *upload_data_size, &x->resp) < 0)
			x->failed = 1;
		watch_chunk(h, x->w, 0, 0, t0);
		*upload_data_size = 0;
		return MHD_YES;
	}
	watch_body(h, x->w, 0);
	if (!x->failed)
		hf_server_end(x->call, &x->resp);
	hf_server_call_free(x->call);
	x->call = NULL;
	return send_answer(conn, x);
}

static void on_mhd_error(void *cls, const char *fmt, va_list ap)
{
	struct hf_http *h = cls;
	char text[256];

	vsnprintf(text, sizeof(text), fmt, ap);
	hf_server_log(h->s, "http", text);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	struct exchange *x = *con_cls;

	(void)toe;
	watch_request(cls, conn, 0); /* kept alive: waiting for the next request's headers */
	if (!x)
		return;
	hf_server_call_free(x->call); /* a request cut off mid-body: nothing becomes visible */
	hf_response_release(&x->resp);
	free(x);
	*con_cls = NULL;
}

/* "ADDR:PORT" or "[ADDR6]:PORT" */
static int parse_listen(const char *s, struct sockaddr_storage *ss, int *loopback)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon = strrchr(s, ':');
	unsigned port;
	int used = 0;
	size_t hl;

	memset(ss, 0, sizeof(*ss));
	if (!colon || sscanf(colon + 1, "%u%n", &port, &used) != 1 || colon[1 + used] != '\0' || port > 65535)
		return -HF_E_USAGE;
	hl = (size_t)(colon - s);
	if (hl >= sizeof(host))
		return -HF_E_USAGE;
	memcpy(host, s, hl);
	host[hl] = '\0';
	if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
		host[hl - 1] = '\0';
		if (inet_pton(AF_INET6, host + 1, &a->sin6_addr) != 1)
			return -HF_E_USAGE;
		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)port);
		*loopback = IN6_IS_ADDR_LOOPBACK(&a->sin6_addr);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;
		if (inet_pton(AF_INET, host, &a->sin_addr) != 1)
			return -HF_E_USAGE;
		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)port);
		*loopback = (ntohl(a->sin_addr.s_addr) >> 24) == 127;
	}
	return 0;
}

int hf_http_start(struct hf_server *s, const struct hf_http_opts *o, struct hf_http **out)
{
	struct sockaddr_storage ss;
	struct hf_http *h;
	const union MHD_DaemonInfo *di;
	unsigned threads = o->threads;
	unsigned flags = MHD_USE_AUTO | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
	int loopback = 0, tls = o->cert_pem && o->key_pem;
	int r = parse_listen(o->listen ? o->listen : "", &ss, &loopback);

	*out = NULL;
	if (r < 0)
		return r;
	if (!tls && !loopback)
		return -HF_E_USAGE; /* tokens and data never cross a network in the clear */
	if (tls && !MHD_is_feature_supported(MHD_FEATURE_TLS))
		return -ENOTSUP;
	if (threads == 0) {
		long cpus = sysconf(_SC_NPROCESSORS_ONLN);
		threads = cpus > 0 && cpus < 8 ? 2 * (unsigned)cpus : 16;
	}
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	if (tls)
		flags |= MHD_USE_TLS;
	h = hf_xcalloc(1, sizeof(*h));
	h->s = s;
	h->header_seconds = o->header_seconds ? o->header_seconds : 10u;
	h->body_min_rate = o->body_min_rate ? o->body_min_rate : 1024u;
	h->body_window_seconds = o->body_window_seconds ? o->body_window_seconds : 20u;
	pthread_mutex_init(&h->lock, NULL);
	pthread_cond_init(&h->wake, NULL);
	/* the logger first (libmicrohttpd logs the options before it to stderr);
	 * without TLS the option list ends before the certificate options */
	h->d = MHD_start_daemon(
		flags, 0, NULL, NULL, on_request, h, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_error, h, MHD_OPTION_SOCK_ADDR,
		(struct sockaddr *)&ss, MHD_OPTION_THREAD_POOL_SIZE, threads, MHD_OPTION_CONNECTION_LIMIT,
		(unsigned)CONNECTIONS_MAX, MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)CONNECTIONS_PER_ADDRESS,
		MHD_OPTION_CONNECTION_TIMEOUT, o->idle_seconds ? o->idle_seconds : 30u,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HEADER_MEMORY, MHD_OPTION_STRICT_FOR_CLIENT, 1,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, h, MHD_OPTION_NOTIFY_CONNECTION, on_connection, h,
		tls ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, o->cert_pem, MHD_OPTION_HTTPS_MEM_KEY, o->key_pem,
		MHD_OPTION_HTTPS_PRIORITIES, "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2", MHD_OPTION_END);
	if (!h->d) {
		pthread_cond_destroy(&h->wake);
		pthread_mutex_destroy(&h->lock);
		free(h);
		return -EADDRNOTAVAIL;
	}
	h->reaper_running = pthread_create(&h->reaper, NULL, reaper, h) == 0;
	di = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
	h->port = di ? di->port : 0;
	*out = h;
	return 0;
}

uint16_t hf_http_port(const struct hf_http *h)
{
	return h->port;
}

void hf_http_stop(struct hf_http *h)
{
	if (!h)
		return;
	if (h->reaper_running) {
		pthread_mutex_lock(&h->lock);
		h->stopping = 1;
		pthread_cond_signal(&h->wake);
		pthread_mutex_unlock(&h->lock);
		pthread_join(h->reaper, NULL);
	}
	MHD_stop_daemon(h->d); /* closes what is left, each through on_connection */
	pthread_cond_destroy(&h->wake);
	pthread_mutex_destroy(&h->lock);
	free(h);
}
