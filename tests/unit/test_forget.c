/* test_forget.c — the retention policy on a server's records
 * (hf_forget_select, hf_snapshot_time_doubtful): buckets go by arrival,
 * not by the time a snapshot claims; each sender's snapshots are counted
 * apart; a bucket keeps a doubtful snapshot only if it has no other. The
 * flood cases are the issue's: thousands of snapshots from one compromised
 * client must not push any older good snapshot out of a daily or weekly
 * bucket. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/engine.h"
#include "repo/repo.h"
#include "t.h"

#define SEC 1000000000LL
#define HOUR (3600 * SEC)
#define DAY (24 * HOUR)

/* noon, local time, of a day 40 days before now, plus days */
static int64_t noon(int days)
{
	time_t t = time(NULL) - 40 * 86400;
	struct tm tm;

	localtime_r(&t, &tm);
	tm.tm_hour = 12;
	tm.tm_min = tm.tm_sec = 0;
	tm.tm_isdst = -1;
	return (int64_t)mktime(&tm) * SEC + days * DAY;
}

struct set {
	struct hf_snapshot *s;
	unsigned char *doubtful;
	int *keep;
	size_t n, cap;
};

static size_t add(struct set *st, const char *sender, int64_t claimed, int64_t stored, unsigned flags, int doubtful)
{
	if (st->n == st->cap) {
		st->cap = st->cap ? 2 * st->cap : 64;
		st->s = realloc(st->s, st->cap * sizeof(*st->s));
		st->doubtful = realloc(st->doubtful, st->cap);
	}
	memset(&st->s[st->n], 0, sizeof(st->s[0]));
	st->s[st->n].time_ns = claimed;
	st->s[st->n].stored_ns = stored;
	st->s[st->n].flags = flags;
	st->s[st->n].id[0] = (uint8_t)st->n;
	st->s[st->n].id[1] = (uint8_t)(st->n >> 8);
	snprintf(st->s[st->n].sender, sizeof(st->s[0].sender), "%s", sender);
	st->doubtful[st->n] = (unsigned char)(doubtful || flags);
	return st->n++;
}

static int by_when(const void *a, const void *b)
{
	int64_t x = hf_snapshot_when(a), y = hf_snapshot_when(b);

	return x < y ? -1 : x > y;
}

/* sorts as hf_snapshot_list does (the doubtful bits go with their snapshots) */
static void run(struct set *st, const struct hf_forget_policy *p)
{
	for (size_t i = 0; i < st->n; i++)
		st->s[i].id[31] = st->doubtful[i];
	qsort(st->s, st->n, sizeof(*st->s), by_when);
	for (size_t i = 0; i < st->n; i++)
		st->doubtful[i] = st->s[i].id[31];
	st->keep = calloc(st->n + 1, sizeof(int));
	hf_forget_select(st->s, st->n, p, st->doubtful, st->keep);
}

static int kept(const struct set *st, const char *sender, int64_t stored)
{
	for (size_t i = 0; i < st->n; i++)
		if (st->s[i].stored_ns == stored && strcmp(st->s[i].sender, sender) == 0)
			return st->keep[i] != 0;
	return -1;
}

static size_t nkept(const struct set *st)
{
	size_t k = 0;

	for (size_t i = 0; i < st->n; i++)
		k += st->keep[i] != 0;
	return k;
}

static void release(struct set *st)
{
	free(st->s);
	free(st->doubtful);
	free(st->keep);
	memset(st, 0, sizeof(*st));
}

/* one good snapshot a day at 09:00 for 30 days */
static void good_days(struct set *st, const char *sender)
{
	for (int d = 0; d < 30; d++)
		add(st, sender, noon(d) - 3 * HOUR, noon(d) - 3 * HOUR + 60 * SEC, 0, 0);
}

/* 10,000 snapshots arriving in the last day's afternoon hour, claiming
 * times spread over the last 30 days (the compromised client's forged
 * dates): they land in the last day's bucket, and only there */
static void test_flood_of_forged_dates(void)
{
	struct hf_forget_policy p = {.daily = 7, .weekly = 4};
	struct set st = {0};

	good_days(&st, "fs1");
	for (int i = 0; i < 10000; i++) {
		int64_t claimed = noon(i % 30) - 3 * HOUR + 1000 * SEC + i;
		int64_t stored = noon(29) + 2 * HOUR + (int64_t)i * 300000000LL / 1000;
		unsigned flags = claimed < stored - HF_SNAPSHOT_SKEW_BEHIND_NS ? HF_SNAP_TIME_SKEW : 0;
		add(&st, "fs1", claimed, stored, flags, 0);
	}
	run(&st, &p);
	/* every day of the week before keeps its good snapshot (the flood's own
	 * day goes to its newest unflagged snapshot, as any later backup would:
	 * only a verdict can tell it apart, test_bucket_prefers_trusted) */
	for (int d = 23; d < 29; d++)
		T_EQ(kept(&st, "fs1", noon(d) - 3 * HOUR + 60 * SEC), 1);
	T_CHECK(nkept(&st) <= 11);
	release(&st);
}

