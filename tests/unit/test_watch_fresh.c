/* test_watch_fresh.c — which fanotify events can cost a file (lib/watch/
 * fresh.c), on events built as the kernel lays them out: a group's writes,
 * renames and deletes of names it created lately cost nothing; a write or a
 * delete of a name it did not create, any rename, and an ambiguous merged
 * event count; names are per group and forgotten after a minute. Where
 * link counts are reported, by inode: a rename counts only by the file it
 * replaced. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/fanotify.h>

#include "t.h"
#include "watch/watch_int.h"

#define SEC 1000000000LL

static _Alignas(8) uint8_t ev[512];
static struct watch_fresh fresh;

/* one DFID_NAME-like record: directory handle `dir`, then name */
static size_t record(uint8_t *at, uint8_t type, uint32_t dir, const char *name)
{
	struct fanotify_event_info_header h = {.info_type = type};
	int32_t fsid[2] = {7, 9};
	struct {
		uint32_t handle_bytes;
		int handle_type;
	} fh = {sizeof(dir), 1};
	size_t n = sizeof(h) + sizeof(fsid) + sizeof(fh) + sizeof(dir) + strlen(name) + 1;

	n = (n + 3) & ~(size_t)3;
	h.len = (uint16_t)n;
	memset(at, 0, n);
	memcpy(at, &h, sizeof(h));
	memcpy(at + sizeof(h), fsid, sizeof(fsid));
	memcpy(at + sizeof(h) + sizeof(fsid), &fh, sizeof(fh));
	memcpy(at + sizeof(h) + sizeof(fsid) + sizeof(fh), &dir, sizeof(dir));
	memcpy(at + sizeof(h) + sizeof(fsid) + sizeof(fh) + sizeof(dir), name, strlen(name));
	return n;
}

/* an event with one name (NULL: none), or (to != NULL) a rename from name
 * to `to`; then, if inode is not 0, the file's own handle `inode` (as Linux
 * 5.17 reports it with FAN_REPORT_TARGET_FID) */
static const struct fanotify_event_metadata *event(uint64_t mask, const char *name, const char *to, uint32_t inode)
{
	struct fanotify_event_metadata m = {.vers = FANOTIFY_METADATA_VERSION,
					    .metadata_len = FAN_EVENT_METADATA_LEN,
					    .mask = mask,
					    .fd = FAN_NOFD,
					    .pid = 100};
	size_t n = sizeof(m);

	if (to) {
		n += record(ev + n, FAN_EVENT_INFO_TYPE_OLD_DFID_NAME, 1, name);
		n += record(ev + n, FAN_EVENT_INFO_TYPE_NEW_DFID_NAME, 1, to);
	} else if (name) {
		n += record(ev + n, FAN_EVENT_INFO_TYPE_DFID_NAME, 1, name);
	}
	if (inode)
		n += record(ev + n, FAN_EVENT_INFO_TYPE_FID, inode, "");
	m.event_len = (uint32_t)n;
	memcpy(ev, &m, sizeof(m));
	return (const struct fanotify_event_metadata *)ev;
}

/* as the gate calls it: the mask, and the records after the metadata */
static int counts_with(uint64_t mask, const char *name, const char *to, int rename_events, pid_t group, int64_t now)
{
	const struct fanotify_event_metadata *m = event(mask, name, to, 0);

	return watch_fresh_counts(&fresh, m->mask, ev + m->metadata_len, m->event_len - m->metadata_len, rename_events,
				  group, now);
}

static int counts(uint64_t mask, const char *name, const char *to, pid_t group, int64_t now)
{
	return counts_with(mask, name, to, 1, group, now);
}

static void test_created_files_cost_nothing(void)
{
	memset(&fresh, 0, sizeof(fresh));
	T_EQ(counts(FAN_CREATE, "a.txt", NULL, 5, SEC), 0);
	T_EQ(counts(FAN_CLOSE_WRITE, "a.txt", NULL, 5, SEC), 0);
	T_EQ(counts(FAN_CLOSE_WRITE, "a.txt", NULL, 5, 2 * SEC), 0); /* written again */
	/* created and written, merged into one event */
	T_EQ(counts(FAN_CREATE | FAN_CLOSE_WRITE, "b.o", NULL, 5, SEC), 0);
	T_EQ(counts(FAN_DELETE, "b.o", NULL, 5, SEC), 0);
}

