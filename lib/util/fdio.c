/* fdio.c — whole reads and writes on a file descriptor (fdio.h). */
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/fdio.h"

int hf_write_all(int fd, const void *p, size_t n)
{
	const uint8_t *q = p;

	while (n > 0) {
		ssize_t w = write(fd, q, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? -errno : -EIO;
		q += w;
		n -= (size_t)w;
	}
	return 0;
}

int hf_read_whole(int fd, struct hf_buf *out, uint64_t max)
{
	struct stat st;
	int r;

	out->len = 0;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size > max)
		return -HF_E_CORRUPT;
	if ((r = hf_buf_reserve(out, (size_t)st.st_size)) < 0)
		return r;
	while (out->len < (size_t)st.st_size) {
		ssize_t got = read(fd, out->data + out->len, (size_t)st.st_size - out->len);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return got < 0 ? -errno : -HF_E_CORRUPT;
		out->len += (size_t)got;
	}
	return 0;
}
