/* fuzz_assert.h — an invariant check for fuzz targets: a violation prints
 * where (and, in the corpus runner, which input file) and aborts, which
 * libFuzzer and the runner report as a crash with the input that caused it. */
#ifndef HF_FUZZ_ASSERT_H
#define HF_FUZZ_ASSERT_H

#include <stdio.h>
#include <stdlib.h>

/* set by the corpus runner to the file being run */
static const char *fuzz_input_name;

#define FUZZ_ASSERT(cond)                                                                          \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: invariant failed: %s%s%s\n", __FILE__, __LINE__, #cond, \
				fuzz_input_name ? " — input " : "", fuzz_input_name ? fuzz_input_name : ""); \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

#endif
