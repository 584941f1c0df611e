#!/usr/bin/env bash
# 03-incremental.sh — incremental backups: parent selection, the new/changed/unchanged
# counts, diff, restore of every snapshot as the tree was then, change detection via
# ctime alone, --exclude, --one-file-system, and an unreadable file (exit 3).
#
# Parent directories of the backed-up path (if a snapshot records them at all: see
# 01-init-backup-restore.sh, which checks that it does not) are left out of the
# comparisons here, so that one fault is not counted in every check.
#
# What diff must say (decided here): a directory whose own metadata changed is "M";
# adding or removing an entry changes its directory's mtime, so that directory is "M"
# too; a directory whose content changed only deeper down is not. atime is not a
# change (reading a tree moves directory atimes; holdfast must not report those).
. "$(dirname "$0")/lib.sh"

R=$(repo_url repo) RD=$(repo_dir repo)
S=$T/src

# under DIR — keep the lines (of ls or diff output) naming DIR or a path below it
under() { grep -E -e "^([-+M] )?$1\$" -e "^([-+M] )?$1/"; }

mkdir -p "$S"/{mod,add,del,keep}
cp -a /usr/share/doc/bash "$S/keep/bash"
echo 'original content' >"$S/mod/file"
echo 'to be deleted' >"$S/del/gone"
echo 'stays' >"$S/del/stays"
echo 'stays' >"$S/add/old"
printf 'same size AAAA\n' >"$S/ctime-only"
set_atimes "$S"
n_files=$(count_entries "$S" -type f)

hf init --repo "$R"
check_rc "init" 0
hf backup --repo "$R" --json "$S"
check_rc "backup 1" 0
snap1=$(json 'j["snapshot"]')
check_eq "backup 1: all files new" "$n_files" "$(json 'j["files_new"]')"
cp -a "$S" "$T/copy1"   # the tree as it was at snapshot 1 (cp -a keeps the pre-read atimes)

# a backup of a different path set in between must not become the next parent
hf backup --repo "$R" --json "$S/keep"
check_rc "backup of a different path set" 0
snap_other=$(json 'j["snapshot"]')
check_eq "different path set: no parent" "null" "$(json 'j["parent"]')"

# modify one, add one, delete one
echo 'modified content, longer than before' >>"$S/mod/file"
echo 'brand new' >"$S/add/new"
rm "$S/del/gone"

# every repository file but config is written once and never changed afterwards
# (s3 mode: no files to hash; every object is written once there anyway, or
# refused by Object Lock)
repo_state() { [ "$HF_TEST_REPO_KIND" = s3 ] || (cd "$RD" && find . -type f ! -path ./config -exec sha256sum {} + | sort); }
repo_state >"$T/state1"

hf backup --repo "$R" --json "$S"
check_rc "backup 2" 0
snap2=$(json 'j["snapshot"]')
check_eq "backup 2: parent = snapshot 1 (same host, same paths)" "$snap1" "$(json 'j["parent"]')"
check_eq "backup 2: files_unchanged = untouched files" "$((n_files - 2))" "$(json 'j["files_unchanged"]')"
check_eq "backup 2: files_changed = 1" "1" "$(json 'j["files_changed"]')"
check_eq "backup 2: files_new = 1" "1" "$(json 'j["files_new"]')"
check_eq "backup 2: bytes_read = the changed and new files only" \
	"$(($(stat -c %s "$S/mod/file") + $(stat -c %s "$S/add/new")))" "$(json 'j["bytes_read"]')"

hf diff --repo "$R" "$snap1" "$snap2"
check_rc "diff" 0
check_eq "diff lists exactly the changes, sorted by path" \
	"M $S/add
+ $S/add/new
M $S/del
- $S/del/gone
M $S/mod/file" "$(under "$S" <"$T/out")"
hf diff --repo "$R" "$snap1" "$snap1"
check_eq "diff of a snapshot with itself is empty" "" "$(cat "$T/out")"
hf diff --repo "$R" "${snap2:0:8}" "${snap1:0:8}"
check_eq "diff in the other direction (by short ids)" \
	"M $S/add
- $S/add/new
M $S/del
+ $S/del/gone
M $S/mod/file" "$(under "$S" <"$T/out")"

