#!/usr/bin/env bash
# 18-prune-race.sh — a backup running beside forget --prune never reports "saved" for a
# snapshot whose data the prune deletes (finding D1 of the 2026-12 attack run).
#
# The set-up is the finding's: file A is backed up, removed and backed up again, so that
# once the older snapshot is forgotten A's data is used by nothing; then A comes back and
# a backup starts while forget --keep-last 1 --prune runs. The backup deduplicates A
# against the pack prune condemns. Each run pauses one side at one system call (strace
# fault injection: a delay at the Nth call), so every order of the two sides' steps is
# tried: a backup that exits 0 must restore bit for bit and check --read-data must pass;
# a backup that exits 1 must say a prune got in its way and leave no broken snapshot.
. "$(dirname "$0")/lib.sh"

if ! command -v strace >/dev/null; then
	fail "strace is needed (scripts/deps.sh installs it)"
	finish
fi
# the races are paced by pausing system calls of the local store (its linkat,
# unlinkat, getdents64 of repository files): with a server, the server makes them
local_only "the whole scenario: pauses at the repository's own system calls" && finish

# setup NAME: repository $T/NAME/r and source $T/NAME/s with A back, the state just before
# the racing backup
setup() {
	local d=$T/$1
	mkdir -p "$d/s"
	R=$d/r S=$d/s
	random_file "$S/A" 6
	random_file "$S/B" 2
	hf init --repo "$R" && hf backup --repo "$R" "$S" || return 1
	mv "$S/A" "$d/A.saved"
	sleep 1
	hf backup --repo "$R" "$S" || return 1
	mv "$d/A.saved" "$S/A"
	random_file "$S/C" 3
}

# judge NAME BACKUP_RC: what the racing backup said must be true
judge() {
	local name=$1 brc=$2
	if [ "$brc" -eq 0 ]; then
		hf check --repo "$R" --read-data
		check_rc "$name: backup saved, check --read-data passes" 0
		rm -rf "$T/restore"
		hf restore --repo "$R" latest --target "$T/restore"
		check_rc "$name: the saved snapshot restores" 0
		check_true "$name: A restores bit for bit" cmp -s "$S/A" "$T/restore$S/A"
		check_true "$name: C restores bit for bit" cmp -s "$S/C" "$T/restore$S/C"
	else
		check_eq "$name: a failed backup exits 1" 1 "$brc"
		check_grep "$name: the failed backup says a prune got in its way" "prune running at the same time" \
			"$T/bout"
		hf check --repo "$R" --read-data
		check_rc "$name: backup refused, check --read-data passes" 0
	fi
}

# pause SPEC: a command prefix that pauses the command at one system call; SPEC is
# SYSCALL:N:SECONDS[:PATH] (the Nth call of SYSCALL, on PATH if given, waits SECONDS
# before it runs; race replaces @S by the source directory), or - for none
pause() {
	[ "$1" = - ] && return
	local sc n sec path
	IFS=: read -r sc n sec path <<<"$1"
	# LeakSanitizer cannot work under ptrace: no leak check for the paused side
	echo env ASAN_OPTIONS=detect_leaks=0 strace -f -qq -o /dev/null ${path:+-P "$path"} -e trace="$sc" \
		-e inject="$sc":delay_enter=$((sec * 1000000)):when="$n"
}

# race NAME BACKUP_PAUSE PRUNE_PAUSE GRACE: the backup and, 0.3 s later,
# forget --keep-last 1 --prune --grace GRACE run together, each paused as given
race() {
	local name=$1 brc prc bpid
	setup "$name" || { fail "$name: set-up"; return; }
	$(pause "${2//@S/$S}") "$HF_BIN" backup --repo "$R" "$S" >"$T/bout" 2>&1 &
	bpid=$!
	sleep 0.3
	$(pause "$3") "$HF_BIN" forget --repo "$R" --keep-last 1 --prune --grace "$4" >"$T/pout" 2>&1
	prc=$?
	wait "$bpid"
	brc=$?
	echo "note: $name: backup exit $brc, prune exit $prc"
	check_eq "$name: forget --prune exit 0" 0 "$prc"
	judge "$name" "$brc"
}

# With no grace period prune deletes in the same run, as it did before it had two phases.
# The finding's order: the backup, paused for 1 s as it opens the source (after it
# loaded the index and the pending deletions), finishes while prune is paused before one
# of its deletions.
for n in 1 2 3 4 5; do
	race "backup-opensource-prune-unlinkat$n" openat:1:1:@S unlinkat:$n:3 0
