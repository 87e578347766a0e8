"""`mockserver contract --base-url`: the contract run against a live server, as CI would use it."""

import functools
import http.server
import json
import subprocess
import threading
import xml.etree.ElementTree as ET

import pytest
import requests

from mockserver import create_app, registry
from mockserver.harness import contract as contract_module
from tests.support import BIN, ROOT, Served

TENANTS = ROOT / "contracts" / "strict-tenants.json"
ALL_FAMILIES = {"tenants": {"contract": {
    "tokens": ["contract-token"], "heidi": {"api_keys": ["contract-key"]},
    "esteem": {"users": [{"token": "contract-user", "role": "admin", "practice": "Contract"}]}}},
    "admin_tokens": ["contract-admin-token"]}
"""Strict credentials for every family, so the contract's invalid-authentication checks hold too."""
ADMIN = {"Authorization": "Bearer contract-admin-token"}
"""The admin token of both strict tenants files: a strict mock's admin API wants it."""
OPEN_NOTE = "is a mockserver in open auth"


def contract(url: str, tmp_path, *extra: str, family: str = "haidy", token: str | None = "contract-token",
             cwd=None) -> tuple[subprocess.CompletedProcess, ET.Element | None]:
    """One run as CI makes it, from `cwd` (default: an empty folder of its own); the JUnit report lies outside it."""
    junit = tmp_path / f"contract-{family}.xml"
    junit.unlink(missing_ok=True)
    if cwd is None:
        cwd = tmp_path / f"cwd-{family}"
        cwd.mkdir(exist_ok=True)
    done = subprocess.run(
        [
            str(BIN / "mockserver"),
            "contract",
            "--base-url",
            url,
            "--family",
            family,
            *(["--token", token] if token is not None else []),
            "--max-examples",
            "3",
            "--seed",
            "1",
            "--phases",
            "examples,fuzzing,stateful",
            "--junit",
            str(junit),
            *extra,
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=cwd,
    )
    return done, ET.parse(junit).getroot() if junit.exists() else None


def strict_served(tmp_path, *extra: str) -> Served:
    """`mockserver serve --auth strict` with ALL_FAMILIES as its tenants file."""
    tenants = tmp_path / "tenants.json"
    tenants.write_text(json.dumps(ALL_FAMILIES))
    return Served("--auth", "strict", "--config", str(tenants), *extra)


def cases_in(report: ET.Element) -> int:
    return int(report.get("tests", report[0].get("tests", "0")))


@pytest.mark.slow
def test_the_mock_honours_its_own_contract_and_a_drifted_server_fails_it(tmp_path):
    server = Served("--auth", "strict", "--config", str(TENANTS), "--task-timing", "instant")
    try:
        clean, report = contract(server.url, tmp_path)
        assert clean.returncode == 0, clean.stdout[-3000:]
        assert cases_in(report) > 0
        assert OPEN_NOTE not in clean.stdout  # strict: the invalid-authentication check runs
        # Drift: the server starts answering a patient context in a shape the docs do not allow.
        requests.post(f"{server.url}/_mock/faults", headers=ADMIN, json={
            "method": "GET", "path": "/v2/patient-contexts/*", "times": None, "status": 200, "body": {"id": 42}},
        ).raise_for_status()
        drifted, report = contract(server.url, tmp_path)
    finally:
        server.stop()
    assert drifted.returncode != 0
    assert "GET /v2/patient-contexts/{patient_context_id}" in drifted.stdout
    assert report.iter("failure") and any(True for _ in report.iter("failure"))


@pytest.mark.slow
def test_every_family_passes_against_a_strict_mock(tmp_path):
    server = strict_served(tmp_path, "--task-timing", "instant")
    try:
        jwt = requests.get(
            f"{server.url}/jwt",
            headers={"Heidi-Api-Key": "contract-key"},
            params={"email": "contract@example.com", "third_party_internal_id": "contract"},
        ).json()["token"]
        runs = {"haidy": contract(server.url, tmp_path),
                "heidi": contract(server.url, tmp_path, "--api-key", "contract-key", family="heidi", token=jwt),
                "esteem": contract(server.url, tmp_path, family="esteem", token="contract-user")}
    finally:
        server.stop()
    for family, (done, report) in runs.items():
        assert done.returncode == 0, (family, done.stdout[-3000:])
        assert cases_in(report) > 0, family


@pytest.mark.slow
def test_every_family_passes_against_the_readmes_open_mock_from_a_clean_directory(tmp_path):
    """`mockserver serve` as the README starts it: open auth accepts any token, so that one check is left out,
    and said so. Nothing is written to the caller's working directory (no .schemathesis cache)."""
    server = Served()
    try:
        runs = {family: contract(server.url, tmp_path, family=family) for family in registry.names()}
    finally:
        server.stop()
    for family, (done, report) in runs.items():
        assert done.returncode == 0, (family, done.stdout[-3000:], done.stderr[-2000:])
        assert cases_in(report) > 0, family
        assert done.stdout.count(OPEN_NOTE) == 1 and "ignored_auth" in done.stdout, family
        assert list((tmp_path / f"cwd-{family}").iterdir()) == [], family


@pytest.mark.slow
def test_heidi_with_an_api_key_alone_gets_its_jwt_itself(tmp_path):
    server = strict_served(tmp_path, "--task-timing", "instant")
    try:
        done, report = contract(server.url, tmp_path, "--api-key", "contract-key", "--email", "ci@example.com",
                                "--user-id", "ci-user", family="heidi", token=None)
        refused, no_report = contract(server.url, tmp_path, "--api-key", "not-a-key", family="heidi", token=None)
        users = requests.get(f"{server.url}/_mock/requests", params={"path": "/api/v2/ml-scribe/open-api/jwt"},
                             headers=ADMIN).json()
    finally:
        server.stop()
    assert done.returncode == 0, done.stdout[-3000:]
    assert cases_in(report) > 0
    assert "JWT from GET /jwt for ci@example.com (ci-user)" in done.stdout
    assert any(entry["status"] == 200 and "ci-user" in json.dumps(entry) for entry in users)
    assert refused.returncode == contract_module.EXIT_NO_JWT and no_report is None
    assert "Traceback" not in refused.stderr
    assert "could not get a Heidi JWT" in refused.stderr and "HTTP 401" in refused.stderr


def test_no_jwt_from_an_unreachable_server_is_a_clear_error(tmp_path, capsys):
    code = contract_module.run("http://127.0.0.1:9", family="heidi", api_key="key", workdir=tmp_path / "work")
    err = capsys.readouterr().err
    assert code == contract_module.EXIT_NO_JWT
    assert err.startswith("mockserver contract: could not get a Heidi JWT from GET http://127.0.0.1:9/api/v2/ml-scribe")


@pytest.fixture
def plain_server(tmp_path):
    """A server that is not a mock: no /_mock/health."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_only_a_mock_in_open_auth_loses_the_invalid_authentication_check(served, plain_server, tmp_path):
    strict = strict_served(tmp_path)
    try:
        assert contract_module.mock_auth(served.url) == "open"
        assert contract_module.mock_auth(served.url + "/api/v2/ml-scribe/open-api") == "open"
        assert contract_module.mock_auth(strict.url) == "strict"
    finally:
        strict.stop()
    assert contract_module.mock_auth(plain_server) is None
    assert contract_module.mock_auth("http://127.0.0.1:9") is None


def test_the_schemathesis_command_runs_each_familys_operations_with_its_own_credentials(tmp_path):
    document = create_app().test_client().get("/openapi.json").get_json()
    cmd = contract_module.command("http://mock", document, tmp_path, family=None, token="t", api_key="k",
                                  max_examples=3, junit="report.xml", seed=None, tokens={"heidi": "jwt"},
                                  exclude_checks=("ignored_auth",))
    assert cmd[cmd.index("--exclude-checks") + 1] == "ignored_auth"
    assert cmd[cmd.index("--report-junit-path") + 1].startswith("/")  # the caller's path, not the workdir's
    config = (tmp_path / "schemathesis.toml").read_text()
    jwt_block = config.split('include-operation-id = "list_linked_user_sessions"')[1].split("[[operations]]")[0]
    assert 'headers = {"Authorization" = "Bearer jwt", "Heidi-Api-Key" = "k"}' in jwt_block
    haidy_block = config.split('include-operation-id = "get_patient_context"')[1].split("[[operations]]")[0]
    assert "headers" not in haidy_block  # the run's headers
    headers = [cmd[i + 1] for i, arg in enumerate(cmd) if arg == "--header"]
    assert headers == ["Authorization: Bearer t", "Heidi-Api-Key: k", "X-User-Token: t"]
    heidi_only = contract_module.command("http://mock", document, tmp_path, family="heidi", token="t", api_key="k",
                                         max_examples=3, junit=None, seed=None, tokens={"heidi": "jwt"})
    assert [heidi_only[i + 1] for i, arg in enumerate(heidi_only) if arg == "--header"] == [
        "Authorization: Bearer jwt", "Heidi-Api-Key: k"]


def test_a_chosen_workdir_holds_schemathesis_files(tmp_path, served):
    caller = tmp_path / "caller"
    caller.mkdir()
    workdir = tmp_path / "work"
    done = subprocess.run(
        [str(BIN / "mockserver"), "contract", "--base-url", served.url, "--family", "heidi", "--max-examples", "1",
         "--phases", "examples", "--workdir", str(workdir)],
        capture_output=True, text=True, timeout=600, cwd=caller)
    assert done.returncode == 0, done.stdout[-3000:]
    assert list(caller.iterdir()) == []
    assert {"openapi.json", "schemathesis.toml"} <= {p.name for p in workdir.iterdir()}


@pytest.mark.parametrize("prefix", ["", "/api/v2/ml-scribe/open-api"])
def test_a_literal_path_segment_wins_over_a_parameter_for_every_method(prefix):
    client = create_app().test_client()
    linked = client.options(f"{prefix}/sessions/linked-user")
    assert linked.status_code == 200
    assert sorted(linked.headers["Allow"].split(", ")) == ["GET", "HEAD", "OPTIONS"]
    refused = client.patch(f"{prefix}/sessions/linked-user", json={})
    assert refused.status_code == 405
    assert sorted(refused.headers["Allow"].split(", ")) == ["GET", "HEAD", "OPTIONS"]
    session = client.options(f"{prefix}/sessions/some-session-id")
    assert sorted(session.headers["Allow"].split(", ")) == ["GET", "HEAD", "OPTIONS", "PATCH"]
    assert client.get(f"{prefix}/sessions/linked-user-2").status_code != 405  # only the literal itself is taken
