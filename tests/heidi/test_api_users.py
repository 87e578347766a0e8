"""Heidi data belongs to the API user: the tenant (API key) with the JWT's third_party_internal_id and email.

Two users of one key never see each other's profiles, sessions or linked account: another user's object answers
exactly what a missing one does. The same user with a new JWT sees the same data. Every new user starts with the
docs' examples, unless the mock runs with `heidi_doc_examples=False` (`--no-heidi-examples`).
"""

import pytest

from mockserver import Config, create_app
from tests.heidi.support import (
    BASE,
    DOC_CONTEXT_SESSIONS,
    DOC_PROFILE,
    DOC_SESSION_COUNT,
    DOC_SESSIONS,
    detail,
    login,
)

PROFILE_404 = {"msg": "Patient profile not found", "type": "PatientProfileNotFoundError"}
SESSION_404 = {"msg": "Session not found", "type": "SessionNotFoundError"}
NO_LINK = {"msg": "error: no linked user", "type": "NoLinkedUserException"}


@pytest.fixture
def alice(client):
    return login(client, user="alice", email="alice@example.com")


@pytest.fixture
def bob(client):
    """Another user of the same API key (heidi-key) as alice."""
    return login(client, user="bob", email="bob@example.com")


def profile_of(client, headers, **fields) -> str:
    resp = client.post(f"{BASE}/patient-profiles", json=fields, headers=headers)
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()["data"]["id"]


def session_of(client, headers, **body) -> str:
    resp = client.post(f"{BASE}/sessions", json=body, headers=headers)
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()["session_id"]


def profile_ids(client, headers, query="") -> list[str]:
    resp = client.get(f"{BASE}/patient-profiles{query}", headers=headers)
    assert resp.status_code == 200
    return [p["id"] for p in resp.get_json()["data"]]


# -- profiles --------------------------------------------------------------------------------------


def test_another_users_profile_is_missing_to_every_profile_operation(client, alice, bob):
    mine = profile_of(client, alice, first_name="Ada", ehr_patient_id="EHR-A")
    bobs_session = session_of(client, bob)
    for method in ("get", "patch"):
        resp = getattr(client, method)(f"{BASE}/patient-profiles/{mine}", json={"last_name": "X"}, headers=bob)
        assert resp.status_code == 404 and detail(resp) == PROFILE_404
    resp = client.post(f"{BASE}/patient-profiles/{mine}/sessions", json={"session_ids": [bobs_session]}, headers=bob)
    assert resp.status_code == 404 and detail(resp) == PROFILE_404
    resp = client.post(f"{BASE}/sessions", json={"patient_profile_id": mine}, headers=bob)
    assert resp.status_code == 404 and detail(resp) == PROFILE_404
    assert mine not in profile_ids(client, bob) and profile_ids(client, bob, "?ehr_patient_id=EHR-A") == []
    resp = client.delete(f"{BASE}/patient-profiles:batch-delete", json={"patient_profile_ids": [mine]}, headers=bob)
    assert resp.status_code == 200 and resp.get_json() == {"is_success": True}
    # Alice's profile is untouched by all of it.
    data = client.get(f"{BASE}/patient-profiles/{mine}", headers=alice).get_json()["data"]
    assert (data["first_name"], data["last_name"]) == ("Ada", None)
    assert profile_ids(client, alice, "?ehr_patient_id=EHR-A") == [mine]


def test_each_user_has_its_own_copy_of_the_docs_examples(client, alice, bob):
    assert profile_ids(client, alice) == profile_ids(client, bob) == [DOC_PROFILE]
    client.patch(f"{BASE}/patient-profiles/{DOC_PROFILE}", json={"last_name": "Smith"}, headers=alice)
    client.patch(f"{BASE}/sessions/{DOC_SESSIONS[0]}", json={"duration": 99}, headers=alice)
    client.post(f"{BASE}/patient-profiles/{DOC_PROFILE}/sessions", json={"session_ids": [DOC_SESSIONS[1]]},
                headers=alice)
    bobs = client.get(f"{BASE}/patient-profiles", headers=bob).get_json()["data"]
    assert [(p["last_name"], p["session_count"]) for p in bobs] == [("Doe", 0)]
    assert client.get(f"{BASE}/sessions/{DOC_SESSIONS[0]}", headers=bob).get_json()["session"]["duration"] == 16
    client.delete(f"{BASE}/patient-profiles:batch-delete", json={"patient_profile_ids": [DOC_PROFILE]}, headers=bob)
    assert profile_ids(client, bob) == []
    assert profile_ids(client, alice) == [DOC_PROFILE]


