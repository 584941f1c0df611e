/* test_watch_score.c — the watcher's per-process scores (lib/watch/score.c),
 * fed synthetic facts: who crosses the threshold and when, one process per
 * file attributed to its group or session, benign work never, the window,
 * the caps. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "t.h"
#include "watch/watch.h"

#define SEC 1000000000LL

static struct hf_watch_fact fact(int kind, pid_t pid, pid_t pgid, pid_t sid, int64_t t, const char *path)
{
	struct hf_watch_fact f;

	memset(&f, 0, sizeof(f));
	f.kind = kind;
	f.who.pid = pid;
	f.who.pgid = pgid;
	f.who.sid = sid;
	f.who.ppid = pgid;
	f.t_ns = t;
	f.path = path;
	return f;
}

static struct hf_watch_hit hit;

static void test_three_encrypted_by_one_process(void)
{
	struct hf_watch_score *s = hf_watch_score_new(NULL);
	struct hf_watch_fact f;

	f = fact(HF_WATCH_ENCRYPTED, 100, 100, 50, 1 * SEC, "/d/a");
	T_EQ(hf_watch_score_add(s, &f, &hit), 0);
	f = fact(HF_WATCH_ENCRYPTED, 100, 100, 50, 2 * SEC, "/d/b");
	T_EQ(hf_watch_score_add(s, &f, &hit), 0);
	f = fact(HF_WATCH_ENCRYPTED, 100, 100, 50, 3 * SEC, "/d/c");
	T_EQ(hf_watch_score_add(s, &f, &hit), 1);
	T_EQ(hit.by, HF_WATCH_BY_PID); /* the narrowest actor */
	T_EQ(hit.id, 100);
	T_EQ(hit.encrypted, 3);
	T_EQ(hit.nfiles, 3);
	T_CHECK(strcmp(hit.files[0].path, "/d/a") == 0 && strcmp(hit.files[2].path, "/d/c") == 0);
	T_EQ(hit.first_ns, 1 * SEC);
	T_EQ(hit.last_ns, 3 * SEC);
	/* reported once: a fourth file crosses nothing new */
	f = fact(HF_WATCH_ENCRYPTED, 100, 100, 50, 4 * SEC, "/d/d");
	T_EQ(hf_watch_score_add(s, &f, &hit), 0);
	hf_watch_score_free(s);
}

/* xargs -P: each file by its own short-lived process, all in one group */
static void test_one_process_per_file_adds_up_in_the_group(void)
{
	struct hf_watch_score *s = hf_watch_score_new(NULL);
	int crossed = 0, at = 0;

	for (int i = 0; i < 10 && !crossed; i++) {
		char path[16];
		snprintf(path, sizeof(path), "/d/x%d", i);
		struct hf_watch_fact f = fact(HF_WATCH_ENCRYPTED, 200 + i, 199, 199, i * SEC, path);
		crossed = hf_watch_score_add(s, &f, &hit);
		at = i + 1;
	}
	T_EQ(crossed, 1);
	T_EQ(at, 3);
	T_EQ(hit.by, HF_WATCH_BY_PGID);
	T_EQ(hit.id, 199);
	T_EQ(hit.last.pid, 202);
	hf_watch_score_free(s);
}

/* each file from a process group of its own (setsid per file is rare, a
 * new group per file is not: a shell with job control) */
static void test_groups_of_one_session_add_up(void)
{
	struct hf_watch_score *s = hf_watch_score_new(NULL);
	int crossed = 0, at = 0;

	for (int i = 0; i < 10 && !crossed; i++) {
		char path[16];
		snprintf(path, sizeof(path), "/d/y%d", i);
		struct hf_watch_fact f = fact(HF_WATCH_ENCRYPTED, 300 + i, 300 + i, 290, i * SEC, path);
		crossed = hf_watch_score_add(s, &f, &hit);
		at = i + 1;
	}
	T_EQ(crossed, 1);
	T_EQ(at, 3);
	T_EQ(hit.by, HF_WATCH_BY_SID);
	T_EQ(hit.id, 290);
	hf_watch_score_free(s);
}

