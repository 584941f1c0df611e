#!/usr/bin/env bash
# 60-s3-lock.sh — a repository in an S3 bucket with Object Lock, on a real Ceph RGW:
#  - init locks every object (COMPLIANCE by default, GOVERNANCE if asked) for the period, by
#    the server's clock, and records it in the config; --object-lock is refused elsewhere;
#  - an attacker with the client's own S3 keys: deleting versions, shortening a lock,
#    suspending versioning, deleting the bucket, changing its lock configuration are refused;
#    overwrites and delete markers are undone by --as-of: restore --last-clean bit for bit;
#  - lock maintenance over real time with a 20 s period: forget and prune while locked hide
#    what they drop, lock extend keeps everything in use locked, what no kept snapshot uses
#    is deleted once its lock has ended;
#  - a full bucket (an RGW quota): the backup fails saying so, and completes once there is room;
#  - radosgw killed in the middle of a backup and restarted: the backup fails clearly or
#    completes, the next one completes, check --read-data passes.
# Needs an S3 server with Object Lock: S3_ENDPOINT and AWS_* credentials (tests/run.sh s3
# starts a Ceph RGW and sets them; also S3_STATE_DIR and HF_S3_KIT, for the restart); without
# them every check is skipped. Makes the bucket S3_LOCK_BUCKET (default holdfast-test-locked)
# with Object Lock if missing; each run uses fresh prefixes.
. "$(dirname "$0")/lib.sh"

if [ -z "${S3_ENDPOINT:-}" ] || [ -z "${AWS_ACCESS_KEY_ID:-}" ] || [ -z "${AWS_SECRET_ACCESS_KEY:-}" ]; then
	skip "the S3 Object Lock repository (no S3_ENDPOINT and AWS_* credentials: run tests/run.sh s3)"
	finish
fi
BUCKET=${S3_LOCK_BUCKET:-holdfast-test-locked}
REGION=${AWS_REGION:-${AWS_DEFAULT_REGION:-us-east-1}}
EMPTY_SHA=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
# s3curl ARGS... — a signed request with curl's own SigV4: the attacker holds the same keys
s3curl() {
	curl -sS --aws-sigv4 "aws:amz:$REGION:s3" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
		-H "x-amz-content-sha256: $EMPTY_SHA" "$@"
}
# s3put BODY URL [curl args] — a signed request with a body; prints the HTTP status
s3put() {
	local body=$1 url=$2
	shift 2
	curl -sS -o "$T/s3body" -w '%{http_code}' --aws-sigv4 "aws:amz:$REGION:s3" \
		--user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
		-H "x-amz-content-sha256: $(printf '%s' "$body" | sha256sum | cut -d' ' -f1)" \
		-H "Content-MD5: $(printf '%s' "$body" | openssl md5 -binary | base64)" \
		-X PUT --data-binary "$body" "$@" "$url"
}
code=$(s3curl -o /dev/null -w '%{http_code}' -X PUT -H 'x-amz-bucket-object-lock-enabled: true' \
	"$S3_ENDPOINT/$BUCKET")
if [ "$code" != 200 ] && [ "$code" != 409 ]; then
	fail "the test bucket $BUCKET with Object Lock cannot be made at $S3_ENDPOINT (HTTP $code)"
	finish
fi
P=cli60-$$-$(date +%s)
R=s3:$S3_ENDPOINT/$BUCKET/$P
# keys PREFIX LISTPREFIX — the keys under PREFIX/LISTPREFIX, one a line
keys() {
	s3curl "$S3_ENDPOINT/$BUCKET?list-type=2&prefix=$1%2F${2//\//%2F}" | grep -o '<Key>[^<]*' | sed 's/^<Key>//'
}
# header KEY NAME — a response header of a HEAD of KEY
header() {
	s3curl -I "$S3_ENDPOINT/$BUCKET/$1" | tr -d '\r' | sed -n "s/^$2: //Ip"
}
# read_back WHAT REPO SRC — check --read-data of REPO, then its latest snapshot
# restored and compared with SRC bit for bit
nback=0
read_back() {
	local target=$T/back$((++nback))
	hf check --repo "$2" --read-data
	check_rc "$1: check --read-data" 0
	hf restore --repo "$2" latest --target "$target"
	check_tree "$1: restored bit for bit" "$3" "$target$3"
}
server_now() { # the S3 server's clock, s since 1970
	date -d "$(s3curl -I "$S3_ENDPOINT/$BUCKET" | tr -d '\r' | sed -n 's/^Date: //Ip')" +%s
}

