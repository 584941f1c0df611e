#!/usr/bin/env bash
# server.sh — holdfast through `holdfast serve` (loopback, real TLS) against a
# local repository and against restic through `rclone serve restic`, on the
# bench corpus (`make bench-server`): a first backup, a second one of the
# unchanged tree and a check without reading data (both walk the last
# snapshot's trees), and a restore. Writes the "Server" section of
# docs/PERFORMANCE.md (the rest of the file is kept) and leaves logs in
# bench/work/server/.
#
# Environment knobs:
#   HOLDFAST=build/holdfast   the holdfast binary
#   CORPUS=DIR                the tree to back up (default: bench/corpus.sh's
#                             corpus in bench/work/corpus, built if missing)
#   RUNS=3                    runs of each step; the table shows medians
#   OUT=docs/PERFORMANCE.md   report file
set -uo pipefail
export LC_ALL=C
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
. "$here/lib.sh"
bench_need_pkgs restic rclone openssl python3 || exit 1
HOLDFAST=${HOLDFAST:-$root/build/holdfast}
case $HOLDFAST in /*) ;; *) HOLDFAST=$root/$HOLDFAST ;; esac
RUNS=${RUNS:-3}
OUT=${OUT:-$root/docs/PERFORMANCE.md}
work=$here/work/server
# big trees are deleted through the trash, never between timed steps (bench/lib.sh)
bench_work_fresh
mkdir -p "$work/bin" "$work/tmp"
export TMPDIR=$work/tmp
cp "$HOLDFAST" "$work/bin/holdfast" # a private copy: build/ may be rebuilt meanwhile
HF=$work/bin/holdfast
if [ -z "${CORPUS:-}" ]; then
	CORPUS=$here/work/corpus
	"$here/corpus.sh" "$CORPUS" || { log "corpus.sh failed"; exit 1; }
fi
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done' EXIT
export HOLDFAST_PASSWORD=holdfast-bench RESTIC_PASSWORD=holdfast-bench RESTIC_CACHE_DIR=$work/restic-cache
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=localhost \
	-addext subjectAltName=DNS:localhost -keyout "$work/key.pem" -out "$work/cert.pem" >/dev/null 2>&1
export HOLDFAST_CACERT=$work/cert.pem

timed() { # NAME CMD...: appends NAME<TAB>seconds<TAB>client CPU s<TAB>server CPU s to times.tsv
	local name=$1 t0 t1 s0 s1 spid=
	shift
	case $name in hf-server.*) spid=$SPID ;; restic-rest.*) spid=$RCPID ;; esac
	# the dirty pages of the step before (a restore writes 0.59 GB) are
	# written back first, not during this step's time
	sync
	s0=$(bench_cpu $spid)
	t0=$(date +%s.%N)
	bench_timed_cpu "$work/cpu" "$@" >>"$work/$name.log" 2>&1 || log "$name failed: see $work/$name.log"
	t1=$(date +%s.%N)
	s1=$(bench_cpu $spid)
	printf '%s\t%s\t%s\t%s\n' "$name" "$(python3 -c "print(f'{$t1 - $t0:.3f}')")" "$(cat "$work/cpu")" \
		"$(python3 -c "print(f'{$s1 - $s0:.2f}')")" >>"$work/times.tsv"
	log "$name: $(tail -n 1 "$work/times.tsv" | cut -f2-) (s, client CPU s, server CPU s)"
}

# --- the servers -----------------------------------------------------------------
SROOT=$work/serve-root
mkdir -p "$SROOT"
"$HF" serve-client add bench --role admin --repos '*' --root "$SROOT" | sed -n 's/^token: //p' >"$work/admin.token"
start_hf() { # starts holdfast serve; sets SPID and HPORT
	: >"$work/serve.out"
	"$HF" serve --root "$SROOT" --listen 127.0.0.1:0 --tls-cert "$work/cert.pem" --tls-key "$work/key.pem" \
		>"$work/serve.out" 2>"$work/serve.log" &
	SPID=$!
	PIDS+=("$SPID")
	HPORT=
	for _ in $(seq 100); do
		HPORT=$(sed -n 's/.* on port \([0-9]*\),.*/\1/p' "$work/serve.out")
		[ -n "$HPORT" ] && break
		sleep 0.1
	done
}
RPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$work/rclone-root"
rclone serve restic --addr 127.0.0.1:"$RPORT" --cert "$work/cert.pem" --key "$work/key.pem" \
	"$work/rclone-root" >"$work/rclone.log" 2>&1 &
