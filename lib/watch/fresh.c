/* fresh.c — which events can cost a file: the gate holds a process group
 * by how many of those the judge has not seen yet.
 *
 * A process that creates files loses nothing by writing them, renaming
 * them or deleting them again: `tar xf`, `cp -a`, rsync's temporary files
 * and a compiler's output are only that. What can lose a file is a write to
 * a file that was there before (in place), its deletion, or a rename that
 * replaces one. So the gate remembers, per process group, what it created
 * in the last FRESH_TTL_NS, hashed, and does not count that group's later
 * events on it. A slot taken by another (the oldest of a full set) only makes an event count again:
 * the gate then holds more, never less.
 *
 * Where the kernel reports link counts (WATCH_REPORTS_LINKS:
 * FAN_DELETE_SELF on the filesystem mark and the created file's own
 * handle, Linux 5.17) what is remembered is the inode: a file whose last
 * link goes (deleted, or replaced by a rename) sends an event of its own,
 * with its handle and no name, and that is what counts unless the group
 * created the file (until 2026-12-07 FAN_ATTRIB, which every chmod,
 * chown and utimes sent as well: three events more for each file a copy
 * makes); a write
 * counts unless it did; a rename counts only if it moves a file the group
 * did not create, whatever it replaces (that one's own event counts).
 * Otherwise names are remembered (dir handle + name), and every rename
 * counts: one event of the three a rename sends when the kernel reports
 * FAN_RENAME, for the event does not say whether it replaced a file. */
#include <fcntl.h>
#include <string.h>
#include <sys/fanotify.h>

#include "watch/watch_int.h"

#define FRESH_TTL_NS 60000000000LL

static uint64_t mix(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 1099511628211ULL;
	return h;
}

/* the hash of one FID or DFID_NAME-like record (fsid, handle, and the
 * name if it has one) for a group; 0 if it is malformed */
static uint64_t record_hash(const struct fanotify_event_info_header *hd, pid_t pgid)
{
	const struct fanotify_event_info_fid *fid = (const void *)hd;
	const struct file_handle *fh = (const struct file_handle *)fid->handle;
	const uint8_t *end = (const uint8_t *)hd + hd->len, *name;
	uint64_t h = 1469598103934665603ULL;

	if (hd->len < sizeof(*fid) + sizeof(*fh) || fh->handle_bytes > (size_t)(end - fh->f_handle))
		return 0;
	name = fh->f_handle + fh->handle_bytes;
	h = mix(h, &pgid, sizeof(pgid));
	h = mix(h, hd->info_type == FAN_EVENT_INFO_TYPE_FID ? "f" : "d", 1); /* a file's handle, or a name's */
	h = mix(h, &fid->fsid, sizeof(fid->fsid));
	h = mix(h, &fh->handle_type, sizeof(fh->handle_type));
	h = mix(h, fh->f_handle, fh->handle_bytes);
	if (hd->info_type != FAN_EVENT_INFO_TYPE_FID)
		h = mix(h, name, strnlen((const char *)name, (size_t)(end - name)));
	return h ? h : 1;
}

/* the WATCH_FRESH_WAYS slots h may be in */
static struct watch_fresh_slot *set_of(struct watch_fresh *f, uint64_t h)
{
	return &f->slots[h % (WATCH_FRESH_SLOTS / WATCH_FRESH_WAYS) * WATCH_FRESH_WAYS];
}

/* h's slot in its set, or NULL */
static struct watch_fresh_slot *slot_of(struct watch_fresh *f, uint64_t h, int64_t now)
{
	struct watch_fresh_slot *set = set_of(f, h);

	for (int i = 0; h && i < WATCH_FRESH_WAYS; i++)
		if (set[i].hash == h && now - set[i].since_ns < FRESH_TTL_NS)
			return &set[i];
	return NULL;
}

static int is_fresh(struct watch_fresh *f, uint64_t h, int64_t now)
{
	return slot_of(f, h, now) != NULL;
}

