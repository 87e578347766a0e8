"""Clinical coding: the codes of what a note mentions, with where the transcript and context say it.

The codes are the lexicon's (codes.json), so every code shown is one the engine knows to be right; the note is
extracted itself, so each location in it is exact.
"""

from __future__ import annotations

from collections.abc import Sequence

from mockserver.clinical.extraction.lexicon import LEXICON
from mockserver.clinical.notes import Consultation, Finding, Mention, facts

CODE_SYSTEMS = {"snomed": "snomed_ct", "rxnorm": "rxnorm", "loinc": "loinc", "cvx": "cvx", "atc": "atc"}
"""Lexicon code key -> the lower-case system id the API shows. In order of preference for the primary code: a
medication's RxNorm code is primary and its ATC code a similar one."""
_SYSTEMS = {
    "snomed": ("SNOMED CT", "http://snomed.info/sct"),
    "rxnorm": ("RxNorm", "http://www.nlm.nih.gov/research/umls/rxnorm"),
    "loinc": ("LOINC", "http://loinc.org"),
    "cvx": ("CVX", "http://hl7.org/fhir/sid/cvx"),
    "atc": ("ATC", "http://www.whocc.no/atc"),
}
"""Each system's name and its FHIR system URI."""


def clinical_entities(note: str, transcript: str, context: Sequence[str] = ()) -> list[dict]:
    """One entity per coded concept the note affirms, in order of its first affirmed mention in the note:
    {"location_in_note": [{"start", "end"}], "reference_in_transcript": [{"transcript_text",
    "location_in_transcript": {"start", "end"}}], "reference_in_context": [{"context_index", "context_text",
    "location_in_context": {"start", "end"}}], "primary_code": {...}, "similar_codes": [...]}.

    A location is the mention itself (note[start:end] names the entity); transcript_text and context_text are the
    sentence around it. context_index is the position of the text in `context` (earlier notes, clinician notes:
    whatever the caller counts as context). Negated mentions are neither coded nor cited."""
    in_note = _affirmed(facts(Consultation(transcript=note)).current)
    in_transcript = _affirmed(facts(Consultation(transcript=transcript)).current)
    in_context = _affirmed(facts(Consultation(context=tuple(context))).earlier)
    entities = []
    for key, (fields, mentions) in in_note.items():
        codes = [(system, fields["codes"][system]) for system in CODE_SYSTEMS if system in fields.get("codes", {})]
        if not codes:
            continue
        score = round(min(max(max(m.tagging_certainty for m in mentions), 0.0), 1.0), 4)
        primary, *similar = [_code(key, fields["name"], system, code, score) for system, code in codes]
        entities.append({
            "location_in_note": [_location(m) for m in mentions],
            "reference_in_transcript": [
                {"transcript_text": m.excerpt, "location_in_transcript": _location(m)}
                for m in in_transcript.get(key, (None, ()))[1]],
            "reference_in_context": [
                {"context_index": m.index, "context_text": m.excerpt, "location_in_context": _location(m)}
                for m in in_context.get(key, (None, ()))[1]],
            "primary_code": primary,
            "similar_codes": similar,
        })
    return entities


def _affirmed(findings: tuple[Finding, ...]) -> dict[tuple[str, str], tuple[dict, list[Mention]]]:
    """Per (category, concept) the fields of its first finding and its mentions that are not negated, in text
    order: the code belongs to the concept, so two doses of one drug are one coded entity."""
    found: dict[tuple[str, str], tuple[dict, list[Mention]]] = {}
    for finding in findings:
        mentions = [m for m in finding.mentions if not m.negated]
        if mentions:
            found.setdefault((finding.category, finding.concept), (finding.fields, []))[1].extend(mentions)
    for _, mentions in found.values():
        mentions.sort(key=lambda m: (m.index, m.start))
    return dict(sorted(found.items(), key=lambda item: (item[1][1][0].index, item[1][1][0].start)))


def _code(key: tuple[str, str], name: str, system: str, code: str, score: float) -> dict:
    category, concept = key
    system_name, uri = _SYSTEMS[system]
    metadata = {"concept": concept, "category": category, "system_name": system_name, "system_uri": uri}
    entry = LEXICON.codes[category][concept]
    if category == "allergies" and entry.get("category"):
        metadata["allergy_category"] = entry["category"]
    if category == "observations":
        metadata["observation_category"] = entry.get("category")
        metadata["units"] = list(entry.get("units", ()))
    return {"code": code, "code_name": name, "metadata": metadata, "score": score, "code_system": CODE_SYSTEMS[system]}


def _location(mention: Mention) -> dict:
    return {"start": mention.start, "end": mention.end}
