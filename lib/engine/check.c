/* check.c — verifying a repository.
 *
 * Structure: every index object decrypts and parses; every pack an index
 * names exists and its own header agrees with the index; every snapshot
 * object decrypts and matches its name; every tree of every snapshot loads
 * and every blob it names is indexed; every mark object (pins, verdicts)
 * decrypts, parses and matches its name. With read_data, every blob of every
 * pack is also decrypted, decompressed and its MAC checked (in parallel).
 * Each problem is reported with the snapshots and file paths it affects. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/engine_internal.h"
#include "repo/mark.h"
#include "repo/pending.h"
#include "store/store.h"
#include "util/err.h"
#include "util/hex.h"
#include "util/mem.h"

struct check {
	struct hf_repo *repo;
	const struct hf_check_opts *o;
	struct hf_check_stats *st;
	struct hf_idmap *on_disk; /* pack id → uint64 size */
	/* the index's claims grouped by pack: pack p's are the claim positions
	 * pack_claims[pack_first[p] .. pack_first[p + 1]) */
	uint32_t *pack_claims, *pack_first;
	uint8_t *pack_bad; /* per pack number: 1 damaged, 2 missing from the store */
	pthread_mutex_t lock;
	struct hf_idmap *bad; /* blob ids found damaged */
	struct hf_idmap *good_trees;
	struct hf_idmap *snap_ids; /* the snapshots that exist */
	struct hf_mark *marks;     /* listed before the snapshots */
	size_t nmarks;
	uint8_t (*parents)[2][HF_ID_LEN]; /* per readable snapshot with a parent: its id, the parent's */
	size_t nparents;
	size_t next_pack; /* read-data work counter (atomic) */
	char snap_hex[HF_ID_HEX_LEN + 1];
};

static void problem(struct check *c, const char *path, const char *what, int err)
{
	__atomic_add_fetch(&c->st->errors, 1, __ATOMIC_RELAXED);
	if (c->o->report) {
		pthread_mutex_lock(&c->lock);
		c->o->report(c->o->report_arg, path, what, err);
		pthread_mutex_unlock(&c->lock);
	}
}

static void bad_index(void *arg, const char *name, int err)
{
	char what[128];

	snprintf(what, sizeof(what), "index object %.16s cannot be read", name);
	problem(arg, NULL, what, err);
}

static int note_pack(void *arg, const char *name, uint64_t size)
{
	struct check *c = arg;
	uint8_t id[HF_ID_LEN];

	if (strlen(name) == HF_ID_HEX_LEN && hf_hex_decode(name, id, HF_ID_LEN) == 0 &&
	    hf_idmap_put(c->on_disk, id, &size, NULL) < 0)
		return -ENOMEM;
	return 0;
}

/* counts one more bad claim for the blob (an index may claim a blob in
 * several places: it is damaged only when every claim is) */
static void mark_bad(struct check *c, const uint8_t id[HF_ID_LEN])
{
	uint32_t one = 1, *n;
	int r;

	pthread_mutex_lock(&c->lock);
	r = hf_idmap_put(c->bad, id, &one, (void **)&n);
	if (r == 0)
		(*n)++;
	pthread_mutex_unlock(&c->lock);
	if (r < 0) /* trees that use the blob may then pass: say that check is incomplete */
		problem(c, NULL, "cannot remember a damaged blob", r);
}

/* 1 if every claim for the blob was found bad */
static int all_claims_bad(struct check *c, const uint8_t id[HF_ID_LEN])
{
	const uint32_t *n = hf_idmap_get(c->bad, id);

	return n && *n >= hf_index_claims(hf_repo_index(c->repo), id);
}

/* why a blob whose every claim is bad cannot be read: its packs are all
 * missing from the store, or some is there but damaged */
static int bad_claims_error(struct check *c, const uint8_t id[HF_ID_LEN])
{
	const struct hf_index *ix = hf_repo_index(c->repo);

	for (const struct hf_blob_loc *l = hf_index_find(ix, id); l; l = hf_index_find_next(ix, id, l))
		if (c->pack_bad[l->pack] != 2)
			return -HF_E_AUTH;
	return -HF_E_MISSING;
}

