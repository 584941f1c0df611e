/* scan_judge.c — the per-file verdict rules of a scan.
 *
 * A change old -> new encrypted a file when the new version lost what the
 * old one was (a type we or libmagic recognised became unrecognisable and
 * random-looking, or an encryption container; a version that decoded
 * completely no longer does), or gained what ciphertext looks like
 * (base64/hex of random bytes, a container, a jump of at least 25 points in
 * the share of random-looking 4 KiB blocks that a valid compressed or media
 * file does not explain; under 1 KiB, where there are no blocks, the byte
 * mix of ciphertext). Chunk overlap between the versions is only
 * supporting context: an office re-save shares nothing with its previous
 * version. A new file that replaced a deleted one under the same stem with
 * another extension is a conversion (photo.jpg -> photo.webp): a new format
 * there is expected, and the random shares of two formats are not compared.
 *
 * A new file is a candidate on its content alone when it is an encryption
 * container, base64/hex of random bytes, of no known type and random
 * throughout (>= 90% of its blocks), or of a known type that does not
 * decode. Context decides its verdict: the original it replaced was deleted
 * in the same snapshot (encrypted, listed as a rename), its plaintext
 * original is still beside it (clean: a user encrypting one file), or
 * nothing (suspicious). A new file that validates as its type is clean. */
#include <stdlib.h>
#include <pthread.h>
#include <string.h>

#include "scan/scan_internal.h"
#include "util/idmap.h"
#include "util/mem.h"

#define RANDOM_JUMP 0.25           /* rise of the random-block share that counts */
#define RANDOM_NEW 0.90            /* share that makes a new unknown file "random throughout" */
#define OVERLAP_LOW 0.10           /* share of the new version's chunks already in the old one */
#define OVERLAP_MIN_PARTS 2        /* single-chunk files share nothing on any edit: no signal */
#define ENCODED_PREFIX (64u << 10) /* what is read to look for base64/hex of random bytes */
#define ENCODED_TINY \
	1088                      /* originals this small encode to under 1 KiB of decoded
				    * bytes (+ an IV or header): no statistics */
#define HIGH_JUMP 0.25            /* rise of the share of bytes >= 0x80 that counts */
#define DECODE_BUDGET (64u << 20) /* what one scan decodes of compressed files, at most */

static int recognised(int t)
{
	return t != HF_CT_UNKNOWN && t != HF_CT_OTHER && t < HF_CT_MAX;
}

static int container_type(int t)
{
	return t == HF_CT_OPENPGP || t == HF_CT_AGE;
}

static int is_container(const struct hf_profile *p)
{
	return p->encrypted_container || container_type(p->type);
}

int hf_scan_is_container(const struct hf_profile *p)
{
	return is_container(p);
}

/* types whose valid versions are random-looking by nature */
static int compressed_type(int t)
{
	switch (t) {
	case HF_CT_ZIP:
	case HF_CT_OOXML:
	case HF_CT_ODF:
	case HF_CT_JPEG:
	case HF_CT_PNG:
	case HF_CT_GZIP:
	case HF_CT_XZ:
	case HF_CT_ZSTD:
	case HF_CT_BZIP2:
	case HF_CT_7Z:
	case HF_CT_PDF:
	case HF_CT_MP3:
		return 1;
	}
	return 0;
}

static double random_share(const struct hf_profile *p)
{
	return p->blocks ? (double)p->random_blocks / (double)p->blocks : 0.0;
}

static size_t data_parts(const struct scan_version *v)
{
	size_t n = 0;

	for (size_t i = 0; i < v->nparts; i++)
		n += v->parts[i].kind == HF_PART_DATA;
	return n;
}

