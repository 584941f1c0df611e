#!/usr/bin/env bash
# 58-detect-partial.sh — partial encryption of media and text files in a slow attack
# (docs/DETECTION.md, "Partial encryption"). The corpus (tests/detect/make-corpus.py: MP3s
# made by lame among its files) and a few more text files (UTF-8 prose, a Latin-1 letter,
# a CP1251 memo, a large UTF-8 log, one larger than the backup's read buffer) are backed up clean; then, for each variant, the
# text and MP3 files of 8 KiB and more are attacked a third at a time, with a backup
# after each third (attack.sh sparse / chunks, real AES-CTR from openssl):
#   sparse-16     16 bytes every 4 KiB (what still plays, still reads almost everywhere)
#   sparse-256    256 bytes every 32 KiB
#   sparse-1k     1 KiB every 64 KiB
#   chunks-2k     three chunks of 2 KiB at keyed offsets
#   chunks-48     four chunks of 48 bytes (often without a NUL: "8-bit text")
# At each backup, every file attacked in that round is flagged encrypted in the scan of
# that backup (not only at the end), and no other file is; restore --last-clean gives
# back the original files bit for bit. Before the attacks, benign changes to the same
# files (charset conversions, a re-tagged and a re-encoded MP3) flag nothing.
# HF_PARTIAL_VARIANTS="sparse-16" runs only those variants.
. "$(dirname "$0")/lib.sh"
. "$CLI_DIR/../detect/common.sh"

VARIANTS=${HF_PARTIAL_VARIANTS:-"sparse-16 sparse-256 sparse-1k chunks-2k chunks-48"}
E=$T/expected
cp -a "$CORPUS" "$E"
mkdir -p "$E/texts"
$PY - "$E/texts" <<'EOF'
import os, random, sys
d = sys.argv[1]
R = random.Random(58)
fr = ["été", "forêt", "château", "élève", "garçon", "naïve", "déjà", "où", "maison", "livre", "rue", "soir"]
ru = ["привет", "дом", "письмо", "работа", "завтра", "город", "время", "книга", "друг", "вода"]
en = ["the", "report", "budget", "meeting", "draft", "review", "team", "quarter", "plan", "notes"]
def lines(words, n, w=11):
    return "\n".join(" ".join(R.choice(words) for _ in range(w)) for _ in range(n)) + "\n"
open(os.path.join(d, "lettre.txt"), "wb").write(lines(fr + en, 400).encode("utf-8"))
open(os.path.join(d, "lettre-latin1.txt"), "wb").write(lines(fr + en, 300).encode("latin-1"))
open(os.path.join(d, "memo-cp1251.txt"), "wb").write(lines(ru + en, 300).encode("cp1251"))
open(os.path.join(d, "server.log"), "wb").write("".join(
    "2025-03-%02d 10:%02d:%02d host%d: %s\n" % (1 + i % 28, i % 60, (i * 7) % 60, i % 5, " ".join(R.choice(en + fr) for _ in range(9)))
    for i in range(30000)).encode("utf-8"))
# larger than the backup's read buffer (8 MiB): its full profile's "UTF-8 all through" is
# streamed piece by piece
open(os.path.join(d, "archive.log"), "wb").write("".join(
    "2024-11-%02d 09:%02d:%02d node%d: %s\n" % (1 + i % 28, i % 60, (i * 11) % 60, i % 7, " ".join(R.choice(en + fr + ru) for _ in range(9)))
    for i in range(150000)).encode("utf-8"))
