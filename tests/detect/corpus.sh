#!/usr/bin/env bash
# tests/detect/corpus.sh — prints the path of the benign test corpus, generating it
# first if needed (tests/detect/make-corpus.py, ~20 s).
#
# The corpus is cached under ${HF_CORPUS_CACHE:-${TMPDIR:-/tmp}}/holdfast-corpus-<hash>,
# where <hash> is taken from the generator, so the plain and the ASan runs of the
# suite (and every script of one run) share one copy, and a changed generator makes a
# new one. Generation is serialised with flock and published by an atomic rename, so
# a reader never sees a half-written corpus. The cached corpus must not be changed by its
# users: they copy it (cp -a) before changing anything.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
key=$(cat "$here/make-corpus.py" "$here/corpus.sh" | sha256sum | cut -c1-16)
base=${HF_CORPUS_CACHE:-${TMPDIR:-/tmp}}
dir=$base/holdfast-corpus-$key
done_mark=$dir.done # next to the corpus, not in it (users copy the directory)
if [ ! -f "$done_mark" ]; then
	mkdir -p "$base"
	exec 9>"$dir.lock"
	flock 9
	if [ ! -f "$done_mark" ]; then
		rm -rf "$dir" "$dir.tmp.$$"
		if ! "$PY" "$here/make-corpus.py" "$dir.tmp.$$" >&2; then
			rm -rf "$dir.tmp.$$"
			echo "corpus.sh: generating the corpus failed (missing packages? see scripts/deps.sh)" >&2
			exit 1
		fi
		mv "$dir.tmp.$$" "$dir"
		: >"$done_mark"
	fi
	exec 9>&-
fi
echo "$dir"
