/* pin.c — pinning and unpinning a snapshot: one mark object each, written
 * only when the snapshot is not already in the wanted state, and dated after
 * the snapshot's latest pin or unpin, so that the user's last word counts even
 * when an earlier mark carries a time ahead of this clock (FORMAT.md, Marks). */
#include <stdint.h>
#include <string.h>

#include "engine/engine.h"
#include "repo/mark.h"
#include "util/err.h"

int hf_pin_set(struct hf_repo *r, const uint8_t snapshot[HF_ID_LEN], int kind, const char *reason, int64_t now_ns,
	       struct hf_pin_result *res)
{
	struct hf_mark *marks = NULL, m = {0};
	struct hf_session *ses = NULL;
	const struct hf_mark *state;
	size_t nmarks = 0;
	int ret;

	memset(res, 0, sizeof(*res));
	if (kind != HF_MARK_PIN && kind != HF_MARK_UNPIN)
		return -HF_E_USAGE;
	ret = hf_mark_list(r, &marks, &nmarks, &res->bad_marks);
	if (ret < 0)
		return ret;
	/* with unreadable marks the state may be wrong: write the mark anyway */
	if (!res->bad_marks && hf_marks_pinned(marks, nmarks, snapshot) == (kind == HF_MARK_PIN))
		goto out;
	m.kind = (uint8_t)kind;
	memcpy(m.snapshot, snapshot, HF_ID_LEN);
	m.reason = (char *)reason;
	m.time_ns = now_ns;
	state = hf_marks_pin_state(marks, nmarks, snapshot);
	if (state && state->time_ns >= m.time_ns) {
		if (state->time_ns == INT64_MAX && kind == HF_MARK_UNPIN) {
			ret = -HF_E_LIMIT; /* its last pin is dated at the end of time */
			goto out;
		}
		/* at INT64_MAX a pin ties, and a tie goes to the pin */
		m.time_ns = state->time_ns < INT64_MAX ? state->time_ns + 1 : INT64_MAX;
	}
	ret = hf_session_new(r, &ses);
	if (ret == 0)
		ret = hf_mark_write(r, ses, &m);
	res->written = ret == 0;
out:
	hf_session_free(ses);
	hf_mark_list_free(marks, nmarks);
	return ret;
}
