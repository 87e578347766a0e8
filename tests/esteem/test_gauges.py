"""Esteem gauges: recording readings (validated against the type's scale) and listing them with filters."""

from datetime import UTC, datetime

import pytest

from mockserver.core.schemas import SchemaRegistry
from mockserver.esteem.models import GAUGE_SCALES

REGISTRY = SchemaRegistry.default()
ME = {"X-User-Token": "your_token_here"}
URL = "/v1/patients/1049/gauges"


@pytest.fixture
def client(mockserver_client):
    """The plugin's shared mock, reset for each test: cheaper than a new app per test (conftest's `client`)."""
    return mockserver_client


@pytest.fixture
def patient(client, mockserver):
    mockserver.clock.freeze(datetime(2023, 11, 1, 12, 0, tzinfo=UTC))
    body = REGISTRY.schema("esteem/patient-create")["examples"][0]
    assert client.post("/v1/patients", json=body, headers=ME).status_code == 201
    return 1049


def record(client, gauge_type="mood", value=7, **fields):
    return client.post(URL, json={"gauge": {"gauge_type": gauge_type, "value": value, **fields}}, headers=ME)


def errors(resp):
    assert resp.status_code == 422, resp.get_json()
    return resp.get_json()["errors"]


def test_the_docs_gauge_comes_back_as_documented(client, patient, mockserver):
    mockserver.clock.freeze(datetime(2023, 10, 27, 14, 30, tzinfo=UTC))
    doc = REGISTRY.schema("esteem/gauge")["examples"][0]
    resp = client.post(URL, json=REGISTRY.schema("esteem/gauge-create")["examples"][0], headers=ME)
    assert resp.status_code == 201 and resp.get_json() == doc
    assert client.get(f"{URL}?gauge_type=mood&start_date=2023-10-01", headers=ME).get_json() == [doc]


def test_recorded_at_defaults_to_now_and_is_kept_in_utc_millis(client, patient):
    now = record(client).get_json()
    assert now["recorded_at"] == now["created_at"] == "2023-11-01T12:00:00.000Z"
    shifted = record(client, recorded_at="2023-10-31t23:15:00.123456+02:00").get_json()
    assert shifted["recorded_at"] == "2023-10-31T21:15:00.123Z"
    ancient = record(client, recorded_at="0001-01-01T00:00:00Z").get_json()
    assert ancient["recorded_at"] == "0001-01-01T00:00:00.000Z"


@pytest.mark.parametrize("gauge_type", sorted(GAUGE_SCALES))
def test_each_type_has_its_scale_and_refuses_values_outside_it(client, patient, gauge_type):
    low, high = GAUGE_SCALES[gauge_type]
    for value in (low, high):
        gauge = record(client, gauge_type, value).get_json()
        assert (gauge["scale_min"], gauge["scale_max"], gauge["value"]) == (low, high, value)
    assert errors(record(client, gauge_type, low - 1)) == {"value": [f"must be greater than or equal to {low}"]}
    assert errors(record(client, gauge_type, high + 1)) == {"value": [f"must be less than or equal to {high}"]}


def test_the_schema_knows_exactly_the_models_gauge_types():
    assert sorted(REGISTRY.schema("esteem/gauge-type")["enum"]) == sorted(GAUGE_SCALES)


def mood_at(stamp):
    return {"gauge_type": "mood", "value": 7, "recorded_at": stamp}


