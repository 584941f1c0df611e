/* test_watch_proc.c — who a writer is (lib/watch/proc.c): read from /proc,
 * and through the cache that reads /proc at most once a second per pid,
 * on a real child process whose process group changes under it. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "t.h"
#include "watch/watch_int.h"

static void test_who_of_self(void)
{
	struct hf_watch_who w;

	T_EQ(hf_watch_who_of(getpid(), &w), 0);
	T_EQ(w.pid, getpid());
	T_EQ(w.ppid, getppid());
	T_EQ(w.pgid, getpgrp());
	T_EQ(w.sid, getsid(0));
	T_EQ(w.uid, getuid());
}

/* a child that waits until killed */
static pid_t start_child(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		for (;;)
			pause();
	}
	return pid;
}

static void sleep_ms(long ms)
{
	struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&t, NULL);
}

/* an empty cache and a live child, or NULL */
static struct watch_who_cache *cache_and_child(pid_t *child)
{
	struct watch_who_cache *c = calloc(1, sizeof(*c));

	*child = start_child();
	T_CHECK(c != NULL && *child > 0);
	if (c && *child > 0)
		return c;
	if (*child > 0)
		kill(*child, SIGKILL);
	free(c);
	return NULL;
}

static void test_cache_reads_proc_once_a_second(void)
{
	struct hf_watch_who w;
	pid_t child;
	struct watch_who_cache *c = cache_and_child(&child);

	if (!c)
		return;
	T_EQ(watch_who_remembered(c, child, &w), -ESRCH);
	T_EQ(watch_who_cached(c, child, &w), 0);
	T_EQ(w.pgid, getpgrp());
	/* the child leads a group of its own now: the cache does not know yet */
	T_EQ(setpgid(child, child), 0);
	T_EQ(watch_who_cached(c, child, &w), 0);
	T_EQ(w.pgid, getpgrp());
	T_EQ(hf_watch_who_of(child, &w), 0);
	T_EQ(w.pgid, child);
	/* a second later it reads /proc again */
	sleep_ms(1100);
	T_EQ(watch_who_cached(c, child, &w), 0);
	T_EQ(w.pgid, child);
	/* gone: what was last read of it */
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	T_EQ(hf_watch_who_of(child, &w), -ESRCH);
	sleep_ms(1100);
	T_EQ(watch_who_cached(c, child, &w), 0);
	T_EQ(w.pid, child);
	T_EQ(w.pgid, child);
	T_EQ(watch_who_remembered(c, child, &w), 0);
	T_EQ(w.pgid, child);
	free(c);
}

static void test_cache_gone_unknown(void)
{
	struct hf_watch_who w;
	pid_t child;
	struct watch_who_cache *c = cache_and_child(&child);

	if (!c)
		return;
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	T_EQ(watch_who_cached(c, child, &w), -ESRCH);
	T_EQ(watch_who_remembered(c, child, &w), -ESRCH);
	free(c);
}

int main(void)
{
	T_RUN(test_who_of_self);
	T_RUN(test_cache_reads_proc_once_a_second);
	T_RUN(test_cache_gone_unknown);
	return T_DONE("test_watch_proc");
}
