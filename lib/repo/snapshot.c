/* snapshot.c — snapshot objects: when, where, what (paths) and the root tree.
 *
 * Payload (inside an authenticated object, see object.h): version varint (1),
 * time ns (zigzag), host, user, varint npaths + paths, root tree id[32],
 * has_parent u8 (+ parent id[32]), varint nexcludes + patterns, files, dirs,
 * bytes, errors (varints). The snapshot id is the SHA-256 of the object. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto/crypto.h"
#include "repo/object.h"
#include "repo/pending.h"
#include "repo/repo_internal.h"
#include "store/store.h"
#include "util/err.h"
#include "util/hex.h"
#include "util/mem.h"

#define SNAP_VERSION 1
#define SNAP_MAX_STRINGS 65536
#define SNAP_STR_MAX 65536

static int put_strv(struct hf_buf *b, char **v, size_t n)
{
	int r = hf_buf_put_varint(b, n);

	for (size_t i = 0; i < n && r == 0; i++)
		r = hf_buf_put_str(b, v[i]);
	return r;
}

int hf_snapshot_encode(const struct hf_snapshot *s, struct hf_buf *b)
{
	int r;

	if ((r = hf_buf_put_varint(b, SNAP_VERSION)) < 0 || (r = hf_buf_put_svarint(b, s->time_ns)) < 0 ||
	    (r = hf_buf_put_str(b, s->host)) < 0 || (r = hf_buf_put_str(b, s->user)) < 0 ||
	    (r = put_strv(b, s->paths, s->npaths)) < 0 || (r = hf_buf_append(b, s->tree, HF_ID_LEN)) < 0 ||
	    (r = hf_buf_put_u8(b, s->has_parent ? 1 : 0)) < 0)
		return r;
	if (s->has_parent && (r = hf_buf_append(b, s->parent, HF_ID_LEN)) < 0)
		return r;
	if ((r = put_strv(b, s->excludes, s->nexcludes)) < 0 || (r = hf_buf_put_varint(b, s->files)) < 0 ||
	    (r = hf_buf_put_varint(b, s->dirs)) < 0 || (r = hf_buf_put_varint(b, s->bytes)) < 0)
		return r;
	return hf_buf_put_varint(b, s->errors);
}

/* a string without NUL inside: what reads it sees all of it, and it
 * encodes back to the same bytes */
static int rd_str(struct hf_reader *rd, char **s, size_t max)
{
	size_t len;
	int r = hf_rd_strdup(rd, s, &len, max);

	if (r < 0)
		return r;
	return memchr(*s, '\0', len) ? -HF_E_CORRUPT : 0;
}

static int rd_strv(struct hf_reader *rd, char ***v, size_t *n)
{
	uint64_t count;
	int r = hf_rd_varint(rd, &count);

	if (r < 0)
		return r;
	if (count > SNAP_MAX_STRINGS || count > hf_reader_left(rd))
		return -HF_E_CORRUPT;
	*v = hf_xcalloc(count ? count : 1, sizeof(char *));
	*n = count;
	for (size_t i = 0; i < count; i++) {
		r = rd_str(rd, &(*v)[i], SNAP_STR_MAX);
		if (r < 0)
			return r;
	}
	return 0;
}

