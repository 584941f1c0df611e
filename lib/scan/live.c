/* live.c — the scan's per-file rules over bytes in memory (live.h): a scan
 * context with no repository whose content source reads buffers. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "scan/live.h"
#include "scan/scan_internal.h"
#include "util/buf.h"
#include "util/mem.h"

#define LIVE_PREFIX (1u << 20) /* what a prefix profile looks at */

struct hf_scan_live {
	struct scan sc;
};

struct live_bytes {
	const uint8_t *data;
	size_t n;
};

/* bytes past what the caller gave read as "gone": the rule goes without */
static int live_read(void *ctx, const struct hf_scan_ref *file, uint64_t off, size_t n, void *out)
{
	const struct live_bytes *b = file->handle;

	(void)ctx;
	if (!b || off > b->n || n > b->n - off)
		return -HF_E_CHANGED;
	memcpy(out, b->data + off, n);
	return 0;
}

struct hf_scan_live *hf_scan_live_new(struct hf_detect *det)
{
	struct hf_scan_live *l = hf_xcalloc(1, sizeof(*l));

	l->sc.det = det;
	l->sc.src = (struct hf_scan_source){live_read, NULL, NULL};
	hf_buf_init(&l->sc.content, HF_DETECT_VALIDATE_MAX);
	hf_buf_init(&l->sc.blob, HF_BLOB_MAX);
	return l;
}

void hf_scan_live_free(struct hf_scan_live *l)
{
	if (!l)
		return;
	hf_buf_release(&l->sc.content);
	hf_buf_release(&l->sc.blob);
	free(l);
}

int hf_scan_live_profile(struct hf_scan_live *l, const uint8_t *data, size_t n, uint64_t size, struct hf_profile *out)
{
	int r;

	if (!l->sc.det)
		return -ENOENT;
	r = hf_detect_profile(l->sc.det, data, n < LIVE_PREFIX || n == size ? n : LIVE_PREFIX, out);
	if (r == 0 && n != size)
		out->valid = HF_VALID_UNCHECKED;
	return r;
}

static int version_of(struct hf_scan_live *l, struct hf_scan_live_version *lv, struct live_bytes *b,
		      struct scan_version *v)
{
	int r;

	memset(v, 0, sizeof(*v));
	b->data = lv->data;
	b->n = lv->n;
	v->size = lv->size;
	v->handle = b;
	if (!lv->has_profile) {
		if ((r = hf_scan_live_profile(l, lv->data, lv->n, lv->size, &lv->profile)) < 0)
			return r;
		lv->has_profile = 1;
		v->profiled = lv->n == lv->size; /* libmagic ran, validity final */
		v->retyped = 1;
	}
	v->has_profile = 1;
	v->profile = lv->profile;
	/* a light profile is counted again from the bytes if they are all there */
	v->counted = lv->n != lv->size;
	return 0;
}

int hf_scan_live_judge(struct hf_scan_live *l, struct hf_scan_live_version *old, struct hf_scan_live_version *cur,
		       int conversion, uint32_t *reasons)
{
	struct live_bytes bo, bc;
	struct scan_version vo, vc;
	int r;

	*reasons = 0;
	if ((r = version_of(l, cur, &bc, &vc)) < 0)
		return r;
	if (!old)
		return hf_scan_judge_content(&l->sc, &vc, reasons);
	if ((r = version_of(l, old, &bo, &vo)) < 0)
		return r;
	return hf_scan_judge_change(&l->sc, &vo, &vc, conversion, reasons);
}

uint32_t hf_scan_live_encrypting(void)
{
	return SCAN_ENCRYPTING;
}

int hf_scan_live_note(const uint8_t *content, size_t n)
{
	return hf_scan_note_verdict(content, n, 1, 0);
}
