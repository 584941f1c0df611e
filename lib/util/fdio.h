/* fdio.h — whole reads and writes on a file descriptor, retried across
 * short transfers and EINTR. */
#ifndef HF_UTIL_FDIO_H
#define HF_UTIL_FDIO_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

/* writes all n bytes of p: 0, or -errno (-EIO if the kernel wrote nothing) */
HF_MUST_USE int hf_write_all(int fd, const void *p, size_t n);
/* reads the whole regular file fd (from its current offset, its fstat size)
 * into out (len reset): 0; -HF_E_CORRUPT if it is no regular file, is larger
 * than max or ends early; -errno or out's -HF_E_LIMIT otherwise */
HF_MUST_USE int hf_read_whole(int fd, struct hf_buf *out, uint64_t max);

#endif
