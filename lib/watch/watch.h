/* watch.h — real-time detection: a fanotify listener over the watched paths,
 * each file a process writes judged by the scan's rules (scan/live.h) against
 * what the file was when first seen, and a per-process score that crosses a
 * threshold when one process, process group or session turns a burst of
 * files into ciphertext.
 *
 * The library decides; the caller acts (signals, backups, alert commands):
 * nothing here prints, exits or signals. Every table has a cap. */
#ifndef HF_WATCH_H
#define HF_WATCH_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/err.h"

/* ---- per-process scoring (score.c): pure, fed facts ---------------------- */

/* what one file event turned out to be */
enum hf_watch_fact_kind {
	HF_WATCH_CLEAN = 0,         /* written, nothing wrong */
	HF_WATCH_ENCRYPTED = 1,     /* an existing file's content turned to ciphertext */
	HF_WATCH_CANDIDATE = 2,     /* a new file of ciphertext (its original not yet known lost) */
	HF_WATCH_ORIGINAL_GONE = 3, /* a file deleted after the same actor wrote its ciphertext copy */
	HF_WATCH_NOTE = 4,          /* a ransom note */
	HF_WATCH_KEPT = 5,          /* a new encrypted file whose plaintext original is beside it */
	HF_WATCH_DELETED = 6,       /* a known file deleted (no ciphertext copy seen) */
	HF_WATCH_FACT_MAX
};

/* who did it: each fact counts for the pid, its process group, its session
 * and the process that started its session (one process per file, each in
 * a session of its own) */
struct hf_watch_who {
	pid_t pid, pgid, sid, ppid;
	pid_t session_parent; /* the session leader's parent (0: unknown) */
	uid_t uid;
};

struct hf_watch_fact {
	int kind; /* enum hf_watch_fact_kind */
	struct hf_watch_who who;
	int64_t t_ns;
	const char *path;
	uint32_t reasons;  /* HF_REASON_* of the judgement */
	uint64_t size;     /* the file's size (a deleted one's last known size) */
	int new_extension; /* renamed or written under an extension never seen under the watched paths */
	int copy_kept;     /* ORIGINAL_GONE: its copy was an HF_WATCH_KEPT one (worth nothing until now) */
};

/* actor kinds */
#define HF_WATCH_BY_PID 0
#define HF_WATCH_BY_PGID 1
#define HF_WATCH_BY_SID 2
#define HF_WATCH_BY_PARENT 3 /* the sessions one process started (not when it leads the group or session) */

#define HF_WATCH_FILES_KEPT 64 /* files an actor remembers (the most recent) */

struct hf_watch_file {
	char path[256]; /* cut if longer */
	int64_t t_ns;
	int kind;
	uint32_t reasons;
	pid_t pid;
	uint64_t size;
	int paired; /* a copy whose original was deleted since */
};

/* an actor whose score crossed the threshold */
struct hf_watch_hit {
	int by; /* HF_WATCH_BY_* */
	pid_t id;
	struct hf_watch_who last; /* the process of its latest fact */
	unsigned score;           /* milli-points */
	unsigned encrypted, candidates, originals_gone, notes;
	unsigned touched; /* file events judged for it (written, renamed, deleted; clean ones too) */
	int64_t first_ns, last_ns;
	size_t nfiles; /* files[0..nfiles), oldest first */
	struct hf_watch_file files[HF_WATCH_FILES_KEPT];
};

struct hf_watch_score_opts {
	unsigned threshold; /* milli-points; 0: HF_WATCH_THRESHOLD */
	int64_t window_ns;  /* an actor idle this long starts again at 0; 0: 10 min */
	size_t max_actors;  /* 0: 4096 (the least recently active is dropped) */
};
#define HF_WATCH_THRESHOLD 3000 /* three files turned to ciphertext */
#define HF_WATCH_WINDOW_NS (600LL * 1000000000LL)
/* what each fact is worth, milli-points */
#define HF_WATCH_PTS_ENCRYPTED 1000
#define HF_WATCH_PTS_CANDIDATE 500
#define HF_WATCH_PTS_ORIGINAL_GONE 500 /* after a CANDIDATE: the pair is one file lost */
#define HF_WATCH_PTS_KEPT_GONE 1000    /* after a KEPT copy */
#define HF_WATCH_PTS_NEW_EXTENSION 250
#define HF_WATCH_PTS_NOTE 2000
#define HF_WATCH_PTS_NOTES_MAX 2000      /* all notes together */
#define HF_WATCH_PTS_CANDIDATES_MAX 2000 /* all new ciphertext files together */
/* nothing crosses without a file's worth of loss (a file turned to
 * ciphertext, or an original deleted after its ciphertext copy was written):
 * notes and new random files alone harm nothing (a copy of a tree with
 * ransom-note samples and test vectors; a package's compressed resources) */
