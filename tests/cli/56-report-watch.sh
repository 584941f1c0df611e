#!/usr/bin/env bash
# 56-report-watch.sh — the watcher's alerts in the incident report (issue 12).
#
# A tree of ~30 real files backed up with a write-only key (the watched host's
# usual key: its local cache gives the watcher's backup its parent); holdfast
# watch --action freeze started on it with that key; an encryptor (openssl,
# copy then delete, a short pause per file) started in a session of its own;
# once the watcher's alert is logged, the encryptor is killed and the watcher
# stopped. Then, with the full key, holdfast report --json --html: the JSON's
# watch_alerts holds the alert (the pid, executable and snapshot the watcher
# logged, action freeze, per-minute counts > 0, unauthenticated: a write-only
# key wrote it), summary.detected names the watcher, and the HTML has the
# section and its chart and renders in headless Chromium with no console
# message. A report of the history before the alert has no alert.
# Needs root (fanotify): skipped otherwise.
. "$(dirname "$0")/lib.sh"

watch_preamble "report-watch" openssl setsid

SPG=""
WPID=""
cleanup_hook() {
	[ -n "$SPG" ] && kill -KILL -- "-$SPG" 2>/dev/null
	[ -n "$WPID" ] && kill -KILL "$WPID" 2>/dev/null
}

# jq_ FILE EXPR — a python expression over the JSON document in FILE (j)
jq_() { $PY -c 'import json,sys; j=json.load(open(sys.argv[1])); v=eval(sys.argv[2]); print("true" if v is True else "false" if v is False else v)' "$1" "$2"; }