SRC=$T/src
mkdir -p "$SRC"
cp -a /usr/share/doc/bash "$SRC/bash"
cp -a /usr/include/linux "$SRC/linux"
random_file "$SRC/big.bin" 12 # a pack past 8 MiB: spooled, then one locked PUT
set_atimes "$SRC"

# --- init and the locks ------------------------------------------------------------------------
hf init --repo "$T/local" --object-lock compliance
check_rc "--object-lock on a local directory: refused" 1
check_grep "it says Object Lock needs an S3 bucket" "needs an S3 bucket with Object Lock" "$T/err"
hf init --repo "$R" --lock-period 40s
check_rc "init in a bucket with Object Lock" 0
check_grep "it says what is locked, and for how long" "compliance mode.* 40 s" "$T/out"
check_grep "the config records the lock" "^object_lock compliance 40$" <(s3curl "$S3_ENDPOINT/$BUCKET/$P/config")
hf backup --repo "$R" --json "$SRC"
check_rc "backup" 0
SNAP=$(keys "$P" snapshots/ | head -n 1)
PACK=$(keys "$P" data/ | head -n 1)
check_eq "the snapshot is locked COMPLIANCE" COMPLIANCE "$(header "$SNAP" x-amz-object-lock-mode)"
check_eq "the spooled pack too" COMPLIANCE "$(header "$(keys "$P" data/ | tail -n 1)" x-amz-object-lock-mode)"
until=$(date -d "$(header "$PACK" x-amz-object-lock-retain-until-date)" +%s)
now=$(server_now)
check_true "locked for the period by the server's clock ($((until - now)) s left of 40)" \
	test "$((until - now))" -ge 25 -a "$((until - now))" -le 43
hf init --repo "$R-gov" --object-lock governance --lock-period 40s
check_rc "init in GOVERNANCE mode" 0
check_eq "its objects are locked GOVERNANCE" GOVERNANCE "$(header "$P-gov/config" x-amz-object-lock-mode)"
hf restore --repo "$R" latest --target "$T/r1"
check_tree "restore bit for bit" "$SRC" "$T/r1$SRC"

# --- the attacker, with the client's own S3 keys --------------------------------------------
sleep 1
T1=$(date '+%Y-%m-%d %H:%M:%S') # a time after the backup, before the attack
sleep 1
vid() { header "$1" x-amz-version-id; }
code=$(s3curl -o "$T/s3body" -w '%{http_code}' -X DELETE "$S3_ENDPOINT/$BUCKET/$PACK?versionId=$(vid "$PACK")")
check_eq "deleting a pack's version: refused" 403 "$code"
code=$(s3curl -o "$T/s3body" -w '%{http_code}' -X DELETE "$S3_ENDPOINT/$BUCKET/$SNAP?versionId=$(vid "$SNAP")")
check_eq "deleting the snapshot's version: refused" 403 "$code"
soon=$(date -u -d "@$(($(server_now) + 5))" +%Y-%m-%dT%H:%M:%SZ)
code=$(s3put "<Retention><Mode>COMPLIANCE</Mode><RetainUntilDate>$soon</RetainUntilDate></Retention>" \
	"$S3_ENDPOINT/$BUCKET/$SNAP?retention=&versionId=$(vid "$SNAP")")
check_eq "shortening a lock: refused" 403 "$code"
code=$(s3put "<Retention><Mode>GOVERNANCE</Mode><RetainUntilDate>$soon</RetainUntilDate></Retention>" \
	"$S3_ENDPOINT/$BUCKET/$SNAP?retention=&versionId=$(vid "$SNAP")" -H 'x-amz-bypass-governance-retention: true')
check_eq "turning COMPLIANCE into GOVERNANCE: refused" 403 "$code"
code=$(s3put '<VersioningConfiguration><Status>Suspended</Status></VersioningConfiguration>' \
	"$S3_ENDPOINT/$BUCKET?versioning=")
