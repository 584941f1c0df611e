# shellcheck shell=bash disable=SC2034
# tests/detect/common.sh — helpers for the detection scenario scripts
# (tests/cli/09-detect-*.sh and after); sourced after tests/cli/lib.sh, so $T, hf,
# ok/fail and the check_* helpers exist.
#
#   DETECT_DIR          this directory (attack.sh, churn.sh, evaluate.py, compare.py)
#   CORPUS              the cached benign corpus (read-only for us: copy it first)
#   ev KEY FILE         a count from an evaluate.py report
#   snap_ids            ids of the snapshots in the repository $R, oldest first
#   check_flagged NAME REPORT [PCT]   >= PCT% (99) of the touched files flagged "encrypted", none
#                       unlisted, every deleted original listed, every note listed,
#                       no untouched file flagged
#   check_restore NAME EXPECTED RESTORED   compare.py finds no difference
#   check_mentions NAME FILE PATHS...      every PATH is named in FILE
#   history_versions    prints "verdict size type time change" per version from the
#                       `history --json` document in $T/out (oldest first; rows that
#                       only repeat the previous version, "unchanged": true, are left out)
#   snap_field ID EXPR  evaluates EXPR (python, `s` = the snapshot's object in
#                       `snapshots --json`, `j` = the list) on $T/out

DETECT_DIR=$(cd "$CLI_DIR/../detect" && pwd)

if ! CORPUS=$("$DETECT_DIR/corpus.sh"); then
	fail "the benign test corpus could not be generated (tests/detect/corpus.sh)"
	finish
fi

ev() { awk -v k="$1" '$1 == k { print $2; exit }' "$2"; }

snap_ids() {
	hf snapshots --repo "$R" --json
	json '" ".join(s["id"] for s in j)'
}

# show_report REPORT — the detail lines of an evaluate.py report (shortened)
show_report() {
	grep -E '^(MISS|FP|UNLISTED) ' "$1" | head -n 25 | sed 's/^/  | /'
	local n
	n=$(grep -cE '^(MISS|FP|UNLISTED) ' "$1")
	[ "$n" -gt 25 ] && echo "  | ... ($n lines in all)"
	return 0
}

check_flagged() { # name, evaluate.py report [minimum percent, default 99]
	local name=$1 r=$2 pct=${3:-99} t e
	t=$(ev touched "$r") e=$(ev encrypted "$r")
	if [ -z "$t" ]; then
		fail "$name: no scan result to evaluate"
		return
	fi
	if [ "$t" -gt 0 ] && [ $((e * 100)) -ge $((t * pct)) ]; then
		ok "$name: $e of $t touched files flagged encrypted (>= $pct%)"
	elif [ "$t" -gt 0 ]; then
		fail "$name: only $e of $t touched files flagged encrypted ($(ev suspicious "$r") suspicious, $(ev missed "$r") missed)"
		show_report "$r"
	fi
	check_eq "$name: every changed path is listed in files" "0" "$(ev unlisted "$r")"
	check_eq "$name: every deleted original is listed" "$(ev deleted "$r")" "$(ev deleted_listed "$r")"
	if [ "$(ev notes "$r")" -gt 0 ]; then
		check_eq "$name: every ransom note is listed in notes" "$(ev notes "$r")" "$(ev notes_listed "$r")"
	fi
	check_eq "$name: no file the attack did not touch is flagged encrypted" "0" "$(ev other_encrypted "$r")"
}

check_restore() { # name, expected tree, restored tree
	local out
	if out=$($PY "$DETECT_DIR/compare.py" "$2" "$3" 2>&1); then
		ok "$1"
	else
		fail "$1: $(head -n 1 <<<"$out")"
		tail -n +2 <<<"$out" | head -n 20 | sed 's/^/  | /'
	fi
}

check_mentions() { # name, file, paths...
	local name=$1 file=$2 p missing=0 first=""
	shift 2
	for p in "$@"; do
		if ! grep -qF -- "$p" "$file"; then
			missing=$((missing + 1))
			[ -z "$first" ] && first=$p
		fi
	done
	if [ "$missing" -eq 0 ]; then
		ok "$name ($# paths)"
	else
		fail "$name: $missing of $# paths not named (first: $first)"
		head -c 1500 "$file" | sed 's/^/  | /'
	fi
}

history_versions() {
	$PY - "$T/out" <<'EOF'
import json, sys
j = json.load(open(sys.argv[1], "rb"))
def find(x):
    if isinstance(x, list) and all(isinstance(e, dict) for e in x):
        return x
    if isinstance(x, dict):
        for k in ("versions", "history", "entries"):
            if isinstance(x.get(k), list):
                return x[k]
        for v in x.values():
            r = find(v)
            if r is not None:
                return r
    return None
vs = find(j) or []
if vs and all("time" in v for v in vs):
    vs = sorted(vs, key=lambda v: str(v["time"]))
for v in vs:
    if v.get("unchanged") is True:
        continue
    print(v.get("verdict"), v.get("size"), v.get("type"), v.get("time"), v.get("change"))
EOF
}

snap_field() { # id, python expression on s (the snapshot object) and j
	$PY - "$T/out" "$1" "$2" <<'EOF'
import json, sys
j = json.load(open(sys.argv[1], "rb"))
s = next((x for x in j if str(x.get("id", "")).startswith(sys.argv[2])), None)
if s is None:
    print("no-such-snapshot")
    sys.exit(0)
try:
    print(eval(sys.argv[3]))
except Exception as e:
    print("error: %r" % e)
EOF
}

# pinned flag of a snapshot object (any key naming a pin), or "no-pin-field"
PINNED='next((bool(v) for k, v in s.items() if "pin" in k.lower()), "no-pin-field")'
# the snapshot's verdict/mark (any key naming a verdict, a scan or an alert)
MARKED='next((str(v) for k, v in s.items() if any(w in k.lower() for w in ("verdict", "scan", "alert", "mark"))), "no-verdict-field")'
