#!/usr/bin/env bash
# run.sh — side-by-side benchmark of holdfast, restic and borg (`make bench`).
# See bench/README.md. Writes docs/PERFORMANCE.md (keeping its analysis section)
# and leaves logs and raw numbers in bench/work/results/.
#
# Environment knobs:
#   TOOLS="restic borg holdfast holdfast-nodetect"   which tools to run, in this order
#                                  (holdfast-nodetect: holdfast backup --no-detect, for the
#                                  cost of detection; it runs the two backups only)
#   HOLDFAST=build/holdfast        the holdfast binary
#   HOLDFAST_BASE=FILE             another holdfast binary (an earlier commit), run as the
#                                  tool "holdfast-base" when TOOLS names it: before/after
#                                  figures from one run (BASE_NOTE: what it is, for the report)
#   BORG_COMPRESSION=zstd,3        borg's --compression (borg's own default is lz4)
#   STEP_TIMEOUT=600               seconds before one step is killed
#   SKIP_LIMITS=1                  skip the machine-limit measurements
#   OUT=docs/PERFORMANCE.md        report file
set -uo pipefail
export LC_ALL=C

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
. "$here/lib.sh"
# packages these scripts need (CI machines start fresh)
bench_need_pkgs time restic borgbackup zstd openssl python3 tar coreutils findutils procps || exit 1
PY=${PYTHON:-python3}
TOOLS=${TOOLS:-restic borg holdfast holdfast-nodetect}
HOLDFAST=${HOLDFAST:-$root/build/holdfast}
HOLDFAST_BASE=${HOLDFAST_BASE:-}
case $HOLDFAST in /*) ;; *) HOLDFAST=$root/$HOLDFAST ;; esac
BORG_COMPRESSION=${BORG_COMPRESSION:-zstd,3}
STEP_TIMEOUT=${STEP_TIMEOUT:-600}
OUT=${OUT:-$root/docs/PERFORMANCE.md}
work=$here/work
corpus=$work/corpus
res=$work/results
GTIME=/usr/bin/time
t_start=$(date +%s)

mkdir -p "$work"

# big trees are deleted through the trash (bench/lib.sh)
bench_trash_init

# results/scale-* belong to bench/scale.sh and stay
for p in "$res"/*; do case ${p##*/} in scale-*) ;; *) to_trash "$p" ;; esac; done
to_trash "$work/tmp" "$work/bin"
purge_trash
mkdir -p "$res" "$work/tmp" "$work/bin"
export TMPDIR=$work/tmp
# shellcheck disable=SC2154 # $trash is set by bench_trash_init (lib.sh)
export CORPUS_TRASH=$trash
: > "$res/failures.txt"
printf 'tool\tstep\tstatus\twall\tuser\tsys\trss_kib\trepo_bytes\tload1\tnote\n' > "$res/results.tsv"

meta() { printf '%s=%s\n' "$1" "$2" >> "$res/meta.env"; }

# --- per-tool environment and commands -------------------------------------
export RESTIC_PASSWORD=holdfast-bench RESTIC_CACHE_DIR=$work/restic/cache
export BORG_PASSPHRASE=holdfast-bench BORG_BASE_DIR=$work/borg/base
export BORG_RELOCATED_REPO_ACCESS_IS_OK=yes BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK=yes
export HOLDFAST_PASSWORD=holdfast-bench
repo() { echo "$work/$1/repo${REPO_SUFFIX:-}"; }