static size_t pack_nclaims(const struct check *c, size_t p)
{
	return c->pack_first[p + 1] - c->pack_first[p];
}

/* pack p's i-th claim */
static const struct hf_index_entry *pack_claim(const struct check *c, size_t p, size_t i)
{
	return hf_index_at(hf_repo_index(c->repo), c->pack_claims[c->pack_first[p] + i]);
}

static void mark_pack_bad(struct check *c, size_t p, int missing)
{
	c->pack_bad[p] = missing ? 2 : 1;
	for (size_t i = 0; i < pack_nclaims(c, p); i++)
		mark_bad(c, pack_claim(c, p, i)->id);
}

/* the pack's own header must list what the index says it holds */
/* header entries ordered by id, then offset and length, for bsearch */
static int cmp_entry(const void *a, const void *b)
{
	const struct hf_pack_entry *x = a, *y = b;
	int d = memcmp(x->id, y->id, HF_ID_LEN);

	if (d)
		return d;
	if (x->offset != y->offset)
		return x->offset < y->offset ? -1 : 1;
	return x->stored_len < y->stored_len ? -1 : x->stored_len > y->stored_len;
}

/* Every blob the index places in pack p must be in the pack's own header at
 * the same offset and length. The header is sorted once and searched, so a
 * pack of n small blobs costs n log n, not n² (the one-million-file run
 * spent 93% of check in a linear search here). */
static void check_pack_header(struct check *c, struct hf_aead *aead, size_t p, uint64_t size)
{
	const struct hf_index *ix = hf_repo_index(c->repo);
	struct hf_pack_entry *e = NULL;
	char name[HF_ID_HEX_LEN + 1], what[160];
	size_t n = 0;
	int r;

	hf_hex_encode(hf_index_pack_id(ix, p), HF_ID_LEN, name);
	r = hf_pack_read_header(c->repo, aead, name, size, pack_nclaims(c, p), &e, &n);
	if (r == 0 && n > 1)
		qsort(e, n, sizeof(*e), cmp_entry);
	for (size_t i = 0; r == 0 && i < pack_nclaims(c, p); i++) {
		const struct hf_index_entry *b = pack_claim(c, p, i);
		struct hf_pack_entry key;
		memcpy(key.id, b->id, HF_ID_LEN);
		key.offset = b->loc.offset;
		key.stored_len = b->loc.stored_len;
		if (!n || !bsearch(&key, e, n, sizeof(*e), cmp_entry))
			r = -HF_E_CORRUPT;
	}
	if (r < 0) {
		snprintf(what, sizeof(what), "pack %.16s is damaged (header)", name);
		problem(c, NULL, what, r);
		mark_pack_bad(c, p, 0);
	}
	free(e);
}

/* pack_claims and pack_first: a counting sort of the claims by pack, 4 bytes
 * a claim (the index itself is not copied) */
static void group_by_pack(struct check *c)
{
	const struct hf_index *ix = hf_repo_index(c->repo);
	size_t n = hf_index_count(ix), pos = 0;
	const struct hf_blob_loc *loc;
	const uint8_t *id;
	uint32_t *fill;

	c->pack_first = hf_xcalloc(hf_index_npacks(ix) + 2, sizeof(uint32_t));
	c->pack_claims = hf_xreallocarray(NULL, n ? n : 1, sizeof(uint32_t));
	while (hf_index_next(ix, &pos, &id, &loc))
		c->pack_first[loc->pack + 1]++;
	for (size_t p = 0; p < hf_index_npacks(ix); p++)
		c->pack_first[p + 1] += c->pack_first[p];
	fill = hf_xreallocarray(NULL, hf_index_npacks(ix) + 1, sizeof(uint32_t));
	memcpy(fill, c->pack_first, (hf_index_npacks(ix) + 1) * sizeof(uint32_t));
	pos = 0;
	while (hf_index_next(ix, &pos, &id, &loc))
		c->pack_claims[fill[loc->pack]++] = (uint32_t)hf_index_pos(ix, loc);
	free(fill);
}