static void test_files_there_before_count(void)
{
	memset(&fresh, 0, sizeof(fresh));
	T_EQ(counts(FAN_CLOSE_WRITE, "old.doc", NULL, 5, SEC), 1);
	T_EQ(counts(FAN_DELETE, "old.doc", NULL, 5, SEC), 1);
	/* created by one group, overwritten by another */
	T_EQ(counts(FAN_CREATE, "c.txt", NULL, 5, SEC), 0);
	T_EQ(counts(FAN_CLOSE_WRITE, "c.txt", NULL, 6, SEC), 1);
	/* deleted: the name is not this group's any more */
	T_EQ(counts(FAN_DELETE, "c.txt", NULL, 5, SEC), 0);
	T_EQ(counts(FAN_CLOSE_WRITE, "c.txt", NULL, 5, SEC), 1);
	/* a delete and a create merged: which came first is unknown */
	T_EQ(counts(FAN_CREATE | FAN_DELETE, "d.txt", NULL, 5, SEC), 1);
	/* directories: nothing of a file's */
	T_EQ(counts(FAN_CREATE | FAN_ONDIR, "dir", NULL, 5, SEC), 0);
	T_EQ(counts(FAN_DELETE | FAN_ONDIR, "dir", NULL, 5, SEC), 0);
}

static void test_renames(void)
{
	memset(&fresh, 0, sizeof(fresh));
	/* a temporary file given its name: the rename counts (it may replace a
	 * file), its MOVED_FROM/TO do not, the new name is the group's */
	T_EQ(counts(FAN_CREATE, ".t.XYZ", NULL, 5, SEC), 0);
	T_EQ(counts(FAN_CLOSE_WRITE, ".t.XYZ", NULL, 5, SEC), 0);
	T_EQ(counts(FAN_RENAME, ".t.XYZ", "t", 5, SEC), 1);
	T_EQ(counts(FAN_MOVED_FROM, ".t.XYZ", NULL, 5, SEC), 0);
	T_EQ(counts(FAN_MOVED_TO, "t", NULL, 5, SEC), 0);
	T_EQ(counts(FAN_CLOSE_WRITE, "t", NULL, 5, SEC), 0);
	T_EQ(counts(FAN_CLOSE_WRITE, ".t.XYZ", NULL, 5, SEC), 1); /* the old name is free */
	/* a file there before renamed: counts, and its new name is not fresh */
	T_EQ(counts(FAN_RENAME, "report.doc", "report.doc.locked", 5, SEC), 1);
	T_EQ(counts(FAN_CLOSE_WRITE, "report.doc.locked", NULL, 5, SEC), 1);
	/* a kernel without FAN_RENAME: MOVED_TO may replace a file */
	T_EQ(counts_with(FAN_MOVED_TO, "t", NULL, 0, 5, SEC), 1);
	T_EQ(counts_with(FAN_MOVED_FROM, "old.doc", NULL, 0, 5, SEC), 1);
}

/* with link counts reported; name NULL: a file's own event */
static int counts_inode(uint64_t mask, const char *name, const char *to, uint32_t inode, pid_t group, int64_t now)
{
	const struct fanotify_event_metadata *m = event(mask, name, to, inode);

	return watch_fresh_counts(&fresh, m->mask, ev + m->metadata_len, m->event_len - m->metadata_len,
				  WATCH_REPORTS_RENAME | WATCH_REPORTS_LINKS, group, now);
}

/* with link counts reported: rsync's temporary file renamed to a new name
 * costs nothing, renamed over a file that was there the replaced file's own
 * event (its last link gone) counts; deletions count by that event too,
 * for files the group did not create */
