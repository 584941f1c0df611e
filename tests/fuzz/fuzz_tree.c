/* fuzz_tree.c — fuzz target for hf_tree_decode (tree blobs are hostile input:
 * a damaged or forged blob must never crash a restore, nor smuggle in a name
 * that escapes the restore target).
 *
 * Decode mode (any input not starting with BUILD_MAGIC): a failed decode
 * leaves an empty tree; a successful one has only safe names (non-empty, no
 * '/', no NUL, not "." or ".."), strictly sorted and all found by
 * hf_tree_find, NUL-terminated link targets, parts that fit the size,
 * profiles in range and only on files — and re-encodes to exactly the input
 * bytes (the encoding is canonical, so nothing is silently dropped). A
 * version 1 tree re-encodes as version 2 (files gain an empty profile), and
 * that encoding must be canonical in turn.
 *
 * Build mode (BUILD_MAGIC, then a description): builds a valid tree from
 * the bytes, encodes it, and requires the decoder to accept it and give the
 * same bytes back — this finds valid trees that the decoder refuses. */
#include <stdlib.h>
#include <string.h>

#include "fuzz_assert.h"
#include "repo/repo.h"
#include "util/buf.h"

#define FUZZ_NAME "tree"

static void check_node(const struct hf_node *nd)
{
	const struct hf_meta *m = &nd->meta;
	size_t n = strlen(nd->name);
	uint64_t total = 0;

	FUZZ_ASSERT(n > 0 && !strchr(nd->name, '/'));
	FUZZ_ASSERT(strcmp(nd->name, ".") != 0 && strcmp(nd->name, "..") != 0);
	FUZZ_ASSERT(m->type >= HF_FT_FILE && m->type <= HF_FT_SOCK);
	FUZZ_ASSERT(m->mode <= 07777);
	FUZZ_ASSERT(!m->user || m->user[0]);
	FUZZ_ASSERT(!m->group || m->group[0]);
	if (m->type == HF_FT_SYMLINK)
		FUZZ_ASSERT(m->link && m->link_len > 0 && strlen(m->link) == m->link_len);
	else
		FUZZ_ASSERT(!m->link);
	for (size_t i = 0; i < m->nxattrs; i++)
		FUZZ_ASSERT(m->xattrs[i].name && m->xattrs[i].name[0] && m->xattrs[i].value);
	if (m->type != HF_FT_FILE)
		FUZZ_ASSERT(nd->nparts == 0);
	for (size_t i = 0; i < nd->nparts; i++) {
		FUZZ_ASSERT(nd->parts[i].kind == HF_PART_DATA || nd->parts[i].kind == HF_PART_HOLE);
		FUZZ_ASSERT(nd->parts[i].kind != HF_PART_DATA || nd->parts[i].len <= HF_BLOB_MAX);
		FUZZ_ASSERT(total + nd->parts[i].len >= total);
		total += nd->parts[i].len;
	}
	FUZZ_ASSERT(total <= m->size);
	if (nd->has_profile) {
		FUZZ_ASSERT(m->type == HF_FT_FILE);
		FUZZ_ASSERT(nd->profile.type < HF_CT_MAX && nd->profile.valid <= HF_VALID_UNCHECKED);
		FUZZ_ASSERT(nd->profile.random_blocks <= nd->profile.blocks);
	}
}

/* decode → encode gives back exactly p[0..n) */
static void check_canonical(const uint8_t *p, size_t n, const struct hf_tree *t)
{
	struct hf_buf b;

	hf_buf_init(&b, n + 64);
	FUZZ_ASSERT(hf_tree_encode(t, &b) == 0);
	FUZZ_ASSERT(b.len == n && (n == 0 || memcmp(b.data, p, n) == 0));
	hf_buf_release(&b);
}

#define BUILD_MAGIC 0xa5
#define BUILD_NODES 16

/* the next input byte, 0 once the input is used up */
static uint8_t next(const uint8_t **p, const uint8_t *end)
{
	return *p < end ? *(*p)++ : 0;
}

/* a value of varying magnitude: 0, small, 32-bit or full 64-bit */
static uint64_t next_num(const uint8_t **p, const uint8_t *end)
{
	uint8_t sel = next(p, end);
	uint64_t v = 0;
	int bytes = sel % 4 == 0 ? 0 : sel % 4 == 1 ? 1 : sel % 4 == 2 ? 4 : 8;

	for (int i = 0; i < bytes; i++)
		v = v << 8 | next(p, end);
	return v;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct hf_node *)a)->name, ((const struct hf_node *)b)->name);
}

