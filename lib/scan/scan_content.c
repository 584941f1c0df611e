/* scan_content.c — a scan's look at file content: a version's bytes read
 * through the scan's content source (source.h; holes are zeros), and
 * from them what the stored profile lacks when a verdict depends on it: a
 * whole profile when the tree entry has none (tree version 1), and for a
 * first backup's light profile its validity, its block counts over every
 * block, or a libmagic type for its "unknown". One hf_detect (libmagic) per
 * scan, created on first use. */
#include <errno.h>
#include <string.h>

#include "crypto/crypto.h"
#include "scan/scan_internal.h"
#include "util/buf.h"
#include "util/err.h"

#define SCAN_PREFIX (1u << 20)       /* what files past HF_DETECT_VALIDATE_MAX are typed from */
#define SCAN_TYPE_PREFIX (64u << 10) /* what confirming a type reads */

int hf_scan_read(struct scan *sc, const struct scan_version *v, size_t limit)
{
	struct hf_buf *out = &sc->content;
	struct hf_scan_ref ref = {v->size, v->parts, v->nparts, v->handle};
	size_t want = v->size < limit ? (size_t)v->size : limit;
	int r;

	out->len = 0;
	r = hf_buf_reserve(out, want);
	if (r == 0 && want)
		r = sc->src.read(sc->src.ctx, &ref, 0, want, out->data);
	if (r < 0)
		return r;
	out->len = want;
	return 0;
}

int hf_scan_detector(struct scan *sc)
{
	if (!sc->det)
		sc->det = hf_detect_new();
	return sc->det ? 0 : -HF_E_NODETECT;
}

void hf_scan_tools_init(struct scan *sc)
{
	if (sc->local)
		hf_scan_source_files(&sc->src, sc->r);
	else
		hf_scan_source_repo(&sc->src, sc->r);
	hf_buf_init(&sc->content, HF_DETECT_VALIDATE_MAX);
	hf_buf_init(&sc->blob, HF_BLOB_MAX);
}

void hf_scan_tools_take(struct scan *to, const struct scan *from)
{
	to->src = from->src;
	to->content = from->content;
	to->blob = from->blob;
}

void hf_scan_tools_release(struct scan *sc)
{
	hf_buf_release(&sc->content);
	hf_buf_release(&sc->blob);
	hf_scan_source_release(&sc->src);
}

int hf_scan_profile(struct scan *sc, struct scan_version *v)
{
	struct hf_profile p;
	int whole = v->size <= HF_DETECT_VALIDATE_MAX, r;

	if (v->profiled)
		return 0;
	r = hf_scan_detector(sc);
	if (r == 0 && (r = hf_scan_read(sc, v, whole ? HF_DETECT_VALIDATE_MAX : SCAN_PREFIX)) < 0)
		return hf_scan_gone(r); /* the stored profile, or none, stands */
	if (r == 0)
		r = hf_detect_profile(sc->det, sc->content.data, sc->content.len, &p);
	if (r < 0)
		return r;
	if (!whole) {
		/* a prefix says what the file is, not whether all of it decodes;
		 * the backup's block statistics saw all of it (or a keyed sample) */
		p.valid = HF_VALID_UNCHECKED;
		if (v->has_profile) {
			p.blocks = v->profile.blocks;
			p.random_blocks = v->profile.random_blocks;
		}
	}
	v->profile = p;
	v->has_profile = v->profiled = v->retyped = 1;
	return 0;
}

/* streamed one blob at a time, so the file is never whole in memory; holes
 * are passed over, as the backup passes over them */
