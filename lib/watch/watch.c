/* watch.c — the watcher: fanotify events on the watched paths (listen.c
 * parses them into paths and writers), each judged here against what the
 * file was when first seen (state.c keeps that), and turned into a fact for
 * the writer's score (score.c).
 *
 * What counts as what:
 *   - a write closed, or a file renamed over another: the new content against
 *     the file's earlier profile (the scan's change rules) -> encrypted;
 *   - a new file (never seen): the content alone (the scan's new-file rules)
 *     -> new ciphertext, or original kept when its plaintext is beside it,
 *     or a ransom note (small text in the scan's ransom wording);
 *   - a known file deleted after its writer wrote a ciphertext copy of it
 *     -> original deleted;
 *   - an extension never seen under the watched paths adds to any of those. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "scan/scan.h"
#include "util/clock.h"
#include "util/mem.h"
#include "watch/watch_int.h"

/* what a file read halfway through its writer's work can look like without
 * any ciphertext: a structure that does not decode, a type not recognised */
#define WATCH_HALF_WRITTEN_LOOKS (HF_REASON_INVALID | HF_REASON_TYPE_CHANGED)

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* minutes since 1970 (floor) */
static int64_t minute_of(int64_t t_ns)
{
	int64_t m = t_ns / 60000000000LL;

	return t_ns < 0 && m * 60000000000LL != t_ns ? m - 1 : m;
}

/* the counters of t's minute (its slot cleared if it held an older minute) */
static struct hf_watch_minute *minute_slot(struct hf_watch *w, int64_t t_ns)
{
	int64_t m = minute_of(t_ns);
	size_t k = (size_t)(((m % HF_WATCH_MINUTES) + HF_WATCH_MINUTES) % HF_WATCH_MINUTES);

	if (w->minute_of[k] != m) {
		w->minute_of[k] = m;
		memset(&w->minutes[k], 0, sizeof(w->minutes[k]));
	}
	return &w->minutes[k];
}

static void count_event(struct hf_watch *w, const struct hf_watch_fact *f, int rename)
{
	struct hf_watch_minute *c = minute_slot(w, f->t_ns);
	int enc = f->kind == HF_WATCH_ENCRYPTED || f->kind == HF_WATCH_CANDIDATE || f->kind == HF_WATCH_KEPT;

	if (f->kind == HF_WATCH_DELETED || f->kind == HF_WATCH_ORIGINAL_GONE)
		c->deletes += c->deletes < UINT32_MAX;
	else if (rename)
		c->renames += c->renames < UINT32_MAX;
	else
		c->writes += c->writes < UINT32_MAX;
	c->encrypted += enc && c->encrypted < UINT32_MAX;
}

void hf_watch_get_minutes(const struct hf_watch *w, int64_t now_ns, int64_t *first,
			  struct hf_watch_minute out[HF_WATCH_MINUTES])
{
	int64_t last = minute_of(now_ns);

	*first = last - (HF_WATCH_MINUTES - 1);
	for (int i = 0; i < HF_WATCH_MINUTES; i++) {
		int64_t m = *first + i;
		size_t k = (size_t)(((m % HF_WATCH_MINUTES) + HF_WATCH_MINUTES) % HF_WATCH_MINUTES);
		if (w->minute_of[k] == m)
			out[i] = w->minutes[k];
		else
			memset(&out[i], 0, sizeof(out[i]));
	}
}

