"""Heidi Health over HTTP: the documented endpoints, declared once, at the root and under the real base path."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

from mockserver.core.declaration import Api
from mockserver.core.json_codec import loads
from mockserver.heidi.auth import HeidiApiKey, HeidiBearer, issue
from mockserver.heidi.errors import HeidiErrors
from mockserver.heidi.models import ApiUser, HeidiBackend, UserData

BASE_PATH = "/api/v2/ml-scribe/open-api"
"""Where the real API lives on registrar.api.heidihealth.com; clients are configured with all of it."""

ERROR = "heidi/error"
PROFILE = "heidi/patient-profile-response"
SESSION = "heidi/session-response"
SUCCESS = "heidi/success"
_PROFILE_ID = {"patient_profile_id": "$response.body#/data/id"}
_SESSION_ID = {"session_id": "$response.body#/session_id"}

_TRAILING_COMMA = re.compile(r'("(?:[^"\\]|\\.)*")|,(\s*[}\]])')


def loads_allowing_trailing_commas(text: str):
    """Strict JSON, except that a comma may close an object or array: the docs' own `POST /sessions`
    example has one, and every doc example must run as written."""
    try:
        return loads(text)
    except ValueError as strict_error:
        try:
            return loads(_TRAILING_COMMA.sub(lambda m: m.group(1) or m.group(2), text))
        except ValueError:
            raise strict_error from None


@contextmanager
def data_of(call) -> Iterator[UserData]:
    """The Heidi data of the API user the call acts for, locked for a `with` block. Another user's
    objects are not in it: to this user they do not exist. A user seen for the first time starts with the docs'
    examples, unless the mock runs without them (`Config.heidi_doc_examples`)."""
    with call.backend(HeidiBackend) as heidi:
        yield heidi.user(call.principal, doc_examples=call.runtime.config.heidi_doc_examples)


api = Api(
    "heidi", title="Heidi Health: JWT auth, patient profiles, sessions, linked accounts and the scribe flow",
    errors=HeidiErrors(), auth=HeidiBearer(),
    prefixes=("/jwt", "/patient-profiles", "/sessions", "/users/", "/templates/", "/open-api/"),
    validation_schema="heidi/validation-error", error_schema=ERROR, mounts=("", BASE_PATH),
    hosts=("registrar.api.heidihealth.com",), servers=(f"https://registrar.api.heidihealth.com{BASE_PATH}",),
    json_loads=loads_allowing_trailing_commas,
)


@api.operation("GET", "/jwt", summary="Exchange an API key for a JWT acting for one user of your system",
               auth=HeidiApiKey(), query="heidi/jwt-query", responses={200: "heidi/jwt"})
def get_jwt(call):
    """The token expires after the configured lifetime (`--jwt-lifetime`), on the mock's clock. The tenant of the
    key, `third_party_internal_id` and `email` name the API user; a new one starts with the docs' examples."""
    config = call.runtime.config
    user = ApiUser(call.query["third_party_internal_id"], call.query["email"])
    token, expires = issue(call.tenant, user, call.runtime.clock.now(), config.jwt_secret, config.jwt_lifetime_seconds)
    with call.backend(HeidiBackend) as heidi:  # Heidi creates (or finds) the API user of key, id and email
        heidi.user(user, doc_examples=config.heidi_doc_examples)
    return {"token": token, "expiration_time": expires.isoformat()}


# -- patient profiles ----------------------------------------------------------------------------


@api.operation(
    "POST", "/patient-profiles", summary="Create a patient profile",
    body="heidi/patient-profile-fields", responses={200: PROFILE},
    links={200: {
        "GetPatientProfile": {"operationId": "get_patient_profile", "parameters": _PROFILE_ID},
        "UpdatePatientProfile": {"operationId": "update_patient_profile", "parameters": _PROFILE_ID},
        "CreateSessionForProfile": {"operationId": "create_session",
                                    "requestBody": {"patient_profile_id": "$response.body#/data/id"}},
    }},
)
def create_patient_profile(call):
    with data_of(call) as mine:
        return {"data": mine.create_profile(call.body).to_json()}


@api.operation("GET", "/patient-profiles", summary="List patient profiles, filtered by EHR patient ID or provider",
               query="heidi/patient-profile-query", responses={200: "heidi/patient-profile-list"})
def list_patient_profiles(call):
    with data_of(call) as mine:
        counts = mine.session_counts()
        return {"data": [p.to_json(counts[p.id]) for p in mine.find_profiles(**call.query)]}


@api.operation("GET", "/patient-profiles/{patient_profile_id}", summary="Get a patient profile",
               responses={200: PROFILE, 404: ERROR})
def get_patient_profile(call):
    with data_of(call) as mine:
        return {"data": mine.profile(call.path["patient_profile_id"]).to_json()}


