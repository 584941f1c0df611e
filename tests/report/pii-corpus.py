#!/usr/bin/env python3
"""tests/report/pii-corpus.py DIR — writes a small corpus with planted personal
data (valid check digits) and decoys (failing them) into DIR (csv, eml, txt,
in three directories, docx, xlsx, odt and pdf in a fourth, plus a file with a hostile name), and prints the counts
a report must find, as JSON: {category: {"files": N, "distinct": N}}. Two mails have their
bodies in quoted-printable (soft line breaks inside the values) and base64, and the PDFs are
written here (one with deflated page streams, one all ASCII): each counts only once decoded."""
import json, os, sys

out = sys.argv[1]
os.makedirs(out, exist_ok=True)

def nhs(i):
    while True:
        base = "%09d" % (400000000 + i * 7919)
        s = sum(int(d) * (10 - k) for k, d in enumerate(base))
        c = 11 - s % 11
        c = 0 if c == 11 else c
        if c != 10:
            return base + str(c), base + str((c + 1) % 10)
        i += 1000

def luhn(body):
    s = 0
    for k, d in enumerate(reversed(body)):
        v = int(d)
        if k % 2 == 0:
            v *= 2
            v = v - 9 if v > 9 else v
        s += v
    return str((10 - s % 10) % 10)

def card(i):
    body = "400000%09d" % (i * 37 + 11)
    c = luhn(body)
    return body + c, body + str((int(c) + 1) % 10)

def iban(i):
    bban = "WEST%06d%08d" % (200000 + i, 31000000 + i)
    num = "".join(str(int(ch, 36)) for ch in bban + "GB00")
    chk = 98 - int(num) % 97
    good = "GB%02d%s" % (chk, bban)
    bad = "GB%02d%s" % ((chk + 1) % 100, bban)
    g = " ".join(good[k:k + 4] for k in range(0, len(good), 4))
    return g, bad

PAD = ("The quarterly review covered staffing, training and the new rota. "
       "Nothing here is sensitive: it is filler so the file is long enough. ") * 60

cats = ["email", "phone", "nino", "nhs", "iban", "card", "dob", "postcode"]
distinct = {c: set() for c in cats}
files = {c: 0 for c in cats}

def person(i):
    g_nhs, b_nhs = nhs(i)
    g_card, b_card = card(i)
    g_iban, b_iban = iban(i)
    return {
        "email": "person%d@example.co.uk" % i,
        "phone": "020 7946 %04d" % i,
        "nino": "AB%06dC" % (100000 + i),
        "nhs": "%s %s %s" % (g_nhs[:3], g_nhs[3:6], g_nhs[6:]),
        "iban": g_iban,
        "card": g_card,
        "dob": "%02d/%02d/19%02d" % (1 + i % 28, 1 + i % 12, 50 + i % 40),
        "postcode": "SW%dA %dAB" % (1 + i % 9, 1 + i % 9),
        "decoys": [b_nhs, b_card, b_iban, "BG%06dC" % (100000 + i), "SW1A1AB",
                   "meeting %02d/%02d/2019" % (1 + i % 28, 1 + i % 12), "order 98765432101234567",
                   "person%d@localhost" % i],
    }

def plant(vals, which, count_file=True):
    for c in which:
        distinct[c].add(vals[c].replace(" ", "").lower())
    if count_file:
        for c in set(which):
            files[c] += 1

def write(path, text):
    with open(os.path.join(out, path), "w") as f:
        f.write(text)

os.makedirs(os.path.join(out, "hr"), exist_ok=True)
os.makedirs(os.path.join(out, "mail"), exist_ok=True)
os.makedirs(os.path.join(out, "notes"), exist_ok=True)

# hr/*.csv: every category, 4 people a file (people overlap between files)
for f in range(3):
    rows = ["name,email,phone,nino,nhs,iban,card,dob,postcode"]
    for i in range(f * 3, f * 3 + 4):
        v = person(i)
        rows.append("P%d,%s,%s,%s,%s,%s,%s,born %s,%s" % (
            i, v["email"], v["phone"], v["nino"], v["nhs"], v["iban"], v["card"], v["dob"], v["postcode"]))
        rows.append("decoys," + ",".join(v["decoys"]))
        plant(v, cats, count_file=False)
    for c in cats:
        files[c] += 1
    write("hr/staff-%d.csv" % f, "\n".join(rows) + "\n" + PAD)

