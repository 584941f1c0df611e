/* fuzz_shape.c — fuzz target for hf_shape_check (repo/shape.c), what the
 * repository server checks about every object a client sends before it
 * becomes visible. The first byte picks the kind, the rest is the object.
 *
 * Invariants: never a crash or a read outside the object; an object the
 * check passes is no larger than its kind's cap and, but for a config, at
 * least long enough for its framing. */
#include <string.h>

#include "fuzz_assert.h"
#include "repo/shape.h"
#include "store/store.h"

#define FUZZ_NAME "shape"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint32_t pack_size = 1u << 20;
	size_t n, nhead, ntail;
	int kind;

	if (size < 1)
		return 0;
	kind = data[0] % HF_OBJ_KINDS;
	data++;
	n = size - 1;
	nhead = n < HF_SHAPE_HEAD ? n : HF_SHAPE_HEAD;
	ntail = n < HF_SHAPE_TAIL ? n : HF_SHAPE_TAIL;
	if (hf_shape_check(kind, n, data, nhead, data + n - ntail, ntail, pack_size) == 0) {
		FUZZ_ASSERT(n <= hf_shape_max_size(kind, pack_size));
		FUZZ_ASSERT(n >= 8);
	}
	return 0;
}

#include "fuzz_main.h"
