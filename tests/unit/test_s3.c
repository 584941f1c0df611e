/* test_s3.c — the S3 store's parts that need no server: the XML of
 * listings and errors (s3_xml.c: pages, continuation tokens, malformed,
 * hostile and truncated documents, every bit flipped), and where
 * credentials and the region come from (s3_cred.c: the environment, the
 * profile files, their precedence, values that cannot go into a header).
 * Versioning answers are read too. The store against a real server: test_store_contract (S3_ENDPOINT) and
 * tests/cli/47-s3.sh. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/s3_cred.h"
#include "store/s3_xml.h"
#include "t.h"
#include "t_fs.h"
#include "util/err.h"

struct seen {
	char keys[8][64];
	uint64_t sizes[8];
	int n;
};

static int on_obj(void *arg, const char *key, uint64_t size)
{
	struct seen *s = arg;

	if (s->n < 8) {
		snprintf(s->keys[s->n], sizeof(s->keys[0]), "%s", key);
		s->sizes[s->n] = size;
	}
	s->n++;
	return 0;
}

static int stop_at_2(void *arg, const char *key, uint64_t size)
{
	struct seen *s = arg;

	on_obj(arg, key, size);
	return s->n == 2 ? 42 : 0;
}

static const char page[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
	"<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>b</Name><Prefix>p/keys/</Prefix>"
	"<KeyCount>3</KeyCount><MaxKeys>3</MaxKeys><IsTruncated>true</IsTruncated>"
	"<NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>"
	"<Contents><Key>p/keys/aa</Key><LastModified>2026-12-04T16:00:00.000Z</LastModified>"
	"<Size>12</Size><StorageClass>STANDARD</StorageClass></Contents>"
	"<Contents><Size>0</Size><Key>p/keys/bb&amp;</Key></Contents>"
	"<Contents><Key>p/keys/cc</Key><Size>18446744073709551615</Size><Owner><ID>x</ID><Key>no</Key></Owner>"
	"</Contents></ListBucketResult>";

static void test_list(void)
{
	char token[HF_S3_TOKEN_MAX + 1];
	struct seen s = {0};
	int truncated = -1;

	T_EQ(hf_s3_parse_list(page, strlen(page), on_obj, &s, &truncated, token), 0);
	T_EQ(s.n, 3);
	T_CHECK(strcmp(s.keys[0], "p/keys/aa") == 0 && s.sizes[0] == 12);
	T_CHECK(strcmp(s.keys[1], "p/keys/bb&") == 0 && s.sizes[1] == 0);
	T_CHECK(strcmp(s.keys[2], "p/keys/cc") == 0 && s.sizes[2] == UINT64_MAX);
	T_EQ(truncated, 1);
	T_CHECK(strcmp(token, "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=") == 0);
	/* the callback's non-zero return stops the parse and comes back */
	memset(&s, 0, sizeof(s));
	T_EQ(hf_s3_parse_list(page, strlen(page), stop_at_2, &s, &truncated, token), 42);
	T_EQ(s.n, 2);
	/* the last page, and an empty one */
	{
		const char *last = "<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key>k</Key>"
				   "<Size>1</Size></Contents></ListBucketResult>";
		const char *empty = "<ListBucketResult><KeyCount>0</KeyCount></ListBucketResult>";
		memset(&s, 0, sizeof(s));
		T_EQ(hf_s3_parse_list(last, strlen(last), on_obj, &s, &truncated, token), 0);
		T_CHECK(s.n == 1 && truncated == 0 && token[0] == '\0');
		memset(&s, 0, sizeof(s));
		T_EQ(hf_s3_parse_list(empty, strlen(empty), on_obj, &s, &truncated, token), 0);
		T_CHECK(s.n == 0 && truncated == 0);
	}
}