done
# the backup paused at its first listings (index, pending deletions, snapshots, source)
for n in 1 3 5 7; do
	race "backup-getdents$n-prune-unlinkat3" getdents64:$n:1 unlinkat:3:3 0
done
# the backup paused as it commits each object (its packs, index, snapshot)
for n in 1 2 3; do
	race "backup-linkat$n-prune-unlinkat1" linkat:$n:1 unlinkat:1:3 0
done
# prune paused as it commits its objects (the new index, the plan)
for n in 1 2; do
	race "prune-linkat$n" - linkat:$n:2 0
done

# With a grace period (the default is an hour) the racing backup is always safe: prune
# only plans, and the prune that comes after the grace period sees the new snapshot and
# keeps A's pack.
race "backup-opensource-grace10" openat:1:2:@S - 10
check_grep "grace 10s: prune deleted nothing" '^pruned: 0 pack' "$T/pout"
check_grep "grace 10s: prune planned A's pack" '^planned: [1-9]' "$T/pout"
check_eq "grace 10s: the backup succeeded" 0 "$(grep -c 'prune running' "$T/bout")"
sleep 10
hf prune --repo "$R"
check_rc "prune after the grace period" 0
check_grep "the due pack that the new snapshot uses is rescued" 'kept that were due for deletion' "$T/out"
hf check --repo "$R" --read-data
check_rc "check --read-data after the rescue" 0
rm -rf "$T/restore"
hf restore --repo "$R" latest --target "$T/restore"
check_rc "restore after the rescue" 0
check_true "A restores bit for bit after the rescue" cmp -s "$S/A" "$T/restore$S/A"

# A backup that starts after a plan was made never deduplicates against its packs: it
# stores A again, and the later prune deletes the condemned pack.
setup "after-plan" || fail "after-plan: set-up"
hf forget --repo "$R" --keep-last 1 --prune --grace 3s
check_rc "after-plan: forget --prune plans" 0
hf backup --repo "$R" --json "$S"
check_rc "after-plan: backup" 0
check_true "after-plan: the backup stored A again (>= 6 MiB added)" \
	test "$(json 'j["bytes_added"]')" -ge $((6 * 1048576))
sleep 3
hf prune --repo "$R"
check_rc "after-plan: prune after the grace period" 0
check_grep "after-plan: the condemned pack is deleted" '^pruned: [1-9][0-9]* pack' "$T/out"
check_eq "after-plan: nothing to rescue" 0 "$(grep -c 'kept that were due' "$T/out")"
hf check --repo "$R" --read-data
check_rc "after-plan: check --read-data" 0
rm -rf "$T/restore"
hf restore --repo "$R" latest --target "$T/restore"
check_true "after-plan: A restores bit for bit" cmp -s "$S/A" "$T/restore$S/A"

# Temporary files of killed backups (finding U1): prune removes those older than an hour,
# and leaves younger ones, which may belong to a backup still writing.
R2=$T/u1/r
mkdir -p "$T/u1/s"
random_file "$T/u1/s/big" 200
hf init --repo "$R2"
"$HF_BIN" backup --repo "$R2" "$T/u1/s" >/dev/null 2>&1 &
kpid=$!
# A temporary file lives only while its pack is written: stop the backup when one is there,
# and let it go on if the file was renamed before the stop took hold.
for _ in $(seq 1 1000); do
	if [ -n "$(ls "$R2/tmp")" ]; then
		kill -STOP "$kpid" 2>/dev/null
		[ -n "$(ls "$R2/tmp")" ] && break
		kill -CONT "$kpid" 2>/dev/null
	fi
	sleep 0.01
done
kill -9 "$kpid" 2>/dev/null
wait "$kpid" 2>/dev/null
stale=$(ls "$R2/tmp" | head -n 1)
check_true "a killed backup left a temporary file" test -n "$stale"
head -c 1000 /dev/zero >"$R2/tmp/young"
[ -n "$stale" ] && touch -d '2 hours ago' "$R2/tmp/$stale"
hf prune --repo "$R2"
check_rc "prune with temporary files left" 0
check_grep "prune says it removed the stale temporary file" '^1 temporary file' "$T/out"
check_true "the stale temporary file is gone" test ! -e "$R2/tmp/$stale"
check_true "the young temporary file stays" test -e "$R2/tmp/young"

finish
