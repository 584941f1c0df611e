#!/usr/bin/env bash
# tests/compare/restic-append-only.sh [OUT.md] — the "compromised client"
# attacks of issue 9, run for real against restic behind
# `rclone serve restic --append-only` (HTTPS on loopback, basic auth) and
# against `holdfast serve` with a backup-role token; writes a markdown table
# of what each lets through to OUT.md (default stdout).
#
# The attacker holds what a compromised client holds: for restic the
# repository password and the server URL/user/password; for holdfast the
# backup token (and the key file on the client, which the server never sees).
# Not part of `make test` (slow, needs rclone and restic): `make compare`.
# FLOOD=N sets the number of flood snapshots (default 1000).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
HF_BIN=${HF_BIN:-$here/../../build/holdfast}
FLOOD=${FLOOD:-1000}
OUT=${1:-/dev/stdout}
for t in rclone restic openssl curl python3; do
	command -v $t >/dev/null || { echo "compare: $t is missing (scripts/deps.sh --bench)" >&2; exit 2; }
done
[ -x "$HF_BIN" ] || { echo "compare: no holdfast binary at $HF_BIN (make)" >&2; exit 2; }
T=$(mktemp -d /tmp/hf-compare.XXXXXX)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
log() { printf '%s compare: %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=localhost \
	-addext subjectAltName=DNS:localhost -keyout "$T/key.pem" -out "$T/cert.pem" >/dev/null 2>&1
mkdir -p "$T/src/d" "$T/tiny"
head -c 3000000 /dev/urandom >"$T/src/big"
seq 1 200000 >"$T/src/d/numbers"
echo hello >"$T/src/d/small"
echo tiny >"$T/tiny/f"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# --- the two servers ---------------------------------------------------------
RPORT=$(free_port)
rclone serve restic --append-only --addr 127.0.0.1:"$RPORT" --cert "$T/cert.pem" --key "$T/key.pem" \
	--user fs1 --pass s3cret "$T/rclone-root" >"$T/rclone.log" 2>&1 &
PIDS+=($!)
mkdir -p "$T/rclone-root"
export RESTIC_PASSWORD='correct horse battery staple'
restic() { command restic --cacert "$T/cert.pem" "$@"; } # this restic reads no RESTIC_CACERT
export RESTIC_REPOSITORY=rest:https://fs1:s3cret@localhost:$RPORT/repo/
RB=https://localhost:$RPORT/repo
for _ in $(seq 50); do curl -s --cacert "$T/cert.pem" -o /dev/null "$RB/" && break; sleep 0.1; done

HROOT=$T/hf-root
mkdir -p "$HROOT"
tok() { sed -n 's/^token: //p'; }
"$HF_BIN" serve-client add boss --role admin --repos '*' --root "$HROOT" | tok >"$T/admin.token"
"$HF_BIN" serve-client add fs1 --role backup --repos shared --snapshots-per-hour 60 --root "$HROOT" |
	tok >"$T/backup.token"
# the backup-role client cannot run `holdfast backup` yet (see below), so the
# flood is sent by an admin-role client with the same snapshots-per-hour limit
"$HF_BIN" serve-client add flood --role admin --repos shared --snapshots-per-hour 60 --root "$HROOT" |
	tok >"$T/flood.token"
"$HF_BIN" serve --root "$HROOT" --listen 127.0.0.1:0 --tls-cert "$T/cert.pem" --tls-key "$T/key.pem" \
	>"$T/serve.out" 2>"$T/serve.log" &
PIDS+=($!)
for _ in $(seq 50); do
	HPORT=$(sed -n 's/.* on port \([0-9]*\),.*/\1/p' "$T/serve.out")
	[ -n "$HPORT" ] && break
	sleep 0.1
done
export HOLDFAST_CACERT=$T/cert.pem HOLDFAST_PASSWORD='correct horse battery staple'
HURL=https://localhost:$HPORT/shared
HB=https://localhost:$HPORT/v1/shared
"$HF_BIN" init --repo "$HURL" --token-file "$T/admin.token" >/dev/null 2>&1 || log "holdfast init failed"

# --- a real backup on each -----------------------------------------------------
restic init >/dev/null 2>&1 || log "restic init failed"
restic backup "$T/src" >/dev/null 2>&1 || log "restic backup failed"
GOOD=$(restic snapshots --json 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
"$HF_BIN" backup --repo "$HURL" --token-file "$T/admin.token" "$T/src" >/dev/null 2>"$T/hfb.err" ||
	log "holdfast backup failed: $(cat "$T/hfb.err")"
HFBACKUP=$("$HF_BIN" backup --repo "$HURL" --token-file "$T/backup.token" "$T/src" 2>&1 >/dev/null)

rc() { curl -s -o /dev/null -w '%{http_code}' --cacert "$T/cert.pem" -u fs1:s3cret "$@"; }
hc() { curl -s -o /dev/null -w '%{http_code}' --cacert "$T/cert.pem" \
	-H "Authorization: Bearer $(cat "$T/backup.token")" "$@"; }
first_r() { curl -s --cacert "$T/cert.pem" -u fs1:s3cret -H 'Accept: application/vnd.x.restic.rest.v2' \
	"$RB/$1/" | python3 -c 'import json,sys; j=json.load(sys.stdin); print(j[0]["name"] if j else "")'; }
first_h() { curl -s --cacert "$T/cert.pem" -H "Authorization: Bearer $(cat "$T/backup.token")" "$HB/$1/" |
	grep -o '[0-9a-f]\{16,\}' | head -n 1; }
verdict() { # HTTP status → words
	case $1 in
	2??) echo "let through (HTTP $1)" ;;
	000) echo "connection failed" ;;
	*) echo "refused (HTTP $1)" ;;
	esac
}
rows=()
row() { rows+=("| $1 | $2 | $3 |"); }

