"""Heidi sessions and linked accounts: create, get, patch, the linked user's pages."""

import re
from datetime import UTC, datetime

import pytest

from mockserver.core.schemas import SchemaRegistry
from tests.heidi.support import (
    BASE,
    DOC_CONTEXT_SESSIONS,
    DOC_PROFILE,
    DOC_SESSION_COUNT,
    DOC_SESSIONS,
    detail,
    login,
)

REGISTRY = SchemaRegistry.default()
DOC_GET = REGISTRY.schema("heidi/session-response")["examples"][0]["session"]
DOC_PATCH = REGISTRY.schema("heidi/session-update")["examples"][0]
NOT_FOUND = {"msg": "Session not found", "type": "SessionNotFoundError"}
NO_LINK = {"msg": "error: no linked user", "type": "NoLinkedUserException"}
STAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}$")


@pytest.fixture
def auth(client):
    return login(client)


def new_session(client, auth, **body) -> str:
    resp = client.post(f"{BASE}/sessions", json=body, headers=auth)
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()["session_id"]


def get(client, auth, session_id) -> dict:
    resp = client.get(f"{BASE}/sessions/{session_id}", headers=auth)
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()["session"]


def test_the_docs_create_body_runs_as_written_trailing_comma_and_all(client, auth):
    doc_body = '{\n  "patient_profile_id": "5eb7cf5a86d9755df3a6c593",\n  "ehr_appointment_id": "EHR1234",\n}'
    resp = client.post(f"{BASE}/sessions", data=doc_body, headers={**auth, "Content-Type": "application/json"})
    assert resp.status_code == 200
    session_id = resp.get_json()["session_id"]
    assert re.fullmatch(r"[1-9][0-9]{38}", session_id)
    session = get(client, auth, session_id)
    assert session["ehr_appt_id"] == "EHR1234" and session["patient"]["name"] == "John Doe"


def test_a_new_session_has_every_documented_field_and_a_default_consult_note(client, auth, app):
    app.extensions["mockserver"].clock.freeze(datetime(2024, 12, 11, 3, 57, 57, 921000, tzinfo=UTC))
    session = get(client, auth, new_session(client, auth))
    assert set(DOC_GET) <= set(session)
    assert session["created_at"] == session["updated_at"] == "2024-12-11T03:57:57.921000"
    assert session["session_name"] == f"Session {DOC_SESSION_COUNT + 1}"  # the docs' sessions come first
    assert session["patient"] == {"name": "", "gender": None, "dob": None, "demographic_details": None}
    assert session["consult_note"] == {**DOC_GET["consult_note"], "result": ""}
    assert (session["duration"], session["language_code"], session["output_language_code"]) == (0, "en", "en")
    assert (session["audio"], session["clinician_notes"], session["documents"]) == ([], [], None)
    assert (session["ehr_appt_id"], session["ehr_patient_id"], session["ehr_provider"]) == (None, None, "mockserver")


def test_create_with_an_unknown_profile_is_an_error_and_creates_nothing(client, auth):
    resp = client.post(f"{BASE}/sessions", json={"patient_profile_id": "0" * 24}, headers=auth)
    assert resp.status_code == 404
    assert detail(resp) == {"msg": "Patient profile not found", "type": "PatientProfileNotFoundError"}
    other_profile = client.post(f"{BASE}/patient-profiles", json={}, headers=login(client, key="other")).get_json()
    resp = client.post(f"{BASE}/sessions", json={"patient_profile_id": other_profile["data"]["id"]}, headers=auth)
    assert resp.status_code == 404
    assert get(client, auth, new_session(client, auth))["session_name"] == f"Session {DOC_SESSION_COUNT + 1}"


def test_the_docs_patch_gives_the_documented_answer(client, auth):
    resp = client.patch(f"{BASE}/sessions/1234567890", json=DOC_PATCH, headers=auth)
    assert resp.status_code == 200
    session = resp.get_json()["session"]
    doc_answer = REGISTRY.schema("heidi/session-response")["examples"][1]["session"]
    for name in ("session_id", "session_name", "duration", "language_code", "output_language_code", "created_at"):
        assert session[name] == doc_answer[name], name
    assert session["patient"] == {**doc_answer["patient"], "demographic_details": None}
    assert session["clinician_notes"] == ["Note 1", "Note 2"]
    assert session["generate_output_without_recording"] is False
    assert session["updated_at"] > doc_answer["updated_at"] and STAMP.match(session["updated_at"])
    assert get(client, auth, "1234567890") == session


