/* cmd_serve.c — holdfast serve: the append-only repository server. */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "crypto/crypto.h"
#include "server/http.h"
#include "server/server.h"
#include "util/err.h"

static const char usage[] =
	"usage: holdfast serve --root DIR [--listen ADDR:PORT] [--tls-cert FILE --tls-key FILE]\n"
	"                      [--log FILE] [--threads N] [--lock-days N]\n"
	"                      [--store s3:http[s]://HOST[:PORT]/BUCKET[/PREFIX] [--store-cacert FILE]]\n"
	"Serves the repositories under DIR/repos to the clients of DIR/clients (holdfast serve-client).\n"
	"With --store, each repository's objects and the server's receipts for them are kept in the S3\n"
	"bucket under PREFIX/repos/NAME and PREFIX/receipts/NAME (credentials from the AWS variables or\n"
	"~/.aws, on this server only); clients, tokens and the log stay in DIR. A repository whose config\n"
	"asks for Object Lock gets every object locked, in a bucket with Object Lock.\n"
	"Nothing is deleted before it is --lock-days old (default 30; by the server's clock), and only\n"
	"with the full key's signature, whoever asks.\n"
	"--listen defaults to 127.0.0.1:8443; without a certificate only a loopback address is allowed.\n"
	"Log: one JSON object per line (refusals, writes), to --log FILE or stderr. Stops on SIGINT or SIGTERM.\n";

enum { OPT_ROOT = 1, OPT_LISTEN, OPT_CERT, OPT_KEY, OPT_LOG, OPT_THREADS, OPT_LOCK_DAYS, OPT_STORE, OPT_STORE_CACERT };

#define DEFAULT_LOCK_DAYS 30
#define MAX_LOCK_DAYS 36500

struct serve_args {
	const char *root, *listen, *cert, *key, *log, *store, *store_cacert;
	int threads, lock_days;
};

static int serve_parse(struct cli_common *c, void *args, int argc, char **argv)
{
	static const struct option opts[] = {CLI_COMMON_OPTIONS,
					     {"root", required_argument, NULL, OPT_ROOT},
					     {"listen", required_argument, NULL, OPT_LISTEN},
					     {"tls-cert", required_argument, NULL, OPT_CERT},
					     {"tls-key", required_argument, NULL, OPT_KEY},
					     {"log", required_argument, NULL, OPT_LOG},
					     {"threads", required_argument, NULL, OPT_THREADS},
					     {"lock-days", required_argument, NULL, OPT_LOCK_DAYS},
					     {"store", required_argument, NULL, OPT_STORE},
					     {"store-cacert", required_argument, NULL, OPT_STORE_CACERT},
					     {NULL, 0, NULL, 0}};
	struct serve_args *a = args;
	int opt, r;

	a->listen = "127.0.0.1:8443";
	a->lock_days = DEFAULT_LOCK_DAYS;
	while ((opt = cli_next_opt(c, argc, argv, "", opts, usage, &r)) > 0) {
		if (opt == OPT_ROOT)
			a->root = optarg;
		else if (opt == OPT_LISTEN)
			a->listen = optarg;
		else if (opt == OPT_CERT)
			a->cert = optarg;
		else if (opt == OPT_KEY)
			a->key = optarg;
		else if (opt == OPT_LOG)
			a->log = optarg;
		else if (opt == OPT_STORE)
			a->store = optarg;
		else if (opt == OPT_STORE_CACERT)
			a->store_cacert = optarg;
		else if (opt == OPT_THREADS && cli_parse_uint(usage, "--threads", optarg, 64, &a->threads) < 0)
			return HF_EXIT_USAGE;
		else if (opt == OPT_LOCK_DAYS &&
			 cli_parse_uint(usage, "--lock-days", optarg, MAX_LOCK_DAYS, &a->lock_days) < 0)
			return HF_EXIT_USAGE;
	}
	if (opt < 0)
		return r;
	if (optind != argc)
		return cli_usage_error(usage, "unexpected argument '%s'", argv[optind]);
	if (!a->root)
		return cli_usage_error(usage, "--root DIR is needed");
	if (!a->cert != !a->key)
		return cli_usage_error(usage, "--tls-cert and --tls-key go together");
	if (a->store && strncmp(a->store, "s3:", 3) != 0)
		return cli_usage_error(usage, "--store takes an S3 URL, s3:http[s]://HOST[:PORT]/BUCKET[/PREFIX]");
	if (a->store_cacert && !a->store)
		return cli_usage_error(usage, "--store-cacert goes with --store");
	return CLI_RUN;
}

