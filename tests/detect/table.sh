#!/usr/bin/env bash
# tests/detect/table.sh [HOLDFAST_BINARY] — detection and false-positive counts per mode,
# as a markdown table for docs/DETECTION.md.
#
# For every attack mode of attack.sh (plus a few variants: mtimes put back, LockFile's
# 16-byte intermittent pattern, a slow attack in three rounds) and for the benign churn
# of churn.sh: a fresh repository, a backup of the test corpus (corpus.sh), the change,
# a second backup, `scan --json` of it, and evaluate.py's counts. Misses and false
# positives are listed under the table with the verdict, change and reasons holdfast gave.
#
# Run it by hand: tests/detect/table.sh build/holdfast (default: build/holdfast of this
# tree). Takes a few minutes. Needs what scripts/deps.sh installs.
set -u
export LC_ALL=C
here=$(cd "$(dirname "$0")" && pwd)
HF=${1:-$here/../../build/holdfast}
HF=$(cd "$(dirname "$HF")" && pwd)/$(basename "$HF")
[ -x "$HF" ] || { echo "table.sh: no holdfast binary at $HF" >&2; exit 2; }
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
export HOLDFAST_PASSWORD=detection-table
CORPUS=$("$here/corpus.sh") || exit 1
W=$(mktemp -d "${TMPDIR:-/var/tmp}/hf-table.XXXXXX")
trap 'chmod -R u+rwx "$W" 2>/dev/null; rm -rf "$W"' EXIT
R=$W/repo
S=$W/src
ncorpus=$(find "$CORPUS" -type f | wc -l)
rows=() details=()

ev() { awk -v k="$1" '$1 == k { print $2; exit }' "$2"; }

fresh() { # a new repository with the corpus backed up once
	rm -rf "$R" "$S"
	cp -a "$CORPUS" "$S"
	"$HF" init --repo "$R" >/dev/null 2>&1 || { echo "table.sh: init failed" >&2; exit 1; }
	"$HF" backup --repo "$R" "$S" >/dev/null 2>&1
}

# measure LABEL KIND ACTIONS — back up, scan the new snapshot, add a row
measure() {
	local label=$1 kind=$2 actions=$3 rc t e s mi v fp ben=""
	"$HF" backup --repo "$R" "$S" >"$W/backup.out" 2>&1
	rc=$?
	"$HF" scan --repo "$R" --json >"$W/scan.json" 2>"$W/scan.err"
	[ "$kind" = benign ] && ben=--benign
	if ! $PY "$here/evaluate.py" $ben "$actions" "$W/scan.json" >"$W/report" 2>&1; then
		rows+=("| $label | scan failed: $(head -c 100 "$W/scan.err" | tr '\n|' '  ') | | | | | | |")
		return
	fi
	t=$(ev touched "$W/report") e=$(ev encrypted "$W/report") s=$(ev suspicious "$W/report")
	mi=$(ev missed "$W/report") v=$(ev verdict "$W/report")
	if [ "$kind" = benign ]; then
		fp=$(ev fp_encrypted "$W/report")
		rows+=("| $label | $t written, $(ev deleted "$W/report") deleted | $e | $s | - | - | $v (exit $rc) | $fp |")
	else
		fp=$(ev other_encrypted "$W/report")
		local n rate
		n=$(ev notes "$W/report")
		if [ "$t" -gt 0 ]; then
			rate=$(awk -v e="$e" -v t="$t" 'BEGIN { printf "%.1f%%", 100 * e / t }')
		else
			rate="notes: $(ev notes_listed "$W/report")/$n listed"
		fi
		[ "$n" -gt 0 ] && [ "$t" -gt 0 ] && rate="$rate; notes: $(ev notes_listed "$W/report")/$n"
		rows+=("| $label | $t | $e | $s | $mi | $rate | $v (exit $rc) | $fp |")
	fi
	if grep -qE '^(MISS|FP|UNLISTED) ' "$W/report"; then
		details+=("" "**$label** ($(grep -cE '^(MISS|FP|UNLISTED) ' "$W/report") lines):" "")
		while IFS= read -r l; do details+=("- \`${l//$S\//}\`"); done < <(grep -E '^(MISS|FP|UNLISTED) ' "$W/report" | head -n 15)
	fi
}

attack_row() { # label, attack.sh mode and options...
	local label=$1
	shift
	fresh
	if ! "$here/attack.sh" "$@" >"$W/actions" 2>"$W/attack.err"; then
		rows+=("| $label | attack.sh failed: $(head -c 100 "$W/attack.err" | tr '\n|' '  ') | | | | | | |")
		return
	fi
	measure "$label" attack "$W/actions"
}

start=$(date +%s)
echo "table.sh: $HF, corpus $CORPUS ($ncorpus files)" >&2

fresh
"$HF" scan --repo "$R" --json >"$W/scan.json" 2>/dev/null
: >"$W/none"
if $PY "$here/evaluate.py" --benign "$W/none" "$W/scan.json" >"$W/report" 2>&1; then
	rows+=("| benign: first backup of the corpus (no parent) | $ncorpus new | $(ev fp_encrypted "$W/report") | $($PY -c 'import json,sys; print(sum(f.get("verdict") == "suspicious" for f in json.load(open(sys.argv[1]))["files"]))' "$W/scan.json") | - | - | $(ev verdict "$W/report") | $(ev fp_encrypted "$W/report") |")
	grep -q '^FP ' "$W/report" && details+=("" "**first backup**:" "") &&
		while IFS= read -r l; do details+=("- \`${l//$S\//}\`"); done < <(grep '^FP ' "$W/report" | head -n 15)
fi
"$here/churn.sh" "$S" >"$W/actions" 2>"$W/churn.err" || echo "table.sh: churn.sh failed: $(cat "$W/churn.err")" >&2
measure "benign churn (edits, re-saves, re-encodes, compress+rename, tar, VACUUM, owner's gpg, new media)" benign "$W/actions"

for mode in full header4k skiphdr intermittent base64 hex gpg-delete gpg-replace age-rename 7z-delete ccrypt full-rename gzip-disguise notes; do
	echo "table.sh: $mode" >&2
	attack_row "$mode" "$mode" "$S"
done
echo "table.sh: variants" >&2
attack_row "full, mtimes put back" full "$S" --keep-mtime
attack_row "intermittent, 16-byte blocks (LockFile)" intermittent "$S" --block 16
attack_row "intermittent, 64 KiB blocks" intermittent "$S" --block 65536
attack_row "full + ransom notes" full "$S" --notes

fresh
(cd "$S" && find . -type f -size +0 -printf '%P\n' | sort) >"$W/list"
for k in 1 2 3; do
	if "$here/attack.sh" full "$S" --files "$W/list" --part $k/3 >"$W/actions" 2>"$W/attack.err"; then
		measure "slow attack (full), round $k of 3" attack "$W/actions"
	fi
done

echo "| mode | files touched | flagged encrypted | flagged suspicious | missed | detected | snapshot verdict | untouched files flagged encrypted |"
echo "|---|---|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
echo
echo "Corpus: $ncorpus files ($(du -sh "$CORPUS" | cut -f1)), tests/detect/make-corpus.py; holdfast $(git -C "$here" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$here" diff --quiet HEAD 2>/dev/null || echo '+changes'); $(($(date +%s) - start)) s."
if [ ${#details[@]} -gt 0 ]; then
	echo
	echo "Misses and false positives (path: verdict, change, reasons):"
	printf '%s\n' "${details[@]}"
fi
