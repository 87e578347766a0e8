"""Heidi patient profiles: the documented requests and answers, filters, session_count, delete and linking."""

import re

import pytest

from mockserver.core.schemas import SchemaRegistry
from tests.heidi.support import BASE, DOC_PROFILE, DOC_SESSIONS, detail, login

EXAMPLES = SchemaRegistry.default().schema("heidi/patient-profile-fields")["examples"]
CREATE, UPDATE = EXAMPLES
NOT_FOUND = {"msg": "Patient profile not found", "type": "PatientProfileNotFoundError"}


@pytest.fixture
def auth(client):
    return login(client)


def create(client, auth, body=CREATE) -> dict:
    resp = client.post(f"{BASE}/patient-profiles", json=body, headers=auth)
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()["data"]


def listed(client, auth, query="") -> dict:
    resp = client.get(f"{BASE}/patient-profiles{query}", headers=auth)
    assert resp.status_code == 200
    return {p["id"]: p for p in resp.get_json()["data"]}


def test_create_echoes_the_documented_fields(client, auth):
    profile = create(client, auth)
    assert re.fullmatch(r"[0-9a-f]{24}", profile["id"])
    assert {k: profile[k] for k in CREATE} == CREATE
    assert profile["remember_consent"] is None and profile["identifiers"] is None
    assert client.get(f"{BASE}/patient-profiles/{profile['id']}", headers=auth).get_json() == {"data": profile}


def test_patch_changes_only_the_fields_sent(client, auth):
    profile = create(client, auth)
    resp = client.patch(f"{BASE}/patient-profiles/{profile['id']}", json=UPDATE, headers=auth)
    assert resp.status_code == 200
    updated = resp.get_json()["data"]
    assert updated == {**profile, **UPDATE}
    assert updated["birth_date"] == "1990-01-15" and updated["additional_context"] == CREATE["additional_context"]
    # null clears, unknown fields are ignored, an empty patch changes nothing
    cleared = client.patch(f"{BASE}/patient-profiles/{profile['id']}", json={"phone": None, "shoe_size": 44},
                           headers=auth).get_json()["data"]
    assert cleared == {**updated, "phone": None}
    assert client.patch(f"{BASE}/patient-profiles/{profile['id']}", json={}, headers=auth).get_json()["data"] == cleared


def test_unknown_foreign_or_malformed_ids_are_404_in_heidis_shape(client, auth):
    profile = create(client, auth)
    for profile_id in ("5eb7cf5a86d9755df3a6c594", "not-hex"):
        for method in ("get", "patch"):
            resp = getattr(client, method)(f"{BASE}/patient-profiles/{profile_id}", json={}, headers=auth)
            assert resp.status_code == 404 and detail(resp) == NOT_FOUND
    other = login(client, key="another-clinic")
    assert detail(client.get(f"{BASE}/patient-profiles/{profile['id']}", headers=other)) == NOT_FOUND
    assert client.patch(f"{BASE}/patient-profiles/{profile['id']}", json=UPDATE, headers=other).status_code == 404
    assert profile["id"] not in listed(client, other)


def test_every_tenant_starts_with_the_docs_profile(client, auth):
    assert list(listed(client, auth)) == [DOC_PROFILE]
    resp = client.patch(f"{BASE}/patient-profiles/{DOC_PROFILE}", json=UPDATE, headers=auth)
    assert resp.status_code == 200 and resp.get_json()["data"]["last_name"] == "Smith"
    # Another tenant's copy is its own.
    other = login(client, key="another-clinic")
    assert client.get(f"{BASE}/patient-profiles/{DOC_PROFILE}", headers=other).get_json()["data"]["last_name"] == "Doe"


def test_list_filters_by_ehr_patient_id_and_provider(client, auth):
    a = create(client, auth, {"ehr_patient_id": "A"})
    a2 = create(client, auth, {"ehr_patient_id": "A", "first_name": "Same EHR id"})
    b = create(client, auth, {"ehr_patient_id": "B"})
    assert list(listed(client, auth, "?ehr_patient_id=A")) == [a["id"], a2["id"]]
    assert list(listed(client, auth, "?ehr_patient_id=B")) == [b["id"]]
    assert listed(client, auth, "?ehr_patient_id=nobody") == {}
    assert len(listed(client, auth, "?ehr_provider=mockserver")) == 4
    assert listed(client, auth, "?ehr_provider=OtherEHR&ehr_patient_id=A") == {}


def sessions_for(client, auth, profile_id=None, n=1) -> list[str]:
    body = {"patient_profile_id": profile_id} if profile_id else {}
    return [client.post(f"{BASE}/sessions", json=body, headers=auth).get_json()["session_id"] for _ in range(n)]


