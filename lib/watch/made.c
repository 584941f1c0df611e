/* made.c — a new file is judged once the process group that made it
 * pauses, not while it is still making files.
 *
 * Judging a file reads it and profiles it (libmagic, and a decode of its
 * structure in the sandbox): as costly as writing it. A copy (`cp -a`,
 * rsync, `tar x`) makes thousands of files that cost nothing, and judging
 * each one as it was closed took CPU from the copy itself. So a file its
 * writer's group created lately (the gate did not count its write: fresh.c)
 * and that the judge does not know waits here, until its group has had no
 * event for WATCH_MADE_QUIET_NS or it has waited WATCH_MADE_AGE_NS, and is
 * judged then, when the judge has no event to handle, oldest first.
 * Files deleted or written over meanwhile are never read at all.
 *
 * Detection is not delayed. A group's waiting files are judged at once
 * when it first scores (watch.c), and a group that has points puts nothing
 * off; before a known file is deleted, the files its deleter's group or
 * session, or anyone in its directory, has waiting are judged, so a copy is
 * known before the deletion of its original is (listen.c); and a waiting
 * file that another group writes over, deletes or renames has every other
 * file waiting in its directory judged first, before that group reaches
 * them (listen.c; not for a process gone before it could be attributed,
 * which may be the maker's own). What is given up: that one file's
 * content as its maker wrote it is judged as new (or, deleted, counts
 * nothing): a file that briefly exists only amid its maker's burst. */
#include <stdlib.h>
#include <string.h>

#include "util/mem.h"
#include "watch/watch_int.h"

struct watch_made_entry {
	char *path;    /* NULL: taken out */
	size_t dirlen; /* path's bytes before its last '/' */
	uint64_t hash;
	struct hf_watch_who who;
	int64_t made_ns;
};

struct watch_made_group {
	pid_t pgid;
	int64_t last_ns;
};

/* the files waiting, in a ring (oldest at head), found by path through an
 * index with linear probing (1 + the ring slot; 0: empty) */
struct watch_made {
	struct watch_made_entry e[WATCH_MADE_MAX];
	size_t head, n;
	uint16_t index[WATCH_MADE_INDEX];
	struct watch_made_group groups[WATCH_MADE_GROUPS]; /* when each group last had an event: direct-mapped */
};

static uint64_t path_hash(const char *path)
{
	uint64_t h = 1469598103934665603ULL;

	for (const unsigned char *p = (const unsigned char *)path; *p; p++)
		h = (h ^ *p) * 1099511628211ULL;
	return h;
}

static size_t home(uint64_t hash)
{
	return (size_t)(hash % WATCH_MADE_INDEX);
}

/* the index slot that holds path, or the empty one where it would go */
static size_t find_slot(const struct watch_made *m, const char *path, uint64_t hash)
{
	size_t i = home(hash);

	while (m->index[i]) {
		const struct watch_made_entry *x = &m->e[m->index[i] - 1];
		if (x->hash == hash && strcmp(x->path, path) == 0)
			break;
		i = (i + 1) % WATCH_MADE_INDEX;
	}
	return i;
}

/* empties index slot i, moving back the entries after it that its
 * emptiness would hide (deletion from linear probing) */
static void unindex(struct watch_made *m, size_t i)
{
	size_t j = i;

	m->index[i] = 0;
	for (;;) {
		j = (j + 1) % WATCH_MADE_INDEX;
		if (!m->index[j])
			return;
		size_t k = home(m->e[m->index[j] - 1].hash);
		/* j's entry stays if its home lies cyclically in (i, j] */
		if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
			continue;
		m->index[i] = m->index[j];
		m->index[j] = 0;
		i = j;
	}
}

/* takes x out of the index and the ring (the ring's head moved past what
 * was taken out): its path, now the caller's */
static char *detach(struct watch_made *m, struct watch_made_entry *x)
{
	char *path = x->path;

	unindex(m, find_slot(m, x->path, x->hash));
	x->path = NULL;
	while (m->n && !m->e[m->head].path) {
		m->head = (m->head + 1) % WATCH_MADE_MAX;
		m->n--;
	}
	return path;
}

/* the bytes of path before its last '/' (SIZE_MAX: none) */
static size_t dir_len(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? (size_t)(slash - path) : SIZE_MAX;
}

static size_t group_at(pid_t pgid)
{
	return (uint32_t)pgid % WATCH_MADE_GROUPS;
}

static void seen(struct watch_made *m, pid_t pgid, int64_t now)
{
	if (pgid > 0)
		m->groups[group_at(pgid)] = (struct watch_made_group){pgid, now};
}

void watch_made_seen(struct hf_watch *w, pid_t pgid, int64_t now)
{
	if (w->made)
		seen(w->made, pgid, now);
}

/* when x is due: its group quiet for WATCH_MADE_QUIET_NS (a group whose
 * slot another took is taken for quiet), or x as old as WATCH_MADE_AGE_NS */
