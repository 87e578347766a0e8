"""FHIR R4B Bundles from HolisticPatients: valid for fhir.resources, references resolving, standard codings, flags."""

import hashlib

import pytest
from fhir.resources.R4B.bundle import Bundle

from mockserver.clinical.extraction import holistic_patient
from mockserver.haidy.analyst import fhir

JOHN = "Patient John Doe, DOB 1990-01-01, diagnosed with type 2 diabetes."
RICH = (
    "Ibuprofen 400 mg p.o. 3x täglich seit 12.03.2023. Keine Allergien. Penicillin-Allergie. "
    "St. n. Appendektomie 2015. Tetanus-Impfung 2020. RR 130/80 mmHg, Gewicht 80 kg, INR 2.5. Kein Fieber. "
    "V.a. Pneumonie. Hypertonie seit 2019. "
    "Metformin 1000mg twice daily. Influenza vaccine. Keine Koloskopie. Salbutamol 2 puffs as needed."
)
DOC_RECORD = "123e4567-e89b-12d3-a456-426614174000"
SYSTEMS = {"MedicationStatement": {"http://www.nlm.nih.gov/research/umls/rxnorm", "http://www.whocc.no/atc"},
           "Condition": {"http://snomed.info/sct"}, "Procedure": {"http://snomed.info/sct"},
           "AllergyIntolerance": {"http://snomed.info/sct"}, "Immunization": {"http://hl7.org/fhir/sid/cvx"},
           "Observation": {"http://loinc.org"}}
REQUIRED = {"MedicationStatement": ("status", "medicationCodeableConcept", "subject"), "Condition": ("subject",),
            "Procedure": ("status", "subject"), "AllergyIntolerance": ("patient",),
            "Immunization": ("status", "vaccineCode", "patient"), "Observation": ("status", "code"),
            "Patient": (), "DocumentReference": ("status", "content")}


def holistic(*texts, ids=None):
    records = [{"record_id": (ids or {}).get(i), "content_hash": "sha256:" + hashlib.sha256(t.encode()).hexdigest(),
                "input_text": t, "content": {"type": "plain_text", "text": t}} for i, t in enumerate(texts)]
    return holistic_patient(records, existing=None, config={}, now="2024-12-22T10:32:15Z")


def documents(result, **extra):
    return [
        {"record_id": r["record_id"], "content_type": "text/plain", "data": "aGVsbG8=", "title": f"Record {i}", **extra}
        for i, r in enumerate(result["clinical_records"])
    ]


def valid(bundle: dict) -> dict:
    """Validates with fhir.resources (types, required fields, choice types) and checks what it does not: references."""
    Bundle.model_validate(bundle)
    assert bundle["type"] == "collection" and all("request" not in entry for entry in bundle["entry"])
    full_urls = [entry["fullUrl"] for entry in bundle["entry"]]
    assert len(full_urls) == len(set(full_urls))
    for entry in bundle["entry"]:
        resource = entry["resource"]
        assert entry["fullUrl"] == f"{resource['resourceType']}/{resource['id']}"
        assert all(field in resource for field in REQUIRED[resource["resourceType"]])
    assert set(_references(bundle)) <= set(full_urls)
    return bundle


def by_type(bundle, resource_type):
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == resource_type]


def by_text(bundle, resource_type, text):
    key = {"MedicationStatement": "medicationCodeableConcept", "Immunization": "vaccineCode"}.get(resource_type, "code")
    (resource,) = [r for r in by_type(bundle, resource_type) if r[key]["text"] == text]
    return resource


def test_the_docs_fhir_example():
    result = holistic(JOHN, ids={0: DOC_RECORD})
    bundle = valid(fhir.bundle(result, [{"record_id": DOC_RECORD, "content_type": "application/pdf",
                                         "url": "https://example.com/lab-results.pdf", "title": "Laboratory Results"}]))
    patient, document, condition = (e["resource"] for e in bundle["entry"])
    assert {k: patient[k] for k in ("resourceType", "active", "name", "gender", "birthDate")} == {
        "resourceType": "Patient", "active": True, "name": [{"text": "John Doe", "family": "Doe", "given": ["John"]}],
        "gender": "male", "birthDate": "1990-01-01"}
    assert document == {"resourceType": "DocumentReference", "id": DOC_RECORD, "status": "current",
                        "subject": {"reference": f"Patient/{patient['id']}"},
                        "content": [{"attachment": {"contentType": "application/pdf", "url": "https://example.com/lab-results.pdf",
                                                    "title": "Laboratory Results"}}]}
    assert condition["code"] == {
        "coding": [{"system": "http://snomed.info/sct", "code": "44054006"}],
        "text": "Type 2 diabetes",
    }
    assert bundle["entry"][0]["fullUrl"] == f"Patient/{result['patient_id']}"


