/* test_detect.c — content profiles on real files made at run time with each format's own library
 * (zlib, liblzma, libzstd, libbz2, libzip, libpng, libjpeg, sqlite3, a hand-made PDF), then the
 * same files attacked with AES-256-CTR in four ways (first 4 KiB, all but the first 4 KiB, every
 * other 4 KiB block, everything), base64/hex of ciphertext, encryption containers, bombs, and
 * truncation/garbage/bit-flip loops. HF_DETECT_BENCH=1 also prints per-type throughput,
 * HF_DETECT_VERBOSE=1 every profile of the attack matrix. */
#include <bzlib.h>
#include <lzma.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <jpeglib.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <png.h>
#include <sqlite3.h>
#include <zip.h>

#include "detect/detect.h"
#include "t.h"

#define BLK HF_DETECT_BLOCK

struct mem {
	uint8_t *p;
	size_t n;
	size_t cap;
};

static struct hf_detect *det;
static uint64_t rng = 88172645463325252ull;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void mem_free(struct mem *m)
{
	free(m->p);
	m->p = NULL;
	m->n = m->cap = 0;
}

static struct mem mem_dup(const struct mem *m)
{
	struct mem c = {malloc(m->n ? m->n : 1), m->n, m->n};

	memcpy(c.p, m->p, m->n);
	return c;
}

static void mem_append(struct mem *m, const void *p, size_t n)
{
	if (m->n + n + 1 > m->cap) {
		m->cap = (m->n + n + 1) * 2;
		m->p = realloc(m->p, m->cap);
	}
	memcpy(m->p + m->n, p, n);
	m->n += n;
}

static void mem_printf(struct mem *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void mem_printf(struct mem *m, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	int k;

	va_start(ap, fmt);
	k = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	mem_append(m, tmp, (size_t)k);
}

/* ---- inputs ---- */

static const char *const words[] = {
	"backup",     "snapshot",  "restore", "the",   "of",   "and",      "file",   "version",   "holdfast", "chunk",
	"repository", "encrypted", "valid",   "index", "pack", "a",        "to",     "is",        "in",       "that",
	"with",       "ransom",    "entropy", "block", "zip",  "document", "report", "quarterly", "invoice",  "Müller",
	"naïve",      "data",      "archive", "for",   "on",   "by",       "this",   "from",      "at",       "or",
};

static struct mem gen_text(size_t n)
{
	struct mem m = {0};
	size_t col = 0;

	while (m.n < n) {
		const char *w = words[rnd() % (sizeof(words) / sizeof(words[0]))];

		mem_append(&m, w, strlen(w));
		col += strlen(w) + 1;
		if (col > 70) {
			mem_append(&m, ".\n", 2);
			col = 0;
		} else {
			mem_append(&m, " ", 1);
		}
	}
	return m;
}

/* one gzip member, with the header fields h asks for (NULL: none) */
static struct mem gen_gzip_with(const struct mem *in, gz_header *h)
{
	z_stream z = {0};
	struct mem m = {malloc(deflateBound(&z, in->n) + 256), 0, 0};

	deflateInit2(&z, 6, Z_DEFLATED, 16 + 15, 8, Z_DEFAULT_STRATEGY);
	if (h)
		deflateSetHeader(&z, h);
	z.next_in = in->p;
	z.avail_in = (uInt)in->n;
	z.next_out = m.p;
	z.avail_out = (uInt)(in->n + in->n / 100 + 1024);
	deflate(&z, Z_FINISH);
	m.n = z.total_out;
	deflateEnd(&z);
	return m;
}

static struct mem gen_gzip(const struct mem *in)
{
	return gen_gzip_with(in, NULL);
}

static struct mem gen_xz(const struct mem *in)
{
	struct mem m = {malloc(lzma_stream_buffer_bound(in->n)), 0, 0};

	lzma_easy_buffer_encode(1, LZMA_CHECK_CRC64, NULL, in->p, in->n, m.p, &m.n, lzma_stream_buffer_bound(in->n));
	return m;
}

static struct mem gen_zstd(const struct mem *in)
{
	ZSTD_CCtx *c = ZSTD_createCCtx();
	struct mem m = {malloc(ZSTD_compressBound(in->n)), 0, 0};

	ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 1);
	m.n = ZSTD_compress2(c, m.p, ZSTD_compressBound(in->n), in->p, in->n);
	ZSTD_freeCCtx(c);
	return m;
}

static struct mem gen_bzip2(const struct mem *in)
{
	unsigned int cap = (unsigned int)(in->n + in->n / 100 + 600);
	struct mem m = {malloc(cap), 0, 0};

	BZ2_bzBuffToBuffCompress((char *)m.p, &cap, (char *)in->p, (unsigned int)in->n, 9, 0, 0);
	m.n = cap;
	return m;
}

enum zipkind { ZK_PLAIN, ZK_OOXML, ZK_ODF, ZK_AES, ZK_BOMB };

static struct mem gen_zip(enum zipkind kind, size_t text_len)
{
	zip_error_t err;
	zip_source_t *src, *e;
	zip_t *za;
	zip_stat_t st;
	struct mem m = {0};
	int i;

	zip_error_init(&err);
	src = zip_source_buffer_create(NULL, 0, 0, &err);
	zip_source_keep(src);
	za = zip_open_from_source(src, ZIP_TRUNCATE, &err);
	if (kind == ZK_ODF) {
		static const char mt[] = "application/vnd.oasis.opendocument.text";

		e = zip_source_buffer(za, mt, sizeof(mt) - 1, 0);
		zip_file_add(za, "mimetype", e, 0);
		zip_set_file_compression(za, 0, ZIP_CM_STORE, 0);
	}
	if (kind == ZK_OOXML) {
		static const char ct[] = "<?xml version=\"1.0\"?><Types xmlns=\"http://schemas."
					 "openxmlformats.org/package/2006/content-types\"></Types>";

		e = zip_source_buffer(za, ct, sizeof(ct) - 1, 0);
		zip_file_add(za, "[Content_Types].xml", e, 0);
	}
	if (kind == ZK_BOMB) {
		uint8_t *z = calloc(1, 8u << 20);

		e = zip_source_buffer(za, z, 8u << 20, 1);
		zip_file_add(za, "zeros", e, 0);
	}
	for (i = 0; i < 4; i++) {
		struct mem t = gen_text(text_len / 4);
		char name[32];
		zip_int64_t idx;

		snprintf(name, sizeof(name), "%s/part%d.%s",
			 kind == ZK_ODF     ? "content"
			 : kind == ZK_OOXML ? "word"
					    : "docs",
			 i, kind == ZK_PLAIN ? "txt" : "xml");
		e = zip_source_buffer(za, t.p, t.n, 1); /* libzip frees t.p */
		idx = zip_file_add(za, name, e, 0);
		if (kind == ZK_AES)
			zip_file_set_encryption(za, (zip_uint64_t)idx, ZIP_EM_AES_256, "secret");
	}
	zip_close(za);
	zip_source_open(src);
	zip_source_stat(src, &st);
	m.n = (size_t)st.size;
	m.p = malloc(m.n ? m.n : 1);
	zip_source_read(src, m.p, m.n);
	zip_source_close(src);
	zip_source_free(src);
	return m;
}

static void png_wr(png_structp png, png_bytep p, size_t n)
{
	mem_append(png_get_io_ptr(png), p, n);
}

static void png_fl(png_structp png)
{
	(void)png;
}

static struct mem gen_png(unsigned w, unsigned h, int interlace)
{
	struct mem m = {0};
	png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	png_infop info = png_create_info_struct(png);
	uint8_t *row = malloc((size_t)w * 3);
	unsigned x, y;
	int pass, passes;