tool_cmd() { # tool step [target] -> prints the command (one word per line)
	local t=$1 s=${2%r[0-9]} r # backup2r2: a repeated run of backup2
	r=$(repo "$t")
	case $t.$s in
	restic.init) printf '%s\n' restic -r "$r" init --repository-version 2 ;;
	restic.backup1 | restic.backup2) printf '%s\n' restic -r "$r" backup --compression auto "$corpus" ;;
	restic.restore) printf '%s\n' restic -r "$r" restore latest --target "$3" ;;
	restic.check) printf '%s\n' restic -r "$r" check --read-data ;;
	borg.init) printf '%s\n' borg init -e repokey-blake2 "$r" ;;
	borg.backup1) printf '%s\n' borg create --compression "$BORG_COMPRESSION" "$r::first" "$corpus" ;;
	borg.backup2) printf '%s\n' borg create --compression "$BORG_COMPRESSION" "$r::second" "$corpus" ;;
	borg.restore) printf '%s\n' borg extract "$r::second" ;; # run in the target dir
	borg.check) printf '%s\n' borg check --verify-data "$r" ;;
	holdfast*.*)
		local bin=$HOLDFAST
		[ "$t" = holdfast-base ] && bin=$HOLDFAST_BASE
		case $s in
		init) printf '%s\n' "$bin" init --repo "$r" ;;
		backup[123])
			printf '%s\n' "$bin" backup
			[ "$t" = holdfast-nodetect ] && printf '%s\n' --no-detect
			printf '%s\n' --repo "$r" "$corpus"
			;;
		restore) printf '%s\n' "$bin" restore --repo "$r" latest --target "$3" ;;
		check) printf '%s\n' "$bin" check --repo "$r" --read-data ;;
		esac
		;;
	esac
}

declare -A STATUS # tool -> ok | reason the remaining steps are skipped

record() { # tool step status wall user sys rss repo note
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" "$6" "$7" "$8" \
		"$(cut -d' ' -f1 /proc/loadavg)" "$9" >> "$res/results.tsv"
}

fail() { # tool step rc cmd...
	local t=$1 s=$2 rc=$3
	shift 3
	{
		printf '%s %s failed (exit %s): `%s`' "$t" "$s" "$rc" "$*"
		printf ' — last output: %s\n' "$(tail -n 3 "$res/$t.$s.log" 2>/dev/null | tr '\n\t|' '   ' | cut -c1-400)"
	} >> "$res/failures.txt"
	log "$t $s FAILED (exit $rc), see $res/$t.$s.log"
}

# run_step tool step [dir to run in] [target]: times the step, sets RC and T_*.
run_step() {
	local t=$1 s=$2 cwd=${3:-$work} target=${4:-}
	local -a cmd
	mapfile -t cmd < <(tool_cmd "$t" "$s" "$target")
	sync
	log "$t $s: ${cmd[*]}"
	(cd "$cwd" && exec "$GTIME" -f '%e %U %S %M' -o "$res/$t.$s.time" \
		timeout -k 10 "$STEP_TIMEOUT" "${cmd[@]}") > "$res/$t.$s.log" 2>&1
	RC=$?
	# holdfast backup exits 4 when its scan flags the snapshot: saved, so it
	# counts as done (mutate.sh splices random bytes into files, which looks
	# like intermittent encryption and is flagged: docs/DETECTION.md)
	if [ $RC -eq 4 ] && [ "${t%%-*}.${s%%[0-9]*}" = holdfast.backup ]; then
		echo "bench: exit 4 (scan verdict not clean) counted as success" >> "$res/$t.$s.log"
		RC=0
	fi
	read -r T_WALL T_USER T_SYS T_RSS < <(tail -n 1 "$res/$t.$s.time" 2>/dev/null || echo "0 0 0 0")
	if [ $RC -eq 124 ] || [ $RC -eq 137 ]; then echo "killed after ${STEP_TIMEOUT}s" >> "$res/$t.$s.log"; fi
	[ $RC -eq 0 ] || fail "$t" "$s" "$RC" "${cmd[@]}"
	log "$t $s: exit $RC, wall ${T_WALL}s, cpu ${T_USER}+${T_SYS}s, rss ${T_RSS} KiB"
}

# --- corpus -----------------------------------------------------------------
log "building/checking the corpus"
"$here/corpus.sh" "$corpus" || { log "corpus.sh failed"; exit 1; }
read -r _ cfiles cbytes clinks < <(sed -n 3p "$corpus.manifest" | tr '=' ' ' | awk '{print $1, $3, $5, $7}')

