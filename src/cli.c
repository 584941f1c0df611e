/* cli.c — shared command-line plumbing: passphrases, opening the repository,
 * error messages, JSON string escaping and times. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "quote.h"
#include "crypto/crypto.h"
#include "store/store.h"
#include "util/err.h"
#include "util/hex.h"
#include "util/mem.h"
#include "util/path.h"

#define PASS_MAX 4096

void cli_common_init(struct cli_common *c)
{
	memset(c, 0, sizeof(*c));
	c->repo = getenv("HOLDFAST_REPO");
	c->cacert = getenv("HOLDFAST_CACERT");
	c->key_file = getenv("HOLDFAST_KEY_FILE");
}

int cli_next_opt(struct cli_common *c, int argc, char **argv, const char *shortopts, const struct option *opts,
		 const char *usage, int *status)
{
	for (;;) {
		int opt = getopt_long(argc, argv, shortopts, opts, NULL), r;
		if (opt == -1)
			return 0;
		if (opt == 'r')
			opt = OPT_REPO;
		if (opt < OPT_REPO && opt != '?')
			return opt; /* the command's own */
		r = cli_common_opt(c, opt, optarg, usage);
		if (r == 0) {
			*status = cli_usage_error(usage, "unknown option");
			return -1;
		}
		if (r < 0) {
			*status = HF_EXIT_OK;
			return -1;
		}
	}
}

int cli_common_opt(struct cli_common *c, int opt, const char *arg, const char *usage)
{
	switch (opt) {
	case OPT_REPO:
		c->repo = arg;
		return 1;
	case OPT_PASSWORD_FILE:
		c->password_file = arg;
		return 1;
	case OPT_JSON:
		c->json = 1;
		return 1;
	case OPT_TOKEN_FILE:
		c->token_file = arg;
		return 1;
	case OPT_CACERT:
		c->cacert = arg;
		return 1;
	case OPT_KEY_FILE:
		c->key_file = arg;
		return 1;
	case OPT_AS_OF:
		c->as_of = arg;
		return 1;
	case OPT_HELP:
		fputs(usage, stdout);
		return -1;
	}
	return 0;
}

void cli_err(const char *fmt, ...)
{
	va_list ap;

	fputs("holdfast: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void cli_err_store(struct hf_repo *repo, const char *what, int r)
{
	char why[700];

	if (repo && hf_store_explain(hf_repo_store(repo), why, sizeof(why)))
		cli_err("%s: %s; the store's last failed request: %s", what, hf_strerror(r), why);
	else
		cli_err("%s: %s", what, hf_strerror(r));
}

int cli_parse_time(const char *s, int64_t *ns)
{
	static const char *const formats[] = {"%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M",
					      "%Y-%m-%dT%H:%M", "%Y-%m-%d"};
	char *end;

	if (s[0] == '@') {
		long long sec = strtoll(s + 1, &end, 10);
		if (end == s + 1 || *end)
			return 0;
		*ns = (int64_t)sec * 1000000000;
		return 1;
	}
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		struct tm tm;
		memset(&tm, 0, sizeof(tm));
		end = strptime(s, formats[i], &tm);
		if (end && !*end) {
			tm.tm_isdst = -1;
			*ns = (int64_t)mktime(&tm) * 1000000000;
			return 1;
		}
	}
	return 0;
}

int cli_absolute_paths(int n, char **argv, char ***paths, size_t *np)
{
	*paths = hf_xcalloc((size_t)n, sizeof(char *));
	*np = 0;
	for (int i = 0; i < n; i++) {
		int r = hf_path_absolute(argv[i], &(*paths)[*np]);
		if (r < 0) {
			cli_err("%s: %s", argv[i], hf_strerror(r));
			return -1;
		}
		++*np;
	}
	return 0;
}

int cli_parse_uint(const char *usage, const char *opt, const char *arg, int max, int *out)
{
	unsigned long v;
	char *end;

	/* strtoul alone would take leading spaces, a sign and an empty string */
	if (arg[0] < '0' || arg[0] > '9')
		goto bad;
	errno = 0;
	v = strtoul(arg, &end, 10);
	if (*end || errno || v > (unsigned long)max)
		goto bad;
	*out = (int)v;
	return 0;
bad:
	cli_usage_error(usage, "%s: '%s' is not a whole number from 0 to %d", opt, arg, max);
	return -1;
}

int cli_usage_error(const char *usage, const char *fmt, ...)
{
	va_list ap;

	fputs("holdfast: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fputs(usage, stderr);
	return HF_EXIT_USAGE;
}

static int read_tty_line(const char *prompt, char *buf, size_t cap, size_t *len)
{
	struct termios old, quiet;
	int fd = open("/dev/tty", O_RDWR | O_CLOEXEC);
	size_t n = 0;
	int r = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, prompt, strlen(prompt)) < 0) {
		/* the prompt is a courtesy */
	}
	tcgetattr(fd, &old);
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)ECHO;
	tcsetattr(fd, TCSAFLUSH, &quiet);
	for (;;) {
		char ch;
		ssize_t got = read(fd, &ch, 1);
		if (got <= 0 || ch == '\n')
			break;
		if (n + 1 >= cap) {
			r = -HF_E_LIMIT;
			break;
		}
		buf[n++] = ch;
	}
	tcsetattr(fd, TCSAFLUSH, &old);
	if (write(fd, "\n", 1) < 0) {
		/* ignored */
	}
	close(fd);
	buf[n] = '\0';
	*len = n;
	return r;
}

