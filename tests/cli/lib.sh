# tests/cli/lib.sh — shared helpers for the CLI scenario scripts (sourced, not run).
#
# Owns: the scratch directory ($T, under /var/tmp, removed on exit), the
# pass/fail/skip counters and the final "<script>: N passed, N failed, N skipped"
# line. Every check goes through ok/fail/skip so that the count is exact; a check
# never aborts the script, so one holdfast bug does not hide the results of the
# checks after it. A check that cannot run here (no mount, a tool missing) is
# counted as skipped, never as passed: tests/run.sh adds the skips up.
#
# Conventions used by the scripts:
#   hf ARGS...        runs $HF_BIN with a time limit; stdout -> $T/out, stderr -> $T/err,
#                     exit status -> $RC (and the return value)
#   check_rc NAME WANT          $RC must equal WANT
#   check_eq NAME WANT GOT      strings must be equal (a diff is shown if not)
#   check_tree NAME A B [ARGS]  tests/cli/treecmp.py must find no difference
#   skip WHAT                   counts WHAT (a check or a block of them) once as skipped
#   finish                      prints the result line and exits (non-zero if any check failed)
#
# Where the repositories are (HF_TEST_REPO_KIND): "local" (the default) puts a
# script's repository NAME at $T/NAME. "https" starts one `holdfast serve` per
# script (real TLS with a throwaway certificate, the server root in $T, stopped
# at exit) and makes NAME a repository on it, used with an admin token
# (HOLDFAST_TOKEN and HOLDFAST_CACERT are exported). A script names its
# repositories through
#   repo_url NAME     what --repo takes: $T/NAME, or https://localhost:PORT/NAME
#   repo_dir NAME     the directory holding its files (to look at or damage them):
#                     $T/NAME, or the server's ROOT/repos/NAME
#   repo_copy FROM TO a copy of repository FROM as repository TO (replacing TO)
#   local_only WHAT   true (and WHAT counted as skipped) in https and s3 mode:
#                     for checks whose subject only exists with a local repository
#   local_files WHAT  the same in s3 mode only: checks that look at or damage the
#                     repository's files (a server's repository is a directory)
# "s3" (tests/run.sh s3 starts a real Ceph RGW and exports S3_ENDPOINT,
# S3_CLI_BUCKET, an Object Lock bucket, and the keys) puts NAME in that bucket
# under a prefix of the script's own; repo_dir names a directory that is not there.

set -u
export LC_ALL=C
SCRIPT_NAME=$(basename "$0")
CLI_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
HF_BIN=${HF_BIN:-$CLI_DIR/../../build/holdfast}
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
TREECMP="$PY $CLI_DIR/treecmp.py"
HF_TIMEOUT=${HF_TIMEOUT:-300}

n_ok=0 n_fail=0 n_skip=0
ok() { n_ok=$((n_ok + 1)); echo "ok: $*"; }
fail() { n_fail=$((n_fail + 1)); echo "FAIL: $*"; }
# skip WHAT — a check (or a block of checks) that cannot run here counts once as
# skipped; WHAT says which and why
skip() { n_skip=$((n_skip + 1)); echo "SKIP: $*"; }

finish() {
	echo "$SCRIPT_NAME: $n_ok passed, $n_fail failed, $n_skip skipped"
	[ "$n_fail" -eq 0 ] && exit 0
	exit 1
}

# watch_preamble WHAT TOOL... — the watcher's scripts need root (fanotify), a
# local repository and TOOLs: without one of them a single skip, and the
# script ends there
watch_preamble() {
	local what=$1 tool
	shift
	if [ "$(id -u)" -ne 0 ]; then
		skip "holdfast watch needs root (fanotify, CAP_SYS_ADMIN): not root"
		finish
	fi
	if [ "$HF_TEST_REPO_KIND" != local ]; then
		skip "watch scenarios use a local repository"
		finish
	fi
	for tool in "$@"; do
		command -v "$tool" >/dev/null || { skip "$what: $tool is missing"; finish; }
	done
}

