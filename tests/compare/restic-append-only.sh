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
# the admin (a trusted host: the full key, an admin token) and the file
# server fs1, which holds only a backup-role token and, below, a write-only
# key; fs1's quota is 0.04 GiB (43 MB), the snapshots per hour the default
"$HF_BIN" serve-client add boss --role admin --repos '*' --root "$HROOT" | tok >"$T/admin.token"
"$HF_BIN" serve-client add fs1 --role backup --repos shared --quota-gb 0.04 --root "$HROOT" |
	tok >"$T/backup.token"
"$HF_BIN" serve --root "$HROOT" --listen 127.0.0.1:0 --tls-cert "$T/cert.pem" --tls-key "$T/key.pem" \
	>"$T/serve.out" 2>"$T/serve.log" &
PIDS+=($!)
for _ in $(seq 50); do
	HPORT=$(sed -n 's/.* on port \([0-9]*\),.*/\1/p' "$T/serve.out")
	[ -n "$HPORT" ] && break
	sleep 0.1
done
export HOLDFAST_CACERT=$T/cert.pem
HURL=https://localhost:$HPORT/shared
HB=https://localhost:$HPORT/v1/shared
HD=$HROOT/repos/shared
# the admin: init with the full key, then fs1's write-only key
admin() { HOLDFAST_PASSWORD=$RESTIC_PASSWORD "$HF_BIN" "$@" --repo "$HURL" --token-file "$T/admin.token"; }
admin init >/dev/null 2>"$T/hf.err" || log "holdfast init failed: $(cat "$T/hf.err")"
HOLDFAST_PASSWORD=$RESTIC_PASSWORD HOLDFAST_NEW_PASSWORD='fs1 key passphrase' \
	admin key add --write-only --out "$T/client.key" >/dev/null 2>"$T/hf.err" ||
	log "holdfast key add --write-only failed: $(cat "$T/hf.err")"
# the compromised client: its backup token and client.key, nothing else
client() { # command, args...
	local cmd=$1
	shift
	HOLDFAST_PASSWORD='fs1 key passphrase' "$HF_BIN" "$cmd" --repo "$HURL" --token-file "$T/backup.token" \
		--key-file "$T/client.key" "$@"
}

# --- a real backup on each, then an incremental after an edit ------------------
restic init >/dev/null 2>&1 || log "restic init failed"
restic backup "$T/src" >/dev/null 2>&1 || log "restic backup failed"
GOOD=$(restic snapshots --json 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
client backup "$T/src" >/dev/null 2>"$T/hf.err" || log "holdfast backup failed: $(cat "$T/hf.err")"
echo "an edit" >>"$T/src/d/small"
client backup --json "$T/src" >"$T/hfb.json" 2>"$T/hf.err" || log "holdfast incremental failed: $(cat "$T/hf.err")"
jf() { python3 -c "import json,sys; j=json.load(open(sys.argv[1])); print($2)" "$1"; }
GOODH=$(jf "$T/hfb.json" 'j["snapshot"]')
HFBACKUP="works: \`holdfast backup --key-file client.key\` with the backup token; the incremental read $(jf "$T/hfb.json" 'j["files_changed"] + j["files_new"]') changed file(s) (its local cache is its parent)"
cp -a "$T/src" "$T/expected"

rc() { curl -s -o /dev/null -w '%{http_code}' --cacert "$T/cert.pem" -u fs1:s3cret "$@"; }
hc() { curl -s -o "$T/hbody" -w '%{http_code}' --cacert "$T/cert.pem" \
	-H "Authorization: Bearer $(cat "$T/backup.token")" "$@"; }
first_r() { curl -s --cacert "$T/cert.pem" -u fs1:s3cret -H 'Accept: application/vnd.x.restic.rest.v2' \
	"$RB/$1/" | python3 -c 'import json,sys; j=json.load(sys.stdin); print(j[0]["name"] if j else "")'; }
# holdfast's names are read off the server's disk: the backup token cannot
# list snapshots or keys, but an attacker may know names (its own uploads)
first_h() { basename "$(find "$HD/$1" -type f | sort | head -n 1)"; }
hpath() { find "$HD/$1" -type f -name "$2" | head -n 1; } # kind, name -> file on the server
verdict() { # HTTP status -> words
	case $1 in
	2??) echo "let through (HTTP $1)" ;;
	000) echo "connection failed" ;;
	*) echo "refused (HTTP $1)" ;;
	esac
}
exitv() { [ "$1" = 0 ] && echo "let through (exit 0)" || echo "refused (exit $1)"; }
rows=()
row() { rows+=("| $1 | $2 | $3 |"); }

