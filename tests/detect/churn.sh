#!/usr/bin/env bash
# tests/detect/churn.sh DIR — benign changes to a copy of the test corpus (made by
# tests/detect/make-corpus.py), the kind a detector must not call encryption. Prints
# what it did in the format of attack.sh (modified/created/deleted, tab-separated,
# absolute paths):
#
#   - edits: text appended, sed over a journal, CSV rows changed, Python source and JSON edited
#   - office re-saves: docx (python-docx), xlsx (openpyxl), odt/ods (odfpy), each with an edit
#   - PDF rewrites: qpdf --object-streams=generate, qpdf --linearize (one of them the large PDF)
#   - image re-encodes: JPEG at quality 70, a JPEG resized, a PNG re-saved optimised,
#     a PNG converted to JPEG (PNG deleted)
#   - compress-and-rename: gzip, xz and zstd of files (originals removed); a line of text
#     appended to a .gz
#   - tar of a folder: src/proj -> src/proj-old.tar.gz, folder removed; home/journal
#     -> archive/journal-2024.tar.xz, folder kept
#   - SQLite: rows deleted, then VACUUM
#   - one file encrypted by its owner with gpg --symmetric, original kept
#   - new files: a photo, a PNG, a zip and a 7z (no password) of documents, a PDF,
#     a docx, a WAV, a zstd'ed CSV; two new mails (mbox append and Maildir)
#   - MP3s: one re-tagged (id3v2), one re-encoded at another bitrate (lame), a smaller copy
#   - renames: photos renamed, a Maildir message moved from new/ to cur/ with flags
#   - deletions: a couple of small files
set -euo pipefail
export LC_ALL=C
[ $# -eq 1 ] || { echo "usage: churn.sh DIR" >&2; exit 2; }
D=$(cd "$1" && pwd)
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
WORK=$(mktemp -d "${TMPDIR:-/tmp}/hf-churn.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
emit() { local IFS=$'\t'; printf '%s\n' "$*"; }
need() { [ -f "$D/$1" ] || { echo "churn.sh: $D/$1 missing (not the test corpus?)" >&2; exit 1; }; }

# ---- plain edits
need home/notes.txt
printf 'Remember: backup test on Friday.\nAnd the quarterly numbers.\n' >>"$D/home/notes.txt"
emit modified "$D/home/notes.txt"
sed -i 's/ka/KA/g; s/ro/RO/' "$D/home/journal/2024-01.txt"
emit modified "$D/home/journal/2024-01.txt"
sed -i '5,40s/,2024-/,2025-/' "$D/data/customers.csv"
printf '9999,New Customer,Springfield,12.50,2025-01-01\n' >>"$D/data/customers.csv"
emit modified "$D/data/customers.csv"
cat >>"$D/src/tool.py" <<'EOF'


def helper_added(x):
    """added: a helper for the new report"""
    return x * 3 + 1
EOF
sed -i 's/^import sys$/import os\nimport sys/' "$D/src/tool.py"
emit modified "$D/src/tool.py"
sed -i 's/"version": 3/"version": 4/' "$D/data/config.json"
emit modified "$D/data/config.json"

# ---- office re-saves (with an edit) and new office files, PDF, images
"$PY" - "$D" <<'EOF'
import io, os, random, sys, wave, struct, math
D = sys.argv[1]
import docx, openpyxl
from odf.opendocument import load
from odf.text import P
from PIL import Image, ImageFilter, ImageDraw

d = docx.Document(os.path.join(D, "docs/report-q1.docx"))
d.add_paragraph("Addendum: figures revised after the audit.")
d.save(os.path.join(D, "docs/report-q1.docx"))
d = docx.Document(os.path.join(D, "docs/proposal.docx"))  # re-save, picture and table kept
d.paragraphs[1].text = d.paragraphs[1].text + " (revised)"
d.save(os.path.join(D, "docs/proposal.docx"))
wb = openpyxl.load_workbook(os.path.join(D, "docs/inventory.xlsx"))
wb.active["C2"] = 12345
wb.active.append([9999, "new item", 1, 2.5, "=C9999*D9999"])
wb.save(os.path.join(D, "docs/inventory.xlsx"))
doc = load(os.path.join(D, "docs/handbook.odt"))
doc.text.addElement(P(text="A new chapter on remote work."))
doc.save(os.path.join(D, "docs/handbook.odt"))
doc = load(os.path.join(D, "docs/planning.ods"))
doc.save(os.path.join(D, "docs/planning.ods"))

nd = docx.Document()
nd.add_heading("Minutes of the June meeting", 0)
for i in range(12):
    nd.add_paragraph("Point %d: the team agreed on the schedule and the budget." % i)
nd.save(os.path.join(D, "docs/minutes-june.docx"))

# images: re-encode, resize, optimise, convert
im = Image.open(os.path.join(D, "photos/IMG_1000.jpg"))
im.save(os.path.join(D, "photos/IMG_1000.jpg"), "JPEG", quality=70)
im = Image.open(os.path.join(D, "photos/2023/holiday_01.jpg"))
im.resize((im.width // 2, im.height // 2)).save(os.path.join(D, "photos/2023/holiday_01.jpg"), "JPEG", quality=85)
im = Image.open(os.path.join(D, "photos/diagram-1.png"))
im.save(os.path.join(D, "photos/diagram-1.png"), "PNG", optimize=True)
im = Image.open(os.path.join(D, "photos/diagram-3.png"))
im.convert("RGB").save(os.path.join(D, "photos/diagram-3.jpg"), "JPEG", quality=90)
os.unlink(os.path.join(D, "photos/diagram-3.png"))

# new media: a photo (blurred seeded noise), a PNG chart, a WAV
rr = random.Random(77)
n = Image.frombytes("L", (300, 200), rr.randbytes(60000)).resize((1200, 800), Image.BICUBIC)
rgb = Image.merge("RGB", (n, n.rotate(180), n.transpose(Image.FLIP_LEFT_RIGHT))).filter(ImageFilter.GaussianBlur(2))
rgb.save(os.path.join(D, "photos/IMG_2001.jpg"), "JPEG", quality=88)
chart = Image.new("RGB", (640, 400), "white")
dr = ImageDraw.Draw(chart)
for i in range(12):
    h = rr.randint(20, 350)
    dr.rectangle((20 + i * 50, 390 - h, 55 + i * 50, 390), fill=(40, 90, 200), outline="black")
chart.save(os.path.join(D, "photos/chart-2025.png"), "PNG")
with wave.open(os.path.join(D, "home/media/voice-memo.wav"), "wb") as w:
    w.setnchannels(1); w.setsampwidth(2); w.setframerate(16000)
    w.writeframes(b"".join(struct.pack("<h", int(6000 * math.sin(i * 0.05) * math.sin(i * 0.0007)))
                           for i in range(16000 * 3)))

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas
c = canvas.Canvas(os.path.join(D, "docs/receipt-2025-007.pdf"), pagesize=A4)
for i in range(30):
    c.drawString(72, 800 - i * 20, "Line %d: item %d, %d.%02d EUR" % (i, rr.randint(1, 999), rr.randint(1, 99), rr.randint(0, 99)))
c.save()
EOF
for f in docs/report-q1.docx docs/proposal.docx docs/inventory.xlsx docs/handbook.odt docs/planning.ods \
	photos/IMG_1000.jpg photos/2023/holiday_01.jpg photos/diagram-1.png; do
	emit modified "$D/$f"
done
emit created "$D/photos/diagram-3.jpg" "$D/photos/diagram-3.png"
emit deleted "$D/photos/diagram-3.png"
for f in docs/minutes-june.docx photos/IMG_2001.jpg photos/chart-2025.png home/media/voice-memo.wav \
	docs/receipt-2025-007.pdf; do
	emit created "$D/$f"
done

# ---- PDF rewrites
qpdf --object-streams=generate "$D/docs/whitepaper.pdf" "$WORK/w.pdf" && cat "$WORK/w.pdf" >"$D/docs/whitepaper.pdf"
emit modified "$D/docs/whitepaper.pdf"
qpdf --linearize "$D/reports/photo-album-large.pdf" "$WORK/a.pdf" && mv "$WORK/a.pdf" "$D/reports/photo-album-large.pdf"
emit modified "$D/reports/photo-album-large.pdf"

# ---- compress-and-rename (originals removed)
gzip -9 "$D/home/logs/app.log"
emit created "$D/home/logs/app.log.gz" "$D/home/logs/app.log"
emit deleted "$D/home/logs/app.log"
xz -6 "$D/data/sensor-log.csv"
emit created "$D/data/sensor-log.csv.xz" "$D/data/sensor-log.csv"
emit deleted "$D/data/sensor-log.csv"
zstd -q --rm -9 "$D/src/include/sqlite3.h"
emit created "$D/src/include/sqlite3.h.zst" "$D/src/include/sqlite3.h"
emit deleted "$D/src/include/sqlite3.h"

# a line appended to a compressed file (its members stay whole; gzip -d ignores the line)
need archive/customers-2022.csv.gz
echo "# checked $(date -u +%F)" >>"$D/archive/customers-2022.csv.gz"
emit modified "$D/archive/customers-2022.csv.gz"

# ---- tar of a folder: archived and removed; another archived and kept
(cd "$D/src" && tar czf proj-old.tar.gz proj)
for f in $(cd "$D/src/proj" && find . -type f -printf '%P\n' | sort); do emit deleted "$D/src/proj/$f"; done
rm -rf "$D/src/proj"
emit created "$D/src/proj-old.tar.gz"
(cd "$D/home" && tar cJf "$D/archive/journal-2024.tar.xz" journal)
emit created "$D/archive/journal-2024.tar.xz"

# ---- SQLite: delete rows, VACUUM
"$PY" -c '
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("DELETE FROM orders WHERE id % 3 = 0")
db.execute("UPDATE users SET email = lower(name) || \"@example.com\" WHERE id < 200")
db.commit()
db.execute("VACUUM")
db.close()' "$D/data/app.sqlite"
emit modified "$D/data/app.sqlite"

# ---- the owner encrypts one file with gpg (original kept)
export GNUPGHOME=$WORK/gnupg
mkdir -m 700 "$GNUPGHOME"
trap 'gpgconf --kill all 2>/dev/null; rm -rf "$WORK"' EXIT
gpg --batch --quiet --yes --pinentry-mode loopback --passphrase 'owner secret' --symmetric \
	--cipher-algo AES256 -o "$D/docs/contract-draft.docx.gpg" "$D/docs/contract-draft.docx"
emit created "$D/docs/contract-draft.docx.gpg"

# ---- new archives of documents (zip, 7z without password), a zstd'ed CSV
(cd "$D/docs" && zip -q -9 "$D/archive/docs-2025.zip" letter.docx thesis-ch1.docx timesheet.xlsx minutes-board.odt)
emit created "$D/archive/docs-2025.zip"
(cd "$D/photos" && 7z a -bd -bso0 -bsp0 "$D/archive/photos-2024.7z" IMG_1007.jpg IMG_1014.jpg >/dev/null)
emit created "$D/archive/photos-2024.7z"
zstd -q -3 -o "$D/archive/prices-2025.csv.zst" "$D/data/prices.csv"
emit created "$D/archive/prices-2025.csv.zst"

# ---- mail: one appended to the mbox, one delivered, one read (new/ -> cur/)
"$PY" - "$D" <<'EOF'
import mailbox, os, sys
from email.message import EmailMessage
D = sys.argv[1]
def msg(subject):
    m = EmailMessage()
    m["From"] = "Greta Olsen <greta@example.org>"
    m["To"] = "team@example.org"
    m["Subject"] = subject
    m["Date"] = "Mon, 02 Jun 2025 10:00:00 +0000"
    m["Message-ID"] = "<churn-%d@example.org>" % len(subject)
    m.set_content("Hello all,\n\nthe new schedule is attached in the wiki.\n\nGreta\n")
    return m
mb = mailbox.mbox(os.path.join(D, "mail/archive.mbox"))
mb.add(msg("Schedule for June"))
mb.flush(); mb.close()
with open(os.path.join(D, "mail/Maildir/new/1749000000.M1P200.mailhost"), "w") as f:
    f.write(msg("Re: schedule").as_string())
EOF
emit modified "$D/mail/archive.mbox"
emit created "$D/mail/Maildir/new/1749000000.M1P200.mailhost"
src=$(cd "$D/mail/Maildir/new" && ls | sort | head -n 1)
mv "$D/mail/Maildir/new/$src" "$D/mail/Maildir/cur/$src:2,S"
emit created "$D/mail/Maildir/cur/$src:2,S" "$D/mail/Maildir/new/$src"
emit deleted "$D/mail/Maildir/new/$src"

# ---- MP3s: re-tagged (id3v2 rewrites the ID3v2 tag, the audio moves), re-encoded at
# another bitrate (lame), a copy trimmed by re-encoding a part of it as a new file
if [ -f "$D/home/media/song.mp3" ]; then
	id3v2 --artist "Corpus Band (live)" --album "Evenings" --track 3 "$D/home/media/song.mp3" >/dev/null
	emit modified "$D/home/media/song.mp3"
	lame --quiet --mp3input -b 96 "$D/home/media/voice-memo.mp3" "$WORK/memo.mp3"
	cat "$WORK/memo.mp3" >"$D/home/media/voice-memo.mp3"
	emit modified "$D/home/media/voice-memo.mp3"
	lame --quiet --mp3input -V 7 "$D/home/media/song.mp3" "$D/home/media/song-small.mp3"
	emit created "$D/home/media/song-small.mp3"
fi

# ---- renames and deletions
mv "$D/photos/IMG_1042.jpg" "$D/photos/beach-sunset.jpg"
emit created "$D/photos/beach-sunset.jpg" "$D/photos/IMG_1042.jpg"
emit deleted "$D/photos/IMG_1042.jpg"
mv "$D/docs/letter.docx" "$D/docs/letter-to-bank.docx"
emit created "$D/docs/letter-to-bank.docx" "$D/docs/letter.docx"
emit deleted "$D/docs/letter.docx"
rm "$D/home/short.txt" "$D/data/tiny.csv"
emit deleted "$D/home/short.txt"
emit deleted "$D/data/tiny.csv"
