/* magic.c — libmagic, for the types holdfast's own signatures do not know. */
#include <magic.h>

#include "decoders/decoders_int.h"

void *hf_dec_magic_open(void)
{
	/* never look inside compressed data (the validators decode it, with caps), and skip the
	 * text and encoding checks (the slow part): text was ruled out before libmagic is asked */
	magic_t m = magic_open(MAGIC_MIME_TYPE | MAGIC_NO_CHECK_COMPRESS | MAGIC_NO_CHECK_CDF | MAGIC_NO_CHECK_TEXT |
			       MAGIC_NO_CHECK_ENCODING | MAGIC_NO_CHECK_CSV | MAGIC_NO_CHECK_JSON |
			       MAGIC_NO_CHECK_TOKENS | MAGIC_ERROR);

	if (m && magic_load(m, NULL) != 0) {
		magic_close(m);
		m = NULL;
	}
	return m;
}

const char *hf_dec_magic_mime(void *cookie, const uint8_t *p, size_t n)
{
	return magic_buffer(cookie, p, n);
}

void hf_dec_magic_close(void *cookie)
{
	if (cookie)
		magic_close(cookie);
}
