#!/usr/bin/env bash
# 47-s3.sh — a repository in an S3 bucket (s3:http://HOST:PORT/BUCKET/PREFIX): init and
# its refusals, backups (a pack large enough to be spooled to a file), restore bit for bit,
# check --read-data, forget --prune deleting objects on the store's clock, and the
# messages for no credentials, wrong keys, a missing bucket, an unreachable server, a
# prefix without a repository; credentials from a profile file. Needs an S3 server:
# S3_ENDPOINT (http://HOST:PORT) and AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (tests/run.sh s3
# starts a Ceph RGW and sets them); without them every check is skipped. The bucket
# S3_BUCKET (default holdfast-test) is created if missing; each run uses a fresh prefix.
. "$(dirname "$0")/lib.sh"

if [ -z "${S3_ENDPOINT:-}" ] || [ -z "${AWS_ACCESS_KEY_ID:-}" ] || [ -z "${AWS_SECRET_ACCESS_KEY:-}" ]; then
	skip "the S3 repository (no S3_ENDPOINT and AWS_* credentials: run tests/run.sh s3)"
	finish
fi
BUCKET=${S3_BUCKET:-holdfast-test}
REGION=${AWS_REGION:-${AWS_DEFAULT_REGION:-us-east-1}}
EMPTY_SHA=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
# s3curl ARGS... — a signed request with curl's own SigV4 (the bucket's setup, and looking at it)
s3curl() {
	curl -sS --aws-sigv4 "aws:amz:$REGION:s3" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
		-H "x-amz-content-sha256: $EMPTY_SHA" "$@"
}
code=$(s3curl -o /dev/null -w '%{http_code}' -X PUT "$S3_ENDPOINT/$BUCKET")
if [ "$code" != 200 ] && [ "$code" != 409 ]; then
	fail "the test bucket $BUCKET cannot be made at $S3_ENDPOINT (HTTP $code)"
	finish
fi
P=cli47-$$-$(date +%s)
R=s3:$S3_ENDPOINT/$BUCKET/$P
# keys LISTPREFIX — the keys under $P/LISTPREFIX, one a line
keys() {
	s3curl "$S3_ENDPOINT/$BUCKET?list-type=2&prefix=$P%2F${1//\//%2F}" | grep -o '<Key>[^<]*' | sed 's/^<Key>//'
}

# --- init ------------------------------------------------------------------------
hf init --repo "$R"
check_rc "init in a bucket without Object Lock: refused" 1
check_grep "it says why, and how to store without it" "no Object Lock.*--object-lock off" "$T/err"
check_eq "nothing written" "" "$(keys "")"
hf init --repo "$R" --object-lock off
check_rc "init in an S3 bucket with --object-lock off" 0
check_eq "init wrote the config object" "$P/config" "$(keys config)"
check_true "init wrote a key object" test "$(keys keys | wc -l)" -ge 1
hf init --repo "$R" --object-lock off
check_rc "init over an existing repository fails" 1
check_grep "init over an existing repository: says the prefix holds objects" "already holds objects" "$T/err"
hf snapshots --repo "$R/"
check_rc "a trailing slash names the same repository" 0

# --- backup, restore, check ---------------------------------------------------------
SRC=$T/src
mkdir -p "$SRC"
cp -a /usr/share/doc/bash "$SRC/bash"
cp -a /usr/include/linux "$SRC/linux"
random_file "$SRC/big.bin" 20 # packs past 8 MiB are spooled to a file before their PUT
set_atimes "$SRC"
hf backup --repo "$R" --json "$SRC"
check_rc "backup to S3" 0
snap1=$(json 'j["snapshot"]')
check_true "packs are under data/<2 hex>/" test "$(keys data/ | grep -cE "^$P/data/([0-9a-f]{2})/\1[0-9a-f]{62}\$")" -ge 2
hf restore --repo "$R" latest --target "$T/r1"
check_rc "restore from S3" 0
check_tree "restored tree equals the source" "$SRC" "$T/r1$SRC"
hf check --repo "$R" --read-data
check_rc "check --read-data" 0

# an incremental backup: a changed file, a new one, a deleted one
echo "changed" >>"$SRC/bash/RBASH"
random_file "$SRC/new.bin" 1
rm "$SRC/linux/types.h"
sleep 1 # a distinct snapshot time
hf backup --repo "$R" --json "$SRC"
check_rc "second backup" 0
hf restore --repo "$R" latest --target "$T/r2"
check_rc "restore the second snapshot" 0
check_tree "second snapshot restores equal to the source" "$SRC" "$T/r2$SRC"
hf restore --repo "$R" "${snap1:0:10}" --target "$T/r3"
check_rc "restore the first snapshot by prefix" 0
check_tree "first snapshot is unchanged" "$T/r1$SRC" "$T/r3$SRC"

