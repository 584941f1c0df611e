#!/usr/bin/env bash
# 13-detect-small-files.sh — files too small for block statistics (under 1 KiB).
#
# A few dozen random bytes without a NUL or a stray control byte pass as legacy 8-bit
# text now and then, so neither "no longer text" nor the random-block share can tell
# that a small text file was encrypted. The scan compares the share of bytes >= 0x80
# instead (reason random-bytes; docs/DETECTION.md). Here 600 small text files (12 to
# 1023 bytes, most under 60; ASCII, accented Latin, Cyrillic, all UTF-8) and 30 tiny
# ones are generated from a fixed seed and:
#   1. changed the way people change small files: lines appended, words replaced,
#      UTF-8 re-encoded to Latin-1 and to CP1251 with iconv, renames: no file may be
#      flagged encrypted and the snapshot must stay clean;
#   2. then encrypted in place (attack.sh full: openssl AES-CTR with a fixed key, so
#      the same bytes every run): >= 99% flagged;
#   3. in a fresh repository, the UTF-8 files encrypted in place: every file must be
#      flagged, not just 99%;
#   4. in a third, encrypted with ccrypt and renamed .locked (a random seed: other
#      bytes every run): every file must be flagged;
#   5. in a fourth, with 30 more files of 1 to 10 bytes, encrypted in place and renamed
#      .locked: every file must be flagged, the tiny ones by the wave of their new
#      extension (attacks 2 to 4 leave the tiny files alone: in place, no content of a
#      few bytes tells ciphertext from text).
. "$(dirname "$0")/lib.sh"
. "$CLI_DIR/../detect/common.sh"

S=$T/src
mkdir -p "$S"
$PY - "$S" <<'EOF'
import os, random, sys
root = sys.argv[1]
rnd = random.Random(13)
words = {
    "ascii": "the quick brown fox jumps over a lazy dog build make notes list item".split(),
    "latin": "été café naïve façade über straße señor crème brûlée à déjà vu".split(),
    "cyrillic": "привет мир файл список заметки сборка дом лето зима".split(),
}
kinds = list(words)
sizes = [12 + i // 10 for i in range(480)] + [rnd.randrange(60, 1024) for _ in range(120)]
for i in range(600):
    kind = kinds[i % 3]
    want = sizes[i]
    text = ""
    while len(text.encode()) < want:
        text += rnd.choice(words[kind]) + (" " if rnd.random() < 0.8 else "\n")
    data = text.encode()[:want]
    while True:  # never cut a UTF-8 sequence
        try:
            data.decode()
            break
        except UnicodeDecodeError:
            data = data[:-1]
    d = os.path.join(root, "d%d" % (i % 8))
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "%s-%03d.txt" % (kind, i)), "wb") as f:
        f.write(data)
# small binary files (left out of the attacks: see below) and an empty note
os.makedirs(os.path.join(root, "bin"))
for name, src in (("zone", "/usr/share/zoneinfo/Asia/Qatar"), ("zone2", "/usr/share/zoneinfo/Europe/Paris")):
    with open(src, "rb") as s, open(os.path.join(root, "bin", name), "wb") as f:
        f.write(s.read())
with open(os.path.join(root, "bin", "counter"), "wb") as f:
    f.write(bytes([0x10, 0, 0, 0]))
open(os.path.join(root, "bin", "empty-note.txt"), "w").close()
# a few bytes each: no content can tell their ciphertext from text
os.makedirs(os.path.join(root, "tiny"))
for i in range(30):
    with open(os.path.join(root, "tiny", "t%02d.txt" % i), "w") as f:
        f.write(rnd.choice(words["ascii"])[: 1 + i % 10])
EOF
cp -a "$S" "$T/orig"
(cd "$S" && find . -type f ! -path './tiny/*' ! -path './bin/*' -printf '%P\n') >"$T/not-tiny"
check_eq "634 small files generated" "634" "$(find "$S" -type f | wc -l)"