def test_the_same_id_with_another_email_is_another_api_user(client, alice):
    mine = profile_of(client, alice)
    namesake = login(client, user="alice", email="someone.else@example.com")
    assert client.get(f"{BASE}/patient-profiles/{mine}", headers=namesake).status_code == 404
    other_key = login(client, key="other-clinic", user="alice", email="alice@example.com")
    assert client.get(f"{BASE}/patient-profiles/{mine}", headers=other_key).status_code == 404


# -- sessions --------------------------------------------------------------------------------------


def test_another_users_session_is_missing_to_every_session_operation(client, alice, bob):
    mine = session_of(client, alice)
    for method in ("get", "patch"):
        resp = getattr(client, method)(f"{BASE}/sessions/{mine}", json={"duration": 5}, headers=bob)
        assert resp.status_code == 404 and detail(resp) == SESSION_404
    bobs_session, bobs_profile = session_of(client, bob), profile_of(client, bob)
    named_404 = {"msg": f"Session {mine} not found", "type": "SessionNotFoundError"}
    resp = client.patch(f"{BASE}/sessions/{bobs_session}", json={"linked_sessions_for_context": [mine]}, headers=bob)
    assert resp.status_code == 404 and detail(resp) == named_404
    resp = client.post(f"{BASE}/patient-profiles/{bobs_profile}/sessions", json={"session_ids": [mine]}, headers=bob)
    assert resp.status_code == 404 and detail(resp) == named_404
    session = client.get(f"{BASE}/sessions/{mine}", headers=alice).get_json()["session"]
    assert (session["duration"], session["patient"]["name"]) == (0, "")
    assert client.get(f"{BASE}/sessions/{bobs_session}", headers=bob).get_json()["session"][
        "linked_sessions_for_context"] == []


def test_session_names_count_the_users_own_sessions(client, alice, bob):
    for _ in range(3):
        session_of(client, alice)
    bobs = client.get(f"{BASE}/sessions/{session_of(client, bob)}", headers=bob).get_json()["session"]
    assert bobs["session_name"] == f"Session {DOC_SESSION_COUNT + 1}"  # after the docs' sessions, whatever alice made


# -- the linked account and the linked user's sessions ----------------------------------------------


def test_a_linked_account_belongs_to_its_api_user(client, alice, bob):
    account = client.post(f"{BASE}/users/linked-account", json={"kinde_user_id": "kp_alice"}, headers=alice)
    assert account.status_code == 200
    assert client.get(f"{BASE}/users/linked-account/access", headers=bob).get_json() == {
        "is_valid": False, "is_linked": False, "account": None}
    resp = client.delete(f"{BASE}/users/linked-account:unlink", headers=bob)
    assert resp.status_code == 400 and detail(resp) == NO_LINK
    resp = client.get(f"{BASE}/sessions/linked-user", headers=bob)
    assert resp.status_code == 400 and detail(resp) == NO_LINK
    assert client.post(f"{BASE}/users/linked-account", json={"kinde_user_id": "kp_bob"}, headers=bob).status_code == 200
    assert client.get(f"{BASE}/users/linked-account/access", headers=alice).get_json()["account"] == \
        account.get_json()["account"]


def test_the_linked_user_list_holds_only_the_callers_sessions(client, alice, bob):
    for headers, kinde in ((alice, "kp_alice"), (bob, "kp_bob")):
        client.post(f"{BASE}/users/linked-account", json={"kinde_user_id": kinde}, headers=headers)
    alices = [session_of(client, alice) for _ in range(2)]
    bobs = session_of(client, bob)
    body = client.get(f"{BASE}/sessions/linked-user", headers=alice).get_json()
    docs = [*DOC_SESSIONS[::-1], *DOC_CONTEXT_SESSIONS[::-1]]
    assert [s["session_id"] for s in body["sessions"]] == [*alices[::-1], *docs]
    assert body["total_count"] == 2 + DOC_SESSION_COUNT
    listed = [s["session_id"] for s in client.get(f"{BASE}/sessions/linked-user", headers=bob).get_json()["sessions"]]
    assert listed == [bobs, *docs]


