#!/usr/bin/env bash
# 45-compromised-client.sh — the issue's compromised client, against a real
# server on loopback with real TLS. The attacker is root on a backed-up file
# server: it holds that server's backup token (and, in the write-only part,
# its write-only key file). Every attempt must be refused, with the HTTP
# status the API names, or be harmless:
#   DELETE of every kind; overwrite, truncate and rename of stored objects;
#   an object whose bytes do not match its name; PATCH/POST on object paths;
#   reading stored data, snapshots, marks, whole indexes, other clients'
#   index lists; a flood of 10,000 snapshots (60 an hour reach the server's
#   checks, which refuse them as untagged, the rest 429 before their
#   body); a put past its quota (507); 20 slow-loris connections (cut); a
#   stolen admin token without the full key deletes nothing.
# Afterwards restore --last-clean brings every file back bit for bit, check
# --read-data finds nothing the attacker sent, and the server's log has
# every refusal.
. "$(dirname "$0")/lib.sh"

SRV=$T/srv
server_setup "$SRV" || fail "no server set-up"
ROOT=$SRV/root
export HOLDFAST_CACERT=$SRV/cert.pem
cp "$SRV/admin.token" "$T/boss.token"
add_client() { # name, serve-client add options...
	local name=$1
	shift
	hf serve-client add "$name" --root "$ROOT" "$@"
	sed -n 's/^token: //p' "$T/out" >"$T/$name.token"
}
add_client fs1 --role backup --repos fs1
add_client fs2 --role backup --repos fs1
add_client fs3 --role backup --repos fs1 --quota-gb 0.01
# the server runs with --lock-days 0: what stops the attacker below is its
# role and the missing signature, not the lock
server_start "$SRV" || { fail "the server did not start"; finish; }
PORT=$SERVER_PORT
R=https://localhost:$PORT/fs1
API=https://localhost:$PORT/v1/fs1

# the file server's good backups (made before the compromise)
S=$T/src
mkdir -p "$S/docs" "$S/db"
for i in $(seq 1 30); do random_file "$S/docs/f$i" $((i % 5 + 1)); done
seq 1 300000 >"$S/db/table.csv"
hf init --repo "$R" --token-file "$T/boss.token"
check_rc "init" 0
hf backup --repo "$R" --token-file "$T/boss.token" "$S"
check_rc "a good backup" 0
echo "an edit" >>"$S/db/table.csv"
hf backup --repo "$R" --token-file "$T/boss.token" --json "$S"
check_rc "a second good backup" 0
good_boss=$(json 'j["snapshot"]')
cp -a "$S" "$T/expected"
D=$ROOT/repos/fs1
first() { find "$D/$1" -type f | head -n 1; }
SNAP=$(basename "$(first snapshots)")
PACK=$(basename "$(first data)")
INDEX=$(basename "$(first index)")
MARK=$(basename "$(first marks)")
KEY=$(basename "$(first keys)")

# one request as the attacker: prints the HTTP status
attack() { # token name, method, path, curl options...
	local tok=$1 method=$2 path=$3
	shift 3
	curl -s -o "$T/body" -w '%{http_code}' --cacert "$SRV/cert.pem" -X "$method" \
		-H "Authorization: Bearer $(cat "$T/$tok.token")" "$@" "$API/$path"
}
for obj in "snapshots/$SNAP" "data/$PACK" "index/$INDEX" "marks/$MARK" "keys/$KEY" config/config; do
	check_eq "DELETE $obj with the backup token: 403" 403 "$(attack fs1 DELETE "$obj")"
	check_eq "DELETE $obj with a stolen admin token, no full key: 403" 403 "$(attack boss DELETE "$obj")"
done
head -c 100 /dev/urandom >"$T/junk"
check_eq "overwrite a snapshot: 409" 409 "$(attack fs1 PUT "snapshots/$SNAP" --data-binary @"$T/junk")"
head -c 1000 "$D/data/${PACK:0:2}/$PACK" >"$T/prefix"
check_eq "truncate a pack (its prefix under its name): 409" 409 \
	"$(attack fs1 PUT "data/$PACK" --data-binary @"$T/prefix")"
OTHER=$(printf '%064d' 1)
check_eq "rename a pack (its bytes under another name): 422" 422 \
	"$(attack fs1 PUT "data/$OTHER" --data-binary @"$D/data/${PACK:0:2}/$PACK")"
check_eq "bytes that do not hash to their name: 422" 422 \
	"$(attack fs1 PUT "snapshots/$OTHER" --data-binary @"$T/junk")"