	png_set_write_fn(png, &m, png_wr, png_fl);
	png_set_IHDR(png, info, w, h, 8, PNG_COLOR_TYPE_RGB, interlace ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE,
		     PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	png_write_info(png, info);
	passes = png_set_interlace_handling(png);
	for (pass = 0; pass < passes; pass++) {
		for (y = 0; y < h; y++) {
			for (x = 0; x < w; x++) {
				row[3 * x] = (uint8_t)(x + (rnd() & 7));
				row[3 * x + 1] = (uint8_t)(y * 2);
				row[3 * x + 2] = (uint8_t)((x ^ y) + (rnd() & 3));
			}
			png_write_row(png, row);
		}
	}
	png_write_end(png, NULL);
	png_destroy_write_struct(&png, &info);
	free(row);
	return m;
}

static struct mem gen_jpeg(unsigned w, unsigned h)
{
	struct jpeg_compress_struct c;
	struct jpeg_error_mgr jerr;
	unsigned char *out = NULL;
	unsigned long outn = 0;
	uint8_t *row = malloc((size_t)w * 3);
	struct mem m = {0};
	unsigned x;

	c.err = jpeg_std_error(&jerr);
	jpeg_create_compress(&c);
	jpeg_mem_dest(&c, &out, &outn);
	c.image_width = w;
	c.image_height = h;
	c.input_components = 3;
	c.in_color_space = JCS_RGB;
	jpeg_set_defaults(&c);
	jpeg_set_quality(&c, 90, TRUE);
	jpeg_start_compress(&c, TRUE);
	while (c.next_scanline < h) {
		for (x = 0; x < w; x++) {
			row[3 * x] = (uint8_t)(x + (rnd() & 31));
			row[3 * x + 1] = (uint8_t)(c.next_scanline + (rnd() & 15));
			row[3 * x + 2] = (uint8_t)(x * c.next_scanline / 64);
		}
		jpeg_write_scanlines(&c, &row, 1);
	}
	jpeg_finish_compress(&c);
	jpeg_destroy_compress(&c);
	free(row);
	m.p = malloc(outn);
	memcpy(m.p, out, outn);
	m.n = outn;
	free(out);
	return m;
}

static struct mem gen_sqlite(int rows, int page_size)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	sqlite3_int64 sz = 0;
	unsigned char *ser;
	struct mem m = {0};
	char sql[64];
	int i;

	sqlite3_open(":memory:", &db);
	snprintf(sql, sizeof(sql), "PRAGMA page_size=%d", page_size);
	sqlite3_exec(db, sql, NULL, NULL, NULL);
	sqlite3_exec(db,
		     "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, body TEXT);"
		     "CREATE INDEX t_name ON t(name); BEGIN",
		     NULL, NULL, NULL);
	sqlite3_prepare_v2(db, "INSERT INTO t(name, body) VALUES (?, ?)", -1, &st, NULL);
	for (i = 0; i < rows; i++) {
		struct mem t = gen_text(120);

		sqlite3_bind_text(st, 1, (const char *)t.p, 12, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 2, (const char *)t.p, (int)t.n, SQLITE_TRANSIENT);
		sqlite3_step(st);
		sqlite3_reset(st);
		mem_free(&t);
	}
	sqlite3_finalize(st);
	sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	ser = sqlite3_serialize(db, "main", &sz, 0);
	m.n = (size_t)sz;
	m.p = malloc(m.n);
	memcpy(m.p, ser, m.n);
	sqlite3_free(ser);
	sqlite3_close(db);
	return m;
}

/* A PDF by hand: catalog, page tree, `pages` pages each with a Flate content stream, xref. */
static struct mem gen_pdf(int pages)
{
	struct mem m = {0};
	size_t *off = calloc((size_t)(3 + 2 * pages + 1), sizeof(size_t));
	int i, nobj = 3 + 2 * pages;
	size_t xref;

	mem_printf(&m, "%%PDF-1.4\n%%\xe2\xe3\xcf\xd3\n");
	off[1] = m.n;
	mem_printf(&m, "1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n");
	off[2] = m.n;
	mem_printf(&m, "2 0 obj\n<< /Type /Pages /Count %d /Kids [", pages);
	for (i = 0; i < pages; i++)
		mem_printf(&m, " %d 0 R", 4 + 2 * i);
	mem_printf(&m, " ] >>\nendobj\n");
	off[3] = m.n;
	mem_printf(&m, "3 0 obj\n<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>\nendobj\n");
	for (i = 0; i < pages; i++) {
		struct mem t = gen_text(6000), content = {0};
		uLongf zn;
		uint8_t *z;
		size_t k, line = 0;

		mem_printf(&content, "BT /F1 9 Tf 40 800 Td 11 TL\n");
		for (k = 0; k < t.n; k++) {
			if (t.p[k] == '\n' || k == 0) {
				mem_printf(&content, "%s(", k ? ") '\n" : "");
				line++;
				continue;
			}
			if (t.p[k] == '(' || t.p[k] == ')' || t.p[k] == '\\' || t.p[k] >= 0x80)
				continue;
			mem_append(&content, &t.p[k], 1);
		}
		mem_printf(&content, ") ' ET\n");
		zn = compressBound(content.n);
		z = malloc(zn);
		compress2(z, &zn, content.p, content.n, 9);
		off[4 + 2 * i] = m.n;
		mem_printf(&m,
			   "%d 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
			   "/Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>\nendobj\n",
			   4 + 2 * i, 5 + 2 * i);
		off[5 + 2 * i] = m.n;
		mem_printf(&m, "%d 0 obj\n<< /Length %lu /Filter /FlateDecode >>\nstream\n", 5 + 2 * i,
			   (unsigned long)zn);
		mem_append(&m, z, zn);
		mem_printf(&m, "\nendstream\nendobj\n");
		free(z);
		mem_free(&t);
		mem_free(&content);
		(void)line;
	}
	xref = m.n;
	mem_printf(&m, "xref\n0 %d\n0000000000 65535 f \n", nobj);
	for (i = 1; i < nobj; i++)
		mem_printf(&m, "%010lu 00000 n \n", (unsigned long)off[i]);
	mem_printf(&m, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%lu\n%%%%EOF\n", nobj, (unsigned long)xref);
	free(off);
	return m;
}

/* ---- attacks ---- */

static void ctr(uint8_t *p, size_t n, uint64_t nonce)
{
	static const uint8_t key[32] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
	uint8_t iv[16] = {0};
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int outl = 0, i;

	for (i = 0; i < 8; i++)
		iv[i] = (uint8_t)(nonce >> (8 * i));
	EVP_EncryptInit_ex(c, EVP_aes_256_ctr(), NULL, key, iv);
	EVP_EncryptUpdate(c, p, &outl, p, (int)n);
	EVP_CIPHER_CTX_free(c);
}

enum attack { AT_NONE, AT_HEAD, AT_SKIPHEAD, AT_ALTERNATE, AT_FULL, AT_MAX };
static const char *const attack_names[] = {"none", "head4k", "skiphead", "alternate", "full"};

/* Returns the attacked copy; *enc_blocks = 4 KiB blocks that were encrypted. */
static struct mem attack(const struct mem *in, enum attack a, uint32_t *enc_blocks)
{
	struct mem m = mem_dup(in);
	size_t off;

	*enc_blocks = 0;
	switch (a) {
	case AT_NONE:
		break;
	case AT_HEAD:
		ctr(m.p, m.n < BLK ? m.n : BLK, 1);
		*enc_blocks = 1;
		break;
	case AT_SKIPHEAD:
		if (m.n > BLK)
			ctr(m.p + BLK, m.n - BLK, 2);
		*enc_blocks = (uint32_t)((m.n - BLK) / BLK);
		break;
	case AT_ALTERNATE:
		for (off = BLK; off < m.n; off += 2 * BLK) {
			size_t k = m.n - off < BLK ? m.n - off : BLK;

			ctr(m.p + off, k, 3 + off);
			*enc_blocks += k == BLK;
		}
		break;
	case AT_FULL:
		ctr(m.p, m.n, 4);
		*enc_blocks = (uint32_t)(m.n / BLK);
		break;
	default:
		break;
	}
	return m;
}

static struct hf_profile profile(const struct mem *m)
{
	struct hf_profile p;

