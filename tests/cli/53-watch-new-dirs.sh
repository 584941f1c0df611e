#!/usr/bin/env bash
# 53-watch-new-dirs.sh — directories made while holdfast watch runs (issue 11):
#  - a tree that one process group makes and works in by itself (cp -a, then gzip -r of
#    the copy) is not gated: its opens do not wait for the watcher one by one (the
#    watcher's last line counts the opens it answered and the directories it left
#    ungated), and nothing is called an attack; nor is it when the group works 3 s
#    elsewhere before the gzip (a maker still at work keeps its tree ungated);
#  - an encryptor of another group in a directory made a moment before (its maker not
#    quiet there for 2 s yet) is frozen within the goal of 10 files, and that directory
#    is gated once it works there (the watcher's last line counts it). The encryptor is
#    started the way a script would: its output file is made by the maker's group, then
#    it calls setsid, so the watcher must not go on counting it in the group it left;
#  - so is one that writes copies and deletes the originals made a moment before;
#  - new files are judged once their maker pauses: those it deleted meanwhile are
#    never read, and a short-lived process of its group that touches one of them
#    (gone before it could be attributed) has none of the files beside it judged;
#  - so is one in a directory made, backed up and left alone before the attack, and
#    restore --last-clean gives every file back bit for bit;
#  - a rename is one event (FAN_RENAME), not three.
# Needs root (fanotify): skipped otherwise.
. "$(dirname "$0")/lib.sh"

watch_preamble "watch new directories" openssl python3 setsid gzip

SIM_PGIDS=()
WPID=""
cleanup_hook() {
	local g
	for g in "${SIM_PGIDS[@]}"; do kill -KILL -- "-$g" 2>/dev/null; done
	[ -n "$WPID" ] && kill -KILL "$WPID" 2>/dev/null
}

# real files: text and gzip from /usr/share/doc (the encryptor takes a flat
# directory), and the same in a tree of a few directories
POOL=$T/pool NEST=$T/nest
mkdir -p "$POOL" "$NEST/a/b" "$NEST/c"
n=0
while IFS= read -r f; do
	n=$((n + 1))
	cp "$f" "$POOL/f$n.${f##*.}"
	case $((n % 3)) in 0) d=$NEST ;; 1) d=$NEST/a/b ;; *) d=$NEST/c ;; esac
	cp "$f" "$d/f$n.${f##*.}"
done < <(find /usr/share/doc \( -name '*.gz' -o -name copyright \) -type f -size +3k -size -100k 2>/dev/null |
	sort | head -n 45)
NPOOL=$(find "$POOL" -type f | wc -l)
if [ "$NPOOL" -lt 30 ]; then
	skip "watch new directories: too few files under /usr/share/doc ($NPOOL)"
	finish
fi
. "$CLI_DIR/watch_sims.sh"
watch_sims "$T"

# watch_start DIR — a repository with a backup of DIR, and the watcher on DIR (sets WPID)
watch_start() {
	local w=$1.w
	mkdir -p "$w"
	hf init --repo "$w/repo"
	hf backup --repo "$w/repo" "$1"
	check_rc "$(basename "$1"): baseline backup" 0
	"$HF_BIN" watch --repo "$w/repo" "$1" --json-log "$w/log.json" >"$w/out" 2>"$w/err" &
	WPID=$!
	for _ in $(seq 1 300); do grep -q "watching" "$w/err" 2>/dev/null && break; sleep 0.1; done
	check_grep "$(basename "$1"): the watcher started" "watching" "$w/err"
}
watch_stop() {
	kill -TERM "$WPID" 2>/dev/null
	wait "$WPID" 2>/dev/null
	WPID=""
}
# attack NAME SHARE — the in-place encryptor on SHARE/data, in a session of its
# own; waits until it is frozen (every process of its group stopped) or done
attack() { # NAME DIR [SIMULATOR]
	local w=$2.w st=x
	setsid bash -c "${SIM[${3:-inplace}]}" _ "$2/data" >"$w/sim.out" 2>&1 &
	SPG=$!
	SIM_PGIDS+=("$SPG")
	for _ in $(seq 1 600); do
		st=$(ps -o stat= -g "$SPG" 2>/dev/null | grep -v '^Z' | cut -c1 | sort -u | tr -d '\n')
		[ -z "$st" ] || [ "$st" = T ] && break
		grep -q '^0::/holdfast-frozen/' /proc/"$SPG"/cgroup 2>/dev/null && { st=T; break; }
		sleep 0.1
	done
	for _ in $(seq 1 600); do [ -s "$w/log.json" ] && break; sleep 0.1; done
	lost=0
	for f in "$POOL"/*; do cmp -s "$f" "$2/data/${f##*/}" || lost=$((lost + 1)); done
	check_true "$1: the encryptor was frozen (ps: '$st')" test "$st" = T
	check_grep "$1: the alert says freeze" '"action":"freeze".*"signalled":true' "$w/log.json"
	check_true "$1: stopped within the goal of 10 files (lost $lost)" test "$lost" -le 10
	echo "row: $1 | $NPOOL files | lost $lost"
	kill -KILL -- "-$SPG" 2>/dev/null
	frozen_cgroups_remove
}

