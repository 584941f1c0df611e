/* watch_int.h — what the files of the watcher share (watch.h is the API). */
#ifndef HF_WATCH_INT_H
#define HF_WATCH_INT_H

#include <fcntl.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "detect/detect.h"
#include "scan/live.h"
#include "util/buf.h"
#include "util/idmap.h"
#include "watch/watch.h"

#define WATCH_READ_MAX (8u << 20)     /* what is read of a written file (larger: a prefix) */
#define WATCH_DEFAULT_FILES 200000    /* files whose first-seen state is kept */
#define WATCH_HEAD_MAX 4096u          /* files this small keep all their bytes ... */
#define WATCH_HEAD_BUDGET (16u << 20) /* ... up to this much in all */
#define WATCH_EXT_MAX 65536           /* distinct extensions remembered */
#define WATCH_NOTE_MAX (64u << 10)    /* a ransom note is smaller */
#define WATCH_MEMO_ENTRIES 65536      /* contents whose validation is remembered (20 bytes each) */
#define WATCH_DEPTH_MAX 64            /* directory depth the walk goes to */
#define WATCH_ROOTS_MAX 64
#define WATCH_EVBUF (64u << 10) /* one read of events */
#define WATCH_DIRS 4096         /* directories whose path (or not being watched) is remembered */
#define WATCH_HANDLE_MAX 128    /* MAX_HANDLE_SZ */

/* a directory's file handle -> its path, or "not under a watched path": a
 * filesystem mark reports the whole filesystem, and most of its events are
 * elsewhere; forgotten whenever a directory is renamed (but a handle gone
 * stale is known as such for good) */
struct watch_dir {
	uint64_t hash; /* 0: empty */
	uint64_t gen;  /* valid while it equals hf_watch.dirs_gen, or gone */
	int gone;      /* the handle is stale (ESTALE): it stays so */
	uint32_t fsid[2];
	int type;
	uint32_t nbytes;
	uint8_t bytes[WATCH_HANDLE_MAX];
	char *path; /* NULL: not under a watched path */
};

/* what a file was when last seen */
struct watch_file {
	struct hf_profile profile;
	uint64_t size;
	int64_t mtime;
	uint8_t *head; /* all its bytes, for small files (NULL: only the profile) */
	uint32_t nhead;
	uint8_t gone;
	uint8_t ciphertext;         /* judged ciphertext when last written */
	struct hf_watch_who writer; /* who last wrote it (pid 0: unknown) */
	int64_t judged_ns;          /* when its content was judged (monotonic; 0: learnt by a walk) */
};

struct watch_root {
	char *path;
	size_t len;
	int fd;           /* the directory, for open_by_handle_at */
	uint32_t fsid[2]; /* of its filesystem, as events carry it */
	dev_t dev;
};

#define WATCH_WHO_SLOTS 4096 /* pid -> who: direct-mapped */
/* how long a pid's entry is trusted: short, as a process can leave its
 * group (setsid) between two events and must not be counted in the old
 * one; long enough that a writer's burst of events reads /proc once */
#define WATCH_WHO_TTL_NS 20000000LL

/* who a pid was (proc.c), as read from /proc at most every
 * WATCH_WHO_TTL_NS per pid: events come in bursts from the same few
 * writers */
struct watch_who_cache {
	struct watch_who_slot {
		pid_t pid;
		int64_t seen_ns;
		struct hf_watch_who who;
	} slot[WATCH_WHO_SLOTS];
};

/* who pid is, from c if read within the last WATCH_WHO_TTL_NS, else from
 * /proc (gone: what c last knew of it); 0, or -ESRCH */
int watch_who_cached(struct watch_who_cache *c, pid_t pid, struct hf_watch_who *out);
/* who pid was when last read into c; 0, or -ESRCH if its slot holds another */
int watch_who_remembered(const struct watch_who_cache *c, pid_t pid, struct hf_watch_who *out);

struct watch_gate;