# change the content but keep size and mtime: only ctime tells
cp -a "$S/ctime-only" "$T/ctime-ref"
printf 'same size BBBB\n' | dd of="$S/ctime-only" conv=notrunc status=none
touch -r "$T/ctime-ref" "$S/ctime-only"
check_eq "ctime test setup: size and mtime unchanged" "$(stat -c '%s %Y %y' "$T/ctime-ref")" \
	"$(stat -c '%s %Y %y' "$S/ctime-only")"
hf backup --repo "$R" --json "$S"
check_rc "backup 3" 0
snap3=$(json 'j["snapshot"]')
check_eq "backup 3: parent = snapshot 2" "$snap2" "$(json 'j["parent"]')"
check_eq "backup 3: the file changed only in ctime is re-read" "1" "$(json 'j["files_changed"]')"
check_eq "backup 3: everything else unchanged" "$((n_files - 1))" "$(json 'j["files_unchanged"]')"
repo_state >"$T/state3"
check_eq "backups 2 and 3 changed or removed no existing repository file" "" \
	"$(comm -23 "$T/state1" "$T/state3")"
hf diff --repo "$R" "$snap2" "$snap3"
check_eq "diff 2 -> 3: the ctime-only change" "M $S/ctime-only" "$(under "$S" <"$T/out")"

# every snapshot restores as the tree was at its time
hf restore --repo "$R" "$snap1" --target "$T/r1"
check_rc "restore snapshot 1" 0
check_tree "snapshot 1 = the tree at backup 1" "$T/copy1" "$T/r1$S"
hf restore --repo "$R" "$snap2" --target "$T/r2"
check_rc "restore snapshot 2" 0
check_true "snapshot 2 has the modified file" cmp -s <(printf 'original content\nmodified content, longer than before\n') "$T/r2$S/mod/file"
check_true "snapshot 2 has the new file" test -f "$T/r2$S/add/new"
check_true "snapshot 2 lacks the deleted file" test ! -e "$T/r2$S/del/gone"
check_true "snapshot 2 still has the old ctime-only content" cmp -s "$T/ctime-ref" "$T/r2$S/ctime-only"
hf restore --repo "$R" "$snap3" --target "$T/r3"
check_rc "restore snapshot 3" 0
# atimes of the source were moved by cp -a above; the restore is compared without them
check_tree "snapshot 3 = the current tree" "$S" "$T/r3$S" --no-atime
hf restore --repo "$R" "$snap_other" --target "$T/r4"
check_tree "the other path set's snapshot" "$T/copy1/keep" "$T/r4$S/keep" --no-atime

# --- type changes and metadata-only changes -------------------------------------
# a metadata change must reach the new snapshot even though the content is the same
Y=$T/ty
mkdir -p "$Y/b"
echo a >"$Y/a"
echo f >"$Y/b/f"
ln -s a "$Y/c"
echo m >"$Y/meta"
echo x >"$Y/xa"
set_atimes "$Y"
hf backup --repo "$R" --json "$Y"
check_rc "type changes: backup 1" 0
ty1=$(json 'j["snapshot"]')
cp -a "$Y" "$T/ycopy1"
rm "$Y/a" && ln -s meta "$Y/a"                        # file -> symlink
rm -r "$Y/b" && echo 'now a file' >"$Y/b"              # directory -> file
rm "$Y/c" && mkdir "$Y/c" && echo in >"$Y/c/in"        # symlink -> directory
chmod 0640 "$Y/meta" && chown 1234:5678 "$Y/meta"      # mode and owner only
setfattr -n user.added -v value "$Y/xa"                # an xattr only
hf backup --repo "$R" --json "$Y"
check_rc "type changes: backup 2" 0
ty2=$(json 'j["snapshot"]')
check_eq "type changes: parent" "$ty1" "$(json 'j["parent"]')"
hf diff --repo "$R" "$ty1" "$ty2"
check_rc "type changes: diff" 0
check_eq "type changes: diff shows type and metadata changes as M" \
	"M $Y
M $Y/a
M $Y/b
- $Y/b/f
M $Y/c
+ $Y/c/in
M $Y/meta
M $Y/xa" "$(under "$Y" <"$T/out")"
hf restore --repo "$R" "$ty1" --target "$T/rty1"
check_rc "type changes: restore 1" 0
check_tree "type changes: snapshot 1 as it was" "$T/ycopy1" "$T/rty1$Y"
hf restore --repo "$R" "$ty2" --target "$T/rty2"
check_rc "type changes: restore 2" 0
check_tree "type changes: snapshot 2 as it is (new types, mode, owner, xattr)" "$Y" "$T/rty2$Y" --no-atime

