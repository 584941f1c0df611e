/* s3_request.c — one exchange with an S3 server (s3_internal.h): the
 * request signed by libcurl's built-in AWS Signature V4, the answer's body,
 * headers and error document collected, retries of what may pass on its own
 * (transport failures, 5xx, 429, SlowDown, RequestTimeout), and the error
 * code the answer means. */
#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "store/s3_internal.h"
#include "store/s3_xml.h"
#include "store/store_names.h"
#include "util/buf.h"

#define TRIES 4
#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

static size_t on_body(char *p, size_t size, size_t nmemb, void *arg)
{
	struct exchange *x = arg;
	size_t n = size * nmemb;

	if (x->status < 200 || x->status >= 300) { /* an error document: keep its start */
		size_t k = n < sizeof(x->errbody) - x->nerr ? n : sizeof(x->errbody) - x->nerr;
		memcpy(x->errbody + x->nerr, p, k);
		x->nerr += k;
		return n;
	}
	if (x->buf) {
		if (hf_buf_append(x->buf, p, n) < 0) {
			x->overflow = 1;
			return 0;
		}
	} else if (x->dest) {
		if (n > x->cap - x->got) {
			x->overflow = 1;
			return 0;
		}
		memcpy(x->dest + x->got, p, n);
	}
	x->got += n;
	return n;
}

static int64_t header_date(const char *v)
{
	time_t t = curl_getdate(v, NULL);

	return t > 0 ? (int64_t)t : 0;
}

/* a header's value without the spaces around it and the line's end */
static void header_value(const char *v, char *out, size_t cap)
{
	size_t n;

	while (*v == ' ' || *v == '\t')
		v++;
	n = strcspn(v, "\r\n");
	while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
		n--;
	if (n >= cap)
		n = 0; /* too long to be one of ours: none */
	memcpy(out, v, n);
	out[n] = '\0';
}

static size_t on_header(char *p, size_t size, size_t nmemb, void *arg)
{
	struct exchange *x = arg;
	size_t n = size * nmemb;
	char line[256];
	long long v;
	int code;

	if (n >= sizeof(line))
		return n;
	memcpy(line, p, n);
	line[n] = '\0';
	if (strncmp(line, "HTTP/", 5) == 0) {
		const char *sp = strchr(line, ' ');
		hf_curl_ack_now(x->curl); /* the body may be waiting for it */
		if (sp && sscanf(sp, " %3d", &code) == 1)
			x->status = code;
		x->has_length = 0;
	} else if (strncasecmp(line, "content-length:", 15) == 0 && sscanf(line + 15, " %lld", &v) == 1 && v >= 0) {
		x->length = (uint64_t)v;
		x->has_length = 1;
		if (x->buf) /* the body in one allocation, not grown by doubling */
			hf_buf_expect(x->buf, (size_t)v);
	} else if (strncasecmp(line, "last-modified:", 14) == 0) {
		x->last_modified_s = header_date(line + 14);
	} else if (strncasecmp(line, "date:", 5) == 0) {
		x->date_s = header_date(line + 5);
	} else if (strncasecmp(line, "x-amz-version-id:", 17) == 0) {
		header_value(line + 17, x->version_id, sizeof(x->version_id));
	} else if (strncasecmp(line, "x-amz-object-lock-retain-until-date:", 36) == 0) {
		char when[64];
		header_value(line + 36, when, sizeof(when));
		x->retain_until_s = hf_s3_parse_time(when);
	}
	return n;
}

static size_t on_read(char *p, size_t size, size_t nmemb, void *arg)
{
	struct exchange *x = arg;
	size_t n = size * nmemb;

	if (n > x->nbody - x->sent)
		n = (size_t)(x->nbody - x->sent);
	if (n == 0)
		return 0;
	if (x->fd >= 0) {
		ssize_t r = pread(x->fd, p, n, (off_t)x->sent);
		if (r <= 0)
			return CURL_READFUNC_ABORT;
		n = (size_t)r;
	} else {
		memcpy(p, x->body + x->sent, n);
	}
	x->sent += n;
	return n;
}

static int retryable_code(const char *code)
{
	return strcmp(code, "SlowDown") == 0 || strcmp(code, "RequestTimeout") == 0 ||
	       strcmp(code, "InternalError") == 0 || strcmp(code, "ServiceUnavailable") == 0;
}

