/* valid_zip.c — ZIP, OOXML and ODF: open with libzip's consistency checks, inflate every entry
 * and let libzip verify each CRC-32.
 *
 * Bombs are bounded: total decoded bytes stop at HF_DETECT_OUTPUT_MAX and an entry expanding more
 * than HF_DETECT_RATIO_MAX times its compressed size stops the check (HF_VALID_UNCHECKED). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>

#include "decoders/decoders_int.h"

#define SCRATCH (64u << 10)
#define ENTRIES_MAX 200000u
#define RATIO_FLOOR (1u << 20) /* below this many decoded bytes the ratio is not judged */

/* Reads a small entry (the ODF "mimetype") into buf; returns its length or -1. */
static long read_small(zip_t *za, zip_int64_t idx, char *buf, size_t cap)
{
	zip_file_t *f = zip_fopen_index(za, (zip_uint64_t)idx, 0);
	zip_int64_t r;

	if (!f)
		return -1;
	r = zip_fread(f, buf, cap);
	zip_fclose(f);
	return r < 0 ? -1 : (long)r;
}

static void refine_type(zip_t *za, struct hf_profile *prof)
{
	zip_int64_t idx;
	char mt[80];
	long len;

	if (zip_name_locate(za, "[Content_Types].xml", 0) >= 0) {
		prof->type = HF_CT_OOXML;
		return;
	}
	idx = zip_name_locate(za, "mimetype", 0);
	if (idx < 0)
		return;
	len = read_small(za, idx, mt, sizeof(mt) - 1);
	if (len <= 0)
		return;
	mt[len] = 0;
	if (strncmp(mt, "application/vnd.oasis.opendocument.", 35) == 0)
		prof->type = HF_CT_ODF;
}

int hf_dec_valid_zip(const uint8_t *p, size_t n, struct hf_profile *prof)
{
	zip_error_t zerr;
	zip_source_t *src = NULL;
	zip_t *za = NULL;
	zip_file_t *f = NULL;
	uint8_t *buf = NULL;
	uint64_t total = 0;
	zip_int64_t count, i;
	int ret = HF_VALID_NO, unchecked = 0, zer = 0;

	buf = malloc(SCRATCH);
	if (!buf)
		return -ENOMEM;
	zip_error_init(&zerr);
	src = zip_source_buffer_create(p, n, 0, &zerr);
	if (!src) {
		ret = -ENOMEM;
		goto out;
	}
	za = zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &zerr);
	if (!za) {
		zip_source_free(src);
		if (zip_error_code_zip(&zerr) == ZIP_ER_MEMORY)
			ret = -ENOMEM;
		goto out;
	}
	count = zip_get_num_entries(za, 0);
	if (count < 0)
		goto out;
	if ((zip_uint64_t)count > ENTRIES_MAX) {
		ret = HF_VALID_UNCHECKED;
		goto out;
	}
	refine_type(za, prof);
	for (i = 0; i < count; i++) {
		zip_stat_t st;
		uint64_t entry = 0;
		zip_int64_t r;

		if (zip_stat_index(za, (zip_uint64_t)i, 0, &st) < 0)
			goto out;
		if ((st.valid & ZIP_STAT_ENCRYPTION_METHOD) && st.encryption_method != ZIP_EM_NONE) {
			/* no password: the structure was checked, the data cannot be */
			prof->encrypted_container = 1;
			unchecked = 1;
			continue;
		}
		if ((st.valid & ZIP_STAT_COMP_METHOD) && !zip_compression_method_supported(st.comp_method, 0)) {
			unchecked = 1;
			continue;
		}
		f = zip_fopen_index(za, (zip_uint64_t)i, 0);
		if (!f) {
			zer = zip_error_code_zip(zip_get_error(za));
			if (zer == ZIP_ER_MEMORY)
				ret = -ENOMEM;
			goto out;
		}
		while ((r = zip_fread(f, buf, SCRATCH)) > 0) {
			entry += (uint64_t)r;
			total += (uint64_t)r;
			if (total > HF_DETECT_OUTPUT_MAX || (entry > RATIO_FLOOR && (st.valid & ZIP_STAT_COMP_SIZE) &&
							     entry / HF_DETECT_RATIO_MAX > st.comp_size)) {
				ret = HF_VALID_UNCHECKED;
				goto out;
			}
		}
		if (r < 0)
			goto out; /* inflate error, CRC mismatch or short entry */
		zip_fclose(f);
		f = NULL;
	}
	ret = unchecked ? HF_VALID_UNCHECKED : HF_VALID_YES;
out:
	if (f)
		zip_fclose(f);
	if (za)
		zip_discard(za);
	zip_error_fini(&zerr);
	free(buf);
	return ret;
}
