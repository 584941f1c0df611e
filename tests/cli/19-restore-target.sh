#!/usr/bin/env bash
# 19-restore-target.sh — restore into a target that already holds things: whatever is at
# a restored path is replaced, never written through (finding S3 of the 2026-12 attack
# run: a hard link planted in the target let restore overwrite a file outside it).
# Planted hard links (to a plain file and to the first name of a hard-link group),
# symlinks, FIFOs and empty directories at restored paths; files outside the target
# keep their content and mode; the restored files are the backed-up ones.
. "$(dirname "$0")/lib.sh"

R=$T/repo
S=$T/src
O=$T/outside
mkdir -p "$S/etc" "$S/links" "$O"
printf 'root:x:0:0:root:/root:/bin/bash\n' >"$S/etc/passwd"
printf 'group data\n' >"$S/links/h1"
ln "$S/links/h1" "$S/links/h2"
printf 'plain\n' >"$S/links/plain"
printf 'fifo victim\n' >"$S/links/was-fifo"
printf 'dir victim\n' >"$S/links/was-dir"
chmod 644 "$S/etc/passwd"

hf init --repo "$R"
check_rc "init" 0
hf backup --repo "$R" "$S"
check_rc "backup" 0

# plant_outside NAME: a file outside the target with known content and mode 0600
plant_outside() {
	printf 'outside %s: must not change\n' "$1" >"$O/$1"
	chmod 600 "$O/$1"
}
# outside_intact NAME: content and mode as planted
outside_intact() {
	check_eq "outside file $1 keeps its content" "outside $1: must not change" "$(cat "$O/$1")"
	check_eq "outside file $1 keeps its mode" 600 "$(stat -c %a "$O/$1")"
}

D=$T/target
mkdir -p "$D$S/etc" "$D$S/links"
plant_outside passwd
ln "$O/passwd" "$D$S/etc/passwd"
plant_outside h1
ln "$O/h1" "$D$S/links/h1"
plant_outside h2
ln "$O/h2" "$D$S/links/h2"
plant_outside plain
ln -s "$O/plain" "$D$S/links/plain"
mkfifo "$D$S/links/was-fifo"
mkdir "$D$S/links/was-dir"

hf restore --repo "$R" latest --target "$D"
check_rc "restore into a target with planted links" 0
for f in passwd h1 h2 plain; do
	outside_intact "$f"
done
check_true "etc/passwd restored" cmp -s "$S/etc/passwd" "$D$S/etc/passwd"
check_eq "etc/passwd has its own mode" 644 "$(stat -c %a "$D$S/etc/passwd")"
check_eq "etc/passwd is no longer linked to the outside file" 1 "$(stat -c %h "$D$S/etc/passwd")"
check_true "h1 restored" cmp -s "$S/links/h1" "$D$S/links/h1"
check_true "h2 restored" cmp -s "$S/links/h2" "$D$S/links/h2"
check_eq "h1 and h2 are one inode again" "$(stat -c %i "$D$S/links/h1")" "$(stat -c %i "$D$S/links/h2")"
check_eq "h1 and h2: two links, none outside" 2 "$(stat -c %h "$D$S/links/h1")"
check_true "a symlink at a file's path is replaced by the file" test -f "$D$S/links/plain" -a ! -L "$D$S/links/plain"
check_true "plain restored" cmp -s "$S/links/plain" "$D$S/links/plain"
check_true "a FIFO at a file's path is replaced by the file" test -f "$D$S/links/was-fifo" -a ! -p "$D$S/links/was-fifo"
check_true "was-fifo restored" cmp -s "$S/links/was-fifo" "$D$S/links/was-fifo"
check_true "an empty directory at a file's path is replaced by the file" test -f "$D$S/links/was-dir"
check_true "was-dir restored" cmp -s "$S/links/was-dir" "$D$S/links/was-dir"

# restoring again over its own earlier restore: the same files, nothing outside touched
hf restore --repo "$R" latest --target "$D"
check_rc "restore over an earlier restore" 0
check_tree "restore over an earlier restore gives the backed-up tree" "$S" "$D$S" --no-atime
for f in passwd h1 h2 plain; do
	outside_intact "$f"
done

finish
