/* scan_print.h — a scan's result as text or as the JSON document of
 * `scan --json` (docs/man/holdfast.1), for scan and for backup's alerts. */
#ifndef HF_SCAN_PRINT_H
#define HF_SCAN_PRINT_H

#include <stdio.h>

#include "scan/scan.h"

void scan_print_json(FILE *f, const struct hf_scan_result *res);
/* the verdict and summary lines, then the files that are not clean (all
 * changed files with verbose) */
void scan_print_text(FILE *f, const struct hf_scan_result *res, int verbose);

#endif