check_eq "PATCH an object: 405" 405 "$(attack fs1 PATCH "snapshots/$SNAP" --data-binary @"$T/junk")"
check_eq "POST to an object: 405" 405 "$(attack fs1 POST "data/$PACK" --data-binary @"$T/junk")"
for obj in "snapshots/$SNAP" "data/$PACK" "index/$INDEX" "marks/$MARK"; do
	check_eq "read $obj with the backup token: 403" 403 "$(attack fs1 GET "$obj")"
done
check_eq "list the snapshots: 403" 403 "$(attack fs1 GET snapshots/)"
check_eq "list the marks: 403" 403 "$(attack fs1 GET marks/)"
check_eq "list the indexes: only its own and an admin's" 200 "$(attack fs2 GET index/)"
check_eq "(the admin's are listed)" "$(find "$D/index" -type f | wc -l)" "$(wc -l <"$T/body")"
check_true "every stored object is still there, unchanged" test -f "$D/snapshots/$SNAP" -a -f "$D/config"
check_eq "the pack still hashes to its name" "$PACK" "$(sha256sum "$D/data/${PACK:0:2}/$PACK" | cut -c1-64)"

# --- with the write-only key too -----------------------------------------------
# the admin made fs1's key; fs1 backs up with it (its good backups), then
# the attacker, root on fs1, holds it
export HOLDFAST_NEW_PASSWORD='fs1 key passphrase'
hf key add --write-only --out "$T/fs1.key" --repo "$R" --token-file "$T/boss.token"
check_rc "key add --write-only (admin, full key)" 0
cp "$T/fs1.key" "$T/fs2.key"
fs() { # client, command, args... (the client's token and write-only key)
	local who=$1 cmd=$2
	shift 2
	HOLDFAST_PASSWORD=$HOLDFAST_NEW_PASSWORD hf "$cmd" --repo "$R" --token-file "$T/$who.token" \
		--key-file "$T/$who.key" "$@"
}
W=$T/fs1-share
mkdir -p "$W"
for i in $(seq 1 10); do random_file "$W/g$i" 1; done
fs fs1 backup "$W"
check_rc "fs1's write-only backup through its backup token" 0
echo "fs1 edits" >"$W/g1"
fs fs1 backup "$W" --json
check_rc "and its incremental" 0
check_eq "which reads only the changed file (its local cache is its parent)" 1 "$(json 'j["files_changed"] + j["files_new"]')"
good_fs1=$(json 'j["snapshot"]')
cp -a "$W" "$T/fs1-expected"
for cmd in snapshots ls restore check forget unpin history; do
	for who in fs1; do
		case $cmd in
		ls | history) fs "$who" "$cmd" latest ;;
		restore) fs "$who" restore latest --target "$T/stolen" ;;
		forget) fs "$who" forget --keep-last 1 ;;
		unpin) fs "$who" unpin latest ;;
		*) fs "$who" "$cmd" ;;
		esac
		check_rc "$cmd with the write-only key: refused (exit 2)" 2
	done
done
check_true "nothing was restored" test ! -e "$T/stolen"
HOLDFAST_PASSWORD=$HOLDFAST_NEW_PASSWORD hf restore --repo "$R" --token-file "$T/boss.token" \
	--key-file "$T/fs1.key" latest --target "$T/stolen"
check_rc "not even with the admin's token" 2
# snapshots with forged dates, made with the key: stored (they are tagged),
# flagged by the server's receipts, never latest, never the parent
fs fs1 backup --no-cache --time '2000-01-01 00:00:00' "$W"
check_rc "a snapshot dated 2000" 0
fs fs1 backup --no-cache --time '2100-01-01 00:00:00' "$W"
check_rc "a snapshot dated 2100" 0
hf snapshots --repo "$R" --token-file "$T/boss.token" --json
check_eq "both flagged time-skew by the server" "2" \
	"$(json 'sum(1 for s in j if "time-skew" in s.get("flags", []))')"
check_eq "sent by fs1, arrived today" "fs1 fs1" \
	"$(json '" ".join(s["sender"] for s in j if s.get("flags"))')"
hf ls --repo "$R" --token-file "$T/boss.token" latest
check_true "latest is not a forged one" bash -c "! grep -q 2100 '$T/out'"
# cross-client dedup: fs2 backs up the same files; it cannot trust fs1's id
# lists, so it stores them itself
fs fs2 backup --json "$W"
check_rc "fs2's write-only backup of the same files" 0
check_true "fs2 stored the data itself (no dedup against another backup client's lists)" \
	test "$(json 'j["bytes_added"]')" -gt 5000000