check_eq "suspending versioning: refused" 409 "$code"
code=$(s3put '<ObjectLockConfiguration></ObjectLockConfiguration>' "$S3_ENDPOINT/$BUCKET?object-lock=")
check_true "turning Object Lock off: refused (HTTP $code)" test "$code" -ge 400
check_eq "the snapshot is still locked COMPLIANCE" COMPLIANCE "$(header "$SNAP" x-amz-object-lock-mode)"
code=$(s3curl -o /dev/null -w '%{http_code}' -X DELETE "$S3_ENDPOINT/$BUCKET")
check_eq "deleting the bucket: refused" 409 "$code"
# what the keys can do: new versions over the packs, delete markers over everything else
for k in $(keys "$P" data/); do
	s3put "ransomed" "$S3_ENDPOINT/$BUCKET/$k" >/dev/null
done
for k in $(keys "$P" snapshots/) $(keys "$P" index/) $(keys "$P" keys/) "$P/config"; do
	s3curl -o /dev/null -X DELETE "$S3_ENDPOINT/$BUCKET/$k"
done
check_eq "the attack is visible: no config any more" "" "$(keys "$P" config)"
hf snapshots --repo "$R"
check_rc "the repository as it is now: gone" 1
hf snapshots --repo "$R" --as-of "$T1" --json
check_rc "the bucket as it was before the attack (--as-of)" 0
check_eq "it lists the snapshot" 1 "$(json 'len(j)')"
hf restore --repo "$R" --as-of "$T1" --last-clean --target "$T/r2"
check_rc "restore --as-of --last-clean" 0
check_tree "restore --as-of --last-clean: bit for bit" "$SRC" "$T/r2$SRC"
hf check --repo "$R" --as-of "$T1" --read-data
check_rc "check --as-of --read-data" 0
hf backup --repo "$R" --as-of "$T1" "$SRC"
check_rc "a backup into the past: refused" 1
hf snapshots --repo "$R" --as-of "2001-01-01"
check_rc "--as-of before the repository existed" 1
check_grep "it says there was no repository then" "no holdfast repository .* at that time" "$T/err"
hf snapshots --repo "$T/local" --as-of "$T1"
check_rc "--as-of on a local directory: refused" 1
check_grep "it says --as-of needs S3" "needs an s3: repository" "$T/err"

# --- lock maintenance over real time: a 20 s period -----------------------------------------
R2=s3:$S3_ENDPOINT/$BUCKET/$P-time
SRC2=$T/src2
mkdir -p "$SRC2"
cp -a /usr/share/doc/bash "$SRC2/bash"
random_file "$SRC2/gone.bin" 3 # only in the first snapshot
hf init --repo "$R2" --lock-period 20s
hf backup --repo "$R2" "$SRC2"
check_rc "time: first backup" 0
rm "$SRC2/gone.bin"
random_file "$SRC2/new.bin" 1
sleep 1
hf backup --repo "$R2" "$SRC2"
check_rc "time: second backup" 0
hf forget --repo "$R2" --keep-last 1 --prune --grace 0
check_rc "time: forget --prune while everything is locked" 0
check_grep "the forgotten snapshot is locked: hidden now, deleted later" "locked in the store until its date" "$T/out"
hf snapshots --repo "$R2" --json
check_eq "time: one snapshot listed" 1 "$(json 'len(j)')"
check_eq "time: two stored" 2 "$(keys "$P-time" snapshots/ | wc -l)"
packs_before=$(keys "$P-time" data/ | wc -l)
hf check --repo "$R2" --read-data
check_rc "time: check --read-data after a prune the locks held back" 0
# the prune locked what is in use for a whole period from its own second: a
# lock extend within that second finds none of it due (the check above can
# take less than a second now), two seconds later all of it
sleep 2
hf lock extend --repo "$R2" --refresh 20s
check_rc "time: lock extend" 0
check_grep "time: it extends what is in use" "[1-9][0-9]* lock\(s\) extended" "$T/out"
sleep 11
# a run with a 20 s window keeps everything in use locked for 20 s; a run with
# the default window (half the period) promises only 10 s, so each status is
# read within the window of the run before it
hf lock status --repo "$R2"
check_rc "time: lock status half a period later: nothing in use is unlocked" 0
hf lock extend --repo "$R2"
check_rc "time: lock extend again, half a period later" 0
check_grep "time: the default window extends what has less than half a period left" "[1-9][0-9]* lock\(s\) extended" "$T/out"
sleep 11 # the first snapshot's objects are past their lock now
hf lock extend --repo "$R2" --refresh 20s
check_rc "time: lock extend before the prune" 0
hf lock status --repo "$R2"
check_rc "time: lock status: nothing in use is unlocked" 0
hf prune --repo "$R2" --grace 0
hf prune --repo "$R2" --grace 0
check_rc "time: prune once the locks have ended" 0
KEPT=$(keys "$P-time" data/ | head -n 1)
code=$(s3curl -o /dev/null -w '%{http_code}' -X DELETE "$S3_ENDPOINT/$BUCKET/$KEPT?versionId=$(vid "$KEPT")")
check_eq "time: a pack in use is still locked (delete refused)" 403 "$code"
check_eq "time: the forgotten snapshot is deleted now" 1 "$(keys "$P-time" snapshots/ | wc -l)"
check_true "time: packs only it used are deleted" test "$(keys "$P-time" data/ | wc -l)" -lt "$packs_before"
read_back "time: the kept snapshot" "$R2" "$SRC2"

