/* text.c — text checks: strict UTF-8, legacy 8-bit text, and base64/hex text of random bytes.
 *
 * Encoding ciphertext as base64 or hex keeps its entropy near 6 or 4 bits per byte and makes it
 * valid text, which defeats entropy thresholds; we decode it and run the block statistics on the
 * decoded bytes instead. */
#include <pthread.h>
#include <string.h>

#include "detect/detect_int.h"

#define ENCODED_MIN_DECODED 1024u /* fewer decoded bytes cannot be judged */

/* C0 controls other than \b \t \n \v \f \r and ESC */
static int is_odd_control(uint8_t c)
{
	return (c < 0x20 && !(c >= 0x08 && c <= 0x0d) && c != 0x1b) || c == 0x7f;
}

/* 1 for printable ASCII and the usual white space: the bytes most text is made of */
static uint8_t plain_ascii[256];

static void init_plain_ascii(void)
{
	for (int c = 0x20; c < 0x7f; c++)
		plain_ascii[c] = 1;
	for (int c = 0x08; c <= 0x0d; c++)
		plain_ascii[c] = 1;
}

#define ONES 0x0101010101010101ull
#define HIGHS 0x8080808080808080ull

/* Skips the run of printable ASCII starting at i, eight bytes at a time
 * while a whole word qualifies (no byte >= 0x80, < 0x20 or 0x7f), then
 * byte by byte through the table. */
static size_t skip_plain_ascii(const uint8_t *p, size_t i, size_t n)
{
	for (;;) {
		while (i + 8 <= n) {
			uint64_t w, low, del;
			memcpy(&w, p + i, 8);
			low = (w - 0x20 * ONES) & ~w & HIGHS;                          /* a byte < 0x20 */
			del = ((w ^ 0x7f * ONES) - ONES) & ~(w ^ 0x7f * ONES) & HIGHS; /* a 0x7f */
			if ((w & HIGHS) | low | del)
				break;
			i += 8;
		}
		if (i < n && plain_ascii[p[i]]) {
			/* a tab or newline inside the word: step over it */
			size_t end = i + 8 < n ? i + 8 : n;
			while (i < end && plain_ascii[p[i]])
				i++;
			if (i < end || i == n)
				return i;
			continue;
		}
		return i;
	}
}

/* the length of the UTF-8 sequence lead starts; 0 if it starts none */
static size_t sequence_len(uint8_t lead)
{
	if (lead >= 0xc2 && lead <= 0xdf)
		return 2;
	if (lead >= 0xe0 && lead <= 0xef)
		return 3;
	if (lead >= 0xf0 && lead <= 0xf4)
		return 4;
	return 0;
}

/* Checks p[0..n) as UTF-8 text, adding its odd control bytes to *odd: -1 at a NUL or a
 * byte that is no UTF-8, else 0 with *done the end of what it checked: n, or the start of a
 * sequence that n cuts (its bytes so far are right) */
static int utf8_run(const uint8_t *p, size_t n, uint64_t *odd, size_t *done)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	size_t i = 0;

	pthread_once(&once, init_plain_ascii);
	while (i < n) {
		uint8_t c;
		uint32_t cp;
		size_t len, k;

		i = skip_plain_ascii(p, i, n);
		if (i == n)
			break;
		c = p[i];
		if (c < 0x80) {
			if (c == 0)
				return -1;
			*odd += (uint64_t)is_odd_control(c);
			i++;
			continue;
		}
		if ((len = sequence_len(c)) == 0)
			return -1;
		cp = c & (0x7f >> len);
		for (k = 1; k < len && i + k < n; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return -1;
			cp = (cp << 6) | (p[i + k] & 0x3f);
		}
		if (k < len) /* cut by the end */
			break;
		/* overlong forms, surrogates, beyond U+10FFFF */
		if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return -1;
		i += len;
	}
	*done = i;
	return 0;
}

int hf_detect_utf8_text(const uint8_t *p, size_t n)
{
	uint64_t odd = 0;
	size_t done;

	return n > 0 && utf8_run(p, n, &odd, &done) == 0 && done == n && odd <= n / 100;
}

void hf_detect_utf8_init(struct hf_detect_utf8 *u)
{
	memset(u, 0, sizeof(*u));
}

void hf_detect_utf8_update(struct hf_detect_utf8 *u, const uint8_t *p, size_t n)
{
	size_t done;

	if (u->bad || n == 0)
		return;
	u->n += n;
	if (u->ncarry) { /* the sequence the last piece cut */
		size_t want = sequence_len(u->carry[0]) - u->ncarry, take = want < n ? want : n;
		memcpy(u->carry + u->ncarry, p, take);
		u->ncarry += (uint8_t)take;
		p += take;
		n -= take;
		if (take < want)
			return;
		if (utf8_run(u->carry, u->ncarry, &u->odd, &done) < 0 || done != u->ncarry) {
			u->bad = 1;
			return;
		}
		u->ncarry = 0;
	}
	if (utf8_run(p, n, &u->odd, &done) < 0) {
		u->bad = 1;
		return;
	}
	memcpy(u->carry, p + done, n - done); /* at most 3 bytes */
	u->ncarry = (uint8_t)(n - done);
}

int hf_detect_utf8_final(const struct hf_detect_utf8 *u)
{
	return !u->bad && u->ncarry == 0 && u->n > 0 && u->odd <= u->n / 100;
}

int hf_detect_plain_text(const uint8_t *p, size_t n)
{
	size_t i, odd = 0;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++) {
		if (p[i] == 0)
			return 0;
		odd += is_odd_control(p[i]);
	}
	return odd <= n / 100;
}

