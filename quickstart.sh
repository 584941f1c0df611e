#!/usr/bin/env bash
# quickstart.sh — the first of the README's two commands: installs what is
# missing, builds holdfast, then runs its main job on the embedded default (a
# local repository): back up a sample tree, restore it, and show that the
# restored tree is identical; then play a ransomware attack on a copy of part
# of it, get every file back with restore --last-clean, and write the
# incident report.
set -euo pipefail
cd "$(dirname "$0")"
scripts/deps.sh
make -j"$(nproc)" build/holdfast build/holdfast-decoders.so >/dev/null
demo=$(mktemp -d /tmp/holdfast-demo.XXXXXX)
sample=${1:-/usr/share/doc}
export HOLDFAST_PASSWORD=${HOLDFAST_PASSWORD:-holdfast-demo-passphrase}
hf=build/holdfast
echo "== holdfast init --repo $demo/repo"
$hf init --repo "$demo/repo"
echo "== holdfast backup $sample"
$hf backup --repo "$demo/repo" "$sample"
echo "== holdfast snapshots"
$hf snapshots --repo "$demo/repo"
echo "== holdfast restore latest --target $demo/restore"
$hf restore --repo "$demo/repo" latest --target "$demo/restore"
echo "== holdfast check --read-data"
$hf check --repo "$demo/repo" --read-data
echo "== comparing $sample with the restored copy"
if diff -r --no-dereference "$sample" "$demo/restore$sample" >/dev/null; then
	echo "identical: every file, link and directory came back"
else
	echo "DIFFERENT: see diff -r --no-dereference $sample $demo/restore$sample" >&2
	exit 1
fi

echo "== ransomware drill: a share of 200 files from $sample, backed up, then encrypted in place"
share=$demo/share
mkdir -p "$share"
find "$sample" -type f -size +1k | sort | awk 'NR <= 200' | while read -r f; do
	d=$share/$(basename "$(dirname "$f")")
	mkdir -p "$d"
	cp -p "$f" "$d/"
done
cp -a "$share" "$demo/share.before"
$hf backup --repo "$demo/repo" "$share" >/dev/null
key=$(openssl rand -hex 32) iv=$(openssl rand -hex 16)
find "$share" -type f | while read -r f; do
	openssl enc -aes-256-ctr -K "$key" -iv "$iv" -in "$f" -out "$f.locked" && rm "$f"
done
echo "send 0.5 BTC to bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh to decrypt your files" > "$share/README_DECRYPT.txt"
echo "== holdfast backup $share (after the attack; exit status 4 means: saved, and the scan found an attack)"
rc=0
$hf backup --repo "$demo/repo" "$share" || rc=$?
[ $rc -eq 4 ] || { echo "expected exit status 4, got $rc" >&2; exit 1; }
echo "== holdfast scan (the first lines)"
$hf scan --repo "$demo/repo" latest | head -n 6 || true
echo "== holdfast restore --last-clean --target $demo/clean"
$hf restore --repo "$demo/repo" --last-clean --target "$demo/clean" | tail -n 3
if diff -r "$demo/share.before" "$demo/clean$share" >/dev/null; then
	echo "identical: every file is back as it was before the attack; nothing the attack wrote came back"
else
	echo "DIFFERENT: see diff -r $demo/share.before $demo/clean$share" >&2
	exit 1
fi
echo "== holdfast report: the incident report of the drill"
$hf report --repo "$demo/repo" --html "$demo/report.html" --json "$demo/report.json"
echo "open $demo/report.html in a browser: summary, timeline, scope, the ransom note, personal data, recovery plan"
echo "(demo files are in $demo; remove them with: rm -rf $demo)"
