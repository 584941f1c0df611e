/* gate.c — blocking opens in the watched directories, so that no process
 * runs far ahead of the judge.
 *
 * A notification group tells about a write after the fact: an encryptor
 * that works at memory speed finishes files while the first ones are still
 * being judged. The gate is a second fanotify group (FAN_CLASS_CONTENT)
 * with an FAN_OPEN_PERM mark on every watched directory: each open of a
 * file there waits for this thread's answer. The thread also reads the
 * notification group and queues its events for the judge (hf_watch_step),
 * counting per process group how many that can cost a file (fresh.c) are
 * not judged yet. By default every open is answered; with `--gate-lazy` the
 * opens are muted while no group has such an event waiting (see arm). An
 * open is let through at once if its group has at most max_unjudged events
 * waiting (none at all once it did anything suspicious), or if the file has
 * nothing to lose (empty, or no regular file); else it is held
 * until the judge catches up, and refused if the group was stopped
 * meanwhile (hf_watch_deny). A held open is let through after
 * GATE_HOLD_MAX_NS whatever happens (the judge is busy with an immediate
 * backup, say): the gate slows a process down, it never hangs the server.
 * Our own opens (the judge reading files, the immediate backup) pass at
 * once; if this process dies, the kernel lets every waiting open through.
 * Directories made while watched are gated only once someone else works
 * in them (see newdir_event). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/fanotify.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "util/clock.h"
#include "util/mem.h"
#include "watch/watch_int.h"

#define GATE_RING (4u << 20) /* notification events queued for the judge */
#define GATE_KEYS 4096       /* events waiting per process group: direct-mapped counters */
#define GATE_SUSPECTS 1024   /* pids, groups and sessions that did something suspicious */
#define GATE_DENIED 64       /* groups and pids whose opens are refused */
#define GATE_HELD 1024       /* opens held at once (more: let through) */
#define GATE_READ 256        /* permission events read at once */
#define GATE_HOLD_MAX_NS 2000000000LL
#define GATE_TICK_MS 20                   /* how often held opens are looked at again */
#define GATE_PULL_ROOM (2 * WATCH_EVBUF)  /* one read's events with their records' headers */
#define GATE_NEWDIRS 4096                 /* directories made while watched, not gated yet */
#define GATE_NEWDIR_WAYS 8                /* in sets of this many slots */
#define GATE_NEWDIR_QUIET_NS 2000000000LL /* gated once their maker was quiet this long */
#define GATE_NEWDIR_TICK_MS 250
#define GATE_REST_MS 10 /* the notification group is left alone this long after a read with nothing counted */

enum { GATE_ALLOW, GATE_DENY, GATE_HOLD };

struct gate_suspect {
	pid_t id;
	int64_t until_ns;
};

struct gate_held {
	int fd;
	pid_t pid;
	int64_t since_ns;
};

/* a directory made while watched, left ungated while only its maker's
 * process group works in it (see newdir_event) */
struct gate_newdir {
	uint64_t hash; /* of its filesystem and handle; 0: empty */
	pid_t pgid;    /* the group that made it */
	int64_t last_ns;
	uint32_t fsid[2];
	int type;
	uint32_t nbytes;
	uint8_t bytes[WATCH_HANDLE_MAX];
};

/* when a process group last had an event: a maker still at work keeps its
 * new directories ungated (newdirs_sweep) */
struct gate_active {
	pid_t pgid;
	int64_t last_ns;
};

/* a queued notification event: this header, then the event's bytes */
struct gate_rec {
	uint32_t len;
	int32_t key; /* counter slot, -1: not counted */
};

struct watch_gate {
	int fd;    /* the permission group */
	int wake;  /* eventfd: the judge or the caller has news for the thread */
	int ready; /* eventfd: events are queued for the judge */
	pthread_t thread;
	int started, stop;
	pthread_mutex_t mu;
	unsigned max_unjudged;
	int64_t window_ns;
	uint8_t *ring; /* records ring[off..len) */
	size_t off, len;
	uint32_t pending[GATE_KEYS];
	unsigned nwaiting; /* counters above 0: armed while there is one */
	int armed;         /* opens are reported (else muted: see arm) */
	int always_armed;  /* not --gate-lazy, or muting failed: opens are always reported (else muted, see arm) */
	int64_t armed_since_ns, denied_until_ns;
	struct watch_who_cache procs;
	struct gate_suspect suspects[GATE_SUSPECTS];
	struct watch_fresh fresh; /* names each group created: their events are not counted */
	/* groups and pids that crossed the threshold, until the caller acts
	 * (held), and those it stopped (refused) */
	pid_t crossed[GATE_DENIED], denied[GATE_DENIED];
	size_t ncrossed, crossed_next, ndenied, denied_next;
	struct gate_held held[GATE_HELD];
	size_t nheld;
	pid_t ignore_pgid;
	struct gate_newdir newdirs[GATE_NEWDIRS];
	size_t nnewdirs;
	struct gate_active active[GATE_KEYS]; /* direct-mapped by pgid */
	int64_t swept_ns;
	struct hf_watch_gate_stats st;
	uint8_t notif[WATCH_EVBUF]; /* one read of the notification group */
};

