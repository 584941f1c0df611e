#!/usr/bin/env bash
# scripts/check-format.sh [-v] [FILE...] — lists the C files clang-format would change.
#
# Formats each file (lib/, src/, tests/unit/ by default) in memory with the
# repository's .clang-format and compares: prints "FILE: N lines differ" for
# each file that is not formatted, then a total; exit 1 if there is any.
# -v also shows the diffs. `make fmt` formats the files in place.
set -u
export LC_ALL=C
cd "$(dirname "$0")/.."
verbose=0
if [ "${1:-}" = -v ]; then verbose=1; shift; fi
if [ $# -eq 0 ]; then set -- lib/*/*.[ch] src/*.[ch] tests/unit/*.[ch]; fi
command -v clang-format >/dev/null || { echo "check-format: clang-format not installed (apt-get install clang-format)"; exit 1; }
nfiles=0 nlines=0
for f in "$@"; do
	d=$(clang-format --style=file "$f" | diff -u "$f" - | tail -n +3)
	[ -z "$d" ] && continue
	n=$(grep -c '^-' <<<"$d")
	nfiles=$((nfiles + 1)) nlines=$((nlines + n))
	echo "$f: $n lines differ"
	[ $verbose = 1 ] && printf '%s\n' "$d"
done
echo "check-format: $# files, $nfiles not formatted ($nlines lines would change)"
[ $nfiles -eq 0 ]
