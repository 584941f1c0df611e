/* valid_mp3.c — MPEG audio: libmpg123 walks the frames (lib/detect/valid_audio.c says why
 * and does the rest: the signature, the tag, LAME's music CRC). Synthesis, the costly part of
 * decoding, is skipped: the walk costs a few ms per MB. */
#include <errno.h>
#include <mpg123.h>

#include "decoders/decoders_int.h"

#define MP3_FRAMES_MAX (1u << 22) /* more frames than 64 MiB can hold: a cap, never reached */

int hf_dec_mp3_frames(const uint8_t *p, size_t n)
{
	mpg123_handle *h;
	unsigned frames = 0;
	int r, err;

	h = mpg123_new(NULL, &err);
	if (!h)
		return -ENOMEM;
	/* no resync: a header where one should be, or the walk fails */
	if (mpg123_param(h, MPG123_FLAGS, MPG123_QUIET | MPG123_NO_RESYNC, 0) != MPG123_OK ||
	    mpg123_param(h, MPG123_RESYNC_LIMIT, 0, 0) != MPG123_OK || mpg123_open_feed(h) != MPG123_OK ||
	    mpg123_feed(h, p, n) != MPG123_OK) {
		mpg123_delete(h);
		return -ENOMEM;
	}
	for (;;) {
		r = mpg123_framebyframe_next(h);
		if (r == MPG123_NEW_FORMAT)
			continue;
		if (r != MPG123_OK || ++frames >= MP3_FRAMES_MAX)
			break;
	}
	mpg123_delete(h);
	if (frames >= MP3_FRAMES_MAX)
		return HF_VALID_UNCHECKED;
	/* every byte fed and no frame left half-read: the input ended where a frame did */
	return frames > 0 && (r == MPG123_NEED_MORE || r == MPG123_DONE) ? HF_VALID_YES : HF_VALID_NO;
}
