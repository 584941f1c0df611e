#!/usr/bin/env bash
# 16-secrets.sh — secrets stay inside holdfast:
#   - the --on-alert command (a child of holdfast) gets no HOLDFAST_PASSWORD in
#     its environment, and the passphrase is gone from holdfast's own
#     /proc/PID/environ once read (the alert command reads its parent's, while
#     holdfast waits for it);
#   - a core of a running restore (gcore, as root) holds neither a pack key
#     (read from the process at the entry of hf_aead_open) nor the passphrase
#     (skipped where gcore writes no memory, as for a sanitizer build);
#   - a holdfast killed by SIGSEGV with `ulimit -c unlimited` writes no core
#     (a shell killed the same way does, else the check is skipped).
. "$(dirname "$0")/lib.sh"

R=$(repo_url repo)
S=$T/share
mkdir -p "$S/a" "$S/b"
for i in $(seq 1 40); do
	head -c $((3000 + i * 300)) /usr/share/common-licenses/GPL-3 >"$S/a/doc$i.txt"
	cp /usr/share/common-licenses/Apache-2.0 "$S/b/note$i.txt"
done
hf init --repo "$R"
check_rc "init" 0
hf backup --repo "$R" "$S"
check_rc "first backup" 0

# an attack: every file of a/ encrypted in place, so the next backup alerts
K=$(openssl rand -hex 32) IV=$(openssl rand -hex 16)
for f in "$S"/a/*.txt; do
	openssl enc -aes-256-ctr -K "$K" -iv "$IV" -in "$f" -out "$f.tmp" && cat "$f.tmp" >"$f" && rm "$f.tmp"
done

# count_bytes PATTERN-FILE FILE — occurrences of the bytes of PATTERN-FILE in
# FILE, read in pieces and only where it has data (a core is sparse; a
# sanitizer build's spans terabytes of holes)
count_bytes() {
	$PY - "$1" "$2" <<'EOF'
import os, sys
pat = open(sys.argv[1], "rb").read()
if not pat:
    print(-1)
    sys.exit()
fd = os.open(sys.argv[2], os.O_RDONLY)
end = os.fstat(fd).st_size
hits, off, piece = 0, 0, 1 << 24
while off < end:
    try:
        off = os.lseek(fd, off, os.SEEK_DATA)
    except OSError:
        break
    hole = os.lseek(fd, off, os.SEEK_HOLE)
    while off < hole:
        n = min(piece, hole - off)
        os.lseek(fd, off, os.SEEK_SET)
        d = os.read(fd, n + len(pat) - 1)
        i = d.find(pat)
        while 0 <= i < n:
            hits += 1
            i = d.find(pat, i + 1)
        off += n
print(hits)
EOF
}
printf '%s' "$HOLDFAST_PASSWORD" >"$T/pass.bin"

# --- S4: the alert command's environment, and holdfast's while it waits
# ($PPID of the shell popen starts is holdfast)
hf backup --repo "$R" --on-alert "env >$T/alert.env; tr '\\0' '\\n' </proc/\$PPID/environ >$T/parent.env; cat >/dev/null" "$S"
check_rc "backup of the attack: exit 4" 4
if [ -s "$T/alert.env" ] && [ -s "$T/parent.env" ]; then
	ok "the alert command ran and read its parent's environment"
	check_eq "no HOLDFAST_PASSWORD in the alert command's environment" "" "$(grep '^HOLDFAST_PASSWORD=' "$T/alert.env")"
	check_eq "the passphrase is nowhere in the alert command's environment" 0 "$(count_bytes "$T/pass.bin" "$T/alert.env")"
	check_eq "the passphrase is gone from holdfast's /proc/PID/environ" 0 "$(count_bytes "$T/pass.bin" "$T/parent.env")"
	check_grep "the rest of the environment is passed on" "^HOME=" "$T/alert.env"
else
	fail "the alert command did not run (or could not read /proc/\$PPID/environ)"
	show_output
fi

# --- S5: no pack key and no passphrase in a core of a running restore
if [ "$(id -u)" -ne 0 ] || ! command -v gdb >/dev/null; then
	echo "skipped: the gcore check needs root and gdb"
elif ldd "$HF_BIN" 2>/dev/null | grep -Eq 'lib(a|t)san'; then
	# gcore of a sanitizer build (terabytes of shadow) takes minutes and writes holes only
	echo "skipped: the gcore check needs a build without sanitizers"
else
	# stop at an hf_aead_open of a blob (keyed with its pack's key):
	# $rsi is its key argument (x86-64 calling convention, at the first
	# instruction); finish the call so the cipher context has used the key,
	# then dump the process as it runs
	cat >"$T/gdb.cmd" <<EOF
set pagination off
set confirm off
break *hf_aead_open if \$_any_caller_matches("^hf_blob_", 3)
run
dump binary memory $T/key.bin \$rsi \$rsi+32
delete
finish
gcore $T/restore.core
kill
quit
EOF
	rm -rf "$T/t1"
	(cd "$T" && timeout -k 10 300 gdb -batch -nx -x "$T/gdb.cmd" --args "$HF_BIN" restore --repo "$R" latest --target "$T/t1") >"$T/gdb.out" 2>&1
	printf '%s' "$T/t1" >"$T/target.bin"
	if ! [ -s "$T/restore.core" ] || [ "$(stat -c %s "$T/key.bin" 2>/dev/null)" != 32 ]; then
		fail "gdb could not stop the restore at a key and dump it"
		tail -n 20 "$T/gdb.out" | sed 's/^/  | /'
	elif [ "$(count_bytes "$T/target.bin" "$T/restore.core")" = 0 ]; then
		# the process's own argv (the target) must be in a real core: gcore
		# of a sanitizer build (terabytes of shadow) writes holes only
		echo "skipped: the core gcore wrote lacks the process's memory (a sanitizer build?)"
	else
		ok "gdb stopped a restore at a pack key and dumped its memory"
		check_eq "the pack key is not in the core" 0 "$(count_bytes "$T/key.bin" "$T/restore.core")"
		check_eq "the passphrase is not in the core" 0 "$(count_bytes "$T/pass.bin" "$T/restore.core")"
	fi
	rm -f "$T/restore.core"
fi

# --- S5: a crash writes no core. core_pattern as found; a relative one (no
# '|') is written in the crashing process's working directory.
pattern=$(cat /proc/sys/kernel/core_pattern 2>/dev/null)
mkdir -p "$T/crash-sh" "$T/crash-hf"
(cd "$T/crash-sh" && ulimit -c unlimited && sh -c 'kill -SEGV $$') 2>/dev/null
if [ "${pattern#|}" != "$pattern" ] || [ "${pattern#/}" != "$pattern" ] || [ -z "$(ls -A "$T/crash-sh")" ]; then
	echo "skipped: no core lands in the working directory here (core_pattern '$pattern', or cores are off); cannot test that holdfast writes none"
else
	ok "a shell killed by SIGSEGV writes a core here (the check below can fail)"
	# holdfast is killed while it waits for its alert command: a second attack
	for f in "$S"/b/*.txt; do
		openssl enc -aes-256-ctr -K "$K" -iv "$IV" -in "$f" -out "$f.tmp" && cat "$f.tmp" >"$f" && rm "$f.tmp"
	done
	# (a sanitizer would catch the signal and exit 1: let it through)
	(cd "$T/crash-hf" && ulimit -c unlimited &&
		ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}handle_segv=0 UBSAN_OPTIONS=${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}handle_segv=0 timeout -k 10 300 "$HF_BIN" backup --repo "$R" --on-alert 'kill -SEGV $PPID; cat >/dev/null' "$S" >/dev/null 2>&1)
	RC=$?
	check_eq "holdfast died of SIGSEGV" 139 "$RC"
	check_eq "it wrote no core" "" "$(ls -A "$T/crash-hf")"
fi

finish
