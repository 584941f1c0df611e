/* scan_source.c — the repository's content source: a version's bytes
 * read back from its stored parts, one data blob at a time (holes are
 * zeros). Each read is checked against the part's length. */
#include <stdlib.h>
#include <string.h>

#include "scan/source.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/mem.h"

struct repo_source {
	struct hf_blob_reader br;
	struct hf_buf blob; /* one data blob */
};

static int repo_read(void *ctx, const struct hf_scan_ref *file, uint64_t off, size_t n, void *out)
{
	struct repo_source *rs = ctx;
	uint8_t *o = out;
	uint64_t pos = 0; /* where part i starts in the file */
	size_t done = 0;
	int r;

	for (size_t i = 0; i < file->nparts && done < n; i++) {
		const struct hf_part *p = &file->parts[i];
		uint64_t at = off + done;
		if (pos + p->len > at) {
			size_t skip = (size_t)(at - pos);
			size_t take = p->len - skip < n - done ? (size_t)(p->len - skip) : n - done;
			if (p->kind == HF_PART_DATA) {
				r = hf_blob_read(&rs->br, p->id, &rs->blob);
				if (r < 0)
					return r;
				if (rs->blob.len != p->len)
					return -HF_E_CORRUPT;
				memcpy(o + done, rs->blob.data + skip, take);
			} else {
				memset(o + done, 0, take);
			}
			done += take;
		}
		pos += p->len;
	}
	/* past the last part the file is a hole (an empty file reads into no buffer at all) */
	if (n > done)
		memset(o + done, 0, n - done);
	return 0;
}

static void repo_release(void *ctx)
{
	struct repo_source *rs = ctx;

	hf_buf_release(&rs->blob);
	hf_blob_reader_release(&rs->br);
	free(rs);
}

void hf_scan_source_repo(struct hf_scan_source *s, struct hf_repo *r)
{
	struct repo_source *rs = hf_xcalloc(1, sizeof(*rs));

	hf_blob_reader_init(&rs->br, r);
	hf_buf_init(&rs->blob, HF_BLOB_MAX);
	s->read = repo_read;
	s->release = repo_release;
	s->ctx = rs;
}

void hf_scan_source_release(struct hf_scan_source *s)
{
	if (s->release)
		s->release(s->ctx);
	memset(s, 0, sizeof(*s));
}
