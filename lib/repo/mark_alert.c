/* mark_alert.c — the alert record: what holdfast watch knew when it raised
 * an alert, as the one-line reason text of an alert mark (mark.h), so that a
 * report made later on a trusted host can show it (docs/FORMAT.md, "Alert
 * records"). Anyone with the write-only key can write a mark: the parser
 * checks every word, every number and every escape, and never trusts a
 * length it did not measure. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "repo/mark.h"
#include "util/err.h"

#define ALERT_PREFIX "holdfast-alert/"
#define ALERT_VERSION 1

static const char *const action_names[] = {"freeze", "kill", "alert"};

const char *hf_mark_alert_action_name(int action)
{
	return action >= 0 && action <= HF_MARK_ALERT_ONLY ? action_names[action] : "?";
}

static uint32_t sat(uint32_t v)
{
	return v > HF_MARK_ALERT_COUNT_MAX ? HF_MARK_ALERT_COUNT_MAX : v;
}

static int escaped(unsigned char c)
{
	return c <= 0x20 || c == 0x7f || c == '%';
}

int hf_mark_alert_format(const struct hf_mark_alert *a, char *out, size_t cap)
{
	size_t k;
	int w;

	if (cap < HF_MARK_REASON_MAX + 1 || a->pid < 1 || a->action < 0 || a->action > HF_MARK_ALERT_ONLY ||
	    a->nminutes > HF_MARK_ALERT_MINUTES)
		return -HF_E_USAGE;
	cap = HF_MARK_REASON_MAX + 1;
	w = snprintf(out, cap,
		     ALERT_PREFIX "%d time=%lld pid=%d action=%s signalled=%d backup=%s files=%u encrypted=%u new=%u "
				  "deleted=%u notes=%u minute=%lld per-minute=",
		     ALERT_VERSION, (long long)a->time_ns, (int)a->pid, action_names[a->action], a->signalled ? 1 : 0,
		     a->backup_ok ? "ok" : "failed", sat(a->files), sat(a->encrypted), sat(a->new_ciphertext),
		     sat(a->originals_deleted), sat(a->notes), (long long)a->first_minute);
	if (w < 0 || (size_t)w >= cap)
		return -HF_E_LIMIT;
	k = (size_t)w;
	for (uint32_t i = 0; i < a->nminutes; i++) {
		const struct hf_mark_alert_minute *m = &a->minutes[i];
		w = snprintf(out + k, cap - k, "%s%u/%u/%u/%u", i ? "," : "", sat(m->writes), sat(m->renames),
			     sat(m->deletes), sat(m->encrypted));
		if (w < 0 || (size_t)w >= cap - k)
			return -HF_E_LIMIT;
		k += (size_t)w;
	}
	if (k + 5 >= cap)
		return -HF_E_LIMIT;
	memcpy(out + k, " exe=", 5);
	k += 5;
	/* 15 minutes of the largest counts leave ~200 bytes for the name */
	for (const unsigned char *p = (const unsigned char *)a->exe;
	     *p && p < (const unsigned char *)a->exe + sizeof(a->exe); p++) {
		if (escaped(*p)) {
			if (k + 3 >= cap)
				break;
			snprintf(out + k, cap - k, "%%%02X", *p);
			k += 3;
		} else {
			if (k + 1 >= cap)
				break;
			out[k++] = (char)*p;
		}
	}
	out[k] = 0;
	return 0;
}

/* ---- parsing ---- */

/* "key=" at *p: moves past it */
static int word(const char **p, const char *key)
{
	size_t n = strlen(key);

	if (strncmp(*p, key, n) != 0 || (*p)[n] != '=')
		return -HF_E_CORRUPT;
	*p += n + 1;
	return 0;
}

/* a decimal number of at most 19 digits, no leading zero (an optional '-'
 * if lo < 0), in [lo, hi], followed by one of the characters of ends: *p is
 * left on that character */
static int number(const char **p, long long lo, long long hi, const char *ends, long long *out)
{
	const char *s = *p;
	unsigned long long v = 0;
	int neg = 0, digits = 0;

	if (lo < 0 && *s == '-')
		neg = 1, s++;
	while (*s >= '0' && *s <= '9') {
		if (++digits > 19)
			return -HF_E_CORRUPT;
		v = v * 10 + (unsigned long long)(*s++ - '0');
	}
	if (!digits || (digits > 1 && s[-digits] == '0') || !*s || !strchr(ends, *s) ||
	    v > (unsigned long long)INT64_MAX || (neg && v == 0))
		return -HF_E_CORRUPT;
	*out = neg ? -(long long)v : (long long)v;
	if (*out < lo || *out > hi)
		return -HF_E_CORRUPT;
	*p = s;
	return 0;
}

