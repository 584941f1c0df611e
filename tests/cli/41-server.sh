#!/usr/bin/env bash
# 41-server.sh — holdfast serve and serve-client, end to end on loopback with
# real TLS: an admin creates a repository through the server, backs up and
# restores bit for bit; a restore token restores and checks but cannot
# write; a backup token reads nothing back; nobody deletes (forget keeps
# what the server refuses to remove); a wrong token, a missing token and a
# certificate nobody vouches for are refused; the server's log records the
# refusals; SIGTERM stops it.
. "$(dirname "$0")/lib.sh"

ROOT=$T/server
mkdir -p "$ROOT"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=localhost \
	-addext subjectAltName=DNS:localhost -keyout "$T/key.pem" -out "$T/cert.pem" >/dev/null 2>&1 ||
	fail "openssl made no certificate"

# serve-client: add, list, rotate, remove
token_of() { sed -n 's/^token: //p' "$T/out"; }
hf serve-client add boss --role admin --repos '*' --root "$ROOT"
check_rc "serve-client add admin" 0
token_of >"$T/admin.token"
hf serve-client add fs1 --role backup --repos shared --root "$ROOT"
token_of >"$T/backup.token"
hf serve-client add reader --role restore --repos shared --root "$ROOT"
token_of >"$T/restore.token"
check_true "tokens look like tokens" grep -q '^hft1_reader_' "$T/restore.token"
hf serve-client add boss --role admin --root "$ROOT"
check_rc "serve-client add of an existing client: exit 1" 1
hf serve-client add bad/name --role admin --root "$ROOT"
check_rc "a bad client name: exit 2" 2
hf serve-client list --root "$ROOT"
check_eq "serve-client list shows three clients" 3 "$(wc -l <"$T/out")"
check_true "the list shows no token" bash -c "! grep -q hft1_ '$T/out'"
hf serve-client add temp --role backup --root "$ROOT"
token_of >"$T/temp.token"
hf serve-client rotate temp --root "$ROOT"
check_rc "rotate" 0
token_of >"$T/temp2.token"
check_true "rotate gives a new token" bash -c "! cmp -s '$T/temp.token' '$T/temp2.token'"
hf serve-client remove temp --root "$ROOT"
check_rc "remove" 0
hf serve-client add small --role admin --repos shared --quota-objects 1 --quota-gb 0.5 --root "$ROOT"
token_of >"$T/small.token"
hf serve-client list --root "$ROOT"
check_grep "list shows the quota" "^small .*quota: 0.500 GiB, 1 objects" "$T/out"
hf serve-client add bad --role admin --quota-gb -1 --root "$ROOT"
check_rc "a negative quota: usage" 2

# the server, on a free port
timeout -k 5 600 "$HF_BIN" serve --root "$ROOT" --listen 127.0.0.1:0 --tls-cert "$T/cert.pem" \
	--tls-key "$T/key.pem" >"$T/serve.out" 2>"$T/serve.log" &
SERVER=$!
for _ in $(seq 1 50); do
	PORT=$(sed -n 's/.* on port \([0-9]*\),.*/\1/p' "$T/serve.out")
	[ -n "$PORT" ] && break
	sleep 0.1
done
if [ -z "${PORT:-}" ]; then
	fail "the server did not start"
	cat "$T/serve.log"
	finish
fi
ok "the server listens on port $PORT"
URL=https://localhost:$PORT/shared
export HOLDFAST_CACERT=$T/cert.pem

mkdir -p "$T/src/d"
random_file "$T/src/big" 3
seq 1 200000 >"$T/src/d/numbers"
echo hello >"$T/src/d/small"
ln -s small "$T/src/d/link"

