#!/usr/bin/env bash
# 09-detect-benign.sh — no false alarm on benign work: the test corpus
# (tests/detect/make-corpus.py: office files, PDFs, images, archives, SQLite, mail,
# source, CSV, 24 MB) is backed up, then changed the way people change files
# (tests/detect/churn.sh: edits, office re-saves, PDF rewrites, image re-encodes,
# gzip/xz/zstd-and-rename, a folder tarred and removed, SQLite VACUUM, one file
# encrypted by its owner with gpg with the original kept, new archives and media,
# renames, deletions) and backed up again.
#
# Both backups must exit 0 and print a clean verdict; scan --json of each must say
# "clean" (exit 0) with no file flagged "encrypted", and list every changed path;
# history shows the versions of a re-saved document as clean; restore --last-clean
# gives back the current tree (every file as it is now).
. "$(dirname "$0")/lib.sh"
. "$CLI_DIR/../detect/common.sh"

R=$(repo_url repo)
S=$T/src
cp -a "$CORPUS" "$S"
n_corpus=$(count_entries "$S" -type f)

hf init --repo "$R"
check_rc "init" 0
hf backup --repo "$R" "$S"
check_rc "backup of the corpus: exit 0" 0
cat "$T/out" "$T/err" >"$T/backup-out"
# (a first backup has nothing to be compared with: it need not print a verdict)
if grep -Eqi 'attack|suspicious' "$T/backup-out"; then
	fail "backup of the corpus mentions attack/suspicious"
	sed 's/^/  | /' "$T/backup-out" | head -n 10
else
	ok "backup of the corpus: no attack/suspicious in its output"
fi
snap1=$(snap_ids)

# the first snapshot has no parent: every file is judged on its content alone
hf scan --repo "$R" "$snap1" --json
check_rc "scan of the first snapshot: exit 0" 0
cp "$T/out" "$T/scan1.json"
check_eq "scan of the first snapshot: verdict clean" "clean" "$(json 'j["verdict"]')"
check_eq "scan of the first snapshot: snapshot id" "$snap1" "$(json 'j["snapshot"]')"
enc=$(json '"\n".join(f["path"] + " " + str(f.get("reasons")) for f in j["files"] if f["verdict"] == "encrypted")')
check_eq "scan of the first snapshot: no file of the corpus flagged encrypted" "" "$enc"
check_eq "scan of the first snapshot: summary is an object" "true" "$(json 'isinstance(j["summary"], dict)')"
sus=$(json 'sum(1 for f in j["files"] if f["verdict"] == "suspicious")')
echo "note: first snapshot: $sus of $n_corpus corpus files suspicious"

if ! "$DETECT_DIR/churn.sh" "$S" >"$T/actions" 2>"$T/churn.err"; then
	fail "churn.sh failed"
	sed 's/^/  | /' "$T/churn.err" | head -n 10
fi
hf backup --repo "$R" "$S"
check_rc "backup after benign churn: exit 0" 0
cat "$T/out" "$T/err" >"$T/backup-out"
check_grep "backup after benign churn prints the verdict (clean)" '[Cc]lean|CLEAN' "$T/backup-out"
read -r _ snap2 <<<"$(snap_ids)"

hf scan --repo "$R" "$snap2" --json
check_rc "scan after benign churn: exit 0" 0
cp "$T/out" "$T/scan2.json"
check_eq "scan after benign churn: snapshot and against" "$snap2 $snap1" "$(json 'j["snapshot"] + " " + str(j["against"])')"
check_eq "scan after benign churn: verdict clean" "clean" "$(json 'j["verdict"]')"
$PY "$DETECT_DIR/evaluate.py" --benign "$T/actions" "$T/scan2.json" >"$T/report" 2>&1
if [ "$(ev fp_encrypted "$T/report")" = 0 ]; then
	ok "scan after benign churn: no file flagged encrypted ($(ev touched "$T/report") written, $(ev deleted "$T/report") deleted)"
else
	fail "scan after benign churn: $(ev fp_encrypted "$T/report") files flagged encrypted"
	show_report "$T/report"
fi
check_eq "scan after benign churn: every changed path is listed" "0" "$(ev unlisted "$T/report")"
check_eq "scan after benign churn: every deleted path is listed" "$(ev deleted "$T/report")" "$(ev deleted_listed "$T/report")"
check_eq "scan after benign churn: nothing in notes" "0" "$(json 'len(j["notes"])')"
check_eq "scan after benign churn: change kinds are from the spec" "" \
	"$(json '" ".join(sorted({f["change"] for f in j["files"]} - {"new", "modified", "deleted", "renamed"}))')"
check_eq "scan after benign churn: a rename is a rename" "renamed $S/photos/IMG_1042.jpg" \
	"$(json 'next((f["change"] + " " + f.get("from", "") for f in j["files"] if f["path"].endswith("/photos/beach-sunset.jpg")), "not-listed")')"
echo "note: benign churn: $(ev suspicious "$T/report") of $(ev touched "$T/report") written files suspicious:"
json '"\n".join("  " + f["path"] + " " + ",".join(map(str, f.get("reasons") or [])) for f in j["files"] if f["verdict"] == "suspicious")'

hf scan --repo "$R" --json
check_rc "scan without SNAPSHOT (the latest): exit 0" 0
check_eq "scan without SNAPSHOT: the latest against its parent" "$snap2 $snap1" "$(json 'j["snapshot"] + " " + str(j["against"])')"
hf scan --repo "$R" "$snap2" --against "$snap1"
check_rc "scan (text output): exit 0" 0

# an unchanged backup: nothing to judge
hf backup --repo "$R" "$S"
check_rc "unchanged backup: exit 0" 0
hf scan --repo "$R" --json
check_eq "unchanged backup: clean, no files" "clean 0" "$(json 'j["verdict"] + " " + str(len(j["files"]))')"

hf history --repo "$R" "$S/docs/report-q1.docx" --json
check_rc "history --json of a re-saved docx: exit 0" 0
check_eq "history: two versions, both clean" "clean clean" "$(history_versions | awk '{ print $1 }' | tr '\n' ' ' | sed 's/ $//')"
hf history --repo "$R" "$S/docs/contract-draft.docx.gpg" --json
check_eq "history: the owner's gpg file (original kept) is not encrypted" "" \
	"$(history_versions | awk '$1 == "encrypted"')"

hf restore --repo "$R" --last-clean --target "$T/restore"
check_rc "restore --last-clean after benign churn: exit 0" 0
# every current file comes back as it is; deleted files may or may not come back
$PY "$DETECT_DIR/compare.py" "$S" "$T/restore$S" >"$T/cmp" 2>&1
awk -F'\t' '$1 == "deleted" { print $2 }' "$T/actions" | sed "s|^$S/||" | sort >"$T/deleted"
bad=$(grep -E '^(missing|different) ' "$T/cmp"; grep '^extra ' "$T/cmp" | cut -d' ' -f2- | sort | comm -23 - "$T/deleted" | sed 's/^/extra /')
check_eq "restore --last-clean after benign churn: the current tree, bit for bit" "" "$bad"
echo "note: restore --last-clean brought back $(grep -c '^extra ' "$T/cmp") of $(wc -l <"$T/deleted") deleted files"

finish
