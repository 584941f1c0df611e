#!/usr/bin/env bash
# scripts/tsan.sh BUILD-DIR UNIT-TEST... — the threaded code under ThreadSanitizer.
#
# Runs the named unit tests of BUILD-DIR (a `make TSAN=1` build, build-tsan/)
# and tests/cli/01 (init, backup, restore, check: the backup, restore and check
# pipelines with several threads) with that build's holdfast, and as root two
# simulators of tests/cli/50 (the watcher's gate thread beside its judge). ThreadSanitizer
# makes a run that sees a data race exit non-zero (halt_on_error: the first
# race ends it, with both stacks); the report goes to the output.
# Ends with "tsan: N passed, N failed".
set -u
cd "$(dirname "$0")/.."
build=$1
shift
export TSAN_OPTIONS="halt_on_error=1 exitcode=66 second_deadlock_stack=1 ${TSAN_OPTIONS:-}"
passed=0 failed=0
run() { # name, command...
	local name=$1 out rc
	shift
	out=$("$@" 2>&1)
	rc=$?
	if [ $rc -eq 0 ]; then
		passed=$((passed + 1))
		echo "tsan: $name: ok"
	else
		failed=$((failed + 1))
		echo "tsan: $name: FAILED (exit $rc)"
		# the race report (or the failing checks), then the end of the output
		printf '%s\n' "$out" | grep -A 40 -m 3 -E '^WARNING: ThreadSanitizer|^FAIL' | head -n 150
		printf '%s\n' "$out" | tail -n 10
	fi
}
for t in "$@"; do
	run "$t" "$build/tests/$t"
done
# the CLI run gets more time: everything is several times slower under TSan
run "tests/cli/01" env HF_BIN="$PWD/$build/holdfast" HF_TIMEOUT=900 bash tests/cli/01-init-backup-restore.sh
# the watcher's gate (a thread answering opens beside the judge), as root:
# two simulators (one process; one process per file) and the daemon case
if [ "$(id -u)" -eq 0 ]; then
	run "tests/cli/50 (watch)" env HF_BIN="$PWD/$build/holdfast" HF_TIMEOUT=900 HF_WATCH_SIMS="header-only xargs-P4" \
		bash tests/cli/50-watch-attacks.sh
fi
echo "tsan: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
