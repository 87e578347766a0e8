"""Esteem's bad input: always a 4xx in Rails' shape, with Rails' messages, never HTML or a 5xx."""

from datetime import UTC

import pytest

from mockserver import Config, create_app

ME = {"X-User-Token": "your_token_here"}
VALID = {"first_name": "John", "last_name": "Doe", "date_of_birth": "2010-05-15"}


@pytest.fixture
def client(mockserver_client):
    """The plugin's shared mock, reset for each test: cheaper than a new app per test (conftest's `client`)."""
    return mockserver_client


def errors(resp, status=422):
    assert resp.status_code == status, resp.data[:300]
    assert resp.mimetype == "application/json", resp.data[:200]
    return resp.get_json()["errors"]


def post(client, patient, headers=ME):
    return client.post("/v1/patients", json={"patient": patient}, headers=headers)


def test_the_docs_422_for_an_empty_patient(client):
    assert errors(post(client, {})) == {
        "first_name": ["can't be blank"], "last_name": ["can't be blank"],
        "date_of_birth": ["can't be blank", "must be a valid date"]}


@pytest.mark.parametrize("field, value, messages", [
    ("first_name", "", ["can't be blank"]),
    ("first_name", "   ", ["can't be blank"]),
    ("first_name", None, ["can't be blank"]),
    ("last_name", 42, ["is invalid"]),
    ("last_name", "x" * 256, ["is too long (maximum is 255 characters)"]),
    ("date_of_birth", "", ["can't be blank", "must be a valid date"]),
    ("date_of_birth", None, ["can't be blank", "must be a valid date"]),
    ("date_of_birth", "2023-02-30", ["must be a valid date"]),
    ("date_of_birth", "15.05.2010", ["must be a valid date"]),
    ("date_of_birth", "2010-5-15", ["must be a valid date"]),
    ("date_of_birth", "2999-01-01", ["can't be in the future"]),
    ("email", "john.doe", ["is invalid"]),
    ("email", "john@example", ["is invalid"]),
    ("email", "john doe@example.com", ["is invalid"]),
    ("phone", "call me", ["is invalid"]),
    ("phone", "12", ["is invalid"]),
    ("gender", ["male"], ["is invalid"]),
])
def test_field_messages_are_rails_messages(client, field, value, messages):
    assert errors(post(client, {**VALID, field: value})) == {field: messages}


def test_a_future_birth_date_is_refused_on_the_mocks_clock(client, mockserver):
    from datetime import datetime

    mockserver.clock.freeze(datetime(2010, 5, 14, 23, 0, tzinfo=UTC))
    assert errors(post(client, VALID)) == {"date_of_birth": ["can't be in the future"]}
    mockserver.clock.advance(3600)
    assert post(client, VALID).status_code == 201


def test_address_parts_are_keyed_like_nested_attributes(client):
    resp = post(client, {**VALID, "address": {"zip_code": 12345, "city": "x" * 300}})
    assert errors(resp) == {
        "address.city": ["is too long (maximum is 255 characters)"],
        "address.zip_code": ["is invalid"],
    }
    assert errors(post(client, {**VALID, "address": "123 Main St"})) == {"address": ["is invalid"]}


def test_every_invalid_field_is_listed_at_once(client):
    resp = post(client, {"first_name": " ", "date_of_birth": "2023-02-30", "email": "x@", "phone": "?"})
    assert errors(resp) == {"date_of_birth": ["must be a valid date"], "email": ["is invalid"],
                            "first_name": ["can't be blank"], "last_name": ["can't be blank"], "phone": ["is invalid"]}


@pytest.mark.parametrize("body, expected", [
    ({}, {"patient": ["can't be blank"]}),
    ({"patient": None}, {"patient": ["can't be blank"]}),
    ({"patient": "John Doe"}, {"patient": ["is invalid"]}),
    ({"name": "John Doe", "born": "2010-05-15"}, {"patient": ["can't be blank"]}),  # no attribute: nothing to wrap
    ({**VALID, "patient": None}, {"patient": ["can't be blank"]}),  # the root key is there: no wrapping
])
def test_the_patient_wrapper_is_required(client, body, expected):
    assert errors(client.post("/v1/patients", json=body, headers=ME)) == expected