static uint64_t distinct_blobs(const struct hf_index *ix)
{
	const uint8_t *id, *prev = NULL;
	const struct hf_blob_loc *loc;
	uint64_t n = 0;
	size_t pos = 0;

	while (hf_index_next(ix, &pos, &id, &loc)) {
		n += !prev || memcmp(prev, id, HF_ID_LEN) != 0;
		prev = id;
	}
	return n;
}

static void *read_data_worker(void *arg)
{
	struct check *c = arg;
	const struct hf_index *ix = hf_repo_index(c->repo);
	struct hf_blob_reader br;
	struct hf_buf pack, out;

	hf_blob_reader_init(&br, c->repo);
	hf_buf_init(&pack, (size_t)hf_repo_config(c->repo)->pack_size + 2 * HF_BLOB_MAX);
	hf_buf_init(&out, HF_BLOB_MAX);
	for (;;) {
		size_t p = __atomic_fetch_add(&c->next_pack, 1, __ATOMIC_RELAXED);
		char name[HF_ID_HEX_LEN + 1], what[200];
		int r;
		if (p >= hf_index_npacks(ix))
			break;
		if (c->pack_bad[p] || pack_nclaims(c, p) == 0)
			continue;
		hf_hex_encode(hf_index_pack_id(ix, p), HF_ID_LEN, name);
		r = hf_store_get(hf_repo_store(c->repo), HF_OBJ_PACK, name, &pack);
		if (r < 0) {
			snprintf(what, sizeof(what), "pack %.16s cannot be read", name);
			problem(c, NULL, what, r == -HF_E_NOTFOUND ? -HF_E_MISSING : r);
			mark_pack_bad(c, p, r == -HF_E_NOTFOUND);
			continue;
		}
		for (size_t i = 0; i < pack_nclaims(c, p); i++) {
			const struct hf_index_entry *b = pack_claim(c, p, i);
			r = (uint64_t)b->loc.offset + b->loc.stored_len > pack.len
				    ? -HF_E_CORRUPT
				    : hf_blob_decode(&br, b->id, &b->loc, pack.data + b->loc.offset, &out);
			if (r < 0) {
				char bid[HF_ID_HEX_LEN + 1];
				hf_hex_encode(b->id, HF_ID_LEN, bid);
				if (hf_index_claims(ix, b->id) == 1)
					snprintf(what, sizeof(what), "pack %.16s: blob %.16s is damaged", name, bid);
				else /* one of several claims: name the index object that made it */
					snprintf(what, sizeof(what),
						 "pack %.16s: blob %.16s is damaged there (as index object %.16s "
						 "claims it)",
						 name, bid, hf_index_claim_file(ix, &b->loc));
				problem(c, NULL, what, r);
				mark_bad(c, b->id);
			}
			__atomic_add_fetch(&c->st->blobs, 1, __ATOMIC_RELAXED);
		}
		if (c->o->progress) {
			__atomic_add_fetch(&c->o->progress->bytes, pack.len, __ATOMIC_RELAXED);
			__atomic_add_fetch(&c->o->progress->files, 1, __ATOMIC_RELAXED);
		}
	}
	hf_blob_reader_release(&br);
	hf_buf_release(&pack);
	hf_buf_release(&out);
	return NULL;
}