static void poke(int efd)
{
	uint64_t one = 1;

	if (write(efd, &one, sizeof(one)) < 0) {
		/* the counter is full: the reader is woken anyway */
	}
}

static void drain(int efd)
{
	uint64_t v;

	if (read(efd, &v, sizeof(v)) < 0) {
		/* EAGAIN: nothing to drain */
	}
}

/* ---- process groups, suspicion, refusals (under mu) ----------------------- */

static struct gate_suspect *suspect_slot(struct watch_gate *g, pid_t id)
{
	return &g->suspects[((size_t)id * 2654435761u) % GATE_SUSPECTS];
}

static int is_suspect(struct watch_gate *g, pid_t id, int64_t now)
{
	const struct gate_suspect *s = suspect_slot(g, id);

	return id > 0 && s->id == id && s->until_ns > now;
}

static int who_suspect(struct watch_gate *g, const struct hf_watch_who *who, int64_t now)
{
	return is_suspect(g, who->pid, now) || is_suspect(g, who->pgid, now) || is_suspect(g, who->sid, now) ||
	       is_suspect(g, who->session_parent, now);
}

static int key_slot(const struct hf_watch_who *who)
{
	return (int)((size_t)(who->pgid > 0 ? who->pgid : who->pid) % GATE_KEYS);
}

/* the counter slot of an event that can cost a file (watch_fresh_counts),
 * by its writer's process group (into *pgid; 0 for an overflow); -1: not
 * counted */
static int key_of(struct hf_watch *w, const struct fanotify_event_metadata *m, const uint8_t *at, int64_t now,
		  pid_t *pgid)
{
	struct watch_gate *g = w->gate;
	struct hf_watch_who who;

	*pgid = 0;
	if (m->mask & FAN_Q_OVERFLOW)
		return -1;
	if (watch_who_cached(&g->procs, m->pid, &who) < 0) {
		memset(&who, 0, sizeof(who));
		who.pid = m->pid;
	}
	if (who.pgid <= 0)
		who.pgid = m->pid;
	*pgid = who.pgid;
	if (m->mask & FAN_ONDIR)
		return -1;
	if (m->metadata_len > m->event_len ||
	    (!watch_fresh_counts(&g->fresh, m->mask, at + m->metadata_len, m->event_len - m->metadata_len,
				 (w->rename_events ? WATCH_REPORTS_RENAME : 0) |
					 (w->link_events ? WATCH_REPORTS_LINKS : 0),
				 who.pgid, now)))
		return -1;
	return key_slot(&who);
}

/* a list holds pids and process groups, and -P for "every process of a
 * session P started" */
static int listed(const pid_t *ids, size_t n, const struct hf_watch_who *who)
{
	for (size_t i = 0; i < n; i++)
		if (ids[i] && (ids[i] == who->pid || ids[i] == who->pgid ||
			       (who->session_parent > 1 && ids[i] == -who->session_parent)))
			return 1;
	return 0;
}

/* a hit's entries (hit_target) into a list of GATE_DENIED (the oldest
 * dropped when full) */
static void list_add(pid_t *ids, size_t *n, size_t *next, const pid_t add[2])
{
	for (int i = 0; i < 2; i++) {
		if (add[i] == 0)
			continue;
		ids[*next] = add[i];
		*next = (*next + 1) % GATE_DENIED;
		if (*n < GATE_DENIED)
			(*n)++;
	}
}

static int list_any(const pid_t *ids, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (ids[i])
			return 1;
	return 0;
}

static void list_remove(pid_t *ids, size_t n, const pid_t rm[2])
{
	for (size_t i = 0; i < n; i++)
		if (ids[i] && (ids[i] == rm[0] || ids[i] == rm[1]))
			ids[i] = 0;
}

/* ---- arming: opens cost a round trip to this thread only when some
 * process could be held ------------------------------------------------------
 *
 * Answering an open takes two context switches; on a busy file server that
 * is most of what the gate costs. So the opens are muted (an ignore mask for
 * FAN_OPEN_PERM on each watched filesystem, which the kernel applies before
 * it queues anything) while no process group has an event that can cost a
 * file waiting for the judge (or events wait in the kernel's queue because
 * the judge's is full), or an actor crossed the threshold, or one was
 * stopped lately. It is armed first thing whenever this thread wakes for
 * notification events, before it reads them, and muted again after them if
 * none counts. Arming at the first event, not at the allowance, leaves
 * this thread the time of max_unjudged events to wake and arm before any
 * open would have been held: a group gets no further than with the gate
 * always armed, unless it finishes files faster than this thread wakes
 * (which is why it runs real-time). Only with --gate-lazy: by default the
 * gate is always armed (always_armed). */