EOF
touch -d @1715938200 "$E"/texts/*
(cd "$E" && find . -type f -size +8k \( -name '*.txt' -o -name '*.md' -o -name '*.log' -o -name '*.csv' \
	-o -name '*.html' -o -name '*.json' -o -name '*.xml' -o -name '*.py' -o -name '*.mp3' \) -printf '%P\n') |
	sort >"$T/list"
check_eq "the corpus has MP3s to attack" "yes" "$(grep -q '\.mp3$' "$T/list" && echo yes || echo no)"
echo "# $(wc -l <"$T/list") files attacked per variant, a third per backup"

# benign first: the same files changed the way users change them (charsets converted
# both ways, a Latin-1 line appended to a UTF-8 log, a form feed and a tab added, a UTF-8
# line appended to the log larger than the read buffer, an
# MP3 re-tagged, another re-encoded at another bitrate): exit 0, nothing flagged
R=$(repo_url repo-benign)
S=$T/src
cp -a "$E" "$S"
hf init --repo "$R"
hf backup --repo "$R" "$S"
check_rc "[benign] backup of the corpus" 0
iconv -f utf-8 -t latin1 "$S/texts/lettre.txt" >"$T/x" && cat "$T/x" >"$S/texts/lettre.txt"
iconv -f latin1 -t utf-8 "$S/texts/lettre-latin1.txt" >"$T/x" && cat "$T/x" >"$S/texts/lettre-latin1.txt"
iconv -f cp1251 -t utf-8 "$S/texts/memo-cp1251.txt" >"$T/x" && cat "$T/x" >"$S/texts/memo-cp1251.txt"
printf '2025-04-01 10:00:00 host1: caf\xe9 cr\xe8me br\xfbl\xe9e \xe0 la carte\f\tend\n' >>"$S/texts/server.log"
printf '2025-04-01 10:00:01 node2: r\xc3\xa9sum\xc3\xa9 \xd0\xb4\xd0\xbe\xd0\xbc done\n' >>"$S/texts/archive.log"
id3v2 --artist "Someone Else" --song "Renamed" "$S/home/media/song.mp3" >/dev/null
lame --quiet --mp3input -b 64 "$S/home/media/voice-memo.mp3" "$T/x.mp3" && cat "$T/x.mp3" >"$S/home/media/voice-memo.mp3"
hf backup --repo "$R" "$S"
check_rc "[benign] backup after the benign changes: exit 0" 0
hf scan --repo "$R" --json
check_eq "[benign] 7 files modified, none flagged" "7 0 0 clean" \
	"$(json '"%d %d %d %s" % (j["summary"]["modified"], j["summary"]["encrypted"], j["summary"]["suspicious"], j["verdict"])')"
rm -rf "$S"

variant_args() {
	case $1 in
	sparse-16) echo "sparse --block 16 --stride 4096" ;;
	sparse-256) echo "sparse --block 256 --stride 32768" ;;
	sparse-1k) echo "sparse --block 1024 --stride 65536" ;;
	chunks-2k) echo "chunks --block 2048 --count 3" ;;
	chunks-48) echo "chunks --block 48 --count 4" ;;
	esac
}

for v in $VARIANTS; do
	m="[$v]"
	read -r -a args <<<"$(variant_args "$v")"
	R=$(repo_url "repo-$v") RD=$(repo_dir "repo-$v")
	S=$T/src
	rm -rf "$RD" "$S" "$T/restore"
	cp -a "$E" "$S"
	hf init --repo "$R"
	hf backup --repo "$R" "$S"
	check_rc "$m backup of the corpus" 0
	prev=$(snap_ids | awk '{print $NF}')
	for k in 1 2 3; do
		if ! "$DETECT_DIR/attack.sh" "${args[0]}" "$S" "${args[@]:1}" --files "$T/list" --part "$k/3" >"$T/actions" 2>"$T/attack.err"; then
			fail "$m round $k: attack.sh failed"
			sed 's/^/  | /' "$T/attack.err" | head -n 10
			continue
		fi
		hf backup --repo "$R" "$S"
		check_rc "$m round $k: the backup alerts (exit 4)" 4
		cur=$(snap_ids | awk '{print $NF}')
		hf scan --repo "$R" "$cur" --json
		cp "$T/out" "$T/scan-$v-$k.json"
		check_eq "$m round $k: scanned against the previous backup" "$prev" "$(json 'str(j["against"])')"
		$PY "$DETECT_DIR/evaluate.py" "$T/actions" "$T/scan-$v-$k.json" >"$T/report-$v-$k" 2>&1
		check_flagged "$m round $k" "$T/report-$v-$k" 100
		echo "# $m round $k reasons: $(json 'dict(sorted(__import__("collections").Counter(r for f in j["files"] for r in f["reasons"]).items()))')"
		json 'sum("garbled-text" in f["reasons"] for f in j["files"])' >>"$T/garbled-$v"
		prev=$cur
	done
	# small chunks without a NUL stay 8-bit text: only garbled-text sees them
	if [ "$v" = chunks-48 ] || [ "$v" = sparse-16 ]; then
		check_eq "$m garbled-text flagged some of the text files" "yes" \
			"$(awk '{ n += $1 } END { print (n > 0 ? "yes" : "no") }' "$T/garbled-$v")"
	fi
	hf restore --repo "$R" --last-clean --target "$T/restore"
	check_rc "$m restore --last-clean" 0
	check_restore "$m restore --last-clean gives back every file bit for bit" "$E" "$T/restore$S"
done
finish