# --- deletes ------------------------------------------------------------------
log "deletes"
for k in data index snapshots keys; do
	n=$(first_r $k)
	r=$(verdict "$(rc -X DELETE "$RB/$k/$n")")
	hn=$(first_h $k)
	h=$(verdict "$(hc -X DELETE "$HB/$k/$hn")")
	h2=$(verdict "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$T/cert.pem" -X DELETE \
		-H "Authorization: Bearer $(cat "$T/admin.token")" "$HB/$k/$hn")")
	row "DELETE an object under $k/" "$r" "$h; with a stolen admin token and no full key: $h2"
done
row "DELETE config" "$(verdict "$(rc -X DELETE "$RB/config")")" \
	"$(verdict "$(hc -X DELETE "$HB/config/config")")"

# --- overwrite, truncate, rename, bytes not matching the name -----------------
log "overwrite, truncate, rename, mismatched bytes"
n=$(first_r data)
head -c 100000 /dev/urandom >"$T/junk"
r=$(verdict "$(rc -X POST --data-binary @"$T/junk" "$RB/data/$n")")
hn=$(first_h data)
hf=$(hpath data "$hn")
h=$(verdict "$(hc -X PUT --data-binary @"$T/junk" "$HB/data/$hn")")
row "overwrite an existing pack" "$r" "$h"
curl -s --cacert "$T/cert.pem" -u fs1:s3cret "$RB/data/$n" | head -c 1000 >"$T/rprefix"
head -c 1000 "$hf" >"$T/hprefix"
r=$(verdict "$(rc -X POST --data-binary @"$T/rprefix" "$RB/data/$n")")
h=$(verdict "$(hc -X PUT --data-binary @"$T/hprefix" "$HB/data/$hn")")
row "truncate an existing pack (its first 1000 bytes under its name)" "$r" "$h"
other=$(printf '%064d' 1)
curl -s --cacert "$T/cert.pem" -u fs1:s3cret "$RB/data/$n" >"$T/rpack"
r=$(verdict "$(rc -X POST --data-binary @"$T/rpack" "$RB/data/$other")")
h=$(verdict "$(hc -X PUT --data-binary @"$hf" "$HB/data/$other")")
row "rename an object (no rename call in either protocol: a pack's bytes under another name, then DELETE the old)" \
	"copy $r, DELETE refused as above" "copy $h, DELETE refused as above"
fake=$(head -c 32 /dev/urandom | sha256sum | cut -c1-64)
r=$(verdict "$(rc -X POST --data-binary @"$T/junk" "$RB/data/$fake")")
h=$(verdict "$(hc -X PUT --data-binary @"$T/junk" "$HB/data/$fake")")
printf 'HFSNP002' >"$T/fsnap" && head -c 160 /dev/urandom >>"$T/fsnap"
h2=$(verdict "$(hc -X PUT --data-binary @"$T/fsnap" "$HB/snapshots/$(sha256sum "$T/fsnap" | cut -c1-64)")")
row "upload bytes that do not match their name (random bytes as data/<sha256 of other bytes>)" "$r" \
	"$h; a snapshot-shaped object under its own hash but not tagged by a key: $h2"
check_h=$([ "$(sha256sum "$hf" | cut -c1-64)" = "$hn" ] && echo "still hashes to its name" || echo "CHANGED")

# --- read old data -------------------------------------------------------------
log "read back"
if restic restore latest --target "$T/r-restored" >/dev/null 2>&1 && cmp -s "$T/src/big" "$T/r-restored$T/src/big"; then
	r="let through: \`restic restore latest\` decrypts the old snapshot (the client holds the key)"
