"""The admin API (/_mock/), strict auth from a tenants file, and run-time provisioning."""

import copy
import io
import json
import os

import pytest

from mockserver import Config, create_app
from tests.heidi.support import BASE as HEIDI
from tests.heidi.support import login
from tests.support import AUTH, GROUP


def test_health(client, store):
    shared = {"kind": "redis", "reachable": True, "location": store, "snapshot": None}
    assert client.get("/_mock/health").get_json() == {
        "status": "ok", "version": "0.1.0", "auth": "open", "families": ["haidy", "heidi", "esteem"],
        "task_timing": "realtime", "task_seconds": 3.0, "task_retention": "once", "data_set": None,
        "cors_origins": ["*"], "admin_origins": [], "worker": os.getpid(),
        "store": shared if store else {"kind": "memory", "reachable": True, "location": None, "snapshot": None}}


def test_health_names_the_data_set_but_not_where_it_lies(tmp_path):
    state = tmp_path / "my-state.json"
    state.write_text('{"tenants": {}}')
    assert create_app(Config(state_file=str(state))).test_client().get("/_mock/health").get_json()["data_set"] == \
        "my-state.json"
    assert create_app(Config(fixtures="demo")).test_client().get("/_mock/health").get_json()["data_set"] == "demo"


def test_export_import_round_trip_keeps_contexts_files_and_ids(client):
    ctx = client.post(
        "/v2/patient-contexts/", json={"external_id": "e1", "patient_group": GROUP}, headers=AUTH
    ).get_json()
    client.post(f"/v2/patient-files/upload/{ctx['id']}", data={"files": [(io.BytesIO(b"a note"), "n.txt")]},
                headers=AUTH, content_type="multipart/form-data")
    state = client.get("/_mock/state").get_json()

    other = create_app(Config(validate_responses=True)).test_client()
    assert other.put("/_mock/state", json=state).get_json() == {"status": "loaded"}
    assert other.get(f"/v2/patient-contexts/{ctx['id']}", headers=AUTH).get_json()["total_files"] == 1
    duplicate = other.post("/v2/patient-contexts/", json={"external_id": "e1", "patient_group": GROUP}, headers=AUTH)
    assert duplicate.status_code == 400
    assert other.get("/_mock/state").get_json() == state


ESTEEM = {"X-User-Token": "alice"}


@pytest.fixture(scope="module")
def full_state():
    """An export with data in every family: a Haidy context with a file, Heidi's profiles, sessions and a
    linked account, and an Esteem patient with a gauge."""
    client = create_app(Config(validate_responses=True)).test_client()
    ctx = client.post(
        "/v2/patient-contexts/", json={"external_id": "e1", "patient_group": GROUP}, headers=AUTH
    ).get_json()
    client.post(f"/v2/patient-files/upload/{ctx['id']}", data={"files": [(io.BytesIO(b"a note"), "n.txt")]},
                headers=AUTH, content_type="multipart/form-data")
    heidi = login(client)
    client.post(f"{HEIDI}/users/linked-account", json={"kinde_user_id": "kp_1"}, headers=heidi)
    patient = client.post("/v1/patients", headers=ESTEEM, json={
        "patient": {"first_name": "Ada", "last_name": "Lovelace", "date_of_birth": "1990-12-10"}}).get_json()
    client.post(
        f"/v1/patients/{patient['id']}/gauges", json={"gauge": {"gauge_type": "mood", "value": 7}}, headers=ESTEEM
    )
    return client.get("/_mock/state").get_json()


def spoiled(state, change):
    """A deep copy of `state` with `change(tenants)` applied."""
    bad = copy.deepcopy(state)
    change(bad["tenants"])
    return bad


def answers_as_before(client, heidi):
    """Each family still answers its GETs (with response validation on), from the data it had."""
    assert [c["external_id"] for c in client.get("/v2/patient-contexts/", headers=AUTH).get_json()] == ["e1"]
    assert client.get(f"{HEIDI}/sessions/linked-user", headers=heidi).status_code == 200
    assert client.get("/v1/patients", headers=ESTEEM).get_json()["meta"]["total_count"] == 1


def loaded(full_state):
    client = create_app(Config(validate_responses=True)).test_client()
    assert client.put("/_mock/state", json=full_state).status_code == 200
    return client, login(client)


def haidy_of(t):
    return t["test-token"]["haidy"]


