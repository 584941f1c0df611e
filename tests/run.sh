#!/usr/bin/env bash
# tests/run.sh [unit|cli|cli-https|quick|s3] [NN...] — for each build dir in $HF_BUILDS (default: build) runs the
# unit-test binaries and the CLI scenario scripts, adds up their "N passed, N failed[, N skipped]"
# lines and ends with the total "N passed, N failed, N skipped" (CI reads that last line).
# Each CLI script in tests/cli/NN-*.sh prints its own "...: N passed, N failed, N skipped"
# (tests/cli/lib.sh); a skipped check is never counted as passed. A script that runs
# longer than HF_SCRIPT_TIMEOUT seconds (900) is killed and counts as failed.
# quick: the unit tests and only the fast CLI scripts ($QUICK_CLI), for `make quick`.
# cli-https: the CLI scenario scripts 01-39 with HF_TEST_REPO_KIND=https, their
# repositories on a holdfast server each script starts (tests/cli/lib.sh); 40 and
# up test the command table and the server themselves and are left out.
# s3: starts a real single-node Ceph RGW on loopback (../shared/s3/start.sh, or the kit
# HF_S3_KIT names; it installs radosgw with apt on first use), then runs the store contract
# suite (tests/unit/test_store_contract), tests/cli/47-s3.sh, 60-s3-lock.sh (Object Lock) and
# 61-serve-s3.sh (holdfast serve with its repositories in the bucket) against it, then the CLI
# scripts of $S3_CLI with HF_TEST_REPO_KIND=s3 (their repositories in an Object Lock bucket,
# damaged through the bucket's API where a script damages them; 18 paces its races at the
# local store's system calls, and 10 passes there but takes 3 minutes), and stops it.
# Its ports are HF_S3_PORT (7490) and HF_S3_MON_PORT (3390), its state a fresh directory.
# NN...: only the CLI scripts with these numbers run (`tests/run.sh s3 04 05`).
set -u
cd "$(dirname "$0")/.."
what=${1:-all}
shift $(($# > 0))
only=" $* "
# the CLI scripts that take seconds, not minutes: 3-19 s each with the plain build on a
# shared 2-core machine, about 1-2 min for make quick in all (measured: 04, 05, 06, 12
# take 20-40 s each, 10 and 13 one to two minutes; make test runs them all)
QUICK_CLI="01 02 03 07 08 09 11 41"
passed=0 failed=0 skipped=0
# seconds a CLI script may take (the slowest take about 2 min with ASan)
SCRIPT_TIMEOUT=${HF_SCRIPT_TIMEOUT:-900}
# the processes a watcher froze (cgroups under holdfast-frozen/) are killed
# after a script timed out: they would hold its files and sessions forever
frozen_processes_kill() {
	local cg root
	# the cgroup2 mount: /sys/fs/cgroup, or /sys/fs/cgroup/unified on a hybrid machine
	root=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
	for cg in "${root:-/sys/fs/cgroup}"/holdfast-frozen/alert-*; do
		[ -d "$cg" ] || continue
		echo 1 >"$cg/cgroup.kill" 2>/dev/null
		for _ in $(seq 1 30); do rmdir "$cg" 2>/dev/null && break; sleep 0.1; done
	done
}
if [ "$what" = s3 ]; then
	kit=${HF_S3_KIT:-../shared/s3}
	if [ ! -x "$kit/start.sh" ]; then
		echo "s3: no S3 test kit at $kit (set HF_S3_KIT to the directory of start.sh)"
		echo "0 passed, 1 failed, 0 skipped"
		exit 1
	fi
	s3_state=$(mktemp -d /var/tmp/hf-s3-rgw.XXXXXX)
	s3_stop() { "$kit/stop.sh" "$s3_state" >/dev/null 2>&1; rm -rf "$s3_state"; }
	trap s3_stop EXIT
	s3_port=${HF_S3_PORT:-7490}
	t0=$SECONDS
	# beast as it comes (Nagle on: the client acknowledges each status line
	# at once, lib/store/curl_pool.c); exported with the kit's path and state
	# for 60-s3-lock.sh, which restarts radosgw
	# rgw_dns_name: BUCKET.localhost is a bucket's virtual host (47-s3.sh)
	export RGW_EXTRA_CONF="rgw_frontends = beast endpoint=127.0.0.1:$s3_port
rgw_dns_name = localhost"
	HF_S3_KIT=$(cd "$kit" && pwd)
	export HF_S3_KIT
	if ! s3_env=$(S3_PORT=$s3_port MON_PORT=${HF_S3_MON_PORT:-3390} \
		"$kit/start.sh" "$s3_state" 2>"$s3_state.log"); then
		tail -n 20 "$s3_state.log"
		rm -f "$s3_state.log"
		echo "s3: the RGW did not start"
		echo "0 passed, 1 failed, 0 skipped"
		exit 1
	fi
	rm -f "$s3_state.log"
	eval "$s3_env"
	export S3_ENDPOINT AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_DEFAULT_REGION S3_STATE_DIR
	export S3_BUCKET=holdfast-test
	unset AWS_SESSION_TOKEN AWS_PROFILE AWS_REGION
	# the buckets the contract suite and 47-s3.sh share (each run in its own prefix):
	# a plain one, and one with versioning on (as Object Lock has it)
	export S3_VERSIONED_BUCKET=holdfast-test-versioned
	s3curl() { # BODY URL: a signed PUT with curl's own SigV4
		curl -sS -o /dev/null --aws-sigv4 "aws:amz:$AWS_DEFAULT_REGION:s3" \
			--user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
			-H "x-amz-content-sha256: $(printf '%s' "$1" | sha256sum | cut -d' ' -f1)" \
			-X PUT --data-binary "$1" "$2"
	}
	s3curl "" "$S3_ENDPOINT/$S3_BUCKET"
	s3curl "" "$S3_ENDPOINT/$S3_VERSIONED_BUCKET"
	s3curl '<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Status>Enabled</Status></VersioningConfiguration>' \
		"$S3_ENDPOINT/$S3_VERSIONED_BUCKET?versioning="
	# the CLI scripts' repositories (HF_TEST_REPO_KIND=s3): a bucket as it
	# should be, with Object Lock (init then locks every object)
	export S3_CLI_BUCKET=holdfast-cli
	curl -sS -o /dev/null --aws-sigv4 "aws:amz:$AWS_DEFAULT_REGION:s3" \
		--user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" -H "x-amz-bucket-object-lock-enabled: true" \
		-H "x-amz-content-sha256: $(printf '' | sha256sum | cut -d' ' -f1)" -X PUT "$S3_ENDPOINT/$S3_CLI_BUCKET"
	echo "s3: Ceph RGW at $S3_ENDPOINT, started in $((SECONDS - t0)) s"
fi
# cli_runs KIND — the CLI scripts this run takes, one "KIND PATH" a line: in s3
# mode 47, 60 and 61 (they use the bucket themselves), then $S3_CLI with their
# repositories in an Object Lock bucket
S3_CLI="01 02 03 04 05 06 07 08 09 11 12 13 14 15 16 17"
cli_runs() {
	local t n
	for t in tests/cli/[0-9]*.sh; do
		[ -f "$t" ] || continue
		n=$(basename "$t"); n=${n%%-*}
		if [ "$what" = quick ] && [[ " $QUICK_CLI " != *" $n "* ]]; then continue; fi
		if [ "$what" = cli-https ] && [ "$((10#$n))" -ge 40 ]; then continue; fi
		if [ "$what" = s3 ] && [ "$n" != 47 ] && [ "$n" != 60 ] && [ "$n" != 61 ]; then continue; fi
		if [ "$only" != "  " ] && [[ $only != *" $n "* ]]; then continue; fi
		echo "$1 $t"
	done
	if [ "$what" = s3 ]; then
		for n in $S3_CLI; do
			if [ "$only" != "  " ] && [[ $only != *" $n "* ]]; then continue; fi
			echo "s3 $(ls tests/cli/"$n"-*.sh)"
		done
	fi
}
tally() { # name, output, exit status[, seconds]
	local line p f s
	line=$(printf '%s\n' "$2" | grep -E '[0-9]+ passed, [0-9]+ failed' | tail -n 1)
	if [ -z "$line" ]; then
		echo "$1: no result line (exit $3)"; failed=$((failed + 1)); return
	fi
	p=$(sed -E 's/.* ([0-9]+) passed, ([0-9]+) failed.*/\1/' <<<"$line")
	f=$(sed -E 's/.* ([0-9]+) passed, ([0-9]+) failed.*/\2/' <<<"$line")
	s=0
	if grep -Eq '[0-9]+ failed, [0-9]+ skipped' <<<"$line"; then
		s=$(sed -E 's/.* [0-9]+ failed, ([0-9]+) skipped.*/\1/' <<<"$line")
	fi
	if [ "$3" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
	echo "$line${4:+ ($4 s)}"
}
for BUILD in ${HF_BUILDS:-${HF_BUILD:-build}}; do
export HF_BIN="$PWD/$BUILD/holdfast"
echo "== $(date -u +%T) tests with $BUILD"
if [ "$what" = all ] || [ "$what" = unit ] || [ "$what" = quick ] || [ "$what" = s3 ]; then
	for t in "$BUILD"/tests/test_*; do
		[ -x "$t" ] || continue
		if [ "$what" = s3 ] && [ "$(basename "$t")" != test_store_contract ]; then continue; fi
		out=$("$t" 2>&1); rc=$?
		[ $rc -ne 0 ] && printf '%s\n' "$out" | tail -n 30
		tally "$(basename "$t")" "$out" $rc
	done
fi
if [ "$what" = all ] || [ "$what" = cli ] || [ "$what" = quick ] || [ "$what" = cli-https ] || [ "$what" = s3 ]; then
	default_kind=${HF_TEST_REPO_KIND:-local}
	if [ "$what" = cli-https ]; then default_kind=https; fi
	while read -r -u 3 kind t; do
		t0=$SECONDS
		# a script that hangs (a workload a watcher froze, say) fails alone
		out=$(HF_TEST_REPO_KIND=$kind timeout -k 20 "$SCRIPT_TIMEOUT" bash "$t" 2>&1); rc=$?
		if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
			out="$out
$(basename "$t"): killed after $SCRIPT_TIMEOUT s: 0 passed, 1 failed"
			frozen_processes_kill
		fi
		if [ $rc -ne 0 ]; then
			# every failed check with its detail lines, then the end of the output
			printf '%s\n' "$out" | grep -A 12 '^FAIL' | head -n 120
			echo "  ... (end of $(basename "$t")'s output:)"
			printf '%s\n' "$out" | tail -n 20
		fi
		tally "$(basename "$t") ($kind)" "$out" $rc $((SECONDS - t0))
	done 3< <(cli_runs "$default_kind")
fi
done
if [ "$what" = all ] || [ "$what" = fuzz ]; then
	# the fuzz corpora, replayed through ASan+UBSan runners, then each target
	# fuzzed for FUZZ_TIME seconds (tests/fuzz/README.md)
	targets=$(make -s -C tests/fuzz list-targets)
	out=$(make -s -C tests/fuzz regress 2>&1); rc=$?
	[ $rc -ne 0 ] && printf '%s\n' "$out" | tail -n 30
	for t in $targets; do
		tally "fuzz_$t" "$(printf '%s\n' "$out" | grep "^fuzz_$t:")" $rc
	done
	for t in $targets; do
		out=$(make -s -C tests/fuzz run TARGETS="$t" FUZZ_TIME="${FUZZ_TIME:-10}" 2>&1); rc=$?
		if [ $rc -eq 0 ]; then
			tally "fuzzing $t" "fuzzing $t for ${FUZZ_TIME:-10} s: 1 passed, 0 failed" 0
		else
			printf '%s\n' "$out" | grep -E 'ERROR|SUMMARY|artifact|Test unit written' | head -n 20
			tally "fuzzing $t" "fuzzing $t: 0 passed, 1 failed (crash input under build/fuzz/artifacts/)" 1
		fi
	done
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
