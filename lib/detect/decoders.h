/* decoders.h — the parsers of hostile formats that other libraries provide (libmagic, qpdf,
 * libzip, libpng, libjpeg, SQLite, libmpg123 for detection; libzip with expat, poppler and
 * gmime for the report's text), behind one table of functions.
 *
 * They live in a shared object of their own, holdfast-decoders.so (lib/decoders/), opened on
 * first use: by detection's sandbox zygote, by a report that reads documents, by detection
 * when it runs in-process. The holdfast executable does not link those libraries, so a
 * command that parses nothing (restore, check, snapshots, serve, the backup's own process)
 * does not load them: they and what they pull in (GLib, libstdc++, cairo, X11 for poppler's
 * sake) are ninety-odd shared objects and 13 MiB of resident memory.
 *
 * A program that links lib/decoders/ itself (the unit tests, the fuzzers) uses that copy. */
#ifndef HF_DETECT_DECODERS_H
#define HF_DETECT_DECODERS_H

#include <stddef.h>
#include <stdint.h>

#include "detect/detect.h"

#define HF_DECODERS_ABI 1 /* bumped with any change to struct hf_decoders */
#define HF_DECODERS_FILE "holdfast-decoders.so"

/* what the text readers that write to a descriptor return (the report's child exits with it) */
enum { HF_TEXT_OK = 0, HF_TEXT_UNREADABLE = 2, HF_TEXT_LIMIT = 3 };

/* where office_text puts the text: < 0 stops the reading (the caller's buffer is full) */
typedef int (*hf_text_sink)(void *ud, const char *s, size_t n);

struct hf_decoders {
	unsigned abi; /* HF_DECODERS_ABI */
	/* libmagic: a cookie with the database loaded (NULL if it cannot be), the MIME type of
	 * p[0..n) (NULL if none; it points into the cookie), and the cookie's end */
	void *(*magic_open)(void);
	const char *(*magic_mime)(void *cookie, const uint8_t *p, size_t n);
	void (*magic_close)(void *cookie);
	/* the validators: each decodes the whole input with the format's library and returns
	 * HF_VALID_YES, HF_VALID_NO or HF_VALID_UNCHECKED (a cap was hit), or -errno (out of
	 * memory); zip and pdf may refine the profile (document type, encryption) */
	int (*valid_zip)(const uint8_t *p, size_t n, struct hf_profile *prof);
	int (*valid_pdf)(const uint8_t *p, size_t n, struct hf_profile *prof);
	int (*valid_png)(const uint8_t *p, size_t n);
	int (*valid_jpeg)(const uint8_t *p, size_t n);
	int (*valid_sqlite)(const uint8_t *p, size_t n);
	/* MPEG audio from its first frame header at p: YES if libmpg123 walks frame after frame
	 * to the end without resynchronising, UNCHECKED past its frame cap */
	int (*mp3_frames)(const uint8_t *p, size_t n);
	/* the text of an office document (docx, xlsx, odt, ods) given to put: 1 if it was one and
	 * was read, 0 if not (nothing given), -ENOMEM, or -HF_E_LIMIT (too many members, or put
	 * refused) */
	int (*office_text)(const void *p, size_t n, hf_text_sink put, void *ud);
	/* the text of a PDF, or of a mail message's header and text parts (transfer encodings
	 * undone), written to fd: an HF_TEXT_* code. mail_init once before the first mail_text,
	 * and before a seccomp filter (it may load tables). */
	int (*pdf_text)(const void *p, size_t n, int fd);
	void (*mail_init)(void);
	int (*mail_text)(const void *p, size_t n, int fd);
};

/* The table, opened on the first call (thread-safe): from the copy linked into this program,
 * else from HF_DECODERS_FILE beside the executable or in ../lib/holdfast/ from it. NULL if it
 * cannot be opened; hf_decoders_error then says why (a missing file, one another user may
 * write, an ABI mismatch). */
const struct hf_decoders *hf_decoders(void);
const char *hf_decoders_error(void);

#endif
