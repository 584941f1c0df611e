/* listen.c — the fanotify side: one notification group, a filesystem mark
 * on each watched path's filesystem (FID reporting: every event names the
 * directory and the entry, renames both ends), and events turned into paths
 * under the watched roots and the writer's process. Paths come from the
 * directory's file handle (open_by_handle_at) at the time the event is
 * read: a directory renamed meanwhile gives its new path. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fanotify.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "util/clock.h"
#include "util/mem.h"
#include "util/path.h"
#include "watch/watch_int.h"

/* FAN_MODIFY is left out: it comes for every write(2), after the bytes
 * changed, and is most of a busy filesystem's events; what was written is
 * judged when it is closed (FAN_CLOSE_WRITE). A rename is one FAN_RENAME
 * (both names) where the kernel has it (Linux 5.17), not that and a
 * FAN_MOVED_FROM and a FAN_MOVED_TO: each event is queued in the renaming
 * process's own call */
#define MASK_BASE (FAN_CREATE | FAN_DELETE | FAN_CLOSE_WRITE | FAN_ONDIR)
#define MASK_RENAMES (MASK_BASE | FAN_RENAME)
#define MASK_MOVES (MASK_BASE | FAN_MOVED_FROM | FAN_MOVED_TO)

int watch_listen_open(struct hf_watch *w, char **paths, size_t n)
{
	int r;

	if (n == 0 || n > WATCH_ROOTS_MAX)
		return -HF_E_USAGE;
	/* the gate counts by inode where it can (fresh.c): each created
	 * file's own handle (FAN_REPORT_TARGET_FID, Linux 5.17) */
	if (w->link_events)
		w->fan = fanotify_init(FAN_CLASS_NOTIF | FAN_REPORT_DFID_NAME | FAN_REPORT_FID | FAN_REPORT_TARGET_FID |
					       FAN_CLOEXEC | FAN_NONBLOCK,
				       O_RDONLY | O_LARGEFILE | O_CLOEXEC);
	if (!w->link_events || (w->fan < 0 && errno == EINVAL)) {
		w->link_events = 0;
		w->fan = fanotify_init(FAN_CLASS_NOTIF | FAN_REPORT_DFID_NAME | FAN_REPORT_FID | FAN_CLOEXEC |
					       FAN_NONBLOCK,
				       O_RDONLY | O_LARGEFILE | O_CLOEXEC);
	}
	if (w->fan < 0)
		return -errno; /* EPERM without CAP_SYS_ADMIN; EINVAL: no FID reporting */
	w->evbuf = hf_xmalloc(WATCH_EVBUF);
	w->dirs = hf_xcalloc(WATCH_DIRS, sizeof(*w->dirs));
	w->rename_events = 1;
	for (size_t i = 0; i < n; i++) {
		struct watch_root *rt = &w->roots[w->nroots];
		struct statfs sfs;
		struct stat st;
		rt->fd = open(paths[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (rt->fd < 0)
			return -errno;
		w->nroots++;
		rt->path = hf_xstrdup(paths[i]);
		rt->len = strlen(rt->path);
		while (rt->len > 1 && rt->path[rt->len - 1] == '/')
			rt->path[--rt->len] = 0;
		if (fstatfs(rt->fd, &sfs) < 0 || fstat(rt->fd, &st) < 0)
			return -errno;
		memcpy(rt->fsid, &sfs.f_fsid, sizeof(rt->fsid));
		rt->dev = st.st_dev;
		r = fanotify_mark(w->fan, FAN_MARK_ADD | FAN_MARK_FILESYSTEM,
				  w->rename_events ? MASK_RENAMES | (w->link_events ? FAN_DELETE_SELF : 0) : MASK_MOVES,
				  AT_FDCWD, rt->path);
		if (r < 0 && errno == EINVAL && w->rename_events) {
			w->rename_events = 0; /* before Linux 5.17: MOVED_FROM/TO only */
			w->link_events = 0; /* (marks already made keep FAN_DELETE_SELF: the gate drops those events) */
			r = fanotify_mark(w->fan, FAN_MARK_ADD | FAN_MARK_FILESYSTEM, MASK_MOVES, AT_FDCWD, rt->path);
		}
		if (r < 0)
			return -errno; /* EXDEV/ENODEV: a filesystem without file handles */
	}
	return 0;
}

static void dirs_clear(struct hf_watch *w)
{
	for (size_t i = 0; w->dirs && i < WATCH_DIRS; i++) {
		free(w->dirs[i].path);
		memset(&w->dirs[i], 0, sizeof(w->dirs[i]));
	}
}

void watch_listen_close(struct hf_watch *w)
{
	dirs_clear(w);
	free(w->dirs);
	w->dirs = NULL;
	if (w->fan >= 0)
		close(w->fan);
	w->fan = -1;
	for (size_t i = 0; i < w->nroots; i++) {
		close(w->roots[i].fd);
		free(w->roots[i].path);
	}
	w->nroots = 0;
	free(w->evbuf);
	w->evbuf = NULL;
}

int watch_under_roots(const struct hf_watch *w, const char *path)
{
	for (size_t i = 0; i < w->nroots; i++) {
		const struct watch_root *rt = &w->roots[i];
		if (strncmp(path, rt->path, rt->len) == 0 &&
		    (path[rt->len] == '/' || path[rt->len] == 0 || (rt->len == 1 && rt->path[0] == '/')))
			return 1;
	}
	return 0;
}

uint64_t watch_handle_hash(const void *fsid, int type, const uint8_t *bytes, size_t n)
{
	uint64_t h = 1469598103934665603ULL;
	const uint8_t *p = fsid;

	for (size_t i = 0; i < 8; i++)
		h = (h ^ p[i]) * 1099511628211ULL;
	h = (h ^ (uint32_t)type) * 1099511628211ULL;
	for (size_t i = 0; i < n; i++)
		h = (h ^ bytes[i]) * 1099511628211ULL;
	return h ? h : 1;
}

int watch_open_handle(const struct hf_watch *w, const void *fsid, const struct file_handle *fh)
{
	for (size_t i = 0; i < w->nroots; i++)
		if (memcmp(fsid, w->roots[i].fsid, sizeof(w->roots[i].fsid)) == 0)
			return open_by_handle_at(w->roots[i].fd, (struct file_handle *)fh, O_PATH | O_CLOEXEC);
	errno = EXDEV; /* not a watched filesystem */
	return -1;
}

ssize_t watch_fd_path(int fd, char *buf)
{
	char link[64];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, buf, PATH_MAX - 1);
	buf[n > 0 ? n : 0] = 0;
	return n;
}

/* the path of the directory in a record: 1 with *dir set (owned by the
 * cache) if it is under a watched path, 0 if not or gone */
static int dir_of(struct hf_watch *w, const struct fanotify_event_info_fid *fid, const struct file_handle *fh,
		  const char **dir)
{
	uint64_t h = watch_handle_hash(&fid->fsid, fh->handle_type, fh->f_handle, fh->handle_bytes);
	struct watch_dir *e = &w->dirs[h % WATCH_DIRS];
	char buf[PATH_MAX];
	int fd;
	ssize_t n;

	if (fh->handle_bytes > WATCH_HANDLE_MAX)
		return 0;
	if (e->hash == h && (e->gen == w->dirs_gen || e->gone) && e->type == fh->handle_type &&
	    e->nbytes == fh->handle_bytes && memcmp(e->fsid, &fid->fsid, sizeof(e->fsid)) == 0 &&
	    memcmp(e->bytes, fh->f_handle, e->nbytes) == 0) {
		*dir = e->path;
		return e->path != NULL;
	}
	fd = watch_open_handle(w, &fid->fsid, fh);
	if (fd < 0 && errno != ESTALE)
		return 0; /* not on a watched filesystem */
	n = 0;
	if (fd >= 0) {
		n = watch_fd_path(fd, buf);
		close(fd);
		if (n <= 0)
			return 0;
	}
	/* gone (ESTALE) is remembered as not under a watched path: an
	 * `rm -rf` sends an event per entry of a directory already gone, and
	 * a handle once stale stays so (it carries the inode's generation) */
	free(e->path);
	e->hash = h;
	e->gen = w->dirs_gen;
	e->gone = fd < 0;
	e->type = fh->handle_type;
	e->nbytes = fh->handle_bytes;
	memcpy(e->fsid, &fid->fsid, sizeof(e->fsid));
	memcpy(e->bytes, fh->f_handle, e->nbytes);
	e->path = n > 0 && watch_under_roots(w, buf) ? hf_xstrdup(buf) : NULL;
	*dir = e->path;
	return e->path != NULL;
}

/* "dir/name" of one DFID_NAME record, or NULL (the directory is gone, or
 * not on a watched filesystem, or the path is not under a root) */
static char *record_path(struct hf_watch *w, const struct fanotify_event_info_fid *fid)
{
	const struct file_handle *fh = (const struct file_handle *)fid->handle;
	const char *name = (const char *)(fh->f_handle + fh->handle_bytes), *dir;
	char *out;

	if (!dir_of(w, fid, fh, &dir))
		return NULL;
	if (strcmp(name, ".") == 0 || !*name)
		return hf_xstrdup(dir);
	out = hf_path_join(strcmp(dir, "/") == 0 ? "" : dir, name);
	/* a root that is a file: its directory is not under it */
	if (!watch_under_roots(w, out)) {
		free(out);
		return NULL;
	}
	return out;
}

/* who wrote an event: with the gate, as the gate read it from /proc when it
 * queued the event (so a writer gone by now is still known, and /proc is
 * read once per event, not twice); else (no gate, or its cache slot taken
 * by another pid since) from /proc now, at most every WATCH_WHO_TTL_NS per
 * pid; gone: unattributed (all 0) */
static void event_who(struct hf_watch *w, pid_t pid, struct hf_watch_who *who)
{
	if (!w->writers)
		w->writers = hf_xcalloc(1, sizeof(*w->writers));
	if ((!w->gate || watch_gate_who(w, pid, who) < 0) && watch_who_cached(w->writers, pid, who) < 0)
		memset(who, 0, sizeof(*who));
}

/* see judge_first: path waits, made by another group than who's; moved:
 * by a rename (else written over or deleted: taken out unread) */
static int judge_beside(struct hf_watch *w, const char *path, int moved, const struct hf_watch_who *who,
			struct hf_watch_hit *hit)
{
	struct hf_watch_who maker;

	if (!watch_made_maker(w, path, &maker) || maker.pgid == who->pgid)
		return 0;
	if (!moved && watch_made_take(w, path, NULL))
		w->st.made_dropped++;
	/* by a process gone before it could be attributed (a short-lived one
	 * in a directory its group made, not gated yet: `find -exec sh` over a
	 * fresh copy): not known to be another group's, and the gate gates the
	 * directory at this event, so the next process there is attributed */
	if (who->pgid <= 0)
		return 0;
	return watch_made_flush(w, NULL, path, hit);
}

/* what is judged before the event: new files waiting for their maker
 * (made.c) that the event may pair with or overtake, and a write put off
 * (later.c) of a file the event renames or deletes. 0, or as
 * hf_watch_step (the event is handled again at the next call after a hit) */
static int judge_first(struct hf_watch *w, const struct fanotify_event_metadata *m, const char *path, const char *from,
		       const char *to, const struct hf_watch_who *who, struct hf_watch_hit *hit)
{
	int dir_moved = (m->mask & FAN_ONDIR) && (m->mask & (FAN_RENAME | FAN_MOVED_FROM | FAN_MOVED_TO));
	const struct watch_file *known;
	int r;

	if (dir_moved && (r = watch_made_flush(w, NULL, NULL, hit)) != 0)
		return r; /* their paths may be stale */
	/* a new file still waiting, written over, deleted or renamed by
	 * another group: what its maker wrote there is gone unread (a rename
	 * keeps it: judged under its new name), and the files its maker made
	 * beside it are judged now, before that group reaches them */
	if ((r = judge_beside(w, path, 0, who, hit)) != 0 || (r = judge_beside(w, from, 1, who, hit)) != 0)
		return r;
	/* a known file deleted: the copies its deleter's group, or anyone in
	 * its directory, wrote of it are judged first (a copy then its
	 * original deleted is one file lost) */
	if ((m->mask & FAN_DELETE) && !(m->mask & FAN_ONDIR) && path && (known = watch_file_get(w, path)) &&
	    !known->ciphertext && (r = watch_made_flush(w, who, path, hit)) != 0)
		return r;
	if (!(m->mask & FAN_CLOSE_WRITE) || (m->mask & (FAN_DELETE | FAN_RENAME | FAN_MOVED_FROM | FAN_MOVED_TO)))
		return watch_later_flush(w, path, from, to, dir_moved, hit);
	return 0;
}

/* one event: its paths (DFID_NAME, or OLD/NEW for a rename) */
static int handle(struct hf_watch *w, const struct fanotify_event_metadata *m, const uint8_t *at,
		  struct hf_watch_hit *hit)
{
	const uint8_t *p = at + m->metadata_len, *end = at + m->event_len;

	if (m->metadata_len > m->event_len)
		return 0; /* malformed: the kernel never sends that */
	char *path = NULL, *from = NULL, *to = NULL;
	struct hf_watch_who who;
	int r = 0, crossed = 0;

	/* a file or directory gone (the gate's, which counted it if it
	 * could cost a file): nothing for the judge */
	if (!(m->mask & ~(uint64_t)(FAN_DELETE_SELF | FAN_ONDIR)))
		return 0;
	if (m->mask & FAN_Q_OVERFLOW) {
		w->st.overflows++;
		w->need_rescan = 1;
		return 0;
	}
	/* a directory renamed: the paths remembered under it are wrong now (one
	 * deleted changes no other's path; its own handle goes stale) */
	if ((m->mask & FAN_ONDIR) && (m->mask & (FAN_RENAME | FAN_MOVED_FROM | FAN_MOVED_TO)))
		w->dirs_gen++;
	if (m->pid == w->self)
		return 0;
	while (p + sizeof(struct fanotify_event_info_header) <= end) {
		const struct fanotify_event_info_header *h = (const void *)p;
		if (h->len < sizeof(*h) || p + h->len > end)
			break;
		if (h->info_type == FAN_EVENT_INFO_TYPE_DFID_NAME && !path)
			path = record_path(w, (const void *)p);
		else if (h->info_type == FAN_EVENT_INFO_TYPE_OLD_DFID_NAME && !from)
			from = record_path(w, (const void *)p);
		else if (h->info_type == FAN_EVENT_INFO_TYPE_NEW_DFID_NAME && !to)
			to = record_path(w, (const void *)p);
		p += h->len;
	}
	if (!path && !from && !to)
		goto out; /* not under a watched path */
	event_who(w, m->pid, &who);
	if (w->ignore_pgid && who.pgid == w->ignore_pgid)
		goto out;
	if ((r = judge_first(w, m, path, from, to, &who, hit)) != 0) {
		w->replay = crossed = r > 0;
		goto out;
	}
	w->st.events++;
	watch_made_seen(w, who.pgid, hf_mono_ns());
	/* a directory moved in: the gate marks it and what is in it, whose
	 * files are learnt as they are; one created: the gate marks it alone
	 * (what is made in it comes with events of its own, and its files are
	 * judged as new when closed) */
	if (w->gate && (m->mask & FAN_ONDIR) && (m->mask & (FAN_CREATE | FAN_MOVED_TO | FAN_RENAME))) {
		const char *dir = (m->mask & FAN_RENAME) ? to : path;
		if (dir && (m->mask & FAN_CREATE))
			watch_gate_mark_dir(w, dir);
		else if (dir)
			r = watch_walk_dir(w, dir);
		goto out;
	}
	if ((m->mask & FAN_RENAME) && to) {
		r = from ? watch_on_rename(w, from, to, &who, hit) : watch_on_write(w, to, &who, hit);
	} else if (path) {
		if ((m->mask & FAN_DELETE) && !(m->mask & FAN_ONDIR))
			r = watch_on_delete(w, path, &who, hit);
		else if (m->mask & FAN_CLOSE_WRITE)
			r = watch_on_close_write(w, path, &who, hit);
		else if ((m->mask & FAN_MOVED_TO) && !w->rename_events)
			r = watch_on_write(w, path, &who, hit);
		else if ((m->mask & FAN_MOVED_FROM) && !w->rename_events)
			r = watch_on_delete(w, path, &who, hit);
	}
	if (r > 0)
		crossed = 1;
out:
	free(path);
	free(from);
	free(to);
	return r < 0 ? r : crossed;
}

int hf_watch_step(struct hf_watch *w, struct hf_watch_hit *hit)
{
	int r;

	if ((r = watch_later_due(w, hf_mono_ns(), hit)) != 0)
		return r;
	for (;;) {
		if (w->evoff >= w->evlen) {
			ssize_t n;
			if (w->gate && w->ev_key >= 0) { /* an event left unhandled (malformed) */
				watch_gate_done(w, w->ev_key);
				w->ev_key = -1;
			}
			if (w->need_rescan) {
				/* what waits is judged before the walk finds it */
				if ((r = watch_made_flush(w, NULL, NULL, hit)) != 0)
					return r;
				w->need_rescan = 0;
				w->st.rescans++;
				if ((r = watch_walk(w, 1)) < 0)
					return r;
			}
			/* with the gate, its thread reads the group: one event at a time
			 * from its queue, each counted off for its process group once
			 * judged */
			n = w->gate ? watch_gate_pop(w, w->evbuf, WATCH_EVBUF, &w->ev_key)
				    : read(w->fan, w->evbuf, WATCH_EVBUF);
			if (n < 0 && errno != EAGAIN && errno != EINTR)
				return -errno;
			if (n <= 0) /* no event waits: new files whose maker paused are judged now */
				return watch_made_due(w, hf_mono_ns(), hit);
			w->evoff = 0;
			w->evlen = (size_t)n;
		}
		while (w->evoff < w->evlen) {
			/* events are only 4-aligned after records with names:
			 * the header (a 64-bit mask) is copied out */
			struct fanotify_event_metadata m;
			const uint8_t *at = w->evbuf + w->evoff;
			if (w->evlen - w->evoff < sizeof(m)) {
				w->evoff = w->evlen; /* malformed: the kernel never sends that */
				break;
			}
			memcpy(&m, at, sizeof(m));
			if (m.event_len < sizeof(m) || m.event_len > w->evlen - w->evoff) {
				w->evoff = w->evlen;
				break;
			}
			w->evoff += m.event_len;
			if (m.vers != FANOTIFY_METADATA_VERSION)
				return -HF_E_VERSION;
			if (m.fd >= 0)
				close(m.fd); /* FID groups get FAN_NOFD; never leak one */
			r = handle(w, &m, at, hit);
			if (w->replay) { /* handled again at the next call, its gate key kept */
				w->replay = 0;
				w->evoff -= m.event_len;
				return r;
			}
			if (w->gate) {
				watch_gate_done(w, w->ev_key);
				w->ev_key = -1;
			}
			if (r != 0)
				return r;
		}
	}
}
