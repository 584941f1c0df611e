/* valid_pdf.c — PDF: qpdf opens the file without xref recovery, then rewrites every object (also
 * unreferenced ones) to /dev/null with all general-purpose stream filters decoded.
 *
 * Any error or warning fails the check. qpdf has no decode cap of its own, so a zlib pre-scan of
 * every stream bounds the total inflated size first (a PDF flate bomb gets HF_VALID_UNCHECKED). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include <qpdf/qpdf-c.h>

#include "decoders/decoders_int.h"

#define SCRATCH (64u << 10)

/* Inflates whatever zlib stream follows each "stream" keyword; returns 0, 1 if the total exceeds
 * HF_DETECT_OUTPUT_MAX, or -ENOMEM. */
static int flate_budget(const uint8_t *p, size_t n)
{
	uint8_t *out = NULL;
	uint64_t total = 0;
	size_t off = 0;
	int ret = 0;

	out = malloc(SCRATCH);
	if (!out)
		return -ENOMEM;
	for (;;) {
		const uint8_t *k = memmem(p + off, n - off, "stream", 6);
		z_stream z = {0};
		size_t at;
		int zr;

		if (!k)
			break;
		at = (size_t)(k - p) + 6;
		off = at;
		if (at - 6 >= 3 && memcmp(k - 3, "end", 3) == 0)
			continue;
		if (at < n && p[at] == '\r')
			at++;
		if (at >= n || p[at] != '\n')
			continue;
		at++;
		if (n - at < 2 || (p[at] & 0x0f) != 8 || ((p[at] << 8) | p[at + 1]) % 31 != 0)
			continue; /* not a zlib header */
		if (inflateInit(&z) != Z_OK) {
			ret = -ENOMEM;
			goto out;
		}
		z.next_in = (Bytef *)(uintptr_t)(p + at);
		z.avail_in = (uInt)(n - at);
		do {
			z.next_out = out;
			z.avail_out = SCRATCH;
			zr = inflate(&z, Z_NO_FLUSH);
			total += SCRATCH - z.avail_out;
		} while (zr == Z_OK && total <= HF_DETECT_OUTPUT_MAX);
		inflateEnd(&z);
		if (total > HF_DETECT_OUTPUT_MAX) {
			ret = 1;
			goto out;
		}
	}
out:
	free(out);
	return ret;
}

int hf_dec_valid_pdf(const uint8_t *p, size_t n, struct hf_profile *prof)
{
	qpdf_data q = NULL;
	qpdflogger_handle log = NULL;
	qpdf_error e;
	int ret = HF_VALID_NO, r;

	r = flate_budget(p, n);
	if (r != 0)
		return r < 0 ? r : HF_VALID_UNCHECKED;
	q = qpdf_init();
	if (!q)
		return -ENOMEM;
	qpdf_silence_errors(q);
	qpdf_set_suppress_warnings(q, QPDF_TRUE);
	log = qpdflogger_create();
	if (log) {
		qpdflogger_set_info(log, qpdf_log_dest_discard, NULL, NULL);
		qpdflogger_set_warn(log, qpdf_log_dest_discard, NULL, NULL);
		qpdflogger_set_error(log, qpdf_log_dest_discard, NULL, NULL);
		qpdf_set_logger(q, log);
	}
	qpdf_set_attempt_recovery(q, QPDF_FALSE);
	if (qpdf_read_memory(q, "input", (const char *)p, n, NULL) & QPDF_ERRORS) {
		e = qpdf_get_error(q);
		if (e && qpdf_get_error_code(q, e) == qpdf_e_password) {
			prof->encrypted_container = 1; /* needs a password: cannot be decoded */
			ret = HF_VALID_UNCHECKED;
		}
		goto out;
	}
	if (qpdf_is_encrypted(q))
		prof->encrypted_container = 1; /* empty user password: still fully checkable */
	if (qpdf_init_write(q, "/dev/null") & QPDF_ERRORS) {
		ret = HF_VALID_UNCHECKED;
		goto out;
	}
	qpdf_set_preserve_unreferenced_objects(q, QPDF_TRUE);
	qpdf_set_decode_level(q, qpdf_dl_generalized);
	qpdf_set_compress_streams(q, QPDF_FALSE);
	r = qpdf_write(q);
	if (r & QPDF_ERRORS) {
		e = qpdf_get_error(q);
		if (e && qpdf_get_error_code(q, e) == qpdf_e_system)
			ret = HF_VALID_UNCHECKED; /* no /dev/null: says nothing about the file */
		goto out;
	}
	if (!(r & QPDF_WARNINGS) && !qpdf_more_warnings(q))
		ret = HF_VALID_YES;
out:
	qpdf_cleanup(&q);
	if (log)
		qpdflogger_cleanup(&log);
	return ret;
}