/* a passphrase from file, else the variable envname (then wiped), else the
 * terminal (prompt; asked twice with confirm) */
static int read_passphrase(const char *file, const char *envname, const char *prompt, int confirm, char **pass,
			   size_t *len)
{
	char *buf = hf_secure_alloc(PASS_MAX + 1);
	char *env = getenv(envname);
	size_t n = 0;
	int r = 0;

	if (file) {
		FILE *f = fopen(file, "re");
		int err = 0;
		if (f) {
			/* fopen opens a directory too: only the read fails (EISDIR) */
			n = fread(buf, 1, PASS_MAX, f);
			if (ferror(f))
				err = errno ? errno : EIO;
			else if (n == PASS_MAX && fgetc(f) != EOF)
				err = EFBIG; /* not cut silently to a passphrase that is not the user's */
			fclose(f);
		} else {
			err = errno;
		}
		if (err) {
			char *q = cli_quote(file);
			cli_err("cannot read password file %s: %s", q, strerror(err));
			free(q);
			r = -1;
			goto out;
		}
		while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
			n--;
		buf[n] = '\0';
		if (n == 0) {
			char *q = cli_quote(file);
			cli_err("password file %s is empty", q);
			free(q);
			r = -1;
			goto out;
		}
	} else if (env) {
		n = strlen(env);
		if (n > PASS_MAX) {
			cli_err("%s is too long", envname);
			r = -1;
			goto out;
		}
		memcpy(buf, env, n + 1);
	} else if (isatty(STDIN_FILENO)) {
		char *again = hf_secure_alloc(PASS_MAX + 1);
		size_t n2 = 0;
		char p2[64];
		snprintf(p2, sizeof(p2), "%s again: ", prompt);
		{
			char p1[64];
			snprintf(p1, sizeof(p1), "%s: ", prompt);
			r = read_tty_line(p1, buf, PASS_MAX, &n);
		}
		if (r == 0 && confirm) {
			r = read_tty_line(p2, again, PASS_MAX, &n2);
			if (r == 0 && (n != n2 || memcmp(buf, again, n) != 0)) {
				cli_err("the passphrases do not match");
				r = -1;
			}
		}
		hf_secure_free(again);
		if (r < 0)
			goto out;
	} else {
		if (strcmp(envname, "HOLDFAST_PASSWORD") == 0)
			cli_err("no passphrase: set HOLDFAST_PASSWORD, use --password-file, or run on a terminal");
		else
			cli_err("no %s: set %s, use --new-password-file, or run on a terminal", prompt, envname);
		r = -1;
		goto out;
	}
	if (n == 0) {
		cli_err("the passphrase is empty");
		r = -1;
	}
out:
	/* read once: wipe the variable's bytes where they are (the initial
	 * environment is what /proc/PID/environ and a core show) and drop it, so
	 * no child (the --on-alert command) inherits it */
	if (env) {
		hf_wipe(env, strlen(env));
		unsetenv(envname);
	}
	if (r < 0) {
		hf_secure_free(buf);
		return -1;
	}
	*pass = buf;
	*len = n;
	return 0;
}