int hf_watch_open(const struct hf_watch_opts *o, struct hf_watch **out)
{
	struct hf_watch *w = hf_xcalloc(1, sizeof(*w));
	int r;

	*out = NULL;
	w->fan = -1;
	w->ev_key = -1;
	w->self = getpid();
	w->self_pgid = getpgrp();
	w->max_files = o->max_files ? o->max_files : WATCH_DEFAULT_FILES;
	w->unwatched_since_ns = o->unwatched_since_ns;
	for (int i = 0; i < HF_WATCH_MINUTES; i++)
		w->minute_of[i] = INT64_MIN; /* no minute yet */
	w->score = hf_watch_score_new(&o->score);
	hf_buf_init(&w->content, WATCH_READ_MAX);
	/* a writer that opens a file the judge reads under its lease sends
	 * SIGIO, whose default ends the process; read.c lets the lease go */
	signal(SIGIO, SIG_IGN);
	if ((r = watch_state_init(w)) < 0)
		goto fail;
	w->link_events = o->block_opens; /* the gate counts by inode (fresh.c), if the kernel has them */
	if ((r = watch_listen_open(w, o->paths, o->npaths)) < 0)
		goto fail;
	/* the gate before the walk: the walk marks the directories it visits */
	if (o->block_opens) {
		r = watch_gate_open(w, o->max_unjudged >= 0 ? (unsigned)o->max_unjudged : WATCH_MAX_UNJUDGED,
				    o->score.window_ns ? o->score.window_ns : HF_WATCH_WINDOW_NS, o->gate_lazy);
		w->st.gate_err = r < 0 ? r : 0; /* the watcher works without it */
	}
	w->det = hf_detect_new();
	if (!w->det) {
		r = -HF_E_NODETECT;
		goto fail;
	}
	/* copies (cp, rsync, tar x, git clone) are decoded once, not once each */
	hf_detect_remember(w->det, WATCH_MEMO_ENTRIES);
	w->live = hf_scan_live_new(w->det);
	/* listening first, then learning: a file written during the walk is
	 * judged against what the walk saw, or as new */
	if ((r = watch_walk(w, 0)) < 0)
		goto fail;
	*out = w;
	return 0;
fail:
	hf_watch_close(w);
	return r;
}

void hf_watch_close(struct hf_watch *w)
{
	if (!w)
		return;
	watch_later_release(w);
	watch_made_release(w);
	watch_gate_close(w); /* its thread reads the notification group */
	watch_listen_close(w);
	watch_state_release(w);
	hf_scan_live_free(w->live);
	hf_detect_free(w->det);
	hf_watch_score_free(w->score);
	free(w->writers);
	for (size_t i = 0; i < WATCH_VANISHED; i++)
		free(w->vanished[i].path);
	hf_buf_release(&w->content);
	free(w);
}

int hf_watch_fd(const struct hf_watch *w)
{
	return w->gate ? watch_gate_ready_fd(w) : w->fan;
}

int hf_watch_next_ms(const struct hf_watch *w)
{
	int64_t now = hf_mono_ns();
	int later = watch_later_next_ms(w, now), made = watch_made_next_ms(w, now);

	return later < 0 || (made >= 0 && made < later) ? made : later;
}

void hf_watch_ignore_pgid(struct hf_watch *w, pid_t pgid)
{
	w->ignore_pgid = pgid;
	if (w->gate)
		watch_gate_ignore_pgid(w, pgid);
}

void hf_watch_get_stats(struct hf_watch *w, struct hf_watch_stats *st)
{
	uint64_t unused;

	*st = w->st;
	st->files_known = w->nfiles;
	st->gate_on = w->gate != NULL;
	hf_detect_remembered(w->det, &st->remembered, &unused);
	if (w->gate)
		watch_gate_stats(w, &st->gate);
}

static const char *ext_of(const char *path)
{
	const char *slash = strrchr(path, '/'), *dot = strrchr(path, '.');

	return dot && (!slash || dot > slash + 1) ? dot + 1 : "";
}

/* the plaintext original of a new encrypted file is still there: the name
 * minus its last extension is a regular file (doc.txt beside doc.txt.gpg) */
static int original_beside(const char *path)
{
	const char *slash = strrchr(path, '/'), *dot = strrchr(path, '.');
	struct stat st;
	char *base;
	int yes;

	if (!dot || (slash && dot < slash + 2))
		return 0;
	base = hf_xmemdup(path, (size_t)(dot - path));
	yes = lstat(base, &st) == 0 && S_ISREG(st.st_mode);
	free(base);
	return yes;
}

static struct watch_vanished *vanished_find(struct hf_watch *w, const char *path)
{
	for (unsigned k = 1; k <= WATCH_VANISHED; k++) {
		struct watch_vanished *v = &w->vanished[(w->vanished_next - k) % WATCH_VANISHED];
		if (v->path && strcmp(v->path, path) == 0)
			return v;
	}
	return NULL;
}

static void vanished_drop(struct watch_vanished *v)
{
	free(v->path);
	v->path = NULL;
}