/* returns the number of problems found under this tree */
static size_t check_tree(struct check *c, struct hf_blob_reader *br, const uint8_t id[HF_ID_LEN], const char *path)
{
	struct hf_tree t;
	char what[160];
	size_t problems = 0;
	int r;

	if (hf_idmap_get(c->good_trees, id))
		return 0;
	r = all_claims_bad(c, id) ? bad_claims_error(c, id) : hf_tree_load(br, id, &t);
	if (r < 0) {
		snprintf(what, sizeof(what), "snapshot %.8s: directory cannot be read", c->snap_hex);
		problem(c, path[0] ? path : "/", what, r);
		return 1;
	}
	c->st->trees++;
	for (size_t i = 0; i < t.n; i++) {
		const struct hf_node *nd = &t.nodes[i];
		char *p = hf_path_join(path, nd->name);
		if (nd->meta.type == HF_FT_DIR) {
			problems += check_tree(c, br, nd->subtree, p);
		} else if (nd->meta.type == HF_FT_FILE) {
			int missing = 0, damaged = 0, err = 0;
			for (size_t k = 0; k < nd->nparts; k++) {
				if (nd->parts[k].kind != HF_PART_DATA)
					continue;
				if (!hf_index_find(hf_repo_index(c->repo), nd->parts[k].id))
					missing++;
				else if (all_claims_bad(c, nd->parts[k].id) &&
					 (err = bad_claims_error(c, nd->parts[k].id)) == -HF_E_MISSING)
					missing++;
				else if (err)
					damaged++;
			}
			if (missing || damaged) {
				snprintf(what, sizeof(what), "snapshot %.8s: file data %s", c->snap_hex,
					 missing ? "missing" : "damaged");
				problem(c, p, what, missing ? -HF_E_MISSING : -HF_E_AUTH);
				problems++;
			}
		}
		free(p);
	}
	hf_tree_release(&t);
	/* only a cache: a tree it cannot remember is checked again */
	if (problems == 0 && hf_idmap_put(c->good_trees, id, NULL, NULL) < 0)
		return problems;
	return problems;
}

struct snap_scan {
	struct check *c;
	char **names;
	size_t n;
};

static int note_name(void *arg, const char *name, uint64_t size)
{
	struct snap_scan *s = arg;

	(void)size;
	s->names = hf_xreallocarray(s->names, s->n + 1, sizeof(char *));
	s->names[s->n++] = hf_xstrdup(name);
	return 0;
}

static void check_snapshots(struct check *c)
{
	struct snap_scan scan = {.c = c};
	struct hf_blob_reader br;
	struct hf_idmap *gone = NULL;
	int r;

	r = hf_store_list(hf_repo_store(c->repo), HF_OBJ_SNAPSHOT, note_name, &scan);
	if (r < 0)
		problem(c, NULL, "cannot list the snapshots (snapshots/)", r);
	r = hf_pending_gone_set(c->repo, HF_OBJ_SNAPSHOT, &gone);
	if (r < 0)
		problem(c, NULL, "cannot read the pending deletions (pending/)", r);
	hf_blob_reader_init(&br, c->repo);
	for (size_t i = 0; i < scan.n; i++) {
		struct hf_snapshot s;
		uint8_t id[HF_ID_LEN];
		char what[128];
		/* every snapshot object there, readable or not (for check_marks) */
		if (hf_hex_decode(scan.names[i], id, HF_ID_LEN) == 0 && hf_idmap_put(c->snap_ids, id, NULL, NULL) < 0)
			problem(c, NULL, "cannot remember a snapshot", -ENOMEM);
		if (gone && hf_idmap_get(gone, id)) { /* forgotten; locked in the store until its date */
			free(scan.names[i]);
			continue;
		}
		r = hf_snapshot_load(c->repo, scan.names[i], &s);
		if (r < 0) {
			snprintf(what, sizeof(what), "snapshot object %.16s cannot be read", scan.names[i]);
			problem(c, NULL, what, r);
		} else {
			c->st->snapshots++;
			if (s.has_parent) {
				c->parents = hf_xreallocarray(c->parents, c->nparents + 1, sizeof(*c->parents));
				memcpy(c->parents[c->nparents][0], s.id, HF_ID_LEN);
				memcpy(c->parents[c->nparents++][1], s.parent, HF_ID_LEN);
			}
			hf_hex_encode(s.id, HF_ID_LEN, c->snap_hex);
			check_tree(c, &br, s.tree, "");
			hf_snapshot_release(&s);
		}
		free(scan.names[i]);
	}
	hf_blob_reader_release(&br);
	hf_idmap_free(gone);
	free(scan.names);
	/* data indexed, and no snapshot at all: they were deleted outside holdfast
	 * (forget keeps what its rules keep, and prune removes the data after) */
	if (scan.n == 0 && hf_index_npacks(hf_repo_index(c->repo)) > 0)
		problem(c, NULL, "there are no snapshots, but the index lists data: snapshots were deleted",
			-HF_E_MISSING);
}

