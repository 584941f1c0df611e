/* sandbox.h — private to lib/detect: the validators and libmagic in sandboxed processes.
 *
 * One sandbox per process, shared by every detection context (hf_detect_validate_as has no
 * context to hang it on). The first hf_detect_new that wants it forks a single-threaded
 * "zygote", which loads libmagic's database once and forks workers on request; a worker
 * locks itself down (seccomp, no new privileges, memory and CPU limits) and then answers
 * requests on a socket: the input in a memfd, the answer a small fixed struct. A worker that
 * dies, is killed or takes too long yields HF_VALID_UNCHECKED for that input and is replaced.
 *
 * Starting the sandbox forks, so the process must be single-threaded then (fork in a threaded
 * process hands the child whatever locks other threads held): hf_sandbox_acquire checks it
 * and declines (detection stays in-process) if it is not. HOLDFAST_SANDBOX=0 declines too. */
#ifndef HF_DETECT_SANDBOX_H
#define HF_DETECT_SANDBOX_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "detect/detect.h"

/* Takes a reference on the process's sandbox, starting it if needed. Returns 1 if detection
 * is to be sandboxed (then pair with hf_sandbox_release), 0 if it is to stay in-process
 * (HOLDFAST_SANDBOX=0, more than one thread and no zygote from hf_sandbox_prestart, no
 * seccomp, a fork that failed), or -ENOENT if the decoders or libmagic's database cannot be
 * loaded. */
int hf_sandbox_acquire(void);
/* Forks the zygote and returns without waiting for it (only while the process is
 * single-threaded; nothing otherwise): the next hf_sandbox_acquire takes it over and waits for
 * its report then, so that its start (opening the decoders, loading libmagic's database)
 * overlaps what the caller does in between. */
void hf_sandbox_prestart(void);
/* Drops the reference; the last one stops the workers and the zygote and reaps them. */
void hf_sandbox_release(void);
/* 1 while a sandbox runs (hf_detect_validate_as uses it then) */
int hf_sandbox_active(void);

/* libmagic's type for p[0..n) (n <= 4096) in a worker: an enum hf_ctype, HF_CT_UNKNOWN if the
 * worker failed */
int hf_sandbox_magic(const uint8_t *p, size_t n);
/* The validator of prof->type on p[0..n) in a worker: what hf_detect_validate_type returns
 * (and the fields it sets in *prof), or HF_VALID_UNCHECKED if the worker failed. */
int hf_sandbox_validate(const uint8_t *p, size_t n, struct hf_profile *prof);

/* For tests only: requests that misbehave inside a worker. */
enum hf_sandbox_selftest {
	HF_SANDBOX_TEST_OPEN = 1,  /* open("/etc/passwd"): the answer is the errno (the filter kills) */
	HF_SANDBOX_TEST_CRASH = 2, /* a null-pointer write */
	HF_SANDBOX_TEST_ABORT = 3, /* abort() */
	HF_SANDBOX_TEST_SPIN = 4,  /* an endless loop (the CPU limit ends it) */
};
/* Sends a self-test request. Returns the worker's answer (>= 0), or -EPIPE if the worker died
 * (and was replaced), -ETIMEDOUT, or -ENOSYS without a sandbox. */
int hf_sandbox_selftest(int kind);
/* hf_sandbox_validate, with the self-test `kind` done in the worker first */
int hf_sandbox_validate_selftest(int kind, const uint8_t *p, size_t n, struct hf_profile *prof);
/* The zygote's pid and the workers' (idle ones), for tests; returns how many went to pids. */
size_t hf_sandbox_pids(pid_t *pids, size_t max);
/* The per-request CPU limit in seconds (tests shorten it); returns the previous one. */
unsigned hf_sandbox_set_cpu_limit(unsigned seconds);

#endif
