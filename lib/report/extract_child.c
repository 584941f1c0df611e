/* extract_child.c — the text of PDFs (poppler) and of encoded mail (gmime), parsed in a
 * child process that can do nothing but write that text to a pipe. The parsers are those of
 * holdfast-decoders.so (detect/decoders.h), opened in the report's process before the fork.
 *
 * Both libraries parse bytes that came from the machine the attacker reached, so neither runs
 * in the report's process. For each file the report forks a child; the child already holds
 * the input (fork copies the address space; the repository's keys are in memory the kernel
 * wipes in a child, MADV_WIPEONFORK, lib/crypto/secmem.c), keeps only /dev/null and the write
 * end of a pipe as descriptors, caps its address space and CPU seconds, sets no-new-privs and
 * loads a seccomp filter whose default kills it: it may then write, map memory (never
 * executable), use futexes, read clocks and exit; opening a file fails with EACCES. The parent
 * reads the text up to the caller's buffer maximum with a wall-clock deadline. A child that
 * crashes, is killed by the filter or its limits, takes too long or writes too much ends the
 * file as "not read"; the report goes on with the next one. The child ends with _exit: no
 * atexit handler, no leak check of the libraries' global caches. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <seccomp.h>
#include <linux/futex.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "detect/decoders.h"
#include "report/extract.h"
#include "util/err.h"

#define CHILD_AS_LIMIT (1ull << 30) /* address space beyond the parent's: the input is <= 16 MiB */
#define CHILD_CPU_DEFAULT 20u       /* CPU seconds for one file */
#define CHILD_WALL_FACTOR 3u        /* wall-clock deadline: this many times the CPU limit */

/* exit codes of the child */
enum { CX_OK = HF_TEXT_OK, CX_UNREADABLE = HF_TEXT_UNREADABLE, CX_LIMIT = HF_TEXT_LIMIT, CX_SETUP = 4 };

static unsigned g_cpu_limit = CHILD_CPU_DEFAULT;

unsigned hf_extract_set_cpu_limit(unsigned seconds)
{
	unsigned old = g_cpu_limit;

	g_cpu_limit = seconds ? seconds : CHILD_CPU_DEFAULT;
	return old;
}

/* ---- in the child ---- */

/* the address space the child starts with (the parent's: a report over a large repository
 * holds its index), so that its limit is on what the parser adds */
static rlim_t vm_size(void)
{
	char b[64] = "";
	unsigned long long pages = 0;
	int fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
	ssize_t k = fd >= 0 ? read(fd, b, sizeof(b) - 1) : -1;

	if (fd >= 0)
		close(fd);
	if (k > 0)
		pages = strtoull(b, NULL, 10);
	return (rlim_t)(pages * (unsigned long long)sysconf(_SC_PAGESIZE));
}