static int decode(const uint8_t *p, size_t n, struct hf_snapshot *s)
{
	struct hf_reader rd;
	uint64_t ver, v;
	const uint8_t *id;
	uint8_t hp;
	int r;

	hf_reader_init(&rd, p, n);
	if ((r = hf_rd_varint(&rd, &ver)) < 0)
		return r;
	if (ver != SNAP_VERSION)
		return -HF_E_VERSION;
	if ((r = hf_rd_svarint(&rd, &s->time_ns)) < 0 || (r = rd_str(&rd, &s->host, 1024)) < 0 ||
	    (r = rd_str(&rd, &s->user, 1024)) < 0 || (r = rd_strv(&rd, &s->paths, &s->npaths)) < 0 ||
	    (r = hf_rd_raw(&rd, &id, HF_ID_LEN)) < 0)
		return r;
	memcpy(s->tree, id, HF_ID_LEN);
	if ((r = hf_rd_u8(&rd, &hp)) < 0)
		return r;
	if (hp > 1)
		return -HF_E_CORRUPT;
	s->has_parent = hp;
	if (hp) {
		if ((r = hf_rd_raw(&rd, &id, HF_ID_LEN)) < 0)
			return r;
		memcpy(s->parent, id, HF_ID_LEN);
	}
	if ((r = rd_strv(&rd, &s->excludes, &s->nexcludes)) < 0 || (r = hf_rd_varint(&rd, &s->files)) < 0 ||
	    (r = hf_rd_varint(&rd, &s->dirs)) < 0 || (r = hf_rd_varint(&rd, &s->bytes)) < 0 ||
	    (r = hf_rd_varint(&rd, &v)) < 0)
		return r;
	s->errors = v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
	return hf_reader_left(&rd) == 0 ? 0 : -HF_E_CORRUPT;
}

int hf_snapshot_decode(const uint8_t *p, size_t n, struct hf_snapshot *s)
{
	int r;

	memset(s, 0, sizeof(*s));
	r = decode(p, n, s);
	if (r < 0)
		hf_snapshot_release(s);
	return r;
}

int hf_snapshot_write(struct hf_repo *r, const struct hf_session *ses, struct hf_snapshot *s)
{
	struct hf_buf pt;
	int ret;

	hf_buf_init(&pt, HF_META_OBJ_MAX);
	ret = hf_snapshot_encode(s, &pt);
	if (ret == 0)
		ret = hf_object_write(r, ses, HF_OBJ_SNAPSHOT, HF_MAGIC_SNAPSHOT, pt.data, pt.len, s->id);
	if (ret == 0)
		hf_sha256(ses->key, HF_KEY_LEN, s->session_fp);
	hf_buf_release(&pt);
	return ret;
}

void hf_snapshot_release(struct hf_snapshot *s)
{
	free(s->host);
	free(s->user);
	for (size_t i = 0; i < s->npaths; i++)
		free(s->paths[i]);
	free(s->paths);
	for (size_t i = 0; i < s->nexcludes; i++)
		free(s->excludes[i]);
	free(s->excludes);
	memset(s, 0, sizeof(*s));
}

int hf_snapshot_load(struct hf_repo *r, const char *name, struct hf_snapshot *s)
{
	struct hf_buf pt;
	uint8_t h[HF_ID_LEN], *key = NULL;
	int ret;

	memset(s, 0, sizeof(*s));
	hf_buf_init(&pt, HF_META_OBJ_MAX);
	key = hf_secure_alloc(HF_KEY_LEN);
	/* the tag is checked before anything is decrypted or parsed */
	ret = hf_object_read(r, HF_OBJ_SNAPSHOT, name, HF_MAGIC_SNAPSHOT, HF_META_OBJ_MAX, &pt, h, key);
	if (ret == 0)
		ret = hf_snapshot_decode(pt.data, pt.len, s);
	if (ret == 0) {
		memcpy(s->id, h, HF_ID_LEN);
		hf_sha256(key, HF_KEY_LEN, s->session_fp);
	} else
		hf_snapshot_release(s);
	hf_secure_free(key);
	hf_buf_release(&pt);
	return ret;
}

static int load_one(struct hf_repo *r, const char *name, void *obj)
{
	return hf_snapshot_load(r, name, obj);
}

static int by_time(const void *a, const void *b)
{
	const struct hf_snapshot *x = a, *y = b;
	int64_t tx = hf_snapshot_when(x), ty = hf_snapshot_when(y);

	if (tx != ty)
		return tx < ty ? -1 : 1;
	return memcmp(x->id, y->id, HF_ID_LEN);
}

/* what the store recorded of the snapshot's arrival, and what it says of
 * the time the snapshot claims */