/* share of the new version's data chunks that the old version already had */
static int low_overlap(const struct scan_version *old, const struct scan_version *cur)
{
	size_t nold = data_parts(old), ncur = data_parts(cur), shared = 0;
	struct hf_idmap *ids;

	if (nold < OVERLAP_MIN_PARTS || ncur < OVERLAP_MIN_PARTS)
		return 0;
	ids = hf_idmap_new(0);
	if (!ids)
		return 0;
	for (size_t i = 0; i < old->nparts; i++)
		if (old->parts[i].kind == HF_PART_DATA && hf_idmap_put(ids, old->parts[i].id, NULL, NULL) < 0) {
			hf_idmap_free(ids);
			return 0; /* cannot tell: not low */
		}
	for (size_t i = 0; i < cur->nparts; i++)
		if (cur->parts[i].kind == HF_PART_DATA && hf_idmap_get(ids, cur->parts[i].id))
			shared++;
	hf_idmap_free(ids);
	return (double)shared / (double)ncur < OVERLAP_LOW;
}

/* 1 if cur's whole content still decodes as `type`, 0 if it does not or
 * cannot be checked (no validator, too big: the type change alone, confirmed
 * below, decides), or an error */
static int decodes_as_before(struct scan *sc, const struct scan_version *cur, unsigned type)
{
	int r;

	if (cur->size > HF_DETECT_VALIDATE_MAX)
		return 0;
	r = hf_scan_read(sc, cur, HF_DETECT_VALIDATE_MAX);
	if (r < 0)
		return hf_scan_gone(r);
	r = hf_detect_validate_as(sc->content.data, sc->content.len, type, NULL);
	return r < 0 ? r : r == HF_VALID_YES;
}

/* TYPE_CHANGED: a type libmagic or our signatures knew (tar, wav, ... count
 * too: libmagic recognised them) became an encryption container, or nothing
 * recognisable. Profiles of first backups skip libmagic, so both sides'
 * "unknown" are confirmed from the content before they count. */
static int type_lost(struct scan *sc, struct scan_version *old, struct scan_version *cur, int conversion, uint32_t *rs)
{
	const struct hf_profile *o = &old->profile, *c = &cur->profile;
	int r;

	if (is_container(o))
		return 0;
	if (container_type(c->type)) {
		if (recognised(o->type))
			*rs |= HF_REASON_TYPE_CHANGED;
		return 0;
	}
	/* libmagic's weaker rules match random bytes now and then: "other" that
	 * looks random, unless the name says it is a conversion */
	if (c->type == HF_CT_OTHER && !conversion && recognised(o->type) &&
	    (c->blocks == 0 || random_share(c) >= RANDOM_NEW)) {
		*rs |= HF_REASON_TYPE_CHANGED;
		return 0;
	}
	if (c->type != HF_CT_UNKNOWN || (o->type == HF_CT_UNKNOWN && old->retyped))
		return 0;
	/* no random block at all, as when only every other 16 bytes are
	 * encrypted (LockFile): lost only if the content no longer decodes as
	 * the type it was */
	if (c->blocks > 0 && c->random_blocks == 0 && (r = decodes_as_before(sc, cur, o->type)) != 0)
		return r < 0 ? r : 0;
	if ((r = hf_scan_retype(sc, cur)) < 0 || c->type != HF_CT_UNKNOWN)
		return r;
	if (o->type == HF_CT_UNKNOWN && (r = hf_scan_retype(sc, old)) < 0)
		return r;
	if (o->type != HF_CT_UNKNOWN)
		*rs |= HF_REASON_TYPE_CHANGED;
	return 0;
}

/* what base64 or hex of random bytes looks like, with line breaks: only
 * base64 characters, with capitals, small letters and digits; or only hex
 * digits, with digits and letters (at least 16 of them). A list of words one
 * a line is made of base64 characters too, but not of all three kinds. */
static int encoded_like(const uint8_t *p, size_t n)
{
	size_t body = 0;
	int up = 0, low = 0, digit = 0, hex = 1;

	for (size_t i = 0; i < n; i++) {
		uint8_t ch = p[i];
		if (ch == '\n' || ch == '\r')
			continue;
		if (ch >= 'A' && ch <= 'Z')
			up = 1, hex &= ch <= 'F';
		else if (ch >= 'a' && ch <= 'z')
			low = 1, hex &= ch <= 'f';
		else if (ch >= '0' && ch <= '9')
			digit = 1;
		else if (ch == '+' || ch == '/' || ch == '=')
			hex = 0;
		else
			return 0;
		body++;
	}
	if (body < 16)
		return 0;
	return hex ? digit && (up || low) : up && low && digit;
}

