"""Esteem /v1/assessments (General API): the docs' examples as written, each endpoint, Rails' errors, who may see
which assessment (exactly who may see its patient), paging and filters, the state export and the seeded world.

The requests are taken from the page text (tests/esteem/doc_examples/esteem-more.txt, a verbatim copy of the
vendor's page that tests/test_vendor_docs.py compares with it)."""

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mockserver import Config, create_app
from mockserver.core.clock import Clock
from mockserver.core.data_files import data_dir
from mockserver.esteem.models import EsteemWorld
from tests.esteem.support import FORBIDDEN, STAFF

PAGE = (Path(__file__).with_name("doc_examples") / "esteem-more.txt").read_text(encoding="utf-8")
PART_A = PAGE.split("A. GENERAL API - ASSESSMENTS")[1].split("B. CLINIC API")[0]
ME = {"X-User-Token": "your_token_here"}
PATIENT = {"patient": {"first_name": "John", "last_name": "Doe", "date_of_birth": "2010-05-15"}}
NOT_FOUND = {"errors": "Assessment not found"}


def doc_requests():
    """Each "Example request:" of part A: (method, path with query, headers, JSON body or None), as written."""
    found = []
    for block in PART_A.split("Example request:")[1:]:
        lines = block.strip("\n").splitlines()
        method, target, _ = lines[0].split()
        headers = dict(line.strip().split(": ", 1) for line in lines[1:3])
        rest = "\n".join(lines[3:])
        body = None
        if rest.strip().startswith("{"):
            text = rest[rest.index("{"):]
            depth = 0
            for end, char in enumerate(text):  # noqa: B007 (end is read after the loop)
                depth += {"{": 1, "}": -1}.get(char, 0)
                if depth == 0:
                    break
            body = json.loads(text[:end + 1])
        found.append((method, target, headers, body))
    return found


DOC_LIST, DOC_CREATE = doc_requests()
DOC_BODY = DOC_CREATE[3]
INFERRED = json.loads(re.search(r"Assessment response object: NOT captured.*?:\n(\{.*?\n\})", PART_A, re.S).group(1))


@pytest.fixture
def client(mockserver_client):
    """The plugin's shared mock (memory and Redis), reset for each test."""
    return mockserver_client


@pytest.fixture
def docs_patient(client):
    assert client.post("/v1/patients", json=PATIENT, headers=ME).status_code == 201
    return 1049


def create(client, headers=ME, **fields):
    resp = client.post("/v1/assessments", json={"assessment": {**DOC_BODY["assessment"], **fields}}, headers=headers)
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def errors(resp, status=422):
    assert resp.status_code == status, resp.data[:300]
    assert resp.mimetype == "application/json", resp.data[:200]
    return resp.get_json()["errors"]


# -- the docs ----------------------------------------------------------------------------------------------------


def test_the_page_holds_the_two_documented_requests():
    assert DOC_LIST[:2] == ("GET", "/v1/assessments?patient_id=1049&status=completed")
    assert DOC_CREATE[:2] == ("POST", "/v1/assessments")
    assert DOC_CREATE[2] == {"Content-Type": "application/json", "X-User-Token": "your_token_here"}


def test_the_docs_examples_run_as_written(client, docs_patient, mockserver):
    mockserver.clock.freeze(datetime(2023, 10, 27, 14, 30, tzinfo=UTC))
    method, path, headers, body = DOC_CREATE
    resp = client.open(path, method=method, headers=headers, data=json.dumps(body))
    assert resp.status_code == 201, resp.get_json()
    assert resp.get_json() == INFERRED  # the page's inferred object, to the letter (id 77, the docs' times)
    method, path, headers, _ = DOC_LIST
    listed = client.open(path, method=method, headers=headers).get_json()
    assert listed == {"assessments": [INFERRED],
                      "meta": {"page": 1, "page_size": 25, "total_count": 1, "total_pages": 1}}
    assert client.get("/v1/assessments/77", headers=ME).get_json() == INFERRED


def test_the_seeded_world_answers_the_docs_examples():
    seeded = create_app(Config(state_file=str(data_dir("fixtures") / "esteem" / "seed.json"),
                               validate_responses=True)).test_client()
    method, path, headers, _ = DOC_LIST
    found = seeded.open(path, method=method, headers=headers).get_json()["assessments"]
    assert found[0]["id"] == 77 and found[0]["assessment_type"] == "initial_screening"
    assert found[0]["responses"] == DOC_BODY["assessment"]["responses"]
    assert all(a["patient_id"] == 1049 and a["status"] == "completed" for a in found)
    everything = seeded.get("/v1/assessments?page_size=100", headers=ME).get_json()
    assert everything["meta"]["total_count"] > 20
    assert {a["status"] for a in everything["assessments"]} == {"completed", "in_progress"}
    method, path, headers, body = DOC_CREATE
    assert seeded.open(path, method=method, headers=headers, data=json.dumps(body)).status_code == 201