static void vanished_forget(struct hf_watch *w, const char *path)
{
	struct watch_vanished *v = vanished_find(w, path);

	if (v)
		vanished_drop(v);
}

/* remembers who wrote the file at path, gone before it could be read */
static void vanished_put(struct hf_watch *w, const char *path, const struct hf_watch_who *who)
{
	struct watch_vanished *v;

	vanished_forget(w, path); /* the newest writer only */
	v = &w->vanished[w->vanished_next++ % WATCH_VANISHED];
	vanished_drop(v);
	v->path = hf_xstrdup(path);
	v->who = *who;
}

/* who last wrote the file at path that was gone before it was read (forgotten then: it moves
 * once); 0 if not remembered */
static int vanished_writer(struct hf_watch *w, const char *path, struct hf_watch_who *who)
{
	struct watch_vanished *v = vanished_find(w, path);

	if (!v)
		return 0;
	*who = v->who;
	vanished_drop(v);
	return 1;
}

/* judges the content now at path, against `before` (NULL: a new file);
 * fills f->kind and f->reasons, and records the file's new state. 0, or 1
 * if there was nothing to judge (gone by now, or not a regular file) */
static int judge(struct hf_watch *w, const char *path, struct watch_file *before, struct hf_watch_fact *f)
{
	struct hf_scan_live_version old, cur;
	struct stat st;
	uint32_t rs = 0, enc = hf_scan_live_encrypting();
	int r;

	f->kind = HF_WATCH_CLEAN;
	f->path = path;
	if ((r = watch_read_file(w, path, &st)) < 0)
		return r == -ENOENT || r == -EINVAL || r == -ELOOP || r == -ENXIO ? 1 : r; /* gone, or not a file */
	memset(&cur, 0, sizeof(cur));
	cur.size = (uint64_t)st.st_size;
	cur.data = w->content.data;
	cur.n = w->content.len;
	if (before) {
		memset(&old, 0, sizeof(old));
		old.size = before->size;
		old.data = before->head;
		old.n = before->nhead;
		old.has_profile = 1;
		old.profile = before->profile;
	}
	w->st.judged++;
	w->st.unsettled += (uint64_t)w->content_unsettled;
	r = hf_scan_live_judge(w->live, before ? &old : NULL, &cur, 0, &rs);
	if (r < 0)
		return r;
	/* read while another process writes it: a structure broken halfway is
	 * no evidence (the writer's close brings the file back), ciphertext in
	 * it is. Nothing else said encrypted: the state judged last stays. */
	if (w->content_unsettled && (rs & enc) && !(rs & enc & ~WATCH_HALF_WRITTEN_LOOKS)) {
		w->st.unsettled_set_aside++;
		return 0;
	}
	f->reasons = rs;
	f->size = cur.size;
	f->new_extension = !watch_ext_known(w, ext_of(path));
	if (rs & enc) {
		if (before)
			f->kind = HF_WATCH_ENCRYPTED;
		else
			f->kind = original_beside(path) ? HF_WATCH_KEPT : HF_WATCH_CANDIDATE;
	} else {
		f->new_extension = 0;
		if (!before && cur.size <= WATCH_NOTE_MAX && cur.profile.type == HF_CT_TEXT &&
		    hf_scan_live_note(cur.data, cur.n))
			f->kind = HF_WATCH_NOTE;
		else
			watch_ext_add(w, ext_of(path)); /* a clean file's extension is a normal one now */
	}
	vanished_forget(w, path); /* what it holds now is known, and who wrote it */
	return watch_file_put(w, path, &cur.profile, cur.size, (int64_t)st.st_mtim.tv_sec, cur.data, cur.n,
			      (rs & enc) != 0, &f->who, hf_mono_ns());
}

