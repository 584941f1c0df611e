# watch_sims.sh — the encrypting processes of tests/cli/50-watch-attacks.sh,
# shared with bench/watch.sh (sourced; not a test of its own).
#
# watch_sims DIR — writes the simulators' helper scripts into DIR and sets SIM
# (name -> a bash command that encrypts every file of the directory given as
# its $1) and SIM_ORDER (their names, gpg last when gpg is installed; its
# GNUPGHOME is made under DIR: stop its agent with gpgconf --kill gpg-agent).
watch_sims() {
	local dir=$1 ENC
	# tiny encryptors: in place (openssl as the cipher), every other 4 KiB block,
	# the header only
	cat >"$dir/inplace.py" <<'PY'
import os, subprocess, sys, time
d = sys.argv[1]
for n in sorted(os.listdir(d)):
    p = os.path.join(d, n)
    ct = subprocess.run(["openssl", "enc", "-aes-256-ctr", "-pbkdf2", "-pass", "pass:k", "-in", p],
                        capture_output=True, check=True).stdout
    with open(p, "r+b") as f:
        f.write(ct)
        f.truncate()
PY
	cat >"$dir/blocks.py" <<'PY'
import os, sys
d, mode = sys.argv[1], sys.argv[2]
for n in sorted(os.listdir(d)):
    p = os.path.join(d, n)
    with open(p, "r+b") as f:
        data = bytearray(f.read())
        step = 8192 if mode == "intermittent" else len(data) + 1
        for off in range(0, len(data), step):
            end = min(off + 4096, len(data))
            key = os.urandom(end - off)
            data[off:end] = bytes(a ^ b for a, b in zip(data[off:end], key))
        f.seek(0)
        f.write(data)
PY

	# in process, each file's ciphertext written to a temporary file that is
	# then renamed over the original (the original is never opened for
	# writing: only the rename replaces it); random bytes stand in for the
	# ciphertext, at the speed of a cipher written in C
	cat >"$dir/over.py" <<'PY'
import os, sys
d = sys.argv[1]
for n in sorted(os.listdir(d)):
    p = os.path.join(d, n)
    with open(p, "rb") as f:
        data = f.read()
    with open(p + ".tmp", "wb") as f:
        f.write(os.urandom(16 + len(data)))  # as fast as a cipher in C
    os.rename(p + ".tmp", p)
PY

	# two passes: every file opened for writing and closed unchanged (each
	# judged clean), then each encrypted in place right after, while its
	# last judgement is fresh (the watcher puts off a file's second
	# judgement when it comes soon after the first: later.c)
	cat >"$dir/twopass.py" <<'PY'
import os, sys
d = sys.argv[1]
names = sorted(os.listdir(d))
for n in names:
    open(os.path.join(d, n), "r+b").close()
for n in names:
    with open(os.path.join(d, n), "r+b") as f:
        size = len(f.read())
        f.seek(0)
        f.write(os.urandom(size))  # as fast as a cipher in C
PY

	# one worker per file, each in a session of its own (setsid), as a
	# ransomware's launcher might: no group or session is shared, only the
	# process that started the sessions
	cat >"$dir/workers.py" <<'PY'
import os, sys
d = sys.argv[1]
for n in sorted(os.listdir(d)):
    pid = os.fork()
    if pid == 0:
        os.setsid()
        p = os.path.join(d, n)
        os.execvp("sh", ["sh", "-c", 'openssl enc -aes-256-cbc -pbkdf2 -pass pass:k -in "$1" -out "$1.locked" && rm -f "$1"', "_", p])
    os.waitpid(pid, 0)
PY

	ENC='openssl enc -aes-256-cbc -pbkdf2 -pass pass:k'
	declare -gA SIM=(
		[inplace]="python3 $dir/inplace.py \"\$1\""
		[copy-delete]="for f in \"\$1\"/*; do $ENC -in \"\$f\" -out \"\$f.enc\" && rm -f \"\$f\"; done"
		[random-names]="for f in \"\$1\"/*; do $ENC -in \"\$f\" -out \"\$1/\$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n').bin\" && rm -f \"\$f\"; done"
		[rename-ext]="for f in \"\$1\"/*; do $ENC -in \"\$f\" -out \"\$f.tmp\" && mv \"\$f.tmp\" \"\$f\" && mv \"\$f\" \"\$f.\$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')\"; done"
		[xargs-P4]="find \"\$1\" -type f -print0 | xargs -0 -P 4 -n 1 sh -c '$ENC -in \"\$1\" -out \"\$1.locked\" && rm -f \"\$1\"' _"
		[throttled]="for f in \"\$1\"/*; do $ENC -in \"\$f\" -out \"\$f.tmp\" && mv \"\$f.tmp\" \"\$f\"; sleep 0.3; done"
		[intermittent]="python3 $dir/blocks.py \"\$1\" intermittent"
		[header-only]="python3 $dir/blocks.py \"\$1\" header"
		[setsid-workers]="python3 $dir/workers.py \"\$1\""
		[rename-over]="python3 $dir/over.py \"\$1\""
		[two-pass]="python3 $dir/twopass.py \"\$1\""
		[base64]="for f in \"\$1\"/*; do $ENC -a -in \"\$f\" -out \"\$f.tmp\" && mv \"\$f.tmp\" \"\$f\"; done"
	)
	SIM_ORDER="inplace copy-delete random-names rename-ext rename-over two-pass xargs-P4 setsid-workers throttled intermittent header-only base64"
	if command -v gpg >/dev/null; then
		SIM[gpg]="export GNUPGHOME=\$(mktemp -d '$dir/gnupg.XXXXXX'); for f in \"\$1\"/*; do gpg --batch --yes --pinentry-mode loopback --passphrase k --symmetric -o \"\$f.gpg\" \"\$f\" && rm -f \"\$f\"; done"
		SIM_ORDER="$SIM_ORDER gpg"
	fi
}
