"""Haidy's consultations: the simulated approval (/_mock/), GET /v2/consultations, the report in PDF, DOCX, TXT and
JSON (read back with pypdf and python-docx, libraries the mock does not write with for PDF), mark-as-downloaded."""

import io
import json
import zipfile
from datetime import UTC, datetime

import docx
import pypdf
import pytest

from tests.support import AUTH, GROUP

TRANSCRIPT = ("Patient with hypertension and type 2 diabetes. She takes metformin 500 mg twice daily and lisinopril "
              "10 mg daily. Allergic to penicillin. Blood pressure 150/90. Plan: increase lisinopril to 20 mg and "
              "review in four weeks.")
EXPECTED = ("Hypertension", "Type 2 diabetes", "Metformin 500 mg twice daily", "Lisinopril 10 mg daily",
            "Penicillin allergy")
APPROVE = "/_mock/tenants/test-token/haidy/consultations"


def context(client, external_id="patient-12345", **fields):
    body = {"external_id": external_id, "patient_group": GROUP, "name": "John Doe", "birth_date": "1980-01-01",
            **fields}
    resp = client.post("/v2/patient-contexts/", json=body, headers=AUTH)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return resp.get_json()


def approve(client, unique_id="patient-12345", transcript=TRANSCRIPT, tenant="test-token", **fields):
    resp = client.post(f"/_mock/tenants/{tenant}/haidy/consultations",
                       json={"unique_id": unique_id, "transcript": transcript, **fields})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return resp.get_json()


def listing(client, query="", headers=AUTH):
    resp = client.get(f"/v2/consultations{query}", headers=headers)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return resp.get_json()


def ids(client, query=""):
    return [c["id"] for c in listing(client, query)["items"]]


def report(client, consultation_id, fmt, headers=AUTH):
    return client.get(f"/v2/consultation/{consultation_id}/report/{fmt}", headers=headers)


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)


def test_approval_links_the_patient_context_and_is_listed(client, app):
    app.extensions["mockserver"].clock.freeze(datetime(2024, 1, 15, 11, 5, tzinfo=UTC))
    ctx = context(client)
    cons = approve(client)
    assert cons["id"].startswith("cons_") and len(cons["id"]) == 17 and cons["id"][5:].isalnum()
    assert cons == {"id": cons["id"], "unique_id": "patient-12345", "patient_context_id": ctx["id"],
                    "integration": "o10i0iva3tn75kk", "title": "Consultation report", "status": "approved",
                    "downloaded": False, "downloaded_at": None, "created_at": "2024-01-15T11:05:00Z",
                    "approved_at": "2024-01-15T11:05:00Z"}
    assert listing(client) == {"items": [cons], "total": 1, "page": 1, "page_size": 50}


def test_a_unique_id_without_a_context_is_not_linked(client):
    assert approve(client, unique_id="nobody")["patient_context_id"] is None


def test_approval_takes_integration_time_and_title(client):
    client.post("/_mock/tenants/test-token", json={"haidy": {"integrations": ["clinicaint0001"]}})
    cons = approve(client, integration="clinicaint0001", approved_at="2024-03-01T09:00:00+01:00", title="Befund")
    assert (cons["integration"], cons["approved_at"], cons["title"]) == ("clinicaint0001", "2024-03-01T08:00:00Z",
                                                                         "Befund")


@pytest.mark.parametrize("body, loc", [
    ({"transcript": TRANSCRIPT}, "unique_id"),
    ({"unique_id": "p"}, "transcript"),
    ({"unique_id": "", "transcript": TRANSCRIPT}, "unique_id"),
    ({"unique_id": "p", "transcript": ""}, "transcript"),
    ({"unique_id": "p", "transcript": TRANSCRIPT, "approved_at": "yesterday"}, "approved_at"),
    ({"unique_id": "p", "transcript": TRANSCRIPT, "colour": "red"}, "colour"),
])
def test_approval_validation_is_422(client, body, loc):
    resp = client.post(APPROVE, json=body)
    assert resp.status_code == 422, resp.get_data(as_text=True)
    assert any(loc in error["loc"] for error in resp.get_json()["detail"]), resp.get_json()


def test_approval_with_an_integration_the_tenant_lacks_is_404(client):
    resp = client.post(APPROVE, json={"unique_id": "p", "transcript": TRANSCRIPT, "integration": "nope"})
    assert resp.status_code == 404 and resp.get_json() == {"detail": "Integration not found"}


def test_a_consultation_approved_in_one_line_through_the_plugin(mockserver, haidy_session):
    cons = mockserver.approve_consultation("patient-12345", TRANSCRIPT, title="From the plugin",
                                           approved_at=datetime(2024, 1, 15, 11, 5, tzinfo=UTC))
    assert (cons["title"], cons["approved_at"]) == ("From the plugin", "2024-01-15T11:05:00Z")
    assert [c["id"] for c in haidy_session.get("/v2/consultations").json()["items"]] == [cons["id"]]
    assert "Lisinopril 10 mg daily" in haidy_session.get(f"/v2/consultation/{cons['id']}/report/txt").text