static int mute_roots(struct hf_watch *w, int mute)
{
	for (size_t i = 0; i < w->nroots; i++) {
		int r = fanotify_mark(w->gate->fd,
				      (mute ? FAN_MARK_ADD : FAN_MARK_REMOVE) | FAN_MARK_FILESYSTEM |
					      FAN_MARK_IGNORED_MASK | FAN_MARK_IGNORED_SURV_MODIFY,
				      FAN_OPEN_PERM, w->roots[i].fd, NULL);
		if (r < 0 && (mute || errno != ENOENT))
			return -errno;
	}
	return 0;
}

static void arm(struct hf_watch *w, int64_t now)
{
	struct watch_gate *g = w->gate;

	if (g->armed)
		return;
	if (mute_roots(w, 0) < 0)
		g->always_armed = 1; /* a root it cannot unmute: never mute again */
	g->armed = 1;
	g->armed_since_ns = now;
	g->st.arms++;
}

static void maybe_mute(struct hf_watch *w, int64_t now)
{
	struct watch_gate *g = w->gate;

	if (!g->armed || g->always_armed || g->nwaiting || list_any(g->crossed, g->ncrossed) || g->nheld ||
	    now < g->denied_until_ns || g->len - g->off + GATE_PULL_ROOM > GATE_RING)
		return; /* (the last: events left in the kernel's queue, not counted yet) */
	if (mute_roots(w, 1) < 0) {
		g->always_armed = 1;
		mute_roots(w, 0);
		return;
	}
	g->armed = 0;
	g->st.armed_ns += (uint64_t)(now - g->armed_since_ns);
}

static void pending_add(struct hf_watch *w, int key, int64_t now)
{
	if (w->gate->pending[key]++ == 0)
		w->gate->nwaiting++;
	arm(w, now);
}

static void pending_sub(struct watch_gate *g, int key)
{
	if (g->pending[key] > 0 && --g->pending[key] == 0)
		g->nwaiting--;
}

/* an empty file, or not a regular one: opening it cannot lose data (a
 * file being created, a pipe); the open of a file with content can, and it
 * is held before O_TRUNC takes effect */
static int nothing_to_lose(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 && (!S_ISREG(st.st_mode) || st.st_size == 0);
}

/* fd: the file being opened */
static int decide(struct hf_watch *w, pid_t pid, int fd, int64_t now)
{
	struct watch_gate *g = w->gate;
	struct hf_watch_who who;
	unsigned allowed;

	if (pid == w->self || watch_who_cached(&g->procs, pid, &who) < 0)
		return GATE_ALLOW; /* our own reads and backups; gone: nothing to hold */
	/* our children (an --on-alert command) when we lead our process group;
	 * a shell's background job shares its group with what the shell runs */
	if ((w->self_pgid == w->self && who.pgid == w->self) || (g->ignore_pgid && who.pgid == g->ignore_pgid))
		return GATE_ALLOW;
	if (listed(g->denied, g->ndenied, &who))
		return GATE_DENY;
	if (listed(g->crossed, g->ncrossed, &who))
		return GATE_HOLD; /* until the caller has stopped it, or let it be */
	allowed = who_suspect(g, &who, now) ? 0 : g->max_unjudged;
	if (g->pending[key_slot(&who)] <= allowed || nothing_to_lose(fd))
		return GATE_ALLOW;
	return GATE_HOLD;
}

static void respond(struct hf_watch *w, int fd, int verdict)
{
	struct fanotify_response r = {.fd = fd, .response = verdict == GATE_DENY ? FAN_DENY : FAN_ALLOW};

	if (write(w->gate->fd, &r, sizeof(r)) < 0) {
		/* the open was interrupted (the process was killed): nothing waits */
	}
	close(fd);
	if (verdict == GATE_DENY)
		w->gate->st.denied++;
}

/* ---- directories made while watched -------------------------------------------
 *
 * A group that makes a directory has nothing of anyone else's in it to
 * lose: `tar xf`, `cp -a` or rsync into a new tree, and what they then do
 * to their own files there (`gzip -r`), only touch what they made. Gating
 * each open there would cost it a round trip to this thread. So a
 * directory made while watched gets no FAN_OPEN_PERM mark while only its
 * maker's process group has events in it; it is gated at the first event
 * there by another group or one that can cost a file (fresh.c), and once
 * its maker had no event, in it or anywhere, for GATE_NEWDIR_QUIET_NS
 * (done with the job that made it). This needs the made
 * directory's own handle (FAN_REPORT_TARGET_FID, Linux 5.17): without it
 * every directory is gated as it is made (watch_gate_mark_dir). */

