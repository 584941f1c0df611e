/* quota.c — per-client usage against quotas (quota.h). */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/quota.h"
#include "server/receipt.h"
#include "store/store.h"
#include "util/mem.h"

struct usage {
	char client[HF_CLIENT_NAME_MAX + 1];
	uint64_t bytes, objects;
};

struct hf_quota {
	char *root;
	hf_quota_open_fn open_receipts;
	void *arg;
	pthread_mutex_t lock;
	struct usage *v; /* the clients counted so far */
	size_t n;
};

struct hf_quota *hf_quota_new(const char *root, hf_quota_open_fn open_receipts, void *arg)
{
	struct hf_quota *q = hf_xcalloc(1, sizeof(*q));

	q->root = hf_xstrdup(root);
	q->open_receipts = open_receipts;
	q->arg = arg;
	pthread_mutex_init(&q->lock, NULL);
	return q;
}

void hf_quota_free(struct hf_quota *q)
{
	if (!q)
		return;
	pthread_mutex_destroy(&q->lock);
	free(q->v);
	free(q->root);
	free(q);
}

static struct usage *find(struct hf_quota *q, const char *client) /* under q->lock */
{
	for (size_t i = 0; i < q->n; i++)
		if (strcmp(q->v[i].client, client) == 0)
			return &q->v[i];
	return NULL;
}

struct counting {
	struct hf_store *st;
	int kind;
	struct usage *u;
};

static int count_one(void *arg, const char *name, uint64_t size)
{
	struct counting *c = arg;
	struct hf_receipt rc;

	(void)size;
	if (hf_receipt_get(c->st, c->kind, name, &rc) == 0 && strcmp(rc.client, c->u->client) == 0) {
		c->u->bytes += rc.size;
		c->u->objects++;
	}
	return 0;
}

/* what the client sent, from every repository's receipts */
static int count_client(struct hf_quota *q, struct usage *u)
{
	char dir[4096];
	struct dirent *de;
	DIR *d;
	int r = 0;

	snprintf(dir, sizeof(dir), "%s/repos", q->root);
	d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while (r == 0 && (de = readdir(d))) {
		struct hf_store *st = NULL;
		if (!hf_server_name_ok(de->d_name))
			continue;
		if (q->open_receipts(q->arg, de->d_name, &st) < 0)
			continue; /* none yet: nothing was accepted there */
		for (int kind = HF_OBJ_CONFIG + 1; r == 0 && kind < HF_OBJ_KINDS; kind++) {
			struct counting c = {st, kind, u};
			r = hf_store_list(st, kind, count_one, &c);
		}
		hf_store_close(st);
	}
	closedir(d);
	return r;
}

int hf_quota_check(struct hf_quota *q, const struct hf_client *c, uint64_t bytes, uint64_t objects)
{
	struct usage *u, fresh = {0};
	int r = 0;

	if (!c->quota_bytes && !c->quota_objects)
		return 0;
	pthread_mutex_lock(&q->lock);
	u = find(q, c->name);
	if (!u) {
		/* counted under the lock, once per client: two first writes
		 * must not both count */
		snprintf(fresh.client, sizeof(fresh.client), "%s", c->name);
		r = count_client(q, &fresh);
		if (r == 0) {
			q->v = hf_xreallocarray(q->v, q->n + 1, sizeof(*q->v));
			q->v[q->n] = fresh;
			u = &q->v[q->n++];
		}
	}
	if (u && ((c->quota_bytes && (bytes > c->quota_bytes || u->bytes > c->quota_bytes - bytes)) ||
		  (c->quota_objects && (objects > c->quota_objects || u->objects > c->quota_objects - objects))))
		r = -EDQUOT;
	pthread_mutex_unlock(&q->lock);
	return r;
}

void hf_quota_count(struct hf_quota *q, const char *client, int sign, uint64_t bytes)
{
	struct usage *u;

	pthread_mutex_lock(&q->lock);
	u = find(q, client); /* not counted yet: the first check will read it from the receipts */
	if (u && sign > 0) {
		u->bytes += bytes;
		u->objects++;
	} else if (u) {
		u->bytes = u->bytes > bytes ? u->bytes - bytes : 0;
		u->objects = u->objects ? u->objects - 1 : 0;
	}
	pthread_mutex_unlock(&q->lock);
}

void hf_quota_usage(struct hf_quota *q, const char *client, uint64_t *bytes, uint64_t *objects)
{
	struct usage *u;

	pthread_mutex_lock(&q->lock);
	u = find(q, client);
	*bytes = u ? u->bytes : 0;
	*objects = u ? u->objects : 0;
	pthread_mutex_unlock(&q->lock);
}
