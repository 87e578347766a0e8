"""Bad input to Heidi routes: always a 4xx in Heidi's `{"detail": {"msg", "type"}}` shape, never HTML or a 5xx."""

import pytest

from mockserver import Config, create_app
from tests.heidi.support import BASE, DOC_PROFILE, detail, login


@pytest.fixture
def auth(client):
    return login(client)


@pytest.mark.parametrize(
    "path, body, loc, type_",
    [
        ("/patient-profiles", {"gender": "male"}, ["body", "gender"], "type_error.enum"),
        ("/patient-profiles", {"birth_date": "1990-02-30"}, ["body", "birth_date"], "value_error.date"),
        ("/patient-profiles", {"birth_date": "15.01.1990"}, ["body", "birth_date"], "value_error.date"),
        ("/patient-profiles", {"email": "nobody"}, ["body", "email"], "value_error.email"),
        ("/patient-profiles", {"first_name": 42}, ["body", "first_name"], "type_error.str"),
        ("/patient-profiles", {"identifiers": "EHR1"}, ["body", "identifiers"], "type_error.list"),
        ("/patient-profiles", {"patient_sex_code": "1"}, ["body", "patient_sex_code"], "type_error.float"),
        (
            "/patient-profiles:batch-delete",
            {"patient_profile_ids": []},
            ["body", "patient_profile_ids"],
            "value_error.list.min_items",
        ),
        ("/patient-profiles:batch-delete", {}, ["body", "patient_profile_ids"], "value_error.missing"),
        (
            f"/patient-profiles/{DOC_PROFILE}/sessions",
            {"session_ids": "1234567890"},
            ["body", "session_ids"],
            "type_error.list",
        ),
        (
            f"/patient-profiles/{DOC_PROFILE}/sessions",
            {"session_ids": [1234567890]},
            ["body", "session_ids", 0],
            "type_error.str",
        ),
        ("/sessions", {"patient_profile_id": 5}, ["body", "patient_profile_id"], "type_error.str"),
        ("/sessions/1234567890", {"duration": -1}, ["body", "duration"], "value_error.number.not_ge"),
        ("/sessions/1234567890", {"duration": "60"}, ["body", "duration"], "type_error.float"),
        (
            "/sessions/1234567890",
            {"language_code": "english please"},
            ["body", "language_code"],
            "value_error.str.regex",
        ),
        ("/sessions/1234567890", {"patient": {"gender": "M"}}, ["body", "patient", "gender"], "type_error.enum"),
        ("/sessions/1234567890", {"patient": "John"}, ["body", "patient"], "type_error.dict"),
        ("/sessions/1234567890", {"clinician_notes": [{"note": 1}]}, ["body", "clinician_notes", 0], "type_error.str"),
        ("/sessions/1234567890", {"is_consent": "yes"}, ["body", "is_consent"], "type_error.bool"),
        ("/users/linked-account", {"kinde_user_id": ""}, ["body", "kinde_user_id"], "value_error.any_str.min_length"),
        ("/users/linked-account", {}, ["body", "kinde_user_id"], "value_error.missing"),
    ],
)
def test_schema_violations_are_422_naming_the_field(client, auth, path, body, loc, type_):
    method = {"/patient-profiles:batch-delete": "delete", "/sessions/1234567890": "patch"}.get(path, "post")
    resp = getattr(client, method)(BASE + path, json=body, headers=auth)
    assert resp.status_code == 422
    error = detail(resp)
    assert error["type"] == "RequestValidationError"
    assert [(e["loc"], e["type"]) for e in error["errors"]] == [(loc, type_)]
    assert error["msg"].startswith(" -> ".join(map(str, loc)) + ": ")


def test_every_invalid_field_is_named_in_msg(client, auth):
    resp = client.post(f"{BASE}/patient-profiles", json={"gender": "x", "birth_date": "y", "email": "z"}, headers=auth)
    msg = detail(resp)["msg"]
    assert msg.startswith("body -> birth_date: invalid date format; body -> email: ")
    assert "; body -> gender: value is not a valid enumeration member" in msg


@pytest.mark.parametrize("data, content_type, type_", [
    (b'{"first_name": ', "application/json", "value_error.jsondecode"),
    (b'{"first_name": "a",,}', "application/json", "value_error.jsondecode"),
    (b'{"first_name": "a,}"', "application/json", "value_error.jsondecode"),
    (b"\xff\xfe\x00", "application/json", "value_error.jsondecode"),
    (b"[1, 2]", "application/json", "type_error.dict"),
    (b'"text"', "application/json", "type_error.dict"),
    (b"NaN", "application/json", "value_error.jsondecode"),
    (b'{"first_name": "a"}', "text/plain", "type_error.dict"),
    (b"first_name=a", "application/x-www-form-urlencoded", "type_error.dict"),
    (b"", "application/json", "value_error.missing"),
])
def test_unparseable_bodies_are_422(client, auth, data, content_type, type_):
    resp = client.post(f"{BASE}/patient-profiles", data=data, headers={**auth, "Content-Type": content_type})
    assert resp.status_code == 422
    error = detail(resp)
    assert error["type"] == "RequestValidationError" and error["errors"][0]["type"] == type_
    assert client.get(f"{BASE}/patient-profiles", headers=auth).get_json()["data"][0]["id"] == DOC_PROFILE
    assert len(client.get(f"{BASE}/patient-profiles", headers=auth).get_json()["data"]) == 1