def heidi_of(t):
    return t["heidi-key"]["heidi"]


def esteem_of(t):
    return t["esteem"]["esteem"]


WRONG_TYPES = [
    pytest.param(
        lambda t: haidy_of(t)["patient_contexts"][0].update(birth_date=5),
        ["test-token", "haidy", "patient_contexts", 0, "birth_date"],
        "str type expected",
        id="haidy-birth-date",
    ),
    pytest.param(
        lambda t: haidy_of(t)["patient_contexts"][0].update(file_ids="file_abc"),
        ["test-token", "haidy", "patient_contexts", 0, "file_ids"],
        "value is not a valid list",
        id="haidy-file-ids",
    ),
    pytest.param(
        lambda t: haidy_of(t)["files"][0].update(content="not base64!"),
        ["test-token", "haidy", "files", 0, "content"],
        "string does not match regex",
        id="haidy-file-content",
    ),
    pytest.param(
        lambda t: haidy_of(t)["patient_contexts"][0].update(total_files=3),
        ["test-token", "haidy", "patient_contexts", 0, "total_files"],
        "extra fields not permitted",
        id="haidy-response-only-field",
    ),
    pytest.param(
        lambda t: heidi_of(t)["sessions"][0].update(clinician_notes="one note"),
        ["heidi-key", "heidi", "sessions", 0, "clinician_notes"],
        "value is not a valid list",
        id="heidi-notes",
    ),
    pytest.param(
        lambda t: heidi_of(t)["profiles"][0]["fields"].update(gender="male"),
        ["heidi-key", "heidi", "profiles", 0, "fields", "gender"],
        "value is not a valid enumeration member",
        id="heidi-gender",
    ),
    pytest.param(
        lambda t: heidi_of(t)["accounts"][0].update(linked_at="yesterday"),
        ["heidi-key", "heidi", "accounts", 0, "linked_at"],
        "invalid datetime format",
        id="heidi-linked-at",
    ),
    pytest.param(
        lambda t: esteem_of(t)["patients"][0].update(address="1 Main St"),
        ["esteem", "esteem", "patients", 0, "address"],
        "value is not a valid dict",
        id="esteem-address",
    ),
    pytest.param(
        lambda t: esteem_of(t)["users"][0].update(patient_ids=["1049"]),
        ["esteem", "esteem", "users", 0, "patient_ids", 0],
        "value is not a valid integer",
        id="esteem-caseload",
    ),
    pytest.param(
        lambda t: esteem_of(t)["gauges"][0].update(gauge_type="happiness"),
        ["esteem", "esteem", "gauges", 0, "gauge_type"],
        "value is not a valid enumeration member",
        id="esteem-gauge-type",
    ),
    pytest.param(
        lambda t: esteem_of(t)["patients"][0].update(date_of_birth="1990-02-30"),
        ["esteem", "esteem", "patients", 0, "date_of_birth"],
        "invalid date format",
        id="esteem-birth-date",
    ),
    pytest.param(
        lambda t: t["esteem"].update(nosuchfamily={}),
        ["esteem", "nosuchfamily"],
        "extra fields not permitted",
        id="unknown-family",
    ),
]


@pytest.mark.parametrize("change, loc, msg", WRONG_TYPES)
def test_a_state_its_schema_refuses_is_422_at_the_field_and_changes_nothing(full_state, change, loc, msg):
    client, heidi = loaded(full_state)
    resp = client.put("/_mock/state", json=spoiled(full_state, change))
    assert resp.status_code == 422
    assert [(e["loc"], e["msg"][:len(msg)]) for e in resp.get_json()["detail"]] == [(["body", "tenants", *loc], msg)]
    assert client.get("/_mock/state").get_json() == full_state
    answers_as_before(client, heidi)


BROKEN_RULES = [
    pytest.param(
        lambda t: haidy_of(t)["patient_contexts"].append(dict(haidy_of(t)["patient_contexts"][0], id="ctx_other")),
        f"tenants -> test-token -> haidy: patient context (patient_group, external_id) ('{GROUP}', 'e1') appears twice",
        id="haidy-external-id",
    ),
    pytest.param(lambda t: haidy_of(t)["files"].clear(), "-> haidy: patient context ctx_", id="haidy-missing-file"),
    pytest.param(
        lambda t: heidi_of(t)["sessions"].append(heidi_of(t)["sessions"][0]),
        "tenants -> heidi-key -> heidi: session '1234567891' appears twice",  # the first of the docs' sessions
        id="heidi-session-id",
    ),
    pytest.param(
        lambda t: esteem_of(t)["users"].append(dict(esteem_of(t)["users"][0], id=99)),
        "tenants -> esteem -> esteem: user token 'alice' appears twice",
        id="esteem-token",
    ),
    pytest.param(
        lambda t: esteem_of(t)["patients"].append(esteem_of(t)["patients"][0]),
        "tenants -> esteem -> esteem: patient 1049 appears twice",
        id="esteem-patient-id",
    ),
]