R=$(repo_url repo)
hf init --repo "$R"
check_rc "init" 0
hf backup --repo "$R" "$S"
check_rc "backup of the small files: exit 0" 0

# 1. benign changes; their list in attack.sh's format for evaluate.py --benign
$PY - "$S" >"$T/actions-benign" <<'EOF'
import os, subprocess, sys
root = sys.argv[1]
files = sorted(os.path.join(d, f) for d, _, fs in os.walk(root) for f in fs)
for i, p in enumerate(files):
    kind = os.path.basename(p).split("-")[0]
    op = i % 6
    if op == 0:
        with open(p, "a") as f:
            f.write("\nanother line\n")
    elif op == 1:
        with open(p, "rb") as f:
            data = f.read()
        if b" " not in data:
            continue
        with open(p, "wb") as f:
            f.write(data.replace(b" ", b"_", 3))
    elif op == 2 and kind in ("latin", "cyrillic"):
        charset = "latin1" if kind == "latin" else "cp1251"
        data = subprocess.run(["iconv", "-f", "utf-8", "-t", charset, p], check=True,
                              capture_output=True).stdout
        if data == open(p, "rb").read():
            continue
        with open(p, "wb") as f:
            f.write(data)
    elif op == 3:
        os.rename(p, p[:-4] + ".md")
        print("created\t%s\t%s" % (p[:-4] + ".md", p))
        print("deleted\t%s" % p)
        continue
    elif op == 4 and kind in ("latin", "cyrillic"):
        # edited and saved in an 8-bit charset ("Save as ANSI"): no shorter, more accents
        charset = "cp1252" if kind == "latin" else "cp1251"
        text = open(p, encoding="utf-8").read() + ("\nà bientôt, chère amie\n" if kind == "latin" else "\nдо свидания\n")
        with open(p, "wb") as f:
            f.write(text.encode(charset))
    elif op == 5 and kind == "latin":
        # a line in Latin-1 appended to UTF-8 text: mixed encodings
        with open(p, "ab") as f:
            f.write("\nZürich, Genève\n".encode("latin1"))
    else:
        continue
    print("modified\t%s" % p)
# small binary files replaced by others of their kind: time zones, a counter
for name, new in (("zone", "/usr/share/zoneinfo/America/Porto_Velho"), ("zone2", "/usr/share/zoneinfo/Asia/Tokyo")):
    p = os.path.join(root, "bin", name)
    with open(new, "rb") as src, open(p, "wb") as f:
        f.write(src.read())
    print("modified\t%s" % p)
with open(os.path.join(root, "bin", "counter"), "wb") as f:
    f.write(bytes([0x90, 0, 0, 0]))
print("modified\t%s" % os.path.join(root, "bin", "counter"))
# an empty file compressed, its original deleted
p = os.path.join(root, "bin", "empty-note.txt")
subprocess.run(["gzip", p], check=True)
print("created\t%s.gz\t%s" % (p, p))
print("deleted\t%s" % p)
EOF
hf backup --repo "$R" "$S"
check_rc "backup after benign changes of small files: exit 0" 0
hf scan --repo "$R" --json
check_rc "scan after benign changes: exit 0" 0
cp "$T/out" "$T/scan-benign.json"
check_eq "scan after benign changes: clean" "clean" "$(json 'j["verdict"]')"
$PY "$DETECT_DIR/evaluate.py" --benign "$T/actions-benign" "$T/scan-benign.json" >"$T/report-benign" 2>&1
check_eq "benign changes: no small file flagged encrypted" "0" "$(ev fp_encrypted "$T/report-benign")"
[ "$(ev fp_encrypted "$T/report-benign")" = 0 ] || show_report "$T/report-benign"
check_eq "benign changes: every changed path listed" "0" "$(ev unlisted "$T/report-benign")"

