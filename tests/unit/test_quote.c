/* test_quote.c — the escaping of names in text output (src/quote.c): every
 * control character, backslash and byte outside valid UTF-8 is escaped,
 * valid UTF-8 is kept, and the escaped form has no control byte left.
 * quote.c is part of the CLI, not of the library, so it is built in here. */
#include <stdlib.h>
#include <string.h>

#include "../../src/quote.c"
#include "t.h"

static int quoted_is(const char *in, const char *want)
{
	char *got = cli_quote(in);
	int same = strcmp(got, want) == 0;

	if (!same)
		fprintf(stderr, "quote: got \"%s\", want \"%s\"\n", got, want);
	free(got);
	return same;
}

static void test_plain_and_utf8_kept(void)
{
	T_CHECK(quoted_is("", ""));
	T_CHECK(quoted_is(NULL, ""));
	T_CHECK(quoted_is("/srv/a b/c.txt", "/srv/a b/c.txt"));
	T_CHECK(quoted_is("caf\xc3\xa9", "caf\xc3\xa9"));           /* é */
	T_CHECK(quoted_is("\xc2\xa0", "\xc2\xa0"));                 /* U+00A0, just past C1 */
	T_CHECK(quoted_is("\xe2\x82\xac", "\xe2\x82\xac"));         /* € */
	T_CHECK(quoted_is("\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80")); /* U+1F600 */
	T_CHECK(quoted_is("\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf")); /* U+10FFFF */
}

static void test_controls_escaped(void)
{
	T_CHECK(quoted_is("a\nb", "a\\nb"));
	T_CHECK(quoted_is("\a\b\t\n\v\f\r\x1b", "\\a\\b\\t\\n\\v\\f\\r\\e"));
	T_CHECK(quoted_is("back\\slash", "back\\\\slash"));
	T_CHECK(quoted_is("\x01\x1f\x7f", "\\x01\\x1f\\x7f"));
	T_CHECK(quoted_is("\xc2\x80\xc2\x9b", "\\xc2\\x80\\xc2\\x9b")); /* C1 controls */
}

static void test_invalid_utf8_escaped(void)
{
	T_CHECK(quoted_is("\xff", "\\xff"));
	T_CHECK(quoted_is("\xc0\xaf", "\\xc0\\xaf"));                   /* overlong '/' */
	T_CHECK(quoted_is("\xe0\x80\xaf", "\\xe0\\x80\\xaf"));          /* overlong, 3 bytes */
	T_CHECK(quoted_is("\xed\xa0\x80", "\\xed\\xa0\\x80"));          /* a surrogate */
	T_CHECK(quoted_is("\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80")); /* past U+10FFFF */
	T_CHECK(quoted_is("x\xe2\x82", "x\\xe2\\x82"));                 /* cut short at the end */
	T_CHECK(quoted_is("\xe2\x82x", "\\xe2\\x82x"));                 /* cut short before ASCII */
	T_CHECK(quoted_is("\x80", "\\x80"));                            /* a lone continuation byte */
}

/* every 1- and 2-byte string: no control byte, no invalid UTF-8 survives */
static void test_no_control_byte_left(void)
{
	char in[3] = {0};
	int bad = 0;

	for (int a = 1; a < 256; a++)
		for (int b = 0; b < 256; b++) {
			char *q;
			in[0] = (char)a;
			in[1] = (char)b;
			q = cli_quote(in);
			for (const unsigned char *p = (const unsigned char *)q; *p;) {
				size_t n = utf8_len(p);
				if (*p < 0x20 || *p == 0x7f || n == 0 || (n == 2 && p[0] == 0xc2 && p[1] < 0xa0))
					bad++;
				p += n ? n : 1;
			}
			free(q);
		}
	T_EQ(bad, 0);
}

int main(void)
{
	T_RUN(test_plain_and_utf8_kept);
	T_RUN(test_controls_escaped);
	T_RUN(test_invalid_utf8_escaped);
	T_RUN(test_no_control_byte_left);
	return T_DONE("test_quote");
}
