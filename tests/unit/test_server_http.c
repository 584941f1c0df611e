/* test_server_http.c — the server's HTTP front (lib/server/http.c) on
 * loopback with real TLS (a certificate made by openssl(1)), driven by
 * curl(1): objects of a real repository go up and come back bit for bit,
 * ranges, refusals with their statuses, a peer that never finishes its
 * headers or trickles its body is cut off, and plain HTTP is refused anywhere but loopback. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "crypto/crypto.h"
#include "engine/engine.h"
#include "repo/repo.h"
#include "server/client.h"
#include "server/http.h"
#include "server/policy.h"
#include "server/registry.h"
#include "server/server.h"
#include "store/store.h"
#include "t.h"
#include "t_fs.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/hex.h"

#define PASS "correct horse battery staple"

static char g_base[256];
static char g_token[HF_TOKEN_LEN + 1];

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

static char *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	char *p = NULL;
	long len;

	*n = 0;
	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (len = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
		p = malloc((size_t)len + 1);
		if (p && fread(p, 1, (size_t)len, f) == (size_t)len) {
			p[len] = '\0';
			*n = (size_t)len;
		}
	}
	fclose(f);
	return p;
}

/* curl: the HTTP status, or -1; the body goes to out (may be NULL) */
static int curl(unsigned port, const char *method, const char *path, const char *upload, const char *extra,
		const char *out)
{
	char status_file[600], cmd_status[32] = "";
	size_t n;
	char *s;
	int rc;

	snprintf(status_file, sizeof(status_file), "%s/status", g_base);
	rc = sh("curl -s --cacert %s/cert.pem -X %s -H 'Authorization: Bearer %s' %s%s%s %s -o %s -w '%%{http_code}' "
		"'https://localhost:%u%s' >%s 2>/dev/null",
		g_base, method, g_token, upload ? "--data-binary @" : "", upload ? upload : "",
		upload ? " -H 'Content-Type: application/octet-stream'" : "", extra ? extra : "",
		out ? out : "/dev/null", port, path, status_file);
	(void)rc;
	s = slurp(status_file, &n);
	if (s)
		snprintf(cmd_status, sizeof(cmd_status), "%s", s);
	free(s);
	return sscanf(cmd_status, "%d", &rc) == 1 ? rc : -1;
}

struct first {
	char name[HF_STORE_NAME_MAX + 1];
};

static int first_name(void *arg, const char *name, uint64_t size)
{
	struct first *f = arg;

	(void)size;
	if (!f->name[0])
		snprintf(f->name, sizeof(f->name), "%s", name);
	return 0;
}

/* writes kind's first object of the store to a file; its name */
static int export_first(struct hf_store *st, int kind, const char *file, char *name)
{
	struct first f = {""};
	struct hf_buf b;
	FILE *out;
	int r;

	if (kind == HF_OBJ_CONFIG)
		snprintf(f.name, sizeof(f.name), "config");
	else if ((r = hf_store_list(st, kind, first_name, &f)) < 0 || !f.name[0])
		return -1;
	hf_buf_init(&b, 1u << 30);
	r = hf_store_get(st, kind, f.name, &b);
	out = fopen(file, "wb");
	if (r == 0 && out && fwrite(b.data, 1, b.len, out) == b.len)
		r = 0;
	else
		r = -1;
	if (out)
		fclose(out);
	hf_buf_release(&b);
	snprintf(name, HF_STORE_NAME_MAX + 1, "%s", f.name);
	return r;
}

/* Snapshots written with the key but dated 2019 and 2100 (what a
 * compromised client can do): the server's receipts give each its arrival
 * and sender, the far dates are flagged, and neither becomes "latest". */
