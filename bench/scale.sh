#!/usr/bin/env bash
# scale.sh — many small files: holdfast beside restic (`make bench-scale`).
# See bench/README.md. For each tree size, on trees of small unique files
# (benchlib.py smallfiles, the generator of findings 2026-12-scale), runs every
# step of both tools under GNU time, then writes the section "Many small files"
# of docs/PERFORMANCE.md (bench/run.sh keeps it) with a column of peak-RSS
# growth per file. Logs and raw numbers: bench/work/results/scale-*.
#
# Environment knobs:
#   HOLDFAST=build/holdfast        the holdfast binary
#   SCALE_SIZES="100000 1000000"   numbers of files, one tree each; the growth
#                                  column compares the smallest and the largest
#   SCALE_TREES_DIR=DIR            existing trees: DIR/t100k, DIR/t1m, DIR/t2k,
#                                  DIR/t12345 (named by the file count); a size
#                                  with no tree there is generated under
#                                  bench/work/scale/trees/ (and kept for later runs)
#   STEP_TIMEOUT=1800              seconds before one step is killed
#   SCALE_KEEP=1                   keep the repositories and restored trees
#                                  (bench/work/scale/run/) instead of deleting them
#   OUT=docs/PERFORMANCE.md        report file
set -uo pipefail
export LC_ALL=C

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
. "$here/lib.sh"
bench_need_pkgs time restic python3 tar coreutils findutils || exit 1
PY=${PYTHON:-python3}
HOLDFAST=${HOLDFAST:-$root/build/holdfast}
case $HOLDFAST in /*) ;; *) HOLDFAST=$root/$HOLDFAST ;; esac
SCALE_SIZES=${SCALE_SIZES:-100000 1000000}
SCALE_TREES_DIR=${SCALE_TREES_DIR:-}
STEP_TIMEOUT=${STEP_TIMEOUT:-1800}
SCALE_KEEP=${SCALE_KEEP:-0}
OUT=${OUT:-$root/docs/PERFORMANCE.md}
work=$here/work
sw=$work/scale # bin/, trees/ (generated, kept), run/ (repositories and restores)
res=$work/results
GTIME=/usr/bin/time
t_start=$(date +%s)

sizes=$(printf '%s\n' $SCALE_SIZES | sort -n -u | tr '\n' ' ')
for n in $sizes; do
	[[ $n =~ ^[1-9][0-9]*$ ]] || { echo "scale.sh: SCALE_SIZES: '$n' is not a number of files" >&2; exit 2; }
done
[ -x "$HOLDFAST" ] || { echo "scale.sh: no holdfast binary at $HOLDFAST (make, or set HOLDFAST)" >&2; exit 2; }

mkdir -p "$work"
bench_trash_init
to_trash "$res"/scale-* "$sw/run" "$sw/bin"
purge_trash
mkdir -p "$res" "$sw/run" "$sw/bin" "$sw/trees"
export TMPDIR=$sw/run
: > "$res/scale-failures.txt"
: > "$res/scale-meta.env"
printf 'files\ttool\tstep\tstatus\twall\tuser\tsys\trss_kib\trepo_bytes\tload1\tnote\n' > "$res/scale-results.tsv"

meta() { printf '%s=%s\n' "$1" "$2" >> "$res/scale-meta.env"; }
record() { # files tool step status wall user sys rss repo note
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" "$6" "$7" "$8" "$9" \
		"$(cut -d' ' -f1 /proc/loadavg)" "${10}" >> "$res/scale-results.tsv"
}

# --- trees --------------------------------------------------------------------
tname() { # files -> t2k, t100k, t1m, t12345
	local n=$1
	if ((n % 1000000 == 0)); then echo "t$((n / 1000000))m"; elif ((n % 1000 == 0)); then echo "t$((n / 1000))k"; else echo "t$n"; fi
}
fpath() { printf 'd%03d/e%05d/f%08d.txt' $(($1 / 100000)) $(($1 / 1000)) "$1"; }
tree_ok() { # dir files: its last file is there, the one after it is not
	[ -f "$1/$(fpath $(($2 - 1)))" ] && [ ! -e "$1/$(fpath "$2")" ]
}
tree_stats() { find "$1" -type f -printf '%s\n' | awk '{n++; b += $1} END {printf "%.0f %.0f\n", n, b}'; }

declare -A TREE FILES BYTES
for n in $sizes; do
	name=$(tname "$n")
	if [ -n "$SCALE_TREES_DIR" ] && tree_ok "$SCALE_TREES_DIR/$name" "$n"; then
		TREE[$n]=$(cd "$SCALE_TREES_DIR/$name" && pwd)
	else
		[ -n "$SCALE_TREES_DIR" ] && log "no tree of $n files at $SCALE_TREES_DIR/$name: generating one"
		TREE[$n]=$sw/trees/$name
		if ! [ -f "${TREE[$n]}.done" ] || ! tree_ok "${TREE[$n]}" "$n"; then
			log "generating ${TREE[$n]} ($n files, about 60 s per million)"
			to_trash "${TREE[$n]}" "${TREE[$n]}.partial" "${TREE[$n]}.done"
			"$PY" "$here/benchlib.py" smallfiles "$n" "${TREE[$n]}.partial" || { log "generating failed"; exit 1; }
			mv "${TREE[$n]}.partial" "${TREE[$n]}" && date -u > "${TREE[$n]}.done"
		fi
	fi
	read -r FILES[$n] BYTES[$n] < <(tree_stats "${TREE[$n]}")
	log "tree of $n files: ${TREE[$n]} (${FILES[$n]} files, ${BYTES[$n]} bytes)"
	[ "${FILES[$n]}" = "$n" ] || { log "${TREE[$n]} holds ${FILES[$n]} files, not $n"; exit 1; }
	meta "tree_$n" "${TREE[$n]} (${FILES[$n]} files, ${BYTES[$n]} bytes)"
done
purge_trash

# --- environment --------------------------------------------------------------
src_bin=$HOLDFAST
cp "$src_bin" "$sw/bin/holdfast" # a private copy: build/ may be rebuilt while we run
HOLDFAST=$sw/bin/holdfast
meta date "$(date -u '+%Y-%m-%d %H:%M UTC')"
meta sizes "$sizes"
meta nproc "$(nproc)"
meta cpu "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
meta mem_gib "$(awk '/MemTotal/{printf "%.0f", $2/1048576}' /proc/meminfo)"
meta kernel "$(uname -r)"
meta fs "$(df -T "$work" | awk 'NR==2{print $2 " on " $1}')"
v=$("$HOLDFAST" --version 2>/dev/null | head -1)
meta version_holdfast "${v:-holdfast} (binary ${src_bin#"$root"/}, built $(date -u -r "$src_bin" '+%Y-%m-%d %H:%M UTC'), sha256 $(sha256sum "$HOLDFAST" | cut -c1-12))"
meta version_restic "$(restic version 2>/dev/null | head -1)"
export RESTIC_PASSWORD=holdfast-bench HOLDFAST_PASSWORD=holdfast-bench
unset HOLDFAST_REPO RESTIC_REPOSITORY

# --- one step -----------------------------------------------------------------
# step files tool step cmd...: runs it under GNU time in the size's directory,
# sets RC and T_* and records the row; a successful step then calls the
# function named by POST (files tool), which may set T_REPO and T_NOTE
declare -A STATUS # files.tool -> ok | why the remaining steps are skipped
step() {
	local n=$1 t=$2 s=$3 base lines
	shift 3
	base=$res/scale-$n/$t.$s
	T_NOTE='' T_REPO=''
	if [ "${STATUS[$n.$t]}" != ok ]; then
		record "$n" "$t" "$s" "${STATUS[$n.$t]}" "" "" "" "" "" ""
		RC=1
		return
	fi
	sync
	log "$n files, $t $s: $*"
	(cd "$sw/run/$n" && exec "$GTIME" -f '%e %U %S %M' -o "$base.time" \
		timeout -k 10 "$STEP_TIMEOUT" "$@") > "$base.log" 2>&1
	RC=$?
	read -r T_WALL T_USER T_SYS T_RSS < <(tail -n 1 "$base.time" 2>/dev/null || echo "0 0 0 0")
	# holdfast exits 4 when its scan flags a snapshot; these trees change
	# nothing between backups, so it would be a finding, not a failed step
	if [ $RC -eq 4 ] && [ "$t" = holdfast ]; then
		case $s in backup* | scan) T_NOTE="exit 4 (scan verdict not clean)" RC=0 ;; esac
	fi
	if [ "$s" = ls ]; then
		lines=$(grep -c '' "$base.log")
		T_NOTE="$lines lines"
	fi
	if [ "$(stat -c %s "$base.log")" -gt 1000000 ]; then # keep the logs of ls small
		{
			head -n 20 "$base.log"
			echo "[... $(grep -c '' "$base.log") lines in all ...]"
			tail -n 20 "$base.log"
		} > "$base.log.short"
		mv "$base.log.short" "$base.log"
	fi
	if [ $RC -eq 124 ] || [ $RC -eq 137 ]; then echo "killed after ${STEP_TIMEOUT}s" >> "$base.log"; fi
	if [ $RC -eq 0 ]; then
		[ -z "${POST:-}" ] || "$POST" "$n" "$t"
		record "$n" "$t" "$s" ok "$T_WALL" "$T_USER" "$T_SYS" "$T_RSS" "$T_REPO" "$T_NOTE"
	else
		printf '%s files, %s %s failed (exit %s): `%s` — last output: %s\n' "$n" "$t" "$s" "$RC" "$*" \
			"$(tail -n 3 "$base.log" | tr '\n\t|' '   ' | cut -c1-400)" >> "$res/scale-failures.txt"
		record "$n" "$t" "$s" "failed (exit $RC)" "$T_WALL" "$T_USER" "$T_SYS" "$T_RSS" "" ""
		log "$n files, $t $s FAILED (exit $RC), see $base.log"
	fi
	log "$n files, $t $s: exit $RC, wall ${T_WALL}s, cpu ${T_USER}+${T_SYS}s, rss ${T_RSS} KiB"
}

hf() { echo "$sw/run/$1/holdfast"; }
rs() { echo "$sw/run/$1/restic"; }
warm() { # tree: its data (full) or only its inodes (meta) in the page cache
	if [ "$2" = full ]; then tar -C "$1" -cf - . | cat > /dev/null; else find "$1" -printf '%s\n' > /dev/null; fi
}
backup() { # files tool step warm
	local n=$1 t=$2 s=$3
	[ "${STATUS[$n.$t]}" = ok ] && warm "${TREE[$n]}" "$4"
	if [ "$t" = holdfast ]; then
		POST=repo_size step "$n" holdfast "$s" "$HOLDFAST" backup --repo "$(hf "$n")/repo" "${TREE[$n]}"
	else
		POST=repo_size step "$n" restic "$s" restic -r "$(rs "$n")/repo" backup --compression auto "${TREE[$n]}"
	fi
	if [ $RC -ne 0 ] && [ "${STATUS[$n.$t]}" = ok ]; then
		STATUS[$n.$t]="skipped: $s failed"
	fi
}
repo_size() { T_REPO=$(du -sb "$sw/run/$1/$2/repo" | cut -f1); }
verify() { # files tool: the restored tree has the files and bytes of the original
	local n=$1 t=$2 got
	got=$(tree_stats "$sw/run/$n/$t/restore${TREE[$n]}" 2>/dev/null)
	if [ "$got" = "${FILES[$n]} ${BYTES[$n]}" ]; then
		T_NOTE="yes (${FILES[$n]} files, ${BYTES[$n]} bytes)"
	else
		echo "$n files, $t restore: the restored tree holds ${got:-nothing} (files bytes), not ${FILES[$n]} ${BYTES[$n]}" >> "$res/scale-failures.txt"
		T_NOTE="**NO**: ${got:-nothing} (files bytes)"
	fi
}

# --- the runs, smallest tree first --------------------------------------------
for n in $sizes; do
	mkdir -p "$res/scale-$n" "$(hf "$n")" "$(rs "$n")"
	RESTIC_CACHE_DIR=$(rs "$n")/cache
	export RESTIC_CACHE_DIR
	STATUS[$n.restic]=ok
	STATUS[$n.holdfast]=ok
	step "$n" restic init restic -r "$(rs "$n")/repo" init --repository-version 2
	[ $RC -eq 0 ] || STATUS[$n.restic]="skipped: init failed"
	step "$n" holdfast init "$HOLDFAST" init --repo "$(hf "$n")/repo"
	[ $RC -eq 0 ] || STATUS[$n.holdfast]="skipped: init failed"

	for t in restic holdfast; do backup "$n" $t backup1 full; done
	for t in restic holdfast; do backup "$n" $t backup2 meta; done

	inode_window_wait "the restores"
	POST=verify step "$n" restic restore restic -r "$(rs "$n")/repo" restore latest --target "$(rs "$n")/restore"
	POST=verify step "$n" holdfast restore "$HOLDFAST" restore --repo "$(hf "$n")/repo" latest --target "$(hf "$n")/restore"

	step "$n" restic check restic -r "$(rs "$n")/repo" check
	step "$n" holdfast check "$HOLDFAST" check --repo "$(hf "$n")/repo"
	step "$n" restic ls restic -r "$(rs "$n")/repo" ls latest
	step "$n" holdfast ls "$HOLDFAST" ls --repo "$(hf "$n")/repo" latest
	step "$n" holdfast scan "$HOLDFAST" scan --repo "$(hf "$n")/repo" latest

	for t in restic holdfast; do backup "$n" $t backup3 meta; done
	step "$n" restic forgetprune restic -r "$(rs "$n")/repo" forget --keep-last 1 --prune
	step "$n" holdfast forget "$HOLDFAST" forget --repo "$(hf "$n")/repo" --keep-last 1
	step "$n" holdfast prune "$HOLDFAST" prune --repo "$(hf "$n")/repo" --grace 0
done

# --- report, clean-up ---------------------------------------------------------
meta run_seconds "$(($(date +%s) - t_start))"
"$PY" "$here/benchlib.py" scale-report "$res" "$OUT" || log "scale-report failed"
log "wrote the section \"Many small files\" of ${OUT#"$root"/} in $(($(date +%s) - t_start)) s"
column -t -s $'\t' "$res/scale-results.tsv"
if [ "$SCALE_KEEP" != 1 ]; then
	log "deleting the repositories and restored trees"
	to_trash "$sw/run"
	purge_trash
fi
if [ -s "$res/scale-failures.txt" ]; then
	log "failures:"
	cat "$res/scale-failures.txt"
	exit 1
fi
exit 0
