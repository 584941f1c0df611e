/* detect.c — the content profile: type from the bytes (libmagic, then our own checks for the
 * containers it misses or the signatures encryption leaves behind), dispatch to the validator of
 * that type, text and encoded-random checks, and the per-block randomness statistics.
 * Owns struct hf_detect (one libmagic cookie; one context per thread). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "detect/decoders.h"
#include "detect/detect_int.h"
#include "detect/sandbox.h"

#define MAGIC_PREFIX 4096u /* libmagic sees at most this much */
#define ZIP_EOCD_SPAN (65535u + 22u)
#define ZIP_NAMES_SPAN (64u << 10) /* where office files name their parts */
#define TEXT_PREFIX 512u           /* what decides "text": bytes written into a text file later do not make it binary */

static const char *const type_names[HF_CT_MAX] = {
	"unknown", "text",  "pdf",    "zip",     "ooxml", "odf", "jpeg",     "png", "gzip",  "xz",
	"zstd",    "bzip2", "sqlite", "openpgp", "age",   "7z",  "reserved", "elf", "other", "mp3",
};

const char *hf_detect_type_name(unsigned type)
{
	return type < HF_CT_MAX ? type_names[type] : "?";
}

void *hf_detect_magic_open(void)
{
	const struct hf_decoders *dec = hf_decoders();

	return dec ? dec->magic_open() : NULL;
}

struct hf_detect *hf_detect_new(void)
{
	struct hf_detect *d = calloc(1, sizeof(*d));
	int r;

	if (!d)
		return NULL;
	pthread_mutex_init(&d->lock, NULL);
	/* libmagic and the validators in sandboxed processes if this process can start them
	 * (sandbox.c; it must be single-threaded now), else here */
	r = hf_sandbox_acquire();
	if (r == 1) {
		d->sandboxed = 1;
		return d;
	}
	if (r < 0 || !(d->magic = hf_detect_magic_open())) {
		hf_detect_free(d);
		return NULL;
	}
	return d;
}

void hf_detect_prestart(void)
{
	hf_sandbox_prestart();
}

const char *hf_detect_unavailable(void)
{
	return hf_decoders() ? "libmagic cannot load its database" : hf_decoders_error();
}

void hf_detect_free(struct hf_detect *d)
{
	if (!d)
		return;
	if (d->sandboxed)
		hf_sandbox_release();
	if (d->magic)
		hf_decoders()->magic_close(d->magic);
	hf_detect_memo_free(d->memo);
	pthread_mutex_destroy(&d->lock);
	free(d);
}

void hf_detect_remember(struct hf_detect *d, size_t entries)
{
	if (d && !d->memo)
		d->memo = hf_detect_memo_new(entries);
}

void hf_detect_remembered(struct hf_detect *d, uint64_t *hits, uint64_t *misses)
{
	*hits = *misses = 0;
	if (d && d->memo)
		hf_detect_memo_counts(d->memo, hits, misses);
}

struct mime_map {
	const char *prefix;
	uint8_t type;
};

static const struct mime_map mimes[] = {
	{"application/octet-stream", HF_CT_UNKNOWN},
	{"application/x-empty", HF_CT_UNKNOWN},
	{"inode/x-empty", HF_CT_UNKNOWN},
	{"text/", HF_CT_TEXT},
	{"application/pdf", HF_CT_PDF},
	{"application/vnd.openxmlformats-officedocument.", HF_CT_OOXML},
	{"application/vnd.oasis.opendocument.", HF_CT_ODF},
	{"application/zip", HF_CT_ZIP},
	{"application/x-zip", HF_CT_ZIP},
	{"application/epub+zip", HF_CT_ZIP},
	{"application/java-archive", HF_CT_ZIP},
	{"image/jpeg", HF_CT_JPEG},
	{"image/png", HF_CT_PNG},
	{"application/gzip", HF_CT_GZIP},
	{"application/x-gzip", HF_CT_GZIP},
	{"application/x-xz", HF_CT_XZ},
	{"application/zstd", HF_CT_ZSTD},
	{"application/x-zstd", HF_CT_ZSTD},
	{"application/x-bzip2", HF_CT_BZIP2},
	{"application/vnd.sqlite3", HF_CT_SQLITE},
	{"application/x-sqlite3", HF_CT_SQLITE},
	{"application/pgp-encrypted", HF_CT_OPENPGP},
	{"application/x-7z-compressed", HF_CT_7Z},
	{"application/x-executable", HF_CT_ELF},
	{"application/x-pie-executable", HF_CT_ELF},
	{"application/x-sharedlib", HF_CT_ELF},
	{"application/x-object", HF_CT_ELF},
	{"application/x-coredump", HF_CT_ELF},
};

