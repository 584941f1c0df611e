/* report_render.h — what the report's rendering tests (test_report_render.c,
 * test_report_alerts.c) share: a report rendered into memory. Static, like
 * t.h: include it once, in the test's one file. */
#ifndef HF_TESTS_REPORT_RENDER_H
#define HF_TESTS_REPORT_RENDER_H

#include <stdio.h>
#include <stdlib.h>

#include "report/report.h"

/* the report as HTML (html) or JSON, NUL-terminated; NULL on failure */
static char *render(const struct hf_report *rep, int html)
{
	char *p = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&p, &n);

	if (!f)
		return NULL;
	if ((html ? hf_report_write_html(rep, f) : hf_report_write_json(rep, f)) < 0) {
		fclose(f);
		free(p);
		return NULL;
	}
	fclose(f);
	return p;
}

#endif