/* encrypt to a copy, then delete the original: a pair is one file lost */
static void test_copy_then_delete(void)
{
	struct hf_watch_score *s = hf_watch_score_new(NULL);
	char copy[32], orig[32];
	int crossed = 0, pairs = 0;

	for (int i = 0; i < 10 && !crossed; i++) {
		struct hf_watch_fact f;
		snprintf(orig, sizeof(orig), "/d/f%d.txt", i);
		snprintf(copy, sizeof(copy), "/d/f%d.txt.enc", i);
		/* written while the original is still beside it: worth nothing yet */
		f = fact(HF_WATCH_KEPT, 400 + 2 * i, 400, 400, i * SEC, copy);
		T_EQ(hf_watch_score_add(s, &f, &hit), 0);
		f = fact(HF_WATCH_DELETED, 401 + 2 * i, 400, 400, i * SEC + 1, orig);
		T_EQ(hf_watch_score_wrote_copy(s, &f.who, orig, 0, f.t_ns), HF_WATCH_KEPT);
		f.kind = HF_WATCH_ORIGINAL_GONE;
		f.copy_kept = 1;
		crossed = hf_watch_score_add(s, &f, &hit);
		pairs = i + 1;
	}
	T_EQ(crossed, 1);
	T_EQ(pairs, 3);
	T_EQ(hit.originals_gone, 3);
	/* same stem, another extension: doc.txt -> doc.locked */
	{
		struct hf_watch_fact f = fact(HF_WATCH_CANDIDATE, 500, 500, 500, 1 * SEC, "/e/doc.locked");
		struct hf_watch_who who = f.who;
		T_EQ(hf_watch_score_add(s, &f, &hit), 0);
		T_EQ(hf_watch_score_wrote_copy(s, &who, "/e/doc.txt", 0, 2 * SEC), HF_WATCH_CANDIDATE);
		T_EQ(hf_watch_score_wrote_copy(s, &who, "/e/other.txt", 0, 2 * SEC), 0);
		T_EQ(hf_watch_score_wrote_copy(s, &who, "/e/doc.locked", 0, 2 * SEC), 0);
	}
	hf_watch_score_free(s);
}

/* an original deleted by a process gone before it could be identified (a
 * short-lived rm per file, as gpg -o f.gpg f && rm f runs): the group that
 * wrote the copy named after it, the latest if two did; nobody for a file
 * with no such copy, or once the copy was paired */