#define WATCH_VANISHED 32 /* writers of files gone before they were read, remembered */

#define WATCH_REJUDGE_NS 250000000LL /* a file judged again within this: put off (later.c) */
#define WATCH_LATER 16               /* judgements put off at once (one per process group) */
struct watch_later {
	char *path; /* NULL: a free slot */
	struct hf_watch_who who;
	int64_t due_ns;
	int key; /* the gate's counter of the event put off */
};

#define WATCH_MADE_MAX 16384                  /* new files waiting to be judged (more: the oldest judged) */
#define WATCH_MADE_INDEX (2 * WATCH_MADE_MAX) /* their index by path */
#define WATCH_MADE_GROUPS 1024                /* groups whose last event is known: direct-mapped */
#define WATCH_MADE_QUIET_NS 500000000LL       /* a new file is judged once its group had no event this long */
#define WATCH_MADE_AGE_NS 10000000000LL       /* ... or this long after it was written */
#define WATCH_MADE_BATCH 64                   /* judged at once while no event waits */
struct watch_made;

struct hf_watch {
	int fan;
	struct watch_gate *gate;         /* NULL: opens are not held */
	struct watch_who_cache *writers; /* without the gate (which keeps its own) */
	int ev_key;                      /* the gate's counter of the event being handled */
	int rename_events;               /* the kernel reports FAN_RENAME (else MOVED_TO is a write) */
	int link_events; /* FAN_DELETE_SELF and created files' handles: the gate counts by inode (fresh.c) */
	pid_t self, self_pgid, ignore_pgid;
	struct watch_root roots[WATCH_ROOTS_MAX];
	size_t nroots;
	uint8_t *evbuf; /* events read and not yet handled: evbuf[evoff..evlen) */
	size_t evoff, evlen;
	int need_rescan;
	int64_t unwatched_since_ns; /* the start walk judges files changed after it */
	struct watch_dir *dirs;     /* WATCH_DIRS slots, direct-mapped */
	uint64_t dirs_gen;          /* bumped to forget them all */
	struct hf_idmap *files;     /* SHA-256 of the path -> struct watch_file */
	struct hf_idmap *exts;      /* SHA-256 of "." and the lower-case extension */
	size_t nfiles, max_files, head_bytes;
	struct hf_detect *det;
	struct hf_scan_live *live;
	struct hf_watch_score *score;
	/* who wrote a file that was gone (renamed, deleted) before it could be
	 * read: an encryptor's temporary file that its own mv, a process of a
	 * moment, renamed over the original, or a file encrypted in place and
	 * renamed to a new extension at once. A rename from one of these paths
	 * judges the bytes moved (the state known of the file is older than
	 * them), and by a process gone before it could be identified, it is
	 * that writer's doing. Forgotten once the path is judged. */
	struct watch_vanished {
		char *path;
		struct hf_watch_who who;
	} vanished[WATCH_VANISHED];
	unsigned vanished_next;
	struct watch_later later[WATCH_LATER];
	struct watch_made *made; /* new files whose judgement waits for their maker to pause (NULL: none yet) */
	int made_flushing;       /* those of a group that scored are being judged */
	int replay;              /* the event being handled is to be handled again (later.c judged first) */
	struct hf_buf content;   /* the file being judged */
	int content_unsettled;   /* it was open for writing elsewhere while read (watch_read_file) */
	struct hf_watch_stats st;
	/* per-minute event counts: a ring, slot m % HF_WATCH_MINUTES for minute m */
	int64_t minute_of[HF_WATCH_MINUTES];
	struct hf_watch_minute minutes[HF_WATCH_MINUTES];
};

/* listen.c */
int watch_listen_open(struct hf_watch *w, char **paths, size_t n);
void watch_listen_close(struct hf_watch *w);
/* a file handle with room for its bytes */
struct watch_handle_buf {
	struct file_handle fh;
	uint8_t bytes[WATCH_HANDLE_MAX];
};
/* a hash of a handle on the filesystem fsid (8 bytes, as events carry it) */
uint64_t watch_handle_hash(const void *fsid, int type, const uint8_t *bytes, size_t n);
/* an O_PATH descriptor of the object fh names on the watched filesystem
 * fsid; -1 if none of the roots is on it, or the object is gone */