/* value + 1 of each base64 (standard and URL-safe) and hex character; 0 = not in the alphabet */
static const uint8_t b64_tab[256] = {
	['A'] = 1,  ['B'] = 2,  ['C'] = 3,  ['D'] = 4,  ['E'] = 5,  ['F'] = 6,  ['G'] = 7,  ['H'] = 8,  ['I'] = 9,
	['J'] = 10, ['K'] = 11, ['L'] = 12, ['M'] = 13, ['N'] = 14, ['O'] = 15, ['P'] = 16, ['Q'] = 17, ['R'] = 18,
	['S'] = 19, ['T'] = 20, ['U'] = 21, ['V'] = 22, ['W'] = 23, ['X'] = 24, ['Y'] = 25, ['Z'] = 26, ['a'] = 27,
	['b'] = 28, ['c'] = 29, ['d'] = 30, ['e'] = 31, ['f'] = 32, ['g'] = 33, ['h'] = 34, ['i'] = 35, ['j'] = 36,
	['k'] = 37, ['l'] = 38, ['m'] = 39, ['n'] = 40, ['o'] = 41, ['p'] = 42, ['q'] = 43, ['r'] = 44, ['s'] = 45,
	['t'] = 46, ['u'] = 47, ['v'] = 48, ['w'] = 49, ['x'] = 50, ['y'] = 51, ['z'] = 52, ['0'] = 53, ['1'] = 54,
	['2'] = 55, ['3'] = 56, ['4'] = 57, ['5'] = 58, ['6'] = 59, ['7'] = 60, ['8'] = 61, ['9'] = 62, ['+'] = 63,
	['/'] = 64, ['-'] = 63, ['_'] = 64,
};
static const uint8_t hex_tab[256] = {
	['0'] = 1,  ['1'] = 2,  ['2'] = 3,  ['3'] = 4,  ['4'] = 5,  ['5'] = 6,  ['6'] = 7,  ['7'] = 8,
	['8'] = 9,  ['9'] = 10, ['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
	['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16,
};

static int is_space(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Decodes the alphabet characters of p (others are skipped) through the block statistics. */
static void decode_into(const uint8_t *p, size_t n, int hex, struct hf_detect_blocks *b)
{
	uint8_t out[1024];
	size_t o = 0, i;
	uint32_t acc = 0;
	int bits = 0;

	for (i = 0; i < n; i++) {
		int v = hex ? hex_tab[p[i]] : b64_tab[p[i]];

		if (v == 0)
			continue;
		acc = (acc << (hex ? 4 : 6)) | (uint32_t)(v - 1);
		bits += hex ? 4 : 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (uint8_t)(acc >> bits);
			acc &= (1u << bits) - 1;
			if (o == sizeof(out)) {
				hf_detect_blocks_update(b, out, o);
				o = 0;
			}
		}
	}
	hf_detect_blocks_update(b, out, o);
}

int hf_detect_encoded_random(const uint8_t *p, size_t n)
{
	struct hf_detect_blocks b;
	struct hf_profile tmp;
	size_t i, space = 0, blanks = 0, hexc = 0, b64c = 0, other = 0, body;
	int hex;

	for (i = 0; i < n; i++) {
		uint8_t c = p[i];

		if (hex_tab[c])
			hexc++;
		else if (b64_tab[c] || c == '=')
			b64c++;
		else if (is_space(c)) {
			space++;
			/* prose and code have spaces between words; encodings at most line breaks */
			if (c == ' ' && ++blanks > (i + 4096) / 100)
				return 0;
		} else if (++other > (i + 4096) / 50)
			return 0; /* ordinary text: give up early */
	}
	body = n - space;
	/* "mostly": at most 2% foreign characters (PEM-style armour lines, a short note) */
	if (body == 0 || other > body / 50)
		return 0;
	hex = b64c <= body / 50;
	if ((hex ? (hexc / 2) : (hexc + b64c) * 3 / 4) < ENCODED_MIN_DECODED)
		return 0;
	hf_detect_blocks_init(&b);
	decode_into(p, n, hex, &b);
	memset(&tmp, 0, sizeof(tmp));
	hf_detect_blocks_final(&b, &tmp);
	return tmp.blocks > 0 && tmp.random_blocks * 2 > tmp.blocks;
}

/* A garbled spot: a control byte no text uses (NUL, or a C0 control other than the white
 * space, backspace and ESC; DEL) among bytes >= 0x80. Ciphertext has one byte in ten in
 * that control range and half its bytes >= 0x80, so even 16 encrypted bytes inside text
 * make one spot four times in five; text in any charset has neither, Latin-1 and CP1251
 * only the bytes >= 0x80 (and a DOS ^Z as their last byte, which is not counted). */
#define SPOT_REACH 16u   /* bytes looked at on each side of the control byte */
#define SPOT_HIGH_MIN 4u /* bytes >= 0x80 among them that make it a spot */

static int is_garbled_control(uint8_t c)
{
	return c == 0 || is_odd_control(c);
}

size_t hf_detect_garbled_spots(const uint8_t *p, size_t n, size_t max)
{
	size_t spots = 0, i = 0;

	while (i < n && spots < max) {
		size_t from, to, high = 0;
		/* a DOS end-of-file mark (^Z) ends legacy text files */
		if (!is_garbled_control(p[i]) || (p[i] == 0x1a && i == n - 1)) {
			i++;
			continue;
		}
		from = i > SPOT_REACH ? i - SPOT_REACH : 0;
		to = n - i > SPOT_REACH ? i + SPOT_REACH + 1 : n;
		for (size_t k = from; k < to; k++)
			high += p[k] >= 0x80;
		if (high >= SPOT_HIGH_MIN) {
			spots++;
			i = to; /* one spot per stretch of garbled bytes looked at */
		} else {
			i++;
		}
	}
	return spots;
}