/* the first slot of h's set: a directory can sit in any of its set's
 * GATE_NEWDIR_WAYS slots */
static size_t newdir_set(uint64_t h)
{
	return (size_t)(h % (GATE_NEWDIRS / GATE_NEWDIR_WAYS)) * GATE_NEWDIR_WAYS;
}

static struct gate_newdir *newdir_find(struct watch_gate *g, uint64_t h)
{
	struct gate_newdir *set = &g->newdirs[newdir_set(h)];

	for (size_t i = 0; i < GATE_NEWDIR_WAYS; i++)
		if (set[i].hash == h)
			return &set[i];
	return NULL;
}

/* gives d its FAN_OPEN_PERM mark now, if it is under a watched path (the
 * notification group's mark covers each whole filesystem), and forgets it
 * (under mu); one moved under a watched path later is marked by the walk
 * of what was moved in */
static void newdir_gate(struct hf_watch *w, struct gate_newdir *d)
{
	struct watch_handle_buf h;
	char path[PATH_MAX];
	int fd;

	h.fh.handle_bytes = d->nbytes;
	h.fh.handle_type = d->type;
	memcpy(h.fh.f_handle, d->bytes, d->nbytes);
	/* O_PATH: an open that no permission event waits on (this thread
	 * answers them). The kernel takes no O_PATH descriptor as the object
	 * to mark (EBADF), but looks a path up from one: ".". */
	fd = watch_open_handle(w, d->fsid, &h.fh);
	if (fd >= 0) {
		if (watch_fd_path(fd, path) > 0 && watch_under_roots(w, path) &&
		    fanotify_mark(w->gate->fd, FAN_MARK_ADD | FAN_MARK_ONLYDIR, FAN_OPEN_PERM | FAN_EVENT_ON_CHILD, fd,
				  ".") == 0)
			w->gate->st.new_dirs_gated++;
		/* else gone meanwhile, or past max_user_marks: nothing to gate */
		close(fd);
	}
	d->hash = 0;
	w->gate->nnewdirs--;
}

/* a free slot for a directory made with hash h: one of its set, else the
 * set's longest quiet one, gated now rather than forgotten (under mu) */
static struct gate_newdir *newdir_room(struct hf_watch *w, uint64_t h)
{
	struct gate_newdir *set = &w->gate->newdirs[newdir_set(h)], *oldest = &set[0];

	for (size_t i = 0; i < GATE_NEWDIR_WAYS; i++) {
		if (!set[i].hash)
			return &set[i];
		if (set[i].last_ns < oldest->last_ns)
			oldest = &set[i];
	}
	newdir_gate(w, oldest);
	return oldest;
}

/* an event m (its info records at at + metadata_len) by group pgid: a
 * directory made is remembered; one in a remembered directory gates it
 * unless it is its maker's and costs nothing (under mu) */
static void newdir_event(struct hf_watch *w, const struct fanotify_event_metadata *m, const uint8_t *at, pid_t pgid,
			 int counted, int64_t now)
{
	struct watch_gate *g = w->gate;
	const uint8_t *p = at + m->metadata_len, *end = at + m->event_len;
	int made = (m->mask & (FAN_CREATE | FAN_ONDIR)) == (FAN_CREATE | FAN_ONDIR) && pgid > 1;

	if (pgid > 1)
		g->active[(size_t)pgid % GATE_KEYS] = (struct gate_active){.pgid = pgid, .last_ns = now};
	if (!made && !g->nnewdirs)
		return;
	while (p + sizeof(struct fanotify_event_info_header) <= end) {
		const struct fanotify_event_info_header *hd = (const void *)p;
		const struct fanotify_event_info_fid *fid = (const void *)p;
		const struct file_handle *fh = (const struct file_handle *)fid->handle;
		uint32_t fsid[2];
		uint64_t h;
		struct gate_newdir *d;
		if (hd->len < sizeof(*hd) || hd->len > (size_t)(end - p))
			break;
		p += hd->len;
		if (hd->len < sizeof(*fid) + sizeof(*fh) || fh->handle_bytes > WATCH_HANDLE_MAX ||
		    fh->handle_bytes > hd->len - sizeof(*fid) - sizeof(*fh))
			continue;
		memcpy(fsid, &fid->fsid, sizeof(fsid));
		h = watch_handle_hash(fsid, fh->handle_type, fh->f_handle, fh->handle_bytes);
		if (hd->info_type == FAN_EVENT_INFO_TYPE_FID) {
			if (!made || newdir_find(g, h))
				continue; /* a file's own handle, or one known already */
			d = newdir_room(w, h);
			g->nnewdirs++;
			*d = (struct gate_newdir){.hash = h,
						  .pgid = pgid,
						  .last_ns = now,
						  .type = fh->handle_type,
						  .nbytes = fh->handle_bytes};
			memcpy(d->fsid, fsid, sizeof(fsid));
			memcpy(d->bytes, fh->f_handle, fh->handle_bytes);
			g->st.new_dirs++;
		} else if ((d = newdir_find(g, h))) { /* the directory an entry is in */
			if (pgid != d->pgid || counted)
				newdir_gate(w, d);
			else
				d->last_ns = now;
		}
	}
}

