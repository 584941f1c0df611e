/* hex.c — lowercase hex encoding of ids and strict decoding of user input.
 *
 * Decoding accepts either case but nothing else: exactly 2n hex digits then
 * the NUL. The input is validated before anything is written to out. */
#include "util/err.h"
#include "util/hex.h"

void hf_hex_encode(const uint8_t *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 0xf];
	}
	out[2 * n] = '\0';
}

static int hex_val(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int hf_hex_decode(const char *s, uint8_t *out, size_t n)
{
	size_t i;

	if (!s || n > SIZE_MAX / 2)
		return -HF_E_USAGE;
	/* stops at the first non-hex char, so never reads past a short string's NUL */
	for (i = 0; i < 2 * n; i++)
		if (hex_val(s[i]) < 0)
			return -HF_E_USAGE;
	if (s[2 * n] != '\0')
		return -HF_E_USAGE;
	for (i = 0; i < n; i++)
		out[i] = (uint8_t)(hex_val(s[2 * i]) << 4 | hex_val(s[2 * i + 1]));
	return 0;
}
