/* base64.c — base64url without padding (libsodium), for secrets that travel
 * as text: server tokens. */
#include <sodium.h>

#include "crypto/crypto.h"

int hf_base64url(const uint8_t *p, size_t n, char *out, size_t cap)
{
	if (cap < sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_URLSAFE_NO_PADDING))
		return -HF_E_LIMIT;
	sodium_bin2base64(out, cap, p, n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	return 0;
}