def test_patch_sets_every_documented_field_and_merges_the_patient(client, auth):
    session_id = new_session(client, auth)
    changes = {
        "duration": 12.5,
        "language_code": "de",
        "output_language_code": "en-US",
        "transcribe_mode": "DICTATION",
        "patient": {"name": "Jane Roe", "gender": "FEMALE", "dob": "1985-03-04", "demographic_details": "F, 39"},
        "clinician_notes": ["Allergic to penicillin"],
        "ehr_patient_id": "EHR9",
        "ehr_appt_id": "APPT7",
        "generate_output_without_recording": True,
        "recording_status": "RECORDING",
        "session_status": "IN_PROGRESS",
        "is_consent": True,
        "created_time_local": "2024-12-11T14:57:57",
        "linked_sessions_for_context": list(DOC_SESSIONS),
    }
    session = client.patch(f"{BASE}/sessions/{session_id}", json=changes, headers=auth).get_json()["session"]
    assert {k: session[k] for k in changes} == changes
    merged = client.patch(f"{BASE}/sessions/{session_id}", json={"patient": {"gender": "OTHER"}, "ehr_appt_id": None},
                          headers=auth).get_json()["session"]
    assert merged["patient"] == {**changes["patient"], "gender": "OTHER"}
    assert merged["ehr_appt_id"] is None and merged["duration"] == 12.5


def test_context_sessions_must_exist_and_nothing_changes_otherwise(client, auth):
    session_id = new_session(client, auth)
    foreign = new_session(client, login(client, key="other"))
    for missing in ("999", foreign):
        resp = client.patch(
            f"{BASE}/sessions/{session_id}",
            json={"duration": 99, "linked_sessions_for_context": [DOC_SESSIONS[0], missing]},
            headers=auth,
        )
        assert resp.status_code == 404
        assert detail(resp) == {"msg": f"Session {missing} not found", "type": "SessionNotFoundError"}
    assert get(client, auth, session_id)["duration"] == 0


@pytest.mark.parametrize("session_id", ["999", "linked-user-x", "5eb7cf5a86d9755df3a6c593"])
def test_unknown_sessions_are_404(client, auth, session_id):
    for method in ("get", "patch"):
        resp = getattr(client, method)(f"{BASE}/sessions/{session_id}", json={}, headers=auth)
        assert resp.status_code == 404 and detail(resp) == NOT_FOUND


def test_another_tenants_session_is_404(client, auth):
    session_id = new_session(client, auth)
    other = login(client, key="other")
    assert detail(client.get(f"{BASE}/sessions/{session_id}", headers=other)) == NOT_FOUND
    assert client.patch(f"{BASE}/sessions/{session_id}", json={"duration": 1}, headers=other).status_code == 404
    assert get(client, auth, session_id)["duration"] == 0


# -- linked accounts and the linked user's sessions ------------------------------------------------


def test_linked_user_sessions_need_a_linked_account(client, auth):
    resp = client.get(f"{BASE}/sessions/linked-user?page_size=10", headers=auth)
    assert resp.status_code == 400 and detail(resp) == NO_LINK
    access = client.get(f"{BASE}/users/linked-account/access", headers=auth).get_json()
    assert access == {"is_valid": False, "is_linked": False, "account": None}
    resp = client.delete(f"{BASE}/users/linked-account:unlink", headers=auth)
    assert resp.status_code == 400 and detail(resp) == NO_LINK


