/* forget.c — retention policy: which snapshots to keep. Buckets (hour, day,
 * ISO week, month, year) use local time; in each rule the newest snapshot of
 * each of the N newest buckets is kept, as restic and borg do. */
#include <string.h>
#include <time.h>

#include "engine/engine.h"

static void bucket(int64_t ns, const char *fmt, char *out, size_t cap)
{
	time_t t = (time_t)(ns / 1000000000);
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(out, cap, fmt, &tm);
}

static void keep_buckets(const struct hf_snapshot *s, size_t n, unsigned count, const char *fmt, int *keep)
{
	char last[32] = "", cur[32];
	unsigned used = 0;

	for (size_t i = n; i-- > 0 && used < count;) {
		bucket(s[i].time_ns, fmt, cur, sizeof(cur));
		if (strcmp(cur, last) != 0) {
			keep[i] = 1;
			used++;
			memcpy(last, cur, sizeof(last));
		}
	}
}

void hf_forget_select(const struct hf_snapshot *snaps, size_t n, const struct hf_forget_policy *p, int *keep)
{
	memset(keep, 0, n * sizeof(*keep));
	for (size_t i = 0; i < n && i < p->last; i++)
		keep[n - 1 - i] = 1;
	keep_buckets(snaps, n, p->hourly, "%Y-%m-%d %H", keep);
	keep_buckets(snaps, n, p->daily, "%Y-%m-%d", keep);
	keep_buckets(snaps, n, p->weekly, "%G-%V", keep);
	keep_buckets(snaps, n, p->monthly, "%Y-%m", keep);
	keep_buckets(snaps, n, p->yearly, "%Y", keep);
}
