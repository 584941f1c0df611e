/* test_report_pii.c — the personal-data validators and counter, and the
 * ransom-note extractors (lib/report): valid and invalid check digits, and
 * decoys that must not count. */
#include <stdio.h>
#include <string.h>

#include "report/notes.h"
#include "report/pii.h"
#include "t.h"

#define S(x) x, strlen(x)

static void test_luhn(void)
{
	T_CHECK(hf_pii_luhn_ok(S("4111111111111111")));
	T_CHECK(hf_pii_luhn_ok(S("5500 0000 0000 0004")));
	T_CHECK(hf_pii_luhn_ok(S("378282246310005")));
	T_CHECK(!hf_pii_luhn_ok(S("4111111111111112")));
	T_CHECK(!hf_pii_luhn_ok(S("411111111111")));      /* too short */
	T_CHECK(!hf_pii_luhn_ok(S("4111x111111111111"))); /* not a number */
}

static void test_nhs(void)
{
	T_CHECK(hf_pii_nhs_ok(S("9434765919")));
	T_CHECK(hf_pii_nhs_ok(S("943 476 5919")));
	T_CHECK(!hf_pii_nhs_ok(S("9434765918")));
	T_CHECK(!hf_pii_nhs_ok(S("943476591")));
	/* 100000000: sum 10, check 11 - 10 = 1 */
	T_CHECK(hf_pii_nhs_ok(S("1000000001")));
	/* a remainder of 1 asks for check digit 10: never valid */
	T_CHECK(!hf_pii_nhs_ok(S("1000000100")));
}

static void test_iban(void)
{
	T_CHECK(hf_pii_iban_ok(S("GB82 WEST 1234 5698 7654 32")));
	T_CHECK(hf_pii_iban_ok(S("GB82WEST12345698765432")));
	T_CHECK(hf_pii_iban_ok(S("DE89370400440532013000")));
	T_CHECK(!hf_pii_iban_ok(S("GB82WEST12345698765433")));
	T_CHECK(!hf_pii_iban_ok(S("GB82")));
}

static void test_nino_postcode_date(void)
{
	T_CHECK(hf_pii_nino_ok(S("AB123456C")));
	T_CHECK(hf_pii_nino_ok(S("AB 12 34 56 C")));
	T_CHECK(!hf_pii_nino_ok(S("BG123456C"))); /* prefix never issued */
	T_CHECK(!hf_pii_nino_ok(S("AB123456E"))); /* suffix A-D */
	T_CHECK(!hf_pii_nino_ok(S("DA123456A"))); /* first letter D */
	T_CHECK(hf_pii_postcode_ok(S("SW1A 1AA")));
	T_CHECK(hf_pii_postcode_ok(S("M1 1AE")));
	T_CHECK(hf_pii_postcode_ok(S("B33 8TH")));
	T_CHECK(hf_pii_postcode_ok(S("DN55 1PT")));
	T_CHECK(!hf_pii_postcode_ok(S("SW1A1AA")));
	T_CHECK(!hf_pii_postcode_ok(S("QW1 1AA")));
	T_CHECK(!hf_pii_postcode_ok(S("SW1A 1CA")));
	T_CHECK(hf_pii_date_ok(2000, 2, 29));
	T_CHECK(!hf_pii_date_ok(1900, 2, 29));
	T_CHECK(!hf_pii_date_ok(1985, 13, 1));
	T_CHECK(!hf_pii_date_ok(1985, 4, 31));
}

static void test_tally(void)
{
	static const char text[] =
		"name,email,phone,nino,nhs,iban,card,dob,postcode\n"
		"Ann,ann@example.org,020 7946 0958,AB123456C,943 476 5919,GB82 WEST 1234 5698 7654 32,"
		"4111 1111 1111 1111,born 12/03/1985,SW1A 1AA\n"
		"Bob,ANN@Example.ORG,+44 20 7946 0958,AB 12 34 56 C,9434765919,GB82WEST12345698765432,"
		"5500000000000004,DOB: 1990-07-01,M1 1AE\n"
		/* decoys: every check fails */
		"x,not-an-email@nowhere,0012 3456 789,BG123456C,943 476 5918,GB82 WEST 1234 5698 7654 33,"
		"4111 1111 1111 1112,meeting 12/03/1985 and born 31/02/1985,SW1A1AA QW1 1AA\n"
		"order 12345678901234567 ref 9434765918\n";
	struct hf_pii_tally t;
	uint64_t found[HF_PII_COUNT];

	hf_pii_tally_init(&t);
	T_EQ(hf_pii_tally_text(&t, text, strlen(text), found), 0);
	T_EQ(hf_pii_distinct(&t, HF_PII_EMAIL), 1); /* the same address, cased differently */
	T_EQ(found[HF_PII_EMAIL], 2);
	T_EQ(hf_pii_distinct(&t, HF_PII_PHONE), 1); /* +44 20 ... is 020 ... */
	T_EQ(found[HF_PII_PHONE], 2);
	T_EQ(hf_pii_distinct(&t, HF_PII_NINO), 1);
	T_EQ(hf_pii_distinct(&t, HF_PII_NHS), 1);
	T_EQ(hf_pii_distinct(&t, HF_PII_IBAN), 1);
	T_EQ(hf_pii_distinct(&t, HF_PII_CARD), 2);
	T_EQ(hf_pii_distinct(&t, HF_PII_DOB), 2);
	T_EQ(found[HF_PII_DOB], 2);
	T_EQ(hf_pii_distinct(&t, HF_PII_POSTCODE), 2);
	for (int c = 0; c < HF_PII_COUNT; c++)
		T_EQ(t.files[c], 1);
	/* a second file with only one card: files per category */
	T_EQ(hf_pii_tally_text(&t, S("card 378282246310005 end"), found), 0);
	T_EQ(t.files[HF_PII_CARD], 2);
	T_EQ(t.files[HF_PII_EMAIL], 1);
	T_EQ(hf_pii_distinct(&t, HF_PII_CARD), 3);
	T_EQ(t.files_read, 2);
	/* nothing in an empty text or in plain prose */
	T_EQ(hf_pii_tally_text(&t, "", 0, found), 0);
	T_EQ(hf_pii_tally_text(&t, NULL, 0, found), 0); /* an empty buffer's data */
	T_EQ(hf_pii_tally_text(&t, S("The meeting is at 10 on the 3rd floor, room 1234."), found), 0);
	for (int c = 0; c < HF_PII_COUNT; c++)
		T_EQ(found[c], 0);
	/* every truncation of the text is counted without a fault */
	for (size_t k = 0; k < sizeof(text) - 1; k++)
		T_EQ(hf_pii_tally_text(&t, text, k, found), 0);
	hf_pii_tally_release(&t);
}

