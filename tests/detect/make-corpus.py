#!/usr/bin/python3
"""make-corpus.py OUTDIR — writes the benign test corpus for ransomware detection.

About 120 real files, ~24 MB, in several directories: office documents made by
python3-docx / openpyxl / odfpy, PDFs from reportlab (plus a PDF shipped under
/usr/share/doc when there is one), JPEG/PNG from PIL, a WAV, two MP3s (lame), zip/tar/tar.gz/xz/zst/
bz2/7z archives, an SQLite database, an mbox and a Maildir (two messages with base64
attachments), C and Python source copied from the system, CSV, JSON, XML, HTML and
plain text. Sizes go from a few bytes to > 8 MiB (an 8.5 MiB CSV and a ~9 MiB PDF of
photos), so that the large-file paths of the detector are exercised too.

Content is deterministic (fixed seeds, fixed dates in the documents); the only
inputs taken from the system are a few text files (licences, headers, Python
sources) and, if present, one shipped PDF. OUTDIR must not exist yet.
Needs: python3-docx python3-openpyxl python3-odf python3-reportlab python3-pil,
and the tools gzip xz zstd bzip2 tar 7z lame.
"""

import datetime
import gzip
import io
import json
import mailbox
import math
import os
import random
import shutil
import sqlite3
import struct
import subprocess
import sys
import tarfile
import wave
import zipfile
from email.message import EmailMessage
from email.utils import format_datetime

from PIL import Image, ImageDraw, ImageFilter

OUT = sys.argv[1] if len(sys.argv) > 1 else None
if not OUT:
    sys.exit("usage: make-corpus.py OUTDIR")
if os.path.exists(OUT):
    sys.exit("make-corpus.py: %s exists" % OUT)

R = random.Random(20261126)
FIXED = datetime.datetime(2024, 5, 17, 9, 30, 0)
os.environ["SOURCE_DATE_EPOCH"] = "1715938200"

SYL = ("ka ro mi ne ta lu so ve pa di an el or is um qua ter bri sta con pro vin "
       "dor mal sen tor gra pli cus fen lor bar tem ris nol dex ").split()
WORDS = ["".join(R.choice(SYL) for _ in range(R.randint(1, 3))) for _ in range(3000)]
NAMES = ["Alice Martin", "Bruno Keller", "Chloe Dubois", "David Novak", "Eva Lindqvist",
         "Farid Haddad", "Greta Olsen", "Hugo Moreau", "Ines Costa", "Jonas Weber"]


def words(n):
    return " ".join(R.choice(WORDS) for _ in range(n))


def sentence():
    s = words(R.randint(6, 18))
    return s[0].upper() + s[1:] + R.choice([".", ".", ".", "?", "!"])


def paragraph(n=None):
    return " ".join(sentence() for _ in range(n or R.randint(3, 8)))


def path(*parts):
    p = os.path.join(OUT, *parts)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    return p


def write(rel, data):
    with open(path(rel), "wb") as f:
        f.write(data.encode() if isinstance(data, str) else data)


def copy_if(src, rel):
    if os.path.isfile(src):
        shutil.copyfile(src, path(rel))
        return True
    return False


