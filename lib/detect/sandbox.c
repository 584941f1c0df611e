/* sandbox.c — runs the validators and libmagic, the code that parses hostile structure, in
 * processes that can do nothing but read their input and write a small answer.
 *
 * Owns the process-wide sandbox: a zygote (forked while the process is single-threaded; it
 * opens holdfast-decoders.so (decoders.h) and loads libmagic's database once, then only
 * forks), and a pool of idle workers it forked. The process that starts the sandbox never
 * maps the decoders.
 * A worker, right after fork: dies with the zygote (PR_SET_PDEATHSIG), caps its address space
 * and CPU time, sets PR_SET_NO_NEW_PRIVS and loads a seccomp filter whose default is to kill
 * the process: it may then only read and write its socket, map and unmap memory (never
 * executable), use futexes, read clocks and random bytes, lower or raise its own CPU limit
 * below the hard one, and exit. Requests go over a SOCK_SEQPACKET socket; the bytes to validate
 * go in a memfd the zygote made for that worker (a libmagic query's 4 KiB go inline).
 *
 * Threads share the pool under a lock; one request has one worker to itself. A worker that
 * dies or times out is killed (through a pidfd, so never a recycled pid), its fds closed and
 * the request answered HF_VALID_UNCHECKED; the next request gets a fresh worker. The zygote
 * ignores SIGCHLD, so the kernel reaps the workers, and on EOF from us waits until all of them
 * are gone; we reap the zygote. No process outlives hf_sandbox_release. */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <pthread.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "detect/detect_int.h"
#include "detect/sandbox.h"

#define SB_AS_LIMIT (1ull << 30) /* a worker's address space: inputs are <= 64 MiB */
#define SB_CPU_DEFAULT 30u       /* CPU seconds one request may take */
#define SB_CPU_HARD (30u * 60u)  /* CPU seconds a worker may take in all (then it is replaced) */
#define SB_IDLE_MAX 64           /* idle workers kept (one per backup thread at most) */
#define SB_MEMFD_KEEP (1u << 20) /* a worker's memfd shrinks back to empty past this */
#define SB_HELLO_MS 30000        /* a new zygote or worker reports within this */

enum { OP_MAGIC = 1, OP_VALIDATE = 2, OP_TEST = 3 };

struct sb_req {
	uint32_t op;
	uint32_t arg;       /* OP_TEST: the selftest kind */
	uint32_t cpu_limit; /* seconds */
	uint32_t pad;
	uint64_t n;             /* input bytes (inline for OP_MAGIC, in the memfd otherwise) */
	struct hf_profile prof; /* OP_VALIDATE: type and text_utf8 */
	uint8_t data[4096];     /* OP_MAGIC */
};

struct sb_rep {
	int32_t r;
	uint32_t pad;
	struct hf_profile prof;
};

struct sb_worker {
	struct sb_worker *next;
	int sock, memfd, pidfd;
	pid_t pid;
	uint64_t memfd_size;
};

struct sb {
	pthread_mutex_t lock; /* idle, nidle, and the zygote's socket */
	struct sb_worker *idle;
	int nidle;
	int zsock;
	pid_t zpid;
};

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER; /* g_sb's start and stop */
static struct sb *g_sb;
static unsigned g_refs;
static struct sb *g_pending; /* a zygote hf_sandbox_prestart forked, not yet heard from */
static unsigned g_cpu_limit = SB_CPU_DEFAULT;

/* ---- messages ---- */

