/* names.c — the uid/gid ↔ user/group name cache.
 *
 * A backup asks for the same few owners millions of times, and an NSS lookup
 * may go over the network (LDAP, SSSD), so every answer, including "no such
 * id/name", is cached in four small open-addressing tables. The tables stop
 * growing at HF_FS_NAMES_MAX entries; past that, lookups simply aren't cached. */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>

#include "fs/fs_int.h"
#include "util/err.h"
#include "util/mem.h"

#define HF_FS_NAMES_MAX (1u << 16) /* entries per table */
#define HF_FS_NAME_LEN_MAX 1024    /* longer names are never looked up */
#define HF_FS_NSS_BUF_MIN 1024
#define HF_FS_NSS_BUF_MAX (1u << 20)

struct hf_fs_names_ent {
	uint64_t key; /* the id, or the hash of name */
	char *name;   /* NULL: the id has no name */
	uint32_t id;
	uint8_t used;
	uint8_t found; /* name→id tables: the name exists */
};

struct hf_fs_names_tab {
	struct hf_fs_names_ent *v;
	size_t cap, n; /* cap is 0 or a power of two */
};

struct hf_fs_names {
	struct hf_fs_names_tab uid_name, gid_name, user_id, group_id;
	char *spill; /* an uncached answer, valid until the next call */
	char *buf;   /* getpw*_r / getgr*_r scratch */
	size_t buflen;
};

struct hf_fs_names *hf_fs_names_new(void)
{
	return hf_xcalloc(1, sizeof(struct hf_fs_names));
}

static void tab_free(struct hf_fs_names_tab *t)
{
	size_t i;

	for (i = 0; i < t->cap; i++)
		free(t->v[i].name);
	free(t->v);
	t->v = NULL;
	t->cap = t->n = 0;
}

void hf_fs_names_free(struct hf_fs_names *n)
{
	if (!n)
		return;
	tab_free(&n->uid_name);
	tab_free(&n->gid_name);
	tab_free(&n->user_id);
	tab_free(&n->group_id);
	free(n->spill);
	free(n->buf);
	free(n);
}

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

