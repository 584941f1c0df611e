/* test_watch_read.c — how the judge reads a written file (lib/watch/
 * read.c): under a read lease, which a file open for writing elsewhere
 * does not get; a writer that opens the file during the read gets it after
 * the piece under way, not at the read's end, and the read then counts as
 * unsettled; without a writer the bytes are read whole and settled. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "t.h"
#include "t_fs.h"
#include "watch/watch_int.h"

#define SIZE (4u << 20) /* sixteen of read.c's pieces */

static char dir[] = "/tmp/hf-watch-read.XXXXXX";
static char path[64];
static uint8_t *bytes;

struct writer {
	int fd;
	volatile int opened;
};

static void *writer_main(void *arg)
{
	struct writer *wr = arg;

	wr->fd = open(path, O_WRONLY | O_CLOEXEC); /* waits while the lease is held */
	wr->opened = 1;
	return NULL;
}

/* 1 once the kernel is breaking fd's lease for a writer (within 5 s) */
static int break_pending(int fd)
{
	for (int i = 0; i < 5000; i++) {
		if (fcntl(fd, F_GETLEASE) == F_UNLCK)
			return 1;
		usleep(1000);
	}
	return 0;
}

static int join_within(pthread_t t, int seconds)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += seconds;
	return pthread_timedjoin_np(t, NULL, &until) == 0;
}

static int leases_here(void)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), r = fd >= 0 ? watch_lease(fd) : 0;

	if (fd >= 0)
		close(fd);
	return r == 1;
}

static void test_settled_read(void)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), unsettled = 0;
	struct hf_buf b;

	hf_buf_init(&b, SIZE);
	T_EQ(watch_lease(fd), 1);
	T_EQ(watch_read_leased(fd, 1, &b, SIZE, &unsettled), 0);
	T_EQ(b.len, SIZE);
	T_CHECK(b.len == SIZE && memcmp(b.data, bytes, SIZE) == 0);
	T_EQ(unsettled, 0);
	T_EQ(fcntl(fd, F_GETLEASE), F_RDLCK); /* held to the end: nobody asked */
	close(fd);
	hf_buf_release(&b);
}

static void test_open_for_writing_elsewhere(void)
{
	int wfd = open(path, O_WRONLY | O_CLOEXEC), fd = open(path, O_RDONLY | O_CLOEXEC);

	T_EQ(watch_lease(fd), -EAGAIN);
	close(fd);
	close(wfd);
}

static void test_writer_let_in_during_read(void)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), unsettled = 0, joined;
	struct writer wr = {-1, 0};
	struct hf_buf b;
	pthread_t t;

	hf_buf_init(&b, SIZE);
	T_EQ(watch_lease(fd), 1);
	pthread_create(&t, NULL, writer_main, &wr);
	T_CHECK(break_pending(fd));
	T_EQ(wr.opened, 0); /* waits for the lease */
	T_EQ(watch_read_leased(fd, 1, &b, SIZE, &unsettled), 0);
	T_EQ(b.len, SIZE);
	T_EQ(unsettled, 1);
	/* the reader still has its descriptor: only letting the lease go
	 * during the read lets the writer in now (held to the close, it
	 * would wait for the kernel's lease-break-time, 45 s by default) */
	joined = join_within(t, 5);
	T_CHECK(joined);
	T_CHECK(wr.fd >= 0);
	close(fd);
	if (!joined)
		pthread_join(t, NULL);
	if (wr.fd >= 0)
		close(wr.fd);
	hf_buf_release(&b);
}

int main(void)
{
	int fd;

	signal(SIGIO, SIG_IGN); /* the lease break's signal, as hf_watch_open does */
	bytes = malloc(SIZE);
	if (!bytes || !mkdtemp(dir)) {
		T_CHECK(0);
		free(bytes);
		return T_DONE("test_watch_read");
	}
	for (size_t i = 0; i < SIZE; i++)
		bytes[i] = (uint8_t)(i * 2654435761u >> 13);
	snprintf(path, sizeof(path), "%s/f", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	T_CHECK(fd >= 0 && write(fd, bytes, SIZE) == (ssize_t)SIZE);
	close(fd);
	if (!leases_here()) {
		printf("test_watch_read: no read lease can be had in %s (fs.leases-enable, CAP_LEASE): skipped\n", dir);
	} else {
		T_RUN(test_settled_read);
		T_RUN(test_open_for_writing_elsewhere);
		T_RUN(test_writer_let_in_during_read);
	}
	t_rm_rf(dir);
	free(bytes);
	return T_DONE("test_watch_read");
}