# -- each endpoint -----------------------------------------------------------------------------------------------


def test_status_is_derived_from_completed_at(client, docs_patient, mockserver):
    mockserver.clock.freeze(datetime(2024, 1, 2, 3, 4, 5, 678901, tzinfo=UTC))
    started = create(client, completed_at=None)
    assert started["status"] == "in_progress" and started["completed_at"] is None
    assert started["created_at"] == started["updated_at"] == "2024-01-02T03:04:05.678Z"
    bare = client.post("/v1/assessments", headers=ME, json={
        "patient_id": 1049, "assessment_type": "phq_9", "responses": [{"question_id": 1, "answer": "2"}]})
    assert bare.status_code == 201 and bare.get_json()["status"] == "in_progress"
    mockserver.clock.freeze(datetime(2024, 1, 3, tzinfo=UTC))
    done = client.put(f"/v1/assessments/{started['id']}", headers=ME,
                      json={"assessment": {"completed_at": "2024-01-02T12:00:00+02:00"}}).get_json()
    assert done["status"] == "completed" and done["completed_at"] == "2024-01-02T10:00:00.000Z"
    assert done["updated_at"] == "2024-01-03T00:00:00.000Z" and done["created_at"] == started["created_at"]
    reopened = client.put(f"/v1/assessments/{started['id']}", headers=ME, json={"completed_at": None}).get_json()
    assert reopened["status"] == "in_progress"


def test_update_changes_only_what_is_given_and_updated_at_only_on_change(client, docs_patient, mockserver):
    created = create(client)
    mockserver.clock.advance(60)
    same = client.put(f"/v1/assessments/{created['id']}", headers=ME,
                      json={"assessment": {"assessment_type": "initial_screening", "ignored": 1}}).get_json()
    assert same == created
    responses = [{"question_id": 9, "answer": "Never"}]
    changed = client.put(f"/v1/assessments/{created['id']}", headers=ME, json={"responses": responses}).get_json()
    assert changed["responses"] == responses and changed["assessment_type"] == "initial_screening"
    assert client.get(f"/v1/assessments/{created['id']}", headers=ME).get_json() == changed


def test_delete_answers_204_and_the_assessment_is_gone(client, docs_patient):
    created = create(client)
    resp = client.delete(f"/v1/assessments/{created['id']}", headers=ME)
    assert resp.status_code == 204 and resp.data == b""
    for method in ("GET", "PUT", "DELETE"):
        resp = client.open(f"/v1/assessments/{created['id']}", method=method, headers=ME,
                           json={"assessment": {"assessment_type": "x"}})
        assert (resp.status_code, resp.get_json()) == (404, NOT_FOUND)
    assert create(client)["id"] == created["id"] + 1  # ids are never reused


def test_paging_and_filters(client, docs_patient):
    other = client.post("/v1/patients", json=PATIENT, headers=ME).get_json()["id"]
    made = [create(client, patient_id=pid, assessment_type=kind, completed_at=done)
            for pid, kind, done in [(1049, "phq_9", None), (other, "phq_9", "2023-01-01T00:00:00Z"),
                                    (1049, "gad_7", "2023-01-01T00:00:00Z"), (other, "gad_7", None),
                                    (1049, "phq_9", "2023-01-02T00:00:00Z")]]
    ids = [a["id"] for a in made]

    def found(query):
        body = client.get(f"/v1/assessments?{query}", headers=ME).get_json()
        return [a["id"] for a in body["assessments"]], body["meta"]

    assert found("") == (ids, {"page": 1, "page_size": 25, "total_count": 5, "total_pages": 1})
    assert found("page=2&page_size=2") == (ids[2:4], {"page": 2, "page_size": 2, "total_count": 5, "total_pages": 3})
    assert found("page=4&page_size=2") == ([], {"page": 4, "page_size": 2, "total_count": 5, "total_pages": 3})
    assert found("patient_id=1049")[0] == [ids[0], ids[2], ids[4]]
    assert found("status=completed")[0] == [ids[1], ids[2], ids[4]]
    assert found("status=in_progress&assessment_type=gad_7")[0] == [ids[3]]
    assert found(f"patient_id={other}&assessment_type=phq_9&status=completed")[0] == [ids[1]]
    for nothing in ("patient_id=4242", "status=done", "assessment_type=none", "patient_id=" + "9" * 30):
        assert found(nothing) == ([], {"page": 1, "page_size": 25, "total_count": 0, "total_pages": 0})


