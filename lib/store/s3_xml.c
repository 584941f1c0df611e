/* s3_xml.c — reads the XML answers of S3 (s3_xml.h) with libexpat: a
 * ListObjectsV2 page (keys, sizes, continuation token), a ListObjectVersions
 * page, the Code and Message of an error, a bucket's versioning Status and
 * Object Lock configuration. Only elements at the expected depth count, text is
 * bounded, and the parser never resolves entities from outside. */
#include <errno.h>
#include <expat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/s3_xml.h"
#include "util/err.h"
#include "util/mem.h"

#define TEXT_MAX HF_S3_KEY_MAX

struct xml_state {
	XML_Parser p;
	int depth;
	int kind; /* 1: a listing; 2: fields of a document; 3: a listing of versions */
	int root_ok;
	char text[TEXT_MAX + 1];
	size_t ntext;
	int text_overflow;
	/* listing */
	hf_s3_object_fn fn;
	void *arg;
	char key[HF_S3_KEY_MAX + 1];
	int has_key, has_size;
	uint64_t size;
	int truncated;
	char *token;
	int ret;
	/* listing of versions */
	hf_s3_version_fn vfn;
	char version_id[HF_S3_TOKEN_MAX + 1];
	int is_latest;
	int64_t last_modified_s;
	char *key_marker, *version_marker;
	/* fields: two children of the root element */
	const char *root, *f1, *f2;
	char *o1, *o2;
	size_t c1, c2;
};

static void copy_text(char *out, size_t cap, const char *s)
{
	size_t n = strlen(s);

	if (cap == 0)
		return;
	if (n >= cap)
		n = cap - 1;
	memcpy(out, s, n);
	out[n] = '\0';
}

static void on_start(void *ud, const XML_Char *name, const XML_Char **attrs)
{
	struct xml_state *x = ud;

	(void)attrs;
	x->depth++;
	x->ntext = 0;
	x->text_overflow = 0;
	if (x->depth == 1) {
		x->root_ok = (x->kind == 1 && strcmp(name, "ListBucketResult") == 0) ||
			     (x->kind == 2 && strcmp(name, x->root) == 0) ||
			     (x->kind == 3 && strcmp(name, "ListVersionsResult") == 0);
		return;
	}
	if (x->depth == 2 && ((x->kind == 1 && strcmp(name, "Contents") == 0) ||
			      (x->kind == 3 && (strcmp(name, "Version") == 0 || strcmp(name, "DeleteMarker") == 0)))) {
		x->has_key = x->has_size = 0;
		x->key[0] = x->version_id[0] = '\0';
		x->is_latest = 0;
		x->last_modified_s = 0;
		x->size = 0;
	}
}

static int parse_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0;

	if (!*s)
		return -1;
	for (; *s; s++) {
		uint64_t d = (uint64_t)(*s - '0');
		if (*s < '0' || *s > '9' || v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

int64_t hf_s3_parse_time(const char *s)
{
	struct tm tm = {0};
	int n = 0;

	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
		   &tm.tm_sec, &n) != 6 ||
	    n != 19)
		return 0;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	if (tm.tm_year < 70 || tm.tm_mon < 0 || tm.tm_mon > 11)
		return 0;
	return (int64_t)timegm(&tm);
}