static void forged_times(struct hf_repo *r, const uint8_t latest_id[HF_ID_LEN])
{
	static const int64_t dates[2] = {1546300800LL * 1000000000, 4102444800LL * 1000000000};
	struct hf_snapshot s, *all = NULL, latest;
	struct hf_session *ses = NULL;
	size_t n = 0, flagged = 0;
	int64_t now = hf_snapshot_clock_now();

	T_EQ(hf_snapshot_resolve(r, "latest", &s), 0);
	T_EQ(hf_session_new(r, &ses), 0);
	for (int i = 0; i < 2 && ses; i++) {
		s.time_ns = dates[i];
		T_EQ(hf_snapshot_write(r, ses, &s), 0);
	}
	hf_session_free(ses);
	hf_snapshot_release(&s);
	T_EQ(hf_snapshot_list(r, &all, &n, NULL), 0);
	T_EQ(n, 4);
	for (size_t i = 0; i < n; i++) {
		T_CHECK(all[i].stored_ns > now - 600 * 1000000000LL && all[i].stored_ns < now + 600 * 1000000000LL);
		T_CHECK(strcmp(all[i].sender, "boss") == 0);
		T_EQ(!!(all[i].flags & HF_SNAP_TIME_SKEW), i >= 2); /* arrival order: the forged ones last */
		flagged += all[i].flags != 0;
	}
	T_EQ(flagged, 2);
	hf_snapshot_list_free(all, n);
	T_EQ(hf_snapshot_resolve(r, "latest", &latest), 0);
	T_MEMEQ(latest.id, latest_id, HF_ID_LEN);
	hf_snapshot_release(&latest);
}

