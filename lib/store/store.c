/* store.c — backend-independent parts of the storage vtable. */
#include <string.h>

#include "store/store.h"

/* every backend's readers and writers start with this, so the generic calls
 * find the ops */
struct hf_store_writer {
	struct hf_store *store;
};

struct hf_store_reader {
	struct hf_store *store;
};

int hf_store_reader_read(struct hf_store_reader *r, uint64_t off, size_t n, void *out)
{
	return r->store->ops->reader_read(r, off, n, out);
}

void hf_store_reader_close(struct hf_store_reader *r)
{
	if (r)
		r->store->ops->reader_close(r);
}

int hf_store_writer_write(struct hf_store_writer *w, const void *p, size_t n)
{
	return w->store->ops->writer_write(w, p, n);
}

int hf_store_writer_commit(struct hf_store_writer *w, const char *name, int flags)
{
	return w->store->ops->writer_commit(w, name, flags);
}

void hf_store_writer_abort(struct hf_store_writer *w)
{
	if (w)
		w->store->ops->writer_abort(w);
}

void hf_store_close(struct hf_store *s)
{
	if (s)
		s->ops->close(s);
}

struct plain_entries {
	hf_store_entry_fn fn;
	void *arg;
};

static int plain_entry(void *arg, const char *name, uint64_t size)
{
	struct plain_entries *pe = arg;
	struct hf_store_entry e = {name, size, 0, NULL};

	return pe->fn(pe->arg, &e);
}

int hf_store_list_entries(struct hf_store *s, int kind, hf_store_entry_fn fn, void *arg)
{
	struct plain_entries pe = {fn, arg};

	if (s->ops->list_entries)
		return s->ops->list_entries(s, kind, fn, arg);
	return hf_store_list(s, kind, plain_entry, &pe);
}

void hf_store_set_signer(struct hf_store *s, hf_store_sign_fn fn, void *arg)
{
	if (s && s->ops->set_signer)
		s->ops->set_signer(s, fn, arg);
}

int hf_store_offer_tag_key(struct hf_store *s, const uint8_t key[HF_KEY_LEN])
{
	return s && s->ops->offer_tag_key ? s->ops->offer_tag_key(s, key) : 0;
}

int hf_store_lock_available(struct hf_store *s)
{
	return s->ops->lock_available ? s->ops->lock_available(s) : -HF_E_REFUSED;
}

int hf_store_lock_set(struct hf_store *s, const struct hf_store_lock *l)
{
	if (l->mode == HF_LOCK_OFF)
		return 0;
	return s->ops->lock_set ? s->ops->lock_set(s, l) : -HF_E_REFUSED;
}

int hf_store_lock_until(struct hf_store *s, int kind, const char *name, int64_t *until_s)
{
	*until_s = 0;
	return s->ops->lock_until ? s->ops->lock_until(s, kind, name, until_s) : -HF_E_REFUSED;
}

int hf_store_lock_extend(struct hf_store *s, int kind, const char *name, int64_t if_before_s, int64_t until_s)
{
	if (if_before_s > until_s)
		return -HF_E_USAGE;
	return s->ops->lock_extend ? s->ops->lock_extend(s, kind, name, if_before_s, until_s) : -HF_E_REFUSED;
}

static const char *const lock_names[] = {
	[HF_LOCK_OFF] = "off", [HF_LOCK_GOVERNANCE] = "governance", [HF_LOCK_COMPLIANCE] = "compliance"};

const char *hf_lock_mode_name(int mode)
{
	return mode >= HF_LOCK_OFF && mode <= HF_LOCK_COMPLIANCE ? lock_names[mode] : "?";
}

int hf_lock_mode_parse(const char *name)
{
	for (int m = HF_LOCK_OFF; m <= HF_LOCK_COMPLIANCE; m++)
		if (strcmp(name, lock_names[m]) == 0)
			return m;
	return -HF_E_USAGE;
}

size_t hf_store_delete_message(const char *repo, int kind, const char *name, const uint8_t nonce[HF_DELETE_NONCE_LEN],
			       uint64_t counter, uint8_t out[HF_DELETE_MSG_MAX])
{
	static const char label[] = "holdfast delete v1";
	const char *parts[3] = {repo, hf_store_kind_name(kind), name};
	size_t n = 0;

	memcpy(out, label, sizeof(label)); /* with its NUL */
	n = sizeof(label);
	for (int i = 0; i < 3; i++) {
		size_t len = parts[i] ? strnlen(parts[i], 64) : 0;
		memcpy(out + n, parts[i] ? parts[i] : "", len);
		out[n + len] = '\0';
		n += len + 1;
	}
	memcpy(out + n, nonce, HF_DELETE_NONCE_LEN);
	n += HF_DELETE_NONCE_LEN;
	for (int i = 7; i >= 0; i--)
		out[n++] = (uint8_t)(counter >> (8 * i));
	return n;
}
