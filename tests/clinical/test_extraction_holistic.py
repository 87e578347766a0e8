"""The HolisticPatient: records, deduplication across them, incremental updates, config flags, the schema."""

import copy
import hashlib

import pytest

from mockserver.clinical.extraction import holistic_patient
from mockserver.core.schemas import SchemaRegistry

NOW, LATER = "2024-12-22T10:30:00Z", "2024-12-23T08:00:00Z"
HOLISTIC = SchemaRegistry.default().validator("haidy/holistic-patient")
DOC_TEXT = "Patient presents with hypertension. Current medications: Lisinopril 10mg daily."
DIABETES = "Patient has type 2 diabetes. Current medications: Metformin 1000mg twice daily."
JOHN = "Patient John Doe, DOB 1990-01-01, diagnosed with type 2 diabetes."


def record(text, record_id=None):
    """A record as the task engine hands it over."""
    return {"record_id": record_id, "content_hash": "sha256:" + hashlib.sha256(text.encode()).hexdigest(),
            "input_text": text, "content": {"type": "plain_text", "text": text}}


def build(*texts, existing=None, config=None, now=NOW):
    result = holistic_patient([record(t) for t in texts], existing=existing, config=config or {}, now=now)
    assert list(HOLISTIC.iter_errors(result)) == []
    return result


def entities(holistic, category):
    return [(e["identity_fields"]["name"], [(i["record_id"], i["display_str"]) for i in e["instantiations"]])
            for e in holistic["patient_structured_output"][category]]


def test_the_docs_request_gives_exactly_the_schema_s_example():
    """The schema embeds the mock's answer to the docs' first request, so the contract shows real output."""
    example = SchemaRegistry.default().schema("haidy/holistic-patient")["examples"][1]
    config = {"structure_engine_version": "1.0.0", "include_record_structured": True, "output_language": "en"}
    result = holistic_patient([record(DOC_TEXT, "123e4567-e89b-12d3-a456-426614174000")], existing=None, config=config,
                              now="2024-12-22T10:32:15Z")
    assert result == example


def test_default_shape():
    result = build(JOHN, DIABETES)
    assert list(result) == ["patient_id", "holistic_patient_id", "clinical_records", "patient_metadata",
                            "patient_structured_output", "created_at", "last_modified"]
    assert [list(r) for r in result["clinical_records"]] == [["record_id", "content_hash", "record_structured"]] * 2
    assert result["clinical_records"][1]["record_structured"]["input_text"] == DIABETES
    assert result["patient_metadata"] == {"name": "John Doe", "gender": "male", "birthday": "1990-01-01T00:00:00Z"}
    assert result["created_at"] == result["last_modified"] == NOW


def test_entities_are_deduplicated_across_records_with_their_mentions_merged():
    result = build(JOHN, DIABETES)
    first, second = (r["record_id"] for r in result["clinical_records"])
    assert entities(result, "conditions") == [
        ("Type 2 diabetes", [(first, "type 2 diabetes"), (second, "type 2 diabetes")])
    ]
    assert entities(result, "medications") == [("Metformin", [(second, "Metformin 1000mg twice daily")])]
    per_record = [r["record_structured"]["structured_output"]["conditions"][0] for r in result["clinical_records"]]
    assert per_record[0]["identity_signature"] == per_record[1]["identity_signature"] == \
        result["patient_structured_output"]["conditions"][0]["identity_signature"]
    assert "record_id" not in per_record[0]["instantiations"][0]


def test_identical_input_identical_output_and_ids_from_content():
    assert build(JOHN, DIABETES) == build(JOHN, DIABETES)
    other = build(DIABETES)
    assert other["holistic_patient_id"] != build(JOHN, DIABETES)["holistic_patient_id"]
    assert build(JOHN)["patient_id"] == build(JOHN, DIABETES)["patient_id"], "the same named patient keeps the same id"
    assert build(DIABETES)["clinical_records"][0]["record_id"] == build(DIABETES)["clinical_records"][0]["record_id"]


def test_given_record_ids_are_kept():
    result = holistic_patient(
        [record(DIABETES, "223e4567-e89b-12d3-a456-426614174001")], existing=None, config={}, now=NOW
    )
    assert result["clinical_records"][0]["record_id"] == "223e4567-e89b-12d3-a456-426614174001"
    assert {i["record_id"] for e in result["patient_structured_output"]["conditions"] for i in e["instantiations"]} == \
        {"223e4567-e89b-12d3-a456-426614174001"}


