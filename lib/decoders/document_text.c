/* document_text.c — the text of PDFs (poppler) and of mail messages (gmime), written to a
 * descriptor: the report runs these in a child process that can do nothing else
 * (lib/report/extract_child.c). */
#include <errno.h>
#include <glib.h>
#include <gmime/gmime.h>
#include <poppler.h>
#include <string.h>
#include <unistd.h>

#include "decoders/decoders_int.h"

#define PDF_PAGES_MAX 20000 /* a PDF with more pages is not read */

static int write_all(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n > 0) {
		ssize_t w = write(fd, c, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

int hf_dec_pdf_text(const void *p, size_t n, int out)
{
	GBytes *bytes = g_bytes_new_static(p, n);
	PopplerDocument *doc = poppler_document_new_from_bytes(bytes, NULL, NULL);
	int pages, ret = HF_TEXT_OK, text = 0;

	g_bytes_unref(bytes);
	if (!doc)
		return HF_TEXT_UNREADABLE; /* not a PDF, damaged beyond repair, or encrypted */
	pages = poppler_document_get_n_pages(doc);
	if (pages <= 0)
		ret = HF_TEXT_UNREADABLE; /* no page tree poppler could follow */
	else if (pages > PDF_PAGES_MAX)
		ret = HF_TEXT_LIMIT;
	for (int i = 0; ret == HF_TEXT_OK && i < pages; i++) {
		PopplerPage *page = poppler_document_get_page(doc, i);
		char *t;
		if (!page)
			continue;
		t = poppler_page_get_text(page);
		for (const char *c = t; c && *c && !text; c++)
			text = *c != ' ' && *c != '\n' && *c != '\t' && *c != '\r';
		if (t && (write_all(out, t, strlen(t)) < 0 || write_all(out, "\n", 1) < 0))
			ret = HF_TEXT_LIMIT; /* the parent stopped reading */
		g_free(t);
		g_object_unref(page);
	}
	g_object_unref(doc);
	/* pages of images only (a scan): what they show is not read */
	return ret == HF_TEXT_OK && !text ? HF_TEXT_UNREADABLE : ret;
}

struct mail_walk {
	GMimeStream *out;
	int err;
};

static void mail_part(GMimeObject *parent, GMimeObject *part, gpointer ud)
{
	struct mail_walk *w = ud;
	GMimeContentType *ct;
	GMimeDataWrapper *content;

	if (w->err || !GMIME_IS_PART(part))
		return;
	ct = g_mime_object_get_content_type(part);
	if (ct && !g_mime_content_type_is_type(ct, "text", "*"))
		return; /* attachments: not read here */
	content = g_mime_part_get_content(GMIME_PART(part));
	/* the body, its transfer encoding (quoted-printable, base64) undone */
	if (content &&
	    (g_mime_data_wrapper_write_to_stream(content, w->out) < 0 || g_mime_stream_write(w->out, "\n", 1) < 0))
		w->err = 1;
}

int hf_dec_mail_text(const void *p, size_t n, int out)
{
	GMimeStream *in = g_mime_stream_mem_new_with_buffer(p, n);
	GMimeParser *ps = g_mime_parser_new_with_stream(in);
	GMimeMessage *m = g_mime_parser_construct_message(ps, NULL);
	struct mail_walk w = {0};
	char *h;

	g_object_unref(ps);
	g_object_unref(in);
	if (!m)
		return HF_TEXT_UNREADABLE;
	w.out = g_mime_stream_pipe_new(out);
	g_mime_stream_pipe_set_owner(GMIME_STREAM_PIPE(w.out), FALSE);
	/* the header fields as written (addresses, subject), then each text part decoded */
	h = g_mime_object_get_headers(GMIME_OBJECT(m), NULL);
	if (h && (write_all(out, h, strlen(h)) < 0 || write_all(out, "\n", 1) < 0))
		w.err = 1;
	g_free(h);
	if (!w.err)
		g_mime_message_foreach(m, mail_part, &w);
	g_mime_stream_flush(w.out);
	g_object_unref(w.out);
	g_object_unref(m);
	return w.err ? HF_TEXT_LIMIT : HF_TEXT_OK;
}

void hf_dec_mail_init(void)
{
	g_mime_init();
}