# --- a full bucket (a quota), then room again -------------------------------------------------
if [ -n "${S3_STATE_DIR:-}" ] && command -v radosgw-admin >/dev/null; then
	QB=hf-quota-$$-$(date +%s) # a bucket of its own each run: the last run's locked objects stay
	s3curl -o /dev/null -X PUT -H 'x-amz-bucket-object-lock-enabled: true' "$S3_ENDPOINT/$QB"
	rgwadmin() { CEPH_CONF=$S3_STATE_DIR/ceph.conf radosgw-admin "$@" >/dev/null 2>&1; }
	rgwadmin quota set --quota-scope=bucket --bucket="$QB" --max-size=4M
	rgwadmin quota enable --quota-scope=bucket --bucket="$QB"
	RQ=s3:$S3_ENDPOINT/$QB/$P
	SRCQ=$T/srcq
	mkdir -p "$SRCQ"
	random_file "$SRCQ/big.bin" 12
	cp -a /usr/share/doc/bash "$SRCQ/bash"
	hf init --repo "$RQ" --lock-period 1h
	check_rc "init in a bucket with a 4 MiB quota" 0
	hf backup --repo "$RQ" "$SRCQ"
	check_rc "a backup into a full bucket fails" 1
	check_grep "it says the quota is used up" "quota" "$T/err"
	rgwadmin quota set --quota-scope=bucket --bucket="$QB" --max-size=1G
	sleep 1
	hf backup --repo "$RQ" "$SRCQ"
	check_rc "with room again, the next backup completes" 0
	read_back "after the full bucket" "$RQ" "$SRCQ"
else
	skip "a full bucket (no S3_STATE_DIR and radosgw-admin from tests/run.sh s3)"
fi

