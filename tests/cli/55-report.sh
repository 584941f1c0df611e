#!/usr/bin/env bash
# 55-report.sh — holdfast report (docs/REPORT.md) on real attacks.
#
#  1. A corpus (txt, csv, eml, docx, xlsx, odt, pdf; mail in quoted-printable and
#     base64) with planted personal data (valid check digits: NHS mod-11, IBAN
#     mod-97, Luhn, NI prefixes) and decoys that fail the checks
#     (tests/report/pii-corpus.py prints the counts it planted), backed up, attacked
#     (tests/detect/attack.sh full-rename --notes), backed up again: the JSON says
#     attack, lists every encrypted file and note with the Bitcoin address, .onion
#     link and victim id of the note, and its personal-data counts equal the planted
#     ones exactly, with every file of the corpus read. A hostile file name is
#     escaped in the HTML.
#  2. The HTML renders in headless Chromium: a screenshot is taken, and no console
#     message is logged (the page's CSP forbids every load, so a load would log a
#     violation; a copy of the page with one external image shows the check fires).
#     Chromium is a dependency (scripts/deps.sh): its absence is a failure.
#  3. A clean repository's report says no attack.
#  4. A slow attack over three backups: every third encrypted, one backup each.
#  5. A write-only key and a missing output are refused.
#  6. Files encrypted twice (in place, then again and renamed): the personal data are
#     counted once, from the version before both, and restore --last-clean gives back
#     every original.
#  7. --all reads every file of the directories hit, not only the encrypted ones.
#  Case 1 also checks the GDPR Art. 33 facts (72 hours from the detection, the planted
#  categories and numbers) and the restore-time estimate.
set -uo pipefail
CLI_DIR=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/cli/lib.sh
. "$CLI_DIR/lib.sh"
DETECT_DIR=$(cd "$CLI_DIR/../detect" && pwd)
CORPUS_PY=$CLI_DIR/../report/pii-corpus.py

