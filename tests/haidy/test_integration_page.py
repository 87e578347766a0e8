"""The deep link /integration?...: an HTML page for the patient, HTML error pages with 4xx."""

import io
import json
import shutil
import subprocess
import tempfile
from urllib.parse import urlencode

import pytest
import requests

from tests.support import AUTH, GROUP, make_pdf, unless_installed

META = {"patient_id": "patient-12345", "patient_first_name": "John", "patient_last_name": "Doe",
        "patient_birth_date": "1980-01-01"}


def link(**overrides):
    params = {"email": "user@example.com", "integration": "o10i0iva3tn75kk", "unique_id": "patient-12345",
              "metadata": json.dumps(META), **overrides}
    return "/integration?" + urlencode({k: v for k, v in params.items() if v is not None})


def seed(client, headers=AUTH):
    ctx = client.post("/v2/patient-contexts/", json={"external_id": "patient-12345", "patient_group": GROUP,
                                                      "name": "John Doe", "birth_date": "1980-01-01"},
                      headers=headers).get_json()
    client.post(f"/v2/patient-files/upload/{ctx['id']}", headers=headers, content_type="multipart/form-data",
                data={"files": [(io.BytesIO(make_pdf()), "lab-report.pdf")]})
    return ctx


def test_page_shows_patient_files_and_metadata(client):
    ctx = seed(client)
    resp = client.get(link(password="s3cret"))
    assert resp.status_code == 200 and resp.mimetype == "text/html"
    page = resp.get_data(as_text=True)
    for expected in ("John Doe", "1980-01-01", ctx["id"], "lab-report.pdf", "user@example.com",
                     "patient_first_name", "/_mock/haidy/files/file_"):
        assert expected in page
    assert "s3cret" not in page


def test_values_are_html_escaped(client):
    client.post("/v2/patient-contexts/", json={"external_id": "x", "patient_group": GROUP,
                                               "name": "<script>alert(1)</script>"}, headers=AUTH)
    page = client.get(link(unique_id="x", email="<b>@x")).get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page and "<b>@x" not in page


@pytest.mark.parametrize("overrides, status, text", [
    ({"email": None}, 422, "email"),
    ({"integration": None, "unique_id": None}, 422, "unique_id"),
    ({"integration": "unknown0000000"}, 404, "Unknown integration"),
    ({"unique_id": "nobody"}, 404, "No patient context with external_id"),
    ({"metadata": "{not json"}, 422, "metadata is not a JSON object"),
    ({"metadata": json.dumps({"patient_birth_date": "1980-13-45"})}, 422, "invalid date format"),
])
def test_bad_links_get_html_error_pages(client, overrides, status, text):
    seed(client)
    resp = client.get(link(**overrides))
    assert resp.status_code == status and resp.mimetype == "text/html"
    assert text in resp.get_data(as_text=True)


def test_newest_context_wins_across_tenants(client):
    seed(client)
    client.post("/v2/patient-contexts/", json={"external_id": "patient-12345", "patient_group": GROUP,
                                               "name": "Other Tenant's John"},
                headers={"Authorization": "Bearer second"})
    assert "Other Tenant&#39;s John" in client.get(link()).get_data(as_text=True)


CHROMIUM = shutil.which("chromium")


@pytest.mark.browser
@unless_installed(CHROMIUM is None,
                  reason="Debian's chromium is not installed (make system-deps); in CI this fails instead")
def test_a_real_browser_renders_the_page(served):
    headers = {"Authorization": "Bearer browser-test"}
    ctx = requests.post(
        f"{served.url}/v2/patient-contexts/",
        headers=headers,
        json={
            "external_id": "browser-1",
            "patient_group": GROUP,
            "name": "Erika Mustermann",
            "birth_date": "1964-08-12",
        },
    ).json()
    requests.post(f"{served.url}/v2/patient-files/upload/{ctx['id']}", headers=headers,
                  files=[("files", ("befund.pdf", make_pdf(), "application/octet-stream"))]).raise_for_status()
    with tempfile.TemporaryDirectory() as profile:
        dom = subprocess.run(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={profile}", "--dump-dom", served.url + link(unique_id="browser-1")],
            capture_output=True, text=True, timeout=60).stdout
    assert '<dd id="external-id">browser-1</dd>' in dom
    assert "Erika Mustermann" in dom and "befund.pdf" in dom and "1964-08-12" in dom
