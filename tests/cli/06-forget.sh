#!/usr/bin/env bash
# 06-forget.sh — retention: forget --keep-last/--keep-daily with --prune removes the
# right snapshots and the data only they used, the rest checks clean and restores;
# pin/unpin: a pinned snapshot survives forget and prune, unpinned it goes with its marks.
#
# Restores are compared without atimes: the copies of the tree at each snapshot are
# made with cp -a, which reads (and so moves the atimes of) the source between backups.
. "$(dirname "$0")/lib.sh"

R=$(repo_url repo) RD=$(repo_dir repo)
S=$T/src

mkdir -p "$S"
cp -a /usr/share/doc/bash "$S/doc"
echo 0 >"$S/counter"

hf init --repo "$R" $(short_lock_args)
check_rc "init" 0

snaps=()
for i in 1 2 3 4 5; do
	random_file "$S/rand$i" 4 # data only snapshot i has
	rm -f "$S/rand$((i - 1))"
	echo "$i" >>"$S/counter"
	hf backup --repo "$R" --json "$S"
	check_rc "backup $i" 0
	snaps+=("$(json 'j["snapshot"]')")
	rm -rf "$T/copy$i"
	cp -a "$S" "$T/copy$i"
	sleep 1 # distinct snapshot times
done

hf snapshots --repo "$R" --json
check_eq "5 snapshots, oldest first" "${snaps[*]}" "$(json '" ".join(s["id"] for s in j)')"
before=$(repo_size repo)

# two phases: forget --prune plans the deletion; a prune after the grace period does it
hf forget --repo "$R" --keep-last 2 --prune --grace 3s
check_rc "forget --keep-last 2 --prune --grace 3s" 0
cp "$T/out" "$T/forget.out"
check_grep "forget --prune: the deletion is planned" '^planned: [1-9][0-9]* pack' "$T/out"
check_grep "forget --prune: nothing deleted yet" '^pruned: 0 pack' "$T/out"
check_grep "forget --prune: says when it is carried out" 'carried out by a prune run after' "$T/out"
check_true "nothing freed before the grace period" test "$(repo_size repo)" -ge "$before"
hf prune --repo "$R"
check_rc "prune before the plan is due" 0
check_grep "prune before the plan is due deletes nothing" '^pruned: 0 pack' "$T/out"
hf check --repo "$R" --read-data
check_rc "check --read-data while a deletion is pending" 0
sleep 3
hf prune --repo "$R"
check_rc "prune after the grace period" 0
check_grep "prune after the grace period deletes the planned packs" '^pruned: [1-9][0-9]* pack' "$T/out"
cp "$T/forget.out" "$T/out"
check_eq "3 'remove' lines" "3" "$(grep -c '^remove ' "$T/out")"
for i in 0 1 2; do
	check_grep "remove line for snapshot $((i + 1))" "^remove ${snaps[$i]:0:8}" "$T/out"
done
for i in 3 4; do
	if grep -q "^remove ${snaps[$i]:0:8}" "$T/out"; then
		fail "snapshot $((i + 1)) must be kept"
	else
		ok "snapshot $((i + 1)) not removed"
	fi
done
hf snapshots --repo "$R" --json
check_eq "the 2 newest remain" "${snaps[3]} ${snaps[4]}" "$(json '" ".join(s["id"] for s in j)')"
after=$(repo_size repo)
# snapshots 1-3 alone held 12 MiB of incompressible data
check_true "repository shrank by >= 8 MiB ($before -> $after bytes)" \
	test $((before - after)) -ge $((8 * 1048576))
local_files "repository layout after prune" || check_repo_layout "repository layout after prune" "$RD"
hf check --repo "$R" --read-data
check_rc "check --read-data after prune" 0
for i in 3 4; do
	hf restore --repo "$R" "${snaps[$i]}" --target "$T/r$i"
	check_rc "restore of kept snapshot $((i + 1))" 0
	check_tree "kept snapshot $((i + 1)) restores identically" "$T/copy$((i + 1))" "$T/r$i$S" --no-atime
done
hf restore --repo "$R" "${snaps[0]}" --target "$T/rgone"
check_rc "restore of a forgotten snapshot fails" 1

# a new backup after prune still deduplicates against what is left and checks clean
hf backup --repo "$R" --json "$S"
check_rc "backup after prune" 0
check_eq "backup after prune: parent is the newest kept snapshot" "${snaps[4]}" "$(json 'j["parent"]')"
snap6=$(json 'j["snapshot"]')
check_true "backup after prune: little new data" test "$(json 'j["bytes_added"]')" -lt 1048576
hf check --repo "$R" --read-data
check_rc "check --read-data after a backup on the pruned repository" 0

