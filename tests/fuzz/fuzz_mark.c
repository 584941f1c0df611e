/* fuzz_mark.c — fuzz target for hf_mark_decode, the payload of a mark object
 * (pin, unpin, scan verdict, forget record) behind its tag and AEAD. Marks decide what
 * forget keeps, and a write-only key can write them.
 *
 * Invariants: a failed decode leaves nothing to free (the struct is zeroed);
 * a decoded mark has kind pin, unpin, verdict or forgotten, a verdict in
 * range and 0 (with no changes) unless it is a verdict mark, a reason of at
 * most HF_MARK_REASON_MAX bytes without NUL; an unpin or verdict is not authorized by
 * decoding alone (only load checks the signature); it encodes back to
 * exactly the input bytes and decodes again to the same mark. */
#include <stdlib.h>
#include <string.h>

#include "fuzz_assert.h"
#include "repo/mark.h"
#include "repo/repo_internal.h"
#include "util/buf.h"

#define FUZZ_NAME "mark"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct hf_mark zero;
	struct hf_mark m, m2;
	struct hf_buf b;

	if (hf_mark_decode(data, size, &m) < 0) {
		FUZZ_ASSERT(memcmp(&m, &zero, sizeof(m)) == 0);
		return 0;
	}
	FUZZ_ASSERT(m.kind == HF_MARK_PIN || m.kind == HF_MARK_UNPIN || m.kind == HF_MARK_VERDICT ||
		    m.kind == HF_MARK_FORGOTTEN);
	FUZZ_ASSERT(m.authorized == (m.kind != HF_MARK_UNPIN && m.kind != HF_MARK_VERDICT)); /* signed kinds: once verified */
	if (m.kind == HF_MARK_VERDICT)
		FUZZ_ASSERT(m.verdict <= HF_MARK_VERDICT_ATTACK);
	else
		FUZZ_ASSERT(m.verdict == 0 && m.changes == 0);
	FUZZ_ASSERT(m.reason != NULL && strlen(m.reason) <= HF_MARK_REASON_MAX);
	FUZZ_ASSERT(strcmp(hf_mark_kind_name(m.kind), "?") != 0);

	hf_buf_init(&b, size + 64);
	FUZZ_ASSERT(hf_mark_encode(&m, &b) == 0);
	FUZZ_ASSERT(b.len == size && memcmp(b.data, data, size) == 0);
	FUZZ_ASSERT(hf_mark_decode(b.data, b.len, &m2) == 0);
	FUZZ_ASSERT(m2.time_ns == m.time_ns && memcmp(m2.snapshot, m.snapshot, HF_ID_LEN) == 0);
	FUZZ_ASSERT(m2.kind == m.kind && m2.verdict == m.verdict && m2.changes == m.changes);
	FUZZ_ASSERT(strcmp(m2.reason, m.reason) == 0 && memcmp(m2.sig, m.sig, HF_SIGN_LEN) == 0);
	hf_mark_release(&m2);
	hf_mark_release(&m);
	hf_buf_release(&b);
	return 0;
}

#include "fuzz_main.h"
