"""`mockserver coverage` against a running server: documented vs exercised (operation, status)."""

import json
import subprocess

import requests

from tests.support import BIN


def test_coverage_command_reads_the_running_servers_journal(served):
    requests.post(f"{served.url}/_mock/reset")
    headers = {"Authorization": "Bearer coverage"}
    requests.post(f"{served.url}/v2/patient-contexts/", json={"external_id": "x"}, headers=headers)
    requests.get(f"{served.url}/v2/patient-contexts/", headers=headers)
    out = subprocess.run([str(BIN / "mockserver"), "coverage", "--base-url", served.url, "--json"],
                         capture_output=True, text=True, check=True).stdout
    report = {op["operationId"]: op for op in json.loads(out)["operations"]}
    assert report["create_patient_context"]["seen"] == {"422": 1}
    assert "200" in report["create_patient_context"]["missing"]
    assert report["list_patient_contexts"]["seen"] == {"200": 1}
    assert report["upload_patient_files"]["seen"] == {}


def test_coverage_of_a_strict_mock_takes_its_admin_token():
    from tests.support import ROOT, Served

    server = Served("--auth", "strict", "--config", str(ROOT / "contracts" / "strict-tenants.json"))
    try:
        requests.get(f"{server.url}/v2/patient-contexts/", headers={"Authorization": "Bearer contract-token"})
        command = [str(BIN / "mockserver"), "coverage", "--base-url", server.url, "--json"]
        refused = subprocess.run(command, capture_output=True, text=True)
        done = subprocess.run([*command, "--admin-token", "contract-admin-token"], capture_output=True, text=True)
    finally:
        server.stop()
    assert refused.returncode == 1 and "answered 401" in refused.stderr and "--admin-token" in refused.stderr
    assert "Traceback" not in refused.stderr
    report = {op["operationId"]: op for op in json.loads(done.stdout)["operations"]}
    assert report["list_patient_contexts"]["seen"] == {"200": 1}
