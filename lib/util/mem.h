/* mem.h — allocation helpers.
 *
 * hf_xmalloc & co. abort on out-of-memory (like Redis' zmalloc): the process
 * cannot do anything sensible without memory, and checking every small
 * allocation hides the real error paths. Size arithmetic is overflow-checked.
 * Use hf_try_malloc where a large allocation may fail and be reported. */
#ifndef HF_UTIL_MEM_H
#define HF_UTIL_MEM_H

#include <stddef.h>

#include "util/err.h"

HF_MUST_USE void *hf_xmalloc(size_t n);
HF_MUST_USE void *hf_xcalloc(size_t n, size_t size);
HF_MUST_USE void *hf_xrealloc(void *p, size_t n);
HF_MUST_USE void *hf_xreallocarray(void *p, size_t n, size_t size); /* aborts on overflow */
HF_MUST_USE char *hf_xstrdup(const char *s);
HF_MUST_USE void *hf_xmemdup(const void *p, size_t n); /* adds a NUL after n bytes */
HF_MUST_USE void *hf_try_malloc(size_t n);             /* NULL on failure */
/* NULL on failure or overflow (p is then untouched) */
HF_MUST_USE void *hf_try_reallocarray(void *p, size_t n, size_t size);
/* *out = a * b, returns -HF_E_LIMIT on overflow */
HF_MUST_USE int hf_mul_ok(size_t a, size_t b, size_t *out);

#endif
