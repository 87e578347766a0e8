"""`mockserver serve` and `mockserver openapi` as a user runs them."""

import json
import subprocess
import threading
import time

import pytest
import requests

from tests.support import BIN, Served, split_banner


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
        allowed = requests.get(f"{served.url}/openapi.json", headers={"Origin": "http://app.local"})
        other = requests.get(f"{served.url}/openapi.json", headers={"Origin": "http://evil.local"})
        admin = requests.get(f"{served.url}/_mock/health", headers={"Origin": "http://app.local"})
    finally:
        served.stop()
    assert allowed.headers["Access-Control-Allow-Origin"] == "http://app.local"
    assert "Access-Control-Allow-Origin" not in other.headers
    assert "Access-Control-Allow-Origin" not in admin.headers  # the admin API has --admin-origin


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


def banner_of(*args: str) -> tuple[str, str]:
    """The start-up banner of `mockserver serve ARGS` (and its URL), read once it has stopped."""
    server = Served("--no-access-log", *args)
    code, output = server.stop()
    assert code == 0, output
    return "\n".join(split_banner(output)[0]), server.url


def test_serve_prints_the_console_the_reference_auth_and_data():
    banner, url = banner_of("--fixtures", "demo", "--latency", "100-400ms")
    lines = banner.splitlines()
    assert lines[0] == f"mockserver on {url} (granian, auth open); Ctrl-C stops it"
    assert f"  console        {url}/_mock/console/" in lines
    assert f"  API reference  {url}/_mock/console/#/reference" in lines
    assert "  auth           open: any bearer token, Heidi any API key (each its own tenant)" in lines
    assert any("haidy" in line and "Authorization: Bearer <any token>" in line for line in lines)
    assert any("heidi" in line and "Heidi-Api-Key: <any API key>" in line for line in lines)
    assert "admin API and console: open" in banner
    assert "  data           demo (--fixtures), credentials in it:" in lines
    assert any(line.split() == ["haidy", "demo-token"] for line in lines)
    assert any(line.split()[:3] == ["esteem", "your_token_here,", "practice-1-supervisor,"] and "more" in line
               for line in lines)
    assert "  latency        100-400ms on every vendor answer" in lines
    assert len(lines) <= 16  # a short block


def test_strict_serve_lists_the_tenants_files_credentials_but_never_the_admin_token(tmp_path):
    from mockserver.core.data_files import data_dir

    tenants = tmp_path / "tenants.json"
    example = json.loads((data_dir("fixtures") / "heidi" / "tenants.example.json").read_text())
    tenants.write_text(json.dumps({**example, "admin_tokens": ["secret-from-file"]}))
    banner, _ = banner_of("--auth", "strict", "--config", str(tenants), "--admin-token", "secret-from-cli")
    assert "  auth           strict: only the credentials of tenants.json" in banner
    assert "sydney-heidi-key, melbourne-heidi-key-1, melbourne-heidi-key-2" in banner
    assert "melbourne-haidy-token" in banner
    assert "admin API and console: an admin token (2 configured)" in banner
    assert "secret-from" not in banner
    assert "  data           none, empty" in banner


def test_strict_serve_without_an_admin_token_says_how_to_set_one(tmp_path):
    tenants = tmp_path / "tenants.json"
    tenants.write_text(json.dumps({"tenants": {"acme": {"tokens": ["acme-1"]}}}))
    banner, _ = banner_of("--auth", "strict", "--config", str(tenants))
    assert "admin API and console: closed, as no admin token is configured" in banner
    assert '--admin-token TOKEN, or list "admin_tokens" in the tenants file' in banner


def test_the_banner_names_a_browsable_host():
    from mockserver.harness.banner import browsable

    assert [browsable(h) for h in ("0.0.0.0", "::", "::1", "localhost")] == ["127.0.0.1", "[::1]", "[::1]",
                                                                              "localhost"]


@pytest.mark.parametrize("args, expected", [
    (["--latency", "250"], "needs a unit: 250ms or 250s"),
    (["--latency", "fast"], "is not a duration such as 250ms"),
    (["--latency", "400-100ms"], "runs backwards"),
    (["--latency", "2min"], "is not a duration"),
    (["--latency", "61s"], "between 0 and 60000 ms"),
    (["--admin-token", "t"], "admin tokens need auth 'strict'"),
    (["--admin-origin", "localhost:3000"], "is not an origin"),
])
def test_bad_serve_options_are_usage_errors(args, expected):
    done = subprocess.run([str(BIN / "mockserver"), "serve", "--port", "0", *args], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 2 and expected in done.stderr, done.stderr


def test_a_slow_answer_does_not_hold_the_others():
    """Two request threads behind the gate: one request sleeping in a fault's latency, another answered meanwhile."""
    served = Served()
    try:
        auth = {"Authorization": "Bearer slow"}
        requests.post(f"{served.url}/_mock/faults", json={"path": "/v2/patient-contexts/slow", "latency_ms": 3000,
                                                           "status": 404}).raise_for_status()
        slow = threading.Thread(target=requests.get, args=(f"{served.url}/v2/patient-contexts/slow",),
                                kwargs={"headers": auth, "timeout": 30})
        slow.start()
        time.sleep(0.5)  # the slow one is asleep in its thread now
        started = time.monotonic()
        fast = requests.get(f"{served.url}/v2/patient-contexts/other", headers=auth, timeout=30)
        took = time.monotonic() - started
        slow.join()
        assert fast.status_code == 404 and took < 2.0, took  # it did not wait out the slow one's 3 s
    finally:
        served.stop()
