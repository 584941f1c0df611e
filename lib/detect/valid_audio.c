/* valid_audio.c — MPEG audio (MP3): the signature, and whether every frame still parses.
 *
 * libmpg123 walks the file frame by frame, without resynchronising: the header of each
 * frame must follow right where the previous one ended, from the first frame (after an
 * ID3v2 tag) to the end (an ID3v1 or APE tag may follow). Encrypting a block anywhere in
 * the stream destroys the frame header it covers (a frame is a few hundred bytes), and the
 * walk stops there. A block that covers no header is caught by the music CRC that LAME
 * (and ffmpeg, through libmp3lame) writes into its Info/Xing tag: a CRC-16 over every
 * audio byte after the tag frame. The walk is lib/decoders/valid_mp3.c's. */
#include <pthread.h>
#include <string.h>

#include "detect/decoders.h"
#include "detect/detect_int.h"

static const uint16_t kbps[2][3][16] = {
	/* MPEG-1: layer I, II, III */
	{{0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448, 0},
	 {0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384, 0},
	 {0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 0}},
	/* MPEG-2 and 2.5 */
	{{0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256, 0},
	 {0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160, 0},
	 {0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160, 0}},
};
static const uint16_t rates[3] = {44100, 48000, 32000};

/* what one frame header says */
struct mpa_frame {
	unsigned len;   /* bytes, header included */
	unsigned layer; /* 1..3 */
	unsigned side;  /* bytes of layer III side information (CRC included) */
};

/* 0 if p[0..4) is a valid MPEG audio frame header (no free format) */
static int frame_header(const uint8_t *p, size_t n, struct mpa_frame *f)
{
	unsigned ver, layer, br, sr, pad, mono, lsf, rate;

	if (n < 4 || p[0] != 0xff || (p[1] & 0xe0) != 0xe0)
		return -1;
	ver = (p[1] >> 3) & 3; /* 0: 2.5, 2: 2, 3: 1 */
	layer = 4 - ((p[1] >> 1) & 3);
	br = p[2] >> 4;
	sr = (p[2] >> 2) & 3;
	pad = (p[2] >> 1) & 1;
	mono = (p[3] >> 6) == 3;
	if (ver == 1 || layer == 4 || br == 0 || br == 15 || sr == 3 || (p[3] & 3) == 2)
		return -1;
	lsf = ver != 3;
	rate = rates[sr] >> (ver == 0 ? 2 : ver == 2 ? 1 : 0);
	if (layer == 1)
		f->len = (12000u * kbps[lsf][0][br] / rate + pad) * 4;
	else if (layer == 3 && lsf)
		f->len = 72000u * kbps[lsf][2][br] / rate + pad;
	else
		f->len = 144000u * kbps[lsf][layer - 1][br] / rate + pad;
	f->layer = layer;
	f->side = (lsf ? (mono ? 9 : 17) : (mono ? 17 : 32)) + ((p[1] & 1) ? 0 : 2);
	return f->len >= 4 ? 0 : -1;
}

/* where the audio starts: past an ID3v2 tag, if any */
static size_t audio_start(const uint8_t *p, size_t n)
{
	size_t size;

	if (n < 10 || memcmp(p, "ID3", 3) != 0 || ((p[6] | p[7] | p[8] | p[9]) & 0x80))
		return 0;
	size = (size_t)p[6] << 21 | (size_t)p[7] << 14 | (size_t)p[8] << 7 | p[9];
	return 10 + size + ((p[5] & 0x10) ? 10 : 0);
}

int hf_detect_is_mp3(const uint8_t *p, size_t n)
{
	struct mpa_frame a, b;
	size_t at = audio_start(p, n);

	if (at >= n || frame_header(p + at, n - at, &a) < 0)
		return 0;
	if (at > 0)
		return 1; /* an ID3v2 tag, then a frame header */
	/* no tag: two headers in a row (a lone 0xfffb matches one random start in 2^16) */
	return a.len < n && frame_header(p + a.len, n - a.len, &b) == 0 && b.layer == a.layer;
}

static uint16_t crc16_tab[256];

static void crc16_init(void)
{
	for (unsigned i = 0; i < 256; i++) {
		uint16_t c = (uint16_t)i;
		for (int k = 0; k < 8; k++)
			c = (c & 1) ? (uint16_t)((c >> 1) ^ 0xa001) : (uint16_t)(c >> 1);
		crc16_tab[i] = c;
	}
}

/* CRC-16/ARC, the one LAME's tag uses */
static uint16_t crc16(const uint8_t *p, size_t n)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	uint16_t c = 0;

	pthread_once(&once, crc16_init);
	for (size_t i = 0; i < n; i++)
		c = (uint16_t)((c >> 8) ^ crc16_tab[(c ^ p[i]) & 0xff]);
	return c;
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The LAME tag of the first frame at p[at..): HF_VALID_NO if its music CRC or length
 * disagrees with the audio that follows, HF_VALID_YES if it agrees, HF_VALID_UNCHECKED
 * if there is no tag (or its own CRC fails: not a LAME tag we can trust). */
static int lame_crc(const uint8_t *p, size_t n, size_t at)
{
	struct mpa_frame f;
	const uint8_t *x, *l;
	uint32_t flags, music;
	size_t off;

	if (frame_header(p + at, n - at, &f) < 0 || f.layer != 3 || f.len < 4 + f.side + 156 || n - at < f.len)
		return HF_VALID_UNCHECKED;
	x = p + at + 4 + f.side;
	if (memcmp(x, "Xing", 4) != 0 && memcmp(x, "Info", 4) != 0)
		return HF_VALID_UNCHECKED;
	flags = be32(x + 4);
	off = 8 + ((flags & 1) ? 4 : 0) + ((flags & 2) ? 4 : 0) + ((flags & 4) ? 100 : 0) + ((flags & 8) ? 4 : 0);
	l = x + off;
	/* the LAME extension: 36 bytes, the last two a CRC of the frame up to there */
	if ((size_t)(l + 36 - (p + at)) > f.len)
		return HF_VALID_UNCHECKED;
	if (crc16(p + at, (size_t)(l + 34 - (p + at))) != (uint16_t)(l[34] << 8 | l[35]))
		return HF_VALID_UNCHECKED;
	music = be32(l + 28); /* bytes from the tag frame to the end of the last frame */
	if (music == 0)
		return HF_VALID_UNCHECKED;
	if (music < f.len || music > n - at)
		return HF_VALID_NO; /* truncated, or not what LAME wrote */
	return crc16(p + at + f.len, music - f.len) == (uint16_t)(l[32] << 8 | l[33]) ? HF_VALID_YES : HF_VALID_NO;
}

int hf_detect_valid_mp3(const uint8_t *p, size_t n)
{
	const struct hf_decoders *dec;
	size_t at = audio_start(p, n);
	int r;

	/* libmpg123 looks for the first frame past junk: it must be right after the tag */
	if (at >= n || frame_header(p + at, n - at, &(struct mpa_frame){0}) < 0)
		return HF_VALID_NO;
	if (!(dec = hf_decoders()))
		return HF_VALID_UNCHECKED;
	r = dec->mp3_frames(p, n);
	if (r != HF_VALID_YES)
		return r;
	return lame_crc(p, n, at) == HF_VALID_NO ? HF_VALID_NO : HF_VALID_YES;
}