# attack MODE NAME ALL [attack.sh options]: attack.sh MODE on $S, a backup into $R,
# scan, evaluation: >= 97% flagged (check_flagged); ALL=1: and every file of 60 bytes
# or more; ALL=2: every file
attack() {
	local mode=$1 name=$2 all=$3
	shift 3
	"$DETECT_DIR/attack.sh" "$mode" "$S" "$@" >"$T/actions-$mode" 2>"$T/attack.err" || fail "$name: attack.sh $mode failed"
	hf backup --repo "$R" "$S"
	check_rc "$name: backup exits 4" 4
	hf scan --repo "$R" --json
	cp "$T/out" "$T/scan-$mode.json"
	check_eq "$name: snapshot verdict attack" "attack" "$(json 'j["verdict"]')"
	$PY "$DETECT_DIR/evaluate.py" "$T/actions-$mode" "$T/scan-$mode.json" >"$T/report" 2>&1
	# most of these files are under 60 bytes, where a few bytes of ciphertext and
	# 8-bit text can look alike (docs/DETECTION.md, limits): 97% there
	check_flagged "$name" "$T/report" $([ "$all" = 2 ] && echo 99 || echo 97)
	if [ "$all" = 1 ]; then
		check_eq "$name: every file of 60 bytes or more flagged encrypted" "" "$(missed_from 60)"
		echo "note: $name: $(ev missed "$T/report") of $(ev touched "$T/report") missed"
	elif [ "$all" = 2 ]; then
		check_eq "$name: every small file flagged encrypted ($(ev touched "$T/report") touched)" \
			"0" "$(ev missed "$T/report")"
		[ "$(ev missed "$T/report")" = 0 ] || show_report "$T/report"
	fi
}
# missed_from N: the files of the last report missed by the scan whose original had >= N bytes
missed_from() {
	local p rel
	while read -r _ p _; do
		rel=${p#"$S"/}
		[ "$(stat -c %s "$T/orig/$rel" 2>/dev/null || echo 0)" -ge "$1" ] && echo "$rel"
	done < <(grep '^MISS ' "$T/report")
}
fresh_repo() { # name
	R=$(repo_url "$1")
	rm -rf "$S" && cp -a "$T/orig" "$S"
	hf init --repo "$R"
	hf backup --repo "$R" "$S"
	check_rc "$1: backup of the small files: exit 0" 0
}

# 2. the changed tree (some files now Latin-1 or CP1251), encrypted in place with
# openssl AES-CTR (a fixed key and per-path IVs: the same bytes every run). A few
# bytes of 8-bit text in a legacy charset and a few random bytes can look alike
# (docs/DETECTION.md, limits): >= 99%.
attack full "in place, after the benign changes" 0 --files "$T/not-tiny"

# 3. the UTF-8 files, in place: every one
fresh_repo repo2
attack full "in place" 1 --files "$T/not-tiny"
check_eq "in place: the byte mix decided some (reason random-bytes)" "yes" \
	"$($PY -c 'import json,sys; j=json.load(open(sys.argv[1])); print("yes" if any("random-bytes" in f["reasons"] for f in j["files"]) else "no")' "$T/scan-full.json")"

# 4. the UTF-8 files, ccrypt (random seeds: other bytes every run), renamed .locked: every one
fresh_repo repo3
attack ccrypt "ccrypt" 2

# 5. the UTF-8 files and the tiny ones, in place and renamed .locked, as most
# ransomware does: the tiny ones are judged by the wave of encrypted files that
# took the same new extension (reason wave-extension)
fresh_repo repo4
attack full-rename "in place and renamed" 2
check_eq "in place and renamed: the tiny files judged by the wave (reason wave-extension)" "30" \
	"$($PY -c 'import json,sys; j=json.load(open(sys.argv[1])); print(sum(1 for f in j["files"] if "/tiny/" in f["path"] and f["verdict"] == "encrypted"))' "$T/scan-full-rename.json")"

finish
