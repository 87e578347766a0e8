"""A HolisticPatient as a FHIR R4B Bundle of type "collection" (POST /v2/structure/fhir).

Plain dicts (the tests validate them with fhir.resources.R4B). IDs are uuid5s of the patient and each entity's
identity_signature, so the same HolisticPatient always gives the same Bundle. fullUrls are "ResourceType/<id>" as
in the docs' example, and every `reference` names an entry's fullUrl; without the Patient entry
(include_patient=false) subjects are logical references by identifier instead, which need no entry.
"""

from __future__ import annotations

import re

from mockserver.clinical.extraction.aggregate import Aggregate
from mockserver.clinical.extraction.attributes import number
from mockserver.clinical.extraction.holistic import stable_id
from mockserver.clinical.extraction.lexicon import LEXICON

SYSTEMS = {"snomed": "http://snomed.info/sct", "rxnorm": "http://www.nlm.nih.gov/research/umls/rxnorm",
           "atc": "http://www.whocc.no/atc", "loinc": "http://loinc.org", "cvx": "http://hl7.org/fhir/sid/cvx"}
UCUM = "http://unitsofmeasure.org"
PATIENT_ID_SYSTEM = "https://api.44ai.ch/fhir/sid/patient-id"
"""The identifier system of logical patient references (include_patient=false); the mock's choice."""
_OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
_CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
_CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
_ALLERGY_CLINICAL = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical"
_ALLERGY_VERIFICATION = "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification"
_FHIR_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")
_DOSE = re.compile(r"(?P<value>[0-9]+(?:\.[0-9]+)?)\s*(?P<unit>\S.*)")
_DOSE_UNITS = {
    name: unit for unit, data in LEXICON.codes["dose_units"].items() for name in (unit, data.get("plural", unit))
}


def bundle(holistic: dict, documents: list[dict], *, include_patient=True, include_document_references=True,
           include_data=True) -> dict:
    """FHIR R4B Bundle type "collection": Patient (from patient_metadata), a DocumentReference per record
    (documents[i] = {"record_id", "content_type", "url" or "data" (base64) or None, "title"}; include_data puts
    url/data into attachment), MedicationStatement, Condition, Procedure, AllergyIntolerance, Immunization,
    Observation from patient_structured_output, with standard codings (SNOMED CT, RxNorm or ATC, LOINC, CVX)
    where the lexicon has them, fullUrl "ResourceType/<id>", stable ids, every reference resolving to an
    entry's fullUrl.

    A document without record_id is matched to its clinical record by "content_hash" when it carries one; documents
    of the same record (the same content sent twice) give one DocumentReference.
    Without patient_structured_output the entities are aggregated from the records' structured outputs."""
    patient_id = _fhir_id(holistic.get("patient_id") or stable_id("patient", holistic.get("holistic_patient_id") or ""))
    subject = ({"reference": f"Patient/{patient_id}"} if include_patient
               else {"identifier": {"system": PATIENT_ID_SYSTEM, "value": holistic.get("patient_id") or patient_id}})
    resources = [_patient(patient_id, holistic.get("patient_metadata"))] if include_patient else []
    if include_document_references:
        for index, document in enumerate(documents):
            reference = _document_reference(holistic, index, document, subject, include_data)
            if all(reference["id"] != r["id"] for r in resources):
                resources.append(reference)
    entities = Aggregate.of(holistic).output()
    for category, build in _BUILDERS.items():
        for entity in entities[category]:
            resource = build(entity["identity_fields"], _State(entity["instantiations"]), subject)
            resource["id"] = stable_id(resource["resourceType"], patient_id, entity["identity_signature"])
            resources.append(resource)
    result = {"resourceType": "Bundle", "id": stable_id("bundle", holistic.get("holistic_patient_id") or patient_id),
              "type": "collection"}
    if holistic.get("last_modified"):
        result["timestamp"] = holistic["last_modified"]
    result["entry"] = [{"fullUrl": f"{r['resourceType']}/{r['id']}", "resource": _ordered(r)} for r in resources]
    return result


