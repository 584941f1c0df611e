#!/usr/bin/env bash
# 43-write-only.sh — write-only keys on a local repository (docs/DESIGN.md, "Write-only
# clients"): key add --write-only makes a kind-2 key file under a passphrase of its own;
# backup with --key-file (or HOLDFAST_KEY_FILE) deduplicates without the secret key (a
# second backup of the same tree adds next to nothing), never against a pack a pending
# deletion condemns; every command that reads is refused with one clear error and exit 2;
# the full key restores what the write-only key saved, bit for bit. The local cache of the
# last write-only snapshot's trees (HOLDFAST_CACHE_DIR) makes the next backup incremental,
# a damaged cache only costs reading, and a stale one (its chunks pruned since) cannot
# make a snapshot name data that is gone.
. "$(dirname "$0")/lib.sh"

R=$T/repo
S=$T/src
K=$T/client.key
WO_PASS='client only secret'
mkdir -p "$S/docs" "$S/data" "$S/gone"
cp -a /usr/share/doc/bash "$S/docs/"
random_file "$S/data/big" 6
random_file "$S/data/other" 2
echo 'small file' >"$S/data/small"
set_atimes "$S"

export HOLDFAST_CACHE_DIR=$T/cache

# wo ARGS... — holdfast with the write-only key's passphrase
wo() { HOLDFAST_PASSWORD=$WO_PASS hf "$@"; }

hf init --repo "$R"
check_rc "init" 0

# --- key add -------------------------------------------------------------------------
HOLDFAST_NEW_PASSWORD=$WO_PASS hf key add --write-only --out "$K" --repo "$R"
check_rc "key add --write-only" 0
check_grep "key add says what the file is for" "write-only key written to .*client.key" "$T/out"
check_eq "the key file is 0600" "600" "$(stat -c %a "$K")"
check_eq "the key file is kind 2 (write-only)" "2" "$(od -An -tu1 -j8 -N1 "$K" | tr -d ' ')"
check_eq "the key file is not added to keys/" "1" "$(find "$R/keys" -type f | wc -l)"
before=$(sha256sum "$K")
HOLDFAST_NEW_PASSWORD=$WO_PASS hf key add --write-only --out "$K" --repo "$R"
check_rc "key add refuses to overwrite a file" 1
check_grep "key add: says the file exists" "exists" "$T/err"
check_eq "the existing key file is untouched" "$before" "$(sha256sum "$K")"
hf key add --out "$T/full.key" --repo "$R"
check_rc "key add without --write-only is a usage error" 2
check_true "nothing written without --write-only" test ! -e "$T/full.key"
echo "$WO_PASS" >"$T/wo-pass"
env -u HOLDFAST_NEW_PASSWORD "$HF_BIN" key add --write-only --out "$T/second.key" --repo "$R" \
	--new-password-file "$T/wo-pass" </dev/null >"$T/out" 2>"$T/err"
RC=$?
check_rc "key add --new-password-file" 0

# --- opening with the key file ----------------------------------------------------------
hf backup --repo "$R" --key-file "$K" "$S"
check_rc "the repository's passphrase does not open the write-only key file" 1
check_grep "and says so" "key file .*: the passphrase does not open the key file" "$T/err"
wo backup --repo "$R" "$S"
check_rc "the write-only passphrase opens nothing in keys/" 1
wo backup --repo "$R" --key-file "$T/no-such.key" "$S"
check_rc "a missing key file" 1
check_grep "a missing key file: says so" "cannot read key file .*no-such.key" "$T/err"
head -c 100 "$K" >"$T/short.key"
wo backup --repo "$R" --key-file "$T/short.key" "$S"
check_rc "a truncated key file" 1
check_grep "a truncated key file: says so" "damaged or is no holdfast key file" "$T/err"
mkdir -p "$T/other"
hf init --repo "$T/other"
HOLDFAST_NEW_PASSWORD=$WO_PASS hf key add --write-only --out "$T/other.key" --repo "$T/other"
wo backup --repo "$R" --key-file "$T/other.key" "$S"
check_rc "another repository's write-only key" 1
check_grep "another repository's key: says so" "made for another repository" "$T/err"