int cli_passphrase(const struct cli_common *c, int confirm, char **pass, size_t *len)
{
	return read_passphrase(c->password_file, "HOLDFAST_PASSWORD", "passphrase", confirm, pass, len);
}

int cli_new_passphrase(const char *file, char **pass, size_t *len)
{
	return read_passphrase(file, "HOLDFAST_NEW_PASSWORD", "new key passphrase", 1, pass, len);
}

#define KEY_FILE_MAX 4096 /* far larger than any key file */

/* the bytes of --key-file; -1 after an error */
static int read_key_file(const char *path, struct hf_buf *out)
{
	FILE *f = fopen(path, "re");
	int err = f ? 0 : errno;
	size_t n = 0;

	if (f) {
		n = fread(out->data, 1, KEY_FILE_MAX + 1, f);
		if (ferror(f))
			err = errno ? errno : EIO;
		fclose(f);
	}
	if (!err && n > KEY_FILE_MAX)
		err = EFBIG;
	if (err) {
		char *q = cli_quote(path);
		cli_err("cannot read key file %s: %s", q, strerror(err));
		free(q);
		return -1;
	}
	out->len = n;
	return 0;
}

void cli_passphrase_free(char *pass, size_t len)
{
	(void)len;
	hf_secure_free(pass);
}

#define TOKEN_MAX 256

/* the server token from --token-file or HOLDFAST_TOKEN (then wiped from the
 * environment), in locked memory; NULL if there is none; -1 after an error */
