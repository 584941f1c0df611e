/* tree.c — tree blobs: one directory's entries with all their metadata.
 *
 * Layout: version u8 (1), varint count, then per entry (sorted by name):
 * name bytes, type u8, mode, uid, gid (varints), user, group (bytes, empty =
 * none), size, ino, dev, nlink, rdev (varints), mtime, atime, ctime (zigzag
 * varints, ns), symlink target bytes (symlinks only), varint nxattrs + (name
 * bytes, value bytes)*, then a subtree id[32] (directories) or varint nparts +
 * parts (regular files): kind u8 0 = data (id[32], varint len), 1 = hole
 * (varint len); version 2 adds a content profile after the parts: flags u8
 * (bit 0 present, 1 encrypted container, 2 encoded random, 3 UTF-8 text,
 * 4 light profile),
 * then if present type u8, valid u8, blocks and random blocks (varints).
 * Decoding treats the blob as hostile: names that could escape
 * a restore target are refused. */
#include <stdlib.h>
#include <string.h>

#include "repo/repo_internal.h"
#include "util/err.h"
#include "util/mem.h"

#define TREE_VERSION 2 /* written; version 1 (no profiles) is still read */
#define TREE_NAME_MAX 4096
#define TREE_MAX_ENTRIES (16u << 20)

static int put_str(struct hf_buf *b, const char *s)
{
	return hf_buf_put_bytes(b, s ? s : "", s ? strlen(s) : 0);
}

enum { PROF_PRESENT = 1, PROF_CONTAINER = 2, PROF_ENCODED = 4, PROF_TEXT = 8, PROF_LIGHT = 16, PROF_ALL = 31 };

static int encode_profile(const struct hf_node *nd, struct hf_buf *b)
{
	const struct hf_profile *p = &nd->profile;
	int r;

	if (!nd->has_profile)
		return hf_buf_put_u8(b, 0);
	r = hf_buf_put_u8(b, (uint8_t)(PROF_PRESENT | (p->encrypted_container ? PROF_CONTAINER : 0) |
				       (p->encoded_random ? PROF_ENCODED : 0) | (p->text_utf8 ? PROF_TEXT : 0) |
				       (p->light ? PROF_LIGHT : 0)));
	if (r == 0)
		r = hf_buf_put_u8(b, p->type);
	if (r == 0)
		r = hf_buf_put_u8(b, p->valid);
	if (r == 0)
		r = hf_buf_put_varint(b, p->blocks);
	if (r == 0)
		r = hf_buf_put_varint(b, p->random_blocks);
	return r;
}

static int decode_profile(struct hf_reader *rd, struct hf_node *nd)
{
	struct hf_profile *p = &nd->profile;
	uint64_t blocks, rnd;
	uint8_t flags;
	int r;

	if ((r = hf_rd_u8(rd, &flags)) < 0)
		return r;
	if (flags & ~PROF_ALL)
		return -HF_E_CORRUPT;
	if (!(flags & PROF_PRESENT))
		return flags ? -HF_E_CORRUPT : 0;
	if ((r = hf_rd_u8(rd, &p->type)) < 0 || (r = hf_rd_u8(rd, &p->valid)) < 0 ||
	    (r = hf_rd_varint(rd, &blocks)) < 0 || (r = hf_rd_varint(rd, &rnd)) < 0)
		return r;
	if (p->type >= HF_CT_MAX || p->valid > HF_VALID_UNCHECKED || blocks > UINT32_MAX || rnd > blocks)
		return -HF_E_CORRUPT;
	p->blocks = (uint32_t)blocks;
	p->random_blocks = (uint32_t)rnd;
	p->encrypted_container = !!(flags & PROF_CONTAINER);
	p->encoded_random = !!(flags & PROF_ENCODED);
	p->text_utf8 = !!(flags & PROF_TEXT);
	p->light = !!(flags & PROF_LIGHT);
	nd->has_profile = 1;
	return 0;
}

