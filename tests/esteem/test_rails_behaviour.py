"""Esteem behaves like the Rails app it is: the record first, then the params; bare attributes wrapped.

- A `before_action` finds and authorises the patient the path names before the params are validated: a
  missing patient answers 404 and a hidden one 403 whatever the body or query holds (the pipeline's
  `find_first` hook, declared on Esteem's `Api`).
- `wrap_parameters`: a JSON body without the root key (`patient`, `gauge`) is read as if its members that are
  attributes of the model were nested under it; the schemas document both forms (`anyOf`).
"""

from datetime import UTC, datetime

import pytest

from mockserver import Config, create_app
from mockserver.core.schemas import SchemaRegistry

REGISTRY = SchemaRegistry.default()
ME = {"X-User-Token": "your_token_here"}
VALID = {"first_name": "John", "last_name": "Doe", "date_of_birth": "2010-05-15"}
NOT_FOUND = {"errors": "Patient not found"}
FORBIDDEN = {"errors": "You are not authorized to access this patient"}
STAFF = [{"token": "a-user", "practice": "A"}, {"token": "b-user", "practice": "B"},
         {"token": "b-super", "role": "supervisor", "practice": "B"}]


@pytest.fixture
def client(mockserver_client, mockserver):
    mockserver.clock.freeze(datetime(2023, 11, 1, 12, 0, tzinfo=UTC))
    return mockserver_client


@pytest.fixture
def theirs(client):
    """A patient of practice A, created by a-user: b-user (a plain user of practice B) may not see it."""
    assert client.post("/_mock/tenants/esteem", json={"esteem": {"users": STAFF}}).status_code == 200
    resp = client.post("/v1/patients", json={"patient": VALID}, headers={"X-User-Token": "a-user"})
    assert resp.status_code == 201
    return resp.get_json()["id"]


def answer(resp):
    return resp.status_code, resp.get_json()


# -- the record before the params ------------------------------------------------------------------

INVALID_BODIES = [
    ("PUT", "", {"patient": {"phone": "1"}}),
    ("PUT", "", {"patient": {"first_name": "", "date_of_birth": "2023-02-30", "email": "x"}}),
    ("PUT", "", {"patient": None}),
    ("PUT", "", {}),
    ("PUT", "", {"phone": "1"}),
    ("POST", "/gauges", {"gauge": {"gauge_type": "joy", "value": "seven"}}),
    ("POST", "/gauges", {"gauge": {"gauge_type": "mood", "value": 11}}),
    ("POST", "/gauges", {"gauge_type": "pain", "value": -1}),
    ("POST", "/gauges", []),
]


@pytest.mark.parametrize("method, tail, body", INVALID_BODIES)
def test_an_invalid_body_to_a_missing_patient_is_404(client, method, tail, body):
    assert answer(client.open(f"/v1/patients/987654321{tail}", method=method, json=body, headers=ME)) == (
        404, NOT_FOUND)


def test_the_issues_example(client):
    resp = client.put("/v1/patients/987654321", json={"patient": {"phone": "1"}}, headers=ME)
    assert answer(resp) == (404, NOT_FOUND)


@pytest.mark.parametrize("method, tail, body", INVALID_BODIES)
def test_an_invalid_body_to_another_practices_patient_is_403_for_a_plain_user(client, theirs, method, tail, body):
    resp = client.open(f"/v1/patients/{theirs}{tail}", method=method, json=body, headers={"X-User-Token": "b-user"})
    assert answer(resp) == (403, FORBIDDEN)


def test_the_same_invalid_body_to_a_patient_one_may_see_is_still_422(client, theirs):
    resp = client.put(f"/v1/patients/{theirs}", json={"patient": {"phone": "1"}}, headers={"X-User-Token": "a-user"})
    assert answer(resp) == (422, {"errors": {"phone": ["is invalid"]}})
    resp = client.post(f"/v1/patients/{theirs}/gauges", json={"gauge": {"gauge_type": "mood", "value": 11}},
                       headers={"X-User-Token": "a-user"})
    assert answer(resp) == (422, {"errors": {"value": ["must be less than or equal to 10"]}})


@pytest.mark.parametrize("query", ["?start_date=yesterday", "?end_date=2023-02-30"])
def test_an_invalid_gauge_query_to_a_missing_or_hidden_patient_is_404_or_403(client, theirs, query):
    assert answer(client.get(f"/v1/patients/987654321/gauges{query}", headers=ME)) == (404, NOT_FOUND)
    for who in ("b-user", "b-super"):  # a plain user and the supervisor of another practice
        resp = client.get(f"/v1/patients/{theirs}/gauges{query}", headers={"X-User-Token": who})
        assert answer(resp) == (403, FORBIDDEN)
    assert client.get(f"/v1/patients/{theirs}/gauges{query}", headers={"X-User-Token": "a-user"}).status_code == 422