else r="restore failed"; fi
h1=$(hc "$HB/snapshots/")
h2=$(hc "$HB/snapshots/$(first_h snapshots)")
h3=$(hc "$HB/data/$(first_h data)")
h4=$(hc "$HB/index/$(first_h index)")
client restore latest --target "$T/stolen" >/dev/null 2>&1
e1=$?
client ls latest >/dev/null 2>&1
e2=$?
client snapshots >/dev/null 2>&1
e3=$?
HOLDFAST_PASSWORD='fs1 key passphrase' "$HF_BIN" restore --repo "$HURL" --token-file "$T/admin.token" \
	--key-file "$T/client.key" latest --target "$T/stolen" >/dev/null 2>&1
e4=$?
stolen=$([ -e "$T/stolen" ] && echo "files restored" || echo "nothing restored")
row "read old snapshots, trees and packs and decrypt them" "$r" \
	"refused: with the backup token, list snapshots HTTP $h1, GET a snapshot $h2, a pack $h3, an index $h4; with client.key, \`restore\` exit $e1, \`ls\` exit $e2, \`snapshots\` exit $e3, \`restore\` even with the admin's token exit $e4 ($stolen)"

# --- forged dates ----------------------------------------------------------------
log "forged dates"
r1=$(restic backup --time "2020-01-01 00:00:00" "$T/tiny" >/dev/null 2>&1 && echo "let through" || echo refused)
r2=$(restic backup --time "2030-06-01 00:00:00" "$T/tiny" >/dev/null 2>&1 && echo "let through" || echo refused)
client backup --no-cache --time "2020-01-01 00:00:00" "$T/tiny" >/dev/null 2>&1
h1=$?
client backup --no-cache --time "2030-06-01 00:00:00" "$T/tiny" >/dev/null 2>&1
h2=$?
admin snapshots --json >"$T/snaps.json" 2>/dev/null
skew=$(jf "$T/snaps.json" 'sum(1 for s in j if "time-skew" in s.get("flags", []))')
admin ls latest >"$T/latest.ls" 2>/dev/null
lat=$(grep -q "$T/tiny" "$T/latest.ls" && echo "a forged one is latest" || echo "latest is still the good backup")
row "forge a snapshot dated in the past / in the future (\`backup --time\`)" "past: $r1; future: $r2" \
	"stored (exit $h1, $h2: tagged by client.key) but $skew flagged \`time-skew\` by the server's receipts; $lat"

# --- forget with snapshots dated ahead -------------------------------------------
log "forget with forged future snapshots"
for i in $(seq 1 12); do # the same path as the genuine backup, so forget groups them together
	restic backup --time "2030-07-$(printf %02d "$i") 00:00:00" "$T/src" >/dev/null 2>&1
	client backup --no-cache --time "2030-07-$(printf %02d "$i") 00:00:00" "$T/src" >/dev/null 2>&1