static int feed(struct hf_watch *w, struct hf_watch_fact *f, struct hf_watch_hit *hit)
{
	if (f->who.pid <= 0) {
		if (f->kind != HF_WATCH_CLEAN && f->kind != HF_WATCH_DELETED)
			w->st.unattributed++;
		return 0;
	}
	/* from now on its opens wait until the judge has seen all it wrote
	 * (ciphertext only: a note alone harms nothing) */
	if (w->gate &&
	    (f->kind == HF_WATCH_ENCRYPTED || f->kind == HF_WATCH_CANDIDATE || f->kind == HF_WATCH_ORIGINAL_GONE))
		watch_gate_suspect(w, &f->who);
	if (hf_watch_score_add(w->score, f, hit) == 0) {
		/* it scored: the new files its group or session has waiting add to
		 * that now (made.c; not from within that judging itself) */
		if (f->kind == HF_WATCH_CLEAN || f->kind == HF_WATCH_DELETED || w->made_flushing)
			return 0;
		w->made_flushing = 1;
		int r = watch_made_flush(w, &f->who, NULL, hit);
		w->made_flushing = 0;
		return r;
	}
	if (w->gate)
		watch_gate_crossed(w, hit); /* before the judge lets its next open through */
	return 1;
}

/* the write judged now, against before (path's state, NULL if unknown) */
static int on_write(struct hf_watch *w, const char *path, struct watch_file *before, const struct hf_watch_who *who,
		    struct hf_watch_hit *hit)
{
	struct hf_watch_fact f = {.who = *who, .t_ns = now_ns()};
	int r = judge(w, path, before, &f);

	if (r < 0)
		return r;
	/* gone before it could be read (renamed on by a process that exits at
	 * once, as mv does): what the file holds next, under its next name, is
	 * this writer's doing */
	if (r == 1)
		vanished_put(w, path, &f.who);
	count_event(w, &f, 0);
	return feed(w, &f, hit);
}

int watch_on_write(struct hf_watch *w, const char *path, const struct hf_watch_who *who, struct hf_watch_hit *hit)
{
	return on_write(w, path, watch_file_get(w, path), who, hit);
}

/* whether a write by who of a file the judge does not know can wait for
 * its group to pause (made.c): the gate did not count it (the group made
 * the file lately), and the group has no points */
static int may_wait(struct hf_watch *w, const struct hf_watch_who *who)
{
	return w->gate && w->ev_key < 0 && who->pgid > 0 && !hf_watch_score_scored(w->score, who, now_ns());
}

int watch_on_close_write(struct hf_watch *w, const char *path, const struct hf_watch_who *who, struct hf_watch_hit *hit)
{
	struct watch_file *before = watch_file_get(w, path);

	if (!before && may_wait(w, who))
		return watch_made_put(w, path, who, hf_mono_ns(), hit);
	(void)watch_made_take(w, path, NULL); /* waiting, and written again by a group that scored since */
	if (watch_later_put(w, path, before, who, hf_mono_ns()))
		return 0;
	return on_write(w, path, before, who, hit);
}

int watch_on_rename(struct hf_watch *w, const char *from, const char *to, const struct hf_watch_who *who,
		    struct hf_watch_hit *hit)
{
	struct hf_watch_fact f = {.who = *who, .t_ns = now_ns()};
	struct watch_file *replaced, *moved = watch_file_get(w, from);
	struct watch_file copy;
	struct hf_watch_who wrote;
	struct stat st;
	int rewritten, r;

	if (watch_made_take(w, to, NULL)) /* replaced before it was judged */
		w->st.made_dropped++;
	replaced = watch_file_get(w, to);
	if (watch_made_take(w, from, &wrote)) {
		/* a new file given its name by its own group (rsync's temporary
		 * file): it waits on, under that name; else it is judged now, as
		 * one gone before it could be read */
		if (!replaced && wrote.pgid == who->pgid && may_wait(w, who))
			return watch_made_put(w, to, &wrote, hf_mono_ns(), hit);
		vanished_put(w, from, &wrote);
	}
	/* written again, and renamed before those bytes could be read: the
	 * state known of it is older than what it holds */
	rewritten = vanished_writer(w, from, &wrote);