def test_session_count_follows_creates_links_and_moves(client, auth):
    p, q = create(client, auth)["id"], create(client, auth)["id"]
    sessions_for(client, auth, p, 2)
    loose = sessions_for(client, auth, n=2)
    assert listed(client, auth)[p]["session_count"] == 2 and listed(client, auth)[q]["session_count"] == 0
    resp = client.post(f"{BASE}/patient-profiles/{q}/sessions", json={"session_ids": loose + loose[:1]}, headers=auth)
    assert resp.status_code == 200
    assert [s["session_id"] for s in resp.get_json()["data"]] == loose
    assert listed(client, auth)[q]["session_count"] == 2
    client.post(f"{BASE}/patient-profiles/{p}/sessions", json={"session_ids": loose[:1]}, headers=auth)
    assert listed(client, auth)[p]["session_count"] == 3 and listed(client, auth)[q]["session_count"] == 1
    assert "session_count" not in client.get(f"{BASE}/patient-profiles/{p}", headers=auth).get_json()["data"]


def test_linking_the_docs_sessions_answers_the_documented_list(client, auth, app):
    resp = client.post(f"{BASE}/patient-profiles/{DOC_PROFILE}/sessions", json={"session_ids": list(DOC_SESSIONS)},
                       headers=auth)
    assert resp.status_code == 200
    data = resp.get_json()["data"]
    assert [(s["session_id"], s["session_name"], s["created_at"]) for s in data] == [
        ("1234567890", "Session 123", "2024-12-11T03:57:57.921000"),
        ("0987654321", "Session 124", "2024-12-12T10:30:00.000000")]
    session = client.get(f"{BASE}/sessions/1234567890", headers=auth).get_json()["session"]
    assert session["patient"] == {"name": "John Doe", "gender": "MALE", "dob": "1990-01-15", "demographic_details": ""}
    assert session["ehr_patient_id"] == "EHR123456" and session["updated_at"] == data[0]["updated_at"]


def test_linking_is_all_or_nothing(client, auth):
    profile = create(client, auth)["id"]
    known = sessions_for(client, auth)
    resp = client.post(
        f"{BASE}/patient-profiles/{profile}/sessions", json={"session_ids": known + ["999"]}, headers=auth
    )
    assert resp.status_code == 404 and detail(resp) == {"msg": "Session 999 not found", "type": "SessionNotFoundError"}
    assert listed(client, auth)[profile]["session_count"] == 0
    resp = client.post(f"{BASE}/patient-profiles/{'0' * 24}/sessions", json={"session_ids": known}, headers=auth)
    assert resp.status_code == 404 and detail(resp) == NOT_FOUND
    foreign = login(client, key="another-clinic")
    resp = client.post(f"{BASE}/patient-profiles/{profile}/sessions", json={"session_ids": known}, headers=foreign)
    assert resp.status_code == 404


def test_batch_delete_removes_profiles_and_unlinks_their_sessions(client, auth):
    keep, gone = create(client, auth)["id"], create(client, auth)["id"]
    (session,) = sessions_for(client, auth, gone)
    resp = client.delete(f"{BASE}/patient-profiles:batch-delete",
                         json={"patient_profile_ids": [gone, DOC_PROFILE, "5eb7cf5a86d9755df3a6c594"]}, headers=auth)
    assert resp.status_code == 200 and resp.get_json() == {"is_success": True}
    assert list(listed(client, auth)) == [keep]
    assert detail(client.get(f"{BASE}/patient-profiles/{gone}", headers=auth)) == NOT_FOUND
    assert client.get(f"{BASE}/sessions/{session}", headers=auth).status_code == 200
    client.post(f"{BASE}/patient-profiles/{keep}/sessions", json={"session_ids": [session]}, headers=auth)
    assert listed(client, auth)[keep]["session_count"] == 1


def test_batch_delete_of_another_tenants_profile_changes_nothing(client, auth):
    profile = create(client, auth)["id"]
    other = login(client, key="another-clinic")
    assert client.delete(f"{BASE}/patient-profiles:batch-delete", json={"patient_profile_ids": [profile]},
                         headers=other).get_json() == {"is_success": True}
    assert client.get(f"{BASE}/patient-profiles/{profile}", headers=auth).status_code == 200


def test_root_and_base_path_are_the_same_api(client, auth):
    profile = create(client, auth)
    assert client.get(f"/patient-profiles/{profile['id']}", headers=auth).get_json() == {"data": profile}
    assert client.delete("/patient-profiles:batch-delete", json={"patient_profile_ids": [profile["id"]]},
                         headers=auth).status_code == 200
    assert client.get(f"{BASE}/patient-profiles/{profile['id']}", headers=auth).status_code == 404


def test_the_models_writable_fields_are_the_schemas():
    """The schemas are the contract; the model must store every field they let through, and no other."""
    from mockserver.heidi.models import PROFILE_FIELDS, SESSION_FIELDS

    registry = SchemaRegistry.default()
    assert set(PROFILE_FIELDS) == set(registry.schema("heidi/patient-profile-fields")["properties"])
    assert {*SESSION_FIELDS, "patient"} == set(registry.schema("heidi/session-update")["properties"])