# forget --prune: deletes on the store's clock (grace 0), the repository stays whole
hf forget --repo "$R" --keep-last 1 --prune --grace 0
check_rc "forget --keep-last 1 --prune --grace 0" 0
hf snapshots --repo "$R" --json
check_eq "one snapshot left" "1" "$(json 'len(j)')"
hf check --repo "$R" --read-data
check_rc "check --read-data after the prune" 0
hf restore --repo "$R" latest --target "$T/r4"
check_rc "restore after the prune" 0
check_tree "the kept snapshot restores bit for bit" "$SRC" "$T/r4$SRC"

# --- a backup reads snapshots, index objects and marks from local copies ----------
# (lib.sh points HOLDFAST_CACHE_DIR into $T) each checked against its name; the
# RGW's log tells what was fetched
dir=$(echo "$HOLDFAST_CACHE_DIR"/*/snapshots)
check_eq "the copies of the forgotten snapshots are still there" 2 "$(ls "$dir" | wc -l)"
hf backup --repo "$R" "$SRC"
check_rc "a backup with copies of the snapshots" 0
check_eq "one copy per snapshot the store lists (the forgotten ones gone)" "$(keys snapshots | wc -l)" \
	"$(ls "$dir" | wc -l)"
RGWLOG=${S3_STATE_DIR:-/nonexistent}/log/client.rgw.x.log
object_gets() { sleep 1 && grep -cE "GET /$BUCKET/$P/(snapshots|index|marks)/" "$RGWLOG"; }
if [ -f "$RGWLOG" ]; then
	n0=$(object_gets)
	hf backup --repo "$R" "$SRC"
	check_eq "a backup fetches no snapshot, index object or mark it has a copy of" "$n0" "$(object_gets)"
	n0=$(object_gets)
	hf backup --repo "$R" --no-cache "$SRC"
	check_true "with --no-cache it fetches them" test "$(object_gets)" -gt "$n0"
	# pending/ (prune's plans): read at the start for the packs not to reuse,
	# once for the objects plans name as gone (snapshots and index objects
	# listed again later take those from that listing), and in the final
	# check for a prune at work: three listings, not one per list of objects
	pending_lists() { sleep 1 && grep -cE "GET /$BUCKET/?\?list-type=2.*prefix=$P%2Fpending%2F" "$RGWLOG"; }
	# index/: at the start, and in the final check, which the scan after the
	# backup then relies on (it lists again only after writing one itself)
	index_lists() { grep -cE "GET /$BUCKET/?\?list-type=2.*prefix=$P%2Findex%2F" "$RGWLOG"; }
	n0=$(pending_lists) i0=$(index_lists)
	hf backup --repo "$R" "$SRC"
	check_eq "a backup lists the pending deletions three times" 3 "$(($(pending_lists) - n0))"
	check_eq "a backup lists the index objects twice" 2 "$(($(index_lists) - i0))"
	# a write-only key reads the id list at the end of each index object (its
	# size, then two ranges); with a cache of its own it keeps those ends, and
	# the next backup reads none of them from the store
	index_reads() { sleep 1 && grep -cE "(GET|HEAD) /$BUCKET/$P/index/" "$RGWLOG"; }
	HOLDFAST_NEW_PASSWORD=wo-secret hf key add --write-only --out "$T/client.key" --repo "$R"
	check_rc "key add --write-only" 0
	echo "changed for the write-only backup" >>"$SRC/bash/README"
	n0=$(index_reads)
	HOLDFAST_PASSWORD=wo-secret HOLDFAST_CACHE_DIR=$T/wo-cache hf backup --repo "$R" --key-file "$T/client.key" "$SRC"
	check_rc "a write-only backup with a cache of its own" 0
	check_true "it read the index objects' id lists from the store" test "$(index_reads)" -gt "$n0"
	check_true "and kept their ends in its cache" test "$(find "$T/wo-cache" -path '*/index/*' -type f | wc -l)" -ge 1
	echo "changed again" >>"$SRC/bash/README"
	n0=$(index_reads)
	HOLDFAST_PASSWORD=wo-secret HOLDFAST_CACHE_DIR=$T/wo-cache hf backup --repo "$R" --key-file "$T/client.key" "$SRC"
	check_rc "the next write-only backup" 0
	check_eq "it read no index object from the store" "$n0" "$(index_reads)"
	f=$(find "$T/wo-cache" -path '*/index/*' -type f | head -n 1)
	# (a byte of the id list's AEAD: it ends 36 bytes from the end, before the length and the tag)
	python3 -c 'import sys; b = bytearray(open(sys.argv[1], "rb").read()); b[-40] ^= 1; open(sys.argv[1], "wb").write(b)' "$f"
	n0=$(index_reads)
	HOLDFAST_PASSWORD=wo-secret HOLDFAST_CACHE_DIR=$T/wo-cache hf backup --repo "$R" --key-file "$T/client.key" "$SRC"
	check_rc "a write-only backup with a damaged copy in its cache" 0
	check_true "it read that index object again" test "$(index_reads)" -gt "$n0"
else
	skip "what a backup fetches (no RGW log at \$S3_STATE_DIR)"
fi
f=$(ls "$dir" | head -n 1)
echo damaged >"$dir/$f"
echo stray >"$dir/0123abcd"
hf snapshots --repo "$R" >/dev/null
hf backup --repo "$R" "$SRC"
check_rc "a damaged copy: the backup runs" 0
check_eq "the damaged copy was fetched again (its bytes hash to its name)" "$f" \
	"$(sha256sum "$dir/$f" | cut -d' ' -f1)"
check_true "a copy of no snapshot the store lists goes" test ! -e "$dir/0123abcd"

# --- credentials from a profile file, not the environment ---------------------------
mkdir -p "$T/home/.aws"
printf '[other]\naws_access_key_id = %s\naws_secret_access_key = %s\n' "$AWS_ACCESS_KEY_ID" \
	"$AWS_SECRET_ACCESS_KEY" >"$T/home/.aws/credentials"
printf '[profile other]\nregion = %s\n' "$REGION" >"$T/home/.aws/config"
(unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_REGION AWS_DEFAULT_REGION
	HOME=$T/home AWS_PROFILE=other hf snapshots --repo "$R"); RC=$?
check_rc "credentials from ~/.aws/credentials [AWS_PROFILE]" 0
(unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_PROFILE
	HOME=$T/home hf snapshots --repo "$R"); RC=$?
check_rc "no credentials: exit 1" 1
check_grep "no credentials: says where to put them" "no S3 credentials.*AWS_ACCESS_KEY_ID" "$T/err"

# --- what goes wrong, and says so ------------------------------------------------
AWS_SECRET_ACCESS_KEY=not-the-secret-key-00000000000000000000 hf snapshots --repo "$R"
check_rc "a wrong secret key: exit 1" 1
check_grep "a wrong secret key: message" "secret key .* does not match" "$T/err"
AWS_ACCESS_KEY_ID=NOSUCHKEY00000000000 hf snapshots --repo "$R"
check_rc "an unknown access key: exit 1" 1
check_grep "an unknown access key: message" "does not know the access key id" "$T/err"
hf init --repo "s3:$S3_ENDPOINT/no-such-bucket-$$/x" --object-lock off
check_rc "init in a missing bucket: exit 1" 1
check_grep "init in a missing bucket: message" "bucket no-such-bucket-$$ does not exist" "$T/err"
hf snapshots --repo "$R-nothing-here"
check_rc "a prefix without a repository: exit 1" 1
check_grep "a prefix without a repository: message" "no holdfast repository" "$T/err"
hf snapshots --repo "s3:http://127.0.0.1:9/$BUCKET/x"
check_rc "an unreachable server: exit 1" 1
check_grep "an unreachable server: message" "cannot reach the S3 server" "$T/err"
hf init --repo "s3:$S3_ENDPOINT/$BUCKET/a/../b" --object-lock off
check_rc "a prefix with .. is a usage error" 1
check_grep "a prefix with ..: message" "prefix" "$T/err"

# --- a read-only bucket --------------------------------------------------------------
# A bucket policy denies every write under one prefix: the backup fails, says which request
# the server refused and why; with the policy gone the next backup completes and the
# repository checks clean, down to the data.
RR=s3:$S3_ENDPOINT/$BUCKET/$P-ro
hf init --repo "$RR" --object-lock off
hf backup --repo "$RR" "$SRC"
check_rc "read-only bucket: the backup before the policy" 0
echo "more data, after the bucket became read-only" >"$SRC/after-policy.txt"
printf '{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":["s3:PutObject","s3:DeleteObject"],"Resource":["arn:aws:s3:::%s/%s/*"]}]}' \
	"$BUCKET" "$P-ro" >"$T/policy.json"
code=$(curl -sS --aws-sigv4 "aws:amz:$REGION:s3" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" -o /dev/null \
	-w '%{http_code}' -X PUT -H "x-amz-content-sha256: $(sha256sum "$T/policy.json" | cut -d' ' -f1)" \
	--data-binary @"$T/policy.json" "$S3_ENDPOINT/$BUCKET?policy=")
check_eq "read-only bucket: the policy is set" 204 "$code"
hf backup --repo "$RR" "$SRC"
check_rc "read-only bucket: backup exit 1" 1
check_grep "read-only bucket: names the refused request and the likely cause" \
	"PUT $P-ro/.*HTTP 403 AccessDenied.*may not write to this bucket" "$T/err"
s3curl -o /dev/null -X DELETE "$S3_ENDPOINT/$BUCKET?policy="
hf backup --repo "$RR" "$SRC"
check_rc "read-only bucket: with the policy gone, the next backup completes" 0
hf check --repo "$RR" --read-data
check_rc "read-only bucket: check --read-data afterwards" 0
hf restore --repo "$RR" latest --target "$T/ro-restore"
check_true "read-only bucket: the latest snapshot restores bit for bit" diff -r "$SRC" "$T/ro-restore$SRC"

# --- virtual-host addressing (HOLDFAST_S3_ADDRESSING) ------------------------------
# The bucket in the host name (http://BUCKET.localhost:PORT/KEY), as AWS wants: tests/run.sh
# starts RGW with rgw_dns_name = localhost, and curl resolves *.localhost to the loopback.
# RGW would read a key's first segment as the bucket if it did not take it from the host,
# so a backup that works and reads back by path shows the host was used.
VH=${S3_ENDPOINT/127.0.0.1/localhost}
case $VH in *localhost*)
	RV=s3:$VH/$BUCKET/$P-vhost
	HOLDFAST_S3_ADDRESSING=virtual hf init --repo "$RV" --object-lock off
	check_rc "virtual-host addressing: init" 0
	HOLDFAST_S3_ADDRESSING=virtual hf backup --repo "$RV" "$SRC"
	check_rc "virtual-host addressing: backup" 0
	HOLDFAST_S3_ADDRESSING=virtual hf restore --repo "$RV" latest --target "$T/vhost"
	check_rc "virtual-host addressing: restore" 0
	check_true "virtual-host addressing: restored bit for bit" diff -r "$SRC" "$T/vhost$SRC"
	HOLDFAST_S3_ADDRESSING=path hf snapshots --repo "$RV"
	check_grep "the same objects, read by path" "1 snapshot" "$T/out"
	HOLDFAST_S3_ADDRESSING=virtual hf snapshots --repo "s3:$S3_ENDPOINT/$BUCKET/$P-vhost"
	check_rc "virtual-host addressing with an IP address: exit 1" 1
	check_grep "virtual-host addressing with an IP address: says why" "host name, not an IP address" "$T/err"
	HOLDFAST_S3_ADDRESSING=sideways hf snapshots --repo "$RV"
	check_rc "an unknown HOLDFAST_S3_ADDRESSING: exit 1" 1
	check_grep "an unknown HOLDFAST_S3_ADDRESSING: names the choices" "path, virtual or auto" "$T/err"
	;;
*) skip "virtual-host addressing: S3_ENDPOINT is not on the loopback ($S3_ENDPOINT)" ;;
esac

# --- how many uploads run at once ------------------------------------------------------
HOLDFAST_S3_CONNECTIONS=0 hf snapshots --repo "$R"
check_rc "HOLDFAST_S3_CONNECTIONS=0: exit 1" 1
check_grep "HOLDFAST_S3_CONNECTIONS=0: says what it takes" "HOLDFAST_S3_CONNECTIONS must be a number from 1 to 64" "$T/err"
RC1=s3:$S3_ENDPOINT/$BUCKET/$P-one
mkdir -p "$T/one"
random_file "$T/one/a" 40 # three packs
hf init --repo "$RC1" --object-lock off
HOLDFAST_S3_CONNECTIONS=1 hf backup --repo "$RC1" "$T/one"
check_rc "one upload at a time: backup" 0
hf check --repo "$RC1" --read-data
check_rc "one upload at a time: check --read-data" 0
hf restore --repo "$RC1" latest --target "$T/one-restore"
check_true "one upload at a time: restored bit for bit" cmp "$T/one/a" "$T/one-restore$T/one/a"

# the run's objects go; the bucket stays for the next run
for k in $(keys ""; P=$P-vhost keys ""; P=$P-ro keys ""; P=$P-one keys ""); do s3curl -o /dev/null -X DELETE "$S3_ENDPOINT/$BUCKET/$k"; done
finish