# mail/*.eml: e-mail, phone, postcode only
for f in range(2):
    v = person(20 + f)
    w = person(30 + f)
    msg = ("From: %s\nTo: %s\nSubject: address change\n\nHello,\nmy new address is 1 High St, %s.\n"
           "Call me on %s. Decoys: %s\n\n%s" % (v["email"], w["email"], v["postcode"], v["phone"],
                                               " ".join(v["decoys"]), PAD))
    for c in ("email", "phone", "postcode"):
        distinct[c].add(v[c].replace(" ", "").lower())
    distinct["email"].add(w["email"])
    for c in ("email", "phone", "postcode"):
        files[c] += 1
    write("mail/msg-%d.eml" % f, msg)

# notes/*.txt: an NHS number and a date of birth; one file with nothing but decoys
v = person(40)
write("notes/patient.txt", "Patient NHS number %s, date of birth %s.\n%s" % (v["nhs"], v["dob"], PAD))
plant(v, ["nhs", "dob"])
write("notes/decoys.txt", "Nothing personal: %s\n%s" % (" ".join(person(41)["decoys"]), PAD))
# a hostile file name (HTML in it), holding one e-mail address
hostile = "<img src=x onerror=alert(1)>&\"'.txt"
write("notes/" + hostile, "contact: hostile@example.org\n" + PAD)
distinct["email"].add("hostile@example.org")
files["email"] += 1

# office documents (written with zipfile: the XML each format keeps its text in)
import zipfile
from xml.sax.saxutils import escape
os.makedirs(os.path.join(out, "office"), exist_ok=True)

def people_lines(ids):
    lines = []
    for i in ids:
        v = person(i)
        lines.append(["P%d" % i, v["email"], v["phone"], v["nino"], v["nhs"], v["iban"], v["card"],
                      "born " + v["dob"], v["postcode"]])
        lines.append(["decoys"] + v["decoys"])
        plant(v, cats, count_file=False)
    for c in cats:
        files[c] += 1
    return lines

