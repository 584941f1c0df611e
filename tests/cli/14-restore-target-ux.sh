#!/usr/bin/env bash
# 14-restore-target-ux.sh — a restore never writes into what is already in the
# target (a hard link to a file elsewhere, a symlink, a file where a directory
# goes); names with control characters, backslashes and bytes that are not
# UTF-8 are printed escaped, one entry per line; and the messages for a
# password file that is a directory, a full repository, a torn file in a first
# backup, a PATH not in the snapshot and a bad snapshot id say what is wrong;
# a target is made with its missing parents.
. "$(dirname "$0")/lib.sh"

R=$(repo_url repo)
S=$T/src

check_no_grep() { # name, extended regexp, file: the file must not match
	if grep -Eq -- "$2" "$3"; then
		fail "$1: /$2/ found in $(basename "$3")"
		head -c 2000 "$3" | sed 's/^/  | /'
	else
		ok "$1"
	fi
}

# --- restore into a target that holds links to files outside it --------------
mkdir -p "$S/etc" "$S/dir" "$S/hl"
printf 'root:x:0:0::/root:/bin/sh\n' >"$S/etc/passwd"
chmod 644 "$S/etc/passwd"
echo group-a >"$S/hl/a"
ln "$S/hl/a" "$S/hl/b" # a hard-link group of two
mkfifo "$S/fifo"
ln -s /nowhere "$S/link"
echo inside >"$S/dir/f"
is_root=0
[ "$(id -u)" -eq 0 ] && is_root=1
[ $is_root -eq 1 ] && mknod "$S/null" c 1 3

hf init --repo "$R"
check_rc "init" 0
hf backup --repo "$R" --no-detect "$S"
check_rc "backup of the tree" 0

G=$T/tgt
O=$T/outside
mkdir -p "$G$S/etc" "$G$S/hl" "$O/dir"
# an outside file for each entry of the tree, hard-linked into the target at its path
for n in passwd a fifo link null dirfile; do
	printf 'outside %s\n' "$n" >"$O/$n"
	chmod 600 "$O/$n"
done
ln "$O/passwd" "$G$S/etc/passwd"
ln "$O/a" "$G$S/hl/a"
ln "$O/fifo" "$G$S/fifo"
ln "$O/link" "$G$S/link"
[ $is_root -eq 1 ] && ln "$O/null" "$G$S/null"
ln -s "$O/dir" "$G$S/dir" # a symlink where a directory goes

hf restore --repo "$R" latest --target "$G"
check_rc "restore into the target holding outside links" 0
for n in passwd a fifo link null; do
	[ $is_root -eq 0 ] && [ $n = null ] && continue
	check_eq "the outside file hard-linked at $n keeps its content" "outside $n" "$(cat "$O/$n")"
	check_eq "the outside file hard-linked at $n keeps its mode" "600" "$(stat -c %a "$O/$n")"
	check_eq "the outside file hard-linked at $n has no other name left" "1" "$(stat -c %h "$O/$n")"
done
check_true "nothing was written into the outside directory a symlink pointed to" test -z "$(ls -A "$O/dir")"
check_tree "the restored tree equals the source" "$S" "$G$S"

# a regular file in the target where the snapshot has a directory: replaced, not followed
G2=$T/tgt2
mkdir -p "$G2$S"
ln "$O/dirfile" "$G2$S/dir"
hf restore --repo "$R" latest --target "$G2"
check_rc "restore over a file where a directory goes" 0
check_eq "the outside file linked where a directory goes is unchanged" "outside dirfile" "$(cat "$O/dirfile")"
check_tree "that restore equals the source" "$S" "$G2$S"

# restoring again into a full target (every file exists) gives the same tree
hf restore --repo "$R" latest --target "$G"
check_rc "a second restore into the same target" 0
check_tree "the second restore equals the source" "$S" "$G$S"
check_eq "the hard-link group is one inode again" "$(stat -c %i "$G$S/hl/a")" "$(stat -c %i "$G$S/hl/b")"

