/* client.c — tokens and client records (client.h). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "server/client.h"
#include "server/policy.h"
#include "util/hex.h"

#define TOKEN_PREFIX "hft1_"
#define TOKEN_SECRET_LEN 43 /* base64url of 32 bytes, no padding */
#define TOKEN_HASH_LABEL "holdfast token v1"
#define RECORD_HEADER "holdfast client 1\n"

int hf_server_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > HF_CLIENT_NAME_MAX || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= '0' && s[0] <= '9')))
		return 0;
	for (size_t i = 1; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_' || s[i] == '-'))
			return 0;
	return 1;
}

void hf_token_hash(const char *token, uint8_t hash[HF_HASH_LEN])
{
	struct hf_sha256_ctx *c = hf_sha256_new();

	hf_sha256_update(c, TOKEN_HASH_LABEL, sizeof(TOKEN_HASH_LABEL) - 1);
	hf_sha256_update(c, token, strlen(token));
	hf_sha256_final(c, hash);
}

int hf_token_new(const char *client, char *out, size_t cap, uint8_t hash[HF_HASH_LEN])
{
	uint8_t secret[32];
	char b64[TOKEN_SECRET_LEN + 1];
	int n;

	if (!hf_server_name_ok(client))
		return -HF_E_USAGE;
	hf_random(secret, sizeof(secret));
	n = hf_base64url(secret, sizeof(secret), b64, sizeof(b64));
	hf_wipe(secret, sizeof(secret));
	if (n == 0)
		n = snprintf(out, cap, TOKEN_PREFIX "%s_%s", client, b64);
	hf_wipe(b64, sizeof(b64));
	if (n < 0 || (size_t)n >= cap) {
		hf_wipe(out, cap);
		return -HF_E_LIMIT;
	}
	hf_token_hash(out, hash);
	return 0;
}

int hf_token_client(const char *token, char name[HF_CLIENT_NAME_MAX + 1])
{
	size_t n = strlen(token), pre = sizeof(TOKEN_PREFIX) - 1, len;

	if (n < pre + 2 + TOKEN_SECRET_LEN || strncmp(token, TOKEN_PREFIX, pre) != 0 ||
	    token[n - TOKEN_SECRET_LEN - 1] != '_')
		return -HF_E_USAGE;
	len = n - pre - TOKEN_SECRET_LEN - 1;
	if (len > HF_CLIENT_NAME_MAX)
		return -HF_E_USAGE;
	memcpy(name, token + pre, len);
	name[len] = '\0';
	for (size_t i = n - TOKEN_SECRET_LEN; i < n; i++) {
		char ch = token[i];
		if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' ||
		      ch == '_'))
			return -HF_E_USAGE;
	}
	return hf_server_name_ok(name) ? 0 : -HF_E_USAGE;
}

int hf_client_token_ok(const struct hf_client *c, const char *token)
{
	uint8_t h[HF_HASH_LEN];
	int ok;

	hf_token_hash(token, h);
	ok = hf_ct_equal(h, c->token_hash, HF_HASH_LEN);
	hf_wipe(h, sizeof(h));
	return ok;
}

int hf_client_has_repo(const struct hf_client *c, const char *repo)
{
	size_t n = strlen(repo);
	const char *p = c->repos;

	if (strcmp(c->repos, "*") == 0)
		return hf_server_name_ok(repo);
	while (*p) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (len == n && memcmp(p, repo, n) == 0)
			return 1;
		p += len + (end != NULL);
	}
	return 0;
}

/* "r1,r2" of valid names, or "*" */
static int repos_ok(const char *s)
{
	char name[HF_CLIENT_NAME_MAX + 1];

	if (strcmp(s, "*") == 0)
		return 1;
	while (*s) {
		const char *end = strchr(s, ',');
		size_t len = end ? (size_t)(end - s) : strlen(s);
		if (len == 0 || len > HF_CLIENT_NAME_MAX)
			return 0;
		memcpy(name, s, len);
		name[len] = '\0';
		if (!hf_server_name_ok(name))
			return 0;
		s += len + (end != NULL);
		if (end && !*s)
			return 0; /* a trailing comma */
	}
	return 1;
}

int hf_client_encode(const struct hf_client *c, struct hf_buf *out)
{
	char hash[2 * HF_HASH_LEN + 1], text[HF_CLIENT_REPOS_MAX + 512];
	int n;

	if (!hf_server_name_ok(c->name) || !hf_role_name(c->role) || !repos_ok(c->repos))
		return -HF_E_USAGE;
	hf_hex_encode(c->token_hash, HF_HASH_LEN, hash);
	n = snprintf(text, sizeof(text),
		     RECORD_HEADER "name %s\nrole %s\ntoken_sha256 %s\nrepos %s\nquota_bytes %" PRIu64
				   "\nquota_objects %" PRIu64 "\nsnapshots_per_hour %" PRIu32 "\ncreated_ns %" PRId64
				   "\n",
		     c->name, hf_role_name(c->role), hash, c->repos, c->quota_bytes, c->quota_objects,
		     c->snapshots_per_hour, c->created_ns);
	if (n < 0 || (size_t)n >= sizeof(text))
		return -HF_E_LIMIT;
	return hf_buf_append(out, text, (size_t)n);
}

int hf_client_decode(const uint8_t *p, size_t n, struct hf_client *c)
{
	char text[HF_CLIENT_REPOS_MAX + 512], role[16], hash[2 * HF_HASH_LEN + 1];
	int end = 0;

	memset(c, 0, sizeof(*c));
	if (n >= sizeof(text) || n < sizeof(RECORD_HEADER) || memchr(p, '\0', n) || p[n - 1] != '\n')
		return -HF_E_CORRUPT;
	memcpy(text, p, n);
	text[n] = '\0';
	if (strncmp(text, RECORD_HEADER, sizeof(RECORD_HEADER) - 1) != 0)
		return -HF_E_CORRUPT;
	if (sscanf(text + sizeof(RECORD_HEADER) - 1,
		   "name %63[a-z0-9_-]\nrole %15[a-z]\ntoken_sha256 %64[0-9a-f]\nrepos %1024[a-z0-9_,*-]\nquota_bytes "
		   "%" SCNu64 "\nquota_objects %" SCNu64 "\nsnapshots_per_hour %" SCNu32 "\ncreated_ns %" SCNd64 "\n%n",
		   c->name, role, hash, c->repos, &c->quota_bytes, &c->quota_objects, &c->snapshots_per_hour,
		   &c->created_ns, &end) != 8 ||
	    (size_t)end + sizeof(RECORD_HEADER) - 1 != n)
		goto bad;
	c->role = hf_role_parse(role);
	if (c->role < 0 || !hf_server_name_ok(c->name) || !repos_ok(c->repos) ||
	    hf_hex_decode(hash, c->token_hash, HF_HASH_LEN) < 0)
		goto bad;
	{ /* only the form encode writes (sscanf lets spaces, signs and zeros by) */
		struct hf_buf again;
		int same;
		hf_buf_init(&again, sizeof(text));
		same = hf_client_encode(c, &again) == 0 && again.len == n && memcmp(again.data, p, n) == 0;
		hf_buf_release(&again);
		if (!same)
			goto bad;
	}
	return 0;
bad:
	memset(c, 0, sizeof(*c));
	return -HF_E_CORRUPT;
}