# -- bad input: a 4xx in Rails' shape --------------------------------------------------------------------------


@pytest.mark.parametrize("fields, expected", [
    ({"patient_id": None}, {"patient_id": ["can't be blank"]}),
    ({"patient_id": "abc"}, {"patient_id": ["is not a number"]}),
    ({"patient_id": 0}, {"patient_id": ["must be greater than or equal to 1"]}),
    ({"patient_id": 4242}, {"patient": ["must exist"]}),
    ({"assessment_type": ""}, {"assessment_type": ["can't be blank"]}),
    ({"assessment_type": "  "}, {"assessment_type": ["can't be blank"]}),
    ({"assessment_type": "x" * 256}, {"assessment_type": ["is too long (maximum is 255 characters)"]}),
    ({"responses": []}, {"responses": ["can't be blank"]}),
    ({"responses": None}, {"responses": ["can't be blank"]}),
    ({"responses": "yes"}, {"responses": ["is invalid"]}),
    ({"responses": [{"question_id": 1}]}, {"responses.0.answer": ["can't be blank"]}),
    ({"responses": [{"question_id": "a", "answer": "x"}]}, {"responses.0.question_id": ["is not a number"]}),
    ({"responses": [{"question_id": 1, "answer": 3}]}, {"responses.0.answer": ["is invalid"]}),
    ({"completed_at": "yesterday"}, {"completed_at": ["must be a valid timestamp"]}),
    ({"completed_at": "2999-01-01T00:00:00Z"}, {"completed_at": ["can't be in the future"]}),
])
def test_invalid_assessments_are_422(client, docs_patient, fields, expected):
    resp = client.post("/v1/assessments", headers=ME, json={"assessment": {**DOC_BODY["assessment"], **fields}})
    assert errors(resp) == expected
    created = create(client)
    resp = client.put(f"/v1/assessments/{created['id']}", headers=ME, json={"assessment": fields})
    assert errors(resp) == expected
    assert client.get(f"/v1/assessments/{created['id']}", headers=ME).get_json() == created


def test_every_missing_field_is_listed_at_once(client):
    assert errors(client.post("/v1/assessments", headers=ME, json={"assessment": {}})) == {
        "patient_id": ["can't be blank"], "assessment_type": ["can't be blank"], "responses": ["can't be blank"]}


@pytest.mark.parametrize("body", [{}, {"ignored": 1}, [], "x", {"assessment": None}, {"assessment": []}])
def test_the_wrapper_is_required_unless_bare_attributes_stand_for_it(client, docs_patient, body):
    assert client.post("/v1/assessments", headers=ME, json=body).status_code == 422
    created = create(client)
    assert client.put(f"/v1/assessments/{created['id']}", headers=ME, json=body).status_code == 422


@pytest.mark.parametrize("query, field", [("page=0", "page"), ("page=x", "page"), ("page_size=101", "page_size"),
                                          ("page_size=0", "page_size"), ("patient_id=abc", "patient_id")])
def test_bad_paging_or_filters_are_422(client, query, field):
    assert field in errors(client.get(f"/v1/assessments?{query}", headers=ME))


@pytest.mark.parametrize("path", ["/v1/assessments/999", "/v1/assessments/abc", "/v1/assessments/0",
                                  "/v1/assessments/-1", "/v1/assessments/77.0", "/v1/assessments/" + "9" * 40])
def test_unknown_or_malformed_ids_are_404_whatever_the_body(client, docs_patient, path):
    create(client)
    for method in ("GET", "PUT", "DELETE"):
        resp = client.open(path, method=method, headers=ME, json={"assessment": {"responses": "bad"}})
        assert (resp.status_code, resp.get_json()) == (404, NOT_FOUND)


def test_no_token_is_401_and_unknown_methods_405(client, docs_patient):
    assert errors(client.get("/v1/assessments"), 401) == "You are not authorized to perform this action."
    assert errors(client.post("/v1/assessments", json=DOC_BODY), 401)
    assert errors(client.patch("/v1/assessments/77", headers=ME, json={}), 405) == "Method Not Allowed"
    assert errors(client.delete("/v1/assessments", headers=ME), 405) == "Method Not Allowed"


# -- roles and ownership: exactly the patient's rules --------------------------------------------------------------