/* sizes of base64 (4/3, with line breaks 1.35) or hex (2, with line breaks
 * 2.03) of the old version, with room for an IV or a header */
static int encoding_ratio(uint64_t old, uint64_t cur)
{
	double o = (double)old, c = (double)cur;

	return old > 0 && ((c >= 1.30 * o && c <= 1.40 * o + 64) || (c >= 1.95 * o && c <= 2.10 * o + 64));
}

/* ENCODED_RANDOM where the stored profile could not tell: the backup judges
 * "base64 of random bytes" only for files it holds whole in one buffer, and
 * nobody can judge under 1 KiB of decoded bytes. A file that became text
 * of the size its base64 or hex would have is read: its start is tested for
 * encoded random bytes, and a small one that looks like nothing but
 * encoding (and did not before) counts too. */
static int encoded_over(struct scan *sc, struct scan_version *old, struct scan_version *cur, uint32_t *rs)
{
	struct hf_profile p;
	int r, tiny;

	if (cur->profile.type != HF_CT_TEXT || old->profile.encoded_random || !encoding_ratio(old->size, cur->size))
		return 0;
	r = hf_scan_prefix_profile(sc, cur, ENCODED_PREFIX, &p);
	if (r < 0)
		return hf_scan_gone(r);
	if (p.encoded_random) {
		*rs |= HF_REASON_ENCODED_RANDOM;
		return 0;
	}
	tiny = old->size <= ENCODED_TINY;
	if (!tiny || !encoded_like(sc->content.data, sc->content.len))
		return 0;
	r = hf_scan_read(sc, old, ENCODED_PREFIX);
	if (r == 0 && !encoded_like(sc->content.data, sc->content.len))
		*rs |= HF_REASON_ENCODED_RANDOM;
	/* bytes gone: a full profile that found no text says enough */
	if (r == -HF_E_CHANGED && old->has_profile && !old->profile.light && old->profile.type != HF_CT_TEXT)
		*rs |= HF_REASON_ENCODED_RANDOM;
	return hf_scan_gone(r);
}

static size_t count_high(const uint8_t *p, size_t n)
{
	size_t high = 0;

	for (size_t i = 0; i < n; i++)
		high += p[i] >= 0x80;
	return high;
}

/* UTF-8 text, allowing a sequence cut at the end of a prefix */
static int utf8_start(const uint8_t *p, size_t n)
{
	for (size_t k = 0; k < 4 && k < n; k++)
		if (hf_detect_utf8_text(p, n - k))
			return 1;
	return 0;
}

/* what the byte-mix rule needs of a version's first HF_DETECT_BLOCK_MIN bytes */
struct byte_mix {
	size_t n, high;
	int utf8;
};

static void byte_mix_of(const uint8_t *p, size_t n, struct byte_mix *m)
{
	m->n = n;
	m->high = count_high(p, n);
	m->utf8 = utf8_start(p, n);
}

/* Whether bytes of mix m (from a version under HF_DETECT_BLOCK_MIN, where
 * there are no block statistics) took on ciphertext's byte mix over old's:
 * old was UTF-8 text, this is not UTF-8, and its share of bytes >= 0x80 rose
 * by HIGH_JUMP. Ciphertext has half its bytes there, text in Latin scripts
 * next to none, and re-encoding to an 8-bit charset lowers the share.
 * Binary old versions (icons, time zones, catalogs) say nothing of what
 * their next version's bytes should be. 1 or 0, or an error reading old. */
static int byte_mix_turned_random(struct scan *sc, const struct scan_version *old, const struct byte_mix *m)
{
	const uint8_t *o;
	size_t n;
	int r;

	if (m->high == 0 || m->utf8 || old->size == 0)
		return 0;
	if ((r = hf_scan_read(sc, old, HF_DETECT_BLOCK_MIN)) < 0)
		return hf_scan_gone(r);
	o = sc->content.data;
	n = sc->content.len;
	return utf8_start(o, n) && (double)m->high / (double)m->n - (double)count_high(o, n) / (double)n >= HIGH_JUMP;
}

