#!/usr/bin/env bash
# 02-fidelity.sh — a tree with every kind of entry and metadata a Linux file system
# can hold must come back exactly (treecmp.py lists what "exactly" means), from a
# full restore, from a restore of an incremental snapshot, and from restore --include.
. "$(dirname "$0")/lib.sh"

R=$(repo_url repo)
S=$T/src

# make_tree — builds $S. Run in a subshell: it changes directory.
make_tree() {
	set -e
	trap 'echo "make_tree: failed at line $LINENO" >&2' ERR
	mkdir -p "$S"
	cd "$S"

	# regular files
	: >empty
	printf x >one
	find /usr/lib -type f -size +200k 2>/dev/null | head -n 100 | xargs cat 2>/dev/null |
		head -c 10485760 >big || true
	[ "$(stat -c %s big)" -eq 10485760 ]
	printf 'plain\n' >plain

	# directories, including empty ones
	mkdir -p d1/d2/d3 emptydir d1/emptysub
	echo in-d1 >d1/f
	echo in-d3 >d1/d2/d3/f
	cp /usr/share/doc/bash/copyright d1/d2/copyright

	# symlinks
	ln -s ../one d1/rel-link
	ln -s /etc/passwd abs-link
	ln -s /nonexistent/nowhere dangling-link
	ln -s $'tar\xffget\x01' nonutf8-target-link
	ln -s d1 dir-link
	chown -h 1234:5678 dir-link

	# hard links: three names in three directories
	mkdir h1 h2 h3
	echo 'hard-linked content' >h1/a
	ln h1/a h2/b
	ln h1/a h3/c

	# special files
	mkfifo fifo
	mknod chardev c 1 3
	mknod blockdev b 8 1
	mknod chardev-big c 259 1048575
	"$PY" -c 'import socket; s = socket.socket(socket.AF_UNIX); s.bind("sock")'

	# modes (chown first: it clears setuid/setgid)
	printf '#!/bin/sh\n' >suid
	chown 1234:5678 suid
	chmod 4755 suid
	printf '#!/bin/sh\n' >sgid
	chown daemon:daemon sgid
	chmod 2755 sgid
	mkdir sticky
	chmod 1777 sticky
	echo secret >m0000
	chmod 0000 m0000
	echo private >m0600
	chmod 0600 m0600
	mkdir sgid-dir
	echo x >sgid-dir/f
	chmod 2770 sgid-dir
	mkdir locked-dir
	echo locked >locked-dir/inside
	chmod 0444 locked-dir/inside

	# owners: numeric ids with no names, and a named user
	echo ids >owned-ids
	chown 1234:5678 owned-ids
	echo daemon >owned-daemon
	chown daemon:daemon owned-daemon
	mkdir owned-dir
	chown 4321:8765 owned-dir

	# xattrs (binary values, an empty value, a big value) and ACLs
	echo xattrs >xattr-file
	setfattr -n user.binary -v 0x00ff0a0d00fe xattr-file
	setfattr -n user.empty xattr-file
	"$PY" -c 'import os; os.setxattr("xattr-file", "user.big", bytes(range(256)) * 8)'
	setfattr -n user.on-dir -v dirvalue d1
	echo acl >acl-file
	setfacl -m u:1234:rwx,g:5678:r acl-file
	mkdir acl-dir
	setfacl -m u:1234:rx acl-dir
	setfacl -d -m u:1234:rwx,g:5678:rx,o::- acl-dir
	echo inherits >acl-dir/inherited

	# sparse files: holes must come back as holes
	truncate -s 1G sparse
	for off in 0 104857600 536870912 1073741823; do
		printf 'data@%s' "$off" | dd of=sparse bs=1 seek="$off" conv=notrunc status=none
	done
	truncate -s 1G sparse   # the last write may have grown it by a few bytes
	truncate -s 10M all-hole
	printf 'head' >hole-at-end
	truncate -s 5M hole-at-end

	# names: non-UTF-8 bytes, spaces, newline, tab, leading dash, glob characters
	echo a >$'bad\xff\xfe-name'
	echo b >'with space'
	echo c >$'new\nline'
	echo d >$'tab\tname'
	echo e >-leading-dash
	echo f >'*glob?[x]'
	echo g >'back\slash'
	mkdir $'dir\x80\x81'
	echo h >$'dir\x80\x81/f\xc3'
	echo i >"$(printf 'n%.0s' {1..255})"

	# a very long path: 40 levels of 120-byte names (> 4096 bytes in all)
	(
		for i in $(seq 1 40); do
			d=$(printf "level%02d-%0115d" "$i" 0)
			mkdir "$d"
			cd "$d"
		done
		echo deep >deep-file
		ln -s deep-file deep-link
	)

	# times: nanoseconds, atime distinct from mtime, before 1970 and far in the future
	find . ! -type d -execdir touch -h -m -d '2020-01-02 03:04:05.123456789' {} +
	find . ! -type d -execdir touch -h -a -d '2019-12-31 23:59:58.987654321' {} +
	touch -m -d '1960-06-01 12:00:00.000000001' one
	touch -m -d '2100-01-01 00:00:00.999999999' plain
	touch -a -d '1999-09-09 09:09:09.090909090' empty
	# directories last, deepest first (touching their content changed them)
	find . -depth -type d -execdir touch -m -d '2018-07-08 09:10:11.121314151' {} +
	chmod 0000 locked-dir
	touch -m -d '2017-01-01 01:01:01.010101010' locked-dir
	chmod 0750 .
	touch -m -d '2016-02-03 04:05:06.070809000' .
}
(make_tree)
check_true "source tree built" test -e "$S/sock" -a -e "$S/hole-at-end" -a -d "$S/locked-dir"