RCPID=$!
PIDS+=("$RCPID")
start_hf
restic() { command restic --cacert "$work/cert.pem" "$@"; }
sleep 1

# --- backups and restores, RUNS times each ------------------------------------------
for i in $(seq 1 "$RUNS"); do
	"$HF" init --repo "$work/local$i" >/dev/null 2>&1
	timed hf-local.backup "$HF" backup --repo "$work/local$i" "$CORPUS"
	"$HF" init --repo "https://localhost:$HPORT/r$i" --token-file "$work/admin.token" >/dev/null 2>&1
	timed hf-server.backup "$HF" backup --repo "https://localhost:$HPORT/r$i" --token-file "$work/admin.token" "$CORPUS"
	restic -r "rest:https://localhost:$RPORT/r$i/" init >/dev/null 2>&1
	timed restic-rest.backup restic -r "rest:https://localhost:$RPORT/r$i/" backup "$CORPUS"
done
# the next day's backup of an unchanged tree, and a check (no data read):
# both walk the last snapshot's trees
for i in $(seq 1 "$RUNS"); do
	timed hf-server.again "$HF" backup --repo "https://localhost:$HPORT/r$i" --token-file "$work/admin.token" "$CORPUS"
	timed restic-rest.again restic -r "rest:https://localhost:$RPORT/r$i/" backup "$CORPUS"
	timed hf-server.check "$HF" check --repo "https://localhost:$HPORT/r$i" --token-file "$work/admin.token"
	timed restic-rest.check restic -r "rest:https://localhost:$RPORT/r$i/" check
done
inode_window_wait
for i in $(seq 1 "$RUNS"); do
	mkdir -p "$work/out"
	timed hf-local.restore "$HF" restore --repo "$work/local$i" --target "$work/out/hl$i" latest
	timed hf-server.restore "$HF" restore --repo "https://localhost:$HPORT/r$i" --token-file "$work/admin.token" \
		--target "$work/out/hs$i" latest
	timed restic-rest.restore restic -r "rest:https://localhost:$RPORT/r$i/" restore latest --target "$work/out/rr$i"
	to_trash "$work/out"
done

# --- server RSS: 1 client, then 4 concurrent clients, each on a fresh server ---------------
hwm() { awk '/VmHWM/{print $2}' "/proc/$1/status"; }
rss_run() { # N: peak RSS (KiB) of a fresh server while N clients back up at once
	local n=$1 j cpids=()
	kill "$SPID" 2>/dev/null
	wait "$SPID" 2>/dev/null
	start_hf
	for j in $(seq 1 "$n"); do
		"$HF" init --repo "https://localhost:$HPORT/c$n-$j" --token-file "$work/admin.token" >/dev/null 2>&1
	done
	for j in $(seq 1 "$n"); do
		"$HF" backup --repo "https://localhost:$HPORT/c$n-$j" --token-file "$work/admin.token" "$CORPUS" \
			>>"$work/rss$n.log" 2>&1 &
		cpids+=($!)
	done
	for j in "${cpids[@]}"; do wait "$j" || echo "a backup of $n at once failed" >>"$work/failures.txt"; done
	hwm "$SPID"
	# run in $(...): the EXIT trap of the script does not see this server
	kill "$SPID" 2>/dev/null
}
RSS1=$(rss_run 1)
log "server peak RSS, 1 client: $RSS1 KiB"
RSS4=$(rss_run 4)
log "server peak RSS, 4 clients: $RSS4 KiB"

[ -s "$work/failures.txt" ] && log "$(sort "$work/failures.txt" | uniq -c | tr '\n' ' ')(see $work/rss*.log)"

