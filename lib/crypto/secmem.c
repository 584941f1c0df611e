/* secmem.c — memory for secrets: sodium_malloc'd (mlock'd, guard pages, canary),
 * wiped on free; explicit wiping and constant-time comparison of MACs. */
#include <stdlib.h>

#include <sodium.h>

#include "crypto/crypto.h"

void *hf_secure_alloc(size_t n)
{
	void *p = sodium_malloc(n);

	if (p == NULL)
		abort(); /* like hf_xmalloc: out of memory */
	return p;
}

void hf_secure_free(void *p)
{
	sodium_free(p); /* NULL-safe; wipes before unmapping */
}

void hf_wipe(void *p, size_t n)
{
	if (p != NULL)
		sodium_memzero(p, n);
}

int hf_ct_equal(const void *a, const void *b, size_t n)
{
	return sodium_memcmp(a, b, n) == 0;
}
