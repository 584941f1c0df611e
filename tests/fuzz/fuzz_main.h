/* fuzz_main.h — the corpus regression runner shared by the fuzz targets.
 *
 * A target defines LLVMFuzzerTestOneInput() and FUZZ_NAME, then includes this
 * file. Built with -DHF_LIBFUZZER, libFuzzer supplies main(); built without
 * it, this main() runs every file of the directories (or files) named on the
 * command line — by default tests/fuzz/corpus/<FUZZ_NAME>/ — through the
 * target, each from a malloc'd buffer of exactly its size so that a
 * sanitizer sees any read past the end. A bad input aborts; otherwise the
 * last line is "<name>: N passed, 0 failed", as tests/run.sh expects. */
#ifndef HF_FUZZ_MAIN_H
#define HF_FUZZ_MAIN_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#ifndef HF_LIBFUZZER
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#if defined(__has_include)
#if __has_include(<sanitizer/common_interface_defs.h>)
#include <sanitizer/common_interface_defs.h>
#define FUZZ_HAVE_DEATH_CALLBACK 1
#endif
#endif

#include "fuzz_assert.h"

#ifndef FUZZ_CORPUS_DIR
#define FUZZ_CORPUS_DIR "tests/fuzz/corpus/" FUZZ_NAME
#endif

static int fuzz_run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *p = NULL;
	long n;

	if (!f) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
		fclose(f);
		return -1;
	}
	p = malloc(n ? (size_t)n : 1);
	if (!p || (n && fread(p, 1, (size_t)n, f) != (size_t)n)) {
		free(p);
		fclose(f);
		return -1;
	}
	fclose(f);
	fuzz_input_name = path;
	LLVMFuzzerTestOneInput(n ? p : NULL, (size_t)n);
	fuzz_input_name = NULL;
	free(p);
	return 0;
}

#ifdef FUZZ_HAVE_DEATH_CALLBACK
/* a sanitizer report names the input it came from */
static void fuzz_on_death(void)
{
	if (fuzz_input_name)
		fprintf(stderr, "fuzz_%s: while running %s\n", FUZZ_NAME, fuzz_input_name);
}
#endif

/* runs path (a file, or every regular file of a directory); returns the
 * number of inputs run or -1 */
static int fuzz_run_path(const char *path)
{
	struct stat st;
	struct dirent *de;
	DIR *d;
	int count = 0;

	if (stat(path, &st) < 0) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return fuzz_run_file(path) < 0 ? -1 : 1;
	d = opendir(path);
	if (!d)
		return -1;
	while ((de = readdir(d)) != NULL) {
		char sub[4096];
		if (de->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
		if (stat(sub, &st) < 0 || !S_ISREG(st.st_mode))
			continue;
		if (fuzz_run_file(sub) < 0) {
			closedir(d);
			return -1;
		}
		count++;
	}
	closedir(d);
	return count;
}

int main(int argc, char **argv)
{
	int total = 0, failed = 0;

#ifdef FUZZ_HAVE_DEATH_CALLBACK
	__sanitizer_set_death_callback(fuzz_on_death);
#endif
	if (argc < 2) {
		int n = fuzz_run_path(FUZZ_CORPUS_DIR);
		if (n < 0)
			failed++;
		else
			total += n;
	}
	for (int i = 1; i < argc; i++) {
		int n = fuzz_run_path(argv[i]);
		if (n < 0)
			failed++;
		else
			total += n;
	}
	printf("fuzz_%s: %d passed, %d failed\n", FUZZ_NAME, total, failed);
	return failed ? 1 : 0;
}
#endif /* HF_LIBFUZZER */

#endif
