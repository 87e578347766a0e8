"""Content sniffing: what a file is, judged by its bytes rather than the name or header it came with."""

from __future__ import annotations

import io
import zipfile

PDF, PNG, JPEG, TEXT = "application/pdf", "image/png", "image/jpeg", "text/plain"
MP3, WAV, WEBM, MP4, M4A = "audio/mpeg", "audio/wav", "audio/webm", "audio/mp4", "audio/x-m4a"
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


def sniff_audio(data: bytes) -> str | None:
    """The media type of audio (MP3, WAV, WebM, MP4, M4A), or None."""
    if data.startswith(b"ID3") or (len(data) > 1 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0):
        return MP3
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return WAV
    if data.startswith(b"\x1a\x45\xdf\xa3"):
        return WEBM
    if data[4:8] == b"ftyp":
        return M4A if data[8:12] in (b"M4A ", b"M4B ") else MP4
    return None
