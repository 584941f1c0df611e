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
 * pages; the hot path (seal/open) allocates nothing. sodium_malloc and
 * sodium_free cost ~150 us together (mmap, mprotect, mlock, madvise), and a
 * context takes a few blocks: freed secure blocks are wiped and kept in a
 * small process-wide pool for the next context (hf_aead_new and _free went
 * from ~430 us to a few us).
 *
 * libsodium's own AES-256-GCM (whose state we could allocate ourselves) is
 * 2.4 times slower than OpenSSL's on the machines measured, so we keep
 * OpenSSL and move its memory instead. */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <sodium.h>

#include "crypto/crypto_internal.h"

/* 32 bytes keep malloc's 16-byte alignment for the caller's block */
#define HDR_LEN 32
#define MAGIC_PLAIN 0x68667031u  /* "hfp1" */
#define MAGIC_SECURE 0x68667331u /* "hfs1" */
/* a secure block is at least this big (one page with sodium's canary), so
 * that pooled blocks fit most requests */
#define SECURE_MIN (4096 - 64)
#define POOL_MAX 32

struct hdr {
	size_t size; /* the caller's size (realloc copies this much) */
	size_t cap;  /* secure blocks: usable bytes after the header */
	uint32_t magic;
};

/* per thread: > 0 inside hf_ossl_secure_begin/end */
static _Thread_local int secure_depth;

/* wiped secure blocks waiting for reuse; process-wide, like the heap */
static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static struct hdr *pool[POOL_MAX];
static size_t npool;

void hf_ossl_secure_begin(void)
{
	secure_depth++;
}

void hf_ossl_secure_end(void)
{
	secure_depth--;
}

static void *wrap(void *block, size_t n, size_t cap, uint32_t magic)
{
	struct hdr *h = block;

	if (h == NULL)
		return NULL;
	h->size = n;
	h->cap = cap;
	h->magic = magic;
	return (uint8_t *)block + HDR_LEN;
}

static struct hdr *header_of(void *p)
{
	struct hdr *h = (struct hdr *)((uint8_t *)p - HDR_LEN);

	if (h->magic != MAGIC_PLAIN && h->magic != MAGIC_SECURE)
		abort(); /* not ours: the heap is corrupt */
	return h;
}

void *hf_secpool_alloc(size_t n)
{
	struct hdr *h = NULL;
	size_t total;
	void *block;

	pthread_mutex_lock(&pool_lock);
	for (size_t i = 0; i < npool; i++)
		if (pool[i]->cap >= n) {
			h = pool[i];
			pool[i] = pool[--npool];
			break;
		}
	pthread_mutex_unlock(&pool_lock);
	if (h != NULL)
		return wrap(h, n, h->cap, MAGIC_SECURE);
	/* sodium_malloc puts the block's end on a page boundary: a multiple of
	 * 64 bytes keeps its start aligned */
	if (n > SIZE_MAX - HDR_LEN - 63)
		return NULL;
	total = (n + HDR_LEN + 63) & ~(size_t)63;
	if (total < SECURE_MIN)
		total = SECURE_MIN;
	block = sodium_malloc(total);
	hf_secure_nofork(block, total);
	return wrap(block, n, total - HDR_LEN, MAGIC_SECURE);
}

void hf_secpool_free(void *p)
{
	struct hdr *h;

	if (p == NULL)
		return;
	h = header_of(p);
	sodium_memzero(p, h->cap);
	pthread_mutex_lock(&pool_lock);
	if (npool < POOL_MAX) {
		pool[npool++] = h;
		h = NULL;
	}
	pthread_mutex_unlock(&pool_lock);
	sodium_free(h); /* NULL-safe */
}

static void *hook_malloc(size_t n, const char *file, int line)
{
	(void)file;
	(void)line;
	if (secure_depth > 0)
		return hf_secpool_alloc(n);
	if (n > SIZE_MAX - HDR_LEN)
		return NULL;
	return wrap(malloc(n + HDR_LEN), n, 0, MAGIC_PLAIN);
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
		hf_secpool_free(p); /* wipes */
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
		if (n > SIZE_MAX - HDR_LEN)
			return NULL;
		return wrap(realloc(h, n + HDR_LEN), n, 0, MAGIC_PLAIN);
	}
	if (n <= h->cap) {
		h->size = n;
		return p;
	}
	q = hf_secpool_alloc(n); /* once secure, stays secure */
	if (q == NULL)
		return NULL;
	memcpy(q, p, h->size);
	hf_secpool_free(p);
	return q;
}

int hf_ossl_mem_hook(void)
{
	return CRYPTO_set_mem_functions(hook_malloc, hook_realloc, hook_free) == 1 ? 0 : -EBUSY;
}