# --- environment description -------------------------------------------------
meta date "$(date -u '+%Y-%m-%d %H:%M UTC')"
meta nproc "$(nproc)"
meta cpu "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
meta mem_gib "$(awk '/MemTotal/{printf "%.0f", $2/1048576}' /proc/meminfo)"
meta kernel "$(uname -r)"
meta fs "$(df -T "$work" | awk 'NR==2{print $2 " on " $1}')"
meta tools "$TOOLS"
meta borg_compression "$BORG_COMPRESSION"
meta corpus_bytes "$cbytes"
meta corpus_files "$cfiles"
meta corpus_links "$clinks"
meta version_restic "$(restic version 2>/dev/null | head -1)"
meta version_borg "$(borg --version 2>/dev/null | head -1)"
hf_ok=0
if [ -x "$HOLDFAST" ]; then
	hf_ok=1
	src_bin=$HOLDFAST
	bench_copy_holdfast "$src_bin" "$work/bin/holdfast"
	HOLDFAST=$work/bin/holdfast
	v=$("$HOLDFAST" --version 2>/dev/null | head -1)
	meta version_holdfast "${v:-holdfast} (binary ${src_bin#"$root"/}, built $(date -u -r "$src_bin" '+%Y-%m-%d %H:%M UTC'), sha256 $(sha256sum "$HOLDFAST" | cut -c1-12), git HEAD $(cd "$root" && git rev-parse --short HEAD 2>/dev/null || echo none)$(cd "$root" && [ -n "$(git status --porcelain -- lib src 2>/dev/null)" ] && echo ' + uncommitted changes'))"
	meta version_holdfast-nodetect "the same binary, with backup --no-detect"
	if [[ " $TOOLS " == *" holdfast-base "* ]]; then
		[ -x "$HOLDFAST_BASE" ] || { log "HOLDFAST_BASE=$HOLDFAST_BASE is not an executable"; exit 1; }
		# a directory of its own: its decoders, if it has them, are not this build's
		bench_copy_holdfast "$HOLDFAST_BASE" "$work/base/holdfast-base"
		meta version_holdfast-base "the holdfast to compare with: binary $HOLDFAST_BASE, sha256 $(sha256sum "$HOLDFAST_BASE" | cut -c1-12)${BASE_NOTE:+, $BASE_NOTE}"
		HOLDFAST_BASE=$work/base/holdfast-base
	fi
else
	meta version_holdfast "not available: $HOLDFAST does not exist"
fi

# --- fresh repositories -------------------------------------------------------
for t in $TOOLS; do
	to_trash "$work/$t"
	mkdir -p "$work/$t"
	STATUS[$t]=ok
	if [ "${t%-nodetect}" = holdfast ] && [ $hf_ok = 0 ]; then
		STATUS[$t]="not available"
		echo "holdfast: binary $HOLDFAST does not exist" >> "$res/failures.txt"
		continue
	fi
	run_step "$t" init
	[ $RC -eq 0 ] || STATUS[$t]="init failed"
done

repo_size() { du -sb "$(repo "$1")" 2>/dev/null | cut -f1; }

backup_step() { # step
	local s=$1 t
	for t in $TOOLS; do
		if [ "${STATUS[$t]}" != ok ]; then record "$t" "$s" "${STATUS[$t]}" "" "" "" "" "" ""; continue; fi
		# every tool starts with the corpus in the page cache and nothing dirty
		tar -C "$work" -cf - corpus | cat > /dev/null
		sync
		run_step "$t" "$s"
		if [ $RC -eq 0 ]; then
			record "$t" "$s" ok "$T_WALL" "$T_USER" "$T_SYS" "$T_RSS" "$(repo_size "$t")" ""
		else
			record "$t" "$s" "failed (exit $RC)" "$T_WALL" "$T_USER" "$T_SYS" "$T_RSS" "$(repo_size "$t")" ""
			STATUS[$t]="skipped: $s failed"
		fi
	done
}