/* d's maker had an event anywhere lately: still at the job that made it
 * (`cp -a` then `gzip -r` of the copy reaches the copy's last directories
 * long after it made them); a slot another group took since says no */
static int maker_busy(const struct watch_gate *g, const struct gate_newdir *d, int64_t now)
{
	const struct gate_active *a = &g->active[(size_t)d->pgid % GATE_KEYS];

	return a->pgid == d->pgid && now - a->last_ns < GATE_NEWDIR_QUIET_NS;
}

/* gates the new directories whose maker has been quiet, in them and
 * everywhere (under mu) */
static void newdirs_sweep(struct hf_watch *w, int64_t now)
{
	struct watch_gate *g = w->gate;

	for (size_t i = 0; g->nnewdirs && i < GATE_NEWDIRS; i++)
		if (g->newdirs[i].hash && now - g->newdirs[i].last_ns >= GATE_NEWDIR_QUIET_NS &&
		    !maker_busy(g, &g->newdirs[i], now))
			newdir_gate(w, &g->newdirs[i]);
}

/* dir is a new directory not gated yet (under mu) */
static int newdir_waiting(struct hf_watch *w, const char *dir)
{
	struct watch_handle_buf h;
	struct statfs sfs;
	uint64_t hash;
	int mnt;

	if (!w->gate->nnewdirs)
		return 0;
	h.fh.handle_bytes = WATCH_HANDLE_MAX;
	if (name_to_handle_at(AT_FDCWD, dir, &h.fh, &mnt, 0) < 0 || statfs(dir, &sfs) < 0)
		return 0;
	hash = watch_handle_hash(&sfs.f_fsid, h.fh.handle_type, h.fh.f_handle, h.fh.handle_bytes);
	return newdir_find(w->gate, hash) != NULL;
}

/* ---- the thread ----------------------------------------------------------- */

/* what pull_events read: any event, and one that can cost a file (or no room) */
#define PULLED_ANY 1
#define PULLED_COUNTED 2

/* moves what the notification group has into the ring (as far as it has
 * room: the rest waits in the kernel's queue); PULLED_* */
static int pull_events(struct hf_watch *w, int64_t now)
{
	struct watch_gate *g = w->gate;
	int got = 0;

	for (;;) {
		ssize_t n;
		size_t at = 0;
		if (g->len - g->off + GATE_PULL_ROOM > GATE_RING)
			return got | PULLED_COUNTED; /* full: the judge has to catch up first (backlog: armed) */
		if (g->len + GATE_PULL_ROOM > GATE_RING) {
			memmove(g->ring, g->ring + g->off, g->len - g->off);
			g->len -= g->off;
			g->off = 0;
		}
		n = read(w->fan, g->notif, sizeof(g->notif));
		if (n <= 0)
			return got;
		got |= PULLED_ANY;
		while (at + sizeof(struct fanotify_event_metadata) <= (size_t)n) {
			struct fanotify_event_metadata m;
			struct gate_rec rec;
			pid_t pgid;
			memcpy(&m, g->notif + at, sizeof(m));
			if (m.event_len < sizeof(m) || m.event_len > (size_t)n - at)
				break; /* malformed: the kernel never sends that */
			if (m.fd >= 0)
				close(m.fd);
			/* our own file events are not judged (directory events are
			 * kept: they tell the judge its remembered paths may be stale) */
			if (m.pid == w->self && !(m.mask & (FAN_ONDIR | FAN_Q_OVERFLOW))) {
				at += m.event_len;
				continue;
			}
			rec.len = m.event_len;
			rec.key = key_of(w, &m, g->notif + at, now, &pgid);
			newdir_event(w, &m, g->notif + at, pgid, rec.key >= 0, now);
			/* a file or directory gone that costs nothing: nothing for the judge */
			if (rec.key < 0 && !(m.mask & ~(uint64_t)(FAN_DELETE_SELF | FAN_ONDIR))) {
				at += m.event_len;
				continue;
			}
			if (g->len + sizeof(rec) + m.event_len > GATE_RING)
				break; /* cannot happen: room was checked for a whole read */
			memcpy(g->ring + g->len, &rec, sizeof(rec));
			memcpy(g->ring + g->len + sizeof(rec), g->notif + at, m.event_len);
			g->len += sizeof(rec) + m.event_len;
			if (rec.key >= 0) {
				pending_add(w, rec.key, now);
				got |= PULLED_COUNTED;
			}
			at += m.event_len;
		}
		poke(g->ready);
	}
}

