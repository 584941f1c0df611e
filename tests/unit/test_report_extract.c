/* test_report_extract.c — text for the personal-data count out of PDFs (poppler) and encoded
 * mail (gmime), both parsed in an isolated child (lib/report/extract_child.c): PDFs written
 * here, plain and deflated, give exactly the values planted in them; damaged, truncated and
 * hostile PDFs (a page count of a hundred million, a page tree that loops, deep nesting) come
 * back "not read" in bounded time, never a crash; the child cannot open a file or a socket, and
 * its crash, endless loop, endless wait or excess output end only that file; quoted-printable and base64
 * bodies are decoded before counting. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "report/extract.h"
#include "report/pii.h"
#include "t.h"

#define S(x) x, sizeof(x) - 1

/* the values planted (each valid) and decoys (each failing its check) */
#define PLANTED_1 "Ann ann@example.org 020 7946 0958 NI AB123456C NHS 943 476 5919"
#define PLANTED_2 "IBAN GB82 WEST 1234 5698 7654 32 card 4111 1111 1111 1111 born 12/03/1985 SW1A 1AA"
#define DECOYS "decoys BG123456C 943 476 5918 GB82 WEST 1234 5698 7654 33 4111 1111 1111 1112 meeting 12/03/1985"

static const int planted[HF_PII_COUNT] = {1, 1, 1, 1, 1, 1, 1, 1}; /* one of each category */

static void put(char **b, size_t *n, size_t *cap, const void *p, size_t k)
{
	if (*n + k + 1 > *cap) {
		*cap = (*n + k + 1) * 2;
		*b = realloc(*b, *cap);
	}
	memcpy(*b + *n, p, k);
	*n += k;
	(*b)[*n] = 0;
}

static void putf(char **b, size_t *n, size_t *cap, const char *s)
{
	put(b, n, cap, s, strlen(s));
}

/* a PDF with one page per line of text, Helvetica; pages at odd indexes deflated when
 * deflate is set. *n gets its length; free() it. */
