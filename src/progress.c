/* progress.c — a progress line on stderr (files, bytes, rate, ETA) redrawn
 * twice a second by its own thread, shown only when stderr is a terminal. */
#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "util/mem.h"

struct cli_progress {
	struct hf_progress *p;
	const char *verb;
	pthread_t tid;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int stop;
	struct timespec start;
};

static double since(const struct timespec *a)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - a->tv_sec) + (double)(now.tv_nsec - a->tv_nsec) / 1e9;
}

static void draw(struct cli_progress *cp)
{
	uint64_t files = __atomic_load_n(&cp->p->files, __ATOMIC_RELAXED);
	uint64_t bytes = __atomic_load_n(&cp->p->bytes, __ATOMIC_RELAXED);
	double t = since(&cp->start), rate = t > 0 ? (double)bytes / t : 0;

	fprintf(stderr, "\r\033[K%s: %llu files, %.1f MiB, %.1f MiB/s", cp->verb, (unsigned long long)files,
		(double)bytes / 1048576.0, rate / 1048576.0);
	if (cp->p->total_bytes > bytes && rate > 0) {
		double eta = (double)(cp->p->total_bytes - bytes) / rate;
		fprintf(stderr, ", %3.0f%%, ETA %d:%02d", 100.0 * (double)bytes / (double)cp->p->total_bytes,
			(int)eta / 60, (int)eta % 60);
	}
	fflush(stderr);
}

static void *loop(void *arg)
{
	struct cli_progress *cp = arg;
	struct timespec until;

	pthread_mutex_lock(&cp->lock);
	draw(cp); /* at once, so even a short run shows it is alive */
	while (!cp->stop) {
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += 500000000;
		if (until.tv_nsec >= 1000000000) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&cp->cond, &cp->lock, &until);
		if (!cp->stop)
			draw(cp);
	}
	pthread_mutex_unlock(&cp->lock);
	return NULL;
}

struct cli_progress *cli_progress_start(struct hf_progress *p, const char *verb)
{
	struct cli_progress *cp;

	if (!isatty(STDERR_FILENO))
		return NULL;
	cp = hf_xcalloc(1, sizeof(*cp));
	cp->p = p;
	cp->verb = verb;
	pthread_mutex_init(&cp->lock, NULL);
	pthread_cond_init(&cp->cond, NULL);
	clock_gettime(CLOCK_MONOTONIC, &cp->start);
	if (pthread_create(&cp->tid, NULL, loop, cp) != 0) {
		free(cp);
		return NULL;
	}
	return cp;
}

void cli_progress_stop(struct cli_progress *cp)
{
	if (!cp)
		return;
	pthread_mutex_lock(&cp->lock);
	cp->stop = 1;
	pthread_cond_signal(&cp->cond);
	pthread_mutex_unlock(&cp->lock);
	pthread_join(cp->tid, NULL);
	fputs("\r\033[K", stderr);
	fflush(stderr);
	pthread_mutex_destroy(&cp->lock);
	pthread_cond_destroy(&cp->cond);
	free(cp);
}