@pytest.mark.parametrize("change, message", BROKEN_RULES)
def test_a_state_breaking_a_rule_no_schema_states_is_400_and_changes_nothing(full_state, change, message):
    client, heidi = loaded(full_state)
    resp = client.put("/_mock/state", json=spoiled(full_state, change))
    assert resp.status_code == 400 and message in resp.get_json()["detail"], resp.get_json()
    assert client.get("/_mock/state").get_json() == full_state
    answers_as_before(client, heidi)


def test_an_imported_tenant_still_has_the_docs_patient_group(client):
    token = AUTH["Authorization"].split()[1]
    state = {"tenants": {token: {"haidy": {"patient_groups": ["own"], "integrations": [], "patient_contexts": [],
                                           "files": []}}}}
    assert client.put("/_mock/state", json=state).status_code == 200
    for group in ("own", GROUP):
        body = {"external_id": "e1", "patient_group": group}
        assert client.post("/v2/patient-contexts/", json=body, headers=AUTH).status_code == 200, group


def test_every_family_round_trips_through_export_and_import(full_state):
    client, heidi = loaded(full_state)
    assert client.get("/_mock/state").get_json() == full_state
    answers_as_before(client, heidi)


def test_a_state_file_its_schema_refuses_stops_the_app_before_it_serves(tmp_path, full_state):
    path = tmp_path / "state.json"
    path.write_text(json.dumps(spoiled(full_state, lambda t: esteem_of(t)["patients"][0].update(active="yes"))))
    with pytest.raises(ValueError, match=r"state.json does not match its schema: tenants -> esteem -> esteem -> "
                                         r"patients -> 0 -> active: value could not be parsed to a boolean"):
        create_app(Config(state_file=str(path)))


def test_reset_returns_to_the_state_read_at_start_even_if_the_file_is_gone(tmp_path, full_state):
    path = tmp_path / "state.json"
    path.write_text(json.dumps(full_state))
    client = create_app(Config(state_file=str(path), validate_responses=True)).test_client()
    client.post("/v2/patient-contexts/", json={"external_id": "later", "patient_group": GROUP}, headers=AUTH)
    path.write_text("{ not json")
    assert client.post("/_mock/reset").status_code == 200
    assert client.get("/_mock/state").get_json() == full_state
    path.unlink()
    client.post("/_mock/reset")
    assert client.get("/_mock/state").get_json() == full_state


def test_reset_drops_data_and_run_time_tenants(client):
    client.post("/_mock/tenants/test-token", json={"haidy": {"patient_groups": ["extra"]}})
    assert (
        client.post(
            "/v2/patient-contexts/", json={"external_id": "e", "patient_group": "extra"}, headers=AUTH
        ).status_code
        == 200
    )
    assert client.post("/_mock/reset").get_json() == {"status": "reset"}
    assert client.get("/v2/patient-contexts/", headers=AUTH).get_json() == []
    again = client.post("/v2/patient-contexts/", json={"external_id": "e", "patient_group": "extra"}, headers=AUTH)
    assert again.status_code == 400


ADMIN = {"Authorization": "Bearer acme-admin"}
"""The strict client's admin token, from its tenants file."""


@pytest.fixture
def strict_client(tmp_path):
    config = tmp_path / "tenants.json"
    config.write_text(json.dumps({"tenants": {
        "acme": {"tokens": ["acme-1", "acme-2"], "haidy": {"patient_groups": ["acmegroup000001"]}},
        "globex": {"tokens": ["globex-1"]},
    }, "admin_tokens": ["acme-admin"]}))
    return create_app(Config(auth="strict", tenants_file=str(config), validate_responses=True)).test_client()