#define HF_WATCH_PTS_LOSS_MIN 1000

struct hf_watch_score;
struct hf_watch_score *hf_watch_score_new(const struct hf_watch_score_opts *o);
void hf_watch_score_free(struct hf_watch_score *s);
/* Counts f for its pid, process group and session. Returns 1 and fills *hit
 * when an actor crosses the threshold for the first time (once an actor has
 * crossed it, it is not reported again until it was idle for the window),
 * 0 if none did. */
int hf_watch_score_add(struct hf_watch_score *s, const struct hf_watch_fact *f, struct hf_watch_hit *hit);
#define HF_WATCH_PAIR_NS (10LL * 1000000000LL) /* a copy paired by size: written at most this before */
/* whether who's pid, group or session wrote a ciphertext copy of path, the
 * deleted file of that size, within the window before t_ns: a copy named
 * after it (path plus an extension, or its stem with another one), or, for
 * ransomware that names its output at random, an unpaired new ciphertext
 * file of about its size (as large, up to 4 KiB and a sixteenth larger)
 * written in the same directory at most HF_WATCH_PAIR_NS before. Returns
 * the copy's kind (HF_WATCH_CANDIDATE or HF_WATCH_KEPT) and marks it
 * paired, or 0. */
int hf_watch_score_wrote_copy(struct hf_watch_score *s, const struct hf_watch_who *who, const char *path, uint64_t size,
			      int64_t t_ns);
/* the process group that wrote an unpaired ciphertext copy of path, a
 * file of size bytes deleted at t_ns (as hf_watch_score_wrote_copy: named
 * after it within the window, else of about its size in its directory
 * just before), the latest if several: into *who, as its last fact had it;
 * 1, or 0 if none */
int hf_watch_score_copy_writer(const struct hf_watch_score *s, const char *path, uint64_t size, int64_t t_ns,
			       struct hf_watch_who *who);
size_t hf_watch_score_actors(const struct hf_watch_score *s);
/* whether who's process, group or session has points not expired by t_ns */
int hf_watch_score_scored(const struct hf_watch_score *s, const struct hf_watch_who *who, int64_t t_ns);
const char *hf_watch_fact_name(int kind); /* "encrypted", ... */
const char *hf_watch_by_name(int by);     /* "pid", "pgid", "sid" */

/* ---- processes (proc.c) ---------------------------------------------------- */

/* pgid, sid, ppid and uid of pid from /proc; -ESRCH if it is gone */
int hf_watch_who_of(pid_t pid, struct hf_watch_who *out);
/* what an alert says about a process: executable, command line (NULs as
 * spaces), cgroup; each cut to its buffer; empty if unknown */
struct hf_watch_procinfo {
	char exe[256], cmdline[512], cgroup[256];
	pid_t chain[8]; /* parents, nearest first; 0 ends */
};
void hf_watch_procinfo(pid_t pid, struct hf_watch_procinfo *out);

/* ---- the watcher (watch.c, listen.c, state.c) ------------------------------ */

struct hf_watch_opts {
	char **paths; /* absolute, normalised */
	size_t npaths;
	struct hf_watch_score_opts score;
	size_t max_files; /* files whose first-seen profile is kept; 0: 200000 */
	/* hold opens in the watched directories (FAN_OPEN_PERM, gate.c) while
	 * the opener's process group has more than max_unjudged events that
	 * can cost a file (fresh.c) the judge has not got to, none once it did
	 * something suspicious */
	int block_opens;
	int max_unjudged; /* < 0: WATCH_MAX_UNJUDGED (2) */
	/* 0 (the default): every open answered; 1 (`--gate-lazy`): opens are
	 * muted while no group has such an event unjudged, and armed as soon
	 * as the gate's thread wakes for the next notification (gate.c;
	 * DESIGN.md says why it is not the default). Either way an empty
	 * file's open passes. */
	int gate_lazy;
	/* > 0: when no watcher ran since (the last one's last sign of life):
	 * files whose ctime is later are judged at start by the new-file rules
	 * (there is no earlier version to judge them against) */
	int64_t unwatched_since_ns;
};

