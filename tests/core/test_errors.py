"""Bad input: always a clear 4xx in Haidy's (FastAPI's) shape, never an HTML page or a 5xx."""

import pytest

from mockserver import Config, create_app
from tests.support import AUTH, GROUP

URL = "/v2/patient-contexts/"


def detail(resp):
    assert resp.mimetype == "application/json", resp.data[:200]
    return resp.get_json()["detail"]


def test_missing_required_fields_are_listed_like_fastapi(client):
    resp = client.post(URL, json={"name": "x"}, headers=AUTH)
    assert resp.status_code == 422
    assert detail(resp) == [
        {"loc": ["body", "external_id"], "msg": "field required", "type": "value_error.missing"},
        {"loc": ["body", "patient_group"], "msg": "field required", "type": "value_error.missing"},
    ]


@pytest.mark.parametrize("field, value, msg, type_", [
    ("birth_date", "2023-02-30", "invalid date format", "value_error.date"),
    ("birth_date", "01.01.1980", "invalid date format", "value_error.date"),
    ("gender", "unknown", None, "type_error.enum"),
    ("external_id", 12345, "str type expected", "type_error.str"),
    ("external_id", "", "ensure this value has at least 1 characters", "value_error.any_str.min_length"),
])
def test_invalid_fields(client, field, value, msg, type_):
    body = {"external_id": "e", "patient_group": GROUP, field: value}
    errors = detail(client.post(URL, json=body, headers=AUTH))
    assert len(errors) == 1
    assert errors[0]["loc"] == ["body", field] and errors[0]["type"] == type_
    if msg:
        assert errors[0]["msg"] == msg


@pytest.mark.parametrize("data, content_type, type_", [
    (b'{"external_id": ', "application/json", "value_error.jsondecode"),
    (b"\xff\xfe\x00", "application/json", "value_error.jsondecode"),
    (b"[1, 2]", "application/json", "type_error.dict"),
    (b"NaN", "application/json", "value_error.jsondecode"),
    (b'{"external_id": "e"}', "text/plain", "type_error.dict"),
    (b"", "application/json", "value_error.missing"),
])
def test_unparseable_bodies_are_422(client, data, content_type, type_):
    resp = client.post(URL, data=data, headers={**AUTH, "Content-Type": content_type})
    assert resp.status_code == 422
    assert detail(resp)[0]["type"] == type_
    assert detail(resp)[0]["loc"][0] == "body"


@pytest.mark.parametrize("headers, message", [
    ({}, "Not authenticated"),
    ({"Authorization": ""}, "Not authenticated"),
    ({"Authorization": "Bearer "}, "Invalid authentication credentials"),
    ({"Authorization": "Basic dXNlcjpwdw=="}, "Invalid authentication credentials"),
])
def test_missing_or_malformed_credentials_are_401(client, headers, message):
    resp = client.post(URL, json={"external_id": "e", "patient_group": GROUP}, headers=headers)
    assert resp.status_code == 401
    assert detail(resp) == message
    assert resp.headers["WWW-Authenticate"] == "Bearer"


def test_unknown_route_and_wrong_method(client):
    resp = client.get("/v2/unknown", headers=AUTH)
    assert resp.status_code == 404 and detail(resp) == "Not Found"
    resp = client.delete(URL, headers=AUTH)
    assert resp.status_code == 405 and detail(resp) == "Method Not Allowed"
    assert set(resp.headers["Allow"].split(", ")) >= {"GET", "POST"}


def test_oversized_body_is_413_and_nothing_is_stored():
    app = create_app(Config(max_body_bytes=1024, validate_responses=True))
    client = app.test_client()
    resp = client.post(URL, json={"external_id": "e", "patient_group": GROUP, "name": "x" * 2000}, headers=AUTH)
    assert resp.status_code == 413
    assert "1024 bytes" in detail(resp)
    assert client.get(URL, headers=AUTH).get_json() == []


def test_unexpected_exceptions_answer_json_500_not_html(app, monkeypatch):
    from mockserver.haidy.models import HaidyBackend

    def boom(*args, **kwargs):
        raise RuntimeError("bug")

    monkeypatch.setattr(HaidyBackend, "find_patient_contexts", boom)
    resp = app.test_client().get(URL, headers=AUTH)
    assert resp.status_code == 500
    assert detail(resp) == "Internal Server Error"


def test_a_response_outside_the_schema_is_reported_as_a_mock_bug(app, monkeypatch):
    from mockserver.haidy.models import PatientContext

    monkeypatch.setattr(PatientContext, "to_json", lambda self: {"id": 42})
    resp = app.test_client().post(URL, json={"external_id": "e", "patient_group": GROUP}, headers=AUTH)
    assert resp.status_code == 500
    assert detail(resp).startswith("mockserver bug: create_patient_context answered 200 outside its schema")


def test_a_path_parameter_its_schema_refuses_is_fastapis_422_unless_the_family_says_otherwise():
    """No FastAPI family declares a typed path parameter yet; the pipeline's default is FastAPI's answer."""
    from mockserver.core.declaration import Api
    from mockserver.core.error_styles import FastApiErrors
    from mockserver.core.pipeline import mount

    probe = Api("probe", title="probe", errors=FastApiErrors(), auth=None, prefixes=("/probe/",),
                validation_schema="common/fastapi-validation-error", error_schema="common/fastapi-error")

    @probe.operation("GET", "/probe/{n}", summary="Twice n", path_schemas={"n": "esteem/patient-id"},
                     responses={200: "mock/ack"})
    def twice(call):
        return {"status": str(call.path["n"] * 2)}

    with pytest.raises(ValueError, match="has no path parameter m"):
        probe.operation("GET", "/probe/{n}", summary="x", path_schemas={"m": "esteem/patient-id"}, responses={})
    assert 422 in probe.operations[0].responses
    app = create_app(Config(validate_responses=True))
    mount(probe, app)
    client = app.test_client()
    assert client.get("/probe/21").get_json() == {"status": "42"}
    assert detail(client.get("/probe/2.5")) == [
        {"loc": ["path", "n"], "msg": "value is not a valid integer", "type": "type_error.integer"}]
    resp = client.get("/probe/0")
    assert resp.status_code == 422 and [e["loc"] for e in detail(resp)] == [["path", "n"]]
