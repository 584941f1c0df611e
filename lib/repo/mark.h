/* mark.h — marks: small immutable objects that say something about a
 * snapshot after it was written (docs/FORMAT.md, "Marks").
 *
 * A snapshot object is never edited, so what is learnt about it later — that
 * a user pinned or unpinned it, or what a ransomware scan concluded — is a
 * new object under marks/, named by the SHA-256 of its bytes and sealed like
 * a snapshot. The current state of a snapshot is derived from all its marks:
 * the latest pin/unpin decides whether it is pinned, the latest verdict mark
 * gives its verdict. Part of the repo module; uses only what repo.h uses. */
#ifndef HF_REPO_MARK_H
#define HF_REPO_MARK_H

#include <stddef.h>
#include <stdint.h>

#include "repo/repo.h"

/* HF_MARK_FORGOTTEN: forget removed (or is about to remove) the snapshot.
 * Written before the deletion, it tells check that a snapshot named as a
 * parent, or by other marks, was not deleted outside holdfast. */
/* HF_MARK_ALERT: holdfast watch raised an alert; the snapshot is its
 * immediate backup (or, when that failed, the snapshot before it), the
 * reason is the alert record (hf_mark_alert_format). Written in payload
 * version 4 (the others stay version 3, readable by older holdfast). */
enum hf_mark_kind { HF_MARK_PIN = 1, HF_MARK_UNPIN = 2, HF_MARK_VERDICT = 3, HF_MARK_FORGOTTEN = 4, HF_MARK_ALERT = 5 };

/* same numbers as enum hf_snap_verdict (scan/scan.h), which the repo
 * layer cannot include */
enum hf_mark_verdict { HF_MARK_VERDICT_CLEAN = 0, HF_MARK_VERDICT_SUSPICIOUS = 1, HF_MARK_VERDICT_ATTACK = 2 };

#define HF_MARK_REASON_MAX 1024 /* bytes of reason text, without the NUL */

struct hf_mark {
	uint8_t id[HF_ID_LEN];       /* SHA-256 of the object: filled by load/list, ignored by write */
	int64_t time_ns;             /* when (ns since 1970, the writer's clock) */
	uint8_t snapshot[HF_ID_LEN]; /* the snapshot it is about */
	uint8_t kind;                /* enum hf_mark_kind */
	uint8_t verdict;             /* enum hf_mark_verdict; HF_MARK_VERDICT only, else 0 */
	uint64_t changes;            /* HF_MARK_VERDICT: regular files the scan found new,
				      * modified, deleted or renamed; else 0 */
	char *reason;                /* short text, no NUL inside; NULL writes "" (load gives "" then) */
	/* HF_MARK_UNPIN: the deletion key's signature of (repository, snapshot,
	 * time), made by hf_mark_write; only the full key can */
	uint8_t sig[HF_SIGN_LEN];
	/* HF_MARK_VERDICT: the same signature of (repository, snapshot, time,
	 * verdict) when the writer had the full key, else zeros; HF_MARK_ALERT:
	 * of (repository, snapshot, time, SHA-256 of the reason), else zeros */
	/* set by load and list: 0 for an unpin, verdict or alert whose signature does
	 * not verify (not made with the full key: the derived state ignores
	 * such an unpin, and a signed verdict beats such a verdict), else 1 */
	uint8_t authorized;
};

/* Encrypts m to the session and stores it under marks/. Write a mark only
 * after the snapshot it names (forget --prune deletes marks whose snapshot
 * it does not find). -HF_E_USAGE for a bad kind/verdict or a NUL in reason,
 * -HF_E_LIMIT for a reason longer than HF_MARK_REASON_MAX. Works with a
 * write-only key, except an unpin, which it signs with the full key
 * (-HF_E_WRITEONLY). */
HF_MUST_USE int hf_mark_write(struct hf_repo *r, const struct hf_session *s, const struct hf_mark *m);
/* Reads one mark object by name; checks its name, the AEAD and every field. */
HF_MUST_USE int hf_mark_load(struct hf_repo *r, const char *name, struct hf_mark *m);
void hf_mark_release(struct hf_mark *m);
/* Every mark, oldest first (ties by id). Damaged ones are skipped and
 * counted in *bad (may be NULL). An empty or missing marks/ gives n = 0. */
HF_MUST_USE int hf_mark_list(struct hf_repo *r, struct hf_mark **out, size_t *n, size_t *bad);
void hf_mark_list_free(struct hf_mark *m, size_t n);