def test_every_entity_becomes_a_coded_resource():
    result = holistic(RICH, JOHN)
    bundle = valid(fhir.bundle(result, documents(result)))
    count = sum(len(entities) for entities in result["patient_structured_output"].values())
    assert len(bundle["entry"]) == 1 + 2 + count
    for resource_type, systems in SYSTEMS.items():
        resources = by_type(bundle, resource_type)
        assert resources, resource_type
        key = {"MedicationStatement": "medicationCodeableConcept", "Immunization": "vaccineCode"}.get(
            resource_type, "code"
        )
        coded = [r for r in resources if r[key].get("coding")]
        assert coded and all({c["system"] for c in r[key]["coding"]} <= systems for r in coded)
    assert {
        c["system"] for c in by_text(bundle, "MedicationStatement", "Ibuprofen")["medicationCodeableConcept"]["coding"]
    } == SYSTEMS["MedicationStatement"]


def test_statuses_follow_negation_history_and_certainty():
    bundle = valid(fhir.bundle(holistic(RICH), []))
    assert "clinicalStatus" not in by_text(bundle, "Condition", "Fever")
    assert by_text(bundle, "Condition", "Fever")["verificationStatus"]["coding"][0]["code"] == "refuted"
    assert by_text(bundle, "Condition", "Pneumonia")["verificationStatus"]["coding"][0]["code"] == "provisional"
    hypertension = by_text(bundle, "Condition", "Hypertension")
    assert (hypertension["clinicalStatus"]["coding"][0]["code"], hypertension["onsetDateTime"]) == ("active", "2019")
    appendectomy = by_text(bundle, "Procedure", "Appendectomy")
    assert (appendectomy["status"], appendectomy["performedDateTime"]) == ("completed", "2015")
    assert by_text(bundle, "Procedure", "Colonoscopy")["status"] == "not-done"
    assert by_text(bundle, "Immunization", "Tetanus vaccine")["occurrenceDateTime"] == "2020"
    assert by_text(bundle, "Immunization", "Influenza vaccine")["occurrenceString"] == "unknown"
    generic = by_text(bundle, "AllergyIntolerance", "Allergy")
    assert generic["verificationStatus"]["coding"][0]["code"] == "refuted" and "coding" not in generic["code"]
    penicillin = by_text(bundle, "AllergyIntolerance", "Penicillin")
    assert (penicillin["category"], penicillin["code"]["coding"][0]["code"]) == (["medication"], "764146007")


def test_medication_dosage():
    bundle = valid(fhir.bundle(holistic(RICH), []))
    ibuprofen = by_text(bundle, "MedicationStatement", "Ibuprofen")
    assert (ibuprofen["status"], ibuprofen["effectiveDateTime"]) == ("active", "2023-03-12")
    assert ibuprofen["dosage"] == [
        {
            "text": "400mg oral three times daily",
            "timing": {"repeat": {"frequency": 3, "period": 1, "periodUnit": "d"}},
            "route": {"coding": [{"system": "http://snomed.info/sct", "code": "26643006"}], "text": "oral"},
            "doseAndRate": [
                {"doseQuantity": {"value": 400, "unit": "mg", "system": "http://unitsofmeasure.org", "code": "mg"}}
            ],
        }
    ]
    salbutamol = by_text(bundle, "MedicationStatement", "Salbutamol")["dosage"][0]
    assert salbutamol["asNeededBoolean"] is True and salbutamol["doseAndRate"][0]["doseQuantity"]["code"] == "{puff}"


def test_observations_with_units_and_components():
    bundle = valid(fhir.bundle(holistic(RICH), []))
    pressure = by_text(bundle, "Observation", "Blood pressure")
    assert pressure["category"][0]["coding"][0]["code"] == "vital-signs"
    assert [(c["code"]["coding"][0]["code"], c["valueQuantity"]) for c in pressure["component"]] == [
        ("8480-6", {"value": 130, "unit": "mmHg", "system": "http://unitsofmeasure.org", "code": "mm[Hg]"}),
        ("8462-4", {"value": 80, "unit": "mmHg", "system": "http://unitsofmeasure.org", "code": "mm[Hg]"})]
    assert by_text(bundle, "Observation", "Body weight")["valueQuantity"] == {
        "value": 80, "unit": "kg", "system": "http://unitsofmeasure.org", "code": "kg"}
    inr = by_text(bundle, "Observation", "INR")
    assert inr["valueQuantity"] == {"value": 2.5} and inr["category"][0]["coding"][0]["code"] == "laboratory"