int hf_scan_count_blocks(struct scan *sc, struct scan_version *v)
{
	struct hf_scan_ref ref = {v->size, v->parts, v->nparts, v->handle};
	struct hf_detect_blocks b;
	uint64_t off = 0; /* where part i starts */
	int r;

	if (v->profiled || v->counted || !v->profile.light || v->size > HF_DETECT_VALIDATE_MAX)
		return 0;
	hf_detect_blocks_init(&b);
	for (size_t i = 0; i < v->nparts; off += v->parts[i].len, i++) {
		const struct hf_part *p = &v->parts[i];
		if (p->kind != HF_PART_DATA)
			continue;
		if (p->len > HF_BLOB_MAX) /* no stored blob is that long */
			return -HF_E_CORRUPT;
		sc->blob.len = 0;
		r = hf_buf_reserve(&sc->blob, (size_t)p->len);
		if (r == 0)
			r = sc->src.read(sc->src.ctx, &ref, off, (size_t)p->len, sc->blob.data);
		if (r < 0)
			return hf_scan_gone(r); /* the sampled counts stand */
		sc->blob.len = (size_t)p->len;
		hf_detect_blocks_update(&b, sc->blob.data, sc->blob.len);
	}
	hf_detect_blocks_final(&b, &v->profile);
	v->counted = 1;
	return 0;
}

int hf_scan_validate(struct scan *sc, struct scan_version *v)
{
	struct hf_profile *p = &v->profile;
	int r, container;

	if (v->profiled || p->valid != HF_VALID_UNCHECKED || p->type == HF_CT_UNKNOWN || p->type == HF_CT_OTHER ||
	    v->size > HF_DETECT_VALIDATE_MAX)
		return 0;
	if ((r = hf_scan_read(sc, v, HF_DETECT_VALIDATE_MAX)) < 0)
		return hf_scan_gone(r); /* stays unchecked */
	r = hf_detect_validate_as(sc->content.data, sc->content.len, p->type, &container);
	if (r < 0)
		return r;
	p->valid = (uint8_t)r;
	if (container) /* encrypted entries: only decoding sees them */
		p->encrypted_container = 1;
	return 0;
}

int hf_scan_need_profile(struct scan *sc, struct scan_version *v)
{
	return v->has_profile ? 0 : hf_scan_profile(sc, v);
}

int hf_scan_prefix_profile(struct scan *sc, const struct scan_version *v, size_t limit, struct hf_profile *out)
{
	int r = hf_scan_detector(sc);

	if (r == 0)
		r = hf_scan_read(sc, v, limit);
	if (r == 0)
		r = hf_detect_profile(sc->det, sc->content.data, sc->content.len, out);
	return r;
}

int hf_scan_retype(struct scan *sc, struct scan_version *v)
{
	struct hf_profile p;
	int r;

	/* a full profile's type is libmagic's answer already */
	if (v->retyped || (v->has_profile && !v->profile.light))
		return 0;
	if (v->size <= SCAN_TYPE_PREFIX)
		return hf_scan_profile(sc, v); /* as cheap as the start, and complete */
	r = hf_scan_prefix_profile(sc, v, SCAN_TYPE_PREFIX, &p);
	if (r < 0)
		return hf_scan_gone(r); /* the stored type stands */
	v->profile.type = p.type;
	if (p.type == HF_CT_OPENPGP || p.type == HF_CT_AGE)
		v->profile.encrypted_container = 1;
	v->retyped = 1;
	return 0;
}

void hf_scan_content_key(const struct scan_version *v, uint8_t key[HF_ID_LEN])
{
	struct hf_sha256_ctx *c = hf_sha256_new();
	uint8_t n[8];

	for (int i = 0; i < 8; i++)
		n[i] = (uint8_t)(v->size >> (8 * i));
	hf_sha256_update(c, n, sizeof(n));
	for (size_t i = 0; i < v->nparts; i++) {
		const struct hf_part *p = &v->parts[i];
		for (int b = 0; b < 8; b++)
			n[b] = (uint8_t)(p->len >> (8 * b));
		hf_sha256_update(c, &p->kind, 1);
		hf_sha256_update(c, n, sizeof(n));
		if (p->kind == HF_PART_DATA)
			hf_sha256_update(c, p->id, HF_ID_LEN);
	}
	hf_sha256_final(c, key);
}
