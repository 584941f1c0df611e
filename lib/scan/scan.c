/* scan.c — hf_scan: ransomware detection between two snapshots, and the
 * snapshot verdict.
 *
 * The steps (scan_internal.h has the files): collect the changed regular
 * files, pair plain renames, judge each file, mark new extensions and ransom
 * notes, then aggregate:
 *   attack      >= 3 encrypted files and (>= 10 encrypted, or >= 20% of the
 *               changed files encrypted, or a ransom note); or a ransom note
 *               and >= 1 encrypted file; or ransom notes in >= 3 directories
 *               (ransomware ran, whether or not what it encrypted is in this
 *               backup yet);
 *   suspicious  >= 1 encrypted file, a ransom note, a wave of non-clean files
 *               with one new extension, or more suspicious files than
 *               max(3, usual_changes);
 * (but fewer than ATTACK_MIN encrypted files, all encryption containers, and
 * nothing else of an attack, are the owner's own: owner_encryption below)
 *   clean       otherwise.
 * usual_changes is this history's own measure of churn: the changed regular
 * files between `against` and its parent (a tree comparison, no judging), 0
 * when unknown. A server where thousands of files change between backups
 * has room for a few dozen new random-looking files that nothing explains
 * (caches, keyrings); a quiet one does not. It raises only the bar of the
 * suspicious-count rule: encrypted files and notes count whatever the churn. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "repo/mark.h"
#include "scan/scan_internal.h"
#include "util/err.h"
#include "util/hex.h"
#include "util/mem.h"

#define ATTACK_MIN 3       /* encrypted files before an attack can be called */
#define ATTACK_COUNT 10    /* encrypted files that are an attack by their number */
#define ATTACK_SHARE 5     /* 1/5 = 20% of the changed files encrypted */
#define SUSPICIOUS_MIN 3   /* suspicious files tolerated at least */
#define NOTE_DIRS_ATTACK 3 /* directories with ransom notes that are an attack */

static void scan_release(struct scan *sc)
{
	for (size_t i = 0; i < sc->n; i++) {
		free(sc->items[i].path);
		free(sc->items[i].old.parts);
		free(sc->items[i].cur.parts);
	}
	free(sc->items);
	hf_scan_exts_free(sc->exts);
	hf_detect_free(sc->det);
	hf_scan_tools_release(sc);
	if (sc->br_ready)
		hf_blob_reader_release(&sc->br);
}

/* changed files between against and its parent: what the scan after that
 * backup recorded in its verdict mark, else counted again; 0 when unknown */
static uint64_t usual_changes(struct hf_repo *r, const struct hf_snapshot *against)
{
	struct hf_snapshot parent;
	struct hf_mark *marks = NULL;
	const struct hf_mark *v;
	char hex[HF_ID_HEX_LEN + 1];
	size_t nmarks = 0;
	uint64_t n = 0;

	if (!against || !against->has_parent)
		return 0;
	if (hf_mark_list(r, &marks, &nmarks, NULL) == 0) {
		v = hf_marks_verdict_mark(marks, nmarks, against->id);
		n = v ? v->changes : 0;
		hf_mark_list_free(marks, nmarks);
		if (v)
			return n;
	}
	hf_hex_encode(against->parent, HF_ID_LEN, hex);
	if (hf_snapshot_load(r, hex, &parent) < 0)
		return 0; /* forgotten or unreadable: unknown */
	if (hf_scan_count_changes(r, &parent, against, &n) < 0)
		n = 0;
	hf_snapshot_release(&parent);
	return n;
}

int hf_scan_snapshot_verdict(const struct hf_scan_summary *s, int wave, size_t note_dirs)
{
	uint64_t enc = s->encrypted, changed = s->added + s->modified + s->deleted + s->renamed;
	uint64_t bar = s->usual_changes > SUSPICIOUS_MIN ? s->usual_changes : SUSPICIOUS_MIN;

	if (enc >= ATTACK_MIN && (enc >= ATTACK_COUNT || enc * ATTACK_SHARE >= changed || s->notes))
		return HF_SNAP_ATTACK;
	if ((s->notes && enc >= 1) || note_dirs >= NOTE_DIRS_ATTACK)
		return HF_SNAP_ATTACK;
	if (enc >= 1 || s->notes || wave || s->suspicious > bar)
		return HF_SNAP_SUSPICIOUS;
	return HF_SNAP_CLEAN;
}

