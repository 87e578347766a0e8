"""Haidy-Analyst endpoints: tasks from structure requests, their status paths, inputs and errors."""

import base64
import io
import json

import pytest

from mockserver import Config, create_app
from mockserver.core.schemas import SchemaRegistry
from tests.haidy.analyst.test_fhir import valid
from tests.support import AUTH, GROUP, JPEG, make_pdf

TEXT = "Patient presents with hypertension. Current medications: Lisinopril 10mg daily."
MP3 = b"ID3\x04\x00\x00\x00\x00\x00#TSSE" + b"\x00" * 32
HOLISTIC = SchemaRegistry.default().validator("haidy/holistic-patient")


@pytest.fixture
def app(store):
    return create_app(Config(validate_responses=True, task_timing="per-poll", store=store))


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def record(**source):
    return {"source": source}


def start(client, records, path="/v2/structure", headers=AUTH, **extra):
    return client.post(path, json={"new_records": records, **extra}, headers=headers)


def run(client, records, path="/v2/structure", **extra):
    """Start a task and poll it to the end; return (every status seen, the last view)."""
    created = start(client, records, path, **extra)
    assert created.status_code == 200, created.get_json()
    task = created.get_json()
    statuses = [task["status"]]
    while task["status"] not in ("DONE", "FAILED"):
        task = client.post("/v2/tasks", json={"task_id": task["task_id"]}, headers=AUTH).get_json()
        statuses.append(task["status"])
    return statuses, task


def test_plain_text_walks_the_documented_path_and_yields_a_holistic_patient(client):
    statuses, done = run(client, [record(type="plain_text", text=TEXT)], config={"output_language": "en"})
    assert statuses == ["QUEUED", "STARTED", "SERVICE_DONE", "DONE"]
    assert list(done["status_changes_at"]) == ["CREATED", "QUEUED", "STARTED", "SERVICE_DONE", "DONE"]
    result = done["result"]
    assert list(HOLISTIC.iter_errors(result)) == []
    output = result["clinical_records"][0]["record_structured"]["structured_output"]
    assert [m["identity_fields"]["name"] for m in output["medications"]] == ["Lisinopril"]
    assert result["clinical_records"][0]["content_hash"].startswith("sha256:")


def test_the_result_can_be_fetched_once(client):
    _, done = run(client, [record(type="plain_text", text=TEXT)])
    again = client.post("/v2/tasks", json={"task_id": done["task_id"]}, headers=AUTH)
    assert again.status_code == 404 and again.get_json() == {"detail": "Task not found"}


def test_keep_retention_keeps_finished_tasks():
    client = create_app(Config(task_timing="instant", task_retention="keep", validate_responses=True)).test_client()
    task_id = start(client, [record(type="plain_text", text=TEXT)]).get_json()["task_id"]
    for _ in range(3):
        assert client.post("/v2/tasks", json={"task_id": task_id}, headers=AUTH).get_json()["status"] == "DONE"


def test_statuses_follow_the_inputs(client):
    upload = client.post("/v2/patient-contexts/", json={"external_id": "s", "patient_group": GROUP}, headers=AUTH)
    ctx = upload.get_json()
    stored = client.post(f"/v2/patient-files/upload/{ctx['id']}", headers=AUTH, content_type="multipart/form-data",
                         data={"files": [(io.BytesIO(make_pdf(TEXT)), "letter.pdf")]}).get_json()["uploaded_files"][0]
    url = f"http://127.0.0.1/_mock/haidy/files/{stored['id']}"
    cases = [
        ([record(type="document", base64=b64(make_pdf(TEXT)))], ["DOCUMENT_PARSING_DONE"]),
        ([record(type="document", url=url)], ["DOCUMENT_DOWNLOAD_DONE", "DOCUMENT_PARSING_DONE"]),
        (
            [
                record(
                    type="audio",
                    transcript={"bubbles": [{"text": "Patient has hypertension", "start": 0.0, "end": 2.5}]},
                )
            ],
            [],
        ),
        ([record(type="audio", base64=b64(MP3))], ["AUDIO_PROCESSING_DONE"]),
    ]
    for records, steps in cases:
        statuses, done = run(client, records)
        assert statuses == ["QUEUED", "STARTED", *steps, "SERVICE_DONE", "DONE"], records
        assert done["percentage"] == 100


def test_pdf_text_is_extracted_and_structured(client):
    _, done = run(
        client, [record(type="document", base64=b64(make_pdf(TEXT)))], config={"include_record_content": True}
    )
    rec = done["result"]["clinical_records"][0]
    assert "Lisinopril 10mg daily" in rec["record_structured"]["input_text"]
    assert rec["content"]["media_type"] == "application/pdf"