# the cgroups holdfast watch froze processes in (named in the alert documents
# under $T): what is left in them is ended (cgroup.kill) and they are removed
frozen_cgroups_remove() {
	local cg
	grep -rhoa '"cgroup_frozen":{"processes":[0-9]*,"path":"[^"]*"' "$T" 2>/dev/null |
		sed 's/.*"path":"//; s/"$//' | sort -u | while read -r cg; do
		case $cg in */holdfast-frozen/alert-*) ;; *) continue ;; esac
		[ -d "$cg" ] || continue
		echo 1 >"$cg/cgroup.kill" 2>/dev/null
		for _ in $(seq 1 30); do rmdir "$cg" 2>/dev/null && break; sleep 0.1; done
	done
}

T=$(mktemp -d /var/tmp/hf-cli.XXXXXX) || { echo "$SCRIPT_NAME: 0 passed, 1 failed, 0 skipped"; exit 1; }
cleanup() {
	local p
	# a server (not a job: see server_start) is stopped first
	if declare -F server_stop >/dev/null; then server_stop; fi
	# stop any background holdfast we started and did not reap
	for p in $(jobs -p); do kill -9 "$p" 2>/dev/null; done
	wait 2>/dev/null
	# a script may define cleanup_hook (e.g. to unmount what it mounted)
	if declare -F cleanup_hook >/dev/null; then cleanup_hook; fi
	frozen_cgroups_remove
	# restored trees may contain immutable-looking modes (0000 dirs); make them removable
	chmod -R u+rwx "$T" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

export HOLDFAST_PASSWORD='correct horse battery staple'
# the local cache (a write-only client's trees, copies of a remote
# repository's snapshots): this script's own
export HOLDFAST_CACHE_DIR=$T/cache
unset HOLDFAST_REPO

if [ ! -x "$HF_BIN" ]; then
	fail "holdfast binary not found at $HF_BIN"
	finish
fi

# --- the repository server (HF_TEST_REPO_KIND=https; tests of the server use it too)

# server_setup DIR — a throwaway certificate for localhost (DIR/cert.pem, DIR/key.pem),
# the server root DIR/root, and an admin client of every repository (DIR/admin.token)
server_setup() {
	local d=$1
	mkdir -p "$d/root" || return 1
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=localhost \
		-addext subjectAltName=DNS:localhost -keyout "$d/key.pem" -out "$d/cert.pem" >/dev/null 2>&1 || return 1
	"$HF_BIN" serve-client add admin --role admin --repos '*' --root "$d/root" >"$d/admin.out" 2>&1 || return 1
	sed -n 's/^token: //p' "$d/admin.out" >"$d/admin.token"
	[ -s "$d/admin.token" ]
}

# server_start DIR [PORT [SERVE-ARGS...]] — starts `holdfast serve` on DIR/root (log
# DIR/serve.log) and waits until it listens; PORT 0 or none: a free one; SERVE-ARGS
# (default --lock-days 0) go to serve. The server is not a job of the script's shell
# (a script's bare `wait` must not wait for it). Sets SERVER_PID (its timeout's),
# SERVER_HF_PID (holdfast's own: to kill -9) and SERVER_PORT; 1 if it does not start
# within 15 s.
server_start() {
	local d=$1 port=${2:-0} i
	shift $(($# < 2 ? $# : 2))
	[ $# -gt 0 ] || set -- --lock-days 0
	: >"$d/serve.out"
	(
		timeout -k 5 3600 "$HF_BIN" serve --root "$d/root" --listen "127.0.0.1:$port" --tls-cert "$d/cert.pem" \
			--tls-key "$d/key.pem" "$@" >"$d/serve.out" 2>>"$d/serve.log" &
		echo $! >"$d/serve.pid"
	)
	SERVER_PID=$(cat "$d/serve.pid")
	SERVER_PORT=
	for i in $(seq 1 150); do
		SERVER_PORT=$(sed -n 's/.* on port \([0-9]*\),.*/\1/p' "$d/serve.out")
		if [ -n "$SERVER_PORT" ]; then
			SERVER_HF_PID=$(pgrep -P "$SERVER_PID" | head -n 1)
			return 0
		fi
		kill -0 "$SERVER_PID" 2>/dev/null || break
		sleep 0.1
	done
	return 1
}

# server_gone — waits (up to 10 s) until the server started last has exited
# (not our child: a zombie that nobody reaped yet counts as gone)
server_gone() {
	local i st
	for i in $(seq 1 100); do
		st=$(awk '{ print $3 }' "/proc/$SERVER_PID/stat" 2>/dev/null)
		[ -z "$st" ] || [ "$st" = Z ] && return 0
		sleep 0.1
	done
	return 1
}

# server_stop — SIGTERM to the server started last, and wait for it to exit
server_stop() {
	[ -n "${SERVER_PID:-}" ] || return 0
	kill -TERM "$SERVER_PID" 2>/dev/null
	server_gone || kill -KILL "$SERVER_HF_PID" "$SERVER_PID" 2>/dev/null
	SERVER_PID=
}

HF_TEST_REPO_KIND=${HF_TEST_REPO_KIND:-local}
case $HF_TEST_REPO_KIND in
local) ;;
https)
	HF_SERVER_DIR=$T/hf-server
	if ! server_setup "$HF_SERVER_DIR" || ! server_start "$HF_SERVER_DIR"; then
		fail "https mode: the repository server did not start"
		cat "$HF_SERVER_DIR"/*.out "$HF_SERVER_DIR/serve.log" 2>/dev/null | head -n 20
		finish
	fi
	HOLDFAST_TOKEN=$(cat "$HF_SERVER_DIR/admin.token")
	export HOLDFAST_TOKEN HOLDFAST_CACERT=$HF_SERVER_DIR/cert.pem
	echo "note: repositories on a holdfast server, https://localhost:$SERVER_PORT/ (root $HF_SERVER_DIR/root)"
	;;
s3)
	if [ -z "${S3_ENDPOINT:-}" ] || [ -z "${S3_CLI_BUCKET:-}" ]; then
		fail "s3 mode: S3_ENDPOINT and S3_CLI_BUCKET must name a bucket (tests/run.sh s3 starts one)"
		finish
	fi
	# each run of a script in a prefix of its own
	S3_PREFIX=cli-${SCRIPT_NAME%.sh}-$(basename "$T")
	echo "note: repositories in s3:$S3_ENDPOINT/$S3_CLI_BUCKET/$S3_PREFIX/"
	;;
*)
	fail "HF_TEST_REPO_KIND must be local, https or s3, not $HF_TEST_REPO_KIND"
	finish
	;;
esac

repo_url() {
	case $HF_TEST_REPO_KIND in
	https) echo "https://localhost:$SERVER_PORT/$1" ;;
	s3) echo "s3:$S3_ENDPOINT/$S3_CLI_BUCKET/$S3_PREFIX/$1" ;;
	*) echo "$T/$1" ;;
	esac
}
# (s3: a directory that is not there; a script that looks at or damages a
# repository's files guards that with local_files)
repo_dir() {
	case $HF_TEST_REPO_KIND in
	https) echo "$HF_SERVER_DIR/root/repos/$1" ;;
	s3) echo "$T/s3-objects-are-not-files/$1" ;;
	*) echo "$T/$1" ;;
	esac
}
# --- a repository's objects by name and relative path (config, data/ab/ab12...),
# the same in every mode: files in a directory, or (s3) keys in the bucket
# through the S3 API — what an attacker with the bucket's keys can do
# s3_api METHOD KEY [BODY-FILE] [curl args...] — a signed request for KEY in
# the CLI bucket (KEY may carry a query); the answer's body on stdout
s3_api() {
	local method=$1 key=$2 body=${3:-} sha
	shift $(($# < 3 ? $# : 3))
	if [ -n "$body" ]; then
		sha=$(sha256sum <"$body" | cut -d' ' -f1)
		set -- --data-binary "@$body" "$@"
	else
		sha=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
	fi
	curl -sS --fail --aws-sigv4 "aws:amz:$AWS_DEFAULT_REGION:s3" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
		-H "x-amz-content-sha256: $sha" -X "$method" "$@" "$S3_ENDPOINT/$S3_CLI_BUCKET/$key"
}
# repo_objects NAME [SUBDIR] — "SIZE RELPATH" of each object, sorted by path
repo_objects() {
	local dir token="" page
	if [ "$HF_TEST_REPO_KIND" != s3 ]; then
		dir=$(repo_dir "$1")
		(cd "$dir" && find "${2:-.}" -type f -printf '%s %p\n' 2>/dev/null) | sed 's| \./| |' | sort -k2
		return
	fi
	while :; do
		# the query's parameters in order and escaped, as SigV4 signs them
		page=$(s3_api GET "?${token:+continuation-token=$token&}list-type=2&prefix=$(printf '%s' "$S3_PREFIX/$1/${2:+$2/}" | sed 's|/|%2F|g')") || return 1
		$PY - "$S3_PREFIX/$1/" "$page" "$T/s3.token" <<'PYEOF'
import sys, urllib.parse, xml.etree.ElementTree as ET
root = ET.fromstring(sys.argv[2])
ns = root.tag[:root.tag.index("}") + 1] if root.tag.startswith("{") else ""
for c in root.findall(ns + "Contents"):
    print(c.find(ns + "Size").text, c.find(ns + "Key").text[len(sys.argv[1]):])
t = root.find(ns + "NextContinuationToken")
with open(sys.argv[3], "w") as f:
    if root.findtext(ns + "IsTruncated") == "true" and t is not None:
        f.write(urllib.parse.quote(t.text, safe=""))
PYEOF
		token=$(cat "$T/s3.token")
		[ -n "$token" ] || break
	done | sort -k2
}
# repo_size NAME — the bytes of a repository's objects
repo_size() { repo_objects "$1" | awk '{ n += $1 } END { print n + 0 }'; }
# repo_count NAME SUBDIR — how many objects SUBDIR holds
repo_count() { repo_objects "$1" "$2" | wc -l; }
# repo_get NAME REL FILE / repo_put NAME REL FILE / repo_rm NAME REL — one object
# (s3: a put over an object adds a version, a removal a delete marker)
repo_get() {
	if [ "$HF_TEST_REPO_KIND" = s3 ]; then s3_api GET "$S3_PREFIX/$1/$2" "" -o "$3"; else cp "$(repo_dir "$1")/$2" "$3"; fi
}
# (not s3: the object's file, its directory made and writable)
repo_file() {
	local f
	f=$(repo_dir "$1")/$2
	mkdir -p "$(dirname "$f")" && chmod u+w "$(dirname "$f")" && echo "$f"
}
repo_put() {
	local f
	if [ "$HF_TEST_REPO_KIND" = s3 ]; then
		s3_api PUT "$S3_PREFIX/$1/$2" "$3" -o /dev/null
	else
		f=$(repo_file "$1" "$2") && { [ ! -e "$f" ] || chmod u+w "$f"; } && cat "$3" >"$f"
	fi
}
repo_rm() {
	local f
	if [ "$HF_TEST_REPO_KIND" = s3 ]; then
		s3_api DELETE "$S3_PREFIX/$1/$2" "" -o /dev/null
	else
		f=$(repo_file "$1" "$2") && rm -f "$f"
	fi
}
# repo_edit NAME REL CMD... — runs CMD FILE on a copy of the object and puts it back
repo_edit() {
	local name=$1 rel=$2 f=$T/edit.$$
	shift 2
	repo_get "$name" "$rel" "$f" && "$@" "$f" && repo_put "$name" "$rel" "$f"
	local r=$?
	rm -f "$f"
	return $r
}
# short_lock_args — init arguments for a script that deletes: in s3 mode a lock
# that has run out by the time its prunes run (nothing elsewhere)
short_lock_args() { [ "$HF_TEST_REPO_KIND" != s3 ] || echo "--lock-period 1s"; }

# (the server keeps a repository's directory open once used: in https mode the
# copy replaces what is inside TO's directory, never the directory itself;
# s3: the bucket copies each object, TO's objects removed first)
repo_copy() {
	local from to size rel
	if [ "$HF_TEST_REPO_KIND" = s3 ]; then
		repo_objects "$2" | while read -r size rel; do repo_rm "$2" "$rel"; done
		repo_objects "$1" | while read -r size rel; do
			s3_api PUT "$S3_PREFIX/$2/$rel" "" -o /dev/null \
				-H "x-amz-copy-source: /$S3_CLI_BUCKET/$S3_PREFIX/$1/$rel" || return 1
		done
		return
	fi
	from=$(repo_dir "$1") to=$(repo_dir "$2")
	if [ "$HF_TEST_REPO_KIND" = https ]; then
		mkdir -p "$to" && find "$to" -mindepth 1 -delete && cp -a "$from/." "$to/"
	else
		rm -rf "$to" && cp -a "$from" "$to"
	fi
}
local_only() {
	[ "$HF_TEST_REPO_KIND" = local ] && return 1
	skip "$1 ($HF_TEST_REPO_KIND mode: only a local repository has it)"
}
# local_files WHAT — true (and WHAT counted as skipped) when the repository's
# objects are not files here (s3 mode: S3 damage is 47's, 60's and the store
# contract suite's); a server's repository is a directory on this machine
local_files() {
	[ "$HF_TEST_REPO_KIND" = s3 ] || return 1
	skip "$1 (s3 mode: the repository's objects are not files here)"
}

# hf ARGS... — run holdfast; never hangs longer than $HF_TIMEOUT seconds.
hf() {
	timeout -k 10 "$HF_TIMEOUT" "$HF_BIN" "$@" >"$T/out" 2>"$T/err"
	RC=$?
	return $RC
}

# show_output — print (shortened) stdout/stderr of the last hf run, for failure reports.
show_output() {
	echo "  --- exit $RC; stdout:"; head -c 2000 "$T/out" | sed 's/^/  | /'
	echo "  --- stderr:"; head -c 2000 "$T/err" | sed 's/^/  | /'
}

check_rc() { # name, wanted exit status
	if [ "$RC" -eq "$2" ]; then
		ok "$1"
	else
		fail "$1: exit status $RC, expected $2"
		show_output
	fi
}

# check_not_crash NAME — exit status must be a plain error (1..127 is not enough: a
# crash is >= 128, a timeout is 124).
check_not_crash() {
	if [ "$RC" -ge 124 ]; then
		fail "$1: exit status $RC (crash, signal or timeout)"
		show_output
	else
		ok "$1 (no crash, exit $RC)"
	fi
}

check_eq() { # name, expected, got
	if [ "$2" == "$3" ]; then
		ok "$1"
	else
		fail "$1"
		diff <(printf '%s\n' "$2") <(printf '%s\n' "$3") | head -n 40 | sed 's/^/  /'
	fi
}

check_true() { # name, command...
	local name=$1
	shift
	if "$@"; then ok "$name"; else fail "$name"; fi
}

check_grep() { # name, extended regexp, file
	if grep -Eq -- "$2" "$3"; then
		ok "$1"
	else
		fail "$1: /$2/ not found in $(basename "$3")"
		head -c 2000 "$3" | sed 's/^/  | /'
	fi
}

check_tree() { # name, source tree, restored tree, extra treecmp args...
	local name=$1 a=$2 b=$3 out
	shift 3
	if out=$($TREECMP "$@" "$a" "$b" 2>&1); then
		ok "$name"
	else
		fail "$name: trees differ"
		printf '%s\n' "$out" | head -n 40 | sed 's/^/  /'
	fi
}

# json EXPR — evaluate a python expression on the JSON document in $T/out
# (bound to j); prints the result (None -> "null"). Exit 1 if not JSON.
json() {
	$PY - "$1" "$T/out" <<'EOF'
import json, sys
try:
    with open(sys.argv[2], "rb") as f:
        j = json.loads(f.read())
except Exception as e:
    with open(sys.argv[2], "rb") as f:
        head = f.read(300)
    print("not-json: %s: %r" % (e, head), file=sys.stderr)
    sys.exit(1)
try:
    v = eval(sys.argv[1])
except Exception as e:
    print("json-expr-error: %r" % e, file=sys.stderr)
    sys.exit(1)
print("null" if v is None else ("true" if v is True else ("false" if v is False else v)))
EOF
}


# repo_bytes DIR — apparent size of a directory in bytes (repo_size: any mode)
repo_bytes() { du -sb "$1" | cut -f1; }

# find_sorted DIR — what `holdfast ls` prints for DIR's part of a snapshot:
# depth first, each directory followed by its contents, names sorted byte-wise
find_sorted() {
	$PY - "$1" <<'PYEOF'
import os, sys
def walk(p):
    sys.stdout.buffer.write(p + b"\n")
    if os.path.isdir(p) and not os.path.islink(p):
        for name in sorted(os.listdir(p)):
            walk(p + b"/" + name)
walk(os.fsencode(sys.argv[1]))
PYEOF
}

# parents_of PATH — the directories leading to PATH, one per line (/var, /var/tmp, ...)
parents_of() {
	local p=$1 out=()
	while p=$(dirname "$p") && [ "$p" != / ]; do out=("$p" "${out[@]}"); done
	printf '%s\n' "${out[@]}"
}

# random_file PATH MB — MB mebibytes of incompressible data (fast: AES-CTR of zeros)
random_file() {
	head -c $(($2 * 1048576)) /dev/zero |
		openssl enc -aes-128-ctr -nosalt -pass pass:"$1" -pbkdf2 2>/dev/null >"$1"
}

# check_repo_layout NAME REPO — config, keys/, snapshots/, index/, marks/, data/<2 hex>/<64 hex>;
# every file but config is named by the SHA-256 of its bytes.
check_repo_layout() {
	local name=$1 r=$2 bad
	bad=$($PY - "$r" <<'PYEOF'
import hashlib, os, re, sys
r = sys.argv[1]
bad = []
if not os.path.isfile(os.path.join(r, "config")):
    bad.append("config missing")
for d in ("keys", "snapshots", "index", "marks", "pending", "data"):
    if not os.path.isdir(os.path.join(r, d)):
        bad.append(d + "/ missing")
hexre = re.compile(r"^[0-9a-f]{64}$")
for d in ("keys", "snapshots", "index", "marks", "pending", "data"):
    for root, dirs, files in os.walk(os.path.join(r, d)):
        rel = os.path.relpath(root, r)
        for f in files:
            p = os.path.join(root, f)
            relp = os.path.join(rel, f)
            if not hexre.match(f):
                bad.append("bad name: " + relp)
                continue
            if d == "data" and not re.match(r"^data/[0-9a-f]{2}$", rel) or d == "data" and rel[-2:] != f[:2]:
                bad.append("pack not in data/<2 hex>/: " + relp)
            elif d != "data" and rel != d:
                bad.append("file in a subdirectory: " + relp)
            h = hashlib.sha256()
            with open(p, "rb") as fh:
                for b in iter(lambda: fh.read(1 << 20), b""):
                    h.update(b)
            if h.hexdigest() != f:
                bad.append("name is not the SHA-256 of the content: " + relp)
print("\n".join(bad))
PYEOF
)
	if [ -z "$bad" ]; then
		ok "$name"
	else
		fail "$name"
		printf '%s\n' "$bad" | head -n 20 | sed 's/^/  /'
	fi
}

# set_atimes DIR — give every entry but directories and symlinks a fixed atime with
# nanoseconds (mtimes stay as they are): copying a tree with cp -a reads the source,
# so the copy's atimes are otherwise arbitrary. holdfast must neither change them
# (O_NOATIME) nor fail to restore them.
set_atimes() {
	find "$1" ! -type d ! -type l -exec touch -a -d '2021-03-04 05:06:07.123456789' {} +
}

# extra_paths TDIR PATH... — entries restored under TDIR that are neither one of the
# PATHs (absolute, as stored), nor under one, nor a parent directory needed to hold one.
extra_paths() {
	local tdir=$1
	shift
	find "$tdir" -mindepth 1 -printf '/%P\n' | $PY -c '
import sys
keep = [p.rstrip("/") for p in sys.argv[1:]]
for line in sys.stdin:
    p = line.rstrip("\n")
    if not any(p == k or p.startswith(k + "/") or k.startswith(p + "/") for k in keep):
        print(p)
' "$@"
}

# count_entries DIR FIND-ARGS... — number of entries (names may contain newlines)
count_entries() {
	local d=$1
	shift
	find "$d" "$@" -printf . | wc -c
}

# render_html FILE.html — headless Chromium renders the page: screenshot to
# FILE.png, its log (console messages as CONSOLE lines) to FILE.log; its exit status
render_html() {
	local ud rc
	ud=$(mktemp -d "$T/chromium.XXXXXX")
	timeout 90 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync --user-data-dir="$ud" \
		--enable-logging=stderr --v=0 --screenshot="${1%.html}.png" --window-size=1280,2000 "file://$1" \
		>/dev/null 2>"${1%.html}.log"
	rc=$?
	rm -rf "$ud"
	return $rc
}
