/* scan_internal.h — what the files of a scan share (scan.h is the API).
 *
 * A scan first collects every changed regular file from a comparison of the
 * two snapshots' trees (scan_walk.c), or from what the backup of the newer
 * one collected as it went (scan_changes.c), sorted by path. It then pairs renames
 * (scan_pair.c), judges each file (scan_judge.c, reading content where a
 * stored profile is missing or must be confirmed: scan_content.c, through
 * a content source, source.h), marks extensions the earlier snapshot never had
 * (scan_ext.c) and ransom notes (scan_notes.c), and scan.c aggregates. */
#ifndef HF_SCAN_INTERNAL_H
#define HF_SCAN_INTERNAL_H

#include <pthread.h>

#include "repo/walk.h"
#include "scan/scan.h"
#include "scan/source.h"
#include "util/err.h"

#define SCAN_NONE ((size_t)-1)

/* one version of a file: what judging needs of its tree entry */
struct scan_version {
	uint64_t size;
	struct hf_part *parts; /* taken over from the tree entry */
	size_t nparts;
	uint8_t has_profile;
	uint8_t profiled; /* computed here from the whole content (or a prefix, past
			   * HF_DETECT_VALIDATE_MAX): libmagic ran, validity is final */
	uint8_t retyped;  /* type confirmed here from the content's start */
	uint8_t counted;  /* a light profile's blocks counted here over all the content */
	struct hf_profile profile;
	const void *handle; /* hf_scan_ref.handle: NULL for stored content */
};

/* one changed regular file */
struct scan_item {
	char *path;
	size_t name_off; /* where the base name starts in path */
	uint8_t change;  /* enum hf_change */
	uint8_t has_old, has_cur;
	uint8_t absorbed; /* deleted, and paired with a new file: listed as its `from` */
	uint8_t sibling;  /* new: its directory holds a regular file of its name minus the last extension */
	uint8_t verdict, note;
	uint32_t reasons;
	size_t pair; /* renamed: the deleted item it replaced; else SCAN_NONE */
	struct scan_version old, cur;
};

struct scan_exts; /* extensions seen in the earlier snapshot (scan_ext.c) */

struct scan {
	struct hf_repo *r;
	const struct hf_snapshot *against; /* NULL: everything is new */
	/* hf_scan_local: the trees from here, the content from the files on
	 * this machine; NULL: both from the repository */
	const struct hf_tree_source *local;
	struct hf_blob_reader br; /* the snapshots' trees */
	int br_ready;
	struct hf_scan_source src; /* file content: judging reads only through it */
	struct hf_detect *det;     /* created on first use */
	struct hf_buf content;     /* a file's bytes, up to HF_DETECT_VALIDATE_MAX */
	struct hf_buf blob;        /* one data part's bytes */
	struct scan_item *items;   /* sorted by path after the walk */
	size_t n, cap;
	struct scan_exts *exts;
	int wave;         /* a wave of non-clean files with one new extension */
	size_t note_dirs; /* directories with a ransom note (about: see scan_notes.c) */
	uint64_t decoded; /* bytes compressed files were decoded to (scan_judge.c) */
};

/* what a backup collected (scan_changes.c): the items and extensions a walk
 * of both snapshots would have found, except in subdirectories the backup
 * saw deleted (`gone`: their trees are read when the scan starts) */
struct changes_gone {
	char *path;
	uint8_t id[HF_ID_LEN];
};

struct hf_changes {
	pthread_mutex_t lock;
	int done, broken; /* broken: incomplete, the scan walks */
	uint8_t old_root[HF_ID_LEN], new_root[HF_ID_LEN];
	size_t bytes;   /* what the items hold, roughly (capped) */
	struct scan sc; /* only items, n, cap and exts are used */
	struct changes_gone *gone;
	size_t ngone, gone_cap;
};

/* 1 if ch holds the change from against's tree to s's */
int hf_scan_changes_describe(const struct hf_changes *ch, const struct hf_snapshot *s,
			     const struct hf_snapshot *against);

/* scan_walk.c: collects the changed regular files of cur against old (NULL:
 * every file of cur is new) and sorts them by path; file extensions of the
 * earlier trees it loads go to sc->exts. From ch (which it empties) when
 * given, with only ch's deleted subdirectories read. */
int hf_scan_collect(struct scan *sc, const struct hf_snapshot *old, const struct hf_snapshot *cur,
		    struct hf_changes *ch);
/* one directory's changed files, prev (NULL: a new directory) against tree,
 * into ch; subdirectories are left to their own call, deleted ones noted in
 * ch->gone. Moves the parts out of both trees' file entries. */
