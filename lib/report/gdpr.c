/* gdpr.c — the Art. 33 facts of a report (gdpr.h). Pure: reads only the
 * gathered report. */
#include <string.h>

#include "report/gdpr.h"

static const char *const categories[HF_PII_COUNT] = {
	"contact details (e-mail addresses)",
	"contact details (telephone numbers)",
	"national identifiers (National Insurance numbers)",
	"health identifiers (NHS numbers)",
	"financial data (bank account numbers, IBAN)",
	"financial data (payment card numbers)",
	"dates of birth",
	"addresses (postcodes)",
};

static const char *const consequences[HF_GDPR_CONSEQUENCE_COUNT] = {
	"loss of availability: the data could not be used until it was restored",
	"disclosure: ransomware groups usually copy data before encrypting it and publish it when no "
	"ransom is paid",
	"identity theft (national identifiers, dates of birth)",
	"financial fraud (bank account and payment card numbers)",
	"disclosure of health data (NHS numbers identify patients): a special category under Art. 9",
	"targeted phishing and scams (contact details)",
};

static const char *const measures[HF_GDPR_MEASURE_COUNT] = {
	"the last clean backup before the attack is pinned: forget and prune keep it",
	"every encrypted file has a clean version in the backups, which the recovery plan restores",
	"some encrypted files have a clean version in the backups, which the recovery plan restores; the "
	"others are lost",
};

static const char *const unknowns[HF_GDPR_UNKNOWN_COUNT] = {
	"the name and contact details of the controller and of its data protection officer",
	"whether data was copied out (holdfast sees files, not the network: check firewall and proxy logs)",
	"personal data in systems holdfast does not back up",
	"the exact number of data subjects (holdfast counts distinct values, not people)",
	"whether and how the data subjects are told (Art. 34)",
};

const char *hf_gdpr_unknown_text(int i)
{
	return i >= 0 && i < HF_GDPR_UNKNOWN_COUNT ? unknowns[i] : "?";
}

const char *hf_gdpr_category_text(int cat)
{
	return cat >= 0 && cat < HF_PII_COUNT ? categories[cat] : "?";
}

const char *hf_gdpr_consequence_text(int c)
{
	return c >= 0 && c < HF_GDPR_CONSEQUENCE_COUNT ? consequences[c] : "?";
}

const char *hf_gdpr_measure_text(int m)
{
	return m >= 0 && m < HF_GDPR_MEASURE_COUNT ? measures[m] : "?";
}

void hf_report_gdpr(const struct hf_report *rep, struct hf_report_gdpr *g)
{
	static const int identifiers[] = {HF_PII_EMAIL, HF_PII_NINO, HF_PII_NHS};
	uint64_t d[HF_PII_COUNT] = {0};

	memset(g, 0, sizeof(*g));
	for (int c = 0; c < HF_PII_COUNT; c++) {
		d[c] = hf_pii_distinct(&rep->pii, c);
		g->records += d[c];
	}
	for (size_t i = 0; i < sizeof(identifiers) / sizeof(identifiers[0]); i++)
		if (d[identifiers[i]] > g->subjects)
			g->subjects = d[identifiers[i]];
	g->applies = rep->attack && g->records > 0;
	if (rep->detected) {
		g->aware_ns = rep->detected_ns;
		g->notify_by_ns = rep->detected_ns + HF_GDPR_NOTIFY_NS;
	}
	g->special = d[HF_PII_NHS] > 0;
	if (rep->attack)
		g->consequences |= 1u << HF_GDPR_UNAVAILABLE | 1u << HF_GDPR_DISCLOSURE;
	if (d[HF_PII_NINO] || d[HF_PII_DOB])
		g->consequences |= 1u << HF_GDPR_IDENTITY;
	if (d[HF_PII_IBAN] || d[HF_PII_CARD])
		g->consequences |= 1u << HF_GDPR_FRAUD;
	if (g->special)
		g->consequences |= 1u << HF_GDPR_HEALTH;
	if (d[HF_PII_EMAIL] || d[HF_PII_PHONE])
		g->consequences |= 1u << HF_GDPR_PHISHING;
	for (size_t k = 0; k < rep->nsnaps; k++)
		if (rep->snaps[k].pinned)
			g->measures |= 1u << HF_GDPR_PINNED;
	if (rep->nfiles && rep->never_clean == 0)
		g->measures |= 1u << HF_GDPR_RESTORE_PLAN;
	else if (rep->nfiles && rep->never_clean < rep->nfiles)
		g->measures |= 1u << HF_GDPR_PARTIAL_PLAN;
}
