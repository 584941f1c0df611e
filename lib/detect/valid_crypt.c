/* valid_crypt.c — encryption containers (OpenPGP, age) and 7z: recognise them and check that
 * their framing is intact.
 *
 * Ciphertext cannot be decoded without a key, so "valid" here means the container's own structure
 * (packet lengths, age chunking, 7z header CRCs) accounts for every byte of the file. */
#include <string.h>
#include <zlib.h>

#include "detect/detect_int.h"

#define AGE_MAGIC "age-encryption.org/v1\n"
#define AGE_HEADER_MAX (64u << 10)
#define AGE_CHUNK (65536u + 16u)
#define PGP_PACKETS_MAX 100000u

/* One OpenPGP packet header at p[*off]; on success *off is past the body. 0 ok, -1 bad. */
static int pgp_packet(const uint8_t *p, size_t n, size_t *off, int *tag)
{
	size_t o = *off, len, k, i;
	uint8_t b;

	if (o >= n || !(p[o] & 0x80))
		return -1;
	b = p[o++];
	if (!(b & 0x40)) { /* old format */
		int lt = b & 3;

		*tag = (b >> 2) & 0x0f;
		if (lt == 3) {
			*off = n; /* indeterminate: to the end of the file */
			return 0;
		}
		k = lt == 0 ? 1 : lt == 1 ? 2 : 4;
		if (n - o < k)
			return -1;
		for (len = 0, i = 0; i < k; i++)
			len = (len << 8) | p[o++];
		if (n - o < len)
			return -1;
		*off = o + len;
		return 0;
	}
	*tag = b & 0x3f;
	for (;;) { /* new format; partial body lengths chain until a definite one */
		uint8_t l1;

		if (o >= n)
			return -1;
		l1 = p[o++];
		if (l1 < 192) {
			len = l1;
		} else if (l1 < 224) {
			if (o >= n)
				return -1;
			len = ((size_t)(l1 - 192) << 8) + p[o++] + 192;
		} else if (l1 == 255) {
			if (n - o < 4)
				return -1;
			len = ((size_t)p[o] << 24) | ((size_t)p[o + 1] << 16) | ((size_t)p[o + 2] << 8) | p[o + 3];
			o += 4;
		} else {
			len = (size_t)1 << (l1 & 0x1f);
			if (n - o < len)
				return -1;
			o += len;
			continue;
		}
		if (n - o < len)
			return -1;
		*off = o + len;
		return 0;
	}
}

int hf_detect_is_openpgp(const uint8_t *p, size_t n)
{
	size_t off = 0, body;
	int tag;

	if (n >= 27 && memcmp(p, "-----BEGIN PGP MESSAGE-----", 27) == 0)
		return 1;
	if (n < 16 || pgp_packet(p, n, &off, &tag) < 0)
		return 0;
	/* the body starts after the 2..6 header bytes; find it again cheaply */
	if (p[0] & 0x40)
		body = p[1] < 192 ? 2 : p[1] < 224 ? 3 : p[1] == 255 ? 6 : 2;
	else
		body = (p[0] & 3) == 3 ? 1 : 1 + ((size_t)1 << (p[0] & 3));
	if (body + 4 > n)
		return 0;
	if (tag == 3) /* SKESK: version, cipher, S2K type */
		return (p[body] == 4 && p[body + 1] >= 1 && p[body + 1] <= 13 &&
			(p[body + 2] == 0 || p[body + 2] == 1 || p[body + 2] == 3)) ||
		       ((p[body] == 5 || p[body] == 6) && p[body + 1] >= 7 && p[body + 1] <= 13);
	if (tag == 1) /* PKESK: version 3, key id, public-key algorithm */
		return p[body] == 3 && n > body + 10 &&
		       (p[body + 9] <= 3 || p[body + 9] == 16 || (p[body + 9] >= 18 && p[body + 9] <= 22));
	return 0;
}

int hf_detect_valid_openpgp(const uint8_t *p, size_t n)
{
	size_t off = 0;
	unsigned count = 0;
	int tag, data = 0;

	if (n == 0)
		return HF_VALID_NO; /* not even a packet header */
	if (p[0] == '-')
		return HF_VALID_UNCHECKED; /* ASCII armour */
	while (off < n) {
		if (++count > PGP_PACKETS_MAX)
			return HF_VALID_UNCHECKED;
		if (pgp_packet(p, n, &off, &tag) < 0)
			return HF_VALID_NO;
		if (tag == 9 || tag == 18 || tag == 20)
			data = 1;
		else if (tag != 1 && tag != 3 && tag != 10)
			return HF_VALID_NO;
	}
	return data ? HF_VALID_YES : HF_VALID_NO;
}

/* age v1: header stanzas, a "--- " MAC line, then a 16-byte nonce and STREAM chunks of 64 KiB
 * plus a 16-byte tag each; only the first chunk may be an empty final one. */
int hf_detect_valid_age(const uint8_t *p, size_t n)
{
	size_t off = sizeof(AGE_MAGIC) - 1, lim = n < AGE_HEADER_MAX ? n : AGE_HEADER_MAX, payload, last;
	int stanzas = 0;

	if (n >= 34 && memcmp(p, "-----BEGIN AGE ENCRYPTED FILE-----", 34) == 0)
		return HF_VALID_UNCHECKED;
	for (;;) {
		const uint8_t *nl = off < lim ? memchr(p + off, '\n', lim - off) : NULL;
		size_t len;

		if (!nl)
			return HF_VALID_NO;
		len = (size_t)(nl - (p + off));
		if (len >= 4 && memcmp(p + off, "--- ", 4) == 0) {
			if (len != 4 + 43 || stanzas == 0)
				return HF_VALID_NO;
			off += len + 1;
			break;
		}
		if (len >= 3 && memcmp(p + off, "-> ", 3) == 0)
			stanzas++;
		else if (len > 64 || stanzas == 0)
			return HF_VALID_NO; /* stanza body lines are base64 of at most 64 columns */
		off += len + 1;
	}
	if (n - off < 16 + 16)
		return HF_VALID_NO;
	payload = n - off - 16;
	last = payload % AGE_CHUNK;
	if (last == 0)
		last = AGE_CHUNK;
	if (last < 16 || (last == 16 && payload > 16))
		return HF_VALID_NO;
	return HF_VALID_YES;
}

static uint32_t rd_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t rd_le64(const uint8_t *p)
{
	return (uint64_t)rd_le32(p) | (uint64_t)rd_le32(p + 4) << 32;
}

/* 7z: start header CRC and next header CRC; the AES-256 coder id marks encryption. */
int hf_detect_valid_7z(const uint8_t *p, size_t n, struct hf_profile *prof)
{
	static const uint8_t aes[4] = {0x06, 0xf1, 0x07, 0x01};
	uint64_t noff, nsize;

	if (n < 32 || crc32(0, p + 12, 20) != rd_le32(p + 8))
		return HF_VALID_NO;
	noff = rd_le64(p + 12);
	nsize = rd_le64(p + 20);
	if (noff > n - 32 || nsize > n - 32 - noff || nsize == 0 || nsize > UINT32_MAX)
		return HF_VALID_NO;
	if (crc32(0, p + 32 + noff, (uInt)nsize) != rd_le32(p + 28))
		return HF_VALID_NO;
	if (memmem(p + 32 + noff, (size_t)nsize, aes, sizeof(aes)))
		prof->encrypted_container = 1;
	/* the packed streams are not decoded: only the framing is known to be intact */
	return HF_VALID_YES;
}