def test_include_patient_false_uses_logical_references():
    result = holistic(RICH, JOHN)
    bundle = valid(fhir.bundle(result, documents(result), include_patient=False))
    assert by_type(bundle, "Patient") == [] and list(_references(bundle)) == []
    subjects = [r.get("subject") or r.get("patient") for r in (e["resource"] for e in bundle["entry"])]
    assert all(s == {"identifier": {"system": fhir.PATIENT_ID_SYSTEM, "value": result["patient_id"]}} for s in subjects)


def test_include_document_references_and_data():
    result = holistic(JOHN, RICH)
    assert (
        by_type(valid(fhir.bundle(result, documents(result), include_document_references=False)), "DocumentReference")
        == []
    )
    without_data = by_type(valid(fhir.bundle(result, documents(result), include_data=False)), "DocumentReference")
    assert [d["content"][0]["attachment"] for d in without_data] == [
        {"contentType": "text/plain", "title": "Record 0"}, {"contentType": "text/plain", "title": "Record 1"}]
    with_data = by_type(valid(fhir.bundle(result, documents(result))), "DocumentReference")
    assert [d["content"][0]["attachment"]["data"] for d in with_data] == ["aGVsbG8=", "aGVsbG8="]
    assert [d["id"] for d in with_data] == [r["record_id"] for r in result["clinical_records"]]


def test_a_document_without_record_id_is_found_by_content_hash():
    result = holistic(JOHN)
    (clinical_record,) = result["clinical_records"]
    document = {
        "record_id": None,
        "content_hash": clinical_record["content_hash"],
        "content_type": "text/plain",
        "url": None,
        "data": None,
        "title": None,
    }
    (reference,) = by_type(valid(fhir.bundle(result, [document])), "DocumentReference")
    assert reference["id"] == clinical_record["record_id"] and reference["content"][0]["attachment"] == {
        "contentType": "text/plain"
    }


def test_the_same_record_sent_twice_gives_one_document_reference():
    result = holistic(JOHN, JOHN)
    twice = [
        {
            "record_id": None,
            "content_hash": result["clinical_records"][0]["content_hash"],
            "content_type": "text/plain",
            "title": title,
        }
        for title in ("first", "second")
    ]
    (reference,) = by_type(valid(fhir.bundle(result, twice)), "DocumentReference")
    assert reference["content"][0]["attachment"]["title"] == "first"


def test_the_same_patient_gives_the_same_bundle():
    result = holistic(RICH)
    assert fhir.bundle(result, documents(result)) == fhir.bundle(holistic(RICH), documents(result))


def test_without_patient_structured_output_the_records_are_aggregated():
    result = holistic_patient([{"record_id": "r1", "content_hash": "sha256:1", "input_text": JOHN, "content": {}}],
                              existing=None, config={"include_patient_structured": False}, now="2024-12-22T10:32:15Z")
    assert "patient_structured_output" not in result
    assert [r["code"]["text"] for r in by_type(valid(fhir.bundle(result, [])), "Condition")] == ["Type 2 diabetes"]


def test_a_client_made_patient_without_codes_or_ids_still_validates():
    made = {
        "patient_id": "not a fhir id!",
        "clinical_records": [],
        "patient_metadata": {"name": "Cher", "gender": "female", "birthday": None},
        "patient_structured_output": {
            "conditions": [{"identity_signature": "c1", "identity_fields": {"name": "Rash"}, "instantiations": []}],
            "observations": [
                {"identity_signature": "o1", "identity_fields": {"name": "Mood", "value": "good"}, "instantiations": []}
            ],
        },
    }
    bundle = valid(fhir.bundle(made, []))
    assert by_type(bundle, "Patient")[0]["name"] == [{"text": "Cher", "family": "Cher"}]
    assert by_type(bundle, "Observation")[0]["valueString"] == "good"


@pytest.mark.parametrize("text", [JOHN, RICH, "", "Vital signs: BP 120/80, HR 72, Temp 38.5°C"])
def test_bundles_of_assorted_records_validate(text):
    result = holistic(text)
    for flags in ({}, {"include_patient": False}, {"include_document_references": False, "include_data": False}):
        valid(fhir.bundle(result, documents(result), **flags))


def _references(node):
    if isinstance(node, dict):
        if "reference" in node:
            yield node["reference"]
        for value in node.values():
            yield from _references(value)
    elif isinstance(node, list):
        for value in node:
            yield from _references(value)