/* the answer as an error */
static int status_err(const struct exchange *x)
{
	long s = x->status;

	if (s >= 200 && s < 300)
		return 0;
	if (strcmp(x->code, "QuotaExceeded") == 0)
		return -EDQUOT;
	if (strcmp(x->code, "EntityTooLarge") == 0)
		return -HF_E_LIMIT;
	if (retryable_code(x->code))
		return -HF_E_UNAVAILABLE;
	switch (s) {
	case 400:
		return -HF_E_USAGE;
	case 401:
	case 403:
	case 405:
		return -HF_E_REFUSED;
	case 404:
		return -HF_E_NOTFOUND;
	case 301:
	case 307:
		return -HF_E_USAGE; /* the bucket is elsewhere: another region or endpoint */
	case 304:
	case 409:
	case 412:
		return -HF_E_EXISTS; /* a conditional PUT found the key taken */
	case 411:
	case 413:
	case 414:
	case 431:
		return -HF_E_LIMIT;
	case 416:
		return -HF_E_CORRUPT; /* a range past the end */
	case 507:
		return -ENOSPC;
	}
	return -HF_E_UNAVAILABLE; /* 429, 5xx and anything unknown: may pass */
}

static void pause_before(int attempt)
{
	static const long ms[] = {200, 1000, 5000};
	struct timespec ts = {ms[attempt - 1] / 1000, (ms[attempt - 1] % 1000) * 1000000};

	nanosleep(&ts, NULL);
}

/* performs x, retrying what may pass on its own; the error of its answer */
/* Keeps the failed request in words, for the message of the command that
 * fails because of it (hf_store_explain). Answers that are states, not
 * failures (not found, exists), are not kept. */
static void note_failure(struct s3_store *ss, const struct exchange *x, int ret)
{
	size_t nb = strlen(ss->url_base);
	const char *rel = strncmp(x->url, ss->url_base, nb) == 0 ? x->url + nb : x->url, *hint = "";
	int writes = strcmp(x->method, "PUT") == 0 || strcmp(x->method, "DELETE") == 0;

	if (ret == -HF_E_NOTFOUND || ret == -HF_E_EXISTS)
		return;
	if (*rel == '/')
		rel++;
	if (ret == -EDQUOT)
		hint = ": the bucket's quota is full";
	else if ((x->status == 401 || x->status == 403) && writes)
		hint = ": these credentials may not write to this bucket (its policy, or the keys' permissions)";
	pthread_mutex_lock(&ss->err_lock);
	if (x->status)
		snprintf(ss->last_err, sizeof(ss->last_err), "%s %.200s: HTTP %ld%s%s%s%s%s%s", x->method,
			 *rel ? rel : "(the bucket)", x->status, x->code[0] ? " " : "", x->code, x->msg[0] ? " (" : "",
			 x->msg, x->msg[0] ? ")" : "", hint);
	else
		snprintf(ss->last_err, sizeof(ss->last_err), "%s %.200s: %.160s%s", x->method,
			 *rel ? rel : "(the bucket)", x->curl_err[0] ? x->curl_err : "no answer", hint);
	pthread_mutex_unlock(&ss->err_lock);
}

