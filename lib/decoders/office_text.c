/* office_text.c — the text of office documents for the report's personal-data count: docx
 * (word/document.xml), xlsx (xl/sharedStrings.xml and each xl/worksheets/sheet*.xml) and
 * odt/ods (content.xml), unzipped with libzip from memory and parsed with expat. Paragraphs
 * and rows end lines, cells are split by commas, so a value's line context (a date of birth
 * next to "born") survives. Bounded: at most XML_MAX bytes of XML per member and MEMBERS_MAX
 * members. */
#include <errno.h>
#include <expat.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>

#include "decoders/decoders_int.h"
#include "util/err.h"

#define XML_MAX (32u << 20)
#define MEMBERS_MAX 64

struct xtext {
	hf_text_sink put;
	void *ud;
	int err;
};

/* local name of a tag: past the namespace prefix */
static const char *local(const char *name)
{
	const char *c = strrchr(name, ':');

	return c ? c + 1 : name;
}

static void emit(struct xtext *x, const char *s, size_t n)
{
	if (!x->err && x->put(x->ud, s, n) < 0)
		x->err = -HF_E_LIMIT;
}

static void XMLCALL on_start(void *ud, const char *name, const char **attrs)
{
	struct xtext *x = ud;
	const char *l = local(name);

	if (strcmp(l, "tab") == 0 || strcmp(l, "s") == 0)
		emit(x, " ", 1);
	else if (strcmp(l, "br") == 0 || strcmp(l, "line-break") == 0)
		emit(x, "\n", 1);
}

static void XMLCALL on_end(void *ud, const char *name)
{
	struct xtext *x = ud;
	const char *l = local(name);

	/* docx w:p, odt text:p / text:h, xlsx row and shared string si */
	if (strcmp(l, "p") == 0 || strcmp(l, "h") == 0 || strcmp(l, "row") == 0 || strcmp(l, "si") == 0 ||
	    strcmp(l, "table-row") == 0 || strcmp(l, "tr") == 0)
		emit(x, "\n", 1);
	else if (strcmp(l, "c") == 0 || strcmp(l, "table-cell") == 0 || strcmp(l, "tc") == 0)
		emit(x, ",", 1);
}

static void XMLCALL on_text(void *ud, const char *s, int len)
{
	emit(ud, s, (size_t)len);
}

static int parse_xml(const char *p, size_t n, hf_text_sink sink, void *ud)
{
	struct xtext x = {.put = sink, .ud = ud};
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
	emit(&x, "\n", 1);
	return ok ? 0 : -HF_E_CORRUPT;
}

static int wanted(const char *name)
{
	return strcmp(name, "word/document.xml") == 0 || strcmp(name, "xl/sharedStrings.xml") == 0 ||
	       (strncmp(name, "xl/worksheets/sheet", 19) == 0 && strlen(name) > 23 &&
		strcmp(name + strlen(name) - 4, ".xml") == 0) ||
	       strcmp(name, "content.xml") == 0;
}

int hf_dec_office_text(const void *p, size_t n, hf_text_sink put, void *ud)
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
	for (zip_int64_t i = 0; i < count && ret == 0 && members < MEMBERS_MAX; i++) {
		zip_stat_t st;
		zip_file_t *f;
		zip_int64_t got;
		if (zip_stat_index(za, (zip_uint64_t)i, 0, &st) < 0 || !(st.valid & ZIP_STAT_NAME) ||
		    !(st.valid & ZIP_STAT_SIZE) || !wanted(st.name))
			continue;
		if (st.size > XML_MAX) {
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
			int r = parse_xml(xml, st.size, put, ud);
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