def test_link_access_and_unlink(client, auth, app):
    app.extensions["mockserver"].clock.freeze(datetime(2024, 12, 11, 3, 57, 57, 921000, tzinfo=UTC))
    resp = client.post(f"{BASE}/users/linked-account", json={"kinde_user_id": "kp_123"}, headers=auth)
    assert resp.status_code == 200
    account = resp.get_json()["account"]
    assert account == {"_id": account["_id"], "user_id": "kp_123", "ehr_provider": "mockserver",
                       "ehr_email": "dr.smith@example.com", "ehr_user_id": "ehr-user-1", "deleted_at": None,
                       "created_at": "2024-12-11T03:57:57.921000", "updated_at": "2024-12-11T03:57:57.921000"}
    again = client.post(f"{BASE}/users/linked-account", json={"kinde_user_id": "kp_456"}, headers=auth)
    assert again.status_code == 400 and detail(again)["type"] == "OpenAPIHeidiAccountAlreadyLinkedError"
    # The documented error: that Heidi account is linked to an API user already (here, a colleague tries it).
    taken = client.post(f"{BASE}/users/linked-account", json={"kinde_user_id": "kp_123"},
                        headers=login(client, user="ehr-user-3"))
    assert taken.status_code == 400 and detail(taken) == {
        "msg": "Heidi account with user_id kp_123 already linked to an OpenAPI User",
        "type": "OpenAPIHeidiAccountAlreadyLinkedError"}
    assert client.get(f"{BASE}/users/linked-account/access", headers=auth).get_json() == {
        "is_valid": True, "is_linked": True, "account": account}
    # Another user of the same API key is not linked.
    colleague = login(client, user="ehr-user-2")
    assert client.get(f"{BASE}/users/linked-account/access", headers=colleague).get_json()["is_linked"] is False
    assert client.delete(f"{BASE}/users/linked-account:unlink", headers=auth).get_json() == {"is_success": True}
    assert client.get(f"{BASE}/sessions/linked-user", headers=auth).status_code == 400
    assert (
        client.post(f"{BASE}/users/linked-account", json={"kinde_user_id": "kp_456"}, headers=auth).status_code == 200
    )


def test_linked_user_sessions_page_newest_first_with_a_working_next_page(client, auth):
    client.post(f"{BASE}/users/linked-account", json={"kinde_user_id": "kp_123"}, headers=auth)
    mine = [new_session(client, auth) for _ in range(13)]
    new_session(client, login(client, user="not-linked"))
    pages, page = [], 1
    while page is not None:
        resp = client.get(f"{BASE}/sessions/linked-user", query_string={"page_size": 5, "page": page}, headers=auth)
        assert resp.status_code == 200
        body = resp.get_json()
        assert body["total_count"] == 13 + DOC_SESSION_COUNT and body["count"] == len(body["sessions"])  # + the docs'
        assert body["has_next_page"] == (body["next_page"] is not None)
        pages.append([s["session_id"] for s in body["sessions"]])
        page = body["next_page"]
    assert [len(p) for p in pages] == [5, 5, 5, 2]
    assert sum(pages, []) == mine[::-1] + list(DOC_SESSIONS[::-1]) + list(DOC_CONTEXT_SESSIONS[::-1])
    assert set(DOC_GET) <= set(body["sessions"][0])
    default = client.get(f"{BASE}/sessions/linked-user", headers=auth).get_json()
    assert default["count"] == 10 and default["next_page"] == 2
    beyond = client.get(f"{BASE}/sessions/linked-user?page=9", headers=auth).get_json()
    assert (beyond["sessions"], beyond["count"], beyond["has_next_page"], beyond["next_page"]) == ([], 0, False, None)


def test_linked_users_see_only_their_own_sessions(client, auth):
    colleague = login(client, user="ehr-user-2")
    for headers, kinde in ((auth, "kp_mine"), (colleague, "kp_theirs")):
        client.post(f"{BASE}/users/linked-account", json={"kinde_user_id": kinde}, headers=headers)
    mine, theirs = new_session(client, auth), new_session(client, colleague)
    for headers, own, other in ((auth, mine, theirs), (colleague, theirs, mine)):
        body = client.get(f"{BASE}/sessions/linked-user", headers=headers).get_json()
        listed = [s["session_id"] for s in body["sessions"]]
        assert listed == [own, *DOC_SESSIONS[::-1], *DOC_CONTEXT_SESSIONS[::-1]] and other not in listed


@pytest.mark.parametrize("query", ["page_size=0", "page_size=101", "page_size=ten", "page=0", "page=-1"])
def test_bad_page_parameters_are_422(client, auth, query):
    client.post(f"{BASE}/users/linked-account", json={"kinde_user_id": "kp_123"}, headers=auth)
    resp = client.get(f"{BASE}/sessions/linked-user?{query}", headers=auth)
    assert resp.status_code == 422
    assert detail(resp)["errors"][0]["loc"] == ["query", query.split("=")[0]]


def test_sessions_answer_at_the_root_and_doc_ids_exist_per_tenant(client, auth):
    assert get(client, auth, DOC_SESSIONS[1])["session_name"] == "Session 124"
    assert client.get(f"/sessions/{DOC_SESSIONS[0]}", headers=auth).get_json()["session"]["duration"] == 16
    assert client.post("/sessions", json={"patient_profile_id": DOC_PROFILE}, headers=auth).status_code == 200
