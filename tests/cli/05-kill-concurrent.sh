#!/usr/bin/env bash
# 05-kill-concurrent.sh — crash consistency and concurrency: a backup killed with
# SIGKILL at three points leaves a repository that checks clean (with --read-data) and
# takes the next backup; two backups of different trees into one repository at the
# same time both succeed and both restore.
. "$(dirname "$0")/lib.sh"

R=$(repo_url repo) RD=$(repo_dir repo)
S=$T/src

# ~200 MB of real files from /usr/lib (structure kept) and a 200 MB pseudorandom file;
# none over 20 MB, so one large file (chromium's 280 MB binary) cannot end the list early
mkdir -p "$S/lib"
find /usr/lib -type f -size +20k -size -20M -printf '%s %p\n' 2>/dev/null | sort -k2 |
	awk '{ t += $1; if (t > 200 * 1048576) exit; sub(/^[0-9]+ /, ""); print }' >"$T/list"
tar -cf - -T "$T/list" 2>/dev/null | tar -xf - -C "$S/lib"
random_file "$S/random.bin" 200
set_atimes "$S"
size_mb=$(($(du -sb "$S" | cut -f1) / 1048576))
check_true "source tree is ~400 MB ($size_mb MB)" test "$size_mb" -ge 350

hf init --repo "$R"
check_rc "init" 0

# --- kill -9 during backup, three times -------------------------------------------
n_killed=0
for delay in 0.3 1 2; do
	"$HF_BIN" backup --repo "$R" "$S" >"$T/out" 2>"$T/err" &
	pid=$!
	sleep "$delay"
	kill -9 "$pid" 2>/dev/null
	{ wait "$pid"; } 2>/dev/null
	rc=$?
	if [ "$rc" -eq 137 ]; then
		n_killed=$((n_killed + 1))
		ok "backup killed after ${delay}s"
	else
		skip "backup killed after ${delay}s: it finished first (exit $rc)"
	fi
	hf check --repo "$R" --read-data
	check_rc "after kill at ${delay}s: check --read-data" 0
	hf check --repo "$R"
	check_rc "after kill at ${delay}s: check" 0
done
hf snapshots --repo "$R" --json
check_rc "snapshots after the kills" 0
# A kill can land after a backup wrote its snapshot (while it scans or exits): such a
# snapshot must be whole. Any snapshot the killed backups left restores identically.
for id in $(json '" ".join(s["id"] for s in j)'); do
	rm -rf "$T/rk"
	hf restore --repo "$R" "$id" --target "$T/rk"
	check_rc "a snapshot a killed backup left (${id:0:8}) restores" 0
	check_tree "a snapshot a killed backup left (${id:0:8}) is whole" "$S" "$T/rk$S"
done
rm -rf "$T/rk"

hf backup --repo "$R" --json "$S"
check_rc "full backup after the kills" 0
snap=$(json 'j["snapshot"]')
check_eq "full backup: no errors" "0" "$(json 'j["errors"]')"
echo "note: the full backup took $(json 'j["seconds"]') s (the kills were at 0.3, 1 and 2 s)"
hf check --repo "$R" --read-data
check_rc "check --read-data after the full backup" 0
hf restore --repo "$R" "$snap" --target "$T/r"
check_rc "restore of the full backup" 0
check_tree "full backup restores identically" "$S" "$T/r$S"
rm -rf "$T/r"

# --- two backups at once -----------------------------------------------------------
mkdir -p "$T/a/sub" "$T/b/sub"
random_file "$T/a/sub/ra.bin" 60
random_file "$T/b/sub/rb.bin" 60
cp -a /usr/share/doc/bash "$T/a/doc"
cp -a /usr/include/linux "$T/b/inc"
# a file both trees share: deduplicated by two writers at once
random_file "$T/a/shared.bin" 20
cp "$T/a/shared.bin" "$T/b/shared.bin"
set_atimes "$T/a"
set_atimes "$T/b"

