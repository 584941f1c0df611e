#!/usr/bin/env bash
# scripts/analyze.sh — static analysis: gcc -fanalyzer over every .c of lib/ and src/.
#
# The analyzer follows paths through each function (and the calls it can see in
# the same file) for NULL dereferences, leaks, double frees, use of uninitialised
# or freed memory, file descriptor leaks. A finding fails the run unless it is
# listed in scripts/analyze.supp: there, each line is one finding judged a false
# positive, as "FILE: MESSAGE [-Wanalyzer-KIND]" (no line number, so unrelated
# edits do not break it), with a comment above it saying why. Suppressions that
# no longer match anything are reported so the list stays exact.
# Usage: scripts/analyze.sh [FILE.c...]   (default: lib/*/*.c src/*.c)
# To see a finding's path through the code, compile that file by hand with
# the flags below (without -fdiagnostics-path-format=none).
set -u
export LC_ALL=C
cd "$(dirname "$0")/.."
CC=${ANALYZE_CC:-gcc} # -fanalyzer is gcc's (10 or later)
PKGS="libsodium libzstd libcrypto libmagic libzip zlib libdeflate liblzma libpng libjpeg sqlite3 libqpdf libmicrohttpd libcurl
	poppler-glib gmime-3.0" # the last two: lib/decoders/document_text.c
# shellcheck disable=SC2046
FLAGS="-std=gnu11 -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -Ilib -include lib/util/banned.h $(pkg-config --cflags $PKGS)
	-fanalyzer -fdiagnostics-path-format=none
	-fno-diagnostics-show-caret -fdiagnostics-color=never"
SUPP=scripts/analyze.supp
out=$(mktemp -d /tmp/hf-analyze.XXXXXX) || exit 1
trap 'rm -rf "$out"' EXIT
full=0
if [ $# -eq 0 ]; then set -- lib/*/*.c src/*.c; full=1; fi
export CC FLAGS out
# two at a time (the machine is shared), one log per file
printf '%s\n' "$@" | xargs -P 2 -I{} sh -c \
	'f={}; $CC $FLAGS -c "$f" -o /dev/null >"$out/$(echo "$f" | tr / _).log" 2>&1 || echo "analyze: $f: compile failed" >&2'
# "lib/x/y.c:12:5: warning: MESSAGE [-Wanalyzer-KIND]" -> "lib/x/y.c: MESSAGE [-Wanalyzer-KIND]"
cat "$out"/*.log | grep -E '^[^ ]+:[0-9]+:[0-9]+: warning: .*\[-Wanalyzer-[a-z-]+\]' |
	sed -E 's/^([^:]+):([0-9]+):[0-9]+: warning: (.*)$/\2\t\1: \3/' | sort -u -k2 -t$'\t' >"$out/found"
grep -v -e '^#' -e '^[[:space:]]*$' "$SUPP" 2>/dev/null | sort -u >"$out/supp"
new=0
while IFS=$'\t' read -r line key; do
	if grep -qxF -- "$key" "$out/supp"; then
		echo "analyze: suppressed: ${key%%:*}:$line:${key#*:}"
	else
		echo "analyze: NEW: ${key%%:*}:$line:${key#*:}"
		new=$((new + 1))
	fi
done <"$out/found"
cut -f2 "$out/found" | sort -u >"$out/keys"
stale=$(comm -23 "$out/supp" "$out/keys")
if [ -n "$stale" ] && [ $full = 1 ]; then
	while IFS= read -r s; do echo "analyze: stale suppression (no longer found, remove it from $SUPP): $s"; done <<<"$stale"
fi
n=$(wc -l <"$out/found")
echo "analyze: $# files, $n findings, $new not suppressed"
[ "$new" -eq 0 ]