hf init --repo "$URL" --token-file "$T/backup.token"
check_rc "init with a backup token: refused" 1
check_grep "it says the server refused" "server refused" "$T/err"
hf init --repo "$URL"
check_rc "init without a token: refused" 1
check_grep "it asks for a token" "needs a token" "$T/err"
hf init --repo "$URL" --token-file "$T/admin.token"
check_rc "init with the admin token" 0
hf backup --repo "$URL" --token-file "$T/admin.token" "$T/src"
check_rc "backup through the server" 0
echo more >>"$T/src/d/small"
hf backup --repo "$URL" --token-file "$T/admin.token" "$T/src"
check_rc "a second backup" 0
hf snapshots --repo "$URL" --token-file "$T/restore.token" --json
check_rc "snapshots with the restore token" 0
check_eq "two snapshots" 2 "$(json 'len(j)')"
check_eq "the server says who sent each: the admin client" "boss boss" "$(json '" ".join(s["sender"] for s in j)')"
check_eq "and nothing about them is doubtful" "[[], []]" "$(json '[s["flags"] for s in j]')"
check_eq "each arrived within a minute of its time" "true" \
	"$(json 'all(abs(__import__("datetime").datetime.fromisoformat(s["arrived"]).timestamp() - __import__("datetime").datetime.fromisoformat(s["time"]).timestamp()) < 60 for s in j)')"
hf restore --repo "$URL" --token-file "$T/restore.token" --target "$T/restored" latest
check_rc "restore with the restore token" 0
check_tree "restored bit for bit" "$T/src" "$T/restored$T/src"
hf check --repo "$URL" --token-file "$T/restore.token" --read-data
check_rc "check --read-data with the restore token" 0
HOLDFAST_TOKEN=$(cat "$T/restore.token") hf snapshots --repo "$URL"
check_rc "the token from HOLDFAST_TOKEN" 0
# the TLS 1.3 suite the client asks for first, AES-128-GCM (SECURITY.md): its
# traffic secrets are SHA-256 sized (32 bytes; AES-256-GCM's suite: 48), as
# libcurl writes them to SSLKEYLOGFILE
SSLKEYLOGFILE=$T/keylog hf snapshots --repo "$URL" --token-file "$T/restore.token"
check_rc "snapshots, with the TLS secrets logged" 0
secret=$(awk '$1 == "CLIENT_TRAFFIC_SECRET_0" {print length($3); exit}' "$T/keylog" 2>/dev/null)
check_eq "TLS 1.3 with AES-128-GCM (SHA-256 secrets, hex digits)" 64 "${secret:-none}"

# a client past its quota: refused with a clear error, and logged
mkdir -p "$T/quota-src"
echo "past the quota" >"$T/quota-src/file"
hf backup --repo "$URL" --token-file "$T/small.token" "$T/quota-src"
check_rc "a backup past the client's object quota fails" 1
check_grep "it says the quota is used up" "quota" "$T/err"
check_grep "the log has the refusal" '"client": "small".*"status": 507' "$T/serve.log"

# what each token may not do
hf backup --repo "$URL" --token-file "$T/restore.token" "$T/src"
check_rc "backup with the restore token: fails" 1
hf snapshots --repo "$URL" --token-file "$T/backup.token"
check_rc "a backup token lists no snapshots" 1
hf backup --repo "$URL" --token-file "$T/backup.token" "$T/src"
check_rc "a backup token with the full passphrase: refused" 1
check_grep "it says a backup token needs a write-only key file" "backup token backs up with a write-only key file" \
	"$T/err"
hf restore --repo "$URL" --token-file "$T/backup.token" --target "$T/r2" latest
check_rc "a backup token restores nothing" 1
check_true "nothing restored" test ! -e "$T/r2$T/src/big"
hf forget --repo "$URL" --token-file "$T/admin.token" --keep-last 1 --prune --grace 0
check_rc "forget --prune with the admin token and the full key" 0
hf snapshots --repo "$URL" --token-file "$T/restore.token" --json
check_eq "the forgotten snapshot is no longer listed" 1 "$(json 'len(j)')"
check_eq "but the server deletes nothing younger than its lock (30 days by default)" 2 \
	"$(ls "$ROOT/repos/shared/snapshots" | wc -l)"
