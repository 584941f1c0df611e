/* cmd_serve_client.c — holdfast serve-client: the clients of a repository
 * server (add, list, remove, rotate). Runs on the server, against its root. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "commands.h"
#include "crypto/crypto.h"
#include "server/policy.h"
#include "server/registry.h"
#include "util/err.h"

static const char usage[] =
	"usage: holdfast serve-client add NAME --role backup|restore|admin --root DIR [--repos R1,R2|*]\n"
	"                                 [--snapshots-per-hour N] [--quota-gb N] [--quota-objects N]\n"
	"       holdfast serve-client list --root DIR\n"
	"       holdfast serve-client remove NAME --root DIR\n"
	"       holdfast serve-client rotate NAME --root DIR      (a new token; the old one stops working)\n"
	"add and rotate print the client's token once. --repos defaults to a repository named NAME.\n"
	"--snapshots-per-hour defaults to 60 (0: no limit), so a compromised client cannot flood.\n"
	"--quota-gb (GiB, fractions allowed) and --quota-objects bound what the client may store in all;\n"
	"past them its writes get 507 and a log line.\n";

#define DEFAULT_SNAPSHOTS_PER_HOUR 60

enum { OPT_ROOT = 1, OPT_ROLE, OPT_REPOS, OPT_SNAPSHOTS_PER_HOUR, OPT_QUOTA_GB, OPT_QUOTA_OBJECTS };

struct client_args {
	const char *verb, *name, *root, *repos;
	int role, snapshots_per_hour, quota_objects;
	uint64_t quota_bytes;
};

/* "--quota-gb N": GiB, a fraction allowed, more than 0 and at most 2^30 */
static int parse_gb(const char *arg, uint64_t *bytes)
{
	char *end;
	double gb;

	errno = 0;
	gb = strtod(arg, &end);
	if (errno || end == arg || *end || !(gb > 0) || gb > (double)(1u << 30))
		return cli_usage_error(usage, "--quota-gb is a number of GiB above 0, e.g. 500 or 0.5");
	*bytes = (uint64_t)(gb * 1073741824.0);
	if (*bytes == 0)
		*bytes = 1;
	return 0;
}

static int client_parse(struct cli_common *c, void *args, int argc, char **argv)
{
	static const struct option opts[] = {CLI_COMMON_OPTIONS,
					     {"root", required_argument, NULL, OPT_ROOT},
					     {"role", required_argument, NULL, OPT_ROLE},
					     {"repos", required_argument, NULL, OPT_REPOS},
					     {"snapshots-per-hour", required_argument, NULL, OPT_SNAPSHOTS_PER_HOUR},
					     {"quota-gb", required_argument, NULL, OPT_QUOTA_GB},
					     {"quota-objects", required_argument, NULL, OPT_QUOTA_OBJECTS},
					     {NULL, 0, NULL, 0}};
	struct client_args *a = args;
	int opt, r, want_name;

	a->snapshots_per_hour = DEFAULT_SNAPSHOTS_PER_HOUR;
	while ((opt = cli_next_opt(c, argc, argv, "", opts, usage, &r)) > 0) {
		if (opt == OPT_ROOT)
			a->root = optarg;
		else if (opt == OPT_ROLE && (a->role = hf_role_parse(optarg)) < 0)
			return cli_usage_error(usage, "--role is backup, restore or admin");
		else if (opt == OPT_REPOS)
			a->repos = optarg;
		else if (opt == OPT_SNAPSHOTS_PER_HOUR &&
			 cli_parse_uint(usage, "--snapshots-per-hour", optarg, 1 << 20, &a->snapshots_per_hour) < 0)
			return HF_EXIT_USAGE;
		else if (opt == OPT_QUOTA_GB && parse_gb(optarg, &a->quota_bytes) != 0)
			return HF_EXIT_USAGE;
		else if (opt == OPT_QUOTA_OBJECTS &&
			 cli_parse_uint(usage, "--quota-objects", optarg, 2000000000, &a->quota_objects) < 0)
			return HF_EXIT_USAGE;
	}
	if (opt < 0)
		return r;
	if (optind >= argc)
		return cli_usage_error(usage, "add, list, remove or rotate?");
	a->verb = argv[optind++];
	want_name = strcmp(a->verb, "list") != 0;
	if (strcmp(a->verb, "add") && strcmp(a->verb, "list") && strcmp(a->verb, "remove") && strcmp(a->verb, "rotate"))
		return cli_usage_error(usage, "unknown action '%s'", a->verb);
	if (want_name) {
		if (optind >= argc)
			return cli_usage_error(usage, "%s needs a client NAME", a->verb);
		a->name = argv[optind++];
		if (!hf_server_name_ok(a->name))
			return cli_usage_error(usage, "a client name is 1 to 63 of a-z 0-9 _ -, starting with a letter "
						      "or digit");
	}
	if (optind != argc)
		return cli_usage_error(usage, "unexpected argument '%s'", argv[optind]);
	if (!a->root)
		return cli_usage_error(usage, "--root DIR is needed");
	if (strcmp(a->verb, "add") == 0 && a->role <= 0)
		return cli_usage_error(usage, "add needs --role backup, restore or admin");
	return CLI_RUN;
}