def test_a_record_repeated_in_one_request_is_processed_once():
    result = build(DIABETES, DIABETES)
    assert len(result["clinical_records"]) == 1
    assert [len(e["instantiations"]) for e in result["patient_structured_output"]["conditions"]] == [1]


def test_incremental_update_extends_without_duplicates():
    first = build(JOHN)
    frozen = copy.deepcopy(first)
    second = build(JOHN, DIABETES, "Hypertonie seit 2019.", existing=first, now=LATER)
    assert first == frozen, "the client's holistic patient is not modified"
    assert [r["record_id"] for r in second["clinical_records"]][:1] == [first["clinical_records"][0]["record_id"]]
    assert len(second["clinical_records"]) == 3
    assert (second["patient_id"], second["holistic_patient_id"], second["created_at"]) == \
        (first["patient_id"], first["holistic_patient_id"], NOW)
    assert second["last_modified"] == LATER
    assert [name for name, _ in entities(second, "conditions")] == ["Type 2 diabetes", "Hypertension"]
    assert len(second["patient_structured_output"]["conditions"][0]["instantiations"]) == 2
    again = build(JOHN, DIABETES, existing=second, now="2024-12-24T00:00:00Z")
    assert again == second, "nothing new: nothing changes, not even last_modified"


def test_incremental_update_in_another_output_language_still_deduplicates():
    german = build("Hypertonie.", config={"output_language": "de"})
    both = build("Known hypertension.", existing=german, now=LATER)
    assert [(name, len(mentions)) for name, mentions in entities(both, "conditions")] == [("Hypertonie", 2)]


def test_an_existing_patient_without_aggregate_is_aggregated_from_its_records():
    first = build(JOHN)
    del first["patient_structured_output"]
    second = build(DIABETES, existing=first, now=LATER)
    assert [(name, len(mentions)) for name, mentions in entities(second, "conditions")] == [("Type 2 diabetes", 2)]


def test_patient_metadata_is_completed_from_later_records():
    result = build("Patient John Doe has a cough.", "DOB 1990-01-01. He denies fever.")
    assert result["patient_metadata"] == {"name": "John Doe", "gender": "male", "birthday": "1990-01-01T00:00:00Z"}
    assert build(DIABETES)["patient_metadata"] is None


@pytest.mark.parametrize("config, present, absent", [
    ({}, {"record_structured"}, {"content", "record_metadata"}),
    ({"include_record_structured": False}, set(), {"record_structured", "content", "record_metadata"}),
    ({"include_record_content": True}, {"content", "record_structured"}, {"record_metadata"}),
    ({"include_record_metadata": True}, {"record_metadata", "record_structured"}, {"content"}),
])
def test_record_flags(config, present, absent):
    (clinical_record,) = build(JOHN, config=config)["clinical_records"]
    assert present <= set(clinical_record) and not absent & set(clinical_record)


def test_record_content_and_metadata():
    (clinical_record,) = build(JOHN, config={"include_record_content": True, "include_record_metadata": True})[
        "clinical_records"
    ]
    assert clinical_record["content"] == {"type": "plain_text", "text": JOHN}
    assert clinical_record["record_metadata"] == {
        "language": "en", "title": JOHN, "dates": ["1990-01-01"],
        "patient_metadata": {"name": "John Doe", "gender": "male", "birthday": "1990-01-01T00:00:00Z"}}


@pytest.mark.parametrize("flag, key", [("include_patient_metadata", "patient_metadata"),
                                       ("include_patient_structured", "patient_structured_output")])
def test_patient_flags(flag, key):
    assert key in build(JOHN) and key not in build(JOHN, config={flag: False})


def test_output_language_applies_to_every_name():
    result = build("Hypertonie. Ibuprofen 400 mg 3x täglich.", config={"output_language": "it"})
    fields = [e["identity_fields"] for entities in result["patient_structured_output"].values() for e in entities]
    assert [(f["name"], f.get("frequency")) for f in fields] == [("Ibuprofene", "tre volte al giorno"),
                                                                  ("Ipertensione arteriosa", None)]


def test_no_records_no_entities():
    result = build()
    assert result["clinical_records"] == [] and result["patient_metadata"] is None
    assert all(v == [] for v in result["patient_structured_output"].values())