/* the same flood judged by the claimed times (a store with no clock of its
 * own) takes the buckets: the test above would fail on claimed times */
static void test_claimed_times_are_floodable(void)
{
	struct hf_forget_policy p = {.daily = 7};
	struct set st = {0};
	int lost = 0;

	good_days(&st, "");
	for (int i = 0; i < 1000; i++)
		add(&st, "", noon(23 + i % 7) + HOUR + i, 0, 0, 0);
	run(&st, &p);
	for (size_t i = 0; i < st.n; i++)
		for (int d = 23; d < 30; d++)
			if (st.s[i].time_ns == noon(d) - 3 * HOUR)
				lost += st.keep[i] == 0;
	T_EQ(lost, 7);
	release(&st);
}

/* a flood of genuine-looking snapshots (no flag) in the last day takes that
 * one day's place and nothing else */
static void test_flood_takes_one_bucket(void)
{
	struct hf_forget_policy p = {.daily = 7, .weekly = 4};
	struct set st = {0};

	good_days(&st, "fs1");
	for (int i = 0; i < 60; i++)
		add(&st, "fs1", noon(29) + 2 * HOUR + i * 60 * SEC, noon(29) + 2 * HOUR + i * 60 * SEC + SEC, 0, 0);
	run(&st, &p);
	for (int d = 23; d < 29; d++)
		T_EQ(kept(&st, "fs1", noon(d) - 3 * HOUR + 60 * SEC), 1);
	release(&st);
}

/* a snapshot judged an attack at 23:00 does not take the day from the
 * clean one at 09:00; a day with only doubtful snapshots keeps one */
static void test_bucket_prefers_trusted(void)
{
	struct hf_forget_policy p = {.daily = 3};
	struct set st = {0};

	add(&st, "fs1", noon(27) - 3 * HOUR, noon(27) - 3 * HOUR, 0, 0);
	add(&st, "fs1", noon(27) + 10 * HOUR, noon(27) + 10 * HOUR, 0, 1);
	add(&st, "fs1", noon(28), noon(28), 0, 1);
	add(&st, "fs1", noon(29), noon(29), 0, 0);
	run(&st, &p);
	T_EQ(kept(&st, "fs1", noon(27) - 3 * HOUR), 1);
	T_EQ(kept(&st, "fs1", noon(27) + 10 * HOUR), 0);
	T_EQ(kept(&st, "fs1", noon(28)), 1);
	T_EQ(kept(&st, "fs1", noon(29)), 1);
	release(&st);
}

/* one client's hundred snapshots today do not push another client's days out */
static void test_senders_apart(void)
{
	struct hf_forget_policy p = {.last = 2, .daily = 3};
	struct set st = {0};

	for (int d = 25; d < 30; d++)
		add(&st, "fs2", noon(d), noon(d), 0, 0);
	for (int i = 0; i < 100; i++)
		add(&st, "fs1", noon(29) + i * SEC, noon(29) + i * SEC, 0, 0);
	run(&st, &p);
	T_EQ(kept(&st, "fs2", noon(27)), 1);
	T_EQ(kept(&st, "fs2", noon(28)), 1);
	T_EQ(kept(&st, "fs2", noon(29)), 1);
	T_EQ(kept(&st, "fs2", noon(26)), 0);
	T_EQ(nkept(&st), 3 + 2); /* fs2's three days; fs1's last two (its one day among them) */
	release(&st);
}

/* keep-last takes the newest trusted snapshots first */
static void test_last_prefers_trusted(void)
{
	struct hf_forget_policy p = {.last = 2};
	struct set st = {0};

	add(&st, "a", noon(1), noon(1), 0, 0);
	add(&st, "a", noon(2), noon(2), 0, 0);
	add(&st, "a", noon(3), noon(3), HF_SNAP_TIME_SKEW, 0);
	run(&st, &p);
	T_EQ(kept(&st, "a", noon(1)), 1);
	T_EQ(kept(&st, "a", noon(2)), 1);
	T_EQ(kept(&st, "a", noon(3)), 0);
	release(&st);
}

static void test_time_doubtful(void)
{
	struct hf_snapshot s = {0};
	int64_t now = noon(30);

	s.time_ns = now;
	T_EQ(hf_snapshot_time_doubtful(&s, now), 0);
	s.time_ns = now + 2 * DAY; /* local store: claims the future */
	T_EQ(hf_snapshot_time_doubtful(&s, now), 1);
	s.stored_ns = now - HOUR; /* a server's: arrival rules, the flag tells */
	T_EQ(hf_snapshot_time_doubtful(&s, now), 0);
	s.flags = HF_SNAP_TIME_SKEW;
	T_EQ(hf_snapshot_time_doubtful(&s, now), 1);
	T_EQ(hf_snapshot_when(&s), now - HOUR);
}

int main(void)
{
	T_RUN(test_flood_of_forged_dates);
	T_RUN(test_claimed_times_are_floodable);
	T_RUN(test_flood_takes_one_bucket);
	T_RUN(test_bucket_prefers_trusted);
	T_RUN(test_senders_apart);
	T_RUN(test_last_prefers_trusted);
	T_RUN(test_time_doubtful);
	return T_DONE("test_forget");
}