static void test_list_bad(void)
{
	static const char *const bad[] = {
		"",
		"not xml",
		"<Error><Code>AccessDenied</Code></Error>",                                 /* not a listing */
		"<ListBucketResult><Contents><Key>k</Key></Contents></ListBucketResult>",   /* no size */
		"<ListBucketResult><Contents><Size>1</Size></Contents></ListBucketResult>", /* no key */
		"<ListBucketResult><Contents><Key>k</Key><Size>-1</Size></Contents></ListBucketResult>",
		"<ListBucketResult><Contents><Key>k</Key><Size>18446744073709551616</Size></Contents></"
		"ListBucketResult>",
		"<ListBucketResult><Contents><Key>k</Key><Size>1x</Size></Contents></ListBucketResult>",
		"<ListBucketResult><Contents><Key>k</Key><Size></Size></Contents></ListBucketResult>",
		"<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>", /* more, no token */
		"<ListBucketResult><Contents><Key>k</Key><Size>1</Size></Contents>",    /* cut short */
		/* entities: neither expanded nor fetched */
		"<!DOCTYPE l [<!ENTITY a \"aaaaaaaaaa\">]><ListBucketResult><Contents><Key>&a;</Key><Size>1</Size>"
		"</Contents></ListBucketResult>",
		"<!DOCTYPE l [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><ListBucketResult><Contents><Key>&e;</Key>"
		"<Size>1</Size></Contents></ListBucketResult>",
	};
	char token[HF_S3_TOKEN_MAX + 1], *big;
	struct seen s = {0};
	int truncated;
	size_t n;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		T_EQ(hf_s3_parse_list(bad[i], strlen(bad[i]), on_obj, &s, &truncated, token), -HF_E_CORRUPT);
	/* a key longer than S3 allows */
	big = malloc(4 * HF_S3_KEY_MAX);
	n = (size_t)snprintf(big, 4 * HF_S3_KEY_MAX, "<ListBucketResult><Contents><Key>");
	memset(big + n, 'k', 2 * HF_S3_KEY_MAX);
	n += 2 * HF_S3_KEY_MAX;
	n += (size_t)snprintf(big + n, 4 * HF_S3_KEY_MAX - n, "</Key><Size>1</Size></Contents></ListBucketResult>");
	T_EQ(hf_s3_parse_list(big, n, on_obj, &s, &truncated, token), -HF_E_CORRUPT);
	free(big);
	/* every truncation and every flipped bit: an answer, never a crash, and
	 * a token that always fits */
	for (size_t cut = 0; cut < sizeof(page) - 1; cut++) {
		memset(&s, 0, sizeof(s));
		int r = hf_s3_parse_list(page, cut, on_obj, &s, &truncated, token);
		T_CHECK(r == -HF_E_CORRUPT);
	}
	{
		char copy[sizeof(page)];
		int odd = 0;
		for (size_t bit = 0; bit < 8 * (sizeof(page) - 1); bit++) {
			memcpy(copy, page, sizeof(page));
			copy[bit / 8] ^= (char)(1 << (bit % 8));
			memset(&s, 0, sizeof(s));
			int r = hf_s3_parse_list(copy, sizeof(page) - 1, on_obj, &s, &truncated, token);
			if ((r != 0 && r != -HF_E_CORRUPT) || strlen(token) > HF_S3_TOKEN_MAX)
				odd++;
		}
		T_EQ(odd, 0);
	}
}

static void test_error(void)
{
	const char *e = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>SignatureDoesNotMatch</Code>"
			"<Message>The request signature we calculated does not match</Message><RequestId>x</RequestId>"
			"</Error>";
	char code[64], msg[16];

	hf_s3_parse_error(e, strlen(e), code, sizeof(code), msg, sizeof(msg));
	T_CHECK(strcmp(code, "SignatureDoesNotMatch") == 0);
	T_CHECK(strcmp(msg, "The request sig") == 0); /* cut to its buffer */
	hf_s3_parse_error("<html>502</html>", 16, code, sizeof(code), msg, sizeof(msg));
	T_CHECK(code[0] == '\0' && msg[0] == '\0');
	hf_s3_parse_error("<Error><Code>NoSuchBucket</Code>", 32, code, sizeof(code), msg, sizeof(msg));
	T_CHECK(code[0] == '\0'); /* cut short: nothing trusted */
	hf_s3_parse_error("", 0, code, sizeof(code), msg, sizeof(msg));
	T_CHECK(code[0] == '\0');
	for (size_t cut = 0; cut < strlen(e); cut++)
		hf_s3_parse_error(e, cut, code, sizeof(code), msg, sizeof(msg)); /* no crash */
}

