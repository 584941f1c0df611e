/* table.c — the one symbol holdfast-decoders.so exports: the table detect/decoders.c looks up.
 * (The unit tests and fuzzers link this module and the same table is found at link time.) */
#include "decoders/decoders_int.h"

__attribute__((visibility("default"))) const struct hf_decoders hf_decoders_table = {
	.abi = HF_DECODERS_ABI,
	.magic_open = hf_dec_magic_open,
	.magic_mime = hf_dec_magic_mime,
	.magic_close = hf_dec_magic_close,
	.valid_zip = hf_dec_valid_zip,
	.valid_pdf = hf_dec_valid_pdf,
	.valid_png = hf_dec_valid_png,
	.valid_jpeg = hf_dec_valid_jpeg,
	.valid_sqlite = hf_dec_valid_sqlite,
	.mp3_frames = hf_dec_mp3_frames,
	.office_text = hf_dec_office_text,
	.pdf_text = hf_dec_pdf_text,
	.mail_init = hf_dec_mail_init,
	.mail_text = hf_dec_mail_text,
};
