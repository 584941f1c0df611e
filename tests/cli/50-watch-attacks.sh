#!/usr/bin/env bash
# 50-watch-attacks.sh — holdfast watch against real encrypting processes
# (issue 11; the simulators: tests/cli/watch_sims.sh). For each simulator: a fresh directory of ~60 real files (text,
# gzip, HTML, PNG, PDF from /usr/share/doc), a baseline backup, the watcher
# started on the directory (--action freeze), the simulator started in a
# session of its own; then the number of files it encrypted before it was
# frozen (compared with the originals), the time from its first ciphertext
# file to the alert, and restore --last-clean compared bit for bit with the
# originals (the pinned baseline plus the watcher's immediate backup).
# Needs root (fanotify): skipped otherwise. Prints a "row:" line per simulator
# (docs/DETECTION.md's table comes from them). HF_WATCH_SIMS="inplace base64" runs
# only those (gpg is added whenever gpg is installed).
. "$(dirname "$0")/lib.sh"

watch_preamble "watch attacks" openssl python3 setsid xargs

SIM_PGIDS=()
WPID=""
cleanup_hook() {
	local g
	# the simulators are stopped (SIGSTOP), not dead: kill every one (the
	# cgroups they were frozen in are removed by lib.sh)
	for g in "${SIM_PGIDS[@]}"; do kill -KILL -- "-$g" 2>/dev/null; done
	[ -n "$WPID" ] && kill -KILL "$WPID" 2>/dev/null
	# the gpg simulator's agents (one per GNUPGHOME)
	for g in "$T"/gnupg.*; do [ -d "$g" ] && GNUPGHOME=$g gpgconf --kill gpg-agent 2>/dev/null; done
}

# the originals: real files of several types, small enough for a quick run
POOL=$T/pool
mkdir -p "$POOL"
i=0
add_pool() { # find arguments..., count
	local n=$1 f
	shift
	while IFS= read -r f; do
		i=$((i + 1))
		cp "$f" "$POOL/f$i.${f##*.}"
	done < <(find /usr/share/doc "$@" -type f -size +3k -size -200k 2>/dev/null | sort | head -n "$n")
}
add_pool 18 -name '*.gz'
add_pool 9 -name '*.html'
add_pool 6 -name '*.png'
add_pool 2 -name '*.pdf'
while IFS= read -r f; do # text without an extension
	i=$((i + 1))
	cp "$f" "$POOL/t$i.txt"
done < <(find /usr/share/doc -name copyright -size +3k -size -100k 2>/dev/null | sort | head -n 10)
NPOOL=$(find "$POOL" -type f | wc -l)
if [ "$NPOOL" -lt 30 ]; then
	skip "watch attacks: too few files under /usr/share/doc ($NPOOL)"
	finish
fi

hf init --repo "$T/template"
check_rc "init" 0

# not root: a clear error, exit 1, before any passphrase
if command -v setpriv >/dev/null; then
	chmod 755 "$T"
	timeout 60 setpriv --reuid 65534 --regid 65534 --clear-groups "$HF_BIN" watch --repo "$T/template" "$POOL" \
		</dev/null >"$T/out" 2>"$T/err"
	RC=$?
	check_rc "watch as an unprivileged user" 1
	check_grep "it says it needs root" "watch: fanotify needs root \\(CAP_SYS_ADMIN\\)" "$T/err"
else
	skip "watch as an unprivileged user: setpriv is missing"
fi

# the simulators (shared with bench/watch.sh): SIM and SIM_ORDER
. "$CLI_DIR/watch_sims.sh"
watch_sims "$T"
ORDER=${HF_WATCH_SIMS:-$SIM_ORDER}
[ -n "${HF_WATCH_SIMS:-}" ] && [ -n "${SIM[gpg]:-}" ] && ORDER="$ORDER gpg"

# group_state PGID — "T" when every live process of the group is stopped or
# frozen (in the watcher's frozen cgroup: a process frozen inside a system
# call shows as sleeping, its SIGSTOP still pending); the children that had
# exited just before stay zombies (their parent is stopped too); "" when none
# is left
group_state() {
	local st pid
	ps -o stat=,pid= -g "$1" 2>/dev/null | while read -r st pid; do
		case $st in Z*) continue ;; esac
		if grep -q '^0::/holdfast-frozen/' "/proc/$pid/cgroup" 2>/dev/null; then echo T; else echo "${st:0:1}"; fi
	done | sort -u | tr -d '\n'
}