W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
body = "".join("<w:p><w:r><w:t>%s</w:t></w:r></w:p>" % escape(" ; ".join(l)) for l in people_lines([50, 51]))
body += "".join("<w:p><w:r><w:t>%s</w:t></w:r></w:p>" % escape(PAD[k:k + 200]) for k in range(0, 4000, 200))
with zipfile.ZipFile(os.path.join(out, "office/staff.docx"), "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>')
    z.writestr("word/document.xml", '<?xml version="1.0"?><w:document %s><w:body>%s</w:body></w:document>' % (W, body))
rows = people_lines([52, 53])
sheet = "".join("<row>%s</row>" % "".join('<c t="inlineStr"><is><t>%s</t></is></c>' % escape(v) for v in r) for r in rows)
with zipfile.ZipFile(os.path.join(out, "office/staff.xlsx"), "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>')
    z.writestr("xl/worksheets/sheet1.xml", '<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>%s</sheetData></worksheet>' % sheet)
    z.writestr("xl/padding.txt", PAD)
T_NS = 'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"'
paras = "".join("<text:p>%s</text:p>" % escape(" ; ".join(l)) for l in people_lines([54]))
with zipfile.ZipFile(os.path.join(out, "office/letter.odt"), "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("mimetype", "application/vnd.oasis.opendocument.text", compress_type=zipfile.ZIP_STORED)
    z.writestr("content.xml", '<?xml version="1.0"?><office:document-content %s><office:body><office:text>%s<text:p>%s</text:p></office:text></office:body></office:document-content>' % (T_NS, paras, escape(PAD)))

# PDFs: one line of text a row, Helvetica; page streams deflated in the first
import zlib

def pdf_escape(t):
    return t.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

def write_pdf(path, rows, deflate):
    pages = [rows[k:k + 40] for k in range(0, len(rows), 40)]
    objs = {1: b"<< /Type /Catalog /Pages 2 0 R >>",
            2: ("<< /Type /Pages /Kids [%s] /Count %d >>" % (
                " ".join("%d 0 R" % (4 + 2 * i) for i in range(len(pages))), len(pages))).encode(),
            3: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"}
    for i, pg in enumerate(pages):
        ops = "BT /F1 9 Tf 11 TL 40 760 Td " + " ".join("(%s) Tj T*" % pdf_escape(r) for r in pg) + " ET"
        data = ops.encode()
        head = "<< /Length %d >>"
        if deflate:
            data = zlib.compress(data)
            head = "<< /Length %d /Filter /FlateDecode >>"
        objs[4 + 2 * i] = ("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents %d 0 R "
                           "/Resources << /Font << /F1 3 0 R >> >> >>" % (5 + 2 * i)).encode()
        objs[5 + 2 * i] = (head % len(data)).encode() + b"\nstream\n" + data + b"\nendstream"
    buf = bytearray(b"%PDF-1.4\n" + (b"%\xe2\xe3\xcf\xd3\n" if deflate else b""))
    offs = {}
    for k in sorted(objs):
        offs[k] = len(buf)
        buf += b"%d 0 obj\n" % k + objs[k] + b"\nendobj\n"
    xref = len(buf)
    buf += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    for k in sorted(objs):
        buf += b"%010d 00000 n \n" % offs[k]
    buf += b"trailer << /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    with open(os.path.join(out, path), "wb") as f:
        f.write(bytes(buf))

def pdf_rows(ids):
    rows = []
    for l in people_lines(ids):
        if l[0] == "decoys":
            rows += ["decoy " + d for d in l[1:]]
        else:
            rows += [l[0]] + l[1:]
    return rows + [PAD[k:k + 90] for k in range(0, 2700, 90)]

write_pdf("office/report.pdf", pdf_rows([60, 61]), True)
write_pdf("office/plain.pdf", pdf_rows([62]), False)

# encoded mail: the values are text only once the body is decoded
import base64
v, w = person(70), person(71)
body = ("Dear team,\nmy details: %s, born %s, NI %s, postcode %s.\nDecoys: %s\n\n%s" % (
    v["phone"], v["dob"], v["nino"], v["postcode"], " ".join(v["decoys"]), PAD[:1500]))
b64 = base64.encodebytes(body.encode()).decode()
write("mail/msg-b64.eml", "From: %s\nTo: %s\nSubject: my details\nMIME-Version: 1.0\n"
      "Content-Type: multipart/mixed; boundary=\"b1\"\n\n--b1\nContent-Type: text/plain; charset=utf-8\n"
      "Content-Transfer-Encoding: base64\n\n%s\n--b1\nContent-Type: application/octet-stream\n"
      "Content-Transfer-Encoding: base64\n\n%s\n--b1--\n" % (
          v["email"], w["email"], b64, base64.encodebytes(PAD[:600].encode()).decode()))
plant(v, ["email", "phone", "dob", "nino", "postcode"])
distinct["email"].add(w["email"])
v, w = person(72), person(73)
ph, pc = v["phone"], v["postcode"]
qp = ("Hello,\nplease call me on %s=\n%s, or write to 2 Low Rd, %s=\n%s (1 + 1 =3D 2).\n"
      "NHS number %s. Decoys: %s\n\n%s" % (ph[:6], ph[6:], pc[:3], pc[3:], v["nhs"],
                                            " ".join(v["decoys"]), PAD[:1500]))
write("mail/msg-qp.eml", "From: %s\nTo: %s\nSubject: call me\nMIME-Version: 1.0\n"
      "Content-Type: text/plain; charset=us-ascii\nContent-Transfer-Encoding: quoted-printable\n\n%s" % (
          v["email"], w["email"], qp))
plant(v, ["email", "phone", "postcode", "nhs"])
distinct["email"].add(w["email"])

print(json.dumps({c: {"files": files[c], "distinct": len(distinct[c])} for c in cats}))
