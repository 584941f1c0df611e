/* store_mem.h — the in-memory store, for tests: every store operation, plus
 * faults injected on request.
 *
 * "mem:NAME" (hf_store_open) names one instance in a process-wide registry:
 * opening, closing and reopening the URL reaches the same objects, as a
 * directory would. An instance lives until hf_store_mem_destroy.
 *
 * Every operation on an instance (put, get, get_range, size, mtime, list,
 * remove, sync, reader_open, reader_read, writer_open, writer_write,
 * writer_commit, now; not close, abort or reader_close) gets the next
 * number, 1, 2, ... (hf_store_mem_ops gives the last one). Faults strike at
 * a number or on every operation of some kinds. All control functions take
 * the instance NAME (without "mem:") and return -HF_E_NOTFOUND if it does not
 * exist. */
#ifndef HF_STORE_MEM_H
#define HF_STORE_MEM_H

#include <stdint.h>

struct hf_store;

enum hf_mem_op {
	HF_MEM_PUT = 0,
	HF_MEM_GET,
	HF_MEM_GET_RANGE,
	HF_MEM_SIZE,
	HF_MEM_MTIME,
	HF_MEM_LIST,
	HF_MEM_REMOVE,
	HF_MEM_SYNC,
	HF_MEM_READER_OPEN,
	HF_MEM_READER_READ,
	HF_MEM_WRITER_OPEN,
	HF_MEM_WRITER_WRITE,
	HF_MEM_WRITER_COMMIT,
	HF_MEM_NOW,
	HF_MEM_NOPS
};
#define HF_MEM_OP(op) (1u << (op))
#define HF_MEM_READS                                                                           \
	(HF_MEM_OP(HF_MEM_GET) | HF_MEM_OP(HF_MEM_GET_RANGE) | HF_MEM_OP(HF_MEM_READER_OPEN) | \
	 HF_MEM_OP(HF_MEM_READER_READ))

/* hf_store_open("mem:NAME"): create makes the instance (-HF_E_EXISTS if it
 * holds objects); without create an instance without a config object gives
 * -HF_E_NOTFOUND. */
int hf_store_mem_open(const char *name, int create, struct hf_store **out);
/* frees the instance; handles still open must not be used afterwards */
int hf_store_mem_destroy(const char *name);

/* the number of the last operation so far */
int hf_store_mem_ops(const char *name, uint64_t *n);
/* the bytes held: objects plus open writers' data */
int hf_store_mem_used(const char *name, uint64_t *bytes);
/* operation number n fails once with err (no effect) */
int hf_store_mem_fail_at(const char *name, uint64_t n, int err);
/* every operation in opmask (HF_MEM_OP bits) fails with err; 0 ends it. A
 * remove refused by the store is fail_every(HF_MEM_OP(HF_MEM_REMOVE),
 * -HF_E_REFUSED), a locked one the same with -HF_E_LOCKED. */
int hf_store_mem_fail_every(const char *name, unsigned opmask, int err);
/* operation number n, if a writer_write, keeps only the first half of its
 * bytes and fails with -EIO (the writer is then good only for abort; a
 * caller that commits anyway stores a truncated object); any other
 * operation n fails with -EIO */
int hf_store_mem_short_write_at(const char *name, uint64_t n);
/* the store holds at most bytes (objects plus open writers' data): a put
 * that does not fit fails with -ENOSPC, a writer_write keeps what fits and
 * fails with -ENOSPC. UINT64_MAX: no limit. */
int hf_store_mem_full_after(const char *name, uint64_t bytes);
/* the machine crashes at operation number n: it and every later one fail
 * with -EIO; objects put with HF_PUT_NOSYNC and not yet synced are lost (as
 * on the local store), so are open writers (their commit fails even after
 * a restart). hf_store_mem_crashed tells whether it has happened. */
int hf_store_mem_crash_at(const char *name, uint64_t n);
int hf_store_mem_crashed(const char *name);
/* the reboot after a crash: every fault and limit cleared, the operations
 * work again (what was lost stays lost) */
int hf_store_mem_restart(const char *name);
/* now() and the mtime of new objects: ns since 1970; 0 returns to the real
 * clock */
int hf_store_mem_set_clock(const char *name, int64_t ns);
/* replaces the capabilities the instance declares (HF_STORE_*), for the
 * handles opened afterwards; remove without HF_STORE_CAN_DELETE is refused */
int hf_store_mem_set_caps(const char *name, unsigned caps);
/* makes the instance a store with Object Lock, as an S3 bucket with it
 * (HF_STORE_RETENTION): lock_set then locks every new object for its period
 * by the instance's clock, a remove before that date gives -HF_E_LOCKED,
 * lock_until and lock_extend read and move the date. Without it the lock
 * operations give -HF_E_REFUSED. */
int hf_store_mem_set_lockable(const char *name, int on);

#endif
