/* banned.h — C library functions holdfast does not use, made compile errors.
 *
 * Each one has a safer replacement that the code uses instead:
 *   atoi            no error detection: strtol/strtoul with an end pointer and a
 *                   range check (src/cli.c: cli_parse_uint)
 *   strcpy, strcat  unbounded: snprintf, memcpy with a known length, struct hf_buf
 *   sprintf,        unbounded: snprintf / vsnprintf (and check the result)
 *   vsprintf
 *   gets            unbounded by design: fgets, getline
 *   strtok          hidden global state, not thread-safe: strtok_r
 *   mktemp, tmpnam  name races: mkstemp, mkdtemp, O_TMPFILE
 *
 * How: the Makefile force-includes this file before every source of lib/, src/
 * and tests/unit (-include lib/util/banned.h). It first includes the system
 * headers that declare these functions (their include guards make the .c file's
 * own #includes of them no-ops), then poisons the names: any later appearance
 * of one is a hard error ("attempt to use poisoned"). Poisoning, rather than
 * git's redefining macros, works whatever order a file includes its headers in,
 * and it leaves glibc's own declarations and fortify wrappers alone.
 *
 * Not poisoned: strncpy (it does not terminate on truncation; use snprintf or
 * memcpy), because libjpeg's <jerror.h> defines macros that call it and a
 * poisoned name in a macro defined after the #pragma is an error even in a
 * system header. The tree has no strncpy; review keeps it that way. */
#ifndef HF_UTIL_BANNED_H
#define HF_UTIL_BANNED_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#pragma GCC poison atoi strcpy strcat sprintf vsprintf gets strtok mktemp tmpnam

#endif