	memset(&p, 0xee, sizeof(p));
	T_EQ(hf_detect_profile(det, m->p, m->n, &p), 0);
	return p;
}

static int same_family(int got, int want)
{
	int zg = got == HF_CT_ZIP || got == HF_CT_OOXML || got == HF_CT_ODF;
	int zw = want == HF_CT_ZIP || want == HF_CT_OOXML || want == HF_CT_ODF;

	return got == want || (zg && zw);
}

/* The whole attack matrix for one valid file of type `want`. `plain`: uncompressed content, so
 * unencrypted blocks must not look random. */
static void matrix(const char *what, const struct mem *orig, int want, int plain)
{
	int a;

	T_CHECK(orig->n > 3 * BLK);
	for (a = AT_NONE; a < AT_MAX; a++) {
		uint32_t enc;
		struct mem m = attack(orig, (enum attack)a, &enc);
		struct hf_profile p = profile(&m);
		int fails = 0;

		switch (a) {
		case AT_NONE:
			if (p.type != want || p.valid != HF_VALID_YES || (plain && p.random_blocks > 0))
				fails = 1;
			break;
		case AT_HEAD: /* the header is gone: unknown, or recognised from the tail but broken */
			if (p.type != HF_CT_UNKNOWN && p.valid != HF_VALID_NO)
				fails = 1;
			break;
		case AT_SKIPHEAD: /* the case header checks miss */
			if (!same_family(p.type, want) || p.valid != HF_VALID_NO || p.random_blocks + 1 < enc)
				fails = 1;
			break;
		case AT_ALTERNATE:
			if (p.valid != HF_VALID_NO || p.random_blocks + 1 < enc || (plain && p.random_blocks > enc + 1))
				fails = 1;
			break;
		case AT_FULL:
			if (p.type != HF_CT_UNKNOWN || p.valid == HF_VALID_YES || p.random_blocks + 1 < p.blocks)
				fails = 1;
			break;
		}
		if (fails || getenv("HF_DETECT_VERBOSE")) {
			fprintf(fails ? stderr : stdout, "%s/%s: type %s valid %u blocks %u random %u (encrypted %u)\n",
				what, attack_names[a], hf_detect_type_name(p.type), p.valid, p.blocks, p.random_blocks,
				enc);
			T_CHECK(!fails);
		}
		mem_free(&m);
	}
}

static void test_text(void)
{
	struct mem t = gen_text(64 << 10);
	struct hf_profile p = profile(&t);

	T_EQ(p.text_utf8, 1);
	T_EQ(p.encoded_random, 0);
	T_EQ(p.encrypted_container, 0);
	T_EQ(p.blocks, 16);
	matrix("text", &t, HF_CT_TEXT, 1);
	mem_free(&t);
}

static void sink_append(void *arg, const uint8_t *p, size_t n)
{
	mem_append(arg, p, n);
}

/* hf_detect_decode_stream hands over exactly what was compressed, in pieces,
 * for every stream type and for concatenated members; a damaged stream is
 * invalid, and a type without a stream decoder is not checked */
static void test_decode_stream(void)
{
	struct mem t = gen_text(300 << 10);
	struct mem s[4] = {gen_gzip(&t), gen_xz(&t), gen_zstd(&t), gen_bzip2(&t)};
	const unsigned types[4] = {HF_CT_GZIP, HF_CT_XZ, HF_CT_ZSTD, HF_CT_BZIP2};
	struct mem out = {0}, two;

	for (int i = 0; i < 4; i++) {
		out.n = 0;
		T_EQ(hf_detect_decode_stream(s[i].p, s[i].n, types[i], sink_append, &out), HF_VALID_YES);
		T_CHECK(out.n == t.n && memcmp(out.p, t.p, t.n) == 0);
		s[i].p[s[i].n / 2] ^= 0x10;
		out.n = 0;
		T_EQ(hf_detect_decode_stream(s[i].p, s[i].n, types[i], sink_append, &out), HF_VALID_NO);
		s[i].p[s[i].n / 2] ^= 0x10;
	}
	two = mem_dup(&s[0]);
	mem_append(&two, s[0].p, s[0].n);
	out.n = 0;
	T_EQ(hf_detect_decode_stream(two.p, two.n, HF_CT_GZIP, sink_append, &out), HF_VALID_YES);
	T_CHECK(out.n == 2 * t.n && memcmp(out.p + t.n, t.p, t.n) == 0);
	T_EQ(hf_detect_decode_stream(t.p, t.n, HF_CT_TEXT, sink_append, &out), HF_VALID_UNCHECKED);
	mem_free(&two);
	mem_free(&out);
	for (int i = 0; i < 4; i++)
		mem_free(&s[i]);
	mem_free(&t);
}

static void sink_count(void *arg, const uint8_t *p, size_t n)
{
	*(size_t *)arg += n;
}

/* a gzip file's validation (libdeflate, one buffer, where the trailer
 * allows) says what the streaming decode through zlib says, on whole,
 * joined, appended-to, cut and damaged files */
static int gzip_verdicts_agree(const struct mem *m)
{
	size_t decoded = 0;
	int v = hf_detect_decode_stream(m->p, m->n, HF_CT_GZIP, NULL, NULL);
	int d = hf_detect_decode_stream(m->p, m->n, HF_CT_GZIP, sink_count, &decoded);

	if (v != d)
		fprintf(stderr, "gzip of %zu bytes: validation %d, decode %d\n", m->n, v, d);
	return v == d;
}

static void test_gzip_validation(void)
{
	struct mem big = gen_text(300 << 10), small = gen_text(20 << 10);
	struct mem gb = gen_gzip(&big), gs = gen_gzip(&small);
	struct mem cases[9];
	size_t ncases = 0;
	gz_header hcrc = {.hcrc = 1, .name = (Bytef *)"name.txt"};
	uint8_t rnd[4096];

	T_EQ(RAND_bytes(rnd, (int)sizeof(rnd)), 1);
	cases[ncases++] = mem_dup(&gb);
	cases[ncases] = mem_dup(&gs); /* small, then big: the trailer's size fits both */
	mem_append(&cases[ncases++], gb.p, gb.n);
	cases[ncases] = mem_dup(&gb); /* big, then small: the first does not fit, zlib decides */
	mem_append(&cases[ncases++], gs.p, gs.n);
	cases[ncases] = mem_dup(&gb);
	mem_append(&cases[ncases++], "appended by echo >>\n", 20);
	cases[ncases] = mem_dup(&gb);
	mem_append(&cases[ncases++], (const uint8_t *)"\0\0\0\0\0\0\0\0", 8);
	cases[ncases] = mem_dup(&gb); /* ciphertext in place of a second member */
	mem_append(&cases[ncases++], rnd, sizeof(rnd));
	cases[ncases] = mem_dup(&gb); /* a second member's magic, then ciphertext */
	mem_append(&cases[ncases], gs.p, 10);
	mem_append(&cases[ncases++], rnd, sizeof(rnd));
	cases[ncases++] = gen_gzip_with(&small, &hcrc); /* its header CRC among the bytes changed below */
	T_EQ(hf_detect_decode_stream(gb.p, gb.n, HF_CT_GZIP, NULL, NULL), HF_VALID_YES);
	T_EQ(hf_detect_decode_stream(cases[1].p, cases[1].n, HF_CT_GZIP, NULL, NULL), HF_VALID_YES);
	T_EQ(hf_detect_decode_stream(cases[2].p, cases[2].n, HF_CT_GZIP, NULL, NULL), HF_VALID_YES);
	T_EQ(hf_detect_decode_stream(cases[5].p, cases[5].n, HF_CT_GZIP, NULL, NULL), HF_VALID_NO);
	for (size_t c = 0; c < ncases; c++) {
		struct mem *m = &cases[c];
		size_t n = m->n;

		T_CHECK(gzip_verdicts_agree(m));
		/* cut short */
		for (size_t cut = 1; cut < n; cut += cut < 16 ? 1 : n / 9) {
			m->n = n - cut;
			T_CHECK(gzip_verdicts_agree(m));
		}
		m->n = n;
		/* one byte changed: header, body, CRC-32 and length of the last member */
		for (size_t at = 0; at < n; at += at < 24 ? 1 : at + 24 >= n ? 1 : n / 31) {
			m->p[at] ^= 0x41;
			T_CHECK(gzip_verdicts_agree(m));
			m->p[at] ^= 0x41;
		}
		mem_free(m);
	}
	mem_free(&gb);
	mem_free(&gs);
	mem_free(&big);
	mem_free(&small);
}

static void test_streams(void)
{
	struct mem t = gen_text(256 << 10);
	struct mem gz = gen_gzip(&t), xz = gen_xz(&t), zs = gen_zstd(&t), bz = gen_bzip2(&t);
	struct mem two = mem_dup(&gz), junk;

	matrix("gzip", &gz, HF_CT_GZIP, 0);
	matrix("xz", &xz, HF_CT_XZ, 0);
	matrix("zstd", &zs, HF_CT_ZSTD, 0);
	matrix("bzip2", &bz, HF_CT_BZIP2, 0);
	/* compressed text is high-entropy yet valid: the entropy-only false positive */
	T_EQ(profile(&gz).valid, HF_VALID_YES);
	/* concatenated gzip members are valid, and so is text appended to
	 * the file (the members are intact); binary junk after them is not */
	mem_append(&two, gz.p, gz.n);
	T_EQ(profile(&two).valid, HF_VALID_YES);
	junk = mem_dup(&gz);
	mem_append(&junk, "a line appended by echo >>\n", 27);
	T_EQ(profile(&junk).valid, HF_VALID_YES);
	mem_append(&junk, "\x00\x9c\xff\x13garbage", 11);
	T_EQ(profile(&junk).valid, HF_VALID_NO);
	/* nor is ciphertext in place of the members after the first */
	{
		struct mem enc = mem_dup(&gz), rnd = {malloc(gz.n), gz.n, gz.n};
		T_EQ(RAND_bytes(rnd.p, (int)rnd.n), 1);
		mem_append(&enc, rnd.p, rnd.n);
		T_EQ(profile(&enc).valid, HF_VALID_NO);
		mem_free(&enc);
		mem_free(&rnd);
	}
	/* one flipped bit deep inside: the CRC or the decoder notices */
	for (struct mem *m = &gz; m; m = m == &gz ? &xz : m == &xz ? &zs : m == &zs ? &bz : NULL) {
		struct mem f = mem_dup(m);

		f.p[f.n / 2] ^= 0x10;
		T_EQ(profile(&f).valid, HF_VALID_NO);
		mem_free(&f);
	}
	mem_free(&t);
	mem_free(&gz);
	mem_free(&xz);
	mem_free(&zs);
	mem_free(&bz);
	mem_free(&two);
	mem_free(&junk);
}

/* hf_detect_utf8_update over pieces of any size says what hf_detect_utf8_text says of the
 * whole: sequences cut between pieces, bad bytes in any piece, the control-byte share */
static void test_utf8_stream(void)
{
	static const char *const seeds[] = {
		"plain ascii text\n",
		"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 na\xc3\xafve\n", /* 2, 3 and 4 byte sequences */
		"latin-1 caf\xe9\n",                                        /* no UTF-8 */
		"overlong \xe0\x80\xaf\n",                                  /* an overlong '/' */
		"surrogate \xed\xa0\x80\n",
		"beyond \xf4\x90\x80\x80\n",
		"controls \x01\x02\x03\x04\x05\n",
		"cut at the end \xe2\x82",
	};
	uint8_t buf[4096];

	for (size_t s = 0; s < sizeof(seeds) / sizeof(seeds[0]); s++) {
		size_t len = strlen(seeds[s]), n = 0;
		/* the seed once after enough clean text that its control bytes stay under 1%,
		 * and once repeated all through */
		for (int variant = 0; variant < 2; variant++) {
			n = 0;
			if (variant == 0) {
				while (n + 40 < sizeof(buf) - len) {
					memcpy(buf + n, "a line of plain text for the share, ok\n", 40);
					n += 40;
				}
				memcpy(buf + n, seeds[s], len);
				n += len;
			} else {
				while (n + len <= sizeof(buf)) {
					memcpy(buf + n, seeds[s], len);
					n += len;
				}
			}
			for (size_t piece = 1; piece <= 9; piece++) {
				struct hf_detect_utf8 u;
				hf_detect_utf8_init(&u);
				for (size_t at = 0; at < n; at += piece)
					hf_detect_utf8_update(&u, buf + at, n - at < piece ? n - at : piece);
				if (hf_detect_utf8_final(&u) != hf_detect_utf8_text(buf, n))
					fprintf(stderr, "  seed %zu variant %d piece %zu: %d streamed, %d whole\n", s,
						variant, piece, hf_detect_utf8_final(&u), hf_detect_utf8_text(buf, n));
				T_EQ(hf_detect_utf8_final(&u), hf_detect_utf8_text(buf, n));
			}
		}
	}
	/* the answers themselves: text, and each kind of bad byte */
	T_EQ(hf_detect_utf8_text((const uint8_t *)seeds[1], strlen(seeds[1])), 1);
	for (size_t s = 2; s < sizeof(seeds) / sizeof(seeds[0]); s++)
		T_EQ(hf_detect_utf8_text((const uint8_t *)seeds[s], strlen(seeds[s])), 0);
}

static int same_profile(const struct hf_profile *a, const struct hf_profile *b)
{
	return a->type == b->type && a->valid == b->valid && a->encrypted_container == b->encrypted_container &&
	       a->encoded_random == b->encoded_random && a->text_utf8 == b->text_utf8 && a->light == b->light &&
	       a->blocks == b->blocks && a->random_blocks == b->random_blocks;
}

/* hf_detect_remember: a content decoded before is answered from memory, with
 * the answer a fresh decode gives; one byte changed anywhere is decoded again */
static void test_remember(void)
{
	struct hf_detect *d = hf_detect_new();
	struct mem t = gen_text(64 << 10), gz = gen_gzip(&t), png = gen_png(64, 48, 0), flipped = mem_dup(&gz);
	const struct mem *all[] = {&gz, &png, &flipped, &t};
	struct hf_profile want, got;
	uint64_t hits, misses;

	T_CHECK(d != NULL);
	if (!d)
		return;
	flipped.p[flipped.n - 6] ^= 0x01; /* in the CRC: only a whole decode notices */
	hf_detect_remember(d, 64);
	for (int round = 0; round < 2; round++)
		for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
			want = profile(all[i]);
			memset(&got, 0xee, sizeof(got));
			T_EQ(hf_detect_profile(d, all[i]->p, all[i]->n, &got), 0);
			T_CHECK(same_profile(&got, &want));
		}
	T_EQ(profile(&flipped).valid, HF_VALID_NO);
	hf_detect_remembered(d, &hits, &misses);
	T_EQ(misses, 3); /* text is not decoded, so not remembered */
	T_EQ(hits, 3);
	hf_detect_free(d);

