/* store_names.c — the object names every store accepts and the relative
 * path (directory layout or key) of each object (store_names.h). */
#include <stdio.h>
#include <string.h>

#include "store/store_names.h"
#include "util/err.h"

const char *const hf_store_kind_dir[HF_OBJ_KINDS] = {".", "keys", "snapshots", "index", "data", "marks", "pending"};

int hf_store_valid_name(int kind, const char *name)
{
	size_t n;

	if (kind < 0 || kind >= HF_OBJ_KINDS || !name)
		return 0;
	if (kind == HF_OBJ_CONFIG)
		return strcmp(name, "config") == 0;
	n = strlen(name);
	if (n < 2 || n > 64)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((name[i] >= '0' && name[i] <= '9') || (name[i] >= 'a' && name[i] <= 'f')))
			return 0;
	return 1;
}

int hf_store_obj_path(int kind, const char *name, char *out, size_t cap)
{
	int n;

	if (!hf_store_valid_name(kind, name))
		return -HF_E_USAGE;
	if (kind == HF_OBJ_CONFIG)
		n = snprintf(out, cap, "config");
	else if (kind == HF_OBJ_PACK)
		n = snprintf(out, cap, "data/%.2s/%s", name, name);
	else
		n = snprintf(out, cap, "%s/%s", hf_store_kind_dir[kind], name);
	return (n < 0 || (size_t)n >= cap) ? -HF_E_LIMIT : 0;
}

static const char *const kind_names[HF_OBJ_KINDS] = {"config", "keys",  "snapshots", "index",
						     "data",   "marks", "pending"};

const char *hf_store_kind_name(int kind)
{
	return kind >= 0 && kind < HF_OBJ_KINDS ? kind_names[kind] : NULL;
}

int hf_store_kind_parse(const char *name)
{
	for (int k = 0; k < HF_OBJ_KINDS; k++)
		if (strcmp(name, kind_names[k]) == 0)
			return k;
	return -HF_E_USAGE;
}

int hf_store_name_ok(int kind, const char *name)
{
	return hf_store_valid_name(kind, name);
}