# --- --exclude ---------------------------------------------------------------
mkdir -p "$T/ex/sub/cache" "$T/ex/other"
echo a >"$T/ex/a.txt"
echo b >"$T/ex/b.log"
echo c >"$T/ex/sub/c.log"
echo d >"$T/ex/sub/cache/d.txt"
echo e >"$T/ex/other/e.txt"
echo f >"$T/ex/other/cache"
hf backup --repo "$R" --exclude '*.log' --exclude "$T/ex/sub/cache" "$T/ex"
check_rc "backup with --exclude" 0
hf ls --repo "$R" latest
check_eq "--exclude by base name and by full path" \
	"$T/ex
$T/ex/a.txt
$T/ex/other
$T/ex/other/cache
$T/ex/other/e.txt
$T/ex/sub" "$(under "$T/ex" <"$T/out")"

# --- --one-file-system --------------------------------------------------------
mkdir -p "$T/ofs/mnt"
echo top >"$T/ofs/top"
if mount -t tmpfs -o size=4m hf-test "$T/ofs/mnt" 2>/dev/null; then
	# shellcheck disable=SC2317 # called from the EXIT trap in lib.sh
	cleanup_hook() { umount "$T/ofs/mnt" 2>/dev/null; }
	echo inside >"$T/ofs/mnt/inside"
	hf backup --repo "$R" --one-file-system "$T/ofs"
	check_rc "backup --one-file-system" 0
	hf ls --repo "$R" latest
	# the mount point itself may be recorded (as an empty directory), its content not
	if grep -q "^$T/ofs/mnt/inside\$" "$T/out"; then
		fail "--one-file-system: other file system's content was backed up"
	else
		ok "--one-file-system: other file system's content skipped"
	fi
	check_true "--one-file-system: own content kept" grep -q "^$T/ofs/top\$" "$T/out"
	hf backup --repo "$R" "$T/ofs"
	check_rc "backup without --one-file-system" 0
	hf ls --repo "$R" latest
	check_true "without --one-file-system: mounted content included" grep -q "^$T/ofs/mnt/inside\$" "$T/out"
	umount "$T/ofs/mnt"
else
	skip "--one-file-system: cannot mount a tmpfs here (not root, or no CAP_SYS_ADMIN)"
fi

# --- unreadable file: exit 3, named on stderr, snapshot saved ---------------------
U=$T/unr
mkdir -p "$U/locked" "$U/open"
echo 'cannot read me' >"$U/locked/secret"
chown 1234:1234 "$U/locked/secret"
chmod 000 "$U/locked/secret"
echo 'readable' >"$U/open/fine"
cp /usr/share/doc/bash/copyright "$U/open/copyright"
set_atimes "$U"
# sanity: without DAC capabilities root really cannot read it
if setpriv --inh-caps=-dac_override,-dac_read_search --bounding-set=-dac_override,-dac_read_search \
	-- cat "$U/locked/secret" >/dev/null 2>&1; then
	fail "setpriv did not drop CAP_DAC_OVERRIDE (test setup)"
else
	ok "setpriv drops the DAC capabilities"
fi
n_snaps() { # (not through hf: $T/out is the backup's)
	timeout 120 "$HF_BIN" snapshots --repo "$R" --json 2>/dev/null | $PY -c 'import json,sys; print(len(json.load(sys.stdin)))'
}
n_snaps_before=$(n_snaps)
timeout 300 setpriv --inh-caps=-dac_override,-dac_read_search --bounding-set=-dac_override,-dac_read_search \
	-- "$HF_BIN" backup --repo "$R" --json "$U" >"$T/out" 2>"$T/err"
RC=$?
check_rc "backup with an unreadable file: exit 3" 3
check_grep "the unreadable file is named on stderr" "$U/locked/secret" "$T/err"
check_eq "--json: errors = 1" "1" "$(json 'j["errors"]')"
check_eq "the snapshot was saved anyway" "$((n_snaps_before + 1))" "$(n_snaps)"
snap_u=$(json 'j["snapshot"]')
hf restore --repo "$R" "$snap_u" --target "$T/ru"
check_rc "restore of the snapshot with the unreadable file" 0
check_tree "the readable files restore identically" "$U/open" "$T/ru$U/open"
check_true "the unreadable file is not restored with made-up content" \
	test ! -s "$T/ru$U/locked/secret"

hf check --repo "$R" --read-data
check_rc "check --read-data at the end" 0

finish
