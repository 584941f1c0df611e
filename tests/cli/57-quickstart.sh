#!/usr/bin/env bash
# 57-quickstart.sh — the README's first command, ./quickstart.sh, runs to its end
# on this machine: it installs nothing here (scripts/deps.sh finds every package),
# builds build/holdfast if needed, backs up a sample tree, restores it identical,
# plays the ransomware drill (backup exit 4, restore --last-clean identical) and
# writes the drill's incident report. The sample is /usr/share/doc, as for a user.
# Only with the plain build: the script builds and runs build/holdfast itself.
. "$(dirname "$0")/lib.sh"

if [ "$(basename "$(dirname "$HF_BIN")")" != build ]; then
	skip "quickstart.sh runs build/holdfast: checked with the plain build only"
	finish
fi
ROOT=$(cd "$CLI_DIR/../.." && pwd)
timeout 900 "$ROOT/quickstart.sh" >"$T/qs.out" 2>"$T/qs.err"
rc=$?
check_eq "quickstart.sh: exit 0" 0 "$rc"
[ "$rc" = 0 ] || { sed 's/^/  | /' "$T/qs.err" | tail -n 10; }
demo=$(sed -n 's/^(demo files are in \(.*\); remove them.*/\1/p' "$T/qs.out")
check_true "quickstart.sh: names its demo directory" test -d "$demo"
check_eq "quickstart.sh: the backup and the drill both come back identical" 2 "$(grep -c '^identical:' "$T/qs.out")"
check_true "quickstart.sh: the drill's report, as HTML" grep -q 'Attack: yes.' "$demo/report.html"
check_eq "quickstart.sh: the drill's report, as JSON: attack, the note's Bitcoin address" \
	"True bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh" \
	"$($PY -c 'import json,sys; j=json.load(open(sys.argv[1])); print(j["summary"]["attack"], j["ransom_notes"][0]["bitcoin"][0])' "$demo/report.json" 2>&1)"
case "$demo" in /tmp/holdfast-demo.*) rm -rf "$demo" ;; esac
finish
