/* extract.c — the text of documents for the personal-data count: which
 * reader a file needs (office document, PDF, encoded mail). Office documents
 * are read here, by lib/decoders/office_text.c (libzip and expat, bounded);
 * PDFs and encoded mail go to parsers in an isolated child (extract_child.c). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "detect/decoders.h"
#include "report/extract.h"
#include "util/err.h"

static int put_buf(void *ud, const char *s, size_t n)
{
	return hf_buf_append(ud, s, n);
}

int hf_extract_office_text(const void *p, size_t n, struct hf_buf *out)
{
	const struct hf_decoders *dec = hf_decoders();
	size_t len0 = out->len;
	int r;

	if (n < 4 || memcmp(p, "PK\3\4", 4) != 0 || !dec)
		return 0; /* not a zip, or no parser to read it (hf_decoders_error says why) */
	r = dec->office_text(p, n, put_buf, out);
	if (r != 1)
		out->len = len0;
	return r;
}

/* a header field's name then ':' at x[0..n) (the line's start); its length with the colon, or 0 */
static size_t field_name(const char *x, size_t n)
{
	size_t k = 0;

	while (k < n && k < 128 && x[k] > 32 && x[k] < 127 && x[k] != ':')
		k++;
	return k > 0 && k < n && x[k] == ':' ? k + 1 : 0;
}

static int starts_ci(const char *x, size_t n, const char *w)
{
	size_t l = strlen(w);

	return n >= l && strncasecmp(x, w, l) == 0;
}

int hf_extract_mail_encoded(const void *p, size_t n)
{
	const char *x = p, *end = x + n;
	int fields = 0, known = 0, encoded = 0;

	/* an mbox "From " line may come first */
	if (starts_ci(x, n, "From ")) {
		const char *nl = memchr(x, '\n', n);
		if (!nl)
			return 0;
		x = nl + 1;
	}
	/* the header: fields and their continuation lines, up to an empty line */
	while (x < end) {
		const char *nl = memchr(x, '\n', (size_t)(end - x));
		size_t len = nl ? (size_t)(nl - x) : (size_t)(end - x), k;
		if (len == 0 || (len == 1 && x[0] == '\r'))
			break;
		if (x[0] == ' ' || x[0] == '\t') {
			if (fields == 0)
				return 0;
		} else if ((k = field_name(x, len)) > 0) {
			fields++;
			if (starts_ci(x, len, "From:") || starts_ci(x, len, "To:") || starts_ci(x, len, "Subject:") ||
			    starts_ci(x, len, "Date:") || starts_ci(x, len, "Message-ID:") ||
			    starts_ci(x, len, "MIME-Version:") || starts_ci(x, len, "Received:"))
				known = 1;
		} else {
			return 0; /* not a header line: not mail */
		}
		if (!nl)
			break;
		x = nl + 1;
	}
	if (fields < 2 || !known)
		return 0;
	/* a Content-Transfer-Encoding that is not the text itself, anywhere (parts have their own) */
	for (x = p; x < end && !encoded;) {
		const char *nl = memchr(x, '\n', (size_t)(end - x));
		size_t len = nl ? (size_t)(nl - x) : (size_t)(end - x);
		if (starts_ci(x, len, "Content-Transfer-Encoding:")) {
			const char *v = x + 26, *ve = x + len;
			while (v < ve && (*v == ' ' || *v == '\t'))
				v++;
			encoded = starts_ci(v, (size_t)(ve - v), "quoted-printable") ||
				  starts_ci(v, (size_t)(ve - v), "base64");
		}
		if (!nl)
			break;
		x = nl + 1;
	}
	return encoded;
}

static int is_pdf(const void *p, size_t n)
{
	/* readers accept the header within the first 1024 bytes; it starts a line and names a
	 * version (a text that merely mentions "%PDF-" stays text) */
	const char *x = p, *h;
	size_t lim = n < 1024 ? n : 1024;

	for (size_t off = 0; off + 6 <= lim && (h = memmem(x + off, lim - off, "%PDF-", 5)) != NULL;
	     off = (size_t)(h - x) + 1) {
		size_t i = (size_t)(h - x);
		if ((i == 0 || x[i - 1] == '\n' || x[i - 1] == '\r') && i + 5 < n && x[i + 5] >= '1' && x[i + 5] <= '9')
			return 1;
	}
	return 0;
}

int hf_extract_wanted(const void *p, size_t n)
{
	return (n >= 4 && memcmp(p, "PK\3\4", 4) == 0) || is_pdf(p, n) || hf_extract_mail_encoded(p, n);
}

int hf_extract_text(const void *p, size_t n, struct hf_buf *out)
{
	if (n >= 4 && memcmp(p, "PK\3\4", 4) == 0)
		return hf_extract_office_text(p, n, out);
	if (is_pdf(p, n))
		return hf_extract_isolated(HF_EXTRACT_PDF, 0, p, n, out);
	if (hf_extract_mail_encoded(p, n))
		return hf_extract_isolated(HF_EXTRACT_MAIL, 0, p, n, out);
	return 0;
}