@pytest.mark.parametrize("path", ["/v1/patients/abc", "/v1/patients/0", "/v1/patients/" + "9" * 19])
def test_an_invalid_body_to_an_id_that_names_no_patient_is_404(client, path):
    assert answer(client.put(path, json={"patient": {"first_name": ""}}, headers=ME)) == (404, NOT_FOUND)
    assert answer(client.post(f"{path}/gauges", json={"gauge": {}}, headers=ME)) == (404, NOT_FOUND)


def test_authentication_still_comes_first(client):
    resp = client.put("/v1/patients/987654321", json={"patient": {"phone": "1"}})
    assert answer(resp) == (401, {"errors": "You are not authorized to perform this action."})


@pytest.mark.parametrize("data, reason", [(b'{"patient": ', "Expecting value"), (b"\xff", "not valid UTF-8"),
                                          (b"NaN", "NaN is not valid JSON")])
def test_a_body_that_is_no_json_is_refused_before_the_patient_is_looked_up(client, data, reason):
    """Rails parses a JSON body before any action runs; the mock answers its usual 422 for it."""
    resp = client.put("/v1/patients/987654321", data=data, headers={**ME, "Content-Type": "application/json"})
    (message,) = resp.get_json()["errors"]["base"]
    assert resp.status_code == 422 and reason in message


@pytest.mark.parametrize("data, content_type", [(b"", "application/json"), (b'{"patient": {}}', "text/plain")])
def test_a_missing_body_or_one_of_another_type_is_judged_after_the_lookup(client, data, content_type):
    resp = client.put("/v1/patients/987654321", data=data, headers={**ME, "Content-Type": content_type})
    assert answer(resp) == (404, NOT_FOUND)


def test_an_oversized_body_is_413_before_the_lookup():
    client = create_app(Config(max_body_bytes=1000)).test_client()
    resp = client.put("/v1/patients/987654321", json={"patient": {"notes": "x" * 2000}}, headers=ME)
    assert answer(resp) == (413, {"errors": "Request body exceeds the limit of 1000 bytes"})


def test_routes_without_a_patient_validate_as_before(client):
    assert answer(client.get("/v1/patients?page=0", headers=ME)) == (
        422, {"errors": {"page": ["must be greater than or equal to 1"]}})
    assert client.post("/v1/patients", json={"patient": {}}, headers=ME).status_code == 422


# -- wrap_parameters ---------------------------------------------------------------------------------

def without(payload, *keys):
    return {k: v for k, v in payload.items() if k not in keys}


def test_bare_patient_attributes_are_created_as_if_wrapped(client):
    full = REGISTRY.schema("esteem/patient-create")["examples"][0]["patient"]
    wrapped = client.post("/v1/patients", json={"patient": full}, headers=ME)
    bare = client.post("/v1/patients", json=full, headers=ME)
    assert (wrapped.status_code, bare.status_code) == (201, 201)
    assert without(bare.get_json(), "id") == without(wrapped.get_json(), "id")


def test_bare_patient_changes_update_as_if_wrapped(client):
    first = client.post("/v1/patients", json=VALID, headers=ME).get_json()["id"]
    second = client.post("/v1/patients", json=VALID, headers=ME).get_json()["id"]
    change = {"phone": "+1-555-987-6543", "address": {"city": "Springfield"}, "age": 99, "id": 1}
    wrapped = client.put(f"/v1/patients/{first}", json={"patient": change}, headers=ME)
    bare = client.put(f"/v1/patients/{second}", json=change, headers=ME)
    assert (wrapped.status_code, bare.status_code) == (200, 200)
    assert without(bare.get_json(), "id") == without(wrapped.get_json(), "id")
    assert bare.get_json()["id"] == second and bare.get_json()["phone"] == "+1-555-987-6543"


@pytest.mark.parametrize("attributes", [
    {"first_name": "", "email": "x@", "phone": "?"},
    {"first_name": "John"},
    {"date_of_birth": "2999-01-01", "first_name": "A", "last_name": "B"},
    {"address": {"zip_code": 12345}, **VALID},
])
def test_bare_patient_attributes_get_the_wrapped_forms_answer(client, attributes):
    wrapped = client.post("/v1/patients", json={"patient": attributes}, headers=ME)
    bare = client.post("/v1/patients", json={**attributes, "unrelated": [1, 2]}, headers=ME)
    assert answer(bare) == answer(wrapped) and wrapped.status_code == 422


@pytest.mark.parametrize("body", [{"name": "John"}, {"age": 3, "active": False}, {}])
def test_a_bare_body_without_patient_attributes_is_not_wrapped(client, body):
    post = client.post("/v1/patients", json=body, headers=ME)
    assert answer(post) == (422, {"errors": {"patient": ["can't be blank"]}})
    patient = client.post("/v1/patients", json=VALID, headers=ME).get_json()["id"]
    assert answer(client.put(f"/v1/patients/{patient}", json=body, headers=ME)) == answer(post)


