#!/usr/bin/env python3
"""benchlib.py — helpers for the holdfast benchmark (bench/*.sh call these).

Subcommands (all deterministic; standard library only):
  select OUTLIST          choose the real files for the corpus from /usr, write a
                          NUL-separated path list (relative to /) and print the
                          manifest text (one "type size mtime path" line each)
  state DIR               print a stat-level listing of DIR (type size mtime path)
  mutate DIR UNDO FRAC    modify ~FRAC of the regular files of DIR, saving what is
                          needed to undo it under UNDO; prints a summary line
  undo DIR UNDO           revert a previous mutate
  manifest DIR OUT        checksum manifest of DIR (sha256 of every file, modes,
                          sizes, mtimes, symlink targets), 2 hashing threads
  compare A B             compare two manifests; prints a one-line verdict and
                          exits 1 on any content/type/mode/size difference
  report RESULTS OUT      render docs/PERFORMANCE.md from a results directory
                          (keeping the analysis and the scale.sh sections)
  smallfiles N DIR        make DIR: N unique small text files (200 B-9 KB) in
                          folders of 1,000 (bench/scale.sh's trees)
  scale-report RESULTS OUT
                          write (or replace) the "Many small files" section of
                          OUT from bench/scale.sh's results (RESULTS/scale-*)
  section OUT FILE        put FILE (a section starting "## Heading") into OUT in
                          place of the section of that heading, or else before
                          "## Where the time goes" (server.sh, s3.sh, report.sh)
"""
import hashlib
import json
import os
import random
import re
import shutil
import stat
import sys
from concurrent.futures import ThreadPoolExecutor

MiB = 1 << 20

# ---------------------------------------------------------------- selection

# Real-file budget for the corpus (the large synthetic files come on top).
REAL_BUDGET = 1_400_000_000
MAX_FILE = 32 * MiB  # larger single files are skipped (the big/ files cover that)
SEED = b"holdfast-bench-v1:"


def _walk(top):
    """Yield (path, lstat) for regular files and symlinks under top, sorted."""
    out = []
    for root, dirs, files in os.walk(top, followlinks=False):
        dirs.sort()
        for name in sorted(files + [d for d in dirs if os.path.islink(os.path.join(root, d))]):
            p = os.path.join(root, name)
            try:
                st = os.lstat(p)
            except OSError:
                continue
            if stat.S_ISLNK(st.st_mode):
                out.append((p, st))
            elif stat.S_ISREG(st.st_mode):
                if st.st_size > MAX_FILE or not os.access(p, os.R_OK):
                    continue
                out.append((p, st))
            # sockets, fifos, devices: skipped
    out.sort(key=lambda e: e[0])
    return out


def _h(s):
    return hashlib.sha256(SEED + s.encode("utf-8", "surrogateescape")).hexdigest()


def cmd_select(outlist):
    chosen = []
    # /usr/include and /usr/share: everything (within MAX_FILE)
    for top in ("/usr/include", "/usr/share"):
        chosen += _walk(top)
    used = sum(st.st_size for _, st in chosen if stat.S_ISREG(st.st_mode))
    # /usr/lib: whole directories, in a fixed pseudo-random order, while they fit
    bydir = {}
    for p, st in _walk("/usr/lib"):
        bydir.setdefault(os.path.dirname(p), []).append((p, st))
    for d in sorted(bydir, key=_h):
        ents = bydir[d]
        size = sum(st.st_size for _, st in ents if stat.S_ISREG(st.st_mode))
        if used + size <= REAL_BUDGET:
            chosen += ents
            used += size
    chosen.sort(key=lambda e: e[0])
    with open(outlist, "wb") as f:
        for p, _ in chosen:
            f.write(p.lstrip("/").encode("utf-8", "surrogateescape") + b"\0")
    for p, st in chosen:
        t = "l" if stat.S_ISLNK(st.st_mode) else "f"
        size = st.st_size if t == "f" else 0
        sys.stdout.write("%s %d %d %s\n" % (t, size, int(st.st_mtime), p))


# ---------------------------------------------------------------- state

def _tree(d):
    """(relpath, lstat) for everything below d, sorted by relpath."""
    out = []
    for root, dirs, files in os.walk(d, followlinks=False):
        for name in dirs + files:
            p = os.path.join(root, name)
            try:
                out.append((os.path.relpath(p, d), os.lstat(p)))
            except OSError:
                pass
    out.sort(key=lambda e: e[0])
    return out


def _kind(st):
    m = st.st_mode
    if stat.S_ISDIR(m):
        return "d"
    if stat.S_ISLNK(m):
        return "l"
    if stat.S_ISREG(m):
        return "f"
    return "o"


def cmd_state(d):
    w = sys.stdout.write
    for rel, st in _tree(d):
        k = _kind(st)
        if k == "d":
            w("d %s\n" % rel)
        else:
            w("%s %d %d %s\n" % (k, st.st_size if k == "f" else 0, st.st_mtime_ns, rel))


# ---------------------------------------------------------------- mutation

