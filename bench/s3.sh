#!/usr/bin/env bash
# s3.sh — holdfast and restic backing up to and restoring from the same real S3 server
# (a single-node Ceph RGW started from the S3 test kit, ../shared/s3 or $HF_S3_KIT), side
# by side on the bench corpus (`make bench-s3`): a first backup, a second one of the
# unchanged tree, a check without reading data (both walk the last snapshot's trees)
# and a restore; times, and the S3 requests each one made per GB stored, counted in
# RGW's own log (a "req done" line per request; what a cloud bills by). holdfast
# writes into a bucket with Object Lock (every object locked, COMPLIANCE, one day);
# restic 0.14 has no Object Lock and writes into a plain bucket. Then the same over a
# long link: the RGW behind bench/slowlink.py (each byte LINK_DELAY_MS late each way, at
# most LINK_WINDOW_KIB in flight per connection, as a TCP window allows), where what
# counts is how many transfers run at once: holdfast as it sizes them, holdfast with two
# at a time (HOLDFAST_S3_CONNECTIONS=2: one per backup worker, as before they were sized
# for the link), restic with its default five. Writes the "S3" section of
# docs/PERFORMANCE.md (the rest is kept) and leaves logs in bench/work/s3/.
#
# Environment knobs:
#   HOLDFAST=build/holdfast   the holdfast binary
#   CORPUS=DIR                the tree to back up (default: bench/corpus.sh's corpus)
#   RUNS=3                    runs of each step; the table shows medians
#   OUT=docs/PERFORMANCE.md   report file
#   HF_S3_KIT=../shared/s3    the S3 kit (start.sh, stop.sh)
#   S3_BENCH_PORT=7690        the RGW's port (its monitor takes S3_BENCH_PORT - 4000; the
#                             long link's proxy S3_BENCH_PORT + 1)
#   LINK_DELAY_MS=25          the long link: one-way delay
#   LINK_WINDOW_KIB=512       and bytes in flight per connection and direction
set -uo pipefail
export LC_ALL=C
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
. "$here/lib.sh"
bench_need_pkgs restic python3 || exit 1
HOLDFAST=${HOLDFAST:-$root/build/holdfast}
case $HOLDFAST in /*) ;; *) HOLDFAST=$root/$HOLDFAST ;; esac
RUNS=${RUNS:-3}
OUT=${OUT:-$root/docs/PERFORMANCE.md}
KIT=$(cd "${HF_S3_KIT:-$root/../shared/s3}" && pwd) || { log "no S3 kit"; exit 1; }
PORT=${S3_BENCH_PORT:-7690}
work=$here/work/s3
# big trees are deleted through the trash, never between timed steps (bench/lib.sh)
bench_work_fresh
mkdir -p "$work/bin" "$work/tmp"
export TMPDIR=$work/tmp
bench_copy_holdfast "$HOLDFAST" "$work/bin/holdfast"
HF=$work/bin/holdfast
if [ -z "${CORPUS:-}" ]; then
	CORPUS=$here/work/corpus
	"$here/corpus.sh" "$CORPUS" || { log "corpus.sh failed"; exit 1; }
fi

# --- the S3 server ----------------------------------------------------------------------------
state=$work/rgw
trap '"$KIT/stop.sh" "$state" >/dev/null 2>&1' EXIT
export RGW_EXTRA_CONF="rgw_frontends = beast endpoint=127.0.0.1:$PORT tcp_nodelay=1"
env_lines=$(S3_PORT=$PORT MON_PORT=$((PORT - 4000)) "$KIT/start.sh" "$state" 2>"$work/start.log") ||
	{ tail -n 20 "$work/start.log"; log "the RGW did not start"; exit 1; }
eval "$env_lines"
export S3_ENDPOINT AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_DEFAULT_REGION
export HOLDFAST_PASSWORD=holdfast-bench RESTIC_PASSWORD=holdfast-bench RESTIC_CACHE_DIR=$work/restic-cache
E=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
s3curl() { curl -sS --aws-sigv4 "aws:amz:$AWS_DEFAULT_REGION:s3" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
	-H "x-amz-content-sha256: $E" "$@"; }
s3curl -o /dev/null -X PUT -H 'x-amz-bucket-object-lock-enabled: true' "$S3_ENDPOINT/hf-bench"
s3curl -o /dev/null -X PUT "$S3_ENDPOINT/restic-bench"
ops() { # the requests the RGW has answered so far: one "req done" line each in its log
	sleep 1
	grep -c 'req done' "$state/log/client.rgw.x.log"
}
stored() { # BUCKET: bytes the bucket holds
	CEPH_CONF=$state/ceph.conf radosgw-admin bucket stats --bucket="$1" 2>/dev/null |
		python3 -c 'import json,sys; print(sum(v.get("size_actual", 0) for v in json.load(sys.stdin)["usage"].values()))'
}

# the S3 server's processes: the RGW, its OSD and its monitor (their CPU per step)
rgw_pids=$(cat "$state"/run/*.pid)
timed() { # NAME CMD...: appends NAME<TAB>seconds<TAB>requests<TAB>client CPU s<TAB>server CPU s to times.tsv
	local name=$1 t0 t1 o0 o1 s0 s1
	shift
	sync
	o0=$(ops)
	# shellcheck disable=SC2086 # a list of pids
	s0=$(bench_cpu $rgw_pids)
	t0=$(date +%s.%N)
	bench_timed_cpu "$work/cpu" "$@" >>"$work/$name.log" 2>&1 || log "$name failed: see $work/$name.log"
	t1=$(date +%s.%N)
	# shellcheck disable=SC2086
	s1=$(bench_cpu $rgw_pids)
	o1=$(ops)
	printf '%s\t%s\t%s\t%s\t%s\n' "$name" "$(python3 -c "print(f'{$t1 - $t0:.3f}')")" "$((o1 - o0))" "$(cat "$work/cpu")" \
		"$(python3 -c "print(f'{$s1 - $s0:.2f}')")" >>"$work/times.tsv"
	log "$name: $(tail -n 1 "$work/times.tsv" | cut -f2-) (s, requests, client CPU s, S3 server CPU s)"
}

# --- backups and restores, RUNS times each ------------------------------------------------
for i in $(seq 1 "$RUNS"); do
	"$HF" init --repo "s3:$S3_ENDPOINT/hf-bench/r$i" --lock-days 1 >/dev/null 2>&1
	timed hf.backup "$HF" backup --repo "s3:$S3_ENDPOINT/hf-bench/r$i" "$CORPUS"
	restic -r "s3:$S3_ENDPOINT/restic-bench/r$i" init >/dev/null 2>&1
	timed restic.backup restic -r "s3:$S3_ENDPOINT/restic-bench/r$i" backup "$CORPUS"
done
HF_BYTES=$(($(stored hf-bench) / RUNS))
RESTIC_BYTES=$(($(stored restic-bench) / RUNS))
# the next day's backup of an unchanged tree, and a check (no data read):
# both walk the last snapshot's trees
for i in $(seq 1 "$RUNS"); do
	timed hf.again "$HF" backup --repo "s3:$S3_ENDPOINT/hf-bench/r$i" "$CORPUS"
	timed restic.again restic -r "s3:$S3_ENDPOINT/restic-bench/r$i" backup "$CORPUS"
	timed hf.check "$HF" check --repo "s3:$S3_ENDPOINT/hf-bench/r$i"
	timed restic.check restic -r "s3:$S3_ENDPOINT/restic-bench/r$i" check
done
inode_window_wait
for i in $(seq 1 "$RUNS"); do
	mkdir -p "$work/out"
	timed hf.restore "$HF" restore --repo "s3:$S3_ENDPOINT/hf-bench/r$i" --target "$work/out/h$i" latest
	timed restic.restore restic -r "s3:$S3_ENDPOINT/restic-bench/r$i" restore latest --target "$work/out/r$i"
	to_trash "$work/out"
done

# --- the same over a long link ------------------------------------------------------------
LINK_DELAY_MS=${LINK_DELAY_MS:-25}
LINK_WINDOW_KIB=${LINK_WINDOW_KIB:-512}
python3 "$here/slowlink.py" $((PORT + 1)) "$PORT" --delay-ms "$LINK_DELAY_MS" --window-kib "$LINK_WINDOW_KIB" &
link_pid=$!
trap 'kill $link_pid 2>/dev/null; "$KIT/stop.sh" "$state" >/dev/null 2>&1' EXIT
LINK=http://127.0.0.1:$((PORT + 1))
sleep 1
for i in $(seq 1 "$RUNS"); do
	"$HF" init --repo "s3:$LINK/hf-bench/l$i" --lock-days 1 >/dev/null 2>&1
	timed link.hf.backup "$HF" backup --repo "s3:$LINK/hf-bench/l$i" "$CORPUS"
	"$HF" init --repo "s3:$LINK/hf-bench/t$i" --lock-days 1 >/dev/null 2>&1
	timed link.hf2.backup env HOLDFAST_S3_CONNECTIONS=2 "$HF" backup --repo "s3:$LINK/hf-bench/t$i" "$CORPUS"
	restic -r "s3:$LINK/restic-bench/l$i" init >/dev/null 2>&1
	timed link.restic.backup restic -r "s3:$LINK/restic-bench/l$i" backup "$CORPUS"
done
inode_window_wait
for i in $(seq 1 "$RUNS"); do
	mkdir -p "$work/out"
	timed link.hf.restore "$HF" restore --repo "s3:$LINK/hf-bench/l$i" --target "$work/out/h$i" latest
	timed link.restic.restore restic -r "s3:$LINK/restic-bench/l$i" restore latest --target "$work/out/r$i"
	to_trash "$work/out"
done

# --- the report section ----------------------------------------------------------------------
cbytes=$(du -sb "$CORPUS" | cut -f1)
cfiles=$(find "$CORPUS" -type f | wc -l)
section=$work/section.md
PYTHONPATH=$here python3 - "$work/times.tsv" "$RUNS" "$cbytes" "$cfiles" "$HF_BYTES" "$RESTIC_BYTES" \
	"$(date -u '+%Y-%m-%d %H:%M UTC')" "$(restic version | cut -d' ' -f1-2)" "$(radosgw --version | head -n 1)" \
	"$LINK_DELAY_MS" "$LINK_WINDOW_KIB" >"$section" <<'EOF'
import statistics, sys
from benchlib import print_cpu_bound
tsv, runs, cbytes, cfiles, hfb, rsb, date, rv, gv, delay, window = sys.argv[1:]
t, q, cc, sc = {}, {}, {}, {}
for line in open(tsv):
    k, s, n, c, sv = line.rstrip('\n').split('\t')
    t.setdefault(k, []).append(float(s))
    q.setdefault(k, []).append(int(n))
    cc.setdefault(k, []).append(float(c or 0))
    sc.setdefault(k, []).append(float(sv or 0))
m = {k: statistics.median(v) for k, v in t.items()}
n = {k: statistics.median(v) for k, v in q.items()}
client = {k: statistics.median(v) for k, v in cc.items()}
server = {k: statistics.median(v) for k, v in sc.items()}
gb = {'hf': int(hfb) / 1e9, 'restic': int(rsb) / 1e9}
print("## S3 (bench/s3.sh)\n")
print(f"{date}; {int(cfiles)} files, {int(cbytes) / 1e9:.2f} GB; medians of {runs} runs; one Ceph RGW on loopback "
      f"({gv.split('(')[0].strip()}); holdfast into a bucket with Object Lock (every object locked, COMPLIANCE), "
      f"{rv} into a plain bucket (it has no Object Lock). Requests: counted in RGW's log, all kinds.\n")
print("| step | holdfast | restic | speed of holdfast relative to restic | target | met | requests: holdfast | requests: restic | per GB stored: holdfast | per GB stored: restic |")
print("|---|---|---|---|---|---|---|---|---|---|")
steps = (('backup', 'backup', True), ('again', 'backup again, nothing changed', False),
         ('check', 'check (no data read)', False), ('restore', 'restore', True))
for step, label, targeted in steps:
    a, b = m[f'hf.{step}'], m[f'restic.{step}']
    qa, qb = n[f'hf.{step}'], n[f'restic.{step}']
    r = b / a
    goal, met = ('>= 3x', 'yes' if r >= 3 else '**no**') if targeted else ('', '')
    print(f"| {label} | {a:.1f} s | {b:.1f} s | {r:.2f}x | {goal} | {met} | {qa:.0f} | {qb:.0f} | "
          f"{qa / gb['hf']:.0f} | {qb / gb['restic']:.0f} |")
print(f"\nStored per run: holdfast {gb['hf']:.3f} GB, restic {gb['restic']:.3f} GB.\n")
print_cpu_bound("S3 server", [(step, tool, f"{key}.{step}", f"restic.{step}") for step in ("backup", "restore")
                              for tool, key in (("holdfast", "hf"), ("restic", "restic"))], m, client, server)
per_conn = int(window) * 1024 / (int(delay) / 1000) / 2**20
print(f"Over a long link: the same RGW behind bench/slowlink.py, each byte {delay} ms late each way and at most "
      f"{window} KiB in flight per connection and direction (one connection: at most {per_conn:.0f} MiB/s; a request "
      f"waits at least {2 * int(delay)} ms for its answer). holdfast sizes its transfers for the link; "
      f"\"two at a time\" is holdfast with HOLDFAST_S3_CONNECTIONS=2 (one PUT per backup worker, as before); "
      f"restic uses its default five connections.\n")
print("| step | holdfast | holdfast, two at a time | restic | holdfast vs two at a time | holdfast vs restic |")
print("|---|---|---|---|---|---|")
a, b, c = m['link.hf.backup'], m['link.hf2.backup'], m['link.restic.backup']
print(f"| backup | {a:.1f} s | {b:.1f} s | {c:.1f} s | {b / a:.2f}x | {c / a:.2f}x |")
a, c = m['link.hf.restore'], m['link.restic.restore']
print(f"| restore | {a:.1f} s | | {c:.1f} s | | {c / a:.2f}x |")
print()
EOF
python3 "$here/benchlib.py" section "$OUT" "$section"
log "wrote the S3 section of $OUT"
purge_trash