/* RANDOM_BYTES: a file under HF_DETECT_BLOCK_MIN has no block statistics,
 * and a few dozen random bytes without a NUL pass as legacy 8-bit text
 * now and then (ccrypt's 47 bytes from a 15-byte .gitignore): its byte mix
 * decides. Only new versions of no type or of text are looked at; a type
 * libmagic names is left to the type rules. */
static int small_turned_random(struct scan *sc, const struct scan_version *old, const struct scan_version *cur,
			       uint32_t *rs)
{
	struct byte_mix m;
	int r;

	if (cur->size >= HF_DETECT_BLOCK_MIN || (cur->profile.type != HF_CT_TEXT && cur->profile.type != HF_CT_UNKNOWN))
		return 0;
	if ((r = hf_scan_read(sc, cur, HF_DETECT_BLOCK_MIN)) < 0)
		return hf_scan_gone(r);
	byte_mix_of(sc->content.data, sc->content.len, &m);
	if ((r = byte_mix_turned_random(sc, old, &m)) > 0)
		*rs |= HF_REASON_RANDOM_BYTES;
	return r < 0 ? r : 0;
}

/* GARBLED_TEXT: a text file with encrypted chunks (a few bytes to a few KiB
 * of ciphertext, in place) stays text by its start, and passes as legacy
 * 8-bit text when the chunks hold no NUL; blocks of random bytes that do
 * not line up with the 4 KiB grid make no random block either. A text
 * version with a garbled spot (hf_detect_garbled_spots: a control byte no
 * text uses among bytes >= 0x80; 16 encrypted bytes make one four times in
 * five) whose previous version had none was garbled. Re-encoding to
 * Latin-1 or CP1251 makes a file invalid UTF-8 everywhere, but adds no
 * control bytes. A version that a full profile found valid UTF-8 holds no
 * run of random bytes (they are not valid UTF-8): it is not read. The
 * previous version is read only when this one has a spot. */
static int garbled_text(struct scan *sc, const struct scan_version *old, const struct scan_version *cur, uint32_t *rs)
{
	const struct hf_profile *c = &cur->profile;
	int r;

	if (old->profile.type != HF_CT_TEXT || c->type != HF_CT_TEXT || (c->text_utf8 && !c->light) ||
	    cur->size > HF_DETECT_VALIDATE_MAX || old->size > HF_DETECT_VALIDATE_MAX)
		return 0;
	if ((r = hf_scan_read(sc, cur, HF_DETECT_VALIDATE_MAX)) < 0)
		return hf_scan_gone(r);
	if (hf_detect_garbled_spots(sc->content.data, sc->content.len, 1) == 0)
		return 0;
	if ((r = hf_scan_read(sc, old, HF_DETECT_VALIDATE_MAX)) < 0)
		return hf_scan_gone(r);
	if (hf_detect_garbled_spots(sc->content.data, sc->content.len, 1) == 0)
		*rs |= HF_REASON_GARBLED_TEXT;
	return 0;
}

/* what a compressed stream decodes to: block statistics, and its start */
struct decoded {
	struct hf_detect_blocks blocks;
	uint8_t head[HF_DETECT_BLOCK];
	size_t nhead;
	uint64_t size;
};

static void decoded_put(void *arg, const uint8_t *p, size_t n)
{
	struct decoded *d = arg;
	size_t take = n < sizeof(d->head) - d->nhead ? n : sizeof(d->head) - d->nhead;

	memcpy(d->head + d->nhead, p, take);
	d->nhead += take;
	d->size += n;
	hf_detect_blocks_update(&d->blocks, p, n);
}

/* COMPRESSED_RANDOM: compress-and-delete (doc.txt -> doc.txt.gz) leaves a
 * valid stream that decodes to the original. One that decodes to
 * ciphertext is a disguise, judged like a new version of the original:
 * the original had a type (text, an xz, a PNG, a tar) and the decoded
 * start has none, or the random block share rose by RANDOM_JUMP (under
 * 1 KiB: the byte mix). Only streams the backup found valid are decoded,
 * and no more than DECODE_BUDGET bytes in one scan: bzip2 decodes at tens
 * of MB/s, on the one thread that judges new files. */
