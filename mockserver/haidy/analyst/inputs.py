"""Haidy-Analyst's processing, minus the NLP: checking inputs, acquiring and preprocessing content.

Request time (`parse_inputs`): each record's source must carry exactly one content field that
fits its type; base64 must be clean and of a supported type. Task time (`Acquirer`): URLs are
downloaded (only from allowed hosts, redirects included; the docs' example.com URLs are answered from the
shipped samples, `samples/`), documents parsed (PDF text via pypdf;
images carry no OCR), audio turned into text (transcript bubbles as given, or a transcript
registered for the audio's hash, or shipped with its sample). No Flask here.
"""

from __future__ import annotations

import base64
import binascii
import io
import ipaddress
import re
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from mockserver.clinical.transcripts import audio_digest
from mockserver.core.errors import FieldError, RequestValidationError
from mockserver.core.gate import stepped_out
from mockserver.core.sniff import JPEG, PDF, PNG, sniff_audio, sniff_document
from mockserver.core.tasks import TaskFailure
from mockserver.haidy.analyst import samples
from mockserver.haidy.files import PatientFile, content_hash

DOCUMENT_TYPES = (PDF, PNG, JPEG)
CONTENT_FIELDS = {"plain_text": ("text",), "document": ("url", "base64"), "audio": ("url", "base64", "transcript")}
DOWNLOAD, PARSING, AUDIO = "DOCUMENT_DOWNLOAD_DONE", "DOCUMENT_PARSING_DONE", "AUDIO_PROCESSING_DONE"
_OWN_FILE = re.compile(r"^/_mock/haidy/files/(file_[a-z0-9]+)$")


class InvalidBase64(ValueError):
    """Not base64 as the docs want it (bad characters, line breaks, a data-URI prefix)."""


class UnsupportedType(ValueError):
    """Decoded fine, but not a document or audio type the API processes."""


@dataclass
class Input:
    """One record as checked at request time; `data` is decoded base64, `media_type` its sniffed type."""

    record_id: str | None
    kind: str
    text: str | None = None
    url: str | None = None
    data: bytes | None = None
    media_type: str | None = None
    bubbles: list | None = None
    title: str | None = None


def parse_inputs(records: list[dict], loc: tuple = ("body", "new_records")) -> list[Input]:
    """Every record checked; all problems reported at once as 422 field errors."""
    inputs, errors = [], []
    for index, record in enumerate(records):
        source = record["source"]
        here = loc + (index, "source")
        given = [f for f in ("text", "url", "base64", "transcript") if source.get(f) is not None]
        allowed = CONTENT_FIELDS[source["type"]]
        if len(given) != 1 or given[0] not in allowed:
            errors.append(
                FieldError(
                    here,
                    f"a source of type {source['type']} needs exactly one of {', '.join(allowed)}"
                    + (f" (got {', '.join(given)})" if given else ""),
                    "value_error.source",
                )
            )
            continue
        field = given[0]
        item = Input(record.get("record_id"), source["type"])
        if field == "base64":
            try:
                item.data, item.media_type = decode(source["base64"], source["type"])
            except ValueError as exc:
                errors.append(FieldError(here + ("base64",), str(exc), "value_error.base64"))
                continue
        elif field == "transcript":
            item.bubbles = source["transcript"]["bubbles"]
        else:
            setattr(item, field, source[field])
        inputs.append(item)
    if errors:
        raise RequestValidationError(errors)
    return inputs


def decode(encoded: str, kind: str) -> tuple[bytes, str]:
    """The bytes of base64 the request schema already admitted (schemas/haidy/base64.json says what it
    admits), of a supported type."""
    try:
        data = base64.b64decode(encoded, validate=True)
    except binascii.Error as exc:
        raise InvalidBase64(f"invalid base64: {exc}") from None
    media_type = sniff_audio(data) if kind == "audio" else sniff_document(data)
    if kind == "document" and media_type not in DOCUMENT_TYPES:
        raise UnsupportedType("File type not supported: documents must be PDF, PNG or JPEG")
    if kind == "audio" and media_type is None:
        raise UnsupportedType("File type not supported: audio must be MP3, WAV, WebM, MP4 or M4A")
    return data, media_type


def steps_for(inputs: list[Input]) -> list[str]:
    """The optional statuses that apply to these inputs, in the documented order."""
    steps = []
    if any(i.url for i in inputs):
        steps.append(DOWNLOAD)
    if any(i.kind == "document" for i in inputs):
        steps.append(PARSING)
    if any(i.kind == "audio" and i.bubbles is None for i in inputs):
        steps.append(AUDIO)
    return steps


