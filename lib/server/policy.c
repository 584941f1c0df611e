/* policy.c — the role table (policy.h). Anything the table does not list is
 * refused. */
#include <string.h>

#include "server/policy.h"
#include "store/store.h"

#define K(kind) (1u << (kind))
#define ALL_KINDS (K(HF_OBJ_KINDS) - 1)
#define DATA_SIDE (K(HF_OBJ_PACK) | K(HF_OBJ_INDEX) | K(HF_OBJ_SNAPSHOT) | K(HF_OBJ_MARK))

struct rule {
	int op;
	unsigned kinds[4]; /* by role: the kinds the op is allowed on */
};

/* kinds[role]: [0] unused, backup, restore, admin */
static const struct rule rules[] = {
	{HF_OP_LIST,
	 {0, K(HF_OBJ_PACK) | K(HF_OBJ_INDEX) | K(HF_OBJ_PENDING), ALL_KINDS & ~K(HF_OBJ_CONFIG),
	  ALL_KINDS & ~K(HF_OBJ_CONFIG)}},
	{HF_OP_GET, {0, K(HF_OBJ_CONFIG) | K(HF_OBJ_KEY) | K(HF_OBJ_PENDING), ALL_KINDS, ALL_KINDS}},
	{HF_OP_HEAD,
	 {0, K(HF_OBJ_CONFIG) | K(HF_OBJ_PACK) | K(HF_OBJ_INDEX) | K(HF_OBJ_PENDING), ALL_KINDS, ALL_KINDS}},
	{HF_OP_GET_IDLIST, {0, K(HF_OBJ_INDEX), K(HF_OBJ_INDEX), K(HF_OBJ_INDEX)}},
	{HF_OP_PUT, {0, DATA_SIDE, 0, ALL_KINDS}},
	{HF_OP_DELETE, {0, 0, 0, ALL_KINDS & ~K(HF_OBJ_CONFIG)}},
	{HF_OP_CREATE, {0, 0, 0, ALL_KINDS}},
};

int hf_policy_check(int role, int op, int kind)
{
	if (role < HF_ROLE_BACKUP || role > HF_ROLE_ADMIN || kind < 0 || kind >= HF_OBJ_KINDS)
		return -HF_E_REFUSED;
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
		if (rules[i].op == op)
			return rules[i].kinds[role] & K(kind) ? 0 : -HF_E_REFUSED;
	return -HF_E_REFUSED;
}

static const char *const names[] = {NULL, "backup", "restore", "admin"};

const char *hf_role_name(int role)
{
	return role >= HF_ROLE_BACKUP && role <= HF_ROLE_ADMIN ? names[role] : NULL;
}

int hf_role_parse(const char *name)
{
	for (int role = HF_ROLE_BACKUP; role <= HF_ROLE_ADMIN; role++)
		if (strcmp(name, names[role]) == 0)
			return role;
	return -HF_E_USAGE;
}
