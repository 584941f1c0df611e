/* test_report_alerts.c — the watcher's alerts in the report's renderings
 * (lib/report/render_alerts.c): an alert record anyone with the write-only
 * key could have written — an executable name holding HTML, quotes and
 * bytes that are not UTF-8 — comes out as text in the HTML and as a valid
 * JSON string; a record that could not be read is listed with the reason;
 * the per-minute chart and the JSON's per-minute counts are there. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/report.h"
#include "report_render.h"
#include "t.h"

static size_t count(const char *s, const char *what)
{
	size_t n = 0;

	for (const char *p = s; (p = strstr(p, what)); p += strlen(what))
		n++;
	return n;
}

/* a report of one snapshot with two alerts: a readable one with a hostile
 * executable name, and a malformed one */
static void fill(struct hf_report *rep, struct hf_report_snap *snap, struct hf_report_alert al[2], char *paths[1])
{
	/* '<', '"', '\'' and '&' need no escape in a record; \xff is any byte */
	const char *text = "holdfast-alert/1 time=1796414400000000000 pid=4242 action=kill signalled=1 backup=failed "
			   "files=9 encrypted=3 new=2 deleted=1 notes=1 minute=29940226 "
			   "per-minute=0/0/0/0,5/1/2/0,40/3/7/12 exe=/tmp/<script>alert(1)</script>&\"'\xff%20x";

	memset(rep, 0, sizeof(*rep));
	memset(snap, 0, sizeof(*snap));
	memset(al, 0, 2 * sizeof(*al));
	snap->id[0] = 0xab;
	rep->snaps = snap;
	rep->nsnaps = 1;
	rep->repo = (char *)"/backup";
	rep->host = (char *)"host";
	paths[0] = (char *)"/srv";
	rep->paths = paths;
	rep->npaths = 1;
	hf_pii_tally_init(&rep->pii);
	T_EQ(hf_mark_alert_parse(text, &al[0].rec), 0);
	al[0].in_range = 1;
	al[1].err = hf_mark_alert_parse("holdfast-alert/1 time=x", &al[1].rec);
	T_EQ(al[1].err, -HF_E_CORRUPT);
	al[1].authorized = 1;
	al[1].marked_ns = 1796414500000000000LL;
	al[1].in_range = 1;
	rep->alerts = al;
	rep->nalerts = 2;
}

static void test_html(void)
{
	struct hf_report rep;
	struct hf_report_snap snap;
	struct hf_report_alert al[2];
	char *paths[1], *h;

	fill(&rep, &snap, al, paths);
	h = render(&rep, 1);
	T_CHECK(h != NULL);
	if (!h)
		return;
	T_CHECK(strstr(h, "<script") == NULL);
	T_CHECK(strstr(h,
		       "pid 4242 <code>/tmp/&lt;script&gt;alert(1)&lt;/script&gt;&amp;&quot;&#39;&#xfffd; x</code>") !=
		NULL);
	T_CHECK(strchr(h, '\xff') == NULL);
	T_CHECK(strstr(h, "<h2 id=\"watch\">Watcher alerts</h2>") != NULL);
	T_CHECK(strstr(h, "kill: killed") != NULL);
	T_CHECK(strstr(h, "the immediate backup failed") != NULL);
	T_CHECK(strstr(h, "written with a write-only key (not authenticated)") != NULL);
	T_CHECK(strstr(h, "malformed alert record") != NULL);
	T_CHECK(strstr(h, "signed with the full key") != NULL);
	/* one chart per readable alert, one bar column per minute with events */
	T_CHECK(strstr(h, "aria-label=\"watched file events per minute before alert 1\"") != NULL);
	T_CHECK(strstr(h, "before alert 2") == NULL);
	T_EQ(count(h, ">alert</text>"), 1);
	free(h);
	/* no alert: the section says so */
	rep.nalerts = 0;
	h = render(&rep, 1);
	T_CHECK(h && strstr(h, "No alert of <code>holdfast watch</code>") != NULL);
	free(h);
}

static void test_json(void)
{
	struct hf_report rep;
	struct hf_report_snap snap;
	struct hf_report_alert al[2];
	char *paths[1], *j;

	fill(&rep, &snap, al, paths);
	j = render(&rep, 0);
	T_CHECK(j != NULL);
	if (!j)
		return;
	T_CHECK(strstr(j, "\"exe\": \"/tmp/<script>alert(1)</script>&\\\"'\\ufffd x\"") != NULL);
	T_CHECK(strchr(j, '\xff') == NULL);
	T_CHECK(strstr(j, "\"watch_alerts\": [") != NULL);
	T_CHECK(strstr(j, "\"pid\": 4242") != NULL);
	T_CHECK(strstr(j, "\"action\": \"kill\", \"signalled\": true, \"backup\": \"failed\", \"files\": 9") != NULL);
	T_EQ(count(j, "{\"minute\": "), 3);
	T_CHECK(strstr(j, "\"writes\": 40, \"renames\": 3, \"deletes\": 7, \"encrypted\": 12}") != NULL);
	T_CHECK(strstr(j, "\"minute\": \"2026-12-04T19:46:00Z\"") != NULL); /* minute 29940226 */
	T_CHECK(strstr(j, "\"error\": \"malformed alert record\"") != NULL);
	T_CHECK(strstr(j, "\"authenticated\": true") != NULL && strstr(j, "\"authenticated\": false") != NULL);
	/* the document still ends as one object */
	T_CHECK(strlen(j) > 4 && strcmp(j + strlen(j) - 4, "]\n}\n") == 0);
	free(j);
	rep.nalerts = 0;
	j = render(&rep, 0);
	T_CHECK(j && strstr(j, "\"watch_alerts\": []\n}\n") != NULL);
	free(j);
}

int main(void)
{
	T_RUN(test_html);
	T_RUN(test_json);
	return T_DONE("report_alerts");
}
