/* pii.c — finds personal data in text by category, checks each candidate
 * with its category's validator, and counts files and distinct values
 * (as hashes) per category. One pass over the text: at each word start the
 * patterns that can begin there are tried; a value that matches one is
 * skipped as a whole so its digits are not read again as another kind. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "report/pii.h"
#include "util/err.h"

static const char *const cat_names[HF_PII_COUNT] = {"email", "phone", "nino", "nhs", "iban", "card", "dob", "postcode"};

const char *hf_pii_cat_name(int cat)
{
	return cat >= 0 && cat < HF_PII_COUNT ? cat_names[cat] : "?";
}

static int is_digit(int c)
{
	return c >= '0' && c <= '9';
}
static int is_upper(int c)
{
	return c >= 'A' && c <= 'Z';
}
static int is_alpha(int c)
{
	return is_upper(c) || (c >= 'a' && c <= 'z');
}
static int is_alnum(int c)
{
	return is_digit(c) || is_alpha(c);
}
static int lower(int c)
{
	return is_upper(c) ? c + 32 : c;
}

/* the digits of s (separators ' ' and '-' allowed between digits) into d;
 * their count, or -1 if s holds anything else or more than max digits */
static int digits_of(const char *s, size_t n, char *d, size_t max)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		if (is_digit((unsigned char)s[i])) {
			if (k == max)
				return -1;
			d[k++] = s[i];
		} else if ((s[i] == ' ' || s[i] == '-') && i > 0 && i + 1 < n && is_digit((unsigned char)s[i - 1]) &&
			   is_digit((unsigned char)s[i + 1])) {
			continue;
		} else {
			return -1;
		}
	}
	return (int)k;
}

static int luhn_digits(const char *d, int k)
{
	int sum = 0;

	for (int i = 0; i < k; i++) {
		int v = d[k - 1 - i] - '0';
		if (i & 1) {
			v *= 2;
			if (v > 9)
				v -= 9;
		}
		sum += v;
	}
	return sum % 10 == 0;
}

int hf_pii_luhn_ok(const char *s, size_t n)
{
	char d[20];
	int k = digits_of(s, n, d, sizeof(d));

	return k >= 13 && k <= 19 && luhn_digits(d, k);
}

static int nhs_digits(const char *d)
{
	int sum = 0, check;

	for (int i = 0; i < 9; i++)
		sum += (d[i] - '0') * (10 - i);
	check = 11 - sum % 11;
	if (check == 11)
		check = 0;
	return check != 10 && check == d[9] - '0';
}

int hf_pii_nhs_ok(const char *s, size_t n)
{
	char d[10];

	return digits_of(s, n, d, sizeof(d)) == 10 && nhs_digits(d);
}

/* compact (no spaces), upper-case IBAN of k characters */
static int iban_compact_ok(const char *c, size_t k)
{
	unsigned rem = 0;

	if (k < 15 || k > 34 || !is_upper((unsigned char)c[0]) || !is_upper((unsigned char)c[1]) ||
	    !is_digit((unsigned char)c[2]) || !is_digit((unsigned char)c[3]))
		return 0;
	for (size_t i = 0; i < k; i++) {
		unsigned char ch = (unsigned char)c[(i + 4) % k];
		if (is_digit(ch))
			rem = (rem * 10 + (ch - '0')) % 97;
		else if (is_upper(ch))
			rem = (rem * 100 + (ch - 'A' + 10)) % 97;
		else
			return 0;
	}
	return rem == 1;
}

/* s[0..n) without its spaces into out[0..cap): the length, or -1 if it does not fit */
static long compact(const char *s, size_t n, char *out, size_t cap)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == ' ')
			continue;
		if (k == cap)
			return -1;
		out[k++] = s[i];
	}
	return (long)k;
}

int hf_pii_iban_ok(const char *s, size_t n)
{
	char c[35];
	long k = compact(s, n, c, sizeof(c));

	return k >= 0 && iban_compact_ok(c, (size_t)k);
}

static int nino_compact_ok(const char *c)
{
	static const char *const bad[] = {"BG", "GB", "NK", "KN", "TN", "NT", "ZZ"};

	if (!is_upper((unsigned char)c[0]) || !is_upper((unsigned char)c[1]) || strchr("DFIQUV", c[0]) ||
	    strchr("DFIOQUV", c[1]))
		return 0;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (c[0] == bad[i][0] && c[1] == bad[i][1])
			return 0;
	for (int i = 2; i < 8; i++)
		if (!is_digit((unsigned char)c[i]))
			return 0;
	return c[8] >= 'A' && c[8] <= 'D';
}

int hf_pii_nino_ok(const char *s, size_t n)
{
	char c[9];

	return compact(s, n, c, sizeof(c)) == 9 && nino_compact_ok(c);
}