# --- backups with the write-only key ------------------------------------------------
wo backup --repo "$R" --key-file "$K" --json "$S"
check_rc "write-only backup 1" 0
wo1=$(json 'j["snapshot"]')
check_eq "write-only backup 1: no parent" "null" "$(json 'j["parent"]')"
check_eq "write-only backup 1: not scanned" "null" "$(json 'j["scan"]')"
wo backup --repo "$R" --key-file "$K" --no-cache "$S"
check_rc "write-only backup (text, --no-cache)" 0
check_grep "the text output says why there is no scan" "no earlier snapshot of these paths in the local cache" "$T/out"
b1=$(repo_bytes "$R")
HOLDFAST_KEY_FILE=$K wo backup --repo "$R" --json --no-cache "$S"
check_rc "write-only backup with HOLDFAST_KEY_FILE, --no-cache" 0
wo3=$(json 'j["snapshot"]')
check_eq "no parent without the cache" "null" "$(json 'j["parent"]')"
check_eq "every file read again (no parent)" "$(count_entries "$S" -type f)" "$(json 'j["files_new"]')"
check_eq "nothing new stored: deduplicated against the id lists" "0" "$(json 'j["bytes_added"]')"
b2=$(repo_bytes "$R")
check_true "the repository grew by less than 1% ($b1 -> $b2)" test $(((b2 - b1) * 100)) -lt "$b1"

# --- every command that reads is refused ----------------------------------------------
declare -A READS=(
	[snapshots]=""
	[ls]="latest"
	[diff]="latest latest"
	[restore]="latest --target $T/wo-restore"
	[check]=""
	[forget]="--keep-last 1"
	[prune]=""
	[scan]=""
	[history]="$S/data/small"
	[pin]="latest"
	[unpin]="latest"
	[key]="add --write-only --out $T/third.key"
)
for cmd in "${!READS[@]}"; do
	# shellcheck disable=SC2086 # the arguments are words
	wo "$cmd" --repo "$R" --key-file "$K" ${READS[$cmd]}
	check_rc "$cmd with the write-only key: refused, exit 2" 2
	check_grep "$cmd with the write-only key: says why" \
		"^holdfast: $cmd: this key is write-only: it cannot read the repository" "$T/err"
	check_eq "$cmd with the write-only key: nothing on stdout" "" "$(cat "$T/out")"
done
check_true "restore with the write-only key wrote nothing" test ! -e "$T/wo-restore"
check_true "key add with the write-only key wrote nothing" test ! -e "$T/third.key"
check_eq "the refusals removed no snapshot" "3" "$(find "$R/snapshots" -type f | wc -l)"

# --- the full key reads what the write-only key wrote ---------------------------------
hf snapshots --repo "$R"
check_rc "snapshots with the full key" 0
check_grep "the full key lists the three write-only snapshots" "^3 snapshots$" "$T/out"
hf restore --repo "$R" latest --target "$T/r1"
check_rc "restore latest with the full key" 0
check_tree "the write-only snapshot restores bit for bit" "$S" "$T/r1$S"
hf restore --repo "$R" "${wo1:0:12}" --target "$T/r2"
check_rc "restore the first write-only snapshot" 0
check_tree "the first write-only snapshot restores bit for bit" "$S" "$T/r2$S"
hf check --repo "$R" --read-data
check_rc "check --read-data with the full key" 0
hf backup --repo "$R" --json "$S"
check_rc "a full-key backup after write-only ones" 0
check_eq "its parent is the last write-only snapshot" "$wo3" "$(json 'j["parent"]')"

# --- the local cache: incremental write-only backups ----------------------------------
n_files=$(count_entries "$S" -type f)
check_true "backup 1 left a cache (its trees and 'last')" test -f "$T/cache/$(ls "$T/cache")/current/last"
wo backup --repo "$R" --key-file "$K" --json "$S"
check_rc "write-only backup with the cache" 0
wo4=$(json 'j["snapshot"]')
check_eq "its parent is the snapshot the cache holds (backup 1)" "$wo1" "$(json 'j["parent"]')"
check_eq "every file unchanged" "$n_files" "$(json 'j["files_unchanged"]')"
check_eq "no file read" "0" "$(json 'j["bytes_read"]')"
echo 'appended' >>"$S/data/small"
echo 'a new file' >"$S/docs/new"
wo backup --repo "$R" --key-file "$K" --json "$S"
check_rc "write-only backup after a change" 0
wo5=$(json 'j["snapshot"]')
check_eq "its parent is the last write-only snapshot" "$wo4" "$(json 'j["parent"]')"
check_eq "one file changed" "1" "$(json 'j["files_changed"]')"
check_eq "one file new" "1" "$(json 'j["files_new"]')"
hf restore --repo "$R" "${wo5:0:12}" --target "$T/r4"
check_rc "restore the incremental write-only snapshot" 0
check_tree "it restores bit for bit" "$S" "$T/r4$S"
check_true "the cache is readable by nobody but its owner" \
	test "$(stat -c %a "$T/cache/$(ls "$T/cache")/current")" = 700