static void test_versioning(void)
{
	static const char on[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><VersioningConfiguration "
				 "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Status>Enabled</Status>"
				 "</VersioningConfiguration>";
	static const char suspended[] = "<VersioningConfiguration><Status>Suspended</Status></VersioningConfiguration>";
	static const char never[] = "<VersioningConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"/>";
	static const char other[] = "<Error><Status>Enabled</Status></Error>";

	T_EQ(hf_s3_parse_versioning(on, strlen(on)), 1);
	T_EQ(hf_s3_parse_versioning(suspended, strlen(suspended)), 1);
	T_EQ(hf_s3_parse_versioning(never, strlen(never)), 0);
	T_EQ(hf_s3_parse_versioning(other, strlen(other)), 0);
	T_EQ(hf_s3_parse_versioning(on, 60), 0); /* cut short */
	T_EQ(hf_s3_parse_versioning("", 0), 0);
}

/* ---- credentials ---------------------------------------------------------------- */

static char g_home[128];

static void write_file(const char *rel, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", g_home, rel);
	f = fopen(path, "w");
	T_CHECK(f != NULL);
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static void clear_env(void)
{
	static const char *const vars[] = {
		"AWS_ACCESS_KEY_ID",  "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",           "AWS_REGION",
		"AWS_DEFAULT_REGION", "AWS_PROFILE",           "AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE"};
	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		unsetenv(vars[i]);
	setenv("HOME", g_home, 1);
}

static void test_cred(void)
{
	struct hf_s3_cred c;
	char why[300], dir[200];

	snprintf(dir, sizeof(dir), "%s/.aws", g_home);
	T_EQ(mkdir(dir, 0700), 0);
	clear_env();
	/* nothing anywhere */
	T_EQ(hf_s3_cred_load(&c, why, sizeof(why)), -HF_E_NOTFOUND);
	T_CHECK(strstr(why, "AWS_ACCESS_KEY_ID") != NULL);
	/* the environment, region defaulted */
	setenv("AWS_ACCESS_KEY_ID", "AKENV", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "secret/env+x", 1);
	T_EQ(hf_s3_cred_load(&c, why, sizeof(why)), 0);
	T_CHECK(strcmp(c.access, "AKENV") == 0 && strcmp(c.secret, "secret/env+x") == 0 && !c.token);
	T_CHECK(strcmp(c.region, "us-east-1") == 0);
	hf_s3_cred_release(&c);
	/* AWS_REGION before AWS_DEFAULT_REGION; a session token */
	setenv("AWS_DEFAULT_REGION", "eu-west-1", 1);
	setenv("AWS_REGION", "eu-central-1", 1);
	setenv("AWS_SESSION_TOKEN", "tok", 1);
	T_EQ(hf_s3_cred_load(&c, why, sizeof(why)), 0);
	T_CHECK(strcmp(c.region, "eu-central-1") == 0 && c.token && strcmp(c.token, "tok") == 0);
	hf_s3_cred_release(&c);
	/* files: the profile's section only; the environment wins over them */
	write_file(".aws/credentials",
		   "[default]\naws_access_key_id = AKDEF\naws_secret_access_key = sdef\n"
		   "# a comment\n[work]\n  aws_access_key_id=AKWORK  \naws_secret_access_key= swork\n"
		   "aws_session_token = twork\r\n[empty]\naws_access_key_id = AKE\n");
	write_file(".aws/config", "[default]\nregion = ap-south-1\n[profile work]\nregion=sa-east-1\n");
	T_EQ(hf_s3_cred_load(&c, why, sizeof(why)), 0);
	T_CHECK(strcmp(c.access, "AKENV") == 0);
	hf_s3_cred_release(&c);
	clear_env();
	T_EQ(hf_s3_cred_load(&c, why, sizeof(why)), 0);
	T_CHECK(strcmp(c.access, "AKDEF") == 0 && strcmp(c.secret, "sdef") == 0 && !c.token);
	T_CHECK(strcmp(c.region, "ap-south-1") == 0);
	hf_s3_cred_release(&c);
	setenv("AWS_PROFILE", "work", 1);
	T_EQ(hf_s3_cred_load(&c, why, sizeof(why)), 0);
	T_CHECK(strcmp(c.access, "AKWORK") == 0 && strcmp(c.secret, "swork") == 0);
	T_CHECK(c.token && strcmp(c.token, "twork") == 0);
	T_CHECK(strcmp(c.region, "sa-east-1") == 0);
	T_CHECK(strstr(c.from, "work") != NULL);
	hf_s3_cred_release(&c);
	/* a profile without a secret, or not there at all */
	setenv("AWS_PROFILE", "empty", 1);
	T_EQ(hf_s3_cred_load(&c, why, sizeof(why)), -HF_E_NOTFOUND);
	T_CHECK(strstr(why, "[empty]") != NULL);
	setenv("AWS_PROFILE", "nosuch", 1);
	T_EQ(hf_s3_cred_load(&c, why, sizeof(why)), -HF_E_NOTFOUND);
	/* other files named by the variables */
	write_file("creds2", "[default]\naws_access_key_id = AK2\naws_secret_access_key = s2\n");
	snprintf(dir, sizeof(dir), "%s/creds2", g_home);
	clear_env();
	setenv("AWS_SHARED_CREDENTIALS_FILE", dir, 1);
	T_EQ(hf_s3_cred_load(&c, why, sizeof(why)), 0);
	T_CHECK(strcmp(c.access, "AK2") == 0);
	hf_s3_cred_release(&c);
	/* values that cannot go into a header */
	clear_env();
	setenv("AWS_ACCESS_KEY_ID", "AK\r\nX-Evil: 1", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "s", 1);
	T_EQ(hf_s3_cred_load(&c, why, sizeof(why)), -HF_E_USAGE);
	setenv("AWS_ACCESS_KEY_ID", "AK", 1);
	setenv("AWS_REGION", "us:east", 1); /* would change the SigV4 provider string */
	T_EQ(hf_s3_cred_load(&c, why, sizeof(why)), -HF_E_USAGE);
	clear_env();
}

int main(void)
{
	snprintf(g_home, sizeof(g_home), "/tmp/hf-test-s3.XXXXXX");
	if (!mkdtemp(g_home)) {
		printf("test_s3: 0 passed, 1 failed\n");
		return 1;
	}
	T_RUN(test_list);
	T_RUN(test_list_bad);
	T_RUN(test_error);
	T_RUN(test_versioning);
	T_RUN(test_cred);
	t_rm_rf(g_home);
	return T_DONE("test_s3");
}