def run(*cmd, cwd=None):
    subprocess.run(cmd, check=True, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


# ---------------------------------------------------------------- images


def noise(rr, w, h, sigma):
    """Gaussian-looking grey noise from a seeded generator (PIL's effect_noise uses C rand(),
    which lxml reseeds from the clock)."""
    img = Image.frombytes("L", (w, h), rr.randbytes(w * h))
    return img.point(lambda v: max(0, min(255, 128 + int((v - 127.5) * sigma / 73.6))))


def photo(w, h, seed):
    """A photo-like picture: blurred coloured noise, a gradient sky, some shapes."""
    rr = random.Random(seed)
    bw, bh = max(1, w // 4), max(1, h // 4)
    chans = [noise(rr, bw, bh, 64).resize((w, h), Image.BICUBIC).filter(ImageFilter.GaussianBlur(2)) for _ in range(2)]
    top = tuple(rr.randint(60, 200) for _ in range(3))
    bottom = tuple(rr.randint(20, 120) for _ in range(3))
    grad = Image.linear_gradient("L").resize((w, h))
    sky = Image.composite(Image.new("RGB", (w, h), bottom), Image.new("RGB", (w, h), top), grad)
    img = Image.blend(sky, Image.merge("RGB", (chans[0], chans[1], chans[0])), 0.35)
    d = ImageDraw.Draw(img)
    for _ in range(rr.randint(4, 12)):
        x, y = rr.randint(0, w), rr.randint(0, h)
        r = rr.randint(w // 40, w // 6)
        d.ellipse((x - r, y - r, x + r, y + r), fill=tuple(rr.randint(0, 255) for _ in range(3)))
    fine = noise(rr, w, h, 18).convert("RGB")
    return Image.blend(img.filter(ImageFilter.GaussianBlur(1.2)), fine, 0.12)


def diagram(w, h, seed):
    rr = random.Random(seed)
    img = Image.new("RGB", (w, h), "white")
    d = ImageDraw.Draw(img)
    for i in range(rr.randint(5, 15)):
        x0, y0 = rr.randint(0, max(0, w - 60)), rr.randint(0, max(0, h - 40))
        d.rectangle((x0, y0, x0 + rr.randint(40, 160), y0 + rr.randint(20, 80)),
                    outline="black", fill=tuple(rr.randint(150, 255) for _ in range(3)))
        d.text((x0 + 4, y0 + 4), rr.choice(WORDS), fill="black")
    for _ in range(10):
        d.line((rr.randint(0, w), rr.randint(0, h), rr.randint(0, w), rr.randint(0, h)), fill="blue", width=2)
    return img


def jpeg_bytes(img, q=88):
    b = io.BytesIO()
    img.save(b, "JPEG", quality=q, optimize=True)
    return b.getvalue()


def png_bytes(img):
    b = io.BytesIO()
    img.save(b, "PNG", optimize=False)
    return b.getvalue()


for i, (w, h) in enumerate([(640, 480), (800, 600), (1024, 768), (480, 640), (1280, 960),
                            (1600, 1200), (320, 240), (96, 96), (2048, 1536), (720, 540)]):
    write("photos/IMG_%04d.jpg" % (1000 + i * 7), jpeg_bytes(photo(w, h, 100 + i), R.choice([80, 85, 90, 92])))
for i, (w, h) in enumerate([(400, 300), (800, 500), (64, 64), (1200, 800)]):
    write("photos/diagram-%d.png" % i, png_bytes(diagram(w, h, 200 + i)))
write("photos/screenshot.png", png_bytes(photo(900, 700, 300)))
write("photos/icon-16.png", png_bytes(diagram(16, 16, 301)))
write("photos/2023/holiday_01.jpg", jpeg_bytes(photo(1024, 683, 400)))
write("photos/2023/holiday_02.jpg", jpeg_bytes(photo(683, 1024, 401)))
write("photos/2023/thumb.jpg", jpeg_bytes(photo(120, 90, 402), 75))

# ---------------------------------------------------------------- office documents
import docx  # noqa: E402
from docx.shared import Inches  # noqa: E402
import openpyxl  # noqa: E402
from odf.opendocument import OpenDocumentText, OpenDocumentSpreadsheet  # noqa: E402
from odf.style import Style, TextProperties  # noqa: E402
from odf.table import Table, TableColumn, TableRow, TableCell  # noqa: E402
from odf.text import H, P  # noqa: E402

pic = path("docs/.pic.jpg")
with open(pic, "wb") as f:
    f.write(jpeg_bytes(photo(400, 300, 500), 80))

for i, name in enumerate(["report-q1", "meeting-minutes", "contract-draft", "letter", "proposal", "thesis-ch1"]):
    d = docx.Document()
    d.core_properties.author = NAMES[i]
    d.core_properties.created = FIXED
    d.core_properties.modified = FIXED
    d.core_properties.title = name
    d.add_heading(words(4).title(), 0)
    for k in range(R.randint(3, 25 if i != 5 else 120)):
        if k % 7 == 3:
            d.add_heading(words(3).title(), level=1)
        d.add_paragraph(paragraph())
    if i in (0, 4):
        t = d.add_table(rows=6, cols=4)
        for r_ in t.rows:
            for c in r_.cells:
                c.text = str(R.randint(0, 99999))
    if i in (1, 4):
        d.add_picture(pic, width=Inches(3))
    d.save(path("docs/%s.docx" % name))

for i, name in enumerate(["budget-2024", "inventory", "timesheet"]):
    wb = openpyxl.Workbook()
    wb.properties.created = FIXED
    wb.properties.modified = FIXED
    ws = wb.active
    ws.title = "Sheet1"
    ws.append(["id", "item", "qty", "price", "total"])
    n = [60, 1500, 200][i]
    for r_ in range(2, n + 2):
        ws.append([r_ - 1, words(2), R.randint(1, 500), round(R.uniform(0.5, 900), 2), "=C%d*D%d" % (r_, r_)])
    if i == 1:
        ws2 = wb.create_sheet("notes")
        for _ in range(30):
            ws2.append([sentence()])
    wb.save(path("docs/%s.xlsx" % name))

for i, name in enumerate(["minutes-board", "handbook", "readme-odt"]):
    doc = OpenDocumentText()
    bold = Style(name="B", family="text")
    bold.addElement(TextProperties(fontweight="bold"))
    doc.automaticstyles.addElement(bold)
    doc.text.addElement(H(outlinelevel=1, text=words(4).title()))
    for _ in range(R.randint(5, 60)):
        doc.text.addElement(P(text=paragraph()))
    doc.save(path("docs/%s.odt" % name))

for i, name in enumerate(["planning", "measurements"]):
    doc = OpenDocumentSpreadsheet()
    t = Table(name="Sheet1")
    t.addElement(TableColumn(numbercolumnsrepeated=4))
    for r_ in range([80, 600][i]):
        tr = TableRow()
        for c in range(4):
            v = R.uniform(0, 1000)
            cell = TableCell(valuetype="float", value=str(round(v, 3)))
            cell.addElement(P(text=str(round(v, 3))))
            tr.addElement(cell)
        t.addElement(tr)
    doc.spreadsheet.addElement(t)
    doc.save(path("docs/%s.ods" % name))
os.unlink(pic)

# ---------------------------------------------------------------- PDFs
from reportlab.lib.pagesizes import A4  # noqa: E402
from reportlab.lib.styles import getSampleStyleSheet  # noqa: E402
from reportlab.lib.units import cm  # noqa: E402
from reportlab.pdfgen import canvas  # noqa: E402
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table as RTable  # noqa: E402

styles = getSampleStyleSheet()


def text_pdf(rel, npara, with_table=False, compress=1):
    story = [Paragraph(words(5).title(), styles["Title"])]
    for k in range(npara):
        if k % 9 == 4:
            story.append(Paragraph(words(3).title(), styles["Heading2"]))
        story.append(Paragraph(paragraph(), styles["BodyText"]))
        story.append(Spacer(1, 6))
    if with_table:
        story.append(RTable([[str(R.randint(0, 9999)) for _ in range(5)] for _ in range(20)]))
    doc = SimpleDocTemplate(path(rel), pagesize=A4, invariant=1, pageCompression=compress,
                            title=rel, author="holdfast tests")
    doc.build(story)


text_pdf("docs/invoice-2024-031.pdf", 3, with_table=True)
text_pdf("docs/whitepaper.pdf", 60)
text_pdf("reports/annual-report.pdf", 140, with_table=True)
text_pdf("reports/summary-uncompressed.pdf", 12, compress=0)
copy_if("/usr/share/doc/shared-mime-info/shared-mime-info-spec.pdf", "reports/shared-mime-info-spec.pdf") or \
    text_pdf("reports/spec.pdf", 40)

# a scan-like PDF with a picture per page (images by relative name: reportlab names them by a
# digest of the name)
os.chdir(OUT)
c = canvas.Canvas(path("reports/scanned-letter.pdf"), pagesize=A4, invariant=1)
for k in range(2):
    tmp = path("reports/.scan%d.jpg" % k)
    with open(tmp, "wb") as f:
        f.write(jpeg_bytes(photo(800, 1100, 600 + k), 70))
    c.drawImage(os.path.relpath(tmp, OUT), 1 * cm, 1 * cm, width=19 * cm, height=27 * cm)
    c.showPage()
c.save()

# large: > 8 MiB, a photo album (the JPEGs are embedded as they are)
c = canvas.Canvas(path("reports/photo-album-large.pdf"), pagesize=A4, invariant=1)
c.setTitle("photo album")
k = 0
while True:
    tmp = path("reports/.scan%d.jpg" % k)
    with open(tmp, "wb") as f:
        f.write(jpeg_bytes(photo(1800, 1350, 700 + k), 92))
    c.drawImage(os.path.relpath(tmp, OUT), 1 * cm, 8 * cm, width=19 * cm, height=14.25 * cm)
    c.drawString(2 * cm, 4 * cm, sentence())
    c.showPage()
    k += 1
    if sum(os.path.getsize(path("reports/.scan%d.jpg" % j)) for j in range(k)) > 7 * 1048576:
        break
c.save()
for j in range(k):
    os.unlink(path("reports/.scan%d.jpg" % j))
for j in range(2):
    if os.path.exists(path("reports/.scan%d.jpg" % j)):
        os.unlink(path("reports/.scan%d.jpg" % j))

# ---------------------------------------------------------------- data: CSV, JSON, XML, SQLite
for i, (name, rows) in enumerate([("customers", 400), ("sensor-log", 3000), ("prices", 50), ("tiny", 3)]):
    lines = ["id,name,city,amount,date"]
    for r_ in range(rows):
        lines.append("%d,%s,%s,%.2f,2024-%02d-%02d" % (r_, R.choice(NAMES), R.choice(WORDS).title(),
                                                       R.uniform(0, 1e4), R.randint(1, 12), R.randint(1, 28)))
    write("data/%s.csv" % name, "\n".join(lines) + "\n")

# large: > 8 MiB of CSV
with open(path("data/transactions-large.csv"), "w") as f:
    f.write("txid,timestamp,account,counterparty,amount,currency,memo\n")
    n = 0
    t0 = 1704067200
    while f.tell() < 8.5 * 1048576:
        f.write("%08d,%d,%s-%04d,%s,%.2f,%s,%s\n" % (n, t0 + n * 37, R.choice(WORDS).upper()[:4], R.randint(0, 9999),
                                                       R.choice(NAMES), R.uniform(-5000, 5000),
                                                       R.choice(["EUR", "USD", "GBP", "CHF"]), words(R.randint(1, 4))))
        n += 1

write("data/config.json", json.dumps({"version": 3, "servers": [{"host": "srv%d.example.org" % i, "port": 8000 + i,
                                      "tags": [R.choice(WORDS) for _ in range(3)]} for i in range(40)]}, indent=2))
write("data/catalog.xml", "<?xml version=\"1.0\"?>\n<catalog>\n" + "".join(
    "  <item id=\"%d\"><name>%s</name><desc>%s</desc></item>\n" % (i, words(2), sentence()) for i in range(300))
    + "</catalog>\n")

db = sqlite3.connect(path("data/app.sqlite"))
db.execute("CREATE TABLE users(id INTEGER PRIMARY KEY, name TEXT, email TEXT, created INTEGER)")
db.execute("CREATE TABLE orders(id INTEGER PRIMARY KEY, user INTEGER, item TEXT, qty INTEGER, note TEXT)")
db.execute("CREATE INDEX orders_user ON orders(user)")
db.executemany("INSERT INTO users VALUES(?,?,?,?)",
               [(i, R.choice(NAMES), "u%d@example.org" % i, 1700000000 + i * 60) for i in range(1500)])
db.executemany("INSERT INTO orders VALUES(?,?,?,?,?)",
               [(i, R.randint(0, 1499), words(2), R.randint(1, 9), sentence()) for i in range(5000)])
db.commit()
db.close()

# ---------------------------------------------------------------- mail
def message(i, attach=None):
    m = EmailMessage()
    m["From"] = "%s <%s@example.org>" % (NAMES[i % 10], NAMES[i % 10].split()[0].lower())
    m["To"] = "team@example.org"
    m["Subject"] = words(R.randint(2, 6)).capitalize()
    m["Date"] = format_datetime(FIXED + datetime.timedelta(hours=i * 5, minutes=i))
    m["Message-ID"] = "<%d.%d@example.org>" % (i, 1715938200 + i)
    m.set_content("\n\n".join(paragraph() for _ in range(R.randint(1, 5))) + "\n\n-- \n" + NAMES[i % 10] + "\n")
    if attach:
        data, maintype, subtype, fname = attach
        m.add_attachment(data, maintype=maintype, subtype=subtype, filename=fname)
        m.set_boundary("=_part_%d_boundary" % i)
    return m


mb = mailbox.mbox(path("mail/archive.mbox"))
for i in range(40):
    mm = mailbox.mboxMessage(message(i))
    mm.set_from("MAILER-DAEMON", (FIXED + datetime.timedelta(hours=i * 5)).timetuple())
    mb.add(mm)
mb.flush()
mb.close()
md = mailbox.Maildir(path("mail/Maildir"), create=True)
with open(path("docs/invoice-2024-031.pdf"), "rb") as f:
    inv = f.read()
for i in range(18):
    att = None
    if i == 4:
        att = (inv, "application", "pdf", "invoice.pdf")
    elif i == 11:
        att = (jpeg_bytes(photo(480, 360, 800), 82), "image", "jpeg", "photo.jpg")
    msg = mailbox.MaildirMessage(message(100 + i, att))
    msg.set_subdir("cur" if i < 14 else "new")
    if i < 14:
        msg.set_flags("S")
    md.add(msg)
# Maildir names carry the time, host and pid: rename them deterministically
j = 0
for sub in ("cur", "new"):
    d = os.path.dirname(path("mail/Maildir", sub, "x"))
    for n in sorted(os.listdir(d)):
        info = n.split(":", 1)[1] if ":" in n else None
        os.rename(os.path.join(d, n), os.path.join(d, "1715938%03d.M%dP100.mailhost" % (j, j) + (":" + info if info else "")))
        j += 1

# ---------------------------------------------------------------- source code
pysrc = ["/usr/lib/python3.11/%s.py" % m for m in ("textwrap", "shlex", "csv", "fnmatch", "bisect", "heapq",
                                                   "calendar", "argparse", "difflib", "glob", "colorsys")]
n = 0
for p in pysrc:
    if copy_if(p, "src/py/%s" % os.path.basename(p)):
        n += 1
csrc = ["/usr/include/%s" % h for h in ("stdio.h", "string.h", "stdlib.h", "unistd.h", "fcntl.h", "zlib.h", "sqlite3.h")]
for p in csrc:
    copy_if(p, "src/include/%s" % os.path.basename(p))


def c_file(i):
    out = ["/* module%d.c — generated test source */" % i, "#include <stdio.h>", "#include <stdlib.h>", ""]
    for f in range(R.randint(4, 25)):
        name = "%s_%d" % (R.choice(WORDS), f)
        out += ["static int %s(int a, int b)" % name, "{", "\tint r = a;",
                "\tfor (int i = 0; i < b; i++)", "\t\tr = r * %d + i;" % R.randint(2, 97),
                "\t/* %s */" % sentence(), "\treturn r ^ %d;" % R.randint(0, 65535), "}", ""]
    out += ["int main(void)", "{", "\tprintf(\"%d\\n\", 0);", "\treturn 0;", "}", ""]
    return "\n".join(out)


for i in range(6):
    write("src/proj/module%d.c" % i, c_file(i))
write("src/proj/Makefile", "CFLAGS = -O2 -Wall\nOBJ = " + " ".join("module%d.o" % i for i in range(6))
      + "\nall: $(OBJ)\nclean:\n\trm -f $(OBJ)\n")
write("src/proj/README.md", "# proj\n\n" + paragraph() + "\n\n## Build\n\n    make\n")
write("src/proj/.gitignore", "*.o\n*.a\nbuild/\n")
write("src/tool.py", "#!/usr/bin/env python3\n\"\"\"%s\"\"\"\nimport sys\n\n" % sentence() + "\n".join(
    "def f%d(x):\n    return x * %d + %d\n" % (i, R.randint(1, 99), R.randint(0, 99)) for i in range(40))
    + "\nif __name__ == '__main__':\n    print(f0(int(sys.argv[1])))\n")

# ---------------------------------------------------------------- plain text
for lic in ("GPL-3", "Apache-2.0", "LGPL-2.1", "MPL-2.0"):
    copy_if("/usr/share/common-licenses/" + lic, "home/licenses/%s.txt" % lic)
write("home/notes.txt", "\n".join(sentence() for _ in range(40)) + "\n")
write("home/todo.md", "# TODO\n\n" + "\n".join("- [ ] " + sentence() for _ in range(15)) + "\n")
write("home/short.txt", "call back tomorrow\n")
write("home/empty.txt", "")
write("home/shopping-list.txt", "\n".join(R.choice(WORDS) for _ in range(12)) + "\n")
write("home/journal/2024-01.txt", "\n\n".join(paragraph() for _ in range(30)) + "\n")
write("home/journal/2024-02.txt", "\n\n".join(paragraph() for _ in range(25)) + "\n")
write("home/journal/2024-03.txt", "\n\n".join(paragraph() for _ in range(3)) + "\n")
write("home/page.html", "<!DOCTYPE html>\n<html><head><title>%s</title></head><body>\n" % words(3)
      + "".join("<p>%s</p>\n" % paragraph() for _ in range(20)) + "</body></html>\n")
write("home/unicode.txt", "Grüße aus Köln — naïve café, 東京, Ελληνικά, emoji 🎉\n" * 40)
log = []
for i in range(2500):
    log.append("2024-05-%02d %02d:%02d:%02d srv%d app[%d]: %s" % (1 + i // 100, i % 24, i % 60, (i * 7) % 60,
                                                                   i % 4, 1000 + i % 50, sentence()))
write("home/logs/app.log", "\n".join(log) + "\n")

# a WAV: two mixed tones (real PCM, libmagic knows it, no validator)
with wave.open(path("home/media/tone.wav"), "wb") as w:
    w.setnchannels(1)
    w.setsampwidth(2)
    w.setframerate(22050)
    w.writeframes(b"".join(struct.pack("<h", int(9000 * math.sin(i * 0.0627) + 4000 * math.sin(i * 0.171)
                                                + R.randint(-300, 300))) for i in range(22050 * 4)))

# MP3s made by LAME from generated audio (kept outside the corpus): a tagged CBR stereo
# song, an untagged mono VBR voice memo, each with LAME's Info/Xing tag and music CRC
def tones(fn, channels, rate, seconds, seed):
    rr = random.Random(seed)
    frames = []
    for i in range(rate * seconds):
        a = int(7000 * math.sin(i * 0.05 + 0.3 * math.sin(i * 0.0007)) + rr.randint(-1500, 1500))
        frames.append(struct.pack("<h", a) if channels == 1 else
                      struct.pack("<hh", a, int(5000 * math.sin(i * 0.031)) + rr.randint(-1500, 1500)))
    with wave.open(fn, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(b"".join(frames))


os.makedirs(OUT + ".wav", exist_ok=True)
tones(OUT + ".wav/song.wav", 2, 44100, 20, 41)
tones(OUT + ".wav/memo.wav", 1, 22050, 30, 42)
run("lame", "--quiet", "-b", "160", "--add-id3v2", "--tt", "Evening Tones", "--ta", "Corpus Band", "--ty", "2024",
    OUT + ".wav/song.wav", path("home/media/song.mp3"))
run("lame", "--quiet", "-V", "5", OUT + ".wav/memo.wav", path("home/media/voice-memo.mp3"))
shutil.rmtree(OUT + ".wav")

# ---------------------------------------------------------------- archives (made with the real tools)
with zipfile.ZipFile(path("archive/photos-2022.zip"), "w", zipfile.ZIP_DEFLATED) as z:
    for i in range(4):
        zi = zipfile.ZipInfo("photos-2022/p%d.jpg" % i, date_time=(2022, 7, 1, 12, 0, 0))
        z.writestr(zi, jpeg_bytes(photo(800, 600, 900 + i)))
    zi = zipfile.ZipInfo("photos-2022/list.txt", date_time=(2022, 7, 1, 12, 0, 0))
    zi.compress_type = zipfile.ZIP_DEFLATED
    z.writestr(zi, "\n".join(words(3) for _ in range(50)))
with zipfile.ZipFile(path("archive/docs-backup.zip"), "w", zipfile.ZIP_DEFLATED) as z:
    for fn in sorted(os.listdir(path("home/journal/x").rsplit("/", 1)[0])):
        zi = zipfile.ZipInfo("journal/" + fn, date_time=(2024, 4, 1, 0, 0, 0))
        zi.compress_type = zipfile.ZIP_DEFLATED
        with open(path("home/journal", fn), "rb") as f:
            z.writestr(zi, f.read())


def tar_of(rel, srcdir, mode):
    def norm(ti):
        ti.mtime = 1715938200
        ti.uid = ti.gid = 1000
        ti.uname = ti.gname = "user"
        return ti
    raw = open(path(rel), "wb")
    fobj = gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) if mode == "w:gz" else raw
    with tarfile.open(fileobj=fobj, mode="w" if mode == "w:gz" else mode, format=tarfile.GNU_FORMAT) as t:
        for name in sorted(os.listdir(os.path.join(OUT, srcdir))):
            t.add(os.path.join(OUT, srcdir, name), arcname=os.path.join(os.path.basename(srcdir), name), filter=norm)
    if fobj is not raw:
        fobj.close()
    raw.close()


tar_of("archive/proj-src.tar.gz", "src/proj", "w:gz")
tar_of("archive/licenses.tar.xz", "home/licenses", "w:xz")
tar_of("archive/journal.tar", "home/journal", "w")
tar_of("archive/mail-old.tar.bz2", "mail/Maildir", "w:bz2")
shutil.copyfile(path("data/sensor-log.csv"), path("archive/sensor-2023.csv"))
run("zstd", "-q", "-19", "--rm", path("archive/sensor-2023.csv"))
shutil.copyfile(path("home/logs/app.log"), path("archive/app-2023.log"))
run("xz", "-6", path("archive/app-2023.log"))
shutil.copyfile(path("data/customers.csv"), path("archive/customers-2022.csv"))
run("gzip", "-n", "-9", path("archive/customers-2022.csv"))
# 7z (no password), fixed file times so the output is stable
sev = path("archive/.7zsrc/notes.txt")
shutil.copyfile(path("home/notes.txt"), sev)
shutil.copyfile(path("data/catalog.xml"), path("archive/.7zsrc/catalog.xml"))
for f in os.listdir(os.path.dirname(sev)):
    os.utime(os.path.join(os.path.dirname(sev), f), (1715938200, 1715938200))
run("7z", "a", "-bd", "-mx=5", path("archive/misc.7z"), "notes.txt", "catalog.xml", cwd=os.path.dirname(sev))
shutil.rmtree(os.path.dirname(sev))

# zip-based office files carry the time of writing in their entries: fix it, keep order,
# names and compression as they are
def fix_zip_times(p):
    with zipfile.ZipFile(p) as z:
        items = [(zi, z.read(zi)) for zi in z.infolist()]
    with zipfile.ZipFile(p + ".tmp", "w") as z:
        for zi, data in items:
            nzi = zipfile.ZipInfo(zi.filename, date_time=(2024, 5, 17, 9, 30, 0))
            nzi.compress_type = zi.compress_type
            nzi.external_attr = zi.external_attr
            z.writestr(nzi, data)
    os.replace(p + ".tmp", p)


for fn in sorted(os.listdir(path("docs/x").rsplit("/", 1)[0])):
    if fn.rsplit(".", 1)[-1] in ("docx", "xlsx", "odt", "ods"):
        fix_zip_times(path("docs", fn))

# fixed mtimes (in the past): the attack and churn scripts then always change them
for root, dirs, files in os.walk(OUT):
    for fn in files + dirs:
        os.utime(os.path.join(root, fn), (1715938200, 1715938200), follow_symlinks=False)

nfiles = sum(len(f) for _, _, f in os.walk(OUT))
size = sum(os.path.getsize(os.path.join(r, f)) for r, _, fs in os.walk(OUT) for f in fs)
print("corpus: %d files, %.1f MB in %s" % (nfiles, size / 1e6, OUT), file=sys.stderr)