static ssize_t send_fds(int sock, const void *buf, size_t len, const int *fds, int nfds)
{
	struct iovec iov = {(void *)(uintptr_t)buf, len};
	union {
		char b[CMSG_SPACE(3 * sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr m;
	ssize_t r;

	memset(&m, 0, sizeof(m));
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	if (nfds > 0) {
		struct cmsghdr *c;
		memset(&u, 0, sizeof(u));
		m.msg_control = u.b;
		m.msg_controllen = CMSG_SPACE((size_t)nfds * sizeof(int));
		c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN((size_t)nfds * sizeof(int));
		memcpy(CMSG_DATA(c), fds, (size_t)nfds * sizeof(int));
	}
	do
		r = sendmsg(sock, &m, MSG_NOSIGNAL);
	while (r < 0 && errno == EINTR);
	return r;
}

/* receives one message and up to 3 fds (-1 for those not sent) */
static ssize_t recv_fds(int sock, void *buf, size_t len, int *fds, int nfds)
{
	struct iovec iov = {buf, len};
	union {
		char b[CMSG_SPACE(3 * sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr m;
	struct cmsghdr *c;
	ssize_t r;

	for (int i = 0; i < nfds; i++)
		fds[i] = -1;
	memset(&m, 0, sizeof(m));
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	m.msg_control = u.b;
	m.msg_controllen = sizeof(u.b);
	do
		r = recvmsg(sock, &m, MSG_CMSG_CLOEXEC);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return r;
	for (c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
		size_t k;
		int got[3];
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		if (k > 3)
			k = 3;
		memcpy(got, CMSG_DATA(c), k * sizeof(int));
		for (size_t i = 0; i < k; i++) {
			if ((int)i < nfds && fds[i] < 0)
				fds[i] = got[i];
			else
				close(got[i]);
		}
	}
	return r;
}

/* waits up to ms for sock to be readable: 0, or -ETIMEDOUT / -errno */
static int wait_readable(int sock, int ms)
{
	struct timespec t0, t1;
	struct pollfd p = {sock, POLLIN, 0};

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		int left, r;
		long spent;

		clock_gettime(CLOCK_MONOTONIC, &t1);
		spent = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
		left = spent >= ms ? 0 : ms - (int)spent;
		r = poll(&p, 1, left);
		if (r > 0)
			return 0;
		if (r == 0)
			return -ETIMEDOUT;
		if (errno != EINTR)
			return -errno;
	}
}

/* ---- the worker ---- */

/* qpdf's validation writes the rewritten PDF to "/dev/null", by name. Opening files is what
 * the filter exists to stop, so open and openat trap instead, and this handler answers
 * "/dev/null" with a copy of a descriptor opened before the lockdown, everything else with
 * EPERM. (Where the registers are not known here the filter kills: PDFs then come back
 * unchecked.) */
#if defined(__x86_64__) || defined(__aarch64__)
#define SB_TRAP_OPEN 1
static int g_devnull = -1;

static void on_sigsys(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;
	const char *path = NULL;
	long r = -EPERM;
	int saved = errno;

#ifdef __x86_64__
	if (si->si_syscall == __NR_openat)
		path = (const char *)uc->uc_mcontext.gregs[REG_RSI];
	else if (si->si_syscall == __NR_open)
		path = (const char *)uc->uc_mcontext.gregs[REG_RDI];
#else
	if (si->si_syscall == __NR_openat)
		path = (const char *)uc->uc_mcontext.regs[1];
#endif
	if (path && strcmp(path, "/dev/null") == 0) {
		r = dup(g_devnull);
		if (r < 0)
			r = -errno;
	}
#ifdef __x86_64__
	uc->uc_mcontext.gregs[REG_RAX] = r;
#else
	uc->uc_mcontext.regs[0] = (unsigned long long)r;
#endif
	errno = saved;
}
#else
#define SB_TRAP_OPEN 0
#endif

static int lock_down(int sock)
{
	scmp_filter_ctx f;
	int r = 0, null;
	struct rlimit cpu = {SB_CPU_HARD, SB_CPU_HARD};

#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
	/* (the sanitizers reserve terabytes of shadow address space up front) */
	struct rlimit as = {SB_AS_LIMIT, SB_AS_LIMIT};
	if (setrlimit(RLIMIT_AS, &as) != 0)
		return -errno;
#endif
	if (setrlimit(RLIMIT_CPU, &cpu) != 0)
		return -errno;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return -errno;
	/* stdio too goes to /dev/null: every descriptor left is harmless to write (the socket,
	 * the memfd of our own input, /dev/null), so write, close and fstat need no fd check */
	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null < 0)
		return -errno;
	for (int fd = 0; fd < 3; fd++)
		if (dup2(null, fd) != fd)
			return -errno;
#if SB_TRAP_OPEN
	{
		struct sigaction sa;
		memset(&sa, 0, sizeof(sa));
		sa.sa_sigaction = on_sigsys;
		sa.sa_flags = SA_SIGINFO;
		if (sigaction(SIGSYS, &sa, NULL) != 0)
			return -errno;
		g_devnull = null;
	}
#endif
	f = seccomp_init(SCMP_ACT_KILL_PROCESS);
	if (!f)
		return -ENOMEM;
#define ALLOW(name, ...) r = r ? r : seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(name), __VA_ARGS__)
	/* the socket for messages; write, close and fstat for qpdf's /dev/null */
	ALLOW(read, 1, SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)sock));
	ALLOW(write, 0);
	ALLOW(close, 0);
	ALLOW(fstat, 0);
	ALLOW(lseek, 0);
	ALLOW(newfstatat, 1, SCMP_A3(SCMP_CMP_EQ, AT_EMPTY_PATH));
#if SB_TRAP_OPEN
	r = r ? r : seccomp_rule_add(f, SCMP_ACT_TRAP, SCMP_SYS(openat), 0);
#ifdef __NR_open
	r = r ? r : seccomp_rule_add(f, SCMP_ACT_TRAP, SCMP_SYS(open), 0);
#endif
	ALLOW(dup, 1, SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)null));
#endif
	/* stdio asks whether /dev/null is a terminal */
	r = r ? r : seccomp_rule_add(f, SCMP_ACT_ERRNO(ENOTTY), SCMP_SYS(ioctl), 0);
	ALLOW(recvmsg, 1, SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)sock));
	ALLOW(sendmsg, 1, SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)sock));
	ALLOW(recvfrom, 1, SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)sock));
	ALLOW(sendto, 1, SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)sock));
	/* memory, never executable */
	ALLOW(mmap, 1, SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	ALLOW(mprotect, 1, SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	ALLOW(munmap, 0);
	ALLOW(mremap, 0);
	ALLOW(brk, 0);
	ALLOW(madvise, 0);
	ALLOW(futex, 0);
	/* its own CPU limit (below the hard one, which only goes down) */
	ALLOW(getrusage, 1, SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)RUSAGE_SELF));
	ALLOW(prlimit64, 2, SCMP_A0(SCMP_CMP_EQ, 0), SCMP_A1(SCMP_CMP_EQ, (scmp_datum_t)RLIMIT_CPU));
	ALLOW(clock_gettime, 0);
	ALLOW(gettimeofday, 0);
	ALLOW(getrandom, 0);
	ALLOW(rt_sigreturn, 0);
	ALLOW(sigaltstack, 0); /* the sanitizers' signal handling (the SIGSYS trap) */
	ALLOW(exit_group, 0);
	ALLOW(exit, 0);
