#!/usr/bin/env bash
# 61-serve-s3.sh — `holdfast serve --store s3:...`: a repository server on loopback TLS whose
# repositories live in an S3 bucket (PREFIX/repos/NAME, receipts under PREFIX/receipts/NAME),
# with clients, tokens and the log in --root. Checks: a bad bucket is refused at start with a
# reason; init through the server, a backup with a backup token and a write-only key, a
# restore bit for bit with the full key; the objects and their receipts are in the bucket under
# the prefix and none on the server's disk; a backup token cannot delete; the server killed
# with SIGKILL mid-backup and restarted: the next backup completes and check --read-data
# passes; with a bucket with Object Lock, a repository made through the server with
# --object-lock gets every object the server writes (and its receipts) locked with a
# retain-until date, and deletion is still refused by the server's own --lock-days.
# Needs an S3 server: S3_ENDPOINT and AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (tests/run.sh s3
# starts a Ceph RGW and sets them); without them every check is skipped.
. "$(dirname "$0")/lib.sh"

if [ -z "${S3_ENDPOINT:-}" ] || [ -z "${AWS_ACCESS_KEY_ID:-}" ] || [ -z "${AWS_SECRET_ACCESS_KEY:-}" ]; then
	skip "the server with an S3 store (no S3_ENDPOINT and AWS_* credentials: run tests/run.sh s3)"
	finish
fi
BUCKET=${S3_BUCKET:-holdfast-test}
LBUCKET=${S3_SERVE_LOCK_BUCKET:-holdfast-serve-lock}
REGION=${AWS_REGION:-${AWS_DEFAULT_REGION:-us-east-1}}
EMPTY_SHA=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
# s3curl ARGS... — a signed request with curl's own SigV4 (the buckets' setup, and looking at them)
s3curl() {
	curl -sS --aws-sigv4 "aws:amz:$REGION:s3" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
		-H "x-amz-content-sha256: $EMPTY_SHA" "$@"
}
code=$(s3curl -o /dev/null -w '%{http_code}' -X PUT "$S3_ENDPOINT/$BUCKET")
code2=$(s3curl -o /dev/null -w '%{http_code}' -X PUT -H 'x-amz-bucket-object-lock-enabled: true' \
	"$S3_ENDPOINT/$LBUCKET")
if { [ "$code" != 200 ] && [ "$code" != 409 ]; } || { [ "$code2" != 200 ] && [ "$code2" != 409 ]; }; then
	fail "the test buckets cannot be made at $S3_ENDPOINT (HTTP $code, $code2)"
	finish
fi
P=cli61-$$-$(date +%s)
# keys BUCKET LISTPREFIX — the keys under LISTPREFIX, one a line
keys() {
	s3curl "$S3_ENDPOINT/$1?list-type=2&max-keys=1000&prefix=${2//\//%2F}" | grep -o '<Key>[^<]*' | sed 's/^<Key>//'
}
# header BUCKET KEY NAME — a response header of a HEAD of KEY
header() {
	s3curl -I "$S3_ENDPOINT/$1/$2" | tr -d '\r' | sed -n "s/^$3: //Ip"
}

D=$T/srv
if ! server_setup "$D"; then
	fail "the server's certificate and admin cannot be made"
	finish
fi
export HOLDFAST_CACERT=$D/cert.pem
ADMIN=$D/admin.token

# --- refusals at start -------------------------------------------------------------------
hf serve --root "$D/root" --store "$D/elsewhere"
check_rc "--store with a local path: a usage error" 2
hf serve --root "$D/root" --store "s3:$S3_ENDPOINT/no-such-bucket-$$/x" --listen 127.0.0.1:0
check_rc "--store with a missing bucket: refused at start" 1
check_grep "it says the bucket does not exist" "no-such-bucket-$$ does not exist" "$T/err"

# --- a server in front of the bucket ----------------------------------------------------
STORE=s3:$S3_ENDPOINT/$BUCKET/$P
if ! server_start "$D" 0 --store "$STORE" --lock-days 0; then
	fail "the server with an S3 store did not start"
	cat "$D/serve.out" "$D/serve.log" | head -n 20
	finish
