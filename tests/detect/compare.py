#!/usr/bin/python3
"""compare.py EXPECTED RESTORED — content comparison of two trees for the last-clean
restore tests: every regular file under EXPECTED must be under RESTORED with the same
bytes, and RESTORED must hold no regular file (or symlink, or other non-directory) that
EXPECTED does not. Metadata is not compared (tests/cli/treecmp.py does that for plain
restores; a last-clean restore mixes versions from several snapshots).

Prints "same N missing N different N extra N", then one line per problem
("missing PATH", "different PATH (SIZE_EXPECTED -> SIZE_RESTORED)", "extra PATH"),
relative paths. Exit 0 if identical, 1 if not, 2 on usage error.
"""
import filecmp
import os
import sys

if len(sys.argv) != 3:
    sys.stderr.write("usage: compare.py EXPECTED RESTORED\n")
    sys.exit(2)
exp, got = sys.argv[1], sys.argv[2]


def files(root):
    out = set()
    if not os.path.isdir(root):
        return out
    for d, dirs, fs in os.walk(root):
        for n in fs + [x for x in dirs if os.path.islink(os.path.join(d, x))]:
            out.add(os.path.relpath(os.path.join(d, n), root))
    return out


a, b = files(exp), files(got)
same, problems = 0, []
for p in sorted(a):
    pe, pg = os.path.join(exp, p), os.path.join(got, p)
    if p not in b:
        problems.append("missing %s" % p)
    elif os.path.islink(pe) or os.path.islink(pg):
        if not (os.path.islink(pe) and os.path.islink(pg) and os.readlink(pe) == os.readlink(pg)):
            problems.append("different %s (symlink)" % p)
        else:
            same += 1
    elif not os.path.isfile(pg) or not filecmp.cmp(pe, pg, shallow=False):
        sg = os.lstat(pg).st_size if os.path.lexists(pg) else -1
        problems.append("different %s (%d -> %d bytes)" % (p, os.lstat(pe).st_size, sg))
    else:
        same += 1
for p in sorted(b - a):
    problems.append("extra %s" % p)
print("same %d missing %d different %d extra %d" % (
    same, sum(x.startswith("missing ") for x in problems), sum(x.startswith("different ") for x in problems),
    sum(x.startswith("extra ") for x in problems)))
for x in problems:
    print(x)
sys.exit(1 if problems else 0)