#undef ALLOW
	if (r == 0)
		r = seccomp_load(f);
	seccomp_release(f);
	return r;
}

static void set_cpu_limit(uint32_t seconds)
{
	static rlim_t last; /* setting the limit arms a timer: only when it moves */
	struct rusage u;
	struct rlimit l = {SB_CPU_HARD, SB_CPU_HARD};

	if (seconds == 0 || getrusage(RUSAGE_SELF, &u) != 0)
		return;
	l.rlim_cur = (rlim_t)u.ru_utime.tv_sec + (rlim_t)u.ru_stime.tv_sec + 1 + seconds;
	if (l.rlim_cur > l.rlim_max)
		l.rlim_cur = l.rlim_max; /* this worker is near its end: the hard limit ends it */
	if (l.rlim_cur != last && setrlimit(RLIMIT_CPU, &l) == 0)
		last = l.rlim_cur;
}

static int self_test(uint32_t kind)
{
	volatile int *nowhere = NULL;
	volatile unsigned long spin = 0;
	int fd;

	switch (kind) {
	case HF_SANDBOX_TEST_OPEN:
		fd = open("/etc/passwd", O_RDONLY); /* the filter kills us here */
		if (fd >= 0)
			return 0; /* opened: the filter is not there */
		return errno;
	case HF_SANDBOX_TEST_CRASH:
		*nowhere = 1;
		return -1;
	case HF_SANDBOX_TEST_ABORT:
		abort();
	case HF_SANDBOX_TEST_SPIN:
		for (;;)
			spin++;
	default:
		return -EINVAL;
	}
}

/* input: the memfd, mapped once at its largest (mapping and unmapping it for each file
 * cost more than validating a small one); the parent grows and shrinks the file under it */
