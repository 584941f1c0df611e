/* test_scan_wave.c — small files judged by the wave of their new extension
 * (lib/scan/scan_ext.c).
 *
 * Six text files are encrypted and renamed NAME.locked: a wave. Small files
 * renamed the same way with random bytes inside must be judged encrypted by
 * that wave, whatever libmagic guesses from a few random bytes: a random
 * file of a few hundred bytes is typed by some weak signature about one time
 * in fifteen (an MPEG audio frame header, a DOS .COM jump), and such a guess
 * says nothing (the CI run that found this: a ccrypt-encrypted time zone
 * file of 231 bytes, missed). A small file that decodes completely as its
 * type (a gzip) is judged on its content alone, and a small file given a new
 * extension outside any wave stays clean. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "crypto/crypto.h"
#include "scan_fixture.h"
#include "util/err.h"
#include "util/hex.h"

#define PASS "scan wave test passphrase"
#define WAVE_FILES 6

static struct hf_snapshot g_snap[2];
static int g_nsnap;
static uint64_t g_seed = 0x5eed;

static void fill_random(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t z = (g_seed += 0x9e3779b97f4a7c15ULL);
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
		p[i] = (uint8_t)(z ^ (z >> 31));
	}
}

/* n random bytes after the given first bytes, written to rel */
static int put_random_after(const char *rel, const uint8_t *head, size_t nhead, size_t n)
{
	uint8_t buf[4096];

	if (n > sizeof(buf) || nhead > n)
		return -1;
	if (nhead)
		memcpy(buf, head, nhead);
	fill_random(buf + nhead, n - nhead);
	return put_file(rel, buf, n);
}

/* a few KiB of text */
static int put_text(const char *rel, unsigned seed)
{
	char buf[4096];
	size_t n = 0;

	for (unsigned i = 0; i < 60; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "minutes of meeting %u, item %u: budget\n", seed, i);
	return put_file(rel, buf, n);
}

/* a small binary file of a type libmagic knows (a time zone file's header) */
static int put_tzif(const char *rel)
{
	uint8_t buf[199] = "TZif2";

	for (size_t i = 44; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 7);
	return put_file(rel, buf, sizeof(buf));
}

/* a valid gzip of a short text */
static int put_gzip(const char *rel)
{
	static const char text[] = "a short note, compressed\n";
	uint8_t out[256];
	z_stream z;
	int r;

	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, 9, Z_DEFLATED, 16 + 15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -1;
	z.next_in = (Bytef *)text;
	z.avail_in = sizeof(text) - 1;
	z.next_out = out;
	z.avail_out = sizeof(out);
	r = deflate(&z, Z_FINISH);
	deflateEnd(&z);
	return r == Z_STREAM_END ? put_file(rel, out, sizeof(out) - z.avail_out) : -1;
}

static int backup(void)
{
	char *paths[1] = {g_data}, hex[HF_ID_HEX_LEN + 1];
	struct hf_backup_opts o = {.paths = paths, .npaths = 1, .host = "h", .user = "u", .threads = 2};
	struct hf_backup_stats st;
	int r = hf_backup(g_repo, &o, &st);

	if (r == 0)
		r = hf_repo_load_index(g_repo, NULL, NULL, NULL);
	hf_hex_encode(st.snapshot, HF_ID_LEN, hex);
	if (r == 0)
		r = hf_snapshot_load(g_repo, hex, &g_snap[g_nsnap]);
	if (r == 0)
		g_nsnap++;
	return r;
}

static const struct hf_scan_file *find(const struct hf_scan_result *res, const char *rel)
{
	char path[512];

	data_path(path, sizeof(path), rel);
	for (size_t i = 0; i < res->nfiles; i++)
		if (strcmp(res->files[i].path, path) == 0)
			return &res->files[i];
	return NULL;
}

static int verdict(const struct hf_scan_result *res, const char *rel)
{
	const struct hf_scan_file *f = find(res, rel);

	if (!f)
		fprintf(stderr, "  %s: not in the scan\n", rel);
	return f ? (int)f->verdict : -1;
}

static int by_wave(const struct hf_scan_result *res, const char *rel)
{
	const struct hf_scan_file *f = find(res, rel);

	return f && (f->reasons & HF_REASON_WAVE_EXTENSION);
}

