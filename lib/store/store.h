/* store.h — the storage vtable: named immutable objects.
 *
 * A repository is a handful of object kinds (config, keys, snapshots, index,
 * packs, marks), each a flat namespace of names. Objects are created once and
 * never changed: put is create-only and atomic (a reader sees all of an object or
 * none); an existing name gives -HF_E_EXISTS. remove exists for the retention
 * path (forget --prune) alone. Backends: a local directory (store_local.c);
 * the server and S3 backends implement the same operations. All operations
 * are safe to call from several threads at once. */
#ifndef HF_STORE_H
#define HF_STORE_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

struct hf_buf;

enum hf_obj_kind {
	HF_OBJ_CONFIG = 0,
	HF_OBJ_KEY,
	HF_OBJ_SNAPSHOT,
	HF_OBJ_INDEX,
	HF_OBJ_PACK,
	HF_OBJ_MARK, /* marks/: pins and verdicts about snapshots (repo/mark.h) */
	HF_OBJ_PENDING, /* pending/: packs and index objects a prune will delete later */
	HF_OBJ_KINDS
};

#define HF_STORE_NAME_MAX 128

/* called for every object while listing; a non-zero return stops the listing
 * and is passed back */
typedef int (*hf_store_list_fn)(void *arg, const char *name, uint64_t size);

struct hf_store;
struct hf_store_writer; /* an object written piece by piece, named at commit */
struct hf_store_reader; /* an object kept open for many range reads */

#define HF_PUT_NOSYNC 1 /* durable only after hf_store_sync: for packs, which no
			  * index names until the sync that precedes the index */

struct hf_store_ops {
	int (*put)(struct hf_store *s, int kind, const char *name, const void *p, size_t n, int flags);
	int (*get)(struct hf_store *s, int kind, const char *name, struct hf_buf *out);
	int (*get_range)(struct hf_store *s, int kind, const char *name, uint64_t off, size_t n, void *out);
	int (*size)(struct hf_store *s, int kind, const char *name, uint64_t *size);
	/* when the object was stored, by the store's own clock (ns since 1970) */
	int (*mtime)(struct hf_store *s, int kind, const char *name, int64_t *ns);
	int (*list)(struct hf_store *s, int kind, hf_store_list_fn fn, void *arg);
	int (*remove)(struct hf_store *s, int kind, const char *name);
	int (*sync)(struct hf_store *s); /* makes every earlier NOSYNC put durable */
	/* Streaming puts, for objects too large to hold in memory (packs): the
	 * bytes go to a temporary place; commit gives the name (create-only, as
	 * put) and frees the writer; abort discards it. */
	/* Range reads of one object without finding it again each time. */
	int (*reader_open)(struct hf_store *s, int kind, const char *name, struct hf_store_reader **r);
	int (*reader_read)(struct hf_store_reader *r, uint64_t off, size_t n, void *out);
	void (*reader_close)(struct hf_store_reader *r);
	int (*writer_open)(struct hf_store *s, int kind, struct hf_store_writer **w);
	int (*writer_write)(struct hf_store_writer *w, const void *p, size_t n);
	int (*writer_commit)(struct hf_store_writer *w, const char *name, int flags);
	void (*writer_abort)(struct hf_store_writer *w);
	void (*close)(struct hf_store *s);
	/* the time now by the store's own clock (ns since 1970): the clock of
	 * mtime, on which grace periods before deletion are measured */
	int (*now)(struct hf_store *s, int64_t *ns);
	/* removes what writes that never committed left behind (temporary
	 * objects) older than older_than_ns; NULL for stores that leave nothing */
	int (*sweep)(struct hf_store *s, int64_t older_than_ns, uint64_t *files, uint64_t *bytes);
};

struct hf_store {
	const struct hf_store_ops *ops;
	const char *location; /* for messages */
};

/* Opens the directory store at dir. create: make the layout (dir must not
 * exist or be empty, else -HF_E_EXISTS). Without create, a directory without
 * a config object gives -HF_E_NOTFOUND. */
int hf_store_local_open(const char *dir, int create, struct hf_store **out);

static inline int hf_store_put(struct hf_store *s, int kind, const char *name, const void *p, size_t n)
{
	return s->ops->put(s, kind, name, p, n, 0);
}
static inline int hf_store_put_flags(struct hf_store *s, int kind, const char *name, const void *p, size_t n,
				     int flags)
{
	return s->ops->put(s, kind, name, p, n, flags);
}
static inline int hf_store_sync(struct hf_store *s)
{
	return s->ops->sync(s);
}
static inline int hf_store_get(struct hf_store *s, int kind, const char *name, struct hf_buf *out)
{
	return s->ops->get(s, kind, name, out);
}
static inline int hf_store_get_range(struct hf_store *s, int kind, const char *name, uint64_t off, size_t n,
				     void *out)
{
	return s->ops->get_range(s, kind, name, off, n, out);
}
static inline int hf_store_size(struct hf_store *s, int kind, const char *name, uint64_t *size)
{
	return s->ops->size(s, kind, name, size);
}
static inline int hf_store_mtime(struct hf_store *s, int kind, const char *name, int64_t *ns)
{
	return s->ops->mtime ? s->ops->mtime(s, kind, name, ns) : -ENOTSUP;
}
static inline int hf_store_now(struct hf_store *s, int64_t *ns)
{
	return s->ops->now ? s->ops->now(s, ns) : -ENOTSUP;
}
static inline int hf_store_sweep(struct hf_store *s, int64_t older_than_ns, uint64_t *files, uint64_t *bytes)
{
	*files = *bytes = 0;
	return s->ops->sweep ? s->ops->sweep(s, older_than_ns, files, bytes) : 0;
}
static inline int hf_store_list(struct hf_store *s, int kind, hf_store_list_fn fn, void *arg)
{
	return s->ops->list(s, kind, fn, arg);
}
static inline int hf_store_remove(struct hf_store *s, int kind, const char *name)
{
	return s->ops->remove(s, kind, name);
}
static inline int hf_store_writer_open(struct hf_store *s, int kind, struct hf_store_writer **w)
{
	return s->ops->writer_open(s, kind, w);
}
static inline int hf_store_reader_open(struct hf_store *s, int kind, const char *name, struct hf_store_reader **r)
{
	return s->ops->reader_open(s, kind, name, r);
}
int hf_store_reader_read(struct hf_store_reader *r, uint64_t off, size_t n, void *out);
void hf_store_reader_close(struct hf_store_reader *r); /* NULL-safe */
int hf_store_writer_write(struct hf_store_writer *w, const void *p, size_t n);
int hf_store_writer_commit(struct hf_store_writer *w, const char *name, int flags);
void hf_store_writer_abort(struct hf_store_writer *w); /* NULL-safe */
void hf_store_close(struct hf_store *s); /* NULL-safe */

#endif
