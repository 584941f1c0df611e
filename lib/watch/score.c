/* score.c — per-process scores: each judged file event is worth points to
 * the process that wrote it, to its process group, to its session and to
 * the process that started its session, so an attack that runs one process
 * per file (xargs -P, or workers that each call setsid) still adds up in
 * the group, session or starter of sessions they share. Points last while they keep coming:
 * a fact that scores more than the window after the actor's last one that
 * scored starts again from zero, however busy the actor was meanwhile (a
 * file server's daemon is never idle, and the odd encrypted archive its
 * users save over a day must not add up), while a throttled attack, one
 * file every few minutes, still does. An actor idle for the window is
 * forgotten; one that crossed the threshold is reported once. A file
 * counts once within the window, however often it is written again. The
 * table has a cap: past it, the least recently active actor is forgotten. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/mem.h"
#include "watch/watch.h"

#define DEFAULT_ACTORS 4096

struct actor {
	int by;
	pid_t id;
	int used, crossed;
	unsigned score;
	unsigned encrypted, candidates, originals_gone, notes;
	unsigned touched; /* facts of any kind */
	int64_t first_ns, last_ns;
	int64_t scored_ns;   /* its last fact that scored */
	unsigned loss_score; /* files lost: encrypted, or originals deleted after their copy */
	unsigned cand_score; /* new ciphertext files (counted up to HF_WATCH_PTS_CANDIDATES_MAX) */
	unsigned note_score; /* notes (counted up to HF_WATCH_PTS_NOTES_MAX) */
	struct hf_watch_who last;
	struct hf_watch_file *files; /* a ring, allocated at the first non-clean fact */
	size_t nfiles, head;         /* head: where the next one goes */
};

struct hf_watch_score {
	struct hf_watch_score_opts o;
	struct actor *a;
	size_t n; /* slots in use: a[0..n) */
};

struct hf_watch_score *hf_watch_score_new(const struct hf_watch_score_opts *o)
{
	struct hf_watch_score *s = hf_xcalloc(1, sizeof(*s));

	if (o)
		s->o = *o;
	if (!s->o.threshold)
		s->o.threshold = HF_WATCH_THRESHOLD;
	if (s->o.window_ns <= 0)
		s->o.window_ns = HF_WATCH_WINDOW_NS;
	if (!s->o.max_actors)
		s->o.max_actors = DEFAULT_ACTORS;
	s->a = hf_xcalloc(s->o.max_actors, sizeof(*s->a));
	return s;
}

void hf_watch_score_free(struct hf_watch_score *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		free(s->a[i].files);
	free(s->a);
	free(s);
}

size_t hf_watch_score_actors(const struct hf_watch_score *s)
{
	return s->n;
}

static struct actor *find(const struct hf_watch_score *s, int by, pid_t id)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->a[i].by == by && s->a[i].id == id)
			return &s->a[i];
	return NULL;
}

static void reset(struct actor *a)
{
	struct hf_watch_file *f = a->files;

	memset(a, 0, sizeof(*a));
	a->files = f;
}

/* the actor (by, id), created (or the least recently active one reused) */
static struct actor *get(struct hf_watch_score *s, int by, pid_t id, int64_t t)
{
	struct actor *a = find(s, by, id);

	if (!a) {
		if (s->n < s->o.max_actors) {
			a = &s->a[s->n++];
		} else {
			a = &s->a[0];
			for (size_t i = 1; i < s->n; i++)
				if (s->a[i].last_ns < a->last_ns)
					a = &s->a[i];
		}
		reset(a);
		a->by = by;
		a->id = id;
		a->used = 1;
		a->first_ns = t;
	} else if (t - a->last_ns > s->o.window_ns) {
		reset(a);
		a->by = by;
		a->id = id;
		a->used = 1;
		a->first_ns = t;
	}
	return a;
}