/* into its set: its own slot, an empty one, or the oldest */
static void remember(struct watch_fresh *f, uint64_t h, int64_t now)
{
	struct watch_fresh_slot *set = set_of(f, h), *s = slot_of(f, h, now);

	if (!h)
		return;
	for (int i = 0; !s && i < WATCH_FRESH_WAYS; i++)
		if (!set[i].hash || now - set[i].since_ns >= FRESH_TTL_NS)
			s = &set[i];
	if (!s) {
		s = &set[0];
		for (int i = 1; i < WATCH_FRESH_WAYS; i++)
			if (set[i].since_ns < s->since_ns)
				s = &set[i];
	}
	*s = (struct watch_fresh_slot){h, now};
}

/* the name is gone: whatever has it next was not created by this group */
static int forget(struct watch_fresh *f, uint64_t h, int64_t now)
{
	struct watch_fresh_slot *s = slot_of(f, h, now);

	if (!s)
		return 0;
	s->hash = 0;
	return 1;
}

/* with link counts reported: by the inode (the file's own handle) */
static int counts_by_inode(struct watch_fresh *f, uint64_t mask, uint64_t inode, int named, int64_t now)
{
	if (!named) /* a file's own event: its last link is gone */
		return (mask & FAN_DELETE_SELF) && !is_fresh(f, inode, now);
	if (mask & FAN_CREATE) {
		/* merged with its own deletion or a write: the same inode, so
		 * created first */
		remember(f, inode, now);
		return 0;
	}
	if (mask & (FAN_DELETE | FAN_MOVED_FROM | FAN_MOVED_TO))
		return 0;                /* counted by the file's own event, or as the rename */
	return !is_fresh(f, inode, now); /* a write, or a rename of the file */
}

int watch_fresh_counts(struct watch_fresh *f, uint64_t mask, const uint8_t *info, size_t ninfo, int reports, pid_t pgid,
		       int64_t now)
{
	const uint8_t *p = info, *end = info + ninfo;
	uint64_t name = 0, from = 0, to = 0, inode = 0;

	if (mask & (FAN_ONDIR | FAN_Q_OVERFLOW))
		return 0; /* directories: nothing of a file's to lose */
	while (p + sizeof(struct fanotify_event_info_header) <= end) {
		const struct fanotify_event_info_header *hd = (const void *)p;
		if (hd->len < sizeof(*hd) || p + hd->len > end)
			break;
		if (hd->info_type == FAN_EVENT_INFO_TYPE_DFID_NAME)
			name = record_hash(hd, pgid);
		else if (hd->info_type == FAN_EVENT_INFO_TYPE_OLD_DFID_NAME)
			from = record_hash(hd, pgid);
		else if (hd->info_type == FAN_EVENT_INFO_TYPE_NEW_DFID_NAME)
			to = record_hash(hd, pgid);
		else if (hd->info_type == FAN_EVENT_INFO_TYPE_FID)
			inode = record_hash(hd, pgid);
		p += hd->len;
	}
	if ((reports & WATCH_REPORTS_LINKS) && inode)
		return counts_by_inode(f, mask, inode, name || from || to, now);
	if (!(mask & ~(uint64_t)FAN_DELETE_SELF))
		return 0; /* a file gone (from a mark made before link counts were given up) */
	if (mask & FAN_RENAME) {
		if (forget(f, from, now))
			remember(f, to, now); /* a temporary file given its name (rsync) */
		return 1;
	}
	if ((reports & WATCH_REPORTS_RENAME) && (mask & (FAN_MOVED_FROM | FAN_MOVED_TO)) &&
	    !(mask & (FAN_CLOSE_WRITE | FAN_DELETE)))
		return 0; /* counted as the rename */
	if (mask & FAN_CREATE) {
		/* merged with a delete: which came first is lost, so it counts */
		if (mask & (FAN_DELETE | FAN_MOVED_FROM | FAN_MOVED_TO))
			return 1;
		remember(f, name, now);
		return 0;
	}
	if (mask & FAN_MOVED_TO)
		return 1; /* without FAN_RENAME: it may have replaced a file */
	if (mask & (FAN_DELETE | FAN_MOVED_FROM))
		return !forget(f, name, now);
	return !is_fresh(f, name, now);
}