/* the end of an element of a ListVersionsResult */
static void on_end_version(struct xml_state *x, const char *name)
{
	if (x->depth == 3 && strcmp(name, "Key") == 0) {
		if (x->text_overflow)
			x->ret = -HF_E_CORRUPT;
		copy_text(x->key, sizeof(x->key), x->text);
		x->has_key = 1;
	} else if (x->depth == 3 && strcmp(name, "VersionId") == 0) {
		if (x->text_overflow || x->ntext > HF_S3_TOKEN_MAX)
			x->ret = -HF_E_CORRUPT;
		copy_text(x->version_id, sizeof(x->version_id), x->text);
	} else if (x->depth == 3 && strcmp(name, "IsLatest") == 0) {
		x->is_latest = strcmp(x->text, "true") == 0;
	} else if (x->depth == 3 && strcmp(name, "LastModified") == 0) {
		x->last_modified_s = hf_s3_parse_time(x->text);
	} else if (x->depth == 3 && strcmp(name, "Size") == 0) {
		if (parse_u64(x->text, &x->size) < 0)
			x->ret = -HF_E_CORRUPT;
	} else if (x->depth == 2 && (strcmp(name, "Version") == 0 || strcmp(name, "DeleteMarker") == 0)) {
		struct hf_s3_version v = {.key = x->key,
					  .version_id = x->version_id,
					  .delete_marker = strcmp(name, "DeleteMarker") == 0,
					  .is_latest = x->is_latest,
					  .last_modified_s = x->last_modified_s,
					  .size = x->size};
		if (!x->has_key || !x->version_id[0] || !x->last_modified_s)
			x->ret = -HF_E_CORRUPT;
		else
			x->ret = x->vfn(x->arg, &v);
	} else if (x->depth == 2 && strcmp(name, "IsTruncated") == 0) {
		x->truncated = strcmp(x->text, "true") == 0;
	} else if (x->depth == 2 && strcmp(name, "NextKeyMarker") == 0) {
		if (x->text_overflow)
			x->ret = -HF_E_CORRUPT;
		else
			copy_text(x->key_marker, HF_S3_KEY_MAX + 1, x->text);
	} else if (x->depth == 2 && strcmp(name, "NextVersionIdMarker") == 0) {
		if (x->text_overflow || x->ntext > HF_S3_TOKEN_MAX)
			x->ret = -HF_E_CORRUPT;
		else
			copy_text(x->version_marker, HF_S3_TOKEN_MAX + 1, x->text);
	}
}

static void on_end(void *ud, const XML_Char *name)
{
	struct xml_state *x = ud;

	x->text[x->ntext] = '\0';
	if (x->root_ok && x->kind == 1 && x->ret == 0) {
		if (x->depth == 3 && strcmp(name, "Key") == 0) {
			if (x->text_overflow)
				x->ret = -HF_E_CORRUPT;
			copy_text(x->key, sizeof(x->key), x->text);
			x->has_key = 1;
		} else if (x->depth == 3 && strcmp(name, "Size") == 0) {
			if (parse_u64(x->text, &x->size) < 0)
				x->ret = -HF_E_CORRUPT;
			x->has_size = 1;
		} else if (x->depth == 2 && strcmp(name, "Contents") == 0) {
			if (!x->has_key || !x->has_size)
				x->ret = -HF_E_CORRUPT;
			else
				x->ret = x->fn(x->arg, x->key, x->size);
		} else if (x->depth == 2 && strcmp(name, "IsTruncated") == 0) {
			x->truncated = strcmp(x->text, "true") == 0;
		} else if (x->depth == 2 && strcmp(name, "NextContinuationToken") == 0) {
			if (x->text_overflow || x->ntext > HF_S3_TOKEN_MAX)
				x->ret = -HF_E_CORRUPT;
			else
				copy_text(x->token, HF_S3_TOKEN_MAX + 1, x->text);
		}
		if (x->ret != 0)
			XML_StopParser(x->p, XML_FALSE);
	} else if (x->root_ok && x->kind == 3 && x->ret == 0) {
		on_end_version(x, name);
		if (x->ret != 0)
			XML_StopParser(x->p, XML_FALSE);
	} else if (x->root_ok && x->kind == 2 && x->depth == 2) {
		if (strcmp(name, x->f1) == 0)
			copy_text(x->o1, x->c1, x->text);
		else if (x->f2 && strcmp(name, x->f2) == 0)
			copy_text(x->o2, x->c2, x->text);
	}
	x->ntext = 0;
	x->depth--;
}

static void on_text(void *ud, const XML_Char *s, int len)
{
	struct xml_state *x = ud;
	size_t n = len > 0 ? (size_t)len : 0;

	if (n > TEXT_MAX - x->ntext) {
		n = TEXT_MAX - x->ntext;
		x->text_overflow = 1;
	}
	memcpy(x->text + x->ntext, s, n);
	x->ntext += n;
}

