/* err.h — holdfast's error codes.
 *
 * Every fallible function returns int: 0 (or a positive count) on success, a
 * negative value on failure: -errno for system errors or -HF_E_* for our own.
 * hf_strerror() turns either into a message. Nothing below src/ prints. */
#ifndef HF_UTIL_ERR_H
#define HF_UTIL_ERR_H

enum hf_err {
	HF_E_BASE = 10000,
	HF_E_CORRUPT,     /* repository data fails a structural check */
	HF_E_AUTH,        /* authentication tag or MAC mismatch */
	HF_E_PASSWORD,    /* no key file opens with this passphrase */
	HF_E_VERSION,     /* unsupported format version */
	HF_E_NOTFOUND,    /* object, snapshot or path does not exist */
	HF_E_EXISTS,      /* object already exists (create-only store) */
	HF_E_LIMIT,       /* a size limit was exceeded */
	HF_E_AMBIGUOUS,   /* snapshot prefix matches more than one */
	HF_E_CHANGED,     /* file changed while it was being read */
	HF_E_USAGE,       /* invalid argument */
	HF_E_CANCELED,    /* another stage failed first */
	HF_E_RACE,        /* a concurrent prune removed data this operation relies on */
	HF_E_REFUSED,     /* the store refused the operation (append-only, no permission) */
	HF_E_LOCKED,      /* the object is under a retention lock and cannot be removed yet */
	HF_E_UNAVAILABLE, /* the store cannot be reached now; retrying later may work */
	HF_E_UNSAFE,      /* a snapshot was written that a concurrent prune may break, and could not be withdrawn */
	HF_E_MISSING,     /* an object the index or a snapshot names is not in the store */
	HF_E_SCHEME,      /* a store URL with a scheme this build does not support */
	HF_E_WRITEONLY,   /* the operation needs the full key; this one is write-only */
	HF_E_RATE,        /* the server refused: a rate limit of this client (snapshots per hour) */
	HF_E_NODETECT,    /* content detection cannot start (its decoders or libmagic's database) */
	HF_E_MAX
};

/* HF_MUST_USE on a declaration: the compiler warns when a caller ignores the
 * result (-Wunused-result; an error with WERROR=1). For functions whose result
 * is an error code that must be checked, or memory the caller now owns. A
 * (void) cast does not silence it: handle the result. */
#define HF_MUST_USE __attribute__((warn_unused_result))

/* hf_strerror(err): message for a negative (or positive) error code. */
const char *hf_strerror(int err);

#endif