int hf_detect_magic_type(void *magic, const uint8_t *p, size_t n)
{
	const char *m = hf_decoders()->magic_mime(magic, p, n < MAGIC_PREFIX ? n : MAGIC_PREFIX);
	size_t i;

	if (!m)
		return HF_CT_UNKNOWN;
	for (i = 0; i < sizeof(mimes) / sizeof(mimes[0]); i++)
		if (strncmp(m, mimes[i].prefix, strlen(mimes[i].prefix)) == 0)
			return mimes[i].type;
	return HF_CT_OTHER;
}

/* libmagic, for what our own signatures do not know: a prefix is enough, and its text and
 * encoding checks (the slow part) are skipped because text was ruled out before. */
static int type_from_magic(struct hf_detect *d, const uint8_t *p, size_t n)
{
	int t;

	if (d->sandboxed)
		return hf_sandbox_magic(p, n < MAGIC_PREFIX ? n : MAGIC_PREFIX);
	pthread_mutex_lock(&d->lock);
	t = hf_detect_magic_type(d->magic, p, n); /* its answer points into the cookie */
	pthread_mutex_unlock(&d->lock);
	return t;
}

static int starts(const uint8_t *p, size_t n, const void *sig, size_t len)
{
	return n >= len && memcmp(p, sig, len) == 0;
}

/* a zip's first entry names tell the office formats apart */
static int zip_kind(const uint8_t *p, size_t n)
{
	size_t look = n < ZIP_NAMES_SPAN ? n : ZIP_NAMES_SPAN;

	if (starts(p, n, "PK\3\4", 4) && n >= 38 && memcmp(p + 30, "mimetype", 8) == 0 &&
	    memmem(p + 38, look - 38, "application/vnd.oasis.opendocument.", 35))
		return HF_CT_ODF;
	if (memmem(p, look, "[Content_Types].xml", 19))
		return HF_CT_OOXML;
	return HF_CT_ZIP;
}

/* The formats we validate, and the containers encryption leaves, by their signatures: a
 * few compares instead of libmagic's thousands of rules. -1 if none matches. */
static int type_from_signature(const uint8_t *p, size_t n)
{
	static const struct {
		const char *sig;
		uint8_t len, type;
	} sigs[] = {
		{"%PDF-", 5, HF_CT_PDF},
		{"\xff\xd8\xff", 3, HF_CT_JPEG},
		{"\x89PNG\r\n\x1a\n", 8, HF_CT_PNG},
		{"\x1f\x8b", 2, HF_CT_GZIP},
		{"\xfd"
		 "7zXZ\0",
		 6, HF_CT_XZ},
		{"\x28\xb5\x2f\xfd", 4, HF_CT_ZSTD},
		{"SQLite format 3\0", 16, HF_CT_SQLITE},
		{"\x7f"
		 "ELF",
		 4, HF_CT_ELF},
		{"7z\xbc\xaf\x27\x1c", 6, HF_CT_7Z},
		{"age-encryption.org/v1\n", 22, HF_CT_AGE},
		{"-----BEGIN AGE ENCRYPTED FILE-----", 34, HF_CT_AGE},
	};
	size_t i;

	if (starts(p, n, "PK\3\4", 4) || starts(p, n, "PK\5\6", 4))
		return zip_kind(p, n);
	if (n >= 4 && memcmp(p, "BZh", 3) == 0 && p[3] >= '1' && p[3] <= '9')
		return HF_CT_BZIP2;
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (starts(p, n, sigs[i].sig, sigs[i].len))
			return sigs[i].type;
	if (hf_detect_is_openpgp(p, n))
		return HF_CT_OPENPGP;
	if (hf_detect_is_mp3(p, n))
		return HF_CT_MP3;
	return -1;
}

/* Formats we do not validate whose data right after a short signature looks
 * random (compressed audio, video, archives): libmagic would know them, but
 * a random-looking start is where it is slowest (every rule fails: ~0.5 ms),
 * so they are recognised here and libmagic is not asked about random data. */
