"""Esteem /v1/patients: the docs' examples, create, get, update, and the list with paging and search."""

from datetime import UTC, datetime

import pytest
import requests

from mockserver import intercept
from mockserver.core.schemas import SchemaRegistry

REGISTRY = SchemaRegistry.default()
DOC_CREATE = REGISTRY.schema("esteem/patient-create")["examples"][0]
DOC_PATIENT = REGISTRY.schema("esteem/patient")["examples"][0]
ME = {"X-User-Token": "your_token_here"}


@pytest.fixture
def client(mockserver_client):
    """The plugin's shared mock, reset for each test: cheaper than a new app per test (conftest's `client`)."""
    return mockserver_client


def create(client, headers=ME, **fields):
    resp = client.post("/v1/patients", json={"patient": {**DOC_CREATE["patient"], **fields}}, headers=headers)
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def listing(client, query="", headers=ME):
    resp = client.get(f"/v1/patients{query}", headers=headers)
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()


@pytest.fixture
def clock(mockserver):
    """The mock's clock frozen at the docs' created_at, so the docs' response comes back to the letter."""
    clock = mockserver.clock
    clock.freeze(datetime(2023, 10, 20, 10, 0, tzinfo=UTC))
    return clock


def test_the_docs_create_example_answers_the_docs_patient(client, clock):
    created = create(client)
    assert created == {**DOC_PATIENT, "updated_at": "2023-10-20T10:00:00.000Z"}
    assert client.get("/v1/patients/1049", headers=ME).get_json() == created


def test_the_docs_list_and_gauge_examples_run_as_written(client):
    create(client)
    meta = listing(client, "?page=1&page_size=25")["meta"]
    assert meta == {"page": 1, "page_size": 25, "total_count": 1, "total_pages": 1}
    resp = client.get("/v1/patients/1049/gauges?gauge_type=mood&start_date=2023-10-01", headers=ME)
    assert resp.status_code == 200 and resp.get_json() == []


def test_the_docs_examples_are_embedded_in_the_schemas():
    names = ("esteem/patient-create", "esteem/patient", "esteem/gauge", "esteem/validation-errors", "esteem/error")
    assert all(REGISTRY.schema(name).get("examples") for name in names)
    assert REGISTRY.schema("esteem/validation-errors")["examples"][0]["errors"]["date_of_birth"] == [
        "can't be blank", "must be a valid date"]


def test_ids_count_up_and_age_follows_the_clock(client, clock):
    first, second = create(client), create(client, first_name="Jane", date_of_birth="2000-10-21")
    assert (first["id"], second["id"]) == (1049, 1050)
    assert second["age"] == 22
    clock.advance(24 * 3600)
    assert client.get("/v1/patients/1050", headers=ME).get_json()["age"] == 23
    clock.freeze(datetime(1999, 1, 1, tzinfo=UTC))  # before Jane's birth: still a valid answer
    resp = client.get("/v1/patients/1050", headers=ME)
    assert (resp.status_code, resp.get_json()["age"]) == (200, 0)


def test_only_the_required_fields_are_needed(client):
    body = {k: DOC_CREATE["patient"][k] for k in ("first_name", "last_name", "date_of_birth")}
    resp = client.post("/v1/patients", json={"patient": body}, headers=ME)
    assert resp.status_code == 201
    patient = resp.get_json()
    assert (patient["gender"], patient["phone"], patient["email"], patient["address"], patient["active"]) == (
        None, None, None, None, True)


def test_unpermitted_fields_are_dropped_like_strong_parameters(client):
    patient = create(client, id=7, active=False, created_at="2000-01-01T00:00:00.000Z", secret="x",
                     address={"city": "Springfield", "country": "US"})
    assert patient["id"] == 1049 and patient["active"] is True and "secret" not in patient
    assert patient["address"] == {"street": None, "city": "Springfield", "state": None, "zip_code": None}


def test_update_changes_only_what_is_sent_and_merges_the_address(client, clock):
    created = create(client)
    clock.advance(5.5 * 3600)
    resp = client.put(
        "/v1/patients/1049",
        json={"patient": {"phone": "(555) 987-6543", "address": {"city": "Springfield"}}},
        headers=ME,
    )
    assert resp.status_code == 200
    updated = resp.get_json()
    assert updated["phone"] == "(555) 987-6543"
    assert updated["address"] == {**created["address"], "city": "Springfield"}
    assert updated["updated_at"] == "2023-10-20T15:30:00.000Z" and updated["created_at"] == created["created_at"]
    assert client.get("/v1/patients/1049", headers=ME).get_json() == updated


def test_an_update_that_changes_nothing_keeps_updated_at(client, clock):
    created = create(client)
    clock.advance(60)
    same = client.put("/v1/patients/1049", json={"patient": {"first_name": "John"}}, headers=ME).get_json()
    assert same == created
    assert client.put("/v1/patients/1049", json={"patient": {}}, headers=ME).get_json() == created


def test_null_clears_optional_fields_and_the_address(client):
    create(client)
    resp = client.put("/v1/patients/1049", json={"patient": {"gender": None, "email": "", "address": None}}, headers=ME)
    patient = resp.get_json()
    assert (patient["gender"], patient["email"], patient["address"]) == (None, "", None)


def test_list_pages_through_every_patient_once_by_id(client):
    ids = [create(client, first_name=f"P{i}")["id"] for i in range(7)]
    pages = [listing(client, f"?page={n}&page_size=3") for n in (1, 2, 3, 4)]
    assert [[p["id"] for p in page["patients"]] for page in pages] == [ids[0:3], ids[3:6], ids[6:], []]
    assert pages[3]["meta"] == {"page": 4, "page_size": 3, "total_count": 7, "total_pages": 3}


def test_list_defaults_to_the_first_25(client):
    for i in range(26):
        create(client, first_name=f"P{i}")
    page = listing(client)
    assert len(page["patients"]) == 25
    assert page["meta"] == {"page": 1, "page_size": 25, "total_count": 26, "total_pages": 2}


@pytest.mark.parametrize("term, expected", [
    ("jo", {"John Doe", "Joanna Smith"}),
    ("SMITH", {"Joanna Smith", "Mary Smithers"}),
    ("joanna smith", {"Joanna Smith"}),
    ("  doe ", {"John Doe"}),
    ("@clinic.example", {"Mary Smithers"}),
    ("555-123", {"John Doe"}),
    ("5551234567", {"John Doe"}),
    ("(212) 555", {"Joanna Smith"}),
    ("", {"John Doe", "Joanna Smith", "Mary Smithers"}),
    ("nobody", set()),
])
def test_search_matches_names_email_and_phone_case_insensitively(client, term, expected):
    create(client)
    create(client, first_name="Joanna", last_name="Smith", phone="+1 (212) 555-0100", email="jo@example.org")
    create(client, first_name="Mary", last_name="Smithers", phone=None, email="Mary.S@Clinic.example")
    resp = client.get("/v1/patients", query_string={"search": term}, headers=ME)
    found = {f"{p['first_name']} {p['last_name']}" for p in resp.get_json()["patients"]}
    assert found == expected


def test_a_client_of_the_real_host_reaches_the_mock_through_interception():
    with intercept() as mock:
        created = requests.post("https://api.esteem.health/v1/patients", json=DOC_CREATE, headers=ME)
        assert created.status_code == 201 and created.json()["id"] == 1049
        assert (
            requests.get("https://api.esteem.health/v1/patients/1049", headers={"X-User-Token": "x"}).status_code == 403
        )
        mock.journal.assert_called("POST", "/v1/patients", times=1)
