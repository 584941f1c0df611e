#!/usr/bin/env bash
# 04-check-corrupt.sh — damage a repository in the ways disks and attackers do and make
# sure check finds it, names what is affected, never crashes, and that restore still
# gets back what is undamaged.
#
# Decided here: a snapshot whose blobs no index lists is damaged (check exits 1), even
# if the packs holding them are still there — an unindexed pack is only the leftover of
# an interrupted backup and is not trusted. Every scenario works on a fresh copy of
# one pristine repository. In s3 mode the damage is done through the bucket's API (an
# object put over another adds a version, a removal a delete marker: what anyone with
# the bucket's keys can do, Object Lock or not).
. "$(dirname "$0")/lib.sh"

R0=$(repo_url pristine)
S=$T/src

mkdir -p "$S"
cp -a /usr/share/doc/bash "$S/docs"
for i in 1 2 3; do random_file "$S/rand$i" 3; done
set_atimes "$S"

hf init --repo "$R0"
check_rc "init" 0
hf backup --repo "$R0" --json "$S"
check_rc "backup 1" 0
snap1=$(json 'j["snapshot"]')
echo 'added later' >"$S/later"
hf backup --repo "$R0" --json "$S"
check_rc "backup 2" 0
snap2=$(json 'j["snapshot"]')
hf check --repo "$R0" --read-data
check_rc "pristine repository: check --read-data" 0

# flip_at OFFSET FILE — invert one byte in place; truncate_to LEN FILE; emptied FILE
flip_at() {
	$PY -c 'import os,sys
f = os.open(sys.argv[2], os.O_RDWR); off = int(sys.argv[1])
b = os.pread(f, 1, off); os.pwrite(f, bytes([b[0] ^ 0xff]), off); os.close(f)' "$1" "$2"
}
truncate_to() { truncate -s "$1" "$2"; }
emptied() { : >"$1"; }
fresh() { # fresh NAME — a copy of the pristine repository as repository NAME
	repo_copy pristine "${1:?}"
}
# an object of repository NAME (its path in the repository), and its size
largest_pack() { repo_objects "$1" data | sort -n | tail -n 1 | cut -d' ' -f2-; }
first_object() { repo_objects "$1" "$2" | head -n 1 | cut -d' ' -f2-; }
object_size() { repo_objects "$1" "$(dirname "$2")" | awk -v rel="$2" '$2 == rel { print $1 }'; }

# names_damage NAME — check's stderr ($T/err) has error: lines, an affected snapshot id
# and a file path
names_damage() {
	check_grep "$1: stderr has error: lines" '^error:' "$T/err"
	if grep -Eq "${snap1:0:8}|${snap2:0:8}" "$T/err"; then
		ok "$1: an affected snapshot is named"
	else
		fail "$1: no affected snapshot named"
		head -c 1500 "$T/err" | sed 's/^/  | /'
	fi
	check_grep "$1: an affected file path is named" "$S/" "$T/err"
}

# reported FILE — the check output in $T/check.err names FILE, or names a directory
# above it (or the snapshot's root, "/") as unreadable, which covers everything below
reported() {
	$PY - "$1" "$T/check.err" <<'PYEOF'
import sys
f, err = sys.argv[1], open(sys.argv[2], encoding="utf-8", errors="replace").read()
if f in err:
    sys.exit(0)
d = f
while d not in ("", "/"):
    d = d.rsplit("/", 1)[0] or "/"
    if (": %s:" % d) in err or (": %s\n" % d) in err:
        sys.exit(0)
sys.exit(1)
PYEOF
}

# restore_rest NAME SNAPSHOT REPO — restore of a damaged snapshot exits 1 but restores
# every file that is not named as damaged (itself or a directory above it) by the check
# output saved in $T/check.err
restore_rest() { # NAME SNAPSHOT REPO [MIN_GOOD]
	local name=$1 bad=0 good=0 f min=${4:-1}
	hf restore --repo "$3" "$2" --target "$T/rr-$name"
	check_rc "$name: restore of the damaged snapshot exits 1" 1
	while IFS= read -r f; do
		if cmp -s "$f" "$T/rr-$name$f"; then
			good=$((good + 1))
		elif ! reported "$f"; then
			bad=$((bad + 1))
			echo "  not restored but not reported damaged: $f"
		fi
	done < <(find "$S/docs" "$S/rand1" "$S/rand2" "$S/rand3" -type f)
	if [ $bad -eq 0 ] && [ $good -ge "$min" ]; then
		ok "$name: the undamaged files are restored ($good)"
	else
		fail "$name: $bad undamaged files not restored, $good restored"
	fi
}

