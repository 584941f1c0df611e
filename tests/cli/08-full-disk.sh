#!/usr/bin/env bash
# 08-full-disk.sh — a repository on a file system that fills up during a
# backup: the backup fails with a clear error (exit 1), writes no snapshot,
# the repository still passes check, and once there is room again the next
# backup completes and restores. A target that fills up during a restore:
# restore exits 1 and names what it could not write.
. "$(dirname "$0")/lib.sh"

M=$T/small R=$T/small/repo RD=$T/small/repo
# https mode: the small file system is the server's directory of the repository
[ "$HF_TEST_REPO_KIND" = https ] && M=$(repo_dir repo) R=$(repo_url repo) RD=$(repo_dir repo)
mkdir -p "$M"
if ! mount -t tmpfs -o size=24m tmpfs "$M" 2>/dev/null; then
	skip "the whole scenario: cannot mount a small tmpfs here (not root, or no CAP_SYS_ADMIN)"
	finish
fi
umount_small() { server_stop; umount "$M" 2>/dev/null; } # the server holds it open
trap 'umount_small; cleanup' EXIT

S=$T/src
mkdir -p "$S"
cp -a /usr/share/doc/bash "$S/docs"
random_file "$S/big" 40 # does not fit in the 24 MiB file system with the rest

hf init --repo "$R"
check_rc "init on the small file system" 0
hf backup --repo "$R" "$S"
check_rc "backup that fills the file system: exit 1" 1
check_grep "the error says the disk is full" "No space left on device" "$T/err"
check_true "no snapshot was written" test -z "$(ls "$RD/snapshots")"
hf check --repo "$R" --read-data
check_rc "check --read-data after the failed backup" 0

# room again (the file system grows): the same repository takes the next backup
mount -o remount,size=96m "$M"
hf backup --repo "$R" --json "$S"
check_rc "backup once there is room" 0
hf restore --repo "$R" latest --target "$T/r1"
check_rc "restore of that backup" 0
check_tree "the restored tree equals the source" "$S" "$T/r1$S"

# a restore target that fills up
mkdir -p "$M/target"
dd if=/dev/zero of="$M/filler" bs=1M count=100 2>/dev/null # fill what is left
hf restore --repo "$R" latest --target "$M/target"
check_rc "restore into a full file system: exit 1" 1
check_grep "restore names the problem" "No space left on device" "$T/err"
finish
