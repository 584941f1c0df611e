#!/usr/bin/env bash
# 11-detect-slow-lastclean.sh — a slow attack spread over three backups, and the
# last-clean restore that must undo it whole.
#
# The corpus (tests/detect/make-corpus.py) is backed up clean, then attacked a third of
# its files at a time, with a backup after each third:
#   1. the first third encrypted in place (openssl AES-CTR, attack.sh full);
#   2. the second third, first 4 KiB only, with the mtimes put back (attack.sh header4k
#      --keep-mtime); meanwhile the user edits a file of the last third and adds a file;
#   3. the last third with ccrypt (encrypted, renamed .locked), notes dropped everywhere.
# Each backup must exit 4 and each scan flag >= 99% of that round's files. Then
# restore --last-clean must give back every file in its newest clean version (the
# user's edit included), looking back as far as needed, and nothing the attack
# created; so must --strict; --before the first attack gives back the original corpus;
# --include restores one directory only. history shows the versions of attacked files.
# forget --keep-last 1 --prune keeps what last-clean needs; the restore still works.
. "$(dirname "$0")/lib.sh"
. "$CLI_DIR/../detect/common.sh"

R=$(repo_url repo)
S=$T/src
E=$T/expected # the newest clean version of every file
cp -a "$CORPUS" "$S"
cp -a "$CORPUS" "$E"
"$DETECT_DIR/attack.sh" full "$S" --list-only | cut -f2 | sed "s|^$S/||" >"$T/list"
for k in 1 2 3; do
	"$DETECT_DIR/attack.sh" full "$S" --files "$T/list" --part $k/3 --list-only | cut -f2 >"$T/part$k"
done
check_eq "the file list splits into three non-empty thirds" "0 0 0" \
	"$(for k in 1 2 3; do [ -s "$T/part$k" ]; echo -n "$? "; done | sed 's/ $//')"

hf init --repo "$R"
check_rc "init" 0
hf backup --repo "$R" "$S"
check_rc "backup of the corpus: exit 0" 0

round() { # k, mode, extra attack.sh options...
	local k=$1 mode=$2
	shift 2
	if ! "$DETECT_DIR/attack.sh" "$mode" "$S" --files "$T/list" --part "$k/3" "$@" >"$T/actions$k" 2>"$T/attack.err"; then
		fail "round $k: attack.sh $mode failed"
		sed 's/^/  | /' "$T/attack.err" | head -n 10
	fi
}
judge() { # k, snapshot id, against id
	local k=$1
	hf scan --repo "$R" "$2" --json
	check_rc "round $k: scan --json exit 4" 4
	cp "$T/out" "$T/scan$k.json"
	check_eq "round $k: scan verdict attack, against the previous backup" "attack $3" \
		"$(json 'j["verdict"] + " " + str(j["against"])')"
	$PY "$DETECT_DIR/evaluate.py" "$T/actions$k" "$T/scan$k.json" >"$T/report$k" 2>&1
	check_flagged "round $k" "$T/report$k"
}

# round 1: a third, in place
round 1 full
hf backup --repo "$R" "$S"
check_rc "round 1: backup exits 4" 4
read -r snap1 snap2 <<<"$(snap_ids)"
judge 1 "$snap2" "$snap1"