static void count(struct hf_scan_summary *sum, const struct hf_scan_file *f)
{
	switch (f->change) {
	case HF_CHANGE_NEW:
		sum->added++;
		break;
	case HF_CHANGE_MODIFIED:
		sum->modified++;
		break;
	case HF_CHANGE_DELETED:
		sum->deleted++;
		break;
	default:
		sum->renamed++;
		break;
	}
	sum->encrypted += f->verdict == HF_FILE_ENCRYPTED;
	sum->suspicious += f->verdict == HF_FILE_SUSPICIOUS;
	sum->notes += f->note;
}

/* The owner's own encryption: `gpg -e doc && rm doc` is, file by file, what
 * ransomware's gpg-delete does. A snapshot where fewer than ATTACK_MIN files
 * were judged encrypted, each of them an encryption container (the output
 * of a tool whose key someone holds), with no ransom note and no wave of a
 * new extension, is someone encrypting a file or two: those files are
 * suspicious, not encrypted, so the backup does not alert as for an attack
 * and restore --last-clean keeps them (and says so). Raw random bytes stay
 * encrypted: nothing tells a user's ccrypt from ransomware's. */
static void owner_encryption(struct scan *sc)
{
	size_t enc = 0;

	if (sc->wave || sc->note_dirs)
		return;
	for (size_t i = 0; i < sc->n; i++) {
		const struct scan_item *it = &sc->items[i];
		if (it->note)
			return;
		if (it->verdict != HF_FILE_ENCRYPTED)
			continue;
		if (!(it->reasons & HF_REASON_CONTAINER) || ++enc >= ATTACK_MIN)
			return;
	}
	for (size_t i = 0; i < sc->n; i++)
		if (sc->items[i].verdict == HF_FILE_ENCRYPTED)
			sc->items[i].verdict = HF_FILE_SUSPICIOUS;
}

/* moves the items that are listed into the result */
static void build_result(struct scan *sc, struct hf_scan_result *out)
{
	size_t n = 0;

	for (size_t i = 0; i < sc->n; i++)
		n += !sc->items[i].absorbed;
	out->files = hf_xcalloc(n ? n : 1, sizeof(*out->files));
	for (size_t i = 0; i < sc->n; i++) {
		struct scan_item *it = &sc->items[i];
		struct hf_scan_file *f;
		const struct scan_version *v = it->has_cur ? &it->cur : &it->old;
		if (it->absorbed)
			continue;
		f = &out->files[out->nfiles++];
		f->path = it->path;
		it->path = NULL;
		if (it->change == HF_CHANGE_RENAMED)
			f->from = hf_xstrdup(sc->items[it->pair].path);
		f->change = it->change;
		f->verdict = it->verdict;
		f->note = it->note;
		f->reasons = it->reasons;
		f->size = v->size;
		f->type = v->has_profile ? v->profile.type : HF_CT_UNKNOWN;
		count(&out->sum, f);
	}
}

void hf_scan_list_expand(const struct scan_list *l, struct hf_scan_result *out)
{
	struct scan_list_iter it;
	const char *path;
	size_t at = 0;

	/* one allocation for the paths: a malloc'ed copy each costs a fifth more */
	out->files = hf_xcalloc(l->n ? l->n : 1, sizeof(*out->files));
	out->paths = hf_xmalloc(l->path_bytes ? l->path_bytes : 1);
	hf_scan_list_iter_init(&it, l);
	for (size_t i = 0; (path = hf_scan_list_next(&it)) != NULL; i++) {
		struct hf_scan_file *f = &out->files[i];
		hf_scan_list_unpack(l->recs[i], f);
		f->path = memcpy(out->paths + at, path, it.len + 1);
		at += it.len + 1;
		f->size = it.size;
	}
	out->nfiles = l->n;
	hf_scan_list_iter_release(&it);
}

int hf_scan_changes(struct hf_repo *r, const struct hf_snapshot *s, const struct hf_snapshot *against,
		    struct hf_changes *ch, struct hf_scan_result *out)
{
	struct scan_list list;
	int ret;

	if (against)
		return hf_scan_items(r, s, against, ch, out);
	/* every file new: judged a directory at a time (scan_first.c) */
	hf_changes_free(ch);
	ret = hf_scan_first(r, s, &list, out);
	if (ret == 0)
		hf_scan_list_expand(&list, out);
	hf_scan_list_release(&list);
	return ret;
}

/* a local scan reads each version from the file at its path (the source
 * checks that the file still holds it) */
static void name_versions(struct scan *sc)
{
	for (size_t i = 0; i < sc->n; i++)
		sc->items[i].old.handle = sc->items[i].cur.handle = sc->items[i].path;
}

