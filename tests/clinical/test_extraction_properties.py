"""Properties over any text: spans slice the input to their mention, the same input gives the same output, and a
signature is the hash of its English identity fields whatever the output language.

Examples per test: $MOCKSERVER_CONTRACT_EXAMPLES (the slow test runs ten times as many)."""

import hashlib
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contracts.support import examples
from mockserver.clinical.extraction import holistic_patient, patient_metadata, structure_text
from mockserver.clinical.extraction.identity import PREFIX
from mockserver.clinical.extraction.lexicon import LANGUAGES, LEXICON

WORDS = sorted(
    {" ".join(key) for key in LEXICON.phrases}
    | {
        "Lisinopril 10mg daily",
        "BP 120/80",
        "HR 72",
        "Temp 38.5°C",
        "HbA1c 7.2 %",
        "Gewicht 80 kg",
        "3x täglich",
        "1-0-1",
        "since 2019",
        "12.03.2023",
        "2023-03-12",
        "for 3 days",
        "Patient John Doe",
        "DOB 1990-01-01",
        "geb. 12.08.1964",
        "Penicillin-Allergie",
        "Grippeimpfung",
        "keine",
        "no",
        "denies",
        "St. n.",
        "but",
        "aber",
        "mg",
        "°C",
        "x",
        "RR 130/80",
    }
)
SEPARATORS = st.sampled_from([" ", "  ", ", ", ". ", ": ", "; ", "\n", "-", "/", "'", " (", ") ", ""])
SENTENCES = st.lists(st.tuples(st.sampled_from(WORDS), SEPARATORS), max_size=25).map(
    lambda parts: "".join(word + sep for word, sep in parts))
TEXTS = st.one_of(st.text(max_size=200), SENTENCES, st.builds(lambda a, b: a + b, SENTENCES, st.text(max_size=20)))
_FAST = settings(max_examples=examples(100), deadline=None, suppress_health_check=[HealthCheck.too_slow])
_SLOW = settings(max_examples=examples(100) * 10, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def check(text: str) -> None:
    output = structure_text(text)
    assert list(output) == ["medications", "conditions", "procedures", "allergies", "immunizations", "observations"]
    for category, entities in output.items():
        for entity in entities:
            canonical = json.dumps(entity["identity_fields"], sort_keys=True, ensure_ascii=False, separators=(",", ":"))
            assert (
                entity["identity_signature"]
                == f"{PREFIX[category]}_{hashlib.sha256(canonical.encode()).hexdigest()[:16]}"
            )
            for mention in entity["instantiations"]:
                start, end = mention["span"]["start"], mention["span"]["end"]
                assert 0 <= start < end <= len(text) and text[start:end] == mention["display_str"]
                assert 0 <= mention["tagging_certainty"] <= 1
                for reference in mention["time_references"]:
                    assert text[reference["span"]["start"]:reference["span"]["end"]] == reference["text"]
    assert structure_text(text) == output
    for language in LANGUAGES[1:]:
        translated = structure_text(text, output_language=language)
        assert _identities(translated) == _identities(output)
    metadata = patient_metadata(text)
    assert metadata is None or metadata["gender"] in ("male", "female", "other", "unknown")


def _identities(output):
    return [(e["identity_signature"], e["instantiations"]) for entities in output.values() for e in entities]


@_FAST
@given(TEXTS)
def test_spans_signatures_and_determinism(text):
    check(text)


@pytest.mark.slow
@_SLOW
@given(TEXTS)
def test_spans_signatures_and_determinism_at_length(text):
    check(text)


@_FAST
@given(st.lists(SENTENCES, max_size=4))
def test_merging_the_same_records_again_changes_nothing(texts):
    records = [{"record_id": None, "content_hash": "sha256:" + hashlib.sha256(t.encode()).hexdigest(), "input_text": t,
                "content": {}} for t in texts]
    first = holistic_patient(records, existing=None, config={}, now="2024-01-01T00:00:00Z")
    assert holistic_patient(records, existing=first, config={}, now="2024-02-01T00:00:00Z") == first
    signatures = [e["identity_signature"] for entities in first["patient_structured_output"].values() for e in entities]
    assert len(signatures) == len(set(signatures))
