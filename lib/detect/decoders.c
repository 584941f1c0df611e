/* decoders.c — finds the table of decoders (decoders.h): the copy linked into this program, or
 * holdfast-decoders.so opened once.
 *
 * The file is opened first and checked through its descriptor (owned by root or by us, written
 * by nobody else), then given to the dynamic linker as /proc/self/fd/N, so the file checked is
 * the one loaded. RTLD_NOW: every symbol is bound here, before a sandbox's filter forbids what
 * lazy binding might do. */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "detect/decoders.h"

/* defined by lib/decoders/table.c, when a program links it */
extern const struct hf_decoders hf_decoders_table __attribute__((weak));

static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static const struct hf_decoders *g_table;
static char g_error[2 * PATH_MAX + 256];

/* opens path if it is a file only root or we may write; -errno, or -EPERM with the reason set */
static int open_checked(const char *path)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (st.st_uid != 0 && st.st_uid != geteuid()) ||
	    (st.st_mode & (S_IWGRP | S_IWOTH))) {
		snprintf(g_error, sizeof(g_error), "%s is not a file that only root or this user may write: not loaded",
			 path);
		close(fd);
		return -EPERM;
	}
	return fd;
}

static void load(void)
{
	static const char *const beside[] = {"/" HF_DECODERS_FILE, "/../lib/holdfast/" HF_DECODERS_FILE};
	char exe[PATH_MAX], path[PATH_MAX + 64], fdpath[64];
	const struct hf_decoders *t;
	ssize_t k;
	char *slash;
	void *h;
	int fd = -ENOENT;

	if (&hf_decoders_table != NULL) {
		g_table = &hf_decoders_table;
		return;
	}
	k = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (k <= 0 || !(exe[k] = '\0', slash = strrchr(exe, '/'))) {
		snprintf(g_error, sizeof(g_error), "cannot find this executable's directory (/proc/self/exe)");
		return;
	}
	*slash = '\0';
	for (size_t i = 0; i < sizeof(beside) / sizeof(beside[0]) && fd == -ENOENT; i++) {
		snprintf(path, sizeof(path), "%s%s", exe, beside[i]);
		fd = open_checked(path);
	}
	if (fd < 0) {
		if (fd != -EPERM)
			snprintf(g_error, sizeof(g_error), "%s%s or %s%s: %s", exe, beside[0], exe, beside[1],
				 strerror(-fd));
		return;
	}
	snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", fd);
	h = dlopen(fdpath, RTLD_NOW | RTLD_LOCAL);
	close(fd);
	if (!h) {
		snprintf(g_error, sizeof(g_error), "%s: %s", path, dlerror());
		return;
	}
	t = dlsym(h, "hf_decoders_table");
	if (!t || t->abi != HF_DECODERS_ABI) {
		snprintf(g_error, sizeof(g_error), "%s: %s", path,
			 t ? "built for another version of holdfast" : "no table of decoders in it");
		dlclose(h);
		return;
	}
	g_table = t; /* kept open for the life of the process */
}

const struct hf_decoders *hf_decoders(void)
{
	pthread_once(&g_once, load);
	return g_table;
}

const char *hf_decoders_error(void)
{
	pthread_once(&g_once, load);
	return g_table ? "" : g_error;
}