@pytest.mark.parametrize("data, content_type, reason", [
    (b'{"patient": ', "application/json", "Expecting value"),
    (b"\xff\xfe", "application/json", "not valid UTF-8"),
    (b"[1, 2]", "application/json", "not a valid dict"),
    (b"NaN", "application/json", "NaN is not valid JSON"),
    (b'{"patient": {}}', "text/plain", "Content-Type must be application/json"),
    (b"", "application/json", "field required"),
])
def test_unreadable_bodies_are_a_base_error(client, data, content_type, reason):
    resp = client.post("/v1/patients", data=data, headers={**ME, "Content-Type": content_type})
    (message,) = errors(resp)["base"]
    assert message.startswith("Request body is invalid: ") and reason in message


def test_update_validates_like_create(client):
    post(client, VALID)
    resp = client.put(
        "/v1/patients/1049", json={"patient": {"last_name": "", "date_of_birth": "2023-02-30"}}, headers=ME
    )
    assert errors(resp) == {"date_of_birth": ["must be a valid date"], "last_name": ["can't be blank"]}
    assert errors(client.put("/v1/patients/1049", json={}, headers=ME)) == {"patient": ["can't be blank"]}
    assert client.get("/v1/patients/1049", headers=ME).get_json()["last_name"] == "Doe"


@pytest.mark.parametrize("query, expected", [
    ("?page=0", {"page": ["must be greater than or equal to 1"]}),
    ("?page=abc", {"page": ["is not a number"]}),
    ("?page_size=101", {"page_size": ["must be less than or equal to 100"]}),
    ("?page_size=0&page=-1", {"page": ["must be greater than or equal to 1"],
                              "page_size": ["must be greater than or equal to 1"]}),
    ("?page_size=2.5", {"page_size": ["is not a number"]}),
    ("?page=%202", {"page": ["is not a number"]}),
    ("?page=1_0", {"page": ["is not a number"]}),
])
def test_bad_paging_is_422(client, query, expected):
    assert errors(client.get(f"/v1/patients{query}", headers=ME)) == expected


@pytest.mark.parametrize("headers", [{}, {"X-User-Token": ""}, {"X-User-Token": "   "}, {"Authorization": "Bearer x"}])
def test_no_token_is_401(client, headers):
    for resp in (client.get("/v1/patients", headers=headers), post(client, VALID, headers=headers),
                 client.get("/v1/patients/1049/gauges", headers=headers)):
        assert errors(resp, 401) == "You are not authorized to perform this action."


def test_auth_comes_before_validation(client):
    assert errors(client.post("/v1/patients", data=b"{", headers={"Content-Type": "application/json"}), 401)


@pytest.mark.parametrize("path", ["/v1/patients/999", "/v1/patients/abc", "/v1/patients/-1", "/v1/patients/0",
                                  "/v1/patients/1049.0", "/v1/patients/%201049", "/v1/patients/1_049",
                                  "/v1/patients/" + "9" * 19, "/v1/patients/" + "9" * 40, "/v1/patients/999/gauges",
                                  "/v1/patients/abc/gauges"])
def test_unknown_or_malformed_ids_are_404(client, path):
    post(client, VALID)  # patient 1049 exists: only the id's spelling keeps it from being found
    assert errors(client.get(path, headers=ME), 404) == "Patient not found"
    assert errors(client.post(f"/v1/patients/{path.split('/')[3]}/gauges", headers=ME,
                              json={"gauge": {"gauge_type": "mood", "value": 7}}), 404) == "Patient not found"


def test_a_path_id_is_parsed_as_the_integer_it_spells(client):
    post(client, VALID)
    for spelled in ("1049", "01049", "%2B1049"):
        assert client.get(f"/v1/patients/{spelled}", headers=ME).get_json()["id"] == 1049


def test_a_bad_body_to_a_malformed_id_is_404(client):
    """Rails finds the record (`Patient.find("abc")`) before it looks at the params."""
    assert errors(client.put("/v1/patients/abc", json={"patient": {"first_name": ""}}, headers=ME), 404) == (
        "Patient not found")


def test_unknown_routes_and_methods_answer_in_rails_shape(client):
    assert errors(client.get("/v1/nothing", headers=ME), 404) == "Not Found"
    resp = client.delete("/v1/patients/1049", headers=ME)
    assert errors(resp, 405) == "Method Not Allowed" and set(resp.headers["Allow"].split(", ")) >= {"GET", "PUT"}
    assert errors(client.patch("/v1/patients/1049", json={"patient": {}}, headers=ME), 405)


def test_an_oversized_body_is_413():
    client = create_app(Config(max_body_bytes=1000)).test_client()
    resp = client.post("/v1/patients", json={"patient": {**VALID, "notes": "x" * 2000}}, headers=ME)
    assert errors(resp, 413) == "Request body exceeds the limit of 1000 bytes"