# --- deletes ------------------------------------------------------------------
log "deletes"
for k in data index snapshots keys; do
	n=$(first_r $k)
	r=$(verdict "$(rc -X DELETE "$RB/$k/$n")")
	hk=$k; [ $k = snapshots ] && hk=snapshots
	hn=$(first_h $hk)
	if [ -n "$hn" ]; then h=$(verdict "$(hc -X DELETE "$HB/$hk/$hn")"); else
		h="$(verdict "$(hc -X DELETE "$HB/$hk/$(printf '%064d' 0)")") (name guessed: the backup token cannot list $hk)"; fi
	row "DELETE a $k object" "$r" "$h"
done
row "DELETE config" "$(verdict "$(rc -X DELETE "$RB/config")")" \
	"$(verdict "$(hc -X DELETE "$HB/config/config")")"

# --- overwrite, truncate, rename, bytes not matching the name -----------------
log "overwrite, truncate, mismatched bytes"
n=$(first_r data)
head -c 100000 /dev/urandom >"$T/junk"
r=$(verdict "$(rc -X POST --data-binary @"$T/junk" "$RB/data/$n")")
hn=$(first_h data)
h=$(verdict "$(hc -X PUT --data-binary @"$T/junk" "$HB/data/$hn")")
row "overwrite an existing pack" "$r" "$h"
r=$(verdict "$(rc -X POST --data-binary 'short' "$RB/data/$n")")
h=$(verdict "$(hc -X PUT --data-binary 'short' "$HB/data/$hn")")
row "truncate an existing pack (rewrite shorter)" "$r" "$h"
row "rename an object" "n/a (no rename in the REST protocol; would be upload + DELETE)" \
	"n/a (no rename in the protocol; would be PUT + DELETE)"
fake=$(head -c 32 /dev/urandom | sha256sum | cut -c1-64)
r=$(verdict "$(rc -X POST --data-binary @"$T/junk" "$RB/data/$fake")")
h=$(verdict "$(hc -X PUT --data-binary @"$T/junk" "$HB/data/$fake")")
row "upload bytes that do not match their name (random bytes as data/<sha256 of other bytes>)" "$r" "$h"

# --- read old data -------------------------------------------------------------
log "read back"
if restic restore latest --target "$T/r-restored" >/dev/null 2>&1 && cmp -s "$T/src/big" "$T/r-restored$T/src/big"; then
	r="let through: \`restic restore latest\` decrypts the old snapshot (the client holds the key)"
else r="restore failed"; fi
h1=$(verdict "$(hc "$HB/snapshots/")")
hn=$(first_h data)
h2=$(verdict "$(hc "$HB/data/$hn")")
row "read old snapshots and packs and decrypt them" "$r" \
	"list snapshots: $h1; GET a pack: $h2 (the backup token reads nothing back)"

# --- forged dates ----------------------------------------------------------------
log "forged dates"
r1=$(restic backup --time "2020-01-01 00:00:00" "$T/tiny" >/dev/null 2>&1 && echo "let through" || echo refused)
r2=$(restic backup --time "2030-06-01 00:00:00" "$T/tiny" >/dev/null 2>&1 && echo "let through" || echo refused)
row "forge a snapshot dated in the past / in the future (\`restic backup --time\`)" "past: $r1; future: $r2" \
	"in progress (the snapshot's time is written by the client; server receipts and arrival times, design §3, are not built)"

# --- forget with snapshots dated ahead -------------------------------------------
log "forget with forged future snapshots"
for i in $(seq 1 12); do # the same path as the genuine backup, so forget groups them together
	restic backup --time "2030-07-$(printf %02d "$i") 00:00:00" "$T/src" >/dev/null 2>&1
