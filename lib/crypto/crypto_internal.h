/* crypto_internal.h — shared by the files of lib/crypto only. */
#ifndef HF_CRYPTO_INTERNAL_H
#define HF_CRYPTO_INTERNAL_H

/* Route OpenSSL's allocations through ossl_mem.c; once, before OpenSSL
 * allocates anything (hf_crypto_init). 0, or -EBUSY if OpenSSL allocated
 * already (then its memory is ordinary heap, as without the hook). */
int hf_ossl_mem_hook(void);

/* Between begin and end, this thread's OpenSSL allocations go to locked,
 * MADV_DONTDUMP memory, wiped on free: around the creation of contexts that
 * will hold keys (the AES key schedule of a cipher context). Nests. */
void hf_ossl_secure_begin(void);
void hf_ossl_secure_end(void);

/* A block of n bytes in locked, MADV_DONTDUMP memory (NULL if out of
 * memory), from a small pool of wiped blocks when one fits: for objects
 * made and freed often (struct hf_aead), where sodium_malloc's system calls
 * would dominate. hf_secpool_free wipes; NULL-safe. */
void *hf_secpool_alloc(size_t n);
void hf_secpool_free(void *p);

/* Marks the pages of a sodium_malloc'd block of n bytes at p so that a
 * forked child sees them zeroed (MADV_WIPEONFORK, where the kernel has it):
 * the processes detection forks to sandbox its parsers never hold a copy
 * of a key. A child must then not free such a block (it would find its
 * canary gone); the only children are those sandboxes, which leave with
 * _exit, and popen's shell, which execs. */
void hf_secure_nofork(void *p, size_t n);

#endif