/* the permission events waiting: answered, or held */
static void take_opens(struct hf_watch *w, const struct fanotify_event_metadata *ev, size_t nev, int64_t now)
{
	struct watch_gate *g = w->gate;

	for (size_t i = 0; i < nev; i++) {
		int d;
		if (ev[i].fd < 0)
			continue; /* an overflow of the permission queue: nothing to answer */
		if (ev[i].pid == w->self)
			g->st.own_opens++;
		else
			g->st.opens++;
		d = decide(w, ev[i].pid, ev[i].fd, now);
		if (d == GATE_HOLD && g->nheld < GATE_HELD) {
			g->held[g->nheld++] = (struct gate_held){ev[i].fd, ev[i].pid, now};
			g->st.held++;
		} else {
			respond(w, ev[i].fd, d == GATE_DENY ? GATE_DENY : GATE_ALLOW);
		}
	}
}

static void review_held(struct hf_watch *w, int64_t now)
{
	struct watch_gate *g = w->gate;
	size_t keep = 0;

	for (size_t i = 0; i < g->nheld; i++) {
		struct gate_held h = g->held[i];
		int d = decide(w, h.pid, h.fd, now);
		if (d == GATE_HOLD && now - h.since_ns >= GATE_HOLD_MAX_NS) {
			g->st.timeouts++;
			d = GATE_ALLOW;
		}
		if (d == GATE_HOLD)
			g->held[keep++] = h;
		else
			respond(w, h.fd, d);
	}
	g->nheld = keep;
}

/* The thread: opens answered, notification events queued for the judge.
 *
 * Resting: a read of the notification group that found only events that
 * cannot cost a file (a group writing files it made: a copy, an unpacked
 * archive, a build) is followed by GATE_REST_MS in which the group is not
 * polled, so such events are read and judged in batches instead of one
 * wake-up each (the watcher's CPU over `gzip -r` and rsync into its
 * tree: a quarter to a third less). Any open the gate is asked about reads
 * the group first, as always, so an open is never decided on stale counts;
 * what waits up to GATE_REST_MS is only news of processes that open
 * nothing in a gated directory meanwhile (DETECTION.md). */
static void *gate_main(void *arg)
{
	struct hf_watch *w = arg;
	struct watch_gate *g = w->gate;
	struct fanotify_event_metadata ev[GATE_READ];
	int64_t rest_until = 0;

	for (;;) {
		struct pollfd p[3] = {{g->fd, POLLIN, 0}, {g->wake, POLLIN, 0}, {w->fan, POLLIN, 0}};
		size_t nev = 0;
		ssize_t n;
		int64_t now = hf_mono_ns();
		int full, timeout, stop;
		pthread_mutex_lock(&g->mu);
		full = g->len - g->off + GATE_PULL_ROOM > GATE_RING;
		stop = g->stop;
		timeout = g->nheld ? GATE_TICK_MS : g->nnewdirs ? GATE_NEWDIR_TICK_MS : -1;
		pthread_mutex_unlock(&g->mu);
		if (stop)
			break;
		/* no room (the events wait in the kernel until the judge has
		 * taken some), or resting: the group is left out of the poll,
		 * for a polled group wakes the thread at every event queued,
		 * whatever the events asked for (one wake-up per file change,
		 * on the writer's CPU) */
		if (full || now < rest_until) {
			int left = full ? GATE_REST_MS : (int)((rest_until - now) / 1000000) + 1;
			p[2].fd = -1;
			if (timeout < 0 || left < timeout)
				timeout = left;
		}
		if (poll(p, 3, timeout) < 0 && errno != EINTR)
			break;
		if (p[1].revents)
			drain(g->wake);
		/* armed before anything is read: a writer is running */
		if ((p[2].revents & POLLIN) || full) {
			pthread_mutex_lock(&g->mu);
			arm(w, hf_mono_ns());
			pthread_mutex_unlock(&g->mu);
		}
		/* the opens first, then the notification events: a process's
		 * writes closed before an open are in the queue by the time the
		 * open is read */
		n = read(g->fd, ev, sizeof(ev));
		if (n > 0)
			nev = (size_t)n / sizeof(ev[0]);
		now = hf_mono_ns();
		pthread_mutex_lock(&g->mu);
		if (nev > 0 || now >= rest_until) {
			/* not with --gate-lazy, whose opens are reported only once a
			 * counted event has been read */
			int got = pull_events(w, now);
			rest_until = got == PULLED_ANY && g->always_armed ? now + GATE_REST_MS * 1000000LL : 0;
		}
		take_opens(w, ev, nev, now);
		review_held(w, now);
		if (g->nnewdirs && now - g->swept_ns >= GATE_NEWDIR_TICK_MS * 1000000LL) {
			newdirs_sweep(w, now);
			g->swept_ns = now;
		}
		maybe_mute(w, now);
		pthread_mutex_unlock(&g->mu);
	}
	pthread_mutex_lock(&g->mu);
	for (size_t i = 0; i < g->nheld; i++)
		respond(w, g->held[i].fd, GATE_ALLOW);
	g->nheld = 0;
	pthread_mutex_unlock(&g->mu);
	return NULL;
}

