"""Clinical coding: exact locations in the note, transcript and context, the right systems, nothing negated."""

from mockserver.clinical import notes
from mockserver.clinical.codes import CODE_SYSTEMS, clinical_entities
from mockserver.clinical.notes import Consultation, NoteTemplate, Section, write_note

TRANSCRIPT = ("He came in for a review of his hypertension. He takes lisinopril 10 mg daily and metformin 500 mg twice "
              "daily. He is allergic to penicillin. BP 150/90. No chest pain.")
TEMPLATE = NoteTemplate("t", (Section("Complaint", ("complaint",)), Section("Medications", ("medications",)),
                              Section("Allergies", ("allergies",)), Section("Exam", ("observations",)),
                              Section("Assessment", ("problems",))))
NOTE = write_note(Consultation(TRANSCRIPT), TEMPLATE)
CONTEXT = ("Known hypertension.", "Allergies: penicillin")


def by_concept(entities: list[dict]) -> dict[str, dict]:
    return {entity["primary_code"]["metadata"]["concept"]: entity for entity in entities}


def test_codes_name_the_concept_in_its_system():
    coded = by_concept(clinical_entities(NOTE, TRANSCRIPT))
    assert list(coded) == ["hypertension", "lisinopril", "metformin", "penicillin", "blood_pressure"]
    hypertension = coded["hypertension"]["primary_code"]
    assert (hypertension["code"], hypertension["code_system"], hypertension["code_name"]) == (
        "38341003", "snomed_ct", "Hypertension")
    assert hypertension["metadata"] == {"concept": "hypertension", "category": "conditions",
                                        "system_name": "SNOMED CT", "system_uri": "http://snomed.info/sct"}
    lisinopril = coded["lisinopril"]
    assert (lisinopril["primary_code"]["code"], lisinopril["primary_code"]["code_system"]) == ("29046", "rxnorm")
    assert [(c["code"], c["code_system"]) for c in lisinopril["similar_codes"]] == [("C09AA03", "atc")]
    assert coded["blood_pressure"]["primary_code"]["code_system"] == "loinc"
    assert coded["penicillin"]["primary_code"]["metadata"]["allergy_category"] == "medication"
    assert set(CODE_SYSTEMS.values()) == {"snomed_ct", "rxnorm", "atc", "loinc", "cvx"}


def test_locations_are_exact():
    coded = by_concept(clinical_entities(NOTE, TRANSCRIPT, CONTEXT))
    words = {"hypertension": "hypertension", "lisinopril": "lisinopril 10 mg daily",
             "metformin": "metformin 500 mg twice daily", "penicillin": "penicillin", "blood_pressure": "150/90"}
    for concept, entity in coded.items():
        for location in entity["location_in_note"]:
            assert words[concept] in NOTE[location["start"]:location["end"]].lower()
        for reference in entity["reference_in_transcript"]:
            start, end = reference["location_in_transcript"]["start"], reference["location_in_transcript"]["end"]
            assert words[concept] in TRANSCRIPT[start:end].lower()
            assert TRANSCRIPT[start:end] in reference["transcript_text"] and reference["transcript_text"] in TRANSCRIPT
    pressure = coded["blood_pressure"]["reference_in_transcript"][0]
    assert pressure == {"transcript_text": "BP 150/90.", "location_in_transcript": {"start": 141, "end": 150}}
    assert coded["hypertension"]["reference_in_context"] == [
        {"context_index": 0, "context_text": "Known hypertension.", "location_in_context": {"start": 6, "end": 18}}]
    assert coded["penicillin"]["reference_in_context"][0]["context_index"] == 1


def test_negated_mentions_are_not_coded():
    assert "chest_pain" not in by_concept(clinical_entities(NOTE, TRANSCRIPT))
    assert clinical_entities("No hypertension. Denies chest pain.", "hypertension") == []


def test_entities_follow_the_note_and_are_deterministic():
    first = clinical_entities(NOTE, TRANSCRIPT, CONTEXT)
    notes._read.cache_clear()
    assert clinical_entities(NOTE, TRANSCRIPT, CONTEXT) == first
    starts = [entity["location_in_note"][0]["start"] for entity in first]
    assert starts == sorted(starts)
    assert all(0 <= code["score"] <= 1 for e in first for code in (e["primary_code"], *e["similar_codes"]))


def test_html_notes_are_coded_at_their_own_offsets():
    html = write_note(Consultation(TRANSCRIPT), TEMPLATE, content_type="HTML")
    for entity in clinical_entities(html, TRANSCRIPT):
        for location in entity["location_in_note"]:
            assert "<" not in html[location["start"]:location["end"]]
