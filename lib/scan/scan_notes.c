/* scan_notes.c — ransom notes: new small text files (<= 64 KiB) that
 * ransomware drops beside what it encrypted.
 *
 * Two signals: spread (the same content, by part ids, new in 3 or more
 * directories) and wording, read from the repository once per distinct
 * content. Strong hints: a Bitcoin address, a .onion address, "tor browser".
 * Weak hints: "bitcoin"/"monero", "ransom" (not "ransomware"), "decrypt",
 * "encrypted", "your files"/"your data"/... A file is a note when it has
 *   - a strong hint and at least one more hint; or
 *   - spread and at least two hints; or
 *   - spread into directories where this scan found something non-clean.
 * Notes in 3 or more directories make the snapshot an attack (scan.c).
 * Spread alone is not enough: unpacking a project drops identical LICENSE
 * files into many directories (and Debian's copyright files of crypto
 * libraries say "decrypt"). Wording alone is not either: the manual of every
 * crypto or backup tool says "your data", "encrypted", "decrypt" and
 * "ransomware". Against no earlier snapshot (every file new), only spread
 * contents are read. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "scan/scan_internal.h"
#include "util/idmap.h"
#include "util/mem.h"

#define NOTE_MAX SCAN_NOTE_MAX
#define NOTE_SPREAD SCAN_NOTE_SPREAD
#define NOTE_DIR_LOOK SCAN_NOTE_DIR_LOOK

enum {
	H_ADDRESS = 1,
	H_ONION = 2,
	H_TOR = 4,
	H_STRONG = 7,
	H_COIN = 8,
	H_RANSOM = 16,
	H_DECRYPT = 32,
	H_ENCRYPTED = 64,
	H_YOUR_FILES = 128
};

static int alnum(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int base58(int c)
{
	return alnum(c) && c != '0' && c != 'O' && c != 'I' && c != 'l';
}

static int bech32(int c)
{
	return c && strchr("qpzry9x8gf2tvdw0s3jn54khce6mua7l", c) != NULL;
}

/* legacy (1..., 3...) or bech32 (bc1...) Bitcoin address, bounded by non-alphanumerics */
static int has_btc_address(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		size_t j = i, run;
		int up = 0, low = 0, digit = 0;
		if (p[i] != '1' && p[i] != '3' && p[i] != 'b')
			continue; /* no address starts here: most bytes, tested first */
		if (i > 0 && alnum(p[i - 1]))
			continue;
		if (p[i] == '1' || p[i] == '3') {
			while (j < n && base58(p[j])) {
				up |= p[j] >= 'A' && p[j] <= 'Z';
				low |= p[j] >= 'a' && p[j] <= 'z';
				digit |= p[j] >= '0' && p[j] <= '9';
				j++;
			}
			run = j - i;
			/* mixed case: hex digests (no uppercase) are not addresses */
			if (run >= 26 && run <= 35 && (j == n || !alnum(p[j])) && up && low && digit)
				return 1;
		} else if (i + 3 < n && memcmp(p + i, "bc1", 3) == 0) {
			j = i + 3;
			while (j < n && bech32(p[j]))
				j++;
			run = j - i - 3;
			if (run >= 39 && run <= 59 && (j == n || !alnum(p[j])))
				return 1;
		}
	}
	return 0;
}

static int onion_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= '2' && c <= '7');
}

/* v2 (16) or v3 (56) base32 characters, then ".onion"; on lowercased text */
static int has_onion(const uint8_t *low, size_t n)
{
	const uint8_t *hit;
	size_t from = 0;

	while (from < n && (hit = memmem(low + from, n - from, ".onion", 6))) {
		size_t at = (size_t)(hit - low), run = 0;
		while (run < at && onion_char(low[at - 1 - run]))
			run++;
		if (run == 16 || run == 56)
			return 1;
		from = at + 6;
	}
	return 0;
}