# The cost of detection is a difference smaller than the machine's noise in
# one run: the backup steps are run twice more for holdfast and holdfast-nodetect, alternating, each time on
# a copy of the repository as it was before the step; the report takes the
# median of the three.
keep_before() { # step: copies of the holdfast repositories before it
	local t
	for t in holdfast holdfast-nodetect; do
		[ "${STATUS[$t]:-}" = ok ] && [[ " $TOOLS " == *" $t "* ]] || continue
		rm -rf "$work/$t/repo.before"
		cp -a "$(repo "$t")" "$work/$t/repo.before"
	done
}
repeat_step() { # step runs: the holdfast pair runs `runs` times in all, alternating
	local s=$1 i t
	for ((i = 2; i <= $2; i++)); do
		for t in holdfast holdfast-nodetect; do
			[ -d "$work/$t/repo.before" ] || continue
			rm -rf "$work/$t/repo.again"
			cp -a "$work/$t/repo.before" "$work/$t/repo.again"
			tar -C "$work" -cf - corpus | cat > /dev/null
			sync
			REPO_SUFFIX=.again run_step "$t" "${s}r$i"
			[ $RC -eq 0 ] && record "$t" "${s}r$i" ok "$T_WALL" "$T_USER" "$T_SYS" "$T_RSS" "" ""
		done
	done
	for t in holdfast holdfast-nodetect; do rm -rf "$work/$t/repo.again" "$work/$t/repo.before"; done
}

# --- (a) first backup -----------------------------------------------------------
keep_before backup1
backup_step backup1
repeat_step backup1 5

# --- (b) mutate, incremental backup ------------------------------------------------
log "mutating the corpus"
mut=$("$here/mutate.sh" "$corpus") || { log "mutate.sh failed"; exit 1; }
meta mutate "$mut"
log "mutation: $mut"
keep_before backup2
backup_step backup2
repeat_step backup2 7 # a second each, and the differences are tenths: more runs

# --- (c) full restore of the latest snapshot, verified against the corpus --------------
log "checksum manifest of the mutated corpus"
"$PY" "$here/benchlib.py" manifest "$corpus" "$res/corpus.sums"
for t in $TOOLS; do [ "${STATUS[$t]}" = ok ] && { inode_window_wait; break; }; done
for t in $TOOLS; do
	[ "$t" = holdfast-nodetect ] && continue # restores like holdfast
	if [ "${STATUS[$t]}" != ok ]; then record "$t" restore "${STATUS[$t]}" "" "" "" "" "" ""; continue; fi
	tgt=$work/$t/restore
	mkdir -p "$tgt"
	run_step "$t" restore "$tgt" "$tgt"
	if [ $RC -ne 0 ]; then
		record "$t" restore "failed (exit $RC)" "$T_WALL" "$T_USER" "$T_SYS" "$T_RSS" "" ""
		continue
	fi
	# every tool restores under TARGET/<absolute path of the corpus>
	if [ -d "$tgt$corpus" ]; then
		"$PY" "$here/benchlib.py" manifest "$tgt$corpus" "$res/$t.restore.sums"
		verdict=$("$PY" "$here/benchlib.py" compare "$res/corpus.sums" "$res/$t.restore.sums" 2> "$res/$t.restore.diff")
		case $verdict in OK*) ;; *) echo "$t restore: restored tree differs from the corpus: $verdict; $(head -5 "$res/$t.restore.diff" | tr '\n' ' ')" >> "$res/failures.txt" ;; esac
	else
		verdict="FAIL nothing at TARGET$corpus (TARGET holds: $(cd "$tgt" && find . -maxdepth 3 | head -5 | tr '\n' ' '))"
		echo "$t restore: $verdict" >> "$res/failures.txt"
	fi
	log "$t restore verification: $verdict"
	case $verdict in
	OK*) note="yes ($(echo "$verdict" | grep -o 'files=[0-9]*'), mtime diffs $(echo "$verdict" | grep -o 'mtime=[0-9]*' | cut -d= -f2))" ;;
	*) note="**NO**: ${verdict#FAIL }" ;;
	esac
	record "$t" restore ok "$T_WALL" "$T_USER" "$T_SYS" "$T_RSS" "" "$note"
done

# --- (d) check with a full data read -----------------------------------------------
for t in $TOOLS; do
	[ "$t" = holdfast-nodetect ] && continue
	case ${STATUS[$t]} in ok | "skipped: restore"*) ;; "skipped: backup2 failed") ;; *)
		record "$t" check "${STATUS[$t]}" "" "" "" "" "" ""
		continue
		;;
	esac
	run_step "$t" check
	if [ $RC -eq 0 ]; then
		record "$t" check ok "$T_WALL" "$T_USER" "$T_SYS" "$T_RSS" "" ""
	else
		record "$t" check "failed (exit $RC)" "$T_WALL" "$T_USER" "$T_SYS" "$T_RSS" "" ""
	fi
