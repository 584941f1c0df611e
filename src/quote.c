/* quote.c — escaping names for human-readable output (quote.h). The form
 * is that of a C string literal without the quotes, so the exact bytes of
 * a name can be read back from it, and one entry is always one line. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "quote.h"
#include "util/mem.h"

/* length of the valid UTF-8 sequence at p (no overlong forms, surrogates or
 * code points past U+10FFFF), 0 if it is not one */
static size_t utf8_len(const unsigned char *p)
{
	unsigned char c = p[0];
	size_t n;
	unsigned char lo = 0x80, hi = 0xbf; /* range of the second byte */

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4;
	else
		return 0;
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

/* the letter of ch's C escape, 0 if it has none */
static char escape_letter(unsigned char ch)
{
	static const char from[] = "\a\b\t\n\v\f\r\x1b\\", to[] = "abtnvfre\\";
	const char *p = ch ? strchr(from, ch) : NULL;

	return p ? to[p - from] : 0;
}

/* writes s escaped through put(arg, bytes, n) */
static void quote(const char *s, void (*put)(void *, const char *, size_t), void *arg)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)(s ? s : "");

	while (*p) {
		size_t n = utf8_len(p);
		char e[4] = {'\\', 0, 0, 0};
		size_t elen = 2;

		/* U+0080..U+009F, the C1 controls: some terminals act on them */
		if (n == 2 && p[0] == 0xc2 && p[1] < 0xa0)
			n = 0;
		if (n > 1) {
			put(arg, (const char *)p, n);
			p += n;
			continue;
		}
		if ((e[1] = escape_letter(*p)) == 0) {
			if (n == 1 && *p >= 0x20 && *p != 0x7f) {
				put(arg, (const char *)p, 1);
				p++;
				continue;
			}
			e[1] = 'x';
			e[2] = hex[*p >> 4];
			e[3] = hex[*p & 15];
			elen = 4;
		}
		put(arg, e, elen);
		p++;
	}
}

static void put_file(void *arg, const char *b, size_t n)
{
	fwrite(b, 1, n, arg);
}

void cli_quote_put(FILE *f, const char *s)
{
	quote(s, put_file, f);
}

struct sbuf {
	char *p;
	size_t len, cap;
};

static void put_buf(void *arg, const char *b, size_t n)
{
	struct sbuf *sb = arg;

	if (sb->len + n + 1 > sb->cap) {
		sb->p = hf_xreallocarray(sb->p, sb->len + n + 1, 2);
		sb->cap = (sb->len + n + 1) * 2;
	}
	memcpy(sb->p + sb->len, b, n);
	sb->len += n;
	sb->p[sb->len] = '\0';
}

char *cli_quote(const char *s)
{
	struct sbuf sb = {0};

	put_buf(&sb, "", 0);
	quote(s, put_buf, &sb);
	return sb.p;
}