# --- a tree made and worked in by one group ----------------------------------------------
A=$T/share-a
mkdir -p "$A"
watch_start "$A"
setsid bash -c 'cp -a "$1" "$2/copy" && gzip -rf "$2/copy"' _ "$NEST" "$A"
check_rc "cp -a then gzip -r into a new tree" 0
sleep 1
# the gate's thread, while one group writes 3000 files of its own: events that
# cannot cost a file are read in batches (it rests), and a group left out of its
# poll does not wake it at every event the kernel queues (it did: ~1 wake-up each)
gate_wakeups() {
	local t
	for t in /proc/"$WPID"/task/*; do
		[ "$(cat "$t/comm" 2>/dev/null)" = holdfast-gate ] && awk '/^voluntary_ctxt_switches/ {print $2}' "$t/status"
	done
}
w0=$(gate_wakeups)
setsid python3 -c 'import os, sys
d = sys.argv[1]
os.mkdir(d)
for i in range(3000):
    with open(f"{d}/n{i}.txt", "w") as f:
        f.write("line %d\n" % i)' "$A/many"
check_rc "3000 new files written" 0
sleep 0.5
w1=$(gate_wakeups)
check_true "the gate's thread was found (${w0:-none})" test -n "$w0"
check_true "the gate's thread woke in batches: $((${w1:-0} - ${w0:-0})) times for 3000 new files" \
	test "$((${w1:-999999} - ${w0:-0}))" -lt 750
watch_stop
line=$(grep 'watch: stopped' "$A.w/err")
answered=$(sed -n 's/.*opens: \([0-9]*\) answered.*/\1/p' <<<"$line")
made=$(sed -n 's/.*; \([0-9]*\) directories made on the watched filesystems while watched.*/\1/p' <<<"$line")
check_true "the directories it made were left ungated ($made)" test "${made:-0}" -ge 4
check_true "its opens did not wait for the watcher ($answered answered for $NPOOL files, each opened at least twice)" \
	test "${answered:-999999}" -lt "$NPOOL"
check_eq "nothing was called an attack" "" "$(cat "$A.w/log.json" 2>/dev/null)"

# --- the same, with the group busy elsewhere for 3 s between the copy and the gzip ---------
# (its events outside the watched path keep it a maker at work: the copy stays ungated)
A2=$T/share-a2
mkdir -p "$A2" "$A2.busy"
watch_start "$A2"
setsid bash -c 'cp -a "$1" "$2/copy" && for i in $(seq 1 30); do echo "$i" >"$2.busy/n$i"; sleep 0.1; done &&
	gzip -rf "$2/copy"' _ "$NEST" "$A2"
check_rc "cp -a, 3 s of work elsewhere, then gzip -r of the copy" 0
sleep 1
watch_stop
line=$(grep 'watch: stopped' "$A2.w/err")
answered=$(sed -n 's/.*opens: \([0-9]*\) answered.*/\1/p' <<<"$line")
check_true "a maker busy elsewhere keeps its tree ungated ($answered opens answered for $NPOOL files)" \
	test "${answered:-999999}" -lt "$NPOOL"

# --- a rename is one event ----------------------------------------------------------------
# (where the kernel reports FAN_RENAME, with both names, the watcher does not also ask for
# FAN_MOVED_FROM and FAN_MOVED_TO: each event is queued in the renaming process's own call)
R=$T/share-r
mkdir -p "$R/d"
for i in $(seq 1 400); do echo "file $i" >"$R/d/a$i.txt"; done
watch_start "$R"
setsid python3 -c 'import os, sys
d = sys.argv[1]
for i in range(1, 401):
    os.rename(f"{d}/a{i}.txt", f"{d}/b{i}.txt")' "$R/d"
check_rc "400 files renamed" 0
sleep 0.5
watch_stop
events=$(sed -n 's/.*watch: stopped: \([0-9]*\) events.*/\1/p' "$R.w/err")
check_true "400 renames made about 400 events, not three each (${events:-none})" test "${events:-99999}" -lt 800
check_eq "nothing was called an attack" "" "$(cat "$R.w/log.json" 2>/dev/null)"

# --- new files are judged once their maker pauses ------------------------------------------
# 300 files written and kept, and 300 written and deleted again, in one burst: the kept
# ones are judged after it, the others never read (each was judged as it was closed)
N=$T/share-n
mkdir -p "$N"
watch_start "$N"
setsid python3 -c 'import os, sys
d = sys.argv[1]
for i in range(300):
    with open(f"{d}/k{i}.txt", "w") as f: f.write(f"a file kept, number {i}\n" * 40)
    with open(f"{d}/t{i}.tmp", "wb") as f: f.write(os.urandom(2000))
for i in range(300):
    os.unlink(f"{d}/t{i}.tmp")' "$N"
check_rc "300 files written and kept, 300 written and deleted" 0
sleep 1.5
watch_stop
line=$(grep 'watch: stopped' "$N.w/err")
waited=$(sed -n 's/.*, \([0-9]*\) new files judged once their maker paused.*/\1/p' <<<"$line")
never=$(sed -n 's/.*maker paused, \([0-9]*\) never read.*/\1/p' <<<"$line")
judged=$(sed -n 's/.*events, \([0-9]*\) files judged.*/\1/p' <<<"$line")
check_true "the 300 kept were judged once their maker paused (${waited:-none})" test "${waited:-0}" -ge 300
check_true "the 300 deleted were never read (${never:-none})" test "${never:-0}" -ge 290
check_true "files judged: about the 300 kept (${judged:-none})" test "${judged:-0}" -ge 300 -a "${judged:-999}" -lt 320
check_eq "nothing was called an attack" "" "$(cat "$N.w/log.json" 2>/dev/null)"

# --- short-lived processes of the maker's own group ------------------------------------------
# (`find -exec sh` over a fresh copy: each process is gone before the watcher can
# tell whose it is; one that touches a waiting file takes that file out, but the
# files beside it go on waiting for their maker, who is still at work elsewhere)
S=$T/share-s
mkdir -p "$S"
watch_start "$S"
cat >"$T/maker.sh" <<'EOS'
python3 -c 'import os, sys
for d in range(20):
    os.makedirs(f"{sys.argv[1]}/t/d{d}")
    for i in range(10):
        with open(f"{sys.argv[1]}/t/d{d}/f{i}.txt", "w") as f: f.write(f"line {i}\n" * 50)' "$1"
for d in "$1"/t/d*; do sh -c 'echo more >>"$1"' _ "$d/f0.txt"; done
python3 -c 'import os, sys, time
os.makedirs(sys.argv[1] + "/busy")
for i in range(80):
    with open(f"{sys.argv[1]}/busy/b{i}", "w") as f: f.write("still at work\n" * 20)
    time.sleep(0.05)' "$1"
EOS
setsid bash "$T/maker.sh" "$S" &
BUSY=$!
sleep 2.5
watch_stop # while its maker still works
wait "$BUSY"
check_rc "200 files made, one in each directory appended to by sh, then 4 s of work elsewhere" 0
line=$(grep 'watch: stopped' "$S.w/err")
waited=$(sed -n 's/.*, \([0-9]*\) new files judged once their maker paused.*/\1/p' <<<"$line")
check_eq "none of the files beside those was judged while their maker worked (${waited:-none})" 0 "${waited:-none}"
check_eq "nothing was called an attack" "" "$(cat "$S.w/log.json" 2>/dev/null)"

# --- an encryptor of another group, right after the directory was made --------------------
B=$T/share-b
mkdir -p "$B"
watch_start "$B"
cp -a "$POOL" "$B/data"
attack "made a moment before" "$B"
watch_stop
line=$(grep 'watch: stopped' "$B.w/err")
gated=$(sed -n 's/.*while watched, \([0-9]*\) of them under a watched path gated.*/\1/p' <<<"$line")
check_true "the directory the encryptor worked in was gated once it did (${gated:-none} gated)" test "${gated:-0}" -ge 1

# --- copies written and originals deleted by another group, right after they were made -----
# (the originals wait for their maker to pause before they are judged: the first one
# deleted has the others beside it judged at once)
E=$T/share-e
mkdir -p "$E"
watch_start "$E"
cp -a "$POOL" "$E/data"
attack "copy-delete, made a moment before" "$E" copy-delete
watch_stop

# --- and in a directory made, backed up and left alone before --------------------------
C=$T/share-c
mkdir -p "$C"
watch_start "$C"
cp -a "$POOL" "$C/data"
hf backup --repo "$C.w/repo" "$C"
check_rc "the new tree backed up while watched" 0
sleep 3
attack "made 3 s before" "$C"
watch_stop
hf restore --repo "$C.w/repo" --last-clean --target "$T/restore"
check_rc "restore --last-clean" 0
# (atimes aside: the pool's change when cp -a reads it for each share)
check_tree "restore --last-clean gives every file back bit for bit" "$POOL" "$T/restore$C/data" --no-atime
finish