/* Marks are read before the snapshots are listed: a backup writes its
 * snapshot before its marks, so every mark seen names a snapshot the listing
 * will see unless it was deleted. A damaged mark is a problem, since forget
 * refuses to run while any mark cannot be read. */
static void load_marks(struct check *c)
{
	struct snap_scan scan = {.c = c};
	int r;

	r = hf_store_list(hf_repo_store(c->repo), HF_OBJ_MARK, note_name, &scan);
	if (r < 0)
		problem(c, NULL, "cannot list the marks (marks/)", r);
	for (size_t i = 0; i < scan.n; i++) {
		struct hf_mark m;
		char what[128];
		r = hf_mark_load(c->repo, scan.names[i], &m);
		if (r < 0) {
			snprintf(what, sizeof(what), "mark object %.16s cannot be read", scan.names[i]);
			problem(c, NULL, what, r);
		} else {
			/* an unsigned verdict is a write-only client's (it counts for
			 * less); an unsigned unpin counts for nothing, but someone
			 * who could tag objects wrote it */
			if (!m.authorized && m.kind == HF_MARK_UNPIN) {
				snprintf(what, sizeof(what),
					 "mark object %.16s: an unpin not signed by the full key (ignored)",
					 scan.names[i]);
				problem(c, NULL, what, -HF_E_AUTH);
			}
			c->marks = hf_xreallocarray(c->marks, c->nmarks + 1, sizeof(*c->marks));
			c->marks[c->nmarks++] = m;
		}
		free(scan.names[i]);
	}
	free(scan.names);
}

/* A snapshot that is gone yet named — as a parent by a snapshot, or by a
 * mark — was deleted outside holdfast unless a forget record names it
 * (forget writes one before each deletion; finding U7). A forget that ran
 * while check listed gets the benefit of the doubt: the marks are listed
 * again before anything is reported. */
static void report_deleted(struct check *c, const uint8_t id[HF_ID_LEN], const char *why, struct hf_idmap *reported)
{
	char hex[HF_ID_HEX_LEN + 1], what[200];

	if (hf_idmap_get(c->snap_ids, id) || hf_marks_forgotten(c->marks, c->nmarks, id) ||
	    hf_idmap_put(reported, id, NULL, NULL) <= 0)
		return;
	hf_hex_encode(id, HF_ID_LEN, hex);
	snprintf(what, sizeof(what), "%s%.8s, but no forget removed it: it was deleted outside holdfast", why, hex);
	problem(c, NULL, what, -HF_E_MISSING);
}

static int named_but_gone(const struct check *c)
{
	for (size_t i = 0; i < c->nparents; i++)
		if (!hf_idmap_get(c->snap_ids, c->parents[i][1]))
			return 1;
	for (size_t i = 0; i < c->nmarks; i++)
		if (!hf_idmap_get(c->snap_ids, c->marks[i].snapshot))
			return 1;
	return 0;
}

static void check_deleted(struct check *c)
{
	struct hf_idmap *reported = hf_idmap_new(0);
	struct hf_mark *again = NULL;
	size_t nagain = 0;

	if (!reported || !named_but_gone(c))
		goto out;
	if (hf_mark_list(c->repo, &again, &nagain, NULL) == 0) {
		hf_mark_list_free(c->marks, c->nmarks);
		c->marks = again;
		c->nmarks = nagain;
	}
	for (size_t i = 0; i < c->nmarks; i++) {
		const struct hf_mark *m = &c->marks[i];
		/* forget never removes a pinned snapshot */
		if (m->kind == HF_MARK_PIN && hf_marks_pin_state(c->marks, c->nmarks, m->snapshot) == m &&
		    !hf_idmap_get(c->snap_ids, m->snapshot) && hf_idmap_put(reported, m->snapshot, NULL, NULL) > 0) {
			char hex[HF_ID_HEX_LEN + 1], what[160];
			hf_hex_encode(m->snapshot, HF_ID_LEN, hex);
			snprintf(what, sizeof(what), "pinned snapshot %.8s is missing: it was deleted outside holdfast",
				 hex);
			problem(c, NULL, what, -HF_E_MISSING);
		}
	}
	for (size_t i = 0; i < c->nparents; i++) {
		char hex[HF_ID_HEX_LEN + 1], why[64];
		hf_hex_encode(c->parents[i][0], HF_ID_LEN, hex);
		snprintf(why, sizeof(why), "snapshot %.8s names as its parent snapshot ", hex);
		report_deleted(c, c->parents[i][1], why, reported);
	}
	for (size_t i = 0; i < c->nmarks; i++)
		if (c->marks[i].kind != HF_MARK_FORGOTTEN)
			report_deleted(c, c->marks[i].snapshot, "a mark names snapshot ", reported);
out:
	hf_idmap_free(reported);
}

