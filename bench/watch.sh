#!/usr/bin/env bash
# watch.sh — the cost of `holdfast watch` (`make bench-watch`, needs root):
# benign heavy work in the watched directory with the watcher off and on, in
# alternating passes (off, on, on, off, ...), RUNS of each; per workload the
# median wall time off and on, their ratio, and the alerts (JSON log lines)
# raised. Over the watcher's runs: its CPU seconds (utime+stime from
# /proc/PID/stat, start walk excluded) against the workloads' wall time, and
# its peak RSS (VmHWM). Then the detection latency of tests/cli/50's
# simulators: from the first ciphertext file (the alert's first file time)
# and from the simulator's start to the alert. Writes the "Real-time watch"
# section of docs/PERFORMANCE.md; logs in bench/work/watch/.
#
# Environment knobs:
#   HOLDFAST=build/holdfast   the holdfast binary (rerun after a watcher change)
#   RUNS=3                    passes with the watcher off, and as many on
#   OUT=docs/PERFORMANCE.md   report file ("-": print the section, write nothing)
#   ONLY="tar gzip-r"         run only these workloads (default: all eight)
#   WATCH_ARGS="--max-unjudged 8"  more options for every `holdfast watch`
#   SIMS=0                    leave out the detection latency part
#   BUSY=0                    leave out the reference passes: no watcher, a
#                             busy loop (one core's worth of CPU that touches
#                             no file) beside the workloads
#   WATCH_FS=tmpfs            where the watched directory lives: a tmpfs of
#                             its own (the default), or "disk" (bench/work's
#                             filesystem: its write-back and ext4's search for
#                             free inodes after many deletions make single
#                             runs differ by 3x on a shared virtual disk)
set -uo pipefail
export LC_ALL=C
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
. "$here/lib.sh"
if [ "$(id -u)" -ne 0 ]; then
	log "holdfast watch needs root (fanotify)"
	exit 1
