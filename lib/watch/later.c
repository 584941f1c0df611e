/* later.c — a file written again soon after its last judgement is judged
 * again a moment later, once for all the writes closed meanwhile.
 *
 * A database commits many times a second, each commit a close of its file,
 * and each close had the judge read the file again (8 MiB of it, under a
 * lease the next commit has to break). So a write closed within
 * WATCH_REJUDGE_NS of the file's last judgement is put off until
 * WATCH_REJUDGE_NS after that judgement; more writes by the same process
 * group meanwhile join it.
 *
 * What the gate holds does not change: the event stays counted for its
 * group (its gate key moves here) until the judgement is done, and a group
 * has at most one judgement put off, so a group is held exactly as often as
 * before (after max_unjudged changes not judged yet), only for a moment
 * longer if one of them is this one. A rename or deletion of the file
 * has it judged first (watch_later_flush), so the facts keep their order. */
#include <stdlib.h>
#include <string.h>

#include "util/mem.h"
#include "watch/watch_int.h"

static struct watch_later *later_of_path(struct hf_watch *w, const char *path)
{
	for (size_t i = 0; i < WATCH_LATER; i++)
		if (w->later[i].path && strcmp(w->later[i].path, path) == 0)
			return &w->later[i];
	return NULL;
}

static struct watch_later *later_of_group(struct hf_watch *w, pid_t pgid)
{
	for (size_t i = 0; i < WATCH_LATER; i++)
		if (w->later[i].path && w->later[i].who.pgid == pgid)
			return &w->later[i];
	return NULL;
}

int watch_later_put(struct hf_watch *w, const char *path, const struct watch_file *before,
		    const struct hf_watch_who *who, int64_t now)
{
	struct watch_later *l;

	if (!before || !before->judged_ns || now - before->judged_ns >= WATCH_REJUDGE_NS || who->pgid <= 0)
		return 0;
	if ((l = later_of_path(w, path))) {
		if (l->who.pgid != who->pgid)
			return 0; /* another group's write: judged now (the one put off first) */
		l->who = *who;
		w->st.put_off++;
		return 1; /* its event is done: the one put off still counts for the group */
	}
	if (later_of_group(w, who->pgid))
		return 0; /* one per group */
	for (size_t i = 0; i < WATCH_LATER; i++) {
		l = &w->later[i];
		if (l->path)
			continue;
		l->path = hf_xstrdup(path);
		l->who = *who;
		l->due_ns = before->judged_ns + WATCH_REJUDGE_NS;
		l->key = w->ev_key; /* counted until judged */
		w->ev_key = -1;
		w->st.put_off++;
		return 1;
	}
	return 0; /* full: judged now */
}

/* judges l's file now and lets its event go */
static int judge_now(struct hf_watch *w, struct watch_later *l, struct hf_watch_hit *hit)
{
	struct watch_later e = *l;
	int r;

	memset(l, 0, sizeof(*l));
	r = watch_on_write(w, e.path, &e.who, hit);
	if (w->gate)
		watch_gate_done(w, e.key);
	free(e.path);
	return r;
}

int watch_later_due(struct hf_watch *w, int64_t now, struct hf_watch_hit *hit)
{
	for (size_t i = 0; i < WATCH_LATER; i++) {
		int r;
		if (!w->later[i].path || w->later[i].due_ns > now)
			continue;
		if ((r = judge_now(w, &w->later[i], hit)) != 0)
			return r;
	}
	return 0;
}

int watch_later_flush(struct hf_watch *w, const char *path, const char *from, const char *to, int dir,
		      struct hf_watch_hit *hit)
{
	const char *paths[3] = {path, from, to};
	int r = 0;

	for (size_t i = 0; i < WATCH_LATER && r == 0; i++) {
		struct watch_later *l = &w->later[i];
		int hit_path = 0;
		if (!l->path)
			continue;
		for (int k = 0; k < 3; k++)
			hit_path |= paths[k] && strcmp(paths[k], l->path) == 0;
		if (dir || hit_path)
			r = judge_now(w, l, hit);
	}
	return r;
}

int watch_later_next_ms(const struct hf_watch *w, int64_t now)
{
	int64_t first = -1;

	for (size_t i = 0; i < WATCH_LATER; i++)
		if (w->later[i].path && (first < 0 || w->later[i].due_ns < first))
			first = w->later[i].due_ns;
	if (first < 0)
		return -1;
	return first <= now ? 0 : (int)((first - now + 999999) / 1000000);
}

void watch_later_release(struct hf_watch *w)
{
	for (size_t i = 0; i < WATCH_LATER; i++) {
		if (!w->later[i].path)
			continue;
		if (w->gate)
			watch_gate_done(w, w->later[i].key);
		free(w->later[i].path);
		memset(&w->later[i], 0, sizeof(w->later[i]));
	}
}