/* hf_scan_items, and with local the write-only client's scan (hf_scan_local) */
static int scan_items(struct hf_repo *r, const struct hf_snapshot *s, const struct hf_snapshot *against,
		      struct hf_changes *ch, const struct hf_tree_source *local, struct hf_scan_result *out)
{
	struct scan sc;
	int ret;

	memset(out, 0, sizeof(*out));
	memset(&sc, 0, sizeof(sc));
	if (ch && !hf_scan_changes_describe(ch, s, against)) {
		hf_changes_free(ch);
		ch = NULL;
	}
	if (!local && !hf_repo_index(r) && (ret = hf_repo_load_index(r, NULL, NULL, NULL)) < 0) {
		hf_changes_free(ch);
		return ret;
	}
	sc.r = r;
	sc.against = against;
	sc.local = local;
	if (!local) {
		hf_blob_reader_init(&sc.br, r);
		sc.br_ready = 1;
	}
	hf_scan_tools_init(&sc);
	sc.exts = hf_scan_exts_new();
	ret = sc.exts ? hf_scan_collect(&sc, against, s, ch) : -ENOMEM;
	hf_changes_free(ch);
	if (ret == 0 && local)
		name_versions(&sc);
	if (ret == 0 && against)
		ret = hf_scan_pair_same(&sc);
	if (ret == 0)
		ret = hf_scan_judge_all(&sc);
	if (ret == 0)
		ret = hf_scan_mark_new_extensions(&sc);
	if (ret == 0)
		ret = hf_scan_find_notes(&sc);
	if (ret == 0) {
		owner_encryption(&sc);
		memcpy(out->snapshot, s->id, HF_ID_LEN);
		if (against) {
			out->has_against = 1;
			memcpy(out->against, against->id, HF_ID_LEN);
		}
		build_result(&sc, out);
		out->sum.files = s->files;
		out->sum.usual_changes = local ? 0 : usual_changes(r, against);
		out->verdict = hf_scan_snapshot_verdict(&out->sum, sc.wave, sc.note_dirs);
	}
	scan_release(&sc);
	return ret;
}

int hf_scan_items(struct hf_repo *r, const struct hf_snapshot *s, const struct hf_snapshot *against,
		  struct hf_changes *ch, struct hf_scan_result *out)
{
	return scan_items(r, s, against, ch, NULL, out);
}

int hf_scan_local(struct hf_repo *r, const struct hf_snapshot *s, const struct hf_snapshot *against,
		  struct hf_changes *ch, const struct hf_tree_source *trees, struct hf_scan_result *out)
{
	if (!against || !trees) {
		hf_changes_free(ch);
		return -HF_E_USAGE;
	}
	return scan_items(r, s, against, ch, trees, out);
}

int hf_scan(struct hf_repo *r, const struct hf_snapshot *s, const struct hf_snapshot *against,
	    struct hf_scan_result *out)
{
	return hf_scan_changes(r, s, against, NULL, out);
}

void hf_scan_result_release(struct hf_scan_result *res)
{
	if (!res)
		return;
	for (size_t i = 0; !res->paths && i < res->nfiles; i++) {
		free(res->files[i].path);
		free(res->files[i].from);
	}
	free(res->paths);
	free(res->files);
	memset(res, 0, sizeof(*res));
}

const char *hf_scan_reason_name(uint32_t bit)
{
	static const char *const names[HF_REASON_COUNT] = {
		"type-changed",     "invalid",       "random-blocks",  "encoded-random",    "container",
		"original-deleted", "new-extension", "ransom-note",    "random-content",    "low-overlap",
		"original-kept",    "random-bytes",  "wave-extension", "compressed-random", "garbled-text",
	};

	for (int i = 0; i < HF_REASON_COUNT; i++)
		if (bit == 1u << i)
			return names[i];
	return "?";
}

const char *hf_file_verdict_name(int v)
{
	static const char *const names[] = {"clean", "suspicious", "encrypted"};

	return v >= 0 && v <= HF_FILE_ENCRYPTED ? names[v] : "?";
}

const char *hf_snap_verdict_name(int v)
{
	static const char *const names[] = {"clean", "suspicious", "attack"};

	return v >= 0 && v <= HF_SNAP_ATTACK ? names[v] : "?";
}

const char *hf_change_name(int c)
{
	static const char *const names[] = {"new", "modified", "deleted", "renamed"};

	return c >= 0 && c <= HF_CHANGE_RENAMED ? names[c] : "?";
}
