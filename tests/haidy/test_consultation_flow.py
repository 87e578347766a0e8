"""A consultation followed end to end over a live `mockserver serve`, as a PIS integrator's client does it with
`requests`: patient context -> QR code -> (the doctor approves in the app: the admin API) -> listed as new ->
the report in every format, each opened with a maintained library -> marked as downloaded -> no longer new."""

from __future__ import annotations

import io
import json

import docx
import pypdf
import pytest
import requests

from tests.haidy.test_qr_code import decode, fields
from tests.support import GROUP, Served

INTEGRATION = "o10i0iva3tn75kk"
TRANSCRIPT = ("Follow-up for asthma. He uses salbutamol 100 mcg as needed and was started on atorvastatin 20 mg "
              "daily for hyperlipidemia. No known allergies. Plan: review in three months.")
EXPECTED = ("Asthma", "Hyperlipidemia", "Atorvastatin 20 mg daily")


@pytest.fixture(scope="module")
def server():
    """Open auth, every answer checked against its schema (a violation would be a 500)."""
    served = Served("--validate-responses")
    yield served
    served.stop()


def test_an_approved_consultation_from_context_to_downloaded(server):
    pis = requests.Session()
    pis.headers["Authorization"] = "Bearer flow-clinic"
    api = server.url

    # 0. The PIS syncs the patient.
    ctx = pis.post(f"{api}/v2/patient-contexts/", json={
        "external_id": "pis-4711", "patient_group": GROUP, "name": "Max Muster", "birth_date": "1975-05-05",
        "gender": "male"}, timeout=10)
    assert ctx.status_code == 200, ctx.text
    ctx = ctx.json()

    # 1. The PIS shows the QR code; the doctor scans it with the Haidy app.
    qr = pis.get(f"{api}/v2/external-integrations/{INTEGRATION}/qr-code", params={"unique_id": "pis-4711"},
                 timeout=10)
    assert qr.status_code == 200 and qr.headers["Content-Type"] == "image/png"
    assert fields(decode(qr.content)) == {"integration": INTEGRATION, "unique_id": "pis-4711"}

    # The doctor records and approves the consultation in the app: simulated through the admin API.
    approved = requests.post(f"{api}/_mock/tenants/flow-clinic/haidy/consultations",
                             json={"unique_id": "pis-4711", "transcript": TRANSCRIPT}, timeout=10)
    assert approved.status_code == 200, approved.text
    consultation_id = approved.json()["id"]

    # 3. Retrieval: what is new, its report in each format, then marked as downloaded.
    new = pis.get(f"{api}/v2/consultations", params={"downloaded": "false"}, timeout=10)
    assert new.status_code == 200, new.text
    [listed] = new.json()["items"]
    assert listed["id"] == consultation_id and listed["patient_context_id"] == ctx["id"]
    assert listed["status"] == "approved" and listed["downloaded"] is False

    def download(fmt: str) -> requests.Response:
        resp = pis.get(f"{api}/v2/consultation/{consultation_id}/report/{fmt}", timeout=10)
        assert resp.status_code == 200, resp.text
        assert resp.headers["Content-Disposition"] == f'attachment; filename="{consultation_id}.{fmt.lower()}"'
        return resp

    pdf = "\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(download("PDF").content)).pages)
    word = "\n".join(p.text for p in docx.Document(io.BytesIO(download("DOCX").content)).paragraphs)
    txt = download("TXT")
    assert txt.headers["Content-Type"] == "text/plain; charset=utf-8"
    report = json.loads(download("JSON").content)
    for text in (pdf, word, txt.text, report["report"]):
        assert "Max Muster" in text
        for expected in EXPECTED:
            assert expected in text, (expected, text)
    assert report["id"] == consultation_id and report["report"] == txt.text

    marked = pis.post(f"{api}/v2/consultation/{consultation_id}/mark-as-downloaded", timeout=10)
    assert marked.status_code == 200 and marked.json()["downloaded"] is True

    assert pis.get(f"{api}/v2/consultations", params={"downloaded": "false"}, timeout=10).json()["items"] == []
    [kept] = pis.get(f"{api}/v2/consultations", timeout=10).json()["items"]
    assert kept["id"] == consultation_id and kept["downloaded"] is True
