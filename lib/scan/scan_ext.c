/* scan_ext.c — extensions the earlier snapshot never had (as NetApp's
 * "never-seen extension"). Context only for one file; a wave of non-clean
 * files sharing one new extension (.locked, .play, ...) makes the snapshot
 * at least suspicious. When WAVE_MIN of them were judged encrypted, the
 * extension is the attack's own: a file under HF_DETECT_BLOCK_MIN that took
 * it on by replacing a deleted original of its name (doc.txt ->
 * doc.txt.locked) is encrypted too, if nothing in its bytes says otherwise
 * (no type, or only libmagic's guess, or a type it does not decode as, or
 * 8-bit text that is not UTF-8, or any text under WAVE_TINY bytes): a few
 * bytes of ciphertext cannot be told from text. Larger files, and files of
 * a type they decode as, are judged on their content alone, so one false
 * alarm does not spread to a whole extension.
 *
 * An encryption container that was there before (the user's own .gpg) and
 * was replaced by its name plus the extension of WAVE_MIN or more files
 * judged encrypted (new or not) is judged encrypted too: its bytes were
 * random before and after, so only that context tells.
 *
 * The earlier snapshot's extensions come first from the trees the walk
 * loaded anyway (the changed directories); only when a new file's extension
 * is not among them is the whole earlier snapshot walked, once. Extensions
 * are the text after the last dot of a name (not a leading dot), 1 to 16
 * bytes, ASCII-lowercased. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "scan/scan_internal.h"
#include "util/idmap.h"

#define EXT_MAX 16
#define WAVE_MIN \
	5            /* non-clean files with one new extension that make a wave; encrypted
		    * ones that make it the attack's own */
#define WAVE_TINY 16 /* fewer random bytes are valid UTF-8 too often to tell anything */

struct wave_count {
	uint32_t not_clean, encrypted;
};

struct scan_exts {
	struct hf_idmap *seen; /* key: hash | extension */
	int complete;          /* every extension of the earlier snapshot is in */
};

/* a 32-byte idmap key: 8 bytes of hash (the map's bucket), then the
 * extension itself, so equal keys are equal extensions */
static int ext_key(const char *name, uint8_t key[HF_ID_LEN])
{
	const char *dot = strrchr(name, '.');
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t len;

	if (!dot || dot == name)
		return 0;
	len = strlen(dot + 1);
	if (len == 0 || len > EXT_MAX)
		return 0;
	memset(key, 0, HF_ID_LEN);
	for (size_t i = 0; i < len; i++) {
		uint8_t c = (uint8_t)dot[1 + i];
		if (c >= 'A' && c <= 'Z')
			c = (uint8_t)(c - 'A' + 'a');
		key[8 + i] = c;
		h = (h ^ c) * 0x100000001b3ULL;
	}
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	memcpy(key, &h, sizeof(h));
	return 1;
}

struct scan_exts *hf_scan_exts_new(void)
{
	struct scan_exts *e = calloc(1, sizeof(*e));

	if (e && !(e->seen = hf_idmap_new(0))) {
		free(e);
		e = NULL;
	}
	return e;
}

void hf_scan_exts_free(struct scan_exts *e)
{
	if (!e)
		return;
	hf_idmap_free(e->seen);
	free(e);
}

void hf_scan_exts_add(struct scan_exts *e, const char *name)
{
	uint8_t key[HF_ID_LEN];

	if (ext_key(name, key) && hf_idmap_put(e->seen, key, NULL, NULL) < 0)
		e->complete = 0; /* not all of them in after all */
}

/* a new version whose bytes cannot say whether they are ciphertext: small,
 * not empty, and of no type; or typed by libmagic alone (HF_CT_OTHER), or
 * as a type it does not decode as: a few hundred random bytes match some
 * weak signature (an MPEG frame header, a DOS .COM jump) about one time in
 * fifteen; or text that is not UTF-8 (or too short for that to mean
 * anything) */
static int says_nothing(const struct scan_version *v)
{
	const struct hf_profile *p = &v->profile;

	if (v->size == 0 || v->size >= HF_DETECT_BLOCK_MIN)
		return 0;
	if (p->type == HF_CT_TEXT)
		return v->size < WAVE_TINY || (!p->text_utf8 && !p->light);
	return p->type == HF_CT_UNKNOWN || p->type == HF_CT_OTHER || p->valid == HF_VALID_NO;
}

/* the small new files that replaced a deleted original by adding the
 * extension of an encrypting wave (counts in `wave`) */