# --- 1. one flipped byte in the middle of a pack ---------------------------------
fresh flip
pack=$(largest_pack flip)
repo_edit flip "$pack" flip_at $(($(object_size flip "$pack") / 2))
hf check --repo "$(repo_url flip)"
check_not_crash "flipped pack byte: check (structure)"
check_true "flipped pack byte: check (structure) exits 0 or 1" test "$RC" -le 1
hf check --repo "$(repo_url flip)" --read-data
check_rc "flipped pack byte: check --read-data exits 1" 1
cp "$T/err" "$T/check.err"
names_damage "flipped pack byte"
restore_rest flip "$snap1" "$(repo_url flip)"

# --- 2. a truncated pack ----------------------------------------------------------
fresh trunc
pack=$(largest_pack trunc)
repo_edit trunc "$pack" truncate_to $(($(object_size trunc "$pack") / 2))
hf check --repo "$(repo_url trunc)"
check_rc "truncated pack: check exits 1" 1
cp "$T/err" "$T/check.err"
names_damage "truncated pack"
restore_rest trunc "$snap2" "$(repo_url trunc)"

# --- 3. a deleted pack --------------------------------------------------------------
fresh delpack
repo_rm delpack "$(largest_pack delpack)"
hf check --repo "$(repo_url delpack)"
check_rc "deleted pack: check exits 1" 1
cp "$T/err" "$T/check.err"
names_damage "deleted pack"
# a gone pack is called missing, not damaged or forged (finding U6)
check_grep "deleted pack: check says it is missing" 'missing from the repository' "$T/check.err"
check_true "deleted pack: check never calls it an authentication failure" \
	sh -c "! grep -q 'authentication failed' '$T/check.err'"
rm -rf "$T/rdel"
hf restore --repo "$(repo_url delpack)" "$snap1" --target "$T/rdel"
check_grep "deleted pack: restore says data is missing" 'missing from the repository' "$T/err"
check_true "deleted pack: restore never calls it corrupt" sh -c "! grep -q 'data is corrupt' '$T/err'"
restore_rest delpack "$snap1" "$(repo_url delpack)" 0 # the pack may have held everything

# --- 4. a deleted index file --------------------------------------------------------
fresh delidx
repo_rm delidx "$(first_object delidx index)"
hf check --repo "$(repo_url delidx)"
check_rc "deleted index file: check exits 1" 1
check_grep "deleted index file: stderr has error: lines" '^error:' "$T/err"
hf check --repo "$(repo_url delidx)" --read-data
check_rc "deleted index file: check --read-data exits 1" 1

# --- 5. a corrupted snapshot file ------------------------------------------------------
fresh snapflip
sf=snapshots/$snap1 # (the tests below need to know which one is hit)
check_true "snapshot objects are named by the snapshot id" test -n "$(object_size snapflip "$sf")"
repo_edit snapflip "$sf" flip_at $(($(object_size snapflip "$sf") / 2))
hf check --repo "$(repo_url snapflip)"
check_rc "corrupted snapshot file: check exits 1" 1
check_grep "corrupted snapshot file: stderr has error: lines" '^error:' "$T/err"
hf snapshots --repo "$(repo_url snapflip)"
check_not_crash "corrupted snapshot file: snapshots"
hf restore --repo "$(repo_url snapflip)" "$snap1" --target "$T/rr-snapflip1"
check_rc "corrupted snapshot file: restoring it exits 1" 1
hf restore --repo "$(repo_url snapflip)" "$snap2" --target "$T/rr-snapflip2"
check_rc "corrupted snapshot file: the other snapshot restores" 0
check_tree "corrupted snapshot file: the other snapshot is intact" "$S" "$T/rr-snapflip2$S" --no-atime

fresh snapempty
repo_edit snapempty "$(first_object snapempty snapshots)" emptied
hf check --repo "$(repo_url snapempty)"
check_rc "empty snapshot file: check exits 1" 1