# pd_check NAME JSON EXPECTED — personal-data counts of report JSON equal the planted ones
pd_check() {
	local got
	got=$($PY -c 'import json,sys
j=json.load(open(sys.argv[1]))["personal_data"]["categories"]
e=json.load(open(sys.argv[2]))
bad=[c+": planted "+str(e[c])+", reported "+str(j.get(c)) for c in e if j.get(c)!=e[c]]
print("; ".join(bad) if bad else "equal")' "$2" "$3")
	check_eq "$1: personal data counts (files, distinct) equal the planted ones" "equal" "$got"
}

# jq_ FILE EXPR — a python expression over the JSON document in FILE (j)
jq_() { $PY -c 'import json,sys; j=json.load(open(sys.argv[1])); v=eval(sys.argv[2]); print("true" if v is True else "false" if v is False else v)' "$1" "$2"; }

# --- 1. an attack ----------------------------------------------------------------
R=$(repo_url repo) S=$T/src
$PY "$CORPUS_PY" "$S" >"$T/expected.json"
# 3 MiB of text without personal data: enough read for the restore-time estimate
yes "minutes of the budget meeting, nothing personal" | head -c 3000000 >"$S/notes/minutes.txt"
n_corpus=$(find "$S" -type f | wc -l)
hf init --repo "$R"
check_rc "init" 0
hf backup --repo "$R" "$S"
check_rc "backup of the corpus: clean" 0
if ! "$DETECT_DIR/attack.sh" full-rename "$S" --notes >"$T/actions" 2>"$T/attack.err"; then
	fail "attack.sh failed"
	sed 's/^/  | /' "$T/attack.err" | head -n 5
fi
hf backup --repo "$R" "$S"
check_rc "backup after the attack: exit 4" 4
n_enc=$(grep -c '^created' "$T/actions")
n_notes=$(grep -c '^note' "$T/actions")

hf report --repo "$R" --html "$T/report.html" --json "$T/report.json"
check_rc "report: exit 0" 0
check_grep "report says attack on stdout" "^attack: $n_enc file" "$T/out"
J=$T/report.json
check_eq "json: attack" "true" "$(jq_ "$J" 'j["summary"]["attack"]')"
check_eq "json: files encrypted = files the attack wrote" "$n_enc" "$(jq_ "$J" 'j["summary"]["files_encrypted"]')"
check_eq "json: every file listed, with its original" "$n_enc" \
	"$(jq_ "$J" 'sum(1 for f in j["scope"]["files"] if f["path"] == f["was"] + ".locked")')"
check_eq "json: ransom notes = notes dropped" "$n_notes" "$(jq_ "$J" 'j["summary"]["ransom_notes"]')"
check_eq "json: the note's Bitcoin address (bech32, checksum verified)" "bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh" \
	"$(jq_ "$J" '",".join(j["ransom_notes"][0]["bitcoin"])')"
check_eq "json: the note's .onion link" "lockbitapt6vx57t3eeqjofwgcglmutr3a35nygvokja5uuccip4ykyd.onion" \
	"$(jq_ "$J" '",".join(j["ransom_notes"][0]["onion"])')"
check_eq "json: the note's victim id" "7F3A-91C2-DE44-08B1" "$(jq_ "$J" '",".join(j["ransom_notes"][0]["victim_id"])')"
check_eq "json: extension used by the attack" ".locked $n_enc" \
	"$(jq_ "$J" '" ".join("%s %d" % (e["ext"], e["files"]) for e in j["scope"]["extensions"])')"
check_eq "json: four directories hit" "4" "$(jq_ "$J" 'len(j["scope"]["directories"])')"
check_eq "json: the second backup is the first with encrypted files" "$(jq_ "$J" 'j["timeline"][1]["snapshot"]')" \
	"$(jq_ "$J" 'j["summary"]["first_encrypted_backup"]["snapshot"]')"
check_eq "json: detected by the verdict mark of the backup's scan" "true" \
	"$(jq_ "$J" 'j["summary"]["detected"]["how"].startswith("verdict mark")')"
check_eq "json: recovery takes every encrypted file from the older snapshot" "$n_enc" \
	"$(jq_ "$J" 'j["recovery"]["from_older"]')"
check_eq "json: the earliest ctime is no later than the first encrypted backup" "true" \
	"$(jq_ "$J" 'j["summary"]["first_encrypted_ctime"] is not None and j["summary"]["first_encrypted_ctime"] <= j["summary"]["first_encrypted_backup"]["time"]')"
check_grep "json: recovery command" "restore --repo .* --last-clean --before" "$J"
check_eq "json: the notes dropped are one text, shown once with every path" "1 $n_notes $n_notes" \
	"$(jq_ "$J" '"%d %d %d" % (len(j["ransom_notes"]), j["ransom_notes"][0]["copies"], len(j["ransom_notes"][0]["paths"]))')"
pd_check "attack" "$J" "$T/expected.json"
# the restore-time estimate: the speed measured on what the report read
check_eq "json: the estimate is the bytes to restore at the measured read speed" "true" \
	"$(jq_ "$J" 'j["recovery"]["read_speed"] is not None and j["recovery"]["bytes_to_restore"] >= j["recovery"]["bytes_of_encrypted_files"] > 3000000 and j["recovery"]["estimated_seconds"] == -(-j["recovery"]["bytes_to_restore"] // j["recovery"]["read_speed"])')"
check_grep "html: the estimated time" "Estimated time</th><td>about [0-9]" "$T/report.html"
# GDPR Art. 33: the 72 hours from the detection, the categories and numbers found
G='j["gdpr_art33"]'
check_eq "gdpr: applies, notify by = aware + 72 h" "true 259200" \
	"$(jq_ "$J" '"%s %d" % ("true" if '"$G"'["applies"] else "false", __import__("calendar").timegm(__import__("time").strptime('"$G"'["notify_by"], "%Y-%m-%dT%H:%M:%SZ")) - __import__("calendar").timegm(__import__("time").strptime('"$G"'["aware"], "%Y-%m-%dT%H:%M:%SZ")))')"
check_eq "gdpr: aware = the detection" "$(jq_ "$J" 'j["summary"]["detected"]["time"]')" "$(jq_ "$J" "$G"'["aware"]')"
check_eq "gdpr: records = every distinct value planted" \
	"$($PY -c 'import json,sys; print(sum(v["distinct"] for v in json.load(open(sys.argv[1])).values()))' "$T/expected.json")" \
	"$(jq_ "$J" "$G"'["records_at_least"]')"
check_eq "gdpr: data subjects = the most distinct values of one identifier planted" \
	"$($PY -c 'import json,sys; e=json.load(open(sys.argv[1])); print(max(e[c]["distinct"] for c in ("email","nino","nhs")))' "$T/expected.json")" \
	"$(jq_ "$J" "$G"'["data_subjects_at_least"]')"
check_eq "gdpr: one category per kind of data planted, health data special" "8 true" \
	"$(jq_ "$J" '"%d %s" % (len('"$G"'["data_categories"]), "true" if '"$G"'["special_categories"] else "false")')"
check_eq "gdpr: the pinned clean backup and the full recovery are the measures" "2" \
	"$(jq_ "$J" 'sum(1 for m in '"$G"'["measures"] if "pinned" in m or "recovery plan" in m)')"
check_true "html: the GDPR section with its deadline" grep -q 'Notify the supervisory authority by' "$T/report.html"
# every file of the corpus is read: text, office documents, PDFs and encoded mail alike
check_eq "json: personal data read in every file of the corpus, none left unread" "$n_corpus 0" \
	"$(jq_ "$J" '"%d %d" % (j["personal_data"]["files_read"], j["personal_data"]["files_not_read"])')"
# the hostile name (notes/<img src=x onerror=alert(1)>&"'.txt) is escaped in the HTML
check_true "html: the hostile file name is escaped" grep -qF '&lt;img src=x onerror=alert(1)&gt;&amp;&quot;&#39;.txt' "$T/report.html"
if grep -qF '<img src=x' "$T/report.html"; then fail "html: the hostile file name appears unescaped"; else ok "html: no unescaped tag from a file name"; fi
check_true "html: an inline SVG chart" grep -q '<svg xmlns="http://www.w3.org/2000/svg"' "$T/report.html"
check_true "html: a CSP that forbids loads" grep -q "default-src 'none'" "$T/report.html"
if grep -qiE '(src|href)="(https?:)?//' "$T/report.html"; then fail "html: an external reference"; else ok "html: no external reference"; fi

# --- 2. headless Chromium ---------------------------------------------------------
if ! command -v chromium >/dev/null; then
	fail "chromium is not installed (scripts/deps.sh installs it): the HTML cannot be checked"
else
	render_html "$T/report.html"
	check_rc_c=$?
	check_eq "chromium renders the report: exit 0" "0" "$check_rc_c"
	check_true "chromium: a screenshot was taken" test -s "$T/report.png"
	if grep -q 'CONSOLE' "$T/report.log"; then
		fail "chromium: console messages"
		grep 'CONSOLE' "$T/report.log" | head -n 5 | sed 's/^/  | /'
	else
		ok "chromium: no console message (no error, no blocked load)"
	fi
	# the check fires: the same page with one external image logs a CSP violation
	sed 's|<h1>|<img src="http://127.0.0.1:9/x.png"><h1>|' "$T/report.html" >"$T/control.html"
	render_html "$T/control.html"
	check_true "chromium: an external load in a copy of the page is logged (the check works)" \
		grep -q 'CONSOLE.*violates the following Content Security Policy' "$T/control.log"
	[ -n "${HF_REPORT_SCREENSHOT:-}" ] && cp "$T/report.png" "$HF_REPORT_SCREENSHOT"
fi

# --- 3. a clean repository ----------------------------------------------------------
R2=$(repo_url clean) S2=$T/src2
$PY "$CORPUS_PY" "$S2" >/dev/null
hf init --repo "$R2"
hf backup --repo "$R2" "$S2"
echo "a new line from the user" >>"$S2/notes/patient.txt"
cp "$S2/hr/staff-0.csv" "$S2/hr/staff-0-copy.csv"
hf backup --repo "$R2" "$S2"
check_rc "clean: second backup exit 0" 0
hf report --repo "$R2" --json "$T/clean.json" --html "$T/clean.html"
check_rc "clean: report exit 0" 0
check_eq "clean: no attack" "false" "$(jq_ "$T/clean.json" 'j["summary"]["attack"]')"
check_eq "clean: nothing encrypted, no note" "0 0" \
	"$(jq_ "$T/clean.json" '"%d %d" % (j["summary"]["files_encrypted"], j["summary"]["ransom_notes"])')"
check_true "clean: the HTML says no attack" grep -q 'Attack: no.' "$T/clean.html"
check_eq "clean: GDPR Art. 33 does not apply" "false" "$(jq_ "$T/clean.json" 'j["gdpr_art33"]["applies"]')"

# --- 4. a slow attack over three backups ----------------------------------------------
R3=$(repo_url slow) S3=$T/src3
$PY "$CORPUS_PY" "$S3" >"$T/expected3.json"
hf init --repo "$R3"
hf backup --repo "$R3" "$S3"
: >"$T/actions3"
for part in 1 2 3; do
	extra=()
	[ $part -eq 3 ] && extra=(--notes)
	[ $part -eq 3 ] && sleep 1 # the last backup a second after the one before (for --since)
	"$DETECT_DIR/attack.sh" full-rename "$S3" --part "$part/3" "${extra[@]}" >>"$T/actions3" 2>"$T/attack.err" ||
		fail "slow: attack.sh part $part failed"
	hf backup --repo "$R3" "$S3"
	check_rc "slow: backup after part $part/3: exit 4" 4
done
hf report --repo "$R3" --json "$T/slow.json" --html "$T/slow.html"
check_rc "slow: report exit 0" 0
check_eq "slow: files encrypted over the three backups" "$(grep -c '^created' "$T/actions3")" \
	"$(jq_ "$T/slow.json" 'j["summary"]["files_encrypted"]')"
# (the first third alone may be judged suspicious rather than attack: few files)
check_eq "slow: the first backup clean, each after it flagged, the last an attack" "clean flagged flagged attack" \
	"$(jq_ "$T/slow.json" '" ".join(s["verdict"] if k in (0, 3) else ("flagged" if s["verdict"] != "clean" else "clean") for k, s in enumerate(j["timeline"]))')"
check_eq "slow: each attacked backup holds some encrypted files" "true" \
	"$(jq_ "$T/slow.json" 'all(s["encrypted"] > 0 for s in j["timeline"][1:])')"
check_eq "slow: the first encrypted backup is the second" "$(jq_ "$T/slow.json" 'j["timeline"][1]["snapshot"]')" \
	"$(jq_ "$T/slow.json" 'j["summary"]["first_encrypted_backup"]["snapshot"]')"
pd_check "slow" "$T/slow.json" "$T/expected3.json"
since=$(date -d "$(jq_ "$T/slow.json" 'j["timeline"][3]["time"]')" +@%s)
hf report --repo "$R3" --since "$since" --json "$T/since.json"
check_rc "slow: report --since the last backup: exit 0" 0
check_eq "slow: --since the last backup reports only its files" \
	"$(jq_ "$T/slow.json" 'j["timeline"][3]["encrypted"]')" "$(jq_ "$T/since.json" 'j["summary"]["files_encrypted"]')"

# --- 6. encrypted twice: in place, then again (another key) and renamed -------------
# The version each .locked file replaced was itself flagged: its last clean version is the
# one before both attacks (as restore --last-clean takes it), and the personal data are
# counted once, from it. The second backup's scan sees random bytes where random bytes
# were (no scan calls that an attack; its exit is not checked), yet restore --last-clean
# brings back every original: what it deleted had been flagged.
R4=$(repo_url twice) S4=$T/src4
$PY "$CORPUS_PY" "$S4" >"$T/expected4.json"
cp -a "$S4" "$T/orig4"
hf init --repo "$R4"
hf backup --repo "$R4" "$S4"
"$DETECT_DIR/attack.sh" full "$S4" >"$T/actions4" 2>"$T/attack.err" || fail "twice: attack.sh full failed"
hf backup --repo "$R4" "$S4"
check_rc "twice: backup after the encryption in place: exit 4" 4
"$DETECT_DIR/attack.sh" full-rename "$S4" --key "$(printf '7%.0s' {1..64})" >"$T/actions4b" 2>"$T/attack.err" ||
	fail "twice: attack.sh full-rename failed"
hf backup --repo "$R4" "$S4"
hf report --repo "$R4" --json "$T/twice.json"
check_rc "twice: report exit 0" 0
check_eq "twice: every file of the corpus is listed once, its clean version in the first backup" \
	"$(find "$T/orig4" -type f | wc -l) true" \
	"$(jq_ "$T/twice.json" '"%d %s" % (len(j["scope"]["files"]), "true" if all(f["clean_snapshot"] == j["timeline"][0]["snapshot"] for f in j["scope"]["files"]) else "false")')"
check_eq "twice: no file lost" "0" "$(jq_ "$T/twice.json" 'j["summary"]["files_never_clean"]')"
pd_check "twice" "$T/twice.json" "$T/expected4.json"
hf restore --repo "$R4" --last-clean --target "$T/restore4"
check_rc "twice: restore --last-clean: exit 0" 0
missing=0
while IFS= read -r -d '' f; do
	cmp -s "$f" "$T/restore4$S4/${f#"$T/orig4/"}" || missing=$((missing + 1))
done < <(find "$T/orig4" -type f -print0)
check_eq "twice: restore --last-clean gives back every original, bit for bit" "0" "$missing"

# --- 7. --all: every file of the directories hit ----------------------------------------
# Every other file is encrypted: without --all only their clean versions are read; with it,
# every regular file of the directories hit, as the backup before the attack holds them.
R5=$(repo_url half) S5=$T/src5
$PY "$CORPUS_PY" "$S5" >/dev/null
hf init --repo "$R5"
hf backup --repo "$R5" "$S5"
(cd "$S5" && find . -type f -printf '%P\n' | sort | awk 'NR % 2') >"$T/half-list"
"$DETECT_DIR/attack.sh" full-rename "$S5" --files "$T/half-list" >"$T/actions5" 2>"$T/attack.err" ||
	fail "half: attack.sh failed"
hf backup --repo "$R5" "$S5"
hf report --repo "$R5" --json "$T/half.json"
check_rc "half: report exit 0" 0
hf report --repo "$R5" --all --json "$T/half-all.json"
check_rc "half: report --all exit 0" 0
check_eq "half: without --all, only the encrypted files are read" "encrypted $(grep -c '^created' "$T/actions5")" \
	"$(jq_ "$T/half.json" '"%s %d" % (j["personal_data"]["scope"], j["personal_data"]["files_read"] + j["personal_data"]["files_not_read"])')"
# (each .locked file took the place of one original: the files there now are as many)
in_dirs=$(jq_ "$T/half-all.json" 'sum(1 for d in j["summary"]["directories_hit"] for e in __import__("os").scandir(d) if e.is_file())')
check_eq "half: with --all, every file of the directories hit is read" "all $in_dirs" \
	"$(jq_ "$T/half-all.json" '"%s %d" % (j["personal_data"]["scope"], j["personal_data"]["files_read"] + j["personal_data"]["files_not_read"])')"
check_eq "half: --all finds more (the files left alone hold personal data too)" "true" \
	"$(jq_ "$T/half-all.json" 'sum(v["distinct"] for v in j["personal_data"]["categories"].values()) > sum(v["distinct"] for v in __import__("json").load(open("'"$T/half.json"'"))["personal_data"]["categories"].values())')"

# --- 5. refusals --------------------------------------------------------------------
hf report --repo "$R"
check_rc "report without an output: usage error" 2
hf report --repo "$R" --html "$T/x.html" a b
check_rc "report with two snapshots: usage error" 2
HOLDFAST_NEW_PASSWORD=wo-pass hf key add --write-only --out "$T/wo.key" --repo "$R"
check_rc "key add --write-only" 0
HOLDFAST_PASSWORD=wo-pass hf report --repo "$R" --key-file "$T/wo.key" --html "$T/wo.html"
check_rc "report with a write-only key: refused (exit 2)" 2
check_grep "report with a write-only key: says why" "write-only" "$T/err"
check_true "report with a write-only key: writes nothing" test ! -e "$T/wo.html"

finish
