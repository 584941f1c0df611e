/* scan_list.c — the files of a scan against no earlier snapshot, compactly.
 *
 * A first snapshot's scan lists every regular file as new: a million
 * files kept as struct hf_scan_file with a malloc'ed path each cost about
 * 100 bytes a file, held for as long as a history (forget, restore
 * --last-clean, history) keeps the scan. Here, in path order, each path is
 * stored as the length it shares with the previous one and the rest
 * and then the file's size (LEB128 numbers), with a whole path every
 * LIST_RESTART entries for the binary search; the verdict, note, reasons
 * and type of a file are packed into 4 bytes: about 16 bytes a file for
 * paths of one tree. Paths must be added in strictly increasing strcmp
 * order. */
#include <stdlib.h>
#include <string.h>

#include "scan/scan_internal.h"
#include "util/err.h"
#include "util/mem.h"

#define LIST_RESTART 16 /* entries per whole path */

_Static_assert(HF_REASON_COUNT <= 16, "reasons are packed into 16 bits");
_Static_assert(HF_CT_MAX <= 256, "types are packed into 8 bits");

uint32_t hf_scan_list_pack(int verdict, int note, uint32_t reasons, int type)
{
	return (reasons & 0xffffu) | (uint32_t)(verdict & 3) << 16 | (uint32_t)(note != 0) << 18 |
	       (uint32_t)(type & 0xff) << 24;
}

void hf_scan_list_unpack(uint32_t rec, struct hf_scan_file *f)
{
	f->reasons = rec & 0xffffu;
	f->verdict = (uint8_t)(rec >> 16 & 3);
	f->note = (uint8_t)(rec >> 18 & 1);
	f->type = (uint8_t)(rec >> 24);
	f->change = HF_CHANGE_NEW;
	f->from = NULL;
}

void hf_scan_list_release(struct scan_list *l)
{
	free(l->bytes);
	free(l->restarts);
	free(l->recs);
	free(l->prev);
	free(l->tmp);
	memset(l, 0, sizeof(*l));
}

static void put_varint(struct scan_list *l, uint64_t v)
{
	do {
		uint8_t b = (uint8_t)(v & 0x7f);
		v >>= 7;
		l->bytes[l->len++] = (uint8_t)(b | (v ? 0x80 : 0));
	} while (v);
}

static uint64_t get_varint(const uint8_t *p, size_t *off)
{
	uint64_t v = 0;
	int shift = 0;
	uint8_t b;

	do {
		b = p[(*off)++];
		v |= (uint64_t)(b & 0x7f) << shift;
		shift += 7;
	} while (b & 0x80);
	return v;
}

static void reserve(char **buf, size_t *cap, size_t need)
{
	if (need <= *cap)
		return;
	*cap = need < 64 ? 64 : need * 2;
	*buf = hf_xrealloc(*buf, *cap);
}

int hf_scan_list_add(struct scan_list *l, const char *path, uint64_t size)
{
	size_t plen = strlen(path), shared = 0;

	if (l->n > 0 && strcmp(l->prev, path) >= 0)
		return -HF_E_USAGE; /* not in order: the binary search would miss */
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 256;
		l->recs = hf_xreallocarray(l->recs, l->cap, sizeof(*l->recs));
		l->restarts = hf_xreallocarray(l->restarts, l->cap / LIST_RESTART + 1, sizeof(*l->restarts));
	}
	if (l->n % LIST_RESTART == 0)
		l->restarts[l->n / LIST_RESTART] = l->len;
	else
		while (shared < plen && shared < l->prev_len && l->prev[shared] == path[shared])
			shared++;
	/* three varints of at most 10 bytes each, and the rest of the path */
	if (l->bcap - l->len < plen - shared + 30) {
		size_t want = l->bcap ? 2 * l->bcap : 4096;
		while (want - l->len < plen - shared + 30)
			want *= 2;
		l->bytes = hf_xrealloc(l->bytes, want);
		l->bcap = want;
	}
	put_varint(l, shared);
	put_varint(l, plen - shared);
	memcpy(l->bytes + l->len, path + shared, plen - shared);
	l->len += plen - shared;
	put_varint(l, size);
	reserve(&l->prev, &l->prev_cap, plen + 1);
	memcpy(l->prev, path, plen + 1);
	l->prev_len = plen;
	l->recs[l->n] = 0;
	l->path_bytes += plen + 1;
	l->n++;
	return 0;
}

/* decodes the entry at *off over the previous path in *buf (length *len) */
static uint64_t decode(const struct scan_list *l, size_t *off, char **buf, size_t *cap, size_t *len)
{
	size_t shared = (size_t)get_varint(l->bytes, off), rest = (size_t)get_varint(l->bytes, off);

	reserve(buf, cap, shared + rest + 1);
	memcpy(*buf + shared, l->bytes + *off, rest);
	(*buf)[shared + rest] = '\0';
	*off += rest;
	*len = shared + rest;
	return get_varint(l->bytes, off);
}

/* strcmp order of the whole path stored at restart r against path */
static int cmp_restart(const struct scan_list *l, size_t r, const char *path, size_t plen)
{
	size_t off = l->restarts[r], len, c;
	int d;

	(void)get_varint(l->bytes, &off); /* shared: 0 */
	len = (size_t)get_varint(l->bytes, &off);
	c = len < plen ? len : plen;
	d = memcmp(l->bytes + off, path, c);
	if (d)
		return d;
	return (len > plen) - (len < plen);
}

size_t hf_scan_list_find(struct scan_list *l, const char *path, uint64_t *size)
{
	size_t plen = strlen(path), lo = 0, hi = (l->n + LIST_RESTART - 1) / LIST_RESTART, off, len = 0;

	/* the last restart whose path sorts at or before path */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (cmp_restart(l, mid, path, plen) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return SCAN_NONE;
	off = l->restarts[lo - 1];
	for (size_t i = (lo - 1) * LIST_RESTART; i < l->n && i < lo * LIST_RESTART; i++) {
		uint64_t sz = decode(l, &off, &l->tmp, &l->tmp_cap, &len);
		int c = strcmp(l->tmp, path);
		if (c == 0) {
			if (size)
				*size = sz;
			return i;
		}
		if (c > 0)
			break;
	}
	return SCAN_NONE;
}

const char *hf_scan_list_path(struct scan_list *l, size_t i)
{
	size_t off, len = 0;

	if (i >= l->n)
		return NULL;
	off = l->restarts[i / LIST_RESTART];
	for (size_t k = i - i % LIST_RESTART; k <= i; k++)
		decode(l, &off, &l->tmp, &l->tmp_cap, &len);
	return l->tmp;
}

void hf_scan_list_iter_init(struct scan_list_iter *it, const struct scan_list *l)
{
	memset(it, 0, sizeof(*it));
	it->l = l;
}

const char *hf_scan_list_next(struct scan_list_iter *it)
{
	if (it->i >= it->l->n)
		return NULL;
	it->size = decode(it->l, &it->off, &it->path, &it->cap, &it->len);
	it->i++;
	return it->path;
}

void hf_scan_list_iter_release(struct scan_list_iter *it)
{
	free(it->path);
	memset(it, 0, sizeof(*it));
}