static void test_http(void)
{
	char root[600], path[700], dir[600], file[700], back[700], name[HF_STORE_NAME_MAX + 1],
		keyname[HF_STORE_NAME_MAX + 1];
	struct hf_server_opts so = {.root = root};
	struct hf_server *s = NULL;
	struct hf_http *h = NULL;
	struct hf_http_opts ho = {.listen = "127.0.0.1:0", .idle_seconds = 2};
	struct hf_store *st = NULL;
	struct hf_client c = {.name = "boss", .role = HF_ROLE_ADMIN, .repos = "*", .created_ns = 1};
	char *cert = NULL, *key = NULL, *a = NULL, *b = NULL;
	size_t n, na, nb;
	unsigned port;

	/* a certificate for localhost, and a repository to send */
	T_EQ(sh("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=localhost "
		"-addext subjectAltName=DNS:localhost -keyout %s/key.pem -out %s/cert.pem >/dev/null 2>&1",
		g_base, g_base),
	     0);
	snprintf(file, sizeof(file), "%s/cert.pem", g_base);
	cert = slurp(file, &n);
	snprintf(file, sizeof(file), "%s/key.pem", g_base);
	key = slurp(file, &n);
	T_CHECK(cert && key);
	snprintf(dir, sizeof(dir), "%s/source", g_base);
	{
		const struct hf_repo_params p = {.kdf_ops = 1, .kdf_mem = 8u << 20};
		T_EQ(hf_store_local_open(dir, 1, &st), 0);
		T_EQ(hf_repo_create(st, PASS, strlen(PASS), &p, NULL), 0);
	}
	snprintf(root, sizeof(root), "%s/server", g_base);
	mkdir(root, 0700);
	T_EQ(hf_server_open(&so, &s), 0);
	if (!s || !cert || !key || !st)
		goto out;
	T_EQ(hf_token_new(c.name, g_token, sizeof(g_token), c.token_hash), 0);
	T_EQ(hf_registry_add(root, &c), 0);

	/* plain HTTP only on loopback */
	{
		struct hf_http_opts plain = {.listen = "0.0.0.0:0"};
		struct hf_http *x = NULL;
		T_EQ(hf_http_start(s, &plain, &x), -HF_E_USAGE);
		plain.listen = "nonsense";
		T_EQ(hf_http_start(s, &plain, &x), -HF_E_USAGE);
	}
	ho.cert_pem = cert;
	ho.key_pem = key;
	T_EQ(hf_http_start(s, &ho, &h), 0);
	if (!h)
		goto out;
	port = hf_http_port(h);
	T_CHECK(port > 0);

	T_EQ(curl(port, "GET", "/v1/hello", NULL, NULL, NULL), 200);
	T_EQ(sh("curl -s --cacert %s/cert.pem -o /dev/null -w '%%{http_code}' https://localhost:%u/v1/hello | grep -qx "
		"401",
		g_base, port),
	     0);                                                                      /* no token */
	T_EQ(sh("curl -s -o /dev/null https://localhost:%u/v1/hello", port) != 0, 1); /* an unknown certificate */
	T_EQ(curl(port, "POST", "/v1/r", NULL, NULL, NULL), 201);
	/* up: the config, the key file; both back bit for bit */
	snprintf(file, sizeof(file), "%s/obj", g_base);
	snprintf(back, sizeof(back), "%s/back", g_base);
	T_EQ(export_first(st, HF_OBJ_CONFIG, file, name), 0);
	T_EQ(curl(port, "PUT", "/v1/r/config/config", file, NULL, NULL), 201);
	T_EQ(curl(port, "PUT", "/v1/r/config/config", file, NULL, NULL), 409);
	T_EQ(export_first(st, HF_OBJ_KEY, file, keyname), 0);
	snprintf(path, sizeof(path), "/v1/r/keys/%s", keyname);
	T_EQ(curl(port, "PUT", path, file, NULL, NULL), 201);
	T_EQ(curl(port, "GET", path, NULL, NULL, back), 200);
	a = slurp(file, &na);
	b = slurp(back, &nb);
	T_CHECK(a && b && na == nb && na > 0 && memcmp(a, b, na) == 0);
	free(b);
	b = NULL;
	T_EQ(curl(port, "GET", path, NULL, "-H 'Range: bytes=8-15'", back), 206);
	b = slurp(back, &nb);
	T_CHECK(a && b && nb == 8 && memcmp(a + 8, b, 8) == 0);
	T_EQ(curl(port, "HEAD", path, NULL, "-I", NULL), 200);
	/* bytes that do not hash to the name */
	snprintf(path, sizeof(path), "/v1/r/keys/%.63s0",
		 keyname[63] == '0' ? "1111111111111111111111111111111111111111111111111111111111111111" : keyname);
	T_EQ(curl(port, "PUT", path, file, NULL, NULL), 422);
	T_EQ(curl(port, "DELETE", "/v1/r/config/config", NULL, NULL, NULL), 403);
	T_EQ(curl(port, "GET", "/v1/r/keys/", NULL, NULL, back), 200);
	T_EQ(curl(port, "GET", "/v1/../etc/passwd", NULL, "--path-as-is", NULL), 404);

	/* a peer that never finishes its headers is cut off after the idle time
	 * (on a plain loopback listener, to reach the HTTP layer) */
	{
		struct hf_http_opts plain = {.listen = "127.0.0.1:0", .idle_seconds = 2};
		struct hf_http *x = NULL;
		T_EQ(hf_http_start(s, &plain, &x), 0);
		if (x) {
			int fd = socket(AF_INET, SOCK_STREAM, 0), closed = 0;
			struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(hf_http_port(x))};
			const char *part = "GET /v1/hello HTTP/1.1\r\nHost: localhost\r\nAuthor";
			time_t t0 = time(NULL);
			char buf[256];
			inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
			T_EQ(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
			T_CHECK(write(fd, part, strlen(part)) == (ssize_t)strlen(part));
			while (!closed && time(NULL) - t0 < 10) {
				struct pollfd pfd = {.fd = fd, .events = POLLIN};
				if (poll(&pfd, 1, 1000) == 1 && read(fd, buf, sizeof(buf)) <= 0)
					closed = 1;
			}
			T_CHECK(closed && time(NULL) - t0 <= 6); /* idle 2 s, not forever */
			close(fd);
			hf_http_stop(x);
		}
	}
	/* one that trickles its headers a byte at a time, never idle: cut after
	 * header_seconds all the same (slow loris); a real request beside it
	 * goes through */
	{
		struct hf_http_opts plain = {.listen = "127.0.0.1:0", .idle_seconds = 30, .header_seconds = 2};
		struct hf_http *x = NULL;
		T_EQ(hf_http_start(s, &plain, &x), 0);
		if (x) {
			int fd = socket(AF_INET, SOCK_STREAM, 0), closed = 0;
			struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(hf_http_port(x))};
			const char *line = "GET /v1/hello HTTP/1.1\r\nX-Slow: ";
			time_t t0 = time(NULL);
			char buf[256];
			inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
			T_EQ(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
			T_CHECK(write(fd, line, strlen(line)) == (ssize_t)strlen(line));
			while (!closed && time(NULL) - t0 < 15) {
				struct pollfd pfd = {.fd = fd, .events = POLLIN};
				if (poll(&pfd, 1, 300) == 1 && read(fd, buf, sizeof(buf)) <= 0)
					closed = 1;
				else if (write(fd, "a", 1) != 1) /* one more byte: never idle */
					closed = 1;
			}
			T_CHECK(closed && time(NULL) - t0 <= 5); /* cut after 2-3 s, not at the 30 s idle time */
			close(fd);
			hf_http_stop(x);
		}
	}
	T_EQ(curl(port, "GET", "/v1/hello", NULL, NULL, NULL), 200); /* and the server still answers */

	/* a put whose body trickles in a byte every 0.3 s, never idle: cut once
	 * a body window brings less than the floor, and its partial upload is
	 * never visible; a put at a real link's pace, longer than the window,
	 * goes through (on a plain loopback listener, as above) */
	{
		struct hf_http_opts plain = {.listen = "127.0.0.1:0",
					     .idle_seconds = 30,
					     .body_min_rate = 1024,
					     .body_window_seconds = 2};
		struct hf_http *x = NULL;
		T_EQ(hf_http_start(s, &plain, &x), 0);
		if (x) {
			int fd = socket(AF_INET, SOCK_STREAM, 0), closed = 0;
			struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(hf_http_port(x))};
			const char *slowname = "5105105105105105105105105105105105105105105105105105105105105105";
			char head[600], buf[256], big[700], bigpath[200], hex[2 * HF_HASH_LEN + 1];
			uint8_t digest[HF_HASH_LEN];
			time_t t0;
			size_t nbig = 0;
			char *bytes;
			snprintf(head, sizeof(head),
				 "PUT /v1/r/data/%s HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer %s\r\n"
				 "Content-Type: application/octet-stream\r\nContent-Length: 100000\r\n\r\nabc",
				 slowname, g_token);
			inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
			T_EQ(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
			T_CHECK(write(fd, head, strlen(head)) == (ssize_t)strlen(head));
			t0 = time(NULL);
			while (!closed && time(NULL) - t0 < 15) {
				struct pollfd pfd = {.fd = fd, .events = POLLIN};
				if (poll(&pfd, 1, 300) == 1 && read(fd, buf, sizeof(buf)) <= 0)
					closed = 1;
				else if (write(fd, "a", 1) != 1) /* one more byte: never idle */
					closed = 1;
			}
			T_CHECK(closed && time(NULL) - t0 <= 5); /* cut after 2-3 s, not at the 30 s idle time */
			close(fd);
			snprintf(bigpath, sizeof(bigpath), "/v1/r/data/%s", slowname);
			T_EQ(curl(port, "GET", bigpath, NULL, NULL, NULL), 404); /* nothing of it stored */

			/* 1.5 MB at 300 KiB/s: about 5 s, longer than the window (random
			 * bytes with a pack's trailer: the shape the server checks) */
			snprintf(big, sizeof(big), "%s/steady", g_base);
			T_EQ(sh("head -c 1499988 /dev/urandom >%s && printf '\\350\\003\\000\\000HFPCK001' >>%s", big,
				big),
			     0);
			bytes = slurp(big, &nbig);
			T_CHECK(bytes && nbig == 1500000);
			if (bytes) {
				hf_sha256(bytes, nbig, digest);
				hf_hex_encode(digest, HF_HASH_LEN, hex);
				T_EQ(sh("curl -s --limit-rate 300k -X PUT -H 'Authorization: Bearer %s' -H "
					"'Content-Type: "
					"application/octet-stream' --data-binary @%s -o /dev/null -w '%%{http_code}' "
					"http://127.0.0.1:%u/v1/r/data/%s | grep -qx 201",
					g_token, big, (unsigned)hf_http_port(x), hex),
				     0);
				snprintf(bigpath, sizeof(bigpath), "/v1/r/data/%s", hex);
				T_EQ(curl(port, "GET", bigpath, NULL, NULL, back), 200);
				T_EQ(sh("cmp -s %s %s", big, back), 0);
			}
			free(bytes);
			hf_http_stop(x);
		}
	}

	/* the library over https: create, back up, check, restore */
	{
		char url[200], cacert[700], src[700], target[700];
		struct hf_store_opts o = {.token = g_token, .cacert = cacert};
		struct hf_store *hs = NULL;
		struct hf_repo *r = NULL;
		const struct hf_repo_params p = {.kdf_ops = 1, .kdf_mem = 8u << 20};
		snprintf(url, sizeof(url), "https://localhost:%u/r2", port);
		snprintf(cacert, sizeof(cacert), "%s/cert.pem", g_base);
		snprintf(src, sizeof(src), "%s/files", g_base);
		snprintf(target, sizeof(target), "%s/restored", g_base);
		T_EQ(sh("mkdir -p %s/d && head -c 3000000 /dev/urandom >%s/big && seq 1 100000 >%s/d/numbers && "
			"echo hello >%s/d/small",
			src, src, src, src),
		     0);
		T_EQ(hf_store_open_opts(url, 0, &o, &hs), -HF_E_NOTFOUND);
		T_EQ(hf_store_open_opts(url, 1, &o, &hs), 0);
		if (hs) {
			T_CHECK(hf_store_caps(hs) & HF_STORE_OWN_CLOCK);
			T_EQ(hf_repo_create(hs, PASS, strlen(PASS), &p, NULL), 0);
			hf_store_close(hs);
			hs = NULL;
		}
		/* the admin's init gave the server the tag key: untagged objects
		 * are refused at the door, tagged ones (every backup's) go in */
		{
			char forged[300], answer[300], snap[200], hex[2 * HF_HASH_LEN + 1], *text;
			uint8_t body[200], digest[HF_HASH_LEN];
			size_t len = 0;
			FILE *f;
			snprintf(forged, sizeof(forged), "%s/forged", g_base);
			snprintf(answer, sizeof(answer), "%s/answer", g_base);
			T_EQ(curl(port, "GET", "/v1/r2", NULL, NULL, answer), 200);
			text = slurp(answer, &len);
			T_CHECK(text && strstr(text, "\"tag_key\": true") != NULL);
			free(text);
			memcpy(body, "HFSNP002", 8);
			hf_random(body + 8, sizeof(body) - 8);
			hf_sha256(body, sizeof(body), digest);
			hf_hex_encode(digest, HF_HASH_LEN, hex);
			f = fopen(forged, "w");
			T_CHECK(f && fwrite(body, 1, sizeof(body), f) == sizeof(body));
			if (f)
				fclose(f);
			snprintf(snap, sizeof(snap), "/v1/r2/snapshots/%s", hex);
			T_EQ(curl(port, "PUT", snap, forged, NULL, answer), 422);
			text = slurp(answer, &len);
			T_CHECK(text && strstr(text, "untagged") != NULL);
			free(text);
		}
		T_EQ(hf_store_open_opts(url, 0, &o, &hs), 0);
		if (hs)
			T_EQ(hf_repo_open(hs, PASS, strlen(PASS), &r), 0);
		if (r) {
			char *paths[1] = {src};
			struct hf_backup_opts bo = {.paths = paths, .npaths = 1};
			struct hf_backup_stats bs;
			struct hf_check_opts co = {.read_data = 1};
			struct hf_check_stats cs;
			struct hf_snapshot latest;
			struct hf_restore_opts ro = {.target = target};
			struct hf_restore_stats rs;
			uint8_t latest_id[HF_ID_LEN];
			T_EQ(hf_backup(r, &bo, &bs), 0);
			T_EQ(sh("echo more >>%s/d/small", src), 0);
			T_EQ(hf_backup(r, &bo, &bs), 0);
			T_EQ(hf_check(r, &co, &cs), 0);
			T_EQ(cs.errors, 0);
			T_EQ(cs.snapshots, 2);
			T_EQ(hf_snapshot_resolve(r, "latest", &latest), 0);
			T_EQ(hf_restore(r, &latest, &ro, &rs), 0);
			T_EQ(rs.errors, 0);
			memcpy(latest_id, latest.id, HF_ID_LEN);
			hf_snapshot_release(&latest);
			T_EQ(sh("diff -r %s %s%s >/dev/null", src, target, src), 0);
			forged_times(r, latest_id);
			hf_repo_close(r);
		}
		/* the wrong certificate authority: refused, not retried */
		o.cacert = "/etc/ssl/certs/ca-certificates.crt";
		T_EQ(hf_store_open_opts(url, 0, &o, &hs), -HF_E_REFUSED);
	}
out:
	free(a);
	free(b);
	hf_http_stop(h);
	hf_server_close(s);
	hf_store_close(st);
	free(cert);
	free(key);
}

int main(void)
{
	int rc;

	if (hf_crypto_init() < 0) {
		printf("test_server_http: 0 passed, 1 failed\n");
		return 1;
	}
	snprintf(g_base, sizeof(g_base), "/tmp/hf-test-http.XXXXXX");
	if (!mkdtemp(g_base)) {
		printf("test_server_http: 0 passed, 1 failed\n");
		return 1;
	}
	T_RUN(test_http);
	rc = T_DONE("test_server_http");
	t_rm_rf(g_base);
	return rc;
}
