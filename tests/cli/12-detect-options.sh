#!/usr/bin/env bash
# 12-detect-options.sh — the detection options around the scan itself:
# usual_changes read from the previous backup's verdict mark (and counted
# again when the mark is gone), backup --no-detect (no profiles, no scan, no
# verdict), a failing --on-alert command (reported; the exit status stays
# 4), restore --last-clean --before TIME and its --json skipped list.
. "$(dirname "$0")/lib.sh"

R=$(repo_url repo) RD=$(repo_dir repo)
S=$T/share
mkdir -p "$S/a" "$S/b" "$S/c"
for i in $(seq 1 12); do
	head -c $((3000 + i * 500)) /usr/share/common-licenses/GPL-3 > "$S/a/doc$i.txt"
	cp /usr/share/common-licenses/Apache-2.0 "$S/b/note$i.txt"
done
# enough files that the attack's scan JSON (~90 KB) overflows a pipe's buffer
for i in $(seq 1 500); do
	head -c $((2000 + i)) /usr/share/common-licenses/GPL-3 > "$S/c/a-file-with-a-long-name-$i.txt"
done
cp -a "$S" "$T/share.orig"

hf init --repo "$R"
hf backup --repo "$R" "$S"
check_rc "first backup" 0
# five benign edits: the scan of this backup records 5 changes
for i in 1 2 3 4 5; do echo "edited" >> "$S/b/note$i.txt"; done
hf backup --repo "$R" --json "$S"
check_rc "backup after 5 edits: clean" 0
check_eq "its scan: clean" clean "$(json 'j["scan"]["verdict"]')"
cp -a "$S" "$T/share.edited"
sleep 1.1 # --before TIME has one-second resolution
before=$(date '+%Y-%m-%d %H:%M:%S')
sleep 1.1

# --- usual_changes comes from the verdict mark of the previous backup
echo "one more" >> "$S/b/note6.txt"
hf backup --repo "$R" "$S"
check_rc "backup after one more edit" 0
hf scan --repo "$R" --json
check_rc "scan of it: clean" 0
check_eq "usual_changes: the 5 changes between the two earlier backups" 5 "$(json 'j["summary"]["usual_changes"]')"
# with the first backup gone, only the mark still knows those 5 changes
hf forget --repo "$R" --keep-last 2
check_rc "forget the first backup" 0
hf scan --repo "$R" --json
check_eq "usual_changes from the previous backup's verdict mark" 5 "$(json 'j["summary"]["usual_changes"]')"
if ! local_files "the marks moved aside: nothing to count usual changes from"; then
	mkdir -p "$T/marks.aside"
	mv "$RD"/marks/* "$T/marks.aside/"
	hf scan --repo "$R" --json
	check_eq "without the marks, nothing to count them from: unknown (0)" 0 "$(json 'j["summary"]["usual_changes"]')"
	mv "$T/marks.aside"/* "$RD/marks/"
fi

# --- an attack with a failing alert command that closes its stdin unread: the
# JSON does not fit the pipe, so the write fails (SIGPIPE must not kill the
# backup); reported, exit status 4
K=$(openssl rand -hex 32) IV=$(openssl rand -hex 16)
for f in "$S"/a/*.txt "$S"/c/*.txt; do
	openssl enc -aes-256-ctr -K "$K" -iv "$IV" -in "$f" -out "$f.tmp" && cat "$f.tmp" > "$f" && rm "$f.tmp"
done
hf backup --repo "$R" --on-alert "exec 0<&-; exit 3" "$S"
check_rc "backup of the attack with a failing --on-alert: still 4" 4
check_grep "the failing alert command is reported" "on-alert command failed" "$T/err"
check_grep "the verdict is printed" "^scan: attack" "$T/out"

# --- restore --last-clean --before TIME: the tree as it was at that time
hf restore --repo "$R" --last-clean --before "$before" --target "$T/t1" --json
check_rc "restore --last-clean --before TIME" 0
check_eq "nothing skipped" "[]" "$(json 'json.dumps(j["skipped"])')"
check_tree "the share as it was before TIME" "$T/share.edited" "$T/t1$S"
hf restore --repo "$R" --last-clean --before "@0" --target "$T/t0"
check_rc "--before a time older than every snapshot: exit 1" 1
check_grep "says there is no snapshot before it" "no snapshot before" "$T/err"
hf restore --repo "$R" latest --before "$before" --target "$T/tx"
check_rc "--before without --last-clean: usage error" 2

# --- the newest clean version of every file, JSON skipped list
echo "pay 1 bitcoin to bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh to decrypt your files" > "$S/a/HOW_TO_DECRYPT.txt"
cp "$S/a/HOW_TO_DECRYPT.txt" "$S/b/"
cp "$S/a/HOW_TO_DECRYPT.txt" "$S/"
hf backup --repo "$R" "$S"
check_rc "backup with ransom notes: 4" 4
hf restore --repo "$R" --last-clean --target "$T/t2" --json
check_rc "restore --last-clean --json" 0
check_eq "the three notes are listed as skipped" 3 \
	"$(json 'len([s for s in j["skipped"] if s["why"] == "ransom note"])')"
check_true "no note was restored" test ! -e "$T/t2$S/HOW_TO_DECRYPT.txt"
bad=0
for i in $(seq 1 12); do
	cmp -s "$T/share.orig/a/doc$i.txt" "$T/t2$S/a/doc$i.txt" || bad=$((bad + 1))
done
check_eq "every encrypted document came back as it was (documents that did not)" 0 "$bad"
hf restore --repo "$R" --last-clean --include "$S/b" --target "$T/t3" --json
check_rc "restore --last-clean --include DIR --json" 0
check_eq "only the note under the included directory is listed as skipped" "$S/b/HOW_TO_DECRYPT.txt" \
	"$(json '" ".join(s["path"] for s in j["skipped"])')"

# --- --no-detect: no profiles, no scan, no verdict
R2=$(repo_url repo2)
hf init --repo "$R2"
hf backup --repo "$R2" --no-detect --json "$S"
check_rc "backup --no-detect" 0
check_eq "no scan in its JSON" null "$(json 'j["scan"]')"
hf backup --repo "$R2" --no-detect "$S"
check_true "no scan line" sh -c "! grep -q '^scan:' '$T/out'"
local_files "no verdict mark written (marks/ looked at)" ||
	check_true "no verdict mark written" test -z "$(ls "$(repo_dir repo2)/marks")"
hf scan --repo "$R2" --json
check_rc "scan of a --no-detect snapshot works (profiles computed from the content)" 0

finish