@api.operation("PATCH", "/patient-profiles/{patient_profile_id}", summary="Update a patient profile",
               body="heidi/patient-profile-fields", responses={200: PROFILE, 404: ERROR})
def update_patient_profile(call):
    """Only the fields sent change; null clears a field."""
    with data_of(call) as mine:
        return {"data": mine.update_profile(call.path["patient_profile_id"], call.body).to_json()}


@api.operation("DELETE", "/patient-profiles:batch-delete", summary="Delete patient profiles",
               body="heidi/patient-profiles-delete", responses={200: SUCCESS})
def delete_patient_profiles(call):
    """Unknown ids are skipped; the profiles' sessions stay, unlinked."""
    with data_of(call) as mine:
        mine.delete_profiles(call.body["patient_profile_ids"])
        return {"is_success": True}


@api.operation(
    "POST",
    "/patient-profiles/{patient_profile_id}/sessions",
    summary="Link sessions to a patient profile",
    body="heidi/session-ids",
    responses={200: "heidi/patient-profile-sessions", 404: ERROR},
    links={
        200: {
            "GetLinkedSession": {
                "operationId": "get_session",
                "parameters": {"session_id": "$response.body#/data/0/session_id"},
            },
            "GetLinkedProfile": {
                "operationId": "get_patient_profile",
                "parameters": {"patient_profile_id": "$request.path.patient_profile_id"},
            },
        }
    },
)
def link_sessions_to_patient_profile(call):
    """All or nothing: an unknown session is a 404 and links none. Answers the sessions just linked."""
    with data_of(call) as mine:
        sessions = mine.link_sessions(call.path["patient_profile_id"], call.body["session_ids"])
        return {"data": [s.summary() for s in sessions]}


# -- sessions ------------------------------------------------------------------------------------


@api.operation(
    "POST", "/sessions", summary="Create a session", body="heidi/session-create",
    responses={200: "heidi/session-created", 404: ERROR},
    links={200: {
        "GetSession": {"operationId": "get_session", "parameters": _SESSION_ID},
        "UpdateSession": {"operationId": "update_session", "parameters": _SESSION_ID},
        "LinkSessionToProfile": {"operationId": "link_sessions_to_patient_profile",
                                 "parameters": {"patient_profile_id": "$request.body#/patient_profile_id"},
                                 "requestBody": {"session_ids": ["$response.body#/session_id"]}},
    }},
)
def create_session(call):
    """An unknown patient_profile_id is a 404; a known one links the session to the profile."""
    with data_of(call) as mine:
        session = mine.create_session(call.body.get("patient_profile_id"), call.body.get("ehr_appointment_id"))
        return {"session_id": session.session_id}


@api.operation("GET", "/sessions/linked-user", summary="Sessions of the linked Heidi user, a page at a time",
               query="heidi/session-page-query", responses={200: "heidi/session-page", 400: ERROR})
def list_linked_user_sessions(call):
    """Newest first; `next_page` is the `page` to ask for next. Answers NoLinkedUserException until linked."""
    with data_of(call) as mine:
        return mine.linked_user_sessions(**call.query).to_json()


@api.operation("GET", "/sessions/{session_id}", summary="Get a session", responses={200: SESSION, 404: ERROR})
def get_session(call):
    with data_of(call) as mine:
        return {"session": mine.session(call.path["session_id"]).to_json()}


@api.operation("PATCH", "/sessions/{session_id}", summary="Update a session", body="heidi/session-update",
               responses={200: SESSION, 404: ERROR})
def update_session(call):
    """Only the fields sent change; `patient` is merged; linked_sessions_for_context must name your sessions."""
    with data_of(call) as mine:
        return {"session": mine.update_session(call.path["session_id"], call.body).to_json()}


# -- linked Heidi accounts -----------------------------------------------------------------------


@api.operation("POST", "/users/linked-account", summary="Link the JWT's user to a Heidi user",
               body="heidi/linked-account-create", responses={200: "heidi/linked-account", 400: ERROR})
def link_account(call):
    with data_of(call) as mine:
        return {"account": mine.link_account(call.body["kinde_user_id"]).to_json()}


@api.operation("DELETE", "/users/linked-account:unlink", summary="Unlink the JWT's user from its Heidi user",
               responses={200: SUCCESS, 400: ERROR})
def unlink_account(call):
    with data_of(call) as mine:
        mine.unlink_account()
        return {"is_success": True}


@api.operation("GET", "/users/linked-account/access", summary="Whether the JWT's user is linked, and to whom",
               responses={200: "heidi/linked-account-access"})
def get_linked_account_access(call):
    with data_of(call) as mine:
        account = mine.account
        return {"is_valid": account is not None, "is_linked": account is not None,
                "account": account and account.to_json()}