/* a PEM file into memory (the key into locked memory); NULL after an error */
static char *read_pem(const char *path, int secret)
{
	FILE *f = fopen(path, "re");
	size_t cap = 1 << 16, n;
	char *buf;

	if (!f) {
		cli_err("cannot read %s: %s", path, strerror(errno));
		return NULL;
	}
	buf = secret ? hf_secure_alloc(cap + 1) : malloc(cap + 1);
	n = buf ? fread(buf, 1, cap, f) : 0;
	if (!buf || ferror(f) || n == 0 || n == cap) {
		cli_err("cannot read %s: %s", path, n == cap ? "larger than a PEM file is" : "empty or unreadable");
		if (secret)
			hf_secure_free(buf);
		else
			free(buf);
		buf = NULL;
	} else {
		buf[n] = '\0';
	}
	fclose(f);
	return buf;
}

static int serve_run(const struct cli_common *c, void *args, struct hf_repo *repo)
{
	struct serve_args *a = args;
	char why[512] = "";
	struct hf_server_opts so = {.root = a->root,
				    .store = a->store,
				    .store_cacert = a->store_cacert,
				    .why = why,
				    .why_cap = sizeof(why),
				    .log = stderr,
				    .lock_ns = a->lock_days * 86400LL * 1000000000};
	struct hf_http_opts ho = {.listen = a->listen, .threads = (unsigned)a->threads};
	struct hf_server *s = NULL;
	struct hf_http *h = NULL;
	char *cert = NULL, *key = NULL;
	FILE *log = NULL;
	sigset_t stop;
	int sig, r, status = HF_EXIT_ERROR;

	(void)c;
	(void)repo;
	if (a->cert && (!(cert = read_pem(a->cert, 0)) || !(key = read_pem(a->key, 1))))
		goto out;
	if (a->log) {
		log = fopen(a->log, "ae");
		if (!log) {
			cli_err("cannot open the log %s: %s", a->log, strerror(errno));
			goto out;
		}
		so.log = log;
	}
	r = hf_server_open(&so, &s);
	if (r < 0 && a->store) {
		cli_err("cannot serve %s from %s: %s", a->root, a->store, why[0] ? why : hf_strerror(r));
		goto out;
	}
	if (r < 0) {
		cli_err("cannot serve %s: %s", a->root, hf_strerror(r));
		goto out;
	}
	/* the signals that stop the server are taken by sigwait alone, in
	 * every thread the server starts after this */
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	signal(SIGPIPE, SIG_IGN);
	ho.cert_pem = cert;
	ho.key_pem = key;
	r = hf_http_start(s, &ho, &h);
	if (r == -HF_E_USAGE) {
		cli_err("cannot listen on %s: %s", a->listen,
			cert ? "not ADDR:PORT or [ADDR6]:PORT"
			     : "without --tls-cert and --tls-key only a loopback address (127.0.0.1, [::1]) is "
			       "allowed");
		goto out;
	}
	if (r < 0) {
		cli_err("cannot listen on %s: %s", a->listen, hf_strerror(r));
		goto out;
	}
	if (key)
		hf_wipe(key, strlen(key)); /* GnuTLS has its own copy now */
	printf("holdfast serve: %s on port %u, repositories in %s/repos\n", cert ? "https" : "http (loopback only)",
	       hf_http_port(h), a->store ? a->store : a->root);
	fflush(stdout);
	sigwait(&stop, &sig);
	status = HF_EXIT_OK;
out:
	hf_http_stop(h);
	hf_server_close(s);
	if (log)
		fclose(log);
	free(cert);
	hf_secure_free(key);
	return status;
}

const struct cli_command cli_cmd_serve = {
	.name = "serve",
	.help = "serve repositories to backup clients, append-only (TLS)",
	.flags = 0,
	.args_size = sizeof(struct serve_args),
	.parse = serve_parse,
	.run = serve_run,
};
