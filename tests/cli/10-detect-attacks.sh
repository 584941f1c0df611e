#!/usr/bin/env bash
# 10-detect-attacks.sh — ransomware detection and last-clean restore, one attack mode at a
# time, on the benign test corpus (tests/detect/make-corpus.py, ~120 real files, 24 MB).
#
# For each mode of tests/detect/attack.sh (real tools: openssl, gpg, age, 7z, ccrypt), on
# a fresh repository: back up the corpus (clean), attack it, back up again, then:
#   - the backup exits 4, prints the attack verdict and runs --on-alert CMD with the
#     scan JSON on stdin, the same bytes as a later `scan --json` (the backup scans from
#     the changes it collected, scan walks both snapshots);
#   - scan --json of the attacked snapshot: exit 4, verdict "attack", >= 99% of the files
#     the attack wrote flagged "encrypted", every changed path listed, every deleted
#     original listed, every ransom note in "notes", no untouched file flagged;
#   - restore --last-clean gives back every original file bit for bit and nothing the
#     attack created, and names what it skipped (the new encrypted files, the notes).
# For the first mode also: history --json of an attacked file (a clean, then an encrypted
# version), the marks in `snapshots --json` (attack snapshot marked, last clean pinned),
# and forget --keep-last 1 --prune, pinned and then unpinned: the last clean versions
# survive and restore --last-clean still works.
#
# HF_DETECT_MODES="full ccrypt" runs only those modes.
. "$(dirname "$0")/lib.sh"
. "$CLI_DIR/../detect/common.sh"

MODES=${HF_DETECT_MODES:-"full header4k skiphdr intermittent base64 hex gpg-delete gpg-replace age-rename 7z-delete ccrypt full-rename gzip-disguise notes"}
first_mode=${MODES%% *}

cat >"$T/alert.sh" <<'EOF'
#!/bin/sh
cat >"$HF_TEST_ALERT_OUT"
EOF
chmod +x "$T/alert.sh"