# --- --password-file that is a directory ---------------------------------------
hf snapshots --repo "$R" --password-file "$T"
check_rc "--password-file DIR: exit 1" 1
check_grep "--password-file DIR says it is a directory" "password file .*: Is a directory" "$T/err"
check_no_grep "--password-file DIR does not call the passphrase empty" "empty" "$T/err"
printf '\n' >"$T/emptypass"
hf snapshots --repo "$R" --password-file "$T/emptypass"
check_rc "an empty password file: exit 1" 1
check_grep "an empty password file is named" "password file .*emptypass is empty" "$T/err"

# --- ls of a PATH the snapshot does not hold; snapshot ids ---------------------
hf ls --repo "$R" latest /nonexistent/x
check_rc "ls SNAPSHOT /nonexistent: exit 1" 1
check_grep "ls names the missing path" "/nonexistent/x: not in snapshot [0-9a-f]{8}" "$T/err"
hf ls --repo "$R" latest "$S/etc/passwd"
check_rc "ls SNAPSHOT FILE still works" 0
hf snapshots --repo "$R" --json
snap=$(json 'j[-1]["id"]')
hf ls --repo "$R" "${snap:0:3}"
check_rc "ls with a 3-hex-digit id: exit 1" 1
check_grep "a 3-hex-digit id: says at least 4 hex digits are needed" "at least 4 hex digits" "$T/err"
hf ls --repo "$R" "zz${snap:0:6}"
check_rc "ls with a non-hex id: exit 1" 1
check_grep "a non-hex id: says what a snapshot id is" "not a snapshot id: .*latest.*hex digits" "$T/err"
hf ls --repo "$R" "$(tr a-f A-F <<<"${snap:0:8}")"
check_rc "an id prefix in capitals names the snapshot" 0
hf ls --repo "$R" "${snap}0"
check_rc "a 65-digit id: exit 1" 1
check_grep "a 65-digit id: says an id has 64 digits" "64 hex digits" "$T/err"

