"""GET /v2/external-integrations/{integration_id}/qr-code: a real PNG whose QR code an independent decoder reads.

The PNG is read with pypng and the code decoded with zxing-cpp, neither of which the mock uses (it writes with
segno), so the test proves a scanner can read what the mock draws.
"""

import json
from urllib.parse import parse_qs, quote, urlsplit

import png
import pytest
import zxingcpp

from tests.support import AUTH, DOC_COPIES

DOC = DOC_COPIES["haidy"] / "haidy-pis-integration.txt"
INTEGRATION = "o10i0iva3tn75kk"
META = {"patient_id": "patient-12345", "patient_first_name": "John", "patient_last_name": "Doe",
        "patient_birth_date": "1980-01-01"}
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def decode(data: bytes) -> str:
    """The text of the one QR code in the PNG `data`."""
    width, height, rows, _ = png.Reader(bytes=data).asRGB8()
    grey = bytes(row[i] for row in rows for i in range(0, 3 * width, 3))  # black and white: one channel will do
    codes = zxingcpp.read_barcodes(memoryview(grey).cast("B", (height, width)),
                                   formats=zxingcpp.BarcodeFormat.QRCode)
    assert len(codes) == 1, codes
    return codes[0].text


def fields(payload: str) -> dict:
    parts = urlsplit(payload)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "haidy.ch", "/integration")
    query = parse_qs(parts.query, strict_parsing=True)
    assert all(len(values) == 1 for values in query.values())
    return {key: values[0] for key, values in query.items()}


def qr_url(integration=INTEGRATION, **params):
    query = "&".join(f"{key}={quote(value, safe='')}" for key, value in params.items() if value is not None)
    return f"/v2/external-integrations/{integration}/qr-code" + (f"?{query}" if query else "")


def doc_example() -> str:
    """The docs' constructed example request, path and query, exactly as printed."""
    lines = DOC.read_text(encoding="utf-8").splitlines()
    start = lines.index("Example request (constructed from the documented parameters):")
    request = lines[start + 1]
    assert request.startswith("GET https://api.44ai.ch/") and lines[start + 2] == "Authorization: Bearer <YOUR_TOKEN>"
    parts = urlsplit(request.removeprefix("GET "))
    return f"{parts.path}?{parts.query}"


def test_the_docs_example_request_answers_a_png_that_decodes_to_the_patient(client):
    resp = client.get(doc_example(), headers=AUTH)
    assert resp.status_code == 200 and resp.mimetype == "image/png"
    data = resp.get_data()
    assert data.startswith(PNG_SIGNATURE)
    got = fields(decode(data))
    assert got.pop("integration") == INTEGRATION and got.pop("unique_id") == "patient-12345"
    assert json.loads(got.pop("metadata")) == META
    assert got == {}  # no consultation_id, as none was given


def test_consultation_id_and_non_ascii_metadata_are_carried(client):
    meta = {"patient_first_name": "Zoë", "patient_last_name": "Müller & Söhne", "patient_birth_date": "2024-02-29"}
    resp = client.get(qr_url(unique_id="pat/1 2?", consultation_id="cons_abc123",
                             patient_metadata=json.dumps(meta, ensure_ascii=False)), headers=AUTH)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    got = fields(decode(resp.get_data()))
    assert got == {"integration": INTEGRATION, "unique_id": "pat/1 2?", "consultation_id": "cons_abc123",
                   "metadata": json.dumps(meta, ensure_ascii=False)}


def test_only_the_required_parameter(client):
    resp = client.get(qr_url(unique_id="patient-12345"), headers=AUTH)
    assert resp.status_code == 200
    assert fields(decode(resp.get_data())) == {"integration": INTEGRATION, "unique_id": "patient-12345"}


def test_the_same_request_gives_the_same_bytes(client):
    url = doc_example()
    first, second = (client.get(url, headers=AUTH).get_data() for _ in range(2))
    assert first == second
    other = client.get(qr_url(unique_id="patient-12345", consultation_id="c1"), headers=AUTH).get_data()
    assert other != first


def test_unknown_integration_is_404(client):
    resp = client.get(qr_url("unknown0000000", unique_id="patient-12345"), headers=AUTH)
    assert resp.status_code == 404 and resp.get_json() == {"detail": "Integration not found"}


def test_another_tenants_integration_is_404(client):
    created = client.post("/_mock/tenants/clinic-a", json={"haidy": {"integrations": ["clinicaint0001"]}})
    assert created.status_code in (200, 201), created.get_data(as_text=True)
    url = qr_url("clinicaint0001", unique_id="patient-12345")
    own = client.get(url, headers={"Authorization": "Bearer clinic-a"})
    assert own.status_code == 200 and fields(decode(own.get_data()))["integration"] == "clinicaint0001"
    other = client.get(url, headers=AUTH)
    assert other.status_code == 404 and other.get_json() == {"detail": "Integration not found"}


def test_the_docs_integration_is_every_tenants(client):
    assert client.get(qr_url(unique_id="x"), headers={"Authorization": "Bearer brand-new"}).status_code == 200


def test_a_bearer_token_is_required(client):
    assert client.get(qr_url(unique_id="patient-12345")).status_code == 401


@pytest.mark.parametrize("params, loc, text", [
    ({}, "unique_id", "field required"),
    ({"unique_id": ""}, "unique_id", ""),
    ({"unique_id": "p", "patient_metadata": "{not json"}, "patient_metadata", "patient_metadata is not a JSON object"),
    ({"unique_id": "p", "patient_metadata": "[1, 2]"}, "patient_metadata", "patient_metadata is not a JSON object"),
    ({"unique_id": "p", "patient_metadata": json.dumps({"patient_id": 12345})}, "patient_metadata", ""),
    ({"unique_id": "p", "patient_metadata": json.dumps({"patient_birth_date": "1980-13-45"})}, "patient_metadata",
     "invalid date format"),
])
def test_invalid_queries_get_fastapi_422(client, params, loc, text):
    resp = client.get(qr_url(**params), headers=AUTH)
    assert resp.status_code == 422 and resp.mimetype == "application/json"
    detail = resp.get_json()["detail"]
    assert any(error["loc"][:2] == ["query", loc] and text in error["msg"] for error in detail), detail