static unsigned points(const struct hf_watch_fact *f)
{
	unsigned p = 0;

	switch (f->kind) {
	case HF_WATCH_ENCRYPTED:
		p = HF_WATCH_PTS_ENCRYPTED;
		break;
	case HF_WATCH_CANDIDATE:
		p = HF_WATCH_PTS_CANDIDATE;
		break;
	case HF_WATCH_ORIGINAL_GONE:
		p = f->copy_kept ? HF_WATCH_PTS_KEPT_GONE : HF_WATCH_PTS_ORIGINAL_GONE;
		break;
	case HF_WATCH_NOTE:
		p = HF_WATCH_PTS_NOTE;
		break;
	default:
		return 0;
	}
	if (f->new_extension)
		p += HF_WATCH_PTS_NEW_EXTENSION;
	return p;
}

static unsigned at_most(unsigned v, unsigned cap)
{
	return v < cap ? v : cap;
}

/* what of a path a remembered file keeps: the end of a long one (the
 * name says the most) */
static const char *kept_path(const char *path)
{
	const size_t room = sizeof(((struct hf_watch_file *)0)->path) - 1;
	size_t n = strlen(path);

	return n > room ? path + n - room : path;
}

/* the file of this fact the actor already remembers with the same kind:
 * the same file turned to ciphertext again within the window (a database
 * rewritten by the next transaction while the judge read it), a note or
 * new ciphertext written over, is no further file lost */
static struct hf_watch_file *already(const struct actor *a, const struct hf_watch_fact *f, int64_t window_ns)
{
	const char *p = f->path ? kept_path(f->path) : NULL;

	for (size_t i = 0; p && a->files && i < a->nfiles; i++) {
		struct hf_watch_file *x = &a->files[i];
		if (x->kind == f->kind && f->t_ns - x->t_ns <= window_ns && strcmp(x->path, p) == 0)
			return x;
	}
	return NULL;
}

static void remember(struct actor *a, const struct hf_watch_fact *f)
{
	struct hf_watch_file *x;

	if (!a->files)
		a->files = hf_xcalloc(HF_WATCH_FILES_KEPT, sizeof(*a->files));
	x = &a->files[a->head];
	a->head = (a->head + 1) % HF_WATCH_FILES_KEPT;
	if (a->nfiles < HF_WATCH_FILES_KEPT)
		a->nfiles++;
	memset(x, 0, sizeof(*x));
	if (f->path) {
		const char *p = kept_path(f->path);
		memcpy(x->path, p, strlen(p) + 1);
	}
	x->t_ns = f->t_ns;
	x->kind = f->kind;
	x->reasons = f->reasons;
	x->pid = f->who.pid;
	x->size = f->size;
}

static void fill_hit(const struct actor *a, struct hf_watch_hit *h)
{
	memset(h, 0, sizeof(*h));
	h->by = a->by;
	h->id = a->id;
	h->last = a->last;
	h->score = a->score;
	h->encrypted = a->encrypted;
	h->candidates = a->candidates;
	h->originals_gone = a->originals_gone;
	h->notes = a->notes;
	h->touched = a->touched;
	h->first_ns = a->first_ns;
	h->last_ns = a->last_ns;
	h->nfiles = a->nfiles;
	for (size_t i = 0; i < a->nfiles; i++) {
		size_t k = (a->head + HF_WATCH_FILES_KEPT - a->nfiles + i) % HF_WATCH_FILES_KEPT;
		h->files[i] = a->files[k];
	}
}

