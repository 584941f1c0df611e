/* backup_file.c — a worker backs up one changed file: open it (O_NOATIME,
 * so atime stays; O_NONBLOCK, so a FIFO swapped in cannot hang us), read
 * its metadata through the descriptor, map its holes, read and chunk its
 * data and store every chunk — or hand a chunk to an idle worker. A file
 * whose size, mtime or ctime moves while it is read is marked torn. The
 * bytes read also give the version's content profile (detect.h). A file
 * that fits in the read buffer is profiled once it is read and chunked —
 * unless its chunks are those of its previous version, whose profile it
 * keeps (a touched or re-created file costs no validation). A larger one
 * gets its type from the first buffer and block statistics as the data
 * streams past (in full profiles a keyed sample of one block in four).
 * Holes are not fed to the block statistics. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/backup_internal.h"
#include "engine/engine_internal.h"
#include "util/err.h"
#include "util/mem.h"

struct extent {
	uint64_t start, end;
};

struct file_read {
	struct bctx *c;
	struct bdir *d;
	struct hf_node *nd;
	size_t cap_parts, k;
	uint64_t size;
	struct hf_detect_blocks blocks;
	struct hf_detect_utf8 utf8; /* a text too large for the buffer: is all of it UTF-8? */
	int whole;                  /* the file fits in the read buffer: profiled after it is read */
	int one_extent;             /* no holes: read from 0 to its size in one extent */
	int typed;                  /* the profile's content part is done */
	int utf8_on;                /* utf8 is fed */
	int torn;
};

/* one chunk: to an idle worker (a copy), or stored here */
static int put_chunk(struct file_read *f, const uint8_t *p, size_t len)
{
	struct backup *b = f->c->b;
	struct hf_part *part;
	struct job *j;
	int r;

	if (f->k >= f->cap_parts) { /* grew while we read it */
		f->torn = 1;
		return 0;
	}
	part = &f->nd->parts[f->k++];
	/* a whole file's chunk ids are compared with its previous version's
	 * right after it is read: no hand-off */
	if (__atomic_load_n(&b->work.idle, __ATOMIC_RELAXED) && !f->whole) {
		j = hf_xcalloc(1, sizeof(*j));
		j->kind = JOB_CHUNK;
		j->dir = f->d;
		j->data = hf_xmemdup(p, len);
		j->len = len;
		j->part = part;
		__atomic_add_fetch(&f->d->pending, 1, __ATOMIC_ACQ_REL);
		if (hf_work_offer_chunk(&b->work, j))
			return 0;
		__atomic_sub_fetch(&f->d->pending, 1, __ATOMIC_ACQ_REL); /* the file job still holds one */
		free(j->data);
		free(j);
	}
	r = hf_backup_store_blob(f->c, HF_BLOB_DATA, p, len, part->id);
	part->len = len;
	part->kind = HF_PART_DATA;
	return r;
}

/* reads [e->start, e->end) of fd and stores its chunks; a failure to store
 * is the repository's, not the file's: it fails the whole backup (and is
 * returned as -HF_E_CANCELED, so that the file is not blamed) */
