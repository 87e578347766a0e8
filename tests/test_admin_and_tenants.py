"""The admin API (/_mock/), strict auth from a tenants file, and run-time provisioning."""

import json

import pytest

from mockserver import Config, create_app
from tests.conftest import AUTH, GROUP


def test_health(client):
    assert client.get("/_mock/health").get_json() == {"status": "ok", "version": "0.1.0", "auth": "open",
                                                       "families": ["haidy", "heidi", "esteem"]}


def test_export_import_round_trip_keeps_contexts_files_and_ids(client):
    ctx = client.post("/v2/patient-contexts/", json={"external_id": "e1", "patient_group": GROUP}, headers=AUTH).get_json()
    client.post(f"/v2/patient-files/upload/{ctx['id']}", data={"files": [(__import__("io").BytesIO(b"a note"), "n.txt")]},
                headers=AUTH, content_type="multipart/form-data")
    state = client.get("/_mock/state").get_json()

    other = create_app(Config(validate_responses=True)).test_client()
    assert other.put("/_mock/state", json=state).get_json() == {"status": "loaded"}
    assert other.get(f"/v2/patient-contexts/{ctx['id']}", headers=AUTH).get_json()["total_files"] == 1
    duplicate = other.post("/v2/patient-contexts/", json={"external_id": "e1", "patient_group": GROUP}, headers=AUTH)
    assert duplicate.status_code == 400
    assert other.get("/_mock/state").get_json() == state


def test_a_bad_state_is_refused_whole(client):
    client.post("/v2/patient-contexts/", json={"external_id": "e1", "patient_group": GROUP}, headers=AUTH)
    before = client.get("/_mock/state").get_json()
    resp = client.put("/_mock/state", json={"tenants": {"t": {"haidy": {}}, "u": {"nosuchfamily": {}}}})
    assert resp.status_code == 400 and "nosuchfamily" in resp.get_json()["detail"]
    resp = client.put("/_mock/state", json={"tenants": {"t": {"haidy": {"patient_contexts": [{"id": 1}]}}}})
    assert resp.status_code == 400
    assert client.get("/_mock/state").get_json() == before


def test_reset_drops_data_and_run_time_tenants(client):
    client.post("/_mock/tenants/test-token", json={"haidy": {"patient_groups": ["extra"]}})
    assert client.post("/v2/patient-contexts/", json={"external_id": "e", "patient_group": "extra"}, headers=AUTH).status_code == 200
    assert client.post("/_mock/reset").get_json() == {"status": "reset"}
    assert client.get("/v2/patient-contexts/", headers=AUTH).get_json() == []
    again = client.post("/v2/patient-contexts/", json={"external_id": "e", "patient_group": "extra"}, headers=AUTH)
    assert again.status_code == 400


@pytest.fixture
def strict_client(tmp_path):
    config = tmp_path / "tenants.json"
    config.write_text(json.dumps({"tenants": {
        "acme": {"tokens": ["acme-1", "acme-2"], "haidy": {"patient_groups": ["acmegroup000001"]}},
        "globex": {"tokens": ["globex-1"]},
    }}))
    return create_app(Config(auth="strict", tenants_file=str(config), validate_responses=True)).test_client()


def test_strict_mode_accepts_only_configured_tokens(strict_client):
    body = {"external_id": "e", "patient_group": "acmegroup000001"}
    resp = strict_client.post("/v2/patient-contexts/", json=body, headers={"Authorization": "Bearer stranger"})
    assert resp.status_code == 401 and resp.get_json() == {"detail": "Invalid authentication credentials"}
    created = strict_client.post("/v2/patient-contexts/", json=body, headers={"Authorization": "Bearer acme-1"})
    assert created.status_code == 200
    # Two tokens of one tenant share its data; another tenant sees none of it.
    same = strict_client.get(f"/v2/patient-contexts/{created.get_json()['id']}", headers={"Authorization": "Bearer acme-2"})
    assert same.status_code == 200
    other = strict_client.get(f"/v2/patient-contexts/{created.get_json()['id']}", headers={"Authorization": "Bearer globex-1"})
    assert other.status_code == 404
    globex = strict_client.post("/v2/patient-contexts/", json=body, headers={"Authorization": "Bearer globex-1"})
    assert globex.status_code == 400


def test_admin_can_add_tokens_in_strict_mode(strict_client):
    strict_client.post("/_mock/tenants/acme", json={"tokens": ["acme-3"]})
    resp = strict_client.get("/v2/patient-contexts/", headers={"Authorization": "Bearer acme-3"})
    assert resp.status_code == 200


def test_strict_mode_needs_a_tenants_file():
    with pytest.raises(ValueError, match="tenants file"):
        Config(auth="strict")


def test_the_shipped_example_tenants_file_works_in_strict_mode():
    from mockserver.resources import data_dir

    path = data_dir("fixtures") / "haidy" / "tenants.example.json"
    client = create_app(Config(auth="strict", tenants_file=str(path), validate_responses=True)).test_client()
    resp = client.post("/v2/patient-contexts/", headers={"Authorization": "Bearer zurich-dev-token"},
                       json={"external_id": "e", "patient_group": "grpzurich000002"})
    assert resp.status_code == 200
