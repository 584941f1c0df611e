/* test_fs.c — unit tests of the fs module on real files in a fresh directory
 * under /tmp (or /var/tmp when /tmp lacks user xattrs): modes with
 * setuid/setgid/sticky, owners, xattrs and ACLs (checked with getfacl),
 * symlinks with raw targets, fifos, devices, sockets, nanosecond times,
 * byte-string names and sparse-file extents. Owner and device tests need root. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "fs/fs.h"
#include "t.h"
#include "util/err.h"

static char g_dir[256];
static int g_dfd = -1;
static int g_root;
static struct hf_fs_names *g_names;

static void path_of(char *out, size_t len, const char *name)
{
	snprintf(out, len, "%s/%s", g_dir, name);
}

static int mkfile(const char *name, mode_t mode, const char *content)
{
	int fd = openat(g_dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

	if (fd < 0)
		return -errno;
	if (content && write(fd, content, strlen(content)) != (ssize_t)strlen(content)) {
		close(fd);
		return -EIO;
	}
	close(fd);
	return fchmodat(g_dfd, name, mode, 0) < 0 ? -errno : 0;
}

static int run(const char *cmd)
{
	int r = system(cmd);

	return r == 0 ? 0 : -1;
}

/* getfacl -c -n of a path in g_dir, into out */
static int getfacl_of(const char *name, char *out, size_t len)
{
	char cmd[512], path[300];
	FILE *f;
	size_t n;

	path_of(path, sizeof(path), name);
	snprintf(cmd, sizeof(cmd), "getfacl -c -n -p '%s' 2>/dev/null", path);
	f = popen(cmd, "r");
	if (!f)
		return -1;
	n = fread(out, 1, len - 1, f);
	out[n] = '\0';
	return pclose(f) == 0 ? 0 : -1;
}

static const struct hf_xattr *find_xattr(const struct hf_meta *m, const char *name)
{
	size_t i;

	for (i = 0; i < m->nxattrs; i++)
		if (strcmp(m->xattrs[i].name, name) == 0)
			return &m->xattrs[i];
	return NULL;
}

static int xattrs_equal(const struct hf_meta *a, const struct hf_meta *b)
{
	size_t i;

	if (a->nxattrs != b->nxattrs)
		return 0;
	for (i = 0; i < a->nxattrs; i++) {
		if (strcmp(a->xattrs[i].name, b->xattrs[i].name) != 0 || a->xattrs[i].len != b->xattrs[i].len)
			return 0;
		if (a->xattrs[i].len && memcmp(a->xattrs[i].value, b->xattrs[i].value, a->xattrs[i].len) != 0)
			return 0;
	}
	return 1;
}

static void test_modes(void)
{
	static const struct {
		const char *name;
		mode_t mode;
		int dir;
	} cases[] = {
		{"suid", 04755, 0},
		{"sgid", 02755, 0},
		{"sticky", 01777, 1},
		{"plain", 0640, 0},
	};
	struct hf_meta m;
	size_t i;
	int fd;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (cases[i].dir) {
			T_EQ(mkdirat(g_dfd, cases[i].name, 0700), 0);
			T_EQ(fchmodat(g_dfd, cases[i].name, cases[i].mode, 0), 0);
		} else {
			T_EQ(mkfile(cases[i].name, cases[i].mode, "hello"), 0);
		}
		T_EQ(hf_meta_read(g_names, g_dfd, cases[i].name, -1, &m), 0);
		T_EQ(m.type, cases[i].dir ? HF_FT_DIR : HF_FT_FILE);
		T_EQ(m.mode, cases[i].mode);
		T_EQ(m.nlink, cases[i].dir ? 2 : 1);
		if (!cases[i].dir)
			T_EQ(m.size, 5);
		T_CHECK(m.link == NULL);
		T_EQ(m.rdev, 0);
		hf_meta_release(&m);

		/* the same through an open descriptor */
		fd = openat(g_dfd, cases[i].name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		T_CHECK(fd >= 0);
		T_EQ(hf_meta_read(g_names, g_dfd, cases[i].name, fd, &m), 0);
		T_EQ(m.mode, cases[i].mode);
		close(fd);
		hf_meta_release(&m);
	}
	/* missing entry: error, and m is left empty */
	T_EQ(hf_meta_read(g_names, g_dfd, "no-such-file", -1, &m), -ENOENT);
	T_EQ(m.type, 0);
	T_CHECK(m.xattrs == NULL);
	hf_meta_release(&m);
}