def test_strict_mode_accepts_only_configured_tokens(strict_client):
    body = {"external_id": "e", "patient_group": "acmegroup000001"}
    resp = strict_client.post("/v2/patient-contexts/", json=body, headers={"Authorization": "Bearer stranger"})
    assert resp.status_code == 401 and resp.get_json() == {"detail": "Invalid authentication credentials"}
    created = strict_client.post("/v2/patient-contexts/", json=body, headers={"Authorization": "Bearer acme-1"})
    assert created.status_code == 200
    # Two tokens of one tenant share its data; another tenant sees none of it.
    same = strict_client.get(
        f"/v2/patient-contexts/{created.get_json()['id']}", headers={"Authorization": "Bearer acme-2"}
    )
    assert same.status_code == 200
    other = strict_client.get(
        f"/v2/patient-contexts/{created.get_json()['id']}", headers={"Authorization": "Bearer globex-1"}
    )
    assert other.status_code == 404
    globex = strict_client.post("/v2/patient-contexts/", json=body, headers={"Authorization": "Bearer globex-1"})
    assert globex.status_code == 400


def test_admin_can_add_tokens_in_strict_mode(strict_client):
    assert strict_client.post("/_mock/tenants/acme", json={"tokens": ["acme-3"]}).status_code == 401
    assert strict_client.post("/_mock/tenants/acme", json={"tokens": ["acme-3"]}, headers=ADMIN).status_code == 200
    resp = strict_client.get("/v2/patient-contexts/", headers={"Authorization": "Bearer acme-3"})
    assert resp.status_code == 200


def test_strict_mode_needs_a_tenants_file():
    with pytest.raises(ValueError, match="tenants file"):
        Config(auth="strict")


def test_the_shipped_example_tenants_file_works_in_strict_mode():
    from mockserver.core.data_files import data_dir

    path = data_dir("fixtures") / "haidy" / "tenants.example.json"
    client = create_app(Config(auth="strict", tenants_file=str(path), validate_responses=True)).test_client()
    resp = client.post("/v2/patient-contexts/", headers={"Authorization": "Bearer zurich-dev-token"},
                       json={"external_id": "e", "patient_group": "grpzurich000002"})
    assert resp.status_code == 200


BAD_TENANTS = [
    pytest.param({"tokens": "acme-token"}, ["tokens"], "value is not a valid list", id="tokens"),
    pytest.param(
        {"haidy": {"patient_groups": "grp1"}},
        ["haidy", "patient_groups"],
        "value is not a valid list",
        id="haidy-groups",
    ),
    pytest.param(
        {"haidy": {"patient_group": ["grp1"]}},
        ["haidy", "patient_group"],
        "extra fields not permitted",
        id="haidy-typo",
    ),
    pytest.param({"heidi": {"api_keys": [5]}}, ["heidi", "api_keys", 0], "str type expected", id="heidi-key"),
    pytest.param(
        {"esteem": {"users": [{"token": "t", "role": "boss"}]}},
        ["esteem", "users", 0, "role"],
        "value is not a valid enumeration member",
        id="esteem-role",
    ),
    pytest.param(
        {"haidyy": {"patient_groups": ["grp1"]}}, ["haidyy"], "extra fields not permitted", id="unknown-family"
    ),
]


@pytest.mark.parametrize("spec, loc, msg", BAD_TENANTS)
def test_a_tenants_file_its_schema_refuses_stops_the_app_before_it_serves(tmp_path, spec, loc, msg):
    path = tmp_path / "tenants.json"
    path.write_text(json.dumps({"tenants": {"acme": {"tokens": ["acme-1"], **spec}}}))
    where = " -> ".join(map(str, ["tenants", "acme", *loc]))
    with pytest.raises(ValueError, match=f"tenants.json does not match its schema: {where}: {msg}"):
        create_app(Config(auth="strict", tenants_file=str(path)))


@pytest.mark.parametrize("spec, loc, msg", BAD_TENANTS)
def test_provisioning_a_tenant_its_schema_refuses_is_422_and_adds_nothing(strict_client, spec, loc, msg):
    resp = strict_client.post("/_mock/tenants/acme", json={"tokens": ["acme-3"], **spec}, headers=ADMIN)
    assert resp.status_code == 422
    assert [(e["loc"], e["msg"][:len(msg)]) for e in resp.get_json()["detail"]] == [(["body", *loc], msg)]
    unknown = strict_client.get("/v2/patient-contexts/", headers={"Authorization": "Bearer acme-3"})
    assert unknown.status_code == 401