# --keep-daily 1: all three remaining are from today (UTC); only the newest stays
hf forget --repo "$R" --keep-daily 1 --prune --grace 0
check_rc "forget --keep-daily 1 --prune" 0
check_eq "--keep-daily 1: 2 'remove' lines" "2" "$(grep -c '^remove ' "$T/out")"
hf snapshots --repo "$R" --json
check_eq "--keep-daily 1 keeps only the newest of today" "$snap6" "$(json '" ".join(s["id"] for s in j)')"
hf check --repo "$R" --read-data
check_rc "check --read-data after the second prune" 0
hf restore --repo "$R" latest --target "$T/r6"
check_rc "restore after the second prune" 0
check_tree "the last snapshot restores identically" "$S" "$T/r6$S" --no-atime

# forget without --prune only removes snapshots; data stays until a prune
hf backup --repo "$R" "$S"
check_rc "one more backup" 0
hf forget --repo "$R" --keep-last 1
check_rc "forget --keep-last 1 (no --prune)" 0
check_eq "forget without --prune: one snapshot removed" "1" "$(grep -c '^remove ' "$T/out")"
hf check --repo "$R" --read-data
check_rc "check --read-data after forget without prune" 0

# the other rules: two snapshots taken within seconds share their hour, day, week, month
# and year, so each rule alone keeps only the newer one
for rule in hourly weekly monthly yearly; do
	hf backup --repo "$R" --json "$S"
	check_rc "backup before --keep-$rule" 0
	newest=$(json 'j["snapshot"]')
	hf snapshots --repo "$R" --json
	check_rc "snapshots before --keep-$rule" 0
	same_hour=$(json 'len({s["time"][:13] for s in j}) == 1 and len(j) == 2')
	hf forget --repo "$R" --keep-$rule 1
	check_rc "forget --keep-$rule 1" 0
	if [ "$same_hour" = true ]; then
		hf snapshots --repo "$R" --json
		check_eq "--keep-$rule 1 keeps only the newer of two" "$newest" "$(json '" ".join(s["id"] for s in j)')"
	else
		skip "--keep-$rule 1 keeps only the newer of two: the snapshots straddle an hour boundary"
	fi
done
hf forget --repo "$R" --keep-last 1 --keep-daily 3 --keep-weekly 2 --keep-monthly 2 --keep-yearly 2 --keep-hourly 2 --prune --grace 0
check_rc "all rules together with one snapshot: exit 0" 0
check_eq "all rules together with one snapshot: nothing removed" "0" "$(grep -c '^remove ' "$T/out")"
hf check --repo "$R" --read-data
check_rc "check --read-data at the end" 0

# usage errors
hf forget --repo "$R"
check_rc "forget without any --keep option: exit 2" 2
hf forget --repo "$R" --prune
check_rc "forget --prune without any --keep option: exit 2" 2
hf forget --repo "$R" --keep-last abc
check_rc "forget --keep-last with a non-number: exit 2" 2
hf snapshots --repo "$R" --json
check_eq "usage errors removed nothing" "1" "$(json 'len(j)')"

# --- pins: a pinned snapshot is kept by forget whatever the rules say; unpinned, it goes
random_file "$S/randpin" 4 # data only the pinned snapshot has
hf backup --repo "$R" --json "$S"
check_rc "backup to pin" 0
pinned=$(json 'j["snapshot"]')
rm -rf "$T/copypin"
cp -a "$S" "$T/copypin"
rm -f "$S/randpin"
hf snapshots --repo "$R" --json
older=$(json '" ".join(s["id"] for s in j if s["id"] != "'"$pinned"'")') # left by the tests above
for i in 1 2; do
	echo "after pin $i" >>"$S/counter"
	hf backup --repo "$R" --json "$S"
	check_rc "backup $i after the one to pin" 0
	[ "$i" = 1 ] && between=$(json 'j["snapshot"]')
done
newest=$(json 'j["snapshot"]')
nmarks() { repo_count repo marks; }
marks0=$(nmarks)