# -- the same user, a new JWT --------------------------------------------------------------------


def test_the_same_user_with_a_new_jwt_sees_the_same_data(client, alice, app):
    profile = profile_of(client, alice)
    session = session_of(client, alice, patient_profile_id=profile)
    client.post(f"{BASE}/users/linked-account", json={"kinde_user_id": "kp_alice"}, headers=alice)
    app.extensions["mockserver"].clock.advance(7200)  # the first token has expired
    assert client.get(f"{BASE}/patient-profiles", headers=alice).status_code == 401
    again = login(client, user="alice", email="alice@example.com")
    assert profile_ids(client, again) == [DOC_PROFILE, profile]
    assert client.get(f"{BASE}/sessions/{session}", headers=again).status_code == 200
    assert client.get(f"{BASE}/users/linked-account/access", headers=again).get_json()["is_linked"] is True


def test_a_non_jwt_token_in_open_mode_is_its_tenants_anonymous_user(client):
    opaque = {"Authorization": "Bearer heidi-key"}  # the tenant a JWT bought with the API key heidi-key acts for
    jwt_user = login(client)
    theirs = profile_of(client, jwt_user)
    assert client.get(f"{BASE}/patient-profiles/{theirs}", headers=opaque).status_code == 404
    assert profile_ids(client, opaque) == [DOC_PROFILE]
    users = client.get("/_mock/state").get_json()["tenants"]["heidi-key"]["heidi"]["users"]
    assert {"third_party_internal_id": "", "email": None} in users and len(users) == 2


# -- the clean slate -----------------------------------------------------------------------------


@pytest.fixture
def clean():
    return create_app(Config(validate_responses=True, heidi_doc_examples=False)).test_client()


def test_without_the_docs_examples_a_new_user_starts_empty(clean):
    headers = login(clean)
    assert profile_ids(clean, headers) == []
    assert detail(clean.get(f"{BASE}/patient-profiles/{DOC_PROFILE}", headers=headers)) == PROFILE_404
    for session_id in (*DOC_SESSIONS, *DOC_CONTEXT_SESSIONS):
        assert detail(clean.get(f"{BASE}/sessions/{session_id}", headers=headers)) == SESSION_404
    session = session_of(clean, headers)
    assert clean.get(f"{BASE}/sessions/{session}", headers=headers).get_json()["session"]["session_name"] == "Session 1"
    clean.post(f"{BASE}/users/linked-account", json={"kinde_user_id": "kp_1"}, headers=headers)
    assert clean.get(f"{BASE}/sessions/linked-user", headers=headers).get_json()["total_count"] == 1
    assert profile_ids(clean, {"Authorization": "Bearer opaque"}) == []
    clean.post("/_mock/reset")
    assert profile_ids(clean, login(clean)) == []


def test_a_clean_slate_still_loads_a_states_doc_examples(client, clean):
    login(client)  # a new user: the docs' examples
    state = client.get("/_mock/state").get_json()
    assert clean.put("/_mock/state", json=state).status_code == 200
    assert profile_ids(clean, login(clean)) == [DOC_PROFILE]
    assert profile_ids(clean, login(clean, user="newcomer")) == []


# -- state export and import ---------------------------------------------------------------------