# --- the checksum that comes with a lock ------------------------------------------------------
# S3 wants Content-MD5 or an x-amz-checksum-* header with every locked PUT. holdfast sends
# the SHA-256 one (it has that hash already) and falls back to Content-MD5 where a server
# refuses that (400), through tests/cli/s3proxy.py in front of the RGW.
proxy() { # LOG [--want-md5]: starts the proxy; sets PROXY (its URL) and PROXY_PID
	: >"$T/proxy.port"
	python3 "$CLI_DIR/s3proxy.py" "${S3_ENDPOINT#http://}" "$@" >"$T/proxy.port" 2>>"$T/proxy.err" &
	PROXY_PID=$!
	for _ in $(seq 50); do [ -s "$T/proxy.port" ] && break; sleep 0.1; done
	PROXY=http://127.0.0.1:$(cat "$T/proxy.port")
}
if [[ $S3_ENDPOINT == http://* ]]; then
	SRCC=$T/srcc
	mkdir -p "$SRCC"
	cp -a /usr/share/doc/bash "$SRCC/bash"
	random_file "$SRCC/big.bin" 12
	proxy "$T/plain.log"
	hf init --repo "s3:$PROXY/$BUCKET/$P-sum" --lock-period 40s
	hf backup --repo "s3:$PROXY/$BUCKET/$P-sum" "$SRCC"
	check_rc "backup through the proxy" 0
	kill "$PROXY_PID"
	check_true "the proxy saw locked PUTs ($(grep -c '^PUT .* lock=1' "$T/plain.log"))" \
		test "$(grep -c '^PUT .* lock=1' "$T/plain.log")" -ge 4
	check_eq "each one with the SHA-256 checksum and no MD5" 0 \
		"$(grep '^PUT .* lock=1' "$T/plain.log" | grep -vc 'md5=0 checksum=1')"
	# check reads each pack's trailer and header (whose size the index tells) in one
	# request; the walk of the snapshot reads its tree pack whole
	proxy "$T/check.log"
	hf check --repo "s3:$PROXY/$BUCKET/$P-sum"
	check_rc "check through the proxy" 0
	kill "$PROXY_PID"
	npacks=$(keys "$P-sum" data/ | wc -l)
	check_eq "check read a part of each pack once ($npacks packs)" "$npacks" \
		"$(grep -c "^GET /$BUCKET/$P-sum/data/.* range=1 " "$T/check.log")"
	check_eq "and one pack whole (the trees')" 1 \
		"$(grep -c "^GET /$BUCKET/$P-sum/data/.* range=0 " "$T/check.log")"
	proxy "$T/md5.log" --want-md5
	hf init --repo "s3:$PROXY/$BUCKET/$P-md5" --lock-period 40s
	check_rc "init through a server that wants Content-MD5" 0
	hf backup --repo "s3:$PROXY/$BUCKET/$P-md5" "$SRCC"
	check_rc "backup through a server that wants Content-MD5" 0
	kill "$PROXY_PID"
	check_true "it refused the checksum alone ($(grep -c 'refused$' "$T/md5.log") times)" \
		test "$(grep -c 'refused$' "$T/md5.log")" -ge 1
	check_true "and took $(grep -c '^PUT .* lock=1 md5=1 .* forwarded$' "$T/md5.log") locked PUTs with Content-MD5" \
		test "$(grep -c '^PUT .* lock=1 md5=1 .* forwarded$' "$T/md5.log")" -ge 4
	check_eq "no PUT it took was without a lock or MD5" 0 \
		"$(grep '^PUT .* forwarded$' "$T/md5.log" | grep -vc 'lock=1 md5=1')"
	check_eq "the spooled pack is locked" COMPLIANCE \
		"$(header "$(keys "$P-md5" data/ | tail -n 1)" x-amz-object-lock-mode)"
	read_back "what went through it" "s3:$S3_ENDPOINT/$BUCKET/$P-md5" "$SRCC"
else
	skip "the checksum with a lock (the proxy speaks plain http only)"
fi

# --- radosgw killed in the middle of a backup -----------------------------------------------
if [ -n "${S3_STATE_DIR:-}" ] && [ -x "${HF_S3_KIT:-}/start.sh" ] && [ -s "$S3_STATE_DIR/run/client.rgw.x.pid" ]; then
	R3=s3:$S3_ENDPOINT/$BUCKET/$P-kill
	SRC3=$T/src3
	mkdir -p "$SRC3"
	for i in 1 2 3 4 5 6; do random_file "$SRC3/f$i.bin" 16; done
	hf init --repo "$R3" --lock-period 1h
	(timeout -k 10 300 "$HF_BIN" backup --repo "$R3" "$SRC3" >"$T/kill.out" 2>"$T/kill.err"; echo $? >"$T/kill.rc") &
	bpid=$!
	sleep 1.5
	kill -9 "$(cat "$S3_STATE_DIR/run/client.rgw.x.pid")"
	sleep 1
	"$HF_S3_KIT/start.sh" "$S3_STATE_DIR" >/dev/null 2>"$T/restart.log"
	RC=$?
	check_rc "radosgw restarted" 0
	wait "$bpid"
	rc=$(cat "$T/kill.rc")
	if [ "$rc" = 0 ]; then
		ok "the backup retried through the restart and completed"
	else
		check_grep "the interrupted backup says the store was unavailable" "unavailable|cannot reach" "$T/kill.err"
	fi
	hf backup --repo "$R3" "$SRC3"
	check_rc "the next backup completes" 0
	read_back "after the kill" "$R3" "$SRC3"
else
	skip "radosgw kill and restart (no S3_STATE_DIR and HF_S3_KIT from tests/run.sh s3)"
fi
# the objects stay until their locks end (the bucket is made for tests; each run has its prefixes)
finish