/* ---- the watcher's side ---------------------------------------------------- */

int watch_gate_open(struct hf_watch *w, unsigned max_unjudged, int64_t window_ns, int lazy)
{
	struct watch_gate *g;

	int fd = fanotify_init(FAN_CLASS_CONTENT | FAN_CLOEXEC | FAN_NONBLOCK,
			       O_RDONLY | O_LARGEFILE | O_CLOEXEC | O_NONBLOCK | O_NOATIME);
	if (fd < 0)
		return -errno; /* EINVAL: a kernel without permission events */
	g = hf_xcalloc(1, sizeof(*g));
	g->fd = fd;
	g->wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	g->ready = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	g->max_unjudged = max_unjudged;
	g->window_ns = window_ns;
	g->ring = hf_xmalloc(GATE_RING);
	pthread_mutex_init(&g->mu, NULL);
	w->gate = g;
	/* lazy: muted until a process is ahead of the judge */
	g->armed = 1;
	g->armed_since_ns = hf_mono_ns();
	g->always_armed = !lazy;
	if (!lazy) {
		g->st.arms = 1;
	} else if (mute_roots(w, 1) < 0) {
		g->always_armed = 1;
		mute_roots(w, 0);
	} else {
		g->armed = 0;
	}
	if (g->wake < 0 || g->ready < 0 || pthread_create(&g->thread, NULL, gate_main, w) != 0) {
		int r = g->wake < 0 || g->ready < 0 ? -errno : -EAGAIN;
		watch_gate_close(w);
		return r;
	}
	g->started = 1;
	pthread_setname_np(g->thread, "holdfast-gate"); /* for top and /proc/PID/task/TID/comm */
	/* real-time (the lowest priority): it runs as soon as an event comes,
	 * however busy the machine. An ordinary thread on a loaded machine woke
	 * late: with --gate-lazy an encryptor finished 8 to 15 files before the
	 * gate armed (3 when real-time). Its work per wake-up is bounded; without
	 * CAP_SYS_NICE it stays an ordinary thread. */
	g->st.realtime = pthread_setschedparam(g->thread, SCHED_FIFO, &(struct sched_param){.sched_priority = 1}) == 0;
	return 0;
}

void watch_gate_close(struct hf_watch *w)
{
	struct watch_gate *g = w->gate;

	if (!g)
		return;
	if (g->started) {
		pthread_mutex_lock(&g->mu);
		g->stop = 1;
		pthread_mutex_unlock(&g->mu);
		poke(g->wake);
		pthread_join(g->thread, NULL);
	}
	close(g->fd); /* lets anything still waiting through */
	if (g->wake >= 0)
		close(g->wake);
	if (g->ready >= 0)
		close(g->ready);
	pthread_mutex_destroy(&g->mu);
	free(g->ring);
	free(g);
	w->gate = NULL;
}

int watch_gate_ready_fd(const struct hf_watch *w)
{
	return w->gate->ready;
}

void watch_gate_mark_dir(struct hf_watch *w, const char *dir)
{
	int waiting;

	if (!w->gate)
		return;
	pthread_mutex_lock(&w->gate->mu);
	/* a directory's creation is queued by the time it can be found: read
	 * now, as the thread may be resting, so that one made while watched
	 * is known as such */
	(void)pull_events(w, hf_mono_ns());
	waiting = newdir_waiting(w, dir);
	pthread_mutex_unlock(&w->gate->mu);
	if (waiting)
		return; /* made while watched: gated later (newdir_event) */
	if (fanotify_mark(w->gate->fd, FAN_MARK_ADD | FAN_MARK_ONLYDIR | FAN_MARK_DONT_FOLLOW,
			  FAN_OPEN_PERM | FAN_EVENT_ON_CHILD, AT_FDCWD, dir) < 0)
		w->st.gate_unmarked += errno == ENOSPC; /* past fs.fanotify.max_user_marks (the judge's thread) */
}

