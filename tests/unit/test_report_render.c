/* test_report_render.c — the report's renderings escape what comes from the
 * repository: a file name or note holding HTML, quotes, control bytes and
 * bytes that are not UTF-8 must come out as text in the HTML and as a valid
 * JSON string. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/report.h"
#include "report_render.h"
#include "t.h"

static const char hostile[] = "/srv/<script>alert(1)</script>&\"'\x01\xff\xc3(.txt";

static void fill(struct hf_report *rep, struct hf_report_snap *snap, struct hf_report_file *file,
		 struct hf_report_note *note, struct hf_report_dir *dir, struct hf_report_item *item, char *paths[1])
{
	memset(rep, 0, sizeof(*rep));
	memset(snap, 0, sizeof(*snap));
	snap->verdict = HF_SNAP_ATTACK;
	snap->sum.encrypted = 1;
	rep->snaps = snap;
	rep->nsnaps = 1;
	rep->repo = (char *)"/backup/it's";
	rep->host = (char *)hostile;
	paths[0] = (char *)hostile;
	rep->paths = paths;
	rep->npaths = 1;
	rep->attack = 1;
	memset(file, 0, sizeof(*file));
	file->path = file->orig = (char *)hostile;
	rep->files = file;
	rep->nfiles = 1;
	memset(dir, 0, sizeof(*dir));
	dir->path = dir->types = (char *)hostile;
	rep->dirs = dir;
	rep->ndirs = 1;
	item->kind = HF_NOTE_EMAIL;
	item->value = (char *)hostile;
	memset(note, 0, sizeof(*note));
	note->path = (char *)hostile;
	note->text = (char *)hostile;
	note->len = sizeof(hostile) - 1;
	note->items = item;
	note->nitems = 1;
	rep->notes = note;
	rep->nnotes = 1;
	hf_pii_tally_init(&rep->pii);
}

static void test_html_escapes(void)
{
	struct hf_report rep;
	struct hf_report_snap snap;
	struct hf_report_file file;
	struct hf_report_note note;
	struct hf_report_dir dir;
	struct hf_report_item item;
	char *paths[1], *h;

	fill(&rep, &snap, &file, &note, &dir, &item, paths);
	h = render(&rep, 1);
	T_CHECK(h != NULL);
	if (!h)
		return;
	T_CHECK(strstr(h, "<script") == NULL);
	T_CHECK(strstr(h, "&lt;script&gt;alert(1)&lt;/script&gt;&amp;&quot;&#39;") != NULL);
	T_CHECK(strchr(h, '\x01') == NULL);
	T_CHECK(strchr(h, '\xff') == NULL);
	T_CHECK(strstr(h, "&#xfffd;") != NULL);
	T_CHECK(strstr(h, "default-src 'none'") != NULL);
	T_CHECK(strstr(h, "<svg") != NULL);
	/* the repository path is quoted for a shell in the command */
	T_CHECK(strstr(h, "--repo &#39;/backup/it&#39;\\&#39;&#39;s&#39;") != NULL);
	free(h);
}

static void test_json_escapes(void)
{
	struct hf_report rep;
	struct hf_report_snap snap;
	struct hf_report_file file;
	struct hf_report_note note;
	struct hf_report_dir dir;
	struct hf_report_item item;
	char *paths[1], *j;

	fill(&rep, &snap, &file, &note, &dir, &item, paths);
	j = render(&rep, 0);
	T_CHECK(j != NULL);
	if (!j)
		return;
	T_CHECK(strstr(j, "\"/srv/<script>alert(1)</script>&\\\"'\\u0001\\ufffd\\ufffd(.txt\"") != NULL);
	T_CHECK(strchr(j, '\x01') == NULL);
	T_CHECK(strchr(j, '\xff') == NULL);
	T_CHECK(strstr(j, "\"attack\": true") != NULL);
	T_CHECK(strstr(j, "\"files_encrypted\": 1") != NULL);
	free(j);
}

int main(void)
{
	T_RUN(test_html_escapes);
	T_RUN(test_json_escapes);
	return T_DONE("report_render");
}