	/* one slot: two contents take it in turn, and neither gets the other's answer */
	d = hf_detect_new();
	hf_detect_remember(d, 1);
	for (int round = 0; round < 3; round++) {
		T_EQ(hf_detect_profile(d, gz.p, gz.n, &got), 0);
		T_EQ(got.valid, HF_VALID_YES);
		T_EQ(hf_detect_profile(d, flipped.p, flipped.n, &got), 0);
		T_EQ(got.valid, HF_VALID_NO);
	}
	hf_detect_remembered(d, &hits, &misses);
	T_EQ(hits, 0);
	hf_detect_free(d);
	mem_free(&t);
	mem_free(&gz);
	mem_free(&png);
	mem_free(&flipped);
}

static void test_zip(void)
{
	struct mem z = gen_zip(ZK_PLAIN, 128 << 10), o = gen_zip(ZK_OOXML, 128 << 10);
	struct mem d = gen_zip(ZK_ODF, 128 << 10), b = gen_zip(ZK_BOMB, 16 << 10), f;
	struct hf_profile p;

	matrix("zip", &z, HF_CT_ZIP, 0);
	matrix("ooxml", &o, HF_CT_OOXML, 0);
	matrix("odf", &d, HF_CT_ODF, 0);
	/* a flipped byte inside one deflated entry: CRC or inflate error */
	f = mem_dup(&z);
	f.p[f.n / 3] ^= 0x01;
	T_EQ(profile(&f).valid, HF_VALID_NO);
	mem_free(&f);
	/* an entry expanding > HF_DETECT_RATIO_MAX: not checked, never "valid" nor a crash */
	p = profile(&b);
	T_EQ(p.type, HF_CT_ZIP);
	T_EQ(p.valid, HF_VALID_UNCHECKED);
	if (zip_encryption_method_supported(ZIP_EM_AES_256, 1)) {
		f = gen_zip(ZK_AES, 32 << 10);
		p = profile(&f);
		T_CHECK(same_family(p.type, HF_CT_ZIP));
		T_EQ(p.encrypted_container, 1);
		T_CHECK(p.valid != HF_VALID_YES);
		{ /* validating alone reports the encrypted entries too */
			int container = 0;
			T_EQ(hf_detect_validate_as(f.p, f.n, HF_CT_ZIP, &container), p.valid);
			T_EQ(container, 1);
			T_EQ(hf_detect_validate_as(z.p, z.n, HF_CT_ZIP, &container), HF_VALID_YES);
			T_EQ(container, 0);
		}
		mem_free(&f);
	} else {
		printf("test_zip: libzip without AES: encrypted-entry check skipped\n");
	}
	mem_free(&z);
	mem_free(&o);
	mem_free(&d);
	mem_free(&b);
}

