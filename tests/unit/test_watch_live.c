/* test_watch_live.c — the scan's rules on live bytes (lib/scan/live.c), as
 * the watcher calls them: a text turned to ciphertext or to base64 of
 * ciphertext, with the old version's bytes or only its profile; a normal
 * edit; a new random file; ransom wording. */
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "scan/live.h"
#include "scan/scan.h"
#include "t.h"

#define N 12000

static uint8_t text[N], edited[N], rnd[N], b64[N * 2];
static size_t nb64;

static void fill(void)
{
	static const char *words[] = {"the ", "backup ", "of ", "a ", "file ", "server ", "runs ", "nightly\n"};
	size_t n = 0;
	unsigned x = 1;
	static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

	while (n < N) {
		const char *w = words[(x = x * 1103515245 + 12345) >> 16 & 7];
		for (; *w && n < N; w++)
			text[n++] = (uint8_t)*w;
	}
	memcpy(edited, text, N);
	memcpy(edited + 100, "an edit of some words, as people make them\n", 43);
	hf_random(rnd, N);
	/* base64 of random bytes, with line breaks */
	for (size_t i = 0; i + 3 <= 9000; i += 3) {
		uint32_t v = (uint32_t)rnd[i] << 16 | (uint32_t)rnd[i + 1] << 8 | rnd[i + 2];
		for (int k = 3; k >= 0; k--)
			b64[nb64++] = (uint8_t)al[(v >> (6 * k)) & 63];
		if (i % 57 == 54)
			b64[nb64++] = '\n';
	}
}

static struct hf_scan_live_version ver(const uint8_t *d, size_t n)
{
	struct hf_scan_live_version v;

	memset(&v, 0, sizeof(v));
	v.size = n;
	v.data = d;
	v.n = n;
	return v;
}

static struct hf_detect *det;

static uint32_t judge(const uint8_t *o, size_t on, int old_bytes, const uint8_t *c, size_t cn)
{
	struct hf_scan_live *l = hf_scan_live_new(det);
	struct hf_scan_live_version old = ver(o, on), cur = ver(c, cn);
	uint32_t rs = 0;

	if (o && !old_bytes) { /* only a profile, as the watcher keeps of larger files */
		T_EQ(hf_scan_live_profile(l, o, on, on, &old.profile), 0);
		old.has_profile = 1;
		old.data = NULL;
		old.n = 0;
	}
	T_EQ(hf_scan_live_judge(l, o ? &old : NULL, &cur, 0, &rs), 0);
	hf_scan_live_free(l);
	return rs;
}

static void test_text_to_ciphertext(void)
{
	uint32_t enc = hf_scan_live_encrypting();

	T_CHECK(judge(text, N, 1, rnd, N) & enc);
	T_CHECK(judge(text, N, 0, rnd, N) & enc);
	T_CHECK(judge(text, N, 1, rnd, N) & (HF_REASON_RANDOM_BLOCKS | HF_REASON_TYPE_CHANGED));
}

static void test_text_to_base64(void)
{
	T_CHECK(judge(text, 9000, 1, b64, nb64) & HF_REASON_ENCODED_RANDOM);
	T_CHECK(judge(text, 9000, 0, b64, nb64) & HF_REASON_ENCODED_RANDOM);
}

static void test_edit_is_clean(void)
{
	T_EQ(judge(text, N, 1, edited, N), 0);
	T_EQ(judge(text, N, 0, edited, N), 0);
	T_EQ(judge(NULL, 0, 0, text, N), 0); /* a new text file */
}

static void test_new_random_file(void)
{
	T_CHECK(judge(NULL, 0, 0, rnd, N) & HF_REASON_RANDOM_CONTENT);
}

static void test_note(void)
{
	static const char note[] = "All your files are encrypted.\nTo decrypt them send 0.1 bitcoin to the "
				   "address below, then write to us at "
				   "abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrstuvwx.onion\n";
	static const char readme[] = "This package provides a backup tool. See the manual.\n";

	/* the strong hint only in words: Tor Browser */
	static const char tor_note[] = "Your documents were encrypted. Install the Tor Browser to decrypt them.\n";
	/* weak hints alone, and a strong one alone, are no note for the watcher */
	static const char weak_only[] = "Your files are encrypted; to decrypt them, pay in bitcoin. Ransom.\n";
	static const char onion_only[] = "mirror: abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrstuvwx.onion\n";

	T_EQ(hf_scan_live_note((const uint8_t *)note, sizeof(note) - 1), 1);
	T_EQ(hf_scan_live_note((const uint8_t *)readme, sizeof(readme) - 1), 0);
	T_EQ(hf_scan_live_note((const uint8_t *)tor_note, sizeof(tor_note) - 1), 1);
	T_EQ(hf_scan_live_note((const uint8_t *)weak_only, sizeof(weak_only) - 1), 0);
	T_EQ(hf_scan_live_note((const uint8_t *)onion_only, sizeof(onion_only) - 1), 0);
}

int main(void)
{
	fill();
	det = hf_detect_new();
	T_CHECK(det != NULL);
	if (det) {
		T_RUN(test_text_to_ciphertext);
		T_RUN(test_text_to_base64);
		T_RUN(test_edit_is_clean);
		T_RUN(test_new_random_file);
		T_RUN(test_note);
	}
	hf_detect_free(det);
	return T_DONE("test_watch_live");
}
