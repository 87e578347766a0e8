"""`mockserver contract --base-url`: the contract run against a live server, as CI would use it."""

import json
import subprocess
import xml.etree.ElementTree as ET

import pytest
import requests

from tests.support import BIN, ROOT, Served

TENANTS = ROOT / "contracts" / "strict-tenants.json"
ALL_FAMILIES = {"tenants": {"contract": {
    "tokens": ["contract-token"], "heidi": {"api_keys": ["contract-key"]},
    "esteem": {"users": [{"token": "contract-user", "role": "admin", "practice": "Contract"}]}}}}
"""Strict credentials for every family, so the contract's invalid-authentication checks hold too."""


def contract(url: str, tmp_path, *extra: str, family: str = "haidy",
             token: str = "contract-token") -> tuple[subprocess.CompletedProcess, ET.Element]:
    junit = tmp_path / f"contract-{family}.xml"
    done = subprocess.run(
        [
            str(BIN / "mockserver"),
            "contract",
            "--base-url",
            url,
            "--family",
            family,
            "--token",
            token,
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
    )
    return done, ET.parse(junit).getroot()


@pytest.mark.slow
def test_the_mock_honours_its_own_contract_and_a_drifted_server_fails_it(tmp_path):
    server = Served("--auth", "strict", "--config", str(TENANTS), "--task-timing", "instant")
    try:
        clean, report = contract(server.url, tmp_path)
        assert clean.returncode == 0, clean.stdout[-3000:]
        assert int(report.get("tests", report[0].get("tests", "0"))) > 0
        # Drift: the server starts answering a patient context in a shape the docs do not allow.
        requests.post(f"{server.url}/_mock/faults", json={
            "method": "GET", "path": "/v2/patient-contexts/*", "times": None, "status": 200, "body": {"id": 42}})
        drifted, report = contract(server.url, tmp_path)
    finally:
        server.stop()
    assert drifted.returncode != 0
    assert "GET /v2/patient-contexts/{patient_context_id}" in drifted.stdout
    assert report.iter("failure") and any(True for _ in report.iter("failure"))


@pytest.mark.slow
def test_every_family_passes_against_a_strict_mock(tmp_path):
    tenants = tmp_path / "tenants.json"
    tenants.write_text(json.dumps(ALL_FAMILIES))
    server = Served("--auth", "strict", "--config", str(tenants), "--task-timing", "instant")
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
        assert int(report.get("tests", report[0].get("tests", "0"))) > 0, family