static int lock_down(rlim_t vsize)
{
	scmp_filter_ctx f;
	int r = 0;
	struct rlimit cpu = {g_cpu_limit, g_cpu_limit + 1};

#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
	/* (the sanitizers reserve terabytes of shadow address space up front) */
	struct rlimit as = {vsize + CHILD_AS_LIMIT, vsize + CHILD_AS_LIMIT};
	if (setrlimit(RLIMIT_AS, &as) != 0)
		return -errno;
#endif
	if (setrlimit(RLIMIT_CPU, &cpu) != 0)
		return -errno;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return -errno;
	f = seccomp_init(SCMP_ACT_KILL_PROCESS);
	if (!f)
		return -ENOMEM;
#define ALLOW(name, ...) r = r ? r : seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(name), __VA_ARGS__)
#define DENY(name, e) r = r ? r : seccomp_rule_add(f, SCMP_ACT_ERRNO(e), SCMP_SYS(name), 0)
	/* every descriptor left is the pipe or /dev/null */
	ALLOW(write, 0);
	ALLOW(writev, 0);
	ALLOW(close, 0);
	ALLOW(fstat, 0);
	ALLOW(newfstatat, 1, SCMP_A3(SCMP_CMP_EQ, AT_EMPTY_PATH));
	ALLOW(lseek, 0);
	/* a library looking for a configuration or locale file finds none */
	DENY(openat, EACCES);
#ifdef __NR_open
	DENY(open, EACCES);
#endif
	DENY(ioctl, ENOTTY);
	DENY(fsync, EINVAL); /* a library flushing its output (a pipe) */
	DENY(fdatasync, EINVAL);
	DENY(readlink, EACCES);
	DENY(access, EACCES);
	DENY(faccessat, EACCES);
	DENY(faccessat2, EACCES);
	DENY(statx, EACCES);
	DENY(stat, EACCES);
	DENY(lstat, EACCES);
	/* memory, never executable */
	ALLOW(mmap, 1, SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	ALLOW(mprotect, 1, SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	ALLOW(munmap, 0);
	ALLOW(mremap, 0);
	ALLOW(brk, 0);
	ALLOW(madvise, 0);
	ALLOW(futex, 0);
	ALLOW(clock_gettime, 0);
	ALLOW(gettimeofday, 0);
	ALLOW(getrandom, 0);
	ALLOW(getpid, 0);
	ALLOW(gettid, 0);
	ALLOW(sched_yield, 0);
	ALLOW(rt_sigprocmask, 0);
	ALLOW(rt_sigreturn, 0);
	ALLOW(sigaltstack, 0);
	ALLOW(exit_group, 0);
	ALLOW(exit, 0);
#undef ALLOW
#undef DENY
	if (r == 0)
		r = seccomp_load(f);
	seccomp_release(f);
	return r;
}

static int self_test(int kind)
{
	volatile unsigned long spin = 0;
	volatile int *nowhere = NULL;
	static uint32_t futex_word;
	int fd;

	switch (kind) {
	case HF_EXTRACT_TEST_OPEN:
		fd = open("/etc/passwd", O_RDONLY);
		return fd >= 0 ? CX_OK : CX_UNREADABLE; /* opened: the filter is not there */
	case HF_EXTRACT_TEST_CRASH:
		*nowhere = 1; /* on purpose (scripts/analyze.supp) */
		return CX_OK;
	case HF_EXTRACT_TEST_SPIN:
		for (;;)
			spin++;
	case HF_EXTRACT_TEST_BLOCK:
		for (;;) /* a lock nobody will release */
			syscall(SYS_futex, &futex_word, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
	case HF_EXTRACT_TEST_SOCKET:
		fd = socket(AF_UNIX, SOCK_STREAM, 0); /* the filter kills us here */
		return fd >= 0 ? CX_OK : CX_UNREADABLE;
	default:
		return CX_OK;
	}
}

static void close_from(int lowfd)
{
#ifdef SYS_close_range
	if (syscall(SYS_close_range, (unsigned)lowfd, ~0u, 0u) == 0)
		return;
#endif
	for (int fd = lowfd; fd < 65536; fd++)
		close(fd);
}

static void child_main(const struct hf_decoders *dec, int kind, int test, const void *p, size_t n, int out)
{
	int null, r;

	if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0)
		_exit(CX_SETUP);
	signal(SIGPIPE, SIG_DFL);
	/* stdio to /dev/null (the libraries print warnings), the pipe on 3, nothing else; the
	 * pipe first above stdio (a parent started with stdin closed hands us the pipe as 0) */
	out = fcntl(out, F_DUPFD, 3);
	if (out < 0)
		_exit(CX_SETUP);
	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null < 0)
		_exit(CX_SETUP);
	for (int fd = 0; fd < 3; fd++)
		if (dup2(null, fd) != fd)
			_exit(CX_SETUP);
	if (out != 3 && dup2(out, 3) != 3)
		_exit(CX_SETUP);
	close_from(4);
	out = 3;
	if (kind == HF_EXTRACT_MAIL)
		dec->mail_init(); /* before the lockdown: it may load tables */
	if (lock_down(vm_size()) != 0)
		_exit(CX_SETUP);
	if (test)
		_exit(self_test(test));
	if (kind == HF_EXTRACT_PDF)
		r = dec->pdf_text(p, n, out);
	else
		r = dec->mail_text(p, n, out);
	_exit(r);
}

/* ---- in the parent ---- */

static long ms_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1000 + (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

int hf_extract_isolated(int kind, int test, const void *p, size_t n, struct hf_buf *out)
{
	const struct hf_decoders *dec = hf_decoders(); /* opened here, before the fork */
	char chunk[16 << 10];
	struct timespec t0;
	long wall_ms = (long)g_cpu_limit * CHILD_WALL_FACTOR * 1000;
	int fds[2], status, ret = 1, killed = 0;
	size_t len0 = out->len;
	pid_t pid;

	if (kind != HF_EXTRACT_PDF && kind != HF_EXTRACT_MAIL)
		return -EINVAL;
	if (!dec)
		return 0; /* no parser to run: not read (hf_decoders_error says why) */
	if (pipe2(fds, O_CLOEXEC) != 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		int e = -errno;
		close(fds[0]);
		close(fds[1]);
		return e;
	}
	if (pid == 0) {
		close(fds[0]);
		child_main(dec, kind, test, p, n, fds[1]);
	}
	close(fds[1]);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct pollfd pf = {fds[0], POLLIN, 0};
		long left = wall_ms - ms_since(&t0);
		ssize_t k;
		int pr;

		if (left <= 0) {
			ret = 0; /* too long: not read */
			killed = 1;
			break;
		}
		pr = poll(&pf, 1, (int)left);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr < 0) {
			ret = -errno;
			killed = 1;
			break;
		}
		if (pr == 0)
			continue;
		k = read(fds[0], chunk, sizeof(chunk));
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break; /* EOF: the child is done (or dead) */
		if (hf_buf_append(out, chunk, (size_t)k) < 0) {
			ret = -HF_E_LIMIT; /* more text than the caller takes */
			killed = 1;
			break;
		}
	}
	close(fds[0]);
	if (killed)
		kill(pid, SIGKILL); /* not reaped yet: the pid is still the child's */
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (ret == 1) {
		if (!WIFEXITED(status) || WEXITSTATUS(status) == CX_UNREADABLE || WEXITSTATUS(status) == CX_SETUP)
			ret = 0; /* crashed, killed by the filter or a limit, or could not parse */
		else if (WEXITSTATUS(status) == CX_LIMIT)
			ret = -HF_E_LIMIT;
		else if (WEXITSTATUS(status) != CX_OK)
			ret = 0;
	}
	if (ret != 1)
		out->len = len0; /* no partial text from a child that failed */
	return ret;
}
