/* s3_cred.c — the S3 store's credentials and region (s3_cred.h): the
 * standard AWS environment variables, then the shared credentials and
 * config files, as the AWS command line tools read them (the subset that
 * names keys; no credential processes, no instance metadata). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/s3_cred.h"
#include "util/err.h"
#include "util/mem.h"

#define LINE_MAX_LEN 4096

static void wipe_free(char *s)
{
	if (!s)
		return;
	memset(s, 0, strlen(s));
	__asm__ __volatile__("" : : "r"(s) : "memory");
	free(s);
}

void hf_s3_cred_release(struct hf_s3_cred *c)
{
	free(c->access);
	wipe_free(c->secret);
	wipe_free(c->token);
	free(c->region);
	memset(c, 0, sizeof(*c));
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
		e--;
	*e = '\0';
	return s;
}

/* the file an AWS_* variable names, or ~/.aws/NAME */
static int file_path(const char *var, const char *name, char *out, size_t cap)
{
	const char *v = getenv(var), *home = getenv("HOME");
	int n;

	if (v && *v)
		n = snprintf(out, cap, "%s", v);
	else if (home && *home)
		n = snprintf(out, cap, "%s/.aws/%s", home, name);
	else
		return -1;
	return n < 0 || (size_t)n >= cap ? -1 : 0;
}

/* Reads the keys of section [section] of an INI file: for each key in
 * keys[], its value into vals[] (strdup'd, only if not set yet). 0, or
 * -errno if the file cannot be read (-ENOENT if it does not exist). */
static int read_ini(const char *path, const char *section, const char *const *keys, char **vals, size_t nkeys)
{
	FILE *f = fopen(path, "re");
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int in = 0;

	if (!f)
		return -errno;
	while ((len = getline(&line, &cap, f)) >= 0) {
		char *s, *eq;
		if (len > LINE_MAX_LEN)
			continue;
		s = trim(line);
		if (*s == '#' || *s == ';' || !*s)
			continue;
		if (*s == '[') {
			char *e = strchr(s, ']');
			if (e) {
				*e = '\0';
				in = strcmp(trim(s + 1), section) == 0;
			}
			continue;
		}
		if (!in || !(eq = strchr(s, '=')))
			continue;
		*eq = '\0';
		s = trim(s);
		for (size_t i = 0; i < nkeys; i++)
			if (!vals[i] && strcmp(s, keys[i]) == 0)
				vals[i] = hf_xstrdup(trim(eq + 1));
	}
	if (line) {
		memset(line, 0, cap); /* it may have held a secret */
		free(line);
	}
	fclose(f);
	return 0;
}

static const char *env(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

/* a value that goes into a header: printable ASCII, no spaces around */
static int header_safe(const char *s)
{
	if (!s)
		return 1;
	for (; *s; s++)
		if ((unsigned char)*s < 0x21 || (unsigned char)*s > 0x7e)
			return 0;
	return 1;
}

int hf_s3_cred_load(struct hf_s3_cred *c, char *why, size_t why_cap)
{
	const char *profile = env("AWS_PROFILE"), *v;
	char path[1024], section[300];

	memset(c, 0, sizeof(*c));
	if (!profile)
		profile = "default";
	if (strlen(profile) > 200) {
		snprintf(why, why_cap, "AWS_PROFILE is too long");
		return -HF_E_USAGE;
	}
	if (env("AWS_ACCESS_KEY_ID") && env("AWS_SECRET_ACCESS_KEY")) {
		c->access = hf_xstrdup(env("AWS_ACCESS_KEY_ID"));
		c->secret = hf_xstrdup(env("AWS_SECRET_ACCESS_KEY"));
		c->token = env("AWS_SESSION_TOKEN") ? hf_xstrdup(env("AWS_SESSION_TOKEN")) : NULL;
		snprintf(c->from, sizeof(c->from), "AWS_ACCESS_KEY_ID");
	} else if (file_path("AWS_SHARED_CREDENTIALS_FILE", "credentials", path, sizeof(path)) == 0) {
		static const char *const keys[] = {"aws_access_key_id", "aws_secret_access_key", "aws_session_token"};
		char *vals[3] = {NULL, NULL, NULL};
		if (read_ini(path, profile, keys, vals, 3) == 0 && vals[0] && vals[1]) {
			c->access = vals[0];
			c->secret = vals[1];
			c->token = vals[2];
			snprintf(c->from, sizeof(c->from), "profile %.40s", profile);
		} else {
			free(vals[0]);
			wipe_free(vals[1]);
			wipe_free(vals[2]);
		}
	}
	if (!c->access) {
		snprintf(why, why_cap,
			 "no S3 credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or put profile [%s] "
			 "in ~/.aws/credentials (AWS_PROFILE, AWS_SHARED_CREDENTIALS_FILE)",
			 profile);
		return -HF_E_NOTFOUND;
	}
	if ((v = env("AWS_REGION")) || (v = env("AWS_DEFAULT_REGION"))) {
		c->region = hf_xstrdup(v);
	} else if (file_path("AWS_CONFIG_FILE", "config", path, sizeof(path)) == 0) {
		static const char *const keys[] = {"region"};
		char *vals[1] = {NULL};
		if (strcmp(profile, "default") == 0)
			snprintf(section, sizeof(section), "default");
		else
			snprintf(section, sizeof(section), "profile %s", profile);
		if (read_ini(path, section, keys, vals, 1) == 0)
			c->region = vals[0];
	}
	if (!c->region || !*c->region) {
		free(c->region);
		c->region = hf_xstrdup("us-east-1");
	}
	if (!header_safe(c->access) || !header_safe(c->secret) || !header_safe(c->token) || !*c->access ||
	    !*c->secret || strchr(c->region, ':') || !header_safe(c->region)) {
		snprintf(why, why_cap, "the S3 credentials or region (from %s) hold characters no key has", c->from);
		hf_s3_cred_release(c);
		return -HF_E_USAGE;
	}
	return 0;
}