static int encode_node(const struct hf_node *nd, struct hf_buf *b)
{
	const struct hf_meta *m = &nd->meta;
	int r = 0;

#define P(x)                      \
	do {                      \
		r = (x);          \
		if (r < 0)        \
			return r; \
	} while (0)
	P(put_str(b, nd->name));
	P(hf_buf_put_u8(b, (uint8_t)m->type));
	P(hf_buf_put_varint(b, m->mode));
	P(hf_buf_put_varint(b, m->uid));
	P(hf_buf_put_varint(b, m->gid));
	P(put_str(b, m->user));
	P(put_str(b, m->group));
	P(hf_buf_put_varint(b, m->size));
	P(hf_buf_put_varint(b, m->ino));
	P(hf_buf_put_varint(b, m->dev));
	P(hf_buf_put_varint(b, m->nlink));
	P(hf_buf_put_varint(b, m->rdev));
	P(hf_buf_put_svarint(b, m->mtime_ns));
	P(hf_buf_put_svarint(b, m->atime_ns));
	P(hf_buf_put_svarint(b, m->ctime_ns));
	if (m->type == HF_FT_SYMLINK)
		P(hf_buf_put_bytes(b, m->link ? m->link : "", m->link ? m->link_len : 0));
	P(hf_buf_put_varint(b, m->nxattrs));
	for (size_t i = 0; i < m->nxattrs; i++) {
		P(put_str(b, m->xattrs[i].name));
		P(hf_buf_put_bytes(b, m->xattrs[i].value, m->xattrs[i].len));
	}
	if (m->type == HF_FT_DIR)
		P(hf_buf_append(b, nd->subtree, HF_ID_LEN));
	if (m->type == HF_FT_FILE) {
		P(hf_buf_put_varint(b, nd->nparts));
		for (size_t i = 0; i < nd->nparts; i++) {
			P(hf_buf_put_u8(b, nd->parts[i].kind));
			if (nd->parts[i].kind == HF_PART_DATA)
				P(hf_buf_append(b, nd->parts[i].id, HF_ID_LEN));
			P(hf_buf_put_varint(b, nd->parts[i].len));
		}
		P(encode_profile(nd, b));
	}
#undef P
	return r;
}

int hf_tree_encode(const struct hf_tree *t, struct hf_buf *out)
{
	int r = hf_buf_put_u8(out, TREE_VERSION);

	if (r == 0)
		r = hf_buf_put_varint(out, t->n);
	for (size_t i = 0; i < t->n && r == 0; i++)
		r = encode_node(&t->nodes[i], out);
	return r;
}

static int valid_name(const char *s, size_t n)
{
	if (n == 0 || memchr(s, '\0', n) || memchr(s, '/', n))
		return 0;
	return !(strcmp(s, ".") == 0 || strcmp(s, "..") == 0);
}

static int rd_opt_str(struct hf_reader *rd, char **s, size_t max)
{
	size_t n;
	int r = hf_rd_strdup(rd, s, &n, max);

	if (r < 0)
		return r;
	if (n == 0 || memchr(*s, '\0', n)) {
		free(*s);
		*s = NULL;
		return n == 0 ? 0 : -HF_E_CORRUPT;
	}
	return 0;
}

static int decode_node(struct hf_reader *rd, struct hf_node *nd, unsigned version)
{
	struct hf_meta *m = &nd->meta;
	uint64_t v, nx, np;
	uint8_t u8;
	size_t n;
	int r;

#define G(x)                      \
	do {                      \
		r = (x);          \
		if (r < 0)        \
			return r; \
	} while (0)
	G(hf_rd_strdup(rd, &nd->name, &n, TREE_NAME_MAX));
	if (!valid_name(nd->name, n))
		return -HF_E_CORRUPT;
	G(hf_rd_u8(rd, &u8));
	if (u8 < HF_FT_FILE || u8 > HF_FT_SOCK)
		return -HF_E_CORRUPT;
	m->type = u8;
	G(hf_rd_varint(rd, &v));
	if (v > 07777)
		return -HF_E_CORRUPT;
	m->mode = (uint32_t)v;
	G(hf_rd_varint(rd, &v));
	if (v > UINT32_MAX)
		return -HF_E_CORRUPT;
	m->uid = (uint32_t)v;
	G(hf_rd_varint(rd, &v));
	if (v > UINT32_MAX)
		return -HF_E_CORRUPT;
	m->gid = (uint32_t)v;
	G(rd_opt_str(rd, &m->user, 256));
	G(rd_opt_str(rd, &m->group, 256));
	G(hf_rd_varint(rd, &m->size));
	G(hf_rd_varint(rd, &m->ino));
	G(hf_rd_varint(rd, &m->dev));
	G(hf_rd_varint(rd, &m->nlink));
	G(hf_rd_varint(rd, &m->rdev));
	G(hf_rd_svarint(rd, &m->mtime_ns));
	G(hf_rd_svarint(rd, &m->atime_ns));
	G(hf_rd_svarint(rd, &m->ctime_ns));
	if (m->type == HF_FT_SYMLINK) {
		G(hf_rd_strdup(rd, &m->link, &m->link_len, 65536));
		if (m->link_len == 0 || memchr(m->link, '\0', m->link_len))
			return -HF_E_CORRUPT;
	}
	G(hf_rd_varint(rd, &nx));
	if (nx > HF_XATTR_MAX_COUNT || nx > hf_reader_left(rd) / 2)
		return -HF_E_CORRUPT;
	if (nx) {
		m->xattrs = hf_xcalloc(nx, sizeof(*m->xattrs));
		m->nxattrs = nx;
		for (size_t i = 0; i < nx; i++) {
			G(hf_rd_strdup(rd, &m->xattrs[i].name, &n, 256));
			if (n == 0 || memchr(m->xattrs[i].name, '\0', n))
				return -HF_E_CORRUPT;
			G(hf_rd_strdup(rd, (char **)&m->xattrs[i].value, &m->xattrs[i].len, HF_XATTR_MAX_VALUE));
		}
	}
	if (m->type == HF_FT_DIR) {
		const uint8_t *id;
		G(hf_rd_raw(rd, &id, HF_ID_LEN));
		memcpy(nd->subtree, id, HF_ID_LEN);
	}
	if (m->type == HF_FT_FILE) {
		uint64_t total = 0;
		G(hf_rd_varint(rd, &np));
		if (np > hf_reader_left(rd) / 2)
			return -HF_E_CORRUPT;
		nd->parts = hf_xcalloc(np ? np : 1, sizeof(*nd->parts));
		nd->nparts = np;
		for (size_t i = 0; i < np; i++) {
			struct hf_part *pt = &nd->parts[i];
			G(hf_rd_u8(rd, &pt->kind));
			if (pt->kind == HF_PART_DATA) {
				const uint8_t *id;
				G(hf_rd_raw(rd, &id, HF_ID_LEN));
				memcpy(pt->id, id, HF_ID_LEN);
			} else if (pt->kind != HF_PART_HOLE) {
				return -HF_E_CORRUPT;
			}
			G(hf_rd_varint(rd, &pt->len));
			if ((pt->kind == HF_PART_DATA && pt->len > HF_BLOB_MAX) || pt->len > UINT64_MAX - total)
				return -HF_E_CORRUPT;
			total += pt->len;
		}
		if (total > m->size)
			return -HF_E_CORRUPT;
		if (version >= 2)
			G(decode_profile(rd, nd));
	}
#undef G
	return 0;
}

