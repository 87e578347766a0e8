"""A consultation report as a file: PDF (fpdf2), DOCX (python-docx), TXT (the Markdown text) or JSON.

Deterministic: the same report gives the same bytes in every format. The PDF's and the DOCX's creation and
modification dates are the consultation's approval time, and nothing else in them varies (fpdf2's document id is
derived from the content and that date; the DOCX's zip entries are re-dated to it, as python-docx dates them now).

The PDF uses a core font (Helvetica), whose encoding is Latin-1 (fpdf2 ships no Unicode font): characters outside
it are transliterated where Unicode gives them a Latin-1 form (NFKC, then ASCII lookalikes for dashes and quotes)
and otherwise replaced with "?". The DOCX, TXT and JSON keep every character.
"""

from __future__ import annotations

import io
import json
import re
import unicodedata
import zipfile
from collections.abc import Callable
from dataclasses import dataclass

from mockserver.haidy.consultations import Report

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
TXT = "text/plain; charset=utf-8"
JSON = "application/json"
FORMAT_PATTERN = "^([Pp][Dd][Ff]|[Dd][Oo][Cc][Xx]|[Tt][Xx][Tt]|[Jj][Ss][Oo][Nn])$"
"""The formats of the path, in either case (the docs print them in upper case; (inferred) lower case works too)."""


@dataclass(frozen=True)
class ReportFile:
    content: bytes
    media_type: str
    extension: str


def render(report: Report, file_format: str) -> ReportFile:
    """`report` as a `file_format` file (PDF, DOCX, TXT or JSON, any case)."""
    kind = file_format.upper()
    writer, media_type = _WRITERS[kind]
    return ReportFile(writer(report), media_type, kind.lower())


def _txt(report: Report) -> bytes:
    return report.text.encode("utf-8")


def _json(report: Report) -> bytes:
    return json.dumps(report.to_json(), ensure_ascii=False, indent=2).encode("utf-8")


_ITEM = re.compile(r"^- (.*)$")


def _lines(body: str) -> list[tuple[str, str]]:
    """A section body as ("item" | "text", line) pairs: list items and paragraphs (blank lines dropped)."""
    out = []
    for line in body.splitlines():
        if not line.strip():
            continue
        item = _ITEM.match(line)
        out.append(("item", item.group(1)) if item else ("text", line.strip()))
    return out


_LOOKALIKES = str.maketrans({"\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-",
                             "\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2026": "...",
                             "\u2022": "-", "\u00a0": " ", "\u2264": "<=", "\u2265": ">="})


def latin1(text: str) -> str:
    """`text` in what a core PDF font can show: Latin-1 kept, lookalikes for dashes and quotes, NFKC forms
    (e.g. "ﬁ" -> "fi"), accents dropped where only the base letter is Latin-1, "?" for the rest."""
    out = []
    for char in text.translate(_LOOKALIKES):
        if ord(char) < 256:
            out.append(char)
            continue
        folded = unicodedata.normalize("NFKC", char)
        if all(ord(c) < 256 for c in folded):
            out.append(folded)
            continue
        base = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
        out.append(base if base and all(ord(c) < 256 for c in base) else "?")
    return "".join(out)


def _pdf(report: Report) -> bytes:
    from fpdf import FPDF

    consultation = report.consultation
    pdf = FPDF(format="A4")
    pdf.set_creation_date(consultation.approved_at)
    pdf.set_title(latin1(consultation.title))
    pdf.set_subject(f"Haidy consultation {consultation.id}")
    pdf.set_creator("mockserver (Haidy mock)")
    pdf.set_producer("mockserver")
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_page()
    width = pdf.epw
    pdf.set_font("Helvetica", "B", 16)
    pdf.multi_cell(width, 9, latin1(consultation.title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 9)
    pdf.multi_cell(width, 5, latin1(f"Consultation {consultation.id} - unique_id {consultation.unique_id} - "
                                    f"approved {consultation.approved_at.strftime('%Y-%m-%d %H:%M')} UTC"),
                   new_x="LMARGIN", new_y="NEXT")
    for heading, body in report.sections:
        pdf.ln(3)
        pdf.set_font("Helvetica", "B", 12)
        pdf.multi_cell(width, 7, latin1(heading), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 11)
        for kind, line in _lines(body):
            pdf.multi_cell(width, 6, latin1(f"- {line}" if kind == "item" else line), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def _docx(report: Report) -> bytes:
    import docx

    consultation = report.consultation
    document = docx.Document()
    props = document.core_properties
    props.title, props.subject = consultation.title, f"Haidy consultation {consultation.id}"
    props.author = props.last_modified_by = "mockserver"
    props.created = props.modified = consultation.approved_at.replace(tzinfo=None)
    props.revision = 1
    document.add_heading(_xml_safe(consultation.title), level=1)
    document.add_paragraph(_xml_safe(f"Consultation {consultation.id} · unique_id {consultation.unique_id} · "
                                     f"approved {consultation.approved_at.strftime('%Y-%m-%d %H:%M')} UTC"))
    for heading, body in report.sections:
        document.add_heading(_xml_safe(heading), level=2)
        for kind, line in _lines(body):
            document.add_paragraph(_xml_safe(line), style="List Bullet" if kind == "item" else None)
    out = io.BytesIO()
    document.save(out)
    return _zip_dated(out.getvalue(), consultation.approved_at.timetuple()[:6])


def _zip_dated(data: bytes, when: tuple[int, ...]) -> bytes:
    """The zip `data` with every entry dated `when` (python-docx dates them now), in the same order and
    compression: the same report, the same bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for entry in source.infolist():
            dated = zipfile.ZipInfo(entry.filename, date_time=max(when, (1980, 1, 1, 0, 0, 0)))
            dated.compress_type, dated.external_attr = entry.compress_type, entry.external_attr
            target.writestr(dated, source.read(entry))
    return out.getvalue()


_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml_safe(text: str) -> str:
    """XML 1.0 cannot hold control characters: a transcript's stray ones become spaces."""
    return _XML_ILLEGAL.sub(" ", text)


_WRITERS: dict[str, tuple[Callable[[Report], bytes], str]] = {
    "PDF": (_pdf, PDF), "DOCX": (_docx, DOCX), "TXT": (_txt, TXT), "JSON": (_json, JSON)}