fi
bench_need_pkgs time python3 openssl rsync sqlite3 gpg git xz-utils make gcc || exit 1
HOLDFAST=${HOLDFAST:-$root/build/holdfast}
case $HOLDFAST in /*) ;; *) HOLDFAST=$root/$HOLDFAST ;; esac
RUNS=${RUNS:-3}
OUT=${OUT:-$root/docs/PERFORMANCE.md}
work=$here/work/watch
rm -rf "$work"
mkdir -p "$work"
export HOLDFAST_PASSWORD=holdfast-bench
W=$work/w # the watched directory
src=$work/src # what the workloads read: the holdfast source tree and /usr/share/doc
mkdir -p "$W" "$src/doc"
WATCH_FS=${WATCH_FS:-tmpfs}
if [ "$WATCH_FS" = tmpfs ]; then
	mount -t tmpfs -o size=8g,mode=0755 holdfast-bench "$W" || { log "cannot mount a tmpfs on $W"; exit 1; }
fi
git -C "$root" archive HEAD | tar x -C "$W" --one-top-level=hf || { log "git archive failed"; exit 1; }
cp -a /usr/share/doc/. "$src/doc/"
cp -a "$W/hf" "$src/hf"
"$HOLDFAST" init --repo "$work/repo" >"$work/init.log" 2>&1 || { log "init failed"; exit 1; }
"$HOLDFAST" backup --repo "$work/repo" "$W" >"$work/backup.log" 2>&1 || { log "backup failed"; exit 1; }

# the workloads: each runs in $W, in a session of its own, and cleans up after
# itself (untimed) so that every pass starts from the same tree
declare -A WL=(
	[build]="rm -rf b && cp -a hf b && make -s -C b -j2 build/holdfast >/dev/null"
	[tar]="tar cf t.tar -C $src doc hf && mkdir -p untar && tar xf t.tar -C untar"
	[git]="git -C hf init -q && git -C hf add -A && git -C hf -c user.name=b -c user.email=b@b commit -qm b && git clone -q hf gc && git -C gc gc -q --aggressive && rm -rf hf/.git"
	[gzip-r]="cp -a $src/doc gz && find gz -type l -delete && gzip -rf gz"
	[xz]="tar cf x.tar -C $src hf && xz -T1 -6 x.tar"
	[rsync]="rsync -a $src/doc/ rs/ && cp -a rs rs2 && find rs2 -name copyright -exec sh -c 'echo changed >>\"\$1\"' _ {} \\; && rsync -a --inplace --no-whole-file rs2/ rs/"
	[sqlite]="sqlite3 db.sqlite 'create table t(id integer primary key, b blob)' && for k in \$(seq 1 100); do sqlite3 db.sqlite 'begin; insert into t(b) select randomblob(4000) from (with recursive c(x) as (select 1 union all select x+1 from c where x<100) select x from c); delete from t where id % 7 = 0; commit;' || exit 1; done"
	[gpg-one]="export GNUPGHOME=\$(mktemp -d) && gpg --batch --pinentry-mode loopback --passphrase k --symmetric -o one.gpg $src/doc/../hf/README.md && rm -rf \$GNUPGHOME"
)
ORDER=${ONLY:-build tar git gzip-r xz rsync sqlite gpg-one}
WATCH_ARGS=${WATCH_ARGS:-}
SIMS=${SIMS:-1}
BUSY=${BUSY:-1}
clean() { (cd "$W" && rm -rf b t.tar untar gc gz x.tar x.tar.xz rs rs2 db.sqlite one.gpg hf/.git); }

WPID=""
cleanup() {
	[ -n "$WPID" ] && kill -KILL "$WPID" 2>/dev/null
	[ -n "${BPID:-}" ] && kill "$BPID" 2>/dev/null
	[ "$WATCH_FS" = tmpfs ] && umount -l "$W" 2>/dev/null
	# the gpg simulator's agents (watch_sims makes its GNUPGHOME under $work)
	for g in "$work"/gnupg.*; do [ -d "$g" ] && GNUPGHOME=$g gpgconf --kill gpg-agent 2>/dev/null; done
}
trap cleanup EXIT
# the CPU of a process and of its descendants (the watcher's sandbox: a
# zygote and the decoders it forks), with what they reaped
cpu_ticks() {
	local p t=0 kids
	t=$(awk '{print $14 + $15 + $16 + $17}' "/proc/$1/stat" 2>/dev/null || echo 0)
	kids=$(pgrep -P "$1")
	for p in $kids; do t=$((t + $(cpu_ticks "$p"))); done
	echo "$t"
}
watcher_start() { # DIR LOG
	# shellcheck disable=SC2086 # WATCH_ARGS is a list of options
	"$HOLDFAST" watch --repo "$work/repo" "$1" --json-log "$2" $WATCH_ARGS >>"$work/w.out" 2>>"$work/w.err" &
	WPID=$!
	for _ in $(seq 1 1200); do [ "$(grep -c watching "$work/w.err")" -gt "${3:-0}" ] && return 0; sleep 0.1; done
	log "the watcher did not start: see $work/w.err"
	exit 1
}
# a workload the watcher froze (a false alarm): end what is in its cgroups
frozen_release() {
	local cg
	grep -hoa '"cgroup_frozen":{"processes":[0-9]*,"path":"[^"]*"' "$1" 2>/dev/null | sed 's/.*"path":"//; s/"$//' |
		sort -u | while read -r cg; do
		[ -d "$cg" ] || continue
		echo 1 >"$cg/cgroup.kill" 2>/dev/null
		for _ in $(seq 1 30); do rmdir "$cg" 2>/dev/null && break; sleep 0.1; done
	done
}
watcher_stop() {
	kill -TERM "$WPID" 2>/dev/null
	wait "$WPID" 2>/dev/null
	WPID=""
}

: >"$work/times.tsv" # mode workload wall alerts exit-status pass
: >"$work/watcher.tsv" # ticks wall-of-workloads hwm-kB
starts=0
for r in $(seq "$RUNS"); do
	# alternate the order: off-on(-busy) in odd rounds, (busy-)on-off in even ones
	if [ $((r % 2)) -eq 1 ]; then modes="off on"; else modes="on off"; fi
	[ "$BUSY" = 1 ] && { [ $((r % 2)) -eq 1 ] && modes="$modes busy" || modes="busy $modes"; }
	for mode in $modes; do
		# the reference: no watcher, a busy loop using one core, touching no file
		[ "$mode" = busy ] && { timeout 900 sh -c 'while :; do :; done' & BPID=$!; }
		jlog=$work/alerts-$r.json
		if [ "$mode" = on ]; then
			watcher_start "$W" "$jlog" "$starts"
			starts=$((starts + 1))
			c0=$(cpu_ticks "$WPID")
		fi
		total=0
		for name in $ORDER; do
			clean
			sync
			n0=$(cat "$jlog" 2>/dev/null | wc -l)
			t0=$(date +%s.%N)
			setsid timeout -k 5 600 bash -c "cd '$W' && ${WL[$name]}" >"$work/$name.log" 2>&1
			rc=$?
			frozen_release "$jlog"
			t1=$(date +%s.%N)
			[ "$rc" -eq 0 ] || log "$name ($mode) failed: see $work/$name.log"
			[ "$mode" = on ] && sleep 1 # let the watcher judge what it was told
			n1=$(cat "$jlog" 2>/dev/null | wc -l)
			wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f", b - a}')
			total=$(awk -v a="$total" -v b="$wall" 'BEGIN {print a + b + 0}')
			printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$mode" "$name" "$wall" "$((n1 - n0))" "$rc" "$r" >>"$work/times.tsv"
			log "round $r $mode $name: ${wall}s, alerts $((n1 - n0)), exit $rc"
		done
		clean
		[ "$mode" = busy ] && { kill "$BPID"; wait "$BPID" 2>/dev/null; }
		if [ "$mode" = on ]; then
			c1=$(cpu_ticks "$WPID")
			hwm=$(awk '/VmHWM/ {print $2}' "/proc/$WPID/status")
			printf '%s\t%s\t%s\n' "$((c1 - c0))" "$total" "$hwm" >>"$work/watcher.tsv"
			watcher_stop
		fi
	done
done
grep "stopped:" "$work/w.err" | tail -n 1 >"$work/stopped"

# detection latency: tests/cli/50's simulators, each on a fresh folder of
# ~60 real files from /usr/share/doc with the watcher freezing
mkdir -p "$work/pool"
find /usr/share/doc -type f \( -name '*.gz' -o -name '*.html' -o -name copyright -o -name '*.png' -o -name '*.pdf' \) \
	-size +3k -size -200k 2>/dev/null | sort | awk 'NR % 7 == 0' | head -n 60 |
	while IFS= read -r f; do
		i=$((${i:-0} + 1))
		b=${f##*/}
		case $b in *.*) cp "$f" "$work/pool/f$i.${b##*.}" ;; *) cp "$f" "$work/pool/f$i-$b" ;; esac
	done