static void test_copy_writer_of_a_delete_by_nobody(void)
{
	struct hf_watch_score *s = hf_watch_score_new(NULL);
	struct hf_watch_who who;
	struct hf_watch_fact f;
	int crossed = 0;

	f = fact(HF_WATCH_KEPT, 701, 700, 700, 1 * SEC, "/g/a.txt.gpg");
	T_EQ(hf_watch_score_add(s, &f, &hit), 0);
	f = fact(HF_WATCH_KEPT, 721, 720, 720, 2 * SEC, "/g/b.txt.gpg");
	T_EQ(hf_watch_score_add(s, &f, &hit), 0);
	f = fact(HF_WATCH_KEPT, 722, 720, 720, 3 * SEC, "/g/a.txt.gpg");
	T_EQ(hf_watch_score_add(s, &f, &hit), 0);
	memset(&who, 0, sizeof(who));
	T_EQ(hf_watch_score_copy_writer(s, "/g/a.txt", 0, 4 * SEC, &who), 1);
	T_EQ(who.pgid, 720);
	T_EQ(hf_watch_score_copy_writer(s, "/g/c.txt", 0, 4 * SEC, &who), 0);
	T_EQ(hf_watch_score_copy_writer(s, "/h/a.txt", 0, 4 * SEC, &who), 0);
	/* past the window after the writer's last fact: nobody */
	T_EQ(hf_watch_score_copy_writer(s, "/g/a.txt", 0, 4 * SEC + HF_WATCH_WINDOW_NS, &who), 0);
	/* three originals of one group's copies deleted by nobody cross as
	 * its own deletes would */
	for (int i = 0; i < 3; i++) {
		char copy[32], orig[32];
		snprintf(orig, sizeof(orig), "/k/f%d.txt", i);
		snprintf(copy, sizeof(copy), "/k/f%d.txt.gpg", i);
		f = fact(HF_WATCH_KEPT, 801 + i, 800, 800, (10 + i) * SEC, copy);
		crossed |= hf_watch_score_add(s, &f, &hit);
		memset(&f, 0, sizeof(f));
		f.kind = HF_WATCH_DELETED;
		f.t_ns = (10 + i) * SEC + 1;
		f.path = orig;
		T_EQ(hf_watch_score_copy_writer(s, orig, 0, f.t_ns, &f.who), 1);
		T_EQ(f.who.pgid, 800);
		T_EQ(hf_watch_score_wrote_copy(s, &f.who, orig, 0, f.t_ns), HF_WATCH_KEPT);
		/* paired now: a second delete of the same name is nobody's */
		T_EQ(hf_watch_score_copy_writer(s, orig, 0, f.t_ns, &who), 0);
		f.kind = HF_WATCH_ORIGINAL_GONE;
		f.copy_kept = 1;
		crossed |= hf_watch_score_add(s, &f, &hit);
	}
	T_EQ(crossed, 1);
	T_EQ(hit.id, 800);
	/* output named at random (random-names): an original deleted by nobody
	 * right after a copy about as large in its directory is that copy's
	 * writer's; not one much smaller or larger, elsewhere, or long after */
	f = fact(HF_WATCH_CANDIDATE, 901, 900, 900, 20 * SEC, "/r/4f2a9c.bin");
	f.size = 1056;
	T_EQ(hf_watch_score_add(s, &f, &hit), 0);
	memset(&who, 0, sizeof(who));
	T_EQ(hf_watch_score_copy_writer(s, "/r/report.txt", 1024, 20 * SEC + 1, &who), 1);
	T_EQ(who.pgid, 900);
	T_EQ(hf_watch_score_copy_writer(s, "/q/report.txt", 1024, 20 * SEC + 1, &who), 0);
	T_EQ(hf_watch_score_copy_writer(s, "/r/report.txt", 100000, 20 * SEC + 1, &who), 0);
	T_EQ(hf_watch_score_copy_writer(s, "/r/report.txt", 1024, 20 * SEC + HF_WATCH_PAIR_NS + 1, &who), 0);
	hf_watch_score_free(s);
}

/* compress-and-delete, rm -rf, one file encrypted by its owner: nothing */
static void test_benign_work_crosses_nothing(void)
{
	struct hf_watch_score *s = hf_watch_score_new(NULL);
	int crossed = 0;

	for (int i = 0; i < 10000; i++) {
		struct hf_watch_fact f = fact(i % 2 ? HF_WATCH_DELETED : HF_WATCH_CLEAN, 600, 600, 600, i, "/d/z");
		crossed |= hf_watch_score_add(s, &f, &hit);
	}
	{
		struct hf_watch_fact f = fact(HF_WATCH_KEPT, 601, 601, 600, 1, "/d/secret.txt.gpg");
		crossed |= hf_watch_score_add(s, &f, &hit);
	}
	/* one new ciphertext file and even its original deleted: one file */
	{
		struct hf_watch_fact f = fact(HF_WATCH_ORIGINAL_GONE, 602, 601, 600, 2, "/d/secret.txt");
		f.copy_kept = 1;
		crossed |= hf_watch_score_add(s, &f, &hit);
	}
	T_EQ(crossed, 0);
	hf_watch_score_free(s);
}

/* new ciphertext files alone destroy nothing, however many (a package's
 * compressed resources unpacked, archives downloaded): they add up to 2
 * points at most, and nothing crosses without a file lost */