ssize_t watch_gate_pop(struct hf_watch *w, uint8_t *out, size_t cap, int *key)
{
	struct watch_gate *g = w->gate;
	struct gate_rec rec;
	ssize_t n = 0;

	*key = -1;
	pthread_mutex_lock(&g->mu);
	if (g->off >= g->len) {
		g->off = g->len = 0;
		drain(g->ready);
	} else {
		memcpy(&rec, g->ring + g->off, sizeof(rec));
		if (rec.len <= cap) {
			memcpy(out, g->ring + g->off + sizeof(rec), rec.len);
			n = (ssize_t)rec.len;
			*key = rec.key;
		}
		g->off += sizeof(rec) + rec.len;
		if (g->off >= g->len)
			g->off = g->len = 0;
		if (n == 0 && rec.key >= 0)
			pending_sub(g, rec.key); /* too large to hand over (never: cap is one read) */
	}
	pthread_mutex_unlock(&g->mu);
	return n;
}

void watch_gate_done(struct hf_watch *w, int key)
{
	struct watch_gate *g = w->gate;
	int held;

	if (key < 0)
		return;
	pthread_mutex_lock(&g->mu);
	pending_sub(g, key);
	held = g->nheld > 0;
	pthread_mutex_unlock(&g->mu);
	if (held)
		poke(g->wake);
}

void watch_gate_suspect(struct hf_watch *w, const struct hf_watch_who *who)
{
	struct watch_gate *g = w->gate;
	pid_t ids[4] = {who->pid, who->pgid, who->sid, who->session_parent};
	int64_t until = hf_mono_ns() + g->window_ns;

	pthread_mutex_lock(&g->mu);
	for (int i = 0; i < 4; i++) {
		struct gate_suspect *s = suspect_slot(g, ids[i]);
		if (ids[i] > 1) {
			s->id = ids[i];
			s->until_ns = until;
		}
	}
	pthread_mutex_unlock(&g->mu);
}

int watch_gate_who(struct hf_watch *w, pid_t pid, struct hf_watch_who *out)
{
	struct watch_gate *g = w->gate;
	int r;

	pthread_mutex_lock(&g->mu);
	r = watch_who_remembered(&g->procs, pid, out);
	pthread_mutex_unlock(&g->mu);
	return r;
}

void watch_gate_ignore_pgid(struct hf_watch *w, pid_t pgid)
{
	pthread_mutex_lock(&w->gate->mu);
	w->gate->ignore_pgid = pgid;
	pthread_mutex_unlock(&w->gate->mu);
}

void watch_gate_stats(struct hf_watch *w, struct hf_watch_gate_stats *out)
{
	pthread_mutex_lock(&w->gate->mu);
	*out = w->gate->st;
	if (w->gate->armed)
		out->armed_ns += (uint64_t)(hf_mono_ns() - w->gate->armed_since_ns);
	pthread_mutex_unlock(&w->gate->mu);
}

/* what a hit stops (as list entries): the process alone when it crossed
 * by itself, a starter of sessions and every process in them, else the
 * last writer and its process group */
static void hit_target(const struct hf_watch_hit *h, pid_t t[2])
{
	t[0] = h->last.pid > 1 ? h->last.pid : 0;
	t[1] = h->last.pgid > 1 ? h->last.pgid : 0;
	if (h->by == HF_WATCH_BY_PID) {
		t[1] = 0;
	} else if (h->by == HF_WATCH_BY_PARENT) {
		t[0] = h->id;
		t[1] = -h->id;
	}
}

void watch_gate_crossed(struct hf_watch *w, const struct hf_watch_hit *h)
{
	struct watch_gate *g = w->gate;
	pid_t t[2];

	hit_target(h, t);
	pthread_mutex_lock(&g->mu);
	list_add(g->crossed, &g->ncrossed, &g->crossed_next, t);
	arm(w, hf_mono_ns());
	pthread_mutex_unlock(&g->mu);
}

/* the caller acted on an actor that crossed the threshold: its opens are
 * refused from now on (it was stopped or killed), or let through again */
static void settle(struct hf_watch *w, const struct hf_watch_hit *h, int refuse)
{
	struct watch_gate *g = w->gate;
	pid_t t[2];

	if (!g)
		return;
	hit_target(h, t);
	pthread_mutex_lock(&g->mu);
	list_remove(g->crossed, g->ncrossed, t);
	if (refuse) {
		int64_t now = hf_mono_ns();
		list_add(g->denied, &g->ndenied, &g->denied_next, t);
		g->denied_until_ns = now + g->window_ns; /* armed meanwhile: it is stopped, its opens refused */
		arm(w, now);
	}
	pthread_mutex_unlock(&g->mu);
	poke(g->wake);
}

void hf_watch_deny(struct hf_watch *w, const struct hf_watch_hit *h)
{
	settle(w, h, 1);
}

void hf_watch_release(struct hf_watch *w, const struct hf_watch_hit *h)
{
	settle(w, h, 0);
}
