"""Text-only PDFs written by hand: a few hundred bytes of PDF 1.4 that any reader (and pypdf) opens.

No dependency and no timestamps, so the same lines always give the same bytes. Standard fonts only,
with WinAnsi encoding: text must be Windows-1252 (Latin letters, °, µ).
"""

from __future__ import annotations

LINES_PER_PAGE = 58
_LEADING = 13


def render(lines: list[str], font: str = "Helvetica") -> bytes:
    """A PDF showing `lines` at 10 pt on A4 pages, top to bottom; `font` is a standard one (Helvetica, Courier)."""
    pages = [lines[i:i + LINES_PER_PAGE] for i in range(0, len(lines), LINES_PER_PAGE)] or [[]]
    kids = " ".join(f"{4 + 2 * i} 0 R" for i in range(len(pages)))
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>".encode(),
               f"<< /Type /Font /Subtype /Type1 /BaseFont /{font} /Encoding /WinAnsiEncoding >>".encode()]
    for i, page in enumerate(pages):
        shown = b" ".join(b"(%s) Tj T*" % _escape(line) for line in page)
        stream = b"BT /F1 10 Tf %d TL 56 790 Td %s ET" % (_LEADING, shown)
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents {5 + 2 * i} 0 R "
                       "/Resources << /Font << /F1 3 0 R >> >> >>".encode())
        objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream))
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def _escape(line: str) -> bytes:
    return line.encode("cp1252").replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")