def test_a_trailing_comma_is_the_only_liberty_taken(client, auth):
    for data in (b'{"first_name": "a",}', b'{"identifiers": [1, 2, ], "first_name": "x, }"}'):
        resp = client.post(f"{BASE}/patient-profiles", data=data, headers={**auth, "Content-Type": "application/json"})
        assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["data"]["identifiers"] == [1, 2] and resp.get_json()["data"]["first_name"] == "x, }"


@pytest.mark.parametrize("method, path, status, type_", [
    ("GET", f"{BASE}/nope", 404, "NotFound"),
    ("GET", f"{BASE}/", 404, "NotFound"),
    ("GET", f"{BASE}/sessions/1/transcripts", 404, "NotFound"),
    ("GET", "/patient-profiles/", 404, "NotFound"),
    ("POST", f"{BASE}/patient-profiles:unlink", 404, "NotFound"),
    ("GET", f"{BASE}/patient-profiles:batch-delete", 405, "MethodNotAllowed"),
    ("POST", f"{BASE}/users/linked-account:unlink", 405, "MethodNotAllowed"),
    ("DELETE", f"{BASE}/sessions/1234567890", 405, "MethodNotAllowed"),
    ("PUT", "/patient-profiles", 405, "MethodNotAllowed"),
    ("POST", "/jwt", 405, "MethodNotAllowed"),
])
def test_unknown_routes_and_wrong_methods(client, auth, method, path, status, type_):
    resp = client.open(path, method=method, headers=auth)
    assert resp.status_code == status
    assert detail(resp)["type"] == type_
    if status == 405:
        assert resp.headers["Allow"]


def test_haidy_keeps_its_own_shape_beside_heidi(client):
    assert client.get("/v2/nope").get_json() == {"detail": "Not Found"}


def test_oversized_body_is_413_in_heidis_shape():
    client = create_app(Config(max_body_bytes=1024, validate_responses=True)).test_client()
    resp = client.post(f"{BASE}/patient-profiles", json={"additional_context": "x" * 2000}, headers=login(client))
    assert resp.status_code == 413
    assert detail(resp) == {"msg": "Request body exceeds the limit of 1024 bytes", "type": "PayloadTooLarge"}


def test_unexpected_exceptions_answer_500_in_heidis_shape(app, monkeypatch):
    from mockserver.heidi.models import UserData

    def boom(*args, **kwargs):
        raise RuntimeError("bug")

    monkeypatch.setattr(UserData, "find_profiles", boom)
    client = app.test_client()
    resp = client.get(f"{BASE}/patient-profiles", headers=login(client))
    assert resp.status_code == 500
    assert detail(resp) == {"msg": "Internal Server Error", "type": "InternalServerError"}


def test_state_export_and_import_keep_heidi_data_and_ids(client, auth):
    profile = client.post(f"{BASE}/patient-profiles", json={"first_name": "Ada"}, headers=auth).get_json()["data"]
    session_id = client.post(f"{BASE}/sessions", json={"patient_profile_id": profile["id"]}, headers=auth).get_json()
    client.post(f"{BASE}/users/linked-account", json={"kinde_user_id": "kp_1"}, headers=auth)
    state = client.get("/_mock/state").get_json()
    other = create_app(Config(validate_responses=True)).test_client()
    assert other.put("/_mock/state", json=state).status_code == 200
    headers = login(other)  # another server: the token must come from it
    listed = {p["id"]: p for p in other.get(f"{BASE}/patient-profiles", headers=headers).get_json()["data"]}
    assert listed[profile["id"]]["session_count"] == 1 and len(listed) == 2
    assert other.get(f"{BASE}/sessions/linked-user", headers=headers).get_json()["sessions"][0]["session_id"] == \
        session_id["session_id"]
    assert other.get("/_mock/state").get_json() == state
    bad = {"tenants": {"t": {"heidi": {"sessions": [{"session_id": "1"}]}}}}
    refused = other.put("/_mock/state", json=bad)
    assert refused.status_code == 422
    assert ["body", "tenants", "t", "heidi", "sessions", 0, "session_name"] in [
        e["loc"] for e in refused.get_json()["detail"]
    ]