static void test_new_ciphertext_alone_crosses_nothing(void)
{
	struct hf_watch_score *s = hf_watch_score_new(NULL);
	int crossed = 0;

	for (int i = 0; i < 200; i++) {
		char path[32];
		struct hf_watch_fact f;
		snprintf(path, sizeof(path), "/d/res%d.pak", i);
		f = fact(HF_WATCH_CANDIDATE, 650, 650, 650, i, path);
		f.new_extension = 1;
		f.size = 1000000 + (uint64_t)i;
		crossed |= hf_watch_score_add(s, &f, &hit);
	}
	T_EQ(crossed, 0);
	{
		/* deleting a file of another size pairs with none of them */
		struct hf_watch_fact f = fact(HF_WATCH_DELETED, 650, 650, 650, 300, "/d/old.txt");
		T_EQ(hf_watch_score_wrote_copy(s, &f.who, f.path, 5000, f.t_ns), 0);
		/* a file encrypted as well: their 2 points and its 1 cross */
		f = fact(HF_WATCH_ENCRYPTED, 650, 650, 650, 301, "/d/a.txt");
		T_EQ(hf_watch_score_add(s, &f, &hit), 1);
		T_EQ(hit.score, HF_WATCH_PTS_CANDIDATES_MAX + HF_WATCH_PTS_ENCRYPTED);
	}
	hf_watch_score_free(s);
}

/* ransomware that names its output at random and deletes the original: a
 * delete pairs with an unpaired new ciphertext file of about its size */
static void test_random_names_pair_by_size(void)
{
	struct hf_watch_score *s = hf_watch_score_new(NULL);
	int crossed = 0, pairs = 0;

	for (int i = 0; i < 10 && !crossed; i++) {
		char copy[32], orig[32];
		uint64_t size = 10000 + 3000 * (uint64_t)i;
		struct hf_watch_fact f;
		snprintf(copy, sizeof(copy), "/d/%08x.bin", 0x5eed0000u + (unsigned)i);
		snprintf(orig, sizeof(orig), "/d/doc%d.txt", i);
		f = fact(HF_WATCH_CANDIDATE, 660, 660, 660, i * SEC, copy);
		f.size = size + 32; /* salt, padding */
		crossed = hf_watch_score_add(s, &f, &hit);
		if (crossed)
			break;
		f = fact(HF_WATCH_DELETED, 660, 660, 660, i * SEC + 1, orig);
		f.size = size;
		T_EQ(hf_watch_score_wrote_copy(s, &f.who, orig, f.size, f.t_ns), HF_WATCH_CANDIDATE);
		/* the copy is paired now: a second delete of that size is not */
		T_EQ(hf_watch_score_wrote_copy(s, &f.who, "/d/twin.txt", f.size, f.t_ns), 0);
		f.kind = HF_WATCH_ORIGINAL_GONE;
		crossed = hf_watch_score_add(s, &f, &hit);
		pairs = i + 1;
	}
	T_EQ(crossed, 1);
	T_EQ(pairs, 3); /* each pair is a file's worth: half for the copy, half for the original gone */
	T_EQ(hit.originals_gone, 3);
	/* a copy smaller than the deleted file, or far larger, pairs with nothing */
	{
		struct hf_watch_fact f = fact(HF_WATCH_CANDIDATE, 670, 670, 670, 0, "/d/x.bin");
		f.size = 100000;
		hf_watch_score_add(s, &f, &hit);
		T_EQ(hf_watch_score_wrote_copy(s, &f.who, "/d/big.txt", 100001, 1), 0);
		T_EQ(hf_watch_score_wrote_copy(s, &f.who, "/d/small.txt", 20000, 1), 0);
		/* in another directory, or long after the copy: not its original */
		T_EQ(hf_watch_score_wrote_copy(s, &f.who, "/e/near.txt", 99000, 1), 0);
		T_EQ(hf_watch_score_wrote_copy(s, &f.who, "/d/near.txt", 99000, HF_WATCH_PAIR_NS + 1), 0);
		/* the copy itself deleted: no original */
		T_EQ(hf_watch_score_wrote_copy(s, &f.who, "/d/x.bin", 100000, 1), 0);
		T_EQ(hf_watch_score_wrote_copy(s, &f.who, "/d/near.txt", 99000, 1), HF_WATCH_CANDIDATE);
	}
	hf_watch_score_free(s);
}

/* a script's jobs, each a session of its own: one makes a .gpg copy beside
 * its original, a later one removes the tree; the delete pairs with nothing
 * (only the starter of both sessions saw the copy written) */