/* ---- state derived from the marks (any order of the array) ---------------- */

/* The pin or unpin mark that decides whether the snapshot is pinned: the one
 * with the latest time; at equal times a pin beats an unpin (when in doubt,
 * keep). Unpins not authorized (unsigned) are ignored. NULL if the
 * snapshot has neither. */
const struct hf_mark *hf_marks_pin_state(const struct hf_mark *m, size_t n, const uint8_t snapshot[HF_ID_LEN]);
/* 1 if the snapshot is pinned, else 0 */
HF_MUST_USE int hf_marks_pinned(const struct hf_mark *m, size_t n, const uint8_t snapshot[HF_ID_LEN]);
/* The verdict mark with the latest time among those the full key signed,
 * else among all (at equal times the more severe verdict); NULL if none. */
const struct hf_mark *hf_marks_verdict_mark(const struct hf_mark *m, size_t n, const uint8_t snapshot[HF_ID_LEN]);
/* 1 and *verdict set from hf_marks_verdict_mark; 0 and *verdict = -1 if the
 * snapshot has no verdict mark */
HF_MUST_USE int hf_marks_verdict(const struct hf_mark *m, size_t n, const uint8_t snapshot[HF_ID_LEN], int *verdict);

/* 1 if some mark says forget removed the snapshot */
HF_MUST_USE int hf_marks_forgotten(const struct hf_mark *m, size_t n, const uint8_t snapshot[HF_ID_LEN]);

const char *hf_mark_kind_name(int kind);       /* "pin", "unpin", "verdict", "forgotten", "alert"; "?" otherwise */
const char *hf_mark_verdict_name(int verdict); /* "clean", "suspicious", "attack"; "?" otherwise */

/* ---- the alert record: the reason text of an HF_MARK_ALERT (mark_alert.c) -- */

/* One line of text, a version and then key=value words in a fixed order
 * (docs/FORMAT.md, "Alert records"); at most HF_MARK_REASON_MAX bytes. */
#define HF_MARK_ALERT_MINUTES 15           /* minutes of event counts, the alert's minute last */
#define HF_MARK_ALERT_COUNT_MAX 999999999u /* counts saturate here */
enum hf_mark_alert_action { HF_MARK_ALERT_FREEZE = 0, HF_MARK_ALERT_KILL = 1, HF_MARK_ALERT_ONLY = 2 };

struct hf_mark_alert_minute { /* events on the watched paths in one minute, every process */
	uint32_t writes;      /* files written and closed */
	uint32_t renames;     /* files renamed (or moved in) */
	uint32_t deletes;     /* files deleted */
	uint32_t encrypted;   /* of those, judged ciphertext (encrypted, new ciphertext) */
};

struct hf_mark_alert {
	int64_t time_ns; /* the alert (the actor's latest event) */
	int32_t pid;     /* the process of that event */
	int action;      /* enum hf_mark_alert_action */
	int signalled;   /* the signal of the action was delivered */
	int backup_ok;   /* 1: the snapshot is the immediate backup; 0: it failed, the snapshot is the one before */
	uint32_t files;  /* file events judged for the actor (written, renamed, deleted) */
	uint32_t encrypted, new_ciphertext, originals_deleted, notes;
	int64_t first_minute; /* minutes since 1970 of minutes[0] */
	uint32_t nminutes;    /* 0..HF_MARK_ALERT_MINUTES */
	struct hf_mark_alert_minute minutes[HF_MARK_ALERT_MINUTES];
	char exe[256]; /* the executable, cut to fit (NUL-terminated, never holds a NUL) */
};

/* The record as text into out (cap >= HF_MARK_REASON_MAX + 1): counts above
 * HF_MARK_ALERT_COUNT_MAX saturate, the executable is escaped (%XX for
 * bytes <= 0x20, 0x7f and '%') and cut at a whole character to fit.
 * -HF_E_USAGE for a pid below 1, a bad action, nminutes or cap. */
HF_MUST_USE int hf_mark_alert_format(const struct hf_mark_alert *a, char *out, size_t cap);
/* Parses a record from a mark's reason (anyone with the write-only key can
 * write one: every field is checked). -HF_E_VERSION for a record of another
 * version, -HF_E_CORRUPT for anything malformed; *a is zeroed then. */
HF_MUST_USE int hf_mark_alert_parse(const char *text, struct hf_mark_alert *a);
const char *hf_mark_alert_action_name(int action); /* "freeze", "kill", "alert"; "?" otherwise */

#endif
