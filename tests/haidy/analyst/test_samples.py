"""The docs' example.com URLs structure to the sample documents the mock ships (mockserver/haidy/analyst/samples/).

example.com is reserved for documentation (RFC 2606): the mock never fetches it, and answers every URL the
Haidy-Analyst guide posts from a synthetic document about John Doe (born 1990-01-01, hypertension, Lisinopril
10 mg daily, allergic to penicillin). Any other example.com URL fails the task as a download failure.
"""

import json
import re

import pytest

from mockserver import Config, create_app
from mockserver.core.sniff import PDF, WAV
from mockserver.haidy.analyst import samples
from tests.haidy.analyst import make_samples
from tests.haidy.analyst.test_structure import b64, record, run
from tests.support import DOC_COPIES

DOC = DOC_COPIES["haidy"] / "haidy-analyst-structure.txt"
LABS = ["Hemoglobin", "Leukocytes", "Sodium", "Potassium", "Creatinine", "eGFR", "Glucose"]
VITALS = ["Blood pressure", "Heart rate", "Body temperature", "Body weight"]
EXPECTED = {
    # name: (medications, conditions, allergies, observations, words of the input text)
    "medical-report.pdf": (["Lisinopril"], ["Hypertension"], ["Penicillin"], VITALS,
                           ["Example General Hospital", "18 December 2024", "John Doe"]),
    "lab-results.pdf": ([], [], [], [*LABS, "LDL cholesterol"], ["Laboratory report", "Collected: 2024-12-16"]),
    "lab-report.pdf": ([], [], [], LABS, ["Laboratory report", "Collected: 2024-06-10"]),
    "report1.pdf": (["Lisinopril"], ["Hypertension"], [], VITALS, ["Progress note, 2024-12-20"]),
    "report2.pdf": (["Lisinopril"], ["Hypertension"], ["Penicillin"], VITALS, ["14 June 2024", "John Doe"]),
    "consultation.m4a": (["Lisinopril"], ["Hypertension"], ["Penicillin"], ["Blood pressure", "Heart rate"],
                         ["consultation note", "Patient John Doe"]),
}


@pytest.fixture
def client():
    return create_app(Config(validate_responses=True, task_timing="instant")).test_client()


def names(entities: list[dict]) -> list[str]:
    return [entity["identity_fields"]["name"] for entity in entities]


def test_the_shipped_samples_are_what_make_samples_writes(tmp_path):
    make_samples.write(tmp_path)
    made = sorted(p.name for p in tmp_path.iterdir())
    shipped = sorted(p.name for p in samples.HERE.iterdir() if p.is_file() and p.suffix != ".py")
    assert made == shipped
    for name in made:
        assert (samples.HERE / name).read_bytes() == (tmp_path / name).read_bytes(), (
            f"{name} differs from what tests/haidy/analyst/make_samples.py makes: rerun it")


@pytest.mark.skipif(not DOC.is_file(), reason="the vendor docs are not beside the checkout")
def test_every_example_com_url_of_the_doc_has_a_sample():
    urls = set(re.findall(r"https://example\.com/[^\s\"']+", DOC.read_text(encoding="utf-8")))
    assert {url.removeprefix("https://example.com/") for url in urls} == set(samples.names()) == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_a_sample_url_structures_to_the_samples_content(client, name):
    medications, conditions, allergies, observations, words = EXPECTED[name]
    kind = "audio" if name.endswith(".m4a") else "document"
    url = f"https://example.com/{name}"
    statuses, done = run(client, [record(type=kind, url=url)],
                         config={"include_record_content": True, "include_patient_metadata": True})
    assert done["status"] == "DONE", done["additional_info"]
    assert "DOCUMENT_DOWNLOAD_DONE" in done["status_changes_at"]
    result = done["result"]
    rec = result["clinical_records"][0]
    output = rec["record_structured"]["structured_output"]
    assert names(output["medications"]) == medications
    assert names(output["conditions"]) == conditions
    assert names(output["allergies"]) == allergies
    assert names(output["observations"]) == observations
    for word in words:
        assert word in rec["record_structured"]["input_text"]
    assert rec["content"]["media_type"] == (WAV if kind == "audio" else PDF)
    assert result["patient_metadata"]["name"] == "John Doe"
    assert result["patient_metadata"]["birthday"].startswith("1990-01-01")


def test_the_audio_sample_transcribes_to_its_dictation(client):
    _, done = run(client, [record(type="audio", url="https://example.com/consultation.m4a")],
                  config={"include_record_content": True})
    transcript = json.loads((samples.HERE / samples.TRANSCRIPTS).read_text())["consultation.m4a"]
    rec = done["result"]["clinical_records"][0]
    assert rec["content"]["transcript"] == transcript == rec["record_structured"]["input_text"]
    # the same recording sent as base64 is the same audio: it transcribes alike
    _, again = run(client, [record(type="audio", base64=b64((samples.HERE / "consultation.m4a").read_bytes()))])
    assert again["result"]["clinical_records"][0]["record_structured"]["input_text"] == transcript


def test_a_transcript_the_tenant_registers_wins_over_the_samples(client):
    audio = (samples.HERE / "consultation.m4a").read_bytes()
    client.post("/_mock/tenants/test-token/transcripts", json={"audio_base64": b64(audio), "text": "Gout."})
    _, done = run(client, [record(type="audio", url="https://example.com/consultation.m4a")])
    assert done["result"]["clinical_records"][0]["record_structured"]["input_text"] == "Gout."


def test_the_docs_fhir_example_gets_a_document_reference_for_the_sample(client):
    _, done = run(client, [record(type="document", url="https://example.com/lab-results.pdf")], "/v2/structure/fhir")
    bundle = done["result"]
    references = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "DocumentReference"]
    attachment = references[0]["content"][0]["attachment"]
    assert attachment["url"] == "https://example.com/lab-results.pdf" and attachment["contentType"] == PDF
    assert any(e["resource"]["resourceType"] == "Observation" for e in bundle["entry"])


@pytest.mark.parametrize("url", ["https://example.com/unknown-report.pdf", "https://example.com/lab-results.pdf/x",
                                 "https://example.com/"])
def test_an_example_com_url_without_a_sample_fails_the_download(client, url):
    statuses, failed = run(client, [record(type="document", url=url)])
    assert statuses[-1] == "FAILED" and failed["result"] is None
    assert failed["additional_info"]["error"] == "Unable to download document from URL"
    details = failed["additional_info"]["details"]
    assert "HTTP 404" in details and "RFC 2606" in details and "/lab-results.pdf" in details


def test_a_sample_of_the_wrong_kind_is_not_supported(client):
    _, failed = run(client, [record(type="document", url="https://example.com/consultation.m4a")])
    assert failed["additional_info"]["error"] == "File type not supported"


@pytest.mark.parametrize("url", ["https://example.org/lab-results.pdf", "https://example.com.evil.net/lab-results.pdf",
                                 "https://sub.example.com/lab-results.pdf"])
def test_other_hosts_keep_the_allow_list(client, url):
    _, failed = run(client, [record(type="document", url=url)])
    assert failed["additional_info"]["error"] == "Unable to download document from URL"
    assert "is not allowed" in failed["additional_info"]["details"]