static void note_origin(void *obj, const struct hf_store_entry *e)
{
	struct hf_snapshot *s = obj;

	s->stored_ns = e->stored_ns;
	snprintf(s->sender, sizeof(s->sender), "%s", e->sender ? e->sender : "");
	s->flags = 0;
	if (!e->stored_ns)
		return; /* a store without a clock of its own: nothing to compare */
	if (!e->sender)
		s->flags |= HF_SNAP_UNKNOWN_SENDER;
	if (s->time_ns > e->stored_ns + HF_SNAPSHOT_SKEW_AHEAD_NS ||
	    s->time_ns < e->stored_ns - HF_SNAPSHOT_SKEW_BEHIND_NS)
		s->flags |= HF_SNAP_TIME_SKEW;
}

/* drops the snapshots a plan names as deleted (forget removed them; the
 * store keeps them until their lock ends) */
static int drop_gone(struct hf_repo *r, struct hf_object_array *a)
{
	struct hf_snapshot *v = a->v;
	struct hf_idmap *gone;
	size_t k = 0;
	int ret = hf_pending_gone_set(r, HF_OBJ_SNAPSHOT, &gone);

	if (ret < 0)
		return ret;
	for (size_t i = 0; i < a->n; i++) {
		if (hf_idmap_get(gone, v[i].id))
			hf_snapshot_release(&v[i]);
		else
			v[k++] = v[i];
	}
	a->n = k;
	hf_idmap_free(gone);
	return 0;
}

int hf_snapshot_list(struct hf_repo *r, struct hf_snapshot **out, size_t *n, size_t *bad)
{
	struct hf_object_array a;
	int ret = hf_repo_load_all(r, HF_OBJ_SNAPSHOT, sizeof(**out), load_one, note_origin, by_time, &a);

	if (ret == 0)
		ret = drop_gone(r, &a);
	if (ret < 0) {
		hf_snapshot_list_free(a.v, a.n);
		return ret;
	}
	*out = a.v;
	*n = a.n;
	if (bad)
		*bad = a.bad;
	return 0;
}

void hf_snapshot_list_free(struct hf_snapshot *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		hf_snapshot_release(&s[i]);
	free(s);
}

int64_t hf_snapshot_clock_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

int hf_snapshot_time_doubtful(const struct hf_snapshot *s, int64_t now_ns)
{
	if (s->flags & HF_SNAP_TIME_SKEW)
		return 1;
	if (now_ns > INT64_MAX - HF_SNAPSHOT_FUTURE_TOLERANCE_NS)
		return 0;
	return hf_snapshot_when(s) > now_ns + HF_SNAPSHOT_FUTURE_TOLERANCE_NS;
}

int hf_snapshot_resolve(struct hf_repo *r, const char *ref, struct hf_snapshot *out)
{
	struct hf_snapshot *all = NULL;
	size_t n = 0, len = strlen(ref), match = 0, which = 0;
	char hex[HF_ID_HEX_LEN + 1];
	int ret;

	memset(out, 0, sizeof(*out));
	if (strcmp(ref, "latest") != 0 && (len < 4 || len > HF_ID_HEX_LEN))
		return -HF_E_USAGE;
	ret = hf_snapshot_list(r, &all, &n, NULL);
	if (ret < 0)
		return ret;
	if (strcmp(ref, "latest") == 0) {
		/* the list is oldest first: the newest not claiming a future time */
		int64_t now = hf_snapshot_clock_now();
		match = n ? 1 : 0;
		which = n ? n - 1 : 0;
		for (size_t i = n; i-- > 0;)
			if (!hf_snapshot_time_doubtful(&all[i], now)) {
				which = i;
				break;
			}
	} else {
		for (size_t i = 0; i < n; i++) {
			hf_id_hex(all[i].id, hex);
			if (strncmp(hex, ref, len) == 0) {
				match++;
				which = i;
			}
		}
	}
	if (match == 1) {
		*out = all[which];
		memset(&all[which], 0, sizeof(all[which]));
	}
	hf_snapshot_list_free(all, n);
	return match == 0 ? -HF_E_NOTFOUND : match > 1 ? -HF_E_AMBIGUOUS : 0;
}
