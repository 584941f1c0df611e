/* clock.c — see clock.h. */
#include <time.h>

#include "util/clock.h"

int64_t hf_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}
