/* fuzz_receipt.c — fuzz target for hf_receipt_decode (server/receipt.c), the
 * parser of the server's records of who sent each object and when.
 *
 * Invariants: never a crash or a read outside the input; a receipt that
 * decodes encodes again to exactly the same bytes (one text per receipt). */
#include <string.h>

#include "fuzz_assert.h"
#include "server/receipt.h"

#define FUZZ_NAME "receipt"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hf_receipt rc;
	struct hf_buf b;

	if (hf_receipt_decode(data, size, &rc) < 0)
		return 0;
	hf_buf_init(&b, HF_RECEIPT_MAX);
	FUZZ_ASSERT(hf_receipt_encode(&rc, &b) == 0);
	FUZZ_ASSERT(b.len == size && memcmp(b.data, data, size) == 0);
	hf_buf_release(&b);
	return 0;
}

#include "fuzz_main.h"