# --- the report section ----------------------------------------------------------------------
cbytes=$(du -sb "$CORPUS" | cut -f1)
cfiles=$(find "$CORPUS" -type f | wc -l)
section=$work/section.md
PYTHONPATH=$here python3 - "$work/times.tsv" "$RUNS" "$cbytes" "$cfiles" "$RSS1" "$RSS4" "$(date -u '+%Y-%m-%d %H:%M UTC')" \
	"$(restic version | cut -d' ' -f1-2)" "$(rclone version | head -n 1)" >"$section" <<'EOF'
import statistics, sys
from benchlib import print_cpu_bound
tsv, runs, cbytes, cfiles, rss1, rss4, date, rv, cv = sys.argv[1:]
t, cc, sc = {}, {}, {}
for line in open(tsv):
    k, v, c, sv = line.rstrip('\n').split('\t')
    t.setdefault(k, []).append(float(v))
    cc.setdefault(k, []).append(float(c or 0))
    sc.setdefault(k, []).append(float(sv or 0))
m = {k: statistics.median(v) for k, v in t.items()}
client = {k: statistics.median(v) for k, v in cc.items()}
server = {k: statistics.median(v) for k, v in sc.items()}
print("## Server (bench/server.sh)\n")
print(f"{date}; {int(cfiles)} files, {int(cbytes) / 1e9:.2f} GB; medians of {runs} runs; holdfast serve and "
      f"`rclone serve restic` on loopback with TLS (a self-signed P-256 certificate); {rv}, {cv}.\n")
print("| step | a | b | speed of a relative to b | target | met |")
print("|---|---|---|---|---|---|")
r = m['hf-local.backup'] / m['hf-server.backup']
print(f"| backup: holdfast via server (a) vs holdfast local (b) | {m['hf-server.backup']:.1f} s | {m['hf-local.backup']:.1f} s | {r:.2f}x | >= 0.8x | {'yes' if r >= 0.8 else '**no**'} |")
r = m['restic-rest.backup'] / m['hf-server.backup']
print(f"| backup: holdfast via server (a) vs restic via rclone (b) | {m['hf-server.backup']:.1f} s | {m['restic-rest.backup']:.1f} s | {r:.2f}x | >= 3x | {'yes' if r >= 3 else '**no**'} |")
for step, label in (('again', 'backup again, nothing changed'), ('check', 'check (no data read)')):
    r = m[f'restic-rest.{step}'] / m[f'hf-server.{step}']
    print(f"| {label}: holdfast via server (a) vs restic via rclone (b) | {m[f'hf-server.{step}']:.1f} s | {m[f'restic-rest.{step}']:.1f} s | {r:.2f}x | | |")
r = m['hf-local.restore'] / m['hf-server.restore']
print(f"| restore: holdfast via server (a) vs holdfast local (b) | {m['hf-server.restore']:.1f} s | {m['hf-local.restore']:.1f} s | {r:.2f}x | | |")
r = m['restic-rest.restore'] / m['hf-server.restore']
print(f"| restore: holdfast via server (a) vs restic via rclone (b) | {m['hf-server.restore']:.1f} s | {m['restic-rest.restore']:.1f} s | {r:.2f}x | >= 3x | {'yes' if r >= 3 else '**no**'} |")
r = int(rss4) / int(rss1)
print(f"\nServer peak RSS (VmHWM): {int(rss1) / 1024:.0f} MiB with 1 client backing up, {int(rss4) / 1024:.0f} MiB "
      f"with 4 concurrent clients ({r:.2f}x; target: flat).\n")
print_cpu_bound("server", [(step, tool, f"{key}.{step}", f"restic-rest.{step}") for step in ("backup", "restore")
                           for tool, key in (("holdfast local", "hf-local"), ("holdfast via server", "hf-server"),
                                             ("restic via rclone", "restic-rest"))], m, client, server)
EOF
python3 "$here/benchlib.py" section "$OUT" "$section"
log "wrote the Server section of $OUT"
purge_trash