int hf_pii_postcode_ok(const char *s, size_t n)
{
	/* outward: A9, A99, A9A, AA9, AA99, AA9A; a space; inward: 9AA */
	size_t sp;
	const char *o = s;

	if (n < 6 || n > 8 || s[n - 4] != ' ')
		return 0;
	sp = n - 4;
	if (!is_digit((unsigned char)s[sp + 1]) || !is_upper((unsigned char)s[sp + 2]) ||
	    !is_upper((unsigned char)s[sp + 3]) || strchr("CIKMOV", s[sp + 2]) || strchr("CIKMOV", s[sp + 3]))
		return 0;
	if (!is_upper((unsigned char)o[0]) || strchr("QVX", o[0]))
		return 0;
	switch (sp) {
	case 2:
		return is_digit((unsigned char)o[1]);
	case 3:
		return (is_digit((unsigned char)o[1]) &&
			(is_digit((unsigned char)o[2]) || is_upper((unsigned char)o[2]))) ||
		       (is_upper((unsigned char)o[1]) && is_digit((unsigned char)o[2]));
	case 4:
		return is_upper((unsigned char)o[1]) && is_digit((unsigned char)o[2]) &&
		       (is_digit((unsigned char)o[3]) || is_upper((unsigned char)o[3]));
	}
	return 0;
}

int hf_pii_date_ok(int y, int m, int d)
{
	static const int mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	if (y < 1900 || y > 2099 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return 0;
	return !(m == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)));
}

/* ---- the distinct-value sets ---- */

static uint64_t hash_value(int cat, const char *v, size_t n)
{
	uint64_t h = 1469598103934665603ull ^ (uint64_t)cat;

	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)v[i];
		h *= 1099511628211ull;
	}
	h ^= h >> 29;
	return h ? h : 1;
}

static int set_add(struct hf_pii_set *s, uint64_t h)
{
	size_t i;

	if ((s->n + 1) * 2 > s->cap) {
		size_t ncap = s->cap ? s->cap * 2 : 64;
		uint64_t *ns;
		if (s->n >= HF_PII_MAX_DISTINCT)
			return -HF_E_LIMIT;
		ns = calloc(ncap, sizeof(*ns));
		if (!ns)
			return -ENOMEM;
		for (size_t j = 0; j < s->cap; j++)
			if (s->slot[j]) {
				for (i = s->slot[j] & (ncap - 1); ns[i]; i = (i + 1) & (ncap - 1))
					;
				ns[i] = s->slot[j];
			}
		free(s->slot);
		s->slot = ns;
		s->cap = ncap;
	}
	for (i = h & (s->cap - 1); s->slot[i]; i = (i + 1) & (s->cap - 1))
		if (s->slot[i] == h)
			return 0;
	s->slot[i] = h;
	s->n++;
	return 0;
}

void hf_pii_tally_init(struct hf_pii_tally *t)
{
	memset(t, 0, sizeof(*t));
}

void hf_pii_tally_release(struct hf_pii_tally *t)
{
	for (int c = 0; c < HF_PII_COUNT; c++)
		free(t->set[c].slot);
	memset(t, 0, sizeof(*t));
}

/* ---- the scanner ---- */

struct scanner {
	struct hf_pii_tally *t;
	uint64_t found[HF_PII_COUNT];
	int err;
};

static void add(struct scanner *sc, int cat, const char *v, size_t n)
{
	int r;

	if (sc->err)
		return;
	r = set_add(&sc->t->set[cat], hash_value(cat, v, n));
	if (r < 0)
		sc->err = r;
	sc->found[cat]++;
}

/* an e-mail address around the '@' at text[at]: its span in [*b, *e) */
int hf_pii_email_at(const char *x, size_t n, size_t at, size_t *b, size_t *e)
{
	size_t i = at, j = at + 1, lastdot = 0;

	while (i > 0 && (is_alnum((unsigned char)x[i - 1]) || strchr("._%+-", x[i - 1])))
		i--;
	while (i < at && x[i] == '.')
		i++;
	if (i == at)
		return 0;
	while (j < n && (is_alnum((unsigned char)x[j]) || x[j] == '.' || x[j] == '-')) {
		if (x[j] == '.')
			lastdot = j;
		j++;
	}
	while (j > at + 1 && x[j - 1] == '.')
		j--;
	if (lastdot <= at + 1 || lastdot + 2 >= j + 0 + 1)
		return 0;
	for (size_t k = lastdot + 1; k < j; k++)
		if (!is_alpha((unsigned char)x[k]))
			return 0;
	if (j - lastdot - 1 < 2)
		return 0;
	*b = i;
	*e = j;
	return 1;
}

