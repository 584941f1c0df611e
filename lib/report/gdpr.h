/* gdpr.h — the facts a GDPR Art. 33 notification of a personal-data breach
 * asks for (gdpr.c), filled in from the report where holdfast knows them:
 * when the controller became aware (the detection) and the 72-hour limit,
 * the nature of the breach, the categories of data and approximate numbers
 * of records and of data subjects, the likely consequences and the measures
 * taken. Who the controller and its DPO are, and whether data left the
 * building, holdfast cannot know: the renderings say so. */
#ifndef HF_REPORT_GDPR_H
#define HF_REPORT_GDPR_H

#include "report/report.h"

#define HF_GDPR_NOTIFY_NS (72LL * 3600 * 1000000000) /* Art. 33(1): within 72 hours */

enum hf_gdpr_consequence {
	HF_GDPR_UNAVAILABLE = 0, /* the data was unavailable until restored (always, after an attack) */
	HF_GDPR_DISCLOSURE,      /* published or sold: ransomware gangs take data before encrypting */
	HF_GDPR_IDENTITY,        /* identity theft: national identifiers, dates of birth */
	HF_GDPR_FRAUD,           /* financial fraud: bank accounts, payment cards */
	HF_GDPR_HEALTH,          /* health identifiers: an Art. 9 special category */
	HF_GDPR_PHISHING,        /* targeted phishing and scams: contact details */
	HF_GDPR_CONSEQUENCE_COUNT
};

struct hf_report_gdpr {
	int applies;           /* an attack, with personal data in what it hit */
	int64_t aware_ns;      /* the detection (0: not detected) */
	int64_t notify_by_ns;  /* aware + 72 h */
	uint64_t records;      /* distinct values found, every category */
	uint64_t subjects;     /* at least: the largest distinct count of one identifier
			       * (e-mail, National Insurance or NHS number) */
	int special;           /* health data (NHS numbers) */
	unsigned consequences; /* 1u << enum hf_gdpr_consequence */
	unsigned measures;     /* 1u << enum hf_gdpr_measure */
};

enum hf_gdpr_measure {
	HF_GDPR_PINNED = 0,   /* the last clean backup is pinned: forget and prune keep it */
	HF_GDPR_RESTORE_PLAN, /* every file has a clean version to restore (the recovery plan) */
	HF_GDPR_PARTIAL_PLAN, /* a clean version for some files; the rest are lost */
	HF_GDPR_MEASURE_COUNT
};

/* what the notification needs that holdfast cannot know */
#define HF_GDPR_UNKNOWN_COUNT 5
const char *hf_gdpr_unknown_text(int i);

void hf_report_gdpr(const struct hf_report *rep, struct hf_report_gdpr *out);
/* the words for one data category (enum hf_pii_cat), one consequence, one measure */
const char *hf_gdpr_category_text(int cat);
const char *hf_gdpr_consequence_text(int c);
const char *hf_gdpr_measure_text(int m);

#endif