done

# --- (e) the cost of detection on benign churn (holdfast only) ------------------------
# mutate.sh splices random bytes into files, which holdfast's scan flags as
# encryption (and then works hardest); this step measures the common case:
# a text line appended to 2% of the text files.
if [[ " $TOOLS " == *" holdfast-nodetect "* ]]; then
	log "benign edits"
	edit=$("$PY" "$here/benchlib.py" edit "$corpus" "$corpus.undo" 0.02) || { log "edit failed"; exit 1; }
	meta edit "$edit"
	log "edit: $edit"
	TOOLS_ALL=$TOOLS
	TOOLS="holdfast holdfast-nodetect"
	keep_before backup3
	backup_step backup3
	repeat_step backup3 7
	TOOLS=$TOOLS_ALL
fi

# --- machine limits -----------------------------------------------------------------
if [ "${SKIP_LIMITS:-0}" != 1 ]; then
	log "machine limits"
	ossl() { openssl speed -elapsed -seconds 3 -bytes 16384 -evp "$1" 2>/dev/null | tail -n 1 | awk '{v=$NF; sub(/k$/, "", v); printf "%.0f", v/1000}'; }
	meta lim_sha256 "$(ossl sha256)"
	meta lim_aes256gcm "$(ossl aes-256-gcm)"
	meta lim_chacha "$(ossl chacha20-poly1305)"
	# a 200 MB sample: the real files first (headers, docs, libraries), as one tar
	(set +o pipefail; tar -C "$corpus" --sort=name -cf - usr | head -c 200000000 > "$work/tmp/sample.tar")
	meta sample_mb "$(($(stat -c %s "$work/tmp/sample.tar") / 1000000))"
	for l in 1 3; do
		z=$(zstd -b$l "$work/tmp/sample.tar" 2>&1 | tr '\r' '\n' |
			grep -oE '\(x[0-9.]+\), +[0-9.]+ MB/s, +[0-9.]+ MB/s' | tail -n 1 | tr -d '(x),' | awk '{print $1, $2, $4}')
		read -r zr zc zd <<< "$z"
		meta lim_zstd${l}_ratio "${zr:-}"
		meta lim_zstd${l}_c "${zc%.*}"
		meta lim_zstd${l}_d "${zd%.*}"
	done
	rm -f "$work/tmp/sample.tar"
	tar -C "$work" -cf - corpus | cat > /dev/null # warm up
	t0=$(date +%s.%N)
	tar -C "$work" -cf - corpus | cat > /dev/null
	t1=$(date +%s.%N)
	meta lim_read "$(echo "$cbytes $t0 $t1" | awk '{printf "%.0f", $1/1e6/($3-$2)}')"
	# copy into a fresh directory, timed like the restores (into the page cache,
	# no sync), then the sync that writes it back, timed on its own
	mkdir -p "$work/tmp/copy"
	sync
	t0=$(date +%s.%N)
	tar -C "$work" -cf - corpus | tar -C "$work/tmp/copy" -xf -
	t1=$(date +%s.%N)
	sync
	t2=$(date +%s.%N)
	meta lim_copy "$(echo "$cbytes $t0 $t1" | awk '{printf "%.0f", $1/1e6/($3-$2)}')"
	meta lim_writeback "$(echo "$cbytes $t1 $t2" | awk '{printf "%.0f", $1/1e6/($3-$2)}')"
fi

# --- clean up: restored trees and the copy go; repositories stay for inspection
log "deleting the restored trees"
for t in $TOOLS; do to_trash "$work/$t/restore"; done
to_trash "$work/tmp/copy"
purge_trash

# --- report --------------------------------------------------------------------------
meta run_seconds "$(($(date +%s) - t_start))"
"$PY" "$here/benchlib.py" report "$res" "$OUT"
log "wrote ${OUT#"$root"/} in $(($(date +%s) - t_start)) s"
column -t -s $'\t' "$res/results.tsv"
if [ -s "$res/failures.txt" ]; then
	log "failures:"
	cat "$res/failures.txt"
fi
exit 0