class Acquirer:
    """Turns inputs into processed records: {record_id, content_hash, input_text, content, document}."""

    def __init__(self, *, allowed_hosts: set[str], own_file: Callable[[str], PatientFile | None],
                 transcripts: dict[str, str], max_bytes: int, timeout: float = 10.0):
        self.allowed_hosts = allowed_hosts
        self.own_file = own_file
        self.transcripts = transcripts
        self.max_bytes = max_bytes
        self.timeout = timeout

    def record(self, item: Input) -> dict:
        if item.kind == "plain_text":
            return _record(item, item.text.encode(), item.text, {"type": "text", "text": item.text})
        if item.bubbles is not None:
            text = " ".join(b["text"] for b in item.bubbles)
            return _record(item, text.encode(), text, {"type": "transcript", "bubbles": item.bubbles})
        data, media_type = (item.data, item.media_type) if item.data is not None else self._download(item)
        if item.kind == "audio":
            return self._audio(item, data, media_type)
        return self._document(item, data, media_type)

    def _document(self, item: Input, data: bytes, media_type: str) -> dict:
        if media_type == PDF:
            text, pages = pdf_text(data)
            content = {"type": "document", "media_type": PDF, "pages": pages, "text": text}
        else:
            text = ""
            content = {"type": "document", "media_type": media_type, "pages": 1, "text": "",
                       "note": "images are not OCR'd by the mock, so this record carries no entities"}
        return _record(item, data, text, content, media_type)

    def _audio(self, item: Input, data: bytes, media_type: str) -> dict:
        digest = audio_digest(data)
        text = self.transcripts.get(digest)
        if text is None:
            text = samples.transcripts().get(digest)
        content = {"type": "audio", "media_type": media_type, "transcript": text}
        if text is None:
            text = ""
            content["note"] = (f"no transcript registered for audio sha256:{digest}; register one with "
                               "POST /_mock/tenants/{tenant}/transcripts")
        return _record(item, data, text, content, media_type)

    def _download(self, item: Input) -> tuple[bytes, str]:
        parts = urlsplit(item.url)
        data = None
        if samples.is_documentation_url(item.url):  # reserved for documentation: never fetched
            data = samples.sample(item.url)
            if data is None:
                raise TaskFailure("Unable to download document from URL",
                                  f"HTTP 404 from {item.url}: {parts.hostname} is reserved for documentation "
                                  f"(RFC 2606); the mock answers only the docs' samples there: "
                                  f"{', '.join('/' + name for name in samples.names())}")
        elif not self._allowed(parts.hostname or ""):
            raise TaskFailure("Unable to download document from URL",
                              f"host {parts.hostname!r} is not allowed (mockserver serve --allow-url-host adds hosts)")
        own = _OWN_FILE.match(parts.path) if data is None else None
        if own:
            found = self.own_file(own.group(1))
            data = found.content if found else None
        if data is None:
            data = self._fetch(item.url)
        media_type = sniff_audio(data) if item.kind == "audio" else sniff_document(data)
        if (item.kind == "document" and media_type not in DOCUMENT_TYPES) or media_type is None:
            raise TaskFailure("File type not supported", f"{item.url} is not a supported {item.kind}")
        return data, media_type

    def _fetch(self, url: str) -> bytes:
        opener = urllib.request.build_opener(_CheckedRedirects(self._allowed))
        try:
            with stepped_out(), opener.open(url, timeout=self.timeout) as response:  # the URL may be this server's
                data = response.read(self.max_bytes + 1)
        except urllib.error.HTTPError as exc:
            raise TaskFailure("Unable to download document from URL", f"HTTP {exc.code} from {url}") from None
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise TaskFailure("Unable to download document from URL", str(getattr(exc, "reason", exc))) from None
        if len(data) > self.max_bytes:
            raise TaskFailure("Unable to download document from URL", f"larger than {self.max_bytes} bytes")
        return data

    def _allowed(self, host: str) -> bool:
        if host in self.allowed_hosts or host == "localhost":
            return True
        try:
            return ipaddress.ip_address(host).is_loopback
        except ValueError:
            return False


class _CheckedRedirects(urllib.request.HTTPRedirectHandler):
    """Follow redirects only to allowed hosts, so an allowed URL cannot bounce elsewhere."""

    def __init__(self, allowed: Callable[[str], bool]):
        self.allowed = allowed

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        host = urlsplit(newurl).hostname or ""
        if not self.allowed(host):
            raise urllib.error.URLError(f"redirect to disallowed host {host!r}")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def pdf_text(data: bytes) -> tuple[str, int]:
    """The text of every page of a PDF, and the page count."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        pages = [page.extract_text() or "" for page in reader.pages]
    except (PdfReadError, ValueError, KeyError, TypeError) as exc:
        raise TaskFailure("Unable to parse document", f"PDF could not be read: {exc}") from None
    return "\n".join(pages), len(pages)


def _record(item: Input, raw: bytes, text: str, content: dict, media_type: str | None = None) -> dict:
    digest = content_hash(raw)
    document = {"record_id": item.record_id, "content_hash": digest, "content_type": media_type or "text/plain",
                "title": item.title,
                "url": item.url, "data": base64.b64encode(raw).decode() if item.url is None and media_type else None}
    return {"record_id": item.record_id, "content_hash": digest, "input_text": text, "content": content,
            "document": document}