struct hf_watch_gate_stats {
	uint64_t opens;     /* opens in the watched directories the gate answered (other processes') */
	uint64_t own_opens; /* and the judge's own reads, answered at once */
	uint64_t held;      /* of those, held until the judge caught up */
	uint64_t denied;    /* refused: the process group was stopped */
	uint64_t timeouts;  /* let through after the longest hold */
	uint64_t arms;      /* times a process got ahead of the judge: opens reported from then on */
	uint64_t armed_ns;  /* how long opens were reported (else the kernel lets them through) */
	uint64_t
		new_dirs; /* directories made on the watched filesystems while watched, left ungated while only their maker worked there */
	uint64_t
		new_dirs_gated; /* of those, under a watched path and gated once another group worked there or their maker was quiet */
	int realtime; /* the gate's thread runs real-time (SCHED_FIFO; needs CAP_SYS_NICE) */
};

struct hf_watch_stats {
	uint64_t events, judged, overflows, rescans, unattributed, files_known, dropped_files;
	uint64_t unwatched_changed, unwatched_suspect; /* changed while no watcher ran; of those, ciphertext or notes */
	uint64_t unsettled;                            /* files read while another process had them open for writing */
	uint64_t unsettled_set_aside;                  /* of those, called encrypted only by a structure half written */
	uint64_t put_off;       /* writes closed soon after their file's last judgement: judged a moment later */
	uint64_t made_waited;   /* new files judged once their maker paused (made.c) */
	uint64_t made_dropped;  /* new files deleted or written over before that: never read */
	uint64_t remembered;    /* validations answered from memory: the same content decoded before */
	int gate_on;            /* opens are held (block_opens, and the kernel has permission events) */
	int gate_err;           /* why not, if block_opens was asked for */
	uint64_t gate_unmarked; /* directories the gate could not mark (fs.fanotify.max_user_marks) */
	struct hf_watch_gate_stats gate;
};

struct hf_watch;
/* Starts listening (fanotify filesystem marks on the paths' filesystems),
 * then walks the paths to learn each file's profile and every extension
 * there. -EPERM: not root (fanotify needs CAP_SYS_ADMIN); -ENOSYS/-EINVAL:
 * the kernel lacks what is needed (FID reporting, rename events). SIGIO is
 * ignored from then on (files are read under a read lease, whose break
 * sends it). */
HF_MUST_USE int hf_watch_open(const struct hf_watch_opts *o, struct hf_watch **out);
void hf_watch_close(struct hf_watch *w);
int hf_watch_fd(const struct hf_watch *w); /* poll it for POLLIN */
/* milliseconds until hf_watch_step has a judgement put off to do (0: now),
 * -1 if none: the longest a poll of hf_watch_fd may wait */
int hf_watch_next_ms(const struct hf_watch *w);
/* Reads and judges the events waiting (returns at once if none). Returns 1
 * with *hit filled when an actor crossed the threshold (the rest of the
 * batch is kept for the next call), 0 when the queue is drained, or an
 * error. A queue overflow (events lost) is counted, and every watched file
 * is looked at again (a rescan): a file the kernel did not tell about is
 * judged against what it was. */
HF_MUST_USE int hf_watch_step(struct hf_watch *w, struct hf_watch_hit *hit);
void hf_watch_get_stats(struct hf_watch *w, struct hf_watch_stats *st);
/* events on the watched paths per minute, every process (the alert record
 * and the report's per-minute chart): the last HF_WATCH_MINUTES minutes */
#define HF_WATCH_MINUTES 15
struct hf_watch_minute {
	uint32_t writes;    /* files written and closed (or found changed by a rescan) */
	uint32_t renames;   /* files renamed or moved in */
	uint32_t deletes;   /* files deleted or moved out */
	uint32_t encrypted; /* writes and renames judged ciphertext */
};
/* out[0..HF_WATCH_MINUTES), oldest first, the last the minute of now_ns;
 * *first: minutes since 1970 of out[0] */
void hf_watch_get_minutes(const struct hf_watch *w, int64_t now_ns, int64_t *first,
			  struct hf_watch_minute out[HF_WATCH_MINUTES]);
/* the watcher ignores this process group (the caller's own workers) */
void hf_watch_ignore_pgid(struct hf_watch *w, pid_t pgid);
/* What a hit stops: its last process alone when that process crossed
 * (hit->by HF_WATCH_BY_PID), the parent and every process of the sessions
 * it started for HF_WATCH_BY_PARENT, else the last process's group. With
 * block_opens
 * their opens wait from the moment hf_watch_step returns the hit until the
 * caller says what it did: hf_watch_deny (stopped or killed: refused from
 * now on) or hf_watch_release (left running). Nothing without block_opens. */
void hf_watch_deny(struct hf_watch *w, const struct hf_watch_hit *h);
void hf_watch_release(struct hf_watch *w, const struct hf_watch_hit *h);

#endif