/* "key=NUMBER " */
static int field(const char **p, const char *key, long long lo, long long hi, long long *out)
{
	int r = word(p, key);

	if (r == 0 && (r = number(p, lo, hi, " ", out)) == 0)
		(*p)++;
	return r;
}

static int count(const char **p, const char *key, uint32_t *out)
{
	long long v;
	int r = field(p, key, 0, HF_MARK_ALERT_COUNT_MAX, &v);

	*out = (uint32_t)v;
	return r;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int parse(const char *s, struct hf_mark_alert *a)
{
	const char *p = s;
	long long v;
	size_t k = 0;
	int r;

	/* "holdfast-alert/VERSION " */
	if (strncmp(p, ALERT_PREFIX, strlen(ALERT_PREFIX)) != 0)
		return -HF_E_CORRUPT;
	p += strlen(ALERT_PREFIX);
	if ((r = number(&p, 0, INT64_MAX, " ", &v)) < 0)
		return r;
	if (v != ALERT_VERSION)
		return -HF_E_VERSION;
	p++;
	if ((r = field(&p, "time", INT64_MIN + 1, INT64_MAX, &v)) < 0)
		return r;
	a->time_ns = v;
	if ((r = field(&p, "pid", 1, INT32_MAX, &v)) < 0)
		return r;
	a->pid = (int32_t)v;
	if ((r = word(&p, "action")) < 0)
		return r;
	for (a->action = 0; a->action <= HF_MARK_ALERT_ONLY; a->action++) {
		size_t n = strlen(action_names[a->action]);
		if (strncmp(p, action_names[a->action], n) == 0 && p[n] == ' ') {
			p += n + 1;
			break;
		}
	}
	if (a->action > HF_MARK_ALERT_ONLY)
		return -HF_E_CORRUPT;
	if ((r = field(&p, "signalled", 0, 1, &v)) < 0)
		return r;
	a->signalled = (int)v;
	if ((r = word(&p, "backup")) < 0)
		return r;
	if (strncmp(p, "ok ", 3) == 0)
		a->backup_ok = 1, p += 3;
	else if (strncmp(p, "failed ", 7) == 0)
		p += 7;
	else
		return -HF_E_CORRUPT;
	if ((r = count(&p, "files", &a->files)) < 0 || (r = count(&p, "encrypted", &a->encrypted)) < 0 ||
	    (r = count(&p, "new", &a->new_ciphertext)) < 0 || (r = count(&p, "deleted", &a->originals_deleted)) < 0 ||
	    (r = count(&p, "notes", &a->notes)) < 0)
		return r;
	/* minutes since 1970 that fit an int64 of nanoseconds */
	if ((r = field(&p, "minute", -(INT64_MAX / 60000000000LL), INT64_MAX / 60000000000LL - HF_MARK_ALERT_MINUTES,
		       &v)) < 0)
		return r;
	a->first_minute = v;
	if ((r = word(&p, "per-minute")) < 0)
		return r;
	/* W/R/D/E, comma-separated (none: no minute) */
	for (int more = *p != ' '; more;) {
		struct hf_mark_alert_minute *m;
		uint32_t *c[4];
		if (a->nminutes == HF_MARK_ALERT_MINUTES)
			return -HF_E_CORRUPT;
		m = &a->minutes[a->nminutes++];
		c[0] = &m->writes, c[1] = &m->renames, c[2] = &m->deletes, c[3] = &m->encrypted;
		for (int i = 0; i < 4; i++) {
			if ((r = number(&p, 0, HF_MARK_ALERT_COUNT_MAX, i < 3 ? "/" : ", ", &v)) < 0)
				return r;
			*c[i] = (uint32_t)v;
			if (i < 3)
				p++;
		}
		more = *p++ == ',';
	}
	if (!a->nminutes && *p++ != ' ')
		return -HF_E_CORRUPT;
	if ((r = word(&p, "exe")) < 0)
		return r;
	for (; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c == '%') {
			int h = hexval(p[1]), l = h < 0 ? -1 : hexval(p[2]);
			if (l < 0)
				return -HF_E_CORRUPT;
			c = (unsigned char)(h << 4 | l);
			if (!c || !escaped(c))
				return -HF_E_CORRUPT; /* no NUL, and one spelling per name */
			p += 2;
		} else if (escaped(c)) {
			return -HF_E_CORRUPT;
		}
		if (k + 1 >= sizeof(a->exe))
			return -HF_E_CORRUPT;
		a->exe[k++] = (char)c;
	}
	a->exe[k] = 0;
	return 0;
}

int hf_mark_alert_parse(const char *text, struct hf_mark_alert *a)
{
	int r;

	memset(a, 0, sizeof(*a));
	if (!text)
		return -HF_E_CORRUPT;
	r = parse(text, a);
	if (r < 0)
		memset(a, 0, sizeof(*a));
	return r;
}