static void serve(int sock, const uint8_t *input, void *magic)
{
	static struct sb_req q; /* 4 KiB: off the stack */
	struct sb_rep a;

	for (;;) {
		ssize_t k = recv(sock, &q, sizeof(q), 0);
		const uint8_t *p = (const uint8_t *)"";

		if (k == 0)
			return;
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		if ((size_t)k != sizeof(q))
			return;
		memset(&a, 0, sizeof(a));
		set_cpu_limit(q.cpu_limit);
		switch (q.op) {
		case OP_MAGIC:
			a.r = hf_detect_magic_type(magic, q.data, q.n < sizeof(q.data) ? (size_t)q.n : sizeof(q.data));
			break;
		case OP_VALIDATE:
			if (q.n > HF_DETECT_VALIDATE_MAX)
				return;
			if (q.n > 0)
				p = input;
			a.prof = q.prof;
			if (q.arg)
				self_test(q.arg);
			a.r = hf_detect_validate_type(p, (size_t)q.n, &a.prof);
			break;
		case OP_TEST:
			a.r = self_test(q.arg);
			break;
		default:
			return;
		}
		if (send(sock, &a, sizeof(a), MSG_NOSIGNAL) != (ssize_t)sizeof(a))
			return;
	}
}

static void worker_main(int sock, int memfd, void *magic)
{
	int32_t hello;
	const uint8_t *input;

	if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0)
		_exit(1);
	/* keep a decoder's buffers in the heap between files instead of mapping and faulting
	 * them in afresh for each (gzip files: 80 us a file more than in-process, 20 with
	 * this); an idle worker keeps at most ~16 MiB of heap */
	mallopt(M_MMAP_THRESHOLD, 4 << 20);
	mallopt(M_TRIM_THRESHOLD, 16 << 20);
	input = mmap(NULL, HF_DETECT_VALIDATE_MAX, PROT_READ, MAP_SHARED, memfd, 0);
	hello = input != MAP_FAILED && lock_down(sock) == 0 ? 1 : 0;
	if (send(sock, &hello, sizeof(hello), MSG_NOSIGNAL) != (ssize_t)sizeof(hello) || !hello)
		_exit(1);
	serve(sock, input, magic);
	_exit(0); /* not exit(): no atexit handlers (and no leak check) under the filter */
}

/* ---- the zygote ---- */

static void close_from(int lowfd)
{
#ifdef SYS_close_range
	if (syscall(SYS_close_range, (unsigned)lowfd, ~0u, 0u) == 0)
		return;
#endif
	{
		long max = sysconf(_SC_OPEN_MAX);
		if (max < 0 || max > 65536)
			max = 65536;
		for (int fd = lowfd; fd < max; fd++)
			close(fd);
	}
}

static int spawn_worker(int zsock, void *magic)
{
	int sv[2], memfd, fds[3], n = 2;
	int32_t pid32;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
		goto fail;
	memfd = memfd_create("holdfast-detect", MFD_CLOEXEC);
	if (memfd < 0) {
		close(sv[0]);
		close(sv[1]);
		goto fail;
	}
	pid = fork();
	if (pid == 0) {
		close(zsock);
		close(sv[0]);
		worker_main(sv[1], memfd, magic);
	}
	close(sv[1]);
	if (pid < 0) {
		close(sv[0]);
		close(memfd);
		goto fail;
	}
	fds[0] = sv[0];
	fds[1] = memfd;
#ifdef SYS_pidfd_open
	fds[2] = (int)syscall(SYS_pidfd_open, pid, 0);
	if (fds[2] >= 0)
		n = 3;
#endif
	pid32 = (int32_t)pid;
	send_fds(zsock, &pid32, sizeof(pid32), fds, n);
	for (int i = 0; i < n; i++)
		close(fds[i]);
	return 0;
fail:
	pid32 = -1;
	send_fds(zsock, &pid32, sizeof(pid32), NULL, 0);
	return -1;
}

