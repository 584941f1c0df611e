/* base64.c — base64 (libsodium): url-safe without padding for secrets that
 * travel as text (server tokens), standard for HTTP headers (Content-MD5). */
#include <sodium.h>

#include "crypto/crypto.h"

int hf_base64url(const uint8_t *p, size_t n, char *out, size_t cap)
{
	if (cap < sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_URLSAFE_NO_PADDING))
		return -HF_E_LIMIT;
	sodium_bin2base64(out, cap, p, n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	return 0;
}

int hf_base64(const uint8_t *p, size_t n, char *out, size_t cap)
{
	if (cap < sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL))
		return -HF_E_LIMIT;
	sodium_bin2base64(out, cap, p, n, sodium_base64_VARIANT_ORIGINAL);
	return 0;
}
