#!/usr/bin/env bash
# 62-decoders.sh — the parsers of other formats live in holdfast-decoders.so, not in the
# executable (detect/decoders.h): the executable links none of their libraries; installed
# as make install lays it out (bin/holdfast, lib/holdfast/holdfast-decoders.so) the
# decoders are found and validate (a sparse attack on images, PDFs and office files, which
# keeps their signatures and their entropy, is flagged); without them a backup says that it
# records no content profiles, scan refuses with the reason, and the same attack goes
# unseen; a decoders file that another user may write is not loaded.
. "$(dirname "$0")/lib.sh"
. "$CLI_DIR/../detect/common.sh"

DEC=$(dirname "$HF_BIN")/holdfast-decoders.so
check_true "the decoders are built beside the executable" test -f "$DEC"
# the executable itself: none of the decoders' libraries (libstdc++ is not looked for: the
# sanitizers' runtime links it)
linked=$(ldd "$HF_BIN" | grep -Ec 'lib(magic|qpdf|poppler|gmime|mpg123|sqlite3|zip|png16|jpeg|glib-2\.0|cairo)\.')
check_eq "the executable links none of the decoders' libraries" 0 "$linked"
check_true "the decoders link them" sh -c "ldd '$DEC' | grep -q libqpdf"

# an installed layout
mkdir -p "$T/inst/bin" "$T/inst/lib/holdfast" "$T/bare"
cp "$HF_BIN" "$T/inst/bin/holdfast"
cp "$DEC" "$T/inst/lib/holdfast/holdfast-decoders.so"
chmod 0644 "$T/inst/lib/holdfast/holdfast-decoders.so"
cp "$HF_BIN" "$T/bare/holdfast"
BIN=$HF_BIN

# one attack, as one binary sees it: clean backup, sparse blocks in every image, PDF and
# office file, backup again; prints the attacked files the scan flagged
flagged_by() { # binary, name
	local S=$T/share-$2 R
	R=$(repo_url "repo-$2")
	mkdir -p "$S"
	cp -a "$CORPUS/." "$S/"
	HF_BIN=$1
	hf init --repo "$R"
	hf backup --repo "$R" "$S"
	cp "$T/err" "$T/$2.err1"
	(cd "$S" && find . -type f \( -name '*.png' -o -name '*.jpg' -o -name '*.pdf' -o -name '*.docx' \
		-o -name '*.xlsx' -o -name '*.odt' \) | sed 's|^\./||' | sort) >"$T/$2.targets"
	"$DETECT_DIR/attack.sh" sparse "$S" --block 64 --stride 4096 --files "$T/$2.targets" >"$T/$2.attack" 2>&1
	hf backup --repo "$R" "$S"
	hf scan --repo "$R" --json
	cp "$T/out" "$T/$2.scan"
	cp "$T/err" "$T/$2.scanerr"
	HF_BIN=$BIN
	$PY - "$T/$2.scan" <<'EOF'
import json, sys
try:
    j = json.load(open(sys.argv[1]))
except ValueError:
    sys.exit(0)
for f in j.get("files", []):
    if f["verdict"] == "encrypted":
        print(f["path"])
EOF
}

n=$(flagged_by "$T/inst/bin/holdfast" inst | grep -c .)
targets=$(wc -l <"$T/inst.targets")
check_true "installed: the attack hit $targets files" test "$targets" -ge 20
check_true "installed: the scan flags the attacked files ($n of $targets)" test "$n" -ge $((targets * 3 / 4))
check_eq "installed: the first backup warns of nothing" 0 "$(grep -c 'content detection' "$T/inst.err1")"

n=$(flagged_by "$T/bare/holdfast" bare | grep -c .)
check_grep "no decoders: the backup says it records no content profiles" \
	'content detection cannot start (.*holdfast-decoders.so.*No such file).*no content profiles' "$T/bare.err1"
check_grep "no decoders: scan says why it cannot judge" \
	'cannot scan: content detection cannot start: .*holdfast-decoders.so' "$T/bare.scanerr"
check_eq "no decoders: nothing flagged" 0 "$n"

chmod g+w "$T/inst/lib/holdfast/holdfast-decoders.so"
HF_BIN=$T/inst/bin/holdfast hf backup --repo "$(repo_url repo-inst)" "$T/share-inst"
check_rc "decoders writable by the group: the backup is still taken" 0
check_grep "decoders writable by the group: not loaded, and said so" \
	'holdfast-decoders.so is not a file that only root or this user may write: not loaded' "$T/err"

finish