D=$T/data R=$T/repo
mkdir -p "$D"
i=0
while IFS= read -r f; do
	i=$((i + 1))
	ext=${f##*/}
	ext=${ext##*.}
	[ "$ext" = copyright ] && ext=txt
	cp "$f" "$D/f$i.$ext"
done < <(find /usr/share/doc \( -name '*.gz' -o -name '*.html' -o -name copyright \) -type f -size +3k -size -100k \
	2>/dev/null | sort | head -n 30)
if [ "$i" -lt 20 ]; then
	skip "report-watch: too few files under /usr/share/doc ($i)"
	finish
fi

export HOLDFAST_CACHE_DIR=$T/cache
hf init --repo "$R"
check_rc "init" 0
HOLDFAST_NEW_PASSWORD=wo-pass hf key add --write-only --out "$T/wo.key" --repo "$R"
check_rc "key add --write-only" 0
HOLDFAST_PASSWORD=wo-pass hf backup --repo "$R" --key-file "$T/wo.key" "$D"
check_rc "baseline backup with the write-only key" 0

HOLDFAST_PASSWORD=wo-pass "$HF_BIN" watch --repo "$R" --key-file "$T/wo.key" --action freeze --json-log "$T/log.json" \
	"$D" >"$T/w.out" 2>"$T/w.err" &
WPID=$!
for _ in $(seq 1 300); do grep -q "watching" "$T/w.err" 2>/dev/null && break; sleep 0.1; done
if ! grep -q "watching" "$T/w.err"; then
	fail "the watcher did not start with the write-only key"
	sed 's/^/  | /' "$T/w.err"
	finish
fi
ok "the watcher started with the write-only key"
setsid bash -c 'for f in "$1"/*; do openssl enc -aes-256-cbc -pbkdf2 -pass pass:k -in "$f" -out "$f.locked" && rm -f "$f"; sleep 0.1; done' \
	_ "$D" >"$T/sim.out" 2>&1 &
SPG=$!
for _ in $(seq 1 900); do [ -s "$T/log.json" ] && break; sleep 0.1; done
kill -KILL -- "-$SPG" 2>/dev/null
wait "$SPG" 2>/dev/null
SPG=""
kill -TERM "$WPID" 2>/dev/null
wait "$WPID" 2>/dev/null
WPID=""
if [ ! -s "$T/log.json" ]; then
	fail "the watcher logged no alert"
	sed 's/^/  | /' "$T/w.err" | tail -n 20
	finish
fi
L=$T/log.json
grep -E "warning|ALERT" "$T/w.err" | sed 's/^/info: watcher: /'
check_grep "the alert was recorded in the repository" '"alert_mark":\{"snapshot":"[0-9a-f]{64}"\}' "$L"
pid=$(jq_ "$L" 'j["process"]["pid"]')
snap=$(jq_ "$L" 'j["backup"]["snapshot"]')

hf report --repo "$R" --json "$T/report.json" --html "$T/report.html"
check_rc "report: exit 0" 0
[ "$RC" -eq 0 ] || show_output
J=$T/report.json
check_eq "json: one watcher alert" "1" "$(jq_ "$J" 'len(j["watch_alerts"])')"
check_eq "json: the alert's pid is the process the watcher named" "$pid" "$(jq_ "$J" 'j["watch_alerts"][0]["pid"]')"
check_eq "json: its executable is the one the watcher logged" "$(jq_ "$L" 'j["process"]["exe"]')" \
	"$(jq_ "$J" 'j["watch_alerts"][0]["exe"]')"
check_eq "json: action freeze, signalled, after the immediate backup" "freeze true immediate" \
	"$(jq_ "$J" '"%s %s %s" % (j["watch_alerts"][0]["action"], str(j["watch_alerts"][0]["signalled"]).lower(), j["watch_alerts"][0]["backup"])')"
check_eq "json: on the snapshot of the watcher's immediate backup" "$snap" "$(jq_ "$J" 'j["watch_alerts"][0]["snapshot"]')"
check_eq "json: that snapshot is in the timeline" "true" \
	"$(jq_ "$J" 'j["watch_alerts"][0]["snapshot"] in [s["snapshot"] for s in j["timeline"]]')"
check_eq "json: written with a write-only key: not authenticated" "false" \
	"$(jq_ "$J" 'j["watch_alerts"][0]["authenticated"]')"
check_eq "json: 15 minutes of counts, the last the alert's" "15 1" \
	"$(jq_ "$J" '"%d %d" % (len(j["watch_alerts"][0]["per_minute"]), j["watch_alerts"][0]["per_minute"][-1]["minute"][:16] == j["watch_alerts"][0]["time"][:16])')"
check_eq "json: per-minute events counted (writes, deletes, ciphertext > 0)" "true" \
	"$(jq_ "$J" 'all(sum(m[k] for m in j["watch_alerts"][0]["per_minute"]) > 0 for k in ("writes", "deletes", "encrypted"))')"
check_eq "json: the counts the watcher logged; files touched, at least those" "true" \
	"$(jq_ "$J" 'j["watch_alerts"][0]["new_ciphertext"] == '"$(jq_ "$L" 'j["counts"]["new_ciphertext"]')"' and j["watch_alerts"][0]["originals_deleted"] == '"$(jq_ "$L" 'j["counts"]["originals_deleted"]')"' and j["watch_alerts"][0]["files"] >= j["watch_alerts"][0]["new_ciphertext"] + j["watch_alerts"][0]["originals_deleted"] > 0')"
check_eq "json: detected by the watcher" "true" \
	"$(jq_ "$J" 'j["summary"]["detected"]["how"].startswith("holdfast watch (process '"$pid"' ")')"
check_eq "json: detected at the alert's time" "$(jq_ "$J" 'j["watch_alerts"][0]["time"]')" \
	"$(jq_ "$J" 'j["summary"]["detected"]["time"]')"
check_grep "html: the watcher section" '<h2 id="watch">Watcher alerts</h2>' "$T/report.html"
check_grep "html: the per-minute chart" 'aria-label="watched file events per minute before alert 1"' "$T/report.html"
check_grep "html: the alert's process" "pid $pid <code>[^<]+</code>" "$T/report.html"
if command -v chromium >/dev/null; then
	render_html "$T/report.html"
	check_eq "chromium renders the report: exit 0" "0" "$?"
	check_true "chromium: a screenshot was taken" test -s "$T/report.png"
	if grep -q 'CONSOLE' "$T/report.log"; then
		fail "chromium: console messages"
		grep 'CONSOLE' "$T/report.log" | head -n 5 | sed 's/^/  | /'
	else
		ok "chromium: no console message"
	fi
else
	fail "chromium is not installed (scripts/deps.sh installs it): the HTML cannot be checked"
fi

# the history up to the baseline: no alert
base=$(jq_ "$J" 'j["timeline"][0]["snapshot"]')
hf report --repo "$R" "$base" --json "$T/base.json"
check_rc "report of the baseline: exit 0" 0
check_eq "report of the baseline: no watcher alert, not detected" "0 None" \
	"$(jq_ "$T/base.json" '"%d %s" % (len(j["watch_alerts"]), j["summary"]["detected"])')"
finish