static int other_signature(const uint8_t *p, size_t n)
{
	static const struct {
		const char *sig;
		uint16_t off, len;
	} sigs[] = {
		{"Rar!\x1a\x07", 0, 6},
		{"\x04\x22\x4d\x18", 0, 4},
		{"ID3", 0, 3},
		{"OggS", 0, 4},
		{"fLaC", 0, 4},
		{"RIFF", 0, 4},
		{"ftyp", 4, 4},
		{"\x1a\x45\xdf\xa3", 0, 4},
		{"GIF8", 0, 4},
		{"MSCF", 0, 4},
		{"\x1f\x9d", 0, 2},
		{"ustar", 257, 5},
		{"\x5d\x00\x00", 0, 3},
		{"LZIP", 0, 4},
		{"wOF2", 0, 4},
		{"wOFF", 0, 4},
		{"II*\x00", 0, 4},
		{"MM\x00*", 0, 4},
		{"\x00\x00\x00\x0cjP  ", 0, 8},
	};

	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (n >= (size_t)sigs[i].off + sigs[i].len && memcmp(p + sigs[i].off, sigs[i].sig, sigs[i].len) == 0)
			return 1;
	return 0;
}

static int utf8_prefix(const uint8_t *p, size_t n)
{
	size_t k;

	/* a UTF-8 sequence may be cut at the end of the prefix */
	for (k = 0; k < 4 && k < n; k++)
		if (hf_detect_utf8_text(p, n - k))
			return 1;
	return 0;
}

/* The start is gone (or never was recognisable): look at what survives elsewhere. */
static int type_from_rest(const uint8_t *p, size_t n)
{
	size_t from;

	from = n > ZIP_EOCD_SPAN ? n - ZIP_EOCD_SPAN : 0;
	if (n >= 22 && memmem(p + from, n - from, "PK\x05\x06", 4))
		return HF_CT_ZIP;
	from = n > 1024 ? n - 1024 : 0;
	if (n >= 5 && memmem(p + from, n - from, "%%EOF", 5))
		return HF_CT_PDF;
	return HF_CT_UNKNOWN;
}

int hf_detect_validate_type(const uint8_t *p, size_t n, struct hf_profile *out)
{
	/* only the types it parses open the decoders: a process that judges text in-process (the
	 * watcher) must not stop to open them in the middle of an attack */
	const struct hf_decoders *dec = NULL;

	switch (out->type) {
	case HF_CT_TEXT:
		return out->text_utf8 || hf_detect_plain_text(p, n) ? HF_VALID_YES : HF_VALID_NO;
	case HF_CT_PDF:
		return (dec = hf_decoders()) ? dec->valid_pdf(p, n, out) : HF_VALID_UNCHECKED;
	case HF_CT_ZIP:
	case HF_CT_OOXML:
	case HF_CT_ODF:
		return (dec = hf_decoders()) ? dec->valid_zip(p, n, out) : HF_VALID_UNCHECKED;
	case HF_CT_JPEG:
		return (dec = hf_decoders()) ? dec->valid_jpeg(p, n) : HF_VALID_UNCHECKED;
	case HF_CT_PNG:
		return (dec = hf_decoders()) ? dec->valid_png(p, n) : HF_VALID_UNCHECKED;
	case HF_CT_GZIP:
	case HF_CT_XZ:
	case HF_CT_ZSTD:
	case HF_CT_BZIP2:
		return hf_detect_decode_stream(p, n, out->type, NULL, NULL);
	case HF_CT_SQLITE:
		return (dec = hf_decoders()) ? dec->valid_sqlite(p, n) : HF_VALID_UNCHECKED;
	case HF_CT_OPENPGP:
		out->encrypted_container = 1;
		return hf_detect_valid_openpgp(p, n);
	case HF_CT_AGE:
		out->encrypted_container = 1;
		return hf_detect_valid_age(p, n);
	case HF_CT_7Z:
		return hf_detect_valid_7z(p, n, out);
	case HF_CT_MP3:
		return hf_detect_valid_mp3(p, n);
	default:
		return HF_VALID_UNCHECKED;
	}
}

/* 1 for the types whose validators parse structure with a library (or our own parsers of
 * binary formats): they run in the sandbox if there is one; plain text is checked here */
static int decoded_type(unsigned type)
{
	switch (type) {
	case HF_CT_PDF:
	case HF_CT_ZIP:
	case HF_CT_OOXML:
	case HF_CT_ODF:
	case HF_CT_JPEG:
	case HF_CT_PNG:
	case HF_CT_GZIP:
	case HF_CT_XZ:
	case HF_CT_ZSTD:
	case HF_CT_BZIP2:
	case HF_CT_SQLITE:
	case HF_CT_OPENPGP:
	case HF_CT_AGE:
	case HF_CT_7Z:
	case HF_CT_MP3:
		return 1;
	default:
		return 0;
	}
}