int hf_check(struct hf_repo *r, const struct hf_check_opts *o, struct hf_check_stats *st)
{
	struct check c;
	const struct hf_index *ix;
	struct hf_aead *aead = NULL;
	size_t pos = 0, bad = 0;
	const uint8_t *id;
	void *val;
	int ret;

	memset(st, 0, sizeof(*st));
	memset(&c, 0, sizeof(c));
	c.repo = r;
	c.o = o;
	c.st = st;
	pthread_mutex_init(&c.lock, NULL);
	ret = hf_repo_load_index(r, &bad, bad_index, &c);
	if (ret < 0)
		goto out_lock;
	ix = hf_repo_index(r);
	c.on_disk = hf_idmap_new(sizeof(uint64_t));
	c.bad = hf_idmap_new(sizeof(uint32_t));
	c.good_trees = hf_idmap_new(0);
	c.snap_ids = hf_idmap_new(0);
	ret = hf_store_list(hf_repo_store(r), HF_OBJ_PACK, note_pack, &c);
	if (ret < 0) {
		problem(&c, NULL, "cannot list the packs (data/ and its 256 subdirectories)", ret);
		goto out;
	}
	st->packs = hf_index_npacks(ix);
	/* group the index's claims by pack: every claim, so a bad one is reported */
	c.pack_bad = hf_xcalloc(hf_index_npacks(ix) + 1, 1);
	group_by_pack(&c);
	aead = hf_aead_new();
	for (size_t p = 0; p < hf_index_npacks(ix); p++) {
		const uint64_t *size = hf_idmap_get(c.on_disk, hf_index_pack_id(ix, p));
		char name[HF_ID_HEX_LEN + 1], what[128];
		if (!size) {
			hf_hex_encode(hf_index_pack_id(ix, p), HF_ID_LEN, name);
			snprintf(what, sizeof(what), "pack %.16s is missing", name);
			problem(&c, NULL, what, -HF_E_MISSING);
			mark_pack_bad(&c, p, 1);
			continue;
		}
		check_pack_header(&c, aead, p, *size);
	}
	pos = 0;
	while (hf_idmap_next(c.on_disk, &pos, &id, &val))
		if (hf_index_pack_first(ix, id) == UINT32_MAX)
			st->unreferenced_packs++;
	if (o->read_data) {
		int n = o->threads > 0 ? o->threads : (int)sysconf(_SC_NPROCESSORS_ONLN);
		pthread_t tids[64];
		int started = 0;
		if (n < 1)
			n = 1;
		if (n > 64)
			n = 64;
		if (o->progress)
			o->progress->total_files = hf_index_npacks(ix);
		for (; started < n; started++)
			if (pthread_create(&tids[started], NULL, read_data_worker, &c) != 0)
				break;
		if (started == 0)
			read_data_worker(&c);
		for (int i = 0; i < started; i++)
			pthread_join(tids[i], NULL);
	} else {
		st->blobs = distinct_blobs(ix);
	}
	load_marks(&c);
	check_snapshots(&c);
	check_deleted(&c);
	ret = 0;
out:
	hf_aead_free(aead);
	free(c.pack_claims);
	free(c.pack_first);
	free(c.pack_bad);
	hf_idmap_free(c.on_disk);
	hf_idmap_free(c.bad);
	hf_idmap_free(c.good_trees);
	hf_idmap_free(c.snap_ids);
	hf_mark_list_free(c.marks, c.nmarks);
	free(c.parents);
out_lock:
	pthread_mutex_destroy(&c.lock);
	return ret;
}
