#!/usr/bin/python3
"""tests/fuzz/detect-seeds.py DIR — seeds for fuzz_detect: small real files of each
type the validators know, each prefixed by the byte fuzz_detect reads as the type
(enum hf_ctype in lib/detect/detect.h). Made with Python's own libraries and Debian's
tools (gzip, xz, zstd, bzip2, qpdf, gpg, age), so every seed is what those write."""
import io, os, sqlite3, subprocess, sys, tempfile, zipfile

TEXT, PDF, ZIP, OOXML, ODF, JPEG, PNG, GZIP, XZ, ZSTD, BZIP2, SQLITE, OPENPGP, AGE, SEVENZ = \
    1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
body = b"holdfast fuzz seed: a few lines of plain text.\n" * 8

def put(name, t, data):
    with open(os.path.join(out, name), "wb") as f:
        f.write(bytes([t]) + data)

def run(cmd, data):
    return subprocess.run(cmd, input=data, stdout=subprocess.PIPE, check=True).stdout

put("text", TEXT, body)
for name, t, cmd in (("gzip", GZIP, ["gzip", "-c"]), ("xz", XZ, ["xz", "-c"]),
                     ("zstd", ZSTD, ["zstd", "-c", "-q"]), ("bzip2", BZIP2, ["bzip2", "-c"])):
    put(name, t, run(cmd, body))

def zipped(entries, **kw):
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w", zipfile.ZIP_DEFLATED) as z:
        for n, d in entries:
            z.writestr(n, d)
    return b.getvalue()

put("zip", ZIP, zipped([("a.txt", body), ("b.txt", body[:40])]))
put("docx", OOXML, zipped([("[Content_Types].xml", b"<Types/>"), ("word/document.xml", b"<w:document/>")]))
put("odt", ODF, zipped([("mimetype", b"application/vnd.oasis.opendocument.text"), ("content.xml", b"<office/>")]))

with tempfile.TemporaryDirectory() as d:
    db = os.path.join(d, "s.db")
    c = sqlite3.connect(db)
    c.execute("create table t (a, b)")
    c.executemany("insert into t values (?, ?)", [(i, "row %d" % i) for i in range(20)])
    c.commit()
    c.close()
    put("sqlite", SQLITE, open(db, "rb").read())
    try:
        from PIL import Image
        img = Image.new("RGB", (8, 8), (200, 10, 10))
        for fmt, t in (("PNG", PNG), ("JPEG", JPEG)):
            b = io.BytesIO()
            img.save(b, fmt)
            put(fmt.lower(), t, b.getvalue())
    except ImportError:
        pass
    pdf = os.path.join(d, "e.pdf")
    subprocess.run(["qpdf", "--empty", pdf], check=True)
    put("pdf", PDF, open(pdf, "rb").read())
    gpg = run(["gpg", "--batch", "--homedir", d, "--passphrase", "x", "--pinentry-mode", "loopback",
               "-c", "-o", "-"], body)
    put("openpgp", OPENPGP, gpg)
    key = os.path.join(d, "age.key")
    subprocess.run(["age-keygen", "-o", key], check=True, stderr=subprocess.DEVNULL)
    put("age", AGE, run(["age", "-e", "-i", key], body))