fi
PORT=$SERVER_PORT
ok "the server with an S3 store listens on port $PORT"
URL=https://localhost:$PORT/alpha
hf serve-client add fs --role backup --repos alpha --root "$D/root"
check_rc "serve-client add fs (backup role)" 0
sed -n 's/^token: //p' "$T/out" >"$T/fs.token"

hf init --repo "$URL" --token-file "$ADMIN"
check_rc "init through the server" 0
check_eq "the config is in the bucket under PREFIX/repos/alpha" "$P/repos/alpha/config" \
	"$(keys "$BUCKET" "$P/repos/alpha/config")"
check_eq "and its receipt under PREFIX/receipts/alpha" "$P/receipts/alpha/config" \
	"$(keys "$BUCKET" "$P/receipts/alpha/config")"
check_eq "nothing of the repository on the server's disk (an empty directory says it exists)" "" \
	"$(ls -A "$D/root/repos/alpha")"
hf init --repo "$URL" --token-file "$ADMIN"
check_rc "init again: the repository exists" 1
export HOLDFAST_NEW_PASSWORD='write-only key passphrase'
hf key add --write-only --out "$T/wo.key" --repo "$URL" --token-file "$ADMIN"
check_rc "a write-only key" 0

SRC=$T/src
mkdir -p "$SRC"
cp -a /usr/share/doc/bash "$SRC/bash"
cp -a /usr/include/linux "$SRC/linux"
random_file "$SRC/big.bin" 12 # a pack past 8 MiB: spooled on the server before its PUT
set_atimes "$SRC"
# wo ARGS... — holdfast as the file server: backup token, write-only key
wo() {
	HOLDFAST_PASSWORD=$HOLDFAST_NEW_PASSWORD HOLDFAST_CACHE_DIR=$T/cache hf "$@" --token-file "$T/fs.token" \
		--key-file "$T/wo.key"
}
wo backup --repo "$URL" --no-detect --json "$SRC"
check_rc "backup with a backup token and a write-only key" 0
snap=$(json 'j["snapshot"]')
check_true "packs are in the bucket under PREFIX/repos/alpha/data/" \
	test "$(keys "$BUCKET" "$P/repos/alpha/data/" | grep -cE "^$P/repos/alpha/data/([0-9a-f]{2})/\1[0-9a-f]{62}\$")" -ge 2
check_true "the snapshot is there" test -n "$(keys "$BUCKET" "$P/repos/alpha/snapshots/" | grep "/$snap")"
check_true "every pack has its receipt" test "$(keys "$BUCKET" "$P/repos/alpha/data/" | wc -l)" -eq \
	"$(keys "$BUCKET" "$P/receipts/alpha/data/" | wc -l)"
check_grep "the receipt names the sender" "^client fs" <(s3curl "$S3_ENDPOINT/$BUCKET/$P/receipts/alpha/snapshots/$snap")
hf restore --repo "$URL" --token-file "$ADMIN" latest --target "$T/r1"
check_rc "restore through the server with the full key" 0
check_tree "restored tree equals the source" "$SRC" "$T/r1$SRC"

# a backup token deletes nothing; the object stays in the bucket
code=$(curl -sS -o /dev/null -w '%{http_code}' --cacert "$D/cert.pem" -X DELETE \
	-H "Authorization: Bearer $(cat "$T/fs.token")" "https://localhost:$PORT/v1/alpha/snapshots/$snap")
check_eq "DELETE with a backup token: 403" 403 "$code"
check_true "the snapshot is still in the bucket" test -n "$(keys "$BUCKET" "$P/repos/alpha/snapshots/$snap")"