def test_the_export_names_every_objects_owner_and_round_trips(client, alice, bob):
    profile = profile_of(client, alice)
    session_of(client, alice, patient_profile_id=profile)
    client.post(f"{BASE}/users/linked-account", json={"kinde_user_id": "kp_bob"}, headers=bob)
    client.delete(f"{BASE}/patient-profiles:batch-delete", json={"patient_profile_ids": [DOC_PROFILE]}, headers=bob)
    state = client.get("/_mock/state").get_json()
    heidi = state["tenants"]["heidi-key"]["heidi"]
    a = {"third_party_internal_id": "alice", "email": "alice@example.com"}
    b = {"third_party_internal_id": "bob", "email": "bob@example.com"}
    assert heidi["users"] == [a, b]
    assert [(p["id"], p["owner"]) for p in heidi["profiles"]] == [(DOC_PROFILE, a), (profile, a)]
    assert [s["owner"] for s in heidi["sessions"]] == [a] * (DOC_SESSION_COUNT + 1) + [b] * DOC_SESSION_COUNT
    assert [(x["third_party_internal_id"], x["kinde_user_id"]) for x in heidi["accounts"]] == [("bob", "kp_bob")]

    other = create_app(Config(validate_responses=True)).test_client()
    assert other.put("/_mock/state", json=state).status_code == 200
    assert other.get("/_mock/state").get_json() == state
    # Bob was seen before: the profile he deleted does not come back, and he is still linked.
    bob_again = login(other, user="bob", email="bob@example.com")
    assert profile_ids(other, bob_again) == []
    assert other.get(f"{BASE}/users/linked-account/access", headers=bob_again).get_json()["is_linked"] is True
    assert profile_ids(other, login(other, user="alice", email="alice@example.com")) == [DOC_PROFILE, profile]
    assert other.get("/_mock/state").get_json() == state  # buying the JWTs changed nothing


def test_an_owner_missing_from_users_counts_as_seen(client):
    owner = {"third_party_internal_id": "u1", "email": "u1@example.com"}
    state = {"tenants": {"heidi-key": {"heidi": {"sessions": [
        {"session_id": "42", "session_name": "Mine", "owner": owner, "ehr_provider": "mockserver",
         "created_at": "2024-01-01T00:00:00+00:00", "updated_at": "2024-01-01T00:00:00+00:00"}]}}}}
    assert client.put("/_mock/state", json=state).status_code == 200
    headers = login(client, user="u1", email="u1@example.com")
    assert client.get(f"{BASE}/sessions/42", headers=headers).get_json()["session"]["session_name"] == "Mine"
    assert profile_ids(client, headers) == []  # not a new user: no docs' examples
    assert client.get(f"{BASE}/sessions/42", headers=login(client)).status_code == 404


USER = {"third_party_internal_id": "u1", "email": "u1@example.com"}
SESSION = {"session_id": "42", "session_name": "S", "owner": USER, "ehr_provider": "mockserver",
           "created_at": "2024-01-01T00:00:00+00:00", "updated_at": "2024-01-01T00:00:00+00:00"}
ACCOUNT = {"kinde_user_id": "kp_1", "linked_at": "2024-01-01T00:00:00+00:00", **USER}


@pytest.mark.parametrize("heidi, message", [
    ({"users": [USER, USER]}, "API user 'u1' <u1@example.com> appears twice"),
    ({"sessions": [SESSION, SESSION]}, "session '42' appears twice for API user 'u1' <u1@example.com>"),
    ({"accounts": [ACCOUNT, dict(ACCOUNT, kinde_user_id="kp_2")]},
     "linked account of API user 'u1' <u1@example.com> appears twice"),
])
def test_a_state_breaking_an_ownership_rule_is_400(client, heidi, message):
    resp = client.put("/_mock/state", json={"tenants": {"t": {"heidi": heidi}}})
    assert resp.status_code == 400 and message in resp.get_json()["detail"], resp.get_json()


def test_the_same_ids_under_two_owners_load(client):
    other = {"third_party_internal_id": "u2", "email": None}
    state = {"tenants": {"t": {"heidi": {"sessions": [SESSION, dict(SESSION, owner=other)]}}}}
    assert client.put("/_mock/state", json=state).status_code == 200


@pytest.mark.parametrize("session, loc", [
    (dict(SESSION, owner="u1"), ["owner"]),  # the format before owners had an email
    ({k: v for k, v in SESSION.items() if k != "owner"}, ["owner"]),
    (dict(SESSION, owner={"third_party_internal_id": "u1"}), ["owner", "email"]),
])
def test_a_session_without_a_proper_owner_is_422(client, session, loc):
    resp = client.put("/_mock/state", json={"tenants": {"t": {"heidi": {"sessions": [session]}}}})
    assert resp.status_code == 422
    assert ["body", "tenants", "t", "heidi", "sessions", 0, *loc] in [e["loc"] for e in resp.get_json()["detail"]]