static void zygote_main(int zsock, pid_t parent)
{
	struct sigaction sa;
	void *magic;
	int32_t hello;
	uint32_t op;

	if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
		_exit(1);
	/* the kernel reaps the workers */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigaction(SIGCHLD, &sa, NULL);
	/* hold nothing of the parent's but stdio: not the repository's files */
	if (zsock != 3) {
		if (dup2(zsock, 3) != 3)
			_exit(1);
		zsock = 3;
	}
	close_from(4);
	/* the passphrase, if the environment still has it (the CLI wipes its own copy later) */
	for (char **e = environ; e && *e; e++)
		if (strncmp(*e, "HOLDFAST_PASSWORD=", 18) == 0)
			explicit_bzero(*e + 18, strlen(*e + 18));
	/* localtime() (libzip's entry times) re-reads /etc/localtime on every call while TZ is
	 * unset, which a worker may not open (each try costs a trap); with TZ naming the same
	 * file, the zone read here once is kept */
	if (!getenv("TZ"))
		setenv("TZ", ":/etc/localtime", 1);
	tzset();
	magic = hf_detect_magic_open();
	hello = magic ? 1 : 0;
	if (send(zsock, &hello, sizeof(hello), MSG_NOSIGNAL) != (ssize_t)sizeof(hello) || !magic)
		_exit(1);
	for (;;) {
		ssize_t k = recv(zsock, &op, sizeof(op), 0);
		if (k < 0 && errno == EINTR)
			continue;
		if (k != (ssize_t)sizeof(op))
			break;
		spawn_worker(zsock, magic);
	}
	/* with SIGCHLD ignored, wait returns once every worker is gone (they see EOF too) */
	while (wait(NULL) >= 0 || errno == EINTR)
		;
	_exit(0);
}

/* ---- the parent's side ---- */

static int single_threaded(void)
{
	FILE *f = fopen("/proc/self/status", "re");
	char line[256];
	int threads = -1;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, "Threads:", 8) == 0) {
			threads = (int)strtol(line + 8, NULL, 10);
			break;
		}
	fclose(f);
	return threads == 1;
}

static void worker_kill(struct sb_worker *w)
{
	if (!w)
		return;
#ifdef SYS_pidfd_send_signal
	if (w->pidfd >= 0)
		syscall(SYS_pidfd_send_signal, w->pidfd, SIGKILL, NULL, 0);
#endif
	close(w->sock);
	close(w->memfd);
	if (w->pidfd >= 0)
		close(w->pidfd);
	free(w);
}

/* an idle worker, or a new one from the zygote; NULL if none can be had */
static struct sb_worker *worker_get(struct sb *s)
{
	struct sb_worker *w;
	uint32_t op = 1;
	int32_t pid = -1, hello = 0;
	int fds[3];
	ssize_t k;

	pthread_mutex_lock(&s->lock);
	w = s->idle;
	if (w) {
		s->idle = w->next;
		s->nidle--;
		pthread_mutex_unlock(&s->lock);
		return w;
	}
	k = -1;
	if (s->zsock >= 0 && send(s->zsock, &op, sizeof(op), MSG_NOSIGNAL) == (ssize_t)sizeof(op) &&
	    wait_readable(s->zsock, SB_HELLO_MS) == 0)
		k = recv_fds(s->zsock, &pid, sizeof(pid), fds, 3);
	pthread_mutex_unlock(&s->lock);
	if (k != (ssize_t)sizeof(pid) || pid <= 0 || fds[0] < 0 || fds[1] < 0) {
		if (k > 0)
			for (int i = 0; i < 3; i++)
				if (fds[i] >= 0)
					close(fds[i]);
		return NULL;
	}
	w = calloc(1, sizeof(*w));
	if (!w) {
		for (int i = 0; i < 3; i++)
			if (fds[i] >= 0)
				close(fds[i]);
		return NULL;
	}
	w->sock = fds[0];
	w->memfd = fds[1];
	w->pidfd = fds[2];
	w->pid = pid;
	/* it reports whether it locked itself down */
	if (wait_readable(w->sock, SB_HELLO_MS) != 0 ||
	    recv(w->sock, &hello, sizeof(hello), 0) != (ssize_t)sizeof(hello) || hello != 1) {
		worker_kill(w);
		return NULL;
	}
	return w;
}

static void worker_put(struct sb *s, struct sb_worker *w)
{
	pthread_mutex_lock(&s->lock);
	if (s->nidle < SB_IDLE_MAX) {
		w->next = s->idle;
		s->idle = w;
		s->nidle++;
		w = NULL;
	}
	pthread_mutex_unlock(&s->lock);
	worker_kill(w);
}

static int pwrite_all(int fd, const uint8_t *p, size_t n)
{
	size_t off = 0;

	while (off < n) {
		ssize_t k = pwrite(fd, p + off, n - off, (off_t)off);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		off += (size_t)k;
	}
	return 0;
}

