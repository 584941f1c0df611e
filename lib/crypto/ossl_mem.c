/* ossl_mem.c — OpenSSL's allocations, with a secure lane for key material.
 *
 * An AES-GCM cipher context keeps its key schedule (whose first 32 bytes are
 * the key itself) in memory OpenSSL allocates, ordinary heap by default: a
 * core of a restore held every pack key it had used. OpenSSL lets a program
 * replace its allocator (CRYPTO_set_mem_functions, before the first
 * allocation); ours prefixes each block with a small header saying where it
 * came from, and allocates from sodium_malloc (mlock'd, MADV_DONTDUMP, wiped
 * on free) while the calling thread is inside hf_ossl_secure_begin/end, from
 * malloc otherwise. So only the few contexts that hold keys pay for guarded
 * pages; the hot path (seal/open) allocates nothing.
 *
 * libsodium's own AES-256-GCM (whose state we could allocate ourselves) is
 * 2.4 times slower than OpenSSL's on the machines measured, so we keep
 * OpenSSL and move its memory instead. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <sodium.h>

#include "crypto/crypto_internal.h"

/* 16 bytes keep malloc's alignment for the caller's block */
#define HDR_LEN 16
#define MAGIC_PLAIN 0x68667031u  /* "hfp1" */
#define MAGIC_SECURE 0x68667331u /* "hfs1" */

struct hdr {
	size_t size; /* the caller's size (for realloc of a secure block) */
	uint32_t magic;
};

/* per thread: > 0 inside hf_ossl_secure_begin/end */
static _Thread_local int secure_depth;

void hf_ossl_secure_begin(void)
{
	secure_depth++;
}

void hf_ossl_secure_end(void)
{
	secure_depth--;
}

static void *wrap(uint8_t *h, size_t n, uint32_t magic)
{
	struct hdr hd = {.size = n, .magic = magic};

	if (h == NULL)
		return NULL;
	memcpy(h, &hd, sizeof(hd));
	return h + HDR_LEN;
}

static struct hdr *header_of(void *p)
{
	struct hdr *h = (struct hdr *)((uint8_t *)p - HDR_LEN);

	if (h->magic != MAGIC_PLAIN && h->magic != MAGIC_SECURE)
		abort(); /* not ours: the heap is corrupt */
	return h;
}

static void *secure_block(size_t n)
{
	/* sodium_malloc puts the block's end on a page boundary: a multiple of
	 * 64 bytes keeps its start aligned */
	size_t total;

	if (n > SIZE_MAX - HDR_LEN - 63)
		return NULL;
	total = (n + HDR_LEN + 63) & ~(size_t)63;
	return wrap(sodium_malloc(total), n, MAGIC_SECURE);
}

static void *hook_malloc(size_t n, const char *file, int line)
{
	(void)file;
	(void)line;
	if (secure_depth > 0)
		return secure_block(n);
	if (n > SIZE_MAX - HDR_LEN)
		return NULL;
	return wrap(malloc(n + HDR_LEN), n, MAGIC_PLAIN);
}

static void hook_free(void *p, const char *file, int line)
{
	struct hdr *h;

	(void)file;
	(void)line;
	if (p == NULL)
		return;
	h = header_of(p);
	if (h->magic == MAGIC_SECURE) {
		sodium_free(h); /* wipes */
	} else {
		h->magic = 0;
		free(h);
	}
}

static void *hook_realloc(void *p, size_t n, const char *file, int line)
{
	struct hdr *h;
	void *q;

	if (p == NULL)
		return hook_malloc(n, file, line);
	h = header_of(p);
	if (h->magic == MAGIC_PLAIN) {
		uint8_t *g;

		if (n > SIZE_MAX - HDR_LEN)
			return NULL;
		g = realloc(h, n + HDR_LEN);
		return wrap(g, n, MAGIC_PLAIN);
	}
	q = secure_block(n); /* once secure, stays secure */
	if (q == NULL)
		return NULL;
	memcpy(q, p, h->size < n ? h->size : n);
	sodium_free(h);
	return q;
}

int hf_ossl_mem_hook(void)
{
	return CRYPTO_set_mem_functions(hook_malloc, hook_realloc, hook_free) == 1 ? 0 : -EBUSY;
}