static int compressed_over(struct scan *sc, struct scan_version *old, const struct scan_version *cur, uint32_t *rs)
{
	struct decoded d;
	struct hf_profile p, h;
	int t = cur->profile.type, r;

	if (!hf_detect_stream_type((unsigned)t) || cur->profile.valid != HF_VALID_YES ||
	    cur->size > HF_DETECT_VALIDATE_MAX || sc->decoded >= DECODE_BUDGET)
		return 0;
	if ((r = hf_scan_read(sc, cur, HF_DETECT_VALIDATE_MAX)) < 0)
		return hf_scan_gone(r);
	memset(&d, 0, sizeof(d));
	hf_detect_blocks_init(&d.blocks);
	r = hf_detect_decode_stream(sc->content.data, sc->content.len, (unsigned)t, decoded_put, &d);
	sc->decoded += d.size;
	if (r != HF_VALID_YES || d.size == 0)
		return r < 0 ? r : 0; /* not a stream type, or empty: nothing to judge */
	memset(&p, 0, sizeof(p));
	hf_detect_blocks_final(&d.blocks, &p);
	/* typed as a backup would (libmagic too), so a type libmagic gave the original is seen again */
	if ((r = hf_scan_detector(sc)) < 0 || (r = hf_detect_content(sc->det, d.head, d.nhead, d.size, 1, &h)) < 0)
		return r;
	if (old->profile.type != HF_CT_UNKNOWN && h.type == HF_CT_UNKNOWN) {
		r = 1;
	} else if (d.size < HF_DETECT_BLOCK_MIN) {
		struct byte_mix m;
		byte_mix_of(d.head, d.nhead, &m);
		r = byte_mix_turned_random(sc, old, &m);
	} else if ((r = hf_scan_count_blocks(sc, old)) == 0) {
		r = random_share(&p) - random_share(&old->profile) >= RANDOM_JUMP;
	}
	if (r > 0)
		*rs |= HF_REASON_COMPRESSED_RANDOM;
	return r < 0 ? r : 0;
}

int hf_scan_judge_change(struct scan *sc, struct scan_version *old, struct scan_version *cur, int conversion,
			 uint32_t *reasons)
{
	const struct hf_profile *o = &old->profile, *c = &cur->profile;
	uint32_t rs = 0;
	int r;

	*reasons = 0;
	if ((r = hf_scan_need_profile(sc, old)) < 0 || (r = hf_scan_need_profile(sc, cur)) < 0)
		return r;
	/* first backups leave validity unchecked: confirm it where the rule needs it */
	if (c->valid == HF_VALID_NO && (r = hf_scan_validate(sc, old)) < 0)
		return r;
	/* a version backed up before its type had a validator (MP3 was "other") */
	if (c->valid == HF_VALID_NO && o->type == HF_CT_OTHER && c->type == HF_CT_MP3 &&
	    old->size <= HF_DETECT_VALIDATE_MAX && (r = hf_scan_profile(sc, old)) < 0)
		return r;
	if (o->valid == HF_VALID_YES && c->valid == HF_VALID_UNCHECKED && recognised(c->type) &&
	    cur->size <= HF_DETECT_VALIDATE_MAX && (r = hf_scan_profile(sc, cur)) < 0)
		return r;
	if (cur->size == 0)
		return 0; /* emptied: a loss, but not encryption */
	if ((r = type_lost(sc, old, cur, conversion, &rs)) < 0)
		return r;
	if (o->valid == HF_VALID_YES && c->valid == HF_VALID_NO)
		rs |= HF_REASON_INVALID;
	if (c->encoded_random && !o->encoded_random)
		rs |= HF_REASON_ENCODED_RANDOM;
	else if ((r = encoded_over(sc, old, cur, &rs)) < 0)
		return r;
	if (is_container(c) && !is_container(o))
		rs |= HF_REASON_CONTAINER;
	/* a version that decodes completely as its type is not ciphertext; one
	 * too large to check is given the benefit of its compressed type; the
	 * random shares of two formats say nothing of a conversion */
	if (c->blocks >= 1 && c->valid != HF_VALID_YES &&
	    !(conversion && c->type != HF_CT_UNKNOWN && c->type != o->type) &&
	    !(c->valid == HF_VALID_UNCHECKED && compressed_type(c->type) && cur->size > HF_DETECT_VALIDATE_MAX) &&
	    random_share(c) - random_share(o) >= RANDOM_JUMP) {
		/* a light profile sampled one block in four: count them all first */
		if ((r = hf_scan_count_blocks(sc, old)) < 0)
			return r;
		if (random_share(c) - random_share(o) >= RANDOM_JUMP)
			rs |= HF_REASON_RANDOM_BLOCKS;
	}
	if (!rs && (r = small_turned_random(sc, old, cur, &rs)) < 0)
		return r;
	if (!rs && (r = garbled_text(sc, old, cur, &rs)) < 0)
		return r;
	if (rs && low_overlap(old, cur))
		rs |= HF_REASON_LOW_OVERLAP;
	*reasons = rs;
	return 0;
}

