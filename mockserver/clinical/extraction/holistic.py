"""The HolisticPatient: records processed into entities, patient metadata and the patient-level aggregate,
optionally extending one the client already holds.

Everything is derived from content: IDs are uuid5s of content hashes and patient details, so the same input
always gives the same output (apart from the `now` timestamps the caller passes).
"""

from __future__ import annotations

import copy
import uuid

from mockserver.clinical.extraction import dates, patient, record
from mockserver.clinical.extraction.aggregate import Aggregate
from mockserver.clinical.extraction.language import detect_language

NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://api.44ai.ch/mockserver/haidy")
DEFAULTS = {"include_record_structured": True, "include_record_content": False, "include_record_metadata": False,
            "include_patient_metadata": True, "include_patient_structured": True, "output_language": "en"}
"""The docs' example result shows record_structured and patient_metadata without asking for them, and no content."""
_TITLE_LENGTH = 120


def stable_id(*parts: str) -> str:
    """A uuid5 of `parts`: the same content always gets the same ID."""
    return str(uuid.uuid5(NAMESPACE, "|".join(parts)))


def holistic_patient(records: list[dict], *, existing: dict | None, config: dict, now: str) -> dict:
    """The HolisticPatient of the doc: `records` are the new clinical records as the task engine processed them, each
    {"record_id": str, "content_hash": "sha256:<hex>", "input_text": str, "content": {...}};
    `existing` a HolisticPatient
    given by the client for incremental update (extend it: keep its records and ids, add new records, records with a
    content_hash already present are not processed again); `config` the request's config (include_record_structured
    default true, include_record_content, include_record_metadata, include_patient_metadata, include_patient_structured,
    output_language default "en"); `now` an ISO timestamp from the mock's clock for created_at/last_modified.

    A record without record_id gets uuid5(content_hash); a record carrying "structured_output" (a test's override)
    uses it instead of extraction. The result is never `existing` itself (it is copied)."""
    options = {**DEFAULTS, **{key: value for key, value in (config or {}).items() if value is not None}}
    base = copy.deepcopy(existing) if existing else {}
    clinical_records = list(base.get("clinical_records") or [])
    hashes = {r.get("content_hash") for r in clinical_records}
    aggregate = Aggregate.of(base)
    metadata = base.get("patient_metadata")
    added = 0
    for new in records:
        if new["content_hash"] in hashes:
            continue
        hashes.add(new["content_hash"])
        text = new.get("input_text") or ""
        record_id = new.get("record_id") or stable_id("record", new["content_hash"])
        structured = (
            new["structured_output"]
            if "structured_output" in new
            else record.structure(text, options["output_language"])
        )
        found = patient.metadata(text)
        metadata = patient.merge(metadata, found)
        aggregate.add(record_id, structured)
        clinical_records.append(_clinical_record(record_id, new, text, structured, found, options))
        added += 1
    holistic_id = (base.get("holistic_patient_id")
                   or stable_id("holistic", *(r.get("content_hash") or "" for r in clinical_records)))
    result = {"patient_id": base.get("patient_id") or _patient_id(metadata, holistic_id),
              "holistic_patient_id": holistic_id,
              "clinical_records": clinical_records}
    if options["include_patient_metadata"]:
        result["patient_metadata"] = metadata
    if options["include_patient_structured"]:
        result["patient_structured_output"] = aggregate.output()
    result["created_at"] = base.get("created_at") or now
    result["last_modified"] = now if added or not base.get("last_modified") else base["last_modified"]
    return result


def _patient_id(metadata: dict | None, holistic_id: str) -> str:
    """Keyed by name and birthday when the records state them, so the same person gets the same ID."""
    if metadata and (metadata.get("name") or metadata.get("birthday")):
        return stable_id("patient", metadata.get("name") or "", metadata.get("birthday") or "")
    return stable_id("patient", holistic_id)


def _clinical_record(record_id: str, new: dict, text: str, structured: dict, found: dict | None, options: dict) -> dict:
    result = {"record_id": record_id, "content_hash": new["content_hash"]}
    if options["include_record_content"] and new.get("content") is not None:
        result["content"] = new["content"]
    if options["include_record_metadata"]:
        result["record_metadata"] = _record_metadata(text, found)
    if options["include_record_structured"]:
        result["record_structured"] = {"input_text": text, "structured_output": structured}
    return result


def _record_metadata(text: str, found: dict | None) -> dict:
    """What a document registry (EPD) would want to know: language, a title, the dates it mentions, the patient."""
    title = next((line.strip() for line in text.splitlines() if line.strip()), "")
    mentioned = list(dict.fromkeys(r.value for r in dates.find(text) if r.type == "date"))
    return {"language": detect_language(text), "title": title[:_TITLE_LENGTH] or None, "dates": mentioned,
            "patient_metadata": found}
