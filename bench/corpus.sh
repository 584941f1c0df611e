#!/usr/bin/env bash
# corpus.sh DIR — build (or reuse) the deterministic benchmark corpus in DIR.
#
# About 1.55 GB: ~1.4 GB of real files copied from /usr/include, /usr/share and
# /usr/lib (regular files and symlinks only, readable, <= 32 MiB each; /usr/lib
# as whole directories in a fixed pseudo-random order until the budget is
# full), plus
#   big/concat-libs.bin  100 MiB: the shared libraries of /usr/lib/x86_64-linux-gnu
#                        concatenated in name order
#   big/random.bin        50 MiB: AES-128-CTR keystream under a fixed key/IV
# Same machine (same /usr) -> same corpus. Writes DIR.manifest (the selection,
# sizes, mtimes, totals) and DIR.state (stat listing of the built tree). If the
# manifest still matches /usr and the tree matches DIR.state, DIR is reused;
# a corpus changed by mutate.sh is first reverted from DIR.undo.
set -euo pipefail
export LC_ALL=C
[ $# -eq 1 ] || { echo "usage: $0 DIR" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
PY=${PYTHON:-python3}
mkdir -p "$(dirname "$1")"
dir=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
tmp=$(mktemp -d "${dir}.tmp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

BIG_CONCAT=$((100 << 20))
BIG_RANDOM=$((50 << 20))
KEY=686f6c64666173742d62656e63682d31   # "holdfast-bench-1"
IV=000102030405060708090a0b0c0d0e0f

# --- the expected manifest, from the machine as it is now
"$PY" "$here/benchlib.py" select "$tmp/list" > "$tmp/sel"
find /usr/lib/x86_64-linux-gnu -maxdepth 1 -type f -name '*.so*' -readable -printf '%s %T@ %p\n' \
	| sort -k3 > "$tmp/concat-src"
{
	echo "# holdfast bench corpus v1"
	awk '$1=="f"{n++; s+=$2} $1=="l"{l++} END{printf "# real_files=%d real_bytes=%d links=%d\n", n, s, l}' "$tmp/sel"
	awk -v c=$BIG_CONCAT -v r=$BIG_RANDOM '$1=="f"{n++; s+=$2} $1=="l"{l++}
		END{printf "# total_files=%d total_bytes=%d links=%d\n", n+2, s+c+r, l}' "$tmp/sel"
	echo "# big/concat-libs.bin $BIG_CONCAT from $(wc -l < "$tmp/concat-src") libs, sha256 of list $(sha256sum < "$tmp/concat-src" | cut -c1-16)"
	echo "# big/random.bin $BIG_RANDOM aes-128-ctr key $KEY iv $IV"
	cat "$tmp/sel"
} > "$tmp/manifest"

if [ -d "$dir.undo" ] && [ -d "$dir" ]; then
	echo "corpus: reverting the previous mutation"
	"$PY" "$here/benchlib.py" undo "$dir" "$dir.undo" || rm -rf "$dir.undo"
fi
if [ -d "$dir" ] && [ -f "$dir.manifest" ] && [ -f "$dir.state" ] && cmp -s "$tmp/manifest" "$dir.manifest"; then
	"$PY" "$here/benchlib.py" state "$dir" > "$tmp/state"
	if cmp -s "$tmp/state" "$dir.state"; then
		echo "corpus: reusing $dir ($(sed -n 3p "$dir.manifest" | tr -d '#'))"
		exit 0
	fi
	echo "corpus: $dir differs from $dir.state, rebuilding"
elif [ -d "$dir" ]; then
	echo "corpus: manifest changed (or missing), rebuilding"
fi

# Build next to the old tree and only then drop the old one: on ext4 without a
# journal, creating many files right after deleting many is very slow (the
# inode allocator skips recently deleted inodes). With CORPUS_TRASH set, the
# old tree is moved there for the caller to delete later instead.
new=$dir.new
rm -rf "$new" "$dir.manifest" "$dir.state" "$dir.undo"
mkdir -p "$new/big"
echo "corpus: copying $(sed -n 2p "$tmp/manifest" | tr -d '#') into $dir"
# --hard-dereference: hard links in /usr become independent files
tar -C / --null --no-recursion --hard-dereference -cf - -T "$tmp/list" | tar -C "$new" -xf -
(
	set +o pipefail
	awk '{print $3}' "$tmp/concat-src" | tr '\n' '\0' | xargs -0 cat 2>/dev/null | head -c $BIG_CONCAT > "$new/big/concat-libs.bin"
	openssl enc -aes-128-ctr -K $KEY -iv $IV < /dev/zero 2>/dev/null | head -c $BIG_RANDOM > "$new/big/random.bin"
)
[ "$(stat -c %s "$new/big/concat-libs.bin")" -eq $BIG_CONCAT ] || { echo "corpus: concat-libs.bin too short" >&2; exit 1; }
[ "$(stat -c %s "$new/big/random.bin")" -eq $BIG_RANDOM ] || { echo "corpus: random.bin too short" >&2; exit 1; }
touch -d '2024-01-01 00:00:00 UTC' "$new/big/concat-libs.bin" "$new/big/random.bin"
# the tree must hold exactly what the manifest says
got=$(find "$new" -type f -printf '%s\n' | awk '{n++; s+=$1} END{printf "total_files=%d total_bytes=%d", n, s}')
want=$(sed -n 3p "$tmp/manifest" | sed 's/^# //; s/ links=.*//')
[ "$got" = "$want" ] || { echo "corpus: built tree has $got, manifest says $want" >&2; exit 1; }
if [ -d "$dir" ]; then
	if [ -n "${CORPUS_TRASH:-}" ]; then
		mkdir -p "$CORPUS_TRASH"
		mv "$dir" "$CORPUS_TRASH/corpus.$$"
	else
		rm -rf "$dir"
	fi
fi
mv "$new" "$dir"
sync
"$PY" "$here/benchlib.py" state "$dir" > "$dir.state"
mv "$tmp/manifest" "$dir.manifest"
echo "corpus: built $dir ($want)"
