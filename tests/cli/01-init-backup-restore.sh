#!/usr/bin/env bash
# 01-init-backup-restore.sh — the basic life cycle: init (and its refusals), passphrase
# sources, HOLDFAST_REPO, one backup of a tree of real files, restore and compare,
# snapshots --json, ls, usage errors.
. "$(dirname "$0")/lib.sh"

R=$(repo_url repo) RD=$(repo_dir repo)
SRC=$T/src

# --- init ------------------------------------------------------------------
hf init --repo "$R"
check_rc "init a new repository" 0
if ! local_files "the fresh repository's layout and key file"; then
	check_repo_layout "fresh repository layout" "$RD"
	n_keys=$(find "$RD/keys" -type f 2>/dev/null | wc -l)
	check_true "init wrote a key file" test "$n_keys" -ge 1
fi

hf init --repo "$R"
check_rc "init over an existing repository fails" 1

mkdir "$T/nonempty" && echo x >"$T/nonempty/file"
hf init --repo "$T/nonempty"
check_rc "init into a non-empty directory fails" 1
check_eq "init into a non-empty directory leaves it alone" "file" "$(ls -A "$T/nonempty")"

mkdir "$T/empty"
hf init --repo "$T/empty"
check_rc "init into an existing empty directory" 0

hf init
check_rc "init without --repo or HOLDFAST_REPO is a usage error" 2

# --- passphrase ------------------------------------------------------------
HOLDFAST_PASSWORD='not the password' hf snapshots --repo "$R"
check_rc "wrong passphrase: exit 1" 1
check_grep "wrong passphrase: message" "wrong passphrase" "$T/err"

printf '%s' "$HOLDFAST_PASSWORD" >"$T/pwfile"
(unset HOLDFAST_PASSWORD; hf snapshots --repo "$R" --password-file "$T/pwfile"); RC=$?
check_rc "--password-file with the right passphrase" 0

printf 'nope' >"$T/badpw"
(unset HOLDFAST_PASSWORD; hf snapshots --repo "$R" --password-file "$T/badpw"); RC=$?
check_rc "--password-file with a wrong passphrase: exit 1" 1
check_grep "--password-file with a wrong passphrase: message" "wrong passphrase" "$T/err"

(unset HOLDFAST_PASSWORD; hf snapshots --repo "$R" --password-file "$T/no-such-file"); RC=$?
check_rc "--password-file that does not exist: exit 1" 1

HOLDFAST_REPO=$R hf snapshots
check_rc "HOLDFAST_REPO stands for --repo" 0

# --- backup ----------------------------------------------------------------
mkdir -p "$SRC"
cp -a /usr/share/doc/bash "$SRC/bash"
cp -a /usr/include/linux "$SRC/linux"
set_atimes "$SRC"
n_files=$(count_entries "$SRC" -type f)
n_dirs=$(count_entries "$SRC" -type d)

hf backup --repo "$R" --json "$SRC"
check_rc "backup" 0
snap1=$(json 'j["snapshot"]')
check_true "backup --json: snapshot is 64 hex" grep -Eqx '[0-9a-f]{64}' <<<"$snap1"
check_eq "backup --json: first backup has no parent" "null" "$(json 'j["parent"]')"
check_eq "backup --json: files_new = number of files" "$n_files" "$(json 'j["files_new"]')"
check_eq "backup --json: files_changed = 0" "0" "$(json 'j["files_changed"]')"
check_eq "backup --json: files_unchanged = 0" "0" "$(json 'j["files_unchanged"]')"
# the snapshot holds the directories leading to the path too (/var, /var/tmp, ...)
n_parents=$(tr -cd / <<<"$SRC" | wc -c)
check_eq "backup --json: dirs = directories of the tree and the ones leading to it" \
	"$((n_dirs + n_parents - 1))" "$(json 'j["dirs"]')"
check_eq "backup --json: bytes_read = sum of file sizes" \
	"$(find "$SRC" -type f -printf '%s\n' | awk '{s+=$1} END {print s}')" "$(json 'j["bytes_read"]')"
check_eq "backup --json: errors = 0" "0" "$(json 'j["errors"]')"
documented="bytes_added bytes_read bytes_stored bytes_total damaged_parent_trees dirs errors files_changed files_new files_unchanged parent scan seconds snapshot"
check_eq "backup --json: every documented key present" "" \
	"$(json '" ".join(k for k in "'"$documented"'".split() if k not in j)')"