hf pin --repo "$R" "${pinned:0:8}" --reason "keep for the audit"
check_rc "pin by id prefix" 0
check_grep "pin says what it did" "^pinned ${pinned:0:8} \(keep for the audit\)$" "$T/out"
check_eq "pin wrote one mark object" "$((marks0 + 1))" "$(nmarks)"
hf pin --repo "$R" "$pinned"
check_rc "pin again" 0
check_grep "pin again: already pinned" "already pinned" "$T/out"
check_eq "pin again wrote nothing" "$((marks0 + 1))" "$(nmarks)"
hf unpin --repo "$R" latest
check_rc "unpin of a snapshot that is not pinned" 0
check_grep "unpin of an unpinned snapshot: not pinned" "not pinned" "$T/out"
check_eq "unpin of an unpinned snapshot wrote nothing" "$((marks0 + 1))" "$(nmarks)"
hf pin --repo "$R" ffffffff
check_rc "pin of an unknown snapshot: exit 1" 1
hf pin --repo "$R"
check_rc "pin without SNAPSHOT: exit 2" 2
hf pin --repo "$R" latest latest
check_rc "pin with two SNAPSHOTs: exit 2" 2
hf pin --repo "$R" latest --reason "$(head -c 1025 /dev/zero | tr '\0' x)"
check_rc "pin with a reason over 1024 bytes: exit 2" 2
check_eq "refused pins wrote nothing" "$((marks0 + 1))" "$(nmarks)"

hf snapshots --repo "$R" --json
check_rc "snapshots --json with a pin" 0
check_eq "snapshots --json: only the pinned one is pinned" "$pinned" \
	"$(json '" ".join(s["id"] for s in j if s["pinned"] is True)')"
check_eq "snapshots --json: pinned is a boolean everywhere" "true" \
	"$(json 'all(isinstance(s["pinned"], bool) for s in j)')"
check_eq "snapshots --json: verdict is null or a verdict name" "true" \
	"$(json 'all(s["verdict"] in (None, "clean", "suspicious", "attack") for s in j)')"
hf snapshots --repo "$R"
check_rc "snapshots (text) with a pin" 0
check_grep "snapshots (text): the pinned one says pinned" "^${pinned:0:8} .* pinned " "$T/out"
check_eq "snapshots (text): one pinned line" "1" "$(grep -c ' pinned ' "$T/out")"

hf forget --repo "$R" --keep-last 1 --dry-run
check_rc "forget --dry-run with a pin" 0
check_grep "forget --dry-run: the pinned snapshot is kept, and says why" \
	"^keep $pinned \(kept: pinned\)$" "$T/out"
before=$(repo_size repo)
hf forget --repo "$R" --keep-last 1 --prune --grace 0
check_rc "forget --keep-last 1 --prune with a pin" 0
check_grep "forget: the pinned snapshot is kept (kept: pinned)" "^keep $pinned \(kept: pinned\)$" "$T/out"
check_grep "forget: the newest is kept by the rule" "^keep $newest$" "$T/out"
check_grep "forget: the one between is removed" "^remove $between( \(locked in the store until its date.*\))?$" "$T/out"
check_eq "forget: it and the snapshots older than the pinned one are removed" \
	"$(($(wc -w <<<"$older") + 1))" "$(grep -c '^remove ' "$T/out")"
hf snapshots --repo "$R" --json
check_eq "forget --keep-last 1 kept the pinned and the newest" "$pinned $newest" \
	"$(json '" ".join(s["id"] for s in j)')"
hf check --repo "$R" --read-data
check_rc "check --read-data with a pin after prune" 0
hf restore --repo "$R" "$pinned" --target "$T/rpin"
check_rc "restore of the pinned snapshot after prune" 0
check_tree "the pinned snapshot restores identically after prune" "$T/copypin" "$T/rpin$S" --no-atime

# a damaged mark could be a pin: forget refuses, check and snapshots report it
repo_copy repo damaged
mf=$(repo_objects damaged marks | head -n 1 | cut -d' ' -f2)
put_x_at_100() { printf 'X' | dd of="$1" bs=1 seek=100 conv=notrunc status=none; }
repo_edit damaged "$mf" put_x_at_100
hf check --repo "$(repo_url damaged)"
check_rc "check with a damaged mark: exit 1" 1
check_grep "check names the damaged mark" "^error: mark object $(basename "$mf" | cut -c1-16) cannot be read" "$T/err"
hf forget --repo "$(repo_url damaged)" --keep-last 1
check_rc "forget with a damaged mark: exit 1" 1
check_eq "forget with a damaged mark: nothing removed" "0" "$(grep -c '^remove ' "$T/out")"
hf snapshots --repo "$(repo_url damaged)" --json
check_rc "snapshots with a damaged mark: exit 1" 1
check_grep "snapshots with a damaged mark: says so" "mark object" "$T/err"