static int dob_context(const char *x, size_t start)
{
	size_t b = start, lim = start > 200 ? start - 200 : 0;
	char low[201];
	size_t k = 0;

	while (b > lim && x[b - 1] != '\n')
		b--;
	for (size_t i = b; i < start && k < sizeof(low) - 1; i++)
		low[k++] = (char)lower((unsigned char)x[i]);
	low[k] = 0;
	return strstr(low, "birth") || strstr(low, "born") || strstr(low, "dob");
}

static int num(const char *x, size_t n)
{
	int v = 0;

	for (size_t i = 0; i < n; i++)
		v = v * 10 + (x[i] - '0');
	return v;
}

/* a date at x[i]: dd/mm/yyyy, dd-mm-yyyy, dd.mm.yyyy or yyyy-mm-dd; its length or 0 */
static size_t date_at(const char *x, size_t n, size_t i, int *valid)
{
	const char *p = x + i;
	size_t left = n - i;

	if (left >= 10 && is_digit((unsigned char)p[0]) && is_digit((unsigned char)p[1]) && strchr("/-.", p[2]) &&
	    p[2] != 0 && is_digit((unsigned char)p[3]) && is_digit((unsigned char)p[4]) && p[5] == p[2] &&
	    is_digit((unsigned char)p[6]) && is_digit((unsigned char)p[7]) && is_digit((unsigned char)p[8]) &&
	    is_digit((unsigned char)p[9]) && (left == 10 || !is_alnum((unsigned char)p[10]))) {
		*valid = hf_pii_date_ok(num(p + 6, 4), num(p + 3, 2), num(p, 2));
		return 10;
	}
	if (left >= 10 && is_digit((unsigned char)p[0]) && is_digit((unsigned char)p[1]) &&
	    is_digit((unsigned char)p[2]) && is_digit((unsigned char)p[3]) && p[4] == '-' &&
	    is_digit((unsigned char)p[5]) && is_digit((unsigned char)p[6]) && p[7] == '-' &&
	    is_digit((unsigned char)p[8]) && is_digit((unsigned char)p[9]) &&
	    (left == 10 || !is_alnum((unsigned char)p[10]))) {
		*valid = hf_pii_date_ok(num(p, 4), num(p + 5, 2), num(p + 8, 2));
		return 10;
	}
	return 0;
}

/* a run of digits from x[i] with single ' ' or '-' between digits (a
 * leading '+' kept); its end */
static size_t number_run(const char *x, size_t n, size_t i)
{
	size_t j = i + (x[i] == '+');

	while (j < n) {
		if (is_digit((unsigned char)x[j]))
			j++;
		else if ((x[j] == ' ' || x[j] == '-') && j + 1 < n && is_digit((unsigned char)x[j + 1]) && j > i &&
			 is_digit((unsigned char)x[j - 1]))
			j++;
		else
			break;
	}
	return j;
}

/* the number at [i, j): phone, NHS or card; 1 if it was one */
static int number(struct scanner *sc, const char *x, size_t i, size_t j)
{
	char d[32];
	int k = 0, plus = x[i] == '+';

	for (size_t p = i + plus; p < j; p++)
		if (is_digit((unsigned char)x[p])) {
			if (k == (int)sizeof(d) - 1)
				return 0;
			d[k++] = x[p];
		}
	d[k] = 0;
	if (plus) {
		if (k == 12 && d[0] == '4' && d[1] == '4' && strchr("12378", d[2])) {
			d[1] = '0'; /* +44 20... is 020... */
			add(sc, HF_PII_PHONE, d + 1, 11);
			return 1;
		}
		return 0;
	}
	if (k == 11 && d[0] == '0' && strchr("12378", d[1])) {
		add(sc, HF_PII_PHONE, d, 11);
		return 1;
	}
	if (k == 10 && d[0] != '0' && nhs_digits(d)) {
		add(sc, HF_PII_NHS, d, 10);
		return 1;
	}
	if (k >= 13 && k <= 19 && luhn_digits(d, k)) {
		add(sc, HF_PII_CARD, d, (size_t)k);
		return 1;
	}
	return 0;
}

/* a National Insurance number at x[i] (spaces between its groups); its length or 0 */
static size_t nino_at(struct scanner *sc, const char *x, size_t n, size_t i)
{
	char c[9];
	size_t k = 0, j = i;
	/* groups: 2 letters, 2, 2, 2 digits, 1 letter */
	static const int glen[5] = {2, 2, 2, 2, 1};

	for (int g = 0; g < 5; g++) {
		if (g > 0 && j < n && x[j] == ' ' && j + 1 < n && x[j + 1] != ' ')
			j++;
		for (int q = 0; q < glen[g]; q++) {
			if (j >= n)
				return 0;
			c[k++] = x[j++];
		}
	}
	if (j < n && is_alnum((unsigned char)x[j]))
		return 0;
	if (!nino_compact_ok(c))
		return 0;
	add(sc, HF_PII_NINO, c, 9);
	return j - i;
}