extra=$(json '" ".join(k for k in sorted(j) if k not in "'"$documented"'".split())')
[ -n "$extra" ] && echo "note: backup --json has undocumented keys: $extra"
check_true "backup --json: stdout is one JSON object and nothing else" \
	$PY -c 'import json,sys; d=json.load(open(sys.argv[1])); assert isinstance(d, dict)' "$T/out"
if ! local_files "the repository's layout after a backup, and no plaintext in its files"; then
	check_repo_layout "repository layout after a backup" "$RD"
	# The data is encrypted: a distinctive line of the source must not appear in the repo.
	if grep -rqF 'Bourne-Again SHell' "$RD" 2>/dev/null; then
		fail "repository contains plaintext of the backed-up files"
	else
		ok "repository contains no plaintext of the backed-up files"
	fi
fi

# second backup of the same tree, given as a relative path (nothing may be created in
# $T until then: should the snapshot hold the parent directories, their mtimes count): it must be made absolute,
# so the path set is the same and the first snapshot is the parent.
(cd "$T" && hf backup --repo "$R" --json src); RC=$?
check_rc "backup of a relative path" 0
snap2=$(json 'j["snapshot"]')
check_eq "relative path: parent = first snapshot (paths made absolute)" "$snap1" "$(json 'j["parent"]')"
check_eq "unchanged tree: files_unchanged = all files" "$n_files" "$(json 'j["files_unchanged"]')"
check_eq "unchanged tree: files_new = 0" "0" "$(json 'j["files_new"]')"
# (not bytes_added: the snapshot holds /var/tmp too, whose mtime any other
# program creating a file there changes, and then its tree is new)
check_eq "unchanged tree: bytes_read = 0 (no file read again)" "0" "$(json 'j["bytes_read"]')"

# --- snapshots -------------------------------------------------------------
hf snapshots --repo "$R" --json
check_rc "snapshots --json" 0
check_eq "snapshots --json: two snapshots, oldest first" "$snap1 $snap2" "$(json '" ".join(s["id"] for s in j)')"
check_eq "snapshots --json: short_id is the id's first 8 hex" "true" \
	"$(json 'all(s["short_id"] == s["id"][:8] for s in j)')"
check_eq "snapshots --json: paths are absolute" "$SRC|$SRC" "$(json '"|".join(",".join(s["paths"]) for s in j)')"
check_eq "snapshots --json: parents" "null $snap1" "$(json '" ".join(str(s["parent"]).replace("None", "null") for s in j)')"
check_eq "snapshots --json: host" "$(hostname)" "$(json 'j[0]["host"]')"
check_eq "snapshots --json: user" "$(id -un)" "$(json 'j[0]["user"]')"
check_eq "snapshots --json: time is RFC 3339" "true" "$(json '__import__("re").fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)", j[0]["time"]) is not None')"
check_eq "snapshots --json: tree is 64 hex" "true" \
	"$(json 'all(__import__("re").fullmatch("[0-9a-f]{64}", s["tree"]) for s in j)')"
hf snapshots --repo "$R"
check_rc "snapshots (text)" 0
check_grep "snapshots (text) lists the short ids" "${snap1:0:8}" "$T/out"

# --- ls --------------------------------------------------------------------
want=$(find_sorted "$SRC")
hf ls --repo "$R" latest
check_rc "ls latest" 0
cp "$T/out" "$T/ls.latest"
# two checks, so that two different faults show as two failures:
check_eq "ls lists, outside the backed-up path, only the directories leading to it" \
	"$(parents_of "$SRC")" "$(grep -v -e "^$SRC\$" -e "^$SRC/" "$T/ls.latest")"
check_eq "ls = depth-first listing of the source, names sorted byte-wise in each directory" "$want" \
	"$(grep -e "^$SRC\$" -e "^$SRC/" "$T/ls.latest")"
hf ls --repo "$R" "${snap1:0:8}"
check_eq "ls by 8-hex prefix: same listing" "$(cat "$T/ls.latest")" "$(cat "$T/out")"
hf ls --repo "$R" "${snap1:0:4}"
check_rc "ls by 4-hex prefix" 0
hf ls --repo "$R" "$snap1" "$SRC/linux"
check_eq "ls SNAPSHOT PATH: only that subtree" "$(find_sorted "$SRC/linux")" "$(cat "$T/out")"
hf ls --repo "$R" "$snap1" "$SRC/bash/RBASH"
check_eq "ls SNAPSHOT FILE: just the file" "$SRC/bash/RBASH" "$(cat "$T/out")"
hf ls --repo "$R" ffffffffffff
check_rc "ls of an unknown snapshot: exit 1" 1
hf ls --repo "$R" "${snap1:0:3}"
check_true "ls with a 3-hex prefix is refused" test "$RC" -eq 1 -o "$RC" -eq 2