/* One request to a worker: 0 and *a filled, or -EPIPE (it died), -ETIMEDOUT, -ENOSYS (no
 * sandbox), -EAGAIN (no worker to be had). The worker goes back to the pool only after a
 * well-formed answer. */
static int request(struct sb_req *q, const uint8_t *data, size_t n, struct sb_rep *a)
{
	struct sb *s = __atomic_load_n(&g_sb, __ATOMIC_ACQUIRE);
	struct sb_worker *w;
	unsigned cpu = __atomic_load_n(&g_cpu_limit, __ATOMIC_RELAXED);
	int wall_ms = (int)(cpu * 4 + 10) * 1000, r;

	if (!s)
		return -ENOSYS;
	w = worker_get(s);
	if (!w)
		return -EAGAIN;
	q->cpu_limit = cpu;
	if (q->op == OP_VALIDATE && n > 0 && pwrite_all(w->memfd, data, n) != 0) {
		worker_kill(w);
		return -EAGAIN;
	}
	if (q->op == OP_VALIDATE && n > w->memfd_size)
		w->memfd_size = n;
	r = send(w->sock, q, sizeof(*q), MSG_NOSIGNAL) == (ssize_t)sizeof(*q) ? 0 : -EPIPE;
	if (r == 0)
		r = wait_readable(w->sock, wall_ms);
	if (r == 0) {
		ssize_t k;
		do
			k = recv(w->sock, a, sizeof(*a), 0);
		while (k < 0 && errno == EINTR);
		r = k == (ssize_t)sizeof(*a) ? 0 : -EPIPE;
	}
	if (r < 0) {
		worker_kill(w);
		return r;
	}
	if (w->memfd_size > SB_MEMFD_KEEP) { /* give the memory back */
		if (ftruncate(w->memfd, 0) == 0)
			w->memfd_size = 0;
	}
	worker_put(s, w);
	return 0;
}

int hf_sandbox_magic(const uint8_t *p, size_t n)
{
	static __thread struct sb_req q;
	struct sb_rep a;

	memset(&q, 0, offsetof(struct sb_req, data));
	q.op = OP_MAGIC;
	if (n > sizeof(q.data))
		n = sizeof(q.data);
	q.n = n;
	memcpy(q.data, p, n);
	if (request(&q, NULL, 0, &a) < 0 || a.r < 0 || a.r >= HF_CT_MAX)
		return HF_CT_UNKNOWN;
	return a.r;
}

static int validate(const uint8_t *p, size_t n, struct hf_profile *prof, int test)
{
	static __thread struct sb_req q;
	struct sb_rep a;

	if (n > HF_DETECT_VALIDATE_MAX)
		return HF_VALID_UNCHECKED;
	memset(&q, 0, offsetof(struct sb_req, data));
	q.op = OP_VALIDATE;
	q.arg = (uint32_t)test;
	q.n = n;
	q.prof = *prof;
	if (request(&q, p, n, &a) < 0)
		return HF_VALID_UNCHECKED;
	/* a lying worker may lie about the file, but not about more than the file */
	if (a.r != HF_VALID_NO && a.r != HF_VALID_YES && a.r != HF_VALID_UNCHECKED && a.r != -ENOMEM)
		return HF_VALID_UNCHECKED;
	if (a.prof.type < HF_CT_MAX)
		prof->type = a.prof.type;
	prof->encrypted_container = a.prof.encrypted_container ? 1 : 0;
	return a.r;
}

int hf_sandbox_validate(const uint8_t *p, size_t n, struct hf_profile *prof)
{
	return validate(p, n, prof, 0);
}

int hf_sandbox_validate_selftest(int kind, const uint8_t *p, size_t n, struct hf_profile *prof)
{
	return validate(p, n, prof, kind);
}

int hf_sandbox_selftest(int kind)
{
	struct sb_req *q = calloc(1, sizeof(*q));
	struct sb_rep a;
	int r;

	if (!q)
		return -ENOMEM;
	q->op = OP_TEST;
	q->arg = (uint32_t)kind;
	r = request(q, NULL, 0, &a);
	free(q);
	if (r == -EAGAIN)
		return -EPIPE; /* it died before it could answer, in the pool or here */
	return r < 0 ? r : a.r;
}