static void test_other_sessions_copy_is_no_pair(void)
{
	struct hf_watch_score *s = hf_watch_score_new(NULL);
	struct hf_watch_fact f = fact(HF_WATCH_KEPT, 700, 700, 700, 1 * SEC, "/d/t/f1.gz.gpg");
	struct hf_watch_fact d = fact(HF_WATCH_DELETED, 710, 710, 710, 2 * SEC, "/d/t/f1.gz");

	f.who.session_parent = 690;
	d.who.session_parent = 690;
	T_EQ(hf_watch_score_add(s, &f, &hit), 0);
	T_EQ(hf_watch_score_wrote_copy(s, &d.who, d.path, 0, d.t_ns), 0);
	/* the same session's delete does pair */
	d.who.sid = 700;
	T_EQ(hf_watch_score_wrote_copy(s, &d.who, d.path, 0, d.t_ns), HF_WATCH_KEPT);
	hf_watch_score_free(s);
}

/* slow attacks cross as long as the files come within the window */
static void test_window(void)
{
	struct hf_watch_score_opts o = {.window_ns = 60 * SEC};
	struct hf_watch_score *s = hf_watch_score_new(&o);
	struct hf_watch_fact f;

	f = fact(HF_WATCH_ENCRYPTED, 700, 700, 700, 0, "/d/1");
	T_EQ(hf_watch_score_add(s, &f, &hit), 0);
	f = fact(HF_WATCH_ENCRYPTED, 700, 700, 700, 50 * SEC, "/d/2");
	T_EQ(hf_watch_score_add(s, &f, &hit), 0);
	/* idle longer than the window: starts again */
	f = fact(HF_WATCH_ENCRYPTED, 700, 700, 700, 200 * SEC, "/d/3");
	T_EQ(hf_watch_score_add(s, &f, &hit), 0);
	f = fact(HF_WATCH_ENCRYPTED, 700, 700, 700, 250 * SEC, "/d/4");
	T_EQ(hf_watch_score_add(s, &f, &hit), 0);
	/* one file every 50 s, within the window of the last: crosses */
	f = fact(HF_WATCH_ENCRYPTED, 700, 700, 700, 300 * SEC, "/d/5");
	T_EQ(hf_watch_score_add(s, &f, &hit), 1);
	T_EQ(hit.encrypted, 3);
	hf_watch_score_free(s);
}

/* a busy daemon's session: clean writes all the time, and now and then one
 * file that scores (a user saving an encrypted archive); spaced wider than
 * the window they never add up, however active the actor stays */
static void test_points_expire_on_a_busy_actor(void)
{
	struct hf_watch_score_opts o = {.window_ns = 60 * SEC};
	struct hf_watch_score *s = hf_watch_score_new(&o);
	struct hf_watch_fact f;
	int crossed = 0;

	for (int64_t t = 0; t <= 600; t += 10) {
		int scoring = t % 100 == 0;
		f = fact(scoring ? HF_WATCH_ENCRYPTED : HF_WATCH_CLEAN, 1000 + (pid_t)t, 990, 990, t * SEC, "/d/x");
		crossed |= hf_watch_score_add(s, &f, &hit);
	}
	T_EQ(crossed, 0);
	/* three within the window still cross */
	f = fact(HF_WATCH_ENCRYPTED, 2000, 990, 990, 610 * SEC, "/d/y");
	T_EQ(hf_watch_score_add(s, &f, &hit), 0);
	f = fact(HF_WATCH_ENCRYPTED, 2001, 990, 990, 620 * SEC, "/d/z");
	T_EQ(hf_watch_score_add(s, &f, &hit), 1);
	T_EQ(hit.by, HF_WATCH_BY_PGID);
	hf_watch_score_free(s);
}

/* workers that each call setsid: no group or session shared, only the
 * process that started their sessions */