# --- kill -9 mid-backup, restart, the next backup completes -------------------------------
random_file "$SRC/more.bin" 40
lines=$(wc -l <"$D/serve.log")
(
	wo backup --repo "$URL" --no-detect "$SRC"
	echo $RC >"$T/killed.rc"
) &
BPID=$!
for i in $(seq 1 100); do # until the backup has started uploading (the server logs its uploads)
	[ "$(wc -l <"$D/serve.log")" -gt "$lines" ] && break
	sleep 0.1
done
sleep 0.5
kill -9 "$SERVER_HF_PID" 2>/dev/null
server_gone
wait "$BPID"
echo "note: the backup during the kill exited $(cat "$T/killed.rc")"
check_true "the backup during the kill ends with 0 or 1 (no crash, no hang)" grep -qx '[01]' "$T/killed.rc"
if ! server_start "$D" "$PORT" --store "$STORE" --lock-days 0; then
	fail "the server does not start again after kill -9"
	tail -n 5 "$D/serve.log"
	finish
fi
ok "the server starts again on the same bucket"
wo backup --repo "$URL" --no-detect "$SRC"
check_rc "the next backup completes" 0
hf check --repo "$URL" --token-file "$ADMIN" --read-data
check_rc "check --read-data passes after the kill" 0
hf restore --repo "$URL" --token-file "$ADMIN" latest --target "$T/r2"
check_rc "restore after the kill" 0
check_tree "the last snapshot restores equal to the source" "$SRC" "$T/r2$SRC"
# a quota is counted from the receipts in the bucket, also by a server started afresh
hf serve-client add q --role backup --repos alpha --quota-objects 5 --root "$D/root"
sed -n 's/^token: //p' "$T/out" >"$T/q.token"
# qbackup DIR — a backup of DIR with the quota client's token
qbackup() {
	HOLDFAST_PASSWORD=$HOLDFAST_NEW_PASSWORD HOLDFAST_CACHE_DIR=$T/qcache hf backup --repo "$URL" \
		--token-file "$T/q.token" --key-file "$T/wo.key" --no-detect "$1"
}
mkdir -p "$T/q1" "$T/q2"
head -c 3000 /dev/urandom >"$T/q1/a"
head -c 3000 /dev/urandom >"$T/q2/b"
qbackup "$T/q1"
check_rc "a small backup within a quota of 5 objects" 0
server_stop
if ! server_start "$D" "$PORT" --store "$STORE" --lock-days 0; then
	fail "the server does not start again"
	finish