int watch_open_handle(const struct hf_watch *w, const void *fsid, const struct file_handle *fh);
/* the path fd names, into buf (PATH_MAX bytes, 0-terminated): its length,
 * or <= 0 */
ssize_t watch_fd_path(int fd, char *buf);
/* whether path is a watched root or under one */
int watch_under_roots(const struct hf_watch *w, const char *path);

/* gate.c: the thread that answers opens and queues the notification
 * group's events for the judge */
#define WATCH_MAX_UNJUDGED 2
int watch_gate_open(struct hf_watch *w, unsigned max_unjudged, int64_t window_ns, int lazy);
void watch_gate_close(struct hf_watch *w);
int watch_gate_ready_fd(const struct hf_watch *w);
void watch_gate_mark_dir(struct hf_watch *w, const char *dir);
/* the next queued event into out (its bytes, 0 if none) and its counter */
ssize_t watch_gate_pop(struct hf_watch *w, uint8_t *out, size_t cap, int *key);
void watch_gate_done(struct hf_watch *w, int key); /* that event is judged */
void watch_gate_suspect(struct hf_watch *w, const struct hf_watch_who *who);
void watch_gate_crossed(struct hf_watch *w, const struct hf_watch_hit *h);   /* held until settled */
int watch_gate_who(struct hf_watch *w, pid_t pid, struct hf_watch_who *out); /* as read when its event was queued */
void watch_gate_ignore_pgid(struct hf_watch *w, pid_t pgid);
void watch_gate_stats(struct hf_watch *w, struct hf_watch_gate_stats *out);

/* fresh.c: whether an event (its mask, and its info records: the bytes
 * after its metadata, 4-aligned) can cost a file (a write, deletion or
 * rename of one that was there before: 1), or only touches a file its
 * process group created lately (0; then remembered); ONDIR events: 0 */
#define WATCH_FRESH_SLOTS 32768
#define WATCH_FRESH_WAYS 4 /* in sets of this many: the oldest one of a full set is forgotten */
struct watch_fresh_slot {
	uint64_t hash; /* of the group and a file's handle, or directory handle and name; 0: empty */
	int64_t since_ns;
};
struct watch_fresh {
	struct watch_fresh_slot slots[WATCH_FRESH_SLOTS];
};
#define WATCH_REPORTS_RENAME 1 /* the kernel reports FAN_RENAME */
#define WATCH_REPORTS_LINKS 2  /* FAN_DELETE_SELF, and a created file's own handle (FAN_REPORT_TARGET_FID) */
int watch_fresh_counts(struct watch_fresh *f, uint64_t mask, const uint8_t *info, size_t ninfo, int reports, pid_t pgid,
		       int64_t now);

/* state.c */
int watch_state_init(struct hf_watch *w);
void watch_state_release(struct hf_watch *w);
struct watch_file *watch_file_get(struct hf_watch *w, const char *path); /* NULL if unknown or gone */
/* records path's state (head: its first n bytes, kept if the file is small;
 * ciphertext: it was judged ciphertext, so its deletion loses no plaintext) */
int watch_file_put(struct hf_watch *w, const char *path, const struct hf_profile *p, uint64_t size, int64_t mtime,
		   const uint8_t *head, size_t n, int ciphertext, const struct hf_watch_who *writer, int64_t judged_ns);
void watch_file_drop(struct hf_watch *w, struct watch_file *f);
int watch_ext_known(struct hf_watch *w, const char *ext);
void watch_ext_add(struct hf_watch *w, const char *ext);
/* walks every root: learns new files; rescan: judges those changed since;
 * the gate marks each directory on the way */