void hf_scan_walk_dir(struct hf_changes *ch, const char *path, struct hf_tree *prev, struct hf_tree *tree);
/* every regular file's extension in sc->against into sc->exts */
int hf_scan_walk_exts(struct scan *sc);
/* counts changed regular files between two snapshots, without judging */
int hf_scan_count_changes(struct hf_repo *r, const struct hf_snapshot *old, const struct hf_snapshot *cur,
			  uint64_t *count);

/* scan_items.c */
/* the item at path (binary search), or SCAN_NONE */
size_t hf_scan_find(const struct scan *sc, const char *path);
/* index of the first item whose path sorts at or after prefix (those that
 * start with prefix follow it, contiguously) */
size_t hf_scan_lower_bound(const struct scan *sc, const char *prefix);

/* A read of a version the content source no longer has (hf_scan_source_files:
 * the file changed since the backup, or the version is an earlier one) is
 * not an error: the rule that wanted the bytes goes without them, as for a
 * file too large to read. Returns 0 for that, else r. */
static inline int hf_scan_gone(int r)
{
	return r == -HF_E_CHANGED ? 0 : r;
}

/* scan_content.c */
/* the first min(limit, size) bytes of a version into sc->content (holes are zeros) */
int hf_scan_read(struct scan *sc, const struct scan_version *v, size_t limit);
/* the scan's libmagic (created on first use; shared by judging threads) */
int hf_scan_detector(struct scan *sc);
/* a judging thread's own content source (the repository's) and buffers (a
 * copy of the scan gets them; take moves them back into the scan they were
 * copied from) */
void hf_scan_tools_init(struct scan *sc);
void hf_scan_tools_take(struct scan *to, const struct scan *from);
void hf_scan_tools_release(struct scan *sc);
/* the whole profile from the content (up to HF_DETECT_VALIDATE_MAX; larger
 * files: type from a prefix, validity unchecked, stored block statistics kept) */
int hf_scan_profile(struct scan *sc, struct scan_version *v);
/* a light profile's block statistics counted again over every block of
 * data (the backup sampled one block in four), for versions up to
 * HF_DETECT_VALIDATE_MAX (what a scan reads for one file stays bounded in
 * time); type and validity are left as they are */
int hf_scan_count_blocks(struct scan *sc, struct scan_version *v);
/* a light profile's validity (unchecked: first backups skip it) decided
 * from the whole content, when the version is small enough to be checked */
int hf_scan_validate(struct scan *sc, struct scan_version *v);
/* a profile at all: the stored one, else computed */
int hf_scan_need_profile(struct scan *sc, struct scan_version *v);
/* the profile of the first min(limit, size) bytes (its validity means nothing
 * when that is not the whole file); the bytes stay in sc->content */
int hf_scan_prefix_profile(struct scan *sc, const struct scan_version *v, size_t limit, struct hf_profile *out);
/* confirms an "unknown" type from the content's start with libmagic (light
 * profiles, of first backups, skip libmagic, so their unknown may be tar,
 * mp3, ...; a full profile's type stands) */
int hf_scan_retype(struct scan *sc, struct scan_version *v);
/* SHA-256 of a version's part list: equal keys, equal content */
void hf_scan_content_key(const struct scan_version *v, uint8_t key[HF_ID_LEN]);

/* scan_judge.c */
/* reasons that the change old -> cur encrypted the file (0: none); LOW_OVERLAP
 * is added as context. conversion: cur replaced old under the same stem with
 * another extension (photo.jpg -> photo.webp), so a new format is expected */
int hf_scan_judge_change(struct scan *sc, struct scan_version *old, struct scan_version *cur, int conversion,
			 uint32_t *reasons);
/* reasons a new file looks encrypted on its content alone (0: none) */
int hf_scan_judge_content(struct scan *sc, struct scan_version *cur, uint32_t *reasons);
/* judges every item (renames already paired by hf_scan_pair_same) */
int hf_scan_judge_all(struct scan *sc);
/* an encryption container (OpenPGP, age, encrypted entries or headers) */
int hf_scan_is_container(const struct hf_profile *p);
#define SCAN_ENCRYPTING                                                                                          \
	(HF_REASON_TYPE_CHANGED | HF_REASON_INVALID | HF_REASON_RANDOM_BLOCKS | HF_REASON_ENCODED_RANDOM |       \
	 HF_REASON_CONTAINER | HF_REASON_RANDOM_CONTENT | HF_REASON_RANDOM_BYTES | HF_REASON_COMPRESSED_RANDOM | \
	 HF_REASON_GARBLED_TEXT)

