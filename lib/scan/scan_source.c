/* scan_source.c — the content sources of the scan: the repository's (a
 * version's bytes read back from its stored parts, one data blob at a
 * time, each checked against the part's length), and the files on this
 * machine (each part read from the file and checked against its id). Holes
 * are zeros in both. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "scan/source.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/mem.h"

/* a data part's bytes (p->len of them), the part starting at `at` in the file */
typedef int (*part_fetch_fn)(void *ctx, const struct hf_part *p, uint64_t at, const uint8_t **data);

/* n bytes of file from off into out, each data part's bytes from fetch;
 * holes, and the file past its last part, read as zeros */
static int read_parts(const struct hf_scan_ref *file, uint64_t off, size_t n, uint8_t *out, part_fetch_fn fetch,
		      void *ctx)
{
	uint64_t pos = 0; /* where part i starts in the file */
	size_t done = 0;
	int r;

	for (size_t i = 0; i < file->nparts && done < n; i++) {
		const struct hf_part *p = &file->parts[i];
		uint64_t at = off + done;
		if (pos + p->len > at) {
			size_t skip = (size_t)(at - pos);
			size_t take = p->len - skip < n - done ? (size_t)(p->len - skip) : n - done;
			const uint8_t *data;
			if (p->kind == HF_PART_DATA) {
				if ((r = fetch(ctx, p, pos, &data)) < 0)
					return r;
				memcpy(out + done, data + skip, take);
			} else {
				memset(out + done, 0, take);
			}
			done += take;
		}
		pos += p->len;
	}
	/* an empty file reads into no buffer at all */
	if (n > done)
		memset(out + done, 0, n - done);
	return 0;
}

struct repo_source {
	struct hf_blob_reader br;
	struct hf_buf blob; /* one data blob */
};

static int repo_fetch(void *ctx, const struct hf_part *p, uint64_t at, const uint8_t **data)
{
	struct repo_source *rs = ctx;
	int r = hf_blob_read(&rs->br, p->id, &rs->blob);

	(void)at;
	if (r < 0)
		return r;
	if (rs->blob.len != p->len)
		return -HF_E_CORRUPT;
	*data = rs->blob.data;
	return 0;
}

static int repo_read(void *ctx, const struct hf_scan_ref *file, uint64_t off, size_t n, void *out)
{
	return read_parts(file, off, n, out, repo_fetch, ctx);
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

/* ---- the files on this machine ---------------------------------------------- */

struct files_source {
	struct hf_repo *repo;
	char *path; /* the file open on fd */
	int fd;
	struct hf_buf part; /* one data part's bytes */
};

/* fd open on path, the file holding size bytes; -HF_E_CHANGED if it is not
 * there as a regular file of that size */
static int files_open(struct files_source *fs, const char *path, uint64_t size)
{
	struct stat st;

	if (!fs->path || strcmp(fs->path, path) != 0) {
		if (fs->fd >= 0)
			close(fs->fd);
		free(fs->path);
		fs->path = hf_xstrdup(path);
		/* as the backup opens it: its access time stays what the next backup records */
		fs->fd = open(path, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK | O_CLOEXEC | O_NOATIME);
		if (fs->fd < 0 && errno == EPERM) /* O_NOATIME needs ownership or CAP_FOWNER */
			fs->fd = open(path, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	}
	if (fs->fd < 0 || fstat(fs->fd, &st) < 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size != size)
		return -HF_E_CHANGED;
	return 0;
}

/* part p, at offset at of the file, into fs->part: the bytes whose id it names
 * (a read_parts fetch) */
static int files_fetch(void *ctx, const struct hf_part *p, uint64_t at, const uint8_t **data)
{
	struct files_source *fs = ctx;
	uint8_t id[HF_ID_LEN];
	size_t got = 0;
	int r;

	if (p->len > HF_BLOB_MAX)
		return -HF_E_CORRUPT;
	fs->part.len = 0;
	r = hf_buf_reserve(&fs->part, (size_t)p->len);
	while (r == 0 && got < p->len) {
		ssize_t n = pread(fs->fd, fs->part.data + got, (size_t)p->len - got, (off_t)(at + got));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -HF_E_CHANGED; /* shorter than it was */
		got += (size_t)n;
	}
	if (r < 0)
		return r;
	fs->part.len = got;
	hf_repo_blob_id(fs->repo, fs->part.data, got, id);
	if (memcmp(id, p->id, HF_ID_LEN) != 0)
		return -HF_E_CHANGED;
	*data = fs->part.data;
	return 0;
}

static int files_read(void *ctx, const struct hf_scan_ref *file, uint64_t off, size_t n, void *out)
{
	struct files_source *fs = ctx;
	int r;

	if (!file->handle)
		return -HF_E_CHANGED;
	if ((r = files_open(fs, file->handle, file->size)) < 0)
		return r;
	return read_parts(file, off, n, out, files_fetch, fs);
}

static void files_release(void *ctx)
{
	struct files_source *fs = ctx;

	if (fs->fd >= 0)
		close(fs->fd);
	free(fs->path);
	hf_buf_release(&fs->part);
	free(fs);
}

void hf_scan_source_files(struct hf_scan_source *s, struct hf_repo *r)
{
	struct files_source *fs = hf_xcalloc(1, sizeof(*fs));

	fs->repo = r;
	fs->fd = -1;
	hf_buf_init(&fs->part, HF_BLOB_MAX);
	s->read = files_read;
	s->release = files_release;
	s->ctx = fs;
}

void hf_scan_source_release(struct hf_scan_source *s)
{
	if (s->release)
		s->release(s->ctx);
	memset(s, 0, sizeof(*s));
}
