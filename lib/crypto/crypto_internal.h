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

#endif
