/* report.h — the incident report (docs/REPORT.md): the facts of an attack
 * gathered from one backup history — the scans of its snapshots, the
 * verdict marks, the ransom notes, the personal data in the last clean
 * version of each encrypted file, what restore --last-clean brings back —
 * and their two renderings, JSON (render_json.c) and one self-contained
 * HTML page (render_html.c). Gathering reads the repository (full key);
 * rendering only writes to the FILE it is given. */
#ifndef HF_REPORT_H
#define HF_REPORT_H

#include <stdio.h>

#include "report/alerts.h"
#include "report/notes.h"
#include "report/pii.h"
#include "scan/scan.h"

struct hf_report_snap {
	uint8_t id[HF_ID_LEN];
	int64_t time_ns;
	int verdict; /* enum hf_snap_verdict of its scan against the one before */
	struct hf_scan_summary sum;
	uint64_t bytes_encrypted; /* of the versions judged encrypted here */
	int in_range;             /* at or after --since */
	int restore_source;       /* restore --last-clean takes files from it */
	int pinned;               /* forget and prune keep it (a pin mark) */
};

struct hf_report_file { /* a version judged encrypted */
	char *path;
	char *orig; /* the path of the version it replaced (renamed: from), else path */
	uint64_t size;
	uint64_t clean_size; /* of the last clean version, if any */
	size_t snap;         /* index in the chain where it appeared */
	int64_t mtime_ns;    /* of the encrypted version (0 unknown) */
	int64_t ctime_ns;
	int has_clean;     /* a clean earlier version exists (else: never clean, lost) */
	size_t clean_snap; /* index in the chain of the backup that holds it */
};

struct hf_report_item {
	int kind; /* enum hf_note_kind */
	char *value;
};

struct hf_report_note {
	char *path;
	size_t snap;
	char *text; /* up to HF_REPORT_NOTE_MAX bytes, NUL-terminated (may hold any bytes) */
	size_t len;
	int truncated;
	struct hf_report_item *items;
	size_t nitems;
	/* notes of the same text (one per directory, as most families drop them)
	 * are shown once: copies is how many notes hold this text on the first
	 * of them, 0 on the others; next_copy chains them (HF_REPORT_END ends) */
	size_t copies, next_copy;
};
#define HF_REPORT_END ((size_t)-1)
#define HF_REPORT_NOTE_MAX (64u << 10)
#define HF_REPORT_HTML_FILES 2000          /* rows of the HTML's file table (the JSON has all) */
#define HF_REPORT_NOTE_PATHS 50            /* paths of a note's copies in the HTML (the JSON has all) */
#define HF_REPORT_PII_READ_MAX (16u << 20) /* bytes of a file read for personal data */

struct hf_report_dir {
	char *path;
	size_t first_file; /* its encrypted files: files[first_file .. + files) */
	uint64_t files, bytes;
	char *types; /* "docx 3, pdf 1": the extensions of the originals */
};

struct hf_report_ext {
	char *ext; /* what encrypted files were renamed to (".locked") */
	uint64_t files;
};

struct hf_report {
	int64_t made_ns;
	char *repo; /* for the commands the report gives */
	char *host;
	char **paths;
	size_t npaths;
	struct hf_report_snap *snaps; /* the chain, oldest first */
	size_t nsnaps;
	int64_t since_ns; /* 0: all */
	int attack;       /* a snapshot in range was judged an attack */
	int suspicious;   /* ... or suspicious */
	/* the earliest encrypted version: by mtime, and the backup that held it */
	int64_t first_mtime_ns;
	int64_t first_ctime_ns;
	size_t first_snap; /* valid when files */
	/* detection: the first verdict mark saying attack (or suspicious), else
	 * this report's own scans */
	int detected;
	int64_t detected_ns;
	char *detected_how;
	struct hf_report_file *files; /* sorted by path */
	size_t nfiles;
	uint64_t bytes_encrypted, never_clean;
	struct hf_report_dir *dirs;
	size_t ndirs;
	struct hf_report_ext *exts;
	size_t nexts;
	struct hf_report_note *notes;
	size_t nnotes;
	struct hf_pii_tally pii;
	int pii_all;                /* --all: every file of the directories hit was read */
	uint64_t pii_files_skipped; /* not text this version can read */
	uint64_t read_bytes;        /* file contents read from the repository, */
	int64_t read_ns;            /* and the time that took (the read speed) */
	/* restore --last-clean over the newest snapshot of the chain */
	struct {
		uint64_t from_newest, from_older, skipped, sources;
		uint64_t bytes; /* of the clean versions of the encrypted files */
		char newest_id[HF_ID_HEX_LEN + 1];
		/* about what the restore writes: the newest snapshot's bytes, less
		 * the encrypted versions it holds, plus the clean versions */
		uint64_t restore_bytes;
		uint64_t speed;   /* bytes/s read from the repository (read_bytes, read_ns); 0: too little read */
		uint64_t seconds; /* restore_bytes at that speed (0 if no speed) */
	} recovery;
	struct hf_report_alert *alerts; /* the watcher's alert marks on the history (alerts.c), by time */
	size_t nalerts;
};

struct hf_report_opts {
	const struct hf_snapshot *snapshot; /* the newest snapshot to report on; its chain is used */
	int64_t since_ns;                   /* snapshots before this time only as a baseline (0: all) */
	const char *repo;                   /* the --repo argument, for the commands the report gives */
	int all; /* personal data in every file of the directories hit, not only the encrypted ones */
};
/* a speed measured on less than this many bytes gives no estimate */
#define HF_REPORT_SPEED_MIN_BYTES (1u << 20)

/* Gathers the report. 0 or -errno / -HF_E_*. */
int hf_report_build(struct hf_repo *r, const struct hf_report_opts *o, struct hf_report *out);
void hf_report_release(struct hf_report *rep);

/* Renderings: 0 or -EIO if writing f failed. */
int hf_report_write_json(const struct hf_report *rep, FILE *f);
int hf_report_write_html(const struct hf_report *rep, FILE *f);

#endif
