"""`mockserver contract --base-url`: the contract run against a live server, as CI would use it."""

import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import requests

from tests.support import BIN, Served

TENANTS = Path(__file__).resolve().parents[1] / "contracts" / "strict-tenants.json"


def contract(url: str, tmp_path, *extra: str) -> tuple[subprocess.CompletedProcess, ET.Element]:
    junit = tmp_path / "contract.xml"
    done = subprocess.run([str(BIN / "mockserver"), "contract", "--base-url", url, "--family", "haidy",
                           "--token", "contract-token", "--max-examples", "3", "--seed", "1", "--phases", "examples,fuzzing,stateful",
                           "--junit", str(junit), *extra],
                          capture_output=True, text=True, timeout=600)
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