static uint64_t hash_name(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a */

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* The entry for key (and name, in the name-keyed tables), or NULL. */
static struct hf_fs_names_ent *tab_find(const struct hf_fs_names_tab *t, uint64_t key, const char *name)
{
	size_t i, mask;

	if (t->cap == 0)
		return NULL;
	mask = t->cap - 1;
	for (i = (size_t)mix64(key) & mask; t->v[i].used; i = (i + 1) & mask) {
		if (t->v[i].key == key && (!name || (t->v[i].name && strcmp(t->v[i].name, name) == 0)))
			return &t->v[i];
	}
	return NULL;
}

static struct hf_fs_names_ent *tab_place(struct hf_fs_names_tab *t, const struct hf_fs_names_ent *e)
{
	size_t i, mask = t->cap - 1;

	for (i = (size_t)mix64(e->key) & mask; t->v[i].used; i = (i + 1) & mask)
		;
	t->v[i] = *e;
	t->n++;
	return &t->v[i];
}

/* Takes ownership of e->name. Returns the stored entry, or NULL when the table
 * is full (e->name is then still the caller's). Load factor stays ≤ 1/2. */
static struct hf_fs_names_ent *tab_insert(struct hf_fs_names_tab *t, const struct hf_fs_names_ent *e)
{
	struct hf_fs_names_tab old;
	size_t i;

	if (t->n >= HF_FS_NAMES_MAX)
		return NULL;
	if ((t->n + 1) * 2 > t->cap) {
		old = *t;
		t->cap = old.cap ? old.cap * 2 : 16;
		t->v = hf_xcalloc(t->cap, sizeof(*t->v));
		t->n = 0;
		for (i = 0; i < old.cap; i++)
			if (old.v[i].used)
				tab_place(t, &old.v[i]);
		free(old.v);
	}
	return tab_place(t, e);
}

enum { NSS_UID, NSS_GID, NSS_USER, NSS_GROUP };

/* Calls one reentrant NSS lookup, growing the scratch buffer on ERANGE.
 * Returns 1 found, 0 not found (cacheable), < 0 a lookup error (not cached). */
static int nss_lookup(struct hf_fs_names *n, int what, uint32_t id, const char *name, char **name_out, uint32_t *id_out)
{
	struct passwd pw, *pwp = NULL;
	struct group gr, *grp = NULL;
	int e;

	for (;;) {
		if (!n->buf) {
			n->buflen = HF_FS_NSS_BUF_MIN;
			n->buf = hf_xmalloc(n->buflen);
		}
		switch (what) {
		case NSS_UID:
			e = getpwuid_r((uid_t)id, &pw, n->buf, n->buflen, &pwp);
			break;
		case NSS_USER:
			e = getpwnam_r(name, &pw, n->buf, n->buflen, &pwp);
			break;
		case NSS_GID:
			e = getgrgid_r((gid_t)id, &gr, n->buf, n->buflen, &grp);
			break;
		default:
			e = getgrnam_r(name, &gr, n->buf, n->buflen, &grp);
			break;
		}
		if (e != ERANGE)
			break;
		if (n->buflen >= HF_FS_NSS_BUF_MAX)
			return -HF_E_LIMIT;
		n->buflen *= 2;
		free(n->buf);
		n->buf = hf_xmalloc(n->buflen);
	}
	/* getpw*_r(3): ENOENT, ESRCH, EBADF and EPERM also mean "not found". */
	if (e != 0 && e != ENOENT && e != ESRCH && e != EBADF && e != EPERM)
		return -e;
	if (pwp) {
		*name_out = hf_xstrdup(pwp->pw_name);
		*id_out = (uint32_t)pwp->pw_uid;
		return 1;
	}
	if (grp) {
		*name_out = hf_xstrdup(grp->gr_name);
		*id_out = (uint32_t)grp->gr_gid;
		return 1;
	}
	return 0;
}

static const char *id_to_name(struct hf_fs_names *n, struct hf_fs_names_tab *t, int what, uint32_t id)
{
	struct hf_fs_names_ent e = {0}, *p;
	char *name = NULL;
	uint32_t got = 0;
	int r;

	p = tab_find(t, id, NULL);
	if (p)
		return p->name;
	r = nss_lookup(n, what, id, NULL, &name, &got);
	if (r < 0)
		return NULL;
	e.key = id;
	e.id = id;
	e.name = name;
	e.used = 1;
	e.found = r == 1;
	p = tab_insert(t, &e);
	if (p)
		return p->name;
	free(n->spill);
	n->spill = name;
	return name;
}

static int name_to_id(struct hf_fs_names *n, struct hf_fs_names_tab *t, int what, const char *name, uint32_t *id)
{
	struct hf_fs_names_ent e = {0}, *p;
	char *canon = NULL;
	uint32_t got = 0;
	uint64_t h;
	int r;

	if (!name || !name[0] || strnlen(name, HF_FS_NAME_LEN_MAX + 1) > HF_FS_NAME_LEN_MAX)
		return 0;
	h = hash_name(name);
	p = tab_find(t, h, name);
	if (p) {
		if (p->found)
			*id = p->id;
		return p->found;
	}
	r = nss_lookup(n, what, 0, name, &canon, &got);
	free(canon);
	if (r < 0)
		return 0;
	e.key = h;
	e.name = hf_xstrdup(name);
	e.id = got;
	e.used = 1;
	e.found = r == 1;
	if (!tab_insert(t, &e))
		free(e.name);
	if (r == 1)
		*id = got;
	return r == 1;
}

const char *hf_fs_user_name(struct hf_fs_names *n, uint32_t uid)
{
	return id_to_name(n, &n->uid_name, NSS_UID, uid);
}

const char *hf_fs_group_name(struct hf_fs_names *n, uint32_t gid)
{
	return id_to_name(n, &n->gid_name, NSS_GID, gid);
}

int hf_fs_user_id(struct hf_fs_names *n, const char *user, uint32_t *id)
{
	return name_to_id(n, &n->user_id, NSS_USER, user, id);
}

int hf_fs_group_id(struct hf_fs_names *n, const char *group, uint32_t *id)
{
	return name_to_id(n, &n->group_id, NSS_GROUP, group, id);
}
