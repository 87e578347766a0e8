"""Heidi over a live `mockserver serve`, with a plain `requests` client, under the real base path.

The docs' requests are taken from the doc text itself and sent as written (bodies byte for byte,
trailing comma included); only the base URL and the token differ. The docs are read from their
verbatim copies in tests/heidi/doc_examples/ (tests/test_vendor_docs.py compares those with the vendor's).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import subprocess
from datetime import UTC, datetime

import pytest
import requests

import mockserver
from mockserver.core.data_files import data_dir
from tests.heidi.support import BASE
from tests.support import BIN, DOC_COPIES, Served

DOCS = DOC_COPIES["heidi"]
_REQUEST = re.compile(r"^(GET|POST|PATCH|DELETE) (/\S+)$")


def doc_requests(name: str) -> list[tuple[str, str, str | None]]:
    """(method, path, body text) of every request the doc shows; bodies end at the line that opens with `}`."""
    lines = (DOCS / name).read_text(encoding="utf-8").splitlines()
    found = []
    for i, line in enumerate(lines):
        match = _REQUEST.match(line.strip())
        if not match:
            continue
        method, path, body = match.group(1), match.group(2), None
        if method != "GET":
            start = next(j for j in range(i + 1, len(lines)) if lines[j].lstrip().startswith("{"))
            end = next(j for j in range(start, len(lines)) if lines[j].startswith("}"))
            body = "\n".join(lines[start:end] + ["}"])
        found.append((method, path, body))
    return found


DOC_REQUESTS = doc_requests("heidi-patient-profiles.txt") + doc_requests("heidi-sessions.txt")


@pytest.fixture(scope="module")
def server():
    """Open auth, checking every answer against its schema (a violation would be a 500)."""
    served = Served("--validate-responses")
    yield served
    served.stop()


class Heidi:
    """A client as an integrator writes it: a session with the base URL and a bearer JWT."""

    def __init__(self, root: str, api_key: str, user: str = "ehr-user-7741"):
        self.base = root + BASE
        self.http = requests.Session()
        resp = self.http.get(
            f"{self.base}/jwt",
            params={"email": "dr.smith@example.com", "third_party_internal_id": user},
            headers={"Heidi-Api-Key": api_key},
            timeout=10,
        )
        resp.raise_for_status()
        self.expiration_time = resp.json()["expiration_time"]
        self.http.headers["Authorization"] = f"Bearer {resp.json()['token']}"

    def call(self, method: str, path: str, expect: int = 200, **kwargs) -> dict:
        resp = self.http.request(method, self.base + path, timeout=10, **kwargs)
        assert resp.status_code == expect, (method, path, resp.status_code, resp.text)
        assert resp.headers["Content-Type"].startswith("application/json")
        return resp.json()


def test_the_docs_show_every_endpoint_of_the_issue():
    assert [(m, p.split("?")[0]) for m, p, _ in DOC_REQUESTS] == [
        ("POST", "/patient-profiles"), ("PATCH", "/patient-profiles/5eb7cf5a86d9755df3a6c593"),
        ("DELETE", "/patient-profiles:batch-delete"), ("POST", "/patient-profiles/5eb7cf5a86d9755df3a6c593/sessions"),
        ("GET", "/patient-profiles"), ("GET", "/patient-profiles/5eb7cf5a86d9755df3a6c593"),
        ("POST", "/sessions"), ("GET", "/sessions/1234567890"), ("PATCH", "/sessions/1234567890"),
        ("GET", "/sessions/linked-user"),
    ]


@pytest.mark.parametrize("method, path, body", DOC_REQUESTS, ids=[f"{m} {p}" for m, p, _ in DOC_REQUESTS])
def test_each_doc_request_runs_as_written(server, method, path, body):
    heidi = Heidi(server.url, api_key=f"doc-example {method} {path}")  # a fresh tenant per example
    if path.startswith("/sessions/linked-user"):
        heidi.call("POST", "/users/linked-account", json={"kinde_user_id": "kp_doc"})  # "only available after linking"
    headers = {"Content-Type": "application/json"} if body else {}
    answer = heidi.call(method, path, data=body.encode() if body else None, headers=headers)
    if method == "POST" and path == "/patient-profiles":
        assert {k: answer["data"][k] for k in json.loads(body)} == json.loads(body)
    if method == "PATCH" and path.startswith("/patient-profiles/"):
        assert answer["data"]["last_name"] == "Smith" and answer["data"]["ehr_patient_id"] == "EHR123456"
    if path.endswith("/sessions") and method == "POST" and path != "/sessions":
        assert [s["session_name"] for s in answer["data"]] == ["Session 123", "Session 124"]
    if path == "/sessions/1234567890":
        assert answer["session"]["session_name"] == "Session 123"


def test_the_whole_flow_under_the_real_base_path(server):
    heidi = Heidi(server.url, api_key="e2e-clinic")
    profile = heidi.call("POST", "/patient-profiles", json={
        "first_name": "Ada", "last_name": "Lovelace", "birth_date": "1815-12-10", "gender": "FEMALE",
        "ehr_patient_id": "E2E-1"})["data"]
    first = heidi.call("POST", "/sessions", json={"patient_profile_id": profile["id"], "ehr_appointment_id": "A1"})
    second = heidi.call("POST", "/sessions", json={})
    patched = heidi.call("PATCH", f"/sessions/{second['session_id']}", json={
        "duration": 600, "clinician_notes": ["BP 120/80"], "linked_sessions_for_context": [first["session_id"]]})
    assert patched["session"]["linked_sessions_for_context"] == [first["session_id"]]
    linked = heidi.call(
        "POST", f"/patient-profiles/{profile['id']}/sessions", json={"session_ids": [second["session_id"]]}
    )
    assert [s["session_id"] for s in linked["data"]] == [second["session_id"]]
    session = heidi.call("GET", f"/sessions/{second['session_id']}")["session"]
    assert session["patient"]["name"] == "Ada Lovelace" and session["ehr_patient_id"] == "E2E-1"
    assert session["duration"] == 600 and session["clinician_notes"] == ["BP 120/80"]
    profiles = heidi.call("GET", "/patient-profiles", params={"ehr_patient_id": "E2E-1"})["data"]
    assert [(p["id"], p["session_count"]) for p in profiles] == [(profile["id"], 2)]

    assert heidi.call("GET", "/sessions/linked-user", expect=400)["detail"]["type"] == "NoLinkedUserException"
    heidi.call("POST", "/users/linked-account", json={"kinde_user_id": "kp_ada"})
    assert heidi.call("GET", "/users/linked-account/access")["is_linked"] is True
    seen, page = [], 1
    while page:
        body = heidi.call("GET", "/sessions/linked-user", params={"page_size": 1, "page": page})
        seen += [s["session_id"] for s in body["sessions"]]
        page = body["next_page"]
    assert seen == [second["session_id"], first["session_id"], "0987654321", "1234567890", "1234567892",
                    "1234567891"]  # the docs' are theirs too

    assert heidi.call("DELETE", "/patient-profiles:batch-delete", json={"patient_profile_ids": [profile["id"]]}) == {
        "is_success": True}
    gone = heidi.call("GET", f"/patient-profiles/{profile['id']}", expect=404)
    assert gone == {"detail": {"msg": "Patient profile not found", "type": "PatientProfileNotFoundError"}}
    assert heidi.call("DELETE", "/users/linked-account:unlink") == {"is_success": True}
    assert heidi.call("GET", "/users/linked-account/access")["account"] is None
    other = Heidi(server.url, api_key="e2e-other-clinic")
    assert other.call("GET", f"/sessions/{first['session_id']}", expect=404)["detail"]["type"] == "SessionNotFoundError"


def test_tokens_expire_on_the_mocks_clock(server):
    heidi = Heidi(server.url, api_key="e2e-expiry")
    heidi.call("GET", "/patient-profiles")
    try:
        requests.post(f"{server.url}/_mock/clock", json={"advance_seconds": 3600}, timeout=10).raise_for_status()
        expired = heidi.call("GET", "/patient-profiles", expect=401)
        assert expired == {"detail": {"msg": "Token has expired", "type": "TokenExpiredError"}}
    finally:
        requests.post(f"{server.url}/_mock/clock", json={"unfreeze": True}, timeout=10).raise_for_status()
    heidi.call("GET", "/patient-profiles")  # back in real time, the token is valid again


def test_unknown_routes_under_the_base_path_answer_in_heidis_shape(server):
    resp = requests.get(f"{server.url}{BASE}/sessions/1/transcript-typo", timeout=10)
    assert resp.status_code == 404 and resp.json() == {"detail": {"msg": "Not Found", "type": "NotFound"}}


def test_strict_mode_with_the_example_tenants_file_and_a_chosen_secret_and_lifetime():
    served = Served("--auth", "strict", "--config", str(data_dir("fixtures") / "heidi" / "tenants.example.json"),
                    "--jwt-secret", "team-secret", "--jwt-lifetime", "120")
    try:
        with pytest.raises(requests.HTTPError):
            Heidi(served.url, api_key="not-configured")
        sydney = Heidi(served.url, api_key="sydney-heidi-key")
        profile = sydney.call("POST", "/patient-profiles", json={"first_name": "Kylie"})["data"]
        melbourne = Heidi(served.url, api_key="melbourne-heidi-key-2")
        melbourne.call("GET", f"/patient-profiles/{profile['id']}", expect=404)
        opaque = requests.get(f"{served.url}{BASE}/patient-profiles", timeout=10,
                              headers={"Authorization": "Bearer melbourne-haidy-token"})
        assert opaque.status_code == 401 and opaque.json()["detail"]["type"] == "InvalidTokenError"
        seconds_left = datetime.fromisoformat(sydney.expiration_time) - datetime.now(UTC)
        assert 100 < seconds_left.total_seconds() <= 120
        signing_input, _, signature = sydney.http.headers["Authorization"].removeprefix("Bearer ").rpartition(".")
        expected = hmac.new(b"team-secret", signing_input.encode(), hashlib.sha256).digest()
        assert base64.urlsafe_b64encode(expected).rstrip(b"=").decode() == signature
    finally:
        served.stop()


def test_a_lifetime_below_one_second_is_a_usage_error():
    done = subprocess.run([str(BIN / "mockserver"), "serve", "--jwt-lifetime", "0"], capture_output=True, text=True)
    assert done.returncode == 2 and "at least 1 second" in done.stderr


def test_calls_to_heidis_real_host_reach_the_fake_in_process():
    with mockserver.intercept():
        real = "https://registrar.api.heidihealth.com" + BASE
        token = requests.get(f"{real}/jwt", params={"email": "a@b.c", "third_party_internal_id": "u"},
                             headers={"Heidi-Api-Key": "intercepted"}, timeout=10).json()["token"]
        session = requests.get(f"{real}/sessions/1234567890", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert session.status_code == 200 and session.json()["session"]["session_name"] == "Session 123"