static char *make_pdf(const char *const *lines, int pages, int deflate, size_t *n)
{
	char *b = NULL, tmp[512];
	size_t len = 0, cap = 0, *off = calloc((size_t)(3 + 2 * pages + 1), sizeof(size_t));
	int nobj = 3 + 2 * pages, o;

	putf(&b, &len, &cap, "%PDF-1.4\n%\xe2\xe3\xcf\xd3\n");
	off[1] = len;
	putf(&b, &len, &cap, "1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n");
	off[2] = len;
	putf(&b, &len, &cap, "2 0 obj << /Type /Pages /Kids [");
	for (int i = 0; i < pages; i++) {
		snprintf(tmp, sizeof(tmp), "%d 0 R ", 4 + 2 * i);
		putf(&b, &len, &cap, tmp);
	}
	snprintf(tmp, sizeof(tmp), "] /Count %d >> endobj\n", pages);
	putf(&b, &len, &cap, tmp);
	off[3] = len;
	putf(&b, &len, &cap, "3 0 obj << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> endobj\n");
	for (int i = 0; i < pages; i++) {
		char content[1024];
		unsigned char z[2048];
		uLongf zn = sizeof(z);
		int zip = deflate && (i % 2 == 1);
		snprintf(content, sizeof(content), "BT /F1 9 Tf 20 700 Td (%s) Tj ET\n", lines[i]);
		off[4 + 2 * i] = len;
		snprintf(tmp, sizeof(tmp),
			 "%d 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents %d 0 R "
			 "/Resources << /Font << /F1 3 0 R >> >> >> endobj\n",
			 4 + 2 * i, 5 + 2 * i);
		putf(&b, &len, &cap, tmp);
		off[5 + 2 * i] = len;
		if (zip) {
			compress(z, &zn, (const unsigned char *)content, strlen(content));
			snprintf(tmp, sizeof(tmp), "%d 0 obj << /Length %lu /Filter /FlateDecode >> stream\n",
				 5 + 2 * i, (unsigned long)zn);
			putf(&b, &len, &cap, tmp);
			put(&b, &len, &cap, z, zn);
		} else {
			snprintf(tmp, sizeof(tmp), "%d 0 obj << /Length %zu >> stream\n", 5 + 2 * i, strlen(content));
			putf(&b, &len, &cap, tmp);
			putf(&b, &len, &cap, content);
		}
		putf(&b, &len, &cap, "\nendstream endobj\n");
	}
	o = (int)len;
	snprintf(tmp, sizeof(tmp), "xref\n0 %d\n0000000000 65535 f \n", nobj + 1);
	putf(&b, &len, &cap, tmp);
	for (int i = 1; i <= nobj; i++) {
		snprintf(tmp, sizeof(tmp), "%010zu 00000 n \n", off[i]);
		putf(&b, &len, &cap, tmp);
	}
	snprintf(tmp, sizeof(tmp), "trailer << /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", nobj + 1, o);
	putf(&b, &len, &cap, tmp);
	free(off);
	*n = len;
	return b;
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* counts of the text hf_extract_text finds in p; the return in *r */
static void count(const void *p, size_t n, int *r, uint64_t found[HF_PII_COUNT])
{
	struct hf_pii_tally t;
	struct hf_buf out;

	memset(found, 0, HF_PII_COUNT * sizeof(*found));
	hf_buf_init(&out, 16u << 20);
	*r = hf_extract_text(p, n, &out);
	if (*r == 1) {
		hf_pii_tally_init(&t);
		T_EQ(hf_pii_tally_text(&t, (const char *)out.data, out.len, found), 0);
		hf_pii_tally_release(&t);
	}
	hf_buf_release(&out);
}

static void test_pdf_counts(void)
{
	const char *lines[] = {PLANTED_1, DECOYS, PLANTED_2, "nothing here"};
	uint64_t found[HF_PII_COUNT];
	size_t n;
	int r;

	for (int deflate = 0; deflate < 2; deflate++) {
		char *pdf = make_pdf(lines, 4, deflate, &n);
		T_CHECK(hf_extract_wanted(pdf, n));
		count(pdf, n, &r, found);
		T_EQ(r, 1);
		for (int c = 0; c < HF_PII_COUNT; c++) {
			if ((int)found[c] != planted[c])
				fprintf(stderr, "deflate %d: %s: %d, planted %d\n", deflate, hf_pii_cat_name(c),
					(int)found[c], planted[c]);
			T_EQ(found[c], planted[c]);
		}
		free(pdf);
	}
}

static void test_pdf_damaged(void)
{
	const char *lines[] = {PLANTED_1, PLANTED_2};
	uint64_t found[HF_PII_COUNT];
	size_t n;
	char *pdf = make_pdf(lines, 2, 1, &n), *bad = malloc(n);
	double t0 = now();
	int r;

	/* pages without text (a scan): not read, rather than read and found clean */
	{
		const char *blank[] = {"", " "};
		char *scan = make_pdf(blank, 2, 1, &n);
		count(scan, n, &r, found);
		T_EQ(r, 0);
		free(scan);
	}
	/* a text that mentions the header is no PDF; a header after some junk is */
	T_CHECK(!hf_extract_wanted(S("notes: the file starts with %PDF-1.7 and a comment\n")));
	T_CHECK(!hf_extract_wanted(S("%PDF-x\n")));
	T_CHECK(hf_extract_wanted(S("junk\r\n%PDF-1.4\n")));
	/* not a PDF past its header */
	count(S("%PDF-1.7\nthis is no PDF at all, no objects and no xref\n"), &r, found);
	T_EQ(r, 0);
	/* truncations: read (poppler rebuilds the xref) or not read, never a fault or an error */
	for (size_t k = 8; k < n; k += n / 23 + 1) {
		count(pdf, k, &r, found);
		T_CHECK(r == 0 || r == 1);
	}
	/* bit flips all over */
	srand(7);
	for (int i = 0; i < 24; i++) {
		memcpy(bad, pdf, n);
		for (int j = 0; j < 8; j++)
			bad[(size_t)rand() % n] ^= (char)(1u << (rand() % 8));
		count(bad, n, &r, found);
		T_CHECK(r == 0 || r == 1 || r == -HF_E_LIMIT);
	}
	T_CHECK(now() - t0 < 60);
	free(bad);
	free(pdf);
}

static void test_pdf_hostile(void)
{
	static const char many[] = "%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
				   "2 0 obj << /Type /Pages /Kids [3 0 R] /Count 100000000 >> endobj\n"
				   "3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >> endobj\n"
				   "trailer << /Root 1 0 R >>\n%%EOF\n";
	static const char loop[] = "%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
				   "2 0 obj << /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 >> endobj\n"
				   "3 0 obj << /Type /Pages /Kids [2 0 R 3 0 R] /Parent 2 0 R /Count 2 >> endobj\n"
				   "trailer << /Root 1 0 R >>\n%%EOF\n";
	uint64_t found[HF_PII_COUNT];
	char *deep;
	size_t n = 0, depth = 200000;
	double t0 = now();
	int r;

	count(S(many), &r, found);
	T_CHECK(r == 0 || r == -HF_E_LIMIT);
	count(S(loop), &r, found);
	T_EQ(r, 0);
	/* arrays nested 200,000 deep in the content stream's object */
	deep = malloc(depth * 2 + 256);
	n = (size_t)snprintf(deep, 256, "%%PDF-1.4\n1 0 obj << /Type /Catalog /Pages ");
	memset(deep + n, '[', depth);
	n += depth;
	memset(deep + n, ']', depth);
	n += depth;
	n += (size_t)snprintf(deep + n, 128, " >> endobj\ntrailer << /Root 1 0 R >>\n%%%%EOF\n");
	count(deep, n, &r, found);
	T_EQ(r, 0);
	free(deep);
	T_CHECK(now() - t0 < 60);
}

static void test_child_limits(void)
{
	const char *lines[] = {PLANTED_1, PLANTED_2, DECOYS};
	struct hf_buf out;
	size_t n;
	char *pdf = make_pdf(lines, 3, 0, &n);
	unsigned old;
	double t0;

	hf_buf_init(&out, 1 << 20);
	/* the child may not open a file (EACCES: it reports unreadable) */
	T_EQ(hf_extract_isolated(HF_EXTRACT_PDF, HF_EXTRACT_TEST_OPEN, pdf, n, &out), 0);
	/* nor make a socket (the filter kills it), and a crash ends only the child */
	T_EQ(hf_extract_isolated(HF_EXTRACT_PDF, HF_EXTRACT_TEST_SOCKET, pdf, n, &out), 0);
	T_EQ(hf_extract_isolated(HF_EXTRACT_MAIL, HF_EXTRACT_TEST_CRASH, pdf, n, &out), 0);
	T_EQ(out.len, 0);
	/* an endless loop: the CPU limit ends it */
	old = hf_extract_set_cpu_limit(1);
	t0 = now();
	T_EQ(hf_extract_isolated(HF_EXTRACT_PDF, HF_EXTRACT_TEST_SPIN, pdf, n, &out), 0);
	T_CHECK(now() - t0 < 4);
	/* a child blocked for good, using no CPU: the wall-clock deadline (3 x the CPU limit) */
	t0 = now();
	T_EQ(hf_extract_isolated(HF_EXTRACT_MAIL, HF_EXTRACT_TEST_BLOCK, pdf, n, &out), 0);
	T_CHECK(now() - t0 > 2.5 && now() - t0 < 6);
	hf_extract_set_cpu_limit(old);
	/* the same child without a test reads the PDF */
	T_EQ(hf_extract_isolated(HF_EXTRACT_PDF, 0, pdf, n, &out), 1);
	T_CHECK(out.len > 100);
	hf_buf_release(&out);
	/* from a process whose stdin, stdout and stderr are closed (the pipe is then 0 and 1) */
	{
		pid_t pid = fork();
		int st = -1;
		if (pid == 0) {
			struct hf_buf o;
			close(0);
			close(1);
			close(2);
			hf_buf_init(&o, 1 << 20);
			_exit(hf_extract_text(pdf, n, &o) == 1 && o.len > 100 ? 0 : 1);
		}
		T_CHECK(pid > 0 && waitpid(pid, &st, 0) == pid);
		T_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	/* more text than the caller takes: a limit, nothing kept */
	hf_buf_init(&out, 64);
	T_EQ(hf_extract_text(pdf, n, &out), -HF_E_LIMIT);
	T_EQ(out.len, 0);
	hf_buf_release(&out);
	free(pdf);
}

static void test_mail(void)
{
	/* quoted-printable: the phone number split by a soft line break, '=' written =3D */
	static const char qp[] =
		"From: Ann <ann@example.org>\r\nTo: bob@example.net\r\nSubject: new number\r\n"
		"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
		"Content-Transfer-Encoding: quoted-printable\r\n\r\n"
		"Hi Bob, call me on 020 79=\r\n46 0958 (a=3Db). My NHS number is 943 4=\r\n76 5919.\r\n";
	/* base64 text part beside a base64 attachment (not read) */
	static const char b64[] = "From: carol@example.org\nTo: dave@example.org\nSubject: details\n"
				  "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"XX\"\n\n"
				  "--XX\nContent-Type: text/plain\nContent-Transfer-Encoding: base64\n\n"
				  /* "born 12/03/1985, card 4111 1111 1111 1111, NI AB123456C\n" */
				  "Ym9ybiAxMi8wMy8xOTg1LCBjYXJkIDQxMTEgMTExMSAxMTExIDExMTEsIE5JIEFCMTIzNDU2Qwo=\n"
				  "--XX\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n"
				  /* "eve@example.org" */
				  "ZXZlQGV4YW1wbGUub3Jn\n--XX--\n";
	static const char plain[] = "From: ann@example.org\nSubject: hi\n\ncall 020 7946 0958\n";
	uint64_t found[HF_PII_COUNT];
	int r;

	T_CHECK(hf_extract_mail_encoded(S(qp)));
	T_CHECK(hf_extract_mail_encoded(S(b64)));
	T_CHECK(!hf_extract_mail_encoded(S(plain))); /* its bytes are its text */
	T_CHECK(!hf_extract_mail_encoded(S("Content-Transfer-Encoding: base64\nnot mail\n")));
	T_CHECK(!hf_extract_mail_encoded(S("name,phone\nAnn,020 7946 0958\n")));
	count(S(qp), &r, found);
	T_EQ(r, 1);
	T_EQ(found[HF_PII_PHONE], 1);
	T_EQ(found[HF_PII_NHS], 1);
	T_EQ(found[HF_PII_EMAIL], 2);
	count(S(b64), &r, found);
	T_EQ(r, 1);
	T_EQ(found[HF_PII_DOB], 1);
	T_EQ(found[HF_PII_CARD], 1);
	T_EQ(found[HF_PII_NINO], 1);
	T_EQ(found[HF_PII_EMAIL], 2); /* carol and dave; eve is in the attachment */
	/* plain mail is not handed to the parser */
	count(S(plain), &r, found);
	T_EQ(r, 0);
	/* every truncation of the encoded mail: read or not, never a fault */
	for (size_t k = 0; k < sizeof(b64) - 1; k += 13) {
		count(b64, k, &r, found);
		T_CHECK(r == 0 || r == 1);
	}
}

int main(void)
{
	T_RUN(test_pdf_counts);
	T_RUN(test_pdf_damaged);
	T_RUN(test_pdf_hostile);
	T_RUN(test_child_limits);
	T_RUN(test_mail);
	return T_DONE("test_report_extract");
}
