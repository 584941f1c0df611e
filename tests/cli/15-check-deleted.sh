#!/usr/bin/env bash
# 15-check-deleted.sh — check notices objects deleted outside holdfast (finding U7 of the
# 2026-12 attack run: deleting a pinned snapshot, or all of snapshots/, left check saying
# "no errors found"; a file in place of a data/ subdirectory gave "Not a directory" with
# no path). What forget and prune delete themselves stays clean. In s3 mode the
# deletions are the bucket's (a delete marker each, what anyone with the keys can add).
. "$(dirname "$0")/lib.sh"

S=$T/src
mkdir -p "$S"
random_file "$S/a" 1
echo text >"$S/b"

# fresh NAME: a repository with two snapshots, the older one pinned
fresh() {
	N=$1 R=$(repo_url "$1") RD=$(repo_dir "$1")
	hf init --repo "$R" && hf backup --repo "$R" --json "$S" || return 1
	OLD=$(json 'j["snapshot"]')
	echo more >>"$S/b"
	hf backup --repo "$R" "$S" && hf pin --repo "$R" "$OLD"
}

fresh clean || fail "set-up"
hf check --repo "$R"
check_rc "an untouched repository checks clean" 0
hf forget --repo "$R" --keep-last 1
check_rc "forget keeps the pinned snapshot" 0
hf check --repo "$R"
check_rc "after forget: still clean" 0
hf unpin --repo "$R" "$OLD"
hf forget --repo "$R" --keep-last 1 --prune --grace 0
check_rc "unpinned, forgotten and pruned" 0
hf check --repo "$R"
check_rc "after forget --prune of an unpinned snapshot: still clean" 0

fresh pin || fail "set-up"
repo_rm "$N" "snapshots/$OLD"
hf check --repo "$R"
check_rc "a pinned snapshot deleted outside holdfast: check exits 1" 1
check_grep "check names the missing pinned snapshot" "pinned snapshot ${OLD:0:8} is missing" "$T/err"

# unpinned snapshots: the newer one names the older as its parent, and
# each backup leaves a verdict mark, so either deletion leaves a trace
fresh parent || fail "set-up"
hf unpin --repo "$R" "$OLD"
repo_rm "$N" "snapshots/$OLD"
hf check --repo "$R"
check_rc "an unpinned older snapshot deleted outside holdfast: check exits 1" 1
check_grep "check names the missing parent" "parent snapshot ${OLD:0:8}, but no forget removed it" "$T/err"

fresh newest || fail "set-up"
hf snapshots --repo "$R" --json
NEW=$(json 'j[-1]["id"]')
repo_rm "$N" "snapshots/$NEW"
hf check --repo "$R"
check_rc "the newest snapshot deleted outside holdfast (its verdict mark stays): check exits 1" 1
check_grep "check names the missing newest snapshot" "names snapshot ${NEW:0:8}, but no forget removed it" "$T/err"

# forget, and forget --prune, leave nothing check takes for an attack, even
# when the snapshot forget removed is the parent of one it kept
fresh forgotparent || fail "set-up"
hf unpin --repo "$R" "$OLD"
hf forget --repo "$R" --keep-last 1
hf check --repo "$R"
check_rc "forget removed the parent: still clean" 0
hf forget --repo "$R" --keep-last 1 --prune --grace 0
hf check --repo "$R"
check_rc "and after forget --prune: still clean" 0

fresh all || fail "set-up"
repo_objects "$N" snapshots | while read -r _ rel; do repo_rm "$N" "$rel"; done
hf check --repo "$R"
check_rc "all snapshots deleted: check exits 1" 1
check_grep "check says the snapshots were deleted" "no snapshots, but the index lists data" "$T/err"

if ! local_files "a file in place of data/ff"; then
	fresh datafile || fail "set-up"
	rmdir "$RD/data/ff" 2>/dev/null || mv "$RD/data/ff" "$RD/data/ff.moved"
	echo junk >"$RD/data/ff"
	hf check --repo "$R"
	check_rc "a file in place of data/ff: check exits 1" 1
	check_grep "check names where the listing failed" "cannot list the packs \(data/" "$T/err"
fi

finish