def test_images_carry_no_entities_and_say_why(client):
    _, done = run(client, [record(type="document", base64=b64(JPEG))], config={"include_record_content": True})
    rec = done["result"]["clinical_records"][0]
    assert "OCR" in rec["content"]["note"]
    assert all(not v for v in rec["record_structured"]["structured_output"].values())


def test_audio_uses_a_registered_transcript(client):
    registered = client.post("/_mock/tenants/test-token/transcripts",
                             json={"audio_base64": b64(MP3), "text": TEXT})
    assert registered.status_code == 200 and len(registered.get_json()["sha256"]) == 64
    _, done = run(client, [record(type="audio", base64=b64(MP3))])
    assert done["result"]["clinical_records"][0]["record_structured"]["input_text"] == TEXT
    other_tenant = start(client, [record(type="audio", base64=b64(MP3))], headers={"Authorization": "Bearer other"})
    assert other_tenant.status_code == 200


def test_downloads_only_from_allowed_hosts(client):
    # example.com answers from the shipped samples (test_samples.py); every other host needs --allow-url-host
    statuses, failed = run(client, [record(type="document", url="https://files.clinic-portal.net/medical-report.pdf")])
    assert statuses == ["QUEUED", "STARTED", "FAILED"]
    assert failed["additional_info"]["error"] == "Unable to download document from URL"
    assert "'files.clinic-portal.net' is not allowed" in failed["additional_info"]["details"]
    assert failed["result"] is None


def test_a_fault_rule_can_fail_the_task(client):
    client.post("/_mock/faults", json={"method": "POST", "path": "/v2/structure",
                                       "task_error": {"error": "Service unavailable", "details": "injected"}})
    statuses, failed = run(client, [record(type="plain_text", text=TEXT)])
    assert statuses[-1] == "FAILED" and failed["additional_info"] == {
        "error": "Service unavailable",
        "details": "injected",
    }


@pytest.mark.parametrize(
    "body, loc, fragment",
    [
        ({"config": {}}, ["body", "new_records"], "field required"),
        ({"new_records": []}, ["body", "new_records"], "at least 1 items"),
        (
            {"new_records": [record(type="video", text="x")]},
            ["body", "new_records", 0, "source", "type"],
            "enumeration",
        ),
        ({"new_records": [record(type="plain_text")]}, ["body", "new_records", 0, "source"], "exactly one of text"),
        (
            {"new_records": [record(type="document", url="http://127.0.0.1/a.pdf", base64=b64(make_pdf()))]},
            ["body", "new_records", 0, "source"],
            "exactly one of url, base64",
        ),
        (
            {"new_records": [record(type="plain_text", url="http://127.0.0.1/a.pdf")]},
            ["body", "new_records", 0, "source"],
            "exactly one of text",
        ),
        (
            {"new_records": [record(type="document", base64="data:application/pdf;base64," + b64(make_pdf()))]},
            ["body", "new_records", 0, "source", "base64"],
            "data URI prefix",
        ),
        (
            {"new_records": [record(type="document", base64="JVBER i0x*")]},
            ["body", "new_records", 0, "source", "base64"],
            "invalid base64",
        ),
        (
            {"new_records": [record(type="document", base64=b64(b"just text"))]},
            ["body", "new_records", 0, "source", "base64"],
            "File type not supported",
        ),
        (
            {"new_records": [record(type="audio", base64=b64(make_pdf()))]},
            ["body", "new_records", 0, "source", "base64"],
            "File type not supported",
        ),
        (
            {"new_records": [record(type="plain_text", text="x")], "config": {"output_language": "es"}},
            ["body", "config", "output_language"],
            "enumeration",
        ),
        (
            {"new_records": [record(type="plain_text", text="x")], "config": {"structure_engine_version": "v1"}},
            ["body", "config", "structure_engine_version"],
            "does not match",
        ),
        (
            {"new_records": [{"record_id": "not-a-uuid", "source": {"type": "plain_text", "text": "x"}}]},
            ["body", "new_records", 0, "record_id"],
            "uuid",
        ),
    ],
)
def test_invalid_requests_get_the_documented_422(client, body, loc, fragment):
    resp = client.post("/v2/structure", json=body, headers=AUTH)
    assert resp.status_code == 422, resp.get_json()
    errors = resp.get_json()["detail"]
    assert any(e["loc"] == loc and fragment in e["msg"] for e in errors), errors


def test_the_docs_missing_new_records_error_exactly(client):
    resp = client.post("/v2/structure", json={"config": {"structure_engine_version": "1.0.0"}}, headers=AUTH)
    assert resp.get_json() == {
        "detail": [{"loc": ["body", "new_records"], "msg": "field required", "type": "value_error.missing"}]
    }


