/* store_mem.c — the in-memory store (store_mem.h): every store operation on
 * objects held in memory, in named instances that outlive their handles, and
 * the faults tests inject through it: failed operations, short writes, a full
 * disk, a crash that loses what a real crash of the local store loses, a
 * refused or locked delete, a settable clock. For tests only: one mutex per
 * instance serialises everything. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/store.h"
#include "store/store_mem.h"
#include "store/store_names.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/mem.h"

struct mem_obj {
	char name[HF_STORE_NAME_MAX + 1];
	uint8_t *data;
	size_t len;
	int64_t mtime;
	int64_t lock_until_s; /* Object Lock's retain-until (s since 1970); 0: none */
	int durable;          /* survives a crash: put without HF_PUT_NOSYNC, or synced */
};

struct mem_kind {
	struct mem_obj *v;
	size_t n;
};

struct mem_inst {
	struct mem_inst *next;
	char *name;
	pthread_mutex_t lock;
	struct mem_kind kinds[HF_OBJ_KINDS];
	unsigned caps;
	uint64_t nops;
	uint64_t fail_at;
	int fail_err;
	unsigned fail_mask;
	int fail_mask_err;
	uint64_t short_at;
	uint64_t cap, used;
	uint64_t crash_at;
	int crashed;
	uint64_t epoch; /* counts crashes: writers opened before one are lost */
	int64_t clock;
	int lockable;                 /* hf_store_mem_set_lockable: as a bucket with Object Lock */
	struct hf_store_lock objlock; /* how new objects are locked (lock_set) */
};

struct mem_store {
	struct hf_store base;
	struct mem_inst *m;
	char location[HF_STORE_NAME_MAX + 8];
};

struct mem_writer {
	struct hf_store *store; /* first, as struct hf_store_writer requires */
	int kind;
	uint64_t epoch;
	int failed;
	uint8_t *data;
	size_t len, cap;
};

struct mem_reader {
	struct hf_store *store; /* first, as struct hf_store_reader requires */
	uint8_t *data;
	size_t len;
};

/* the registry of instances: the one mutable global, test-only by design */
static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static struct mem_inst *reg_head;

static struct mem_inst *find_inst(const char *name)
{
	struct mem_inst *m;

	pthread_mutex_lock(&reg_lock);
	for (m = reg_head; m; m = m->next)
		if (strcmp(m->name, name) == 0)
			break;
	pthread_mutex_unlock(&reg_lock);
	return m;
}