int hf_scan_judge_content(struct scan *sc, struct scan_version *cur, uint32_t *reasons)
{
	const struct hf_profile *c = &cur->profile;
	uint32_t rs = 0;
	int r;

	*reasons = 0;
	if ((r = hf_scan_need_profile(sc, cur)) < 0)
		return r;
	if (cur->size == 0)
		return 0;
	/* only the validator sees a 7z's encrypted headers: first backups skip it */
	if (c->type == HF_CT_7Z && c->valid == HF_VALID_UNCHECKED && cur->size <= HF_DETECT_VALIDATE_MAX &&
	    (r = hf_scan_profile(sc, cur)) < 0)
		return r;
	if (is_container(c))
		rs |= HF_REASON_CONTAINER;
	if (c->encoded_random)
		rs |= HF_REASON_ENCODED_RANDOM;
	if (c->type == HF_CT_UNKNOWN && c->blocks >= 1 && random_share(c) >= RANDOM_NEW) {
		if ((r = hf_scan_retype(sc, cur)) < 0)
			return r;
		if (c->type == HF_CT_UNKNOWN)
			rs |= HF_REASON_RANDOM_CONTENT;
	}
	if (recognised(c->type) && c->valid == HF_VALID_NO && !is_container(c))
		rs |= HF_REASON_INVALID;
	*reasons = rs;
	return 0;
}

/* the sibling of a candidate (doc.txt beside doc.txt.gpg) is there and was
 * not itself encrypted in this snapshot */
static int original_kept(const struct scan *sc, const struct scan_item *it)
{
	const char *dot = strrchr(it->path + it->name_off, '.');
	char *base;
	size_t j;

	if (!it->sibling || !dot)
		return 0;
	base = hf_xmemdup(it->path, (size_t)(dot - it->path));
	j = hf_scan_find(sc, base);
	free(base);
	return j == SCAN_NONE || sc->items[j].verdict != HF_FILE_ENCRYPTED;
}

static void set(struct scan_item *it, int verdict, uint32_t reasons)
{
	it->verdict = (uint8_t)verdict;
	it->reasons |= reasons;
}

/* a new file: as the successor of a deleted original of a matching name,
 * else on its content and context */
