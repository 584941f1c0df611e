/* read.c — a written file's bytes for the judge, one consistent state
 * where the kernel can give it, without making writers wait for the read.
 *
 * The read is under a read lease (F_SETLEASE, F_RDLCK): the kernel grants
 * it only while no process has the file open for writing, and while it is
 * held a writer's open waits (one that opens with O_NONBLOCK is told
 * EAGAIN; the break's SIGIO is ignored, hf_watch_open). Refused (EAGAIN),
 * another process is writing the file now: a database in its next
 * transaction, half a page written; the read is "unsettled", and the
 * writer's close brings the file back to the judge. Leases that cannot be
 * had for other reasons (a filesystem without them) change nothing.
 *
 * The lease is not held for the whole read: the file is read in pieces,
 * and a writer waiting for it gets it after the piece under way. What is
 * read from then on may be half written, so the read counts as unsettled,
 * as if the writer had been there first. (Held to the end, a writer's open
 * waited for all of it: 1.6 ms per transaction of the bench's SQLite loop,
 * whose database the judge reads 8 MiB of at every commit.) */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "watch/watch_int.h"

#define WATCH_READ_PIECE (256u << 10) /* read between two looks at the lease */

int watch_lease(int fd)
{
	if (fcntl(fd, F_SETLEASE, F_RDLCK) == 0)
		return 1;
	return errno == EAGAIN ? -EAGAIN : 0;
}

int watch_read_leased(int fd, int leased, struct hf_buf *out, size_t want, int *unsettled)
{
	int r;

	out->len = 0;
	if ((r = hf_buf_reserve(out, want)) < 0)
		return r;
	while (out->len < want) {
		size_t piece = want - out->len < WATCH_READ_PIECE ? want - out->len : WATCH_READ_PIECE;
		ssize_t n = read(fd, out->data + out->len, piece);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break; /* shrank meanwhile: what is there */
		out->len += (size_t)n;
		/* a writer's open is waiting (the lease is being broken): let it in,
		 * unless this was the last piece (the close lets it in at once) */
		if (leased && out->len < want && fcntl(fd, F_GETLEASE) != F_RDLCK) {
			fcntl(fd, F_SETLEASE, F_UNLCK);
			leased = 0;
			*unsettled = 1;
		}
	}
	return 0;
}

/* the file's first WATCH_READ_MAX bytes into w->content; its size and
 * mtime into *st. -ENOENT etc. if it is gone, -EISDIR etc. if not regular;
 * w->content_unsettled says whether another process wrote it meanwhile */
int watch_read_file(struct hf_watch *w, const char *path, struct stat *st)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOATIME), r = 0, leased;
	size_t want;

	memset(st, 0, sizeof(*st));
	w->content_unsettled = 0;
	if (fd < 0 && errno == EPERM)
		fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* 0 also for what is no regular file (EINVAL) */
	leased = watch_lease(fd);
	w->content_unsettled = leased == -EAGAIN;
	if (fstat(fd, st) < 0) {
		r = -errno;
		goto out;
	}
	if (!S_ISREG(st->st_mode)) {
		r = -EINVAL;
		goto out;
	}
	want = (uint64_t)st->st_size < WATCH_READ_MAX ? (size_t)st->st_size : WATCH_READ_MAX;
	r = watch_read_leased(fd, leased == 1, &w->content, want, &w->content_unsettled);
	if (r == 0 && w->content.len < want)
		st->st_size = (off_t)w->content.len;
out:
	close(fd); /* the lease with it */
	return r;
}