static int64_t clock_of(struct mem_inst *m)
{
	struct timespec ts;

	if (m->clock)
		return m->clock;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void drop_obj(struct mem_inst *m, int kind, size_t i)
{
	struct mem_kind *k = &m->kinds[kind];

	m->used -= k->v[i].len;
	free(k->v[i].data);
	k->v[i] = k->v[k->n - 1];
	k->n--;
}

/* what a crash loses: every object not yet durable */
static void crash(struct mem_inst *m)
{
	m->crashed = 1;
	m->epoch++;
	for (int kind = 0; kind < HF_OBJ_KINDS; kind++)
		for (size_t i = m->kinds[kind].n; i-- > 0;)
			if (!m->kinds[kind].v[i].durable)
				drop_obj(m, kind, i);
}

/* numbers the operation and applies the faults due; lock held. *is_short:
 * set when a short write is due (writer_write only). */
static int enter(struct mem_inst *m, int op, int *is_short)
{
	if (m->crashed)
		return -EIO;
	m->nops++;
	if (m->crash_at && m->nops >= m->crash_at) {
		crash(m);
		return -EIO;
	}
	if (m->fail_at && m->nops == m->fail_at) {
		m->fail_at = 0;
		return m->fail_err;
	}
	if (m->short_at && m->nops == m->short_at) {
		m->short_at = 0;
		if (op != HF_MEM_WRITER_WRITE || !is_short)
			return -EIO;
		*is_short = 1;
		return 0;
	}
	if (m->fail_mask & HF_MEM_OP(op))
		return m->fail_mask_err;
	return 0;
}

static struct mem_obj *find_obj(struct mem_inst *m, int kind, const char *name)
{
	struct mem_kind *k = &m->kinds[kind];

	for (size_t i = 0; i < k->n; i++)
		if (strcmp(k->v[i].name, name) == 0)
			return &k->v[i];
	return NULL;
}

/* stores data (taken over) under name; lock held, name valid */
static int add_obj(struct mem_inst *m, int kind, const char *name, uint8_t *data, size_t len, int flags)
{
	struct mem_kind *k = &m->kinds[kind];
	struct mem_obj *o;

	if (find_obj(m, kind, name))
		return -HF_E_EXISTS;
	k->v = hf_xreallocarray(k->v, k->n + 1, sizeof(*k->v));
	o = &k->v[k->n++];
	memset(o, 0, sizeof(*o));
	snprintf(o->name, sizeof(o->name), "%s", name);
	o->data = data;
	o->len = len;
	o->mtime = clock_of(m);
	if (m->objlock.mode != HF_LOCK_OFF)
		o->lock_until_s = o->mtime / 1000000000 + m->objlock.period_s;
	o->durable = !(flags & HF_PUT_NOSYNC);
	return 0;
}

#define INST(s) (((struct mem_store *)(s))->m)

static int mem_put(struct hf_store *s, int kind, const char *name, const void *p, size_t n, int flags)
{
	struct mem_inst *m = INST(s);
	uint8_t *copy;
	int r;

	if (!hf_store_valid_name(kind, name))
		return -HF_E_USAGE;
	pthread_mutex_lock(&m->lock);
	r = enter(m, HF_MEM_PUT, NULL);
	if (r == 0 && find_obj(m, kind, name))
		r = -HF_E_EXISTS;
	if (r == 0 && n > m->cap - m->used)
		r = -ENOSPC;
	if (r == 0) {
		copy = hf_xmalloc(n ? n : 1);
		if (n)
			memcpy(copy, p, n);
		r = add_obj(m, kind, name, copy, n, flags);
		if (r == 0)
			m->used += n;
		else
			free(copy);
	}
	pthread_mutex_unlock(&m->lock);
	return r;
}

/* With the lock held: counts operation op (and injects its fault), then
 * finds the object; -HF_E_NOTFOUND if there is none. */
static int lookup(struct mem_inst *m, int op, int kind, const char *name, struct mem_obj **o)
{
	int r = enter(m, op, NULL);

	*o = r == 0 ? find_obj(m, kind, name) : NULL;
	return r < 0 ? r : *o ? 0 : -HF_E_NOTFOUND;
}

static int mem_get(struct hf_store *s, int kind, const char *name, struct hf_buf *out)
{
	struct mem_inst *m = INST(s);
	struct mem_obj *o;
	int r;

	if (!hf_store_valid_name(kind, name))
		return -HF_E_USAGE;
	pthread_mutex_lock(&m->lock);
	r = lookup(m, HF_MEM_GET, kind, name, &o);
	if (r == 0) {
		out->len = 0;
		r = hf_buf_reserve(out, o->len);
		if (r == 0) {
			if (o->len)
				memcpy(out->data, o->data, o->len);
			out->len = o->len;
		}
	}
	pthread_mutex_unlock(&m->lock);
	return r;
}

static int copy_range(const struct mem_obj *o, uint64_t off, size_t n, void *out)
{
	if (off > o->len || n > o->len - off)
		return -HF_E_CORRUPT; /* as the local store: shorter than expected */
	if (n)
		memcpy(out, o->data + off, n);
	return 0;
}

static int mem_get_range(struct hf_store *s, int kind, const char *name, uint64_t off, size_t n, void *p)
{
	struct mem_inst *m = INST(s);
	struct mem_obj *o;
	int r;

	if (!hf_store_valid_name(kind, name))
		return -HF_E_USAGE;
	pthread_mutex_lock(&m->lock);
	r = lookup(m, HF_MEM_GET_RANGE, kind, name, &o);
	if (r == 0)
		r = copy_range(o, off, n, p);
	pthread_mutex_unlock(&m->lock);
	return r;
}

/* size and mtime: one lookup */
static int stat_obj(struct hf_store *s, int op, int kind, const char *name, uint64_t *size, int64_t *ns)
{
	struct mem_inst *m = INST(s);
	struct mem_obj *o;
	int r;

	if (!hf_store_valid_name(kind, name))
		return -HF_E_USAGE;
	pthread_mutex_lock(&m->lock);
	r = lookup(m, op, kind, name, &o);
	if (r == 0 && size)
		*size = o->len;
	if (r == 0 && ns)
		*ns = o->mtime;
	pthread_mutex_unlock(&m->lock);
	return r;
}

static int mem_size(struct hf_store *s, int kind, const char *name, uint64_t *size)
{
	return stat_obj(s, HF_MEM_SIZE, kind, name, size, NULL);
}

static int mem_mtime(struct hf_store *s, int kind, const char *name, int64_t *ns)
{
	return stat_obj(s, HF_MEM_MTIME, kind, name, NULL, ns);
}

/* the callback runs without the lock (it may call the store), on a copy of
 * the names */
static int mem_list(struct hf_store *s, int kind, hf_store_list_fn fn, void *arg)
{
	struct mem_inst *m = INST(s);
	struct mem_obj *v = NULL;
	size_t n = 0;
	int r;

	if (kind == HF_OBJ_CONFIG || kind < 0 || kind >= HF_OBJ_KINDS)
		return -HF_E_USAGE;
	pthread_mutex_lock(&m->lock);
	r = enter(m, HF_MEM_LIST, NULL);
	if (r == 0 && m->kinds[kind].n) {
		n = m->kinds[kind].n;
		v = hf_xreallocarray(NULL, n, sizeof(*v));
		memcpy(v, m->kinds[kind].v, n * sizeof(*v));
	}
	pthread_mutex_unlock(&m->lock);
	for (size_t i = 0; r == 0 && i < n; i++)
		r = fn(arg, v[i].name, v[i].len);
	free(v);
	return r;
}

static int mem_remove(struct hf_store *s, int kind, const char *name)
{
	struct mem_inst *m = INST(s);
	struct mem_kind *k;
	int r;

	if (!hf_store_valid_name(kind, name))
		return -HF_E_USAGE;
	pthread_mutex_lock(&m->lock);
	r = enter(m, HF_MEM_REMOVE, NULL);
	if (r == 0 && !(m->caps & HF_STORE_CAN_DELETE))
		r = -HF_E_REFUSED;
	if (r == 0) {
		k = &m->kinds[kind];
		r = -HF_E_NOTFOUND;
		for (size_t i = 0; i < k->n; i++)
			if (strcmp(k->v[i].name, name) == 0) {
				r = k->v[i].lock_until_s > clock_of(m) / 1000000000 ? -HF_E_LOCKED : 0;
				if (r == 0)
					drop_obj(m, kind, i);
				break;
			}
	}
	pthread_mutex_unlock(&m->lock);
	return r;
}

static int mem_sync(struct hf_store *s)
{
	struct mem_inst *m = INST(s);
	int r;

	pthread_mutex_lock(&m->lock);
	r = enter(m, HF_MEM_SYNC, NULL);
	for (int kind = 0; r == 0 && kind < HF_OBJ_KINDS; kind++)
		for (size_t i = 0; i < m->kinds[kind].n; i++)
			m->kinds[kind].v[i].durable = 1;
	pthread_mutex_unlock(&m->lock);
	return r;
}

static int mem_reader_open(struct hf_store *s, int kind, const char *name, struct hf_store_reader **out)
{
	struct mem_inst *m = INST(s);
	struct mem_reader *rd = NULL;
	struct mem_obj *o;
	int r;

	*out = NULL;
	if (!hf_store_valid_name(kind, name))
		return -HF_E_USAGE;
	pthread_mutex_lock(&m->lock);
	r = lookup(m, HF_MEM_READER_OPEN, kind, name, &o);
	if (r == 0) {
		/* a copy: like an open file, it stays readable after a remove */
		rd = hf_xcalloc(1, sizeof(*rd));
		rd->store = s;
		rd->len = o->len;
		rd->data = hf_xmalloc(o->len ? o->len : 1);
		if (o->len)
			memcpy(rd->data, o->data, o->len);
	}
	pthread_mutex_unlock(&m->lock);
	*out = (struct hf_store_reader *)rd;
	return r;
}

static int mem_reader_read(struct hf_store_reader *hr, uint64_t off, size_t n, void *out)
{
	struct mem_reader *rd = (struct mem_reader *)hr;
	struct mem_inst *m = INST(rd->store);
	struct mem_obj o = {.data = rd->data, .len = rd->len};
	int r;

	pthread_mutex_lock(&m->lock);
	r = enter(m, HF_MEM_READER_READ, NULL);
	pthread_mutex_unlock(&m->lock);
	return r < 0 ? r : copy_range(&o, off, n, out);
}

static void mem_reader_close(struct hf_store_reader *hr)
{
	struct mem_reader *rd = (struct mem_reader *)hr;

	free(rd->data);
	free(rd);
}

static int mem_writer_open(struct hf_store *s, int kind, struct hf_store_writer **out)
{
	struct mem_inst *m = INST(s);
	struct mem_writer *w;
	int r;

	*out = NULL;
	if (kind < 0 || kind >= HF_OBJ_KINDS)
		return -HF_E_USAGE;
	pthread_mutex_lock(&m->lock);
	r = enter(m, HF_MEM_WRITER_OPEN, NULL);
	if (r == 0) {
		w = hf_xcalloc(1, sizeof(*w));
		w->store = s;
		w->kind = kind;
		w->epoch = m->epoch;
		*out = (struct hf_store_writer *)w;
	}
	pthread_mutex_unlock(&m->lock);
	return r;
}

static int mem_writer_write(struct hf_store_writer *hw, const void *p, size_t n)
{
	struct mem_writer *w = (struct mem_writer *)hw;
	struct mem_inst *m = INST(w->store);
	int is_short = 0, r;
	size_t keep = n;

	pthread_mutex_lock(&m->lock);
	r = enter(m, HF_MEM_WRITER_WRITE, &is_short);
	if (r == 0 && w->epoch != m->epoch)
		r = -EIO;
	if (r == 0 && is_short) {
		keep = n / 2;
		r = -EIO;
	} else if (r < 0) {
		keep = 0;
	}
	if (keep > m->cap - m->used) {
		keep = (size_t)(m->cap - m->used);
		r = -ENOSPC;
	}
	if (keep) {
		if (w->len + keep > w->cap) {
			w->cap = (w->len + keep) * 2;
			w->data = hf_xrealloc(w->data, w->cap);
		}
		memcpy(w->data + w->len, p, keep);
		w->len += keep;
		m->used += keep;
	}
	if (r < 0)
		w->failed = 1;
	pthread_mutex_unlock(&m->lock);
	return r;
}

static void writer_free(struct mem_writer *w, int release)
{
	struct mem_inst *m = INST(w->store);

	if (release) {
		pthread_mutex_lock(&m->lock);
		m->used -= w->len;
		pthread_mutex_unlock(&m->lock);
		free(w->data);
	}
	free(w);
}

static int mem_writer_commit(struct hf_store_writer *hw, const char *name, int flags)
{
	struct mem_writer *w = (struct mem_writer *)hw;
	struct mem_inst *m = INST(w->store);
	int r;

	if (!hf_store_valid_name(w->kind, name)) {
		writer_free(w, 1);
		return -HF_E_USAGE;
	}
	pthread_mutex_lock(&m->lock);
	r = enter(m, HF_MEM_WRITER_COMMIT, NULL);
	if (r == 0 && w->epoch != m->epoch)
		r = -EIO; /* lost in a crash */
	if (r == 0) {
		r = add_obj(m, w->kind, name, w->data ? w->data : hf_xmalloc(1), w->len, flags);
		if (r == 0)
			w->data = NULL; /* the object owns it, and its bytes in used */
	}
	pthread_mutex_unlock(&m->lock);
	writer_free(w, r < 0);
	return r;
}

static void mem_writer_abort(struct hf_store_writer *hw)
{
	writer_free((struct mem_writer *)hw, 1);
}

static int mem_now(struct hf_store *s, int64_t *ns)
{
	struct mem_inst *m = INST(s);
	int r;

	pthread_mutex_lock(&m->lock);
	r = enter(m, HF_MEM_NOW, NULL);
	if (r == 0)
		*ns = clock_of(m);
	pthread_mutex_unlock(&m->lock);
	return r;
}

/* Object Lock, as S3 has it: a lockable instance (hf_store_mem_set_lockable)
 * locks each new object for the period lock_set gave, by its own clock */
static int mem_lock_available(struct hf_store *s)
{
	struct mem_inst *m = INST(s);

	return m->lockable ? 0 : -HF_E_REFUSED;
}

static int mem_lock_set(struct hf_store *s, const struct hf_store_lock *l)
{
	struct mem_inst *m = INST(s);

	if (!m->lockable)
		return -HF_E_REFUSED;
	pthread_mutex_lock(&m->lock);
	m->objlock = *l;
	pthread_mutex_unlock(&m->lock);
	return 0;
}

/* until_s NULL: extend to extend_s if before if_before_s (1 if it moved) */
static int lock_op(struct hf_store *s, int kind, const char *name, int64_t *until_s, int64_t if_before_s,
		   int64_t extend_s)
{
	struct mem_inst *m = INST(s);
	struct mem_obj *o;
	int r;

	if (!m->lockable)
		return -HF_E_REFUSED;
	pthread_mutex_lock(&m->lock);
	r = lookup(m, HF_MEM_SIZE, kind, name, &o);
	if (r == 0 && until_s) {
		*until_s = o->lock_until_s;
	} else if (r == 0 && o->lock_until_s < if_before_s && extend_s > o->lock_until_s) {
		o->lock_until_s = extend_s;
		r = 1;
	}
	pthread_mutex_unlock(&m->lock);
	return r;
}

static int mem_lock_until(struct hf_store *s, int kind, const char *name, int64_t *until_s)
{
	return lock_op(s, kind, name, until_s, 0, 0);
}

static int mem_lock_extend(struct hf_store *s, int kind, const char *name, int64_t if_before_s, int64_t until_s)
{
	return lock_op(s, kind, name, NULL, if_before_s, until_s);
}

static void mem_close(struct hf_store *s)
{
	free(s);
}

static const struct hf_store_ops mem_ops = {
	.put = mem_put,
	.get = mem_get,
	.get_range = mem_get_range,
	.size = mem_size,
	.mtime = mem_mtime,
	.list = mem_list,
	.remove = mem_remove,
	.sync = mem_sync,
	.reader_open = mem_reader_open,
	.reader_read = mem_reader_read,
	.reader_close = mem_reader_close,
	.writer_open = mem_writer_open,
	.writer_write = mem_writer_write,
	.writer_commit = mem_writer_commit,
	.writer_abort = mem_writer_abort,
	.close = mem_close,
	.now = mem_now,
	.lock_available = mem_lock_available,
	.lock_set = mem_lock_set,
	.lock_until = mem_lock_until,
	.lock_extend = mem_lock_extend,
};

static int inst_empty(struct mem_inst *m)
{
	for (int kind = 0; kind < HF_OBJ_KINDS; kind++)
		if (m->kinds[kind].n)
			return 0;
	return 1;
}

int hf_store_mem_open(const char *name, int create, struct hf_store **out)
{
	struct mem_inst *m;
	struct mem_store *ms;
	int r = 0;

	*out = NULL;
	if (!name || !*name || strlen(name) > HF_STORE_NAME_MAX)
		return -HF_E_USAGE;
	pthread_mutex_lock(&reg_lock);
	for (m = reg_head; m; m = m->next)
		if (strcmp(m->name, name) == 0)
			break;
	if (create && !m) {
		m = hf_xcalloc(1, sizeof(*m));
		m->name = hf_xstrdup(name);
		pthread_mutex_init(&m->lock, NULL);
		m->caps = HF_STORE_CAN_DELETE | HF_STORE_OWN_CLOCK;
		m->cap = UINT64_MAX;
		m->next = reg_head;
		reg_head = m;
	} else if (!m) {
		r = -HF_E_NOTFOUND;
	}
	pthread_mutex_unlock(&reg_lock);
	if (r < 0)
		return r;
	pthread_mutex_lock(&m->lock);
	if (m->crashed)
		r = -EIO;
	else if (create && !inst_empty(m))
		r = -HF_E_EXISTS;
	else if (!create && !find_obj(m, HF_OBJ_CONFIG, "config"))
		r = -HF_E_NOTFOUND;
	pthread_mutex_unlock(&m->lock);
	if (r < 0)
		return r;
	ms = hf_xcalloc(1, sizeof(*ms));
	ms->m = m;
	snprintf(ms->location, sizeof(ms->location), "mem:%s", name);
	ms->base.ops = &mem_ops;
	ms->base.location = ms->location;
	ms->base.caps = m->caps;
	*out = &ms->base;
	return 0;
}

int hf_store_mem_destroy(const char *name)
{
	struct mem_inst **pp, *m = NULL;

	pthread_mutex_lock(&reg_lock);
	for (pp = &reg_head; *pp; pp = &(*pp)->next)
		if (strcmp((*pp)->name, name) == 0) {
			m = *pp;
			*pp = m->next;
			break;
		}
	pthread_mutex_unlock(&reg_lock);
	if (!m)
		return -HF_E_NOTFOUND;
	for (int kind = 0; kind < HF_OBJ_KINDS; kind++) {
		for (size_t i = 0; i < m->kinds[kind].n; i++)
			free(m->kinds[kind].v[i].data);
		free(m->kinds[kind].v);
	}
	pthread_mutex_destroy(&m->lock);
	free(m->name);
	free(m);
	return 0;
}

/* runs set(m, a, b) under the instance's lock */
static int control(const char *name, void (*set)(struct mem_inst *, uint64_t, int64_t), uint64_t a, int64_t b)
{
	struct mem_inst *m = find_inst(name);

	if (!m)
		return -HF_E_NOTFOUND;
	pthread_mutex_lock(&m->lock);
	set(m, a, b);
	pthread_mutex_unlock(&m->lock);
	return 0;
}

static void set_fail_at(struct mem_inst *m, uint64_t n, int64_t err)
{
	m->fail_at = n;
	m->fail_err = (int)err;
}
static void set_fail_every(struct mem_inst *m, uint64_t mask, int64_t err)
{
	m->fail_mask = err ? (unsigned)mask : 0;
	m->fail_mask_err = (int)err;
}
static void set_short_at(struct mem_inst *m, uint64_t n, int64_t unused)
{
	m->short_at = n;
}
static void set_full(struct mem_inst *m, uint64_t bytes, int64_t unused)
{
	m->cap = bytes;
}
static void set_crash_at(struct mem_inst *m, uint64_t n, int64_t unused)
{
	m->crash_at = n;
}
static void set_restart(struct mem_inst *m, uint64_t unused, int64_t unused2)
{
	m->crashed = 0;
	m->crash_at = 0;
	m->fail_at = 0;
	m->fail_mask = 0;
	m->short_at = 0;
	m->cap = UINT64_MAX;
}
static void set_clock(struct mem_inst *m, uint64_t unused, int64_t ns)
{
	m->clock = ns;
}
static void set_caps(struct mem_inst *m, uint64_t caps, int64_t unused)
{
	m->caps = (unsigned)caps;
}
static void set_lockable(struct mem_inst *m, uint64_t on, int64_t unused)
{
	m->lockable = on != 0;
	if (on)
		m->caps |= HF_STORE_RETENTION;
}

int hf_store_mem_fail_at(const char *name, uint64_t n, int err)
{
	return control(name, set_fail_at, n, err);
}
int hf_store_mem_fail_every(const char *name, unsigned opmask, int err)
{
	return control(name, set_fail_every, opmask, err);
}
int hf_store_mem_short_write_at(const char *name, uint64_t n)
{
	return control(name, set_short_at, n, 0);
}
int hf_store_mem_full_after(const char *name, uint64_t bytes)
{
	return control(name, set_full, bytes, 0);
}
int hf_store_mem_crash_at(const char *name, uint64_t n)
{
	return control(name, set_crash_at, n, 0);
}
int hf_store_mem_restart(const char *name)
{
	return control(name, set_restart, 0, 0);
}
int hf_store_mem_set_clock(const char *name, int64_t ns)
{
	return control(name, set_clock, 0, ns);
}
int hf_store_mem_set_caps(const char *name, unsigned caps)
{
	return control(name, set_caps, caps, 0);
}
int hf_store_mem_set_lockable(const char *name, int on)
{
	return control(name, set_lockable, (uint64_t)on, 0);
}

int hf_store_mem_ops(const char *name, uint64_t *n)
{
	struct mem_inst *m = find_inst(name);

	if (!m)
		return -HF_E_NOTFOUND;
	pthread_mutex_lock(&m->lock);
	*n = m->nops;
	pthread_mutex_unlock(&m->lock);
	return 0;
}

int hf_store_mem_used(const char *name, uint64_t *bytes)
{
	struct mem_inst *m = find_inst(name);

	if (!m)
		return -HF_E_NOTFOUND;
	pthread_mutex_lock(&m->lock);
	*bytes = m->used;
	pthread_mutex_unlock(&m->lock);
	return 0;
}

int hf_store_mem_crashed(const char *name)
{
	struct mem_inst *m = find_inst(name);
	int c;

	if (!m)
		return -HF_E_NOTFOUND;
	pthread_mutex_lock(&m->lock);
	c = m->crashed;
	pthread_mutex_unlock(&m->lock);
	return c;
}
