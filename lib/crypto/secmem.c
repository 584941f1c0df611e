/* secmem.c — memory for secrets: sodium_malloc'd (mlock'd, MADV_DONTDUMP,
 * guard pages, canary), wiped on free; explicit wiping, constant-time
 * comparison of MACs, and struct hf_secbuf, a growable buffer in such memory. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <sodium.h>

#include "crypto/crypto.h"
#include "crypto/crypto_internal.h"
#include "util/err.h"

void hf_secure_nofork(void *p, size_t n)
{
#ifdef MADV_WIPEONFORK
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE), start = (uintptr_t)p & ~(page - 1);
	uintptr_t end = ((uintptr_t)p + (n ? n : 1) + page - 1) & ~(page - 1);

	if (p)
		madvise((void *)start, end - start, MADV_WIPEONFORK); /* best effort: older kernels lack it */
#else
	(void)p;
	(void)n;
#endif
}

void *hf_secure_alloc(size_t n)
{
	void *p = sodium_malloc(n);

	if (p == NULL)
		abort(); /* like hf_xmalloc: out of memory */
	hf_secure_nofork(p, n);
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

void hf_secbuf_init(struct hf_secbuf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
}

void hf_secbuf_release(struct hf_secbuf *b)
{
	hf_secure_free(b->data);
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

void hf_secbuf_reset(struct hf_secbuf *b)
{
	hf_wipe(b->data, b->len);
	b->len = 0;
}

int hf_secbuf_reserve(struct hf_secbuf *b, size_t extra)
{
	size_t need, cap;
	uint8_t *p;

	if (extra > b->max || b->len > b->max - extra)
		return -HF_E_LIMIT;
	need = b->len + extra;
	if (need <= b->cap)
		return 0;
	/* each block costs guard pages and a system call or four: double */
	cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap = cap > b->max / 2 ? b->max : 2 * cap;
	p = hf_secure_alloc(cap);
	if (b->len > 0)
		memcpy(p, b->data, b->len);
	hf_secure_free(b->data); /* the old block is wiped */
	b->data = p;
	b->cap = cap;
	return 0;
}

int hf_secbuf_append(struct hf_secbuf *b, const void *p, size_t n)
{
	int r = hf_secbuf_reserve(b, n);

	if (r < 0)
		return r;
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	return 0;
}
