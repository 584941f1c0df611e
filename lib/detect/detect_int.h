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
	pthread_mutex_t lock; /* libmagic's cookie is not thread-safe */
	void *magic;          /* libmagic's cookie (decoders.h); NULL when sandboxed: the workers have their own */
	int sandboxed;        /* libmagic and the validators run in sandbox.c's workers */
};

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
