/* fresh.c — which events can cost a file: the gate holds a process group
 * by how many of those the judge has not seen yet.
 *
 * A process that creates files loses nothing by writing them, renaming
 * them or deleting them again: `tar xf`, `cp -a` and a compiler's output
 * are only that. What can lose a file is a write to a file that was there
 * before (in place), its deletion, or a rename (the old name is gone, and a
 * rename may replace another file: the event does not say). So the gate
 * remembers, per process group, the names it created in the last
 * FRESH_TTL_NS (dir handle + name, hashed), and does not count that group's
 * later writes and deletions of those names. Renames always count (one
 * event of the three a rename sends when the kernel reports FAN_RENAME).
 * A name forgotten early (its slot taken by another) only counts again:
 * the gate then holds more, never less. */
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

/* the hash of one DFID_NAME-like record (fsid, handle, name) for a group;
 * 0 if it is malformed */
static uint64_t record_hash(const struct fanotify_event_info_header *hd, pid_t pgid)
{
	const struct fanotify_event_info_fid *fid = (const void *)hd;
	const struct file_handle *fh = (const struct file_handle *)fid->handle;
	const uint8_t *end = (const uint8_t *)hd + hd->len, *name;
	uint64_t h = 1469598103934665603ULL;
	size_t n;

	if (hd->len < sizeof(*fid) + sizeof(*fh) || fh->handle_bytes > (size_t)(end - fh->f_handle))
		return 0;
	name = fh->f_handle + fh->handle_bytes;
	n = strnlen((const char *)name, (size_t)(end - name));
	h = mix(h, &pgid, sizeof(pgid));
	h = mix(h, &fid->fsid, sizeof(fid->fsid));
	h = mix(h, &fh->handle_type, sizeof(fh->handle_type));
	h = mix(h, fh->f_handle, fh->handle_bytes);
	h = mix(h, name, n);
	return h ? h : 1;
}

static struct watch_fresh_slot *slot(struct watch_fresh *f, uint64_t h)
{
	return &f->slots[h % WATCH_FRESH_SLOTS];
}

static int is_fresh(struct watch_fresh *f, uint64_t h, int64_t now)
{
	const struct watch_fresh_slot *s = slot(f, h);

	return h && s->hash == h && now - s->since_ns < FRESH_TTL_NS;
}

static void remember(struct watch_fresh *f, uint64_t h, int64_t now)
{
	if (h)
		*slot(f, h) = (struct watch_fresh_slot){h, now};
}

/* the name is gone: whatever has it next was not created by this group */
static int forget(struct watch_fresh *f, uint64_t h, int64_t now)
{
	if (!is_fresh(f, h, now))
		return 0;
	slot(f, h)->hash = 0;
	return 1;
}

int watch_fresh_counts(struct watch_fresh *f, uint64_t mask, const uint8_t *info, size_t ninfo, int rename_events,
		       pid_t pgid, int64_t now)
{
	const uint8_t *p = info, *end = info + ninfo;
	uint64_t name = 0, from = 0, to = 0;

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
		p += hd->len;
	}
	if (mask & FAN_RENAME) {
		if (forget(f, from, now))
			remember(f, to, now); /* a temporary file given its name (rsync) */
		return 1;
	}
	if (rename_events && (mask & (FAN_MOVED_FROM | FAN_MOVED_TO)) && !(mask & (FAN_CLOSE_WRITE | FAN_DELETE)))
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