static int read_extent(struct file_read *f, int fd, const struct extent *e)
{
	struct bctx *c = f->c;
	struct backup *b = c->b;
	const struct hf_chunker *ch = hf_repo_chunker(b->repo);
	uint64_t at = e->start;
	size_t have = 0;
	int r;

	for (;;) {
		int eof;
		size_t off = 0;
		while (have < c->rcap && at < e->end) {
			size_t want = c->rcap - have;
			ssize_t got;
			if (want > e->end - at)
				want = (size_t)(e->end - at);
			got = pread(fd, c->rbuf + have, want, (off_t)at);
			if (got < 0) {
				if (errno == EINTR)
					continue;
				return -errno;
			}
			if (got == 0) { /* shrank under us */
				f->torn = 1;
				return 0;
			}
			if (c->detect && !f->whole)
				hf_detect_blocks_update(&f->blocks, c->rbuf + have, (size_t)got);
			if (f->utf8_on)
				hf_detect_utf8_update(&f->utf8, c->rbuf + have, (size_t)got);
			have += (size_t)got;
			at += (uint64_t)got;
			__atomic_add_fetch(&b->st->bytes_read, (uint64_t)got, __ATOMIC_RELAXED);
			hf_backup_progress(b, 0, (uint64_t)got);
		}
		eof = at >= e->end;
		if (!f->typed && !f->whole) {
			f->typed = 1;
			if (e->start == 0 && c->detect)
				hf_detect_content(c->detect, c->rbuf, have, f->size, b->full_profiles, &f->nd->profile);
			/* a full profile says whether a text is UTF-8 all through, also of one too
			 * large for the buffer (the scan reads such a file back otherwise) */
			if (e->start == 0 && c->detect && b->full_profiles && f->one_extent &&
			    f->nd->profile.type == HF_CT_TEXT) {
				hf_detect_utf8_init(&f->utf8);
				hf_detect_utf8_update(&f->utf8, c->rbuf, have);
				f->utf8_on = 1;
			}
		}
		while (off < have && !f->torn) {
			size_t cut = hf_chunker_next(ch, c->rbuf + off, have - off, eof);
			if (cut == 0)
				break;
			r = put_chunk(f, c->rbuf + off, cut);
			if (r < 0) {
				hf_backup_fail(b, r);
				return -HF_E_CANCELED;
			}
			off += cut;
		}
		if (f->torn)
			return 0;
		memmove(c->rbuf, c->rbuf + off, have - off);
		have -= off;
		if (eof && have == 0)
			return 0;
		if (__atomic_load_n(&b->err, __ATOMIC_RELAXED))
			return -HF_E_CANCELED;
	}
}

static int open_file(int dirfd, const char *name)
{
	int flags = O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC;
	int fd = openat(dirfd, name, flags | O_NOATIME);

	if (fd < 0 && errno == EPERM) /* O_NOATIME needs ownership or CAP_FOWNER */
		fd = openat(dirfd, name, flags);
	return fd < 0 ? -errno : fd;
}

/* the data extents of fd; a sparse file's holes are recorded, not read */
static int map_extents(int fd, const struct stat *st, struct extent **out, size_t *n, uint64_t *data_bytes)
{
	struct extent *ext = NULL;
	size_t count = 0, cap = 0;
	uint64_t s, e, at = 0, size = (uint64_t)st->st_size;
	int r = 0;

	*data_bytes = 0;
	if ((uint64_t)st->st_blocks * 512 >= size) {
		if (size > 0) {
			ext = hf_xmalloc(sizeof(*ext));
			ext[0].start = 0;
			ext[0].end = size;
			*data_bytes = size;
			count = 1;
		}
	} else {
		while (at < size && (r = hf_fs_next_data(fd, at, size, &s, &e)) == 1) {
			if (count == cap) {
				cap = cap ? 2 * cap : 16;
				ext = hf_xreallocarray(ext, cap, sizeof(*ext));
			}
			ext[count].start = s;
			ext[count++].end = e;
			*data_bytes += e - s;
			at = e;
		}
	}
	*out = ext;
	*n = count;
	return r < 0 ? r : 0;
}

/* the profile of a file read whole into rbuf: its previous version's if the
 * content is the same, else computed from the buffer */
static void profile_whole(struct file_read *f)
{
	struct bctx *c = f->c;
	const struct hf_node *old = hf_tree_find(&f->d->prev, f->nd->name);

	if (old && old->meta.type == HF_FT_FILE && old->has_profile &&
	    hf_parts_equal(old->parts, old->nparts, f->nd->parts, f->nd->nparts)) {
		f->nd->profile = old->profile;
		return;
	}
	hf_detect_content(c->detect, c->rbuf, (size_t)f->size, f->size, c->b->full_profiles, &f->nd->profile);
	hf_detect_blocks_update(&f->blocks, c->rbuf, (size_t)f->size);
	hf_detect_blocks_final(&f->blocks, &f->nd->profile);
}