# --- names with control characters, backslashes, bytes that are not UTF-8 -----
N=$T/names
mkdir -p "$N"
echo x >"$N/"$'new\nline'
echo red >"$N/"$'esc\e[31mred'
echo x >"$N/"$'tab\tx'
echo x >"$N/"$'back\\slash'
echo x >"$N/"$'bad\xffbyte'
echo x >"$N/"$'del\x7f'
echo x >"$N/"$'c1\xc2\x9bcsi'
echo x >"$N/"$'caf\xc3\xa9'
hf backup --repo "$R" --no-detect "$N"
check_rc "backup of the odd names" 0
hf ls --repo "$R" latest "$N"
check_rc "ls of the odd names" 0
check_eq "ls: one line per entry, control characters, backslash and non-UTF-8 bytes escaped" \
"$N
$N/back\\\\slash
$N/bad\\xffbyte
$N/c1\\xc2\\x9bcsi
$N/café
$N/del\\x7f
$N/esc\\e[31mred
$N/new\\nline
$N/tab\\tx" "$(cat "$T/out")"
hf ls --repo "$R" --long latest "$N"
check_eq "ls --long: one line per entry too" "9" "$(wc -l <"$T/out")"
check_no_grep "ls --long prints no escape character" $'\e' "$T/out"
rm "$N/"$'esc\e[31mred'
echo x >"$N/"$'added\e]0;title\a'
hf backup --repo "$R" --no-detect "$N"
hf snapshots --repo "$R" --json
a=$(json 'j[-2]["id"]')
b=$(json 'j[-1]["id"]')
hf diff --repo "$R" "$a" "$b"
check_rc "diff of the odd names" 0
check_eq "diff escapes names too" "+ $N/added\\e]0;title\\a
- $N/esc\\e[31mred" "$(grep -v '^M' "$T/out")"
hf history --repo "$R" "$N/"$'esc\e[31mred'
check_rc "history of a path that was removed" 0
check_no_grep "history prints no escape character" $'\e' "$T/out"
hf history --repo "$R" "$N/"$'nothing\e[2J'
check_rc "history of a path never backed up: exit 1" 1
check_grep "the history error escapes the path" 'nothing\\e\[2J: no snapshot' "$T/err"
# a restore error names the path escaped: a non-empty directory where a file goes
G3=$T/tgt3
mkdir -p "$G3$N/"$'new\nline/sub'
hf restore --repo "$R" latest --target "$G3" --include "$N"
check_rc "restore with an entry it cannot write: exit 1" 1
check_grep "the restore error escapes the name" 'new\\nline: cannot create file' "$T/err"

# --- a torn file in a first backup: left out, not "previous version kept" ------
R2=$(repo_url repo2)
S2=$T/src2
mkdir -p "$S2"
random_file "$S2/grow" 60
hf init --repo "$R2"
writer() {
	while :; do
		head -c 4096 /dev/urandom >>"$S2/grow"
		sleep 0.002
	done
}
writer &
wpid=$!
sleep 0.2
hf backup --repo "$R2" --no-detect "$S2"
rc=$RC
kill "$wpid"
wait "$wpid" 2>/dev/null
RC=$rc
check_rc "first backup while a file grows: exit 3" 3
check_grep "the torn file is said to be left out" "$S2/grow: changed while being read; left out" "$T/err"
check_no_grep "no previous version is claimed" "previous version kept" "$T/err"

# --- a repository on a full file system: the repository write is blamed ------
M=$T/small
mkdir -p "$M"
if mount -t tmpfs -o size=24m tmpfs "$M" 2>/dev/null; then
	cleanup_hook() { umount "$M" 2>/dev/null; }
	S3=$T/src3
	mkdir -p "$S3"
	random_file "$S3/big" 40
	hf init --repo "$M/repo"
	hf backup --repo "$M/repo" --no-detect "$S3"
	check_rc "backup into a full repository: exit 1" 1
	check_grep "the error names the repository" "cannot write to the repository $M/repo: No space left on device" "$T/err"
	check_no_grep "the source file is not blamed" "big: read error" "$T/err"
	umount "$M"
else
	ok "skipped: cannot mount a small tmpfs here (not root, or no CAP_SYS_ADMIN)"
fi
# history and scan of a snapshot holding an empty file that became non-empty, and back
# (an empty file is read into no buffer: under the sanitizer build this once failed)
E=$T/empty-src
mkdir -p "$E"
: >"$E/empty"
echo one >"$E/text"
hf backup --repo "$R" "$E"
check_rc "backup of a tree with an empty file" 0
echo now-something >"$E/empty"
: >"$E/text"
hf backup --repo "$R" "$E"
check_rc "backup after the empty file filled and the other emptied" 0
hf history --repo "$R" "$E/empty"
check_rc "history of a file that was empty" 0
hf history --repo "$R" "$E/text"
check_rc "history of a file that became empty" 0
hf scan --repo "$R" latest
check_rc "scan of the snapshot with an emptied file" 0

# --before that is neither a time nor a snapshot: a usage error, before the passphrase
HOLDFAST_PASSWORD= hf restore --repo "$R" --last-clean --before garbage --target "$T/before"
check_rc "restore --last-clean --before garbage: exit 2" 2
check_grep "it says what --before takes" "neither a time .* nor a snapshot" "$T/err"
hf restore --repo "$R" --last-clean --before 2001-01-01 --target "$T/before"
check_rc "--before a time with no snapshot before it: exit 1" 1
check_grep "it says so" "no snapshot before" "$T/err"

# a target whose parents do not exist yet: made, as mkdir -p would (restic
# does the same); a parent that is a file is an error that says so
hf restore --repo "$R" latest --target "$T/new/deeper/target" --include "$E/text"
check_rc "restore into a target whose parents are missing" 0
check_true "the file is there" test -f "$T/new/deeper/target$E/text"
echo file >"$T/plainfile"
hf restore --repo "$R" latest --target "$T/plainfile/target"
check_rc "restore under a file: exit 1" 1
check_grep "it says why" "[Nn]ot a directory" "$T/err"

finish