int watch_walk(struct hf_watch *w, int rescan);
/* the same for one directory moved in (its files are whole). One created
 * is not walked: the gate marks it (watch_gate_mark_dir), its files are
 * being written and are judged as new ones when closed (learnt
 * half-written, a compressed file would look encrypted), and what is made
 * or moved into it comes with events of its own */
int watch_walk_dir(struct hf_watch *w, const char *dir);

/* read.c: a written file's bytes for the judge (see there) */
/* takes a read lease on fd: 1 taken, -EAGAIN open for writing elsewhere,
 * 0 no lease here */
int watch_lease(int fd);
/* want bytes of fd (fewer if it shrank) into out; leased: under a lease
 * from watch_lease, let go as soon as a writer waits for it, which sets
 * *unsettled */
int watch_read_leased(int fd, int leased, struct hf_buf *out, size_t want, int *unsettled);
int watch_read_file(struct hf_watch *w, const char *path, struct stat *st);

/* later.c: judgements put off (see there) */
/* a write closed at now on path (before: its state) by who: 1 if its
 * judgement is put off (the event's gate key, w->ev_key, goes with it),
 * 0 if it is to be judged now */
int watch_later_put(struct hf_watch *w, const char *path, const struct watch_file *before,
		    const struct hf_watch_who *who, int64_t now);
/* judges what is due by now: 0, 1 with *hit filled (the rest at the next
 * call), or an error */
int watch_later_due(struct hf_watch *w, int64_t now, struct hf_watch_hit *hit);
/* judges now what was put off of path, from or to (each may be NULL), or
 * everything if dir (a directory moved: the paths may be stale); as
 * watch_later_due */
int watch_later_flush(struct hf_watch *w, const char *path, const char *from, const char *to, int dir,
		      struct hf_watch_hit *hit);
int watch_later_next_ms(const struct hf_watch *w, int64_t now); /* -1: nothing put off */
void watch_later_release(struct hf_watch *w);

/* made.c: new files judged once their maker pauses (see there) */
/* path, written by who (whose group made it lately) at now, waits; if too
 * many do, the oldest is judged now: 0, 1 with *hit filled, or an error */
int watch_made_put(struct hf_watch *w, const char *path, const struct hf_watch_who *who, int64_t now,
		   struct hf_watch_hit *hit);
/* whether path waits (its writer into *maker) */
int watch_made_maker(const struct hf_watch *w, const char *path, struct hf_watch_who *maker);
/* whether path was waiting (taken out now, its writer into *maker) */
int watch_made_take(struct hf_watch *w, const char *path, struct hf_watch_who *maker);
void watch_made_seen(struct hf_watch *w, pid_t pgid, int64_t now); /* the group had an event */
/* judges now the waiting files written by who's group or session, or in
 * the directory of the file beside, or all of them (both NULL); as
 * watch_made_due */
int watch_made_flush(struct hf_watch *w, const struct hf_watch_who *who, const char *beside, struct hf_watch_hit *hit);
/* judges a batch of what is due by now: 0, 1 with *hit filled, or an error */
int watch_made_due(struct hf_watch *w, int64_t now, struct hf_watch_hit *hit);
int watch_made_next_ms(const struct hf_watch *w, int64_t now); /* -1: nothing waits */
void watch_made_release(struct hf_watch *w);

/* watch.c */
int watch_on_write(struct hf_watch *w, const char *path, const struct hf_watch_who *who, struct hf_watch_hit *hit);
/* a write closed: as watch_on_write, or put off (later.c) */
int watch_on_close_write(struct hf_watch *w, const char *path, const struct hf_watch_who *who,
			 struct hf_watch_hit *hit);
int watch_on_rename(struct hf_watch *w, const char *from, const char *to, const struct hf_watch_who *who,
		    struct hf_watch_hit *hit);
int watch_on_delete(struct hf_watch *w, const char *path, const struct hf_watch_who *who, struct hf_watch_hit *hit);
int watch_on_found(struct hf_watch *w, const char *path, const struct stat *st, int rescan);

#endif
