/* pii.h — personal data in text: validators and a counter (pii.c).
 *
 * The report counts, for the last clean version of each affected file, the
 * personal data it holds by category. Only values that pass their category's
 * check count: an NHS number's mod-11 check digit, an IBAN's mod-97, a card's
 * Luhn digit, a National Insurance number's prefix rules, a real calendar
 * date next to the words "birth", "born" or "DOB". The counter keeps a hash
 * of each distinct value, never the value. */
#ifndef HF_REPORT_PII_H
#define HF_REPORT_PII_H

#include <stddef.h>
#include <stdint.h>

enum hf_pii_cat {
	HF_PII_EMAIL = 0,
	HF_PII_PHONE,
	HF_PII_NINO,
	HF_PII_NHS,
	HF_PII_IBAN,
	HF_PII_CARD,
	HF_PII_DOB,
	HF_PII_POSTCODE,
	HF_PII_COUNT
};

const char *hf_pii_cat_name(int cat); /* "email", "phone", "nino", "nhs", "iban", "card", "dob", "postcode" */

/* validators over the value's characters as written (spaces and hyphens
 * between groups are allowed where the format has them); 1 valid, 0 not */
int hf_pii_luhn_ok(const char *s, size_t n);     /* 13-19 digits */
int hf_pii_nhs_ok(const char *s, size_t n);      /* 10 digits, mod-11 */
int hf_pii_iban_ok(const char *s, size_t n);     /* CC99 + 11-30 alphanumerics, mod-97 == 1 */
int hf_pii_nino_ok(const char *s, size_t n);     /* AB123456C */
int hf_pii_postcode_ok(const char *s, size_t n); /* UK, with its space: "SW1A 1AA" */
int hf_pii_date_ok(int y, int m, int d);         /* a calendar date, 1900-2099 */

/* an e-mail address around the '@' at x[at]: 1 and its span [*b, *e), or 0 */
int hf_pii_email_at(const char *x, size_t n, size_t at, size_t *b, size_t *e);

/* distinct values of one category, as 64-bit hashes (never the values) */
struct hf_pii_set {
	uint64_t *slot; /* open addressing; 0 = empty */
	size_t cap, n;
};

struct hf_pii_tally {
	uint64_t files[HF_PII_COUNT]; /* files with at least one value */
	struct hf_pii_set set[HF_PII_COUNT];
	uint64_t files_read; /* files counted */
};

#define HF_PII_MAX_DISTINCT (1u << 22) /* per category: a hard cap on the sets */

void hf_pii_tally_init(struct hf_pii_tally *t);
void hf_pii_tally_release(struct hf_pii_tally *t);
/* counts one file's text (UTF-8 or any ASCII superset). 0, -ENOMEM, or
 * -HF_E_LIMIT when a category holds HF_PII_MAX_DISTINCT values. If found is
 * not NULL, found[c] is set to the number of values (with repeats) of
 * category c in this text. */
int hf_pii_tally_text(struct hf_pii_tally *t, const char *text, size_t n, uint64_t found[HF_PII_COUNT]);
static inline uint64_t hf_pii_distinct(const struct hf_pii_tally *t, int cat)
{
	return t->set[cat].n;
}

#endif
