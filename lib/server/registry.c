/* registry.c — client records on disk (registry.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto/crypto.h"
#include "server/registry.h"
#include "util/hex.h"

#define RECORD_MAX 4096

static int record_path(const char *root, const char *name, char *out, size_t cap)
{
	int n;

	if (!hf_server_name_ok(name))
		return -HF_E_USAGE;
	n = snprintf(out, cap, "%s/clients/%s", root, name);
	return n < 0 || (size_t)n >= cap ? -HF_E_LIMIT : 0;
}

static int sync_dir(const char *root)
{
	char dir[4096];
	int fd, r = 0;

	snprintf(dir, sizeof(dir), "%s/clients", root);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0)
		r = -errno;
	close(fd);
	return r;
}

/* writes the record to a temporary file in clients/, synced; its path in tmp */
static int write_temp(const char *root, const struct hf_client *c, char *tmp, size_t cap)
{
	struct hf_buf b;
	uint8_t rnd[8];
	char hex[17], dir[4096];
	int fd, r;

	snprintf(dir, sizeof(dir), "%s/clients", root);
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return -errno;
	hf_random(rnd, sizeof(rnd));
	hf_hex_encode(rnd, sizeof(rnd), hex);
	if (snprintf(tmp, cap, "%s/.new-%s", dir, hex) >= (int)cap)
		return -HF_E_LIMIT;
	hf_buf_init(&b, RECORD_MAX);
	r = hf_client_encode(c, &b);
	if (r < 0) {
		hf_buf_release(&b);
		return r;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		r = -errno;
	} else {
		if (write(fd, b.data, b.len) != (ssize_t)b.len || fsync(fd) < 0)
			r = errno ? -errno : -EIO;
		close(fd);
		if (r < 0)
			unlink(tmp);
	}
	hf_buf_release(&b);
	return r;
}

int hf_registry_add(const char *root, const struct hf_client *c)
{
	char path[4096], tmp[4096];
	int r = record_path(root, c->name, path, sizeof(path));

	if (r == 0)
		r = write_temp(root, c, tmp, sizeof(tmp));
	if (r < 0)
		return r;
	if (link(tmp, path) < 0)
		r = errno == EEXIST ? -HF_E_EXISTS : -errno;
	unlink(tmp);
	return r < 0 ? r : sync_dir(root);
}

int hf_registry_replace(const char *root, const struct hf_client *c)
{
	char path[4096], tmp[4096];
	struct stat st;
	int r = record_path(root, c->name, path, sizeof(path));

	if (r < 0)
		return r;
	if (lstat(path, &st) < 0)
		return errno == ENOENT ? -HF_E_NOTFOUND : -errno;
	r = write_temp(root, c, tmp, sizeof(tmp));
	if (r < 0)
		return r;
	if (rename(tmp, path) < 0) {
		r = -errno;
		unlink(tmp);
		return r;
	}
	return sync_dir(root);
}

int hf_registry_remove(const char *root, const char *name)
{
	char path[4096];
	int r = record_path(root, name, path, sizeof(path));

	if (r < 0)
		return r;
	if (unlink(path) < 0)
		return errno == ENOENT ? -HF_E_NOTFOUND : -errno;
	return sync_dir(root);
}

int hf_registry_get(const char *root, const char *name, struct hf_client *c)
{
	char path[4096];
	uint8_t buf[RECORD_MAX];
	ssize_t n;
	int fd, r = record_path(root, name, path, sizeof(path));

	memset(c, 0, sizeof(*c));
	if (r < 0)
		return r;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -HF_E_NOTFOUND : -errno;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n < 0)
		return -errno;
	if ((size_t)n >= sizeof(buf) || hf_client_decode(buf, (size_t)n, c) < 0 || strcmp(c->name, name) != 0)
		return -HF_E_CORRUPT;
	return 0;
}

int hf_registry_list(const char *root, int (*fn)(void *arg, const struct hf_client *c), void *arg)
{
	char dir[4096];
	struct dirent *e;
	DIR *d;
	int r = 0;

	snprintf(dir, sizeof(dir), "%s/clients", root);
	d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while (r == 0 && (e = readdir(d)) != NULL) {
		struct hf_client c;
		if (!hf_server_name_ok(e->d_name) || hf_registry_get(root, e->d_name, &c) < 0)
			continue;
		r = fn(arg, &c);
	}
	closedir(d);
	return r;
}
