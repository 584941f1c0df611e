/* hex.h — lowercase hex encoding of ids. */
#ifndef HF_UTIL_HEX_H
#define HF_UTIL_HEX_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

/* writes 2n chars + NUL to out */
void hf_hex_encode(const uint8_t *p, size_t n, char *out);
/* exactly 2n hex chars → n bytes; -HF_E_USAGE on bad input */
HF_MUST_USE int hf_hex_decode(const char *s, uint8_t *out, size_t n);

#endif
