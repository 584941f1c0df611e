/* extract.h — text out of files for the personal-data count: office documents
 * (docx, xlsx, odt/ods, zip members parsed with expat), PDFs (poppler, at most
 * 20,000 pages) and mail with encoded bodies (gmime), the last two parsed in an
 * isolated child process (extract_child.c). The parsers are holdfast-decoders.so's
 * (detect/decoders.h); without it, no document is read (0). */
#ifndef HF_REPORT_EXTRACT_H
#define HF_REPORT_EXTRACT_H

#include <stddef.h>

#include "util/buf.h"

/* Appends the text of the document at p (n bytes) to out: an office document,
 * a PDF, or a mail message whose bodies are quoted-printable or base64 (see
 * hf_extract_mail_encoded). 1 if it was one and its text was read, 0 if it is
 * none of these or could not be read (damaged, encrypted, or its parser
 * crashed, hung or was stopped), or -ENOMEM / -HF_E_LIMIT (out's maximum, a
 * member or page count too large). Nothing is appended unless 1. */
int hf_extract_text(const void *p, size_t n, struct hf_buf *out);

/* 1 if the bytes at p are a document hf_extract_text reads (a zip, a PDF,
 * encoded mail) rather than their own text, even when they hold no NUL
 * byte; 0 if not */
int hf_extract_wanted(const void *p, size_t n);

/* the office part of hf_extract_text (same returns) */
int hf_extract_office_text(const void *p, size_t n, struct hf_buf *out);

/* 1 if p[0..n) is an RFC 822 message (header fields first) with a body in
 * quoted-printable or base64, whose raw bytes are not its text; 0 if not */
int hf_extract_mail_encoded(const void *p, size_t n);

/* The isolated parsers (extract_child.c). kind: HF_EXTRACT_PDF or
 * HF_EXTRACT_MAIL; test: 0, or an HF_EXTRACT_TEST_* done in the child first
 * (tests only). Returns as hf_extract_text. */
enum { HF_EXTRACT_PDF = 1, HF_EXTRACT_MAIL = 2 };
enum {
	HF_EXTRACT_TEST_OPEN = 1,   /* open("/etc/passwd"): refused */
	HF_EXTRACT_TEST_CRASH = 2,  /* a null-pointer write */
	HF_EXTRACT_TEST_SPIN = 3,   /* an endless loop (the CPU limit ends it) */
	HF_EXTRACT_TEST_SOCKET = 4, /* socket(): the filter kills the child */
	HF_EXTRACT_TEST_BLOCK = 5,  /* waits forever, using no CPU (the deadline ends it) */
};
int hf_extract_isolated(int kind, int test, const void *p, size_t n, struct hf_buf *out);
/* the CPU seconds a child may take (tests shorten it; 0 restores the
 * default); returns the previous value */
unsigned hf_extract_set_cpu_limit(unsigned seconds);

#endif