LOSSES=()
for name in $ORDER; do
	W=$T/$name D=$T/$name/data
	mkdir -p "$D"
	cp -a "$POOL/." "$D/"
	cp -a "$T/template" "$W/repo"
	hf backup --repo "$W/repo" "$D"
	check_rc "$name: baseline backup" 0
	"$HF_BIN" watch --repo "$W/repo" "$D" --json-log "$W/log.json" >"$W/w.out" 2>"$W/w.err" &
	WPID=$!
	for _ in $(seq 1 300); do grep -q "watching" "$W/w.err" 2>/dev/null && break; sleep 0.1; done
	if ! grep -q "watching" "$W/w.err"; then
		fail "$name: the watcher did not start"
		sed 's/^/  | /' "$W/w.err"
		kill -KILL "$WPID" 2>/dev/null
		wait "$WPID" 2>/dev/null
		WPID=""
		continue
	fi
	t0=$(date +%s.%N)
	setsid bash -c "${SIM[$name]}" _ "$D" >"$W/sim.out" 2>&1 &
	SPG=$!
	SIM_PGIDS+=("$SPG")
	# frozen (every process of its group stopped) or finished, within 60 s
	st=x
	for _ in $(seq 1 600); do
		st=$(group_state "$SPG")
		# an empty answer while the group still exists is a ps that raced
		# with an exiting process: look again
		[ -z "$st" ] && kill -0 -- "-$SPG" 2>/dev/null && st=$(group_state "$SPG")
		# stopped: every live process of the group (T); a process caught in
		# the kernel when the signal came stops on its way out, a moment later
		[ -z "$st" ] || [ "$st" = T ] && break
		sleep 0.1
	done
	# the alert's immediate backup ends with the JSON line
	for _ in $(seq 1 600); do [ -s "$W/log.json" ] && break; sleep 0.1; done
	lost=0
	for f in "$POOL"/*; do cmp -s "$f" "$D/${f##*/}" || lost=$((lost + 1)); done
	# resumed by hand (SIGCONT): moved into a frozen cgroup of its own, it
	# does not run at all; and the watcher refuses the group's opens in the
	# watched directory from the alert on, so even when it runs it starts no
	# new file (a file already open when it was stopped would be finished:
	# one per process in flight)
	cg=$(sed -n 's/.*"cgroup_frozen":{"processes":[0-9]*,"path":"\([^"]*\)".*/\1/p' "$W/log.json" | head -n 1)
	kill -CONT -- "-$SPG" 2>/dev/null
	sleep 1
	after=0
	for f in "$POOL"/*; do cmp -s "$f" "$D/${f##*/}" || after=$((after + 1)); done
	if [ -n "$cg" ]; then
		check_grep "$name: its cgroup is frozen" "^frozen 1" "$cg/cgroup.events"
		check_true "$name: its processes are in that cgroup" grep -qx "$SPG" "$cg/cgroup.procs"
		check_eq "$name: resumed with SIGCONT, it stays frozen (files lost after)" "$lost" "$after"
	else
		skip "$name: the cgroup v2 freezer (no cgroup2 here: $(sed -n 's/.*"cgroup_freeze_error":"\([^"]*\)".*/\1/p' "$W/log.json"))"
		case $name in inplace | intermittent | header-only | two-pass) fly=0 ;; xargs-P4) fly=4 ;; *) fly=1 ;; esac
		check_true "$name: resumed with SIGCONT, it starts no new file ($lost lost before, $after after; $fly may be in flight)" \
			test "$after" -le $((lost + fly))
	fi
	kill -KILL -- "-$SPG" 2>/dev/null
	frozen_cgroups_remove
	kill -TERM "$WPID" 2>/dev/null
	wait "$WPID" 2>/dev/null
	WPID=""
	# from the simulator's start, and from its first ciphertext file, to the alert
	secs=$($PY - "$W/log.json" "$t0" <<'PY'
import json, sys, datetime
def t(s):
    return datetime.datetime.strptime(s[:26], "%Y-%m-%dT%H:%M:%S.%f").replace(tzinfo=datetime.timezone.utc).timestamp()
try:
    d = json.loads(open(sys.argv[1]).readline())
    print("%.2f s (%.2f s after its first ciphertext file)" % (t(d["time"]) - float(sys.argv[2]), t(d["time"]) - t(d["files"][0]["time"])))
except Exception:
    print("-")
PY
)
	echo "row: $name | $NPOOL files | lost $lost$([ "$lost" -gt 10 ] && echo ' (over the goal of 10)') | frozen: $([ "$st" = T ] && echo yes || echo no) | start to alert: $secs"
	LOSSES+=("$lost")
	case $st in # what ps saw last ("T": all stopped; "ST": one still on its way; "": all gone)
	*T*) ok "$name: the simulator was frozen (its process group stopped: $st)" ;;
	*) fail "$name: the simulator was frozen (its process group stopped): ps saw '$st'" ;;
	esac
	check_grep "$name: the alert says freeze, and the group was signalled" '"action":"freeze".*"signalled":true' "$W/log.json"
	check_grep "$name: the immediate backup was taken" '"backup":\{"snapshot"' "$W/log.json"
	# the goal is at most 10 (issue 11). Opens wait while a process group
	# is ahead of the judge (two files unjudged, none once it wrote
	# ciphertext), so even an encryptor at memory speed is held to about
	# the threshold; files already open when the group is stopped, and
	# the group's processes in flight (xargs -P 4), add a few
	check_true "$name: stopped within the goal of 10 files (lost $lost)" test "$lost" -le 10
	check_grep "$name: the watcher held opens (fanotify permission events)" "opens held while a process" "$W/w.err"
	hf restore --repo "$W/repo" --last-clean --target "$W/restore"
	check_rc "$name: restore --last-clean" 0
	bad=0
	for f in "$POOL"/*; do cmp -s "$f" "$W/restore$D/${f##*/}" || bad=$((bad + 1)); done
	check_eq "$name: restore --last-clean gives every original back bit for bit (files differing)" 0 "$bad"
	[ "$bad" -eq 0 ] || show_output
