#!/usr/bin/env bash
# quickstart.sh — the first of the README's two commands: installs what is
# missing, builds holdfast, then runs its main job on the embedded default (a
# local repository): back up a sample tree, restore it, and show that the
# restored tree is identical.
set -euo pipefail
cd "$(dirname "$0")"
scripts/deps.sh
make -j"$(nproc)" build/holdfast >/dev/null
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
echo "(demo files are in $demo; remove them with: rm -rf $demo)"