def test_a_bare_gauge_is_recorded_as_if_wrapped(client):
    patient = client.post("/v1/patients", json=VALID, headers=ME).get_json()["id"]
    reading = REGISTRY.schema("esteem/gauge-create")["examples"][0]["gauge"]
    wrapped = client.post(f"/v1/patients/{patient}/gauges", json={"gauge": reading}, headers=ME)
    bare = client.post(f"/v1/patients/{patient}/gauges", json={**reading, "patient_id": 1, "foo": "bar"}, headers=ME)
    assert (wrapped.status_code, bare.status_code) == (201, 201)
    assert without(bare.get_json(), "id") == without(wrapped.get_json(), "id")
    assert bare.get_json()["patient_id"] == patient


@pytest.mark.parametrize("reading", [
    {"gauge_type": "joy", "value": 5}, {"value": 5}, {"gauge_type": "pain", "value": 11},
    {"gauge_type": "mood", "value": 7, "recorded_at": "2999-01-01T00:00:00Z"},
])
def test_a_bare_invalid_gauge_gets_the_wrapped_forms_answer(client, reading):
    patient = client.post("/v1/patients", json=VALID, headers=ME).get_json()["id"]
    wrapped = client.post(f"/v1/patients/{patient}/gauges", json={"gauge": reading}, headers=ME)
    bare = client.post(f"/v1/patients/{patient}/gauges", json=reading, headers=ME)
    assert answer(bare) == answer(wrapped) and wrapped.status_code == 422


# -- the schemas say it ------------------------------------------------------------------------------

BODIES = {
    "esteem/patient-create": [
        {"patient": VALID}, VALID, {**VALID, "other": 1}, {"patient": VALID, "first_name": 5}, {"first_name": "John"},
        {}, {"other": 1}, {**VALID, "patient": None}, {**VALID, "email": "a b@c.d"}, [], "x",
    ],
    "esteem/patient-update": [
        {"patient": {}}, {"patient": {"phone": "1"}}, {"phone": "+1-555-987-6543"}, {"phone": "1"}, {}, {"other": 1},
        {"gender": None}, {"address": None, "other": 1}, {"gender": "f", "patient": None}, {"active": True},
    ],
    "esteem/gauge-create": [
        {"gauge": {"gauge_type": "mood", "value": 7}}, {"gauge_type": "mood", "value": 7}, {"gauge_type": "mood"},
        {"gauge_type": "pain", "value": 0}, {"gauge_type": "mood", "value": 0}, {"gauge_type": "mood", "value": 11},
        {"gauge_type": "medication_adherence", "value": 100}, {"gauge": {"gauge_type": "energy", "value": 0}},
        {"gauge_type": "joy", "value": 5}, {"other": 1}, {"gauge_type": "mood", "value": 7, "gauge": {}},
    ],
}


@pytest.mark.parametrize("name", sorted(BODIES))
def test_the_documented_schema_accepts_exactly_what_the_mock_accepts(client, name):
    """Body by body: the `anyOf` of the wrapped and bare forms in the OpenAPI document agrees with the mock."""
    patient = client.post("/v1/patients", json=VALID, headers=ME).get_json()["id"]
    method, url = {"esteem/patient-create": ("POST", "/v1/patients"),
                   "esteem/patient-update": ("PUT", f"/v1/patients/{patient}"),
                   "esteem/gauge-create": ("POST", f"/v1/patients/{patient}/gauges")}[name]
    validator = REGISTRY.validator(name)
    for body in BODIES[name]:
        status = client.open(url, method=method, json=body, headers=ME).status_code
        assert status in (200, 201, 422)
        assert validator.is_valid(body) == (status != 422), (body, status)


def test_the_openapi_document_offers_both_forms(client):
    """Each form a whole component (generators build a model of each): the bare one is the component the wrapped
    form nests under its key, and `if` the key is there the body is the wrapped form."""
    doc = client.get("/openapi.json").get_json()
    schemas = doc["components"]["schemas"]
    for path, method, title in [("/v1/patients", "post", "EsteemPatientCreate"),
                                ("/v1/patients/{id}", "put", "EsteemPatientUpdate"),
                                ("/v1/patients/{patient_id}/gauges", "post", "EsteemGaugeCreate")]:
        body = doc["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]
        assert body == {"$ref": f"#/components/schemas/{title}"}
        wrapped, bare = schemas[title]["anyOf"]
        assert wrapped == {"$ref": f"#/components/schemas/{title}Wrapped"}
        key = next(iter(schemas[f"{title}Wrapped"]["required"]))
        assert bare == schemas[f"{title}Wrapped"]["properties"][key]
        assert schemas[title]["if"]["required"] == [key] and schemas[title]["then"] == wrapped


def test_a_bare_update_names_at_least_one_patient_attribute():
    """The bare update form's "at least one attribute" lists exactly the attributes (it cannot be derived)."""
    bare = REGISTRY.schema("esteem/patient-update")["else"]
    listed = [name for option in bare["anyOf"] for name in option["required"]]
    assert listed == list(REGISTRY.schema("esteem/patient-attributes")["properties"])