int hf_s3_perform(struct s3_store *ss, struct exchange *x)
{
	struct curl_slist *headers = NULL;
	char sha_header[100];
	CURL *h = hf_curl_pool_take(&ss->pool);
	int ret = -HF_E_UNAVAILABLE, lost = 0, fresh = 0, put = strcmp(x->method, "PUT") == 0;

	if (!h)
		return -ENOMEM;
	/* curl 7.88 signs the payload hash given here; S3 needs it sent too */
	snprintf(sha_header, sizeof(sha_header), "x-amz-content-sha256: %s",
		 x->body_sha256 ? x->body_sha256 : EMPTY_SHA256);
	headers = curl_slist_append(headers, sha_header);
	if (ss->token_header)
		headers = curl_slist_append(headers, ss->token_header);
	if (x->range)
		headers = curl_slist_append(headers, x->range);
	for (size_t i = 0; i < sizeof(x->extra) / sizeof(x->extra[0]) && x->extra[i]; i++)
		headers = curl_slist_append(headers, x->extra[i]);
	if (put)
		headers = curl_slist_append(headers, "Content-Type: application/octet-stream");
	for (int attempt = 0; attempt < TRIES; attempt++) {
		CURLcode cc;
		if (attempt)
			pause_before(attempt);
		hf_curl_pool_prepare(&ss->pool, h);
		x->curl = h;
		curl_easy_setopt(h, CURLOPT_FRESH_CONNECT, (long)fresh);
		curl_easy_setopt(h, CURLOPT_URL, x->url);
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
		curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 10L);
		if (ss->cacert)
			curl_easy_setopt(h, CURLOPT_CAINFO, ss->cacert);
		curl_easy_setopt(h, CURLOPT_AWS_SIGV4, ss->sigv4);
		curl_easy_setopt(h, CURLOPT_USERNAME, ss->cred.access);
		curl_easy_setopt(h, CURLOPT_PASSWORD, ss->cred.secret);
		curl_easy_setopt(h, CURLOPT_ERRORBUFFER, x->curl_err);
		curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
		curl_easy_setopt(h, CURLOPT_WRITEDATA, x);
		curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
		curl_easy_setopt(h, CURLOPT_HEADERDATA, x);
		if (strcmp(x->method, "HEAD") == 0) {
			curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
		} else if (put) {
			curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
			curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
			curl_easy_setopt(h, CURLOPT_READDATA, x);
			curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)x->nbody);
			/* the body follows its headers at once: RGW sends no "100
			 * Continue", and curl's one-second wait for one would cost
			 * every PUT a second (an emptied Expect header would not do:
			 * curl signs it, then leaves it out) */
			curl_easy_setopt(h, CURLOPT_EXPECT_100_TIMEOUT_MS, 0L);
		} else if (strcmp(x->method, "GET") != 0) {
			curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, x->method);
		}
		x->curl_err[0] = '\0';
		x->status = 0;
		x->got = x->sent = 0;
		x->nerr = 0;
		x->overflow = 0;
		x->has_length = 0;
		x->version_id[0] = '\0';
		x->retain_until_s = 0;
		x->code[0] = x->msg[0] = '\0';
		if (x->buf)
			x->buf->len = 0;
		cc = curl_easy_perform(h);
		if (cc != CURLE_OK) {
			if (x->overflow) {
				ret = -HF_E_LIMIT;
				break;
			}
			if (cc == CURLE_PEER_FAILED_VERIFICATION || cc == CURLE_SSL_CACERT_BADFILE ||
			    cc == CURLE_UNSUPPORTED_PROTOCOL || cc == CURLE_URL_MALFORMAT) {
				ret = -HF_E_REFUSED; /* not the server it should be: no retry */
				break;
			}
			if (cc == CURLE_ABORTED_BY_CALLBACK) {
				ret = -EIO; /* the spool file could not be read */
				break;
			}
			lost = 1; /* the answer is lost: a put may have landed */
			ret = -HF_E_UNAVAILABLE;
			continue;
		}
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &x->status);
		if (x->nerr)
			hf_s3_parse_error(x->errbody, x->nerr, x->code, sizeof(x->code), x->msg, sizeof(x->msg));
		ret = status_err(x);
		if (x->status == 400 && !x->code[0] && !fresh) {
			/* A 400 with no S3 error document is not an answer to this
			 * request: RGW answers a PUT it refuses (403, 412) before
			 * reading the body, reads the rest of the body as the next
			 * request on the connection and answers that "400", which
			 * the next request to reuse the connection receives (seen
			 * with parallel uploads into a bucket whose policy denies
			 * writes). Asked again on a new connection, once. */
			fresh = 1;
			attempt--;
			continue;
		}
		if (ret == -HF_E_EXISTS && lost && put)
			ret = 0; /* the first attempt landed */
		if (ret != -HF_E_UNAVAILABLE)
			break;
	}
	curl_slist_free_all(headers);
	hf_curl_pool_give_back(&ss->pool, h);
	if (ret < 0)
		note_failure(ss, x, ret);
	return ret;
}

int hf_s3_object_key(struct s3_store *ss, int kind, const char *name, char *out, size_t cap)
{
	char rel[HF_STORE_NAME_MAX + 16];
	int r = hf_store_obj_path(kind, name, rel, sizeof(rel)), n;

	if (r < 0)
		return r;
	n = snprintf(out, cap, "%s%s", ss->prefix, rel);
	return n < 0 || (size_t)n >= cap ? -HF_E_LIMIT : 0;
}

int hf_s3_object_url(struct s3_store *ss, int kind, const char *name, char *out, size_t cap)
{
	char key[HF_S3_URL_MAX];
	int r = hf_s3_object_key(ss, kind, name, key, sizeof(key)), n;

	if (r < 0)
		return r;
	/* keys are made of [0-9a-zA-Z._/-] (the prefix is checked at open): no escaping */
	n = snprintf(out, cap, "%s/%s", ss->url_base, key);
	return n < 0 || (size_t)n >= cap ? -HF_E_LIMIT : 0;
}

/* s percent-encoded as SigV4's canonical query wants it (all but A-Z a-z 0-9 - _ . ~) */
int hf_s3_query_escape(const char *s, char *out, size_t cap)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
		    c == '_' || c == '.' || c == '~') {
			if (o + 1 >= cap)
				return -HF_E_LIMIT;
			out[o++] = (char)c;
		} else {
			if (o + 3 >= cap)
				return -HF_E_LIMIT;
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	if (o >= cap)
		return -HF_E_LIMIT;
	out[o] = '\0';
	return 0;
}
