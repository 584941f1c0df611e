/* test_sandbox.c — libmagic and the validators in sandboxed workers (lib/detect/sandbox.c):
 * the same profiles as in-process on the benign corpus (tests/detect/corpus.sh) and damaged
 * copies of it, from several threads at once; a worker cannot open a file; a worker that
 * crashes, aborts or spins gives HF_VALID_UNCHECKED and the next request works; nothing is
 * left behind (processes, zombies, descriptors) after hf_detect_free. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "detect/detect_int.h"
#include "detect/sandbox.h"
#include "t.h"

#define MAX_FILES 4096

struct sample {
	char *name;
	uint8_t *p;
	size_t n;
	struct hf_profile want; /* in-process */
};

static struct sample samples[MAX_FILES];
static size_t nsamples;
static struct hf_detect *inproc, *sandboxed;
static int fds_before;

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/* processes whose parent is this one */
static int count_children(void)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0;
	char path[300], line[256];

	if (!d)
		return -1;
	while ((e = readdir(d))) {
		FILE *f;
		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/status", e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		while (fgets(line, sizeof(line), f))
			if (strncmp(line, "PPid:", 5) == 0) {
				if (strtol(line + 5, NULL, 10) == (long)getpid())
					n++;
				break;
			}
		fclose(f);
	}
	closedir(d);
	return n;
}

static void add(const char *name, uint8_t *p, size_t n)
{
	if (nsamples == MAX_FILES) {
		free(p);
		return;
	}
	samples[nsamples].name = strdup(name);
	samples[nsamples].p = p;
	samples[nsamples].n = n;
	nsamples++;
}

static uint8_t *dup_mem(const uint8_t *p, size_t n)
{
	uint8_t *q = malloc(n ? n : 1);
	if (n)
		memcpy(q, p, n);
	return q;
}

static uint8_t *read_file(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	uint8_t *p;

	if (!f)
		return NULL;
	if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > (off_t)HF_DETECT_VALIDATE_MAX) {
		fclose(f);
		return NULL;
	}
	p = malloc((size_t)st.st_size + 1);
	*n = fread(p, 1, (size_t)st.st_size, f);
	fclose(f);
	return p;
}

/* each file, its first half, and a copy with a byte flipped in the middle */
static void add_tree(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[4096];

	if (!d)
		return;
	while ((e = readdir(d))) {
		struct stat st;
		uint8_t *p;
		size_t n;
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (lstat(path, &st) != 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			add_tree(path);
			continue;
		}
		if (!S_ISREG(st.st_mode) || !(p = read_file(path, &n)))
			continue;
		add(path, dup_mem(p, n / 2), n / 2);
		if (n > 0) {
			uint8_t *q = dup_mem(p, n);
			q[n / 2] ^= 0x5a;
			add(path, q, n);
		}
		add(path, p, n);
	}
	closedir(d);
}

static void add_random(void)
{
	uint64_t x = 0x9e3779b97f4a7c15ull;
	size_t n = 256 << 10;
	uint8_t *p = malloc(n);

	for (size_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		p[i] = (uint8_t)x;
	}
	add("random", p, n);
}

static int same(const struct hf_profile *a, const struct hf_profile *b)
{
	return memcmp(a, b, sizeof(*a)) == 0;
}