static void test_owner(void)
{
	struct hf_meta m, c;
	struct stat st;

	if (!g_root)
		return;
	T_EQ(mkfile("owned", 04755, NULL), 0);
	T_EQ(fchownat(g_dfd, "owned", 12345, 54321, 0), 0);
	T_EQ(fchmodat(g_dfd, "owned", 04755, 0), 0); /* chown cleared setuid */
	T_EQ(hf_meta_read(g_names, g_dfd, "owned", -1, &m), 0);
	T_EQ(m.uid, 12345);
	T_EQ(m.gid, 54321);
	T_CHECK(m.user == NULL);
	T_CHECK(m.group == NULL);
	T_EQ(m.mode, 04755);

	/* apply to a fresh root-owned file: owner first, then setuid survives */
	T_EQ(mkfile("owned2", 0600, NULL), 0);
	T_EQ(hf_meta_apply(g_names, g_dfd, "owned2", &m), 0);
	T_EQ(fstatat(g_dfd, "owned2", &st, AT_SYMLINK_NOFOLLOW), 0);
	T_EQ(st.st_uid, 12345);
	T_EQ(st.st_gid, 54321);
	T_EQ(st.st_mode & 07777, 04755);

	/* a name that exists here wins over the id; an unknown one does not */
	hf_meta_copy(&c, &m);
	c.user = strdup("root");
	c.group = strdup("hf-no-such-group-x");
	T_EQ(hf_meta_apply(g_names, g_dfd, "owned2", &c), 0);
	T_EQ(fstatat(g_dfd, "owned2", &st, AT_SYMLINK_NOFOLLOW), 0);
	T_EQ(st.st_uid, 0);
	T_EQ(st.st_gid, 54321);
	T_EQ(st.st_mode & 07777, 04755);
	/* same again, served from the cache */
	T_EQ(hf_meta_apply(g_names, g_dfd, "owned2", &c), 0);
	T_EQ(fstatat(g_dfd, "owned2", &st, AT_SYMLINK_NOFOLLOW), 0);
	T_EQ(st.st_uid, 0);
	hf_meta_release(&c);
	hf_meta_release(&m);

	/* a root-owned file gets names */
	T_EQ(mkfile("rootfile", 0644, NULL), 0);
	T_EQ(hf_meta_read(g_names, g_dfd, "rootfile", -1, &m), 0);
	T_EQ(m.uid, 0);
	T_CHECK(m.user && strcmp(m.user, "root") == 0);
	T_CHECK(m.group && strcmp(m.group, "root") == 0);
	hf_meta_release(&m);
	/* names == NULL: no lookups */
	T_EQ(hf_meta_read(NULL, g_dfd, "rootfile", -1, &m), 0);
	T_CHECK(m.user == NULL && m.group == NULL);
	hf_meta_release(&m);
}