static void test_images(void)
{
	struct mem png = gen_png(160, 160, 0), ipng = gen_png(160, 160, 1), jpg = gen_jpeg(320, 240);
	struct mem f;

	matrix("png", &png, HF_CT_PNG, 0);
	matrix("png-interlaced", &ipng, HF_CT_PNG, 0);
	matrix("jpeg", &jpg, HF_CT_JPEG, 0);
	/* high entropy, yet valid */
	T_EQ(profile(&jpg).valid, HF_VALID_YES);
	f = mem_dup(&jpg);
	memset(f.p + f.n / 2, 0x55, 64); /* entropy-coded data overwritten in the middle */
	T_EQ(profile(&f).valid, HF_VALID_NO);
	mem_free(&f);
	f = mem_dup(&jpg);
	f.n -= f.n / 3; /* truncated */
	T_EQ(profile(&f).valid, HF_VALID_NO);
	mem_free(&f);
	mem_free(&png);
	mem_free(&ipng);
	mem_free(&jpg);
}

static void test_sqlite(void)
{
	struct mem db = gen_sqlite(600, 4096), f;

	matrix("sqlite", &db, HF_CT_SQLITE, 1);
	/* WAL mode header bytes: still checked */
	f = mem_dup(&db);
	f.p[18] = f.p[19] = 2;
	T_EQ(profile(&f).valid, HF_VALID_YES);
	mem_free(&f);
	mem_free(&db);
}

static void test_pdf(void)
{
	struct mem pdf = gen_pdf(8), f;

	matrix("pdf", &pdf, HF_CT_PDF, 0);
	f = mem_dup(&pdf);
	/* one bit inside a Flate stream */
	f.p[(size_t)((uint8_t *)memmem(f.p + f.n / 2, f.n / 2, "stream\n", 7) - f.p) + 40] ^= 0x20;
	T_CHECK(profile(&f).valid != HF_VALID_YES);
	mem_free(&f);
	mem_free(&pdf);
}

static void to_base64(const struct mem *in, struct mem *out, int hex)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i, col = 0;
	char q[4];

	if (hex) {
		for (i = 0; i < in->n; i++) {
			mem_printf(out, "%02x", in->p[i]);
			if ((col += 2) >= 64)
				mem_append(out, "\n", 1), col = 0;
		}
		return;
	}
	for (i = 0; i + 2 < in->n; i += 3) {
		uint32_t v = (uint32_t)in->p[i] << 16 | (uint32_t)in->p[i + 1] << 8 | in->p[i + 2];

		q[0] = b64[v >> 18];
		q[1] = b64[(v >> 12) & 63];
		q[2] = b64[(v >> 6) & 63];
		q[3] = b64[v & 63];
		mem_append(out, q, 4);
		if ((col += 4) >= 76)
			mem_append(out, "\n", 1), col = 0;
	}
	mem_append(out, "==\n", 3);
}

static void test_encoded(void)
{
	struct mem t = gen_text(48 << 10), c = mem_dup(&t);
	int hex;

	ctr(c.p, c.n, 9);
	for (hex = 0; hex < 2; hex++) {
		struct mem e = {0}, plain = {0};
		struct hf_profile p;

		to_base64(&c, &e, hex);
		p = profile(&e);
		T_EQ(p.type, HF_CT_TEXT);
		T_EQ(p.text_utf8, 1);
		T_EQ(p.valid, HF_VALID_YES);
		T_EQ(p.encoded_random, 1);
		T_EQ(p.random_blocks, 0); /* what entropy-only detectors see */
		to_base64(&t, &plain, hex);
		p = profile(&plain);
		T_EQ(p.type, HF_CT_TEXT);
		T_EQ(p.encoded_random, 0);
		mem_free(&e);
		mem_free(&plain);
	}
	/* base64 of a compressed-but-not-encrypted... is random-looking too: that is the caller's
	 * context, not ours; but short base64 cannot be judged at all */
	{
		struct mem small = {0}, s = {c.p, 300, 300};
		struct hf_profile p;

		to_base64(&s, &small, 0);
		p = profile(&small);
		T_EQ(p.encoded_random, 0);
		mem_free(&small);
	}
	mem_free(&t);
	mem_free(&c);
}

static void fill_random(uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(rnd() >> 24);
}

static void test_containers(void)
{
	struct mem m = {0};
	struct hf_profile p;
	uint8_t rb[300];
	char b64[44];
	int i;

	/* age v1, one X25519 stanza, one STREAM chunk */
	for (i = 0; i < 43; i++)
		b64[i] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"[rnd() % 64];
	b64[43] = 0;
	mem_printf(&m, "age-encryption.org/v1\n-> X25519 %s\n%s\n--- %s\n", b64, b64, b64);
	fill_random(rb, sizeof(rb));
	mem_append(&m, rb, 16 + 200 + 16);
	p = profile(&m);
	T_EQ(p.type, HF_CT_AGE);
	T_EQ(p.encrypted_container, 1);
	T_EQ(p.valid, HF_VALID_YES);
	m.n -= 220; /* a payload shorter than nonce + tag */
	T_EQ(profile(&m).valid, HF_VALID_NO);
	mem_free(&m);

	/* OpenPGP: SKESK v4 (AES-256, iterated+salted S2K), then a SEIPD packet */
	{
		uint8_t sk[] = {0xc3, 0x0d, 4, 9, 3, 8, 1, 2, 3, 4, 5, 6, 7, 8, 0x60};
		uint8_t hdr[] = {0xd2, 0xff, 0, 0, 1, 0};

		mem_append(&m, sk, sizeof(sk));
		mem_append(&m, hdr, sizeof(hdr));
		fill_random(rb, sizeof(rb));
		rb[0] = 1;
		for (i = 0; i < 16; i++)
			mem_append(&m, rb, 16);
		p = profile(&m);
		T_EQ(p.type, HF_CT_OPENPGP);
		T_EQ(p.encrypted_container, 1);
		T_EQ(p.valid, HF_VALID_YES);
		m.n -= 5;
		T_EQ(profile(&m).valid, HF_VALID_NO);
		mem_free(&m);
	}

	/* 7z framing with an AES-encrypted header (as 7z a -p -mhe=on writes) */
	{
		uint8_t sh[32] = {'7', 'z', 0xbc, 0xaf, 0x27, 0x1c, 0, 4};
		uint8_t nh[] = {0x17, 0x06, 0x80, 0x01, 0x09, 0x80, 0x10, 0x0b, 0x01, 0x02,
				0x24, 0x06, 0xf1, 0x07, 0x01, 0x0a, 0x53, 0x07, 0x00};
		uint32_t crc;
		uint64_t noff = 128, ns = sizeof(nh);

		for (i = 0; i < 8; i++) {
			sh[12 + i] = (uint8_t)(noff >> (8 * i));
			sh[20 + i] = (uint8_t)(ns >> (8 * i));
		}
		crc = (uint32_t)crc32(0, nh, sizeof(nh));
		for (i = 0; i < 4; i++)
			sh[28 + i] = (uint8_t)(crc >> (8 * i));
		crc = (uint32_t)crc32(0, sh + 12, 20);
		for (i = 0; i < 4; i++)
			sh[8 + i] = (uint8_t)(crc >> (8 * i));
		mem_append(&m, sh, sizeof(sh));
		fill_random(rb, 128);
		mem_append(&m, rb, 128);
		mem_append(&m, nh, sizeof(nh));
		p = profile(&m);
		T_EQ(p.type, HF_CT_7Z);
		T_EQ(p.valid, HF_VALID_YES);
		T_EQ(p.encrypted_container, 1);
		m.p[40] ^= 1; /* packed data is not checked; the header CRC is */
		T_EQ(profile(&m).valid, HF_VALID_YES);
		m.p[m.n - 3] ^= 1;
		T_EQ(profile(&m).valid, HF_VALID_NO);
		mem_free(&m);
	}
}

