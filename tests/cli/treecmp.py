#!/usr/bin/python3
"""treecmp.py — compare two directory trees entry by entry (a source and its restore).

usage: treecmp.py [--no-root] [--no-atime] [--no-owner] A B

Prints one line per difference and exits 1 if there is any, 0 if the trees are
identical, 2 on a usage or I/O error of its own.

Compared for every entry (names are handled as bytes throughout, because names may
be non-UTF-8; the walk uses directory file descriptors and fchdir, so paths longer
than PATH_MAX work):
  - presence (an entry only in A or only in B), type
  - full st_mode including setuid/setgid/sticky, uid, gid
  - size and SHA-256 of the content of regular files
  - mtime_ns of everything (directories included: a restore must set a directory's
    times after filling it)
  - atime_ns, see below
  - symlink targets (bytes), rdev of character and block devices
  - every extended attribute (listxattr/getxattr without following symlinks), which
    includes system.posix_acl_access and system.posix_acl_default
  - hard-link groups: the set of paths (inside the tree) sharing one inode must be the
    same in both trees
  - sparse layout of regular files: the SEEK_DATA/SEEK_HOLE data map must be the same,
    or else B must not allocate more blocks than A plus a small slack (a restore may
    punch holes the source did not have, never fill them)

atime handling: holdfast reads files with O_NOATIME, so a backup leaves the source's
atimes alone; the scripts set atimes explicitly before the backup, and the restore
must reproduce them. This script lstat()s every entry before it reads anything and
reads file content with O_NOATIME, so it does not disturb atimes either. atimes are
compared for all non-directories except symlinks: reading a directory (readdir) or a
symlink (readlink) cannot be done without the kernel updating atime under relatime,
so those atimes change merely by being backed up or compared. --no-atime turns the
atime comparison off.

--no-root skips the metadata of the two top directories themselves (their content is
still compared). --no-owner skips uid/gid (for trees made by an unprivileged user).
"""

import hashlib
import os
import stat
import sys

SPARSE_SLACK_BLOCKS = 64  # 512-byte blocks: 32 KiB of extra allocation is tolerated


def show(p):
    s = p.decode("utf-8", "backslashreplace").replace("\n", "\\n") or "."
    if len(s) > 300:  # very deep paths: keep the start and the end
        s = s[:60] + "[...]" + s[-200:]
    return s


def data_map(fd, size):
    """List of (start, end) data extents, from SEEK_DATA/SEEK_HOLE."""
    extents = []
    off = 0
    while off < size:
        try:
            start = os.lseek(fd, off, os.SEEK_DATA)
        except OSError:  # ENXIO: no more data
            break
        end = os.lseek(fd, start, os.SEEK_HOLE)
        extents.append((start, end))
        off = end
    return extents


def file_info(name, st):
    """Content hash and data map of a regular file (relative to the cwd)."""
    flags = os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_NOATIME", 0)
    try:
        fd = os.open(name, flags)
    except PermissionError:
        fd = os.open(name, flags & ~getattr(os, "O_NOATIME", 0))
    try:
        h = hashlib.sha256()
        while True:
            b = os.read(fd, 1 << 20)
            if not b:
                break
            h.update(b)
        return h.hexdigest(), data_map(fd, st.st_size)
    finally:
        os.close(fd)


def xattrs(name):
    out = {}
    try:
        names = os.listxattr(name, follow_symlinks=False)
    except OSError as e:
        return {"<listxattr error>": str(e).encode()}
    for n in names:
        try:
            out[n] = os.getxattr(name, n, follow_symlinks=False)
        except OSError as e:
            out[n] = ("<error %s>" % e.strerror).encode()
    return out


def walk(path):
    """Returns {relative path (bytes): info dict} for the tree at path."""
    entries = {}
    top = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        _walk(top, b"", entries)
    finally:
        os.close(top)
    return entries