bg_backup() { # NAME DIR
	timeout 300 "$HF_BIN" backup --repo "$R" --json "$2" >"$T/out.$1" 2>"$T/err.$1"
	echo $? >"$T/rc.$1"
}
bg_backup a "$T/a" &
bg_backup b "$T/b" &
wait
for x in a b; do
	RC=$(cat "$T/rc.$x")
	cp "$T/out.$x" "$T/out"
	cp "$T/err.$x" "$T/err"
	check_rc "concurrent backup $x" 0
done
snap_a=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["snapshot"])' "$T/out.a" 2>/dev/null)
snap_b=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["snapshot"])' "$T/out.b" 2>/dev/null)
hf check --repo "$R" --read-data
check_rc "check --read-data after concurrent backups" 0
hf snapshots --repo "$R" --json
check_eq "both concurrent snapshots listed" "true" "$(json "{'$snap_a', '$snap_b'} <= {s['id'] for s in j}")"
hf restore --repo "$R" "$snap_a" --target "$T/ra"
check_rc "restore concurrent snapshot a" 0
check_tree "concurrent snapshot a restores identically" "$T/a" "$T/ra$T/a"
hf restore --repo "$R" "$snap_b" --target "$T/rb"
check_rc "restore concurrent snapshot b" 0
check_tree "concurrent snapshot b restores identically" "$T/b" "$T/rb$T/b"

# --- kill -9 during forget --prune ------------------------------------------------------
hf backup --repo "$R" --json "$T/a"
check_rc "one more backup of a" 0
snap_a2=$(json 'j["snapshot"]')
hf backup --repo "$R" --json "$T/b"
check_rc "one more backup of b" 0
# --grace 0: the deletion happens in this run, where the kill can land in it
"$HF_BIN" forget --repo "$R" --keep-last 1 --prune --grace 0 >"$T/out" 2>"$T/err" &
pid=$!
sleep 0.2
kill -9 "$pid" 2>/dev/null
{ wait "$pid"; } 2>/dev/null
echo "note: forget --prune killed after 0.2s, exit $?"
hf check --repo "$R" --read-data
check_rc "after a killed prune: check --read-data" 0
hf snapshots --repo "$R" --json
if [ "$(json "'$snap_a2' in [s['id'] for s in j]")" = true ]; then
	hf restore --repo "$R" "$snap_a2" --target "$T/ra2"
	check_rc "after a killed prune: a snapshot it did not get to remove restores" 0
	check_tree "after a killed prune: that snapshot is intact" "$T/a" "$T/ra2$T/a"
fi
hf forget --repo "$R" --keep-last 1 --prune --grace 0
check_rc "forget --prune after a killed one" 0
hf check --repo "$R" --read-data
check_rc "check --read-data after the prune completed" 0
local_files "repository layout after the prunes" || check_repo_layout "repository layout after the prunes" "$RD"

# --- a backup and a forget --prune at the same time ----------------------------------
# Not both need succeed (a lock may turn one away with exit 1), but the repository must
# check clean afterwards and a backup that reported success must restore: a prune must
# not delete what a running backup has written and is about to reference.
mkdir -p "$T/c"
random_file "$T/c/rc.bin" 100
cp -a /usr/share/doc/bash "$T/c/doc"
set_atimes "$T/c"
bg_backup c "$T/c" &
bgpid=$!
sleep 0.4
hf forget --repo "$R" --keep-last 1 --prune --grace 0
frc=$RC
wait "$bgpid"
crc=$(cat "$T/rc.c")
echo "note: backup during prune exit $crc, prune during backup exit $frc"
check_true "backup during prune: exit 0 or 1 (got $crc)" test "$crc" -le 1
check_true "prune during backup: exit 0 or 1 (got $frc)" test "$frc" -le 1
hf check --repo "$R" --read-data
check_rc "check --read-data after a backup and a prune ran together" 0
if [ "$crc" -eq 0 ]; then
	snap_c=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["snapshot"])' "$T/out.c" 2>/dev/null)
	hf restore --repo "$R" "$snap_c" --target "$T/rc"
	check_rc "restore of the backup that ran during the prune" 0
	check_tree "the backup that ran during the prune restores identically" "$T/c" "$T/rc$T/c"
	rm -rf "$T/rc"
fi

finish