/* entity declarations are refused: no entity expansion, inside or out */
static void on_entity(void *ud, const XML_Char *name, int is_param, const XML_Char *value, int value_len,
		      const XML_Char *base, const XML_Char *system_id, const XML_Char *public_id,
		      const XML_Char *notation)
{
	struct xml_state *x = ud;

	(void)name, (void)is_param, (void)value, (void)value_len, (void)base, (void)system_id, (void)public_id,
		(void)notation;
	x->ret = -HF_E_CORRUPT;
	XML_StopParser(x->p, XML_FALSE);
}

static int run(struct xml_state *x, const char *xml, size_t n)
{
	enum XML_Status st;

	if (n > (size_t)INT32_MAX)
		return -HF_E_LIMIT;
	x->p = XML_ParserCreate("UTF-8");
	if (!x->p)
		return -ENOMEM;
	XML_SetUserData(x->p, x);
	XML_SetElementHandler(x->p, on_start, on_end);
	XML_SetCharacterDataHandler(x->p, on_text);
	XML_SetEntityDeclHandler(x->p, on_entity);
	st = XML_Parse(x->p, xml, (int)n, XML_TRUE);
	XML_ParserFree(x->p);
	if (x->ret != 0)
		return x->ret;
	return st == XML_STATUS_OK && x->root_ok ? 0 : -HF_E_CORRUPT;
}

int hf_s3_parse_list(const char *xml, size_t n, hf_s3_object_fn fn, void *arg, int *truncated,
		     char token[HF_S3_TOKEN_MAX + 1])
{
	struct xml_state *x = hf_xcalloc(1, sizeof(*x));
	int r;

	*truncated = 0;
	token[0] = '\0';
	x->kind = 1;
	x->fn = fn;
	x->arg = arg;
	x->token = token;
	r = run(x, xml, n);
	*truncated = x->truncated;
	free(x);
	if (r == 0 && *truncated && !token[0])
		r = -HF_E_CORRUPT; /* more to come, and no way to ask for it */
	return r;
}

/* the text of children f1 and f2 (NULL: none) of root element root */
static void parse_fields(const char *xml, size_t n, const char *root, const char *f1, char *o1, size_t c1,
			 const char *f2, char *o2, size_t c2)
{
	struct xml_state *x = hf_xcalloc(1, sizeof(*x));

	if (c1)
		o1[0] = '\0';
	if (c2)
		o2[0] = '\0';
	if (n == 0)
		goto out;
	x->kind = 2;
	x->root = root;
	x->f1 = f1;
	x->f2 = f2;
	x->o1 = o1;
	x->o2 = o2;
	x->c1 = c1;
	x->c2 = c2;
	if (run(x, xml, n) < 0) {
		if (c1)
			o1[0] = '\0';
		if (c2)
			o2[0] = '\0';
	}
out:
	free(x);
}

void hf_s3_parse_error(const char *xml, size_t n, char *code, size_t code_cap, char *msg, size_t msg_cap)
{
	parse_fields(xml, n, "Error", "Code", code, code_cap, "Message", msg, msg_cap);
}

int hf_s3_parse_versioning(const char *xml, size_t n)
{
	char status[32];

	parse_fields(xml, n, "VersioningConfiguration", "Status", status, sizeof(status), NULL, NULL, 0);
	return strcmp(status, "Enabled") == 0 || strcmp(status, "Suspended") == 0;
}

int hf_s3_parse_versions(const char *xml, size_t n, hf_s3_version_fn fn, void *arg, int *truncated,
			 char key_marker[HF_S3_KEY_MAX + 1], char version_marker[HF_S3_TOKEN_MAX + 1])
{
	struct xml_state *x = hf_xcalloc(1, sizeof(*x));
	int r;

	key_marker[0] = version_marker[0] = '\0';
	x->kind = 3;
	x->vfn = fn;
	x->arg = arg;
	x->key_marker = key_marker;
	x->version_marker = version_marker;
	r = run(x, xml, n);
	*truncated = x->truncated;
	free(x);
	if (r == 0 && *truncated && !key_marker[0])
		r = -HF_E_CORRUPT; /* more to come, and no way to ask for it */
	return r;
}

int hf_s3_parse_object_lock(const char *xml, size_t n)
{
	char enabled[32];

	parse_fields(xml, n, "ObjectLockConfiguration", "ObjectLockEnabled", enabled, sizeof(enabled), NULL, NULL, 0);
	return strcmp(enabled, "Enabled") == 0;
}