static int judge_new(struct scan *sc, size_t i)
{
	struct scan_item *it = &sc->items[i];
	uint32_t rs;
	int suffix = 0, r;
	size_t d = hf_scan_match_name(sc, i, &suffix);

	if (d != SCAN_NONE) {
		r = hf_scan_judge_change(sc, &sc->items[d].old, &it->cur, !suffix, &rs);
		/* a compressed successor must hold what its original was */
		if (r == 0 && !(rs & SCAN_ENCRYPTING))
			r = compressed_over(sc, &sc->items[d].old, &it->cur, &rs);
		if (r < 0)
			return r;
		/* otherwise the original explains it (doc.txt -> doc.txt.gz): clean,
		 * and both stay listed apart, as new and deleted */
		if (rs & SCAN_ENCRYPTING) {
			hf_scan_make_rename(sc, i, d);
			set(it, HF_FILE_ENCRYPTED, rs | HF_REASON_ORIGINAL_DELETED);
		}
		return 0;
	}
	r = hf_scan_judge_content(sc, &it->cur, &rs);
	if (r < 0 || !(rs & SCAN_ENCRYPTING))
		return r;
	if (original_kept(sc, it)) {
		set(it, HF_FILE_CLEAN, rs | HF_REASON_ORIGINAL_KEPT);
		return 0;
	}
	d = hf_scan_match_size(sc, i);
	if (d != SCAN_NONE) {
		uint32_t pr;
		/* a name that says nothing: only a change that encrypted counts */
		r = hf_scan_judge_change(sc, &sc->items[d].old, &it->cur, 0, &pr);
		if (r < 0)
			return r;
		if (pr & SCAN_ENCRYPTING) {
			hf_scan_make_rename(sc, i, d);
			set(it, HF_FILE_ENCRYPTED, rs | pr | HF_REASON_ORIGINAL_DELETED);
			return 0;
		}
	}
	set(it, HF_FILE_SUSPICIOUS, rs);
	return 0;
}

/* One of JUDGE_THREADS workers judging modified files: items first,
 * first + JUDGE_THREADS, ... Each has its own copy of the scan with its own
 * blob reader and buffers; the detector (locked inside) is shared. Judging
 * a modified file touches only that item. */
#define JUDGE_THREADS 2

struct judge_part {
	struct scan sc;
	size_t first;
	int r;
};

static void *judge_modified(void *arg)
{
	struct judge_part *jp = arg;
	struct scan *sc = &jp->sc;

	for (size_t i = jp->first; jp->r == 0 && i < sc->n; i += JUDGE_THREADS) {
		struct scan_item *it = &sc->items[i];
		uint32_t rs;
		if (it->change != HF_CHANGE_MODIFIED)
			continue;
		jp->r = hf_scan_judge_change(sc, &it->old, &it->cur, 0, &rs);
		if (jp->r == 0)
			set(it, (rs & SCAN_ENCRYPTING) ? HF_FILE_ENCRYPTED : HF_FILE_CLEAN, rs);
	}
	return NULL;
}

static int judge_all_modified(struct scan *sc)
{
	struct judge_part parts[JUDGE_THREADS];
	pthread_t tids[JUDGE_THREADS];
	/* without libmagic (whose errors surface only if a verdict needs it),
	 * everything is judged on this thread */
	int started[JUDGE_THREADS] = {0}, threads = hf_scan_detector(sc) == 0, r;

	for (int t = 0; t < JUDGE_THREADS; t++) {
		parts[t].first = (size_t)t;
		parts[t].r = 0;
		if (t == 0 || !threads)
			continue; /* the first uses sc's own tools */
		parts[t].sc = *sc;
		hf_scan_tools_init(&parts[t].sc);
		started[t] = pthread_create(&tids[t], NULL, judge_modified, &parts[t]) == 0;
		if (!started[t])
			hf_scan_tools_release(&parts[t].sc);
	}
	parts[0].sc = *sc;
	judge_modified(&parts[0]); /* on this thread, with sc's tools */
	r = parts[0].r;
	hf_scan_tools_take(sc, &parts[0].sc);
	for (int t = 1; t < JUDGE_THREADS; t++) {
		if (!started[t]) {
			/* no thread: its share is judged here */
			parts[t].sc = *sc;
			judge_modified(&parts[t]);
			hf_scan_tools_take(sc, &parts[t].sc);
		} else {
			pthread_join(tids[t], NULL);
			hf_scan_tools_release(&parts[t].sc);
		}
		if (r == 0)
			r = parts[t].r;
	}
	return r;
}

int hf_scan_judge_all(struct scan *sc)
{
	/* modified files first: whether a candidate's original was kept
	 * depends on their verdicts */
	int r = judge_all_modified(sc);

	for (size_t i = 0; r == 0 && i < sc->n; i++)
		if (sc->items[i].change == HF_CHANGE_NEW)
			r = judge_new(sc, i);
	return r;
}