/* "ransom", but not as in "ransomware" (which documentation says) */
static int has_ransom(const uint8_t *low, size_t n)
{
	const uint8_t *hit;
	size_t from = 0;

	while (from < n && (hit = memmem(low + from, n - from, "ransom", 6))) {
		size_t at = (size_t)(hit - low) + 6;
		if (at + 4 > n || memcmp(low + at, "ware", 4) != 0)
			return 1;
		from = at;
	}
	return 0;
}

/* ASCII letters to lower case, eight bytes at a time: in each byte's low
 * seven bits, adding 0x80 - 'A' sets the top bit from 'A' up and adding
 * 0x80 - 'Z' - 1 from past 'Z' (neither carries into the next byte); an
 * upper-case letter (top bit clear) gets 0x20 added */
static void lowercase(uint8_t *restrict out, const uint8_t *restrict in, size_t n)
{
	const uint64_t ones = 0x0101010101010101ull, top = 0x8080808080808080ull;
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		uint64_t x = 0, low7, from_a, past_z, lowered;
		memcpy(&x, in + i, 8);
		low7 = x & ~top;
		from_a = low7 + (0x80 - 'A') * ones;
		past_z = low7 + (0x80 - 'Z' - 1) * ones;
		lowered = x | (from_a & ~past_z & ~x & top) >> 2;
		memcpy(out + i, &lowered, 8);
	}
	for (; i < n; i++)
		out[i] = (uint8_t)(in[i] >= 'A' && in[i] <= 'Z' ? in[i] + 0x20 : in[i]);
}

/* the hints in p; with only_if_strong, 0 at once when there is no strong
 * one (where the verdict needs one: most texts are read no further) */
static int hints(const uint8_t *p, size_t n, int only_if_strong)
{
	static const struct {
		const char *word;
		int bit;
	} words[] = {
		{"bitcoin", H_COIN},
		{"monero", H_COIN},
		{"decrypt", H_DECRYPT},
		{"encrypted", H_ENCRYPTED},
		{"your files", H_YOUR_FILES},
		{"your data", H_YOUR_FILES},
		{"your documents", H_YOUR_FILES},
		{"your network", H_YOUR_FILES},
	};
	uint8_t *low = hf_xmalloc(n ? n : 1);
	int h = 0;

	lowercase(low, p, n);
	if (has_btc_address(p, n))
		h |= H_ADDRESS;
	if (has_onion(low, n))
		h |= H_ONION;
	if (memmem(low, n, "tor browser", 11))
		h |= H_TOR;
	if (h || !only_if_strong) {
		for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
			if (memmem(low, n, words[i].word, strlen(words[i].word)))
				h |= words[i].bit;
		if (has_ransom(low, n))
			h |= H_RANSOM;
	}
	free(low);
	return h;
}

static int popcount(int v)
{
	return __builtin_popcount((unsigned)v);
}

/* some non-clean file (an encrypted one, a candidate) in the directory of item i */
static int dir_has_alert(const struct scan *sc, size_t i)
{
	const struct scan_item *it = &sc->items[i];
	char *dir = hf_xmemdup(it->path, it->name_off);
	size_t k = hf_scan_lower_bound(sc, dir), seen = 0;
	int found = 0;

	for (; !found && k < sc->n && seen < NOTE_DIR_LOOK && strncmp(sc->items[k].path, dir, it->name_off) == 0;
	     k++, seen++)
		found = sc->items[k].verdict != HF_FILE_CLEAN && !strchr(sc->items[k].path + it->name_off, '/');
	free(dir);
	return found;
}

/* a member of group k shares its directory with a non-clean file */
static int spread_with_alert(const struct scan *sc, const size_t *of, size_t k)
{
	for (size_t i = 0; i < sc->n; i++)
		if (of[i] == k && dir_has_alert(sc, i))
			return 1;
	return 0;
}

static int same_dir(const struct scan_item *a, const struct scan_item *b)
{
	return a->name_off == b->name_off && memcmp(a->path, b->path, a->name_off) == 0;
}

struct group {
	size_t first, last, dirs;
	int note;
};