hf unpin --repo "$R" "${pinned:0:8}"
check_rc "unpin" 0
check_grep "unpin says what it did" "^unpinned ${pinned:0:8} " "$T/out"
hf snapshots --repo "$R" --json
check_eq "snapshots --json after unpin: nothing pinned" "false false" \
	"$(json '" ".join(str(s["pinned"]).lower() for s in j)')"
before=$(repo_size repo)
marks1=$(nmarks)
hf forget --repo "$R" --keep-last 1 --prune --grace 0
check_rc "forget --keep-last 1 --prune after unpin" 0
check_grep "forget after unpin: the formerly pinned snapshot is removed" "^remove $pinned( \(locked in the store until its date.*\))?$" "$T/out"
check_grep "forget after unpin: marks of removed snapshots are deleted" \
	"^[0-9]+ mark\(s\) of removed snapshots deleted$" "$T/out"
gone=$(sed -n 's/^\([0-9]*\) mark(s) of removed snapshots deleted$/\1/p' "$T/out")
check_true "forget after unpin: at least its pin and unpin deleted (${gone:-0})" test "${gone:-0}" -ge 2
removed=$(grep -c '^remove ' "$T/out")
check_eq "forget after unpin: that many mark files fewer, one forget record more per removed snapshot" \
	"$((marks1 + removed - ${gone:-0}))" "$(nmarks)"
hf snapshots --repo "$R" --json
check_eq "only the newest remains" "$newest" "$(json '" ".join(s["id"] for s in j)')"
after=$(repo_size repo)
check_true "the unpinned snapshot's data is gone ($before -> $after bytes)" \
	test $((before - after)) -ge $((3 * 1048576))
hf check --repo "$R" --read-data
check_rc "check --read-data after the unpinned snapshot is pruned" 0

# (a marks/ deleted under a running server stays gone: the server keeps the
# directory it opened and makes no new one; its forget records need deletion too)
if ! local_only "a repository without marks/ takes a pin, check misses its forget records"; then
	# a repository made before marks existed (no marks/) still works, and can pin
	rm -rf "$RD/marks"
	hf snapshots --repo "$R" --json
	check_rc "snapshots without marks/" 0
	check_eq "snapshots without marks/: not pinned" "false" "$(json 'str(j[0]["pinned"]).lower()')"
	hf pin --repo "$R" latest
	check_rc "pin in a repository without marks/" 0
	hf snapshots --repo "$R" --json
	check_eq "pinned in a repository that had no marks/" "true" "$(json 'str(j[0]["pinned"]).lower()')"
	# the forget records went with marks/: the parent forget removed above now
	# looks deleted outside holdfast, which is what deleting marks/ did
	hf check --repo "$R"
	check_rc "check after marks/ was deleted: exit 1" 1
	check_grep "check: the parent forget removed lost its record" \
		"names as its parent snapshot [0-9a-f]{8}, but no forget removed it" "$T/err"
	check_eq "check: nothing else is reported" "1" "$(grep -c '^error' "$T/err")"
fi

# prune right after forget: the packs of the forgotten snapshot's backup are
# young and their session has no snapshot now, but the kept snapshot uses
# them; they are kept because they are used, not reported as packs of a
# backup that may still be running. Its pack of trees may be: the trees of
# the directories above the path changed (their times), so it is mostly
# unused, and a prune an hour later rewrites it. Its data pack may not.
R2=$(repo_url repo-young)
mkdir -p "$T/young"
random_file "$T/young/a" 1
hf init --repo "$R2"
check_rc "young: init" 0
hf backup --repo "$R2" "$T/young"
check_rc "young: first backup" 0
hf backup --repo "$R2" "$T/young"
check_rc "young: second backup" 0
hf forget --repo "$R2" --keep-last 1
check_rc "young: forget --keep-last 1" 0
hf prune --repo "$R2"
check_rc "young: prune" 0
young=$(sed -n 's/^\([0-9]*\) young pack(s) of backups without a snapshot.*/\1/p' "$T/out")
if [ "${young:-0}" -gt 1 ]; then
	fail "young: prune does not count used packs as packs of unfinished backups ($(grep "without a snapshot" "$T/out"))"
else
	ok "young: prune does not count used packs as packs of unfinished backups"
fi
hf check --repo "$R2" --read-data
check_rc "young: check --read-data after prune" 0

finish
