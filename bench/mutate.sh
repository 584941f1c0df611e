#!/usr/bin/env bash
# mutate.sh DIR [FRACTION] — deterministically change ~2% (by count) of the
# regular files of a corpus built by corpus.sh, for the incremental backup:
#   50% of them get 1–63 KiB appended, 35% get 1–31 KiB overwritten in the
#   middle, 15% are deleted; 1 new file per 10 changed ones (1–511 KiB) is added
#   next to existing files; big/concat-libs.bin gets 64 KiB overwritten in the
#   middle and big/random.bin 1 MiB appended. Payloads are half text (compressible),
#   half pseudo-random bytes, all from fixed seeds; changed files get their
#   original mtime + 1 s, so the mutated corpus is the same on every run.
# The originals are kept in DIR.undo; corpus.sh DIR puts them back.
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: $0 DIR [FRACTION]" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
dir=$(cd "$1" && pwd)
[ -f "$dir.manifest" ] || { echo "mutate: $dir is not a corpus built by corpus.sh" >&2; exit 1; }
exec "${PYTHON:-python3}" "$here/benchlib.py" mutate "$dir" "$dir.undo" "${2:-0.02}"
