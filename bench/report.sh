#!/usr/bin/env bash
# report.sh — the cost of `holdfast report` on the bench corpus after an attack
# (`make bench-report`): a copy of the corpus is backed up, one file in ten is
# encrypted and renamed .locked and a ransom note dropped into every directory
# (tests/detect/attack.sh full-rename --notes), backed up again (exit 4), then the
# report (HTML + JSON) is made RUNS times, and once more with --all. Times are
# medians under GNU time, with the peak RSS; the ratio to the backup after the
# attack makes runs on different machines comparable. Writes the "Incident
# report" section of docs/PERFORMANCE.md (the rest is kept); logs in
# bench/work/report/.
#
# Environment knobs:
#   HOLDFAST=build/holdfast   the holdfast binary
#   CORPUS=DIR                the tree to back up (default: bench/corpus.sh's corpus)
#   RUNS=3                    runs of each report; the table shows medians
#   OUT=docs/PERFORMANCE.md   report file
set -uo pipefail
export LC_ALL=C
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
. "$here/lib.sh"
bench_need_pkgs time python3 openssl || exit 1
HOLDFAST=${HOLDFAST:-$root/build/holdfast}
case $HOLDFAST in /*) ;; *) HOLDFAST=$root/$HOLDFAST ;; esac
RUNS=${RUNS:-3}
OUT=${OUT:-$root/docs/PERFORMANCE.md}
work=$here/work/report
rm -rf "$work"
mkdir -p "$work"
if [ -z "${CORPUS:-}" ]; then
	CORPUS=$here/work/corpus
	"$here/corpus.sh" "$CORPUS" || { log "corpus.sh failed"; exit 1; }
fi
export HOLDFAST_PASSWORD=holdfast-bench
tree=$work/tree repo=$work/repo
log "copying the corpus"
cp -a "$CORPUS" "$tree"

timed() { # NAME CMD...: NAME<TAB>wall s<TAB>peak RSS KiB<TAB>exit status into times.tsv
	local name=$1 rc
	shift
	sync
	/usr/bin/time -f '%e %M' -o "$work/$name.time" "$@" >>"$work/$name.log" 2>&1
	rc=$?
	printf '%s\t%s\t%s\n' "$name" "$(tr ' ' '\t' <"$work/$name.time" | tail -n 1)" "$rc" >>"$work/times.tsv"
	log "$name: $(tail -n 1 "$work/times.tsv" | cut -f2-)"
}

"$HOLDFAST" init --repo "$repo" >"$work/init.log" 2>&1 || { log "init failed"; exit 1; }
timed backup-first "$HOLDFAST" backup --repo "$repo" "$tree"
(cd "$tree" && find . -type f -printf '%P\n' | sort | awk 'NR % 10 == 0') >"$work/attacked"
"$root/tests/detect/attack.sh" full-rename "$tree" --files "$work/attacked" --notes >"$work/actions" 2>"$work/attack.err" ||
	{ log "attack.sh failed: see $work/attack.err"; exit 1; }
timed backup-attack "$HOLDFAST" backup --repo "$repo" "$tree"
for i in $(seq "$RUNS"); do
	timed report "$HOLDFAST" report --repo "$repo" --html "$work/report.html" --json "$work/report.json"
	timed report-all "$HOLDFAST" report --repo "$repo" --all --html "$work/report-all.html" --json "$work/report-all.json"
done

cbytes=$(du -sb "$CORPUS" | cut -f1)
cfiles=$(find "$CORPUS" -type f | wc -l)
section=$work/section.md
python3 - "$work/times.tsv" "$RUNS" "$cbytes" "$cfiles" "$work/report.json" "$work/report-all.json" \
	"$(date -u '+%Y-%m-%d %H:%M UTC')" "$("$HOLDFAST" --version 2>/dev/null | head -n 1)" >"$section" <<'PY'
import json, statistics, sys
tsv, runs, cbytes, cfiles, rj, raj, date, ver = sys.argv[1:]
rows = {}
for line in open(tsv):
    name, wall, rss, rc = line.rstrip('\n').split('\t')
    rows.setdefault(name, []).append((float(wall), int(rss), int(rc)))
med = {k: (statistics.median(w for w, _, _ in v), max(r for _, r, _ in v), {c for _, _, c in v}) for k, v in rows.items()}
j, ja = json.load(open(rj)), json.load(open(raj))
s = j["summary"]
print("## Incident report (bench/report.sh)\n")
print(f"{date}; {ver}; the bench corpus ({int(cfiles)} files, {int(cbytes) / 1e9:.2f} GB) backed up, then one file "
      f"in ten encrypted and renamed .locked and a ransom note dropped into every directory "
      f"(tests/detect/attack.sh full-rename --notes), backed up again; `holdfast report` writes the HTML and the "
      f"JSON. Medians of {runs} runs; peak RSS is the largest of them.\n")
print(f"The attack: {s['files_encrypted']} files encrypted ({s['bytes_encrypted'] / 1e6:.0f} MB), "
      f"{s['ransom_notes']} ransom notes, {len(s['directories_hit'])} directories hit; personal data read in "
      f"{j['personal_data']['files_read']} files ({ja['personal_data']['files_read']} with --all).\n")
print("| step | wall s | peak RSS MiB | relative to the backup after the attack | exit status |")
print("|---|---|---|---|---|")
base = med['backup-attack'][0]
for k, label in (('backup-first', 'first backup'), ('backup-attack', 'backup after the attack'),
                 ('report', 'report (HTML + JSON)'), ('report-all', 'report --all')):
    w, r, c = med[k]
    print(f"| {label} | {w:.1f} | {r / 1024:.0f} | {w / base:.2f}x | {', '.join(map(str, sorted(c)))} |")
print()
PY
python3 "$here/benchlib.py" section "$OUT" "$section"
log "wrote the Incident report section of $OUT"