class _State:
    """What an entity's mentions say together: negated only if every mention is; the date nearest a mention."""

    def __init__(self, instantiations: list[dict]):
        affirmed = [i for i in instantiations if not (i.get("status") or {}).get("negated")]
        self.negated = bool(instantiations) and not affirmed
        considered = affirmed or instantiations
        self.possible = bool(affirmed) and all((i.get("status") or {}).get("certainty") == "possible" for i in affirmed)
        self.historical = bool(considered) and all((i.get("status") or {}).get("historical") for i in considered)
        self.when = next((date for i in considered if (date := _nearest_date(i))), None)


def _nearest_date(instantiation: dict) -> str | None:
    span = instantiation.get("span") or {}
    dates = [r for r in instantiation.get("time_references") or [] if r.get("type") == "date"]
    if not dates or "start" not in span:
        return dates[0]["value"] if dates else None
    return min(dates, key=lambda r: abs(r["span"]["start"] - span["start"]))["value"]


def _patient(patient_id: str, metadata: dict | None) -> dict:
    resource = {"resourceType": "Patient", "id": patient_id, "active": True}
    metadata = metadata or {}
    if metadata.get("name"):
        *given, family = metadata["name"].split()
        resource["name"] = [{"text": metadata["name"], "family": family, **({"given": given} if given else {})}]
    if metadata.get("gender"):
        resource["gender"] = metadata["gender"]
    if metadata.get("birthday"):
        resource["birthDate"] = metadata["birthday"][:10]
    return resource


def _document_reference(holistic: dict, index: int, document: dict, subject: dict, include_data: bool) -> dict:
    attachment = {"contentType": document.get("content_type") or "application/octet-stream"}
    if include_data:
        attachment.update({key: document[key] for key in ("url", "data") if document.get(key)})
    if document.get("title"):
        attachment["title"] = document["title"]
    return {"resourceType": "DocumentReference", "id": _document_id(holistic, index, document), "status": "current",
            "subject": subject, "content": [{"attachment": attachment}]}


def _document_id(holistic: dict, index: int, document: dict) -> str:
    """The record's id (as in the docs' example), found by content_hash when the document does not name it."""
    record_id = document.get("record_id")
    if record_id is None and document.get("content_hash"):
        record_id = next((r.get("record_id") for r in holistic.get("clinical_records") or []
                          if r.get("content_hash") == document["content_hash"]), None)
    return _fhir_id(record_id or stable_id("document", str(index), document.get("title") or ""))


def _medication_statement(fields: dict, state: _State, subject: dict) -> dict:
    status = "not-taken" if state.negated else "completed" if state.historical else "active"
    resource = {"resourceType": "MedicationStatement", "status": status, "medicationCodeableConcept": _concept(fields),
                "subject": subject}
    if state.when:
        resource["effectiveDateTime"] = state.when
    dosage = _dosage(fields)
    if dosage:
        resource["dosage"] = [dosage]
    return resource


def _dosage(fields: dict) -> dict | None:
    shown = [fields[key] for key in ("dose", "route", "frequency") if fields.get(key)]
    if not shown:
        return None
    dosage: dict = {"text": " ".join(shown)}
    timing = LEXICON.codes["frequencies"].get(LEXICON.key_of("frequencies", fields.get("frequency") or "") or "")
    if timing and timing.get("as_needed"):
        dosage["asNeededBoolean"] = True
    elif timing:
        repeat = {key: timing[key] for key in ("frequency", "period", "periodUnit")}
        dosage["timing"] = {"repeat": {**repeat, **({"when": [timing["when"]]} if "when" in timing else {})}}
    route = LEXICON.key_of("routes", fields.get("route") or "")
    if route:
        code = LEXICON.codes["routes"][route].get("snomed")
        coding = {"coding": [{"system": SYSTEMS["snomed"], "code": code}]} if code else {}
        dosage["route"] = {**coding, "text": fields["route"]}
    dose = _DOSE.fullmatch(fields.get("dose") or "")
    if dose and dose.group("unit") in _DOSE_UNITS:
        unit = _DOSE_UNITS[dose.group("unit")]
        dosage["doseAndRate"] = [{"doseQuantity": {"value": number(dose.group("value")), "unit": dose.group("unit"),
                                                   "system": UCUM, "code": LEXICON.codes["dose_units"][unit]["ucum"]}}]
    return dosage