static int read_token(const struct cli_common *c, char **out)
{
	char *env = getenv("HOLDFAST_TOKEN"), *buf;
	size_t n = 0;

	*out = NULL;
	if (!c->token_file && !env)
		return 0;
	buf = hf_secure_alloc(TOKEN_MAX + 2);
	if (c->token_file) {
		FILE *f = fopen(c->token_file, "re");
		int err = f ? 0 : errno;
		if (f) {
			n = fread(buf, 1, TOKEN_MAX + 1, f);
			if (ferror(f))
				err = errno ? errno : EIO;
			fclose(f);
		}
		if (err) {
			char *q = cli_quote(c->token_file);
			cli_err("cannot read token file %s: %s", q, strerror(err));
			free(q);
			hf_secure_free(buf);
			return -1;
		}
	} else {
		n = strlen(env);
		if (n <= TOKEN_MAX)
			memcpy(buf, env, n);
		hf_wipe(env, strlen(env));
		unsetenv("HOLDFAST_TOKEN");
	}
	while (n > 0 && n <= TOKEN_MAX && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	if (n == 0 || n > TOKEN_MAX) {
		cli_err(n ? "the token is longer than any holdfast token" : "the token is empty");
		hf_secure_free(buf);
		return -1;
	}
	buf[n] = '\0';
	*out = buf;
	return 0;
}

int cli_store_open(const struct cli_common *c, int create, struct hf_store **st)
{
	char why[400] = "";
	struct hf_store_opts o = {.cacert = c->cacert, .why = why, .why_cap = sizeof(why)};
	char *token = NULL, *q;
	int64_t as_of_ns;
	int r, had_token;

	*st = NULL;
	if (!c->repo) {
		cli_err("no repository: use --repo DIR or set HOLDFAST_REPO");
		return -1;
	}
	if (c->as_of) {
		if (!cli_parse_time(c->as_of, &as_of_ns) || as_of_ns <= 0) {
			cli_err("bad --as-of '%s' (YYYY-MM-DD[ HH:MM[:SS]] in local time, or @SECONDS)", c->as_of);
			return -1;
		}
		if (create) {
			cli_err("--as-of shows the past: it cannot create a repository");
			return -1;
		}
		o.as_of_s = as_of_ns / 1000000000;
	}
	if (read_token(c, &token) < 0)
		return -1;
	o.token = token;
	had_token = token != NULL;
	r = hf_store_open_opts(c->repo, create, &o, st);
	hf_secure_free(token);
	if (r == 0)
		return 0;
	q = cli_quote(c->repo);
	if (create && r == -HF_E_EXISTS && !why[0])
		cli_err("cannot create repository: %s exists and is not empty", q);
	else if (why[0]) /* the store said why (S3: wrong keys, no bucket, unreachable) */
		cli_err(create ? "cannot create repository at %s: %s" : "cannot open repository %s: %s", q, why);
	else if (r == -HF_E_USAGE && (strncmp(c->repo, "https://", 8) == 0 || strncmp(c->repo, "http://", 7) == 0))
		cli_err("cannot open repository %s: %s", q,
			had_token ? "a server URL is https://HOST[:PORT]/REPOSITORY (http: only to this machine)"
				  : "a server repository needs a token: --token-file FILE or HOLDFAST_TOKEN");
	else if (r == -HF_E_REFUSED)
		cli_err("cannot open repository %s: the server refused: a wrong token, a role without access to "
			"it, or a certificate that --cacert does not vouch for",
			q);
	else if (r == -HF_E_UNAVAILABLE)
		cli_err("cannot open repository %s: the server cannot be reached", q);
	else
		cli_err(create ? "cannot create repository at %s: %s" : "cannot open repository %s: %s", q,
			r == -HF_E_NOTFOUND && !create ? "not a holdfast repository" : hf_strerror(r));
	free(q);
	return -1;
}

struct hf_repo *cli_open_repo(const struct cli_common *c)
{
	struct hf_store *st = NULL;
	struct hf_repo *repo = NULL;
	char *pass = NULL, why[256];
	size_t plen = 0;
	int r;

	struct hf_buf key;

	if (cli_store_open(c, 0, &st) < 0)
		return NULL;
	hf_buf_init(&key, KEY_FILE_MAX + 1);
	if (c->key_file && (hf_buf_reserve(&key, KEY_FILE_MAX + 1) < 0 || read_key_file(c->key_file, &key) < 0)) {
		hf_buf_release(&key);
		hf_store_close(st);
		return NULL;
	}
	if (cli_passphrase(c, 0, &pass, &plen) < 0) {
		hf_buf_release(&key);
		hf_store_close(st);
		return NULL;
	}
	if (c->key_file)
		r = hf_repo_open_key(st, key.data, key.len, pass, plen, &repo, why, sizeof(why));
	else
		r = hf_repo_open_why(st, pass, plen, &repo, why, sizeof(why));
	cli_passphrase_free(pass, plen);
	hf_buf_release(&key);
	if (r < 0) {
		char *q = cli_quote(c->repo);
		if (c->key_file) {
			char *k = cli_quote(c->key_file);
			cli_err("cannot open repository %s with key file %s: %s", q, k, why[0] ? why : hf_strerror(r));
			free(k);
		} else if (r == -HF_E_REFUSED) { /* the key files are readable to every role but backup */
			cli_err("cannot open repository %s: the server does not let this token read the key files (a "
				"backup token backs up with a write-only key file: --key-file FILE, made with key add "
				"--write-only)",
				q);
		} else {
			cli_err("cannot open repository %s: %s", q, why[0] ? why : hf_strerror(r));
		}
		free(q);
		return NULL;
	}
	return repo;
}

/* what is wrong with a snapshot reference before the repository is asked
 * (NULL: nothing); an id prefix in capitals is made lower case in lower */
static const char *bad_snapshot_ref(const char *ref, char lower[HF_ID_HEX_LEN + 1])
{
	size_t len = strlen(ref);

	if (strcmp(ref, "latest") == 0) {
		memcpy(lower, "latest", sizeof("latest"));
		return NULL;
	}
	for (size_t i = 0; i < len; i++)
		if (!isxdigit((unsigned char)ref[i]))
			return "not a snapshot id: use 'latest' or an id prefix of 4 to 64 hex digits (see holdfast "
			       "snapshots)";
	if (len < 4)
		return "a snapshot id prefix needs at least 4 hex digits";
	if (len > HF_ID_HEX_LEN)
		return "too long: a snapshot id has 64 hex digits";
	for (size_t i = 0; i <= len; i++)
		lower[i] = (char)tolower((unsigned char)ref[i]);
	return NULL;
}

int cli_resolve_snapshot(struct hf_repo *repo, const char *ref, struct hf_snapshot *out)
{
	char lower[HF_ID_HEX_LEN + 1];
	const char *bad = bad_snapshot_ref(ref, lower);
	int r = bad ? -HF_E_USAGE : hf_snapshot_resolve(repo, lower, out);

	if (r < 0) {
		char *q = cli_quote(ref);
		cli_err("snapshot %s: %s", q, bad ? bad : hf_strerror(r));
		free(q);
	}
	return r;
}

void cli_report(void *arg, const char *path, const char *what, int err)
{
	(void)arg;
	fputs("holdfast: ", stderr);
	if (path) {
		cli_quote_put(stderr, path);
		fputs(": ", stderr);
	}
	fprintf(stderr, "%s%s%s\n", what ? what : "", what ? ": " : "", hf_strerror(err));
}

void cli_json_snap_flags(FILE *f, unsigned flags)
{
	fprintf(f, "[%s%s%s]", flags & HF_SNAP_TIME_SKEW ? "\"time-skew\"" : "",
		(flags & HF_SNAP_TIME_SKEW) && (flags & HF_SNAP_UNKNOWN_SENDER) ? ", " : "",
		flags & HF_SNAP_UNKNOWN_SENDER ? "\"unknown-sender\"" : "");
}

void cli_json_str(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");

	fputc('"', f);
	while (*p) {
		unsigned char ch = *p;
		size_t n = 0;
		/* length of a valid UTF-8 sequence at p, 0 if invalid */
		if (ch < 0x80)
			n = 1;
		else if ((ch & 0xe0) == 0xc0 && ch >= 0xc2)
			n = 2;
		else if ((ch & 0xf0) == 0xe0)
			n = 3;
		else if ((ch & 0xf8) == 0xf0 && ch <= 0xf4)
			n = 4;
		for (size_t i = 1; i < n; i++)
			if ((p[i] & 0xc0) != 0x80)
				n = 0;
		if (n == 1) {
			if (ch == '"' || ch == '\\')
				fprintf(f, "\\%c", ch);
			else if (ch < 0x20)
				fprintf(f, "\\u%04x", ch);
			else
				fputc(ch, f);
		} else if (n > 1) {
			fwrite(p, 1, n, f);
		} else {
			/* a byte that is not UTF-8: the surrogate escape Python uses, so
			 * the exact bytes can be recovered */
			fprintf(f, "\\udc%02x", ch);
			n = 1;
		}
		p += n;
	}
	fputc('"', f);
}

void cli_id_hex(const uint8_t *id, char *out)
{
	hf_hex_encode(id, HF_ID_LEN, out);
}

int64_t cli_now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

void cli_time_str(int64_t ns, char *out, size_t cap, int rfc3339)
{
	time_t t = (time_t)(ns / 1000000000);
	struct tm tm;

	if (rfc3339) {
		gmtime_r(&t, &tm);
		size_t n = strftime(out, cap, "%Y-%m-%dT%H:%M:%S", &tm);
		snprintf(out + n, cap - n, ".%09lldZ", (long long)(ns % 1000000000));
	} else {
		localtime_r(&t, &tm);
		strftime(out, cap, "%Y-%m-%d %H:%M:%S", &tm);
	}
}