def test_report_in_every_format_holds_the_transcripts_findings(client):
    context(client)
    cons = approve(client)
    texts = {}
    for fmt, media_type, ext in [("PDF", "application/pdf", "pdf"),
                                 ("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                                  "docx"),
                                 ("TXT", "text/plain; charset=utf-8", "txt"), ("json", "application/json", "json")]:
        resp = report(client, cons["id"], fmt)
        assert resp.status_code == 200, resp.get_data(as_text=True)
        assert resp.headers["Content-Type"] == media_type
        assert resp.headers["Content-Disposition"] == f'attachment; filename="{cons["id"]}.{ext}"'
        texts[ext] = resp.get_data()

    pdf = pdf_text(texts["pdf"])
    document = docx.Document(io.BytesIO(texts["docx"]))
    paragraphs = [(p.style.name, p.text) for p in document.paragraphs]
    txt = texts["txt"].decode("utf-8")
    as_json = json.loads(texts["json"])
    for expected in EXPECTED:
        assert expected in pdf, (expected, pdf)
        assert ("List Bullet", expected) in paragraphs, (expected, paragraphs)
        assert f"- {expected}" in txt
        assert expected in as_json["report"]
    for heading in ("Patient", "Assessment", "Medications", "Allergies", "Plan"):
        assert ("Heading 2", heading) in paragraphs
        assert f"## {heading}" in txt
    assert "Name: John Doe;" in txt and "Date of birth: 1980-01-01" in txt and "John Doe" in pdf
    assert as_json["report"] == txt
    assert {k: as_json[k] for k in ("id", "unique_id", "patient_context_id", "title", "approved_at")} == {
        k: cons[k] for k in ("id", "unique_id", "patient_context_id", "title", "approved_at")}
    sections = {s["heading"]: s["text"] for s in as_json["sections"]}
    assert sections["Medications"] == "- Metformin 500 mg twice daily\n- Lisinopril 10 mg daily"


def test_reports_are_byte_identical_each_time(client, app):
    cons = approve(client, transcript=TRANSCRIPT + " Zoë said “fine” — 漢字.", approved_at="2024-01-15T11:05:00Z")
    clock = app.extensions["mockserver"].clock
    first = {fmt: report(client, cons["id"], fmt).get_data() for fmt in ("PDF", "DOCX", "TXT", "JSON")}
    clock.advance(3600)
    again = {fmt: report(client, cons["id"], fmt.lower()).get_data() for fmt in ("PDF", "DOCX", "TXT", "JSON")}
    assert first == again
    # Nothing in the files is dated by the wall clock (which the mock's clock does not move): the approval time.
    assert {entry.date_time for entry in zipfile.ZipFile(io.BytesIO(first["DOCX"])).infolist()} == {
        (2024, 1, 15, 11, 5, 0)}
    assert docx.Document(io.BytesIO(first["DOCX"])).core_properties.created == datetime(2024, 1, 15, 11, 5,
                                                                                        tzinfo=UTC)
    assert pypdf.PdfReader(io.BytesIO(first["PDF"])).metadata.creation_date == datetime(2024, 1, 15, 11, 5,
                                                                                        tzinfo=UTC)
    # Characters outside the PDF core font's Latin-1 are transliterated or replaced, never a crash.
    assert 'Zoë said "fine" - ??.' in pdf_text(first["PDF"])
    assert "Zoë said “fine” — 漢字." in first["TXT"].decode()


def test_report_errors(client):
    cons = approve(client)
    missing = report(client, "cons_000000000000", "PDF")
    assert missing.status_code == 404 and missing.get_json() == {"detail": "Consultation not found"}
    bad = report(client, cons["id"], "xml")
    assert bad.status_code == 422
    assert [error["loc"] for error in bad.get_json()["detail"]] == [["path", "format"]]
    assert report(client, cons["id"], "PDF", headers={}).status_code == 401


def test_another_tenant_never_sees_a_consultation(client):
    cons = approve(client)
    other = {"Authorization": "Bearer other-tenant"}
    assert listing(client, headers=other) == {"items": [], "total": 0, "page": 1, "page_size": 50}
    assert report(client, cons["id"], "PDF", headers=other).status_code == 404
    marked = client.post(f"/v2/consultation/{cons['id']}/mark-as-downloaded", headers=other)
    assert marked.status_code == 404 and marked.get_json() == {"detail": "Consultation not found"}
    assert listing(client, "?downloaded=false")["total"] == 1


def test_mark_as_downloaded_is_idempotent_and_filters(client, app):
    clock = app.extensions["mockserver"].clock
    clock.freeze(datetime(2024, 1, 15, 12, 0, tzinfo=UTC))
    first, second = approve(client), approve(client)
    resp = client.post(f"/v2/consultation/{first['id']}/mark-as-downloaded", headers=AUTH)
    assert resp.status_code == 200
    assert resp.get_json() == {"id": first["id"], "downloaded": True, "downloaded_at": "2024-01-15T12:00:00Z"}
    clock.advance(60)
    again = client.post(f"/v2/consultation/{first['id']}/mark-as-downloaded", headers=AUTH)
    assert again.get_json() == resp.get_json()
    assert ids(client, "?downloaded=false") == [second["id"]]
    assert ids(client, "?downloaded=true") == [first["id"]]
    assert sorted(ids(client)) == sorted([first["id"], second["id"]])
    listed = {c["id"]: c for c in listing(client)["items"]}
    assert listed[first["id"]]["downloaded_at"] == "2024-01-15T12:00:00Z"
    missing = client.post("/v2/consultation/cons_000000000000/mark-as-downloaded", headers=AUTH)
    assert missing.status_code == 404 and missing.get_json() == {"detail": "Consultation not found"}


def test_list_filters_and_order(client):
    a = context(client, external_id="a")
    context(client, external_id="b")
    old = approve(client, unique_id="a", approved_at="2024-01-01T08:00:00Z")
    mid = approve(client, unique_id="b", approved_at="2024-02-01T08:00:00Z")
    new = approve(client, unique_id="a", approved_at="2024-03-01T08:00:00Z")
    assert ids(client) == [new["id"], mid["id"], old["id"]]  # newest approved first
    assert ids(client, "?unique_id=a") == [new["id"], old["id"]]
    assert ids(client, f"?patient_context_id={a['id']}") == [new["id"], old["id"]]
    assert ids(client, "?since=2024-02-01T08:00:00Z") == [new["id"], mid["id"]]
    assert ids(client, "?since=2024-02-01T09:00:00%2B01:00") == [new["id"], mid["id"]]
    assert ids(client, "?since=2024-02-01T08:00:01Z&unique_id=b") == []
    assert ids(client, "?unique_id=zzz") == []


def test_list_paging(client):
    made = [approve(client, unique_id=f"p{i}", approved_at=f"2024-01-0{i + 1}T08:00:00Z")["id"] for i in range(5)]
    newest_first = made[::-1]
    page1 = listing(client, "?page_size=2")
    assert (page1["total"], page1["page"], page1["page_size"]) == (5, 1, 2)
    assert [c["id"] for c in page1["items"]] == newest_first[:2]
    assert ids(client, "?page_size=2&page=2") == newest_first[2:4]
    assert ids(client, "?page_size=2&page=3") == newest_first[4:]
    past = listing(client, "?page_size=2&page=4")
    assert past["items"] == [] and past["total"] == 5


@pytest.mark.parametrize("query, loc", [
    ("?downloaded=maybe", "downloaded"), ("?since=yesterday", "since"), ("?page=0", "page"),
    ("?page_size=101", "page_size"), ("?page_size=0", "page_size"),
])
def test_invalid_list_queries_are_422(client, query, loc):
    resp = client.get(f"/v2/consultations{query}", headers=AUTH)
    assert resp.status_code == 422
    assert [error["loc"] for error in resp.get_json()["detail"]] == [["query", loc]]


def test_state_export_and_import_round_trip(client):
    ctx = context(client)
    kept = approve(client, approved_at="2024-01-15T11:05:00Z")
    client.post(f"/v2/consultation/{kept['id']}/mark-as-downloaded", headers=AUTH)
    before = report(client, kept["id"], "JSON").get_data()
    state = client.get("/_mock/state").get_json()
    exported = state["tenants"]["test-token"]["haidy"]["consultations"]
    assert [c["id"] for c in exported] == [kept["id"]] and exported[0]["transcript"] == TRANSCRIPT
    assert client.post("/_mock/reset").status_code in (200, 204)
    assert listing(client)["total"] == 0
    resp = client.put("/_mock/state", json=state)
    assert resp.status_code in (200, 204), resp.get_data(as_text=True)
    assert listing(client)["items"] == [{**kept, "downloaded": True,
                                         "downloaded_at": listing(client)["items"][0]["downloaded_at"]}]
    assert listing(client)["items"][0]["patient_context_id"] == ctx["id"]
    assert report(client, kept["id"], "JSON").get_data() == before


def test_import_refuses_a_consultation_of_a_missing_context(client):
    approve(client)
    state = client.get("/_mock/state").get_json()
    state["tenants"]["test-token"]["haidy"]["consultations"][0]["patient_context_id"] = "ctx_missing0000"
    resp = client.put("/_mock/state", json=state)
    assert resp.status_code in (400, 422), resp.get_data(as_text=True)
    assert "ctx_missing0000" in resp.get_data(as_text=True)