def _condition(fields: dict, state: _State, subject: dict) -> dict:
    resource: dict = {"resourceType": "Condition"}
    if not state.negated:
        resource["clinicalStatus"] = _coded(_CONDITION_CLINICAL, "inactive" if state.historical else "active")
    verification = "refuted" if state.negated else "provisional" if state.possible else "confirmed"
    resource.update({"verificationStatus": _coded(_CONDITION_VERIFICATION, verification), "code": _concept(fields),
                     "subject": subject})
    if state.when:
        resource["onsetDateTime"] = state.when
    return resource


def _procedure(fields: dict, state: _State, subject: dict) -> dict:
    resource = {"resourceType": "Procedure", "status": "not-done" if state.negated else "completed",
                "code": _concept(fields), "subject": subject}
    if state.when:
        resource["performedDateTime"] = state.when
    return resource


def _allergy_intolerance(fields: dict, state: _State, subject: dict) -> dict:
    verification = "refuted" if state.negated else "unconfirmed" if state.possible else "confirmed"
    resource = {"resourceType": "AllergyIntolerance",
                "clinicalStatus": _coded(_ALLERGY_CLINICAL, "inactive" if state.negated else "active"),
                "verificationStatus": _coded(_ALLERGY_VERIFICATION, verification), "type": "allergy"}
    category = (LEXICON.codes["allergies"].get(fields.get("concept") or "") or {}).get("category")
    if category:
        resource["category"] = [category]
    resource.update({"code": _concept(fields), "patient": subject})
    if state.when:
        resource["onsetDateTime"] = state.when
    return resource


def _immunization(fields: dict, state: _State, subject: dict) -> dict:
    resource = {"resourceType": "Immunization", "status": "not-done" if state.negated else "completed",
                "vaccineCode": _concept(fields), "patient": subject}
    resource.update({"occurrenceDateTime": state.when} if state.when else {"occurrenceString": "unknown"})
    return resource


def _observation(fields: dict, state: _State, subject: dict) -> dict:
    resource: dict = {"resourceType": "Observation", "status": "final"}
    category = (LEXICON.codes["observations"].get(fields.get("concept") or "") or {}).get("category")
    if category:
        resource["category"] = [{"coding": [{"system": _OBSERVATION_CATEGORY, "code": category}]}]
    resource.update({"code": _concept(fields), "subject": subject})
    if state.when:
        resource["effectiveDateTime"] = state.when
    if fields.get("components"):
        resource["component"] = [{"code": _concept(part), **_value(part)} for part in fields["components"]]
    else:
        resource.update(_value(fields))
    return resource


def _value(fields: dict) -> dict:
    value = fields.get("value")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return {"valueString": str(value)} if value is not None else {}
    quantity: dict = {"value": value}
    unit = fields.get("unit")
    if unit:
        quantity["unit"] = unit
        if unit in LEXICON.codes["units"]:
            quantity.update({"system": UCUM, "code": LEXICON.codes["units"][unit]["ucum"]})
    return {"valueQuantity": quantity}


def _concept(fields: dict) -> dict:
    """A CodeableConcept: the standard codings the entity carries, and its name as text."""
    codings = [{"system": SYSTEMS[system], "code": code} for system, code in (fields.get("codes") or {}).items()
               if system in SYSTEMS]
    return {**({"coding": codings} if codings else {}), "text": fields.get("name") or "unknown"}


def _coded(system: str, code: str) -> dict:
    return {"coding": [{"system": system, "code": code}]}


def _fhir_id(value: str) -> str:
    """`value` when it is a valid FHIR id, else a uuid5 of it."""
    return value if _FHIR_ID.fullmatch(value) else stable_id("id", value)


def _ordered(resource: dict) -> dict:
    """resourceType and id first, as FHIR JSON is usually written."""
    return {"resourceType": resource["resourceType"], "id": resource["id"],
            **{k: v for k, v in resource.items() if k not in ("resourceType", "id")}}


_BUILDERS = {"medications": _medication_statement, "conditions": _condition, "procedures": _procedure,
             "allergies": _allergy_intolerance, "immunizations": _immunization, "observations": _observation}