static int same_version(const struct stat *a, const struct stat *b)
{
	return a->st_size == b->st_size && a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	       a->st_mtim.tv_nsec == b->st_mtim.tv_nsec && a->st_ctim.tv_sec == b->st_ctim.tv_sec &&
	       a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

void hf_backup_file(struct bctx *c, struct job *j)
{
	struct backup *b = c->b;
	struct bdir *d = j->dir;
	struct hf_node *nd = &d->tree.nodes[j->slot];
	struct file_read f = {.c = c, .d = d, .nd = nd};
	struct hf_meta full;
	struct extent *ext = NULL;
	size_t next = 0;
	uint64_t pos = 0, data_bytes = 0;
	struct stat st, after;
	char *path = hf_path_join(d->path, nd->name);
	int fd, r = 0, failed = 0;

	fd = open_file(d->fd, nd->name);
	if (fd < 0) {
		hf_backup_report(b, path, "cannot open", fd, 1);
		f.torn = 1;
		goto out;
	}
	r = hf_meta_read_stat(c->names, d->fd, nd->name, fd, &full, &st);
	if (r == 0 && (full.type != HF_FT_FILE || full.ino != nd->meta.ino))
		r = -HF_E_CHANGED;
	if (r < 0) {
		hf_meta_release(&full);
		hf_backup_report(b, path, "replaced while being read; not saved", r, 1);
		f.torn = 1;
		goto out;
	}
	hf_meta_release(&nd->meta);
	nd->meta = full;
	/* what stays if no content is typed (a file that starts with a hole:
	 * zeros, which libmagic calls data too) */
	memset(&nd->profile, 0, sizeof(nd->profile));
	nd->profile.type = HF_CT_UNKNOWN;
	nd->profile.valid = HF_VALID_UNCHECKED;
	nd->profile.light = (uint8_t)!b->full_profiles;
	if ((r = map_extents(fd, &st, &ext, &next, &data_bytes)) < 0) {
		hf_backup_report(b, path, "cannot read", r < 0 ? r : -errno, 1);
		f.torn = 1;
		goto out;
	}
	f.cap_parts = (size_t)(data_bytes / hf_repo_config(b->repo)->chunk_min) + 2 * next + 2;
	f.size = (uint64_t)st.st_size;
	f.one_extent = next == 1 && ext[0].start == 0 && ext[0].end == f.size;
	f.whole = c->detect && f.one_extent && f.size <= c->rcap;
	if (b->full_profiles && f.size > c->rcap)
		hf_detect_blocks_init_keyed(&f.blocks, HF_LARGE_BLOCK_SAMPLE, b->block_key);
	else if (b->full_profiles)
		hf_detect_blocks_init(&f.blocks);
	else
		hf_detect_blocks_init_sampled(&f.blocks, HF_LIGHT_BLOCK_STRIDE);
	nd->parts = hf_xcalloc(f.cap_parts, sizeof(*nd->parts));
	for (size_t x = 0; x < next && !f.torn; x++) {
		if (ext[x].start > pos) {
			nd->parts[f.k].kind = HF_PART_HOLE;
			nd->parts[f.k++].len = ext[x].start - pos;
		}
		r = read_extent(&f, fd, &ext[x]);
		if (r < 0) {
			if (r != -HF_E_CANCELED)
				hf_backup_report(b, path, "read error", r, 1);
			f.torn = 1;
			failed = 1;
		}
		pos = ext[x].end;
	}
	if (!f.torn && pos < (uint64_t)st.st_size && f.k < f.cap_parts) {
		nd->parts[f.k].kind = HF_PART_HOLE;
		nd->parts[f.k++].len = (uint64_t)st.st_size - pos;
	}
	nd->nparts = f.k;
	if (c->detect) {
		if (f.whole && !f.torn) {
			profile_whole(&f);
		} else {
			hf_detect_blocks_final(&f.blocks, &nd->profile);
			if (f.utf8_on && !f.torn)
				nd->profile.text_utf8 = (uint8_t)hf_detect_utf8_final(&f.utf8);
		}
		nd->has_profile = 1;
	}
	/* torn: grew or shrank under the reads, or changed by the end */
	if (!failed &&
	    (f.torn || fstat(fd, &after) < 0 || !same_version(&st, &after) || (uint64_t)st.st_size != nd->meta.size)) {
		/* resolve_torn keeps the parent snapshot's version, if it has one */
		const struct hf_node *old = hf_tree_find(&d->prev, nd->name);
		hf_backup_report(b, path,
				 old && old->meta.type == HF_FT_FILE
					 ? "changed while being read; previous version kept"
					 : "changed while being read; left out (no earlier version to keep)",
				 -HF_E_CHANGED, 1);
		f.torn = 1;
	}
	hf_backup_progress(b, 1, 0);
out:
	if (f.torn)
		d->torn[j->slot] = 1;
	if (fd >= 0)
		close(fd);
	free(ext);
	free(path);
}
