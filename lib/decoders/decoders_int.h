/* decoders_int.h — private to lib/decoders: the functions lib/decoders/table.c lists. Each is
 * described at its field of struct hf_decoders (detect/decoders.h). */
#ifndef HF_DECODERS_INT_H
#define HF_DECODERS_INT_H

#include <stddef.h>
#include <stdint.h>

#include "detect/decoders.h"
#include "detect/detect.h"

/* magic.c */
void *hf_dec_magic_open(void);
const char *hf_dec_magic_mime(void *cookie, const uint8_t *p, size_t n);
void hf_dec_magic_close(void *cookie);
/* valid_*.c */
int hf_dec_valid_zip(const uint8_t *p, size_t n, struct hf_profile *prof);
int hf_dec_valid_pdf(const uint8_t *p, size_t n, struct hf_profile *prof);
int hf_dec_valid_png(const uint8_t *p, size_t n);
int hf_dec_valid_jpeg(const uint8_t *p, size_t n);
int hf_dec_valid_sqlite(const uint8_t *p, size_t n);
int hf_dec_mp3_frames(const uint8_t *p, size_t n);
/* office_text.c */
int hf_dec_office_text(const void *p, size_t n, hf_text_sink put, void *ud);
/* document_text.c */
int hf_dec_pdf_text(const void *p, size_t n, int fd);
void hf_dec_mail_init(void);
int hf_dec_mail_text(const void *p, size_t n, int fd);

#endif
