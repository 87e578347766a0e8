"""`serve --snapshot FILE`: the state survives a restart without a shared store, on both servers."""

import json
import time

import pytest
import requests

from tests.support import AUTH, GROUP, Served


def create(served, external_id):
    answer = requests.post(f"{served.url}/v2/patient-contexts/", headers=AUTH, timeout=10,
                           json={"external_id": external_id, "patient_group": GROUP, "name": "Ada Lovelace"})
    assert answer.status_code == 200, answer.text
    return answer.json()


def eventually(condition, what, seconds=10.0):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"{what} never happened"
        time.sleep(0.05)


def contexts(snapshot):
    state = json.loads(snapshot.read_text())
    return [c["external_id"] for c in state["tenants"].get("test-token", {}).get("haidy", {})["patient_contexts"]]


@pytest.mark.parametrize("server", ["granian", "waitress"])
def test_the_state_is_written_on_stop_and_read_back_on_start(tmp_path, server):
    snapshot = tmp_path / "state.json"
    first = Served("--server", server, "--snapshot", str(snapshot), "--snapshot-every", "0", "--no-access-log")
    try:
        kept = create(first, "kept-1")
        assert not snapshot.exists()  # every 0: only on stop
    finally:
        code, output = first.stop()
    assert code == 0, output
    assert contexts(snapshot) == ["kept-1"]

    second = Served("--server", server, "--snapshot", str(snapshot), "--no-access-log")
    try:
        store = requests.get(f"{second.url}/_mock/health", timeout=10).json()["store"]
        assert store == {"kind": "memory", "reachable": True, "location": None, "snapshot": "state.json"}
        again = requests.get(f"{second.url}/v2/patient-contexts/{kept['id']}", headers=AUTH, timeout=10)
        assert again.status_code == 200 and again.json() == kept
        duplicate = requests.post(f"{second.url}/v2/patient-contexts/", headers=AUTH, timeout=10,
                                  json={"external_id": "kept-1", "patient_group": GROUP})
        assert duplicate.status_code == 400  # its uniqueness rule came back with it
        requests.post(f"{second.url}/_mock/reset", timeout=10).raise_for_status()  # back to the start: empty
        assert requests.get(f"{second.url}/v2/patient-contexts/", headers=AUTH, timeout=10).json() == []
    finally:
        code, output = second.stop()
    assert code == 0 and "--snapshot: as the last run left it" in output, output
    assert contexts(snapshot) == []  # the reset was the last change: that is what the next start gets


def test_the_state_is_written_while_the_server_runs(tmp_path):
    snapshot = tmp_path / "state.json"
    served = Served("--snapshot", str(snapshot), "--snapshot-every", "0.2", "--no-access-log")
    try:
        create(served, "written-1")
        eventually(lambda: snapshot.exists() and contexts(snapshot) == ["written-1"], "the periodic write")
        written = snapshot.stat().st_mtime_ns
        requests.get(f"{served.url}/v2/patient-contexts/", headers=AUTH, timeout=10)  # a read changes nothing
        time.sleep(0.6)  # three periods
        assert snapshot.stat().st_mtime_ns == written
    finally:
        served.stop()


def test_a_snapshot_that_is_not_a_state_export_stops_the_start(tmp_path):
    snapshot = tmp_path / "state.json"
    snapshot.write_text('{"tenants": {"t": {"haidy": {"patient_contexts": "not a list"}}}}')
    with pytest.raises(RuntimeError, match=r"state\.json"):
        Served("--snapshot", str(snapshot))
    assert "not a list" in snapshot.read_text()  # left as it was, for the user to look at
