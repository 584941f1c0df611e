/* mkdirs.h — mkdir -p: a directory and whatever of its parents is missing. */
#ifndef HF_UTIL_MKDIRS_H
#define HF_UTIL_MKDIRS_H

#include <sys/types.h>

/* Makes path and each missing parent with mode (an existing directory is
 * fine). 0, or -errno of the first mkdir that failed. */
int hf_mkdirs(const char *path, mode_t mode);

#endif