done
kept=$(restic forget --keep-daily 7 --keep-weekly 4 --dry-run --json 2>/dev/null | python3 -c "
import json, sys
j = json.load(sys.stdin)
keep = [s['id'] for g in j for s in (g.get('keep') or [])]
rem = [s['id'] for g in j for s in (g.get('remove') or [])]
print('kept' if '$GOOD' in keep else 'removed', len(keep), len(rem))")
set -- $kept
admin forget --keep-daily 7 --keep-weekly 4 --dry-run >"$T/forget.out" 2>&1
hk=$(grep -q "^keep $GOODH" "$T/forget.out" && echo kept || echo removed)
hkn=$(grep -c '^keep' "$T/forget.out")
hrn=$(grep -c '^remove' "$T/forget.out")
row "forget --keep-daily 7 --keep-weekly 4 after 12 forged snapshots of the same path dated 2030-07-01..12" \
	"the genuine snapshot is **$1** by forget (dry run: $2 kept, $3 removed); forget's deletions are then refused by --append-only, so only an admin-side prune would act on it" \
	"the genuine snapshot is **$hk** by the admin's forget (dry run: $hkn kept, $hrn removed): buckets go by server arrival, flagged snapshots last; deletions also need the full key and wait out --lock-days"

# --- flood -----------------------------------------------------------------------
log "flood of $FLOOD snapshots on restic"
t0=$(date +%s.%N)
ok=0
for i in $(seq 1 "$FLOOD"); do restic backup -q "$T/tiny" >/dev/null 2>&1 && ok=$((ok + 1)); done
t1=$(date +%s.%N)
secs=$(python3 -c "print(round($t1 - $t0, 1))")
log "flood of $FLOOD snapshots on holdfast"
before=$(find "$HD/snapshots" -type f | wc -l)
mkdir -p "$T/flood"
python3 - "$T/flood" "$HB" "$T/backup.token" "$T/cert.pem" "$FLOOD" >"$T/flood.cfg" <<'EOF'
import hashlib, os, sys
d, api, tok, ca, n = sys.argv[1:6]
token = open(tok).read().strip()
for i in range(int(n)):
    body = b"HFSNP002" + os.urandom(160)
    name = hashlib.sha256(body).hexdigest()
    path = os.path.join(d, name)
    open(path, "wb").write(body)
    print('url = "%s/snapshots/%s"' % (api, name))
    print('upload-file = "%s"' % path)
    print('header = "Authorization: Bearer %s"' % token)
    print('output = "/dev/null"')
    print('write-out = "%{http_code}\\n"')
    print('cacert = "%s"' % ca)
    print("next")
EOF
t0=$(date +%s.%N)
curl -s -K "$T/flood.cfg" >"$T/flood.codes" 2>/dev/null
t1=$(date +%s.%N)
hsecs=$(python3 -c "print(round($t1 - $t0, 1))")
echo "flood $((i + 1))" >"$T/tiny/f"
log "a real backup after the flood"
client backup "$T/tiny" >/dev/null 2>"$T/hf.err"
fe=$?
after=$(find "$HD/snapshots" -type f | wc -l)
row "flood snapshots" "let through: $ok of $FLOOD snapshots (\`restic backup\`) in ${secs} s" \
	"refused: of $FLOOD snapshot-shaped objects sent with the backup token in ${hsecs} s, $(grep -c '^201$' "$T/flood.codes") stored, $(grep -c '^422$' "$T/flood.codes") refused as untagged (422), $(grep -c '^429$' "$T/flood.codes") refused before their body (429: past the hour's 60 snapshots); a real \`backup\` afterwards: exit $fe; snapshots on the server $before before, $after after"

# --- unpin --------------------------------------------------------------------------
log "unpin"
restic tag --add keep "$GOOD" >/dev/null 2>&1
trc=$(restic tag --remove keep --tag keep >/dev/null 2>&1 && echo "exit 0" || echo "exit $?")
left=$(restic snapshots --json --tag keep 2>/dev/null | python3 -c 'import json,sys; print(len(json.load(sys.stdin) or []))')
admin pin "$GOODH" >/dev/null 2>&1
client unpin "$GOODH" >/dev/null 2>&1
ue=$?
printf 'HFMRK001' >"$T/fmark" && head -c 200 /dev/urandom >>"$T/fmark"
um=$(hc -X PUT --data-binary @"$T/fmark" "$HB/marks/$(sha256sum "$T/fmark" | cut -c1-64)")
admin snapshots --json >"$T/snaps.json" 2>/dev/null
pinned=$(jf "$T/snaps.json" 'sum(1 for s in j if s["id"].startswith("'"$GOODH"'") and s.get("pinned"))')
row "forge an \"unpin\"" "n/a (restic has no pins). Nearest: \`restic tag --remove keep\` ($trc): $left snapshot(s) still tagged keep afterwards" \
	"refused: \`unpin\` with client.key exit $ue; a forged mark object HTTP $um; the admin's pin holds ($pinned pinned)"

# --- quota -------------------------------------------------------------------------
log "quota"
head -c 50000000 /dev/urandom >"$T/fill"
fake=$(sha256sum "$T/fill" | cut -c1-64)
r=$(verdict "$(rc -X POST --data-binary @"$T/fill" "$RB/data/$fake")")
h=$(verdict "$(hc -X PUT --data-binary @"$T/fill" "$HB/data/$fake")")
hq=$(grep -o '"quota"' "$T/hbody" | head -n 1)
rm -f "$T/fill"
row "exceed a quota (50 MB of random bytes in one upload)" "$r: no quota in rclone serve restic" \
	"$h${hq:+, error $hq}: fs1's quota is 0.04 GiB"

# --- slow loris, slow body ---------------------------------------------------------
log "slow loris"
trickle() { # PORT MODE PATH AUTH -> connections of 20 still open after 40 s
	python3 - "$@" <<'EOF'
import socket, ssl, sys, time
port, mode, path, auth = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
conns = []
for _ in range(20):
    s = socket.create_connection(("127.0.0.1", port))
    s = ctx.wrap_socket(s, server_hostname="localhost")
    if mode == "headers":
        s.send(b"GET / HTTP/1.1\r\nHost: localhost\r\n")
    else:
        s.send(("%s %s HTTP/1.1\r\nHost: localhost\r\nAuthorization: %s\r\n"
                "Content-Type: application/octet-stream\r\nContent-Length: 1000000\r\n\r\n"
                % ("PUT" if mode == "body-put" else "POST", path, auth)).encode())
    conns.append(s)
t0 = time.time(); i = 0
while time.time() - t0 < 40:
    for s in list(conns):
        try:
            s.send(b"X-a%d: b\r\n" % i if mode == "headers" else b"x")
        except OSError:
            conns.remove(s)
    i += 1
    time.sleep(2)
print(len(conns))
EOF
}
during() { # PORT MODE PATH AUTH URL CURL-ARGS...: trickle on PORT, and a normal request after 20 s
	local port=$1 mode=$2 path=$3 auth=$4 out
	shift 4
	trickle "$port" "$mode" "$path" "$auth" >"$T/trickle.$port" &
	sleep 20
	out=$(curl -s -m 10 -o /dev/null -w '%{http_code}' --cacert "$T/cert.pem" "$@")
	wait $!
	echo "$(cat "$T/trickle.$port") of 20 still open after 40 s; a normal request meanwhile: HTTP $out"
}
rauth="Basic $(printf fs1:s3cret | base64)"
hauth="Bearer $(cat "$T/backup.token")"
lr=$(during "$RPORT" headers / "" -u fs1:s3cret "$RB/config")
lh=$(during "$HPORT" headers / "" -H "Authorization: $hauth" "$HB/data/")
row "slow loris (20 TLS connections, one header line every 2 s for 40 s)" "$lr" "$lh"
log "slow body"
lr=$(during "$RPORT" body-post "/repo/data/$(printf '%064d' 2)" "$rauth" -u fs1:s3cret "$RB/config")
lh=$(during "$HPORT" body-put "/v1/shared/data/$(printf '%064d' 2)" "$hauth" -H "Authorization: $hauth" "$HB/data/")
bl=$(grep '"slow_body"' "$T/serve.log" | grep -o '[0-9]* upload(s) cut' | awk '{ n += $1 } END { print n + 0 }')
row "slow body (20 TLS uploads announcing 1 MB, one body byte every 2 s for 40 s)" "$lr" "$lh; $bl cut by the body floor (logged as \`slow_body\`)"

# --- afterwards ----------------------------------------------------------------------
log "restore --last-clean, check"
admin restore --last-clean --target "$T/restored" --include "$T/src" >/dev/null 2>"$T/hf.err"
re=$?
bit=$(diff -r "$T/expected" "$T/restored$T/src" >/dev/null 2>&1 && echo "every file bit for bit" || echo "files DIFFER")
admin check --read-data >/dev/null 2>&1
ce=$?
row "afterwards: restore the last clean backup and check the repository" \
	"\`restic restore\` of the genuine snapshot works (the junk under data/ stays: \`restic check --read-data\` would report it)" \
	"\`restore --last-clean\` (admin, full key): exit $re, $bit; \`check --read-data\` exit $ce; the attacked pack $check_h"
row "a backup of the client's own files" "works" "$HFBACKUP"
{
	echo "| attack (compromised client) | restic + \`rclone serve restic --append-only\` | holdfast serve, backup-role token + write-only key |"
	echo "|---|---|---|"
	printf '%s\n' "${rows[@]}"
	echo
	echo "Run by tests/compare/restic-append-only.sh on $(date -u +%Y-%m-%d) with FLOOD=$FLOOD ($(rclone version | head -n 1), $(restic version | cut -d' ' -f1-2), holdfast $(git -C "$here" describe --always --dirty 2>/dev/null || echo '?')); rclone with --cert/--key (HTTPS) and --user/--pass."
} >"$OUT"
log "done"