static void judge_by_wave(struct scan *sc, struct hf_idmap *wave)
{
	uint8_t key[HF_ID_LEN];

	for (size_t i = 0; i < sc->n; i++) {
		struct scan_item *it = &sc->items[i];
		const struct wave_count *c;
		size_t d;
		int suffix;
		if (it->change != HF_CHANGE_NEW || it->verdict != HF_FILE_CLEAN ||
		    !(it->reasons & HF_REASON_NEW_EXTENSION) || !says_nothing(&it->cur) ||
		    !ext_key(it->path + it->name_off, key))
			continue;
		c = hf_idmap_get(wave, key);
		if (!c || c->encrypted < WAVE_MIN)
			continue;
		d = hf_scan_match_name(sc, i, &suffix);
		if (d == SCAN_NONE || !suffix)
			continue;
		hf_scan_make_rename(sc, i, d);
		it->verdict = HF_FILE_ENCRYPTED;
		it->reasons |= HF_REASON_ORIGINAL_DELETED | HF_REASON_WAVE_EXTENSION;
	}
}

/* Containers encrypted again: a file that was an encryption container
 * already (the user's own doc.pdf.gpg) has random bytes before and after,
 * so its content says nothing. Replaced by a new file under the extension
 * that WAVE_MIN or more files judged encrypted in this snapshot took on (new
 * or not: gpg's own .gpg), named as it plus that extension or, if no such
 * name, closest to it in size (a renaming attack), with other content (the
 * same content would be a plain rename), it went the way of the others. */
static int judge_containers_by_wave(struct scan *sc)
{
	struct hf_idmap *attack = hf_idmap_new(sizeof(uint32_t));
	uint8_t key[HF_ID_LEN];
	void *slot;
	int r = 0;

	if (!attack)
		return -ENOMEM;
	for (size_t i = 0; i < sc->n; i++) {
		const struct scan_item *it = &sc->items[i];
		if ((it->change == HF_CHANGE_NEW || it->change == HF_CHANGE_RENAMED) &&
		    it->verdict == HF_FILE_ENCRYPTED && ext_key(it->path + it->name_off, key)) {
			if (hf_idmap_put(attack, key, NULL, &slot) < 0) {
				hf_idmap_free(attack);
				return -ENOMEM;
			}
			++*(uint32_t *)slot;
		}
	}
	for (size_t i = 0; i < sc->n; i++) {
		struct scan_item *it = &sc->items[i];
		const uint32_t *count;
		size_t d;
		int suffix;
		if (it->change != HF_CHANGE_NEW || it->verdict == HF_FILE_ENCRYPTED ||
		    !ext_key(it->path + it->name_off, key) || !(count = hf_idmap_get(attack, key)) || *count < WAVE_MIN)
			continue;
		/* its name plus the extension, or (renamed to a name that says
		 * nothing) the deleted file closest in size */
		d = hf_scan_match_name(sc, i, &suffix);
		if (d != SCAN_NONE && !suffix)
			continue;
		if (d == SCAN_NONE)
			d = hf_scan_match_size(sc, i);
		if (d == SCAN_NONE || !sc->items[d].has_old)
			continue;
		/* a light profile leaves a 7z's encrypted headers to validation */
		if ((r = hf_scan_validate(sc, &sc->items[d].old)) < 0)
			break;
		if (!hf_scan_is_container(&sc->items[d].old.profile))
			continue;
		hf_scan_make_rename(sc, i, d);
		it->verdict = HF_FILE_ENCRYPTED;
		it->reasons |= HF_REASON_ORIGINAL_DELETED | HF_REASON_WAVE_EXTENSION;
	}
	hf_idmap_free(attack);
	return r;
}

int hf_scan_mark_new_extensions(struct scan *sc)
{
	struct hf_idmap *wave = NULL;
	uint8_t key[HF_ID_LEN];
	int r = 0, encrypting = 0;

	if (!sc->against)
		return 0;
	wave = hf_idmap_new(sizeof(struct wave_count));
	if (!wave)
		return -ENOMEM;
	for (size_t i = 0; r == 0 && i < sc->n; i++) {
		struct scan_item *it = &sc->items[i];
		struct wave_count *count;
		void *slot;
		if ((it->change != HF_CHANGE_NEW && it->change != HF_CHANGE_RENAMED) ||
		    !ext_key(it->path + it->name_off, key) || hf_idmap_get(sc->exts->seen, key))
			continue;
		if (!sc->exts->complete) {
			r = hf_scan_walk_exts(sc);
			sc->exts->complete = 1;
			if (r < 0 || hf_idmap_get(sc->exts->seen, key))
				continue;
		}
		it->reasons |= HF_REASON_NEW_EXTENSION;
		if (it->verdict == HF_FILE_CLEAN)
			continue;
		if (hf_idmap_put(wave, key, NULL, &slot) < 0) {
			r = -ENOMEM;
			break;
		}
		count = slot;
		if (++count->not_clean >= WAVE_MIN)
			sc->wave = 1;
		if (it->verdict == HF_FILE_ENCRYPTED && ++count->encrypted >= WAVE_MIN)
			encrypting = 1;
	}
	if (r == 0 && encrypting)
		judge_by_wave(sc, wave);
	hf_idmap_free(wave);
	return r == 0 ? judge_containers_by_wave(sc) : r;
}
