/* mem.c — allocation helpers (see mem.h).
 *
 * The hf_x* allocators are the one permitted exception to "the library never
 * prints or exits": on out-of-memory they write one line to stderr and abort(),
 * because nothing sensible can continue. hf_try_malloc reports failure instead. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"
#include "util/mem.h"

static void __attribute__((noreturn)) hf_oom(size_t n)
{
	fprintf(stderr, "holdfast: out of memory (allocating %zu bytes)\n", n);
	abort();
}

void *hf_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		hf_oom(n);
	return p;
}

void *hf_xcalloc(size_t n, size_t size)
{
	void *p;

	if (n == 0 || size == 0)
		n = size = 1;
	p = calloc(n, size);
	if (!p)
		hf_oom(size && n > SIZE_MAX / size ? SIZE_MAX : n * size);
	return p;
}

void *hf_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1); /* realloc(p, 0) would free p */

	if (!q)
		hf_oom(n);
	return q;
}

void *hf_xreallocarray(void *p, size_t n, size_t size)
{
	size_t total;

	if (hf_mul_ok(n, size, &total) < 0)
		hf_oom(SIZE_MAX);
	return hf_xrealloc(p, total);
}

void *hf_try_reallocarray(void *p, size_t n, size_t size)
{
	size_t total;

	if (hf_mul_ok(n, size, &total) < 0)
		return NULL;
	return realloc(p, total ? total : 1);
}

char *hf_xstrdup(const char *s)
{
	return hf_xmemdup(s, strlen(s));
}

void *hf_xmemdup(const void *p, size_t n)
{
	char *q;

	if (n == SIZE_MAX)
		hf_oom(SIZE_MAX);
	q = hf_xmalloc(n + 1);
	if (n)
		memcpy(q, p, n);
	q[n] = '\0';
	return q;
}

void *hf_try_malloc(size_t n)
{
	return malloc(n ? n : 1);
}

int hf_mul_ok(size_t a, size_t b, size_t *out)
{
	size_t r;

	if (__builtin_mul_overflow(a, b, &r))
		return -HF_E_LIMIT;
	*out = r;
	return 0;
}