static int64_t due_ns(const struct watch_made *m, const struct watch_made_entry *x)
{
	const struct watch_made_group *g = &m->groups[group_at(x->who.pgid)];
	int64_t quiet = g->pgid == x->who.pgid ? g->last_ns + WATCH_MADE_QUIET_NS : 0;
	int64_t old = x->made_ns + WATCH_MADE_AGE_NS;

	return quiet < old ? quiet : old;
}

/* judges x now (taken out first): as watch_on_write */
static int judge_now(struct hf_watch *w, struct watch_made_entry *x, struct hf_watch_hit *hit)
{
	struct hf_watch_who who = x->who;
	char *path = detach(w->made, x);
	int r;

	w->st.made_waited++;
	r = watch_on_write(w, path, &who, hit);
	free(path);
	return r;
}

int watch_made_put(struct hf_watch *w, const char *path, const struct hf_watch_who *who, int64_t now,
		   struct hf_watch_hit *hit)
{
	struct watch_made *m;
	struct watch_made_entry *x;
	uint64_t hash = path_hash(path);
	size_t i;
	int r = 0;

	if (!w->made)
		w->made = hf_xcalloc(1, sizeof(*w->made));
	m = w->made;
	seen(m, who->pgid, now);    /* its write is an event of its group (the first one put: not seen before) */
	if (m->n == WATCH_MADE_MAX) /* full: the oldest is judged now */
		r = judge_now(w, &m->e[m->head], hit);
	i = find_slot(m, path, hash);
	if (m->index[i]) /* written again: only its newest maker is kept */
		free(detach(m, &m->e[m->index[i] - 1]));
	x = &m->e[(m->head + m->n) % WATCH_MADE_MAX];
	*x = (struct watch_made_entry){hf_xstrdup(path), dir_len(path), hash, *who, now};
	m->n++;
	m->index[find_slot(m, path, hash)] = (uint16_t)(x - m->e + 1);
	return r;
}

/* path's entry, or NULL */
static struct watch_made_entry *entry_of(const struct hf_watch *w, const char *path)
{
	struct watch_made *m = w->made;
	size_t i;

	if (!m || !m->n)
		return NULL;
	i = find_slot(m, path, path_hash(path));
	return m->index[i] ? &m->e[m->index[i] - 1] : NULL;
}

int watch_made_maker(const struct hf_watch *w, const char *path, struct hf_watch_who *maker)
{
	const struct watch_made_entry *x = path ? entry_of(w, path) : NULL;

	if (x)
		*maker = x->who;
	return x != NULL;
}

int watch_made_take(struct hf_watch *w, const char *path, struct hf_watch_who *maker)
{
	struct watch_made_entry *x = entry_of(w, path);

	if (!x)
		return 0;
	if (maker)
		*maker = x->who;
	free(detach(w->made, x));
	return 1;
}

/* whether x is in the directory of beside (its first dirlen bytes; none
 * for SIZE_MAX); a flush looks at every waiting file, so the lengths are
 * compared first */
static int in_dir(const struct watch_made_entry *x, const char *beside, size_t dirlen)
{
	return dirlen != SIZE_MAX && x->dirlen == dirlen && memcmp(x->path, beside, dirlen) == 0;
}

int watch_made_flush(struct hf_watch *w, const struct hf_watch_who *who, const char *beside, struct hf_watch_hit *hit)
{
	struct watch_made *m = w->made;
	size_t head = m ? m->head : 0, n = m ? m->n : 0, dirlen = beside ? dir_len(beside) : 0;

	/* judging only takes entries out: the slots of [head, head + n) stay */
	for (size_t k = 0; k < n; k++) {
		struct watch_made_entry *x = &m->e[(head + k) % WATCH_MADE_MAX];
		int r;
		if (!x->path)
			continue;
		if ((who || beside) && !(who && who->pgid > 0 && x->who.pgid == who->pgid) &&
		    !(who && who->sid > 0 && x->who.sid == who->sid) && !(beside && in_dir(x, beside, dirlen)))
			continue;
		if ((r = judge_now(w, x, hit)) != 0)
			return r;
	}
	return 0;
}

int watch_made_due(struct hf_watch *w, int64_t now, struct hf_watch_hit *hit)
{
	struct watch_made *m = w->made;

	for (int done = 0; m && m->n && done < WATCH_MADE_BATCH; done++) {
		struct watch_made_entry *x = &m->e[m->head];
		int r;
		if (due_ns(m, x) > now)
			return 0;
		if ((r = judge_now(w, x, hit)) != 0)
			return r;
	}
	return 0;
}

int watch_made_next_ms(const struct hf_watch *w, int64_t now)
{
	const struct watch_made *m = w->made;
	int64_t at;

	if (!m || !m->n)
		return -1;
	at = due_ns(m, &m->e[m->head]);
	return at <= now ? 0 : (int)((at - now + 999999) / 1000000);
}

void watch_made_release(struct hf_watch *w)
{
	struct watch_made *m = w->made;

	for (size_t k = 0; m && k < WATCH_MADE_MAX; k++)
		free(m->e[k].path);
	free(m);
	w->made = NULL;
}