static void test_sessions_of_one_starter_add_up(void)
{
	struct hf_watch_score *s = hf_watch_score_new(NULL);
	struct hf_watch_fact f;
	int crossed = 0, i;

	for (i = 0; i < 6 && !crossed; i++) {
		char path[32];
		snprintf(path, sizeof(path), "/d/%d", i);
		f = fact(HF_WATCH_ENCRYPTED, 3000 + i, 3000 + i, 3000 + i, i * SEC, path);
		f.who.session_parent = 2999;
		crossed = hf_watch_score_add(s, &f, &hit);
	}
	T_EQ(crossed, 1);
	T_EQ(i, 3);
	T_EQ(hit.by, HF_WATCH_BY_PARENT);
	T_EQ(hit.id, 2999);
	/* init starts every daemon's session: it says nothing */
	hf_watch_score_free(s);
	s = hf_watch_score_new(NULL);
	for (i = 0, crossed = 0; i < 6; i++) {
		f = fact(HF_WATCH_ENCRYPTED, 4000 + i, 4000 + i, 4000 + i, i * SEC, "/d/x");
		f.who.session_parent = 1;
		crossed |= hf_watch_score_add(s, &f, &hit);
	}
	T_EQ(crossed, 0);
	hf_watch_score_free(s);
}

static void test_threshold_and_note(void)
{
	struct hf_watch_score_opts o = {.threshold = 1000};
	struct hf_watch_score *s = hf_watch_score_new(&o);
	struct hf_watch_fact f = fact(HF_WATCH_ENCRYPTED, 800, 800, 800, 0, "/d/1");

	T_EQ(hf_watch_score_add(s, &f, &hit), 1);
	hf_watch_score_free(s);
	s = hf_watch_score_new(NULL);
	f = fact(HF_WATCH_NOTE, 801, 801, 801, 0, "/d/README_DECRYPT.txt");
	T_EQ(hf_watch_score_add(s, &f, &hit), 0);
	f = fact(HF_WATCH_NOTE, 801, 801, 801, 1, "/d/HOW_TO_DECRYPT.txt");
	T_EQ(hf_watch_score_add(s, &f, &hit), 0); /* notes alone: a copy of a tree about ransomware */
	f = fact(HF_WATCH_CANDIDATE, 801, 801, 801, 2, "/d/vector.bin");
	T_EQ(hf_watch_score_add(s, &f, &hit), 0); /* and half a file's worth of ciphertext (a random test vector) */
	f = fact(HF_WATCH_ENCRYPTED, 801, 801, 801, 3, "/d/1");
	T_EQ(hf_watch_score_add(s, &f, &hit), 1); /* notes and a file encrypted */
	T_EQ(hit.notes, 2);
	T_EQ(hit.score, 2000 + 500 + 1000); /* the notes' 4 points count as 2 */
	/* a new extension adds a quarter */
	f = fact(HF_WATCH_CANDIDATE, 900, 900, 900, 0, "/d/a.xyz");
	f.new_extension = 1;
	T_EQ(hf_watch_score_add(s, &f, &hit), 0);
	hf_watch_score_free(s);
}

/* past the cap the least recently active actor is forgotten; files kept per
 * actor are the most recent HF_WATCH_FILES_KEPT */