# the usual retention keeps the good snapshots, not the forged ones
hf forget --repo "$R" --token-file "$T/boss.token" --keep-daily 7 --keep-weekly 4 --dry-run
check_rc "forget --dry-run with the usual policy" 0
check_grep "it keeps fs1's newest good snapshot" "^keep $good_fs1" "$T/out"
check_grep "and the file server's" "^keep $good_boss" "$T/out"

# a flood of 10,000 snapshots: shaped like snapshots, each its own name
before=$(find "$D/snapshots" -type f | wc -l)
mkdir -p "$T/flood"
$PY - "$T/flood" "$API" "$T/fs1.token" "$SRV/cert.pem" >"$T/flood.cfg" <<'EOF'
import hashlib, os, sys
d, api, tok, ca = sys.argv[1:5]
token = open(tok).read().strip()
for i in range(10000):
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
t0=$SECONDS
curl -s -K "$T/flood.cfg" >"$T/flood.codes" 2>/dev/null
# slots are taken when asked: fs1's backups and the refused put above took
# some of the hour's 60; the rest reach the server's tag check, which
# refuses them (the admin's init gave it the tag key): untagged, they are
# not the repository's
checked=$(grep -c '^422$' "$T/flood.codes")
check_eq "10,000 snapshots: none stored, all refused (422 untagged or 429 past the hour's 60)" "0 10000" \
	"$(grep -c '^201$' "$T/flood.codes") $((checked + $(grep -c '^429$' "$T/flood.codes")))"
check_true "at most the hour's 60 reached the checks ($checked)" test "$checked" -le 60
echo "  (the flood took $((SECONDS - t0)) s)"
check_eq "the server holds no more snapshots than before" "$before" "$(find "$D/snapshots" -type f | wc -l)"

# past its quota: 507, and its error says so
head -c 12000000 /dev/urandom >"$T/big"
check_eq "a put past the client's quota: 507" 507 \
	"$(attack fs3 PUT "data/$(sha256sum "$T/big" | cut -c1-64)" --data-binary @"$T/big")"
check_grep "with Holdfast-Error: quota in the body" '"quota"' "$T/body"
rm -f "$T/big"

# slow loris: 20 TLS connections that trickle a header byte every second,
# never idle; the server cuts each about 10 s after it opened, and a real
# request meanwhile is answered
$PY - "$PORT" "$SRV/cert.pem" >"$T/loris.out" 2>&1 <<'EOF' &
import socket, ssl, sys, time
port, ca = int(sys.argv[1]), sys.argv[2]
ctx = ssl.create_default_context(cafile=ca)
conns = []
for _ in range(20):
    s = ctx.wrap_socket(socket.create_connection(("localhost", port)), server_hostname="localhost")
    s.sendall(b"GET /v1/hello HTTP/1.1\r\nHost: localhost\r\nX-Slow: ")
    conns.append(s)
t0 = time.time()
while time.time() - t0 < 25:
    for s in conns[:]:
        try:
            s.sendall(b"a")
        except OSError:
            conns.remove(s)
    time.sleep(1)
print("open after 25 s:", len(conns))
EOF
LORIS=$!
sleep 3
check_eq "a real request while they trickle: 200" 200 "$(attack fs1 GET data/)"
wait "$LORIS"
check_grep "every trickling connection was cut" "open after 25 s: 0" "$T/loris.out"
check_grep "and logged" '"event": "slow_headers"' "$SRV/serve.log"

# afterwards: the good data is whole and comes back bit for bit; check names
# what the attacker added; the log has the refusals
hf restore --repo "$R" --token-file "$T/boss.token" --last-clean --target "$T/restored" --include "$S"
check_rc "restore --last-clean of the file server's last good snapshot" 0
check_tree "every file comes back bit for bit" "$T/expected" "$T/restored$S"
hf restore --repo "$R" --token-file "$T/boss.token" --target "$T/restored-fs1" "$good_fs1"
check_tree "and fs1's write-only backup too" "$T/fs1-expected" "$T/restored-fs1$W"
hf check --repo "$R" --token-file "$T/boss.token" --read-data
check_rc "check --read-data: nothing the attacker sent got in" 0
check_grep "the log has the refused deletions" '"client": "fs1".*"method": "DELETE".*"status": 403' "$SRV/serve.log"
check_grep "the refused untagged objects" '"client": "fs1".*"status": 422' "$SRV/serve.log"
check_grep "the quota" '"client": "fs3".*"status": 507' "$SRV/serve.log"
check_grep "and the flood" '"client": "fs1".*"status": 429' "$SRV/serve.log"

server_stop
finish