static void test_by_inode(void)
{
	memset(&fresh, 0, sizeof(fresh));
	T_EQ(counts_inode(FAN_CREATE, ".t.XYZ", NULL, 10, 5, SEC), 0);
	T_EQ(counts_inode(FAN_CLOSE_WRITE, ".t.XYZ", NULL, 10, 5, SEC), 0);
	T_EQ(counts_inode(FAN_RENAME, ".t.XYZ", "t", 10, 5, SEC), 0);
	T_EQ(counts_inode(FAN_MOVED_TO, "t", NULL, 10, 5, SEC), 0);
	T_EQ(counts_inode(FAN_CLOSE_WRITE, "t", NULL, 10, 5, SEC), 0);
	/* over a file that was there (inode 20): its own event counts */
	T_EQ(counts_inode(FAN_CREATE, ".u.ABC", NULL, 11, 5, SEC), 0);
	T_EQ(counts_inode(FAN_RENAME, ".u.ABC", "report.doc", 11, 5, SEC), 0);
	T_EQ(counts_inode(FAN_DELETE_SELF, NULL, NULL, 20, 5, SEC), 1);
	/* over a file the group made: nothing */
	T_EQ(counts_inode(FAN_DELETE_SELF, NULL, NULL, 10, 5, SEC), 0);
	/* deleted: by the file's own event, not the name's */
	T_EQ(counts_inode(FAN_DELETE, "old.txt", NULL, 21, 5, SEC), 0);
	T_EQ(counts_inode(FAN_DELETE_SELF, NULL, NULL, 21, 5, SEC), 1);
	T_EQ(counts_inode(FAN_CREATE | FAN_DELETE, "tmp.o", NULL, 12, 5, SEC), 0);
	T_EQ(counts_inode(FAN_DELETE_SELF, NULL, NULL, 12, 5, SEC), 0);
	/* written in place, renamed away: */
	T_EQ(counts_inode(FAN_CLOSE_WRITE, "old.txt", NULL, 22, 5, SEC), 1);
	T_EQ(counts_inode(FAN_RENAME, "old.txt", "old.txt.locked", 22, 5, SEC), 1);
	/* what one group made is another's to lose */
	T_EQ(counts_inode(FAN_CLOSE_WRITE, "t", NULL, 10, 6, SEC), 1);
	T_EQ(counts_inode(FAN_DELETE_SELF, NULL, NULL, 10, 6, SEC), 1);
	/* and after a minute the group's own again count */
	T_EQ(counts_inode(FAN_CLOSE_WRITE, "t", NULL, 10, 5, 62 * SEC), 1);
	/* a file gone, from a mark made before link counts were given up
	 * (the gate then counts by name): nothing */
	const struct fanotify_event_metadata *m = event(FAN_DELETE_SELF, NULL, NULL, 30);
	T_EQ(watch_fresh_counts(&fresh, m->mask, ev + m->metadata_len, m->event_len - m->metadata_len,
				WATCH_REPORTS_RENAME, 5, SEC),
	     0);
}

static void test_forgotten_after_a_minute(void)
{
	memset(&fresh, 0, sizeof(fresh));
	T_EQ(counts(FAN_CREATE, "slow.log", NULL, 5, SEC), 0);
	T_EQ(counts(FAN_CLOSE_WRITE, "slow.log", NULL, 5, 59 * SEC), 0);
	T_EQ(counts(FAN_CLOSE_WRITE, "slow.log", NULL, 5, 62 * SEC), 1);
}

/* a group's copy of 8,000 files: what it wrote is remembered, not pushed
 * out by the slot of another (direct-mapped, a fifth counted) */
static void test_a_large_copy_is_remembered(void)
{
	char name[32];
	int counted = 0;

	memset(&fresh, 0, sizeof(fresh));
	for (int i = 0; i < 8000; i++) {
		snprintf(name, sizeof(name), "f%d.html", i);
		T_EQ(counts(FAN_CREATE, name, NULL, 5, SEC), 0);
	}
	for (int i = 0; i < 8000; i++) {
		snprintf(name, sizeof(name), "f%d.html", i);
		counted += counts(FAN_CLOSE_WRITE, name, NULL, 5, 2 * SEC);
	}
	T_CHECK(counted < 80);
}

int main(void)
{
	T_RUN(test_created_files_cost_nothing);
	T_RUN(test_files_there_before_count);
	T_RUN(test_renames);
	T_RUN(test_forgotten_after_a_minute);
	T_RUN(test_by_inode);
	T_RUN(test_a_large_copy_is_remembered);
	return T_DONE("test_watch_fresh");
}