static int small_new(const struct scan_version *v, int verdict)
{
	return v->size > 0 && v->size <= NOTE_MAX && verdict != HF_FILE_ENCRYPTED;
}

static int is_candidate(struct scan *sc, struct scan_item *it, int *yes)
{
	int r;

	*yes = 0;
	if (it->change != HF_CHANGE_NEW || !small_new(&it->cur, it->verdict))
		return 0;
	r = hf_scan_need_profile(sc, &it->cur);
	if (r == 0)
		*yes = hf_scan_note_candidate(&it->cur, it->verdict);
	return r;
}

int hf_scan_note_candidate(const struct scan_version *v, int verdict)
{
	return small_new(v, verdict) && v->has_profile && (v->profile.type == HF_CT_TEXT || v->profile.text_utf8);
}

int hf_scan_note_verdict(const uint8_t *content, size_t n, size_t dirs, int alert)
{
	int h = hints(content, n, dirs < NOTE_SPREAD);

	return ((h & H_STRONG) && popcount(h) >= 2) || (dirs >= NOTE_SPREAD && (popcount(h) >= 2 || alert));
}

int hf_scan_find_notes(struct scan *sc)
{
	struct hf_idmap *keys = hf_idmap_new(sizeof(size_t));
	struct group *g = NULL;
	size_t *of = NULL, ng = 0;
	uint8_t key[HF_ID_LEN];
	int r = 0;

	if (!keys)
		return -ENOMEM;
	of = hf_xcalloc(sc->n ? sc->n : 1, sizeof(*of));
	g = hf_xcalloc(sc->n ? sc->n : 1, sizeof(*g));
	for (size_t i = 0; r == 0 && i < sc->n; i++) {
		struct scan_item *it = &sc->items[i];
		void *slot;
		int yes;
		of[i] = SCAN_NONE;
		r = is_candidate(sc, it, &yes);
		if (r < 0 || !yes)
			continue;
		hf_scan_content_key(&it->cur, key);
		if (hf_idmap_put(keys, key, &ng, &slot) == 1) {
			g[ng].first = g[ng].last = i;
			g[ng].dirs = 1;
			ng++;
		} else {
			struct group *x = &g[*(size_t *)slot];
			/* items are sorted by path: counting changes of directory
			 * between members is close enough to distinct directories */
			if (!same_dir(&sc->items[x->last], it))
				x->dirs++;
			x->last = i;
		}
		of[i] = *(size_t *)slot;
	}
	for (size_t k = 0; r == 0 && k < ng; k++) {
		int h;
		/* a first snapshot's lone text files are all "new": reading each
		 * would cost a restore, and notes come in many directories */
		if (!sc->against && g[k].dirs < NOTE_SPREAD)
			continue;
		r = hf_scan_read(sc, &sc->items[g[k].first].cur, NOTE_MAX);
		if (r < 0) {
			r = hf_scan_gone(r); /* changed since: not judged a note */
			continue;
		}
		h = hints(sc->content.data, sc->content.len, 0);
		g[k].note = ((h & H_STRONG) && popcount(h) >= 2) ||
			    (g[k].dirs >= NOTE_SPREAD && (popcount(h) >= 2 || spread_with_alert(sc, of, k)));
	}
	for (size_t i = 0, prev = SCAN_NONE; r == 0 && i < sc->n; i++) {
		struct scan_item *it = &sc->items[i];
		if (of[i] == SCAN_NONE || !g[of[i]].note)
			continue;
		/* directories with notes, counted as the spread is */
		if (prev == SCAN_NONE || !same_dir(&sc->items[prev], it))
			sc->note_dirs++;
		prev = i;
		it->note = 1;
		it->reasons |= HF_REASON_RANSOM_NOTE;
		if (it->verdict < HF_FILE_SUSPICIOUS)
			it->verdict = HF_FILE_SUSPICIOUS;
	}
	free(of);
	free(g);
	hf_idmap_free(keys);
	return r;
}