static void test_btc(void)
{
	T_CHECK(hf_note_btc_base58_ok(S("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa")));
	T_CHECK(hf_note_btc_base58_ok(S("3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy")));
	T_CHECK(!hf_note_btc_base58_ok(S("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb")));
	T_CHECK(!hf_note_btc_base58_ok(S("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfN0"))); /* 0 is not base58 */
	T_CHECK(hf_note_btc_bech32_ok(S("bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq")));
	T_CHECK(hf_note_btc_bech32_ok(S("BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4")));
	T_CHECK(hf_note_btc_bech32_ok(S("bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0")));
	T_CHECK(!hf_note_btc_bech32_ok(S("bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdr")));
	T_CHECK(!hf_note_btc_bech32_ok(S("bc1Qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"))); /* mixed case */
}

struct seen {
	int n[HF_NOTE_KIND_COUNT];
	char last[HF_NOTE_KIND_COUNT][128];
};

static int collect(void *arg, int kind, const char *value)
{
	struct seen *s = arg;

	s->n[kind]++;
	snprintf(s->last[kind], sizeof(s->last[kind]), "%s", value);
	return 0;
}

static void test_note_extract(void)
{
	static const char note[] =
		"YOUR FILES ARE ENCRYPTED!\n"
		"Send 0.5 BTC to 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa or bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq.\n"
		"Not an address: 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb\n"
		"Monero: "
		"4AdUndXHHZ6cfufTMvppY6JwXNouMBzSkbLYfpAV5Usx3skxNgYeYTRj5UzqtReoS44qo9mtmXCqY45DJ852K5Jv2684Rge\n"
		"Chat: http://expyuzz4wqqyqhjn76mmtqg2bqyrgwxqr5f5ssfe3jdq4ovtydlwsydq.onion/chat and "
		"again expyuzz4wqqyqhjn76mmtqg2bqyrgwxqr5f5ssfe3jdq4ovtydlwsydq.onion\n"
		"Write to recover@tutanota.com, your personal ID: 7f3a9c21-bb04-4e11\n";
	struct seen s = {0};

	T_EQ(hf_note_extract(note, strlen(note), collect, &s), 0);
	T_EQ(s.n[HF_NOTE_BTC], 2);
	T_EQ(s.n[HF_NOTE_XMR], 1);
	T_EQ(s.n[HF_NOTE_ONION], 1);
	T_CHECK(strcmp(s.last[HF_NOTE_ONION], "expyuzz4wqqyqhjn76mmtqg2bqyrgwxqr5f5ssfe3jdq4ovtydlwsydq.onion") == 0);
	T_EQ(s.n[HF_NOTE_EMAIL], 1);
	T_CHECK(strcmp(s.last[HF_NOTE_EMAIL], "recover@tutanota.com") == 0);
	T_EQ(s.n[HF_NOTE_VICTIM_ID], 1);
	T_CHECK(strcmp(s.last[HF_NOTE_VICTIM_ID], "7f3a9c21-bb04-4e11") == 0);
	/* hostile input: every truncation of the note is handled */
	for (size_t k = 0; k < sizeof(note) - 1; k++) {
		struct seen z = {0};
		T_EQ(hf_note_extract(note, k, collect, &z), 0);
	}
}

int main(void)
{
	T_RUN(test_luhn);
	T_RUN(test_nhs);
	T_RUN(test_iban);
	T_RUN(test_nino_postcode_date);
	T_RUN(test_tally);
	T_RUN(test_btc);
	T_RUN(test_note_extract);
	return T_DONE("report_pii");
}
