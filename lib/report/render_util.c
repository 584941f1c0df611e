/* render_util.c — what both renderings of the report share: strings from
 * the repository escaped for JSON and for HTML (bytes that are not UTF-8
 * become U+FFFD), times as RFC 3339 UTC, table cells, and the recovery
 * command. */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "report/render_util.h"
#include "util/hex.h"

/* the length of the valid UTF-8 sequence at s (1-4), or 0 */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t l;
	uint32_t c;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		l = 2, c = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		l = 3, c = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		l = 4, c = s[0] & 0x07;
	else
		return 0;
	if (l > n)
		return 0;
	for (size_t i = 1; i < l; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if ((l == 3 && c < 0x800) || (l == 4 && (c < 0x10000 || c > 0x10ffff)) || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	return l;
}

void report_json_strn(FILE *f, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;

	fputc('"', f);
	for (size_t i = 0; i < n;) {
		size_t l = utf8_len(p + i, n - i);
		if (l == 0) {
			fputs("\\ufffd", f);
			i++;
		} else if (l > 1) {
			fwrite(p + i, 1, l, f);
			i += l;
		} else {
			unsigned char c = p[i++];
			if (c == '"' || c == '\\')
				fprintf(f, "\\%c", c);
			else if (c == '\n')
				fputs("\\n", f);
			else if (c < 0x20 || c == 0x7f)
				fprintf(f, "\\u%04x", c);
			else
				fputc(c, f);
		}
	}
	fputc('"', f);
}

void report_json_str(FILE *f, const char *s)
{
	report_json_strn(f, s, strlen(s));
}

void report_html_strn(FILE *f, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;

	for (size_t i = 0; i < n;) {
		size_t l = utf8_len(p + i, n - i);
		if (l == 0) {
			fputs("&#xfffd;", f);
			i++;
		} else if (l > 1) {
			fwrite(p + i, 1, l, f);
			i += l;
		} else {
			unsigned char c = p[i++];
			switch (c) {
			case '&':
				fputs("&amp;", f);
				break;
			case '<':
				fputs("&lt;", f);
				break;
			case '>':
				fputs("&gt;", f);
				break;
			case '"':
				fputs("&quot;", f);
				break;
			case '\'':
				fputs("&#39;", f);
				break;
			case '\n':
			case '\t':
				fputc(c, f);
				break;
			default:
				if (c < 0x20 || c == 0x7f)
					fputs("&#xfffd;", f);
				else
					fputc(c, f);
			}
		}
	}
}

void report_html_str(FILE *f, const char *s)
{
	report_html_strn(f, s, strlen(s));
}

void report_time_str(int64_t ns, char *out, size_t cap)
{
	time_t t = (time_t)(ns / 1000000000);
	struct tm tm;

	if (!gmtime_r(&t, &tm) || !strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(out, cap, "?");
}

void report_json_time(FILE *f, int64_t ns)
{
	char t[64];

	if (!ns) {
		fputs("null", f);
		return;
	}
	report_time_str(ns, t, sizeof(t));
	fprintf(f, "\"%s\"", t);
}

void report_id_hex(const uint8_t *id, char *out)
{
	hf_hex_encode(id, HF_ID_LEN, out);
}

void report_recovery_command(const struct hf_report *rep, char *out, size_t cap)
{
	/* the repository path is quoted for a POSIX shell */
	size_t k = 0;
	const char *pre = "holdfast restore --repo '";

	k = (size_t)snprintf(out, cap, "%s", pre);
	for (const char *p = rep->repo; *p && k + 8 < cap; p++) {
		if (*p == '\'') {
			memcpy(out + k, "'\\''", 4);
			k += 4;
		} else {
			out[k++] = *p;
		}
	}
	snprintf(out + k, cap - k, "' --last-clean --before %.8s --target /srv/restore", rep->recovery.newest_id);
}

uint64_t report_note_items(const struct hf_report_note *n, int kind)
{
	uint64_t c = 0;

	for (size_t i = 0; i < n->nitems; i++)
		c += n->items[i].kind == kind;
	return c;
}

void report_td_num(FILE *f, uint64_t v)
{
	fprintf(f, "<td class=\"n\">%llu</td>", (unsigned long long)v);
}

void report_td_time(FILE *f, int64_t ns)
{
	char t[64] = "-";

	if (ns)
		report_time_str(ns, t, sizeof(t));
	fprintf(f, "<td>%s</td>", t);
}