static void test_xattrs(void)
{
	uint8_t bin[300];
	struct hf_meta m, m2, c;
	const struct hf_xattr *x;
	size_t i;
	int fd;

	for (i = 0; i < sizeof(bin); i++)
		bin[i] = (uint8_t)(255 - i * 7);
	bin[0] = 0;
	T_EQ(mkfile("xa", 0644, "data"), 0);
	fd = openat(g_dfd, "xa", O_RDONLY | O_CLOEXEC);
	T_CHECK(fd >= 0);
	T_EQ(fsetxattr(fd, "user.zeta", "hello", 5, 0), 0);
	T_EQ(fsetxattr(fd, "user.bin", bin, sizeof(bin), 0), 0);
	T_EQ(fsetxattr(fd, "user.empty", "", 0, 0), 0);
	T_EQ(hf_meta_read(g_names, g_dfd, "xa", fd, &m), 0);
	close(fd);
	T_EQ(m.nxattrs, 3);
	if (m.nxattrs == 3) {
		T_CHECK(strcmp(m.xattrs[0].name, "user.bin") == 0);
		T_CHECK(strcmp(m.xattrs[1].name, "user.empty") == 0);
		T_CHECK(strcmp(m.xattrs[2].name, "user.zeta") == 0);
		T_EQ(m.xattrs[0].len, sizeof(bin));
		T_MEMEQ(m.xattrs[0].value, bin, sizeof(bin));
		T_EQ(m.xattrs[1].len, 0);
		T_EQ(m.xattrs[2].len, 5);
		T_MEMEQ(m.xattrs[2].value, "hello", 5);
	}
	/* the path-only read (O_PATH + /proc) sees the same */
	T_EQ(hf_meta_read(g_names, g_dfd, "xa", -1, &m2), 0);
	T_CHECK(xattrs_equal(&m, &m2));
	hf_meta_release(&m2);
	/* a caller's O_PATH descriptor works too */
	fd = openat(g_dfd, "xa", O_PATH | O_NOFOLLOW | O_CLOEXEC);
	T_EQ(hf_meta_read(g_names, g_dfd, "xa", fd, &m2), 0);
	close(fd);
	T_CHECK(xattrs_equal(&m, &m2));
	hf_meta_release(&m2);

	/* deep copy */
	hf_meta_copy(&c, &m);
	T_CHECK(xattrs_equal(&m, &c));
	T_CHECK(c.xattrs != m.xattrs);
	if (c.nxattrs == 3)
		T_CHECK(c.xattrs[0].value != m.xattrs[0].value);
	hf_meta_release(&c);

	/* apply onto a file with a stale user xattr: the set ends up equal */
	T_EQ(mkfile("xb", 0600, NULL), 0);
	T_EQ(setxattr(g_dir, "user.dirattr", "d", 1, 0), 0); /* unrelated: the dir keeps it */
	fd = openat(g_dfd, "xb", O_RDONLY | O_CLOEXEC);
	T_EQ(fsetxattr(fd, "user.stale", "x", 1, 0), 0);
	T_EQ(fsetxattr(fd, "user.zeta", "old value", 9, 0), 0);
	close(fd);
	T_EQ(hf_meta_apply(g_names, g_dfd, "xb", &m), 0);
	T_EQ(hf_meta_read(g_names, g_dfd, "xb", -1, &m2), 0);
	T_CHECK(xattrs_equal(&m, &m2));
	T_EQ(m2.mode, 0644);
	x = find_xattr(&m2, "user.stale");
	T_CHECK(x == NULL);
	hf_meta_release(&m2);

	/* over-limit metadata is refused, not applied */
	c = m;
	c.nxattrs = HF_XATTR_MAX_COUNT + 1;
	T_EQ(hf_meta_apply(g_names, g_dfd, "xb", &c), -HF_E_LIMIT);
	hf_meta_release(&m);
}

