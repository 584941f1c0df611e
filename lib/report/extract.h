/* extract.h — text out of office documents for the personal-data count
 * (extract.c): docx, xlsx, odt/ods (zip members parsed with expat). PDFs
 * are not read yet. */
#ifndef HF_REPORT_EXTRACT_H
#define HF_REPORT_EXTRACT_H

#include <stddef.h>

#include "util/buf.h"

/* Appends the text of the office document at p (n bytes) to out. 1 if it
 * was one and text was found, 0 if it is not one (or unreadable), or
 * -ENOMEM / -HF_E_LIMIT (out's maximum, or a member too large). */
int hf_extract_office_text(const void *p, size_t n, struct hf_buf *out);

#endif