	/* renamed by a process gone before it could be identified (mv in a
	 * loop exits at once): the doing of whoever wrote the moved file */
	if (f.who.pid <= 0 && rewritten)
		f.who = wrote;
	else if (f.who.pid <= 0 && moved && moved->writer.pid > 0)
		f.who = moved->writer;
	/* a file renamed over another replaced that one: judged against it;
	 * else against what the moved file was, unless it has the size it had
	 * then (a temporary file given its name, its mtime set by rsync or tar:
	 * nothing new; bytes written through a descriptor still open are
	 * judged when it is closed, under the new name, against this state) */
	if (!replaced && moved) {
		copy = *moved;
		w->head_bytes -= moved->head ? moved->nhead : 0;
		moved->head = NULL; /* the copy owns it now */
		watch_file_drop(w, moved);
		if (!rewritten && lstat(to, &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_size == copy.size) {
			f.path = to;
			f.size = copy.size;
			r = watch_file_put(w, to, &copy.profile, copy.size, (int64_t)st.st_mtim.tv_sec, copy.head,
					   copy.nhead, copy.ciphertext, &copy.writer, copy.judged_ns);
		} else {
			r = judge(w, to, &copy, &f);
		}
		free(copy.head);
	} else {
		if (moved)
			watch_file_drop(w, moved);
		r = judge(w, to, replaced, &f);
	}
	if (r == 1) /* renamed on already: as in watch_on_write */
		vanished_put(w, to, &f.who);
	if (r < 0)
		return r;
	count_event(w, &f, 1);
	return feed(w, &f, hit);
}

int watch_on_delete(struct hf_watch *w, const char *path, const struct hf_watch_who *who, struct hf_watch_hit *hit)
{
	struct hf_watch_fact f = {.who = *who, .t_ns = now_ns(), .path = path, .kind = HF_WATCH_DELETED};
	struct watch_file *known = watch_file_get(w, path);
	int cipher;

	if (!known) {
		if (watch_made_take(w, path, NULL)) /* a new file never read: nothing known to lose */
			w->st.made_dropped++;
		return 0;
	}
	f.size = known->size;
	cipher = known->ciphertext;
	watch_file_drop(w, known);
	/* deleted by a process gone before it could be identified (an `rm`
	 * per file exits at once): the doing of whoever wrote a copy of it
	 * (named after it, or as large and just before in its directory), as a
	 * rename is its moved file's writer's */
	if (f.who.pid <= 0 && !cipher)
		(void)hf_watch_score_copy_writer(w->score, path, f.size, f.t_ns, &f.who);
	/* a file of ciphertext deleted (a copy cleaned up) loses no plaintext */
	switch (cipher ? 0 : hf_watch_score_wrote_copy(w->score, &f.who, path, f.size, f.t_ns)) {
	case HF_WATCH_KEPT:
		f.copy_kept = 1;
		/* fall through */
	case HF_WATCH_CANDIDATE:
		f.kind = HF_WATCH_ORIGINAL_GONE;
	}
	count_event(w, &f, 0);
	return feed(w, &f, hit);
}

/* a file the walk finds: learnt if new, judged (unattributed) if it
 * changed since it was last seen (a rescan after lost events) */
int watch_on_found(struct hf_watch *w, const char *path, const struct stat *st, int rescan)
{
	struct hf_watch_who nobody = {0};
	struct hf_watch_hit unused;
	struct watch_file *known = watch_file_get(w, path);

	if (known && known->size == (uint64_t)st->st_size && known->mtime == (int64_t)st->st_mtim.tv_sec)
		return 0;
	/* changed while no watcher ran (ctime: an attacker may put the mtime
	 * back, not the ctime): judged by what it is now */
	if (!rescan && !known && w->unwatched_since_ns > 0 &&
	    (int64_t)st->st_ctim.tv_sec * 1000000000LL + st->st_ctim.tv_nsec > w->unwatched_since_ns) {
		struct hf_watch_fact f = {.who = nobody};
		int r = judge(w, path, NULL, &f);
		if (r < 0)
			return r;
		w->st.unwatched_changed++;
		w->st.unwatched_suspect += f.kind == HF_WATCH_CANDIDATE || f.kind == HF_WATCH_NOTE;
		return 0;
	}
	if (!rescan && !known) {
		struct hf_profile p;
		struct stat now;
		int r = watch_read_file(w, path, &now);
		if (r < 0)
			return 0; /* gone or unreadable: learnt when written */
		if ((r = hf_scan_live_profile(w->live, w->content.data, w->content.len, (uint64_t)now.st_size, &p)) < 0)
			return r;
		watch_ext_add(w, ext_of(path));
		return watch_file_put(w, path, &p, (uint64_t)now.st_size, (int64_t)now.st_mtim.tv_sec, w->content.data,
				      w->content.len, 0, NULL, 0);
	}
	return watch_on_write(w, path, &nobody, &unused);
}
