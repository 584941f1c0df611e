/* test_watch_made.c — new files waiting for their maker to pause
 * (lib/watch/made.c): each path is found with its newest maker, a path taken
 * out is gone, and the index by path stays right through any order of puts
 * and takes (its deletions move entries back), checked against a plain
 * array; what is due comes oldest first, when its group has been quiet or
 * it is old enough. Nothing here is judged (the ring never fills). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "t.h"
#include "watch/watch_int.h"

#define MS 1000000LL
#define N 6000

static struct hf_watch *watcher(void)
{
	return calloc(1, sizeof(struct hf_watch));
}

static void name(char *buf, size_t n, int i)
{
	snprintf(buf, n, "/srv/share/dir%d/file-%d.txt", i % 37, i);
}

static void test_found_by_path_through_puts_and_takes(void)
{
	struct hf_watch *w = watcher();
	static pid_t want[N]; /* the maker's group, 0: not waiting */
	struct hf_watch_who who = {0}, got;
	char p[64];
	unsigned seed = 1;
	int wrong = 0;

	for (int round = 0; round < 12000; round++) { /* fewer puts than the ring holds */
		int i = (int)(rand_r(&seed) % N);
		name(p, sizeof(p), i);
		if (rand_r(&seed) % 3) {
			who.pgid = 100 + (pid_t)(rand_r(&seed) % 5);
			T_EQ(watch_made_put(w, p, &who, round * MS, NULL), 0);
			want[i] = who.pgid;
		} else {
			T_EQ(watch_made_take(w, p, NULL), want[i] != 0);
			want[i] = 0;
		}
	}
	for (int i = 0; i < N; i++) {
		name(p, sizeof(p), i);
		int waits = watch_made_maker(w, p, &got);
		wrong += waits != (want[i] != 0) || (waits && got.pgid != want[i]);
	}
	T_EQ(wrong, 0);
	T_EQ(w->st.made_waited, 0); /* nothing was judged */
	watch_made_release(w);
	free(w);
}

static void test_due_oldest_first_when_quiet(void)
{
	struct hf_watch *w = watcher();
	struct hf_watch_who busy = {.pid = 7, .pgid = 7}, done = {.pid = 8, .pgid = 8};

	T_EQ(watch_made_next_ms(w, 0), -1); /* nothing waits */
	T_EQ(watch_made_put(w, "/srv/a", &busy, 0, NULL), 0);
	T_EQ(watch_made_put(w, "/srv/b", &done, 0, NULL), 0);
	watch_made_seen(w, 7, 0);
	watch_made_seen(w, 8, 0);
	/* the oldest (a's) is due when its group has been quiet long enough */
	T_EQ(watch_made_next_ms(w, 0), WATCH_MADE_QUIET_NS / MS);
	/* its group kept working: a waits until it is old enough (b behind it) */
	watch_made_seen(w, 7, WATCH_MADE_AGE_NS - MS);
	T_EQ(watch_made_next_ms(w, WATCH_MADE_AGE_NS - 2 * MS), 2);
	/* taken out (deleted before it was judged): b is next, and due */
	T_EQ(watch_made_take(w, "/srv/a", NULL), 1);
	T_EQ(watch_made_next_ms(w, WATCH_MADE_AGE_NS - 2 * MS), 0);
	T_EQ(watch_made_take(w, "/srv/b", NULL), 1);
	T_EQ(watch_made_next_ms(w, 0), -1);
	watch_made_release(w);
	free(w);
}

int main(void)
{
	T_RUN(test_found_by_path_through_puts_and_takes);
	T_RUN(test_due_oldest_first_when_quiet);
	return T_DONE("test_watch_made");
}
