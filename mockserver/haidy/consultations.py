"""Haidy's consultations: approved in the Haidy app (in the mock: a simulated approval), listed, reported, marked
as downloaded (haidy-pis-integration.txt, the retrieval phase).

Plain Python, no HTTP. A consultation is kept in the tenant's `HaidyBackend` (table `consultations`); the functions
here take that backend. Its report is written by the clinical note writer (`clinical/notes.py`) from the
consultation's transcript along `REPORT_TEMPLATE`; `haidy/report_files.py` turns the text into PDF, DOCX, TXT or JSON.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from mockserver.clinical import notes
from mockserver.core.clock import iso
from mockserver.core.errors import FieldError, NotFound, RequestValidationError
from mockserver.core.tables import records

if TYPE_CHECKING:
    from mockserver.haidy.models import HaidyBackend

STATUS = "approved"
DEFAULT_TITLE = "Consultation report"
REPORT_TEMPLATE = notes.NoteTemplate(DEFAULT_TITLE, (
    notes.Section("Patient", ("patient",)),
    notes.Section("Reason for visit", ("complaint",)),
    notes.Section("History", ("history",)),
    notes.Section("Findings", ("observations",)),
    notes.Section("Assessment", ("problems",)),
    notes.Section("Medications", ("medications",)),
    notes.Section("Allergies", ("allergies",)),
    notes.Section("Plan", ("plan",)),
))
"""The report's sections, in English like the rest of the mock's notes: one place to change them."""
NOT_FOUND = "Consultation not found"


@dataclass
class Consultation:
    id: str
    unique_id: str
    patient_context_id: str | None
    integration: str
    title: str
    transcript: str
    created_at: datetime
    approved_at: datetime
    downloaded: bool = False
    downloaded_at: datetime | None = None
    status: str = STATUS

    def to_json(self) -> dict:
        """What the vendor API lists: everything but the transcript (the report carries what it says)."""
        return {
            "id": self.id, "unique_id": self.unique_id, "patient_context_id": self.patient_context_id,
            "integration": self.integration, "title": self.title, "status": self.status,
            "downloaded": self.downloaded, "downloaded_at": self.downloaded_at and iso(self.downloaded_at),
            "created_at": iso(self.created_at), "approved_at": iso(self.approved_at),
        }


def _parse(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


_TIME = (iso, _parse)
_MAYBE_TIME = (lambda moment: moment and iso(moment), lambda stamp: stamp and _parse(stamp))
CONSULTATION = records(Consultation, created_at=_TIME, approved_at=_TIME, downloaded_at=_MAYBE_TIME)
"""How a consultation is stored and exported (the export keeps the transcript)."""


def parse_moment(text: str, loc: tuple[str, ...]) -> datetime:
    """An ISO 8601 date-time a caller sent (at `loc`, for the 422); one without an offset is read as UTC."""
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise RequestValidationError([FieldError(loc, "invalid datetime format", "value_error.datetime")]) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def approve(haidy: HaidyBackend, unique_id: str, transcript: str, *, integration: str | None = None,
            approved_at: datetime | None = None, title: str | None = None) -> Consultation:
    """A consultation as the doctor approves it in the Haidy app. Linked to the patient context the docs' rule
    names: external_id == unique_id, in the docs' patient group (`HaidyBackend.linked_context`), as of now."""
    from mockserver.haidy.models import DEFAULT_INTEGRATION

    integration = haidy.integration(integration or DEFAULT_INTEGRATION)
    now = haidy.clock.now().replace(microsecond=0)  # whole seconds, as the API and the export show times
    approved_at = approved_at.astimezone(UTC).replace(microsecond=0) if approved_at else now
    ctx = haidy.linked_context(unique_id)
    consultation = Consultation(
        id=haidy._new_id("cons_"), unique_id=unique_id, patient_context_id=ctx and ctx.id, integration=integration,
        title=title or DEFAULT_TITLE, transcript=transcript, created_at=min(now, approved_at),
        approved_at=approved_at)
    haidy.consultations[consultation.id] = consultation
    return consultation


def find(haidy: HaidyBackend, consultation_id: str) -> Consultation:
    found = haidy.consultations.get(consultation_id)
    if found is None:
        raise NotFound(NOT_FOUND)
    return found


def listing(haidy: HaidyBackend, *, downloaded: bool | None = None, unique_id: str | None = None,
            patient_context_id: str | None = None, since: datetime | None = None, page: int = 1,
            page_size: int = 50) -> dict:
    """Approved consultations, newest approved first, filtered (AND) and paged: `{items, total, page, page_size}`."""
    chosen = [c for c in haidy.consultations.values()
              if c.status == STATUS
              and (downloaded is None or c.downloaded == downloaded)
              and (unique_id is None or c.unique_id == unique_id)
              and (patient_context_id is None or c.patient_context_id == patient_context_id)
              and (since is None or c.approved_at >= since)]
    chosen.sort(key=lambda c: (c.approved_at, c.created_at, c.id), reverse=True)
    start = (page - 1) * page_size
    return {"items": [c.to_json() for c in chosen[start:start + page_size]], "total": len(chosen),
            "page": page, "page_size": page_size}


def mark_downloaded(haidy: HaidyBackend, consultation_id: str) -> dict:
    """Idempotent: a second mark keeps the first time."""
    consultation = find(haidy, consultation_id)
    if not consultation.downloaded:
        consultation.downloaded, consultation.downloaded_at = True, haidy.clock.now().replace(microsecond=0)
        haidy.consultations[consultation.id] = consultation
    return {"id": consultation.id, "downloaded": True, "downloaded_at": iso(consultation.downloaded_at)}


@dataclass(frozen=True)
class Report:
    """A consultation's report: its Markdown text and the same cut into sections."""

    consultation: Consultation
    patient: dict
    text: str
    sections: tuple[tuple[str, str], ...]
    """(heading, the section's Markdown body) in template order."""

    def to_json(self) -> dict:
        c = self.consultation
        return {"id": c.id, "unique_id": c.unique_id, "patient_context_id": c.patient_context_id, "title": c.title,
                "approved_at": iso(c.approved_at),
                "sections": [{"heading": heading, "text": text} for heading, text in self.sections],
                "report": self.text}


_HEADING = re.compile(r"^## (.+)$", re.M)


def report(haidy: HaidyBackend, consultation: Consultation) -> Report:
    """The report, written from the transcript and the linked patient's name, birth date and gender (deterministic;
    a field the context lacks the note writer takes from the transcript, if it says)."""
    ctx = haidy.contexts.get(consultation.patient_context_id) if consultation.patient_context_id else None
    patient = {"name": ctx.name, "dob": ctx.birth_date, "gender": ctx.gender} if ctx else {}
    text = notes.write_note(notes.Consultation(transcript=consultation.transcript, patient=patient),
                            REPORT_TEMPLATE, voice_style="GOLDILOCKS", content_type="MARKDOWN")
    return Report(consultation, patient, text, split_sections(text))


def split_sections(text: str) -> tuple[tuple[str, str], ...]:
    """The `## Heading` sections of a Markdown note, each with its body (stripped)."""
    marks = list(_HEADING.finditer(text))
    return tuple((m.group(1).strip(), text[m.end():marks[i + 1].start() if i + 1 < len(marks) else len(text)].strip())
                 for i, m in enumerate(marks))