done
# a daemon serving clients (smbd-like): one process group, one child per
# client; one child encrypts, the other keeps writing its own files. Only
# the encrypting child is stopped (the process crossed by itself): the
# other keeps working, and its opens are not held
W=$T/daemon D=$T/daemon/data
mkdir -p "$D/enc" "$D/work"
cp -a "$POOL/." "$D/enc/"
cp -a "$T/template" "$W/repo"
hf backup --repo "$W/repo" "$D"
check_rc "daemon: baseline backup" 0
cat >"$T/daemon.py" <<'PY'
import os, sys, time
d = sys.argv[1]
def benign():
    for i in range(80):
        with open(os.path.join(d, "work", "log%d.txt" % (i % 5)), "a") as f:
            f.write("line %d of ordinary work\n" % i)
        time.sleep(0.1)
def encrypt():
    time.sleep(0.5)
    for n in sorted(os.listdir(os.path.join(d, "enc"))):
        p = os.path.join(d, "enc", n)
        with open(p, "r+b") as f:
            data = bytearray(f.read(4096))
            key = os.urandom(len(data))
            f.seek(0)
            f.write(bytes(a ^ b for a, b in zip(data, key)))
kids = []
for job in (benign, encrypt):
    pid = os.fork()
    if pid == 0:
        job()
        os._exit(0)
    kids.append(pid)
print(" ".join(map(str, kids)), flush=True)
for k in kids:
    os.waitpid(k, 0)
PY
"$HF_BIN" watch --repo "$W/repo" "$D" --json-log "$W/log.json" >"$W/w.out" 2>"$W/w.err" &
WPID=$!
for _ in $(seq 1 300); do grep -q "watching" "$W/w.err" 2>/dev/null && break; sleep 0.1; done
setsid python3 "$T/daemon.py" "$D" >"$W/sim.out" 2>&1 &
SPG=$!
SIM_PGIDS+=("$SPG")
for _ in $(seq 1 200); do [ -s "$W/log.json" ] && break; sleep 0.1; done
read -r benign_pid enc_pid <"$W/sim.out"
lines0=$(cat "$D"/work/log*.txt 2>/dev/null | wc -l)
sleep 1.5
lines1=$(cat "$D"/work/log*.txt 2>/dev/null | wc -l)
check_grep "daemon: the alert stopped one process, not the group" '"signalled":true,"pid":'"${enc_pid:-x}" "$W/log.json"
check_true "daemon: the encrypting child is frozen" grep -q '^0::/holdfast-frozen/' "/proc/${enc_pid:-x}/cgroup"
check_true "daemon: the other child is not" test -d "/proc/${benign_pid:-x}" -a -z "$(grep -l '^0::/holdfast-frozen/' "/proc/${benign_pid:-x}/cgroup" 2>/dev/null)"
check_true "daemon: the other child went on writing after the alert ($lines0 lines, then $lines1)" test "$lines1" -gt "$lines0"
kill -KILL -- "-$SPG" 2>/dev/null
wait "$SPG" 2>/dev/null
frozen_cgroups_remove
kill -TERM "$WPID" 2>/dev/null
wait "$WPID" 2>/dev/null
WPID=""
if [ ${#LOSSES[@]} -gt 0 ]; then
	median=$(printf '%s\n' "${LOSSES[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR + 1) / 2)]}')
	echo "row: median files lost: $median over ${#LOSSES[@]} simulators"
fi
finish
