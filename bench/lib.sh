# shellcheck shell=bash disable=SC2154
# lib.sh — shell helpers shared by bench/run.sh and bench/scale.sh (sourced, not run).
#
# Owns: installing the packages a bench needs, the log line format, and the
# handling of big deletions (trash, purge, the inode-window wait). The caller
# sets $work (the bench's scratch directory) before calling bench_trash_init.

bench_need_pkgs() { # PKG...: installs the Debian packages that are missing
	local p missing
	missing=$(for p in "$@"; do dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' || echo "$p"; done)
	if [ -n "$missing" ]; then
		echo "bench: installing $(echo $missing)"
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y $missing || return 1
	fi
}

log() { printf '%s bench: %s\n' "$(date +%H:%M:%S)" "$*"; }

# bench_cpu PID...: the CPU seconds (user + system, with their reaped children)
# these processes have used so far; a server's share of a step is the difference
bench_cpu() {
	local p
	for p in "$@"; do cat "/proc/$p/stat" 2>/dev/null; done |
		awk -v hz="$(getconf CLK_TCK)" '{ sub(/.*\) /, ""); t += $12 + $13 + $14 + $15 } END { printf "%.2f\n", t / hz }'
}
# bench_timed_cpu FILE CMD...: runs CMD (a shell function too) in a subshell;
# FILE gets the CPU seconds of what the subshell ran (bench_cpu of it: its
# reaped children, and its own, next to nothing)
bench_timed_cpu() {
	local out=$1
	shift
	(
		"$@"
		rc=$?
		bench_cpu "$BASHPID" >"$out"
		exit $rc
	)
}

# --- deleting big trees -------------------------------------------------------
# On ext4 without a journal the inode allocator skips inodes deleted in the last
# 60 s (360 s while their inode-table block is dirty), scanning past each one:
# a restore of 85k files right after an `rm -rf` of 85k files spends most of its
# time in the kernel (measured: 53 s instead of 11 s). So nothing big is deleted
# between the timed steps: trees go to $trash, which is emptied at the end of
# the run, and the restores wait until the last big deletion is 370 s old.
bench_trash_init() {
	trash=$work/trash
	# one stamp for every bench, in bench/work: server.sh run right after
	# s3.sh's purge restored at half speed, waiting for nothing
	stamp=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/work/.mass-delete-stamp
	mkdir -p "${stamp%/*}"
	nojournal=0
	local fsrc
	fsrc=$(findmnt -no SOURCE -T "$work" 2>/dev/null | head -n 1)
	if [ "$(findmnt -no FSTYPE -T "$work" 2>/dev/null | head -n 1)" = ext4 ] &&
		! compgen -G "/proc/fs/jbd2/$(basename "${fsrc:-none}")-*" > /dev/null; then
		nojournal=1
	fi
}
to_trash() {
	local p
	for p in "$@"; do
		[ -e "$p" ] || continue
		mkdir -p "$trash"
		mv "$p" "$trash/$(basename "$p").$$.$RANDOM"
	done
}
purge_trash() {
	[ -d "$trash" ] || return 0
	local n
	n=$(find "$trash" | head -n 20001 | wc -l)
	rm -rf "$trash"
	sync
	[ "$n" -le 20000 ] || date +%s > "$stamp"
}
# bench_copy_holdfast SRC DEST: a private copy of a holdfast binary (the one in build/ may be
# rebuilt while a bench runs), with the decoders it opens (holdfast-decoders.so beside it)
bench_copy_holdfast() {
	mkdir -p "$(dirname "$2")" && cp "$1" "$2" || return 1
	if [ -f "$(dirname "$1")/holdfast-decoders.so" ]; then
		cp "$(dirname "$1")/holdfast-decoders.so" "$(dirname "$2")/"
	fi
}

bench_work_fresh() { # empties $work through the trash (made if missing)
	local p
	mkdir -p "$work"
	bench_trash_init
	for p in "$work"/*; do [ "$p" = "$trash" ] || to_trash "$p"; done
	purge_trash
}
inode_window_wait() { # [what is waiting]
	[ $nojournal = 1 ] && [ -f "$stamp" ] || return 0
	local left=$(($(cat "$stamp") + 370 - $(date +%s)))
	if [ $left -gt 0 ]; then
		log "waiting ${left}s before ${1:-the restores}: many files were deleted recently on this journal-less ext4 (see bench/lib.sh)"
		sleep $left
	fi
}