static void test_acl(void)
{
	char a[1024], b[1024], cmd[600], path[300];
	struct hf_meta m, m2;
	struct stat st;
	int fd;

	T_EQ(mkfile("acl1", 0640, NULL), 0);
	path_of(path, sizeof(path), "acl1");
	snprintf(cmd, sizeof(cmd), "setfacl -m u:12345:rwx,g:54321:r,m::r '%s'", path);
	T_EQ(run(cmd), 0);
	T_EQ(hf_meta_read(g_names, g_dfd, "acl1", -1, &m), 0);
	T_CHECK(find_xattr(&m, "system.posix_acl_access") != NULL);
	T_EQ(m.mode, 0640); /* group bits are the mask r-- */

	T_EQ(mkfile("acl2", 0777, NULL), 0);
	T_EQ(hf_meta_apply(g_names, g_dfd, "acl2", &m), 0);
	T_EQ(getfacl_of("acl1", a, sizeof(a)), 0);
	T_EQ(getfacl_of("acl2", b, sizeof(b)), 0);
	T_CHECK(strcmp(a, b) == 0);
	T_CHECK(strstr(b, "user:12345:rwx") != NULL);
	T_CHECK(strstr(b, "mask::r--") != NULL);
	T_EQ(hf_meta_read(g_names, g_dfd, "acl2", -1, &m2), 0);
	T_CHECK(xattrs_equal(&m, &m2));
	T_EQ(m2.mode, 0640);
	hf_meta_release(&m2);
	hf_meta_release(&m);

	/* a directory with access and default ACLs */
	T_EQ(mkdirat(g_dfd, "acld", 0750), 0);
	path_of(path, sizeof(path), "acld");
	snprintf(cmd, sizeof(cmd), "setfacl -m u:12345:rx -d -m u:12345:rwx,g:54321:rx '%s'", path);
	T_EQ(run(cmd), 0);
	T_EQ(hf_meta_read(g_names, g_dfd, "acld", -1, &m), 0);
	T_CHECK(find_xattr(&m, "system.posix_acl_access") != NULL);
	T_CHECK(find_xattr(&m, "system.posix_acl_default") != NULL);
	T_EQ(mkdirat(g_dfd, "acld2", 0700), 0);
	T_EQ(hf_meta_apply(g_names, g_dfd, "acld2", &m), 0);
	T_EQ(getfacl_of("acld", a, sizeof(a)), 0);
	T_EQ(getfacl_of("acld2", b, sizeof(b)), 0);
	T_CHECK(strcmp(a, b) == 0);
	T_CHECK(strstr(b, "default:user:12345:rwx") != NULL);
	hf_meta_release(&m);

	/* a file created in acld2 inherits an ACL; applying ACL-less metadata
	 * removes it and leaves exactly the mode */
	T_EQ(mkfile("plainacl", 0640, NULL), 0);
	T_EQ(hf_meta_read(g_names, g_dfd, "plainacl", -1, &m), 0);
	T_CHECK(find_xattr(&m, "system.posix_acl_access") == NULL);
	fd = openat(g_dfd, "acld2/inherit", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
	T_CHECK(fd >= 0);
	close(fd);
	path_of(path, sizeof(path), "acld2/inherit");
	T_EQ(lgetxattr(path, "system.posix_acl_access", a, sizeof(a)) > 0, 1);
	T_EQ(hf_meta_apply(g_names, g_dfd, "acld2/inherit", &m), 0);
	T_EQ(lgetxattr(path, "system.posix_acl_access", a, sizeof(a)), -1);
	T_EQ(errno, ENODATA);
	T_EQ(stat(path, &st), 0);
	T_EQ(st.st_mode & 07777, 0640);
	hf_meta_release(&m);
}

static void check_link(const char *name, const char *target, size_t len)
{
	char buf[600];
	ssize_t n = readlinkat(g_dfd, name, buf, sizeof(buf));

	T_EQ(n, (ssize_t)len);
	if (n == (ssize_t)len)
		T_MEMEQ(buf, target, len);
}

static void test_symlink(void)
{
	static const char raw[] = "\xff\xfe-not-utf8/\x80target";
	struct hf_meta m, m2;
	struct stat st;
	struct timespec ts[2] = {{1500000000, 111111111}, {1400000000, 222222222}};

	T_EQ(symlinkat("does/not/exist", g_dfd, "dangling"), 0);
	T_EQ(hf_meta_read(g_names, g_dfd, "dangling", -1, &m), 0);
	T_EQ(m.type, HF_FT_SYMLINK);
	T_EQ(m.link_len, 14);
	T_CHECK(m.link && strcmp(m.link, "does/not/exist") == 0);
	T_EQ(m.size, 14);
	T_EQ(hf_meta_create_node(g_dfd, "dangling2", &m), 0);
	check_link("dangling2", "does/not/exist", 14);
	hf_meta_release(&m);

	T_EQ(symlinkat(raw, g_dfd, "rawlink"), 0);
	T_EQ(utimensat(g_dfd, "rawlink", ts, AT_SYMLINK_NOFOLLOW), 0);
	T_EQ(hf_meta_read(g_names, g_dfd, "rawlink", -1, &m), 0);
	T_EQ(m.link_len, sizeof(raw) - 1);
	T_CHECK(m.link && memcmp(m.link, raw, sizeof(raw)) == 0);
	T_EQ(m.mtime_ns, 1400000000222222222LL);
	T_EQ(m.atime_ns, 1500000000111111111LL);
	/* replaces a file; apply sets times without touching the (missing) target */
	T_EQ(mkfile("rawlink2", 0644, NULL), 0);
	T_EQ(hf_meta_create_node(g_dfd, "rawlink2", &m), 0);
	T_EQ(hf_meta_apply(g_names, g_dfd, "rawlink2", &m), 0);
	T_EQ(hf_meta_read(g_names, g_dfd, "rawlink2", -1, &m2), 0);
	T_EQ(m2.mtime_ns, m.mtime_ns);
	T_EQ(m2.atime_ns, m.atime_ns); /* stat comes before readlink, which sets atime */
	T_EQ(m2.uid, m.uid);
	hf_meta_release(&m2);
	check_link("rawlink2", raw, sizeof(raw) - 1);

	/* an empty directory is replaced, a non-empty one is not */
	T_EQ(mkdirat(g_dfd, "emptydir", 0755), 0);
	T_EQ(hf_meta_create_node(g_dfd, "emptydir", &m), 0);
	check_link("emptydir", raw, sizeof(raw) - 1);
	T_EQ(mkdirat(g_dfd, "fulldir", 0755), 0);
	T_EQ(mkfile("fulldir/x", 0644, NULL), 0);
	T_EQ(hf_meta_create_node(g_dfd, "fulldir", &m), -ENOTEMPTY);
	T_EQ(fstatat(g_dfd, "fulldir/x", &st, 0), 0);

	/* a target with a NUL inside (hostile metadata) is refused */
	m.link_len++;
	T_EQ(hf_meta_create_node(g_dfd, "badlink", &m), -HF_E_CORRUPT);
	m.link_len--;
	/* applying symlink metadata to a regular file is refused */
	T_EQ(mkfile("notalink", 0644, NULL), 0);
	T_EQ(hf_meta_apply(g_names, g_dfd, "notalink", &m), -HF_E_CHANGED);
	hf_meta_release(&m);
}

static void test_special(void)
{
	struct hf_meta m;
	struct stat st;

	T_EQ(mkfifoat(g_dfd, "fifo", 0600), 0);
	T_EQ(fchmodat(g_dfd, "fifo", 0640, 0), 0);
	T_EQ(hf_meta_read(g_names, g_dfd, "fifo", -1, &m), 0);
	T_EQ(m.type, HF_FT_FIFO);
	T_EQ(m.mode, 0640);
	T_EQ(hf_meta_create_node(g_dfd, "fifo2", &m), 0);
	T_EQ(hf_meta_apply(g_names, g_dfd, "fifo2", &m), 0);
	T_EQ(fstatat(g_dfd, "fifo2", &st, AT_SYMLINK_NOFOLLOW), 0);
	T_CHECK(S_ISFIFO(st.st_mode));
	T_EQ(st.st_mode & 07777, 0640);
	T_EQ(st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec, m.mtime_ns);
	hf_meta_release(&m);

	T_EQ(mknodat(g_dfd, "sock", S_IFSOCK | 0600, 0), 0);
	T_EQ(hf_meta_read(g_names, g_dfd, "sock", -1, &m), 0);
	T_EQ(m.type, HF_FT_SOCK);
	T_EQ(hf_meta_create_node(g_dfd, "sock2", &m), 0);
	T_EQ(fstatat(g_dfd, "sock2", &st, AT_SYMLINK_NOFOLLOW), 0);
	T_CHECK(S_ISSOCK(st.st_mode));
	/* create_node refuses regular files and directories */
	m.type = HF_FT_FILE;
	T_EQ(hf_meta_create_node(g_dfd, "sock3", &m), -HF_E_USAGE);
	hf_meta_release(&m);

	if (!g_root)
		return;
	T_EQ(mknodat(g_dfd, "null", S_IFCHR | 0666, makedev(1, 3)), 0);
	T_EQ(fchmodat(g_dfd, "null", 0666, 0), 0);
	T_EQ(hf_meta_read(g_names, g_dfd, "null", -1, &m), 0);
	T_EQ(m.type, HF_FT_CHR);
	T_EQ(major((dev_t)m.rdev), 1);
	T_EQ(minor((dev_t)m.rdev), 3);
	T_EQ(m.mode, 0666);
	T_EQ(hf_meta_create_node(g_dfd, "null2", &m), 0);
	T_EQ(hf_meta_apply(g_names, g_dfd, "null2", &m), 0);
	T_EQ(fstatat(g_dfd, "null2", &st, AT_SYMLINK_NOFOLLOW), 0);
	T_CHECK(S_ISCHR(st.st_mode));
	T_EQ(st.st_rdev, makedev(1, 3));
	T_EQ(st.st_mode & 07777, 0666);
	hf_meta_release(&m);

	T_EQ(mknodat(g_dfd, "blk", S_IFBLK | 0600, makedev(259, 70000)), 0);
	T_EQ(hf_meta_read(g_names, g_dfd, "blk", -1, &m), 0);
	T_EQ(m.type, HF_FT_BLK);
	T_EQ(hf_meta_create_node(g_dfd, "blk2", &m), 0);
	T_EQ(fstatat(g_dfd, "blk2", &st, AT_SYMLINK_NOFOLLOW), 0);
	T_CHECK(S_ISBLK(st.st_mode));
	T_EQ(major(st.st_rdev), 259);
	T_EQ(minor(st.st_rdev), 70000);
	hf_meta_release(&m);
}

static void test_times(void)
{
	struct timespec ts[2] = {{1234567890, 123456789}, {1600000000, 987654321}};
	struct hf_meta m, m2;
	struct stat st;

	T_EQ(mkfile("t1", 0644, "x"), 0);
	T_EQ(utimensat(g_dfd, "t1", ts, 0), 0);
	T_EQ(hf_meta_read(g_names, g_dfd, "t1", -1, &m), 0);
	T_EQ(m.atime_ns, 1234567890123456789LL);
	T_EQ(m.mtime_ns, 1600000000987654321LL);
	T_CHECK(m.ctime_ns > 1600000000000000000LL);
	T_EQ(mkfile("t2", 0600, NULL), 0);
	T_EQ(hf_meta_apply(g_names, g_dfd, "t2", &m), 0);
	T_EQ(fstatat(g_dfd, "t2", &st, 0), 0);
	T_EQ(st.st_atim.tv_sec, 1234567890);
	T_EQ(st.st_atim.tv_nsec, 123456789);
	T_EQ(st.st_mtim.tv_sec, 1600000000);
	T_EQ(st.st_mtim.tv_nsec, 987654321);

	/* before 1970: negative nanoseconds round-trip */
	hf_meta_copy(&m2, &m);
	m2.mtime_ns = -1000000000LL + 5; /* 1969-12-31T23:59:59.000000005 */
	m2.atime_ns = -1;
	T_EQ(hf_meta_apply(g_names, g_dfd, "t2", &m2), 0);
	T_EQ(fstatat(g_dfd, "t2", &st, 0), 0);
	T_EQ(st.st_mtim.tv_sec, -1);
	T_EQ(st.st_mtim.tv_nsec, 5);
	T_EQ(st.st_atim.tv_sec, -1);
	T_EQ(st.st_atim.tv_nsec, 999999999);
	hf_meta_release(&m2);
	T_EQ(hf_meta_read(g_names, g_dfd, "t2", -1, &m2), 0);
	T_EQ(m2.mtime_ns, -999999995LL);
	T_EQ(m2.atime_ns, -1);
	hf_meta_release(&m2);
	hf_meta_release(&m);

	/* beyond what int64 nanoseconds hold (year 2400): saturates, no overflow */
	ts[1].tv_sec = 13569465600;
	ts[1].tv_nsec = 0;
	T_EQ(utimensat(g_dfd, "t1", ts, 0), 0);
	T_EQ(fstatat(g_dfd, "t1", &st, 0), 0);
	if (st.st_mtim.tv_sec == 13569465600) {
		T_EQ(hf_meta_read(g_names, g_dfd, "t1", -1, &m), 0);
		T_EQ(m.mtime_ns, INT64_MAX);
		hf_meta_release(&m);
	}
}

static void test_names_bytes(void)
{
	char name[300], target[] = "t";
	struct hf_meta m;
	struct stat st;
	int fd;

	memset(name, 'a', sizeof(name));
	name[0] = (char)0xff;
	name[1] = (char)0xc3; /* truncated UTF-8 sequence */
	name[100] = (char)0x80;
	name[254] = (char)0xfe;
	name[255] = '\0';
	T_EQ(mkfile(name, 0600, "z"), 0);
	T_EQ(hf_meta_read(g_names, g_dfd, name, -1, &m), 0);
	T_EQ(m.type, HF_FT_FILE);
	T_EQ(m.size, 1);
	hf_meta_release(&m);
	T_EQ(mkdirat(g_dfd, "bytes", 0755), 0);
	fd = openat(g_dfd, "bytes", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	T_CHECK(fd >= 0);
	memset(&m, 0, sizeof(m));
	m.type = HF_FT_SYMLINK;
	m.mode = 0777;
	m.link = target;
	m.link_len = 1;
	T_EQ(hf_meta_create_node(fd, name, &m), 0);
	T_EQ(fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW), 0);
	T_CHECK(S_ISLNK(st.st_mode));
	close(fd);
	/* 256 bytes is one too many */
	memset(name, 'b', 256);
	name[256] = '\0';
	T_EQ(hf_meta_read(g_names, g_dfd, name, -1, &m), -ENAMETOOLONG);

	/* hard links share ino and report nlink */
	T_EQ(mkfile("hl1", 0644, NULL), 0);
	T_EQ(linkat(g_dfd, "hl1", g_dfd, "hl2", 0), 0);
	T_EQ(hf_meta_read(g_names, g_dfd, "hl1", -1, &m), 0);
	T_EQ(fstatat(g_dfd, "hl2", &st, AT_SYMLINK_NOFOLLOW), 0);
	T_EQ(m.nlink, 2);
	T_EQ(m.ino, st.st_ino);
	T_EQ(m.dev, st.st_dev);
	hf_meta_release(&m);
}

static void test_sparse(void)
{
	const uint64_t mib = 1u << 20, size = 64 * mib;
	char block[4096];
	uint64_t s = 0, e = 0;
	int fd;

	memset(block, 'D', sizeof(block));
	fd = openat(g_dfd, "sparse", O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	T_CHECK(fd >= 0);
	T_EQ(ftruncate(fd, (off_t)size), 0);
	T_EQ(pwrite(fd, block, sizeof(block), (off_t)mib), 4096);
	T_EQ(pwrite(fd, block, sizeof(block), (off_t)(40 * mib)), 4096);
	T_EQ(fsync(fd), 0);
	T_EQ(hf_fs_next_data(fd, 0, size, &s, &e), 1);
	T_EQ(s, mib);
	T_EQ(e, mib + 4096);
	T_EQ(hf_fs_next_data(fd, e, size, &s, &e), 1);
	T_EQ(s, 40 * mib);
	T_EQ(e, 40 * mib + 4096);
	T_EQ(hf_fs_next_data(fd, e, size, &s, &e), 0);
	/* from inside an extent, and past the end */
	T_EQ(hf_fs_next_data(fd, mib + 100, size, &s, &e), 1);
	T_EQ(s, mib + 100);
	T_EQ(e, mib + 4096);
	T_EQ(hf_fs_next_data(fd, size, size, &s, &e), 0);
	T_EQ(hf_fs_next_data(fd, size + 10, size, &s, &e), 0);
	/* a smaller size than the file: extents are clipped to it */
	T_EQ(hf_fs_next_data(fd, 0, mib + 10, &s, &e), 1);
	T_EQ(e, mib + 10);
	T_EQ(hf_fs_next_data(fd, mib + 10, mib + 10, &s, &e), 0);
	T_EQ(hf_fs_next_data(fd, 2 * mib, 40 * mib, &s, &e), 0);
	close(fd);

	/* a dense file is one extent; an empty one has none */
	T_EQ(mkfile("dense", 0644, "0123456789"), 0);
	fd = openat(g_dfd, "dense", O_RDONLY | O_CLOEXEC);
	T_EQ(hf_fs_next_data(fd, 0, 10, &s, &e), 1);
	T_EQ(s, 0);
	T_EQ(e, 10);
	T_EQ(hf_fs_next_data(fd, 10, 10, &s, &e), 0);
	close(fd);
	/* a bad descriptor is an error */
	T_EQ(hf_fs_next_data(-1, 0, 10, &s, &e), -EBADF);
}

/* Many owners, known and unknown: the cache grows and agrees with NSS. */
static void test_names_cache(void)
{
	struct hf_meta m, c;
	struct passwd *pw;
	struct group *gr;
	struct stat st;
	uint32_t id;
	int pass;

	hf_fs_names_free(NULL);
	hf_meta_release(NULL);
	if (!g_root)
		return;
	T_EQ(mkfile("owners", 0644, NULL), 0);
	for (pass = 0; pass < 2; pass++) {
		for (id = 0; id < 300; id++) {
			T_EQ(fchownat(g_dfd, "owners", id, id, 0), 0);
			T_EQ(hf_meta_read(g_names, g_dfd, "owners", -1, &m), 0);
			pw = getpwuid(id);
			if (pw)
				T_CHECK(m.user && strcmp(m.user, pw->pw_name) == 0);
			else
				T_CHECK(m.user == NULL);
			gr = getgrgid(id);
			if (gr)
				T_CHECK(m.group && strcmp(m.group, gr->gr_name) == 0);
			else
				T_CHECK(m.group == NULL);
			hf_meta_release(&m);
		}
	}
	/* restore by name: "daemon" (uid 1 on Debian) wins over a numeric 777 */
	pw = getpwnam("daemon");
	gr = getgrnam("daemon");
	T_EQ(hf_meta_read(g_names, g_dfd, "owners", -1, &m), 0);
	hf_meta_copy(&c, &m);
	free(c.user);
	free(c.group);
	c.user = strdup("daemon");
	c.group = strdup("daemon");
	c.uid = c.gid = 777;
	for (pass = 0; pass < 2; pass++) {
		T_EQ(hf_meta_apply(g_names, g_dfd, "owners", &c), 0);
		T_EQ(fstatat(g_dfd, "owners", &st, 0), 0);
		T_EQ(st.st_uid, pw ? pw->pw_uid : 777);
		T_EQ(st.st_gid, gr ? gr->gr_gid : 777);
	}
	hf_meta_release(&c);
	hf_meta_release(&m);
}

/* A /tmp without user xattrs cannot run the xattr tests: use /var/tmp. */
static int make_dir(void)
{
	static const char *bases[] = {"/tmp", "/var/tmp"};
	size_t i;

	for (i = 0; i < sizeof(bases) / sizeof(bases[0]); i++) {
		snprintf(g_dir, sizeof(g_dir), "%s/hf-test-fs.XXXXXX", bases[i]);
		if (!mkdtemp(g_dir))
			continue;
		if (setxattr(g_dir, "user.probe", "1", 1, 0) == 0 && removexattr(g_dir, "user.probe") == 0)
			break;
		fprintf(stderr, "test_fs: %s lacks user xattrs, trying the next base\n", bases[i]);
		rmdir(g_dir);
		g_dir[0] = '\0';
	}
	if (!g_dir[0])
		return -1;
	g_dfd = open(g_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return g_dfd < 0 ? -1 : 0;
}

int main(void)
{
	char cmd[400];
	int r;

	umask(022);
	if (make_dir() < 0) {
		fprintf(stderr, "test_fs: no directory with xattr support\n");
		return T_DONE("test_fs") + 1;
	}
	g_root = geteuid() == 0;
	if (!g_root)
		fprintf(stderr, "test_fs: not root: owner and device tests skipped\n");
	g_names = hf_fs_names_new();
	T_RUN(test_modes);
	T_RUN(test_owner);
	T_RUN(test_xattrs);
	T_RUN(test_acl);
	T_RUN(test_symlink);
	T_RUN(test_special);
	T_RUN(test_times);
	T_RUN(test_names_bytes);
	T_RUN(test_sparse);
	T_RUN(test_names_cache);
	hf_fs_names_free(g_names);
	close(g_dfd);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", g_dir);
	r = run(cmd);
	(void)r;
	return T_DONE("test_fs");
}
