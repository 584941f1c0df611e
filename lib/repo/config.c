/* config.c — the repository config object: a short text file with the
 * format version, repository id, chunker and compression parameters, the
 * public key, the deletion key and, for a store with Object Lock, the lock's
 * mode and period. It is not secret; key files bind it by hash, so a changed
 * config is refused when the repository is opened. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "repo/repo_internal.h"
#include "store/store.h"
#include "util/err.h"
#include "util/hex.h"

int hf_config_encode(const struct hf_repo_config *c, const uint8_t pk[HF_PK_LEN], struct hf_buf *out)
{
	char id[HF_ID_HEX_LEN + 1], pkhex[2 * HF_PK_LEN + 1], dkhex[2 * HF_SIGN_PK_LEN + 1], text[512];
	int n;

	hf_hex_encode(c->id, HF_ID_LEN, id);
	hf_hex_encode(pk, HF_PK_LEN, pkhex);
	hf_hex_encode(c->delete_key, HF_SIGN_PK_LEN, dkhex);
	n = snprintf(text, sizeof(text),
		     "holdfast repository\nversion %u\nid %s\nchunker fastcdc %u %u %u\ncompression zstd %d\n"
		     "pack_size %u\npublic_key %s\ndelete_key %s\n",
		     c->version, id, c->chunk_min, c->chunk_avg, c->chunk_max, c->zlevel, c->pack_size, pkhex, dkhex);
	if (n >= 0 && (size_t)n < sizeof(text) && c->lock_mode != HF_LOCK_OFF)
		n += snprintf(text + n, sizeof(text) - (size_t)n, "object_lock %s %lld\n",
			      hf_lock_mode_name(c->lock_mode), (long long)c->lock_period_s);
	if (n < 0 || (size_t)n >= sizeof(text))
		return -HF_E_LIMIT;
	return hf_buf_append(out, text, (size_t)n);
}

/* the optional last line: "object_lock MODE SECONDS" */
static int decode_lock(const char *line, size_t n, struct hf_repo_config *c)
{
	char mode[16];
	long long period;
	int end = 0;

	if (sscanf(line, "object_lock %15s %lld\n%n", mode, &period, &end) != 2 || end == 0 || (size_t)end != n)
		return -HF_E_CORRUPT;
	c->lock_mode = hf_lock_mode_parse(mode);
	if (c->lock_mode <= HF_LOCK_OFF || period < 1 || period > HF_LOCK_PERIOD_MAX_S)
		return -HF_E_CORRUPT;
	c->lock_period_s = period;
	return 0;
}

int hf_config_decode(const uint8_t *p, size_t n, struct hf_repo_config *c)
{
	char text[512], id[HF_ID_HEX_LEN + 1], pkhex[2 * HF_PK_LEN + 1], dkhex[2 * HF_SIGN_PK_LEN + 1];
	unsigned ver = 0;
	int used = 0, end = 0;

	if (n == 0 || n >= sizeof(text))
		return -HF_E_CORRUPT;
	memcpy(text, p, n);
	text[n] = '\0';
	if (memchr(text, '\0', n))
		return -HF_E_CORRUPT;
	memset(c, 0, sizeof(*c));
	if (sscanf(text, "holdfast repository\nversion %u\n%n", &ver, &used) < 1 || used == 0)
		return -HF_E_CORRUPT;
	c->version = ver; /* also on refusal: the caller names the version found */
	if (ver != HF_REPO_VERSION)
		return -HF_E_VERSION;
	if (sscanf(text + used,
		   "id %64s\nchunker fastcdc %u %u %u\ncompression zstd %d\npack_size %u\npublic_key %64s\n"
		   "delete_key %64s\n%n",
		   id, &c->chunk_min, &c->chunk_avg, &c->chunk_max, &c->zlevel, &c->pack_size, pkhex, dkhex,
		   &end) != 8 ||
	    end == 0 || text[n - 1] != '\n')
		return -HF_E_CORRUPT;
	used += end;
	if ((size_t)used != n && decode_lock(text + used, n - (size_t)used, c) < 0)
		return -HF_E_CORRUPT;
	if (hf_hex_decode(id, c->id, HF_ID_LEN) < 0 || hf_hex_decode(dkhex, c->delete_key, HF_SIGN_PK_LEN) < 0)
		return -HF_E_CORRUPT;
	if (c->pack_size < (1u << 20) || c->pack_size > (256u << 20) || c->zlevel < -5 || c->zlevel > 19)
		return -HF_E_CORRUPT;
	c->version = ver;
	return 0;
}