# a damaged tree in the cache: that directory is read in full, the snapshot is right. The
# tree files' names say nothing of their directory (and change as directory times do):
# damage one at random per backup (each backup writes the cache anew) until one holds
# files but not all of them (a tree above the backed-up path makes every file be read).
C=$T/cache/$(ls "$T/cache")/current
n_files=$(count_entries "$S" -type f)
found=0
for _ in $(seq 40); do
	victim=$(find "$C" -type f ! -name last | shuf -n 1)
	printf 'X' | dd of="$victim" bs=1 seek=20 conv=notrunc 2>/dev/null
	wo backup --repo "$R" --key-file "$K" --json "$S"
	[ "$RC" -eq 0 ] || break
	if grep -q "missing or damaged in the local cache" "$T/err" && [ "$(json 'j["bytes_read"]')" -gt 0 ] &&
		[ "$(json 'j["files_unchanged"]')" -gt 0 ]; then
		found=1
		break
	fi
done
check_rc "write-only backups with a damaged cache tree" 0
check_eq "a damaged cache tree: said so, its directory's files read again, the others not" 1 "$found"
check_eq "no damaged parent counted" "0" "$(json 'j["damaged_parent_trees"]')"
hf restore --repo "$R" latest --target "$T/r5"
check_tree "that snapshot restores bit for bit" "$S" "$T/r5$S"
# a damaged 'last': no parent, every file read
printf 'X' | dd of="$C/last" bs=1 seek=20 conv=notrunc 2>/dev/null
wo backup --repo "$R" --key-file "$K" --json "$S"
check_rc "write-only backup with a damaged cache 'last'" 0
check_eq "no parent" "null" "$(json 'j["parent"]')"

# a stale cache: the cached snapshot holds $S/data/stale, which a full-key backup leaves
# out; forget --prune (no grace) removes the cached snapshot and the file's chunks. The
# file is unchanged on disk, so the cache calls it unchanged: its chunks must be found
# missing from the index and the file read and stored again.
random_file "$S/data/stale" 2
wo backup --repo "$R" --key-file "$K" "$S"
check_rc "write-only backup with the soon-stale file" 0
hf backup --repo "$R" --exclude stale "$S"
check_rc "full-key backup without it" 0
hf forget --repo "$R" --keep-last 1 --prune --grace 0
check_rc "forget --keep-last 1 --prune --grace 0" 0
wo backup --repo "$R" --key-file "$K" --json "$S"
check_rc "write-only backup with the stale cache" 0
check_true "the file whose chunks are gone was stored again ($(json 'j["bytes_added"]') bytes)" \
	test "$(json 'j["bytes_added"]')" -ge $((2 * 1048576))
hf restore --repo "$R" latest --target "$T/r6"
check_rc "restore after the stale cache" 0
check_tree "it restores bit for bit" "$S" "$T/r6$S"
hf check --repo "$R" --read-data
check_rc "check --read-data" 0
export HOLDFAST_CACHE_DIR=$T/cache-after-prune-test # the pending-deletion test starts without a cache

# --- beside a pending deletion: never deduplicate against a condemned pack ------------
# snapshot A holds $S/gone/unique; it is forgotten and prune condemns its pack (grace
# 3 s). The write-only backup that follows needs that content again: it must store it
# again, not rely on the condemned pack, or the prune after the grace would break it.
random_file "$S/gone/unique" 3
hf backup --repo "$R" "$S"
check_rc "backup with the unique file" 0
mv "$S/gone/unique" "$T/unique.saved"
hf backup --repo "$R" "$S"
check_rc "backup without it" 0
hf forget --repo "$R" --keep-last 1 --prune --grace 3s
check_rc "forget --prune with a grace period (the plan is pending)" 0
check_true "a pending deletion was written" test "$(find "$R/pending" -type f | wc -l)" -ge 1
mv "$T/unique.saved" "$S/gone/unique"
wo backup --repo "$R" --key-file "$K" --json "$S"
check_rc "write-only backup beside the pending deletion" 0
wo_after=$(json 'j["snapshot"]')
check_true "it stored the condemned content again ($(json 'j["bytes_added"]') bytes)" \
	test "$(json 'j["bytes_added"]')" -ge $((3 * 1048576))
sleep 4
hf prune --repo "$R" --grace 3s
check_rc "prune after the grace period" 0
hf restore --repo "$R" "${wo_after:0:12}" --target "$T/r3"
check_rc "restore the write-only snapshot after the prune" 0
check_tree "it restores bit for bit" "$S" "$T/r3$S"
hf check --repo "$R" --read-data
check_rc "check --read-data after the prune" 0

finish