for mode in $MODES; do
	m="[$mode]"
	R=$(repo_url "repo-$mode") RD=$(repo_dir "repo-$mode")
	S=$T/src
	rm -rf "$RD" "$S" "$T/restore"
	cp -a "$CORPUS" "$S"

	hf init --repo "$R"
	check_rc "$m init" 0
	hf backup --repo "$R" "$S"
	check_rc "$m backup of the corpus: exit 0 (clean)" 0

	if ! "$DETECT_DIR/attack.sh" "$mode" "$S" >"$T/actions" 2>"$T/attack.err"; then
		fail "$m attack.sh failed"
		sed 's/^/  | /' "$T/attack.err" | head -n 10
		continue
	fi

	export HF_TEST_ALERT_OUT=$T/alert.json
	rm -f "$HF_TEST_ALERT_OUT"
	hf backup --repo "$R" --on-alert "$T/alert.sh" "$S"
	if [ "$RC" -eq 2 ]; then # --on-alert refused: count that once, back up without it
		fail "$m backup --on-alert CMD: usage error"
		show_output
		hf backup --repo "$R" "$S"
	fi
	check_rc "$m backup after the attack: exit 4" 4
	cat "$T/out" "$T/err" >"$T/backup-out"
	read -r snap1 snap2 rest <<<"$(snap_ids)"
	if [ -z "${snap2:-}" ] || [ -n "${rest:-}" ]; then
		fail "$m expected exactly 2 snapshots, got: $snap1 ${snap2:-} ${rest:-}"
		continue
	fi
	if [ -s "$HF_TEST_ALERT_OUT" ] && $PY -c 'import json,sys; j=json.load(open(sys.argv[1])); sys.exit(0 if j.get("snapshot")==sys.argv[2] and isinstance(j.get("files"), list) and j.get("verdict") in ("attack", "suspicious") else 1)' "$HF_TEST_ALERT_OUT" "$snap2"; then
		ok "$m --on-alert CMD got the scan JSON of the new snapshot on stdin"
	else
		fail "$m --on-alert CMD did not get the scan JSON of the attacked snapshot"
		head -c 300 "$HF_TEST_ALERT_OUT" 2>/dev/null | sed 's/^/  | /'
	fi

	hf scan --repo "$R" "$snap2" --json
	check_rc "$m scan --json: exit 4" 4
	cp "$T/out" "$T/scan-$mode.json"
	# the backup scanned from the changes it collected; scan walks both snapshots
	if cmp -s "$HF_TEST_ALERT_OUT" "$T/scan-$mode.json"; then
		ok "$m the backup's scan (from its collected changes) is the scan of a walk, byte for byte"
	else
		fail "$m the backup's scan differs from a later scan of the same snapshots"
		diff <($PY -m json.tool "$HF_TEST_ALERT_OUT") <($PY -m json.tool "$T/scan-$mode.json") | head -n 10 | sed 's/^/  | /'
	fi
	check_eq "$m scan: snapshot and against" "$snap2 $snap1" "$(json 'j["snapshot"] + " " + j["against"]')"
	verdict=$(json 'j["verdict"]')
	check_eq "$m scan: verdict attack" "attack" "$verdict"
	check_grep "$m backup after the attack printed the verdict (${verdict:-none})" "${verdict:-no verdict}" "$T/backup-out"
	$PY "$DETECT_DIR/evaluate.py" "$T/actions" "$T/scan-$mode.json" >"$T/report-$mode" 2>&1
	check_flagged "$m scan" "$T/report-$mode"
	hf scan --repo "$R" --json
	check_eq "$m scan without SNAPSHOT: the latest against its parent" "$snap2 $snap1" "$(json 'j["snapshot"] + " " + j["against"]')"

	hf restore --repo "$R" --last-clean --target "$T/restore"
	check_rc "$m restore --last-clean: exit 0" 0
	cat "$T/out" "$T/err" >"$T/restore-out"
	check_restore "$m restore --last-clean gives back every original file, bit for bit, and nothing else" \
		"$CORPUS" "$T/restore$S"
	# what restore must say it skipped: files the attack created under a new name, notes
	mapfile -t skipped < <(awk -F'\t' '($1 == "created" && $2 != $3) || $1 == "note" { print $2 }' "$T/actions")
	if [ ${#skipped[@]} -gt 0 ]; then
		check_mentions "$m restore --last-clean names the files it skipped" "$T/restore-out" "${skipped[@]}"
	fi

	if [ "$mode" = "$first_mode" ] && [ "$mode" != notes ]; then
		victim=$(awk -F'\t' '$1 == "modified" || ($1 == "created" && $2 == $3) { print $2; exit }' "$T/actions")
		[ -n "$victim" ] || victim=$(awk -F'\t' '$1 == "deleted" { print $2; exit }' "$T/actions")
		hf history --repo "$R" "$victim" --json
		check_rc "$m history --json of an attacked file: exit 0" 0
		vers=$(history_versions 2>&1)
		check_eq "$m history: a clean version, then an encrypted one" "clean encrypted" \
			"$(awk '{ print $1 }' <<<"$vers" | tr '\n' ' ' | sed 's/ $//')"
		if awk '$2 == "None" || $3 == "None" || $4 == "None" { bad = 1 } END { exit bad }' <<<"$vers" && [ -n "$vers" ]; then
			ok "$m history: every version has size, type and time"
		else
			fail "$m history: size/type/time missing"
			head -c 600 "$T/out" | sed 's/^/  | /'
		fi
		hf history --repo "$R" "$victim"
		check_rc "$m history (text): exit 0" 0

		hf snapshots --repo "$R" --json
		snap_field "$snap2" "$MARKED" >"$T/mark"
		check_grep "$m snapshots --json: the attacked snapshot is marked" 'attack' "$T/mark"
		check_eq "$m snapshots --json: the last clean snapshot is pinned" "True" "$(snap_field "$snap1" "$PINNED")"

		hf forget --repo "$R" --keep-last 1 --prune
		check_rc "$m forget --keep-last 1 --prune" 0
		check_eq "$m forget keeps the pinned last clean snapshot" "$snap1 $snap2" "$(snap_ids)"
		rm -rf "$T/restore"
		hf restore --repo "$R" --last-clean --target "$T/restore"
		check_rc "$m restore --last-clean after forget --prune: exit 0" 0
		check_restore "$m restore --last-clean after forget --prune gives every original back" \
			"$CORPUS" "$T/restore$S"
		hf check --repo "$R" --read-data
		check_rc "$m check --read-data after forget --prune" 0

		hf unpin --repo "$R" "$snap1"
		check_rc "$m unpin" 0
		hf snapshots --repo "$R" --json
		check_eq "$m unpinned" "False" "$(snap_field "$snap1" "$PINNED")"
		hf forget --repo "$R" --keep-last 1 --prune
		check_rc "$m forget --keep-last 1 --prune, unpinned" 0
		rm -rf "$T/restore"
		hf restore --repo "$R" --last-clean --target "$T/restore"
		check_rc "$m restore --last-clean after forget of the unpinned snapshot: exit 0" 0
		check_restore "$m forget keeps the newest clean version of every file, pinned or not" \
			"$CORPUS" "$T/restore$S"
		hf pin --repo "$R" "$snap2"
		check_rc "$m pin" 0
		hf snapshots --repo "$R" --json
		check_eq "$m pinned" "True" "$(snap_field "$snap2" "$PINNED")"
		hf pin --repo "$R" 0000000000
		check_rc "$m pin of an unknown snapshot: exit 1" 1
	fi
	grep -E '^(touched|encrypted|suspicious|missed|unlisted|notes|notes_listed|other_encrypted) ' "$T/report-$mode" |
		tr '\n' ' ' | sed "s/^/$m /; s/\$/\n/"
	rm -rf "$RD" "$S" "$T/restore"
done

finish