# tests/cli/50's simulators: SIM and SIM_ORDER
. "$root/tests/cli/watch_sims.sh"
watch_sims "$work"
: >"$work/latency.tsv"
npool=$(find "$work/pool" -type f | wc -l)
[ "$SIMS" = 0 ] && SIM_ORDER=""
for name in $SIM_ORDER; do
	d=$work/sim/$name/data
	mkdir -p "$d"
	cp -a "$work/pool/." "$d/"
	cp -a "$work/repo" "$work/sim/$name/repo"
	"$HOLDFAST" backup --repo "$work/sim/$name/repo" "$d" >/dev/null 2>&1
	# shellcheck disable=SC2086
	"$HOLDFAST" watch --repo "$work/sim/$name/repo" "$d" --json-log "$work/sim/$name/log.json" $WATCH_ARGS \
		>"$work/sim/$name/w.out" 2>"$work/sim/$name/w.err" &
	WPID=$!
	for _ in $(seq 1 600); do grep -q watching "$work/sim/$name/w.err" && break; sleep 0.1; done
	t0=$(date +%s.%N)
	setsid bash -c "${SIM[$name]}" _ "$d" >"$work/sim/$name/sim.out" 2>&1 &
	spg=$!
	for _ in $(seq 1 600); do [ -s "$work/sim/$name/log.json" ] && break; sleep 0.1; done
	lost=0
	for f in "$work/pool"/*; do cmp -s "$f" "$d/${f##*/}" || lost=$((lost + 1)); done
	kill -KILL -- "-$spg" 2>/dev/null
	pkill -KILL -f "$work/sim/$name/" 2>/dev/null # workers in sessions of their own (setsid-workers)
	watcher_stop
	python3 - "$work/sim/$name/log.json" "$t0" "$name" "$lost" >>"$work/latency.tsv" <<'PY'