# the user keeps working: a file of the last third is edited, a file is added
edited=$(grep -E '\.(txt|csv|md|py|c|h)$' "$T/part3" | head -n 1)
[ -n "$edited" ] || edited=$(head -n 1 "$T/part3")
rel=${edited#"$S/"}
printf '\nedited by the user between two rounds of the attack\n' | tee -a "$edited" >>"$E/$rel"
printf 'a new file, written during the attack\n' | tee "$S/home/during-attack.txt" >"$E/home/during-attack.txt"

# round 2: the next third, first 4 KiB only, mtimes restored afterwards
round 2 header4k --keep-mtime
hf backup --repo "$R" "$S"
check_rc "round 2: backup exits 4 (a slow attack's later rounds are attacks too)" 4
read -r _ _ snap3 <<<"$(snap_ids)"
judge 2 "$snap3" "$snap2"

# round 3: the last third with ccrypt (renamed .locked), and ransom notes
round 3 ccrypt --notes
hf backup --repo "$R" "$S"
check_rc "round 3: backup exits 4" 4
read -r _ _ _ snap4 <<<"$(snap_ids)"
judge 3 "$snap4" "$snap3"

hf restore --repo "$R" --last-clean --target "$T/restore"
check_rc "restore --last-clean: exit 0" 0
check_restore "restore --last-clean: every file in its newest clean version, nothing the attack made" \
	"$E" "$T/restore$S"
cat "$T/out" "$T/err" >"$T/restore-out"
mapfile -t made < <(awk -F'\t' '($1 == "created" && $2 != $3) || $1 == "note" { print $2 }' "$T/actions3")
check_mentions "restore --last-clean names what it skipped (.locked files, notes)" "$T/restore-out" "${made[@]}"

rm -rf "$T/restore"
hf restore --repo "$R" --last-clean --strict --target "$T/restore"
check_rc "restore --last-clean --strict: exit 0" 0
check_restore "restore --last-clean --strict: the same tree" "$E" "$T/restore$S"

rm -rf "$T/restore"
hf restore --repo "$R" --last-clean --before "$snap2" --target "$T/restore"
check_rc "restore --last-clean --before the first attacked snapshot: exit 0" 0
check_restore "restore --last-clean --before the first attacked snapshot: the original corpus" \
	"$CORPUS" "$T/restore$S"

rm -rf "$T/restore"
hf restore --repo "$R" --last-clean --include "$S/docs" --target "$T/restore"
check_rc "restore --last-clean --include DIR: exit 0" 0
check_restore "restore --last-clean --include DIR: that directory, clean" "$E/docs" "$T/restore$S/docs"
check_eq "restore --last-clean --include DIR: nothing else" "" \
	"$(cd "$T/restore" 2>/dev/null && find . -type f ! -path ".$S/docs/*" | head -n 5)"

# history: a file of the first third was clean in snapshot 1, encrypted since
victim=$(head -n 1 "$T/part1")
hf history --repo "$R" "$victim" --json
check_rc "history --json of a file attacked in round 1: exit 0" 0
history_versions | awk '{ print $1 }' | tr '\n' ' ' | sed 's/ $//' >"$T/vers"
check_grep "history of a file attacked in round 1: clean, then encrypted" '^clean( encrypted)+$' "$T/vers"
hf history --repo "$R" "$edited" --json
check_rc "history --json of the file edited during the attack: exit 0" 0
check_eq "history of the edited file: its two clean versions" "clean clean" \
	"$(history_versions | awk '$5 != "deleted" { print $1 }' | head -n 2 | tr '\n' ' ' | sed 's/ $//')"

# retention: keep only the newest snapshot, and prune
hf snapshots --repo "$R" --json
check_eq "the last clean snapshot is pinned" "True" "$(snap_field "$snap1" "$PINNED")"
hf forget --repo "$R" --keep-last 1 --prune
check_rc "forget --keep-last 1 --prune after the slow attack" 0
hf snapshots --repo "$R" --json
check_eq "forget kept the pinned last clean snapshot" "true" "$(json 'any(s["id"] == "'"$snap1"'" for s in j)')"
rm -rf "$T/restore"
hf restore --repo "$R" --last-clean --target "$T/restore"
check_rc "restore --last-clean after forget --prune: exit 0" 0
check_restore "restore --last-clean after forget --prune: still every newest clean version" \
	"$E" "$T/restore$S"
hf check --repo "$R" --read-data
check_rc "check --read-data after forget --prune" 0

for k in 1 2 3; do
	grep -E '^(touched|encrypted|suspicious|missed|unlisted|notes|notes_listed|other_encrypted) ' "$T/report$k" |
		tr '\n' ' ' | sed "s/^/round $k: /; s/\$/\n/"
done
finish
