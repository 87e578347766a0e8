"""POST /v2/patient-files/upload/{id}: sniffed by content, refused per file with a reason, kept."""

import io

import pytest

from mockserver import Config, create_app
from tests.support import AUTH, GROUP, JPEG, PNG, make_docx, make_pdf


def new_context(client, headers=AUTH):
    body = {"external_id": "p-1", "patient_group": GROUP, "name": "Jane Roe"}
    return client.post("/v2/patient-contexts/", json=body, headers=headers).get_json()


def upload(client, ctx_id, *parts, headers=AUTH):
    data = {"files": [(io.BytesIO(content), name, "application/octet-stream") for name, content in parts]}
    return client.post(f"/v2/patient-files/upload/{ctx_id}", data=data, headers=headers,
                       content_type="multipart/form-data")


@pytest.mark.parametrize("name, content, expected", [
    ("lab-report.pdf", make_pdf(), "application/pdf"),
    ("scan.png", PNG, "image/png"),
    ("photo.jpg", JPEG, "image/jpeg"),
    ("letter.docx", make_docx(), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ("note.txt", "Überweisung: Patientin mit Hypertonie.\n".encode(), "text/plain"),
    ("misnamed.txt", make_pdf(), "application/pdf"),
])
def test_accepted_types_are_sniffed_from_content(client, name, content, expected):
    ctx = new_context(client)
    body = upload(client, ctx["id"], (name, content)).get_json()
    assert body["total_uploaded"] == 1 and body["total_failed"] == 0
    stored = body["uploaded_files"][0]
    assert stored["filename"] == name and stored["size"] == len(content) and stored["content_type"] == expected
    assert stored["id"].startswith("file_")


def test_bad_files_fail_individually_while_the_others_upload():
    app = create_app(Config(max_file_bytes=1000, validate_responses=True))
    client = app.test_client()
    ctx = new_context(client)
    resp = upload(client, ctx["id"], ("a.pdf", make_pdf()), ("empty.pdf", b""), ("big.txt", b"x" * 1001),
                  ("tool.exe", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00"), ("b.pdf", make_pdf("second")))
    assert resp.status_code == 200
    body = resp.get_json()
    assert [f["filename"] for f in body["uploaded_files"]] == ["a.pdf", "b.pdf"]
    assert body["failed_files"] == [
        {"filename": "empty.pdf", "size": 0, "error": "File is empty"},
        {"filename": "big.txt", "size": 1001, "error": "File exceeds the maximum size of 1000 bytes"},
        {
            "filename": "tool.exe",
            "size": 10,
            "error": "Unsupported file type; accepted are PDF, PNG, JPEG, DOCX or plain text",
        },
    ]
    assert (body["total_uploaded"], body["total_failed"]) == (2, 3)
    after = client.get(f"/v2/patient-contexts/{ctx['id']}", headers=AUTH).get_json()
    assert after["total_files"] == 2


def test_the_bytes_are_kept_and_served_back(client):
    ctx = new_context(client)
    pdf = make_pdf("keep me")
    stored = upload(client, ctx["id"], ("keep.pdf", pdf)).get_json()["uploaded_files"][0]
    resp = client.get(f"/_mock/haidy/files/{stored['id']}")
    assert resp.status_code == 200 and resp.data == pdf and resp.mimetype == "application/pdf"
    assert client.get("/_mock/haidy/files/file_unknown").status_code == 404


def test_upload_to_unknown_or_foreign_context_is_404(client):
    ctx = new_context(client)
    assert upload(client, "ctx_missing", ("a.pdf", make_pdf())).status_code == 404
    foreign = upload(client, ctx["id"], ("a.pdf", make_pdf()), headers={"Authorization": "Bearer intruder"})
    assert foreign.status_code == 404 and foreign.get_json() == {"detail": "Patient context not found"}


def test_no_files_part_is_422(client):
    ctx = new_context(client)
    resp = client.post(f"/v2/patient-files/upload/{ctx['id']}", data={"other": "x"}, headers=AUTH,
                       content_type="multipart/form-data")
    assert resp.status_code == 422
    assert resp.get_json()["detail"] == [
        {"loc": ["body", "files"], "msg": "field required", "type": "value_error.missing"}
    ]
    json_body = client.post(f"/v2/patient-files/upload/{ctx['id']}", json={"files": []}, headers=AUTH)
    assert json_body.status_code == 422
