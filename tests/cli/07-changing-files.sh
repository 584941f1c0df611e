#!/usr/bin/env bash
# 07-changing-files.sh — files that change while the backup reads them are
# reported (exit 3) and never stored torn: the snapshot keeps the previous
# version, or leaves a file out that has none. Also: progress is shown on a
# terminal and not otherwise.
. "$(dirname "$0")/lib.sh"

R=$(repo_url repo)
S=$T/src
mkdir -p "$S"
cp -a /usr/share/doc/bash "$S/stable"
random_file "$S/grow" 200
random_file "$S/fresh.seed" 1

hf init --repo "$R"
check_rc "init" 0
hf backup --repo "$R" --json "$S"
check_rc "backup 1 (nothing changing)" 0
snap1=$(json 'j["snapshot"]')
cp "$S/grow" "$T/grow.v1"

# a writer appends to grow (which has a parent version) and to fresh (which has none)
writer() {
	while :; do
		head -c 4096 /dev/urandom >>"$S/grow"
		head -c 4096 /dev/urandom >>"$S/fresh"
		sleep 0.002
	done
}
head -c 100000000 /dev/zero | openssl enc -aes-128-ctr -nosalt -pass pass:x -pbkdf2 2>/dev/null >"$S/fresh"
writer &
wpid=$!
sleep 0.2
hf backup --repo "$R" --json "$S"
rc=$RC
kill "$wpid"; wait "$wpid" 2>/dev/null
RC=$rc
check_rc "backup 2 while two files grow: exit 3" 3
check_grep "backup 2 names the growing file" "$S/grow: changed while being read" "$T/err"
check_grep "backup 2 names the new growing file" "$S/fresh: changed while being read" "$T/err"
snap2=$(json 'j["snapshot"]')
check_true "backup 2 still saved a snapshot" grep -Eqx '[0-9a-f]{64}' <<<"$snap2"
check_true "backup 2 is a new snapshot" test "$snap2" != "$snap1"

hf restore --repo "$R" "$snap2" --target "$T/r2"
check_rc "restore of snapshot 2" 0
check_true "grow came back as it was in snapshot 1, not torn" cmp -s "$T/grow.v1" "$T/r2$S/grow"
check_true "fresh (no earlier version) was left out" test ! -e "$T/r2$S/fresh"
check_tree "the stable files restore identically" "$S/stable" "$T/r2$S/stable"
hf check --repo "$R" --read-data
check_rc "check --read-data after the torn files" 0

# progress: on a terminal a progress line appears; off a terminal, nothing
if command -v script >/dev/null; then
	HOLDFAST_PASSWORD=$HOLDFAST_PASSWORD script -qefc "$HF_BIN restore --repo $R $snap1 --target $T/r3" "$T/tty.log" >/dev/null
	check_grep "restore on a terminal shows progress" "restore: [0-9]+ files, [0-9.]+ MiB" "$T/tty.log"
	hf restore --repo "$R" "$snap1" --target "$T/r4"
	check_rc "restore off a terminal" 0
	check_eq "restore off a terminal prints no progress" "" "$(grep -c 'MiB/s' "$T/err" | grep -v '^0$')"
else
	skip "progress on a terminal: no script(1) here (package bsdutils)"
fi
finish