@pytest.mark.parametrize("gauge, expected", [
    ({"gauge_type": "joy", "value": 5}, {"gauge_type": ["is not included in the list"]}),
    ({"value": 5}, {"gauge_type": ["can't be blank"]}),
    ({"gauge_type": "mood"}, {"value": ["can't be blank"]}),
    ({"gauge_type": "mood", "value": "7"}, {"value": ["is not a number"]}),
    ({"gauge_type": "mood", "value": 7.5}, {"value": ["is not a number"]}),
    (mood_at("yesterday"), {"recorded_at": ["must be a valid timestamp"]}),
    (mood_at("2023-10-27"), {"recorded_at": ["must be a valid timestamp"]}),
    (mood_at("2023-12-31T23:59:60Z"), {"recorded_at": ["must be a valid timestamp"]}),
    (mood_at("2023-11-01T12:00:01Z"), {"recorded_at": ["can't be in the future"]}),
    (mood_at("0001-01-01T00:00:00+01:00"), {"recorded_at": ["must be a valid timestamp"]}),
    ({"gauge_type": "mood", "value": 7, "notes": "x" * 2001}, {"notes": ["is too long (maximum is 2000 characters)"]}),
    ({"gauge_type": "pain", "value": 11, "recorded_at": "2999-01-01T00:00:00Z"},  # the schema's error comes first
     {"value": ["must be less than or equal to 10"]}),
    ({"gauge_type": "pain", "value": 10, "notes": 5, "recorded_at": "2999-01-01T00:00:00Z"}, {"notes": ["is invalid"]}),
    ({"gauge_type": "medication_adherence", "value": -1, "notes": "x" * 2001},
     {"value": ["must be greater than or equal to 0"], "notes": ["is too long (maximum is 2000 characters)"]}),
])
def test_invalid_readings_are_422(client, patient, gauge, expected):
    assert errors(client.post(URL, json={"gauge": gauge}, headers=ME)) == expected


@pytest.mark.parametrize("body, expected", [
    ({}, {"gauge": ["can't be blank"]}),
    ({"type": "mood", "reading": 7}, {"gauge": ["can't be blank"]}),  # no gauge attribute: nothing to wrap
    ({"gauge_type": "mood", "value": 7, "gauge": None}, {"gauge": ["can't be blank"]}),  # root key present: no wrap
    ({"gauge": "mood"}, {"gauge": ["is invalid"]}),
    ([], {"base": ["Request body is invalid: value is not a valid dict"]}),
])
def test_the_gauge_wrapper_is_required_unless_bare_attributes_stand_for_it(client, patient, body, expected):
    assert errors(client.post(URL, json=body, headers=ME)) == expected


def test_filters_by_type_and_whole_utc_days(client, patient):
    stamps = ["2023-10-01T00:00:00Z", "2023-10-15T23:59:59.999Z", "2023-10-16T00:00:00Z", "2023-10-31T12:00:00Z"]
    ids = [
        record(client, "mood" if i % 2 else "anxiety", 5, recorded_at=s).get_json()["id"] for i, s in enumerate(stamps)
    ]

    def found(query):
        resp = client.get(f"{URL}{query}", headers=ME)
        assert resp.status_code == 200
        return [g["id"] for g in resp.get_json()]

    assert found("") == ids
    assert found("?gauge_type=mood") == [ids[1], ids[3]]
    assert found("?start_date=2023-10-16") == ids[2:]
    assert found("?end_date=2023-10-15") == ids[:2]
    assert found("?start_date=2023-10-15&end_date=2023-10-16") == ids[1:3]
    assert found("?gauge_type=anxiety&start_date=2023-10-02") == [ids[2]]
    assert found("?start_date=2023-10-20&end_date=2023-10-10") == []
    assert found("?gauge_type=unknown") == []
    assert found("?start_date=0001-01-01&end_date=9999-12-31") == ids


def test_readings_are_listed_by_recorded_at_not_by_id(client, patient):
    late = record(client, recorded_at="2023-10-20T00:00:00Z").get_json()
    early = record(client, recorded_at="2023-10-10T00:00:00Z").get_json()
    assert [g["id"] for g in client.get(URL, headers=ME).get_json()] == [early["id"], late["id"]]


@pytest.mark.parametrize("query, field", [("?start_date=2023-13-01", "start_date"), ("?end_date=yesterday", "end_date"),
                                          ("?start_date=2023-02-29", "start_date")])
def test_an_invalid_filter_date_is_422(client, patient, query, field):
    assert errors(client.get(f"{URL}{query}", headers=ME)) == {field: ["must be a valid date"]}


def test_gauges_of_a_missing_or_hidden_patient(client, patient):
    assert client.get("/v1/patients/1/gauges", headers=ME).status_code == 404
    stranger = {"X-User-Token": "stranger"}
    for resp in (client.get(URL, headers=stranger), client.post(URL, json={"gauge": {"gauge_type": "mood", "value": 1}},
                                                                   headers=stranger)):
        assert resp.status_code == 403 and resp.get_json() == {
            "errors": "You are not authorized to access this patient"
        }
