#!/usr/bin/python3
"""evaluate.py ACTIONS SCAN_JSON — compares what attack.sh / churn.sh did (ACTIONS, their
output) with what `holdfast scan --json` found (SCAN_JSON), and prints one "key value"
line per count, then one line per miss or false positive:

  verdict V          the snapshot verdict of the scan ("-" if the JSON has none)
  touched N          files written (modified in place, or created from an original):
                     those an attack must get flagged
  encrypted N        ... of them listed with verdict "encrypted"
  suspicious N       ... listed with verdict "suspicious"
  missed N           ... listed "clean" or not listed at all
  unlisted N         changed paths (written, created, deleted) that are not in "files"
                     (a deleted path counts as listed if it is the "from" of a rename)
  deleted N          paths deleted
  deleted_listed N   ... of them listed
  notes N            ransom notes dropped
  notes_listed N     ... of them in "notes" (or listed with a ransom-note reason)
  other_encrypted N  files flagged "encrypted" that the script did not touch
  fp_encrypted N     benign run: files flagged "encrypted" (any); attack run: = other_encrypted
  files N            entries in "files"
  MISS PATH ...      a touched file not flagged encrypted (its verdict, reasons, change)
  FP PATH ...        a file flagged encrypted that should not be
  UNLISTED PATH      a changed path not in "files"

Exit status 0, or 2 if the JSON cannot be read (the counts are then not printed).
--benign: ACTIONS come from churn.sh (every "encrypted" is a false positive).
"""
import json
import os
import sys

args = [a for a in sys.argv[1:] if not a.startswith("--")]
benign = "--benign" in sys.argv
if len(args) != 2:
    sys.exit("usage: evaluate.py [--benign] ACTIONS SCAN_JSON")


def norm(p):
    return os.path.normpath(p)


written, deleted, notes = [], [], []
with open(args[0], encoding="utf-8", errors="surrogateescape") as f:
    for line in f:
        line = line.rstrip("\n")
        if not line or line.startswith("#"):
            continue
        parts = line.split("\t")
        kind, p = parts[0], norm(parts[1])
        if kind in ("modified", "created"):
            written.append(p)
        elif kind == "deleted":
            deleted.append(p)
        elif kind == "note":
            notes.append(p)

try:
    with open(args[1], "rb") as f:
        j = json.loads(f.read())
    files = j.get("files") or []
    if not isinstance(files, list):
        raise ValueError("files is not a list")
except Exception as e:  # noqa: BLE001
    print("evaluate.py: cannot read the scan JSON: %s" % e, file=sys.stderr)
    sys.exit(2)

by_path, froms = {}, set()
for e in files:
    if not isinstance(e, dict) or "path" not in e:
        continue
    by_path[norm(str(e["path"]))] = e
    if e.get("from"):
        froms.add(norm(str(e["from"])))
json_notes = set(norm(str(n)) for n in (j.get("notes") or []))


def desc(e):
    if e is None:
        return "not-listed"
    return "verdict=%s change=%s reasons=%s%s" % (
        e.get("verdict"), e.get("change"), ",".join(map(str, e.get("reasons") or [])) or "-",
        (" from=%s" % e["from"]) if e.get("from") else "")


out, details = {}, []
touched = [p for p in dict.fromkeys(written) if p not in set(deleted)]  # written, then gone: not a file
out["verdict"] = j.get("verdict", "-")
out["touched"] = len(touched)
enc = sus = 0
for p in touched:
    e = by_path.get(p)
    v = e.get("verdict") if e else None
    if v == "encrypted":
        enc += 1
    elif v == "suspicious":
        sus += 1
    if v != "encrypted" and not benign:
        details.append("MISS %s %s" % (p, desc(e)))
out["encrypted"] = enc
out["suspicious"] = sus
out["missed"] = len(touched) - enc - sus
changed = list(dict.fromkeys(touched + deleted))
unl = [p for p in changed if p not in by_path and p not in froms]
out["unlisted"] = len(unl)
details += ["UNLISTED %s" % p for p in unl]
out["deleted"] = len(set(deleted))
out["deleted_listed"] = len([p for p in set(deleted) if p in by_path or p in froms])
out["notes"] = len(notes)


def is_note(p):
    e = by_path.get(p)
    return p in json_notes or (e is not None and any("note" in str(r) for r in (e.get("reasons") or [])))


out["notes_listed"] = len([p for p in notes if is_note(p)])
tset = set(touched)
other = [p for p, e in by_path.items() if e.get("verdict") == "encrypted" and p not in tset]
out["other_encrypted"] = len(other)
if benign:
    fps = [p for p, e in by_path.items() if e.get("verdict") == "encrypted"]
else:
    fps = other
out["fp_encrypted"] = len(fps)
details += ["FP %s %s" % (p, desc(by_path[p])) for p in sorted(fps)]
out["files"] = len(by_path)
for k, v in out.items():
    print("%s %s" % (k, v))
for d in details:
    print(d)