def token(name):
    return {"X-User-Token": name}


@pytest.fixture
def staffed(client):
    assert client.post("/_mock/tenants/esteem", json={"esteem": {"users": STAFF}}).status_code == 200
    return client


def test_who_sees_an_assessment_is_who_sees_its_patient(staffed):
    patient = staffed.post("/v1/patients", json=PATIENT, headers=token("a-user-1")).get_json()["id"]
    mine = create(staffed, headers=token("a-user-1"), patient_id=patient)
    url = f"/v1/assessments/{mine['id']}"
    for who in ("a-user-2", "b-super", "someone-new"):
        for resp in (staffed.get(url, headers=token(who)),
                     staffed.put(url, json={"assessment": {"assessment_type": "x"}}, headers=token(who)),
                     staffed.put(url, json={"assessment": {"responses": "invalid"}}, headers=token(who)),
                     staffed.delete(url, headers=token(who)),
                     staffed.post("/v1/assessments", json={"assessment": {**DOC_BODY["assessment"],
                                                                          "patient_id": patient}}, headers=token(who))):
            assert (resp.status_code, resp.get_json()) == (403, FORBIDDEN)
        listed = staffed.get(f"/v1/assessments?patient_id={patient}", headers=token(who)).get_json()
        assert listed["assessments"] == [] and listed["meta"]["total_count"] == 0
    for who in ("a-user-1", "a-super", "admin"):
        assert staffed.get(url, headers=token(who)).get_json() == mine
        assert [a["id"] for a in staffed.get("/v1/assessments", headers=token(who)).get_json()["assessments"]] == [
            mine["id"]]
    assert staffed.get(url, headers=token("a-user-2")).status_code == 403
    staffed.post("/_mock/tenants/esteem", json={"esteem": {"users": [{"token": "a-user-2", "patients": [patient]}]}})
    assert staffed.get(url, headers=token("a-user-2")).status_code == 200  # assigned: the patient's rules
    assert staffed.delete(url, headers=token("a-super")).status_code == 204


def test_moving_an_assessment_needs_access_to_the_new_patient(staffed):
    a_patient = staffed.post("/v1/patients", json=PATIENT, headers=token("a-user-1")).get_json()["id"]
    b_patient = staffed.post("/v1/patients", json=PATIENT, headers=token("b-super")).get_json()["id"]
    mine = create(staffed, headers=token("a-user-1"), patient_id=a_patient)
    url = f"/v1/assessments/{mine['id']}"
    resp = staffed.put(url, json={"assessment": {"patient_id": b_patient}}, headers=token("a-user-1"))
    assert (resp.status_code, resp.get_json()) == (403, FORBIDDEN)
    resp = staffed.put(url, json={"assessment": {"patient_id": 4242}}, headers=token("a-user-1"))
    assert (resp.status_code, resp.get_json()) == (422, {"errors": {"patient": ["must exist"]}})
    moved = staffed.put(url, json={"assessment": {"patient_id": b_patient}}, headers=token("admin")).get_json()
    assert moved["patient_id"] == b_patient
    assert staffed.get(url, headers=token("a-user-1")).status_code == 403
    assert staffed.get(url, headers=token("b-super")).status_code == 200


# -- state ---------------------------------------------------------------------------------------------------------


def test_assessments_survive_export_and_import(client, docs_patient):
    created = create(client, completed_at=None)
    state = client.get("/_mock/state").get_json()
    client.post("/_mock/reset")
    assert client.get(f"/v1/assessments/{created['id']}", headers=ME).status_code == 404
    assert client.put("/_mock/state", json=state).status_code in (200, 204)
    assert client.get(f"/v1/assessments/{created['id']}", headers=ME).get_json() == created
    assert create(client)["id"] == created["id"] + 1


def test_a_restored_state_must_be_consistent():
    world = EsteemWorld(Clock())
    user = world.upsert_user("t")
    patient = world.create_patient(user, {"first_name": "A", "last_name": "B", "date_of_birth": "2000-01-01"})
    world.create_assessment(user, {"patient_id": patient.id, "assessment_type": "x",
                                   "responses": [{"question_id": 1, "answer": "y"}]})
    state = world.to_state()
    assert EsteemWorld.from_state(state, Clock()).to_state() == state
    with pytest.raises(ValueError, match="assessment"):
        EsteemWorld.from_state({**state, "assessments": state["assessments"] * 2}, Clock())
    with pytest.raises(ValueError, match="names no patient"):
        EsteemWorld.from_state({**state, "patients": []}, Clock())