# --- restore ---------------------------------------------------------------
hf restore --repo "$R" latest --target "$T/r1"
check_rc "restore latest" 0
check_tree "restored tree equals the source" "$SRC" "$T/r1$SRC"
check_eq "restore writes nothing but the snapshot's paths" "" "$(extra_paths "$T/r1" "$SRC")"

hf restore --repo "$R" "${snap1:0:10}" --target "$T/r2"
check_rc "restore the first snapshot by prefix" 0
check_tree "first snapshot restores equal to the source" "$SRC" "$T/r2$SRC"

# several paths in one snapshot, one of them a single file
hf backup --repo "$R" --json "$SRC/linux/can" "$SRC/bash/RBASH"
check_rc "backup of a directory and a single file" 0
snap3=$(json 'j["snapshot"]')
check_eq "new path set: no parent" "null" "$(json 'j["parent"]')"
hf snapshots --repo "$R" --json
check_eq "snapshots --json: both paths recorded" "$SRC/linux/can,$SRC/bash/RBASH" \
	"$(json '",".join(sorted(j[-1]["paths"], reverse=True))')"
hf restore --repo "$R" "$snap3" --target "$T/r3"
check_rc "restore of the two-path snapshot" 0
check_tree "two-path snapshot: the directory" "$SRC/linux/can" "$T/r3$SRC/linux/can"
check_eq "two-path snapshot: the file" "$(stat -c '%s %a %y %x' "$SRC/bash/RBASH")" \
	"$(stat -c '%s %a %y %x' "$T/r3$SRC/bash/RBASH" 2>&1)"
check_true "two-path snapshot: the file's content" cmp -s "$SRC/bash/RBASH" "$T/r3$SRC/bash/RBASH"
check_eq "two-path snapshot: nothing else" "" "$(extra_paths "$T/r3" "$SRC/linux/can" "$SRC/bash/RBASH")"

# the same paths in another order are the same path set: snapshot 3 is the parent
hf backup --repo "$R" --json "$SRC/bash/RBASH" "$SRC/linux/can"
check_rc "backup of the same two paths in the other order" 0
check_eq "same path set in another order: parent is the two-path snapshot" "$snap3" "$(json 'j["parent"]')"

# the wrong passphrase is refused by every command that opens the repository
for c in "backup $SRC" "restore latest --target $T/wp" "ls latest" "check" "forget --keep-last 1"; do
	# shellcheck disable=SC2086
	HOLDFAST_PASSWORD=wrong hf $c --repo "$R"
	check_rc "wrong passphrase: ${c%% *} exits 1" 1
	check_grep "wrong passphrase: ${c%% *} says so" "wrong passphrase" "$T/err"
done
check_true "wrong passphrase: restore wrote nothing" test ! -e "$T/wp/${SRC#/}"

hf check --repo "$R"
check_rc "check" 0
check_grep "check says no errors found" "no errors found" "$T/out"
hf check --repo "$R" --read-data
check_rc "check --read-data" 0

# --- usage errors ----------------------------------------------------------
hf backup --repo "$R" --no-such-option "$SRC"
check_rc "unknown option: exit 2" 2
hf no-such-command --repo "$R"
check_rc "unknown command: exit 2" 2
hf
check_rc "no command: exit 2" 2
hf restore --repo "$R" latest
check_rc "restore without --target: exit 2" 2
hf backup --repo "$R"
check_rc "backup without a path: exit 2" 2
hf snapshots --repo "$(repo_url no-such-repo)"
check_rc "missing repository: exit 1" 1
# --threads takes a whole number in range; anything else is a usage error naming it
for bad in abc 4x -1 "" 99999999999 1025; do
	hf check --repo "$R" --threads "$bad"
	check_rc "check --threads '$bad': exit 2" 2
	check_grep "check --threads '$bad': the error names --threads" "^holdfast: --threads" "$T/err"
done
hf backup --repo "$R" --threads 0x2 "$SRC"
check_rc "backup --threads 0x2: exit 2" 2
hf restore --repo "$R" latest --target "$T/r-threads" --threads ' 3'
check_rc "restore --threads ' 3': exit 2" 2
hf check --repo "$R" --threads 2
check_rc "check --threads 2" 0

finish