/* (1) the corpus and its damaged copies: every profile as in-process */
static void test_same_profiles(void)
{
	FILE *f = popen("tests/detect/corpus.sh 2>/dev/null", "r");
	char dir[4096] = "";
	int seen[HF_CT_MAX] = {0}, valid_seen[3] = {0};
	static const int want_types[] = {HF_CT_ZIP,  HF_CT_OOXML,  HF_CT_PDF,  HF_CT_PNG,
					 HF_CT_JPEG, HF_CT_SQLITE, HF_CT_GZIP, HF_CT_UNKNOWN};

	if (f) {
		if (!fgets(dir, sizeof(dir), f))
			dir[0] = 0;
		pclose(f);
		dir[strcspn(dir, "\n")] = 0;
	}
	T_CHECK(dir[0] != 0); /* the corpus needs scripts/deps.sh's python packages */
	if (dir[0])
		add_tree(dir);
	add_random();
	T_CHECK(nsamples > 100);
	T_CHECK(hf_sandbox_active());
	T_EQ(sandboxed->sandboxed, 1);
	T_EQ(inproc->sandboxed, 0);
	for (size_t i = 0; i < nsamples; i++) {
		struct sample *s = &samples[i];
		struct hf_profile got;
		int a, b, ca, cb;
		T_EQ(hf_detect_profile(inproc, s->p, s->n, &s->want), 0);
		T_EQ(hf_detect_profile(sandboxed, s->p, s->n, &got), 0);
		if (!same(&got, &s->want))
			fprintf(stderr, "%s (%zu bytes): type %u/%u valid %u/%u container %u/%u\n", s->name, s->n,
				got.type, s->want.type, got.valid, s->want.valid, got.encrypted_container,
				s->want.encrypted_container);
		T_CHECK(same(&got, &s->want));
		seen[s->want.type]++;
		valid_seen[s->want.valid]++;
		/* hf_detect_validate_as, sandboxed while a sandbox runs, against the validator here */
		if (s->want.type != HF_CT_TEXT) {
			struct hf_profile tmp;
			memset(&tmp, 0, sizeof(tmp));
			tmp.type = s->want.type;
			a = hf_detect_validate_as(s->p, s->n, s->want.type, &ca);
			b = hf_detect_validate_type(s->p, s->n, &tmp);
			cb = tmp.encrypted_container;
			T_EQ(a, b);
			T_EQ(ca, cb);
		}
	}
	for (size_t i = 0; i < sizeof(want_types) / sizeof(want_types[0]); i++) {
		if (!seen[want_types[i]])
			fprintf(stderr, "no %s file in the samples\n", hf_detect_type_name((unsigned)want_types[i]));
		T_CHECK(seen[want_types[i]] > 0);
	}
	/* damaged copies make the validators say no */
	T_CHECK(valid_seen[HF_VALID_YES] > 0 && valid_seen[HF_VALID_NO] > 0);
}

struct thread_arg {
	int mismatches;
};

static void *profile_all(void *arg)
{
	struct thread_arg *ta = arg;

	for (size_t i = 0; i < nsamples; i++) {
		struct hf_profile got;
		if (hf_detect_profile(sandboxed, samples[i].p, samples[i].n, &got) != 0 ||
		    !same(&got, &samples[i].want))
			ta->mismatches++;
	}
	return NULL;
}

/* several threads share the pool */
static void test_threads(void)
{
	pthread_t t[3];
	struct thread_arg a[3];
	pid_t pids[80];
	int started = 0;

	memset(a, 0, sizeof(a));
	for (int i = 0; i < 3; i++)
		if (pthread_create(&t[i], NULL, profile_all, &a[i]) == 0)
			started++;
	for (int i = 0; i < started; i++) {
		pthread_join(t[i], NULL);
		T_EQ(a[i].mismatches, 0);
	}
	T_EQ(started, 3);
	/* the zygote and at least one idle worker per thread that ran at once */
	T_CHECK(hf_sandbox_pids(pids, 80) >= 2);
}

/* (2) the filter: opening a file kills the worker (or fails with EPERM) */
static void test_no_open(void)
{
	int r = hf_sandbox_selftest(HF_SANDBOX_TEST_OPEN);

	if (r != -EPIPE && r != EPERM)
		fprintf(stderr, "open in a worker: %d\n", r);
	T_CHECK(r == -EPIPE || r == EPERM);
}

/* (3) a worker that crashes, aborts or spins: unchecked, and the next request works */
static void test_crash(void)
{
	static const int kinds[] = {HF_SANDBOX_TEST_CRASH, HF_SANDBOX_TEST_ABORT, HF_SANDBOX_TEST_SPIN};
	struct sample *s = NULL;
	unsigned old;

	for (size_t i = 0; i < nsamples && !s; i++)
		if (samples[i].want.type == HF_CT_PNG && samples[i].want.valid == HF_VALID_YES)
			s = &samples[i];
	T_CHECK(s != NULL);
	if (!s)
		return;
	old = hf_sandbox_set_cpu_limit(1);
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		struct hf_profile p, got;
		time_t t0 = time(NULL);
		memset(&p, 0, sizeof(p));
		p.type = HF_CT_PNG;
		T_EQ(hf_sandbox_validate_selftest(kinds[k], s->p, s->n, &p), HF_VALID_UNCHECKED);
		T_CHECK(time(NULL) - t0 < 30);
		T_EQ(hf_sandbox_selftest(kinds[k]), -EPIPE);
		/* the next request gets a fresh worker */
		T_EQ(hf_detect_profile(sandboxed, s->p, s->n, &got), 0);
		T_CHECK(same(&got, &s->want));
		T_EQ(got.valid, HF_VALID_YES);
	}
	hf_sandbox_set_cpu_limit(old);
}

/* a context made while other threads run stays in-process (fork is not safe then) */
static void *wait_flag(void *arg)
{
	volatile int *stop = arg;
	while (!*stop)
		usleep(1000);
	return NULL;
}