int hf_watch_score_add(struct hf_watch_score *s, const struct hf_watch_fact *f, struct hf_watch_hit *hit)
{
	const pid_t ids[4] = {f->who.pid, f->who.pgid, f->who.sid, f->who.session_parent};
	unsigned p = points(f);
	int crossed = 0;

	for (int by = 0; by < 4; by++) {
		struct actor *a;
		if (ids[by] <= 0 || (by == HF_WATCH_BY_SID && ids[2] == ids[1]))
			continue; /* a session led by its group: counted once, as the group */
		/* the starter of sessions: not when it is the group or session
		 * itself, nor init (daemons' sessions) */
		if (by == HF_WATCH_BY_PARENT && (ids[3] <= 1 || ids[3] == ids[1] || ids[3] == ids[2]))
			continue;
		a = get(s, by, ids[by], f->t_ns);
		a->last_ns = f->t_ns;
		a->last = f->who;
		a->touched++;
		if (f->kind == HF_WATCH_CLEAN || f->kind == HF_WATCH_DELETED)
			continue;
		struct hf_watch_file *seen = already(a, f, s->o.window_ns);
		if (seen) { /* one file counts once: only its latest time and writer kept */
			seen->t_ns = f->t_ns;
			seen->pid = f->who.pid;
			seen->size = f->size;
			seen->reasons = f->reasons;
			continue;
		}
		remember(a, f);
		if (p && a->score && f->t_ns - a->scored_ns > s->o.window_ns && !a->crossed)
			a->score = a->loss_score = a->cand_score = a->note_score = 0; /* its earlier points expired */
		if (p)
			a->scored_ns = f->t_ns;
		if (f->kind == HF_WATCH_NOTE)
			a->note_score += p;
		else if (f->kind == HF_WATCH_CANDIDATE)
			a->cand_score += p;
		else
			a->loss_score += p;
		/* notes and new ciphertext files add up to a cap each: one note per
		 * directory says no more than one, and new random files (a package's
		 * resources, downloaded archives) destroy nothing by themselves */
		a->score = a->loss_score + at_most(a->cand_score, HF_WATCH_PTS_CANDIDATES_MAX) +
			   at_most(a->note_score, HF_WATCH_PTS_NOTES_MAX);
		a->encrypted += f->kind == HF_WATCH_ENCRYPTED;
		a->candidates += f->kind == HF_WATCH_CANDIDATE;
		a->originals_gone += f->kind == HF_WATCH_ORIGINAL_GONE;
		a->notes += f->kind == HF_WATCH_NOTE;
		/* the narrowest actor that crosses is the one reported; the
		 * wider ones over the threshold with it are covered by that alert.
		 * Without a file's worth of loss nothing crosses, however many
		 * notes and new random files: a copy of a tree that holds
		 * ransom-note samples and random test vectors (this project's
		 * own), or a package unpacked, is no attack */
		if (!a->crossed && a->score >= s->o.threshold && a->loss_score >= HF_WATCH_PTS_LOSS_MIN) {
			a->crossed = 1;
			if (!crossed)
				fill_hit(a, hit);
			crossed = 1;
		}
	}
	return crossed;
}

static int same_stem(const char *copy, const char *orig)
{
	size_t n = strlen(orig);
	const char *slash = strrchr(orig, '/'), *dot = strrchr(orig, '.');

	/* doc.txt -> doc.txt.enc, or doc.txt -> doc.locked (same stem, other extension) */
	if (strncmp(copy, orig, n) == 0 && (copy[n] == '.' || copy[n] == '_' || copy[n] == '-' || copy[n] == '~'))
		return 1;
	if (dot && (!slash || dot > slash + 1)) {
		size_t stem = (size_t)(dot - orig);
		return strncmp(copy, orig, stem) == 0 && copy[stem] == '.' && strcmp(copy + stem, dot) != 0;
	}
	return 0;
}

/* the copy x of a file deleted at t_ns, paired by size when its name says
 * nothing: written in the same directory shortly before (ransomware deletes
 * each original right after its copy), as large, up to 4 KiB and a
 * sixteenth larger (a header, padding, a footer with the wrapped key). A
 * script that unpacked random blobs and cleans up a tree later pairs none. */
static int copy_by_size(const struct hf_watch_file *x, const char *path, uint64_t size, int64_t t_ns)
{
	const char *a = strrchr(x->path, '/'), *b = strrchr(path, '/');

	return x->kind == HF_WATCH_CANDIDATE && !x->paired && x->t_ns <= t_ns && t_ns - x->t_ns <= HF_WATCH_PAIR_NS &&
	       x->size >= size && x->size - size <= 4096 + size / 16 && a && b && a - x->path == b - path &&
	       strncmp(x->path, path, (size_t)(a - x->path)) == 0 && strcmp(x->path, path) != 0;
}

/* the actor (by, id) for a look-up; a session led by its group is
 * counted as the group */
static struct actor *actor_of(const struct hf_watch_score *s, int by, pid_t id)
{
	struct actor *a = id > 0 ? find(s, by, id) : NULL;

	return a || by != HF_WATCH_BY_SID || id <= 0 ? a : find(s, HF_WATCH_BY_PGID, id);
}