import datetime, json, sys
def t(s):
    return datetime.datetime.strptime(s[:26], "%Y-%m-%dT%H:%M:%S.%f").replace(tzinfo=datetime.timezone.utc).timestamp()
log, t0, name, lost = sys.argv[1:]
try:
    d = json.loads(open(log).readline())
    first = min(t(f["time"]) for f in d["files"])
    print("%s\t%.3f\t%.3f\t%s\t%s" % (name, t(d["time"]) - first, t(d["time"]) - float(t0), lost, d.get("action", "-")))
except Exception:
    print("%s\t-\t-\t%s\tno alert" % (name, lost))
PY
	log "latency $name: $(tail -n 1 "$work/latency.tsv" | cut -f2-)"
done

section=$work/section.md
python3 - "$work/times.tsv" "$work/watcher.tsv" "$work/latency.tsv" "$RUNS" "$npool" "$(cat "$work/stopped")" \
	"$(du -sm "$src" | cut -f1)" "$(find "$src" -type f | wc -l)" \
	"$(date -u '+%Y-%m-%d %H:%M UTC')" "$("$HOLDFAST" --version 2>/dev/null | head -n 1)" "$WATCH_FS" "$WATCH_ARGS" \
	>"$section" <<'PY'
import statistics, sys
tsv, wtsv, ltsv, runs, npool, stopped, mb, files, date, ver, fs, wargs = sys.argv[1:]
rows, by_pass = {}, {}
for line in open(tsv):
    mode, name, wall, alerts, rc, npass = line.rstrip("\n").split("\t")
    rows.setdefault(name, {}).setdefault(mode, []).append((float(wall), int(alerts), int(rc)))
    by_pass.setdefault((name, npass), {})[mode] = float(wall)
def pass_ratios(name):
    """on / off of each pass (the two runs of a pass are next to each other in time)"""
    return sorted(p["on"] / p["off"] for (n, _), p in by_pass.items() if n == name and p.get("off") and "on" in p)
desc = {
    "build": "a copy of the holdfast tree built (`make -j2 build/holdfast`)",
    "tar": "`tar cf` of the source tree, then `tar xf` of it",
    "git": "`git init`/`add`/`commit` of the holdfast tree, `git clone`, `git gc --aggressive`",
    "gzip-r": "`cp -a` of /usr/share/doc, then `gzip -rf` of it",
    "xz": "`tar cf` of the source tree, `xz -T1 -6` of the tarball",
    "rsync": "`rsync -a` of /usr/share/doc, a copy changed, `rsync -a --inplace --no-whole-file` back",
    "sqlite": "SQLite: 100 transactions of 100 rows of 4,000 random bytes, with deletes",
    "gpg-one": "the owner encrypting one file with `gpg --symmetric`",
}
print("## Real-time watch (bench/watch.sh)\n")
where = ("a tmpfs of its own (the workloads run at memory speed: the watcher's share is larger than on a disk)"
         if fs == "tmpfs" else "on the disk")
opts = f" `holdfast watch` options: `{wargs}`." if wargs else ""
print(f"{date}; {ver}; the watched directory, {where}, holds the holdfast source tree; the workloads read "
      f"/usr/share/doc and the source tree ({files} files, {mb} MB) and write into the watched directory, each in a "
      f"session of its own. {runs} passes with the watcher off and {runs} on, alternating; medians.{opts} Alerts are "
      f"the watcher's JSON log lines (summed over the runs on). The machine has 2 shared cores: ratios within a few "
      f"percent are noise. \"Pass by pass\" is the median of each pass's on / off (the two runs of a pass are "
      f"minutes apart at most, so a change in the machine's load between passes cancels), with the lowest and "
      f"highest.\n")