static int print_client(void *arg, const struct hf_client *c)
{
	(void)arg;
	printf("%-20s %-8s %-30s snapshots per hour: %" PRIu32 ", quota: ", c->name, hf_role_name(c->role), c->repos,
	       c->snapshots_per_hour);
	if (c->quota_bytes)
		printf("%.3f GiB", (double)c->quota_bytes / 1073741824.0);
	if (c->quota_objects)
		printf("%s%" PRIu64 " objects", c->quota_bytes ? ", " : "", c->quota_objects);
	printf("%s\n", c->quota_bytes || c->quota_objects ? "" : "none");
	return 0;
}

static int client_run(const struct cli_common *c, void *args, struct hf_repo *repo)
{
	struct client_args *a = args;
	struct hf_client rec = {0};
	char token[HF_TOKEN_LEN + 1];
	struct timespec ts;
	int r;

	(void)c;
	(void)repo;
	if (strcmp(a->verb, "list") == 0) {
		r = hf_registry_list(a->root, print_client, NULL);
		if (r < 0)
			cli_err("cannot list the clients of %s: %s", a->root, hf_strerror(r));
		return r < 0 ? HF_EXIT_ERROR : HF_EXIT_OK;
	}
	if (strcmp(a->verb, "remove") == 0) {
		r = hf_registry_remove(a->root, a->name);
		if (r < 0)
			cli_err("cannot remove client %s: %s", a->name,
				r == -HF_E_NOTFOUND ? "there is no such client" : hf_strerror(r));
		else
			printf("client %s removed: its token no longer works\n", a->name);
		return r < 0 ? HF_EXIT_ERROR : HF_EXIT_OK;
	}
	if (strcmp(a->verb, "rotate") == 0) {
		r = hf_registry_get(a->root, a->name, &rec);
		if (r < 0) {
			cli_err("cannot rotate client %s: %s", a->name,
				r == -HF_E_NOTFOUND ? "there is no such client" : hf_strerror(r));
			return HF_EXIT_ERROR;
		}
	} else {
		snprintf(rec.name, sizeof(rec.name), "%s", a->name);
		rec.role = a->role;
		snprintf(rec.repos, sizeof(rec.repos), "%s", a->repos ? a->repos : a->name);
		rec.snapshots_per_hour = (uint32_t)a->snapshots_per_hour;
		rec.quota_bytes = a->quota_bytes;
		rec.quota_objects = (uint64_t)a->quota_objects;
		clock_gettime(CLOCK_REALTIME, &ts);
		rec.created_ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
	}
	r = hf_token_new(rec.name, token, sizeof(token), rec.token_hash);
	if (r == 0)
		r = strcmp(a->verb, "add") == 0 ? hf_registry_add(a->root, &rec) : hf_registry_replace(a->root, &rec);
	if (r < 0) {
		cli_err("cannot %s client %s: %s", a->verb, a->name,
			r == -HF_E_EXISTS  ? "it exists (rotate gives it a new token)"
			: r == -HF_E_USAGE ? "--repos is R1,R2,... of valid names, or *"
					   : hf_strerror(r));
		hf_wipe(token, sizeof(token));
		return HF_EXIT_ERROR;
	}
	printf("client %s (%s) %s; repositories: %s\n", rec.name, hf_role_name(rec.role),
	       strcmp(a->verb, "add") == 0 ? "added" : "has a new token", rec.repos);
	printf("token: %s\n", token);
	printf("(shown once: keep it in a file only root can read, and give it to holdfast with --token-file)\n");
	hf_wipe(token, sizeof(token));
	return HF_EXIT_OK;
}

const struct cli_command cli_cmd_serve_client = {
	.name = "serve-client",
	.help = "add, list, remove or rotate the clients of a repository server",
	.flags = 0,
	.args_size = sizeof(struct client_args),
	.parse = client_parse,
	.run = client_run,
};
