/* sparse.c — finding the data extents of sparse files with
 * lseek(SEEK_DATA/SEEK_HOLE), so a backup reads (and a restore writes) only
 * the data, and holes are recorded as holes. Moves fd's file offset: callers
 * read with pread. */
#include <errno.h>
#include <unistd.h>

#include "fs/fs.h"
#include "util/err.h"

int hf_fs_next_data(int fd, uint64_t off, uint64_t size, uint64_t *start, uint64_t *end)
{
	off_t d, h;

	if (!start || !end || off > (uint64_t)INT64_MAX || size > (uint64_t)INT64_MAX)
		return -HF_E_USAGE;
	if (off >= size)
		return 0;
	d = lseek(fd, (off_t)off, SEEK_DATA);
	if (d < 0) {
		if (errno == ENXIO)
			return 0; /* only a hole from off to EOF */
		if (errno == EINVAL || errno == ENOTSUP || errno == EOPNOTSUPP) {
			*start = off; /* no SEEK_DATA here: all of it is data */
			*end = size;
			return 1;
		}
		return -errno;
	}
	if ((uint64_t)d >= size)
		return 0; /* data only past the size the caller goes by (file grew) */
	h = lseek(fd, d, SEEK_HOLE);
	if (h < 0) {
		if (errno != ENXIO) /* ENXIO: truncated meanwhile; the caller sees a short read */
			return -errno;
		h = (off_t)size;
	}
	*start = (uint64_t)d;
	*end = (uint64_t)h > size ? size : (uint64_t)h;
	return 1;
}