/* the validator of out->type */
static int validate_type(const uint8_t *p, size_t n, struct hf_profile *out, int sandboxed)
{
	if (out->type == HF_CT_OPENPGP || out->type == HF_CT_AGE)
		out->encrypted_container = 1; /* whatever becomes of the worker */
	if (sandboxed && decoded_type(out->type))
		return hf_sandbox_validate(p, n, out);
	return hf_detect_validate_type(p, n, out);
}

/* validate_type, answered from d's memo for a content decoded before */
static int validate_remembered(struct hf_detect *d, const uint8_t *p, size_t n, struct hf_profile *out)
{
	uint8_t key[HF_DETECT_MEMO_KEY];
	int r;

	if (!d->memo || !decoded_type(out->type))
		return validate_type(p, n, out, d->sandboxed);
	if ((r = hf_detect_memo_get(d->memo, p, n, out, key)) >= 0)
		return r;
	r = validate_type(p, n, out, d->sandboxed);
	hf_detect_memo_put(d->memo, key, out, r);
	return r;
}

/* signatures, then text, then libmagic; then what survives of a damaged start */
static int detect_type(struct hf_detect *d, const uint8_t *p, size_t n, int whole, int full)
{
	size_t head = n < TEXT_PREFIX ? n : TEXT_PREFIX;
	int t = type_from_signature(p, n);

	if (t >= 0)
		return t;
	if (utf8_prefix(p, head) || hf_detect_plain_text(p, head))
		return HF_CT_TEXT;
	if (other_signature(p, n))
		t = HF_CT_OTHER;
	else if (full && !hf_detect_head_random(p, n))
		t = type_from_magic(d, p, n);
	else
		t = HF_CT_UNKNOWN;
	if (t == HF_CT_UNKNOWN && whole)
		t = type_from_rest(p, n);
	return t;
}

int hf_detect_content(struct hf_detect *d, const uint8_t *data, size_t n, uint64_t total, int full,
		      struct hf_profile *out)
{
	int t, r, whole = total == n && n <= HF_DETECT_VALIDATE_MAX;

	out->type = HF_CT_UNKNOWN;
	out->valid = HF_VALID_UNCHECKED;
	out->encrypted_container = 0;
	out->encoded_random = 0;
	out->text_utf8 = 0;
	out->light = !full;
	if (!d || (n > 0 && !data))
		return -EINVAL;
	if (n == 0)
		return 0;
	t = detect_type(d, data, n, whole, full);
	out->type = (uint8_t)t;
	if (total == n) {
		out->text_utf8 = full ? (uint8_t)hf_detect_utf8_text(data, n) : 0;
		if (out->text_utf8 || t == HF_CT_TEXT)
			out->encoded_random = (uint8_t)hf_detect_encoded_random(data, n);
	}
	if (t == HF_CT_OPENPGP || t == HF_CT_AGE)
		out->encrypted_container = 1;
	if (!whole || !full)
		return 0;
	r = validate_remembered(d, data, n, out);
	if (r < 0)
		return r;
	out->valid = (uint8_t)r;
	return 0;
}

int hf_detect_validate_as(const uint8_t *data, size_t n, unsigned type, int *container)
{
	struct hf_profile tmp;
	int r;

	memset(&tmp, 0, sizeof(tmp));
	if (container)
		*container = 0;
	if (type >= HF_CT_MAX || n > HF_DETECT_VALIDATE_MAX)
		return HF_VALID_UNCHECKED;
	tmp.type = (uint8_t)type;
	if (type == HF_CT_TEXT)
		tmp.text_utf8 = (uint8_t)hf_detect_utf8_text(data, n);
	r = validate_type(data, n, &tmp, hf_sandbox_active());
	if (container)
		*container = tmp.encrypted_container;
	return r;
}

int hf_detect_profile(struct hf_detect *d, const uint8_t *data, size_t n, struct hf_profile *out)
{
	struct hf_detect_blocks b;
	int r;

	r = hf_detect_content(d, data, n, n, 1, out);
	if (r < 0)
		return r;
	hf_detect_blocks_init(&b);
	hf_detect_blocks_update(&b, data, n);
	hf_detect_blocks_final(&b, out);
	return 0;
}