check_grep "the server answered 423 Locked" '"method": "DELETE".*"status": 423' "$T/serve.log"
# a stolen admin token without the full key deletes nothing, signature or not
SNAP=$(ls "$ROOT/repos/shared/snapshots" | head -n 1)
admin_delete() { # extra curl arguments
	curl -s -o /dev/null -w '%{http_code}' --cacert "$T/cert.pem" -X DELETE \
		-H "Authorization: Bearer $(cat "$T/admin.token")" "$@" "https://localhost:$PORT/v1/shared/snapshots/$SNAP"
}
check_eq "a DELETE with the admin token alone: 403" 403 "$(admin_delete)"
check_eq "with a made-up signature: 403" 403 "$(admin_delete -H "Holdfast-Auth: $(printf '%032d' 0).1.$(printf '%0128d' 0)")"
check_true "the snapshot is still there" test -f "$ROOT/repos/shared/snapshots/$SNAP"
echo "hft1_boss_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" >"$T/forged.token"
hf snapshots --repo "$URL" --token-file "$T/forged.token"
check_rc "a forged token: refused" 1
hf snapshots --repo "$URL" --token-file "$T/temp2.token"
check_rc "a removed client's token: refused" 1
HOLDFAST_CACERT=/etc/ssl/certs/ca-certificates.crt hf snapshots --repo "$URL" --token-file "$T/restore.token"
check_rc "a certificate nobody vouches for: refused" 1
hf snapshots --repo "http://localhost:$PORT/shared" --token-file "$T/restore.token"
check_rc "plain http to a TLS port: fails" 1

# the log: one JSON object per line, the refusals among them
check_true "the log is JSON lines" /usr/bin/python3 -c "
import json, sys
n = 0
for line in open('$T/serve.log'):
    json.loads(line); n += 1
sys.exit(0 if n > 0 else 1)"
check_grep "the log has the refused deletion" '"method": "DELETE".*"status": 403' "$T/serve.log"
check_grep "the log has a refused token" '"status": 401' "$T/serve.log"

kill -TERM "$SERVER"
wait "$SERVER"
RC=$?
check_rc "SIGTERM stops the server cleanly" 0

# without a lock, the admin with the full key prunes for real
timeout -k 5 600 "$HF_BIN" serve --root "$ROOT" --listen 127.0.0.1:0 --tls-cert "$T/cert.pem" \
	--tls-key "$T/key.pem" --lock-days 0 >"$T/serve.out" 2>"$T/serve.log" &
SERVER=$!
PORT=
for _ in $(seq 1 50); do
	PORT=$(sed -n 's/.* on port \([0-9]*\),.*/\1/p' "$T/serve.out")
	[ -n "$PORT" ] && break
	sleep 0.1
done
URL=https://localhost:$PORT/shared
hf forget --repo "$URL" --token-file "$T/restore.token" --keep-last 1 --prune --grace 0
check_eq "a restore token deletes nothing" 2 "$(ls "$ROOT/repos/shared/snapshots" | wc -l)"
hf forget --repo "$URL" --token-file "$T/admin.token" --keep-last 1 --prune --grace 0
check_rc "forget --prune past the lock" 0
hf snapshots --repo "$URL" --token-file "$T/restore.token" --json
check_eq "one snapshot left" 1 "$(json 'len(j)')"
check_eq "the one forgotten under the lock is deleted now" 1 "$(ls "$ROOT/repos/shared/snapshots" | wc -l)"
hf prune --repo "$URL" --token-file "$T/admin.token" --grace 0
hf check --repo "$URL" --token-file "$T/restore.token" --read-data
check_rc "check --read-data after the prune" 0
rm -rf "$T/restored"
hf restore --repo "$URL" --token-file "$T/restore.token" --target "$T/restored" latest
check_tree "the kept snapshot restores bit for bit" "$T/src" "$T/restored$T/src"
check_grep "the log names each removal" '"event": "removed".*by boss' "$T/serve.log"
kill -TERM "$SERVER"
wait "$SERVER"

hf serve --root "$ROOT" --listen 0.0.0.0:0
check_rc "plain HTTP beyond loopback: refused" 1
check_grep "it says why" "only a loopback address" "$T/err"
hf serve --listen 127.0.0.1:0
check_rc "serve without --root: usage" 2
finish