static void test_wave(void)
{
	static const uint8_t mpeg[] = {0xff, 0xfb, 0x2a, 0x3e}; /* libmagic: audio/mpeg */
	static const uint8_t com[] = {0xb8};                    /* libmagic: a DOS .COM program */
	struct hf_scan_result res;
	char rel[64], locked[80];
	int r = 0;

	for (int i = 0; i < WAVE_FILES; i++) {
		snprintf(rel, sizeof(rel), "docs/minutes-%d.txt", i);
		r |= put_text(rel, (unsigned)i);
	}
	r |= put_tzif("bin/zone");
	r |= put_tzif("bin/zone2");
	r |= put_tzif("bin/zone3");
	r |= put_text("bin/note", 99);
	r |= put_tzif("keep/settings");
	T_EQ(r, 0);
	T_EQ(backup(), 0);

	/* the attack: every file replaced by random bytes under NAME.locked */
	for (int i = 0; i < WAVE_FILES; i++) {
		snprintf(rel, sizeof(rel), "docs/minutes-%d.txt", i);
		snprintf(locked, sizeof(locked), "%s.locked", rel);
		r |= put_random_after(locked, NULL, 0, 2400 + (size_t)i);
		r |= remove_file(rel);
	}
	r |= put_random_after("bin/zone.locked", NULL, 0, 231);
	r |= put_random_after("bin/zone2.locked", mpeg, sizeof(mpeg), 231);
	r |= put_random_after("bin/zone3.locked", com, sizeof(com), 231);
	r |= remove_file("bin/zone") | remove_file("bin/zone2") | remove_file("bin/zone3");
	/* a valid gzip in the wave's extension: its content says what it is */
	r |= put_gzip("bin/note.locked");
	r |= remove_file("bin/note");
	/* outside the wave: a new extension, random bytes, nothing deleted */
	r |= put_random_after("keep/settings.bak", NULL, 0, 200);
	T_EQ(r, 0);
	T_EQ(backup(), 0);
	if (g_nsnap != 2)
		return;

	T_EQ(hf_scan(g_repo, &g_snap[1], &g_snap[0], &res), 0);
	for (int i = 0; i < WAVE_FILES; i++) {
		snprintf(locked, sizeof(locked), "docs/minutes-%d.txt.locked", i);
		T_EQ(verdict(&res, locked), HF_FILE_ENCRYPTED);
	}
	T_EQ(verdict(&res, "bin/zone.locked"), HF_FILE_ENCRYPTED);
	T_CHECK(by_wave(&res, "bin/zone.locked"));
	/* typed by a weak signature: the wave decides all the same */
	T_EQ(verdict(&res, "bin/zone2.locked"), HF_FILE_ENCRYPTED);
	T_CHECK(by_wave(&res, "bin/zone2.locked"));
	T_EQ(verdict(&res, "bin/zone3.locked"), HF_FILE_ENCRYPTED);
	T_CHECK(by_wave(&res, "bin/zone3.locked"));
	T_EQ(verdict(&res, "bin/note.locked"), HF_FILE_CLEAN);
	T_EQ(verdict(&res, "keep/settings.bak"), HF_FILE_CLEAN);
	hf_scan_result_release(&res);
}

int main(void)
{
	char path[512];

	if (hf_crypto_init() < 0) {
		printf("test_scan_wave: 0 passed, 1 failed\n");
		return 1;
	}
	umask(022);
	snprintf(g_base, sizeof(g_base), "/tmp/hf-test-scan-wave.XXXXXX");
	if (!mkdtemp(g_base)) {
		printf("test_scan_wave: 0 passed, 1 failed\n");
		return 1;
	}
	snprintf(g_data, sizeof(g_data), "%s/data", g_base);
	snprintf(path, sizeof(path), "%s/repo", g_base);
	if (mkdir(g_data, 0755) < 0 || create_repo(path, PASS) < 0) {
		printf("test_scan_wave: 0 passed, 1 failed\n");
		return 1;
	}
	T_RUN(test_wave);
	for (int i = 0; i < g_nsnap; i++)
		hf_snapshot_release(&g_snap[i]);
	hf_repo_close(g_repo);
	nftw(g_base, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return T_DONE("test_scan_wave");
}