int hf_tree_decode(const void *p, size_t n, struct hf_tree *out)
{
	struct hf_reader rd;
	uint64_t count;
	uint8_t ver;
	int r;

	memset(out, 0, sizeof(*out));
	hf_reader_init(&rd, p, n);
	if ((r = hf_rd_u8(&rd, &ver)) < 0 || (r = hf_rd_varint(&rd, &count)) < 0)
		return r;
	if (ver < 1 || ver > TREE_VERSION)
		return -HF_E_CORRUPT;
	/* the smallest entry takes 17 bytes */
	if (count > TREE_MAX_ENTRIES || count > hf_reader_left(&rd) / 16)
		return -HF_E_CORRUPT;
	out->nodes = hf_xcalloc(count ? count : 1, sizeof(*out->nodes));
	for (size_t i = 0; i < count; i++) {
		out->n = i + 1;
		r = decode_node(&rd, &out->nodes[i], ver);
		if (r < 0)
			goto fail;
		if (i > 0 && strcmp(out->nodes[i - 1].name, out->nodes[i].name) >= 0) {
			r = -HF_E_CORRUPT;
			goto fail;
		}
	}
	if (hf_reader_left(&rd) != 0) {
		r = -HF_E_CORRUPT;
		goto fail;
	}
	return 0;
fail:
	hf_tree_release(out);
	return r;
}

void hf_node_release(struct hf_node *nd)
{
	free(nd->name);
	hf_meta_release(&nd->meta);
	free(nd->parts);
	memset(nd, 0, sizeof(*nd));
}

void hf_tree_release(struct hf_tree *t)
{
	for (size_t i = 0; i < t->n; i++)
		hf_node_release(&t->nodes[i]);
	free(t->nodes);
	memset(t, 0, sizeof(*t));
}

int hf_tree_load(struct hf_blob_reader *br, const uint8_t id[HF_ID_LEN], struct hf_tree *out)
{
	struct hf_buf b;
	int r;

	memset(out, 0, sizeof(*out));
	hf_buf_init(&b, HF_BLOB_MAX);
	r = hf_blob_read_type(br, id, HF_BLOB_TREE, &b); /* a claim of another type is refused */
	if (r == 0)
		r = hf_tree_decode(b.data, b.len, out);
	hf_buf_release(&b);
	return r;
}

int hf_parts_equal(const struct hf_part *a, size_t na, const struct hf_part *b, size_t nb)
{
	if (na != nb)
		return 0;
	for (size_t i = 0; i < na; i++)
		if (a[i].kind != b[i].kind || a[i].len != b[i].len ||
		    (a[i].kind == HF_PART_DATA && memcmp(a[i].id, b[i].id, HF_ID_LEN) != 0))
			return 0;
	return 1;
}

const struct hf_node *hf_tree_find(const struct hf_tree *t, const char *name)
{
	size_t lo = 0, hi = t->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(t->nodes[mid].name, name);
		if (c == 0)
			return &t->nodes[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}
