"""Rule-based clinical NLP for the Haidy structure API: entities, patient metadata and the HolisticPatient.

Deterministic and offline: lexicons shipped as data (en, de, fr, it) and regexes compiled at import. No HTTP
here; the task engine calls these functions and serialises their results.
"""

from __future__ import annotations

from mockserver.clinical.extraction import patient, record
from mockserver.clinical.extraction.holistic import holistic_patient
from mockserver.clinical.extraction.language import detect_language

__all__ = ["structure_text", "patient_metadata", "holistic_patient", "detect_language"]


def structure_text(text: str, *, output_language: str = "en") -> dict:
    """The six lists of one record: {"medications": [...], "conditions": [...], "procedures": [...],
    "allergies": [...], "immunizations": [...], "observations": [...]}. Each entity:
    {"identity_signature": str, "identity_fields": {...}, "instantiations": [
        {"display_str": str, "span": {"start": int, "end": int}, "tagging_certainty": float,
         "time_references": [...], "status": {...}}]}

    Names in identity_fields are in `output_language`; spans index `text` itself, so
    text[start:end] == display_str. Raises ValueError for a language other than en, de, fr, it."""
    return record.structure(text, output_language)


def patient_metadata(text: str) -> dict | None:
    """{"name", "gender" (male|female|other|unknown), "birthday" (ISO 8601 "1990-01-01T00:00:00Z")} when the text
    states any of them, else None. Fields the text does not state are None ("unknown" for gender)."""
    return patient.metadata(text)
