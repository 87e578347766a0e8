"""`mockserver serve` and `mockserver openapi` as a user runs them."""

import json
import subprocess

import pytest
import requests

from tests.support import BIN, Served


@pytest.mark.parametrize("server", ["granian", "waitress"])
def test_serve_logs_each_request_and_stops_cleanly_on_ctrl_c(server):
    served = Served("--server", server)
    requests.post(f"{served.url}/v2/patient-contexts/", headers={"Authorization": "Bearer cli"},
                  json={"external_id": "cli-1", "patient_group": "sqmcrfbv6fx4g04"}).raise_for_status()
    requests.get(f"{served.url}/v2/nothing-here")
    code, output = served.stop()
    assert code == 0, output
    assert "POST /v2/patient-contexts/ 200" in output
    assert "GET /v2/nothing-here 404" in output


def test_serve_sends_cors_headers_for_local_frontends(served):
    preflight = requests.options(f"{served.url}/v2/patient-contexts/", headers={
        "Origin": "http://localhost:3000", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type"})
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] in ("*", "http://localhost:3000")
    assert "authorization" in preflight.headers["Access-Control-Allow-Headers"].lower()


def test_cors_origins_can_be_restricted():
    served = Served("--cors-origin", "http://app.local")
    try:
        allowed = requests.get(f"{served.url}/_mock/health", headers={"Origin": "http://app.local"})
        other = requests.get(f"{served.url}/_mock/health", headers={"Origin": "http://evil.local"})
    finally:
        served.stop()
    assert allowed.headers["Access-Control-Allow-Origin"] == "http://app.local"
    assert "Access-Control-Allow-Origin" not in other.headers


def test_openapi_command_prints_the_document():
    out = subprocess.run([str(BIN / "mockserver"), "openapi"], capture_output=True, text=True, check=True).stdout
    doc = json.loads(out)
    assert doc["openapi"] == "3.1.0"
    assert "/v2/patient-contexts/" in doc["paths"] and not any(p.startswith("/_mock") for p in doc["paths"])


def test_strict_without_config_is_a_usage_error():
    done = subprocess.run([str(BIN / "mockserver"), "serve", "--auth", "strict"], capture_output=True, text=True)
    assert done.returncode == 2 and "tenants file" in done.stderr


@pytest.mark.parametrize(
    "option, content, expected",
    [
        pytest.param(
            "--config",
            {"tenants": {"acme": {"heidi": {"api_keys": "acme-key"}}}},
            "does not match its schema: tenants -> acme -> heidi -> api_keys: value is not a valid list",
            id="tenants",
        ),
        pytest.param(
            "--state",
            {"tenants": {"t": {"haidy": {"patient_groups": [5]}}}},
            "does not match its schema: tenants -> t -> haidy -> patient_groups -> 0: str type expected",
            id="state",
        ),
        pytest.param(
            "--state",
            {"tenants": {"esteem": {"esteem": {"practices": [{"id": 1, "name": "A"}, {"id": 1, "name": "B"}]}}}},
            "tenants -> esteem -> esteem: practice 1 appears twice",
            id="state-rule",
        ),
    ],
)
def test_serve_refuses_a_file_it_cannot_load_as_a_usage_error(tmp_path, option, content, expected):
    path = tmp_path / "file.json"
    path.write_text(json.dumps(content))
    strict = ["--auth", "strict"] if option == "--config" else []
    done = subprocess.run([str(BIN / "mockserver"), "serve", "--port", "0", *strict, option, str(path)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and expected in done.stderr, done.stderr


def test_no_heidi_examples_starts_every_heidi_user_empty(served):
    def profiles(url: str) -> list[str]:
        heidi = f"{url}/api/v2/ml-scribe/open-api"
        token = requests.get(f"{heidi}/jwt", params={"email": "a@example.com", "third_party_internal_id": "a"},
                             headers={"Heidi-Api-Key": "cli-key"}).json()["token"]
        answer = requests.get(f"{heidi}/patient-profiles", headers={"Authorization": f"Bearer {token}"})
        return [p["id"] for p in answer.json()["data"]]

    assert profiles(served.url) == ["5eb7cf5a86d9755df3a6c593"]  # the default: the docs' example profile
    clean = Served("--no-heidi-examples")
    try:
        assert profiles(clean.url) == []
    finally:
        clean.stop()