/* A real `gpg --symmetric` message, if gpg is installed. */
static void test_gpg(void)
{
	char dir[] = "/tmp/hf_detect_gpgXXXXXX", cmd[512], path[128];
	struct mem t = gen_text(20000), g = {0};
	struct hf_profile p;
	FILE *f;
	uint8_t buf[4096];
	size_t k;

	if (system("command -v gpg >/dev/null 2>&1") != 0) {
		printf("test_gpg: gpg not installed: real OpenPGP check skipped\n");
		mem_free(&t);
		return;
	}
	if (!mkdtemp(dir)) {
		T_CHECK(0);
		mem_free(&t);
		return;
	}
	snprintf(path, sizeof(path), "%s/in.txt", dir);
	f = fopen(path, "w");
	fwrite(t.p, 1, t.n, f);
	fclose(f);
	snprintf(cmd, sizeof(cmd),
		 "GNUPGHOME=%s gpg --batch --quiet --pinentry-mode loopback --passphrase x --symmetric "
		 "-o %s/out.gpg %s >/dev/null 2>&1",
		 dir, dir, path);
	T_EQ(system(cmd), 0);
	snprintf(path, sizeof(path), "%s/out.gpg", dir);
	f = fopen(path, "r");
	T_CHECK(f != NULL);
	while (f && (k = fread(buf, 1, sizeof(buf), f)) > 0)
		mem_append(&g, buf, k);
	if (f)
		fclose(f);
	p = profile(&g);
	T_EQ(p.type, HF_CT_OPENPGP);
	T_EQ(p.encrypted_container, 1);
	T_EQ(p.valid, HF_VALID_YES);
	/* stop the gpg-agent this run started for its private home, then remove the home */
	snprintf(cmd, sizeof(cmd), "GNUPGHOME=%s gpgconf --kill gpg-agent >/dev/null 2>&1; rm -rf %s", dir, dir);
	T_EQ(system(cmd), 0);
	mem_free(&t);
	mem_free(&g);
}

/* ---------------------------------------------------------------- MPEG audio */

/* n frames of MPEG-1 layer III, 128 kbit/s, 44.1 kHz (417 or 418 bytes), zero side
 * information and audio data: silence libmpg123 walks like any other stream */
static struct mem gen_mp3_frames(unsigned frames, int id3)
{
	struct mem m = {0};
	uint8_t f[418];
	unsigned acc = 0;

	if (id3) {
		static const uint8_t tag[10 + 20] = {'I', 'D', '3', 3, 0, 0, 0, 0, 0,   20,  'T', 'I', 'T',
						     '2', 0,   0,   0, 6, 0, 0, 0, 'h', 'e', 'l', 'l', 'o'};
		mem_append(&m, tag, sizeof(tag));
	}
	for (unsigned i = 0; i < frames; i++) {
		/* 144000 * 128 / 44100 = 417.96: padded frames keep the average */
		int pad = (acc += 96) >= 100 ? (acc -= 100, 1) : 0;
		memset(f, 0, sizeof(f));
		f[0] = 0xff, f[1] = 0xfb, f[2] = (uint8_t)(0x90 | (pad << 1)), f[3] = 0x44;
		mem_append(&m, f, 417u + (unsigned)pad);
	}
	return m;
}

/* an MP3 made by lame from a generated tone (its Info tag carries the music CRC), or an
 * empty mem if lame is not installed */
static struct mem gen_mp3_lame(void)
{
	char dir[] = "/tmp/hf_detect_mp3XXXXXX", cmd[512], path[128];
	struct mem m = {0};
	uint8_t buf[4096];
	FILE *f;
	size_t k;

