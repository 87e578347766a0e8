"""Content sniffing: what a file is, judged by its bytes rather than the name or header it came with."""

from __future__ import annotations

import io
import zipfile

PDF, PNG, JPEG, TEXT = "application/pdf", "image/png", "image/jpeg", "text/plain"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def sniff_document(data: bytes) -> str | None:
    """The media type of a document (PDF, PNG, JPEG, DOCX, UTF-8 text), or None if it is none of these."""
    if data.startswith(b"%PDF-"):
        return PDF
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith(b"PK\x03\x04"):
        return DOCX if _is_docx(data) else None
    return TEXT if _is_text(data) else None


def _is_docx(data: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return "word/document.xml" in archive.namelist()
    except zipfile.BadZipFile:
        return False


def _is_text(data: bytes) -> bool:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    control = sum(1 for ch in text if ch < " " and ch not in "\t\n\r\f")
    return "\x00" not in text and control <= len(text) // 100