# --- 6. a corrupted key file ---------------------------------------------------------------
fresh keyflip
kf=$(first_object keyflip keys)
repo_edit keyflip "$kf" flip_at $(($(object_size keyflip "$kf") / 2))
hf snapshots --repo "$(repo_url keyflip)"
check_rc "corrupted key file: exit 1" 1

# --- 7. bit-flip and truncation loops over the metadata files -----------------------------
# every position must give exit 1 from check: no crash, no hang, no silent pass
loop_fails=0 loop_runs=0
for kind in snapshots index; do
	fresh loop
	f=$(first_object loop "$kind")
	repo_get loop "$f" "$T/orig"
	size=$(stat -c %s "$T/orig")
	for k in $(seq 0 15); do
		off=$((k * size / 16))
		cp "$T/orig" "$T/damaged" && flip_at "$off" "$T/damaged" && repo_put loop "$f" "$T/damaged"
		hf check --repo "$(repo_url loop)"
		loop_runs=$((loop_runs + 1))
		if [ "$RC" -ne 1 ]; then
			loop_fails=$((loop_fails + 1))
			echo "  $kind file, byte $off of $size flipped: check exit $RC"
		fi
	done
	for len in 0 1 8 16 $((size / 3)) $((size / 2)) $((size - 16)) $((size - 1)); do
		cp "$T/orig" "$T/damaged" && truncate -s "$len" "$T/damaged" && repo_put loop "$f" "$T/damaged"
		hf check --repo "$(repo_url loop)"
		loop_runs=$((loop_runs + 1))
		if [ "$RC" -ne 1 ]; then
			loop_fails=$((loop_fails + 1))
			echo "  $kind file truncated to $len of $size: check exit $RC"
		fi
	done
done
check_eq "bit-flip/truncation loops: check exits 1 every time ($loop_runs runs)" 0 "$loop_fails"

# --- 8. an unreferenced pack (interrupted backup) is not an error ---------------------------
fresh extra
random_file "$T/junk" 1
h=$(sha256sum "$T/junk" | cut -c1-64)
repo_put extra "data/${h:0:2}/$h" "$T/junk"
hf check --repo "$(repo_url extra)"
check_rc "unindexed pack: check exits 0" 0

# --- 9. a backup whose parent snapshot has a damaged tree ----------------------------------
# A small repository: flip one byte at a time (a fresh copy each time) until a backup on
# top of it finds a tree of its parent damaged. That backup must say so, name the
# directory, save the snapshot and exit 3 (not 1: the scan it cannot run against the
# damaged parent is the same damage), with damaged_parent_trees in its JSON.
D=$T/dmg-src
mkdir -p "$D/a" "$D/b"
for i in 1 2 3; do echo "file $i" >"$D/a/f$i.txt"; echo "other $i" >"$D/b/g$i.txt"; done
hf init --repo "$(repo_url dmg0)"
hf backup --repo "$(repo_url dmg0)" "$D"
check_rc "small repository for the damaged-parent case: backup" 0
echo "changed" >>"$D/a/f1.txt"
found=""
for pack in $(repo_objects dmg0 data | cut -d' ' -f2); do
	size=$(object_size dmg0 "$pack")
	for ((off = 16; off < size - 16 && ${#found} == 0; off += 24)); do
		repo_copy dmg0 dmg
		repo_edit dmg "$pack" flip_at "$off"
		hf backup --repo "$(repo_url dmg)" --json "$D"
		[ "$(json 'j.get("damaged_parent_trees", 0)' 2>/dev/null)" -ge 1 ] 2>/dev/null && found=$off
	done
	[ -n "$found" ] && break
done
if [ -z "$found" ]; then
	fail "damaged parent tree: no flipped byte damaged a tree"
else
	check_rc "damaged parent tree: backup exits 3" 3
	check_grep "damaged parent tree: the directory is named" "parent snapshot's tree of this directory is damaged" "$T/err"
	check_grep "damaged parent tree: says what to run" "check --read-data" "$T/err"
	check_true "damaged parent tree: the snapshot was saved" test "$(json 'len(j["snapshot"])')" -eq 64
	hf check --repo "$(repo_url dmg)" --read-data
	check_rc "damaged parent tree: check --read-data still exits 1" 1
fi

finish