	if (system("command -v lame >/dev/null 2>&1") != 0 || !mkdtemp(dir))
		return m;
	snprintf(path, sizeof(path), "%s/in.raw", dir);
	f = fopen(path, "w");
	for (int i = 0; f && i < 44100 * 6; i++) {
		int16_t s[2] = {(int16_t)(8000.0 * ((i / 50) % 2 ? 1 : -1) * ((i % 50) / 50.0)),
				(int16_t)(rnd() % 4000)};
		fwrite(s, sizeof(s), 1, f);
	}
	if (f)
		fclose(f);
	snprintf(cmd, sizeof(cmd),
		 "lame --quiet -r -s 44.1 --bitwidth 16 --signed --little-endian -b 128 "
		 "--tt Tone %s %s/out.mp3 >/dev/null 2>&1",
		 path, dir);
	if (system(cmd) == 0) {
		snprintf(path, sizeof(path), "%s/out.mp3", dir);
		f = fopen(path, "r");
		while (f && (k = fread(buf, 1, sizeof(buf), f)) > 0)
			mem_append(&m, buf, k);
		if (f)
			fclose(f);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	T_EQ(system(cmd), 0);
	return m;
}

static int mp3_valid(const struct mem *m)
{
	return hf_detect_validate_as(m->p, m->n, HF_CT_MP3, NULL);
}

static void test_mp3(void)
{
	struct mem a = gen_mp3_frames(300, 0), t = gen_mp3_frames(300, 1), l = gen_mp3_lame(), f;
	struct hf_profile p;

	p = profile(&a);
	T_EQ(p.type, HF_CT_MP3);
	T_EQ(p.valid, HF_VALID_YES);
	p = profile(&t);
	T_EQ(p.type, HF_CT_MP3);
	T_EQ(p.valid, HF_VALID_YES);
	/* a frame header overwritten: the walk stops there */
	f = mem_dup(&a);
	ctr(f.p + 100 * 418, 512, 7);
	T_EQ(profile(&f).type, HF_CT_MP3);
	T_EQ(mp3_valid(&f), HF_VALID_NO);
	mem_free(&f);
	/* 16 bytes over one frame header in the middle */
	f = mem_dup(&t);
	for (size_t o = f.n / 2; o + 4 < f.n; o++)
		if (f.p[o] == 0xff && f.p[o + 1] == 0xfb) {
			ctr(f.p + o - 6, 16, o);
			break;
		}
	T_EQ(mp3_valid(&f), HF_VALID_NO);
	mem_free(&f);
	/* one random start is not an MP3: two headers in a row are needed */
	f = gen_text(8000);
	f.p[0] = 0xff, f.p[1] = 0xfb, f.p[2] = 0x90, f.p[3] = 0x44;
	T_CHECK(profile(&f).type != HF_CT_MP3);
	mem_free(&f);
	/* hostile: an ID3 tag that claims more than the file, a tag and then garbage,
	 * a free-format or reserved header; none is typed MP3, none crashes the validator */
	f = mem_dup(&t);
	f.p[6] = 0x7f;
	T_CHECK(profile(&f).type != HF_CT_MP3);
	T_EQ(mp3_valid(&f), HF_VALID_NO);
	memset(f.p + 30, 0xab, 8);
	f.p[6] = 0;
	T_CHECK(profile(&f).type != HF_CT_MP3);
	mem_free(&f);
	f = mem_dup(&a);
	f.p[2] = 0x00; /* free format */
	T_CHECK(profile(&f).type != HF_CT_MP3);
	T_EQ(mp3_valid(&f), HF_VALID_NO);
	f.p[2] = 0xf0; /* bad bitrate */
	T_EQ(mp3_valid(&f), HF_VALID_NO);
	mem_free(&f);
	/* bit flips and truncations: an answer, never a crash */
	for (size_t i = 0; i < a.n; i += 331) {
		f = mem_dup(&a);
		f.p[i] ^= (uint8_t)(1u << (i % 8));
		T_CHECK(mp3_valid(&f) >= 0);
		f.n = i;
		T_CHECK(mp3_valid(&f) >= 0);
		mem_free(&f);
	}
	if (l.n == 0) {
		printf("test_mp3: lame not installed: the music CRC check is not tested\n");
	} else {
		size_t at = 0;
		p = profile(&l);
		T_EQ(p.type, HF_CT_MP3);
		T_EQ(p.valid, HF_VALID_YES);
		/* 16 bytes of audio data changed inside one frame, no header touched: only
		 * LAME's music CRC sees it */
		for (size_t o = l.n / 2; o + 4 < l.n; o++)
			if (l.p[o] == 0xff && (l.p[o + 1] & 0xe0) == 0xe0) {
				at = o + 100;
				break;
			}
		T_CHECK(at > 0);
		f = mem_dup(&l);
		ctr(f.p + at, 16, 3);
		T_EQ(mp3_valid(&f), HF_VALID_NO);
		mem_free(&f);
		/* truncated: shorter than the music length the tag says */
		f = mem_dup(&l);
		f.n -= f.n / 3;
		T_EQ(mp3_valid(&f), HF_VALID_NO);
		mem_free(&f);
	}
	mem_free(&a);
	mem_free(&t);
	mem_free(&l);
}

/* hf_detect_garbled_spots: encrypted chunks inside text, not text in other charsets */
static void test_garbled_text(void)
{
	struct mem t = gen_text(64 << 10), f;
	static const char *const latin = "caf\xe9 na\xefve \xe9l\xe8ve ch\xe2teau for\xeat d\xe9j\xe0 o\xf9\n";
	static const char *const cp1251 =
		"\xef\xf0\xe8\xe2\xe5\xf2 \xe4\xee\xec \xef\xe8\xf1\xfc\xec\xee \xf0\xe0\xe1\xee\xf2\xe0 "
		"\xe7\xe0\xe2\xf2\xf0\xe0 \x96 \xe3\xee\xf0\xee\xe4\r\n";
	uint8_t chunk[48];
	size_t spots = 0;

	T_EQ(hf_detect_garbled_spots(t.p, t.n, 10), 0);
	/* re-encodings: bytes >= 0x80 everywhere, no control bytes */
	f = (struct mem){0};
	for (int i = 0; i < 500; i++)
		mem_printf(&f, "%s%s", latin, cp1251);
	T_EQ(hf_detect_garbled_spots(f.p, f.n, 10), 0);
	/* a DOS end-of-file mark after CP1251 text is no spot; a ^Z inside it is one */
	mem_append(&f, "\x1a", 1);
	T_EQ(hf_detect_garbled_spots(f.p, f.n, 10), 0);
	f.p[f.n / 2] = 0x1a;
	T_EQ(hf_detect_garbled_spots(f.p, f.n, 10), 1);
	mem_free(&f);
	/* a log with SOH field separators (FIX), pure ASCII: no spot */
	f = (struct mem){0};
	for (int i = 0; i < 300; i++)
		mem_printf(&f,
			   "8=FIX.4.2\x01"
			   "9=%d\x01"
			   "35=D\x01"
			   "49=BANK\x01"
			   "10=%03d\x01\n",
			   100 + i, i % 1000);
	T_EQ(hf_detect_garbled_spots(f.p, f.n, 10), 0);
	mem_free(&f);
	/* chunks of 48 encrypted bytes with no NUL in them: still 8-bit text, but garbled */
	f = mem_dup(&t);
	for (int c = 0; c < 4; c++) {
		uint64_t nonce = (uint64_t)c;
		do {
			memset(chunk, 0, sizeof(chunk));
			ctr(chunk, sizeof(chunk), nonce++);
		} while (memchr(chunk, 0, sizeof(chunk)));
		memcpy(f.p + 1000 + (size_t)c * 15000, chunk, sizeof(chunk));
	}
	T_EQ(hf_detect_utf8_text(f.p, f.n), 0);
	spots = hf_detect_garbled_spots(f.p, f.n, 10);
	T_CHECK(spots >= 2);
	T_CHECK(hf_detect_garbled_spots(f.p, f.n, 1) == 1); /* the cap */
	mem_free(&f);
	/* a 2 KiB chunk */
	f = mem_dup(&t);
	ctr(f.p + 5000, 2048, 9);
	T_CHECK(hf_detect_garbled_spots(f.p, f.n, 10) >= 2);
	mem_free(&f);
	mem_free(&t);
}

/* gzip bomb: 300 members of 1 MiB of zeros decode past HF_DETECT_OUTPUT_MAX. */
static void test_bombs(void)
{
	struct mem zeros = {calloc(1, 1u << 20), 1u << 20, 1u << 20}, one = gen_gzip(&zeros), bomb = {0};
	struct hf_profile p;
	struct timespec t0, t1;
	int i;

	for (i = 0; i < 300; i++)
		mem_append(&bomb, one.p, one.n);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	p = profile(&bomb);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	T_EQ(p.type, HF_CT_GZIP);
	T_EQ(p.valid, HF_VALID_UNCHECKED);
	T_CHECK(t1.tv_sec - t0.tv_sec < 5);
	mem_free(&zeros);
	mem_free(&one);
	mem_free(&bomb);
	/* a PNG that declares 60000 x 60000 pixels is not decoded */
	{
		struct mem png = gen_png(16, 16, 0);

		/* IHDR width/height at bytes 16..23, CRC at 29..32 */
		uint8_t *h = png.p + 16;
		uint32_t crc;

		h[0] = 0, h[1] = 0, h[2] = 0xea, h[3] = 0x60;
		h[4] = 0, h[5] = 0, h[6] = 0xea, h[7] = 0x60;
		crc = (uint32_t)crc32(0, png.p + 12, 17);
		png.p[29] = (uint8_t)(crc >> 24), png.p[30] = (uint8_t)(crc >> 16);
		png.p[31] = (uint8_t)(crc >> 8), png.p[32] = (uint8_t)crc;
		p = profile(&png);
		T_EQ(p.type, HF_CT_PNG);
		T_EQ(p.valid, HF_VALID_UNCHECKED);
		mem_free(&png);
	}
}

/* Never crash or hang: every prefix of small valid files, random bytes, single bit flips. */
static void test_hostile(void)
{
	struct mem zip = gen_zip(ZK_PLAIN, 1200), png = gen_png(12, 12, 1), db = gen_sqlite(3, 512);
	struct mem jpg = gen_jpeg(16, 16), pdf = gen_pdf(1), t = gen_text(3000);
	struct mem gz = gen_gzip(&t), xz = gen_xz(&t), zs = gen_zstd(&t), bz = gen_bzip2(&t);
	struct mem *all[] = {&zip, &png, &db, &jpg, &pdf, &gz, &xz, &zs, &bz};
	struct hf_profile p;
	uint8_t *r;
	size_t i, k;

	for (k = 0; k < sizeof(all) / sizeof(all[0]); k++) {
		struct mem *m = all[k];
		size_t step = m->n > 2500 ? 3 : 1;

		T_EQ(profile(m).valid, HF_VALID_YES);
		for (i = 0; i < m->n; i += step) {
			T_EQ(hf_detect_profile(det, m->p, i, &p), 0);
			/* a cut signature may be text; only a PDF missing part of its final "%%EOF"
			 * line may still pass as its own type */
			T_CHECK(i == 0 || p.valid != HF_VALID_YES || p.type == HF_CT_TEXT ||
				(m == &pdf && i + 7 >= m->n));
		}
		for (i = 0; i < m->n; i += 7) {
			struct mem f = mem_dup(m);

			f.p[i] ^= (uint8_t)(1u << (i % 8));
			T_EQ(hf_detect_profile(det, f.p, f.n, &p), 0);
			mem_free(&f);
		}
	}
	r = malloc(70000);
	for (i = 0; i < 300; i++) {
		size_t n = (size_t)(rnd() % 70000);

		fill_random(r, n);
		if (i % 3 == 1 && n > 16) /* random bytes behind a real signature */
			memcpy(r, all[i % 9]->p, 16);
		T_EQ(hf_detect_profile(det, r, n, &p), 0);
	}
	T_EQ(hf_detect_profile(det, NULL, 0, &p), 0);
	T_EQ(p.type, HF_CT_UNKNOWN);
	free(r);
	for (k = 0; k < sizeof(all) / sizeof(all[0]); k++)
		mem_free(all[k]);
	mem_free(&t);
}

/* The streaming statistics agree with the whole-buffer ones whatever the piece sizes. */
static void test_blocks_stream(void)
{
	struct mem t = gen_text(40000), c;
	struct hf_detect_blocks b;
	struct hf_profile whole, pieces;
	size_t off = 0;

	c = mem_dup(&t);
	ctr(c.p + 8192, 20000, 5);
	whole = profile(&c);
	hf_detect_blocks_init(&b);
	while (off < c.n) {
		size_t k = 1 + (size_t)(rnd() % 5000);

		if (k > c.n - off)
			k = c.n - off;
		hf_detect_blocks_update(&b, c.p + off, k);
		off += k;
	}
	memset(&pieces, 0, sizeof(pieces));
	hf_detect_blocks_final(&b, &pieces);
	T_EQ(pieces.blocks, whole.blocks);
	T_EQ(pieces.random_blocks, whole.random_blocks);
	T_EQ(whole.blocks, 10); /* 9 full blocks and a 3136-byte tail */
	T_CHECK(whole.random_blocks >= 3 && whole.random_blocks <= 5);
	mem_free(&t);
	mem_free(&c);
}

/* Every other block random (intermittent encryption): a stride of four looks only at the
 * even blocks and sees none of it; keyed sampling sees about half, whatever the pieces. */
static void test_blocks_keyed(void)
{
	const size_t nblocks = 4096;
	struct mem t = gen_text(nblocks * HF_DETECT_BLOCK);
	struct hf_detect_blocks b;
	struct hf_profile strided, keyed, again;

	for (size_t i = 1; i < nblocks; i += 2)
		ctr(t.p + i * HF_DETECT_BLOCK, HF_DETECT_BLOCK, (uint64_t)i);
	memset(&strided, 0, sizeof(strided));
	hf_detect_blocks_init_sampled(&b, 4);
	hf_detect_blocks_update(&b, t.p, t.n);
	hf_detect_blocks_final(&b, &strided);
	T_EQ(strided.blocks, nblocks / 4);
	T_EQ(strided.random_blocks, 0);

	memset(&keyed, 0, sizeof(keyed));
	hf_detect_blocks_init_keyed(&b, 4, 0x5eed);
	hf_detect_blocks_update(&b, t.p, t.n);
	hf_detect_blocks_final(&b, &keyed);
	T_CHECK(keyed.blocks > nblocks / 4 - 100 && keyed.blocks < nblocks / 4 + 100);
	T_CHECK(keyed.random_blocks * 10 > keyed.blocks * 4 && keyed.random_blocks * 10 < keyed.blocks * 6);

	/* the same key picks the same blocks when the bytes come in other pieces */
	memset(&again, 0, sizeof(again));
	hf_detect_blocks_init_keyed(&b, 4, 0x5eed);
	for (size_t off = 0, k; off < t.n; off += k) {
		k = 1 + (size_t)(rnd() % 70000);
		if (k > t.n - off)
			k = t.n - off;
		hf_detect_blocks_update(&b, t.p + off, k);
	}
	hf_detect_blocks_final(&b, &again);
	T_EQ(again.blocks, keyed.blocks);
	T_EQ(again.random_blocks, keyed.random_blocks);
	mem_free(&t);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void bench_one(const char *name, const struct mem *m)
{
	struct hf_profile p;
	double t0 = now(), dt;
	int reps = 0;

	do {
		T_CHECK(hf_detect_profile(det, m->p, m->n, &p) == 0);
		reps++;
		dt = now() - t0;
	} while (dt < 0.5);
	printf("bench %-8s %8zu bytes  valid %u  %7.1f MB/s\n", name, m->n, p.valid, (double)m->n * reps / dt / 1e6);
}

static void bench(void)
{
	struct mem t = gen_text(4u << 20), c = mem_dup(&t);
	struct mem gz = gen_gzip(&t), xz = gen_xz(&t), zs = gen_zstd(&t), bz = gen_bzip2(&t);
	struct mem zip = gen_zip(ZK_OOXML, 4u << 20), png = gen_png(1200, 1000, 0);
	struct mem jpg = gen_jpeg(2000, 1500), db = gen_sqlite(20000, 4096), pdf = gen_pdf(300);

	ctr(c.p, c.n, 7);
	bench_one("text", &t);
	bench_one("random", &c);
	bench_one("gzip", &gz);
	bench_one("xz", &xz);
	bench_one("zstd", &zs);
	bench_one("bzip2", &bz);
	bench_one("ooxml", &zip);
	bench_one("png", &png);
	bench_one("jpeg", &jpg);
	bench_one("sqlite", &db);
	bench_one("pdf", &pdf);
	{
		struct hf_detect_blocks b;
		struct hf_profile p;
		double t0 = now(), dt;
		int reps = 0;

		do {
			hf_detect_blocks_init(&b);
			hf_detect_blocks_update(&b, c.p, c.n);
			hf_detect_blocks_final(&b, &p);
			reps++;
			dt = now() - t0;
		} while (dt < 0.5);
		printf("bench %-8s %8zu bytes  blocks only  %7.1f MB/s\n", "random", c.n,
		       (double)c.n * reps / dt / 1e6);
	}
	mem_free(&t), mem_free(&c), mem_free(&gz), mem_free(&xz), mem_free(&zs), mem_free(&bz);
	mem_free(&zip), mem_free(&png), mem_free(&jpg), mem_free(&db), mem_free(&pdf);
}

int main(void)
{
	det = hf_detect_new();
	if (!det) {
		fprintf(stderr, "hf_detect_new failed (libmagic database?)\n");
		return 1;
	}
	T_RUN(test_text);
	T_RUN(test_streams);
	T_RUN(test_gzip_validation);
	T_RUN(test_remember);
	T_RUN(test_utf8_stream);
	T_RUN(test_decode_stream);
	T_RUN(test_zip);
	T_RUN(test_images);
	T_RUN(test_sqlite);
	T_RUN(test_pdf);
	T_RUN(test_encoded);
	T_RUN(test_containers);
	T_RUN(test_gpg);
	T_RUN(test_mp3);
	T_RUN(test_garbled_text);
	T_RUN(test_bombs);
	T_RUN(test_hostile);
	T_RUN(test_blocks_stream);
	T_RUN(test_blocks_keyed);
	if (getenv("HF_DETECT_BENCH"))
		bench();
	hf_detect_free(det);
	return T_DONE("test_detect");
}
