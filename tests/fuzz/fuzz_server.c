/* fuzz_server.c — fuzz target for the repository server's request handling
 * (lib/server/server.c): what any peer on the network can send.
 *
 * Input: one line each for method, path, query, range and Content-Length,
 * a byte choosing the token (none, garbage, backup, restore, admin), then
 * the body. A real server root with a client of each role and a repository
 * is made once.
 *
 * Invariants: never a crash; every answer has a status from 200 to 599; a
 * request without a valid token gets 401; nothing but 2xx ever comes with a
 * stored object's bytes. */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto/crypto.h"
#include "fuzz_assert.h"
#include "server/client.h"
#include "server/policy.h"
#include "server/registry.h"
#include "server/server.h"

#define FUZZ_NAME "server"

static struct hf_server *g_server;
static char g_auth[5][HF_TOKEN_LEN + 16];

static void add_client(const char *root, const char *name, int role, char *auth)
{
	struct hf_client c = {.role = role, .repos = "r", .created_ns = 1};
	char token[HF_TOKEN_LEN + 1];

	snprintf(c.name, sizeof(c.name), "%s", name);
	if (hf_token_new(name, token, sizeof(token), c.token_hash) < 0)
		abort();
	snprintf(auth, HF_TOKEN_LEN + 16, "Bearer %s", token);
	if (hf_registry_add(root, &c) < 0)
		abort();
}

static char root[] = "/tmp/hf-fuzz-server.XXXXXX";

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void cleanup(void)
{
	hf_server_close(g_server);
	nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void setup(void)
{
	struct hf_server_opts o = {.root = root};
	struct hf_response resp;
	struct hf_call *call = NULL;
	struct hf_request rq = {.method = "POST", .path = "/v1/r", .content_length = -1};

	if (hf_crypto_init() < 0 || !mkdtemp(root) || hf_server_open(&o, &g_server) < 0)
		abort();
	atexit(cleanup);
	snprintf(g_auth[1], sizeof(g_auth[1]), "Bearer hft1_fs1_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
	add_client(root, "fs1", HF_ROLE_BACKUP, g_auth[2]);
	add_client(root, "reader", HF_ROLE_RESTORE, g_auth[3]);
	add_client(root, "boss", HF_ROLE_ADMIN, g_auth[4]);
	hf_response_init(&resp);
	rq.authorization = g_auth[4];
	if (hf_server_begin(g_server, &rq, &call, &resp) != 0 || resp.status != 201)
		abort();
	hf_response_release(&resp);
}

/* the next line of the input (without its newline), or NULL at the end */
static const char *line(const uint8_t **p, const uint8_t *end, char *out, size_t cap)
{
	const uint8_t *nl = memchr(*p, '\n', (size_t)(end - *p));
	size_t n;

	if (!nl)
		return NULL;
	n = (size_t)(nl - *p);
	if (n >= cap || memchr(*p, '\0', n))
		return NULL;
	memcpy(out, *p, n);
	out[n] = '\0';
	*p = nl + 1;
	return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *p = data, *end = data + size;
	char method[16], path[600], query[600], range[128], length[32];
	struct hf_request rq = {.peer = "fuzz"};
	struct hf_response resp;
	struct hf_call *call = NULL;
	long long cl;
	int who;

	if (!g_server)
		setup();
	if (!line(&p, end, method, sizeof(method)) || !line(&p, end, path, sizeof(path)) ||
	    !line(&p, end, query, sizeof(query)) || !line(&p, end, range, sizeof(range)) ||
	    !line(&p, end, length, sizeof(length)) || p >= end)
		return 0;
	who = *p++ % 5;
	rq.method = method;
	rq.path = path;
	rq.query = query[0] ? query : NULL;
	rq.range = range[0] ? range : NULL;
	rq.content_length = sscanf(length, "%lld", &cl) == 1 && cl >= 0 ? cl : -1;
	rq.authorization = who ? g_auth[who] : NULL;
	hf_response_init(&resp);
	if (hf_server_begin(g_server, &rq, &call, &resp) == 1) {
		size_t n = (size_t)(end - p);
		if (hf_server_body(call, p, n / 2, &resp) == 0 && hf_server_body(call, p + n / 2, n - n / 2, &resp) == 0)
			hf_server_end(call, &resp);
		hf_server_call_free(call);
	}
	FUZZ_ASSERT(resp.status >= 200 && resp.status <= 599);
	if (who < 2)
		FUZZ_ASSERT(resp.status == 401);
	if (resp.reader)
		FUZZ_ASSERT(resp.status == 200 || resp.status == 206);
	hf_response_release(&resp);
	return 0;
}

#include "fuzz_main.h"