def _walk(dfd, rel, entries):
    os.fchdir(dfd)
    st = os.lstat(".")
    entries[rel] = describe(b".", st)
    names = sorted(os.fsencode(n) for n in os.listdir(dfd))
    # stat everything first: reading content or listing subdirectories comes later
    subs = []
    for n in names:
        os.fchdir(dfd)
        r = rel + b"/" + n if rel else n
        st = os.lstat(n)
        if stat.S_ISDIR(st.st_mode):
            subs.append((n, r))
        else:
            entries[r] = describe(n, st)
    for n, r in subs:
        os.fchdir(dfd)
        fd = os.open(n, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
        try:
            _walk(fd, r, entries)
        finally:
            os.close(fd)


def describe(name, st):
    m = st.st_mode
    d = {
        "type": stat.S_IFMT(m),
        "mode": "%o" % stat.S_IMODE(m),
        "uid": st.st_uid,
        "gid": st.st_gid,
        "mtime_ns": st.st_mtime_ns,
        "atime_ns": st.st_atime_ns,
        "ino": (st.st_dev, st.st_ino),
        "nlink": st.st_nlink,
        "xattrs": xattrs(name),
    }
    if stat.S_ISREG(m):
        d["size"] = st.st_size
        d["blocks"] = st.st_blocks
        d["sha256"], d["datamap"] = file_info(name, st)
    elif stat.S_ISLNK(m):
        d["target"] = os.readlink(name)
    elif stat.S_ISCHR(m) or stat.S_ISBLK(m):
        d["rdev"] = (os.major(st.st_rdev), os.minor(st.st_rdev))
    return d


TYPE_NAMES = {
    stat.S_IFREG: "file",
    stat.S_IFDIR: "dir",
    stat.S_IFLNK: "symlink",
    stat.S_IFCHR: "chardev",
    stat.S_IFBLK: "blockdev",
    stat.S_IFIFO: "fifo",
    stat.S_IFSOCK: "socket",
}


def link_groups(entries):
    """{path: frozenset of paths sharing its inode} for non-directories with nlink > 1."""
    by_ino = {}
    for p, d in entries.items():
        if d["type"] != stat.S_IFDIR and d["nlink"] > 1:
            by_ino.setdefault(d["ino"], set()).add(p)
    groups = {}
    for paths in by_ino.values():
        fs = frozenset(paths)
        for p in paths:
            groups[p] = fs
    return groups


def compare(a, b, no_root, no_atime, no_owner):
    diffs = []
    ea, eb = walk(a), walk(b)
    for p in sorted(set(ea) - set(eb)):
        diffs.append("only in A: %s (%s)" % (show(p), TYPE_NAMES.get(ea[p]["type"], "?")))
    for p in sorted(set(eb) - set(ea)):
        diffs.append("only in B: %s (%s)" % (show(p), TYPE_NAMES.get(eb[p]["type"], "?")))
    ga, gb = link_groups(ea), link_groups(eb)
    for p in sorted(set(ea) & set(eb)):
        x, y = ea[p], eb[p]
        if p == b"" and no_root:
            continue
        if x["type"] != y["type"]:
            diffs.append("%s: type %s != %s" % (show(p), TYPE_NAMES.get(x["type"]), TYPE_NAMES.get(y["type"])))
            continue
        keys = ["mode", "mtime_ns", "xattrs"]
        if not no_owner:
            keys += ["uid", "gid"]
        t = x["type"]
        if not no_atime and t not in (stat.S_IFDIR, stat.S_IFLNK):
            keys.append("atime_ns")
        if t == stat.S_IFREG:
            keys += ["size", "sha256"]
        elif t == stat.S_IFLNK:
            keys.append("target")
        elif t in (stat.S_IFCHR, stat.S_IFBLK):
            keys.append("rdev")
        for k in keys:
            if x[k] != y[k]:
                if k == "xattrs":
                    for n in sorted(set(x[k]) | set(y[k])):
                        if x[k].get(n) != y[k].get(n):
                            diffs.append("%s: xattr %s: %r != %r" % (show(p), n, x[k].get(n), y[k].get(n)))
                else:
                    diffs.append("%s: %s %r != %r" % (show(p), k, x[k], y[k]))
        if t == stat.S_IFREG and x["sha256"] == y["sha256"] and x["datamap"] != y["datamap"]:
            if y["blocks"] > x["blocks"] + SPARSE_SLACK_BLOCKS:
                diffs.append("%s: sparse layout lost: blocks %d != %d, data extents %d vs %d"
                             % (show(p), x["blocks"], y["blocks"], len(x["datamap"]), len(y["datamap"])))
        if t != stat.S_IFDIR:
            la = sorted(show(q) for q in ga.get(p, {p}))
            lb = sorted(show(q) for q in gb.get(p, {p}))
            if la != lb:
                diffs.append("%s: hard-link group %s != %s" % (show(p), la, lb))
    return diffs


def main(argv):
    opts = {"--no-root": False, "--no-atime": False, "--no-owner": False}
    args = []
    for a in argv[1:]:
        if a in opts:
            opts[a] = True
        elif a.startswith("--"):
            print("treecmp.py: unknown option %s" % a, file=sys.stderr)
            return 2
        else:
            args.append(a)
    if len(args) != 2:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    a, b = (os.path.abspath(os.fsencode(x)) for x in args)
    try:
        diffs = compare(a, b, opts["--no-root"], opts["--no-atime"], opts["--no-owner"])
    except OSError as e:
        print("treecmp.py: %s" % e, file=sys.stderr)
        return 2
    for d in diffs:
        print(d)
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
