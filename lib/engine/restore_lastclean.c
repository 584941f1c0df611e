/* restore_lastclean.c — restore --last-clean: runs the plan of
 * scan/lastclean.c through the restore pipeline, once per source snapshot,
 * oldest first and the newest last (so directories end with its metadata),
 * each pass selecting only the entries planned from that snapshot. */
#include <string.h>

#include "engine/restore_lastclean.h"
#include "util/err.h"

struct pass {
	const struct hf_lastclean_plan *p;
	size_t src;
};

static int select_entry(void *arg, const char *path, const struct hf_node *nd)
{
	const struct pass *ps = arg;

	return hf_lastclean_plan_select(ps->p, ps->src, path, nd);
}

static void add_stats(struct hf_restore_stats *to, const struct hf_restore_stats *s)
{
	to->files += s->files;
	to->dirs += s->dirs;
	to->others += s->others;
	to->bytes += s->bytes;
	to->errors += s->errors;
}

int hf_restore_last_clean(struct hf_repo *r, const struct hf_lastclean_opts *lo, const struct hf_restore_opts *o,
			  struct hf_restore_stats *st, struct hf_lastclean_stats *ls)
{
	struct hf_lastclean_plan *p;
	int ret;

	memset(st, 0, sizeof(*st));
	memset(ls, 0, sizeof(*ls));
	ret = hf_lastclean_plan_new(r, lo, o->includes, o->nincludes, &p);
	if (ret < 0)
		return ret;
	hf_lastclean_plan_stats(p, ls);
	for (size_t k = 0; k < lo->n && ret == 0; k++) {
		/* older sources first, the newest last */
		size_t src = k + 1 < lo->n ? k : lo->n - 1;
		struct pass ps = {p, src};
		struct hf_restore_opts po = *o;
		struct hf_restore_stats s;
		if (!hf_lastclean_plan_uses(p, src))
			continue;
		ls->sources++;
		po.select = select_entry;
		po.select_arg = &ps;
		ret = hf_restore(r, &lo->snaps[src], &po, &s);
		add_stats(st, &s);
	}
	hf_lastclean_plan_free(p);
	return ret;
}
