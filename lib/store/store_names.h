/* store_names.h — private to lib/store: object names and their relative
 * paths, one definition for every store. A store that keeps objects under
 * keys (S3, the server) uses the same relative path as its key, so every
 * store lays the repository out the same way. */
#ifndef HF_STORE_NAMES_H
#define HF_STORE_NAMES_H

#include <stddef.h>

#include "store/store.h"

/* the directory (key prefix) of each kind; "." for the config object */
extern const char *const hf_store_kind_dir[HF_OBJ_KINDS];

/* 1 if name may be stored under kind: lowercase hex, 2 to 64 characters, or
 * "config" for the config object. Nothing else reaches a file system or a
 * URL, so a hostile name cannot escape the store. */
int hf_store_valid_name(int kind, const char *name);

/* relative path of an object: "keys/<name>", "data/ab/<name>", "config".
 * -HF_E_USAGE for an invalid kind or name, -HF_E_LIMIT if cap is too small. */
int hf_store_obj_path(int kind, const char *name, char *out, size_t cap);

#endif
