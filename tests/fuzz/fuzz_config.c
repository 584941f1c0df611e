/* fuzz_config.c — fuzz target for hf_config_decode (the config object is
 * plain text anyone with access to the repository can change).
 *
 * Invariants: whatever decodes has today's version and parameters in range, and
 * survives an encode → decode round trip unchanged. */
#include <string.h>

#include "fuzz_assert.h"
#include "repo/repo_internal.h"
#include "util/buf.h"

#define FUZZ_NAME "config"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hf_repo_config c, c2;
	uint8_t pk[HF_PK_LEN] = {0};
	struct hf_buf b;

	if (hf_config_decode(data, size, &c) < 0)
		return 0;
	FUZZ_ASSERT(c.version == HF_REPO_VERSION);
	FUZZ_ASSERT(c.pack_size >= (1u << 20) && c.pack_size <= (256u << 20));
	FUZZ_ASSERT(c.zlevel >= -5 && c.zlevel <= 19);
	hf_buf_init(&b, 4096);
	FUZZ_ASSERT(hf_config_encode(&c, pk, &b) == 0);
	FUZZ_ASSERT(hf_config_decode(b.data, b.len, &c2) == 0);
	FUZZ_ASSERT(c2.version == c.version && memcmp(c2.id, c.id, HF_ID_LEN) == 0);
	FUZZ_ASSERT(c2.chunk_min == c.chunk_min && c2.chunk_avg == c.chunk_avg && c2.chunk_max == c.chunk_max);
	FUZZ_ASSERT(c2.pack_size == c.pack_size && c2.zlevel == c.zlevel);
	FUZZ_ASSERT(memcmp(c2.delete_key, c.delete_key, HF_SIGN_PK_LEN) == 0);
	hf_buf_release(&b);
	return 0;
}

#include "fuzz_main.h"
