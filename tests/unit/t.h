/* t.h — the in-tree unit-test harness.
 *
 * A test file defines `static void test_x(void)` functions and a main() that
 * calls T_RUN(test_x) for each, then returns T_DONE(). Checks never abort the
 * binary; each failed check prints file:line and marks the current test
 * failed. The last line printed is "<binary>: N passed, N failed", which
 * tests/run.sh adds up. */
#ifndef HF_TESTS_T_H
#define HF_TESTS_T_H

#include <stdio.h>
#include <string.h>

static int t_failed_checks;
static int t_passed, t_failed;

#define T_CHECK(cond)                                                                            \
	do {                                                                                     \
		if (!(cond)) {                                                                   \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
			t_failed_checks++;                                                       \
		}                                                                                \
	} while (0)

#define T_EQ(a, b)                                                                                                    \
	do {                                                                                                          \
		long long t_a_ = (long long)(a), t_b_ = (long long)(b);                                               \
		if (t_a_ != t_b_) {                                                                                   \
			fprintf(stderr, "%s:%d: %s == %lld, expected %s == %lld\n", __FILE__, __LINE__, #a, t_a_, #b, \
				t_b_);                                                                                \
			t_failed_checks++;                                                                            \
		}                                                                                                     \
	} while (0)

#define T_MEMEQ(a, b, n) T_CHECK(memcmp((a), (b), (n)) == 0)

#define T_RUN(fn)                                          \
	do {                                               \
		int t_before_ = t_failed_checks;           \
		fn();                                      \
		if (t_failed_checks == t_before_) {        \
			t_passed++;                        \
		} else {                                   \
			t_failed++;                        \
			fprintf(stderr, "FAIL %s\n", #fn); \
		}                                          \
	} while (0)

#define T_DONE(name) (printf("%s: %d passed, %d failed\n", (name), t_passed, t_failed), t_failed ? 1 : 0)

#endif
