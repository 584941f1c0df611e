/* fuzz_detect.c — fuzz target for the format validators of lib/detect, which
 * every backed-up file passes through in-process (libzip, qpdf, libpng,
 * libjpeg, SQLite, zlib, liblzma, libzstd, libbz2, and our own OpenPGP, age
 * and 7z recognisers).
 *
 * The first byte picks the type the rest is validated as (so one target
 * reaches every validator whatever the file's start says); stream types are
 * also decoded through the sink, and every input goes through the text test.
 *
 * Invariants: a validator answers one of its three verdicts (or -ENOMEM);
 * a container flag is 0 or 1; the decoded stream never exceeds its cap. */
#include <errno.h>
#include <string.h>

#include "detect/detect.h"
#include "fuzz_assert.h"

#define FUZZ_NAME "detect"

static void count(void *arg, const uint8_t *p, size_t n)
{
	(void)p;
	*(size_t *)arg += n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned type;
	size_t decoded = 0;
	int container = -1, v;

	if (size < 1)
		return 0;
	type = data[0] % HF_CT_MAX;
	data++;
	size--;
	v = hf_detect_validate_as(data, size, type, &container);
	FUZZ_ASSERT(v == HF_VALID_NO || v == HF_VALID_YES || v == HF_VALID_UNCHECKED || v == -ENOMEM);
	FUZZ_ASSERT(v < 0 || container == 0 || container == 1);
	if (hf_detect_stream_type(type)) {
		v = hf_detect_decode_stream(data, size, type, count, &decoded);
		FUZZ_ASSERT(v == HF_VALID_NO || v == HF_VALID_YES || v == HF_VALID_UNCHECKED || v == -ENOMEM);
		FUZZ_ASSERT(decoded <= HF_DETECT_OUTPUT_MAX + (1u << 20));
	}
	v = hf_detect_utf8_text(data, size);
	FUZZ_ASSERT(v == 0 || v == 1);
	return 0;
}

#include "fuzz_main.h"