static void test_caps(void)
{
	struct hf_watch_score_opts o = {.max_actors = 4, .threshold = 1000 * (HF_WATCH_FILES_KEPT + 10)};
	struct hf_watch_score *s = hf_watch_score_new(&o);
	char path[32];
	int crossed = 0;

	for (int i = 0; i < 100; i++) {
		struct hf_watch_fact f = fact(HF_WATCH_ENCRYPTED, 1000 + i, 1000 + i, 1000 + i, i, "/d/q");
		crossed |= hf_watch_score_add(s, &f, &hit);
	}
	T_EQ(crossed, 0);
	T_CHECK(hf_watch_score_actors(s) <= 4);
	for (int i = 0; i < HF_WATCH_FILES_KEPT + 10; i++) {
		struct hf_watch_fact f;
		snprintf(path, sizeof(path), "/d/n%d", i);
		f = fact(HF_WATCH_ENCRYPTED, 5000, 5000, 5000, 1000 + i, path);
		crossed |= hf_watch_score_add(s, &f, &hit);
	}
	T_EQ(crossed, 1);
	T_EQ(hit.nfiles, HF_WATCH_FILES_KEPT);
	snprintf(path, sizeof(path), "/d/n%d", HF_WATCH_FILES_KEPT + 9);
	T_CHECK(strcmp(hit.files[HF_WATCH_FILES_KEPT - 1].path, path) == 0);
	snprintf(path, sizeof(path), "/d/n%d", 10);
	T_CHECK(strcmp(hit.files[0].path, path) == 0);
	hf_watch_score_free(s);
	/* a long path keeps its end */
	{
		char longp[600];
		struct hf_watch_fact f;
		s = hf_watch_score_new(&(struct hf_watch_score_opts){.threshold = 1000});
		memset(longp, 'a', sizeof(longp) - 1);
		longp[0] = '/';
		memcpy(longp + sizeof(longp) - 9, "/end.txt", 9);
		f = fact(HF_WATCH_ENCRYPTED, 9, 9, 9, 0, longp);
		T_EQ(hf_watch_score_add(s, &f, &hit), 1);
		T_EQ(strlen(hit.files[0].path), sizeof(hit.files[0].path) - 1);
		T_CHECK(strcmp(hit.files[0].path + strlen(hit.files[0].path) - 8, "/end.txt") == 0);
		hf_watch_score_free(s);
	}
}

/* one file counts once: a database that the judge read in the middle of
 * its writers' transactions (sqlite3 run 40 times in one session) was
 * called encrypted three times and froze the session; three facts about
 * one file are one file lost, whichever processes of the group wrote it */
static void test_one_file_counts_once(void)
{
	struct hf_watch_score *s = hf_watch_score_new(NULL);
	struct hf_watch_fact f;

	for (int i = 0; i < 5; i++) {
		f = fact(HF_WATCH_ENCRYPTED, 200 + i, 100, 100, (1 + i) * SEC, "/d/db.sqlite");
		T_EQ(hf_watch_score_add(s, &f, &hit), 0);
	}
	/* new ciphertext rewritten, a note rewritten: each once too */
	for (int i = 0; i < 5; i++) {
		f = fact(HF_WATCH_CANDIDATE, 300 + i, 100, 100, (10 + i) * SEC, "/d/new.bin");
		T_EQ(hf_watch_score_add(s, &f, &hit), 0);
	}
	/* two more files make three */
	f = fact(HF_WATCH_ENCRYPTED, 400, 100, 100, 20 * SEC, "/d/b");
	T_EQ(hf_watch_score_add(s, &f, &hit), 0);
	f = fact(HF_WATCH_ENCRYPTED, 401, 100, 100, 21 * SEC, "/d/c");
	T_EQ(hf_watch_score_add(s, &f, &hit), 1);
	T_EQ(hit.by, HF_WATCH_BY_PGID);
	T_EQ(hit.encrypted, 3);
	T_EQ(hit.candidates, 1);
	T_EQ(hit.nfiles, 4); /* each file once in the alert, at its latest time */
	T_CHECK(strcmp(hit.files[0].path, "/d/db.sqlite") == 0 && hit.files[0].t_ns == 5 * SEC &&
		hit.files[0].pid == 204);
	hf_watch_score_free(s);
}

int main(void)
{
	T_RUN(test_three_encrypted_by_one_process);
	T_RUN(test_one_process_per_file_adds_up_in_the_group);
	T_RUN(test_groups_of_one_session_add_up);
	T_RUN(test_copy_then_delete);
	T_RUN(test_copy_writer_of_a_delete_by_nobody);
	T_RUN(test_benign_work_crosses_nothing);
	T_RUN(test_new_ciphertext_alone_crosses_nothing);
	T_RUN(test_random_names_pair_by_size);
	T_RUN(test_other_sessions_copy_is_no_pair);
	T_RUN(test_window);
	T_RUN(test_points_expire_on_a_busy_actor);
	T_RUN(test_sessions_of_one_starter_add_up);
	T_RUN(test_threshold_and_note);
	T_RUN(test_caps);
	T_RUN(test_one_file_counts_once);
	return T_DONE("test_watch_score");
}