# the sparse test is only meaningful if the source really is sparse
check_true "source sparse file is sparse" test "$(stat -c %b "$S/sparse")" -lt 1000

hf init --repo "$R"
check_rc "init" 0
hf backup --repo "$R" --json "$S"
check_rc "backup of the full-fidelity tree" 0
check_eq "backup reports no errors" "0" "$(json 'j["errors"]')"
snap1=$(json 'j["snapshot"]')
check_true "source sparse file still sparse (backup did not change it)" \
	test "$(stat -c %b "$S/sparse")" -lt 1000

hf restore --repo "$R" latest --target "$T/r1"
check_rc "restore" 0
check_tree "restore is identical to the source (all metadata, root included)" "$S" "$T/r1$S"
check_true "restored sparse file is sparse" test "$(stat -c %b "$T/r1$S/sparse")" -lt 4000
check_true "restored all-hole file is sparse" test "$(stat -c %b "$T/r1$S/all-hole")" -lt 64

# incremental: nothing changed, every file must be taken from the parent with its
# metadata intact
hf backup --repo "$R" --json "$S"
check_rc "second backup (nothing changed)" 0
check_eq "second backup: parent is the first" "$snap1" "$(json 'j["parent"]')"
check_eq "second backup: every regular file unchanged" \
	"$(count_entries "$S" -type f)" "$(json 'j["files_unchanged"]')"
check_eq "second backup: no new files" "0" "$(json 'j["files_new"]')"
hf restore --repo "$R" latest --target "$T/r2"
check_rc "restore of the incremental snapshot" 0
check_tree "incremental snapshot restores identical" "$S" "$T/r2$S"

# restore --include: a subdirectory, a directory holding one name of a hard-link group
# whose other names are not restored, and a single file
hf restore --repo "$R" "$snap1" --target "$T/r3" --include "$S/d1" --include "$S/h2" --include "$S/with space"
check_rc "restore --include (3 paths)" 0
check_tree "--include: d1 identical" "$S/d1" "$T/r3$S/d1"
check_tree "--include: h2 identical (hard link whose group is cut)" "$S/h2" "$T/r3$S/h2"
# (metadata before content: cmp moves atimes)
check_eq "--include: file metadata" "$(stat -c '%a %u %g %s %y %x' "$S/with space")" \
	"$(stat -c '%a %u %g %s %y %x' "$T/r3$S/with space" 2>&1)"
check_true "--include: the single file is restored" cmp -s "$S/with space" "$T/r3$S/with space"
check_eq "--include: nothing else restored" "" "$(extra_paths "$T/r3" "$S/d1" "$S/h2" "$S/with space")"
check_true "--include: parent directory created" test -d "$T/r3$S"

hf restore --repo "$R" "$snap1" --target "$T/r4" --include "$S/d1/d2/d3/f"
check_rc "restore --include of one deep file" 0
check_eq "--include of one deep file: only it and its parents" "$S/d1/d2/d3/f" \
	"$(find "$T/r4" -type f -printf '/%P\n')"
for d in "$S" "$S/d1" "$S/d1/d2" "$S/d1/d2/d3"; do
	check_eq "--include of one deep file: parent ${d#"$T"} has the snapshot's metadata" \
		"$(stat -c '%a %u %g %y' "$d")" "$(stat -c '%a %u %g %y' "$T/r4$d" 2>&1)"
done

hf restore --repo "$R" "$snap1" --target "$T/r5" --include "$S/no-such-path"
check_true "--include of a path not in the snapshot: no crash" test "$RC" -lt 124
check_eq "--include of a path not in the snapshot: nothing restored" "" "$(find "$T/r5" -type f 2>/dev/null)"

hf check --repo "$R" --read-data
check_rc "check --read-data" 0

finish
