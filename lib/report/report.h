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
};

struct hf_report_file { /* a version judged encrypted */
	char *path;
	char *orig; /* the path of the version it replaced (renamed: from), else path */
	uint64_t size;
	uint64_t clean_size; /* of the last clean version, if any */
	size_t snap;         /* index in the chain where it appeared */
	int64_t mtime_ns;    /* of the encrypted version (0 unknown) */
	int64_t ctime_ns;
	int has_clean; /* an earlier version exists (else: never clean, lost) */
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
};
#define HF_REPORT_NOTE_MAX (64u << 10)
#define HF_REPORT_HTML_FILES 2000          /* rows of the HTML's file table (the JSON has all) */
#define HF_REPORT_PII_READ_MAX (16u << 20) /* bytes of a file read for personal data */

struct hf_report_dir {
	char *path;
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
	uint64_t pii_files_skipped; /* not text this version can read */
	/* restore --last-clean over the newest snapshot of the chain */
	struct {
		uint64_t from_newest, from_older, skipped, sources;
		uint64_t bytes; /* of the clean versions of the encrypted files */
		char newest_id[HF_ID_HEX_LEN + 1];
	} recovery;
	struct hf_report_alert *alerts; /* the watcher's alert marks on the history (alerts.c), by time */
	size_t nalerts;
};

struct hf_report_opts {
	const struct hf_snapshot *snapshot; /* the newest snapshot to report on; its chain is used */
	int64_t since_ns;                   /* snapshots before this time only as a baseline (0: all) */
	const char *repo;                   /* the --repo argument, for the commands the report gives */
};

/* Gathers the report. 0 or -errno / -HF_E_*. */
int hf_report_build(struct hf_repo *r, const struct hf_report_opts *o, struct hf_report *out);
void hf_report_release(struct hf_report *rep);

/* Renderings: 0 or -EIO if writing f failed. */
int hf_report_write_json(const struct hf_report *rep, FILE *f);
int hf_report_write_html(const struct hf_report *rep, FILE *f);

#endif