done
kept=$(restic forget --keep-daily 7 --keep-weekly 4 --dry-run --json 2>/dev/null | python3 -c "
import json, sys
j = json.load(sys.stdin)
keep = [s['id'] for g in j for s in (g.get('keep') or [])]
rem = [s['id'] for g in j for s in (g.get('remove') or [])]
print('kept' if '$GOOD' in keep else 'removed', len(keep), len(rem))")
set -- $kept
row "forget --keep-daily 7 --keep-weekly 4 after 12 forged snapshots of the same path dated 2030-07-01..12" \
	"the genuine snapshot is **$1** by forget (dry run: $2 kept, $3 removed); forget's deletions are then refused by --append-only, so only an admin-side prune would act on it" \
	"in progress (time lock and server arrival times, design §3–§5); today the server refuses every DELETE, so forget removes nothing"

# --- flood -----------------------------------------------------------------------
log "flood of $FLOOD snapshots on restic"
t0=$(date +%s.%N)
ok=0
for i in $(seq 1 "$FLOOD"); do restic backup -q "$T/tiny" >/dev/null 2>&1 && ok=$((ok + 1)); done
t1=$(date +%s.%N)
secs=$(python3 -c "print(round($t1 - $t0, 1))")
hok=0 h429=0
for i in $(seq 1 70); do
	echo "$i" >"$T/tiny/f"
	if "$HF_BIN" backup --repo "$HURL" --token-file "$T/flood.token" "$T/tiny" >/dev/null 2>&1; then
		hok=$((hok + 1))
	else
		h429=$((h429 + 1))
	fi
done
row "flood snapshots" "let through: $ok of $FLOOD snapshots in ${secs} s" \
	"$hok of 70 backups accepted, $h429 refused (HTTP 429: the client's --snapshots-per-hour 60; sent with an admin-role token of that limit, as a backup-role token cannot run \`holdfast backup\` yet)"

restic tag --add keep "$GOOD" >/dev/null 2>&1
trc=$(restic tag --remove keep --tag keep >/dev/null 2>&1 && echo "exit 0" || echo "exit $?")
left=$(restic snapshots --json --tag keep 2>/dev/null | python3 -c 'import json,sys; print(len(json.load(sys.stdin) or []))')
row "forge an \"unpin\"" "n/a (restic has no pins). Nearest: \`restic tag --remove keep\` ($trc): $left snapshot(s) still tagged keep afterwards" \
	"in progress (pins, design §4)"

# --- quota -------------------------------------------------------------------------
log "quota"
head -c 50000000 /dev/urandom >"$T/fill"
fake=$(sha256sum "$T/fill" | cut -c1-64)
r=$(verdict "$(rc -X POST --data-binary @"$T/fill" "$RB/data/$fake")")
row "exceed a quota (50 MB of random bytes in one upload)" "$r: no quota in rclone serve restic" \
	"in progress: no quota yet (the per-client byte quota of design §2 is not enforced)"

# --- slow loris ----------------------------------------------------------------------
log "slow loris"
loris() { # PORT → "N of 20 connections still open after 40 s, a normal request: CODE"
	python3 - "$1" <<'EOF'
import socket, ssl, sys, time
port = int(sys.argv[1])
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
conns = []
for _ in range(20):
    s = socket.create_connection(("127.0.0.1", port))
    s = ctx.wrap_socket(s, server_hostname="localhost")
    s.send(b"GET / HTTP/1.1\r\nHost: localhost\r\n")
    conns.append(s)
t0 = time.time(); i = 0
while time.time() - t0 < 40:
    for s in list(conns):
        try:
            s.send(b"X-a%d: b\r\n" % i)
        except OSError:
            conns.remove(s)
    i += 1
    time.sleep(2)
print(len(conns))
EOF
}
during() { # PORT URL ARGS...: loris on PORT, and a normal request after 20 s
	local port=$1 out
	shift
	loris "$port" >"$T/loris.$port" &
	sleep 20
	out=$(curl -s -m 10 -o /dev/null -w '%{http_code}' --cacert "$T/cert.pem" "$@")
	wait $!
	echo "$(cat "$T/loris.$port") of 20 still open after 40 s; a normal request meanwhile: HTTP $out"
}
lr=$(during "$RPORT" -u fs1:s3cret "$RB/config")
lh=$(during "$HPORT" -H "Authorization: Bearer $(cat "$T/backup.token")" "$HB/config/config")
row "slow loris (20 TLS connections, one header line every 2 s for 40 s)" "$lr" "$lh"

row "a backup of the client's own files" "works" "\`holdfast backup\` with the backup-role token: $(echo "$HFBACKUP" | tail -n 1 | sed 's/|/\\|/g') (the client reads keys/, which the backup role may not list: write-only keys are in progress)"
{
	echo "| attack (compromised client) | restic + \`rclone serve restic --append-only\` | holdfast serve, backup-role token |"
	echo "|---|---|---|"
	printf '%s\n' "${rows[@]}"
	echo
	echo "Run by tests/compare/restic-append-only.sh on $(date -u +%Y-%m-%d) ($(rclone version | head -n 1), $(restic version | cut -d' ' -f1-2)); rclone with --cert/--key (HTTPS) and --user/--pass."
} >"$OUT"
log "done"