/* marks the copy paired in every actor that remembers it */
static void pair(struct hf_watch_score *s, const pid_t ids[4], const struct hf_watch_file *copy)
{
	const struct hf_watch_file c = *copy;

	for (int by = 0; by < 4; by++) {
		struct actor *a = actor_of(s, by, ids[by]);
		for (size_t i = 0; a && a->files && i < a->nfiles; i++)
			if (a->files[i].t_ns == c.t_ns && strcmp(a->files[i].path, c.path) == 0)
				a->files[i].paired = 1;
	}
}

int hf_watch_score_wrote_copy(struct hf_watch_score *s, const struct hf_watch_who *who, const char *path, uint64_t size,
			      int64_t t_ns)
{
	const pid_t ids[4] = {who->pid, who->pgid, who->sid, who->session_parent};
	const struct hf_watch_file *by_size = NULL;

	/* in the deleter's process, group or session: not among all the
	 * sessions of their starter (an encryptor deletes its own originals;
	 * a script's later rm -rf of a tree that holds a file and its .gpg
	 * copy, made by an earlier job, is no loss) */
	for (int by = 0; by <= HF_WATCH_BY_SID; by++) {
		const struct actor *a = actor_of(s, by, ids[by]);
		if (!a || !a->files || t_ns - a->last_ns > s->o.window_ns)
			continue;
		for (size_t i = 0; i < a->nfiles; i++) {
			const struct hf_watch_file *x = &a->files[i];
			if (x->kind != HF_WATCH_CANDIDATE && x->kind != HF_WATCH_KEPT)
				continue;
			if (same_stem(x->path, path)) {
				pair(s, ids, x);
				return x->kind;
			}
			if (!by_size && copy_by_size(x, path, size, t_ns))
				by_size = x;
		}
	}
	if (!by_size)
		return 0;
	pair(s, ids, by_size);
	return HF_WATCH_CANDIDATE;
}

int hf_watch_score_copy_writer(const struct hf_watch_score *s, const char *path, uint64_t size, int64_t t_ns,
			       struct hf_watch_who *who)
{
	const struct actor *best = NULL, *by_size = NULL;
	int64_t best_ns = 0, size_ns = 0;

	for (size_t i = 0; i < s->n; i++) {
		const struct actor *a = &s->a[i];
		if (a->by != HF_WATCH_BY_PGID || !a->files || t_ns - a->last_ns > s->o.window_ns)
			continue;
		for (size_t j = 0; j < a->nfiles; j++) {
			const struct hf_watch_file *x = &a->files[j];
			if ((x->kind == HF_WATCH_CANDIDATE || x->kind == HF_WATCH_KEPT) && !x->paired &&
			    x->t_ns >= best_ns && same_stem(x->path, path)) {
				best = a;
				best_ns = x->t_ns;
			}
			if (copy_by_size(x, path, size, t_ns) && x->t_ns >= size_ns) {
				by_size = a;
				size_ns = x->t_ns;
			}
		}
	}
	if (!best)
		best = by_size; /* a name that says nothing: the latest copy as large, just before */
	if (!best)
		return 0;
	*who = best->last;
	return 1;
}

int hf_watch_score_scored(const struct hf_watch_score *s, const struct hf_watch_who *who, int64_t t_ns)
{
	const pid_t ids[3] = {who->pid, who->pgid, who->sid};

	for (int by = 0; by <= HF_WATCH_BY_SID; by++) {
		const struct actor *a = actor_of(s, by, ids[by]);
		if (a && a->score && t_ns - a->scored_ns <= s->o.window_ns)
			return 1;
	}
	return 0;
}

const char *hf_watch_fact_name(int kind)
{
	static const char *const names[] = {"clean",       "encrypted",     "new-ciphertext", "original-deleted",
					    "ransom-note", "original-kept", "deleted"};

	return kind >= 0 && kind < HF_WATCH_FACT_MAX ? names[kind] : "?";
}

const char *hf_watch_by_name(int by)
{
	static const char *const names[] = {"pid", "pgid", "sid", "parent"};

	return by >= 0 && by <= HF_WATCH_BY_PARENT ? names[by] : "?";
}
