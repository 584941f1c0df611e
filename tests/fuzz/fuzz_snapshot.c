/* fuzz_snapshot.c — fuzz target for hf_snapshot_decode, the payload of a
 * snapshot object behind its tag and AEAD (anyone holding a key, a
 * compromised write-only client included, can make one; the snapshot list,
 * `latest`, forget and prune all read every one).
 *
 * Invariants: a failed decode leaves nothing to free (the struct is zeroed);
 * a decoded snapshot has a host and a user of at most 1024 bytes, at most
 * 65536 paths and excludes, no NUL inside any string, has_parent 0 or 1, a
 * zero parent id when it has none; it encodes back to exactly the input
 * bytes (the one allowed difference: an error count above UINT32_MAX is
 * stored as UINT32_MAX) and decodes again to the same snapshot. */
#include <stdlib.h>
#include <string.h>

#include "fuzz_assert.h"
#include "repo/repo_internal.h"
#include "util/buf.h"

#define FUZZ_NAME "snapshot"

static const uint8_t zero_id[HF_ID_LEN];

static void check_str(const char *s)
{
	FUZZ_ASSERT(s != NULL);
	FUZZ_ASSERT(strlen(s) <= 65536);
}

static void check_strv(char **v, size_t n)
{
	FUZZ_ASSERT(n <= 65536);
	FUZZ_ASSERT(n == 0 || v != NULL);
	for (size_t i = 0; i < n; i++)
		check_str(v[i]);
}

static int same_strv(char **a, size_t na, char **b, size_t nb)
{
	if (na != nb)
		return 0;
	for (size_t i = 0; i < na; i++)
		if (strcmp(a[i], b[i]) != 0)
			return 0;
	return 1;
}

static void check_same(const struct hf_snapshot *a, const struct hf_snapshot *b)
{
	FUZZ_ASSERT(a->time_ns == b->time_ns);
	FUZZ_ASSERT(strcmp(a->host, b->host) == 0 && strcmp(a->user, b->user) == 0);
	FUZZ_ASSERT(same_strv(a->paths, a->npaths, b->paths, b->npaths));
	FUZZ_ASSERT(same_strv(a->excludes, a->nexcludes, b->excludes, b->nexcludes));
	FUZZ_ASSERT(memcmp(a->tree, b->tree, HF_ID_LEN) == 0);
	FUZZ_ASSERT(a->has_parent == b->has_parent && memcmp(a->parent, b->parent, HF_ID_LEN) == 0);
	FUZZ_ASSERT(a->files == b->files && a->dirs == b->dirs && a->bytes == b->bytes);
	FUZZ_ASSERT(a->errors == b->errors);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct hf_snapshot zero;
	struct hf_snapshot s, s2;
	struct hf_buf b;
	size_t cmp;

	if (hf_snapshot_decode(data, size, &s) < 0) {
		FUZZ_ASSERT(memcmp(&s, &zero, sizeof(s)) == 0);
		return 0;
	}
	check_str(s.host);
	check_str(s.user);
	FUZZ_ASSERT(strlen(s.host) <= 1024 && strlen(s.user) <= 1024);
	check_strv(s.paths, s.npaths);
	check_strv(s.excludes, s.nexcludes);
	FUZZ_ASSERT(s.has_parent == 0 || s.has_parent == 1);
	if (!s.has_parent)
		FUZZ_ASSERT(memcmp(s.parent, zero_id, HF_ID_LEN) == 0);

	hf_buf_init(&b, size + 64);
	FUZZ_ASSERT(hf_snapshot_encode(&s, &b) == 0);
	/* canonical: the same bytes, except that a clamped error count (the
	 * last field) is written as UINT32_MAX, a 5-byte varint */
	cmp = b.len;
	if (s.errors == UINT32_MAX)
		cmp -= 5;
	else
		FUZZ_ASSERT(b.len == size);
	FUZZ_ASSERT(cmp <= size && memcmp(b.data, data, cmp) == 0);
	FUZZ_ASSERT(hf_snapshot_decode(b.data, b.len, &s2) == 0);
	check_same(&s, &s2);
	hf_snapshot_release(&s2);
	hf_snapshot_release(&s);
	hf_buf_release(&b);
	return 0;
}

#include "fuzz_main.h"