fi
qbackup "$T/q2"
check_rc "after a restart, the next one passes the quota: refused" 1
check_grep "it says the quota is used up" "quota" "$T/err"
bad=0
for k in $(keys "$BUCKET" "$P/repos/alpha/data/"); do
	n=${k##*/}
	[ "$(s3curl "$S3_ENDPOINT/$BUCKET/$k" | sha256sum | cut -d' ' -f1)" = "$n" ] || bad=$((bad + 1))
done
check_eq "no torn pack in the bucket: every one hashes to its name" 0 "$bad"
server_stop

# --- Object Lock: a repository whose config asks for it --------------------------------
LSTORE=s3:$S3_ENDPOINT/$LBUCKET/$P
if ! server_start "$D" 0 --store "$LSTORE" --lock-days 1; then
	fail "the server with an Object Lock bucket did not start"
	cat "$D/serve.out" "$D/serve.log" | head -n 20
	finish
fi
PORT=$SERVER_PORT
LURL=https://localhost:$PORT/locked
hf serve-client add lfs --role backup --repos locked --root "$D/root"
sed -n 's/^token: //p' "$T/out" >"$T/lfs.token"
hf init --repo "$LURL" --token-file "$ADMIN" --object-lock compliance --lock-period 120s
check_rc "init --object-lock through a server on an Object Lock bucket" 0
check_grep "the config records the lock" "^object_lock compliance 120" <(s3curl "$S3_ENDPOINT/$LBUCKET/$P/repos/locked/config")
check_eq "the config itself is locked COMPLIANCE" COMPLIANCE "$(header "$LBUCKET" "$P/repos/locked/config" x-amz-object-lock-mode)"
HOLDFAST_NEW_PASSWORD='lock key' hf key add --write-only --out "$T/lwo.key" --repo "$LURL" --token-file "$ADMIN"
check_rc "a write-only key for the locked repository" 0
# lbackup PATHS... — a backup of the locked repository as its file server
lbackup() {
	HOLDFAST_PASSWORD='lock key' HOLDFAST_CACHE_DIR=$T/lcache hf backup --repo "$LURL" --token-file "$T/lfs.token" \
		--key-file "$T/lwo.key" --no-detect --json "$@"
}
lbackup "$SRC/bash" "$SRC/big.bin"
check_rc "backup through the server into the locked repository" 0
lsnap=$(json 'j["snapshot"]')
sleep 1 # a distinct snapshot time
echo more >"$SRC/bash/MORE"
lbackup "$SRC/bash" "$SRC/big.bin"
check_rc "a second backup" 0
PACK=$(keys "$LBUCKET" "$P/repos/locked/data/" | tail -n 1)
check_eq "the snapshot the server wrote is locked COMPLIANCE" COMPLIANCE \
	"$(header "$LBUCKET" "$P/repos/locked/snapshots/$lsnap" x-amz-object-lock-mode)"
check_eq "a pack too" COMPLIANCE "$(header "$LBUCKET" "$PACK" x-amz-object-lock-mode)"
until=$(header "$LBUCKET" "$PACK" x-amz-object-lock-retain-until-date)
check_true "its retain-until date is about 120 s ahead" test "$(($(date -d "$until" +%s) - $(date +%s)))" -gt 60
check_eq "its receipt is locked too" COMPLIANCE \
	"$(header "$LBUCKET" "$P/receipts/locked/snapshots/$lsnap" x-amz-object-lock-mode)"
code=$(s3curl -o /dev/null -w '%{http_code}' -X DELETE \
	"$S3_ENDPOINT/$LBUCKET/$P/repos/locked/snapshots/$lsnap?versionId=$(header "$LBUCKET" "$P/repos/locked/snapshots/$lsnap" x-amz-version-id)")
check_eq "even the S3 keys cannot delete the locked version" 403 "$code"
hf forget --repo "$LURL" --token-file "$ADMIN" --keep-last 1 --prune --grace 0
check_rc "forget --keep-last 1 --prune with the full key" 0
check_grep "the server's --lock-days refused the deletion (423)" '"method": "DELETE".*"status": 423' "$D/serve.log"
check_true "the first snapshot is still in the bucket" test -n "$(keys "$LBUCKET" "$P/repos/locked/snapshots/$lsnap")"
server_stop
# without the server's lock, the bucket's lock still refuses: 423 from S3's refusal
: >"$D/serve.log"
if server_start "$D" 0 --store "$LSTORE" --lock-days 0; then
	LURL=https://localhost:$SERVER_PORT/locked
	hf forget --repo "$LURL" --token-file "$ADMIN" --keep-last 1 --prune --grace 0
	check_rc "forget --prune behind a server with --lock-days 0" 0
	check_grep "the bucket's Object Lock refused the deletion (423)" '"method": "DELETE".*"status": 423' "$D/serve.log"
	check_true "the first snapshot is still in the bucket" \
		test -n "$(keys "$LBUCKET" "$P/repos/locked/snapshots/$lsnap")"
	server_stop
else
	fail "the server with an Object Lock bucket did not start again"
fi

# an Object Lock repository behind a server whose bucket cannot lock: nothing is written
if server_start "$D" 0 --store "s3:$S3_ENDPOINT/$BUCKET/$P-nolock" --lock-days 0; then
	hf init --repo "https://localhost:$SERVER_PORT/nl" --token-file "$ADMIN" --object-lock compliance
	check_rc "init --object-lock through a server whose bucket has no Object Lock: refused" 1
	check_grep "it says why" "needs an S3 bucket with Object Lock" "$T/err"
	server_stop
else
	fail "the server on $BUCKET/$P-nolock did not start"
fi
finish