def test_unknown_and_foreign_tasks_are_404(client):
    assert client.post("/v2/tasks", json={"task_id": "nope"}, headers=AUTH).status_code == 404
    task_id = start(client, [record(type="plain_text", text=TEXT)]).get_json()["task_id"]
    assert (
        client.post("/v2/tasks", json={"task_id": task_id}, headers={"Authorization": "Bearer other"}).status_code
        == 404
    )


def test_structure_text_answers_done_at_once_and_can_be_polled_once(client):
    resp = client.post("/v2/structure/text", headers=AUTH, json={
        "inputs": ["Patient has type 2 diabetes", "Current medications: Metformin 1000mg twice daily"],
        "config": {"output_language": "en"}})
    task = resp.get_json()
    assert task["status"] == "DONE" and len(task["result"]["clinical_records"]) == 2
    assert client.post("/v2/tasks", json={"task_id": task["task_id"]}, headers=AUTH).get_json()["status"] == "DONE"
    assert client.post("/v2/tasks", json={"task_id": task["task_id"]}, headers=AUTH).status_code == 404


def test_incremental_update_extends_the_given_holistic_patient(client):
    _, first = run(client, [record(type="plain_text", text=TEXT)])
    _, second = run(client, [record(type="plain_text", text="Patient has type 2 diabetes.")],
                    holistic_patient=first["result"])
    records = second["result"]["clinical_records"]
    assert len(records) == 2 and records[0]["record_id"] == first["result"]["clinical_records"][0]["record_id"]
    assert second["result"]["holistic_patient_id"] == first["result"]["holistic_patient_id"]


def test_fhir_endpoint_returns_a_bundle(client):
    statuses, done = run(
        client,
        [record(type="plain_text", text="Patient John Doe, DOB 1990-01-01, diagnosed with type 2 diabetes.")],
        path="/v2/structure/fhir?include_patient=true&include_document_references=false",
    )
    bundle = valid(done["result"])
    kinds = [e["resource"]["resourceType"] for e in bundle["entry"]]
    assert bundle["type"] == "collection" and "Patient" in kinds and "DocumentReference" not in kinds
    assert "Condition" in kinds


def test_fhir_flags_must_be_booleans(client):
    resp = start(client, [record(type="plain_text", text=TEXT)], path="/v2/structure/fhir?include_data=maybe")
    assert resp.status_code == 422 and resp.get_json()["detail"][0]["loc"] == ["query", "include_data"]


def test_legacy_base64_endpoint_works_and_is_marked_deprecated(client):
    """Sent: the schema's (and so the OpenAPI document's) own example."""
    example = SchemaRegistry.default().schema("haidy/legacy-base64-request")["examples"][0]
    resp = client.post("/v2/structure/documents/fhir/base64", headers=AUTH, json=example)
    assert resp.status_code == 200 and resp.headers["Deprecation"] == "true"
    assert "/v2/structure/fhir" in resp.headers["Link"]
    task_id = resp.get_json()["task_id"]
    for _ in range(10):
        task = client.post("/v2/tasks", json={"task_id": task_id}, headers=AUTH).get_json()
        if task["status"] == "DONE":
            break
    docs = [
        e["resource"] for e in valid(task["result"])["entry"] if e["resource"]["resourceType"] == "DocumentReference"
    ]
    assert docs[0]["content"][0]["attachment"]["contentType"] == "application/pdf"


@pytest.mark.parametrize("body, status", [
    ({}, 400),
    (b"{not json", 400),
    ({"files": [{"file_name": "a.pdf", "file_base64": "%%%"}]}, 400),
    ({"files": [{"file_name": "a.txt", "file_base64": b64(b"plain words")}]}, 422),
])
def test_legacy_base64_errors_as_documented(client, body, status):
    kwargs = {"data": body, "content_type": "application/json"} if isinstance(body, bytes) else {"json": body}
    resp = client.post("/v2/structure/documents/fhir/base64", headers=AUTH, **kwargs)
    assert resp.status_code == status and isinstance(resp.get_json()["detail"], list)


def own_file_url(client, content: bytes) -> str:
    ctx = client.post(
        "/v2/patient-contexts/", json={"external_id": "files", "patient_group": GROUP}, headers=AUTH
    ).get_json()
    stored = client.post(f"/v2/patient-files/upload/{ctx['id']}", headers=AUTH, content_type="multipart/form-data",
                         data={"files": [(io.BytesIO(content), "lab.pdf")]}).get_json()["uploaded_files"][0]
    return f"http://localhost/_mock/haidy/files/{stored['id']}"