static void test_threaded_start(void)
{
	pthread_t t;
	volatile int stop = 0;
	struct hf_detect *d;
	pid_t pids[80];
	size_t before = hf_sandbox_pids(pids, 80);

	/* a second context shares the running sandbox, threads or not */
	T_EQ(pthread_create(&t, NULL, wait_flag, (void *)&stop), 0);
	d = hf_detect_new();
	T_CHECK(d && d->sandboxed);
	hf_detect_free(d);
	T_EQ(hf_sandbox_pids(pids, 80), before);
	stop = 1;
	pthread_join(t, NULL);
}

static void test_threaded_no_start(void)
{
	pthread_t t;
	volatile int stop = 0;
	struct hf_detect *d;

	T_CHECK(!hf_sandbox_active());
	T_EQ(pthread_create(&t, NULL, wait_flag, (void *)&stop), 0);
	d = hf_detect_new();
	T_CHECK(d && !d->sandboxed && d->magic);
	T_CHECK(!hf_sandbox_active());
	hf_detect_free(d);
	stop = 1;
	pthread_join(t, NULL);
}

/* (4) nothing left: the zygote and every worker gone, no zombie, no descriptor */
static void test_teardown(void)
{
	pid_t pids[80];
	size_t n = hf_sandbox_pids(pids, 80);

	T_CHECK(n >= 2);
	T_CHECK(count_fds() > fds_before); /* the zygote's socket, the workers' */
	T_CHECK(count_children() >= 1);    /* the zygote */
	hf_detect_free(sandboxed);
	sandboxed = NULL;
	hf_detect_free(inproc);
	inproc = NULL;
	T_CHECK(!hf_sandbox_active());
	T_EQ(count_children(), 0);
	for (size_t i = 0; i < n; i++) {
		errno = 0;
		T_CHECK(kill(pids[i], 0) != 0 && errno == ESRCH);
	}
	T_EQ(count_fds(), fds_before);
}

/* a zygote forked early is taken over by the next context, threads or not (without it a
 * threaded process stays in-process: test_threaded_no_start); none is forked while threaded */
static void test_prestart(void)
{
	pthread_t t;
	volatile int stop = 0;
	struct hf_detect *d;
	pid_t pids[80];
	int fds0 = count_fds(), r;

	T_CHECK(!hf_sandbox_active());
	hf_detect_prestart();
	T_EQ(count_children(), 1); /* forked, not yet heard from */
	T_CHECK(!hf_sandbox_active());
	T_EQ(pthread_create(&t, NULL, wait_flag, (void *)&stop), 0);
	hf_detect_prestart(); /* one is pending already */
	T_EQ(count_children(), 1);
	d = hf_detect_new();
	T_CHECK(d && d->sandboxed && hf_sandbox_active());
	T_CHECK(hf_sandbox_pids(pids, 80) >= 2);       /* the zygote and its warm worker */
	r = hf_sandbox_selftest(HF_SANDBOX_TEST_OPEN); /* locked down as ever */
	T_CHECK(r == -EPIPE || r == EPERM);
	hf_detect_free(d);
	T_CHECK(!hf_sandbox_active());
	T_EQ(count_children(), 0);
	T_EQ(count_fds(), fds0);
	hf_detect_prestart(); /* threaded now: nothing is forked */
	T_EQ(count_children(), 0);
	stop = 1;
	pthread_join(t, NULL);
}

static void test_disabled(void)
{
	struct hf_detect *d;

	setenv("HOLDFAST_SANDBOX", "0", 1);
	d = hf_detect_new();
	T_CHECK(d && !d->sandboxed && !hf_sandbox_active());
	T_EQ(count_children(), 0);
	hf_detect_free(d);
	unsetenv("HOLDFAST_SANDBOX");
}

int main(void)
{
	fds_before = count_fds();

	setenv("HOLDFAST_SANDBOX", "0", 1);
	inproc = hf_detect_new();
	unsetenv("HOLDFAST_SANDBOX");
	sandboxed = hf_detect_new();
	if (!inproc || !sandboxed) {
		fprintf(stderr, "hf_detect_new failed (libmagic database?)\n");
		return 1;
	}
	T_RUN(test_same_profiles);
	T_RUN(test_threads);
	T_RUN(test_no_open);
	T_RUN(test_crash);
	T_RUN(test_threaded_start);
	T_RUN(test_teardown);
	T_RUN(test_threaded_no_start);
	T_RUN(test_prestart);
	T_RUN(test_disabled);
	for (size_t i = 0; i < nsamples; i++) {
		free(samples[i].name);
		free(samples[i].p);
	}
	return T_DONE("test_sandbox");
}