/* an IBAN at x[i] (upper case, groups of any size split by single spaces);
 * its length or 0. The longest prefix that ends at a group's end and passes
 * mod-97. */
static size_t iban_at(struct scanner *sc, const char *x, size_t n, size_t i)
{
	char c[35];
	size_t ends[35], k = 0, ne = 0, j = i;

	while (j < n && k < sizeof(c)) {
		unsigned char ch = (unsigned char)x[j];
		if (is_digit(ch) || is_upper(ch)) {
			c[k++] = (char)ch;
			j++;
			if (j >= n || !is_alnum((unsigned char)x[j]))
				ends[ne++] = j;
		} else if (ch == ' ' && j + 1 < n &&
			   (is_digit((unsigned char)x[j + 1]) || is_upper((unsigned char)x[j + 1])) && j > i) {
			j++;
		} else {
			break;
		}
		if (k >= 4 && j < n && x[j] == ' ' && (j + 1 >= n || !is_alnum((unsigned char)x[j + 1])))
			break;
	}
	while (ne > 0) {
		size_t e = ends[--ne], kk = 0;
		for (size_t p = i; p < e; p++)
			if (x[p] != ' ')
				kk++;
		if (iban_compact_ok(c, kk)) {
			add(sc, HF_PII_IBAN, c, kk);
			return e - i;
		}
	}
	return 0;
}

static size_t postcode_at(struct scanner *sc, const char *x, size_t n, size_t i)
{
	for (size_t len = 8; len >= 6; len--) {
		if (i + len > n || (i + len < n && is_alnum((unsigned char)x[i + len])))
			continue;
		if (hf_pii_postcode_ok(x + i, len)) {
			char v[8];
			size_t k = 0;
			for (size_t p = 0; p < len; p++)
				if (x[i + p] != ' ')
					v[k++] = x[i + p];
			add(sc, HF_PII_POSTCODE, v, k);
			return len;
		}
	}
	return 0;
}

int hf_pii_tally_text(struct hf_pii_tally *t, const char *x, size_t n, uint64_t found[HF_PII_COUNT])
{
	struct scanner sc = {.t = t};
	size_t i = 0;

	/* e-mail addresses first, from each '@' (an empty text may come as NULL) */
	for (const char *at = n ? memchr(x, '@', n) : NULL; at; at = memchr(at + 1, '@', n - (size_t)(at + 1 - x))) {
		size_t b, e;
		if (at + 1 >= x + n)
			break;
		if (hf_pii_email_at(x, n, (size_t)(at - x), &b, &e)) {
			char v[256];
			size_t k = 0;
			for (size_t p = b; p < e && k < sizeof(v); p++)
				v[k++] = (char)lower((unsigned char)x[p]);
			add(&sc, HF_PII_EMAIL, v, k);
			at = x + e - 1;
		}
	}
	while (i < n && !sc.err) {
		unsigned char ch = (unsigned char)x[i];
		size_t used = 0;
		int start = i == 0 || !is_alnum((unsigned char)x[i - 1]);

		if (!start || !(is_alnum(ch) || ch == '+')) {
			i++;
			continue;
		}
		if (ch == '+' && (i + 1 >= n || !is_digit((unsigned char)x[i + 1]))) {
			i++;
			continue;
		}
		if (is_digit(ch)) {
			int valid = 0;
			size_t dl = date_at(x, n, i, &valid);
			if (dl) {
				if (valid && dob_context(x, i)) {
					char v[10];
					memcpy(v, x + i, 10);
					add(&sc, HF_PII_DOB, v, 10);
				}
				used = dl;
			}
		}
		if (!used && (is_digit(ch) || ch == '+')) {
			size_t j = number_run(x, n, i);
			if (j >= n || !is_alnum((unsigned char)x[j]))
				number(&sc, x, i, j);
			used = j - i; /* a number that is none of them is skipped whole */
		}
		if (!used && is_upper(ch)) {
			used = nino_at(&sc, x, n, i);
			if (!used)
				used = iban_at(&sc, x, n, i);
			if (!used)
				used = postcode_at(&sc, x, n, i);
		}
		if (used) {
			i += used;
			continue;
		}
		/* past this word */
		while (i < n && (is_alnum((unsigned char)x[i]) || x[i] == '+'))
			i++;
	}
	if (sc.err)
		return sc.err;
	for (int c = 0; c < HF_PII_COUNT; c++) {
		if (sc.found[c])
			t->files[c]++;
		if (found)
			found[c] = sc.found[c];
	}
	t->files_read++;
	return 0;
}