def test_legacy_url_endpoint_extends_a_given_bundle(client):
    existing = {"resourceType": "Bundle", "type": "collection",
                "entry": [{"fullUrl": "Patient/keep-me", "resource": {"resourceType": "Patient", "id": "keep-me"}}]}
    resp = client.post("/v2/structure/documents/fhir/url", headers=AUTH, json={
        "file_urls": [own_file_url(client, make_pdf(TEXT))], "current_fhir_bundle": json.dumps(existing)})
    assert resp.status_code == 200 and resp.headers["Deprecation"] == "true"
    task = resp.get_json()
    while task["status"] not in ("DONE", "FAILED"):
        task = client.post("/v2/tasks", json={"task_id": task["task_id"]}, headers=AUTH).get_json()
    urls = [entry["fullUrl"] for entry in task["result"]["entry"]]
    assert urls[0] == "Patient/keep-me" and any(u.startswith("DocumentReference/") for u in urls)
    bad = client.post("/v2/structure/documents/fhir/url", headers=AUTH, json={
        "file_urls": ["https://example.com/lab.pdf"], "current_fhir_bundle": "[1, 2"})
    assert bad.status_code == 400 and bad.get_json()["detail"][0]["loc"] == ["body", "current_fhir_bundle"]


def test_tests_can_override_what_an_input_structures_to(client):
    wanted = {
        "medications": [],
        "procedures": [],
        "allergies": [],
        "immunizations": [],
        "observations": [],
        "conditions": [
            {
                "identity_signature": "cond_custom",
                "identity_fields": {"name": "Made-up syndrome"},
                "instantiations": [
                    {
                        "display_str": "fine",
                        "span": {"start": 11, "end": 15},
                        "tagging_certainty": 1.0,
                        "time_references": [],
                        "status": {"negated": False, "historical": False, "certainty": "confirmed"},
                    }
                ],
            }
        ],
    }
    resp = client.post("/_mock/tenants/test-token/haidy/structure-overrides",
                       json={"text": "Patient is fine.", "structured_output": wanted})
    assert resp.status_code == 200 and resp.get_json()["content_hash"].startswith("sha256:")
    _, done = run(client, [record(type="plain_text", text="Patient is fine.")])
    assert done["result"]["clinical_records"][0]["record_structured"]["structured_output"] == wanted
    assert done["result"]["patient_structured_output"]["conditions"][0]["identity_signature"] == "cond_custom"
    _, other = run(client, [record(type="plain_text", text="Patient is fine!")])
    assert other["result"]["clinical_records"][0]["record_structured"]["structured_output"]["conditions"] == []
    bad = client.post("/_mock/tenants/test-token/haidy/structure-overrides", json={"structured_output": wanted})
    assert bad.status_code == 400


@pytest.mark.mockserver(task_timing="instant")
def test_a_transcript_registered_in_one_line_through_the_plugin_handle(mockserver, haidy_session):
    audio = MP3 + b"override"
    mockserver.register_transcript(audio, "Patient has asthma.")
    task = haidy_session.post("/v2/structure", json={"new_records": [record(type="audio", base64=b64(audio))]}).json()
    while task["status"] not in ("DONE", "FAILED"):
        task = haidy_session.post("/v2/tasks", json={"task_id": task["task_id"]}).json()
    conditions = task["result"]["clinical_records"][0]["record_structured"]["structured_output"]["conditions"]
    assert [c["identity_fields"]["name"] for c in conditions] == ["Asthma"]


@pytest.mark.parametrize("source", SchemaRegistry.default().schema("haidy/structure-source")["examples"])
def test_every_example_source_of_the_schema_is_processed(client, source):
    """The OpenAPI document's examples are requests the mock accepts and finishes: example.com documents come
    from the mock's samples, and the audio example is padded base64 of an MP3 (ID3) header."""
    statuses, done = run(client, [record(**source)])
    assert done["status"] == "DONE", done
    assert list(HOLISTIC.iter_errors(done["result"])) == []


def test_unpadded_base64_is_refused_as_pythons_decoder_refuses_it(client):
    """The Haidy docs truncate their audio example ("SUQzBAAAAAAAI1RTU0UAAAA..."); sent without its padding
    it is refused at the field, as base64.b64decode (no padding asked for) refuses it; padded, it is audio."""
    unpadded = start(client, [record(type="audio", base64="SUQzBAAAAAAAI1RTU0UAAAA")])
    assert unpadded.status_code == 422
    [error] = unpadded.get_json()["detail"]
    assert error["loc"] == ["body", "new_records", 0, "source", "base64"]
    assert "= padding" in error["msg"] and error["type"] == "value_error.str.regex"
    assert start(client, [record(type="audio", base64="SUQzBAAAAAAAI1RTU0UAAAA=")]).status_code == 200


@pytest.mark.parametrize("text", ["QUJD\n", "QUJD\r\nREVG", "QU JD", "QUJD====", "data:audio/mpeg;base64,QUJD"])
def test_base64_with_line_breaks_or_stray_characters_is_refused(client, text):
    """`$(?!\\n)` ends the pattern: Python's `$` would otherwise admit a trailing newline that ECMA-262 refuses."""
    assert start(client, [record(type="audio", base64=text)]).status_code == 422
