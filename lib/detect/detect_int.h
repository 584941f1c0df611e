/* detect_int.h — private to lib/detect: the context and the per-format validators.
 *
 * Each validator decodes the whole input and returns HF_VALID_YES, HF_VALID_NO or
 * HF_VALID_UNCHECKED (a cap was hit, or its decoder could not be loaded), or a negative -errno
 * on a local failure (out of memory). Validators may set fields of the profile (type
 * refinement, encryption). Those that use another library's parser are holdfast-decoders.so's
 * (decoders.h); the ones here parse by themselves. */
#ifndef HF_DETECT_INT_H
#define HF_DETECT_INT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "detect/detect.h"

struct hf_detect {
	pthread_mutex_t lock;     /* libmagic's cookie is not thread-safe */
	void *magic;              /* libmagic's cookie (decoders.h); NULL when sandboxed: the workers have their own */
	int sandboxed;            /* libmagic and the validators run in sandbox.c's workers */
	struct detect_memo *memo; /* hf_detect_remember: validations of contents seen before; NULL: none */
};

/* memo.c: what validation answered for a content, keyed by a MAC of its bytes */
#define HF_DETECT_MEMO_KEY 16
struct detect_memo;
struct detect_memo *hf_detect_memo_new(size_t entries);
void hf_detect_memo_free(struct detect_memo *m);
/* the answer remembered for p[0..n) of type prof->type (and prof's type and
 * container as validation left them), or -1 if none; key gets the key to
 * remember the answer under */
int hf_detect_memo_get(struct detect_memo *m, const uint8_t *p, size_t n, struct hf_profile *prof,
		       uint8_t key[HF_DETECT_MEMO_KEY]);
/* remembers a final answer (HF_VALID_YES or NO; others are not kept) */
void hf_detect_memo_put(struct detect_memo *m, const uint8_t key[HF_DETECT_MEMO_KEY], const struct hf_profile *prof,
			int valid);
void hf_detect_memo_counts(struct detect_memo *m, uint64_t *hits, uint64_t *misses);

/* detect.c: the in-process parts the sandbox's workers run */
/* libmagic's cookie (NULL if the decoders or libmagic's database cannot be loaded) */
void *hf_detect_magic_open(void);
int hf_detect_magic_type(void *magic, const uint8_t *p, size_t n);
/* the validator of prof->type, in this process */
int hf_detect_validate_type(const uint8_t *p, size_t n, struct hf_profile *prof);

/* text.c */
int hf_detect_plain_text(const uint8_t *p, size_t n); /* 1 if no NUL and few control bytes */
int hf_detect_encoded_random(const uint8_t *p, size_t n);
/* 1 if the first block (at least 1 KiB of it) looks random (blocks.c) */
int hf_detect_head_random(const uint8_t *p, size_t n);

/* valid_crypt.c: the encryption containers (and 7z) */
int hf_detect_is_openpgp(const uint8_t *p, size_t n);
int hf_detect_valid_openpgp(const uint8_t *p, size_t n);
int hf_detect_valid_age(const uint8_t *p, size_t n);
int hf_detect_valid_7z(const uint8_t *p, size_t n, struct hf_profile *prof);
/* valid_audio.c: MPEG audio */
int hf_detect_is_mp3(const uint8_t *p, size_t n);
int hf_detect_valid_mp3(const uint8_t *p, size_t n);

#endif
