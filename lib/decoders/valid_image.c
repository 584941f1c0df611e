/* valid_image.c — PNG (libpng) and JPEG (libjpeg-turbo): decode every row of the image.
 *
 * Header checks pass when only the pixel data was encrypted; a full decode does not. Image size
 * is capped before any pixel is decoded; bad CRCs, libpng's "benign" errors and libjpeg's
 * corrupt-data warnings fail the check, while warnings about ancillary metadata (ICC profiles,
 * JFIF versions) do not. Both libraries report through longjmp, never to stderr. */
#include <errno.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <jerror.h>
#include <png.h>

#include "decoders/decoders_int.h"

#define PIXELS_MAX (64u << 20) /* larger images are not decoded (HF_VALID_UNCHECKED) */
#define DIM_MAX 65535u
#define JPEG_SCANS_MAX 500 /* progressive scans, as libjpeg-turbo's TJFLAG_LIMITSCANS */
#define JPEG_MEM_MAX (512l << 20)

struct png_state {
	jmp_buf jb;
	const uint8_t *p;
	size_t n, off;
	uint8_t *row;
};

static void png_err(png_structp png, png_const_charp msg)
{
	struct png_state *s = png_get_error_ptr(png);

	(void)msg;
	longjmp(s->jb, 1);
}

static void png_warn(png_structp png, png_const_charp msg)
{
	(void)png;
	(void)msg; /* ancillary-chunk complaints; everything that matters is an error */
}

static void png_rd(png_structp png, png_bytep out, size_t len)
{
	struct png_state *s = png_get_io_ptr(png);

	if (s->n - s->off < len)
		png_error(png, "short read");
	memcpy(out, s->p + s->off, len);
	s->off += len;
}

int hf_dec_valid_png(const uint8_t *p, size_t n)
{
	struct png_state *s = NULL;
	png_structp png = NULL;
	png_infop info = NULL;
	png_uint_32 w, h, y;
	volatile int ret = HF_VALID_NO;
	int passes, pass, bit_depth, color;
	size_t rowbytes;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->p = p;
	s->n = n;
	png = png_create_read_struct(PNG_LIBPNG_VER_STRING, s, png_err, png_warn);
	if (png)
		info = png_create_info_struct(png);
	if (!png || !info) {
		ret = -ENOMEM;
		goto out;
	}
	if (setjmp(s->jb))
		goto out; /* ret is still HF_VALID_NO: it is only changed after the decode */
	png_set_read_fn(png, s, png_rd);
	png_set_user_limits(png, DIM_MAX, DIM_MAX);
	png_set_chunk_malloc_max(png, 8u << 20);
	/* critical and ancillary chunks with a bad CRC are errors, not warnings */
	png_set_crc_action(png, PNG_CRC_ERROR_QUIT, PNG_CRC_ERROR_QUIT);
	png_set_benign_errors(png, 0); /* too much/extra image data, bad lengths: errors */
	png_read_info(png, info);
	png_get_IHDR(png, info, &w, &h, &bit_depth, &color, NULL, NULL, NULL);
	if ((uint64_t)w * h > PIXELS_MAX) {
		ret = HF_VALID_UNCHECKED;
		goto out;
	}
	passes = png_set_interlace_handling(png);
	png_read_update_info(png, info);
	rowbytes = png_get_rowbytes(png, info);
	s->row = malloc(rowbytes ? rowbytes : 1);
	if (!s->row) {
		ret = -ENOMEM;
		goto out;
	}
	/* interlaced passes all go into the same scratch row: we need the decode, not the image */
	for (pass = 0; pass < passes; pass++)
		for (y = 0; y < h; y++)
			png_read_row(png, s->row, NULL);
	png_read_end(png, NULL);
	ret = HF_VALID_YES;
out:
	png_destroy_read_struct(png ? &png : NULL, info ? &info : NULL, NULL);
	free(s->row);
	free(s);
	return ret;
}

struct jpeg_state {
	struct jpeg_error_mgr pub;
	struct jpeg_progress_mgr prog;
	jmp_buf jb;
	uint8_t *row;
};

static void jpeg_err_exit(j_common_ptr c)
{
	struct jpeg_state *s = (struct jpeg_state *)c->err;

	longjmp(s->jb, 1);
}

static void jpeg_quiet(j_common_ptr c)
{
	(void)c;
}

static void jpeg_emit(j_common_ptr c, int level)
{
	int code = c->err->msg_code;

	if (level >= 0)
		return; /* trace messages */
	/* warnings that mean the entropy-coded data is damaged; not the metadata ones */
	if (code == JWRN_HIT_MARKER || code == JWRN_HUFF_BAD_CODE || code == JWRN_JPEG_EOF ||
	    code == JWRN_MUST_RESYNC || code == JWRN_EXTRANEOUS_DATA || code == JWRN_BOGUS_PROGRESSION ||
	    code == JWRN_ARITH_BAD_CODE)
		c->err->num_warnings++;
}

static void jpeg_progress(j_common_ptr c)
{
	if (c->is_decompressor && ((j_decompress_ptr)c)->input_scan_number > JPEG_SCANS_MAX)
		c->err->error_exit(c);
}

int hf_dec_valid_jpeg(const uint8_t *p, size_t n)
{
	struct jpeg_decompress_struct cinfo;
	struct jpeg_state *s = NULL;
	volatile int ret = HF_VALID_NO, created = 0;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	memset(&cinfo, 0, sizeof(cinfo));
	cinfo.err = jpeg_std_error(&s->pub);
	s->pub.error_exit = jpeg_err_exit;
	s->pub.output_message = jpeg_quiet;
	s->pub.emit_message = jpeg_emit;
	if (setjmp(s->jb))
		goto out;
	jpeg_create_decompress(&cinfo);
	created = 1;
	cinfo.mem->max_memory_to_use = JPEG_MEM_MAX;
	s->prog.progress_monitor = jpeg_progress;
	cinfo.progress = &s->prog;
	jpeg_mem_src(&cinfo, p, (unsigned long)n);
	if (jpeg_read_header(&cinfo, TRUE) != JPEG_HEADER_OK)
		goto out;
	if ((uint64_t)cinfo.image_width * cinfo.image_height > PIXELS_MAX) {
		ret = HF_VALID_UNCHECKED;
		goto out;
	}
	/* every coefficient is still entropy-decoded at 1/8 scale; only the IDCT gets cheaper */
	cinfo.scale_num = 1;
	cinfo.scale_denom = 8;
	cinfo.dct_method = JDCT_IFAST;
	cinfo.do_fancy_upsampling = FALSE;
	jpeg_start_decompress(&cinfo);
	s->row = malloc((size_t)cinfo.output_width * (size_t)cinfo.output_components + 1);
	if (!s->row) {
		ret = -ENOMEM;
		goto out;
	}
	while (cinfo.output_scanline < cinfo.output_height) {
		JSAMPROW rp = s->row;

		jpeg_read_scanlines(&cinfo, &rp, 1);
	}
	jpeg_finish_decompress(&cinfo);
	if (s->pub.num_warnings == 0)
		ret = HF_VALID_YES;
out:
	if (created)
		jpeg_destroy_decompress(&cinfo);
	free(s->row);
	free(s);
	return ret;
}