busy = any("busy" in r for r in rows.values())
if busy:
    print("| workload | off s | on s | on / off | pass by pass | beside a busy loop s | busy / off | alerts | exit status |")
    print("|---|---|---|---|---|---|---|---|---|")
else:
    print("| workload | off s | on s | on / off | pass by pass | alerts | exit status |")
    print("|---|---|---|---|---|---|---|")
toff = ton = tbusy = 0.0
alerts_all = 0
for name in desc:
    if name not in rows:
        continue
    off = statistics.median(w for w, _, _ in rows[name].get("off", [(0, 0, 0)]))
    on = statistics.median(w for w, _, _ in rows[name].get("on", [(0, 0, 0)]))
    al = sum(a for _, a, _ in rows[name].get("on", []))
    rcs = sorted({c for m in rows[name].values() for _, _, c in m})
    toff += off
    ton += on
    alerts_all += al
    b = ""
    if busy:
        bw = statistics.median(w for w, _, _ in rows[name].get("busy", [(0, 0, 0)]))
        tbusy += bw
        b = f" {bw:.2f} | {bw / off if off else 0:.3f} |"
    pr = pass_ratios(name)
    pp = f"{statistics.median(pr):.3f} ({pr[0]:.3f}–{pr[-1]:.3f})" if pr else ""
    print(f"| {desc[name]} | {off:.2f} | {on:.2f} | {on / off if off else 0:.3f} | {pp} |{b} {al} | {', '.join(map(str, rcs))} |")
b = f" {tbusy:.2f} | {tbusy / toff if toff else 0:.3f} |" if busy else ""
totals = {}  # pass -> [on, off] over the workloads it ran both ways
for (_, npass), p in by_pass.items():
    if "on" in p and p.get("off"):
        t = totals.setdefault(npass, [0.0, 0.0])
        t[0] += p["on"]
        t[1] += p["off"]
allp = sorted(on / off for on, off in totals.values())
ap = f"{statistics.median(allp):.3f} ({allp[0]:.3f}–{allp[-1]:.3f})" if allp else ""
print(f"| **all** | {toff:.2f} | {ton:.2f} | {ton / toff if toff else 0:.3f} | {ap} |{b} {alerts_all} | |")
if busy:
    print("\nThe busy loop is the reference: one core's worth of CPU (a shell loop that touches no file) and no "
          "watcher. It shows what the watcher's CPU alone, spent beside the workloads, would cost them; the rest of "
          "the watcher's cost is in the workloads' own path (each open waits for the gate's answer, each file change "
          "queues fanotify events).")
print()
ticks = walls = 0.0
hwm = 0
for line in open(wtsv):
    t, w, h = line.split("\t")
    ticks += int(t)
    walls += float(w)
    hwm = max(hwm, int(h))
import os
hz = os.sysconf("SC_CLK_TCK")
print(f"The watcher with its sandbox's decoders, over its {runs} runs (the start walk excluded): {ticks / hz:.1f} CPU seconds over "
      f"{walls:.0f} s of workloads ({100 * ticks / hz / walls if walls else 0:.1f}% of one core); peak RSS (VmHWM) "
      f"{hwm / 1024:.1f} MiB. Goal: at most 5% slower, RSS at most 100 MiB. Its last run: `{stopped}`.\n")
print(f"Detection latency, tests/cli/50's simulators, each on a fresh folder of {npool} real files from "
      "/usr/share/doc with `--action freeze`: from the first ciphertext file (the earliest file time in the alert) "
      "and from the simulator's start to the alert (the alert document's time); lost is the originals not intact "
      "when it was stopped.\n")
print("| simulator | first ciphertext → alert s | start → alert s | lost | action |")
print("|---|---|---|---|---|")
for line in open(ltsv):
    name, a, b, lost, act = line.rstrip("\n").split("\t")
    print(f"| {name} | {a} | {b} | {lost} of {npool} | {act} |")
print()
PY
if [ "$OUT" != - ]; then
	python3 "$here/benchlib.py" section "$OUT" "$section"
	log "wrote the Real-time watch section of $OUT"
fi
cat "$section"