/* scan_pair.c */
/* pairs deleted and new files of identical content as plain renames */
int hf_scan_pair_same(struct scan *sc);
/* the unpaired deleted item in new item i's directory whose name is i's
 * minus extra extensions (*suffix = 1), or has the same stem (*suffix = 0);
 * SCAN_NONE if none */
size_t hf_scan_match_name(const struct scan *sc, size_t i, int *suffix);
/* the unpaired deleted item in i's directory closest in size (within a
 * tolerance), for candidates renamed to names that say nothing; SCAN_NONE */
size_t hf_scan_match_size(const struct scan *sc, size_t i);
/* makes new item i the rename of deleted item d */
void hf_scan_make_rename(struct scan *sc, size_t i, size_t d);

/* scan_ext.c */
struct scan_exts *hf_scan_exts_new(void);
void hf_scan_exts_free(struct scan_exts *e);
void hf_scan_exts_add(struct scan_exts *e, const char *name);
/* sets HF_REASON_NEW_EXTENSION on new and renamed items, and sc->wave;
 * judges the files that took on the attack's extension by it (small ones,
 * and containers encrypted again) */
int hf_scan_mark_new_extensions(struct scan *sc);

/* scan_notes.c: finds ransom notes among the new small text files */
int hf_scan_find_notes(struct scan *sc);
#define SCAN_NOTE_MAX (64u << 10)
#define SCAN_NOTE_SPREAD 3      /* directories */
#define SCAN_NOTE_DIR_LOOK 4096 /* entries of one directory looked at for company */
/* a new version that may be a note: small text, not judged encrypted */
int hf_scan_note_candidate(const struct scan_version *v, int verdict);
/* whether a group of new files of one content (content: its first bytes,
 * up to SCAN_NOTE_MAX) in `dirs` directories is a ransom note; alert: one
 * of them shares its directory with a non-clean file */
int hf_scan_note_verdict(const uint8_t *content, size_t n, size_t dirs, int alert);

/* scan.c */
/* hf_scan_changes with every changed file held as an item (what it does
 * when there is an earlier snapshot); against NULL works too, and gives what
 * hf_scan_first does (the tests compare them) */
int hf_scan_items(struct hf_repo *r, const struct hf_snapshot *s, const struct hf_snapshot *against,
		  struct hf_changes *ch, struct hf_scan_result *out);
int hf_scan_snapshot_verdict(const struct hf_scan_summary *s, int wave, size_t note_dirs);

/* scan_list.c: the files of a scan against no earlier snapshot (all new),
 * path-ordered and compact (about 16 bytes a file) */
struct scan_list {
	uint8_t *bytes; /* per file: varint shared length, varint rest length, rest, varint size */
	size_t len, bcap;
	size_t path_bytes; /* of every path, with its NUL */
	size_t *restarts;  /* offset of every LIST_RESTART-th file: a whole path */
	uint32_t *recs;    /* hf_scan_list_pack */
	size_t n, cap;
	char *prev; /* the last path added */
	size_t prev_len, prev_cap;
	char *tmp; /* what look-ups decode into */
	size_t tmp_cap;
};
struct scan_list_iter {
	const struct scan_list *l;
	size_t i, off, len, cap;
	char *path;
	uint64_t size; /* of the file next returned */
};
void hf_scan_list_release(struct scan_list *l); /* a zeroed list is empty */
/* appends a file (its rec is 0): -HF_E_USAGE unless path sorts after the last one */
int hf_scan_list_add(struct scan_list *l, const char *path, uint64_t size);
/* index of path (its size into *size if not NULL), or SCAN_NONE */
size_t hf_scan_list_find(struct scan_list *l, const char *path, uint64_t *size);
/* path of file i, valid until the next look-up; NULL past the end */
const char *hf_scan_list_path(struct scan_list *l, size_t i);
uint32_t hf_scan_list_pack(int verdict, int note, uint32_t reasons, int type);
/* verdict, note, reasons and type into f; change new, no from (path and size untouched) */
void hf_scan_list_unpack(uint32_t rec, struct hf_scan_file *f);
/* the list as out's files (their paths in out->paths) */
void hf_scan_list_expand(const struct scan_list *l, struct hf_scan_result *out);
/* every path in order: next returns NULL at the end */
void hf_scan_list_iter_init(struct scan_list_iter *it, const struct scan_list *l);
const char *hf_scan_list_next(struct scan_list_iter *it);
void hf_scan_list_iter_release(struct scan_list_iter *it);

/* scan_first.c: the scan of s against no earlier snapshot, streamed: every
 * regular file judged on its content and its directory, one directory at a
 * time, into list; head gets the snapshot, verdict and summary (no files) */
int hf_scan_first(struct hf_repo *r, const struct hf_snapshot *s, struct scan_list *list, struct hf_scan_result *head);

#endif
