/* clock.h — the monotonic clock in nanoseconds, for timeouts and intervals. */
#ifndef HF_UTIL_CLOCK_H
#define HF_UTIL_CLOCK_H

#include <stdint.h>

int64_t hf_mono_ns(void); /* CLOCK_MONOTONIC */

#endif