def _rng(tag):
    return random.Random(int(_h(tag)[:16], 16))


def _text(rng, n):
    words = ["backup", "chunk", "snapshot", "index", "pack", "restore", "key", "data",
             "tree", "blob", "hash", "repository", "incremental", "prune", "check"]
    parts, size = [], 0
    while size < n:
        line = "%06d %s\n" % (rng.randrange(10 ** 6), " ".join(rng.choice(words) for _ in range(rng.randrange(3, 12))))
        parts.append(line)
        size += len(line)
    return "".join(parts).encode()[:n]


def _payload(rng, n):
    # half the payloads compress well (text), half do not (random bytes)
    return _text(rng, n) if rng.random() < 0.5 else rng.randbytes(n)


def cmd_mutate(d, undo, frac):
    frac = float(frac)
    if os.path.exists(undo):
        sys.exit("mutate: %s exists: corpus already mutated (run corpus.sh to restore it)" % undo)
    files = [rel for rel, st in _tree(d) if _kind(st) == "f" and not rel.startswith("big/")]
    n = max(10, round(frac * len(files)))
    ranked = sorted(files, key=lambda r: _h("mutate:" + r))[:n]
    n_app = n * 50 // 100
    n_mid = n * 35 // 100
    appends, mids, dels = ranked[:n_app], ranked[n_app:n_app + n_mid], ranked[n_app + n_mid:]
    n_new = max(5, n // 10)
    os.makedirs(os.path.join(undo, "orig"))
    ops = {"modified": [], "deleted": [], "new": []}
    stats = {"files": len(files), "appended": 0, "rewritten": 0, "deleted": 0, "new": 0,
             "bytes_changed": 0}

    def save(rel):
        dst = os.path.join(undo, "orig", rel)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        os.rename(os.path.join(d, rel), dst)  # keep the original inode aside
        return dst

    def touch(p, st):
        # deterministic new mtime: one second after the original (never in the future)
        os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns + 10 ** 9))

    for rel in appends + mids:
        p = os.path.join(d, rel)
        st = os.lstat(p)
        orig = save(rel)
        shutil.copy2(orig, p)
        rng = _rng("data:" + rel)
        if rel in appends or st.st_size == 0:
            k = rng.randrange(1, 64) * 1024
            with open(p, "ab") as f:
                f.write(_payload(rng, k))
            stats["appended"] += 1
        else:
            k = min(st.st_size - st.st_size // 2, rng.randrange(1, 32) * 1024)
            with open(p, "r+b") as f:
                f.seek(st.st_size // 2)
                f.write(_payload(rng, k))
            stats["rewritten"] += 1
        stats["bytes_changed"] += k
        touch(p, st)
        ops["modified"].append(rel)
    for rel in dels:
        save(rel)
        ops["deleted"].append(rel)
        stats["deleted"] += 1
    # new files next to some existing ones
    for i, rel in enumerate(sorted(files, key=lambda r: _h("new:" + r))[:n_new]):
        nrel = os.path.join(os.path.dirname(rel), "holdfast-bench-new-%04d.dat" % i)
        rng = _rng("newdata:" + nrel)
        k = rng.randrange(1, 512) * 1024
        p = os.path.join(d, nrel)
        with open(p, "wb") as f:
            f.write(_payload(rng, k))
        os.utime(p, ns=(1700000000 * 10 ** 9, 1700000000 * 10 ** 9))
        ops["new"].append(nrel)
        stats["new"] += 1
        stats["bytes_changed"] += k
    # the large files: a 64 KiB rewrite in the middle of the concatenated binaries
    # and a 1 MiB append to the random file
    for rel, mode in (("big/concat-libs.bin", "mid"), ("big/random.bin", "append")):
        p = os.path.join(d, rel)
        if not os.path.exists(p):
            continue
        st = os.lstat(p)
        orig = save(rel)
        shutil.copy2(orig, p)
        rng = _rng("big:" + rel)
        with open(p, "r+b") as f:
            if mode == "mid":
                f.seek(st.st_size // 2)
                f.write(rng.randbytes(64 * 1024))
                stats["bytes_changed"] += 64 * 1024
            else:
                f.seek(0, 2)
                f.write(rng.randbytes(MiB))
                stats["bytes_changed"] += MiB
        touch(p, st)
        ops["modified"].append(rel)
    with open(os.path.join(undo, "ops.json"), "w") as f:
        json.dump(ops, f)
    print("files=%(files)d appended=%(appended)d rewritten=%(rewritten)d deleted=%(deleted)d "
          "new=%(new)d bytes_changed=%(bytes_changed)d" % stats)


def _is_text(p):
    with open(p, "rb") as f:
        head = f.read(4096)
    if not head or b"\0" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def cmd_edit(d, undo, frac):
    """Benign churn after mutate: a text line appended to FRACTION of the text
    files mutate left alone (what editing documents and sources looks like);
    originals go to the same undo directory."""
    with open(os.path.join(undo, "ops.json")) as f:
        ops = json.load(f)
    touched = set(ops["modified"] + ops["deleted"] + ops["new"])
    files = [rel for rel, st in _tree(d) if _kind(st) == "f" and not rel.startswith("big/") and rel not in touched]
    ranked = [r for r in sorted(files, key=lambda r: _h("edit:" + r)) if _is_text(os.path.join(d, r))]
    ranked = ranked[:max(10, round(float(frac) * len(files)))]
    n_bytes = 0
    for rel in ranked:
        p = os.path.join(d, rel)
        st = os.lstat(p)
        dst = os.path.join(undo, "orig", rel)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        os.rename(p, dst)
        shutil.copy2(dst, p)
        line = ("edited by the holdfast bench: %s\n" % _h("line:" + rel)[:16]).encode()
        with open(p, "ab") as f:
            f.write(line)
        n_bytes += len(line)
        os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns + 2 * 10 ** 9))
        ops["modified"].append(rel)
    with open(os.path.join(undo, "ops.json"), "w") as f:
        json.dump(ops, f)
    print("text_files_edited=%d bytes_appended=%d" % (len(ranked), n_bytes))


def cmd_undo(d, undo):
    with open(os.path.join(undo, "ops.json")) as f:
        ops = json.load(f)
    for rel in ops["new"]:
        try:
            os.unlink(os.path.join(d, rel))
        except FileNotFoundError:
            pass
    for rel in ops["modified"] + ops["deleted"]:
        os.rename(os.path.join(undo, "orig", rel), os.path.join(d, rel))
    shutil.rmtree(undo)


# ---------------------------------------------------------------- manifests

def _sha(p):
    h = hashlib.sha256()
    with open(p, "rb") as f:
        while True:
            b = f.read(MiB)
            if not b:
                break
            h.update(b)
    return h.hexdigest()


def cmd_manifest(d, out):
    ents = _tree(d)
    regs = [rel for rel, st in ents if _kind(st) == "f"]
    with ThreadPoolExecutor(2) as ex:
        sums = dict(zip(regs, ex.map(lambda r: _sha(os.path.join(d, r)), regs)))
    with open(out, "w", encoding="utf-8", errors="surrogateescape") as f:
        for rel, st in ents:
            k = _kind(st)
            mode = "%o" % stat.S_IMODE(st.st_mode)
            if k == "f":
                f.write("f\t%s\t%d\t%s\t%d\t%s\n" % (mode, st.st_size, sums[rel], int(st.st_mtime), rel))
            elif k == "l":
                f.write("l\t-\t0\t%s\t-\t%s\n" % (os.readlink(os.path.join(d, rel)), rel))
            elif k == "d":
                f.write("d\t%s\t0\t-\t-\t%s\n" % (mode, rel))
            else:
                f.write("o\t%s\t0\t-\t-\t%s\n" % (mode, rel))


def _load(path):
    m = {}
    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        for line in f:
            k, mode, size, sha, mtime, rel = line.rstrip("\n").split("\t", 5)
            m[rel] = (k, mode, size, sha, mtime)
    return m


def cmd_compare(a, b):
    A, B = _load(a), _load(b)
    missing = [r for r in A if r not in B]
    extra = [r for r in B if r not in A]
    content = [r for r in A if r in B and A[r][0] == B[r][0] and (A[r][2], A[r][3]) != (B[r][2], B[r][3])]
    kind = [r for r in A if r in B and A[r][0] != B[r][0]]
    mode = [r for r in A if r in B and A[r][0] == B[r][0] and A[r][1] != B[r][1]]
    mtime = [r for r in A if r in B and A[r][0] == "f" == B[r][0] and A[r][4] != B[r][4]]
    nfiles = sum(1 for v in A.values() if v[0] == "f")
    bad = missing or extra or content or kind or mode
    print("%s entries=%d files=%d missing=%d extra=%d content=%d type=%d mode=%d mtime=%d" % (
        "FAIL" if bad else "OK", len(A), nfiles, len(missing), len(extra), len(content), len(kind),
        len(mode), len(mtime)))
    for label, lst in (("missing", missing), ("extra", extra), ("content", content),
                       ("type", kind), ("mode", mode), ("mtime", mtime)):
        for r in lst[:5]:
            print("  %s: %s" % (label, r), file=sys.stderr)
    sys.exit(1 if bad else 0)


# ---------------------------------------------------------------- report

STEPS = [("backup1", "First backup"), ("backup2", "Incremental backup (after mutate)"),
         ("restore", "Full restore of the latest snapshot"), ("check", "Check with full data read")]


def _read_kv(path):
    kv = {}
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                if "=" in line:
                    k, v = line.rstrip("\n").split("=", 1)
                    kv[k] = v
    return kv


def _read_results(path):
    res = {}
    if not os.path.exists(path):
        return res
    with open(path) as f:
        hdr = f.readline().rstrip("\n").split("\t")
        for line in f:
            row = dict(zip(hdr, line.rstrip("\n").split("\t")))
            res[(row["tool"], row["step"])] = row
    return res


def _f(x):
    try:
        return float(x)
    except (TypeError, ValueError):
        return None


def _ratio(v, ref):
    if v is None or ref is None or ref == 0:
        return "—"
    return "%.2f×" % (v / ref)


def _mib(b):
    return "%.0f" % (b / MiB) if b is not None else "—"


def cmd_report(resdir, out):
    meta = _read_kv(os.path.join(resdir, "meta.env"))
    res = _read_results(os.path.join(resdir, "results.tsv"))
    tools = [t for t in meta.get("tools", "restic borg holdfast").split()]
    # holdfast-nodetect runs only the backups (the cost of detection)
    step_tools = lambda step: [t for t in tools if t != "holdfast-nodetect" or step in ("backup1", "backup2")]
    corpus_bytes = _f(meta.get("corpus_bytes"))

    analysis = ("<!-- analysis -->\n_(Where the time goes: written by hand; `bench/run.sh` keeps "
                "this section when it regenerates the file.)_\n<!-- /analysis -->")
    scale = None  # the section bench/scale.sh writes, kept as it is
    if os.path.exists(out):
        txt = open(out, encoding="utf-8").read()
        m = re.search(r"<!-- analysis -->.*?<!-- /analysis -->", txt, re.S)
        if m:
            analysis = m.group(0)
        m = re.search(SCALE_RE, txt, re.S)
        if m:
            scale = m.group(0)

    L = []
    w = L.append
    w("# holdfast performance")
    w("")
    w("_Generated by `bench/run.sh` (`make bench`) on %s. Do not edit by hand except the "
      "analysis section, which is preserved._" % meta.get("date", "?"))
    w("")
    w("This is a side-by-side benchmark, not a timed test: every tool runs the same steps on the "
      "same corpus on the same machine in the same run. The page cache is **not** dropped "
      "(we cannot do that reliably on a shared machine), so every step is warm-cache for all "
      "tools equally. The machine is shared and noisy: read the **ratios**, not the absolute "
      "numbers. See `bench/README.md`.")
    w("")
    w("## Setup")
    w("")
    w("| | |")
    w("|---|---|")
    w("| date | %s |" % meta.get("date", "?"))
    w("| machine | %s cores (nproc), %s, %s GiB RAM, kernel %s |" % (
        meta.get("nproc", "?"), meta.get("cpu", "?"), meta.get("mem_gib", "?"), meta.get("kernel", "?")))
    w("| filesystem | %s |" % meta.get("fs", "?"))
    for t in tools:
        w("| %s | %s |" % (t, meta.get("version_" + t, "not available")))
    w("| restic settings | repository version 2, `--compression auto` (the default), AES-256-CTR + Poly1305 |")
    w("| borg settings | `borg init -e repokey-blake2`, `borg create --compression %s` |" % meta.get("borg_compression", "?"))
    w("| holdfast settings | defaults (zstd level 3, AES-256-GCM, FastCDC avg 1 MiB) |")
    if corpus_bytes:
        w("| corpus | %.2f GB (%s bytes) in %s files + %s symlinks, from /usr/share, /usr/include, /usr/lib "
          "plus a 100 MiB concatenation of shared libraries and a 50 MiB pseudo-random file |" % (
              corpus_bytes / 1e9, meta.get("corpus_bytes"), meta.get("corpus_files", "?"), meta.get("corpus_links", "?")))
    w("| mutation for the incremental run | %s |" % meta.get("mutate", "?"))
    w("| total bench run time | %s s |" % meta.get("run_seconds", "?"))
    w("")
    w("Each step is timed with GNU time (`%e %U %S %M`): wall seconds, user+system CPU seconds, "
      "peak resident set size of the largest process. Repository size is `du -sb` of the repository "
      "directory (caches outside it are not counted). Ratios are to restic (lower is better for all "
      "columns; a wall ratio of 0.33× means 3× faster). MB/s is corpus bytes per wall second. "
      "load1 is the 1-minute load average right after the step (the tool itself included): "
      "much above the tool's own CPU % means other work was running.")
    w("")
    for step, title in STEPS:
        w("## %s" % title)
        w("")
        hdr = "| tool | wall s | ×restic | CPU s | ×restic | CPU % | MB/s | peak RSS MiB | ×restic |"
        sep = "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
        if step in ("backup1", "backup2"):
            hdr += " repo MiB | ×restic |"
            sep += "---:|---:|"
        if step == "restore":
            hdr += " restore verified |"
            sep += "---|"
        hdr += " load1 after |"
        sep += "---:|"
        w(hdr)
        w(sep)
        ref = res.get(("restic", step), {})
        rw, rc, rr, rs = _f(ref.get("wall")), None, _f(ref.get("rss_kib")), _f(ref.get("repo_bytes"))
        if ref.get("status") == "ok":
            rc = (_f(ref.get("user")) or 0) + (_f(ref.get("sys")) or 0)
        else:
            rw = rr = rs = None
        for t in step_tools(step):
            r = res.get((t, step))
            if not r:
                w("| %s | not run |%s" % (t, " |" * (hdr.count("|") - 3)))
                continue
            if r.get("status") != "ok":
                w("| %s | **%s** |%s" % (t, r.get("status"), " |" * (hdr.count("|") - 3)))
                continue
            wall, rss, repo = _f(r["wall"]), _f(r["rss_kib"]), _f(r.get("repo_bytes"))
            cpu = (_f(r["user"]) or 0) + (_f(r["sys"]) or 0)
            mbs = "%.0f" % (corpus_bytes / 1e6 / wall) if corpus_bytes and wall and step != "backup2" else "—"
            row = "| %s | %.1f | %s | %.1f | %s | %.0f%% | %s | %.0f | %s |" % (
                t, wall, _ratio(wall, rw), cpu, _ratio(cpu, rc), 100 * cpu / wall if wall else 0, mbs,
                rss / 1024, _ratio(rss, rr))
            if step in ("backup1", "backup2"):
                row += " %s | %s |" % (_mib(repo), _ratio(repo, rs))
            if step == "restore":
                row += " %s |" % r.get("note", "?")
            row += " %s |" % r.get("load1", "?")
            w(row)
        w("")
    # targets
    w("## Targets (holdfast vs restic)")
    w("")
    w("| target | goal | measured | met? |")
    w("|---|---|---|---|")

    def get(t, s, k):
        r = res.get((t, s))
        if not r or r.get("status") != "ok":
            return None
        return _f(r.get(k))

    def speed(step):
        h, r = get("holdfast", step, "wall"), get("restic", step, "wall")
        if h and r:
            x = r / h
            m = ("%.2f× faster" % x) if x >= 1 else ("%.2f× slower" % (1 / x))
            return "%s (%.1f vs %.1f s)" % (m, h, r), "met" if x >= 3 else "**not met**"
        return "n/a", "n/a"

    for step, label in (("backup1", "first backup"), ("backup2", "incremental backup"), ("restore", "full restore")):
        m, ok = speed(step)
        w("| %s speed | ≥ 3× faster than restic | %s | %s |" % (label, m, ok))

    def maxrss(t):
        v = [get(t, s, "rss_kib") for s, _ in STEPS]
        v = [x for x in v if x is not None]
        return max(v) if len(v) == len(STEPS) else None

    h, r = maxrss("holdfast"), maxrss("restic")
    if h and r:
        w("| peak RSS (max over the four steps) | ≤ 0.5× restic | %.3f× (%.0f vs %.0f MiB) | %s |" % (
            h / r, h / 1024, r / 1024, "met" if h / r <= 0.5 else "**not met**"))
    else:
        w("| peak RSS (max over the four steps) | ≤ 0.5× restic | n/a | n/a |")
    h, r = get("holdfast", "backup2", "repo_bytes"), get("restic", "backup2", "repo_bytes")
    if h and r:
        w("| repository size after both backups | ≤ 1.0× restic | %.3f× (%s vs %s MiB) | %s |" % (
            h / r, _mib(h), _mib(r), "met" if h / r <= 1.0 else "**not met**"))
    else:
        w("| repository size after both backups | ≤ 1.0× restic | n/a | n/a |")
    w("")
    # detection
    w("## Cost of detection (holdfast vs holdfast --no-detect)")
    w("")
    w("Content profiles are computed in the backup pipeline and the new snapshot is scanned "
      "against its parent (docs/DETECTION.md); `--no-detect` skips both. Target: at most 10% more "
      "backup time.")
    w("")
    w("| step | with detection s | --no-detect s | overhead (wall) | CPU s with / without | overhead (CPU) | ≤ 10%? |")
    w("|---|---:|---:|---:|---:|---:|---|")
    def median_of(t, step, key):
        """the median over the step and its repeated runs (backup2r2, ...)"""
        vals = []
        for s in [step] + ["%sr%d" % (step, i) for i in range(2, 20)]:
            r = res.get((t, s))
            if r and r.get("status") == "ok":
                vals.append(_f(r.get("wall")) if key == "wall" else (_f(r.get("user")) or 0) + (_f(r.get("sys")) or 0))
        vals = sorted(v for v in vals if v is not None)
        return (vals[len(vals) // 2], len(vals)) if vals else (None, 0)

    for step, label in (("backup1", "first backup"),
                        ("backup2", "incremental backup after mutate (random bytes spliced into files: scanned as an attack)"),
                        ("backup3", "incremental backup after benign edits (%s)" % meta.get("edit", "?"))):
        (d, nd), (n, _) = median_of("holdfast", step, "wall"), median_of("holdfast-nodetect", step, "wall")
        (cd, _), (cn, _) = median_of("holdfast", step, "cpu"), median_of("holdfast-nodetect", step, "cpu")
        if d and n:
            ow, oc = d / n - 1, (cd / cn - 1) if cn else 0
            runs = " (median of %d runs)" % nd if nd > 1 else ""
            w("| %s%s | %.2f | %.2f | %+.1f%% | %.1f / %.1f | %+.1f%% | %s |" % (
                label, runs, d, n, 100 * ow, cd, cn, 100 * oc, "met" if ow <= 0.10 else "**not met**"))
        else:
            w("| %s | n/a | n/a | n/a | n/a | n/a | n/a |" % label)
    w("")
    # machine limits
    w("## Machine limits (single core unless stated)")
    w("")
    w("| what | throughput | how |")
    w("|---|---:|---|")
    lim = [("sha256", "SHA-256 (also ≈ HMAC-SHA256 chunk ids)", "`openssl speed -evp sha256 -bytes 16384`"),
           ("aes256gcm", "AES-256-GCM", "`openssl speed -evp aes-256-gcm -bytes 16384`"),
           ("chacha", "ChaCha20-Poly1305", "`openssl speed -evp chacha20-poly1305 -bytes 16384`"),
           ("zstd1_c", "zstd -1 compress", "`zstd -b1` on a %s MB tar sample of the corpus (ratio %s)" % (
               meta.get("sample_mb", "?"), meta.get("lim_zstd1_ratio", "?"))),
           ("zstd1_d", "zstd -1 decompress", "same"),
           ("zstd3_c", "zstd -3 compress", "`zstd -b3` on the same sample (ratio %s)" % meta.get("lim_zstd3_ratio", "?")),
           ("zstd3_d", "zstd -3 decompress", "same"),
           ("read", "read the corpus (warm)", "`tar cf - corpus \\| cat >/dev/null`, all files, 1 process"),
           ("copy", "copy the corpus into a fresh dir (warm read; writes land in the page cache, as for the restores)",
            "`tar cf - corpus \\| tar xf -`, 2 processes, no sync"),
           ("writeback", "then write that copy back to disk", "`sync` right after the copy")]
    for key, what, how in lim:
        v = meta.get("lim_" + key)
        w("| %s | %s | %s |" % (what, ("%s MB/s" % v) if v else "—", how))
    sha, aes, z3 = _f(meta.get("lim_sha256")), _f(meta.get("lim_aes256gcm")), _f(meta.get("lim_zstd3_c"))
    if sha and aes and z3:
        per = 1 / (1 / sha + 1 / aes + 1 / z3)
        w("")
        w("Per-byte CPU floor of a first backup (hash + compress at level 3 + encrypt every byte, "
          "ignoring chunking, I/O and dedup): one core ≈ **%.0f MB/s**, %s cores ≈ **%.0f MB/s**, i.e. "
          "%.1f s for this corpus on %s cores (%.1f CPU s)." % (
              per, meta.get("nproc", "?"), per * int(meta.get("nproc", "1")),
              (corpus_bytes or 0) / 1e6 / (per * int(meta.get("nproc", "1"))), meta.get("nproc", "?"),
              (corpus_bytes or 0) / 1e6 / per))
        z3d = _f(meta.get("lim_zstd3_d"))
        if z3d:
            rper = 1 / (1 / sha + 1 / aes + 1 / z3d)
            w("")
            w("Per-byte CPU floor of a full restore (decrypt + decompress + hash every byte to verify, "
              "ignoring file creation and writes): one core ≈ **%.0f MB/s**, %s cores ≈ **%.0f MB/s** "
              "(%.1f s for this corpus). The copy row above is the file-system side of a restore." % (
                  rper, meta.get("nproc", "?"), rper * int(meta.get("nproc", "1")),
                  (corpus_bytes or 0) / 1e6 / (rper * int(meta.get("nproc", "1")))))
    w("")
    if scale:
        w(scale)
        w("")
    w(analysis)
    w("")
    # raw
    w("## Raw results")
    w("")
    w("```")
    rp = os.path.join(resdir, "results.tsv")
    if os.path.exists(rp):
        w(open(rp).read().rstrip("\n"))
    w("```")
    fp = os.path.join(resdir, "failures.txt")
    fails = [x.strip() for x in open(fp)] if os.path.exists(fp) else []
    fails = [x for x in fails if x]
    if fails:
        w("")
        w("## Failures in this run")
        w("")
        for line in fails:
            w("- %s" % line)
    w("")
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    with open(out + ".tmp", "w", encoding="utf-8") as f:
        f.write("\n".join(L))
    os.replace(out + ".tmp", out)


# ---------------------------------------------------------------- many small files (scale.sh)

SCALE_RE = r"<!-- scale -->.*?<!-- /scale -->"


def cmd_smallfiles(n, top):
    """The tree of findings/2026-12-scale.md: file i in d{i/100000}/e{i/1000}/,
    200 B-9 KB of hex text, each file unique; same n -> same tree."""
    n = int(n)
    r = random.Random(1)
    for i in range(n):
        d = "%s/d%03d/e%05d" % (top, i // 100000, i // 1000)
        if i % 1000 == 0:
            os.makedirs(d, exist_ok=True)
        size = r.choice((200, 700, 1500, 4000, 9000))
        with open("%s/f%08d.txt" % (d, i), "wb") as f:
            f.write(r.randbytes(32).hex().encode() * (size // 64 + 1))


# (key, label, holdfast step, restic step); "forget+prune" of holdfast is its
# forget and prune steps together (summed time, larger RSS)
SCALE_STEPS = [
    ("init", "init", "init", "init"),
    ("backup1", "first backup", "backup1", "backup1"),
    ("backup2", "second backup, nothing changed", "backup2", "backup2"),
    ("restore", "restore latest (fresh directory)", "restore", "restore"),
    ("check", "check (metadata, no data read)", "check", "check"),
    ("ls", "ls latest", "ls", "ls"),
    ("scan", "scan latest", "scan", None),
    ("backup3", "third backup, nothing changed", "backup3", "backup3"),
    ("forget", "forget --keep-last 1", "forget", None),
    ("prune", "prune --grace 0", "prune", None),
    ("forgetprune", "forget --keep-last 1, then prune", ("forget", "prune"), "forgetprune"),
]


def _scale_cell(res, n, tool, step):
    """(wall s, peak RSS KiB, text of a failure) of a step; tuple steps combine"""
    if step is None:
        return None, None, None
    parts = step if isinstance(step, tuple) else (step,)
    wall, rss = 0.0, 0.0
    for p in parts:
        r = res.get((n, tool, p))
        if not r:
            return None, None, "not run"
        if r.get("status") != "ok":
            return None, None, r.get("status")
        wall += _f(r.get("wall")) or 0
        rss = max(rss, _f(r.get("rss_kib")) or 0)
    return wall, rss, None


def cmd_scale_report(resdir, out):
    meta = _read_kv(os.path.join(resdir, "scale-meta.env"))
    res = {}
    with open(os.path.join(resdir, "scale-results.tsv")) as f:
        hdr = f.readline().rstrip("\n").split("\t")
        for line in f:
            row = dict(zip(hdr, line.rstrip("\n").split("\t")))
            res[(int(row["files"]), row["tool"], row["step"])] = row
    sizes = sorted(int(x) for x in meta.get("sizes", "").split())
    lo, hi = (sizes[0], sizes[-1]) if sizes else (0, 0)
    secs = lambda v: "—" if v is None else ("%.2f" % v if v < 10 else "%.1f" % v)
    mib = lambda v: "—" if v is None else ("%.1f" % (v / 1024) if v < 10240 else "%.0f" % (v / 1024))

    L = []
    w = L.append
    w("<!-- scale -->")
    w("## Many small files (bench/scale.sh)")
    w("")
    w("_Generated by `bench/scale.sh` (`make bench-scale`) on %s in %s s; `bench/run.sh` keeps this "
      "section when it rewrites the file. Raw numbers and logs: `bench/work/results/scale-*`._" % (
          meta.get("date", "?"), meta.get("run_seconds", "?")))
    w("")
    w("Trees of %s small unique text files (200 B–9 KB, 1,000 per folder; the generator of "
      "findings 2026-12-scale, `benchlib.py smallfiles`), each backed up by holdfast and restic "
      "side by side in one run on %s cores (%s, %s GiB RAM, %s). holdfast: %s. restic: %s, "
      "repository version 2, `--compression auto`. Every step is one run under GNU time, warm "
      "cache: read the ratios, not the seconds." % (
          " and ".join("{:,}".format(n) for n in sizes), meta.get("nproc", "?"), meta.get("cpu", "?"),
          meta.get("mem_gib", "?"), meta.get("fs", "?"), meta.get("version_holdfast", "?"),
          meta.get("version_restic", "?")))
    w("")
    w("| step | files | holdfast s | holdfast peak RSS MiB | restic s | restic peak RSS MiB "
      "| restic / holdfast time | restic / holdfast RSS | RSS growth holdfast B/file "
      "| RSS growth restic B/file |")
    w("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for key, label, hstep, rstep in SCALE_STEPS:
        if not any(_scale_cell(res, n, "holdfast", hstep)[0] is not None or
                   _scale_cell(res, n, "restic", rstep)[0] is not None for n in sizes):
            continue
        for n in sizes:
            hw, hr, hf = _scale_cell(res, n, "holdfast", hstep)
            rw, rr, rf = _scale_cell(res, n, "restic", rstep)
            cells = [label, "{:,}".format(n)]
            cells += ["**%s**" % hf, ""] if hf else [secs(hw), mib(hr)]
            cells += ["**%s**" % rf, ""] if rf else [secs(rw), mib(rr)]
            cells += [_ratio(rw, hw), _ratio(rr, hr)]
            for tool, st in (("holdfast", hstep), ("restic", rstep)):
                g = ""
                if n == hi and hi > lo:
                    a, b = _scale_cell(res, lo, tool, st)[1], _scale_cell(res, hi, tool, st)[1]
                    g = "%.0f" % ((b - a) * 1024 / (hi - lo)) if a is not None and b is not None else "—"
                cells.append(g)
            w("| " + " | ".join(cells) + " |")
    w("")
    w("Peak RSS is GNU time's `%M` (the largest process). The growth columns are (peak RSS at "
      "{:,} files − peak RSS at {:,} files) / {:,} files, in bytes per file: what each extra file "
      "costs in memory (the goal of findings 2026-12-scale is at most 100 B/file, so that ten "
      "million files fit in 1 GiB). Where a tool's peak RSS at {:,} files is still its fixed floor "
      "(compare the init row), the growth figure comes out below its real cost per file. A ratio "
      "above 1× means holdfast is faster or smaller. "
      "Steps: `holdfast init|backup|restore latest --target T|check|ls latest|scan latest|forget "
      "--keep-last 1|prune --grace 0`; `restic init|backup|restore latest --target T|check|ls "
      "latest|forget --keep-last 1 --prune`. The third backup gives forget two snapshots to remove; "
      "nothing changed, so prune finds no unused data, and measures loading the index and walking "
      "the kept snapshot.".format(hi, lo, hi - lo, lo))
    notes = []
    for n in sizes:
        for tool in ("holdfast", "restic"):
            r = res.get((n, tool, "backup1"))
            if r and _f(r.get("repo_bytes")):
                notes.append("%s %s MiB at %s files" % (tool, _mib(_f(r["repo_bytes"])), "{:,}".format(n)))
    if notes:
        w("")
        w("Repository size after the first backup (`du -sb`): %s." % "; ".join(notes))
    verified = []
    for n in sizes:
        for tool in ("holdfast", "restic"):
            r = res.get((n, tool, "restore"))
            if r and r.get("note"):
                verified.append("%s at %s files: %s" % (tool, "{:,}".format(n), r["note"]))
    if verified:
        w("")
        w("Restores checked (file count and bytes against the tree): %s." % "; ".join(verified))
    fp = os.path.join(resdir, "scale-failures.txt")
    fails = [x.strip() for x in open(fp)] if os.path.exists(fp) else []
    fails = [x for x in fails if x]
    if fails:
        w("")
        w("Failures in this run:")
        w("")
        for x in fails:
            w("- %s" % x)
    w("<!-- /scale -->")
    section = "\n".join(L)

    txt = open(out, encoding="utf-8").read() if os.path.exists(out) else "# holdfast performance\n"
    if re.search(SCALE_RE, txt, re.S):
        txt = re.sub(SCALE_RE, lambda m: section, txt, count=1, flags=re.S)
    elif "<!-- analysis -->" in txt:  # where bench/run.sh puts it
        i = txt.index("<!-- analysis -->")
        txt = txt[:i] + section + "\n\n" + txt[i:]
    else:
        txt = txt.rstrip("\n") + "\n\n" + section + "\n"
    with open(out + ".tmp", "w", encoding="utf-8") as f:
        f.write(txt)
    os.replace(out + ".tmp", out)


def print_cpu_bound(server, rows, wall, client, srv):
    """prints the "Where the CPU went" table of bench/server.sh and bench/s3.sh:
    rows are (step, tool, key, restic's key for that step); wall, client and
    srv map keys to medians of wall seconds, the client's CPU and the
    server's (what `server` names)"""
    print(f"Where the CPU went (medians): the client's CPU (user + system, with its children, from /proc) and the "
          f"{server}'s ({SERVER_WHAT[server]}, from /proc) in each step. Both share the machine's two cores, so no "
          "step can take less wall time than their sum over two; the last column is that bound against restic's time "
          "for the step: the most any tool using that much CPU could be faster than restic here.\n")
    print(f"| step | tool | wall s | client CPU s | {server} CPU s | (client + server) / 2 s | restic's wall / that |")
    print("|---|---|---|---|---|---|---|")
    for step, tool, key, ref in rows:
        bound = (client[key] + srv[key]) / 2
        print(f"| {step} | {tool} | {wall[key]:.1f} | {client[key]:.1f} | {srv[key]:.1f} | {bound:.1f} | "
              f"{wall[ref] / bound:.2f}x |")
    print()


SERVER_WHAT = {"server": "holdfast serve or rclone", "S3 server": "the RGW, its OSD and its monitor"}


def cmd_section(out, sec):
    doc = open(out, encoding="utf-8").read()
    new = open(sec, encoding="utf-8").read()
    heading = new.split("\n", 1)[0]
    m = re.search(r'^' + re.escape(heading) + r'\n.*?(?=^## |\Z)', doc, re.S | re.M)
    if m:
        doc = doc[:m.start()] + new + doc[m.end():]
    else:
        i = doc.find('\n## Where the time goes')
        doc = doc[:i + 1] + new + doc[i + 1:] if i >= 0 else doc + '\n' + new
    open(out, 'w', encoding="utf-8").write(doc)


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    fn = {"select": cmd_select, "state": cmd_state, "mutate": cmd_mutate, "edit": cmd_edit, "undo": cmd_undo,
          "manifest": cmd_manifest, "compare": cmd_compare, "report": cmd_report,
          "smallfiles": cmd_smallfiles, "scale-report": cmd_scale_report, "section": cmd_section}.get(cmd)
    if not fn:
        sys.exit(__doc__)
    fn(*args)


if __name__ == "__main__":
    main()
