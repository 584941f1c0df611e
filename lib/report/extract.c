/* extract.c — the text of documents for the personal-data count: which
 * reader a file needs (office document, PDF, encoded mail), and the office
 * documents themselves: docx (word/document.xml), xlsx (xl/sharedStrings.xml and each
 * xl/worksheets/sheet*.xml) and odt/ods (content.xml), unzipped with libzip
 * from memory and parsed with expat. Paragraphs and rows end lines, cells
 * are split by commas, so a value's line context (a date of birth next to
 * "born") survives. Bounded: at most HF_EXTRACT_XML_MAX bytes of XML per
 * member and HF_EXTRACT_MEMBERS members. PDFs and encoded mail go to
 * parsers in an isolated child (extract_child.c). */
#include <errno.h>
#include <expat.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zip.h>

#include "report/extract.h"
#include "util/err.h"

#define HF_EXTRACT_XML_MAX (32u << 20)
#define HF_EXTRACT_MEMBERS 64

struct xtext {
	struct hf_buf *out;
	int err;
};

/* local name of a tag: past the namespace prefix */
static const char *local(const char *name)
{
	const char *c = strrchr(name, ':');

	return c ? c + 1 : name;
}

static void put(struct xtext *x, const char *s, size_t n)
{
	if (!x->err && hf_buf_append(x->out, s, n) < 0)
		x->err = -HF_E_LIMIT;
}

static void XMLCALL on_start(void *ud, const char *name, const char **attrs)
{
	struct xtext *x = ud;
	const char *l = local(name);

	if (strcmp(l, "tab") == 0 || strcmp(l, "s") == 0)
		put(x, " ", 1);
	else if (strcmp(l, "br") == 0 || strcmp(l, "line-break") == 0)
		put(x, "\n", 1);
}

static void XMLCALL on_end(void *ud, const char *name)
{
	struct xtext *x = ud;
	const char *l = local(name);

	/* docx w:p, odt text:p / text:h, xlsx row and shared string si */
	if (strcmp(l, "p") == 0 || strcmp(l, "h") == 0 || strcmp(l, "row") == 0 || strcmp(l, "si") == 0 ||
	    strcmp(l, "table-row") == 0 || strcmp(l, "tr") == 0)
		put(x, "\n", 1);
	else if (strcmp(l, "c") == 0 || strcmp(l, "table-cell") == 0 || strcmp(l, "tc") == 0)
		put(x, ",", 1);
}

static void XMLCALL on_text(void *ud, const char *s, int len)
{
	put(ud, s, (size_t)len);
}

static int parse_xml(const char *p, size_t n, struct hf_buf *out)
{
	struct xtext x = {.out = out};
	XML_Parser ps = XML_ParserCreate("UTF-8");
	int ok;

	if (!ps)
		return -ENOMEM;
	XML_SetUserData(ps, &x);
	XML_SetElementHandler(ps, on_start, on_end);
	XML_SetCharacterDataHandler(ps, on_text);
	ok = XML_Parse(ps, p, (int)n, 1) == XML_STATUS_OK;
	XML_ParserFree(ps);
	if (x.err)
		return x.err;
	put(&x, "\n", 1);
	return ok ? 0 : -HF_E_CORRUPT;
}

static int wanted(const char *name)
{
	return strcmp(name, "word/document.xml") == 0 || strcmp(name, "xl/sharedStrings.xml") == 0 ||
	       (strncmp(name, "xl/worksheets/sheet", 19) == 0 && strlen(name) > 23 &&
		strcmp(name + strlen(name) - 4, ".xml") == 0) ||
	       strcmp(name, "content.xml") == 0;
}

int hf_extract_office_text(const void *p, size_t n, struct hf_buf *out)
{
	zip_error_t zerr;
	zip_source_t *src;
	zip_t *za = NULL;
	char *xml = NULL;
	zip_int64_t count;
	int ret = 0, found = 0, members = 0;

	if (n < 4 || memcmp(p, "PK\3\4", 4) != 0)
		return 0;
	zip_error_init(&zerr);
	src = zip_source_buffer_create(p, n, 0, &zerr);
	if (!src)
		return -ENOMEM;
	za = zip_open_from_source(src, ZIP_RDONLY, &zerr);
	if (!za) {
		zip_source_free(src);
		zip_error_fini(&zerr);
		return 0; /* not a zip we can read: not an office document */
	}
	count = zip_get_num_entries(za, 0);
	for (zip_int64_t i = 0; i < count && ret == 0 && members < HF_EXTRACT_MEMBERS; i++) {
		zip_stat_t st;
		zip_file_t *f;
		zip_int64_t got;
		if (zip_stat_index(za, (zip_uint64_t)i, 0, &st) < 0 || !(st.valid & ZIP_STAT_NAME) ||
		    !(st.valid & ZIP_STAT_SIZE) || !wanted(st.name))
			continue;
		if (st.size > HF_EXTRACT_XML_MAX) {
			ret = -HF_E_LIMIT;
			break;
		}
		members++;
		xml = malloc(st.size + 1);
		if (!xml) {
			ret = -ENOMEM;
			break;
		}
		f = zip_fopen_index(za, (zip_uint64_t)i, 0);
		got = f ? zip_fread(f, xml, st.size) : -1;
		if (f)
			zip_fclose(f);
		if (got == (zip_int64_t)st.size) {
			int r = parse_xml(xml, st.size, out);
			if (r == 0)
				found = 1;
			else if (r != -HF_E_CORRUPT)
				ret = r;
		}
		free(xml);
		xml = NULL;
	}
	zip_discard(za);
	zip_error_fini(&zerr);
	return ret < 0 ? ret : found;
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