size_t hf_sandbox_pids(pid_t *pids, size_t max)
{
	struct sb *s;
	size_t k = 0;

	pthread_mutex_lock(&g_lock);
	s = g_sb;
	if (s) {
		pthread_mutex_lock(&s->lock);
		if (k < max)
			pids[k++] = s->zpid;
		for (struct sb_worker *w = s->idle; w && k < max; w = w->next)
			pids[k++] = w->pid;
		pthread_mutex_unlock(&s->lock);
	}
	pthread_mutex_unlock(&g_lock);
	return k;
}

unsigned hf_sandbox_set_cpu_limit(unsigned seconds)
{
	return __atomic_exchange_n(&g_cpu_limit, seconds ? seconds : SB_CPU_DEFAULT, __ATOMIC_RELAXED);
}

int hf_sandbox_active(void)
{
	return __atomic_load_n(&g_sb, __ATOMIC_ACQUIRE) != NULL;
}

static void sb_stop(struct sb *s)
{
	struct sb_worker *w;
	int st;

	while ((w = s->idle)) {
		s->idle = w->next;
		close(w->sock); /* it sees EOF and exits */
		close(w->memfd);
		if (w->pidfd >= 0)
			close(w->pidfd);
		free(w);
	}
	if (s->zsock >= 0)
		close(s->zsock); /* the zygote waits for its workers, then exits */
	if (s->zpid > 0)
		while (waitpid(s->zpid, &st, 0) < 0 && errno == EINTR)
			;
	pthread_mutex_destroy(&s->lock);
	free(s);
}

/* forks the zygote (the process must be single-threaded): 0, or -1 if that is not possible */
static int zygote_fork(struct sb **out)
{
	struct sb *s;
	int sv[2];
	pid_t parent = getpid(), pid;

	if (!single_threaded())
		return -1;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		close(sv[0]);
		zygote_main(sv[1], parent);
	}
	close(sv[1]);
	if (pid < 0) {
		close(sv[0]);
		return -1;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		close(sv[0]);
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		return -1;
	}
	pthread_mutex_init(&s->lock, NULL);
	s->zsock = sv[0];
	s->zpid = pid;
	*out = s;
	return 0;
}

/* 1 started, 0 not possible here, -ENOENT no decoders or no libmagic database; a zygote that
 * hf_sandbox_prestart forked is taken over, else one is forked now */
static int sb_start(struct sb **out)
{
	struct sb *s = g_pending;
	struct sb_worker *w;
	int32_t hello = -1;

	*out = NULL;
	g_pending = NULL;
	if (!s && zygote_fork(&s) != 0)
		return 0;
	if (wait_readable(s->zsock, SB_HELLO_MS) != 0 ||
	    recv(s->zsock, &hello, sizeof(hello), 0) != (ssize_t)sizeof(hello) || hello != 1) {
		sb_stop(s);
		return hello == 0 ? -ENOENT : 0;
	}
	/* one warm worker, and the proof that a worker can lock itself down here */
	w = worker_get(s);
	if (!w) {
		sb_stop(s);
		return 0;
	}
	worker_put(s, w);
	*out = s;
	return 1;
}

static int wanted(void)
{
	const char *e = getenv("HOLDFAST_SANDBOX");

	return !(e && strcmp(e, "0") == 0);
}

int hf_sandbox_acquire(void)
{
	struct sb *s;
	int r;

	if (!wanted())
		return 0;
	pthread_mutex_lock(&g_lock);
	if (g_sb) {
		g_refs++;
		pthread_mutex_unlock(&g_lock);
		return 1;
	}
	r = sb_start(&s);
	if (r == 1) {
		g_refs = 1;
		__atomic_store_n(&g_sb, s, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&g_lock);
	return r;
}

void hf_sandbox_prestart(void)
{
	if (!wanted())
		return;
	pthread_mutex_lock(&g_lock);
	if (!g_sb && !g_pending)
		(void)zygote_fork(&g_pending); /* not possible here: hf_sandbox_acquire decides */
	pthread_mutex_unlock(&g_lock);
}

void hf_sandbox_release(void)
{
	struct sb *s = NULL;

	pthread_mutex_lock(&g_lock);
	if (g_sb && --g_refs == 0) {
		s = g_sb;
		__atomic_store_n(&g_sb, NULL, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&g_lock);
	if (s)
		sb_stop(s);
}