static void build_mode(const uint8_t *p, const uint8_t *end)
{
	static const char alphabet[] = "ab.-_\x7f\x80\xff";
	struct hf_node nodes[BUILD_NODES];
	struct hf_tree t = {nodes, 0}, out;
	struct hf_buf b, b2;
	size_t n = next(&p, end) % (BUILD_NODES + 1);

	memset(nodes, 0, sizeof(nodes));
	for (size_t i = 0; i < n; i++) {
		struct hf_node *nd = &nodes[t.n];
		struct hf_meta *m = &nd->meta;
		size_t len = 1 + next(&p, end) % 3;
		char *name = calloc(1, len + 1);

		for (size_t k = 0; k < len; k++)
			name[k] = alphabet[next(&p, end) % (sizeof(alphabet) - 1)];
		if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
			name[0] = 'c';
		nd->name = name;
		m->type = HF_FT_FILE + next(&p, end) % 7;
		m->mode = (uint32_t)(next_num(&p, end) & 07777);
		m->uid = (uint32_t)next_num(&p, end);
		m->gid = (uint32_t)next_num(&p, end);
		if (next(&p, end) & 1)
			m->user = strdup("user");
		if (next(&p, end) & 1)
			m->group = strdup("group");
		m->ino = next_num(&p, end);
		m->dev = next_num(&p, end);
		m->nlink = next_num(&p, end);
		m->rdev = next_num(&p, end);
		m->mtime_ns = (int64_t)next_num(&p, end);
		m->atime_ns = -(int64_t)(next_num(&p, end) >> 1);
		m->ctime_ns = (int64_t)next_num(&p, end);
		if (m->type == HF_FT_SYMLINK) {
			m->link_len = 1 + next(&p, end) % 4;
			m->link = calloc(1, m->link_len + 1);
			memset(m->link, 'l', m->link_len);
		}
		m->nxattrs = next(&p, end) % 3;
		if (m->nxattrs) {
			m->xattrs = calloc(m->nxattrs, sizeof(*m->xattrs));
			for (size_t k = 0; k < m->nxattrs; k++) {
				m->xattrs[k].name = strdup(k ? "user.b" : "user.a");
				m->xattrs[k].len = next(&p, end) % 3;
				m->xattrs[k].value = calloc(1, m->xattrs[k].len + 1);
			}
		}
		if (m->type == HF_FT_DIR)
			memset(nd->subtree, next(&p, end), HF_ID_LEN);
		if (m->type == HF_FT_FILE) {
			nd->nparts = next(&p, end) % 4;
			nd->parts = calloc(nd->nparts + 1, sizeof(*nd->parts));
			for (size_t k = 0; k < nd->nparts; k++) {
				nd->parts[k].kind = next(&p, end) & 1;
				nd->parts[k].len = next_num(&p, end) % (HF_BLOB_MAX + 1);
				m->size += nd->parts[k].len;
			}
			if (next(&p, end) & 1) {
				uint32_t blocks = (uint32_t)next_num(&p, end);
				nd->has_profile = 1;
				nd->profile.type = next(&p, end) % HF_CT_MAX;
				nd->profile.valid = next(&p, end) % 3;
				nd->profile.encrypted_container = next(&p, end) & 1;
				nd->profile.encoded_random = next(&p, end) & 1;
				nd->profile.text_utf8 = next(&p, end) & 1;
				nd->profile.light = next(&p, end) & 1;
				nd->profile.blocks = blocks;
				nd->profile.random_blocks = blocks ? (uint32_t)(next_num(&p, end) % ((uint64_t)blocks + 1)) : 0;
			}
		}
		m->size += next_num(&p, end) % 1024;
		t.n++;
	}
	/* sorted, without duplicates */
	qsort(nodes, t.n, sizeof(nodes[0]), by_name);
	for (size_t i = 1; i < t.n;) {
		if (strcmp(nodes[i - 1].name, nodes[i].name) == 0) {
			hf_node_release(&nodes[i]);
			memmove(&nodes[i], &nodes[i + 1], (t.n - i - 1) * sizeof(nodes[0]));
			t.n--;
		} else {
			i++;
		}
	}
	hf_buf_init(&b, 1 << 20);
	hf_buf_init(&b2, 1 << 20);
	FUZZ_ASSERT(hf_tree_encode(&t, &b) == 0);
	FUZZ_ASSERT(hf_tree_decode(b.data, b.len, &out) == 0); /* a valid tree must decode */
	FUZZ_ASSERT(out.n == t.n);
	FUZZ_ASSERT(hf_tree_encode(&out, &b2) == 0);
	FUZZ_ASSERT(b2.len == b.len && memcmp(b.data, b2.data, b.len) == 0);
	hf_tree_release(&out);
	for (size_t i = 0; i < t.n; i++)
		hf_node_release(&nodes[i]); /* frees what was built here: the same allocator */
	hf_buf_release(&b);
	hf_buf_release(&b2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hf_tree t, t2;
	struct hf_buf b;

	if (size > 0 && data[0] == BUILD_MAGIC) {
		build_mode(data + 1, data + size);
		return 0;
	}
	if (hf_tree_decode(data, size, &t) < 0) {
		FUZZ_ASSERT(t.n == 0 && t.nodes == NULL);
		return 0;
	}
	for (size_t i = 0; i < t.n; i++) {
		check_node(&t.nodes[i]);
		if (i > 0)
			FUZZ_ASSERT(strcmp(t.nodes[i - 1].name, t.nodes[i].name) < 0);
		FUZZ_ASSERT(hf_tree_find(&t, t.nodes[i].name) == &t.nodes[i]);
	}
	if (data[0] != 1) {
		check_canonical(data, size, &t);
	} else { /* version 1: written back as version 2, canonical from then on */
		hf_buf_init(&b, size + t.n + 64);
		FUZZ_ASSERT(hf_tree_encode(&t, &b) == 0);
		FUZZ_ASSERT(b.data[0] == 2);
		FUZZ_ASSERT(hf_tree_decode(b.data, b.len, &t2) == 0);
		FUZZ_ASSERT(t2.n == t.n);
		check_canonical(b.data, b.len, &t2);
		hf_tree_release(&t2);
		hf_buf_release(&b);
	}
	hf_tree_release(&t);
	return 0;
}

#include "fuzz_main.h"
